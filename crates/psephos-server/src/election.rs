//! The election service: the board plus the election's rules ([`Rules`]), kept in step.
//!
//! Every write goes through [`ElectionService::post`] (or, for ballots, the batched cast
//! pipeline): the rules decide under the write lock whether the entry may be the board's next
//! entry, the board appends it durably, and only then is the client answered. Because the state
//! is the same replayable machine the verifier runs ([`psephos_record::rules`]), the server
//! cannot accept an entry that an observer replaying the board would reject.
//!
//! On start ([`ElectionService::open`]) the board checks at once only what its writer builds
//! on and runs its full tamper check in the background; the state is rebuilt from the rules'
//! snapshot the service keeps beside the board ([`psephos_record::snapshot`], authenticated by
//! the board), replaying only the entries that are not ballots and those after the snapshot,
//! or, without a usable snapshot, by replaying every entry with
//! [`Rules::replay_entry`] (every rule, but ballots are read no further than the
//! rules need: no point decompression, no signature or proof). Every entry read at start is
//! checked against the tree the board verified at open ([`Board::verified_entries`]), so the
//! rules never depend on what the background check has not reached. An entry the rules reject
//! means the database was edited, and the service refuses to start. The service saves a new
//! snapshot every [`SNAPSHOT_EVERY`] entries and when it stops. A failed commit never replays
//! the board: the batch is taken back ([`Rules::rollback`]) and the state catches up
//! with whatever the board holds beyond it (`docs/protocol.md`, §11.4).

use crate::error::ServiceError;
use psephos_board::EntryKind;
use psephos_board::{Board, BoardConfig, BoardError, Entry};
use psephos_core::ballot::{TrackingCode, VerifiedBallot};
use psephos_core::encoding::Canonical;
use psephos_core::hash::Digest;
use psephos_record::payload::VerifiedChallenge;
use psephos_record::snapshot::{RestoreStep, RulesSnapshot};
use psephos_record::{Applied, CountedMix, Payload, RuleError, Rules, StateMark};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::RwLock;

/// Entries read per page when replaying the board at start.
const REPLAY_PAGE: u64 = 1024;

/// Entries appended since the last snapshot of the rules after which a new one is saved
/// ([`ElectionService::save_snapshot`]; at `10⁶` ballots a snapshot is about 50 MB).
pub const SNAPSHOT_EVERY: u64 = 100_000;

/// One election's board and rules.
#[derive(Debug)]
pub struct ElectionService {
    board: Board,
    /// The rules' state; it also answers tracking codes ([`Rules::tracked`]).
    state: RwLock<Rules>,
    /// Whether the state may be behind the board: a commit failed and the board could not say
    /// whether it was applied. The next write catches up first.
    behind: AtomicBool,
    /// Entries applied by replaying the board (at start, and catching up after a failed
    /// commit), for tests and metrics.
    replayed: AtomicU64,
    /// Ballots restored from the rules' snapshot at start, for tests and metrics.
    restored: u64,
    /// The size of the last snapshot saved or restored.
    snapshot_size: AtomicU64,
}

/// Where a tracking code points on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    pub index: u64,
    pub hash: Digest,
    /// The public credential that signed it (its last ballot is the one counted).
    pub credential: [u8; 32],
    /// A challenged ballot (opened, never counted) rather than a cast one.
    pub challenged: bool,
}

/// Why the board could not be replayed into an election at start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error("the board has {board} entries, fewer than the {state} already applied")]
    Shrunk { board: u64, state: u64 },
    #[error("board entry {index} breaks the election's rules: {source}")]
    Rule {
        index: u64,
        #[source]
        source: RuleError,
    },
    #[error("the rules' snapshot cannot be used: {0}")]
    Snapshot(String),
}

/// How the state was rebuilt at start.
struct Resumed {
    state: Rules,
    /// Entries replayed from the board.
    replayed: u64,
    /// Ballots restored from the snapshot.
    restored: u64,
    /// The snapshot's size (0 without one).
    snapshot: u64,
}

impl ElectionService {
    /// Replays `board` into the election's state ([`Rules::replay_entry`]: every rule,
    /// but ballots are read only as far as the rules need and neither their signatures nor
    /// their proofs are re-verified — they were verified before they were appended, the
    /// board's tamper check at open ties every entry to the stored tree and the signed
    /// checkpoints, and `psephos verify` re-checks everything).
    ///
    /// If the board holds a usable snapshot of the rules, only the entries that are not
    /// ballots, and those after the snapshot, are replayed (see the module documentation).
    pub async fn load(board: Board) -> Result<Self, ReplayError> {
        // (Boxed: the rebuild's future is large, and callers' stacks need not hold it.)
        let resumed = Box::pin(resume(&board)).await?;
        Ok(Self::with_state(board, resumed))
    }

