//! Mixing on the board (§11.5, §13.7–13.9): the rules' refusals, a whole mixed election through
//! the verifier, and cheating mixers caught by the right check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_board::checkpoint::Cosigner;
use psephos_board::note::NoteSigner;
use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::{verify_ballot, EncryptedBallot};
use psephos_core::election::{Count, Manifest};
use psephos_core::encoding::Canonical;
use psephos_core::mix::{CiphertextList, MixGenerators};
use psephos_core::mixnet::{
    combine_mixed, mix_input, MixInput, MixResult, MixShare, MixedList, Shuffle,
};
use psephos_core::tally::{complete_result, DecryptionShare, TallyAccumulator, TallyResult};
use psephos_record::rules::{MixRuleError, RuleErrorKind};
use psephos_record::sim::{seal_record, Simulation};
use psephos_record::verify::{verify_record, NoProgress};
use psephos_record::{CheckId, Control, Payload, RuleError, Rules, Status};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const MANIFEST: &str = r#"
[election]
id = "mix-test"
name = "Mixed election"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
kind = "plurality"
count = "mix"
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
contests = ["council"]
"#;

const VOTERS: usize = 12;

/// An election with mixed contests, voted and closed, and the steps of its tallying phase
/// (shared with the ranked contests' tests, `ranked.rs`).
pub(crate) struct Fixture {
    /// The board's origin in a sealed record.
    origin: &'static str,
    pub(crate) sim: Simulation,
    pub(crate) rng: ChaCha20Rng,
    /// Up to and including the close of voting.
    pub(crate) voting: Vec<Payload>,
    /// The rules after `voting`.
    closed: Rules,
    /// The counted ballots with their styles, in board order.
    pub(crate) counted: Vec<(usize, EncryptedBallot)>,
    pub(crate) generators: MixGenerators,
}

impl Fixture {
    fn new() -> Self {
        Self::with(MANIFEST, VOTERS, 77, "board.example/mix-test")
    }

    /// `voters` voters of `manifest` vote (as the simulation does) and voting closes.
    pub(crate) fn with(manifest: &str, voters: usize, seed: u64, origin: &'static str) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let manifest = Manifest::from_toml(manifest).unwrap();
        let sim = Simulation::new(manifest, voters, &mut rng).unwrap();
        let mut voting = vec![sim.definition()];
        voting.extend(sim.ceremony_messages());
        voting.extend(sim.credential_lists());
        voting.push(sim.key_announcement().unwrap());
        voting.extend(sim.opening());
        for i in 0..voters {
            voting.extend(sim.votes(i, &mut rng).unwrap());
        }
        voting.push(Payload::Control(Control::Close));
        let mut closed = Rules::new();
        for p in &voting {
            closed.apply(p).unwrap();
        }
        let mut counted = Vec::new();
        for (credential, index, _) in closed.counted() {
            let Payload::Ballot(b) = &voting[index as usize] else {
                panic!("entry {index} is not a ballot");
            };
            assert_eq!(b.credential, credential);
            let style = closed.eligibility(&credential).unwrap().style;
            counted.push((style, b.clone()));
        }
        Fixture {
            origin,
            sim,
            rng,
            voting,
            closed,
            counted,
            generators: MixGenerators::standard(voters).unwrap(),
        }
    }

    pub(crate) fn input(&self, min_mixers: u32) -> MixInput {
        mix_input(
            &self.sim.election,
            min_mixers,
            self.counted.iter().map(|(s, b)| (*s, b)),
        )
        .unwrap()
    }

    fn shuffle(&mut self, mixer: u32, lists: &[MixedList]) -> Shuffle {
        Shuffle::make(
            self.sim.election.hash(),
            self.sim.election.key(),
            &self.generators,
            mixer,
            lists,
            &self.sim.ceremony.signing_keys[mixer as usize - 1],
            &mut self.rng,
        )
        .unwrap()
    }

    fn mix_share(&mut self, j: u32, lists: &[MixedList]) -> MixShare {
        let outcome = &self.sim.ceremony.outcomes[j as usize - 1];
        MixShare::compute(
            self.sim.election.hash(),
            lists,
            j,
            &outcome.secret_share,
            &mut self.rng,
        )
    }

    /// The whole honest election after voting: mix input, shuffles by `mixers`, tally, tally
    /// shares and mixed shares of trustees 2 and 3, the mix result and the result.
    fn finish(&mut self, input: &MixInput, mixers: &[u32]) -> Vec<Payload> {
        let (mut out, lists) = self.mix(input, mixers);
        out.extend(self.decrypt(&lists));
        out
    }

