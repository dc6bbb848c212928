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

use psephos_board::checkpoint::Cosigner;
use psephos_board::note::NoteSigner;
use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::{verify_ballot, VerifiedBallot};
use psephos_core::election::Manifest;
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyAccumulator};
use psephos_record::format::{RecordItem, RecordReader, RecordWriter};
use psephos_record::sim::{seal_record, Simulation};
use psephos_record::verify::{
    verify_record_with, Anchor, NoProgress, Source, Status, VerifyOptions,
};
use psephos_record::{CheckId, Control, Payload, Report, Rules};
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
        voting.extend(sim.opening());
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
        let mut state = Rules::new();
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
        // No anchor is given, and nothing is mixed in this election (checks 22–27).
        let expected = if c.id == CheckId::BoardAnchors || c.id.number() >= 22 {
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
            RecordItem::Block(b) => Some(Anchor::new(b.cosigned_note())),
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

    // The witness pinned, no quorum: a majority of the pinned witnesses (here the one) must cosign.
    let pinned = VerifyOptions {
        witnesses: Some(vec![witness_key.clone()]),
        ..VerifyOptions::default()
    };
    let report = verify_with(&forged, &pinned);
    assert_only(&report, CheckId::BoardWitnesses, &[]);
    assert_eq!(report.trust.board_key, Source::RecordHeader);
    assert_eq!(report.trust.witnesses, Source::Pinned);
    assert_eq!(
        report.trust.quorum_source,
        Source::MajorityOfPinnedWitnesses
    );
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

    // Two pinned witnesses, one of whom never cosigned: a majority of two is both, unless
    // --quorum says otherwise.
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
                RecordItem::Block(b) if b.header.number == 2 => Some(b),
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
            anchors: vec![Anchor::new(last.cosigned_note())],
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

    // --- booth.manifest: the booth changed after voting opened (a second manifest).
    {
        let mut v = voting.clone();
        let open = index_of(&v, |p| matches!(p, Payload::Control(Control::Open)));
        let mut other = psephos_record::booth::no_booth();
        other.csp.push_str("; script-src *");
        v.insert(open + 2, Payload::BoothManifest(other));
        let all = f.finish(&v, Count::Last);
        let report = verify(&f.seal(&all));
        assert_only(&report, CheckId::BoothManifest, &[]);
        let detail = &report.check(CheckId::BoothManifest).unwrap().details[0];
        assert!(detail.contains("booth manifest"), "{detail}");
        // The manifest in force is still the one before the opening.
        assert_eq!(
            report.booth_manifest,
            Some(psephos_record::booth::no_booth().hash().to_hex())
        );
    }

    // --- booth.manifest: voting opened without a manifest (the opening is refused, and what
    // needed it is skipped).
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::BoothManifest(_)));
        v.remove(i);
        let all = f.finish(&v, Count::Last);
        let report = verify(&f.seal(&all));
        assert_only(&report, CheckId::BoothManifest, &CheckId::ALL);
        assert_eq!(report.booth_manifest, None);
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
            &[
                CheckId::TallyAggregate,
                CheckId::TallyShares,
                CheckId::TallyCombination,
                CheckId::TallyResult,
            ],
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

    // --- challenges: an opening that does not re-encrypt to the ballot (its openings are
    // checked in parallel, apart from the rules: still this check, with its reason).
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Challenge(_)));
        let Payload::Challenge(mut c) = v[i].clone() else {
            panic!()
        };
        c.reveal.contests[0][0].nonce += curve25519_dalek::scalar::Scalar::ONE;
        v[i] = Payload::Challenge(c);
        let all = f.finish(&v, Count::Last);
        let report = verify(&f.seal(&all));
        assert_only(&report, CheckId::Challenges, &[]);
        let details = &report.check(CheckId::Challenges).unwrap().details;
        assert!(
            details
                .iter()
                .any(|d| d.contains("does not re-encrypt to the published ciphertexts")),
            "{details:?}"
        );
    }

    // --- challenges: the same challenge twice: the rule (a replay) is named, before the
    // opening (which is valid) is looked at.
    {
        let mut v = voting.clone();
        let i = index_of(&v, |p| matches!(p, Payload::Challenge(_)));
        let again = v[i].clone();
        v.insert(i + 1, again);
        let all = f.finish(&v, Count::Last);
        let report = verify(&f.seal(&all));
        assert_only(&report, CheckId::Challenges, &[]);
        let details = &report.check(CheckId::Challenges).unwrap().details;
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(!details[0].contains("re-encrypt"), "{details:?}");
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
            &[
                CheckId::BallotsRevote,
                CheckId::TallyShares,
                CheckId::TallyCombination,
                CheckId::TallyResult,
            ],
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

// ---------------------------------------------------------------------------------------------
// Where the verifier and its documents must agree (issue "[1/10]"): one tampered record per
// point, each made the way a malicious operator holding the board key could.
// ---------------------------------------------------------------------------------------------

use psephos_board::note::{key_id, SignatureType, VerifierKey};
use psephos_record::format::RecordHeader;

/// How [`reseal`] departs from an honest board.
#[derive(Default)]
struct Reseal {
    /// Sign the checkpoints with this board key seed and name instead of the fixture's (a
    /// replaced board key).
    board: Option<([u8; 32], &'static str)>,
    /// Appended to every checkpoint body as an extension line, signed as is (the operator
    /// signs raw bytes with its key, whatever the note rules say).
    extension: Option<String>,
    /// Put the witness cosignature lines inside the header's checkpoint note.
    cosign_in_header: bool,
    /// Leave the record's cosignature lines (beside the headers) empty.
    no_cosign_beside: bool,
    /// No witness at all in the header (and quorum 0).
    no_witness: bool,
    /// Edit the header last (keys, quorum).
    header: Option<HeaderEdit>,
}

/// An edit of the record header, made last.
type HeaderEdit = Box<dyn Fn(&mut RecordHeader)>;

/// A note signed with the raw Ed25519 key: `text`, a blank line, the board's signature line.
fn raw_signed_note(text: &str, seed: [u8; 32], name: &str) -> String {
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    let id = key_id(name, SignatureType::Ed25519, &sk.verifying_key());
    let mut raw = id.to_be_bytes().to_vec();
    raw.extend_from_slice(&sk.sign(text.as_bytes()).to_bytes());
    format!(
        "{text}\n\u{2014} {name} {}\n",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Seals `payloads` into a record as the board would (blocks every ten entries, chained
/// headers, checkpoints signed by the board key, cosigned by the fixture's witness), with the
/// departures of `how`. A re-sealing board: whatever it changed, every signature it can make
/// is valid.
fn reseal(f: &Fixture, payloads: &[Payload], how: &Reseal) -> Vec<u8> {
    use psephos_board::block::{Block, BlockHeader};
    use psephos_board::checkpoint::{Checkpoint, SignedCheckpoint};
    use psephos_board::merkle::Hash;
    use psephos_board::note::Note;
    use psephos_record::format::{RecordBlock, RecordEntry};
    use psephos_record::verify::MerkleFrontier;

    let (seed, name) = how.board.unwrap_or(([1; 32], "board.example/verify-test"));
    let board_key = VerifierKey::new(
        name,
        SignatureType::Ed25519,
        ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key(),
    )
    .unwrap();
    let entries: Vec<Entry> = payloads
        .iter()
        .map(|p| Entry::new(p.kind(), p.to_bytes()).unwrap())
        .collect();
    let sizes = block_sizes(entries.len() as u64);
    let mut header = RecordHeader {
        origin: name.to_owned(),
        board_key: board_key.clone(),
        witnesses: if how.no_witness {
            vec![]
        } else {
            vec![f.witness.verifier_key().clone()]
        },
        witness_quorum: u32::from(!how.no_witness),
        entries: entries.len() as u64,
        blocks: sizes.len() as u64,
    };
    if let Some(edit) = &how.header {
        edit(&mut header);
    }
    let mut w = RecordWriter::new(Vec::new(), header).unwrap();
    let mut frontier = MerkleFrontier::default();
    let mut prev: Option<Block> = None;
    for (i, e) in entries.iter().enumerate() {
        w.entry(
            i as u64,
            &RecordEntry {
                index: i as u64,
                entry: e.clone(),
            }
            .entry,
        )
        .unwrap();
        frontier.push(e.leaf_hash().unwrap());
        let size = frontier.size();
        if !sizes.contains(&size) {
            continue;
        }
        let root = frontier.root();
        let mut body = Checkpoint::new(name, size, root).to_body().unwrap();
        if let Some(ext) = &how.extension {
            body.push_str(ext);
            body.push('\n');
        }
        let board_note = raw_signed_note(&body, seed, name);
        let mut cosignatures = Vec::new();
        if !how.no_witness {
            if let Ok(opened) = SignedCheckpoint::open(board_note.as_bytes(), name, &board_key, &[])
            {
                let line = f.witness.cosign(&opened, 1_700_000_000 + size).unwrap();
                cosignatures.push(line.to_string());
            }
        }
        let checkpoint = if how.cosign_in_header {
            let mut text = board_note.clone();
            for c in &cosignatures {
                text.push_str(c);
                text.push('\n');
            }
            assert!(Note::parse(text.as_bytes()).is_ok());
            text
        } else {
            board_note
        };
        let number = prev.as_ref().map_or(0, |b| b.header.number + 1);
        let bh = BlockHeader {
            number,
            prev_hash: prev.as_ref().map_or(Hash([0; 32]), |b| b.hash),
            time_ms: 1_700_000_000_000 + number * 1000,
            tree_size: size,
            root,
            checkpoint,
        };
        w.block(&RecordBlock {
            header: bh.clone(),
            cosignatures: if how.no_cosign_beside {
                vec![]
            } else {
                cosignatures
            },
        })
        .unwrap();
        prev = Some(Block::new(bh).unwrap());
    }
    w.finish().unwrap()
}

fn honest_election(f: &mut Fixture) -> Vec<Payload> {
    let voting = f.voting.clone();
    f.finish(&voting, Count::Last)
}

fn status(r: &Report, id: CheckId) -> Status {
    r.check(id).unwrap().status
}

// The helper itself: an honest re-seal passes everything, so each departure below is the only
// defect of its record.
#[test]
fn reseal_of_an_honest_board_passes() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let report = verify(&reseal(&f, &all, &Reseal::default()));
    assert!(report.passed, "{:?}", report.failed());
}

// 1. A type-0x01 key in the witness list (the board's own key) made the board's signature line
// count as a cosignature: no witness at all, every check passed. The header's witness keys
// must be cosignature/v1 (else the record is malformed, check 1); a pinned one is refused too
// (check 5) and never counted.
#[test]
fn a_board_key_is_no_witness() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let board_key = f.board.verifier_key().clone();
    let bk = board_key.clone();
    let forged = reseal(
        &f,
        &all,
        &Reseal {
            no_cosign_beside: true,
            header: Some(Box::new(move |h| {
                h.witnesses = vec![bk.clone()];
                h.witness_quorum = 1;
            })),
            ..Reseal::default()
        },
    );
    let report = verify(&forged);
    assert_only(&report, CheckId::RecordFormat, &CheckId::ALL);
    assert!(
        report.check(CheckId::RecordFormat).unwrap().details[0].contains("cosignature/v1"),
        "{:?}",
        report.check(CheckId::RecordFormat)
    );

    // Pinned with --witness: the key is refused and not counted, so the quorum of one fails.
    let no_cosig = reseal(
        &f,
        &all,
        &Reseal {
            no_cosign_beside: true,
            ..Reseal::default()
        },
    );
    let report = verify_with(
        &no_cosig,
        &VerifyOptions {
            witnesses: Some(vec![board_key]),
            quorum: Some(1),
            ..VerifyOptions::default()
        },
    );
    assert_only(&report, CheckId::BoardWitnesses, &[]);
    assert_eq!(report.trust.witness_count, 0);
}

// 2. Two voters of weight 10^6 on a 0–10^6 score contest: every check accepted the encrypted
// tally, and no result could ever be decrypted (the election stuck in tallying). The credential
// list that makes it undecryptable is refused (check 11), before anyone votes.
#[test]
fn an_undecryptable_election_is_refused_at_the_credential_list() {
    use psephos_record::credentials::{CredentialList, ListedCredential};
    let toml = r#"
[election]
id = "heavy"
name = "Heavy weights"
weighted = true

[trustees]
count = 3
threshold = 2

[[contests]]
id = "score"
title = "Score"
kind = "score"
max_score = 1000000
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]

[[ballot_styles]]
id = "all"
contests = ["score"]
"#;
    let mut f = Fixture::new();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let manifest = Manifest::from_toml(toml).unwrap();
    let sim = Simulation::new(manifest.clone(), 2, &mut rng).unwrap();
    let listed: Vec<ListedCredential> = (0..2)
        .map(|i| ListedCredential {
            credential: sim.credential(i).public(),
            style: "all".into(),
            weight: 1_000_000,
        })
        .collect();
    let mut v = vec![sim.definition()];
    v.extend(sim.ceremony_messages());
    v.extend(
        CredentialList::new(&manifest, listed)
            .chunks()
            .into_iter()
            .map(Payload::Credentials),
    );
    v.push(sim.key_announcement().unwrap());
    v.extend(sim.opening());
    for i in 0..2 {
        v.push(Payload::Ballot(sim.ballot(i, &mut rng).unwrap()));
    }
    v.push(Payload::Control(Control::Close));
    // The tally the rules would have taken: the weighted sum, which no share set can decrypt.
    let mut acc = TallyAccumulator::new(&sim.election);
    for p in &v {
        if let Payload::Ballot(b) = p {
            let vb = verify_ballot(&sim.election, b.clone()).unwrap();
            acc.add(&vb, 1_000_000).unwrap();
        }
    }
    let tally = acc.finish();
    let share = sim.share(&tally, 2, &mut rng).unwrap();
    let share3 = sim.share(&tally, 3, &mut rng).unwrap();
    assert!(
        sim.result(&tally, &[share, share3]).is_err(),
        "the tally cannot be decrypted"
    );
    v.push(Payload::Tally(tally));
    f.sim = sim;
    let report = verify(&f.seal(&v));
    assert_only(&report, CheckId::CredentialsList, &CheckId::ALL);
    let detail = &report.check(CheckId::CredentialsList).unwrap().details[0];
    assert!(detail.contains("could never be tallied"), "{detail}");
}

// 3. A trusted checkpoint (a voter's receipt) signed by the real board. The operator replaces
// the board key in the header and re-seals the same entries with its own key: same roots, so
// an anchor compared by size and root alone passed. It must open under the board's origin and
// key (check 6).
#[test]
fn anchors_must_open_under_the_board_key() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let honest = f.seal(&all);
    let (_, items) = read(&honest);
    let receipt = items
        .iter()
        .find_map(|i| match i {
            RecordItem::Block(b) => Some(b.cosigned_note()),
            _ => None,
        })
        .unwrap();
    let anchored = VerifyOptions {
        anchors: vec![Anchor::new(receipt.clone())],
        ..VerifyOptions::default()
    };
    assert!(verify_with(&honest, &anchored).passed);
    let forged = reseal(
        &f,
        &all,
        &Reseal {
            board: Some(([9; 32], "board.example/verify-test")),
            ..Reseal::default()
        },
    );
    assert!(verify(&forged).passed, "the re-keyed record alone passes");
    assert_only(&verify_with(&forged, &anchored), CheckId::BoardAnchors, &[]);
    // Another origin and key altogether: refused just the same.
    let other = raw_signed_note(
        &psephos_board::checkpoint::Checkpoint::new("elsewhere.example", 1, {
            let (_, its) = read(&honest);
            match &its[1] {
                RecordItem::Block(b) => b.header.root,
                _ => psephos_board::merkle::Hash([0; 32]),
            }
        })
        .to_body()
        .unwrap(),
        [5; 32],
        "elsewhere.example",
    );
    assert_only(
        &verify_with(
            &honest,
            &VerifyOptions {
                anchors: vec![Anchor::new(other)],
                ..VerifyOptions::default()
            },
        ),
        CheckId::BoardAnchors,
        &[],
    );
}

// 4. The board key's name must be the origin (record.md), and a header board key of the wrong
// type is a malformed record (check 1), not a checkpoint failure.
#[test]
fn the_header_board_key_is_the_origins_note_key() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let renamed = NoteSigner::new(
        "another-name.example",
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap()
    .verifier_key()
    .clone();
    let forged = reseal(
        &f,
        &all,
        &Reseal {
            header: Some(Box::new(move |h| h.board_key = renamed.clone())),
            ..Reseal::default()
        },
    );
    let report = verify(&forged);
    assert_only(&report, CheckId::RecordFormat, &CheckId::ALL);
    assert!(report.check(CheckId::RecordFormat).unwrap().details[0].contains("origin"));

    let witness_typed = Cosigner::new(
        "board.example/verify-test",
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap()
    .verifier_key()
    .clone();
    let forged = reseal(
        &f,
        &all,
        &Reseal {
            header: Some(Box::new(move |h| h.board_key = witness_typed.clone())),
            ..Reseal::default()
        },
    );
    assert_only(&verify(&forged), CheckId::RecordFormat, &CheckId::ALL);
}

// 5. DEL (0x7F) is an ASCII control character: a checkpoint carrying one does not open (check 2).
#[test]
fn del_in_a_checkpoint_is_refused() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let forged = reseal(
        &f,
        &all,
        &Reseal {
            extension: Some("note\u{7f}".into()),
            no_witness: true,
            ..Reseal::default()
        },
    );
    let report = verify(&forged);
    assert_only(&report, CheckId::BoardCheckpoints, &[]);
    // The same extension without DEL is fine: the line is not the problem, the byte is.
    let fine = reseal(
        &f,
        &all,
        &Reseal {
            extension: Some("note~".into()),
            no_witness: true,
            ..Reseal::default()
        },
    );
    assert!(verify(&fine).passed, "{:?}", verify(&fine).failed());
}

// 6. The header holds the checkpoint as the board signed it, without cosignatures (§10.9).
// Cosignature lines inside it are refused (check 2) and never count towards the quorum
// (check 5).
#[test]
fn cosignatures_inside_the_block_header_do_not_count() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let inside_only = reseal(
        &f,
        &all,
        &Reseal {
            cosign_in_header: true,
            no_cosign_beside: true,
            ..Reseal::default()
        },
    );
    let report = verify(&inside_only);
    assert_eq!(
        report.failed(),
        vec![CheckId::BoardCheckpoints, CheckId::BoardWitnesses],
        "{:?}",
        report.checks
    );
    // With the cosignatures beside the header as well, only the header's form is wrong.
    let both = reseal(
        &f,
        &all,
        &Reseal {
            cosign_in_header: true,
            ..Reseal::default()
        },
    );
    assert_only(&verify(&both), CheckId::BoardCheckpoints, &[]);
}

