//! Ranked contests on the board (§11.5, §13.7–13.9): the mixed count (entry kind 16) recounted
//! by the rules from the mix result, and a miscount, a changed round or a dropped row caught by
//! the verifier's check 28 in a record sealed and signed like an honest one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_core::count::{preferences_from_ranks, Method, Votes};
use psephos_core::mixnet::MixResult;
use psephos_core::ranked::{count_ranked, MixedCount, RankedCount};
use psephos_core::tally::TallyResult;
use psephos_record::rules::CountRuleError;
use psephos_record::verify::{verify_record, NoProgress};
use psephos_record::{CheckId, CountedMix, Payload, RuleError, Rules, Status};

const MANIFEST: &str = r#"
[election]
id = "ranked-test"
name = "Ranked election"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
kind = "ranked"
method = "irv"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }, { id = "d", label = "D" }]

[[contests]]
id = "council"
title = "Council"
kind = "ranked"
method = "stv"
seats = 2
max_ranks = 3
options = [{ id = "v", label = "V" }, { id = "w", label = "W" }, { id = "x", label = "X" }, { id = "y", label = "Y" }, { id = "z", label = "Z" }]

[[contests]]
id = "q"
title = "Question"
kind = "referendum"

[[ballot_styles]]
id = "city"
contests = ["mayor", "council", "q"]
"#;

const VOTERS: usize = 14;

/// The mixed election's fixture (`mix.rs`), with this file's manifest.
use crate::mix::{status, Fixture};

/// The honest tallying phase, in pieces a test can change.
struct Tallying {
    /// Mix input, shuffles, tally, shares, mixed shares.
    before_result: Vec<Payload>,
    mix_result: MixResult,
    result: TallyResult,
}

impl Fixture {
    fn ranked() -> Self {
        Fixture::with(MANIFEST, VOTERS, 16, "board.example/ranked-test")
    }

    /// Mixed by trustees 1, 2, 3; decrypted by trustees 1 and 3.
    fn tallying(&mut self) -> Tallying {
        let input = self.input(3);
        let (mut before_result, lists) = self.mix(&input, &[1, 2, 3]);
        // Bounds: each ranked contest's number of candidates.
        let (decryption, mix_result, result) = self.decrypt_by(&lists, &[1, 3], &[4, 5]);
        before_result.extend(decryption);
        Tallying {
            before_result,
            mix_result,
            result,
        }
    }

    fn counts(&self, mix_result: &MixResult) -> Vec<RankedCount> {
        count_ranked(
            self.sim.election.manifest(),
            self.sim.election.hash(),
            mix_result,
        )
        .unwrap()
    }

    /// The rules after voting and the given tallying entries.
    fn rules(&self, after: &[Payload]) -> Rules {
        let mut rules = Rules::new();
        for p in self.voting.iter().chain(after) {
            rules.apply(p).unwrap();
        }
        rules
    }
}

fn count_error(r: Result<psephos_record::Applied, RuleError>) -> CountRuleError {
    match r {
        Err(RuleError::Count(e)) => e,
        other => panic!("expected a mixed-count rule error, got {other:?}"),
    }
}

#[test]
fn a_ranked_election_counts_and_verifies() {
    let mut f = Fixture::ranked();
    let t = f.tallying();
    let counts = f.counts(&t.mix_result);
    assert_eq!(counts.len(), 2);
    let mut after = t.before_result.clone();
    after.push(Payload::MixedCount(MixedCount::new(&t.mix_result, &counts)));
    after.push(Payload::Result(t.result.clone()));
    let rules = f.rules(&after);
    let (on_board, _) = rules.ranked_counts().unwrap();
    assert_eq!(on_board, counts.as_slice());

    // The decrypted rows are the counted ballots' rankings: every row a ranking of distinct
    // candidates followed by blanks (what the simulation's voters cast), one per voter.
    let mayor = &t.mix_result.contests[0];
    assert_eq!(mayor.rows.len(), f.counted.len());
    for row in &mayor.rows {
        let prefs = preferences_from_ranks(row, 4);
        assert_eq!(
            prefs.0.len(),
            row.iter().filter(|&&v| v != 0).count(),
            "{row:?}"
        );
    }
    let irv = &counts[0].transcript;
    assert_eq!(irv.method, Method::Irv);
    assert_eq!(irv.ballots, f.counted.len() as u64);
    assert_eq!(irv.elected.len(), 1);
    let stv = &counts[1].transcript;
    assert_eq!(stv.method, Method::Stv { seats: 2 });
    assert_eq!(stv.elected.len(), 2);

    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(CheckId::RankedCount.number(), 28);
    let c = report
        .checks
        .iter()
        .find(|c| c.id == CheckId::RankedCount)
        .unwrap();
    assert_eq!(c.status, Status::Pass);
    assert_eq!(c.checked, 2, "one per ranked contest");
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("\"council\" (STV, 2 seats)")),
        "{c:?}"
    );
}

