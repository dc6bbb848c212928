//! The JSON `data` of the events on `GET E/events` (Server-Sent Events): `phase`, `counts`
//! (the record's `Counts`) and `checkpoint`.
//!
//! Sent sorted ([`crate::sorted`]).

use psephos_board::merkle::Hash;
use psephos_record::Phase;
use serde::{Deserialize, Serialize};

/// `event: phase`: the election's phase changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseEvent {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phase: Phase,
    pub board_size: u64,
}

/// `event: checkpoint`: a new signed checkpoint (with the cosignatures received so far).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckpointEvent {
    pub size: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
    /// The signed note (C2SP).
    pub note: String,
}
