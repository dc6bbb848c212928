//! `psephos credentials`: the credential authority's offline tool. `generate` makes one credential
//! per voter and writes the public list (for the board) and the private file of codes (for the
//! mail merge); `check` validates a public list against the manifest. Formats: `docs/protocol.md`
//! §7.1 and [`crate::credentials`].

pub mod format;

use crate::files::{create_new, Access};
use anyhow::{bail, Context};
pub use format::{csv_field, read_voters, CredentialList, ListedCredential, PRIVATE_HEADER};
use psephos_core::credential::CredentialCode;
use rand_core::OsRng;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Make one credential per voter: the public list to upload and the private codes to mail.
    Generate {
        /// The election definition (`election-config/*.toml`).
        #[arg(long)]
        election: PathBuf,
        /// The voter list: CSV with header `voter_id,style[,weight]`.
        #[arg(long)]
        voters: PathBuf,
        /// Where to write the public credential list (JSON); must not exist.
        #[arg(long)]
        public: PathBuf,
        /// Where to write the private codes (CSV, mode 0600); must not exist.
        #[arg(long)]
        private: PathBuf,
    },
    /// Validate a public credential list against the election and print its summary.
    Check {
        /// The election definition (`election-config/*.toml`).
        #[arg(long)]
        election: PathBuf,
        /// The public credential list (JSON).
        #[arg(long)]
        public: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Generate {
            election,
            voters,
            public,
            private,
        } => generate(&election, &voters, &public, &private),
        Action::Check { election, public } => check(&election, &public),
    }
}

fn generate(election: &Path, voters: &Path, public: &Path, private: &Path) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(election)?;
    if public == private {
        bail!("--public and --private must be different files");
    }
    for p in [public, private] {
        if p.symlink_metadata().is_ok() {
            bail!("{} already exists: refusing to overwrite it", p.display());
        }
    }
    let file = File::open(voters).with_context(|| format!("reading {}", voters.display()))?;
    let voter_list = read_voters(std::io::BufReader::new(file), &manifest)
        .with_context(|| format!("in {}", voters.display()))?;

    // Private rows in the voter list's order; public entries sorted by CredentialList::new.
    // Reserve an upper bound up front so the buffer holding the codes never reallocates (a
    // reallocation would free a copy without zeroizing it).
    let capacity = PRIVATE_HEADER.len()
        + 1
        + voter_list
            .iter()
            .map(|v| 2 * v.voter_id.len() + 2 * v.style.len() + 4 + 20 + 3 + 27 + 1)
            .sum::<usize>();
    let mut private_text = Zeroizing::new(String::with_capacity(capacity));
    private_text.push_str(PRIVATE_HEADER);
    private_text.push('\n');
    let mut listed = Vec::with_capacity(voter_list.len());
    for v in &voter_list {
        let code = CredentialCode::generate(&mut OsRng);
        let credential = code.secret(&manifest.id).public();
        let text = Zeroizing::new(code.expose());
        csv_field(&mut private_text, &v.voter_id);
        private_text.push(',');
        csv_field(&mut private_text, &v.style);
        private_text.push(',');
        private_text.push_str(&v.weight.to_string());
        private_text.push(',');
        private_text.push_str(&text);
        private_text.push('\n');
        listed.push(ListedCredential {
            credential,
            style: v.style.clone(),
            weight: v.weight,
        });
    }
    debug_assert!(private_text.len() <= capacity);
    let list = CredentialList::new(&manifest, listed);
    // Self-check (also catches the astronomically unlikely duplicate credential).
    let summary = list
        .validate(&manifest)
        .context("the generated list is invalid (internal error)")?;
    let mut public_json = serde_json::to_string_pretty(&list)?;
    public_json.push('\n');

    write_both(
        private,
        private_text.as_bytes(),
        public,
        public_json.as_bytes(),
    )?;
    print!("{summary}");
    println!(
        "public list: {} (upload to the board)\nprivate codes: {} (mode 0600; deliver to voters, then destroy)",
        public.display(),
        private.display()
    );
    Ok(())
}

/// Creates both files (never overwriting; the private one with mode 0600) and writes them; if
/// anything fails, removes whatever it created so that nothing is left behind.
fn write_both(
    private: &Path,
    private_bytes: &[u8],
    public: &Path,
    public_bytes: &[u8],
) -> anyhow::Result<()> {
    let mut created: Vec<&Path> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        let mut pf = create_new(private, Access::Secret)?;
        created.push(private);
        let mut qf = create_new(public, Access::Public)?;
        created.push(public);
        pf.write_all(private_bytes)
            .and_then(|()| pf.sync_all())
            .with_context(|| format!("writing {}", private.display()))?;
        qf.write_all(public_bytes)
            .and_then(|()| qf.sync_all())
            .with_context(|| format!("writing {}", public.display()))?;
        Ok(())
    })();
    if result.is_err() {
        for p in created {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

fn check(election: &Path, public: &Path) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(election)?;
    let text =
        std::fs::read_to_string(public).with_context(|| format!("reading {}", public.display()))?;
    let list: CredentialList = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid credential list", public.display()))?;
    let summary = list.validate(&manifest).with_context(|| {
        format!(
            "{} is not valid for {}",
            public.display(),
            election.display()
        )
    })?;
    print!("{summary}");
    println!("OK: {} is a valid credential list", public.display());
    Ok(())
}
