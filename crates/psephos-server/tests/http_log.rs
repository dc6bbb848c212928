//! Issue [2/10] item 6: a client's unparsable request writes no ERROR line into the operator's
//! log. The log is captured with the filter `psephos serve` uses (its default level plus
//! [`psephos_server::transport::LOG_FILTER`]); the server's own line for the request is at INFO.
//! Alone in its test binary: it installs the process's global subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{start, Backend};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(tracing::Level, String, String)>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut m = Message(String::new());
        event.record(&mut m);
        let meta = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*meta.level(), meta.target().to_string(), m.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparsable_request_is_logged_below_error() {
    let log = Recorder::default();
    let filter = tracing_subscriber::EnvFilter::new("info")
        .add_directive(psephos_server::transport::LOG_FILTER.parse().unwrap());
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(filter)
            .with(log.clone()),
    )
    .unwrap();
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let base = s.base.clone();
    let text = tokio::task::spawn_blocking(move || {
        let mut c = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        c.write_all(b"GARBAGE\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    // The server's INFO line arrives as it answers; the connection's end comes after.
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = |what: &str| {
        log.0
            .lock()
            .unwrap()
            .iter()
            .any(|(l, _, m)| *l == tracing::Level::INFO && m.contains(what))
    };
    while !seen("could not take") {
        assert!(Instant::now() < deadline, "no INFO line for the request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A request after it, answered: the connection with the garbage is long closed.
    assert_eq!(s.get("/health").await.0, 200);
    let errors: Vec<_> = log
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _, _)| *l == tracing::Level::ERROR)
        .cloned()
        .collect();
    assert!(errors.is_empty(), "ERROR lines: {errors:?}");
}