    /// Opens the board at `url` with the full tamper check in the background
    /// ([`BoardConfig::check_in_background`]) and rebuilds the state as
    /// [`ElectionService::load`] does. What `psephos serve` runs at start.
    pub async fn open(url: &str, mut config: BoardConfig) -> Result<Self, ReplayError> {
        config.check_in_background = true;
        let board = Box::pin(Board::open(url, config)).await?;
        match Box::pin(resume(&board)).await {
            Ok(resumed) => {
                // Ready: now the board's full check may have the cores and the disk.
                board.start_tamper_check();
                Ok(Self::with_state(board, resumed))
            }
            Err(e) => {
                let _ = board.close().await;
                Err(e)
            }
        }
    }

    /// Opens the board at `url` and replays it into the election's state in the same pass as
    /// the board's full tamper check at open ([`Board::open_reading`]): every entry is read
    /// from the database once, and the next page is read while this one is checked and
    /// replayed. The start before snapshots, kept for comparison (`psephos bench restart`).
    pub async fn open_replaying(url: &str, config: BoardConfig) -> Result<Self, ReplayError> {
        let mut state = Rules::new();
        let mut refused: Option<ReplayError> = None;
        let opened = Board::open_reading(url, config, |start, entries| {
            for (i, e) in entries.iter().enumerate() {
                let index = start + i as u64;
                if let Err(source) = state.replay_entry(e.kind, &e.payload) {
                    let error = ReplayError::Rule { index, source };
                    let text = error.to_string();
                    refused = Some(error);
                    return Err(text);
                }
            }
            Ok(())
        })
        .await;
        let board = match (opened, refused) {
            (Ok(board), _) => board,
            (Err(_), Some(rule)) => return Err(rule),
            (Err(e), None) => return Err(e.into()),
        };
        let mut replayed = state.size();
        replayed += catch_up_to(&board, &mut state, board.size()).await?;
        Ok(Self::with_state(
            board,
            Resumed {
                state,
                replayed,
                restored: 0,
                snapshot: 0,
            },
        ))
    }

    fn with_state(board: Board, resumed: Resumed) -> Self {
        ElectionService {
            board,
            state: RwLock::new(resumed.state),
            behind: AtomicBool::new(false),
            replayed: AtomicU64::new(resumed.replayed),
            restored: resumed.restored,
            snapshot_size: AtomicU64::new(resumed.snapshot),
        }
    }

    /// Ballots restored from the rules' snapshot at start (0 if there was none to use).
    pub fn ballots_restored(&self) -> u64 {
        self.restored
    }

    /// The board size of the last snapshot of the rules saved or restored (0 if none).
    pub fn snapshot_size(&self) -> u64 {
        self.snapshot_size.load(Ordering::Relaxed)
    }

    /// Saves a snapshot of the rules beside the board ([`Board::save_snapshot`]): encoded
    /// under the read lock (about 50 ms at `10⁶` ballots), stored by the board's writer.
    /// Returns its size, or `None` if the state is not known to match the board (a failed
    /// commit left them in doubt) or is already the last snapshot's.
    pub async fn save_snapshot(&self) -> Result<Option<u64>, BoardError> {
        let (size, data) = {
            let state = self.state.read().await;
            let size = state.size();
            if self.behind.load(Ordering::Relaxed)
                || self.board.size() != size
                || self.snapshot_size() == size
            {
                return Ok(None);
            }
            (size, RulesSnapshot::encode(&state))
        };
        self.board.save_snapshot(size, data).await?;
        self.snapshot_size.fetch_max(size, Ordering::Relaxed);
        Ok(Some(size))
    }

    /// The ballot or challenge with this tracking code. On a log shared by several nodes, a
    /// code this node does not know yet is looked for again after following the board.
    pub async fn tracked(&self, code: &TrackingCode) -> Option<Tracked> {
        let found = self.tracked_now(code).await;
        if found.is_some() || !self.board.is_shared() {
            return found;
        }
        if let Err(e) = self.follow(true).await {
            tracing::warn!(error = %e, "following the board for a tracking code failed");
        }
        self.tracked_now(code).await
    }

