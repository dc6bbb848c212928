//! Credential files (`docs/protocol.md`, §7.1): the voter list the credential authority starts
//! from, the public credential list uploaded to the board, and the private file of codes from
//! which the letters and the mail are made.
//!
//! - **Voter list** (CSV, read): a header naming the columns `voter_id`, `style` and optionally
//!   `name`, `email`, `weight`, in any order; one voter per row.
//! - **Public list** (JSON, [`CredentialList`]): the public credentials with their ballot style and
//!   weight, sorted by the credential's bytes, with no voter ids. [`CredentialList::validate`]
//!   checks a list against the manifest; the server reuses it.
//! - **Private file** (CSV, written): `voter_id,name,email,style,weight,credential_code`, mode
//!   0600, never overwritten. Codes are kept in zeroizing buffers and never printed.

use psephos_core::election::Manifest;
pub use psephos_record::credentials::{
    check_weight, CredentialList, ListError, ListedCredential, Summary, LIST_VERSION, MAX_VOTER_ID,
};
use std::fmt;
use zeroize::Zeroizing;

/// Most bad rows reported at once; the rest are counted.
const MAX_REPORTED: usize = 20;

/// Longest voter name accepted (characters).
pub const MAX_NAME: usize = 256;

/// Longest e-mail address accepted (bytes, RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// One row of the voter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub voter_id: String,
    /// The voter's name for the letter and the mail (may be empty).
    pub name: String,
    /// The voter's e-mail address (may be empty: such a voter gets a letter only).
    pub email: String,
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

/// The voter list's columns, found by name in its header.
const VOTER_COLUMNS: [&str; 5] = ["voter_id", "name", "email", "style", "weight"];

/// Maps each known column name to its position in the header; `required` must be present.
/// Unknown and repeated names are errors (a misspelt `emial` must not be silently ignored).
fn columns(
    header: &csv::StringRecord,
    known: &[&str],
    required: &[&str],
) -> Result<Vec<Option<usize>>, String> {
    let mut at = vec![None; known.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        match known.iter().position(|k| *k == name) {
            Some(k) if at[k].is_some() => return Err(format!("the column `{name}` appears twice")),
            Some(k) => at[k] = Some(i),
            None => {
                return Err(format!(
                    "unknown column `{name}` (the columns are: {}; `{}` required)",
                    known.join(", "),
                    required.join("`, `")
                ))
            }
        }
    }
    for r in required {
        if let Some(k) = known.iter().position(|k| k == r) {
            if at[k].is_none() {
                return Err(format!(
                    "the header must name the column `{r}` (the columns are: {}; `{}` required)",
                    known.join(", "),
                    required.join("`, `")
                ));
            }
        }
    }
    Ok(at)
}

/// Whether `email` is an address lettre can send to (RFC 5321 mailbox, at most [`MAX_EMAIL`]).
pub fn check_email(email: &str) -> Result<(), String> {
    if email.len() > MAX_EMAIL {
        return Err(format!("e-mail address longer than {MAX_EMAIL} bytes"));
    }
    email
        .parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|e| format!("e-mail address {email:?} is not valid ({e})"))
}

