//! `psephos bench explorer --voters N`: how long the board explorer's pages take on a large
//! board, over real HTTP on 127.0.0.1 (issue [6/10]).
//!
//! The board is `psephos bench restart`'s (a real election: definition, key ceremony, `N`
//! credentials, opening, one ballot per voter and a revote for every seventh; built in the same
//! directory, or reused from it), served by the election service in this process. Each page
//! (`GET E/explorer/…`) is fetched `--samples` times; the median is reported. A page reads one
//! index range, so its time should not depend on the board's size: compare `--voters 10000`
//! with `--voters 1000000`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use psephos_board::{Board, BoardConfig};
use psephos_server::{serve, AppState, ServiceConfig};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Voters (credentials); each casts a ballot, every seventh a second one.
    #[arg(long, default_value_t = 100_000)]
    pub voters: usize,
    /// Directory of the board database (default: a temporary directory, removed at the end).
    /// A board built there by `psephos bench restart` or this command, with the same
    /// `--voters` and `--seed`, is reused.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fetches of each page; the median is reported.
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
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
    // The same key and file as `bench restart`, so either command reuses the other's board.
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
    let board = Board::open(&url, config())
        .await
        .context("opening the board")?;
    if board.size() == 0 {
        let clock = Instant::now();
        super::restart::build(&board, args.voters, &mut rng).await?;
        println!("built the board in {:.1} s", clock.elapsed().as_secs_f64());
    }
    let size = board.size();
    println!(
        "psephos bench explorer: a board of {size} entries ({} voters)",
        args.voters
    );

    let state = AppState::with_board("bench", board, ServiceConfig::default())
        .await
        .context("opening the election")?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!(
        "http://{}/api/v1/elections/bench/explorer",
        listener.local_addr()?
    );
    let server = serve(listener, state)?;
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::new();
    let middle = size / 2;
    let pages = [
        ("blocks, newest first (20)", "blocks".to_owned()),
        ("entries, newest first (50)", "entries".to_owned()),
        (
            "entries from the middle (200)",
            format!("entries?from={middle}&limit=200"),
        ),
        (
            "ballots, newest first (50)",
            "entries?kind=ballot".to_owned(),
        ),
        (
            "ballots from the middle (200)",
            format!("entries?kind=ballot&from={middle}&limit=200"),
        ),
        (
            "ceremony messages (50)",
            "entries?kind=ceremony_message&from=0".to_owned(),
        ),
        (
            "challenges (none on this board)",
            "entries?kind=challenge".to_owned(),
        ),
    ];
    for (name, query) in pages {
        let url = format!("{base}/{query}");
        let mut times = Vec::with_capacity(args.samples);
        let mut bytes = 0;
        for _ in 0..args.samples.max(1) {
            let clock = Instant::now();
            let r = client.get(&url).send().await?;
            anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
            bytes = r.bytes().await?.len();
            times.push(clock.elapsed());
        }
        println!(
            "{name:<34} median {:>7.2} ms  ({} KiB)",
            ms(super::median(times)),
            bytes / 1024
        );
    }
    handle.stop(true).await;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
