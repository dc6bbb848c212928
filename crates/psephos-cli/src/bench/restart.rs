//! `psephos bench restart --voters N`: how long an election on a large board takes to come back,
//! and how much memory its state takes per voter and per ballot (issue 12, items 4 and 5).
//!
//! Build (once per directory): a SQLite board with the election's definition, a real key
//! ceremony, `N` listed credentials, the key announcement and the opening, then one ballot per
//! voter and a second one for every seventh (a revote), sealed. To make `10⁶` ballots in
//! minutes rather than hours, every ballot's contests (ciphertexts and proofs) are copied from
//! one real ballot, and each is given its voter's credential and a real signature by it: the
//! board's rules and the server's restart never re-verify a proof (they were verified before the
//! append), so this changes nothing that is measured; such a board would of course fail
//! `psephos verify`. A directory that already holds the board is reused.
//!
//! Restart (`--restarts` times, the median is reported): [`ElectionService::open`], as
//! `psephos serve` starts — the board's quick check at open (the latest signed checkpoint, the
//! tree's right edge, the entries after it), then the rules restored from their snapshot — and
//! the board's full tamper check that then runs in the background (every entry re-hashed into
//! the tree, every node, block and checkpoint signature compared), timed to its end. A first
//! open replays the whole board (if no snapshot is stored yet) and saves the snapshot, timed.
//! With `--compare`, also the start before snapshots ([`ElectionService::open_replaying`]: the
//! full tamper check and the replay of every entry in one read, before the service answers).
//!
//! Memory: the state's growth in resident memory (`VmRSS`) while the credentials are applied
//! (per voter) and while the ballots are (per ballot), replayed with
//! [`Rules::replay_entry`] as the service does.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use psephos_board::{Board, BoardConfig, Entry, EntryKind};
use psephos_core::encoding::Canonical;
use psephos_record::sim::Simulation;
use psephos_record::Rules;
use psephos_server::election::ElectionService;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Voters (credentials); each casts a ballot, every seventh a second one.
    #[arg(long, default_value_t = 100_000)]
    pub voters: usize,
    /// Directory of the board database (default: a temporary directory, removed at the end).
    /// A board built there by an earlier run with the same `--voters` and `--seed` is reused.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Restarts to time; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub restarts: usize,
    /// Also time the start before snapshots (full tamper check and replay before answering).
    #[arg(long)]
    pub compare: bool,
}

/// Entries per append (under the board's default limits of 4,096 entries and 16 MiB).
const APPEND: usize = 4096;

