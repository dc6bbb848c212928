//! The independent verifier: every check an observer runs on an election record, as a library
//! (no I/O; progress through a callback; the ballots' proofs verified in parallel batches with
//! the `parallel` feature). `psephos verify` prints its [`Report`]; the observer page runs the
//! same code compiled to wasm32.
//!
//! The record streams through once ([`RecordReader`]): each entry's leaf goes into a compact
//! Merkle frontier, each block is checked as it arrives, and each entry is replayed through
//! [`Rules`] — the very rules the server applies before appending — so the verifier
//! cannot accept what the server would have refused, nor the reverse. Ballots and challenges
//! are buffered in chunks: decoded and verified in parallel (batch verification, challenged
//! ballots in the same batches; then the challenges' openings), then applied in board order, so
//! that nothing costly runs on one core while the others wait.
//!
//! The aggregate needs the *last* ballot of each credential, which is known only once voting
//! closes. Instead of keeping every ballot's ciphertexts, the first pass sums every accepted
//! ballot (weighted) and notes which ballots a later revote superseded; a second pass re-reads
//! just those (checking their leaf hashes against the first pass, so a source cannot change
//! them) and subtracts them. Memory is bounded by the election's state (a few hash maps keyed
//! by credential and ballot hash) and one chunk of ballots (at most [`CHUNK`] entries and
//! [`CHUNK_BYTES`] of payload, held raw and decoded once: the decoded ballots move into the
//! batch verification), not by the record's size. Without
//! revotes there is no second pass.

mod board;
pub mod report;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use psephos_board::entry::{Entry, EntryKind};
use psephos_board::merkle::Hash;
use psephos_board::note::{SignatureType, VerifierKey};
use psephos_core::ballot::{verify_ballots, EncryptedBallot, VerifiedBallot};
use psephos_core::challenge::{check_opening, ChallengeReveal};
use psephos_core::election::Manifest;
use psephos_core::error::{DecodeError, ProofKind, VerifyError};
use psephos_core::tally::{EncryptedTally, TallyResult};

use crate::format::{RecordItem, RecordReader};
use crate::payload::{Challenged, Control, Payload};
use crate::rules::{Applied, CountRuleError, Phase, RuleError, Rules, TallyMismatch};
use board::BoardChecker;
pub use board::Frontier as MerkleFrontier;
use report::Tracker;
pub use report::{
    CheckId, CheckResult, ContestLabels, RankedOutcome, Report, Source, Status, Trust,
    WriteInOutcome,
};

/// Entries buffered before a parallel batch (decode, leaf hashes, ballot proofs)…
const CHUNK: usize = 4096;
/// …or fewer, once their payloads reach this many bytes (an entry may be up to 1 MiB; a chunk
/// holds its raw entries and, once, their decoded payloads).
const CHUNK_BYTES: usize = 64 << 20;

/// Where the record comes from. Opened once, or twice when revotes must be re-read.
pub trait RecordSource {
    /// A fresh reader at the start of the record.
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>>;
}

impl RecordSource for [u8] {
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self))
    }
}

impl RecordSource for Vec<u8> {
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.as_slice()))
    }
}

/// A source from a function that opens the record (a file, an HTTP response…).
#[derive(Debug)]
pub struct OpenWith<F>(pub F);

impl<F, R> RecordSource for OpenWith<F>
where
    F: Fn() -> std::io::Result<R>,
    R: Read + 'static,
{
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new((self.0)()?))
    }
}

/// The long steps of a verification, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Reading the record and running every check; counted in entries.
    Record,
    /// Re-reading the ballots superseded by revotes; counted in entries.
    Revotes,
}

/// Progress callbacks; every method has an empty default.
pub trait Progress {
    /// A step starts; `total` entries are expected.
    fn start(&mut self, _step: Step, _total: u64) {}
    /// `done` entries of the current step are processed.
    fn advance(&mut self, _done: u64) {}
    /// The current step is over.
    fn finish(&mut self) {}
}

/// Ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// A checkpoint the verifier already trusts (from a receipt, a witness, an earlier look at the
/// board): the record must contain that history. It is the signed note as obtained; it counts
/// only if it opens under the board's origin and the board key the verification uses (pinned
/// or the header's), else check 6 fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The signed checkpoint note (C2SP signed note; cosignature lines may follow the board's).
    pub note: String,
}

impl Anchor {
    /// A trusted checkpoint from its signed note text.
    pub fn new(note: impl Into<String>) -> Self {
        Anchor { note: note.into() }
    }
}

/// What to trust. By default the keys in the record's header (the board's own statement).
/// See [`Trust`] for how pinned witness keys set the quorum.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The board's verifier key, if known from elsewhere.
    pub board_key: Option<VerifierKey>,
    /// The witnesses to count, if known from elsewhere (replaces the header's list).
    pub witnesses: Option<Vec<VerifierKey>>,
    /// The quorum to require. Without it: [`default_quorum`] of the pinned witnesses (a
    /// majority) if `witnesses` is given, else the header's quorum.
    pub quorum: Option<u32>,
    /// Checkpoints already trusted.
    pub anchors: Vec<Anchor>,
}

/// Verifies the record from `source` with the keys in its header.
pub fn verify_record<S: RecordSource + ?Sized>(source: &S, progress: &mut dyn Progress) -> Report {
    verify_record_with(source, &VerifyOptions::default(), progress)
}

