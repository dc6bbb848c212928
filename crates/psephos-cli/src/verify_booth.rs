//! `psephos verify-booth URL --election ID [--build DIR]`: is the booth this service serves the
//! one its board pins (`docs/protocol.md` §11.6)?
//!
//! 1. The election record is fetched (once it holds every entry on the board when the command
//!    starts, or after a minute) and verified like `psephos verify` does (the board's
//!    signatures, witnesses, Merkle roots; check 21 for the manifest's place and format), and the
//!    booth manifest in force is read from it: the manifest comes from the signed board, never
//!    from the server's word.
//! 2. Every file the manifest lists is fetched from the election's pages (`/e/{election}/…`),
//!    `--rounds` times, as a browser would (a server may serve other bytes to some requests), and
//!    its SHA-256 and `Content-Security-Policy` header compared with the manifest; so is the
//!    election's page directory `/e/{election}/` (the index page).
//! 3. With `--build DIR` (a reproducible build of the same commit, `make web`), every file of
//!    the local build is compared with the manifest too: the served code is then the published
//!    source's.
//!
//! Each file gets a line; the exit status is 0 only if every comparison holds.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context};
use psephos_board::EntryKind;
use psephos_record::booth::BoothManifest;
use psephos_record::format::{RecordItem, RecordReader};
use psephos_record::verify::{CheckId, Status};
use psephos_record::Payload;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::trust::TrustArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The service's base URL (http:// or https://).
    pub url: String,
    /// The election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION")]
    pub election: String,
    /// A local build of the web booth (`make web`'s web/dist) to compare with the manifest too.
    #[arg(long)]
    pub build: Option<PathBuf>,
    /// How many times each file is fetched (a server may answer some requests differently).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// One compared file.
#[derive(Debug, Serialize)]
pub struct FileCheck {
    /// Where: `served /booth.js`, `served /e/{election}/` or `build /booth.js`.
    pub what: String,
    pub ok: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The outcome.
#[derive(Debug, Serialize)]
pub struct BoothReport {
    pub passed: bool,
    /// The manifest hash on the board, hex.
    pub manifest_hash: String,
    /// Its board index.
    pub manifest_index: u64,
    pub files: Vec<FileCheck>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let report = check(&args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "Booth manifest {} (board entry {}) of election {}",
            report.manifest_hash, report.manifest_index, args.election
        );
        for f in &report.files {
            match &f.problem {
                None => println!("  ok    {}", f.what),
                Some(p) => println!("  FAIL  {}: {p}", f.what),
            }
        }
    }
    if !report.passed {
        let n = report.files.iter().filter(|f| !f.ok).count();
        bail!("the booth does not match the manifest on the board ({n} failures)");
    }
    if !args.json {
        println!(
            "The booth served for {} is the one its board pins.",
            args.election
        );
    }
    Ok(())
}

/// Runs every comparison; an error only when the check itself cannot be made (the record
/// does not verify, the board has no manifest, the service cannot be reached).
pub fn check(args: &Args) -> anyhow::Result<BoothReport> {
    let api = crate::http::election_url(&args.url, &args.election)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The record as soon as it holds every entry on the board now (the manifest and the
    // opening may have been posted a moment ago and not be sealed and cosigned yet).
    let spool = tempfile::NamedTempFile::new().context("creating a temporary file")?;
    rt.block_on(async {
        let (response, _, _) =
            crate::record::settled_record(&api, std::time::Duration::from_secs(60)).await?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(spool.path())?);
        crate::http::save_body(response, &mut out, "the record").await
    })?;
    let options = args.trust.verify_options()?;
    let report = crate::verify::verify_file(spool.path(), &options, false)?;
    let board_ok = report.checks.iter().all(|c| {
        c.id.number() > CheckId::BoardAnchors.number()
            || matches!(c.status, Status::Pass | Status::NotApplicable)
    });
    if !board_ok {
        bail!("the election record's board checks fail (run psephos verify): its manifest cannot be trusted");
    }
    match report.check(CheckId::BoothManifest).map(|c| c.status) {
        Some(Status::Pass) => {}
        other => bail!("check 21 (booth.manifest) is {other:?}: no booth manifest to compare with"),
    }
    let want = report
        .booth_manifest
        .clone()
        .context("the board holds no booth manifest")?;
    let (manifest, index) = manifest_in(spool.path(), &want)?;

    let mut files = Vec::new();
    let pages = format!("{}/e/{}", args.url.trim_end_matches('/'), args.election);
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .user_agent("Mozilla/5.0 (psephos verify-booth)")
            .build()?;
        let mut targets: Vec<(String, String, [u8; 32])> = manifest
            .files
            .iter()
            .map(|f| (f.path.clone(), format!("{pages}{}", f.path), f.sha256))
            .collect();
        if let Some(index) = manifest.file(&manifest.index) {
            targets.push(("/".into(), format!("{pages}/"), *index));
        }
        for (path, url, expected) in targets {
            let mut problem = None;
            for round in 1..=args.rounds {
                if let Err(p) = fetch_one(&client, &url, &expected, &manifest.csp).await {
                    problem = Some(format!("request {round} of {}: {p}", args.rounds));
                    break;
                }
            }
            files.push(FileCheck {
                what: format!("served {path}"),
                ok: problem.is_none(),
                problem,
            });
        }
        anyhow::Ok(())
    })?;

    if let Some(dir) = &args.build {
        let local = psephos_server::booth::ServedBooth::load(dir)
            .with_context(|| format!("reading the build in {}", dir.display()))?;
        files.extend(compare_build(&manifest, local.manifest()));
    }
    Ok(BoothReport {
        passed: files.iter().all(|f| f.ok),
        manifest_hash: want,
        manifest_index: index,
        files,
    })
}

