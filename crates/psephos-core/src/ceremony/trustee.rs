//! One trustee's side of the ceremony: the public [`CeremonyState`] plus the private keys and
//! polynomial, producing this trustee's messages round by round (§9.5).
//!
//! Messages this trustee produces are *not* recorded when produced: they count once the board
//! has accepted them and they come back through [`Trustee::receive`], like everyone else's. The
//! board's order is the only history, so a trustee, an observer and a resumed trustee all see
//! the same one.

use super::encryption::Polynomial;
use super::messages::{
    Commitment, Complaint, ComplaintReason, EncryptedShare, EncryptedShares, Message, Reveal,
    Round, SignedMessage,
};
use super::params::{CeremonyParams, CeremonySecretKey, TrusteeIndex};
use super::state::{CeremonyState, Disqualification, Slot};
use super::CeremonyError;
use super::ShareDecryptionError;
use crate::group::Point;
use crate::threshold::{verify_share, SecretShare};
use ed25519_dalek::SigningKey;
use rand_core::{CryptoRng, RngCore};

/// What a trustee takes away from a successful ceremony.
#[derive(Debug, Clone)]
pub struct TrusteeOutcome {
    /// This trustee's index.
    pub index: TrusteeIndex,
    pub qualified: Vec<TrusteeIndex>,
    pub disqualified: Vec<(TrusteeIndex, Disqualification)>,
    /// The joint election key `K`.
    pub joint_key: Point,
    /// The verification keys `V_j` of the qualified trustees.
    pub verification_keys: Vec<(TrusteeIndex, Point)>,
    /// This trustee's secret share `s_j = Σ_{i∈Q} f_i(j)`, with `s_j·G = V_j`. Secret.
    pub secret_share: SecretShare,
}

/// A trustee in a ceremony. Holds secrets: zeroized on drop (through its fields), never printed.
pub struct Trustee {
    state: CeremonyState,
    me: TrusteeIndex,
    signing_key: SigningKey,
    secret: CeremonySecretKey,
    polynomial: Polynomial,
    commitments: Vec<Point>,
}

impl std::fmt::Debug for Trustee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trustee")
            .field("index", &self.me)
            .field("ceremony", self.state.params().id())
            .field("phase", &self.state.phase())
            .field("accepted", &self.state.accepted())
            .finish_non_exhaustive()
    }
}

impl Trustee {
    /// Trustee `me` of the ceremony `params`, with its long-term signing key and its ceremony
    /// secret; both must match the public keys registered in `params`. Its polynomial is derived
    /// from the two keys and the ceremony id, so nothing else needs to be kept.
    pub fn new(
        params: CeremonyParams,
        me: TrusteeIndex,
        signing_key: SigningKey,
        ceremony_secret: CeremonySecretKey,
    ) -> Result<Self, CeremonyError> {
        let public = params
            .index(me.get())
            .and_then(|i| params.trustee(i))
            .ok_or(CeremonyError::UnknownTrustee(me.get()))?;
        if signing_key.verifying_key() != public.signing_key {
            return Err(CeremonyError::KeyMismatch {
                trustee: me,
                what: "signing key",
            });
        }
        if ceremony_secret.public_key() != public.ceremony_key {
            return Err(CeremonyError::KeyMismatch {
                trustee: me,
                what: "ceremony secret",
            });
        }
        let polynomial = Polynomial::derive(
            params.id(),
            me,
            params.threshold(),
            &ceremony_secret,
            &signing_key,
        );
        let commitments = polynomial.commitments();
        Ok(Trustee {
            state: CeremonyState::new(params),
            me,
            signing_key,
            secret: ceremony_secret,
            polynomial,
            commitments,
        })
    }

