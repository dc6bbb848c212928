//! `psephos`: one binary, one file per subcommand (see `cmd/`).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "psephos",
    version,
    about = "End-to-end verifiable elections on Ristretto255"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole election in process and print the verified result.
    Demo(psephos_cli::cmd::demo::Args),
    /// Regenerate or check the known-answer test vectors.
    Vectors(psephos_cli::cmd::vectors::Args),
    /// Measure the core operations on this machine.
    Bench(psephos_cli::cmd::bench::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo(a) => psephos_cli::cmd::demo::run(a),
        Command::Vectors(a) => psephos_cli::cmd::vectors::run(a),
        Command::Bench(a) => psephos_cli::cmd::bench::run(a),
    }
}
