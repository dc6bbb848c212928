//! The election's rules, as a state machine replayed over the board (`docs/protocol.md`, §11).
//!
//! [`Rules`] is fed the board's entries in order. For each it decides whether the entry
//! may stand at that position — the lifecycle (definition → ceremony → credentials → open →
//! closed → tally → result), who may post what, replays, revotes and challenges — and records
//! its effect. The server runs it *before* appending (an entry it rejects is never written, and
//! the error says why); the verifier runs the very same code over an exported record, so the
//! server cannot accept anything that an observer would not.
//!
//! The one rule this module leaves to its caller is the ballots' zero-knowledge proofs, which
//! are verified in batches across cores (the server on its worker pool, the verifier over the
//! whole record): [`Rules::apply`] takes a ballot on the promise that its proofs were
//! verified, and checks everything else — including the signature — itself.

use std::collections::BTreeMap;

use psephos_core::ballot::{BallotHeader, EncryptedBallot, VerifiedBallot};
use psephos_core::ceremony::{CeremonyError, CeremonyState, SignedMessage};
use psephos_core::challenge::check_challenge;
use psephos_core::election::{Election, Manifest};
use psephos_core::encoding::Canonical;
use psephos_core::error::{DecodeError, TallyError, VerifyError};
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::tally::{
    combine, complete_result, DecryptionShare, EncryptedTally, TallyResult, MAX_COUNT_BOUND,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

mod count;
mod mix;
pub use count::{CountRuleError, CountedMix};
pub use mix::{MixRuleError, MixState};

use crate::booth::{BoothManifest, BoothManifestError};
use crate::credentials::{CredentialList, ListError, RawCredentialList};
use crate::payload::{Challenged, Control, Definition, DefinitionError, KeyAnnouncement, Payload};
pub use crate::tables::TrackedBallot;
use crate::tables::{Full, Tables};

/// Where the election is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing on the board yet: the first entry must be the election definition.
    Empty,
    /// The definition is posted; trustees run the key ceremony; credentials may be published.
    Ceremony,
    /// The joint key is announced; credentials may still be published; voting is not open.
    KeyReady,
    /// Ballots and challenges are accepted.
    Open,
    /// Voting is over; the encrypted tally may be posted.
    Closed,
    /// The encrypted tally is posted; trustees post decryption shares.
    Tallying,
    /// The result is posted. Nothing more is accepted.
    Decrypted,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::Ceremony => "ceremony",
            Phase::KeyReady => "key_ready",
            Phase::Open => "open",
            Phase::Closed => "closed",
            Phase::Tallying => "tallying",
            Phase::Decrypted => "decrypted",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a rejected entry should be reported (the HTTP layer maps these to status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleErrorKind {
    /// The entry is fine but not now, or not again: 409 Conflict.
    Conflict,
    /// The sender is not entitled to post it (unknown credential): 403 Forbidden.
    Forbidden,
    /// The entry is malformed or does not verify: 400 / 422.
    Invalid,
}

/// Why an entry may not stand at this position of the board. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RuleError {
    #[error("cannot {action} while the election is {phase}")]
    Phase { action: &'static str, phase: Phase },
    #[error("undecodable {kind} entry: {source}")]
    Decode {
        kind: &'static str,
        #[source]
        source: DecodeError,
    },
    #[error("invalid election definition: {0}")]
    Definition(#[from] DefinitionError),
    #[error("ceremony message rejected: {0}")]
    Ceremony(#[from] CeremonyError),
    #[error("the announced ceremony outcome does not match the ceremony messages: {0}")]
    Announcement(AnnouncementError),
    #[error("credential list rejected: {0}")]
    Credentials(CredentialsError),
    #[error("the ballot is for another election (election hash mismatch)")]
    WrongElection,
    #[error("unknown credential: no listed credential signs this ballot")]
    UnknownCredential,
    #[error("the credential is listed for ballot style {listed:?}, not {got:?}")]
    WrongStyle { listed: String, got: String },
    #[error(
        "this ballot (tracking code {tracking_code}) is already on the board at index {index}"
    )]
    Replayed { tracking_code: String, index: u64 },
    #[error("this ballot (tracking code {0}) was challenged: it can never be cast; encrypt your choices again")]
    ChallengedBallot(String),
    #[error("this ballot (tracking code {0}) was cast: a cast ballot cannot be challenged")]
    AlreadyCast(String),
    #[error("ballot rejected: {0}")]
    Ballot(#[from] VerifyError),
    #[error("encrypted tally rejected: {0}")]
    Tally(TallyMismatch),
    #[error("decryption share of trustee {trustee} rejected: {reason}")]
    Share { trustee: u32, reason: ShareError },
    #[error(
        "decryption share of trustee {trustee} rejected: this trustee's share is already posted"
    )]
    ShareAlreadyPosted { trustee: u32 },
    #[error("result rejected: {0}")]
    Result(ResultError),
    /// A mix entry (§11.5, §13.7–13.9).
    #[error("{0}")]
    Mix(MixRuleError),
    /// The mixed count: the ranked contests' counts (§11.5).
    #[error("mixed count rejected: {0}")]
    Count(CountRuleError),
    #[error("this credential has already challenged {limit} ballots, the most one credential may challenge")]
    TooManyChallenges { limit: u32 },
    #[error("booth manifest rejected: {0}")]
    Booth(#[from] BoothManifestError),
    #[error("voting cannot open before the booth manifest is on the board (§11.6)")]
    NoBoothManifest,
    #[error("the election holds as many {0} as it can (about 4.29 × 10⁹)")]
    Capacity(&'static str),
    /// A ballot of the rules' snapshot that cannot be the next entry of the state being restored.
    #[error(
        "the rules' snapshot does not fit the board: ballot at index {index} (credential row \
         {credential}) does not fit a state of {size} entries and {credentials} credentials"
    )]
    SnapshotMisfit {
        index: u64,
        credential: u32,
        size: u64,
        credentials: usize,
    },
}

impl RuleError {
    pub fn kind(&self) -> RuleErrorKind {
        match self {
            RuleError::Phase { .. }
            | RuleError::ShareAlreadyPosted { .. }
            | RuleError::Replayed { .. }
            | RuleError::ChallengedBallot(_)
            | RuleError::AlreadyCast(_)
            | RuleError::TooManyChallenges { .. }
            | RuleError::NoBoothManifest
            | RuleError::Capacity(_) => RuleErrorKind::Conflict,
            RuleError::Ceremony(e) if is_ceremony_conflict(e) => RuleErrorKind::Conflict,
            RuleError::Mix(e) if e.is_conflict() => RuleErrorKind::Conflict,
            RuleError::Count(e) if e.is_conflict() => RuleErrorKind::Conflict,
            RuleError::UnknownCredential => RuleErrorKind::Forbidden,
            _ => RuleErrorKind::Invalid,
        }
    }
}

/// Why the announced ceremony outcome is refused ([`RuleError::Announcement`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AnnouncementError {
    /// The announcement is not what the ceremony messages on the board compute to.
    #[error("joint key, qualified set, verification keys or election hash differ")]
    Differs,
    /// The manifest and the announced joint key do not make an election.
    #[error("{0}")]
    Election(DecodeError),
}