fn rss_kib() -> Option<u64> {
    super::status_kib("VmRSS:")
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
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
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let mut key = [0u8; 32];
    rng.fill_bytes(&mut key);
    let config = || {
        BoardConfig::new(
            "bench.psephos.invalid/restart",
            ed25519_dalek::SigningKey::from_bytes(&key),
        )
    };
    let path = dir.join(format!("restart-{}-{}.db", args.voters, args.seed));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    println!(
        "psephos bench restart: {} voters, {} threads",
        args.voters,
        rayon::current_num_threads()
    );

    let board = Board::open(&url, config())
        .await
        .context("opening the board")?;
    let built = board.size() == 0;
    if built {
        let clock = Instant::now();
        build(&board, args.voters, &mut rng).await?;
        println!("built the board in {:.1} s", clock.elapsed().as_secs_f64());
    } else {
        println!("reusing the board in {}", path.display());
    }
    let size = board.size();
    board.close().await?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "board: {size} entries, {:.0} MiB on disk",
        bytes as f64 / f64::from(1u32 << 20)
    );

    // Memory: the state's growth while credentials, then ballots, are applied.
    // (Measured first: memory freed later is kept by the allocator and would hide the growth.)
    if built {
        println!(
            "(memory figures are clean only in a process that did not build the board: run again)"
        );
    }
    let mut c = config();
    c.verify_on_open = false;
    let board = Board::open(&url, c).await?;
    // One read of the whole board first, so that the allocator's arenas already hold the
    // buffers that reading pages needs: what grows afterwards is the state.
    let mut start = 0;
    while start < size {
        let n = board.entries(start, 1000).await?.len() as u64;
        start += n;
        if n == 0 {
            break;
        }
    }
    let mut state = Rules::new();
    let base = rss_kib();
    let mut at_open = None;
    let mut start = 0;
    while start < size {
        let page = board.entries(start, 1000).await?;
        for e in &page {
            state
                .replay_entry(e.kind, &e.payload)
                .context("replaying")?;
            if at_open.is_none()
                && e.kind == EntryKind::Control
                && state.voting_window().0.is_some()
            {
                at_open = Some((rss_kib(), state.counts()));
            }
        }
        start += page.len() as u64;
    }
    let end = rss_kib();
    let counts = state.counts();
    if let (Some(base), Some((Some(open), _)), Some(end)) = (base, at_open, end) {
        let per_voter = (open.saturating_sub(base) * 1024) as f64 / counts.credentials as f64;
        let per_ballot = (end.saturating_sub(open) * 1024) as f64
            / (counts.ballots_cast + counts.challenges) as f64;
        println!(
            "resident memory (VmRSS) growth: {} credentials {:.0} bytes each; {} ballots ({} voters) \
             {:.0} bytes each; {:.1} MiB in all",
            counts.credentials,
            per_voter,
            counts.ballots_cast,
            counts.voters,
            per_ballot,
            end.saturating_sub(base) as f64 / 1024.0
        );
    }
    let [(cred_alloc, cred_used), (ballot_alloc, ballot_used)] = state.table_bytes();
    let (creds, ballots) = (
        counts.credentials.max(1) as f64,
        (counts.ballots_cast + counts.challenges).max(1) as f64,
    );
    println!(
        "tables: {:.1} bytes per credential in use ({:.1} allocated), {:.1} bytes per ballot in \
         use ({:.1} allocated)",
        cred_used as f64 / creds,
        cred_alloc as f64 / creds,
        ballot_used as f64 / ballots,
        ballot_alloc as f64 / ballots
    );
    drop(state);
    board.close().await?;
    // A first open: restores the stored snapshot, or (none yet) replays the whole board; then
    // saves the snapshot.
    let clock = Instant::now();
    let service = ElectionService::open(&url, config())
        .await
        .context("opening the board and rebuilding the rules")?;
    let first = clock.elapsed();
    let restored = service.ballots_restored();
    service.board().wait_tamper_check().await;
    let snapshot_bytes =
        psephos_record::snapshot::RulesSnapshot::encode(&*service.read().await).len();
    let clock = Instant::now();
    let saved = service.save_snapshot().await?;
    let save = clock.elapsed();
    println!(
        "first open ({}): {:.2} s; snapshot of {:.1} MiB saved in {:.2} s{}",
        if restored > 0 {
            "restored from the stored snapshot"
        } else {
            "no snapshot yet: every entry replayed"
        },
        first.as_secs_f64(),
        snapshot_bytes as f64 / f64::from(1u32 << 20),
        save.as_secs_f64(),
        if saved.is_none() {
            " (unchanged, not rewritten)"
        } else {
            ""
        }
    );
    service.board().close().await?;
    drop(service);

    let mut readies = Vec::new();
    let mut checks = Vec::new();
    let mut olds = Vec::new();
    for _ in 0..args.restarts.max(1) {
        // What `psephos serve` runs: open, quick check, rules from the snapshot.
        let clock = Instant::now();
        let service = ElectionService::open(&url, config())
            .await
            .context("opening the board and restoring the rules")?;
        let ready = clock.elapsed();
        anyhow::ensure!(service.read().await.size() == size, "restored a wrong size");
        anyhow::ensure!(
            service.ballots_restored() > 0 || size == 0,
            "the snapshot was not used"
        );
        let outcome = service.board().wait_tamper_check().await;
        let checked = clock.elapsed();
        anyhow::ensure!(
            matches!(outcome, psephos_board::TamperCheck::Passed { .. }),
            "the background tamper check did not pass: {outcome:?}"
        );
        readies.push(ready);
        checks.push(checked);
        service.board().close().await?;
        drop(service);
        let mut line = format!(
            "  restart: ready (answering) after {:.2} s; background tamper check done after {:.2} s",
            ready.as_secs_f64(),
            checked.as_secs_f64()
        );
        if args.compare {
            let clock = Instant::now();
            let service = ElectionService::open_replaying(&url, config())
                .await
                .context("opening and replaying the board")?;
            let old = clock.elapsed();
            anyhow::ensure!(service.read().await.size() == size, "replayed a wrong size");
            service.board().close().await?;
            drop(service);
            olds.push(old);
            line.push_str(&format!(
                "; before snapshots (full check and replay, then ready) {:.2} s",
                old.as_secs_f64()
            ));
        }
        println!("{line}");
    }
    println!(
        "| board entries | ready (open, quick check, rules from the snapshot) | background tamper check done | before snapshots |\n|---:|---:|---:|---:|\n| {size} | **{:.2} s** | {:.2} s | {} |",
        super::median(readies).as_secs_f64(),
        super::median(checks).as_secs_f64(),
        if olds.is_empty() {
            "–".to_owned()
        } else {
            format!("{:.2} s", super::median(olds).as_secs_f64())
        }
    );
    Ok(())
}

/// The election's setup through the rules, then the copied, re-signed ballots.
pub(crate) async fn build(
    board: &Board,
    voters: usize,
    rng: &mut ChaCha20Rng,
) -> anyhow::Result<()> {
    let sim = Simulation::new(psephos_core::sim::shapes::approval(2, 5), voters, rng)?;
    let mut state = Rules::new();
    let mut setup = vec![sim.definition()];
    setup.extend(sim.ceremony_messages());
    setup.extend(sim.credential_lists());
    setup.push(sim.key_announcement()?);
    setup.extend(sim.opening());
    let mut entries = Vec::with_capacity(setup.len());
    for p in &setup {
        state.apply(p).context("the rules reject a setup entry")?;
        entries.push(Entry::new(p.kind(), p.to_bytes())?);
    }
    append(board, entries).await?;
    let template = sim.ballot(0, rng)?;
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let mut next = 0;
    while next < voters {
        let end = (next + 8192).min(voters);
        let entries: Vec<Entry> = (next..end)
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut r = ChaCha20Rng::from_seed(seed);
                r.set_stream(i as u64);
                let credential = sim.credential(i);
                let copies = if i % 7 == 0 { 2 } else { 1 };
                (0..copies)
                    .map(|_| {
                        let mut b = template.clone();
                        b.credential = credential.public();
                        sim.style(i).clone_into(&mut b.style);
                        b.sign(&credential, &mut r);
                        Entry::new(EntryKind::Ballot, b.to_canonical_bytes())
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Result<_, _>>()?;
        append(board, entries).await?;
        next = end;
    }
    board.seal_now().await?;
    Ok(())
}

async fn append(board: &Board, entries: Vec<Entry>) -> anyhow::Result<()> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    for e in entries {
        if batch.len() == APPEND || bytes + e.payload.len() > 15 << 20 {
            board.append_all(std::mem::take(&mut batch)).await?;
            bytes = 0;
        }
        bytes += e.payload.len();
        batch.push(e);
    }
    if !batch.is_empty() {
        board.append_all(batch).await?;
    }
    Ok(())
}
