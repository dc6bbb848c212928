//! `psephos bench mix`: the verifiable shuffle (`docs/protocol.md`, §13) per ciphertext per
//! mixer — shuffle + prove, and verify — on one thread and on every core, for the list sizes
//! and widths asked for. Figures go to `BENCHMARKS.md`; the criterion bench `mix` in `benches/`
//! is the careful measurement of the same operations.

use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::g;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::mix::{shuffle, CiphertextList, MixGenerators, MixStatement};
use psephos_core::proofs::ShuffleProof;
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// List sizes (rows), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10_000])]
    pub rows: Vec<usize>,
    /// Row widths (ciphertexts per ballot), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 5])]
    pub widths: Vec<usize>,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
}

/// Times of one configuration: (shuffle + prove, verify).
fn measure(
    key: &ElectionKey,
    gens: &MixGenerators,
    inputs: &CiphertextList,
    samples: usize,
    rng: &mut ChaCha20Rng,
) -> anyhow::Result<(Duration, Duration)> {
    let election = Digest::of(b"bench", b"mix");
    let (mut prove, mut verify) = (Vec::new(), Vec::new());
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        let (outputs, witness) = shuffle(key, inputs, rng);
        let st = MixStatement {
            election_hash: &election,
            key,
            generators: gens,
            mixer: 1,
            inputs,
            outputs: &outputs,
        };
        let proof = ShuffleProof::prove(&st, &witness, rng)?;
        prove.push(t.elapsed());
        // The verifier receives bytes: decoding (one decompression per point) is part of it.
        let bytes = proof.to_canonical_bytes();
        let t = Instant::now();
        let proof = ShuffleProof::from_canonical_bytes(&bytes)?;
        proof.verify(&st)?;
        verify.push(t.elapsed());
    }
    Ok((super::median(prove), super::median(verify)))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let key = ElectionKey::new(Point::from_point(g() * random_scalar(&mut rng)))?;
    let max_rows = args.rows.iter().copied().max().unwrap_or(0);
    let t = Instant::now();
    let gens = MixGenerators::standard(max_rows)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "generators h, h_1..h_{max_rows}: {:.1?} on {cores} cores (derived once, reused)",
        t.elapsed()
    );
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!(
        "{:>7} {:>3} {:>8} {:>16} {:>16} {:>16} {:>16}",
        "rows", "w", "threads", "shuffle+prove", "verify", "prove/ct", "verify/ct"
    );
    for &n in &args.rows {
        for &w in &args.widths {
            let items: Vec<Ciphertext> = (0..n * w)
                .map(|j| {
                    Ciphertext::encrypt(
                        &key,
                        &Scalar::from((j % 5) as u64),
                        &random_scalar(&mut rng),
                    )
                })
                .collect();
            let inputs = CiphertextList::new(w, items)?;
            for threads in [1, cores] {
                let (p, v) = if threads == 1 {
                    one.install(|| measure(&key, &gens, &inputs, args.samples, &mut rng))?
                } else {
                    measure(&key, &gens, &inputs, args.samples, &mut rng)?
                };
                let cts = (n * w).max(1) as f64;
                println!(
                    "{:>7} {:>3} {:>8} {:>16.1?} {:>16.1?} {:>13.4} ms {:>13.4} ms",
                    n,
                    w,
                    threads,
                    p,
                    v,
                    p.as_secs_f64() * 1e3 / cts,
                    v.as_secs_f64() * 1e3 / cts
                );
            }
        }
    }
    Ok(())
}
