//! The key ceremony's schedule: a per-election service owned by the election's state
//! ([`crate::state::HostedElection`]), `docs/protocol.md` §9.5.6.
//!
//! The rules of the ceremony live in [`psephos_core::ceremony::CeremonyState`] (run by the
//! election's state machine): a message is accepted only if it is signed by a listed trustee,
//! well formed, not a replay and not late. What the state machine cannot know is *time*; this
//! module adds the schedule, which is server policy and not part of the board's rules:
//!
//! - Round 1 is open until every trustee has committed, round 2 until every trustee with a valid
//!   commitment has dealt its shares. A message of a later round is refused (409) while an
//!   earlier round still waits for someone, so an early trustee cannot close a round on a slow
//!   one. After `round_timeout` a waiting round is closed anyway and the absent trustees end up
//!   disqualified by the rules.
//! - Round 3 (complaints) opens when round 2 is settled and lasts `complaint_window`.
//! - Round 4 (reveals) opens when the window ends. Once no accused dealer is still awaited (or
//!   `round_timeout` passed since round 4 opened), the server posts `Control::CeremonyComplete`
//!   with the outcome recomputed from the board. A background task re-checks the schedule every
//!   200 ms while the ceremony runs, so completion needs no further request.
//!
//! Each election has its own [`CeremonyDesk`] (there is no process-wide registry): the clock
//! is kept in memory; after a restart the current round's clock starts again (a longer window,
//! never a shorter one).

use crate::election::ElectionService;
use crate::error::ServiceError;
use psephos_board::EntryKind;
use psephos_core::ceremony::{CeremonyState, Round, SignedMessage};
use psephos_record::{KeyAnnouncement, Payload, Phase};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Default length of the complaint window (round 3): long enough for a trustee on a slow
/// connection to check its dealt shares and complain. Tests and the demo set a short one.
pub const DEFAULT_COMPLAINT_WINDOW: Duration = Duration::from_secs(60);
/// Default time a round waits for absent trustees (rounds 1, 2 and 4).
pub const DEFAULT_ROUND_TIMEOUT: Duration = Duration::from_secs(600);

/// Entries read per page when looking for ceremony messages on the board.
const SCAN_PAGE: u64 = 512;

/// The ceremony's timing policy for one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CeremonySchedule {
    /// How long round 3 stays open after round 2 is settled.
    pub complaint_window: Duration,
    /// How long rounds 1, 2 and 4 wait for absent trustees before closing anyway.
    pub round_timeout: Duration,
}

impl Default for CeremonySchedule {
    fn default() -> Self {
        CeremonySchedule {
            complaint_window: DEFAULT_COMPLAINT_WINDOW,
            round_timeout: DEFAULT_ROUND_TIMEOUT,
        }
    }
}

/// Per-election bookkeeping: the board positions of the ceremony messages (found once by
/// scanning, then appended as they are posted) and the round clock.
#[derive(Debug)]
pub struct CeremonyDesk {
    election: Weak<ElectionService>,
    /// Serialises ceremony posts so the schedule check and the append see the same state.
    pub(crate) posting: tokio::sync::Mutex<CeremonyLog>,
    clock: Mutex<Clock>,
    /// Whether the background task runs.
    timer: std::sync::atomic::AtomicBool,
}

