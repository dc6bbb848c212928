//! `psephos election`: the officials' commands against a running `psephos serve`.
//!
//! ```text
//! psephos election new                    # the operator: creates the election, prints its officials' token
//! psephos election officials list | issue --label L | revoke TOKEN_ID   # the operator
//! psephos election define --manifest election-config/referendum.toml \
//!     --trustee alice.trustee.json --trustee bob.trustee.json --trustee carol.trustee.json
//! psephos election credentials --list credentials.public.json
//! psephos election complete-ceremony      # if the server has not done it itself
//! psephos election open | close | tally
//! psephos election status                 # needs no token
//! psephos election status --wait-for key_ready   # waits for the phase, then prints it
//! ```
//!
//! Every command takes `--server URL` (or `PSEPHOS_SERVER`), `--election ID` (or
//! `PSEPHOS_ELECTION`) and, for the officials' writes, the election officials' token `--token`
//! (or `PSEPHOS_OFFICIALS_TOKEN`; prefer the environment, a flag shows in `ps`); `new` takes the
//! operator's token from `PSEPHOS_OPERATOR_TOKEN`. The server's answer is printed as JSON; a
//! refusal prints the server's reason and exits non-zero.

use crate::files::{self, Access};
use anyhow::{bail, Context};
use psephos_api::election::{
    BoothPosted, CeremonyCompleted, CredentialsPosted, DefineElection, Defined, ElectionStatus,
    PostBooth, Posted, TrusteeKeys,
};
use psephos_api::mix::{MixInputPosted, MixInputRequest};
use psephos_api::service::{
    AddOfficialsToken, CreateElection, ElectionCreated, ListedElection, OfficialsTokenIssued,
    OfficialsTokenRevoked, OfficialsTokens, Visibility,
};
use psephos_api::tally::TallyPosted;
use psephos_api::ErrorBody;
use psephos_record::CredentialList;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The service's base URL.
    #[arg(
        long,
        env = "PSEPHOS_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub server: String,
    /// The election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION", global = true)]
    pub election: Option<String>,
    /// The election officials' token (the operator issued it with the election).
    #[arg(
        long,
        env = "PSEPHOS_OFFICIALS_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// (operator) Create the election in the service: its board and its officials' token,
    /// printed once. Needs the operator token (`PSEPHOS_OPERATOR_TOKEN`).
    New {
        /// Keep it out of the service's public list (it is served all the same).
        #[arg(long)]
        unlisted: bool,
        /// Write the officials' token to this new file (mode 0600) instead of printing it.
        #[arg(long)]
        token_out: Option<PathBuf>,
        /// Write the election's board verifier key to this new file (to publish and pin).
        #[arg(long)]
        board_key_out: Option<PathBuf>,
    },
    /// List the service's public elections (needs no token and no `--election`).
    List,
    /// (operator) The election's officials' tokens: list them, issue one more, revoke one.
    /// Needs the operator token (`PSEPHOS_OPERATOR_TOKEN`).
    Officials {
        #[command(subcommand)]
        action: Officials,
    },
    /// Define the election: its manifest and the trustees' public keys.
    Define {
        /// The manifest (an `election-config/` TOML file).
        #[arg(long)]
        manifest: PathBuf,
        /// A trustee's public key file (`<name>.trustee.json` from `psephos trustee init`);
        /// repeat it for every trustee, in index order 1 … n.
        #[arg(long = "trustee")]
        trustee: Vec<PathBuf>,
        /// Or: one JSON list of the trustees in index order,
        /// `[{"name", "signing_key", "ceremony_key"}]`.
        #[arg(long, conflicts_with = "trustee")]
        trustees: Option<PathBuf>,
    },
    /// Publish the public credential list (`psephos credentials generate` writes it).
    Credentials {
        #[arg(long)]
        list: PathBuf,
    },
    /// Complete the key ceremony from the messages on the board.
    CompleteCeremony,
    /// Post the booth manifest of the web booth the service serves (docs/protocol.md §11.6),
    /// before voting opens; `open` posts it too when the board lacks it.
    Booth {
        /// The manifest hash (hex) of your own reproducible build: the service posts nothing
        /// unless it serves exactly that booth.
        #[arg(long)]
        hash: Option<String>,
    },
    /// Open voting (posting the booth manifest first if the board lacks it).
    Open,
    /// Close voting.
    Close,
    /// Post the mix input (after closing, with contests counted by the mixnet): the mixed
    /// contests' ciphertexts of the counted ballots, which the trustees then shuffle.
    Mix {
        /// How many trustees must shuffle before decryption (at least `k`; default: every
        /// qualified trustee).
        #[arg(long)]
        min_mixers: Option<u32>,
    },
    /// Post the encrypted tally (after closing, and after mixing if anything is mixed).
    Tally,
    /// Show the election's phase, counts and ceremony progress.
    Status {
        /// Wait until the election reaches this phase (e.g. `key_ready` before `open`), then
        /// print the status; fail if it has not within `--timeout`.
        #[arg(long, value_name = "PHASE")]
        wait_for: Option<String>,
        /// How long `--wait-for` waits.
        #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
}

