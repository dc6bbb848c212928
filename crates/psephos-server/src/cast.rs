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
//! Several elections: one [`Pipeline`] forms the batches of all the service's elections. Each
//! election has its own lane, with its own bounds (one election's flood fills its own lane,
//! never another's); a batch takes the waiting ballots round robin across the lanes and is
//! verified in one multiscalar multiplication, each ballot under its own election
//! ([`psephos_core::ballot::verify_ballots_of`]). Ten lightly loaded elections then cost about
//! what one election as busy as the ten together costs, not ten times its small batches
//! (measured in BENCHMARKS.md, "Many elections in one service").
//!
//! Shutdown ([`Caster::shutdown`]): the election's new ballots are refused with 503, every
//! ballot of it already queued is verified and committed (or refused), then its lane leaves
//! the pipeline.

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
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{oneshot, Notify, OwnedSemaphorePermit, Semaphore};

/// How the pipeline batches.
#[derive(Debug, Clone)]
pub struct CastConfig {
    /// Most ballots verified together.
    pub max_batch: usize,
    /// Longest a batch waits for more ballots after its first.
    pub max_wait: Duration,
    /// Batches verified or appended at the same time (default: the number of cores).
    pub parallel_batches: usize,
    /// Ballots of one election that may wait before its new ones are refused with 503.
    pub queue: usize,
    /// Canonical ballot bytes of one election that may be queued or under verification at
    /// once before its new ballots are refused with 503 (default 256 MiB).
    pub queue_bytes: usize,
    /// The batch former and verification cores shared by every election of a service
    /// (`None`: each [`Caster`] starts its own). See [`Pipeline`].
    pub pipeline: Option<Arc<Pipeline>>,
}

impl Default for CastConfig {
    fn default() -> Self {
        CastConfig {
            max_batch: 64,
            max_wait: Duration::from_millis(2),
            parallel_batches: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 16_384,
            queue_bytes: 256 << 20,
            pipeline: None,
        }
    }
}

/// The service's batch former, shared by the cast pipelines of all its elections.
///
/// Every election queues its ballots in its own lane (bounded by [`CastConfig::queue`] and
/// [`CastConfig::queue_bytes`]: one election's flood fills its own lane, never another's). One
/// former task opens a batch when a ballot arrives in any lane and closes it
/// [`CastConfig::max_wait`] later (or at [`CastConfig::max_batch`] ballots); when one of the
/// [`CastConfig::parallel_batches`] slots is free it takes the waiting ballots **round robin
/// across the lanes**, one ballot per lane in turn, up to [`CastConfig::max_batch`]. That is
/// the fairness: with other elections waiting, a flooding election gets its turn like each of
/// them, not the batch.
///
/// A batch is verified in one call, each ballot under its own election
/// ([`psephos_core::ballot::verify_ballots_of`]), then every election's verified ballots are
/// posted to its own board, all at once (so the boards of one SQLite database share one
/// commit of their commit group). The slot is held until the batch is answered, or at most
/// [`SLOT_HOLD`]; ballots that arrive meanwhile make the next batch larger. An election has at
/// most [`CastConfig::parallel_batches`] parts of batches under way; beyond that its ballots
/// wait in its lane, so a board slow to commit holds back its own election only. Why one former for the whole service: ten
/// lightly loaded elections with their own formers verify and commit ten small batches where
/// one election as busy as the ten together makes one large one; a small batch costs more per
/// ballot (BENCHMARKS.md, "Many elections in one service").
pub struct Pipeline {
    shared: Arc<Shared>,
    started: AtomicBool,
}

struct Shared {
    max_batch: usize,
    max_wait: Duration,
    /// Most parts of one election's ballots in batches at once (verified or being appended):
    /// [`CastConfig::parallel_batches`]. While an election has that many, its new ballots wait
    /// in its lane (and make its next part larger); a board slow to commit holds back its own
    /// election's ballots, not the batches of the others.
    parts_per_lane: usize,
    slots: Arc<Semaphore>,
    lanes: Mutex<Lanes>,
    /// A ballot arrived in a lane, or the pipeline is dropped.
    arrived: Notify,
    closed: AtomicBool,
}

