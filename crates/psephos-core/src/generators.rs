//! Fixed generators: `G`, the Ristretto255 base point, and `H`, an independent generator for
//! Pedersen commitments.
//!
//! `H` is derived by hashing a public label to the group (`RistrettoPoint::hash_from_bytes` with
//! SHA-512, i.e. the Elligator-based one-way map of RFC 9496 applied to a 64-byte digest), so
//! nobody — no trustee, no server, not us — knows `log_G H`. This is what makes commitment-based
//! range proofs sound against everyone, including all trustees together: the election key `K`
//! is never used as a commitment generator, because its discrete logarithm is shared by the
//! trustees (`docs/protocol.md`, §5.4).

use crate::transcript::labels;
use bulletproofs::{BulletproofGens, PedersenGens};
use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{
    RistrettoBasepointTable, RistrettoPoint, VartimeRistrettoPrecomputation,
};
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use sha2::Sha512;
use std::sync::OnceLock;

/// The largest number of aggregated values in one range proof (a power of two).
pub const MAX_RANGE_PARTIES: usize = 256;
/// The largest bit size of one range value.
pub const MAX_RANGE_BITS: usize = 64;

struct Generators {
    h: RistrettoPoint,
    h_table: RistrettoBasepointTable,
    pedersen: PedersenGens,
    bulletproofs: BulletproofGens,
}

fn generators() -> &'static Generators {
    static GENS: OnceLock<Generators> = OnceLock::new();
    GENS.get_or_init(|| {
        let h = RistrettoPoint::hash_from_bytes::<Sha512>(labels::GENERATOR_H);
        Generators {
            h,
            h_table: RistrettoBasepointTable::create(&h),
            pedersen: PedersenGens {
                B: RISTRETTO_BASEPOINT_POINT,
                B_blinding: h,
            },
            // Generated lazily for the largest shape in use; see `bulletproof_gens`.
            bulletproofs: BulletproofGens::new(MAX_RANGE_BITS, 1),
        }
    })
}

/// The base point `G`.
pub fn g() -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT
}

/// The precomputed table for `G`.
pub fn g_table() -> &'static RistrettoBasepointTable {
    RISTRETTO_BASEPOINT_TABLE
}

/// `2⁻¹·G`: what a 0/1 encryption adds for a 1 before its points are doubled and encoded
/// together (`group::points_from_halves`). Computed once.
pub fn half_g() -> RistrettoPoint {
    static HALF_G: OnceLock<RistrettoPoint> = OnceLock::new();
    *HALF_G.get_or_init(|| RISTRETTO_BASEPOINT_TABLE * &crate::group::half())
}

/// The Pedersen generator `H`.
pub fn h() -> RistrettoPoint {
    generators().h
}

/// The precomputed table for `H`.
pub fn h_table() -> &'static RistrettoBasepointTable {
    &generators().h_table
}

/// Pedersen generators `(B, B_blinding) = (G, H)` for Bulletproofs.
pub fn pedersen_gens() -> &'static PedersenGens {
    &generators().pedersen
}

/// Bulletproofs vector generators with capacity for `parties` aggregated values of 64 bits.
///
/// Generators are deterministic (SHAKE256 chains), so a set with more parties is a superset of
/// one with fewer; we build the largest set once per size class.
pub fn bulletproof_gens(parties: usize) -> &'static BulletproofGens {
    static BY_CLASS: [OnceLock<BulletproofGens>; CLASSES] = [const { OnceLock::new() }; CLASSES];
    if parties <= 1 {
        return &generators().bulletproofs;
    }
    by_class(&BY_CLASS, parties, |n| {
        BulletproofGens::new(MAX_RANGE_BITS, n)
    })
}

/// Size classes of the generator sets: powers of two up to 2⁸ = 256 parties.
const CLASSES: usize = 9;

/// The value for the smallest power of two `n ≥ parties` (capped at the last class), made by
/// `make(n)` on first use.
fn by_class<T>(
    cells: &'static [OnceLock<T>; CLASSES],
    parties: usize,
    make: impl FnOnce(usize) -> T,
) -> &'static T {
    let class = (parties.max(1).next_power_of_two().trailing_zeros() as usize).min(CLASSES - 1);
    cells[class].get_or_init(|| make(1 << class))
}

