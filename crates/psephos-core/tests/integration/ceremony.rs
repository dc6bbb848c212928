//! The key ceremony end to end, in process: honest runs, every kind of cheating the protocol
//! resolves on the board (bad share, false complaint, silence, missing or invalid commitment),
//! failure with blame, rejection of bad messages without state change, resumption by replay,
//! and the canonical encodings.
//!
//! The `Board` below plays the server: it accepts a message only if a fresh observer
//! (`CeremonyState`) does, appends it, and delivers it to every trustee in board order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use proptest::prelude::*;
use psephos_core::ceremony::{
    verify_ceremony, CeremonyError, CeremonyOutcome, CeremonyParams, CeremonySecretKey,
    CeremonyState, Complaint, ComplaintReason, Disqualification, EncryptedShare, Message,
    Resolution, Reveal, Round, SignedMessage, SigningKey, Trustee, TrusteeIndex, TrusteeOutcome,
    TrusteePublic,
};
use psephos_core::election::{Election, Manifest};
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::g;
use psephos_core::hash::Digest;
use psephos_core::tally::{combine, DecryptionShare, EncryptedTally, TallyContest};
use psephos_core::threshold::{lagrange_at_zero, SecretShare};
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

fn ti(i: u32) -> TrusteeIndex {
    TrusteeIndex::new(i).unwrap()
}

fn manifest(n: u32, k: u32) -> Manifest {
    Manifest::from_toml(&format!(
        r#"
[election]
id = "ceremony-test"
name = "Ceremony test"
[trustees]
count = {n}
threshold = {k}
[[contests]]
id = "c0"
title = "Question"
kind = "approval"
options = [{{ id = "a", label = "A" }}, {{ id = "b", label = "B" }}, {{ id = "c", label = "C" }}]
[[ballot_styles]]
id = "all"
contests = ["c0"]
"#
    ))
    .unwrap()
}

/// Keys and parameters of one ceremony.
struct Setup {
    manifest: Manifest,
    params: CeremonyParams,
    signing: Vec<SigningKey>,
    secrets: Vec<CeremonySecretKey>,
}

impl Setup {
    fn new(n: u32, k: u32, rng: &mut ChaCha20Rng) -> Self {
        let manifest = manifest(n, k);
        let mut signing = Vec::new();
        let mut secrets = Vec::new();
        let mut trustees = Vec::new();
        for i in 1..=n {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            let sk = SigningKey::from_bytes(&seed);
            let cs = CeremonySecretKey::generate(rng);
            trustees.push(TrusteePublic {
                index: ti(i),
                name: format!("Trustee {i}"),
                signing_key: sk.verifying_key(),
                ceremony_key: cs.public_key(),
            });
            signing.push(sk);
            secrets.push(cs);
        }
        let params = CeremonyParams::for_manifest(&manifest, trustees).unwrap();
        Setup {
            manifest,
            params,
            signing,
            secrets,
        }
    }

    fn key(&self, i: u32) -> &SigningKey {
        &self.signing[i as usize - 1]
    }

    fn trustee(&self, i: u32) -> Trustee {
        Trustee::new(
            self.params.clone(),
            ti(i),
            self.key(i).clone(),
            self.secrets[i as usize - 1].clone(),
        )
        .unwrap()
    }

    fn trustees(&self) -> Vec<Trustee> {
        (1..=self.params.count()).map(|i| self.trustee(i)).collect()
    }

    /// Signs `m` as its sender would (for crafting misbehaviour).
    fn sign(&self, m: Message) -> SignedMessage {
        let key = self.key(m.from().get()).clone();
        m.sign(self.params.id(), &key)
    }
}

/// The server and its board: accepts what an observer accepts, delivers to every trustee.
struct Board {
    state: CeremonyState,
    log: Vec<SignedMessage>,
}

impl Board {
    fn new(params: &CeremonyParams) -> Self {
        Board {
            state: CeremonyState::new(params.clone()),
            log: Vec::new(),
        }
    }

    fn post(&mut self, m: SignedMessage, trustees: &mut [Trustee]) {
        self.state.receive(&m).unwrap();
        for t in trustees.iter_mut() {
            t.receive(&m).unwrap();
        }
        self.log.push(m);
    }

    fn post_all(&mut self, ms: Vec<SignedMessage>, trustees: &mut [Trustee]) {
        for m in ms {
            self.post(m, trustees);
        }
    }
}

/// Trustees that are not in `silent` act in `round`; returns their messages (not yet posted).
fn act(
    trustees: &[Trustee],
    round: Round,
    silent: &[u32],
    rng: &mut ChaCha20Rng,
) -> Vec<SignedMessage> {
    let mut out = Vec::new();
    for t in trustees {
        if silent.contains(&t.index().get()) {
            continue;
        }
        match round {
            Round::Commitments => out.push(t.round1(rng).unwrap()),
            Round::Shares => out.push(t.round2(rng).unwrap()),
            Round::Complaints => out.extend(t.round3().unwrap()),
            Round::Reveals => out.extend(t.round4().unwrap()),
        }
    }
    out
}

