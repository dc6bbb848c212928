//! What each board entry holds: the typed payload of every [`EntryKind`], with its canonical
//! bytes (`docs/protocol.md`, §11). The board frames a payload with its kind; this module is the
//! only place that turns the bytes of one kind into a value and back, so the server that posts an
//! entry and the verifier that replays it read the same thing.
//!
//! Decoding is strict (trailing bytes, unknown tags and non-canonical points are errors) and
//! every payload re-encodes to exactly the bytes it was read from.

use psephos_board::EntryKind;
use psephos_core::ballot::EncryptedBallot;
use psephos_core::ceremony::{CeremonyOutcome, CeremonyParams, SignedMessage, TrusteeIndex};
use psephos_core::challenge::ChallengeReveal;
use psephos_core::election::Manifest;
use psephos_core::encoding::{Canonical, Reader, Writer};
use psephos_core::error::DecodeError;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::ranked::MixedCount;
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyResult};
use serde::{Deserialize, Serialize};

use crate::booth::BoothManifest;
use crate::credentials::CredentialList;

/// The election definition, the first entry of every board: the manifest and the ceremony's
/// parameters (the trustees' names and public keys, `k` of `n`). Trustees sign every ceremony
/// message with the long-term key listed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub manifest: Manifest,
    pub ceremony: CeremonyParams,
}

impl Canonical for Definition {
    const MIN_ENCODED_LEN: usize = 2;
    fn encode(&self, w: &mut Writer) {
        self.manifest.encode(w);
        self.ceremony.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let manifest = Manifest::decode(r)?;
        let ceremony = CeremonyParams::decode(r)?;
        let d = Definition { manifest, ceremony };
        d.check().map_err(|e| DecodeError::Invalid {
            what: "election definition",
            detail: e.to_string(),
        })?;
        Ok(d)
    }
}

/// Why an election definition does not hold together: its ceremony is not the manifest's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionError {
    /// The ceremony parameters name another manifest's hash.
    #[error("the ceremony parameters are for another manifest")]
    OtherManifest,
    /// The ceremony's `k`-of-`n` is not the manifest's.
    #[error(
        "the ceremony is {ceremony_threshold}-of-{ceremony_count} but the manifest asks for {manifest_threshold}-of-{manifest_count}"
    )]
    Trustees {
        ceremony_threshold: u32,
        ceremony_count: u32,
        manifest_threshold: u32,
        manifest_count: u32,
    },
}

impl Definition {
    /// The ceremony must be for this manifest, with its `k` of `n`.
    pub fn check(&self) -> Result<(), DefinitionError> {
        if self.ceremony.manifest_hash() != &self.manifest.hash() {
            return Err(DefinitionError::OtherManifest);
        }
        if self.ceremony.count() != self.manifest.trustees.count
            || self.ceremony.threshold() != self.manifest.trustees.threshold
        {
            return Err(DefinitionError::Trustees {
                ceremony_threshold: self.ceremony.threshold(),
                ceremony_count: self.ceremony.count(),
                manifest_threshold: self.manifest.trustees.threshold,
                manifest_count: self.manifest.trustees.count,
            });
        }
        Ok(())
    }
}

/// The public outcome of the key ceremony as the board states it; anyone recomputes it from the
/// ceremony messages before this entry ([`CeremonyOutcome`]) and compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyAnnouncement {
    /// The ceremony id.
    pub ceremony: Digest,
    /// The qualified trustees, in index order.
    pub qualified: Vec<u32>,
    /// `K`.
    pub joint_key: Point,
    /// `(j, V_j)` for every qualified `j`, in index order.
    pub verification_keys: Vec<(u32, Point)>,
    /// The election hash `H(manifest, G, H, K)` every proof absorbs.
    pub election_hash: Digest,
}

impl KeyAnnouncement {
    /// What the board states for `outcome` of the ceremony for `manifest`.
    pub fn from_outcome(outcome: &CeremonyOutcome, manifest: &Manifest) -> Self {
        KeyAnnouncement {
            ceremony: outcome.ceremony,
            qualified: outcome.qualified.iter().map(|i| i.get()).collect(),
            joint_key: outcome.joint_key,
            verification_keys: outcome
                .verification_keys
                .iter()
                .map(|(i, v)| (i.get(), *v))
                .collect(),
            election_hash: psephos_core::election::election_hash(
                &manifest.hash(),
                &outcome.joint_key,
            ),
        }
    }

