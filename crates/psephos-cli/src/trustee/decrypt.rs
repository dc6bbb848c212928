//! `psephos trustee decrypt --server URL --key FILE --board-key VKEY [--witness VKEY …]
//! [--quorum N]`: downloads the election record, runs the independent verifier over it with the
//! board and witness keys pinned here, refuses unless every check up to the encrypted tally
//! passes, and posts this trustee's decryption share of the record's tally (§9.5.7) — and, when
//! contests are mixed, its decryption share of the final mixed lists (§13.9).

use super::KeyArgs;
use crate::trust::TrustArgs;
use crate::trustee::client::Client;
use crate::trustee::keyfile::TrusteeKeys;
use crate::trustee::passphrase;
use crate::trustee::tally::Trust;
use anyhow::bail;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election service (`http://host:port`).
    #[arg(long)]
    pub server: String,
    /// The election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION")]
    pub election: String,
    #[command(flatten)]
    pub key: KeyArgs,
    /// The board key (required unless `--trust-server-key`) and the witnesses whose quorum the
    /// record's last checkpoint must carry (none without `--witness`).
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Believe the board key the server's record names (a dishonest server could then show this
    /// trustee a private board). Only for tests and demonstrations.
    #[arg(long, conflicts_with = "board_key")]
    pub trust_server_key: bool,
    /// How long to wait for the tally to be sealed and cosigned.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration)]
    pub wait: Duration,
}

/// The trust settings of `args`, checked.
pub fn trust(args: &Args) -> anyhow::Result<Trust> {
    let witnesses = args.trust.witnesses()?;
    let quorum = args.trust.quorum_of(&witnesses)?;
    let board_key = match (args.trust.board_key()?, args.trust_server_key) {
        (Some(k), _) => Some(k),
        (None, true) => None,
        (None, false) => bail!("--board-key is required (or, unsafely, --trust-server-key)"),
    };
    Ok(Trust {
        board_key,
        witnesses,
        quorum,
        wait: args.wait,
        poll: Duration::from_millis(500),
    })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let trust = trust(&args)?;
    if trust.board_key.is_none() {
        eprintln!(
            "WARNING: --trust-server-key: the board key is taken from the server's own record. \
             A dishonest server can show this trustee a private board (for instance one voter's \
             ballot as \"the tally\") and have it decrypt a single vote. Pin the board key with \
             --board-key."
        );
    }
    if trust.witnesses.is_empty() {
        eprintln!(
            "note: no --witness given: the board's checkpoints are not checked for independent \
             cosignatures (a board that forks its log is not detected here)"
        );
    }
    let pass = passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let client = Client::new(&crate::http::election_url(&args.server, &args.election)?)?;
    // Any k trustees decrypt: a trustee who comes after the k-th has nothing to do, and that is
    // no failure.
    let t = client.tally().await?;
    if t.result.is_some() {
        eprintln!(
            "the result is already decrypted (board index {}) from the shares of trustees {:?}: \
             this trustee's share is not needed",
            t.result_index.map_or("?".into(), |i| i.to_string()),
            t.shares
        );
        println!(
            "{}",
            serde_json::json!({"trustee": null, "index": null, "result_index": t.result_index})
        );
        return Ok(());
    }
    eprintln!("verifying the election record up to the encrypted tally …");
    let d = crate::trustee::tally::decrypt(&client, &args.key.key, &keys, &pass, &trust).await?;
    eprintln!(
        "the election record verifies ({} entries, {} ballots, every proof checked) and the \
         posted tally is its tally; decryption share of trustee {} posted at index {}",
        d.verified_entries, d.verified_ballots, d.trustee, d.index
    );
    if let Some(r) = d.result_index {
        eprintln!("the result is decrypted (board index {r})");
    }
    println!(
        "{}",
        serde_json::json!({"trustee": d.trustee, "index": d.index, "mix_index": d.mix_index, "result_index": d.result_index})
    );
    Ok(())
}
