//! The verifier's numbered checks and its report.
//!
//! Every check has a stable number and id (`docs/verification.md` documents each one and the
//! ElectionGuard verification step it corresponds to, where one does — numbered as in the 2.0
//! verification list). Ids never change
//! meaning; a new check gets a new number at the end of its group.

use serde::Serialize;

use crate::rules::Counts;
use psephos_core::tally::TallyResult;

/// One of the verifier's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
#[non_exhaustive]
pub enum CheckId {
    RecordFormat,
    BoardCheckpoints,
    BoardBlocks,
    BoardMerkle,
    BoardWitnesses,
    BoardAnchors,
    ElectionParameters,
    ElectionLifecycle,
    CeremonyMessages,
    CeremonyOutcome,
    CredentialsList,
    BallotsEligibility,
    BallotsSignature,
    BallotsProofs,
    BallotsRevote,
    Challenges,
    TallyAggregate,
    TallyShares,
    TallyCombination,
    TallyResult,
    BoothManifest,
    MixInput,
    MixShuffles,
    MixMixers,
    MixShares,
    MixResult,
    MixCounts,
    RankedCount,
    WriteIns,
}

impl From<CheckId> for &'static str {
    fn from(c: CheckId) -> Self {
        c.id()
    }
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 29] = [
        CheckId::RecordFormat,
        CheckId::BoardCheckpoints,
        CheckId::BoardBlocks,
        CheckId::BoardMerkle,
        CheckId::BoardWitnesses,
        CheckId::BoardAnchors,
        CheckId::ElectionParameters,
        CheckId::ElectionLifecycle,
        CheckId::CeremonyMessages,
        CheckId::CeremonyOutcome,
        CheckId::CredentialsList,
        CheckId::BallotsEligibility,
        CheckId::BallotsSignature,
        CheckId::BallotsProofs,
        CheckId::BallotsRevote,
        CheckId::Challenges,
        CheckId::TallyAggregate,
        CheckId::TallyShares,
        CheckId::TallyCombination,
        CheckId::TallyResult,
        CheckId::BoothManifest,
        CheckId::MixInput,
        CheckId::MixShuffles,
        CheckId::MixMixers,
        CheckId::MixShares,
        CheckId::MixResult,
        CheckId::MixCounts,
        CheckId::RankedCount,
        CheckId::WriteIns,
    ];

    /// The check's number in the report (1-based, stable).
    pub fn number(self) -> u32 {
        Self::ALL
            .iter()
            .position(|&c| c == self)
            .map_or(0, |i| i as u32 + 1)
    }

    /// The stable id.
    pub fn id(self) -> &'static str {
        match self {
            CheckId::RecordFormat => "record.format",
            CheckId::BoardCheckpoints => "board.checkpoints",
            CheckId::BoardBlocks => "board.blocks",
            CheckId::BoardMerkle => "board.merkle",
            CheckId::BoardWitnesses => "board.witnesses",
            CheckId::BoardAnchors => "board.anchors",
            CheckId::ElectionParameters => "election.parameters",
            CheckId::ElectionLifecycle => "election.lifecycle",
            CheckId::CeremonyMessages => "ceremony.messages",
            CheckId::CeremonyOutcome => "ceremony.outcome",
            CheckId::CredentialsList => "credentials.list",
            CheckId::BallotsEligibility => "ballots.eligibility",
            CheckId::BallotsSignature => "ballots.signature",
            CheckId::BallotsProofs => "ballots.proofs",
            CheckId::BallotsRevote => "ballots.revote",
            CheckId::Challenges => "challenges",
            CheckId::TallyAggregate => "tally.aggregate",
            CheckId::TallyShares => "tally.shares",
            CheckId::TallyCombination => "tally.combination",
            CheckId::TallyResult => "tally.result",
            CheckId::BoothManifest => "booth.manifest",
            CheckId::MixInput => "mix.input",
            CheckId::MixShuffles => "mix.shuffles",
            CheckId::MixMixers => "mix.mixers",
            CheckId::MixShares => "mix.shares",
            CheckId::MixResult => "mix.result",
            CheckId::MixCounts => "mix.counts",
            CheckId::RankedCount => "mix.ranked",
            CheckId::WriteIns => "mix.write_ins",
        }
    }

    /// The check by id.
    pub fn from_id(id: &str) -> Option<CheckId> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// What is checked, in one line.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::RecordFormat => "record format: header, frames, order and counts",
            CheckId::BoardCheckpoints => {
                "every checkpoint is signed by the board key and states its block's size and root"
            }
            CheckId::BoardBlocks => "block chain: block numbers, links to the previous block, times, sizes",
            CheckId::BoardMerkle => {
                "Merkle roots recomputed from the entries equal every checkpoint's root; the last covers every entry"
            }
            CheckId::BoardWitnesses => {
                "witness cosignatures verify; the last checkpoint has the witness quorum"
            }
            CheckId::BoardAnchors => "consistent with the checkpoints you already trust",
            CheckId::ElectionParameters => {
                "election definition: manifest valid, ceremony parameters for this manifest (k of n)"
            }
            CheckId::ElectionLifecycle => {
                "control events in order: ceremony complete, open, close; nothing after the result"
            }
            CheckId::CeremonyMessages => {
                "key ceremony: signed messages, commitments and proofs, encrypted shares, complaints and verdicts"
            }
            CheckId::CeremonyOutcome => {
                "announced joint key, qualified trustees, verification keys and election hash equal the recomputed outcome"
            }
            CheckId::CredentialsList => {
                "credential lists: well formed, sorted, no duplicates, valid styles and weights, published before opening"
            }
            CheckId::BallotsEligibility => {
                "every ballot: cast while open, listed credential, this election, the credential's style, no replay"
            }
            CheckId::BallotsSignature => "every ballot is signed by its credential",
            CheckId::BallotsProofs => "every ballot is well formed and every proof verifies (batched)",
            CheckId::BallotsRevote => {
                "revoting: the tally counts the last ballot of each credential, and only that one"
            }
            CheckId::Challenges => {
                "challenged ballots: eligible, re-encrypt to the revealed valid choices, never cast"
            }
            CheckId::TallyAggregate => {
                "the encrypted tally is the weighted sum of the counted ballots, with their counts"
            }
            CheckId::TallyShares => {
                "every decryption share proof verifies against its trustee's verification key"
            }
            CheckId::TallyCombination => {
                "at least k valid shares combine (Lagrange) and every count decodes within its bound"
            }
            CheckId::TallyResult => "the published result equals the decrypted tally",
            CheckId::BoothManifest => {
                "booth manifest: well formed, on the board before voting opens, none after"
            }
            CheckId::MixInput => {
                "the mix input is the mixed contests' ciphertexts of the counted ballots, in board order"
            }
            CheckId::MixShuffles => {
                "every shuffle is signed by its mixer, shuffles the lists before it, and its proof verifies (batched)"
            }
            CheckId::MixMixers => {
                "the mixers are qualified trustees in increasing index order, at least the minimum (never fewer than k)"
            }
            CheckId::MixShares => {
                "every decryption share of the final mixed lists verifies against its trustee's verification key (batched)"
            }
            CheckId::MixResult => {
                "the published rows and counts are the combination of k shares of the final mixed lists"
            }
            CheckId::MixCounts => {
                "each mixed contest's counts in the result are the sums of its decrypted rows (a mixed contest has no homomorphic tally)"
            }
            CheckId::RankedCount => {
                "each ranked contest's count on the board equals, byte for byte, the recount of its decrypted rows"
            }
            CheckId::WriteIns => {
                "each write-in contest's names and counts on the board equal, byte for byte, the recount of its decrypted rows under the slot rule"
            }
        }
    }

    /// The ElectionGuard verification step this check corresponds to, if one does (numbered as
    /// in the ElectionGuard 2.0 verification list, like `docs/verification.md`).
    pub fn electionguard(self) -> Option<&'static str> {
        match self {
            CheckId::ElectionParameters => Some("V1 parameter validation"),
            CheckId::CeremonyMessages => Some("V2 guardian public-key validation"),
            CheckId::CeremonyOutcome => Some(
                "V3 election public-key validation; V4 extended base hash validation",
            ),
            CheckId::BallotsEligibility => Some("V7 confirmation codes (uniqueness)"),
            CheckId::BallotsProofs => Some(
                "V5 well-formedness of selection encryptions; V6 adherence to vote limits",
            ),
            CheckId::Challenges => Some(
                "V12 correctness of decryptions of challenged ballots; V13 validation of challenged ballots",
            ),
            CheckId::TallyAggregate => Some("V8 correctness of ballot aggregation"),
            CheckId::TallyShares => Some("V9 correctness of tally decryptions (share proofs)"),
            CheckId::TallyCombination => Some("V9 correctness of tally decryptions (combination)"),
            CheckId::TallyResult => Some("V10 validation of the decrypted tally"),
            _ => None,
        }
    }
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything it covers was checked and holds.
    Pass,
    /// Something it covers does not hold.
    Fail,
    /// It could not be completed because an earlier check failed (see its detail).
    Skipped,
    /// The record does not reach that far (e.g. no tally yet), or there is nothing to check
    /// against (e.g. no trusted checkpoint given).
    NotApplicable,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Skipped => "skipped",
            Status::NotApplicable => "n/a",
        }
    }
}