    /// Trustee `j`'s verification key, if `j` is qualified.
    pub fn verification_key(&self, j: u32) -> Option<Point> {
        self.verification_keys
            .iter()
            .find(|(i, _)| *i == j)
            .map(|(_, v)| *v)
    }
}

/// A control event, posted by the election officials (through the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
#[allow(clippy::large_enum_variant)] // rare entries; boxing would only complicate matching
pub enum Control {
    /// The key ceremony is over; no ceremony message is accepted after this entry.
    CeremonyComplete(KeyAnnouncement),
    /// Voting is open: the credential list is final, ballots and challenges are accepted.
    Open,
    /// Voting is closed: no ballot or challenge is accepted after this entry.
    Close,
}

const CONTROL_CEREMONY_COMPLETE: u8 = 1;
const CONTROL_OPEN: u8 = 2;
const CONTROL_CLOSE: u8 = 3;

struct IndexedPoint(u32, Point);
impl Canonical for IndexedPoint {
    const MIN_ENCODED_LEN: usize = 36;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.0).point(&self.1);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(IndexedPoint(r.u32()?, r.point_nonidentity()?))
    }
}

impl Canonical for Control {
    const MIN_ENCODED_LEN: usize = 1;
    fn encode(&self, w: &mut Writer) {
        match self {
            Control::CeremonyComplete(k) => {
                w.u8(CONTROL_CEREMONY_COMPLETE).digest(&k.ceremony);
                let q: Vec<u32> = k.qualified.clone();
                w.len(q.len());
                for i in q {
                    w.u32(i);
                }
                w.point(&k.joint_key);
                let vks: Vec<IndexedPoint> = k
                    .verification_keys
                    .iter()
                    .map(|&(i, v)| IndexedPoint(i, v))
                    .collect();
                w.seq(&vks).digest(&k.election_hash);
            }
            Control::Open => {
                w.u8(CONTROL_OPEN);
            }
            Control::Close => {
                w.u8(CONTROL_CLOSE);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            CONTROL_CEREMONY_COMPLETE => {
                let ceremony = r.digest()?;
                let n = r.len(psephos_core::ceremony::MAX_TRUSTEES as usize, 4)?;
                let mut qualified = Vec::with_capacity(n);
                for _ in 0..n {
                    qualified.push(TrusteeIndex::decode(r)?.get());
                }
                let joint_key = r.point_nonidentity()?;
                let vks: Vec<IndexedPoint> =
                    r.seq(psephos_core::ceremony::MAX_TRUSTEES as usize)?;
                let election_hash = r.digest()?;
                Ok(Control::CeremonyComplete(KeyAnnouncement {
                    ceremony,
                    qualified,
                    joint_key,
                    verification_keys: vks.into_iter().map(|p| (p.0, p.1)).collect(),
                    election_hash,
                }))
            }
            CONTROL_OPEN => Ok(Control::Open),
            CONTROL_CLOSE => Ok(Control::Close),
            tag => Err(DecodeError::UnknownTag {
                what: "control event",
                tag,
            }),
        }
    }
}

/// A challenged ballot: the encrypted ballot as the device made it, and its opening. It is
/// published, checked by anyone, and never counted; its ballot hash can never be cast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenged {
    pub ballot: EncryptedBallot,
    pub reveal: ChallengeReveal,
}

impl Canonical for Challenged {
    const MIN_ENCODED_LEN: usize = 2;
    fn encode(&self, w: &mut Writer) {
        self.ballot.encode(w);
        self.reveal.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Challenged {
            ballot: EncryptedBallot::decode(r)?,
            reveal: ChallengeReveal::decode(r)?,
        })
    }
}

/// A challenge whose ballot (signature and proofs) and opening verified for one election
/// ([`psephos_core::challenge::check_challenge`]). Only [`VerifiedChallenge::verify`] makes
/// one, so what holds one needs no second check: the server verifies off its async workers and
/// hands this to [`crate::Rules::apply_verified_challenge`] under its write lock, which checks
/// the remaining rules but not the opening again.
///
/// ```compile_fail
/// # use psephos_record::{Challenged, payload::VerifiedChallenge};
/// fn forge(c: Challenged) -> VerifiedChallenge {
///     VerifiedChallenge { challenged: c } // private: only `verify` makes one
/// }
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedChallenge {
    challenged: Challenged,
}

