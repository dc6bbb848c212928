//! Merkle tree hashing and proofs for the bulletin board (RFC 9162 §2.1).
//!
//! Every board entry is a leaf of one append-only Merkle tree. A signed
//! checkpoint commits to the tree's size and root; a voter's receipt carries an
//! [`InclusionProof`] of their ballot against one checkpoint, and witnesses
//! accept a new checkpoint only with a [`ConsistencyProof`] from the last one
//! they saw. Anyone outside the board runs only the verifiers,
//! [`verify_inclusion`] and [`verify_consistency`], which implement the
//! algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 step by step. A proof means
//! something only against the size *and* root of one signed checkpoint: the
//! verifiers take both.
//!
//! The provers ([`tree_root`], [`inclusion_proof`], [`consistency_proof`]) are
//! pure functions over a [`NodeReader`], as in Go's `sumdb/tlog`, so storage
//! stays out of this module. The store keeps the hash of every *complete*
//! subtree: node `(level L, index i)` is the hash of leaves
//! `[i·2^L, (i+1)·2^L)`, level 0 being the leaf hashes. Appending leaf `n`
//! writes the nodes listed by [`stored_hashes_for_append`]: the leaf hash plus
//! one node per trailing one bit of `n`. Every prover reads O(log n) stored
//! hashes. Which ones depends only on the sizes, so an asynchronous store can
//! ask [`inclusion_proof_nodes`] (and friends) first, fetch those nodes in one
//! query into a map (which implements [`NodeReader`]), and prove from the map.
//!
//! Nothing here panics on any input: sizes and indices are `u64` and all
//! arithmetic is checked or provably in range.

use core::cell::RefCell;
use core::fmt;
use core::str::FromStr;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 9162 §2.1.1).
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
///
/// Serialised (serde) and displayed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
    pub const EMPTY_TREE: Hash = Hash([
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ]);

    /// The 32 hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A hash from a slice, if it is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Self {
        Hash(bytes)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// A string that is not 64 hex digits was given where a [`struct@Hash`] was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash: expected 64 hex digits")]
pub struct ParseHashError;

impl FromStr for Hash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseHashError)?;
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexVisitor;
        impl serde::de::Visitor<'_> for HexVisitor {
            type Value = Hash;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hash as 64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Hash, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(HexVisitor)
    }
}

/// The hash of a leaf holding `data`: `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Why a Merkle computation or verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// A leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size it was asked against.
        size: u64,
    },
    /// A size is larger than the tree it refers to (a proof for a size the
    /// store does not have yet, or a consistency proof from a larger tree to a
    /// smaller one).
    #[error("size {size} is larger than the tree ({tree_size} leaves)")]
    SizeBeyondTree {
        /// The size asked for.
        size: u64,
        /// The size of the tree.
        tree_size: u64,
    },
    /// A proof has the wrong number of hashes for its sizes.
    #[error("proof has {got} hashes, expected {expected}")]
    WrongProofLength {
        /// The length RFC 9162 requires for these sizes.
        expected: usize,
        /// The length of the proof given.
        got: usize,
    },
    /// The proof does not lead to the given root(s). Deliberately says no more.
    #[error("proof does not match the root")]
    Mismatch,
    /// The reader does not hold a stored hash the computation needs.
    #[error("stored hash at level {level}, index {index} is missing")]
    MissingNode {
        /// Level of the missing node.
        level: u8,
        /// Index of the missing node within its level.
        index: u64,
    },
    /// The tree already has 2^64 − 1 leaves: one more would not fit in a `u64`.
    #[error("the tree is full")]
    TreeFull,
}

/// The position of a stored hash: the complete subtree of `2^level` leaves
/// starting at leaf `index · 2^level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId {
    /// Level of the subtree: 0 for a leaf hash, one more for each parent. At most 63.
    pub level: u8,
    /// Index of the subtree among those of its level.
    pub index: u64,
}

impl NodeId {
    /// The node at `level`, `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }
}

/// Read access to stored hashes of complete subtrees (see the module docs for
/// the layout).
pub trait NodeReader {
    /// The stored hash of node `id`, or [`MerkleError::MissingNode`].
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError>;

    /// The number of leaves the store holds, if it knows; provers then reject
    /// sizes beyond it with [`MerkleError::SizeBeyondTree`] before reading.
    fn tree_size(&self) -> Option<u64> {
        None
    }
}

impl<R: NodeReader + ?Sized> NodeReader for &R {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        (**self).node(id)
    }
    fn tree_size(&self) -> Option<u64> {
        (**self).tree_size()
    }
}

