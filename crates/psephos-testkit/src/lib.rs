//! What the integration tests of several crates (and the board's examples) share, in one
//! `publish = false` crate instead of source files included across crates with `#[path]`:
//!
//! | module | what |
//! |---|---|
//! | [`postgres`] | a throwaway PostgreSQL cluster, one per test process, shared |
//! | [`replica`] | a throwaway PostgreSQL primary with a streaming replica, per test |
//! | [`db`] | a fresh SQLite or PostgreSQL database per test; raw SQL for tampering |
//! | [`keys`] | the fixed board and witness keys, the test board's configuration |
//! | [`temp`] | temporary directories and names unique across parallel tests |
//! | [`merkle`] | the naive RFC 9162 reference and the board's Merkle vectors |
//! | [`server`] | (feature `server`) a real service in process with an election driven through it |
//!
//! Test-specific helpers stay with their tests, as modules of the crate's test binary.
//!
//! The helpers panic on failure (`unwrap`): a helper's panic is the calling test's failure
//! report, with the helper's line in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod db;
pub mod keys;
pub mod merkle;
pub mod postgres;
pub mod replica;
#[cfg(feature = "server")]
pub mod server;
pub mod temp;

pub use db::{exec, Arg, Backend, TestDb};
pub use keys::{
    board_key, config, election_config, witness, witness_keys, E, ELECTION, ORIGIN, SERVICE_ORIGIN,
};
pub use postgres::{pg_cluster, PgCluster};
pub use replica::PgReplicaPair;
pub use temp::{unique, TempDir};