/// Runs one round: everyone not silent acts, then all messages are posted.
fn round(
    board: &mut Board,
    trustees: &mut [Trustee],
    r: Round,
    silent: &[u32],
    rng: &mut ChaCha20Rng,
) {
    let ms = act(trustees, r, silent, rng);
    board.post_all(ms, trustees);
}

/// Every finishing trustee and the public verifier agree; returns the public outcome.
fn agree(setup: &Setup, board: &Board, outcomes: &[TrusteeOutcome]) -> CeremonyOutcome {
    let public = verify_ceremony(&setup.params, &board.log).unwrap();
    assert_eq!(board.state.outcome().unwrap(), public);
    for o in outcomes {
        assert_eq!(o.qualified, public.qualified);
        assert_eq!(o.disqualified, public.disqualified);
        assert_eq!(o.joint_key, public.joint_key);
        assert_eq!(o.verification_keys, public.verification_keys);
        assert_eq!(
            Some(o.secret_share.public()),
            public.verification_key(o.index.get())
        );
    }
    public
}

/// All subsets of size `k` of `xs`.
fn subsets<T: Copy>(xs: &[T], k: usize) -> Vec<Vec<T>> {
    if k == 0 {
        return vec![vec![]];
    }
    if xs.len() < k {
        return vec![];
    }
    let mut with: Vec<Vec<T>> = subsets(&xs[1..], k - 1)
        .into_iter()
        .map(|mut s| {
            s.insert(0, xs[0]);
            s
        })
        .collect();
    with.extend(subsets(&xs[1..], k));
    with
}

/// Any `k` of the trustees' shares decrypt an ElGamal ciphertext under the joint key, fewer
/// do not, and the tally API combines `k` proven decryption shares into the right counts.
fn decrypts(setup: &Setup, outcomes: &[TrusteeOutcome], public: &CeremonyOutcome) {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let k = setup.params.threshold() as usize;
    let key = ElectionKey::new(public.joint_key).unwrap();
    let m = Scalar::from(42u64);
    let ct = Ciphertext::encrypt(&key, &m, &random_scalar(&mut rng));
    let interpolate = |set: &[&TrusteeOutcome]| {
        let idx: Vec<u32> = set.iter().map(|o| o.index.get()).collect();
        let s: Scalar = set
            .iter()
            .map(|o| lagrange_at_zero(&idx, o.index.get()).unwrap() * o.secret_share.scalar())
            .sum();
        ct.decrypt_to_point(&s)
    };
    let refs: Vec<&TrusteeOutcome> = outcomes.iter().collect();
    for set in subsets(&refs, k) {
        assert_eq!(
            interpolate(&set),
            g() * m,
            "subset {:?}",
            set.iter().map(|o| o.index).collect::<Vec<_>>()
        );
    }
    if k > 1 {
        for set in subsets(&refs, k - 1) {
            assert_ne!(interpolate(&set), g() * m);
        }
    }

    // Through the tally API: k proven decryption shares against the public verification keys.
    let election = Election::new(setup.manifest.clone(), public.joint_key).unwrap();
    let counts = [3u64, 5, 2];
    let tally = EncryptedTally {
        election: *election.hash(),
        contests: vec![TallyContest {
            contest: "c0".into(),
            ballots: 10,
            weight: 10,
            ciphertexts: counts
                .iter()
                .map(|&c| {
                    Ciphertext::encrypt(election.key(), &Scalar::from(c), &random_scalar(&mut rng))
                })
                .collect(),
        }],
    };
    let shares: Vec<DecryptionShare> = outcomes
        .iter()
        .rev()
        .take(k)
        .map(|o| DecryptionShare::compute(&tally, o.index.get(), &o.secret_share, &mut rng))
        .collect();
    let result = combine(&election, &tally, &shares, |j| public.verification_key(j)).unwrap();
    assert_eq!(result.contests[0].counts, counts);
}

