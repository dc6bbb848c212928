//! One completeness/soundness suite run over every proof type (the shape of zkcrypto/group's
//! conformance tests): honest proofs verify; a flipped bit anywhere in the proof, the same
//! proof in another context (election), or for another statement, does not; encodings round
//! trip; decoding arbitrary bytes fails cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{encrypt_ballot, EncryptedBallot};
use psephos_core::credential::CredentialSecret;
use psephos_core::election::Election;
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::{g, h};
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::proofs::chaum_pedersen::DleqStatement;
use psephos_core::proofs::disjunctive::Witness;
use psephos_core::proofs::{
    ChaumPedersenProof, DisjunctiveProof, LinkProof, RangeProof, SchnorrProof,
};
use psephos_core::sim::{self, shapes};
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyContest};
use psephos_core::threshold::SecretShare;
use psephos_core::transcript::{labels, random_scalar, Transcript, TranscriptProtocol};
use psephos_core::{ballot::verify_ballot, Scalar};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A proof type under test: a statement with its context, and a proof.
trait ProofUnderTest: Sized + Clone {
    const NAME: &'static str;
    fn honest(rng: &mut ChaCha20Rng) -> Self;
    fn verifies(&self) -> bool;
    fn proof_bytes(&self) -> Vec<u8>;
    /// The same statement with a proof decoded from `bytes`, if they decode.
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self>;
    /// The same proof bound to another election.
    fn in_other_context(&self) -> Self;
    /// The same proof for another statement.
    fn for_other_statement(&self, rng: &mut ChaCha20Rng) -> Self;
}

fn context(tag: u8) -> Digest {
    Digest::of(labels::ELECTION_HASH, &[tag])
}

fn key(rng: &mut ChaCha20Rng) -> ElectionKey {
    ElectionKey::new(Point::from_point(g() * random_scalar(rng))).unwrap()
}

fn run_suite<P: ProofUnderTest>() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xC0FFEE ^ P::NAME.len() as u64);
    for _ in 0..3 {
        let p = P::honest(&mut rng);
        assert!(p.verifies(), "{}: honest proof rejected", P::NAME);
        // Round trip of the proof encoding.
        let bytes = p.proof_bytes();
        let again = p.with_proof_bytes(&bytes).expect("own encoding decodes");
        assert!(again.verifies(), "{}: re-decoded proof rejected", P::NAME);
        assert_eq!(again.proof_bytes(), bytes);
        // Trailing garbage is an encoding error.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            p.with_proof_bytes(&longer).is_none(),
            "{}: trailing byte accepted",
            P::NAME
        );
        assert!(
            p.with_proof_bytes(&bytes[..bytes.len() - 1]).is_none(),
            "{}: truncation accepted",
            P::NAME
        );
        // One flipped bit anywhere: a decode error or a rejected proof, never acceptance.
        let step = (bytes.len() * 8 / 160).max(1);
        for bit in (0..bytes.len() * 8).step_by(step) {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            if let Some(q) = p.with_proof_bytes(&b) {
                assert!(
                    !q.verifies(),
                    "{}: bit {bit} flipped and still accepted",
                    P::NAME
                );
            }
        }
        assert!(
            !p.in_other_context().verifies(),
            "{}: accepted in another election",
            P::NAME
        );
        assert!(
            !p.for_other_statement(&mut rng).verifies(),
            "{}: accepted for another statement",
            P::NAME
        );
        // Random bytes of the same length never decode into an accepted proof.
        let mut junk = vec![0u8; bytes.len()];
        rng.fill_bytes(&mut junk);
        if let Some(q) = p.with_proof_bytes(&junk) {
            assert!(!q.verifies());
        }
    }
}

// --- Schnorr -------------------------------------------------------------------------------

#[derive(Clone)]
struct Schnorr {
    ctx: Digest,
    x_pub: Point,
    proof: SchnorrProof,
}

impl Schnorr {
    fn transcript(ctx: &Digest) -> Transcript {
        let mut t = Transcript::for_proof(labels::SCHNORR);
        t.append_election(ctx);
        t
    }
}

