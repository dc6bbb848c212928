//! What can go wrong in the browser's calls, with a stable code for the page to translate and
//! a detail for the curious. Every input comes from the network or the voter, so nothing here
//! panics: a malformed answer from the server is an error the page shows.

use thiserror::Error;

/// An error of one exported call.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The server's answer or the page's input is not the JSON we expect.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// The election the server describes is inconsistent (hashes or key do not match).
    #[error("the election does not check out: {0}")]
    Election(String),
    /// The election has no joint key yet (the key ceremony is not over).
    #[error("the election key has not been announced yet")]
    NoKey,
    /// The credential code is not valid.
    #[error("invalid credential: {0}")]
    Credential(#[from] psephos_core::credential::CredentialError),
    /// The choices break a contest rule.
    #[error("invalid choices: {0}")]
    Choices(#[from] psephos_core::error::PlaintextError),
    /// No ballot is held (none encrypted, or already cast, challenged or forgotten).
    #[error("no encrypted ballot is held: encrypt your choices first")]
    NoBallot,
    /// The held ballot was opened for a challenge and must never be cast.
    #[error(
        "this ballot was opened for a challenge: it can never be cast; encrypt your choices again"
    )]
    Challenged,
    /// A proof, signature or opening does not verify.
    #[error("{0}")]
    Verify(String),
}

impl Error {
    /// A short stable code for the page (`web/strings.js` translates it).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "malformed",
            Error::Election(_) => "election",
            Error::NoKey => "no_key",
            Error::Credential(_) => "credential",
            Error::Choices(_) => "choices",
            Error::NoBallot => "no_ballot",
            Error::Challenged => "challenged",
            Error::Verify(_) => "verify",
        }
    }

    pub(crate) fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
        move |e| Error::Malformed {
            what,
            detail: e.to_string(),
        }
    }
}
