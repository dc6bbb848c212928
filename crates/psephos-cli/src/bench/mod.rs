//! `psephos bench`: quick medians of the core operations on this machine, for
//! `BENCHMARKS.md`. The criterion benches in `benches/` are the careful measurement; this is the
//! one-command overview.

pub mod attack;
pub mod count;
pub mod election;
pub mod explorer;
pub mod load;
pub mod memory;
pub mod mix;
pub mod mixnet;
pub mod restart;
pub mod verify;

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
    /// Measure only this ballot shape: contest kind (approval, plurality, score, cumulative,
    /// budget, ranked), with `--options`, `--contests` and `--max`. Without it, a standard list of
    /// shapes, then the ceremony, tally and dlog figures.
    #[arg(long)]
    pub kind: Option<String>,
    /// Options per contest (with `--kind`).
    #[arg(long, default_value_t = 5)]
    pub options: usize,
    /// Contests per ballot (with `--kind`).
    #[arg(long, default_value_t = 1)]
    pub contests: usize,
    /// Maximum per option of score and cumulative contests (with `--kind`).
    #[arg(long, default_value_t = 10)]
    pub max: u64,
    /// Threads for batch verification (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

/// Benchmarks other than the core overview.
#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// The election service under load over HTTP (see `bench::load`).
    Load(load::Args),
    /// Simulate, ingest, tally, export and verify a whole election; time and peak memory per
    /// phase.
    Election(election::Args),
    /// The attacks of issue [2/10] against a real server: an unlisted-credential flood while a
    /// voter casts, gzip bombs, invented method names (see `bench::attack`).
    Attack(attack::Args),
    /// The exact counter of ranked contests (IRV, STV, Schulze) on generated ballots.
    Count(count::Args),
    /// The verifiable shuffle: shuffle + prove and verify per ciphertext, one thread and all.
    Mix(mix::Args),
    /// A mixed contest end to end: input, three shuffles, mixed shares and result through the
    /// rules, then `psephos verify` with its peak memory.
    Mixnet(mixnet::Args),
    /// The board explorer's pages over HTTP on a large board (`bench restart`'s).
    Explorer(explorer::Args),
    /// Restart time of an election on a large board, and its state's memory per voter and per
    /// ballot.
    Restart(restart::Args),
    /// Resident memory of `psephos serve` per idle election and for an open election with its
    /// voters.
    Memory(memory::Args),
    /// The whole-election verifier on a record file against a proof-only pass over the same
    /// record's ballots (decode and batch verification only): both times and their ratio.
    Verify(verify::Args),
}

/// The median of some timings (zero for none); every `psephos bench` figure is one.
pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Resets this process's peak resident memory (`VmHWM`), where Linux allows it.
pub(crate) fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident memory (`VmHWM`) in MiB, where Linux gives it.
pub(crate) fn peak_mib() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib / 1024)
}

/// A `/proc/self/status` figure of this process in KiB (`"VmRSS:"`, `"VmHWM:"`), where Linux
/// gives it.
pub(crate) fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(key))?;
    line.split_whitespace().next()?.parse().ok()
}

