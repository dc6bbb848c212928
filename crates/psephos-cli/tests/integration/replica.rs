//! `psephos serve --read-database`: a real `psephos serve` with its board in a throwaway
//! PostgreSQL primary and its public reads from a streaming replica of it (made with
//! `pg_basebackup -R`). Ballots cast through the service get receipts and proofs, read through
//! the replica, that verify against the board's signed checkpoints; with the replica's replay
//! paused (a deterministic lag, no timing), a ballot the replica has not got answers as
//! docs/api.md says — its receipt 202 with `Retry-After`, its entry and proofs 404
//! `not_replicated` with `Retry-After` — and once replay resumes, the same requests answer with
//! receipts that verify. Refused with a clear message on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::zombie_processes)] // the server is killed and waited for on drop

use crate::kill9::{free_port, open_election, runtime, Env};
use psephos_board::checkpoint::SignedCheckpoint;
use psephos_board::merkle::{verify_inclusion, InclusionProof};
use psephos_board::note::VerifierKey;
use psephos_board::{Entry, EntryKind, SealedReceipt};
use psephos_core::ballot::EncryptedBallot;
use psephos_core::encoding::Canonical as _;
use psephos_testkit::PgReplicaPair;
use std::time::{Duration, Instant};

const ELECTION: &str = "referendum";
const TRUSTEES: [&str; 3] = ["t1", "t2", "t3"];
/// Generous: a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(300);

