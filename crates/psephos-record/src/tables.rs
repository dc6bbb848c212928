//! The election's two large tables — every listed credential and every ballot on the board —
//! laid out for memory, since a server and a verifier hold them for the whole election.
//!
//! Why this layout: with a `HashMap` per question (credential → eligibility, credential → last
//! ballot, ballot hash → index, challenged hash → index, tracking code → entry) the server grew
//! by about 530 bytes per ballot. Here a credential is one 48-byte row and a ballot (cast or
//! challenged) one 48-byte row, each in a `Vec` in the order the board listed them, and each
//! table is indexed by a `hashbrown::HashTable` of 4-byte row numbers: about 58 bytes per
//! credential and 57 per ballot at `10⁶` (`BENCHMARKS.md`, "Restart and memory per ballot").
//!
//! The ballot index is keyed by a ballot hash's first 10 bytes — the tracking code — so the same
//! index answers "is this hash on the board" (comparing all 32 bytes) and "which ballot has this
//! tracking code". Both tables only grow, in board order, so the rows added since a [`Mark`] can
//! be taken back exactly ([`Tables::rollback`]): what the server does when a commit fails.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// `last` of a credential that has not cast a ballot; `prev` of a first ballot.
const NONE: u32 = u32::MAX;
/// `prev` of a challenged ballot.
const CHALLENGE: u32 = u32::MAX - 1;
/// Most rows of either table (row numbers are `u32`, two values are markers).
const MAX_ROWS: usize = (u32::MAX - 1) as usize;

#[derive(Debug, Clone, Copy)]
struct CredentialRow {
    /// The public credential's encoding.
    key: [u8; 32],
    weight: u64,
    /// Index of its ballot style in the manifest.
    style: u32,
    /// Row of its last cast ballot, or [`NONE`].
    last: u32,
}

#[derive(Debug, Clone, Copy)]
struct BallotRow {
    hash: [u8; 32],
    /// Board index.
    index: u64,
    /// Row of the credential that signed it.
    credential: u32,
    /// For a cast ballot, the row of the credential's previous cast ballot ([`NONE`] if this is
    /// its first); [`CHALLENGE`] for a challenged ballot.
    prev: u32,
}

/// A ballot or challenge found on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedBallot {
    pub index: u64,
    pub hash: [u8; 32],
    /// The public credential that signed it.
    pub credential: [u8; 32],
    /// Challenged (opened, never counted) rather than cast.
    pub challenged: bool,
}

/// The table sizes at one moment, to roll back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    credentials: usize,
    ballots: usize,
}

/// Too many rows for `u32` row numbers (about 4.29 × 10⁹).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

#[derive(Clone, Default)]
pub(crate) struct Tables {
    hasher: RandomState,
    credentials: Vec<CredentialRow>,
    credential_index: HashTable<u32>,
    ballots: Vec<BallotRow>,
    /// Keyed by the hash's first 10 bytes (the tracking code).
    ballot_index: HashTable<u32>,
    /// Credential row → ballots it challenged (few credentials challenge at all).
    challenges_by: HashMap<u32, u32>,
    cast: u64,
    voters: u64,
}

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tables")
            .field("credentials", &self.credentials.len())
            .field("ballots", &self.ballots.len())
            .field("cast", &self.cast)
            .field("voters", &self.voters)
            .finish_non_exhaustive()
    }
}

fn code_of(hash: &[u8; 32]) -> &[u8] {
    &hash[..10]
}

