//! `psephos record export`: writes an election record (`docs/record.md`) from a board's
//! database (with the server stopped) or from a running server
//! (`GET /api/v1/elections/{election}/record`).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
use psephos_board::{Board, BoardConfig};
use psephos_record::verify::default_quorum;

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
        /// Cosignatures the record asks of the last checkpoint; the export stops at the last
        /// block that carries them [default: a majority of the --witness keys, as the server's
        /// own record asks (`docs/verification.md`)]
        #[arg(long)]
        quorum: Option<u32>,
        /// A running server's base URL instead of a database.
        #[arg(long)]
        server: Option<String>,
        /// The election's id in the service (its board key is derived from the service's
        /// `--key`, its origin is `<service origin>/<id>`).
        #[arg(long, env = "PSEPHOS_ELECTION")]
        election: String,
        /// Where to write the record (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// With --server: how long to wait for the entries already on the board when the
        /// export starts (the last decryption share, the result) to be sealed and cosigned, so
        /// that the record holds them. After that the record is written without them, and the
        /// command says so.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        wait: Duration,
    },
}

/// `GET {base}/record` (`base`: the election's API base) once it holds every entry the board had when called (its header
/// `x-psephos-record-entries`), or at `wait`, whatever it holds then. Returns the response (body
/// unread), the entries it holds and the board's size at the start.
pub(crate) async fn settled_record(
    base: &str,
    wait: Duration,
) -> anyhow::Result<(reqwest::Response, u64, u64)> {
    let client = reqwest::Client::new();
    let size_url = format!("{base}/board/size");
    let size: psephos_api::board::BoardSize = client
        .get(&size_url)
        .send()
        .await
        .with_context(|| format!("GET {size_url}"))?
        .error_for_status()
        .with_context(|| format!("GET {size_url}"))?
        .json()
        .await
        .with_context(|| format!("GET {size_url}: not JSON"))?;
    let size = size.size;
    let url = format!("{base}/record");
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let response = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()
            .with_context(|| format!("GET {url}"))?;
        let entries = response
            .headers()
            .get("x-psephos-record-entries")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .with_context(|| format!("GET {url}: no x-psephos-record-entries header"))?;
        if entries >= size || tokio::time::Instant::now() >= deadline {
            return Ok((response, entries, size));
        }
        // Not yet: drop this answer unread and ask again after the next seal.
        drop(response);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Export {
            database,
            key,
            witnesses,
            quorum,
            server,
            election,
            out,
            wait,
        } => {
            let file = crate::files::create_new(&out, crate::files::Access::Public)?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            match (database, key, server) {
                (Some(db), Some(key), None) => {
                    let key =
                        SecretKey::read_as(&key, psephos_board::note::SignatureType::Ed25519)?;
                    let slug = ElectionSlug::new(&election)
                        .with_context(|| format!("--election {election:?}"))?;
                    let mut config = BoardConfig::new(
                        election_origin(&key.name, &slug),
                        election_signing_key(&key.signing_key, &slug),
                    );
                    config.witnesses = crate::trust::witness_keys(&witnesses)?;
                    // Export what is sealed; never seal anything ourselves.
                    config.seal_interval = Duration::from_secs(365 * 24 * 3600);
                    let board = Board::open(&db, config)
                        .await
                        .with_context(|| format!("opening {db}"))?;
                    let q = quorum.unwrap_or(default_quorum(witnesses.len()));
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
                (None, _, Some(server)) => {
                    let base = crate::http::election_url(&server, &election)?;
                    let base = base.as_str();
                    let (response, entries, size) = settled_record(base, wait).await?;
                    let n = crate::http::save_body(response, &mut w, "the record").await?;
                    println!(
                        "wrote {}: {entries} entries, {n} bytes from {base}/record",
                        out.display()
                    );
                    if entries < size {
                        eprintln!(
                            "note: the board held {size} entries when the export began; the last {} \
                             were not sealed and cosigned by the witness quorum within {}, so the \
                             record stops at entry {entries}: export again later for them",
                            size - entries,
                            humantime::format_duration(wait)
                        );
                    }
                }
                _ => bail!("give either --database with --key, or --server"),
            }
            w.flush()?;
        }
    }
    Ok(())
}
