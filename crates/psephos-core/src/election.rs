//! The election manifest: contests, options, ballot styles, trustee parameters
//! (`docs/protocol.md`, §6), parsed from the TOML files in `election-config/`.
//!
//! Parsing happens in two steps. The TOML is read into a permissive *spec* (`ManifestSpec`,
//! unknown fields rejected), then validated into a [`Manifest`] whose invariants the rest of the
//! crate relies on: identifiers are unique and well formed, limits are possible, every style
//! lists existing contests. Each contest is reduced to one of two *rules*, which is all the
//! cryptography needs to know:
//!
//! - [`Rule::Selection`] (referendum, plurality, approval): every option is 0 or 1 and the number
//!   of selected options lies in `[min, max]`. Proved with disjunctive Chaum–Pedersen proofs.
//! - [`Rule::Bounded`] (score, cumulative, budget, ranked): position `i` takes a value in
//!   `[0, uᵢ]`, and optionally `Σ wᵢ·vᵢ ≤ L`. Proved with commitments, link proofs and one
//!   Bulletproof. A ranked contest is a bounded rule over its *rank positions*, not its options:
//!   position `r` holds the number of the candidate ranked `r`-th (`1 …` candidates, 0 = no
//!   preference), so its width is `max_ranks` ([`Contest::width`]).
//!
//! The manifest hash covers the canonical encoding of the validated manifest; the *election hash*
//! additionally binds the group parameters and the joint election key, and goes into every proof.

use crate::elgamal::ElectionKey;
use crate::encoding::{Canonical, Reader, Writer, MAX_SEQ, MAX_STRING};
use crate::error::{ConfigError, DecodeError};
use crate::generators::h;
use crate::group::Point;
use crate::hash::Digest;
use crate::transcript::labels;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Version of the manifest encoding.
pub const MANIFEST_VERSION: u8 = 1;
/// Most options in one contest.
pub const MAX_OPTIONS: usize = 64;
/// Most contests in one election.
pub const MAX_CONTESTS: usize = 256;
/// Most trustees.
pub const MAX_TRUSTEES: u32 = 64;
/// Largest score, per-option maximum or cumulative total.
pub const MAX_SCORE: u64 = 1_000_000;
/// Largest budget (and option cost): keeps every sum far below the group order.
pub const MAX_BUDGET: u64 = 1 << 40;

/// The contest kinds an official can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContestKind {
    /// A yes/no question (options default to `yes`, `no`).
    Referendum,
    /// Exactly one option (or none, if blank votes are allowed).
    Plurality,
    /// Between `min_selections` and `max_selections` options.
    Approval,
    /// Each option gets a score in `[0, max_score]`.
    Score,
    /// Up to `max_total` points spread over the options, at most `max_per_option` each.
    Cumulative,
    /// Options with costs; the selected options cost at most `budget` in total.
    Budget,
    /// The voter ranks up to `max_ranks` candidates (the options) in order of preference;
    /// counted by the mixnet under the contest's [`RankedMethod`].
    Ranked,
}

/// How a ranked contest is counted (`docs/protocol.md` §6.2, the counter in `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RankedMethod {
    /// Instant-runoff voting: one winner.
    Irv,
    /// Single transferable vote: `seats` winners.
    Stv,
    /// The Schulze method: a complete ranking of the candidates (a Condorcet method).
    Condorcet,
}

impl RankedMethod {
    fn tag(self) -> u8 {
        match self {
            RankedMethod::Irv => 1,
            RankedMethod::Stv => 2,
            RankedMethod::Condorcet => 3,
        }
    }
    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => RankedMethod::Irv,
            2 => RankedMethod::Stv,
            3 => RankedMethod::Condorcet,
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "ranked method",
                    tag,
                })
            }
        })
    }
}

/// The counting parameters of a ranked contest. `max_ranks` is the width of its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    pub method: RankedMethod,
    /// Seats to fill: 1 unless the method is STV.
    pub seats: u32,
}

impl ContestKind {
    fn tag(self) -> u8 {
        match self {
            ContestKind::Referendum => 1,
            ContestKind::Plurality => 2,
            ContestKind::Approval => 3,
            ContestKind::Score => 4,
            ContestKind::Cumulative => 5,
            ContestKind::Budget => 6,
            ContestKind::Ranked => 7,
        }
    }
    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => ContestKind::Referendum,
            2 => ContestKind::Plurality,
            3 => ContestKind::Approval,
            4 => ContestKind::Score,
            5 => ContestKind::Cumulative,
            6 => ContestKind::Budget,
            7 => ContestKind::Ranked,
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "contest kind",
                    tag,
                })
            }
        })
    }
}

/// What the cryptography enforces for a contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Each option 0 or 1; the number selected in `[min, max]`.
    Selection { min: u64, max: u64 },
    /// Option `i` in `[0, maxima[i]]`; if `limit` is set, `Σ weights[i]·vᵢ ≤ limit.total`.
    Bounded {
        maxima: Vec<u64>,
        limit: Option<LinearLimit>,
    },
}

/// `Σ weights[i]·vᵢ ≤ total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinearLimit {
    pub weights: Vec<u64>,
    pub total: u64,
}

/// One option of a contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContestOption {
    pub id: String,
    pub label: String,
    /// Cost of the option (budget contests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<u64>,
}

/// A validated contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contest {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: ContestKind,
    pub options: Vec<ContestOption>,
    pub rule: Rule,
    /// How the contest is counted: homomorphically (the default, not encoded) or by the mixnet.
    #[serde(default, skip_serializing_if = "Count::is_homomorphic")]
    pub count: Count,
    /// A ranked contest's method and seats (`None` for every other kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Ranking>,
    /// Write-in slots of a plurality or approval contest (`None`: no write-ins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_ins: Option<WriteIns>,
}

/// The write-in slots of a contest (`docs/protocol.md` §6.2): `slots` free-text names beside the
/// listed options, each at most `max_bytes` bytes of UTF-8 (after NFC normalisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteIns {
    pub slots: u32,
    pub max_bytes: u32,
}

/// Most write-in slots in one contest.
pub const MAX_WRITE_INS: u64 = 4;
/// Longest write-in name, in bytes of UTF-8 (21 text columns of 3 bytes).
pub const MAX_WRITE_IN_BYTES: u64 = 63;
/// The write-in name length when `write_in_max_bytes` is not given.
pub const DEFAULT_WRITE_IN_BYTES: u64 = 40;
/// Bytes of text one text column holds: a value in `[0, 2²⁴)`.
pub const WRITE_IN_COLUMN_BYTES: usize = 3;
/// The largest value of a text column, `2²⁴ − 1`.
pub const WRITE_IN_COLUMN_MAX: u64 = (1 << 24) - 1;

