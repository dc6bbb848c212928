//! The election record file: everything on one board — every entry, every block header with its
//! signed checkpoint, every witness cosignature — in one versioned, streamable file
//! (`docs/record.md` specifies it byte for byte, so that a verifier can be written without this
//! code).
//!
//! The order is the one a streaming verifier needs: a header (format version, the board's
//! origin and verifier key, the witnesses' keys and quorum, how many entries and blocks follow),
//! then the entries in index order, each block placed right after the last entry its checkpoint
//! covers. A reader therefore holds one frame at a time, recomputes the Merkle root as entries
//! go by, and compares it with each checkpoint as soon as the checkpoint arrives: memory stays
//! bounded whatever the size of the election.
//!
//! [`RecordWriter`] and [`RecordReader`] work over `std::io::Write` / `std::io::Read` only (no
//! files, no network), so the same code runs in the browser. Both enforce the framing and the
//! order; what the frames *mean* (signatures, roots, the election's rules) is the verifier's job
//! ([`crate::verify`]).

use std::io::{self, Read, Write};

use psephos_board::block::BlockHeader;
use psephos_board::entry::{Entry, EntryKind, MAX_PAYLOAD_SIZE};
use psephos_board::note::{SignatureType, VerifierKey, MAX_NOTE_SIZE, MAX_SIGNATURES};
use thiserror::Error;

/// The first 14 bytes of every record file.
pub const MAGIC: &[u8; 14] = b"psephos-record";
/// The format version this code reads and writes (a `u16` after the magic).
pub const FORMAT_VERSION: u16 = 1;

/// Frame tags.
const TAG_HEADER: u8 = 1;
const TAG_ENTRY: u8 = 2;
const TAG_BLOCK: u8 = 3;

/// Largest header frame body (a hundred witness keys fit many times over).
pub const MAX_HEADER_BODY: usize = 1 << 16;
/// Largest entry frame body: index, kind, length and the largest payload.
pub const MAX_ENTRY_BODY: usize = 8 + 5 + MAX_PAYLOAD_SIZE;
/// Longest cosignature line.
pub const MAX_COSIGNATURE_LINE: usize = 1024;
/// Largest block frame body: the largest header and the most cosignature lines.
pub const MAX_BLOCK_BODY: usize =
    4 + 108 + MAX_NOTE_SIZE + 4 + MAX_SIGNATURES * (4 + MAX_COSIGNATURE_LINE);
/// Most witness keys a header may list.
pub const MAX_WITNESSES: usize = MAX_SIGNATURES;
/// Longest string in the header (origin, one key).
const MAX_HEADER_STRING: usize = 4096;

/// Why a record could not be read or written. Reading stops at the first error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("not a psephos election record (bad magic bytes)")]
    Magic,
    #[error(
        "record format version {0} is not supported (this reader knows version {FORMAT_VERSION})"
    )]
    Version(u16),
    #[error("the record ends early: {0}")]
    Truncated(&'static str),
    #[error("frame {frame}: unknown frame tag {tag}")]
    UnknownTag { frame: u64, tag: u8 },
    #[error("frame {frame}: a {what} frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        frame: u64,
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("frame {frame}: malformed {what}: {detail}")]
    Malformed {
        frame: u64,
        what: &'static str,
        detail: String,
    },
    #[error("frame {frame}: out of order: {detail}")]
    Order { frame: u64, detail: String },
    #[error("the header announces {expected} {what} but the record holds {got}")]
    Count {
        what: &'static str,
        expected: u64,
        got: u64,
    },
    #[error("trailing bytes after the last frame")]
    Trailing,
}

/// The record's header: whose board this is and how much follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    /// The board's origin (checkpoint origin line and board key name).
    pub origin: String,
    /// The board's note verifier key (Ed25519).
    pub board_key: VerifierKey,
    /// The witnesses' `cosignature/v1` verifier keys.
    pub witnesses: Vec<VerifierKey>,
    /// How many distinct witnesses must cosign the last checkpoint.
    pub witness_quorum: u32,
    /// Number of entry frames.
    pub entries: u64,
    /// Number of block frames.
    pub blocks: u64,
}

/// One entry of the record: its index on the board and the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    pub index: u64,
    pub entry: Entry,
}

/// One sealed block: its header (with the board-signed checkpoint) and the witness
/// cosignature lines received for that checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBlock {
    pub header: BlockHeader,
    /// Cosignature lines (`— <name> <base64>`), without their newline.
    pub cosignatures: Vec<String>,
}

