//! A snapshot of the rules' ballot table, so that a server can come back after a restart
//! without reading every ballot on its board (`docs/protocol.md` §11.4).
//!
//! Why only the ballots: they are nearly all of the board (at `10⁶` voters, every entry but a
//! few hundred) and nearly all of what a replay reads, while the other entries — the
//! definition, the ceremony, the credential lists, the controls, the tally — are few and carry
//! the state that is costly to encode (the ceremony, the election, the credential table with
//! its weights and styles). So a snapshot lists, in board order, every cast or challenged
//! ballot as the rules recorded it (its hash, board index and the row of the credential that
//! signed it), and a restart rebuilds the state by walking the board's indices: the indices
//! of the snapshot's ballots are restored from it ([`Rules::restore_ballot`]), every
//! other index below its size is read from the board and replayed, in order, and the entries
//! after its size are replayed as usual. The result is the state a replay of every entry
//! gives: ballots and challenges change nothing but the ballot table and the size, and the
//! credential rows are those the same lists, replayed in the same order, give again.
//!
//! The bytes carry no authentication of their own: the board stores them with a MAC keyed by
//! the board key and bound to the tree size and root they describe (`psephos_board::Snapshot`).
//! Decoding still checks their structure, so that bytes that are wrong for any reason are
//! refused rather than trusted.

use thiserror::Error;

use crate::rules::Rules;

/// The first bytes of a snapshot: its format and version.
const MAGIC: &[u8] = b"psephos/rules-snapshot v1\n";
/// Bytes per ballot: hash, board index, credential row, kind.
const ROW: usize = 32 + 8 + 4 + 1;

/// One cast or challenged ballot, as the rules recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotBallot {
    /// The ballot hash (§8.3).
    pub hash: [u8; 32],
    /// Its board index.
    pub index: u64,
    /// The row of the credential that signed it in the credential table (the order in which
    /// the credential lists listed it).
    pub credential: u32,
    /// Challenged (opened, never counted) rather than cast.
    pub challenged: bool,
}

/// Why snapshot bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error("not a rules snapshot (unknown format or version)")]
    Format,
    #[error("the snapshot is truncated or has trailing bytes")]
    Length,
    #[error("ballot {0} of the snapshot is out of board order or beyond its size")]
    Order(usize),
    #[error("ballot {0} of the snapshot has an unknown kind")]
    Kind(usize),
}

/// A decoded snapshot: the board size it describes and its ballots in board order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesSnapshot {
    size: u64,
    ballots: Vec<SnapshotBallot>,
}

/// One step of a restore, in board order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreStep<'a> {
    /// Replay the board's entries `start .. end` (none of them a ballot or a challenge).
    Replay { start: u64, end: u64 },
    /// Restore this ballot (its index is the state's size).
    Ballot(&'a SnapshotBallot),
}

impl RulesSnapshot {
    /// The snapshot of `state`: its size and its ballot table in board order.
    pub fn encode(state: &Rules) -> Vec<u8> {
        let ballots = state.snapshot_ballots();
        let mut out = Vec::with_capacity(MAGIC.len() + 16 + ROW * ballots.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&state.size().to_be_bytes());
        out.extend_from_slice(&(ballots.len() as u64).to_be_bytes());
        for b in ballots {
            out.extend_from_slice(&b.hash);
            out.extend_from_slice(&b.index.to_be_bytes());
            out.extend_from_slice(&b.credential.to_be_bytes());
            out.push(u8::from(b.challenged));
        }
        out
    }

