//! Counting ranked contests (`docs/protocol.md` §13.10): the exact counter that turns the
//! decrypted rows of a mixed ranked contest into a result and a round-by-round transcript.
//!
//! Why it is here, in the core: the server counts with it, and so does the verifier, which
//! recomputes the transcript from the same decrypted rows and compares the canonical bytes. Both
//! must agree to the byte, on every platform (the browser included), so the counter does no I/O,
//! uses no floating point and breaks ties only from a seed the caller passes (the election hash):
//! never from a clock, a random number generator or the order of a hash map.
//!
//! Three methods, one file each:
//! - [`irv`]: instant-runoff voting, one winner by a majority of the continuing votes;
//! - [`stv`]: the single transferable vote under the rules of the Scottish Local Government
//!   Elections Order 2007 (Droop quota, weighted inclusive Gregory transfers truncated to five
//!   decimal places, which is why every vote value here is an exact decimal: [`Votes`]);
//! - [`schulze`]: the Schulze method, winning votes, a full ranking.
//!
//! A ballot reaches the counter as [`Preferences`], the candidates in the voter's order;
//! [`preferences_from_ranks`] is the rule that reads them from one decrypted row.

mod irv;
mod papers;
mod schulze;
mod stv;
mod ties;
mod transcript;

pub use ties::seed_order;
pub use transcript::{
    Action, CountTranscript, Decision, Reason, Round, SchulzeRecord, TieBreak, Transfer, Votes,
};

use crate::election::MAX_OPTIONS;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A counting method of a ranked contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Instant-runoff voting: one winner.
    Irv,
    /// Single transferable vote (Scottish rules) for `seats` seats.
    Stv { seats: u32 },
    /// The Schulze method (winning votes): a full ranking of the candidates.
    Schulze,
}

/// One ballot's preferences: candidate indices (0-based), most preferred first, no repeats.
/// Empty is a blank ballot: counted as cast, never credited to anyone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Preferences(pub Vec<u32>);

/// Why a count could not be made. The input is the caller's (decrypted rows turned into
/// [`Preferences`]), so each names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CountError {
    #[error("a ranked contest needs at least one candidate")]
    NoCandidates,
    #[error("{candidates} candidates exceed the limit of {max}")]
    TooManyCandidates { candidates: u32, max: usize },
    #[error("{seats} seats cannot be filled from {candidates} candidates (1 to {candidates})")]
    Seats { seats: u32, candidates: u32 },
    #[error("ballot {ballot} names candidate {candidate}, but there are only {candidates}")]
    PreferenceOutOfRange {
        ballot: usize,
        candidate: u32,
        candidates: u32,
    },
    #[error("ballot {ballot} names candidate {candidate} twice")]
    RepeatedPreference { ballot: usize, candidate: u32 },
}

/// Reads one decrypted ballot row of a ranked contest (§13.10.1): `ranks[k]` is the choice at
/// rank `k + 1`, `0` for none, `v` in `1..=candidates` for candidate `v - 1`. The preferences end
/// at the first blank, the first value out of range or the first repeated candidate; whatever
/// follows is ignored.
pub fn preferences_from_ranks(ranks: &[u64], candidates: u32) -> Preferences {
    let mut prefs = Vec::new();
    for &v in ranks {
        if v == 0 || v > u64::from(candidates) {
            break;
        }
        // `v <= candidates <= u32::MAX`, so the conversion cannot fail; stop if it ever did.
        let Ok(c) = u32::try_from(v - 1) else { break };
        if prefs.contains(&c) {
            break;
        }
        prefs.push(c);
    }
    Preferences(prefs)
}

/// Counts `ballots` for `candidates` candidates by `method`. Deterministic: the same input gives
/// the same transcript, byte for byte; ties the rules leave open are broken only by the seed
/// order derived from `tie_seed` (the election hash, §13.10.2).
pub fn count(
    method: &Method,
    candidates: u32,
    ballots: &[Preferences],
    tie_seed: &[u8; 32],
) -> Result<CountTranscript, CountError> {
    check(method, candidates, ballots)?;
    let order = seed_order(tie_seed, candidates);
    match *method {
        Method::Irv => Ok(irv::count(candidates, ballots, order)),
        Method::Stv { seats } => Ok(stv::count(candidates, seats, ballots, order)),
        Method::Schulze => Ok(schulze::count(candidates, ballots, order)),
    }
}

fn check(method: &Method, candidates: u32, ballots: &[Preferences]) -> Result<(), CountError> {
    if candidates == 0 {
        return Err(CountError::NoCandidates);
    }
    if candidates as usize > MAX_OPTIONS {
        return Err(CountError::TooManyCandidates {
            candidates,
            max: MAX_OPTIONS,
        });
    }
    if let Method::Stv { seats } = *method {
        if seats == 0 || seats > candidates {
            return Err(CountError::Seats { seats, candidates });
        }
    }
    for (ballot, prefs) in ballots.iter().enumerate() {
        // At most MAX_OPTIONS candidates: a bit set of those seen so far.
        let mut seen = 0u64;
        for &candidate in &prefs.0 {
            if candidate >= candidates {
                return Err(CountError::PreferenceOutOfRange {
                    ballot,
                    candidate,
                    candidates,
                });
            }
            let bit = 1u64 << candidate;
            if seen & bit != 0 {
                return Err(CountError::RepeatedPreference { ballot, candidate });
            }
            seen |= bit;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
