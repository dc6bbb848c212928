//! The casting pipeline: ballots that passed the cheap checks are queued here, verified in
//! batches on the blocking worker pool, and appended in one durable group commit per batch.
//!
//! Why batches: the ballot proofs dominate the cost of a ballot, and checking the Σ-proof
//! equations of many ballots in one multiscalar multiplication
//! ([`psephos_core::ballot::verify_ballots`]) costs a fraction of checking them one by one.
//! A batch closes when it holds [`CastConfig::max_batch`] ballots or [`CastConfig::max_wait`]
//! after its first ballot arrived, so a lone voter waits at most that long.
//!
//! Why off the async executor: a batch of proofs is milliseconds of CPU; it runs under
//! `spawn_blocking`, at most one batch per core at a time, so the HTTP workers keep answering.
//!
//! Each batch's verified ballots are posted, as the [`VerifiedBallot`]s the batch verification
//! made (only the verifier makes one), with [`ElectionService::post_verified_ballots`]: the
//! rules run again under the write lock (a `Close`, or the same ballot, may have raced in since
//! the cheap checks) but neither the signature nor the proofs are checked a third time there;
//! the accepted ballots are appended in one transaction, and only after that commit is each
//! client answered — with its own verdict, so one bad ballot never fails its batch.
//!
//! [`VerifiedBallot`]: psephos_core::ballot::VerifiedBallot
//!
//! The queue is bounded twice, by ballots ([`CastConfig::queue`]) and by the canonical bytes of
//! the ballots waiting or being verified ([`CastConfig::queue_bytes`]): a decoded ballot is a
//! few times its encoding, so the byte bound caps the memory a flood of large ballots can hold.
//! Beyond either bound a ballot is refused at once with 503 `overloaded`.
//!
//! Several elections: each has its own pipeline and queue (one election's flood fills its own
//! queue, never another's), and they share the service's verification permits
//! ([`CastConfig::verifiers`]), taken in turn.
//!
//! Shutdown ([`Caster::shutdown`]): new ballots are refused with 503, every ballot already
//! queued is verified and committed (or refused), then the pipeline stops.

use crate::election::ElectionService;
use crate::error::ServiceError;
use crate::metrics::Metrics;
use psephos_core::ballot::{verify_ballots, EncryptedBallot};
use psephos_core::encoding::Canonical;
use psephos_record::Applied;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio::task::JoinSet;

/// How the pipeline batches.
#[derive(Debug, Clone)]
pub struct CastConfig {
    /// Most ballots verified together.
    pub max_batch: usize,
    /// Longest a batch waits for more ballots after its first.
    pub max_wait: Duration,
    /// Batches verified at the same time (default: the number of cores).
    pub parallel_batches: usize,
    /// Ballots that may wait in the queue before new ones are refused with 503.
    pub queue: usize,
    /// Canonical ballot bytes that may be queued or under verification at once before new
    /// ballots are refused with 503 (default 256 MiB).
    pub queue_bytes: usize,
    /// The permits for batches under verification, shared by every election of a service so
    /// that together they verify at most `parallel_batches` batches at a time (`None`: this
    /// pipeline's own). Each pipeline waits for one permit at a time and the semaphore is
    /// fair (first come, first served), so busy elections take turns: one election's flood
    /// cannot hold every core while another's voters wait.
    pub verifiers: Option<Arc<Semaphore>>,
}

impl Default for CastConfig {
    fn default() -> Self {
        CastConfig {
            max_batch: 64,
            max_wait: Duration::from_millis(2),
            parallel_batches: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 16_384,
            queue_bytes: 256 << 20,
            verifiers: None,
        }
    }
}

/// A ballot's place on the board once it is durably appended.
#[derive(Debug, Clone, Copy)]
pub struct Cast {
    pub index: u64,
    pub hash: psephos_core::hash::Digest,
    /// The index of the same credential's previous ballot, if this is a revote.
    pub superseded: Option<u64>,
}

struct Job {
    ballot: EncryptedBallot,
    reply: oneshot::Sender<Result<Cast, ServiceError>>,
    /// The ballot's share of [`CastConfig::queue_bytes`], given back when the job is done.
    _held: Reservation,
}

/// Bytes counted against the queue's byte bound until dropped.
struct Reservation {
    bytes: usize,
    counter: Arc<AtomicUsize>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.counter.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

fn overloaded() -> ServiceError {
    ServiceError::Unavailable {
        code: "overloaded",
        detail: "too many ballots are waiting for verification; send it again shortly".into(),
    }
}

/// The handle handlers submit ballots to.
pub struct Caster {
    tx: mpsc::Sender<Job>,
    /// Canonical bytes of the ballots queued or under verification.
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    accepting: AtomicBool,
    stop: Arc<Notify>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Caster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caster")
            .field("accepting", &self.accepting())
            .field("queued", &(self.tx.max_capacity() - self.tx.capacity()))
            .finish()
    }
}

fn unavailable() -> ServiceError {
    ServiceError::Unavailable {
        code: "unavailable",
        detail: "the server is shutting down; the ballot was not stored — send it again shortly"
            .into(),
    }
}

