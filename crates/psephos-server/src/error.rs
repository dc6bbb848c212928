//! Errors, in two layers. The services (`election`, `cast`, `tally`, `ceremony`, `state`) say
//! *why* something was refused with a [`ServiceError`], which knows nothing of HTTP; the edge
//! maps it to an [`ApiError`] — a status code, a stable machine-readable `error` code and a
//! human `detail` — once, in `impl From<ServiceError> for ApiError`, so that every route answers
//! the same refusal the same way. Internal failures are logged with their cause and answered
//! with a generic message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use psephos_api::{ErrorBody, ErrorCode};
use psephos_board::merkle::MerkleError;
use psephos_board::BoardError;
use psephos_record::{RuleError, RuleErrorKind};
use std::sync::Arc;

/// Why the election service did not do what it was asked; nothing was stored. Cheap to clone
/// (one failed commit is every waiting ballot's answer).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The election's rules refuse the entry (their reason).
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// A ballot (or challenge) whose proofs do not verify.
    #[error("{0}")]
    InvalidBallot(String),
    /// The entry is larger than the board holds.
    #[error("{0}")]
    TooLarge(String),
    /// The board failed, or refused.
    #[error(transparent)]
    Board(Arc<BoardError>),
    /// Not now: `code` is `unavailable` (stopping, the state cannot catch up with the board, an
    /// election that failed to open) or `overloaded` (the queue is full).
    #[error("{detail}")]
    Unavailable { code: &'static str, detail: String },
    /// Not in this state: `code` is `conflict` (the id is taken, another election has this key
    /// ceremony) or `too_early` (the ceremony's schedule).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// No such thing (an election, a result).
    #[error("{0}")]
    NotFound(String),
    /// The operator's routes on a service that hosts a fixed set of elections.
    #[error("this service hosts a fixed set of elections")]
    FixedElections,
    /// The service's own fault; the cause was logged where it happened.
    #[error("{0}")]
    Internal(&'static str),
}

impl From<BoardError> for ServiceError {
    fn from(e: BoardError) -> Self {
        ServiceError::Board(Arc::new(e))
    }
}

impl ServiceError {
    /// Whether the refusal is a 409: the entry may not be posted now or again.
    pub fn is_conflict(&self) -> bool {
        match self {
            ServiceError::Rule(e) => rule_status(e).0 == StatusCode::CONFLICT,
            ServiceError::Conflict { .. } => true,
            _ => false,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Rule(e) => rule_error(e),
            ServiceError::InvalidBallot(d) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ballot", d)
            }
            ServiceError::TooLarge(d) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", d)
            }
            ServiceError::Board(b) => match Arc::try_unwrap(b) {
                Ok(b) => b.into(),
                Err(shared) => board_error(&shared),
            },
            ServiceError::Unavailable { code, detail } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
            }
            ServiceError::Conflict { code, detail } => {
                ApiError::new(StatusCode::CONFLICT, code, detail)
            }
            ServiceError::NotFound(d) => ApiError::not_found(d),
            ServiceError::FixedElections => ApiError::new(
                StatusCode::FORBIDDEN,
                "operator_disabled",
                "this service hosts a fixed set of elections",
            ),
            ServiceError::Internal(d) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", d)
            }
        }
    }
}

/// The status and code of a rule's refusal: 409 for "not now / not again", 403 for an unknown
/// credential, 422 for content that does not verify, 400 for bytes that do not decode.
///
/// A ballot (cast or challenged) that fails any validity check — another election, the wrong
/// style, its shape, its signature, its proofs, its opening — is `invalid_ballot`, whichever
/// stage found it (the intake's raw-JSON checks, the rules, the batch verifier in `cast`);
/// `rejected` is for the other entries the rules refuse.
fn rule_status(e: &RuleError) -> (StatusCode, &'static str) {
    match (e, e.kind()) {
        (RuleError::Decode { .. }, _) => (StatusCode::BAD_REQUEST, "bad_encoding"),
        (RuleError::Phase { .. }, _) => (StatusCode::CONFLICT, "wrong_phase"),
        (RuleError::WrongElection | RuleError::WrongStyle { .. } | RuleError::Ballot(_), _) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ballot")
        }
        // The same entry again: a ballot, a trustee's decryption share, a ceremony message.
        (
            RuleError::Replayed { .. }
            | RuleError::ShareAlreadyPosted { .. }
            | RuleError::Ceremony(psephos_core::ceremony::CeremonyError::Replayed { .. }),
            _,
        ) => (StatusCode::CONFLICT, "replayed"),
        (_, RuleErrorKind::Conflict) => (StatusCode::CONFLICT, "conflict"),
        (_, RuleErrorKind::Forbidden) => (StatusCode::FORBIDDEN, "unknown_credential"),
        (_, RuleErrorKind::Invalid) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
    }
}

/// The HTTP answer for a rejected entry (see [`rule_status`]).
pub fn rule_error(e: RuleError) -> ApiError {
    let (status, code) = rule_status(&e);
    ApiError::new(status, code, e.to_string())
}

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
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

    /// The answer's body (`psephos_api::ErrorBody`).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: error_code(self.code),
            detail: self.detail.clone(),
        }
    }
}

/// The code of the API's closed set named `code`. Every code the sources answer is one of
/// them (a test checks it); were one not, the client would be told `internal` rather than a
/// code it cannot know.
pub fn error_code(code: &str) -> ErrorCode {
    code.parse().unwrap_or_else(|e| {
        tracing::error!(error = %e, "an error code outside psephos_api::ErrorCode");
        ErrorCode::Internal
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status);
        // A read the read replica cannot answer yet: 404, retry shortly.
        if self.code == "not_replicated" {
            answer.insert_header(("retry-after", "1"));
        }
        answer.json(self.body())
    }
}

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        board_error(&e)
    }
}

fn board_error(e: &BoardError) -> ApiError {
    match e {
        BoardError::IndexOutOfRange { .. } | BoardError::UnknownCheckpoint { .. } => {
            ApiError::not_found(e.to_string())
        }
        // A stored node that is missing is the board's fault, not the client's.
        BoardError::Merkle(MerkleError::MissingNode { .. } | MerkleError::TreeFull) => internal(e),
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
        BoardError::NotReplicated { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_replicated",
            format!("{e} (this service reads from a replica of its database)"),
        ),
        BoardError::HeldBySingleWriter { .. } => {
            tracing::error!(error = %e, "a write was refused");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the board refuses writes on this node now; the operator has been told",
            )
        }
        BoardError::Closed => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the board is shutting down",
        ),
        _ => internal(e),
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
