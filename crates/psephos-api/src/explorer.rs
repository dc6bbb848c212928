//! The board explorer's pages (`E/explorer/…`): blocks newest first with their checkpoints,
//! entries by index or of one kind, each with a readable summary decoded from its canonical
//! bytes.
//!
//! Pages are sent sorted ([`crate::sorted`]).

use crate::ballots::BallotStatus;
use psephos_board::EntryKind;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use serde::{Deserialize, Serialize};

/// `?before&limit` of `GET E/explorer/blocks`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct BlockPageQuery {
    /// Blocks numbered below this (default: all).
    pub before: Option<u64>,
    /// 1–50 (default 20).
    pub limit: Option<u64>,
}

/// A block as the explorer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockView {
    pub number: u64,
    /// The first entry this block seals (the previous block's tree size).
    pub first_index: u64,
    pub tree_size: u64,
    pub time_ms: u64,
    /// The tree root, hex.
    pub root: String,
    /// The signed checkpoint note with every cosignature received (C2SP signed note).
    pub checkpoint: String,
}

/// `GET E/explorer/blocks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlocksPage {
    pub blocks: Vec<BlockView>,
    /// `before` of the next page, `null` on the last.
    pub next_before: Option<u64>,
}

/// `?from|before&kind&limit` of `GET E/explorer/entries`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EntryPageQuery {
    /// Oldest first from this index.
    pub from: Option<u64>,
    /// Newest first below this index (the default: from the newest).
    pub before: Option<u64>,
    /// Only entries of this kind (`ballot`, `share`, …).
    pub kind: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<u64>,
}

/// A control event's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ControlEvent {
    Open,
    Close,
    CeremonyComplete,
}

/// One contest's counts in a result's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContestCounts {
    pub contest: String,
    pub counts: Vec<u64>,
}

/// What an entry holds, in a few fields, by kind. Told apart by their fields (each kind's set
/// is distinct), so the variants' order is the order to try them in when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Summary {
    /// The payload does not decode (the verifier says more).
    Undecodable {
        undecodable: String,
    },
    Definition {
        manifest_id: String,
        name: String,
        contests: usize,
        ballot_styles: usize,
        trustees: u32,
        threshold: u32,
        manifest_hash: Digest,
    },
    /// A ballot; `status` is `cast` or `superseded` (by a later ballot of the credential).
    Ballot {
        tracking_code: String,
        style: String,
        credential: Point,
        status: BallotStatus,
    },
    /// A challenged ballot (`status` is `challenged`).
    Challenge {
        tracking_code: String,
        style: String,
        status: BallotStatus,
    },
    /// A ceremony message: its round and sender; a complaint's accused and reason, a reveal's
    /// recipient.
    Ceremony {
        round: u8,
        from: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        against: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u32>,
    },
    Credentials {
        credentials: usize,
        total_weight: u64,
    },
    /// Open, close, or the ceremony's completion with its outcome.
    Control {
        event: ControlEvent,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualified: Option<Vec<u32>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        joint_key: Option<Point>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        election_hash: Option<Digest>,
    },
    /// An encrypted tally: its contests and size in bytes.
    Tally {
        contests: usize,
        bytes: usize,
    },
    Share {
        trustee: u32,
    },
    Result {
        contests: Vec<ContestCounts>,
    },
    BoothManifest {
        files: usize,
        index: String,
        hash: Digest,
    },
    /// One part of a mix input, shuffle, mixed share or mix result.
    Part {
        part: u32,
        parts: u32,
        bytes: usize,
    },
    /// The mixed count: the ranked contests it counts.
    MixedCount {
        ranked_contests: Vec<String>,
    },
}

/// One entry of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntrySummary {
    pub index: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: EntryKind,
    pub summary: Summary,
}

/// `GET E/explorer/entries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntriesPage {
    pub entries: Vec<EntrySummary>,
    /// `from` of the next page (oldest first), `null` on the last.
    pub next_from: Option<u64>,
    /// `before` of the next page (newest first), `null` on the last.
    pub next_before: Option<u64>,
    /// The board's size when the page was read.
    pub board_size: u64,
}
