//! The election's rules, replayed: a whole election through `Rules`, with every
//! illegal transition and hostile entry rejected (and leaving the state unchanged).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_core::ballot::{encrypt_ballot, verify_ballot, EncryptedBallot};
use psephos_core::credential::{CredentialCode, CredentialSecret};
use psephos_core::election::{Election, Manifest};
use psephos_core::sim::{random_ballot, run_ceremony, CeremonyRun};
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyAccumulator};
use psephos_record::credentials::{CredentialList, ListedCredential};
use psephos_record::{
    Applied, Challenged, Control, Definition, KeyAnnouncement, Payload, Phase, RuleError,
    RuleErrorKind, Rules,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../election-config/municipal-2026.toml"
    ))
    .unwrap();
    Manifest::from_toml(&text).unwrap()
}

struct Voter {
    secret: CredentialSecret,
    style: String,
}

struct Setup {
    state: Rules,
    run: CeremonyRun,
    election: Election,
    voters: Vec<Voter>,
    rng: ChaCha20Rng,
}

/// Asserts that `payload` is rejected with `kind` and that nothing changed.
fn rejected(state: &mut Rules, payload: &Payload, kind: RuleErrorKind) -> RuleError {
    let before = (state.size(), state.phase(), state.counts());
    let e = state.apply(payload).unwrap_err();
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(before, (state.size(), state.phase(), state.counts()));
    e
}

/// A ballot of voter `voter`, with its proofs verified (the caller's half of the contract).
fn ballot(s: &mut Setup, voter: usize) -> EncryptedBallot {
    let b = ballot_unchecked(s, voter);
    verify_ballot(&s.election, b.clone()).unwrap();
    b
}

/// A ballot made without the verification step.
fn ballot_unchecked(s: &mut Setup, voter: usize) -> EncryptedBallot {
    let v = &s.voters[voter];
    let plain = random_ballot(s.election.manifest(), &v.style, &mut s.rng).unwrap();
    encrypt_ballot(&s.election, &v.secret, &plain, &mut s.rng)
        .unwrap()
        .0
}

