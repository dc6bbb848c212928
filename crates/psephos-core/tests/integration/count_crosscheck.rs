//! The counter against independent implementations: a few hundred seeded random elections,
//! counted here and by two Python packages (`count_crosscheck.py`): pyrankvote for IRV and STV,
//! schulze_condorcet for Schulze. `.ci/run` installs them; without them this test says so loudly
//! and passes, unless `PSEPHOS_REQUIRE_CROSSCHECK` is set (CI sets it), when it fails.
//!
//! What must agree, and why only that:
//! - IRV: the winner, whenever our count broke no tie. pyrankvote differs from §13.10.3 only in
//!   tie-breaking, in counting exactly half as a majority and in excluding several candidates
//!   at once when together they cannot overtake the next one; each difference can change the
//!   winner only through a tie, which our transcript would show.
//! - Schulze: the pairwise matrix `d` exactly, and the set of candidates beaten by no one (the
//!   winners) exactly; our first place must be one of them (by the seed when several).
//!   schulze_condorcet ranks the later places by recounting the paths among those left, where
//!   §13.10.5 keeps the paths of all candidates, so later places are not compared.
//! - STV: pyrankvote's STV is not the Scottish rules (Hagenbach-Bischoff quota without the +1,
//!   floating-point transfers of the last votes received, several exclusions at once). They
//!   provably coincide when every seat is filled at the first stage by candidates reaching the
//!   Droop quota: those candidates exceed pyrankvote's lower quota too, and no other candidate
//!   can reach it. Only those elections are compared with pyrankvote's STV. With one seat the
//!   Scottish rules elect the IRV winner unless a tie decides, so every one-seat STV count
//!   without a tie is compared with pyrankvote's IRV winner.

use psephos_core::count::{count, Action, CountTranscript, Method, Preferences, Reason, TieBreak};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::io::Write;
use std::process::{Command, Stdio};

struct Election {
    candidates: u32,
    seats: u32,
    ballots: Vec<Preferences>,
}

/// Ballots with a random popularity per candidate (so that some elections are decisive and
/// some close), preferences drawn by weight without replacement, random length, some blank.
fn generate(rng: &mut ChaCha20Rng) -> Election {
    let candidates = 3 + rng.next_u32() % 4;
    let seats = 1 + rng.next_u32() % (candidates - 1);
    let weights: Vec<u64> = (0..candidates)
        .map(|_| 1 + u64::from(rng.next_u32() % 20))
        .collect();
    let n = 15 + rng.next_u32() % 80;
    let ballots = (0..n)
        .map(|_| {
            let len = rng.next_u32() % (candidates + 1);
            let mut left: Vec<u32> = (0..candidates).collect();
            let mut prefs = Vec::new();
            for _ in 0..len {
                let total: u64 = left.iter().map(|&c| weights[c as usize]).sum();
                let mut r = u64::from(rng.next_u32()) % total;
                let k = left
                    .iter()
                    .position(|&c| {
                        let w = weights[c as usize];
                        if r < w {
                            true
                        } else {
                            r -= w;
                            false
                        }
                    })
                    .unwrap_or(0);
                prefs.push(left.remove(k));
            }
            Preferences(prefs)
        })
        .collect();
    Election {
        candidates,
        seats,
        ballots,
    }
}

