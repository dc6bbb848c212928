//! Mixing over the board (`docs/protocol.md` §11.5, §13.7–13.9): the server's part.
//!
//! After voting closes the officials have the server post the **mix input**: it reads exactly
//! the ballots the rules count ([`psephos_record::Rules::counted`]) back from the board, in board
//! order, and keeps their mixed contests' ciphertexts ([`MixInputBuilder`]) — as the encrypted
//! tally is computed ([`crate::tally`]). Then each mixing trustee posts its signed **shuffle**,
//! and after the tally any `k` trustees their **mixed decryption shares**.
//!
//! A shuffle or a share can take seconds to verify (10⁵ rows: millions of point operations), so
//! it is verified on the blocking pool ([`tokio::task::spawn_blocking`]; the verification itself
//! runs across cores with rayon) against a copy of the current lists, *before* the write lock is
//! taken; under the lock the rules check everything else again
//! ([`psephos_record::Rules::apply_verified_mix`]) — including that the lists are still the
//! ones verified against, so a shuffle that raced another is refused (409), never appended
//! unverified. A refused shuffle or share is answered 422 naming the mixer or trustee, and
//! nothing of it is stored; the other mixers go on.
//!
//! Every object is posted as its parts (§11.5) in one atomic batch.

use crate::election::ElectionService;
use crate::error::ServiceError;
use psephos_board::EntryKind;
use psephos_core::encoding::Canonical;
use psephos_core::mix::MixGenerators;
use psephos_core::mixnet::{MixInput, MixInputBuilder, MixResult, MixShare, Shuffle};
use psephos_record::rules::MixRuleError;
use psephos_record::{Applied, CountedMix, Payload, Phase, RuleError};
use std::collections::HashMap;
use std::sync::Arc;

/// Entries read per page.
const PAGE: u64 = 1024;

/// Computes the mix input of the closed election from its board. `min_mixers` defaults to every
/// qualified trustee. Errors: 409 if voting is not closed or the input is posted; 500 if the
/// board disagrees with the state.
pub async fn compute_input(
    election: &ElectionService,
    min_mixers: Option<u32>,
) -> Result<MixInput, ServiceError> {
    let (el, counted, styles, qualified) = {
        let s = election.read().await;
        if s.phase() != Phase::Closed || s.mix().is_some() {
            return Err(ServiceError::Conflict {
                code: "wrong_phase",
                detail: format!(
                    "the mix input is computed once voting is closed and before it is posted; \
                     the election is {}{}",
                    s.phase(),
                    if s.mix().is_some() {
                        " and the mix input is posted"
                    } else {
                        ""
                    }
                ),
            });
        }
        if !s.has_mixed_contests() {
            return Err(ServiceError::Rule(RuleError::Mix(
                MixRuleError::NothingMixed,
            )));
        }
        let el = s
            .election()
            .cloned()
            .ok_or_else(|| inconsistent("closed election without a key".into()))?;
        let counted = s.counted();
        let styles: HashMap<u64, usize> = counted
            .iter()
            .filter_map(|&(c, i, _)| s.eligibility(&c).map(|e| (i, e.style)))
            .collect();
        let qualified = s.key().map_or(0, |k| k.qualified.len() as u32);
        (el, counted, styles, qualified)
    };
    let mut builder = MixInputBuilder::new(&el);
    let wanted: HashMap<u64, psephos_core::group::Point> =
        counted.iter().map(|&(c, i, _)| (i, c)).collect();
    let mut found = 0usize;
    if let (Some(first), Some(last)) = (counted.first(), counted.last()) {
        let (mut start, end) = (first.1, last.1 + 1);
        while start < end {
            let page = election
                .board()
                .entries(start, PAGE.min(end - start))
                .await?;
            if page.is_empty() {
                break;
            }
            for (k, entry) in page.iter().enumerate() {
                let index = start + k as u64;
                let Some(credential) = wanted.get(&index) else {
                    continue;
                };
                let ballot = match (entry.kind, Payload::decode(entry.kind, &entry.payload)) {
                    (EntryKind::Ballot, Ok(Payload::Ballot(b))) => b,
                    _ => return Err(inconsistent(format!("entry {index} is not a ballot"))),
                };
                if &ballot.credential != credential {
                    return Err(inconsistent(format!(
                        "entry {index} is not the ballot of the credential the state counts"
                    )));
                }
                let style = styles
                    .get(&index)
                    .copied()
                    .ok_or_else(|| inconsistent(format!("entry {index} has no style")))?;
                builder.add(style, &ballot);
                found += 1;
            }
            start += page.len() as u64;
        }
    }
    if found != counted.len() {
        return Err(inconsistent(format!(
            "{} counted ballots, {found} read from the board",
            counted.len()
        )));
    }
    builder
        .finish(min_mixers.unwrap_or(qualified))
        .map_err(|e| inconsistent(format!("the mix input: {e}")))
}

