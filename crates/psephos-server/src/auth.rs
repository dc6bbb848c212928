//! Who may do what: the operator's token and each election's officials' token, checked by the
//! extractors [`Operator`] and [`Official`] in the handlers' signatures, and the election a
//! request names ([`ThisElection`]).
//!
//! Two roles hold bearer tokens (`Authorization: Bearer <token>`), each 256 random bits shown
//! once and stored only as its SHA-256, compared in constant time:
//!
//! - the **operator** runs the service: creates elections and issues each election's officials'
//!   token. Generated at the first start of `psephos serve` (table `psephos_operator_token`);
//! - an election's **officials** define it, publish its credentials, open and close it and start
//!   its tally, on *that* election only: another election's token, or the operator's, is
//!   refused there (401) and nothing is stored. An election may have several officials'
//!   tokens (one per person or device, each labelled); the operator lists and revokes them. They
//!   are looked up in the service's catalog at every request ([`crate::catalog`]), so a revoked
//!   token is refused at once by every node sharing the database.
//!
//! Voters never authenticate here (a ballot is authorised by its credential signature) and
//! trustees sign every message with their listed key.

use crate::state::{AppState, HostedElection};
use crate::ApiError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The SHA-256 of a bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash {
    token_hash: [u8; 32],
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl TokenHash {
    /// From the stored hash of the token.
    pub fn from_hash(token_hash: [u8; 32]) -> Self {
        TokenHash { token_hash }
    }

    /// The hash of `token`.
    pub fn of(token: &NewToken) -> Self {
        TokenHash::from_hash(Self::hash_token(token.expose()))
    }

    /// The stored bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.token_hash
    }

    /// The hash to store for `token`.
    pub fn hash_token(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// Whether `token` is the token.
    pub fn accepts(&self, token: &str) -> bool {
        Self::hash_token(token).ct_eq(&self.token_hash).into()
    }
}

/// A freshly generated token: shown once to the operator, never stored or logged.
pub struct NewToken(zeroize::Zeroizing<String>);

impl NewToken {
    /// 256 random bits from the operating system, in hex.
    pub fn generate() -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rand_core_std::RngCore::fill_bytes(&mut rand_core_std::OsRng, bytes.as_mut());
        NewToken(zeroize::Zeroizing::new(hex::encode(bytes.as_ref())))
    }
    /// The token, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewToken(<secret>)")
    }
}

/// The bearer token of `req`, if it has one.
fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
}

fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service state is missing",
        )
    })
}

/// The election named by the path's `{election}` segment (404 if there is none, 503 if it
/// failed to open).
#[derive(Debug, Clone)]
pub struct ThisElection(pub Arc<HostedElection>);

impl std::ops::Deref for ThisElection {
    type Target = HostedElection;
    fn deref(&self) -> &HostedElection {
        &self.0
    }
}

fn this_election(req: &HttpRequest) -> Result<Arc<HostedElection>, ApiError> {
    let state = app_state(req)?;
    let slug = req
        .match_info()
        .get("election")
        .ok_or_else(|| ApiError::not_found("this route names no election"))?;
    Ok(state.election(slug)?)
}

impl FromRequest for ThisElection {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(this_election(req).map(ThisElection))
    }
}

/// A request made by the officials of the election it names: that election's officials'
/// token. 404 for an unknown election, 401 for a missing token or any other token (another
/// election's, the operator's), 403 if the election has no officials' token.
#[derive(Debug, Clone)]
pub struct Official(pub Arc<HostedElection>);

impl std::ops::Deref for Official {
    type Target = HostedElection;
    fn deref(&self) -> &HostedElection {
        &self.0
    }
}

async fn official(req: HttpRequest) -> Result<Official, ApiError> {
    let election = this_election(&req)?;
    if !election.has_officials() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "officials_disabled",
            "this election has no officials' token: its officials' routes are disabled",
        ));
    }
    let Some(token) = bearer(&req) else {
        return Err(unauthorized(
            "this action needs the election officials' token (Authorization: Bearer …)",
        ));
    };
    if election.accepts_official(token).await? {
        Ok(Official(election))
    } else {
        Err(unauthorized(&format!(
            "the token is not a valid officials' token of election {} (another election's, \
             the operator's, or revoked)",
            election.slug
        )))
    }
}

impl FromRequest for Official {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(official(req.clone()))
    }
}

/// A request made by the service's operator: the operator's token. 401 for a missing or wrong
/// token, 403 if the service runs without an operator token (`--no-operator`).
#[derive(Debug, Clone, Copy)]
pub struct Operator;

fn operator(req: &HttpRequest) -> Result<Operator, ApiError> {
    let state = app_state(req)?;
    let Some(hash) = &state.operator else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "operator_disabled",
            "this service was started without an operator token",
        ));
    };
    match bearer(req) {
        Some(token) if hash.accepts(token) => Ok(Operator),
        Some(_) => Err(unauthorized("the operator token is not valid")),
        None => Err(unauthorized(
            "this action needs the operator token (Authorization: Bearer …)",
        )),
    }
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(operator(req))
    }
}
