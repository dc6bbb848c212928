//! Building and starting the HTTP service: the application is made from an [`AppState`] and a
//! bound listener, so tests bind `127.0.0.1:0` and learn the port.

use crate::cast::{CastConfig, Caster};
use crate::election::ElectionService;
use crate::events::{Events, Watcher};
use crate::metrics::Metrics;
use crate::middleware::{RateLimit, RateLimiter};
use crate::routes;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use psephos_board::Board;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Largest request body (JSON) accepted by routes without their own limit, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// How the service runs (the parts that are not the board's).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Ballot batching and verification.
    pub cast: CastConfig,
    /// The watcher (events, automatic completion of the key ceremony).
    pub watcher: Watcher,
    /// Per-client limit on write requests; `None`: unlimited.
    pub rate_limit: Option<RateLimit>,
    /// Longest a handler may take before 503.
    pub request_timeout: Duration,
    /// The web app's directory, served at `/` (`None`: not served).
    pub web_dir: Option<PathBuf>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            cast: CastConfig::default(),
            watcher: Watcher::default(),
            rate_limit: Some(RateLimit {
                rate: 20.0,
                burst: 40.0,
            }),
            request_timeout: Duration::from_secs(60),
            web_dir: None,
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub board: Board,
    /// The election on this board (one board holds one election).
    pub election: Arc<ElectionService>,
    /// Officials' admin token (hash); `None` disables the admin routes (read-only server).
    pub admin: Option<Arc<crate::auth::AdminAuth>>,
    /// The ballot pipeline (batched proof verification, group commit).
    pub caster: Arc<Caster>,
    /// Cheap checks on raw ballot bytes and bounded decoding ([`crate::intake`]).
    pub intake: Arc<crate::intake::Intake>,
    /// Server-sent events for observers.
    pub events: Events,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub config: Arc<ServiceConfig>,
    stop: Arc<watch::Sender<bool>>,
}

impl AppState {
    /// Replays `board` into its election and makes the state handlers share, with the default
    /// [`ServiceConfig`]. Starts the ballot pipeline and the watcher on the current runtime.
    pub async fn load(board: Board) -> Result<Self, crate::election::ReplayError> {
        Self::load_with(board, ServiceConfig::default()).await
    }

    /// [`AppState::load`] with a configuration.
    pub async fn load_with(
        board: Board,
        config: ServiceConfig,
    ) -> Result<Self, crate::election::ReplayError> {
        let election = ElectionService::load(board).await?;
        Ok(Self::start(election, config))
    }

    /// The state handlers share, over an election already loaded ([`ElectionService::open`]
    /// opens the board and replays it in one pass). Starts the ballot pipeline, the watcher and
    /// the measuring of ballot sizes (when the key is known) on the current runtime.
    pub fn start(election: ElectionService, config: ServiceConfig) -> Self {
        let board = election.board().clone();
        let intake = Arc::new(crate::intake::Intake::default());
        if let Some(el) = election.election_now() {
            intake.warm(el);
        }
        let election = Arc::new(election);
        let metrics = Arc::new(Metrics::default());
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
        tokio::spawn(save_snapshots(election.clone(), stopping));
        AppState {
            board,
            election,
            admin: None,
            caster,
            intake,
            events,
            metrics,
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            config: Arc::new(config),
            stop: Arc::new(stop),
        }
    }

    /// Enables the admin routes for the token whose hash is `token_hash`.
    pub fn with_admin(mut self, token_hash: [u8; 32]) -> Self {
        self.admin = Some(Arc::new(crate::auth::AdminAuth::from_hash(token_hash)));
        self
    }

    /// Checks the officials' token on `req` (401 if absent or wrong, 403 if admin is disabled).
    pub fn require_admin(&self, req: &actix_web::HttpRequest) -> Result<(), crate::ApiError> {
        match &self.admin {
            Some(a) => a.check(req),
            None => Err(crate::ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "admin_disabled",
                "this server was started without an admin token",
            )),
        }
    }

    /// Whether the service is stopping (writes are refused with 503).
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Stops taking ballots, commits every queued one, ends event streams and the watcher.
    /// Call after the HTTP server stopped (or is stopping), before closing the board.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        self.caster.shutdown().await;
    }

    /// Saves a snapshot of the rules if the board grew since the last one (what a clean stop
    /// does last, so that the next start restores instead of replaying).
    pub async fn save_snapshot(&self) {
        match self.election.save_snapshot().await {
            Ok(Some(size)) => tracing::info!(size, "saved a snapshot of the rules"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "saving a snapshot of the rules failed"),
        }
    }
}

/// How often the board's growth since the last snapshot is looked at.
const SNAPSHOT_TICK: Duration = Duration::from_secs(5);

/// Saves a snapshot of the rules whenever the board grew by
/// [`crate::election::SNAPSHOT_EVERY`] entries since the last one, until the service stops.
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

/// Configures the routes on an actix `App` (shared by the server and tests).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Every body is read by `crate::body` (bounded, never inflated, one JSON error form):
    // no route uses actix's `web::Json`.
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid query: {err}")).into()
    }))
    .app_data(web::PathConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid path: {err}")).into()
    }))
    .app_data(web::PayloadConfig::default().limit(MAX_BODY))
    .service(web::scope("/api/v1/board").configure(routes::board::configure))
    .configure(routes::election::configure)
    .configure(routes::ballots::configure)
    .configure(routes::ceremony::configure)
    .configure(routes::tally::configure)
    .configure(routes::observers::configure)
    .default_service(web::to(routes::web::fallback));
}

/// Starts serving on `listener`. The returned server runs when awaited; its handle stops it
/// gracefully (in-flight requests finish). It does not install signal handlers: the caller
/// decides when to stop (`psephos serve` stops on SIGINT/SIGTERM, then calls
/// [`AppState::shutdown`] and closes the board).
///
/// The server is `HttpServer`'s, assembled from its parts so that the HTTP layer's own answers
/// are the API's too ([`crate::transport`]): `Expect: 100-continue` is answered by the route's
/// limits, and the HTTP layer's bodiless errors get the JSON error body.
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<actix_web::dev::Server> {
    use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
    let data = web::Data::new(state);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server = actix_server::Server::build()
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(10)
        .listen("psephos", listener, move || {
            let app = App::new()
                .app_data(data.clone())
                .configure(configure)
                .wrap(from_fn(crate::middleware::timeout))
                .wrap(from_fn(crate::middleware::rate_limit))
                .wrap(from_fn(crate::middleware::request_context))
                .into_factory()
                .map_err(|e: actix_web::Error| e.as_response_error().error_response());
            let http = actix_http::HttpService::build()
                // `HttpServer`'s defaults.
                .keep_alive(actix_http::KeepAlive::Timeout(Duration::from_secs(5)))
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .expect(fn_service(crate::transport::expect))
                .h1(map_config(app, |_| actix_web::dev::AppConfig::default()));
            fn_service(|io: actix_web::rt::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((
                    crate::transport::JsonErrors::new(io),
                    peer,
                ))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}