fn honest(n: u32, k: u32, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let setup = Setup::new(n, k, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    for r in [
        Round::Commitments,
        Round::Shares,
        Round::Complaints,
        Round::Reveals,
    ] {
        round(&mut board, &mut ts, r, &[], &mut rng);
    }
    // No complaints, no reveals: 2n messages.
    assert_eq!(board.log.len(), 2 * n as usize);
    let outcomes: Vec<TrusteeOutcome> = ts.iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified, (1..=n).map(ti).collect::<Vec<_>>());
    assert!(public.disqualified.is_empty() && public.complaints.is_empty());
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_honest_3_of_2() {
    honest(3, 2, 1);
}

#[test]
fn ceremony_honest_5_of_3() {
    honest(5, 3, 2);
}

#[test]
fn ceremony_honest_single_trustee_and_full_threshold() {
    honest(1, 1, 3);
    honest(3, 3, 4);
}

/// Dealer 2's round-2 message with its share for `to` replaced by an encryption of `bad`.
fn with_bad_share(
    setup: &Setup,
    honest: &SignedMessage,
    to: u32,
    bad: &SecretShare,
    rng: &mut ChaCha20Rng,
) -> SignedMessage {
    let Message::EncryptedShares(mut m) = honest.message.clone() else {
        panic!("not a round-2 message")
    };
    let recipient = setup.params.trustee(ti(to)).unwrap().ceremony_key;
    for (j, e) in m.shares.iter_mut() {
        if j.get() == to {
            *e = EncryptedShare::encrypt(setup.params.id(), m.from, *j, &recipient, bad, rng);
        }
    }
    setup.sign(Message::EncryptedShares(m))
}

/// n = 5, k = 3; dealer 2 sends trustee 4 a bad share. `reveal` decides what dealer 2 answers.
fn bad_share_run(reveal: Option<&str>, seed: u64) -> (Setup, Board, Vec<Trustee>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let setup = Setup::new(5, 3, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[], &mut rng);
    let mut ms = act(&ts, Round::Shares, &[], &mut rng);
    let bad = SecretShare::from_scalar(random_scalar(&mut rng));
    ms[1] = with_bad_share(&setup, &ms[1], 4, &bad, &mut rng);
    board.post_all(ms, &mut ts);

    let complaints = act(&ts, Round::Complaints, &[], &mut rng);
    assert_eq!(complaints.len(), 1);
    assert_eq!(
        complaints[0].message,
        Message::Complaint(Complaint {
            from: ti(4),
            against: ti(2),
            reason: ComplaintReason::InvalidShare
        })
    );
    board.post_all(complaints, &mut ts);

    match reveal {
        // The cheater stands by the bad share it sent.
        Some("bad") => {
            let m = setup.sign(Message::Reveal(Reveal {
                from: ti(2),
                to: ti(4),
                share: *bad.scalar(),
            }));
            board.post(m, &mut ts);
        }
        // The dealer reveals its true share (what the honest code does).
        Some("true") => round(&mut board, &mut ts, Round::Reveals, &[], &mut rng),
        _ => {}
    }
    (setup, board, ts)
}

#[test]
fn ceremony_bad_share_revealed_invalid_disqualifies_the_dealer() {
    let (setup, board, ts) = bad_share_run(Some("bad"), 10);
    let outcomes: Vec<TrusteeOutcome> = ts
        .iter()
        .filter(|t| t.index() != ti(2))
        .map(|t| t.finish().unwrap())
        .collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified, vec![ti(1), ti(3), ti(4), ti(5)]);
    assert_eq!(
        public.disqualified,
        vec![(ti(2), Disqualification::InvalidReveal { accuser: ti(4) })]
    );
    assert_eq!(public.complaints[0].resolution, Resolution::InvalidShare);
    // The cheater learns it is out; the key is formed without it, no restart.
    assert!(matches!(
        ts[1].finish().unwrap_err(),
        CeremonyError::Disqualified { trustee, .. } if trustee == ti(2)
    ));
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_bad_share_answered_with_the_true_share_keeps_the_dealer() {
    let (setup, board, ts) = bad_share_run(Some("true"), 11);
    let outcomes: Vec<TrusteeOutcome> = ts.iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified.len(), 5);
    assert_eq!(public.complaints[0].resolution, Resolution::ValidShare);
    // Trustee 4 uses the revealed share: its share matches its verification key.
    decrypts(&setup, &outcomes, &public);
}

/// Dealer 1 encrypts trustee 2's share to the wrong key: trustee 2 cannot decrypt it and
/// complains; dealer 1 answers with the true share, stays qualified, and trustee 2 uses it.
#[test]
fn ceremony_undecryptable_share_is_settled_by_the_reveal() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[], &mut rng);
    let mut ms = act(&ts, Round::Shares, &[], &mut rng);
    let Message::EncryptedShares(mut m) = ms[0].message.clone() else {
        panic!("not a round-2 message")
    };
    let wrong_key = setup.params.trustee(ti(3)).unwrap().ceremony_key;
    let share = SecretShare::from_scalar(random_scalar(&mut rng));
    m.shares[0].1 = EncryptedShare::encrypt(
        setup.params.id(),
        ti(1),
        ti(2),
        &wrong_key,
        &share,
        &mut rng,
    );
    ms[0] = setup.sign(Message::EncryptedShares(m));
    board.post_all(ms, &mut ts);
    let complaints = act(&ts, Round::Complaints, &[], &mut rng);
    assert_eq!(
        complaints
            .iter()
            .map(|c| c.message.clone())
            .collect::<Vec<_>>(),
        vec![Message::Complaint(Complaint {
            from: ti(2),
            against: ti(1),
            reason: ComplaintReason::DecryptionFailed
        })]
    );
    board.post_all(complaints, &mut ts);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    let outcomes: Vec<TrusteeOutcome> = ts.iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified.len(), 3);
    assert_eq!(public.complaints[0].resolution, Resolution::ValidShare);
    decrypts(&setup, &outcomes, &public);
}

