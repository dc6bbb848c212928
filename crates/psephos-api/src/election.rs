//! An election's lifecycle (`/api/v1/elections/{election}…`, `E` below): what its officials
//! send, and what everybody reads about it.
//!
//! All of these are sent sorted ([`crate::sorted`]).

use psephos_core::election::Manifest;
use psephos_core::hash::Digest;
use psephos_record::booth::BoothManifestJson;
use psephos_record::{Counts, KeyAnnouncement, Phase};
use serde::{Deserialize, Serialize};

/// A trustee as the officials list them when defining the election (index order 1 … n).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrusteeKeys {
    pub name: String,
    /// Ed25519 public key, hex: signs every ceremony message and decryption share.
    pub signing_key: String,
    /// Ristretto255 public key, hex: dealt shares are encrypted to it.
    pub ceremony_key: String,
}

/// `POST E/definition` (officials): the manifest and the trustees' public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DefineElection {
    /// The manifest, TOML (`docs/manifest.md`).
    pub manifest_toml: String,
    pub trustees: Vec<TrusteeKeys>,
}

/// `201` to `POST E/definition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Defined {
    /// The definition's board index.
    pub index: u64,
    pub manifest_hash: Digest,
    pub ceremony_id: Digest,
}

/// A trustee as the board's definition names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrusteeView {
    pub index: u32,
    pub name: String,
    /// Ed25519 public key, hex.
    pub signing_key: String,
    /// Ristretto255 public key, hex.
    pub ceremony_key: String,
}

/// The ceremony's parameters in `GET E`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CeremonySummary {
    pub id: Digest,
    pub count: u32,
    pub threshold: u32,
    pub trustees: Vec<TrusteeView>,
}

/// The board in `GET E`: its identity and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardSummary {
    pub origin: String,
    pub size: u64,
    pub verifier_key: String,
}

/// `GET E`: the definition, the ceremony's parameters, the joint key once announced, the
/// counts and the board (404 before the election is defined).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionView {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phase: Phase,
    /// The manifest (`docs/manifest.md`), in its JSON form.
    pub manifest: Manifest,
    pub manifest_hash: Digest,
    pub ceremony: CeremonySummary,
    /// The key announcement, once the ceremony is complete (`null` before).
    pub key: Option<KeyAnnouncement>,
    pub counts: Counts,
    pub board: BoardSummary,
}

/// Who is awaited in each round with messages, in `GET E/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AwaitingByRound {
    /// Round 1, commitments.
    #[serde(rename = "1")]
    pub commitments: Vec<u32>,
    /// Round 2, shares.
    #[serde(rename = "2")]
    pub shares: Vec<u32>,
    /// Round 4, reveals.
    #[serde(rename = "4")]
    pub reveals: Vec<u32>,
}

/// The ceremony's progress in `GET E/status` (during the ceremony only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CeremonyProgress {
    /// The round of the latest accepted message (1–4).
    pub round: u8,
    /// Ceremony messages accepted so far.
    pub accepted: usize,
    /// Who is awaited in `round`.
    pub awaiting: Vec<u32>,
    pub awaiting_by_round: AwaitingByRound,
}

/// `GET E/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionStatus {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phase: Phase,
    pub counts: Counts,
    /// `null` outside the ceremony phase.
    pub ceremony: Option<CeremonyProgress>,
    pub board_size: u64,
}

/// `GET E/officials` (officials): the console's sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficialsView {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phase: Phase,
}

/// `200` to `POST E/credentials` (officials; the body is a `CredentialList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsPosted {
    /// The board indices of the list's entries.
    pub entries: Vec<u64>,
    /// How many credentials were published.
    pub credentials: usize,
    /// Most credentials in one entry.
    pub per_entry: usize,
}

/// `GET E/credentials/{credential}`: a listed credential's ballot style and weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialView {
    pub style: String,
    pub weight: u64,
}

/// An entry posted on the board: its index (`E/open`, `E/close`, `E/ceremony/messages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Posted {
    pub index: u64,
}

/// `200` to `POST E/ceremony/complete` (officials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CeremonyCompleted {
    pub index: u64,
    /// The key announcement posted.
    pub key: Option<KeyAnnouncement>,
}

/// `POST E/booth` (officials; the body may be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostBooth {
    /// The manifest hash (hex) the officials expect, from their own reproducible build: the
    /// service posts nothing unless it serves exactly that booth.
    #[serde(default)]
    pub hash: Option<String>,
}

/// `200` to `POST E/booth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoothPosted {
    /// The board index of the booth manifest.
    pub index: u64,
    /// Whether this request posted it (false: the board already held exactly it).
    pub posted: bool,
    /// Its hash, hex.
    pub hash: String,
}

/// The booth manifest on the board, with its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostedBooth {
    pub index: u64,
    pub manifest: BoothManifestJson,
}

/// `GET E/booth`: the booth manifest on the board and the one this service serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoothView {
    /// `null` before the officials post it.
    pub posted: Option<PostedBooth>,
    pub served: BoothManifestJson,
    /// Whether they are the same (`null` while none is posted).
    pub matches: Option<bool>,
}

/// `GET E/health` (503 while stopping or tampered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionHealth {
    pub status: crate::service::ElectionState,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phase: Phase,
    pub board_size: u64,
    pub tamper_check: crate::service::TamperCheckState,
    /// The board's last background failure (sealing, the tamper check), if any.
    pub background_error: Option<String>,
}
