//! `psephos serve`: one service hosting every election of an organisation, each on its own
//! board, in one database: SQLite (default) or PostgreSQL.
//!
//! Configuration, highest precedence first: command-line flags, environment variables
//! (`PSEPHOS_*`), a TOML file given with `--config` (keys named like the flags, with `_` for
//! `-`), then the defaults. Secrets are never read from the file: the board key is a path.
//!
//! The board key file is the *service's*: its name is the service's origin, and each
//! election's board key is derived from it (`docs/protocol.md` §10.16), named by the election's
//! origin `<service origin>/<election id>`.
//!
//! Operator token: at the first start a 256-bit random token is generated and printed once on
//! standard output (never logged); only its SHA-256 is stored, in the table
//! `psephos_operator_token` of the database. `--reset-operator-token` makes a new one. The
//! operator creates elections (`POST /api/v1/elections`), each with its officials' token.
//!
//! Several nodes (`--multi-node`, PostgreSQL only; refused on SQLite): every node serves every
//! route and verifies the ballots it receives; each election's log is sequenced in the
//! database and sealed by one node at a time, another taking over within `--sealer-lease` of
//! its death (`docs/protocol.md` §10.10, `docs/deploy.md`). Elections created on one node are
//! opened by the others within a second.
//!
//! A read replica (`--read-database`, PostgreSQL only): the public read routes read from a
//! streaming replica of the database, each bounded by what the replica holds; what it has not
//! replayed yet is answered "not yet" (`docs/api.md`), never with an older answer.
//!
//! Stopping (SIGINT / SIGTERM): new ballots get 503, every queued ballot is verified and
//! committed, in-flight requests finish, event streams end, a last block is sealed and the
//! database is closed. No acknowledged ballot is lost: a ballot is acknowledged only after its
//! durable append.

use crate::keys::SecretKey;
use anyhow::Context;
use psephos_server::catalog::Catalog;
use psephos_server::ceremony::CeremonySchedule;
use psephos_server::middleware::RateLimit;
use psephos_server::{serve, AppState, ServiceBoard, ServiceConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// A TOML file with any of the settings below (flags and environment take precedence).
    #[arg(long, env = "PSEPHOS_CONFIG")]
    pub config: Option<PathBuf>,
    /// `sqlite://path?mode=rwc` or `postgres://…` [default: sqlite://psephos.db?mode=rwc]
    #[arg(long, env = "PSEPHOS_DATABASE")]
    pub database: Option<String>,
    /// The board's secret key file (`psephos board keygen`).
    #[arg(long, env = "PSEPHOS_BOARD_KEY")]
    pub key: Option<PathBuf>,
    /// Witness verifier keys whose cosignatures the board accepts (repeatable).
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "PSEPHOS_LISTEN")]
    pub listen: Option<String>,
    /// How often a block is sealed when there is something new [default: 1s]
    #[arg(long, env = "PSEPHOS_SEAL_INTERVAL", value_parser = humantime::parse_duration)]
    pub seal_interval: Option<Duration>,
    /// The web app's directory, served at `/` [default: web/dist if it exists]
    #[arg(long, env = "PSEPHOS_WEB")]
    pub web: Option<PathBuf>,
    /// Write requests per second allowed per client IP; 0 disables the limit [default: 20]
    #[arg(long, env = "PSEPHOS_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Burst of write requests allowed per client IP [default: 2 × rate]
    #[arg(long, env = "PSEPHOS_RATE_BURST")]
    pub rate_burst: Option<f64>,
    /// Longest a request may take before 503 [default: 60s]
    #[arg(long, env = "PSEPHOS_REQUEST_TIMEOUT", value_parser = humantime::parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Ballots verified together at most [default: 64]
    #[arg(long, env = "PSEPHOS_BATCH")]
    pub batch: Option<usize>,
    /// Longest a verification batch waits for more ballots [default: 2ms]
    #[arg(long, env = "PSEPHOS_BATCH_WAIT", value_parser = humantime::parse_duration)]
    pub batch_wait: Option<Duration>,
    /// How long the key ceremony's complaint round stays open once the shares are dealt
    /// [default: 60s]
    #[arg(long, env = "PSEPHOS_COMPLAINT_WINDOW", value_parser = humantime::parse_duration)]
    pub complaint_window: Option<Duration>,
    /// How long a ceremony round waits for absent trustees before closing anyway (they are
    /// then disqualified) [default: 10m]
    #[arg(long, env = "PSEPHOS_ROUND_TIMEOUT", value_parser = humantime::parse_duration)]
    pub round_timeout: Option<Duration>,
    /// Several `psephos serve` nodes share the database (PostgreSQL only): any node accepts
    /// ballots, the database sequences them, one node at a time seals (docs/deploy.md).
    #[arg(long, env = "PSEPHOS_MULTI_NODE")]
    pub multi_node: bool,
    /// With --multi-node: how long the sealer role lasts unless renewed, so how long a dead
    /// sealer keeps the others from sealing [default: 3s]
    #[arg(long, env = "PSEPHOS_SEALER_LEASE", value_parser = humantime::parse_duration)]
    pub sealer_lease: Option<Duration>,
    /// A PostgreSQL streaming replica of --database (`postgres://…`, read-only) that the public
    /// read routes (entries, receipts, proofs, checkpoints, blocks, the record) read from;
    /// writes and the rules stay on --database. Refused on SQLite (docs/deploy.md).
    #[arg(long, env = "PSEPHOS_READ_DATABASE")]
    pub read_database: Option<String>,
    /// Replace the stored operator token with a new one (printed once).
    #[arg(long)]
    pub reset_operator_token: bool,
    /// No operator token: no operator routes (no election can be created or given a new
    /// officials' token); each election's officials' routes still answer their own token.
    #[arg(long)]
    pub no_operator: bool,
}