impl WriteIns {
    /// Text columns per slot: `⌈max_bytes / 3⌉`.
    pub fn text_columns(&self) -> usize {
        (self.max_bytes as usize).div_ceil(WRITE_IN_COLUMN_BYTES)
    }
    /// Columns per slot: the 0/1 "used" column and the text columns.
    pub fn slot_width(&self) -> usize {
        1 + self.text_columns()
    }
    /// Columns of all slots.
    pub fn width(&self) -> usize {
        self.slots as usize * self.slot_width()
    }
}

/// How a contest is counted (`docs/protocol.md` §6.1, §13.7).
///
/// `Homomorphic`: the ballots' ciphertexts are summed and only the sums are decrypted (§9).
/// `Mix`: every counted ballot's row of ciphertexts for the contest goes through the mixnet and
/// is decrypted whole, unlinkable to its voter (§13.7); the counts are derived from the rows.
/// The ballot and its proofs are the same either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Count {
    #[default]
    Homomorphic,
    Mix,
}

impl Count {
    pub fn is_homomorphic(&self) -> bool {
        *self == Count::Homomorphic
    }
}

/// The bit of the encoded contest kind byte that marks a mixed contest (§6.1): absent for a
/// homomorphic contest, so every manifest without a mixed contest encodes as before.
const KIND_MIXED_BIT: u8 = 0x80;
/// The bit of the encoded contest kind byte that marks a contest with write-ins, whose
/// parameters then follow the rule (§6.1); absent otherwise, so every manifest without
/// write-ins encodes as before.
const KIND_WRITE_INS_BIT: u8 = 0x40;

impl Contest {
    /// Whether the contest is counted by the mixnet.
    pub fn is_mixed(&self) -> bool {
        self.count == Count::Mix
    }

    /// The number of ciphertexts the contest has on a ballot (and the width of its mixed rows):
    /// one per option, or for a ranked contest one per rank position (`max_ranks`).
    pub fn width(&self) -> usize {
        match &self.rule {
            Rule::Selection { .. } => self.options.len(),
            Rule::Bounded { maxima, .. } => maxima.len(),
        }
    }

    /// Whether the contest is ranked.
    pub fn is_ranked(&self) -> bool {
        self.kind == ContestKind::Ranked
    }

    /// A name for ciphertext position `i` in messages: the option's id, `rank-{i+1}` in a
    /// ranked contest, `write-in-{s+1}` for a write-in slot's "used" column and
    /// `write-in-{s+1}.text-{j+1}` for its text columns.
    pub fn position_name(&self, i: usize) -> String {
        if self.is_ranked() {
            format!("rank-{}", i + 1)
        } else if let Some(w) = self.write_ins.filter(|_| i >= self.options.len()) {
            let k = i - self.options.len();
            let (slot, col) = (k / w.slot_width(), k % w.slot_width());
            if col == 0 {
                format!("write-in-{}", slot + 1)
            } else {
                format!("write-in-{}.text-{col}", slot + 1)
            }
        } else {
            self.options
                .get(i)
                .map_or_else(|| format!("#{i}"), |o| o.id.clone())
        }
    }

    /// Largest value position `i` can take on one ballot.
    pub fn option_max(&self, i: usize) -> u64 {
        match &self.rule {
            Rule::Selection { .. } => 1,
            Rule::Bounded { maxima, .. } => maxima.get(i).copied().unwrap_or(0),
        }
    }
}

/// A ballot style: the contests one group of voters gets, in ballot order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotStyle {
    pub id: String,
    /// Indices into [`Manifest::contests`].
    pub contests: Vec<usize>,
}

/// Trustee parameters: `threshold` of `count` trustees can decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrusteeParams {
    pub count: u32,
    pub threshold: u32,
}

/// A validated election manifest.
///
/// Every way of making one validates it: [`Manifest::from_toml`], the canonical decoder and
/// serde (through [`Manifest::validate`]), so code holding a `Manifest` may index its style and
/// contest lists without checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "UncheckedManifest")]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub description: String,
    pub trustees: TrusteeParams,
    /// Whether the credential list carries voter weights.
    pub weighted: bool,
    pub contests: Vec<Contest>,
    pub ballot_styles: Vec<BallotStyle>,
}

/// The serde form of a manifest before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedManifest {
    id: String,
    name: String,
    description: String,
    trustees: TrusteeParams,
    weighted: bool,
    contests: Vec<Contest>,
    ballot_styles: Vec<BallotStyle>,
}

impl TryFrom<UncheckedManifest> for Manifest {
    type Error = ConfigError;
    fn try_from(u: UncheckedManifest) -> Result<Self, ConfigError> {
        let m = Manifest {
            id: u.id,
            name: u.name,
            description: u.description,
            trustees: u.trustees,
            weighted: u.weighted,
            contests: u.contests,
            ballot_styles: u.ballot_styles,
        };
        m.validate()?;
        Ok(m)
    }
}

// ---------------------------------------------------------------------------------------------
// The TOML spec.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestSpec {
    election: ElectionSpec,
    trustees: TrusteeParams,
    #[serde(default)]
    contests: Vec<ContestSpec>,
    #[serde(default)]
    ballot_styles: Vec<StyleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElectionSpec {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    weighted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContestSpec {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    kind: ContestKind,
    #[serde(default)]
    options: Vec<ContestOption>,
    blank_allowed: Option<bool>,
    min_selections: Option<u64>,
    max_selections: Option<u64>,
    max_score: Option<u64>,
    max_per_option: Option<u64>,
    max_total: Option<u64>,
    budget: Option<u64>,
    count: Option<Count>,
    method: Option<RankedMethod>,
    seats: Option<u32>,
    max_ranks: Option<u64>,
    write_ins: Option<u64>,
    write_in_max_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    id: String,
    contests: Vec<String>,
}

/// A rule broken at `field`: the manifest's path in TOML terms (`trustees.threshold`,
/// `contests[2].max_score`, `contests[0].options[1].cost`, `ballot_styles[0].contests`), so a form
/// can show the message next to the field it concerns.
fn invalid(field: impl Into<String>, msg: String) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        message: msg,
    }
}

/// Identifiers: 1–64 characters of `[A-Za-z0-9._-]`.
fn check_id(field: &str, what: &str, id: &str) -> Result<(), ConfigError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{what} id {id:?} must be 1–64 characters of letters, digits, '.', '_' or '-'"),
        ))
    }
}

fn check_text(field: &str, what: &str, s: &str) -> Result<(), ConfigError> {
    if s.len() > 4096 {
        return Err(invalid(field, format!("{what} is longer than 4096 bytes")));
    }
    Ok(())
}

