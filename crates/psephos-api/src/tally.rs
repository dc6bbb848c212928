//! The tally and its decryption (`E/tally…`, `E/result`, `docs/protocol.md` §9.2–9.4). A share
//! posted is the core's `DecryptionShare` in its serde form.
//!
//! Sent as declared (these were always structs).

use psephos_core::tally::{EncryptedTally, TallyResult};
use serde::{Deserialize, Serialize};

/// `201` to `POST E/tally` (officials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TallyPosted {
    pub index: u64,
    pub tally: EncryptedTally,
}

/// `GET E/tally`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TallyView {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub tally: Option<EncryptedTally>,
    pub index: Option<u64>,
    /// The trustees whose decryption shares are on the board.
    pub shares: Vec<u32>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<TallyResult>,
    pub result_index: Option<u64>,
    /// How many shares decrypt (`k`).
    pub threshold: Option<u32>,
}

/// `201` to `POST E/tally/shares`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharePosted {
    pub index: u64,
    /// The result's index once `k` shares are on the board.
    pub result_index: Option<u64>,
}

/// `GET E/result`: the result with its board index (404 before decryption).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultView {
    #[serde(flatten)]
    pub result: TallyResult,
    pub index: u64,
}