/// A dealer whose shares never reach the board before round 3 is complained about as missing,
/// and is out for having dealt nothing, whatever it reveals later.
#[test]
fn ceremony_missing_shares_disqualify_the_dealer() {
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let setup = Setup::new(4, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[], &mut rng);
    round(&mut board, &mut ts, Round::Shares, &[4], &mut rng);
    assert_eq!(board.state.awaiting(Round::Shares), vec![ti(4)]);
    let complaints = act(&ts, Round::Complaints, &[], &mut rng);
    assert_eq!(complaints.len(), 3);
    assert!(complaints.iter().all(|c| matches!(
        c.message,
        Message::Complaint(Complaint { against, reason: ComplaintReason::Missing, .. }) if against == ti(4)
    )));
    board.post_all(complaints, &mut ts);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    let outcomes: Vec<TrusteeOutcome> = ts[..3].iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(
        public.disqualified,
        vec![(ti(4), Disqualification::NoShares)]
    );
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_unanswered_complaint_disqualifies_the_dealer() {
    let (setup, board, ts) = bad_share_run(None, 12);
    assert_eq!(board.state.awaiting(Round::Reveals), vec![ti(2)]);
    let outcomes: Vec<TrusteeOutcome> = ts
        .iter()
        .filter(|t| t.index() != ti(2))
        .map(|t| t.finish().unwrap())
        .collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(
        public.disqualified,
        vec![(
            ti(2),
            Disqualification::UnansweredComplaint { accuser: ti(4) }
        )]
    );
    assert_eq!(public.complaints[0].resolution, Resolution::Unanswered);
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_false_complaint_keeps_the_dealer_and_everyone_agrees() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[], &mut rng);
    round(&mut board, &mut ts, Round::Shares, &[], &mut rng);
    // Honest trustees find nothing wrong.
    assert!(act(&ts, Round::Complaints, &[], &mut rng).is_empty());
    // Trustee 3 lies about dealer 1.
    let lie = setup.sign(Message::Complaint(Complaint {
        from: ti(3),
        against: ti(1),
        reason: ComplaintReason::InvalidShare,
    }));
    board.post(lie, &mut ts);
    assert_eq!(board.state.awaiting(Round::Reveals), vec![ti(1)]);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    assert!(board.state.awaiting(Round::Reveals).is_empty());
    let outcomes: Vec<TrusteeOutcome> = ts.iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified, vec![ti(1), ti(2), ti(3)]);
    assert!(public.disqualified.is_empty());
    assert_eq!(public.complaints.len(), 1);
    assert_eq!(public.complaints[0].resolution, Resolution::ValidShare);
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_missing_commitment_disqualifies_and_the_rest_go_on() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[3], &mut rng);
    assert_eq!(board.state.awaiting(Round::Commitments), vec![ti(3)]);
    // Trustee 3 has nothing to deal.
    assert!(matches!(
        ts[2].round2(&mut rng).unwrap_err(),
        CeremonyError::NoOwnCommitment { .. }
    ));
    round(&mut board, &mut ts, Round::Shares, &[3], &mut rng);
    // Nobody complains about a dealer that is already out.
    round(&mut board, &mut ts, Round::Complaints, &[], &mut rng);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    // Once round 2 is closed, a late commitment is rejected.
    assert!(matches!(
        ts[2].round1(&mut rng).unwrap_err(),
        CeremonyError::RoundClosed { .. }
    ));
    let outcomes: Vec<TrusteeOutcome> = ts[..2].iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified, vec![ti(1), ti(2)]);
    assert_eq!(
        public.disqualified,
        vec![(ti(3), Disqualification::NoCommitment)]
    );
    assert_eq!(public.verification_keys.len(), 2);
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_invalid_commitment_proof_is_accepted_as_evidence_and_disqualifies() {
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    let mut ms = act(&ts, Round::Commitments, &[], &mut rng);
    let Message::Commitment(mut c) = ms[0].message.clone() else {
        panic!("not a commitment")
    };
    c.proofs.swap(0, 1);
    ms[0] = setup.sign(Message::Commitment(c));
    // Signed evidence of a bad dealer: accepted, and dealer 1 is out.
    board.post_all(ms, &mut ts);
    assert!(!board.state.has_valid_commitment(ti(1)));
    assert!(matches!(
        ts[0].round2(&mut rng).unwrap_err(),
        CeremonyError::NoOwnCommitment { .. }
    ));
    round(&mut board, &mut ts, Round::Shares, &[1], &mut rng);
    round(&mut board, &mut ts, Round::Complaints, &[], &mut rng);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    let outcomes: Vec<TrusteeOutcome> = ts[1..].iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(
        public.disqualified,
        vec![(ti(1), Disqualification::InvalidCommitment)]
    );
    assert!(public.complaints.is_empty());
    decrypts(&setup, &outcomes, &public);
}

