//! A witness: follows a board over HTTP, checks that every new checkpoint is consistent with the
//! last one it cosigned, cosigns it (C2SP `cosignature/v1`) and posts the cosignature back.
//!
//! The witness's memory is one file, the last signed checkpoint it cosigned, replaced atomically
//! (write, fsync, rename). The first checkpoint it ever sees is trusted on first use. If the board
//! ever shows a checkpoint that is not an extension of the remembered one — smaller, same size
//! with another root, or a consistency proof that fails — the witness writes both signed
//! checkpoints (and the failed proof) to an evidence file, creates a `HALTED` marker, logs the
//! fact loudly and never cosigns for that board again until an operator removes the marker.
//! A board that shows different histories to different people is caught this way: it cannot get
//! both histories cosigned by honest witnesses.

use anyhow::{bail, Context};
use psephos_board::checkpoint::{Cosigner, SignedCheckpoint};
use psephos_board::merkle::{verify_consistency, ConsistencyProof};
use psephos_board::note::VerifierKey;
use std::path::{Path, PathBuf};

/// Where a witness stands after one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A new checkpoint was checked, cosigned and posted.
    Cosigned { size: u64 },
    /// The board's latest checkpoint is the one already cosigned (or none is published yet).
    NothingNew,
    /// The board forked or rolled back; the evidence is in the file.
    Inconsistent { evidence: PathBuf },
}

/// A witness of one board.
#[derive(Debug)]
pub struct Witness {
    board_url: String,
    origin: String,
    board_key: VerifierKey,
    cosigner: Cosigner,
    state_dir: PathBuf,
    client: reqwest::Client,
    last: Option<SignedCheckpoint>,
}

const STATE_FILE: &str = "checkpoint";
const HALTED_FILE: &str = "HALTED";

impl Witness {
    /// Loads (or starts) the witness state in `state_dir`.
    pub fn new(
        board_url: &str,
        origin: &str,
        board_key: VerifierKey,
        cosigner: Cosigner,
        state_dir: &Path,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating {}", state_dir.display()))?;
        let path = state_dir.join(STATE_FILE);
        let last = match std::fs::read(&path) {
            Ok(bytes) => Some(
                SignedCheckpoint::open(&bytes, origin, &board_key, &[]).with_context(|| {
                    format!(
                        "the remembered checkpoint in {} does not verify",
                        path.display()
                    )
                })?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Witness {
            board_url: board_url.trim_end_matches('/').to_string(),
            origin: origin.to_string(),
            board_key,
            cosigner,
            state_dir: state_dir.to_path_buf(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
            last,
        })
    }

    /// The tree size of the last cosigned checkpoint.
    pub fn last_size(&self) -> Option<u64> {
        self.last.as_ref().map(|c| c.checkpoint().size)
    }

    /// Whether an earlier inconsistency stopped this witness.
    pub fn halted(&self) -> bool {
        self.state_dir.join(HALTED_FILE).exists()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/board{path}", self.board_url)
    }

    /// Fetches the latest checkpoint, checks it, cosigns and posts the cosignature.
    pub async fn step(&mut self) -> anyhow::Result<Step> {
        if self.halted() {
            bail!(
                "this witness halted after seeing an inconsistent board; evidence is in {}",
                self.state_dir.display()
            );
        }
        let resp = self.client.get(self.url("/checkpoint")).send().await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(Step::NothingNew);
        }
        let text = resp.error_for_status()?.bytes().await?;
        let new = SignedCheckpoint::open(&text, &self.origin, &self.board_key, &[])
            .context("the board's checkpoint does not verify under its key")?;
        let (n_size, n_root) = (new.checkpoint().size, new.checkpoint().root);
        if let Some(last) = &self.last {
            let (o_size, o_root) = (last.checkpoint().size, last.checkpoint().root);
            if n_size == o_size && n_root == o_root {
                return Ok(Step::NothingNew);
            }
            let verdict = if n_size < o_size {
                Err(format!("the tree shrank from {o_size} to {n_size} entries"))
            } else if n_size == o_size {
                Err(format!("two different roots for size {n_size}"))
            } else {
                let proof: ConsistencyProof = self
                    .client
                    .get(self.url(&format!("/proofs/consistency?old={o_size}&new={n_size}")))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                verify_consistency(o_size, n_size, &o_root, &n_root, &proof)
                    .map_err(|e| format!("the consistency proof from {o_size} to {n_size} fails: {e}; proof {proof:?}"))
            };
            if let Err(why) = verdict {
                let evidence = self.keep_evidence(last.text(), new.text(), &why)?;
                tracing::error!(
                    board = %self.board_url,
                    evidence = %evidence.display(),
                    "INCONSISTENT BOARD: {why}. This witness will not cosign again."
                );
                return Ok(Step::Inconsistent { evidence });
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let line = self.cosigner.cosign(&new, now)?;
        let body = psephos_api::board::CosignatureRequest {
            size: n_size,
            signature: line.to_string(),
        };
        let resp = self
            .client
            .post(self.url("/cosignatures"))
            .json(&body)
            .send()
            .await?;
        if !resp.status().is_success() {
            let status = resp.status();
            let detail = resp.text().await.unwrap_or_default();
            bail!("the board refused the cosignature ({status}): {detail}");
        }
        self.remember(&new)?;
        self.last = Some(new);
        Ok(Step::Cosigned { size: n_size })
    }

    fn remember(&self, c: &SignedCheckpoint) -> anyhow::Result<()> {
        let path = self.state_dir.join(STATE_FILE);
        let tmp = self.state_dir.join(format!("{STATE_FILE}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(c.text().as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn keep_evidence(&self, old: &str, new: &str, why: &str) -> anyhow::Result<PathBuf> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let path = self.state_dir.join(format!("evidence-{now}.txt"));
        let text = format!(
            "psephos witness evidence: board {}\nreason: {why}\n\n\
             --- previously cosigned checkpoint ---\n{old}\n--- conflicting checkpoint ---\n{new}",
            self.board_url
        );
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        std::fs::write(
            self.state_dir.join(HALTED_FILE),
            format!("{}\n", path.display()),
        )?;
        Ok(path)
    }
}
