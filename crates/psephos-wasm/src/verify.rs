//! The whole-election verifier in the browser: `psephos_record::verify`, the code behind
//! `psephos verify`, run over the record the observer's worker downloaded
//! (`GET /api/v1/elections/{election}/record`), with progress reported to a JavaScript callback.

use psephos_board::note::{SignatureType, VerifierKey};
use psephos_record::verify::{verify_record_with, Progress, Report, Step, VerifyOptions};
use serde::Deserialize;

use crate::error::Error;

/// What the observer pinned on the page: the board key and witness keys the user typed in (never
/// the keys the server itself supplies). Without witness keys the record header's witnesses and
/// quorum are used, and the report's `trust` says so.
#[derive(Debug, Default, Deserialize)]
pub struct Trust {
    pub board_key: Option<String>,
    #[serde(default)]
    pub witnesses: Vec<String>,
}

impl Trust {
    pub fn options(&self) -> Result<VerifyOptions, Error> {
        let board_key = match &self.board_key {
            None => None,
            Some(k) => Some(
                VerifierKey::parse_as(k.trim(), SignatureType::Ed25519).map_err(|e| {
                    Error::Malformed {
                        what: "board key",
                        detail: e.to_string(),
                    }
                })?,
            ),
        };
        let witnesses = crate::receipt::parse_witness_keys(&self.witnesses)?;
        Ok(VerifyOptions {
            board_key,
            witnesses: if witnesses.is_empty() {
                None
            } else {
                Some(witnesses)
            },
            ..VerifyOptions::default()
        })
    }
}

/// Progress as `(step, done, total)` calls.
pub struct Callback<F: FnMut(&str, u64, u64)> {
    f: F,
    step: &'static str,
    total: u64,
}

impl<F: FnMut(&str, u64, u64)> std::fmt::Debug for Callback<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("step", &self.step)
            .field("total", &self.total)
            .finish()
    }
}

impl<F: FnMut(&str, u64, u64)> Callback<F> {
    pub fn new(f: F) -> Self {
        Callback {
            f,
            step: "record",
            total: 0,
        }
    }
}

impl<F: FnMut(&str, u64, u64)> Progress for Callback<F> {
    fn start(&mut self, step: Step, total: u64) {
        self.step = match step {
            Step::Revotes => "revotes",
            _ => "record",
        };
        self.total = total;
        (self.f)(self.step, 0, total);
    }
    fn advance(&mut self, done: u64) {
        (self.f)(self.step, done, self.total);
    }
}

/// Verifies a record (its bytes) with the given trust.
pub fn verify(record: &[u8], trust: &Trust, progress: &mut dyn Progress) -> Result<Report, Error> {
    Ok(verify_record_with(record, &trust.options()?, progress))
}
