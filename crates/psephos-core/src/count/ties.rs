//! Breaking ties (§13.10.2): first by the rule's own look at earlier rounds (IRV: the most
//! recent round where the tied candidates differ; STV: the earliest, as the Scottish rules say),
//! then by the seed order, a fixed permutation of the candidates derived from the election hash.
//! Nothing else may decide a tie, so anyone holding the decrypted rows and the election hash
//! gets the same result.

use super::transcript::TieBreak;
use crate::hash::Digest;
use crate::transcript::labels;

/// The seed order: the candidates sorted by `SHA-256(len ‖ "psephos/count-tie-order v1" ‖ seed ‖
/// u32be(candidate))`, ascending (the candidate index breaks the impossible tie of two equal
/// digests). Earlier in the seed order is favoured: elected or ranked first, excluded last.
pub fn seed_order(seed: &[u8; 32], candidates: u32) -> Vec<u32> {
    let mut keyed: Vec<(Digest, u32)> = (0..candidates)
        .map(|c| {
            let mut data = [0u8; 36];
            data[..32].copy_from_slice(seed);
            data[32..].copy_from_slice(&c.to_be_bytes());
            (Digest::of(labels::COUNT_TIE_ORDER, &data), c)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, c)| c).collect()
}

/// Which end of a tie is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// The candidate to exclude: fewest votes, latest in the seed order.
    Lowest,
    /// The candidate to elect, transfer or rank first: most votes, earliest in the seed order.
    Highest,
}

/// Which earlier round decides a tie: the rounds are read in this order and the first where the
/// tied candidates differ narrows the tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookAt {
    /// The most recent round first (IRV).
    MostRecent,
    /// The earliest round first: "the earliest stage of the count at which they had an unequal
    /// value of votes" (STV under the Scottish rules, for equal surpluses and for exclusion).
    Earliest,
}

/// The seed order and the rounds counted so far, which decide ties.
#[derive(Debug)]
pub(crate) struct Tiebreaker {
    pub order: Vec<u32>,
    look_at: LookAt,
    /// `rank[c]`: position of candidate `c` in the seed order.
    rank: Vec<usize>,
    /// Tallies (vote units) at the end of each round so far, round 1 first.
    pub history: Vec<Vec<u64>>,
}

impl Tiebreaker {
    pub fn new(order: Vec<u32>, look_at: LookAt) -> Self {
        let mut rank = vec![0; order.len()];
        for (i, &c) in order.iter().enumerate() {
            rank[c as usize] = i;
        }
        Tiebreaker {
            order,
            look_at,
            rank,
            history: Vec::new(),
        }
    }

    /// Picks one of `tied` (candidates with equal current tallies, at least one): look at the
    /// rounds in `history`, most recent or earliest first ([`LookAt`]); at each round where they
    /// differ keep only those with the fewest (or most) votes; one left decides
    /// ([`TieBreak::Round`]), otherwise the seed order does ([`TieBreak::Seed`]).
    pub fn pick(&self, tied: &[u32], want: Want) -> (u32, TieBreak) {
        let mut left: Vec<u32> = tied.to_vec();
        if left.len() == 1 {
            return (left[0], TieBreak::None);
        }
        let n = self.history.len();
        for k in 0..n {
            let i = match self.look_at {
                LookAt::MostRecent => n - 1 - k,
                LookAt::Earliest => k,
            };
            let tallies = &self.history[i];
            let at = |c: &u32| tallies[*c as usize];
            let best = match want {
                Want::Lowest => left.iter().map(at).min(),
                Want::Highest => left.iter().map(at).max(),
            };
            left.retain(|c| Some(at(c)) == best);
            if left.len() == 1 {
                return (left[0], TieBreak::Round(i as u32 + 1));
            }
        }
        let by_seed = match want {
            Want::Lowest => left.iter().max_by_key(|&&c| self.rank[c as usize]),
            Want::Highest => left.iter().min_by_key(|&&c| self.rank[c as usize]),
        };
        (by_seed.copied().unwrap_or(tied[0]), TieBreak::Seed)
    }

    /// The extreme candidate of `among` by `tallies` (current), ties broken by [`Self::pick`].
    pub fn extreme(&self, among: &[u32], tallies: &[u64], want: Want) -> Option<(u32, TieBreak)> {
        let values = among.iter().map(|&c| tallies[c as usize]);
        let best = match want {
            Want::Lowest => values.min()?,
            Want::Highest => values.max()?,
        };
        let tied: Vec<u32> = among
            .iter()
            .copied()
            .filter(|&c| tallies[c as usize] == best)
            .collect();
        Some(self.pick(&tied, want))
    }

    /// `among` ordered by `tallies`, most first, each tie broken by [`Self::pick`].
    pub fn order_highest_first(&self, among: &[u32], tallies: &[u64]) -> Vec<(u32, TieBreak)> {
        let mut left = among.to_vec();
        let mut out = Vec::with_capacity(left.len());
        while let Some((c, tie)) = self.extreme(&left, tallies, Want::Highest) {
            left.retain(|&x| x != c);
            out.push((c, tie));
        }
        out
    }
}