// 7a. A ballot whose proof bytes were altered fails its proofs (§8.4 orders proofs before the
// signature), although its signature, which covers the proofs, fails too.
#[test]
fn altered_proof_bytes_are_a_proof_failure() {
    let mut f = Fixture::new();
    let mut v = f.voting.clone();
    let i = index_of(&v, |p| matches!(p, Payload::Ballot(_)));
    let Payload::Ballot(b) = &mut v[i] else {
        panic!()
    };
    let psephos_core::ballot::ContestProof::Selection { selections, .. } = &mut b.contests[0].proof
    else {
        panic!("the mayor contest is a selection")
    };
    selections.swap(0, 1);
    let all = f.finish(&v, Count::Last);
    let report = verify(&f.seal(&all));
    assert_only(&report, CheckId::BallotsProofs, &[]);
}

// 7b. A tally rejected for its ciphertexts: its shares, combination and result are `skipped`
// (they were checked against it and failed).
#[test]
fn checks_that_depend_on_a_rejected_tally_are_skipped() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let honest = f.tally(&voting, Count::Last);
    let mut shifted = honest.clone();
    let ct = &mut shifted.contests[0].ciphertexts[0];
    ct.beta = psephos_core::group::Point::from_point(
        ct.beta.point() + curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
    );
    // The shares and result of the honest tally, behind the shifted one.
    let mut all = f.decrypt(&voting, honest);
    let t = index_of(&all, |p| matches!(p, Payload::Tally(_)));
    all[t] = Payload::Tally(shifted);
    let report = verify(&f.seal(&all));
    assert_only(
        &report,
        CheckId::TallyAggregate,
        &[
            CheckId::BallotsRevote,
            CheckId::TallyShares,
            CheckId::TallyCombination,
            CheckId::TallyResult,
        ],
    );
    for id in [
        CheckId::TallyShares,
        CheckId::TallyCombination,
        CheckId::TallyResult,
    ] {
        assert_eq!(status(&report, id), Status::Skipped, "{}", id.id());
    }

    // Wrong counts: the rules refuse the tally; revote and combination are `skipped`, not n/a.
    let mut miscounted = f.tally(&voting, Count::Last);
    miscounted.contests[0].ballots += 1;
    miscounted.contests[0].weight += 1;
    let all = f.decrypt(&voting, miscounted);
    let report = verify(&f.seal(&all));
    assert_only(
        &report,
        CheckId::TallyAggregate,
        &[
            CheckId::BallotsRevote,
            CheckId::TallyShares,
            CheckId::TallyCombination,
            CheckId::TallyResult,
        ],
    );
    for id in [
        CheckId::BallotsRevote,
        CheckId::TallyShares,
        CheckId::TallyCombination,
        CheckId::TallyResult,
    ] {
        assert_eq!(status(&report, id), Status::Skipped, "{}", id.id());
    }
}

