//! The route table, and the route groups, one module each.
//!
//! Everything election-specific lives under `/api/v1/elections/{election}/…`; the service's
//! own routes (the list of elections, creating one, the OpenAPI document, metrics, health) are
//! outside it. Handlers reach the election they serve through the extractors of
//! [`crate::auth`] ([`crate::auth::ThisElection`], [`crate::auth::Official`],
//! [`crate::auth::Operator`]), never through a process-wide value.
//!
//! Layering: `startup` → `routes` → the services (`state`, `election`, `cast`, `ceremony`, …),
//! never back.

pub mod ballots;
pub mod board;
pub mod ceremony;
pub mod election;
pub mod elections;
pub mod explorer;
pub mod mix;
pub mod observers;
pub mod service;
pub mod tally;
pub mod web;

use crate::startup::MAX_BODY;
use actix_web::web as aw;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde::Serialize;

/// The prefix of every election's routes.
pub const ELECTION_SCOPE: &str = "/api/v1/elections/{election}";

/// Configures the routes on an actix `App` (shared by the server and tests).
pub fn configure(cfg: &mut aw::ServiceConfig) {
    // Every body is read by `crate::body` (bounded, never inflated, one JSON error form):
    // no route uses actix's `web::Json`.
    cfg.app_data(aw::QueryConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid query: {err}")).into()
    }))
    .app_data(aw::PathConfig::default().error_handler(|err, _| {
        crate::ApiError::bad_request(format!("invalid path: {err}")).into()
    }))
    .app_data(aw::PayloadConfig::default().limit(MAX_BODY))
    .configure(elections::configure)
    .service(
        aw::scope(ELECTION_SCOPE)
            .service(aw::scope("/board").configure(board::configure))
            .configure(election::configure)
            .configure(ballots::configure)
            .configure(ceremony::configure)
            .configure(tally::configure)
            .configure(mix::configure)
            .configure(observers::configure)
            .configure(explorer::configure),
    )
    .configure(service::configure)
    .default_service(aw::to(web::fallback));
}

/// A JSON answer with its keys in alphabetical order at every depth, as the bodies that were
/// built as JSON maps have always been sent (`psephos_api::sorted`): the wire stays the same
/// byte for byte. Every type of `psephos-api` that says "sent sorted" goes out through here.
pub(crate) fn sorted(mut answer: HttpResponseBuilder, body: &impl Serialize) -> HttpResponse {
    match serde_json::to_value(body) {
        Ok(v) => answer.json(v),
        Err(e) => {
            tracing::error!(error = %e, "an answer could not be serialized");
            crate::ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the answer could not be written; the operator has been told",
            )
            .error_response()
        }
    }
}
