//! The mixed count on the board (entry kind 16, `docs/protocol.md` §11.5): each ranked
//! contest's round-by-round count and each write-in contest's names with their counts, posted
//! after the mix result and before the result.
//!
//! A count is a deterministic function of the decrypted rows already on the board (the mix
//! result) and of the election hash (ties), so the rules do not take it on trust: they recount
//! ([`psephos_core::ranked::count_ranked`]) and accept only the very bytes the recount gives.
//! The server posts exactly what these rules compute; the verifier, replaying the same rules,
//! reaches the same transcripts or names the contest whose count differs (check 28 for a
//! ranked contest, 29 for a write-in contest).
//!
//! A count of many ballots takes a while (an STV count of 10⁶ ballots, a quarter of a second),
//! so the server counts once, off its write lock, and hands the rules a [`CountedMix`]: made
//! only by counting a mix result, which it keeps, it is accepted without a second count when that
//! mix result equals the one on the board (a comparison of the rows, not a count).

use psephos_core::election::Election;
use psephos_core::encoding::Canonical;
use psephos_core::mixnet::MixResult;
use psephos_core::ranked::{MixedCount, RankedCount, RankedCountError};
use psephos_core::write_in::WriteInCount;
use thiserror::Error;

use super::{Applied, Phase, RuleError, Rules};

/// Why a mixed count is refused ([`RuleError::Count`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CountRuleError {
    #[error("the election has no ranked or write-in contest")]
    NothingRanked,
    #[error("the mixed count needs the mix result on the board first")]
    NoMixResult,
    #[error("the mixed count is already on the board")]
    Posted,
    #[error("the mixed count is for another election or other decrypted lists")]
    WrongLists,
    #[error("the ranked or write-in contests cannot be counted from the mix result: {0}")]
    Uncountable(RankedCountError),
    #[error(
        "the mixed count lists {got} ranked or write-in contests, the election has {expected}"
    )]
    ContestCount { expected: usize, got: usize },
    #[error("the count of contest {contest:?} differs from the recount of the decrypted rows")]
    Differs { contest: String },
    #[error(
        "the result needs the mixed count (the ranked and write-in contests' counts) on the \
         board first"
    )]
    Missing,
}

impl CountRuleError {
    /// Not wrong, only not now or not again (HTTP 409).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            CountRuleError::NoMixResult | CountRuleError::Posted | CountRuleError::Missing
        )
    }
}

/// The mixed count once accepted: the structured transcripts and the entry's index.
#[derive(Debug, Clone)]
pub(super) struct Posted {
    counts: Vec<RankedCount>,
    write_ins: Vec<(String, WriteInCount)>,
    at: u64,
}

fn count_err(e: CountRuleError) -> RuleError {
    RuleError::Count(e)
}

/// A mixed count computed from a mix result by [`MixedCount::recount`]: the capability to post it
/// without the rules counting again ([`Rules::apply_counted_mix`]). Only [`CountedMix::count`]
/// makes one.
#[derive(Debug, Clone)]
pub struct CountedMix {
    result: MixResult,
    count: MixedCount,
    counts: Vec<RankedCount>,
}

impl CountedMix {
    /// Counts the ranked and write-in contests of `election` from `result` (a mix result read
    /// from the state, e.g. off its lock).
    pub fn count(election: &Election, result: MixResult) -> Result<Self, RuleError> {
        let (count, counts) = MixedCount::recount(election.manifest(), election.hash(), &result)
            .map_err(|e| count_err(CountRuleError::Uncountable(e)))?;
        Ok(CountedMix {
            count,
            result,
            counts,
        })
    }

    /// The entry to post.
    pub fn mixed_count(&self) -> &MixedCount {
        &self.count
    }
}

impl Rules {
    /// Whether the manifest has a ranked contest (and so a mixed count before the result).
    pub fn has_ranked_contests(&self) -> bool {
        self.manifest()
            .is_some_and(|m| m.contests.iter().any(|c| c.is_ranked()))
    }

    /// Whether the manifest has a contest with write-ins.
    pub fn has_write_in_contests(&self) -> bool {
        self.manifest()
            .is_some_and(|m| m.contests.iter().any(|c| c.write_ins.is_some()))
    }

