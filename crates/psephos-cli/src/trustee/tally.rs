//! A trustee's decryption (§9.3): never decrypt what you have not recomputed.
//!
//! Before computing its decryption share, the trustee replays the whole board through the
//! election's rules ([`ElectionState`], the same code the server and the verifier run),
//! recomputes the encrypted tally from the counted ballots (last ballot per credential, weights
//! applied) and compares it with the posted one. A server that posted anything else — say, one
//! ballot's ciphertext as "the tally", to have the trustees decrypt a single vote — is refused.
//! Ballot proofs are not re-verified here (the board accepted only verified ballots and
//! `psephos verify` re-checks them); the rules, signatures, eligibility and revotes are.

use super::client::Client;
use super::keyfile::{share_path, Passphrase, TrusteeKeys, TrusteeShare};
use anyhow::{bail, Context};
use psephos_core::ballot::EncryptedBallot;
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyAccumulator};
use psephos_record::{Applied, ElectionState, Payload, Phase};
use std::collections::HashMap;
use std::path::Path;

/// The board replayed: the state and the tally recomputed from its ballots.
#[derive(Debug)]
pub struct Replayed {
    pub state: ElectionState,
    /// The tally of the counted ballots, if voting is closed.
    pub recomputed: Option<EncryptedTally>,
}

/// Replays the server's whole board and recomputes the tally from it.
pub async fn replay_board(client: &Client) -> anyhow::Result<Replayed> {
    let mut state = ElectionState::new();
    // Ballots that currently count, by index (a revote removes the superseded one).
    let mut counted: HashMap<u64, EncryptedBallot> = HashMap::new();
    let mut tally_at_close: Option<EncryptedTally> = None;
    client
        .for_each_entry(0, |index, entry| {
            let (payload, applied) = state
                .apply_bytes(entry.kind, &entry.payload)
                .with_context(|| format!("board entry {index} breaks the election's rules"))?;
            if let (Payload::Ballot(b), Applied::Ballot { superseded, .. }) = (payload, applied) {
                if let Some(old) = superseded {
                    counted.remove(&old);
                }
                counted.insert(index, b);
            }
            if state.phase() == Phase::Closed && tally_at_close.is_none() {
                // Voting just closed: the set of counted ballots is final.
                tally_at_close = Some(sum(&state, &counted)?);
            }
            Ok(())
        })
        .await?;
    Ok(Replayed {
        state,
        recomputed: tally_at_close,
    })
}

fn sum(
    state: &ElectionState,
    counted: &HashMap<u64, EncryptedBallot>,
) -> anyhow::Result<EncryptedTally> {
    let election = state
        .election()
        .context("voting closed without an election key")?;
    let mut acc = TallyAccumulator::new(election);
    let mut ordered: Vec<(&u64, &EncryptedBallot)> = counted.iter().collect();
    ordered.sort_by_key(|(i, _)| **i);
    for (i, b) in ordered {
        let weight = state
            .eligibility(&b.credential)
            .with_context(|| format!("ballot {i} has no listed credential"))?
            .weight;
        acc.add_cast(b, weight)
            .with_context(|| format!("ballot at board index {i}"))?;
    }
    Ok(acc.finish())
}

/// What `decrypt` did.
#[derive(Debug)]
pub struct Decrypted {
    pub trustee: u32,
    pub index: u64,
    pub result_index: Option<u64>,
}

/// Checks the posted tally against the board and posts this trustee's decryption share.
pub async fn decrypt(
    client: &Client,
    key_path: &Path,
    keys: &TrusteeKeys,
    pass: &Passphrase,
) -> anyhow::Result<Decrypted> {
    let info = client.tally().await?;
    let Some(posted) = info.tally else {
        bail!("no encrypted tally is posted yet (voting must be closed and the tally computed)");
    };
    let replayed = replay_board(client).await?;
    let state = &replayed.state;
    let Some(recomputed) = replayed.recomputed else {
        bail!("the board does not show voting closed");
    };
    let on_board = state
        .tally()
        .context("the server shows a tally that is not on its board")?;
    if on_board != &posted || recomputed != posted {
        bail!(
            "REFUSING TO DECRYPT: the posted encrypted tally is not the sum of the counted \
             ballots on the board (recomputed from {} ballot(s)); report this server",
            state.counted().len()
        );
    }
    let key = state.key().context("the board has no ceremony outcome")?;
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
        bail!("the board's announced keys do not match this trustee's share");
    }
    if info.shares.contains(&mine.trustee) {
        bail!(
            "trustee {}'s decryption share is already on the board",
            mine.trustee
        );
    }
    let share = DecryptionShare::compute(&posted, mine.trustee, &mine.share, &mut rand_core::OsRng);
    let p = client.post_share(&share).await?;
    Ok(Decrypted {
        trustee: mine.trustee,
        index: p.index,
        result_index: p.result_index,
    })
}