struct Site {
    http: reqwest::Client,
    base: String,
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/elections/{ELECTION}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    async fn cast(&self, b: &EncryptedBallot) -> u64 {
        let r = self
            .http
            .post(self.url("/ballots"))
            .json(b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let v: serde_json::Value = r.json().await.unwrap();
        v["index"].as_u64().unwrap()
    }

    /// Waits until the primary has sealed entry `index`; returns its sealed size.
    async fn wait_sealed(&self, index: u64) -> u64 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            // `/board/size` is the primary's, replica or not.
            let v: serde_json::Value = self.get("/board/size").await.json().await.unwrap();
            let sealed = v["sealed_size"].as_u64().unwrap();
            if sealed > index {
                return sealed;
            }
            assert!(Instant::now() < deadline, "entry {index} never sealed: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the receipt of `index` until it is 200.
    async fn receipt(&self, index: u64) -> SealedReceipt {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let r = self.get(&format!("/receipts/{index}")).await;
            if r.status().as_u16() == 200 {
                return r.json().await.unwrap();
            }
            assert_eq!(r.status().as_u16(), 202, "receipt {index}");
            assert!(Instant::now() < deadline, "no receipt for {index}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The ballot's leaf, as a voter computes it from the ballot they cast.
fn leaf(b: &EncryptedBallot) -> psephos_board::merkle::Hash {
    Entry::new(EntryKind::Ballot, b.to_canonical_bytes())
        .unwrap()
        .leaf_hash()
        .unwrap()
}

/// 404 `not_replicated` with a `Retry-After`.
async fn assert_not_replicated(r: reqwest::Response) {
    assert_eq!(r.status().as_u16(), 404, "{}", r.url());
    assert!(r.headers().contains_key("retry-after"), "{}", r.url());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "not_replicated", "{v}");
}

#[test]
fn serve_reads_receipts_and_proofs_from_a_streaming_replica() {
    let rt = runtime();
    let pair = PgReplicaPair::start();
    rt.block_on(pair.create_database("psephos"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = Env {
        dir: dir.path().to_path_buf(),
        db: pair.primary_url("psephos"),
        port,
    };
    env.ok_in(
        ELECTION,
        &[
            "board",
            "keygen",
            "--origin",
            "replica.test",
            "--out",
            "board.secret.key",
        ],
        None,
    );
    let replica = pair.replica_url("psephos");
    let (_server, operator) = env.serve_on(
        port,
        &["--read-database", &replica, "--seal-interval", "200ms"],
    );
    let operator = operator.expect("the first start prints the operator token");
    let ballots: Vec<EncryptedBallot> = open_election(&env, &operator, ELECTION, &TRUSTEES, 3)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let site = Site {
        http: reqwest::Client::new(),
        base: env.base(),
    };
    rt.block_on(async {
        assert_eq!(
            site.http
                .get(format!("{}/ready", site.base))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            200
        );
        let info: serde_json::Value = site.get("").await.json().await.unwrap();
        let origin = info["board"]["origin"].as_str().unwrap().to_owned();
        let key: VerifierKey = info["board"]["verifier_key"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let open = |note: &str| SignedCheckpoint::open(note.as_bytes(), &origin, &key, &[]);

        // Replayed: receipts and proofs through the replica verify against signed checkpoints.
        let mut cast = Vec::new();
        for b in &ballots[..2] {
            cast.push((site.cast(b).await, leaf(b)));
        }
        for (index, leaf) in &cast {
            let r = site.receipt(*index).await;
            r.verify(leaf, &origin, &key, &[]).unwrap();
            let size = r.tree_size;
            let note = site
                .get(&format!("/board/checkpoints/{size}"))
                .await
                .text()
                .await
                .unwrap();
            let cp = open(&note).unwrap();
            let proof: InclusionProof = site
                .get(&format!(
                    "/board/proofs/inclusion?index={index}&size={size}"
                ))
                .await
                .json()
                .await
                .unwrap();
            verify_inclusion(leaf, *index, size, &proof, &cp.checkpoint().root).unwrap();
        }

        // The replica stops replaying; a ballot cast now is sealed on the primary only.
        pair.wait_replayed().await;
        pair.pause_replay().await;
        let before = open(&site.get("/board/checkpoint").await.text().await.unwrap())
            .unwrap()
            .checkpoint()
            .size;
        let late = &ballots[2];
        let index = site.cast(late).await;
        let sealed = site.wait_sealed(index).await;
        // The voter's receipt: not yet (202, retry), never a receipt against an older tree.
        for path in [
            format!("/receipts/{index}"),
            format!("/board/receipts/{index}"),
        ] {
            let r = site.get(&path).await;
            assert_eq!(r.status().as_u16(), 202, "{path}");
            assert!(r.headers().contains_key("retry-after"), "{path}");
        }
        // Its entry, a proof up to the primary's tree, that checkpoint: not yet, retry.
        assert_not_replicated(site.get(&format!("/board/entries/{index}")).await).await;
        assert_not_replicated(
            site.get(&format!("/board/proofs/inclusion?index=0&size={sealed}"))
                .await,
        )
        .await;
        assert_not_replicated(
            site.get(&format!(
                "/board/proofs/consistency?old={before}&new={sealed}"
            ))
            .await,
        )
        .await;
        assert_not_replicated(site.get(&format!("/board/checkpoints/{sealed}")).await).await;
        // What the replica has it still serves, as it has it.
        let cp = open(&site.get("/board/checkpoint").await.text().await.unwrap()).unwrap();
        assert_eq!(cp.checkpoint().size, before);
        let (i0, l0) = cast[0];
        site.receipt(i0)
            .await
            .verify(&l0, &origin, &key, &[])
            .unwrap();
        // The tracking code is the primary's: the ballot is on the board.
        let code = psephos_core::ballot::TrackingCode::of(&late.hash()).to_string();
        let v: serde_json::Value = site
            .get(&format!("/ballots/{code}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["index"].as_u64(), Some(index), "{v}");

        // Replay resumes: the same requests answer, and verify.
        pair.resume_replay().await;
        let r = site.receipt(index).await;
        r.verify(&leaf(late), &origin, &key, &[]).unwrap();
        assert!(r.tree_size >= sealed);
        let entry: serde_json::Value = site
            .get(&format!("/board/entries/{index}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(entry["index"].as_u64(), Some(index));
    });
}

#[test]
fn a_read_database_is_refused_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_psephos"))
        .current_dir(dir.path())
        .args([
            "serve",
            "--key",
            "board.secret.key",
            "--database",
            "sqlite://psephos.db?mode=rwc",
            "--read-database",
            "postgres://127.0.0.1:1/psephos",
        ])
        .env_remove("PSEPHOS_DATABASE")
        .env_remove("PSEPHOS_READ_DATABASE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--read-database needs the board in PostgreSQL"),
        "{err}"
    );
    assert!(
        !dir.path().join("psephos.db").exists(),
        "nothing is created"
    );
}
