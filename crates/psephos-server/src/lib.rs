//! The psephos HTTP service.
//!
//! Thin handlers over the bulletin board ([`psephos_board::Board`]): every route parses its input
//! into the board's own types, calls one board method, and maps the board's error to an HTTP
//! status with a JSON body `{ "error": …, "detail": … }`. No SQL and no cryptography live here.
//!
//! What is served so far is the board's public read API, which witnesses and observers follow,
//! and the one write witnesses make: posting a cosignature. The election lifecycle (ballots,
//! ceremony, tally) builds on the same pattern.

pub mod auth;
pub mod election;
pub mod error;
pub mod routes;
pub mod startup;
pub mod tally;

pub use error::ApiError;
pub use startup::{serve, AppState};
