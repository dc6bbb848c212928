//! `psephos trustee run --server URL --election ID … --key FILE --policy FILE --state DIR`: one
//! long-running process per trustee that follows its elections on the board and does each of its
//! duties when its turn comes — the key ceremony, its shuffle of the mixed lists, its decryption
//! shares — each through the very command that does it by hand (`ceremony`, `mix`, `decrypt`),
//! so each acts only after verifying the record with the keys the policy pins.
//!
//! **Policy** (TOML, the trustee's own configuration, never the server's word):
//!
//! ```toml
//! board_key = "origin+hash+key"       # required (or, unsafely, trust_server_key = true)
//! witnesses = ["…"]                   # optional; quorum defaults to a majority of them
//! quorum = 1
//! [duties]                            # "auto" (default) or "manual"
//! ceremony = "auto"
//! mix = "auto"
//! decrypt = "manual"
//! ```
//!
//! A **manual** duty waits for a human: the service logs that it is due and does it once the
//! file `DIR/approve/<election>.<duty>` exists (`touch` it after looking at the election).
//!
//! **Never twice, across restarts.** What the trustee has done is on the board, and each duty
//! starts by reading it: the ceremony resumes from the board (its polynomial is derived, not
//! stored), `mix` does nothing when this trustee has mixed, `decrypt` refuses a share already
//! posted. The service also appends every decision to `DIR/log.jsonl` (time, election, duty,
//! what it did and why) and skips a duty its log records as done, so a restart repeats nothing.

use super::client::{status_of, Client};
use super::keyfile::TrusteeKeys;
use super::tally::Trust;
use super::KeyArgs;
use crate::trust::TrustArgs;
use anyhow::{bail, Context};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election service (`http://host:port`).
    #[arg(long)]
    pub server: String,
    /// An election to follow (repeatable).
    #[arg(long = "election", required = true)]
    pub elections: Vec<String>,
    #[command(flatten)]
    pub key: KeyArgs,
    /// The policy file (TOML): keys to pin and which duties are automatic.
    #[arg(long)]
    pub policy: PathBuf,
    /// Where the service keeps its log and the humans' approvals.
    #[arg(long)]
    pub state: PathBuf,
    /// Pause between two looks at the board.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll: Duration,
    /// Stop once every followed election is decrypted (else run until stopped).
    #[arg(long)]
    pub until_done: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Policy {
    board_key: Option<String>,
    #[serde(default)]
    trust_server_key: bool,
    #[serde(default)]
    witnesses: Vec<String>,
    quorum: Option<u32>,
    #[serde(default)]
    duties: Duties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Duties {
    #[serde(default)]
    ceremony: Mode,
    #[serde(default)]
    mix: Mode,
    #[serde(default)]
    decrypt: Mode,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Auto,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Duty {
    Ceremony,
    Mix,
    Decrypt,
}

impl Duty {
    fn name(self) -> &'static str {
        match self {
            Duty::Ceremony => "ceremony",
            Duty::Mix => "mix",
            Duty::Decrypt => "decrypt",
        }
    }
}

/// The service's log: one JSON object a line, appended and flushed before anything else.
struct Log {
    path: PathBuf,
    done: BTreeSet<(String, &'static str)>,
}

impl Log {
    fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("approve"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("log.jsonl");
        let mut done = BTreeSet::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                if v["outcome"] == "done" {
                    let duty = [Duty::Ceremony, Duty::Mix, Duty::Decrypt]
                        .into_iter()
                        .find(|d| v["duty"] == d.name());
                    if let (Some(e), Some(d)) = (v["election"].as_str(), duty) {
                        done.insert((e.to_string(), d.name()));
                    }
                }
            }
        }
        Ok(Log { path, done })
    }

    fn write(&mut self, election: &str, duty: Duty, outcome: &str, detail: &str) {
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let line = serde_json::json!({
            "time": time, "election": election, "duty": duty.name(),
            "outcome": outcome, "detail": detail,
        });
        eprintln!("{line}");
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| {
                writeln!(f, "{line}")?;
                f.sync_data()
            });
        if let Err(e) = appended {
            eprintln!("cannot append to {}: {e}", self.path.display());
        }
        if outcome == "done" {
            self.done.insert((election.to_string(), duty.name()));
        }
    }

    fn is_done(&self, election: &str, duty: Duty) -> bool {
        self.done.contains(&(election.to_string(), duty.name()))
    }
}

