//! Merkle proof test vectors: positive cases and negative cases (flipped bits,
//! swapped roots, wrong sizes and indices, extra and missing proof nodes) with
//! the verdict each must get.
//!
//! Every proof and every expected verdict comes from the naive RFC reference
//! in `naive.rs`, never from the code under test. `generate()` is
//! deterministic; `examples/gen_vectors.rs` writes its output to
//! `tests/vectors/merkle.json`, and `tests/integration/vectors.rs` checks the committed
//! file both against the verifiers and against a fresh `generate()`.

use psephos_board::merkle::{Hash, MerkleError};
use serde::{Deserialize, Serialize};

use super::naive;

/// Command that regenerates the committed vectors.
pub const GENERATOR: &str = "cargo run -p psephos-board --example gen_vectors";

/// Path of the vector file, relative to the crate root.
pub const PATH: &str = "tests/vectors/merkle.json";

/// Leaves available to the vectors (sizes above this are not used).
const MAX_LEAVES: usize = 72;

#[derive(Debug, Serialize, Deserialize)]
pub struct Vectors {
    pub comment: String,
    pub generator: String,
    pub leaves: String,
    pub roots: Vec<RootCase>,
    pub inclusion: Vec<InclusionCase>,
    pub consistency: Vec<ConsistencyCase>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RootCase {
    pub size: u64,
    pub root: Hash,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InclusionCase {
    pub name: String,
    pub leaf_hash: Hash,
    pub index: u64,
    pub size: u64,
    pub proof: Vec<Hash>,
    pub root: Hash,
    /// `ok` or the `error_code` of the expected error.
    pub expect: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsistencyCase {
    pub name: String,
    pub old_size: u64,
    pub new_size: u64,
    pub old_root: Hash,
    pub new_root: Hash,
    pub proof: Vec<Hash>,
    /// `ok` or the `error_code` of the expected error.
    pub expect: String,
}

/// The verdict string of a verifier result.
pub fn verdict(result: &Result<(), MerkleError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(MerkleError::IndexOutOfRange { .. }) => "index_out_of_range",
        Err(MerkleError::SizeBeyondTree { .. }) => "size_beyond_tree",
        Err(MerkleError::WrongProofLength { .. }) => "wrong_proof_length",
        Err(MerkleError::Mismatch) => "mismatch",
        Err(_) => "other",
    }
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut out = *h;
    out.0[(bit / 8) % 32] ^= 1 << (bit % 8);
    out
}

/// The verdict RFC 9162 requires, decided by the naive recursive verifiers
/// (not by the code under test). Sizes 0 and equal sizes, which the RFC
/// algorithm leaves out, follow the policy documented on `verify_consistency`.
fn expect_inclusion(c: &InclusionCase) -> &'static str {
    if c.index >= c.size {
        return "index_out_of_range";
    }
    naive::verify_path(c.index, c.size, &c.leaf_hash, &c.proof, &c.root)
}

fn expect_consistency(c: &ConsistencyCase) -> &'static str {
    if c.old_size > c.new_size {
        return "size_beyond_tree";
    }
    if c.old_size == 0 || c.old_size == c.new_size {
        if !c.proof.is_empty() {
            return "wrong_proof_length";
        }
        let consistent = if c.old_size == 0 {
            c.old_root == naive::mth(&[])
        } else {
            c.old_root == c.new_root
        };
        return if consistent { "ok" } else { "mismatch" };
    }
    naive::verify_proof(c.old_size, c.new_size, &c.old_root, &c.new_root, &c.proof)
}

fn inclusion(d: &[Hash], index: usize, size: usize) -> InclusionCase {
    InclusionCase {
        name: format!("index {index} size {size}"),
        leaf_hash: d[index],
        index: index as u64,
        size: size as u64,
        proof: naive::path(index, &d[..size]),
        root: naive::mth(&d[..size]),
        expect: String::new(),
    }
}

fn consistency(d: &[Hash], old: usize, new: usize) -> ConsistencyCase {
    ConsistencyCase {
        name: format!("old {old} new {new}"),
        old_size: old as u64,
        new_size: new as u64,
        old_root: naive::mth(&d[..old]),
        new_root: naive::mth(&d[..new]),
        proof: naive::proof(old, &d[..new]),
        expect: String::new(),
    }
}

const EXTRA: Hash = Hash([0xab; 32]);

fn inclusion_negatives(d: &[Hash], base: &InclusionCase) -> Vec<InclusionCase> {
    let mut out = Vec::new();
    let mut add = |what: String, f: &dyn Fn(&mut InclusionCase)| {
        let mut c = base.clone();
        c.name = format!("{}: {what}", base.name);
        f(&mut c);
        out.push(c);
    };
    for i in 0..base.proof.len() {
        add(format!("flip bit in proof[{i}]"), &|c| {
            c.proof[i] = flip(&c.proof[i], 37 * i + 3)
        });
    }
    add("flip bit in leaf hash".into(), &|c| {
        c.leaf_hash = flip(&c.leaf_hash, 200)
    });
    add("flip bit in root".into(), &|c| c.root = flip(&c.root, 0));
    add("extra trailing proof node".into(), &|c| c.proof.push(EXTRA));
    if !base.proof.is_empty() {
        add("truncated proof".into(), &|c| {
            c.proof.pop();
        });
    }
    if base.proof.len() >= 2 {
        add("proof reversed".into(), &|c| c.proof.reverse());
    }
    add("index + 1".into(), &|c| c.index += 1);
    if base.index > 0 {
        add("index - 1".into(), &|c| c.index -= 1);
    }
    add("index = size".into(), &|c| c.index = c.size);
    add("index = u64::MAX".into(), &|c| c.index = u64::MAX);
    add("size + 1, same root".into(), &|c| c.size += 1);
    add("size + 1 with its root".into(), &|c| {
        c.size += 1;
        c.root = naive::mth(&d[..c.size as usize]);
    });
    if base.size > 1 {
        add("size - 1, same root".into(), &|c| c.size -= 1);
    }
    add("size 0".into(), &|c| c.size = 0);
    out
}