    /// The mix input's parts and the shuffles by `mixers` in turn; the final lists.
    pub(crate) fn mix(
        &mut self,
        input: &MixInput,
        mixers: &[u32],
    ) -> (Vec<Payload>, Vec<MixedList>) {
        let mut out = Payload::parts(EntryKind::MixInput, &input.to_canonical_bytes());
        let mut lists = input.lists.clone();
        for &m in mixers {
            let s = self.shuffle(m, &lists);
            lists = s.outputs();
            out.extend(Payload::parts(EntryKind::Shuffle, &s.to_canonical_bytes()));
        }
        (out, lists)
    }

    /// The tally, the shares and mixed shares of trustees 2 and 3, the mix result and the
    /// result.
    fn decrypt(&mut self, lists: &[MixedList]) -> Vec<Payload> {
        let (mut out, _, result) = self.decrypt_by(lists, &[2, 3], &[1]);
        out.push(Payload::Result(result));
        out
    }

    /// The tally, the tally shares and mixed shares of the trustees `present`, and the mix
    /// result (its rows' values at most `bounds`, one per mixed contest) as entries; the mix
    /// result and the result (not posted) as objects.
    pub(crate) fn decrypt_by(
        &mut self,
        lists: &[MixedList],
        present: &[u32],
        bounds: &[u64],
    ) -> (Vec<Payload>, MixResult, TallyResult) {
        let mut acc = TallyAccumulator::new(&self.sim.election);
        for (_, b) in &self.counted {
            let vb = verify_ballot(&self.sim.election, b.clone()).unwrap();
            acc.add(&vb, 1).unwrap();
        }
        let tally = acc.finish();
        let shares: Vec<DecryptionShare> = present
            .iter()
            .map(|&j| self.sim.share(&tally, j, &mut self.rng).unwrap())
            .collect();
        let result = self.sim.result(&tally, &shares).unwrap();
        let mix_shares: Vec<MixShare> = present.iter().map(|&j| self.mix_share(j, lists)).collect();
        let refs: Vec<&MixShare> = mix_shares.iter().collect();
        let mix_result = combine_mixed(self.sim.election.hash(), lists, &refs, bounds).unwrap();
        // The mixed contests are not in the tally: the result takes their counts from the rows.
        let result = complete_result(&self.sim.election, &result, Some(&mix_result)).unwrap();
        let mut out = vec![Payload::Tally(tally)];
        out.extend(shares.into_iter().map(Payload::Share));
        for s in &mix_shares {
            out.extend(Payload::parts(EntryKind::MixShare, &s.to_canonical_bytes()));
        }
        out.extend(Payload::parts(
            EntryKind::MixResult,
            &mix_result.to_canonical_bytes(),
        ));
        (out, mix_result, result)
    }

