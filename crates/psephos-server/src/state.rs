//! The application's state: one service, many elections.
//!
//! [`AppState`] is what every handler can reach: the service-wide parts (the operator's token,
//! metrics, the rate limiter, the configuration, the stop signal) and the [`ElectionRegistry`],
//! which maps each election's slug to its [`HostedElection`]: today's single-election service
//! (the board, the rules, the cast pipeline, the intake, the event stream, the ceremony's
//! schedule), one per election, each with its own tasks. Nothing election-specific is
//! process-global, so two elections share nothing but the database and the cores.
//!
//! Elections are opened when the service starts (`docs/multi-election-plan.md` says why not
//! lazily yet): each from its own board, with its own tamper check. An election that fails to
//! open (its board fails the tamper check, the rules refuse its log) is kept in the registry as
//! failed, answered 503 alone, and the others serve.
//!
//! Layering: `startup` builds the state and the server, `routes` holds the route table and the
//! handlers, which reach the services (`election`, `cast`, `ceremony`, …) through this module;
//! never the other way round.

use crate::auth::TokenHash;
use crate::cast::Caster;
use crate::ceremony::CeremonyDesk;
use crate::election::ElectionService;
use crate::error::ServiceError;
use crate::events::Events;
use crate::metrics::Metrics;
use crate::middleware::RateLimiter;
use crate::startup::ServiceConfig;
use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
use psephos_board::{Board, BoardConfig};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// Whether an election is in the public list (`GET /api/v1/elections`): a message of the API,
/// defined in `psephos-api`.
pub use psephos_api::service::Visibility;

/// Where an election's officials' tokens are checked.
#[derive(Debug)]
pub enum OfficialsTokens {
    /// In the service's catalog, read at every request (so that a token revoked on one node is
    /// refused by all at once): every election a catalog lists.
    Catalog(crate::catalog::Catalog),
    /// One token's hash held here (an election hosted without a catalog: tests, benches);
    /// `None`: no officials' routes.
    Fixed(RwLock<Option<TokenHash>>),
}

/// One election as the service hosts it: its board and rules and every per-election service.
pub struct HostedElection {
    pub slug: ElectionSlug,
    pub board: Board,
    /// The board plus the election's rules.
    pub election: Arc<ElectionService>,
    /// The ballot pipeline (batched proof verification, group commit).
    pub caster: Arc<Caster>,
    /// Cheap checks on raw ballot bytes and bounded decoding ([`crate::intake`]).
    pub intake: Arc<crate::intake::Intake>,
    /// Server-sent events for observers.
    pub events: Events,
    /// The key ceremony's schedule.
    pub ceremony: Arc<CeremonyDesk>,
    pub visibility: Visibility,
    /// The service's metrics (shared by every election).
    pub metrics: Arc<Metrics>,
    /// Where the officials' tokens are checked.
    officials: OfficialsTokens,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for HostedElection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedElection")
            .field("slug", &self.slug)
            .field("origin", &self.board.origin())
            .finish_non_exhaustive()
    }
}

impl HostedElection {
    /// Starts the election's services on the current runtime: the ballot pipeline, the
    /// watcher behind the event stream, the snapshots of the rules, the ceremony's schedule.
    fn start(
        slug: ElectionSlug,
        election: ElectionService,
        officials: OfficialsTokens,
        visibility: Visibility,
        config: &ServiceConfig,
        metrics: &Arc<Metrics>,
    ) -> Arc<Self> {
        let board = election.board().clone();
        let intake = Arc::new(crate::intake::Intake::default());
        if let Some(el) = election.election_now() {
            intake.warm(el);
        }
        let election = Arc::new(election);
        let (stop, stopping) = watch::channel(false);
        let events = Events::new(stopping.clone());
        let caster = Arc::new(Caster::start(
            election.clone(),
            config.cast.clone(),
            metrics.clone(),
        ));
        tokio::spawn(crate::events::watch(
            board.clone(),
            election.clone(),
            events.clone(),
            config.watcher.clone(),
            stopping.clone(),
        ));
        if board.is_shared() {
            tokio::spawn(follow(election.clone(), stopping.clone()));
        }
        tokio::spawn(save_snapshots(election.clone(), stopping));
        let ceremony = CeremonyDesk::new(&election, config.schedule);
        Arc::new(HostedElection {
            slug,
            board,
            election,
            caster,
            intake,
            events,
            ceremony,
            visibility,
            metrics: metrics.clone(),
            officials,
            stop,
        })
    }

