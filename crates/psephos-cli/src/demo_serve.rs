//! `psephos demo --serve` (what `make demo` runs): a real election service on this machine with
//! sample elections open for voting, so that a person can vote in the booth and watch the boards.
//!
//! Nothing is simulated on the server side: the process starts `psephos serve`'s service on a
//! SQLite database in a demo directory and, for each `--config` (three sample elections by
//! default: municipal, referendum, and the ranked one), creates the election as the operator does, defines it over HTTP with its officials'
//! token, lets three trustee clients (the code of `psephos trustee ceremony`, with key files in
//! the demo directory) run the key ceremony against it, publishes a credential list made by the
//! credential authority's code, and opens voting. A witness (the code of `psephos witness run`)
//! follows each election's board and cosigns its checkpoints, so the booth's receipts and the
//! observer page show the trust model at work. It prints the list and each election's booth and
//! observer URLs, a few credential codes to vote with, the keys to pin in the observer page, and
//! the commands that close, mix (an election with mixed or ranked contests: the officials' mix
//! and each trustee's shuffle), tally, decrypt, export and verify — naming this very binary, so
//! they work from where `make demo` ran.
//!
//! The demo directory holds secrets (trustee key files sealed under a passphrase printed on the
//! screen, voter credential codes): it is a demonstration, not a deployment.

use crate::credentials::PRIVATE_HEADER;
use crate::election::{phase, post_as_official};
use crate::files::{self, Access};
use crate::keys::SecretKey;
use crate::trustee::ceremony::{self, Options};
use crate::trustee::client::Client;
use crate::trustee::keyfile::{Passphrase, TrusteeKeys};
use anyhow::{bail, Context};
use psephos_api::election::{CredentialsPosted, DefineElection, Defined, Posted};
use psephos_board::election_key::ElectionSlug;
use psephos_board::note::SignatureType;
use psephos_core::credential::CredentialCode;
use psephos_core::election::Manifest;
use psephos_record::credentials::{CredentialList, ListedCredential};
use psephos_server::auth::{NewToken, TokenHash};
use psephos_server::catalog::Catalog;
use psephos_server::ceremony::CeremonySchedule;
use psephos_server::{serve, AppState, ServiceBoard, ServiceConfig, Visibility};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Marks a directory this command made, so that a rerun may clear it and nothing else.
const MARKER: &str = ".psephos-demo";
/// The demo election's id when the manifest's id is not a valid one.
const DEMO_ELECTION: &str = "demo";
/// The trustees' passphrase in the demo (printed: this is a demonstration).
const DEMO_PASSPHRASE: &str = "demo passphrase";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The elections to run, one manifest each (repeat it): every one is an election of the
    /// one service, with its own board, trustees and voters.
    #[arg(
        long = "config",
        default_values = [
            "election-config/municipal-2026.toml",
            "election-config/referendum.toml",
            "election-config/ranked-2026.toml",
        ]
    )]
    pub configs: Vec<PathBuf>,
    /// Where the board, the trustees' key files and the credential codes go. Cleared at start
    /// if an earlier demo made it; refused if it is anything else.
    #[arg(long, default_value = "demo-election")]
    pub dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Voters per ballot style.
    #[arg(long, default_value_t = 10)]
    pub voters_per_style: usize,
    /// The web app to serve at `/` (default: `web/dist` if it exists).
    #[arg(long)]
    pub web: Option<PathBuf>,
}

fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            bail!(
                "{} exists and was not made by `psephos demo --serve`; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("trustees"))?;
    std::fs::write(dir.join(MARKER), "made by psephos demo --serve\n")?;
    Ok(())
}

/// How to run this binary again from the current directory: `psephos` if that is what `PATH`
/// finds, else its path relative to here (`target/debug/psephos` after `make demo`), else its
/// full path.
fn this_command() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "psephos".into();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            d.join("psephos")
                .canonicalize()
                .is_ok_and(|found| exe.canonicalize().is_ok_and(|e| e == found))
        })
    });
    if on_path {
        return "psephos".into();
    }
    let relative = std::env::current_dir()
        .ok()
        .and_then(|here| exe.strip_prefix(here).ok().map(Path::to_path_buf));
    relative.unwrap_or(exe).display().to_string()
}