fn trust_of(policy: &Policy, wait: Duration, poll: Duration) -> anyhow::Result<Trust> {
    let args = TrustArgs {
        board_key: policy.board_key.clone(),
        witnesses: policy.witnesses.clone(),
        quorum: policy.quorum,
    };
    let witnesses = args.witnesses()?;
    let quorum = args.quorum_of(&witnesses)?;
    let board_key = match (args.board_key()?, policy.trust_server_key) {
        (Some(k), _) => Some(k),
        (None, true) => None,
        (None, false) => bail!("the policy must pin board_key (or, unsafely, trust_server_key)"),
    };
    Ok(Trust {
        board_key,
        witnesses,
        quorum,
        wait,
        poll,
    })
}

/// The file a human creates to approve a manual duty.
fn approval(state: &Path, election: &str, duty: Duty) -> PathBuf {
    state
        .join("approve")
        .join(format!("{election}.{}", duty.name()))
}

#[derive(Deserialize)]
struct Status {
    phase: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.policy)
        .with_context(|| format!("reading the policy {}", args.policy.display()))?;
    let policy: Policy = toml::from_str(&text).context("the policy file")?;
    // Each duty waits for its own conditions at most one poll, then the service looks again.
    let trust = trust_of(
        &policy,
        Duration::from_secs(120),
        Duration::from_millis(250),
    )?;
    let pass = super::passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let mut log = Log::open(&args.state)?;
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut waiting_logged: BTreeSet<(String, &'static str)> = BTreeSet::new();
    loop {
        for election in &args.elections {
            if finished.contains(election) {
                continue;
            }
            let client = Client::new(&crate::http::election_url(&args.server, election)?)?;
            let status: Status = match reqwest::get(format!(
                "{}/status",
                crate::http::election_url(&args.server, election)?
            ))
            .await
            {
                Ok(r) if r.status().is_success() => r.json().await?,
                _ => continue,
            };
            let due = match status.phase.as_str() {
                "ceremony" => Some((Duty::Ceremony, policy.duties.ceremony)),
                "closed" => Some((Duty::Mix, policy.duties.mix)),
                "tallying" => Some((Duty::Decrypt, policy.duties.decrypt)),
                "decrypted" => {
                    finished.insert(election.clone());
                    None
                }
                _ => None,
            };
            let Some((duty, mode)) = due else { continue };
            if log.is_done(election, duty) {
                continue;
            }
            if duty == Duty::Mix {
                // Nothing to do until the officials post the mix input of a mixed election.
                match client.mix().await {
                    Ok(m) if m.mixed && m.input_index.is_some() => {}
                    _ => continue,
                }
            }
            if mode == Mode::Manual {
                let file = approval(&args.state, election, duty);
                if !file.exists() {
                    // Said once per duty, not at every poll.
                    if waiting_logged.insert((election.clone(), duty.name())) {
                        let why = format!("manual duty: create {} to approve it", file.display());
                        log.write(election, duty, "waiting", &why);
                    }
                    continue;
                }
            }
            log.write(election, duty, "started", "its turn has come");
            let outcome = match duty {
                Duty::Ceremony => super::ceremony::run(
                    &client,
                    &args.key.key,
                    &keys,
                    &pass,
                    &super::ceremony::Options {
                        poll: args.poll.min(Duration::from_millis(500)),
                        verbose: false,
                    },
                )
                .await
                .map(|f| format!("ceremony complete, qualified trustees {:?}", f.key.qualified)),
                Duty::Mix => super::mix::mix(&client, &args.key.key, &keys, &pass, &trust)
                    .await
                    .map(|m| match m.index {
                        Some(i) => format!(
                            "record verified ({} entries); shuffle of trustee {} posted at index {i}",
                            m.verified_entries, m.trustee
                        ),
                        None => format!("trustee {} had already mixed", m.trustee),
                    }),
                Duty::Decrypt => {
                    super::tally::decrypt(&client, &args.key.key, &keys, &pass, &trust)
                        .await
                        .map(|d| {
                            format!(
                                "record verified ({} entries); shares of trustee {} posted (index {}, mixed {:?})",
                                d.verified_entries, d.trustee, d.index, d.mix_index
                            )
                        })
                }
            };
            match outcome {
                Ok(detail) => log.write(election, duty, "done", &detail),
                // Already on the board (posted before a restart, or not needed any more).
                Err(e)
                    if status_of(&e) == Some(409)
                        || format!("{e:#}").contains("already on the board") =>
                {
                    log.write(election, duty, "done", &format!("nothing to do: {e:#}"))
                }
                Err(e) => log.write(election, duty, "failed", &format!("{e:#}")),
            }
        }
        if args.until_done && finished.len() == args.elections.len() {
            return Ok(());
        }
        tokio::time::sleep(args.poll).await;
    }
}
