//! Issue [2/10] item 6: every answer the server gives is the documented JSON error, the same way
//! on every route. One test per point, over real HTTP on 127.0.0.1 against a real server on
//! SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use psephos_server::middleware::RateLimit;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

/// Sends raw bytes on a fresh connection; returns everything the server sent until it closed
/// the connection or a whole non-100 answer arrived (30 s at most).
fn raw(base: &str, request: &[u8]) -> String {
    let mut c = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&out).to_string();
        // Past any interim 100 answer: a head, and as much body as it announces.
        let answer = final_answer(&text);
        if let Some((head, body)) = answer.split_once("\r\n\r\n") {
            let len = head
                .to_lowercase()
                .lines()
                .find_map(|l| l.strip_prefix("content-length: ").map(str::to_string))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// `text` past any interim `100 Continue` answer.
fn final_answer(mut text: &str) -> &str {
    while text.starts_with("HTTP/1.1 100") {
        match text.find("\r\n\r\n") {
            Some(i) => text = &text[i + 4..],
            None => return "",
        }
    }
    text
}

/// The status and JSON body of the final answer in `text`.
fn answer(text: &str) -> (u16, Value) {
    let a = final_answer(text);
    let status = a.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = a.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn raw_async(base: &str, request: Vec<u8>) -> String {
    let base = base.to_string();
    tokio::task::spawn_blocking(move || raw(&base, &request))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_http_layer_cannot_parse_get_the_json_error() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let got = answer(&raw_async(&s.base, b"GARBAGE\r\n\r\n".to_vec()).await);
    assert_eq!(expect_error(&got, 400), "malformed_request");
    let mut big = b"GET /health HTTP/1.1\r\nhost: x\r\nx-big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 200_000));
    big.extend_from_slice(b"\r\n\r\n");
    let got = answer(&raw_async(&s.base, big).await);
    assert_eq!(expect_error(&got, 431), "headers_too_large");
    // A head that never ends: the HTTP layer's timeout (5 s), answered in JSON.
    let got = answer(&raw_async(&s.base, b"GET /health HTTP/1.1\r\nhost: x\r\n".to_vec()).await);
    assert_eq!(expect_error(&got, 408), "request_timeout");
    // The server still serves.
    assert_eq!(s.get("/health").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_answered_on_read_routes() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    for path in [
        "/health",
        "/metrics",
        "/api/v1/elections/psephos-2026/status",
        "/api/v1/elections/psephos-2026/board/size",
        "/api/openapi.json",
        "/api/v1/elections/psephos-2026/tally",
        "/api/v1/elections/psephos-2026/events",
    ] {
        let r = s
            .client
            .head(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "HEAD {path}");
        assert!(
            r.bytes().await.unwrap().is_empty(),
            "HEAD {path} has a body"
        );
    }
    // A read route with nothing there: the status GET would give.
    let r = s
        .client
        .head(format!("{}/api/v1/elections/psephos-2026", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_is_bad_json_on_every_route() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    for (path, official) in [
        ("/api/v1/elections/psephos-2026/board/cosignatures", false),
        ("/api/v1/elections/psephos-2026/ceremony/messages", false),
        ("/api/v1/elections/psephos-2026/ballots", false),
        ("/api/v1/elections/psephos-2026/challenges", false),
        ("/api/v1/elections/psephos-2026/tally/shares", false),
        ("/api/v1/elections/psephos-2026/definition", true),
        ("/api/v1/elections/psephos-2026/credentials", true),
    ] {
        let got = s.post_raw(path, "{".into(), official).await;
        assert_eq!(expect_error(&got, 400), "bad_json", "{path}");
    }
    assert_eq!(s.size(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_refused_on_every_route_and_bad_values_are_bad_encoding() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    // The definition route: an unknown field (top level, in a trustee).
    let mut def = common::create_body(common::MANIFEST, &e.run);
    def["extra"] = json!(1);
    let got = s
        .post("/api/v1/elections/psephos-2026/definition", &def, true)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    let mut def = common::create_body(common::MANIFEST, &e.run);
    def["trustees"][0]["extra"] = json!(1);
    let got = s
        .post("/api/v1/elections/psephos-2026/definition", &def, true)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    e.open(&s).await;
    let size = s.size();
    // The credential list (a type that refuses unknown fields itself, read in one pass).
    let mut list = serde_json::to_value(e.credential_list()).unwrap();
    list["credentials"][0]["voter_id"] = json!("alice");
    let got = s
        .post("/api/v1/elections/psephos-2026/credentials", &list, true)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    assert!(got.1["detail"].as_str().unwrap().contains("voter_id"));
    let (good, _) = e.ballot(0, &mut rng);
    let good_json = serde_json::to_value(&good).unwrap();
    // A ballot with an unknown field, at the top or deep inside.
    let mut extra = good_json.clone();
    extra["comment"] = json!("hello");
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &extra, false)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    assert!(got.1["detail"].as_str().unwrap().contains("comment"));
    let mut deep = good_json.clone();
    deep["contests"][0]["ciphertexts"][0]["gamma"] = json!("00");
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &deep, false)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    // A cosignature with an unknown field.
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/board/cosignatures",
            &json!({"size": 1, "signature": "x", "extra": 1}),
            false,
        )
        .await;
    assert_eq!(expect_error(&got, 400), "bad_json");
    // Non-canonical points: the field element p = 2^255 − 19, as the credential (read before
    // decoding) and as a ciphertext (read when decoding): `bad_encoding`, as documented.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut bad = good_json.clone();
    bad["credential"] = json!(hex::encode(p));
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &bad, false)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_encoding");
    let mut bad = good_json.clone();
    bad["contests"][0]["ciphertexts"][0]["alpha"] = json!(hex::encode(p));
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &bad, false)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_encoding");
    let mut bad = good_json.clone();
    bad["election"] = json!("zz");
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &bad, false)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_encoding");
    assert_eq!(s.size(), size);
    // The good one goes through.
    assert_eq!(
        s.post("/api/v1/elections/psephos-2026/ballots", &good_json, false)
            .await
            .0,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_share_is_replayed() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 3);
    e.open(&s).await;
    let (b, _) = e.ballot(0, &mut rng);
    assert_eq!(
        s.post_raw(
            "/api/v1/elections/psephos-2026/ballots",
            serde_json::to_string(&b).unwrap(),
            false
        )
        .await
        .0,
        201
    );
    assert_eq!(
        s.official("/api/v1/elections/psephos-2026/close").await.0,
        200
    );
    let (st, v) = s.official("/api/v1/elections/psephos-2026/tally").await;
    assert_eq!(st, 201, "{v}");
    let tally: psephos_core::tally::EncryptedTally =
        serde_json::from_value(v["tally"].clone()).unwrap();
    let share = psephos_core::tally::DecryptionShare::compute(
        &tally,
        1,
        &e.run.outcomes[0].secret_share,
        &mut rng,
    );
    let body = serde_json::to_string(&share).unwrap();
    assert_eq!(
        s.post_raw(
            "/api/v1/elections/psephos-2026/tally/shares",
            body.clone(),
            false
        )
        .await
        .0,
        201
    );
    let size = s.size();
    let got = s
        .post_raw("/api/v1/elections/psephos-2026/tally/shares", body, false)
        .await;
    assert_eq!(expect_error(&got, 409), "replayed");
    assert_eq!(s.size(), size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_429_message_says_what_retry_after_says() {
    let config = psephos_server::ServiceConfig {
        rate_limit: Some(RateLimit {
            rate: 0.4,
            burst: 1.0,
        }),
        ..psephos_server::ServiceConfig::default()
    };
    let s = start(Backend::Sqlite, config).await;
    assert_eq!(
        s.post_raw("/api/v1/elections/psephos-2026/ballots", "{".into(), false)
            .await
            .0,
        400
    );
    let r = s
        .client
        .post(format!("{}/api/v1/elections/psephos-2026/ballots", s.base))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&after), "Retry-After: {after}");
    let v: Value = r.json().await.unwrap();
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("retry in {after} s")),
        "{detail} / Retry-After: {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_100_continue_is_sent_for_a_body_that_will_be_refused() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    // Over the route's limit: 413 at once, and never "100 Continue".
    let text = raw_async(
        &s.base,
        format!(
            "POST /api/v1/elections/psephos-2026/board/cosignatures HTTP/1.1\r\nhost: x\r\ncontent-type: \
             application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
            10 << 20
        )
        .into_bytes(),
    )
    .await;
    assert!(!text.contains("100 Continue"), "{text}");
    assert_eq!(expect_error(&answer(&text), 413), "too_large");
    // In a content coding: 415, no 100 either.
    let text = raw_async(
        &s.base,
        b"POST /api/v1/elections/psephos-2026/ballots HTTP/1.1\r\nhost: x\r\ncontent-encoding: gzip\r\n\
          content-length: 10\r\nexpect: 100-continue\r\n\r\n"
            .to_vec(),
    )
    .await;
    assert!(!text.contains("100 Continue"), "{text}");
    assert_eq!(expect_error(&answer(&text), 415), "unsupported_encoding");
    // Within the limit: 100 Continue, then the route's own answer to the body.
    let text = raw_async(
        &s.base,
        b"POST /api/v1/elections/psephos-2026/board/cosignatures HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\
          expect: 100-continue\r\n\r\n{"
            .to_vec(),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 100 Continue"), "{text}");
    assert_eq!(expect_error(&answer(&text), 400), "bad_json");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_in_the_web_root_is_not_followed_out_of_it() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside").unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<p>booth</p>").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        web.path().join("leak.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), web.path().join("dir")).unwrap();
    std::os::unix::fs::symlink(web.path().join("index.html"), web.path().join("home.html"))
        .unwrap();
    let config = psephos_server::ServiceConfig {
        web_dir: Some(web.path().to_path_buf()),
        ..common::quiet_config()
    };
    let s = start(Backend::Sqlite, config).await;
    for path in ["/leak.txt", "/dir/secret.txt"] {
        let got = s.get_text(path).await;
        assert_eq!(got.0, 404, "{path}: {}", got.1);
        assert!(!got.1.contains("outside"), "{path}");
    }
    // A link to a file inside the root is served.
    let got = s.get_text("/home.html").await;
    assert_eq!((got.0, got.1.contains("booth")), (200, true));
}

/// Every error code the server's source can answer with is in docs/api.md's table and is one
/// of `psephos_api::ErrorCode` (the OpenAPI document's list), and the two lists are the same.
#[test]
fn every_error_code_answered_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut codes = std::collections::BTreeSet::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                codes.extend(codes_in(&std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    // Sanity: the scanner finds codes of every kind of site.
    for c in [
        "bad_json",
        "replayed",
        "unauthorized",
        "rejected",
        "malformed_request",
    ] {
        assert!(codes.contains(c), "the scanner missed {c}: {codes:?}");
    }
    let api = std::fs::read_to_string(root.join("../../docs/api.md")).unwrap();
    let table = &api[api.find("Errors are JSON").unwrap()..];
    let table = &table[..table.find("**Nothing is stored").unwrap()];
    let openapi: Value = serde_json::from_str(psephos_server::openapi::document_json()).unwrap();
    let listed: std::collections::BTreeSet<String> = openapi["components"]["schemas"]["ErrorCode"]
        ["enum"]
        .as_array()
        .expect("the OpenAPI ErrorCode schema lists the codes")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for c in &codes {
        assert!(
            table.contains(&format!("`{c}`")),
            "`{c}` is answered but not in docs/api.md's error table"
        );
    }
    assert_eq!(
        listed,
        codes.iter().map(|c| c.to_string()).collect(),
        "the error codes of psephos_api::ErrorCode (and so of the OpenAPI document)"
    );
}

/// The error codes in a source file: a lowercase string literal right after a
/// `StatusCode::NAME` and a `,` or `=>`, or the first argument of `invalid(`.
fn codes_in(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let literal = |rest: &str| -> Option<String> {
        let rest = rest.trim_start().strip_prefix('"')?;
        let end = rest.find('"')?;
        let word = &rest[..end];
        (!word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .then(|| word.to_string())
    };
    for (i, _) in src.match_indices("StatusCode::") {
        let rest = &src[i + "StatusCode::".len()..];
        let name_end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(rest.len());
        let rest = rest[name_end..].trim_start();
        let rest = match (rest.strip_prefix(','), rest.strip_prefix("=>")) {
            (Some(r), _) | (_, Some(r)) => r,
            _ => continue,
        };
        out.extend(literal(rest));
    }
    for (i, _) in src.match_indices("invalid(") {
        out.extend(literal(&src[i + "invalid(".len()..]));
    }
    // The service layer's errors name their code as a field (`ServiceError::Unavailable { code:
    // "overloaded", … }`); the edge maps them.
    for (i, _) in src.match_indices("code: \"") {
        out.extend(literal(&src[i + "code: ".len()..]));
    }
    out
}

#[test]
fn announced_bodies_are_judged_by_their_election_routes_limits() {
    use psephos_server::transport::body_limit;
    let e = "/api/v1/elections/psephos-2026";
    assert_eq!(
        body_limit(&format!("{e}/mix/shuffles")),
        psephos_server::routes::mix::MIX_BODY
    );
    assert_eq!(
        body_limit(&format!("{e}/mix/shares/")),
        psephos_server::routes::mix::MIX_BODY
    );
    assert_eq!(
        body_limit(&format!("{e}/ballots")),
        psephos_server::body::BALLOT_BODY
    );
    assert_eq!(
        body_limit(&format!("{e}/tally/shares")),
        psephos_server::body::SHARE_BODY
    );
    assert_eq!(
        body_limit(&format!("{e}/board/cosignatures")),
        psephos_server::startup::MAX_BODY
    );
}
