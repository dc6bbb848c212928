//! The mixnet on the board (`docs/protocol.md`, §13.7–13.9): what is mixed, each mixer's signed
//! shuffle, the trustees' decryption shares of the final lists and the decrypted rows.
//!
//! [`crate::mix`] and [`crate::proofs::ShuffleProof`] shuffle one list and prove it. An election
//! mixes **one list per mixed contest** (a contest with `count = "mix"`, §6.1): row `i` of the
//! list of contest `c` is the ciphertexts of contest `c` on the `i`-th counted ballot whose style
//! holds `c`, in board order. One list per contest rather than one row per ballot across its
//! contests: a row spanning contests would reveal, after decryption, which contests a ballot held
//! — its ballot style, which may be small enough to single a voter out — and would link a voter's
//! choices across contests. Each mixer shuffles every list with its own permutation.
//!
//! The objects here are protocol data with canonical encodings; the record crate splits each
//! into board entries and applies the election's rules to them.

use crate::elgamal::{Ciphertext, ElectionKey};
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::{DecodeError, TallyError};
use crate::group::Point;
use crate::hash::Digest;
use crate::mix::{CiphertextList, MixGenerators, MixStatement, MAX_MIX_ROWS, MAX_MIX_WIDTH};
use crate::proofs::batch::BatchVerifier;
use crate::proofs::chaum_pedersen::{ChaumPedersenProof, DleqStatement};
use crate::proofs::ShuffleProof;
use crate::tally::ShareItem;
use crate::threshold::{lagrange_at_zero, SecretShare};
use crate::transcript::{labels, Transcript, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

const MAX_STRING: usize = 4096;
/// Share items per batch of the parallel verification (and per proving task).
const SHARE_CHUNK: usize = 1024;

/// One mixed contest's list: its id and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixedList {
    pub contest: String,
    pub list: CiphertextList,
}

impl Canonical for MixedList {
    const MIN_ENCODED_LEN: usize = 12;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.contest);
        self.list.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MixedList {
            contest: r.str(MAX_STRING)?,
            list: CiphertextList::decode(r)?,
        })
    }
}

/// `SHA-256(MIX_LISTS ‖ E ‖ u32(L) ‖` each list's contest and [`CiphertextList`] encoding`)`:
/// names a set of lists (the input of a shuffle, the lists a share decrypts).
pub fn lists_digest<'a>(
    election: &Digest,
    lists: impl ExactSizeIterator<Item = (&'a str, &'a CiphertextList)>,
) -> Digest {
    let mut w = Writer::new();
    w.digest(election).len(lists.len());
    for (contest, list) in lists {
        w.str(contest);
        list.encode(&mut w);
    }
    Digest::of(labels::MIX_LISTS, &w.into_bytes())
}

/// The mix input (§13.7): fixed by the rules after voting closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixInput {
    pub election: Digest,
    /// How many mixers must shuffle before the lists may be decrypted (`k ≤ m ≤` qualified).
    pub min_mixers: u32,
    /// One list per mixed contest, in manifest order.
    pub lists: Vec<MixedList>,
}

impl MixInput {
    /// The digest of the lists (§13.7).
    pub fn digest(&self) -> Digest {
        lists_digest(
            &self.election,
            self.lists.iter().map(|l| (l.contest.as_str(), &l.list)),
        )
    }
}

impl Canonical for MixInput {
    const MIN_ENCODED_LEN: usize = 40;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election)
            .u32(self.min_mixers)
            .seq(&self.lists);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MixInput {
            election: r.digest()?,
            min_mixers: r.u32()?,
            lists: r.seq(crate::election::MAX_CONTESTS)?,
        })
    }
}

/// One list shuffled: its contest, the output rows and the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShuffledList {
    pub contest: String,
    pub list: CiphertextList,
    pub proof: ShuffleProof,
}

impl Canonical for ShuffledList {
    const MIN_ENCODED_LEN: usize = 12;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.contest);
        self.list.encode(w);
        self.proof.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ShuffledList {
            contest: r.str(MAX_STRING)?,
            list: CiphertextList::decode(r)?,
            proof: ShuffleProof::decode(r)?,
        })
    }
}