impl CeremonyDesk {
    /// The desk of `election`'s ceremony, on `schedule`. It holds the election weakly: the
    /// background task ends when the election is dropped.
    pub fn new(election: &Arc<ElectionService>, schedule: CeremonySchedule) -> Arc<Self> {
        let mut clock = Clock::new();
        clock.schedule = schedule;
        Arc::new(CeremonyDesk {
            election: Arc::downgrade(election),
            posting: tokio::sync::Mutex::new(CeremonyLog::default()),
            clock: Mutex::new(clock),
            timer: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Sets the schedule (`psephos serve --complaint-window`, tests); takes effect from the
    /// next request.
    pub fn set_schedule(&self, schedule: CeremonySchedule) {
        self.clock().schedule = schedule;
    }

    /// The schedule in force.
    pub fn schedule(&self) -> CeremonySchedule {
        self.clock().schedule
    }

    /// Whether the schedule lets the ceremony complete now: round 4 is open (the complaint
    /// window is over) and nobody is awaited there, or round 4's timeout passed. What the
    /// officials' `POST …/ceremony/complete` must wait for (the rules cannot tell time, so only
    /// the server's schedule keeps the complaint round open).
    pub fn may_complete(&self, cs: &CeremonyState) -> bool {
        schedule(cs, &mut self.clock(), Instant::now()).settled
    }

    /// The round open now.
    pub(crate) fn open_round(&self, cs: &CeremonyState) -> Round {
        schedule(cs, &mut self.clock(), Instant::now()).open
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, Clock> {
        match self.clock.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Checks the schedule now (completing the ceremony if it is settled) and keeps the
    /// background task running while the ceremony does. `None` outside the ceremony phase.
    pub(crate) async fn tick_and_watch(self: &Arc<Self>) -> Option<Status> {
        let election = self.election.upgrade()?;
        let status = tick(self, &election).await;
        if status.is_some() {
            ensure_timer(self);
        }
        status
    }
}

/// The ceremony log as the board has it: each ceremony message with its board index.
#[derive(Debug, Default)]
pub(crate) struct CeremonyLog {
    pub(crate) messages: Vec<(u64, SignedMessage)>,
    /// Board entries below this index have been scanned.
    pub(crate) scanned_to: u64,
    /// The ceremony-complete entry was seen: nothing after it needs scanning.
    done: bool,
}

#[derive(Debug)]
pub(crate) struct Clock {
    schedule: CeremonySchedule,
    /// The round the server considers open, and since when.
    round: Round,
    since: Instant,
    /// Rounds closed by time: the open round never goes below this.
    floor: Round,
}

impl Clock {
    fn new() -> Self {
        Clock {
            schedule: CeremonySchedule::default(),
            round: Round::Commitments,
            since: Instant::now(),
            floor: Round::Commitments,
        }
    }
}

fn next(r: Round) -> Round {
    match r {
        Round::Commitments => Round::Shares,
        Round::Shares => Round::Complaints,
        Round::Complaints | Round::Reveals => Round::Reveals,
    }
}

/// Where the schedule stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Status {
    /// The round whose messages are accepted now (and earlier ones the board has not closed).
    pub(crate) open: Round,
    /// Rounds 1, 2 and 4 are settled: the ceremony may be completed.
    pub(crate) settled: bool,
}

/// The round open now, from the board's state and the clock.
pub(crate) fn schedule(cs: &CeremonyState, clock: &mut Clock, now: Instant) -> Status {
    let natural = if cs.phase() == Round::Commitments && !cs.awaiting(Round::Commitments).is_empty()
    {
        Round::Commitments
    } else if cs.phase() <= Round::Shares && !cs.awaiting(Round::Shares).is_empty() {
        Round::Shares
    } else {
        Round::Complaints
    };
    let s = clock.schedule;
    loop {
        let open = natural.max(clock.floor).max(cs.phase());
        if open != clock.round {
            clock.round = open;
            clock.since = now;
        }
        let elapsed = now.saturating_duration_since(clock.since);
        let limit = match open {
            Round::Complaints => s.complaint_window,
            _ => s.round_timeout,
        };
        let waiting = match open {
            Round::Complaints => true,
            r => !cs.awaiting(r).is_empty(),
        };
        if open != Round::Reveals && elapsed >= limit {
            clock.floor = next(open);
            continue;
        }
        let settled = open == Round::Reveals && (!waiting || elapsed >= limit);
        return Status { open, settled };
    }
}

/// How often the background task re-checks the schedule while a ceremony runs.
const TICK: Duration = Duration::from_millis(200);

/// Checks the schedule now and completes the ceremony if it is settled.
async fn tick(desk: &Arc<CeremonyDesk>, election: &Arc<ElectionService>) -> Option<Status> {
    let (status, key) = {
        let state = election.read().await;
        if state.phase() != Phase::Ceremony {
            return None;
        }
        let cs = state.ceremony()?;
        let status = {
            let mut clock = desk.clock.lock().ok()?;
            schedule(cs, &mut clock, Instant::now())
        };
        let key = if status.settled {
            match (cs.outcome(), state.manifest()) {
                (Ok(o), Some(m)) => Some(KeyAnnouncement::from_outcome(&o, m)),
                (Err(e), _) => {
                    tracing::warn!(error = %e, "the key ceremony cannot complete");
                    None
                }
                _ => None,
            }
        } else {
            None
        };
        (status, key)
    };
    if let Some(k) = key {
        let _guard = desk.posting.lock().await;
        match election
            .post(Payload::Control(psephos_record::Control::CeremonyComplete(
                k,
            )))
            .await
        {
            Ok((index, _)) => tracing::info!(index, "key ceremony complete"),
            // An official (or another task) completed it first.
            Err(e) if e.is_conflict() => {}
            Err(e) => tracing::warn!(error = %e, "posting the ceremony outcome failed"),
        }
    }
    Some(status)
}

/// Starts the background task that completes the ceremony on time, once per election. It ends
/// when the ceremony is over or the election is dropped.
fn ensure_timer(desk: &Arc<CeremonyDesk>) {
    if desk.timer.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let d = desk.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(e) = d.election.upgrade() else { break };
            if tick(&d, &e).await.is_none() {
                break;
            }
        }
        d.timer.store(false, std::sync::atomic::Ordering::SeqCst);
    });
}

/// Brings the ceremony log up to date with the board.
pub(crate) async fn refresh(
    t: &mut CeremonyLog,
    election: &ElectionService,
) -> Result<(), ServiceError> {
    let board = election.board();
    while !t.done && t.scanned_to < board.size() {
        let start = t.scanned_to;
        let page = board.entries(start, SCAN_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for (i, entry) in page.iter().enumerate() {
            let index = start + i as u64;
            match entry.kind {
                EntryKind::CeremonyMessage => {
                    if let Ok(Payload::Ceremony(m)) = Payload::decode(entry.kind, &entry.payload) {
                        t.messages.push((index, m));
                    }
                }
                EntryKind::Control => {
                    if let Ok(Payload::Control(psephos_record::Control::CeremonyComplete(_))) =
                        Payload::decode(entry.kind, &entry.payload)
                    {
                        t.done = true;
                        t.scanned_to = index + 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        t.scanned_to = start + page.len() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use psephos_core::hash::Digest;

    fn clock(window: u64, timeout: u64, now: Instant) -> Clock {
        Clock {
            schedule: CeremonySchedule {
                complaint_window: Duration::from_secs(window),
                round_timeout: Duration::from_secs(timeout),
            },
            round: Round::Commitments,
            since: now,
            floor: Round::Commitments,
        }
    }

    #[test]
    fn ceremony_schedule_waits_for_everyone_then_closes_rounds_by_time() {
        let run = psephos_core::sim::run_ceremony(Digest([1; 32]), 3, 2, &mut rand_core_std::OsRng)
            .unwrap();
        let mut cs = CeremonyState::new(run.params.clone());
        let t0 = Instant::now();
        let mut c = clock(2, 60, t0);
        // Round 1 waits for all three commitments.
        assert_eq!(schedule(&cs, &mut c, t0).open, Round::Commitments);
        cs.receive(&run.log[0]).unwrap();
        cs.receive(&run.log[1]).unwrap();
        let s = schedule(&cs, &mut c, t0 + Duration::from_secs(59));
        assert_eq!((s.open, s.settled), (Round::Commitments, false));
        // Trustee 3 never commits: at the timeout round 1 closes and round 2 opens.
        let t1 = t0 + Duration::from_secs(61);
        assert_eq!(schedule(&cs, &mut c, t1).open, Round::Shares);
        // Round 2 waits for the two committed dealers only.
        cs.receive(&run.log[3]).unwrap();
        cs.receive(&run.log[4]).unwrap();
        let t2 = t1 + Duration::from_secs(1);
        let s = schedule(&cs, &mut c, t2);
        assert_eq!((s.open, s.settled), (Round::Complaints, false));
        // The complaint window, then round 4 with nobody accused: settled.
        let s = schedule(&cs, &mut c, t2 + Duration::from_secs(1));
        assert_eq!(s.open, Round::Complaints);
        let s = schedule(&cs, &mut c, t2 + Duration::from_secs(3));
        assert_eq!((s.open, s.settled), (Round::Reveals, true));
        // The clock never goes back.
        assert_eq!(schedule(&cs, &mut c, t2).open, Round::Reveals);
    }

    #[test]
    fn next_round_saturates_at_reveals() {
        assert_eq!(next(Round::Commitments), Round::Shares);
        assert_eq!(next(Round::Shares), Round::Complaints);
        assert_eq!(next(Round::Complaints), Round::Reveals);
        assert_eq!(next(Round::Reveals), Round::Reveals);
    }
}
