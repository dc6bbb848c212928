//! `psephos trustee ceremony --server URL --key FILE`: joins the key ceremony and runs every
//! round until the server announces the joint key; then seals this trustee's secret share next
//! to the key file. Safe to interrupt and run again: it resumes from the board.

use super::command::KeyArgs;
use crate::trustee::ceremony::{run as run_ceremony, Options};
use crate::trustee::client::Client;
use crate::trustee::keyfile::TrusteeKeys;
use crate::trustee::passphrase;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election server (`http://host:port`).
    #[arg(long)]
    pub server: String,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Pause between checks of the board.
    #[arg(long, default_value = "250ms", value_parser = humantime::parse_duration)]
    pub poll: Duration,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let pass = passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let client = Client::new(&args.server)?;
    let opts = Options {
        poll: args.poll,
        verbose: true,
    };
    let done = run_ceremony(&client, &args.key.key, &keys, &pass, &opts).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "trustee": done.index,
            "key": done.key,
            "share_file": done.share_file,
        }))?
    );
    Ok(())
}
