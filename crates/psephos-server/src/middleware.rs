//! Cross-cutting request handling, outermost first:
//!
//! 1. **Request id and log line**: every request gets an id (a sane incoming `x-request-id`
//!    or a fresh one), echoed in the response, on a tracing span around the handler, and in
//!    one structured log line when it is answered (method, route, status, latency). Metrics
//!    count it by route pattern, never by raw path.
//! 2. **Rate limit on writes**: a token bucket per client IP for `POST`/`PUT`/`DELETE`;
//!    over the limit: 429 JSON with `Retry-After`. Reads are not limited here.
//! 3. **Timeout**: a handler that has not answered in time gets 503 JSON. A ballot that was
//!    already queued may still be committed; the voter finds it by its tracking code.

use crate::state::AppState;
use crate::ApiError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The request id of the request being handled (an extension set by [`request_context`]).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn process_tag() -> u32 {
    static TAG: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *TAG.get_or_init(|| {
        let mut b = [0u8; 4];
        rand_core_std::RngCore::fill_bytes(&mut rand_core_std::OsRng, &mut b);
        u32::from_le_bytes(b)
    })
}

fn request_id(req: &ServiceRequest) -> String {
    if let Some(v) = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        if !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return v.to_string();
        }
    }
    format!(
        "{:08x}-{:x}",
        process_tag(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// The method as a metrics label and in logs: one of the methods the API knows, or `other`
/// (the method is chosen by the client: an invented one must not grow the label set).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// 415 for a request body in any content coding but `identity`: the server never inflates a
/// request body (a few kilobytes of gzip can inflate to gigabytes, before any size limit could
/// see them), so every body is read as sent, through the route's bounded reader.
pub fn refuse_content_encoding(headers: &actix_web::http::header::HeaderMap) -> Option<ApiError> {
    let mut codings = headers
        .get_all(actix_web::http::header::CONTENT_ENCODING)
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(|c| c.trim_ascii());
    if codings.all(|c| c.is_empty() || c.eq_ignore_ascii_case(b"identity")) {
        return None;
    }
    Some(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_encoding",
        "request bodies are accepted only as sent (Content-Encoding: identity); \
         send it uncompressed",
    ))
}

/// Request ids, the span and log line, metrics (see the module documentation).
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = method_label(req.method());
    let path = req.path().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %path);
    let start = Instant::now();
    // HEAD is GET without the body: routed as GET; the HTTP layer sends the head only (a
    // streamed body, which may never end, is dropped here).
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let result = match refuse_content_encoding(req.headers()) {
        Some(e) => Ok(req.error_response(e)),
        None => next
            .call(req)
            .instrument(span.clone())
            .await
            .map(|r| r.map_into_boxed_body()),
    };
    let latency = start.elapsed();
    let mut res = match result {
        Ok(r) => r,
        Err(e) => {
            span.in_scope(|| tracing::info!(error = %e, "answered with an error"));
            return Err(e);
        }
    };
    if res.status().is_client_error() || res.status().is_server_error() {
        res = json_error(res, method).await;
    }
    if head && matches!(res.response().body().size(), BodySize::Stream) {
        res = res.map_body(|_, _| BoxBody::new(()));
    }
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_string());
    if let Some(m) = metrics {
        m.request(&route, method, status.as_u16(), latency);
    }
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), route = %route, latency_ms = latency.as_secs_f64() * 1e3, "answered");
        } else {
            tracing::info!(status = status.as_u16(), route = %route, latency_ms = latency.as_secs_f64() * 1e3, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// Errors that actix itself answers (405 for a known path with another method, payload
/// errors of extractors) come with a plain-text body; the API promises JSON `{error, detail}`
/// for every error, so such a body is rewritten, keeping its text as the detail.
async fn json_error(res: ServiceResponse<BoxBody>, method: &str) -> ServiceResponse<BoxBody> {
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let status = res.status();
    let (req, resp) = res.into_parts();
    let text = actix_web::body::to_bytes_limited(resp.into_body(), 4096)
        .await
        .ok()
        .and_then(Result::ok)
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::BAD_REQUEST => "bad_request",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let detail = if text.is_empty() {
        match status {
            // The method as sent (a HEAD is routed as GET), or `other`.
            StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not allowed here"),
            s => s.canonical_reason().unwrap_or("error").to_string(),
        }
    } else {
        text
    };
    ServiceResponse::new(req, ApiError::new(status, code, detail).error_response())
}

/// Per-client write limits: `rate` requests per second, bursts of up to `burst`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub rate: f64,
    pub burst: f64,
}

/// Token buckets by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Buckets kept before full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// `None` disables the limit (benchmarks, a server behind a proxy that limits).
    pub fn new(limit: Option<RateLimit>) -> Self {
        RateLimiter {
            limit: limit.filter(|l| l.rate > 0.0 && l.burst >= 1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip`; `Err(seconds to wait)` if none is left.
    pub fn check(&self, ip: IpAddr) -> Result<(), f64> {
        let Some(l) = self.limit else { return Ok(()) };
        let now = Instant::now();
        let mut b = match self.buckets.lock() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        if b.len() >= MAX_BUCKETS {
            b.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * l.rate < l.burst
            });
        }
        let (tokens, at) = b.entry(ip).or_insert((l.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * l.rate).min(l.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / l.rate)
        }
    }
}

/// The whole seconds a client is told to wait (`Retry-After` and the message): the wait
/// rounded up, at least 1.
pub fn retry_after_secs(wait: f64) -> u64 {
    if wait.is_finite() && wait > 0.0 {
        (wait.ceil() as u64).max(1)
    } else {
        1
    }
}

/// The rate limit on writes (see the module documentation).
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let write = matches!(*req.method(), Method::POST | Method::PUT | Method::DELETE);
    if write {
        if let (Some(state), Some(ip)) = (
            req.app_data::<web::Data<AppState>>(),
            req.peer_addr().map(|a| a.ip()),
        ) {
            if let Err(wait) = state.limiter.check(ip) {
                state.metrics.rate_limited();
                // Retry-After is whole seconds: the message says the same number.
                let secs = retry_after_secs(wait);
                let err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many requests from this address; retry in {secs} s"),
                );
                let mut resp = err.error_response();
                resp.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    HeaderValue::from(secs),
                );
                return Ok(req.into_response(resp));
            }
        }
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

/// The request timeout (see the module documentation).
pub async fn timeout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.request_timeout)
        .unwrap_or(Duration::from_secs(60));
    // Streams (events, record export) are long by design: only their start is timed. The
    // error is turned into its JSON response by actix.
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(r) => r.map(|r| r.map_into_boxed_body()),
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request was not answered within {} s; if it was a ballot, look it up by \
                 its tracking code before sending it again",
                limit.as_secs()
            ),
        )
        .into()),
    }
}
