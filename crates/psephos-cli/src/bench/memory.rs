//! `psephos bench memory --idle M --voters V`: what an election costs a running service in
//! resident memory, idle and open (issue [4/10]).
//!
//! `psephos serve` opens every election of its database at start, eagerly (its board's quick
//! check, its rules restored from their snapshot or replayed, its writer task, its cast pipeline):
//! an election edited on disk must be found before anyone relies on it. So the cost of an
//! election is what a fresh `psephos serve` process holds for it after its start, and that is
//! what this measures, on one database grown in three stages:
//!
//! 1. empty (the service alone);
//! 2. plus `M` idle elections (each with a real key ceremony, `--idle-voters` listed voters who
//!    all voted, voting closed — what a service holds for its past elections);
//! 3. plus one open election with `V` listed voters who all voted (a revote for every seventh).
//!
//! After each stage a real `psephos serve` (this executable) starts on the database, and once its
//! `GET /health` shows every election served and its background tamper check passed, its
//! `VmRSS` is read from `/proc/<pid>/status`, three starts per stage, the median reported. Per idle election is
//! (stage 2 − stage 1) / M; the open election is stage 3 − stage 2.
//!
//! The stages are built in this process through the service's own rules
//! ([`ElectionService::post_all`](psephos_server::election::ElectionService::post_all)). To
//! make `V = 10⁵` ballots in seconds, each ballot's contests are copied from one real ballot and
//! signed by its own voter's credential, as `bench restart` does. Such ballots' proofs do not
//! hold, so the service's cast path (which takes only verified ballots) refuses them: they are
//! appended to the board directly and replayed into the rules as a start does
//! ([`ElectionService::catch_up_with_board`](psephos_server::election::ElectionService::catch_up_with_board)),
//! which never re-verifies a proof, so nothing measured changes (such a board would fail
//! `psephos verify`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use psephos_board::election_key::ElectionSlug;
use psephos_board::note::SignatureType;
use psephos_record::sim::Simulation;
use psephos_record::{Control, Payload};
use psephos_server::auth::{NewToken, TokenHash};
use psephos_server::catalog::Catalog;
use psephos_server::{AppState, HostedElection, ServiceBoard, ServiceConfig, Visibility};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use crate::keys::SecretKey;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Idle elections (closed, every voter voted) to host.
    #[arg(long, default_value_t = 20)]
    pub idle: usize,
    /// Voters of each idle election.
    #[arg(long, default_value_t = 10)]
    pub idle_voters: usize,
    /// Voters of the open election (each casts a ballot, every seventh a second one).
    #[arg(long, default_value_t = 100_000)]
    pub voters: usize,
    /// Starts of `psephos serve` per stage; the median resident memory is reported.
    #[arg(long, default_value_t = 3)]
    pub starts: usize,
}

/// Ballots posted per `post_all` (under the board's limits of 4,096 entries and 16 MiB).
const POST: usize = 2048;

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.starts >= 1, "need at least one start per stage");
    let dir = super::load::tempfile_dir()?;
    let key_path = dir.0.join("service.secret.key");
    let key = SecretKey::generate("memory.bench.invalid", SignatureType::Ed25519)?;
    key.write_new(&key_path)?;
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("service.db").display());
    let rt = crate::runtime()?;

    let empty = measure(&url, &key_path, 0, args.starts)?;
    rt.block_on(grow(&url, &key, |state| async move {
        for e in 0..args.idle {
            let h = create(&state, &format!("idle-{}", e + 1)).await?;
            populate(&h, args.idle_voters, 1000 + e as u64, true).await?;
        }
        Ok(())
    }))?;
    let idle = measure(&url, &key_path, args.idle, args.starts)?;
    rt.block_on(grow(&url, &key, |state| async move {
        let h = create(&state, "open").await?;
        populate(&h, args.voters, 7, false).await
    }))?;
    let open = measure(&url, &key_path, args.idle + 1, args.starts)?;

    let db: u64 = std::fs::read_dir(&dir.0)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let per_idle = idle.saturating_sub(empty) as f64 / args.idle.max(1) as f64;
    let per_open = open.saturating_sub(idle);
    println!(
        "bench memory (psephos serve, SQLite, resident memory after start, median of {} starts):\n  \
         the service alone:                 {:>8.1} MiB\n  \
         + {} idle elections ({} voters, closed): {:>8.1} MiB  = {:.0} KiB per idle election\n  \
         + 1 open election, {} voters voted:  {:>8.1} MiB  = {:.1} MiB for it ({:.0} bytes per voter)\n  \
         database on disk: {:.0} MiB",
        args.starts,
        mib(empty),
        args.idle,
        args.idle_voters,
        mib(idle),
        per_idle,
        args.voters,
        mib(open),
        mib(per_open),
        per_open as f64 * 1024.0 / args.voters.max(1) as f64,
        db as f64 / (1 << 20) as f64,
    );
    drop(dir);
    Ok(())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Opens the service in this process, lets `f` add elections, stops it cleanly.
async fn grow<F, Fut>(url: &str, key: &SecretKey, f: F) -> anyhow::Result<()>
where
    F: FnOnce(AppState) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let boards = ServiceBoard {
        database: url.to_string(),
        origin: key.name.clone(),
        key: key.signing_key.clone(),
        witnesses: Vec::new(),
        seal_interval: Duration::from_secs(1),
        read_connections: 2,
        shared: false,
        sealer_lease: Duration::from_secs(3),
        read_replica: None,
        commit_group: true,
    };
    let catalog = Catalog::open(url).await?;
    let state = AppState::open(boards, catalog, ServiceConfig::default()).await?;
    let result = f(state.clone()).await;
    state.shutdown().await;
    state.close_boards().await;
    result
}