/// The vector generators `G_{j,i}` and `H_{j,i}` (party `j`, bit `i < 64`) of the Bulletproofs
/// range proofs, for batch verification (`proofs::range`, `docs/protocol.md` §5.5).
///
/// They are the `bulletproofs` crate's generators, re-derived here because the crate does not
/// expose `H`: party `j`'s `G` chain is SHAKE256 of `"GeneratorsChain" ‖ "G" ‖ u32_le(j)`, read
/// 64 bytes at a time, each block mapped to the group by `RistrettoPoint::from_uniform_bytes`;
/// `H` the same with `"H"`. A test checks `G` against the crate's public `share(j).G(n)`, and
/// batch verification of the crate's own proofs checks `H`.
#[derive(Debug)]
pub struct BpVectors {
    /// `g[j][i]`, for `j < parties`, `i < 64`.
    pub g: Vec<Vec<RistrettoPoint>>,
    /// `h[j][i]`, likewise.
    pub h: Vec<Vec<RistrettoPoint>>,
}

fn bp_chain(kind: u8, party: u32) -> Vec<RistrettoPoint> {
    use sha3::digest::{ExtendableOutput, Update, XofReader};
    let mut shake = sha3::Shake256::default();
    shake.update(b"GeneratorsChain");
    let mut label = [kind, 0, 0, 0, 0];
    label[1..].copy_from_slice(&party.to_le_bytes());
    shake.update(&label);
    let mut reader = shake.finalize_xof();
    (0..MAX_RANGE_BITS)
        .map(|_| {
            let mut bytes = [0u8; 64];
            reader.read(&mut bytes);
            RistrettoPoint::from_uniform_bytes(&bytes)
        })
        .collect()
}

/// The Bulletproofs vector generators for at least `parties` parties (built once per power of
/// two, like [`bulletproof_gens`]).
pub fn bp_vectors(parties: usize) -> &'static BpVectors {
    static BY_CLASS: [OnceLock<BpVectors>; CLASSES] = [const { OnceLock::new() }; CLASSES];
    by_class(&BY_CLASS, parties, |n| {
        let n = n as u32;
        BpVectors {
            g: (0..n).map(|j| bp_chain(b'G', j)).collect(),
            h: (0..n).map(|j| bp_chain(b'H', j)).collect(),
        }
    })
}

/// The largest `2·N·P + 1` for which [`range_prover_table`] keeps a precomputation (about 10 KiB
/// per point: 5 MiB at this size).
const MAX_PRECOMPUTED_POINTS: usize = 513;

/// A variable-time precomputation over the vector generators of one range-proof shape
/// (`N` bits, `P` parties, `P` a power of two) followed by `G`: `𝐆` (party-major, `N·P` points),
/// then `𝐇`, then `G` — the points of the prover's inner-product argument, whose first rounds
/// are multiscalar multiplications over exactly these (`proofs::range_prover`). Built once per
/// shape on first use; `None` for shapes too large to be worth the memory (the prover then
/// multiplies without tables). Only public scalars are ever multiplied with it.
pub fn range_prover_table(
    bits: usize,
    parties: usize,
) -> Option<&'static VartimeRistrettoPrecomputation> {
    static TABLES: [[OnceLock<VartimeRistrettoPrecomputation>; CLASSES]; 4] =
        [const { [const { OnceLock::new() }; CLASSES] }; 4];
    let bit_class = match bits {
        8 => 0,
        16 => 1,
        32 => 2,
        64 => 3,
        _ => return None,
    };
    if !parties.is_power_of_two() || 2 * bits * parties + 1 > MAX_PRECOMPUTED_POINTS {
        return None;
    }
    let class = parties.trailing_zeros() as usize;
    let cell = TABLES.get(bit_class)?.get(class)?;
    Some(cell.get_or_init(|| {
        let v = bp_vectors(parties);
        let g = v.g[..parties].iter().flat_map(|g| g[..bits].iter());
        let h = v.h[..parties].iter().flat_map(|h| h[..bits].iter());
        let base = RISTRETTO_BASEPOINT_POINT;
        VartimeRistrettoPrecomputation::new(g.chain(h).chain(std::iter::once(&base)))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bp_vectors_are_the_crates() {
        let ours = bp_vectors(4);
        let theirs = bulletproof_gens(4);
        for j in 0..4 {
            let g: Vec<RistrettoPoint> = theirs.share(j).G(MAX_RANGE_BITS).copied().collect();
            assert_eq!(ours.g[j], g);
            assert_ne!(ours.h[j][0], ours.g[j][0]);
        }
    }

    #[test]
    fn h_is_independent_of_g_and_stable() {
        assert_ne!(h(), g());
        // Known answer: H is derived from a fixed label; a change here is a protocol change.
        assert_eq!(
            hex::encode(h().compress().as_bytes()),
            "e2191080cd24db69a382a7315936b5eeeefd17997463322373b0348e853b8860"
        );
        assert_eq!(h_table().basepoint(), h());
    }
}
