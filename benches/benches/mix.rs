//! The verifiable shuffle (`docs/protocol.md`, §13): shuffle + prove and verify of one mixer's
//! list, for n = 1,000 rows of width 1 and 5, on one thread and on every core. Throughput is in
//! ciphertexts (n·w), so criterion's "elem/s" inverts to the time per ciphertext.
//! Run with `cargo bench -p psephos-benches --bench mix`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use psephos_benches::rng;
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::generators::g;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::mix::{shuffle, CiphertextList, MixGenerators, MixStatement};
use psephos_core::proofs::ShuffleProof;
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use std::time::Duration;

fn mix(c: &mut Criterion) {
    let mut r = rng(9);
    let key = ElectionKey::new(Point::from_point(g() * random_scalar(&mut r))).unwrap();
    let election = Digest::of(b"bench", b"mix");
    let n = 1000;
    let gens = MixGenerators::standard(n).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for w in [1usize, 5] {
        let items = (0..n * w)
            .map(|j| {
                Ciphertext::encrypt(&key, &Scalar::from((j % 5) as u64), &random_scalar(&mut r))
            })
            .collect();
        let inputs = CiphertextList::new(w, items).unwrap();
        let (outputs, witness) = shuffle(&key, &inputs, &mut r);
        let st = MixStatement {
            election_hash: &election,
            key: &key,
            generators: &gens,
            mixer: 1,
            inputs: &inputs,
            outputs: &outputs,
        };
        let proof = ShuffleProof::prove(&st, &witness, &mut r).unwrap();
        let mut grp = c.benchmark_group(format!("mix/n{n}-w{w}"));
        grp.sample_size(10)
            .measurement_time(Duration::from_secs(10))
            .throughput(Throughput::Elements((n * w) as u64));
        let prove = || {
            let (o, wit) = shuffle(&key, &inputs, &mut rng(1));
            let s = MixStatement { outputs: &o, ..st };
            ShuffleProof::prove(&s, &wit, &mut rng(2)).unwrap();
        };
        let verify = || proof.verify(&st).unwrap();
        grp.bench_function("shuffle+prove/1-thread", |b| b.iter(|| one.install(prove)));
        grp.bench_function("verify/1-thread", |b| b.iter(|| one.install(verify)));
        grp.bench_function("shuffle+prove/all-cores", |b| b.iter(prove));
        grp.bench_function("verify/all-cores", |b| b.iter(verify));
        grp.finish();
    }
}

criterion_group!(benches, mix);
criterion_main!(benches);
