//! Tamper detection: re-verifying the stored log against itself.
//!
//! The database is not trusted. The check rebuilds the Merkle tree from the
//! stored entry bytes alone and compares it with everything else that was
//! stored: the node hashes, the signed checkpoints (their signatures and their
//! roots at their sizes), the chain of block headers and the witnesses'
//! cosignatures. Everything is streamed in pages, so memory stays bounded
//! whatever the log's size, and each row is read once.
//!
//! A problem in the log itself is named by `first_bad_index`: the length of
//! the longest prefix of the log that is intact, entries *and* the stored tree
//! over them. A modified, removed or reordered entry at index `i` gives `i`; a
//! wrong stored node gives the index of the leaf that completed it (the tree of
//! that many leaves is still intact). A problem confined to the blocks
//! (a broken link, an altered header or checkpoint, a bad cosignature) is
//! named by the number of the first bad block.
//!
//! The open with the check in the background (`BoardConfig::check_in_background`) runs only
//! [`quick`] before it returns: the latest block's signature, the stored right edge of the tree
//! under it and the entries after it — what the writer builds on — and [`run`] afterwards.

use std::collections::HashMap;

use serde::Serialize;

use crate::block::Block;
use crate::checkpoint::SignedCheckpoint;
use crate::entry::{entry_leaf_hash, EntryKind, MAX_PAYLOAD_SIZE};
use crate::error::BoardError;
use crate::merkle::{Hash, NodeId};
use crate::note::VerifierKey;

use super::db::{self, Pool};
use super::frontier::Frontier;
use super::verify_cosignature;
use super::writer::block_from_row;

/// Entries read per page.
const ENTRY_PAGE: u64 = 2048;

/// Who is handed each checked page of entries (see `Board::open_reading`).
pub(crate) type Visitor<'a> =
    &'a mut (dyn FnMut(u64, Vec<crate::Entry>) -> Result<(), String> + Send);

/// Reads entries `[a, b)` in a task of their own, so that the next page is
/// read from the database while this one is hashed (and visited).
fn fetch(
    pool: &Pool,
    log: i64,
    a: u64,
    b: u64,
) -> tokio::task::JoinHandle<Result<Vec<db::EntryRow>, BoardError>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.entries(log, db::to_i64(a)?, db::to_i64(b)?).await })
}

async fn fetched(
    page: tokio::task::JoinHandle<Result<Vec<db::EntryRow>, BoardError>>,
) -> Result<Vec<db::EntryRow>, BoardError> {
    page.await
        .map_err(|e| BoardError::Corrupt(format!("reading entries: {e}")))?
}

/// The page's rows as entries, moving the payloads.
fn entries_of(rows: Vec<db::EntryRow>) -> Result<Vec<crate::Entry>, BoardError> {
    rows.into_iter()
        .map(|row| {
            let kind = u8::try_from(row.kind)
                .ok()
                .and_then(EntryKind::from_u8)
                .ok_or_else(|| {
                    BoardError::Corrupt(format!("entry {} has kind {}", row.idx, row.kind))
                })?;
            Ok(crate::Entry {
                kind,
                payload: row.payload,
            })
        })
        .collect()
}

/// Hands entries `[0, size)` to `visit` without checking them (an open
/// without the tamper check).
pub(crate) async fn read_all(
    pool: &Pool,
    log: i64,
    size: u64,
    visit: Visitor<'_>,
) -> Result<(), BoardError> {
    let mut a = 0u64;
    let mut next = (a < size).then(|| fetch(pool, log, a, ENTRY_PAGE.min(size)));
    while let Some(page) = next.take() {
        let rows = fetched(page).await?;
        let b = a + rows.len() as u64;
        if rows.is_empty() {
            return Err(BoardError::Corrupt(format!("entry {a} is missing")));
        }
        // Every row in its place: a gap would shift the indices handed to `visit`.
        for (i, r) in rows.iter().enumerate() {
            let want = a + i as u64;
            if r.idx != db::to_i64(want)? {
                return Err(BoardError::Corrupt(format!("entry {want} is missing")));
            }
        }
        if b < size {
            next = Some(fetch(pool, log, b, b.saturating_add(ENTRY_PAGE).min(size)));
        }
        visit(a, entries_of(rows)?).map_err(BoardError::Refused)?;
        a = b;
    }
    Ok(())
}
/// Blocks read per page.
const BLOCK_PAGE: u64 = 512;

