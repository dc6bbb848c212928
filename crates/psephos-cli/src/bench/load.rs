//! `psephos bench load`: the election service under load, end to end over HTTP.
//!
//! Starts a real server in this process on a SQLite board in a temporary directory (WAL,
//! `synchronous=FULL`: every acknowledgement is durable) or on the PostgreSQL database given with
//! `--database`, runs a real key ceremony, publishes
//! one credential per ballot, opens voting, pre-generates valid ballots (1 contest × 5
//! options, plurality) on all cores, then casts them over HTTP on 127.0.0.1:
//!
//! - closed loop (default): `--clients N` concurrent clients, each sending its next ballot as
//!   soon as the previous one is acknowledged — the throughput;
//! - fixed rate (`--rate R`): ballots sent on a fixed schedule, latency measured from the
//!   scheduled send time (so a stall is not hidden by sending less) — the latency at load.
//!
//! It reports ballots per second and the p50 / p99 / max acknowledgement latency, checks that
//! every ballot was acknowledged and is on the board, and removes the temporary directory.
//!
//! `--elections N` runs the service as `psephos serve` does with N elections (one database, N
//! boards with derived keys, N cast lanes of the service's one batch former): the ballots are
//! spread over the elections and sent interleaved, and the report gives the total rate and each
//! election's share and latency — whether one election's load starves another's. On SQLite the
//! boards commit through the database's commit group, as in `psephos serve` (the durable
//! commits reported are the group's transactions); `--no-commit-group` lets each board commit
//! alone, the baseline the group is measured against.
//!
//! `--nodes N --database postgres://…` runs N nodes of one service in this process, as N
//! `psephos serve --multi-node` processes would run them (each its own HTTP server, cast
//! pipeline and shared boards on the one database; the elections set up through the first,
//! opened by the others from the catalog): ballot `i` goes to node `i mod N`. On one machine the
//! nodes share its cores, so the figure to read is the CPU the process spent per ballot (every
//! node and the clients; from `/proc/self/stat`) and the database's own ceiling:
//! `--sequence-only` skips HTTP and proof verification and posts the ballots, already made, in
//! batches of `--batch` straight to the nodes' sequencing
//! (`ElectionService::post_verified_ballots`: the rules and the database transaction, nothing
//! else; the ballots are verified before the clock starts) — how many verified ballots a second
//! the database can take, whatever the number of nodes verifying them.

use anyhow::{ensure, Context};
use psephos_board::election_key::ElectionSlug;
use psephos_board::{Board, BoardConfig};
use psephos_core::ballot::encrypt_ballot;
use psephos_core::credential::CredentialSecret;
use psephos_core::election::Election;
use psephos_core::sim::{self, shapes};
use psephos_core::transcript::random_scalar;
use psephos_record::{CredentialList, Definition, ListedCredential, Payload};
use psephos_server::auth::{NewToken, TokenHash};
use psephos_server::catalog::Catalog;
use psephos_server::{serve, AppState, HostedElection, ServiceBoard, ServiceConfig, Visibility};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent HTTP clients (closed loop), or most requests in flight (fixed rate).
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Ballots cast in the run (each by its own credential).
    #[arg(long, default_value_t = 5000)]
    pub ballots: usize,
    /// Send at this fixed rate (ballots per second) instead of as fast as possible.
    #[arg(long)]
    pub rate: Option<f64>,
    /// The server's largest verification batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// How long a verification batch waits for more ballots.
    #[arg(long, default_value = "2ms", value_parser = humantime::parse_duration)]
    pub batch_wait: Duration,
    /// Elections of the one service the ballots are spread over.
    #[arg(long, default_value_t = 1)]
    pub elections: usize,
    /// On SQLite, let each election's board commit alone rather than through the database's
    /// commit group (the behaviour before the group: the baseline to compare it with).
    #[arg(long)]
    pub no_commit_group: bool,
    /// The database (default: SQLite in a temporary directory). PostgreSQL for `--nodes` > 1.
    #[arg(long)]
    pub database: Option<String>,
    /// Nodes of the service, in this process, sharing the database (as `--multi-node`).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Share the boards as several nodes do even with `--nodes 1` (the baseline of the shared
    /// path).
    #[arg(long)]
    pub multi_node: bool,
    /// Measure the database's sequencing alone: ballots posted, already made, in batches of
    /// `--batch` to the nodes' sequencing, without HTTP or proof verification.
    #[arg(long)]
    pub sequence_only: bool,
}

