//! Support for the trustee tests: a real `psephos serve`-equivalent server on 127.0.0.1:0 over a
//! real SQLite board, trustee key files on disk, and an election driven to any phase through
//! `ElectionService::post` (so these tests do not depend on the officials' routes).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use psephos_board::{Board, BoardConfig};
use psephos_cli::trustee::ceremony::{run as run_ceremony, Finished, Options};
use psephos_cli::trustee::client::Client;
use psephos_cli::trustee::keyfile::{Passphrase, TrusteeKeys};
use psephos_core::ballot::{encrypt_ballot, verify_ballot, PlaintextBallot, PlaintextContest};
use psephos_core::ceremony::{CeremonyParams, TrusteeIndex, TrusteePublic};
use psephos_core::credential::CredentialCode;
use psephos_core::election::Manifest;
use psephos_record::{Control, CredentialList, Definition, ListedCredential, Payload};
use psephos_server::ceremony::CeremonySchedule;
use psephos_server::{serve, AppState, HostedElection, ServiceConfig};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Runs a test body on a multi-threaded runtime whose threads have large stacks: debug builds
/// put whole `Rules` and precomputed tables in async frames (several hundred KiB for
/// `ElectionService::post`), more than the default 2 MiB test thread holds when nested.
pub fn block_on<F, Fut>(f: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    const STACK: usize = 64 << 20;
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(STACK)
                .enable_all()
                .build()
                .unwrap()
                .block_on(f())
        })
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

pub const PASS: &str = "a long test passphrase";
pub const OFFICIALS_TOKEN: &str = "test-officials-token";

pub fn manifest(n: u32, k: u32) -> Manifest {
    Manifest::from_toml(&format!(
        r#"[election]
id = "trustee-test"
name = "Trustee test"
description = "Tests of the ceremony and the tally over HTTP."
weighted = true

[trustees]
count = {n}
threshold = {k}

[[contests]]
id = "mayor"
title = "Mayor"
kind = "plurality"
options = [{{ id = "a", label = "A" }}, {{ id = "b", label = "B" }}, {{ id = "c", label = "C" }}]

[[ballot_styles]]
id = "all"
contests = ["mayor"]
"#
    ))
    .unwrap()
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub board: Board,
    pub state: AppState,
    /// The test election as the service hosts it ([`psephos_testkit::ELECTION`]).
    pub hosted: Arc<HostedElection>,
    /// The service's base URL.
    pub base: String,
    pub client: Client,
    pub http: reqwest::Client,
    pub manifest: Manifest,
    pub params: CeremonyParams,
    pub keys: Vec<TrusteeKeys>,
    pub key_files: Vec<PathBuf>,
    pub pass: Passphrase,
}

/// A server on a fresh SQLite board whose election is defined for `n` trustees, `k` needed, with
/// their key files written by `init`'s code. The complaint window is short to keep tests fast.
pub async fn start(n: u32, k: u32) -> Setup {
    start_on(n, k, None).await
}

/// [`start`] on the board at `url` (a fresh database), or a new SQLite file when `None`.
pub async fn start_on(n: u32, k: u32, url: Option<String>) -> Setup {
    start_with(n, k, url, Vec::new()).await
}

/// [`start_on`] with a board that accepts these witnesses' cosignatures.
pub async fn start_with(
    n: u32,
    k: u32,
    url: Option<String>,
    witnesses: Vec<psephos_board::note::VerifierKey>,
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new(PASS.into());
    let mut keys = Vec::new();
    let mut key_files = Vec::new();
    for i in 1..=n {
        let t = TrusteeKeys::generate(&format!("trustee-{i}")).unwrap();
        let (secret, _public) = t.write_new(dir.path(), &pass).unwrap();
        key_files.push(secret);
        keys.push(t);
    }
    let manifest = manifest(n, k);
    let publics = keys
        .iter()
        .enumerate()
        .map(|(i, t)| TrusteePublic {
            index: TrusteeIndex::new(i as u32 + 1).unwrap(),
            name: t.name.clone(),
            signing_key: t.signing_key.verifying_key(),
            ceremony_key: t.ceremony_secret.public_key(),
        })
        .collect();
    let params = CeremonyParams::for_manifest(&manifest, publics).unwrap();
    let url = url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("board.db").display()
        )
    });
    let mut config = BoardConfig::new("board.test/trustee", psephos_testkit::board_key());
    config.seal_interval = Duration::from_secs(3600);
    config.witnesses = witnesses;
    let board = Board::open(&url, config).await.unwrap();
    let config = ServiceConfig {
        schedule: CeremonySchedule {
            complaint_window: Duration::from_millis(800),
            round_timeout: Duration::from_secs(600),
        },
        ..ServiceConfig::default()
    };
    let state = AppState::with_board(psephos_testkit::ELECTION, board.clone(), config)
        .await
        .unwrap();
    let hosted = state.election(psephos_testkit::ELECTION).unwrap();
    hosted.set_officials(psephos_server::auth::TokenHash::from_hash(
        psephos_server::auth::TokenHash::hash_token(OFFICIALS_TOKEN),
    ));
    hosted
        .election
        .post(Payload::Definition(Definition {
            manifest: manifest.clone(),
            ceremony: params.clone(),
        }))
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, state.clone()).unwrap());
    Setup {
        client: Client::new(&format!("{base}{}", psephos_testkit::E)).unwrap(),
        http: reqwest::Client::new(),
        dir,
        board,
        state,
        hosted,
        base,
        manifest,
        params,
        keys,
        key_files,
        pass,
    }
}

