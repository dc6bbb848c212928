//! The service's own messages, outside every election: the list of elections, what the
//! operator does (`/api/v1/elections`, `…/officials-token`), health and readiness.
//!
//! All of these are sent sorted ([`crate::sorted`]).

use psephos_record::Phase;
use serde::{Deserialize, Serialize};

/// Whether an election is in the service's public list. An unlisted election is served all the
/// same to whoever knows its id: its board is as public as any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
}

impl Visibility {
    /// The name on the wire and in the service's catalog.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
        }
    }

    /// The visibility of that name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            _ => None,
        }
    }
}

/// `POST /api/v1/elections` (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateElection {
    /// The election's id in the service: its slug (`a-z`, `0-9`, `-`, at most 40).
    pub id: String,
    /// `public` (default: in the list) or `unlisted`.
    #[serde(default)]
    pub visibility: Visibility,
}

/// Whether a listed election's board opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListedStatus {
    Ok,
    /// The board did not open (its `E/health` and the service's `/health` say why).
    Failed,
}

/// One item of `GET /api/v1/elections`: a public election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedElection {
    pub id: String,
    /// The board's origin: `<service origin>/<id>`.
    pub origin: String,
    /// The board's verifier key (C2SP note verifier key).
    pub verifier_key: String,
    /// `null` for an election whose board failed to open.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phase: Option<Phase>,
    pub status: ListedStatus,
}

/// `201` to `POST /api/v1/elections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionCreated {
    pub id: String,
    pub origin: String,
    pub verifier_key: String,
    pub visibility: Visibility,
    /// The officials' bearer token, shown this once (the service keeps only its SHA-256).
    pub officials_token: String,
}

/// `200` to `POST /api/v1/elections/{election}/officials-token` (operator): a new officials'
/// token, which replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsToken {
    pub id: String,
    pub officials_token: String,
}

/// `POST /api/v1/elections/{election}/officials/tokens` (operator): one more officials' token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddOfficialsToken {
    /// Who holds the token (at most 100 characters, one line); shown in the list.
    #[serde(default)]
    pub label: String,
}

/// One officials' token as the operator sees it: never the token, nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsTokenInfo {
    /// The token's id in the service (what the operator revokes).
    pub token_id: i64,
    /// The operator's name for it (who holds it).
    pub label: String,
    /// When it was issued (milliseconds since the Unix epoch).
    pub created_ms: i64,
    /// When it was revoked; `None` while it is valid.
    pub revoked_ms: Option<i64>,
}

/// `200` to `GET /api/v1/elections/{election}/officials/tokens` (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsTokens {
    pub id: String,
    pub tokens: Vec<OfficialsTokenInfo>,
}

/// `201` to `POST /api/v1/elections/{election}/officials/tokens` (operator): the new token,
/// shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsTokenIssued {
    pub id: String,
    pub token_id: i64,
    pub label: String,
    pub officials_token: String,
}

/// `200` to `DELETE /api/v1/elections/{election}/officials/tokens/{token_id}` (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsTokenRevoked {
    pub id: String,
    pub token: OfficialsTokenInfo,
}

/// The state of a board's tamper check (`protocol.md` §10.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TamperCheckState {
    NotRun,
    Running,
    Passed,
    Failed,
}

impl TamperCheckState {
    /// The name on the wire (and in the metrics' labels).
    pub fn name(self) -> &'static str {
        match self {
            TamperCheckState::NotRun => "not_run",
            TamperCheckState::Running => "running",
            TamperCheckState::Passed => "passed",
            TamperCheckState::Failed => "failed",
        }
    }
}

/// How an election is: serving, stopping, or its board failed its tamper check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ElectionState {
    Ok,
    Stopping,
    Tampered,
}

/// One election in `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum HostedHealth {
    /// Its board is open.
    Open {
        status: ElectionState,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        phase: Phase,
        board_size: u64,
        tamper_check: TamperCheckState,
        sealed_size: u64,
        /// Several nodes share the board (PostgreSQL).
        shared: bool,
        /// This node seals the board's blocks.
        sealer: bool,
        node: String,
    },
    /// Its board failed to open (`status` is `failed`).
    Failed { status: String, error: String },
}

/// The service's own state in `GET /health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Ok,
    Stopping,
}

/// `GET /health` (503 while stopping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceHealth {
    pub status: ServiceState,
    /// Every hosted election by id.
    pub elections: std::collections::BTreeMap<String, HostedHealth>,
}

/// `GET /ready`: 200 `{ready: true}`, or 503 `{ready: false, reason}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ready {
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
