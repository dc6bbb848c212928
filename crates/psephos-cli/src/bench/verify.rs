//! `psephos bench verify --record FILE`: the whole-election verifier against the cost of the
//! record's proofs, on the same record in the same run.
//!
//! Two passes over one record file: the full verifier (`psephos verify`, every check, timed
//! with its peak resident memory), then a proof-only pass (the baseline): every ballot and
//! challenged ballot read from the file, decoded from its canonical bytes and batch-verified
//! (`verify_ballots`, in chunks of the verifier's size on every core) and nothing else — no
//! Merkle tree, no block, no rule, no tally, no challenge opening. The ratio of the two is what
//! the verifier spends beyond checking proofs. The entries before the first ballot (the
//! definition, the ceremony, the credential lists) are replayed untimed, only to learn the
//! election the ballots are verified against.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use psephos_board::EntryKind;
use psephos_core::ballot::{verify_ballots, EncryptedBallot};
use psephos_record::format::{RecordItem, RecordReader};
use psephos_record::{Payload, Rules};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election record to verify (as written by `psephos record export`,
    /// `psephos demo --record` or `psephos bench election --record`).
    #[arg(long)]
    pub record: PathBuf,
}

/// Entries per batch of the proof-only pass: the verifier's own chunk.
const CHUNK: usize = 4096;

/// What the proof-only pass verified and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Baseline {
    /// Ballots (cast and challenged) decoded and verified.
    pub ballots: u64,
    /// Reading, decoding and batch-verifying them.
    pub wall: Duration,
}

/// The proof-only pass over the record at `path` (see the module docs). Fails if a ballot
/// does not verify: the baseline is for valid records.
pub fn proofs_only(path: &Path) -> anyhow::Result<Baseline> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 20, file))?;
    let mut rules = Rules::new();
    let mut chunk: Vec<(EntryKind, Vec<u8>)> = Vec::with_capacity(CHUNK);
    let mut started: Option<Instant> = None;
    let mut base = Baseline {
        ballots: 0,
        wall: Duration::ZERO,
    };
    let flush = |rules: &Rules,
                 chunk: &mut Vec<(EntryKind, Vec<u8>)>,
                 started: &mut Option<Instant>,
                 base: &mut Baseline|
     -> anyhow::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let election = rules
            .election()
            .context("a ballot before the election's key")?;
        let decoded: Vec<Option<EncryptedBallot>> = {
            use rayon::prelude::*;
            chunk
                .par_iter()
                .map(|(kind, bytes)| match Payload::decode(*kind, bytes) {
                    Ok(Payload::Ballot(b)) => Some(b),
                    Ok(Payload::Challenge(c)) => Some(c.ballot),
                    _ => None,
                })
                .collect()
        };
        let n = decoded.len();
        let ballots: Vec<EncryptedBallot> = decoded.into_iter().flatten().collect();
        if ballots.len() != n {
            bail!("an undecodable ballot: the baseline is for valid records");
        }
        if verify_ballots(election, ballots).iter().any(Result::is_err) {
            bail!("a ballot does not verify: the baseline is for valid records");
        }
        base.ballots += n as u64;
        if let Some(t) = started.take() {
            base.wall += t.elapsed();
        }
        chunk.clear();
        Ok(())
    };
    while let Some(item) = reader.next_item()? {
        let RecordItem::Entry(e) = item else {
            continue;
        };
        match e.entry.kind {
            EntryKind::Ballot | EntryKind::Challenge => {
                started.get_or_insert_with(Instant::now);
                chunk.push((e.entry.kind, e.entry.payload));
                if chunk.len() >= CHUNK {
                    flush(&rules, &mut chunk, &mut started, &mut base)?;
                }
            }
            kind => {
                flush(&rules, &mut chunk, &mut started, &mut base)?;
                if rules.phase() < psephos_record::Phase::Open {
                    rules
                        .replay_entry(kind, &e.entry.payload)
                        .with_context(|| format!("entry {}", e.index))?;
                }
            }
        }
    }
    flush(&rules, &mut chunk, &mut started, &mut base)?;
    Ok(base)
}

/// Prints the proof-only baseline and the verifier's ratio to it.
pub fn print_against(verify: Duration, base: &Baseline) {
    println!(
        "proof-only baseline (read, decode, batch-verify {} ballots): {:.1} s; \
         the verifier takes {:.2}x its proofs",
        base.ballots,
        base.wall.as_secs_f64(),
        verify.as_secs_f64() / base.wall.as_secs_f64().max(1e-9)
    );
}

pub fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "psephos bench verify: {} on {} threads",
        args.record.display(),
        rayon::current_num_threads()
    );
    super::reset_peak();
    let clock = Instant::now();
    let report = crate::verify::verify_file(
        &args.record,
        &psephos_record::VerifyOptions::default(),
        false,
    )?;
    let verify = clock.elapsed();
    let peak = super::peak_mib();
    println!(
        "verify (every check): {:.1} s, peak RSS {}; {} entries, {}",
        verify.as_secs_f64(),
        peak.map_or("?".to_string(), |m| format!("{m} MiB")),
        report.entries,
        if report.passed {
            "every check passes"
        } else {
            "SOME CHECKS FAIL"
        }
    );
    let base = proofs_only(&args.record)?;
    print_against(verify, &base);
    if !report.passed {
        crate::verify::print_report(&report);
        bail!("the record does not verify");
    }
    Ok(())
}
