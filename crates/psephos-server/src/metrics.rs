//! Prometheus metrics (`GET /metrics`, text exposition format 0.0.4), hand-rolled: a few
//! counters and histograms behind one mutex each, so the service needs no metrics framework.
//!
//! What is exported: ballots accepted, ballots rejected by reason (the API error code), the
//! acknowledgement latency of accepted ballots, the sizes of verification batches, HTTP requests
//! by route pattern and status, their latency, and gauges read at scrape time (board size,
//! sealed size, phase, counts).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Batch-size buckets, in ballots.
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// A cumulative histogram.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }
    fn observe(&mut self, v: f64) {
        for (b, c) in self.bounds.iter().zip(self.counts.iter_mut()) {
            if v <= *b {
                *c += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The service's metrics. Shared by every handler through `AppState`.
#[derive(Debug)]
pub struct Metrics {
    ballots_accepted: AtomicU64,
    ballots_rejected: Mutex<BTreeMap<&'static str, u64>>,
    ballot_ack: Mutex<Histogram>,
    batch_size: Mutex<Histogram>,
    /// (route pattern, method label, status) → count. Every part comes from a bounded set the
    /// server owns (its route table, [`crate::middleware::method_label`], the statuses it
    /// answers), never from the request's own text: a client cannot add a series.
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    /// route pattern → latency
    request_latency: Mutex<BTreeMap<String, Histogram>>,
    rate_limited: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            ballots_accepted: AtomicU64::new(0),
            ballots_rejected: Mutex::new(BTreeMap::new()),
            ballot_ack: Mutex::new(Histogram::new(&LATENCY_BUCKETS)),
            batch_size: Mutex::new(Histogram::new(&BATCH_BUCKETS)),
            requests: Mutex::new(BTreeMap::new()),
            request_latency: Mutex::new(BTreeMap::new()),
            rate_limited: AtomicU64::new(0),
        }
    }
}

/// Values read from the state at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// The election's slug (every gauge is labelled with it).
    pub election: String,
    pub board_size: u64,
    pub sealed_size: u64,
    pub phase: &'static str,
    pub counts: psephos_record::Counts,
    /// Where the board's tamper check stands: `running`, `passed`, `failed` or `not_run`.
    pub tamper_check: &'static str,
    /// Whether this node seals the election's board now (always, for a board of one node;
    /// on a board shared by several nodes, while it holds the sealer lease).
    pub sealer: bool,
}

impl Metrics {
    pub fn ballot_accepted(&self, ack: Duration) {
        self.ballots_accepted.fetch_add(1, Ordering::Relaxed);
        lock(&self.ballot_ack).observe(ack.as_secs_f64());
    }
    pub fn ballot_rejected(&self, reason: &'static str) {
        *lock(&self.ballots_rejected).entry(reason).or_insert(0) += 1;
    }
    pub fn batch(&self, size: usize) {
        lock(&self.batch_size).observe(size as f64);
    }
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    /// One answered HTTP request. `route` is the matched pattern (never the raw path) and
    /// `method` a [`crate::middleware::method_label`], so that the label set stays bounded.
    pub fn request(&self, route: &str, method: &'static str, status: u16, latency: Duration) {
        *lock(&self.requests)
            .entry((route.to_string(), method, status))
            .or_insert(0) += 1;
        lock(&self.request_latency)
            .entry(route.to_string())
            .or_insert_with(|| Histogram::new(&LATENCY_BUCKETS))
            .observe(latency.as_secs_f64());
    }

    /// Ballots accepted so far (for tests and the bench).
    pub fn accepted(&self) -> u64 {
        self.ballots_accepted.load(Ordering::Relaxed)
    }

