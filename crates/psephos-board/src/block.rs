//! Blocks: the chain of sealed checkpoints the public follows.
//!
//! At a fixed cadence the board *seals* everything appended since the last
//! block: it signs a checkpoint of the whole tree and wraps it in a block
//! header that also names the previous header's hash. The Merkle tree already
//! makes the entries tamper-evident; the chain of headers adds a total order
//! and a time on the checkpoints themselves, so a follower that holds any one
//! header hash can walk back and check every earlier checkpoint.
//!
//! A header is hashed over this canonical encoding (never JSON), all integers
//! fixed-width big-endian:
//!
//! ```text
//! "psephos/block v1"          16 bytes, domain separation
//! block number                u64
//! previous header hash        32 bytes (all zero for block 0)
//! time                        u64, Unix milliseconds
//! tree size                   u64
//! tree root                   32 bytes
//! checkpoint length           u32
//! checkpoint                  the board-signed checkpoint note, UTF-8
//! ```
//!
//! The header hash is `SHA-256` of those bytes. The checkpoint is the signed
//! note as the board signed it, without witness cosignatures (those arrive
//! after sealing and are served beside it).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;
use crate::note::MAX_NOTE_SIZE;

/// Domain-separation prefix of the header encoding.
pub const BLOCK_HEADER_TAG: &[u8; 16] = b"psephos/block v1";

/// Size of the fixed part of the encoding, before the checkpoint bytes.
const FIXED_LEN: usize = 16 + 8 + 32 + 8 + 8 + 32 + 4;