// 7c. A tally of every ballot, revotes included, that states every ballot's counts: the revote
// check names it.
#[test]
fn a_tally_of_every_ballot_with_its_own_counts_is_a_revote_failure() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    // Every accepted ballot, superseded ones too, with the accumulator's own counts.
    let mut state = Rules::new();
    let mut acc = TallyAccumulator::new(&f.sim.election);
    for p in &voting {
        match p {
            Payload::Ballot(b) => {
                let vb = verify_ballot(&f.sim.election, b.clone()).unwrap();
                state.apply_verified_ballot(&vb).unwrap();
                let w = state.eligibility(&b.credential).unwrap().weight;
                acc.add(&vb, w).unwrap();
            }
            p => {
                state.apply(p).unwrap();
            }
        }
    }
    let all = f.decrypt(&voting, acc.finish());
    let report = verify(&f.seal(&all));
    assert_only(
        &report,
        CheckId::BallotsRevote,
        &[
            CheckId::TallyAggregate,
            CheckId::TallyShares,
            CheckId::TallyCombination,
            CheckId::TallyResult,
        ],
    );
    let detail = &report.check(CheckId::BallotsRevote).unwrap().details[0];
    assert!(detail.contains("every ballot"), "{detail}");
}

// 7d. Entries in the wrong phase are lifecycle failures (check 8): a tally before the close, a
// result after the result, a ballot after the result.
#[test]
fn entries_out_of_phase_fail_the_lifecycle_check() {
    let mut f = Fixture::new();
    let voting = f.voting.clone();
    let honest = f.finish(&voting, Count::Last);
    let tally = honest
        .iter()
        .find(|p| matches!(p, Payload::Tally(_)))
        .unwrap()
        .clone();

    let mut early = honest.clone();
    let close = index_of(&early, |p| matches!(p, Payload::Control(Control::Close)));
    early.insert(close, tally);
    assert_only(&verify(&f.seal(&early)), CheckId::ElectionLifecycle, &[]);

    let mut twice = honest.clone();
    twice.push(honest.last().unwrap().clone());
    assert_only(&verify(&f.seal(&twice)), CheckId::ElectionLifecycle, &[]);

    // A second tally after the accepted one: a lifecycle failure that spoils nothing else.
    let mut second = honest.clone();
    let t = index_of(&second, |p| matches!(p, Payload::Tally(_)));
    let again = second[t].clone();
    second.insert(t + 1, again);
    assert_only(&verify(&f.seal(&second)), CheckId::ElectionLifecycle, &[]);

    let mut late = honest.clone();
    let late_ballot = f.sim.ballot(1, &mut f.rng).unwrap();
    late.push(Payload::Ballot(late_ballot));
    assert_only(&verify(&f.seal(&late)), CheckId::ElectionLifecycle, &[]);
}