/// A mixer's shuffle of every mixed list (§13.8), signed with its long-term signing key (the
/// shuffle proof shows the output is a shuffle, not who made it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shuffle {
    pub election: Digest,
    /// The mixer: a qualified trustee's index.
    pub mixer: u32,
    /// The digest of the lists it shuffled ([`lists_digest`]).
    pub input: Digest,
    /// One per mixed list, in the input's order.
    pub lists: Vec<ShuffledList>,
    pub signature: Signature,
}

/// Why a shuffle was refused, naming nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShuffleError {
    #[error("the shuffle is for another election")]
    WrongElection,
    #[error("it shuffles lists {got}, the current lists are {expected}")]
    WrongInput { expected: Digest, got: Digest },
    #[error("it has {got} lists, the mix has {expected}")]
    ListCount { expected: usize, got: usize },
    #[error("list {position} is of contest {got:?}, expected {expected:?}")]
    Contest {
        position: usize,
        expected: String,
        got: String,
    },
    #[error("the mixer's signature does not verify")]
    Signature,
    #[error("the shuffle of contest {contest:?}: {source}")]
    Proof {
        contest: String,
        #[source]
        source: crate::mix::MixError,
    },
}

impl ShuffleError {
    /// A stable verdict code.
    pub fn code(&self) -> &'static str {
        match self {
            ShuffleError::WrongElection => "wrong_election",
            ShuffleError::WrongInput { .. } => "wrong_input",
            ShuffleError::ListCount { .. } | ShuffleError::Contest { .. } => "shape",
            ShuffleError::Signature => "signature",
            ShuffleError::Proof { source, .. } => source.code(),
        }
    }
}

fn shuffle_signing_digest(
    election: &Digest,
    mixer: u32,
    input: &Digest,
    lists: &[ShuffledList],
) -> Digest {
    let mut w = Writer::new();
    w.digest(election).u32(mixer).digest(input).seq(lists);
    Digest::of(labels::MIX_SHUFFLE, &w.into_bytes())
}

impl Shuffle {
    /// Shuffles every list of `inputs` (the current lists, named by `input`), proves each
    /// shuffle and signs the whole with the mixer's signing key.
    #[allow(clippy::too_many_arguments)]
    pub fn make<R: RngCore + CryptoRng>(
        election: &Digest,
        key: &ElectionKey,
        generators: &MixGenerators,
        mixer: u32,
        inputs: &[MixedList],
        signing: &SigningKey,
        rng: &mut R,
    ) -> Result<Shuffle, crate::mix::MixError> {
        let input = lists_digest(
            election,
            inputs.iter().map(|l| (l.contest.as_str(), &l.list)),
        );
        let mut lists = Vec::with_capacity(inputs.len());
        for l in inputs {
            let (outputs, witness) = crate::mix::shuffle(key, &l.list, rng);
            let st = MixStatement {
                election_hash: election,
                key,
                generators,
                mixer,
                inputs: &l.list,
                outputs: &outputs,
            };
            let proof = ShuffleProof::prove(&st, &witness, rng)?;
            lists.push(ShuffledList {
                contest: l.contest.clone(),
                list: outputs,
                proof,
            });
        }
        let signature = signing.sign(&shuffle_signing_digest(election, mixer, &input, &lists).0);
        Ok(Shuffle {
            election: *election,
            mixer,
            input,
            lists,
            signature,
        })
    }

    /// The digest of the output lists (what the next mixer shuffles, or the trustees decrypt).
    pub fn output_digest(&self) -> Digest {
        lists_digest(
            &self.election,
            self.lists.iter().map(|l| (l.contest.as_str(), &l.list)),
        )
    }

    /// The output lists.
    pub fn outputs(&self) -> Vec<MixedList> {
        self.lists
            .iter()
            .map(|l| MixedList {
                contest: l.contest.clone(),
                list: l.list.clone(),
            })
            .collect()
    }

