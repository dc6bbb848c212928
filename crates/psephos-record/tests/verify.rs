//! The verifier against a whole simulated election and against one tampering per check.
//!
//! Each tampering targets one check. Where the point is a deeper check than the board's, the
//! tampered board is made consistent again the way a fully corrupt authority would: entries
//! re-sealed and checkpoints re-signed with the board key (and cosigned by the witness key), and
//! — where the tally depends on the change — the tally, the decryption shares (with the
//! trustees' secret shares) and the result recomputed from what the rules accept. The test then
//! asserts that exactly the targeted check fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use psephos_board::note::{Cosigner, NoteSigner};
use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::{verify_ballot, VerifiedBallot};
use psephos_core::election::Manifest;
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyAccumulator};
use psephos_record::format::{RecordItem, RecordReader, RecordWriter};
use psephos_record::sim::{seal_record, Simulation};
use psephos_record::verify::{
    verify_record_with, Anchor, NoProgress, Source, Status, VerifyOptions,
};
use psephos_record::{CheckId, Control, ElectionState, Payload, Report};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const MANIFEST: &str = r#"
[election]
id = "verify-test"
name = "Verifier test election"
weighted = true

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
kind = "plurality"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]

[[contests]]
id = "council"
title = "Council"
kind = "approval"
min_selections = 0
max_selections = 2
options = [{ id = "x", label = "X" }, { id = "y", label = "Y" }, { id = "z", label = "Z" }]

[[ballot_styles]]
id = "north"
contests = ["mayor", "council"]

[[ballot_styles]]
id = "south"
contests = ["mayor"]
"#;

const VOTERS: usize = 24;

/// Which ballots the rebuilt tally sums.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Count {
    Last,
    First,
}

struct Fixture {
    sim: Simulation,
    board: NoteSigner,
    witness: Cosigner,
    /// Everything up to and including the close of voting.
    voting: Vec<Payload>,
    rng: ChaCha20Rng,
}

