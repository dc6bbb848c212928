//! Everything no API route matched: the web app's static files (when `--web DIR` is given),
//! with a strict Content-Security-Policy, or a JSON 404.
//!
//! Each election has its pages under `/e/{election}/` (the booth at `/e/{election}/`, then
//! `check.html`, `observer.html`, `results.html`): the same files for every election, which learn
//! the election from their path. `/` is the list of the service's elections (`elections.html`).
//! `/e/{election}` without the slash is redirected to it, so that the pages' relative URLs
//! resolve under the election; an unknown election is a JSON 404 (503 if it failed to open).
//!
//! Paths are resolved strictly inside the directory: every segment must be a plain name (no
//! `..`, no hidden files, no backslashes), a directory serves its `index.html`, and a symbolic
//! link is followed only to a file that is itself inside the directory.

use crate::state::AppState;
use crate::ApiError;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use std::path::PathBuf;

/// The policy every static file is served with: only this origin's scripts (and WebAssembly
/// compiled from them), no inline script or style, no framing, no plugins.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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

/// The file under `root` that `path` names, if the path is acceptable: plain segments only,
/// and the file, once every symbolic link is resolved, still inside the (resolved) root — a
/// link inside the web root never serves a file from outside it. Blocking (file system).
fn resolve(root: &std::path::Path, path: &str) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('.') || seg.contains('\\') || seg.contains('\0') {
            return None;
        }
        p.push(seg);
    }
    if p.is_dir() {
        p.push("index.html");
    }
    let root = root.canonicalize().ok()?;
    let file = p.canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// The default service.
pub async fn fallback(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some(root) = state.config.web_dir.clone() else {
        return Err(no_route(&req));
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(no_route(&req));
    }
    if req.path().starts_with("/api/") {
        return Err(no_route(&req));
    }
    let path = match req.path() {
        "/" => "/elections.html".to_string(),
        p => match p.strip_prefix("/e/") {
            Some(rest) => {
                let (id, file) = rest.split_once('/').unwrap_or((rest, ""));
                state.election(id)?;
                if !rest.contains('/') {
                    return Ok(HttpResponse::PermanentRedirect()
                        .insert_header(("location", format!("/e/{id}/")))
                        .finish());
                }
                format!("/{file}")
            }
            None => p.to_string(),
        },
    };
    let found = web::block(move || {
        let file = resolve(&root, &path)?;
        let bytes = std::fs::read(&file).ok()?;
        Some((content_type(&file), bytes))
    })
    .await
    .ok()
    .flatten();
    let Some((ct, bytes)) = found else {
        return Err(no_route(&req));
    };
    Ok(HttpResponse::Ok()
        .content_type(ct)
        .insert_header(("content-security-policy", CSP))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("cross-origin-opener-policy", "same-origin"))
        .body(bytes))
}