    /// Rebuilds an interrupted trustee: [`Trustee::new`], then every board message in board
    /// order (this trustee's own included). The result is the state the trustee had (or would
    /// have had) after seeing those messages live; it then carries on with the next round.
    pub fn replay<'a, I>(
        params: CeremonyParams,
        me: TrusteeIndex,
        signing_key: SigningKey,
        ceremony_secret: CeremonySecretKey,
        messages: I,
    ) -> Result<Self, CeremonyError>
    where
        I: IntoIterator<Item = &'a SignedMessage>,
    {
        let mut t = Trustee::new(params, me, signing_key, ceremony_secret)?;
        for (position, m) in messages.into_iter().enumerate() {
            t.receive(m).map_err(|e| e.at(position))?;
        }
        Ok(t)
    }

    pub fn index(&self) -> TrusteeIndex {
        self.me
    }

    pub fn params(&self) -> &CeremonyParams {
        self.state.params()
    }

    /// The public state (what the board holds), identical to an observer's.
    pub fn state(&self) -> &CeremonyState {
        &self.state
    }

    /// Takes a board message (this trustee's own too). Rejections are those of
    /// [`CeremonyState::receive`], plus [`CeremonyError::OwnMessageMismatch`] for a commitment
    /// signed with this trustee's key that is not its own; on error nothing changes.
    pub fn receive(&mut self, msg: &SignedMessage) -> Result<(), CeremonyError> {
        let checked = self.state.check(msg)?;
        if let Message::Commitment(c) = &msg.message {
            if c.from == self.me && c.coefficients != self.commitments {
                return Err(CeremonyError::OwnMessageMismatch {
                    trustee: self.me,
                    round: Round::Commitments,
                });
            }
        }
        self.state.apply(checked);
        Ok(())
    }

    fn open(&self, round: Round) -> Result<(), CeremonyError> {
        let phase = self.state.phase();
        if phase > round {
            return Err(CeremonyError::RoundClosed { round, phase });
        }
        Ok(())
    }

    fn sign(&self, m: Message) -> SignedMessage {
        m.sign(self.state.params().id(), &self.signing_key)
    }

    /// Round 1: the commitment to this trustee's polynomial with its coefficient proofs.
    pub fn round1<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<SignedMessage, CeremonyError> {
        self.open(Round::Commitments)?;
        if self.state.has(Slot::Commitment(self.me)) {
            return Err(CeremonyError::AlreadySent {
                trustee: self.me,
                round: Round::Commitments,
            });
        }
        let id = self.state.params().id();
        Ok(self.sign(Message::Commitment(Commitment {
            from: self.me,
            proofs: self.polynomial.proofs(id, self.me, &self.commitments, rng),
            coefficients: self.commitments.clone(),
        })))
    }

    /// Round 2: `f_me(j)` for every other trustee `j`, encrypted to `j`'s ceremony key. Needs
    /// this trustee's valid commitment on the board.
    pub fn round2<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<SignedMessage, CeremonyError> {
        self.open(Round::Shares)?;
        if !self.state.has_valid_commitment(self.me) {
            return Err(CeremonyError::NoOwnCommitment { trustee: self.me });
        }
        if self.state.has(Slot::Shares(self.me)) {
            return Err(CeremonyError::AlreadySent {
                trustee: self.me,
                round: Round::Shares,
            });
        }
        let params = self.state.params();
        let shares = params
            .trustees()
            .iter()
            .filter(|t| t.index != self.me)
            .map(|t| {
                let share = self.polynomial.evaluate(t.index);
                let e = EncryptedShare::encrypt(
                    params.id(),
                    self.me,
                    t.index,
                    &t.ceremony_key,
                    &share,
                    rng,
                );
                (t.index, e)
            })
            .collect();
        Ok(self.sign(Message::EncryptedShares(EncryptedShares {
            from: self.me,
            shares,
        })))
    }

    /// Round 3: a complaint against every dealer with a valid commitment whose share for this
    /// trustee is missing, does not decrypt, is not canonical or fails the Feldman check (and
    /// that this trustee has not complained about yet). Call it once round 2 is closed: a
    /// dealer whose shares arrive later is complained about as missing.
    pub fn round3(&self) -> Result<Vec<SignedMessage>, CeremonyError> {
        self.open(Round::Complaints)?;
        let complaints = self
            .state
            .params()
            .indices()
            .filter(|&dealer| {
                dealer != self.me
                    && self.state.has_valid_commitment(dealer)
                    && !self.state.has(Slot::Complaint(self.me, dealer))
            })
            .filter_map(|dealer| {
                self.share_from(dealer).err().map(|reason| {
                    self.sign(Message::Complaint(Complaint {
                        from: self.me,
                        against: dealer,
                        reason,
                    }))
                })
            })
            .collect();
        Ok(complaints)
    }

    /// Round 4: reveals `f_me(j)` for every trustee `j` that complained about this trustee (and
    /// that it has not answered yet).
    pub fn round4(&self) -> Result<Vec<SignedMessage>, CeremonyError> {
        self.open(Round::Reveals)?;
        Ok(self
            .state
            .complaints_against(self.me)
            .filter(|&accuser| !self.state.has(Slot::Reveal(self.me, accuser)))
            .map(|accuser| {
                self.sign(Message::Reveal(Reveal {
                    from: self.me,
                    to: accuser,
                    share: *self.polynomial.evaluate(accuser).scalar(),
                }))
            })
            .collect())
    }

    /// The dealt share `f_dealer(me)` from the board, checked against the dealer's commitments.
    fn share_from(&self, dealer: TrusteeIndex) -> Result<SecretShare, ComplaintReason> {
        let coefficients = self
            .state
            .commitment(dealer)
            .ok_or(ComplaintReason::Missing)?;
        let encrypted = self
            .state
            .shares_from(dealer)
            .and_then(|s| s.iter().find(|(to, _)| *to == self.me))
            .ok_or(ComplaintReason::Missing)?;
        let share = encrypted
            .1
            .decrypt(self.state.params().id(), dealer, self.me, &self.secret)
            .map_err(|e| match e {
                ShareDecryptionError::Aead => ComplaintReason::DecryptionFailed,
                ShareDecryptionError::NonCanonical => ComplaintReason::NonCanonical,
            })?;
        if !verify_share(self.me.get(), &share, coefficients) {
            return Err(ComplaintReason::InvalidShare);
        }
        Ok(share)
    }

    /// The ceremony's result for this trustee, once round 4 is closed: the public verdict (as
    /// [`super::verify_ceremony`] computes it) and this trustee's secret share, summed from the
    /// shares of the qualified dealers (a revealed share replaces a disputed one).
    pub fn finish(&self) -> Result<TrusteeOutcome, CeremonyError> {
        let outcome = self.state.outcome()?;
        if let Some((_, reason)) = outcome.disqualified.iter().find(|(i, _)| *i == self.me) {
            return Err(CeremonyError::Disqualified {
                trustee: self.me,
                reason: *reason,
            });
        }
        let mut parts = Vec::with_capacity(outcome.qualified.len());
        let mut missing = Vec::new();
        for &dealer in &outcome.qualified {
            if dealer == self.me {
                parts.push(self.polynomial.evaluate(self.me));
            } else if let Some(s) = self.state.reveal(dealer, self.me) {
                // The dealer is qualified, so its revealed share passed the Feldman check.
                parts.push(SecretShare::from_scalar(*s));
            } else {
                match self.share_from(dealer) {
                    Ok(s) => parts.push(s),
                    Err(_) => missing.push(dealer),
                }
            }
        }
        if !missing.is_empty() {
            return Err(CeremonyError::ShareUnavailable {
                trustee: self.me,
                dealers: missing,
            });
        }
        let secret_share = SecretShare::sum(&parts);
        debug_assert_eq!(
            Some(secret_share.public()),
            outcome.verification_key(self.me.get())
        );
        Ok(TrusteeOutcome {
            index: self.me,
            qualified: outcome.qualified,
            disqualified: outcome.disqualified,
            joint_key: outcome.joint_key,
            verification_keys: outcome.verification_keys,
            secret_share,
        })
    }
}
