//! Officials' authentication: one admin bearer token.
//!
//! The token is generated at the first start, printed once, and only its SHA-256 is kept; a
//! request proves it holds the token with `Authorization: Bearer <token>`. The comparison is
//! constant-time on the hashes. Voters never authenticate here (a ballot is authorised by its
//! credential signature) and trustees sign every message with their listed key.

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 of the admin token.
#[derive(Clone)]
pub struct AdminAuth {
    token_hash: [u8; 32],
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminAuth(..)")
    }
}

impl AdminAuth {
    /// From the stored hash of the token.
    pub fn from_hash(token_hash: [u8; 32]) -> Self {
        AdminAuth { token_hash }
    }

    /// The hash to store for `token`.
    pub fn hash_token(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// Whether `token` is the admin token.
    pub fn accepts(&self, token: &str) -> bool {
        Self::hash_token(token).ct_eq(&self.token_hash).into()
    }

    /// Checks the request's bearer token: 401 with a clear message otherwise.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match header.and_then(|h| h.strip_prefix("Bearer ")) {
            Some(token) if self.accepts(token.trim()) => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin token is not valid",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this action needs the officials' admin token (Authorization: Bearer …)",
            )),
        }
    }
}
