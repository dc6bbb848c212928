//! The four ceremony messages, their canonical bytes and their signatures (§9.5).
//!
//! A message is signed over `SHA-256(len ‖ CEREMONY_MESSAGE ‖ ceremony id ‖ canonical message)`,
//! never over JSON, and verified with `verify_strict` so that libsodium-based verifiers reach the
//! same verdicts. The ceremony id also travels in clear in the envelope, so a message meant for
//! another ceremony is reported as such rather than as a bad signature.

use super::params::{TrusteeIndex, MAX_TRUSTEES};
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::DecodeError;
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::SchnorrProof;
use crate::transcript::labels;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The rounds of the ceremony, in order. Every message belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Round {
    /// Round 1: Feldman commitments with coefficient proofs.
    Commitments = 1,
    /// Round 2: every dealt share, encrypted to its recipient.
    Shares = 2,
    /// Round 3: complaints about missing or bad shares.
    Complaints = 3,
    /// Round 4: the accused dealers reveal the disputed shares.
    Reveals = 4,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Round::Commitments => "round 1 (commitments)",
            Round::Shares => "round 2 (encrypted shares)",
            Round::Complaints => "round 3 (complaints)",
            Round::Reveals => "round 4 (reveals)",
        };
        f.write_str(s)
    }
}

/// Round 1: dealer `from`'s Feldman commitments `A_l = a_l·G` (`l = 0 … k−1`) and a Schnorr
/// proof of knowledge of each `a_l`, bound to the ceremony id, `from` and `l`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub from: TrusteeIndex,
    pub coefficients: Vec<Point>,
    pub proofs: Vec<SchnorrProof>,
}

/// One share `f_from(to)` encrypted to `to`'s ceremony key: an ephemeral key `E = e·G` and the
/// ChaCha20-Poly1305 ciphertext of the share's 32 bytes with its 16-byte tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedShare {
    pub ephemeral: Point,
    pub ciphertext: [u8; 48],
}

impl Canonical for EncryptedShare {
    const MIN_ENCODED_LEN: usize = 32 + 48;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.ephemeral).fixed(&self.ciphertext);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ephemeral = r.point_nonidentity()?;
        let mut ciphertext = [0u8; 48];
        ciphertext.copy_from_slice(r.fixed(48)?);
        Ok(EncryptedShare {
            ephemeral,
            ciphertext,
        })
    }
}

/// Round 2: dealer `from`'s shares for every other trustee, one each, in index order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedShares {
    pub from: TrusteeIndex,
    pub shares: Vec<(TrusteeIndex, EncryptedShare)>,
}

/// What a complaint says was wrong with the share dealt to the accuser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintReason {
    /// The dealer posted no shares (round 2) before the accuser had to decide.
    Missing = 1,
    /// The ciphertext does not decrypt (wrong key, bad tag).
    DecryptionFailed = 2,
    /// It decrypts to 32 bytes that are not a canonical scalar.
    NonCanonical = 3,
    /// It decrypts to a share that fails the Feldman check against the dealer's commitments.
    InvalidShare = 4,
}

impl ComplaintReason {
    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => ComplaintReason::Missing,
            2 => ComplaintReason::DecryptionFailed,
            3 => ComplaintReason::NonCanonical,
            4 => ComplaintReason::InvalidShare,
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "complaint reason",
                    tag,
                })
            }
        })
    }
}

impl std::fmt::Display for ComplaintReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ComplaintReason::Missing => "share missing",
            ComplaintReason::DecryptionFailed => "share does not decrypt",
            ComplaintReason::NonCanonical => "share is not a canonical scalar",
            ComplaintReason::InvalidShare => "share fails the Feldman check",
        })
    }
}

/// Round 3: trustee `from` accuses dealer `against` about the share dealt to `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Complaint {
    pub from: TrusteeIndex,
    pub against: TrusteeIndex,
    pub reason: ComplaintReason,
}

/// Round 4: dealer `from` answers `to`'s complaint by publishing `f_from(to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reveal {
    pub from: TrusteeIndex,
    pub to: TrusteeIndex,
    pub share: Scalar,
}

/// A ceremony message (unsigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Commitment(Commitment),
    EncryptedShares(EncryptedShares),
    Complaint(Complaint),
    Reveal(Reveal),
}

impl Message {
    /// The sender.
    pub fn from(&self) -> TrusteeIndex {
        match self {
            Message::Commitment(m) => m.from,
            Message::EncryptedShares(m) => m.from,
            Message::Complaint(m) => m.from,
            Message::Reveal(m) => m.from,
        }
    }

    pub fn round(&self) -> Round {
        match self {
            Message::Commitment(_) => Round::Commitments,
            Message::EncryptedShares(_) => Round::Shares,
            Message::Complaint(_) => Round::Complaints,
            Message::Reveal(_) => Round::Reveals,
        }
    }

