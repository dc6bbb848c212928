//! `psephos serve` and `psephos election` as an operator and officials run them: settings from a
//! config file and the environment, the operator token printed once (never in the logs) and only
//! its hash stored, an election created with its officials' token, the officials' commands, and
//! a clean stop on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // children are returned by `start` and waited for by `stop`

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn psephos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_psephos"))
}

/// Starts `psephos serve`; returns the child, its URL, the token line (if printed) and the
/// stderr reader thread's output handle.
fn start(
    dir: &std::path::Path,
    config: &std::path::Path,
) -> (
    Child,
    String,
    Option<String>,
    std::thread::JoinHandle<String>,
) {
    let mut child = psephos()
        .args(["serve", "--config"])
        .arg(config)
        .env("PSEPHOS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            all.push_str(&line.unwrap_or_default());
            all.push('\n');
        }
        all
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut token = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "serve did not start");
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited early");
        if let Some(t) = line.strip_prefix("operator token (shown once; keep it safe): ") {
            token = Some(t.trim().to_string());
        }
        if let Some(url) = line.split("listening on ").nth(1) {
            // Keep draining stdout so the child never blocks on it.
            std::thread::spawn(move || for _ in out.lines() {});
            return (child, url.trim().to_string(), token, logs);
        }
    }
}

/// `psephos election …` for election `referendum` with the officials' `token`.
fn election(url: &str, token: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = psephos();
    c.arg("election")
        .args(args)
        .env("PSEPHOS_SERVER", url)
        .env("PSEPHOS_ELECTION", "referendum")
        .env_remove("PSEPHOS_OPERATOR_TOKEN");
    match token {
        Some(t) => c.env("PSEPHOS_OFFICIALS_TOKEN", t),
        None => c.env_remove("PSEPHOS_OFFICIALS_TOKEN"),
    };
    c.output().unwrap()
}

/// `psephos election new` for election `referendum` with the operator's `token`: its answer.
fn new_election(url: &str, operator: &str) -> serde_json::Value {
    let out = psephos()
        .args(["election", "new"])
        .env("PSEPHOS_SERVER", url)
        .env("PSEPHOS_ELECTION", "referendum")
        .env("PSEPHOS_OPERATOR_TOKEN", operator)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `psephos election officials …` for election `referendum` with the bearer `operator` token.
fn officials_cmd(url: &str, operator: &str, args: &[&str]) -> std::process::Output {
    psephos()
        .args(["election", "officials"])
        .args(args)
        .env("PSEPHOS_SERVER", url)
        .env("PSEPHOS_ELECTION", "referendum")
        .env("PSEPHOS_OPERATOR_TOKEN", operator)
        .env_remove("PSEPHOS_OFFICIALS_TOKEN")
        .output()
        .unwrap()
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_prints_the_token_once_and_officials_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("board.secret.key");
    let out = psephos()
        .args(["board", "keygen", "--origin", "board.test/serve", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"sqlite://{}?mode=rwc\"\nkey = \"{}\"\nrate_limit = 0\ncomplaint_window = \"2s\"\n",
            dir.path().join("board.db").display(),
            key.display()
        ),
    )
    .unwrap();

    let (child, url, operator, logs) = start(dir.path(), &config);
    let operator = operator.expect("the first start prints the operator token");
    assert_eq!(operator.len(), 64);
    // No election yet; the operator creates one, with its officials' token.
    let out = election(&url, None, &["status"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{out:?}"
    );
    let created = new_election(&url, &operator);
    assert_eq!(created["origin"], "board.test/serve/referendum");
    let token = created["officials_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64);

    // Status needs no token; writes do.
    let out = election(&url, None, &["status"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["phase"], "empty");
    let out = election(&url, None, &["open"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("officials' token"));
    let out = election(&url, Some(&"f".repeat(64)), &["open"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{out:?}"
    );
    // With the token: the rules' refusal comes through (nothing is defined yet).
    let out = election(&url, Some(&token), &["open"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("409"),
        "{out:?}"
    );

    // Define the election from a config file and trustee keys.
    let manifest = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../election-config/referendum.toml"
    );
    let m =
        psephos_core::election::Manifest::from_toml(&std::fs::read_to_string(manifest).unwrap())
            .unwrap();
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(5);
    let run = psephos_core::sim::run_ceremony(m.hash(), 3, 2, &mut rng).unwrap();
    let trustees: Vec<serde_json::Value> = run
        .params
        .trustees()
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "signing_key": hex::encode(t.signing_key.as_bytes()),
                "ceremony_key": t.ceremony_key.to_hex(),
            })
        })
        .collect();
    let tpath = dir.path().join("trustees.json");
    std::fs::write(&tpath, serde_json::to_string(&trustees).unwrap()).unwrap();
    let out = election(
        &url,
        Some(&token),
        &[
            "define",
            "--manifest",
            manifest,
            "--trustees",
            tpath.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["manifest_hash"], serde_json::json!(m.hash()));

    let status = stop(child);
    assert!(status.success(), "{status:?}");
    let logs = logs.join().unwrap();
    assert!(
        !logs.contains(&token),
        "the officials' token appeared in the logs"
    );
    assert!(
        !logs.contains(&operator),
        "the operator token appeared in the logs"
    );
    assert!(logs.contains("boards closed cleanly"), "{logs}");

    // A second start prints no token, and the first one still works.
    let (child, url, again, logs) = start(dir.path(), &config);
    assert!(again.is_none());
    let out = election(&url, Some(&token), &["close"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("409"),
        "{out:?}"
    );
    let out = election(&url, None, &["status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["phase"], "ceremony");

    // The operator issues a second officials' token, lists both, and revokes the first: it is
    // refused at once, the second works. An official can do none of it.
    let out = officials_cmd(&url, &operator, &["issue", "--label", "second official"]);
    assert!(out.status.success(), "{out:?}");
    let issued: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let second = issued["officials_token"].as_str().unwrap().to_string();
    let out = officials_cmd(&url, &operator, &["list"]);
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !listed.contains(&token) && !listed.contains(&second),
        "{listed}"
    );
    let list: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let first_id = list["tokens"][0]["token_id"].as_i64().unwrap().to_string();
    assert_eq!(list["tokens"][1]["label"], "second official");
    let out = officials_cmd(&url, &token, &["revoke", &first_id]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{out:?}"
    );
    let out = officials_cmd(&url, &operator, &["revoke", "424242"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{out:?}"
    );
    let out = officials_cmd(&url, &operator, &["revoke", &first_id]);
    assert!(out.status.success(), "{out:?}");
    let out = election(&url, Some(&token), &["close"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{out:?}"
    );
    let out = election(&url, Some(&second), &["close"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("409"),
        "{out:?}"
    );
    assert!(stop(child).success());
    let logs = logs.join().unwrap();
    assert!(
        !logs.contains(&second),
        "the new officials' token appeared in the logs"
    );

    // The database holds the hashes, not the tokens.
    for needle in [token.as_bytes(), second.as_bytes(), operator.as_bytes()] {
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let f = f.unwrap();
            if f.file_name().to_string_lossy().starts_with("board.db") {
                let bytes = std::fs::read(f.path()).unwrap();
                assert!(!bytes.windows(needle.len()).any(|w| w == needle));
            }
        }
    }
}
