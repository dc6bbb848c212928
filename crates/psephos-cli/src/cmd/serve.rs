//! `psephos serve`: the HTTP service over one election's board, on SQLite (default) or
//! PostgreSQL. Stops gracefully on Ctrl-C / SIGTERM: in-flight requests finish, queued appends
//! are committed and a last block is sealed before the process exits.

use crate::keys::SecretKey;
use anyhow::Context;
use psephos_board::note::VerifierKey;
use psephos_board::{Board, BoardConfig};
use psephos_server::{serve, AppState};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `sqlite://path?mode=rwc` or `postgres://…`
    #[arg(
        long,
        env = "PSEPHOS_DATABASE",
        default_value = "sqlite://psephos.db?mode=rwc"
    )]
    pub database: String,
    /// The board's secret key file (`psephos board keygen`).
    #[arg(long, env = "PSEPHOS_BOARD_KEY")]
    pub key: PathBuf,
    /// Witness verifier keys whose cosignatures the board accepts (repeatable).
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// Address to listen on.
    #[arg(long, env = "PSEPHOS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// How often a block is sealed when there is something new.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub seal_interval: Duration,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let key = SecretKey::read(&args.key)?;
    if key.signature_type != psephos_board::note::SignatureType::Ed25519 {
        anyhow::bail!(
            "{} is not a board key (it is a witness key)",
            args.key.display()
        );
    }
    let mut config = BoardConfig::new(key.name.clone(), key.signing_key.clone());
    config.seal_interval = args.seal_interval;
    for w in &args.witnesses {
        config.witnesses.push(
            w.parse::<VerifierKey>()
                .with_context(|| format!("witness key {w:?}"))?,
        );
    }
    let board = Board::open(&args.database, config)
        .await
        .with_context(|| format!("opening the board at {}", args.database))?;
    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, origin = %key.name, size = board.size(), "serving the board");
    println!("board {} listening on http://{addr}", key.name);
    let server = serve(
        listener,
        AppState::load(board.clone())
            .await
            .context("replaying the board into its election")?,
    )?;
    // actix handles SIGINT/SIGTERM itself: the server future returns after a graceful stop.
    server.await?;
    board.close().await?;
    tracing::info!("board closed cleanly");
    Ok(())
}