impl Manifest {
    /// Parses and validates a manifest from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let spec: ManifestSpec =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        Manifest::from_spec(spec)
    }

    fn from_spec(spec: ManifestSpec) -> Result<Self, ConfigError> {
        let e = spec.election;
        check_id("election.id", "election", &e.id)?;
        if e.name.trim().is_empty() {
            return Err(invalid("election.name", "election name is empty".into()));
        }
        check_text("election.name", "election name", &e.name)?;
        check_text(
            "election.description",
            "election description",
            &e.description,
        )?;
        let t = spec.trustees;
        if t.count == 0 || t.count > MAX_TRUSTEES {
            return Err(invalid(
                "trustees.count",
                format!(
                    "trustees.count is {}, it must be between 1 and {MAX_TRUSTEES}",
                    t.count
                ),
            ));
        }
        if t.threshold == 0 || t.threshold > t.count {
            return Err(invalid(
                "trustees.threshold",
                format!(
                    "trustees.threshold is {}, it must be between 1 and trustees.count ({})",
                    t.threshold, t.count
                ),
            ));
        }
        if spec.contests.is_empty() {
            return Err(invalid("contests", "the election has no contests".into()));
        }
        if spec.contests.len() > MAX_CONTESTS {
            return Err(invalid(
                "contests",
                format!("more than {MAX_CONTESTS} contests"),
            ));
        }
        let mut ids = BTreeSet::new();
        let mut contests = Vec::with_capacity(spec.contests.len());
        for (ci, c) in spec.contests.into_iter().enumerate() {
            check_id(&format!("contests[{ci}].id"), "contest", &c.id)?;
            if !ids.insert(c.id.clone()) {
                return Err(invalid(
                    format!("contests[{ci}].id"),
                    format!("duplicate contest id {:?}", c.id),
                ));
            }
            let contest = validate_contest(ci, c)?;
            if contest.is_mixed() && e.weighted {
                return Err(invalid(
                    format!("contests[{ci}].count"),
                    format!(
                        "contest {:?}: count = \"mix\" is not allowed in a weighted election (a \
                         decrypted row would have to show its voter's weight, which can single \
                         the voter out)",
                        contest.id
                    ),
                ));
            }
            contests.push(contest);
        }
        if spec.ballot_styles.is_empty() {
            return Err(invalid(
                "ballot_styles",
                "the election has no ballot styles".into(),
            ));
        }
        let mut style_ids = BTreeSet::new();
        let mut used = vec![false; contests.len()];
        let mut ballot_styles = Vec::with_capacity(spec.ballot_styles.len());
        for (si, s) in spec.ballot_styles.into_iter().enumerate() {
            let at = |f: &str| format!("ballot_styles[{si}].{f}");
            check_id(&at("id"), "ballot style", &s.id)?;
            if !style_ids.insert(s.id.clone()) {
                return Err(invalid(
                    at("id"),
                    format!("duplicate ballot style id {:?}", s.id),
                ));
            }
            if s.contests.is_empty() {
                return Err(invalid(
                    at("contests"),
                    format!("ballot style {:?} lists no contests", s.id),
                ));
            }
            let mut indices = Vec::with_capacity(s.contests.len());
            for cid in &s.contests {
                let i = contests
                    .iter()
                    .position(|c: &Contest| &c.id == cid)
                    .ok_or_else(|| {
                        invalid(
                            at("contests"),
                            format!("ballot style {:?} lists unknown contest {cid:?}", s.id),
                        )
                    })?;
                if indices.contains(&i) {
                    return Err(invalid(
                        at("contests"),
                        format!("ballot style {:?} lists contest {cid:?} twice", s.id),
                    ));
                }
                used[i] = true;
                indices.push(i);
            }
            ballot_styles.push(BallotStyle {
                id: s.id,
                contests: indices,
            });
        }
        if let Some(i) = used.iter().position(|u| !u) {
            return Err(invalid(
                format!("contests[{i}].id"),
                format!("contest {:?} is on no ballot style", contests[i].id),
            ));
        }
        Ok(Manifest {
            id: e.id,
            name: e.name,
            description: e.description,
            trustees: t,
            weighted: e.weighted,
            contests,
            ballot_styles,
        })
    }

    /// Checks that this manifest is exactly what the validator makes of its own TOML form, so a
    /// manifest that arrived as bytes or JSON obeys every rule of one written as TOML.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let again = Manifest::from_spec(self.to_spec())?;
        if &again == self {
            Ok(())
        } else {
            Err(invalid(
                "contests",
                "the manifest's contest rules do not follow from its contest kinds and parameters"
                    .into(),
            ))
        }
    }

    fn to_spec(&self) -> ManifestSpec {
        let contests = self
            .contests
            .iter()
            .map(|c| {
                let mut spec = ContestSpec {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    kind: c.kind,
                    options: c.options.clone(),
                    blank_allowed: None,
                    min_selections: None,
                    max_selections: None,
                    max_score: None,
                    max_per_option: None,
                    max_total: None,
                    budget: None,
                    count: (!c.count.is_homomorphic()).then_some(c.count),
                    method: None,
                    seats: None,
                    max_ranks: None,
                    write_ins: c.write_ins.map(|w| u64::from(w.slots)),
                    write_in_max_bytes: c.write_ins.map(|w| u64::from(w.max_bytes)),
                };
                match (&c.kind, &c.rule) {
                    (
                        ContestKind::Referendum | ContestKind::Plurality,
                        Rule::Selection { min, .. },
                    ) => {
                        spec.blank_allowed = Some(*min == 0);
                    }
                    (ContestKind::Approval, Rule::Selection { min, max }) => {
                        spec.min_selections = Some(*min);
                        spec.max_selections = Some(*max);
                    }
                    (ContestKind::Score, Rule::Bounded { maxima, .. }) => {
                        spec.max_score = maxima.first().copied();
                    }
                    (ContestKind::Cumulative, Rule::Bounded { maxima, limit }) => {
                        spec.max_per_option = maxima.first().copied();
                        spec.max_total = limit.as_ref().map(|l| l.total);
                    }
                    (ContestKind::Budget, Rule::Bounded { limit, .. }) => {
                        spec.budget = limit.as_ref().map(|l| l.total);
                    }
                    // A contest with write-ins: blank is always allowed (§6.2), the maximum is
                    // the limit's total.
                    (ContestKind::Plurality, Rule::Bounded { .. }) if c.write_ins.is_some() => {
                        spec.blank_allowed = Some(true);
                    }
                    (ContestKind::Approval, Rule::Bounded { limit, .. })
                        if c.write_ins.is_some() =>
                    {
                        spec.min_selections = Some(0);
                        spec.max_selections = limit.as_ref().map(|l| l.total);
                    }
                    (ContestKind::Ranked, Rule::Bounded { maxima, .. }) => {
                        spec.max_ranks = Some(maxima.len() as u64);
                        if let Some(r) = c.ranking {
                            spec.method = Some(r.method);
                            spec.seats = (r.method == RankedMethod::Stv).then_some(r.seats);
                        }
                    }
                    // A rule of the wrong shape: leave the parameters out, so validation fails
                    // or yields a different manifest.
                    _ => {}
                }
                spec
            })
            .collect();
        let ballot_styles = self
            .ballot_styles
            .iter()
            .map(|s| StyleSpec {
                id: s.id.clone(),
                contests: s
                    .contests
                    .iter()
                    .map(|&i| {
                        self.contests
                            .get(i)
                            .map_or_else(String::new, |c| c.id.clone())
                    })
                    .collect(),
            })
            .collect();
        ManifestSpec {
            election: ElectionSpec {
                id: self.id.clone(),
                name: self.name.clone(),
                description: self.description.clone(),
                weighted: self.weighted,
            },
            trustees: self.trustees,
            contests,
            ballot_styles,
        }
    }

    /// The ballot style called `id`.
    pub fn style(&self, id: &str) -> Option<&BallotStyle> {
        self.ballot_styles.iter().find(|s| s.id == id)
    }

    /// The contests counted homomorphically (every contest but the mixed ones), with their
    /// indices: the contests of the encrypted tally, in its order (§9.2).
    pub fn homomorphic_contests(&self) -> impl Iterator<Item = (usize, &Contest)> {
        self.contests
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_mixed())
    }

    /// The index of the contest called `id`.
    pub fn contest_index(&self, id: &str) -> Option<usize> {
        self.contests.iter().position(|c| c.id == id)
    }

    /// `SHA-256(label ‖ canonical manifest)`.
    pub fn hash(&self) -> Digest {
        Digest::of(labels::MANIFEST_HASH, &self.to_canonical_bytes())
    }
}