    /// Decodes and checks the structure: known format, exact length, ballots in strictly
    /// increasing board order below the size.
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(SnapshotError::Format)?;
        let (head, rows) = rest.split_at_checked(16).ok_or(SnapshotError::Length)?;
        let (size, count) = head.split_at(8);
        let size = u64::from_be_bytes(size.try_into().map_err(|_| SnapshotError::Length)?);
        let count = u64::from_be_bytes(count.try_into().map_err(|_| SnapshotError::Length)?);
        let expected = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(ROW))
            .ok_or(SnapshotError::Length)?;
        if rows.len() != expected || count > size {
            return Err(SnapshotError::Length);
        }
        let mut ballots = Vec::with_capacity(rows.len() / ROW);
        let mut next = 0u64;
        for (i, row) in rows.chunks_exact(ROW).enumerate() {
            let field = |a: usize, b: usize| row.get(a..b).ok_or(SnapshotError::Length);
            let hash: [u8; 32] = field(0, 32)?
                .try_into()
                .map_err(|_| SnapshotError::Length)?;
            let index = u64::from_be_bytes(
                field(32, 40)?
                    .try_into()
                    .map_err(|_| SnapshotError::Length)?,
            );
            let credential = u32::from_be_bytes(
                field(40, 44)?
                    .try_into()
                    .map_err(|_| SnapshotError::Length)?,
            );
            let challenged = match row.get(44) {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(SnapshotError::Kind(i)),
            };
            if index < next || index >= size {
                return Err(SnapshotError::Order(i));
            }
            next = index + 1;
            ballots.push(SnapshotBallot {
                hash,
                index,
                credential,
                challenged,
            });
        }
        Ok(RulesSnapshot { size, ballots })
    }

    /// The board size the snapshot describes: entries `0 … size − 1`.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The ballots, in board order.
    pub fn ballots(&self) -> &[SnapshotBallot] {
        &self.ballots
    }

    /// The restore, in board order: the ranges of other entries to replay and the ballots to
    /// restore between them, covering indices `0 … size − 1` exactly once.
    pub fn steps(&self) -> impl Iterator<Item = RestoreStep<'_>> + '_ {
        let mut at = 0u64;
        let mut ballots = self.ballots.iter().peekable();
        std::iter::from_fn(move || {
            if at >= self.size {
                return None;
            }
            match ballots.peek() {
                Some(b) if b.index == at => {
                    at += 1;
                    ballots.next().map(RestoreStep::Ballot)
                }
                next => {
                    let end = next.map_or(self.size, |b| b.index);
                    let step = RestoreStep::Replay { start: at, end };
                    at = end;
                    Some(step)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(size: u64, indices: &[u64]) -> RulesSnapshot {
        RulesSnapshot {
            size,
            ballots: indices
                .iter()
                .map(|&index| SnapshotBallot {
                    hash: [index as u8; 32],
                    index,
                    credential: 0,
                    challenged: index % 2 == 0,
                })
                .collect(),
        }
    }

    fn bytes(s: &RulesSnapshot) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&s.size.to_be_bytes());
        out.extend_from_slice(&(s.ballots.len() as u64).to_be_bytes());
        for b in &s.ballots {
            out.extend_from_slice(&b.hash);
            out.extend_from_slice(&b.index.to_be_bytes());
            out.extend_from_slice(&b.credential.to_be_bytes());
            out.push(u8::from(b.challenged));
        }
        out
    }

    #[test]
    fn steps_cover_every_index_once_in_order() {
        let s = snapshot(10, &[3, 4, 7, 9]);
        let steps: Vec<_> = s.steps().collect();
        assert_eq!(steps.len(), 7);
        assert_eq!(steps[0], RestoreStep::Replay { start: 0, end: 3 });
        assert!(matches!(steps[1], RestoreStep::Ballot(b) if b.index == 3));
        assert!(matches!(steps[2], RestoreStep::Ballot(b) if b.index == 4));
        assert_eq!(steps[3], RestoreStep::Replay { start: 5, end: 7 });
        assert!(matches!(steps[4], RestoreStep::Ballot(b) if b.index == 7));
        assert_eq!(steps[5], RestoreStep::Replay { start: 8, end: 9 });
        assert!(matches!(steps[6], RestoreStep::Ballot(b) if b.index == 9));
        assert_eq!(snapshot(0, &[]).steps().count(), 0);
        assert_eq!(
            snapshot(4, &[]).steps().collect::<Vec<_>>(),
            vec![RestoreStep::Replay { start: 0, end: 4 }]
        );
    }

    #[test]
    fn decoding_round_trips_and_refuses_bad_structure() {
        let s = snapshot(10, &[3, 4, 7, 9]);
        let b = bytes(&s);
        assert_eq!(RulesSnapshot::decode(&b).unwrap(), s);
        assert_eq!(RulesSnapshot::decode(&b[1..]), Err(SnapshotError::Format));
        assert_eq!(
            RulesSnapshot::decode(&b[..b.len() - 1]),
            Err(SnapshotError::Length)
        );
        let mut long = b.clone();
        long.push(0);
        assert_eq!(RulesSnapshot::decode(&long), Err(SnapshotError::Length));
        assert_eq!(
            RulesSnapshot::decode(&bytes(&snapshot(10, &[4, 3]))),
            Err(SnapshotError::Order(1))
        );
        assert_eq!(
            RulesSnapshot::decode(&bytes(&snapshot(10, &[4, 4]))),
            Err(SnapshotError::Order(1))
        );
        assert_eq!(
            RulesSnapshot::decode(&bytes(&snapshot(10, &[10]))),
            Err(SnapshotError::Order(0))
        );
        let mut kind = b.clone();
        let last = kind.len() - 1;
        kind[last] = 2;
        assert_eq!(RulesSnapshot::decode(&kind), Err(SnapshotError::Kind(3)));
    }
}
