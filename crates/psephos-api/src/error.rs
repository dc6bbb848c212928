//! The error body: every refusal of the API is `{"error": code, "detail": text}` with a
//! status code (`docs/api.md`, "Errors"). The codes are a closed set, [`ErrorCode`]; a client
//! branches on the code, never on the detail, which is for people.

use core::fmt;
use core::str::FromStr;
use serde::{Deserialize, Serialize};

/// A refusal, as every route answers it (4xx and 5xx alike). Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Error))]
pub struct ErrorBody {
    /// The stable, machine-readable code.
    pub error: ErrorCode,
    /// The human-readable reason.
    pub detail: String,
}

/// Every code an error body may carry (the table of `docs/api.md`; a test checks that the
/// server's sources answer exactly these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    BadEncoding,
    BadJson,
    BadRequest,
    BoothMismatch,
    BoothUnavailable,
    Conflict,
    HeadersTooLarge,
    Internal,
    InvalidBallot,
    InvalidDefinition,
    InvalidManifest,
    MalformedRequest,
    MethodNotAllowed,
    NoRoute,
    NotFound,
    NotReplicated,
    OfficialsDisabled,
    OperatorDisabled,
    Overloaded,
    RateLimited,
    Rejected,
    Replayed,
    RequestTimeout,
    RoundNotOpen,
    Timeout,
    TooEarly,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnknownCredential,
    UnsupportedEncoding,
    WrongPhase,
}

impl ErrorCode {
    /// Every code, in alphabetical order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadEncoding,
        ErrorCode::BadJson,
        ErrorCode::BadRequest,
        ErrorCode::BoothMismatch,
        ErrorCode::BoothUnavailable,
        ErrorCode::Conflict,
        ErrorCode::HeadersTooLarge,
        ErrorCode::Internal,
        ErrorCode::InvalidBallot,
        ErrorCode::InvalidDefinition,
        ErrorCode::InvalidManifest,
        ErrorCode::MalformedRequest,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NoRoute,
        ErrorCode::NotFound,
        ErrorCode::NotReplicated,
        ErrorCode::OfficialsDisabled,
        ErrorCode::OperatorDisabled,
        ErrorCode::Overloaded,
        ErrorCode::RateLimited,
        ErrorCode::Rejected,
        ErrorCode::Replayed,
        ErrorCode::RequestTimeout,
        ErrorCode::RoundNotOpen,
        ErrorCode::Timeout,
        ErrorCode::TooEarly,
        ErrorCode::TooLarge,
        ErrorCode::Unauthorized,
        ErrorCode::Unavailable,
        ErrorCode::UnknownCredential,
        ErrorCode::UnsupportedEncoding,
        ErrorCode::WrongPhase,
    ];

    /// The code as it is on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadEncoding => "bad_encoding",
            ErrorCode::BadJson => "bad_json",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BoothMismatch => "booth_mismatch",
            ErrorCode::BoothUnavailable => "booth_unavailable",
            ErrorCode::Conflict => "conflict",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidBallot => "invalid_ballot",
            ErrorCode::InvalidDefinition => "invalid_definition",
            ErrorCode::InvalidManifest => "invalid_manifest",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotReplicated => "not_replicated",
            ErrorCode::OfficialsDisabled => "officials_disabled",
            ErrorCode::OperatorDisabled => "operator_disabled",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Rejected => "rejected",
            ErrorCode::Replayed => "replayed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::RoundNotOpen => "round_not_open",
            ErrorCode::Timeout => "timeout",
            ErrorCode::TooEarly => "too_early",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::UnknownCredential => "unknown_credential",
            ErrorCode::UnsupportedEncoding => "unsupported_encoding",
            ErrorCode::WrongPhase => "wrong_phase",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code that is not one of [`ErrorCode::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown error code {:?}", self.0)
    }
}

impl std::error::Error for UnknownErrorCode {}

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name_and_serde() {
        for c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(*c));
            let json = serde_json::to_string(c).unwrap_or_default();
            assert_eq!(json, format!("\"{c}\""));
        }
        assert!(ErrorCode::ALL
            .windows(2)
            .all(|w| w[0].as_str() < w[1].as_str()));
        assert!("no_such_code".parse::<ErrorCode>().is_err());
    }
}