/// Where a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemLocation {
    /// In the entries or the tree: the first `first_bad_index` entries are intact.
    Entry {
        /// Length of the intact prefix.
        first_bad_index: u64,
    },
    /// In the block chain, checkpoints or cosignatures, at this block.
    Block {
        /// Number of the bad block.
        number: u64,
    },
}

/// One problem the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where.
    pub location: ProblemLocation,
    /// What, in words.
    pub detail: String,
}

/// The result of [`super::Board::check`]: what was verified, and the first
/// problem of each kind (entries/tree, blocks), if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// The tree size checked.
    pub tree_size: u64,
    /// Entries whose bytes were hashed and found in place.
    pub entries: u64,
    /// Stored node hashes compared.
    pub nodes: u64,
    /// Blocks whose header, link and checkpoint verified.
    pub blocks: u64,
    /// Cosignatures from configured witnesses that verified.
    pub cosignatures: u64,
    /// The problems found, entries first; empty if all is well.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Whether nothing was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The length of the intact prefix of the log, if it is not all intact.
    pub fn first_bad_index(&self) -> Option<u64> {
        self.problems
            .iter()
            .filter_map(|p| match p.location {
                ProblemLocation::Entry { first_bad_index } => Some(first_bad_index),
                ProblemLocation::Block { .. } => None,
            })
            .min()
    }

    /// The number of the first bad block, if any.
    pub fn first_bad_block(&self) -> Option<u64> {
        self.problems
            .iter()
            .filter_map(|p| match p.location {
                ProblemLocation::Block { number } => Some(number),
                ProblemLocation::Entry { .. } => None,
            })
            .min()
    }

    /// The report if all is well; otherwise [`BoardError::Tampered`] for a
    /// problem in the entries or tree, else [`BoardError::TamperedBlock`].
    pub fn into_result(self) -> Result<Self, BoardError> {
        let first = self.problems.first().cloned();
        match first {
            None => Ok(self),
            Some(Problem {
                location: ProblemLocation::Entry { first_bad_index },
                detail,
            }) => Err(BoardError::Tampered {
                first_bad_index,
                detail,
            }),
            Some(Problem {
                location: ProblemLocation::Block { number },
                detail,
            }) => Err(BoardError::TamperedBlock { number, detail }),
        }
    }
}

/// Keeps the problem with the smallest key.
#[derive(Default)]
struct First(Option<(u64, String)>);

impl First {
    fn offer(&mut self, at: u64, detail: impl FnOnce() -> String) {
        if self.0.as_ref().is_none_or(|(k, _)| at < *k) {
            self.0 = Some((at, detail()));
        }
    }
    fn found(&self) -> bool {
        self.0.is_some()
    }
}

/// A published checkpoint, as the entries pass needs it.
struct Sealed {
    size: u64,
    block_number: u64,
    root: Hash,
}

/// Checks a block on its own and against its predecessor.
fn verify_block(
    block: &Block,
    prev: Option<&Block>,
    origin: &str,
    verifier: &VerifierKey,
) -> Result<(), String> {
    block
        .header
        .check_follows(prev)
        .map_err(|e| e.to_string())?;
    verify_signed_block(block, origin, verifier)
}

/// Checks a block on its own: its header hash, and its checkpoint signed by the board key
/// stating the header's size and root.
fn verify_signed_block(block: &Block, origin: &str, verifier: &VerifierKey) -> Result<(), String> {
    let hash = block.header.hash().map_err(|e| e.to_string())?;
    if hash != block.hash {
        return Err("stored header hash does not match the header".to_owned());
    }
    let signed = SignedCheckpoint::open(block.header.checkpoint.as_bytes(), origin, verifier, &[])
        .map_err(|e| format!("checkpoint: {e}"))?;
    let cp = signed.checkpoint();
    if cp.size != block.header.tree_size || cp.root != block.header.root {
        return Err("signed checkpoint does not match the header's size and root".to_owned());
    }
    Ok(())
}

