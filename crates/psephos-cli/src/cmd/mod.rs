//! One module per subcommand.

pub mod bench;
pub mod board;
pub mod credentials;
pub mod demo;
pub mod serve;
pub mod trustee;
pub mod vectors;
pub mod witness;
