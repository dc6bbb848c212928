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

use crate::startup::AppState;
use crate::ApiError;
use actix_web::body::{BoxBody, MessageBody};
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

/// Request ids, the span and log line, metrics (see the module documentation).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().clone();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %path);
    let start = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let latency = start.elapsed();
    let mut res = match result {
        Ok(r) => r.map_into_boxed_body(),
        Err(e) => {
            span.in_scope(|| tracing::info!(error = %e, "answered with an error"));
            return Err(e);
        }
    };
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_string());
    if let Some(m) = metrics {
        m.request(&route, method.as_str(), status.as_u16(), latency);
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
                let err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many requests from this address; retry in {wait:.1} s"),
                );
                let mut resp = err.error_response();
                if let Ok(v) = HeaderValue::from_str(&format!("{}", wait.ceil().max(1.0) as u64)) {
                    resp.headers_mut()
                        .insert(actix_web::http::header::RETRY_AFTER, v);
                }
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