    /// The record of the voting entries and `after`, sealed and signed like an honest one.
    pub(crate) fn seal(&self, after: &[Payload]) -> Vec<u8> {
        let entries: Vec<Entry> = self
            .voting
            .iter()
            .chain(after)
            .map(|p| Entry::new(p.kind(), p.to_bytes()).unwrap())
            .collect();
        let board =
            NoteSigner::new(self.origin, ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let witness = Cosigner::new(
            "witness.example",
            ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        let n = entries.len() as u64;
        seal_record(&entries, &[n], &board, &[witness], 1).unwrap()
    }
}

fn post_object(rules: &mut Rules, kind: EntryKind, bytes: &[u8]) -> Result<(), RuleError> {
    for p in Payload::parts(kind, bytes) {
        rules.apply(&p)?;
    }
    Ok(())
}

fn mix_error(r: Result<(), RuleError>) -> MixRuleError {
    match r {
        Err(RuleError::Mix(e)) => e,
        other => panic!("expected a mix rule error, got {other:?}"),
    }
}

#[test]
fn count_mix_is_encoded_only_when_present() {
    let m = Manifest::from_toml(MANIFEST).unwrap();
    assert_eq!(m.contests[0].count, Count::Mix);
    let bytes = m.to_canonical_bytes();
    assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    let plain = Manifest::from_toml(&MANIFEST.replace("count = \"mix\"\n", "")).unwrap();
    let json = serde_json::to_string(&plain).unwrap();
    assert!(!json.contains("\"homomorphic\"") && !json.contains("\"mix\""));
    assert_ne!(plain.to_canonical_bytes(), bytes);
    // Weighted elections and contests that cannot be mixed are refused.
    let weighted = MANIFEST.replace("name = \"Mixed election\"", "name = \"W\"\nweighted = true");
    let e = Manifest::from_toml(&weighted).unwrap_err().to_string();
    assert!(e.contains("weighted"), "{e}");
    let score = MANIFEST.replace(
        "kind = \"approval\"\nmin_selections = 0\nmax_selections = 2",
        "kind = \"score\"\ncount = \"mix\"\nmax_score = 5",
    );
    let e = Manifest::from_toml(&score).unwrap_err().to_string();
    assert!(e.contains("count = \"mix\""), "{e}");
}

#[test]
fn the_rules_refuse_every_misplaced_mix_entry() {
    let mut f = Fixture::new();
    let input = f.input(3);
    let input_bytes = input.to_canonical_bytes();

    // Mix before close.
    let mut open = Rules::new();
    for p in &f.voting[..f.voting.len() - 1] {
        open.apply(p).unwrap();
    }
    let e = post_object(&mut open, EntryKind::MixInput, &input_bytes);
    assert!(matches!(e, Err(RuleError::Phase { .. })), "{e:?}");

    // The tally waits for the mix.
    let mut rules = f.closed.clone();
    let tally = match f.decrypt(&input.lists).remove(0) {
        Payload::Tally(t) => t,
        _ => unreachable!(),
    };
    assert!(matches!(
        mix_error(rules.apply(&Payload::Tally(tally.clone())).map(|_| ())),
        MixRuleError::NoInput
    ));

    // Minimum mixers below k, and an input of the wrong shape.
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::MixInput,
            &f.input(1).to_canonical_bytes()
        )),
        MixRuleError::MinMixers { .. }
    ));
    let mut short = input.clone();
    let one = short.lists[0].list.row(0).to_vec();
    short.lists[0].list = CiphertextList::new(3, one).unwrap();
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::MixInput,
            &short.to_canonical_bytes()
        )),
        MixRuleError::InputShape { .. }
    ));
    post_object(&mut rules, EntryKind::MixInput, &input_bytes).unwrap();
    assert!(matches!(
        mix_error(post_object(&mut rules, EntryKind::MixInput, &input_bytes)),
        MixRuleError::InputPosted
    ));

    // A non-qualified mixer (no trustee 4), a signature by another trustee.
    let s1 = f.shuffle(1, &input.lists);
    let mut forged = s1.clone();
    forged.mixer = 4;
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::Shuffle,
            &forged.to_canonical_bytes()
        )),
        MixRuleError::NotQualified { mixer: 4 }
    ));
    // Skipping trustee 1 makes three mixers impossible.
    let s2_first = f.shuffle(2, &input.lists);
    let mut other = s1.clone();
    other.signature = s2_first.signature;
    let e = mix_error(post_object(
        &mut rules,
        EntryKind::Shuffle,
        &other.to_canonical_bytes(),
    ));
    assert_eq!(e.blames(), Some(1));
    assert!(e.to_string().contains("signature"), "{e}");
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::Shuffle,
            &s2_first.to_canonical_bytes()
        )),
        MixRuleError::SkipsNeeded { mixer: 2, .. }
    ));
    post_object(&mut rules, EntryKind::Shuffle, &s1.to_canonical_bytes()).unwrap();

    // Wrong order, wrong input.
    let again = f.shuffle(1, &s1.outputs());
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::Shuffle,
            &again.to_canonical_bytes()
        )),
        MixRuleError::MixerOrder { mixer: 1, last: 1 }
    ));
    let stale = f.shuffle(2, &input.lists);
    let e = mix_error(post_object(
        &mut rules,
        EntryKind::Shuffle,
        &stale.to_canonical_bytes(),
    ));
    assert!(e.is_conflict() && e.blames() == Some(2), "{e}");
    let mark = rules.size();

    // Too few mixers for the tally.
    let s2 = f.shuffle(2, &s1.outputs());
    post_object(&mut rules, EntryKind::Shuffle, &s2.to_canonical_bytes()).unwrap();
    assert!(matches!(
        mix_error(rules.apply(&Payload::Tally(tally.clone())).map(|_| ())),
        MixRuleError::TooFewMixers {
            mixers: 2,
            min_mixers: 3
        }
    ));
    assert!(rules.size() > mark);
    let s3 = f.shuffle(3, &s2.outputs());
    post_object(&mut rules, EntryKind::Shuffle, &s3.to_canonical_bytes()).unwrap();
    rules.apply(&Payload::Tally(tally)).unwrap();

    // A share of the wrong list (the input, not the final lists); a share by a non-trustee.
    let wrong = f.mix_share(2, &input.lists);
    let e = mix_error(post_object(
        &mut rules,
        EntryKind::MixShare,
        &wrong.to_canonical_bytes(),
    ));
    assert!(matches!(e, MixRuleError::Share { trustee: 2, .. }), "{e}");
    assert_eq!(
        RuleError::Mix(e).kind(),
        RuleErrorKind::Invalid,
        "a share of the wrong lists is invalid"
    );
    let mut stranger = f.mix_share(2, &s3.outputs());
    stranger.trustee = 9;
    assert!(matches!(
        mix_error(post_object(
            &mut rules,
            EntryKind::MixShare,
            &stranger.to_canonical_bytes()
        )),
        MixRuleError::ShareNotQualified { trustee: 9 }
    ));
    // A part out of order is refused at once.
    let big = f.mix_share(2, &s3.outputs()).to_canonical_bytes();
    let part = Payload::MixShare(psephos_record::payload::Part {
        index: 1,
        count: 2,
        bytes: big,
    });
    assert!(matches!(
        rules.apply(&part),
        Err(RuleError::Mix(MixRuleError::PartOrder { .. }))
    ));
}

