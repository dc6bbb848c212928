//! `psephos witness`: make a witness key, or follow a service's boards and cosign their
//! checkpoints.
//!
//! Each election of a service is its own board (`docs/protocol.md` §10.16), and a witness keeps
//! one memory per election (`<state>/<election id>/checkpoint`, §10.12). `witness run --board URL
//! --election ID …` follows the elections named; without `--election` it follows every election
//! the service lists (`GET /api/v1/elections`), looking for new ones at every poll. A board key
//! given with `--board-key` (repeatable; its name is the election's origin, so it says which
//! election it is for) is pinned; an election without one is followed under the key the service
//! lists for it — a witness's job is consistency, and what that trusts is in `SECURITY.md`.
//! One election's failure or inconsistency stops that election's witness, never the others'.

pub mod follow;

use crate::keys::SecretKey;
use anyhow::{bail, Context};
pub use follow::{Step, Witness};
use psephos_board::checkpoint::Cosigner;
use psephos_board::election_key::ElectionSlug;
use psephos_board::note::{SignatureType, VerifierKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Generate a witness's cosignature/v1 key; prints the public verifier key.
    Keygen {
        /// The witness's name, e.g. `witness.example.net`.
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Follow a service's boards: check each new checkpoint's consistency, cosign and post it.
    Run {
        /// The service's base URL, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        board: String,
        /// An election to follow (repeatable); none: every election the service lists.
        #[arg(long = "election")]
        elections: Vec<String>,
        /// An election's board verifier key to pin (repeatable; its name `<origin>/<id>` says
        /// which election it is for). Elections without one are followed under the key the
        /// service lists.
        #[arg(long = "board-key")]
        board_keys: Vec<String>,
        /// The witness's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Directory for the witness's memory and any evidence.
        #[arg(long)]
        state: PathBuf,
        /// How often to poll.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        interval: Duration,
        /// Do one step and exit (non-zero if the board is inconsistent).
        #[arg(long)]
        once: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Keygen { name, out } => SecretKey::keygen(
            &name,
            SignatureType::CosignatureV1,
            &out,
            "give the line above to the board",
        ),
        Action::Run {
            board,
            elections,
            board_keys,
            key,
            state,
            interval,
            once,
        } => {
            let pinned = board_keys
                .iter()
                .map(|k| crate::trust::board_key(k))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let key = SecretKey::read_as(&key, SignatureType::CosignatureV1)?;
            // Checked once here; each election's witness gets its own cosigner of this key.
            Cosigner::new(&key.name, key.signing_key.clone())?;
            let named = elections
                .iter()
                .map(|e| ElectionSlug::new(e).with_context(|| format!("--election {e:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut set = Followed {
                service: board.trim_end_matches('/').to_string(),
                named,
                pinned,
                key,
                state,
                witnesses: BTreeMap::new(),
                stopped: BTreeMap::new(),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()?,
            };
            loop {
                let failures = set.poll().await;
                if once {
                    if let Some((id, e)) = failures.into_iter().next() {
                        return Err(e.context(format!("election {id}")));
                    }
                    if let Some((id, why)) = set.stopped.iter().next() {
                        bail!("election {id}: {why}");
                    }
                    return Ok(());
                }
                if !set.named.is_empty() && set.stopped.len() == set.named.len() {
                    bail!("every election followed has stopped: {:?}", set.stopped);
                }
                tokio::time::sleep(interval).await;
            }
        }
    }
}

/// The elections a witness follows, each with its own [`Witness`] and memory.
struct Followed {
    service: String,
    /// The elections named on the command line (empty: every listed election).
    named: Vec<ElectionSlug>,
    pinned: Vec<VerifierKey>,
    /// The witness's own key.
    key: SecretKey,
    state: PathBuf,
    witnesses: BTreeMap<ElectionSlug, Witness>,
    /// Elections whose witness stopped (inconsistent board, unusable memory), with why.
    stopped: BTreeMap<ElectionSlug, String>,
    http: reqwest::Client,
}

impl Followed {
    /// The board key to follow `id` under: a pinned key named `<origin>/<id>`, else the one the
    /// service lists.
    fn pinned_for(&self, id: &ElectionSlug) -> Option<VerifierKey> {
        let suffix = format!("/{id}");
        self.pinned
            .iter()
            .find(|k| k.name().ends_with(&suffix))
            .cloned()
    }

    /// The elections the service lists, with their verifier keys.
    async fn listed(&self) -> anyhow::Result<BTreeMap<ElectionSlug, String>> {
        let url = format!("{}/api/v1/elections", self.service);
        let list: Vec<psephos_api::service::ListedElection> = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()?
            .json()
            .await
            .with_context(|| format!("GET {url}: not JSON"))?;
        let mut out = BTreeMap::new();
        for e in list {
            if let Ok(id) = ElectionSlug::new(&e.id) {
                out.insert(id, e.verifier_key);
            }
        }
        Ok(out)
    }

    /// Starts the witness of `id` if it is not running.
    fn ensure(&mut self, id: &ElectionSlug, listed: Option<&String>) -> anyhow::Result<()> {
        if self.witnesses.contains_key(id) || self.stopped.contains_key(id) {
            return Ok(());
        }
        let key = match (self.pinned_for(id), listed) {
            (Some(k), _) => k,
            (None, Some(k)) => {
                tracing::info!(election = %id, key = %k, "following under the key the service lists");
                crate::trust::board_key(k)?
            }
            (None, None) => bail!("the service does not list election {id}; pin its --board-key"),
        };
        let origin = key.name().to_string();
        if !origin.ends_with(&format!("/{id}")) {
            bail!("the board key {key} is not named as election {id}'s origin");
        }
        let base = crate::http::election_url(&self.service, id.as_str())?;
        let w = Witness::new(
            &base,
            &origin,
            key,
            Cosigner::new(&self.key.name, self.key.signing_key.clone())?,
            &state_dir(&self.state, id),
        )?;
        self.witnesses.insert(id.clone(), w);
        Ok(())
    }

    /// One step of every followed election; the errors of this poll (retried at the next).
    async fn poll(&mut self) -> Vec<(ElectionSlug, anyhow::Error)> {
        let mut failures = Vec::new();
        let listed =
            if self.named.is_empty() || self.named.iter().any(|n| self.pinned_for(n).is_none()) {
                match self.listed().await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the service's list of elections");
                        BTreeMap::new()
                    }
                }
            } else {
                BTreeMap::new()
            };
        let ids: Vec<ElectionSlug> = if self.named.is_empty() {
            listed.keys().cloned().collect()
        } else {
            self.named.clone()
        };
        for id in &ids {
            if let Err(e) = self.ensure(id, listed.get(id)) {
                tracing::warn!(election = %id, error = %e, "cannot follow this election yet");
                failures.push((id.clone(), e));
            }
        }
        for (id, w) in self.witnesses.iter_mut() {
            match w.step().await {
                Ok(Step::Cosigned { size }) => tracing::info!(election = %id, size, "cosigned"),
                Ok(Step::NothingNew) => {}
                Ok(Step::Inconsistent { evidence }) => {
                    let why = format!(
                        "the board is inconsistent; evidence kept in {}",
                        evidence.display()
                    );
                    tracing::error!(election = %id, "{why}");
                    self.stopped.insert(id.clone(), why);
                }
                Err(e) => {
                    tracing::warn!(election = %id, error = %e, "witness step failed; retrying");
                    failures.push((id.clone(), e));
                }
            }
        }
        self.witnesses
            .retain(|id, _| !self.stopped.contains_key(id));
        failures
    }
}

/// Where the witness keeps its memory of election `id`.
pub fn state_dir(state: &Path, id: &ElectionSlug) -> PathBuf {
    state.join(id.as_str())
}
