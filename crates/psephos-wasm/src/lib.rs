//! # psephos-wasm
//!
//! The browser's psephos: the voting booth, the receipt and challenge checks and the observer's
//! checks, compiled to WebAssembly from the very code the server and the verifier run
//! (`psephos-core`, `psephos-record`, and `psephos-board`'s pure `merkle`, `note` and
//! `checkpoint`), so that a ballot is encrypted on the voter's device by audited code and a voter
//! can check their receipt without trusting the server.
//!
//! The exported functions take and return JSON text (the serde forms of the core types, as the
//! HTTP API uses them); errors are thrown as `Error("<code>: <detail>")`, where `<code>` is one
//! of [`Error::code`] for the page to translate. The Rust API under the `#[wasm_bindgen]` shims
//! ([`booth`], [`choices`], [`write_in`], [`receipt`], [`challenge`], [`election`], [`manifest`])
//! is plain Rust and is tested natively.

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bench;
pub mod booth;
pub mod challenge;
pub mod choices;
pub mod election;
pub mod error;
pub mod manifest;
pub mod receipt;
pub mod verify;
pub mod write_in;

pub use error::Error;

use psephos_core::ballot::{EncryptedBallot, TrackingCode};
use rand_core::OsRng;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::election::ElectionInfo;

fn js(e: Error) -> JsError {
    JsError::new(&format!("{}: {e}", e.code()))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| JsError::new(&format!("malformed: {e}")))
}

fn witness_keys(json: &str) -> Result<Vec<psephos_board::note::VerifierKey>, Error> {
    let keys: Vec<String> = if json.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(json).map_err(Error::json("witness keys"))?
    };
    receipt::parse_witness_keys(&keys)
}

/// The crate version, to show in the page footer.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Live feedback on a credential code as typed: JSON [`booth::CodeCheck`].
#[wasm_bindgen(js_name = checkCredential)]
pub fn check_credential(input: &str) -> Result<String, JsError> {
    to_json(&booth::check_code(input))
}

/// The public credential (hex) of `code` in election `election_id`.
#[wasm_bindgen(js_name = publicCredential)]
pub fn public_credential(code: &str, election_id: &str) -> Result<String, JsError> {
    booth::public_credential(code, election_id).map_err(js)
}

#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    manifest_hash: String,
    election_hash: Option<String>,
    origin: &'a str,
    board_key: String,
}

/// Checks the election description (`GET /api/v1/elections/{election}`) and returns the hashes to show.
#[wasm_bindgen(js_name = checkElection)]
pub fn check_election(election_json: &str) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    to_json(&Summary {
        id: &info.manifest.id,
        manifest_hash: info.manifest.hash().to_hex(),
        election_hash: info.election.as_ref().map(|e| e.hash().to_hex()),
        origin: &info.board.origin,
        board_key: info.board.key.to_string(),
    })
}

/// Parses and validates an election manifest's TOML text with the core's own rules (the
/// officials' console): JSON [`manifest::ManifestCheck`], `{status: "valid", manifest,
/// manifest_hash}` or `{status: "invalid", field, message}`.
#[wasm_bindgen(js_name = checkManifest)]
pub fn check_manifest(toml: &str) -> Result<String, JsError> {
    to_json(&manifest::check(toml))
}

/// Checks one contest's values as the ballot form holds them (`contest_json`: a contest of the
/// manifest; `values_json`: an array of numbers) against the contest's rule: `null`, or the JSON
/// [`choices::ChoiceProblem`] `{code, …}` for the page to word.
#[wasm_bindgen(js_name = checkContest)]
pub fn check_contest(contest_json: &str, values_json: &str) -> Result<String, JsError> {
    to_json(&choices::check_contest_json(contest_json, values_json).map_err(js)?)
}

/// Live feedback on a write-in name as typed into slot `slot` (1-based) of `contest_json`: JSON
/// [`write_in::NameFeedback`] `{name, bytes, max, remaining, problem}` (the length in bytes
/// after the core's normalisation).
#[wasm_bindgen(js_name = writeInFeedback)]
pub fn write_in_feedback(contest_json: &str, slot: usize, text: &str) -> Result<String, JsError> {
    to_json(&write_in::name_feedback_json(contest_json, slot, text).map_err(js)?)
}

/// A write-in contest's row of values, encoded by the core from `listed_json` (one 0/1 per
/// listed option) and `slots_json` (per write-in field, `null` when not ticked or the text):
/// JSON [`write_in::RowResult`], `{status: "ok", values, names}` or `{status: "invalid",
/// problem: {code, …}}`.
#[wasm_bindgen(js_name = writeInRow)]
pub fn write_in_row(
    contest_json: &str,
    listed_json: &str,
    slots_json: &str,
) -> Result<String, JsError> {
    to_json(&write_in::row_json(contest_json, listed_json, slots_json).map_err(js)?)
}

