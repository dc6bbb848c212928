//! `psephos bench attack`: the attacks of issue [2/10] replayed against a real server in this
//! process, over HTTP on 127.0.0.1, with the figures an operator cares about.
//!
//! - `flood`: `--addresses` addresses (127.0.0.10, …; default one) each send 2 MiB ballots
//!   signed by *unlisted* credentials — valid points throughout, so a server that decodes
//!   before it checks the credential pays for ~27,000 point decompressions each — at `--rate`
//!   per second (default 20, the default per-address limit), while a real voter on another address (127.0.0.2) casts a ballot every
//!   `--every` and a monitor (127.0.0.3) polls `/health` as often. Reports the voter's
//!   acknowledgement latency and `/health`'s (p50, p99, max) and what the flood got.
//! - `gzip`: `--count` gzip bodies that inflate to 60 MiB each, sent at once to the routes
//!   that take a body; reports the answers and the process's resident memory before and after
//!   (`VmRSS`, peak `VmHWM`, from `/proc/self/status`).
//! - `methods`: `--count` requests with invented 4 KB method names; reports the answers, the
//!   size of `/metrics` and the resident memory before and after.
//!
//! The same attacks, bounded, are the tests of
//! `crates/psephos-server/tests/integration/attacks.rs`.

use super::load::{percentile, setup, temp_board, BENCH_ELECTION};
use anyhow::ensure;
use psephos_core::ballot::EncryptedBallot;
use psephos_core::credential::CredentialSecret;
use psephos_core::transcript::random_scalar;
use psephos_server::{serve, AppState, ServiceConfig};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub attack: Attack,
}

#[derive(clap::Subcommand, Debug)]
pub enum Attack {
    /// Unlisted-credential 2 MiB ballots from one or more addresses while a real voter casts.
    Flood {
        /// Flood requests per second from each address (the default per-address rate limit
        /// is 20).
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Attacking addresses (127.0.0.10, .11, …), each at `--rate`.
        #[arg(long, default_value_t = 1)]
        addresses: u8,
        /// How long the flood lasts.
        #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
        duration: Duration,
        /// How often the voter casts (and the monitor polls `/health`).
        #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration)]
        every: Duration,
    },
    /// Gzip bombs (a ~61 KB body that inflates to 60 MiB), all at once.
    Gzip {
        #[arg(long, default_value_t = 40)]
        count: usize,
    },
    /// Requests with invented 4 KB method names.
    Methods {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::runtime()?.block_on(run_async(args))
}

/// `(VmRSS, VmHWM)` of this process in MiB (Linux), or zeros.
fn memory() -> (f64, f64) {
    let mib = |key: &str| super::status_kib(key).unwrap_or(0) as f64 / 1024.0;
    (mib("VmRSS:"), mib("VmHWM:"))
}

fn client_from(ip: Ipv4Addr) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .build()?)
}

fn summary(label: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "{label}: n={}, p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        v.len(),
        percentile(&v, 0.50),
        percentile(&v, 0.99),
        v.last().copied().unwrap_or_default()
    )
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let (_dir, board) = temp_board("bench.invalid/attack").await?;
    // The server as `psephos serve` runs it: default limits, rate limit included.
    let state =
        AppState::with_board(BENCH_ELECTION, board.clone(), ServiceConfig::default()).await?;
    let hosted = state.election(BENCH_ELECTION)?;
    let voters = match &args.attack {
        Attack::Flood {
            duration, every, ..
        } => (duration.as_secs_f64() / every.as_secs_f64().max(1e-3)).ceil() as usize + 1,
        _ => 1,
    };
    let bodies = setup(&hosted, voters, 2026).await?;
    hosted.intake.ready(&hosted.election).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = serve(listener, state.clone())?;
    let handle = server.handle();
    let running = tokio::spawn(server);
    let result = match args.attack {
        Attack::Flood {
            rate,
            addresses,
            duration,
            every,
        } => flood(&base, bodies, rate, addresses.max(1), duration, every).await,
        Attack::Gzip { count } => gzip(&base, count).await,
        Attack::Methods { count } => methods(&base, count).await,
    };
    state.shutdown().await;
    handle.stop(true).await;
    let _ = running.await;
    board.close().await?;
    result
}

