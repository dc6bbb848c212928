//! The single transferable vote under the counting rules of the Scottish Local Government
//! Elections Order 2007, Schedule 1, rules 45–52 (§13.10.4 states exactly what is implemented).
//!
//! In brief: the Droop quota `floor(valid / (seats + 1)) + 1`; a candidate reaching it is
//! elected; surpluses are transferred one per stage, largest first, by the weighted inclusive
//! Gregory method of rule 48 (every ballot the candidate holds moves on, each at
//! `surplus × its value / the candidate's votes`, truncated to five decimal places); with no
//! surplus left the lowest candidate is excluded and their ballots move at their current value;
//! when the continuing candidates are as many as the seats left, they are elected.

use super::papers::Piles;
use super::ties::{LookAt, Tiebreaker, Want};
use super::transcript::{Action, CountTranscript, Decision, Reason, Round, TieBreak, Votes};
use super::{Method, Preferences};

pub(super) fn count(
    candidates: u32,
    seats: u32,
    ballots: &[Preferences],
    order: Vec<u32>,
) -> CountTranscript {
    let mut piles = Piles::first_preferences(candidates, ballots);
    let quota = (piles.valid / (u64::from(seats) + 1) + 1) * Votes::SCALE;
    let seats = seats as usize;
    let mut ties = Tiebreaker::new(order, LookAt::Earliest);
    let mut elected: Vec<u32> = Vec::new();
    // Elected candidates whose surplus is not transferred yet.
    let mut pending: Vec<u32> = Vec::new();
    let mut rounds = Vec::new();
    let mut action = Action::FirstPreferences;
    let mut transfers = Vec::new();
    let mut lost = 0u64;
    loop {
        ties.history.push(piles.tallies.clone());
        let mut decisions = Vec::new();

        // Rule 47: every continuing candidate at or above the quota is elected, most votes first.
        let reached: Vec<u32> = piles
            .continuing_candidates()
            .into_iter()
            .filter(|&c| piles.tallies[c as usize] >= quota)
            .collect();
        for (c, tie) in ties.order_highest_first(&reached, &piles.tallies) {
            if elected.len() == seats {
                break;
            }
            elect(
                &mut piles,
                &mut elected,
                &mut decisions,
                c,
                Reason::Quota,
                tie,
            );
            if piles.tallies[c as usize] > quota {
                pending.push(c);
            }
        }

        // Rule 52: filling the last vacancies.
        let mut done = elected.len() == seats;
        if !done {
            let remaining = seats - elected.len();
            let continuing = piles.continuing_candidates();
            if continuing.len() <= remaining {
                for (c, tie) in ties.order_highest_first(&continuing, &piles.tallies) {
                    elect(
                        &mut piles,
                        &mut elected,
                        &mut decisions,
                        c,
                        Reason::LastVacancies,
                        tie,
                    );
                }
                done = true;
            } else if remaining == 1 {
                let untransferred: u64 = pending
                    .iter()
                    .map(|&c| piles.tallies[c as usize] - quota)
                    .sum();
                let total: u64 = continuing.iter().map(|&c| piles.tallies[c as usize]).sum();
                if let Some((top, tie)) = ties.extreme(&continuing, &piles.tallies, Want::Highest) {
                    let top_votes = piles.tallies[top as usize];
                    if top_votes >= total - top_votes + untransferred {
                        elect(
                            &mut piles,
                            &mut elected,
                            &mut decisions,
                            top,
                            Reason::Unassailable,
                            tie,
                        );
                        done = true;
                    }
                }
            }
        }

        rounds.push(Round {
            action,
            transfers: std::mem::take(&mut transfers),
            lost_to_truncation: Votes(lost),
            tallies: piles.tallies_as_votes(),
            non_transferable: Votes(piles.non_transferable),
            elected: decisions,
        });
        if done {
            break;
        }

        // Rules 48–49: the largest surplus first; else rules 50–51: exclude the lowest.
        if let Some((from, tie)) = ties.extreme(&pending, &piles.tallies, Want::Highest) {
            pending.retain(|&c| c != from);
            let total = piles.tallies[from as usize];
            let surplus = total - quota;
            let (moved, units) = piles.transfer(from, |value| {
                // ≤ value, so it fits: truncated to whole units (five decimal places).
                (u128::from(surplus) * u128::from(value) / u128::from(total)) as u64
            });
            lost = surplus - units;
            piles.non_transferable += lost;
            piles.tallies[from as usize] = quota;
            transfers = moved;
            action = Action::Surplus {
                candidate: from,
                surplus: Votes(surplus),
                tie,
            };
        } else {
            let continuing = piles.continuing_candidates();
            let Some((lowest, tie)) = ties.extreme(&continuing, &piles.tallies, Want::Lowest)
            else {
                break; // unreachable: more continuing candidates than seats left
            };
            piles.continuing[lowest as usize] = false;
            let (moved, _) = piles.transfer(lowest, |v| v);
            piles.tallies[lowest as usize] = 0;
            lost = 0;
            transfers = moved;
            action = Action::Exclusion {
                candidate: lowest,
                tie,
            };
        }
    }
    CountTranscript {
        method: Method::Stv {
            seats: seats as u32,
        },
        candidates,
        ballots: ballots.len() as u64,
        blank: piles.blank,
        seed_order: ties.order,
        quota: Some(Votes(quota)),
        rounds,
        elected,
        schulze: None,
    }
}

fn elect(
    piles: &mut Piles<'_>,
    elected: &mut Vec<u32>,
    decisions: &mut Vec<Decision>,
    candidate: u32,
    reason: Reason,
    tie: TieBreak,
) {
    piles.continuing[candidate as usize] = false;
    elected.push(candidate);
    decisions.push(Decision {
        candidate,
        reason,
        tie,
    });
}
