//! Running one trustee's side of the key ceremony against a server (§9.5.6).
//!
//! The loop is stateless apart from the board: each pass fetches the messages posted since the
//! last pass, feeds them to the trustee's [`Trustee`] state machine (which checks every one as
//! an observer would, and refuses a commitment signed with this trustee's key that is not its
//! own), asks the server which round is open, and posts this trustee's message for that round if
//! it has not posted it yet. The trustee's polynomial is derived from its secret keys and the
//! ceremony id, so an interrupted trustee resumes by replaying the board: it rebuilds exactly the
//! polynomial it committed to and carries on. Nothing secret is stored until the end, when the
//! final share is sealed next to the key file.
//!
//! `psephos trustee ceremony --server URL --key FILE` ([`command`]) runs this loop until the
//! server announces the joint key and prints where the sealed share went; it is safe to
//! interrupt and run again.

use super::client::{status_of, Client};
use super::keyfile::{share_path, Passphrase, TrusteeKeys, TrusteeShare};
use super::{passphrase, KeyArgs};
use anyhow::{bail, Context};
use psephos_core::ceremony::{
    CeremonyError, CeremonyParams, Round, SignedMessage, Trustee, TrusteeIndex,
};
use psephos_record::KeyAnnouncement;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election service (`http://host:port`).
    #[arg(long)]
    pub server: String,
    /// The election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION")]
    pub election: String,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Pause between checks of the board.
    #[arg(long, default_value = "250ms", value_parser = humantime::parse_duration)]
    pub poll: Duration,
}

/// `psephos trustee ceremony`: opens the key file, runs the ceremony to its end and prints the
/// trustee's index, the announced key and the sealed share's file as JSON.
pub async fn command(args: Args) -> anyhow::Result<()> {
    let pass = passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let client = Client::new(&crate::http::election_url(&args.server, &args.election)?)?;
    let opts = Options {
        poll: args.poll,
        verbose: true,
    };
    let done = run(&client, &args.key.key, &keys, &pass, &opts).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "trustee": done.index,
            "key": done.key,
            "share_file": done.share_file,
        }))?
    );
    Ok(())
}

/// How the loop behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Pause between passes.
    pub poll: Duration,
    /// Print progress on stderr.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            poll: Duration::from_millis(250),
            verbose: true,
        }
    }
}

/// What a completed ceremony leaves the trustee with.
#[derive(Debug)]
pub struct Finished {
    pub index: u32,
    pub key: KeyAnnouncement,
    /// Where the sealed share is.
    pub share_file: PathBuf,
}

/// Finds this trustee in the ceremony's parameters by its two public keys.
pub fn find_me(params: &CeremonyParams, keys: &TrusteeKeys) -> anyhow::Result<TrusteeIndex> {
    let sk = keys.signing_key.verifying_key();
    let ck = keys.ceremony_secret.public_key();
    params
        .trustees()
        .iter()
        .find(|t| t.signing_key == sk && t.ceremony_key == ck)
        .map(|t| t.index)
        .with_context(|| {
            format!(
                "trustee {:?} is not listed in this election's ceremony (no trustee has these keys)",
                keys.name
            )
        })
}

fn say(opts: &Options, s: impl AsRef<str>) {
    if opts.verbose {
        eprintln!("{}", s.as_ref());
    }
}

