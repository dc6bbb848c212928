//! Mixing over the board (`docs/protocol.md` §11.5, §13.7–13.9), under
//! `/api/v1/elections/{election}` (`E`).
//!
//! | method | path | who | answer |
//! |---|---|---|---|
//! | POST | `E/mix` | officials | compute the mix input from the board and post it; optional body `{"min_mixers": m}` → 201 `{index, parts, digest, min_mixers, lists}` |
//! | GET | `E/mix` | all | `{mixed, input_index, min_mixers, lists, digest, mixers, shares, result_index, threshold}` |
//! | POST | `E/mix/shuffles` | trustees | a [`Shuffle`], canonical bytes (`application/octet-stream`) → 201 `{index, parts, mixer}` |
//! | POST | `E/mix/shares` | trustees | a [`MixShare`], canonical bytes → 201 `{index, mix_result_index, result_index}` |
//! | GET | `E/mix/result` | all | the [`psephos_core::mixnet::MixResult`] with its board `index`, 404 before decryption |
//! | GET | `E/mix/count` | all | the mixed count: `{index, contests: [{contest, transcript}]}`, each ranked contest's [`psephos_core::count::CountTranscript`] (the canonical bytes on the board are its encoding), 404 before it is posted |
//!
//! Shuffles and shares are canonical bytes, not JSON: a list of 10⁵ rows of width 5 is 32 MB as
//! bytes and several times that as JSON. Each is verified off the async workers before it is
//! appended ([`crate::mix`]); a refused one is answered 422 naming its mixer or trustee, and
//! nothing is stored. The shuffle is authenticated by its mixer's signature, the share by its
//! Chaum–Pedersen proofs, as the tally's shares are.

use crate::auth::{Official, ThisElection};
use crate::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::mix::{
    ListShape, MixInputPosted, MixInputRequest, MixResultView, MixSharePosted, MixView,
    MixedCountView, MixerView, RankedCountView, ShufflePosted, WriteInCountView,
};
use psephos_core::encoding::Canonical;
use psephos_core::mixnet::{MixShare, Shuffle};

/// Limit for a shuffle or a mixed share: far beyond 10⁵ rows of width 5 (≈ 50 MB).
pub const MIX_BODY: usize = 512 << 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/mix")
            .route(web::post().to(post_input))
            .route(web::get().to(get_mix)),
    )
    .service(web::resource("/mix/shuffles").route(web::post().to(post_shuffle)))
    .service(web::resource("/mix/shares").route(web::post().to(post_share)))
    .service(web::resource("/mix/result").route(web::get().to(get_result)))
    .service(web::resource("/mix/count").route(web::get().to(get_count)));
}

