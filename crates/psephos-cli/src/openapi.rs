//! `psephos openapi`: prints the OpenAPI 3.1 document of the HTTP API — the one
//! `GET /api/openapi.json` serves, generated from the handlers and the `psephos-api` types
//! (`psephos_server::openapi`) — without starting a server, for docs and client generators.

use std::io::Write;

/// No options: the document does not depend on any configuration.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", psephos_server::openapi::document_json())?;
    Ok(())
}