/// Runs the check up to tree size `size` and block number `last_block`.
/// `strict` (on open, when nothing is being appended) also rejects stored
/// nodes beyond the tree.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    pool: &Pool,
    log: i64,
    origin: &str,
    verifier: &VerifierKey,
    witnesses: &[VerifierKey],
    size: u64,
    last_block: Option<u64>,
    strict: bool,
    visit: Option<Visitor<'_>>,
) -> Result<CheckReport, BoardError> {
    let mut report = CheckReport {
        tree_size: size,
        ..CheckReport::default()
    };
    let mut entry_bad = First::default();
    let mut block_bad = First::default();

    // Blocks, checkpoints and cosignatures.
    let mut sealed: Vec<Sealed> = Vec::new();
    if let Some(last_block) = last_block {
        let mut prev: Option<Block> = None;
        let mut next = 0u64;
        'pages: while next <= last_block {
            let limit = BLOCK_PAGE.min(last_block - next + 1);
            let rows = pool
                .blocks(log, db::to_i64(next)?, db::to_i64(limit)?)
                .await?;
            let mut page: Vec<Block> = Vec::new();
            let mut stop = rows.is_empty();
            if stop {
                block_bad.offer(next, || format!("block {next} is missing"));
            }
            for row in &rows {
                let number = next;
                if row.number != db::to_i64(number)? {
                    block_bad.offer(number, || format!("block {number} is missing"));
                    stop = true;
                    break;
                }
                let checked = block_from_row(row)
                    .map_err(|e| e.to_string())
                    .and_then(|b| verify_block(&b, prev.as_ref(), origin, verifier).map(|()| b));
                let block = match checked {
                    Ok(b) => b,
                    Err(detail) => {
                        block_bad.offer(number, || format!("block {number}: {detail}"));
                        stop = true;
                        break;
                    }
                };
                if block.header.tree_size > size {
                    let n = block.header.tree_size;
                    entry_bad.offer(size, || {
                        format!("block {number} seals {n} entries but only {size} are stored")
                    });
                    stop = true;
                    break;
                }
                sealed.push(Sealed {
                    size: block.header.tree_size,
                    block_number: number,
                    root: block.header.root,
                });
                report.blocks += 1;
                page.push(block.clone());
                prev = Some(block);
                next += 1;
            }
            check_cosignatures(pool, log, witnesses, &page, &mut block_bad, &mut report).await?;
            if stop {
                break 'pages;
            }
        }
    }

    // Entries and the tree over them.
    check_entries(
        pool,
        log,
        Frontier::default(),
        size,
        &sealed,
        &mut report,
        &mut entry_bad,
        &mut block_bad,
        visit,
    )
    .await?;

    if strict && !entry_bad.found() {
        nodes_beyond(pool, log, size, &mut entry_bad).await?;
    }

    if let Some((first_bad_index, detail)) = entry_bad.0 {
        report.problems.push(Problem {
            location: ProblemLocation::Entry { first_bad_index },
            detail,
        });
    }
    if let Some((number, detail)) = block_bad.0 {
        report.problems.push(Problem {
            location: ProblemLocation::Block { number },
            detail,
        });
    }
    Ok(report)
}

/// The stored nodes beyond a tree of `size` leaves: a problem (on open, when nothing is
/// being appended).
async fn nodes_beyond(
    pool: &Pool,
    log: i64,
    size: u64,
    entry_bad: &mut First,
) -> Result<(), BoardError> {
    for level in 0u8..64 {
        let from = db::to_i64(size >> level)?;
        if let Some(i) = pool.node_at_or_after(log, level, from).await? {
            entry_bad.offer(size, || {
                format!("stored node ({level}, {i}) lies beyond the tree of {size} entries")
            });
        }
    }
    Ok(())
}