/// A ballot of ~2 MiB of JSON signed by a credential nobody listed: `good`'s first contest
/// with its ciphertexts repeated (valid points throughout), another credential, re-signed.
fn unlisted_ballot(good: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut b: EncryptedBallot = serde_json::from_slice(good)?;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let stranger = CredentialSecret::from_scalar(random_scalar(&mut rng));
    b.credential = stranger.public();
    let cts = b.contests[0].ciphertexts.clone();
    while serde_json::to_vec(&b)?.len() < (2 << 20) - 8 * 1024 {
        b.contests[0].ciphertexts.extend_from_slice(&cts);
    }
    b.sign(&stranger, &mut rng);
    let body = serde_json::to_vec(&b)?;
    ensure!(body.len() <= psephos_server::body::BALLOT_BODY, "too large");
    Ok(body)
}

async fn flood(
    base: &str,
    bodies: Vec<Vec<u8>>,
    rate: f64,
    addresses: u8,
    duration: Duration,
    every: Duration,
) -> anyhow::Result<()> {
    ensure!(rate > 0.0, "rate must be positive");
    ensure!(
        addresses <= 200,
        "at most 200 addresses (127.0.0.10 to 127.0.0.209)"
    );
    let bad = Arc::new(unlisted_ballot(&bodies[0])?);
    let attackers = (0..addresses)
        .map(|k| client_from(Ipv4Addr::new(127, 0, 0, 10 + k)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let voter = client_from(Ipv4Addr::new(127, 0, 0, 2))?;
    let monitor = client_from(Ipv4Addr::new(127, 0, 0, 3))?;
    let ballots_url = format!("{base}/api/v1/elections/{BENCH_ELECTION}/ballots");
    let health_url = format!("{base}/health");
    // Baseline: the voter and the monitor alone for a few rounds.
    let mut quiet_vote = Vec::new();
    let mut quiet_health = Vec::new();
    let mut next_voter = 0usize;
    for _ in 0..10 {
        let t = Instant::now();
        let r = voter
            .post(&ballots_url)
            .body(bodies[next_voter].clone())
            .send()
            .await?;
        ensure!(r.status().as_u16() == 201, "voter refused: {}", r.status());
        quiet_vote.push(t.elapsed());
        next_voter += 1;
        let t = Instant::now();
        monitor.get(&health_url).send().await?;
        quiet_health.push(t.elapsed());
    }
    let start = tokio::time::Instant::now();
    let end = start + duration;
    let attack = {
        let (url, bad) = (ballots_url.clone(), bad.clone());
        tokio::spawn(async move {
            let mut tasks = Vec::new();
            let mut i = 0u64;
            let total = rate * attackers.len() as f64;
            loop {
                let at = start + Duration::from_secs_f64(i as f64 / total);
                if at >= end {
                    break;
                }
                tokio::time::sleep_until(at).await;
                let attacker = &attackers[i as usize % attackers.len()];
                let (c, url, body) = (attacker.clone(), url.clone(), bad.clone());
                tasks.push(tokio::spawn(async move {
                    match c.post(&url).body(body.to_vec()).send().await {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    }
                }));
                i += 1;
            }
            let mut by_status = BTreeMap::new();
            for t in tasks {
                *by_status.entry(t.await.unwrap_or(0)).or_insert(0u64) += 1;
            }
            by_status
        })
    };
    let health = {
        let url = health_url.clone();
        tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut tick = tokio::time::interval_at(start, every);
            while tokio::time::Instant::now() < end {
                tick.tick().await;
                let t = Instant::now();
                if monitor.get(&url).send().await.is_ok() {
                    lat.push(t.elapsed());
                }
            }
            lat
        })
    };
    let mut vote = Vec::new();
    let mut tick = tokio::time::interval_at(start, every);
    while tokio::time::Instant::now() < end && next_voter < bodies.len() {
        tick.tick().await;
        let t = Instant::now();
        let r = voter
            .post(&ballots_url)
            .body(bodies[next_voter].clone())
            .send()
            .await?;
        ensure!(r.status().as_u16() == 201, "voter refused: {}", r.status());
        vote.push(t.elapsed());
        next_voter += 1;
    }
    let by_status = attack.await?;
    let health = health.await?;
    println!(
        "bench attack flood: {} unlisted-credential ballots of {} bytes at {rate}/s from each of \
         {addresses} address(es) for {duration:?}; answers by status {by_status:?}",
        by_status.values().sum::<u64>(),
        bad.len()
    );
    println!("  {}", summary("voter ack, alone", quiet_vote));
    println!("  {}", summary("/health, alone", quiet_health));
    println!("  {}", summary("voter ack, under the flood", vote));
    println!("  {}", summary("/health, under the flood", health));
    println!(
        "  {} cores; SQLite WAL synchronous=FULL",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    Ok(())
}

async fn gzip(base: &str, count: usize) -> anyhow::Result<()> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..60 {
        enc.write_all(&chunk)?;
    }
    let bomb = Arc::new(enc.finish()?);
    let client = reqwest::Client::new();
    let (rss0, _) = memory();
    let routes = [
        format!("/api/v1/elections/{BENCH_ELECTION}/board/cosignatures"),
        format!("/api/v1/elections/{BENCH_ELECTION}/ceremony/messages"),
    ];
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (c, bomb) = (client.clone(), bomb.clone());
            let url = format!("{base}{}", routes[i % routes.len()]);
            tokio::spawn(async move {
                match c
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(bomb.to_vec())
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                }
            })
        })
        .collect();
    let mut by_status = BTreeMap::new();
    for t in tasks {
        *by_status.entry(t.await.unwrap_or(0)).or_insert(0u64) += 1;
    }
    let (rss1, hwm) = memory();
    println!(
        "bench attack gzip: {count} bodies of {} bytes inflating to 60 MiB each, at once; \
         answers by status {by_status:?}; resident memory {rss0:.0} MiB before, {rss1:.0} MiB \
         after, peak {hwm:.0} MiB",
        bomb.len()
    );
    Ok(())
}

