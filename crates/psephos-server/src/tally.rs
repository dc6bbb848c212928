//! The encrypted tally, computed from the board (`docs/protocol.md` §9.2).
//!
//! After voting closes, the tally is the homomorphic sum of the *last* cast ballot of every
//! credential, each multiplied by its credential's weight. The election's state knows which
//! entries count ([`psephos_record::Rules::counted`]); this module reads exactly those
//! entries back from the board, decodes them and sums them with
//! [`psephos_core::tally::TallyAccumulator::add_cast`] — the same code a trustee runs before it
//! trusts the posted tally, and that `psephos verify` runs over the record.

use crate::election::ElectionService;
use crate::error::ServiceError;
use psephos_board::EntryKind;
use psephos_core::tally::{EncryptedTally, TallyAccumulator};
use psephos_record::{Payload, Phase};
use std::collections::HashMap;

/// Entries read per page.
const PAGE: u64 = 1024;

/// Computes the encrypted tally of the closed election from its board. Errors: 409 if voting is
/// not closed (or the tally is already posted); 500 if the board disagrees with the state.
pub async fn compute(election: &ElectionService) -> Result<EncryptedTally, ServiceError> {
    let (el, counted) = {
        let s = election.read().await;
        if s.phase() != Phase::Closed {
            return Err(ServiceError::Conflict {
                code: "wrong_phase",
                detail: format!(
                    "the encrypted tally is computed once voting is closed and before it is \
                     posted; the election is {}",
                    s.phase()
                ),
            });
        }
        let el = s
            .election()
            .cloned()
            .ok_or_else(|| inconsistent("closed election without a key".into()))?;
        (el, s.counted())
    };
    let mut acc = TallyAccumulator::new(&el);
    // index → (credential, weight), walked in board order page by page.
    let wanted: HashMap<u64, (psephos_core::group::Point, u64)> =
        counted.iter().map(|&(c, i, w)| (i, (c, w))).collect();
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
                let Some(&(credential, weight)) = wanted.get(&index) else {
                    continue;
                };
                let ballot = match (entry.kind, Payload::decode(entry.kind, &entry.payload)) {
                    (EntryKind::Ballot, Ok(Payload::Ballot(b))) => b,
                    _ => return Err(inconsistent(format!("entry {index} is not a ballot"))),
                };
                if ballot.credential != credential {
                    return Err(inconsistent(format!(
                        "entry {index} is not the ballot of the credential the state counts"
                    )));
                }
                acc.add_cast(&ballot, weight)
                    .map_err(|e| inconsistent(format!("entry {index}: {e}")))?;
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
    Ok(acc.finish())
}

fn inconsistent(detail: String) -> ServiceError {
    tracing::error!(%detail, "the board and the election state disagree");
    ServiceError::Internal("the board and the election state disagree; the operator has been told")
}