/// The `--config` file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database: Option<String>,
    key: Option<PathBuf>,
    #[serde(default)]
    witnesses: Vec<String>,
    listen: Option<String>,
    seal_interval: Option<String>,
    web: Option<PathBuf>,
    rate_limit: Option<f64>,
    rate_burst: Option<f64>,
    request_timeout: Option<String>,
    batch: Option<usize>,
    batch_wait: Option<String>,
    complaint_window: Option<String>,
    round_timeout: Option<String>,
    #[serde(default)]
    multi_node: bool,
    sealer_lease: Option<String>,
    read_database: Option<String>,
}

fn duration(what: &str, s: &Option<String>) -> anyhow::Result<Option<Duration>> {
    s.as_deref()
        .map(|t| humantime::parse_duration(t).with_context(|| format!("{what} = {t:?}")))
        .transpose()
}

/// The settings after flags, environment, file and defaults are merged.
#[derive(Debug)]
pub struct Settings {
    pub database: String,
    pub key: PathBuf,
    pub witnesses: Vec<String>,
    pub listen: String,
    pub seal_interval: Duration,
    pub service: ServiceConfig,
    pub schedule: CeremonySchedule,
    /// Several nodes on one PostgreSQL.
    pub multi_node: bool,
    pub sealer_lease: Duration,
    /// A streaming replica the public reads come from.
    pub read_database: Option<String>,
}

