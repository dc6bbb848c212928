//! The server's fast replay and its rollback: `Rules::replay_entry` over a board must
//! give exactly the state that `Rules::apply` gave when the entries were posted, and
//! `Rules::rollback` must take a batch back exactly (a failed commit), in both cases
//! including the credential and ballot tables and the tracking-code index.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_board::EntryKind;
use psephos_core::ballot::EncryptedBallot;
use psephos_core::encoding::Canonical;
use psephos_record::sim::Simulation;
use psephos_record::{Control, Payload, Phase, RuleError, Rules};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const VOTERS: usize = 30;

/// Definition … open, then every voter's ballots (revotes and challenges), then close.
fn board() -> (Simulation, Vec<Payload>, usize) {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let sim = Simulation::new(psephos_core::sim::shapes::approval(2, 3), VOTERS, &mut rng).unwrap();
    let mut p = vec![sim.definition()];
    p.extend(sim.ceremony_messages());
    p.extend(sim.credential_lists());
    p.push(sim.key_announcement().unwrap());
    p.extend(sim.opening());
    let opened = p.len();
    for i in 0..VOTERS {
        p.extend(sim.votes(i, &mut rng).unwrap());
    }
    p.push(Payload::Control(Control::Close));
    (sim, p, opened)
}

fn applied(payloads: &[Payload]) -> Rules {
    let mut s = Rules::new();
    for p in payloads {
        s.apply(p).unwrap();
    }
    s
}

fn replayed(payloads: &[Payload]) -> Rules {
    let mut s = Rules::new();
    for p in payloads {
        s.replay_entry(p.kind(), &p.to_bytes()).unwrap();
    }
    s
}

fn ballot_of(p: &Payload) -> Option<(&EncryptedBallot, bool)> {
    match p {
        Payload::Ballot(b) => Some((b, false)),
        Payload::Challenge(c) => Some((&c.ballot, true)),
        _ => None,
    }
}

/// Everything a caller can observe of `s` about the election in `payloads`.
fn assert_same(a: &Rules, b: &Rules, sim: &Simulation, payloads: &[Payload]) {
    assert_eq!(a.size(), b.size());
    assert_eq!(a.phase(), b.phase());
    assert_eq!(a.counts(), b.counts());
    assert_eq!(a.counted(), b.counted());
    assert_eq!(a.expected_tally_counts(), b.expected_tally_counts());
    for i in 0..sim.voters {
        let c = sim.credential(i).public();
        assert_eq!(a.eligibility(&c), b.eligibility(&c));
        assert_eq!(a.last_ballot(&c), b.last_ballot(&c));
    }
    for p in payloads {
        if let Some((ballot, _)) = ballot_of(p) {
            let h = ballot.hash();
            let mut code = [0u8; 10];
            code.copy_from_slice(&h.0[..10]);
            assert_eq!(a.ballot_index(&h), b.ballot_index(&h));
            assert_eq!(a.challenge_index(&h), b.challenge_index(&h));
            assert_eq!(a.tracked(&code), b.tracked(&code));
        }
    }
}

#[test]
fn replaying_a_board_gives_the_state_that_applying_it_gave() {
    let (sim, payloads, _) = board();
    let a = applied(&payloads);
    let b = replayed(&payloads);
    assert_same(&a, &b, &sim, &payloads);
    let counts = b.counts();
    assert_eq!(counts.voters, VOTERS as u64);
    assert!(counts.ballots_cast > counts.voters, "the board has revotes");
    assert!(counts.challenges > 0, "the board has challenges");
    assert_eq!(b.phase(), Phase::Closed);
    // Every ballot and challenge is found by its tracking code, where it is on the board.
    for (index, p) in payloads.iter().enumerate() {
        if let Some((ballot, challenged)) = ballot_of(p) {
            let h = ballot.hash();
            let mut code = [0u8; 10];
            code.copy_from_slice(&h.0[..10]);
            let t = b.tracked(&code).unwrap();
            assert_eq!(t.index, index as u64);
            assert_eq!(t.hash, h.0);
            assert_eq!(t.credential, ballot.credential.to_bytes());
            assert_eq!(t.challenged, challenged);
        }
    }
    assert_eq!(b.tracked(&[0u8; 10]), None);
}

#[test]
fn the_fast_replay_still_refuses_what_breaks_the_rules() {
    let (_, payloads, opened) = board();
    let mut s = replayed(&payloads[..opened + 1]);
    // The same ballot again: a replay.
    let first = payloads[opened..]
        .iter()
        .find(|p| matches!(p, Payload::Ballot(_)))
        .unwrap();
    let err = s
        .replay_entry(EntryKind::Ballot, &first.to_bytes())
        .unwrap_err();
    assert!(matches!(err, RuleError::Replayed { .. }), "{err}");
    // A ballot of an unlisted credential, and one for another election.
    let Payload::Ballot(b) = first else {
        unreachable!()
    };
    let mut stranger = b.clone();
    stranger.credential = psephos_core::group::Point::from_point(
        curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
    );
    let err = s
        .replay_entry(EntryKind::Ballot, &stranger.to_canonical_bytes())
        .unwrap_err();
    assert_eq!(err, RuleError::UnknownCredential);
    let mut foreign = b.clone();
    foreign.election.0[0] ^= 1;
    let err = s
        .replay_entry(EntryKind::Ballot, &foreign.to_canonical_bytes())
        .unwrap_err();
    assert_eq!(err, RuleError::WrongElection);
    // Bytes that are not a ballot.
    let err = s.replay_entry(EntryKind::Ballot, &[1, 2, 3]).unwrap_err();
    assert!(matches!(err, RuleError::Decode { .. }), "{err}");
    assert_eq!(s.size() as usize, opened + 1);
}