fn election(m: Manifest, rng: &mut ChaCha20Rng) -> anyhow::Result<Election> {
    let c = sim::ceremony(&m.hash(), 3, 2, rng);
    Ok(Election::new(m, c.joint_key)?)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Sub::Load(a)) => return load::run(a),
        Some(Sub::Election(a)) => return election::run(a),
        Some(Sub::Attack(a)) => return attack::run(a),
        Some(Sub::Mix(a)) => return mix::run(a),
        Some(Sub::Count(a)) => return count::run(a),
        Some(Sub::Mixnet(a)) => return mixnet::run(a),
        Some(Sub::Restart(a)) => return restart::run(a),
        Some(Sub::Memory(a)) => return memory::run(a),
        Some(Sub::Explorer(a)) => return explorer::run(a),
        Some(Sub::Verify(a)) => return verify::run(a),
        None => {}
    }
    let threads = args.threads.unwrap_or_else(rayon_threads).max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let samples = args.samples.max(3);
    let shapes_to_run: Vec<(String, Manifest)> = match &args.kind {
        Some(kind) => {
            let m = shapes::of_kind(kind, args.contests, args.options, args.max)
                .ok_or_else(|| anyhow::anyhow!("unknown contest kind {kind:?}"))?;
            vec![(format!("{kind} {}x{}", args.contests, args.options), m)]
        }
        None => vec![
            ("approval 1x1".into(), shapes::approval(1, 1)),
            ("approval 1x5".into(), shapes::approval(1, 5)),
            ("approval 1x10".into(), shapes::approval(1, 10)),
            ("approval 10x5".into(), shapes::approval(10, 5)),
            ("plurality 1x5".into(), shapes::plurality(5)),
            ("score 1x5 0..10".into(), shapes::score(5, 10)),
            ("budget 1x5".into(), shapes::budget(5)),
        ],
    };
    let floors = Floors::measure(&mut rng);
    println!(
        "floors: fixed-base multiplication {:.1?}, decompression {:.1?}; \
         batch verification on {threads} thread(s), decoding from canonical bytes included",
        floors.fixed_base, floors.decompress
    );
    println!(
        "{:<18} {:>4} | {:>9} {:>9} {:>5} | {:>9} {:>9} {:>5} | {:>9} {:>9} {:>9} {:>5}",
        "shape",
        "opts",
        "encrypt",
        "floor",
        "ratio",
        "verify 1",
        "floor",
        "ratio",
        "batch/blt",
        "/option",
        "floor",
        "ratio"
    );
    for (name, m) in shapes_to_run {
        let r = measure_shape(&m, samples, args.batch, &pool, &floors, threads, &mut rng)?;
        let ratio = |x: Duration, f: Option<Duration>| match f {
            Some(f) if !f.is_zero() => format!("{:.2}", x.as_secs_f64() / f.as_secs_f64()),
            _ => "-".into(),
        };
        let fmt = |f: Option<Duration>| f.map_or("-".into(), |f| format!("{f:.1?}"));
        println!(
            "{:<18} {:>4} | {:>9.1?} {:>9} {:>5} | {:>9.1?} {:>9.1?} {:>5} | {:>9.1?} {:>9.1?} {:>9.1?} {:>5}",
            name,
            r.options,
            r.encrypt,
            fmt(r.encrypt_floor),
            ratio(r.encrypt, r.encrypt_floor),
            r.single,
            r.single_floor,
            ratio(r.single, Some(r.single_floor)),
            r.batch,
            r.batch / r.options as u32,
            r.batch_floor,
            ratio(r.batch, Some(r.batch_floor)),
        );
        println!(
            "{:<18}      (per ballot: {} decompressions, {} MSM terms singly, {:.1} in a batch \
             of {}; floor = decompressions + a multiscalar multiplication of that size)",
            "", r.decompressions, r.single_terms, r.batch_terms_per_ballot, args.batch
        );
    }
    if args.kind.is_some() {
        return Ok(());
    }

    for (n, k) in [(5u32, 3u32), (10, 6)] {
        let (total, per_trustee, verify) = ceremony(n, k, &mut rng)?;
        println!(
            "key ceremony n={n} k={k}: {total:.1?} for all {n} trustees in one process \
             ({per_trustee:.1?} per trustee), public verification of the ceremony log {verify:.1?}"
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

/// The primitive costs each figure is judged against, measured in the same run.
struct Floors {
    fixed_base: Duration,
    decompress: Duration,
}

impl Floors {
    fn measure(rng: &mut ChaCha20Rng) -> Self {
        use psephos_core::generators::g_table;
        let scalars: Vec<Scalar> = (0..400).map(|_| random_scalar(rng)).collect();
        let points: Vec<_> = scalars.iter().map(|s| (g_table() * s).compress()).collect();
        let per = |total: Duration, n: usize| total / n as u32;
        let fixed_base = median(
            (0..9)
                .map(|_| {
                    let t = Instant::now();
                    for s in &scalars {
                        std::hint::black_box(g_table() * s);
                    }
                    per(t.elapsed(), scalars.len())
                })
                .collect(),
        );
        let decompress = median(
            (0..9)
                .map(|_| {
                    let t = Instant::now();
                    for p in &points {
                        std::hint::black_box(p.decompress());
                    }
                    per(t.elapsed(), points.len())
                })
                .collect(),
        );
        Floors {
            fixed_base,
            decompress,
        }
    }

    /// Median time of a variable-time multiscalar multiplication of `n` random terms.
    fn msm(n: usize, rng: &mut ChaCha20Rng) -> Duration {
        use psephos_core::generators::g_table;
        use psephos_core::RistrettoPoint;
        let scalars: Vec<Scalar> = (0..n).map(|_| random_scalar(rng)).collect();
        // Distinct points (cheap to make: a running sum).
        let step = g_table() * &random_scalar(rng);
        let mut acc = g_table() * &random_scalar(rng);
        let points: Vec<RistrettoPoint> = (0..n)
            .map(|_| {
                acc += step;
                acc
            })
            .collect();
        median(
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(
                        <RistrettoPoint as curve25519_dalek::traits::VartimeMultiscalarMul>::vartime_multiscalar_mul(
                            &scalars, &points,
                        ),
                    );
                    t.elapsed()
                })
                .collect(),
        )
    }
}

struct ShapeFigures {
    options: usize,
    encrypt: Duration,
    encrypt_floor: Option<Duration>,
    single: Duration,
    single_floor: Duration,
    single_terms: usize,
    batch: Duration,
    batch_floor: Duration,
    batch_terms_per_ballot: f64,
    decompressions: usize,
}

