//! The HTTP/1.1 transport under the application: what happens before a request reaches the
//! routes, so that the answers given there are the API's too.
//!
//! [`crate::startup::serve`] builds the server from actix's parts (`actix-server`,
//! `actix-http`) rather than with `HttpServer`, for two things `HttpServer` does not let an
//! application decide:
//!
//! - **`Expect: 100-continue`** ([`expect`]): the HTTP layer asks this handler before it tells
//!   the client to send the body. A body the route would refuse — larger than the route's limit
//!   (`Content-Length`), or in a content coding (`Content-Encoding` other than `identity`) — is
//!   refused here with the route's JSON 413 or 415, and no `100 Continue` is ever sent for it:
//!   the client does not upload what will be thrown away.
//! - **Requests that do not parse** ([`JsonErrors`]): actix answers a request line or header
//!   block it cannot parse with an empty 400, a header block over its limit with an empty 431,
//!   and a request head not received in time with an empty 408, before any application code
//!   runs. The connection is wrapped so that these three answers carry the API's JSON error
//!   body (`malformed_request`, `headers_too_large`, `request_timeout`) like every other; each
//!   is logged at INFO (a client's garbage is not an operator's error). actix's own ERROR line
//!   for them is silenced by [`LOG_FILTER`].

use crate::body;
use crate::ApiError;
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, ResponseError};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Log directives the server's binary adds to its filter: actix-http logs every connection
/// that sent an unparsable request at ERROR ("stream error: request parse error"); the server
/// logs those itself, at INFO, with the answer it gave ([`JsonErrors`]). The same module's other
/// ERROR lines are a client gone mid-answer ("write zero") and a failed response stream, which
/// the server logs itself where it can fail (the record export).
pub const LOG_FILTER: &str = "actix_http::h1::dispatcher=off";

/// The body limit of the route at `path` (what [`crate::body::read`] is called with there), for
/// refusing an announced body before it is sent.
pub fn body_limit(path: &str) -> usize {
    let path = path.trim_end_matches('/');
    // An election's routes: `/api/v1/elections/{election}/…`.
    let tail = path
        .strip_prefix("/api/v1/elections/")
        .and_then(|r| r.split_once('/'))
        .map(|(_, t)| t);
    match tail {
        Some("ballots" | "challenges") => return body::BALLOT_BODY,
        Some("definition") => return body::DEFINITION_BODY,
        Some("credentials") => return body::CREDENTIALS_BODY,
        Some("tally/shares") => return body::SHARE_BODY,
        Some("mix/shuffles" | "mix/shares") => return crate::routes::mix::MIX_BODY,
        _ => {}
    }
    match path {
        "/api/v1/ballots" | "/api/v1/challenges" => body::BALLOT_BODY,
        "/api/v1/election" => body::DEFINITION_BODY,
        "/api/v1/election/credentials" => body::CREDENTIALS_BODY,
        "/api/v1/tally/shares" => body::SHARE_BODY,
        _ => crate::startup::MAX_BODY,
    }
}

/// Why a request with this path and these headers will be refused whatever its body, if it
/// will: 415 for a content coding, 413 for an announced length over the route's limit.
pub fn refuse_before_body(path: &str, headers: &HeaderMap) -> Option<ApiError> {
    if let Some(e) = crate::middleware::refuse_content_encoding(headers) {
        return Some(e);
    }
    let limit = body_limit(path);
    let len = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    (len > limit as u64).then(|| body::too_large(limit))
}

/// The `Expect: 100-continue` handler (see the module documentation).
pub async fn expect(req: actix_http::Request) -> Result<actix_http::Request, actix_web::Error> {
    match refuse_before_body(req.path(), req.headers()) {
        None => Ok(req),
        Some(e) => {
            tracing::info!(
                method = %crate::middleware::method_label(req.method()),
                path = %req.path(),
                status = e.status.as_u16(),
                error = e.code,
                "refused before the body was sent (Expect: 100-continue)"
            );
            let mut res = e.error_response();
            res.head_mut()
                .set_connection_type(actix_http::ConnectionType::Close);
            Err(actix_web::error::InternalError::from_response(e, res).into())
        }
    }
}

/// A connection whose bodiless error answers from the HTTP layer get the API's JSON body (see
/// the module documentation). Reads pass through untouched.
#[derive(Debug)]
pub struct JsonErrors<T> {
    io: T,
    /// A rewritten answer still being written: the bytes and how many are written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> JsonErrors<T> {
    pub fn new(io: T) -> Self {
        JsonErrors { io, pending: None }
    }
}

/// The answer with a JSON body for `head` if it is one of the HTTP layer's own bodiless error
/// answers: a whole response head (nothing after it) with status 400, 408 or 431 and
/// `content-length: 0`. The application never sends such a head (its errors have JSON bodies).
pub fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let (status, code, detail) = if head.starts_with(b"HTTP/1.1 400 ") {
        (
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request is not valid HTTP/1.1 (request line or headers)",
        )
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "the request's headers are too large",
        )
    } else if head.starts_with(b"HTTP/1.1 408 ") {
        (
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request's head was not received in time",
        )
    } else {
        return None;
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != head.len() {
        return None;
    }
    let text = std::str::from_utf8(&head[..end]).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut empty = false;
    let mut kept = Vec::new();
    for line in lines {
        if line.eq_ignore_ascii_case("content-length: 0") {
            empty = true;
        } else {
            kept.push(line);
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::to_string(&psephos_api::ErrorBody {
        error: crate::error::error_code(code),
        detail: detail.to_owned(),
    })
    .ok()?;
    tracing::info!(
        status = status.as_u16(),
        error = code,
        "answered a request the HTTP layer could not take"
    );
    let mut out = format!("{status_line}\r\n");
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    Some(out.into_bytes())
}

impl<T: AsyncWrite + Unpin> JsonErrors<T> {
    /// Writes what is pending; `Ready(Ok)` once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written >= bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        if let Some(answer) = rewrite(buf) {
            // The caller's bytes are taken whole; the rewritten answer is written from here
            // and by the flush that follows.
            this.pending = Some((answer, 0));
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_http_layers_bodiless_errors_are_rewritten() {
        let head = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap()).unwrap();
        let (h, b) = out.split_once("\r\n\r\n").unwrap();
        assert!(h.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{h}");
        assert!(h.contains("connection: close"), "{h}");
        assert!(h.contains(&format!("content-length: {}", b.len())), "{h}");
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        assert_eq!(v["error"], "malformed_request");
        // An application answer (a body follows), another status, a partial head: untouched.
        let mut with_body = head.to_vec();
        with_body.extend_from_slice(b"{}");
        assert!(rewrite(&with_body).is_none());
        assert!(rewrite(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none());
    }
}
