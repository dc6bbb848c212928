//! Mixing over the board (`E/mix…`, `docs/protocol.md` §11.5, §13.7–13.9). Shuffles and mixed
//! decryption shares are posted as canonical bytes, not JSON.
//!
//! Sent as declared (these were always structs).

use psephos_core::hash::Digest;
use psephos_core::mixnet::MixResult;
use serde::{Deserialize, Serialize};

/// `POST E/mix` (officials; the body may be empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MixInputRequest {
    /// Fewest mixers before the lists may be decrypted (default: the threshold).
    pub min_mixers: Option<u32>,
}

/// The shape of one contest's list of ciphertext rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListShape {
    pub contest: String,
    pub width: usize,
    pub rows: usize,
}

/// `201` to `POST E/mix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixInputPosted {
    pub index: u64,
    /// Board entries the input took.
    pub parts: usize,
    pub digest: Digest,
    pub min_mixers: u32,
    pub lists: Vec<ListShape>,
}

/// A shuffle on the board: its mixer and its board index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixerView {
    pub mixer: u32,
    pub index: u64,
}

/// `GET E/mix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixView {
    /// Whether the election has a contest counted by the mixnet.
    pub mixed: bool,
    pub input_index: Option<u64>,
    pub min_mixers: Option<u32>,
    /// The current lists (the final ones once the tally is posted).
    pub lists: Vec<ListShape>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub digest: Option<Digest>,
    pub mixers: Vec<MixerView>,
    pub shares: Vec<u32>,
    pub result_index: Option<u64>,
    /// How many shares decrypt (`k`).
    pub threshold: Option<u32>,
}

/// `201` to `POST E/mix/shuffles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShufflePosted {
    pub index: u64,
    pub parts: usize,
    pub mixer: u32,
}

/// `201` to `POST E/mix/shares`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixSharePosted {
    pub index: u64,
    pub mix_result_index: Option<u64>,
    pub result_index: Option<u64>,
}

/// `GET E/mix/result`: the decrypted lists with their board index (404 before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixResultView {
    #[serde(flatten)]
    pub result: MixResult,
    pub index: u64,
}

/// One ranked contest's count in `GET E/mix/count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedCountView {
    pub contest: String,
    /// The count transcript, round by round (`docs/protocol.md` §13.10).
    pub transcript: psephos_core::count::CountTranscript,
}

/// A write-in contest's count (`docs/protocol.md` §13.11): the listed options' selections, the
/// written names with their counts (most first, then by the name's bytes) and the invalid
/// write-ins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WriteInCountView {
    pub contest: String,
    /// Ballots (decrypted rows) of the contest.
    pub ballots: u64,
    /// Selections of each listed option, in manifest order.
    pub counts: Vec<u64>,
    /// `[name, count]` pairs.
    pub names: Vec<(String, u64)>,
    /// Write-in slots that were not a valid name (§13.11).
    pub invalid: u64,
}

/// `200` to `GET E/mix/count`: the mixed count on the board (entry kind 16) and its index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MixedCountView {
    pub index: u64,
    /// The ranked contests' counts.
    pub contests: Vec<RankedCountView>,
    /// The write-in contests' counts (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write_ins: Vec<WriteInCountView>,
}
