//! The independent check of a challenged ballot (Benaloh, `docs/protocol.md` §8.5).
//!
//! The voter's second device (or anyone) fetches the challenge entry from the board itself, by
//! its index, decodes the canonical bytes, checks that the ballot verifies and that the revealed
//! values and nonces re-encrypt to exactly its ciphertexts, and shows the choices in words. If
//! they are not what the voter chose, the first device cheated.
//!
//! A write-in contest's row is mostly text columns (three bytes of a name each, §6.2): in words
//! it is its listed options, then each slot with the name it holds, read by the count's own rule
//! ([`crate::write_in::read_names`]), so the voter checks the name exactly as it would be
//! counted — a slot the count would reject says so.

use psephos_board::EntryKind;
use psephos_core::ballot::{PlaintextBallot, TrackingCode};
use psephos_core::challenge::check_challenge;
use psephos_core::election::{Contest, Election};
use psephos_record::{Challenged, Payload};
use serde::Serialize;

use crate::error::Error;
use crate::write_in::{read_names, SlotView};
use psephos_api::board::EntryView;

/// One contest of an opened ballot, in words.
#[derive(Debug, Serialize)]
pub struct OpenedContest {
    pub contest: String,
    pub title: String,
    /// `(option label, value)` in manifest order; for a write-in contest, the listed options
    /// and then one `("Write-in k: …", used)` per slot (its text columns are read into
    /// `write_ins`, not listed).
    pub options: Vec<(String, u64)>,
    /// A write-in contest's slots as the count reads them (absent for other contests).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub write_ins: Vec<SlotView>,
}

/// What a verified challenge contains.
#[derive(Debug, Serialize)]
pub struct OpenedBallot {
    pub index: Option<u64>,
    pub tracking_code: String,
    pub style: String,
    pub choices: PlaintextBallot,
    pub contests: Vec<OpenedContest>,
}

/// Checks a challenged ballot and opens it.
pub fn open(
    election: &Election,
    challenged: &Challenged,
    index: Option<u64>,
) -> Result<OpenedBallot, Error> {
    let choices = check_challenge(election, &challenged.ballot, &challenged.reveal)
        .map_err(|e| Error::Verify(format!("challenge: {e}")))?;
    let manifest = election.manifest();
    let contests = choices
        .contests
        .iter()
        .map(|pc| {
            let c = manifest
                .contest_index(&pc.contest)
                .map(|i| &manifest.contests[i]);
            match c {
                Some(c) if c.write_ins.is_some() => write_in_contest(c, &pc.values),
                _ => Ok(OpenedContest {
                    contest: pc.contest.clone(),
                    title: c.map(|c| c.title.clone()).unwrap_or_default(),
                    options: pc
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| (label(c, i, v), v))
                        .collect(),
                    write_ins: Vec::new(),
                }),
            }
        })
        .collect::<Result<_, Error>>()?;
    Ok(OpenedBallot {
        index,
        tracking_code: TrackingCode::of(&challenged.ballot.hash()).to_string(),
        style: challenged.ballot.style.clone(),
        choices,
        contests,
    })
}

/// The words for position `i` holding `v` in contest `c` (not a write-in contest).
fn label(c: Option<&Contest>, i: usize, v: u64) -> String {
    match c {
        // A rank position holds a candidate's number (0 = none).
        Some(c) if c.is_ranked() => {
            let who = usize::try_from(v)
                .ok()
                .and_then(|v| v.checked_sub(1))
                .and_then(|k| c.options.get(k))
                .map_or("no preference", |o| o.label.as_str());
            format!("Rank {}: {who}", i + 1)
        }
        Some(c) => c
            .options
            .get(i)
            .map(|o| o.label.clone())
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// A write-in contest in words: its listed options, then each slot with its name.
fn write_in_contest(c: &Contest, values: &[u64]) -> Result<OpenedContest, Error> {
    let slots = read_names(c, values)?;
    let n = c.options.len();
    let mut options: Vec<(String, u64)> = c
        .options
        .iter()
        .zip(values)
        .map(|(o, &v)| (o.label.clone(), v))
        .collect();
    if let Some(w) = c.write_ins {
        for (slot, view) in slots.iter().enumerate() {
            let used = values.get(n + slot * w.slot_width()).copied().unwrap_or(0);
            let words = match view {
                SlotView::Unused { slot } => format!("Write-in {slot}: not used"),
                SlotView::Name { slot, name } => format!("Write-in {slot}: {name}"),
                SlotView::Invalid { slot } => {
                    format!("Write-in {slot}: not a valid name (counted as an invalid write-in)")
                }
            };
            options.push((words, used));
        }
    }
    Ok(OpenedContest {
        contest: c.id.clone(),
        title: c.title.clone(),
        options,
        write_ins: slots,
    })
}

/// Checks the challenge entry served by the board (`{index, kind, payload}`).
pub fn open_entry(election: &Election, entry_json: &str) -> Result<OpenedBallot, Error> {
    let view: EntryView = serde_json::from_str(entry_json).map_err(Error::json("board entry"))?;
    if view.entry.kind != EntryKind::Challenge {
        return Err(Error::Verify(format!(
            "board entry {} is a {} entry, not a challenge",
            view.index, view.entry.kind
        )));
    }
    let payload =
        Payload::decode(view.entry.kind, &view.entry.payload).map_err(|e| Error::Malformed {
            what: "challenge entry",
            detail: e.to_string(),
        })?;
    let Payload::Challenge(challenged) = payload else {
        return Err(Error::Verify("not a challenge entry".into()));
    };
    open(election, &challenged, Some(view.index))
}

/// Checks a challenge given as JSON `{ballot, reveal}` (the body the booth posted).
pub fn open_json(election: &Election, json: &str) -> Result<OpenedBallot, Error> {
    let challenged: Challenged = serde_json::from_str(json).map_err(Error::json("challenge"))?;
    open(election, &challenged, None)
}
