//! `psephos trustee init NAME`: a new trustee identity. Writes `<name>.trustee.secret.json`
//! (mode 0600, sealed under a passphrase, never overwritten) and the public
//! `<name>.trustee.json` that the officials list in the election definition.

use crate::trustee::keyfile::{TrusteeKeys, MIN_PASSPHRASE};
use crate::trustee::passphrase;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The trustee's name (file names and the board's trustee list).
    pub name: String,
    /// Directory to write the two files in.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Read the passphrase (at least 8 characters) from this file (first line); otherwise from
    /// PSEPHOS_TRUSTEE_PASSPHRASE, the terminal, or the first line of standard input.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::trustee::keyfile::check_name(&args.name)?;
    let pass = passphrase(args.passphrase_file.as_deref(), true)?;
    if pass.len() < MIN_PASSPHRASE {
        anyhow::bail!("the passphrase must have at least {MIN_PASSPHRASE} characters");
    }
    let keys = TrusteeKeys::generate(&args.name)?;
    let (secret, public) = keys.write_new(&args.dir, &pass)?;
    println!("{}", serde_json::to_string_pretty(&keys.public())?);
    eprintln!(
        "secret keys sealed in {} (mode 0600): keep it, and its passphrase, on this machine only",
        secret.display()
    );
    eprintln!(
        "public keys in {}: give this file to the election officials",
        public.display()
    );
    Ok(())
}
