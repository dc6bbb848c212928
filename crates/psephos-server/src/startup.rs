//! Building and starting the HTTP service: the application is made from an [`AppState`] and a
//! bound listener, so tests bind `127.0.0.1:0` and learn the port.

use crate::election::ElectionService;
use crate::routes;
use actix_web::{web, App, HttpServer};
use psephos_board::Board;
use std::net::TcpListener;
use std::sync::Arc;

/// Largest request body (JSON) accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub board: Board,
    /// The election on this board (one board holds one election).
    pub election: Arc<ElectionService>,
    /// Officials' admin token (hash); `None` disables the admin routes (read-only server).
    pub admin: Option<Arc<crate::auth::AdminAuth>>,
}

impl AppState {
    /// Replays `board` into its election and makes the state handlers share.
    pub async fn load(board: Board) -> Result<Self, crate::election::ReplayError> {
        let election = Arc::new(ElectionService::load(board.clone()).await?);
        Ok(AppState {
            board,
            election,
            admin: None,
        })
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
}

/// Configures the routes on an actix `App` (shared by the server and tests).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY)
            .error_handler(|err, _| {
                crate::ApiError::bad_request(format!("invalid JSON body: {err}")).into()
            }),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid query: {err}")).into()
    }))
    .app_data(web::PathConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid path: {err}")).into()
    }))
    .app_data(web::PayloadConfig::default().limit(MAX_BODY))
    .configure(routes::ceremony::configure)
    .configure(routes::tally::configure)
    .service(web::scope("/api/v1/board").configure(routes::board::configure));
}

/// Starts serving on `listener`. The returned server runs when awaited; its handle stops it
/// gracefully (in-flight requests finish).
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(configure))
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
    Ok(server)
}
