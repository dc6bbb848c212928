//! The prover: encrypts a voter's choices, proves every contest valid and signs the ballot
//! with the credential (`docs/protocol.md` §8.2, §8.3), on the voter's device. Nonces,
//! blindings and proof randomness are hedged (§3.7).

use super::statement::{
    contest_transcript, limit_commitment, limit_implied, limit_value, option_range_commitments,
    option_range_values, option_transcript, range_transcript, signature_transcript,
};
use super::types::{ContestProof, EncryptedBallot, EncryptedContest, PlaintextBallot};
use crate::credential::CredentialSecret;
use crate::election::{Contest, Election, Rule};
use crate::elgamal::Ciphertext;
use crate::encoding::Writer;
use crate::error::{ContestViolation, PlaintextError};
use crate::generators::{g_table, h_table};
use crate::group::Point;
use crate::proofs::disjunctive::{Statement, Witness};
use crate::proofs::range::bits_for;
use crate::proofs::{DisjunctiveProof, LinkProof, RangeProof, SchnorrProof};
use crate::transcript::{labels, random_scalar, BallotContext, TranscriptProtocol};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// What the voter's device must keep to open a ballot for a Benaloh challenge: every option's
/// value and encryption nonce. Zeroized on drop; never sent unless the ballot is challenged.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BallotSecrets {
    /// `contests[i][j] = (value, nonce)` of option `j` of the `i`-th contest of the style.
    pub(crate) contests: Vec<Vec<(u64, Scalar)>>,
}

impl std::fmt::Debug for BallotSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotSecrets(<secret>)")
    }
}

fn w_values(w: &mut Writer, values: &[u64]) {
    w.len(values.len());
    for v in values {
        w.u64(*v);
    }
}

/// Encrypts a valid plaintext ballot for `election`, proves it and signs it with the voter's
/// credential. Returns the ballot and the secrets needed to open it for a challenge.
pub fn encrypt_ballot<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    rng: &mut R,
) -> Result<(EncryptedBallot, BallotSecrets), PlaintextError> {
    plaintext.validate(election.manifest())?;
    encrypt_inner(election, credential, plaintext, true, rng)
}

/// Encrypts choices that may break the contest rules, with proofs made as a cheating prover
/// would (the witness clamped into range). The result never verifies; it exists to produce
/// negative test vectors (over-votes, budget overruns). The ballot must still have the style's
/// shape.
pub fn encrypt_invalid_ballot<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    rng: &mut R,
) -> Result<EncryptedBallot, PlaintextError> {
    encrypt_inner(election, credential, plaintext, false, rng).map(|(b, _)| b)
}

