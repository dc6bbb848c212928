//! The Merkle provers and verifiers against the naive RFC 9162 reference,
//! exhaustively for trees of 0..=70 leaves, with negative cases and property
//! tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit::merkle as common;

use std::cell::Cell;

use common::naive;
use proptest::prelude::*;
use psephos_board::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, stored_hashes_for_append, tree_root,
    verify_consistency, verify_inclusion, ConsistencyProof, Hash, InclusionProof, MemoryTree,
    MerkleError, NodeId, NodeReader,
};

const MAX: usize = 70;

fn tree(n: usize) -> MemoryTree {
    MemoryTree::from_leaves((0..n).map(naive::leaf_data)).unwrap()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut out = *h;
    out.0[(bit / 8) % 32] ^= 1 << (bit % 8);
    out
}

#[test]
fn leaf_hash_matches_reference() {
    for i in 0..10 {
        assert_eq!(
            leaf_hash(&naive::leaf_data(i)),
            naive::leaf(&naive::leaf_data(i))
        );
    }
}

#[test]
fn roots_and_proofs_match_reference_for_every_size_up_to_70() {
    let d = naive::leaves(MAX);
    for n in 0..=MAX {
        // A tree of exactly n leaves, so its own size is checked too.
        let t = tree(n);
        assert_eq!(t.size(), n as u64);
        assert_eq!(t.root().unwrap(), naive::mth(&d[..n]), "root of {n}");
        let root = naive::mth(&d[..n]);
        for m in 0..n {
            let proof = inclusion_proof(m as u64, n as u64, &t).unwrap();
            assert_eq!(proof.hashes, naive::path(m, &d[..n]), "path {m} in {n}");
            verify_inclusion(&d[m], m as u64, n as u64, &proof, &root).unwrap();
        }
        for m in 0..=n {
            let proof = consistency_proof(m as u64, n as u64, &t).unwrap();
            assert_eq!(proof.hashes, naive::proof(m, &d[..n]), "proof {m} to {n}");
            let old_root = naive::mth(&d[..m]);
            verify_consistency(m as u64, n as u64, &old_root, &root, &proof).unwrap();
        }
    }
}

#[test]
fn older_sizes_are_served_from_a_larger_tree() {
    let d = naive::leaves(MAX);
    let t = tree(MAX);
    for n in 0..=MAX {
        assert_eq!(tree_root(n as u64, &t).unwrap(), naive::mth(&d[..n]));
        for m in (0..n).step_by(7) {
            let proof = inclusion_proof(m as u64, n as u64, &t).unwrap();
            assert_eq!(proof.hashes, naive::path(m, &d[..n]));
            let proof = consistency_proof(m as u64, n as u64, &t).unwrap();
            assert_eq!(proof.hashes, naive::proof(m, &d[..n]));
        }
    }
}

#[test]
fn memory_tree_stores_exactly_the_complete_subtrees() {
    let d = naive::leaves(MAX);
    let t = tree(MAX);
    for level in 0u8..8 {
        let width = 1usize << level;
        for index in 0..=(MAX / width) {
            let got = t.node(NodeId::new(level, index as u64));
            if (index + 1) * width <= MAX {
                assert_eq!(
                    got.unwrap(),
                    naive::mth(&d[index * width..(index + 1) * width])
                );
            } else {
                assert_eq!(
                    got,
                    Err(MerkleError::MissingNode {
                        level,
                        index: index as u64
                    })
                );
            }
        }
    }
}

#[test]
fn appending_one_leaf_writes_what_append_computes() {
    let mut t = tree(0);
    for n in 0..40u64 {
        let leaf = leaf_hash(&naive::leaf_data(n as usize));
        let stored = stored_hashes_for_append(n, leaf, &t).unwrap();
        assert_eq!(stored.len(), 1 + n.trailing_ones() as usize);
        t.push_leaf_hash(leaf).unwrap();
        for (id, hash) in stored {
            assert_eq!(t.node(id).unwrap(), hash);
        }
    }
}

