//! The service's own routes, outside every election.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/api/openapi.json` | the OpenAPI 3.1 document of this API |
//! | GET | `/metrics` | Prometheus text exposition, gauges labelled by election |
//! | GET | `/health` | `{status, elections: {id: state}}` (503 while stopping); one election's failure is in its own state, not the service's |

use crate::metrics::Gauges;
use crate::routes::observers::{election_status, tamper_check_name};
use crate::state::{AppState, Slot};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The OpenAPI document, maintained by hand next to the routes (a test checks that every
/// route is in it and that every path in it is served).
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/health").route(web::get().to(service_health)));
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut gauges = Vec::new();
    for e in state.registry.open() {
        let (phase, counts) = {
            let s = e.election.read().await;
            (s.phase().name(), s.counts())
        };
        gauges.push(Gauges {
            election: e.slug.to_string(),
            board_size: e.board.size(),
            sealed_size: e.board.sealed_size(),
            phase,
            counts,
            tamper_check: tamper_check_name(&e.board.tamper_check()),
        });
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&gauges))
}

/// The service's health: 503 only while it stops. Each election's state is listed: one
/// election that failed to open or failed its tamper check does not make the service unhealthy
/// (its own `E/health` says so).
async fn service_health(state: web::Data<AppState>) -> HttpResponse {
    let mut elections = serde_json::Map::new();
    for (slug, slot) in state.registry.all() {
        let v = match slot {
            Slot::Open(e) => json!({
                "status": election_status(&e),
                "phase": e.election.read().await.phase(),
                "board_size": e.board.size(),
                "tamper_check": tamper_check_name(&e.board.tamper_check()),
            }),
            Slot::Failed { error, .. } => json!({ "status": "failed", "error": error }),
        };
        elections.insert(slug.to_string(), v);
    }
    let stopping = state.stopping();
    HttpResponse::build(if stopping {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    })
    .json(json!({
        "status": if stopping { "stopping" } else { "ok" },
        "elections": elections,
    }))
}
