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
use psephos_core::proofs::{ChaumPedersenProof, LinkProof, RangeProof, RangedProof, SchnorrProof};
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

// --- Disjunctive (selection [0,1] and a ranged [2,5]) ------------------------------------

#[derive(Clone)]
struct Ranged<const LO: u64, const HI: u64> {
    ctx: Digest,
    key: ElectionKey,
    ct: Ciphertext,
    proof: RangedProof,
}

fn ranged_transcript(ctx: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::CONTEST_LIMIT);
    t.append_election(ctx);
    t
}

impl<const LO: u64, const HI: u64> ProofUnderTest for Ranged<LO, HI> {
    const NAME: &'static str = "ranged Chaum–Pedersen";
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
        let proof =
            RangedProof::prove(&mut ranged_transcript(&ctx), &key, &ct, &w, LO, HI, rng).unwrap();
        Ranged {
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
                &mut ranged_transcript(&self.ctx),
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
        let proof = RangedProof::from_canonical_bytes(bytes).ok()?;
        Some(Ranged {
            proof,
            ..self.clone()
        })
    }
    fn in_other_context(&self) -> Self {
        Ranged {
            ctx: context(2),
            ..self.clone()
        }
    }
    fn for_other_statement(&self, _rng: &mut ChaCha20Rng) -> Self {
        // Shift the plaintext by HI − LO + 1: now out of range.
        let beta = Point::from_point(self.ct.beta.point() + g() * Scalar::from(HI - LO + 1));
        Ranged {
            ct: Ciphertext {
                alpha: self.ct.alpha,
                beta,
            },
            ..self.clone()
        }
    }
}

#[test]
fn ranged_out_of_range_cannot_be_proved() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let k = key(&mut rng);
    let r = random_scalar(&mut rng);
    let ct = Ciphertext::encrypt(&k, &Scalar::from(2u64), &r);
    let w = Witness {
        value: 2,
        nonce: &r,
    };
    assert!(RangedProof::prove(
        &mut ranged_transcript(&context(1)),
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
    run_suite::<Ranged<0, 1>>();
}
#[test]
fn ranged_conformance() {
    run_suite::<Ranged<2, 5>>();
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
