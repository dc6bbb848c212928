//! Write-ins through the browser's functions, natively, on the sample ranked election's
//! "harbour-master" contest (plurality, one write-in of at most 40 bytes): live feedback counts
//! bytes after NFC, the row is the core's encoding, the contest rule counts a name as a
//! selection, and a challenged ballot opens with the name in words — read by the count's rule,
//! so a slot the count would reject is shown as invalid, and a device that reveals another name
//! than it encrypted is caught.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_core::ballot::PlaintextBallot;
use psephos_core::election::{Contest, Manifest};
use psephos_core::write_in::contest_values;
use psephos_record::Challenged;
use psephos_wasm::booth::Booth;
use psephos_wasm::choices::{check_contest, ChoiceProblem};
use psephos_wasm::election::ElectionInfo;
use psephos_wasm::write_in::{
    name_feedback, read_names, row, row_json, NameFeedback, RowResult, SlotView, WriteInProblem,
};
use psephos_wasm::{challenge, Error};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

use crate::browser_api::{code, election_json_of};

const RANKED: &str = include_str!("../../../../election-config/ranked-2026.toml");

fn contest(id: &str) -> Contest {
    let m = Manifest::from_toml(RANKED).unwrap();
    m.contests.into_iter().find(|c| c.id == id).unwrap()
}

fn harbour() -> Contest {
    contest("harbour-master")
}

fn ok_values(r: RowResult) -> (Vec<u64>, Vec<String>) {
    match r {
        RowResult::Ok { values, names } => (values, names),
        RowResult::Invalid { problem } => panic!("unexpected problem {problem:?}"),
    }
}

fn problem(r: RowResult) -> WriteInProblem {
    match r {
        RowResult::Invalid { problem } => problem,
        RowResult::Ok { .. } => panic!("expected a problem"),
    }
}

#[test]
fn a_name_is_measured_in_bytes_after_normalisation() {
    let c = harbour();
    // "Zoë" typed decomposed (o + combining diaeresis) and padded: composed, trimmed, 4 bytes.
    assert_eq!(
        name_feedback(&c, 1, "  Zoe\u{308} "),
        NameFeedback {
            name: "Zoë".into(),
            bytes: 4,
            max: 40,
            remaining: 36,
            problem: None
        }
    );
    // Exactly 40 bytes is allowed; 21 accented letters are 42 bytes, 2 too many.
    let forty = "x".repeat(40);
    let f = name_feedback(&c, 1, &forty);
    assert_eq!((f.remaining, f.problem), (0, None));
    let accented = "é".repeat(21);
    let f = name_feedback(&c, 1, &accented);
    assert_eq!(f.remaining, -2);
    assert_eq!(
        f.problem,
        Some(WriteInProblem::TooLong {
            slot: 1,
            name: accented.clone(),
            bytes: 42,
            max: 40
        })
    );
    // A tab inside a name; an empty field is no problem (the slot may be unused).
    assert!(matches!(
        name_feedback(&c, 1, "Ada\tLovelace").problem,
        Some(WriteInProblem::Control { slot: 1, .. })
    ));
    let f = name_feedback(&c, 1, "   ");
    assert_eq!((f.bytes, f.problem), (0, None));
    // A contest without write-ins.
    assert_eq!(
        name_feedback(&contest("mayor"), 1, "Ada").problem,
        Some(WriteInProblem::NotAllowed)
    );
    // The page's JSON form.
    let v = serde_json::to_value(name_feedback(&c, 1, &accented)).unwrap();
    assert_eq!(v["problem"]["code"], "too_long");
    assert_eq!(v["problem"]["bytes"], 42);
}

