//! `psephos trustee`: what a trustee runs on its own machine — `init` (key files, [`init`]),
//! `ceremony` (the key ceremony loop, [`ceremony`]), `mix` (verify, then post a shuffle of the
//! mixed lists: [`mix`]), `decrypt` (verify, then post decryption shares: [`decrypt`],
//! [`tally`]) and `status`. The clap arguments of each subcommand sit with
//! its logic; this module holds the subcommand list and what they share: the key file's
//! arguments and the passphrase. Secrets stay on the trustee's machine: only signed ceremony
//! messages and decryption shares with their proofs are ever sent.

pub mod ceremony;
pub mod client;
pub mod decrypt;
pub mod init;
pub mod keyfile;
pub mod mix;
pub mod run;
pub mod status;
pub mod tally;

use anyhow::{bail, Context};
use keyfile::Passphrase;
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

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
    /// Verify the election record so far and post this trustee's shuffle of the mixed lists.
    Mix(mix::Args),
    /// Follow elections and do each duty (ceremony, shuffle, decryption) when its turn comes,
    /// under a policy file; survives restarts and never acts twice.
    Run(run::Args),
    /// Show the ceremony and tally status of a server.
    Status(status::Args),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Init(a) => init::run(a),
        Command::Ceremony(a) => ceremony::command(a).await,
        Command::Decrypt(a) => decrypt::run(a).await,
        Command::Mix(a) => mix::run(a).await,
        Command::Run(a) => run::run(a).await,
        Command::Status(a) => status::run(a).await,
    }
}

/// Options shared by the subcommands that open the secret key file.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyArgs {
    /// The trustee's secret key file (`<name>.trustee.secret.json`).
    #[arg(long)]
    pub key: std::path::PathBuf,
    /// Read the passphrase from this file (first line) instead of
    /// `PSEPHOS_TRUSTEE_PASSPHRASE` or the terminal.
    #[arg(long)]
    pub passphrase_file: Option<std::path::PathBuf>,
}

/// Environment variable that may hold the passphrase (for automation; prefer a file or the
/// prompt on a shared machine).
pub const PASSPHRASE_ENV: &str = "PSEPHOS_TRUSTEE_PASSPHRASE";

/// The passphrase from `--passphrase-file`, else `PSEPHOS_TRUSTEE_PASSPHRASE`, else a prompt on
/// the terminal (twice when `confirm`), else — standard input is not a terminal (a script, a
/// pipe) — the first line of standard input.
pub fn passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<Passphrase> {
    if let Some(f) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(f)
                .with_context(|| format!("reading the passphrase file {}", f.display()))?,
        );
        let line = text.lines().next().unwrap_or("");
        return Ok(Passphrase::new(line.to_string()));
    }
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Passphrase::new(p));
    }
    if !std::io::stdin().is_terminal() {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the passphrase from standard input")?;
        let pass = line.trim_end_matches(['\n', '\r']);
        if pass.is_empty() {
            bail!(
                "no passphrase: standard input is not a terminal and gave no line; give \
                 --passphrase-file FILE, set {PASSPHRASE_ENV}, or pipe the passphrase in"
            );
        }
        return Ok(Passphrase::new(pass.to_string()));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password("Trustee passphrase: ").context("reading the passphrase")?,
    );
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Repeat the passphrase: ")
                .context("reading the passphrase")?,
        );
        if *first != *second {
            bail!("the two passphrases differ");
        }
    }
    Ok(Passphrase::new(first.to_string()))
}