    async fn tracked_now(&self, code: &TrackingCode) -> Option<Tracked> {
        self.state
            .read()
            .await
            .tracked(code.bytes())
            .map(|t| Tracked {
                index: t.index,
                hash: Digest(t.hash),
                credential: t.credential,
                challenged: t.challenged,
            })
    }

    /// Entries applied by replaying the board since this service was loaded: the whole board
    /// at start, then only entries a failed commit left in doubt.
    pub fn entries_replayed(&self) -> u64 {
        self.replayed.load(Ordering::Relaxed)
    }

    /// After a failed append: takes back what was applied since `mark`, then applies what the
    /// board actually holds beyond it (the failed `COMMIT` may have been applied after all).
    /// Linear in the batch, never in the board. If the board cannot say, the state stays at
    /// `mark` and the next write catches up first.
    async fn recover(&self, state: &mut Rules, mark: StateMark) {
        if let Err(e) = state.rollback(mark) {
            // Not reachable: every mark is taken for the payloads it covers.
            tracing::error!(error = %e, "cannot take back a failed batch; replaying the board");
            match replay(&self.board).await {
                Ok(s) => *state = s,
                Err(re) => tracing::error!(error = %re, "replay after a failed append failed"),
            }
            return;
        }
        self.behind.store(true, Ordering::Relaxed);
        if let Err(e) = self.catch_up(state).await {
            tracing::error!(error = %e, "catching up with the board after a failed append failed; the next write retries");
        }
    }

