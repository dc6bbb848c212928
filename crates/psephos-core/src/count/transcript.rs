//! The count's transcript (§13.10.6): every round's tallies, transfers and decisions, the
//! result, and for Schulze the two matrices. The verifier recomputes it and compares
//! [`CountTranscript::canonical_bytes`]; the JSON form (serde) is for people and pages.

use super::Method;
use crate::encoding::Writer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A number of votes, exact to five decimal places: an integer count of 10⁻⁵ votes. STV's
/// transfer values are truncated to five places by the rules (§13.10.4), so every value of a count
/// is such a decimal and no rational with another denominator ever arises.
///
/// Shown (JSON, `Display`) as the shortest exact decimal: `"12"`, `"0.5"`, `"3.33333"`; parsing
/// accepts only that spelling.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Votes(pub u64);

impl Votes {
    /// Units per whole vote.
    pub const SCALE: u64 = 100_000;

    /// `n` whole votes.
    pub fn whole(n: u64) -> Self {
        Votes(n.saturating_mul(Self::SCALE))
    }
}

impl fmt::Display for Votes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.0 / Self::SCALE, self.0 % Self::SCALE);
        if frac == 0 {
            return write!(f, "{int}");
        }
        let digits = format!("{frac:05}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Votes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Votes({self})")
    }
}

/// A vote figure that is not the canonical decimal spelling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a canonical vote figure (digits, at most five decimals, no trailing zeros): {0:?}")]
pub struct VotesParseError(pub String);

impl FromStr for Votes {
    type Err = VotesParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || VotesParseError(s.to_owned());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
            return Err(bad());
        }
        let whole: u64 = int.parse().map_err(|_| bad())?;
        let mut units = 0u64;
        if let Some(f) = frac {
            if !digits(f) || f.len() > 5 || f.ends_with('0') {
                return Err(bad());
            }
            let padded = format!("{f:0<5}");
            units = padded.parse().map_err(|_| bad())?;
        }
        whole
            .checked_mul(Votes::SCALE)
            .and_then(|w| w.checked_add(units))
            .map(Votes)
            .ok_or_else(bad)
    }
}

impl Serialize for Votes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Votes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How a tie was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// There was no tie.
    None,
    /// The tallies of this earlier round (1-based) decided.
    Round(u32),
    /// Equal at every earlier round: the seed order decided.
    Seed,
}

/// Why a candidate was elected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// IRV: more than half of the votes of the continuing candidates.
    Majority,
    /// IRV: the only continuing candidate left.
    LastContinuing,
    /// STV: votes at least the quota.
    Quota,
    /// STV: as many continuing candidates as seats left; all are elected.
    LastVacancies,
    /// STV, one seat left: at least as many votes as all the other continuing candidates
    /// together with the surpluses not yet transferred.
    Unassailable,
}

/// A candidate elected at the end of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub candidate: u32,
    pub reason: Reason,
    /// How this candidate's place in the order of election was decided among equal tallies.
    pub tie: TieBreak,
}

/// What a round does before its tallies are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Round 1: every ballot credited to its first preference at one vote.
    FirstPreferences,
    /// STV: the surplus of an elected candidate is transferred (largest surplus first).
    Surplus {
        candidate: u32,
        surplus: Votes,
        tie: TieBreak,
    },
    /// The continuing candidate with the fewest votes is excluded and its ballots transferred at
    /// their current value.
    Exclusion { candidate: u32, tie: TieBreak },
}

/// Ballots moved in a round, grouped by destination and transfer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub from: u32,
    /// The continuing candidate credited, or `None`: no further preference (non-transferable).
    pub to: Option<u32>,
    /// Number of ballots.
    pub ballots: u64,
    /// The value of each of these ballots after the transfer.
    pub value: Votes,
    /// `ballots × value`.
    pub votes: Votes,
}

/// One round (a "stage" in the Scottish rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Round {
    pub action: Action,
    pub transfers: Vec<Transfer>,
    /// STV: the part of the surplus lost by truncating transfer values to five decimals.
    pub lost_to_truncation: Votes,
    /// Every candidate's votes at the end of the round (excluded: 0; elected after their surplus
    /// is transferred: the quota).
    pub tallies: Vec<Votes>,
    /// All votes not credited to any candidate so far: exhausted ballots and truncation losses.
    pub non_transferable: Votes,
    /// Candidates elected at the end of this round, in order of election.
    pub elected: Vec<Decision>,
}

