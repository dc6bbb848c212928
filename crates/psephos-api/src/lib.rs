//! The messages of psephos's HTTP API (`/api/v1`, `docs/api.md`): every JSON request and
//! response body, defined once.
//!
//! The server answers with these types, the `psephos` CLI sends and parses them, and the
//! browser's wasm parses them: one definition per message, so that a field renamed on one
//! side cannot silently drift from the other. The crate knows no web framework, no database and
//! no runtime: only serde, the protocol's own types (`psephos-core`, `-board`, `-record`), and,
//! behind the default feature `openapi`, the `utoipa` derives from which the server generates
//! its OpenAPI document (`GET /api/openapi.json`, `psephos openapi`).
//!
//! The wire format is the contract, not these structs: field names and key order are those the
//! service has always sent. Bodies that the server used to build as JSON maps went out with
//! their keys in alphabetical order (serde_json's map, recursively); the server still sends
//! those through a map ([`sorted`]), so that not a byte changed. Nested protocol objects
//! (points, digests, ballots, proofs) keep their own serde forms (lowercase hex).
//!
//! Bodies that are not JSON are not here: the checkpoint (a C2SP signed note, `text/plain`),
//! the record (`application/vnd.psephos.record`), shuffles and mixed decryption shares
//! (canonical bytes), the event stream (Server-Sent Events, whose `data` lines are the JSON of
//! [`events`]).

pub mod ballots;
pub mod board;
pub mod ceremony;
pub mod election;
pub mod error;
pub mod events;
pub mod explorer;
pub mod mix;
pub mod service;
pub mod tally;

pub use error::{ErrorBody, ErrorCode};

/// The JSON text of `body` with every object's keys in alphabetical order, at every depth: how
/// the bodies marked "sent sorted" have always gone out (they were built as `serde_json` maps).
pub fn sorted<T: serde::Serialize + ?Sized>(body: &T) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&serde_json::to_value(body)?)
}