impl Args {
    /// Merges the flags (and environment) over the config file over the defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let file: FileConfig = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("in {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let key = self.key.clone().or(file.key).context(
            "no board key: give --key FILE (or PSEPHOS_BOARD_KEY, or key = … in --config)",
        )?;
        let mut witnesses = file.witnesses;
        witnesses.extend(self.witnesses.iter().cloned());
        let mut service = ServiceConfig::default();
        let rate = self.rate_limit.or(file.rate_limit).unwrap_or(20.0);
        let burst = self.rate_burst.or(file.rate_burst).unwrap_or(2.0 * rate);
        service.rate_limit = (rate > 0.0).then_some(RateLimit {
            rate,
            burst: burst.max(1.0),
        });
        if let Some(t) = self
            .request_timeout
            .or(duration("request_timeout", &file.request_timeout)?)
        {
            service.request_timeout = t;
        }
        if let Some(b) = self.batch.or(file.batch) {
            anyhow::ensure!(b >= 1, "batch must be at least 1");
            service.cast.max_batch = b;
        }
        if let Some(w) = self
            .batch_wait
            .or(duration("batch_wait", &file.batch_wait)?)
        {
            service.cast.max_wait = w;
        }
        let mut schedule = CeremonySchedule::default();
        if let Some(w) = self
            .complaint_window
            .or(duration("complaint_window", &file.complaint_window)?)
        {
            schedule.complaint_window = w;
        }
        if let Some(t) = self
            .round_timeout
            .or(duration("round_timeout", &file.round_timeout)?)
        {
            schedule.round_timeout = t;
        }
        service.web_dir = self.web.clone().or(file.web).or_else(|| {
            let d = PathBuf::from("web/dist");
            d.is_dir().then_some(d)
        });
        let database = self
            .database
            .clone()
            .or(file.database)
            .unwrap_or_else(|| "sqlite://psephos.db?mode=rwc".into());
        let multi_node = self.multi_node || file.multi_node;
        anyhow::ensure!(
            !multi_node
                || database.starts_with("postgres://")
                || database.starts_with("postgresql://"),
            "--multi-node needs PostgreSQL (--database postgres://…): SQLite is the embedded \
             store of a single node. Run one `psephos serve` on SQLite, or move to PostgreSQL \
             to run several nodes (docs/deploy.md)"
        );
        let is_pg = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        let read_database = self.read_database.clone().or(file.read_database);
        if let Some(read) = &read_database {
            anyhow::ensure!(
                is_pg(&database),
                "--read-database needs the board in PostgreSQL (--database postgres://…): SQLite \
                 has no streaming replicas; serve every read from the one database"
            );
            anyhow::ensure!(
                is_pg(read),
                "--read-database is a PostgreSQL streaming replica of --database (postgres://…)"
            );
        }
        let sealer_lease = self
            .sealer_lease
            .or(duration("sealer_lease", &file.sealer_lease)?)
            .unwrap_or(Duration::from_secs(3));
        anyhow::ensure!(
            sealer_lease >= Duration::from_millis(500),
            "sealer_lease must be at least 500ms"
        );
        Ok(Settings {
            database,
            read_database,
            multi_node,
            sealer_lease,
            key,
            witnesses,
            listen: self
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            seal_interval: self
                .seal_interval
                .or(duration("seal_interval", &file.seal_interval)?)
                .unwrap_or(Duration::from_secs(1)),
            service,
            schedule,
        })
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let key = SecretKey::read_as(&settings.key, psephos_board::note::SignatureType::Ed25519)?;
    let read_replica = match &settings.read_database {
        Some(url) => Some(
            psephos_board::ReadReplica::connect(url, 8)
                .await
                .context("connecting to the read replica (--read-database)")?,
        ),
        None => None,
    };
    let service = ServiceBoard {
        database: settings.database.clone(),
        origin: key.name.clone(),
        key: key.signing_key.clone(),
        witnesses: crate::trust::witness_keys(&settings.witnesses)?,
        seal_interval: settings.seal_interval,
        read_connections: 2,
        shared: settings.multi_node,
        sealer_lease: settings.sealer_lease,
        read_replica,
        commit_group: true,
    };
    let catalog = Catalog::open(&settings.database)
        .await
        .with_context(|| format!("opening the service catalog at {}", settings.database))?;
    // Every election the catalog lists is opened: its board checks its latest signed checkpoint
    // and the tree's right edge at once and the rest in the background, its rules come back
    // from their snapshot. One that fails is refused alone; the others serve.
    let mut service_config = settings.service.clone();
    service_config.schedule = settings.schedule;
    let mut state = AppState::open(service, catalog.clone(), service_config)
        .await
        .with_context(|| format!("opening the elections at {}", settings.database))?;
    if !args.no_operator {
        let (hash, fresh) = catalog
            .operator_token(args.reset_operator_token)
            .await
            .context("reading the operator token's hash")?;
        if let Some(token) = fresh {
            // Printed once, to stdout only; never logged.
            println!(
                "operator token (shown once; keep it safe): {}",
                token.expose()
            );
        }
        state = state.with_operator(hash);
    }
    let listener = std::net::TcpListener::bind(&settings.listen)
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let elections = state.registry.all().len();
    tracing::info!(%addr, origin = %key.name, elections, "serving");
    println!(
        "service {} ({elections} elections) listening on http://{addr}",
        key.name
    );
    let server = serve(listener, state.clone())?;
    let handle = server.handle();
    let running = tokio::spawn(server);
    // With several nodes, elections another node creates are opened here too (on this task:
    // an election's open is not a future that can move between threads).
    let discover = async {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = state.open_new_elections().await {
                tracing::warn!(error = %e, "reading the catalog for new elections failed");
            }
        }
    };
    if settings.multi_node {
        tokio::select! {
            _ = stop_signal() => {}
            _ = discover => {}
        }
    } else {
        stop_signal().await;
    }
    tracing::info!("stopping: refusing new ballots, finishing queued ones");
    state.shutdown().await;
    handle.stop(true).await;
    match running.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server error at shutdown"),
        Err(e) => tracing::warn!(error = %e, "HTTP server task failed"),
    }
    state.save_snapshots().await;
    state.close_boards().await;
    tracing::info!("boards closed cleanly");
    Ok(())
}