async fn create(state: &AppState, id: &str) -> anyhow::Result<std::sync::Arc<HostedElection>> {
    state
        .create(
            ElectionSlug::new(id)?,
            Visibility::Public,
            TokenHash::of(&NewToken::generate()),
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating {id}: {e}"))
}

/// An election through the rules: definition, ceremony, `voters` credentials, opening, a
/// ballot per voter (and a revote for every seventh), and the close if `close`.
async fn populate(h: &HostedElection, voters: usize, seed: u64, close: bool) -> anyhow::Result<()> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let sim = Simulation::new(psephos_core::sim::shapes::approval(2, 5), voters, &mut rng)?;
    let svc = &h.election;
    let post_all = |p: Vec<Payload>| async move {
        svc.post_all(p)
            .await
            .map(drop)
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let mut setup = vec![sim.definition()];
    setup.extend(sim.ceremony_messages());
    setup.extend(sim.credential_lists());
    setup.push(sim.key_announcement()?);
    setup.extend(sim.opening());
    for p in setup {
        post_all(vec![p]).await?;
    }
    let template = sim.ballot(0, &mut rng)?;
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let mut next = 0;
    while next < voters {
        let end = (next + POST).min(voters);
        let ballots: Vec<Payload> = (next..end)
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut r = ChaCha20Rng::from_seed(seed);
                r.set_stream(i as u64);
                let credential = sim.credential(i);
                let copies = if i % 7 == 0 { 2 } else { 1 };
                (0..copies)
                    .map(|_| {
                        let mut b = template.clone();
                        b.credential = credential.public();
                        sim.style(i).clone_into(&mut b.style);
                        b.sign(&credential, &mut r);
                        Payload::Ballot(b)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        // Keep each append under the board's batch limits: a revote makes up to 1.15× the
        // voters. The ballots are copies of one template re-signed per voter (their proofs do
        // not hold for the new credential, and need not: this measures memory, not validity),
        // so they cannot go through the service's verified path: they are appended to the
        // board as a database writer would, then replayed into the rules as at a restart.
        for chunk in ballots.chunks(POST) {
            let entries = chunk
                .iter()
                .map(|p| psephos_board::Entry::new(p.kind(), p.to_bytes()))
                .collect::<Result<Vec<_>, _>>()?;
            h.board.append_all(entries).await?;
        }
        svc.catch_up_with_board()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        next = end;
    }
    if close {
        post_all(vec![Payload::Control(Control::Close)]).await?;
    }
    Ok(())
}

/// Median resident memory (KiB) of `starts` fresh `psephos serve` processes on the database,
/// each read once its health shows `elections` elections served, their tamper checks passed.
fn measure(url: &str, key: &Path, elections: usize, starts: usize) -> anyhow::Result<u64> {
    let mut rss = Vec::with_capacity(starts);
    for _ in 0..starts {
        rss.push(one_start(url, key, elections)?);
    }
    rss.sort_unstable();
    Ok(rss[rss.len() / 2])
}

/// Kills the child when dropped, whatever happened.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn one_start(url: &str, key: &Path, elections: usize) -> anyhow::Result<u64> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let exe = std::env::current_exe().context("finding this executable")?;
    let child = Command::new(exe)
        .args(["serve", "--no-operator", "--database", url, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--key")
        .arg(key)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting psephos serve")?;
    let mut server = Server(child);
    let health = format!("http://127.0.0.1:{port}/health");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(status) = server.0.try_wait()? {
            bail!("psephos serve exited during its start: {status}");
        }
        if let Ok(h) = rt.block_on(get_json(&health)) {
            if checked(&h) == Some(elections) {
                break;
            }
        }
        ensure!(
            Instant::now() < deadline,
            "psephos serve did not serve {elections} checked elections in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.0.id()))
        .context("reading the server's /proc status (Linux only)")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no VmRSS in /proc status")
}

/// How many elections `/health` shows, if every one is served and its background tamper check
/// has passed (so what is measured is the state the service keeps, not the check's buffers).
fn checked(health: &serde_json::Value) -> Option<usize> {
    let all = health.get("elections")?.as_object()?;
    all.values()
        .all(|e| e["status"] == "ok" && e["tamper_check"] == "passed")
        .then_some(all.len())
}

async fn get_json(url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(reqwest::get(url).await?.error_for_status()?.json().await?)
}

#[cfg(test)]
mod tests {
    use super::checked;
    use serde_json::json;

    #[test]
    fn health_counts_only_when_every_election_is_served_and_checked() {
        let passed = json!({"status": "ok", "tamper_check": "passed"});
        let running = json!({"status": "ok", "tamper_check": "running"});
        let failed = json!({"status": "failed", "error": "x"});
        assert_eq!(
            checked(&json!({"elections": {"a": passed, "b": passed}})),
            Some(2)
        );
        assert_eq!(
            checked(&json!({"elections": {"a": passed, "b": running}})),
            None
        );
        assert_eq!(
            checked(&json!({"elections": {"a": passed, "b": failed}})),
            None
        );
        assert_eq!(checked(&json!({"elections": {}})), Some(0));
        assert_eq!(checked(&json!({})), None);
    }
}
