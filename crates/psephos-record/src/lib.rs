//! The psephos election record: what the board's entries mean.
//!
//! - [`payload`]: the typed payload of every entry kind and its canonical bytes;
//! - [`credentials`]: the public credential list;
//! - [`state`]: the election's rules as a state machine over the board's entries, run by the
//!   server before it appends and by every verifier when it replays the record.
//!
//! No I/O: this crate builds for wasm32, so the browser's verifier is this code too.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod credentials;
#[cfg(feature = "store")]
pub mod export;
pub mod format;
pub mod payload;
pub mod state;

pub use credentials::{CredentialList, ListedCredential};
pub use payload::{Challenged, Control, Definition, KeyAnnouncement, Payload};
pub use state::{Applied, Counts, ElectionState, Eligibility, Phase, RuleError, RuleErrorKind};
