//! Observers' and operators' routes.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/api/v1/events` | Server-Sent Events: `checkpoint`, `phase`, `counts` |
//! | GET | `/api/v1/record` | the whole record, streamed (see [`record`]) |
//! | GET | `/api/openapi.json` | the OpenAPI 3.1 document of this API |
//! | GET | `/metrics` | Prometheus text exposition |
//! | GET | `/health` | `{status, phase, board_size}` (503 while stopping) |

use crate::events::{snapshot, Event};
use crate::metrics::Gauges;
use crate::routes::board::EntryView;
use crate::startup::AppState;
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::stream;
use psephos_board::store::MAX_ENTRIES_PAGE;
use serde_json::json;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The OpenAPI document, maintained by hand next to the routes (a test checks that every
/// route is in it and that every path in it is served).
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/events").route(web::get().to(events)))
        .service(web::resource("/api/v1/record").route(web::get().to(record)))
        .service(web::resource("/api/openapi.json").route(web::get().to(openapi)))
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/health").route(web::get().to(health)));
}

/// How often an idle event stream gets a comment line (keeps proxies from closing it).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

async fn events(state: web::Data<AppState>) -> HttpResponse {
    let rx = state.events.subscribe();
    let stopping = state.events.stopping();
    let mut first: Vec<Event> = snapshot(&state.election).await;
    if let Ok(Some(cp)) = state.board.latest_checkpoint().await {
        first.push(Event {
            name: "checkpoint",
            data: json!({ "size": cp.size, "root": cp.root, "note": cp.note }).to_string(),
        });
    }
    let initial: String = first.iter().map(Event::to_sse).collect();
    let body = stream::unfold(
        (Some(initial), rx, stopping),
        |(initial, mut rx, mut stopping)| async move {
            if let Some(text) = initial {
                return Some((
                    Ok::<_, actix_web::Error>(web::Bytes::from(text)),
                    (None, rx, stopping),
                ));
            }
            if *stopping.borrow() {
                return None;
            }
            let text = tokio::select! {
                ev = rx.recv() => match ev {
                    Ok(e) => e.to_sse(),
                    Err(RecvError::Lagged(n)) => format!(": {n} events skipped\n\n"),
                    Err(RecvError::Closed) => return None,
                },
                _ = stopping.changed() => return None,
                _ = tokio::time::sleep(KEEP_ALIVE) => ": keep-alive\n\n".to_string(),
            };
            Some((Ok(web::Bytes::from(text)), (None, rx, stopping)))
        },
    );
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

/// The name of the interim export format (see [`record`]).
pub const RECORD_FORMAT: &str = "psephos-entries-ndjson-v0";

/// The whole election record, streamed: the board's entries from 0 to the size at the start of
/// the request, without holding them all in memory.
///
/// **Interim format** (until the record format of `psephos_record::format` lands): NDJSON
/// (`application/x-ndjson`), header `x-psephos-record-format: psephos-entries-ndjson-v0`. The
/// first line is `{"format", "origin", "verifier_key", "size", "checkpoint"}` (the latest signed
/// checkpoint note, or null); every following line is one entry `{"index", "kind",
/// "payload"}` (payload in base64), in index order. Everything in it can be checked against
/// the checkpoint; `psephos verify` will read the final format instead.
async fn record(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let board = state.board.clone();
    let size = board.size();
    let checkpoint = board.latest_checkpoint().await?.map(|c| c.note);
    let header = json!({
        "format": RECORD_FORMAT,
        "origin": board.origin(),
        "verifier_key": board.verifier_key().to_string(),
        "size": size,
        "checkpoint": checkpoint,
    })
    .to_string()
        + "\n";
    let body = stream::unfold(
        (Some(header), 0u64, board),
        move |(header, start, board)| async move {
            if let Some(h) = header {
                return Some((
                    Ok::<_, actix_web::Error>(web::Bytes::from(h)),
                    (None, start, board),
                ));
            }
            if start >= size {
                return None;
            }
            let limit = MAX_ENTRIES_PAGE.min(size - start);
            let page = match board.entries(start, limit).await {
                Ok(p) if !p.is_empty() => p,
                Ok(_) => return None,
                Err(e) => {
                    tracing::error!(error = %e, start, "record export failed");
                    return Some((
                        Err(actix_web::error::ErrorInternalServerError(
                            "board read failed",
                        )),
                        (None, size, board),
                    ));
                }
            };
            let mut out = String::with_capacity(page.len() * 512);
            let n = page.len() as u64;
            for (i, entry) in page.into_iter().enumerate() {
                let view = EntryView {
                    index: start + i as u64,
                    entry,
                };
                if let Ok(line) = serde_json::to_string(&view) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            Some((Ok(web::Bytes::from(out)), (None, start + n, board)))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header(("x-psephos-record-format", RECORD_FORMAT))
        .streaming(body))
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (phase, counts) = {
        let s = state.election.read().await;
        (s.phase().name(), s.counts())
    };
    let g = Gauges {
        board_size: state.board.size(),
        sealed_size: state.board.sealed_size(),
        phase,
        counts,
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&g))
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    let phase = state.election.read().await.phase();
    let status = if state.stopping() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).json(json!({
        "status": if state.stopping() { "stopping" } else { "ok" },
        "phase": phase,
        "board_size": state.board.size(),
        "background_error": state.board.background_error(),
    }))
}
