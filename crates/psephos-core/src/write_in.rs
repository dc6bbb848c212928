//! Write-ins (`docs/protocol.md` §6.2, §13.11): free-text names beside a contest's listed
//! options, encrypted as numbers, decrypted after mixing, and counted by one rule.
//!
//! A write-in slot is one 0/1 **used** column, selected like an option, and `⌈max_bytes/3⌉`
//! **text** columns, each holding three bytes of the name's UTF-8 as the big-endian integer
//! `b₀·2¹⁶ + b₁·2⁸ + b₂ ∈ [0, 2²⁴)`, zero-padded. The booth normalises the name
//! ([`normalize_name`]: Unicode NFC, surrounding white space removed) before encoding it.
//!
//! The ballot's proofs show at cast time what is cheap to show: every column in its range
//! (used 0/1, text below 2²⁴), at most `max` of the options and used columns selected, and every
//! ciphertext bound to the credential, the contest and its position. They do not show that the
//! text is a well-formed name: valid UTF-8, in NFC, without a byte after its zero padding, not
//! empty, or that an unused slot's text is empty. Proving that would need a circuit over bytes;
//! instead every counter applies [`read_slot`] to the decrypted row, and a slot that breaks the
//! rule is counted as an **invalid write-in** — the row's listed selections still count.
//!
//! Names are compared by their exact bytes: "Jane Doe" and "jane doe" are two names. Merging
//! spellings is for officials, outside the protocol, with the published rows at hand.

use crate::election::{Contest, Manifest, WriteIns, WRITE_IN_COLUMN_BYTES, WRITE_IN_COLUMN_MAX};
use crate::encoding::{Canonical, Reader, Writer, MAX_STRING};
use crate::error::DecodeError;
use crate::mixnet::MixResult;
use std::collections::BTreeMap;
use thiserror::Error;
use unicode_normalization::{is_nfc, UnicodeNormalization};

/// Why a name or a choice cannot be encoded for a write-in contest (raised by the booth's side,
/// before anything is encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WriteInError {
    /// The contest has no write-in slots.
    #[error("contest {0:?} takes no write-ins")]
    NotAllowed(String),
    /// More names than slots.
    #[error("contest {contest:?} takes at most {slots} write-ins, not {got}")]
    TooMany {
        contest: String,
        slots: u32,
        got: usize,
    },
    /// A name that is empty after normalisation.
    #[error("a write-in name is empty")]
    Empty,
    /// A name longer than the contest allows, in bytes of UTF-8 after normalisation.
    #[error("the write-in name {name:?} is {bytes} bytes long; at most {max} are allowed")]
    TooLong {
        name: String,
        bytes: usize,
        max: u32,
    },
    /// A name with a control character (a line break, a NUL…).
    #[error("the write-in name {0:?} contains a control character")]
    Control(String),
    /// Listed choices of the wrong length.
    #[error("contest {contest:?} has {expected} listed options, got {got} values")]
    Listed {
        contest: String,
        expected: usize,
        got: usize,
    },
}

/// The name as the booth encodes it and the count compares it: NFC, without leading or trailing
/// white space.
pub fn normalize_name(name: &str) -> String {
    let nfc: String = name.nfc().collect();
    nfc.trim().to_owned()
}

/// Whether `name` is a valid written name as it stands: not empty, NFC, trimmed, without
/// control characters.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && is_nfc(name) && name.trim() == name && !name.chars().any(char::is_control)
}

/// The text columns of `name` for a slot of `w` (the name is normalised first).
pub fn encode_name(w: &WriteIns, name: &str) -> Result<Vec<u64>, WriteInError> {
    let name = normalize_name(name);
    if name.is_empty() {
        return Err(WriteInError::Empty);
    }
    if name.chars().any(char::is_control) {
        return Err(WriteInError::Control(name));
    }
    let bytes = name.as_bytes();
    if bytes.len() > w.max_bytes as usize {
        return Err(WriteInError::TooLong {
            bytes: bytes.len(),
            max: w.max_bytes,
            name,
        });
    }
    let mut cols = vec![0u64; w.text_columns()];
    for (i, b) in bytes.iter().enumerate() {
        let shift = 8 * (WRITE_IN_COLUMN_BYTES - 1 - i % WRITE_IN_COLUMN_BYTES);
        cols[i / WRITE_IN_COLUMN_BYTES] |= u64::from(*b) << shift;
    }
    Ok(cols)
}