impl<S: core::hash::BuildHasher> NodeReader for HashMap<NodeId, Hash, S> {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        self.get(&id).copied().ok_or(missing(id))
    }
}

impl NodeReader for BTreeMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        self.get(&id).copied().ok_or(missing(id))
    }
}

fn missing(id: NodeId) -> MerkleError {
    MerkleError::MissingNode {
        level: id.level,
        index: id.index,
    }
}

fn check_size<R: NodeReader + ?Sized>(size: u64, reader: &R) -> Result<(), MerkleError> {
    match reader.tree_size() {
        Some(tree_size) if size > tree_size => Err(MerkleError::SizeBeyondTree { size, tree_size }),
        _ => Ok(()),
    }
}

/// The stored hashes to write when appending the leaf with hash `leaf` as leaf
/// number `n` (so the tree grows from `n` to `n + 1` leaves): the leaf hash at
/// `(0, n)` and, for each trailing one bit of `n`, the newly completed subtree
/// above it. Reads one stored sibling per trailing one bit.
pub fn stored_hashes_for_append<R: NodeReader + ?Sized>(
    n: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<(NodeId, Hash)>, MerkleError> {
    if n == u64::MAX {
        return Err(MerkleError::TreeFull);
    }
    check_size(n, reader)?;
    let mut out = vec![(NodeId::new(0, n), leaf)];
    let mut hash = leaf;
    let mut level = 0u8;
    let mut index = n;
    while index & 1 == 1 {
        // `index` is odd, so `index - 1` cannot underflow.
        let left = reader.node(NodeId::new(level, index - 1))?;
        hash = node_hash(&left, &hash);
        level += 1; // at most 63: n < 2^64 − 1 has at most 63 trailing ones
        index >>= 1;
        out.push((NodeId::new(level, index), hash));
    }
    Ok(out)
}

/// The largest power of two strictly below `n`, for `n ≥ 2` (the split point
/// `k` of RFC 9162 §2.1.1).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n.saturating_sub(1) | 1).leading_zeros())
}

/// MTH of leaves `[lo, hi)` for a range that occurs in the RFC 9162 recursion
/// (`lo` is a multiple of a power of two that is at least `hi − lo`), from the
/// stored complete subtrees that tile it, largest first.
fn subtree_hash<R: NodeReader + ?Sized>(reader: &R, lo: u64, hi: u64) -> Result<Hash, MerkleError> {
    let mut parts: Vec<Hash> = Vec::new();
    let mut start = lo;
    while start < hi {
        let len = hi - start;
        let by_len = 63 - len.leading_zeros(); // len ≥ 1
        let level = by_len.min(start.trailing_zeros()); // ≤ 63
        parts.push(reader.node(NodeId::new(level as u8, start >> level))?);
        start += 1u64 << level; // start + 2^level ≤ hi
    }
    let mut from_right = parts.into_iter().rev();
    let Some(mut hash) = from_right.next() else {
        return Ok(Hash::EMPTY_TREE);
    };
    for left in from_right {
        hash = node_hash(&left, &hash);
    }
    Ok(hash)
}

/// The root hash of the tree's first `size` leaves (RFC 9162 MTH).
pub fn tree_root<R: NodeReader + ?Sized>(size: u64, reader: &R) -> Result<Hash, MerkleError> {
    check_size(size, reader)?;
    if size == 0 {
        return Ok(Hash::EMPTY_TREE);
    }
    subtree_hash(reader, 0, size)
}

/// An RFC 9162 inclusion proof (audit path): sibling hashes from the leaf up.
/// Meaningful only with the leaf index and the tree size and root of one
/// signed checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The audit path, bottom-up.
    pub hashes: Vec<Hash>,
}

/// An RFC 9162 consistency proof between two tree sizes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The consistency path, bottom-up.
    pub hashes: Vec<Hash>,
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 §2.1.3.1, PATH).
pub fn inclusion_proof<R: NodeReader + ?Sized>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<InclusionProof, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    check_size(size, reader)?;
    // Walk down from the root; the sibling at each step is appended by the
    // recursive definition after the deeper part, so collect and reverse.
    let (mut lo, mut hi) = (0u64, size);
    let mut hashes = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            hashes.push(subtree_hash(reader, mid, hi)?);
            hi = mid;
        } else {
            hashes.push(subtree_hash(reader, lo, mid)?);
            lo = mid;
        }
    }
    hashes.reverse();
    Ok(InclusionProof { hashes })
}

