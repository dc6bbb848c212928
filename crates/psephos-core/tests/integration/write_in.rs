//! Write-ins (`docs/protocol.md` §6.2, §13.11): the manifest's parameters and their validation,
//! the canonical encoding (unchanged for manifests without write-ins), and write-in ballots —
//! encrypted, proven and verified like any bounded contest, every text ciphertext bound to its
//! voter's credential, its contest and its slot, so a ciphertext copied from another voter's
//! ballot or moved to another slot is refused even in a ballot re-signed by its new owner.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{
    encrypt_ballot, encrypt_invalid_ballot, verify_ballot, ContestProof, EncryptedBallot,
    PlaintextBallot, PlaintextContest,
};
use psephos_core::credential::{CredentialCode, CredentialSecret};
use psephos_core::election::{Count, Election, Manifest, Rule, WriteIns};
use psephos_core::encoding::Canonical;
use psephos_core::error::{ConfigError, ProofKind, VerifyError};
use psephos_core::sim;
use psephos_core::write_in::{contest_values, count_write_ins};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const MANIFEST: &str = r#"
[election]
id = "write-in-test"
name = "Write-ins"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "q"
title = "Question"
kind = "referendum"
[[contests]]
id = "sheriff"
title = "Sheriff"
kind = "plurality"
count = "mix"
blank_allowed = true
write_ins = 2
write_in_max_bytes = 12
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]
[[ballot_styles]]
id = "all"
contests = ["q", "sheriff"]
"#;

/// The write-in contest's position in the ballot.
const POS: usize = 1;

fn field_of(text: &str) -> String {
    match Manifest::from_toml(text).unwrap_err() {
        ConfigError::Invalid { field, .. } => field,
        e => panic!("expected an invalid field, got {e}"),
    }
}