    /// Everything but the proofs: the election, the input it names, the lists' contests in
    /// order and the mixer's signature. Cheap.
    pub fn check_statement(
        &self,
        election: &Digest,
        inputs: &[MixedList],
        signing_key: &VerifyingKey,
    ) -> Result<(), ShuffleError> {
        if &self.election != election {
            return Err(ShuffleError::WrongElection);
        }
        let current = lists_digest(
            election,
            inputs.iter().map(|l| (l.contest.as_str(), &l.list)),
        );
        if self.input != current {
            return Err(ShuffleError::WrongInput {
                expected: current,
                got: self.input,
            });
        }
        if self.lists.len() != inputs.len() {
            return Err(ShuffleError::ListCount {
                expected: inputs.len(),
                got: self.lists.len(),
            });
        }
        for (position, (out, inp)) in self.lists.iter().zip(inputs).enumerate() {
            if out.contest != inp.contest {
                return Err(ShuffleError::Contest {
                    position,
                    expected: inp.contest.clone(),
                    got: out.contest.clone(),
                });
            }
        }
        let digest = shuffle_signing_digest(&self.election, self.mixer, &self.input, &self.lists);
        signing_key
            .verify_strict(&digest.0, &self.signature)
            .map_err(|_| ShuffleError::Signature)
    }

    /// Verifies every list's shuffle proof against `inputs` (each batched, across cores).
    pub fn verify_proofs(
        &self,
        key: &ElectionKey,
        generators: &MixGenerators,
        inputs: &[MixedList],
    ) -> Result<(), ShuffleError> {
        for (out, inp) in self.lists.iter().zip(inputs) {
            let st = MixStatement {
                election_hash: &self.election,
                key,
                generators,
                mixer: self.mixer,
                inputs: &inp.list,
                outputs: &out.list,
            };
            out.proof
                .verify(&st)
                .map_err(|source| ShuffleError::Proof {
                    contest: out.contest.clone(),
                    source,
                })?;
        }
        Ok(())
    }
}

impl Canonical for Shuffle {
    const MIN_ENCODED_LEN: usize = 32 + 4 + 32 + 4 + 64;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election)
            .u32(self.mixer)
            .digest(&self.input)
            .seq(&self.lists)
            .fixed(&self.signature.to_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let election = r.digest()?;
        let mixer = r.u32()?;
        let input = r.digest()?;
        let lists = r.seq(crate::election::MAX_CONTESTS)?;
        let mut sig = [0u8; 64];
        sig.copy_from_slice(r.fixed(64)?);
        Ok(Shuffle {
            election,
            mixer,
            input,
            lists,
            signature: Signature::from_bytes(&sig),
        })
    }
}

/// A trustee's decryption share of the final lists (§13.9): for every ciphertext `(α, β)` of
/// every list, row-major, `Mⱼ = sⱼ·α` with a Chaum–Pedersen proof that it uses the same `sⱼ` as
/// the trustee's verification key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixShare {
    pub trustee: u32,
    /// The digest of the lists it decrypts ([`lists_digest`]).
    pub lists: Digest,
    /// Per list, one item per ciphertext, row-major.
    pub items: Vec<Vec<ShareItem>>,
}

fn mix_share_transcript(
    election: &Digest,
    lists: &Digest,
    trustee: u32,
    list: usize,
    item: usize,
) -> Transcript {
    let mut t = Transcript::for_proof(labels::MIX_DECRYPTION_SHARE);
    t.append_election(election);
    t.append_message(b"lists", &lists.0);
    t.append_u64(b"trustee", u64::from(trustee));
    t.append_u64(b"list", list as u64);
    t.append_u64(b"item", item as u64);
    t
}

/// Runs `f` over `0..n` in chunks, in parallel with the `parallel` feature.
fn chunked<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> T + Sync + Send) -> Vec<T> {
    let ranges: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(SHARE_CHUNK)
        .map(|s| s..(s + SHARE_CHUNK).min(n))
        .collect();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        ranges.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        ranges.into_iter().map(f).collect()
    }
}