/// `valid`: the plaintext was validated, so the range statements' values are exactly those the
/// verifier's commitments hold (no clamping), and the prover may take the verifier's commitments
/// instead of recomputing them.
fn encrypt_inner<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    valid: bool,
    rng: &mut R,
) -> Result<(EncryptedBallot, BallotSecrets), PlaintextError> {
    let manifest = election.manifest();
    let style = manifest
        .style(&plaintext.style)
        .ok_or_else(|| PlaintextError::UnknownStyle(plaintext.style.clone()))?;
    let key = election.key();
    let public = credential.public();
    // Hedged randomness: nonces, blindings and proof randomness come from a generator keyed by
    // the caller's RNG *and* the credential secret and choices, so a weak device RNG alone does
    // not expose the vote.
    let mut hedged = {
        let mut t = Transcript::for_proof(labels::BALLOT_NONCES);
        t.append_election(election.hash());
        t.append_point(b"credential", &public);
        let mut choices = Writer::new();
        for pc in &plaintext.contests {
            w_values(&mut choices, &pc.values);
        }
        let mut choices = choices.into_bytes();
        let r = t
            .build_rng()
            .rekey_with_witness_bytes(b"credential", credential.scalar().as_bytes())
            .rekey_with_witness_bytes(b"choices", &choices)
            .finalize(rng);
        choices.zeroize();
        r
    };
    let rng = &mut hedged;
    let mut contests = Vec::with_capacity(style.contests.len());
    let mut secrets = Vec::with_capacity(style.contests.len());
    let internal = |contest: &Contest| PlaintextError::Prover {
        contest: contest.id.clone(),
    };
    for (&ci, pc) in style.contests.iter().zip(&plaintext.contests) {
        let contest = &manifest.contests[ci];
        if pc.values.len() != contest.width() {
            return Err(PlaintextError::Contest {
                contest: contest.id.clone(),
                violation: ContestViolation::ValueCount {
                    expected: contest.width(),
                    got: pc.values.len(),
                },
            });
        }
        let ctx = BallotContext {
            election_hash: election.hash(),
            election_key: key.point(),
            credential: &public,
            contest: ci as u32,
        };
        let nonces: Vec<Scalar> = pc.values.iter().map(|_| random_scalar(rng)).collect();
        let items: Vec<(u64, Scalar)> = pc
            .values
            .iter()
            .copied()
            .zip(nonces.iter().copied())
            .collect();
        let bits =
            matches!(contest.rule, Rule::Selection { .. }) && pc.values.iter().all(|&v| v <= 1);
        let ciphertexts = Ciphertext::encrypt_many(key, &items, bits);
        let proof = match &contest.rule {
            Rule::Selection { min, max } => {
                // Every proof of the contest at once: the same proofs and draws as one by one,
                // with the commitments of all of them encoded together (`prove_many`).
                let base = contest_transcript(labels::SELECTION, &ctx);
                let mut transcripts: Vec<Transcript> = (0..ciphertexts.len())
                    .map(|j| option_transcript(&base, j))
                    .collect();
                let has_limit = !limit_implied(*min, *max, ciphertexts.len());
                let sum = has_limit.then(|| Ciphertext::sum(&ciphertexts));
                let mut r_sum: Scalar = nonces.iter().sum();
                let v_sum: u64 = pc.values.iter().sum();
                let mut limit_transcript =
                    has_limit.then(|| contest_transcript(labels::CONTEST_LIMIT, &ctx));
                let mut statements: Vec<Statement<'_>> = transcripts
                    .iter_mut()
                    .zip(ciphertexts.iter().zip(&nonces).zip(&pc.values))
                    .map(|(t, ((ct, r), &v))| Statement {
                        transcript: t,
                        ciphertext: ct,
                        // Clamping changes nothing for valid choices (see
                        // `encrypt_invalid_ballot`).
                        witness: Witness {
                            value: v.min(1),
                            nonce: r,
                        },
                        lo: 0,
                        hi: 1,
                    })
                    .collect();
                if let (Some(sum), Some(limit_transcript)) = (&sum, &mut limit_transcript) {
                    statements.push(Statement {
                        transcript: limit_transcript,
                        ciphertext: sum,
                        witness: Witness {
                            value: v_sum.clamp(*min, *max),
                            nonce: &r_sum,
                        },
                        lo: *min,
                        hi: *max,
                    });
                }
                let mut selections = DisjunctiveProof::prove_many(statements, key, rng)
                    .ok_or_else(|| internal(contest))?;
                r_sum.zeroize();
                let limit = if has_limit { selections.pop() } else { None };
                ContestProof::Selection { selections, limit }
            }
            Rule::Bounded { maxima, limit } => {
                let mut blindings: Vec<Scalar> =
                    pc.values.iter().map(|_| random_scalar(rng)).collect();
                let commitments: Vec<Point> = pc
                    .values
                    .iter()
                    .zip(&blindings)
                    .map(|(&v, t)| Point::from_point(g_table() * &Scalar::from(v) + h_table() * t))
                    .collect();
                let mut links = Vec::with_capacity(commitments.len());
                let base = contest_transcript(labels::COMMITMENT_LINK, &ctx);
                for j in 0..commitments.len() {
                    let mut t = option_transcript(&base, j);
                    links.push(LinkProof::prove(
                        &mut t,
                        key,
                        &ciphertexts[j],
                        &commitments[j],
                        &Scalar::from(pc.values[j]),
                        &nonces[j],
                        &blindings[j],
                        rng,
                    ));
                }
                let (mut vs, mut bs) = option_range_values(maxima, &pc.values, &blindings);
                let bits = bits_for(maxima.iter().copied().max().unwrap_or(0));
                let mut t = range_transcript(labels::RANGE, &ctx, &commitments);
                let range = if valid {
                    let all: Vec<_> = option_range_commitments(maxima, &commitments)
                        .into_iter()
                        .map(|(c, _)| c)
                        .collect();
                    RangeProof::prove_with_commitments(&mut t, &all, &vs, &bs, bits, rng)
                } else {
                    RangeProof::prove(&mut t, &vs, &bs, bits, rng)
                }
                .ok_or_else(|| internal(contest))?;
                vs.zeroize();
                bs.zeroize();
                let limit = match limit {
                    None => None,
                    Some(l) => {
                        let (v, mut b) = limit_value(l, &pc.values, &blindings);
                        let mut t = range_transcript(labels::RANGE_LIMIT, &ctx, &commitments);
                        let bits = bits_for(l.total);
                        let proof = if valid {
                            let (c, _) = limit_commitment(l, &commitments);
                            RangeProof::prove_with_commitments(&mut t, &[c], &[v], &[b], bits, rng)
                        } else {
                            RangeProof::prove(&mut t, &[v], &[b], bits, rng)
                        }
                        .ok_or_else(|| internal(contest))?;
                        b.zeroize();
                        Some(proof)
                    }
                };
                blindings.zeroize();
                ContestProof::Bounded {
                    commitments,
                    links,
                    range,
                    limit,
                }
            }
        };
        secrets.push(pc.values.iter().copied().zip(nonces).collect());
        contests.push(EncryptedContest {
            contest: contest.id.clone(),
            ciphertexts,
            proof,
        });
    }
    let mut ballot = EncryptedBallot {
        election: *election.hash(),
        style: plaintext.style.clone(),
        credential: public,
        contests,
        signature: SchnorrProof {
            commitment: Point::identity(),
            response: Scalar::ZERO,
        },
    };
    ballot.sign(credential, rng);
    Ok((ballot, BallotSecrets { contests: secrets }))
}

impl EncryptedBallot {
    /// (Re)computes the credential's signature over the ballot content. The credential must be
    /// the one named in the ballot, or the signature will not verify.
    pub fn sign<R: RngCore + CryptoRng>(&mut self, credential: &CredentialSecret, rng: &mut R) {
        let content = self.content_hash();
        let mut t = signature_transcript(&self.election, &content);
        self.signature = SchnorrProof::prove(&mut t, credential.scalar(), &self.credential, rng);
    }
}
