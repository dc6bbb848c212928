//! Fiat–Shamir transcripts and every domain-separation label of the protocol.
//!
//! This is the only file that names a domain label. Each proof type has its own versioned label;
//! a transcript starts with the protocol label, then the proof's label, then the *context*
//! (election hash and, for ballot proofs, the voter's public credential and the proof's position
//! in the ballot), then every public element of the statement, then the prover's commitments.
//! Only then is a challenge drawn. Leaving any public input out would let a prover choose it
//! after the challenge (the "frozen heart" class of bugs), so the order is normative:
//! `docs/protocol.md`, §3 Transcripts.
//!
//! Challenges are 64 bytes reduced modulo ℓ (wide reduction), so they are uniform scalars.

use crate::group::Point;
use crate::hash::Digest;
use curve25519_dalek::scalar::Scalar;
pub use merlin::Transcript;

/// Versioned labels. Changing any of them is a protocol version change.
pub mod labels {
    /// Every merlin transcript of psephos starts with this label.
    pub const PROTOCOL: &[u8] = b"psephos v1";

    /// Schnorr proof of knowledge of a discrete logarithm (key ownership).
    pub const SCHNORR: &[u8] = b"psephos/schnorr v1";
    /// Chaum–Pedersen proof of equality of discrete logarithms.
    pub const CHAUM_PEDERSEN: &[u8] = b"psephos/chaum-pedersen v1";
    /// Disjunctive Chaum–Pedersen proof that one option's ciphertext encrypts 0 or 1.
    pub const SELECTION: &[u8] = b"psephos/selection v1";
    /// Disjunctive Chaum–Pedersen proof that a contest's summed ciphertext encrypts a value in [min, max].
    pub const CONTEST_LIMIT: &[u8] = b"psephos/contest-limit v1";
    /// Σ-proof that a Pedersen commitment and a ciphertext hold the same value.
    pub const COMMITMENT_LINK: &[u8] = b"psephos/commitment-link v1";
    /// Bulletproofs aggregated range proof of a bounded contest's options (score, cumulative, budget).
    pub const RANGE: &[u8] = b"psephos/range v1";
    /// Bulletproofs range proof of a bounded contest's linear limit (cumulative total, budget).
    pub const RANGE_LIMIT: &[u8] = b"psephos/range-limit v1";
    /// Schnorr signature of a ballot by its credential.
    pub const BALLOT_SIGNATURE: &[u8] = b"psephos/ballot-signature v1";
    /// Chaum–Pedersen proof of a trustee's decryption share.
    pub const DECRYPTION_SHARE: &[u8] = b"psephos/decryption-share v1";
    /// Schnorr proof of a key-ceremony polynomial coefficient.
    pub const COEFFICIENT: &[u8] = b"psephos/coefficient v1";
    /// The hedged generator of a ballot's nonces and blindings (prover side only).
    pub const BALLOT_NONCES: &[u8] = b"psephos/ballot-nonces v1";
    /// Derivation of the random weights of batch verification.
    pub const BATCH_WEIGHTS: &[u8] = b"psephos/batch-weights v1";

    /// SHA-256 label of the manifest hash.
    pub const MANIFEST_HASH: &[u8] = b"psephos/manifest v1";
    /// SHA-256 label of the booth manifest's hash (the served web booth, §11.6).
    pub const BOOTH_MANIFEST: &[u8] = b"psephos/booth-manifest v1";
    /// SHA-256 label of the election (base) hash.
    pub const ELECTION_HASH: &[u8] = b"psephos/election v1";
    /// SHA-256 label of the signed ballot content.
    pub const BALLOT_CONTENT: &[u8] = b"psephos/ballot-content v1";
    /// SHA-256 label of the full ballot hash (tracking code).
    pub const BALLOT_HASH: &[u8] = b"psephos/ballot v1";
    /// SHA-512 hash-to-group input of the Pedersen generator H.
    pub const GENERATOR_H: &[u8] = b"psephos/generator-H v1";
    /// SHA-512 derivation of a credential secret from its code.
    pub const CREDENTIAL: &[u8] = b"psephos/credential v1";
    /// SHA-256 checksum of a credential code.
    pub const CREDENTIAL_CHECKSUM: &[u8] = b"psephos/credential-checksum v1";
    /// SHA-256 label of the seed order that breaks ties when counting ranked contests (§13.10).
    pub const COUNT_TIE_ORDER: &[u8] = b"psephos/count-tie-order v1";

    /// SHA-256 label of a key ceremony's id (its parameters: manifest, threshold, trustee keys).
    pub const CEREMONY_ID: &[u8] = b"psephos/ceremony-id v1";
    /// SHA-256 label of the digest a trustee signs for each ceremony message.
    pub const CEREMONY_MESSAGE: &[u8] = b"psephos/ceremony-message v1";
    /// Schnorr proof of a key-ceremony polynomial coefficient, bound to the ceremony id.
    pub const CEREMONY_COEFFICIENT: &[u8] = b"psephos/ceremony-coefficient v1";
    /// HKDF-SHA256 `info` prefix of the key encrypting one dealt share.
    pub const CEREMONY_SHARE_KEY: &[u8] = b"psephos/ceremony-share-key v1";
    /// ChaCha20-Poly1305 associated-data prefix of one encrypted dealt share.
    pub const CEREMONY_SHARE_AAD: &[u8] = b"psephos/ceremony-share-aad v1";
    /// HKDF-SHA256 `info` prefix of a trustee's polynomial coefficients (prover side only).
    pub const CEREMONY_POLYNOMIAL: &[u8] = b"psephos/ceremony-polynomial v1";
    /// The hedged generator of a share encryption's ephemeral key (prover side only).
    pub const CEREMONY_EPHEMERAL: &[u8] = b"psephos/ceremony-ephemeral v1";

