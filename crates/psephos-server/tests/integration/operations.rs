//! Operations: the OpenAPI document matches the routes, the event stream tells observers what
//! happens, a graceful stop loses no acknowledged ballot, and the operator token store keeps
//! only a hash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use psephos_core::ballot::TrackingCode;
use psephos_server::auth::TokenHash;
use psephos_server::catalog::Catalog;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Routes declared in the sources — `web::resource("…")` with its `.route(web::get()…)`s, or
/// `#[get("…")]`/`#[post("…")]` — as `(path, method)`, the path prefixed by where its module is
/// mounted in `routes/mod.rs`: `elections` and `service` at the root, `board` in an election's
/// `/board`, every other module in an election's scope.
fn routes_in_sources() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let table = std::fs::read_to_string(format!("{dir}/routes/mod.rs")).unwrap();
    let scope = table
        .split("ELECTION_SCOPE: &str = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(format!("{dir}/routes")).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_str().unwrap().to_string();
        let prefix = match module.as_str() {
            "mod" | "web" => continue,
            "elections" | "service" => String::new(),
            "board" => format!("{scope}/board"),
            _ => scope.clone(),
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("web::resource(\"").skip(1) {
            let p = piece.split('"').next().unwrap();
            // The resource's routes: up to the end of its `.service(…)` (the next resource).
            let routes = piece.split("web::resource(").next().unwrap();
            let mut methods = 0;
            for m in ["get", "post", "put", "delete", "patch"] {
                if routes.contains(&format!("web::{m}()")) {
                    out.insert((format!("{prefix}{p}"), m.to_string()));
                    methods += 1;
                }
            }
            assert!(methods > 0, "{module}: resource {p} with no method found");
        }
        for m in ["get", "post"] {
            for piece in text.split(&format!("#[{m}(\"")).skip(1) {
                let p = piece.split('"').next().unwrap();
                out.insert((format!("{prefix}{p}"), m.to_string()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_route_and_every_listed_route_is_served() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let (st, doc) = s.get("/api/openapi.json").await;
    assert_eq!(st, 200);
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "parameters")
                .map(move |m| (p.clone(), m.clone()))
        })
        .collect();
    let declared = routes_in_sources();
    assert!(
        declared.len() > 20,
        "source scan found too little: {declared:?}"
    );
    let missing: Vec<_> = declared.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&declared).collect();
    assert!(
        stale.is_empty(),
        "the OpenAPI document lists routes that do not exist: {stale:?}"
    );
    // Every documented method answers from a real handler (not the fallback, not 405).
    for (path, ops) in paths {
        let concrete = path
            .replace("{election}", psephos_testkit::ELECTION)
            .replace("{credential}", &"ab".repeat(32))
            .replace("{tracking_code}", "AAAA-AAAA-AAAA-AAAA")
            .replace("{index}", "0")
            .replace("{size}", "0")
            .replace("{number}", "0")
            .replace("{token_id}", "0");
        for method in ops.as_object().unwrap().keys() {
            let url = format!("{}{concrete}", s.base);
            let r = match method.as_str() {
                "get" => s.client.get(&url).send().await.unwrap(),
                "post" => s.client.post(&url).body("{}").send().await.unwrap(),
                "delete" => s.client.delete(&url).send().await.unwrap(),
                "parameters" => continue,
                m => panic!("unexpected method {m}"),
            };
            let status = r.status().as_u16();
            assert_ne!(status, 405, "{method} {path}");
            if path.ends_with("/events") || path == "/api/openapi.json" {
                continue; // a stream: the headers are the answer; the document names every code
            }
            let text = r.text().await.unwrap();
            assert!(!text.contains("\"no_route\""), "{method} {path}: {text}");
        }
    }
    // The typed schemas describe what the server answers: each object below carries every
    // field its schema requires and no field the schema does not declare.
    let mut rng = s.rng.clone();
    TestElection::new(&mut rng, 2).open(&s).await;
    let e = format!("/api/v1/elections/{}", psephos_testkit::ELECTION);
    let (st, status) = s.get(&format!("{e}/status")).await;
    assert_eq!(st, 200, "{status}");
    let (st, view) = s.get(&e).await;
    assert_eq!(st, 200, "{view}");
    let schemas = &doc["components"]["schemas"];
    for (name, answered) in [
        ("Counts", &status["counts"]),
        ("ElectionView", &view),
        ("Manifest", &view["manifest"]),
        ("Contest", &view["manifest"]["contests"][0]),
        ("BallotStyle", &view["manifest"]["ballot_styles"][0]),
    ] {
        let schema = &schemas[name];
        let declared: BTreeSet<&str> = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties in the {name} schema: {schema}"))
            .keys()
            .map(String::as_str)
            .collect();
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let fields: BTreeSet<&str> = answered
            .as_object()
            .unwrap_or_else(|| panic!("{name}: not an object: {answered}"))
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            required.is_subset(&fields),
            "{name}: {required:?} ⊄ {fields:?}"
        );
        assert!(
            fields.is_subset(&declared),
            "{name}: {fields:?} ⊄ {declared:?}"
        );
    }
    // An unknown path is a JSON 404; a known path with another method a JSON 405.
    let got = s.get("/api/v1/nothing-here").await;
    assert_eq!(expect_error(&got, 404), "no_route");
    let got = s.get("/api/v1/elections/psephos-2026/ballots").await;
    assert_eq!(expect_error(&got, 405), "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_files_are_served_with_a_strict_policy() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><p>booth</p>").unwrap();
    std::fs::write(
        web.path().join("elections.html"),
        "<!doctype html><p>list</p>",
    )
    .unwrap();
    std::fs::create_dir(web.path().join("js")).unwrap();
    std::fs::write(web.path().join("js/app.js"), "console.log(1)").unwrap();
    std::fs::write(web.path().join(".secret"), "no").unwrap();
    let config = psephos_server::ServiceConfig {
        web_dir: Some(web.path().to_path_buf()),
        ..common::quiet_config()
    };
    let s = start(Backend::Sqlite, config).await;
    let r = s.client.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains("list"));
    // Each election's pages under /e/{election}/: the booth, the same assets.
    let r = s
        .client
        .get(format!("{}/e/{}/", s.base, psephos_testkit::ELECTION))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("content-security-policy"));
    assert!(r.text().await.unwrap().contains("booth"));
    let got = s
        .get_text(&format!("/e/{}/js/app.js", psephos_testkit::ELECTION))
        .await;
    assert_eq!(got.0, 200);
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/e/{}", s.base, psephos_testkit::ELECTION))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], "/e/psephos-2026/");
    let got = s.get("/e/no-such-election/").await;
    assert_eq!(expect_error(&got, 404), "not_found");
    let got = s
        .get(&format!("/e/{}/../../.secret", psephos_testkit::ELECTION))
        .await;
    assert_eq!(got.0, 404);
    let r = s
        .client
        .get(format!("{}/js/app.js", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    for bad in [
        "/.secret",
        "/js/../.secret",
        "/%2e%2e/etc/passwd",
        "/missing.js",
    ] {
        let got = s.get(bad).await;
        assert_eq!(got.0, 404, "{bad}: {}", got.1);
        assert_eq!(got.1["error"], "no_route", "{bad}");
    }
    // API paths never fall through to files.
    assert_eq!(s.get("/api/v1/nope").await.1["error"], "no_route");
}

/// Reads the event stream until `pred` holds for an event, or panics after a deadline.
async fn next_event(
    resp: &mut reqwest::Response,
    buf: &mut String,
    name: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let mut ev = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    ev = Some(v.to_string());
                }
                if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(v.to_string());
                }
            }
            if ev.as_deref() == Some(name) {
                let v: Value = serde_json::from_str(&data.unwrap()).unwrap();
                if pred(&v) {
                    return v;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {name} event in time"))
            .unwrap()
            .expect("stream ended");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_phase_counts_and_checkpoints() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 3);
    let mut resp = s
        .client
        .get(format!("{}/api/v1/elections/psephos-2026/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut buf = String::new();
    // The snapshot first.
    let v = next_event(&mut resp, &mut buf, "phase", |_| true).await;
    assert_eq!(v["phase"], "empty");
    e.open(&s).await;
    next_event(&mut resp, &mut buf, "phase", |v| v["phase"] == "open").await;
    let (b, _) = e.ballot(0, &mut rng);
    let (st, _) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201);
    next_event(&mut resp, &mut buf, "counts", |v| v["ballots_cast"] == 1).await;
    s.board.seal_now().await.unwrap();
    let size = s.size();
    let cp = next_event(&mut resp, &mut buf, "checkpoint", |v| v["size"] == size).await;
    assert!(cp["note"]
        .as_str()
        .unwrap()
        .starts_with(psephos_testkit::ORIGIN));
    // The stream ends when the service stops.
    s.state.shutdown().await;
    let end = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the event stream did not end at shutdown");
}

/// Ballots in flight while the service stops: every acknowledged one is on the board after a
/// restart; every other one got 503 and is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_loses_no_acknowledged_ballot() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 40);
    e.open(&s).await;
    let ballots: Vec<String> = (0..40)
        .map(|v| serde_json::to_string(&e.ballot(v, &mut rng).0).unwrap())
        .collect();
    // The stop starts once a first ballot is acknowledged, whatever the machine's speed: later
    // sends (spread out) are then in flight or refused.
    let first_ack = tokio::sync::Notify::new();
    let sends = futures_util::future::join_all(ballots.iter().enumerate().map(|(i, body)| {
        let (s, first_ack) = (&s, &first_ack);
        async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 2)).await;
            let status = s
                .client
                .post(format!("{}/api/v1/elections/psephos-2026/ballots", s.base))
                .body(body.clone())
                .send()
                .await
                .map(|r| r.status().as_u16())
                .ok();
            if status == Some(201) {
                first_ack.notify_one();
            }
            status
        }
    }));
    let stop = async {
        let acked = tokio::time::timeout(Duration::from_secs(120), first_ack.notified()).await;
        assert!(acked.is_ok(), "no ballot was acknowledged");
        // What `psephos serve` does on SIGTERM.
        s.state.shutdown().await;
        s.handle.stop(true).await;
        s.board.close().await.unwrap();
    };
    let (answers, ()) = tokio::join!(sends, stop);
    let acked: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| **a == Some(201))
        .map(|(i, _)| i)
        .collect();
    assert!(!acked.is_empty(), "{answers:?}");
    for a in answers.iter().flatten() {
        assert!(*a == 201 || *a == 503, "{answers:?}");
    }
    let s2 = common::start_on(s.db, common::quiet_config()).await;
    for (i, body) in ballots.iter().enumerate() {
        let b: psephos_core::ballot::EncryptedBallot = serde_json::from_str(body).unwrap();
        let (st, v) = s2
            .get(&format!(
                "/api/v1/elections/psephos-2026/ballots/{}",
                TrackingCode::of(&b.hash())
            ))
            .await;
        if acked.contains(&i) {
            assert_eq!(
                (st, v["status"].as_str()),
                (200, Some("cast")),
                "ballot {i}"
            );
        } else {
            assert_eq!(st, 404, "ballot {i} was refused but is on the board");
        }
    }
}

