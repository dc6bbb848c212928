//! Reading request bodies with a per-route size limit, answering 413 (too large) and 400
//! (not JSON, or not the expected shape) in the API's JSON error form. Routes read their own
//! body so that each can have its own limit (a ballot is small, a credential list is large).

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Limit for ballots and challenges: an entry payload is at most 1 MiB, in hex twice that.
pub const BALLOT_BODY: usize = 2 * psephos_board::entry::MAX_PAYLOAD_SIZE + 64 * 1024;
/// Limit for an election definition (manifest TOML and trustee keys).
pub const DEFINITION_BODY: usize = 1 << 20;
/// Limit for a decryption share: one partial decryption and one Chaum–Pedersen proof per
/// option of every contest, about 250 bytes of JSON each — 8 MiB is far beyond the largest
/// tally a manifest allows in practice (the default 64 KiB would stop at ~250 options).
pub const SHARE_BODY: usize = 8 << 20;
/// Limit for a public credential list (split into entries by the server).
pub const CREDENTIALS_BODY: usize = 128 << 20;

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the request body is larger than this route's limit of {limit} bytes"),
    )
}

/// The body's bytes, at most `limit`.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    if let Some(len) = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large(limit));
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The body parsed as JSON of type `T`, at most `limit` bytes.
pub async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read(req, payload, limit).await?;
    parse(&bytes)
}

/// `bytes` parsed as JSON of type `T` (400 with serde's reason otherwise).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("invalid JSON body: {e}"),
        )
    })
}
