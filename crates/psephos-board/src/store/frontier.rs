//! The right edge of the tree, kept in memory by the writer.
//!
//! Appending leaf `n` reads, at each level, only the last complete node of
//! that level (see [`crate::merkle::stored_hashes_for_append`]), and the root
//! of the tree is made of those same nodes. So the writer keeps just these
//! (at most 64 hashes) and never reads the node table on the append path; the
//! tamper check uses the same structure to rebuild the tree from the entries.

use crate::merkle::{stored_hashes_for_append, tree_root, Hash, MerkleError, NodeId, NodeReader};

/// The last complete node of every level of a tree of `size` leaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frontier {
    size: u64,
    /// `last[L]` is node `(L, (size >> L) - 1)`, for every `L` with
    /// `size >> L > 0`.
    last: Vec<Hash>,
}

impl Frontier {
    /// The node IDs a frontier of `size` holds, to load from storage.
    pub fn ids(size: u64) -> Vec<NodeId> {
        (0u8..64)
            .take_while(|&l| size >> l > 0)
            .map(|l| NodeId::new(l, (size >> l) - 1))
            .collect()
    }

    /// A frontier of `size` from a reader holding at least [`Frontier::ids`].
    pub fn load<R: NodeReader + ?Sized>(size: u64, reader: &R) -> Result<Self, MerkleError> {
        let last = Self::ids(size)
            .into_iter()
            .map(|id| reader.node(id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frontier { size, last })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf; returns the stored nodes it completes.
    pub fn push(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, MerkleError> {
        let nodes = stored_hashes_for_append(self.size, leaf, &*self)?;
        for (id, hash) in &nodes {
            let level = usize::from(id.level);
            if level < self.last.len() {
                self.last[level] = *hash;
            } else {
                self.last.push(*hash);
            }
        }
        self.size += 1; // stored_hashes_for_append rejects a full tree
        Ok(nodes)
    }

    /// The root of the tree.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        tree_root(self.size, self)
    }
}

impl NodeReader for Frontier {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        let count = self.size.checked_shr(u32::from(id.level)).unwrap_or(0);
        match self.last.get(usize::from(id.level)) {
            Some(h) if count > 0 && id.index == count - 1 => Ok(*h),
            _ => Err(MerkleError::MissingNode {
                level: id.level,
                index: id.index,
            }),
        }
    }

    fn tree_size(&self) -> Option<u64> {
        Some(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, MemoryTree};

    #[test]
    fn matches_memory_tree() {
        let mut f = Frontier::default();
        let mut t = MemoryTree::new();
        for i in 0u64..300 {
            let leaf = leaf_hash(&i.to_be_bytes());
            let nodes = f.push(leaf).unwrap();
            t.push_leaf_hash(leaf).unwrap();
            for (id, h) in nodes {
                assert_eq!(t.node(id).unwrap(), h);
            }
            assert_eq!(f.root().unwrap(), t.root().unwrap());
            let reloaded = Frontier::load(f.size(), &t).unwrap();
            assert_eq!(reloaded.root().unwrap(), f.root().unwrap());
        }
    }
}
