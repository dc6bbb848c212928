//! Write-ins in the booth (`docs/protocol.md` §6.2, §13.11): the page holds what the voter typed
//! and ticked; everything about the encoding — NFC normalisation, the byte limit, the
//! three-bytes-per-column text, the slot layout — is the core's (`psephos_core::write_in`), called
//! from here, so the booth can never encode a name differently from the way every counter reads
//! it back.
//!
//! Three calls serve the page:
//! - [`name_feedback`], as the voter types a name: its length in bytes after normalisation, the
//!   room left, and what is wrong with it, for the live feedback beside the field;
//! - [`row`], when the ballot is checked and encrypted: the contest's whole row of values from
//!   the listed selections and the names of the ticked slots, or the problem with a slot (the
//!   field it concerns is named by its slot number);
//! - [`read_names`], for the review and the challenge: what each slot of a row says, read by the
//!   very rule the count applies ([`read_slot`]), so a voter who challenges a ballot sees the
//!   names as they would be counted — and a slot the count would reject is shown as invalid.

use psephos_core::election::Contest;
use psephos_core::write_in::{
    contest_values, encode_name, normalize_name, read_slot, SlotReading, WriteInError,
};
use serde::Serialize;

use crate::error::Error;

/// What is wrong with the write-ins of a contest, for the page to word (`{code, …}`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WriteInProblem {
    /// The contest has no write-in slots.
    NotAllowed,
    /// More slots filled than the contest has.
    TooMany { slots: u32, got: usize },
    /// Slot `slot` (1-based) is ticked but its name is empty.
    Empty { slot: usize },
    /// Slot `slot`'s name is `bytes` bytes of UTF-8 after normalisation; at most `max`.
    TooLong {
        slot: usize,
        name: String,
        bytes: usize,
        max: u32,
    },
    /// Slot `slot`'s name holds a control character (a line break, a tab…).
    Control { slot: usize, name: String },
    /// The listed selections do not match the contest's options.
    Listed { expected: usize, got: usize },
}

impl WriteInProblem {
    fn of(e: WriteInError, slot: usize) -> WriteInProblem {
        match e {
            WriteInError::TooMany { slots, got, .. } => WriteInProblem::TooMany { slots, got },
            WriteInError::Empty => WriteInProblem::Empty { slot },
            WriteInError::TooLong { name, bytes, max } => WriteInProblem::TooLong {
                slot,
                name,
                bytes,
                max,
            },
            WriteInError::Control(name) => WriteInProblem::Control { slot, name },
            WriteInError::Listed { expected, got, .. } => WriteInProblem::Listed { expected, got },
            // NotAllowed, and any reason a later core adds.
            _ => WriteInProblem::NotAllowed,
        }
    }
}

/// Live feedback on one name as typed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NameFeedback {
    /// The name as it would be encoded (NFC, trimmed).
    pub name: String,
    /// Its length in bytes of UTF-8.
    pub bytes: usize,
    /// The contest's limit in bytes.
    pub max: u32,
    /// `max − bytes`, negative when the name is too long.
    pub remaining: i64,
    /// What is wrong with it (an empty name is not a problem here: the field may be unused).
    pub problem: Option<WriteInProblem>,
}

/// Feedback on `text` typed into slot `slot` (1-based) of `contest`.
pub fn name_feedback(contest: &Contest, slot: usize, text: &str) -> NameFeedback {
    let name = normalize_name(text);
    let bytes = name.len();
    let Some(w) = contest.write_ins else {
        return NameFeedback {
            name,
            bytes,
            max: 0,
            remaining: -(bytes as i64),
            problem: Some(WriteInProblem::NotAllowed),
        };
    };
    let problem = if name.is_empty() {
        None
    } else {
        encode_name(&w, &name)
            .err()
            .map(|e| WriteInProblem::of(e, slot))
    };
    NameFeedback {
        remaining: i64::from(w.max_bytes) - bytes as i64,
        max: w.max_bytes,
        name,
        bytes,
        problem,
    }
}