// 7d. A record whose first entry is not the definition fails check 7, and nothing after it is
// checked (every later election check is `skipped`), even when a definition follows.
#[test]
fn a_record_must_open_with_the_definition() {
    let mut f = Fixture::new();
    let mut all = honest_election(&mut f);
    all.insert(0, Payload::Control(Control::Close));
    let report = verify(&f.seal(&all));
    assert_only(&report, CheckId::ElectionParameters, &CheckId::ALL);
    for id in CheckId::ALL
        .into_iter()
        .filter(|&id| id > CheckId::ElectionParameters)
    {
        assert_eq!(status(&report, id), Status::Skipped, "{}", id.id());
    }
    // The board checks still run: they do not depend on the election.
    assert_eq!(status(&report, CheckId::BoardMerkle), Status::Pass);
}

// 7d. A lifecycle entry that is refused (here an undecodable close) leaves the election where it
// was; what follows and is refused only for that reason is `skipped`, for a close as for an open.
#[test]
fn a_rejected_close_skips_what_depends_on_it() {
    let mut f = Fixture::new();
    let all = honest_election(&mut f);
    let close = index_of(&all, |p| matches!(p, Payload::Control(Control::Close)));
    let mut entries: Vec<Entry> = all
        .iter()
        .map(|p| Entry::new(p.kind(), p.to_bytes()).unwrap())
        .collect();
    entries[close] = Entry::new(EntryKind::Control, vec![0xee]).unwrap();
    let report = verify(&seal_entries(&f, &entries));
    assert_only(
        &report,
        CheckId::ElectionLifecycle,
        &[
            CheckId::BallotsRevote,
            CheckId::TallyAggregate,
            CheckId::TallyShares,
            CheckId::TallyCombination,
            CheckId::TallyResult,
        ],
    );
    assert_eq!(status(&report, CheckId::TallyAggregate), Status::Skipped);

    // The same for an open refused for want of credentials: every ballot after it is skipped.
    let mut no_list = honest_election(&mut f);
    no_list.retain(|p| !matches!(p, Payload::Credentials(_)));
    let report = verify(&f.seal(&no_list));
    assert_only(&report, CheckId::CredentialsList, &CheckId::ALL);
    assert_eq!(
        status(&report, CheckId::BallotsEligibility),
        Status::Skipped
    );
}

