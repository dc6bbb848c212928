//! Re-encryption mixing: the ciphertext lists a mixer shuffles, the independent generators of the
//! shuffle proof, and the shuffle itself (`docs/protocol.md`, §13).
//!
//! Homomorphic tallying counts only what can be added. A ranked ballot or a write-in must be
//! decrypted whole, and then it must no longer be linkable to the voter who cast it. A
//! re-encryption mixnet does that: each mixer in turn permutes the list of ballots and
//! re-encrypts every ciphertext with fresh randomness, and proves in zero knowledge
//! ([`crate::proofs::ShuffleProof`]) that its output list holds exactly the plaintexts of its
//! input list. One honest mixer suffices to unlink ballots from voters.
//!
//! A ballot is a *row* of `w ≥ 1` ciphertexts (one per mixed contest or per position of a
//! ranking): a row is permuted as a unit and each of its ciphertexts is re-encrypted with its own
//! randomness (the vector extension of Terelius–Wikström, Haines 2019). [`CiphertextList`] holds
//! `n` rows of width `w`, flat and row-major.
//!
//! The proof needs `n + 1` generators `h, h₁ … hₙ` of which nobody knows a discrete-log relation to
//! each other or to `G`: they come from a hash to the group under their own label
//! ([`MixGenerators`]), exactly as `H` does (§5.4).

use crate::elgamal::{Ciphertext, ElectionKey};
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::DecodeError;
use crate::generators::g_table;
use crate::hash::Digest;
use crate::transcript::{labels, random_scalar};
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha512};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The most rows one mixed list may hold (2²⁰).
pub const MAX_MIX_ROWS: usize = 1 << 20;
/// The widest row: ciphertexts per ballot (§13.1).
pub const MAX_MIX_WIDTH: usize = 64;

/// Why a shuffle or its proof was refused. [`MixError::code`] gives a stable verdict code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MixError {
    /// The bytes or text are not a valid encoding.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// A width outside `1 ..= 64`.
    #[error("width {0} is not allowed (1 ..= {MAX_MIX_WIDTH})")]
    Width(usize),
    /// More rows than [`MAX_MIX_ROWS`].
    #[error("{0} rows exceed the limit {MAX_MIX_ROWS}")]
    TooManyRows(usize),
    /// The statement and the proof do not fit together (lengths, widths).
    #[error("shape: {what} has {got}, expected {expected}")]
    Shape {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The generator set is too small for the list.
    #[error("the mix generators cover {have} rows, the list has {needed}")]
    Generators { needed: usize, have: usize },
    /// The shuffle's secret does not fit the lists it is claimed to produce.
    #[error("the shuffle witness does not match the statement")]
    Witness,
    /// A well-formed proof that does not verify (deliberately says nothing more).
    #[error("the shuffle proof does not verify")]
    Proof,
}

impl MixError {
    /// A stable, short verdict code for vectors and logs: `decode`, `width`, `rows`, `shape`,
    /// `generators`, `witness`, `proof`.
    pub fn code(&self) -> &'static str {
        match self {
            MixError::Decode(_) => "decode",
            MixError::Width(_) => "width",
            MixError::TooManyRows(_) => "rows",
            MixError::Shape { .. } => "shape",
            MixError::Generators { .. } => "generators",
            MixError::Witness => "witness",
            MixError::Proof => "proof",
        }
    }
}

/// `n` rows of `w` ciphertexts each, flat and row-major: the input or output of one mixer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ListJson", into = "ListJson")]
pub struct CiphertextList {
    width: usize,
    items: Vec<Ciphertext>,
}

#[derive(Serialize, Deserialize)]
struct ListJson {
    width: usize,
    rows: Vec<Vec<Ciphertext>>,
}

impl TryFrom<ListJson> for CiphertextList {
    type Error = MixError;
    fn try_from(j: ListJson) -> Result<Self, MixError> {
        CiphertextList::from_rows(j.width, j.rows)
    }
}