/// Verifies the record from `source`; never panics on any input.
pub fn verify_record_with<S: RecordSource + ?Sized>(
    source: &S,
    options: &VerifyOptions,
    progress: &mut dyn Progress,
) -> Report {
    let mut v = Verifier::default();
    let reader = match source.open() {
        Ok(r) => r,
        Err(e) => {
            v.format_failed(format!("cannot open the record: {e}"));
            return v.report(None, options);
        }
    };
    let mut reader = match RecordReader::new(reader) {
        Ok(r) => r,
        Err(e) => {
            v.format_failed(e.to_string());
            return v.report(None, options);
        }
    };
    let header = reader.header().clone();
    let (key, witnesses, quorum, trust) = trusted_keys(&header, options);
    if let Some(k) = &options.board_key {
        if k != &header.board_key {
            v.tracker(CheckId::BoardCheckpoints).fail(|| {
                format!(
                    "the record names board key {}, not the expected {k}",
                    header.board_key
                )
            });
        }
    }
    if let Some(given) = &options.witnesses {
        for k in given {
            if let Err(e) = k.require(SignatureType::CosignatureV1) {
                v.tracker(CheckId::BoardWitnesses)
                    .fail(|| format!("pinned witness key {k}: {e}"));
            }
        }
    }
    let mut board = BoardChecker::new(
        header.origin.clone(),
        key,
        witnesses,
        quorum,
        options.anchors.clone(),
    );
    v.entries = header.entries;
    v.blocks = header.blocks;
    progress.start(Step::Record, header.entries);

    let mut buffer: Vec<RecordItem> = Vec::new();
    let mut buffered = 0usize;
    let mut buffered_bytes = 0usize;
    let mut read_ok = true;
    loop {
        match reader.next_item() {
            Ok(Some(RecordItem::Entry(e)))
                if matches!(e.entry.kind, EntryKind::Ballot | EntryKind::Challenge) =>
            {
                buffered_bytes = buffered_bytes.saturating_add(e.entry.payload.len());
                buffer.push(RecordItem::Entry(e));
                buffered += 1;
                if buffered >= CHUNK || buffered_bytes >= CHUNK_BYTES {
                    v.flush(&mut buffer, &mut board);
                    buffered = 0;
                    buffered_bytes = 0;
                    progress.advance(v.done);
                }
            }
            Ok(Some(RecordItem::Entry(e))) => {
                v.flush(&mut buffer, &mut board);
                buffered = 0;
                buffered_bytes = 0;
                let leaf = leaf_of(&e.entry);
                board.leaf(leaf);
                v.apply_other(e.index, &e.entry);
                progress.advance(v.done);
            }
            Ok(Some(RecordItem::Block(b))) => {
                if buffer.is_empty() {
                    board.block(b);
                } else {
                    buffer.push(RecordItem::Block(b));
                }
            }
            Ok(None) => break,
            Err(e) => {
                v.flush(&mut buffer, &mut board);
                v.format_failed(e.to_string());
                read_ok = false;
                break;
            }
        }
    }
    v.flush(&mut buffer, &mut board);
    progress.advance(v.done);
    progress.finish();
    if read_ok {
        v.tracker(CheckId::RecordFormat).pass_n(1);
        board.finish();
    }
    v.board = Some(board);
    if read_ok {
        v.check_aggregate(source, progress);
        v.finish_mix();
    }
    let mut report = v.report(Some(&header), options);
    report.trust = trust;
    report
}

/// The witness quorum of `witnesses` distinct keys when nobody names one: a majority, more than
/// half of them (0 when there is none). This is the one default: for the witnesses a verifier or
/// a trustee pins (`psephos verify`, `psephos trustee decrypt`, the observer page) and for the
/// quorum a record's header asks for (`GET /api/v1/record`, `psephos record export`). Why a
/// majority and not every witness: `docs/verification.md`, "What you trust".
pub fn default_quorum(witnesses: usize) -> u32 {
    if witnesses == 0 {
        0
    } else {
        u32::try_from(witnesses / 2 + 1).unwrap_or(u32::MAX)
    }
}

/// The board key, witness keys and quorum to check against, and where each came from.
///
/// The header is the board's own statement: a forged record can name any keys and any quorum
/// there. So once the user pins witness keys, the quorum never comes from the header: it is
/// `--quorum` if given, else [`default_quorum`] of the distinct pinned witnesses (a majority).
/// A quorum given without witness keys applies to the header's witnesses. With nothing pinned,
/// the header's witnesses and quorum are used and the report says they come from the record.
fn trusted_keys(
    header: &crate::format::RecordHeader,
    options: &VerifyOptions,
) -> (VerifierKey, Vec<VerifierKey>, u32, report::Trust) {
    let (key, board_source) = match &options.board_key {
        Some(k) => (k.clone(), report::Source::Pinned),
        None => (header.board_key.clone(), report::Source::RecordHeader),
    };
    let (witnesses, witness_source) = match &options.witnesses {
        Some(given) => {
            let mut distinct: Vec<VerifierKey> = Vec::with_capacity(given.len());
            // A pinned key of another type than cosignature/v1 is no witness: it is not
            // counted (and `verify_record_with` fails check 5 for it).
            for k in given
                .iter()
                .filter(|k| k.signature_type() == SignatureType::CosignatureV1)
            {
                if !distinct.contains(k) {
                    distinct.push(k.clone());
                }
            }
            (distinct, report::Source::Pinned)
        }
        None => (header.witnesses.clone(), report::Source::RecordHeader),
    };
    let (quorum, quorum_source) = match (options.quorum, witness_source) {
        (Some(q), _) => (q, report::Source::Pinned),
        (None, report::Source::RecordHeader) => {
            (header.witness_quorum, report::Source::RecordHeader)
        }
        (None, _) => (
            default_quorum(witnesses.len()),
            report::Source::MajorityOfPinnedWitnesses,
        ),
    };
    let trust = report::Trust {
        board_key: board_source,
        witnesses: witness_source,
        witness_count: witnesses.len(),
        quorum,
        quorum_source,
    };
    (key, witnesses, quorum, trust)
}

fn leaf_of(e: &Entry) -> Hash {
    // The reader built the entry within the size limit, so this cannot fail.
    e.leaf_hash().unwrap_or(Hash::EMPTY_TREE)
}

/// Per-weight sums of ballot ciphertexts, contest by option, and per contest how many ballots
/// were summed and their total weight.
#[derive(Debug, Clone, Default)]
struct Sums {
    by_weight: BTreeMap<u64, Vec<Vec<(RistrettoPoint, RistrettoPoint)>>>,
    counts: Vec<(u64, u64)>,
}

impl Sums {
    fn add(&mut self, manifest: &Manifest, style: usize, b: &EncryptedBallot, weight: u64) {
        let Some(style) = manifest.ballot_styles.get(style) else {
            return;
        };
        if self.counts.len() != manifest.contests.len() {
            self.counts = vec![(0, 0); manifest.contests.len()];
        }
        for &ci in &style.contests {
            if let Some(c) = self.counts.get_mut(ci) {
                c.0 += 1;
                c.1 = c.1.saturating_add(weight);
            }
        }
        let sums = self.by_weight.entry(weight).or_insert_with(|| {
            manifest
                .contests
                .iter()
                .map(|c| {
                    // A mixed contest is not in the tally (§9.2): nothing to sum.
                    let width = if c.is_mixed() { 0 } else { c.width() };
                    vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); width]
                })
                .collect()
        });
        for (&ci, ec) in style.contests.iter().zip(&b.contests) {
            if let Some(row) = sums.get_mut(ci) {
                for (acc, ct) in row.iter_mut().zip(&ec.ciphertexts) {
                    acc.0 += ct.alpha.point();
                    acc.1 += ct.beta.point();
                }
            }
        }
    }

    /// `Σ_w w · sums_w`, contest by option, for the homomorphically counted contests in
    /// manifest order (the tally's contests).
    fn total(&self, manifest: &Manifest) -> Vec<Vec<(RistrettoPoint, RistrettoPoint)>> {
        let mut out: Vec<Vec<(RistrettoPoint, RistrettoPoint)>> = manifest
            .contests
            .iter()
            .map(|c| {
                let width = if c.is_mixed() { 0 } else { c.width() };
                vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); width]
            })
            .collect();
        for (&w, sums) in &self.by_weight {
            let ws = Scalar::from(w);
            for (orow, srow) in out.iter_mut().zip(sums) {
                for (o, s) in orow.iter_mut().zip(srow) {
                    if w == 1 {
                        o.0 += s.0;
                        o.1 += s.1;
                    } else {
                        o.0 += s.0 * ws;
                        o.1 += s.1 * ws;
                    }
                }
            }
        }
        out.into_iter()
            .zip(&manifest.contests)
            .filter(|(_, c)| !c.is_mixed())
            .map(|(row, _)| row)
            .collect()
    }
}

