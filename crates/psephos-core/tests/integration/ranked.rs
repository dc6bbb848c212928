//! Ranked ballots (`docs/protocol.md` §6.2, §8.2): one ciphertext per rank position holding a
//! candidate's number, proven in range with the bounded rule's commitments, link proofs and one
//! Bulletproof. What the proofs bind: each ciphertext to its voter's credential, its contest and
//! its rank position — so a ciphertext copied from another voter's ballot (the Helios copying
//! attack) or moved to another rank is refused, even in a ballot re-signed by its new owner.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{
    encrypt_ballot, encrypt_invalid_ballot, verify_ballot, ContestProof, EncryptedBallot,
    PlaintextBallot, PlaintextContest,
};
use psephos_core::credential::{CredentialCode, CredentialSecret};
use psephos_core::election::{Election, Manifest};
use psephos_core::error::{ContestViolation, PlaintextError, ProofKind, VerifyError};
use psephos_core::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const MANIFEST: &str = r#"
[election]
id = "ranked-test"
name = "Ranked"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "q"
title = "Question"
kind = "referendum"
[[contests]]
id = "mayor"
title = "Mayor"
kind = "ranked"
method = "irv"
max_ranks = 3
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }, { id = "d", label = "D" }]
[[ballot_styles]]
id = "all"
contests = ["q", "mayor"]
"#;

/// The ranked contest's position in the ballot.
const POS: usize = 1;

struct Setup {
    election: Election,
    rng: ChaCha20Rng,
}

impl Setup {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(18);
        let m = Manifest::from_toml(MANIFEST).unwrap();
        let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
        Setup {
            election: Election::new(m, cer.joint_key).unwrap(),
            rng,
        }
    }
    fn credential(&mut self) -> CredentialSecret {
        CredentialCode::generate(&mut self.rng).secret("ranked-test")
    }
    fn ballot(&mut self, cred: &CredentialSecret, ranks: &[u64]) -> EncryptedBallot {
        let p = plain(ranks);
        encrypt_ballot(&self.election, cred, &p, &mut self.rng)
            .unwrap()
            .0
    }
}

fn plain(ranks: &[u64]) -> PlaintextBallot {
    PlaintextBallot {
        style: "all".into(),
        contests: vec![
            PlaintextContest {
                contest: "q".into(),
                values: vec![1, 0],
            },
            PlaintextContest {
                contest: "mayor".into(),
                values: ranks.to_vec(),
            },
        ],
    }
}

fn link_failure(e: &VerifyError) -> bool {
    matches!(
        e,
        VerifyError::Proof {
            kind: ProofKind::CommitmentLink | ProofKind::Range,
            contest: Some(POS),
            ..
        }
    )
}

#[test]
fn ranked_ballots_verify_and_keep_their_width() {
    let mut s = Setup::new();
    let cred = s.credential();
    // A full ranking, a partial one, an empty one: all valid at cast time.
    for ranks in [[2, 4, 1], [3, 0, 0], [0, 0, 0]] {
        let b = s.ballot(&cred, &ranks);
        assert_eq!(
            b.contests[POS].ciphertexts.len(),
            3,
            "one per rank position"
        );
        verify_ballot(&s.election, b).unwrap();
    }
    // What cannot be proven before decryption is not refused here: a repeated candidate or a
    // blank followed by a preference is a valid ballot, and preferences_from_ranks decides what
    // it counts for after decryption (§6.2).
    for ranks in [[2, 2, 1], [0, 3, 0]] {
        let b = s.ballot(&cred, &ranks);
        verify_ballot(&s.election, b).unwrap();
    }
}