/// The values of a write-in contest's whole row: `listed` (one 0/1 value per listed option),
/// then each slot — used with its name's text, or unused and all zero. Whether the number of
/// selections is allowed is checked when the ballot is validated and proven, as for any rule.
pub fn contest_values(
    contest: &Contest,
    listed: &[u64],
    names: &[&str],
) -> Result<Vec<u64>, WriteInError> {
    let w = contest
        .write_ins
        .ok_or_else(|| WriteInError::NotAllowed(contest.id.clone()))?;
    if listed.len() != contest.options.len() {
        return Err(WriteInError::Listed {
            contest: contest.id.clone(),
            expected: contest.options.len(),
            got: listed.len(),
        });
    }
    if names.len() > w.slots as usize {
        return Err(WriteInError::TooMany {
            contest: contest.id.clone(),
            slots: w.slots,
            got: names.len(),
        });
    }
    let mut values = listed.to_vec();
    for slot in 0..w.slots as usize {
        match names.get(slot) {
            Some(name) => {
                values.push(1);
                values.extend(encode_name(&w, name)?);
            }
            None => values.extend(std::iter::repeat_n(0, w.slot_width())),
        }
    }
    Ok(values)
}

/// What one decrypted slot says (§13.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotReading {
    /// Not used, and its text is empty.
    Unused,
    /// Used, with a valid name.
    Name(String),
    /// Used with text that is not a valid name, used with a value other than 0 or 1, or unused
    /// with text.
    Invalid,
}

/// The rule every counter applies to a decrypted slot: `used` its used column, `text` its text
/// columns. The slot is a **name** when it is used (`1`) and its text, read as bytes up to the
/// first zero byte, is not empty, has only zero bytes after it, is at most `max_bytes` long,
/// is valid UTF-8 in NFC without surrounding white space or control characters. It is
/// **unused** when `used = 0` and every text column is 0. Anything else is **invalid**.
pub fn read_slot(w: &WriteIns, used: u64, text: &[u64]) -> SlotReading {
    if text.len() != w.text_columns() || text.iter().any(|&v| v > WRITE_IN_COLUMN_MAX) {
        return SlotReading::Invalid;
    }
    match used {
        0 if text.iter().all(|&v| v == 0) => return SlotReading::Unused,
        1 => {}
        _ => return SlotReading::Invalid,
    }
    let mut bytes = Vec::with_capacity(text.len() * WRITE_IN_COLUMN_BYTES);
    for &v in text {
        for k in (0..WRITE_IN_COLUMN_BYTES).rev() {
            bytes.push((v >> (8 * k)) as u8);
        }
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    if end > w.max_bytes as usize || bytes[end..].iter().any(|&b| b != 0) {
        return SlotReading::Invalid;
    }
    bytes.truncate(end);
    match String::from_utf8(bytes) {
        Ok(name) if is_valid_name(&name) => SlotReading::Name(name),
        _ => SlotReading::Invalid,
    }
}

/// One write-in contest's count from its decrypted rows (part of the mixed count, §11.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteInCount {
    /// Rows counted (ballots holding the contest).
    pub ballots: u64,
    /// Selections of each listed option, in manifest order.
    pub counts: Vec<u64>,
    /// Each valid name with the number of rows naming it (a row naming the same name in two
    /// slots counts once for it), sorted by count descending, then by the name's bytes.
    pub names: Vec<(String, u64)>,
    /// Slots that were invalid (§13.11), over all rows.
    pub invalid: u64,
}

/// Why a write-in contest could not be counted from a mix result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WriteInCountError {
    /// The mix result has no decrypted rows for this contest.
    #[error("the mix result has no rows for write-in contest {0:?}")]
    MissingRows(String),
    /// A row of the wrong width.
    #[error("write-in contest {contest:?}: a decrypted row has {got} values, expected {expected}")]
    RowWidth {
        contest: String,
        expected: usize,
        got: usize,
    },
}

