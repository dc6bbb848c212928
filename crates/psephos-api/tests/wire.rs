//! The wire format did not change when the bodies became types: a few representative bodies,
//! serialized as the server sends them, are byte for byte what the server sent before (the
//! JSON maps it built by hand, reproduced here as they were, and the literal text of the
//! structs it serialized). And every body reads back to the value it came from.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_api::ballots::{BallotCast, BallotStatus, NotSealed, TrackedBallot};
use psephos_api::board::BoardSize;
use psephos_api::election::{AwaitingByRound, CeremonyProgress, ElectionStatus, Posted};
use psephos_api::explorer::{ControlEvent, EntriesPage, EntrySummary, Summary};
use psephos_api::service::{ListedElection, ListedStatus, Ready};
use psephos_api::{sorted, ErrorBody, ErrorCode};
use psephos_board::EntryKind;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_record::{Counts, Phase};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// `body` sent sorted is exactly `before`, and reads back to itself.
fn same_as_map<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    body: &T,
    before: serde_json::Value,
) {
    let now = text(sorted(body).unwrap());
    assert_eq!(now, before.to_string());
    assert_eq!(&serde_json::from_str::<T>(&now).unwrap(), body);
}

/// `body` sent as declared is exactly `before`, and reads back to itself.
fn same_as_text<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    body: &T,
    before: &str,
) {
    let now = serde_json::to_string(body).unwrap();
    assert_eq!(now, before);
    assert_eq!(&serde_json::from_str::<T>(&now).unwrap(), body);
}

#[test]
fn a_cast_ballot_and_its_look_up_are_as_before() {
    let hash = Digest([7; 32]);
    let body = BallotCast {
        tracking_code: "ABCD-EFGH-JKMN-PQRS".into(),
        ballot_hash: hash,
        index: 42,
        superseded: Some(17),
        receipt_url: "/api/v1/elections/e/receipts/42".into(),
    };
    same_as_map(
        &body,
        json!({
            "tracking_code": "ABCD-EFGH-JKMN-PQRS",
            "ballot_hash": hash,
            "index": 42,
            "superseded": 17,
            "receipt_url": "/api/v1/elections/e/receipts/42",
        }),
    );
    let text = text(sorted(&body).unwrap());
    assert!(text.starts_with(&format!(
        "{{\"ballot_hash\":\"{}\",\"index\":42,",
        "07".repeat(32)
    )));
    for (status, name) in [
        (BallotStatus::Cast, "cast"),
        (BallotStatus::Superseded, "superseded"),
        (BallotStatus::Challenged, "challenged"),
    ] {
        same_as_map(
            &TrackedBallot {
                status,
                index: 3,
                ballot_hash: hash,
                tracking_code: "ABCD-EFGH-JKMN-PQRS".into(),
            },
            json!({
                "status": name,
                "index": 3,
                "ballot_hash": hash,
                "tracking_code": "ABCD-EFGH-JKMN-PQRS",
            }),
        );
    }
}