impl VerifiedChallenge {
    /// Verifies `challenged` for `election`; the opened ballot (its choices) with it.
    pub fn verify(
        election: &psephos_core::election::Election,
        challenged: Challenged,
    ) -> Result<(Self, psephos_core::ballot::PlaintextBallot), psephos_core::error::VerifyError>
    {
        let opened = psephos_core::challenge::check_challenge(
            election,
            &challenged.ballot,
            &challenged.reveal,
        )?;
        Ok((VerifiedChallenge { challenged }, opened))
    }

    pub fn challenged(&self) -> &Challenged {
        &self.challenged
    }

    pub fn into_inner(self) -> Challenged {
        self.challenged
    }
}

/// Most parts one mix object may be split into (§11.5): 4096 entries of up to 1 MiB.
pub const MAX_PARTS: u32 = 4096;
/// The object bytes one part carries at most: an entry's payload less the part header.
pub const PART_BYTES: usize = psephos_board::entry::MAX_PAYLOAD_SIZE - 8;

/// One part of a mix object — a mix input, a shuffle, a mixed decryption share or a mix result
/// — which can be far larger than one entry (§11.5): `u32(index) ‖ u32(count) ‖ bytes`. The
/// object's canonical bytes are the concatenation of its `count` parts, posted as consecutive
/// entries of one kind, index `0 … count − 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub index: u32,
    pub count: u32,
    pub bytes: Vec<u8>,
}

impl Part {
    /// Splits an object's canonical bytes into parts (one empty part for empty bytes).
    pub fn split(bytes: &[u8]) -> Vec<Part> {
        let chunks: Vec<&[u8]> = if bytes.is_empty() {
            vec![bytes]
        } else {
            bytes.chunks(PART_BYTES).collect()
        };
        let count = chunks.len() as u32;
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, c)| Part {
                index: i as u32,
                count,
                bytes: c.to_vec(),
            })
            .collect()
    }
}

impl Canonical for Part {
    const MIN_ENCODED_LEN: usize = 8;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.index).u32(self.count).fixed(&self.bytes);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let index = r.u32()?;
        let count = r.u32()?;
        if count == 0 || count > MAX_PARTS || index >= count {
            return Err(DecodeError::Invalid {
                what: "mix part",
                detail: format!("part {index} of {count}"),
            });
        }
        let rest = r.remaining();
        if rest > PART_BYTES {
            return Err(DecodeError::Invalid {
                what: "mix part",
                detail: format!("{rest} bytes, more than {PART_BYTES}"),
            });
        }
        let bytes = r.fixed(rest)?.to_vec();
        Ok(Part {
            index,
            count,
            bytes,
        })
    }
}

/// The payload of one board entry, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Payload {
    Definition(Definition),
    Ceremony(SignedMessage),
    Credentials(CredentialList),
    Ballot(EncryptedBallot),
    Challenge(Challenged),
    Control(Control),
    Tally(EncryptedTally),
    Share(DecryptionShare),
    Result(TallyResult),
    BoothManifest(BoothManifest),
    MixInput(Part),
    Shuffle(Part),
    MixShare(Part),
    MixResult(Part),
    MixedCount(MixedCount),
}

impl Payload {
    /// The entry kind this payload is posted as.
    pub fn kind(&self) -> EntryKind {
        match self {
            Payload::Definition(_) => EntryKind::ElectionDefinition,
            Payload::Ceremony(_) => EntryKind::CeremonyMessage,
            Payload::Credentials(_) => EntryKind::CredentialList,
            Payload::Ballot(_) => EntryKind::Ballot,
            Payload::Challenge(_) => EntryKind::Challenge,
            Payload::Control(_) => EntryKind::Control,
            Payload::Tally(_) => EntryKind::EncryptedTally,
            Payload::Share(_) => EntryKind::DecryptionShare,
            Payload::Result(_) => EntryKind::Result,
            Payload::BoothManifest(_) => EntryKind::BoothManifest,
            Payload::MixInput(_) => EntryKind::MixInput,
            Payload::Shuffle(_) => EntryKind::Shuffle,
            Payload::MixShare(_) => EntryKind::MixShare,
            Payload::MixResult(_) => EntryKind::MixResult,
            Payload::MixedCount(_) => EntryKind::MixedCount,
        }
    }