/// Counts one write-in contest's decrypted rows.
pub fn count_write_ins(
    contest: &Contest,
    rows: &[Vec<u64>],
) -> Result<WriteInCount, WriteInCountError> {
    let Some(w) = contest.write_ins else {
        return Err(WriteInCountError::MissingRows(contest.id.clone()));
    };
    let n = contest.options.len();
    let width = contest.width();
    let mut counts = vec![0u64; n];
    let mut names: BTreeMap<String, u64> = BTreeMap::new();
    let mut invalid = 0u64;
    for row in rows {
        if row.len() != width {
            return Err(WriteInCountError::RowWidth {
                contest: contest.id.clone(),
                expected: width,
                got: row.len(),
            });
        }
        for (c, v) in counts.iter_mut().zip(row) {
            *c = c.saturating_add(*v);
        }
        let mut named: Vec<String> = Vec::new();
        for slot in row[n..].chunks_exact(w.slot_width()) {
            match read_slot(&w, slot[0], &slot[1..]) {
                SlotReading::Unused => {}
                SlotReading::Invalid => invalid += 1,
                SlotReading::Name(name) => {
                    if !named.contains(&name) {
                        named.push(name);
                    }
                }
            }
        }
        for name in named {
            *names.entry(name).or_default() += 1;
        }
    }
    let mut names: Vec<(String, u64)> = names.into_iter().collect();
    // By count descending; the map already ordered equal counts by bytes (a stable sort keeps it).
    names.sort_by_key(|n| std::cmp::Reverse(n.1));
    Ok(WriteInCount {
        ballots: rows.len() as u64,
        counts,
        names,
        invalid,
    })
}

/// Counts every write-in contest of `manifest`, in manifest order, from `result`.
pub fn count_all_write_ins(
    manifest: &Manifest,
    result: &MixResult,
) -> Result<Vec<(String, WriteInCount)>, WriteInCountError> {
    manifest
        .contests
        .iter()
        .filter(|c| c.write_ins.is_some())
        .map(|c| {
            let rows = result
                .contests
                .iter()
                .find(|r| r.contest == c.id)
                .ok_or_else(|| WriteInCountError::MissingRows(c.id.clone()))?;
            Ok((c.id.clone(), count_write_ins(c, &rows.rows)?))
        })
        .collect()
}

/// The most distinct names one count lists (one per row and slot at most).
const MAX_NAMES: usize = crate::mix::MAX_MIX_ROWS * crate::election::MAX_WRITE_INS as usize;