fn validate_contest(ci: usize, c: ContestSpec) -> Result<Contest, ConfigError> {
    let id = c.id.clone();
    let at = |f: &str| format!("contests[{ci}].{f}");
    let err_at = |f: &str, msg: &str| invalid(at(f), format!("contest {id:?}: {msg}"));
    let err = |msg: &str| err_at("options", msg);
    check_text(&at("title"), "contest title", &c.title)?;
    check_text(&at("description"), "contest description", &c.description)?;
    let mut options = c.options;
    if c.kind == ContestKind::Referendum && options.is_empty() {
        options = vec![
            ContestOption {
                id: "yes".into(),
                label: "Yes".into(),
                cost: None,
            },
            ContestOption {
                id: "no".into(),
                label: "No".into(),
                cost: None,
            },
        ];
    }
    let single_ok = matches!(
        c.kind,
        ContestKind::Budget | ContestKind::Score | ContestKind::Approval
    );
    if options.len() < 2 && !single_ok {
        return Err(err("needs at least two options"));
    }
    if options.is_empty() {
        return Err(err("has no options"));
    }
    if options.len() > MAX_OPTIONS {
        return Err(err(&format!("has more than {MAX_OPTIONS} options")));
    }
    let mut oids = BTreeSet::new();
    for (oi, o) in options.iter().enumerate() {
        let opt = |f: &str| format!("options[{oi}].{f}");
        check_id(&at(&opt("id")), "option", &o.id)
            .map_err(|e| err_at(&opt("id"), &e.to_string()))?;
        check_text(&at(&opt("label")), "option label", &o.label)?;
        if !oids.insert(o.id.clone()) {
            return Err(err_at(
                &opt("id"),
                &format!("duplicate option id {:?}", o.id),
            ));
        }
        if o.cost.is_some() && c.kind != ContestKind::Budget {
            return Err(err_at(
                &opt("cost"),
                &format!(
                    "option {:?} has a cost but the contest is not a budget",
                    o.id
                ),
            ));
        }
    }
    let n = options.len() as u64;
    // Which parameters each kind takes; anything else is a mistake worth reporting.
    let allowed: &[&str] = match c.kind {
        ContestKind::Referendum => &["blank_allowed"],
        ContestKind::Plurality => &["blank_allowed", "write_ins", "write_in_max_bytes"],
        ContestKind::Approval => &[
            "min_selections",
            "max_selections",
            "write_ins",
            "write_in_max_bytes",
        ],
        ContestKind::Score => &["max_score"],
        ContestKind::Cumulative => &["max_per_option", "max_total"],
        ContestKind::Budget => &["budget"],
        ContestKind::Ranked => &["method", "seats", "max_ranks"],
    };
    let given = [
        ("blank_allowed", c.blank_allowed.is_some()),
        ("min_selections", c.min_selections.is_some()),
        ("max_selections", c.max_selections.is_some()),
        ("max_score", c.max_score.is_some()),
        ("max_per_option", c.max_per_option.is_some()),
        ("max_total", c.max_total.is_some()),
        ("budget", c.budget.is_some()),
        ("method", c.method.is_some()),
        ("seats", c.seats.is_some()),
        ("max_ranks", c.max_ranks.is_some()),
        ("write_ins", c.write_ins.is_some()),
        ("write_in_max_bytes", c.write_in_max_bytes.is_some()),
    ];
    for (name, present) in given {
        if present && !allowed.contains(&name) {
            return Err(err_at(
                name,
                &format!("{name} does not apply to a {:?} contest", c.kind),
            ));
        }
    }
    let mut ranking = None;
    let rule = match c.kind {
        ContestKind::Referendum | ContestKind::Plurality => Rule::Selection {
            min: if c.blank_allowed.unwrap_or(false) {
                0
            } else {
                1
            },
            max: 1,
        },
        ContestKind::Approval => {
            let min = c.min_selections.unwrap_or(0);
            let max = c.max_selections.unwrap_or(n);
            if max == 0 {
                return Err(err_at(
                    "max_selections",
                    "max_selections must be at least 1",
                ));
            }
            // A write-in slot is selected like an option.
            let slots = c.write_ins.unwrap_or(0).min(MAX_WRITE_INS);
            if max > n + slots {
                return Err(err_at(
                    "max_selections",
                    &format!(
                        "max_selections ({max}) exceeds the number of options ({n}) and write-in \
                         slots ({slots})"
                    ),
                ));
            }
            if min > max {
                return Err(err_at(
                    "min_selections",
                    &format!("min_selections ({min}) exceeds max_selections ({max})"),
                ));
            }
            Rule::Selection { min, max }
        }
        ContestKind::Score => {
            let r = c
                .max_score
                .ok_or_else(|| err_at("max_score", "a score contest needs max_score"))?;
            if r == 0 || r > MAX_SCORE {
                return Err(err_at(
                    "max_score",
                    &format!("max_score must be between 1 and {MAX_SCORE}"),
                ));
            }
            Rule::Bounded {
                maxima: vec![r; options.len()],
                limit: None,
            }
        }
        ContestKind::Cumulative => {
            let r = c.max_per_option.ok_or_else(|| {
                err_at(
                    "max_per_option",
                    "a cumulative contest needs max_per_option",
                )
            })?;
            let p = c
                .max_total
                .ok_or_else(|| err_at("max_total", "a cumulative contest needs max_total"))?;
            if r == 0 || r > MAX_SCORE || p == 0 || p > MAX_SCORE {
                let f = if r == 0 || r > MAX_SCORE {
                    "max_per_option"
                } else {
                    "max_total"
                };
                return Err(err_at(
                    f,
                    &format!("max_per_option and max_total must be between 1 and {MAX_SCORE}"),
                ));
            }
            if r > p {
                return Err(err_at(
                    "max_per_option",
                    &format!(
                        "max_per_option ({r}) exceeds max_total ({p}): no ballot could use it"
                    ),
                ));
            }
            Rule::Bounded {
                maxima: vec![r; options.len()],
                limit: Some(LinearLimit {
                    weights: vec![1; options.len()],
                    total: p,
                }),
            }
        }
        ContestKind::Budget => {
            let b = c
                .budget
                .ok_or_else(|| err_at("budget", "a budget contest needs budget"))?;
            if b == 0 || b > MAX_BUDGET {
                return Err(err_at(
                    "budget",
                    &format!("budget must be between 1 and {MAX_BUDGET}"),
                ));
            }
            let mut weights = Vec::with_capacity(options.len());
            for (oi, o) in options.iter().enumerate() {
                let field = format!("options[{oi}].cost");
                let cost = o
                    .cost
                    .ok_or_else(|| err_at(&field, &format!("option {:?} has no cost", o.id)))?;
                if cost == 0 {
                    return Err(err_at(&field, &format!("option {:?} costs nothing", o.id)));
                }
                if cost > b {
                    return Err(err_at(
                        &field,
                        &format!(
                            "option {:?} costs {cost}, more than the whole budget {b}",
                            o.id
                        ),
                    ));
                }
                weights.push(cost);
            }
            Rule::Bounded {
                maxima: vec![1; options.len()],
                limit: Some(LinearLimit { weights, total: b }),
            }
        }
        ContestKind::Ranked => {
            let (rule, r) = ranked_rule(c.method, c.seats, c.max_ranks, n)
                .map_err(|(field, m)| err_at(field, &m))?;
            ranking = Some(r);
            rule
        }
    };
    let count = match (c.kind, c.count) {
        (ContestKind::Ranked, None | Some(Count::Mix)) => Count::Mix,
        (ContestKind::Ranked, Some(Count::Homomorphic)) => {
            return Err(err_at(
                "count",
                "a ranked contest is always counted by the mixnet (count = \"mix\"): its \
                 ballots cannot be added up",
            ))
        }
        (_, count) => count.unwrap_or_default(),
    };
    if count == Count::Mix && c.kind != ContestKind::Ranked {
        if !matches!(
            c.kind,
            ContestKind::Referendum | ContestKind::Plurality | ContestKind::Approval
        ) {
            return Err(err_at(
                "count",
                &format!(
                "count = \"mix\" applies to referendum, plurality and approval contests, not {:?}",
                c.kind
            ),
            ));
        }
        if options.len() > crate::mix::MAX_MIX_WIDTH {
            return Err(err(&format!(
                "a mixed contest has at most {} options",
                crate::mix::MAX_MIX_WIDTH
            )));
        }
    }
    let (rule, write_ins) = match c.write_ins {
        None => {
            if c.write_in_max_bytes.is_some() {
                return Err(err_at(
                    "write_in_max_bytes",
                    "write_in_max_bytes needs write_ins",
                ));
            }
            (rule, None)
        }
        Some(slots) => write_in_rule(rule, slots, c.write_in_max_bytes, count, n)
            .map_err(|(field, m)| err_at(field, &m))?,
    };
    Ok(Contest {
        id: c.id,
        title: c.title,
        description: c.description,
        kind: c.kind,
        options,
        rule,
        count,
        ranking,
        write_ins,
    })
}