/// What each write-in slot of a contest's row says, read by the count's rule: JSON array of
/// [`write_in::SlotView`] `{status: "unused" | "name" | "invalid", slot, name?}`.
#[wasm_bindgen(js_name = writeInNames)]
pub fn write_in_names(contest_json: &str, values_json: &str) -> Result<String, JsError> {
    to_json(&write_in::read_names_json(contest_json, values_json).map_err(js)?)
}

/// The tracking code of a ballot (JSON [`EncryptedBallot`]).
#[wasm_bindgen(js_name = trackingCode)]
pub fn tracking_code(ballot_json: &str) -> Result<String, JsError> {
    let ballot: EncryptedBallot =
        serde_json::from_str(ballot_json).map_err(|e| js(Error::json("ballot")(e)))?;
    Ok(TrackingCode::of(&ballot.hash()).to_string())
}

/// Checks a cast ballot's receipt (`GET /api/v1/elections/{election}/receipts/{index}`) against the ballot the
/// device made: JSON [`receipt::ReceiptView`].
#[wasm_bindgen(js_name = verifyReceipt)]
pub fn verify_receipt(
    election_json: &str,
    ballot_json: &str,
    receipt_json: &str,
    witness_keys_json: &str,
) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    let ballot: EncryptedBallot =
        serde_json::from_str(ballot_json).map_err(|e| js(Error::json("ballot")(e)))?;
    let receipt: psephos_board::SealedReceipt =
        serde_json::from_str(receipt_json).map_err(|e| js(Error::json("receipt")(e)))?;
    let witnesses = witness_keys(witness_keys_json).map_err(js)?;
    to_json(&receipt::verify_receipt(&ballot, &receipt, &info.board, &witnesses).map_err(js)?)
}

/// Checks that board entry `entry_json` (`GET /api/v1/elections/{election}/board/entries/{index}`) is a ballot and
/// that receipt `receipt_json` proves it: JSON [`receipt::BoardBallotView`].
#[wasm_bindgen(js_name = verifyEntryReceipt)]
pub fn verify_entry_receipt(
    election_json: &str,
    entry_json: &str,
    receipt_json: &str,
    witness_keys_json: &str,
) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    let receipt: psephos_board::SealedReceipt =
        serde_json::from_str(receipt_json).map_err(|e| js(Error::json("receipt")(e)))?;
    let witnesses = witness_keys(witness_keys_json).map_err(js)?;
    to_json(
        &receipt::verify_entry_receipt(entry_json, &receipt, &info.board, &witnesses)
            .map_err(js)?,
    )
}

/// Opens a signed checkpoint note of the board: JSON [`receipt::CheckpointView`].
#[wasm_bindgen(js_name = openCheckpoint)]
pub fn open_checkpoint(
    election_json: &str,
    note: &str,
    witness_keys_json: &str,
) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    let witnesses = witness_keys(witness_keys_json).map_err(js)?;
    to_json(&receipt::open_checkpoint(note, &info.board, &witnesses).map_err(js)?)
}

/// Checks a challenge entry of the board (`GET /api/v1/elections/{election}/board/entries/{index}`) and opens it:
/// JSON [`challenge::OpenedBallot`].
#[wasm_bindgen(js_name = checkChallengeEntry)]
pub fn check_challenge_entry(election_json: &str, entry_json: &str) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    let election = info.election().map_err(js)?;
    to_json(&challenge::open_entry(election, entry_json).map_err(js)?)
}

/// Checks a challenge given as `{ballot, reveal}` and opens it.
#[wasm_bindgen(js_name = checkChallenge)]
pub fn check_challenge(election_json: &str, challenge_json: &str) -> Result<String, JsError> {
    let info = ElectionInfo::parse(election_json).map_err(js)?;
    let election = info.election().map_err(js)?;
    to_json(&challenge::open_json(election, challenge_json).map_err(js)?)
}

/// The booth of one election, in the booth's Web Worker: see [`booth::Booth`].
#[wasm_bindgen(js_name = Booth)]
#[derive(Debug)]
pub struct JsBooth(booth::Booth);

#[wasm_bindgen(js_class = Booth)]
impl JsBooth {
    /// A booth for the election `GET /api/v1/elections/{election}` describes.
    #[wasm_bindgen(constructor)]
    pub fn new(election_json: &str) -> Result<JsBooth, JsError> {
        booth::Booth::new(election_json).map(JsBooth).map_err(js)
    }

    /// Encrypts, proves and signs `choices_json` (a `PlaintextBallot`) with credential `code`:
    /// JSON `{tracking_code, ballot_hash, ballot}`.
    pub fn encrypt(&mut self, code: &str, choices_json: &str) -> Result<String, JsError> {
        to_json(&self.0.encrypt(code, choices_json, &mut OsRng).map_err(js)?)
    }