/// Checks entries `[frontier.size(), size)` and the stored nodes they complete, pushing their
/// leaves through `frontier` (the tree of the entries before them), and the root at each of
/// the `sealed` checkpoints' sizes in that range. Returns the frontier at the end.
#[allow(clippy::too_many_arguments)]
async fn check_entries(
    pool: &Pool,
    log: i64,
    mut frontier: Frontier,
    size: u64,
    sealed: &[Sealed],
    report: &mut CheckReport,
    entry_bad: &mut First,
    block_bad: &mut First,
    mut visit: Option<Visitor<'_>>,
) -> Result<Frontier, BoardError> {
    let mut a = frontier.size();
    // (`sealed` is in tree-size order.)
    let first = sealed.partition_point(|cp| cp.size <= a);
    let mut checkpoints = sealed[first..].iter().peekable();
    let mut prefetched =
        (a < size).then(|| fetch(pool, log, a, a.saturating_add(ENTRY_PAGE).min(size)));
    while a < size && !entry_bad.found() {
        let b = a.saturating_add(ENTRY_PAGE).min(size);
        let rows = match prefetched.take() {
            Some(page) => fetched(page).await?,
            None => pool.entries(log, db::to_i64(a)?, db::to_i64(b)?).await?,
        };
        if b < size {
            prefetched = Some(fetch(pool, log, b, b.saturating_add(ENTRY_PAGE).min(size)));
        }
        let mut expected: HashMap<NodeId, Hash> = HashMap::with_capacity(2 * rows.len() + 64);
        let mut next = a;
        for row in &rows {
            if row.idx != db::to_i64(next)? {
                entry_bad.offer(next, || {
                    format!("entry {next} is missing (rows removed or reordered)")
                });
                break;
            }
            let kind = u8::try_from(row.kind).ok().and_then(EntryKind::from_u8);
            let Some(kind) = kind else {
                let k = row.kind;
                entry_bad.offer(next, || format!("entry {next} has unknown kind {k}"));
                break;
            };
            if row.payload.len() > MAX_PAYLOAD_SIZE {
                entry_bad.offer(next, || format!("entry {next} payload is over the limit"));
                break;
            }
            let leaf = entry_leaf_hash(kind.to_u8(), &row.payload);
            expected.extend(frontier.push(leaf)?);
            next += 1;
            report.entries += 1;
            while let Some(cp) = checkpoints.next_if(|cp| cp.size <= next) {
                if cp.size == next && frontier.root()? != cp.root {
                    let h = cp.block_number;
                    block_bad.offer(h, || {
                        format!("block {h}: checkpoint root does not match the stored entries")
                    });
                }
            }
        }
        if !entry_bad.found() && next < b {
            entry_bad.offer(next, || format!("entry {next} is missing (rows removed)"));
        }
        // The stored nodes completed by leaves [a, next).
        for level in 0u8..64 {
            let (lo, hi) = (a >> level, next >> level);
            if hi <= lo {
                break;
            }
            let rows = pool
                .node_range(log, level, db::to_i64(lo)?, db::to_i64(hi - 1)?)
                .await?;
            let stored: HashMap<i64, Vec<u8>> = rows.into_iter().collect();
            for i in lo..hi {
                let id = NodeId::new(level, i);
                let completed_by = ((i + 1) << level) - 1;
                let want = expected.get(&id).copied();
                match stored.get(&db::to_i64(i)?) {
                    None => entry_bad.offer(completed_by, || {
                        format!("stored node ({level}, {i}) is missing")
                    }),
                    Some(h) if Hash::from_slice(h) != want => entry_bad.offer(completed_by, || {
                        format!("stored node ({level}, {i}) does not match the entries")
                    }),
                    Some(_) => report.nodes += 1,
                }
            }
        }
        if let Some(visit) = visit.as_mut() {
            if !entry_bad.found() {
                visit(a, entries_of(rows)?).map_err(BoardError::Refused)?;
            }
        }
        a = b;
    }
    if let Some(page) = prefetched {
        page.abort();
    }

    Ok(frontier)
}

