//! The core's integration tests, one test binary for the crate.

mod ceremony;
mod conformance;
mod election;
mod properties;
mod ranked;
mod vectors;