// 7e. An empty record whose header asks for one witness cosignature has no checkpoint to carry
// it: check 5 fails. Checks with nothing to check are `n/a`, never a vacuous pass.
#[test]
fn nothing_to_check_is_not_a_pass() {
    let f = Fixture::new();
    let empty = seal_record(&[], &[], &f.board, std::slice::from_ref(&f.witness), 1).unwrap();
    let report = verify(&empty);
    assert_only(&report, CheckId::BoardWitnesses, &[]);
    for id in [
        CheckId::BoardCheckpoints,
        CheckId::BoardBlocks,
        CheckId::BoardMerkle,
    ] {
        assert_eq!(status(&report, id), Status::NotApplicable, "{}", id.id());
    }
    let empty0 = seal_record(&[], &[], &f.board, &[], 0).unwrap();
    let report = verify(&empty0);
    assert!(report.passed);
    assert_eq!(
        status(&report, CheckId::BoardWitnesses),
        Status::NotApplicable
    );

    // Voting opened, nobody voted yet: the ballot and challenge checks are n/a.
    let open = index_of(&f.voting, |p| matches!(p, Payload::Control(Control::Open)));
    let report = verify(&f.seal(&f.voting[..=open]));
    assert!(report.passed, "{:?}", report.failed());
    for id in [
        CheckId::BallotsEligibility,
        CheckId::BallotsSignature,
        CheckId::BallotsProofs,
        CheckId::Challenges,
    ] {
        assert_eq!(status(&report, id), Status::NotApplicable, "{}", id.id());
    }
}

// 8. The key announcement lists the qualified set and the verification keys in ascending
// trustee order (docs/protocol.md §11.1); another order is not the recomputed outcome.
#[test]
fn the_key_announcement_is_in_ascending_order() {
    let mut f = Fixture::new();
    let mut all = honest_election(&mut f);
    let i = index_of(&all, |p| {
        matches!(p, Payload::Control(Control::CeremonyComplete(_)))
    });
    let Payload::Control(Control::CeremonyComplete(k)) = &mut all[i] else {
        panic!()
    };
    assert!(k.verification_keys.windows(2).all(|w| w[0].0 < w[1].0));
    k.verification_keys.reverse();
    assert_only(
        &verify(&f.seal(&all)),
        CheckId::CeremonyOutcome,
        &CheckId::ALL,
    );
}