#[test]
fn the_error_body_is_as_before() {
    same_as_text(
        &ErrorBody {
            error: ErrorCode::WrongPhase,
            detail: "voting is not open".into(),
        },
        r#"{"error":"wrong_phase","detail":"voting is not open"}"#,
    );
    // What a client meets from an older or newer server with a code it does not know.
    assert!(serde_json::from_str::<ErrorBody>(r#"{"error":"nope","detail":""}"#).is_err());
}

#[test]
fn the_service_list_status_and_readiness_are_as_before() {
    same_as_map(
        &vec![
            ListedElection {
                id: "a".into(),
                origin: "o/a".into(),
                verifier_key: "k".into(),
                phase: Some(Phase::KeyReady),
                status: ListedStatus::Ok,
            },
            ListedElection {
                id: "b".into(),
                origin: "o/b".into(),
                verifier_key: "k".into(),
                phase: None,
                status: ListedStatus::Failed,
            },
        ],
        json!([
            { "id": "a", "origin": "o/a", "verifier_key": "k", "phase": Phase::KeyReady, "status": "ok" },
            { "id": "b", "origin": "o/b", "verifier_key": "k", "phase": null, "status": "failed" },
        ]),
    );
    let counts = Counts {
        entries: 9,
        ballots_cast: 2,
        ..Counts::default()
    };
    same_as_map(
        &ElectionStatus {
            phase: Phase::Ceremony,
            counts,
            ceremony: Some(CeremonyProgress {
                round: 2,
                accepted: 5,
                awaiting: vec![3],
                awaiting_by_round: AwaitingByRound {
                    commitments: vec![],
                    shares: vec![3],
                    reveals: vec![1, 3],
                },
            }),
            board_size: 9,
        },
        json!({
            "phase": Phase::Ceremony,
            "counts": counts,
            "ceremony": {
                "round": 2,
                "accepted": 5,
                "awaiting": [3],
                "awaiting_by_round": { "1": [], "2": [3], "4": [1, 3] },
            },
            "board_size": 9,
        }),
    );
    same_as_map(
        &ElectionStatus {
            phase: Phase::Open,
            counts,
            ceremony: None,
            board_size: 9,
        },
        json!({ "phase": Phase::Open, "counts": counts, "ceremony": null, "board_size": 9 }),
    );
    same_as_map(
        &Ready {
            ready: true,
            reason: None,
        },
        json!({ "ready": true }),
    );
    same_as_map(
        &Ready {
            ready: false,
            reason: Some("stopping".into()),
        },
        json!({ "ready": false, "reason": "stopping" }),
    );
    same_as_map(&Posted { index: 4 }, json!({ "index": 4 }));
}

#[test]
fn board_shapes_are_as_before() {
    same_as_text(
        &BoardSize {
            size: 10,
            sealed_size: 8,
        },
        r#"{"size":10,"sealed_size":8}"#,
    );
    same_as_map(
        &NotSealed {
            index: 5,
            sealed: false,
            detail: "appended; not yet sealed into a block — retry shortly".into(),
        },
        json!({
            "index": 5,
            "sealed": false,
            "detail": "appended; not yet sealed into a block — retry shortly",
        }),
    );
}

#[test]
fn explorer_summaries_are_as_before_and_read_back_as_their_kind() {
    let credential = Point::identity();
    let entries = vec![
        EntrySummary {
            index: 9,
            kind: EntryKind::Ballot,
            summary: Summary::Ballot {
                tracking_code: "ABCD-EFGH-JKMN-PQRS".into(),
                style: "main".into(),
                credential,
                status: BallotStatus::Superseded,
            },
        },
        EntrySummary {
            index: 8,
            kind: EntryKind::CeremonyMessage,
            summary: Summary::Ceremony {
                round: 3,
                from: 2,
                against: Some(1),
                reason: Some("bad share".into()),
                to: None,
            },
        },
        EntrySummary {
            index: 7,
            kind: EntryKind::Control,
            summary: Summary::Control {
                event: ControlEvent::Open,
                qualified: None,
                joint_key: None,
                election_hash: None,
            },
        },
        EntrySummary {
            index: 6,
            kind: EntryKind::DecryptionShare,
            summary: Summary::Share { trustee: 2 },
        },
    ];
    let page = EntriesPage {
        entries,
        next_from: None,
        next_before: Some(6),
        board_size: 10,
    };
    same_as_map(
        &page,
        json!({
            "entries": [
                { "index": 9, "kind": EntryKind::Ballot, "summary": {
                    "tracking_code": "ABCD-EFGH-JKMN-PQRS", "style": "main",
                    "credential": credential, "status": "superseded" } },
                { "index": 8, "kind": EntryKind::CeremonyMessage, "summary": {
                    "round": 3, "from": 2, "against": 1, "reason": "bad share" } },
                { "index": 7, "kind": EntryKind::Control, "summary": { "event": "open" } },
                { "index": 6, "kind": EntryKind::DecryptionShare, "summary": { "trustee": 2 } },
            ],
            "next_from": null,
            "next_before": 6,
            "board_size": 10,
        }),
    );
}