impl Caster {
    /// Starts the pipeline (a task on the current tokio runtime).
    pub fn start(
        election: Arc<ElectionService>,
        config: CastConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let max_bytes = config.queue_bytes.max(1);
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run(election, config, rx, metrics, stop.clone()));
        Caster {
            tx,
            bytes: Arc::new(AtomicUsize::new(0)),
            max_bytes,
            accepting: AtomicBool::new(true),
            stop,
            task: tokio::sync::Mutex::new(Some(task)),
        }
    }

    /// Queues a ballot that passed the cheap checks; resolves once it is durably on the board
    /// (or refused, with the reason).
    pub async fn cast(&self, ballot: EncryptedBallot) -> Result<Cast, ServiceError> {
        if !self.accepting.load(Ordering::Acquire) {
            return Err(unavailable());
        }
        let held = self.reserve(ballot.to_canonical_bytes().len())?;
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Job {
                ballot,
                reply,
                _held: held,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => overloaded(),
                mpsc::error::TrySendError::Closed(_) => unavailable(),
            })?;
        rx.await.map_err(|_| unavailable())?
    }

    /// Counts `bytes` against the byte bound, or refuses if they do not fit. The reservation
    /// travels with the job and is given back when the job is dropped (answered, or never
    /// queued).
    fn reserve(&self, bytes: usize) -> Result<Reservation, ServiceError> {
        let before = self.bytes.fetch_add(bytes, Ordering::AcqRel);
        let held = Reservation {
            bytes,
            counter: self.bytes.clone(),
        };
        if before.saturating_add(bytes) > self.max_bytes {
            return Err(overloaded()); // `held` is dropped: the bytes are given back.
        }
        Ok(held)
    }

    /// Canonical bytes of the ballots queued or under verification now.
    pub fn queued_bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// Whether new ballots are still taken.
    pub fn accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire)
    }

    /// Refuses new ballots, finishes every queued one, and waits for the pipeline to stop.
    pub async fn shutdown(&self) {
        self.accepting.store(false, Ordering::Release);
        self.stop.notify_one();
        if let Some(task) = self.task.lock().await.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "the cast pipeline ended abnormally");
            }
        }
    }
}

async fn run(
    election: Arc<ElectionService>,
    config: CastConfig,
    mut rx: mpsc::Receiver<Job>,
    metrics: Arc<Metrics>,
    stop: Arc<Notify>,
) {
    let permits = config
        .verifiers
        .clone()
        .unwrap_or_else(|| Arc::new(Semaphore::new(config.parallel_batches.max(1))));
    let mut running = JoinSet::new();
    let max = config.max_batch.max(1);
    let mut stopping = false;
    loop {
        // The first ballot of a batch (or the end).
        let first = if stopping {
            match rx.try_recv() {
                Ok(j) => j,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                j = rx.recv() => match j { Some(j) => j, None => break },
                _ = stop.notified() => { stopping = true; rx.close(); continue; }
                Some(_) = running.join_next(), if !running.is_empty() => continue,
            }
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + config.max_wait;
        while batch.len() < max {
            match rx.try_recv() {
                Ok(j) => {
                    batch.push(j);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) if stopping => break,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(j)) => batch.push(j),
                _ => break,
            }
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let election = election.clone();
        metrics.batch(batch.len());
        running.spawn(async move {
            process(&election, batch).await;
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
}

async fn process(election: &ElectionService, batch: Vec<Job>) {
    // The reservations are held until every ballot of the batch is answered.
    let mut _held = Vec::with_capacity(batch.len());
    let mut ballots = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    for j in batch {
        ballots.push(j.ballot);
        replies.push(j.reply);
        _held.push(j._held);
    }
    let Some(el) = election.read().await.election().cloned() else {
        // The election has no key (it cannot be open): the rules give the reason.
        let state = election.read().await;
        for (b, r) in ballots.iter().zip(replies) {
            let e = match state.check_ballot(b) {
                Err(e) => e.into(),
                Ok(_) => unavailable(),
            };
            let _ = r.send(Err(e));
        }
        return;
    };
    let n = ballots.len();
    let verdicts = match tokio::task::spawn_blocking(move || verify_ballots(&el, ballots)).await {
        Ok(v) if v.len() == n => v,
        Ok(_) | Err(_) => {
            tracing::error!("proof verification failed to run");
            for r in replies {
                let _ = r.send(Err(ServiceError::Internal(
                    "the ballot could not be verified; it was not stored",
                )));
            }
            return;
        }
    };
    let mut to_post = Vec::with_capacity(n);
    let mut waiting = Vec::with_capacity(n);
    for (v, reply) in verdicts.into_iter().zip(replies) {
        match v {
            Ok(vb) => {
                to_post.push(vb);
                waiting.push(reply);
            }
            Err(e) => {
                let _ = reply.send(Err(ServiceError::InvalidBallot(format!(
                    "ballot rejected: {e}"
                ))));
            }
        }
    }
    if to_post.is_empty() {
        return;
    }
    let results = election.post_verified_ballots(to_post).await;
    for (res, reply) in results.into_iter().zip(waiting) {
        let answer = res.and_then(|(index, applied)| match applied {
            Applied::Ballot { hash, superseded } => Ok(Cast {
                index,
                hash,
                superseded,
            }),
            _ => Err(ServiceError::Internal("unexpected entry")),
        });
        let _ = reply.send(answer);
    }
}
