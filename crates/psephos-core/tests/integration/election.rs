//! Whole elections in process, for every shipped configuration: ceremony, random ballots,
//! single and batch verification, tally with a trustee absent, decryption, and the result
//! checked against the plaintexts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{encrypt_ballot, verify_ballot, verify_ballots, EncryptedBallot};
use psephos_core::credential::CredentialCode;
use psephos_core::election::{Election, Manifest};
use psephos_core::sim;
use psephos_core::tally::{combine, DecryptionShare, TallyAccumulator};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn config(name: &str) -> Manifest {
    let path = format!(
        "{}/../../election-config/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    Manifest::from_toml(&text).unwrap()
}

fn run(name: &str, voters: usize, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let manifest = config(name);
    let t = manifest.trustees;
    let cer = sim::ceremony(&manifest.hash(), t.count, t.threshold, &mut rng);
    let election = Election::new(manifest.clone(), cer.joint_key).unwrap();

    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.width()])
        .collect();
    let mut ballots = Vec::new();
    let mut weights = Vec::new();
    for v in 0..voters {
        let style = &manifest.ballot_styles[v % manifest.ballot_styles.len()];
        let plain = sim::random_ballot(&manifest, &style.id, &mut rng).unwrap();
        let weight = if manifest.weighted {
            1 + (v as u64 % 2)
        } else {
            1
        };
        for (&ci, pc) in style.contests.iter().zip(&plain.contests) {
            for (e, v) in expected[ci].iter_mut().zip(&pc.values) {
                *e += v * weight;
            }
        }
        let cred = CredentialCode::generate(&mut rng).secret(&manifest.id);
        let (ballot, _) = encrypt_ballot(&election, &cred, &plain, &mut rng).unwrap();
        ballots.push(ballot);
        weights.push(weight);
    }
    // Single and batch verification agree.
    let single: Vec<_> = ballots
        .iter()
        .cloned()
        .map(|b| verify_ballot(&election, b).unwrap())
        .collect();
    let batch: Vec<_> = verify_ballots(&election, ballots)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(single.len(), batch.len());

    let mut acc = TallyAccumulator::new(&election);
    for (b, w) in batch.iter().zip(&weights) {
        acc.add(b, *w).unwrap();
    }
    let tally = acc.finish();
    // Trustee 1 is absent: trustees 2..=k+1 decrypt.
    let present: Vec<u32> = (2..=t.threshold + 1).map(|j| j.min(t.count)).collect();
    let shares: Vec<_> = present
        .iter()
        .map(|&j| DecryptionShare::compute(&tally, j, &cer.shares[j as usize - 1], &mut rng))
        .collect();
    let vk = |j: u32| {
        cer.verification_keys
            .get((j as usize).wrapping_sub(1))
            .copied()
    };
    let result = combine(&election, &tally, &shares, vk).unwrap();
    // The tally and its decryption hold the homomorphically counted contests only: a mixed
    // contest is counted from its rows (§13.9), never summed.
    let counted: Vec<_> = manifest.homomorphic_contests().collect();
    assert_eq!(tally.contests.len(), counted.len());
    assert_eq!(result.contests.len(), counted.len());
    for (r, &(ci, c)) in result.contests.iter().zip(&counted) {
        assert_eq!(r.contest, c.id);
        assert_eq!(&r.counts, &expected[ci], "contest {}", r.contest);
    }
}

#[test]
fn municipal_election_end_to_end() {
    run("municipal-2026.toml", 12, 1);
}

#[test]
fn ranked_election_end_to_end() {
    run("ranked-2026.toml", 12, 8);
}

#[test]
fn referendum_end_to_end() {
    run("referendum.toml", 25, 2);
}

#[test]
fn participatory_budget_end_to_end() {
    run("participatory-budget.toml", 8, 3);
}

/// A batch with bad ballots among good ones: exactly the bad ones fail, with the error single
/// verification gives them.
#[test]
fn batch_verification_finds_the_bad_ballots() {
    use psephos_core::sim::shapes;
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let m = shapes::approval(2, 3);
    let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
    let election = Election::new(m.clone(), cer.joint_key).unwrap();
    let mut ballots: Vec<_> = (0..300)
        .map(|_| {
            let cred = CredentialCode::generate(&mut rng).secret(&m.id);
            let p = sim::random_ballot(&m, "all", &mut rng).unwrap();
            encrypt_ballot(&election, &cred, &p, &mut rng).unwrap().0
        })
        .collect();
    let bad = [7usize, 130, 131, 299];
    for &i in &bad {
        // Swap in another ballot's ciphertext: the proofs no longer match.
        let other = ballots[(i + 1) % ballots.len()].contests[1].ciphertexts[2];
        ballots[i].contests[1].ciphertexts[2] = other;
    }
    let single: Vec<_> = ballots
        .iter()
        .cloned()
        .map(|b| verify_ballot(&election, b).err())
        .collect();
    let batch = verify_ballots(&election, ballots);
    for (i, (s, b)) in single.iter().zip(&batch).enumerate() {
        assert_eq!(s.is_some(), bad.contains(&i), "ballot {i}");
        assert_eq!(s.as_ref(), b.as_ref().err(), "ballot {i}");
    }
}

