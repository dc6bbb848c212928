//! Worked examples from published texts, the tie rules, broken sequences, the errors and the
//! invariants every count must keep.

use super::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const SEED: [u8; 32] = [7; 32];

/// `n` copies of the ballot `prefs`.
fn times(n: usize, prefs: &[u32]) -> Vec<Preferences> {
    vec![Preferences(prefs.to_vec()); n]
}

fn ballots(groups: &[(usize, &[u32])]) -> Vec<Preferences> {
    groups.iter().flat_map(|(n, p)| times(*n, p)).collect()
}

fn v(s: &str) -> Votes {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// Two seeds whose seed orders of candidates `a` and `b` (of `n`) differ: (a before b, b before a).
fn seeds_ordering(n: u32, a: u32, b: u32) -> ([u8; 32], [u8; 32]) {
    let before = |s: &[u8; 32]| {
        let o = seed_order(s, n);
        o.iter().position(|&c| c == a) < o.iter().position(|&c| c == b)
    };
    let mut ab = None;
    let mut ba = None;
    for i in 0..=255u8 {
        let s = [i; 32];
        if before(&s) {
            ab.get_or_insert(s);
        } else {
            ba.get_or_insert(s);
        }
    }
    (
        ab.unwrap_or_else(|| panic!("no seed")),
        ba.unwrap_or_else(|| panic!("no seed")),
    )
}

fn conserved(t: &CountTranscript) {
    let blank = t.blank;
    let valid = t.ballots - blank;
    for (i, r) in t.rounds.iter().enumerate() {
        let sum: u64 = r.tallies.iter().map(|x| x.0).sum::<u64>() + r.non_transferable.0;
        assert_eq!(sum, valid * Votes::SCALE, "round {} loses votes", i + 1);
    }
}

// --- broken sequences (§13.10.1) ---

#[test]
fn preferences_end_at_the_first_blank_out_of_range_or_repeat() {
    let p = |r: &[u64]| preferences_from_ranks(r, 3).0;
    assert_eq!(p(&[3, 1, 2]), vec![2, 0, 1]);
    assert_eq!(p(&[2, 0, 3]), vec![1], "a blank ends the sequence");
    assert_eq!(
        p(&[0, 1, 2]),
        Vec::<u32>::new(),
        "blank first: a blank ballot"
    );
    assert_eq!(p(&[1, 1, 2]), vec![0], "a repeat ends it");
    assert_eq!(p(&[2, 3, 2, 1]), vec![1, 2]);
    assert_eq!(p(&[1, 4, 2]), vec![0], "out of range ends it");
    assert_eq!(p(&[u64::MAX, 1]), Vec::<u32>::new());
    assert_eq!(p(&[]), Vec::<u32>::new());
    assert_eq!(preferences_from_ranks(&[1, 2], 0).0, Vec::<u32>::new());
}

#[test]
fn blank_ballots_are_cast_but_never_credited() {
    let mut b = ballots(&[(3, &[0]), (2, &[1])]);
    b.extend(times(4, &[]));
    let t = count(&Method::Irv, 2, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((t.ballots, t.blank), (9, 4));
    assert_eq!(t.rounds[0].tallies, vec![Votes::whole(3), Votes::whole(2)]);
    assert_eq!(t.elected, vec![0]);
    let t = count(&Method::Stv { seats: 1 }, 2, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.quota,
        Some(Votes::whole(3)),
        "quota from the 5 valid ballots"
    );
}

// --- errors ---

#[test]
fn bad_input_is_an_error_naming_it() {
    let ok = times(1, &[0, 1]);
    assert_eq!(
        count(&Method::Irv, 0, &[], &SEED),
        Err(CountError::NoCandidates)
    );
    assert_eq!(
        count(&Method::Schulze, 65, &[], &SEED),
        Err(CountError::TooManyCandidates {
            candidates: 65,
            max: 64
        })
    );
    assert!(count(&Method::Schulze, 64, &[], &SEED).is_ok());
    for seats in [0, 3] {
        assert_eq!(
            count(&Method::Stv { seats }, 2, &ok, &SEED),
            Err(CountError::Seats {
                seats,
                candidates: 2
            })
        );
    }
    let mut bad = ok.clone();
    bad.push(Preferences(vec![1, 2]));
    for m in [Method::Irv, Method::Stv { seats: 1 }, Method::Schulze] {
        assert_eq!(
            count(&m, 2, &bad, &SEED),
            Err(CountError::PreferenceOutOfRange {
                ballot: 1,
                candidate: 2,
                candidates: 2
            })
        );
        assert_eq!(
            count(&m, 2, &[Preferences(vec![1, 0, 1])], &SEED),
            Err(CountError::RepeatedPreference {
                ballot: 0,
                candidate: 1
            })
        );
    }
}

// --- IRV ---

/// Wikipedia, "Instant-runoff voting", the Tennessee capital example: Memphis 42 %, Nashville
/// 26 %, Chattanooga 15 %, Knoxville 17 %. Chattanooga is eliminated, then Nashville, and
/// Knoxville wins with 58 %.
#[test]
fn irv_tennessee() {
    let (m, n, c, k) = (0, 1, 2, 3);
    let b = ballots(&[
        (42, &[m, n, c, k]),
        (26, &[n, c, k, m]),
        (15, &[c, k, n, m]),
        (17, &[k, c, n, m]),
    ]);
    let t = count(&Method::Irv, 4, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.elected, vec![k]);
    assert_eq!(t.rounds.len(), 3);
    assert_eq!(
        t.rounds[1].action,
        Action::Exclusion {
            candidate: c,
            tie: TieBreak::None
        }
    );
    assert_eq!(
        t.rounds[2].action,
        Action::Exclusion {
            candidate: n,
            tie: TieBreak::None
        }
    );
    let w = Votes::whole;
    assert_eq!(t.rounds[1].tallies, vec![w(42), w(26), w(0), w(32)]);
    assert_eq!(t.rounds[2].tallies, vec![w(42), w(0), w(0), w(58)]);
    assert_eq!(
        t.rounds[2].elected,
        vec![Decision {
            candidate: k,
            reason: Reason::Majority,
            tie: TieBreak::None
        }]
    );
    assert_eq!(
        t.rounds[1].transfers,
        vec![Transfer {
            from: c,
            to: Some(k),
            ballots: 15,
            value: w(1),
            votes: w(15)
        }]
    );
    conserved(&t);
}

/// A, X, Y, D, E of the two tie tests below.
const CANDIDATES: (u32, u32, u32, u32, u32) = (0, 1, 2, 3, 4);

/// X and Y tie for lowest in round 3, after E and D are excluded; X had fewer in round 2 (5 < 6)
/// and more in round 1 (5 > 4).
fn tie_after_two_exclusions() -> Vec<Preferences> {
    let (a, x, y, d, e) = CANDIDATES;
    ballots(&[
        (7, &[a]),
        (5, &[x]),
        (4, &[y]),
        (1, &[d, x]),
        (2, &[d]),
        (2, &[e, y]),
    ])
}

/// A tie for lowest is decided by the most recent earlier round where the tied candidates
/// differ: X and Y tie in round 3; in round 2 X had fewer (5 < 6), in round 1 more (5 > 4).
#[test]
fn irv_tie_for_lowest_looks_back_to_the_most_recent_round() {
    let (a, x, _, _, _) = CANDIDATES;
    let b = tie_after_two_exclusions();
    let t = count(&Method::Irv, 5, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    let w = Votes::whole;
    assert_eq!(t.rounds[2].tallies, vec![w(7), w(6), w(6), w(0), w(0)]);
    assert_eq!(
        t.rounds[3].action,
        Action::Exclusion {
            candidate: x,
            tie: TieBreak::Round(2)
        }
    );
    assert_eq!(t.elected, vec![a]);
    assert_eq!(t.rounds[3].non_transferable, w(8));
    conserved(&t);
}

/// STV decides the same tie by the earliest round where the candidates differ, as the Scottish
/// rules say ("the earliest stage of the count at which they had an unequal value of votes"):
/// the ballots of the IRV test above, one seat; X and Y tie in round 3, Y had fewer in round 1
/// (4 < 5), so Y is excluded where IRV excludes X.
#[test]
fn stv_tie_for_lowest_looks_at_the_earliest_round() {
    let (a, x, y, _, _) = CANDIDATES;
    let b = tie_after_two_exclusions();
    let t = count(&Method::Stv { seats: 1 }, 5, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    let w = Votes::whole;
    assert_eq!(t.rounds[2].tallies, vec![w(7), w(6), w(6), w(0), w(0)]);
    assert_eq!(
        t.rounds[3].action,
        Action::Exclusion {
            candidate: y,
            tie: TieBreak::Round(1)
        }
    );
    assert_eq!(t.rounds[3].tallies[x as usize], w(6));
    assert_eq!(t.elected, vec![a]);
    conserved(&t);
}

#[test]
fn irv_perfect_tie_is_decided_by_the_seed() {
    let b = ballots(&[(1, &[0]), (1, &[1])]);
    let (s01, s10) = seeds_ordering(2, 0, 1);
    let t01 = count(&Method::Irv, 2, &b, &s01).unwrap_or_else(|e| panic!("{e}"));
    let t10 = count(&Method::Irv, 2, &b, &s10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t01.elected, vec![0]);
    assert_eq!(t10.elected, vec![1]);
    assert_eq!(
        t01.rounds[1].action,
        Action::Exclusion {
            candidate: 1,
            tie: TieBreak::Seed
        }
    );
}

// --- STV ---

/// Wikipedia, "Single transferable vote", the example of 20 voters choosing 3 foods (Droop
/// quota 6): Chocolate is elected and its surplus of 6 moves at 0.5 to Strawberries (4) and
/// Hamburgers (2); Pears is excluded, electing Oranges; Strawberries take the last seat.
#[test]
fn stv_wikipedia_food_election() {
    let (o, p, c, s, h) = (0, 1, 2, 3, 4);
    let b = ballots(&[
        (4, &[o]),
        (2, &[p, o]),
        (8, &[c, s]),
        (4, &[c, h]),
        (1, &[s]),
        (1, &[h]),
    ]);
    let t = count(&Method::Stv { seats: 3 }, 5, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.quota, Some(Votes::whole(6)));
    assert_eq!(t.elected, vec![c, o, s]);
    assert_eq!(
        t.rounds[1].action,
        Action::Surplus {
            candidate: c,
            surplus: Votes::whole(6),
            tie: TieBreak::None
        }
    );
    let half = v("0.5");
    assert_eq!(
        t.rounds[1].transfers,
        vec![
            Transfer {
                from: c,
                to: Some(s),
                ballots: 8,
                value: half,
                votes: Votes::whole(4)
            },
            Transfer {
                from: c,
                to: Some(h),
                ballots: 4,
                value: half,
                votes: Votes::whole(2)
            },
        ]
    );
    let w = Votes::whole;
    assert_eq!(t.rounds[1].tallies, vec![w(4), w(2), w(6), w(5), w(3)]);
    assert_eq!(
        t.rounds[2].action,
        Action::Exclusion {
            candidate: p,
            tie: TieBreak::None
        }
    );
    let reasons: Vec<_> = t.rounds[2].elected.iter().map(|d| d.reason).collect();
    assert_eq!(reasons, vec![Reason::Quota, Reason::Unassailable]);
    conserved(&t);
}

/// Rule 48(3): transfer values are truncated to five decimal places and the remainder is lost.
/// A holds 7 votes over a quota of 4: each ballot moves at floor(3/7 · 10⁵)/10⁵ = 0.42857, so
/// 2.99999 reach B and 0.00001 is lost.
#[test]
fn stv_truncates_transfer_values_to_five_decimals() {
    let (a, b_, c, d) = (0, 1, 2, 3);
    let b = ballots(&[(7, &[a, b_]), (2, &[c]), (1, &[d])]);
    let t = count(&Method::Stv { seats: 2 }, 4, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.quota, Some(Votes::whole(4)));
    let r = &t.rounds[1];
    assert_eq!(r.transfers.len(), 1);
    assert_eq!(r.transfers[0].value, v("0.42857"));
    assert_eq!(r.transfers[0].votes, v("2.99999"));
    assert_eq!(r.lost_to_truncation, v("0.00001"));
    assert_eq!(r.tallies[b_ as usize], v("2.99999"));
    assert_eq!(r.tallies[a as usize], Votes::whole(4));
    // 2.99999 < 2 + 1: not yet unassailable, so D is excluded first.
    assert_eq!(
        t.rounds[2].action,
        Action::Exclusion {
            candidate: d,
            tie: TieBreak::None
        }
    );
    assert_eq!(t.elected, vec![a, b_]);
    conserved(&t);
}

/// Rule 48: a candidate elected at a later stage transfers every ballot they hold, each at
/// surplus × its own value / their votes. B (8 votes: 4 first preferences at 1, 10 ballots at 0.4
/// from A) has a surplus of 2: the first preferences move at 0.25, A's ballots at 0.1.
#[test]
fn stv_later_surplus_weighs_each_ballot_by_its_value() {
    let (a, b_, c, d, e) = (0, 1, 2, 3, 4);
    let b = ballots(&[
        (10, &[a, b_, c]),
        (4, &[b_, d]),
        (3, &[c]),
        (2, &[d]),
        (1, &[e]),
    ]);
    let t = count(&Method::Stv { seats: 3 }, 5, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.quota, Some(Votes::whole(6)));
    assert_eq!(t.rounds[1].transfers[0].value, v("0.4"));
    assert_eq!(
        t.rounds[2].action,
        Action::Surplus {
            candidate: b_,
            surplus: Votes::whole(2),
            tie: TieBreak::None
        }
    );
    assert_eq!(
        t.rounds[2].transfers,
        vec![
            Transfer {
                from: b_,
                to: Some(c),
                ballots: 10,
                value: v("0.1"),
                votes: Votes::whole(1)
            },
            Transfer {
                from: b_,
                to: Some(d),
                ballots: 4,
                value: v("0.25"),
                votes: Votes::whole(1)
            },
        ]
    );
    assert_eq!(t.elected, vec![a, b_, c]);
    assert_eq!(t.rounds[2].elected[0].reason, Reason::Unassailable);
    conserved(&t);
}

/// Several surpluses: the largest is transferred first, whatever the candidates' order.
#[test]
fn stv_largest_surplus_first() {
    let b = ballots(&[(7, &[0, 3]), (9, &[1, 2]), (2, &[2]), (2, &[3])]);
    // valid 20, 3 seats: quota 6; surpluses 1 (candidate 0) and 3 (candidate 1).
    let t = count(&Method::Stv { seats: 3 }, 4, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.elected[..2], [1, 0], "most votes elected first");
    assert_eq!(
        t.rounds[1].action,
        Action::Surplus {
            candidate: 1,
            surplus: Votes::whole(3),
            tie: TieBreak::None
        }
    );
    conserved(&t);
}

#[test]
fn stv_ties_are_decided_by_the_seed() {
    // One seat, two candidates, one vote each: the seed elects one of them.
    let b = ballots(&[(1, &[0]), (1, &[1])]);
    let (s01, s10) = seeds_ordering(2, 0, 1);
    let m = Method::Stv { seats: 1 };
    let t = count(&m, 2, &b, &s01).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.elected, vec![0]);
    assert_eq!(t.rounds[0].elected[0].tie, TieBreak::Seed);
    assert_eq!(
        count(&m, 2, &b, &s10).map(|t| t.elected),
        Ok(vec![1]),
        "the other seed elects the other candidate"
    );

    // A tie for exclusion between C and D, equal at every round: the one later in the seed
    // order is excluded, and its ballot decides between A and B.
    let (a, b_, c, d) = (0, 1, 2, 3);
    let b = ballots(&[(2, &[a]), (2, &[b_]), (1, &[c, a]), (1, &[d, b_])]);
    let (cd, dc) = seeds_ordering(4, c, d);
    let t = count(&m, 4, &b, &cd).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.rounds[1].action,
        Action::Exclusion {
            candidate: d,
            tie: TieBreak::Seed
        }
    );
    assert_eq!(t.elected, vec![b_]);
    assert_eq!(count(&m, 4, &b, &dc).map(|t| t.elected), Ok(vec![a]));
}

#[test]
fn stv_fills_the_last_vacancies_with_the_continuing_candidates() {
    // 3 seats, 3 candidates: once 0 is elected, the other two fill the last two seats.
    let b = ballots(&[(5, &[0]), (1, &[1]), (1, &[2])]);
    let t = count(&Method::Stv { seats: 3 }, 3, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.rounds.len(), 1, "rule 52 comes before any transfer");
    assert_eq!(t.elected[0], 0);
    assert_eq!(t.rounds[0].elected[0].reason, Reason::Quota);
    assert_eq!(t.elected.len(), 3);
    assert!(t.rounds[0].elected[1..]
        .iter()
        .all(|d| d.reason == Reason::LastVacancies));
}

// --- Schulze ---

/// Wikipedia, "Schulze method", the example with 45 voters and 5 candidates: the matrices d
/// and p as printed there, and the ranking E > A > C > B > D.
#[test]
fn schulze_wikipedia_45_voters() {
    let (a, b_, c, d, e) = (0, 1, 2, 3, 4);
    let b = ballots(&[
        (5, &[a, c, b_, e, d]),
        (5, &[a, d, e, c, b_]),
        (8, &[b_, e, d, a, c]),
        (3, &[c, a, b_, e, d]),
        (7, &[c, a, e, b_, d]),
        (2, &[c, b_, a, d, e]),
        (7, &[d, c, e, b_, a]),
        (8, &[e, b_, a, d, c]),
    ]);
    let t = count(&Method::Schulze, 5, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    let s = t.schulze.clone().unwrap_or_else(|| panic!("no matrices"));
    assert_eq!(
        s.d,
        vec![
            vec![0, 20, 26, 30, 22],
            vec![25, 0, 16, 33, 18],
            vec![19, 29, 0, 17, 24],
            vec![15, 12, 28, 0, 14],
            vec![23, 27, 21, 31, 0],
        ]
    );
    assert_eq!(
        s.p,
        vec![
            vec![0, 28, 28, 30, 24],
            vec![25, 0, 28, 33, 24],
            vec![25, 29, 0, 29, 24],
            vec![25, 28, 28, 0, 24],
            vec![25, 28, 28, 31, 0],
        ]
    );
    assert_eq!(t.elected, vec![e, a, c, b_, d]);
    assert_eq!(s.tied, vec![false; 5]);
}

/// The Tennessee example again: Nashville beats every other city pairwise (Condorcet winner),
/// and the Schulze ranking is Nashville, Chattanooga, Knoxville, Memphis.
#[test]
fn schulze_tennessee_condorcet_winner() {
    let (m, n, c, k) = (0, 1, 2, 3);
    let b = ballots(&[
        (42, &[m, n, c, k]),
        (26, &[n, c, k, m]),
        (15, &[c, k, n, m]),
        (17, &[k, c, n, m]),
    ]);
    let t = count(&Method::Schulze, 4, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.elected, vec![n, c, k, m]);
}

#[test]
fn schulze_unranked_candidates_are_below_ranked_and_tied_with_each_other() {
    let t = count(&Method::Schulze, 3, &times(1, &[1]), &SEED).unwrap_or_else(|e| panic!("{e}"));
    let s = t.schulze.unwrap_or_else(|| panic!("no matrices"));
    assert_eq!(s.d, vec![vec![0, 0, 0], vec![1, 0, 1], vec![0, 0, 0]]);
    assert_eq!(t.elected[0], 1);
    assert_eq!(s.tied, vec![false, true, false]);
}

#[test]
fn schulze_ties_follow_the_seed_order() {
    let b = ballots(&[(1, &[0, 1]), (1, &[1, 0])]);
    let (s01, s10) = seeds_ordering(2, 0, 1);
    let t = count(&Method::Schulze, 2, &b, &s01).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.elected, vec![0, 1]);
    assert_eq!(
        t.schulze.map(|s| s.tied),
        Some(vec![true, false]),
        "the first place was a tie"
    );
    assert_eq!(
        count(&Method::Schulze, 2, &b, &s10).map(|t| t.elected),
        Ok(vec![1, 0])
    );
}

// --- determinism, encoding, invariants ---

fn random_ballots(rng: &mut ChaCha20Rng, candidates: u32, n: usize) -> Vec<Preferences> {
    (0..n)
        .map(|_| {
            let mut all: Vec<u32> = (0..candidates).collect();
            for i in (1..all.len()).rev() {
                let j = (rng.next_u32() as usize) % (i + 1);
                all.swap(i, j);
            }
            let len = (rng.next_u32() as usize) % (candidates as usize + 1);
            all.truncate(len);
            Preferences(all)
        })
        .collect()
}

#[test]
fn counts_are_deterministic_and_round_trip_through_json() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let b = random_ballots(&mut rng, 6, 300);
    for m in [Method::Irv, Method::Stv { seats: 3 }, Method::Schulze] {
        let t1 = count(&m, 6, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
        let mut shuffled = b.clone();
        shuffled.reverse();
        let t2 = count(&m, 6, &shuffled, &SEED).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t1.canonical_bytes(), t2.canonical_bytes(), "{m:?}");
        let json = serde_json::to_string(&t1).unwrap_or_else(|e| panic!("{e}"));
        let back: CountTranscript = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, t1);
        let other = count(&m, 6, &b, &[8; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(
            other.canonical_bytes(),
            t1.canonical_bytes(),
            "the seed order is part of the transcript"
        );
    }
}

#[test]
fn random_stv_counts_keep_their_invariants() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for i in 0..200 {
        let candidates = 2 + (i % 7) as u32;
        let seats = 1 + (rng.next_u32() % candidates);
        let n = (rng.next_u32() % 60) as usize;
        let b = random_ballots(&mut rng, candidates, n);
        let t =
            count(&Method::Stv { seats }, candidates, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
        conserved(&t);
        assert_eq!(t.elected.len(), seats as usize, "every seat filled");
        let mut sorted = t.elected.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), seats as usize, "no one elected twice");
        for r in &t.rounds {
            for tr in &r.transfers {
                assert_eq!(tr.votes.0, tr.ballots * tr.value.0);
            }
        }
        let irv = count(&Method::Irv, candidates, &b, &SEED).unwrap_or_else(|e| panic!("{e}"));
        conserved(&irv);
    }
}

#[test]
fn votes_have_one_spelling() {
    for (s, units) in [
        ("0", 0),
        ("12", 1_200_000),
        ("0.5", 50_000),
        ("3.33333", 333_333),
        ("0.00001", 1),
    ] {
        assert_eq!(v(s), Votes(units));
        assert_eq!(Votes(units).to_string(), s);
    }
    for bad in [
        "", ".5", "1.", "1.50", "01", "1.000001", "-1", "+1", "1e3", " 1", "1.2.3",
    ] {
        assert!(bad.parse::<Votes>().is_err(), "{bad:?} accepted");
    }
}
