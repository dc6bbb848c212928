//! The record's integration tests, one test binary for the crate.

mod mix;
mod ranked;
mod replay;
mod rules;
mod verify;
mod write_in;
