//! `psephos trustee mix --server URL --election ID --key FILE --board-key VKEY [--witness VKEY …]`:
//! this trustee's shuffle of the mixed lists (`docs/protocol.md` §11.5, §13.8).
//!
//! Like `decrypt`, it acts only on what the independent verifier has passed: it waits until
//! the trustees before it (by index) have shuffled — or `--wait` runs out, when an absent one is
//! skipped — and until the last mix entry is sealed (and cosigned by the pinned witnesses'
//! quorum), downloads the election record, runs the verifier with the pinned keys, and refuses
//! unless every check up to the challenges and the mixing checks so far (22–24) pass. The lists
//! it shuffles are the verified record's current lists, which must also be the server's. The
//! shuffle is proved on the blocking pool (across cores), signed with the trustee's signing key
//! and posted as canonical bytes. A trustee that has already mixed does nothing.
//!
//! Shuffling needs no secret share (any trustee with a signing key could shuffle); the order of
//! the qualified trustees and the signature make the mixers the election's trustees, one of
//! whom must be honest for the rows to be unlinkable from the voters.

use super::client::Client;
use super::keyfile::{share_path, TrusteeKeys, TrusteeShare};
use super::tally::{fetch_and_verify, Trust};
use super::KeyArgs;
use crate::trust::TrustArgs;
use anyhow::{bail, Context};
use psephos_board::{Entry, EntryKind};
use psephos_core::encoding::Canonical;
use psephos_core::mix::MixGenerators;
use psephos_core::mixnet::{MixInput, MixedList, Shuffle};
use psephos_record::format::{RecordItem, RecordReader};
use psephos_record::payload::Part;
use psephos_record::verify::{CheckId, Report, Status};
use psephos_record::{Control, KeyAnnouncement, Payload};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

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
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Believe the board key the server's record names. Only for tests and demonstrations.
    #[arg(long, conflicts_with = "board_key")]
    pub trust_server_key: bool,
    /// How long to wait for the mix input, the trustees before this one, and the record to be
    /// sealed and cosigned.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub wait: Duration,
}

/// Reassembles the mix objects of a record from their parts (§11.5), in board order.
#[derive(Debug, Default)]
pub struct MixReader {
    pending: Option<(EntryKind, Vec<u8>)>,
    input: Option<MixInput>,
    shuffles: Vec<Shuffle>,
}

impl MixReader {
    /// Feeds one record entry (any kind).
    pub fn entry(&mut self, index: u64, e: &Entry) -> anyhow::Result<()> {
        if !matches!(e.kind, EntryKind::MixInput | EntryKind::Shuffle) {
            return Ok(());
        }
        let part = Part::from_canonical_bytes(&e.payload)
            .with_context(|| format!("record entry {index} is not a mix part"))?;
        let (_, bytes) = self.pending.get_or_insert_with(|| (e.kind, Vec::new()));
        bytes.extend_from_slice(&part.bytes);
        if part.index + 1 < part.count {
            return Ok(());
        }
        let Some((kind, bytes)) = self.pending.take() else {
            return Ok(());
        };
        match kind {
            EntryKind::MixInput => {
                self.input = Some(
                    MixInput::from_canonical_bytes(&bytes)
                        .with_context(|| format!("the mix input ending at entry {index}"))?,
                );
            }
            _ => self.shuffles.push(
                Shuffle::from_canonical_bytes(&bytes)
                    .with_context(|| format!("the shuffle ending at entry {index}"))?,
            ),
        }
        Ok(())
    }

    /// The current lists: the last shuffle's output, else the mix input's; `None` without a
    /// mix input.
    pub fn current(&self) -> Option<Vec<MixedList>> {
        match self.shuffles.last() {
            Some(s) => Some(s.outputs()),
            None => self.input.as_ref().map(|i| i.lists.clone()),
        }
    }
}

