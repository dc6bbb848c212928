//! Route groups, one module each.

pub mod board;
pub mod ceremony;
pub mod tally;