#[test]
fn the_row_is_the_cores_encoding_and_a_name_counts_as_a_selection() {
    let c = harbour();
    assert_eq!(c.width(), 2 + 1 + 14);
    // A written name, typed decomposed.
    let (values, names) = ok_values(row(&c, &[0, 0], &[Some(" Zoe\u{308} Ng ".into())]));
    assert_eq!(names, ["Zoë Ng"]);
    assert_eq!(values, contest_values(&c, &[0, 0], &["Zoë Ng"]).unwrap());
    assert_eq!(values.len(), c.width());
    assert_eq!(values[2], 1, "the slot is used");
    assert_eq!(check_contest(&c, &json_values(&values)), None);
    // A listed option and the slot not ticked (its text, if any, is not sent).
    let (values, names) = ok_values(row(&c, &[0, 1], &[None]));
    assert!(names.is_empty());
    assert_eq!(values[..3], [0, 1, 0]);
    assert!(values[3..].iter().all(|&v| v == 0));
    assert_eq!(check_contest(&c, &json_values(&values)), None);
    // A listed option and a name: two selections in a choose-one contest.
    let (both, _) = ok_values(row(&c, &[1, 0], &[Some("Ada".into())]));
    let p = check_contest(&c, &json_values(&both)).unwrap();
    assert!(matches!(p, ChoiceProblem::Rule(_)));
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({ "code": "over_limit", "used": 2, "total": 1 })
    );

    // Each problem names its field.
    assert_eq!(
        problem(row(&c, &[0, 0], &[Some(" \t ".into())])),
        WriteInProblem::Empty { slot: 1 }
    );
    assert!(matches!(
        problem(row(&c, &[0, 0], &[Some("é".repeat(21))])),
        WriteInProblem::TooLong {
            slot: 1,
            bytes: 42,
            max: 40,
            ..
        }
    ));
    assert!(matches!(
        problem(row(&c, &[0, 0], &[Some("a\nb".into())])),
        WriteInProblem::Control { slot: 1, .. }
    ));
    assert_eq!(
        problem(row(&c, &[0, 0], &[Some("A".into()), Some("B".into())])),
        WriteInProblem::TooMany { slots: 1, got: 2 }
    );
    assert_eq!(
        problem(row(&c, &[0, 0, 0], &[None])),
        WriteInProblem::Listed {
            expected: 2,
            got: 3
        }
    );
    assert_eq!(
        problem(row(&contest("mayor"), &[0, 0, 0, 0], &[])),
        WriteInProblem::NotAllowed
    );
    // The JSON call: what the page sends, and malformed input is an error, not a panic.
    let cj = serde_json::to_string(&c).unwrap();
    let r = serde_json::to_value(row_json(&cj, "[0,0]", r#"["Ada"]"#).unwrap()).unwrap();
    assert_eq!(r["status"], "ok");
    assert_eq!(r["names"], json!(["Ada"]));
    let r = serde_json::to_value(row_json(&cj, "[0,0]", r#"[""]"#).unwrap()).unwrap();
    assert_eq!(
        r,
        json!({ "status": "invalid", "problem": { "code": "empty", "slot": 1 } })
    );
    assert!(matches!(
        row_json(&cj, "[0,0]", "[3]"),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        row_json(&cj, "[-1,0]", "[null]"),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn slots_are_read_back_by_the_counts_rule() {
    let c = harbour();
    let (values, _) = ok_values(row(&c, &[0, 0], &[Some("Ada Lovelace".into())]));
    assert_eq!(
        read_names(&c, &values).unwrap(),
        [SlotView::Name {
            slot: 1,
            name: "Ada Lovelace".into()
        }]
    );
    let (unused, _) = ok_values(row(&c, &[1, 0], &[None]));
    assert_eq!(
        read_names(&c, &unused).unwrap(),
        [SlotView::Unused { slot: 1 }]
    );
    // Text after the name's end (which the proofs allow): the count rejects it, so does this.
    let mut bad = values.clone();
    bad[c.width() - 1] = 0x41_0000;
    assert_eq!(
        read_names(&c, &bad).unwrap(),
        [SlotView::Invalid { slot: 1 }]
    );
    // A row of the wrong width; a contest without write-ins has no slots.
    assert!(matches!(
        read_names(&c, &values[1..]),
        Err(Error::Malformed { .. })
    ));
    assert!(read_names(&contest("mayor"), &[1, 2, 0, 0])
        .unwrap()
        .is_empty());
}

fn json_values(values: &[u64]) -> Vec<Value> {
    values.iter().map(|&v| json!(v)).collect()
}

/// The sample's whole ballot with `harbour` as the harbour master's row.
fn ballot_with(harbour: &[u64]) -> String {
    json!({"style": "city", "contests": [
        {"contest": "mayor", "values": [1, 0, 0, 0]},
        {"contest": "council", "values": [2, 0, 0, 0]},
        {"contest": "night-buses", "values": [0, 1]},
        {"contest": "harbour-master", "values": harbour},
    ]})
    .to_string()
}

#[test]
fn a_written_name_is_encrypted_challenged_and_shown_in_words() {
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let ej = election_json_of(RANKED, &mut rng).to_string();
    let info = ElectionInfo::parse(&ej).unwrap();
    let election = info.election().unwrap();
    let mut booth = Booth::new(&ej).unwrap();
    let c = code(&mut rng);
    let h = harbour();

    let (values, _) = ok_values(row(
        &h,
        &[0, 0],
        &[Some("Zoe\u{308} A\u{30a}ngstro\u{308}m".into())],
    ));
    let choices = ballot_with(&values);
    let enc = booth.encrypt(&c, &choices, &mut rng).unwrap();
    assert_eq!(enc.ballot.contests[3].ciphertexts.len(), h.width());
    let body = booth.challenge().unwrap();
    let opened = challenge::open_json(election, &serde_json::to_string(&body).unwrap()).unwrap();
    let expected: PlaintextBallot = serde_json::from_str(&choices).unwrap();
    assert_eq!(opened.choices, expected);
    let written = &opened.contests[3];
    assert_eq!(
        written.write_ins,
        [SlotView::Name {
            slot: 1,
            name: "Zoë Ångström".into()
        }]
    );
    // In words: the listed options, then the slot; no raw text columns.
    assert_eq!(
        written.options,
        [
            ("Grace Ng".to_string(), 0),
            ("Marco Silva".to_string(), 0),
            ("Write-in 1: Zoë Ångström".to_string(), 1),
        ]
    );
    // The page's JSON: write_ins only on the write-in contest.
    let v = serde_json::to_value(&opened).unwrap();
    assert_eq!(
        v["contests"][3]["write_ins"],
        json!([{ "status": "name", "slot": 1, "name": "Zoë Ångström" }])
    );
    assert!(v["contests"][0].get("write_ins").is_none());

    // A device that reveals another name than it encrypted (one text column changed): caught.
    let challenged = Challenged {
        ballot: body.ballot.clone(),
        reveal: body.reveal.clone(),
    };
    let mut lie = challenged.clone();
    lie.reveal.contests[3][3].value ^= 0x01_0000;
    assert!(matches!(
        challenge::open(election, &lie, None),
        Err(Error::Verify(_))
    ));

    // A listed choice: the slot opens as not used.
    let (listed, _) = ok_values(row(&h, &[0, 1], &[None]));
    booth.encrypt(&c, &ballot_with(&listed), &mut rng).unwrap();
    let body = booth.challenge().unwrap();
    let opened = challenge::open_json(election, &serde_json::to_string(&body).unwrap()).unwrap();
    assert_eq!(opened.contests[3].write_ins, [SlotView::Unused { slot: 1 }]);
    assert_eq!(
        opened.contests[3].options[1..],
        [
            ("Marco Silva".to_string(), 1),
            ("Write-in 1: not used".to_string(), 0),
        ]
    );

    // A slot the proofs accept but the count rejects (a byte after the name's end) opens as
    // an invalid write-in, so the voter sees that it would not count.
    let mut odd = values.clone();
    odd[h.width() - 1] = 0x41_0000;
    booth.encrypt(&c, &ballot_with(&odd), &mut rng).unwrap();
    let body = booth.challenge().unwrap();
    let opened = challenge::open_json(election, &serde_json::to_string(&body).unwrap()).unwrap();
    assert_eq!(
        opened.contests[3].write_ins,
        [SlotView::Invalid { slot: 1 }]
    );
    assert!(opened.contests[3].options[2].0.contains("not a valid name"));

    // A name and a listed option in a choose-one contest: the booth refuses to encrypt.
    let (both, _) = ok_values(row(&h, &[1, 0], &[Some("Ada".into())]));
    assert!(matches!(
        booth.encrypt(&c, &ballot_with(&both), &mut rng),
        Err(Error::Choices(_))
    ));
}