#[test]
fn every_flipped_bit_and_wrong_parameter_is_rejected() {
    let d = naive::leaves(MAX);
    let t = tree(MAX);
    for n in 1..=33u64 {
        let root = tree_root(n, &t).unwrap();
        for m in 0..n {
            let leaf = d[m as usize];
            let proof = inclusion_proof(m, n, &t).unwrap();
            for i in 0..proof.hashes.len() {
                for bit in [0, 77, 255] {
                    let mut bad = proof.clone();
                    bad.hashes[i] = flip(&bad.hashes[i], bit);
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &bad, &root),
                        Err(MerkleError::Mismatch)
                    );
                }
            }
            assert_eq!(
                verify_inclusion(&flip(&leaf, 1), m, n, &proof, &root),
                Err(MerkleError::Mismatch)
            );
            assert_eq!(
                verify_inclusion(&leaf, m, n, &proof, &flip(&root, 100)),
                Err(MerkleError::Mismatch)
            );
            let mut extra = proof.clone();
            extra.hashes.push(root);
            assert!(matches!(
                verify_inclusion(&leaf, m, n, &extra, &root),
                Err(MerkleError::WrongProofLength { .. })
            ));
            if !proof.hashes.is_empty() {
                let mut short = proof.clone();
                short.hashes.pop();
                assert!(matches!(
                    verify_inclusion(&leaf, m, n, &short, &root),
                    Err(MerkleError::WrongProofLength { .. })
                ));
            }
            // Another leaf at the same position never verifies.
            let other = d[((m + 1) % n) as usize];
            if n > 1 {
                assert!(verify_inclusion(&other, m, n, &proof, &root).is_err());
            }
            // Wrong size, with that size's true root.
            let bigger_root = tree_root(n + 1, &t).unwrap();
            assert!(verify_inclusion(&leaf, m, n + 1, &proof, &bigger_root).is_err());
            assert_eq!(
                verify_inclusion(&leaf, n, n, &proof, &root),
                Err(MerkleError::IndexOutOfRange { index: n, size: n })
            );
            assert_eq!(
                verify_inclusion(&leaf, u64::MAX, n, &proof, &root),
                Err(MerkleError::IndexOutOfRange {
                    index: u64::MAX,
                    size: n
                })
            );
        }

        for m in 1..n {
            let old_root = tree_root(m, &t).unwrap();
            let proof = consistency_proof(m, n, &t).unwrap();
            for i in 0..proof.hashes.len() {
                let mut bad = proof.clone();
                bad.hashes[i] = flip(&bad.hashes[i], 13 * i);
                assert_eq!(
                    verify_consistency(m, n, &old_root, &root, &bad),
                    Err(MerkleError::Mismatch),
                    "{m} -> {n}, node {i}"
                );
            }
            assert_eq!(
                verify_consistency(m, n, &root, &old_root, &proof),
                Err(MerkleError::Mismatch),
                "swapped roots {m} -> {n}"
            );
            assert_eq!(
                verify_consistency(m, n, &flip(&old_root, 3), &root, &proof),
                Err(MerkleError::Mismatch)
            );
            assert_eq!(
                verify_consistency(m, n, &old_root, &flip(&root, 3), &proof),
                Err(MerkleError::Mismatch)
            );
            let mut extra = proof.clone();
            extra.hashes.push(root);
            assert!(matches!(
                verify_consistency(m, n, &old_root, &root, &extra),
                Err(MerkleError::WrongProofLength { .. })
            ));
            let mut short = proof.clone();
            short.hashes.pop();
            assert!(matches!(
                verify_consistency(m, n, &old_root, &root, &short),
                Err(MerkleError::WrongProofLength { .. })
            ));
            assert_eq!(
                verify_consistency(n, m, &root, &old_root, &proof),
                Err(MerkleError::SizeBeyondTree {
                    size: n,
                    tree_size: m
                })
            );
            // Wrong sizes with their true roots.
            let next_root = tree_root(n + 1, &t).unwrap();
            assert!(verify_consistency(m, n + 1, &old_root, &next_root, &proof).is_err());
            let prev_root = tree_root(m - 1, &t).unwrap();
            assert!(verify_consistency(m - 1, n, &prev_root, &root, &proof).is_err());
        }

        // Edge sizes: a tree is consistent with itself, and with the empty tree.
        let empty = ConsistencyProof::default();
        verify_consistency(n, n, &root, &root, &empty).unwrap();
        verify_consistency(0, n, &Hash::EMPTY_TREE, &root, &empty).unwrap();
        assert_eq!(
            verify_consistency(n, n, &root, &flip(&root, 7), &empty),
            Err(MerkleError::Mismatch)
        );
        assert_eq!(
            verify_consistency(0, n, &root, &root, &empty),
            Err(MerkleError::Mismatch)
        );
        let one = ConsistencyProof { hashes: vec![root] };
        assert_eq!(
            verify_consistency(0, n, &Hash::EMPTY_TREE, &root, &one),
            Err(MerkleError::WrongProofLength {
                expected: 0,
                got: 1
            })
        );
    }
}

/// An RFC 9162 inclusion proof does not pin the tree size: the proof for
/// leaf 2 of 5 also verifies as "leaf 2 of 6" against the size-5 root. Hence
/// a receipt is meaningful only against the size *and* root of one signed
/// checkpoint, never a root alone.
#[test]
fn proofs_do_not_pin_the_tree_size() {
    let d = naive::leaves(6);
    let t = tree(6);
    let root5 = tree_root(5, &t).unwrap();
    let proof = inclusion_proof(2, 5, &t).unwrap();
    verify_inclusion(&d[2], 2, 5, &proof, &root5).unwrap();
    verify_inclusion(&d[2], 2, 6, &proof, &root5).unwrap();
    let root6 = tree_root(6, &t).unwrap();
    assert_eq!(
        verify_inclusion(&d[2], 2, 6, &proof, &root6),
        Err(MerkleError::Mismatch)
    );
}