/// Definition, ceremony, key, credentials, open — with the illegal steps on the way refused.
fn open_election() -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let manifest = manifest();
    let run = run_ceremony(manifest.hash(), 3, 2, &mut rng).unwrap();
    let mut state = Rules::new();

    rejected(
        &mut state,
        &Payload::Control(Control::Open),
        RuleErrorKind::Conflict,
    );
    let def = Payload::Definition(Definition {
        manifest: manifest.clone(),
        ceremony: run.params.clone(),
    });
    assert_eq!(state.apply(&def).unwrap(), Applied::Defined);
    rejected(&mut state, &def, RuleErrorKind::Conflict);
    assert_eq!(state.phase(), Phase::Ceremony);

    for m in &run.log {
        state.apply(&Payload::Ceremony(m.clone())).unwrap();
    }
    rejected(
        &mut state,
        &Payload::Ceremony(run.log[0].clone()),
        RuleErrorKind::Conflict,
    );
    let outcome = state.ceremony().unwrap().outcome().unwrap();
    let announcement = KeyAnnouncement::from_outcome(&outcome, &manifest);
    // An announcement of another key is refused.
    let mut forged = announcement.clone();
    forged.joint_key = run.outcomes[0].verification_keys[0].1;
    rejected(
        &mut state,
        &Payload::Control(Control::CeremonyComplete(forged)),
        RuleErrorKind::Invalid,
    );
    rejected(
        &mut state,
        &Payload::Control(Control::Open),
        RuleErrorKind::Conflict,
    );
    state
        .apply(&Payload::Control(Control::CeremonyComplete(
            announcement.clone(),
        )))
        .unwrap();
    assert_eq!(state.phase(), Phase::KeyReady);
    let late = run.log[run.log.len() - 1].clone();
    rejected(
        &mut state,
        &Payload::Ceremony(late),
        RuleErrorKind::Conflict,
    );
    let election = Election::new(manifest.clone(), outcome.joint_key).unwrap();
    assert_eq!(state.election().unwrap().hash(), election.hash());
    // No credentials yet: opening would let nobody vote.
    rejected(
        &mut state,
        &Payload::Control(Control::Open),
        RuleErrorKind::Invalid,
    );

    let mut voters = Vec::new();
    let mut listed = Vec::new();
    for (i, style) in manifest.ballot_styles.iter().enumerate() {
        for _ in 0..(2 + i) {
            let secret = CredentialCode::generate(&mut rng).secret(&manifest.id);
            listed.push(ListedCredential {
                credential: secret.public(),
                style: style.id.clone(),
                weight: 1,
            });
            voters.push(Voter {
                secret,
                style: style.id.clone(),
            });
        }
    }
    let list = CredentialList::new(&manifest, listed);
    let (a, b) = list.credentials.split_at(3);
    let part = |c: &[ListedCredential]| {
        let mut l = list.clone();
        l.credentials = c.to_vec();
        Payload::Credentials(l)
    };
    // Two entries; the first posted twice is a duplicate; out of order is refused.
    state.apply(&part(b)).unwrap();
    let e = rejected(&mut state, &part(a), RuleErrorKind::Invalid);
    assert!(e.to_string().contains("out of order"), "{e}");
    let e = rejected(&mut state, &part(b), RuleErrorKind::Invalid);
    assert!(e.to_string().contains("listed twice"), "{e}");
    // Within one entry too, and the whole list's own check says the same.
    let mut twice = list.clone();
    twice.credentials.insert(1, twice.credentials[0].clone());
    assert!(matches!(
        twice.validate(&manifest),
        Err(psephos_record::credentials::ListError::Duplicate { index: 1, .. })
    ));
    let mut swapped = list.clone();
    swapped.credentials.swap(0, 2);
    assert!(matches!(
        swapped.validate(&manifest),
        Err(psephos_record::credentials::ListError::Unsorted { index: 1 })
    ));
    list.validate(&manifest).unwrap();
    // Start over on the same prefix and publish in order.
    let mut state = {
        let mut s = Rules::new();
        s.apply(&def).unwrap();
        for m in &run.log {
            s.apply(&Payload::Ceremony(m.clone())).unwrap();
        }
        s.apply(&Payload::Control(Control::CeremonyComplete(announcement)))
            .unwrap();
        s
    };
    state.apply(&part(a)).unwrap();
    state.apply(&part(b)).unwrap();
    assert_eq!(state.counts().credentials, list.credentials.len() as u64);

    // No booth manifest yet: voting cannot open (§11.6).
    let e = rejected(
        &mut state,
        &Payload::Control(Control::Open),
        RuleErrorKind::Conflict,
    );
    assert!(matches!(e, RuleError::NoBoothManifest), "{e}");
    let [booth, open] = psephos_record::booth::opening(psephos_record::booth::no_booth());
    // A malformed one is refused; a later one before the opening replaces the earlier.
    let mut bad = psephos_record::booth::no_booth();
    bad.index = "/index.html".into();
    rejected(
        &mut state,
        &Payload::BoothManifest(bad),
        RuleErrorKind::Invalid,
    );
    assert_eq!(state.apply(&booth).unwrap(), Applied::BoothManifest);
    assert_eq!(state.apply(&booth).unwrap(), Applied::BoothManifest);
    let at = state.size() - 1;
    assert_eq!(state.booth().map(|(_, i)| i), Some(at));
    state.apply(&open).unwrap();
    assert_eq!(state.phase(), Phase::Open);
    // Once voting is open the manifest cannot change.
    let e = rejected(&mut state, &booth, RuleErrorKind::Conflict);
    assert!(e.to_string().contains("booth manifest"), "{e}");
    assert_eq!(state.booth().map(|(_, i)| i), Some(at));
    rejected(&mut state, &part(a), RuleErrorKind::Conflict);
    Setup {
        state,
        run,
        election,
        voters,
        rng,
    }
}