impl Fixture {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(2026);
        let manifest = Manifest::from_toml(MANIFEST).unwrap();
        let sim = Simulation::new(manifest, VOTERS, &mut rng).unwrap();
        let mut voting = vec![sim.definition()];
        voting.extend(sim.ceremony_messages());
        voting.extend(sim.credential_lists());
        voting.push(sim.key_announcement().unwrap());
        voting.push(Payload::Control(Control::Open));
        for i in 0..VOTERS {
            voting.extend(sim.votes(i, &mut rng).unwrap());
        }
        voting.push(Payload::Control(Control::Close));
        let board = NoteSigner::new(
            "board.example/verify-test",
            ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        let witness = Cosigner::new(
            "witness.example",
            ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        Fixture {
            sim,
            board,
            witness,
            voting,
            rng,
        }
    }

    /// The ballots the rules accept (signature, proofs, eligibility), replayed in order, and the
    /// tally of the last (or first) ballot of each credential.
    fn tally(&self, payloads: &[Payload], count: Count) -> EncryptedTally {
        let mut state = ElectionState::new();
        let mut accepted: BTreeMap<[u8; 32], Vec<(VerifiedBallot, u64)>> = BTreeMap::new();
        for p in payloads {
            match p {
                Payload::Ballot(b) => {
                    let Some(election) = state.election().cloned() else {
                        state.skip_entry();
                        continue;
                    };
                    match verify_ballot(&election, b.clone()) {
                        Ok(vb) if state.apply_verified_ballot(&vb).is_ok() => {
                            let w = state.eligibility(&b.credential).unwrap().weight;
                            accepted
                                .entry(b.credential.to_bytes())
                                .or_default()
                                .push((vb, w));
                        }
                        _ => state.skip_entry(),
                    }
                }
                p => {
                    if state.apply(p).is_err() {
                        state.skip_entry();
                    }
                }
            }
        }
        let mut acc = TallyAccumulator::new(&self.sim.election);
        for ballots in accepted.values() {
            let (b, w) = match count {
                Count::Last => ballots.last().unwrap(),
                Count::First => ballots.first().unwrap(),
            };
            acc.add(b, *w).unwrap();
        }
        acc.finish()
    }

    /// Tally, shares of the present trustees and result for `voting`.
    fn finish(&mut self, voting: &[Payload], count: Count) -> Vec<Payload> {
        let tally = self.tally(voting, count);
        self.decrypt(voting, tally)
    }

    fn decrypt(&mut self, voting: &[Payload], tally: EncryptedTally) -> Vec<Payload> {
        let shares: Vec<DecryptionShare> = self
            .sim
            .present_trustees()
            .into_iter()
            .map(|j| self.sim.share(&tally, j, &mut self.rng).unwrap())
            .collect();
        let result = self.sim.result(&tally, &shares).unwrap();
        let mut all = voting.to_vec();
        all.push(Payload::Tally(tally));
        all.extend(shares.into_iter().map(Payload::Share));
        all.push(Payload::Result(result));
        all
    }

    fn seal(&self, payloads: &[Payload]) -> Vec<u8> {
        let entries: Vec<Entry> = payloads
            .iter()
            .map(|p| Entry::new(p.kind(), p.to_bytes()).unwrap())
            .collect();
        seal_entries(self, &entries)
    }
}

fn block_sizes(n: u64) -> Vec<u64> {
    let mut sizes: Vec<u64> = (1..=n).filter(|s| s % 10 == 0).collect();
    if sizes.last() != Some(&n) {
        sizes.push(n);
    }
    sizes
}

fn seal_entries(f: &Fixture, entries: &[Entry]) -> Vec<u8> {
    seal_record(
        entries,
        &block_sizes(entries.len() as u64),
        &f.board,
        std::slice::from_ref(&f.witness),
        1,
    )
    .unwrap()
}

fn verify(record: &[u8]) -> Report {
    verify_with(record, &VerifyOptions::default())
}

fn verify_with(record: &[u8], options: &VerifyOptions) -> Report {
    verify_record_with(record, options, &mut NoProgress)
}

fn read(record: &[u8]) -> (psephos_record::format::RecordHeader, Vec<RecordItem>) {
    let mut r = RecordReader::new(record).unwrap();
    let items = r.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (r.header().clone(), items)
}

fn write(header: &psephos_record::format::RecordHeader, items: &[RecordItem]) -> Vec<u8> {
    let mut w = RecordWriter::new(Vec::new(), header.clone()).unwrap();
    for it in items {
        match it {
            RecordItem::Entry(e) => w.entry(e.index, &e.entry).unwrap(),
            RecordItem::Block(b) => w.block(b).unwrap(),
        }
    }
    w.finish().unwrap()
}

/// Asserts that exactly `expected` fails; `skipped` lists the checks allowed to be skipped as a
/// consequence. Everything else passes (or does not apply).
fn assert_only(report: &Report, expected: CheckId, skipped: &[CheckId]) {
    let summary: Vec<String> = report
        .checks
        .iter()
        .map(|c| {
            format!(
                "{} {} {:?} {:?}",
                c.id.id(),
                c.status.name(),
                c.details,
                c.notes
            )
        })
        .collect();
    assert_eq!(report.failed(), vec![expected], "{summary:#?}");
    let c = report.check(expected).unwrap();
    eprintln!("{}: {:?}", expected.id(), c.details);
    for c in &report.checks {
        if c.id != expected && !skipped.contains(&c.id) {
            assert!(
                matches!(c.status, Status::Pass | Status::NotApplicable),
                "{} is {}: {summary:#?}",
                c.id.id(),
                c.status.name()
            );
        }
    }
    assert!(!report.passed);
}

fn index_of(payloads: &[Payload], pred: impl Fn(&Payload) -> bool) -> usize {
    payloads.iter().position(pred).unwrap()
}

/// The credentials that vote twice, by the index of their two ballots.
fn revote_pair(payloads: &[Payload]) -> (usize, usize) {
    let mut seen: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    for (i, p) in payloads.iter().enumerate() {
        if let Payload::Ballot(b) = p {
            if let Some(&first) = seen.get(&b.credential.to_bytes()) {
                return (first, i);
            }
            seen.insert(b.credential.to_bytes(), i);
        }
    }
    panic!("no revote")
}

#[test]
fn untampered_record_passes_every_check() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let all = f.finish(&voting, Count::Last);
    let record = f.seal(&all);
    let report = verify(&record);
    for c in &report.checks {
        let expected = if c.id == CheckId::BoardAnchors {
            Status::NotApplicable
        } else {
            Status::Pass
        };
        assert_eq!(
            c.status,
            expected,
            "{} {} {:?}",
            c.id.id(),
            c.status.name(),
            c.details
        );
    }
    assert!(report.passed);
    let counts = report.counts.unwrap();
    assert_eq!(counts.voters, VOTERS as u64);
    assert!(counts.ballots_cast > VOTERS as u64, "there are revotes");
    assert!(counts.challenges > 0);
    assert!(report.result.is_some());
    assert!(report.check(CheckId::BallotsProofs).unwrap().checked >= counts.ballots_cast);
}