/// `psephos election officials …`.
#[derive(clap::Subcommand, Debug)]
pub enum Officials {
    /// Every officials' token issued for the election: id, label, when issued and revoked
    /// (never a token).
    List,
    /// Issue one more officials' token (the others stay valid), printed once.
    Issue {
        /// Who holds it (shown in the list; one line, at most 100 characters).
        #[arg(long, default_value = "")]
        label: String,
        /// Write the token to this new file (mode 0600) instead of printing it.
        #[arg(long)]
        token_out: Option<PathBuf>,
    },
    /// Revoke an officials' token: every node refuses it at once.
    Revoke {
        /// The token's id, from `psephos election officials list`.
        token_id: u64,
    },
}

/// `psephos election officials …` against `base` (the election's URL).
async fn officials_tokens(
    client: &reqwest::Client,
    base: &str,
    action: &Officials,
) -> anyhow::Result<()> {
    let token = std::env::var("PSEPHOS_OPERATOR_TOKEN")
        .context("this command needs the operator token: set PSEPHOS_OPERATOR_TOKEN")?;
    let url = format!("{base}/officials/tokens");
    match action {
        Officials::List => {
            let resp = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .with_context(|| format!("contacting {url}"))?;
            let list: OfficialsTokens = answer(resp).await?;
            print(&list)
        }
        Officials::Issue { label, token_out } => {
            let mut issued: OfficialsTokenIssued = post_as_official(
                client,
                base,
                &token,
                "/officials/tokens",
                &AddOfficialsToken {
                    label: label.clone(),
                },
            )
            .await?;
            if let Some(path) = token_out {
                files::write_new(path, issued.officials_token.as_bytes(), Access::Secret)?;
                issued.officials_token = format!("(in {})", path.display());
            }
            print(&issued)
        }
        Officials::Revoke { token_id } => {
            let url = format!("{url}/{token_id}");
            let resp = client
                .delete(&url)
                .bearer_auth(&token)
                .send()
                .await
                .with_context(|| format!("contacting {url}"))?;
            let revoked: OfficialsTokenRevoked = answer(resp).await?;
            print(&revoked)
        }
    }
}

/// The phases of `GET /api/v1/election/status`, in order.
const PHASES: [&str; 7] = [
    "empty",
    "ceremony",
    "key_ready",
    "open",
    "closed",
    "tallying",
    "decrypted",
];

/// Polls the status until its phase is `want` (or later: a phase once passed is never
/// reached again), or fails at `timeout`.
async fn wait_for_phase(
    client: &reqwest::Client,
    base: &str,
    want: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<()> {
    let Some(rank) = PHASES.iter().position(|p| *p == want) else {
        bail!("unknown phase {want:?}: one of {}", PHASES.join(", "));
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let phase = phase(client, base).await;
        let reached = phase
            .as_deref()
            .and_then(|p| PHASES.iter().position(|q| *q == p))
            .is_some_and(|r| r >= rank);
        if reached {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the election did not reach {want} within {} (phase now: {})",
                humantime::format_duration(timeout),
                phase.as_deref().unwrap_or("unknown")
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The election's phase (`GET {election}/status`), or `None` if the server does not say.
pub async fn phase(client: &reqwest::Client, base: &str) -> Option<String> {
    let r = client.get(format!("{base}/status")).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    let status: ElectionStatus = r.json().await.ok()?;
    Some(status.phase.name().to_string())
}

/// Posts a command with a bearer token (the officials' or the operator's); the server's answer,
/// or its refusal.
pub async fn post_as_official<T: DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: &impl Serialize,
) -> anyhow::Result<T> {
    let url = format!("{base}{path}");
    let resp = client
        .post(&url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .with_context(|| format!("contacting {url}"))?;
    answer(resp).await
}

/// The server's answer, or its refusal — status, error code and detail — as the error.
async fn answer<T: DeserializeOwned>(resp: reqwest::Response) -> anyhow::Result<T> {
    let status = resp.status();
    let text = resp.text().await.context("reading the answer")?;
    if !status.is_success() {
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(e) => bail!("the server refused ({status}, {}): {}", e.error, e.detail),
            Err(_) => bail!("the server refused ({status}): {text}"),
        }
    }
    serde_json::from_str(&text).with_context(|| format!("the server's answer ({status}): {text}"))
}

/// Prints an answer as JSON, keys sorted as the server sends them.
fn print(answer: &impl Serialize) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::to_value(answer)?)?
    );
    Ok(())
}