/// The rule of a plurality or approval contest of `n` options with `slots` write-ins
/// (`docs/protocol.md` §6.2): a bounded rule over the options, then per slot its 0/1 "used"
/// column and its text columns in `[0, 2²⁴)`, with the options and the used columns together
/// selected at most `max` times. Blank must be allowed (`min = 0`): the proofs show a maximum,
/// not a minimum, and an unused or invalid write-in is settled after decryption.
fn write_in_rule(
    selection: Rule,
    slots: u64,
    max_bytes: Option<u64>,
    count: Count,
    n: u64,
) -> Result<(Rule, Option<WriteIns>), (&'static str, String)> {
    if slots == 0 || slots > MAX_WRITE_INS {
        return Err((
            "write_ins",
            format!("write_ins must be between 1 and {MAX_WRITE_INS}"),
        ));
    }
    let max_bytes = max_bytes.unwrap_or(DEFAULT_WRITE_IN_BYTES);
    if max_bytes == 0 || max_bytes > MAX_WRITE_IN_BYTES {
        return Err((
            "write_in_max_bytes",
            format!("write_in_max_bytes must be between 1 and {MAX_WRITE_IN_BYTES}"),
        ));
    }
    if count != Count::Mix {
        return Err((
            "count",
            "a contest with write-ins must be counted by the mixnet (count = \"mix\"): its \
             names are decrypted, not added up"
                .into(),
        ));
    }
    let Rule::Selection { min, max } = selection else {
        return Err((
            "write_ins",
            "write_ins applies to plurality and approval".into(),
        ));
    };
    if min != 0 {
        return Err((
            if n > 0 && max == 1 && min == 1 {
                "blank_allowed"
            } else {
                "min_selections"
            },
            "a contest with write-ins must allow a blank ballot (blank_allowed = true, or \
             min_selections = 0): its proofs bound the number of selections from above only"
                .into(),
        ));
    }
    let w = WriteIns {
        slots: slots as u32,
        max_bytes: max_bytes as u32,
    };
    let width = n as usize + w.width();
    if width > crate::mix::MAX_MIX_WIDTH {
        return Err((
            "write_in_max_bytes",
            format!(
                "the contest's width, {n} options + {slots} × (1 + ⌈{max_bytes}/3⌉) write-in \
                 columns = {width}, exceeds the widest mixed row ({})",
                crate::mix::MAX_MIX_WIDTH
            ),
        ));
    }
    let mut maxima = vec![1; n as usize];
    let mut weights = vec![1; n as usize];
    for _ in 0..slots {
        maxima.push(1);
        weights.push(1);
        maxima.extend(std::iter::repeat_n(WRITE_IN_COLUMN_MAX, w.text_columns()));
        weights.extend(std::iter::repeat_n(0, w.text_columns()));
    }
    Ok((
        Rule::Bounded {
            maxima,
            limit: Some(LinearLimit {
                weights,
                total: max,
            }),
        },
        Some(w),
    ))
}