/// Posts `m`; a replay of a message already on the board is fine (an earlier pass or run sent it).
async fn post(client: &Client, m: &SignedMessage, opts: &Options) -> anyhow::Result<()> {
    match client.post_ceremony_message(m).await {
        Ok(p) => {
            say(
                opts,
                format!("posted {} at board index {}", m.message.round(), p.index),
            );
            Ok(())
        }
        Err(e) if status_of(&e) == Some(409) => {
            say(opts, format!("not posted ({e}); carrying on"));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Runs the ceremony to its end for the trustee whose key file is `key_path`.
pub async fn run(
    client: &Client,
    key_path: &Path,
    keys: &TrusteeKeys,
    pass: &Passphrase,
    opts: &Options,
) -> anyhow::Result<Finished> {
    let definition = client.definition().await?;
    let params = definition.ceremony.clone();
    let me = find_me(&params, keys)?;
    let mut trustee = Trustee::new(
        params.clone(),
        me,
        keys.signing_key.clone(),
        keys.ceremony_secret.clone(),
    )
    .context("the key file does not match this ceremony's parameters")?;
    say(
        opts,
        format!(
            "trustee {me} ({}) in ceremony {} ({} of {})",
            keys.name,
            params.id(),
            params.threshold(),
            params.count()
        ),
    );
    let share_file = share_path(key_path, &keys.name, params.id());
    let mut from = 0u64;
    let mut complained = false;
    let mut rng = rand_core::OsRng;
    loop {
        // 1. Ask which round is open, *then* catch up with the board (a resumed trustee replays
        //    everything here). The order matters: the server opens a round only once the
        //    previous one is settled on the board, so reading the board after the round means
        //    this trustee has seen every message of the rounds before it. Read the other way
        //    round, a share bundle landing between the two reads would look missing and draw a
        //    needless complaint.
        let info = client.ceremony().await?;
        from = catch_up(client, &mut trustee, from).await?;
        if info.complete {
            let Some(key) = info.key else {
                bail!("the server says the ceremony is complete but shows no key");
            };
            return finish(
                &trustee,
                &definition.manifest,
                key,
                &share_file,
                &keys.name,
                pass,
                opts,
            );
        }
        if let Some(f) = info.failure {
            bail!("the ceremony failed: {f}");
        }
        // 2. This trustee's message(s) for the open round, if not sent yet.
        let attempt = match info.round {
            Some(1) => trustee.round1(&mut rng).map(|m| vec![m]),
            Some(2) => trustee.round2(&mut rng).map(|m| vec![m]),
            Some(3) if !complained => {
                complained = true;
                let v = trustee.round3();
                if let Ok(v) = &v {
                    if !v.is_empty() {
                        say(opts, format!("complaining about {} dealer(s)", v.len()));
                    }
                }
                v
            }
            Some(4) => trustee.round4(),
            _ => Ok(Vec::new()),
        };
        match attempt {
            Ok(msgs) => {
                for m in &msgs {
                    post(client, m, opts).await?;
                }
            }
            Err(CeremonyError::AlreadySent { .. }) => {}
            Err(CeremonyError::RoundClosed { round, phase }) => {
                if round < Round::Complaints {
                    bail!("{round} closed before this trustee took part (the board is in {phase}): it will be disqualified");
                }
            }
            Err(e) => return Err(e).context("this trustee cannot take part"),
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// Feeds every ceremony message from board index `from` to `trustee`; returns the next index.
async fn catch_up(client: &Client, trustee: &mut Trustee, mut from: u64) -> anyhow::Result<u64> {
    for m in client.ceremony_messages(from).await? {
        trustee.receive(&m.message).map_err(|e| {
            anyhow::anyhow!(
                "board entry {} is a ceremony message this trustee rejects: {e}; \
                 the board is not following the ceremony's rules",
                m.index
            )
        })?;
        from = m.index + 1;
    }
    Ok(from)
}

fn finish(
    trustee: &Trustee,
    manifest: &psephos_core::election::Manifest,
    key: KeyAnnouncement,
    share_file: &Path,
    name: &str,
    pass: &Passphrase,
    opts: &Options,
) -> anyhow::Result<Finished> {
    let verdict = trustee
        .state()
        .outcome()
        .context("the server says the ceremony is complete, but its messages do not settle it")?;
    let mine = KeyAnnouncement::from_outcome(&verdict, manifest);
    if mine != key {
        bail!("the announced ceremony outcome differs from the one this trustee computed from the board");
    }
    let outcome = trustee
        .finish()
        .context("the ceremony is complete but this trustee has no share")?;
    let index = outcome.index.get();
    let share = TrusteeShare {
        ceremony: key.ceremony,
        trustee: index,
        verification_key: outcome.secret_share.public(),
        joint_key: outcome.joint_key,
        share: outcome.secret_share,
    };
    if share_file.exists() {
        let existing = TrusteeShare::read(share_file, pass)?;
        if existing.verification_key != share.verification_key {
            bail!(
                "{} holds a different share for this ceremony; not overwriting it",
                share_file.display()
            );
        }
    } else {
        share.write_new(share_file, name, pass)?;
    }
    say(
        opts,
        format!(
            "ceremony complete: trustee {index} qualified among {:?}; share sealed in {}",
            mine.qualified,
            share_file.display()
        ),
    );
    Ok(Finished {
        index,
        key,
        share_file: share_file.to_path_buf(),
    })
}
