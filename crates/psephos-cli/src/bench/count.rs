//! `psephos bench count`: the exact counter of ranked contests (`docs/protocol.md` §13.10) on
//! generated ballots — IRV, STV and Schulze — as `psephos verify` and the server run it after
//! the mixnet (issue [8/10]).
//!
//! The ballots are drawn so that they look like an election rather than noise: each voter
//! ranks between one and `--max-ranks` candidates, picked one after another without
//! replacement with a popularity that falls with the candidate's number (candidate `i` has
//! weight `1/(i+1)`), so the count has real surpluses, exclusions and transfers, and many
//! distinct preference sequences (the counter groups identical ones into parcels).

use std::time::{Duration, Instant};

use anyhow::Context;

use psephos_core::count::{count, Method, Preferences};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ballots to count.
    #[arg(long, default_value_t = 1_000_000)]
    pub ballots: usize,
    /// Candidates in the contest (at most 64).
    #[arg(long, default_value_t = 20)]
    pub candidates: u32,
    /// Seats of the STV count.
    #[arg(long, default_value_t = 5)]
    pub seats: u32,
    /// Most preferences on one ballot.
    #[arg(long, default_value_t = 10)]
    pub max_ranks: u32,
    /// Counts of each method; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        (2..=64).contains(&args.candidates),
        "--candidates must be between 2 and 64"
    );
    anyhow::ensure!(
        (1..=args.candidates).contains(&args.max_ranks),
        "--max-ranks must be between 1 and --candidates"
    );
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let clock = Instant::now();
    let ballots = generate(&mut rng, args.ballots, args.candidates, args.max_ranks);
    println!(
        "psephos bench count: {} ballots, {} candidates, up to {} preferences each (generated in {:.1} s)",
        ballots.len(),
        args.candidates,
        args.max_ranks,
        clock.elapsed().as_secs_f64()
    );
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    for method in [
        Method::Irv,
        Method::Stv { seats: args.seats },
        Method::Schulze,
    ] {
        let mut times = Vec::with_capacity(args.samples.max(1));
        let mut last = None;
        for _ in 0..args.samples.max(1) {
            let clock = Instant::now();
            let t = count(&method, args.candidates, &ballots, &seed)?;
            times.push(clock.elapsed());
            if let Some(prev) = &last {
                anyhow::ensure!(prev == &t, "two counts of the same ballots differ");
            }
            last = Some(t);
        }
        let t = last.context("no count was made")?;
        println!(
            "{:<24} median {:>9}   {} rounds, elected {:?}",
            format!("{method:?}"),
            fmt(super::median(times)),
            t.rounds.len(),
            t.elected
                .iter()
                .take(args.seats.max(1) as usize)
                .collect::<Vec<_>>()
        );
    }
    Ok(())
}

fn fmt(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// `n` ballots as described in the module's documentation.
fn generate(rng: &mut ChaCha20Rng, n: usize, candidates: u32, max_ranks: u32) -> Vec<Preferences> {
    let weights: Vec<f64> = (0..candidates).map(|i| 1.0 / f64::from(i + 1)).collect();
    let uniform = |rng: &mut ChaCha20Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let len = 1 + (rng.next_u64() % u64::from(max_ranks)) as usize;
            let mut left: Vec<u32> = (0..candidates).collect();
            let mut prefs = Vec::with_capacity(len);
            while prefs.len() < len {
                let total: f64 = left.iter().map(|&c| weights[c as usize]).sum();
                let mut x = uniform(rng) * total;
                let mut pick = left.len() - 1;
                for (i, &c) in left.iter().enumerate() {
                    x -= weights[c as usize];
                    if x < 0.0 {
                        pick = i;
                        break;
                    }
                }
                prefs.push(left.swap_remove(pick));
            }
            Preferences(prefs)
        })
        .collect()
}
