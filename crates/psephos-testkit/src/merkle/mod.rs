//! The board's Merkle vectors and the reference they come from: `naive` computes roots and
//! proofs straight from RFC 9162's recursive definitions, never with the code under test, and
//! `vectors` turns its answers into the committed `crates/psephos-board/tests/vectors/merkle.json`
//! (written by the board's `examples/gen_vectors.rs`, checked by the board's tests).

pub mod naive;
pub mod vectors;