async fn token_store(backend: Backend) {
    let db = psephos_testkit::TestDb::new(backend).await;
    // The board creates the database; the token table lives beside the board's tables.
    let board = psephos_board::Board::open(
        &db.url,
        psephos_testkit::election_config(psephos_testkit::ELECTION),
    )
    .await
    .unwrap();
    let catalog = Catalog::open(&db.url).await.unwrap();
    let (hash, token) = catalog.operator_token(false).await.unwrap();
    let token = token.expect("a token at the first start");
    assert_eq!(token.expose().len(), 64);
    assert!(TokenHash::from_hash(hash).accepts(token.expose()));
    assert_eq!(format!("{token:?}"), "NewToken(<secret>)");
    // Later starts read the hash and make no token.
    let (again, none) = catalog.operator_token(false).await.unwrap();
    assert_eq!(again, hash);
    assert!(none.is_none());
    // Only the hash is stored.
    let stored_hex = hex::encode(hash);
    assert_ne!(stored_hex, token.expose());
    // A reset replaces it.
    let (new_hash, new_token) = catalog.operator_token(true).await.unwrap();
    assert_ne!(new_hash, hash);
    assert!(!TokenHash::from_hash(new_hash).accepts(token.expose()));
    assert!(TokenHash::from_hash(new_hash).accepts(new_token.unwrap().expose()));
    board.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_token_store_sqlite() {
    token_store(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_token_store_postgres() {
    token_store(Backend::Postgres).await;
}

/// A request that takes longer than the timeout gets a JSON 503; a ballot that was already
/// queued is still committed, and the voter finds it by its tracking code (as documented).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out_with_json_503() {
    let mut config = common::quiet_config();
    config.request_timeout = Duration::from_millis(200);
    // A lone ballot waits this long for company before its batch is verified: far longer than
    // the request timeout, so the timeout fires first however loaded the machine.
    config.cast.max_wait = Duration::from_secs(5);
    let s = start(Backend::Sqlite, config).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 2);
    e.open(&s).await;
    let (b, _) = e.ballot(0, &mut rng);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(expect_error(&got, 503), "timeout");
    let code = TrackingCode::of(&b.hash()).to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (st, v) = s
            .get(&format!("/api/v1/elections/psephos-2026/ballots/{code}"))
            .await;
        if st == 200 {
            assert_eq!(v["status"], "cast");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queued ballot was never committed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