/// The rule and counting parameters of a ranked contest of `n` candidates: `max_ranks`
/// positions (default `n`, at most `n`), each in `[0, n]`.
fn ranked_rule(
    method: Option<RankedMethod>,
    seats: Option<u32>,
    max_ranks: Option<u64>,
    n: u64,
) -> Result<(Rule, Ranking), (&'static str, String)> {
    let method = method.ok_or((
        "method",
        "a ranked contest needs method = \"irv\", \"stv\" or \"condorcet\"".to_owned(),
    ))?;
    let max_ranks = max_ranks.unwrap_or(n);
    if max_ranks == 0 || max_ranks > n {
        return Err((
            "max_ranks",
            format!("max_ranks ({max_ranks}) must be between 1 and the number of candidates ({n})"),
        ));
    }
    if max_ranks as usize > crate::mix::MAX_MIX_WIDTH {
        return Err((
            "max_ranks",
            format!(
                "max_ranks ({max_ranks}) exceeds the widest mixed row ({})",
                crate::mix::MAX_MIX_WIDTH
            ),
        ));
    }
    let seats = match (method, seats) {
        (RankedMethod::Stv, seats) => {
            let seats = seats.unwrap_or(1);
            if seats == 0 || u64::from(seats) >= n {
                return Err((
                    "seats",
                    format!(
                        "seats ({seats}) must be at least 1 and fewer than the candidates ({n})"
                    ),
                ));
            }
            seats
        }
        (_, Some(_)) => return Err(("seats", "seats applies to method = \"stv\" only".into())),
        (_, None) => 1,
    };
    Ok((
        Rule::Bounded {
            maxima: vec![n; max_ranks as usize],
            limit: None,
        },
        Ranking { method, seats },
    ))
}

// ---------------------------------------------------------------------------------------------
// Canonical encoding.

impl Canonical for ContestOption {
    const MIN_ENCODED_LEN: usize = 9;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.id).str(&self.label);
        w.option(&self.cost);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ContestOption {
            id: r.str(MAX_STRING)?,
            label: r.str(MAX_STRING)?,
            cost: r.option()?,
        })
    }
}

impl Canonical for Contest {
    const MIN_ENCODED_LEN: usize = 14;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.id)
            .str(&self.title)
            .str(&self.description)
            .u8(self.kind.tag()
                | if self.is_mixed() { KIND_MIXED_BIT } else { 0 }
                | if self.write_ins.is_some() {
                    KIND_WRITE_INS_BIT
                } else {
                    0
                })
            .seq(&self.options);
        match &self.rule {
            Rule::Selection { min, max } => {
                w.u8(1).u64(*min).u64(*max);
            }
            Rule::Bounded { maxima, limit } => {
                w.u8(2).seq(maxima);
                match limit {
                    None => w.u8(0),
                    Some(l) => w.u8(1).seq(&l.weights).u64(l.total),
                };
            }
        }
        // Only a contest with write-ins carries their parameters.
        if let Some(wi) = self.write_ins {
            w.u32(wi.slots).u32(wi.max_bytes);
        }
        // Only a ranked contest carries its counting parameters, so every other contest
        // encodes exactly as before ranked contests existed.
        if self.kind == ContestKind::Ranked {
            let r = self.ranking.unwrap_or(Ranking {
                method: RankedMethod::Irv,
                seats: 1,
            });
            w.u8(r.method.tag()).u32(r.seats);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = r.str(MAX_STRING)?;
        let title = r.str(MAX_STRING)?;
        let description = r.str(MAX_STRING)?;
        let kind_byte = r.u8()?;
        let kind = ContestKind::from_tag(kind_byte & !(KIND_MIXED_BIT | KIND_WRITE_INS_BIT))?;
        let count = if kind_byte & KIND_MIXED_BIT != 0 {
            Count::Mix
        } else {
            Count::Homomorphic
        };
        let options = r.seq(MAX_OPTIONS)?;
        let rule = match r.u8()? {
            1 => Rule::Selection {
                min: r.u64()?,
                max: r.u64()?,
            },
            2 => {
                let maxima = r.seq(MAX_OPTIONS)?;
                let limit = match r.u8()? {
                    0 => None,
                    1 => Some(LinearLimit {
                        weights: r.seq(MAX_OPTIONS)?,
                        total: r.u64()?,
                    }),
                    tag => return Err(DecodeError::UnknownTag { what: "limit", tag }),
                };
                Rule::Bounded { maxima, limit }
            }
            tag => return Err(DecodeError::UnknownTag { what: "rule", tag }),
        };
        let write_ins = if kind_byte & KIND_WRITE_INS_BIT != 0 {
            Some(WriteIns {
                slots: r.u32()?,
                max_bytes: r.u32()?,
            })
        } else {
            None
        };
        let ranking = if kind == ContestKind::Ranked {
            Some(Ranking {
                method: RankedMethod::from_tag(r.u8()?)?,
                seats: r.u32()?,
            })
        } else {
            None
        };
        Ok(Contest {
            id,
            title,
            description,
            kind,
            options,
            rule,
            count,
            ranking,
            write_ins,
        })
    }
}

impl Canonical for BallotStyle {
    const MIN_ENCODED_LEN: usize = 8;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.id).len(self.contests.len());
        for &c in &self.contests {
            w.len(c);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = r.str(MAX_STRING)?;
        let n = r.len(MAX_CONTESTS, 4)?;
        let mut contests = Vec::with_capacity(n);
        for _ in 0..n {
            contests.push(r.u32()? as usize);
        }
        Ok(BallotStyle { id, contests })
    }
}