/// The consistency proof from the tree of the first `old_size` leaves to the
/// tree of the first `new_size` leaves (RFC 9162 §2.1.4.1, PROOF and
/// SUBPROOF). Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof<R: NodeReader + ?Sized>(
    old_size: u64,
    new_size: u64,
    reader: &R,
) -> Result<ConsistencyProof, MerkleError> {
    if old_size > new_size {
        return Err(MerkleError::SizeBeyondTree {
            size: old_size,
            tree_size: new_size,
        });
    }
    check_size(new_size, reader)?;
    let mut hashes = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(ConsistencyProof { hashes });
    }
    // SUBPROOF(m, D[lo:hi], b) unrolled: `m` counts old leaves within [lo, hi).
    let (mut m, mut lo, mut hi, mut whole_old_tree) = (old_size, 0u64, new_size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole_old_tree {
                hashes.push(subtree_hash(reader, lo, hi)?);
            }
            break;
        }
        // Here 0 < m < n, so n ≥ 2.
        let k = split_point(n);
        if m <= k {
            hashes.push(subtree_hash(reader, lo + k, hi)?);
            hi = lo + k;
        } else {
            hashes.push(subtree_hash(reader, lo, lo + k)?);
            m -= k;
            lo += k;
            whole_old_tree = false;
        }
    }
    hashes.reverse();
    Ok(ConsistencyProof { hashes })
}

/// A reader that records which nodes are asked for and answers with zeros.
/// The nodes a prover reads depend only on the sizes, never on hash values.
struct RecordingReader(RefCell<Vec<NodeId>>);

impl NodeReader for RecordingReader {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        self.0.borrow_mut().push(id);
        Ok(Hash([0; 32]))
    }
}