#[test]
fn a_mixed_election_verifies_and_its_rows_decrypt() {
    let mut f = Fixture::new();
    let input = f.input(3);
    let after = f.finish(&input, &[1, 2, 3]);
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert!(report.passed, "{:?}", report.failed());
    for id in [
        CheckId::MixInput,
        CheckId::MixShuffles,
        CheckId::MixMixers,
        CheckId::MixShares,
        CheckId::MixResult,
        CheckId::MixCounts,
    ] {
        let c = report.checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.status, Status::Pass, "{id:?}: {c:?}");
    }
    assert_eq!(CheckId::MixInput.number(), 22);
    assert_eq!(CheckId::MixCounts.number(), 27);
    // The decrypted rows: one per north ballot, each a valid plurality choice.
    let mut rules = Rules::new();
    for p in f.voting.iter().chain(&after) {
        rules.apply(p).unwrap();
    }
    let (mr, _) = rules.mix().unwrap().result().unwrap();
    let north = f.counted.iter().filter(|(s, _)| *s == 0).count();
    assert_eq!(mr.contests[0].rows.len(), north);
    assert!(mr.contests[0]
        .rows
        .iter()
        .all(|r| r.iter().sum::<u64>() == 1));
}

/// The status of check `id` in `report`.
pub(crate) fn status(report: &psephos_record::Report, id: CheckId) -> Status {
    report.checks.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn cheating_is_caught_by_the_right_check() {
    let mut f = Fixture::new();

    // A mix input with one ballot's row replaced by another's (a duplicate): check 22.
    let mut input = f.input(3);
    let mut rows: Vec<Vec<_>> = input.lists[0].list.rows().map(<[_]>::to_vec).collect();
    rows[0] = rows[1].clone();
    input.lists[0].list = CiphertextList::from_rows(3, rows).unwrap();
    let after = f.finish(&input, &[1, 2, 3]);
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert_eq!(status(&report, CheckId::MixInput), Status::Fail);
    assert_eq!(status(&report, CheckId::MixShuffles), Status::Pass);

    // A mixer that drops a ballot for a copy of another (re-signed by the corrupt mixer, its
    // proof kept): check 23, naming mixer 2.
    let input = f.input(3);
    let s1 = f.shuffle(1, &input.lists);
    let mut s2 = f.shuffle(2, &s1.outputs());
    let mut rows: Vec<Vec<_>> = s2.lists[0].list.rows().map(<[_]>::to_vec).collect();
    rows[1] = rows[0].clone();
    s2.lists[0].list = CiphertextList::from_rows(3, rows).unwrap();
    let s2 = resign(&f, s2);
    let mut after = Payload::parts(EntryKind::MixInput, &input.to_canonical_bytes());
    after.extend(Payload::parts(EntryKind::Shuffle, &s1.to_canonical_bytes()));
    after.extend(Payload::parts(EntryKind::Shuffle, &s2.to_canonical_bytes()));
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    let c = report
        .checks
        .iter()
        .find(|c| c.id == CheckId::MixShuffles)
        .unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.details.iter().any(|d| d.contains("mixer 2")), "{c:?}");
    assert_eq!(status(&report, CheckId::MixInput), Status::Pass);

    // A wrong re-encryption (one ciphertext's β moved by G): check 23.
    let mut s2 = f.shuffle(2, &s1.outputs());
    let mut items = s2.lists[0].list.ciphertexts().to_vec();
    let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    items[0].beta = psephos_core::group::Point::from_point(items[0].beta.point() + g);
    s2.lists[0].list = CiphertextList::new(3, items).unwrap();
    let s2 = resign(&f, s2);
    let mut after = Payload::parts(EntryKind::MixInput, &input.to_canonical_bytes());
    after.extend(Payload::parts(EntryKind::Shuffle, &s1.to_canonical_bytes()));
    after.extend(Payload::parts(EntryKind::Shuffle, &s2.to_canonical_bytes()));
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert_eq!(status(&report, CheckId::MixShuffles), Status::Fail);

    // Mixers out of order: check 24.
    let s3 = f.shuffle(3, &input.lists);
    let s1b = f.shuffle(1, &s3.outputs());
    let mut after = Payload::parts(EntryKind::MixInput, &f.input(2).to_canonical_bytes());
    after.extend(Payload::parts(EntryKind::Shuffle, &s3.to_canonical_bytes()));
    after.extend(Payload::parts(
        EntryKind::Shuffle,
        &s1b.to_canonical_bytes(),
    ));
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert_eq!(status(&report, CheckId::MixMixers), Status::Fail);
}