#[test]
fn a_whole_election_follows_the_rules() {
    let mut s = open_election();

    // Cast, replay, revote.
    let b0 = ballot(&mut s, 0);
    let applied = s.state.apply(&Payload::Ballot(b0.clone())).unwrap();
    assert!(matches!(
        applied,
        Applied::Ballot {
            superseded: None,
            ..
        }
    ));
    let e = rejected(
        &mut s.state,
        &Payload::Ballot(b0.clone()),
        RuleErrorKind::Conflict,
    );
    assert!(matches!(e, RuleError::Replayed { .. }), "{e}");
    let first = s.state.ballot_index(&b0.hash()).unwrap();
    let b0b = ballot(&mut s, 0);
    let applied = s.state.apply(&Payload::Ballot(b0b.clone())).unwrap();
    assert!(matches!(applied, Applied::Ballot { superseded: Some(i), .. } if i == first));
    assert_eq!(
        s.state.last_ballot(&b0.credential),
        s.state.ballot_index(&b0b.hash())
    );

    // Unknown credential.
    let stranger = CredentialCode::generate(&mut s.rng).secret(&s.election.manifest().id);
    let style = s.voters[0].style.clone();
    let plain = random_ballot(s.election.manifest(), &style, &mut s.rng).unwrap();
    let unknown = encrypt_ballot(&s.election, &stranger, &plain, &mut s.rng)
        .unwrap()
        .0;
    rejected(
        &mut s.state,
        &Payload::Ballot(unknown),
        RuleErrorKind::Forbidden,
    );

    // A voter listed for another style casting this style's ballot.
    let other = s.voters.iter().position(|v| v.style != style).unwrap();
    let plain = random_ballot(s.election.manifest(), &style, &mut s.rng).unwrap();
    let mut wrong_style = encrypt_ballot(&s.election, &s.voters[other].secret, &plain, &mut s.rng)
        .unwrap()
        .0;
    let e = rejected(
        &mut s.state,
        &Payload::Ballot(wrong_style.clone()),
        RuleErrorKind::Invalid,
    );
    assert!(matches!(e, RuleError::WrongStyle { .. }), "{e}");
    // Another election.
    wrong_style.election = psephos_core::hash::Digest([1; 32]);
    let e = rejected(
        &mut s.state,
        &Payload::Ballot(wrong_style),
        RuleErrorKind::Invalid,
    );
    assert!(matches!(e, RuleError::WrongElection), "{e}");
    // A signature copied from another ballot.
    let mut forged = ballot(&mut s, 1);
    forged.signature = b0b.signature;
    rejected(
        &mut s.state,
        &Payload::Ballot(forged),
        RuleErrorKind::Invalid,
    );

    // Challenge: published, then never castable; a cast ballot cannot be challenged.
    let v = &s.voters[2];
    let plain = random_ballot(s.election.manifest(), &v.style, &mut s.rng).unwrap();
    let (cb, secrets) = encrypt_ballot(&s.election, &v.secret, &plain, &mut s.rng).unwrap();
    let reveal = secrets.reveal(&cb);
    let challenged = Payload::Challenge(Challenged {
        ballot: cb.clone(),
        reveal: reveal.clone(),
    });
    s.state.apply(&challenged).unwrap();
    rejected(&mut s.state, &challenged, RuleErrorKind::Conflict);
    let e = rejected(&mut s.state, &Payload::Ballot(cb), RuleErrorKind::Conflict);
    assert!(matches!(e, RuleError::ChallengedBallot(_)), "{e}");
    let e = rejected(
        &mut s.state,
        &Payload::Challenge(Challenged {
            ballot: b0b.clone(),
            reveal,
        }),
        RuleErrorKind::Conflict,
    );
    assert!(matches!(e, RuleError::AlreadyCast(_)), "{e}");

    // Everyone else votes once.
    let mut cast = vec![b0b.clone()];
    for i in 1..s.voters.len() {
        let b = ballot(&mut s, i);
        s.state.apply(&Payload::Ballot(b.clone())).unwrap();
        cast.push(b);
    }
    assert_eq!(s.state.counts().voters, s.voters.len() as u64);
    assert_eq!(s.state.counts().ballots_cast, s.voters.len() as u64 + 1);
    assert_eq!(s.state.counts().challenges, 1);

    let tally = {
        let mut acc = TallyAccumulator::new(&s.election);
        for b in &cast {
            acc.add(&verify_ballot(&s.election, b.clone()).unwrap(), 1)
                .unwrap();
        }
        acc.finish()
    };
    // No tally while open; close; nothing cast after close.
    rejected(
        &mut s.state,
        &Payload::Tally(tally.clone()),
        RuleErrorKind::Conflict,
    );
    s.state.apply(&Payload::Control(Control::Close)).unwrap();
    let late = ballot_unchecked(&mut s, 3);
    rejected(
        &mut s.state,
        &Payload::Ballot(late),
        RuleErrorKind::Conflict,
    );
    rejected(
        &mut s.state,
        &Payload::Control(Control::Close),
        RuleErrorKind::Conflict,
    );

    // A tally claiming one ballot more (the superseded one counted) is refused.
    let mut padded: EncryptedTally = tally.clone();
    padded.contests[0].ballots += 1;
    rejected(
        &mut s.state,
        &Payload::Tally(padded),
        RuleErrorKind::Invalid,
    );
    s.state.apply(&Payload::Tally(tally.clone())).unwrap();
    assert_eq!(s.state.phase(), Phase::Tallying);

    // Shares: trustee 3 absent; a bad share named; a duplicate is a conflict.
    let shares: Vec<DecryptionShare> = s.run.outcomes[..2]
        .iter()
        .map(|o| DecryptionShare::compute(&tally, o.index.get(), &o.secret_share, &mut s.rng))
        .collect();
    let mut bad = shares[1].clone();
    bad.contests[0][0].share = shares[0].contests[0][0].share;
    let e = rejected(&mut s.state, &Payload::Share(bad), RuleErrorKind::Invalid);
    assert!(matches!(e, RuleError::Share { trustee: 2, .. }), "{e}");
    s.state.apply(&Payload::Share(shares[0].clone())).unwrap();
    let e = rejected(
        &mut s.state,
        &Payload::Share(shares[0].clone()),
        RuleErrorKind::Conflict,
    );
    assert!(
        matches!(e, RuleError::ShareAlreadyPosted { trustee: 1 }),
        "{e}"
    );
    assert!(e.to_string().contains("already posted"), "{e}");
    assert!(s.state.combined_result().is_err(), "one share of 2 needed");
    s.state.apply(&Payload::Share(shares[1].clone())).unwrap();
    let result = s.state.combined_result().unwrap();
    let mut altered = result.clone();
    altered.contests[0].counts[0] += 1;
    rejected(
        &mut s.state,
        &Payload::Result(altered),
        RuleErrorKind::Invalid,
    );
    s.state.apply(&Payload::Result(result.clone())).unwrap();
    assert_eq!(s.state.phase(), Phase::Decrypted);
    assert_eq!(
        result.contests.iter().map(|c| c.ballots).sum::<u64>(),
        s.state
            .expected_tally_counts()
            .iter()
            .map(|c| c.0)
            .sum::<u64>()
    );
}

