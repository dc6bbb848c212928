//! What observers are told as it happens: new signed checkpoints, phase changes and counts, as
//! Server-Sent Events on `GET /api/v1/events`.
//!
//! One watcher task looks at the board and the election state a few times a second and
//! publishes what changed on a tokio broadcast channel; every SSE connection subscribes to it.
//! Watching rather than hooking every write path keeps the writers (ballots, ceremony, tally)
//! free of observer code, and bounds the event rate whatever the ballot rate.

use crate::election::ElectionService;
use psephos_api::events::{CheckpointEvent, PhaseEvent};
use psephos_board::Board;
use psephos_record::{KeyAnnouncement, Phase};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// One server-sent event: its name and its JSON data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: &'static str,
    pub data: String,
}

impl Event {
    /// The event in the `text/event-stream` wire format.
    pub fn to_sse(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name, self.data)
    }
}

/// The broadcast of events, and the signal that the service is stopping (streams end then).
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Event>,
    stopping: watch::Receiver<bool>,
}

impl Events {
    pub fn new(stopping: watch::Receiver<bool>) -> Self {
        let (tx, _) = broadcast::channel(256);
        Events { tx, stopping }
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.clone()
    }
    fn send(&self, e: Event) {
        // No subscriber is not an error.
        let _ = self.tx.send(e);
    }
}

/// The current phase and counts as events (what a new subscriber is sent first).
pub async fn snapshot(election: &ElectionService) -> Vec<Event> {
    let state = election.read().await;
    vec![
        phase_event(state.phase(), state.size()),
        counts_event(&state.counts()),
    ]
}

fn phase_event(phase: Phase, size: u64) -> Event {
    Event {
        name: "phase",
        data: sorted_data(&PhaseEvent {
            phase,
            board_size: size,
        }),
    }
}

fn counts_event(c: &psephos_record::Counts) -> Event {
    Event {
        name: "counts",
        data: serde_json::to_string(c).unwrap_or_default(),
    }
}

/// The `data` of a `checkpoint` event.
pub(crate) fn checkpoint_data(cp: &psephos_board::PublishedCheckpoint) -> String {
    sorted_data(&CheckpointEvent {
        size: cp.size,
        root: cp.root,
        note: cp.note.clone(),
    })
}

/// An event's JSON, keys sorted as they have always been (`psephos_api::sorted`).
fn sorted_data(body: &impl serde::Serialize) -> String {
    psephos_api::sorted(body)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// The watcher task's settings.
#[derive(Debug, Clone)]
pub struct Watcher {
    /// How often the board and state are looked at.
    pub interval: Duration,
}

impl Default for Watcher {
    fn default() -> Self {
        Watcher {
            interval: Duration::from_millis(200),
        }
    }
}

/// The key announcement the ceremony on the board leads to, if it can be computed.
pub fn announcement(
    state: &psephos_record::Rules,
) -> Result<KeyAnnouncement, psephos_record::RuleError> {
    let (Some(ceremony), Some(manifest)) = (state.ceremony(), state.manifest()) else {
        return Err(psephos_record::RuleError::Phase {
            action: "complete the key ceremony",
            phase: state.phase(),
        });
    };
    let outcome = ceremony.outcome()?;
    Ok(KeyAnnouncement::from_outcome(&outcome, manifest))
}

/// Runs until `stopping` turns true.
pub async fn watch(
    board: Board,
    election: Arc<ElectionService>,
    events: Events,
    config: Watcher,
    mut stopping: watch::Receiver<bool>,
) {
    let mut sealed = board.sealed_size();
    let (mut phase, mut counts) = {
        let s = election.read().await;
        (s.phase(), s.counts())
    };
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.changed() => {}
        }
        if *stopping.borrow() {
            break;
        }
        let now_sealed = board.sealed_size();
        if now_sealed != sealed {
            sealed = now_sealed;
            match board.latest_checkpoint().await {
                Ok(Some(cp)) => events.send(Event {
                    name: "checkpoint",
                    data: checkpoint_data(&cp),
                }),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reading the latest checkpoint"),
            }
        }
        let s = election.read().await;
        if s.phase() != phase {
            phase = s.phase();
            events.send(phase_event(phase, s.size()));
        }
        if s.counts() != counts {
            counts = s.counts();
            events.send(counts_event(&counts));
        }
    }
}
