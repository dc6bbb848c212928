//! The board checks: the Merkle tree recomputed from the entries as they stream by (a compact
//! frontier of at most 64 hashes), every block's link and checkpoint, the witnesses'
//! cosignatures and quorum, and the checkpoints the verifier already trusts.

use psephos_board::block::Block;
use psephos_board::checkpoint::SignedCheckpoint;
use psephos_board::merkle::{node_hash, Hash};
use psephos_board::note::{Note, NoteError, SignatureType, VerifierKey};

use super::report::Tracker;
use super::Anchor;
use crate::format::RecordBlock;

/// The right edge of an RFC 9162 tree: the roots of its perfect subtrees, largest first. Enough
/// to compute the root of the leaves pushed so far, in O(log n) memory.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)` of each perfect subtree, left to right.
    stack: Vec<(u32, Hash)>,
}

impl Frontier {
    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(h, left)) = self.stack.last() {
            if h != node.0 {
                break;
            }
            self.stack.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// Leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `MTH` of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return Hash::EMPTY_TREE;
        };
        for &(_, left) in it {
            acc = node_hash(&left, &acc);
        }
        acc
    }
}

pub(crate) struct BoardChecker {
    origin: String,
    key: VerifierKey,
    witnesses: Vec<VerifierKey>,
    quorum: u32,
    /// The trusted checkpoints that opened under the board's origin and key: `(size, root)`.
    anchors: Vec<(u64, Hash)>,
    frontier: Frontier,
    prev: Option<Block>,
    last_block: Option<RecordBlock>,
    pub checkpoints: Tracker,
    pub blocks: Tracker,
    pub merkle: Tracker,
    pub witness: Tracker,
    pub anchor: Tracker,
}

impl BoardChecker {
    pub fn new(
        origin: String,
        key: VerifierKey,
        witnesses: Vec<VerifierKey>,
        quorum: u32,
        anchors: Vec<Anchor>,
    ) -> Self {
        let mut anchor = Tracker::default();
        if anchors.is_empty() {
            anchor.not_applicable = Some(
                "no trusted checkpoint given (--checkpoint): a fork of the whole history is caught only by the witnesses".into(),
            );
        }
        // A trusted checkpoint counts only if it is the board's: signed by the board key this
        // verification uses (pinned or the header's) under the record's origin. A checkpoint of
        // another key or origin would "anchor" nothing, and a receipt's checkpoint that does not
        // open is exactly what exposes a record whose board key was replaced.
        let mut opened = Vec::with_capacity(anchors.len());
        for a in &anchors {
            match SignedCheckpoint::open(a.note.as_bytes(), &origin, &key, &[]) {
                Ok(cp) => opened.push((cp.checkpoint().size, cp.checkpoint().root)),
                Err(e) => anchor.fail(|| {
                    format!("a trusted checkpoint does not open under the board's origin {origin:?} and key {key}: {e}")
                }),
            }
        }
        BoardChecker {
            origin,
            key,
            witnesses,
            quorum,
            anchors: opened,
            frontier: Frontier::default(),
            prev: None,
            last_block: None,
            checkpoints: Tracker::default(),
            blocks: Tracker::default(),
            merkle: Tracker::default(),
            witness: Tracker::default(),
            anchor,
        }
    }

    /// The next entry's leaf hash.
    pub fn leaf(&mut self, leaf: Hash) {
        self.frontier.push(leaf);
        let size = self.frontier.size();
        if self.anchors.iter().any(|a| a.0 == size) {
            let root = self.frontier.root();
            for a in self.anchors.iter().filter(|a| a.0 == size) {
                if a.1 == root {
                    self.anchor.pass();
                } else {
                    self.anchor.fail(|| {
                        format!(
                            "the trusted checkpoint of size {size} has root {}, the record's first {size} entries have root {root}: the record is another history (a fork)",
                            a.1
                        )
                    });
                }
            }
        }
    }