fn record<T>(
    prove: impl FnOnce(&RecordingReader) -> Result<T, MerkleError>,
) -> Result<Vec<NodeId>, MerkleError> {
    let reader = RecordingReader(RefCell::new(Vec::new()));
    prove(&reader)?;
    let mut ids = reader.0.into_inner();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The stored nodes [`tree_root`] reads for `size`, sorted.
pub fn tree_root_nodes(size: u64) -> Result<Vec<NodeId>, MerkleError> {
    record(|r| tree_root(size, r))
}

/// The stored nodes [`inclusion_proof`] reads for `index`, `size`, sorted.
pub fn inclusion_proof_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, MerkleError> {
    record(|r| inclusion_proof(index, size, r))
}

/// The stored nodes [`consistency_proof`] reads for `old_size`, `new_size`,
/// sorted.
pub fn consistency_proof_nodes(old_size: u64, new_size: u64) -> Result<Vec<NodeId>, MerkleError> {
    record(|r| consistency_proof(old_size, new_size, r))
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size`
/// leaves, for `index < size`: the inner part below the point where the
/// paths to `index` and to the last leaf split, plus one per left border
/// subtree above it.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = decompose_inclusion(index, size);
    inner as usize + border as usize
}

fn decompose_inclusion(index: u64, size: u64) -> (u32, u32) {
    let inner = 64 - (index ^ size.saturating_sub(1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

/// Number of hashes in the consistency proof from `old_size` to `new_size`,
/// for `0 < old_size < new_size`.
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    let (inner, border) = decompose_inclusion(old_size - 1, new_size);
    let inner = inner.saturating_sub(old_size.trailing_zeros());
    let seed = usize::from(!old_size.is_power_of_two());
    seed + inner as usize + border as usize
}

/// Verifies that `leaf` is leaf number `index` of the tree of `size` leaves
/// with root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &InclusionProof,
    root: &Hash,
) -> Result<(), MerkleError> {
    // Step 1.
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    // The algorithm below also rejects every proof of the wrong length; this
    // check only names the failure precisely.
    let expected = inclusion_proof_len(index, size);
    if proof.hashes.len() != expected {
        return Err(MerkleError::WrongProofLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    // Steps 2 and 3.
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    // Step 4.
    for p in &proof.hashes {
        if snode == 0 {
            return Err(MerkleError::WrongProofLength {
                expected,
                got: proof.hashes.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    if snode != 0 {
        return Err(MerkleError::WrongProofLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    if r != *root {
        return Err(MerkleError::Mismatch);
    }
    Ok(())
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends
/// the tree of `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
///
/// The RFC algorithm covers `0 < old_size < new_size`. Around it: equal sizes
/// need an empty proof and equal roots; an old size of 0 needs an empty proof
/// and the empty-tree root; an old size above the new one is
/// [`MerkleError::SizeBeyondTree`].
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &ConsistencyProof,
) -> Result<(), MerkleError> {
    let got = proof.hashes.len();
    if old_size > new_size {
        return Err(MerkleError::SizeBeyondTree {
            size: old_size,
            tree_size: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if got != 0 {
            return Err(MerkleError::WrongProofLength { expected: 0, got });
        }
        let consistent = if old_size == 0 {
            *old_root == Hash::EMPTY_TREE
        } else {
            old_root == new_root
        };
        return if consistent {
            Ok(())
        } else {
            Err(MerkleError::Mismatch)
        };
    }
    let expected = consistency_proof_len(old_size, new_size);
    let wrong_length = MerkleError::WrongProofLength { expected, got };
    if got != expected {
        return Err(wrong_length);
    }
    // Step 1: an empty path fails (cannot happen after the length check).
    // Step 2: if the old size is a power of two, the old root seeds the path.
    let seed = old_size.is_power_of_two().then_some(old_root);
    let mut path = seed.into_iter().chain(proof.hashes.iter());
    let Some(first) = path.next() else {
        return Err(wrong_length);
    };
    // Step 3.
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    // Step 4.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (*first, *first);
    // Step 6.
    for c in path {
        if snode == 0 {
            return Err(wrong_length);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root || sr != *new_root {
        return Err(MerkleError::Mismatch);
    }
    Ok(())
}

/// An in-memory tree in the stored-hash layout, for tests and small tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[L][i]` is the stored node `(L, i)`.
    levels: Vec<Vec<Hash>>,
    size: u64,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding `leaves` (raw entry bytes, hashed as leaves) in order.
    pub fn from_leaves<I, D>(leaves: I) -> Result<Self, MerkleError>
    where
        I: IntoIterator<Item = D>,
        D: AsRef<[u8]>,
    {
        let mut tree = Self::new();
        for data in leaves {
            tree.push(data.as_ref())?;
        }
        Ok(tree)
    }

    /// Appends a leaf holding `data`; returns its index.
    pub fn push(&mut self, data: &[u8]) -> Result<u64, MerkleError> {
        self.push_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf by its leaf hash; returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> Result<u64, MerkleError> {
        let index = self.size;
        let stored = stored_hashes_for_append(index, leaf, &*self)?;
        for (id, hash) in stored {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            if let Some(row) = self.levels.get_mut(level) {
                debug_assert_eq!(row.len() as u64, id.index, "stored hashes arrive in order");
                row.push(hash);
            }
        }
        self.size += 1; // cannot overflow: `stored_hashes_for_append` rejects u64::MAX
        Ok(index)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Root hash of the whole tree.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        tree_root(self.size, self)
    }
}

impl NodeReader for MemoryTree {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        usize::try_from(id.index)
            .ok()
            .and_then(|i| self.levels.get(usize::from(id.level))?.get(i))
            .copied()
            .ok_or(missing(id))
    }

    fn tree_size(&self) -> Option<u64> {
        Some(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tree(n: u64) -> MemoryTree {
        MemoryTree::from_leaves((0..n).map(|i| i.to_be_bytes())).unwrap()
    }

    #[test]
    fn empty_tree_constant_is_sha256_of_nothing() {
        assert_eq!(Hash::EMPTY_TREE.0, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(MemoryTree::new().root().unwrap(), Hash::EMPTY_TREE);
    }

    /// Roots of the RFC 6962 reference leaves, as used by the Certificate
    /// Transparency and transparency-dev test suites.
    #[test]
    fn known_answer_roots() {
        let leaves: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut t = MemoryTree::new();
        for (data, want) in leaves.iter().zip(roots) {
            t.push(data).unwrap();
            assert_eq!(t.root().unwrap().to_string(), want, "size {}", t.size());
        }
    }

    #[test]
    fn hash_text_and_serde_round_trip() {
        let h = leaf_hash(b"x");
        assert_eq!(h.to_string().parse::<Hash>().unwrap(), h);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{h}\""));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert!("00".parse::<Hash>().is_err());
        assert!(serde_json::from_str::<Hash>("\"zz\"").is_err());
        assert_eq!(Hash::from_slice(&[0; 31]), None);
    }

    #[test]
    fn append_writes_leaf_and_completed_subtrees() {
        let t = tree(7);
        let stored = stored_hashes_for_append(7, leaf_hash(b"new"), &t).unwrap();
        let ids: Vec<NodeId> = stored.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids,
            [
                NodeId::new(0, 7),
                NodeId::new(1, 3),
                NodeId::new(2, 1),
                NodeId::new(3, 0)
            ]
        );
        let stored = stored_hashes_for_append(6, leaf_hash(b"new"), &t).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored_hashes_for_append(8, leaf_hash(b"new"), &t),
            Err(MerkleError::SizeBeyondTree {
                size: 8,
                tree_size: 7
            })
        );
        assert_eq!(
            stored_hashes_for_append(u64::MAX, leaf_hash(b"new"), &t),
            Err(MerkleError::TreeFull)
        );
    }

    #[test]
    fn prefetched_nodes_suffice() {
        let t = tree(45);
        for (index, size) in [(0, 1), (3, 17), (44, 45), (31, 32), (12, 40)] {
            let ids = inclusion_proof_nodes(index, size).unwrap();
            let map: BTreeMap<NodeId, Hash> =
                ids.iter().map(|id| (*id, t.node(*id).unwrap())).collect();
            assert_eq!(
                inclusion_proof(index, size, &map).unwrap(),
                inclusion_proof(index, size, &t).unwrap()
            );
        }
        for (old, new) in [(1, 2), (3, 45), (32, 45), (7, 8), (0, 9), (9, 9)] {
            let ids = consistency_proof_nodes(old, new).unwrap();
            let map: HashMap<NodeId, Hash> =
                ids.iter().map(|id| (*id, t.node(*id).unwrap())).collect();
            assert_eq!(
                consistency_proof(old, new, &map).unwrap(),
                consistency_proof(old, new, &t).unwrap()
            );
        }
        let ids = tree_root_nodes(45).unwrap();
        assert_eq!(
            ids,
            [
                NodeId::new(0, 44),
                NodeId::new(2, 10),
                NodeId::new(3, 4),
                NodeId::new(5, 0)
            ]
        );
        assert!(tree_root_nodes(0).unwrap().is_empty());
    }

    #[test]
    fn missing_node_is_an_error_not_a_panic() {
        let map = BTreeMap::new();
        assert_eq!(
            tree_root(3, &map),
            Err(MerkleError::MissingNode { level: 1, index: 0 })
        );
    }

    #[test]
    fn huge_sizes_do_not_panic() {
        let nodes = inclusion_proof_nodes(u64::MAX - 1, u64::MAX).unwrap();
        assert!(nodes.len() <= 128);
        let nodes = consistency_proof_nodes(u64::MAX / 3, u64::MAX).unwrap();
        assert!(nodes.len() <= 128);
        assert!(tree_root_nodes(u64::MAX).unwrap().len() == 64);
        let h = Hash([7; 32]);
        let proof = InclusionProof {
            hashes: vec![h; 64],
        };
        assert!(verify_inclusion(&h, u64::MAX - 1, u64::MAX, &proof, &h).is_err());
        assert!(verify_inclusion(&h, 1 << 63, u64::MAX, &proof, &h).is_err());
        let proof = ConsistencyProof {
            hashes: vec![h; 64],
        };
        assert!(verify_consistency(1 << 63, u64::MAX, &h, &h, &proof).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &h, &h, &proof).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Proof lengths predicted by the verifiers equal those the provers make.
        #[test]
        fn proof_lengths_match(size in 1u64..5000, a in any::<u64>(), b in any::<u64>()) {
            let index = a % size;
            let ids = inclusion_proof(index, size, &RecordingReader(RefCell::new(Vec::new())))
                .unwrap();
            prop_assert_eq!(ids.hashes.len(), inclusion_proof_len(index, size));
            let old = 1 + b % size;
            if old < size {
                let proof = consistency_proof(old, size, &RecordingReader(RefCell::new(Vec::new())))
                    .unwrap();
                prop_assert_eq!(proof.hashes.len(), consistency_proof_len(old, size));
            }
        }

        /// The verifiers never panic, whatever they are given.
        #[test]
        fn verifiers_total(
            index in any::<u64>(),
            size in any::<u64>(),
            old in any::<u64>(),
            bytes in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        ) {
            let hashes: Vec<Hash> = bytes.into_iter().map(Hash).collect();
            let h = Hash([1; 32]);
            let _ = verify_inclusion(&h, index, size, &InclusionProof { hashes: hashes.clone() }, &h);
            let _ = verify_consistency(old, size, &h, &h, &ConsistencyProof { hashes });
        }

        /// Prover reads are O(log n).
        #[test]
        fn logarithmic_reads(size in 1u64.., a in any::<u64>()) {
            let index = a % size;
            prop_assert!(inclusion_proof_nodes(index, size).unwrap().len() <= 2 * 64);
            prop_assert!(consistency_proof_nodes(index, size).unwrap().len() <= 2 * 64);
        }
    }
}
