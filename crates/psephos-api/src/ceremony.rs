//! The key ceremony over the board (`E/ceremony…`, `docs/protocol.md` §9.5.6). A message
//! posted is the core's `SignedMessage` in its serde form.
//!
//! Sent as declared (these were always structs).

use crate::election::TrusteeView;
use psephos_core::ceremony::SignedMessage;
use psephos_record::KeyAnnouncement;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The ceremony's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamsView {
    /// The ceremony id, hex.
    pub id: String,
    pub count: u32,
    pub threshold: u32,
    pub attempt: u32,
    pub trustees: Vec<TrusteeView>,
}

/// Who is awaited in each round with messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Awaiting {
    pub commitments: Vec<u32>,
    pub shares: Vec<u32>,
    pub reveals: Vec<u32>,
}

/// A complaint on the board: `accuser` says `dealer`'s share to them is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintView {
    pub accuser: u32,
    pub dealer: u32,
}

/// How a complaint was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The dealer did not reveal the share.
    Unanswered,
    /// The revealed share is valid: the dealer stays.
    ValidShare,
    /// The revealed share is invalid.
    InvalidShare,
}

/// A settled complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledComplaint {
    pub accuser: u32,
    pub dealer: u32,
    pub reason: String,
    pub resolution: Resolution,
}

/// A disqualified trustee, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disqualified {
    pub trustee: u32,
    pub reason: String,
}

/// The ceremony's verdicts once rounds 1, 2 and 4 are settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdicts {
    pub qualified: Vec<u32>,
    pub disqualified: Vec<Disqualified>,
    pub complaints: Vec<SettledComplaint>,
}

/// `GET E/ceremony`: the parameters, the round open now, who is awaited, completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CeremonyView {
    pub params: ParamsView,
    /// The round open now (1–4), `null` once complete.
    pub round: Option<u8>,
    /// The round of the latest accepted message (the board's own notion).
    pub board_round: u8,
    pub awaiting: Awaiting,
    pub complete: bool,
    /// Ceremony messages accepted so far.
    pub messages: usize,
    /// The announced outcome, once complete.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub key: Option<KeyAnnouncement>,
    /// Board index of the ceremony-complete event.
    pub key_index: Option<u64>,
    /// Why the ceremony cannot complete (too few qualified trustees), once settled.
    pub failure: Option<String>,
    /// Every complaint on the board so far, by dealer then accuser.
    pub complaints: Vec<ComplaintView>,
    /// The verdicts, once rounds 1, 2 and 4 are settled: how each complaint was settled and
    /// which trustees are disqualified, and why (`null` before).
    pub verdicts: Option<Verdicts>,
    /// How long the complaint window (round 3) stays open, in milliseconds.
    pub complaint_window_ms: u64,
}

/// `?from=N` of `GET E/ceremony/messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MessagesQuery {
    /// The first board index (default 0).
    #[serde(default)]
    pub from: u64,
}

/// One item of `GET E/ceremony/messages`: a ceremony message and its board index (borrowed
/// when the server sends it, owned when a client reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView<'a> {
    pub index: u64,
    pub message: Cow<'a, SignedMessage>,
}