/// Failure messages kept per check (the count keeps going).
pub const MAX_DETAILS: usize = 10;

/// One check's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub number: u32,
    pub id: CheckId,
    pub title: &'static str,
    pub electionguard: Option<&'static str>,
    pub status: Status,
    /// Items checked (entries, ballots, checkpoints, shares…).
    pub checked: u64,
    /// Items that failed.
    pub failed: u64,
    /// The first failures (at most [`MAX_DETAILS`]), or why it was skipped / not applicable.
    pub details: Vec<String>,
    /// Informative remarks (e.g. "no witnesses configured").
    pub notes: Vec<String>,
}

/// A contest's title and option labels.
#[derive(Debug, Clone, Serialize)]
pub struct ContestLabels {
    pub id: String,
    pub title: String,
    pub options: Vec<String>,
}

/// Where a key or a number the verifier relied on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The record's own header: the board's statement, not independently checked (a forged
    /// record can name any keys there).
    RecordHeader,
    /// Pinned by the verifier's user (`--board-key`, `--witness`, `--quorum`, or the keys
    /// typed into the observer page).
    Pinned,
    /// Derived from the pinned witness keys: a majority of them must cosign (no `--quorum`;
    /// [`super::default_quorum`]).
    MajorityOfPinnedWitnesses,
}