/// CPU seconds (user + system) this process has used (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(args: Args) -> anyhow::Result<()> {
    ensure!(
        args.ballots > 0 && args.clients > 0,
        "need ballots and clients"
    );
    crate::runtime()?.block_on(run_async(args))
}

/// The id the benches' one election is hosted under.
pub(crate) const BENCH_ELECTION: &str = "bench";

/// An election ready for voting on a fresh board, and the ballots to cast.
///
/// `seed` makes the trustees and voters: elections of one service need their own (the service
/// refuses two elections with one key ceremony, and the same credentials would make one
/// election's ballots valid in the other).
pub(crate) async fn setup(
    state: &HostedElection,
    n: usize,
    seed: u64,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let manifest = shapes::plurality(5);
    let run = sim::run_ceremony(manifest.hash(), 3, 2, &mut rng)?;
    let svc = &state.election;
    let post = |p: Payload| async move { svc.post(p).await.map_err(|e| anyhow::anyhow!("{e}")) };
    post(Payload::Definition(Definition {
        manifest: manifest.clone(),
        ceremony: run.params.clone(),
    }))
    .await?;
    for m in &run.log {
        post(Payload::Ceremony(m.clone())).await?;
    }
    svc.post_with(|s| {
        psephos_server::events::announcement(s)
            .map(|k| Payload::Control(psephos_record::Control::CeremonyComplete(k)))
            .map_err(psephos_server::error::ServiceError::from)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let election = svc
        .read()
        .await
        .election()
        .cloned()
        .context("no election key")?;
    let t = Instant::now();
    let voters: Vec<CredentialSecret> = (0..n)
        .map(|_| CredentialSecret::from_scalar(random_scalar(&mut rng)))
        .collect();
    let list = CredentialList::new(
        &manifest,
        voters
            .iter()
            .map(|c| ListedCredential {
                credential: c.public(),
                style: "all".into(),
                weight: 1,
            })
            .collect(),
    );
    for chunk in list.chunks() {
        post(Payload::Credentials(chunk)).await?;
    }
    for p in psephos_record::booth::opening(psephos_record::booth::no_booth()) {
        post(p).await?;
    }
    let bodies = make_ballots(&election, &voters)?;
    eprintln!(
        "set up: ceremony, {n} credentials, {n} ballots encrypted in {:.1?}",
        t.elapsed()
    );
    Ok(bodies)
}

fn make_ballots(election: &Election, voters: &[CredentialSecret]) -> anyhow::Result<Vec<Vec<u8>>> {
    voters
        .par_iter()
        .enumerate()
        .map(|(i, cred)| {
            let mut rng = ChaCha20Rng::seed_from_u64(i as u64 ^ 0x5eed);
            let p =
                sim::random_ballot(election.manifest(), "all", &mut rng).context("ballot style")?;
            let (b, _) = encrypt_ballot(election, cred, &p, &mut rng)?;
            Ok(serde_json::to_vec(&b)?)
        })
        .collect()
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    ensure!(args.elections >= 1, "need at least one election");
    ensure!(args.nodes >= 1, "need at least one node");
    let dir = tempfile_dir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.0.join("service.db").display()));
    let shared = args.nodes > 1 || args.multi_node;
    ensure!(
        !shared || url.starts_with("postgres"),
        "--nodes and --multi-node need --database postgres://…"
    );
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let boards = ServiceBoard {
        database: url.clone(),
        origin: "bench.invalid".into(),
        key: ed25519_dalek::SigningKey::from_bytes(&seed),
        witnesses: Vec::new(),
        seal_interval: Duration::from_secs(1),
        read_connections: 2,
        shared,
        sealer_lease: std::time::Duration::from_secs(3),
        read_replica: None,
        commit_group: !args.no_commit_group,
    };
    let key_seed = seed;
    let mut service = ServiceConfig {
        rate_limit: None,
        ..ServiceConfig::default()
    };
    service.cast.max_batch = args.batch.max(1);
    service.cast.max_wait = args.batch_wait;
    let catalog = Catalog::open(&url).await?;
    let state = AppState::open(boards, catalog, service).await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // Each election's ballots, then interleaved: election 0's first, election 1's first, …
    let mut hosted = Vec::new();
    let mut per_election = Vec::new();
    for e in 0..args.elections {
        let id = if args.elections == 1 {
            BENCH_ELECTION.to_string()
        } else {
            format!("{BENCH_ELECTION}-{}", e + 1)
        };
        let slug = ElectionSlug::new(&id)?;
        let h = state
            .create(
                slug,
                Visibility::Public,
                TokenHash::of(&NewToken::generate()),
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating {id}: {e}"))?;
        let n = args.ballots / args.elections + usize::from(e < args.ballots % args.elections);
        let bodies = setup(&h, n, 2026 + e as u64).await?;
        let url = format!("http://{addr}/api/v1/elections/{id}/ballots");
        per_election.push(
            bodies
                .into_iter()
                .map(move |b| (e, url.clone(), b))
                .collect::<Vec<_>>(),
        );
        hosted.push(h);
    }
    let mut ballots = Vec::with_capacity(args.ballots);
    let mut iters: Vec<_> = per_election.into_iter().map(Vec::into_iter).collect();
    while ballots.len() < args.ballots {
        for it in &mut iters {
            if let Some(b) = it.next() {
                ballots.push(b);
            }
        }
    }
    let start_sizes: Vec<u64> = hosted.iter().map(|h| h.board.size()).collect();
    // The other nodes: the same service over the same database, opening the elections the
    // first created from the catalog.
    let mut states = vec![state.clone()];
    let mut listeners = vec![listener];
    let mut addrs = vec![addr];
    for _ in 1..args.nodes {
        let boards = ServiceBoard {
            database: url.clone(),
            origin: "bench.invalid".into(),
            key: ed25519_dalek::SigningKey::from_bytes(&key_seed),
            witnesses: Vec::new(),
            seal_interval: Duration::from_secs(1),
            read_connections: 2,
            shared,
            sealer_lease: Duration::from_secs(3),
            read_replica: None,
            commit_group: !args.no_commit_group,
        };
        let mut service = ServiceConfig {
            rate_limit: None,
            ..ServiceConfig::default()
        };
        service.cast.max_batch = args.batch.max(1);
        service.cast.max_wait = args.batch_wait;
        let node = AppState::open(boards, Catalog::open(&url).await?, service).await?;
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        addrs.push(l.local_addr()?);
        listeners.push(l);
        states.push(node);
    }
    // Ballot i to node i mod N.
    let own_addr = addr.to_string();
    let ballots: Vec<Ballot> = ballots
        .into_iter()
        .enumerate()
        .map(|(i, (e, url, b))| {
            let node = addrs[i % addrs.len()].to_string();
            (e, url.replacen(&own_addr, &node, 1), b)
        })
        .collect();
    let bodies = Arc::new(ballots);

    let mut servers = Vec::new();
    for (st, l) in states.iter().zip(listeners) {
        let server = serve(l, st.clone())?;
        let handle = server.handle();
        servers.push((handle, tokio::spawn(server)));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let all_hosted = || {
        states
            .iter()
            .flat_map(|s| s.registry.open())
            .collect::<Vec<_>>()
    };
    // The durable commits of ballots: on SQLite the transactions of the database's commit group
    // (one for the queued batches of every election's board), else each board's own commits.
    let grouped = || {
        states
            .iter()
            .map(|s| s.commit_group_stats().map(|g| (g.transactions, g.batches)))
            .try_fold((0, 0), |(t, b), g| g.map(|(gt, gb)| (t + gt, b + gb)))
    };
    let durable = || match grouped() {
        Some((transactions, _)) => transactions,
        None => all_hosted().iter().map(|h| h.board.commits()).sum(),
    };
    let commits_before = durable();
    let batches_before = grouped().map(|(_, b)| b);

    // The sequence-only run's ballots are verified before the clock starts: it measures what
    // comes after verification.
    let sequence_work = if args.sequence_only {
        Some(verified_batches(&states, &bodies, args.batch.max(1)).await?)
    } else {
        None
    };
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let latencies = if let Some(work) = sequence_work {
        sequence_only(work, args.clients).await?
    } else {
        match args.rate {
            None => closed_loop(&client, bodies.clone(), args.clients).await?,
            Some(rate) => fixed_rate(&client, bodies.clone(), rate, args.clients).await?,
        }
    };
    let elapsed = t0.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let commits = durable() - commits_before;
    let group_note = match (grouped(), batches_before) {
        (Some((_, b)), Some(b0)) => {
            format!(" in one commit group, {} board batches", b - b0)
        }
        _ => String::new(),
    };

    for st in &states {
        st.shutdown().await;
    }
    for (handle, running) in servers {
        handle.stop(true).await;
        let _ = running.await;
    }
    let mut end_sizes = Vec::new();
    for h in &hosted {
        end_sizes.push(h.board.refresh().await?);
    }
    for st in &states {
        st.close_boards().await;
    }

    let n = latencies.len();
    ensure!(
        n == args.ballots,
        "only {n} of {} ballots acknowledged",
        args.ballots
    );
    let appended: u64 = end_sizes.iter().zip(&start_sizes).map(|(e, s)| e - s).sum();
    ensure!(
        appended == n as u64,
        "{appended} entries appended for {n} acknowledged ballots"
    );
    let mode = match args.rate {
        _ if args.sequence_only => format!(
            "sequencing only, batches of {}, {} at a time",
            args.batch, args.clients
        ),
        None => format!("closed loop, {} clients", args.clients),
        Some(r) => format!("fixed rate {r}/s, up to {} in flight", args.clients),
    };
    let engine = if url.starts_with("postgres") {
        format!(
            "PostgreSQL, {} node{}{}",
            args.nodes,
            if args.nodes == 1 { "" } else { "s" },
            if shared { " sharing the boards" } else { "" }
        )
    } else {
        "SQLite WAL synchronous=FULL".to_owned()
    };
    let mut all: Vec<Duration> = latencies.iter().map(|(_, d)| *d).collect();
    all.sort();
    println!(
        "bench load ({mode}, {} election{}): {n} ballots (1 contest x 5 options) in {:.2?} = \
         {:.0} ballots/s; ack latency p50 {:.1?}, p99 {:.1?}, max {:.1?}; {} durable commits \
         ({:.1} ballots each{group_note}); {engine}; {:.2} ms CPU per ballot (this process); \
         {} cores",
        args.elections,
        if args.elections == 1 { "" } else { "s" },
        elapsed,
        n as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default(),
        commits,
        n as f64 / commits.max(1) as f64,
        1000.0 * cpu / n.max(1) as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    if args.elections > 1 {
        for (e, h) in hosted.iter().enumerate() {
            let mut lat: Vec<Duration> = latencies
                .iter()
                .filter(|(i, _)| *i == e)
                .map(|(_, d)| *d)
                .collect();
            lat.sort();
            println!(
                "  {}: {} ballots, p50 {:.1?}, p99 {:.1?}",
                h.slug,
                lat.len(),
                percentile(&lat, 0.50),
                percentile(&lat, 0.99)
            );
        }
    }
    drop(dir);
    Ok(())
}

/// Batches of verified ballots, each for one election on one node: `(election's position,
/// the election on that node, its ballots)`.
type SequenceWork = Vec<(
    usize,
    Arc<psephos_server::HostedElection>,
    Vec<psephos_core::ballot::VerifiedBallot>,
)>;

/// The ballots, already made, verified and cut into batches of `batch` spread over the nodes.
async fn verified_batches(
    states: &[AppState],
    bodies: &[Ballot],
    batch: usize,
) -> anyhow::Result<SequenceWork> {
    let mut work = Vec::new();
    for (i, chunk) in bodies.chunks(batch).enumerate() {
        let node = &states[i % states.len()];
        let mut by_election: Vec<Vec<psephos_core::ballot::EncryptedBallot>> = Vec::new();
        for (e, _, body) in chunk {
            let b: psephos_core::ballot::EncryptedBallot = serde_json::from_slice(body)?;
            if by_election.len() <= *e {
                by_election.resize_with(e + 1, Vec::new);
            }
            by_election[*e].push(b);
        }
        let hosted = node.registry.open();
        for (e, ballots) in by_election.into_iter().enumerate() {
            if ballots.is_empty() {
                continue;
            }
            let h = hosted
                .iter()
                .find(|h| {
                    let id = h.slug.as_str();
                    id == BENCH_ELECTION || id == format!("{BENCH_ELECTION}-{}", e + 1)
                })
                .context("an election missing on a node")?
                .clone();
            let el = h
                .election
                .read()
                .await
                .election()
                .cloned()
                .context("the bench election has no key")?;
            let verified = tokio::task::spawn_blocking(move || {
                psephos_core::ballot::verify_ballots(&el, ballots)
            })
            .await?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .context("a bench ballot does not verify")?;
            work.push((e, h, verified));
        }
    }
    Ok(work)
}

/// Posts the verified batches straight to the nodes' sequencing (`in_flight` batches at a
/// time); one latency per ballot (its batch's).
async fn sequence_only(
    work: SequenceWork,
    in_flight: usize,
) -> anyhow::Result<Vec<(usize, Duration)>> {
    let work = Arc::new(std::sync::Mutex::new(work.into_iter()));
    let mut tasks = Vec::new();
    for _ in 0..in_flight.max(1) {
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let next = work.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.next();
                let Some((e, h, payloads)) = next else { break };
                let n = payloads.len();
                let t = Instant::now();
                let verdicts = h.election.post_verified_ballots(payloads).await;
                let took = t.elapsed();
                for v in verdicts {
                    v.map_err(|e| anyhow::anyhow!("ballot refused: {e}"))?;
                }
                lat.extend(std::iter::repeat_n((e, took), n));
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

async fn send(client: &reqwest::Client, url: &str, body: Vec<u8>) -> anyhow::Result<()> {
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = r.status();
    if status.as_u16() != 201 {
        let text = r.text().await.unwrap_or_default();
        anyhow::bail!("ballot refused: {status} {text}");
    }
    Ok(())
}

/// A ballot to send: its election's position, the URL to post it to, its body.
type Ballot = (usize, String, Vec<u8>);

async fn closed_loop(
    client: &reqwest::Client,
    bodies: Arc<Vec<Ballot>>,
    clients: usize,
) -> anyhow::Result<Vec<(usize, Duration)>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((e, url, body)) = bodies.get(i) else {
                    break;
                };
                let t = Instant::now();
                send(&client, url, body.clone()).await?;
                lat.push((*e, t.elapsed()));
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::with_capacity(bodies.len());
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

async fn fixed_rate(
    client: &reqwest::Client,
    bodies: Arc<Vec<Ballot>>,
    rate: f64,
    in_flight: usize,
) -> anyhow::Result<Vec<(usize, Duration)>> {
    ensure!(rate > 0.0, "rate must be positive");
    let limit = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(bodies.len());
    for i in 0..bodies.len() {
        let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(scheduled).await;
        let permit = limit.clone().acquire_owned().await?;
        let (client, bodies) = (client.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let (e, url, body) = &bodies[i];
            send(&client, url, body.clone()).await?;
            drop(permit);
            // From the scheduled time: a late send counts against the server.
            anyhow::Ok((*e, scheduled.elapsed()))
        }));
    }
    let mut all = Vec::with_capacity(tasks.len());
    for t in tasks {
        all.push(t.await??);
    }
    Ok(all)
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh SQLite board under `origin` with a random key, in a directory removed when the
/// returned guard drops.
pub(crate) async fn temp_board(origin: &str) -> anyhow::Result<(TempDir, Board)> {
    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("board.db").display());
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = BoardConfig::new(origin, ed25519_dalek::SigningKey::from_bytes(&seed));
    let board = Board::open(&url, config).await?;
    Ok((dir, board))
}

pub(crate) fn tempfile_dir() -> anyhow::Result<TempDir> {
    let mut r = [0u8; 8];
    getrandom::getrandom(&mut r).map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = std::env::temp_dir().join(format!("psephos-bench-load-{}", hex::encode(r)));
    std::fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}