#[utoipa::path(
    post,
    path = "/mix",
    tag = "mix",
    summary = "Compute the mix input (the mixed contests' ciphertexts of the counted ballots, in board order) from the board and post it.",
    request_body(content = psephos_api::mix::MixInputRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "{index, parts, digest, min_mixers, lists}", body = psephos_api::mix::MixInputPosted),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "not closed / already posted", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "no contest counted by the mixnet, or an invalid minimum", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn post_input(
    state: Official,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = crate::body::read(&req, payload, 4096).await?;
    let body: MixInputRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        MixInputRequest::default()
    } else {
        crate::body::parse(&bytes)?
    };
    let input = crate::mix::compute_input(&state.election, body.min_mixers).await?;
    let (index, parts) = crate::mix::post_input(&state.election, &input).await?;
    tracing::info!(election = %state.slug, index, parts, "mix input posted");
    Ok(HttpResponse::Created().json(MixInputPosted {
        index,
        parts,
        digest: input.digest(),
        min_mixers: input.min_mixers,
        lists: input
            .lists
            .iter()
            .map(|l| ListShape {
                contest: l.contest.clone(),
                width: l.list.width(),
                rows: l.list.len(),
            })
            .collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/mix",
    tag = "mix",
    summary = "The mix: its input, the current (after the tally: final) lists, the mixers, the mixed shares and the mix result's index.",
    responses(
        (status = 200, description = "{mixed, input_index, min_mixers, lists: [{contest, width, rows}], digest, mixers: [{mixer, index}], shares, result_index, threshold}", body = psephos_api::mix::MixView),
    ),
)]
async fn get_mix(state: ThisElection) -> HttpResponse {
    let s = state.election.read().await;
    let mix = s.mix();
    HttpResponse::Ok().json(MixView {
        mixed: s.has_mixed_contests(),
        input_index: mix.map(|m| m.input_at()),
        min_mixers: mix.map(|m| m.input().min_mixers),
        lists: mix
            .map(|m| {
                m.current()
                    .0
                    .iter()
                    .map(|l| ListShape {
                        contest: l.contest.clone(),
                        width: l.list.width(),
                        rows: l.list.len(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        digest: mix.map(|m| *m.current().1),
        mixers: mix
            .map(|m| {
                m.mixers()
                    .iter()
                    .map(|&(mixer, index)| MixerView { mixer, index })
                    .collect()
            })
            .unwrap_or_default(),
        shares: mix
            .map(|m| m.shares().map(|x| x.trustee).collect())
            .unwrap_or_default(),
        result_index: mix.and_then(|m| m.result().map(|r| r.1)),
        threshold: s.definition().map(|d| d.ceremony.threshold()),
    })
}

fn decode<T: Canonical>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    T::from_canonical_bytes(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not a canonical {what}: {e}")))
}

#[utoipa::path(
    post,
    path = "/mix/shuffles",
    tag = "mix",
    summary = "Post a trustee's signed shuffle of the current mixed lists with its proofs; verified before it is appended.",
    request_body(content = Vec<u8>, description = "Shuffle, canonical bytes", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "{index, parts, mixer}", body = psephos_api::mix::ShufflePosted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 409, description = "wrong phase / stale input / mixer out of order", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large (more than 512 MiB)", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "invalid shuffle (names the mixer): not qualified, bad signature, a proof that does not verify", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
)]
async fn post_shuffle(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = crate::body::read(&req, payload, MIX_BODY).await?;
    let shuffle: Shuffle = decode(&bytes, "shuffle")?;
    drop(bytes);
    let mixer = shuffle.mixer;
    let (index, parts) = crate::mix::post_shuffle(&state.election, shuffle)
        .await
        .inspect_err(|e| tracing::warn!(mixer, error = %e, "shuffle refused"))?;
    tracing::info!(election = %state.slug, index, parts, mixer, "shuffle posted");
    Ok(HttpResponse::Created().json(ShufflePosted {
        index,
        parts,
        mixer,
    }))
}

#[utoipa::path(
    post,
    path = "/mix/shares",
    tag = "mix",
    summary = "Post a trustee's decryption share of the final mixed lists; the server posts the mix result and the result at k valid shares.",
    request_body(content = Vec<u8>, description = "MixShare, canonical bytes", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "{index, mix_result_index, result_index}", body = psephos_api::mix::MixSharePosted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 409, description = "wrong phase / already posted", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large (more than 512 MiB)", body = psephos_api::ErrorBody),
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
    let bytes = crate::body::read(&req, payload, MIX_BODY).await?;
    let share: MixShare = decode(&bytes, "mixed decryption share")?;
    drop(bytes);
    let trustee = share.trustee;
    let index = crate::mix::post_share(&state.election, share)
        .await
        .inspect_err(|e| tracing::warn!(trustee, error = %e, "mixed share refused"))?;
    tracing::info!(election = %state.slug, index, trustee, "mixed decryption share posted");
    let mix_result_index = crate::mix::post_result_if_ready(&state.election).await;
    let result_index = super::tally::post_result_if_ready(&state).await;
    Ok(HttpResponse::Created().json(MixSharePosted {
        index,
        mix_result_index,
        result_index,
    }))
}

#[utoipa::path(
    get,
    path = "/mix/result",
    tag = "mix",
    summary = "The decrypted mixed lists: per mixed contest the rows in the final mixed order and their counts.",
    responses(
        (status = 200, description = "MixResult JSON + {index}", body = psephos_api::mix::MixResultView),
        (status = 404, description = "not decrypted yet", body = psephos_api::ErrorBody),
    ),
)]
async fn get_result(state: ThisElection) -> Result<HttpResponse, ApiError> {
    let s = state.election.read().await;
    match s.mix().and_then(|m| m.result()) {
        Some((r, index)) => Ok(HttpResponse::Ok().json(MixResultView {
            result: r.clone(),
            index: *index,
        })),
        None => Err(ApiError::not_found(
            "the mixed lists are not decrypted yet (see …/mix)",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/mix/count",
    tag = "mix",
    summary = "The mixed count (entry kind 16): each ranked contest's count transcript, round by round, and each write-in contest's names with their counts, recounted from the decrypted rows.",
    responses(
        (status = 200, description = "{index, contests: [{contest, transcript}], write_ins?: [{contest, ballots, counts, names, invalid}]}", body = psephos_api::mix::MixedCountView),
        (status = 404, description = "no ranked or write-in contest, or the mixed lists are not decrypted yet", body = psephos_api::ErrorBody),
    ),
)]
async fn get_count(state: ThisElection) -> Result<HttpResponse, ApiError> {
    let s = state.election.read().await;
    match s.ranked_counts() {
        Some((counts, index)) => Ok(HttpResponse::Ok().json(MixedCountView {
            index,
            contests: counts
                .iter()
                .map(|c| RankedCountView {
                    contest: c.contest.clone(),
                    transcript: c.transcript.clone(),
                })
                .collect(),
            write_ins: s
                .write_in_counts()
                .unwrap_or_default()
                .iter()
                .map(|(contest, c)| WriteInCountView {
                    contest: contest.clone(),
                    ballots: c.ballots,
                    counts: c.counts.clone(),
                    names: c.names.clone(),
                    invalid: c.invalid,
                })
                .collect(),
        })),
        None => Err(ApiError::not_found(
            "no mixed count is posted (no ranked or write-in contest, or the mixed lists are not decrypted yet)",
        )),
    }
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(post_input, get_mix, post_shuffle, post_share, get_result, get_count))]
pub(crate) struct Api;
