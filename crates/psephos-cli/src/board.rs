//! `psephos board`: make a board key, and check a board's storage for tampering.

use crate::keys::SecretKey;
use anyhow::Context;
use psephos_board::note::SignatureType;
use psephos_board::{Board, BoardConfig};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Generate the board's Ed25519 key; prints the public verifier key.
    Keygen {
        /// The log's origin (checkpoint first line), e.g. `board.example.org/municipal-2026`.
        #[arg(long)]
        origin: String,
        /// Where to write the secret key (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Recompute every hash, block link and checkpoint signature of a stored board; exits
    /// non-zero naming the first bad entry or block.
    Check {
        /// `sqlite://path` or `postgres://…`
        #[arg(long)]
        database: String,
        /// The board's secret key file (names the log).
        #[arg(long)]
        key: PathBuf,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Keygen { origin, out } => {
            SecretKey::keygen(
                &origin,
                SignatureType::Ed25519,
                &out,
                "publish the line above",
            )?;
        }
        Action::Check { database, key } => {
            let key = SecretKey::read_as(&key, SignatureType::Ed25519)?;
            let mut config = BoardConfig::new(key.name.clone(), key.signing_key.clone());
            config.verify_on_open = false;
            let board = Board::open(&database, config)
                .await
                .with_context(|| format!("opening {database}"))?;
            // Read-only: the board is dropped, never closed (closing would seal a block).
            let report = board.check().await?;
            drop(board);
            println!("{report:#?}");
            report.into_result()?;
            println!(
                "board {}: every entry, node, block and checkpoint verifies",
                key.name
            );
        }
    }
    Ok(())
}