/// Reads a voter list (header naming `voter_id`, `style` and optionally `name`, `email`,
/// `weight`, in any order) and checks every row against the manifest: ids and e-mail addresses
/// unique, styles known, weights allowed. Every bad row is reported, each with its line number.
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
    let at = columns(&headers, &VOTER_COLUMNS, &["voter_id", "style"]).map_err(|m| fail(1, m))?;
    let [id_at, name_at, email_at, style_at, weight_at] = [at[0], at[1], at[2], at[3], at[4]];
    let mut voters = Vec::new();
    let mut problems = Vec::new();
    let mut lines_of: std::collections::HashMap<String, u64> = Default::default();
    let mut lines_of_email: std::collections::HashMap<String, u64> = Default::default();
    let mut record = csv::StringRecord::new();
    let field = |record: &csv::StringRecord, at: Option<usize>| -> String {
        at.and_then(|i| record.get(i))
            .unwrap_or_default()
            .to_string()
    };
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
        let voter_id = field(&record, id_at);
        let name = field(&record, name_at).trim().to_string();
        let email = field(&record, email_at).trim().to_string();
        let style = field(&record, style_at);
        let weight_text = field(&record, weight_at);
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
        } else if let Some(first) = lines_of.get(&voter_id) {
            problems.push((
                line,
                format!("duplicate voter id {voter_id:?} (first on line {first})"),
            ));
            bad = true;
        } else {
            lines_of.insert(voter_id.clone(), line);
        }
        if name.chars().count() > MAX_NAME {
            problems.push((line, format!("name longer than {MAX_NAME} characters")));
            bad = true;
        } else if name.chars().any(char::is_control) {
            problems.push((line, "name contains a control character".to_string()));
            bad = true;
        }
        if !email.is_empty() {
            if let Err(msg) = check_email(&email) {
                problems.push((line, msg));
                bad = true;
            } else {
                // Addresses differ only in case rarely on purpose: two voters, one mailbox.
                let key = email.to_lowercase();
                if let Some(first) = lines_of_email.get(&key) {
                    problems.push((
                        line,
                        format!("duplicate e-mail address {email:?} (first on line {first})"),
                    ));
                    bad = true;
                } else {
                    lines_of_email.insert(key, line);
                }
            }
        }
        if manifest.style(&style).is_none() {
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
                voter_id,
                name,
                email,
                style,
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

/// One row of the private file: a voter and their credential code (zeroised on drop).
pub struct CodeRow {
    pub voter_id: String,
    pub name: String,
    pub email: String,
    pub style: String,
    /// The code as printed, `XXXXXX-XXXXXX-XXXXXX-XXXXXX`, checked when read.
    pub code: Zeroizing<String>,
}

impl fmt::Debug for CodeRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeRow")
            .field("voter_id", &self.voter_id)
            .field("code", &"<secret>")
            .finish_non_exhaustive()
    }
}

/// The private file's columns; `name` and `email` are absent from files written before they
/// existed (`voter_id,style,weight,credential_code`), which are still read.
const CODE_COLUMNS: [&str; 6] = [
    "voter_id",
    "name",
    "email",
    "style",
    "weight",
    "credential_code",
];

/// Reads the private file of codes. Every code is parsed (and its checksum checked), every
/// voter id must be unique; a bad row is reported with its line number — never with its code.
pub fn read_codes<R: std::io::Read>(input: R) -> Result<Vec<CodeRow>, VoterListError> {
    let fail = |line: u64, msg: String| VoterListError {
        problems: vec![(line, msg)],
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| fail(csv_line(&e).unwrap_or(1), csv_message(&e)))?
        .clone();
    let at = columns(&headers, &CODE_COLUMNS, &["voter_id", "credential_code"])
        .map_err(|m| fail(1, m))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<String, u64> = Default::default();
    // The record holds codes: cleared field by field is not possible, so it is dropped as is
    // (csv keeps one buffer per record; see SECURITY.md on codes in memory).
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                problems.push((csv_line(&e).unwrap_or(0), csv_message(&e)));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let get = |k: usize| at[k].and_then(|i| record.get(i)).unwrap_or_default();
        let voter_id = get(0).to_string();
        if voter_id.is_empty() {
            problems.push((line, "empty voter id".to_string()));
            continue;
        }
        if let Some(first) = seen.insert(voter_id.clone(), line) {
            problems.push((
                line,
                format!("duplicate voter id {voter_id:?} (first on line {first})"),
            ));
            continue;
        }
        let email = get(2).trim().to_string();
        if !email.is_empty() {
            if let Err(msg) = check_email(&email) {
                problems.push((line, msg));
                continue;
            }
        }
        match psephos_core::credential::CredentialCode::parse(get(5)) {
            Ok(code) => rows.push(CodeRow {
                voter_id,
                name: get(1).trim().to_string(),
                email,
                style: get(3).to_string(),
                code: Zeroizing::new(code.expose()),
            }),
            Err(_) => problems.push((line, "the credential code does not parse".to_string())),
        }
    }
    if problems.is_empty() && rows.is_empty() {
        problems.push((0, "the file has no credential codes".to_string()));
    }
    if problems.is_empty() {
        Ok(rows)
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
pub const PRIVATE_HEADER: &str = "voter_id,name,email,style,weight,credential_code";