/// Schulze's matrices (§13.10.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchulzeRecord {
    /// `d[i][j]`: ballots ranking `i` above `j`.
    pub d: Vec<Vec<u64>>,
    /// `p[i][j]`: strength of the strongest path from `i` to `j` (winning votes).
    pub p: Vec<Vec<u64>>,
    /// `tied[k]`: the `k`-th place of the ranking was decided by the seed order among
    /// candidates beaten by no one left.
    pub tied: Vec<bool>,
}

/// The full record of a count, recomputed and compared by the verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountTranscript {
    pub method: Method,
    pub candidates: u32,
    /// Ballots counted, blank ones included.
    pub ballots: u64,
    /// Blank ballots (no valid first preference): cast, never credited.
    pub blank: u64,
    /// The seed order of the candidates (§13.10.2), earliest favoured.
    pub seed_order: Vec<u32>,
    /// STV: the Droop quota.
    pub quota: Option<Votes>,
    /// IRV and STV: the rounds, round 1 first. Schulze: none.
    pub rounds: Vec<Round>,
    /// IRV: the winner; STV: the elected candidates in order of election; Schulze: every
    /// candidate, first place first.
    pub elected: Vec<u32>,
    /// Schulze only.
    pub schulze: Option<SchulzeRecord>,
}

impl CountTranscript {
    /// The canonical bytes (§2.2 rules; layout in §13.10.6), for hashing and comparison.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self.method {
            Method::Irv => w.u8(0),
            Method::Stv { seats } => w.u8(1).u32(seats),
            Method::Schulze => w.u8(2),
        };
        w.u32(self.candidates).u64(self.ballots).u64(self.blank);
        u32s(&mut w, &self.seed_order);
        match self.quota {
            None => w.u8(0),
            Some(q) => w.u8(1).u64(q.0),
        };
        w.len(self.rounds.len());
        for r in &self.rounds {
            encode_round(&mut w, r);
        }
        u32s(&mut w, &self.elected);
        match &self.schulze {
            None => {
                w.u8(0);
            }
            Some(s) => {
                w.u8(1);
                for m in [&s.d, &s.p] {
                    w.len(m.len());
                    for row in m {
                        w.len(row.len());
                        for &x in row {
                            w.u64(x);
                        }
                    }
                }
                w.len(s.tied.len());
                for &t in &s.tied {
                    w.u8(u8::from(t));
                }
            }
        }
        w.into_bytes()
    }
}

fn u32s(w: &mut Writer, xs: &[u32]) {
    w.len(xs.len());
    for &x in xs {
        w.u32(x);
    }
}

fn tie(w: &mut Writer, t: TieBreak) {
    match t {
        TieBreak::None => w.u8(0),
        TieBreak::Round(r) => w.u8(1).u32(r),
        TieBreak::Seed => w.u8(2),
    };
}

fn encode_round(w: &mut Writer, r: &Round) {
    match r.action {
        Action::FirstPreferences => {
            w.u8(0);
        }
        Action::Surplus {
            candidate,
            surplus,
            tie: t,
        } => {
            w.u8(1).u32(candidate).u64(surplus.0);
            tie(w, t);
        }
        Action::Exclusion { candidate, tie: t } => {
            w.u8(2).u32(candidate);
            tie(w, t);
        }
    }
    w.len(r.transfers.len());
    for t in &r.transfers {
        w.u32(t.from);
        match t.to {
            None => w.u8(0),
            Some(c) => w.u8(1).u32(c),
        };
        w.u64(t.ballots).u64(t.value.0).u64(t.votes.0);
    }
    w.u64(r.lost_to_truncation.0);
    w.len(r.tallies.len());
    for v in &r.tallies {
        w.u64(v.0);
    }
    w.u64(r.non_transferable.0);
    w.len(r.elected.len());
    for d in &r.elected {
        let reason = match d.reason {
            Reason::Majority => 0,
            Reason::LastContinuing => 1,
            Reason::Quota => 2,
            Reason::LastVacancies => 3,
            Reason::Unassailable => 4,
        };
        w.u32(d.candidate).u8(reason);
        tie(w, d.tie);
    }
}