    /// Whether `token` is a valid officials' token of this election (for an election of the
    /// catalog, read from the database now).
    pub async fn accepts_official(&self, token: &str) -> Result<bool, ServiceError> {
        match &self.officials {
            OfficialsTokens::Catalog(catalog) => {
                Ok(catalog.accepts_official(&self.slug, token).await?)
            }
            OfficialsTokens::Fixed(hash) => {
                let guard = match hash.read() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                Ok(guard.as_ref().is_some_and(|h| h.accepts(token)))
            }
        }
    }

    /// Whether this election has officials' routes at all (an election of the catalog always
    /// has: with every token revoked, each is refused with 401).
    pub fn has_officials(&self) -> bool {
        match &self.officials {
            OfficialsTokens::Catalog(_) => true,
            OfficialsTokens::Fixed(hash) => hash.read().map(|g| g.is_some()).unwrap_or(false),
        }
    }

    /// The catalog holding this election's officials' tokens; `None` for an election hosted
    /// without one.
    pub fn officials_catalog(&self) -> Option<&crate::catalog::Catalog> {
        match &self.officials {
            OfficialsTokens::Catalog(c) => Some(c),
            OfficialsTokens::Fixed(_) => None,
        }
    }

    /// Replaces the officials' token's hash of an election hosted without a catalog (tests);
    /// an election of the catalog has its tokens issued there ([`crate::catalog::Catalog`]),
    /// and this does nothing to it.
    pub fn set_officials(&self, hash: TokenHash) {
        if let OfficialsTokens::Fixed(h) = &self.officials {
            match h.write() {
                Ok(mut g) => *g = Some(hash),
                Err(p) => *p.into_inner() = Some(hash),
            }
        }
    }

    /// Whether this election is stopping (writes are refused with 503).
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Stops taking ballots, commits every queued one, ends the event streams and the tasks.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        self.caster.shutdown().await;
    }

    /// Saves a snapshot of the rules if the board grew since the last one.
    pub async fn save_snapshot(&self) {
        match self.election.save_snapshot().await {
            Ok(Some(size)) => {
                tracing::info!(election = %self.slug, size, "saved a snapshot of the rules")
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(election = %self.slug, error = %e, "saving a snapshot of the rules failed")
            }
        }
    }
}

/// An election in the registry: serving, or refused at start.
#[derive(Debug, Clone)]
pub enum Slot {
    Open(Arc<HostedElection>),
    /// It could not be opened (its board failed the tamper check, its log breaks the rules…):
    /// every request to it is answered 503; the other elections serve.
    Failed {
        origin: String,
        verifier_key: String,
        visibility: Visibility,
        error: String,
    },
}

/// How the service derives and opens each election's board: the service's one board key and
/// origin (`docs/protocol.md` §10.16), the database, and the boards' common settings.
pub struct ServiceBoard {
    /// `sqlite://…` or `postgres://…`: every election's log lives in this one database.
    pub database: String,
    /// The service's origin (`board.example.org`); an election's is `<origin>/<slug>`.
    pub origin: String,
    /// The service's board key, from which each election's is derived.
    pub key: psephos_board::election_key::SigningKey,
    /// Witness keys whose cosignatures every board accepts.
    pub witnesses: Vec<psephos_board::note::VerifierKey>,
    pub seal_interval: Duration,
    /// Read connections of the one read pool every election's board shares
    /// ([`psephos_board::store::SharedReadPool`]).
    pub read_connections: u32,
    /// Several `psephos serve` nodes share the database (PostgreSQL only): each election's
    /// board is sequenced in the database and sealed by one node at a time
    /// ([`BoardConfig::shared`]).
    pub shared: bool,
    /// With `shared`: the sealer lease, so the longest a dead sealer keeps the others from
    /// sealing ([`BoardConfig::sealer_lease`]).
    pub sealer_lease: Duration,
    /// A PostgreSQL streaming replica the public read routes read from
    /// ([`BoardConfig::read_replica`], [`psephos_board::Board::for_readers`]).
    pub read_replica: Option<psephos_board::ReadReplica>,
    /// On SQLite, every election's board commits through one commit group of the database
    /// ([`psephos_board::CommitGroup`]; ignored on PostgreSQL). `false` only to measure the
    /// boards committing alone (`psephos bench load --no-commit-group`).
    pub commit_group: bool,
}

