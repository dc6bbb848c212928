//! Building and starting the HTTP service: the application is made from an [`AppState`]
//! ([`crate::state`]) and a bound listener, so tests bind `127.0.0.1:0` and learn the port. The
//! route table is [`crate::routes::configure`].

use crate::cast::CastConfig;
use crate::ceremony::CeremonySchedule;
use crate::events::Watcher;
use crate::middleware::RateLimit;
use crate::routes::configure;
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The key ceremony's schedule, for every election.
    pub schedule: CeremonySchedule,
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
            schedule: CeremonySchedule::default(),
        }
    }
}

/// Starts serving on `listener`. The returned server runs when awaited; its handle stops it
/// gracefully (in-flight requests finish). It does not install signal handlers: the caller
/// decides when to stop (`psephos serve` stops on SIGINT/SIGTERM, then calls
/// [`AppState::shutdown`] and closes the boards).
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