    /// Whether the election needs a mixed count before its result: it has a ranked contest or
    /// a contest with write-ins.
    pub fn needs_mixed_count(&self) -> bool {
        self.has_ranked_contests() || self.has_write_in_contests()
    }

    /// The ranked contests' counts on the board, in manifest order, with the index of the
    /// mixed count entry (`Some` once the mixed count is posted, even with no ranked contest).
    pub fn ranked_counts(&self) -> Option<(&[RankedCount], u64)> {
        self.counted.as_ref().map(|p| (p.counts.as_slice(), p.at))
    }

    /// The write-in contests' counts on the board, in manifest order.
    pub fn write_in_counts(&self) -> Option<&[(String, WriteInCount)]> {
        self.counted.as_ref().map(|p| p.write_ins.as_slice())
    }

    /// The ranked and write-in contests' counts recomputed from the mix result on the board:
    /// what the server posts, and what a posted mixed count must equal.
    pub fn recount(&self) -> Result<(MixedCount, Vec<RankedCount>), RuleError> {
        if !self.needs_mixed_count() {
            return Err(count_err(CountRuleError::NothingRanked));
        }
        let (Some(manifest), Some(election)) = (self.manifest(), self.election.as_ref()) else {
            return Err(count_err(CountRuleError::NothingRanked));
        };
        let (result, _) = self
            .mix()
            .and_then(|m| m.result())
            .ok_or(count_err(CountRuleError::NoMixResult))?;
        MixedCount::recount(manifest, election.hash(), result)
            .map_err(|e| count_err(CountRuleError::Uncountable(e)))
    }

    /// Checks a posted mixed count against `counted` — when it was counted from the mix result
    /// on the board — or else against a recount.
    pub(super) fn apply_mixed_count(
        &mut self,
        posted: &MixedCount,
        counted: Option<&CountedMix>,
    ) -> Result<Applied, RuleError> {
        if !self.needs_mixed_count() {
            return Err(count_err(CountRuleError::NothingRanked));
        }
        self.require(Phase::Tallying, "post the mixed count")?;
        if self.counted.is_some() {
            return Err(count_err(CountRuleError::Posted));
        }
        let on_board = self.mix().and_then(|m| m.result()).map(|(r, _)| r);
        let (expected, counts) = match counted {
            // The count is a function of the rows (and the election): the same rows, the same
            // count.
            Some(c) if on_board == Some(&c.result) => (c.count.clone(), c.counts.clone()),
            _ => self.recount()?,
        };
        if posted.election != expected.election || posted.lists != expected.lists {
            return Err(count_err(CountRuleError::WrongLists));
        }
        if posted.ranked.len() != expected.ranked.len()
            || posted.write_ins.len() != expected.write_ins.len()
        {
            return Err(count_err(CountRuleError::ContestCount {
                expected: expected.ranked.len() + expected.write_ins.len(),
                got: posted.ranked.len() + posted.write_ins.len(),
            }));
        }
        for (p, e) in posted.ranked.iter().zip(&expected.ranked) {
            if p != e {
                return Err(count_err(CountRuleError::Differs {
                    contest: e.0.clone(),
                }));
            }
        }
        for (p, e) in posted.write_ins.iter().zip(&expected.write_ins) {
            if p != e {
                return Err(count_err(CountRuleError::Differs {
                    contest: e.0.clone(),
                }));
            }
        }
        // Equal fields give equal canonical bytes; checked once more, cheaply, as the board
        // stores bytes.
        debug_assert_eq!(posted.to_canonical_bytes(), expected.to_canonical_bytes());
        self.counted = Some(Box::new(Posted {
            counts,
            write_ins: expected.write_ins,
            at: self.size,
        }));
        Ok(Applied::MixedCount)
    }

    /// The result needs the mixed count first when a contest is ranked or has write-ins.
    pub(super) fn check_mixed_count(&self) -> Result<(), RuleError> {
        if self.needs_mixed_count() && self.counted.is_none() {
            return Err(count_err(CountRuleError::Missing));
        }
        Ok(())
    }
}