async fn methods(base: &str, count: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let metrics_url = format!("{base}/metrics");
    let before = client.get(&metrics_url).send().await?.text().await?.len();
    let (rss0, _) = memory();
    // Two rounds: memory the client side and the allocator keep shows after the first; a
    // server that kept the names would grow again in the second.
    let mut report = Vec::new();
    for round in 0..2 {
        let mut by_status = BTreeMap::new();
        let sem = Arc::new(tokio::sync::Semaphore::new(32));
        let mut tasks = Vec::with_capacity(count);
        for i in 0..count {
            let permit = sem.clone().acquire_owned().await?;
            let (c, url) = (
                client.clone(),
                format!("{base}/api/v1/elections/{BENCH_ELECTION}/status"),
            );
            tasks.push(tokio::spawn(async move {
                let name = format!("X{}{round}x{i}", "M".repeat(4000));
                let status = match reqwest::Method::from_bytes(name.as_bytes()) {
                    Ok(m) => match c.request(m, &url).send().await {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    },
                    Err(_) => 1,
                };
                drop(permit);
                status
            }));
        }
        for t in tasks {
            *by_status.entry(t.await.unwrap_or(0)).or_insert(0u64) += 1;
        }
        let after = client.get(&metrics_url).send().await?.text().await?;
        ensure!(!after.contains("MMMM"), "a method name reached the metrics");
        let (rss, _) = memory();
        report.push(format!(
            "after round {}: answers by status {by_status:?}, /metrics {} bytes, resident {rss:.0} MiB",
            round + 1,
            after.len()
        ));
    }
    println!(
        "bench attack methods: 2 rounds of {count} requests with invented 4 KB method names; \
         before: /metrics {before} bytes, resident {rss0:.0} MiB"
    );
    for r in report {
        println!("  {r}");
    }
    Ok(())
}
