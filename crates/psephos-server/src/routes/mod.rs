//! Route groups, one module each.

pub mod ballots;
pub mod board;
pub mod ceremony;
pub mod election;
pub mod observers;
pub mod tally;
pub mod web;
