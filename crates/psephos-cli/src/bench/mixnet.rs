//! `psephos bench mixnet`: a mixed contest end to end at the record level — `N` ballots with one
//! plurality contest of `w` options counted by the mixnet (or, with `--ranked irv|stv`, a ranked
//! contest of `w` candidates and `w` ranks), the mix input, three trustees' shuffles, the tally
//! and its shares, two trustees' shares of the final lists, the mix result, the ranked count
//! (the mixed count entry) and the result, each applied through the election's rules as the
//! server applies it (shuffle and share proofs verified), then the whole record verified by a
//! `psephos verify` child process whose peak memory is read from `/proc`. Figures go to
//! `BENCHMARKS.md`.

use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::EncryptedBallot;
use psephos_core::election::Manifest;
use psephos_core::encoding::Canonical;
use psephos_core::mix::MixGenerators;
use psephos_core::mixnet::{mix_input, MixShare, Shuffle};
use psephos_core::tally::TallyAccumulator;
use psephos_record::sim::{seal_record, Simulation};
use psephos_record::{Control, CountedMix, Payload, Rules};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ballots (one per voter).
    #[arg(long, default_value_t = 10_000)]
    pub ballots: usize,
    /// Options of the mixed plurality contest, or candidates (and ranks) of the ranked contest:
    /// the row width (2 ..= 64).
    #[arg(long, default_value_t = 5)]
    pub width: usize,
    /// A ranked contest counted by this method instead of a plurality contest.
    #[arg(long, value_enum)]
    pub ranked: Option<RankedMethod>,
    /// Seats of an STV contest.
    #[arg(long, default_value_t = 1)]
    pub seats: u32,
}

/// The ranked methods the benchmark counts.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RankedMethod {
    Irv,
    Stv,
}

fn manifest(args: &Args) -> anyhow::Result<Manifest> {
    let width = args.width;
    let options: Vec<String> = (0..width)
        .map(|i| format!("{{ id = \"o{i}\", label = \"Option {i}\" }}"))
        .collect();
    let kind = match args.ranked {
        None => "kind = \"plurality\"\ncount = \"mix\"".to_string(),
        Some(RankedMethod::Irv) => "kind = \"ranked\"\nmethod = \"irv\"".to_string(),
        Some(RankedMethod::Stv) => format!(
            "kind = \"ranked\"\nmethod = \"stv\"\nseats = {}",
            args.seats
        ),
    };
    Ok(Manifest::from_toml(&format!(
        r#"
[election]
id = "bench-mixnet"
name = "Mixnet benchmark"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
{}
options = [{}]

[[ballot_styles]]
id = "all"
contests = ["mayor"]
"#,
        kind,
        options.join(", ")
    ))?)
}

fn apply(rules: &mut Rules, payloads: &[Payload]) -> anyhow::Result<()> {
    for p in payloads {
        rules
            .apply(p)
            .map_err(|e| anyhow::anyhow!("the rules refuse a {} entry: {e}", p.kind()))?;
    }
    Ok(())
}

