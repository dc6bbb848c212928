//! Credential files (`docs/protocol.md`, §7.1): the voter list the credential authority starts
//! from, the public credential list uploaded to the board, and the private file of codes for the
//! mail merge.
//!
//! - **Voter list** (CSV, read): header `voter_id,style[,weight]`, one voter per row.
//! - **Public list** (JSON, [`CredentialList`]): the public credentials with their ballot style and
//!   weight, sorted by the credential's bytes, with no voter ids. [`CredentialList::validate`]
//!   checks a list against the manifest; the server reuses it.
//! - **Private file** (CSV, written): `voter_id,style,weight,credential_code`, mode 0600, never
//!   overwritten. Codes are kept in zeroizing buffers and never printed.

use psephos_core::election::Manifest;
pub use psephos_record::credentials::{
    check_weight, CredentialList, ListError, ListedCredential, Summary, LIST_VERSION, MAX_VOTER_ID,
};
use std::fmt;

/// Most bad rows reported at once; the rest are counted.
const MAX_REPORTED: usize = 20;

/// One row of the voter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub voter_id: String,
    pub style: String,
    pub weight: u64,
}

/// A voter list that could not be read; `Display` lists every problem with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterListError {
    /// `(line, message)`, line 1-based (0 when unknown).
    pub problems: Vec<(u64, String)>,
}

impl std::error::Error for VoterListError {}

impl fmt::Display for VoterListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the voter list has {} problem(s):", self.problems.len())?;
        for (line, msg) in self.problems.iter().take(MAX_REPORTED) {
            if *line > 0 {
                write!(f, "\n  line {line}: {msg}")?;
            } else {
                write!(f, "\n  {msg}")?;
            }
        }
        if self.problems.len() > MAX_REPORTED {
            write!(f, "\n  … and {} more", self.problems.len() - MAX_REPORTED)?;
        }
        Ok(())
    }
}

/// Reads a voter list (`voter_id,style[,weight]`) and checks every row against the manifest.
/// Every bad row is reported, each with its line number.
pub fn read_voters<R: std::io::Read>(
    input: R,
    manifest: &Manifest,
) -> Result<Vec<Voter>, VoterListError> {
    let fail = |line: u64, msg: String| VoterListError {
        problems: vec![(line, msg)],
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::None)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| fail(csv_line(&e).unwrap_or(1), csv_message(&e)))?
        .clone();
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    let has_weight = match names.as_slice() {
        ["voter_id", "style"] => false,
        ["voter_id", "style", "weight"] => true,
        _ => {
            return Err(fail(
                1,
                format!(
                    "the header must be `voter_id,style` or `voter_id,style,weight`, not `{}`",
                    names.join(",")
                ),
            ))
        }
    };
    let mut voters = Vec::new();
    let mut problems = Vec::new();
    let mut lines_of: std::collections::HashMap<String, u64> = Default::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A CSV syntax error ends the reading: what follows cannot be trusted.
                problems.push((csv_line(&e).unwrap_or(0), csv_message(&e)));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let voter_id = record.get(0).unwrap_or_default();
        let style = record.get(1).unwrap_or_default();
        let weight_text = if has_weight {
            record.get(2).unwrap_or_default()
        } else {
            ""
        };
        let mut bad = false;
        if voter_id.is_empty() {
            problems.push((line, "empty voter id".to_string()));
            bad = true;
        } else if voter_id.chars().count() > MAX_VOTER_ID {
            problems.push((
                line,
                format!("voter id longer than {MAX_VOTER_ID} characters"),
            ));
            bad = true;
        } else if voter_id.chars().any(char::is_control) {
            problems.push((line, "voter id contains a control character".to_string()));
            bad = true;
        } else if let Some(first) = lines_of.get(voter_id) {
            problems.push((
                line,
                format!("duplicate voter id {voter_id:?} (first on line {first})"),
            ));
            bad = true;
        } else {
            lines_of.insert(voter_id.to_string(), line);
        }
        if manifest.style(style).is_none() {
            let known: Vec<&str> = manifest
                .ballot_styles
                .iter()
                .map(|s| s.id.as_str())
                .collect();
            problems.push((
                line,
                format!(
                    "unknown ballot style {style:?} (the manifest has: {})",
                    known.join(", ")
                ),
            ));
            bad = true;
        }
        let weight = if weight_text.trim().is_empty() {
            Some(1)
        } else {
            match weight_text.trim().parse::<u64>() {
                Ok(w) => Some(w),
                Err(_) => {
                    problems.push((line, format!("weight {weight_text:?} is not a number")));
                    bad = true;
                    None
                }
            }
        };
        if let Some(w) = weight {
            if let Err(msg) = check_weight(manifest, w) {
                problems.push((line, msg));
                bad = true;
            }
        }
        if !bad {
            voters.push(Voter {
                voter_id: voter_id.to_string(),
                style: style.to_string(),
                weight: weight.unwrap_or(1),
            });
        }
    }
    if problems.is_empty() && voters.is_empty() {
        problems.push((0, "the voter list has no voters".to_string()));
    }
    if problems.is_empty() {
        Ok(voters)
    } else {
        Err(VoterListError { problems })
    }
}

fn csv_line(e: &csv::Error) -> Option<u64> {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos: Some(p), .. } => Some(p.line()),
        csv::ErrorKind::UnequalLengths { pos: Some(p), .. } => Some(p.line()),
        csv::ErrorKind::Deserialize { pos: Some(p), .. } => Some(p.line()),
        _ => e.position().map(|p| p.line()),
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("malformed CSV: {len} field(s) where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "malformed CSV: not valid UTF-8".to_string(),
        csv::ErrorKind::Io(e) => format!("reading the voter list: {e}"),
        _ => format!("malformed CSV: {e}"),
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) || field.starts_with(' ') || field.ends_with(' ') {
        out.push('"');
        for ch in field.chars() {
            if ch == '"' {
                out.push('"');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Header of the private file.
pub const PRIVATE_HEADER: &str = "voter_id,style,weight,credential_code";