/// Encrypts `samples` ballots of the shape and verifies each from its canonical bytes, then
/// verifies `batch` ballots from their canonical bytes with `verify_ballots` on `pool`; measures
/// the floors of those figures alongside.
fn measure_shape(
    m: &Manifest,
    samples: usize,
    batch: usize,
    pool: &rayon::ThreadPool,
    floors: &Floors,
    threads: usize,
    rng: &mut ChaCha20Rng,
) -> anyhow::Result<ShapeFigures> {
    use psephos_core::ballot::{cost, EncryptedBallot};
    use psephos_core::election::Rule;
    use psephos_core::encoding::Canonical;
    let options: usize = m.contests.iter().map(|c| c.options.len()).sum();
    // The encryption floor is defined for 0/1 options without a limit proof: 8 fixed-base
    // multiplications per option (2 to encrypt, 3 per branch of the proof) and one for the
    // signature's commitment.
    let fixed_base_count = m
        .contests
        .iter()
        .all(|c| {
            matches!(c.rule, Rule::Selection { min, max }
                if psephos_core::ballot::limit_implied(min, max, c.options.len()))
        })
        .then_some(8 * options + 1);
    // Floors are sampled right after each sample of the figure, so that both see the same
    // load on a shared machine (the medians of the two are compared).
    let floor_scalars: Vec<Scalar> = (0..8 * options + 1).map(|_| random_scalar(rng)).collect();
    let mut enc_floor = Vec::with_capacity(samples);
    let e = election(m.clone(), rng)?;
    let cred = CredentialSecret::from_scalar(random_scalar(rng));
    let mut enc = Vec::with_capacity(samples);
    let mut ver = Vec::with_capacity(samples);
    let mut sample_ballot = None;
    for _ in 0..samples {
        let p =
            sim::random_ballot(e.manifest(), "all", rng).ok_or_else(|| anyhow::anyhow!("style"))?;
        let t = Instant::now();
        let (b, _) = encrypt_ballot(&e, &cred, &p, rng)?;
        enc.push(t.elapsed());
        if fixed_base_count.is_some() {
            let t = Instant::now();
            for x in &floor_scalars {
                std::hint::black_box(psephos_core::generators::g_table() * x);
            }
            enc_floor.push(t.elapsed());
        }
        let bytes = b.to_canonical_bytes();
        let t = Instant::now();
        let decoded = EncryptedBallot::from_canonical_bytes(&bytes)?;
        verify_ballot(&e, decoded)?;
        ver.push(t.elapsed());
        sample_ballot = Some(b);
    }
    let b = sample_ballot.ok_or_else(|| anyhow::anyhow!("no samples"))?;
    let decompressions = cost::decompressions(&b);
    let single_terms = cost::batch_terms(&e, std::slice::from_ref(&b))?;
    let single_floor = Floors::msm(single_terms, rng) + floors.decompress * decompressions as u32;

    let ballots: Vec<Vec<u8>> = (0..batch.max(1))
        .map(|_| {
            let cred = CredentialSecret::from_scalar(random_scalar(rng));
            let p = sim::random_ballot(e.manifest(), "all", rng)
                .ok_or_else(|| anyhow::anyhow!("style"))?;
            Ok(encrypt_ballot(&e, &cred, &p, rng)?.0.to_canonical_bytes())
        })
        .collect::<anyhow::Result<_>>()?;
    // The chunk of `verify_ballots` and its multiscalar multiplication.
    const CHUNK: usize = 128;
    let chunk: Vec<EncryptedBallot> = ballots
        .iter()
        .take(CHUNK)
        .map(|b| EncryptedBallot::from_canonical_bytes(b))
        .collect::<Result<_, _>>()?;
    let chunk_terms = cost::batch_terms(&e, &chunk)?;
    let compressed: Vec<_> = (0..decompressions)
        .map(|_| (psephos_core::generators::g_table() * &random_scalar(rng)).compress())
        .collect();
    // One floor sample after each batch sample: the chunk's multiscalar multiplication per
    // ballot plus the ballot's decompressions, on one thread; chunks are spread over the
    // threads.
    let mut floor_samples = Vec::new();
    let mut floor_sample = |rng: &mut ChaCha20Rng| {
        let msm = Floors::msm(chunk_terms, rng) / chunk.len() as u32;
        let t = Instant::now();
        for p in &compressed {
            std::hint::black_box(p.decompress());
        }
        floor_samples.push((msm + t.elapsed()) / threads as u32);
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let out = pool.install(|| -> anyhow::Result<_> {
            use rayon::prelude::*;
            let decoded: Vec<EncryptedBallot> = ballots
                .par_iter()
                .map(|b| EncryptedBallot::from_canonical_bytes(b))
                .collect::<Result<_, _>>()?;
            Ok(verify_ballots(&e, decoded))
        })?;
        times.push(t.elapsed());
        anyhow::ensure!(out.iter().all(Result::is_ok), "batch verification failed");
        floor_sample(rng);
    }
    let batch_floor = median(floor_samples);
    Ok(ShapeFigures {
        options,
        encrypt: median(enc),
        encrypt_floor: fixed_base_count.map(|_| median(enc_floor)),
        single: median(ver),
        single_floor,
        single_terms,
        batch: median(times) / ballots.len() as u32,
        batch_floor,
        batch_terms_per_ballot: chunk_terms as f64 / chunk.len() as f64,
        decompressions,
    })
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
/// messages and processes every posted one) and verifies the ceremony log as an observer. Returns
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
    let public = psephos_core::ceremony::verify_ceremony(&run.params, &run.log)?;
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
