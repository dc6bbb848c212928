//! A mixed contest end to end, as the users run it: a real `psephos serve` process on SQLite, the
//! officials' and trustees' commands as real processes — the key ceremony, voting over HTTP,
//! `psephos election mix`, three `psephos trustee mix` processes started together (each waits
//! for the trustees before it and verifies the record first), the tally, `psephos trustee
//! decrypt` by two trustees (tally and mixed shares), and `psephos verify` on the service's
//! record with checks 22–27 passing. A shuffle that does not verify is refused with 422 naming
//! its mixer, and nothing is stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // children are killed and waited for

use psephos_core::ballot::encrypt_ballot;
use psephos_core::credential::CredentialCode;
use psephos_core::election::{Election, Manifest};
use psephos_core::encoding::Canonical;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const PASSPHRASE: &str = "mixnet passphrase";
const ELECTION: &str = "mix-e2e";
pub(super) const TRUSTEES: [&str; 3] = ["t1", "t2", "t3"];
const VOTERS: usize = 8;

const MANIFEST: &str = r#"
[election]
id = "mix-e2e"
name = "Mixed contest, end to end"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
kind = "plurality"
count = "mix"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]

[[contests]]
id = "measure"
title = "Measure 1"
kind = "referendum"

[[ballot_styles]]
id = "national"
contests = ["mayor", "measure"]
"#;

pub(super) struct Server(pub(super) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) struct Env {
    pub(super) dir: PathBuf,
    pub(super) port: u16,
    /// The election's id (its manifest's).
    pub(super) election: &'static str,
}

impl Env {
    pub(super) fn psephos(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_psephos"));
        c.current_dir(&self.dir)
            .env_remove("PSEPHOS_OFFICIALS_TOKEN")
            .env_remove("PSEPHOS_OPERATOR_TOKEN")
            .env("PSEPHOS_SERVER", self.base())
            .env("PSEPHOS_ELECTION", self.election)
            .env("PSEPHOS_TRUSTEE_PASSPHRASE", PASSPHRASE)
            .env("PSEPHOS_COMPLAINT_WINDOW", "1s")
            .env("RUST_LOG", "warn");
        c
    }

    pub(super) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(super) fn api(&self, path: &str) -> String {
        format!("{}/api/v1/elections/{}{path}", self.base(), self.election)
    }