#[test]
fn ceremony_fails_with_blame_when_fewer_than_k_qualify() {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    round(&mut board, &mut ts, Round::Commitments, &[2], &mut rng);
    round(&mut board, &mut ts, Round::Shares, &[2, 3], &mut rng);
    round(&mut board, &mut ts, Round::Complaints, &[], &mut rng);
    round(&mut board, &mut ts, Round::Reveals, &[], &mut rng);
    let err = verify_ceremony(&setup.params, &board.log).unwrap_err();
    assert_eq!(err.bad_dealers(), &[ti(2), ti(3)]);
    match &err {
        CeremonyError::NotEnoughQualified {
            needed,
            qualified,
            reasons,
            ..
        } => {
            assert_eq!(*needed, 2);
            assert_eq!(qualified, &vec![ti(1)]);
            assert_eq!(
                reasons,
                &vec![
                    (ti(2), Disqualification::NoCommitment),
                    (ti(3), Disqualification::NoShares)
                ]
            );
        }
        e => panic!("unexpected {e}"),
    }
    let text = err.to_string();
    assert!(text.contains("trustee 2 (no commitment)"), "{text}");
    assert!(text.contains("trustee 3 (no encrypted shares)"), "{text}");
    assert_eq!(ts[0].finish().unwrap_err(), err);
}

/// A board after round 1 of a 3-of-2 ceremony, with trustee 3's commitment held back.
struct Partial {
    setup: Setup,
    ts: Vec<Trustee>,
    board: Board,
    held: SignedMessage,
    rng: ChaCha20Rng,
}

fn partial(seed: u64) -> Partial {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let setup = Setup::new(3, 2, &mut rng);
    let mut ts = setup.trustees();
    let mut board = Board::new(&setup.params);
    let mut ms = act(&ts, Round::Commitments, &[], &mut rng);
    let held = ms.pop().unwrap();
    board.post_all(ms, &mut ts);
    Partial {
        setup,
        ts,
        board,
        held,
        rng,
    }
}

/// `msg` is rejected by the observer and by a trustee with `expected`, and neither changes.
fn rejected(p: &mut Partial, msg: &SignedMessage, expected: impl Fn(&CeremonyError) -> bool) {
    let before = p.board.state.clone();
    let err = p.board.state.receive(msg).unwrap_err();
    assert!(expected(&err), "unexpected error: {err}");
    assert_eq!(p.board.state, before);
    let t = &mut p.ts[0];
    let before = t.state().clone();
    let err = t.receive(msg).unwrap_err();
    assert!(expected(&err), "unexpected error: {err}");
    assert_eq!(t.state(), &before);
}

#[test]
fn ceremony_rejects_replayed_and_duplicate_messages() {
    let mut p = partial(20);
    let first = p.board.log[0].clone();
    rejected(
        &mut p,
        &first,
        |e| matches!(e, CeremonyError::Replayed { from, round: Round::Commitments } if *from == ti(1)),
    );
    // Trustee 1 signs a second, different commitment (new proof nonces): equivocation.
    let again = p.setup.trustee(1).round1(&mut p.rng).unwrap();
    assert_ne!(again, first);
    rejected(
        &mut p,
        &again,
        |e| matches!(e, CeremonyError::Duplicate { from, .. } if *from == ti(1)),
    );
    // A trustee that already has its commitment on the board will not make another.
    assert!(matches!(
        p.ts[0].round1(&mut p.rng).unwrap_err(),
        CeremonyError::AlreadySent { .. }
    ));
}

#[test]
fn ceremony_rejects_messages_for_another_ceremony() {
    let mut p = partial(21);
    // The same trustees and manifest, attempt 2: a different ceremony id.
    let params2 = p.setup.params.clone().with_attempt(2).unwrap();
    assert_ne!(params2.id(), p.setup.params.id());
    let other = Trustee::new(
        params2,
        ti(3),
        p.setup.key(3).clone(),
        p.setup.secrets[2].clone(),
    )
    .unwrap();
    let foreign = other.round1(&mut p.rng).unwrap();
    let id = *p.setup.params.id();
    rejected(
        &mut p,
        &foreign,
        |e| matches!(e, CeremonyError::WrongCeremony { expected, .. } if *expected == id),
    );
    // Relabelled with this ceremony's id, its signature no longer holds.
    let mut relabelled = foreign.clone();
    relabelled.ceremony = id;
    rejected(&mut p, &relabelled, |e| {
        matches!(e, CeremonyError::BadSignature { .. })
    });
    // The other attempt derived another polynomial.
    let (Message::Commitment(a), Message::Commitment(b)) = (&foreign.message, &p.held.message)
    else {
        panic!()
    };
    assert_ne!(a.coefficients, b.coefficients);
}

#[test]
fn ceremony_rejects_bad_signatures_and_unknown_trustees() {
    let mut p = partial(22);
    let mut bad = p.held.clone();
    let mut sig = bad.signature.to_bytes();
    sig[5] ^= 1;
    bad.signature = psephos_core::ceremony::Signature::from_bytes(&sig);
    rejected(
        &mut p,
        &bad,
        |e| matches!(e, CeremonyError::BadSignature { from, round: Round::Commitments } if *from == ti(3)),
    );
    // Trustee 2's key signing a message that claims to be from trustee 3.
    let forged = p
        .held
        .message
        .clone()
        .sign(p.setup.params.id(), p.setup.key(2));
    rejected(&mut p, &forged, |e| {
        matches!(e, CeremonyError::BadSignature { .. })
    });
    // A complaint from trustee 9 of a 3-trustee ceremony.
    let stranger = Message::Complaint(Complaint {
        from: ti(9),
        against: ti(1),
        reason: ComplaintReason::Missing,
    })
    .sign(p.setup.params.id(), p.setup.key(1));
    rejected(&mut p, &stranger, |e| {
        matches!(e, CeremonyError::UnknownTrustee(9))
    });
    // The genuine message still goes through afterwards.
    let held = p.held.clone();
    p.board.post(held, &mut p.ts);
}

