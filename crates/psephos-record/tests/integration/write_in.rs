//! Write-in contests on the board (§6.2, §11.5, §13.11): their counts — the listed options,
//! the written names with their counts, the invalid write-ins — carried by the mixed count
//! (entry kind 16) and recounted from the decrypted rows by the rules; a changed count, a
//! dropped name or a dropped row caught by the verifier's check 29 in a record sealed and signed
//! like an honest one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_core::election::WRITE_IN_COLUMN_MAX;
use psephos_core::ranked::MixedCount;
use psephos_core::write_in::count_write_ins;
use psephos_record::verify::{verify_record, NoProgress};
use psephos_record::{CheckId, Payload, Status};

use crate::mix::{status, Fixture};

const MANIFEST: &str = r#"
[election]
id = "write-in-test"
name = "Write-in election"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "sheriff"
title = "Sheriff"
kind = "plurality"
count = "mix"
blank_allowed = true
write_ins = 1
write_in_max_bytes = 12
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]

[[contests]]
id = "q"
title = "Question"
kind = "referendum"

[[ballot_styles]]
id = "city"
contests = ["sheriff", "q"]
"#;

const VOTERS: usize = 16;

#[test]
fn write_ins_are_counted_on_the_board_and_tampering_is_caught() {
    let mut f = Fixture::with(MANIFEST, VOTERS, 5, "board.example/write-in-test");
    let input = f.input(3);
    let (mut before, lists) = f.mix(&input, &[1, 2, 3]);
    let (decryption, mix_result, result) = f.decrypt_by(&lists, &[1, 3], &[WRITE_IN_COLUMN_MAX]);
    before.extend(decryption);

    // The rules recount the write-ins from the rows: what the server posts.
    let mut rules = psephos_record::Rules::new();
    for p in f.voting.iter().chain(&before) {
        rules.apply(p).unwrap();
    }
    assert!(rules.needs_mixed_count() && !rules.has_ranked_contests());
    let (honest, ranked) = rules.recount().unwrap();
    assert!(ranked.is_empty());
    assert_eq!(honest.write_ins.len(), 1);
    let (id, count) = &honest.write_ins[0];
    assert_eq!(id, "sheriff");
    let contest = &f.sim.election.manifest().contests[0];
    assert_eq!(
        count,
        &count_write_ins(contest, &mix_result.contests[0].rows).unwrap()
    );
    assert_eq!(count.ballots, VOTERS as u64);
    assert!(
        !count.names.is_empty(),
        "the simulated voters write names in"
    );
    assert!(count.names.windows(2).all(|w| w[0].1 >= w[1].1));
    // The result needs the mixed count first.
    assert!(rules.apply(&Payload::Result(result.clone())).is_err());

    let sealed = |f: &Fixture, count: MixedCount| {
        let mut after = before.clone();
        after.push(Payload::MixedCount(count));
        after.push(Payload::Result(result.clone()));
        verify_record(&f.seal(&after), &mut NoProgress)
    };
    let report = sealed(&f, honest.clone());
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(status(&report, CheckId::WriteIns), Status::Pass);
    assert_eq!(CheckId::WriteIns.number(), 29);
    assert_eq!(CheckId::WriteIns.id(), "mix.write_ins");
    assert_eq!(status(&report, CheckId::RankedCount), Status::NotApplicable);
    assert_eq!(report.write_ins.len(), 1);
    assert_eq!(report.write_ins[0].names, count.names);

    let caught = |bad: MixedCount| {
        let report = sealed(&f, bad);
        assert!(!report.passed);
        let c = report.check(CheckId::WriteIns).unwrap();
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.details.iter().any(|d| d.contains("\"sheriff\"")), "{c:?}");
        assert_ne!(status(&report, CheckId::TallyResult), Status::Pass);
        assert_eq!(status(&report, CheckId::MixResult), Status::Pass);
    };
    // A changed write-in count.
    let mut bad = honest.clone();
    bad.write_ins[0].1.names[0].1 += 1;
    caught(bad);
    // A dropped name.
    let mut bad = honest.clone();
    bad.write_ins[0].1.names.pop();
    caught(bad);
    // Fewer invalid write-ins than the rows show, or a listed count changed.
    let mut bad = honest.clone();
    bad.write_ins[0].1.invalid += 1;
    caught(bad);
    // A count that leaves one decrypted row out.
    let mut fewer = mix_result.contests[0].rows.clone();
    fewer.remove(0);
    let mut bad = honest.clone();
    bad.write_ins[0].1 = count_write_ins(contest, &fewer).unwrap();
    caught(bad);
    // The write-in counts left out altogether: the mixed count lists too few contests.
    let mut bad = honest.clone();
    bad.write_ins.clear();
    let report = sealed(&f, bad);
    assert!(!report.passed);
    assert_ne!(status(&report, CheckId::TallyResult), Status::Pass);
}
