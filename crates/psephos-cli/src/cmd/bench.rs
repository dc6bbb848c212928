//! `psephos bench`: quick medians of the core operations on this machine, for
//! `BENCHMARKS.md`. The criterion benches in `benches/` are the careful measurement; this is the
//! one-command overview.

use psephos_core::ballot::{encrypt_ballot, verify_ballot, verify_ballots};
use psephos_core::credential::CredentialSecret;
use psephos_core::dlog::DlogTable;
use psephos_core::election::{Election, Manifest};
use psephos_core::sim::{self, shapes};
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Samples per measurement (the median is reported).
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
    /// Ballots in the batch-verification measurement.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

/// Benchmarks other than the core overview.
#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// The election service under load over HTTP (see `bench_load`).
    Load(super::bench_load::Args),
    /// Simulate, ingest, tally, export and verify a whole election; time and peak memory per
    /// phase.
    Election(super::bench_election::Args),
    /// The attacks of issue [2/10] against a real server: an unlisted-credential flood while a
    /// voter casts, gzip bombs, invented method names (see `bench_attack`).
    Attack(super::bench_attack::Args),
    /// The verifiable shuffle: shuffle + prove and verify per ciphertext, one thread and all.
    Mix(super::bench_mix::Args),
    /// Restart time of an election on a large board, and its state's memory per voter and per
    /// ballot.
    Restart(super::bench_restart::Args),
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn election(m: Manifest, rng: &mut ChaCha20Rng) -> anyhow::Result<Election> {
    let c = sim::ceremony(&m.hash(), 3, 2, rng);
    Ok(Election::new(m, c.joint_key)?)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Sub::Load(a)) => return super::bench_load::run(a),
        Some(Sub::Election(a)) => return super::bench_election::run(a),
        Some(Sub::Attack(a)) => return super::bench_attack::run(a),
        Some(Sub::Mix(a)) => return super::bench_mix::run(a),
        Some(Sub::Restart(a)) => return super::bench_restart::run(a),
        None => {}
    }
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let samples = args.samples.max(3);
    println!(
        "{:<22} {:>8} {:>14} {:>14} {:>12}",
        "shape", "options", "encrypt+prove", "verify", "verify/opt"
    );
    let all: Vec<(&str, Manifest)> = vec![
        ("approval 1x1", shapes::approval(1, 1)),
        ("approval 1x5", shapes::approval(1, 5)),
        ("approval 1x10", shapes::approval(1, 10)),
        ("approval 10x5", shapes::approval(10, 5)),
        ("plurality 1x5", shapes::plurality(5)),
        ("score 1x5 0..10", shapes::score(5, 10)),
        ("budget 1x5", shapes::budget(5)),
    ];
    for (name, m) in all {
        let options: usize = m.contests.iter().map(|c| c.options.len()).sum();
        let e = election(m, &mut rng)?;
        let cred = CredentialSecret::from_scalar(random_scalar(&mut rng));
        let mut enc = Vec::with_capacity(samples);
        let mut ver = Vec::with_capacity(samples);
        for _ in 0..samples {
            let p = sim::random_ballot(e.manifest(), "all", &mut rng)
                .ok_or_else(|| anyhow::anyhow!("style"))?;
            let t = Instant::now();
            let (b, _) = encrypt_ballot(&e, &cred, &p, &mut rng)?;
            enc.push(t.elapsed());
            let t = Instant::now();
            verify_ballot(&e, b)?;
            ver.push(t.elapsed());
        }
        let (enc, ver) = (median(enc), median(ver));
        println!(
            "{:<22} {:>8} {:>14.1?} {:>14.1?} {:>12.1?}",
            name,
            options,
            enc,
            ver,
            ver / options as u32
        );
    }

    for (name, m) in [
        ("approval 1x5", shapes::approval(1, 5)),
        ("plurality 1x5", shapes::plurality(5)),
    ] {
        let e = election(m, &mut rng)?;
        let ballots: Vec<_> = (0..args.batch)
            .map(|_| {
                let cred = CredentialSecret::from_scalar(random_scalar(&mut rng));
                let p = sim::random_ballot(e.manifest(), "all", &mut rng)
                    .ok_or_else(|| anyhow::anyhow!("style"))?;
                Ok(encrypt_ballot(&e, &cred, &p, &mut rng)?.0)
            })
            .collect::<anyhow::Result<_>>()?;
        let mut times = Vec::new();
        for _ in 0..5 {
            let input = ballots.clone();
            let t = Instant::now();
            let out = verify_ballots(&e, input);
            times.push(t.elapsed());
            anyhow::ensure!(out.iter().all(Result::is_ok), "batch verification failed");
        }
        let t = median(times);
        println!(
            "batch verify {} x {name}: {:.1?} total, {:.1?}/ballot, {:.1?}/option ({} threads)",
            args.batch,
            t,
            t / args.batch as u32,
            t / (args.batch as u32 * 5),
            rayon_threads()
        );
    }

    for (n, k) in [(5u32, 3u32), (10, 6)] {
        let (total, per_trustee, verify) = ceremony(n, k, &mut rng)?;
        println!(
            "key ceremony n={n} k={k}: {total:.1?} for all {n} trustees in one process \
             ({per_trustee:.1?} per trustee), public verification of the transcript {verify:.1?}"
        );
    }

    for ballots in [100_000usize, 1_000_000] {
        let (sum, decrypt) = tally(ballots, &mut rng)?;
        println!(
            "tally of {ballots} ballots x 5 options: homomorphic sum {sum:.1?}, \
             decryption (2 of 3 shares with proofs, checked, combined, dlog) {decrypt:.1?}"
        );
    }

    let t = Instant::now();
    let table = DlogTable::for_bound(10_000_000);
    let build = t.elapsed();
    let target = psephos_core::generators::g() * Scalar::from(9_999_999u64);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        anyhow::ensure!(
            table.solve(&target, 10_000_000) == Some(9_999_999),
            "dlog failed"
        );
        times.push(t.elapsed());
    }
    println!(
        "dlog up to 10^7: table {:.1?} ({} baby steps, ~{} KiB), worst-case solve {:.1?}",
        build,
        table.baby_steps(),
        table.memory_bytes() / 1024,
        median(times)
    );
    Ok(())
}