#[test]
fn the_rules_refuse_a_misplaced_or_wrong_mixed_count() {
    let mut f = Fixture::ranked();
    let t = f.tallying();
    let counts = f.counts(&t.mix_result);
    let honest = MixedCount::new(&t.mix_result, &counts);

    // Before the mix result: not yet.
    let without_result = &t.before_result[..t.before_result.len() - 1];
    let mut rules = f.rules(without_result);
    let e = count_error(rules.apply(&Payload::MixedCount(honest.clone())));
    assert_eq!(e, CountRuleError::NoMixResult);
    assert!(e.is_conflict());

    let mut rules = f.rules(&t.before_result);
    // The result waits for the mixed count.
    let e = rules.apply(&Payload::Result(t.result.clone()));
    assert_eq!(count_error(e), CountRuleError::Missing);

    // A changed winner.
    let mut bad = counts.clone();
    bad[0].transcript.elected = vec![(bad[0].transcript.elected[0] + 1) % 4];
    let e = count_error(rules.apply(&Payload::MixedCount(MixedCount::new(&t.mix_result, &bad))));
    assert_eq!(
        e,
        CountRuleError::Differs {
            contest: "mayor".into()
        }
    );
    // A changed round: one vote moved between two candidates in STV's first round.
    let mut bad = counts.clone();
    let tallies = &mut bad[1].transcript.rounds[0].tallies;
    tallies[0] = Votes(tallies[0].0 + 100_000);
    tallies[1] = Votes(tallies[1].0.saturating_sub(100_000));
    let e = count_error(rules.apply(&Payload::MixedCount(MixedCount::new(&t.mix_result, &bad))));
    assert_eq!(
        e,
        CountRuleError::Differs {
            contest: "council".into()
        }
    );
    // A count of the rows with one ballot dropped.
    let mut fewer = t.mix_result.clone();
    fewer.contests[0].rows.pop();
    let e = count_error(rules.apply(&Payload::MixedCount(MixedCount::new(
        &t.mix_result,
        &f.counts(&fewer),
    ))));
    assert_eq!(
        e,
        CountRuleError::Differs {
            contest: "mayor".into()
        }
    );
    // A contest left out, or the count of other lists.
    let mut short = honest.clone();
    short.ranked.pop();
    let e = count_error(rules.apply(&Payload::MixedCount(short)));
    assert!(matches!(e, CountRuleError::ContestCount { .. }), "{e:?}");
    let mut other = honest.clone();
    other.lists.0[0] ^= 1;
    let e = count_error(rules.apply(&Payload::MixedCount(other)));
    assert_eq!(e, CountRuleError::WrongLists);
    // Nothing refused changed the state: the honest count is accepted, once.
    assert!(rules.ranked_counts().is_none());
    rules.apply(&Payload::MixedCount(honest.clone())).unwrap();
    let e = count_error(rules.apply(&Payload::MixedCount(honest)));
    assert_eq!(e, CountRuleError::Posted);
    rules.apply(&Payload::Result(t.result)).unwrap();
}

/// The server counts once, off its lock, and hands the rules a `CountedMix`: accepted as it is
/// when counted from the rows on the board, recounted (and refused) when counted from others.
#[test]
fn a_counted_mix_is_taken_as_counted_only_from_the_rows_on_the_board() {
    let mut f = Fixture::ranked();
    let t = f.tallying();
    let election = &f.sim.election;

    // Rows with one ballot dropped but the same lists digest: the shortcut must not apply.
    let mut fewer = t.mix_result.clone();
    fewer.contests[0].rows.pop();
    assert_eq!(fewer.lists, t.mix_result.lists);
    let forged = CountedMix::count(election, fewer).unwrap();
    let mut rules = f.rules(&t.before_result);
    let e = count_error(rules.apply_counted_mix(&forged));
    assert_eq!(
        e,
        CountRuleError::Differs {
            contest: "mayor".into()
        }
    );
    assert!(rules.ranked_counts().is_none());

    // Counted from the board's rows: accepted, the same entry and counts as a recount.
    let honest = CountedMix::count(election, t.mix_result.clone()).unwrap();
    let counts = f.counts(&t.mix_result);
    assert_eq!(
        honest.mixed_count(),
        &MixedCount::new(&t.mix_result, &counts)
    );
    rules.apply_counted_mix(&honest).unwrap();
    assert_eq!(rules.ranked_counts().unwrap().0, counts.as_slice());
    let e = count_error(rules.apply_counted_mix(&honest));
    assert_eq!(e, CountRuleError::Posted);
    rules.apply(&Payload::Result(t.result)).unwrap();
}

/// Records that a dishonest board would publish, sealed and signed like an honest one: each
/// caught by check 28, and the result after it refused.
#[test]
fn the_verifier_catches_a_miscount_a_changed_round_and_a_dropped_row() {
    let mut f = Fixture::ranked();
    let t = f.tallying();
    let counts = f.counts(&t.mix_result);
    let sealed = |f: &Fixture, count: MixedCount| {
        let mut after = t.before_result.clone();
        after.push(Payload::MixedCount(count));
        after.push(Payload::Result(t.result.clone()));
        verify_record(&f.seal(&after), &mut NoProgress)
    };
    // The honest record passes.
    let report = sealed(&f, MixedCount::new(&t.mix_result, &counts));
    assert!(report.passed, "{:?}", report.failed());

    // A changed winner.
    let mut bad = counts.clone();
    bad[1].transcript.elected.reverse();
    let report = sealed(&f, MixedCount::new(&t.mix_result, &bad));
    assert!(!report.passed);
    let c = report
        .checks
        .iter()
        .find(|c| c.id == CheckId::RankedCount)
        .unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.details.iter().any(|d| d.contains("\"council\"")), "{c:?}");
    assert_eq!(status(&report, CheckId::MixResult), Status::Pass);

    // A changed round (the transfers of the last IRV round dropped).
    let mut bad = counts.clone();
    let last = bad[0].transcript.rounds.len() - 1;
    bad[0].transcript.rounds[last].transfers.clear();
    let report = sealed(&f, MixedCount::new(&t.mix_result, &bad));
    assert_eq!(status(&report, CheckId::RankedCount), Status::Fail);

    // A count that leaves one decrypted row out.
    let mut fewer = t.mix_result.clone();
    fewer.contests[1].rows.remove(0);
    let report = sealed(&f, MixedCount::new(&t.mix_result, &f.counts(&fewer)));
    assert_eq!(status(&report, CheckId::RankedCount), Status::Fail);
    assert_ne!(status(&report, CheckId::TallyResult), Status::Pass);
}
