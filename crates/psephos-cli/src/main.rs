//! `psephos`: one binary; each subcommand's arguments and logic live in its own module of the
//! library (`src/<subcommand>.rs` or `src/<subcommand>/`).

use clap::{Parser, Subcommand};
use psephos_cli::runtime;
use std::io::IsTerminal;

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
    Demo(psephos_cli::demo::Args),
    /// Serve a sample election, open for voting, with its booth and observer pages (`make demo`).
    DemoServe(psephos_cli::demo_serve::Args),
    /// Regenerate or check the known-answer test vectors.
    Vectors(psephos_cli::vectors::Args),
    /// Measure the core operations on this machine.
    Bench(psephos_cli::bench::Args),
    /// Serve an election (and its bulletin board) over HTTP.
    Serve(psephos_cli::serve::Args),
    /// Officials' commands against a running server: create, credentials, open, close, tally.
    Election(psephos_cli::election::Args),
    /// Board keys and storage checks.
    Board(psephos_cli::board::Args),
    /// Follow a board, check its consistency and cosign its checkpoints.
    Witness(psephos_cli::witness::Args),
    /// Generate or check voter credentials (credential authority, offline).
    Credentials(psephos_cli::credentials::Args),
    /// Trustee tools: keys, the key ceremony, decryption shares.
    Trustee(psephos_cli::trustee::Args),
    /// Verify an election record (file or board URL): every check, numbered.
    Verify(psephos_cli::verify::Args),
    /// Check that the web booth a service serves is the one its election's board pins
    /// (every file's SHA-256 against the booth manifest; `--build DIR` against a local build).
    VerifyBooth(psephos_cli::verify_booth::Args),
    /// Export an election record from a board's database or a server.
    Record(psephos_cli::record::Args),
    /// Print the OpenAPI document of the HTTP API (what `GET /api/openapi.json` serves).
    Openapi(psephos_cli::openapi::Args),
}

fn main() -> anyhow::Result<()> {
    quiet_on_broken_pipe();
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A client's unparsable request is not the operator's error: the server logs it at INFO
    // with its answer, and actix's ERROR line for it is left out.
    if let Ok(d) = psephos_server::transport::LOG_FILTER.parse() {
        filter = filter.add_directive(d);
    }
    // Colour only for a person at a terminal: log files and pipes get plain text (and
    // `NO_COLOR`, https://no-color.org, turns it off everywhere).
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Demo(a) => psephos_cli::demo::run(a),
        Command::DemoServe(a) => runtime()?.block_on(psephos_cli::demo_serve::run(a)),
        Command::Vectors(a) => psephos_cli::vectors::run(a),
        Command::Bench(a) => psephos_cli::bench::run(a),
        Command::Serve(a) => runtime()?.block_on(psephos_cli::serve::run(a)),
        Command::Election(a) => runtime()?.block_on(psephos_cli::election::run(a)),
        Command::Board(a) => runtime()?.block_on(psephos_cli::board::run(a)),
        Command::Witness(a) => runtime()?.block_on(psephos_cli::witness::run(a)),
        Command::Credentials(a) => psephos_cli::credentials::run(a),
        Command::Trustee(a) => runtime()?.block_on(psephos_cli::trustee::run(a)),
        Command::Verify(a) => psephos_cli::verify::run(a),
        Command::VerifyBooth(a) => psephos_cli::verify_booth::run(a),
        Command::Record(a) => runtime()?.block_on(psephos_cli::record::run(a)),
        Command::Openapi(a) => psephos_cli::openapi::run(a),
    }
}

/// `psephos election status | head`: when the reader of standard output goes away, stop
/// quietly with the shell's status for a broken pipe (128 + SIGPIPE), as `cat` does, instead of
/// panicking. Rust ignores SIGPIPE (so that sockets report `EPIPE` rather than kill a server)
/// and `println!` then panics on `EPIPE`; this hook turns exactly that panic into the exit.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout")
            && message.contains(&format!("os error {}", BROKEN_PIPE))
        {
            std::process::exit(128 + SIGPIPE);
        }
        default(info);
    }));
}

/// `EPIPE` and `SIGPIPE` (the same on Linux, the BSDs and macOS).
const BROKEN_PIPE: i32 = 32;
const SIGPIPE: i32 = 13;
