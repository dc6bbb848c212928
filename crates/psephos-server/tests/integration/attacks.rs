//! The attacks of issue [2/10] kept as tests, over real HTTP on 127.0.0.1 against a real
//! server on SQLite: the gzip bomb, the unlisted-credential decode flood and the method-name
//! flood. Bounded and deterministic: each asserts what the server answered and what it kept,
//! never how fast. The figures (memory, a real voter's latency under the flood) come from
//! `scripts/attacks.sh` and are in BENCHMARKS.md and SECURITY.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use psephos_core::credential::CredentialSecret;
use psephos_core::transcript::random_scalar;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

/// A gzip stream of `size` zero bytes (it compresses about a thousandfold).
fn gzip_zeros(size: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

/// Every route that takes a body, with whether it needs the officials' token.
const BODY_ROUTES: [(&str, bool); 8] = [
    ("/api/v1/elections/psephos-2026/board/cosignatures", false),
    ("/api/v1/elections/psephos-2026/ceremony/messages", false),
    ("/api/v1/elections/psephos-2026/ballots", false),
    ("/api/v1/elections/psephos-2026/challenges", false),
    ("/api/v1/elections/psephos-2026/tally/shares", false),
    ("/api/v1/elections/psephos-2026/definition", true),
    ("/api/v1/elections/psephos-2026/credentials", true),
    ("/api/v1/elections/psephos-2026/open", true),
];

/// Sends a raw HTTP/1.1 request on a fresh connection and returns what the server answered
/// (status and text), reading until the server closes, the answer is whole, or 30 s pass.
pub fn raw(base: &str, request: &[u8], then: Option<&[u8]>) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(request).unwrap();
    if let Some(more) = then {
        // The server may already have answered and closed: a failed write is fine.
        let _ = c.write_all(more);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if let Some(end) = find(&out, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&out[..end]).to_lowercase();
                    if let Some(len) = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                    {
                        if out.len() >= end + 4 + len && !head.starts_with("http/1.1 100") {
                            break;
                        }
                    }
                }
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Item 1: a small gzip body that inflates to 64 MiB is refused with 415 on every route that
/// takes a body, and nothing is stored. The server cannot have inflated it: it answers when it
/// has only the request's head and 1 KiB of the body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_unread_on_every_route() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let bomb = gzip_zeros(64 << 20);
    assert!(bomb.len() < 128 * 1024, "the bomb is {} bytes", bomb.len());
    for (path, official) in BODY_ROUTES {
        let mut r = s
            .client
            .post(format!("{}{path}", s.base))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(bomb.clone());
        if official {
            r = r.bearer_auth(&s.token);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            expect_error(&(status, v), 415),
            "unsupported_encoding",
            "{path}"
        );
    }
    // Any coding but identity, in any spelling, is refused; identity is a body as sent.
    for coding in ["GZIP", "deflate", "br", "identity, gzip", "x-anything"] {
        let got = s
            .client
            .post(format!(
                "{}/api/v1/elections/psephos-2026/board/cosignatures",
                s.base
            ))
            .header("content-encoding", coding)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(got.status().as_u16(), 415, "{coding}");
    }
    let got = s
        .client
        .post(format!(
            "{}/api/v1/elections/psephos-2026/board/cosignatures",
            s.base
        ))
        .header("content-encoding", "identity")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 400);

    // Only the head and a sliver of a 60 MiB body announced: answered 415 at once.
    let head = format!(
        "POST /api/v1/elections/psephos-2026/board/cosignatures HTTP/1.1\r\nhost: x\r\ncontent-type: \
         application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
        60 << 20
    );
    let base = s.base.clone();
    let (status, text) =
        tokio::task::spawn_blocking(move || raw(&base, head.as_bytes(), Some(&[0u8; 1024])))
            .await
            .unwrap();
    assert_eq!(status, 415, "{text}");
    assert!(text.contains("unsupported_encoding"), "{text}");
    assert_eq!(s.size(), 0);
}

