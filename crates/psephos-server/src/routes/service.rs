//! The service's own routes, outside every election.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/api/openapi.json` | the OpenAPI 3.1 document of this API, generated ([`crate::openapi`]) |
//! | GET | `/metrics` | Prometheus text exposition, gauges labelled by election |
//! | GET | `/health` | `{status, elections: {id: state}}` (503 while stopping); one election's failure is in its own state, not the service's |
//! | GET | `/ready` | `{ready, reason?}`: 200 when this node can take requests (not stopping, the database and the read replica, if any, answer), else 503: what a load balancer polls |

use crate::metrics::Gauges;
use crate::routes::observers::{election_status, tamper_check_name};
use crate::routes::sorted;
use crate::state::{AppState, Slot};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use psephos_api::service::{HostedHealth, Ready, ServiceHealth, ServiceState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/health").route(web::get().to(service_health)))
        .service(web::resource("/ready").route(web::get().to(service_ready)));
}

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "observers",
    summary = "This document.",
    responses(
        (status = 200, description = "OpenAPI", body = Object, content_type = "application/json"),
    ),
)]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::document_json())
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics.",
    responses(
        (status = 200, description = "text exposition", body = String, content_type = "text/plain"),
    ),
)]
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
            tamper_check: tamper_check_name(&e.board.tamper_check()).name(),
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
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    summary = "The service: 503 while stopping; each election's own state (ok, stopping, tampered, failed) with its phase, board size and tamper check. One election's failure does not make the service unhealthy.",
    responses(
        (status = 200, description = "{status, elections: {id: {status, phase, board_size, sealed_size, tamper_check, shared, sealer, node} | {status: \"failed\", error}}}", body = psephos_api::service::ServiceHealth),
        (status = 503, description = "stopping", body = psephos_api::service::ServiceHealth),
    ),
)]
async fn service_health(state: web::Data<AppState>) -> HttpResponse {
    let mut elections = std::collections::BTreeMap::new();
    for (slug, slot) in state.registry.all() {
        let v = match slot {
            Slot::Open(e) => HostedHealth::Open {
                status: election_status(&e),
                phase: e.election.read().await.phase(),
                board_size: e.board.size(),
                tamper_check: tamper_check_name(&e.board.tamper_check()),
                sealed_size: e.board.sealed_size(),
                shared: e.board.is_shared(),
                sealer: e.board.is_sealer(),
                node: e.board.node_name().to_owned(),
            },
            Slot::Failed { error, .. } => HostedHealth::Failed {
                status: "failed".to_owned(),
                error,
            },
        };
        elections.insert(slug.to_string(), v);
    }
    let stopping = state.stopping();
    sorted(
        HttpResponse::build(if stopping {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        }),
        &ServiceHealth {
            status: if stopping {
                ServiceState::Stopping
            } else {
                ServiceState::Ok
            },
            elections,
        },
    )
}

/// Whether this node can take requests: not stopping, and the database answers for every
/// election it serves (a node that lost the database is not ready, so a load balancer sends
/// voters elsewhere). An election that failed to open does not make the node unready: every
/// node would refuse it alike.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    summary = "Readiness, for a load balancer: 200 when this node can take requests (not stopping, the database answers for every election it serves), else 503.",
    responses(
        (status = 200, description = "{ready: true}", body = psephos_api::service::Ready),
        (status = 503, description = "{ready: false, reason}: stopping, or the database does not answer", body = psephos_api::service::Ready),
    ),
)]
async fn service_ready(state: web::Data<AppState>) -> HttpResponse {
    let unready = |reason: String| {
        sorted(
            HttpResponse::ServiceUnavailable(),
            &Ready {
                ready: false,
                reason: Some(reason),
            },
        )
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
    sorted(
        HttpResponse::Ok(),
        &Ready {
            ready: true,
            reason: None,
        },
    )
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(openapi, metrics, service_health, service_ready))]
pub(crate) struct Api;