/// The demo's witness of one election: `psephos witness run`'s loop, in this process, until
/// the demo stops.
async fn run_witness(
    base: String,
    board_key: psephos_board::note::VerifierKey,
    cosigner: psephos_board::checkpoint::Cosigner,
    state: PathBuf,
) {
    let origin = board_key.name().to_string();
    let mut w = match crate::witness::Witness::new(&base, &origin, board_key, cosigner, &state) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "the demo witness cannot start");
            return;
        }
    };
    loop {
        match w.step().await {
            Ok(crate::witness::Step::Inconsistent { evidence }) => {
                tracing::error!(evidence = %evidence.display(), "the demo witness saw an inconsistent board");
                return;
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "demo witness step failed; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One demo election, open for voting: what the demo prints about it.
struct DemoElection {
    slug: ElectionSlug,
    name: String,
    threshold: usize,
    board_key: String,
    token: NewToken,
    trustees: Vec<PathBuf>,
    shown: Vec<(String, String)>,
    credentials: usize,
    dir: PathBuf,
    /// Whether a contest is counted by the mixnet (every ranked contest is): finishing it
    /// takes the mix and the trustees' shuffles before the tally.
    mixed: bool,
}

/// Everything the demo's elections share: the service and the people who act on it.
struct Demo<'a> {
    state: &'a AppState,
    http: reqwest::Client,
    service_url: String,
    witness: &'a SecretKey,
    voters_per_style: usize,
}

impl Demo<'_> {
    /// Creates the election of `config` in the service (as the operator's `POST
    /// /api/v1/elections` does), starts its witness, defines it, runs its key ceremony with three
    /// trustee clients over HTTP, publishes its credentials and opens it.
    async fn set_up(
        &self,
        config: &Path,
        dir: &Path,
        taken: &[ElectionSlug],
    ) -> anyhow::Result<(DemoElection, tokio::task::JoinHandle<()>)> {
        let manifest_toml = std::fs::read_to_string(config)
            .with_context(|| format!("reading {}", config.display()))?;
        let manifest = Manifest::from_toml(&manifest_toml)
            .with_context(|| format!("in {}", config.display()))?;
        let slug = ElectionSlug::new(&manifest.id)
            .ok()
            .filter(|s| !taken.contains(s))
            .map_or_else(
                || ElectionSlug::new(&format!("{DEMO_ELECTION}-{}", taken.len() + 1)),
                Ok,
            )?;
        let dir = dir.join(slug.as_str());
        std::fs::create_dir_all(dir.join("trustees"))?;
        let token = NewToken::generate();
        let hosted = self
            .state
            .create(slug.clone(), Visibility::Public, TokenHash::of(&token))
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo election {slug}: {e}"))?;
        let board_key = hosted.board.verifier_key().clone();
        let base = crate::http::election_url(&self.service_url, slug.as_str())?;
        let cosigner = psephos_board::checkpoint::Cosigner::new(
            &self.witness.name,
            self.witness.signing_key.clone(),
        )?;
        let witness = tokio::spawn(run_witness(
            base.clone(),
            board_key.clone(),
            cosigner,
            dir.join("witness-state"),
        ));

        // Trustees: key files sealed under the demo passphrase; the officials list their keys.
        let count = manifest.trustees.count;
        eprintln!(
            "defining {:?} ({slug}) with {} trustees (any {} decrypt)…",
            manifest.name, count, manifest.trustees.threshold
        );
        let pass = Passphrase::new(DEMO_PASSPHRASE.to_string());
        let mut trustees = Vec::new();
        let mut publics = Vec::new();
        for i in 1..=count {
            let keys = TrusteeKeys::generate(&format!("trustee-{i}"))?;
            let (secret_path, _) = keys.write_new(&dir.join("trustees"), &pass)?;
            publics.push(keys.public());
            trustees.push((secret_path, keys));
        }
        let http = &self.http;
        let _: Defined = post_as_official(
            http,
            &base,
            token.expose(),
            "/definition",
            &DefineElection {
                manifest_toml,
                trustees: publics,
            },
        )
        .await?;

        // The key ceremony, run by the trustee clients over HTTP.
        eprintln!("running the key ceremony of {slug}…");
        let client = Client::new(&base)?;
        let opts = Options {
            poll: Duration::from_millis(100),
            verbose: false,
        };
        let runs = trustees
            .iter()
            .map(|(path, keys)| ceremony::run(&client, path, keys, &pass, &opts));
        for r in futures_util::future::join_all(runs).await {
            r.context("a trustee's ceremony failed")?;
        }
        for _ in 0..600 {
            if phase(http, &base).await.as_deref() != Some("ceremony") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Credentials: the credential authority's job, done here with the same code.
        let mut rng = rand_core::OsRng;
        let mut listed = Vec::new();
        let mut codes = format!("{PRIVATE_HEADER}\n");
        let mut shown = Vec::new();
        for style in &manifest.ballot_styles {
            for v in 0..self.voters_per_style {
                let code = CredentialCode::generate(&mut rng);
                let voter = format!("{}-{}", style.id, v + 1);
                codes.push_str(&format!("{voter},,,{},1,{}\n", style.id, code.expose()));
                if v < 2 {
                    shown.push((style.id.clone(), code.expose().to_string()));
                }
                listed.push(ListedCredential {
                    credential: code.secret(&manifest.id).public(),
                    style: style.id.clone(),
                    weight: 1,
                });
            }
        }
        files::write_new(
            &dir.join("credentials.secret.csv"),
            codes.as_bytes(),
            Access::Secret,
        )?;
        let list = CredentialList::new(&manifest, listed);
        let _: CredentialsPosted =
            post_as_official(http, &base, token.expose(), "/credentials", &list).await?;
        let _: Posted = post_as_official(
            http,
            &base,
            token.expose(),
            "/open",
            &serde_json::Map::new(),
        )
        .await?;
        Ok((
            DemoElection {
                slug,
                name: manifest.name.clone(),
                threshold: manifest.trustees.threshold as usize,
                board_key: board_key.to_string(),
                token,
                trustees: trustees.into_iter().map(|(p, _)| p).collect(),
                shown,
                credentials: list.credentials.len(),
                dir,
                mixed: manifest.contests.iter().any(|c| c.is_mixed()),
            },
            witness,
        ))
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(!args.configs.is_empty(), "give at least one --config");
    prepare_dir(&args.dir)?;
    let dir = args.dir.clone();

    // The service, exactly as `psephos serve` runs it.
    let key = SecretKey::generate("demo.psephos.example", SignatureType::Ed25519)?;
    key.write_new(&dir.join("board.secret.key"))?;
    // The demo's witness: in a real election another organisation runs it on its own machine.
    let witness_key =
        SecretKey::generate("witness.demo.psephos.example", SignatureType::CosignatureV1)?;
    witness_key.write_new(&dir.join("witness.secret.key"))?;
    let witness_verifier = witness_key.verifier_key()?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("board.db").display());
    let boards = ServiceBoard {
        database: url.clone(),
        origin: key.name.clone(),
        key: key.signing_key.clone(),
        witnesses: vec![witness_verifier.clone()],
        seal_interval: Duration::from_millis(500),
        read_connections: 2,
        shared: false,
        sealer_lease: std::time::Duration::from_secs(3),
        read_replica: None,
        commit_group: true,
    };
    let service = ServiceConfig {
        web_dir: args.web.clone().or_else(|| {
            let d = PathBuf::from("web/dist");
            d.is_dir().then_some(d)
        }),
        // A short complaint window: the demo's trustees are honest and in this process.
        schedule: CeremonySchedule {
            complaint_window: Duration::from_secs(1),
            ..Default::default()
        },
        ..ServiceConfig::default()
    };
    let catalog = Catalog::open(&url)
        .await
        .context("opening the service catalog")?;
    let (operator_hash, _) = catalog.operator_token(true).await?;
    let state = AppState::open(boards, catalog, service)
        .await?
        .with_operator(operator_hash);
    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let service_url = format!("http://{addr}");
    let server = serve(listener, state.clone())?;
    let handle = server.handle();
    let running = tokio::spawn(server);
    let demo = Demo {
        state: &state,
        http: reqwest::Client::new(),
        service_url: service_url.clone(),
        witness: &witness_key,
        voters_per_style: args.voters_per_style,
    };
    let mut elections = Vec::new();
    let mut witnesses = Vec::new();
    for config in &args.configs {
        let taken: Vec<ElectionSlug> = elections
            .iter()
            .map(|e: &DemoElection| e.slug.clone())
            .collect();
        let (e, w) = demo.set_up(config, &dir, &taken).await?;
        elections.push(e);
        witnesses.push(w);
    }

    println!();
    println!(
        "{} demo elections are open, served by one psephos serve:",
        elections.len()
    );
    println!();
    println!("  all elections    {service_url}/");
    println!("  API document     {service_url}/api/openapi.json");
    for e in &elections {
        let pages = format!("{service_url}/e/{}", e.slug);
        println!();
        println!("{:?} (election id {}):", e.name, e.slug);
        println!("  voting booth     {pages}/");
        println!("  check a ballot   {pages}/check.html");
        println!("  observer         {pages}/observer.html");
        println!("  results          {pages}/results.html");
        println!(
            "  credentials to vote with (all {} are in {}):",
            e.credentials,
            e.dir.join("credentials.secret.csv").display()
        );
        for (style, code) in &e.shown {
            println!("    {code}   (ballot style {style})");
        }
        println!("  board key to pin {}", e.board_key);
    }
    println!();
    println!("Keys to pin in the observer page (an observer gets them from the officials, not from this server):");
    println!("  witness   {witness_verifier}   (a witness running in this demo cosigns every checkpoint)");
    println!();
    let psephos = this_command();
    println!("Check that the booth served is the one each board pins (its booth manifest; add --build web/dist to compare with your own build):");
    for e in &elections {
        println!(
            "  {psephos} verify-booth {service_url} --election {} --board-key '{}' --witness '{witness_verifier}' --quorum 1",
            e.slug, e.board_key
        );
    }
    println!();
    println!("To finish the elections (in another terminal, from this directory):");
    for e in &elections {
        println!(
            "  export PSEPHOS_SERVER={service_url} PSEPHOS_ELECTION={} PSEPHOS_OFFICIALS_TOKEN={}",
            e.slug,
            e.token.expose()
        );
        if e.mixed {
            // The mixnet first (docs/protocol.md §13): each trustee shuffles after the ones
            // before it, then the tally; the decryptions also decrypt the mixed rows.
            println!("  {psephos} election close && {psephos} election mix");
            for t in &e.trustees {
                println!(
                    "  PSEPHOS_TRUSTEE_PASSPHRASE='{DEMO_PASSPHRASE}' {psephos} trustee mix --server {service_url} --key {} --board-key '{}' --witness '{witness_verifier}' --quorum 1",
                    t.display(),
                    e.board_key
                );
            }
            println!("  {psephos} election tally");
        } else {
            println!("  {psephos} election close && {psephos} election tally");
        }
        for t in e.trustees.iter().take(e.threshold) {
            println!(
                "  PSEPHOS_TRUSTEE_PASSPHRASE='{DEMO_PASSPHRASE}' {psephos} trustee decrypt --server {service_url} --key {} --board-key '{}' --witness '{witness_verifier}' --quorum 1",
                t.display(),
                e.board_key
            );
        }
        println!(
            "  {psephos} record export --server {service_url} --out {}.record",
            e.slug
        );
        println!(
            "  {psephos} verify {}.record --board-key '{}' --witness '{witness_verifier}' --quorum 1",
            e.slug, e.board_key
        );
    }
    println!();
    println!(
        "Ctrl-C stops the server (the boards stay in {}).",
        dir.display()
    );

    crate::serve::stop_signal().await;
    for w in witnesses {
        w.abort();
    }
    state.shutdown().await;
    handle.stop(true).await;
    let _ = running.await;
    state.save_snapshots().await;
    state.close_boards().await;
    Ok(())
}