/// A write-in contest's row, or why it cannot be made.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RowResult {
    /// The contest's values (listed options, then every slot) and the names as encoded, in
    /// the order of the slots they fill.
    Ok {
        values: Vec<u64>,
        names: Vec<String>,
    },
    /// A problem to show beside the contest (or the slot it names).
    Invalid { problem: WriteInProblem },
}

/// The row of `contest` for `listed` (one 0/1 value per listed option) and `slots` (one entry
/// per write-in field: `None` when its slot is not ticked, else the text typed). The names of
/// the ticked slots fill the row's slots in order; whether the number of selections keeps the
/// contest's limit is the contest rule's check (`checkContest` on the row), as for any contest.
pub fn row(contest: &Contest, listed: &[u64], slots: &[Option<String>]) -> RowResult {
    let Some(w) = contest.write_ins else {
        return RowResult::Invalid {
            problem: WriteInProblem::NotAllowed,
        };
    };
    let mut names = Vec::new();
    for (i, text) in slots.iter().enumerate() {
        let Some(text) = text else { continue };
        // Each name alone first, so that the problem names the field it is in.
        if let Err(e) = encode_name(&w, text) {
            return RowResult::Invalid {
                problem: WriteInProblem::of(e, i + 1),
            };
        }
        names.push(normalize_name(text));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    match contest_values(contest, listed, &refs) {
        Ok(values) => RowResult::Ok { values, names },
        Err(e) => RowResult::Invalid {
            problem: WriteInProblem::of(e, 0),
        },
    }
}

/// What one slot of a row says, for the review and the challenge.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SlotView {
    /// Not used.
    Unused { slot: usize },
    /// A valid name: counted as written.
    Name { slot: usize, name: String },
    /// Used (or filled) in a way the count rejects: counted as an invalid write-in.
    Invalid { slot: usize },
}

/// Reads every write-in slot of `values` (a whole row of `contest`) by the count's rule: one
/// [`SlotView`] per slot (1-based), or an empty list for a contest without write-ins.
pub fn read_names(contest: &Contest, values: &[u64]) -> Result<Vec<SlotView>, Error> {
    let Some(w) = contest.write_ins else {
        return Ok(Vec::new());
    };
    let n = contest.options.len();
    if values.len() != contest.width() {
        return Err(Error::Malformed {
            what: "write-in row",
            detail: format!(
                "contest {:?} has {} values, not {}",
                contest.id,
                contest.width(),
                values.len()
            ),
        });
    }
    Ok(values[n..]
        .chunks_exact(w.slot_width())
        .enumerate()
        .map(|(i, slot)| match read_slot(&w, slot[0], &slot[1..]) {
            SlotReading::Unused => SlotView::Unused { slot: i + 1 },
            SlotReading::Name(name) => SlotView::Name { slot: i + 1, name },
            SlotReading::Invalid => SlotView::Invalid { slot: i + 1 },
        })
        .collect())
}

/// [`name_feedback`] on JSON text.
pub fn name_feedback_json(
    contest_json: &str,
    slot: usize,
    text: &str,
) -> Result<NameFeedback, Error> {
    let contest: Contest = serde_json::from_str(contest_json).map_err(Error::json("contest"))?;
    Ok(name_feedback(&contest, slot, text))
}

/// [`row`] on JSON text: a contest, an array of 0/1 numbers, an array of strings or nulls.
pub fn row_json(
    contest_json: &str,
    listed_json: &str,
    slots_json: &str,
) -> Result<RowResult, Error> {
    let contest: Contest = serde_json::from_str(contest_json).map_err(Error::json("contest"))?;
    let listed: Vec<u64> =
        serde_json::from_str(listed_json).map_err(Error::json("listed choices"))?;
    let slots: Vec<Option<String>> =
        serde_json::from_str(slots_json).map_err(Error::json("write-in names"))?;
    Ok(row(&contest, &listed, &slots))
}

/// [`read_names`] on JSON text: a contest and its row of values.
pub fn read_names_json(contest_json: &str, values_json: &str) -> Result<Vec<SlotView>, Error> {
    let contest: Contest = serde_json::from_str(contest_json).map_err(Error::json("contest"))?;
    let values: Vec<u64> = serde_json::from_str(values_json).map_err(Error::json("values"))?;
    read_names(&contest, &values)
}