#[derive(Default)]
struct Lanes {
    lanes: Vec<Arc<Lane>>,
    /// Where the next round robin starts.
    next: usize,
    /// Ballots waiting in all lanes.
    waiting: usize,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("free", &self.shared.slots.available_permits())
            .field("waiting", &self.shared.lock().waiting)
            .finish()
    }
}

type Verdict = Result<VerifiedBallot, VerifyError>;

/// One election's lane of the [`Pipeline`].
struct Lane {
    election: Arc<ElectionService>,
    metrics: Arc<Metrics>,
    /// Ballots waiting to be taken into a batch.
    jobs: Mutex<VecDeque<Job>>,
    /// Ballots queued or in a batch, not yet done with.
    pending: Arc<PendingCount>,
    /// This lane's parts of batches under way ([`Shared::parts_per_lane`]).
    parts: AtomicUsize,
}

impl Lane {
    fn jobs(&self) -> MutexGuard<'_, VecDeque<Job>> {
        lock(&self.jobs)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Pipeline {
    /// A pipeline with `config`'s batch size, wait and slots; its former task starts with
    /// the first [`Caster`] (on that caster's runtime) and ends when the pipeline is dropped.
    pub fn new(config: &CastConfig) -> Self {
        Pipeline {
            shared: Arc::new(Shared {
                max_batch: config.max_batch.max(1),
                max_wait: config.max_wait,
                parts_per_lane: config.parallel_batches.max(1),
                slots: Arc::new(Semaphore::new(config.parallel_batches.max(1))),
                lanes: Mutex::new(Lanes::default()),
                arrived: Notify::new(),
                closed: AtomicBool::new(false),
            }),
            started: AtomicBool::new(false),
        }
    }

    fn join(&self, lane: Arc<Lane>) {
        self.shared.lock().lanes.push(lane);
        if !self.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(form(Arc::downgrade(&self.shared)));
        }
    }