#[test]
fn ceremony_rejects_out_of_round_and_out_of_order_messages() {
    let mut p = partial(23);
    // An unsolicited reveal (no complaint): rejected, and the board stays in round 1.
    let reveal = p.setup.sign(Message::Reveal(Reveal {
        from: ti(1),
        to: ti(2),
        share: Scalar::ONE,
    }));
    rejected(&mut p, &reveal, |e| {
        matches!(e, CeremonyError::UnsolicitedReveal { .. })
    });
    assert_eq!(p.board.state.phase(), Round::Commitments);
    // A round-2 message missing a recipient is malformed.
    let shares = p.ts[0].round2(&mut p.rng).unwrap();
    let Message::EncryptedShares(mut m) = shares.message.clone() else {
        panic!()
    };
    m.shares.pop();
    let short = p.setup.sign(Message::EncryptedShares(m));
    rejected(&mut p, &short, |e| {
        matches!(
            e,
            CeremonyError::Malformed {
                round: Round::Shares,
                ..
            }
        )
    });
    // A complaint against oneself is malformed too.
    let selfish = p.setup.sign(Message::Complaint(Complaint {
        from: ti(1),
        against: ti(1),
        reason: ComplaintReason::Missing,
    }));
    rejected(&mut p, &selfish, |e| {
        matches!(e, CeremonyError::Malformed { .. })
    });
    // Round 2 opens: the board closes round 1 and trustee 3's commitment is now late.
    p.board.post(shares, &mut p.ts);
    assert_eq!(p.board.state.phase(), Round::Shares);
    let held = p.held.clone();
    rejected(&mut p, &held, |e| {
        matches!(
            e,
            CeremonyError::OutOfRound {
                round: Round::Commitments,
                phase: Round::Shares,
                ..
            }
        )
    });
    assert!(matches!(
        p.ts[2].round1(&mut p.rng).unwrap_err(),
        CeremonyError::RoundClosed { .. }
    ));
    // A complaint against trustee 3, which is out, is malformed.
    let pointless = p.setup.sign(Message::Complaint(Complaint {
        from: ti(1),
        against: ti(3),
        reason: ComplaintReason::Missing,
    }));
    rejected(&mut p, &pointless, |e| {
        matches!(e, CeremonyError::Malformed { .. })
    });
    // And `verify_ceremony` refuses a board holding a late message, saying where.
    let mut log = p.board.log.clone();
    log.push(p.held.clone());
    let err = verify_ceremony(&p.setup.params, &log).unwrap_err();
    assert!(matches!(
        err,
        CeremonyError::AtMessage { position: 3, ref source } if matches!(**source, CeremonyError::OutOfRound { .. })
    ));
}

#[test]
fn ceremony_trustee_rejects_a_foreign_commitment_under_its_own_key() {
    let mut p = partial(24);
    // Someone holding trustee 3's signing key posts a commitment that is not trustee 3's.
    let mut c = match &p.held.message {
        Message::Commitment(c) => c.clone(),
        _ => panic!(),
    };
    c.coefficients.swap(0, 1);
    let fake = p.setup.sign(Message::Commitment(c));
    let mut t3 = p.setup.trustee(3);
    for m in &p.board.log {
        t3.receive(m).unwrap();
    }
    let before = t3.state().clone();
    assert!(matches!(
        t3.receive(&fake).unwrap_err(),
        CeremonyError::OwnMessageMismatch { .. }
    ));
    assert_eq!(t3.state(), &before);
    // An observer only sees an invalid commitment (proofs do not match) and accepts it.
    p.board.state.receive(&fake).unwrap();
    assert!(!p.board.state.has_valid_commitment(ti(3)));
}