// The anchors check is n/a without a trusted checkpoint; pass with the right one.
#[test]
fn anchors_apply_when_given() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let all = f.finish(&voting, Count::Last);
    let record = f.seal(&all);
    let report = verify(&record);
    assert_eq!(
        report.check(CheckId::BoardAnchors).unwrap().status,
        Status::NotApplicable
    );
    let (_, items) = read(&record);
    let anchors: Vec<Anchor> = items
        .iter()
        .filter_map(|i| match i {
            RecordItem::Block(b) => Some(Anchor {
                size: b.header.tree_size,
                root: b.header.root,
            }),
            _ => None,
        })
        .collect();
    let report = verify_with(
        &record,
        &VerifyOptions {
            anchors,
            ..VerifyOptions::default()
        },
    );
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(
        report.check(CheckId::BoardAnchors).unwrap().status,
        Status::Pass
    );
}

// A forged record names no witnesses and quorum 0 in its header and carries no cosignature.
// Trusting the header, it passes check 5 — and the report says the keys come from the record.
// With the real witness pinned, the quorum is that witness (never the header's 0), so check 5
// fails; pinned keys and the quorum's source are reported separately.
#[test]
fn pinned_witnesses_ignore_the_record_quorum() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let all = f.finish(&voting, Count::Last);
    let honest = f.seal(&all);
    let (mut header, mut items) = read(&honest);
    assert_eq!(header.witness_quorum, 1);
    header.witnesses.clear();
    header.witness_quorum = 0;
    for it in items.iter_mut() {
        if let RecordItem::Block(b) = it {
            b.cosignatures.clear();
        }
    }
    let forged = write(&header, &items);
    let witness_key = f.witness.verifier_key().clone();
    let board_key = f.board.verifier_key().clone();

    let report = verify(&forged);
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(report.trust.board_key, Source::RecordHeader);
    assert_eq!(report.trust.witnesses, Source::RecordHeader);
    assert_eq!(report.trust.quorum_source, Source::RecordHeader);
    assert_eq!(report.trust.quorum, 0);

    // The witness pinned, no quorum: every pinned witness must cosign.
    let pinned = VerifyOptions {
        witnesses: Some(vec![witness_key.clone()]),
        ..VerifyOptions::default()
    };
    let report = verify_with(&forged, &pinned);
    assert_only(&report, CheckId::BoardWitnesses, &[]);
    assert_eq!(report.trust.board_key, Source::RecordHeader);
    assert_eq!(report.trust.witnesses, Source::Pinned);
    assert_eq!(report.trust.quorum_source, Source::AllPinnedWitnesses);
    assert_eq!(report.trust.quorum, 1);

    // The board key pinned too: still the witness check, and the board key is reported pinned.
    let both = VerifyOptions {
        board_key: Some(board_key.clone()),
        ..pinned.clone()
    };
    let report = verify_with(&forged, &both);
    assert_only(&report, CheckId::BoardWitnesses, &[]);
    assert_eq!(report.trust.board_key, Source::Pinned);
    // Only the board key pinned: the witnesses and quorum are the record's, and said to be.
    let report = verify_with(
        &forged,
        &VerifyOptions {
            board_key: Some(board_key),
            ..VerifyOptions::default()
        },
    );
    assert!(report.passed);
    assert_eq!(report.trust.board_key, Source::Pinned);
    assert_eq!(report.trust.witnesses, Source::RecordHeader);

    // The honest record passes with its witness pinned; the same key twice counts once.
    let twice = VerifyOptions {
        witnesses: Some(vec![witness_key.clone(), witness_key.clone()]),
        ..VerifyOptions::default()
    };
    let report = verify_with(&honest, &twice);
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(report.trust.quorum, 1);
    assert_eq!(report.trust.witness_count, 1);

    // Two pinned witnesses, one of whom never cosigned: all are required unless --quorum says.
    let other = Cosigner::new(
        "other-witness.example",
        ed25519_dalek::SigningKey::from_bytes(&[3; 32]),
    )
    .unwrap();
    let mut two = VerifyOptions {
        witnesses: Some(vec![witness_key, other.verifier_key().clone()]),
        ..VerifyOptions::default()
    };
    assert_only(&verify_with(&honest, &two), CheckId::BoardWitnesses, &[]);
    two.quorum = Some(1);
    let report = verify_with(&honest, &two);
    assert!(report.passed, "{:?}", report.failed());
    assert_eq!(report.trust.quorum_source, Source::Pinned);
    // An explicit quorum is never replaced by the header's either.
    let report = verify_with(
        &forged,
        &VerifyOptions {
            quorum: Some(1),
            ..VerifyOptions::default()
        },
    );
    assert_only(&report, CheckId::BoardWitnesses, &[]);
}