/// What the open-time quick check verified: the tree at the current size, from the latest
/// signed checkpoint and the entries after it.
pub(crate) struct Verified {
    /// The frontier of the tree of every stored entry.
    pub frontier: Frontier,
}

/// The open-time check that does not read the whole log (`docs/protocol.md` §10.13): the
/// latest block's header hash and its checkpoint, signed by the board key; the stored tree's
/// root at that block's size, from the stored nodes of the right edge (the only ones an append
/// reads); the entries after it, hashed and compared with the stored nodes they complete; and
/// no stored node beyond the tree. `None` if anything does not hold: the caller then runs the
/// full check, which locates the problem.
pub(crate) async fn quick(
    pool: &Pool,
    log: i64,
    origin: &str,
    verifier: &VerifierKey,
    size: u64,
) -> Result<Option<Verified>, BoardError> {
    let (from, root) = match pool.latest_block(log).await? {
        None => (0, crate::merkle::Hash::EMPTY_TREE),
        Some(row) => {
            let Ok(block) = block_from_row(&row) else {
                return Ok(None);
            };
            if verify_signed_block(&block, origin, verifier).is_err()
                || block.header.tree_size > size
            {
                return Ok(None);
            }
            (block.header.tree_size, block.header.root)
        }
    };
    let map = pool.nodes(log, &Frontier::ids(from)).await?;
    let Ok(frontier) = Frontier::load(from, &map) else {
        return Ok(None);
    };
    if frontier.root().ok() != Some(root) {
        return Ok(None);
    }
    let mut report = CheckReport::default();
    let (mut entry_bad, mut block_bad) = (First::default(), First::default());
    let frontier = check_entries(
        pool,
        log,
        frontier,
        size,
        &[],
        &mut report,
        &mut entry_bad,
        &mut block_bad,
        None,
    )
    .await?;
    if !entry_bad.found() {
        nodes_beyond(pool, log, size, &mut entry_bad).await?;
    }
    if entry_bad.found() || block_bad.found() || frontier.size() != size {
        return Ok(None);
    }
    Ok(Some(Verified { frontier }))
}

/// Verifies the stored cosignatures of the checkpoints of `page` (blocks in
/// order). Cosignatures from keys that are no longer configured are
/// not served and are skipped here.
async fn check_cosignatures(
    pool: &Pool,
    log: i64,
    witnesses: &[VerifierKey],
    page: &[Block],
    block_bad: &mut First,
    report: &mut CheckReport,
) -> Result<(), BoardError> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(());
    };
    let rows = pool
        .cosignatures(
            log,
            db::to_i64(first.header.tree_size)?,
            db::to_i64(last.header.tree_size)?,
        )
        .await?;
    for row in rows {
        let pos =
            page.partition_point(|b| (b.header.tree_size as i128) < i128::from(row.tree_size));
        let Some(block) = page.get(pos) else {
            continue;
        };
        let number = block.header.number;
        if i128::from(row.tree_size) != block.header.tree_size as i128 {
            let s = row.tree_size;
            block_bad.offer(number, || {
                format!("cosignature for size {s}, which no block published")
            });
            continue;
        }
        let configured = witnesses
            .iter()
            .any(|w| w.name() == row.witness && i64::from(w.key_id()) == row.key_id);
        if !configured {
            continue;
        }
        match verify_cosignature(&block.header.checkpoint, &row.line, witnesses) {
            Ok((w, _)) if w.name() == row.witness && i64::from(w.key_id()) == row.key_id => {
                report.cosignatures += 1;
            }
            Ok(_) => block_bad.offer(number, || {
                format!("block {number}: stored cosignature is filed under another witness")
            }),
            Err(e) => block_bad.offer(number, || format!("block {number}: cosignature: {e}")),
        }
    }
    Ok(())
}
