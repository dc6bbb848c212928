//! Ranked contests after decryption (`docs/protocol.md` §6.2, §13.9): from the decrypted rows of
//! the mix result to each ranked contest's count, and the board object that carries the counts.
//!
//! The mix result holds, for a ranked contest, one row per counted ballot: the candidate number
//! at each rank position (§6.2). What the ballot's proofs could not show — a candidate ranked
//! twice, a blank followed by a preference — is settled here by one rule,
//! [`crate::count::preferences_from_ranks`]: a row's preferences end at its first blank, first
//! out-of-range value or first repeated candidate. The counter ([`crate::count`]) then counts
//! the preferences under the contest's method, with ties broken from the election hash.
//!
//! The count is deterministic, so it is not trusted: the server posts it as a **mixed count**
//! entry (kind 16) and the rules — the server's before appending, the verifier's on replay —
//! recount from the mix result on the board and refuse a count that differs in any byte
//! (verifier check 28). The transcripts go on the board as their canonical bytes
//! ([`CountTranscript::canonical_bytes`]); their structured form is what the recount gives.

use crate::count::{count, preferences_from_ranks, CountError, CountTranscript, Method};
use crate::election::{Contest, Manifest, RankedMethod};
use crate::encoding::{Canonical, Reader, Writer, MAX_STRING};
use crate::error::DecodeError;
use crate::hash::Digest;
use crate::mixnet::MixResult;
use crate::write_in::{count_all_write_ins, WriteInCount, WriteInCountError};
use thiserror::Error;

/// The largest transcript one mixed count carries (bytes).
pub const MAX_TRANSCRIPT_BYTES: usize = 1 << 19;

/// The counting method of a ranked contest, for the counter; `None` for any other contest.
pub fn method_of(contest: &Contest) -> Option<Method> {
    let r = contest.ranking?;
    contest.is_ranked().then_some(match r.method {
        RankedMethod::Irv => Method::Irv,
        RankedMethod::Stv => Method::Stv { seats: r.seats },
        RankedMethod::Condorcet => Method::Schulze,
    })
}

/// Why a ranked contest could not be counted from a mix result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RankedCountError {
    /// The mix result has no decrypted rows for this ranked contest.
    #[error("the mix result has no rows for ranked contest {0:?}")]
    MissingRows(String),
    /// A row of the wrong width.
    #[error("ranked contest {contest:?}: a decrypted row has {got} values, expected {expected}")]
    RowWidth {
        contest: String,
        expected: usize,
        got: usize,
    },
    /// The counter refused its input.
    #[error("ranked contest {contest:?}: {source}")]
    Count {
        contest: String,
        #[source]
        source: CountError,
    },
    /// A write-in contest could not be counted.
    #[error(transparent)]
    WriteIns(WriteInCountError),
}

/// One ranked contest's count: its transcript, recomputed from the decrypted rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedCount {
    pub contest: String,
    pub transcript: CountTranscript,
}

/// Counts every ranked contest of `manifest`, in manifest order, from the decrypted rows of
/// `result`; ties are broken from `election` (the election hash).
pub fn count_ranked(
    manifest: &Manifest,
    election: &Digest,
    result: &MixResult,
) -> Result<Vec<RankedCount>, RankedCountError> {
    let mut counts = Vec::new();
    for c in &manifest.contests {
        let Some(method) = method_of(c) else {
            continue;
        };
        let rows = result
            .contests
            .iter()
            .find(|r| r.contest == c.id)
            .ok_or_else(|| RankedCountError::MissingRows(c.id.clone()))?;
        let candidates = c.options.len() as u32;
        let width = c.width();
        let mut ballots = Vec::with_capacity(rows.rows.len());
        for row in &rows.rows {
            if row.len() != width {
                return Err(RankedCountError::RowWidth {
                    contest: c.id.clone(),
                    expected: width,
                    got: row.len(),
                });
            }
            ballots.push(preferences_from_ranks(row, candidates));
        }
        let transcript =
            count(&method, candidates, &ballots, election.as_bytes()).map_err(|source| {
                RankedCountError::Count {
                    contest: c.id.clone(),
                    source,
                }
            })?;
        counts.push(RankedCount {
            contest: c.id.clone(),
            transcript,
        });
    }
    Ok(counts)
}

/// The counts of an election's ranked and write-in contests as posted on the board (entry
/// kind 16, §11.5): for the election and the decrypted lists (`lists`: the digest the mix
/// result names), each ranked contest's transcript as canonical bytes, and each write-in
/// contest's [`WriteInCount`], both in manifest order.
///
/// Encoding: `E (32) ‖ lists digest (32) ‖ seq(str contest ‖ bytes transcript)`, followed —
/// only when the election has a write-in contest, so every other mixed count encodes as
/// before — by `seq(str contest ‖ WriteInCount)` with at least one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixedCount {
    pub election: Digest,
    pub lists: Digest,
    /// `(contest id, canonical transcript bytes)`.
    pub ranked: Vec<(String, Vec<u8>)>,
    /// `(contest id, count)` of each write-in contest.
    pub write_ins: Vec<(String, WriteInCount)>,
}

impl MixedCount {
    /// The mixed count of `counts` (from [`count_ranked`]) for the mix result `result`, without
    /// write-ins.
    pub fn new(result: &MixResult, counts: &[RankedCount]) -> Self {
        MixedCount {
            election: result.election,
            lists: result.lists,
            ranked: counts
                .iter()
                .map(|c| (c.contest.clone(), c.transcript.canonical_bytes()))
                .collect(),
            write_ins: Vec::new(),
        }
    }

