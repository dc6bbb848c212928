//! Helpers shared by the integration tests of several crates and by the board's examples.
#![allow(missing_debug_implementations)]

pub mod merkle;
mod postgres;
#[cfg(feature = "server")]
pub mod server;

pub use postgres::*;