#[test]
fn the_manifest_takes_write_ins_on_mixed_plurality_and_approval_only() {
    let m = Manifest::from_toml(MANIFEST).unwrap();
    let c = &m.contests[1];
    assert_eq!(
        c.write_ins,
        Some(WriteIns {
            slots: 2,
            max_bytes: 12
        })
    );
    // Two options, then per slot: used + ⌈12/3⌉ = 4 text columns.
    assert_eq!(c.width(), 2 + 2 * 5);
    let Rule::Bounded { maxima, limit } = &c.rule else {
        panic!("a write-in contest has a bounded rule");
    };
    assert_eq!(maxima[..3], [1, 1, 1]);
    assert_eq!(maxima[3], (1 << 24) - 1);
    let limit = limit.as_ref().unwrap();
    assert_eq!(limit.total, 1);
    assert_eq!(limit.weights, [1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(c.position_name(2), "write-in-1");
    assert_eq!(c.position_name(4), "write-in-1.text-2");
    assert_eq!(c.position_name(7), "write-in-2");

    // Round trips: canonical bytes and JSON, through the re-derivation.
    let bytes = m.to_canonical_bytes();
    assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    // Without write-ins the contest encodes as before: no parameter bytes, no kind bit.
    let plain = Manifest::from_toml(
        &MANIFEST
            .replace("write_ins = 2\n", "")
            .replace("write_in_max_bytes = 12\n", ""),
    )
    .unwrap();
    assert_eq!(plain.contests[1].write_ins, None);
    assert_eq!(
        Manifest::from_canonical_bytes(&plain.to_canonical_bytes()).unwrap(),
        plain
    );
    assert!(!serde_json::to_string(&plain).unwrap().contains("write_ins"));
    // The default length is 40 bytes.
    let d = Manifest::from_toml(&MANIFEST.replace("write_in_max_bytes = 12\n", "")).unwrap();
    assert_eq!(d.contests[1].write_ins.unwrap().max_bytes, 40);

    // Every broken rule names its field.
    let cases = [
        (
            MANIFEST.replace("count = \"mix\"\n", ""),
            "contests[1].count",
        ),
        (
            MANIFEST.replace("blank_allowed = true", "blank_allowed = false"),
            "contests[1].blank_allowed",
        ),
        (
            MANIFEST.replace("write_ins = 2", "write_ins = 5"),
            "contests[1].write_ins",
        ),
        (
            MANIFEST.replace("write_ins = 2", "write_ins = 0"),
            "contests[1].write_ins",
        ),
        (
            MANIFEST.replace("write_in_max_bytes = 12", "write_in_max_bytes = 64"),
            "contests[1].write_in_max_bytes",
        ),
        (
            // 2 + 4 × (1 + 21) columns: wider than a mixed row.
            MANIFEST
                .replace("write_ins = 2", "write_ins = 4")
                .replace("write_in_max_bytes = 12", "write_in_max_bytes = 63"),
            "contests[1].write_in_max_bytes",
        ),
        (
            MANIFEST.replace("write_ins = 2\n", ""),
            "contests[1].write_in_max_bytes",
        ),
        (
            MANIFEST.replace(
                "kind = \"referendum\"",
                "kind = \"referendum\"\nwrite_ins = 1",
            ),
            "contests[0].write_ins",
        ),
        (
            MANIFEST.replace("[election]\n", "[election]\nweighted = true\n"),
            "contests[1].count",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(&text), field, "{text}");
    }
    // Approval: min 0, and the slots are selected like options.
    let approval = MANIFEST
        .replace("kind = \"plurality\"", "kind = \"approval\"")
        .replace("blank_allowed = true", "max_selections = 4");
    let a = Manifest::from_toml(&approval).unwrap();
    assert_eq!(
        Manifest::from_canonical_bytes(&a.to_canonical_bytes()).unwrap(),
        a
    );
    assert_eq!(
        field_of(&approval.replace("max_selections = 4", "max_selections = 5")),
        "contests[1].max_selections"
    );
    assert_eq!(
        field_of(&approval.replace("max_selections = 4", "min_selections = 1")),
        "contests[1].min_selections"
    );
    assert_eq!(a.contests[1].count, Count::Mix);
}

struct Setup {
    election: Election,
    rng: ChaCha20Rng,
}

impl Setup {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(29);
        let m = Manifest::from_toml(MANIFEST).unwrap();
        let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
        Setup {
            election: Election::new(m, cer.joint_key).unwrap(),
            rng,
        }
    }
    fn credential(&mut self) -> CredentialSecret {
        CredentialCode::generate(&mut self.rng).secret("write-in-test")
    }
    fn values(&self, listed: [u64; 2], names: &[&str]) -> Vec<u64> {
        contest_values(&self.election.manifest().contests[1], &listed, names).unwrap()
    }
    fn ballot(&mut self, cred: &CredentialSecret, values: Vec<u64>) -> EncryptedBallot {
        encrypt_ballot(&self.election, cred, &plain(values), &mut self.rng)
            .unwrap()
            .0
    }
}

fn plain(values: Vec<u64>) -> PlaintextBallot {
    PlaintextBallot {
        style: "all".into(),
        contests: vec![
            PlaintextContest {
                contest: "q".into(),
                values: vec![1, 0],
            },
            PlaintextContest {
                contest: "sheriff".into(),
                values,
            },
        ],
    }
}

fn bound_failure(e: &VerifyError) -> bool {
    matches!(
        e,
        VerifyError::Proof {
            kind: ProofKind::CommitmentLink | ProofKind::Range | ProofKind::RangeLimit,
            contest: Some(POS),
            ..
        }
    )
}

#[test]
fn write_in_ballots_verify_and_what_the_proofs_cannot_show_is_counted_after() {
    let mut s = Setup::new();
    let cred = s.credential();
    for values in [
        s.values([1, 0], &[]),
        s.values([0, 0], &["Zoë Smith"]),
        s.values([0, 0], &[]),
    ] {
        let b = s.ballot(&cred, values);
        assert_eq!(b.contests[POS].ciphertexts.len(), 12);
        verify_ballot(&s.election, b).unwrap();
    }
    // Text the proofs cannot judge is valid at cast time: bytes that are not UTF-8, text in an
    // unused slot. The count after decryption calls them invalid write-ins.
    let mut odd = s.values([1, 0], &[]);
    odd[3] = 0xff_ff_ff;
    let mut unused_text = s.values([0, 0], &[]);
    unused_text[8] = 0x41_00_00;
    for v in [odd.clone(), unused_text.clone()] {
        let b = s.ballot(&cred, v);
        verify_ballot(&s.election, b).unwrap();
    }
    let c = &s.election.manifest().contests[1];
    let count = count_write_ins(c, &[odd, unused_text, s.values([0, 0], &["Zoë Smith"])]).unwrap();
    assert_eq!(count.invalid, 2);
    assert_eq!(count.names, [("Zoë Smith".to_string(), 1)]);
    assert_eq!(count.counts, [1, 0]);
}

#[test]
fn out_of_range_write_in_values_are_refused() {
    let mut s = Setup::new();
    let cred = s.credential();
    // A listed option and a write-in together exceed the plurality's one selection.
    let both = s.values([1, 0], &["Al"]);
    assert!(encrypt_ballot(&s.election, &cred, &plain(both.clone()), &mut s.rng).is_err());
    let bad = encrypt_invalid_ballot(&s.election, &cred, &plain(both), &mut s.rng).unwrap();
    let e = verify_ballot(&s.election, bad).unwrap_err();
    assert!(bound_failure(&e), "{e}");
    // A text column at 2²⁴ and a used column at 2.
    for (i, v) in [(3usize, 1u64 << 24), (2, 2)] {
        let mut values = s.values([0, 0], &["Al"]);
        values[i] = v;
        assert!(encrypt_ballot(&s.election, &cred, &plain(values.clone()), &mut s.rng).is_err());
        let bad = encrypt_invalid_ballot(&s.election, &cred, &plain(values), &mut s.rng).unwrap();
        let e = verify_ballot(&s.election, bad).unwrap_err();
        assert!(bound_failure(&e), "{e}");
    }
}

/// Swaps the ciphertext, commitment and link proof at position `i` of `to` for those at `j`
/// of `from`.
fn transplant(to: &mut EncryptedBallot, i: usize, from: &EncryptedBallot, j: usize) {
    to.contests[POS].ciphertexts[i] = from.contests[POS].ciphertexts[j];
    let ContestProof::Bounded {
        commitments: cf,
        links: lf,
        ..
    } = &from.contests[POS].proof
    else {
        panic!("a write-in contest has a bounded proof");
    };
    let (cf, lf) = (cf[j], lf[j]);
    let ContestProof::Bounded {
        commitments, links, ..
    } = &mut to.contests[POS].proof
    else {
        panic!("a write-in contest has a bounded proof");
    };
    commitments[i] = cf;
    links[i] = lf;
}

/// The copying attack on write-ins: voter B takes voter A's write-in text (an unusual name
/// identifies A's ballot) into B's own ballot, or a text column moves to another slot; B
/// re-signs. The link and range proofs' transcripts hold the credential, the contest and the
/// position, so both are refused.
#[test]
fn a_text_ciphertext_copied_or_moved_is_refused() {
    let mut s = Setup::new();
    let (alice, bob) = (s.credential(), s.credential());
    let va = s.values([0, 0], &["Alice's pick"]);
    let a = s.ballot(&alice, va);
    let vb = s.values([0, 0], &["Bob's choice"]);
    let b = s.ballot(&bob, vb);
    // A text column of A's slot 1 into B's slot 1.
    let mut copied = b.clone();
    transplant(&mut copied, 3, &a, 3);
    copied.sign(&bob, &mut s.rng);
    let e = verify_ballot(&s.election, copied).unwrap_err();
    assert!(bound_failure(&e), "{e}");
    // A's whole write-in contest, proofs and all.
    let mut whole = b.clone();
    whole.contests[POS] = a.contests[POS].clone();
    whole.sign(&bob, &mut s.rng);
    let e = verify_ballot(&s.election, whole).unwrap_err();
    assert!(bound_failure(&e), "{e}");
    // B's own slot-1 text moved into slot 2 (columns 3 → 8).
    let mut moved = b.clone();
    let b2 = b.clone();
    transplant(&mut moved, 8, &b2, 3);
    moved.sign(&bob, &mut s.rng);
    let e = verify_ballot(&s.election, moved).unwrap_err();
    assert!(bound_failure(&e), "{e}");
    // Untouched, B's ballot verifies.
    verify_ballot(&s.election, b).unwrap();
}
