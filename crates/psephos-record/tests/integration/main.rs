//! The record's integration tests, one test binary for the crate.

mod mix;
mod replay;
mod rules;
mod verify;
