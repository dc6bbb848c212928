//! The public state of a ceremony: what the board holds, which messages it may accept next, and
//! the verdict anyone recomputes from it (§9.5).
//!
//! The same [`CeremonyState`] runs in the server (to accept only valid messages for the current
//! round), in every trustee (as the public half of [`super::Trustee`]) and in observers
//! ([`verify_ceremony`]). It decides only from public data — commitments and their proofs,
//! which dealers posted shares, complaints, and revealed shares checked against commitments —
//! so all of them reach the same verdict from the same board.

use super::encryption::verify_commitment;
use super::messages::{ComplaintReason, EncryptedShare, Message, Round, SignedMessage};
use super::params::{CeremonyParams, TrusteeIndex};
use super::CeremonyError;
use crate::group::Point;
use crate::hash::Digest;
use crate::threshold::{joint_key, verification_key, verify_share, SecretShare};
use curve25519_dalek::scalar::Scalar;
use std::collections::BTreeMap;

/// Why a dealer is not in the qualified set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disqualification {
    /// It posted no commitment in round 1.
    NoCommitment,
    /// Its commitment has the wrong number of coefficients, an identity coefficient, or a
    /// coefficient proof that does not verify.
    InvalidCommitment,
    /// It posted no encrypted shares in round 2.
    NoShares,
    /// It did not reveal the share that `accuser` complained about.
    UnansweredComplaint { accuser: TrusteeIndex },
    /// The share it revealed for `accuser` fails the Feldman check: it dealt a bad share.
    InvalidReveal { accuser: TrusteeIndex },
}

impl std::fmt::Display for Disqualification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Disqualification::NoCommitment => f.write_str("no commitment"),
            Disqualification::InvalidCommitment => {
                f.write_str("invalid commitment or coefficient proof")
            }
            Disqualification::NoShares => f.write_str("no encrypted shares"),
            Disqualification::UnansweredComplaint { accuser } => {
                write!(f, "did not answer the complaint of trustee {accuser}")
            }
            Disqualification::InvalidReveal { accuser } => {
                write!(f, "revealed an invalid share for trustee {accuser}")
            }
        }
    }
}

/// How a complaint was settled on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// The dealer revealed no share: the dealer is disqualified.
    Unanswered,
    /// The revealed share passes the Feldman check: the dealer stays, the accuser uses it.
    ValidShare,
    /// The revealed share fails the Feldman check: the dealer is disqualified.
    InvalidShare,
}

/// One complaint and its settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintRecord {
    pub accuser: TrusteeIndex,
    pub dealer: TrusteeIndex,
    pub reason: ComplaintReason,
    pub resolution: Resolution,
}

/// The public result of a ceremony, recomputable by anyone from the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyOutcome {
    /// The ceremony id.
    pub ceremony: Digest,
    /// The qualified dealers `Q`, in index order: their polynomials make up the key.
    pub qualified: Vec<TrusteeIndex>,
    /// Every other trustee, with the (first) reason.
    pub disqualified: Vec<(TrusteeIndex, Disqualification)>,
    /// Every complaint and how it was settled, by dealer then accuser.
    pub complaints: Vec<ComplaintRecord>,
    /// `K = Σ_{i∈Q} A_{i,0}`.
    pub joint_key: Point,
    /// `V_j = Σ_{i∈Q} Σ_l jˡ·A_{i,l}` for each `j ∈ Q`: only qualified trustees decrypt.
    pub verification_keys: Vec<(TrusteeIndex, Point)>,
}