/// The body of the officials' commands that take none.
#[derive(Serialize)]
struct Nothing {}

fn read_json<T: DeserializeOwned>(path: &PathBuf) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    if let Command::List = &args.command {
        let url = format!("{}/api/v1/elections", args.server.trim_end_matches('/'));
        let resp = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("contacting {url}"))?;
        let list: Vec<ListedElection> = answer(resp).await?;
        return print(&list);
    }
    let election = args
        .election
        .as_deref()
        .context("which election? give --election ID (or PSEPHOS_ELECTION)")?;
    let base = crate::http::election_url(&args.server, election)?;
    let officials = || {
        args.token.as_deref().context(
            "this command needs the officials' token: set PSEPHOS_OFFICIALS_TOKEN or give --token",
        )
    };
    match &args.command {
        Command::List => unreachable!("answered above"),
        Command::Status { wait_for, timeout } => {
            if let Some(want) = wait_for {
                wait_for_phase(&client, &base, want, *timeout).await?;
            }
            let url = format!("{base}/status");
            let resp = client
                .get(&url)
                .send()
                .await
                .with_context(|| format!("contacting {url}"))?;
            let status: ElectionStatus = answer(resp).await?;
            print(&status)
        }
        Command::Officials { action } => officials_tokens(&client, &base, action).await,
        Command::New {
            unlisted,
            token_out,
            board_key_out,
        } => {
            let token = std::env::var("PSEPHOS_OPERATOR_TOKEN")
                .context("this command needs the operator token: set PSEPHOS_OPERATOR_TOKEN")?;
            let mut created: ElectionCreated = post_as_official(
                &client,
                &format!("{}/api/v1", args.server.trim_end_matches('/')),
                &token,
                "/elections",
                &CreateElection {
                    id: election.to_owned(),
                    visibility: if *unlisted {
                        Visibility::Unlisted
                    } else {
                        Visibility::Public
                    },
                },
            )
            .await?;
            if let Some(path) = board_key_out {
                files::write_new(path, created.verifier_key.as_bytes(), Access::Public)?;
            }
            if let Some(path) = token_out {
                files::write_new(path, created.officials_token.as_bytes(), Access::Secret)?;
                created.officials_token = format!("(in {})", path.display());
            }
            print(&created)
        }
        Command::Define {
            manifest,
            trustee,
            trustees,
        } => {
            let manifest_toml = std::fs::read_to_string(manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            // Catch a broken manifest here, with the file name, rather than at the server.
            crate::load_manifest(manifest)?;
            let trustees: Vec<TrusteeKeys> = match trustees {
                Some(path) => read_json(path)?,
                None if !trustee.is_empty() => trustee
                    .iter()
                    .map(read_json)
                    .collect::<anyhow::Result<Vec<_>>>()?,
                None => bail!("list the trustees: --trustee FILE (repeated) or --trustees LIST"),
            };
            let body = DefineElection {
                manifest_toml,
                trustees,
            };
            let defined: Defined =
                post_as_official(&client, &base, officials()?, "/definition", &body).await?;
            print(&defined)
        }
        Command::Credentials { list } => {
            let list: CredentialList = read_json(list)?;
            let posted: CredentialsPosted =
                post_as_official(&client, &base, officials()?, "/credentials", &list).await?;
            print(&posted)
        }
        Command::CompleteCeremony => {
            let done: CeremonyCompleted = post_as_official(
                &client,
                &base,
                officials()?,
                "/ceremony/complete",
                &Nothing {},
            )
            .await?;
            print(&done)
        }
        Command::Booth { hash } => {
            let body = PostBooth { hash: hash.clone() };
            let posted: BoothPosted =
                post_as_official(&client, &base, officials()?, "/booth", &body).await?;
            print(&posted)
        }
        Command::Open | Command::Close => {
            let path = if matches!(args.command, Command::Open) {
                "/open"
            } else {
                "/close"
            };
            let posted: Posted =
                post_as_official(&client, &base, officials()?, path, &Nothing {}).await?;
            print(&posted)
        }
        Command::Mix { min_mixers } => {
            let body = MixInputRequest {
                min_mixers: *min_mixers,
            };
            let posted: MixInputPosted =
                post_as_official(&client, &base, officials()?, "/mix", &body).await?;
            print(&posted)
        }
        Command::Tally => {
            let posted: TallyPosted =
                post_as_official(&client, &base, officials()?, "/tally", &Nothing {}).await?;
            print(&posted)
        }
    }
}