#[test]
fn provers_reject_bad_parameters() {
    let t = tree(10);
    assert_eq!(
        inclusion_proof(10, 10, &t),
        Err(MerkleError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    );
    assert_eq!(
        inclusion_proof(3, 11, &t),
        Err(MerkleError::SizeBeyondTree {
            size: 11,
            tree_size: 10
        })
    );
    assert_eq!(
        consistency_proof(3, 11, &t),
        Err(MerkleError::SizeBeyondTree {
            size: 11,
            tree_size: 10
        })
    );
    assert_eq!(
        consistency_proof(7, 6, &t),
        Err(MerkleError::SizeBeyondTree {
            size: 7,
            tree_size: 6
        })
    );
    assert_eq!(
        tree_root(u64::MAX, &t),
        Err(MerkleError::SizeBeyondTree {
            size: u64::MAX,
            tree_size: 10
        })
    );
    assert_eq!(
        inclusion_proof(0, 0, &t),
        Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
    );
}

/// A reader that counts reads, to check the O(log n) claim.
struct Counting<'a>(&'a MemoryTree, Cell<usize>);

impl NodeReader for Counting<'_> {
    fn node(&self, id: NodeId) -> Result<Hash, MerkleError> {
        self.1.set(self.1.get() + 1);
        self.0.node(id)
    }
}

#[test]
fn provers_read_logarithmically_many_hashes() {
    let t = tree(1000);
    for n in [1u64, 2, 3, 100, 511, 512, 513, 999, 1000] {
        let log = 64 - (n - 1).leading_zeros() as usize; // ceil(log2 n)
        for m in 0..n {
            let r = Counting(&t, Cell::new(0));
            inclusion_proof(m, n, &r).unwrap();
            assert!(
                r.1.get() <= 2 * log + 1,
                "inclusion {m} in {n}: {} reads",
                r.1.get()
            );
            let r = Counting(&t, Cell::new(0));
            consistency_proof(m, n, &r).unwrap();
            assert!(
                r.1.get() <= 2 * log + 2,
                "consistency {m} to {n}: {} reads",
                r.1.get()
            );
        }
        let r = Counting(&t, Cell::new(0));
        tree_root(n, &r).unwrap();
        assert!(r.1.get() <= log + 1);
    }
}

#[test]
fn proofs_serialise_as_hex_lists() {
    let t = tree(5);
    let proof = inclusion_proof(2, 5, &t).unwrap();
    let json = serde_json::to_string(&proof).unwrap();
    assert!(json.starts_with("{\"hashes\":[\""));
    let back: InclusionProof = serde_json::from_str(&json).unwrap();
    assert_eq!(back, proof);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Proofs in random trees match the reference and verify; any single bit
    /// flipped in any proof node makes them fail.
    #[test]
    fn random_trees(n in 1usize..400, a in any::<usize>(), b in any::<usize>(), bit in 0usize..256) {
        let d = naive::leaves(n);
        let t = tree(n);
        let root = t.root().unwrap();
        prop_assert_eq!(root, naive::mth(&d));

        let m = a % n;
        let proof = inclusion_proof(m as u64, n as u64, &t).unwrap();
        prop_assert_eq!(&proof.hashes, &naive::path(m, &d));
        prop_assert!(verify_inclusion(&d[m], m as u64, n as u64, &proof, &root).is_ok());
        if !proof.hashes.is_empty() {
            let mut bad = proof.clone();
            let i = b % bad.hashes.len();
            bad.hashes[i] = flip(&bad.hashes[i], bit);
            prop_assert_eq!(
                verify_inclusion(&d[m], m as u64, n as u64, &bad, &root),
                Err(MerkleError::Mismatch)
            );
        }

        let old = b % (n + 1);
        let old_root = naive::mth(&d[..old]);
        let proof = consistency_proof(old as u64, n as u64, &t).unwrap();
        prop_assert_eq!(&proof.hashes, &naive::proof(old, &d));
        prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &root, &proof).is_ok());
        if !proof.hashes.is_empty() {
            let mut bad = proof.clone();
            let i = a % bad.hashes.len();
            bad.hashes[i] = flip(&bad.hashes[i], bit);
            prop_assert_eq!(
                verify_consistency(old as u64, n as u64, &old_root, &root, &bad),
                Err(MerkleError::Mismatch)
            );
        }
    }

    /// Random proofs of random length never verify against random roots, and
    /// never panic.
    #[test]
    fn random_proofs_fail(
        index in any::<u64>(),
        size in any::<u64>(),
        hashes in proptest::collection::vec(any::<[u8; 32]>(), 0..66),
        root in any::<[u8; 32]>(),
    ) {
        let proof = InclusionProof { hashes: hashes.iter().copied().map(Hash).collect() };
        prop_assert!(verify_inclusion(&Hash([0; 32]), index, size, &proof, &Hash(root)).is_err());
        let proof = ConsistencyProof { hashes: hashes.into_iter().map(Hash).collect() };
        let result = verify_consistency(index, size, &Hash([0; 32]), &Hash(root), &proof);
        // Only the trivial "same size, same root" or "from empty" shapes can pass.
        if result.is_ok() {
            prop_assert!(index == 0 || index == size);
        }
    }
}
