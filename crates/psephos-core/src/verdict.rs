//! Verdicts of the known-answer vectors (`tests/vectors/*.json`, `docs/protocol.md` §14): what
//! a verifier must conclude about each case, as stable codes rather than this implementation's
//! English messages, so that another implementation can check itself against the same files.
//!
//! A verdict is the JSON string `"ok"`, or an object `{"reject": code, …}` whose optional
//! fields pin the failure where the protocol names a place: `contest` (position in the ballot,
//! from 0), `option` (position in the contest, from 0), `trustee` (index from 1) and `message`
//! (position in a ceremony log, from 0). Every code comes from a typed error (its `code()`),
//! never from a message.

use crate::ceremony::CeremonyError;
use crate::error::{DecodeError, TallyError, VerifyError};
use crate::mix::MixError;
use serde::{Deserialize, Serialize};

/// The outcome a vector records for one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Verdict {
    /// The case verifies: `"ok"`.
    Ok(Accept),
    /// The case is refused: `{"reject": …}`.
    Reject(Rejection),
}

/// The word `"ok"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Accept {
    #[serde(rename = "ok")]
    Ok,
}

/// Why a case is refused: a stable code and where the failure is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    pub reject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contest: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trustee: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
}

impl Rejection {
    /// A rejection with `code` and no position.
    pub fn code(code: &str) -> Self {
        Rejection {
            reject: code.to_owned(),
            contest: None,
            option: None,
            trustee: None,
            message: None,
        }
    }
}

/// An error that has a stable verdict.
pub trait Coded {
    /// The rejection this error is.
    fn rejection(&self) -> Rejection;
}

impl Verdict {
    /// `"ok"`.
    pub const OK: Verdict = Verdict::Ok(Accept::Ok);

    /// The verdict of a verification result.
    pub fn of<T, E: Coded>(result: &Result<T, E>) -> Verdict {
        match result {
            Ok(_) => Verdict::OK,
            Err(e) => Verdict::Reject(e.rejection()),
        }
    }

    /// `{"reject": "decode"}`: the input is not a valid encoding (bytes, hex or JSON). Where
    /// exactly a decoder notices is left to each implementation.
    pub fn decode() -> Verdict {
        Verdict::Reject(Rejection::code("decode"))
    }

    /// Whether this is `"ok"`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok(_))
    }

    /// The rejection's code, if any.
    pub fn reject(&self) -> Option<&str> {
        match self {
            Verdict::Ok(_) => None,
            Verdict::Reject(r) => Some(&r.reject),
        }
    }
}

impl Coded for DecodeError {
    fn rejection(&self) -> Rejection {
        Rejection::code("decode")
    }
}

impl Coded for VerifyError {
    fn rejection(&self) -> Rejection {
        let (contest, option) = self.position();
        Rejection {
            contest,
            option,
            ..Rejection::code(self.code())
        }
    }
}

impl Coded for TallyError {
    fn rejection(&self) -> Rejection {
        let (trustee, contest, option) = match self {
            TallyError::DuplicateTrustee(t)
            | TallyError::UnknownTrustee(t)
            | TallyError::InvalidShare { trustee: t, .. } => (Some(*t), None, None),
            TallyError::CountOutOfBound {
                contest, option, ..
            } => (None, Some(*contest), Some(*option)),
            _ => (None, None, None),
        };
        Rejection {
            trustee,
            contest,
            option,
            ..Rejection::code(self.code())
        }
    }
}

impl Coded for MixError {
    fn rejection(&self) -> Rejection {
        Rejection::code(self.code())
    }
}

impl Coded for CeremonyError {
    fn rejection(&self) -> Rejection {
        use CeremonyError as E;
        if let E::AtMessage { position, source } = self {
            return Rejection {
                message: Some(*position),
                ..source.rejection()
            };
        }
        let (code, trustee) = match self {
            E::InvalidParams(_) => ("invalid_params", None),
            E::Decode(_) => ("decode", None),
            E::WrongCeremony { .. } => ("wrong_ceremony", None),
            E::UnknownTrustee(t) => ("unknown_trustee", Some(*t)),
            E::BadSignature { from, .. } => ("signature", Some(from.get())),
            E::Replayed { from, .. } => ("replayed", Some(from.get())),
            E::Duplicate { from, .. } => ("duplicate", Some(from.get())),
            E::OutOfRound { from, .. } => ("out_of_round", Some(from.get())),
            E::Malformed { from, .. } => ("malformed", Some(from.get())),
            E::UnsolicitedReveal { from, .. } => ("unsolicited_reveal", Some(from.get())),
            E::OwnMessageMismatch { trustee, .. } => ("own_message_mismatch", Some(trustee.get())),
            E::KeyMismatch { trustee, .. } => ("key_mismatch", Some(trustee.get())),
            E::RoundClosed { .. } => ("round_closed", None),
            E::AlreadySent { trustee, .. } => ("already_sent", Some(trustee.get())),
            E::NoOwnCommitment { trustee } => ("no_own_commitment", Some(trustee.get())),
            E::NotEnoughQualified { .. } => ("not_enough_qualified", None),
            E::Disqualified { trustee, .. } => ("disqualified", Some(trustee.get())),
            E::ShareUnavailable { trustee, .. } => ("share_unavailable", Some(trustee.get())),
            _ => ("ceremony", None),
        };
        Rejection {
            trustee,
            ..Rejection::code(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ProofKind;

    #[test]
    fn verdicts_serialize_as_the_vectors_write_them() {
        let ok: Result<(), VerifyError> = Ok(());
        assert_eq!(serde_json::to_string(&Verdict::of(&ok)).unwrap(), r#""ok""#);
        let bad: Result<(), VerifyError> = Err(VerifyError::Proof {
            kind: ProofKind::Selection,
            contest: Some(0),
            option: Some(2),
        });
        let v = Verdict::of(&bad);
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"{"reject":"selection","contest":0,"option":2}"#);
        assert_eq!(serde_json::from_str::<Verdict>(&text).unwrap(), v);
        assert_eq!(
            serde_json::from_str::<Verdict>(r#""ok""#).unwrap(),
            Verdict::OK
        );
        assert!(serde_json::from_str::<Verdict>(r#""fine""#).is_err());
        assert_eq!(
            serde_json::to_string(&Verdict::decode()).unwrap(),
            r#"{"reject":"decode"}"#
        );
    }
}