    /// Signs for the ceremony `ceremony` with the sender's long-term key.
    pub fn sign(self, ceremony: &Digest, key: &SigningKey) -> SignedMessage {
        let signature = key.sign(&signing_digest(ceremony, &self).0);
        SignedMessage {
            ceremony: *ceremony,
            message: self,
            signature,
        }
    }
}

impl Canonical for Message {
    // The empty `EncryptedShares` of a one-trustee ceremony: tag, sender, count.
    const MIN_ENCODED_LEN: usize = 1 + 4 + 4;
    fn encode(&self, w: &mut Writer) {
        match self {
            Message::Commitment(m) => {
                w.u8(Round::Commitments as u8);
                m.from.encode(w);
                w.seq(&m.coefficients).seq(&m.proofs);
            }
            Message::EncryptedShares(m) => {
                w.u8(Round::Shares as u8);
                m.from.encode(w);
                w.len(m.shares.len());
                for (to, share) in &m.shares {
                    to.encode(w);
                    share.encode(w);
                }
            }
            Message::Complaint(m) => {
                w.u8(Round::Complaints as u8);
                m.from.encode(w);
                m.against.encode(w);
                w.u8(m.reason as u8);
            }
            Message::Reveal(m) => {
                w.u8(Round::Reveals as u8);
                m.from.encode(w);
                m.to.encode(w);
                w.scalar(&m.share);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let limit = MAX_TRUSTEES as usize;
        Ok(match r.u8()? {
            1 => Message::Commitment(Commitment {
                from: TrusteeIndex::decode(r)?,
                coefficients: r.seq(limit)?,
                proofs: r.seq(limit)?,
            }),
            2 => {
                let from = TrusteeIndex::decode(r)?;
                let n = r.len(limit, 4 + EncryptedShare::MIN_ENCODED_LEN)?;
                let mut shares = Vec::with_capacity(n);
                for _ in 0..n {
                    shares.push((TrusteeIndex::decode(r)?, EncryptedShare::decode(r)?));
                }
                Message::EncryptedShares(EncryptedShares { from, shares })
            }
            3 => Message::Complaint(Complaint {
                from: TrusteeIndex::decode(r)?,
                against: TrusteeIndex::decode(r)?,
                reason: ComplaintReason::from_tag(r.u8()?)?,
            }),
            4 => Message::Reveal(Reveal {
                from: TrusteeIndex::decode(r)?,
                to: TrusteeIndex::decode(r)?,
                share: r.scalar()?,
            }),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "ceremony message",
                    tag,
                })
            }
        })
    }
}

/// `SHA-256(len ‖ CEREMONY_MESSAGE ‖ ceremony id ‖ canonical message)`: what a trustee signs.
pub fn signing_digest(ceremony: &Digest, message: &Message) -> Digest {
    let mut w = Writer::new();
    w.digest(ceremony);
    message.encode(&mut w);
    Digest::of(labels::CEREMONY_MESSAGE, &w.into_bytes())
}

/// A message as posted to the board: the ceremony id, the message, the sender's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    pub ceremony: Digest,
    pub message: Message,
    pub signature: Signature,
}

impl SignedMessage {
    /// Checks the signature with `verify_strict` (no small-order keys or non-canonical `R`/`s`).
    pub fn verify_signature(&self, key: &VerifyingKey) -> bool {
        key.verify_strict(
            &signing_digest(&self.ceremony, &self.message).0,
            &self.signature,
        )
        .is_ok()
    }

    /// Plain SHA-256 of the canonical bytes: identifies this exact message for replay detection
    /// (local bookkeeping, never signed or published).
    pub(crate) fn digest(&self) -> Digest {
        use sha2::Digest as _;
        Digest(sha2::Sha256::digest(self.to_canonical_bytes()).into())
    }
}

impl Canonical for SignedMessage {
    const MIN_ENCODED_LEN: usize = 32 + Message::MIN_ENCODED_LEN + 64;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.ceremony);
        self.message.encode(w);
        w.fixed(&self.signature.to_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ceremony = r.digest()?;
        let message = Message::decode(r)?;
        let mut sig = [0u8; 64];
        sig.copy_from_slice(r.fixed(64)?);
        Ok(SignedMessage {
            ceremony,
            message,
            signature: Signature::from_bytes(&sig),
        })
    }
}

/// JSON form: the canonical bytes in lower-case hex (the bytes are what is signed and hashed).
impl Serialize for SignedMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.to_canonical_bytes()))
    }
}

impl<'de> Deserialize<'de> for SignedMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes =
            hex::decode(s.as_bytes()).map_err(|_| serde::de::Error::custom(DecodeError::Hex))?;
        SignedMessage::from_canonical_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}