    pub(super) fn ok(&self, args: &[&str], token: Option<&str>) -> String {
        let mut c = self.psephos();
        c.args(args);
        if let Some(t) = token {
            c.env("PSEPHOS_OFFICIALS_TOKEN", t);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "psephos {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub(super) fn trustee(&self, command: &str, t: &str, board_key: &str) -> Child {
        self.psephos()
            .args(["trustee", command, "--server", &self.base(), "--key"])
            .arg(format!("{t}.trustee.secret.json"))
            .args(["--board-key", board_key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

pub(super) fn wait_ok(child: Child) -> serde_json::Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(env: &Env) -> (Server, String) {
    let db = format!("sqlite://{}?mode=rwc", env.dir.join("board.db").display());
    let mut child = env
        .psephos()
        .args(["serve", "--key", "board.secret.key", "--database", &db])
        .args(["--listen", &format!("127.0.0.1:{}", env.port)])
        .args(["--seal-interval", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let server = Server(child);
    let mut token = None;
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited early");
        if let Some(t) = line.strip_prefix("operator token (shown once; keep it safe): ") {
            token = Some(t.trim().to_string());
        }
        if line.contains("listening on ") {
            std::thread::spawn(move || for _ in out.lines() {});
            return (server, token.expect("the operator token"));
        }
    }
}

#[test]
fn three_trustee_processes_mix_decrypt_and_the_record_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        port: free_port(),
        election: ELECTION,
    };
    let (_server, token, board_key) = defined(&env);
    run_ceremonies(&env, &TRUSTEES);
    let (rt, http, key, manifest, election) = open_voting(&env, &token, VOTERS);

    // Every voter casts over HTTP; the mayor's choices are remembered to compare.
    let mut mayor = vec![0u64; 3];
    let mut rows = Vec::new();
    for code in credential_codes(&env.dir.join("credentials.secret.csv")) {
        let plain =
            psephos_core::sim::random_ballot(&manifest, "national", &mut rand_core::OsRng).unwrap();
        for (m, v) in mayor.iter_mut().zip(&plain.contests[0].values) {
            *m += v;
        }
        let (ballot, _) = encrypt_ballot(
            &election,
            &code.secret(&manifest.id),
            &plain,
            &mut rand_core::OsRng,
        )
        .unwrap();
        rows.push(ballot.contests[0].ciphertexts.clone());
        cast(&rt, &http, &env, &ballot);
    }
    env.ok(&["election", "close"], Some(&token));

    // The tally waits for the mix; then the mix input.
    let out = env
        .psephos()
        .args(["election", "tally"])
        .env("PSEPHOS_OFFICIALS_TOKEN", &token)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the tally must wait for the mix");
    let posted: serde_json::Value =
        serde_json::from_str(&env.ok(&["election", "mix"], Some(&token))).unwrap();
    assert_eq!(posted["min_mixers"], 3);
    assert_eq!(posted["lists"][0]["rows"], VOTERS);

    // A shuffle that does not verify (trustee 1's, rows swapped after proving, re-signed by
    // nobody): 422 naming the mixer, nothing stored.
    let before: serde_json::Value = rt.block_on(async {
        http.get(env.api("/mix"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let size = |rt: &tokio::runtime::Runtime| -> u64 {
        let v: serde_json::Value = rt.block_on(async {
            http.get(env.api("/status"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        v["counts"]["entries"].as_u64().unwrap()
    };
    let entries_before = size(&rt);
    // Mixer 1 claims a shuffle of the current lists that holds none of them.
    let bogus = {
        let mut w = psephos_core::encoding::Writer::new();
        let digest: psephos_core::hash::Digest =
            serde_json::from_value(before["digest"].clone()).unwrap();
        w.digest(&key.election_hash)
            .u32(1)
            .digest(&digest)
            .len(0)
            .fixed(&[0u8; 64]);
        w.into_bytes()
    };
    assert!(psephos_core::mixnet::Shuffle::from_canonical_bytes(&bogus).is_ok());
    let (status, body) = rt.block_on(async {
        let r = http
            .post(env.api("/mix/shuffles"))
            .body(bogus)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("mixer 1"), "{body}");
    // Trustee 1's real shuffle of the real input, one row then duplicated over another and
    // signed again by trustee 1 (a cheating mixer): the proof fails, 422 naming mixer 1.
    let input = vec![psephos_core::mixnet::MixedList {
        contest: "mayor".into(),
        list: psephos_core::mix::CiphertextList::from_rows(3, rows).unwrap(),
    }];
    let t1 = psephos_cli::trustee::keyfile::TrusteeKeys::read(
        &env.dir.join("t1.trustee.secret.json"),
        &psephos_cli::trustee::keyfile::Passphrase::new(PASSPHRASE.into()),
    )
    .unwrap();
    let generators = psephos_core::mix::MixGenerators::standard(VOTERS).unwrap();
    let honest = psephos_core::mixnet::Shuffle::make(
        &key.election_hash,
        election.key(),
        &generators,
        1,
        &input,
        &t1.signing_key,
        &mut rand_core::OsRng,
    )
    .unwrap();
    let mut out_rows: Vec<Vec<_>> = honest.lists[0].list.rows().map(<[_]>::to_vec).collect();
    out_rows[1] = out_rows[0].clone();
    let mut cheat = honest.lists.clone();
    cheat[0].list = psephos_core::mix::CiphertextList::from_rows(3, out_rows).unwrap();
    let cheat = {
        // Signed as `Shuffle::make` signs (§13.8): everything before the signature.
        let mut w = psephos_core::encoding::Writer::new();
        w.digest(&honest.election)
            .u32(1)
            .digest(&honest.input)
            .seq(&cheat);
        let body = w.into_bytes();
        let digest =
            psephos_core::hash::Digest::of(psephos_core::transcript::labels::MIX_SHUFFLE, &body);
        use ed25519_dalek::Signer;
        let sig = t1.signing_key.sign(&digest.0);
        let mut bytes = body;
        bytes.extend_from_slice(&sig.to_bytes());
        bytes
    };
    let (status, body) = rt.block_on(async {
        let r = http
            .post(env.api("/mix/shuffles"))
            .body(cheat)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("mixer 1") && body.contains("proof does not verify"),
        "{body}"
    );
    assert_eq!(size(&rt), entries_before, "nothing stored");
    assert_eq!(before["mixers"], serde_json::json!([]));

    // Three trustee processes at once: each waits for the trustees before it.
    let mixers: Vec<Child> = TRUSTEES
        .iter()
        .map(|t| env.trustee("mix", t, &board_key))
        .collect();
    let mut done = Vec::new();
    for c in mixers {
        done.push(wait_ok(c));
    }
    for (i, d) in done.iter().enumerate() {
        assert_eq!(d["trustee"], i as u64 + 1);
        assert!(d["index"].is_u64(), "{d}");
    }
    let mix: serde_json::Value = rt.block_on(async {
        http.get(env.api("/mix"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let order: Vec<u64> = mix["mixers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mixer"].as_u64().unwrap())
        .collect();
    assert_eq!(order, vec![1, 2, 3]);
    // Run again, a mixer does nothing.
    let again = wait_ok(env.trustee("mix", "t2", &board_key));
    assert!(again["index"].is_null(), "{again}");

    env.ok(&["election", "tally"], Some(&token));
    let d2 = wait_ok(env.trustee("decrypt", "t2", &board_key));
    assert!(d2["mix_index"].is_u64(), "{d2}");
    let d3 = wait_ok(env.trustee("decrypt", "t3", &board_key));
    assert!(d3["result_index"].is_u64(), "{d3}");

    let result: serde_json::Value = rt.block_on(async {
        http.get(env.api("/mix/result"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let rows = result["contests"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), VOTERS);
    let counts: Vec<u64> = result["contests"][0]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(counts, mayor);

    // The whole record, by the verifier as a user runs it, with the board key pinned.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = env
            .psephos()
            .args(["verify", &env.base(), "--json", "--board-key", &board_key])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let status = |id: &str| {
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .map(|c| c["status"].as_str().unwrap().to_string())
                .unwrap()
        };
        if status("tally.result") == "pass" || std::time::Instant::now() > deadline {
            assert!(out.status.success(), "{report:#}");
            for id in [
                "mix.input",
                "mix.shuffles",
                "mix.mixers",
                "mix.shares",
                "mix.result",
                "mix.counts",
            ] {
                assert_eq!(status(id), "pass", "{id}: {report:#}");
            }
            let numbers: Vec<u64> = report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["number"].as_u64().unwrap())
                .collect();
            assert!(numbers.contains(&22) && numbers.contains(&27));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The election of [`MANIFEST`] defined on a fresh `psephos serve`: the server, the officials'
/// token and the election's board key.
fn defined(env: &Env) -> (Server, String, String) {
    defined_with(env, MANIFEST)
}

/// [`defined`] with another manifest (its election id must be `env.election`).
pub(super) fn defined_with(env: &Env, manifest: &str) -> (Server, String, String) {
    std::fs::write(env.dir.join("mix.toml"), manifest).unwrap();
    env.ok(
        &[
            "board",
            "keygen",
            "--origin",
            "mix.test",
            "--out",
            "board.secret.key",
        ],
        None,
    );
    let (server, operator) = serve(env);
    let out = env
        .psephos()
        .args(["election", "new", "--board-key-out", "election.board.key"])
        .env("PSEPHOS_OPERATOR_TOKEN", &operator)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = created["officials_token"].as_str().unwrap().to_string();
    let board_key = std::fs::read_to_string(env.dir.join("election.board.key"))
        .unwrap()
        .trim()
        .to_string();
    for t in TRUSTEES {
        env.ok(&["trustee", "init", t], None);
    }
    let mut define = vec!["election", "define", "--manifest", "mix.toml"];
    let public: Vec<String> = TRUSTEES
        .iter()
        .map(|t| format!("{t}.trustee.json"))
        .collect();
    for p in &public {
        define.extend(["--trustee", p.as_str()]);
    }
    env.ok(&define, Some(&token));
    (server, token, board_key)
}

fn log_lines(env: &Env) -> Vec<serde_json::Value> {
    std::fs::read_to_string(env.dir.join("t3.state/log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while !ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_trustee_service_does_each_duty_once_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        port: free_port(),
        election: ELECTION,
    };
    let (_server, token, board_key) = defined(&env);
    std::fs::write(
        env.dir.join("t3.policy.toml"),
        format!("board_key = \"{board_key}\"\n[duties]\ndecrypt = \"manual\"\n"),
    )
    .unwrap();
    let service = || {
        env.psephos()
            .args([
                "trustee",
                "run",
                "--server",
                &env.base(),
                "--election",
                ELECTION,
            ])
            .args([
                "--key",
                "t3.trustee.secret.json",
                "--policy",
                "t3.policy.toml",
            ])
            .args(["--state", "t3.state", "--poll", "100ms", "--until-done"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Trustee 3 is the service from the start; 1 and 2 run the commands by hand.
    let mut t3 = Server(service());
    run_ceremonies(&env, &["t1", "t2"]);
    wait_for("the service's ceremony", || {
        log_lines(&env)
            .iter()
            .any(|l| l["duty"] == "ceremony" && l["outcome"] == "done")
    });
    // Killed and restarted: nothing of the ceremony is done again.
    t3.0.kill().unwrap();
    t3.0.wait().unwrap();
    let mut t3 = Server(service());

    let (rt, http, _, manifest, election) = open_voting(&env, &token, 4);
    for code in credential_codes(&env.dir.join("credentials.secret.csv")) {
        let plain =
            psephos_core::sim::random_ballot(&manifest, "national", &mut rand_core::OsRng).unwrap();
        let (ballot, _) = encrypt_ballot(
            &election,
            &code.secret(&manifest.id),
            &plain,
            &mut rand_core::OsRng,
        )
        .unwrap();
        cast(&rt, &http, &env, &ballot);
    }
    env.ok(&["election", "close"], Some(&token));
    env.ok(&["election", "mix"], Some(&token));
    let mixers: Vec<Child> = ["t1", "t2"]
        .iter()
        .map(|t| env.trustee("mix", t, &board_key))
        .collect();
    for c in mixers {
        wait_ok(c);
    }
    let mix = |rt: &tokio::runtime::Runtime| -> serde_json::Value {
        rt.block_on(async {
            http.get(env.api("/mix"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    };
    wait_for("the service's shuffle", || {
        mix(&rt)["mixers"].as_array().unwrap().len() == 3
    });
    env.ok(&["election", "tally"], Some(&token));
    wait_ok(env.trustee("decrypt", "t2", &board_key));
    // Decrypting is manual in this policy: the service waits for a human.
    wait_for("the service to ask for approval", || {
        log_lines(&env)
            .iter()
            .any(|l| l["duty"] == "decrypt" && l["outcome"] == "waiting")
    });
    assert!(mix(&rt)["result_index"].is_null());
    std::fs::write(env.dir.join("t3.state/approve/mix-e2e.decrypt"), "").unwrap();
    let mut exit = None;
    wait_for("the service to finish", || {
        exit = t3.0.try_wait().unwrap();
        exit.is_some()
    });
    assert!(exit.unwrap().success());
    assert!(mix(&rt)["result_index"].is_u64());

    let lines = log_lines(&env);
    for duty in ["ceremony", "mix", "decrypt"] {
        let done = lines
            .iter()
            .filter(|l| l["duty"] == duty && l["outcome"] == "done")
            .count();
        assert_eq!(done, 1, "{duty}: {lines:#?}");
    }
    assert!(lines.iter().all(|l| l["outcome"] != "failed"), "{lines:#?}");
}

/// The credential codes of the authority's private file, read by column name (its columns are
/// `voter_id,name,email,style,weight,credential_code`).
pub(super) fn credential_codes(path: &std::path::Path) -> Vec<CredentialCode> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "credential_code")
        .unwrap();
    reader
        .records()
        .map(|r| CredentialCode::parse(&r.unwrap()[at]).unwrap())
        .collect()
}

/// Generates `voters` credentials of style `national`, publishes the public list, waits for the
/// joint key and opens voting; returns a client, the key announcement and the election as a
/// voter's client sees it.
fn open_voting(
    env: &Env,
    token: &str,
    voters: usize,
) -> (
    tokio::runtime::Runtime,
    reqwest::Client,
    psephos_record::KeyAnnouncement,
    Manifest,
    Election,
) {
    open_voting_style(env, token, voters, "national")
}

/// [`open_voting`] with the voters' ballot style.
pub(super) fn open_voting_style(
    env: &Env,
    token: &str,
    voters: usize,
    style: &str,
) -> (
    tokio::runtime::Runtime,
    reqwest::Client,
    psephos_record::KeyAnnouncement,
    Manifest,
    Election,
) {
    let mut csv = String::from("voter_id,style\n");
    for v in 0..voters {
        csv.push_str(&format!("v{v},{style}\n"));
    }
    std::fs::write(env.dir.join("voters.csv"), csv).unwrap();
    env.ok(
        &[
            "credentials",
            "generate",
            "--election",
            "mix.toml",
            "--voters",
            "voters.csv",
            "--public",
            "credentials.public.json",
            "--private",
            "credentials.secret.csv",
        ],
        None,
    );
    let token = Some(token);
    env.ok(
        &[
            "election",
            "credentials",
            "--list",
            "credentials.public.json",
        ],
        token,
    );
    let wait = [
        "election",
        "status",
        "--wait-for",
        "key_ready",
        "--timeout",
        "5m",
    ];
    env.ok(&wait, None);
    env.ok(&["election", "open"], token);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Idle connections are dropped before the server's 5 s keep-alive can close them: the tests
    // run long commands between requests, and a request sent on a connection the server is
    // closing at that moment fails (IncompleteMessage) on a loaded machine.
    let http = reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    let v: serde_json::Value = rt.block_on(async {
        http.get(env.api(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let manifest: Manifest = serde_json::from_value(v["manifest"].clone()).unwrap();
    let key: psephos_record::KeyAnnouncement = serde_json::from_value(v["key"].clone()).unwrap();
    let election = Election::new(manifest.clone(), key.joint_key).unwrap();
    (rt, http, key, manifest, election)
}

/// Casts `ballot` over HTTP; it must be acknowledged (201).
pub(super) fn cast<B: serde::Serialize>(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    env: &Env,
    ballot: &B,
) {
    let status = rt.block_on(async {
        http.post(env.api("/ballots"))
            .json(ballot)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);
}

/// Runs `psephos trustee ceremony` for each of `trustees` at once; each must succeed.
pub(super) fn run_ceremonies(env: &Env, trustees: &[&str]) {
    let ceremonies: Vec<Child> = trustees
        .iter()
        .map(|t| {
            env.psephos()
                .args(["trustee", "ceremony", "--server", &env.base(), "--key"])
                .arg(format!("{t}.trustee.secret.json"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in ceremonies {
        assert!(c.wait().unwrap().success(), "a trustee's ceremony failed");
    }
}
