//! The board explorer's routes and the console's sign-in over real HTTP on 127.0.0.1:
//! pages of a board of 10⁵ entries (appended straight to the board: the routes read the board,
//! and an entry they cannot decode is summarized as such), every bad parameter a clear 400;
//! then, on a real election, the readable summaries (a superseded ballot marked, its tracking
//! code found), the ceremony's verdicts, and `GET E/officials` for the right token only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use psephos_board::{Entry, EntryKind};
use serde_json::{json, Value};

const E: &str = "/api/v1/elections/psephos-2026";
const SIZE: u64 = 100_000;

fn kind_of(i: u64) -> EntryKind {
    if i % 1000 == 0 {
        EntryKind::CeremonyMessage
    } else if i % 97 == 0 {
        EntryKind::Challenge
    } else {
        EntryKind::Ballot
    }
}

fn indices(v: &Value) -> Vec<u64> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_pages_of_a_board_of_100_000_entries() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let board = s.hosted.board.clone();
    for start in (0..SIZE).step_by(4000) {
        let end = (start + 4000).min(SIZE);
        board
            .append_all(
                (start..end)
                    .map(|i| Entry::new(kind_of(i), format!("entry {i}").into_bytes()).unwrap())
                    .collect(),
            )
            .await
            .unwrap();
        board.seal_now().await.unwrap();
    }

    // Newest first by default, then the page before.
    let (st, v) = s.get(&format!("{E}/explorer/entries")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(indices(&v), (SIZE - 50..SIZE).rev().collect::<Vec<_>>());
    assert_eq!(v["next_before"], SIZE - 50);
    assert_eq!(v["board_size"], SIZE);
    assert!(v["entries"][0]["summary"]["undecodable"].is_string());
    let (_, v) = s
        .get(&format!(
            "{E}/explorer/entries?before={}&limit=200",
            SIZE - 50
        ))
        .await;
    assert_eq!(
        indices(&v),
        (SIZE - 250..SIZE - 50).rev().collect::<Vec<_>>()
    );

    // Oldest first from an index, to the end of the board.
    let (_, v) = s
        .get(&format!("{E}/explorer/entries?from={}", SIZE - 10))
        .await;
    assert_eq!(indices(&v), (SIZE - 10..SIZE).collect::<Vec<_>>());
    assert!(v["next_from"].is_null());

    // One kind, from the middle of the board.
    let (_, v) = s
        .get(&format!(
            "{E}/explorer/entries?kind=challenge&from=50000&limit=200"
        ))
        .await;
    let want: Vec<u64> = (50_000..SIZE)
        .filter(|&i| kind_of(i) == EntryKind::Challenge)
        .take(200)
        .collect();
    assert_eq!(indices(&v), want);
    assert_eq!(v["next_from"], want[199] + 1);
    assert!(v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] == "challenge"));
    let (_, v) = s
        .get(&format!(
            "{E}/explorer/entries?kind=ceremony_message&limit=5"
        ))
        .await;
    assert_eq!(indices(&v), vec![99_000, 98_000, 97_000, 96_000, 95_000]);
    assert_eq!(v["next_before"], 95_000);

    // Blocks newest first: each seals the entries after its predecessor's.
    let (st, v) = s.get(&format!("{E}/explorer/blocks?limit=5")).await;
    assert_eq!(st, 200, "{v}");
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 5);
    assert_eq!(blocks[0]["tree_size"], SIZE);
    for w in blocks.windows(2) {
        assert_eq!(
            w[0]["number"].as_u64().unwrap(),
            w[1]["number"].as_u64().unwrap() + 1
        );
        assert_eq!(w[0]["first_index"], w[1]["tree_size"]);
    }
    assert!(blocks[0]["checkpoint"]
        .as_str()
        .unwrap()
        .contains(&format!("\n{SIZE}\n")));
    let next = v["next_before"].as_u64().unwrap();
    let (_, v) = s
        .get(&format!("{E}/explorer/blocks?before={next}&limit=50"))
        .await;
    let older = v["blocks"].as_array().unwrap();
    assert_eq!(older[0]["number"].as_u64().unwrap(), next - 1);
    assert_eq!(older.last().unwrap()["first_index"], 0);
    assert!(v["next_before"].is_null());

    // Bad parameters: a clear 400 each, naming what is wrong.
    for (query, says) in [
        ("entries?limit=0", "1 to 200"),
        ("entries?limit=201", "1 to 200"),
        ("entries?kind=vote", "not an entry kind"),
        ("entries?from=1&before=5", "not both"),
        ("entries?from=100001", "the board has"),
        ("entries?from=-1", "invalid query"),
        ("entries?page=2", "invalid query"),
        ("blocks?limit=51", "1 to 50"),
        ("blocks?before=x", "invalid query"),
    ] {
        let got = s.get(&format!("{E}/explorer/{query}")).await;
        expect_error(&got, 400);
        assert!(
            got.1["detail"].as_str().unwrap().contains(says),
            "{query}: {}",
            got.1
        );
    }
    assert_eq!(s.size(), SIZE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_summaries_verdicts_and_the_console_sign_in() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 3);

    // The console's sign-in: this election's officials' token only; nothing changes.
    let (st, v) = s.official(&format!("{E}/officials")).await;
    assert_eq!(st, 405, "{v}"); // a POST: the route is a GET
    let get = |token: Option<String>| {
        let mut r = s.client.get(format!("{}{E}/officials", s.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let r = get(Some(s.token.clone())).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"id": "psephos-2026", "phase": "empty"}));
    assert_eq!(get(None).await.unwrap().status(), 401);
    assert_eq!(get(Some(s.operator.clone())).await.unwrap().status(), 401);
    assert_eq!(get(Some("0".repeat(64))).await.unwrap().status(), 401);
    assert_eq!(s.size(), 0);

    e.open(&s).await;

    // The ceremony's verdicts: all three qualified, no complaint.
    let (_, c) = s.get(&format!("{E}/ceremony")).await;
    assert_eq!(c["complete"], true);
    assert_eq!(c["verdicts"]["qualified"], json!([1, 2, 3]));
    assert_eq!(c["verdicts"]["disqualified"], json!([]));
    assert_eq!(c["complaints"], json!([]));

    // Voter 0 votes twice: the first ballot is superseded, the second counts.
    let mut codes = Vec::new();
    for _ in 0..2 {
        let (b, _) = e.ballot(0, &mut rng);
        let (st, v) = s
            .post(
                &format!("{E}/ballots"),
                &serde_json::to_value(&b).unwrap(),
                false,
            )
            .await;
        assert_eq!(st, 201, "{v}");
        codes.push(v["tracking_code"].as_str().unwrap().to_owned());
    }
    let (_, v) = s.get(&format!("{E}/explorer/entries?kind=ballot")).await;
    let list = v["entries"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["summary"]["tracking_code"], codes[1].as_str());
    assert_eq!(list[0]["summary"]["status"], "cast");
    assert_eq!(list[1]["summary"]["tracking_code"], codes[0].as_str());
    assert_eq!(list[1]["summary"]["status"], "superseded");

    // Every entry of the board summarized: definition, ceremony, credentials, open, ballots.
    let (_, v) = s
        .get(&format!("{E}/explorer/entries?from=0&limit=200"))
        .await;
    let list = v["entries"].as_array().unwrap();
    assert_eq!(list.len() as u64, s.size());
    assert_eq!(list[0]["kind"], "election_definition");
    assert_eq!(list[0]["summary"]["threshold"], 2);
    assert_eq!(list[1]["kind"], "ceremony_message");
    assert_eq!(list[1]["summary"]["round"], 1);
    assert!(list
        .iter()
        .any(|x| x["summary"]["event"] == "ceremony_complete"));
    assert!(list.iter().any(|x| x["summary"]["event"] == "open"));
    assert!(list
        .iter()
        .any(|x| x["kind"] == "credential_list" && x["summary"]["credentials"] == 3));
    assert!(list
        .iter()
        .all(|x| x["summary"].get("undecodable").is_none()));
}