impl std::fmt::Debug for ServiceBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBoard")
            .field("origin", &self.origin)
            .field("key", &"<secret>")
            .finish_non_exhaustive()
    }
}

impl ServiceBoard {
    /// The board configuration of election `slug`: its derived key, named by its origin.
    pub fn config_for(&self, slug: &ElectionSlug) -> BoardConfig {
        let mut c = BoardConfig::new(
            election_origin(&self.origin, slug),
            election_signing_key(&self.key, slug),
        );
        c.witnesses = self.witnesses.clone();
        c.seal_interval = self.seal_interval;
        c.read_connections = self.read_connections;
        c.shared = self.shared;
        c.sealer_lease = self.sealer_lease;
        c.read_replica = self.read_replica.clone();
        c
    }
}

/// The elections of the service, by slug.
#[derive(Debug, Default)]
pub struct ElectionRegistry {
    slots: RwLock<BTreeMap<ElectionSlug, Slot>>,
}

impl ElectionRegistry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<ElectionSlug, Slot>> {
        match self.slots.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<ElectionSlug, Slot>> {
        match self.slots.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The election `slug`: not found if there is none, unavailable if it failed to open.
    pub fn get(&self, slug: &str) -> Result<Arc<HostedElection>, ServiceError> {
        let slug = ElectionSlug::new(slug).map_err(|_| no_election(slug))?;
        match self.read().get(&slug) {
            Some(Slot::Open(e)) => Ok(e.clone()),
            Some(Slot::Failed { error, .. }) => Err(ServiceError::Unavailable {
                code: "unavailable",
                detail: format!(
                    "election {slug} is not served: it failed to open ({error}); the operator \
                     has been told"
                ),
            }),
            None => Err(no_election(slug.as_str())),
        }
    }

    /// Whether `slug` is taken.
    pub fn contains(&self, slug: &ElectionSlug) -> bool {
        self.read().contains_key(slug)
    }

    /// Every election, in slug order.
    pub fn all(&self) -> Vec<(ElectionSlug, Slot)> {
        self.read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The elections that are serving.
    pub fn open(&self) -> Vec<Arc<HostedElection>> {
        self.read()
            .values()
            .filter_map(|s| match s {
                Slot::Open(e) => Some(e.clone()),
                Slot::Failed { .. } => None,
            })
            .collect()
    }

    fn insert(&self, slug: ElectionSlug, slot: Slot) {
        self.write().insert(slug, slot);
    }
}

fn no_election(slug: &str) -> ServiceError {
    ServiceError::NotFound(format!("no election {slug:?} on this service"))
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The elections, by slug.
    pub registry: Arc<ElectionRegistry>,
    /// The operator's token (hash); `None` disables the operator's routes.
    pub operator: Option<TokenHash>,
    /// How new elections are opened and stored (`None`: a fixed set of elections, added with
    /// [`AppState::host`]; `POST /api/v1/elections` is then refused).
    pub service: Option<Arc<ServiceBoard>>,
    /// The service's own tables (elections, tokens), when elections can be created.
    pub catalog: Option<crate::catalog::Catalog>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub config: Arc<ServiceConfig>,
    /// The web booth, read from `config.web_dir` when the state is made (`crate::booth`), or
    /// why it could not be read.
    booth: Arc<Result<crate::booth::ServedBooth, String>>,
    stop: Arc<watch::Sender<bool>>,
    /// Serialises the creation of elections (slug uniqueness, one board opened at a time).
    creating: Arc<tokio::sync::Mutex<()>>,
    /// The read pool every election's board of the service's database shares (`None`: each
    /// board has its own: fixed elections, or the shared pool could not be made).
    read_pool: Option<psephos_board::store::SharedReadPool>,
    /// The commit group every election's board of the service's SQLite database commits its
    /// appends through, so that many busy elections share each `fsync`
    /// ([`psephos_board::CommitGroup`]; `None` on PostgreSQL, for fixed elections, or if the
    /// group could not be made: each board then commits alone).
    commit_group: Option<psephos_board::CommitGroup>,
}

impl AppState {
    /// A service with no election yet. Its elections share one cast pipeline
    /// ([`crate::cast::CastConfig::pipeline`]) unless the configuration brings its own.
    pub fn new(mut config: ServiceConfig) -> Self {
        if config.cast.pipeline.is_none() {
            config.cast.pipeline = Some(Arc::new(crate::cast::Pipeline::new(&config.cast)));
        }
        let (stop, _) = watch::channel(false);
        let booth = match &config.web_dir {
            None => Ok(crate::booth::ServedBooth::none()),
            Some(dir) => crate::booth::ServedBooth::load(dir).map_err(|e| e.to_string()),
        };
        if let Err(e) = &booth {
            tracing::error!("no booth is served: {e}");
        }
        AppState {
            booth: Arc::new(booth),
            registry: Arc::new(ElectionRegistry::default()),
            operator: None,
            service: None,
            catalog: None,
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            config: Arc::new(config),
            stop: Arc::new(stop),
            creating: Arc::new(tokio::sync::Mutex::new(())),
            read_pool: None,
            commit_group: None,
        }
    }

    /// The web booth this service serves; an error (503) if its directory could not be read,
    /// which `psephos serve` reports at start.
    pub fn booth(&self) -> Result<&crate::booth::ServedBooth, crate::ApiError> {
        self.booth.as_ref().as_ref().map_err(|e| {
            crate::ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "booth_unavailable",
                format!("this service has no booth to serve: {e}"),
            )
        })
    }

    /// The service over `catalog`: every election it lists is opened (its board with the full
    /// tamper check in the background, its rules from their snapshot); one that fails is kept
    /// as failed and logged, and the others serve. `POST /api/v1/elections` creates more.
    pub async fn open(
        service: ServiceBoard,
        catalog: crate::catalog::Catalog,
        config: ServiceConfig,
    ) -> Result<Self, crate::catalog::CatalogError> {
        let mut state = AppState::new(config);
        let rows = catalog.elections().await?;
        sweep_orphan_logs(&service, &rows).await;
        match psephos_board::store::SharedReadPool::connect(
            &service.database,
            service.read_connections,
            service.shared,
        )
        .await
        {
            Ok(pool) => state.read_pool = Some(pool),
            Err(e) => {
                tracing::warn!(error = %e, "no shared read pool: each election's board opens its own")
            }
        }
        if service.commit_group && service.database.starts_with("sqlite:") && !service.shared {
            match psephos_board::CommitGroup::connect(&service.database).await {
                Ok(group) => state.commit_group = Some(group),
                Err(e) => {
                    tracing::warn!(error = %e, "no commit group: each election's board commits alone")
                }
            }
        }
        for row in rows {
            let board = state.board_config(&service, &row.slug);
            let origin = board.origin.clone();
            let verifier_key =
                psephos_board::note::NoteSigner::new(&origin, board.signing_key.clone())
                    .map(|s| s.verifier_key().to_string())
                    .unwrap_or_default();
            // (Boxed: an election's open is a large future; the caller's stack need not hold it.)
            match Box::pin(ElectionService::open(&service.database, board)).await {
                Ok(e) => {
                    tracing::info!(election = %row.slug, %origin, size = e.board().size(), "election opened");
                    state.host_with(
                        row.slug,
                        e,
                        OfficialsTokens::Catalog(catalog.clone()),
                        row.visibility,
                    );
                }
                Err(e) => {
                    tracing::error!(election = %row.slug, %origin, error = %e, "election refused at start; the others serve");
                    state.registry.insert(
                        row.slug,
                        Slot::Failed {
                            origin,
                            verifier_key,
                            visibility: row.visibility,
                            error: e.to_string(),
                        },
                    );
                }
            }
        }
        state.service = Some(Arc::new(service));
        state.catalog = Some(catalog);
        Ok(state)
    }

    /// Hosts `election` under `slug` and starts its services (what start and creation do;
    /// tests host boards they opened themselves).
    pub fn host(
        &self,
        slug: ElectionSlug,
        election: ElectionService,
        officials: Option<TokenHash>,
        visibility: Visibility,
    ) -> Arc<HostedElection> {
        self.host_with(
            slug,
            election,
            OfficialsTokens::Fixed(RwLock::new(officials)),
            visibility,
        )
    }

    fn host_with(
        &self,
        slug: ElectionSlug,
        election: ElectionService,
        officials: OfficialsTokens,
        visibility: Visibility,
    ) -> Arc<HostedElection> {
        let hosted = HostedElection::start(
            slug.clone(),
            election,
            officials,
            visibility,
            &self.config,
            &self.metrics,
        );
        self.registry.insert(slug, Slot::Open(hosted.clone()));
        hosted
    }

    /// A service of one election over a board the caller opened (tests, benches): the board is
    /// replayed into its rules and hosted under `slug`, without an officials' token.
    pub async fn with_board(
        slug: &str,
        board: Board,
        config: ServiceConfig,
    ) -> Result<Self, crate::election::ReplayError> {
        let slug = ElectionSlug::new(slug)
            .map_err(|e| crate::election::ReplayError::Snapshot(format!("election id: {e}")))?;
        let election = ElectionService::load(board).await?;
        let state = AppState::new(config);
        state.host(slug, election, None, Visibility::Public);
        Ok(state)
    }

    /// Enables the operator's routes for the token whose hash is `token_hash`.
    pub fn with_operator(mut self, token_hash: [u8; 32]) -> Self {
        self.operator = Some(TokenHash::from_hash(token_hash));
        self
    }

    /// The board configuration of election `slug`, reading from the service's shared read pool
    /// and committing through its commit group.
    fn board_config(&self, service: &ServiceBoard, slug: &ElectionSlug) -> BoardConfig {
        let mut c = service.config_for(slug);
        c.read_pool = self.read_pool.clone();
        c.commit_group = self.commit_group.clone();
        c
    }

    /// What the commit group of the service's SQLite database has committed (`None` without
    /// one): its transactions are the service's durable commits of ballots, whatever the
    /// number of elections.
    pub fn commit_group_stats(&self) -> Option<psephos_board::CommitGroupStats> {
        self.commit_group.as_ref().map(|g| g.stats())
    }

    /// The election `slug` (404, or 503 if it failed to open).
    pub fn election(&self, slug: &str) -> Result<Arc<HostedElection>, ServiceError> {
        self.registry.get(slug)
    }

    /// Creates election `slug`: opens its new board (derived key, origin `<service>/<slug>`),
    /// stores it in the catalog with the officials' token's hash and hosts it. 409 if the slug
    /// is taken; 403 if this service cannot create elections.
    pub async fn create(
        &self,
        slug: ElectionSlug,
        visibility: Visibility,
        officials: TokenHash,
    ) -> Result<Arc<HostedElection>, ServiceError> {
        let (Some(service), Some(catalog)) = (&self.service, &self.catalog) else {
            return Err(ServiceError::FixedElections);
        };
        let _one_at_a_time = self.creating.lock().await;
        if self.registry.contains(&slug) {
            return Err(ServiceError::Conflict {
                code: "conflict",
                detail: format!("election {slug} already exists"),
            });
        }
        let config = self.board_config(service, &slug);
        // A new log: nothing to check, nothing to replay. (If a log of this origin was left by
        // a creation that failed after opening it and could not be removed, it is opened and
        // checked as any other.)
        let election = Box::pin(ElectionService::open(&service.database, config))
            .await
            .map_err(|e| {
                tracing::error!(election = %slug, error = %e, "opening a new election's board failed");
                ServiceError::Internal(
                    "the election's board could not be opened; the operator has been told",
                )
            })?;
        let row = crate::catalog::ElectionRow {
            slug: slug.clone(),
            log_id: election.board().log_id(),
            origin: election.board().origin().to_owned(),
            visibility,
        };
        if let Err(e) = catalog.insert(&row, &officials).await {
            let _ = election.board().close().await;
            remove_failed_creation(&service.database, catalog, &row.origin).await;
            return Err(e.into());
        }
        Ok(self.host_with(
            slug,
            election,
            OfficialsTokens::Catalog(catalog.clone()),
            visibility,
        ))
    }

    /// Opens and hosts the elections the catalog lists that this service does not host yet:
    /// with several nodes on one database, those another node created. Returns how many.
    pub async fn open_new_elections(&self) -> Result<usize, ServiceError> {
        let (Some(service), Some(catalog)) = (&self.service, &self.catalog) else {
            return Ok(0);
        };
        let rows = catalog.elections().await?;
        let mut opened = 0;
        for row in rows {
            if self.registry.contains(&row.slug) {
                continue;
            }
            let _one_at_a_time = self.creating.lock().await;
            if self.registry.contains(&row.slug) {
                continue;
            }
            let config = self.board_config(service, &row.slug);
            match Box::pin(ElectionService::open(&service.database, config)).await {
                Ok(e) => {
                    tracing::info!(election = %row.slug, "election created by another node opened");
                    self.host_with(
                        row.slug,
                        e,
                        OfficialsTokens::Catalog(catalog.clone()),
                        row.visibility,
                    );
                    opened += 1;
                }
                Err(e) => {
                    tracing::warn!(election = %row.slug, error = %e, "an election created by another node could not be opened yet");
                }
            }
        }
        Ok(opened)
    }

    /// Refuses a definition of election `slug` whose key ceremony is another election's: the
    /// ceremony id covers the manifest's hash and the trustees' keys (`docs/protocol.md` §9.5),
    /// so two elections of one service defined with the same manifest and the same trustees
    /// would accept each other's ceremony messages, and, with the same credential list, each
    /// other's ballots. Returns a guard to hold until the definition is posted, so that two
    /// such definitions cannot race past the check. 409 `conflict`.
    pub async fn reserve_ceremony(
        &self,
        slug: &ElectionSlug,
        ceremony_id: &psephos_core::hash::Digest,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, ServiceError> {
        let guard = self.creating.lock().await;
        for other in self.registry.open() {
            if &other.slug == slug {
                continue;
            }
            let same = other
                .election
                .read()
                .await
                .definition()
                .is_some_and(|d| d.ceremony.id() == ceremony_id);
            if same {
                return Err(ServiceError::Conflict {
                    code: "conflict",
                    detail: format!(
                        "election {} of this service is defined with the same manifest and \
                         trustees (the same key ceremony); give this election its own manifest \
                         id, or other trustee keys",
                        other.slug
                    ),
                });
            }
        }
        Ok(guard)
    }

    /// Whether the service is stopping (writes are refused with 503).
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Stops every election: no new ballots, every queued one committed, streams ended.
    /// Call after the HTTP server stopped (or is stopping), before closing the boards.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        for e in self.registry.open() {
            e.shutdown().await;
        }
    }

