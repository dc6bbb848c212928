//! Voters' routes: casting, looking a ballot up by tracking code, receipts, challenges.
//!
//! Under `/api/v1/elections/{election}` (`E`):
//!
//! | method | path | answer |
//! |---|---|---|
//! | POST | `E/ballots` | 201 `{tracking_code, ballot_hash, index, superseded, receipt_url}` once durable |
//! | GET | `E/ballots/{tracking_code}` | `{status: cast/superseded/challenged, index, ballot_hash}` |
//! | GET | `E/receipts/{index}` | the sealed receipt, 202 until sealed |
//! | POST | `E/challenges` | 201 `{index, tracking_code, choices}` |
//!
//! A ballot goes through the cheap checks first (body size; then, on the raw bytes,
//! [`crate::intake`]: phase, election hash, listed credential, ballot style, the size the style
//! allows; then decoding, off the HTTP workers; then the rules'
//! [`psephos_record::Rules::check_ballot`]: all of the above again, replay,
//! challenged, shape, signature), then to the batched proof verification of [`crate::cast`]. Voters are anonymous: nothing here authenticates anything but the
//! credential's signature.

use crate::auth::ThisElection;
use crate::body;
use crate::election::rule_error;
use crate::intake::Kind;
use crate::routes::sorted;
use crate::state::HostedElection;
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::ballots::{BallotCast, BallotStatus, ChallengePosted, TrackedBallot};
use psephos_core::ballot::{EncryptedBallot, TrackingCode};
use psephos_record::payload::VerifiedChallenge;
use psephos_record::{Challenged, RuleError};
use std::time::Instant;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ballots").route(web::post().to(cast)))
        .service(web::resource("/ballots/{tracking_code}").route(web::get().to(lookup)))
        .service(web::resource("/receipts/{index}").route(web::get().to(receipt)))
        .service(web::resource("/challenges").route(web::post().to(challenge)));
}

type Result<T> = std::result::Result<T, ApiError>;

fn stopping() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the server is shutting down; nothing was stored — send it again shortly",
    )
}

#[utoipa::path(
    post,
    path = "/ballots",
    tag = "ballots",
    summary = "Cast a ballot; answered once durably appended.",
    request_body(content = Object, description = "EncryptedBallot JSON", content_type = "application/json"),
    responses(
        (status = 201, description = "{tracking_code, ballot_hash, index, superseded, receipt_url}", body = psephos_api::ballots::BallotCast),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 403, description = "unknown credential", body = psephos_api::ErrorBody),
        (status = 409, description = "illegal transition", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "invalid_ballot: the ballot fails a validity check (another election, the wrong style, its shape, its signature or its proofs)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
        (status = 503, description = "shutting down / overloaded", body = psephos_api::ErrorBody),
    ),
)]
async fn cast(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let start = Instant::now();
    let result = cast_inner(&state, &req, payload).await;
    match &result {
        Ok(_) => state.metrics.ballot_accepted(start.elapsed()),
        Err(e) => state.metrics.ballot_rejected(e.code),
    }
    result
}

async fn cast_inner(
    state: &HostedElection,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    if state.stopping() {
        return Err(stopping());
    }
    let bytes = body::read(req, payload, body::BALLOT_BODY).await?;
    // What costs nothing first, on the raw bytes; then the decoding, off the HTTP workers.
    state
        .intake
        .precheck(&state.election, &bytes, Kind::Ballot)
        .await?;
    let ballot: EncryptedBallot = state.intake.decode(bytes).await?;
    // Cheap checks, under the read lock (the signature is ~60 µs; the proofs come later).
    state
        .election
        .read()
        .await
        .check_ballot(&ballot)
        .map_err(rule_error)?;
    let cast = state.caster.cast(ballot).await?;
    let code = TrackingCode::of(&cast.hash).to_string();
    Ok(sorted(
        HttpResponse::Created(),
        &BallotCast {
            tracking_code: code,
            ballot_hash: cast.hash,
            index: cast.index,
            superseded: cast.superseded,
            receipt_url: format!("/api/v1/elections/{}/receipts/{}", state.slug, cast.index),
        },
    ))
}