/// Times the tally of `ballots` ballots of one 5-option contest: the homomorphic sum of their
/// ciphertexts (cycled from 1,000 real encryptions of random valid choices: additions cost the
/// same whatever they add) and the threshold decryption of the result by 2 of 3 trustees (shares
/// with proofs, their verification, Lagrange combination and the discrete logarithm).
fn tally(ballots: usize, rng: &mut ChaCha20Rng) -> anyhow::Result<(Duration, Duration)> {
    use psephos_core::elgamal::Ciphertext;
    use psephos_core::tally::{combine, DecryptionShare, EncryptedTally, TallyContest};
    let m = shapes::plurality(5);
    let cer = sim::ceremony(&m.hash(), 3, 2, rng);
    let e = Election::new(m, cer.joint_key)?;
    let pool: Vec<(Vec<Ciphertext>, Vec<u64>)> = (0..1000)
        .map(|_| {
            let values = sim::random_values(&e.manifest().contests[0], rng);
            let items: Vec<(u64, Scalar)> =
                values.iter().map(|&v| (v, random_scalar(rng))).collect();
            (Ciphertext::encrypt_many(e.key(), &items, true), values)
        })
        .collect();
    let mut expected = vec![0u64; 5];
    let t = Instant::now();
    let mut sums = vec![
        (
            psephos_core::RistrettoPoint::default(),
            psephos_core::RistrettoPoint::default()
        );
        5
    ];
    for i in 0..ballots {
        let (cts, values) = &pool[i % pool.len()];
        for ((acc, ct), (x, v)) in sums
            .iter_mut()
            .zip(cts)
            .zip(expected.iter_mut().zip(values))
        {
            acc.0 += ct.alpha.point();
            acc.1 += ct.beta.point();
            *x += v;
        }
    }
    let ciphertexts = sums
        .iter()
        .map(|(a, b)| Ciphertext {
            alpha: (*a).into(),
            beta: (*b).into(),
        })
        .collect();
    let sum = t.elapsed();
    let tally = EncryptedTally {
        election: *e.hash(),
        contests: vec![TallyContest {
            contest: e.manifest().contests[0].id.clone(),
            ballots: ballots as u64,
            weight: ballots as u64,
            ciphertexts,
        }],
    };
    let t = Instant::now();
    let shares: Vec<DecryptionShare> = [2u32, 3]
        .iter()
        .map(|&j| DecryptionShare::compute(&tally, j, &cer.shares[j as usize - 1], rng))
        .collect();
    let vk = |j: u32| {
        cer.verification_keys
            .get((j as usize).wrapping_sub(1))
            .copied()
    };
    let result = combine(&e, &tally, &shares, vk)?;
    let decrypt = t.elapsed();
    anyhow::ensure!(
        result.contests[0].counts == expected,
        "the decrypted tally is wrong"
    );
    Ok((sum, decrypt))
}

/// Runs an honest ceremony among `n` in-process trustees ([`sim::run_ceremony`]: each makes its
/// messages and processes every posted one) and verifies the transcript as an observer. Returns
/// the total time, the time per trustee, and the observer's verification time.
fn ceremony(
    n: u32,
    k: u32,
    rng: &mut ChaCha20Rng,
) -> anyhow::Result<(Duration, Duration, Duration)> {
    let manifest_hash = psephos_core::hash::Digest::of(b"bench", b"ceremony");
    let start = Instant::now();
    let run = sim::run_ceremony(manifest_hash, n, k, rng)?;
    let total = start.elapsed();
    let t = Instant::now();
    let public = psephos_core::ceremony::verify_ceremony(&run.params, &run.transcript)?;
    let verify = t.elapsed();
    anyhow::ensure!(
        run.outcomes.iter().all(|o| o.joint_key == public.joint_key),
        "trustees disagree on the joint key"
    );
    Ok((total, total / n, verify))
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