impl Canonical for Manifest {
    const MIN_ENCODED_LEN: usize = 30;
    fn encode(&self, w: &mut Writer) {
        w.u8(MANIFEST_VERSION)
            .str(&self.id)
            .str(&self.name)
            .str(&self.description)
            .u32(self.trustees.count)
            .u32(self.trustees.threshold)
            .u8(u8::from(self.weighted))
            .seq(&self.contests)
            .seq(&self.ballot_styles);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8()?;
        if version != MANIFEST_VERSION {
            return Err(DecodeError::UnknownTag {
                what: "manifest version",
                tag: version,
            });
        }
        let m = Manifest {
            id: r.str(MAX_STRING)?,
            name: r.str(MAX_STRING)?,
            description: r.str(MAX_STRING)?,
            trustees: TrusteeParams {
                count: r.u32()?,
                threshold: r.u32()?,
            },
            weighted: match r.u8()? {
                0 => false,
                1 => true,
                tag => return Err(DecodeError::UnknownTag { what: "bool", tag }),
            },
            contests: r.seq(MAX_CONTESTS)?,
            ballot_styles: r.seq(MAX_SEQ)?,
        };
        m.validate().map_err(|e| DecodeError::Invalid {
            what: "manifest",
            detail: e.to_string(),
        })?;
        Ok(m)
    }
}

// ---------------------------------------------------------------------------------------------
// The election: manifest + joint key, and the election hash.

/// Everything needed to encrypt, prove and verify ballots of one election.
#[derive(Debug, Clone)]
pub struct Election {
    manifest: Manifest,
    manifest_hash: Digest,
    key: ElectionKey,
    hash: Digest,
}

/// The group name bound into the election hash.
pub const GROUP_NAME: &str = "ristretto255";

impl Election {
    /// Binds a manifest to the joint election key `K` produced by the key ceremony.
    pub fn new(manifest: Manifest, key: Point) -> Result<Self, DecodeError> {
        let key = ElectionKey::new(key)?;
        let manifest_hash = manifest.hash();
        let hash = election_hash(&manifest_hash, key.point());
        Ok(Election {
            manifest,
            manifest_hash,
            key,
            hash,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    pub fn manifest_hash(&self) -> &Digest {
        &self.manifest_hash
    }
    /// The election (base) hash absorbed into every proof.
    pub fn hash(&self) -> &Digest {
        &self.hash
    }
    pub fn key(&self) -> &ElectionKey {
        &self.key
    }
}

/// `SHA-256(label ‖ manifest hash ‖ str "ristretto255" ‖ G ‖ H ‖ K)`.
pub fn election_hash(manifest_hash: &Digest, key: &Point) -> Digest {
    let mut w = Writer::new();
    w.digest(manifest_hash)
        .str(GROUP_NAME)
        .point(&Point::from_point(crate::generators::g()))
        .point(&Point::from_point(h()))
        .point(key);
    Digest::of(labels::ELECTION_HASH, &w.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[election]
id = "t"
name = "Test"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "q"
title = "Question"
kind = "referendum"
[[ballot_styles]]
id = "all"
contests = ["q"]
"#;

    #[test]
    fn referendum_defaults_and_round_trip() {
        let m = Manifest::from_toml(SMALL).unwrap();
        assert_eq!(m.contests[0].options.len(), 2);
        assert_eq!(m.contests[0].rule, Rule::Selection { min: 1, max: 1 });
        let bytes = m.to_canonical_bytes();
        assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    }

    #[test]
    fn decoded_manifests_are_validated() {
        let m = Manifest::from_toml(SMALL).unwrap();
        // A style pointing past the contest list.
        let mut bad = m.clone();
        bad.ballot_styles[0].contests = vec![7];
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_err());
        // A referendum claiming a bounded rule.
        let mut bad = m.clone();
        bad.contests[0].rule = Rule::Bounded {
            maxima: vec![9, 9],
            limit: None,
        };
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_err());
        let json = serde_json::to_string(&bad).unwrap();
        assert!(serde_json::from_str::<Manifest>(&json).is_err());
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    }

    fn err_of(toml: &str) -> String {
        Manifest::from_toml(toml).unwrap_err().to_string()
    }

    fn field_of(toml: &str) -> String {
        Manifest::from_toml(toml)
            .unwrap_err()
            .field()
            .unwrap_or("(syntax)")
            .to_owned()
    }

    /// Each broken rule names the field it concerns, in TOML terms, for the console's form.
    #[test]
    fn invalid_manifests_name_their_field() {
        assert_eq!(
            field_of(&SMALL.replace("threshold = 2", "threshold = 4")),
            "trustees.threshold"
        );
        assert_eq!(
            field_of(&SMALL.replace("count = 3", "count = 0")),
            "trustees.count"
        );
        assert_eq!(
            field_of(&SMALL.replace("id = \"t\"", "id = \"t t\"")),
            "election.id"
        );
        assert_eq!(
            field_of(&SMALL.replace("contests = [\"q\"]", "contests = [\"x\"]")),
            "ballot_styles[0].contests"
        );
        assert_eq!(
            field_of(&SMALL.replace("id = \"all\"", "id = \"a b\"")),
            "ballot_styles[0].id"
        );
        let score = SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"score\"\nmax_score = 0\noptions = [{id = \"a\", label = \"A\"}]",
        );
        assert_eq!(field_of(&score), "contests[0].max_score");
        let budget = SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"budget\"\nbudget = 10\noptions = [{id = \"a\", label = \"A\", cost = 3}, {id = \"b\", label = \"B\", cost = 11}]",
        );
        assert_eq!(field_of(&budget), "contests[0].options[1].cost");
        let approval = SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"approval\"\nmax_selections = 3\noptions = [{id = \"a\", label = \"A\"}, {id = \"a\", label = \"B\"}]",
        );
        assert_eq!(field_of(&approval), "contests[0].options[1].id");
        assert_eq!(field_of("not toml ["), "(syntax)");
    }

    const RANKED: &str = r#"