impl Tables {
    fn credential_hash(&self, key: &[u8; 32]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn code_hash(&self, code: &[u8]) -> u64 {
        self.hasher.hash_one(code)
    }

    /// The row of a listed credential.
    pub fn credential(&self, key: &[u8; 32]) -> Option<u32> {
        let rows = &self.credentials;
        self.credential_index
            .find(self.credential_hash(key), |&r| &rows[r as usize].key == key)
            .copied()
    }

    /// `(style, weight)` of a credential row.
    pub fn eligibility(&self, row: u32) -> (usize, u64) {
        let c = &self.credentials[row as usize];
        (c.style as usize, c.weight)
    }

    pub fn credential_count(&self) -> usize {
        self.credentials.len()
    }

    /// Lists a credential (the caller checked it is not listed yet).
    pub fn list(&mut self, key: [u8; 32], style: usize, weight: u64) -> Result<(), Full> {
        let row = self.credentials.len();
        if row >= MAX_ROWS {
            return Err(Full);
        }
        let style = u32::try_from(style).map_err(|_| Full)?;
        let hash = self.credential_hash(&key);
        self.credentials.push(CredentialRow {
            key,
            weight,
            style,
            last: NONE,
        });
        let (rows, hasher) = (&self.credentials, &self.hasher);
        self.credential_index
            .insert_unique(hash, row as u32, |&r| hasher.hash_one(rows[r as usize].key));
        Ok(())
    }

    /// Makes room for `n` more ballots at once: what voting opening does with one per listed
    /// credential, so that the ballot table is not copied as it grows during the vote (a
    /// vector's pages that stay unused are never touched).
    pub fn reserve_ballots(&mut self, n: usize) {
        self.ballots.reserve(n);
        let (rows, hasher) = (&self.ballots, &self.hasher);
        self.ballot_index
            .reserve(n, |&r| hasher.hash_one(code_of(&rows[r as usize].hash)));
    }

    fn find_ballot(&self, hash: &[u8; 32]) -> Option<&BallotRow> {
        let rows = &self.ballots;
        self.ballot_index
            .find(self.code_hash(code_of(hash)), |&r| {
                &rows[r as usize].hash == hash
            })
            .map(|&r| &rows[r as usize])
    }

    /// The board index of a cast ballot, by hash.
    pub fn cast_index(&self, hash: &[u8; 32]) -> Option<u64> {
        self.find_ballot(hash)
            .filter(|b| b.prev != CHALLENGE)
            .map(|b| b.index)
    }

    /// The board index of a challenged ballot, by hash.
    pub fn challenge_index(&self, hash: &[u8; 32]) -> Option<u64> {
        self.find_ballot(hash)
            .filter(|b| b.prev == CHALLENGE)
            .map(|b| b.index)
    }

    /// The ballot or challenge whose hash starts with `code`; if several do (an 80-bit
    /// collision), the latest on the board.
    pub fn by_code(&self, code: &[u8; 10]) -> Option<TrackedBallot> {
        self.ballot_index
            .iter_hash(self.code_hash(code))
            .map(|&r| &self.ballots[r as usize])
            .filter(|b| code_of(&b.hash) == code)
            .max_by_key(|b| b.index)
            .map(|b| TrackedBallot {
                index: b.index,
                hash: b.hash,
                credential: self.credentials[b.credential as usize].key,
                challenged: b.prev == CHALLENGE,
            })
    }

    /// The board index of the last cast ballot of a credential row.
    pub fn last_index(&self, credential: u32) -> Option<u64> {
        match self.credentials[credential as usize].last {
            NONE => None,
            r => Some(self.ballots[r as usize].index),
        }
    }

    /// How many ballots a credential row challenged.
    pub fn challenges_of(&self, credential: u32) -> u32 {
        self.challenges_by.get(&credential).copied().unwrap_or(0)
    }

    fn push(&mut self, hash: [u8; 32], index: u64, credential: u32, prev: u32) -> Result<(), Full> {
        let row = self.ballots.len();
        if row >= MAX_ROWS {
            return Err(Full);
        }
        let h = self.code_hash(code_of(&hash));
        self.ballots.push(BallotRow {
            hash,
            index,
            credential,
            prev,
        });
        let (rows, hasher) = (&self.ballots, &self.hasher);
        self.ballot_index.insert_unique(h, row as u32, |&r| {
            hasher.hash_one(code_of(&rows[r as usize].hash))
        });
        Ok(())
    }

    /// Records a cast ballot (the caller checked the rules); returns the board index of the
    /// ballot it supersedes.
    pub fn cast(
        &mut self,
        hash: [u8; 32],
        index: u64,
        credential: u32,
    ) -> Result<Option<u64>, Full> {
        let prev = self.credentials[credential as usize].last;
        let row = self.ballots.len() as u32;
        self.push(hash, index, credential, prev)?;
        self.credentials[credential as usize].last = row;
        self.cast += 1;
        if prev == NONE {
            self.voters += 1;
            Ok(None)
        } else {
            Ok(Some(self.ballots[prev as usize].index))
        }
    }

    /// Records a challenged ballot (the caller checked the rules).
    pub fn challenge(&mut self, hash: [u8; 32], index: u64, credential: u32) -> Result<(), Full> {
        self.push(hash, index, credential, CHALLENGE)?;
        *self.challenges_by.entry(credential).or_insert(0) += 1;
        Ok(())
    }

    /// Ballots cast (revotes included), credentials that cast one, ballots challenged.
    pub fn counts(&self) -> (u64, u64, u64) {
        let challenges = self.ballots.len() as u64 - self.cast;
        (self.cast, self.voters, challenges)
    }

    /// `(credential, board index of its last ballot, style, weight)` of every credential that
    /// cast a ballot, in list order.
    pub fn voted(&self) -> impl Iterator<Item = (&[u8; 32], u64, usize, u64)> + '_ {
        self.credentials.iter().filter(|c| c.last != NONE).map(|c| {
            (
                &c.key,
                self.ballots[c.last as usize].index,
                c.style as usize,
                c.weight,
            )
        })
    }