    /// Terelius–Wikström shuffle proof of a re-encryption mixer (§13).
    pub const SHUFFLE: &[u8] = b"psephos/shuffle v1";
    /// Hash-to-group label of the shuffle proof's independent generators `h, h₁ … hₙ` (§13.2).
    pub const MIX_GENERATORS: &[u8] = b"psephos/mix-generators v1";
    /// Digest of a set of mixed lists (§13.7).
    pub const MIX_LISTS: &[u8] = b"psephos/mix-lists v1";
    /// What a mixer signs: its shuffle of every mixed list (§13.8).
    pub const MIX_SHUFFLE: &[u8] = b"psephos/mix-shuffle v1";
    /// Chaum–Pedersen proof of a trustee's decryption share of a mixed ciphertext (§13.9).
    pub const MIX_DECRYPTION_SHARE: &[u8] = b"psephos/mix-decryption-share v1";
}

/// Where a ballot proof sits: binds a proof to one election, one voter and one position.
#[derive(Debug, Clone, Copy)]
pub struct BallotContext<'a> {
    pub election_hash: &'a Digest,
    pub election_key: &'a Point,
    pub credential: &'a Point,
    pub contest: u32,
}

/// psephos operations on a merlin transcript.
pub trait TranscriptProtocol {
    /// A fresh transcript for the proof type `label` (one of [`labels`]).
    fn for_proof(label: &'static [u8]) -> Self;
    /// Absorbs the election hash (non-ballot proofs).
    fn append_election(&mut self, election_hash: &Digest);
    /// Absorbs the full ballot context.
    fn append_ballot_context(&mut self, ctx: &BallotContext<'_>);
    fn append_point(&mut self, label: &'static [u8], p: &Point);
    fn append_scalar(&mut self, label: &'static [u8], x: &Scalar);
    fn append_digest(&mut self, label: &'static [u8], d: &Digest);
    /// A uniform challenge scalar (64 bytes, wide reduction).
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptProtocol for Transcript {
    fn for_proof(label: &'static [u8]) -> Self {
        let mut t = Transcript::new(labels::PROTOCOL);
        t.append_message(b"proof", label);
        t
    }

    fn append_election(&mut self, election_hash: &Digest) {
        self.append_message(b"election", &election_hash.0);
    }

    fn append_ballot_context(&mut self, ctx: &BallotContext<'_>) {
        self.append_message(b"election", &ctx.election_hash.0);
        self.append_message(b"K", ctx.election_key.as_bytes());
        self.append_message(b"credential", ctx.credential.as_bytes());
        self.append_u64(b"contest", u64::from(ctx.contest));
    }

    fn append_point(&mut self, label: &'static [u8], p: &Point) {
        self.append_message(label, p.as_bytes());
    }

    fn append_scalar(&mut self, label: &'static [u8], x: &Scalar) {
        self.append_message(label, x.as_bytes());
    }

    fn append_digest(&mut self, label: &'static [u8], d: &Digest) {
        self.append_message(label, &d.0);
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut buf = [0u8; 64];
        self.challenge_bytes(label, &mut buf);
        Scalar::from_bytes_mod_order_wide(&buf)
    }
}

/// The seed of a stand-alone verification's batch weights: the transcript so far (context and
/// label) extended with *every* public input of the check — statement and whole proof — so that
/// no prover can know the weights before fixing its proof. (Weights known in advance would let a
/// prover make two false equations cancel.)
pub fn verification_seed(t: &Transcript, parts: &[&[u8]]) -> [u8; 32] {
    let mut t = t.clone();
    for p in parts {
        t.append_message(b"seed-input", p);
    }
    let mut seed = [0u8; 32];
    t.challenge_bytes(b"batch-seed", &mut seed);
    seed
}

/// A hedged nonce generator: the transcript so far, the prover's secret witness and fresh
/// randomness all feed merlin's `TranscriptRng`, so a weak RNG alone cannot leak the witness.
pub fn prover_rng<R: rand_core::RngCore + rand_core::CryptoRng>(
    t: &Transcript,
    witnesses: &[&Scalar],
    rng: &mut R,
) -> merlin::TranscriptRng {
    let mut b = t.build_rng();
    for w in witnesses {
        b = b.rekey_with_witness_bytes(b"witness", w.as_bytes());
    }
    b.finalize(rng)
}

/// Draws a uniform scalar from any RNG (64 bytes, wide reduction).
pub fn random_scalar<R: rand_core::RngCore + rand_core::CryptoRng>(rng: &mut R) -> Scalar {
    let mut buf = [0u8; 64];
    rng.fill_bytes(&mut buf);
    Scalar::from_bytes_mod_order_wide(&buf)
}