/// Posts an object's parts in one batch; returns the index of the first part and the last
/// part's effect.
async fn post_parts(
    election: &Arc<ElectionService>,
    kind: EntryKind,
    bytes: &[u8],
    verified: bool,
) -> Result<(u64, usize, Applied), ServiceError> {
    let parts = Payload::parts(kind, bytes);
    let n = parts.len();
    let mut v = if verified {
        election.post_all_verified_mix(parts).await?
    } else {
        election.post_all(parts).await?
    };
    let first = v.first().map(|(i, _)| *i);
    match (first, v.pop()) {
        (Some(first), Some((_, applied))) => Ok((first, n, applied)),
        _ => Err(ServiceError::Internal("the write answered nothing")),
    }
}

/// Posts the mix input; returns `(index of its first part, parts)`.
pub async fn post_input(
    election: &Arc<ElectionService>,
    input: &MixInput,
) -> Result<(u64, usize), ServiceError> {
    let (index, parts, _) = post_parts(
        election,
        EntryKind::MixInput,
        &input.to_canonical_bytes(),
        false,
    )
    .await?;
    Ok((index, parts))
}

fn refuse(e: MixRuleError) -> ServiceError {
    ServiceError::Rule(RuleError::Mix(e))
}

/// The generators for the mix's lists (derived once, on the blocking pool, then kept).
async fn generators(election: &ElectionService) -> Result<Arc<MixGenerators>, ServiceError> {
    let rows = {
        let s = election.read().await;
        let mix = s.mix().ok_or(refuse(MixRuleError::NoInput))?;
        if let Ok(g) = s.mix_generators() {
            if mix.current().0.iter().all(|l| l.list.len() <= g.capacity()) {
                return Ok(g);
            }
        }
        mix.current()
            .0
            .iter()
            .map(|l| l.list.len())
            .max()
            .unwrap_or(0)
    };
    let g = tokio::task::spawn_blocking(move || MixGenerators::standard(rows))
        .await
        .map_err(|_| ServiceError::Internal("the generator derivation stopped"))?
        .map_err(|_| ServiceError::Internal("the mix generators cannot be derived"))?;
    let g = Arc::new(g);
    election.write().await.keep_mix_generators(g.clone());
    Ok(g)
}

/// Verifies a shuffle off the async workers and posts it. Returns `(index, parts)`.
pub async fn post_shuffle(
    election: &Arc<ElectionService>,
    shuffle: Shuffle,
) -> Result<(u64, usize), ServiceError> {
    let mixer = shuffle.mixer;
    let gens = generators(election).await?;
    let (el, current, signing_key) = {
        let s = election.read().await;
        if s.phase() != Phase::Closed {
            return Err(ServiceError::Rule(RuleError::Phase {
                action: "post a shuffle",
                phase: s.phase(),
            }));
        }
        let mix = s.mix().ok_or(refuse(MixRuleError::NoInput))?;
        let el = s
            .election()
            .cloned()
            .ok_or(ServiceError::Internal("an election without a key"))?;
        let signing_key = psephos_core::ceremony::TrusteeIndex::new(mixer)
            .filter(|_| s.key().is_some_and(|k| k.qualified.contains(&mixer)))
            .and_then(|i| s.definition().and_then(|d| d.ceremony.trustee(i)))
            .map(|t| t.signing_key)
            .ok_or(refuse(MixRuleError::NotQualified { mixer }))?;
        (el, mix.current().0.to_vec(), signing_key)
    };
    // The cheap checks first (a stale input is a conflict, not worth a verification).
    shuffle
        .check_statement(el.hash(), &current, &signing_key)
        .map_err(|reason| refuse(MixRuleError::Shuffle { mixer, reason }))?;
    let bytes = shuffle.to_canonical_bytes();
    tokio::task::spawn_blocking(move || shuffle.verify_proofs(el.key(), &gens, &current))
        .await
        .map_err(|_| ServiceError::Internal("the shuffle verification stopped"))?
        .map_err(|reason| refuse(MixRuleError::Shuffle { mixer, reason }))?;
    let (index, parts, _) = post_parts(election, EntryKind::Shuffle, &bytes, true).await?;
    Ok((index, parts))
}