type Totals = Vec<Vec<(RistrettoPoint, RistrettoPoint)>>;

fn sub(a: &Totals, b: &Totals) -> Totals {
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            ra.iter()
                .zip(rb)
                .map(|(x, y)| (x.0 - y.0, x.1 - y.1))
                .collect()
        })
        .collect()
}

fn equals_tally(t: &EncryptedTally, sums: &Totals) -> bool {
    t.contests.len() == sums.len()
        && t.contests.iter().zip(sums).all(|(tc, row)| {
            tc.ciphertexts.len() == row.len()
                && tc
                    .ciphertexts
                    .iter()
                    .zip(row)
                    .all(|(ct, s)| ct.alpha.point() == &s.0 && ct.beta.point() == &s.1)
        })
}

/// Whether the tally states, for every contest it holds (the homomorphically counted ones), the
/// ballots and weight of `counts` (one per manifest contest).
fn states_counts(manifest: &Manifest, t: &EncryptedTally, counts: &[(u64, u64)]) -> bool {
    let counted: Vec<(u64, u64)> = counts
        .iter()
        .zip(&manifest.contests)
        .filter(|(_, c)| !c.is_mixed())
        .map(|(&bw, _)| bw)
        .collect();
    counts.len() == manifest.contests.len()
        && t.contests.len() == counted.len()
        && t.contests
            .iter()
            .zip(counted)
            .all(|(tc, (b, w))| tc.ballots == b && tc.weight == w)
}

/// The rows a counted ballot adds to each mixed list: its ciphertexts of each mixed contest
/// (`None` where its style lacks one); `None` if the manifest mixes nothing.
fn mixed_rows_of(
    manifest: &Manifest,
    style: usize,
    b: &EncryptedBallot,
) -> Option<Vec<Option<Vec<psephos_core::elgamal::Ciphertext>>>> {
    if !manifest.contests.iter().any(|c| c.is_mixed()) {
        return None;
    }
    let style = manifest.ballot_styles.get(style)?;
    Some(
        manifest
            .contests
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_mixed())
            .map(|(ci, _)| {
                style
                    .contests
                    .iter()
                    .position(|&s| s == ci)
                    .and_then(|pos| b.contests.get(pos))
                    .map(|ec| ec.ciphertexts.clone())
            })
            .collect(),
    )
}

/// One line on a write-in contest's count for the report: ballots, names, invalid write-ins.
fn write_in_note((contest, c): &(String, psephos_core::write_in::WriteInCount)) -> String {
    let named: u64 = c.names.iter().map(|(_, k)| k).sum();
    format!(
        "contest {contest:?}: {} ballots, {} distinct written names on {named} ballots, {} \
         invalid write-ins",
        c.ballots,
        c.names.len(),
        c.invalid
    )
}

/// One line on a ranked contest's count for the report: method, ballots, rounds, who won.
fn ranked_note(c: &psephos_core::ranked::RankedCount) -> String {
    use psephos_core::count::Method;
    let t = &c.transcript;
    let method = match t.method {
        Method::Irv => "IRV".to_string(),
        Method::Stv { seats } => format!("STV, {seats} seats"),
        Method::Schulze => "Schulze".to_string(),
    };
    let elected: Vec<String> = t.elected.iter().map(|e| format!("#{}", e + 1)).collect();
    format!(
        "contest {:?} ({method}): {} ballots ({} blank), {} rounds; {} (candidates numbered \
         from 1): {}",
        c.contest,
        t.ballots,
        t.blank,
        t.rounds.len(),
        if matches!(t.method, Method::Schulze) {
            "ranking"
        } else {
            "elected"
        },
        elected.join(", ")
    )
}

/// The check a refused mix entry fails.
fn mix_check(e: &crate::rules::MixRuleError, by_kind: CheckId) -> CheckId {
    use crate::rules::MixRuleError as M;
    match e {
        M::NotQualified { .. }
        | M::MixerOrder { .. }
        | M::SkipsNeeded { .. }
        | M::TooFewMixers { .. }
        | M::MinMixers { .. } => CheckId::MixMixers,
        M::Shuffle { .. } => CheckId::MixShuffles,
        M::ShareNotQualified { .. } | M::ShareAlreadyPosted { .. } | M::Share { .. } => {
            CheckId::MixShares
        }
        M::ResultDiffers | M::Combine(_) | M::TooFewShares { .. } => CheckId::MixResult,
        _ => by_kind,
    }
}

/// A buffered entry after the parallel decode.
// As large as the decoded payload it holds, one per buffered entry (at most a few MB a chunk).
#[allow(clippy::large_enum_variant)]
enum Prepared {
    /// Decoded (or not); not a ballot in the batch.
    Decoded(Result<Payload, DecodeError>),
    /// A ballot (cast or challenged) moved into the batch verification; its verdict (and a
    /// challenge's reveal and opening verdict) comes back in order.
    InBatch,
}

/// A ballot with its proof verdict.
enum Checked {
    Verified(VerifiedBallot),
    Failed(EncryptedBallot, VerifyError),
    /// No valid election definition: nothing to verify against.
    NoElection(EncryptedBallot),
}

impl Checked {
    fn ballot(&self) -> &EncryptedBallot {
        match self {
            Checked::Verified(vb) => vb.ballot(),
            Checked::Failed(b, _) | Checked::NoElection(b) => b,
        }
    }
}

/// A ballot a later revote superseded: re-read in the second pass.
#[derive(Debug, Clone, Copy)]
struct Superseded {
    index: u64,
    leaf: Hash,
    style: usize,
    weight: u64,
}

#[derive(Default)]
struct Verifier {
    state: Rules,
    trackers: BTreeMap<CheckId, Tracker>,
    board: Option<BoardChecker>,
    /// Why later phase errors are consequences rather than new failures, and the phase the
    /// election was left in: once the phase moves on, the rejection explains nothing more.
    blocked: Option<(String, Phase)>,
    /// The first entry is not the election definition: nothing after it is checked.
    headless: Option<String>,
    /// An encrypted tally the rules refused (index, tally): kept to say which ballots it sums.
    rejected_tally: Option<(u64, EncryptedTally, TallyMismatch)>,
    /// Why the encrypted tally cannot be relied on: its shares, combination and result are
    /// `skipped`.
    tally_unusable: Option<String>,
    /// The first result posted, accepted or not: check 27 compares its mixed contests with
    /// their decrypted rows either way.
    posted_result: Option<TallyResult>,
    entries: u64,
    blocks: u64,
    /// Entries processed.
    done: u64,
    format_error: bool,
    all: Sums,
    later: Sums,
    /// Leaf hash, style and weight of each credential's current last ballot, by index.
    last_leaf: HashMap<u64, (Hash, usize, u64)>,
    superseded: Vec<Superseded>,
    /// With mixed contests: each credential's last ballot's rows, per mixed contest (`None`
    /// where its style lacks the contest), by index: what the mix input must be (check 22).
    mixed_rows: BTreeMap<u64, Vec<Option<Vec<psephos_core::elgamal::Ciphertext>>>>,
}

