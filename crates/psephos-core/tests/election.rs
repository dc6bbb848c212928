//! Whole elections in process, for every shipped configuration: ceremony, random ballots,
//! single and batch verification, tally with a trustee absent, decryption, and the result
//! checked against the plaintexts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{encrypt_ballot, verify_ballot, verify_ballots};
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
        .map(|c| vec![0; c.options.len()])
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
    for (r, e) in result.contests.iter().zip(&expected) {
        assert_eq!(&r.counts, e, "contest {}", r.contest);
    }
}

#[test]
fn municipal_election_end_to_end() {
    run("municipal-2026.toml", 12, 1);
}

#[test]
fn referendum_end_to_end() {
    run("referendum.toml", 25, 2);
}

#[test]
fn participatory_budget_end_to_end() {
    run("participatory-budget.toml", 8, 3);
}
