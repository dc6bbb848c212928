//! `psephos board`: make the service's board key, and check an election's stored board for
//! tampering. The key file is the service's: its name is the service's origin, and each
//! election's board key and origin are derived from it and the election's id
//! (`docs/protocol.md` §10.16).

use crate::keys::SecretKey;
use anyhow::Context;
use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
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
    /// Generate the service's board key (Ed25519); prints its verifier key. Each election's
    /// key is derived from it (`psephos serve` publishes each election's verifier key).
    Keygen {
        /// The service's origin, e.g. `board.example.org`; an election's is `<origin>/<id>`.
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
        /// The service's secret board key file.
        #[arg(long)]
        key: PathBuf,
        /// The election whose board to check.
        #[arg(long, env = "PSEPHOS_ELECTION")]
        election: String,
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
        Action::Check {
            database,
            key,
            election,
        } => {
            let key = SecretKey::read_as(&key, SignatureType::Ed25519)?;
            let slug =
                ElectionSlug::new(&election).with_context(|| format!("--election {election:?}"))?;
            let origin = election_origin(&key.name, &slug);
            let mut config = BoardConfig::new(
                origin.clone(),
                election_signing_key(&key.signing_key, &slug),
            );
            config.verify_on_open = false;
            let board = Board::open(&database, config)
                .await
                .with_context(|| format!("opening {database}"))?;
            // Read-only: the board is dropped, never closed (closing would seal a block).
            let report = board.check().await?;
            drop(board);
            println!("{report:#?}");
            report.into_result()?;
            println!("board {origin}: every entry, node, block and checkpoint verifies");
        }
    }
    Ok(())
}