/// Verifies a mixed decryption share off the async workers and posts it. Returns its index.
pub async fn post_share(
    election: &Arc<ElectionService>,
    share: MixShare,
) -> Result<u64, ServiceError> {
    let trustee = share.trustee;
    let (hash, current, vk) = {
        let s = election.read().await;
        if s.phase() != Phase::Tallying {
            return Err(ServiceError::Rule(RuleError::Phase {
                action: "post a mixed decryption share",
                phase: s.phase(),
            }));
        }
        let mix = s.mix().ok_or(refuse(MixRuleError::NoInput))?;
        let vk = s
            .key()
            .and_then(|k| k.verification_key(trustee))
            .ok_or(refuse(MixRuleError::ShareNotQualified { trustee }))?;
        if mix.shares().any(|x| x.trustee == trustee) {
            return Err(refuse(MixRuleError::ShareAlreadyPosted { trustee }));
        }
        let hash = *s
            .election()
            .ok_or(ServiceError::Internal("an election without a key"))?
            .hash();
        (hash, mix.current().0.to_vec(), vk)
    };
    let bytes = share.to_canonical_bytes();
    tokio::task::spawn_blocking(move || share.verify(&hash, &current, &vk))
        .await
        .map_err(|_| ServiceError::Internal("the share verification stopped"))?
        .map_err(|reason| refuse(MixRuleError::Share { trustee, reason }))?;
    let (index, _, _) = post_parts(election, EntryKind::MixShare, &bytes, true).await?;
    Ok(index)
}

/// Posts the mix result once `k` valid mixed shares are on the board; its first part's index
/// (also when it was already posted), or `None` if not yet possible.
pub async fn post_result_if_ready(election: &Arc<ElectionService>) -> Option<u64> {
    for _ in 0..3 {
        let result: MixResult = {
            let s = election.read().await;
            let mix = s.mix()?;
            if let Some((_, i)) = mix.result() {
                return Some(*i);
            }
            if s.phase() != Phase::Tallying {
                return None;
            }
            match s.combined_mix_result() {
                Ok(r) => r,
                Err(RuleError::Mix(MixRuleError::TooFewShares { .. })) => return None,
                Err(e) => {
                    tracing::error!(error = %e, "the mixed shares on the board do not combine");
                    return None;
                }
            }
        };
        match post_parts(
            election,
            EntryKind::MixResult,
            &result.to_canonical_bytes(),
            false,
        )
        .await
        {
            Ok((index, _, _)) => {
                tracing::info!(index, "mix result posted");
                return Some(index);
            }
            Err(e) if e.is_conflict() => continue,
            Err(e) => {
                tracing::error!(error = %e, "posting the mix result failed");
                return None;
            }
        }
    }
    None
}

/// Posts the mixed count (the ranked and write-in contests' counts, recounted from the mix
/// result on the board) once the mix result is there; its index (also when it was already posted), or `None`
/// if not yet possible. Counting runs off the async workers: an STV count of many ballots takes
/// a while.
pub async fn post_count_if_ready(election: &Arc<ElectionService>) -> Option<u64> {
    for _ in 0..3 {
        let (el, result) = {
            let s = election.read().await;
            if let Some((_, i)) = s.ranked_counts() {
                return Some(i);
            }
            if s.phase() != Phase::Tallying {
                return None;
            }
            let (result, _) = s.mix().and_then(|m| m.result())?;
            (s.election()?.clone(), result.clone())
        };
        let counted = tokio::task::spawn_blocking(move || CountedMix::count(&el, result))
            .await
            .ok()?;
        let count = match counted {
            Ok(count) => count,
            Err(e) => {
                tracing::error!(error = %e, "the ranked or write-in contests cannot be counted");
                return None;
            }
        };
        match election.post_counted_mix(count).await {
            Ok((index, _)) => {
                tracing::info!(index, "mixed count posted");
                return Some(index);
            }
            Err(e) if e.is_conflict() => continue,
            Err(e) => {
                tracing::error!(error = %e, "posting the mixed count failed");
                return None;
            }
        }
    }
    None
}

fn inconsistent(detail: String) -> ServiceError {
    tracing::error!(%detail, "the board and the election state disagree");
    ServiceError::Internal("the board and the election state disagree; the operator has been told")
}
