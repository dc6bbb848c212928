//! Support shared by the integration tests and `examples/gen_vectors.rs`.
// Each test binary uses only part of this.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod naive;
pub mod vectors;
