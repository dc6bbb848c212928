//! The key ceremony over the board (`docs/protocol.md` §9.5.6), under
//! `/api/v1/elections/{election}` (`E`).
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `E/ceremony` | parameters, the round open now, who is awaited, completion |
//! | GET | `E/ceremony/messages?from=N` | `[{index, message}]`: ceremony messages at board index ≥ N |
//! | POST | `E/ceremony/messages` | a [`SignedMessage`] (hex of its canonical bytes) → 201 `{index}` |
//!
//! The rules are the election's state machine's; the schedule (which round is open, when the
//! ceremony completes) is the election's [`crate::ceremony::CeremonyDesk`]. These handlers only
//! read and post through them.

use crate::auth::ThisElection;
use crate::ceremony::refresh;
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::ceremony::{
    Awaiting, CeremonyView, ComplaintView, Disqualified, MessageView, MessagesQuery, ParamsView,
    Resolution, SettledComplaint, Verdicts,
};
use psephos_api::election::Posted;
use psephos_core::ceremony::{CeremonyState, Round, SignedMessage, TrusteeIndex};
use psephos_record::{Payload, Phase};
use std::borrow::Cow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ceremony").route(web::get().to(get_ceremony)))
        .service(
            web::resource("/ceremony/messages")
                .route(web::get().to(get_messages))
                .route(web::post().to(post_message)),
        );
}

fn indices(v: Vec<TrusteeIndex>) -> Vec<u32> {
    v.into_iter().map(TrusteeIndex::get).collect()
}

fn verdicts(o: &psephos_core::ceremony::CeremonyOutcome) -> Verdicts {
    use psephos_core::ceremony::Resolution as Settled;
    Verdicts {
        qualified: o.qualified.iter().map(|i| i.get()).collect(),
        disqualified: o
            .disqualified
            .iter()
            .map(|(i, why)| Disqualified {
                trustee: i.get(),
                reason: why.to_string(),
            })
            .collect(),
        complaints: o
            .complaints
            .iter()
            .map(|c| SettledComplaint {
                accuser: c.accuser.get(),
                dealer: c.dealer.get(),
                reason: c.reason.to_string(),
                resolution: match c.resolution {
                    Settled::Unanswered => Resolution::Unanswered,
                    Settled::ValidShare => Resolution::ValidShare,
                    Settled::InvalidShare => Resolution::InvalidShare,
                },
            })
            .collect(),
    }
}

fn no_election() -> ApiError {
    ApiError::not_found("this election is not defined yet")
}

#[utoipa::path(
    get,
    path = "/ceremony",
    tag = "ceremony",
    summary = "The key ceremony: parameters, the round open now, who is awaited, completion.",
    responses(
        (status = 200, description = "ceremony", body = psephos_api::ceremony::CeremonyView),
        (status = 404, description = "no election defined", body = psephos_api::ErrorBody),
    ),
)]
async fn get_ceremony(state: ThisElection) -> Result<HttpResponse, ApiError> {
    let election = &state.election;
    let status = state.ceremony.tick_and_watch().await;
    let s = election.read().await;
    let cs = s.ceremony().ok_or_else(no_election)?;
    let p = cs.params();
    let complete = s.key().is_some();
    let settled = complete || status.is_some_and(|st| st.settled);
    let outcome = settled.then(|| cs.outcome());
    let failure = match &outcome {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let complaints = p
        .indices()
        .flat_map(|dealer| {
            cs.complaints_against(dealer)
                .map(move |accuser| ComplaintView {
                    accuser: accuser.get(),
                    dealer: dealer.get(),
                })
        })
        .collect();
    let window = state.ceremony.schedule().complaint_window;
    Ok(HttpResponse::Ok().json(CeremonyView {
        params: ParamsView {
            id: p.id().to_hex(),
            count: p.count(),
            threshold: p.threshold(),
            attempt: p.attempt(),
            trustees: super::election::trustee_views(p),
        },
        round: if complete {
            None
        } else {
            status.map(|st| st.open as u8)
        },
        board_round: cs.phase() as u8,
        awaiting: Awaiting {
            commitments: indices(cs.awaiting(Round::Commitments)),
            shares: indices(cs.awaiting(Round::Shares)),
            reveals: indices(cs.awaiting(Round::Reveals)),
        },
        complete,
        messages: cs.accepted(),
        key: s.key().cloned(),
        key_index: s.milestones().0,
        failure,
        complaints,
        verdicts: match &outcome {
            Some(Ok(o)) => Some(verdicts(o)),
            _ => None,
        },
        complaint_window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
    }))
}

#[utoipa::path(
    get,
    path = "/ceremony/messages",
    tag = "ceremony",
    summary = "Ceremony messages on the board from index `from`, in board order.",
    params(psephos_api::ceremony::MessagesQuery),
    responses(
        (status = 200, description = "[{index, message}]", body = Vec<psephos_api::ceremony::MessageView>),
    ),
)]
async fn get_messages(
    state: ThisElection,
    q: web::Query<MessagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let election = &state.election;
    if election.read().await.ceremony().is_none() {
        return Err(no_election());
    }
    let mut t = state.ceremony.posting.lock().await;
    refresh(&mut t, election).await?;
    let start = t.messages.partition_point(|(i, _)| *i < q.from);
    let list: Vec<MessageView<'_>> = t.messages[start..]
        .iter()
        .map(|(index, message)| MessageView {
            index: *index,
            message: Cow::Borrowed(message),
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(
    post,
    path = "/ceremony/messages",
    tag = "ceremony",
    summary = "Post a signed ceremony message (hex of its canonical bytes).",
    request_body(content = Object, description = "SignedMessage JSON", content_type = "application/json"),
    responses(
        (status = 201, description = "{index}", body = psephos_api::election::Posted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 409, description = "replay, out of round, after completion", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "bad signature or content", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
)]
async fn post_message(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let message: SignedMessage = crate::body::json(&req, payload, crate::startup::MAX_BODY).await?;
    let election = &state.election;
    let index = {
        let mut t = state.ceremony.posting.lock().await;
        {
            let s = election.read().await;
            if let Some(cs) = s.ceremony().filter(|_| s.phase() == Phase::Ceremony) {
                let open = state.ceremony.open_round(cs);
                let round = message.message.round();
                if round > open {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "round_not_open",
                        format!(
                            "{round} is not open yet: the ceremony is in {open}{}",
                            waiting_for(cs, open)
                        ),
                    ));
                }
            }
            // Any other phase: the rules answer (409 wrong phase, 404-like errors).
        }
        refresh(&mut t, election).await?;
        let (index, _) = election.post(Payload::Ceremony(message.clone())).await?;
        if t.scanned_to == index {
            t.messages.push((index, message));
            t.scanned_to = index + 1;
        }
        index
    };
    state.ceremony.tick_and_watch().await;
    Ok(HttpResponse::Created().json(Posted { index }))
}

fn waiting_for(cs: &CeremonyState, open: Round) -> String {
    let w = match open {
        Round::Commitments | Round::Shares | Round::Reveals => cs.awaiting(open),
        Round::Complaints => return " (the complaint window is open)".into(),
    };
    if w.is_empty() {
        String::new()
    } else {
        format!(
            ", waiting for trustee(s) {}",
            w.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_ceremony, get_messages, post_message))]
pub(crate) struct Api;