impl Source {
    /// Whether the value was chosen by the user rather than read from the record.
    pub fn is_pinned(self) -> bool {
        self != Source::RecordHeader
    }
}

/// What the board and witness checks (2 and 5) were run against, and where each came from.
#[derive(Debug, Clone, Serialize)]
pub struct Trust {
    /// The board key's source.
    pub board_key: Source,
    /// The witness keys' source.
    pub witnesses: Source,
    /// How many distinct witness keys were counted.
    pub witness_count: usize,
    /// The cosignatures required on the last checkpoint.
    pub quorum: u32,
    /// The quorum's source. Never [`Source::RecordHeader`] once witness keys are pinned.
    pub quorum_source: Source,
}

impl Default for Trust {
    fn default() -> Self {
        Trust {
            board_key: Source::RecordHeader,
            witnesses: Source::RecordHeader,
            witness_count: 0,
            quorum: 0,
            quorum_source: Source::RecordHeader,
        }
    }
}

/// The verifier's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Whether every check passed or was not applicable.
    pub passed: bool,
    pub origin: Option<String>,
    /// The board key the checkpoints were verified with.
    pub board_key: Option<String>,
    /// Where the board key, the witness keys and the quorum came from.
    pub trust: Trust,
    pub entries: u64,
    pub blocks: u64,
    /// The election's phase at the end of the record.
    pub phase: Option<&'static str>,
    pub counts: Option<Counts>,
    pub election_hash: Option<String>,
    /// The hash of the booth manifest in force (§11.6), hex; what `psephos verify-booth`
    /// checks the served files against.
    pub booth_manifest: Option<String>,
    /// The election's name and id, from the definition.
    pub election_name: Option<String>,
    pub election_id: Option<String>,
    /// Each contest's title and option labels, in manifest order (to print the result).
    pub contests: Vec<ContestLabels>,
    /// The verified result, if the record has one and every check passed.
    pub result: Option<TallyResult>,
    /// The ranked contests' verified counts (check 28), if every check passed; a ranked
    /// contest's line in `result` sums candidate numbers per rank and means nothing alone.
    pub ranked: Vec<RankedOutcome>,
    /// The write-in contests' verified counts (check 29), if every check passed.
    pub write_ins: Vec<WriteInOutcome>,
    pub checks: Vec<CheckResult>,
}

/// A write-in contest's verified count: the listed options' selections, the written names with
/// their counts (most first) and the invalid write-ins.
#[derive(Debug, Clone, Serialize)]
pub struct WriteInOutcome {
    pub contest: String,
    pub ballots: u64,
    pub counts: Vec<u64>,
    pub names: Vec<(String, u64)>,
    pub invalid: u64,
}

/// A ranked contest's verified count.
#[derive(Debug, Clone, Serialize)]
pub struct RankedOutcome {
    pub contest: String,
    pub transcript: psephos_core::count::CountTranscript,
}

impl Report {
    /// The result of one check.
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The checks that failed.
    pub fn failed(&self) -> Vec<CheckId> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect()
    }
}

/// Accumulates one check's verdicts while the record streams by.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracker {
    pub checked: u64,
    pub failed: u64,
    pub skipped: u64,
    pub details: Vec<String>,
    pub notes: Vec<String>,
    pub not_applicable: Option<String>,
}

impl Tracker {
    pub fn pass(&mut self) {
        self.checked += 1;
    }
    pub fn pass_n(&mut self, n: u64) {
        self.checked += n;
    }
    pub fn fail(&mut self, detail: impl FnOnce() -> String) {
        self.checked += 1;
        self.failed += 1;
        if self.details.len() < MAX_DETAILS {
            self.details.push(detail());
        }
    }
    pub fn skip(&mut self, why: impl FnOnce() -> String) {
        self.skipped += 1;
        if self.details.len() < MAX_DETAILS && self.failed == 0 {
            self.details.push(why());
        }
    }
    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
    pub fn status(&self) -> Status {
        if self.failed > 0 {
            Status::Fail
        } else if self.skipped > 0 {
            Status::Skipped
        } else if self.not_applicable.is_some() {
            Status::NotApplicable
        } else {
            Status::Pass
        }
    }
    pub fn into_result(self, id: CheckId) -> CheckResult {
        let status = self.status();
        let mut details = self.details;
        if status == Status::NotApplicable {
            details.extend(self.not_applicable);
        }
        if status != Status::Fail && status != Status::Skipped && status != Status::NotApplicable {
            details.clear();
        }
        CheckResult {
            number: id.number(),
            id,
            title: id.title(),
            electionguard: id.electionguard(),
            status,
            checked: self.checked,
            failed: self.failed,
            details,
            notes: self.notes,
        }
    }
}