    /// A block, right after the last entry it covers.
    pub fn block(&mut self, b: RecordBlock) {
        let h = &b.header;
        let number = h.number;
        // Chain.
        match Block::new(h.clone()) {
            Ok(block) => {
                match h.check_follows(self.prev.as_ref()) {
                    Ok(()) => self.blocks.pass(),
                    Err(e) => self.blocks.fail(|| e.to_string()),
                }
                self.prev = Some(block);
            }
            Err(e) => self
                .blocks
                .fail(|| format!("block {number}: header does not encode: {e}")),
        }
        // The board's signature and the body's size and root.
        match SignedCheckpoint::open(h.checkpoint.as_bytes(), &self.origin, &self.key, &[]) {
            Ok(cp) => {
                let body = cp.checkpoint();
                let lines = cp.note().signatures().len();
                if lines != 1 {
                    // §10.9: the header holds the note as the board signed it, without
                    // cosignatures; those are the record's cosignature lines (counted by
                    // check 5), never lines smuggled into the signed header.
                    self.checkpoints.fail(|| {
                        format!(
                            "block {number}: the checkpoint in the header carries {lines} signature lines; it must carry only the board's (cosignatures come beside the header)"
                        )
                    });
                } else if body.size != h.tree_size || body.root != h.root {
                    self.checkpoints.fail(|| {
                        format!(
                            "block {number}: the checkpoint states size {} and root {}, the header {} and {}",
                            body.size, body.root, h.tree_size, h.root
                        )
                    });
                } else {
                    self.checkpoints.pass();
                }
            }
            Err(e) => self
                .checkpoints
                .fail(|| format!("block {number}: checkpoint does not open: {e}")),
        }
        // The root recomputed from the entries (the format guarantees the frontier's size is
        // the block's tree size; the checkpoint check above ties the header to the signed body).
        let root = self.frontier.root();
        if root == h.root {
            self.merkle.pass();
        } else {
            self.merkle.fail(|| {
                format!(
                    "block {number}: the first {} entries have root {root}, the block states {}",
                    h.tree_size, h.root
                )
            });
        }
        // Cosignatures: every line by a listed witness must verify.
        if !b.cosignatures.is_empty() {
            match verified_witnesses(&b, &self.witnesses) {
                Ok(_) => self.witness.pass(),
                Err(e) => self
                    .witness
                    .fail(|| format!("block {number}: a cosignature does not verify: {e}")),
            }
        }
        self.last_block = Some(b);
    }

    /// After the last frame: coverage, quorum, anchors beyond the record.
    pub fn finish(&mut self) {
        let n = self.frontier.size();
        match &self.last_block {
            Some(b) if b.header.tree_size == n => {}
            Some(b) => {
                let covered = b.header.tree_size;
                self.merkle
                    .fail(|| format!("entries {covered}..{n} are under no signed checkpoint"));
            }
            None if n > 0 => self
                .merkle
                .fail(|| format!("the record has {n} entries and no signed checkpoint")),
            None => {}
        }
        if self.last_block.is_none() && self.quorum > 0 {
            let q = self.quorum;
            self.witness.fail(|| {
                format!("the record has no checkpoint, so none carries the quorum of {q} witness cosignatures")
            });
        }
        if self.witnesses.is_empty() && self.quorum == 0 {
            self.witness.note(
                "no witnesses are configured: the board's checkpoints are not independently cosigned".into(),
            );
        } else if self.quorum == 0 {
            self.witness
                .note("the quorum is 0: no witness cosignature is required".into());
        }
        if let Some(b) = &self.last_block {
            let got = verified_witnesses(b, &self.witnesses).unwrap_or_default();
            if (got as u64) < u64::from(self.quorum) {
                let q = self.quorum;
                let number = b.header.number;
                self.witness.fail(|| {
                    format!(
                        "the last checkpoint (block {number}) has {got} valid witness cosignatures, the quorum is {q}"
                    )
                });
            } else {
                self.witness.pass();
            }
        }
        for a in &self.anchors {
            if a.0 > n {
                let size = a.0;
                self.anchor.fail(|| {
                    format!("a trusted checkpoint has size {size}, the record only {n} entries: it was truncated or forked")
                });
            }
        }
    }
}

/// How many distinct listed witnesses validly cosigned this block's checkpoint; an error if a
/// line by a listed witness does not verify.
///
/// Only the record's cosignature lines count, and only under `cosignature/v1` keys: the
/// header's note contributes its text, never a signature line (§10.9), and a key of another
/// type is no witness (the caller refuses such keys where they enter; this is the last guard).
fn verified_witnesses(b: &RecordBlock, witnesses: &[VerifierKey]) -> Result<usize, NoteError> {
    let witnesses: Vec<VerifierKey> = witnesses
        .iter()
        .filter(|w| w.signature_type() == SignatureType::CosignatureV1)
        .cloned()
        .collect();
    if witnesses.is_empty() {
        return Ok(0);
    }
    let header = Note::parse(b.header.checkpoint.as_bytes())?;
    let mut cosigned = header.text().to_owned();
    cosigned.push('\n');
    for line in &b.cosignatures {
        cosigned.push_str(line);
        cosigned.push('\n');
    }
    let note = match Note::parse(cosigned.as_bytes()) {
        Ok(n) => n,
        // No cosignature lines at all: nothing to count.
        Err(NoteError::NoSignatures) => return Ok(0),
        Err(e) => return Err(e),
    };
    match note.verify(&witnesses) {
        Ok(v) => Ok(v.len()),
        Err(NoteError::NoKnownSignature) => Ok(0),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psephos_board::merkle::{leaf_hash, MemoryTree};

    #[test]
    fn frontier_matches_the_tree() {
        let mut f = Frontier::default();
        assert_eq!(f.root(), Hash::EMPTY_TREE);
        let mut t = MemoryTree::new();
        for i in 0u64..70 {
            let data = i.to_be_bytes();
            f.push(leaf_hash(&data));
            t.push(&data).unwrap();
            assert_eq!(f.root(), t.root().unwrap(), "size {}", i + 1);
        }
    }
}