#[test]
fn ceremony_params_are_validated() {
    let mut rng = ChaCha20Rng::seed_from_u64(25);
    let s = Setup::new(3, 2, &mut rng);
    let h = *s.params.manifest_hash();
    let ts = s.params.trustees().to_vec();
    assert!(CeremonyParams::new(h, 3, 0, ts.clone()).is_err());
    assert!(CeremonyParams::new(h, 3, 4, ts.clone()).is_err());
    assert!(CeremonyParams::new(h, 4, 2, ts.clone()).is_err());
    let mut swapped = ts.clone();
    swapped.swap(0, 1);
    assert!(CeremonyParams::new(h, 3, 2, swapped).is_err());
    let mut shared = ts.clone();
    shared[2].ceremony_key = shared[0].ceremony_key;
    assert!(CeremonyParams::new(h, 3, 2, shared).is_err());
    let mut unnamed = ts.clone();
    unnamed[1].name = " ".into();
    assert!(CeremonyParams::new(h, 3, 2, unnamed).is_err());
    assert!(s.params.clone().with_attempt(0).is_err());
    // The id binds everything: another threshold or manifest is another ceremony.
    let other_k = CeremonyParams::new(h, 3, 3, ts.clone()).unwrap();
    let other_m = CeremonyParams::new(Digest([7; 32]), 3, 2, ts.clone()).unwrap();
    assert_ne!(other_k.id(), s.params.id());
    assert_ne!(other_m.id(), s.params.id());
    // Keys must match the registered ones.
    assert!(matches!(
        Trustee::new(
            s.params.clone(),
            ti(1),
            s.key(2).clone(),
            s.secrets[0].clone()
        )
        .unwrap_err(),
        CeremonyError::KeyMismatch { .. }
    ));
    assert!(matches!(
        Trustee::new(
            s.params.clone(),
            ti(1),
            s.key(1).clone(),
            s.secrets[1].clone()
        )
        .unwrap_err(),
        CeremonyError::KeyMismatch { .. }
    ));
    assert!(matches!(
        Trustee::new(
            s.params.clone(),
            ti(4),
            s.key(1).clone(),
            s.secrets[0].clone()
        )
        .unwrap_err(),
        CeremonyError::UnknownTrustee(4)
    ));
    // Secrets do not print.
    let t = s.trustee(1);
    let dbg = format!("{t:?} {:?}", s.secrets[0]);
    assert!(!dbg.contains(&hex::encode(s.secrets[0].to_bytes().as_ref())));
    assert!(dbg.contains("<secret>"));
}

/// n = 5, k = 3: trustee 3 falsely accuses dealer 2; dealer 2 crashes after round 3 and is
/// resumed from the board alone; it answers, and ends exactly where its uninterrupted twin does.
#[test]
fn ceremony_interrupted_trustee_resumes_by_replay() {
    let mut rng = ChaCha20Rng::seed_from_u64(30);
    let setup = Setup::new(5, 3, &mut rng);
    let mut ts = setup.trustees();
    let mut twin = setup.trustee(2);
    let mut board = Board::new(&setup.params);
    let deliver_twin = |twin: &mut Trustee, board: &Board, from: usize| {
        for m in &board.log[from..] {
            twin.receive(m).unwrap();
        }
    };
    round(&mut board, &mut ts, Round::Commitments, &[], &mut rng);
    // Dealer 2 posts its shares and crashes before seeing them come back.
    let mine = ts[1].round2(&mut rng).unwrap();
    let others = act(&ts, Round::Shares, &[2], &mut rng);
    let mut alive: Vec<Trustee> = ts.into_iter().filter(|t| t.index() != ti(2)).collect();
    board.post(mine, &mut alive);
    board.post_all(others, &mut alive);
    let lie = setup.sign(Message::Complaint(Complaint {
        from: ti(3),
        against: ti(2),
        reason: ComplaintReason::DecryptionFailed,
    }));
    board.post(lie, &mut alive);
    round(&mut board, &mut alive, Round::Complaints, &[], &mut rng);

    // Resume trustee 2 from its keys and the board.
    let resumed = Trustee::replay(
        setup.params.clone(),
        ti(2),
        setup.key(2).clone(),
        setup.secrets[1].clone(),
        &board.log,
    )
    .unwrap();
    deliver_twin(&mut twin, &board, 0);
    assert_eq!(resumed.state(), twin.state());
    assert_eq!(resumed.state(), &board.state);
    // It knows what it already sent.
    assert!(matches!(
        resumed.round2(&mut rng).unwrap_err(),
        CeremonyError::RoundClosed { .. } | CeremonyError::AlreadySent { .. }
    ));
    // Both would answer the complaint with the same share (the polynomial is derived).
    let answer = resumed.round4().unwrap();
    assert_eq!(answer, twin.round4().unwrap());
    assert_eq!(answer.len(), 1);
    let mut all: Vec<Trustee> = alive;
    all.insert(1, resumed);
    let from = board.log.len();
    board.post_all(answer, &mut all);
    deliver_twin(&mut twin, &board, from);

    let outcomes: Vec<TrusteeOutcome> = all.iter().map(|t| t.finish().unwrap()).collect();
    let public = agree(&setup, &board, &outcomes);
    assert_eq!(public.qualified.len(), 5);
    assert_eq!(public.complaints[0].resolution, Resolution::ValidShare);
    let t = twin.finish().unwrap();
    assert_eq!(
        t.secret_share.to_bytes(),
        outcomes[1].secret_share.to_bytes()
    );
    decrypts(&setup, &outcomes, &public);

    // Replaying a board that is not this ceremony's fails at the first foreign message.
    let other = setup.params.clone().with_attempt(2).unwrap();
    let err = Trustee::replay(
        other,
        ti(2),
        setup.key(2).clone(),
        setup.secrets[1].clone(),
        &board.log,
    )
    .unwrap_err();
    assert!(matches!(err, CeremonyError::AtMessage { position: 0, .. }));
}