/// What a corrupt mixer does after changing its output: sign it again.
fn resign(f: &Fixture, s: Shuffle) -> Shuffle {
    use ed25519_dalek::Signer;
    let mut bytes = s.to_canonical_bytes();
    // The signature is the last 64 bytes; the rest is what the digest covers.
    let body = &bytes[..bytes.len() - 64];
    let mut w = psephos_core::encoding::Writer::new();
    w.fixed(body);
    let digest = psephos_core::hash::Digest::of(
        psephos_core::transcript::labels::MIX_SHUFFLE,
        &w.into_bytes(),
    );
    let sig = f.sim.ceremony.signing_keys[s.mixer as usize - 1].sign(&digest.0);
    let n = bytes.len();
    bytes[n - 64..].copy_from_slice(&sig.to_bytes());
    Shuffle::from_canonical_bytes(&bytes).unwrap()
}

/// A mixed contest has no homomorphic tally (§9.2): the tally holds the other contests only,
/// and a tally that also sums the mixed contest is refused, changing nothing.
#[test]
fn the_tally_leaves_out_the_mixed_contests() {
    let mut f = Fixture::new();
    let input = f.input(3);
    let after = f.finish(&input, &[1, 2, 3]);
    let Some(Payload::Tally(tally)) = after.iter().find(|p| matches!(p, Payload::Tally(_))) else {
        panic!("no tally");
    };
    let ids: Vec<_> = tally.contests.iter().map(|c| c.contest.as_str()).collect();
    assert_eq!(ids, ["council"], "the mixed mayor is not summed");
    let Some(Payload::Result(result)) = after.last() else {
        panic!("no result");
    };
    let ids: Vec<_> = result.contests.iter().map(|c| c.contest.as_str()).collect();
    assert_eq!(
        ids,
        ["mayor", "council"],
        "the result still covers every contest"
    );

    // The same tally with the mixed contest's aggregate in front (the old form).
    let mut rules = Rules::new();
    let tally_at = after
        .iter()
        .position(|p| matches!(p, Payload::Tally(_)))
        .unwrap();
    for p in f.voting.iter().chain(&after[..tally_at]) {
        rules.apply(p).unwrap();
    }
    let mut summed = tally.clone();
    let mut mayor = summed.contests[0].clone();
    mayor.contest = "mayor".into();
    summed.contests.insert(0, mayor);
    let e = rules.apply(&Payload::Tally(summed)).unwrap_err();
    assert!(
        matches!(
            e,
            RuleError::Tally(psephos_record::rules::TallyMismatch::ContestCount {
                got: 2,
                expected: 1
            })
        ),
        "{e:?}"
    );
    rules.apply(&Payload::Tally(tally.clone())).unwrap();
}

/// A result whose mixed contest's counts are not the sums of its decrypted rows fails check 27
/// (and the rules refuse it: check 20).
#[test]
fn a_changed_mixed_count_in_the_result_is_caught() {
    let mut f = Fixture::new();
    let input = f.input(3);
    let mut after = f.finish(&input, &[1, 2, 3]);
    let Some(Payload::Result(result)) = after.last_mut() else {
        panic!("no result");
    };
    result.contests[0].counts[0] += 1;
    let report = verify_record(&f.seal(&after), &mut NoProgress);
    assert!(!report.passed);
    assert_eq!(status(&report, CheckId::MixCounts), Status::Fail);
    assert_eq!(status(&report, CheckId::TallyResult), Status::Fail);
}
