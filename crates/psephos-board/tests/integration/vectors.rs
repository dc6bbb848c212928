//! Checks the committed Merkle proof vectors (`tests/vectors/merkle.json`):
//! every case gets its recorded verdict from the verifiers, every root
//! matches the prover, and the file is exactly what the generator
//! (`cargo run -p psephos-board --example gen_vectors`) writes today.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit::merkle as common;

use common::vectors::{self, verdict, Vectors};
use psephos_board::merkle::{
    tree_root, verify_consistency, verify_inclusion, ConsistencyProof, InclusionProof, MemoryTree,
};

fn committed() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors::PATH);
    std::fs::read_to_string(path).expect("vector file present")
}

#[test]
fn committed_vectors_are_current() {
    assert!(
        committed() == vectors::render(),
        "tests/vectors/merkle.json is stale: run `{}`",
        vectors::GENERATOR
    );
}

#[test]
fn committed_vectors_get_their_verdicts() {
    let v: Vectors = serde_json::from_str(&committed()).unwrap();
    assert!(v.inclusion.len() > 100 && v.consistency.len() > 100);

    let tree = MemoryTree::from_leaves((0..70).map(common::naive::leaf_data)).unwrap();
    for r in &v.roots {
        assert_eq!(
            tree_root(r.size, &tree).unwrap(),
            r.root,
            "root of size {}",
            r.size
        );
    }

    let mut seen = std::collections::BTreeSet::new();
    for c in &v.inclusion {
        let proof = InclusionProof {
            hashes: c.proof.clone(),
        };
        let got = verdict(&verify_inclusion(
            &c.leaf_hash,
            c.index,
            c.size,
            &proof,
            &c.root,
        ));
        assert_eq!(got, c.expect, "inclusion {}", c.name);
        seen.insert(got);
    }
    for c in &v.consistency {
        let proof = ConsistencyProof {
            hashes: c.proof.clone(),
        };
        let got = verdict(&verify_consistency(
            c.old_size,
            c.new_size,
            &c.old_root,
            &c.new_root,
            &proof,
        ));
        assert_eq!(got, c.expect, "consistency {}", c.name);
        seen.insert(got);
    }
    // The vectors exercise every verdict.
    for want in [
        "ok",
        "index_out_of_range",
        "size_beyond_tree",
        "wrong_proof_length",
        "mismatch",
    ] {
        assert!(seen.contains(want), "no vector expects {want}");
    }
}