impl RecordBlock {
    /// A block from its header and a published, cosigned checkpoint note (the board's note
    /// followed by cosignature lines, as `Board::checkpoint_for_size` returns it): the lines
    /// after the board's note are the cosignatures.
    pub fn from_published(header: BlockHeader, published_note: &str) -> Self {
        let cosignatures = published_note
            .strip_prefix(header.checkpoint.as_str())
            .map(|rest| {
                rest.split('\n')
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        RecordBlock {
            header,
            cosignatures,
        }
    }

    /// The checkpoint note with every cosignature line appended: what a relying party opens.
    pub fn cosigned_note(&self) -> String {
        let mut note = self.header.checkpoint.clone();
        for line in &self.cosignatures {
            note.push_str(line);
            note.push('\n');
        }
        note
    }
}

/// What [`RecordReader::next_item`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum RecordItem {
    Entry(RecordEntry),
    Block(RecordBlock),
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// Writes a record frame by frame, enforcing the order of `docs/record.md`: entries with
/// consecutive indices from 0, each block right after the last entry it covers, and exactly the
/// counts announced in the header.
#[derive(Debug)]
pub struct RecordWriter<W: Write> {
    out: W,
    header: RecordHeader,
    entries: u64,
    blocks: u64,
    last_block_size: Option<u64>,
    buf: Vec<u8>,
}

impl<W: Write> RecordWriter<W> {
    /// Writes the magic, version and header.
    pub fn new(mut out: W, header: RecordHeader) -> Result<Self, FormatError> {
        let mut body = Vec::new();
        put_str(&mut body, &header.origin);
        put_str(&mut body, &header.board_key.to_string());
        put_u32(&mut body, len_u32(header.witnesses.len())?);
        for w in &header.witnesses {
            put_str(&mut body, &w.to_string());
        }
        put_u32(&mut body, header.witness_quorum);
        body.extend_from_slice(&header.entries.to_be_bytes());
        body.extend_from_slice(&header.blocks.to_be_bytes());
        if body.len() > MAX_HEADER_BODY || header.witnesses.len() > MAX_WITNESSES {
            return Err(FormatError::FrameTooLarge {
                frame: 0,
                what: "header",
                len: body.len(),
                max: MAX_HEADER_BODY,
            });
        }
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_be_bytes())?;
        write_frame(&mut out, TAG_HEADER, &body)?;
        Ok(RecordWriter {
            out,
            header,
            entries: 0,
            blocks: 0,
            last_block_size: None,
            buf: Vec::new(),
        })
    }

    /// The header written.
    pub fn header(&self) -> &RecordHeader {
        &self.header
    }

    /// The output (e.g. to drain a `Vec<u8>` between chunks).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Entries written so far.
    pub fn entries_written(&self) -> u64 {
        self.entries
    }

    /// Writes the next entry; `index` must be the number of entries written so far.
    pub fn entry(&mut self, index: u64, entry: &Entry) -> Result<(), FormatError> {
        let frame = self.frames();
        if index != self.entries {
            return Err(FormatError::Order {
                frame,
                detail: format!("entry {index} written where entry {} is due", self.entries),
            });
        }
        if self.entries >= self.header.entries {
            return Err(FormatError::Count {
                what: "entries",
                expected: self.header.entries,
                got: self.entries + 1,
            });
        }
        let bytes = entry.to_bytes().map_err(|e| FormatError::Malformed {
            frame,
            what: "entry",
            detail: e.to_string(),
        })?;
        self.buf.clear();
        self.buf.extend_from_slice(&index.to_be_bytes());
        self.buf.extend_from_slice(&bytes);
        write_frame(&mut self.out, TAG_ENTRY, &self.buf)?;
        self.entries += 1;
        Ok(())
    }

    /// Writes the next block; its tree size must equal the number of entries written so far.
    pub fn block(&mut self, block: &RecordBlock) -> Result<(), FormatError> {
        let frame = self.frames();
        check_block_position(frame, &block.header, self.entries, self.last_block_size)?;
        if self.blocks >= self.header.blocks {
            return Err(FormatError::Count {
                what: "blocks",
                expected: self.header.blocks,
                got: self.blocks + 1,
            });
        }
        let encoded = block.header.encode().map_err(|e| FormatError::Malformed {
            frame,
            what: "block header",
            detail: e.to_string(),
        })?;
        if block.cosignatures.len() > MAX_SIGNATURES {
            return Err(FormatError::Malformed {
                frame,
                what: "block",
                detail: format!("more than {MAX_SIGNATURES} cosignatures"),
            });
        }
        self.buf.clear();
        put_u32(&mut self.buf, len_u32(encoded.len())?);
        self.buf.extend_from_slice(&encoded);
        put_u32(&mut self.buf, len_u32(block.cosignatures.len())?);
        for line in &block.cosignatures {
            if line.len() > MAX_COSIGNATURE_LINE || line.contains('\n') || line.is_empty() {
                return Err(FormatError::Malformed {
                    frame,
                    what: "cosignature",
                    detail: "a cosignature is one non-empty line of at most 1024 bytes".into(),
                });
            }
            put_str(&mut self.buf, line);
        }
        write_frame(&mut self.out, TAG_BLOCK, &self.buf)?;
        self.blocks += 1;
        self.last_block_size = Some(block.header.tree_size);
        Ok(())
    }

    /// Checks that the announced counts were written, flushes, and returns the output.
    pub fn finish(mut self) -> Result<W, FormatError> {
        if self.entries != self.header.entries {
            return Err(FormatError::Count {
                what: "entries",
                expected: self.header.entries,
                got: self.entries,
            });
        }
        if self.blocks != self.header.blocks {
            return Err(FormatError::Count {
                what: "blocks",
                expected: self.header.blocks,
                got: self.blocks,
            });
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn frames(&self) -> u64 {
        1 + self.entries + self.blocks
    }
}

fn check_block_position(
    frame: u64,
    header: &BlockHeader,
    entries: u64,
    last_size: Option<u64>,
) -> Result<(), FormatError> {
    if header.tree_size != entries {
        return Err(FormatError::Order {
            frame,
            detail: format!(
                "block {} (tree size {}) must come right after entry {}, but {} entries precede it",
                header.number,
                header.tree_size,
                header.tree_size.wrapping_sub(1),
                entries
            ),
        });
    }
    if last_size == Some(entries) {
        return Err(FormatError::Order {
            frame,
            detail: format!("two blocks of tree size {entries}"),
        });
    }
    Ok(())
}

fn write_frame<W: Write>(out: &mut W, tag: u8, body: &[u8]) -> Result<(), FormatError> {
    out.write_all(&[tag])?;
    out.write_all(&len_u32(body.len())?.to_be_bytes())?;
    out.write_all(body)?;
    Ok(())
}

fn len_u32(n: usize) -> Result<u32, FormatError> {
    u32::try_from(n).map_err(|_| FormatError::FrameTooLarge {
        frame: 0,
        what: "field",
        len: n,
        max: u32::MAX as usize,
    })
}

fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Every string written is bounded far below 4 GiB by the caller's limits.
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// Reads a record frame by frame with bounded memory (one frame at a time), strictly: bad
/// magic, an unknown version or tag, an oversized or malformed frame, entries out of order, a
/// block away from its position, counts that differ from the header and trailing bytes are
/// errors.
#[derive(Debug)]
pub struct RecordReader<R: Read> {
    input: R,
    header: RecordHeader,
    entries: u64,
    blocks: u64,
    last_block_size: Option<u64>,
    done: bool,
    /// Bytes consumed so far (for progress reporting).
    consumed: u64,
}

impl<R: Read> RecordReader<R> {
    /// Reads the magic, version and header.
    pub fn new(mut input: R) -> Result<Self, FormatError> {
        let mut start = [0u8; 16];
        read_exact(&mut input, &mut start, "magic and version")?;
        if &start[..14] != MAGIC {
            return Err(FormatError::Magic);
        }
        let version = u16::from_be_bytes([start[14], start[15]]);
        if version != FORMAT_VERSION {
            return Err(FormatError::Version(version));
        }
        let Some((tag, body)) = read_frame(&mut input, 0, |_| Some(MAX_HEADER_BODY))? else {
            return Err(FormatError::Truncated("no header frame"));
        };
        if tag != TAG_HEADER {
            return Err(FormatError::Order {
                frame: 0,
                detail: "the first frame must be the header".into(),
            });
        }
        let consumed = 16 + 5 + body.len() as u64;
        let header = parse_header(&body)?;
        Ok(RecordReader {
            input,
            header,
            entries: 0,
            blocks: 0,
            last_block_size: None,
            done: false,
            consumed,
        })
    }

    pub fn header(&self) -> &RecordHeader {
        &self.header
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The next entry or block, or `None` after the last one (once the counts announced in the
    /// header are reached and the input is at its end).
    pub fn next_item(&mut self) -> Result<Option<RecordItem>, FormatError> {
        if self.done {
            return Ok(None);
        }
        let frame = 1 + self.entries + self.blocks;
        if self.entries == self.header.entries && self.blocks == self.header.blocks {
            let mut b = [0u8; 1];
            loop {
                match self.input.read(&mut b) {
                    Ok(0) => break,
                    Ok(_) => return Err(FormatError::Trailing),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            self.done = true;
            return Ok(None);
        }
        let limit = |tag: u8| match tag {
            TAG_ENTRY => Some(MAX_ENTRY_BODY),
            TAG_BLOCK => Some(MAX_BLOCK_BODY),
            _ => None,
        };
        let Some((tag, body)) = read_frame(&mut self.input, frame, limit)? else {
            return Err(if self.entries < self.header.entries {
                FormatError::Count {
                    what: "entries",
                    expected: self.header.entries,
                    got: self.entries,
                }
            } else {
                FormatError::Count {
                    what: "blocks",
                    expected: self.header.blocks,
                    got: self.blocks,
                }
            });
        };
        self.consumed += 5 + body.len() as u64;
        match tag {
            TAG_ENTRY => {
                let e = parse_entry(frame, body)?;
                if e.index != self.entries {
                    return Err(FormatError::Order {
                        frame,
                        detail: format!("entry {} where entry {} is due", e.index, self.entries),
                    });
                }
                if self.entries >= self.header.entries {
                    return Err(FormatError::Count {
                        what: "entries",
                        expected: self.header.entries,
                        got: self.entries + 1,
                    });
                }
                self.entries += 1;
                Ok(Some(RecordItem::Entry(e)))
            }
            TAG_BLOCK => {
                let b = parse_block(frame, &body)?;
                check_block_position(frame, &b.header, self.entries, self.last_block_size)?;
                if self.blocks >= self.header.blocks {
                    return Err(FormatError::Count {
                        what: "blocks",
                        expected: self.header.blocks,
                        got: self.blocks + 1,
                    });
                }
                self.blocks += 1;
                self.last_block_size = Some(b.header.tree_size);
                Ok(Some(RecordItem::Block(b)))
            }
            tag => Err(FormatError::UnknownTag { frame, tag }),
        }
    }
}

impl<R: Read> Iterator for RecordReader<R> {
    type Item = Result<RecordItem, FormatError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_item() {
            Ok(Some(x)) => Some(Ok(x)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], what: &'static str) -> Result<(), FormatError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            FormatError::Truncated(what)
        } else {
            FormatError::Io(e)
        }
    })
}

/// Reads one frame; `None` at a clean end of input (before the tag byte).
fn read_frame<R: Read>(
    r: &mut R,
    frame: u64,
    limit: impl Fn(u8) -> Option<usize>,
) -> Result<Option<(u8, Vec<u8>)>, FormatError> {
    let mut tag = [0u8; 1];
    loop {
        match r.read(&mut tag) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let tag = tag[0];
    let max = limit(tag).ok_or(FormatError::UnknownTag { frame, tag })?;
    let mut len = [0u8; 4];
    read_exact(r, &mut len, "frame length")?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FormatError::FrameTooLarge {
            frame,
            what: match tag {
                TAG_HEADER => "header",
                TAG_ENTRY => "entry",
                _ => "block",
            },
            len,
            max,
        });
    }
    let mut body = vec![0u8; len];
    read_exact(r, &mut body, "frame body")?;
    Ok(Some((tag, body)))
}

/// A bounds-checked cursor over one frame body.
struct Body<'a> {
    frame: u64,
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Body<'a> {
    fn bad(&self, detail: impl Into<String>) -> FormatError {
        FormatError::Malformed {
            frame: self.frame,
            what: self.what,
            detail: detail.into(),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.rest.len() < n {
            return Err(self.bad("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, FormatError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn str(&mut self, max: usize) -> Result<&'a str, FormatError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(self.bad(format!("a string of {n} bytes exceeds {max}")));
        }
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| self.bad("a string is not UTF-8"))
    }
    fn end(&self) -> Result<(), FormatError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.bad("trailing bytes"))
        }
    }
}

fn parse_header(body: &[u8]) -> Result<RecordHeader, FormatError> {
    let mut b = Body {
        frame: 0,
        what: "header",
        rest: body,
    };
    let origin = b.str(MAX_HEADER_STRING)?.to_owned();
    // Each key must be of its role's type: the board key an Ed25519 note key (0x01) named
    // after the origin, every witness key a cosignature/v1 key (0x04) — a board key listed as
    // a witness would make the board's own signature line count as a cosignature.
    let key = |b: &Body<'_>, s: &str, t: SignatureType| -> Result<VerifierKey, FormatError> {
        VerifierKey::parse_as(s, t).map_err(|e| b.bad(format!("verifier key {s:?}: {e}")))
    };
    let s = b.str(MAX_HEADER_STRING)?;
    let board_key = key(&b, s, SignatureType::Ed25519)?;
    if board_key.name() != origin {
        return Err(b.bad(format!(
            "the board key is named {:?}, the origin is {origin:?}: they must be equal",
            board_key.name()
        )));
    }
    let n = b.u32()? as usize;
    if n > MAX_WITNESSES {
        return Err(b.bad(format!("{n} witnesses (at most {MAX_WITNESSES})")));
    }
    let mut witnesses = Vec::with_capacity(n);
    for _ in 0..n {
        let s = b.str(MAX_HEADER_STRING)?;
        witnesses.push(key(&b, s, SignatureType::CosignatureV1)?);
    }
    let witness_quorum = b.u32()?;
    let entries = b.u64()?;
    let blocks = b.u64()?;
    b.end()?;
    Ok(RecordHeader {
        origin,
        board_key,
        witnesses,
        witness_quorum,
        entries,
        blocks,
    })
}

fn parse_entry(frame: u64, mut body: Vec<u8>) -> Result<RecordEntry, FormatError> {
    let bad = |detail: String| FormatError::Malformed {
        frame,
        what: "entry",
        detail,
    };
    if body.len() < 13 {
        return Err(bad("truncated".into()));
    }
    let mut idx = [0u8; 8];
    idx.copy_from_slice(&body[..8]);
    let index = u64::from_be_bytes(idx);
    let kind = EntryKind::from_u8(body[8]).ok_or_else(|| bad(format!("kind {}", body[8])))?;
    let declared = u32::from_be_bytes([body[9], body[10], body[11], body[12]]) as usize;
    if declared != body.len() - 13 {
        return Err(bad(format!(
            "declares a {declared}-byte payload but {} bytes follow",
            body.len() - 13
        )));
    }
    let payload = body.split_off(13);
    let entry = Entry::new(kind, payload).map_err(|e| bad(e.to_string()))?;
    Ok(RecordEntry { index, entry })
}

fn parse_block(frame: u64, body: &[u8]) -> Result<RecordBlock, FormatError> {
    let mut b = Body {
        frame,
        what: "block",
        rest: body,
    };
    let n = b.u32()? as usize;
    let encoded = b.take(n)?;
    let header = BlockHeader::decode(encoded).map_err(|e| b.bad(e.to_string()))?;
    let count = b.u32()? as usize;
    if count > MAX_SIGNATURES {
        return Err(b.bad(format!("{count} cosignatures (at most {MAX_SIGNATURES})")));
    }
    let mut cosignatures = Vec::with_capacity(count);
    for _ in 0..count {
        let line = b.str(MAX_COSIGNATURE_LINE)?;
        if line.is_empty() || line.contains('\n') {
            return Err(b.bad("a cosignature must be one non-empty line"));
        }
        cosignatures.push(line.to_owned());
    }
    b.end()?;
    Ok(RecordBlock {
        header,
        cosignatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use psephos_board::checkpoint::Checkpoint;
    use psephos_board::merkle::Hash;
    use psephos_board::note::NoteSigner;

    fn signer() -> NoteSigner {
        NoteSigner::new(
            "board.example/e1",
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
        )
        .unwrap()
    }

    fn sample() -> (RecordHeader, Vec<RecordItem>) {
        let s = signer();
        let e0 = Entry::new(EntryKind::ElectionDefinition, b"def".to_vec()).unwrap();
        let e1 = Entry::new(EntryKind::Ballot, vec![1, 2, 3]).unwrap();
        let cp = Checkpoint::new("board.example/e1", 2, Hash([3; 32]))
            .sign(&s)
            .unwrap()
            .encode()
            .unwrap();
        let block = RecordBlock {
            header: BlockHeader {
                number: 0,
                prev_hash: Hash([0; 32]),
                time_ms: 5,
                tree_size: 2,
                root: Hash([3; 32]),
                checkpoint: cp,
            },
            cosignatures: vec!["\u{2014} w AAAA".into()],
        };
        let header = RecordHeader {
            origin: "board.example/e1".into(),
            board_key: s.verifier_key().clone(),
            witnesses: vec![],
            witness_quorum: 0,
            entries: 2,
            blocks: 1,
        };
        let items = vec![
            RecordItem::Entry(RecordEntry {
                index: 0,
                entry: e0,
            }),
            RecordItem::Entry(RecordEntry {
                index: 1,
                entry: e1,
            }),
            RecordItem::Block(block),
        ];
        (header, items)
    }

    fn write(header: &RecordHeader, items: &[RecordItem]) -> Vec<u8> {
        let mut w = RecordWriter::new(Vec::new(), header.clone()).unwrap();
        for it in items {
            match it {
                RecordItem::Entry(e) => w.entry(e.index, &e.entry).unwrap(),
                RecordItem::Block(b) => w.block(b).unwrap(),
            }
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> Result<(RecordHeader, Vec<RecordItem>), FormatError> {
        let mut r = RecordReader::new(bytes)?;
        let items = r.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((r.header().clone(), items))
    }

    #[test]
    fn round_trip_and_layout() {
        let (h, items) = sample();
        let bytes = write(&h, &items);
        assert_eq!(&bytes[..14], b"psephos-record");
        assert_eq!(&bytes[14..16], &[0, 1]);
        assert_eq!(bytes[16], TAG_HEADER);
        let (h2, items2) = read_all(&bytes).unwrap();
        assert_eq!(h2, h);
        assert_eq!(items2, items);
        // The first entry frame: tag, length 8 + 5 + 3, index 0, kind 1, length 3, "def".
        let hdr_len = u32::from_be_bytes([bytes[17], bytes[18], bytes[19], bytes[20]]) as usize;
        let e = &bytes[21 + hdr_len..];
        assert_eq!(&e[..5], &[TAG_ENTRY, 0, 0, 0, 16]);
        assert_eq!(&e[5..13], &[0; 8]);
        assert_eq!(&e[13..21], &[1, 0, 0, 0, 3, b'd', b'e', b'f']);
    }

    #[test]
    fn strict_reading() {
        let (h, items) = sample();
        let bytes = write(&h, &items);
        // Every truncation is an error, never a short success.
        for n in 0..bytes.len() {
            assert!(
                read_all(&bytes[..n]).is_err(),
                "prefix of {n} bytes accepted"
            );
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(read_all(&trailing), Err(FormatError::Trailing)));
        let mut magic = bytes.clone();
        magic[0] ^= 1;
        assert!(matches!(read_all(&magic), Err(FormatError::Magic)));
        let mut version = bytes.clone();
        version[15] = 2;
        assert!(matches!(read_all(&version), Err(FormatError::Version(2))));
        // Entries out of order and a block away from its position are refused by the writer.
        let mut w = RecordWriter::new(Vec::new(), h.clone()).unwrap();
        let RecordItem::Entry(e1) = &items[1] else {
            unreachable!()
        };
        assert!(w.entry(1, &e1.entry).is_err());
        let RecordItem::Block(b) = &items[2] else {
            unreachable!()
        };
        assert!(w.block(b).is_err());
        // … and by the reader: swap the two entry frames' indices.
        let swapped = write_raw_swapped(&h, &items);
        assert!(matches!(read_all(&swapped), Err(FormatError::Order { .. })));
    }

    fn write_raw_swapped(h: &RecordHeader, items: &[RecordItem]) -> Vec<u8> {
        // A record whose block comes before the entries it covers.
        let mut out = Vec::new();
        let w = RecordWriter::new(&mut out, h.clone()).unwrap();
        drop(w);
        let RecordItem::Block(b) = &items[2] else {
            unreachable!()
        };
        let mut body = Vec::new();
        let enc = b.header.encode().unwrap();
        put_u32(&mut body, enc.len() as u32);
        body.extend_from_slice(&enc);
        put_u32(&mut body, 0);
        write_frame(&mut out, TAG_BLOCK, &body).unwrap();
        out
    }

    #[test]
    fn published_note_split() {
        let (_, items) = sample();
        let RecordItem::Block(b) = &items[2] else {
            unreachable!()
        };
        let note = b.cosigned_note();
        let again = RecordBlock::from_published(b.header.clone(), &note);
        assert_eq!(&again, b);
    }
}
