//! kill -9 under load: a real `psephos serve` process hosting two elections, each opened with the
//! operator's, officials' and trustees' commands, ballots to both cast by concurrent clients
//! over HTTP; once some are acknowledged the server is killed with SIGKILL (no chance to flush
//! anything), restarted on the same database, and every acknowledged ballot of each election
//! must be on that election's board (its tracking code answers `cast` there). An acknowledgement is a promise of durability (`docs/protocol.md`, the
//! board's crash safety); this holds it to that at the level of the whole service.
//!
//! `make test` runs a few rounds on SQLite and on PostgreSQL; `scripts/kill9.sh` runs many
//! (`PSEPHOS_KILL9_ROUNDS`, release build) and prints the figures quoted in SECURITY.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // children are killed and waited for

use psephos_testkit as board_support;

use psephos_core::ballot::{encrypt_ballot, EncryptedBallot, TrackingCode};
use psephos_core::credential::CredentialCode;
use psephos_core::election::{Election, Manifest};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSPHRASE: &str = "kill nine passphrase";
/// The elections' ids in the service, and each one's trustees (elections of one service may
/// not share a key ceremony: each has its own trustee keys).
const ELECTIONS: [(&str, [&str; 3]); 2] = [
    ("referendum", ["t1", "t2", "t3"]),
    ("second", ["t4", "t5", "t6"]),
];
/// The first election: the one `psephos election …` talks to unless told otherwise.
const ELECTION: &str = ELECTIONS[0].0;
/// Concurrent clients casting.
const CLIENTS: usize = 8;
/// Ballots available to each round.
const PER_ROUND: usize = 40;
/// The server is killed once this many ballots of the round are acknowledged.
const KILL_AFTER: usize = 12;