/// One batch holding ballots of two elections (different keys, different shapes, one with
/// range proofs): each ballot is judged under its own election, exactly as alone; a ballot paired
/// with the other election fails, and so does a tampered one, and only they.
#[test]
fn a_batch_across_elections_judges_each_ballot_under_its_own_election() {
    use psephos_core::ballot::verify_ballots_of;
    use psephos_core::sim::shapes;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let elections: Vec<Election> = [
        shapes::of_kind("cumulative", 1, 4, 5).unwrap(),
        shapes::approval(2, 3),
    ]
    .into_iter()
    .map(|m| {
        let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
        Election::new(m, cer.joint_key).unwrap()
    })
    .collect();
    let mut items: Vec<(usize, EncryptedBallot)> = (0..40)
        .map(|i| {
            let e = &elections[i % 2];
            let m = e.manifest();
            let cred = CredentialCode::generate(&mut rng).secret(&m.id);
            let p = sim::random_ballot(m, &m.ballot_styles[0].id, &mut rng).unwrap();
            (i % 2, encrypt_ballot(e, &cred, &p, &mut rng).unwrap().0)
        })
        .collect();
    // Ballot 5 (of the second election) is presented as the first's; ballot 12's first
    // ciphertext is swapped with ballot 14's.
    items[5].0 = 0;
    let other = items[14].1.contests[0].ciphertexts[0];
    items[12].1.contests[0].ciphertexts[0] = other;
    let bad = [5usize, 12];
    let single: Vec<_> = items
        .iter()
        .map(|(e, b)| verify_ballot(&elections[*e], b.clone()).err())
        .collect();
    let batch = verify_ballots_of(items.into_iter().map(|(e, b)| (&elections[e], b)).collect());
    assert_eq!(batch.len(), single.len());
    for (i, (s, b)) in single.iter().zip(&batch).enumerate() {
        assert_eq!(s.is_some(), bad.contains(&i), "ballot {i}");
        assert_eq!(s.as_ref(), b.as_ref().err(), "ballot {i}");
    }
}

#[test]
fn challenged_ballots_open_and_tampered_reveals_fail() {
    use psephos_core::challenge::check_challenge;
    use psephos_core::error::VerifyError;
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let m = config("municipal-2026.toml");
    let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
    let election = Election::new(m.clone(), cer.joint_key).unwrap();
    let cred = CredentialCode::generate(&mut rng).secret(&m.id);
    let p = sim::random_ballot(&m, "river", &mut rng).unwrap();
    let (ballot, secrets) = encrypt_ballot(&election, &cred, &p, &mut rng).unwrap();
    let reveal = secrets.reveal(&ballot);
    assert_eq!(check_challenge(&election, &ballot, &reveal).unwrap(), p);
    // A device that lies about one value is caught.
    let mut lie = reveal.clone();
    lie.contests[0][0].value ^= 1;
    assert_eq!(
        check_challenge(&election, &ballot, &lie),
        Err(VerifyError::ChallengeMismatch)
    );
    // A reveal of another ballot does not open this one.
    let (other, other_secrets) = encrypt_ballot(&election, &cred, &p, &mut rng).unwrap();
    assert_eq!(
        check_challenge(&election, &ballot, &other_secrets.reveal(&other)),
        Err(VerifyError::ChallengeMismatch)
    );
}

// "Blank" is: nothing left after trimming Unicode White_Space (docs/protocol.md §6.3), so a
// name of ideographic spaces, NEL or no-break spaces is blank; a zero-width space (not
// White_Space) or a visible character is not.
#[test]
fn blank_names_are_unicode_white_space() {
    let manifest = |name: &str| {
        Manifest::from_toml(&format!(
            r#"
[election]
id = "blank"
name = "{name}"
[trustees]
count = 1
threshold = 1
[[contests]]
id = "c"
title = "C"
kind = "referendum"
[[ballot_styles]]
id = "s"
contests = ["c"]
"#
        ))
    };
    for blank in [
        "",
        " \\t",
        "\\u3000\\u0085",
        "\\u00a0\\u2028\\u205f",
        "\\u1680\\u202f",
    ] {
        assert!(manifest(blank).is_err(), "{blank:?} is blank");
    }
    for not_blank in ["\\u200b", "x", " \\u3000x\\u3000 "] {
        assert!(manifest(not_blank).is_ok(), "{not_blank:?} is not blank");
    }
}

