//! A trustee's decryption (§9.5.7): never decrypt what an independent verifier has not passed.
//!
//! A decryption share is a partial decryption of whatever ciphertext the trustee is shown, and
//! shares are public: decrypting one voter's ballot, or a sum that contains a ballot built from
//! another voter's ciphertexts without valid proofs, would publish a vote. So before computing
//! its share the trustee downloads the election record (`GET /api/v1/record`, the format of
//! `docs/record.md`) and runs the full independent verifier ([`verify_record_with`], the code of
//! `psephos verify`) with the board key and the witnesses pinned from its own configuration —
//! never from the server's word. Every check up to and including `tally.aggregate` must pass:
//! the checkpoints are signed by the pinned board key and cosigned by the pinned witness quorum
//! (so the server cannot show the trustee a private board), every ballot's proofs verify, and
//! the tally is the weighted sum of the last ballot of each credential. The tally decrypted is
//! then the record's tally entry, which must also be exactly what `GET /api/v1/tally` shows.
//!
//! The record covers sealed entries only, so the trustee waits (polling, with a deadline) until
//! the tally entry is sealed and its checkpoint carries the witness quorum.

use super::client::Client;
use super::keyfile::{share_path, Passphrase, TrusteeKeys, TrusteeShare};
use anyhow::{bail, Context};
use psephos_board::note::VerifierKey;
use psephos_board::EntryKind;
use psephos_core::encoding::Canonical;
use psephos_core::tally::{DecryptionShare, EncryptedTally};
use psephos_record::format::{RecordItem, RecordReader};
use psephos_record::verify::{
    verify_record_with, CheckId, NoProgress, OpenWith, Report, Status, VerifyOptions,
};
use psephos_record::{Control, KeyAnnouncement, Payload};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the trustee trusts, from its own configuration (never from the server).
#[derive(Debug, Clone)]
pub struct Trust {
    /// The board's verifier key; `None` only with `--trust-server-key` (the record's header is
    /// then believed, which a dishonest server controls).
    pub board_key: Option<VerifierKey>,
    /// The witnesses whose cosignatures count.
    pub witnesses: Vec<VerifierKey>,
    /// Distinct witness cosignatures required on the record's last checkpoint.
    pub quorum: u32,
    /// How long to wait for the tally to be sealed and cosigned.
    pub wait: Duration,
    /// Pause between two polls.
    pub poll: Duration,
}

impl Trust {
    /// A pinned board key, the given witnesses and quorum, default waiting.
    pub fn pinned(board_key: VerifierKey, witnesses: Vec<VerifierKey>, quorum: u32) -> Self {
        Trust {
            board_key: Some(board_key),
            witnesses,
            quorum,
            wait: Duration::from_secs(120),
            poll: Duration::from_millis(500),
        }
    }

    pub(crate) fn options(&self) -> VerifyOptions {
        VerifyOptions {
            board_key: self.board_key.clone(),
            witnesses: Some(self.witnesses.clone()),
            quorum: Some(self.quorum),
            anchors: Vec::new(),
        }
    }
}

/// What `decrypt` did.
#[derive(Debug)]
pub struct Decrypted {
    pub trustee: u32,
    /// Board index of the tally share (of the mixed share if only that was posted).
    pub index: u64,
    /// Board index of the first part of the mixed decryption share, if one was posted.
    pub mix_index: Option<u64>,
    pub result_index: Option<u64>,
    /// Entries of the record the verifier checked.
    pub verified_entries: u64,
    /// Ballots cast in the verified record.
    pub verified_ballots: u64,
}

/// The verifier's verdict on the checks a decryption depends on.
enum Verdict {
    /// Every check up to and including `tally.aggregate` passes.
    Ready,
    /// Not yet: the tally is not in the record, or the last checkpoint lacks the witness
    /// quorum (witnesses cosign after the block is sealed). Why, for the timeout message.
    Pending(String),
    /// A check failed: refuse.
    Refused(Vec<(CheckId, String)>),
}

