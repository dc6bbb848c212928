//! The `psephos` command-line tool. The library part holds the subcommands (one module each) and
//! the known-answer vector generator, which the tests call directly.

pub mod bench;
pub mod board;
pub mod credentials;
pub mod demo;
pub mod demo_serve;
pub mod election;
pub mod keys;
pub mod record;
pub mod serve;
pub mod trustee;
pub mod vectors;
pub mod verify;
pub mod witness;

/// Loads an election manifest from a TOML file, with the path in the error.
pub fn load_manifest(path: &std::path::Path) -> anyhow::Result<psephos_core::election::Manifest> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    psephos_core::election::Manifest::from_toml(&text)
        .with_context(|| format!("in {}", path.display()))
}