    /// Saves a snapshot of every election's rules whose board grew since its last one.
    pub async fn save_snapshots(&self) {
        for e in self.registry.open() {
            e.save_snapshot().await;
        }
    }

    /// Seals a last block of every election's board and closes it, then the commit group and the
    /// shared read pool.
    pub async fn close_boards(&self) {
        for e in self.registry.open() {
            if let Err(err) = e.board.close().await {
                tracing::warn!(election = %e.slug, error = %err, "closing the board");
            }
        }
        if let Some(group) = &self.commit_group {
            group.close().await;
        }
        if let Some(pool) = &self.read_pool {
            pool.close().await;
        }
    }
}

/// How old an empty log no election names must be before a start removes it: a creation on
/// another node takes a moment between opening the new log and naming it in the catalog (and
/// on PostgreSQL, an open log is never removed anyway: its writer lock is held).
pub const ORPHAN_GRACE: Duration = Duration::from_secs(600);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// After a creation failed past opening the election's new log: removes that log if it is
/// still empty and no election names it (the catalog may name it when the failure was another
/// node creating the same id first). A log that cannot be removed is reported.
async fn remove_failed_creation(database: &str, catalog: &crate::catalog::Catalog, origin: &str) {
    match catalog.names_origin(origin).await {
        Ok(false) => {}
        Ok(true) => return,
        Err(e) => {
            tracing::warn!(%origin, error = %e, "a failed creation's log is kept: the catalog could not be read");
            return;
        }
    }
    match psephos_board::store::remove_empty_log(database, origin, i64::MAX).await {
        Ok(true) => tracing::info!(%origin, "the failed creation's empty log was removed"),
        Ok(false) => {
            tracing::warn!(%origin, "the failed creation's log was kept (not empty, or open)")
        }
        Err(e) => {
            tracing::warn!(%origin, error = %e, "the failed creation's log could not be removed")
        }
    }
}