fn consistency_negatives(d: &[Hash], base: &ConsistencyCase) -> Vec<ConsistencyCase> {
    let mut out = Vec::new();
    let mut add = |what: String, f: &dyn Fn(&mut ConsistencyCase)| {
        let mut c = base.clone();
        c.name = format!("{}: {what}", base.name);
        f(&mut c);
        out.push(c);
    };
    for i in 0..base.proof.len() {
        add(format!("flip bit in proof[{i}]"), &|c| {
            c.proof[i] = flip(&c.proof[i], 41 * i + 5)
        });
    }
    add("flip bit in old root".into(), &|c| {
        c.old_root = flip(&c.old_root, 9)
    });
    add("flip bit in new root".into(), &|c| {
        c.new_root = flip(&c.new_root, 250)
    });
    add("roots swapped".into(), &|c| {
        core::mem::swap(&mut c.old_root, &mut c.new_root)
    });
    add("extra trailing proof node".into(), &|c| c.proof.push(EXTRA));
    if !base.proof.is_empty() {
        add("truncated proof".into(), &|c| {
            c.proof.pop();
        });
    }
    if base.proof.len() >= 2 {
        add("proof reversed".into(), &|c| c.proof.reverse());
    }
    add("old size + 1".into(), &|c| c.old_size += 1);
    if base.old_size > 0 {
        add("old size - 1".into(), &|c| c.old_size -= 1);
    }
    add("new size + 1".into(), &|c| c.new_size += 1);
    add("new size + 1 with its root".into(), &|c| {
        c.new_size += 1;
        c.new_root = naive::mth(&d[..c.new_size as usize]);
    });
    if base.new_size > 0 {
        add("new size - 1".into(), &|c| c.new_size -= 1);
    }
    add("sizes and roots swapped".into(), &|c| {
        core::mem::swap(&mut c.old_size, &mut c.new_size);
        core::mem::swap(&mut c.old_root, &mut c.new_root);
    });
    add("old size 0".into(), &|c| c.old_size = 0);
    add("old size = new size".into(), &|c| c.old_size = c.new_size);
    out
}

/// All vectors, in a fixed order.
pub fn generate() -> Vectors {
    let d = naive::leaves(MAX_LEAVES);
    let roots = (0..=70)
        .map(|n| RootCase {
            size: n as u64,
            root: naive::mth(&d[..n]),
        })
        .collect();

    let mut incl = Vec::new();
    for size in 1..=12 {
        for index in 0..size {
            incl.push(inclusion(&d, index, size));
        }
    }
    for size in [31, 32, 33, 64, 65, 70] {
        let mut indices = vec![0, 1, size / 2, size - 2, size - 1];
        indices.dedup();
        for index in indices {
            incl.push(inclusion(&d, index, size));
        }
    }
    let positive_inclusion = incl.len();
    for (index, size) in [
        (0, 1),
        (0, 2),
        (1, 2),
        (2, 5),
        (4, 5),
        (6, 7),
        (5, 16),
        (15, 16),
        (0, 33),
        (32, 33),
        (21, 70),
        (69, 70),
    ] {
        let base = inclusion(&d, index, size);
        incl.extend(inclusion_negatives(&d, &base));
    }
    for c in &incl[..positive_inclusion] {
        assert_eq!(expect_inclusion(c), "ok", "{}", c.name);
    }
    for c in &mut incl {
        c.expect = expect_inclusion(c).to_owned();
    }

    let mut cons = Vec::new();
    for new in 1..=12 {
        for old in 0..=new {
            cons.push(consistency(&d, old, new));
        }
    }
    for (old, new) in [(1, 70), (31, 70), (32, 70), (33, 70), (64, 65), (69, 70)] {
        cons.push(consistency(&d, old, new));
    }
    let positive_consistency = cons.len();
    for (old, new) in [
        (1, 2),
        (1, 3),
        (2, 3),
        (3, 7),
        (4, 7),
        (4, 8),
        (6, 16),
        (7, 16),
        (1, 70),
        (32, 70),
        (33, 70),
        (69, 70),
        (0, 5),
        (5, 5),
    ] {
        let base = consistency(&d, old, new);
        cons.extend(consistency_negatives(&d, &base));
    }
    for c in &cons[..positive_consistency] {
        assert_eq!(expect_consistency(c), "ok", "{}", c.name);
    }
    for c in &mut cons {
        c.expect = expect_consistency(c).to_owned();
    }

    Vectors {
        comment: "RFC 9162 inclusion and consistency proof vectors; expect is `ok` or the \
                  expected error (index_out_of_range, size_beyond_tree, wrong_proof_length, \
                  mismatch). Hashes are hex."
            .to_owned(),
        generator: GENERATOR.to_owned(),
        leaves: "leaf i is the ASCII text `psephos test leaf {i}`; leaf_hash = \
                 SHA-256(0x00 || leaf)"
            .to_owned(),
        roots,
        inclusion: incl,
        consistency: cons,
    }
}

/// The vector file's exact contents: pretty JSON and a final newline.
pub fn render() -> String {
    let mut json = serde_json::to_string_pretty(&generate()).expect("vectors serialise");
    json.push('\n');
    json
}