#[test]
fn tampered_records_fail_exactly_the_expected_check() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let honest = f.finish(&voting, Count::Last);
    let record = f.seal(&honest);
    assert!(verify(&record).passed);
    let (header, items) = read(&record);

    // --- record.format: truncated.
    assert_only(
        &verify(&record[..record.len() - 7]),
        CheckId::RecordFormat,
        &CheckId::ALL,
    );

    // --- board.checkpoints: forge the last checkpoint's signature (another key, same name).
    {
        let mut items = items.clone();
        let forger = NoteSigner::new(
            "board.example/verify-test",
            ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap();
        let Some(RecordItem::Block(b)) = items.last_mut() else {
            panic!()
        };
        let body_end = b.header.checkpoint.rfind("\n\n").unwrap() + 1;
        let body = &b.header.checkpoint[..body_end];
        let mut note = psephos_board::note::Note::new(body.to_owned()).unwrap();
        let line = forger.sign(note.text()).unwrap();
        // Same name and key ID as the real board key, wrong signature.
        let real = f.board.sign(note.text()).unwrap().to_string();
        let forged = forger_line_with_real_id(&real, &line.to_string());
        note.add_signature(forged.parse().unwrap()).unwrap();
        b.header.checkpoint = note.encode().unwrap();
        assert_only(
            &verify(&write(&header, &items)),
            CheckId::BoardCheckpoints,
            &[],
        );
    }

    // --- board.blocks: break a block link.
    {
        let mut items = items.clone();
        let b = items
            .iter_mut()
            .filter_map(|i| match i {
                RecordItem::Block(b) if b.header.height == 2 => Some(b),
                _ => None,
            })
            .next()
            .unwrap();
        b.header.prev_hash = psephos_board::merkle::Hash([7; 32]);
        assert_only(&verify(&write(&header, &items)), CheckId::BoardBlocks, &[]);
    }

    // --- board.merkle: swap two adjacent ballots of different voters without re-signing.
    {
        let mut items = items.clone();
        let pos = (0..items.len() - 1)
            .find(|&i| match (&items[i], &items[i + 1]) {
                (RecordItem::Entry(a), RecordItem::Entry(b)) => {
                    a.entry.kind == EntryKind::Ballot
                        && b.entry.kind == EntryKind::Ballot
                        && a.entry.payload[..80] != b.entry.payload[..80]
                }
                _ => false,
            })
            .unwrap();
        let (RecordItem::Entry(a), RecordItem::Entry(b)) =
            (items[pos].clone(), items[pos + 1].clone())
        else {
            panic!()
        };
        items[pos] = RecordItem::Entry(psephos_record::format::RecordEntry {
            index: a.index,
            entry: b.entry.clone(),
        });
        items[pos + 1] = RecordItem::Entry(psephos_record::format::RecordEntry {
            index: b.index,
            entry: a.entry,
        });
        assert_only(&verify(&write(&header, &items)), CheckId::BoardMerkle, &[]);
    }

    // --- board.witnesses: the board rewrites history (drops a ballot, recomputes the tally,
    // re-signs) and the witness does not cosign the fork.
    let dropped: Vec<Payload> = {
        let (_, second) = revote_pair(&voting);
        let first_single = index_of(&voting, |p| matches!(p, Payload::Ballot(_)));
        assert_ne!(first_single, second);
        let mut v = voting.clone();
        // Drop a voter's only ballot (the first ballot of a voter who does not revote).
        let i = (0..v.len())
            .find(|&i| match &v[i] {
                Payload::Ballot(b) => {
                    v.iter()
                        .filter(|p| matches!(p, Payload::Ballot(x) if x.credential == b.credential))
                        .count()
                        == 1
                }
                _ => false,
            })
            .unwrap();
        v.remove(i);
        f.finish(&v, Count::Last)
    };
    {
        let forked = f.seal(&dropped);
        let (h, mut its) = read(&forked);
        for it in its.iter_mut() {
            if let RecordItem::Block(b) = it {
                b.cosignatures.clear();
            }
        }
        assert_only(&verify(&write(&h, &its)), CheckId::BoardWitnesses, &[]);
    }

    // --- board.anchors: the same fork, cosigned by a colluding witness, against the honest
    // board's last checkpoint held by a voter.
    {
        let forked = f.seal(&dropped);
        assert!(
            verify(&forked).passed,
            "a consistent fork passes without an anchor"
        );
        let RecordItem::Block(last) = items.last().unwrap() else {
            panic!()
        };
        let options = VerifyOptions {
            anchors: vec![Anchor {
                size: last.header.tree_size,
                root: last.header.root,
            }],
            ..VerifyOptions::default()
        };
        assert_only(&verify_with(&forked, &options), CheckId::BoardAnchors, &[]);
    }

    // --- election.parameters: a definition whose ceremony is for another manifest.
    {
        let mut v = honest.clone();
        let Payload::Definition(d) = &mut v[0] else {
            panic!()
        };
        d.manifest.name = "Another election".into();
        assert_only(
            &verify(&f.seal(&v)),
            CheckId::ElectionParameters,
            &CheckId::ALL,
        );
    }

    // --- election.lifecycle: a second "open" after the close.
    {
        let mut v = voting.clone();
        v.push(Payload::Control(Control::Open));
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::ElectionLifecycle, &[]);
    }

    // --- ceremony.messages: a ceremony message replayed.
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Ceremony(_)));
        let m = v[i].clone();
        v.insert(i + 1, m);
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::CeremonyMessages, &[]);
    }

    // --- ceremony.outcome: an announced verification key that the ceremony does not give.
    {
        let mut v = honest.clone();
        let i = index_of(&v, |p| {
            matches!(p, Payload::Control(Control::CeremonyComplete(_)))
        });
        let Payload::Control(Control::CeremonyComplete(k)) = &mut v[i] else {
            panic!()
        };
        k.verification_keys[0].1 = k.joint_key;
        assert_only(
            &verify(&f.seal(&v)),
            CheckId::CeremonyOutcome,
            &CheckId::ALL,
        );
    }

    // --- credentials.list: a second list re-listing an already listed credential.
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Credentials(_)));
        let Payload::Credentials(l) = v[i].clone() else {
            panic!()
        };
        let mut dup = l.clone();
        dup.credentials.truncate(1);
        v.insert(i + 1, Payload::Credentials(dup));
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::CredentialsList, &[]);
    }

    // --- ballots.eligibility: a valid ballot from an unlisted credential.
    {
        let mut v = voting.clone();
        let secret = psephos_core::credential::CredentialCode::generate(&mut f.rng)
            .secret(&f.sim.manifest.id);
        let p = psephos_core::sim::random_ballot(&f.sim.manifest, "north", &mut f.rng).unwrap();
        let (b, _) =
            psephos_core::ballot::encrypt_ballot(&f.sim.election, &secret, &p, &mut f.rng).unwrap();
        let close = v.len() - 1;
        v.insert(close, Payload::Ballot(b));
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::BallotsEligibility, &[]);
    }

    // --- ballots.signature: a ballot's signature replaced by another ballot's.
    {
        let mut v = voting.clone();
        let (first, second) = revote_pair(&v);
        let Payload::Ballot(other) = v[first].clone() else {
            panic!()
        };
        let Payload::Ballot(b) = &mut v[second] else {
            panic!()
        };
        b.signature = other.signature;
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::BallotsSignature, &[]);
    }

    // --- ballots.proofs: two ciphertexts swapped, the ballot re-signed by its voter.
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Ballot(_)));
        let Payload::Ballot(b) = &mut v[i] else {
            panic!()
        };
        let voter = (0..VOTERS)
            .find(|&j| f.sim.credential(j).public() == b.credential)
            .unwrap();
        b.contests[0].ciphertexts.swap(0, 1);
        b.sign(&f.sim.credential(voter), &mut f.rng);
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::BallotsProofs, &[]);
    }

    // --- ballots.revote: the tally counts the older ballot of each revoting voter.
    {
        let all = f.finish(&voting, Count::First);
        assert_only(
            &verify(&f.seal(&all)),
            CheckId::BallotsRevote,
            &[CheckId::TallyAggregate],
        );
    }

    // --- challenges: a challenged ballot cast afterwards.
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Challenge(_)));
        let Payload::Challenge(c) = v[i].clone() else {
            panic!()
        };
        v.insert(i + 1, Payload::Ballot(c.ballot));
        let all = f.finish(&v, Count::Last);
        assert_only(&verify(&f.seal(&all)), CheckId::Challenges, &[]);
    }

    // --- tally.aggregate: one aggregate ciphertext shifted by one vote, then decrypted.
    {
        let mut tally = f.tally(&voting, Count::Last);
        let ct = &mut tally.contests[0].ciphertexts[0];
        ct.beta = psephos_core::group::Point::from_point(
            ct.beta.point() + curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        );
        let all = f.decrypt(&voting, tally);
        assert_only(
            &verify(&f.seal(&all)),
            CheckId::TallyAggregate,
            &[CheckId::BallotsRevote],
        );
    }

    // --- tally.shares: an extra share by the absent trustee, altered.
    {
        let mut v = honest.clone();
        let tally = match v.iter().find(|p| matches!(p, Payload::Tally(_))) {
            Some(Payload::Tally(t)) => t.clone(),
            _ => panic!(),
        };
        let absent = (1..=3)
            .find(|j| !f.sim.present_trustees().contains(j))
            .unwrap();
        let mut s = f.sim.share(&tally, absent, &mut f.rng).unwrap();
        s.contests[0][0].share = psephos_core::group::Point::from_point(
            s.contests[0][0].share.point() + curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        );
        let r = v.len() - 1;
        v.insert(r, Payload::Share(s));
        assert_only(&verify(&f.seal(&v)), CheckId::TallyShares, &[]);
    }

    // --- tally.combination: a result posted with one share fewer than the threshold.
    {
        let mut v = honest.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Share(_)));
        v.remove(i);
        assert_only(
            &verify(&f.seal(&v)),
            CheckId::TallyCombination,
            &[CheckId::TallyResult],
        );
    }

    // --- tally.result: one count altered.
    {
        let mut v = honest.clone();
        let Some(Payload::Result(r)) = v.last_mut() else {
            panic!()
        };
        r.contests[0].counts[0] += 1;
        assert_only(&verify(&f.seal(&v)), CheckId::TallyResult, &[]);
    }
}

/// A signature line with the real key's name and key ID but another key's signature bytes.
fn forger_line_with_real_id(real: &str, forged: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let real_raw = b64.decode(real.rsplit(' ').next().unwrap()).unwrap();
    let forged_raw = b64.decode(forged.rsplit(' ').next().unwrap()).unwrap();
    let mut raw = real_raw[..4].to_vec();
    raw.extend_from_slice(&forged_raw[4..]);
    let name = real.split(' ').nth(1).unwrap();
    format!("\u{2014} {name} {}", b64.encode(raw))
}
