//! A deliberately naive RFC 9162 §2.1 reference: MTH, PATH and PROOF written
//! as the RFC's recursive definitions over a slice of leaf hashes, with its
//! own hashing. Quadratic and allocation-happy; only for checking the real
//! implementation and generating test vectors.

use psephos_board::merkle::Hash;
use sha2::{Digest, Sha256};

/// SHA-256(0x00 ‖ data).
pub fn leaf(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

fn node(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l.0);
    h.update(r.0);
    Hash(h.finalize().into())
}

/// Largest power of two strictly less than n (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
pub fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => Hash(Sha256::digest(b"").into()),
        1 => d[0],
        n => {
            let k = split(n);
            node(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]), for m < n.
pub fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]), for 0 < m < n; empty otherwise.
pub fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    if m == 0 || m >= d.len() {
        return Vec::new();
    }
    subproof(m, d, true)
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// The test leaves: leaf `i` holds the ASCII text `psephos test leaf {i}`.
pub fn leaf_data(i: usize) -> Vec<u8> {
    format!("psephos test leaf {i}").into_bytes()
}

/// Leaf hashes of the first `n` test leaves.
pub fn leaves(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf(&leaf_data(i))).collect()
}

/// Verdict of an inclusion proof by the recursive definition of PATH: the
/// proof's last hash is the sibling at the top split, and so on down. Only
/// for `index < size`. Returns `ok`, `wrong_proof_length` or `mismatch`.
pub fn verify_path(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> &'static str {
    fn up(m: u64, n: u64, leaf: &Hash, proof: &[Hash]) -> Option<Hash> {
        if n == 1 {
            return proof.is_empty().then_some(*leaf);
        }
        let (sibling, rest) = proof.split_last()?;
        let k = split(n as usize) as u64;
        Some(if m < k {
            node(&up(m, k, leaf, rest)?, sibling)
        } else {
            node(sibling, &up(m - k, n - k, leaf, rest)?)
        })
    }
    match up(index, size, leaf, proof) {
        None => "wrong_proof_length",
        Some(r) if r == *root => "ok",
        Some(_) => "mismatch",
    }
}

/// Verdict of a consistency proof by the recursive definition of SUBPROOF,
/// for `0 < old < new`: rebuilds the (old, new) root pair from the proof.
pub fn verify_proof(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> &'static str {
    fn up(m: u64, n: u64, whole: bool, old_root: &Hash, proof: &[Hash]) -> Option<(Hash, Hash)> {
        if m == n {
            return if whole {
                proof.is_empty().then_some((*old_root, *old_root))
            } else {
                match proof {
                    [h] => Some((*h, *h)),
                    _ => None,
                }
            };
        }
        let (sibling, rest) = proof.split_last()?;
        let k = split(n as usize) as u64;
        Some(if m <= k {
            let (f, s) = up(m, k, whole, old_root, rest)?;
            (f, node(&s, sibling))
        } else {
            let (f, s) = up(m - k, n - k, false, old_root, rest)?;
            (node(sibling, &f), node(sibling, &s))
        })
    }
    match up(old, new, true, old_root, proof) {
        None => "wrong_proof_length",
        Some((f, s)) if f == *old_root && s == *new_root => "ok",
        Some(_) => "mismatch",
    }
}
