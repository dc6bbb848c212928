//! Exporting a durable board as an election record (feature `store`).
//!
//! [`BoardExport`] takes a snapshot at the latest sealed block whose checkpoint the witnesses
//! have cosigned (at least the quorum of them; with no witnesses configured, simply the latest
//! sealed block) — the record holds exactly the entries that block's checkpoint covers, so every
//! entry in it is under a signed checkpoint, and the verifier's witness check (5) on the last
//! checkpoint holds even while voting goes on and the newest blocks await their cosignatures —
//! and produces the record in chunks of about one page of entries. The server streams the
//! chunks as the body of `GET /api/v1/record`; `psephos record export` writes them to a file.
//! Memory stays at one page whatever the size of the board.

use psephos_board::{Board, BoardError};
use thiserror::Error;

use crate::format::{FormatError, RecordBlock, RecordHeader, RecordWriter};

/// Entries read from the board per chunk.
const PAGE: u64 = psephos_board::store::MAX_ENTRIES_PAGE;

/// Why an export failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("board: {0}")]
    Board(#[from] BoardError),
    #[error("record: {0}")]
    Format(#[from] FormatError),
    #[error("the board changed under the export: {0}")]
    Inconsistent(String),
}

/// A record export in progress; call [`BoardExport::next_chunk`] until it returns `None`.
#[derive(Debug)]
pub struct BoardExport {
    board: Board,
    writer: Option<RecordWriter<Vec<u8>>>,
    /// Tree size of the snapshot (the last block's).
    size: u64,
    /// Number of the last block of the snapshot, if any.
    last_block: Option<u64>,
    next_entry: u64,
    next_block: u64,
    /// The next block to write, fetched ahead.
    pending: Option<RecordBlock>,
}

impl BoardExport {
    /// Starts an export of `board` up to its latest sealed block that carries `witness_quorum`
    /// cosignatures (the latest sealed block if the board has no witnesses or the quorum is 0).
    /// `witness_quorum` is also what the header asks of the last checkpoint (usually
    /// [`crate::verify::default_quorum`] of the configured witnesses, a majority). If no block
    /// has the quorum yet, the record is empty.
    pub async fn new(board: &Board, witness_quorum: u32) -> Result<Self, ExportError> {
        let (size, last_block) = match snapshot(board, witness_quorum).await? {
            Some((size, number)) => (size, Some(number)),
            None => (0, None),
        };
        let header = RecordHeader {
            origin: board.origin().to_owned(),
            board_key: board.verifier_key().clone(),
            witnesses: board.witnesses().to_vec(),
            witness_quorum,
            entries: size,
            blocks: last_block.map_or(0, |h| h + 1),
        };
        let writer = RecordWriter::new(Vec::new(), header)?;
        Ok(BoardExport {
            board: board.clone(),
            writer: Some(writer),
            size,
            last_block,
            next_entry: 0,
            next_block: 0,
            pending: None,
        })
    }

    /// The header the record starts with.
    pub fn header(&self) -> Option<&RecordHeader> {
        self.writer.as_ref().map(RecordWriter::header)
    }

    /// The next bytes of the record (the first chunk starts with the header), or `None` once
    /// everything is written.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        let Some(mut writer) = self.writer.take() else {
            return Ok(None);
        };
        let end = self.size.min(self.next_entry.saturating_add(PAGE));
        let entries = if self.next_entry < end {
            self.board
                .entries(self.next_entry, end - self.next_entry)
                .await?
        } else {
            Vec::new()
        };
        if (entries.len() as u64) != end - self.next_entry {
            return Err(ExportError::Inconsistent(format!(
                "asked for entries {}..{end}, got {}",
                self.next_entry,
                entries.len()
            )));
        }
        for entry in entries {
            // The blocks whose tree size is reached come before the next entry.
            self.write_blocks_at(&mut writer).await?;
            writer.entry(self.next_entry, &entry)?;
            self.next_entry += 1;
        }
        if self.next_entry == self.size {
            self.write_blocks_at(&mut writer).await?;
            if let Some(b) = self.peek_block().await? {
                return Err(ExportError::Inconsistent(format!(
                    "block {} has tree size {} beyond the snapshot",
                    b.header.number, b.header.tree_size
                )));
            }
            return Ok(Some(writer.finish()?));
        }
        let chunk = std::mem::take(writer.get_mut());
        self.writer = Some(writer);
        Ok(Some(chunk))
    }

    /// Writes every pending block whose tree size is the number of entries written.
    async fn write_blocks_at(
        &mut self,
        writer: &mut RecordWriter<Vec<u8>>,
    ) -> Result<(), ExportError> {
        loop {
            let due = matches!(
                self.peek_block().await?,
                Some(b) if b.header.tree_size == writer.entries_written()
            );
            if !due {
                return Ok(());
            }
            if let Some(b) = self.pending.take() {
                writer.block(&b)?;
            }
        }
    }

    /// The next block of the snapshot not yet written, fetched with its cosignatures.
    async fn peek_block(&mut self) -> Result<Option<&RecordBlock>, ExportError> {
        if self.pending.is_none() {
            let Some(last) = self.last_block else {
                return Ok(None);
            };
            if self.next_block > last {
                return Ok(None);
            }
            let block = self.board.block(self.next_block).await?.ok_or_else(|| {
                ExportError::Inconsistent(format!("block {} is missing", self.next_block))
            })?;
            let published = self
                .board
                .checkpoint_for_size(block.header.tree_size)
                .await?
                .ok_or_else(|| {
                    ExportError::Inconsistent(format!(
                        "no checkpoint for tree size {}",
                        block.header.tree_size
                    ))
                })?;
            self.pending = Some(RecordBlock::from_published(block.header, &published.note));
            self.next_block += 1;
        }
        Ok(self.pending.as_ref())
    }
}

/// `(tree size, block number)` of the block to export up to: the latest sealed block whose
/// checkpoint has at least `quorum` witness cosignatures (stored cosignatures are verified on
/// arrival, one per configured witness), walking back from the newest; the newest if the board
/// has no witnesses or the quorum is 0; `None` if no block qualifies.
async fn snapshot(board: &Board, quorum: u32) -> Result<Option<(u64, u64)>, ExportError> {
    let Some(mut block) = board.latest_block().await? else {
        return Ok(None);
    };
    if board.witnesses().is_empty() || quorum == 0 {
        return Ok(Some((block.header.tree_size, block.header.number)));
    }
    loop {
        let size = block.header.tree_size;
        let published = board.checkpoint_for_size(size).await?.ok_or_else(|| {
            ExportError::Inconsistent(format!("no checkpoint for tree size {size}"))
        })?;
        if published.cosignatures as u64 >= u64::from(quorum) {
            return Ok(Some((size, block.header.number)));
        }
        let Some(below) = block.header.number.checked_sub(1) else {
            return Ok(None);
        };
        block = board
            .block(below)
            .await?
            .ok_or_else(|| ExportError::Inconsistent(format!("block {below} is missing")))?;
    }
}

/// Exports the whole snapshot into `out` (for files; the server streams chunks instead).
pub async fn export_board<W: std::io::Write>(
    board: &Board,
    witness_quorum: u32,
    mut out: W,
) -> Result<RecordHeader, ExportError> {
    let mut export = BoardExport::new(board, witness_quorum).await?;
    let header = export
        .header()
        .cloned()
        .ok_or_else(|| ExportError::Inconsistent("no header".into()))?;
    while let Some(chunk) = export.next_chunk().await? {
        out.write_all(&chunk).map_err(FormatError::from)?;
    }
    out.flush().map_err(FormatError::from)?;
    Ok(header)
}
