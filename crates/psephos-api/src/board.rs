//! An election's board (`E/board/…`): what witnesses and observers follow. Entries, blocks,
//! receipts and proofs are the board crate's own types in their serde forms; here are the
//! shapes around them and the query strings.
//!
//! Sent as declared (these were always structs).

use psephos_board::Entry;
use serde::{Deserialize, Serialize};

/// `GET E/board/size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardSize {
    /// Entries appended.
    pub size: u64,
    /// Entries sealed into blocks.
    pub sealed_size: u64,
}

/// One entry with its index (`GET E/board/entries…`): `{index, kind, payload}`, the payload
/// base64 of its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub index: u64,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = EntryBody))]
    pub entry: Entry,
}

/// The schema of an entry's own fields (documentation only: the type is the board's `Entry`).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct EntryBody {
    /// The entry kind's name (`definition`, `ballot`, …; `docs/record.md`).
    kind: String,
    /// Base64 of the payload's canonical bytes.
    payload: String,
}

/// `?start&limit` of `GET E/board/entries` and `GET E/board/blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Page {
    /// The first index (default 0).
    #[serde(default)]
    pub start: u64,
    /// Most items (default 100; entries at most the board's page size).
    #[serde(default = "default_limit")]
    pub limit: u64,
}

fn default_limit() -> u64 {
    100
}

/// `?index&size` of `GET E/board/proofs/inclusion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct InclusionQuery {
    /// The entry.
    pub index: u64,
    /// The tree size the proof is against.
    pub size: u64,
}

/// `?old&new` of `GET E/board/proofs/consistency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConsistencyQuery {
    pub old: u64,
    pub new: u64,
}

/// `POST E/board/cosignatures`: a witness's cosignature of the checkpoint of `size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CosignatureRequest {
    pub size: u64,
    /// The cosignature line (C2SP tlog-cosignature).
    pub signature: String,
}