impl Verifier {
    fn tracker(&mut self, id: CheckId) -> &mut Tracker {
        self.trackers.entry(id).or_default()
    }

    fn format_failed(&mut self, detail: String) {
        self.format_error = true;
        self.tracker(CheckId::RecordFormat).fail(|| detail);
    }

    /// Reports a rejected entry under `check`: a phase error that follows from an earlier
    /// rejection is a skip, anything else a failure. The entry is left out of the election.
    ///
    /// An entry refused for its phase is reported under `election.lifecycle` when it is a
    /// lifecycle matter (`docs/verification.md`, check 8): a second definition, an encrypted
    /// tally, a share or a result out of place, and anything after the result. Ballots,
    /// challenges, credential lists and ceremony messages out of their phase otherwise stay
    /// under their own check.
    fn reject(&mut self, check: CheckId, index: u64, e: &RuleError) {
        self.state.skip_entry();
        if let RuleError::Phase { phase, .. } = e {
            if let Some((why, at)) = &self.blocked {
                if at == phase {
                    let why = why.clone();
                    self.tracker(check)
                        .skip(|| format!("entry {index} not checked: {why}"));
                    return;
                }
            }
            let lifecycle = *phase == Phase::Decrypted
                || matches!(
                    check,
                    CheckId::ElectionParameters
                        | CheckId::TallyAggregate
                        | CheckId::TallyShares
                        | CheckId::TallyCombination
                        | CheckId::TallyResult
                );
            if lifecycle {
                self.tracker(CheckId::ElectionLifecycle)
                    .fail(|| format!("entry {index}: {e}"));
                return;
            }
        }
        self.tracker(check).fail(|| format!("entry {index}: {e}"));
    }

    /// A lifecycle entry was rejected: the election stays in its phase, and later entries
    /// refused for that phase are consequences (`skipped`), until the phase moves on.
    fn block(&mut self, why: String) {
        self.blocked = Some((why, self.state.phase()));
    }

    /// Whether entry `index` comes after a first entry that is not the definition: then it is
    /// not checked (`skipped` under `check`). Entry 0 itself is judged here.
    fn headless(&mut self, check: CheckId, index: u64, kind: EntryKind) -> bool {
        if index == 0 && self.state.size() == 0 && kind != EntryKind::ElectionDefinition {
            self.state.skip_entry();
            self.tracker(CheckId::ElectionParameters).fail(|| {
                format!(
                    "entry 0 is a {kind} entry: the first entry must be the election definition"
                )
            });
            self.headless = Some("the first entry is not the election definition".into());
            return true;
        }
        if let Some(why) = &self.headless {
            let why = why.clone();
            self.state.skip_entry();
            self.tracker(check)
                .skip(|| format!("entry {index} not checked: {why}"));
            return true;
        }
        false
    }

    /// Decodes in parallel, verifies the ballots' proofs in a batch, then applies in order.
    fn flush(&mut self, buffer: &mut Vec<RecordItem>, board: &mut BoardChecker) {
        if buffer.is_empty() {
            return;
        }
        let items = std::mem::take(buffer);
        let prepare = |item: &RecordItem| -> Option<(Hash, Result<Payload, DecodeError>)> {
            match item {
                RecordItem::Entry(e) => Some((
                    leaf_of(&e.entry),
                    Payload::decode(e.entry.kind, &e.entry.payload),
                )),
                RecordItem::Block(_) => None,
            }
        };
        #[cfg(feature = "parallel")]
        let prepared: Vec<Option<(Hash, Result<Payload, DecodeError>)>> = {
            use rayon::prelude::*;
            items.par_iter().map(prepare).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let prepared: Vec<Option<(Hash, Result<Payload, DecodeError>)>> =
            items.iter().map(prepare).collect();

        // Batch-verify the well-formed ballots, cast and challenged (signature and every
        // proof); then check the challenges' openings in parallel. The decoded ballots move into
        // the batch and come back inside their verdicts: never copied.
        let mut slots: Vec<Option<(Hash, Prepared)>> = Vec::with_capacity(prepared.len());
        let mut verdicts = Vec::new();
        let mut reveals: Vec<Option<ChallengeReveal>> = Vec::new();
        let mut openings: Vec<Option<Result<(), VerifyError>>> = Vec::new();
        if let Some(election) = self.state.election() {
            let mut ballots = Vec::new();
            for p in prepared {
                slots.push(p.map(|(leaf, payload)| match payload {
                    Ok(Payload::Ballot(b)) => {
                        ballots.push(b);
                        reveals.push(None);
                        (leaf, Prepared::InBatch)
                    }
                    Ok(Payload::Challenge(c)) => {
                        ballots.push(c.ballot);
                        reveals.push(Some(c.reveal));
                        (leaf, Prepared::InBatch)
                    }
                    other => (leaf, Prepared::Decoded(other)),
                }));
            }
            verdicts = verify_ballots(election, ballots);
            let open = |(verdict, reveal): (
                &Result<VerifiedBallot, VerifyError>,
                &Option<ChallengeReveal>,
            )| match (verdict, reveal) {
                (Ok(vb), Some(r)) => Some(check_opening(election, vb, r).map(|_| ())),
                _ => None,
            };
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                openings = verdicts.par_iter().zip(&reveals).map(open).collect();
            }
            #[cfg(not(feature = "parallel"))]
            {
                openings = verdicts.iter().zip(&reveals).map(open).collect();
            }
        } else {
            slots.extend(
                prepared
                    .into_iter()
                    .map(|p| p.map(|(leaf, payload)| (leaf, Prepared::Decoded(payload)))),
            );
        }
        let mut verdicts = verdicts.into_iter().zip(reveals).zip(openings);

        for (item, slot) in items.into_iter().zip(slots) {
            match (item, slot) {
                (RecordItem::Block(b), _) => board.block(b),
                (RecordItem::Entry(e), Some((leaf, prepared))) => {
                    board.leaf(leaf);
                    self.done += 1;
                    let own = if e.entry.kind == EntryKind::Challenge {
                        CheckId::Challenges
                    } else {
                        CheckId::BallotsEligibility
                    };
                    if self.headless(own, e.index, e.entry.kind) {
                        // Keep the batch's verdicts in step (there are none without an
                        // election, but a verdict must never be taken by the wrong entry).
                        if matches!(prepared, Prepared::InBatch) {
                            verdicts.next();
                        }
                        continue;
                    }
                    let undecodable = |v: &mut Self, err: DecodeError| {
                        let check = if e.entry.kind == EntryKind::Challenge {
                            CheckId::Challenges
                        } else {
                            CheckId::BallotsProofs
                        };
                        v.state.skip_entry();
                        v.tracker(check).fail(|| {
                            format!("entry {}: undecodable {}: {err}", e.index, e.entry.kind)
                        });
                    };
                    match prepared {
                        Prepared::Decoded(Err(err)) => undecodable(self, err),
                        Prepared::Decoded(Ok(Payload::Ballot(b))) => {
                            self.ballot(e.index, leaf, Checked::NoElection(b))
                        }
                        Prepared::Decoded(Ok(p)) => self.challenge(e.index, &p),
                        Prepared::InBatch => match verdicts.next() {
                            // A challenged ballot: the rules, then its proofs' verdict, then
                            // its opening's (the order of `Rules::apply`).
                            Some(((Ok(vb), Some(reveal)), opened)) => {
                                let c = Challenged {
                                    ballot: vb.into_inner(),
                                    reveal,
                                };
                                let opened = opened.unwrap_or(Err(VerifyError::ChallengeMismatch));
                                self.opened_challenge(e.index, &c, opened)
                            }
                            Some(((Ok(vb), None), _)) => {
                                self.ballot(e.index, leaf, Checked::Verified(vb))
                            }
                            // A failed ballot is decoded again (it was moved into the batch):
                            // failures are rare, copies of every ballot are not.
                            Some(((Err(proof), _), _)) => {
                                match Payload::decode(e.entry.kind, &e.entry.payload) {
                                    Ok(Payload::Ballot(b)) => {
                                        self.ballot(e.index, leaf, Checked::Failed(b, proof))
                                    }
                                    Ok(Payload::Challenge(c)) => {
                                        self.opened_challenge(e.index, &c, Err(proof))
                                    }
                                    Ok(_) => {}
                                    Err(err) => undecodable(self, err),
                                }
                            }
                            None => {
                                self.state.skip_entry();
                                self.tracker(CheckId::BallotsProofs).fail(|| {
                                    format!("entry {}: no verdict from the batch", e.index)
                                });
                            }
                        },
                    }
                }
                (RecordItem::Entry(_), None) => {}
            }
        }
    }

