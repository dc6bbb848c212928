//! What several commands do with a board's HTTP answers. An election record can be far larger
//! than memory (`docs/record.md`), so whoever downloads one — `verify URL`, `record export
//! --server`, `trustee decrypt` — streams the body to a writer chunk by chunk through
//! [`save_body`], never buffering it whole.

use anyhow::Context;
use std::io::Write;

/// Writes the body of `response` to `out`, chunk by chunk, and flushes it; returns the number of
/// bytes written. `what` names the body in an error ("reading the record").
pub async fn save_body(
    mut response: reqwest::Response,
    out: &mut impl Write,
    what: &str,
) -> anyhow::Result<u64> {
    let mut n = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("reading {what}"))?
    {
        out.write_all(&chunk)?;
        n += chunk.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

/// The API base of election `election` on the service at `server`:
/// `{server}/api/v1/elections/{election}`, under which every election-specific route lives
/// (`docs/api.md`). The id is checked here, so a typo is caught before any request.
pub fn election_url(server: &str, election: &str) -> anyhow::Result<String> {
    let id = psephos_board::election_key::ElectionSlug::new(election)
        .with_context(|| format!("--election {election:?}"))?;
    Ok(format!(
        "{}/api/v1/elections/{id}",
        server.trim_end_matches('/')
    ))
}
