//! The sample ranked election (`election-config/ranked-2026.toml`: an IRV contest, an STV
//! contest of two seats, a homomorphic referendum and a plurality contest with a write-in) end
//! to end, as the users run it: a real
//! `psephos serve` on SQLite, the key ceremony by three trustee processes, ranked ballots cast
//! over HTTP (some with a repeated candidate or a blank before a preference, which the proofs
//! cannot refuse), `psephos election mix`, three `psephos trustee mix` processes, the tally,
//! `psephos trustee decrypt` by two trustees, the mixed count the server posts (ranked counts and
//! written-in names), and `psephos verify` recounting it (checks 28 and 29).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use super::mixnet::{
    cast, credential_codes, defined_with, free_port, open_voting_style, run_ceremonies, wait_ok,
    Env, TRUSTEES,
};
use psephos_core::ballot::encrypt_ballot;
use psephos_core::mixnet::MixResult;
use psephos_core::ranked::count_ranked;
use psephos_core::write_in::contest_values;
use std::process::Child;

const VOTERS: usize = 10;

fn sample() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../election-config/ranked-2026.toml"
    ))
    .unwrap()
}

fn sorted(mut rows: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    rows.sort();
    rows
}

#[test]
fn the_sample_ranked_election_runs_end_to_end_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        port: free_port(),
        election: "ranked-2026",
    };
    let (_server, token, board_key) = defined_with(&env, &sample());
    run_ceremonies(&env, &TRUSTEES);
    let (rt, http, _, manifest, election) = open_voting_style(&env, &token, VOTERS, "city");

    // Rank rows as cast: mayor (4 positions of 4 candidates), council (4 positions of 5).
    let crafted: [([u64; 4], [u64; 4]); 3] = [
        // A candidate ranked twice: preferences end at the repetition (mayor: 2 only).
        ([2, 2, 1, 0], [1, 2, 3, 4]),
        // A blank first rank: a blank ballot for the mayor, whatever follows.
        ([0, 3, 0, 0], [5, 0, 0, 0]),
        // Every candidate ranked.
        ([4, 3, 2, 1], [2, 1, 0, 0]),
    ];
    // The harbour master (contest 3): write-ins, two of one name (one typed with a combining
    // accent, which the encoder composes), one lower-case — another name — and a listed option.
    let harbour = &manifest.contests[3];
    let written: [(&[u64], &[&str]); 10] = [
        (&[0, 0], &["Zoe\u{308} Okafor"]),
        (&[0, 0], &["  Zoë Okafor "]),
        (&[0, 0], &["zoë okafor"]),
        (&[0, 1], &[]),
        (&[1, 0], &[]),
        (&[0, 0], &["R. Mutt"]),
        (&[0, 0], &[]),
        (&[1, 0], &[]),
        (&[0, 0], &["Zoë Okafor"]),
        (&[0, 1], &[]),
    ];
    let (mut mayor, mut council) = (Vec::new(), Vec::new());
    for (i, code) in credential_codes(&env.dir.join("credentials.secret.csv"))
        .into_iter()
        .enumerate()
    {
        let mut plain =
            psephos_core::sim::random_ballot(&manifest, "city", &mut rand_core::OsRng).unwrap();
        if let Some((m, c)) = crafted.get(i) {
            plain.contests[0].values = m.to_vec();
            plain.contests[1].values = c.to_vec();
        }
        let (listed, names) = written[i];
        plain.contests[3].values = contest_values(harbour, listed, names).unwrap();
        mayor.push(plain.contests[0].values.clone());
        council.push(plain.contests[1].values.clone());
        let (ballot, _) = encrypt_ballot(
            &election,
            &code.secret(&manifest.id),
            &plain,
            &mut rand_core::OsRng,
        )
        .unwrap();
        assert_eq!(ballot.contests[0].ciphertexts.len(), 4, "one per rank");
        cast(&rt, &http, &env, &ballot);
    }
    env.ok(&["election", "close"], Some(&token));
    let posted: serde_json::Value =
        serde_json::from_str(&env.ok(&["election", "mix"], Some(&token))).unwrap();
    assert_eq!(posted["lists"][0]["contest"], "mayor");
    assert_eq!(posted["lists"][0]["width"], 4);
    assert_eq!(posted["lists"][1]["width"], 4);
    assert_eq!(posted["lists"][0]["rows"], VOTERS);
    let mixers: Vec<Child> = TRUSTEES
        .iter()
        .map(|t| env.trustee("mix", t, &board_key))
        .collect();
    for c in mixers {
        wait_ok(c);
    }
    env.ok(&["election", "tally"], Some(&token));
    wait_ok(env.trustee("decrypt", "t1", &board_key));
    let d = wait_ok(env.trustee("decrypt", "t3", &board_key));
    assert!(
        d["result_index"].is_u64(),
        "the result follows the mixed count: {d}"
    );

    let get = |path: &str| -> serde_json::Value {
        rt.block_on(async {
            let r = http.get(env.api(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json().await.unwrap()
        })
    };
    // The decrypted rows are exactly the rankings cast, in another order.
    let mix: serde_json::Value = get("/mix/result");
    let result: MixResult = serde_json::from_value(mix.clone()).unwrap();
    assert_eq!(sorted(result.contests[0].rows.clone()), sorted(mayor));
    assert_eq!(sorted(result.contests[1].rows.clone()), sorted(council));
    // The mixed count the server posted is the count of those rows, recomputed here.
    let count = get("/mix/count");
    let mine = count_ranked(&manifest, election.hash(), &result).unwrap();
    assert_eq!(count["contests"].as_array().unwrap().len(), 2);
    for (theirs, mine) in count["contests"].as_array().unwrap().iter().zip(&mine) {
        assert_eq!(theirs["contest"], mine.contest.as_str());
        assert_eq!(
            theirs["transcript"],
            serde_json::to_value(&mine.transcript).unwrap()
        );
    }
    let irv = &mine[0].transcript;
    assert_eq!(irv.ballots, VOTERS as u64);
    assert_eq!(irv.blank, 1, "the ballot whose first rank is blank");
    assert_eq!(irv.elected.len(), 1);
    assert_eq!(mine[1].transcript.elected.len(), 2, "two council seats");
    // The write-ins: names with their counts, most first, compared by bytes after NFC.
    let w = &count["write_ins"][0];
    assert_eq!(w["contest"], "harbour-master");
    assert_eq!(w["ballots"], VOTERS as u64);
    assert_eq!(w["counts"], serde_json::json!([2, 2]));
    assert_eq!(
        w["names"],
        serde_json::json!([["Zoë Okafor", 3], ["R. Mutt", 1], ["zoë okafor", 1]])
    );
    assert_eq!(w["invalid"], 0);
    assert!(count["index"].as_u64().unwrap() < get("/result")["index"].as_u64().unwrap());

    // The whole record, by the verifier as a user runs it, with the board key pinned; the
    // server seals every 200 ms, so until the last entries are sealed the verifier sees less.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = env
            .psephos()
            .args(["verify", &env.base(), "--json", "--board-key", &board_key])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let check = |id: &str| {
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .unwrap()
        };
        if check("tally.result")["status"] == "pass" || std::time::Instant::now() > deadline {
            assert!(out.status.success(), "{report:#}");
            for id in [
                "mix.result",
                "mix.counts",
                "mix.ranked",
                "mix.write_ins",
                "tally.result",
            ] {
                assert_eq!(check(id)["status"], "pass", "{id}: {report:#}");
            }
            assert_eq!(check("mix.ranked")["number"], 28);
            assert_eq!(check("mix.ranked")["checked"], 2, "{report:#}");
            assert_eq!(check("mix.write_ins")["number"], 29);
            assert_eq!(
                report["write_ins"][0]["names"][0],
                serde_json::json!(["Zoë Okafor", 3])
            );
            // The text output lists the written names.
            let text = env
                .psephos()
                .args(["verify", &env.base(), "--board-key", &board_key])
                .output()
                .unwrap();
            let text = String::from_utf8(text.stdout).unwrap();
            assert!(text.contains("\"Zoë Okafor\" (written in)"), "{text}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