/// The checks a share depends on: everything up to and including `tally.aggregate`. The later
/// ones (shares, combination, result) are about decryptions still to come.
fn gate(report: &Report) -> Verdict {
    let last = CheckId::TallyAggregate.number();
    let mut failed = Vec::new();
    let mut pending = None;
    // The mixing before the tally (checks 22–24) too: the final lists are decrypted next.
    let mixing = |id: CheckId| {
        matches!(
            id,
            CheckId::MixInput | CheckId::MixShuffles | CheckId::MixMixers
        )
    };
    for c in report
        .checks
        .iter()
        .filter(|c| c.number <= last || mixing(c.id))
    {
        let detail = c.details.first().cloned().unwrap_or_default();
        match (c.id, c.status) {
            (_, Status::Pass) => {}
            // No trusted checkpoint is given: nothing to compare with.
            (CheckId::BoardAnchors, Status::NotApplicable) => {}
            // The record does not reach the tally yet.
            (CheckId::TallyAggregate | CheckId::BallotsRevote, Status::NotApplicable) => {
                pending.get_or_insert_with(|| {
                    format!("the record has no sealed encrypted tally yet ({detail})")
                });
            }
            // Nothing to check (e.g. no challenged ballot): not a failure.
            (_, Status::NotApplicable)
                if !matches!(
                    c.id,
                    CheckId::TallyAggregate | CheckId::BallotsRevote | CheckId::BoardWitnesses
                ) => {}
            // Cosignatures arrive after the block is sealed.
            (CheckId::BoardWitnesses, Status::Fail) => {
                pending.get_or_insert_with(|| detail.clone());
                failed.push((c.id, detail));
            }
            (id, _) => failed.push((id, detail)),
        }
    }
    let only_witnesses = failed.iter().all(|(id, _)| *id == CheckId::BoardWitnesses);
    match pending {
        Some(why) if only_witnesses => Verdict::Pending(why),
        _ if failed.is_empty() => Verdict::Ready,
        _ => Verdict::Refused(failed),
    }
}

/// What the trustee takes from the verified record.
struct Verified {
    report: Report,
    tally_index: u64,
    tally_bytes: Vec<u8>,
    tally: EncryptedTally,
    key: KeyAnnouncement,
    /// The final mixed lists (those of the last shuffle before the tally), if anything is mixed.
    mixed: Option<Vec<psephos_core::mixnet::MixedList>>,
}

/// Downloads the record into `spool` and verifies it (on a blocking thread: it is CPU-bound).
pub(crate) async fn fetch_and_verify(
    client: &Client,
    spool: &Path,
    trust: &Trust,
) -> anyhow::Result<Report> {
    client.record_to(spool).await?;
    let path: PathBuf = spool.to_path_buf();
    let options = trust.options();
    tokio::task::spawn_blocking(move || {
        let source =
            OpenWith(move || File::open(&path).map(|f| BufReader::with_capacity(1 << 20, f)));
        verify_record_with(&source, &options, &mut NoProgress)
    })
    .await
    .context("the verifier stopped")
}

/// The tally entry and the key announcement of a record the verifier has passed.
fn read_verified(spool: &Path, report: Report) -> anyhow::Result<Verified> {
    let file = File::open(spool).with_context(|| format!("opening {}", spool.display()))?;
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 20, file))?;
    let mut tally = None;
    let mut key = None;
    let mut mix = super::mix::MixReader::default();
    while let Some(item) = reader.next_item()? {
        let RecordItem::Entry(e) = item else { continue };
        if tally.is_none() {
            mix.entry(e.index, &e.entry)?;
        }
        match e.entry.kind {
            EntryKind::EncryptedTally => {
                if tally.is_some() {
                    bail!("the record holds two encrypted tallies");
                }
                match Payload::decode(e.entry.kind, &e.entry.payload) {
                    Ok(Payload::Tally(t)) => tally = Some((e.index, e.entry.payload, t)),
                    _ => bail!("record entry {} is not an encrypted tally", e.index),
                }
            }
            EntryKind::Control => {
                if let Ok(Payload::Control(Control::CeremonyComplete(k))) =
                    Payload::decode(e.entry.kind, &e.entry.payload)
                {
                    key = Some(k);
                }
            }
            _ => {}
        }
    }
    let Some((tally_index, tally_bytes, tally)) = tally else {
        bail!("the verified record holds no encrypted tally");
    };
    let key = key.context("the verified record holds no key announcement")?;
    Ok(Verified {
        report,
        tally_index,
        tally_bytes,
        tally,
        key,
        mixed: mix.current(),
    })
}

