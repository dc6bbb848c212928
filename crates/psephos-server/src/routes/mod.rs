//! Route groups, one module each.

pub mod board;