    /// The text exposition.
    pub fn render(&self, elections: &[Gauges]) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP psephos_ballots_accepted_total Ballots durably appended to the board.\n\
             # TYPE psephos_ballots_accepted_total counter\n\
             psephos_ballots_accepted_total {}",
            self.ballots_accepted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP psephos_ballots_rejected_total Ballots refused, by reason (API error code).\n\
             # TYPE psephos_ballots_rejected_total counter"
        );
        for (reason, n) in lock(&self.ballots_rejected).iter() {
            let _ = writeln!(
                out,
                "psephos_ballots_rejected_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP psephos_ballot_ack_seconds Time from receiving a ballot to acknowledging it \
             after the durable append.\n# TYPE psephos_ballot_ack_seconds histogram"
        );
        lock(&self.ballot_ack).write(&mut out, "psephos_ballot_ack_seconds", "");
        let _ = writeln!(
            out,
            "# HELP psephos_verify_batch_ballots Ballots per proof-verification batch.\n\
             # TYPE psephos_verify_batch_ballots histogram"
        );
        lock(&self.batch_size).write(&mut out, "psephos_verify_batch_ballots", "");
        let _ = writeln!(
            out,
            "# HELP psephos_http_requests_total HTTP requests answered, by route, method and \
             status.\n# TYPE psephos_http_requests_total counter"
        );
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "psephos_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP psephos_http_request_duration_seconds HTTP request latency, by route.\n\
             # TYPE psephos_http_request_duration_seconds histogram"
        );
        for (route, h) in lock(&self.request_latency).iter() {
            h.write(
                &mut out,
                "psephos_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(route)),
            );
        }
        let _ = writeln!(
            out,
            "# HELP psephos_rate_limited_total Write requests refused by the per-client rate limit.\n\
             # TYPE psephos_rate_limited_total counter\n\
             psephos_rate_limited_total {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        let help = [
            ("psephos_board_size", "Entries on the board."),
            (
                "psephos_board_sealed_size",
                "Entries covered by the latest signed checkpoint.",
            ),
            ("psephos_credentials", "Listed public credentials."),
            (
                "psephos_ballots_cast",
                "Ballots on the board, revotes included.",
            ),
            (
                "psephos_voters",
                "Credentials with at least one cast ballot.",
            ),
            ("psephos_challenges", "Challenged ballots."),
        ];
        for (i, (name, help)) in help.iter().enumerate() {
            let _ = writeln!(
                out,
                "# HELP {name} {help}, by election.\n# TYPE {name} gauge"
            );
            for g in elections {
                let c = &g.counts;
                let v = [
                    g.board_size,
                    g.sealed_size,
                    c.credentials,
                    c.ballots_cast,
                    c.voters,
                    c.challenges,
                ][i];
                let _ = writeln!(out, "{name}{{election=\"{}\"}} {v}", escape(&g.election));
            }
        }
        let _ = writeln!(
            out,
            "# HELP psephos_phase The election's phase (the label is set to 1).\n\
             # TYPE psephos_phase gauge"
        );
        for g in elections {
            let _ = writeln!(
                out,
                "psephos_phase{{election=\"{}\",phase=\"{}\"}} 1",
                escape(&g.election),
                g.phase
            );
        }
        let _ = writeln!(
            out,
            "# HELP psephos_board_tamper_check The board's tamper check of its stored log (the \
             label is set to 1; failed: writes are refused).\n\
             # TYPE psephos_board_tamper_check gauge"
        );
        for g in elections {
            let _ = writeln!(
                out,
                "psephos_board_tamper_check{{election=\"{}\",state=\"{}\"}} 1",
                escape(&g.election),
                g.tamper_check
            );
        }
        let _ = writeln!(
            out,
            "# HELP psephos_board_sealer Whether this node seals the election's board now (1: it \
             holds the sealer role; several nodes: exactly one should).\n\
             # TYPE psephos_board_sealer gauge"
        );
        for g in elections {
            let _ = writeln!(
                out,
                "psephos_board_sealer{{election=\"{}\"}} {}",
                escape(&g.election),
                u8::from(g.sealer)
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
