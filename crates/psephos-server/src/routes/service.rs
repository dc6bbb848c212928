//! The service's own routes, outside every election.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/api/openapi.json` | the OpenAPI 3.1 document of this API |
//! | GET | `/metrics` | Prometheus text exposition, gauges labelled by election |
//! | GET | `/health` | `{status, elections: {id: state}}` (503 while stopping); one election's failure is in its own state, not the service's |
//! | GET | `/ready` | `{ready, reason?}`: 200 when this node can take requests (not stopping, the database and the read replica, if any, answer), else 503: what a load balancer polls |

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
        .service(web::resource("/health").route(web::get().to(service_health)))
        .service(web::resource("/ready").route(web::get().to(service_ready)));
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
            sealer: e.board.is_sealer(),
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
                "sealed_size": e.board.sealed_size(),
                "shared": e.board.is_shared(),
                "sealer": e.board.is_sealer(),
                "node": e.board.node_name(),
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

/// Whether this node can take requests: not stopping, and the database answers for every
/// election it serves (a node that lost the database is not ready, so a load balancer sends
/// voters elsewhere). An election that failed to open does not make the node unready: every
/// node would refuse it alike.
async fn service_ready(state: web::Data<AppState>) -> HttpResponse {
    let unready = |reason: String| {
        HttpResponse::ServiceUnavailable().json(json!({ "ready": false, "reason": reason }))
    };
    if state.stopping() {
        return unready("stopping".to_owned());
    }
    for e in state.registry.open() {
        let ping = tokio::time::timeout(std::time::Duration::from_secs(2), e.board.ping()).await;
        match ping {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return unready(format!("election {}: database: {err}", e.slug)),
            Err(_) => return unready(format!("election {}: the database does not answer", e.slug)),
        }
    }
    if let Some(replica) = state.service.as_ref().and_then(|s| s.read_replica.as_ref()) {
        let ping = tokio::time::timeout(std::time::Duration::from_secs(2), replica.ping()).await;
        match ping {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return unready(format!("read replica: {err}")),
            Err(_) => return unready("the read replica does not answer".to_owned()),
        }
    }
    HttpResponse::Ok().json(json!({ "ready": true }))
}