#[test]
fn a_candidate_number_out_of_range_is_refused() {
    let mut s = Setup::new();
    let cred = s.credential();
    // The booth refuses to encrypt it…
    let e = encrypt_ballot(&s.election, &cred, &plain(&[5, 1, 0]), &mut s.rng).unwrap_err();
    assert!(
        matches!(
            &e,
            PlaintextError::Contest {
                violation: ContestViolation::AboveMaximum { option: 0, value: 5, max: 4, id },
                ..
            } if id == "rank-1"
        ),
        "{e}"
    );
    // …and a cheating prover's ballot fails its range proof.
    let bad = encrypt_invalid_ballot(&s.election, &cred, &plain(&[1, 5, 0]), &mut s.rng).unwrap();
    let e = verify_ballot(&s.election, bad).unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::Proof {
                kind: ProofKind::Range,
                contest: Some(POS),
                option: None
            }
        ),
        "{e}"
    );
    // A ballot with a rank position too many or too few has the wrong shape.
    let e = encrypt_ballot(&s.election, &cred, &plain(&[1, 2, 3, 4]), &mut s.rng).unwrap_err();
    assert!(e.to_string().contains("3"), "{e}");
    let mut b = s.ballot(&cred, &[1, 2, 3]);
    b.contests[POS].ciphertexts.pop();
    b.sign(&cred, &mut s.rng);
    assert!(matches!(
        verify_ballot(&s.election, b).unwrap_err(),
        VerifyError::Shape(_)
    ));
}

/// The Helios copying attack: voter B copies voter A's ciphertext for rank 1 — with its
/// commitment and link proof — into B's own ballot and signs it with B's credential. The link
/// proof's and the range proof's transcripts hold the credential (A's when they were made), so
/// they fail under B's; the verifier reports the first that fails (the batched range proof).
#[test]
fn a_ciphertext_copied_from_another_voters_ballot_is_refused() {
    let mut s = Setup::new();
    let (alice, bob) = (s.credential(), s.credential());
    let a = s.ballot(&alice, &[3, 1, 0]);
    let b = s.ballot(&bob, &[2, 0, 0]);
    // One rank position copied.
    let mut copied = b.clone();
    copied.contests[POS].ciphertexts[0] = a.contests[POS].ciphertexts[0];
    {
        let ContestProof::Bounded {
            commitments: ca,
            links: la,
            ..
        } = &a.contests[POS].proof
        else {
            panic!("a ranked contest has a bounded proof");
        };
        let ContestProof::Bounded {
            commitments, links, ..
        } = &mut copied.contests[POS].proof
        else {
            panic!("a ranked contest has a bounded proof");
        };
        commitments[0] = ca[0];
        links[0] = la[0];
    }
    copied.sign(&bob, &mut s.rng);
    let e = verify_ballot(&s.election, copied).unwrap_err();
    assert!(link_failure(&e), "{e}");
    // The whole ranked contest copied, proofs and all.
    let mut copied = b.clone();
    copied.contests[POS] = a.contests[POS].clone();
    copied.sign(&bob, &mut s.rng);
    let e = verify_ballot(&s.election, copied).unwrap_err();
    assert!(link_failure(&e), "{e}");
    // Alice's ballot itself, re-signed by Bob.
    let mut copied = a.clone();
    copied.credential = b.credential;
    copied.sign(&bob, &mut s.rng);
    assert!(verify_ballot(&s.election, copied).is_err());
    // The honest ballots still verify.
    verify_ballot(&s.election, a).unwrap();
    verify_ballot(&s.election, b).unwrap();
}

/// A ciphertext moved to another rank position — with its commitment and link proof — is
/// refused: the link proof's transcript holds the position, and the aggregated range proof
/// binds the commitments in their order.
#[test]
fn a_ciphertext_moved_to_another_rank_is_refused() {
    let mut s = Setup::new();
    let cred = s.credential();
    let b = s.ballot(&cred, &[3, 1, 4]);
    let mut moved = b.clone();
    moved.contests[POS].ciphertexts.swap(0, 1);
    {
        let ContestProof::Bounded {
            commitments, links, ..
        } = &mut moved.contests[POS].proof
        else {
            panic!("a ranked contest has a bounded proof");
        };
        commitments.swap(0, 1);
        links.swap(0, 1);
    }
    moved.sign(&cred, &mut s.rng);
    let e = verify_ballot(&s.election, moved).unwrap_err();
    assert!(link_failure(&e), "{e}");
    // The binding is to the credential and the position, nothing else: the same voter may
    // put their own ranked contest, unchanged, into a later ballot (a revote).
    let other = s.ballot(&cred, &[1, 0, 0]);
    let mut same = other.clone();
    same.contests[POS] = b.contests[POS].clone();
    same.sign(&cred, &mut s.rng);
    verify_ballot(&s.election, same).unwrap();
}