/// The verifier's verdict on what a shuffle depends on: every check up to the challenges and
/// the mixing so far (22–24); the board's witness cosignatures may still be arriving.
fn gate(report: &Report) -> Result<(), (bool, String)> {
    let last = CheckId::Challenges.number();
    let mut failed = Vec::new();
    let mut pending = None;
    for c in report.checks.iter() {
        let mixing = matches!(
            c.id,
            CheckId::MixInput | CheckId::MixShuffles | CheckId::MixMixers
        );
        if c.number > last && !mixing {
            continue;
        }
        let detail = c.details.first().cloned().unwrap_or_default();
        match (c.id, c.status) {
            (_, Status::Pass) => {}
            (CheckId::MixInput, Status::NotApplicable) => {
                pending.get_or_insert_with(|| "the record has no mix input yet".to_string());
            }
            (CheckId::BoardWitnesses, Status::Fail) => {
                pending.get_or_insert_with(|| detail.clone());
                failed.push((c.id, detail));
            }
            (CheckId::BoardWitnesses, _) => failed.push((c.id, detail)),
            (_, Status::NotApplicable) => {}
            (id, _) => failed.push((id, detail)),
        }
    }
    let only_witnesses = failed.iter().all(|(id, _)| *id == CheckId::BoardWitnesses);
    match pending {
        Some(why) if only_witnesses => Err((true, why)),
        _ if failed.is_empty() => Ok(()),
        _ => Err((
            false,
            failed
                .iter()
                .map(|(id, d)| format!("{} failed ({d})", id.id()))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

/// The key announcement and the current lists of a verified record.
fn read_record(spool: &Path) -> anyhow::Result<(KeyAnnouncement, Option<Vec<MixedList>>)> {
    let file = File::open(spool).with_context(|| format!("opening {}", spool.display()))?;
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 20, file))?;
    let mut key = None;
    let mut mix = MixReader::default();
    while let Some(item) = reader.next_item()? {
        let RecordItem::Entry(e) = item else { continue };
        if e.entry.kind == EntryKind::Control {
            if let Ok(Payload::Control(Control::CeremonyComplete(k))) =
                Payload::decode(e.entry.kind, &e.entry.payload)
            {
                key = Some(k);
            }
        }
        mix.entry(e.index, &e.entry)?;
    }
    let key = key.context("the verified record holds no key announcement")?;
    Ok((key, mix.current()))
}

/// What `mix` did: `None` when this trustee had already mixed.
#[derive(Debug)]
pub struct Mixed {
    pub trustee: u32,
    pub index: Option<u64>,
    pub verified_entries: u64,
}

/// Waits for this trustee's turn, verifies the record and posts its shuffle.
pub async fn mix(
    client: &Client,
    key_path: &Path,
    keys: &TrusteeKeys,
    pass: &super::keyfile::Passphrase,
    trust: &Trust,
) -> anyhow::Result<Mixed> {
    let deadline = Instant::now() + trust.wait;
    let spool = tempfile::NamedTempFile::new().context("creating a temporary file")?;
    // This trustee's index, from its share of the ceremony the server announces (checked
    // against the verified record below).
    let mut me: Option<u32> = None;
    loop {
        let info = client.mix().await?;
        if !info.mixed {
            bail!("this election counts no contest by the mixnet: there is nothing to shuffle");
        }
        let Some(_) = info.input_index else {
            if Instant::now() >= deadline {
                bail!("no mix input after {}s (the officials post it with `psephos election mix` after closing)", trust.wait.as_secs());
            }
            tokio::time::sleep(trust.poll).await;
            continue;
        };
        // The record so far, verified: the key announcement names this trustee's share.
        let last = info
            .mixers
            .last()
            .map_or(info.input_index.unwrap_or(0), |m| m.index);
        if !client.sealed(last).await? {
            if Instant::now() >= deadline {
                bail!(
                    "the board has not sealed entry {last} after {}s",
                    trust.wait.as_secs()
                );
            }
            tokio::time::sleep(trust.poll).await;
            continue;
        }
        let report = fetch_and_verify(client, spool.path(), trust).await?;
        match gate(&report) {
            Ok(()) => {}
            Err((false, why)) => bail!(
                "REFUSING TO MIX: the election record does not verify: {why}; report this server"
            ),
            Err((true, why)) => {
                if Instant::now() >= deadline {
                    bail!(
                        "REFUSING TO MIX: after {}s the record is not ready: {why}",
                        trust.wait.as_secs()
                    );
                }
                tokio::time::sleep(trust.poll).await;
                continue;
            }
        }
        let (key, lists) = read_record(spool.path())?;
        let j = match me {
            Some(j) => j,
            None => {
                let file = share_path(key_path, &keys.name, &key.ceremony);
                let m = TrusteeShare::read(&file, pass).with_context(|| {
                    format!(
                        "this trustee's share for ceremony {} (written by `psephos trustee ceremony`)",
                        key.ceremony
                    )
                })?;
                if key.verification_key(m.trustee) != Some(m.verification_key) {
                    bail!("the record's announced keys do not match this trustee's share");
                }
                me = Some(m.trustee);
                m.trustee
            }
        };
        if !key.qualified.contains(&j) {
            bail!("trustee {j} is not qualified in this election: it does not mix");
        }
        if info.mixers.iter().any(|m| m.mixer == j) {
            return Ok(Mixed {
                trustee: j,
                index: None,
                verified_entries: report.entries,
            });
        }
        if info.mixers.last().is_some_and(|m| m.mixer > j) {
            bail!(
                "trustee {} has already mixed after this trustee's turn: too late",
                info.mixers.last().map_or(0, |m| m.mixer)
            );
        }
        // Wait for the qualified trustees before this one, until the deadline.
        let before = key.qualified.iter().filter(|&&q| q < j).count();
        let done_before = info.mixers.iter().filter(|m| m.mixer < j).count();
        if done_before < before && Instant::now() < deadline {
            tokio::time::sleep(trust.poll).await;
            continue;
        }
        let Some(lists) = lists else {
            bail!("the verified record holds no mix input");
        };
        // The record's lists must be the server's current ones (else another shuffle landed).
        let digest = psephos_core::mixnet::lists_digest(
            &key.election_hash,
            lists.iter().map(|l| (l.contest.as_str(), &l.list)),
        );
        if Some(digest) != info.digest {
            tokio::time::sleep(trust.poll).await;
            continue;
        }
        let hash = key.election_hash;
        let joint = key.joint_key;
        let signing = keys.signing_key.clone();
        let shuffle = tokio::task::spawn_blocking(move || -> anyhow::Result<Shuffle> {
            let rows = lists.iter().map(|l| l.list.len()).max().unwrap_or(0);
            let generators = MixGenerators::standard(rows)?;
            let ek = psephos_core::elgamal::ElectionKey::new(joint)?;
            Ok(Shuffle::make(
                &hash,
                &ek,
                &generators,
                j,
                &lists,
                &signing,
                &mut rand_core::OsRng,
            )?)
        })
        .await
        .context("the shuffle stopped")??;
        let p: psephos_api::mix::ShufflePosted = client
            .post_bytes("/mix/shuffles", shuffle.to_canonical_bytes())
            .await?;
        return Ok(Mixed {
            trustee: j,
            index: Some(p.index),
            verified_entries: report.entries,
        });
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let d = super::decrypt::Args {
        server: args.server.clone(),
        election: args.election.clone(),
        key: args.key.clone(),
        trust: args.trust.clone(),
        trust_server_key: args.trust_server_key,
        wait: args.wait,
    };
    let trust = super::decrypt::trust(&d)?;
    let pass = super::passphrase(args.key.passphrase_file.as_deref(), false)?;
    let keys = TrusteeKeys::read(&args.key.key, &pass)?;
    let client = Client::new(&crate::http::election_url(&args.server, &args.election)?)?;
    eprintln!("waiting for this trustee's turn and verifying the election record …");
    let m = mix(&client, &args.key.key, &keys, &pass, &trust).await?;
    match m.index {
        Some(i) => eprintln!(
            "the election record verifies ({} entries); shuffle of trustee {} posted at index {i}",
            m.verified_entries, m.trustee
        ),
        None => eprintln!("trustee {} has already mixed: nothing to do", m.trustee),
    }
    println!(
        "{}",
        serde_json::json!({"trustee": m.trustee, "index": m.index})
    );
    Ok(())
}