    fn ballot(&mut self, index: u64, leaf: Hash, checked: Checked) {
        let outcome = match &checked {
            Checked::Verified(vb) => self.state.apply_verified_ballot(vb),
            // The rules and the shape come first; then the batch's verdict, which follows
            // §8.4's order (proofs, then the signature). The state's own signature check must
            // not pre-empt it: a ballot whose proof bytes were altered also fails its
            // signature (the signature covers the proofs), but it is a `ballots.proofs` failure.
            Checked::Failed(b, proof) => match self.state.check_ballot(b) {
                Err(RuleError::Ballot(VerifyError::Proof {
                    kind: ProofKind::BallotSignature,
                    ..
                }))
                | Ok(_) => Err(RuleError::Ballot(proof.clone())),
                Err(rule) => Err(rule),
            },
            Checked::NoElection(b) => self.state.check_ballot(b).and_then(|_| {
                // Unreachable: without an election the phase rule rejects every ballot.
                Err(RuleError::Phase {
                    action: "cast a ballot",
                    phase: self.state.phase(),
                })
            }),
        };
        let b = checked.ballot();
        match outcome {
            Ok(Applied::Ballot { superseded, .. }) => {
                for id in [
                    CheckId::BallotsEligibility,
                    CheckId::BallotsSignature,
                    CheckId::BallotsProofs,
                ] {
                    self.tracker(id).pass();
                }
                let Some(e) = self.state.eligibility(&b.credential) else {
                    return;
                };
                if let Some(manifest) = self.state.manifest() {
                    self.all.add(manifest, e.style, b, e.weight);
                    if let Some(old) = superseded {
                        self.later.add(manifest, e.style, b, e.weight);
                        if let Some((leaf, style, weight)) = self.last_leaf.remove(&old) {
                            self.superseded.push(Superseded {
                                index: old,
                                leaf,
                                style,
                                weight,
                            });
                        }
                    }
                }
                self.last_leaf.insert(index, (leaf, e.style, e.weight));
                if let Some(old) = superseded {
                    self.mixed_rows.remove(&old);
                }
                if let Some(manifest) = self.state.manifest() {
                    if let Some(rows) = mixed_rows_of(manifest, e.style, b) {
                        self.mixed_rows.insert(index, rows);
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                let check = match &e {
                    RuleError::Ballot(VerifyError::Proof {
                        kind: ProofKind::BallotSignature,
                        ..
                    }) => CheckId::BallotsSignature,
                    RuleError::Ballot(_) => CheckId::BallotsProofs,
                    RuleError::ChallengedBallot(_) => CheckId::Challenges,
                    _ => CheckId::BallotsEligibility,
                };
                self.reject(check, index, &e);
            }
        }
    }

    /// A challenge whose ballot and opening were checked in the parallel step (`opened`: the
    /// first failure of its proofs, then of its opening): the rules, then that verdict (the
    /// order of [`Rules::apply`]).
    fn opened_challenge(&mut self, index: u64, c: &Challenged, opened: Result<(), VerifyError>) {
        match self.state.apply_opened_challenge(c, opened) {
            Ok(_) => self.tracker(CheckId::Challenges).pass(),
            Err(e) => self.reject(CheckId::Challenges, index, &e),
        }
    }

    fn challenge(&mut self, index: u64, p: &Payload) {
        match self.state.apply(p) {
            Ok(_) => self.tracker(CheckId::Challenges).pass(),
            Err(e) => self.reject(CheckId::Challenges, index, &e),
        }
    }

    /// Every entry but ballots and challenges, one at a time in order.
    fn apply_other(&mut self, index: u64, entry: &Entry) {
        self.done += 1;
        let check = match entry.kind {
            EntryKind::ElectionDefinition => CheckId::ElectionParameters,
            EntryKind::CeremonyMessage => CheckId::CeremonyMessages,
            EntryKind::CredentialList => CheckId::CredentialsList,
            EntryKind::Control => CheckId::ElectionLifecycle,
            EntryKind::EncryptedTally => CheckId::TallyAggregate,
            EntryKind::DecryptionShare => CheckId::TallyShares,
            EntryKind::BoothManifest => CheckId::BoothManifest,
            EntryKind::MixInput => CheckId::MixInput,
            EntryKind::Shuffle => CheckId::MixShuffles,
            EntryKind::MixShare => CheckId::MixShares,
            EntryKind::MixResult => CheckId::MixResult,
            EntryKind::MixedCount => CheckId::RankedCount,
            _ => CheckId::TallyResult,
        };
        if self.headless(check, index, entry.kind) {
            return;
        }
        let payload = match Payload::decode(entry.kind, &entry.payload) {
            Ok(p) => p,
            Err(err) => {
                self.state.skip_entry();
                self.tracker(check)
                    .fail(|| format!("entry {index}: undecodable {}: {err}", entry.kind));
                // An undecodable lifecycle entry is a rejected one: the election stays where it
                // was, and what is refused only for that reason is `skipped`.
                match entry.kind {
                    EntryKind::ElectionDefinition => self.block(format!(
                        "the election definition (entry {index}) is invalid"
                    )),
                    EntryKind::Control => {
                        self.block(format!("the control event (entry {index}) is undecodable"))
                    }
                    EntryKind::EncryptedTally => {
                        let why = format!("the encrypted tally (entry {index}) is undecodable");
                        if self.state.tally().is_none() {
                            self.tally_unusable = Some(why.clone());
                        }
                        self.block(why);
                    }
                    _ => {}
                }
                return;
            }
        };
        match &payload {
            Payload::Result(r) if self.state.phase() == Phase::Tallying => {
                if self.posted_result.is_none() {
                    self.posted_result = Some(r.clone());
                }
                match self.state.combined_result() {
                    Err(e) => {
                        self.tracker(CheckId::TallyCombination)
                            .fail(|| format!("entry {index}: {e}"));
                        self.state.skip_entry();
                        self.tracker(CheckId::TallyResult)
                            .skip(|| "the shares on the board do not decrypt the tally".into());
                    }
                    Ok(expected) => {
                        self.tracker(CheckId::TallyCombination).pass();
                        if &expected != r {
                            self.state.skip_entry();
                            let diff = describe_result_difference(&expected, r);
                            self.tracker(CheckId::TallyResult)
                                .fail(|| format!("entry {index}: {diff}"));
                        } else {
                            match self.state.apply(&payload) {
                                Ok(_) => self.tracker(CheckId::TallyResult).pass(),
                                Err(e) => self.reject(CheckId::TallyResult, index, &e),
                            }
                        }
                    }
                }
                return;
            }
            _ => {}
        }
        let check = match &payload {
            Payload::Control(Control::CeremonyComplete(_)) => CheckId::CeremonyOutcome,
            _ => check,
        };
        match self.state.apply(&payload) {
            Ok(Applied::MixPart { .. }) => {}
            Ok(Applied::MixInput) => self.check_mix_input(index),
            Ok(Applied::Shuffle { .. }) => {
                self.tracker(CheckId::MixShuffles).pass();
                self.tracker(CheckId::MixMixers).pass();
            }
            Ok(Applied::MixedCount) => {
                let notes: Vec<String> = self
                    .state
                    .ranked_counts()
                    .map(|(counts, _)| counts.iter().map(ranked_note).collect())
                    .unwrap_or_default();
                if self.state.has_ranked_contests() {
                    let t = self.tracker(CheckId::RankedCount);
                    t.pass_n(notes.len().max(1) as u64);
                    for n in notes {
                        t.note(n);
                    }
                }
                let notes: Vec<String> = self
                    .state
                    .write_in_counts()
                    .map(|w| w.iter().map(write_in_note).collect())
                    .unwrap_or_default();
                if !notes.is_empty() {
                    let t = self.tracker(CheckId::WriteIns);
                    t.pass_n(notes.len() as u64);
                    for n in notes {
                        t.note(n);
                    }
                }
            }
            Ok(_) => {
                if matches!(payload, Payload::Tally(_)) {
                    self.tally_unusable = None;
                    self.rejected_tally = None;
                }
                self.tracker(check).pass()
            }
            Err(e) => {
                let check = match (&payload, &e) {
                    (Payload::Control(Control::Open), RuleError::Credentials(_)) => {
                        CheckId::CredentialsList
                    }
                    (Payload::Control(Control::Open), RuleError::NoBoothManifest) => {
                        CheckId::BoothManifest
                    }
                    (Payload::Control(Control::CeremonyComplete(_)), RuleError::Phase { .. }) => {
                        CheckId::ElectionLifecycle
                    }
                    (_, RuleError::Mix(m)) => mix_check(m, check),
                    // A write-in contest's count that differs is check 29's; the rest of the
                    // mixed count's refusals are check 28's.
                    (
                        Payload::MixedCount(_),
                        RuleError::Count(CountRuleError::Differs { contest }),
                    ) if self
                        .state
                        .manifest()
                        .and_then(|m| m.contests.iter().find(|c| &c.id == contest))
                        .is_some_and(|c| c.write_ins.is_some()) =>
                    {
                        CheckId::WriteIns
                    }
                    _ => check,
                };
                if let (Payload::Tally(t), RuleError::Tally(why)) = (&payload, &e) {
                    // Which check fails is decided once the ballots are summed
                    // (`check_aggregate`): a tally that consistently counts every ballot,
                    // revotes included, is a revote failure.
                    self.state.skip_entry();
                    self.rejected_tally = Some((index, t.clone(), why.clone()));
                    self.tally_unusable =
                        Some(format!("the encrypted tally (entry {index}) was rejected"));
                    self.block(format!("the encrypted tally (entry {index}) was rejected"));
                    return;
                }
                self.reject(check, index, &e);
                match &payload {
                    Payload::Definition(_) => self.block(format!(
                        "the election definition (entry {index}) was rejected"
                    )),
                    Payload::Control(c) => {
                        let what = match c {
                            Control::CeremonyComplete(_) => "the key announcement",
                            Control::Open => "the opening of voting",
                            Control::Close => "the close of voting",
                        };
                        self.block(format!("{what} (entry {index}) was rejected"));
                    }
                    Payload::Tally(_) => {
                        let why = format!("the encrypted tally (entry {index}) was rejected");
                        // A second tally after an accepted one spoils nothing.
                        if self.state.tally().is_none() {
                            self.tally_unusable = Some(why.clone());
                        }
                        self.block(why)
                    }
                    _ => {}
                }
            }
        }
    }

    /// Check 22: the mix input the rules accepted holds exactly the counted ballots' rows.
    fn check_mix_input(&mut self, index: u64) {
        let Some(mix) = self.state.mix() else {
            return;
        };
        let lists = &mix.input().lists;
        let mut expected: Vec<Vec<psephos_core::elgamal::Ciphertext>> =
            vec![Vec::new(); lists.len()];
        for rows in self.mixed_rows.values() {
            for (l, row) in expected.iter_mut().zip(rows) {
                if let Some(row) = row {
                    l.extend_from_slice(row);
                }
            }
        }
        let bad = lists
            .iter()
            .zip(&expected)
            .position(|(l, e)| l.list.ciphertexts() != e.as_slice());
        match bad {
            None => self.tracker(CheckId::MixInput).pass(),
            Some(i) => {
                let contest = lists[i].contest.clone();
                self.tracker(CheckId::MixInput).fail(|| {
                    format!(
                        "entry {index}: the mix input's list of contest {contest:?} is not the \
                         rows of the last ballot of each credential, in board order"
                    )
                });
            }
        }
    }

    /// Check 27 at the end: each mixed contest's counts in the result are the sums of its
    /// decrypted rows.
    fn finish_mix(&mut self) {
        let Some(mix) = self.state.mix() else {
            return;
        };
        if mix.result().is_none() {
            return;
        }
        let Some((mr, _)) = mix.result().cloned() else {
            return;
        };
        let Some(result) = self.state.result().or(self.posted_result.as_ref()).cloned() else {
            return;
        };
        for c in &mr.contests {
            let mut sums = vec![0u64; c.counts.len()];
            for row in &c.rows {
                for (s, v) in sums.iter_mut().zip(row) {
                    *s = s.saturating_add(*v);
                }
            }
            let stated = result.contests.iter().find(|r| r.contest == c.contest);
            let n = c.rows.len() as u64;
            match stated {
                Some(r) if sums == c.counts && r.counts == sums && r.ballots == n => {
                    self.tracker(CheckId::MixCounts).pass()
                }
                _ => {
                    let id = c.contest.clone();
                    self.tracker(CheckId::MixCounts).fail(|| {
                        format!(
                            "contest {id:?}: the result's counts are not the sums of its {n} \
                             decrypted rows"
                        )
                    })
                }
            }
        }
    }

    /// Compares the posted tally with the ballots (second pass over superseded ballots).
    fn check_aggregate<S: RecordSource + ?Sized>(
        &mut self,
        source: &S,
        progress: &mut dyn Progress,
    ) {
        let Some(manifest) = self.state.manifest().cloned() else {
            return;
        };
        // The tally the rules accepted, or one they refused for its counts or shape: the
        // latter is still compared with the ballots, to name the revote failure when it
        // consistently sums every ballot (ciphertexts and counts).
        let (tally, refused) = match (self.state.tally().cloned(), &self.rejected_tally) {
            (Some(t), _) => (t, None),
            (None, Some((index, t, why))) => (t.clone(), Some(format!("entry {index}: {why}"))),
            (None, None) => return,
        };
        let all = self.all.total(&manifest);
        let mut gone = Sums::default();
        if !self.superseded.is_empty() {
            self.superseded.sort_by_key(|s| s.index);
            progress.start(Step::Revotes, self.entries);
            if let Err(detail) = self.reread(source, &manifest, &mut gone, progress) {
                progress.finish();
                self.tracker(CheckId::TallyAggregate).fail(|| detail);
                self.tracker(CheckId::BallotsRevote)
                    .skip(|| "the superseded ballots could not be re-read".into());
                self.tally_unusable
                    .get_or_insert_with(|| "the encrypted tally could not be checked".into());
                return;
            }
            progress.finish();
        }
        let counted = sub(&all, &gone.total(&manifest));
        let revotes = self.superseded.len() as u64;
        if let Some(why) = refused {
            // Refused by the rules (its counts or shape). A tally of every ballot that states
            // every ballot's counts is the revote failure; anything else fails check 17.
            if revotes > 0
                && equals_tally(&tally, &all)
                && states_counts(&manifest, &tally, &self.all.counts)
            {
                self.tracker(CheckId::BallotsRevote).fail(|| {
                    format!("{why}: the encrypted tally counts every ballot, revotes included, instead of the last of each credential")
                });
                self.tracker(CheckId::TallyAggregate)
                    .skip(|| "the tally sums another set of ballots (see the revote check)".into());
            } else {
                self.tracker(CheckId::TallyAggregate).fail(|| why);
                self.tracker(CheckId::BallotsRevote)
                    .skip(|| "the encrypted tally was rejected".into());
            }
            return;
        }
        if equals_tally(&tally, &counted) {
            self.tracker(CheckId::TallyAggregate).pass();
            let t = self.tracker(CheckId::BallotsRevote);
            t.pass_n(revotes.max(1));
            t.note(format!(
                "{revotes} ballots superseded by a later ballot of the same credential, not counted"
            ));
            return;
        }
        let first = sub(&all, &self.later.total(&manifest));
        if revotes > 0 && (equals_tally(&tally, &first) || equals_tally(&tally, &all)) {
            let which = if equals_tally(&tally, &first) {
                "the first ballot of each credential instead of the last"
            } else {
                "every ballot, revotes included, instead of the last of each credential"
            };
            self.tracker(CheckId::BallotsRevote)
                .fail(|| format!("the encrypted tally counts {which}"));
            self.tracker(CheckId::TallyAggregate)
                .skip(|| "the tally sums another set of ballots (see the revote check)".into());
            self.tally_unusable = Some(format!("the encrypted tally counts {which}"));
        } else {
            self.tally_unusable =
                Some("the encrypted tally is not the weighted sum of the counted ballots".into());
            self.tracker(CheckId::TallyAggregate).fail(|| {
                "the encrypted tally is not the weighted sum of the last ballot of each credential"
                    .into()
            });
            self.tracker(CheckId::BallotsRevote)
                .skip(|| "the tally matches no choice of revotes".into());
        }
    }

    fn reread<S: RecordSource + ?Sized>(
        &self,
        source: &S,
        manifest: &Manifest,
        gone: &mut Sums,
        progress: &mut dyn Progress,
    ) -> Result<(), String> {
        let input = source
            .open()
            .map_err(|e| format!("cannot re-open the record: {e}"))?;
        let mut reader = RecordReader::new(input).map_err(|e| format!("re-reading: {e}"))?;
        let mut next = self.superseded.iter().peekable();
        let mut seen = 0u64;
        while let Some(want) = next.peek().copied() {
            let item = reader
                .next_item()
                .map_err(|e| format!("re-reading: {e}"))?
                .ok_or_else(|| format!("re-reading: entry {} is missing", want.index))?;
            let RecordItem::Entry(e) = item else {
                continue;
            };
            seen += 1;
            if seen % (1 << 16) == 0 {
                progress.advance(seen);
            }
            if e.index != want.index {
                continue;
            }
            next.next();
            if leaf_of(&e.entry) != want.leaf {
                return Err(format!(
                    "entry {} changed between the two passes over the record",
                    e.index
                ));
            }
            let b = match Payload::decode(e.entry.kind, &e.entry.payload) {
                Ok(Payload::Ballot(b)) => b,
                _ => return Err(format!("entry {} is no longer a ballot", e.index)),
            };
            gone.add(manifest, want.style, &b, want.weight);
        }
        progress.advance(seen);
        Ok(())
    }

    fn report(
        mut self,
        header: Option<&crate::format::RecordHeader>,
        _options: &VerifyOptions,
    ) -> Report {
        let phase = self.state.phase();
        if let Some(b) = self.board.take() {
            for (id, t) in [
                (CheckId::BoardCheckpoints, b.checkpoints),
                (CheckId::BoardBlocks, b.blocks),
                (CheckId::BoardMerkle, b.merkle),
                (CheckId::BoardWitnesses, b.witness),
                (CheckId::BoardAnchors, b.anchor),
            ] {
                let mine = self.tracker(id);
                mine.checked += t.checked;
                mine.failed += t.failed;
                mine.skipped += t.skipped;
                mine.details.extend(t.details);
                mine.notes.extend(t.notes);
                if t.not_applicable.is_some() && mine.checked == 0 {
                    mine.not_applicable = t.not_applicable;
                }
            }
        }
        // What the record does not reach.
        let na = |v: &mut Verifier, id: CheckId, why: String| {
            let t = v.tracker(id);
            if t.checked == 0 && t.failed == 0 && t.skipped == 0 && t.not_applicable.is_none() {
                t.not_applicable = Some(why);
            }
        };
        if self.format_error {
            for id in CheckId::ALL {
                let t = self.tracker(id);
                if t.failed == 0 && id != CheckId::RecordFormat {
                    t.skipped += 1;
                    t.details
                        .push("the record could not be read to its end".into());
                }
            }
        }
        if let Some(why) = self.tally_unusable.take() {
            // Its shares, their combination and the result prove nothing about the ballots:
            // `skipped`, whatever they said about the rejected tally.
            for id in [
                CheckId::TallyShares,
                CheckId::TallyCombination,
                CheckId::TallyResult,
            ] {
                let t = self.tracker(id);
                *t = Tracker::default();
                t.skip(|| format!("{why}: not checked"));
            }
            for id in [CheckId::BallotsRevote, CheckId::TallyAggregate] {
                let t = self.tracker(id);
                if t.checked == 0 && t.skipped == 0 {
                    t.skip(|| format!("{why}: not checked"));
                }
            }
        }
        // No valid definition first: the election checks are not run (docs: skipped).
        if phase == Phase::Empty && self.tracker(CheckId::ElectionParameters).failed > 0 {
            let why = self
                .headless
                .clone()
                .unwrap_or_else(|| "the election definition is invalid".into());
            for id in CheckId::ALL
                .into_iter()
                .filter(|&id| id > CheckId::ElectionParameters)
            {
                let t = self.tracker(id);
                if t.failed == 0 && t.skipped == 0 {
                    t.skip(|| format!("{why}: not checked"));
                }
            }
        }
        let phase_name = phase.name();
        if phase == Phase::Empty {
            na(
                &mut self,
                CheckId::ElectionParameters,
                "the record has no election definition".into(),
            );
            na(
                &mut self,
                CheckId::ElectionLifecycle,
                "the record has no election definition".into(),
            );
        }
        if phase < Phase::KeyReady {
            na(
                &mut self,
                CheckId::CeremonyMessages,
                format!("the election is in phase {phase_name}"),
            );
            na(
                &mut self,
                CheckId::CeremonyOutcome,
                format!("the key ceremony is not complete (phase {phase_name})"),
            );
        }
        if phase < Phase::Tallying {
            for id in [
                CheckId::TallyAggregate,
                CheckId::BallotsRevote,
                CheckId::TallyShares,
                CheckId::TallyCombination,
                CheckId::TallyResult,
            ] {
                na(
                    &mut self,
                    id,
                    format!("no encrypted tally yet (phase {phase_name})"),
                );
            }
        }
        if phase < Phase::Decrypted {
            for id in [CheckId::TallyCombination, CheckId::TallyResult] {
                na(&mut self, id, format!("no result yet (phase {phase_name})"));
            }
        }
        // A check with nothing to check is `n/a` (docs/verification.md, Statuses), never a
        // vacuous pass.
        for id in CheckId::ALL {
            let why = match id {
                CheckId::BoardCheckpoints | CheckId::BoardBlocks | CheckId::BoardMerkle => {
                    "the record has no block"
                }
                CheckId::BoardWitnesses => "the record has no checkpoint and the quorum is 0",
                CheckId::CredentialsList => "the record has no credential list",
                CheckId::BallotsEligibility
                | CheckId::BallotsSignature
                | CheckId::BallotsProofs => "the record has no ballot",
                CheckId::Challenges => "the record has no challenged ballot",
                CheckId::BoothManifest => "voting has not opened and no booth manifest is posted",
                CheckId::MixInput
                | CheckId::MixShuffles
                | CheckId::MixMixers
                | CheckId::MixShares
                | CheckId::MixResult
                | CheckId::MixCounts => {
                    "nothing is mixed on the record (no contest counted by the mixnet, or not yet)"
                }
                CheckId::RankedCount => {
                    "no ranked contest is counted on the record (none in the manifest, or not yet)"
                }
                CheckId::WriteIns => {
                    "no write-in contest is counted on the record (none in the manifest, or not yet)"
                }
                _ => "the record has nothing this check covers",
            };
            na(&mut self, id, why.into());
        }
        if let Some((m, at)) = self.state.booth() {
            let note = format!(
                "entry {at}: booth manifest {} ({} files)",
                m.hash().to_hex(),
                m.files.len()
            );
            self.tracker(CheckId::BoothManifest).note(note);
        }
        let booth_manifest = self.state.booth().map(|(m, _)| m.hash().to_hex());
        let checks: Vec<CheckResult> = CheckId::ALL
            .into_iter()
            .map(|id| {
                self.trackers
                    .remove(&id)
                    .unwrap_or_default()
                    .into_result(id)
            })
            .collect();
        let passed = checks
            .iter()
            .all(|c| matches!(c.status, Status::Pass | Status::NotApplicable));
        Report {
            passed,
            origin: header.map(|h| h.origin.clone()),
            board_key: header.map(|h| h.board_key.to_string()),
            trust: report::Trust::default(),
            entries: self.entries,
            blocks: self.blocks,
            phase: header.map(|_| phase_name),
            counts: header.map(|_| self.state.counts()),
            election_hash: self.state.election().map(|e| e.hash().to_hex()),
            booth_manifest,
            election_name: self.state.manifest().map(|m| m.name.clone()),
            election_id: self.state.manifest().map(|m| m.id.clone()),
            contests: self
                .state
                .manifest()
                .map(|m| {
                    m.contests
                        .iter()
                        .map(|c| report::ContestLabels {
                            id: c.id.clone(),
                            title: c.title.clone(),
                            options: c.options.iter().map(|o| o.label.clone()).collect(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            result: if passed {
                self.state.result().cloned()
            } else {
                None
            },
            ranked: match (passed, self.state.ranked_counts()) {
                (true, Some((counts, _))) => counts
                    .iter()
                    .map(|c| report::RankedOutcome {
                        contest: c.contest.clone(),
                        transcript: c.transcript.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            write_ins: match (passed, self.state.write_in_counts()) {
                (true, Some(w)) => w
                    .iter()
                    .map(|(contest, c)| report::WriteInOutcome {
                        contest: contest.clone(),
                        ballots: c.ballots,
                        counts: c.counts.clone(),
                        names: c.names.clone(),
                        invalid: c.invalid,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            checks,
        }
    }
}

fn describe_result_difference(
    expected: &psephos_core::tally::TallyResult,
    got: &psephos_core::tally::TallyResult,
) -> String {
    for (e, g) in expected.contests.iter().zip(&got.contests) {
        if e != g {
            return format!(
                "contest {:?}: the shares decrypt to {:?} ({} ballots), the published result states {:?} ({} ballots)",
                e.contest, e.counts, e.ballots, g.counts, g.ballots
            );
        }
    }
    "the published result differs from the decryption of the tally".into()
}