/// Why a credential list (or opening without one) is refused ([`RuleError::Credentials`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The list itself is malformed or repeats a credential.
    #[error("{0}")]
    List(#[from] ListError),
    /// More credentials in one entry than an entry may decode to.
    #[error("{count} credentials in one entry, more than {max}")]
    TooManyInEntry { count: usize, max: usize },
    /// With these credentials a contest's counts could exceed what a tally decrypts to.
    #[error(
        "contest {contest:?}: the listed credentials' total weight {weight} times the option maximum {option_max} exceeds {MAX_COUNT_BOUND} (2^40), the largest count a tally can be decrypted to: the election could never be tallied"
    )]
    Untallyable {
        contest: String,
        weight: u64,
        option_max: u64,
    },
    /// Voting cannot open with no credential listed.
    #[error("no credentials are published: nobody could vote")]
    NoneListed,
}

/// Why an encrypted tally is refused: it is not the board's ([`RuleError::Tally`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TallyMismatch {
    #[error("it is for another election")]
    WrongElection,
    #[error("{got} contests, the manifest has {expected}")]
    ContestCount { got: usize, expected: usize },
    /// The tally's contest at this position is not the manifest's (id or option count).
    #[error("contest {got:?} does not match the manifest's {expected:?}")]
    Contest { got: String, expected: String },
    /// The stated ballot count or weight is not what the board holds.
    #[error(
        "contest {contest:?} states {ballots} ballots of weight {weight}, the board has {board_ballots} of weight {board_weight}"
    )]
    Counts {
        contest: String,
        ballots: u64,
        weight: u64,
        board_ballots: u64,
        board_weight: u64,
    },
}

/// Why a decryption share is refused ([`RuleError::Share`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShareError {
    #[error("not a qualified trustee of this election")]
    NotQualified,
    /// The share does not verify against the tally and the trustee's verification key.
    #[error("{}", share_failure(.0))]
    Invalid(TallyError),
}

/// A share's failure without the trustee again (the rule's message names it).
fn share_failure(e: &TallyError) -> String {
    match e {
        TallyError::InvalidShare { detail, .. } => detail.clone(),
        e => e.to_string(),
    }
}

/// Why the result is refused, or cannot yet be computed ([`RuleError::Result`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResultError {
    /// The posted result is not what the posted shares decrypt the tally to.
    #[error("it differs from the decryption of the tally by the posted shares")]
    Differs,
    #[error("need decryption shares from at least {needed} trustees, got {got}")]
    TooFewShares { needed: usize, got: usize },
    /// The shares do not combine (`psephos_core::tally::combine`).
    #[error("{0}")]
    Combine(TallyError),
}

fn is_ceremony_conflict(e: &CeremonyError) -> bool {
    matches!(
        e,
        CeremonyError::Replayed { .. }
            | CeremonyError::Duplicate { .. }
            | CeremonyError::OutOfRound { .. }
    )
}

/// Most ballots one credential may challenge (`docs/protocol.md` §11.3): a challenge costs the
/// board a full ballot verification and an entry, and a voter checking a device needs a few.
pub const MAX_CHALLENGES_PER_CREDENTIAL: u32 = 10;

/// A listed credential's ballot style (index into the manifest's styles) and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eligibility {
    pub style: usize,
    pub weight: u64,
}

/// What an accepted entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    Defined,
    CeremonyMessage,
    /// A credential-list entry with this many credentials.
    Credentials(usize),
    KeyAnnounced,
    /// The booth manifest (replacing an earlier one, if any, before voting opens).
    BoothManifest,
    Opened,
    Closed,
    /// A cast ballot; `superseded` is the index of the credential's previous ballot (a revote).
    Ballot {
        hash: Digest,
        superseded: Option<u64>,
    },
    Challenge {
        hash: Digest,
    },
    Tally,
    Share {
        trustee: u32,
    },
    Result,
    /// The mixed count (the ranked contests' counts).
    MixedCount,
    /// A part of a mix object that is not its last.
    MixPart {
        kind: psephos_board::EntryKind,
        index: u32,
    },
    MixInput,
    Shuffle {
        mixer: u32,
    },
    MixShare {
        trustee: u32,
    },
    MixResult,
}

/// Counters for status pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub entries: u64,
    pub credentials: u64,
    pub total_weight: u64,
    /// Ballots on the board, revotes included.
    pub ballots_cast: u64,
    /// Credentials with at least one cast ballot (the ballots that will be counted).
    pub voters: u64,
    pub challenges: u64,
    pub shares: u64,
}

/// A point of the [`Rules`] to return to ([`Rules::mark`]).
#[derive(Debug)]
pub struct StateMark {
    size: u64,
    events: u64,
    tables: crate::tables::Mark,
    rest: Option<Box<Rules>>,
}

/// [`Rules::rollback`] to a `ballots_only` mark after another kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("an entry other than a ballot or challenge was applied after a ballots-only mark")]
pub struct RollbackError;