impl MixShare {
    /// Trustee `trustee`'s share of `lists` (named `digest`) with its secret share `sⱼ`. Each
    /// chunk of ciphertexts draws its proof nonces from its own generator seeded from `rng`.
    pub fn compute<R: RngCore + CryptoRng>(
        election: &Digest,
        lists: &[MixedList],
        trustee: u32,
        secret: &SecretShare,
        rng: &mut R,
    ) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        let digest = lists_digest(
            election,
            lists.iter().map(|l| (l.contest.as_str(), &l.list)),
        );
        let vk = secret.public();
        let items = lists
            .iter()
            .enumerate()
            .map(|(li, l)| {
                let cts = l.list.ciphertexts();
                let seeds: Vec<[u8; 32]> = (0..cts.len().div_ceil(SHARE_CHUNK))
                    .map(|_| {
                        let mut s = [0u8; 32];
                        rng.fill_bytes(&mut s);
                        s
                    })
                    .collect();
                chunked(cts.len(), |range| {
                    let mut crng =
                        rand_chacha::ChaCha20Rng::from_seed(seeds[range.start / SHARE_CHUNK]);
                    range
                        .map(|i| {
                            let ct = &cts[i];
                            let share = Point::from_point(ct.alpha.point() * secret.scalar());
                            let mut t = mix_share_transcript(election, &digest, trustee, li, i);
                            let st = DleqStatement {
                                x_pub: &vk,
                                base: &ct.alpha,
                                y_pub: &share,
                            };
                            ShareItem {
                                share,
                                proof: ChaumPedersenProof::prove(
                                    &mut t,
                                    secret.scalar(),
                                    &st,
                                    &mut crng,
                                ),
                            }
                        })
                        .collect::<Vec<_>>()
                })
                .into_iter()
                .flatten()
                .collect()
            })
            .collect();
        MixShare {
            trustee,
            lists: digest,
            items,
        }
    }

    /// Verifies every proof against the trustee's verification key: batched (one multiscalar
    /// multiplication per chunk of [`SHARE_CHUNK`] ciphertexts), the chunks across cores.
    pub fn verify(
        &self,
        election: &Digest,
        lists: &[MixedList],
        verification_key: &Point,
    ) -> Result<(), TallyError> {
        let invalid = |detail: &str| TallyError::InvalidShare {
            trustee: self.trustee,
            detail: detail.into(),
        };
        let digest = lists_digest(
            election,
            lists.iter().map(|l| (l.contest.as_str(), &l.list)),
        );
        if self.lists != digest {
            return Err(invalid(
                "it decrypts other lists than the final mixed lists",
            ));
        }
        if self.items.len() != lists.len() {
            return Err(invalid("wrong number of lists"));
        }
        for (items, l) in self.items.iter().zip(lists) {
            if items.len() != l.list.ciphertexts().len() {
                return Err(invalid("wrong number of ciphertexts"));
            }
        }
        // The weights' seed covers the statement (the lists, by their digest), the key and
        // the whole share; each chunk derives its own from it and its position.
        let mut seed_w = Writer::new();
        seed_w
            .digest(election)
            .digest(&digest)
            .u32(self.trustee)
            .point(verification_key);
        for items in &self.items {
            seed_w.seq(items);
        }
        let seed = Digest::of(labels::BATCH_WEIGHTS, &seed_w.into_bytes());
        for (li, (items, l)) in self.items.iter().zip(lists).enumerate() {
            let cts = l.list.ciphertexts();
            let ok = chunked(cts.len(), |range| {
                let mut w = Writer::new();
                w.digest(&seed).u32(li as u32).u32(range.start as u32);
                let chunk_seed = Digest::of(labels::BATCH_WEIGHTS, &w.into_bytes()).0;
                let mut batch = BatchVerifier::new(*verification_key.point(), chunk_seed);
                for i in range {
                    let mut t = mix_share_transcript(election, &digest, self.trustee, li, i);
                    let st = DleqStatement {
                        x_pub: verification_key,
                        base: &cts[i].alpha,
                        y_pub: &items[i].share,
                    };
                    items[i].proof.verify_into(&mut t, &st, &mut batch);
                }
                batch.verify()
            });
            if !ok.into_iter().all(|b| b) {
                return Err(invalid("a Chaum–Pedersen proof does not verify"));
            }
        }
        Ok(())
    }
}

