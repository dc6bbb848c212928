//! Everything no API route matched: the web app's static files (when `--web DIR` is given),
//! with a strict Content-Security-Policy, or a JSON 404.
//!
//! Each election has its pages under `/e/{election}/` (the booth at `/e/{election}/`, then
//! `check.html`, `observer.html`, `results.html`): the same files for every election, which learn
//! the election from their path. `/` is the list of the service's elections (`elections.html`).
//! `/e/{election}` without the slash is redirected to it, so that the pages' relative URLs
//! resolve under the election; an unknown election is a JSON 404 (503 if it failed to open).
//!
//! The files are those [`crate::booth::ServedBooth`] read from the directory when the service
//! started, served from memory: every segment a plain name (no `..`, no hidden files, no
//! backslashes), a directory serves its `index.html`, and a symbolic link was followed only to
//! a file inside the directory. They are what the booth manifest on each election's board
//! lists (`docs/protocol.md` §11.6); an election whose board pins another booth gets 503
//! `booth_mismatch` for its pages.

use crate::state::AppState;
use crate::ApiError;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

/// The policy every static file is served with: only this origin's scripts (and WebAssembly
/// compiled from them), no inline script or style, no framing, no plugins. It is the booth
/// manifest's `default_csp` (§11.6).
pub const CSP: &str = psephos_record::booth::DEFAULT_CSP;

fn no_route(req: &HttpRequest) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        format!("no route for {} {}", req.method(), req.path()),
    )
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The default service.
pub async fn fallback(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if state.config.web_dir.is_none() {
        return Err(no_route(&req));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(no_route(&req));
    }
    if req.path().starts_with("/api/") {
        return Err(no_route(&req));
    }
    let booth = state.booth()?;
    let path = match req.path() {
        "/" => "/elections.html".to_string(),
        p => match p.strip_prefix("/e/") {
            Some(rest) => {
                let (id, file) = rest.split_once('/').unwrap_or((rest, ""));
                let hosted = state.election(id)?;
                if !rest.contains('/') {
                    return Ok(HttpResponse::PermanentRedirect()
                        .insert_header(("location", format!("/e/{id}/")))
                        .finish());
                }
                // The pages of an election whose board pins another booth are not served.
                let posted = hosted.election.read().await.booth().map(|(m, _)| m.hash());
                if posted.is_some_and(|h| h != booth.manifest().hash()) {
                    return Err(ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "booth_mismatch",
                        format!(
                            "election {id} pins another booth on its board than the one this \
                             service serves: its pages are not served"
                        ),
                    ));
                }
                format!("/{file}")
            }
            None => p.to_string(),
        },
    };
    let plain = path
        .split('/')
        .skip(1)
        .all(|seg| !seg.starts_with('.') && !seg.contains('\\') && !seg.contains('\0'));
    let Some((listed, bytes)) = plain.then(|| booth.file(&path)).flatten() else {
        return Err(no_route(&req));
    };
    let ct = content_type(std::path::Path::new(listed));
    let bytes = bytes.to_vec();
    Ok(HttpResponse::Ok()
        .content_type(ct)
        .insert_header(("content-security-policy", CSP))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("cross-origin-opener-policy", "same-origin"))
        .body(bytes))
}
