//! A real `psephos serve` in process for the service's tests: a fresh SQLite file or PostgreSQL
//! database ([`crate::TestDb`]), the service bound to 127.0.0.1:0, the operator token from the real
//! token store, and an election driven through its lifecycle with a real key ceremony
//! (`sim::run_ceremony`) and real encrypted ballots. Behind the feature `server`, so that the
//! board's tests do not build the HTTP service.
#![allow(missing_debug_implementations)] // `Server` holds the service, which has no `Debug`

pub use crate::Backend;
use crate::TestDb;
use psephos_board::election_key::ElectionSlug;
use psephos_board::Board;
use psephos_core::ballot::{encrypt_ballot, BallotSecrets, EncryptedBallot};
use psephos_core::credential::CredentialSecret;
use psephos_core::election::{Election, Manifest};
use psephos_core::sim::{self, CeremonyRun};
use psephos_core::transcript::random_scalar;
use psephos_record::{CredentialList, ListedCredential, Payload};
use psephos_server::auth::{NewToken, TokenHash};
use psephos_server::catalog::Catalog;
use psephos_server::ceremony::CeremonySchedule;
use psephos_server::{serve, AppState, HostedElection, ServiceBoard, ServiceConfig};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::Arc;

pub const MANIFEST: &str = r#"
[election]
id = "api-test-2026"
name = "API test election"

[trustees]
count = 3
threshold = 2

[[contests]]
id = "mayor"
title = "Mayor"
kind = "plurality"
options = [
  { id = "a", label = "Ada" },
  { id = "b", label = "Babbage" },
  { id = "c", label = "Curie" },
  { id = "d", label = "Dijkstra" },
  { id = "e", label = "Euler" },
]

[[contests]]
id = "parks"
title = "Parks"
kind = "approval"
options = [
  { id = "north", label = "North park" },
  { id = "south", label = "South park" },
]

[[ballot_styles]]
id = "all"
contests = ["mayor", "parks"]

[[ballot_styles]]
id = "short"
contests = ["mayor"]
"#;

/// A running server and what the test needs to drive it: the service, with the test
/// election ([`crate::ELECTION`]) created in it through the operator's route.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// The test election's board.
    pub board: Board,
    /// The test election as the service hosts it.
    pub hosted: Arc<HostedElection>,
    /// The test election's officials' token.
    pub token: String,
    /// The service operator's token.
    pub operator: String,
    pub db: TestDb,
    pub handle: actix_web::dev::ServerHandle,
    pub rng: ChaCha20Rng,
}

pub fn quiet_config() -> ServiceConfig {
    ServiceConfig {
        rate_limit: None,
        // No complaint window: the tests' trustees are simulated and honest, and complete the
        // ceremony as soon as its messages are posted.
        schedule: CeremonySchedule {
            complaint_window: std::time::Duration::ZERO,
            ..Default::default()
        },
        ..ServiceConfig::default()
    }
}

/// The test service's boards: the test database, the service key [`crate::board_key`], origin
/// [`crate::SERVICE_ORIGIN`], two witnesses, sealing only when asked.
pub fn service_board(db: &TestDb) -> ServiceBoard {
    ServiceBoard {
        database: db.url.clone(),
        origin: crate::SERVICE_ORIGIN.to_owned(),
        key: crate::board_key(),
        witnesses: crate::witness_keys(2),
        seal_interval: std::time::Duration::from_secs(3600),
        read_connections: 4,
        shared: false,
        sealer_lease: std::time::Duration::from_secs(3),
        read_replica: None,
        commit_group: true,
    }
}

/// Starts a server on a fresh database.
pub async fn start(backend: Backend, config: ServiceConfig) -> Server {
    let db = TestDb::new(backend).await;
    Box::pin(start_on(db, config)).await
}

/// Starts a server on `db` (fresh or reused after a restart) as `psephos serve` does: every
/// election of the catalog opened ([`psephos_server::election::ElectionService::open`]: the board's full tamper check in
/// the background, the rules from their snapshot), the test election created if it is not
/// there yet, and a new officials' token issued for it.
pub async fn start_on(db: TestDb, config: ServiceConfig) -> Server {
    let catalog = Catalog::open(&db.url).await.unwrap();
    let (hash, operator) = catalog.operator_token(true).await.unwrap();
    let operator = operator.unwrap().expose().to_string();
    // (Boxed: opening the elections is a large future; the tests' stacks need not hold it.)
    let state = Box::pin(AppState::open(service_board(&db), catalog, config))
        .await
        .unwrap()
        .with_operator(hash);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = serve(listener, state.clone()).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::new();
    // The test election, created (or given a new officials' token) as the operator's routes
    // do, but without a request, so that no test's rate limit is spent on it.
    let token = NewToken::generate();
    let slug = ElectionSlug::new(crate::ELECTION).unwrap();
    if state.registry.contains(&slug) {
        let catalog = state.catalog.as_ref().unwrap();
        catalog
            .set_officials(&slug, &TokenHash::of(&token))
            .await
            .unwrap();
    } else {
        Box::pin(state.create(
            slug,
            psephos_server::Visibility::Public,
            TokenHash::of(&token),
        ))
        .await
        .unwrap();
    }
    let token = token.expose().to_string();
    let hosted = state.election(crate::ELECTION).unwrap();
    Server {
        base,
        client,
        board: hosted.board.clone(),
        hosted,
        state,
        token,
        operator,
        db,
        handle,
        rng: ChaCha20Rng::seed_from_u64(42),
    }
}

/// [`start_on`] (every start is now `psephos serve`'s).
pub async fn serve_on(db: TestDb, config: ServiceConfig) -> Server {
    Box::pin(start_on(db, config)).await
}