impl Canonical for MixShare {
    const MIN_ENCODED_LEN: usize = 40;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.trustee)
            .digest(&self.lists)
            .len(self.items.len());
        for l in &self.items {
            w.seq(l);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let trustee = r.u32()?;
        let lists = r.digest()?;
        let n = r.len(crate::election::MAX_CONTESTS, 4)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(r.seq(MAX_MIX_ROWS * MAX_MIX_WIDTH)?);
        }
        Ok(MixShare {
            trustee,
            lists,
            items,
        })
    }
}

/// The decrypted rows of one mixed contest, in the final mixed order, and the counts per option
/// derived from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixedContestResult {
    pub contest: String,
    /// One row per counted ballot holding the contest: the value of each option.
    pub rows: Vec<Vec<u64>>,
    /// `counts[o] = Σ rows[i][o]`.
    pub counts: Vec<u64>,
}

/// The decrypted mixed lists (§13.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixResult {
    pub election: Digest,
    /// The digest of the lists decrypted.
    pub lists: Digest,
    pub contests: Vec<MixedContestResult>,
}

impl Canonical for MixedContestResult {
    const MIN_ENCODED_LEN: usize = 16;
    fn encode(&self, w: &mut Writer) {
        let width = self.counts.len();
        w.str(&self.contest).len(width).len(self.rows.len());
        for row in &self.rows {
            for v in row {
                w.u64(*v);
            }
        }
        for c in &self.counts {
            w.u64(*c);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let contest = r.str(MAX_STRING)?;
        let width = r.u32()? as usize;
        if width == 0 || width > MAX_MIX_WIDTH {
            return Err(DecodeError::Invalid {
                what: "mixed contest result",
                detail: format!("width {width}"),
            });
        }
        let n = r.len(MAX_MIX_ROWS, 8 * width)?;
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let mut row = Vec::with_capacity(width);
            for _ in 0..width {
                row.push(r.u64()?);
            }
            rows.push(row);
        }
        let mut counts = Vec::with_capacity(width);
        for _ in 0..width {
            counts.push(r.u64()?);
        }
        Ok(MixedContestResult {
            contest,
            rows,
            counts,
        })
    }
}

impl Canonical for MixResult {
    const MIN_ENCODED_LEN: usize = 68;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election)
            .digest(&self.lists)
            .seq(&self.contests);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MixResult {
            election: r.digest()?,
            lists: r.digest()?,
            contests: r.seq(crate::election::MAX_CONTESTS)?,
        })
    }
}