fn step(name: &str, t: Duration) {
    println!("{name:<52} {t:>12.2?}");
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut rng = ChaCha20Rng::seed_from_u64(2027);
    let n = args.ballots;
    let sim = Simulation::new(manifest(&args)?, n, &mut rng)?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let contest = match args.ranked {
        None => "mixed plurality contest".to_string(),
        Some(RankedMethod::Irv) => "ranked contest (IRV)".to_string(),
        Some(RankedMethod::Stv) => format!("ranked contest (STV, {} seats)", args.seats),
    };
    println!(
        "{n} ballots, one {contest} of width {}, 3 trustees (k = 2), {cores} cores",
        args.width
    );
    let mut payloads = vec![sim.definition()];
    payloads.extend(sim.ceremony_messages());
    payloads.extend(sim.credential_lists());
    payloads.push(sim.key_announcement()?);
    payloads.extend(sim.opening());
    let t = Instant::now();
    let ballots: Vec<EncryptedBallot> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(i as u64);
            sim.ballot(i, &mut rng)
        })
        .collect::<Result<_, _>>()?;
    step("voters encrypt their ballots", t.elapsed());
    payloads.extend(ballots.iter().cloned().map(Payload::Ballot));
    payloads.push(Payload::Control(Control::Close));
    let mut rules = Rules::new();
    apply(&mut rules, &payloads)?;

    let hash = *sim.election.hash();
    let key = sim.election.key();
    let t = Instant::now();
    let input = mix_input(&sim.election, 3, ballots.iter().map(|b| (0usize, b)))?;
    let mut after = Payload::parts(EntryKind::MixInput, &input.to_canonical_bytes());
    apply(&mut rules, &after)?;
    step("mix input (from the counted ballots, posted)", t.elapsed());
    let t = Instant::now();
    let generators = MixGenerators::standard(n)?;
    step("generators h, h_1 .. h_n", t.elapsed());
    let mut lists = input.lists.clone();
    let (mut mixing, mut checking) = (Duration::ZERO, Duration::ZERO);
    for j in 1..=3u32 {
        let t = Instant::now();
        let s = Shuffle::make(
            &hash,
            key,
            &generators,
            j,
            &lists,
            &sim.ceremony.signing_keys[j as usize - 1],
            &mut rng,
        )?;
        let made = t.elapsed();
        mixing += made;
        step(&format!("trustee {j}: shuffle + prove + sign"), made);
        lists = s.outputs();
        let parts = Payload::parts(EntryKind::Shuffle, &s.to_canonical_bytes());
        let t = Instant::now();
        apply(&mut rules, &parts)?;
        let checked = t.elapsed();
        checking += checked;
        step(
            &format!("server: verify and apply trustee {j}'s shuffle"),
            checked,
        );
        after.extend(parts);
    }
    let mut acc = TallyAccumulator::new(&sim.election);
    for b in &ballots {
        acc.add_cast(b, 1)?;
    }
    let tally = acc.finish();
    after.push(Payload::Tally(tally.clone()));
    apply(&mut rules, &after[after.len() - 1..])?;
    let mut decrypting = Duration::ZERO;
    let mut shares = Vec::new();
    for j in [2u32, 3] {
        let share = sim.share(&tally, j, &mut rng)?;
        let mut parts = vec![Payload::Share(share.clone())];
        shares.push(share);
        let t = Instant::now();
        let ms = MixShare::compute(
            &hash,
            &lists,
            j,
            &sim.ceremony.outcomes[j as usize - 1].secret_share,
            &mut rng,
        );
        let made = t.elapsed();
        decrypting += made;
        step(&format!("trustee {j}: mixed decryption share"), made);
        parts.extend(Payload::parts(
            EntryKind::MixShare,
            &ms.to_canonical_bytes(),
        ));
        let t = Instant::now();
        apply(&mut rules, &parts)?;
        step(
            &format!("server: verify and apply trustee {j}'s shares"),
            t.elapsed(),
        );
        after.extend(parts);
    }
    let t = Instant::now();
    let mix_result = rules.combined_mix_result()?;
    step(
        "combine the shares, decode every row (done at the k-th share)",
        t.elapsed(),
    );
    let mut last = Payload::parts(EntryKind::MixResult, &mix_result.to_canonical_bytes());
    if args.ranked.is_some() {
        apply(&mut rules, &last)?;
        after.append(&mut last);
        let t = Instant::now();
        let counted = CountedMix::count(&sim.election, mix_result.clone())?;
        step(
            "count the ranked contest (exact, round by round)",
            t.elapsed(),
        );
        let t = Instant::now();
        rules.apply_counted_mix(&counted)?;
        step("server: apply the mixed count (no recount)", t.elapsed());
        if let Some((counts, _)) = rules.ranked_counts() {
            for c in counts {
                println!(
                    "  {}: {} rounds, elected {:?}",
                    c.contest,
                    c.transcript.rounds.len(),
                    c.transcript.elected
                );
            }
        }
        last.push(Payload::MixedCount(counted.mixed_count().clone()));
        after.append(&mut last);
    }
    let decrypted = sim.result(&tally, &shares)?;
    last.push(Payload::Result(psephos_core::tally::complete_result(
        &sim.election,
        &decrypted,
        Some(&mix_result),
    )?));
    apply(&mut rules, &last)?;
    after.extend(last);
    println!(
        "{:<52} {:>12.2?}\n{:<52} {:>12.2?}\n{:<52} {:>12.2?}",
        "three mixers, shuffle + prove + sign (total)",
        mixing,
        "server verification of the three shuffles (total)",
        checking,
        "two trustees' mixed shares (total)",
        decrypting
    );

    // The record, then the verifier as a user runs it, in its own process.
    payloads.extend(after);
    let entries: Vec<Entry> = payloads
        .iter()
        .map(|p| Entry::new(p.kind(), p.to_bytes()))
        .collect::<Result<_, _>>()?;
    let board = psephos_board::note::NoteSigner::new(
        "bench.psephos.invalid/mixnet",
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
    )?;
    let size = entries.len() as u64;
    let record = seal_record(&entries, &[size], &board, &[], 0)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("mixnet.record");
    std::fs::write(&path, &record)?;
    println!(
        "record: {} entries, {:.1} MB",
        size,
        record.len() as f64 / 1e6
    );
    drop(record);
    let t = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["verify", "--quiet"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(v) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(v);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = t.elapsed();
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        use std::io::Read;
        o.read_to_string(&mut out)?;
    }
    if !status.success() {
        anyhow::bail!("the record does not verify:\n{out}");
    }
    println!(
        "{:<52} {:>12.2?}\n{:<52} {:>9.0} MiB",
        "psephos verify (every check, child process)",
        took,
        "psephos verify peak memory (VmHWM)",
        peak_kib as f64 / 1024.0
    );
    Ok(())
}
