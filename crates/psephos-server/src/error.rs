//! API errors: a status code, a stable machine-readable `error` code and a human `detail`.
//! Internal failures are logged with their cause and answered with a generic message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use psephos_board::merkle::MerkleError;
use psephos_board::BoardError;
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    detail: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(Body {
            error: self.code,
            detail: &self.detail,
        })
    }
}

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        match &e {
            BoardError::IndexOutOfRange { .. } | BoardError::UnknownCheckpoint { .. } => {
                ApiError::not_found(e.to_string())
            }
            // A stored node that is missing is the board's fault, not the client's.
            BoardError::Merkle(MerkleError::MissingNode { .. } | MerkleError::TreeFull) => {
                internal(&e)
            }
            BoardError::Entry(_)
            | BoardError::BatchTooLarge { .. }
            | BoardError::Merkle(_)
            | BoardError::SizeBeyondTree { .. }
            | BoardError::MalformedCosignature(_)
            | BoardError::UnknownWitness { .. }
            | BoardError::BadCosignature { .. } => ApiError::bad_request(e.to_string()),
            BoardError::TamperCheckFailed(_) => {
                tracing::error!(error = %e, "a write was refused: the board failed its tamper check");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the board refuses writes: its stored log failed the tamper check; the operator has been told",
                )
            }
            BoardError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the board is shutting down",
            ),
            _ => internal(&e),
        }
    }
}

fn internal(e: &BoardError) -> ApiError {
    tracing::error!(error = %e, "board failure");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the board could not answer; the operator has been told",
    )
}