    fn leave(&self, lane: &Arc<Lane>) {
        self.shared.lock().lanes.retain(|l| !Arc::ptr_eq(l, lane));
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.arrived.notify_one();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lanes> {
        lock(&self.lanes)
    }

    fn waiting(&self) -> usize {
        self.lock().waiting
    }

    /// Up to `max_batch` waiting ballots, round robin across the lanes that may start another
    /// part, with their lanes; each lane taken from counts one more part under way.
    fn take(&self) -> Vec<(Arc<Lane>, Job)> {
        let mut l = self.lock();
        let lanes: Vec<Arc<Lane>> = l.lanes.clone();
        let mut queues: Vec<MutexGuard<'_, VecDeque<Job>>> =
            lanes.iter().map(|lane| lane.jobs()).collect();
        let lengths: Vec<usize> = lanes
            .iter()
            .zip(&queues)
            .map(|(lane, q)| {
                let busy = lane.parts.load(Ordering::Acquire) >= self.parts_per_lane;
                if busy {
                    0
                } else {
                    q.len()
                }
            })
            .collect();
        let (order, next) = round_robin(&lengths, l.next, self.max_batch);
        let mut taken: Vec<(Arc<Lane>, Job)> = Vec::with_capacity(order.len());
        for i in order {
            if let Some(job) = queues[i].pop_front() {
                if !taken.iter().any(|(lane, _)| Arc::ptr_eq(lane, &lanes[i])) {
                    lanes[i].parts.fetch_add(1, Ordering::AcqRel);
                }
                taken.push((lanes[i].clone(), job));
            }
        }
        drop(queues);
        l.next = next;
        l.waiting -= taken.len();
        taken
    }
}

/// Which queue each of up to `max` taken items comes from, one per non-empty queue in turn
/// starting at queue `start`, given the queues' lengths; and where the next turn starts.
fn round_robin(lengths: &[usize], start: usize, max: usize) -> (Vec<usize>, usize) {
    let n = lengths.len();
    if n == 0 {
        return (Vec::new(), 0);
    }
    let mut left = lengths.to_vec();
    let mut order = Vec::new();
    let mut i = start % n;
    let mut idle = 0; // queues in a row found empty
    while order.len() < max && idle < n {
        if left[i] > 0 {
            left[i] -= 1;
            order.push(i);
            idle = 0;
        } else {
            idle += 1;
        }
        i = (i + 1) % n;
    }
    (order, i)
}

/// How long a batch keeps its slot while its elections' parts are appended. Holding it makes
/// the ballots that arrive meanwhile wait for the next batch, which is then larger (the
/// appends take a few milliseconds); a board that takes longer gives the slot back so that it
/// holds back no other election's batches.
const SLOT_HOLD: Duration = Duration::from_millis(50);

/// The former: waits for a ballot, lets the batch fill for `max_wait`, takes it when a slot is
/// free, and hands it to [`process`]. Ends when the pipeline is dropped and nothing waits.
async fn form(shared: Weak<Shared>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        // Wait for a first ballot.
        loop {
            let arrived = s.arrived.notified();
            if s.waiting() > 0 {
                break;
            }
            if s.closed.load(Ordering::Acquire) {
                return;
            }
            arrived.await;
        }
        let deadline = tokio::time::Instant::now() + s.max_wait;
        while s.waiting() < s.max_batch && !s.closed.load(Ordering::Acquire) {
            let arrived = s.arrived.notified();
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                break;
            }
        }
        let Ok(slot) = s.slots.clone().acquire_owned().await else {
            return;
        };
        let arrived = s.arrived.notified();
        let batch = s.take();
        if batch.is_empty() {
            // Every waiting ballot's election has its parts under way: wait for one to end
            // (or for a ballot of another election).
            drop(slot);
            arrived.await;
            continue;
        }
        tokio::spawn(process(s.clone(), batch, slot));
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
    /// Counts the ballot in its lane's [`Pending`] until the job is done.
    _pending: Pending,
}

/// Ballots of a lane queued or in a batch, not yet done with, for [`Caster::shutdown`].
#[derive(Default)]
struct PendingCount {
    count: AtomicUsize,
    done: Notify,
}

/// One ballot counted in a [`PendingCount`] until dropped.
struct Pending(Arc<PendingCount>);

impl Pending {
    fn new(count: &Arc<PendingCount>) -> Self {
        count.count.fetch_add(1, Ordering::AcqRel);
        Pending(count.clone())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.done.notify_waiters();
        }
    }
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

/// The handle an election's handlers submit ballots to: its lane of the [`Pipeline`].
pub struct Caster {
    lane: Arc<Lane>,
    pipeline: Arc<Pipeline>,
    queue: usize,
    /// Canonical bytes of the ballots queued or under verification.
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    accepting: AtomicBool,
}