/// Why a block header was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The encoding is too short, too long or has the wrong tag.
    #[error("malformed block header: {0}")]
    Malformed(&'static str),
    /// The checkpoint note is larger than the note size limit.
    #[error("checkpoint note is {0} bytes, more than the note limit")]
    CheckpointTooLarge(usize),
    /// The previous-hash field does not name the previous block.
    #[error("block {number} does not link to the previous block")]
    BrokenLink {
        /// Number of the block whose link is wrong.
        number: u64,
    },
    /// Numbers, sizes or times do not follow on from the previous block.
    #[error("block {number} does not follow the previous block: {reason}")]
    OutOfOrder {
        /// Number of the offending block.
        number: u64,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A block header (see the module docs for its encoding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// The block number: its position in the chain, from 0.
    pub number: u64,
    /// Hash of the previous header; all zeros for block 0.
    pub prev_hash: Hash,
    /// Sealing time, Unix milliseconds; never decreases along the chain.
    pub time_ms: u64,
    /// Tree size of the checkpoint; grows strictly along the chain.
    pub tree_size: u64,
    /// Tree root of the checkpoint.
    pub root: Hash,
    /// The board-signed checkpoint note (C2SP tlog-checkpoint).
    pub checkpoint: String,
}

impl BlockHeader {
    /// The canonical encoding that [`BlockHeader::hash`] hashes.
    pub fn encode(&self) -> Result<Vec<u8>, BlockError> {
        let note = self.checkpoint.as_bytes();
        if note.len() > MAX_NOTE_SIZE {
            return Err(BlockError::CheckpointTooLarge(note.len()));
        }
        let len =
            u32::try_from(note.len()).map_err(|_| BlockError::CheckpointTooLarge(note.len()))?;
        let mut out = Vec::with_capacity(FIXED_LEN + note.len());
        out.extend_from_slice(BLOCK_HEADER_TAG);
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(self.prev_hash.as_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        out.extend_from_slice(&self.tree_size.to_be_bytes());
        out.extend_from_slice(self.root.as_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(note);
        Ok(out)
    }

    /// Parses the canonical encoding, strictly (no trailing bytes).
    pub fn decode(bytes: &[u8]) -> Result<Self, BlockError> {
        let mut r = Reader(bytes);
        if r.take(16)? != BLOCK_HEADER_TAG {
            return Err(BlockError::Malformed("wrong tag"));
        }
        let number = r.u64()?;
        let prev_hash = r.hash()?;
        let time_ms = r.u64()?;
        let tree_size = r.u64()?;
        let root = r.hash()?;
        let len = r.u32()? as usize;
        if len > MAX_NOTE_SIZE {
            return Err(BlockError::CheckpointTooLarge(len));
        }
        let note = r.take(len)?;
        if !r.0.is_empty() {
            return Err(BlockError::Malformed("trailing bytes"));
        }
        let checkpoint = String::from_utf8(note.to_vec())
            .map_err(|_| BlockError::Malformed("checkpoint is not UTF-8"))?;
        Ok(BlockHeader {
            number,
            prev_hash,
            time_ms,
            tree_size,
            root,
            checkpoint,
        })
    }

    /// The header hash: SHA-256 of the canonical encoding.
    pub fn hash(&self) -> Result<Hash, BlockError> {
        Ok(Hash(Sha256::digest(self.encode()?).into()))
    }

    /// Checks that this header follows `prev` (or is the first block when
    /// `prev` is `None`): number one more, previous hash equal to `prev`'s
    /// hash, time not earlier, tree size strictly larger. The checkpoint's
    /// signature and root are checked by whoever holds the board key and the
    /// tree.
    pub fn check_follows(&self, prev: Option<&Block>) -> Result<(), BlockError> {
        let number = self.number;
        match prev {
            None => {
                if number != 0 {
                    return Err(BlockError::OutOfOrder {
                        number,
                        reason: "the first block must have number 0",
                    });
                }
                if self.prev_hash != Hash([0; 32]) {
                    return Err(BlockError::BrokenLink { number });
                }
                if self.tree_size == 0 {
                    return Err(BlockError::OutOfOrder {
                        number,
                        reason: "a block seals at least one entry",
                    });
                }
            }
            Some(prev) => {
                if prev.header.number.checked_add(1) != Some(number) {
                    return Err(BlockError::OutOfOrder {
                        number,
                        reason: "its number is not one more than the previous block's",
                    });
                }
                if self.prev_hash != prev.hash {
                    return Err(BlockError::BrokenLink { number });
                }
                if self.time_ms < prev.header.time_ms {
                    return Err(BlockError::OutOfOrder {
                        number,
                        reason: "time is earlier than the previous block's",
                    });
                }
                if self.tree_size <= prev.header.tree_size {
                    return Err(BlockError::OutOfOrder {
                        number,
                        reason: "tree size does not grow",
                    });
                }
            }
        }
        Ok(())
    }
}

/// A sealed block: its header and the header's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// SHA-256 of the header's canonical encoding.
    pub hash: Hash,
}

impl Block {
    /// A block from its header, computing the hash.
    pub fn new(header: BlockHeader) -> Result<Self, BlockError> {
        let hash = header.hash()?;
        Ok(Block { header, hash })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BlockError> {
        if self.0.len() < n {
            return Err(BlockError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, BlockError> {
        let b = self.take(8)?;
        let a = <[u8; 8]>::try_from(b).map_err(|_| BlockError::Malformed("truncated"))?;
        Ok(u64::from_be_bytes(a))
    }
    fn u32(&mut self) -> Result<u32, BlockError> {
        let b = self.take(4)?;
        let a = <[u8; 4]>::try_from(b).map_err(|_| BlockError::Malformed("truncated"))?;
        Ok(u32::from_be_bytes(a))
    }
    fn hash(&mut self) -> Result<Hash, BlockError> {
        Hash::from_slice(self.take(32)?).ok_or(BlockError::Malformed("truncated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(number: u64, prev: Hash) -> BlockHeader {
        BlockHeader {
            number,
            prev_hash: prev,
            time_ms: 1_700_000_000_000 + number,
            tree_size: 10 * (number + 1),
            root: Hash([7; 32]),
            checkpoint: "o\n10\nroot\n\n\u{2014} o AAAA\n".to_owned(),
        }
    }

    #[test]
    fn encoding_layout_and_round_trip() {
        let h = header(3, Hash([9; 32]));
        let bytes = h.encode().unwrap();
        assert_eq!(&bytes[..16], b"psephos/block v1");
        assert_eq!(&bytes[16..24], &3u64.to_be_bytes());
        assert_eq!(&bytes[24..56], &[9; 32]);
        assert_eq!(bytes.len(), FIXED_LEN + h.checkpoint.len());
        assert_eq!(BlockHeader::decode(&bytes).unwrap(), h);
        assert_eq!(
            h.hash().unwrap(),
            Hash(Sha256::digest(&bytes).into()),
            "hash is SHA-256 of the encoding"
        );
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(BlockHeader::decode(&trailing).is_err());
        assert!(BlockHeader::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut tag = bytes;
        tag[0] ^= 1;
        assert!(BlockHeader::decode(&tag).is_err());
    }

    #[test]
    fn chain_links() {
        let b0 = Block::new(header(0, Hash([0; 32]))).unwrap();
        assert!(b0.header.check_follows(None).is_ok());
        let b1 = Block::new(header(1, b0.hash)).unwrap();
        assert!(b1.header.check_follows(Some(&b0)).is_ok());
        let bad = header(1, Hash([1; 32]));
        assert_eq!(
            bad.check_follows(Some(&b0)),
            Err(BlockError::BrokenLink { number: 1 })
        );
        let mut shrink = header(1, b0.hash);
        shrink.tree_size = 5;
        assert!(shrink.check_follows(Some(&b0)).is_err());
        assert!(b1.header.check_follows(None).is_err());
    }
}