/// The election as the board has it so far. Feed it every entry in board order.
#[derive(Debug, Clone)]
pub struct Rules {
    phase: Phase,
    size: u64,
    /// Entries applied other than ballots and challenges (see [`Rules::rollback`]).
    events: u64,
    definition: Option<Definition>,
    ceremony: Option<CeremonyState>,
    key: Option<KeyAnnouncement>,
    election: Option<Election>,
    last_listed: Option<[u8; 32]>,
    total_weight: u64,
    /// Per contest (manifest order), the total weight of the listed credentials whose style
    /// contains it: what bounds the contest's counts (§11.3, decryptable elections).
    listed_weight: Vec<u64>,
    /// Every listed credential and every cast or challenged ballot, with the credentials' last
    /// ballots (the bulk of the state: see [`crate::tables`]).
    tables: Tables,
    tally: Option<EncryptedTally>,
    shares: BTreeMap<u32, DecryptionShare>,
    /// The combination of the shares, computed once when the `k`-th share is accepted (share
    /// proofs, Lagrange interpolation and the discrete logarithms are the costly part of the
    /// tally): what the server posts as the result and what a posted result is compared with.
    combined: Option<Result<TallyResult, RuleError>>,
    result: Option<TallyResult>,
    /// The mix, once its input is on the board (§13.7).
    mix: Option<Box<MixState>>,
    /// A mix object whose first parts are on the board.
    pending: Option<mix::Pending>,
    /// The ranked contests' counts, once the mixed count is on the board.
    counted: Option<Box<count::Posted>>,
    /// The booth manifest in force (the last one posted; none may follow the opening).
    booth: Option<BoothManifest>,
    booth_at: Option<u64>,
    /// Index of each control entry, by event.
    opened_at: Option<u64>,
    closed_at: Option<u64>,
    key_at: Option<u64>,
    tally_at: Option<u64>,
    result_at: Option<u64>,
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

impl Rules {
    /// An empty board.
    pub fn new() -> Self {
        Rules {
            phase: Phase::Empty,
            size: 0,
            events: 0,
            definition: None,
            ceremony: None,
            key: None,
            election: None,
            last_listed: None,
            total_weight: 0,
            listed_weight: Vec::new(),
            tables: Tables::default(),
            tally: None,
            shares: BTreeMap::new(),
            combined: None,
            result: None,
            mix: None,
            pending: None,
            counted: None,
            booth: None,
            booth_at: None,
            opened_at: None,
            closed_at: None,
            key_at: None,
            tally_at: None,
            result_at: None,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Entries applied so far (the index the next entry gets).
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn definition(&self) -> Option<&Definition> {
        self.definition.as_ref()
    }
    pub fn manifest(&self) -> Option<&Manifest> {
        self.definition.as_ref().map(|d| &d.manifest)
    }
    pub fn ceremony(&self) -> Option<&CeremonyState> {
        self.ceremony.as_ref()
    }
    /// The announced ceremony outcome, once the ceremony is complete.
    pub fn key(&self) -> Option<&KeyAnnouncement> {
        self.key.as_ref()
    }
    /// The election (manifest + joint key), once the ceremony is complete.
    pub fn election(&self) -> Option<&Election> {
        self.election.as_ref()
    }
    pub fn eligibility(&self, credential: &Point) -> Option<Eligibility> {
        self.eligibility_of(credential.as_bytes())
    }
    fn eligibility_of(&self, credential: &[u8; 32]) -> Option<Eligibility> {
        self.tables.credential(credential).map(|row| {
            let (style, weight) = self.tables.eligibility(row);
            Eligibility { style, weight }
        })
    }
    /// The index of a cast ballot, by ballot hash.
    pub fn ballot_index(&self, hash: &Digest) -> Option<u64> {
        self.tables.cast_index(&hash.0)
    }
    /// The index of a challenged ballot, by ballot hash.
    pub fn challenge_index(&self, hash: &Digest) -> Option<u64> {
        self.tables.challenge_index(&hash.0)
    }
    /// The cast or challenged ballot whose tracking code shows `code` (the first 10 bytes of
    /// its hash); if several do, the latest on the board.
    pub fn tracked(&self, code: &[u8; 10]) -> Option<TrackedBallot> {
        self.tables.by_code(code)
    }
    /// The index of the last cast ballot of `credential` (the one that counts).
    pub fn last_ballot(&self, credential: &Point) -> Option<u64> {
        self.tables
            .credential(credential.as_bytes())
            .and_then(|row| self.tables.last_index(row))
    }
    /// `(credential, index of its last ballot, weight)` for every credential that voted, sorted
    /// by index: exactly the ballots the tally counts.
    pub fn counted(&self) -> Vec<(Point, u64, u64)> {
        let mut v: Vec<(Point, u64, u64)> = self
            .tables
            .voted()
            .filter_map(|(c, i, _, weight)| Some((Point::from_bytes(c).ok()?, i, weight)))
            .collect();
        v.sort_by_key(|&(_, i, _)| i);
        v
    }
    pub fn tally(&self) -> Option<&EncryptedTally> {
        self.tally.as_ref()
    }
    pub fn shares(&self) -> impl Iterator<Item = &DecryptionShare> {
        self.shares.values()
    }
    pub fn result(&self) -> Option<&TallyResult> {
        self.result.as_ref()
    }
    /// The booth manifest in force and its board index.
    pub fn booth(&self) -> Option<(&BoothManifest, u64)> {
        self.booth.as_ref().zip(self.booth_at)
    }
    /// Board indices of the open and close events.
    pub fn voting_window(&self) -> (Option<u64>, Option<u64>) {
        (self.opened_at, self.closed_at)
    }
    /// Board indices of the ceremony-complete event, the encrypted tally and the result.
    pub fn milestones(&self) -> (Option<u64>, Option<u64>, Option<u64>) {
        (self.key_at, self.tally_at, self.result_at)
    }
    pub fn counts(&self) -> Counts {
        let (ballots_cast, voters, challenges) = self.tables.counts();
        Counts {
            entries: self.size,
            credentials: self.tables.credential_count() as u64,
            total_weight: self.total_weight,
            ballots_cast,
            voters,
            challenges,
            shares: self.shares.len() as u64,
        }
    }

    /// `[credentials, ballots]`: the bytes of the credential table and of the ballot table,
    /// the bulk of the state (`docs/protocol.md` §11.4), each as `(allocated, in use)` — with
    /// and without the row vectors' spare capacity. What `psephos bench restart` reports.
    pub fn table_bytes(&self) -> [(usize, usize); 2] {
        self.tables.allocated()
    }

    /// Decodes an entry and applies it; see [`Rules::apply`].
    pub fn apply_bytes(
        &mut self,
        kind: psephos_board::EntryKind,
        payload: &[u8],
    ) -> Result<(Payload, Applied), RuleError> {
        let p = Payload::decode(kind, payload).map_err(|source| RuleError::Decode {
            kind: kind.name(),
            source,
        })?;
        let applied = self.apply(&p)?;
        Ok((p, applied))
    }

    /// Checks that `payload` may be the next entry and records it. On error nothing changes.
    /// A ballot's zero-knowledge proofs must have been verified by the caller (see the module
    /// documentation); its signature is checked here.
    pub fn apply(&mut self, payload: &Payload) -> Result<Applied, RuleError> {
        self.apply_checking(payload, true, None)
    }

    /// [`Rules::apply`] for a payload whose shuffle or mixed-share proofs the caller verified
    /// (against this state: [`Rules::mix`]'s current lists): every other rule is checked.
    pub fn apply_verified_mix(&mut self, payload: &Payload) -> Result<Applied, RuleError> {
        self.apply_checking(payload, false, None)
    }

    /// [`Rules::apply`] for the mixed count the caller counted ([`CountedMix::count`], off the
    /// state's lock): not counted again when it was counted from the mix result on the board.
    pub fn apply_counted_mix(&mut self, counted: &CountedMix) -> Result<Applied, RuleError> {
        self.apply_checking(
            &Payload::MixedCount(counted.mixed_count().clone()),
            true,
            Some(counted),
        )
    }

    fn apply_checking(
        &mut self,
        payload: &Payload,
        verify_proofs: bool,
        counted: Option<&CountedMix>,
    ) -> Result<Applied, RuleError> {
        if self.pending.is_some() && payload.part().is_none() {
            return Err(RuleError::Mix(MixRuleError::PartOrder {
                kind: payload.kind().name(),
                got: 0,
                expected: "the next part of a mix object was expected".into(),
            }));
        }
        let applied = match payload {
            Payload::Definition(d) => self.apply_definition(d)?,
            Payload::Ceremony(m) => self.apply_ceremony(m)?,
            Payload::Credentials(l) => self.apply_credentials(l)?,
            Payload::Control(c) => self.apply_control(c)?,
            Payload::Ballot(b) => self.apply_ballot(b)?,
            Payload::Challenge(c) => self.apply_challenge(c)?,
            Payload::Tally(t) => self.apply_tally(t)?,
            Payload::Share(s) => self.apply_share(s)?,
            Payload::Result(r) => self.apply_result(r)?,
            Payload::MixedCount(c) => self.apply_mixed_count(c, counted)?,
            Payload::MixInput(p)
            | Payload::Shuffle(p)
            | Payload::MixShare(p)
            | Payload::MixResult(p) => self.apply_part(payload.kind(), p, verify_proofs)?,
            Payload::BoothManifest(m) => self.apply_booth(m)?,
        };
        if !matches!(payload, Payload::Ballot(_) | Payload::Challenge(_)) {
            self.events += 1;
        }
        self.size += 1;
        Ok(applied)
    }

    /// Counts an entry that a verifier found invalid and leaves out of the election, so that
    /// the indices this state records stay those of the board. (The server never needs this:
    /// it appends nothing that [`Rules::apply`] rejects.)
    pub fn skip_entry(&mut self) {
        self.size += 1;
    }

    /// Applies an entry of a board whose ballots and challenges were verified before they were
    /// appended — the server replaying its own board at start or catching up after a failed
    /// commit (`docs/protocol.md`, §11.4). Every rule of [`Rules::apply`] is checked,
    /// but a ballot is not decoded past its header ([`BallotHeader::peek`]: no point is
    /// decompressed, its shape, signature and proofs are not checked), a credential list's
    /// points are not decompressed ([`RawCredentialList`]) and a challenge's opening is not
    /// re-checked. Never for a record from elsewhere: the verifier checks everything.
    pub fn replay_entry(
        &mut self,
        kind: psephos_board::EntryKind,
        payload: &[u8],
    ) -> Result<Applied, RuleError> {
        use psephos_board::EntryKind;
        let decode = |source| RuleError::Decode {
            kind: kind.name(),
            source,
        };
        match kind {
            EntryKind::Ballot => {
                let h = BallotHeader::peek(payload).map_err(decode)?;
                let row = self.ballot_rules(&h.election, h.style, &h.credential, &h.hash)?;
                let superseded = self.record_ballot(h.hash, row)?;
                self.size += 1;
                Ok(Applied::Ballot {
                    hash: h.hash,
                    superseded,
                })
            }
            EntryKind::Challenge => {
                let c = Challenged::from_canonical_bytes(payload).map_err(decode)?;
                self.apply_appended_challenge(&c)
            }
            EntryKind::CredentialList => {
                let l = RawCredentialList::peek(payload).map_err(decode)?;
                let applied = self.list_credentials(
                    l.credentials.len(),
                    |manifest, last| l.validate_entry(manifest, last),
                    |index| l.credentials.get(index).map(|c| c.0),
                )?;
                self.events += 1;
                self.size += 1;
                Ok(applied)
            }
            EntryKind::MixInput
            | EntryKind::Shuffle
            | EntryKind::MixShare
            | EntryKind::MixResult => {
                let p = Payload::decode(kind, payload).map_err(decode)?;
                self.apply_verified_mix(&p)
            }
            _ => self.apply_bytes(kind, payload).map(|(_, a)| a),
        }
    }

    /// The ballot table in board order, for [`crate::snapshot::RulesSnapshot::encode`].
    pub(crate) fn snapshot_ballots(&self) -> Vec<crate::snapshot::SnapshotBallot> {
        self.tables
            .ballot_rows()
            .map(
                |(hash, index, credential, challenged)| crate::snapshot::SnapshotBallot {
                    hash,
                    index,
                    credential,
                    challenged,
                },
            )
            .collect()
    }

    /// Restores a ballot or challenge from a snapshot of this server's own state
    /// ([`crate::snapshot`]): records it as [`Rules::replay_entry`] recorded it when
    /// the board was replayed, without reading the entry. The rules it passed were checked
    /// when it was first applied; here only that it fits: it is the next index, voting is open
    /// and its credential row is listed. Never for a snapshot from elsewhere.
    pub fn restore_ballot(&mut self, b: &crate::snapshot::SnapshotBallot) -> Result<(), RuleError> {
        let action = if b.challenged {
            "challenge a ballot"
        } else {
            "cast a ballot"
        };
        self.require(Phase::Open, action)?;
        if b.index != self.size || b.credential as usize >= self.tables.credential_count() {
            return Err(RuleError::SnapshotMisfit {
                index: b.index,
                credential: b.credential,
                size: self.size,
                credentials: self.tables.credential_count(),
            });
        }
        if b.challenged {
            self.tables
                .challenge(b.hash, b.index, b.credential)
                .map_err(|Full| RuleError::Capacity("challenged ballots"))?;
        } else {
            self.tables
                .cast(b.hash, b.index, b.credential)
                .map_err(|Full| RuleError::Capacity("ballots"))?;
        }
        self.size += 1;
        Ok(())
    }

    /// A point to come back to with [`Rules::rollback`]. Cheap when
    /// `ballots_only` (the entries applied after it will all be ballots and challenges: O(1));
    /// otherwise it copies everything but the credential and ballot tables.
    pub fn mark(&self, ballots_only: bool) -> StateMark {
        StateMark {
            size: self.size,
            events: self.events,
            tables: self.tables.mark(),
            rest: (!ballots_only).then(|| Box::new(self.without_tables())),
        }
    }

    /// Takes back every entry applied since `mark`, in time linear in their number: what the
    /// server does when the board could not commit them. Fails, changing nothing, if `mark`
    /// was taken with `ballots_only` and another kind of entry was applied since.
    pub fn rollback(&mut self, mark: StateMark) -> Result<(), RollbackError> {
        if mark.rest.is_none() && self.events != mark.events {
            return Err(RollbackError);
        }
        self.tables.rollback(mark.tables);
        match mark.rest {
            Some(rest) => {
                let tables = std::mem::take(&mut self.tables);
                *self = *rest;
                self.tables = tables;
            }
            None => self.size = mark.size,
        }
        Ok(())
    }

    /// A copy of the state with empty credential and ballot tables.
    fn without_tables(&self) -> Rules {
        Rules {
            phase: self.phase,
            size: self.size,
            events: self.events,
            definition: self.definition.clone(),
            ceremony: self.ceremony.clone(),
            key: self.key.clone(),
            election: self.election.clone(),
            last_listed: self.last_listed,
            total_weight: self.total_weight,
            listed_weight: self.listed_weight.clone(),
            tables: Tables::default(),
            tally: self.tally.clone(),
            shares: self.shares.clone(),
            combined: self.combined.clone(),
            result: self.result.clone(),
            mix: self.mix.clone(),
            pending: self.pending.clone(),
            counted: self.counted.clone(),
            booth: self.booth.clone(),
            booth_at: self.booth_at,
            opened_at: self.opened_at,
            closed_at: self.closed_at,
            key_at: self.key_at,
            tally_at: self.tally_at,
            result_at: self.result_at,
        }
    }

    /// The checks of [`Rules::apply`] for a ballot, without recording it: what the server
    /// runs before spending time on the proofs. Returns the credential's eligibility.
    ///
    /// Besides the rules it checks the ballot's shape against the manifest
    /// ([`psephos_core::ballot::check_shape`]: the style's contests in order, one ciphertext per
    /// option, proofs of the contest's kind and size), so that nothing larger than the style
    /// allows is ever queued for proof verification.
    pub fn check_ballot(&self, b: &EncryptedBallot) -> Result<Eligibility, RuleError> {
        let e = self.check_ballot_rules(b, &b.hash())?;
        if let Some(election) = &self.election {
            psephos_core::ballot::check_shape(election.manifest(), b)?;
        }
        b.verify_signature()?;
        Ok(e)
    }

    /// Applies a ballot whose signature and proofs [`psephos_core::ballot::verify_ballots`]
    /// verified (for this election: the rules below check the election hash): every rule of
    /// [`Rules::apply`] but the signature, which the batch verification covered. What
    /// a verifier replaying a large record runs, so that no signature is checked twice.
    pub fn apply_verified_ballot(&mut self, b: &VerifiedBallot) -> Result<Applied, RuleError> {
        let hash = *b.hash();
        let ballot = b.ballot();
        let row = self.ballot_rules(
            &ballot.election,
            &ballot.style,
            ballot.credential.as_bytes(),
            &hash,
        )?;
        let superseded = self.record_ballot(hash, row)?;
        self.size += 1;
        Ok(Applied::Ballot { hash, superseded })
    }

    /// Records a cast ballot that passed the rules, signed by credential row `row`.
    fn record_ballot(&mut self, hash: Digest, row: u32) -> Result<Option<u64>, RuleError> {
        self.tables
            .cast(hash.0, self.size, row)
            .map_err(|Full| RuleError::Capacity("ballots"))
    }

    /// The ballot rules but the signature: phase, election, credential, style, replay and
    /// challenge. `hash` is the ballot hash.
    fn check_ballot_rules(
        &self,
        b: &EncryptedBallot,
        hash: &Digest,
    ) -> Result<Eligibility, RuleError> {
        let row = self.ballot_rules(&b.election, &b.style, b.credential.as_bytes(), hash)?;
        let (style, weight) = self.tables.eligibility(row);
        Ok(Eligibility { style, weight })
    }

    /// The ballot rules on the fields they read; returns the credential's row.
    fn ballot_rules(
        &self,
        election_hash: &Digest,
        style: &str,
        credential: &[u8; 32],
        hash: &Digest,
    ) -> Result<u32, RuleError> {
        self.require(Phase::Open, "cast a ballot")?;
        let election = self.election.as_ref().ok_or(RuleError::Phase {
            action: "cast a ballot",
            phase: self.phase,
        })?;
        if election_hash != election.hash() {
            return Err(RuleError::WrongElection);
        }
        let row = self
            .tables
            .credential(credential)
            .ok_or(RuleError::UnknownCredential)?;
        let listed = &election.manifest().ballot_styles[self.tables.eligibility(row).0].id;
        if listed != style {
            return Err(RuleError::WrongStyle {
                listed: listed.clone(),
                got: style.to_owned(),
            });
        }
        if let Some(index) = self.tables.cast_index(&hash.0) {
            return Err(RuleError::Replayed {
                tracking_code: psephos_core::ballot::TrackingCode::of(hash).to_string(),
                index,
            });
        }
        if self.tables.challenge_index(&hash.0).is_some() {
            return Err(RuleError::ChallengedBallot(
                psephos_core::ballot::TrackingCode::of(hash).to_string(),
            ));
        }
        Ok(row)
    }

    fn require(&self, phase: Phase, action: &'static str) -> Result<(), RuleError> {
        if self.phase == phase {
            Ok(())
        } else {
            Err(RuleError::Phase {
                action,
                phase: self.phase,
            })
        }
    }

    fn apply_definition(&mut self, d: &Definition) -> Result<Applied, RuleError> {
        self.require(Phase::Empty, "define the election")?;
        d.check().map_err(RuleError::Definition)?;
        self.ceremony = Some(CeremonyState::new(d.ceremony.clone()));
        self.definition = Some(d.clone());
        self.phase = Phase::Ceremony;
        Ok(Applied::Defined)
    }

    fn apply_ceremony(&mut self, m: &SignedMessage) -> Result<Applied, RuleError> {
        self.require(Phase::Ceremony, "post a ceremony message")?;
        let ceremony = self.ceremony.as_mut().ok_or(RuleError::Phase {
            action: "post a ceremony message",
            phase: Phase::Empty,
        })?;
        ceremony.receive(m)?;
        Ok(Applied::CeremonyMessage)
    }

    fn apply_credentials(&mut self, l: &CredentialList) -> Result<Applied, RuleError> {
        self.list_credentials(
            l.credentials.len(),
            |manifest, last| l.validate_entry(manifest, last),
            |index| l.credentials.get(index).map(|c| c.credential.to_bytes()),
        )
    }

    /// The credential-list rule over an entry of `count` credentials: `validate` is
    /// [`CredentialList::validate_entry`] (or its raw twin in the replay), `credential_at` the
    /// bytes of the entry's credential at an index.
    fn list_credentials(
        &mut self,
        count: usize,
        validate: impl FnOnce(
            &Manifest,
            Option<[u8; 32]>,
        ) -> Result<Vec<crate::credentials::ValidCredential>, ListError>,
        credential_at: impl Fn(usize) -> Option<[u8; 32]>,
    ) -> Result<Applied, RuleError> {
        if !matches!(self.phase, Phase::Ceremony | Phase::KeyReady) {
            return Err(RuleError::Phase {
                action: "publish credentials",
                phase: self.phase,
            });
        }
        let manifest = self.manifest().ok_or(RuleError::Phase {
            action: "publish credentials",
            phase: self.phase,
        })?;
        // What the entry's decoding allows: a longer entry could be applied but never replayed.
        if count > crate::credentials::MAX_CREDENTIALS_PER_ENTRY {
            return Err(RuleError::Credentials(CredentialsError::TooManyInEntry {
                count,
                max: crate::credentials::MAX_CREDENTIALS_PER_ENTRY,
            }));
        }
        let listed = validate(manifest, self.last_listed)
            .map_err(|e| match e {
                // Smaller than the last credential published and already listed in an earlier
                // entry: listed twice rather than merely out of order.
                ListError::Unsorted { index } => match credential_at(index) {
                    Some(c) if self.tables.credential(&c).is_some() => ListError::Duplicate {
                        index,
                        credential: hex::encode(c),
                    },
                    _ => e,
                },
                e => e,
            })
            .map_err(|e| RuleError::Credentials(e.into()))?;
        // An election whose tally could never be decrypted is refused here, before anyone
        // votes: the combination searches each count only up to `MAX_COUNT_BOUND` (§9.3 step
        // 5), and a contest's counts reach (listed weight of its voters) × (option maximum).
        let mut listed_weight = self.listed_weight.clone();
        listed_weight.resize(manifest.contests.len(), 0);
        for c in &listed {
            if let Some(style) = manifest.ballot_styles.get(c.style) {
                for &ci in &style.contests {
                    if let Some(w) = listed_weight.get_mut(ci) {
                        *w = w.saturating_add(c.weight);
                    }
                }
            }
        }
        for (contest, &w) in manifest.contests.iter().zip(&listed_weight) {
            let max = (0..contest.width())
                .map(|o| contest.option_max(o))
                .max()
                .unwrap_or(0);
            if w.checked_mul(max).is_none_or(|b| b > MAX_COUNT_BOUND) {
                return Err(RuleError::Credentials(CredentialsError::Untallyable {
                    contest: contest.id.clone(),
                    weight: w,
                    option_max: max,
                }));
            }
        }
        let mark = self.tables.mark();
        let mut weight = 0u64;
        for c in &listed {
            if let Err(Full) = self.tables.list(c.credential, c.style, c.weight) {
                self.tables.rollback(mark);
                return Err(RuleError::Capacity("credentials"));
            }
            weight += c.weight;
        }
        if let Some(last) = listed.last() {
            self.last_listed = Some(last.credential);
        }
        self.total_weight += weight;
        self.listed_weight = listed_weight;
        Ok(Applied::Credentials(listed.len()))
    }

    fn apply_control(&mut self, c: &Control) -> Result<Applied, RuleError> {
        match c {
            Control::CeremonyComplete(k) => {
                self.require(Phase::Ceremony, "complete the key ceremony")?;
                let (ceremony, manifest) = match (&self.ceremony, &self.definition) {
                    (Some(c), Some(d)) => (c, &d.manifest),
                    _ => {
                        return Err(RuleError::Phase {
                            action: "complete the key ceremony",
                            phase: self.phase,
                        })
                    }
                };
                let outcome = ceremony.outcome()?;
                let expected = KeyAnnouncement::from_outcome(&outcome, manifest);
                if &expected != k {
                    return Err(RuleError::Announcement(AnnouncementError::Differs));
                }
                let election = Election::new(manifest.clone(), k.joint_key)
                    .map_err(|e| RuleError::Announcement(AnnouncementError::Election(e)))?;
                self.election = Some(election);
                self.key = Some(k.clone());
                self.key_at = Some(self.size);
                self.phase = Phase::KeyReady;
                Ok(Applied::KeyAnnounced)
            }
            Control::Open => {
                self.require(Phase::KeyReady, "open voting")?;
                if self.tables.credential_count() == 0 {
                    return Err(RuleError::Credentials(CredentialsError::NoneListed));
                }
                if self.booth.is_none() {
                    return Err(RuleError::NoBoothManifest);
                }
                self.phase = Phase::Open;
                self.opened_at = Some(self.size);
                self.tables.reserve_ballots(self.tables.credential_count());
                Ok(Applied::Opened)
            }
            Control::Close => {
                self.require(Phase::Open, "close voting")?;
                self.phase = Phase::Closed;
                self.closed_at = Some(self.size);
                Ok(Applied::Closed)
            }
        }
    }

    /// §11.6: after the definition and before voting opens; a later one replaces an earlier
    /// one until then, and none is accepted once voting is open.
    fn apply_booth(&mut self, m: &BoothManifest) -> Result<Applied, RuleError> {
        if !matches!(self.phase, Phase::Ceremony | Phase::KeyReady) {
            return Err(RuleError::Phase {
                action: "post the booth manifest",
                phase: self.phase,
            });
        }
        m.check()?;
        self.booth = Some(m.clone());
        self.booth_at = Some(self.size);
        Ok(Applied::BoothManifest)
    }

    fn apply_ballot(&mut self, b: &EncryptedBallot) -> Result<Applied, RuleError> {
        let hash = b.hash();
        let row = self.ballot_rules(&b.election, &b.style, b.credential.as_bytes(), &hash)?;
        if let Some(election) = &self.election {
            psephos_core::ballot::check_shape(election.manifest(), b)?;
        }
        b.verify_signature()?;
        let superseded = self.record_ballot(hash, row)?;
        Ok(Applied::Ballot { hash, superseded })
    }

    fn apply_challenge(&mut self, c: &Challenged) -> Result<Applied, RuleError> {
        let election = self.check_challenge_rules(c)?;
        check_challenge(election, &c.ballot, &c.reveal)?;
        self.record_challenge(c)
    }

    /// The rules of a challenge but its opening: phase, election, credential, style, never
    /// cast, never challenged, and the credential's challenge limit
    /// ([`MAX_CHALLENGES_PER_CREDENTIAL`]). Cheap: what the server checks before verifying the
    /// ballot and its opening off the async workers. Returns the election to check it with.
    pub fn check_challenge_rules(&self, c: &Challenged) -> Result<&Election, RuleError> {
        self.require(Phase::Open, "challenge a ballot")?;
        let hash = c.ballot.hash();
        let code = || psephos_core::ballot::TrackingCode::of(&hash).to_string();
        if self.tables.cast_index(&hash.0).is_some() {
            return Err(RuleError::AlreadyCast(code()));
        }
        if let Some(index) = self.tables.challenge_index(&hash.0) {
            return Err(RuleError::Replayed {
                tracking_code: code(),
                index,
            });
        }
        // The same eligibility rules as casting: a challenge is a ballot that could have been
        // cast, opened instead.
        let election = self.election.as_ref().ok_or(RuleError::Phase {
            action: "challenge a ballot",
            phase: self.phase,
        })?;
        if &c.ballot.election != election.hash() {
            return Err(RuleError::WrongElection);
        }
        let row = self
            .tables
            .credential(c.ballot.credential.as_bytes())
            .ok_or(RuleError::UnknownCredential)?;
        let listed = &election.manifest().ballot_styles[self.tables.eligibility(row).0].id;
        if listed != &c.ballot.style {
            return Err(RuleError::WrongStyle {
                listed: listed.clone(),
                got: c.ballot.style.clone(),
            });
        }
        if self.tables.challenges_of(row) >= MAX_CHALLENGES_PER_CREDENTIAL {
            return Err(RuleError::TooManyChallenges {
                limit: MAX_CHALLENGES_PER_CREDENTIAL,
            });
        }
        Ok(election)
    }

    /// Applies a challenge whose ballot and opening the caller checked with
    /// [`psephos_core::challenge::check_challenge`] against this election: every other rule of
    /// [`Rules::apply`] is checked again here. What the server runs after verifying the
    /// opening outside its lock (mirrors [`Rules::apply_verified_ballot`]).
    pub fn apply_verified_challenge(
        &mut self,
        c: &crate::payload::VerifiedChallenge,
    ) -> Result<Applied, RuleError> {
        self.apply_appended_challenge(c.challenged())
    }

    /// A challenge of this server's own board, verified before it was appended
    /// ([`Rules::replay_entry`]).
    fn apply_appended_challenge(&mut self, c: &Challenged) -> Result<Applied, RuleError> {
        self.check_challenge_rules(c)?;
        let applied = self.record_challenge(c)?;
        self.size += 1;
        Ok(applied)
    }

    /// [`Rules::apply`] for a challenge whose ballot and opening the caller checked with
    /// [`psephos_core::challenge::check_challenge`] against this election, `opened` being that
    /// check's verdict: the same rules in the same order, so the same error for the same entry
    /// (what a verifier runs after checking the openings of a chunk of challenges in parallel).
    pub fn apply_opened_challenge(
        &mut self,
        c: &Challenged,
        opened: Result<(), VerifyError>,
    ) -> Result<Applied, RuleError> {
        if self.pending.is_some() {
            return Err(RuleError::Mix(MixRuleError::PartOrder {
                kind: psephos_board::EntryKind::Challenge.name(),
                got: 0,
                expected: "the next part of a mix object was expected".into(),
            }));
        }
        self.check_challenge_rules(c)?;
        opened?;
        let applied = self.record_challenge(c)?;
        self.size += 1;
        Ok(applied)
    }

    /// Records a challenge that passed [`Rules::check_challenge_rules`].
    fn record_challenge(&mut self, c: &Challenged) -> Result<Applied, RuleError> {
        let hash = c.ballot.hash();
        let row = self
            .tables
            .credential(c.ballot.credential.as_bytes())
            .ok_or(RuleError::UnknownCredential)?;
        self.tables
            .challenge(hash.0, self.size, row)
            .map_err(|Full| RuleError::Capacity("challenged ballots"))?;
        Ok(Applied::Challenge { hash })
    }

    /// `(ballots, weight)` the tally must state for each contest, in manifest order.
    pub fn expected_tally_counts(&self) -> Vec<(u64, u64)> {
        let Some(manifest) = self.manifest() else {
            return Vec::new();
        };
        let mut per_style = vec![(0u64, 0u64); manifest.ballot_styles.len()];
        for (_, _, style, weight) in self.tables.voted() {
            if let Some(s) = per_style.get_mut(style) {
                s.0 += 1;
                s.1 += weight;
            }
        }
        let mut out = vec![(0u64, 0u64); manifest.contests.len()];
        for (s, style) in manifest.ballot_styles.iter().enumerate() {
            for &c in &style.contests {
                out[c].0 += per_style[s].0;
                out[c].1 += per_style[s].1;
            }
        }
        out
    }

    /// Checks the tally's shape and counts. That its ciphertexts are the sum of the counted
    /// ballots is for the caller to check, from the ballots themselves (the state keeps only
    /// their indices).
    fn apply_tally(&mut self, t: &EncryptedTally) -> Result<Applied, RuleError> {
        self.require(Phase::Closed, "post the encrypted tally")?;
        self.check_mix_complete()?;
        let election = self.election.as_ref().ok_or(RuleError::Phase {
            action: "post the encrypted tally",
            phase: self.phase,
        })?;
        if &t.election != election.hash() {
            return Err(RuleError::Tally(TallyMismatch::WrongElection));
        }
        let manifest = election.manifest();
        // One aggregate per homomorphically counted contest: a mixed contest has none (§9.2).
        let expected_counts = self.expected_tally_counts();
        let counted: Vec<_> = manifest
            .homomorphic_contests()
            .map(|(ci, c)| (c, expected_counts.get(ci).copied().unwrap_or((0, 0))))
            .collect();
        if t.contests.len() != counted.len() {
            return Err(RuleError::Tally(TallyMismatch::ContestCount {
                got: t.contests.len(),
                expected: counted.len(),
            }));
        }
        for (tc, &(c, (ballots, weight))) in t.contests.iter().zip(&counted) {
            if tc.contest != c.id || tc.ciphertexts.len() != c.width() {
                return Err(RuleError::Tally(TallyMismatch::Contest {
                    got: tc.contest.clone(),
                    expected: c.id.clone(),
                }));
            }
            if tc.ballots != ballots || tc.weight != weight {
                return Err(RuleError::Tally(TallyMismatch::Counts {
                    contest: c.id.clone(),
                    ballots: tc.ballots,
                    weight: tc.weight,
                    board_ballots: ballots,
                    board_weight: weight,
                }));
            }
        }
        self.tally = Some(t.clone());
        self.tally_at = Some(self.size);
        self.phase = Phase::Tallying;
        Ok(Applied::Tally)
    }

    fn apply_share(&mut self, s: &DecryptionShare) -> Result<Applied, RuleError> {
        self.require(Phase::Tallying, "post a decryption share")?;
        let (Some(tally), Some(key)) = (&self.tally, &self.key) else {
            return Err(RuleError::Phase {
                action: "post a decryption share",
                phase: self.phase,
            });
        };
        let err = |reason: ShareError| RuleError::Share {
            trustee: s.trustee,
            reason,
        };
        let vk = key
            .verification_key(s.trustee)
            .ok_or_else(|| err(ShareError::NotQualified))?;
        if self.shares.contains_key(&s.trustee) {
            return Err(RuleError::ShareAlreadyPosted { trustee: s.trustee });
        }
        s.verify(tally, &vk)
            .map_err(|e| err(ShareError::Invalid(e)))?;
        self.shares.insert(s.trustee, s.clone());
        let threshold = election_threshold(self.definition.as_ref());
        // Any `k` valid shares decrypt to the same counts, so once combined, later shares
        // change nothing; a failed combination is retried with the next share.
        if self.shares.len() >= threshold && !matches!(self.combined, Some(Ok(_))) {
            self.combined = Some(self.combine_shares());
        }
        Ok(Applied::Share { trustee: s.trustee })
    }

    /// Combines every share on the board and checks the posted result equals it.
    fn apply_result(&mut self, r: &TallyResult) -> Result<Applied, RuleError> {
        self.require(Phase::Tallying, "post the result")?;
        self.check_mix_result()?;
        self.check_mixed_count()?;
        let expected = self.combined_result()?;
        if &expected != r {
            return Err(RuleError::Result(ResultError::Differs));
        }
        self.result = Some(r.clone());
        self.result_at = Some(self.size);
        self.phase = Phase::Decrypted;
        Ok(Applied::Result)
    }

    /// The result the shares on the board decrypt the tally to (what the server posts).
    pub fn combined_result(&self) -> Result<TallyResult, RuleError> {
        if self.tally.is_none() {
            return Err(RuleError::Phase {
                action: "combine decryption shares",
                phase: self.phase,
            });
        }
        let decrypted = match &self.combined {
            Some(r) => r.clone()?,
            None => {
                return Err(RuleError::Result(ResultError::TooFewShares {
                    needed: election_threshold(self.definition.as_ref()),
                    got: self.shares.len(),
                }))
            }
        };
        let Some(election) = &self.election else {
            return Err(RuleError::Phase {
                action: "combine decryption shares",
                phase: self.phase,
            });
        };
        // The mixed contests' counts come from their decrypted rows (§13.9).
        self.check_mix_result()?;
        let mixed = self
            .mix()
            .filter(|_| self.has_mixed_contests())
            .and_then(|m| m.result())
            .map(|(r, _)| r);
        complete_result(election, &decrypted, mixed)
            .map_err(|e| RuleError::Result(ResultError::Combine(e)))
    }

    /// Combines every share on the board (`psephos_core::tally::combine`).
    fn combine_shares(&self) -> Result<TallyResult, RuleError> {
        let (Some(election), Some(tally), Some(key)) = (&self.election, &self.tally, &self.key)
        else {
            return Err(RuleError::Phase {
                action: "combine decryption shares",
                phase: self.phase,
            });
        };
        let shares: Vec<DecryptionShare> = self.shares.values().cloned().collect();
        combine(election, tally, &shares, |j| key.verification_key(j))
            .map_err(|e| RuleError::Result(ResultError::Combine(e)))
    }
}

/// `k`: how many decryption shares the result needs.
fn election_threshold(definition: Option<&Definition>) -> usize {
    definition.map_or(usize::MAX, |d| d.ceremony.threshold() as usize)
}
