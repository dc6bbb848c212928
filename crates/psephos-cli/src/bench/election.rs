//! `psephos bench election --voters N`: a whole election at scale, phase by phase — simulate
//! (encrypt every voter's ballots), ingest (batch-verify, apply the rules, append to a SQLite
//! board), tally (close, aggregate, decryption shares, result), export (the record file), verify
//! (the independent verifier over the record) — with the wall time and the peak resident memory
//! of each phase. The manifest is two approval contests of five options (ten 0/1 options per
//! ballot) unless `--config` names another.
//!
//! Peak memory per phase: Linux's `VmHWM` (`/proc/self/status`), reset between phases by
//! writing `5` to `/proc/self/clear_refs`. Simulate and ingest run interleaved in batches (a
//! million ballots are not kept in memory), so they share one peak.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{peak_mib, reset_peak};

use anyhow::{bail, Context};
use psephos_record::sim::Simulation;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::demo::{CastTimes, Driver, BATCH};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of simulated voters.
    #[arg(long, default_value_t = 1_000_000)]
    pub voters: usize,
    /// Election definition (default: two approval contests of 5 options).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory for the board database and the record (default: a temporary directory,
    /// removed at the end).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the record here (must not exist) instead of deleting it after the verify phase;
    /// `psephos bench verify --record FILE` times the verifier on it again.
    #[arg(long)]
    pub record: Option<PathBuf>,
}

struct Phase {
    name: &'static str,
    wall: Duration,
    peak_mib: Option<u64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let manifest = match &args.config {
        Some(p) => crate::load_manifest(p)?,
        None => psephos_core::sim::shapes::approval(2, 5),
    };
    let options: usize = manifest.contests.iter().map(|c| c.options.len()).sum();
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    println!(
        "psephos bench election: {} voters × {} options, {} threads",
        args.voters,
        options,
        rayon::current_num_threads()
    );
    let mut phases = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);

    reset_peak();
    let clock = Instant::now();
    let sim = Simulation::new(manifest, args.voters, &mut rng)?;
    let mut d = Driver::open(sim, &dir, &mut rng).await?;
    d.setup().await?;
    phases.push(Phase {
        name: "setup (ceremony, credentials)",
        wall: clock.elapsed(),
        peak_mib: peak_mib(),
    });

    reset_peak();
    let mut times = CastTimes::default();
    let mut start = 0;
    let mut last_report = Instant::now();
    let cast_clock = Instant::now();
    while start < args.voters {
        let end = (start + BATCH).min(args.voters);
        let t = d.cast(start..end).await?;
        times.simulate += t.simulate;
        times.ingest += t.ingest;
        start = end;
        if last_report.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "  {start}/{} voters cast ({:.0?} elapsed)",
                args.voters,
                cast_clock.elapsed()
            );
            last_report = Instant::now();
        }
    }
    d.seal_and_witness().await?;
    let peak = peak_mib();
    phases.push(Phase {
        name: "simulate (encrypt + prove)",
        wall: times.simulate,
        peak_mib: peak,
    });
    phases.push(Phase {
        name: "ingest (verify, rules, append)",
        wall: times.ingest,
        peak_mib: peak,
    });

    reset_peak();
    let clock = Instant::now();
    d.close_and_tally(&mut rng).await?;
    d.seal_and_witness().await?;
    phases.push(Phase {
        name: "tally (close, shares, result)",
        wall: clock.elapsed(),
        peak_mib: peak_mib(),
    });
    let counts = d.state.counts();

    reset_peak();
    let clock = Instant::now();
    let record = match &args.record {
        Some(r) if r.exists() => bail!("{} exists", r.display()),
        Some(r) => r.clone(),
        None => dir.join(format!("election-{}.record", std::process::id())),
    };
    let header = d.export(&record).await?;
    d.board.close().await?;
    drop(d);
    let size = std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0);
    phases.push(Phase {
        name: "export (record file)",
        wall: clock.elapsed(),
        peak_mib: peak_mib(),
    });

    reset_peak();
    let clock = Instant::now();
    let report =
        crate::verify::verify_file(&record, &psephos_record::VerifyOptions::default(), false)
            .context("verifying")?;
    let verify = clock.elapsed();
    phases.push(Phase {
        name: "verify (every check)",
        wall: verify,
        peak_mib: peak_mib(),
    });
    // The same record's proofs alone, in the same run: what the verifier is judged against.
    let baseline = super::verify::proofs_only(&record);
    if args.record.is_none() {
        let _ = std::fs::remove_file(&record);
    }

    println!(
        "{} ballots cast by {} voters ({} revotes), {} challenges; record {} entries, {} blocks, {:.1} MiB",
        counts.ballots_cast,
        counts.voters,
        counts.ballots_cast - counts.voters,
        counts.challenges,
        header.entries,
        header.blocks,
        size as f64 / (1u64 << 20) as f64
    );
    println!("| phase | wall time | peak RSS |");
    println!("|---|---|---|");
    for p in &phases {
        println!(
            "| {} | {:.1} s | {} |",
            p.name,
            p.wall.as_secs_f64(),
            p.peak_mib.map_or("?".to_string(), |m| format!("{m} MiB"))
        );
    }
    if !report.passed {
        crate::verify::print_report(&report);
        bail!("the benchmark election does not verify");
    }
    println!("every check passes");
    super::verify::print_against(verify, &baseline.context("the proof-only pass")?);
    Ok(())
}