/// Combines `k` or more verified shares of `lists` into the plaintext rows: `m·G = β − Σ λⱼ·Mⱼ`
/// and `m ∈ [0, bound]` per list (`bounds[l]`, the contest's largest option value). The caller
/// verified every share ([`MixShare::verify`]).
pub fn combine_mixed(
    election: &Digest,
    lists: &[MixedList],
    shares: &[&MixShare],
    bounds: &[u64],
) -> Result<MixResult, TallyError> {
    let indices: Vec<u32> = shares.iter().map(|s| s.trustee).collect();
    let lambdas: Vec<Scalar> = indices
        .iter()
        .map(|&i| lagrange_at_zero(&indices, i).ok_or(TallyError::UnknownTrustee(i)))
        .collect::<Result<_, _>>()?;
    let max_bound = bounds.iter().copied().max().unwrap_or(1);
    // Every value of a list is searched separately, so a large bound (2²⁴ for the text
    // columns of write-ins) gets a large table once: at most 16 giant steps per value.
    let table = if max_bound >= 1 << 20 {
        crate::dlog::DlogTable::with_baby_steps((max_bound / 16).saturating_add(1))
    } else {
        crate::dlog::DlogTable::for_bound(max_bound)
    };
    let digest = lists_digest(
        election,
        lists.iter().map(|l| (l.contest.as_str(), &l.list)),
    );
    let mut contests = Vec::with_capacity(lists.len());
    for (li, l) in lists.iter().enumerate() {
        let bound = bounds.get(li).copied().unwrap_or(1);
        let cts: &[Ciphertext] = l.list.ciphertexts();
        let decrypted = chunked(cts.len(), |range| {
            range
                .map(|i| {
                    let s_alpha = RistrettoPoint::vartime_multiscalar_mul(
                        &lambdas,
                        shares.iter().map(|s| *s.items[li][i].share.point()),
                    );
                    let target = cts[i].beta.point() - s_alpha;
                    table
                        .solve(&target, bound)
                        .ok_or(TallyError::CountOutOfBound {
                            contest: li,
                            option: i % l.list.width(),
                            bound,
                        })
                })
                .collect::<Result<Vec<u64>, TallyError>>()
        });
        let mut values = Vec::with_capacity(cts.len());
        for chunk in decrypted {
            values.extend(chunk?);
        }
        let width = l.list.width();
        let rows: Vec<Vec<u64>> = values.chunks_exact(width).map(<[u64]>::to_vec).collect();
        let mut counts = vec![0u64; width];
        for row in &rows {
            for (c, v) in counts.iter_mut().zip(row) {
                *c = c.saturating_add(*v);
            }
        }
        contests.push(MixedContestResult {
            contest: l.contest.clone(),
            rows,
            counts,
        });
    }
    Ok(MixResult {
        election: *election,
        lists: digest,
        contests,
    })
}

/// Builds the mix input of an election (§13.7) from its counted ballots, one at a time in
/// board order, keeping only the mixed contests' ciphertexts.
#[derive(Debug)]
pub struct MixInputBuilder<'e> {
    election: &'e crate::election::Election,
    /// Indices of the mixed contests in the manifest.
    mixed: Vec<usize>,
    items: Vec<Vec<Ciphertext>>,
}

impl<'e> MixInputBuilder<'e> {
    pub fn new(election: &'e crate::election::Election) -> Self {
        let mixed: Vec<usize> = election
            .manifest()
            .contests
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_mixed())
            .map(|(i, _)| i)
            .collect();
        let items = vec![Vec::new(); mixed.len()];
        MixInputBuilder {
            election,
            mixed,
            items,
        }
    }

    /// Adds the next counted ballot, of style index `style`.
    pub fn add(&mut self, style: usize, b: &crate::ballot::EncryptedBallot) {
        let Some(style) = self.election.manifest().ballot_styles.get(style) else {
            return;
        };
        for (l, &ci) in self.mixed.iter().enumerate() {
            if let Some(ec) = style
                .contests
                .iter()
                .position(|&s| s == ci)
                .and_then(|pos| b.contests.get(pos))
            {
                self.items[l].extend_from_slice(&ec.ciphertexts);
            }
        }
    }

    /// The mix input with `min_mixers`.
    pub fn finish(self, min_mixers: u32) -> Result<MixInput, crate::mix::MixError> {
        let manifest = self.election.manifest();
        let lists = self
            .mixed
            .iter()
            .zip(self.items)
            .map(|(&ci, items)| {
                let c = &manifest.contests[ci];
                Ok(MixedList {
                    contest: c.id.clone(),
                    list: CiphertextList::new(c.width(), items)?,
                })
            })
            .collect::<Result<Vec<_>, crate::mix::MixError>>()?;
        Ok(MixInput {
            election: *self.election.hash(),
            min_mixers,
            lists,
        })
    }
}

/// The mix input of `election` (§13.7): for each mixed contest, in manifest order, the rows of
/// the counted ballots whose style holds it, in the order given (board order). `counted` yields
/// each counted ballot with its style's index.
pub fn mix_input<'a>(
    election: &crate::election::Election,
    min_mixers: u32,
    counted: impl Iterator<Item = (usize, &'a crate::ballot::EncryptedBallot)>,
) -> Result<MixInput, crate::mix::MixError> {
    let mut b = MixInputBuilder::new(election);
    for (style, ballot) in counted {
        b.add(style, ballot);
    }
    b.finish(min_mixers)
}
