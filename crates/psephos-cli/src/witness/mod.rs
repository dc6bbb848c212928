//! `psephos witness`: make a witness key, or follow a board and cosign its checkpoints.

pub mod follow;

use crate::keys::SecretKey;
use anyhow::bail;
pub use follow::{Step, Witness};
use psephos_board::checkpoint::Cosigner;
use psephos_board::note::SignatureType;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Generate a witness's cosignature/v1 key; prints the public verifier key.
    Keygen {
        /// The witness's name, e.g. `witness.example.net`.
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Follow a board: check each new checkpoint's consistency, cosign and post it.
    Run {
        /// The service's base URL, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        board: String,
        /// The election whose board to follow (each election is its own board).
        #[arg(long, env = "PSEPHOS_ELECTION")]
        election: String,
        /// The board's verifier key (`psephos board keygen` printed it).
        #[arg(long)]
        board_key: String,
        /// The witness's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Directory for the witness's memory and any evidence.
        #[arg(long)]
        state: PathBuf,
        /// How often to poll.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        interval: Duration,
        /// Do one step and exit (non-zero if the board is inconsistent).
        #[arg(long)]
        once: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Keygen { name, out } => SecretKey::keygen(
            &name,
            SignatureType::CosignatureV1,
            &out,
            "give the line above to the board",
        ),
        Action::Run {
            board,
            election,
            board_key,
            key,
            state,
            interval,
            once,
        } => {
            let board = crate::http::election_url(&board, &election)?;
            let board_key = crate::trust::board_key(&board_key)?;
            let key = SecretKey::read_as(&key, SignatureType::CosignatureV1)?;
            let cosigner = Cosigner::new(&key.name, key.signing_key.clone())?;
            let origin = board_key.name().to_string();
            let mut w = Witness::new(&board, &origin, board_key, cosigner, &state)?;
            loop {
                match w.step().await {
                    Ok(Step::Cosigned { size }) => tracing::info!(size, "cosigned"),
                    Ok(Step::NothingNew) => {}
                    Ok(Step::Inconsistent { evidence }) => {
                        bail!(
                            "the board is inconsistent; evidence kept in {}",
                            evidence.display()
                        )
                    }
                    Err(e) if once => return Err(e),
                    Err(e) => tracing::warn!(error = %e, "witness step failed; retrying"),
                }
                if once {
                    return Ok(());
                }
                tokio::time::sleep(interval).await;
            }
        }
    }
}
