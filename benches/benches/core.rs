//! Core benchmarks: encrypt+prove and verify per ballot shape, batch verification, the range
//! prover alone, the discrete logarithm. Run with `cargo bench -p psephos-benches --bench core`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use psephos_benches::{ballots, election, rng};
use psephos_core::ballot::{encrypt_ballot, verify_ballot, verify_ballots};
use psephos_core::credential::CredentialSecret;
use psephos_core::dlog::DlogTable;
use psephos_core::election::Manifest;
use psephos_core::generators::g;
use psephos_core::sim::{self, shapes};
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use std::time::Duration;

fn ballot_shapes() -> Vec<(&'static str, Manifest)> {
    vec![
        ("approval-1x1", shapes::approval(1, 1)),
        ("approval-1x5", shapes::approval(1, 5)),
        ("approval-1x10", shapes::approval(1, 10)),
        ("approval-10x5", shapes::approval(10, 5)),
        ("plurality-1x5", shapes::plurality(5)),
        ("score-1x5-0..10", shapes::score(5, 10)),
        ("budget-1x5", shapes::budget(5)),
    ]
}

fn per_ballot(c: &mut Criterion) {
    for (name, manifest) in ballot_shapes() {
        let e = election(manifest);
        let mut r = rng(2);
        let cred = CredentialSecret::from_scalar(random_scalar(&mut r));
        let m = e.manifest().clone();
        let mut g = c.benchmark_group(format!("ballot/{name}"));
        g.bench_function("encrypt+prove", |b| {
            b.iter_batched(
                || sim::random_ballot(&m, "all", &mut r).unwrap(),
                |p| encrypt_ballot(&e, &cred, &p, &mut rng(3)).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let bs = ballots(&e, 16, 4);
        let mut i = 0;
        g.bench_function("verify", |b| {
            b.iter_batched(
                || {
                    i = (i + 1) % bs.len();
                    bs[i].clone()
                },
                |ballot| verify_ballot(&e, ballot).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

fn batch(c: &mut Criterion) {
    for (name, manifest) in [
        ("approval-1x5", shapes::approval(1, 5)),
        ("plurality-1x5", shapes::plurality(5)),
    ] {
        let e = election(manifest);
        let bs = ballots(&e, 1000, 5);
        let mut g = c.benchmark_group(format!("batch-1000/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(1000));
        g.bench_function("verify_ballots", |b| {
            b.iter_batched(
                || bs.clone(),
                |v| {
                    let out = verify_ballots(&e, v);
                    assert!(out.iter().all(Result::is_ok));
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

/// The Bulletproofs range prover alone (`proofs::range_prover`), in the shapes of the ballots
/// above: a 5-option score contest's option proof (10 values of 8 bits, padded to 16) and a
/// budget's limit proof (1 value of 32 bits).
fn range_proof(c: &mut Criterion) {
    use psephos_core::proofs::RangeProof;
    use psephos_core::transcript::Transcript;
    let mut g = c.benchmark_group("range-proof");
    let mut r = rng(6);
    for (name, values, bits) in [
        (
            "prove-10x8",
            vec![3u64, 7, 0, 10, 5, 7, 3, 0, 10, 5],
            8usize,
        ),
        ("prove-1x32", vec![123_456u64], 32),
    ] {
        let blindings: Vec<Scalar> = values.iter().map(|_| random_scalar(&mut r)).collect();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut t = Transcript::new(b"bench");
                RangeProof::prove(&mut t, &values, &blindings, bits, &mut r).unwrap()
            })
        });
    }
    g.finish();
}

fn dlog(c: &mut Criterion) {
    let mut grp = c.benchmark_group("dlog");
    grp.sample_size(10);
    let bound = 10_000_000u64;
    let table = DlogTable::for_bound(bound);
    eprintln!(
        "dlog table for bound {bound}: {} baby steps, ~{} KiB",
        table.baby_steps(),
        table.memory_bytes() / 1024
    );
    grp.bench_function("table-for-1e7", |b| b.iter(|| DlogTable::for_bound(bound)));
    let target = g() * Scalar::from(9_999_999u64);
    grp.bench_function("solve-worst-case-1e7", |b| {
        b.iter(|| assert_eq!(table.solve(&target, bound), Some(9_999_999)))
    });
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = per_ballot, batch, range_proof, dlog
}
criterion_main!(benches);
