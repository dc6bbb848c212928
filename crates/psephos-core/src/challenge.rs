//! Benaloh cast-or-challenge (`docs/protocol.md`, §8.5).
//!
//! Before casting, a voter may *challenge* an encrypted ballot: the device reveals every option's
//! value and nonce. Anyone — the voter on a second device, an observer — re-encrypts the values
//! with the nonces and checks that the result is exactly the published ciphertexts, then reads the
//! choices. A device that encrypted something else than what the voter chose is caught with the
//! probability that the voter challenges. A challenged ballot is published, never counted, and its
//! tracking code can never be cast afterwards (the device must encrypt afresh).

use crate::ballot::{
    verify_ballot, BallotSecrets, EncryptedBallot, PlaintextBallot, PlaintextContest,
    VerifiedBallot,
};
use crate::election::Election;
use crate::elgamal::Ciphertext;
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use crate::group::serde_scalar;
use crate::hash::Digest;
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};

/// The opening of one option: its value and its encryption nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedOption {
    pub value: u64,
    #[serde(with = "serde_scalar")]
    pub nonce: Scalar,
}

/// The opening of a challenged ballot, identified by its ballot hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeReveal {
    pub ballot: Digest,
    /// `contests[i][j]`: option `j` of the `i`-th contest of the ballot's style.
    pub contests: Vec<Vec<RevealedOption>>,
}

impl BallotSecrets {
    /// Opens the ballot for a challenge. After this the ballot must never be cast.
    pub fn reveal(&self, ballot: &EncryptedBallot) -> ChallengeReveal {
        ChallengeReveal {
            ballot: ballot.hash(),
            contests: self
                .contests
                .iter()
                .map(|c| {
                    c.iter()
                        .map(|&(value, nonce)| RevealedOption { value, nonce })
                        .collect()
                })
                .collect(),
        }
    }
}

/// Checks that `ballot` verifies, that `reveal` opens it, and returns the choices it contains.
pub fn check_challenge(
    election: &Election,
    ballot: &EncryptedBallot,
    reveal: &ChallengeReveal,
) -> Result<PlaintextBallot, VerifyError> {
    let verified = verify_ballot(election, ballot.clone())?;
    check_opening(election, &verified, reveal)
}

/// The second half of [`check_challenge`], for a ballot whose signature and proofs the caller
/// verified (alone, or in a batch with [`crate::ballot::verify_ballots`]): `reveal` opens it,
/// and the choices it contains are a valid plaintext ballot, returned.
pub fn check_opening(
    election: &Election,
    verified: &VerifiedBallot,
    reveal: &ChallengeReveal,
) -> Result<PlaintextBallot, VerifyError> {
    let ballot = verified.ballot();
    if &reveal.ballot != verified.hash() || reveal.contests.len() != ballot.contests.len() {
        return Err(VerifyError::ChallengeMismatch);
    }
    let mut contests = Vec::with_capacity(ballot.contests.len());
    for (ec, opened) in ballot.contests.iter().zip(&reveal.contests) {
        if ec.ciphertexts.len() != opened.len() {
            return Err(VerifyError::ChallengeMismatch);
        }
        for (ct, o) in ec.ciphertexts.iter().zip(opened) {
            if Ciphertext::encrypt(election.key(), &Scalar::from(o.value), &o.nonce) != *ct {
                return Err(VerifyError::ChallengeMismatch);
            }
        }
        contests.push(PlaintextContest {
            contest: ec.contest.clone(),
            values: opened.iter().map(|o| o.value).collect(),
        });
    }
    let plaintext = PlaintextBallot {
        style: ballot.style.clone(),
        contests,
    };
    plaintext
        .validate(election.manifest())
        .map_err(VerifyError::ChallengePlaintext)?;
    Ok(plaintext)
}

impl Canonical for RevealedOption {
    const MIN_ENCODED_LEN: usize = 40;
    fn encode(&self, w: &mut Writer) {
        w.u64(self.value).scalar(&self.nonce);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(RevealedOption {
            value: r.u64()?,
            nonce: r.scalar()?,
        })
    }
}

struct OptionList(Vec<RevealedOption>);

impl Canonical for OptionList {
    const MIN_ENCODED_LEN: usize = 4;
    fn encode(&self, w: &mut Writer) {
        w.seq(&self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OptionList(r.seq(crate::election::MAX_OPTIONS)?))
    }
}

impl Canonical for ChallengeReveal {
    const MIN_ENCODED_LEN: usize = 36;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.ballot).len(self.contests.len());
        for c in &self.contests {
            w.seq(c);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ballot = r.digest()?;
        let lists: Vec<OptionList> = r.seq(crate::election::MAX_CONTESTS)?;
        Ok(ChallengeReveal {
            ballot,
            contests: lists.into_iter().map(|l| l.0).collect(),
        })
    }
}
