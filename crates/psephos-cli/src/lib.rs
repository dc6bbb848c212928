//! The `psephos` command-line tool. The library holds every subcommand, one module per subject
//! with its clap arguments beside its logic — a single file for a small subject (`verify.rs`,
//! `serve.rs`, …), a folder when it has parts (`trustee/`, `witness/`, `credentials/`,
//! `vectors/`, `bench/`) — so that the tests can call the logic directly. Shared by several
//! subjects: `keys` (the board's and witnesses' secret key files), `trust` (the keys a relying
//! party pins, and the default witness quorum), `files` (new files, secret ones mode 0600) and
//! `http` (streaming a record download).

pub mod bench;
pub mod board;
pub mod credentials;
pub mod demo;
pub mod demo_serve;
pub mod election;
pub mod files;
pub mod http;
pub mod keys;
pub mod openapi;
pub mod record;
pub mod serve;
pub mod trust;
pub mod trustee;
pub mod vectors;
pub mod verify;
pub mod verify_booth;
pub mod witness;

/// The multi-threaded tokio runtime a command's async work runs on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Loads an election manifest from a TOML file, with the path in the error.
pub fn load_manifest(path: &std::path::Path) -> anyhow::Result<psephos_core::election::Manifest> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    psephos_core::election::Manifest::from_toml(&text)
        .with_context(|| format!("in {}", path.display()))
}