impl ProofUnderTest for Schnorr {
    const NAME: &'static str = "Schnorr";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let x = random_scalar(rng);
        let x_pub = Point::from_point(g() * x);
        let ctx = context(1);
        let proof = SchnorrProof::prove(&mut Self::transcript(&ctx), &x, &x_pub, rng);
        Schnorr { ctx, x_pub, proof }
    }
    fn verifies(&self) -> bool {
        self.proof
            .verify(&mut Self::transcript(&self.ctx), &self.x_pub)
            .is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = SchnorrProof::from_canonical_bytes(bytes).ok()?;
        Some(Schnorr {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Schnorr {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, rng: &mut ChaCha20Rng) -> Self {
        Schnorr {
            x_pub: Point::from_point(g() * random_scalar(rng)),
            ..self.clone()
        }
    }
}

// --- Chaum–Pedersen ------------------------------------------------------------------------

#[derive(Clone)]
struct Dleq {
    ctx: Digest,
    x_pub: Point,
    base: Point,
    y_pub: Point,
    proof: ChaumPedersenProof,
}

fn dleq_transcript(ctx: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::CHAUM_PEDERSEN);
    t.append_election(ctx);
    t
}

impl ProofUnderTest for Dleq {
    const NAME: &'static str = "Chaum–Pedersen";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let x = random_scalar(rng);
        let base = Point::from_point(g() * random_scalar(rng));
        let x_pub = Point::from_point(g() * x);
        let y_pub = Point::from_point(base.point() * x);
        let ctx = context(1);
        let st = DleqStatement {
            x_pub: &x_pub,
            base: &base,
            y_pub: &y_pub,
        };
        let proof = ChaumPedersenProof::prove(&mut dleq_transcript(&ctx), &x, &st, rng);
        Dleq {
            ctx,
            x_pub,
            base,
            y_pub,
            proof,
        }
    }
    fn verifies(&self) -> bool {
        let st = DleqStatement {
            x_pub: &self.x_pub,
            base: &self.base,
            y_pub: &self.y_pub,
        };
        self.proof
            .verify(&mut dleq_transcript(&self.ctx), &st)
            .is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = ChaumPedersenProof::from_canonical_bytes(bytes).ok()?;
        Some(Dleq {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Dleq {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, _rng: &mut ChaCha20Rng) -> Self {
        // Y = x·P + G: a false statement with the same X and P.
        Dleq {
            y_pub: Point::from_point(self.y_pub.point() + g()),
            ..self.clone()
        }
    }
}

// --- Disjunctive (selection [0,1] and a wider range [2,5]) ------------------------------------

#[derive(Clone)]
struct Disjunctive<const LO: u64, const HI: u64> {
    ctx: Digest,
    key: ElectionKey,
    ct: Ciphertext,
    proof: DisjunctiveProof,
}

fn disjunctive_transcript(ctx: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::CONTEST_LIMIT);
    t.append_election(ctx);
    t
}

impl<const LO: u64, const HI: u64> ProofUnderTest for Disjunctive<LO, HI> {
    const NAME: &'static str = "disjunctive Chaum–Pedersen";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let key = key(rng);
        let m = LO + rng.next_u64() % (HI - LO + 1);
        let r = random_scalar(rng);
        let ct = Ciphertext::encrypt(&key, &Scalar::from(m), &r);
        let ctx = context(1);
        let w = Witness {
            value: m,
            nonce: &r,
        };
        let proof = DisjunctiveProof::prove(
            &mut disjunctive_transcript(&ctx),
            &key,
            &ct,
            &w,
            LO,
            HI,
            rng,
        )
        .unwrap();
        Disjunctive {
            ctx,
            key,
            ct,
            proof,
        }
    }
    fn verifies(&self) -> bool {
        let mut b = psephos_core::proofs::BatchVerifier::new(*self.key.point().point(), [7; 32]);
        let kind = psephos_core::error::ProofKind::ContestLimit;
        self.proof
            .verify_into(
                &mut disjunctive_transcript(&self.ctx),
                &self.ct,
                LO,
                HI,
                kind,
                &mut b,
            )
            .is_ok()
            && b.verify()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = DisjunctiveProof::from_canonical_bytes(bytes).ok()?;
        Some(Disjunctive {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Disjunctive {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, _rng: &mut ChaCha20Rng) -> Self {
        // Shift the plaintext by HI − LO + 1: now out of range.
        let beta = Point::from_point(self.ct.beta.point() + g() * Scalar::from(HI - LO + 1));
        Disjunctive {
            ct: Ciphertext {
                alpha: self.ct.alpha,
                beta,
            },
            ..self.clone()
        }
    }
}

#[test]
fn disjunctive_out_of_range_cannot_be_proved() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let k = key(&mut rng);
    let r = random_scalar(&mut rng);
    let ct = Ciphertext::encrypt(&k, &Scalar::from(2u64), &r);
    let w = Witness {
        value: 2,
        nonce: &r,
    };
    assert!(DisjunctiveProof::prove(
        &mut disjunctive_transcript(&context(1)),
        &k,
        &ct,
        &w,
        0,
        1,
        &mut rng
    )
    .is_none());
}

// --- Commitment link ------------------------------------------------------------------------

#[derive(Clone)]
struct Link {
    ctx: Digest,
    key: ElectionKey,
    ct: Ciphertext,
    commitment: Point,
    proof: LinkProof,
}

fn link_transcript(ctx: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::COMMITMENT_LINK);
    t.append_election(ctx);
    t
}

impl ProofUnderTest for Link {
    const NAME: &'static str = "commitment link";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let key = key(rng);
        let m = Scalar::from(rng.next_u64() % 11);
        let (r, t) = (random_scalar(rng), random_scalar(rng));
        let ct = Ciphertext::encrypt(&key, &m, &r);
        let commitment = Point::from_point(g() * m + h() * t);
        let ctx = context(1);
        let proof = LinkProof::prove(
            &mut link_transcript(&ctx),
            &key,
            &ct,
            &commitment,
            &m,
            &r,
            &t,
            rng,
        );
        Link {
            ctx,
            key,
            ct,
            commitment,
            proof,
        }
    }
    fn verifies(&self) -> bool {
        self.proof
            .verify(
                &mut link_transcript(&self.ctx),
                &self.key,
                &self.ct,
                &self.commitment,
            )
            .is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = LinkProof::from_canonical_bytes(bytes).ok()?;
        Some(Link {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Link {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, _rng: &mut ChaCha20Rng) -> Self {
        // The commitment now holds m + 1 while the ciphertext holds m.
        Link {
            commitment: Point::from_point(self.commitment.point() + g()),
            ..self.clone()
        }
    }
}

// --- Bulletproofs range ----------------------------------------------------------------------

#[derive(Clone)]
struct Range {
    ctx: Digest,
    commitments: Vec<Point>,
    proof: RangeProof,
}

fn range_transcript(ctx: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::RANGE);
    t.append_election(ctx);
    t
}

impl ProofUnderTest for Range {
    const NAME: &'static str = "Bulletproofs range";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let values: Vec<u64> = (0..3).map(|_| rng.next_u64() % 256).collect();
        let blindings: Vec<Scalar> = values.iter().map(|_| random_scalar(rng)).collect();
        let commitments = values
            .iter()
            .zip(&blindings)
            .map(|(&v, t)| Point::from_point(g() * Scalar::from(v) + h() * t))
            .collect();
        let ctx = context(1);
        let proof =
            RangeProof::prove(&mut range_transcript(&ctx), &values, &blindings, 8, rng).unwrap();
        Range {
            ctx,
            commitments,
            proof,
        }
    }
    fn verifies(&self) -> bool {
        let c: Vec<_> = self.commitments.iter().map(Point::compressed).collect();
        self.proof
            .verify(&mut range_transcript(&self.ctx), &c, 8)
            .is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = RangeProof::from_canonical_bytes(bytes).ok()?;
        Some(Range {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Range {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, _rng: &mut ChaCha20Rng) -> Self {
        let mut commitments = self.commitments.clone();
        commitments[1] = Point::from_point(commitments[1].point() + g() * Scalar::from(256u64));
        Range {
            commitments,
            ..self.clone()
        }
    }
}

#[test]
fn range_proof_rejects_values_out_of_range() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let t = random_scalar(&mut rng);
    assert!(RangeProof::prove(
        &mut range_transcript(&context(1)),
        &[256],
        &[t],
        8,
        &mut rng
    )
    .is_none());
}

// --- Decryption share ---------------------------------------------------------------------

#[derive(Clone)]
struct Share {
    tally: EncryptedTally,
    vk: Point,
    share: DecryptionShare,
}

impl ProofUnderTest for Share {
    const NAME: &'static str = "decryption share";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let k = key(rng);
        let ciphertexts = (0..2)
            .map(|m| Ciphertext::encrypt(&k, &Scalar::from(m as u64), &random_scalar(rng)))
            .collect();
        let tally = EncryptedTally {
            election: context(1),
            contests: vec![TallyContest {
                contest: "c".into(),
                ballots: 1,
                weight: 1,
                ciphertexts,
            }],
        };
        let secret = SecretShare::from_scalar(random_scalar(rng));
        let share = DecryptionShare::compute(&tally, 2, &secret, rng);
        Share {
            tally,
            vk: secret.public(),
            share,
        }
    }
    fn verifies(&self) -> bool {
        self.share.verify(&self.tally, &self.vk).is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.share.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let share = DecryptionShare::from_canonical_bytes(bytes).ok()?;
        Some(Share {
            share,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        let mut tally = self.tally.clone();
        tally.election = context(2);
        Share {
            tally,
            ..self.clone()
        }
    }
    fn for_other_statement(&self, rng: &mut ChaCha20Rng) -> Self {
        Share {
            vk: Point::from_point(g() * random_scalar(rng)),
            ..self.clone()
        }
    }
}

// --- Whole ballots (selection, limit, link, range, signature together) --------------------

#[derive(Clone)]
struct Ballot {
    election: Election,
    ballot: EncryptedBallot,
}

impl ProofUnderTest for Ballot {
    const NAME: &'static str = "ballot";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        let m = shapes::plurality(3);
        let c = sim::ceremony(&m.hash(), 3, 2, rng);
        let election = Election::new(m, c.joint_key).unwrap();
        let cred = CredentialSecret::from_scalar(random_scalar(rng));
        let p = sim::random_ballot(election.manifest(), "all", rng).unwrap();
        let (ballot, _) = encrypt_ballot(&election, &cred, &p, rng).unwrap();
        Ballot { election, ballot }
    }
    fn verifies(&self) -> bool {
        verify_ballot(&self.election, self.ballot.clone()).is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.ballot.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let ballot = EncryptedBallot::from_canonical_bytes(bytes).ok()?;
        Some(Ballot {
            ballot,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        let election = Election::new(
            self.election.manifest().clone(),
            Point::from_point(g() * Scalar::from(5u64)),
        )
        .unwrap();
        Ballot {
            election,
            ..self.clone()
        }
    }
    fn for_other_statement(&self, rng: &mut ChaCha20Rng) -> Self {
        // Another voter claims the ballot: same proofs, another credential.
        let mut ballot = self.ballot.clone();
        ballot.credential = Point::from_point(g() * random_scalar(rng));
        Ballot {
            ballot,
            ..self.clone()
        }
    }
}

#[test]
fn schnorr_conformance() {
    run_suite::<Schnorr>();
}
#[test]
fn chaum_pedersen_conformance() {
    run_suite::<Dleq>();
}
#[test]
fn selection_conformance() {
    run_suite::<Disjunctive<0, 1>>();
}
#[test]
fn disjunctive_conformance() {
    run_suite::<Disjunctive<2, 5>>();
}
#[test]
fn commitment_link_conformance() {
    run_suite::<Link>();
}
#[test]
fn bulletproofs_range_conformance() {
    run_suite::<Range>();
}
#[test]
fn decryption_share_conformance() {
    run_suite::<Share>();
}
#[test]
fn ballot_conformance() {
    run_suite::<Ballot>();
}

// --- Shuffle proof (§13) -------------------------------------------------------------------

use psephos_core::mix::{shuffle, CiphertextList, MixError, MixGenerators, MixStatement};
use psephos_core::proofs::ShuffleProof;
use psephos_core::verdict::Verdict;
use std::sync::{Arc, OnceLock};

/// The standard generators for up to 1000 rows, derived once for the whole suite.
fn mix_gens() -> &'static MixGenerators {
    static G: OnceLock<MixGenerators> = OnceLock::new();
    G.get_or_init(|| MixGenerators::standard(1000).unwrap())
}

/// A list of `n` rows of width `w`: row `i`, column `k` encrypts `(i·w + k) mod 7`.
fn mix_inputs(k: &ElectionKey, n: usize, w: usize, rng: &mut ChaCha20Rng) -> CiphertextList {
    let items = (0..n * w)
        .map(|j| Ciphertext::encrypt(k, &Scalar::from((j % 7) as u64), &random_scalar(rng)))
        .collect();
    CiphertextList::new(w, items).unwrap()
}

/// A shuffle with its statement: an election, a key, a mixer, inputs, outputs and a proof.
#[derive(Clone)]
struct Mix {
    election: Digest,
    key: Arc<ElectionKey>,
    mixer: u32,
    inputs: CiphertextList,
    outputs: CiphertextList,
    proof: ShuffleProof,
}

impl Mix {
    fn new(n: usize, w: usize, rng: &mut ChaCha20Rng) -> Self {
        let key = Arc::new(key(rng));
        let inputs = mix_inputs(&key, n, w, rng);
        let (outputs, witness) = shuffle(&key, &inputs, rng);
        let election = context(1);
        let st = MixStatement {
            election_hash: &election,
            key: &key,
            generators: mix_gens(),
            mixer: 2,
            inputs: &inputs,
            outputs: &outputs,
        };
        let proof = ShuffleProof::prove(&st, &witness, rng).unwrap();
        Mix {
            election,
            key,
            mixer: 2,
            inputs,
            outputs,
            proof,
        }
    }
    fn check_with(&self, gens: &MixGenerators) -> Result<(), MixError> {
        self.proof.verify(&MixStatement {
            election_hash: &self.election,
            key: &self.key,
            generators: gens,
            mixer: self.mixer,
            inputs: &self.inputs,
            outputs: &self.outputs,
        })
    }
    fn check(&self) -> Result<(), MixError> {
        self.check_with(mix_gens())
    }
}

impl ProofUnderTest for Mix {
    const NAME: &'static str = "shuffle";
    fn honest(rng: &mut ChaCha20Rng) -> Self {
        Mix::new(3, 2, rng)
    }
    fn verifies(&self) -> bool {
        self.check().is_ok()
    }
    fn proof_bytes(&self) -> Vec<u8> {
        self.proof.to_canonical_bytes()
    }
    fn with_proof_bytes(&self, bytes: &[u8]) -> Option<Self> {
        let proof = ShuffleProof::from_canonical_bytes(bytes).ok()?;
        Some(Mix {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Mix {
            election: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, rng: &mut ChaCha20Rng) -> Self {
        // The same proof presented for another input list (same key, shape and outputs).
        Mix {
            inputs: mix_inputs(&self.key, self.inputs.len(), self.inputs.width(), rng),
            ..self.clone()
        }
    }
}

#[test]
fn shuffle_conformance() {
    run_suite::<Mix>();
}

#[test]
fn shuffle_completeness_widths_and_sizes() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    for w in 1..=8 {
        for n in [0, 1, 2, 5] {
            let m = Mix::new(n, w, &mut rng);
            assert_eq!(m.check(), Ok(()), "n = {n}, w = {w}");
            assert_eq!(
                m.proof.to_canonical_bytes().len(),
                ShuffleProof::encoded_len(n, w)
            );
            let json = serde_json::to_string(&m.proof).unwrap();
            assert_eq!(
                serde_json::from_str::<ShuffleProof>(&json).unwrap(),
                m.proof
            );
        }
    }
}

/// n = 1000 (w = 1 and w = 3). The curve arithmetic is optimised even in debug builds
/// (`[profile.dev.package.curve25519-dalek]`), so this takes seconds, not minutes.
#[test]
fn shuffle_completeness_thousand_rows() {
    let mut rng = ChaCha20Rng::seed_from_u64(1000);
    for w in [1, 3] {
        let m = Mix::new(1000, w, &mut rng);
        assert_eq!(m.check(), Ok(()), "w = {w}");
        let mut bad = m.clone();
        let mut items = bad.outputs.ciphertexts().to_vec();
        items.swap(0, 999 * w);
        bad.outputs = CiphertextList::new(w, items).unwrap();
        assert_eq!(bad.check(), Err(MixError::Proof));
    }
}

#[test]
fn shuffle_negatives() {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let m = Mix::new(6, 2, &mut rng);
    assert_eq!(m.check(), Ok(()));
    let (n, w) = (6, 2);
    let with_outputs = |items: Vec<Ciphertext>, width: usize| Mix {
        outputs: CiphertextList::new(width, items).unwrap(),
        ..m.clone()
    };
    let with_inputs = |items: Vec<Ciphertext>, width: usize| Mix {
        inputs: CiphertextList::new(width, items).unwrap(),
        ..m.clone()
    };
    let outs = m.outputs.ciphertexts().to_vec();
    let ins = m.inputs.ciphertexts().to_vec();

    // One output ciphertext changed: re-randomised (same plaintext!), or another plaintext.
    let mut o = outs.clone();
    o[3].beta = Point::from_point(o[3].beta.point() + g());
    assert_eq!(with_outputs(o, w).check(), Err(MixError::Proof));
    let mut o = outs.clone();
    o[3].alpha = Point::from_point(o[3].alpha.point() + g());
    o[3].beta = Point::from_point(o[3].beta.point() + m.key.point().point());
    assert_eq!(with_outputs(o, w).check(), Err(MixError::Proof));
    // Two output rows swapped after proving.
    let mut o = outs.clone();
    o.swap(0, 2 * w);
    o.swap(1, 2 * w + 1);
    assert_eq!(with_outputs(o, w).check(), Err(MixError::Proof));
    // Two ciphertexts of one row swapped (columns are not interchangeable).
    let mut o = outs.clone();
    o.swap(0, 1);
    assert_eq!(with_outputs(o, w).check(), Err(MixError::Proof));
    // Another input list; one input row replaced by a duplicate of another.
    let mut i = ins.clone();
    i[0] = i[2];
    i[1] = i[3];
    assert_eq!(with_inputs(i, w).check(), Err(MixError::Proof));
    // Another mixer index, election, key.
    assert_eq!(
        Mix {
            mixer: 3,
            ..m.clone()
        }
        .check(),
        Err(MixError::Proof)
    );
    assert_eq!(
        Mix {
            election: context(9),
            ..m.clone()
        }
        .check(),
        Err(MixError::Proof)
    );
    assert_eq!(
        Mix {
            key: Arc::new(key(&mut rng)),
            ..m.clone()
        }
        .check(),
        Err(MixError::Proof)
    );
    // A wrong generator set: another label, or too few generators.
    let other = MixGenerators::derive(b"psephos/mix-generators v0", 10).unwrap();
    assert_eq!(m.check_with(&other), Err(MixError::Proof));
    let small = MixGenerators::standard(5).unwrap();
    assert_eq!(
        m.check_with(&small),
        Err(MixError::Generators { needed: 6, have: 5 })
    );
    // The standard set of another capacity is the same generators (prefix property).
    assert_eq!(m.check_with(&MixGenerators::standard(7).unwrap()), Ok(()));
    // Truncated and extended lists (outputs, inputs, both).
    let short = |v: &[Ciphertext]| v[..(n - 1) * w].to_vec();
    assert!(matches!(
        with_outputs(short(&outs), w).check(),
        Err(MixError::Shape { .. })
    ));
    let mut long = outs.clone();
    long.extend_from_slice(&outs[..w]);
    assert!(matches!(
        with_outputs(long.clone(), w).check(),
        Err(MixError::Shape { .. })
    ));
    let mut both = with_outputs(long, w);
    let mut li = ins.clone();
    li.extend_from_slice(&ins[..w]);
    both.inputs = CiphertextList::new(w, li).unwrap();
    assert!(matches!(both.check(), Err(MixError::Shape { .. })));
    let both = Mix {
        inputs: CiphertextList::new(w, short(&ins)).unwrap(),
        outputs: CiphertextList::new(w, short(&outs)).unwrap(),
        ..m.clone()
    };
    assert!(matches!(both.check(), Err(MixError::Shape { .. })));
    // Width mismatch: the same ciphertexts read as rows of width 1 or 3.
    assert!(matches!(
        with_outputs(outs.clone(), 1).check(),
        Err(MixError::Shape { .. })
    ));
    let both = Mix {
        inputs: CiphertextList::new(3, ins[..6].to_vec()).unwrap(),
        outputs: CiphertextList::new(3, outs[..6].to_vec()).unwrap(),
        ..m.clone()
    };
    assert!(matches!(both.check(), Err(MixError::Shape { .. })));
    assert_eq!(
        CiphertextList::new(0, vec![]).unwrap_err(),
        MixError::Width(0)
    );
    assert!(matches!(
        CiphertextList::new(2, ins[..3].to_vec()),
        Err(MixError::Shape { .. })
    ));
    // Proof vectors of the wrong length.
    let mut p = m.clone();
    p.proof.s_prime.pop();
    assert!(matches!(p.check(), Err(MixError::Shape { .. })));
    let mut p = m.clone();
    p.proof.t4.push(p.proof.t4[0]);
    assert!(matches!(p.check(), Err(MixError::Shape { .. })));
    // Identity permutation commitment (JSON accepts it; verification does not).
    let mut p = m.clone();
    p.proof.commitments[0] = Point::identity();
    assert!(p.check().is_err());
}

#[test]
fn shuffle_encoding_is_strict() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let m = Mix::new(2, 1, &mut rng);
    let bytes = m.proof.to_canonical_bytes();
    assert_eq!(ShuffleProof::from_canonical_bytes(&bytes).unwrap(), m.proof);
    // Trailing bytes.
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        ShuffleProof::from_canonical_bytes(&longer).unwrap_err(),
        psephos_core::DecodeError::TrailingBytes(1)
    );
    // A non-canonical point (the field element p = 2²⁵⁵ − 19) as the first commitment.
    let mut nc = bytes.clone();
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    nc[4..36].copy_from_slice(&p);
    assert_eq!(
        ShuffleProof::from_canonical_bytes(&nc).unwrap_err(),
        psephos_core::DecodeError::NonCanonicalPoint
    );
    // The identity as a permutation commitment.
    let mut id = bytes.clone();
    id[4..36].copy_from_slice(&[0; 32]);
    assert_eq!(
        ShuffleProof::from_canonical_bytes(&id).unwrap_err(),
        psephos_core::DecodeError::IdentityPoint
    );
    // A non-canonical scalar (ℓ) as s₁: offset 4+64 + 4+64 + 96 + 4+64 + 4+64.
    let s1 = 4 + 64 + 4 + 64 + 96 + 4 + 64 + 4 + 64;
    let mut ns = bytes.clone();
    ns[s1..s1 + 32].copy_from_slice(
        &hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap(),
    );
    assert_eq!(
        ShuffleProof::from_canonical_bytes(&ns).unwrap_err(),
        psephos_core::DecodeError::NonCanonicalScalar
    );
    // Ciphertext lists: round trip, trailing bytes, width 0, a count the input cannot hold.
    let lb = m.outputs.to_canonical_bytes();
    assert_eq!(
        CiphertextList::from_canonical_bytes(&lb).unwrap(),
        m.outputs
    );
    let mut l2 = lb.clone();
    l2.push(1);
    assert!(CiphertextList::from_canonical_bytes(&l2).is_err());
    let mut l0 = lb.clone();
    l0[..4].copy_from_slice(&[0; 4]);
    assert!(CiphertextList::from_canonical_bytes(&l0).is_err());
    let mut lc = lb.clone();
    lc[4..8].copy_from_slice(&3u32.to_be_bytes());
    assert_eq!(
        CiphertextList::from_canonical_bytes(&lc).unwrap_err(),
        psephos_core::DecodeError::UnexpectedEnd
    );
    let json = serde_json::to_string(&m.outputs).unwrap();
    assert_eq!(
        serde_json::from_str::<CiphertextList>(&json).unwrap(),
        m.outputs
    );
}

/// The committed vectors `tests/vectors/shuffle.json` (written by `psephos vectors generate`):
/// the generators are the ones derived here, and every case gets its recorded verdict code.
#[test]
fn shuffle_known_answer_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/shuffle.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let label = v["generators_label"].as_str().unwrap();
    assert_eq!(label.as_bytes(), labels::MIX_GENERATORS);
    let hs = v["generators"]["h_1_to_n"].as_array().unwrap();
    let gens = MixGenerators::standard(hs.len()).unwrap();
    assert_eq!(v["generators"]["h"], Point::from_point(*gens.h()).to_hex());
    for (h, p) in hs.iter().zip(gens.hs(hs.len()).unwrap()) {
        assert_eq!(h, &Point::from_point(*p).to_hex());
    }
    let proof: ShuffleProof = serde_json::from_value(v["proof"].clone()).unwrap();
    assert_eq!(hex::encode(proof.to_canonical_bytes()), v["proof_hex"]);
    for case in v["cases"].as_array().unwrap() {
        let field = |k: &str| case.get(k).unwrap_or(&v[k]).clone();
        let result = (|| -> Result<(), MixError> {
            let election: Digest = serde_json::from_value(field("election")).unwrap();
            let key = ElectionKey::new(serde_json::from_value(field("K")).unwrap()).unwrap();
            let label: String = serde_json::from_value(field("generators_label")).unwrap();
            let mixer: u32 = serde_json::from_value(field("mixer")).unwrap();
            let inputs: CiphertextList = serde_json::from_value(field("inputs")).unwrap();
            let outputs: CiphertextList = serde_json::from_value(field("outputs")).unwrap();
            let bytes = hex::decode(field("proof_hex").as_str().unwrap()).unwrap();
            let proof = ShuffleProof::from_canonical_bytes(&bytes)?;
            let gens = MixGenerators::derive(label.as_bytes(), inputs.len())?;
            proof.verify(&MixStatement {
                election_hash: &election,
                key: &key,
                generators: &gens,
                mixer,
                inputs: &inputs,
                outputs: &outputs,
            })
        })();
        let verdict = serde_json::to_value(Verdict::of(&result)).unwrap();
        assert_eq!(verdict, case["verdict"], "{}", case["name"]);
    }
}

/// A cheating mixer that uses the honest prover with a witness that does not produce its output
/// (a ballot replaced, a ballot duplicated, a wrong re-encryption) gets a proof that fails;
/// witnesses of the wrong shape are refused; the witness never prints.
#[test]
fn shuffle_cheating_mixers_are_caught() {
    use psephos_core::mix::ShuffleWitness;
    let mut rng = ChaCha20Rng::seed_from_u64(23);
    let k = key(&mut rng);
    let (n, w) = (5, 2);
    let inputs = mix_inputs(&k, n, w, &mut rng);
    let (outputs, witness) = shuffle(&k, &inputs, &mut rng);
    let election = context(1);
    let st = MixStatement {
        election_hash: &election,
        key: &k,
        generators: mix_gens(),
        mixer: 1,
        inputs: &inputs,
        outputs: &outputs,
    };
    assert_eq!(format!("{witness:?}"), "ShuffleWitness(<5 rows, secret>)");
    let prove_and_check = |outs: &CiphertextList, wit: &ShuffleWitness, rng: &mut ChaCha20Rng| {
        let s = MixStatement {
            outputs: outs,
            ..st
        };
        ShuffleProof::prove(&s, wit, rng).unwrap().verify(&s)
    };
    assert_eq!(prove_and_check(&outputs, &witness, &mut rng), Ok(()));
    let mut items = outputs.ciphertexts().to_vec();
    // Replaced: row 0 becomes a fresh encryption of another value.
    items[0] = Ciphertext::encrypt(&k, &Scalar::from(100u64), &random_scalar(&mut rng));
    let replaced = CiphertextList::new(w, items).unwrap();
    assert_eq!(
        prove_and_check(&replaced, &witness, &mut rng),
        Err(MixError::Proof)
    );
    // Duplicated: row 1 is a re-encryption of the same input as row 0.
    let perm = witness.permutation().to_vec();
    let mut items = outputs.ciphertexts().to_vec();
    for c in 0..w {
        let src = inputs.row(perm[0] as usize)[c];
        let r = random_scalar(&mut rng);
        let (a, b) = psephos_core::mix::reencrypt(&k, &src, &r);
        items[w + c] = Ciphertext {
            alpha: a.into(),
            beta: b.into(),
        };
    }
    let duplicated = CiphertextList::new(w, items).unwrap();
    assert_eq!(
        prove_and_check(&duplicated, &witness, &mut rng),
        Err(MixError::Proof)
    );
    // The right permutation with wrong randomness for one ciphertext.
    let mut randomness: Vec<Scalar> = (0..n * w).map(|_| random_scalar(&mut rng)).collect();
    let wrong = ShuffleWitness::new(perm.clone(), randomness.clone()).unwrap();
    assert_eq!(
        prove_and_check(&outputs, &wrong, &mut rng),
        Err(MixError::Proof)
    );
    // Shapes: not a permutation, too little randomness.
    let mut bad = perm.clone();
    bad[0] = bad[1];
    assert_eq!(
        ShuffleWitness::new(bad, randomness.clone()).unwrap_err(),
        MixError::Witness
    );
    randomness.pop();
    let short = ShuffleWitness::new(
        (0..n as u32 - 1).collect(),
        randomness[..(n - 1) * w].to_vec(),
    )
    .unwrap();
    assert_eq!(
        ShuffleProof::prove(&st, &short, &mut rng).unwrap_err(),
        MixError::Witness
    );
}

/// A second verifier written from the text of `docs/protocol.md` §13.2, §13.3 and §13.5 alone:
/// its own generator derivation, its own transcript, and the equations E1–E5 checked one by one
/// without batching. It must agree with the reference verifier on honest and tampered proofs.
#[test]
fn shuffle_spec_verifier_agrees() {
    use curve25519_dalek::ristretto::RistrettoPoint;
    use curve25519_dalek::traits::Identity;
    use sha2::{Digest as _, Sha512};

    fn gen(label: &[u8], x: u32) -> RistrettoPoint {
        let mut sha = Sha512::new();
        sha.update([label.len() as u8]);
        sha.update(label);
        sha.update(x.to_be_bytes());
        let mut b = [0u8; 64];
        b.copy_from_slice(&sha.finalize());
        RistrettoPoint::from_uniform_bytes(&b)
    }
    fn chal(t: &mut Transcript, label: &'static [u8]) -> Scalar {
        let mut b = [0u8; 64];
        t.challenge_bytes(label, &mut b);
        Scalar::from_bytes_mod_order_wide(&b)
    }
    fn spec_verify(m: &Mix) -> bool {
        let (n, w) = (m.inputs.len(), m.inputs.width());
        let p = &m.proof;
        let label = b"psephos/mix-generators v1";
        let h = gen(label, 0);
        let hs: Vec<RistrettoPoint> = (1..=n as u32).map(|i| gen(label, i)).collect();
        let row = |l: &CiphertextList, i: usize| -> Vec<u8> {
            l.row(i)
                .iter()
                .flat_map(|c| [c.alpha.to_bytes(), c.beta.to_bytes()])
                .flatten()
                .collect()
        };
        let mut t = Transcript::new(b"psephos v1");
        t.append_message(b"proof", b"psephos/shuffle v1");
        t.append_message(b"election", &m.election.0);
        t.append_message(b"K", m.key.point().as_bytes());
        t.append_message(b"generators", label);
        t.append_u64(b"mixer", u64::from(m.mixer));
        t.append_u64(b"n", n as u64);
        t.append_u64(b"w", w as u64);
        for i in 0..n {
            t.append_message(b"input", &row(&m.inputs, i));
        }
        for i in 0..n {
            t.append_message(b"output", &row(&m.outputs, i));
        }
        for c in &p.commitments {
            t.append_message(b"c", c.as_bytes());
        }
        let u: Vec<Scalar> = (0..n).map(|_| chal(&mut t, b"u")).collect();
        for c in &p.chain {
            t.append_message(b"c-hat", c.as_bytes());
        }
        t.append_message(b"t1", p.t1.as_bytes());
        t.append_message(b"t2", p.t2.as_bytes());
        t.append_message(b"t3", p.t3.as_bytes());
        for t4 in &p.t4 {
            t.append_message(b"t4-alpha", t4.alpha.as_bytes());
            t.append_message(b"t4-beta", t4.beta.as_bytes());
        }
        for th in &p.t_hat {
            t.append_message(b"t-hat", th.as_bytes());
        }
        let c = chal(&mut t, b"c");
        let g = g();
        let k = *m.key.point().point();
        let sum = |it: &mut dyn Iterator<Item = RistrettoPoint>| {
            it.fold(RistrettoPoint::identity(), |a, b| a + b)
        };
        let cs: Vec<RistrettoPoint> = p.commitments.iter().map(|x| *x.point()).collect();
        let mut chat = vec![h];
        chat.extend(p.chain.iter().map(|x| *x.point()));
        let e1 = g * p.s1
            == p.t1.point() + (sum(&mut cs.iter().copied()) - sum(&mut hs.iter().copied())) * c;
        let prod: Scalar = u.iter().product();
        let e2 = g * p.s2 == p.t2.point() + (chat[n] - h * prod) * c;
        let e3 = g * p.s3 + sum(&mut (0..n).map(|i| hs[i] * p.s_prime[i]))
            == p.t3.point() + sum(&mut (0..n).map(|j| cs[j] * u[j])) * c;
        let e4 = (0..w).all(|kk| {
            let (ins, outs) = (&m.inputs, &m.outputs);
            let a = sum(&mut (0..n).map(|i| outs.row(i)[kk].alpha.point() * p.s_prime[i]))
                - g * p.s4[kk]
                == p.t4[kk].alpha.point()
                    + sum(&mut (0..n).map(|j| ins.row(j)[kk].alpha.point() * u[j])) * c;
            let b = sum(&mut (0..n).map(|i| outs.row(i)[kk].beta.point() * p.s_prime[i]))
                - k * p.s4[kk]
                == p.t4[kk].beta.point()
                    + sum(&mut (0..n).map(|j| ins.row(j)[kk].beta.point() * u[j])) * c;
            a && b
        });
        let e5 = (0..n).all(|i| {
            g * p.s_hat[i] + chat[i] * p.s_prime[i] == p.t_hat[i].point() + chat[i + 1] * c
        });
        e1 && e2 && e3 && e4 && e5
    }

    let mut rng = ChaCha20Rng::seed_from_u64(31);
    for (n, w) in [(0, 1), (1, 1), (2, 3), (7, 2)] {
        let m = Mix::new(n, w, &mut rng);
        assert!(spec_verify(&m), "n = {n}, w = {w}");
        assert!(m.check().is_ok());
        // Tampered responses and commitments: both verifiers reject.
        let mut bad = m.clone();
        bad.proof.s2 += Scalar::ONE;
        assert!(!spec_verify(&bad) && bad.check().is_err());
        if n > 0 {
            let mut bad = m.clone();
            bad.proof.s_hat[n - 1] += Scalar::ONE;
            assert!(!spec_verify(&bad) && bad.check().is_err());
            let mut bad = m.clone();
            bad.proof.t_hat[0] = Point::from_point(bad.proof.t_hat[0].point() + g());
            assert!(!spec_verify(&bad) && bad.check().is_err());
        }
    }
}