[election]
id = "r"
name = "Ranked"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "mayor"
title = "Mayor"
kind = "ranked"
method = "irv"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]
[[contests]]
id = "council"
title = "Council"
kind = "ranked"
method = "stv"
seats = 2
max_ranks = 2
options = [{ id = "x", label = "X" }, { id = "y", label = "Y" }, { id = "z", label = "Z" }]
[[ballot_styles]]
id = "all"
contests = ["mayor", "council"]
"#;

    #[test]
    fn ranked_contests_are_bounded_rules_over_rank_positions() {
        let m = Manifest::from_toml(RANKED).unwrap();
        let mayor = &m.contests[0];
        assert_eq!(mayor.kind, ContestKind::Ranked);
        assert_eq!(mayor.count, Count::Mix, "a ranked contest is always mixed");
        assert_eq!(
            mayor.rule,
            Rule::Bounded {
                maxima: vec![3, 3, 3],
                limit: None
            }
        );
        assert_eq!(
            mayor.ranking,
            Some(Ranking {
                method: RankedMethod::Irv,
                seats: 1
            })
        );
        let council = &m.contests[1];
        assert_eq!(council.width(), 2);
        assert_eq!(council.position_name(1), "rank-2");
        assert_eq!(
            council.ranking,
            Some(Ranking {
                method: RankedMethod::Stv,
                seats: 2
            })
        );
        let bytes = m.to_canonical_bytes();
        assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
        // The method and seats are covered by the encoding (and so by the manifest hash).
        let mut other = m.clone();
        other.contests[1].ranking = Some(Ranking {
            method: RankedMethod::Stv,
            seats: 1,
        });
        assert_ne!(other.hash(), m.hash());
        let mut other = m.clone();
        other.contests[0].ranking = Some(Ranking {
            method: RankedMethod::Condorcet,
            seats: 1,
        });
        assert_ne!(other.hash(), m.hash());
        Manifest::from_canonical_bytes(&other.to_canonical_bytes()).unwrap();
        // A ranked contest without its parameters, or with a rule that does not follow from
        // them, is refused however it arrives.
        let mut bad = m.clone();
        bad.contests[0].ranking = None;
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_ok_and(|d| d != bad));
        assert!(serde_json::from_str::<Manifest>(&serde_json::to_string(&bad).unwrap()).is_err());
        let mut bad = m.clone();
        bad.contests[0].rule = Rule::Bounded {
            maxima: vec![4, 4, 4],
            limit: None,
        };
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_err());
        let mut bad = m.clone();
        bad.contests[0].ranking = Some(Ranking {
            method: RankedMethod::Irv,
            seats: 2,
        });
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_err());
        let mut bad = m.clone();
        bad.contests[0].count = Count::Homomorphic;
        assert!(Manifest::from_canonical_bytes(&bad.to_canonical_bytes()).is_err());
        // An unknown method byte.
        let mut bytes = m.to_canonical_bytes();
        // The second contest's method byte, before its seats (u32) and the ballot styles (one
        // style "all" of two contests: u32 count, str, u32 count, two u32).
        let at = bytes.len() - (4 + 7 + 4 + 8) - 4 - 1;
        assert_eq!(bytes[at], 2, "the STV method byte");
        bytes[at] = 9;
        assert!(Manifest::from_canonical_bytes(&bytes).is_err());
    }

    #[test]
    fn ranked_contests_get_clear_errors() {
        let e = |from: &str, to: &str| err_of(&RANKED.replacen(from, to, 1));
        assert!(e("method = \"irv\"\n", "").contains("needs method"));
        assert!(e("method = \"irv\"", "method = \"borda\"").contains("TOML"));
        assert!(e("max_ranks = 2", "max_ranks = 4").contains("max_ranks (4)"));
        assert!(e("max_ranks = 2", "max_ranks = 0").contains("max_ranks (0)"));
        assert!(e("seats = 2", "seats = 3").contains("fewer than the candidates"));
        assert!(e("seats = 2", "seats = 0").contains("at least 1"));
        assert_eq!(
            field_of(&RANKED.replacen("seats = 2", "seats = 0", 1)),
            "contests[1].seats"
        );
        assert_eq!(
            field_of(&RANKED.replacen("max_ranks = 2", "max_ranks = 4", 1)),
            "contests[1].max_ranks"
        );
        assert_eq!(
            field_of(&RANKED.replacen("method = \"irv\"\n", "", 1)),
            "contests[0].method"
        );
        let s = e("method = \"irv\"", "method = \"irv\"\nseats = 2");
        assert!(s.contains("applies to method = \"stv\" only"), "{s}");
        assert!(e(
            "method = \"irv\"",
            "method = \"irv\"\ncount = \"homomorphic\""
        )
        .contains("always counted by the mixnet"));
        assert!(e("method = \"irv\"", "method = \"irv\"\nmax_score = 3").contains("does not apply"));
        assert!(e(
            "options = [{ id = \"a\", label = \"A\" }, { id = \"b\", label = \"B\" }, { id = \"c\", label = \"C\" }]",
            "options = [{ id = \"a\", label = \"A\" }]"
        )
        .contains("at least two options"));
        assert!(e("name = \"Ranked\"", "name = \"Ranked\"\nweighted = true")
            .contains("not allowed in a weighted election"));
        // Ranked parameters on another kind.
        assert!(err_of(&SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"referendum\"\nmax_ranks = 2"
        ))
        .contains("does not apply"));
    }

    #[test]
    fn invalid_manifests_get_clear_errors() {
        assert!(err_of(&SMALL.replace("threshold = 2", "threshold = 4")).contains("threshold"));
        assert!(
            err_of(&SMALL.replace("contests = [\"q\"]", "contests = []"))
                .contains("lists no contests")
        );
        assert!(
            err_of(&SMALL.replace("contests = [\"q\"]", "contests = [\"x\"]"))
                .contains("unknown contest")
        );
        assert!(
            err_of(&SMALL.replace("contests = [\"q\"]", "contests = [\"q\", \"q\"]"))
                .contains("twice")
        );
        assert!(err_of(&SMALL.replace("id = \"q\"", "id = \"q r\"")).contains("must be 1–64"));
        assert!(err_of(&SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"referendum\"\nmax_score = 3"
        ))
        .contains("does not apply"));
        assert!(
            err_of(&SMALL.replace("kind = \"referendum\"", "kind = \"score\""))
                .contains("has no options")
        );
        assert!(err_of(&SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"score\"\noptions = [{ id = \"a\", label = \"A\" }]"
        ))
        .contains("needs max_score"));
        assert!(err_of(&SMALL.replace("kind = \"referendum\"", "kind = \"approval\"\nmax_selections = 3\noptions = [{ id = \"a\", label = \"A\" }, { id = \"b\", label = \"B\" }]")).contains("exceeds the number of options"));
        assert!(err_of(&SMALL.replace("kind = \"referendum\"", "kind = \"cumulative\"\nmax_per_option = 3\nmax_total = 2\noptions = [{ id = \"a\", label = \"A\" }, { id = \"b\", label = \"B\" }]")).contains("exceeds max_total"));
        assert!(err_of(&SMALL.replace(
            "kind = \"referendum\"",
            "kind = \"budget\"\nbudget = 10\noptions = [{ id = \"a\", label = \"A\", cost = 11 }]"
        ))
        .contains("more than the whole budget"));
        assert!(
            err_of(&SMALL.replace("kind = \"referendum\"", "kind = \"dictatorship\""))
                .contains("TOML")
        );
        assert!(err_of(&format!(
            "{SMALL}\n[[contests]]\nid = \"q\"\ntitle = \"Again\"\nkind = \"referendum\"\n"
        ))
        .contains("duplicate contest id"));
        assert!(err_of(&format!(
            "{SMALL}\n[[contests]]\nid = \"z\"\ntitle = \"Orphan\"\nkind = \"referendum\"\n"
        ))
        .contains("on no ballot style"));
    }
}
