//! `psephos trustee decrypt --server URL --key FILE`: recomputes the encrypted tally from the
//! board, refuses if the posted one differs, and posts this trustee's decryption share.

use super::KeyArgs;
use crate::trustee::client::Client;
use crate::trustee::keyfile::TrusteeKeys;
use crate::trustee::passphrase;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election server (`http://host:port`).
    #[arg(long)]
    pub server: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let pass = passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let client = Client::new(&args.server)?;
    let d = crate::trustee::tally::decrypt(&client, &args.key.key, &keys, &pass).await?;
    eprintln!(
        "the posted tally matches the board; decryption share of trustee {} posted at index {}",
        d.trustee, d.index
    );
    if let Some(r) = d.result_index {
        eprintln!("the result is decrypted (board index {r})");
    }
    println!(
        "{}",
        serde_json::json!({"trustee": d.trustee, "index": d.index, "result_index": d.result_index})
    );
    Ok(())
}
