//! `psephos record export`: writes an election record (`docs/record.md`) from a board's
//! database (with the server stopped) or from a running server (`GET /api/v1/record`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use psephos_board::note::VerifierKey;
use psephos_board::{Board, BoardConfig};

use crate::keys::SecretKey;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Export everything up to the latest sealed block as one record file.
    Export {
        /// The board's database (`sqlite://path` or `postgres://…`), read with the server
        /// stopped; needs --key.
        #[arg(long, conflicts_with = "server", requires = "key")]
        database: Option<String>,
        /// The board's secret key file (names the log).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A witness's verifier key whose cosignatures the record carries (repeatable).
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Cosignatures the record asks of the last checkpoint (default: every witness).
        #[arg(long)]
        quorum: Option<u32>,
        /// A running server's base URL instead of a database.
        #[arg(long)]
        server: Option<String>,
        /// Where to write the record (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Export {
            database,
            key,
            witnesses,
            quorum,
            server,
            out,
        } => {
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(&out)
                .with_context(|| format!("creating {} (it must not exist)", out.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            match (database, key, server) {
                (Some(db), Some(key), None) => {
                    let key = SecretKey::read(&key)?;
                    let mut config = BoardConfig::new(key.name.clone(), key.signing_key.clone());
                    config.witnesses = witnesses
                        .iter()
                        .map(|k| {
                            VerifierKey::parse_as(
                                k.trim(),
                                psephos_board::note::SignatureType::CosignatureV1,
                            )
                            .map_err(|e| anyhow::anyhow!("witness key {k:?}: {e}"))
                        })
                        .collect::<anyhow::Result<_>>()?;
                    // Export what is sealed; never seal anything ourselves.
                    config.seal_interval = Duration::from_secs(365 * 24 * 3600);
                    let board = Board::open(&db, config)
                        .await
                        .with_context(|| format!("opening {db}"))?;
                    let q = quorum.unwrap_or(witnesses.len() as u32);
                    let header = psephos_record::export::export_board(&board, q, &mut w).await?;
                    let unsealed = board.size().saturating_sub(header.entries);
                    // Dropped, not closed: closing would seal a block.
                    drop(board);
                    println!(
                        "wrote {}: {} entries, {} blocks",
                        out.display(),
                        header.entries,
                        header.blocks
                    );
                    if unsealed > 0 {
                        eprintln!(
                            "note: {unsealed} entries after the last sealed block with the witness quorum are not in the record"
                        );
                    }
                }
                (None, _, Some(url)) => {
                    let url = format!("{}/api/v1/record", url.trim_end_matches('/'));
                    let mut response = reqwest::get(&url)
                        .await
                        .with_context(|| format!("GET {url}"))?
                        .error_for_status()
                        .with_context(|| format!("GET {url}"))?;
                    let mut n = 0u64;
                    while let Some(chunk) = response.chunk().await? {
                        w.write_all(&chunk)?;
                        n += chunk.len() as u64;
                    }
                    println!("wrote {}: {n} bytes from {url}", out.display());
                }
                _ => bail!("give either --database with --key, or --server"),
            }
            w.flush()?;
        }
    }
    Ok(())
}