/// Waits until the record contains the posted tally under a checkpoint with the witness quorum,
/// verifies it, and returns what it verified; refuses on any failed check.
async fn verified_record(client: &Client, trust: &Trust) -> anyhow::Result<Verified> {
    let deadline = Instant::now() + trust.wait;
    let info = client.tally().await?;
    let (Some(_), Some(index)) = (&info.tally, info.index) else {
        bail!("no encrypted tally is posted yet (voting must be closed and the tally computed)");
    };
    // Cheap polling first: the tally entry's block.
    loop {
        if client.sealed(index).await? {
            break;
        }
        if Instant::now() >= deadline {
            bail!(
                "the tally (board entry {index}) is still not sealed after {}s; try again later",
                trust.wait.as_secs()
            );
        }
        tokio::time::sleep(trust.poll).await;
    }
    let spool = tempfile::NamedTempFile::new().context("creating a temporary file")?;
    loop {
        let report = fetch_and_verify(client, spool.path(), trust).await?;
        // The record stops at the last block with the witness quorum: until the witnesses
        // have cosigned past the tally it may even stop inside the ceremony, which is not yet
        // a failure of the board.
        let verdict = if report.entries <= index {
            Verdict::Pending(format!(
                "the record's last cosigned block holds {} entries, the tally is entry {index}",
                report.entries
            ))
        } else {
            gate(&report)
        };
        match verdict {
            Verdict::Ready => return read_verified(spool.path(), report),
            Verdict::Refused(failed) => bail!(
                "REFUSING TO DECRYPT: the election record does not verify: {}; report this server",
                failed
                    .iter()
                    .map(|(id, d)| format!("{} failed ({d})", id.id()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Verdict::Pending(why) => {
                if Instant::now() >= deadline {
                    bail!(
                        "REFUSING TO DECRYPT: after {}s the record still does not show the tally \
                         sealed and cosigned by the witness quorum: {why}",
                        trust.wait.as_secs()
                    );
                }
                tokio::time::sleep(trust.poll).await;
            }
        }
    }
}

/// Verifies the election record up to the encrypted tally and posts this trustee's decryption
/// share of exactly that tally.
pub async fn decrypt(
    client: &Client,
    key_path: &Path,
    keys: &TrusteeKeys,
    pass: &Passphrase,
    trust: &Trust,
) -> anyhow::Result<Decrypted> {
    let v = verified_record(client, trust).await?;
    // The server's tally must be the record's, entry and bytes.
    let info = client.tally().await?;
    let Some(posted) = info.tally else {
        bail!("the server no longer shows an encrypted tally");
    };
    if info.index != Some(v.tally_index)
        || Payload::Tally(posted).to_bytes() != v.tally_bytes
        || Payload::Tally(v.tally.clone()).to_bytes() != v.tally_bytes
    {
        bail!(
            "REFUSING TO DECRYPT: the tally the server shows is not the verified record's tally \
             (board entry {}); report this server",
            v.tally_index
        );
    }
    let key = &v.key;
    let share_file = share_path(key_path, &keys.name, &key.ceremony);
    let mine = TrusteeShare::read(&share_file, pass).with_context(|| {
        format!(
            "this trustee's share for ceremony {} (written by `psephos trustee ceremony`)",
            key.ceremony
        )
    })?;
    if key.verification_key(mine.trustee) != Some(mine.verification_key)
        || key.joint_key != mine.joint_key
    {
        bail!("the record's announced keys do not match this trustee's share");
    }
    // The mixed lists' share is owed as well when anything is mixed; a trustee stopped between
    // the two posts its missing one when run again.
    let mix_posted = match &v.mixed {
        Some(_) => client.mix().await?.shares.contains(&mine.trustee),
        None => true,
    };
    let tally_posted = info.shares.contains(&mine.trustee);
    if tally_posted && mix_posted {
        bail!(
            "trustee {}'s decryption share is already on the board",
            mine.trustee
        );
    }
    let mut index = None;
    let mut result_index = None;
    if !tally_posted {
        let share =
            DecryptionShare::compute(&v.tally, mine.trustee, &mine.share, &mut rand_core::OsRng);
        let p = client.post_share(&share).await?;
        index = Some(p.index);
        result_index = p.result_index;
    }
    let mut mix_index = None;
    if let (Some(lists), false) = (v.mixed, mix_posted) {
        let (trustee, secret) = (mine.trustee, mine.share.clone());
        let hash = v.key.election_hash;
        let share = tokio::task::spawn_blocking(move || {
            psephos_core::mixnet::MixShare::compute(
                &hash,
                &lists,
                trustee,
                &secret,
                &mut rand_core::OsRng,
            )
        })
        .await
        .context("computing the mixed share stopped")?;
        let p: psephos_api::mix::MixSharePosted = client
            .post_bytes("/mix/shares", share.to_canonical_bytes())
            .await?;
        mix_index = Some(p.index);
        result_index = result_index.or(p.result_index);
    }
    Ok(Decrypted {
        trustee: mine.trustee,
        index: index.or(mix_index).unwrap_or_default(),
        mix_index,
        result_index,
        verified_entries: v.report.entries,
        verified_ballots: v.report.counts.as_ref().map_or(0, |c| c.ballots_cast),
    })
}
