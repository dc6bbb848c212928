//! `psephos vectors`: writes the known-answer vectors to `tests/vectors/` (`generate`), or
//! checks that the committed files are exactly what the generator produces (`check`).

pub mod generate;

pub use generate::*;

use anyhow::Context;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Write the vector files.
    Generate {
        #[arg(long, default_value = "tests/vectors")]
        out: PathBuf,
    },
    /// Compare the committed files with a fresh generation.
    Check {
        #[arg(long, default_value = "tests/vectors")]
        dir: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let set = generate::generate()?;
    match args.action {
        Action::Generate { out } => {
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for (name, v) in &set {
                let path = out.join(name);
                std::fs::write(&path, generate::render(v)?)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {}", path.display());
            }
        }
        Action::Check { dir } => {
            for (name, v) in &set {
                let path = dir.join(name);
                let old = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                anyhow::ensure!(
                    old == generate::render(v)?,
                    "{} differs from a fresh generation",
                    path.display()
                );
                println!("{}: identical", path.display());
            }
        }
    }
    Ok(())
}