#[test]
fn every_payload_round_trips_through_its_canonical_bytes() {
    let mut s = open_election();
    let b = ballot(&mut s, 0);
    let announcement = s.state.key().unwrap().clone();
    let payloads = vec![
        Payload::Definition(s.state.definition().unwrap().clone()),
        Payload::Ceremony(s.run.log[0].clone()),
        Payload::Ballot(b),
        Payload::Control(Control::CeremonyComplete(announcement)),
        Payload::Control(Control::Open),
        Payload::Control(Control::Close),
        Payload::BoothManifest(psephos_record::booth::no_booth()),
    ];
    for p in payloads {
        let bytes = p.to_bytes();
        assert_eq!(Payload::decode(p.kind(), &bytes).unwrap(), p);
        let mut long = bytes.clone();
        long.push(0);
        assert!(Payload::decode(p.kind(), &long).is_err());
        assert!(Payload::decode(p.kind(), &bytes[..bytes.len() - 1]).is_err());
    }
    assert!(Payload::decode(psephos_board::EntryKind::Control, &[9]).is_err());
}

// An election whose tally could never be decrypted is refused at its credential list, before
// anyone votes (docs/protocol.md §11.3, "Decryptable elections"): a contest's counts reach its
// listed weight times its largest option maximum, and the combination searches at most 2^40.
// The limit holds across entries, and a refused entry changes nothing.
#[test]
fn credential_lists_keep_every_contest_decryptable() {
    let manifest = Manifest::from_toml(
        r#"
[election]
id = "heavy"
name = "Heavy"
weighted = true
[trustees]
count = 1
threshold = 1
[[contests]]
id = "score"
title = "Score"
kind = "score"
max_score = 1000000
options = [{ id = "a", label = "A" }]
[[ballot_styles]]
id = "all"
contests = ["score"]
"#,
    )
    .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let run = run_ceremony(manifest.hash(), 1, 1, &mut rng).unwrap();
    let mut state = Rules::new();
    state
        .apply(&Payload::Definition(Definition {
            manifest: manifest.clone(),
            ceremony: run.params.clone(),
        }))
        .unwrap();
    let listed = |weights: &[u64], rng: &mut ChaCha20Rng| -> Vec<ListedCredential> {
        weights
            .iter()
            .map(|&weight| ListedCredential {
                credential: CredentialCode::generate(rng).secret("heavy").public(),
                style: "all".into(),
                weight,
            })
            .collect()
    };
    // 2 × 10^6 × 10^6 = 2·10^12 > 2^40: refused, with the reason.
    let two = CredentialList::new(&manifest, listed(&[1_000_000, 1_000_000], &mut rng));
    let e = rejected(
        &mut state,
        &Payload::Credentials(two),
        RuleErrorKind::Invalid,
    );
    assert!(e.to_string().contains("could never be tallied"), "{e}");
    assert!(e.to_string().contains("\"score\""), "{e}");
    // One voter of weight 10^6 fits (10^12 ≤ 2^40 ≈ 1.0995·10^12)…
    let one = CredentialList::new(&manifest, listed(&[1_000_000], &mut rng));
    state.apply(&Payload::Credentials(one.clone())).unwrap();
    // …and a later entry that would push the contest over is refused in turn (credentials of a
    // later entry sort after the last one listed).
    let last = one.credentials[0].credential.to_bytes();
    let mut above = |weight: u64| loop {
        let c = listed(&[weight], &mut rng).remove(0);
        if c.credential.to_bytes() > last {
            break c;
        }
    };
    let e = rejected(
        &mut state,
        &Payload::Credentials(CredentialList::new(&manifest, vec![above(99_512)])),
        RuleErrorKind::Invalid,
    );
    assert!(e.to_string().contains("could never be tallied"), "{e}");
    // 10^6 × (10^6 + 99,511) ≤ 2^40 still fits.
    state
        .apply(&Payload::Credentials(CredentialList::new(
            &manifest,
            vec![above(99_511)],
        )))
        .unwrap();
}