fn to_json(elections: &[Election]) -> serde_json::Value {
    serde_json::Value::Array(
        elections
            .iter()
            .map(|e| {
                serde_json::json!({
                    "candidates": e.candidates,
                    "seats": e.seats,
                    "ballots": e.ballots.iter().map(|b| b.0.clone()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// Runs the Python side; `None` (after saying why) when python3 or a package is missing.
fn python(input: &serde_json::Value) -> Option<Vec<serde_json::Value>> {
    let required = std::env::var_os("PSEPHOS_REQUIRE_CROSSCHECK").is_some();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/count_crosscheck.py"
    );
    let python = std::env::var("PSEPHOS_PYTHON").unwrap_or_else(|_| "python3".into());
    let skip = |why: String| {
        let msg = format!(
            "\n!!!!!!!! count cross-check SKIPPED: {why}\n!!!!!!!! install with: \
             python3 -m pip install pyrankvote==2.0.6 schulze-condorcet==2.0.1\n"
        );
        assert!(!required, "{msg}(PSEPHOS_REQUIRE_CROSSCHECK is set)");
        eprintln!("{msg}");
        println!("{msg}");
        None
    };
    let mut child = match Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return skip(format!("cannot run {python}: {e}")),
    };
    let body = input.to_string();
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(body.as_bytes()));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {python}: {e}"));
    writer
        .join()
        .unwrap_or_else(|_| panic!("writer thread"))
        .unwrap_or_else(|e| panic!("writing to {python}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        return skip(stderr.trim().to_owned());
    }
    assert!(out.status.success(), "{python} failed: {stderr}");
    let parsed: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("python output: {e}"));
    match parsed {
        serde_json::Value::Array(v) => Some(v),
        other => panic!("python output is not a list: {other}"),
    }
}

fn ties_broken(t: &CountTranscript) -> bool {
    t.rounds.iter().any(|r| {
        let action_tie = match r.action {
            Action::Exclusion { tie, .. } | Action::Surplus { tie, .. } => tie != TieBreak::None,
            Action::FirstPreferences => false,
        };
        action_tie || r.elected.iter().any(|d| d.tie != TieBreak::None)
    })
}

fn indices(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap_or_else(|| panic!("not an index: {x}")) as u32)
        .collect()
}

#[test]
fn counts_agree_with_independent_implementations() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed_c0de);
    let elections: Vec<Election> = (0..300).map(|_| generate(&mut rng)).collect();
    let Some(theirs) = python(&to_json(&elections)) else {
        return;
    };
    assert_eq!(theirs.len(), elections.len());
    let seed = [42u8; 32];
    let (mut irv_compared, mut stv_compared, mut stv1_compared, mut schulze_single) = (0, 0, 0, 0);
    for (i, (e, py)) in elections.iter().zip(&theirs).enumerate() {
        let ctx = format!("election {i}: {} candidates, {:?}", e.candidates, e.ballots);

        let irv = count(&Method::Irv, e.candidates, &e.ballots, &seed)
            .unwrap_or_else(|err| panic!("{err}"));
        let valid = e.ballots.iter().any(|b| !b.0.is_empty());
        if valid && !ties_broken(&irv) {
            assert_eq!(
                vec![irv.elected[0]],
                vec![py["irv"].as_u64().unwrap_or(999) as u32],
                "IRV, {ctx}"
            );
            irv_compared += 1;
        }

        let stv = count(
            &Method::Stv { seats: e.seats },
            e.candidates,
            &e.ballots,
            &seed,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        let first = &stv.rounds[0];
        let decided_at_once = first.elected.len() == e.seats as usize
            && first.elected.iter().all(|d| d.reason == Reason::Quota);
        if decided_at_once {
            let mut ours = stv.elected.clone();
            ours.sort_unstable();
            assert_eq!(ours, indices(&py["stv"]), "STV, {ctx}");
            stv_compared += 1;
        }

        // One seat: the Scottish rules elect the IRV winner unless a tie decides (rule 52's
        // "at least the others together" can only differ from a majority by equality, which
        // then ties in the IRV count).
        let stv1 = count(&Method::Stv { seats: 1 }, e.candidates, &e.ballots, &seed)
            .unwrap_or_else(|err| panic!("{err}"));
        if valid && !ties_broken(&irv) && !ties_broken(&stv1) {
            assert_eq!(
                stv1.elected[0] as u64,
                py["irv"].as_u64().unwrap_or(999),
                "STV with one seat, {ctx}"
            );
            stv1_compared += 1;
        }

        let sch = count(&Method::Schulze, e.candidates, &e.ballots, &seed)
            .unwrap_or_else(|err| panic!("{err}"));
        let rec = sch.schulze.as_ref().unwrap_or_else(|| panic!("matrices"));
        let d: Vec<Vec<u64>> = py["schulze_d"]
            .as_array()
            .unwrap_or_else(|| panic!("d"))
            .iter()
            .map(|row| indices(row).into_iter().map(u64::from).collect())
            .collect();
        assert_eq!(rec.d, d, "Schulze d, {ctx}");
        let n = e.candidates as usize;
        let unbeaten: Vec<u32> = (0..n)
            .filter(|&a| (0..n).all(|b| rec.p[b][a] <= rec.p[a][b]))
            .map(|a| a as u32)
            .collect();
        let winners = indices(&py["schulze_winners"]);
        assert_eq!(unbeaten, winners, "Schulze winners, {ctx}");
        assert!(
            winners.contains(&sch.elected[0]),
            "Schulze first place, {ctx}"
        );
        assert_eq!(rec.tied[0], winners.len() > 1, "{ctx}");
        if winners.len() == 1 {
            schulze_single += 1;
        }
    }
    println!(
        "cross-checked {} elections: IRV winners {irv_compared}, STV decided at the first stage \
         {stv_compared}, one-seat STV against IRV {stv1_compared}, Schulze single winners {schulze_single}",
        elections.len()
    );
    // The comparisons must not be vacuous.
    assert!(irv_compared >= 200, "only {irv_compared} IRV comparisons");
    assert!(stv_compared >= 20, "only {stv_compared} STV comparisons");
    assert!(
        schulze_single >= 200,
        "only {schulze_single} single Schulze winners"
    );
}