impl CeremonyOutcome {
    /// Trustee `j`'s verification key, if `j` is qualified (the shape
    /// [`crate::tally::combine`] takes).
    pub fn verification_key(&self, j: u32) -> Option<Point> {
        self.verification_keys
            .iter()
            .find(|(i, _)| i.get() == j)
            .map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DealerCommitment {
    coefficients: Vec<Point>,
    valid: bool,
}

/// The one message a trustee may post for each purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Slot {
    Commitment(TrusteeIndex),
    Shares(TrusteeIndex),
    /// (accuser, dealer)
    Complaint(TrusteeIndex, TrusteeIndex),
    /// (dealer, accuser)
    Reveal(TrusteeIndex, TrusteeIndex),
}

impl Slot {
    fn of(m: &Message) -> Self {
        match m {
            Message::Commitment(c) => Slot::Commitment(c.from),
            Message::EncryptedShares(s) => Slot::Shares(s.from),
            Message::Complaint(c) => Slot::Complaint(c.from, c.against),
            Message::Reveal(r) => Slot::Reveal(r.from, r.to),
        }
    }
}

/// A message that passed every check, ready to be applied.
#[derive(Debug)]
pub(crate) struct Checked<'a> {
    message: &'a Message,
    slot: Slot,
    digest: Digest,
    commitment_valid: bool,
}

/// The public state of one ceremony, fed with board messages in board order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyState {
    params: CeremonyParams,
    phase: Round,
    accepted: usize,
    commitments: BTreeMap<TrusteeIndex, DealerCommitment>,
    shares: BTreeMap<TrusteeIndex, Vec<(TrusteeIndex, EncryptedShare)>>,
    /// (dealer, accuser) → reason
    complaints: BTreeMap<(TrusteeIndex, TrusteeIndex), ComplaintReason>,
    /// (dealer, accuser) → revealed share
    reveals: BTreeMap<(TrusteeIndex, TrusteeIndex), Scalar>,
    seen: BTreeMap<Slot, Digest>,
}