/// The booth manifest entry with hash `want` in the record at `path`, and its index.
fn manifest_in(path: &std::path::Path, want: &str) -> anyhow::Result<(BoothManifest, u64)> {
    let file = std::fs::File::open(path)?;
    let reader = RecordReader::new(BufReader::with_capacity(1 << 20, file))?;
    let mut found = None;
    for item in reader {
        if let RecordItem::Entry(e) = item? {
            if e.entry.kind == EntryKind::BoothManifest {
                if let Ok(Payload::BoothManifest(m)) =
                    Payload::decode(e.entry.kind, &e.entry.payload)
                {
                    if m.hash().to_hex() == want {
                        found = Some((m, e.index));
                    }
                }
            }
        }
    }
    found.context("the record's booth manifest entry was not found again")
}

/// One fetch of `url`: 200, its bytes' SHA-256 `expected`, the manifest's policy.
async fn fetch_one(
    client: &reqwest::Client,
    url: &str,
    expected: &[u8; 32],
    csp: &str,
) -> Result<(), String> {
    let r = client
        .get(url)
        .header("cache-control", "no-cache")
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if r.status() != reqwest::StatusCode::OK {
        return Err(format!("HTTP {}", r.status()));
    }
    let policy = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r.bytes().await.map_err(|e| format!("reading {url}: {e}"))?;
    let got: [u8; 32] = Sha256::digest(&body).into();
    if &got != expected {
        return Err(format!(
            "sha256 {} served, the manifest says {}",
            hex::encode(got),
            hex::encode(expected)
        ));
    }
    if policy.as_deref() != Some(csp) {
        return Err(format!(
            "served with Content-Security-Policy {policy:?}, the manifest says {csp:?}"
        ));
    }
    Ok(())
}

/// Every file of the board's manifest and of a local build, compared by path.
fn compare_build(board: &BoothManifest, local: &BoothManifest) -> Vec<FileCheck> {
    let mine: BTreeMap<&str, &[u8; 32]> = local
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.sha256))
        .collect();
    let theirs: BTreeMap<&str, &[u8; 32]> = board
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.sha256))
        .collect();
    let mut paths: Vec<&str> = mine.keys().chain(theirs.keys()).copied().collect();
    paths.sort_unstable();
    paths.dedup();
    let mut out: Vec<FileCheck> = paths
        .into_iter()
        .map(|p| {
            let problem = match (theirs.get(p), mine.get(p)) {
                (Some(a), Some(b)) if a == b => None,
                (Some(a), Some(b)) => Some(format!(
                    "the build's sha256 is {}, the manifest says {}",
                    hex::encode(b),
                    hex::encode(a)
                )),
                (Some(_), None) => Some("listed in the manifest, not in the build".into()),
                (None, _) => Some("in the build, not in the manifest".into()),
            };
            FileCheck {
                what: format!("build {p}"),
                ok: problem.is_none(),
                problem,
            }
        })
        .collect();
    if board.csp != local.csp {
        out.push(FileCheck {
            what: "build Content-Security-Policy".into(),
            ok: false,
            problem: Some(format!(
                "the build's is {:?}, the manifest's {:?}",
                local.csp, board.csp
            )),
        });
    }
    out
}