    /// Opens the held ballot for a challenge: the JSON body of `POST /api/v1/elections/{election}/challenges`.
    pub fn challenge(&mut self) -> Result<String, JsError> {
        to_json(&self.0.challenge().map_err(js)?)
    }

    /// The held ballot as the JSON body of `POST /api/v1/elections/{election}/ballots`; refuses a challenged ballot.
    #[wasm_bindgen(js_name = castBody)]
    pub fn cast_body(&self) -> Result<String, JsError> {
        to_json(self.0.ballot_to_cast().map_err(js)?)
    }

    /// Drops the held ballot and its secrets.
    pub fn forget(&mut self) {
        self.0.forget();
    }
}

/// A ballot shape for the browser benchmark (`tests/browser/bench.js`; see [`bench`]).
#[wasm_bindgen(js_name = BenchShape)]
#[derive(Debug)]
pub struct JsBenchShape(bench::Shape);

#[wasm_bindgen(js_class = BenchShape)]
impl JsBenchShape {
    /// `contests` contests of `kind` with `options` options each, as `psephos bench --kind`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        kind: &str,
        contests: usize,
        options: usize,
        max: u32,
    ) -> Result<JsBenchShape, JsError> {
        bench::Shape::new(kind, contests, options, u64::from(max), &mut OsRng)
            .map(JsBenchShape)
            .map_err(js)
    }

    /// Encrypts one random ballot of the shape and keeps it.
    pub fn encrypt(&mut self) -> Result<(), JsError> {
        self.0.encrypt(&mut OsRng).map_err(js)
    }

    /// Decodes and batch-verifies every kept ballot; returns how many.
    #[wasm_bindgen(js_name = verifyBatch)]
    pub fn verify_batch(&self) -> Result<usize, JsError> {
        self.0.verify_batch().map_err(js)
    }

    /// Decodes and verifies every kept ballot alone; returns how many.
    #[wasm_bindgen(js_name = verifyEach)]
    pub fn verify_each(&self) -> Result<usize, JsError> {
        self.0.verify_each().map_err(js)
    }

    /// JSON `{options, encrypt_fixed_base, decompressions, bytes}` of the shape.
    pub fn info(&self) -> Result<String, JsError> {
        to_json(&self.0.info().map_err(js)?)
    }

    /// Prepares `n` scalars and points for the floor runs.
    #[wasm_bindgen(js_name = prepareFloors)]
    pub fn prepare_floors(&mut self, n: usize) {
        self.0.prepare_floors(n, &mut OsRng);
    }

    /// `n` fixed-base multiplications (the prepared ones); returns `n`.
    #[wasm_bindgen(js_name = fixedBase)]
    pub fn fixed_base(&self) -> usize {
        self.0.fixed_base()
    }

    /// `n` decompressions (the prepared ones); returns `n`.
    pub fn decompress(&self) -> usize {
        self.0.decompress()
    }

    /// Forgets the kept ballots.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[derive(Serialize)]
struct Qr {
    /// Modules per side, quiet zone included.
    size: usize,
    /// An SVG path of the dark modules in a `size`×`size` viewBox.
    path: String,
}

/// A QR code of `text` (the challenge-check link) as an SVG path: JSON `{size, path}`.
#[wasm_bindgen(js_name = qrCode)]
pub fn qr_code(text: &str) -> Result<String, JsError> {
    use std::fmt::Write;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| JsError::new(&format!("malformed: QR code: {e}")))?;
    let width = code.width();
    const QUIET: usize = 4;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let _ = write!(path, "M{} {}h1v1h-1z", i % width + QUIET, i / width + QUIET);
        }
    }
    to_json(&Qr {
        size: width + 2 * QUIET,
        path,
    })
}

/// Verifies the whole election record (`GET /api/v1/elections/{election}/record` bytes) with the same checks as
/// `psephos verify`; `trust_json` is `{board_key, witnesses}`; `progress(step, done, total)` is
/// called as entries are checked. Returns the JSON report.
#[wasm_bindgen(js_name = verifyRecord)]
pub fn verify_record(
    record: &[u8],
    trust_json: &str,
    progress: &js_sys::Function,
) -> Result<String, JsError> {
    let trust: verify::Trust =
        serde_json::from_str(trust_json).map_err(|e| js(Error::json("trust")(e)))?;
    let this = JsValue::NULL;
    let mut cb = verify::Callback::new(|step: &str, done: u64, total: u64| {
        let _ = progress.call3(
            &this,
            &JsValue::from_str(step),
            &JsValue::from_f64(done as f64),
            &JsValue::from_f64(total as f64),
        );
    });
    to_json(&verify::verify(record, &trust, &mut cb).map_err(js)?)
}
