//! Voters' messages: a cast ballot's answer, a tracking-code look-up, a challenge's answer,
//! and "not sealed yet" for a receipt. The ballot and the challenge themselves are the core's
//! `EncryptedBallot` and the record's `Challenged`, in their serde forms.
//!
//! All of these are sent sorted ([`crate::sorted`]).

use psephos_core::ballot::PlaintextBallot;
use psephos_core::hash::Digest;
use serde::{Deserialize, Serialize};

/// `201` to `POST E/ballots`, once the ballot is durably on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotCast {
    /// `XXXX-XXXX-XXXX-XXXX`, from the ballot hash.
    pub tracking_code: String,
    pub ballot_hash: Digest,
    /// The ballot's board index.
    pub index: u64,
    /// The index of the same credential's earlier ballot that this one replaces, if any.
    pub superseded: Option<u64>,
    /// Where its sealed receipt will be: `/api/v1/elections/{election}/receipts/{index}`.
    pub receipt_url: String,
}

/// What became of a ballot found by its tracking code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BallotStatus {
    /// The credential's latest ballot: the one counted.
    Cast,
    /// A later ballot of the same credential replaces it.
    Superseded,
    /// Opened by its voter (Benaloh challenge): never counted.
    Challenged,
}

/// `GET E/ballots/{tracking_code}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackedBallot {
    pub status: BallotStatus,
    pub index: u64,
    pub ballot_hash: Digest,
    pub tracking_code: String,
}

/// `201` to `POST E/challenges`: the challenged ballot's opened choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengePosted {
    pub index: u64,
    pub tracking_code: String,
    pub choices: PlaintextBallot,
}

/// `202` to a receipt asked for before its entry is sealed into a block (`Retry-After: 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotSealed {
    pub index: u64,
    /// Always `false`.
    pub sealed: bool,
    pub detail: String,
}