#[test]
fn a_failed_batch_of_ballots_is_taken_back_exactly() {
    let (sim, payloads, opened) = board();
    let close = payloads.len() - 1;
    // Half the voters, then a batch with the rest (revotes and challenges among them).
    let cut = opened + (close - opened) / 2;
    let before = applied(&payloads[..cut]);
    let mut s = applied(&payloads[..cut]);
    let mark = s.mark(true);
    for p in &payloads[cut..close] {
        s.apply(p).unwrap();
    }
    assert_ne!(s.counts(), before.counts());
    s.rollback(mark).unwrap();
    assert_same(&s, &before, &sim, &payloads);
    // Nothing of the batch is left: it applies again, to the state of a straight run.
    for p in &payloads[cut..] {
        s.apply(p).unwrap();
    }
    assert_same(&s, &applied(&payloads), &sim, &payloads);
}

#[test]
fn a_failed_close_is_taken_back_and_a_cheap_mark_refuses_it() {
    let (sim, payloads, _) = board();
    let close = payloads.len() - 1;
    let before = applied(&payloads[..close]);
    let mut s = applied(&payloads[..close]);
    // A ballots-only mark cannot take back a control entry, and says so without a change.
    let cheap = s.mark(true);
    s.apply(&payloads[close]).unwrap();
    assert!(s.rollback(cheap).is_err());
    assert_eq!(s.phase(), Phase::Closed);
    // A full mark can.
    let mut s = applied(&payloads[..close]);
    let mark = s.mark(false);
    s.apply(&payloads[close]).unwrap();
    s.rollback(mark).unwrap();
    assert_eq!(s.phase(), Phase::Open);
    assert_same(&s, &before, &sim, &payloads);
    s.apply(&payloads[close]).unwrap();
    assert_same(&s, &applied(&payloads), &sim, &payloads);
}

#[test]
fn credentials_published_in_a_failed_batch_are_taken_back() {
    let (sim, payloads, opened) = board();
    let lists: Vec<usize> = (0..opened)
        .filter(|&i| matches!(payloads[i], Payload::Credentials(_)))
        .collect();
    let first_list = lists[0];
    let mut s = applied(&payloads[..first_list]);
    let mark = s.mark(false);
    for p in &payloads[first_list..opened] {
        s.apply(p).unwrap();
    }
    assert_eq!(s.counts().credentials, VOTERS as u64);
    s.rollback(mark).unwrap();
    assert_eq!(s.counts().credentials, 0);
    assert_eq!(s.eligibility(&sim.credential(0).public()), None);
    for p in &payloads[first_list..] {
        s.apply(p).unwrap();
    }
    assert_same(&s, &applied(&payloads), &sim, &payloads);
}

#[test]
fn the_fast_replay_of_credential_lists_refuses_what_the_full_rules_refuse() {
    let (_, payloads, _) = board();
    let first = payloads
        .iter()
        .position(|p| matches!(p, Payload::Credentials(_)))
        .unwrap();
    let Payload::Credentials(list) = &payloads[first] else {
        unreachable!()
    };
    let mut full = applied(&payloads[..=first]);
    let mut fast = replayed(&payloads[..=first]);
    let mut bad_lists = Vec::new();
    // The same list again (every credential listed twice), one credential again, unsorted,
    // the identity, another election's list.
    bad_lists.push(list.clone());
    let mut one = list.clone();
    one.credentials.truncate(1);
    bad_lists.push(one);
    let mut unsorted = list.clone();
    unsorted.credentials.reverse();
    bad_lists.push(unsorted);
    let mut identity = list.clone();
    identity.credentials[0].credential = psephos_core::group::Point::identity();
    bad_lists.push(identity);
    let mut foreign = list.clone();
    foreign.election_id.push('x');
    bad_lists.push(foreign);
    for l in bad_lists {
        let p = Payload::Credentials(l);
        let bytes = p.to_bytes();
        let a = full
            .apply_bytes(EntryKind::CredentialList, &bytes)
            .unwrap_err();
        let b = fast
            .replay_entry(EntryKind::CredentialList, &bytes)
            .unwrap_err();
        // The same words, except that the identity fails the full decoding before the rules.
        if !matches!(a, RuleError::Decode { .. }) {
            assert_eq!(a, b);
        }
        assert_eq!(full.counts(), fast.counts());
    }
}