/// At start: the logs under the service's origin that no election of the catalog names (left
/// by a creation that failed, or crashed, between its two steps). Each empty one older than
/// [`ORPHAN_GRACE`] is removed; any other is reported and kept (something was stored in it: a
/// person decides). Returns the origins reported or removed, for tests.
pub async fn sweep_orphan_logs(
    service: &ServiceBoard,
    rows: &[crate::catalog::ElectionRow],
) -> Vec<(String, bool)> {
    let logs = match psephos_board::store::stored_logs(&service.database).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "the board logs could not be listed to look for orphans");
            return Vec::new();
        }
    };
    let prefix = format!("{}/", service.origin);
    let named: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.origin.as_str()).collect();
    let grace = i64::try_from(ORPHAN_GRACE.as_millis()).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for log in logs {
        if !log.origin.starts_with(&prefix) || named.contains(log.origin.as_str()) {
            continue;
        }
        let removed = log.empty
            && match psephos_board::store::remove_empty_log(
                &service.database,
                &log.origin,
                now_ms().saturating_sub(grace),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(origin = %log.origin, error = %e, "removing an orphan log failed");
                    false
                }
            };
        if removed {
            tracing::info!(origin = %log.origin, log_id = log.log_id, "removed an empty log no election names (a failed creation)");
        } else {
            tracing::warn!(origin = %log.origin, log_id = log.log_id, empty = log.empty, "a log under this service's origin is named by no election: kept; remove it by hand if it is not needed");
        }
        out.push((log.origin, removed));
    }
    out
}

/// How often the board's growth since the last snapshot is looked at.
const SNAPSHOT_TICK: Duration = Duration::from_secs(5);

/// Saves a snapshot of the rules whenever the board grew by
/// [`crate::election::SNAPSHOT_EVERY`] entries since the last one, until the election stops.
async fn save_snapshots(election: Arc<ElectionService>, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(SNAPSHOT_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let behind = election
            .board()
            .size()
            .saturating_sub(election.snapshot_size());
        if behind >= crate::election::SNAPSHOT_EVERY {
            match election.save_snapshot().await {
                Ok(Some(size)) => tracing::info!(size, "saved a snapshot of the rules"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "saving a snapshot of the rules failed"),
            }
        }
    }
}

/// How often a node of a shared board applies to its rules what the other nodes appended.
const FOLLOW_TICK: Duration = Duration::from_millis(250);

/// On a board shared by several nodes: keeps the rules in step with what the other nodes
/// append (tracking codes, status pages), until the election stops. Writes catch up on their
/// own, under the log's lock; this is for reads.
async fn follow(election: Arc<ElectionService>, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(FOLLOW_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        if let Err(e) = election.follow(false).await {
            tracing::warn!(error = %e, "following the shared board failed; retrying");
        }
    }
}
