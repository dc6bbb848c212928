//! The record's integration tests, one test binary for the crate.

mod replay;
mod rules;
mod verify;