/// Proof errors name a contest by its position in the ballot, whatever the proof: in the
/// "north" style the score contest `park-priorities` (manifest index 5) is the ballot's
/// contest 3, and a range proof or a commitment link that fails there says "contest 3".
#[test]
fn proof_errors_number_contests_by_their_position_in_the_ballot() {
    use psephos_core::ballot::ContestProof;
    use psephos_core::error::{ProofKind, VerifyError};
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let m = config("municipal-2026.toml");
    let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
    let election = Election::new(m.clone(), cer.joint_key).unwrap();
    let style = m.style("north").unwrap();
    let pos = 3;
    assert_eq!(m.contests[style.contests[pos]].id, "park-priorities");
    assert_ne!(style.contests[pos], pos);
    let cred = CredentialCode::generate(&mut rng).secret(&m.id);
    let make = |rng: &mut ChaCha20Rng| {
        let p = sim::random_ballot(&m, "north", rng).unwrap();
        encrypt_ballot(&election, &cred, &p, rng).unwrap().0
    };
    let (a, b) = (make(&mut rng), make(&mut rng));
    // Another ballot's range proof: well formed, does not verify here.
    let mut bad = a.clone();
    let ContestProof::Bounded { range: other, .. } = &b.contests[pos].proof else {
        panic!("park-priorities is a bounded contest");
    };
    let ContestProof::Bounded { range, .. } = &mut bad.contests[pos].proof else {
        panic!("park-priorities is a bounded contest");
    };
    *range = other.clone();
    bad.sign(&cred, &mut rng);
    let e = verify_ballot(&election, bad).unwrap_err();
    assert_eq!(
        e,
        VerifyError::Proof {
            kind: ProofKind::Range,
            contest: Some(pos),
            option: None
        },
        "{e}"
    );
    assert!(e.to_string().contains("(contest 3)"), "{e}");
    // A Σ-proof there (a commitment link) is numbered the same way.
    let mut bad = a.clone();
    let ContestProof::Bounded { links: other, .. } = &b.contests[pos].proof else {
        panic!("park-priorities is a bounded contest");
    };
    let ContestProof::Bounded { links, .. } = &mut bad.contests[pos].proof else {
        panic!("park-priorities is a bounded contest");
    };
    links[0] = other[0];
    bad.sign(&cred, &mut rng);
    let e = verify_ballot(&election, bad).unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::Proof {
                kind: ProofKind::CommitmentLink,
                contest: Some(3),
                option: Some(0)
            }
        ),
        "{e}"
    );
}

/// Bulletproofs are verified in the chunk's one multiscalar multiplication: a batch of budget
/// ballots with one bad range proof and one bad limit range proof (each from another ballot,
/// the ballots re-signed, so only that proof is wrong) and one with a corrupted scalar rejects
/// exactly those ballots and names the proof, as single verification does.
#[test]
fn batch_verification_names_a_bad_range_proof() {
    use psephos_core::ballot::ContestProof;
    use psephos_core::error::ProofKind;
    use psephos_core::sim::shapes;
    use psephos_core::VerifyError;
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let m = shapes::budget(3);
    let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
    let election = Election::new(m.clone(), cer.joint_key).unwrap();
    let mut creds = Vec::new();
    let mut ballots: Vec<_> = (0..40)
        .map(|_| {
            let cred = CredentialCode::generate(&mut rng).secret(&m.id);
            let p = sim::random_ballot(&m, "all", &mut rng).unwrap();
            let b = encrypt_ballot(&election, &cred, &p, &mut rng).unwrap().0;
            creds.push(cred);
            b
        })
        .collect();
    let proofs = |b: &psephos_core::ballot::EncryptedBallot| match &b.contests[0].proof {
        ContestProof::Bounded { range, limit, .. } => (range.clone(), limit.clone()),
        ContestProof::Selection { .. } => unreachable!("a budget contest"),
    };
    let (other_range, _) = proofs(&ballots[1]);
    let (_, other_limit) = proofs(&ballots[2]);
    for (i, tamper) in [(5usize, 0u8), (17, 1), (33, 2)] {
        if let ContestProof::Bounded { range, limit, .. } = &mut ballots[i].contests[0].proof {
            match tamper {
                0 => *range = other_range.clone(),
                1 => *limit = other_limit.clone(),
                // `t̂ + 1`: still canonical, wrong.
                _ => range.0[4 * 32] ^= 1,
            }
        }
        ballots[i].sign(&creds[i], &mut rng);
    }
    let expect = |kind| VerifyError::Proof {
        kind,
        contest: Some(0),
        option: None,
    };
    let single: Vec<_> = ballots
        .iter()
        .cloned()
        .map(|b| verify_ballot(&election, b).err())
        .collect();
    let batch = verify_ballots(&election, ballots);
    for (i, (s, b)) in single.iter().zip(&batch).enumerate() {
        let want = match i {
            5 | 33 => Some(expect(ProofKind::Range)),
            17 => Some(expect(ProofKind::RangeLimit)),
            _ => None,
        };
        assert_eq!(s, &want, "ballot {i}, single");
        assert_eq!(b.as_ref().err(), want.as_ref(), "ballot {i}, batch");
    }
}