    /// Every count of the mixed contests that are counted after decryption — the ranked ones
    /// ([`count_ranked`]) and those with write-ins ([`count_all_write_ins`]) — from `result`,
    /// with the ranked transcripts.
    pub fn recount(
        manifest: &Manifest,
        election: &Digest,
        result: &MixResult,
    ) -> Result<(Self, Vec<RankedCount>), RankedCountError> {
        let counts = count_ranked(manifest, election, result)?;
        let write_ins =
            count_all_write_ins(manifest, result).map_err(RankedCountError::WriteIns)?;
        let mut m = MixedCount::new(result, &counts);
        m.write_ins = write_ins;
        Ok((m, counts))
    }
}

impl Canonical for MixedCount {
    const MIN_ENCODED_LEN: usize = 68;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election)
            .digest(&self.lists)
            .len(self.ranked.len());
        for (contest, transcript) in &self.ranked {
            w.str(contest).bytes(transcript);
        }
        if !self.write_ins.is_empty() {
            w.len(self.write_ins.len());
            for (contest, count) in &self.write_ins {
                w.str(contest);
                count.encode(w);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let election = r.digest()?;
        let lists = r.digest()?;
        let n = r.len(crate::election::MAX_CONTESTS, 8)?;
        let mut ranked = Vec::with_capacity(n);
        for _ in 0..n {
            let contest = r.str(MAX_STRING)?;
            let transcript = r.bytes(MAX_TRANSCRIPT_BYTES)?.to_vec();
            ranked.push((contest, transcript));
        }
        // The write-in counts: present only when there is at least one.
        let mut write_ins = Vec::new();
        if r.remaining() > 0 {
            let n = r.len(crate::election::MAX_CONTESTS, 8)?;
            if n == 0 {
                return Err(DecodeError::Invalid {
                    what: "mixed count",
                    detail: "an empty list of write-in counts is left out, not encoded".into(),
                });
            }
            for _ in 0..n {
                let contest = r.str(MAX_STRING)?;
                write_ins.push((contest, WriteInCount::decode(r)?));
            }
        }
        Ok(MixedCount {
            election,
            lists,
            ranked,
            write_ins,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::mixnet::MixedContestResult;

    const TOML: &str = r#"
[election]
id = "r"
name = "R"
[trustees]
count = 1
threshold = 1
[[contests]]
id = "q"
title = "Q"
kind = "plurality"
count = "mix"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]
[[contests]]
id = "mayor"
title = "Mayor"
kind = "ranked"
method = "irv"
max_ranks = 2
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]
[[ballot_styles]]
id = "s"
contests = ["q", "mayor"]
"#;

    fn result(rows: Vec<Vec<u64>>) -> MixResult {
        MixResult {
            election: Digest([7; 32]),
            lists: Digest([8; 32]),
            contests: vec![
                MixedContestResult {
                    contest: "q".into(),
                    rows: vec![vec![1, 0]],
                    counts: vec![1, 0],
                },
                MixedContestResult {
                    contest: "mayor".into(),
                    counts: vec![0, 0],
                    rows,
                },
            ],
        }
    }

    #[test]
    fn counts_ranked_contests_only_applying_the_row_rule() {
        let m = Manifest::from_toml(TOML).unwrap();
        // c, c (repeat: only c counts), b then a, a: c 2 ballots, b 1, a 1 → a and b tie for
        // exclusion; whatever the tie, c cannot reach a majority of 4 in round 1 (2 of 4).
        let r = result(vec![vec![3, 3], vec![3, 0], vec![2, 1], vec![1, 0]]);
        let counts = count_ranked(&m, &Digest([1; 32]), &r).unwrap();
        assert_eq!(counts.len(), 1, "only the ranked contest is counted");
        assert_eq!(counts[0].contest, "mayor");
        let t = &counts[0].transcript;
        assert_eq!(t.ballots, 4);
        assert_eq!(t.method, Method::Irv);
        assert!(t.rounds.len() >= 2);
        // The same input gives the same bytes; another seed may only change tie decisions.
        let again = count_ranked(&m, &Digest([1; 32]), &r).unwrap();
        assert_eq!(again, counts);
        // A row of the wrong width, or missing rows, is an error, not a panic.
        let bad = result(vec![vec![1, 2, 3]]);
        assert!(matches!(
            count_ranked(&m, &Digest([1; 32]), &bad),
            Err(RankedCountError::RowWidth { .. })
        ));
        let mut missing = result(vec![]);
        missing.contests.pop();
        assert!(matches!(
            count_ranked(&m, &Digest([1; 32]), &missing),
            Err(RankedCountError::MissingRows(_))
        ));
    }

    #[test]
    fn mixed_count_round_trips_and_is_strict() {
        let m = Manifest::from_toml(TOML).unwrap();
        let r = result(vec![vec![1, 2], vec![2, 0]]);
        let counts = count_ranked(&m, &Digest([1; 32]), &r).unwrap();
        let mc = MixedCount::new(&r, &counts);
        assert_eq!(mc.ranked[0].1, counts[0].transcript.canonical_bytes());
        let bytes = mc.to_canonical_bytes();
        assert_eq!(MixedCount::from_canonical_bytes(&bytes).unwrap(), mc);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(MixedCount::from_canonical_bytes(&longer).is_err());
        assert!(MixedCount::from_canonical_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