impl Canonical for WriteInCount {
    const MIN_ENCODED_LEN: usize = 24;
    /// `u64 ballots ‖ seq(u64) counts ‖ seq(str name ‖ u64 count) ‖ u64 invalid`.
    fn encode(&self, w: &mut Writer) {
        w.u64(self.ballots).seq(&self.counts).len(self.names.len());
        for (name, count) in &self.names {
            w.str(name).u64(*count);
        }
        w.u64(self.invalid);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ballots = r.u64()?;
        let counts = r.seq(crate::election::MAX_OPTIONS)?;
        let n = r.len(MAX_NAMES, 12)?;
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            names.push((r.str(MAX_STRING)?, r.u64()?));
        }
        Ok(WriteInCount {
            ballots,
            counts,
            names,
            invalid: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TOML: &str = r#"
[election]
id = "w"
name = "W"
[trustees]
count = 1
threshold = 1
[[contests]]
id = "sheriff"
title = "Sheriff"
kind = "plurality"
count = "mix"
blank_allowed = true
write_ins = 2
write_in_max_bytes = 8
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]
[[ballot_styles]]
id = "s"
contests = ["sheriff"]
"#;

    fn contest() -> Contest {
        Manifest::from_toml(TOML).unwrap().contests[0].clone()
    }

    #[test]
    fn names_encode_and_read_back() {
        let c = contest();
        let w = c.write_ins.unwrap();
        assert_eq!((w.text_columns(), w.slot_width(), c.width()), (3, 4, 10));
        // "Zoë" decomposed (o + combining diaeresis) is composed first; white space trimmed.
        let cols = encode_name(&w, "  Zoe\u{308} ").unwrap();
        assert_eq!(cols[0], u64::from(b'Z') << 16 | u64::from(b'o') << 8 | 0xc3);
        assert_eq!(read_slot(&w, 1, &cols), SlotReading::Name("Zoë".into()));
        let row = contest_values(&c, &[0, 0], &["Zoë"]).unwrap();
        assert_eq!(row.len(), 10);
        assert_eq!(&row[2..6], &[1, cols[0], cols[1], cols[2]]);
        assert_eq!(&row[6..], &[0, 0, 0, 0]);
        assert_eq!(
            encode_name(&w, "123456789"),
            Err(WriteInError::TooLong {
                name: "123456789".into(),
                bytes: 9,
                max: 8
            })
        );
        assert_eq!(encode_name(&w, " \t "), Err(WriteInError::Empty));
        assert!(matches!(
            encode_name(&w, "a\nb"),
            Err(WriteInError::Control(_))
        ));
        assert!(matches!(
            contest_values(&c, &[0, 0], &["a", "b", "c"]),
            Err(WriteInError::TooMany { .. })
        ));
    }

    #[test]
    fn the_slot_rule_names_invalid_text() {
        let w = contest().write_ins.unwrap();
        let col = |s: &[u8]| {
            s.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)) << (8 * (3 - s.len()))
        };
        assert_eq!(read_slot(&w, 0, &[0, 0, 0]), SlotReading::Unused);
        // Text in an unused slot, a used slot without text, a used value of 2.
        assert_eq!(read_slot(&w, 0, &[col(b"A"), 0, 0]), SlotReading::Invalid);
        assert_eq!(read_slot(&w, 1, &[0, 0, 0]), SlotReading::Invalid);
        assert_eq!(read_slot(&w, 2, &[col(b"A"), 0, 0]), SlotReading::Invalid);
        // A byte after the terminating zero; invalid UTF-8; not NFC; untrimmed; too long.
        assert_eq!(
            read_slot(&w, 1, &[col(b"A"), col(b"B"), 0]),
            SlotReading::Invalid
        );
        assert_eq!(
            read_slot(&w, 1, &[col(&[0xff]), 0, 0]),
            SlotReading::Invalid
        );
        assert_eq!(
            read_slot(&w, 1, &[col(b"eo"), col(&[0xcc, 0x88]), 0]),
            SlotReading::Invalid
        );
        assert_eq!(read_slot(&w, 1, &[col(b" A"), 0, 0]), SlotReading::Invalid);
        assert_eq!(
            read_slot(&w, 1, &[col(b"ABC"), col(b"DEF"), col(b"GHI")]),
            SlotReading::Invalid
        );
        assert_eq!(
            read_slot(&w, 1, &[col(b"ABC"), col(b"DEF"), col(b"GH")]),
            SlotReading::Name("ABCDEFGH".into())
        );
        // A value beyond 24 bits (the range proof forbids it) is invalid, not truncated.
        assert_eq!(read_slot(&w, 1, &[1 << 24, 0, 0]), SlotReading::Invalid);
    }

    #[test]
    fn rows_count_to_names_sorted_by_count_then_bytes() {
        let c = contest();
        let row = |listed: [u64; 2], names: &[&str]| contest_values(&c, &listed, names).unwrap();
        let mut bad = row([0, 0], &[]);
        bad[6] = 1; // slot 2 used with no text
        let rows = vec![
            row([1, 0], &[]),
            row([0, 0], &["Jane Doe"]),
            row([0, 0], &["jane doe"]),
            row([0, 0], &["Jane Doe", "Jane Doe"]),
            row([0, 0], &["Bob"]),
            row([0, 0], &["Al", "Bob"]),
            bad,
        ];
        let count = count_write_ins(&c, &rows).unwrap();
        assert_eq!(count.ballots, 7);
        assert_eq!(count.counts, [1, 0]);
        assert_eq!(count.invalid, 1);
        let names: Vec<(&str, u64)> = count.names.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(
            names,
            [("Bob", 2), ("Jane Doe", 2), ("Al", 1), ("jane doe", 1)]
        );
        let bytes = count.to_canonical_bytes();
        assert_eq!(WriteInCount::from_canonical_bytes(&bytes).unwrap(), count);
        assert!(WriteInCount::from_canonical_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(matches!(
            count_write_ins(&c, &[vec![0; 3]]),
            Err(WriteInCountError::RowWidth { .. })
        ));
    }
}
