//! One module per subcommand.

pub mod bench;
pub mod bench_election;
pub mod board;
pub mod credentials;
pub mod demo;
pub mod record;
pub mod serve;
pub mod vectors;
pub mod verify;
pub mod witness;