impl Server {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs a raw body, with the test election's officials' token if `official`.
    pub async fn post_raw(&self, path: &str, body: String, official: bool) -> (u16, Value) {
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if official {
            r = r.bearer_auth(&self.token);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POSTs `body` with the bearer `token` (another election's officials, the operator).
    pub async fn post_as(&self, path: &str, body: &Value, token: &str) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates election `id` through the operator's route; returns its officials' token.
    pub async fn create_election(&self, id: &str) -> String {
        let (st, v) = self
            .post_as("/api/v1/elections", &json!({ "id": id }), &self.operator)
            .await;
        assert_eq!(st, 201, "{v}");
        v["officials_token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, path: &str, body: &Value, official: bool) -> (u16, Value) {
        self.post_raw(path, body.to_string(), official).await
    }

    /// POSTs `{}` with the test election's officials' token.
    pub async fn official(&self, path: &str) -> (u16, Value) {
        self.post(path, &json!({}), true).await
    }

    pub fn size(&self) -> u64 {
        self.board.size()
    }
}

/// Asserts a JSON error with `status`, a non-empty detail, and returns its code.
#[track_caller]
pub fn expect_error(got: &(u16, Value), status: u16) -> String {
    assert_eq!(got.0, status, "unexpected answer: {}", got.1);
    let detail = got.1["detail"].as_str().unwrap_or("");
    assert!(!detail.is_empty(), "no detail in {}", got.1);
    got.1["error"].as_str().expect("error code").to_string()
}

/// An election driven by a test: the manifest, the ceremony log, the voters.
pub struct TestElection {
    pub manifest: Manifest,
    pub run: CeremonyRun,
    /// (credential secret, style)
    pub voters: Vec<(CredentialSecret, &'static str)>,
    pub election: Option<Election>,
}

pub fn create_body(manifest_toml: &str, run: &CeremonyRun) -> Value {
    json!({
        "manifest_toml": manifest_toml,
        "trustees": run.params.trustees().iter().map(|t| json!({
            "name": t.name,
            "signing_key": hex::encode(t.signing_key.as_bytes()),
            "ceremony_key": t.ceremony_key.to_hex(),
        })).collect::<Vec<_>>(),
    })
}

impl TestElection {
    pub fn new(rng: &mut ChaCha20Rng, voters: usize) -> Self {
        let manifest = Manifest::from_toml(MANIFEST).unwrap();
        let run = sim::run_ceremony(manifest.hash(), 3, 2, rng).unwrap();
        let voters = (0..voters)
            .map(|i| {
                (
                    CredentialSecret::from_scalar(random_scalar(rng)),
                    if i % 5 == 4 { "short" } else { "all" },
                )
            })
            .collect();
        TestElection {
            manifest,
            run,
            voters,
            election: None,
        }
    }

    pub fn credential_list(&self) -> CredentialList {
        CredentialList::new(
            &self.manifest,
            self.voters
                .iter()
                .map(|(c, style)| ListedCredential {
                    credential: c.public(),
                    style: style.to_string(),
                    weight: 1,
                })
                .collect(),
        )
    }

    /// Defines the election, runs the ceremony (messages posted through the service, as the
    /// ceremony routes do), completes it, publishes the credentials and opens voting.
    pub async fn open(&mut self, s: &Server) {
        let token = s.token.clone();
        self.open_at(s, crate::ELECTION, &token).await;
    }

    /// [`TestElection::open`] for election `id` of the service, with its officials' `token`.
    pub async fn open_at(&mut self, s: &Server, id: &str, token: &str) {
        let e = format!("/api/v1/elections/{id}");
        let (st, v) = s
            .post_as(
                &format!("{e}/definition"),
                &create_body(MANIFEST, &self.run),
                token,
            )
            .await;
        assert_eq!(st, 201, "{v}");
        self.post_ceremony_to(&s.state.election(id).unwrap()).await;
        let (st, v) = s
            .post_as(&format!("{e}/ceremony/complete"), &json!({}), token)
            .await;
        assert_eq!(st, 200, "{v}");
        self.set_key(&v["key"]);
        let (st, v) = s
            .post_as(
                &format!("{e}/credentials"),
                &serde_json::to_value(self.credential_list()).unwrap(),
                token,
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let (st, v) = s.post_as(&format!("{e}/open"), &json!({}), token).await;
        assert_eq!(st, 200, "{v}");
    }

    pub async fn post_ceremony(&self, s: &Server) {
        self.post_ceremony_to(&s.hosted).await;
    }

    /// Posts the ceremony's messages to `e` through its service (as the ceremony routes do).
    pub async fn post_ceremony_to(&self, e: &HostedElection) {
        for m in &self.run.log {
            e.election.post(Payload::Ceremony(m.clone())).await.unwrap();
        }
    }

    pub fn set_key(&mut self, key: &Value) {
        let k: psephos_record::KeyAnnouncement = serde_json::from_value(key.clone()).unwrap();
        assert_eq!(k.joint_key, self.run.outcomes[0].joint_key);
        self.election = Some(Election::new(self.manifest.clone(), k.joint_key).unwrap());
    }

    pub fn election(&self) -> &Election {
        self.election.as_ref().unwrap()
    }

    /// A valid ballot of voter `v` with random choices.
    pub fn ballot(&self, v: usize, rng: &mut ChaCha20Rng) -> (EncryptedBallot, BallotSecrets) {
        let (cred, style) = &self.voters[v];
        let p = sim::random_ballot(&self.manifest, style, rng).unwrap();
        encrypt_ballot(self.election(), cred, &p, rng).unwrap()
    }
}
