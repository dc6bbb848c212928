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
//! queue, never another's) and at most [`CastConfig::parallel_batches`] batches in flight, and
//! they share the service's [`Verifiers`]: a batch waiting for a core is verified together with
//! every other election's batch waiting then, in one multiscalar multiplication
//! ([`psephos_core::ballot::verify_ballots_of`]): when cores are busy, ten elections with two
//! ballots waiting each cost one batch of twenty, not ten batches of two. (Measured in
//! BENCHMARKS.md: batches merge only when they wait; ten lightly loaded elections still verify
//! and append many small batches.)
//!
//! Shutdown ([`Caster::shutdown`]): new ballots are refused with 503, every ballot already
//! queued is verified and committed (or refused), then the pipeline stops.

use crate::election::ElectionService;
use crate::error::ServiceError;
use crate::metrics::Metrics;
use psephos_core::ballot::{verify_ballots_of, EncryptedBallot, VerifiedBallot};
use psephos_core::election::Election;
use psephos_core::encoding::Canonical;
use psephos_core::error::VerifyError;
use psephos_record::Applied;
use std::collections::VecDeque;
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
    /// The verification cores, shared by every election of a service (`None`: this
    /// pipeline's own). See [`Verifiers`].
    pub verifiers: Option<Arc<Verifiers>>,
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

/// The service's verification cores, shared by the cast pipelines of all its elections.
///
/// At most `parallel` verifications run at a time. A batch that arrives while they are busy
/// waits in one queue with every other election's; whoever gets a core next takes the waiting
/// batches in arrival order, up to [`Verifiers::MAX_BALLOTS`] ballots, and verifies them in one
/// call, each ballot under its own election. Taking in arrival order is the fairness: an
/// election has at most [`CastConfig::parallel_batches`] batches waiting, so one election's
/// flood cannot crowd out another's voters.
///
/// No task of its own: each caller queues its batch, then waits for a core; a caller that gets
/// one verifies what is waiting (its own batch, if no one took it yet, and others'). Every
/// batch is taken, because each queued batch has a caller still to come for a core, and each
/// caller that finds batches waiting takes at least one.
pub struct Verifiers {
    cores: Semaphore,
    waiting: std::sync::Mutex<VecDeque<Request>>,
}

impl std::fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifiers")
            .field("free", &self.cores.available_permits())
            .finish()
    }
}

type Verdicts = Vec<Result<VerifiedBallot, VerifyError>>;

struct Request {
    election: Election,
    ballots: Vec<EncryptedBallot>,
    reply: oneshot::Sender<Verdicts>,
}

impl Verifiers {
    /// The most ballots one call verifies together: enough for a multiscalar multiplication of
    /// the efficient size, small enough that a core is not held long.
    pub const MAX_BALLOTS: usize = 256;

    /// `parallel` verifications at a time (at least one).
    pub fn new(parallel: usize) -> Self {
        Verifiers {
            cores: Semaphore::new(parallel.max(1)),
            waiting: std::sync::Mutex::new(VecDeque::new()),
        }
    }