// ---------------------------------------------------------------------------------------------
// Encodings.

/// A complete board with every message type (bad share, complaint, reveal), made once.
fn sample_board() -> &'static (CeremonyParams, Vec<SignedMessage>) {
    static BOARD: OnceLock<(CeremonyParams, Vec<SignedMessage>)> = OnceLock::new();
    BOARD.get_or_init(|| {
        let (setup, board, _) = bad_share_run(Some("bad"), 40);
        (setup.params, board.log)
    })
}

#[test]
fn ceremony_encodings_round_trip() {
    let (params, log) = sample_board();
    let kinds: std::collections::BTreeSet<Round> = log.iter().map(|m| m.message.round()).collect();
    assert_eq!(kinds.len(), 4);
    for m in log {
        let bytes = m.to_canonical_bytes();
        assert_eq!(&SignedMessage::from_canonical_bytes(&bytes).unwrap(), m);
        let json = serde_json::to_string(m).unwrap();
        assert_eq!(&serde_json::from_str::<SignedMessage>(&json).unwrap(), m);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(SignedMessage::from_canonical_bytes(&longer).is_err());
    }
    let bytes = params.to_canonical_bytes();
    let decoded = CeremonyParams::from_canonical_bytes(&bytes).unwrap();
    assert_eq!(&decoded, params);
    assert_eq!(decoded.id(), params.id());
    let key = CeremonySecretKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
    let again = CeremonySecretKey::from_bytes(&key.to_bytes()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert!(CeremonySecretKey::from_bytes(&[0; 32]).is_err());
    assert!(CeremonySecretKey::from_bytes(&[0xff; 32]).is_err());
}

#[test]
fn ceremony_share_encryption_is_bound_to_its_slot() {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    let s = Setup::new(3, 2, &mut rng);
    let id = s.params.id();
    let share = SecretShare::from_scalar(random_scalar(&mut rng));
    let x2 = &s.secrets[1];
    let e = EncryptedShare::encrypt(id, ti(1), ti(2), &x2.public_key(), &share, &mut rng);
    assert_eq!(
        e.decrypt(id, ti(1), ti(2), x2).unwrap().to_bytes(),
        share.to_bytes()
    );
    // Another recipient's key, another dealer, another slot, another ceremony: no decryption.
    assert!(e.decrypt(id, ti(1), ti(2), &s.secrets[2]).is_err());
    assert!(e.decrypt(id, ti(3), ti(2), x2).is_err());
    assert!(e.decrypt(id, ti(1), ti(3), x2).is_err());
    assert!(e.decrypt(&Digest([1; 32]), ti(1), ti(2), x2).is_err());
    let mut flipped = e.clone();
    flipped.ciphertext[40] ^= 1;
    assert!(flipped.decrypt(id, ti(1), ti(2), x2).is_err());
    // Fresh ephemeral per share.
    let e2 = EncryptedShare::encrypt(id, ti(1), ti(2), &x2.public_key(), &share, &mut rng);
    assert_ne!(e.ephemeral, e2.ephemeral);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ceremony_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = SignedMessage::from_canonical_bytes(&bytes);
        let _ = Message::from_canonical_bytes(&bytes);
        let _ = CeremonyParams::from_canonical_bytes(&bytes);
        let _ = serde_json::from_str::<SignedMessage>(&format!("\"{}\"", hex::encode(&bytes)));
    }

    /// Any one changed byte of a board message makes it undecodable or rejected: nothing
    /// altered in transit is ever accepted.
    #[test]
    fn ceremony_altered_messages_are_rejected(
        which in 0usize..64, pos in any::<usize>(), xor in 1u8..=255
    ) {
        let (params, log) = sample_board();
        let which = which % log.len();
        let mut bytes = log[which].to_canonical_bytes();
        let p = pos % bytes.len();
        bytes[p] ^= xor;
        if let Ok(m) = SignedMessage::from_canonical_bytes(&bytes) {
            let mut state = CeremonyState::new(params.clone());
            for earlier in &log[..which] {
                state.receive(earlier).unwrap();
            }
            let before = state.clone();
            prop_assert!(state.receive(&m).is_err());
            prop_assert_eq!(state, before);
        }
    }
}

// Complaint reasons are 1–4 (docs/protocol.md §9.5): any other byte is undecodable, so the
// message (and its board entry) is refused; among 1–4 the verdict does not depend on it.
#[test]
fn complaint_reasons_outside_one_to_four_do_not_decode() {
    let (_, log) = sample_board();
    let complaint = log
        .iter()
        .find(|m| matches!(m.message, Message::Complaint(_)))
        .expect("the sample board has a complaint")
        .message
        .clone();
    let bytes = complaint.to_canonical_bytes();
    let last = bytes.len() - 1;
    for reason in 0u8..=255 {
        let mut b = bytes.clone();
        b[last] = reason;
        let decoded = Message::from_canonical_bytes(&b);
        assert_eq!(
            decoded.is_ok(),
            (1..=4).contains(&reason),
            "reason {reason}"
        );
    }
}