    /// Applies the entries the board holds beyond the state, if a failed commit left the two
    /// in doubt; 503 if the board cannot be read.
    async fn catch_up(&self, state: &mut Rules) -> Result<(), ServiceError> {
        if !self.behind.load(Ordering::Relaxed) {
            return Ok(());
        }
        let result = match self.board.refresh().await {
            Ok(size) => catch_up_to(&self.board, state, size).await,
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(n) => {
                self.replayed.fetch_add(n, Ordering::Relaxed);
                self.behind.store(false, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(ServiceError::Unavailable {
                code: "unavailable",
                detail: format!("the board cannot be read after a failed commit: {e}"),
            }),
        }
    }

    /// Applies to the rules what the board holds beyond them, appended by another writer of
    /// the same database (a bench or a test building a board fast, or one forged as an attacker
    /// with database access would): the entries are replayed as at start
    /// ([`Rules::replay_entry`]: the board's own entries, their ballots not verified again), so
    /// this trusts the database exactly as a restart does. Returns how many were applied.
    pub async fn catch_up_with_board(&self) -> Result<u64, ServiceError> {
        let mut state = self.state.write().await;
        let before = state.size();
        self.behind.store(true, Ordering::Relaxed);
        self.catch_up(&mut state).await?;
        Ok(state.size() - before)
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The election (once its key is announced) without waiting: `None` also while a writer
    /// holds the state. For start-up, before anyone else can.
    pub fn election_now(&self) -> Option<psephos_core::election::Election> {
        self.state.try_read().ok()?.election().cloned()
    }

    /// The state, for reading (status pages, cheap pre-checks).
    pub async fn read(&self) -> tokio::sync::RwLockReadGuard<'_, Rules> {
        self.state.read().await
    }

    /// The state, for writing. Hold it across "apply to the state, append to the board" so that
    /// the state's next index is the board's; see [`ElectionService::post`].
    pub async fn write(&self) -> tokio::sync::RwLockWriteGuard<'_, Rules> {
        self.state.write().await
    }

    /// Applies `payloads` to the rules in order and appends them to the board as one durable
    /// batch. All or nothing: if any is rejected nothing is appended and the error names it;
    /// if the append fails, the state is rebuilt from the board.
    ///
    /// The write runs in its own task ([`to_completion`]): a caller that goes away (a client
    /// disconnect, the request timeout) cannot stop it between "applied to the state" and
    /// "appended to the board".
    pub async fn post_all(
        self: &Arc<Self>,
        payloads: Vec<Payload>,
    ) -> Result<Vec<(u64, Applied)>, ServiceError> {
        refuse_unverified(&payloads)?;
        // Every entry is built (and size-checked) before anything is applied: a payload the
        // board cannot hold must never reach the state.
        let entries = payloads
            .iter()
            .map(entry_of)
            .collect::<Result<Vec<Entry>, ServiceError>>()?;
        let this = self.clone();
        to_completion(async move {
            this.apply_and_append(&payloads, entries, false, Rules::apply)
                .await
        })
        .await
    }

    /// [`ElectionService::post_all`] for the parts of a shuffle or mixed decryption share whose
    /// proofs the caller verified against the current lists (off the async workers,
    /// [`crate::mix`]): the rules run again under the write lock
    /// ([`Rules::apply_verified_mix`]), without the proofs.
    pub async fn post_all_verified_mix(
        self: &Arc<Self>,
        payloads: Vec<Payload>,
    ) -> Result<Vec<(u64, Applied)>, ServiceError> {
        let entries = payloads
            .iter()
            .map(entry_of)
            .collect::<Result<Vec<Entry>, ServiceError>>()?;
        let this = self.clone();
        to_completion(async move {
            this.apply_and_append(&payloads, entries, false, Rules::apply_verified_mix)
                .await
        })
        .await
    }

    /// Posts the mixed count the caller counted off the async workers ([`CountedMix::count`]):
    /// the rules check it under the write lock without counting again
    /// ([`Rules::apply_counted_mix`]) when it was counted from the mix result on the board.
    pub async fn post_counted_mix(
        self: &Arc<Self>,
        counted: CountedMix,
    ) -> Result<(u64, Applied), ServiceError> {
        let entries = vec![entry_of(&Payload::MixedCount(
            counted.mixed_count().clone(),
        ))?];
        let this = self.clone();
        let mut v = to_completion(async move {
            this.apply_and_append(&[counted], entries, false, Rules::apply_counted_mix)
                .await
        })
        .await?;
        v.pop()
            .ok_or(ServiceError::Internal("the write answered nothing"))
    }

    /// Posts a challenge whose ballot and opening were verified ([`VerifiedChallenge::verify`],
    /// off the async workers): the rules run again under the write lock
    /// ([`Rules::apply_verified_challenge`]) without the expensive part.
    pub async fn post_verified_challenge(
        self: &Arc<Self>,
        challenge: VerifiedChallenge,
    ) -> Result<(u64, Applied), ServiceError> {
        let entries = vec![entry_of(&Payload::Challenge(
            challenge.challenged().clone(),
        ))?];
        let this = self.clone();
        let mut v = to_completion(async move {
            this.apply_and_append(&[challenge], entries, true, |s, c| {
                s.apply_verified_challenge(c)
            })
            .await
        })
        .await?;
        v.pop()
            .ok_or(ServiceError::Internal("the write answered nothing"))
    }

    /// Applies `items` with `apply` and appends `entries` (theirs, in order) as one durable
    /// batch; `ballots_only`: every item is a ballot or a challenge (a cheap [`Rules::mark`]).
    async fn apply_and_append<T: Sync>(
        &self,
        items: &[T],
        entries: Vec<Entry>,
        ballots_only: bool,
        apply: fn(&mut Rules, &T) -> Result<Applied, RuleError>,
    ) -> Result<Vec<(u64, Applied)>, ServiceError> {
        let mut state = self.state.write().await;
        if self.board.is_shared() {
            let (_, applied) = self
                .sequence_shared(&mut state, ballots_only, |st| {
                    let mut applied = Vec::with_capacity(items.len());
                    for p in items {
                        let index = st.size();
                        applied.push((index, apply(st, p)?));
                    }
                    Ok((entries, applied))
                })
                .await?;
            return Ok(applied);
        }
        self.catch_up(&mut state).await?;
        // Rejection of a later payload, or a failed append, must leave no trace of the batch.
        let mark = state.mark(ballots_only);
        let mut applied = Vec::with_capacity(items.len());
        for p in items {
            let index = state.size();
            match apply(&mut state, p) {
                Ok(a) => applied.push((index, a)),
                Err(e) => {
                    if let Err(re) = state.rollback(mark) {
                        tracing::error!(error = %re, "cannot take back a rejected batch");
                    }
                    return Err(e.into());
                }
            }
        }
        if let Err(e) = self.board.append_all(entries).await {
            tracing::error!(error = %e, "append failed; taking the batch back and catching up with the board");
            self.recover(&mut state, mark).await;
            return Err(e.into());
        }
        Ok(applied)
    }

    /// Applies each verified ballot on its own ([`Rules::apply_verified_ballot`]: every rule
    /// but the signature and proofs, which the batch verification covered) and appends those the
    /// rules accept in durable batches (one group commit each, split to fit
    /// [`Board::batch_limits`]): unlike [`ElectionService::post_all`], a rejected ballot does
    /// not sink the others. Returns one verdict per ballot, in order. What the cast pipeline
    /// uses: each ballot is re-checked here, under the write lock, so a `Close` or a duplicate
    /// that raced in is caught. Only a [`VerifiedBallot`] — which only the verifier makes —
    /// reaches the board this way:
    ///
    /// ```compile_fail
    /// # async fn f(s: &psephos_server::election::ElectionService, b: psephos_core::ballot::EncryptedBallot) {
    /// s.post_verified_ballots(vec![b]).await; // an unverified ballot: does not compile
    /// # }
    /// ```
    ///
    /// If a board batch fails to append, the batches before it stand, that one and every later
    /// one are answered with the error, and the state is rebuilt from the board.
    pub async fn post_verified_ballots(
        &self,
        payloads: Vec<VerifiedBallot>,
    ) -> Vec<Result<(u64, Applied), ServiceError>> {
        let mut state = self.state.write().await;
        if self.board.is_shared() {
            return self.post_verified_shared(&mut state, payloads).await;
        }
        if let Err(e) = self.catch_up(&mut state).await {
            return payloads.iter().map(|_| Err(e.clone())).collect();
        }
        let mut mark = Some(state.mark(true));
        let mut verdicts: Vec<Result<(u64, Applied), ServiceError>> =
            Vec::with_capacity(payloads.len());
        // (position in `verdicts`, entry) of every payload the rules accepted.
        let mut accepted: Vec<(usize, Entry)> = Vec::new();
        for p in &payloads {
            let index = state.size();
            let entry = match ballot_entry(p) {
                Ok(e) => e,
                Err(e) => {
                    verdicts.push(Err(e));
                    continue;
                }
            };
            match state.apply_verified_ballot(p) {
                Ok(a) => {
                    accepted.push((verdicts.len(), entry));
                    verdicts.push(Ok((index, a)));
                }
                Err(e) => verdicts.push(Err(e.into())),
            }
        }
        let groups = split_batches(
            accepted,
            |(_, e)| e.payload.len(),
            self.board.batch_limits(),
        );
        let mut failed: Option<ServiceError> = None;
        for group in groups {
            let (positions, entries): (Vec<usize>, Vec<Entry>) = group.into_iter().unzip();
            if failed.is_none() {
                if let Err(e) = self.board.append_all(entries).await {
                    tracing::error!(error = %e, "batch append failed; taking the batches back and catching up with the board");
                    if let Some(mark) = mark.take() {
                        self.recover(&mut state, mark).await;
                    }
                    failed = Some(e.into());
                }
            }
            if let Some(e) = &failed {
                for i in positions {
                    verdicts[i] = Err(e.clone());
                }
            }
        }
        verdicts
    }

    /// [`ElectionService::post_verified_ballots`] on a log shared by several nodes: the whole
    /// batch in one sequencing transaction.
    async fn post_verified_shared(
        &self,
        state: &mut Rules,
        payloads: Vec<VerifiedBallot>,
    ) -> Vec<Result<(u64, Applied), ServiceError>> {
        let n = payloads.len();
        let out = self
            .sequence_shared(state, true, |st| {
                let mut verdicts = Vec::with_capacity(payloads.len());
                let mut accepted = Vec::new();
                for p in &payloads {
                    let index = st.size();
                    let entry = match ballot_entry(p) {
                        Ok(e) => e,
                        Err(e) => {
                            verdicts.push(Err(e));
                            continue;
                        }
                    };
                    match st.apply_verified_ballot(p) {
                        Ok(a) => {
                            accepted.push(entry);
                            verdicts.push(Ok((index, a)));
                        }
                        Err(e) => verdicts.push(Err(e.into())),
                    }
                }
                Ok((accepted, verdicts))
            })
            .await;
        match out {
            Ok((_, verdicts)) => verdicts,
            Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
        }
    }

    /// One sequencing transaction on a log shared by several nodes ([`Board::sequence`]): under
    /// the log's coordination lock the state first applies the entries other nodes sequenced
    /// since it last looked, then `apply` judges the batch against it and returns the entries
    /// to append. Its rejection takes back what it applied and appends nothing; a failed commit
    /// takes back the batch (the entries caught up stay: they were committed by others).
    async fn sequence_shared<T: Send>(
        &self,
        state: &mut Rules,
        ballots_only: bool,
        apply: impl FnOnce(&mut Rules) -> Result<(Vec<Entry>, T), ServiceError> + Send,
    ) -> Result<(Vec<psephos_board::AppendReceipt>, T), ServiceError> {
        let known = state.size();
        let mut caught: Result<u64, ReplayError> = Ok(0);
        let mut mark: Option<StateMark> = None;
        let st = &mut *state;
        let (caught_ref, mark_ref) = (&mut caught, &mut mark);
        let out = self
            .board
            .sequence(Some(known), move |seq| {
                for (i, e) in seq.missed.iter().enumerate() {
                    if let Err(source) = st.replay_entry(e.kind, &e.payload) {
                        *caught_ref = Err(ReplayError::Rule {
                            index: known + i as u64,
                            source,
                        });
                        return (Vec::new(), None);
                    }
                }
                *caught_ref = Ok(seq.missed.len() as u64);
                let m = st.mark(ballots_only);
                match apply(st) {
                    Ok((entries, t)) => {
                        *mark_ref = Some(m);
                        (entries, Some(Ok(t)))
                    }
                    Err(e) => {
                        if let Err(re) = st.rollback(m) {
                            tracing::error!(error = %re, "cannot take back a rejected batch");
                        }
                        (Vec::new(), Some(Err(e)))
                    }
                }
            })
            .await;
        match &caught {
            Ok(n) => {
                self.replayed.fetch_add(*n, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, "an entry sequenced by another node breaks the rules");
            }
        }
        match out {
            Ok((receipts, Some(Ok(t)))) => Ok((receipts, t)),
            Ok((_, Some(Err(e)))) => Err(e),
            Ok((_, None)) => Err(ServiceError::Unavailable {
                code: "unavailable",
                detail: match caught {
                    Err(e) => format!("the board cannot be followed: {e}"),
                    Ok(_) => "the board cannot be followed".to_owned(),
                },
            }),
            Err((e, answered)) => {
                if answered.is_some() {
                    if let Some(m) = mark {
                        if let Err(re) = state.rollback(m) {
                            tracing::error!(error = %re, "cannot take back a failed batch");
                        }
                    }
                }
                tracing::warn!(error = %e, "a sequencing transaction failed; the batch is taken back");
                Err(e.into())
            }
        }
    }

    /// On a log shared by several nodes: applies the entries the other nodes appended since
    /// the state last looked (what the board's follower saw, or, with `refresh`, what the
    /// database holds now). Returns how many. Nothing to do on a log of one writer.
    pub async fn follow(&self, refresh: bool) -> Result<u64, ServiceError> {
        if !self.board.is_shared() {
            return Ok(0);
        }
        let size = if refresh {
            // One indexed read on the read pool (not through the board's writer, which a flood
            // of unknown tracking codes must not keep from sealing).
            self.board
                .size_at_least(u64::MAX)
                .await
                .map_err(ServiceError::from)?
        } else {
            self.board.size()
        };
        if self.state.read().await.size() >= size {
            return Ok(0);
        }
        let mut state = self.state.write().await;
        let target = size.max(state.size());
        let n = catch_up_to(&self.board, &mut state, target)
            .await
            .map_err(|e| ServiceError::Unavailable {
                code: "unavailable",
                detail: format!("the board cannot be followed: {e}"),
            })?;
        self.replayed.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }

    /// Builds a payload from the state and posts it under one hold of the write lock, so that
    /// what it was computed from is what it is applied to (the ceremony's completion, the
    /// encrypted tally, the result). Runs in its own task, like [`ElectionService::post_all`].
    pub async fn post_with<F>(
        self: &Arc<Self>,
        build: F,
    ) -> Result<(u64, Applied, Payload), ServiceError>
    where
        F: FnOnce(&Rules) -> Result<Payload, ServiceError> + Send + 'static,
    {
        let this = self.clone();
        to_completion(async move { this.build_apply_append(build).await }).await
    }

    async fn build_apply_append<F>(&self, build: F) -> Result<(u64, Applied, Payload), ServiceError>
    where
        F: FnOnce(&Rules) -> Result<Payload, ServiceError> + Send,
    {
        let mut state = self.state.write().await;
        if self.board.is_shared() {
            let (_, out) = self
                .sequence_shared(&mut state, false, |st| {
                    // Built from the state caught up under the log's lock.
                    let payload = build(st)?;
                    refuse_unverified(std::slice::from_ref(&payload))?;
                    let index = st.size();
                    let entry = entry_of(&payload)?;
                    let applied = st.apply(&payload)?;
                    Ok((vec![entry], (index, applied, payload)))
                })
                .await?;
            return Ok(out);
        }
        self.catch_up(&mut state).await?;
        let payload = build(&state)?;
        refuse_unverified(std::slice::from_ref(&payload))?;
        let index = state.size();
        let entry = entry_of(&payload)?;
        let mark = state.mark(false);
        let applied = state.apply(&payload)?;
        if let Err(e) = self.board.append_all(vec![entry]).await {
            tracing::error!(error = %e, "append failed; taking the entry back and catching up with the board");
            self.recover(&mut state, mark).await;
            return Err(e.into());
        }
        Ok((index, applied, payload))
    }

    /// [`ElectionService::post_all`] for one payload.
    pub async fn post(self: &Arc<Self>, payload: Payload) -> Result<(u64, Applied), ServiceError> {
        let mut v = self.post_all(vec![payload]).await?;
        v.pop()
            .ok_or(ServiceError::Internal("the write answered nothing"))
    }
}

/// Splits `items` into consecutive groups that each fit one board transaction: at most
/// `max_entries` items and at most `max_bytes` of `size` (an item larger than `max_bytes` goes
/// alone; the board refuses it).
pub fn split_batches<T>(
    items: Vec<T>,
    size: impl Fn(&T) -> usize,
    (max_entries, max_bytes): (usize, usize),
) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0usize;
    for item in items {
        let n = size(&item);
        if !current.is_empty() && (current.len() >= max_entries || bytes + n > max_bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += n;
        current.push(item);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Runs a write in its own task and waits for it. Dropping the returned future (the client
/// went away, the request timed out) does not stop the write: it runs on to its end — appended,
/// or refused, or (append failed) the state rebuilt from the board — so the state never stays
/// ahead of the board and the tracking index never misses an entry.
async fn to_completion<T: Send + 'static>(
    write: impl std::future::Future<Output = Result<T, ServiceError>> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::spawn(write).await.map_err(|e| {
        tracing::error!(error = %e, "a board write ended abnormally");
        ServiceError::Internal("the write ended abnormally; check the board before retrying")
    })?
}

/// The board entry of `p`; 413 if its payload is over the board's entry limit.
fn entry_of(p: &Payload) -> Result<Entry, ServiceError> {
    Entry::new(p.kind(), p.to_bytes()).map_err(|e| ServiceError::TooLarge(e.to_string()))
}

/// A ballot or a challenge reaches the board only verified, by its own typed path
/// ([`ElectionService::post_verified_ballots`], [`ElectionService::post_verified_challenge`]):
/// never as a bare [`Payload`], whose ballot proofs [`Rules::apply`] does not check.
fn refuse_unverified(payloads: &[Payload]) -> Result<(), ServiceError> {
    if payloads
        .iter()
        .any(|p| matches!(p, Payload::Ballot(_) | Payload::Challenge(_)))
    {
        return Err(ServiceError::Internal(
            "a ballot or a challenge is posted only once verified",
        ));
    }
    Ok(())
}

/// The board entry of a verified ballot (its canonical bytes, as [`Payload::Ballot`] encodes
/// it); 413 if over the board's entry limit.
fn ballot_entry(b: &VerifiedBallot) -> Result<Entry, ServiceError> {
    Entry::new(EntryKind::Ballot, b.ballot().to_canonical_bytes())
        .map_err(|e| ServiceError::TooLarge(e.to_string()))
}

/// Rebuilds the state at start: from the board's snapshot of the rules if it has a usable one,
/// else by replaying every entry. Every entry is read with [`read_checked`].
async fn resume(board: &Board) -> Result<Resumed, ReplayError> {
    let clock = std::time::Instant::now();
    let stored = board.snapshot().await;
    let read = clock.elapsed().as_secs_f64();
    match stored {
        Ok(Some(snapshot)) => match Box::pin(restore(board, &snapshot.data, snapshot.size)).await {
            Ok(resumed) => {
                tracing::info!(
                    snapshot = resumed.snapshot,
                    snapshot_read_seconds = read,
                    ballots_restored = resumed.restored,
                    entries_replayed = resumed.replayed,
                    seconds = clock.elapsed().as_secs_f64(),
                    "the rules restored from their snapshot"
                );
                return Ok(resumed);
            }
            Err(e) => tracing::warn!(
                error = %e,
                "the rules' snapshot cannot be used; replaying the whole board"
            ),
        },
        Ok(None) => tracing::info!("no snapshot of the rules; replaying the whole board"),
        // The board's own snapshot says the log had entries it no longer has, or other ones.
        Err(e @ BoardError::SnapshotContradicted { .. }) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "the stored snapshot is refused; replaying the whole board")
        }
    }
    let mut state = Rules::new();
    let replayed = Box::pin(catch_up_checked(board, &mut state, board.size())).await?;
    tracing::info!(
        entries_replayed = replayed,
        seconds = clock.elapsed().as_secs_f64(),
        "the rules rebuilt by replaying the whole board"
    );
    Ok(Resumed {
        state,
        replayed,
        restored: 0,
        snapshot: 0,
    })
}

/// The state from a snapshot of `size` entries and the board's entries that are not in it.
async fn restore(board: &Board, data: &[u8], size: u64) -> Result<Resumed, ReplayError> {
    let snapshot = RulesSnapshot::decode(data).map_err(|e| ReplayError::Snapshot(e.to_string()))?;
    if snapshot.size() != size {
        return Err(ReplayError::Snapshot(format!(
            "it describes {} entries, the board authenticated it for {size}",
            snapshot.size()
        )));
    }
    let mut state = Rules::new();
    let mut replayed = 0;
    for step in snapshot.steps() {
        match step {
            RestoreStep::Ballot(b) => {
                state
                    .restore_ballot(b)
                    .map_err(|source| ReplayError::Rule {
                        index: b.index,
                        source,
                    })?
            }
            RestoreStep::Replay { end, .. } => {
                replayed += catch_up_checked(board, &mut state, end).await?;
            }
        }
    }
    replayed += catch_up_checked(board, &mut state, board.size()).await?;
    Ok(Resumed {
        state,
        replayed,
        restored: snapshot.ballots().len() as u64,
        snapshot: size,
    })
}

/// Entries from `start`: checked against the tree the board verified at open
/// ([`Board::verified_entries`]) while they are below its size, then as stored (entries this
/// board appended since).
async fn read_checked(board: &Board, start: u64, limit: u64) -> Result<Vec<Entry>, BoardError> {
    if start < board.verified_size() {
        board.verified_entries(start, limit).await
    } else {
        board.entries(start, limit).await
    }
}

/// [`catch_up_to`], every entry read with [`read_checked`] in pages of
/// [`psephos_board::MAX_VERIFIED_PAGE`]: what the start reads.
async fn catch_up_checked(board: &Board, state: &mut Rules, size: u64) -> Result<u64, ReplayError> {
    catch_up(board, state, size, Read::Checked).await
}

/// Rebuilds the state from every entry on the board (see [`ElectionService::load`]).
pub async fn replay(board: &Board) -> Result<Rules, ReplayError> {
    let mut state = Rules::new();
    catch_up_to(board, &mut state, board.size()).await?;
    Ok(state)
}

/// Applies the board's entries from `state.size()` up to `size` with
/// [`Rules::replay_entry`], as stored; returns how many.
async fn catch_up_to(board: &Board, state: &mut Rules, size: u64) -> Result<u64, ReplayError> {
    catch_up(board, state, size, Read::Stored).await
}

/// How [`catch_up`] reads the board.
#[derive(Clone, Copy)]
enum Read {
    /// With [`read_checked`]: against the tree the board verified at open.
    Checked,
    /// As stored (the board's own appends since this service opened it).
    Stored,
}

/// Applies the board's entries from `state.size()` up to `size` with [`Rules::replay_entry`],
/// page by page; returns how many.
async fn catch_up(
    board: &Board,
    state: &mut Rules,
    size: u64,
    read: Read,
) -> Result<u64, ReplayError> {
    let from = state.size();
    if size < from {
        return Err(ReplayError::Shrunk {
            board: size,
            state: from,
        });
    }
    let mut start = from;
    while start < size {
        let page = match read {
            Read::Checked => {
                let limit = psephos_board::MAX_VERIFIED_PAGE.min(size - start);
                read_checked(board, start, limit).await?
            }
            Read::Stored => board.entries(start, REPLAY_PAGE.min(size - start)).await?,
        };
        for (i, entry) in page.iter().enumerate() {
            let index = start + i as u64;
            state
                .replay_entry(entry.kind, &entry.payload)
                .map_err(|source| ReplayError::Rule { index, source })?;
        }
        start += page.len() as u64;
        if page.is_empty() {
            break;
        }
    }
    Ok(start - from)
}

/// The HTTP answer for a rejected entry: mapped at the edge ([`crate::error::rule_error`]).
pub use crate::error::rule_error;
