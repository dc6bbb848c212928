//! Observers' routes, under `/api/v1/elections/{election}` (`E`).
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `E/events` | Server-Sent Events: `checkpoint`, `phase`, `counts` |
//! | GET | `E/record` | the election record (`docs/record.md`), streamed (see [`record`]) |
//! | GET | `E/health` | `{status, phase, board_size, tamper_check, background_error}` (503 while stopping or tampered) |

use crate::auth::ThisElection;
use crate::events::{snapshot, Event};
use crate::routes::sorted;
use crate::state::HostedElection;
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::stream;
use psephos_api::election::ElectionHealth;
use psephos_api::service::{ElectionState, TamperCheckState};
use psephos_board::TamperCheck;
use psephos_record::export::{BoardExport, ExportError};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// An election's routes (inside its scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/events").route(web::get().to(events)))
        .service(web::resource("/record").route(web::get().to(record)))
        .service(web::resource("/health").route(web::get().to(health)));
}

/// How often an idle event stream gets a comment line (keeps proxies from closing it).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[utoipa::path(
    get,
    path = "/events",
    tag = "observers",
    summary = "Server-Sent Events: checkpoint, phase, counts.",
    responses(
        (status = 200, description = "event stream", body = String, content_type = "text/event-stream"),
    ),
)]
async fn events(state: ThisElection) -> HttpResponse {
    let rx = state.events.subscribe();
    let stopping = state.events.stopping();
    let mut first: Vec<Event> = snapshot(&state.election).await;
    if let Ok(Some(cp)) = state.board.latest_checkpoint().await {
        first.push(Event {
            name: "checkpoint",
            data: crate::events::checkpoint_data(&cp),
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

/// The media type of the election record (`docs/record.md`).
pub const RECORD_MEDIA_TYPE: &str = "application/vnd.psephos.record";

/// The whole election record, streamed in the record format of `docs/record.md`
/// ([`psephos_record::format`]): a snapshot at the latest sealed block — every entry and block
/// header up to it, with the checkpoints and their cosignatures — written one page at a time
/// ([`BoardExport`]), so memory stays small whatever the size of the board. Entries appended
/// after the latest block are in the next export. The header asks for the default quorum of the
/// configured witnesses ([`psephos_record::verify::default_quorum`]: a majority, 0 if none).
#[utoipa::path(
    get,
    path = "/record",
    tag = "observers",
    summary = "The election record (docs/record.md), streamed: a snapshot at the latest sealed block.",
    responses(
        (status = 200, description = "record", body = String, content_type = "application/vnd.psephos.record"),
    ),
)]
async fn record(state: ThisElection) -> Result<HttpResponse, ApiError> {
    let quorum = psephos_record::verify::default_quorum(state.board.witnesses().len());
    // From the read replica if there is one: a snapshot at the latest block it has.
    let export = BoardExport::new(&state.board.for_readers(), quorum)
        .await
        .map_err(export_error)?;
    let entries = export.header().map_or(0, |h| h.entries);
    let body = stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((
                Ok::<_, actix_web::Error>(web::Bytes::from(chunk)),
                Some(export),
            )),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "record export failed");
                Some((
                    Err(actix_web::error::ErrorInternalServerError(
                        "record export failed",
                    )),
                    None,
                ))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(RECORD_MEDIA_TYPE)
        .insert_header(("x-psephos-record-entries", entries.to_string()))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}.psephos-record\"", state.slug),
        ))
        .streaming(body))
}

fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::Board(b) => b.into(),
        e => {
            tracing::error!(error = %e, "record export failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the record could not be exported; the operator has been told",
            )
        }
    }
}

pub(crate) fn election_status(e: &HostedElection) -> ElectionState {
    if e.stopping() {
        ElectionState::Stopping
    } else if matches!(e.board.tamper_check(), TamperCheck::Failed { .. }) {
        ElectionState::Tampered
    } else {
        ElectionState::Ok
    }
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    summary = "Liveness: status, phase, board size, the board's tamper check (503 while stopping and once the tamper check failed).",
    responses(
        (status = 200, description = "{status, phase, board_size, tamper_check, background_error}", body = psephos_api::election::ElectionHealth),
        (status = 503, description = "stopping, or the board failed its tamper check (writes refused)", body = psephos_api::election::ElectionHealth),
    ),
)]
async fn health(state: ThisElection) -> HttpResponse {
    let phase = state.election.read().await.phase();
    let tamper_check = state.board.tamper_check();
    let failed = matches!(tamper_check, TamperCheck::Failed { .. });
    let status = if state.stopping() || failed {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    sorted(
        HttpResponse::build(status),
        &ElectionHealth {
            status: election_status(&state),
            phase,
            board_size: state.board.size(),
            tamper_check: tamper_check_name(&tamper_check),
            background_error: state.board.background_error().map(|e| e.to_string()),
        },
    )
}

/// The state of the board's tamper check, as `/health` and the metrics name it.
pub(crate) fn tamper_check_name(t: &TamperCheck) -> TamperCheckState {
    match t {
        TamperCheck::Running { .. } => TamperCheckState::Running,
        TamperCheck::Passed { .. } => TamperCheckState::Passed,
        TamperCheck::Failed { .. } => TamperCheckState::Failed,
        _ => TamperCheckState::NotRun,
    }
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(events, record, health))]
pub(crate) struct Api;
