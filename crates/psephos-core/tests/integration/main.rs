//! The core's integration tests, one test binary for the crate.

mod ceremony;
mod conformance;
mod count_crosscheck;
mod election;
mod properties;
mod ranked;
mod vectors;
mod write_in;
