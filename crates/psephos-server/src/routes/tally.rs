//! The tally and its decryption (`docs/protocol.md` §9.2–9.4), under
//! `/api/v1/elections/{election}` (`E`).
//!
//! | method | path | who | answer |
//! |---|---|---|---|
//! | POST | `E/tally` | officials | compute the encrypted tally from the board and post it → 201 `{index, tally}` |
//! | GET | `E/tally` | all | `{tally, index, shares: [trustee], result}` |
//! | POST | `E/tally/shares` | trustees | a [`DecryptionShare`] → 201 `{index, result_index}` |
//! | GET | `E/result` | all | the [`TallyResult`] with its board `index`, 404 before decryption |
//!
//! A share is checked by the election's rules (qualified trustee, not already posted, every
//! Chaum–Pedersen proof against the trustee's verification key); an invalid one is refused with
//! 422 naming the trustee and nothing is stored. As soon as `k` valid shares are on the board,
//! the server combines them and posts the result, which the rules check again against the
//! shares — so the result entry can only ever be the decryption of the posted tally.

use crate::auth::{Official, ThisElection};
use crate::state::HostedElection;
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::tally::{ResultView, SharePosted, TallyPosted, TallyView};
use psephos_core::tally::DecryptionShare;
use psephos_record::{Payload, Phase};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tally")
            .route(web::post().to(post_tally))
            .route(web::get().to(get_tally)),
    )
    .service(web::resource("/tally/shares").route(web::post().to(post_share)))
    .service(web::resource("/result").route(web::get().to(get_result)));
}

#[utoipa::path(
    post,
    path = "/tally",
    tag = "tally",
    summary = "Compute the encrypted tally from the board and post it.",
    responses(
        (status = 201, description = "{index, tally}", body = psephos_api::tally::TallyPosted),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "not closed / already tallied", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn post_tally(state: Official) -> Result<HttpResponse, ApiError> {
    let tally = crate::tally::compute(&state.election).await?;
    let (index, _) = state.election.post(Payload::Tally(tally.clone())).await?;
    tracing::info!(election = %state.slug, index, "encrypted tally posted");
    Ok(HttpResponse::Created().json(TallyPosted { index, tally }))
}

#[utoipa::path(
    get,
    path = "/tally",
    tag = "tally",
    summary = "The encrypted tally, the shares posted and the result.",
    responses(
        (status = 200, description = "{tally, index, shares, result, result_index, threshold}", body = psephos_api::tally::TallyView),
    ),
)]
async fn get_tally(state: ThisElection) -> HttpResponse {
    let s = state.election.read().await;
    let (_, index, result_index) = s.milestones();
    HttpResponse::Ok().json(TallyView {
        tally: s.tally().cloned(),
        index,
        shares: s.shares().map(|sh| sh.trustee).collect(),
        result: s.result().cloned(),
        result_index,
        threshold: s.definition().map(|d| d.ceremony.threshold()),
    })
}

#[utoipa::path(
    post,
    path = "/tally/shares",
    tag = "tally",
    summary = "Post a trustee's decryption share; the server posts the result at k valid shares.",
    request_body(content = Object, description = "DecryptionShare JSON", content_type = "application/json"),
    responses(
        (status = 201, description = "{index, result_index}", body = psephos_api::tally::SharePosted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 409, description = "wrong phase / already posted", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large (more than 8 MiB)", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "invalid share (names the trustee)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
)]
async fn post_share(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let share: DecryptionShare = crate::body::json(&req, payload, crate::body::SHARE_BODY).await?;
    let trustee = share.trustee;
    let (index, _) = state.election.post(Payload::Share(share)).await?;
    tracing::info!(index, trustee, "decryption share posted");
    let result_index = post_result_if_ready(&state).await;
    Ok(HttpResponse::Created().json(SharePosted {
        index,
        result_index,
    }))
}

/// Posts the result once `k` valid shares are on the board; returns its index (also when it was
/// already posted).
pub(crate) async fn post_result_if_ready(state: &HostedElection) -> Option<u64> {
    // With mixed contests the result follows the mix result (§11.5).
    let needs_mix = {
        let s = state.election.read().await;
        s.has_mixed_contests() && s.mix().and_then(|m| m.result()).is_none()
    };
    if needs_mix {
        crate::mix::post_result_if_ready(&state.election).await?;
    }
    // With ranked or write-in contests the result follows the mixed count (§11.5).
    let needs_count = {
        let s = state.election.read().await;
        s.needs_mixed_count() && s.ranked_counts().is_none()
    };
    if needs_count {
        crate::mix::post_count_if_ready(&state.election).await?;
    }
    for _ in 0..3 {
        let result = {
            let s = state.election.read().await;
            if let Some(i) = s.milestones().2 {
                return Some(i);
            }
            let k = s.definition()?.ceremony.threshold() as usize;
            if s.phase() != Phase::Tallying || s.shares().count() < k {
                return None;
            }
            match s.combined_result() {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "the shares on the board do not combine");
                    return None;
                }
            }
        };
        match state.election.post(Payload::Result(result)).await {
            Ok((index, _)) => {
                tracing::info!(index, "result posted");
                return Some(index);
            }
            // Another request posted it first: read its index on the next pass.
            Err(e) if e.is_conflict() => continue,
            Err(e) => {
                tracing::error!(error = %e, "posting the result failed");
                return None;
            }
        }
    }
    None
}

#[utoipa::path(
    get,
    path = "/result",
    tag = "tally",
    summary = "The decrypted result with its board index.",
    responses(
        (status = 200, description = "TallyResult + {index}", body = psephos_api::tally::ResultView),
        (status = 404, description = "not decrypted yet", body = psephos_api::ErrorBody),
    ),
)]
async fn get_result(state: ThisElection) -> Result<HttpResponse, ApiError> {
    let s = state.election.read().await;
    match (s.result(), s.milestones().2) {
        (Some(r), Some(index)) => Ok(HttpResponse::Ok().json(ResultView {
            result: r.clone(),
            index,
        })),
        _ => Err(ApiError::not_found(
            "the result is not decrypted yet (see …/tally)",
        )),
    }
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(post_tally, get_tally, post_share, get_result))]
pub(crate) struct Api;