    /// The canonical payload bytes (what the board stores after the kind byte and length).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Payload::Definition(x) => x.to_canonical_bytes(),
            Payload::Ceremony(x) => x.to_canonical_bytes(),
            Payload::Credentials(x) => x.to_canonical_bytes(),
            Payload::Ballot(x) => x.to_canonical_bytes(),
            Payload::Challenge(x) => x.to_canonical_bytes(),
            Payload::Control(x) => x.to_canonical_bytes(),
            Payload::Tally(x) => x.to_canonical_bytes(),
            Payload::Share(x) => x.to_canonical_bytes(),
            Payload::Result(x) => x.to_canonical_bytes(),
            Payload::BoothManifest(x) => x.to_canonical_bytes(),
            Payload::MixedCount(x) => x.to_canonical_bytes(),
            Payload::MixInput(x)
            | Payload::Shuffle(x)
            | Payload::MixShare(x)
            | Payload::MixResult(x) => x.to_canonical_bytes(),
        }
    }

    /// The entries that post a mix object of `kind` (11–14) with canonical bytes `bytes`.
    pub fn parts(kind: EntryKind, bytes: &[u8]) -> Vec<Payload> {
        Part::split(bytes)
            .into_iter()
            .map(|p| match kind {
                EntryKind::MixInput => Payload::MixInput(p),
                EntryKind::Shuffle => Payload::Shuffle(p),
                EntryKind::MixShare => Payload::MixShare(p),
                _ => Payload::MixResult(p),
            })
            .collect()
    }

    /// The part, if this is a mix entry.
    pub fn part(&self) -> Option<&Part> {
        match self {
            Payload::MixInput(p)
            | Payload::Shuffle(p)
            | Payload::MixShare(p)
            | Payload::MixResult(p) => Some(p),
            _ => None,
        }
    }

    /// Reads the payload of an entry of `kind`; strict (the whole of `bytes`, canonical).
    pub fn decode(kind: EntryKind, bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(match kind {
            EntryKind::ElectionDefinition => {
                Payload::Definition(Definition::from_canonical_bytes(bytes)?)
            }
            EntryKind::CeremonyMessage => {
                Payload::Ceremony(SignedMessage::from_canonical_bytes(bytes)?)
            }
            EntryKind::CredentialList => {
                Payload::Credentials(CredentialList::from_canonical_bytes(bytes)?)
            }
            EntryKind::Ballot => Payload::Ballot(EncryptedBallot::from_canonical_bytes(bytes)?),
            EntryKind::Challenge => Payload::Challenge(Challenged::from_canonical_bytes(bytes)?),
            EntryKind::Control => Payload::Control(Control::from_canonical_bytes(bytes)?),
            EntryKind::EncryptedTally => {
                Payload::Tally(EncryptedTally::from_canonical_bytes(bytes)?)
            }
            EntryKind::DecryptionShare => {
                Payload::Share(DecryptionShare::from_canonical_bytes(bytes)?)
            }
            EntryKind::Result => Payload::Result(TallyResult::from_canonical_bytes(bytes)?),
            EntryKind::BoothManifest => {
                Payload::BoothManifest(BoothManifest::from_canonical_bytes(bytes)?)
            }
            EntryKind::MixInput => Payload::MixInput(Part::from_canonical_bytes(bytes)?),
            EntryKind::Shuffle => Payload::Shuffle(Part::from_canonical_bytes(bytes)?),
            EntryKind::MixShare => Payload::MixShare(Part::from_canonical_bytes(bytes)?),
            EntryKind::MixResult => Payload::MixResult(Part::from_canonical_bytes(bytes)?),
            EntryKind::MixedCount => Payload::MixedCount(MixedCount::from_canonical_bytes(bytes)?),
            _ => {
                return Err(DecodeError::UnknownTag {
                    what: "entry kind",
                    tag: kind.to_u8(),
                })
            }
        })
    }
}