impl From<CiphertextList> for ListJson {
    fn from(l: CiphertextList) -> Self {
        ListJson {
            width: l.width,
            rows: l.rows().map(<[Ciphertext]>::to_vec).collect(),
        }
    }
}

fn check_width(width: usize) -> Result<(), MixError> {
    if width == 0 || width > MAX_MIX_WIDTH {
        return Err(MixError::Width(width));
    }
    Ok(())
}

impl CiphertextList {
    /// A list of `items.len() / width` rows; the length must be a multiple of the width.
    pub fn new(width: usize, items: Vec<Ciphertext>) -> Result<Self, MixError> {
        check_width(width)?;
        if items.len() % width != 0 {
            return Err(MixError::Shape {
                what: "ciphertext list",
                expected: items.len().next_multiple_of(width),
                got: items.len(),
            });
        }
        if items.len() / width > MAX_MIX_ROWS {
            return Err(MixError::TooManyRows(items.len() / width));
        }
        Ok(CiphertextList { width, items })
    }

    /// A list from rows, each exactly `width` ciphertexts.
    pub fn from_rows(width: usize, rows: Vec<Vec<Ciphertext>>) -> Result<Self, MixError> {
        check_width(width)?;
        let mut items = Vec::with_capacity(rows.len().saturating_mul(width));
        for row in rows {
            if row.len() != width {
                return Err(MixError::Shape {
                    what: "row",
                    expected: width,
                    got: row.len(),
                });
            }
            items.extend(row);
        }
        CiphertextList::new(width, items)
    }

    /// Ciphertexts per row, `w`.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of rows, `n`.
    pub fn len(&self) -> usize {
        self.items.len() / self.width
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Row `i` (0-based).
    pub fn row(&self, i: usize) -> &[Ciphertext] {
        &self.items[i * self.width..(i + 1) * self.width]
    }

    /// The rows in order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, Ciphertext> {
        self.items.chunks_exact(self.width)
    }

    /// All ciphertexts, row-major.
    pub fn ciphertexts(&self) -> &[Ciphertext] {
        &self.items
    }

    /// The canonical bytes of row `i`: `α₁ ‖ β₁ ‖ … ‖ α_w ‖ β_w` (what the transcript absorbs).
    pub(crate) fn row_bytes(&self, i: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 * self.width);
        for ct in self.row(i) {
            out.extend_from_slice(ct.alpha.as_bytes());
            out.extend_from_slice(ct.beta.as_bytes());
        }
        out
    }
}

/// `u32(w) ‖ u32(n) ‖` the `n·w` ciphertexts row-major (§13.1).
impl Canonical for CiphertextList {
    const MIN_ENCODED_LEN: usize = 8;
    fn encode(&self, w: &mut Writer) {
        w.len(self.width).len(self.len());
        for ct in &self.items {
            ct.encode(w);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let width = r.u32()? as usize;
        if width == 0 || width > MAX_MIX_WIDTH {
            return Err(DecodeError::Invalid {
                what: "ciphertext list",
                detail: format!("width {width}"),
            });
        }
        let n = r.len(MAX_MIX_ROWS, 64 * width)?;
        let mut items = Vec::with_capacity(n * width);
        for _ in 0..n * width {
            items.push(Ciphertext::decode(r)?);
        }
        Ok(CiphertextList { width, items })
    }
}

/// The generators `h, h₁ … hₙ` of the shuffle proof, derived from a label (§13.2):
/// `hᵢ = FromUniformBytes(SHA-512(u8(len L) ‖ L ‖ u32(i)))`, `h = h₀`.
///
/// A set derived for more rows is a superset of one for fewer, so one set serves every list up
/// to its capacity; deriving costs one hash to the group per row, so callers keep the set.
pub struct MixGenerators {
    label: Vec<u8>,
    h: RistrettoPoint,
    h_table: RistrettoBasepointTable,
    hs: Vec<RistrettoPoint>,
}

impl std::fmt::Debug for MixGenerators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MixGenerators")
            .field("label", &String::from_utf8_lossy(&self.label))
            .field("rows", &self.hs.len())
            .finish()
    }
}