#[utoipa::path(
    get,
    path = "/ballots/{tracking_code}",
    tag = "ballots",
    summary = "A ballot by tracking code.",
    params(("tracking_code" = String, Path, description = "XXXX-XXXX-XXXX-XXXX")),
    responses(
        (status = 200, description = "{status: cast|superseded|challenged, index, ballot_hash, tracking_code}", body = psephos_api::ballots::TrackedBallot),
        (status = 400, description = "not a tracking code", body = psephos_api::ErrorBody),
        (status = 404, description = "unknown", body = psephos_api::ErrorBody),
    ),
)]
async fn lookup(state: ThisElection, path: web::Path<(String, String)>) -> Result<HttpResponse> {
    let key: TrackingCode = path.1.parse().map_err(|_| {
        ApiError::bad_request(
            "a tracking code is 16 characters of Crockford base32 (XXXX-XXXX-XXXX-XXXX)",
        )
    })?;
    let t =
        state.election.tracked(&key).await.ok_or_else(|| {
            ApiError::not_found("no ballot with this tracking code is on the board")
        })?;
    let status = if t.challenged {
        BallotStatus::Challenged
    } else {
        let credential = psephos_core::group::Point::from_bytes(&t.credential).ok();
        let s = state.election.read().await;
        match credential.and_then(|c| s.last_ballot(&c)) {
            Some(i) if i != t.index => BallotStatus::Superseded,
            _ => BallotStatus::Cast,
        }
    };
    Ok(sorted(
        HttpResponse::Ok(),
        &TrackedBallot {
            status,
            index: t.index,
            ballot_hash: t.hash,
            tracking_code: TrackingCode::of(&t.hash).to_string(),
        },
    ))
}

#[utoipa::path(
    get,
    path = "/receipts/{index}",
    tag = "ballots",
    summary = "The sealed receipt (checkpoint + inclusion proof); 202 until sealed.",
    params(("index" = u64, Path, description = "board index")),
    responses(
        (status = 200, description = "SealedReceipt", body = Object, content_type = "application/json"),
        (status = 202, description = "not yet sealed", body = psephos_api::ballots::NotSealed),
        (status = 404, description = "no such entry", body = psephos_api::ErrorBody),
    ),
)]
async fn receipt(state: ThisElection, path: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let index = path.1;
    match state.board.for_readers().receipt(index).await? {
        Some(r) => Ok(HttpResponse::Ok().json(r)),
        None => Ok(crate::routes::board::not_sealed(index)),
    }
}

#[utoipa::path(
    post,
    path = "/challenges",
    tag = "ballots",
    summary = "Challenge (open) a ballot that was never cast; published, never counted.",
    request_body(content = Object, description = "{ballot: EncryptedBallot, reveal: ChallengeReveal}", content_type = "application/json"),
    responses(
        (status = 201, description = "{index, tracking_code, choices}", body = psephos_api::ballots::ChallengePosted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 403, description = "unknown credential", body = psephos_api::ErrorBody),
        (status = 409, description = "the ballot was cast or is already challenged, or its credential has already challenged 10 ballots", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "invalid_ballot: the challenged ballot fails a validity check (another election, the wrong style, its shape, its signature) or its opening does not match it", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
)]
async fn challenge(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    if state.stopping() {
        return Err(stopping());
    }
    let bytes = body::read(&req, payload, body::BALLOT_BODY).await?;
    state
        .intake
        .precheck(&state.election, &bytes, Kind::Challenge)
        .await?;
    let c: Challenged = state.intake.decode(bytes).await?;
    let code = TrackingCode::of(&c.ballot.hash()).to_string();
    // The cheap rules under the read lock (phase, eligibility, never cast or challenged, the
    // credential's challenge limit); then the ballot's proofs and the opening on the blocking
    // pool, outside any lock, so that a challenge never holds up casting; then the rules again
    // under the write lock, with the append.
    let election = state
        .election
        .read()
        .await
        .check_challenge_rules(&c)
        .map_err(rule_error)?
        .clone();
    let verified = tokio::task::spawn_blocking(move || VerifiedChallenge::verify(&election, c))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the challenge could not be verified; it was not stored",
            )
        })?;
    let (c, choices) = verified.map_err(|e| rule_error(RuleError::Ballot(e)))?;
    let (index, _) = state.election.post_verified_challenge(c).await?;
    Ok(sorted(
        HttpResponse::Created(),
        &ChallengePosted {
            index,
            tracking_code: code,
            choices,
        },
    ))
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(cast, lookup, receipt, challenge))]
pub(crate) struct Api;