/// A ballot's JSON (the HTTP body) takes no field its types do not know, at any depth: inside
/// the internally tagged proof too (the server refuses unknown fields on every route, and serde
/// does not report those of a tagged enum's variant unless the enum denies them).
#[test]
fn ballot_json_refuses_unknown_fields_at_any_depth() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let m = config("municipal-2026.toml");
    let cer = sim::ceremony(&m.hash(), 3, 2, &mut rng);
    let election = Election::new(m.clone(), cer.joint_key).unwrap();
    let cred = CredentialCode::generate(&mut rng).secret(&m.id);
    let p = sim::random_ballot(&m, "north", &mut rng).unwrap();
    let ballot = encrypt_ballot(&election, &cred, &p, &mut rng).unwrap().0;
    let json: serde_json::Value = serde_json::to_value(&ballot).unwrap();
    assert!(serde_json::from_value::<EncryptedBallot>(json.clone()).is_ok());
    for pointer in ["/contests/0/proof", "/contests/3/proof"] {
        let mut extra = json.clone();
        extra
            .pointer_mut(pointer)
            .and_then(|v| v.as_object_mut())
            .unwrap()
            .insert("extra".into(), serde_json::Value::from(1));
        let e = serde_json::from_value::<EncryptedBallot>(extra).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `extra`"),
            "{pointer}: {e}"
        );
    }
}

/// The result of an election with mixed contests joins the decrypted tally (homomorphic
/// contests) with the mixed contests' counts from their rows, in manifest order; a missing,
/// misplaced or misshapen mixed contest is refused.
#[test]
fn complete_result_joins_the_mixed_contests() {
    use psephos_core::mixnet::{MixResult, MixedContestResult};
    use psephos_core::tally::complete_result;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let manifest = config("ranked-2026.toml");
    let cer = sim::ceremony(&manifest.hash(), 3, 2, &mut rng);
    let election = Election::new(manifest.clone(), cer.joint_key).unwrap();
    let tally = TallyAccumulator::new(&election).finish();
    assert_eq!(tally.contests.len(), 1, "only the referendum is summed");
    let shares: Vec<_> = [1u32, 2]
        .iter()
        .map(|&j| DecryptionShare::compute(&tally, j, &cer.shares[j as usize - 1], &mut rng))
        .collect();
    let vk = |j: u32| cer.verification_keys.get(j as usize - 1).copied();
    let decrypted = combine(&election, &tally, &shares, vk).unwrap();
    let mixed = |id: &str, rows: Vec<Vec<u64>>| {
        let width = rows[0].len();
        let mut counts = vec![0; width];
        for r in &rows {
            for (c, v) in counts.iter_mut().zip(r) {
                *c += v;
            }
        }
        MixedContestResult {
            contest: id.into(),
            rows,
            counts,
        }
    };
    let mix = MixResult {
        election: *election.hash(),
        lists: psephos_core::hash::Digest([0; 32]),
        contests: vec![
            mixed("mayor", vec![vec![1, 2, 0, 0], vec![3, 0, 0, 0]]),
            mixed("council", vec![vec![5, 4, 0, 0], vec![1, 0, 0, 0]]),
            mixed("harbour-master", vec![vec![0; 17]]),
        ],
    };
    let full = complete_result(&election, &decrypted, Some(&mix)).unwrap();
    let ids: Vec<_> = full.contests.iter().map(|c| c.contest.as_str()).collect();
    assert_eq!(ids, ["mayor", "council", "night-buses", "harbour-master"]);
    assert_eq!(full.contests[0].counts, [4, 2, 0, 0]);
    assert_eq!(full.contests[0].ballots, 2);
    assert_eq!(full.contests[2], decrypted.contests[0]);

    assert!(complete_result(&election, &decrypted, None).is_err());
    let mut swapped = mix.clone();
    swapped.contests.swap(0, 1);
    assert!(complete_result(&election, &decrypted, Some(&swapped)).is_err());
    let mut short = mix.clone();
    short.contests[1].counts.pop();
    assert!(complete_result(&election, &decrypted, Some(&short)).is_err());
    let mut extra = mix.clone();
    extra.contests.push(mixed("extra", vec![vec![1]]));
    assert!(complete_result(&election, &decrypted, Some(&extra)).is_err());
}