fn mix_generator(label: &[u8], i: u32) -> RistrettoPoint {
    let mut sha = Sha512::new();
    // Labels are at most 255 bytes (checked by `derive`).
    sha.update([label.len() as u8]);
    sha.update(label);
    sha.update(i.to_be_bytes());
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&sha.finalize());
    RistrettoPoint::from_uniform_bytes(&wide)
}

impl MixGenerators {
    /// The protocol's generators (label [`labels::MIX_GENERATORS`]) for lists of up to `rows`.
    pub fn standard(rows: usize) -> Result<Self, MixError> {
        MixGenerators::derive(labels::MIX_GENERATORS, rows)
    }

    /// Generators under another label (tests, other deployments): 1 to 255 bytes.
    pub fn derive(label: &[u8], rows: usize) -> Result<Self, MixError> {
        if label.is_empty() || label.len() > 255 {
            return Err(MixError::Shape {
                what: "generator label",
                expected: 255,
                got: label.len(),
            });
        }
        if rows > MAX_MIX_ROWS {
            return Err(MixError::TooManyRows(rows));
        }
        let h = mix_generator(label, 0);
        // `rows ≤ 2²⁰`, so every index fits a u32.
        let derive_one = |i: usize| mix_generator(label, (i + 1) as u32);
        #[cfg(feature = "parallel")]
        let hs = {
            use rayon::prelude::*;
            (0..rows).into_par_iter().map(derive_one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let hs = (0..rows).map(derive_one).collect();
        Ok(MixGenerators {
            label: label.to_vec(),
            h,
            h_table: RistrettoBasepointTable::create(&h),
            hs,
        })
    }

    /// The label the set was derived from (absorbed by the transcript).
    pub fn label(&self) -> &[u8] {
        &self.label
    }

    /// How many rows the set covers.
    pub fn capacity(&self) -> usize {
        self.hs.len()
    }

    /// `h` (the start of the commitment chain).
    pub fn h(&self) -> &RistrettoPoint {
        &self.h
    }

    pub(crate) fn h_table(&self) -> &RistrettoBasepointTable {
        &self.h_table
    }

    /// `h₁ … h_rows` (0-based slice), or an error if the set is too small.
    pub fn hs(&self, rows: usize) -> Result<&[RistrettoPoint], MixError> {
        self.hs.get(..rows).ok_or(MixError::Generators {
            needed: rows,
            have: self.hs.len(),
        })
    }
}

/// The public statement of one shuffle: who mixed what into what, in which election.
#[derive(Debug, Clone, Copy)]
pub struct MixStatement<'a> {
    /// The election hash (§6.4).
    pub election_hash: &'a Digest,
    /// The election key `K` the ciphertexts are encrypted under.
    pub key: &'a ElectionKey,
    /// The independent generators (their label is part of the statement).
    pub generators: &'a MixGenerators,
    /// The mixer's index (1-based trustee index in the protocol).
    pub mixer: u32,
    /// The list the mixer received.
    pub inputs: &'a CiphertextList,
    /// The list the mixer published.
    pub outputs: &'a CiphertextList,
}

impl MixStatement<'_> {
    /// Checks the shapes: equal widths and lengths, generators enough. Returns `(n, w)`.
    pub fn shape(&self) -> Result<(usize, usize), MixError> {
        let (n, w) = (self.inputs.len(), self.inputs.width());
        if self.outputs.width() != w {
            return Err(MixError::Shape {
                what: "output width",
                expected: w,
                got: self.outputs.width(),
            });
        }
        if self.outputs.len() != n {
            return Err(MixError::Shape {
                what: "output rows",
                expected: n,
                got: self.outputs.len(),
            });
        }
        self.generators.hs(n)?;
        Ok((n, w))
    }
}