fn rounds() -> usize {
    std::env::var("PSEPHOS_KILL9_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

pub(crate) struct Server {
    pub(crate) child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Env {
    pub(crate) dir: PathBuf,
    pub(crate) db: String,
    pub(crate) port: u16,
}

impl Env {
    pub(crate) fn psephos(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_psephos"));
        c.current_dir(&self.dir)
            .env_remove("PSEPHOS_SERVER")
            .env_remove("PSEPHOS_OFFICIALS_TOKEN")
            .env_remove("PSEPHOS_OPERATOR_TOKEN")
            .env("PSEPHOS_SERVER", self.base())
            .env("PSEPHOS_ELECTION", ELECTION)
            .env("PSEPHOS_TRUSTEE_PASSPHRASE", PASSPHRASE)
            .env("PSEPHOS_COMPLAINT_WINDOW", "1s")
            .env("RUST_LOG", "warn");
        c
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn ok(&self, args: &[&str], token: Option<&str>) -> String {
        self.ok_in(ELECTION, args, token)
    }

    /// [`Env::ok`] for election `id`.
    pub(crate) fn ok_in(&self, id: &str, args: &[&str], token: Option<&str>) -> String {
        let mut c = self.psephos();
        c.args(args).env("PSEPHOS_ELECTION", id);
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

    /// Starts `psephos serve` on the database; returns it and the operator token if printed.
    fn serve(&self) -> (Server, Option<String>) {
        self.serve_on(self.port, &[])
    }

    /// [`Env::serve`] on `port`, with `extra` flags.
    pub(crate) fn serve_on(&self, port: u16, extra: &[&str]) -> (Server, Option<String>) {
        let mut child = self
            .psephos()
            .args(["serve", "--key", "board.secret.key", "--database", &self.db])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            // The test sends many writes from one address.
            .args(["--rate-limit", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let server = Server { child };
        let mut token = None;
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "serve exited early");
            if let Some(t) = line.strip_prefix("operator token (shown once; keep it safe): ") {
                token = Some(t.trim().to_string());
            }
            if line.contains("listening on ") {
                std::thread::spawn(move || for _ in out.lines() {});
                return (server, token);
            }
        }
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The service started on a fresh database, with its two elections open; each election's
/// `voters` ballots, made in advance, tagged with the election's id.
fn open_elections(env: &Env, voters: usize) -> (Server, Vec<(String, EncryptedBallot)>) {
    env.ok(
        &[
            "board",
            "keygen",
            "--origin",
            "kill9.test",
            "--out",
            "board.secret.key",
        ],
        None,
    );
    let (server, operator) = env.serve();
    let operator = operator.expect("the first start prints the operator token");
    let mut per_election = Vec::new();
    for (id, trustees) in ELECTIONS {
        per_election.push(open_election(env, &operator, id, &trustees, voters));
    }
    // Interleaved: the clients cast to both elections at once.
    let mut ballots = Vec::new();
    let mut iters: Vec<_> = per_election.into_iter().map(Vec::into_iter).collect();
    loop {
        let before = ballots.len();
        for it in &mut iters {
            ballots.extend(it.next());
        }
        if ballots.len() == before {
            break;
        }
    }
    (server, ballots)
}

/// Election `id` created by the operator and opened with the commands of the README; `voters`
/// credentials, a ballot for each.
pub(crate) fn open_election(
    env: &Env,
    operator: &str,
    id: &str,
    trustees: &[&str],
    voters: usize,
) -> Vec<(String, EncryptedBallot)> {
    let manifest_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../election-config/referendum.toml")
        .canonicalize()
        .unwrap();
    let manifest_arg = manifest_path.to_str().unwrap();
    let mut c = env.psephos();
    c.args(["election", "new"])
        .env("PSEPHOS_ELECTION", id)
        .env("PSEPHOS_OPERATOR_TOKEN", operator);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = created["officials_token"].as_str().unwrap().to_string();
    // Kept for the tests that close the election afterwards.
    std::fs::write(env.dir.join(format!("{id}.officials-token")), &token).unwrap();
    let ok = |args: &[&str], token: Option<&str>| env.ok_in(id, args, token);
    for t in trustees {
        ok(&["trustee", "init", t], None);
    }
    let mut define = vec!["election", "define", "--manifest", manifest_arg];
    let public: Vec<String> = trustees
        .iter()
        .map(|t| format!("{t}.trustee.json"))
        .collect();
    for p in &public {
        define.extend(["--trustee", p.as_str()]);
    }
    ok(&define, Some(&token));
    let ceremonies: Vec<Child> = trustees
        .iter()
        .map(|t| {
            let mut c = env.psephos();
            c.env("PSEPHOS_ELECTION", id)
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
    let mut csv = String::from("voter_id,style\n");
    for v in 0..voters {
        csv.push_str(&format!("v{v},national\n"));
    }
    let (list, codes_file) = (
        format!("{id}.credentials.public.json"),
        format!("{id}.credentials.secret.csv"),
    );
    std::fs::write(env.dir.join(format!("{id}.voters.csv")), csv).unwrap();
    ok(
        &[
            "credentials",
            "generate",
            "--election",
            manifest_arg,
            "--voters",
            &format!("{id}.voters.csv"),
            "--public",
            &list,
            "--private",
            &codes_file,
        ],
        None,
    );
    ok(&["election", "credentials", "--list", &list], Some(&token));
    ok(
        &[
            "election",
            "status",
            "--wait-for",
            "key_ready",
            "--timeout",
            "5m",
        ],
        None,
    );
    ok(&["election", "open"], Some(&token));

    // Every voter's ballot, made in advance so the rounds measure the server, not the client.
    let rt = runtime();
    let v: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{}/api/v1/elections/{id}", env.base()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let manifest: Manifest = serde_json::from_value(v["manifest"].clone()).unwrap();
    let key: psephos_record::KeyAnnouncement = serde_json::from_value(v["key"].clone()).unwrap();
    let election = Election::new(manifest.clone(), key.joint_key).unwrap();
    let mut codes = csv::Reader::from_path(env.dir.join(&codes_file)).unwrap();
    let header = codes.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (style_at, code_at) = (column("style"), column("credential_code"));
    let rows: Vec<csv::StringRecord> = codes.records().map(|r| r.unwrap()).collect();
    rows.iter()
        .map(|row| {
            let code = CredentialCode::parse(&row[code_at]).unwrap();
            let plain =
                psephos_core::sim::random_ballot(&manifest, &row[style_at], &mut rand_core::OsRng)
                    .unwrap();
            let ballot = encrypt_ballot(
                &election,
                &code.secret(&manifest.id),
                &plain,
                &mut rand_core::OsRng,
            )
            .unwrap()
            .0;
            (id.to_string(), ballot)
        })
        .collect()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Casts `ballots` with [`CLIENTS`] concurrent clients; once [`KILL_AFTER`] are acknowledged,
/// SIGKILLs the server. Returns the tracking codes acknowledged (201) and how many were sent.
fn cast_and_kill(
    env: &Env,
    mut server: Server,
    ballots: &[(String, EncryptedBallot)],
) -> (Vec<(String, String)>, usize) {
    let rt = runtime();
    let queue = Arc::new(Mutex::new(ballots.to_vec()));
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let n_acked = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let http = reqwest::Client::new();
        let base = env.base();
        let mut senders = Vec::new();
        for _ in 0..CLIENTS {
            let (queue, acked, sent, n_acked, http, base) = (
                queue.clone(),
                acked.clone(),
                sent.clone(),
                n_acked.clone(),
                http.clone(),
                base.clone(),
            );
            senders.push(tokio::spawn(async move {
                loop {
                    let Some((id, b)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    sent.fetch_add(1, Ordering::SeqCst);
                    let url = format!("{base}/api/v1/elections/{id}/ballots");
                    match http.post(&url).json(&b).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            acked
                                .lock()
                                .unwrap()
                                .push((id, TrackingCode::of(&b.hash()).to_string()));
                            n_acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => {
                            // Anything else before the kill is a bug; after it, the server is gone.
                            assert!(
                                r.status().is_server_error(),
                                "ballot refused: {} {:?}",
                                r.status(),
                                r.text().await
                            );
                        }
                        // The connection broke: the server was killed.
                        Err(_) => return,
                    }
                }
            }));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        while n_acked.load(Ordering::SeqCst) < KILL_AFTER {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} ballots acknowledged",
                n_acked.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // SIGKILL, while the other clients still have ballots in flight.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for s in senders {
            s.await.unwrap();
        }
    });
    let acked = acked.lock().unwrap().clone();
    (acked, sent.load(Ordering::SeqCst))
}

/// Every code is on its election's board as a cast ballot.
fn check_on_board(env: &Env, codes: &[(String, String)]) {
    let rt = runtime();
    rt.block_on(async {
        let http = reqwest::Client::new();
        for (id, code) in codes {
            let r = http
                .get(format!(
                    "{}/api/v1/elections/{id}/ballots/{code}",
                    env.base()
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                200,
                "acknowledged ballot {code} is lost"
            );
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["status"], "cast", "ballot {code}: {v}");
        }
    });
}

fn kill9_loop(db: String) {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        db,
        port: free_port(),
    };
    let rounds = rounds();
    let (mut server, ballots) = open_elections(&env, rounds * PER_ROUND / ELECTIONS.len());
    let mut all_acked = Vec::new();
    let mut all_sent = 0;
    for (round, pool) in ballots.chunks(PER_ROUND).enumerate() {
        let (acked, sent) = cast_and_kill(&env, server, pool);
        assert!(acked.len() >= KILL_AFTER, "round {round}");
        all_acked.extend(acked);
        all_sent += sent;
        // Restart on the same database: every acknowledged ballot, of every round, is there.
        let (restarted, token) = env.serve();
        assert!(token.is_none(), "the operator token survives a restart");
        server = restarted;
        check_on_board(&env, &all_acked);
    }
    // A clean stop, then the stored board recomputes: hashes, blocks, checkpoint signatures.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(server.child.wait().unwrap().success());
    let db = env.db.replace("?mode=rwc", "");
    for (id, _) in ELECTIONS {
        env.ok_in(
            id,
            &[
                "board",
                "check",
                "--database",
                &db,
                "--key",
                "board.secret.key",
            ],
            None,
        );
        assert!(
            all_acked.iter().any(|(e, _)| e == id),
            "no ballot of {id} was acknowledged"
        );
    }
    println!(
        "kill -9 loop: {} elections, {rounds} rounds, {all_sent} ballots sent, {} acknowledged, every acknowledged ballot on its election's board after each restart",
        ELECTIONS.len(),
        all_acked.len()
    );
}

#[test]
fn kill9_loop_sqlite_loses_no_acknowledged_ballot() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("board.db").display()
    );
    kill9_loop(db);
}

#[test]
fn kill9_loop_postgres_loses_no_acknowledged_ballot() {
    let db = runtime().block_on(async {
        board_support::TestDb::new(board_support::Backend::Postgres)
            .await
            .url
    });
    kill9_loop(db);
}
