//! The psephos election record: what the board's entries mean.
//!
//! - [`payload`]: the typed payload of every entry kind and its canonical bytes;
//! - [`credentials`]: the public credential list;
//! - [`booth`]: the booth manifest, the served web booth's files pinned on the board;
//! - [`rules`]: the election's rules as a state machine over the board's entries, run by the
//!   server before it appends and by every verifier when it replays the record;
//! - [`snapshot`]: the rules' ballot table as the server keeps it beside its board, to come
//!   back after a restart without replaying every ballot;
//! - [`format`]: the election record file (`docs/record.md`), and with the `store` feature
//!   [`export`], which writes a durable board as a record;
//! - [`verify`]: the independent verifier's numbered checks over a record
//!   (`docs/verification.md`).
//!
//! No I/O: this crate builds for wasm32, so the browser's verifier is this code too.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod booth;
pub mod credentials;
#[cfg(feature = "store")]
pub mod export;
pub mod format;
pub mod payload;
pub mod rules;
pub mod sim;
pub mod snapshot;
mod tables;
pub mod verify;

pub use booth::{BoothFile, BoothManifest, BoothManifestError};
pub use credentials::{CredentialList, ListedCredential};
pub use payload::{Challenged, Control, Definition, DefinitionError, KeyAnnouncement, Payload};
pub use rules::{
    AnnouncementError, Applied, CountedMix, Counts, CredentialsError, Eligibility, Phase,
    ResultError, RollbackError, RuleError, RuleErrorKind, Rules, ShareError, StateMark,
    TallyMismatch, TrackedBallot,
};
pub use verify::{verify_record, verify_record_with, CheckId, Report, Status, VerifyOptions};
