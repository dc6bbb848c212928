//! Instant-runoff voting (§13.10.3): a candidate with more than half of the votes held by
//! continuing candidates wins; otherwise the candidate with the fewest votes is excluded and
//! its ballots pass to their next continuing preference, one exclusion per round.

use super::papers::Piles;
use super::ties::{LookAt, Tiebreaker, Want};
use super::transcript::{Action, CountTranscript, Decision, Reason, Round, TieBreak, Votes};
use super::{Method, Preferences};

pub(super) fn count(candidates: u32, ballots: &[Preferences], order: Vec<u32>) -> CountTranscript {
    let mut piles = Piles::first_preferences(candidates, ballots);
    let mut ties = Tiebreaker::new(order, LookAt::MostRecent);
    let mut rounds = Vec::new();
    let mut action = Action::FirstPreferences;
    let mut transfers = Vec::new();
    let winner = loop {
        ties.history.push(piles.tallies.clone());
        let continuing = piles.continuing_candidates();
        let total: u64 = continuing.iter().map(|&c| piles.tallies[c as usize]).sum();
        let decided = match continuing.as_slice() {
            [only] => Some((*only, Reason::LastContinuing, TieBreak::None)),
            _ => continuing
                .iter()
                .find(|&&c| 2 * piles.tallies[c as usize] > total)
                .map(|&c| (c, Reason::Majority, TieBreak::None)),
        };
        rounds.push(Round {
            action,
            transfers: std::mem::take(&mut transfers),
            lost_to_truncation: Votes(0),
            tallies: piles.tallies_as_votes(),
            non_transferable: Votes(piles.non_transferable),
            elected: decided
                .map(|(candidate, reason, tie)| Decision {
                    candidate,
                    reason,
                    tie,
                })
                .into_iter()
                .collect(),
        });
        if let Some((c, _, _)) = decided {
            break c;
        }
        // At least two continuing candidates, so there is a lowest.
        let Some((lowest, tie)) = ties.extreme(&continuing, &piles.tallies, Want::Lowest) else {
            break continuing.first().copied().unwrap_or(0);
        };
        piles.continuing[lowest as usize] = false;
        let (moved, _) = piles.transfer(lowest, |v| v);
        piles.tallies[lowest as usize] = 0;
        transfers = moved;
        action = Action::Exclusion {
            candidate: lowest,
            tie,
        };
    };
    CountTranscript {
        method: Method::Irv,
        candidates,
        ballots: ballots.len() as u64,
        blank: piles.blank,
        seed_order: ties.order,
        quota: None,
        rounds,
        elected: vec![winner],
        schulze: None,
    }
}
