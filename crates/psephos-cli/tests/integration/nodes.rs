//! Several nodes on one PostgreSQL (`psephos serve --multi-node`): three real processes on
//! 127.0.0.1 in front of one throwaway PostgreSQL, concurrent clients casting through all three
//! at once, and the sealing node killed with SIGKILL round after round (and, once, frozen with
//! SIGSTOP and resumed after another node took over). After each round every acknowledged
//! ballot is on the board, through any node; an observer polling every node's latest
//! checkpoint never sees two histories (every checkpoint it saw is the one chain's block of
//! that size); a replayed ballot sent to two nodes at the same moment is accepted once; and at
//! the end the stored board checks and `psephos verify` passes on the record.
//!
//! `make test` runs [`rounds`] = 3 kill rounds; `scripts/nodes-soak.sh` runs more
//! (`PSEPHOS_NODES_ROUNDS`, release build) and prints the failover times quoted in
//! BENCHMARKS.md. Nothing here asserts a duration: the takeover is waited for with a generous
//! deadline and only reported.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::zombie_processes)] // children are killed and waited for

use crate::kill9::{free_port, open_election, runtime, Env, Server};
use psephos_board::Block;
use psephos_core::ballot::{EncryptedBallot, TrackingCode};
use psephos_testkit as board_support;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ELECTION: &str = "referendum";
const TRUSTEES: [&str; 3] = ["t1", "t2", "t3"];
const NODES: usize = 3;
/// Concurrent clients, spread over the nodes.
const CLIENTS: usize = 9;
/// Ballots available to each round.
const PER_ROUND: usize = 30;
/// The sealer is killed once this many ballots of the round are acknowledged.
const KILL_AFTER: usize = 8;
/// Ballots kept for the concurrent replays at the end.
const REPLAYS: usize = 4;
/// The sealer lease the nodes run with: short, so that the test's takeovers are quick
/// (`PSEPHOS_NODES_LEASE` overrides it; the soak script runs the default, 3 s).
fn lease() -> String {
    std::env::var("PSEPHOS_NODES_LEASE").unwrap_or_else(|_| "1500ms".to_owned())
}

/// Each node's flags.
fn node_flags() -> Vec<String> {
    ["--multi-node", "--seal-interval", "200ms", "--sealer-lease"]
        .into_iter()
        .map(str::to_owned)
        .chain([lease()])
        .collect()
}
/// Generous: a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(300);

fn rounds() -> usize {
    std::env::var("PSEPHOS_NODES_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

struct Cluster {
    env: Env,
    ports: [u16; NODES],
    nodes: Vec<Option<Server>>,
}

impl Cluster {
    fn url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[node])
    }

    fn start(&mut self, node: usize) {
        let flags = node_flags();
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let (server, _) = self.env.serve_on(self.ports[node], &flags);
        self.nodes[node] = Some(server);
    }

    fn pid(&self, node: usize) -> String {
        self.nodes[node].as_ref().unwrap().child.id().to_string()
    }

    fn signal(&self, node: usize, sig: &str) {
        assert!(Command::new("kill")
            .args([sig, &self.pid(node)])
            .status()
            .unwrap()
            .success());
    }
}

