//! The wasm crate's integration tests (natively), one test binary for the crate.

mod browser_api;
mod write_in;