    /// Bytes of the credential table and of the ballot table (rows and index): with the row
    /// vectors' spare capacity, and without it (the pages a process touches).
    pub fn allocated(&self) -> [(usize, usize); 2] {
        let cred = std::mem::size_of::<CredentialRow>();
        let ballot = std::mem::size_of::<BallotRow>();
        [
            (
                self.credentials.capacity() * cred + self.credential_index.allocation_size(),
                self.credentials.len() * cred + self.credential_index.allocation_size(),
            ),
            (
                self.ballots.capacity() * ballot + self.ballot_index.allocation_size(),
                self.ballots.len() * ballot + self.ballot_index.allocation_size(),
            ),
        ]
    }

    /// Every ballot row in board order: `(hash, board index, credential row, challenged)`.
    pub fn ballot_rows(&self) -> impl ExactSizeIterator<Item = ([u8; 32], u64, u32, bool)> + '_ {
        self.ballots
            .iter()
            .map(|b| (b.hash, b.index, b.credential, b.prev == CHALLENGE))
    }

    pub fn mark(&self) -> Mark {
        Mark {
            credentials: self.credentials.len(),
            ballots: self.ballots.len(),
        }
    }

    /// Takes back every row added since `mark`, newest first.
    pub fn rollback(&mut self, mark: Mark) {
        while self.ballots.len() > mark.ballots {
            let row = self.ballots.len() - 1;
            let b = self.ballots[row];
            let h = self.code_hash(code_of(&b.hash));
            if let Ok(e) = self.ballot_index.find_entry(h, |&r| r as usize == row) {
                e.remove();
            }
            if b.prev == CHALLENGE {
                if let Some(n) = self.challenges_by.get_mut(&b.credential) {
                    *n -= 1;
                    if *n == 0 {
                        self.challenges_by.remove(&b.credential);
                    }
                }
            } else {
                self.credentials[b.credential as usize].last = b.prev;
                self.cast -= 1;
                if b.prev == NONE {
                    self.voters -= 1;
                }
            }
            self.ballots.pop();
        }
        while self.credentials.len() > mark.credentials {
            let row = self.credentials.len() - 1;
            let h = self.credential_hash(&self.credentials[row].key);
            if let Ok(e) = self.credential_index.find_entry(h, |&r| r as usize == row) {
                e.remove();
            }
            self.credentials.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(code: u8, rest: u8) -> [u8; 32] {
        let mut h = [rest; 32];
        h[..10].copy_from_slice(&[code; 10]);
        h
    }

    #[test]
    fn hashes_that_share_a_tracking_code_stay_apart() {
        let mut t = Tables::default();
        t.list([1; 32], 0, 1).unwrap();
        t.list([2; 32], 0, 2).unwrap();
        let a = t.credential(&[1; 32]).unwrap();
        let b = t.credential(&[2; 32]).unwrap();
        assert_eq!(t.cast(hash(7, 1), 10, a).unwrap(), None);
        t.challenge(hash(7, 2), 11, b).unwrap();
        assert_eq!(t.cast(hash(7, 3), 12, a).unwrap(), Some(10));
        assert_eq!(t.cast_index(&hash(7, 1)), Some(10));
        assert_eq!(t.challenge_index(&hash(7, 1)), None);
        assert_eq!(t.challenge_index(&hash(7, 2)), Some(11));
        assert_eq!(t.cast_index(&hash(7, 2)), None);
        assert_eq!(t.cast_index(&hash(7, 4)), None);
        // The latest of the three answers the shared code.
        let got = t.by_code(&[7; 10]).unwrap();
        assert_eq!(
            (got.index, got.hash, got.challenged),
            (12, hash(7, 3), false)
        );
        assert_eq!(got.credential, [1; 32]);
        assert_eq!(t.counts(), (2, 1, 1));
        assert_eq!(t.last_index(a), Some(12));
        assert_eq!(t.challenges_of(b), 1);
        // Taking back the last two leaves the first, and the credentials' state as it was.
        let mark = Mark {
            credentials: 2,
            ballots: 1,
        };
        t.rollback(mark);
        assert_eq!(t.by_code(&[7; 10]).unwrap().index, 10);
        assert_eq!(t.last_index(a), Some(10));
        assert_eq!(t.challenges_of(b), 0);
        assert_eq!(t.counts(), (1, 1, 0));
        t.rollback(Mark {
            credentials: 1,
            ballots: 0,
        });
        assert_eq!(t.credential(&[2; 32]), None);
        assert_eq!(t.credential(&[1; 32]), Some(a));
        assert_eq!(t.last_index(a), None);
        assert_eq!(t.counts(), (0, 0, 0));
    }

    #[test]
    fn a_row_costs_48_bytes() {
        assert_eq!(std::mem::size_of::<CredentialRow>(), 48);
        assert_eq!(std::mem::size_of::<BallotRow>(), 48);
    }
}