impl std::fmt::Debug for Caster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caster")
            .field("accepting", &self.accepting())
            .field("queued", &self.lane.jobs().len())
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
    /// `election`'s lane of `config.pipeline` (or of a pipeline of its own). Must be called on
    /// a tokio runtime: the pipeline's former runs there.
    pub fn start(
        election: Arc<ElectionService>,
        config: CastConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let pipeline = config
            .pipeline
            .clone()
            .unwrap_or_else(|| Arc::new(Pipeline::new(&config)));
        let lane = Arc::new(Lane {
            election,
            metrics,
            jobs: Mutex::new(VecDeque::new()),
            pending: Arc::default(),
            parts: AtomicUsize::new(0),
        });
        pipeline.join(lane.clone());
        Caster {
            lane,
            pipeline,
            queue: config.queue.max(1),
            bytes: Arc::new(AtomicUsize::new(0)),
            max_bytes: config.queue_bytes.max(1),
            accepting: AtomicBool::new(true),
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
        {
            // The pipeline's lock, then the lane's: the order [`Shared::take`] locks them in.
            let mut lanes = self.pipeline.shared.lock();
            if !self.accepting() {
                // `shutdown` began since the check above (it turns `accepting` off under
                // this lock, so a job queued here is one it waits for).
                return Err(unavailable());
            }
            let mut jobs = self.lane.jobs();
            if jobs.len() >= self.queue {
                return Err(overloaded());
            }
            jobs.push_back(Job {
                ballot,
                reply,
                _held: held,
                _pending: Pending::new(&self.lane.pending),
            });
            lanes.waiting += 1;
        }
        self.pipeline.shared.arrived.notify_one();
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

    /// Refuses new ballots, waits until every queued one is answered (committed or refused),
    /// and leaves the pipeline.
    pub async fn shutdown(&self) {
        {
            let _queueing = self.pipeline.shared.lock();
            self.accepting.store(false, Ordering::Release);
        }
        loop {
            let done = self.lane.pending.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if self.lane.pending.count.load(Ordering::Acquire) == 0 {
                break;
            }
            done.await;
        }
        self.pipeline.leave(&self.lane);
    }
}

type Reply = oneshot::Sender<Result<Cast, ServiceError>>;

/// One election's ballots in a batch.
struct Part {
    lane: Arc<Lane>,
    /// `None` if the election has no key (it cannot be open).
    election: Option<Election>,
    ballots: Vec<EncryptedBallot>,
    replies: Vec<Reply>,
}

/// One batch of the [`Pipeline`]: verified in one call, then each election's verified
/// ballots posted to its board, all elections at once; the slot is given back when every
/// ballot is answered.
async fn process(shared: Arc<Shared>, batch: Vec<(Arc<Lane>, Job)>, slot: OwnedSemaphorePermit) {
    if let Some((lane, _)) = batch.first() {
        lane.metrics.batch(batch.len());
    }
    // The reservations and pending counts are held until every ballot of the batch is answered.
    let mut _held = Vec::with_capacity(batch.len());
    // Each lane's part stays counted until then too.
    let mut _held_parts = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    for (lane, job) in batch {
        _held.push((job._held, job._pending));
        let i = match parts.iter().position(|p| Arc::ptr_eq(&p.lane, &lane)) {
            Some(i) => i,
            None => {
                _held_parts.push(PartUnderWay {
                    lane: lane.clone(),
                    shared: shared.clone(),
                });
                let election = lane.election.read().await.election().cloned();
                parts.push(Part {
                    lane,
                    election,
                    ballots: Vec::new(),
                    replies: Vec::new(),
                });
                parts.len() - 1
            }
        };
        parts[i].ballots.push(job.ballot);
        parts[i].replies.push(job.reply);
    }
    // An election without a key: the rules give the reason.
    for part in parts.iter_mut().filter(|p| p.election.is_none()) {
        let state = part.lane.election.read().await;
        for (b, reply) in part.ballots.iter().zip(part.replies.drain(..)) {
            let e = match state.check_ballot(b) {
                Err(e) => e.into(),
                Ok(_) => unavailable(),
            };
            let _ = reply.send(Err(e));
        }
    }
    let mut answering = Vec::with_capacity(parts.len());
    let mut verifying = Vec::with_capacity(parts.len());
    for part in parts {
        if let Some(election) = part.election {
            answering.push((part.lane, part.replies));
            verifying.push((election, part.ballots));
        }
    }
    let sizes: Vec<usize> = verifying.iter().map(|(_, b)| b.len()).collect();
    let verdicts = tokio::task::spawn_blocking(move || {
        let (elections, ballots): (Vec<Election>, Vec<Vec<EncryptedBallot>>) =
            verifying.into_iter().unzip();
        let items = elections
            .iter()
            .zip(ballots)
            .flat_map(|(e, bs)| bs.into_iter().map(move |b| (e, b)))
            .collect();
        verify_ballots_of(items)
    })
    .await;
    let verdicts: Vec<Verdict> = match verdicts {
        Ok(v) if v.len() == sizes.iter().sum::<usize>() => v,
        _ => {
            tracing::error!("proof verification failed to run");
            for r in answering.into_iter().flat_map(|(_, replies)| replies) {
                let _ = r.send(Err(ServiceError::Internal(
                    "the ballot could not be verified; it was not stored",
                )));
            }
            return;
        }
    };
    let mut verdicts = verdicts.into_iter();
    let posts: Vec<_> = answering
        .into_iter()
        .zip(sizes)
        .map(|((lane, replies), n)| post(lane, verdicts.by_ref().take(n).collect(), replies))
        .collect();
    let mut posts = std::pin::pin!(futures_util::future::join_all(posts));
    if tokio::time::timeout(SLOT_HOLD, posts.as_mut())
        .await
        .is_err()
    {
        drop(slot);
        posts.await;
    }
}

/// One lane's part of a batch, counted in [`Lane::parts`] until dropped (when every ballot of
/// the part is answered); the former is told when that makes the lane eligible again.
struct PartUnderWay {
    lane: Arc<Lane>,
    shared: Arc<Shared>,
}

impl Drop for PartUnderWay {
    fn drop(&mut self) {
        let before = self.lane.parts.fetch_sub(1, Ordering::AcqRel);
        if before == self.shared.parts_per_lane {
            // The lane may be taken from again.
            self.shared.arrived.notify_one();
        }
    }
}

/// Posts one election's verified ballots of a batch to its board and answers each ballot.
async fn post(lane: Arc<Lane>, verdicts: Vec<Verdict>, replies: Vec<Reply>) {
    let mut to_post = Vec::with_capacity(verdicts.len());
    let mut waiting = Vec::with_capacity(verdicts.len());
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
    let results = lane.election.post_verified_ballots(to_post).await;
    for (res, reply) in results.into_iter().zip(waiting) {
        let a = res.and_then(|(index, applied)| match applied {
            Applied::Ballot { hash, superseded } => Ok(Cast {
                index,
                hash,
                superseded,
            }),
            _ => Err(ServiceError::Internal("unexpected entry")),
        });
        let _ = reply.send(a);
    }
}

#[cfg(test)]
mod tests {
    use super::round_robin;

    /// A flooding lane gets one ballot per turn like every other waiting lane, not the batch;
    /// with no one else waiting it fills the batch.
    #[test]
    fn lanes_are_taken_in_turn() {
        assert_eq!(round_robin(&[100, 1, 2], 0, 5), (vec![0, 1, 2, 0, 2], 0));
        assert_eq!(round_robin(&[100, 0, 0], 0, 4), (vec![0, 0, 0, 0], 1));
        assert_eq!(round_robin(&[0, 0, 100], 0, 3), (vec![2, 2, 2], 0));
    }

    /// Each batch's turn starts where the last one's ended, so when batches are too small for
    /// every waiting lane, the lanes left out go first next time.
    #[test]
    fn the_next_turn_starts_after_the_last_lane_taken() {
        let lengths = [5, 5, 5, 5];
        let (first, next) = round_robin(&lengths, 0, 3);
        assert_eq!((first, next), (vec![0, 1, 2], 3));
        assert_eq!(round_robin(&lengths, next, 3), (vec![3, 0, 1], 2));
        // A start beyond the lanes (a lane left since) wraps.
        assert_eq!(round_robin(&[1, 1], 7, 9), (vec![1, 0], 1));
    }

    #[test]
    fn nothing_waiting_takes_nothing() {
        assert_eq!(round_robin(&[], 3, 10), (vec![], 0));
        assert_eq!(round_robin(&[0, 0], 1, 10), (vec![], 1));
        assert_eq!(round_robin(&[4], 0, 0), (vec![], 0));
    }
}