impl CeremonyState {
    /// An empty board in round 1.
    pub fn new(params: CeremonyParams) -> Self {
        CeremonyState {
            params,
            phase: Round::Commitments,
            accepted: 0,
            commitments: BTreeMap::new(),
            shares: BTreeMap::new(),
            complaints: BTreeMap::new(),
            reveals: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }

    pub fn params(&self) -> &CeremonyParams {
        &self.params
    }

    /// The round the board is in: that of the latest accepted message (round 1 at the start).
    pub fn phase(&self) -> Round {
        self.phase
    }

    /// How many messages were accepted.
    pub fn accepted(&self) -> usize {
        self.accepted
    }

    /// Checks `msg` against the board and, if it may be posted, records it. On error nothing
    /// changes. Checks, in order: ceremony id, known sender, signature (`verify_strict`), replay
    /// or second message for the same slot, round not yet closed, then the content.
    ///
    /// A commitment whose proofs fail is *accepted* (it is signed evidence) and disqualifies its
    /// dealer; so is a revealed share that fails the Feldman check.
    pub fn receive(&mut self, msg: &SignedMessage) -> Result<(), CeremonyError> {
        let checked = self.check(msg)?;
        self.apply(checked);
        Ok(())
    }

    pub(crate) fn check<'a>(&self, msg: &'a SignedMessage) -> Result<Checked<'a>, CeremonyError> {
        let id = self.params.id();
        if msg.ceremony != *id {
            return Err(CeremonyError::WrongCeremony {
                expected: *id,
                got: msg.ceremony,
            });
        }
        let m = &msg.message;
        let (from, round) = (m.from(), m.round());
        let sender = self
            .params
            .index(from.get())
            .and_then(|i| self.params.trustee(i))
            .ok_or(CeremonyError::UnknownTrustee(from.get()))?;
        if !msg.verify_signature(&sender.signing_key) {
            return Err(CeremonyError::BadSignature { from, round });
        }
        let slot = Slot::of(m);
        let digest = msg.digest();
        if let Some(prev) = self.seen.get(&slot) {
            return Err(if *prev == digest {
                CeremonyError::Replayed { from, round }
            } else {
                CeremonyError::Duplicate { from, round }
            });
        }
        if round < self.phase {
            return Err(CeremonyError::OutOfRound {
                from,
                round,
                phase: self.phase,
            });
        }
        let malformed = |detail: String| CeremonyError::Malformed {
            from,
            round,
            detail,
        };
        let mut commitment_valid = false;
        match m {
            Message::Commitment(c) => {
                commitment_valid = verify_commitment(
                    id,
                    from,
                    self.params.threshold(),
                    &c.coefficients,
                    &c.proofs,
                );
            }
            Message::EncryptedShares(s) => {
                let expected = self.params.indices().filter(|&i| i != from);
                if !s.shares.iter().map(|(to, _)| *to).eq(expected) {
                    return Err(malformed(
                        "expected exactly one share for every other trustee, in index order".into(),
                    ));
                }
            }
            Message::Complaint(c) => {
                if self.params.index(c.against.get()).is_none() {
                    return Err(malformed(format!(
                        "complaint against unknown trustee {}",
                        c.against
                    )));
                }
                if c.against == from {
                    return Err(malformed("a trustee cannot complain about itself".into()));
                }
                if !self.has_valid_commitment(c.against) {
                    return Err(malformed(format!(
                        "trustee {} has no valid commitment: it is already disqualified",
                        c.against
                    )));
                }
            }
            Message::Reveal(r) => {
                if !self.complaints.contains_key(&(from, r.to)) {
                    return Err(CeremonyError::UnsolicitedReveal { from, to: r.to });
                }
            }
        }
        Ok(Checked {
            message: m,
            slot,
            digest,
            commitment_valid,
        })
    }

    pub(crate) fn apply(&mut self, c: Checked<'_>) {
        self.phase = self.phase.max(c.message.round());
        self.accepted += 1;
        self.seen.insert(c.slot, c.digest);
        match c.message {
            Message::Commitment(m) => {
                self.commitments.insert(
                    m.from,
                    DealerCommitment {
                        coefficients: m.coefficients.clone(),
                        valid: c.commitment_valid,
                    },
                );
            }
            Message::EncryptedShares(m) => {
                self.shares.insert(m.from, m.shares.clone());
            }
            Message::Complaint(m) => {
                self.complaints.insert((m.against, m.from), m.reason);
            }
            Message::Reveal(m) => {
                self.reveals.insert((m.from, m.to), m.share);
            }
        }
    }

    /// Whether `slot`'s message is on the board.
    pub(crate) fn has(&self, slot: Slot) -> bool {
        self.seen.contains_key(&slot)
    }

    /// Whether dealer `i` posted a valid round-1 commitment.
    pub fn has_valid_commitment(&self, i: TrusteeIndex) -> bool {
        self.commitments.get(&i).is_some_and(|c| c.valid)
    }

    /// Dealer `i`'s commitments, if valid.
    pub fn commitment(&self, i: TrusteeIndex) -> Option<&[Point]> {
        self.commitments
            .get(&i)
            .filter(|c| c.valid)
            .map(|c| c.coefficients.as_slice())
    }

    /// Dealer `i`'s encrypted shares, if posted.
    pub fn shares_from(&self, i: TrusteeIndex) -> Option<&[(TrusteeIndex, EncryptedShare)]> {
        self.shares.get(&i).map(Vec::as_slice)
    }

    /// The trustees that complained about dealer `i`, in index order.
    pub fn complaints_against(&self, i: TrusteeIndex) -> impl Iterator<Item = TrusteeIndex> + '_ {
        self.complaints
            .range((i, TrusteeIndex::MIN)..=(i, TrusteeIndex::MAX))
            .map(|(&(_, accuser), _)| accuser)
    }

    /// The share dealer `dealer` revealed for `accuser`, if any.
    pub fn reveal(&self, dealer: TrusteeIndex, accuser: TrusteeIndex) -> Option<&Scalar> {
        self.reveals.get(&(dealer, accuser))
    }

    /// Who the board still waits for in `round`, so the server can close it early: trustees
    /// without a commitment (round 1), dealers with a valid commitment but no shares (round 2),
    /// dealers with an unanswered complaint (round 4). Complaints are optional, so round 3
    /// waits for nobody and closes at the server's deadline.
    pub fn awaiting(&self, round: Round) -> Vec<TrusteeIndex> {
        match round {
            Round::Commitments => self
                .params
                .indices()
                .filter(|i| !self.commitments.contains_key(i))
                .collect(),
            Round::Shares => self
                .params
                .indices()
                .filter(|&i| self.has_valid_commitment(i) && !self.shares.contains_key(&i))
                .collect(),
            Round::Complaints => Vec::new(),
            Round::Reveals => {
                let mut v: Vec<TrusteeIndex> = self
                    .complaints
                    .keys()
                    .filter(|k| !self.reveals.contains_key(k))
                    .map(|&(dealer, _)| dealer)
                    .collect();
                v.dedup();
                v
            }
        }
    }

    /// The verdict on the board as it stands (call it once the last round is closed):
    /// the qualified set, the joint key and the verification keys, or
    /// [`CeremonyError::NotEnoughQualified`] naming the disqualified dealers.
    pub fn outcome(&self) -> Result<CeremonyOutcome, CeremonyError> {
        let mut disqualified: BTreeMap<TrusteeIndex, Disqualification> = BTreeMap::new();
        for i in self.params.indices() {
            let reason = match self.commitments.get(&i) {
                None => Some(Disqualification::NoCommitment),
                Some(c) if !c.valid => Some(Disqualification::InvalidCommitment),
                Some(_) if !self.shares.contains_key(&i) => Some(Disqualification::NoShares),
                Some(_) => None,
            };
            if let Some(r) = reason {
                disqualified.insert(i, r);
            }
        }
        let mut complaints = Vec::with_capacity(self.complaints.len());
        for (&(dealer, accuser), &reason) in &self.complaints {
            // Complaints are only accepted against dealers with a valid commitment.
            let Some(coefficients) = self.commitment(dealer) else {
                continue;
            };
            let resolution = match self.reveals.get(&(dealer, accuser)) {
                None => Resolution::Unanswered,
                Some(s) => {
                    if verify_share(accuser.get(), &SecretShare::from_scalar(*s), coefficients) {
                        Resolution::ValidShare
                    } else {
                        Resolution::InvalidShare
                    }
                }
            };
            let verdict = match resolution {
                Resolution::Unanswered => Some(Disqualification::UnansweredComplaint { accuser }),
                Resolution::InvalidShare => Some(Disqualification::InvalidReveal { accuser }),
                Resolution::ValidShare => None,
            };
            if let Some(v) = verdict {
                disqualified.entry(dealer).or_insert(v);
            }
            complaints.push(ComplaintRecord {
                accuser,
                dealer,
                reason,
                resolution,
            });
        }
        let qualified: Vec<TrusteeIndex> = self
            .params
            .indices()
            .filter(|i| !disqualified.contains_key(i))
            .collect();
        let disqualified: Vec<(TrusteeIndex, Disqualification)> =
            disqualified.into_iter().collect();
        if qualified.len() < self.params.threshold() as usize {
            return Err(CeremonyError::NotEnoughQualified {
                needed: self.params.threshold(),
                qualified,
                bad_dealers: disqualified.iter().map(|(i, _)| *i).collect(),
                reasons: disqualified,
            });
        }
        let polys: Vec<&[Point]> = qualified
            .iter()
            .filter_map(|&i| self.commitment(i))
            .collect();
        Ok(CeremonyOutcome {
            ceremony: *self.params.id(),
            joint_key: joint_key(&polys),
            verification_keys: qualified
                .iter()
                .map(|&j| (j, verification_key(&polys, j.get())))
                .collect(),
            qualified,
            disqualified,
            complaints,
        })
    }
}

/// What any observer recomputes from the board: feeds `messages` (in board order) to a fresh
/// [`CeremonyState`] and returns its verdict. A message the board should never have accepted
/// fails the whole verification, as [`CeremonyError::AtMessage`] with its position.
pub fn verify_ceremony(
    params: &CeremonyParams,
    messages: &[SignedMessage],
) -> Result<CeremonyOutcome, CeremonyError> {
    let mut state = CeremonyState::new(params.clone());
    for (position, m) in messages.iter().enumerate() {
        state.receive(m).map_err(|e| e.at(position))?;
    }
    state.outcome()
}
