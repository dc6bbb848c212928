//! The voting booth's cryptography: credential codes, ballot encryption, and Benaloh
//! cast-or-challenge (`docs/protocol.md` §7, §8).
//!
//! A [`Booth`] lives in the booth's Web Worker. It encrypts the voter's choices, signs the
//! ballot with the credential, and keeps the ballot's secrets — every option's value and
//! encryption nonce — in wasm memory, never in JavaScript, until the voter decides: a
//! *challenge* releases them once (the ballot is then spoiled and can never be cast), a *cast*
//! or a new encryption drops them (zeroized). The credential secret is dropped as soon as the
//! ballot is signed.

use psephos_core::ballot::{
    encrypt_ballot, BallotSecrets, EncryptedBallot, PlaintextBallot, TrackingCode,
};
use psephos_core::challenge::ChallengeReveal;
use psephos_core::credential::{CredentialCode, CredentialError};
use rand_core::{CryptoRng, RngCore};
use serde::Serialize;

use crate::election::ElectionInfo;
use crate::error::Error;

/// The verdict on a typed credential code, for live feedback as the voter types.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CodeCheck {
    /// Fewer symbols than a code has, so far; no error yet (unless a bad character).
    Incomplete { symbols: usize, expected: usize },
    /// More symbols than a code has.
    TooLong { symbols: usize, expected: usize },
    /// A character that never occurs in codes, at this 1-based symbol position.
    BadCharacter { position: usize, character: String },
    /// The right length but the checksum does not match: a typing mistake.
    Checksum,
    /// A well-formed code.
    Valid,
}

/// Checks a code as typed so far (case-insensitive; dashes and spaces ignored; `O`, `I`, `L`
/// read as `0`, `1`, `1`).
pub fn check_code(input: &str) -> CodeCheck {
    match CredentialCode::parse(input) {
        Ok(_) => CodeCheck::Valid,
        Err(CredentialError::InvalidCharacter {
            position,
            character,
        }) => CodeCheck::BadCharacter {
            position,
            character: character.to_string(),
        },
        Err(CredentialError::WrongLength { expected, got }) => {
            // A bad character among the symbols typed so far is worth saying at once.
            if let Err(CredentialError::InvalidCharacter {
                position,
                character,
            }) = CredentialCode::parse(&pad_to(input, expected))
            {
                return CodeCheck::BadCharacter {
                    position,
                    character: character.to_string(),
                };
            }
            if got < expected {
                CodeCheck::Incomplete {
                    symbols: got,
                    expected,
                }
            } else {
                CodeCheck::TooLong {
                    symbols: got,
                    expected,
                }
            }
        }
        Err(_) => CodeCheck::Checksum,
    }
}

/// `input`'s symbols, truncated or padded with `0` to `n` symbols (to find bad characters).
fn pad_to(input: &str, n: usize) -> String {
    let mut s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .take(n)
        .collect();
    while s.chars().count() < n {
        s.push('0');
    }
    s
}

/// The public credential `C = c·G` (hex) of a code in an election: what the booth looks up on
/// the server to learn the voter's ballot style. The secret never leaves the device.
pub fn public_credential(code: &str, election_id: &str) -> Result<String, Error> {
    let code = CredentialCode::parse(code)?;
    Ok(code.secret(election_id).public().to_hex())
}

/// What the booth shows and posts after an encryption.
#[derive(Debug, Serialize)]
pub struct Encrypted {
    pub tracking_code: String,
    pub ballot_hash: String,
    /// The ballot, as `POST /api/v1/elections/{election}/ballots` takes it.
    pub ballot: EncryptedBallot,
}

/// The body of `POST /api/v1/elections/{election}/challenges`.
#[derive(Debug, Serialize)]
pub struct ChallengeBody {
    pub ballot: EncryptedBallot,
    pub reveal: ChallengeReveal,
}

/// An encrypted ballot and its secrets, held until cast or challenge.
struct Held {
    ballot: EncryptedBallot,
    /// `None` once revealed for a challenge.
    secrets: Option<BallotSecrets>,
}

/// The booth of one election. Holds at most one encrypted ballot at a time.
pub struct Booth {
    info: ElectionInfo,
    held: Option<Held>,
}

impl std::fmt::Debug for Booth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Booth")
            .field("election", &self.info.manifest.id)
            .field("holds_ballot", &self.held.is_some())
            .finish()
    }
}

impl Booth {
    /// A booth for the election described by `GET /api/v1/elections/{election}` (checked; the key must
    /// have been announced).
    pub fn new(election_json: &str) -> Result<Self, Error> {
        let info = ElectionInfo::parse(election_json)?;
        info.election()?;
        Ok(Booth { info, held: None })
    }

    pub fn info(&self) -> &ElectionInfo {
        &self.info
    }

    /// Encrypts `choices` (a [`PlaintextBallot`] as JSON) with credential `code`. Replaces (and
    /// zeroizes) any ballot held before.
    pub fn encrypt<R: RngCore + CryptoRng>(
        &mut self,
        code: &str,
        choices_json: &str,
        rng: &mut R,
    ) -> Result<Encrypted, Error> {
        self.held = None;
        let election = self.info.election()?;
        let choices: PlaintextBallot =
            serde_json::from_str(choices_json).map_err(Error::json("choices"))?;
        let credential = CredentialCode::parse(code)?.secret(&election.manifest().id);
        let (ballot, secrets) = encrypt_ballot(election, &credential, &choices, rng)?;
        drop(credential);
        let hash = ballot.hash();
        let out = Encrypted {
            tracking_code: TrackingCode::of(&hash).to_string(),
            ballot_hash: hash.to_hex(),
            ballot: ballot.clone(),
        };
        self.held = Some(Held {
            ballot,
            secrets: Some(secrets),
        });
        Ok(out)
    }

    /// Opens the held ballot for a challenge: the body to post. The secrets leave wasm memory
    /// once; from now on the ballot can never be cast by this booth.
    pub fn challenge(&mut self) -> Result<ChallengeBody, Error> {
        let held = self.held.as_mut().ok_or(Error::NoBallot)?;
        let secrets = held.secrets.take().ok_or(Error::Challenged)?;
        Ok(ChallengeBody {
            reveal: secrets.reveal(&held.ballot),
            ballot: held.ballot.clone(),
        })
    }

    /// The held ballot, to cast; refuses a challenged ballot.
    pub fn ballot_to_cast(&self) -> Result<&EncryptedBallot, Error> {
        let held = self.held.as_ref().ok_or(Error::NoBallot)?;
        if held.secrets.is_none() {
            return Err(Error::Challenged);
        }
        Ok(&held.ballot)
    }

    /// Drops the held ballot and its secrets (after a cast, or when the voter starts again).
    pub fn forget(&mut self) {
        self.held = None;
    }
}
