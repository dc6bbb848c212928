//! `psephos trustee`: what a trustee runs on its own machine, one file per subcommand.

use super::{ceremony_command as ceremony, decrypt, init, status};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create this trustee's identity and ceremony keys (secret file sealed under a passphrase).
    Init(init::Args),
    /// Join the key ceremony on a server and run every round (resumes after an interruption).
    Ceremony(ceremony::Args),
    /// Verify the election record up to the encrypted tally and post this trustee's decryption share.
    Decrypt(decrypt::Args),
    /// Show the ceremony and tally status of a server.
    Status(status::Args),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Init(a) => init::run(a),
        Command::Ceremony(a) => ceremony::run(a).await,
        Command::Decrypt(a) => decrypt::run(a).await,
        Command::Status(a) => status::run(a).await,
    }
}

/// Options shared by the subcommands that open the secret key file.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyArgs {
    /// The trustee's secret key file (`<name>.trustee-SECRET.json`).
    #[arg(long)]
    pub key: std::path::PathBuf,
    /// Read the passphrase from this file (first line) instead of
    /// `PSEPHOS_TRUSTEE_PASSPHRASE` or the terminal.
    #[arg(long)]
    pub passphrase_file: Option<std::path::PathBuf>,
}
