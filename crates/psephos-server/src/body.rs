//! Reading request bodies with a per-route size limit, answering 413 (too large) and 400
//! (not JSON, or not the expected shape) in the API's JSON error form. Routes read their own
//! body so that each can have its own limit (a ballot is small, a credential list is large).

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use psephos_core::error::DecodeError;
use serde::de::DeserializeOwned;
use serde::Serialize;

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

/// 413 for a body over `limit`.
pub fn too_large(limit: usize) -> ApiError {
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
pub async fn json<T: DeserializeOwned + Serialize>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read(req, payload, limit).await?;
    parse(&bytes)
}

/// The body parsed as JSON of a type that refuses unknown fields itself at every level
/// (`#[serde(deny_unknown_fields)]`: the election definition, the credential list), at most
/// `limit` bytes: the same verdicts as [`json`], in one pass — for bodies too large to hold
/// twice (a credential list may be 128 MiB).
pub async fn json_denying<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read(req, payload, limit).await?;
    serde_json::from_slice(&bytes).map_err(json_error)
}

/// `bytes` parsed as JSON of type `T`, the same way on every route:
///
/// - not JSON, or not the route's shape (a missing field, a value of the wrong type, a field
///   the route does not know): 400 `bad_json`;
/// - well-formed JSON of the right shape with a value that does not decode (hex of the wrong
///   length, a non-canonical point or scalar): 400 `bad_encoding`.
///
/// Unknown fields are refused everywhere rather than ignored: a client that sends a field the
/// server does not know is of another version or mistaken, and must learn that it was not
/// understood (nothing signed or hashed depends on the JSON, which is never stored).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // One pass: serde refuses a duplicate field of a struct, and `serde_ignored` reports every
    // field the type did not take.
    let mut unknown: Option<String> = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: T = serde_ignored::deserialize(&mut de, |path| {
        unknown.get_or_insert_with(|| json_path(&path));
    })
    .map_err(json_error)?;
    de.end().map_err(json_error)?;
    if let Some(path) = unknown {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("invalid JSON body: unknown field `{path}`"),
        ));
    }
    Ok(parsed)
}

/// A field's path as a client writes it: `list[0].q`.
fn json_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", json_path(parent)),
        P::Map { parent, key } => match json_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            json_path(parent)
        }
    }
}

/// The API error for a JSON decoding error: `bad_json` for text that is not JSON or not the
/// expected shape, `bad_encoding` for a value whose own decoder refused it.
pub fn json_error(e: serde_json::Error) -> ApiError {
    match e.classify() {
        serde_json::error::Category::Data => decode_error(e),
        _ => bad_json(e),
    }
}

fn bad_json(e: serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_json",
        format!("invalid JSON body: {e}"),
    )
}

/// A decoding error of well-formed JSON: `bad_encoding` when a value's own decoder refused it
/// (the core's [`DecodeError`]s, which the value decoders report), `bad_json` otherwise.
fn decode_error(e: serde_json::Error) -> ApiError {
    let msg = e.to_string();
    let encoding = [
        DecodeError::NonCanonicalPoint.to_string(),
        DecodeError::IdentityPoint.to_string(),
        DecodeError::NonCanonicalScalar.to_string(),
        DecodeError::Hex.to_string(),
    ]
    .iter()
    .any(|m| msg.starts_with(m.as_str()))
        || is_wrong_length(&msg);
    if encoding {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_encoding",
            format!("a value in the body does not decode: {e}"),
        )
    } else {
        bad_json(e)
    }
}

/// Whether `msg` starts with the message of a length error (`WrongLength`: "expected N bytes,
/// got M"; `TooLong`: "length N exceeds the limit M"), whatever its numbers.
fn is_wrong_length(msg: &str) -> bool {
    [
        DecodeError::WrongLength {
            expected: 0,
            got: 0,
        },
        DecodeError::TooLong { got: 0, limit: 0 },
    ]
    .iter()
    .any(|probe| has_shape(msg, &probe.to_string()))
}

/// Whether `msg` starts like `probe` with each `0` of `probe` standing for any number.
fn has_shape(msg: &str, probe: &str) -> bool {
    let mut rest = msg;
    for (i, part) in probe.split('0').enumerate() {
        if i > 0 {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        match rest.strip_prefix(part) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize)]
    struct Inner {
        p: psephos_core::group::Point,
    }
    #[derive(Debug, Serialize, Deserialize)]
    struct Outer {
        n: u32,
        list: Vec<Inner>,
    }

    fn code(body: &str) -> &'static str {
        match parse::<Outer>(body.as_bytes()) {
            Ok(_) => "ok",
            Err(e) => e.code,
        }
    }

    #[test]
    fn bodies_are_judged_the_same_way_on_every_route() {
        let g = psephos_core::group::Point::identity().to_hex();
        assert_eq!(code(&format!(r#"{{"n":1,"list":[{{"p":"{g}"}}]}}"#)), "ok");
        assert_eq!(code("{"), "bad_json");
        assert_eq!(code("[]"), "bad_json");
        assert_eq!(code(r#"{"n":1}"#), "bad_json");
        // Unknown fields, at the top and nested.
        assert_eq!(
            code(&format!(r#"{{"n":1,"x":0,"list":[{{"p":"{g}"}}]}}"#)),
            "bad_json"
        );
        let e = parse::<Outer>(format!(r#"{{"n":1,"list":[{{"p":"{g}","q":1}}]}}"#).as_bytes())
            .unwrap_err();
        assert_eq!(e.code, "bad_json");
        assert!(e.detail.contains("list[0].q"), "{}", e.detail);
        // A field given twice is refused, not "last one wins".
        let e = parse::<Outer>(format!(r#"{{"n":1,"n":2,"list":[{{"p":"{g}"}}]}}"#).as_bytes())
            .unwrap_err();
        assert_eq!(e.code, "bad_json");
        assert!(e.detail.contains("duplicate field"), "{}", e.detail);
        // Values that do not decode.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let noncanonical = hex::encode(p);
        for bad in [noncanonical.as_str(), "zz", "00"] {
            assert_eq!(
                code(&format!(r#"{{"n":1,"list":[{{"p":"{bad}"}}]}}"#)),
                "bad_encoding",
                "{bad}"
            );
        }
    }

    #[test]
    fn values_over_their_length_limit_are_bad_encoding() {
        use psephos_core::proofs::range::{RangeProof, MAX_RANGE_PROOF_BYTES};
        let within = format!("\"{}\"", "07".repeat(MAX_RANGE_PROOF_BYTES));
        assert!(parse::<RangeProof>(within.as_bytes()).is_ok());
        let over = format!("\"{}\"", "07".repeat(MAX_RANGE_PROOF_BYTES + 1));
        let e = parse::<RangeProof>(over.as_bytes()).unwrap_err();
        assert_eq!(e.code, "bad_encoding", "{}", e.detail);
        assert!(has_shape(
            "length 12 exceeds the limit 3 at line 1",
            "length 0 exceeds the limit 0"
        ));
        assert!(!has_shape(
            "length x exceeds",
            "length 0 exceeds the limit 0"
        ));
    }
}
