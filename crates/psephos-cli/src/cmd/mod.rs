//! One module per subcommand.

pub mod bench;
pub mod bench_attack;
pub mod bench_election;
pub mod bench_load;
pub mod bench_mix;
pub mod bench_restart;
pub mod board;
pub mod credentials;
pub mod demo;
pub mod demo_server;
pub mod election;
pub mod record;
pub mod serve;
pub mod trustee;
pub mod vectors;
pub mod verify;
pub mod witness;
