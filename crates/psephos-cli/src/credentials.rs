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
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::tally::MAX_WEIGHT;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use thiserror::Error;

/// Version of the public credential list format.
pub const LIST_VERSION: u32 = 1;
/// Longest voter id, in characters.
pub const MAX_VOTER_ID: usize = 256;
/// Most bad rows reported at once; the rest are counted.
const MAX_REPORTED: usize = 20;

/// One listed public credential: bound to one ballot style and one weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedCredential {
    /// `C = c·G`, hex of the canonical encoding (decoded strictly).
    pub credential: Point,
    /// A ballot style id of the manifest.
    pub style: String,
    /// `1 ≤ weight ≤ MAX_WEIGHT`; exactly 1 in an unweighted election.
    pub weight: u64,
}

/// The public credential list, as uploaded to the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialList {
    pub version: u32,
    /// The manifest's `[election] id`.
    pub election_id: String,
    /// The manifest hash (hex).
    pub manifest_hash: Digest,
    /// Sorted by the credential's 32 bytes, strictly ascending.
    pub credentials: Vec<ListedCredential>,
}

/// Why a public credential list is not acceptable for an election.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ListError {
    #[error("unsupported credential list version {0} (expected {LIST_VERSION})")]
    Version(u32),
    #[error("the list is for election {got:?}, not {expected:?}")]
    ElectionId { expected: String, got: String },
    #[error("the list is for manifest hash {got}, not this manifest's {expected}")]
    ManifestHash { expected: Digest, got: Digest },
    #[error("the list has no credentials")]
    Empty,
    #[error("credential #{index}: unknown ballot style {style:?}")]
    UnknownStyle { index: usize, style: String },
    #[error("credential #{index}: {reason}")]
    Weight { index: usize, reason: String },
    #[error("credential #{index} is the identity point")]
    Identity { index: usize },
    #[error("credential #{index} is listed twice ({credential})")]
    Duplicate { index: usize, credential: String },
    #[error("credential #{index} is out of order: the list must be sorted by credential bytes")]
    Unsorted { index: usize },
}

/// Checks a weight against the manifest's rule; the error says why.
pub fn check_weight(manifest: &Manifest, weight: u64) -> Result<(), String> {
    if !manifest.weighted {
        if weight != 1 {
            return Err(format!(
                "weight {weight} in an unweighted election (every weight must be 1)"
            ));
        }
    } else if weight == 0 || weight > MAX_WEIGHT {
        return Err(format!(
            "weight {weight} is out of range (must be between 1 and {MAX_WEIGHT})"
        ));
    }
    Ok(())
}

impl CredentialList {
    /// Builds the list for a manifest, sorting the credentials by their bytes.
    pub fn new(manifest: &Manifest, mut credentials: Vec<ListedCredential>) -> Self {
        credentials.sort_by(|a, b| a.credential.as_bytes().cmp(b.credential.as_bytes()));
        CredentialList {
            version: LIST_VERSION,
            election_id: manifest.id.clone(),
            manifest_hash: manifest.hash(),
            credentials,
        }
    }

    /// Checks the list against the manifest: version, election id, manifest hash, every style
    /// listed in the manifest, every weight valid, every credential non-identity (points are
    /// already decoded strictly), no credential twice, sorted by bytes. Returns its summary.
    pub fn validate(&self, manifest: &Manifest) -> Result<Summary, ListError> {
        if self.version != LIST_VERSION {
            return Err(ListError::Version(self.version));
        }
        if self.election_id != manifest.id {
            return Err(ListError::ElectionId {
                expected: manifest.id.clone(),
                got: self.election_id.clone(),
            });
        }
        let expected = manifest.hash();
        if self.manifest_hash != expected {
            return Err(ListError::ManifestHash {
                expected,
                got: self.manifest_hash,
            });
        }
        if self.credentials.is_empty() {
            return Err(ListError::Empty);
        }
        let mut seen = HashSet::with_capacity(self.credentials.len());
        let mut summary = Summary::new(manifest);
        for (index, c) in self.credentials.iter().enumerate() {
            if manifest.style(&c.style).is_none() {
                return Err(ListError::UnknownStyle {
                    index,
                    style: c.style.clone(),
                });
            }
            check_weight(manifest, c.weight)
                .map_err(|reason| ListError::Weight { index, reason })?;
            if c.credential.is_identity() {
                return Err(ListError::Identity { index });
            }
            if !seen.insert(c.credential.to_bytes()) {
                return Err(ListError::Duplicate {
                    index,
                    credential: c.credential.to_hex(),
                });
            }
            summary.add(&c.style, c.weight);
        }
        if let Some(i) = self
            .credentials
            .windows(2)
            .position(|w| w[0].credential.as_bytes() >= w[1].credential.as_bytes())
        {
            return Err(ListError::Unsorted { index: i + 1 });
        }
        Ok(summary)
    }
}

/// Counts per ballot style and in total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub election_id: String,
    pub manifest_hash: Digest,
    /// Style id → (credentials, total weight), for every style of the manifest.
    pub per_style: BTreeMap<String, (u64, u64)>,
    pub credentials: u64,
    pub total_weight: u64,
}

impl Summary {
    fn new(manifest: &Manifest) -> Self {
        Summary {
            election_id: manifest.id.clone(),
            manifest_hash: manifest.hash(),
            per_style: manifest
                .ballot_styles
                .iter()
                .map(|s| (s.id.clone(), (0, 0)))
                .collect(),
            credentials: 0,
            total_weight: 0,
        }
    }

    fn add(&mut self, style: &str, weight: u64) {
        let e = self.per_style.entry(style.to_string()).or_insert((0, 0));
        e.0 += 1;
        e.1 += weight;
        self.credentials += 1;
        self.total_weight += weight;
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "election {}", self.election_id)?;
        writeln!(f, "manifest hash {}", self.manifest_hash)?;
        writeln!(
            f,
            "{} credentials, total weight {}",
            self.credentials, self.total_weight
        )?;
        for (style, (n, w)) in &self.per_style {
            writeln!(f, "  style {style}: {n} credentials, weight {w}")?;
        }
        Ok(())
    }
}

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