/// The mixer's secret: the permutation `ψ` (output row `i` is input row `ψ(i)`, 0-based) and the
/// re-encryption randomness `r'ᵢₖ` of every output ciphertext, row-major. Zeroised on drop,
/// never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ShuffleWitness {
    pub(crate) permutation: Vec<u32>,
    pub(crate) randomness: Vec<Scalar>,
}

impl std::fmt::Debug for ShuffleWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ShuffleWitness(<{} rows, secret>)",
            self.permutation.len()
        )
    }
}

impl ShuffleWitness {
    /// A witness from its parts (tests, tools). The permutation must be one of `0 … n−1` and
    /// the randomness must hold `n·w` scalars.
    pub fn new(permutation: Vec<u32>, randomness: Vec<Scalar>) -> Result<Self, MixError> {
        let n = permutation.len();
        let mut seen = vec![false; n];
        for &p in &permutation {
            let slot = seen.get_mut(p as usize).ok_or(MixError::Witness)?;
            if *slot {
                return Err(MixError::Witness);
            }
            *slot = true;
        }
        if n == 0 && !randomness.is_empty() || n > 0 && randomness.len() % n != 0 {
            return Err(MixError::Witness);
        }
        Ok(ShuffleWitness {
            permutation,
            randomness,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.permutation.len()
    }

    pub fn is_empty(&self) -> bool {
        self.permutation.is_empty()
    }

    /// The permutation (output row `i` is input row `ψ(i)`). Secret: for tests and audits only.
    pub fn permutation(&self) -> &[u32] {
        &self.permutation
    }
}

/// A uniform index in `[0, bound)` by rejection sampling (no modulo bias).
fn uniform_below<R: RngCore>(rng: &mut R, bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let x = rng.next_u32();
        if x < zone {
            return x % bound;
        }
    }
}

/// Re-encrypts `ct` with randomness `r`: `(α + r·G, β + r·K)`.
pub fn reencrypt(
    key: &ElectionKey,
    ct: &Ciphertext,
    r: &Scalar,
) -> (RistrettoPoint, RistrettoPoint) {
    (
        ct.alpha.point() + g_table() * r,
        ct.beta.point() + key.mul(r),
    )
}

/// Shuffles `inputs`: draws a uniform permutation (Fisher–Yates) and fresh randomness for every
/// ciphertext, and returns the output list with the witness the proof needs.
///
/// *Note.* Rows are copied by secret index; a mixer runs on its own machine, and the indices
/// touched are a permutation of all rows, but a cache-timing attacker on that machine is out of
/// scope (§13.6).
pub fn shuffle<R: RngCore + CryptoRng>(
    key: &ElectionKey,
    inputs: &CiphertextList,
    rng: &mut R,
) -> (CiphertextList, ShuffleWitness) {
    let (n, w) = (inputs.len(), inputs.width());
    let mut permutation: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = uniform_below(rng, i as u32 + 1) as usize;
        permutation.swap(i, j);
    }
    let randomness: Vec<Scalar> = (0..n * w).map(|_| random_scalar(rng)).collect();
    let reenc_row = |i: usize| -> Vec<Ciphertext> {
        let src = inputs.row(permutation[i] as usize);
        src.iter()
            .zip(&randomness[i * w..(i + 1) * w])
            .map(|(ct, r)| {
                let (a, b) = reencrypt(key, ct, r);
                Ciphertext {
                    alpha: a.into(),
                    beta: b.into(),
                }
            })
            .collect()
    };
    #[cfg(feature = "parallel")]
    let rows: Vec<Vec<Ciphertext>> = {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(reenc_row).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let rows: Vec<Vec<Ciphertext>> = (0..n).map(reenc_row).collect();
    let outputs = CiphertextList {
        width: w,
        items: rows.into_iter().flatten().collect(),
    };
    (
        outputs,
        ShuffleWitness {
            permutation,
            randomness,
        },
    )
}