/// The election's state on `url`'s `/health`, if it answers.
async fn health(http: &reqwest::Client, url: &str) -> Option<serde_json::Value> {
    let r = http
        .get(format!("{url}/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    let e = v["elections"][ELECTION].clone();
    e.is_object().then_some(e)
}

/// Waits until exactly one of `alive` reports it seals; returns it.
async fn wait_sealer(http: &reqwest::Client, c: &Cluster, alive: &[usize]) -> usize {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let mut sealers = Vec::new();
        for &n in alive {
            if let Some(h) = health(http, &c.url(n)).await {
                if h["sealer"] == true {
                    sealers.push(n);
                }
            }
        }
        if sealers.len() == 1 {
            return sealers[0];
        }
        assert!(
            Instant::now() < deadline,
            "no single sealer among {alive:?}: {sealers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until node `n` has sealed at least `size` entries.
async fn wait_sealed(http: &reqwest::Client, c: &Cluster, n: usize, size: u64) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(h) = health(http, &c.url(n)).await {
            if h["sealed_size"].as_u64().unwrap_or(0) >= size {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "node {n} never sealed {size} entries"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until node `n` answers `/ready` with 200.
async fn wait_ready(http: &reqwest::Client, c: &Cluster, n: usize) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let ready = http
            .get(format!("{}/ready", c.url(n)))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 200);
        let serves = http
            .get(format!("{}/api/v1/elections/{ELECTION}", c.url(n)))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 200);
        if ready && serves {
            return;
        }
        assert!(Instant::now() < deadline, "node {n} never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the clients of one round did.
#[derive(Default)]
struct Casts {
    /// Tracking codes answered 201, with the index.
    acked: Vec<(String, u64)>,
    /// Sent, with no answer (the node died or was frozen under it): on the board or not.
    unknown: usize,
}

/// Casts `ballots` with [`CLIENTS`] clients spread over the nodes in `alive` (read at each
/// ballot, so a node taken out of it gets no new ballot); returns once every ballot is sent.
async fn cast(
    urls: Vec<String>,
    ballots: Vec<EncryptedBallot>,
    alive: Arc<Mutex<Vec<usize>>>,
    out: Arc<Mutex<Casts>>,
    acked_count: Arc<AtomicUsize>,
) {
    let queue = Arc::new(Mutex::new(ballots));
    let http = reqwest::Client::new();
    let turn = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (queue, alive, out, acked_count, http, turn) = (
            queue.clone(),
            alive.clone(),
            out.clone(),
            acked_count.clone(),
            http.clone(),
            turn.clone(),
        );
        let urls = urls.clone();
        clients.push(tokio::spawn(async move {
            loop {
                let Some(b) = queue.lock().unwrap().pop() else {
                    return;
                };
                let node = {
                    let alive = alive.lock().unwrap();
                    alive[turn.fetch_add(1, Ordering::SeqCst) % alive.len()]
                };
                let url = format!("{}/api/v1/elections/{ELECTION}/ballots", urls[node]);
                match http
                    .post(&url)
                    .json(&b)
                    .timeout(Duration::from_secs(120))
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let v: serde_json::Value = r.json().await.unwrap();
                        let index = v["index"].as_u64().expect("a 201 names the index");
                        out.lock()
                            .unwrap()
                            .acked
                            .push((TrackingCode::of(&b.hash()).to_string(), index));
                        acked_count.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(r) => {
                        // Refused only for want of a database transaction (a frozen node's
                        // session ended under it): never a rule.
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        assert!(status.is_server_error(), "ballot refused: {status} {text}");
                        out.lock().unwrap().unknown += 1;
                    }
                    Err(_) => out.lock().unwrap().unknown += 1,
                }
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
}

/// An observer, as a witness follows a board: polls every node's latest checkpoint and keeps
/// the (size → note body) it saw, failing at once if one size ever shows two bodies.
async fn observe(
    urls: Vec<String>,
    seen: Arc<Mutex<BTreeMap<u64, String>>>,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::new();
    while !stop.load(Ordering::SeqCst) {
        for url in &urls {
            let Ok(r) = http
                .get(format!(
                    "{url}/api/v1/elections/{ELECTION}/board/checkpoint"
                ))
                .timeout(Duration::from_secs(5))
                .send()
                .await
            else {
                continue;
            };
            if r.status().as_u16() != 200 {
                continue;
            }
            let Ok(text) = r.text().await else { continue };
            let body: Vec<&str> = text.lines().take(3).collect();
            let size: u64 = body[1].parse().unwrap();
            let body = body.join("\n");
            let mut seen = seen.lock().unwrap();
            if let Some(before) = seen.insert(size, body.clone()) {
                assert_eq!(before, body, "two checkpoints of size {size}: a fork");
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every acknowledged code is on the board as a cast ballot, asked through node `n`.
async fn check_on_board(http: &reqwest::Client, c: &Cluster, n: usize, acked: &[(String, u64)]) {
    for (code, index) in acked {
        let r = http
            .get(format!(
                "{}/api/v1/elections/{ELECTION}/ballots/{code}",
                c.url(n)
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
        assert_eq!(
            v["index"].as_u64(),
            Some(*index),
            "ballot {code} moved: {v}"
        );
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
fn three_nodes_survive_the_sealer_killed_and_frozen() {
    let db = runtime().block_on(async {
        board_support::TestDb::new(board_support::Backend::Postgres)
            .await
            .url
    });
    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port(), free_port()];
    let env = Env {
        dir: dir.path().to_path_buf(),
        db,
        port: ports[0],
    };
    let rounds = rounds();
    // Rounds of SIGKILL, one of SIGSTOP, and the replays.
    let voters = (rounds + 1) * PER_ROUND + REPLAYS;
    env.ok_in(
        ELECTION,
        &[
            "board",
            "keygen",
            "--origin",
            "nodes.test",
            "--out",
            "board.secret.key",
        ],
        None,
    );
    let mut c = Cluster {
        env,
        ports,
        nodes: (0..NODES).map(|_| None).collect(),
    };
    // The first node prints the operator token; the election is opened through it, and the
    // others open it from the catalog they share.
    let flags = node_flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (first, operator) = c.env.serve_on(ports[0], &flags);
    c.nodes[0] = Some(first);
    let operator = operator.expect("the first start prints the operator token");
    let ballots: Vec<EncryptedBallot> =
        open_election(&c.env, &operator, ELECTION, &TRUSTEES, voters)
            .into_iter()
            .map(|(_, b)| b)
            .collect();
    c.start(1);
    c.start(2);
    let rt = runtime();
    let http = reqwest::Client::new();
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = rt.spawn(observe(
        (0..NODES).map(|n| c.url(n)).collect(),
        seen.clone(),
        stop.clone(),
    ));
    for n in 0..NODES {
        rt.block_on(wait_ready(&http, &c, n));
    }
    let (replays, ballots) = ballots.split_at(REPLAYS);
    let mut all_acked: Vec<(String, u64)> = Vec::new();
    let mut failovers = Vec::new();
    let mut unknown = 0;
    let mut sealed_by = BTreeSet::new();
    for (round, pool) in ballots.chunks(PER_ROUND).take(rounds + 1).enumerate() {
        let freeze = round == rounds; // the last round freezes the sealer instead
        let all: Vec<usize> = (0..NODES).collect();
        let sealer = rt.block_on(wait_sealer(&http, &c, &all));
        sealed_by.insert(sealer);
        let alive = Arc::new(Mutex::new(all.clone()));
        let out = Arc::new(Mutex::new(Casts::default()));
        let count = Arc::new(AtomicUsize::new(0));
        let casting = rt.spawn(cast(
            (0..NODES).map(|n| c.url(n)).collect(),
            pool.to_vec(),
            alive.clone(),
            out.clone(),
            count.clone(),
        ));
        rt.block_on(async {
            let deadline = Instant::now() + DEADLINE;
            while count.load(Ordering::SeqCst) < KILL_AFTER {
                assert!(
                    Instant::now() < deadline,
                    "round {round}: too few acknowledged"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        // Out of the clients' rotation, then SIGKILL (or SIGSTOP) while ballots are in flight.
        alive.lock().unwrap().retain(|&n| n != sealer);
        let killed_at = Instant::now();
        if freeze {
            c.signal(sealer, "-STOP");
        } else {
            let mut server = c.nodes[sealer].take().unwrap();
            server.child.kill().unwrap();
            server.child.wait().unwrap();
        }
        let survivors: Vec<usize> = all.iter().copied().filter(|&n| n != sealer).collect();
        let next = rt.block_on(wait_sealer(&http, &c, &survivors));
        let failover = killed_at.elapsed().as_secs_f64();
        failovers.push(failover);
        if freeze {
            // Resumed after another took over: whatever it was doing, its transaction is gone
            // or it finds the chain moved; the test below checks the history stays one.
            rt.block_on(wait_sealed(&http, &c, next, 1));
            c.signal(sealer, "-CONT");
        }
        rt.block_on(casting).unwrap();
        let casts = std::mem::take(&mut *out.lock().unwrap());
        assert!(casts.acked.len() >= KILL_AFTER, "round {round}");
        unknown += casts.unknown;
        all_acked.extend(casts.acked);
        let top = all_acked.iter().map(|(_, i)| i + 1).max().unwrap_or(0);
        // The board goes on growing from where it was: the new sealer seals past every
        // acknowledged ballot.
        rt.block_on(wait_sealed(&http, &c, next, top));
        if !freeze {
            c.start(sealer);
        }
        rt.block_on(wait_ready(&http, &c, sealer));
        if freeze {
            // The resumed node is not a second sealer.
            rt.block_on(wait_sealer(&http, &c, &all));
        }
        // Every acknowledged ballot, of every round, through a node that did not take it
        // (round robin) and through the restarted one.
        rt.block_on(check_on_board(&http, &c, sealer, &all_acked));
        rt.block_on(check_on_board(&http, &c, (sealer + 1) % NODES, &all_acked));
        println!(
            "round {round}: {} node {sealer} ({}), node {next} sealed after {failover:.2} s",
            if freeze { "froze" } else { "killed" },
            if freeze {
                "SIGSTOP, resumed"
            } else {
                "SIGKILL, restarted"
            },
        );
    }
    // A replayed ballot sent to two nodes at the same moment is accepted once.
    rt.block_on(async {
        for (i, b) in replays.iter().enumerate() {
            let (x, y) = (i % NODES, (i + 1) % NODES);
            let post = |n: usize| {
                http.post(format!("{}/api/v1/elections/{ELECTION}/ballots", c.url(n)))
                    .json(b)
                    .send()
            };
            let (a, b2) = tokio::join!(post(x), post(y));
            let mut statuses = [a.unwrap().status().as_u16(), b2.unwrap().status().as_u16()];
            statuses.sort();
            assert_eq!(statuses, [201, 409], "replay {i} through nodes {x} and {y}");
            let code = TrackingCode::of(&b.hash()).to_string();
            let v: serde_json::Value = http
                .get(format!(
                    "{}/api/v1/elections/{ELECTION}/ballots/{code}",
                    c.url(2)
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["status"], "cast");
        }
    });
    // An officials' token revoked through one node is refused at once by another: a second
    // token issued and the first revoked through node 0, the first refused by node 1 (the
    // console's sign-in and a write), the second accepted there.
    let token =
        std::fs::read_to_string(c.env.dir.join(format!("{ELECTION}.officials-token"))).unwrap();
    let token = token.trim();
    let officials = |args: &[&str]| {
        let out = c
            .env
            .psephos()
            .args(["election", "officials"])
            .args(args)
            .env("PSEPHOS_ELECTION", ELECTION)
            .env("PSEPHOS_SERVER", c.url(0))
            .env("PSEPHOS_OPERATOR_TOKEN", &operator)
            .output()
            .unwrap();
        assert!(out.status.success(), "officials {args:?}: {out:?}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let second = officials(&["issue", "--label", "closer"])["officials_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_id = officials(&["list"])["tokens"][0]["token_id"].to_string();
    let sign_in = |t: &str| {
        rt.block_on(
            http.get(format!(
                "{}/api/v1/elections/{ELECTION}/officials",
                c.url(1)
            ))
            .bearer_auth(t)
            .send(),
        )
        .unwrap()
        .status()
        .as_u16()
    };
    assert_eq!(sign_in(token), 200);
    officials(&["revoke", &first_id]);
    assert_eq!(
        sign_in(token),
        401,
        "node 1 accepted a token revoked through node 0"
    );
    assert_eq!(sign_in(&second), 200);
    let close_with = |t: &str| {
        c.env
            .psephos()
            .args(["election", "close"])
            .env("PSEPHOS_ELECTION", ELECTION)
            .env("PSEPHOS_SERVER", c.url(1))
            .env("PSEPHOS_OFFICIALS_TOKEN", t)
            .output()
            .unwrap()
    };
    let out = close_with(token);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("401"),
        "close with a revoked token: {out:?}"
    );
    // The election closed through one node; the record verified through another.
    let out = close_with(&second);
    assert!(out.status.success(), "close: {out:?}");
    let top = rt.block_on(async {
        let h = health(&http, &c.url(0)).await.unwrap();
        h["board_size"].as_u64().unwrap()
    });
    let sealer = rt.block_on(wait_sealer(&http, &c, &[0, 1, 2]));
    rt.block_on(wait_sealed(&http, &c, sealer, top));
    let verify = c
        .env
        .psephos()
        .args(["verify", &c.url(2), "--election", ELECTION, "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "verify: {text}\n{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // The observer never saw a fork, and every checkpoint it saw is the chain's block of that
    // size (the chain itself is checked by `board check` below: links, roots, signatures).
    stop.store(true, Ordering::SeqCst);
    rt.block_on(observer).unwrap();
    let blocks: Vec<Block> = rt.block_on(async {
        http.get(format!(
            "{}/api/v1/elections/{ELECTION}/board/blocks?start=0&limit=1000",
            c.url(0)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
    });
    let chain: BTreeMap<u64, String> = blocks
        .iter()
        .map(|b| {
            let body: Vec<&str> = b.header.checkpoint.lines().take(3).collect();
            (b.header.tree_size, body.join("\n"))
        })
        .collect();
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.len() > rounds,
        "the observer saw too few checkpoints: {}",
        seen.len()
    );
    for (size, body) in &seen {
        assert_eq!(
            chain.get(size),
            Some(body),
            "checkpoint {size} is not the chain's"
        );
    }
    for pair in blocks.windows(2) {
        assert_eq!(pair[1].header.prev_hash, pair[0].hash);
        assert!(pair[1].header.tree_size > pair[0].header.tree_size);
    }
    // A clean stop of every node, then the stored board recomputes.
    for n in 0..NODES {
        c.signal(n, "-TERM");
    }
    for n in 0..NODES {
        assert!(c.nodes[n].as_mut().unwrap().child.wait().unwrap().success());
    }
    let db = c.env.db.clone();
    c.env.ok_in(
        ELECTION,
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
    let kills = failovers.len() - 1;
    let mut kill_times = failovers[..kills].to_vec();
    println!(
        "three nodes (sealer lease {}): {kills} SIGKILL rounds and 1 SIGSTOP round, {} ballots acknowledged, {unknown} unanswered, 0 lost; \
         sealers {sealed_by:?}; failover median {:.2} s, max {:.2} s (SIGSTOP: {:.2} s); {} checkpoints observed, one history",
        lease(),
        all_acked.len(),
        median(&mut kill_times),
        kill_times.iter().copied().fold(0.0, f64::max),
        failovers[kills],
        seen.len(),
    );
}

/// `--multi-node` on SQLite is refused with a message that says what to do, before anything is
/// opened or written.
#[test]
fn multi_node_is_refused_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        dir: dir.path().to_path_buf(),
        db: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("board.db").display()
        ),
        port: free_port(),
    };
    env.ok_in(
        ELECTION,
        &[
            "board",
            "keygen",
            "--origin",
            "nodes.test",
            "--out",
            "board.secret.key",
        ],
        None,
    );
    let out = env
        .psephos()
        .args([
            "serve",
            "--key",
            "board.secret.key",
            "--database",
            &env.db,
            "--multi-node",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--multi-node needs PostgreSQL"), "{err}");
    assert!(!dir.path().join("board.db").exists(), "nothing is created");
}