/// Item 2: a 2 MiB ballot from an unlisted credential is refused as such (403) without its
/// contests being decoded: they are not even valid points, and the answer is not the 400 a
/// decoding would give. A listed credential's ballot far over its style's size is 413 before
/// decoding. A flood of either changes nothing, and a real voter's ballot is still taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlisted_and_oversized_ballots_are_refused_before_decoding() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let size = s.size();
    let (good, _) = e.ballot(0, &mut rng);
    let good_json = serde_json::to_value(&good).unwrap();

    // Undecodable contests: 2 MiB of strings that are not points.
    let junk: Vec<Value> = (0..13_000)
        .map(|_| json!({ "alpha": "ff".repeat(32), "beta": "ff".repeat(32) }))
        .collect();
    let stranger = CredentialSecret::from_scalar(random_scalar(&mut rng));
    let mut unlisted = good_json.clone();
    unlisted["credential"] = json!(stranger.public());
    unlisted["contests"] = json!([{ "contest": "mayor", "ciphertexts": junk, "proof": null }]);
    let body = unlisted.to_string();
    assert!(body.len() > 1 << 20 && body.len() < psephos_server::body::BALLOT_BODY);
    for path in [
        "/api/v1/elections/psephos-2026/ballots",
        "/api/v1/elections/psephos-2026/challenges",
    ] {
        let body = if path == "/api/v1/elections/psephos-2026/challenges" {
            format!("{{\"ballot\": {body}, \"reveal\": null}}")
        } else {
            body.clone()
        };
        let got = s.post_raw(path, body, false).await;
        assert_eq!(expect_error(&got, 403), "unknown_credential", "{path}");
    }
    // The same junk under a listed credential: within the route's limit, over the style's.
    let mut fat = unlisted.clone();
    fat["credential"] = good_json["credential"].clone();
    let got = s
        .post_raw(
            "/api/v1/elections/psephos-2026/ballots",
            fat.to_string(),
            false,
        )
        .await;
    let code = expect_error(&got, 413);
    assert_eq!(code, "too_large");
    assert!(
        got.1["detail"].as_str().unwrap().contains("ballot style"),
        "{}",
        got.1
    );

    // A flood of unlisted ballots, all at once, then a real voter.
    let flood = futures_util::future::join_all((0..16).map(|_| {
        s.post_raw(
            "/api/v1/elections/psephos-2026/ballots",
            body.clone(),
            false,
        )
    }))
    .await;
    assert!(flood.iter().all(|g| g.0 == 403), "{flood:?}");
    assert_eq!(s.size(), size);
    let got = s
        .post("/api/v1/elections/psephos-2026/ballots", &good_json, false)
        .await;
    assert_eq!(got.0, 201, "{}", got.1);
    let refused = s.get_text("/metrics").await.1;
    assert!(
        refused.contains("psephos_ballots_rejected_total{reason=\"unknown_credential\"} 17"),
        "{refused}"
    );
}

/// Item 3: requests with invented method names leave no trace of their names in the metrics:
/// they are counted under `method="other"`, and the metrics do not grow with their number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_methods_do_not_grow_the_metrics() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let flood = |from: usize, n: usize| {
        let s = &s;
        futures_util::future::join_all((from..from + n).map(move |i| async move {
            let name = format!("X{}{i}", "M".repeat(1000));
            let m = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
            s.client
                .request(
                    m,
                    format!("{}/api/v1/elections/psephos-2026/status", s.base),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }))
    };
    let statuses = flood(0, 50).await;
    assert!(
        statuses.iter().all(|&st| st == 405 || st == 404),
        "{statuses:?}"
    );
    // The first scrape adds the series of `/metrics` itself.
    s.get_text("/metrics").await;
    let after_50 = s.get_text("/metrics").await.1;
    assert!(
        !after_50.contains("MMMM"),
        "a method name is in the metrics"
    );
    assert!(
        after_50.contains("method=\"other\",status=\"405\"} 50"),
        "{after_50}"
    );
    flood(50, 200).await;
    let after_250 = s.get_text("/metrics").await.1;
    assert!(
        after_250.contains("method=\"other\",status=\"405\"} 250"),
        "{after_250}"
    );
    let series = |t: &str| t.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(series(&after_50), series(&after_250));
}