pub fn quiet() -> Options {
    Options {
        poll: Duration::from_millis(40),
        verbose: false,
    }
}

impl Setup {
    /// Runs `psephos trustee ceremony`'s loop for trustees `which` (1-based) concurrently, each
    /// with its own client, reading its key file from disk as the command does.
    pub async fn run_trustees(&self, which: &[u32]) -> Vec<Finished> {
        let mut handles = Vec::new();
        for &i in which {
            let (client, path) = (self.client.clone(), self.key_files[i as usize - 1].clone());
            handles.push(tokio::spawn(async move {
                let pass = Passphrase::new(PASS.into());
                let keys = TrusteeKeys::read(&path, &pass).unwrap();
                run_ceremony(&client, &path, &keys, &pass, &quiet()).await
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap().unwrap());
        }
        out
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post(&self, path: &str, body: &impl serde::Serialize) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post_admin(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(OFFICIALS_TOKEN)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Polls `GET /api/v1/elections/psephos-2026/ceremony` until the server completed the ceremony.
    pub async fn wait_complete(&self) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while tokio::time::Instant::now() < deadline {
            let (_, v) = self.get("/api/v1/elections/psephos-2026/ceremony").await;
            if v["complete"] == true {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the ceremony did not complete");
    }

    /// Publishes credentials for `votes.len()` voters (voter `v` with weight `weights[v]`),
    /// opens voting, casts each voter's choice (an option index; some voters vote twice, the
    /// first ballot superseded), closes voting. Returns the expected weighted counts.
    pub async fn vote_and_close(&self, votes: &[(usize, u64)], revoters: &[usize]) -> Vec<u64> {
        self.vote_and_close_with(votes, revoters, None).await
    }

    /// [`Setup::vote_and_close`], and with `forged = Some((victim, attacker))` a malicious
    /// server's extra entry before closing: a revote by the attacker's credential whose
    /// ciphertexts are the victim's ballot's, correctly signed but with proofs that no longer
    /// verify, appended through `ElectionService::post` (which leaves proofs to the cast
    /// pipeline) — bypassing the proof check. Returns the expected counts of the honest ballots.
    pub async fn vote_and_close_with(
        &self,
        votes: &[(usize, u64)],
        revoters: &[usize],
        forged: Option<(usize, usize)>,
    ) -> Vec<u64> {
        let e = &self.hosted.election;
        let election = e.read().await.election().cloned().unwrap();
        let mut rng = rand_core::OsRng;
        let codes: Vec<CredentialCode> = votes
            .iter()
            .map(|_| CredentialCode::generate(&mut rng))
            .collect();
        let secrets: Vec<_> = codes.iter().map(|c| c.secret(&self.manifest.id)).collect();
        let mut listed: Vec<ListedCredential> = secrets
            .iter()
            .zip(votes)
            .map(|(s, &(_, w))| ListedCredential {
                credential: s.public(),
                style: "all".into(),
                weight: w,
            })
            .collect();
        listed.sort_by_key(|c| c.credential.to_bytes());
        e.post(Payload::Credentials(CredentialList {
            version: psephos_record::credentials::LIST_VERSION,
            election_id: self.manifest.id.clone(),
            manifest_hash: self.manifest.hash(),
            credentials: listed,
        }))
        .await
        .unwrap();
        for p in psephos_record::booth::opening(psephos_record::booth::no_booth()) {
            e.post(p).await.unwrap();
        }
        let cast = |choice: usize, s: &psephos_core::credential::CredentialSecret| {
            let mut values = vec![0u64; 3];
            values[choice] = 1;
            let plain = PlaintextBallot {
                style: "all".into(),
                contests: vec![PlaintextContest {
                    contest: "mayor".into(),
                    values,
                }],
            };
            let (b, _) = encrypt_ballot(&election, s, &plain, &mut rand_core::OsRng).unwrap();
            // The proofs are verified before the ballot may go on the board.
            verify_ballot(&election, b).unwrap()
        };
        let post_verified = |b: psephos_core::ballot::VerifiedBallot| {
            let e = e.clone();
            async move {
                let verdict = e.post_verified_ballots(vec![b]).await.pop().unwrap();
                verdict.unwrap();
            }
        };
        for &v in revoters {
            // A first ballot for another option, superseded below.
            let b = cast((votes[v].0 + 1) % 3, &secrets[v]);
            post_verified(b).await;
        }
        let mut expected = vec![0u64; 3];
        let mut last = Vec::new();
        for (v, &(choice, w)) in votes.iter().enumerate() {
            let b = cast(choice, &secrets[v]);
            last.push(b.ballot().clone());
            post_verified(b).await;
            expected[choice] += w;
        }
        if let Some((victim, attacker)) = forged {
            let mut b = last[attacker].clone();
            b.contests[0].ciphertexts = last[victim].contests[0].ciphertexts.clone();
            b.sign(&secrets[attacker], &mut rand_core::OsRng);
            assert!(b.verify_signature().is_ok());
            assert!(
                verify_ballot(&election, b.clone()).is_err(),
                "the proofs fail"
            );
            // The service appends no such ballot: it is written into the database, as an
            // attacker with access to it would, and the rules replay it as a start would.
            e.board()
                .append(
                    psephos_board::Entry::new(
                        psephos_board::EntryKind::Ballot,
                        Payload::Ballot(b).to_bytes(),
                    )
                    .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(e.catch_up_with_board().await.unwrap(), 1);
        }
        e.post(Payload::Control(Control::Close)).await.unwrap();
        expected
    }

    /// Board size now.
    pub fn size(&self) -> u64 {
        self.board.size()
    }
}