    /// Verifies `ballots` of `election`, possibly together with other elections' batches;
    /// the verdicts are in input order. `None` if the verification could not run.
    pub async fn verify(
        &self,
        election: Election,
        ballots: Vec<EncryptedBallot>,
    ) -> Option<Verdicts> {
        let (reply, answer) = oneshot::channel();
        self.queue().push_back(Request {
            election,
            ballots,
            reply,
        });
        let core = self.cores.acquire().await.ok()?;
        let taken = self.take();
        if !taken.is_empty() {
            // Answers go out from the blocking pool; if it fails, every reply is dropped and
            // its caller learns it from the closed channel.
            let _ = tokio::task::spawn_blocking(move || verify_requests(taken)).await;
        }
        drop(core);
        answer.await.ok()
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Request>> {
        match self.waiting.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The waiting batches, in arrival order, up to [`Verifiers::MAX_BALLOTS`] ballots (at
    /// least one batch if any is waiting).
    fn take(&self) -> Vec<Request> {
        let mut queue = self.queue();
        let mut taken = Vec::new();
        let mut ballots = 0;
        while let Some(next) = queue.front() {
            if !taken.is_empty() && ballots + next.ballots.len() > Self::MAX_BALLOTS {
                break;
            }
            ballots += next.ballots.len();
            taken.extend(queue.pop_front());
        }
        taken
    }
}

/// Verifies the batches of several requests in one call and answers each with its verdicts.
fn verify_requests(requests: Vec<Request>) {
    let mut elections = Vec::with_capacity(requests.len());
    let mut batches = Vec::with_capacity(requests.len());
    let mut replies = Vec::with_capacity(requests.len());
    for r in requests {
        elections.push(r.election);
        batches.push(r.ballots);
        replies.push(r.reply);
    }
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    let items = elections
        .iter()
        .zip(batches)
        .flat_map(|(e, b)| b.into_iter().map(move |b| (e, b)))
        .collect();
    let mut verdicts = verify_ballots_of(items).into_iter();
    for (n, reply) in sizes.into_iter().zip(replies) {
        let _ = reply.send(verdicts.by_ref().take(n).collect());
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
    let verifiers = config
        .verifiers
        .clone()
        .unwrap_or_else(|| Arc::new(Verifiers::new(config.parallel_batches)));
    // This election's batches in flight (being verified or appended): while they are, its
    // queue fills and its next batch is larger.
    let permits = Arc::new(Semaphore::new(config.parallel_batches.max(1)));
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
        let verifiers = verifiers.clone();
        metrics.batch(batch.len());
        running.spawn(async move {
            process(&election, &verifiers, batch).await;
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
}

async fn process(election: &ElectionService, verifiers: &Verifiers, batch: Vec<Job>) {
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
    let verdicts = match verifiers.verify(el, ballots).await {
        Some(v) if v.len() == n => v,
        Some(_) | None => {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

    use super::*;
    use psephos_core::ballot::encrypt_ballot;
    use psephos_core::credential::CredentialCode;
    use psephos_core::sim::{self, shapes};
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn ballots(election: &Election, n: usize, rng: &mut ChaCha20Rng) -> Vec<EncryptedBallot> {
        let m = election.manifest();
        (0..n)
            .map(|_| {
                let cred = CredentialCode::generate(rng).secret(&m.id);
                let p = sim::random_ballot(m, &m.ballot_styles[0].id, rng).unwrap();
                encrypt_ballot(election, &cred, &p, rng).unwrap().0
            })
            .collect()
    }

    /// Batches of two elections waiting for one core are verified together, and each caller
    /// gets its own batch's verdicts, each ballot judged under its own election: a ballot sent
    /// with the other election fails, its neighbours pass.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_batches_of_several_elections_get_their_own_verdicts() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let elections: Vec<Election> = [
            shapes::approval(1, 3),
            shapes::of_kind("score", 1, 3, 4).unwrap(),
        ]
        .into_iter()
        .map(|m| {
            let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
            Election::new(m, cer.joint_key).unwrap()
        })
        .collect();
        let a = ballots(&elections[0], 5, &mut rng);
        let b = ballots(&elections[1], 4, &mut rng);
        let mut mixed = ballots(&elections[0], 3, &mut rng);
        mixed[1] = b[0].clone(); // election B's ballot, sent as A's
        let verifiers = Arc::new(Verifiers::new(1));
        // Hold the only core so that all three batches wait and are taken together.
        let core = verifiers.cores.acquire().await.unwrap();
        let calls: Vec<_> = [(0, a), (1, b), (0, mixed)]
            .into_iter()
            .map(|(e, batch)| {
                let (v, el) = (verifiers.clone(), elections[e].clone());
                tokio::spawn(async move { v.verify(el, batch).await })
            })
            .collect();
        while verifiers.queue().len() < 3 {
            tokio::task::yield_now().await;
        }
        drop(core);
        let mut verdicts = Vec::new();
        for c in calls {
            verdicts.push(c.await.unwrap().expect("verified"));
        }
        let ok = |v: &Verdicts| v.iter().map(Result::is_ok).collect::<Vec<_>>();
        assert_eq!(ok(&verdicts[0]), [true; 5]);
        assert_eq!(ok(&verdicts[1]), [true; 4]);
        assert_eq!(ok(&verdicts[2]), [true, false, true]);
        assert!(verifiers.queue().is_empty());
    }
}
