//! Ballot papers in piles, shared by IRV and STV. Identical preference sequences are grouped
//! once into one weighted paper (`count` ballots of one value), so a round costs the number of
//! distinct sequences moved, not the number of ballots: a million ballots count in well under a
//! second.

use super::transcript::{Transfer, Votes};
use super::Preferences;
use std::collections::BTreeMap;

/// `count` identical ballots, each now worth `value` units (10⁻⁵ votes), held by
/// `prefs[pos]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paper<'a> {
    prefs: &'a [u32],
    pos: usize,
    count: u64,
    value: u64,
}

/// Every candidate's pile, tallies in units, and what is out of the count.
#[derive(Debug)]
pub(crate) struct Piles<'a> {
    piles: Vec<Vec<Paper<'a>>>,
    /// Votes credited to each candidate, in units.
    pub tallies: Vec<u64>,
    pub continuing: Vec<bool>,
    /// Units not credited to any candidate: exhausted ballots and truncation losses.
    pub non_transferable: u64,
    /// Ballots with a first preference.
    pub valid: u64,
    /// Ballots without one.
    pub blank: u64,
}

impl<'a> Piles<'a> {
    /// Round 1: each ballot to its first preference, worth one vote.
    pub fn first_preferences(candidates: u32, ballots: &'a [Preferences]) -> Self {
        let n = candidates as usize;
        let mut seqs: Vec<&[u32]> = ballots
            .iter()
            .map(|b| b.0.as_slice())
            .filter(|s| !s.is_empty())
            .collect();
        let valid = seqs.len() as u64;
        let blank = ballots.len() as u64 - valid;
        seqs.sort_unstable();
        let mut piles: Vec<Vec<Paper<'a>>> = vec![Vec::new(); n];
        let mut tallies = vec![0u64; n];
        let mut i = 0;
        while i < seqs.len() {
            let mut j = i + 1;
            while j < seqs.len() && seqs[j] == seqs[i] {
                j += 1;
            }
            let prefs = seqs[i];
            let first = prefs[0] as usize;
            let count = (j - i) as u64;
            piles[first].push(Paper {
                prefs,
                pos: 0,
                count,
                value: Votes::SCALE,
            });
            tallies[first] += count * Votes::SCALE;
            i = j;
        }
        Piles {
            piles,
            tallies,
            continuing: vec![true; n],
            non_transferable: 0,
            valid,
            blank,
        }
    }

    pub fn continuing_candidates(&self) -> Vec<u32> {
        (0..self.continuing.len() as u32)
            .filter(|&c| self.continuing[c as usize])
            .collect()
    }

    /// Moves every paper of `from` (no longer continuing) to the next continuing preference on
    /// it, at the value `new_value(old value)`; papers with none left become non-transferable.
    /// Returns the transfers, grouped by destination (non-transferable first) and value, and
    /// the units moved (credited plus non-transferable).
    pub fn transfer(&mut self, from: u32, new_value: impl Fn(u64) -> u64) -> (Vec<Transfer>, u64) {
        let pile = std::mem::take(&mut self.piles[from as usize]);
        let mut groups: BTreeMap<(Option<u32>, u64), u64> = BTreeMap::new();
        let mut moved = 0u64;
        for mut paper in pile {
            paper.value = new_value(paper.value);
            let units = paper.count * paper.value;
            moved += units;
            let next = paper.prefs[paper.pos + 1..]
                .iter()
                .position(|&c| self.continuing[c as usize]);
            let to = match next {
                Some(k) => {
                    paper.pos += 1 + k;
                    let to = paper.prefs[paper.pos];
                    self.tallies[to as usize] += units;
                    self.piles[to as usize].push(paper);
                    Some(to)
                }
                None => {
                    self.non_transferable += units;
                    None
                }
            };
            *groups.entry((to, paper.value)).or_default() += paper.count;
        }
        let transfers = groups
            .into_iter()
            .map(|((to, value), ballots)| Transfer {
                from,
                to,
                ballots,
                value: Votes(value),
                votes: Votes(ballots * value),
            })
            .collect();
        (transfers, moved)
    }

    pub fn tallies_as_votes(&self) -> Vec<Votes> {
        self.tallies.iter().map(|&t| Votes(t)).collect()
    }
}
