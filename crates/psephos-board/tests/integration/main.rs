//! The board's integration tests, one test binary for the crate: each module was a test binary of
//! its own, and linking 7 binaries against sqlx cost more than running them. Shared helpers
//! (throwaway PostgreSQL, fresh databases, fixed keys, the Merkle reference) are
//! `psephos-testkit`.

mod background_check;
mod crash;
mod election_key;
mod explorer;
mod group;
mod merkle;
mod note;
mod open_reading;
mod replica;
mod shared;
mod store;
mod vectors;
