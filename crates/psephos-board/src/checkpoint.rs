//! Signed checkpoints and the witnesses' cosignatures: `tlog-checkpoint`
//! bodies, `cosignature/v1` cosigners and the quorum check, on top of the
//! signed notes of [`note`](crate::note) (as Go's `sumdb/tlog` sits on top of
//! `sumdb/note`).
//!
//! The board publishes the head of its Merkle tree as a *checkpoint*: a short
//! text (origin, tree size, root hash) in the format of
//! <https://c2sp.org/tlog-checkpoint>, signed with the board's Ed25519 key as a
//! signed note, so that existing transparency tooling can read and check it.
//! Witnesses check that each new checkpoint is consistent with the last one they
//! saw and then append a timestamped cosignature line
//! (<https://c2sp.org/tlog-cosignature>, Ed25519 `cosignature/v1`, made by a
//! [`Cosigner`]). A voter or observer trusts a checkpoint — and the inclusion
//! and consistency proofs made against its size and root — only if it carries
//! the board's signature and a quorum of witness cosignatures
//! ([`SignedCheckpoint::open`], [`SignedCheckpoint::check_quorum`]).
//!
//! The body is parsed as strictly as the note around it: canonical decimal
//! tree size (no sign, no leading zero), a 32-byte root in canonical base64,
//! non-empty extension lines and nothing else.

use core::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};

use crate::merkle::Hash;
use crate::note::{
    check_text, cosignature_message, Note, NoteError, NoteSigner, SignatureLine, SignatureType,
    VerifiedSignature, VerifierKey, MAX_COSIGNATURE_TIMESTAMP,
};

/// A witness's cosigner: timestamped Ed25519 `cosignature/v1` signatures
/// (type `0x04`). The secret key is zeroized on drop and never printed.
pub struct Cosigner {
    name: String,
    key: SigningKey,
    verifier: VerifierKey,
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.verifier.key_id()))
            .finish_non_exhaustive()
    }
}

impl Cosigner {
    /// A cosigner named `name` (a schema-less URL identifying the witness).
    pub fn new(name: &str, key: SigningKey) -> Result<Self, NoteError> {
        let verifier = VerifierKey::new(name, SignatureType::CosignatureV1, key.verifying_key())?;
        Ok(Cosigner {
            name: name.to_owned(),
            key,
            verifier,
        })
    }

    /// The matching verifier key (type `0x04`), to publish.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Cosigns a checkpoint whose log signature has been verified, as of
    /// `timestamp` (POSIX seconds). The witness must also have checked that
    /// it is consistent with the previous checkpoint it cosigned.
    pub fn cosign(
        &self,
        checkpoint: &SignedCheckpoint,
        timestamp: u64,
    ) -> Result<SignatureLine, NoteError> {
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(NoteError::TimestampOutOfRange);
        }
        let text = checkpoint.note.text();
        let sig = self
            .key
            .sign(cosignature_message(text, timestamp).as_bytes());
        let mut signature = Vec::with_capacity(72);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&sig.to_bytes());
        Ok(SignatureLine::new(
            self.name.clone(),
            self.verifier.key_id(),
            signature,
        ))
    }
}

/// A tlog-checkpoint body: the head of the board's Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `board.example.org/election-2026`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 root hash of the first `size` leaves.
    pub root: Hash,
    /// Opaque extension lines (non-empty; not recommended).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a checkpoint body: origin, size and root lines, then optional
    /// extension lines, each non-empty and ending in a newline.
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::MissingFinalNewline)?;
        let mut lines = body.split('\n');
        let origin =
            lines
                .next()
                .filter(|l| !l.is_empty())
                .ok_or(NoteError::MalformedCheckpoint(
                    "missing or empty origin line",
                ))?;
        let size = lines
            .next()
            .ok_or(NoteError::MalformedCheckpoint("missing tree size line"))
            .and_then(parse_tree_size)?;
        let root = lines
            .next()
            .ok_or(NoteError::MalformedCheckpoint("missing root hash line"))
            .and_then(parse_root)?;
        let extensions = lines
            .map(|l| {
                if l.is_empty() {
                    Err(NoteError::MalformedCheckpoint("empty extension line"))
                } else {
                    Ok(l.to_owned())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint body text. Fails if the origin or an extension line is
    /// empty or holds a newline or another control character.
    pub fn to_body(&self) -> Result<String, NoteError> {
        let line_ok = |l: &str| !l.is_empty() && !l.contains('\n');
        if !line_ok(&self.origin) {
            return Err(NoteError::MalformedCheckpoint(
                "origin must be one non-empty line",
            ));
        }
        if !self.extensions.iter().all(|l| line_ok(l)) {
            return Err(NoteError::MalformedCheckpoint(
                "extension lines must be non-empty single lines",
            ));
        }
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.as_bytes())
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        check_text(&body)?;
        Ok(body)
    }

    /// The checkpoint as a note signed by the board's `signer`.
    pub fn sign(&self, signer: &NoteSigner) -> Result<Note, NoteError> {
        let mut note = Note::new(self.to_body()?)?;
        note.add_signature(signer.sign(note.text())?)?;
        Ok(note)
    }
}

/// Tree size: ASCII decimal, no sign, no leading zero (except `0` itself).
fn parse_tree_size(line: &str) -> Result<u64, NoteError> {
    let canonical = !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && (line == "0" || !line.starts_with('0'));
    if !canonical {
        return Err(NoteError::BadTreeSize);
    }
    line.parse().map_err(|_| NoteError::BadTreeSize)
}

fn parse_root(line: &str) -> Result<Hash, NoteError> {
    let raw = BASE64.decode(line).map_err(|_| NoteError::BadBase64)?;
    Hash::from_slice(&raw).ok_or(NoteError::BadRootHash)
}

/// A checkpoint whose board signature verified, with the witness
/// cosignatures that verified. Only [`SignedCheckpoint::open`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    text: String,
    note: Note,
    checkpoint: Checkpoint,
    verified_by: Vec<VerifiedSignature>,
}

impl SignedCheckpoint {
    /// Parses and verifies signed checkpoint `msg` of the log `origin`: it
    /// must carry a valid signature by `log_key` (an Ed25519 note key); the
    /// cosignatures of `witnesses` (cosignature/v1 keys) are verified and
    /// kept; other signatures are ignored. A bad signature from any of these
    /// keys rejects the checkpoint.
    pub fn open(
        msg: &[u8],
        origin: &str,
        log_key: &VerifierKey,
        witnesses: &[VerifierKey],
    ) -> Result<Self, NoteError> {
        if log_key.signature_type() != SignatureType::Ed25519 {
            return Err(NoteError::WrongKeyType(
                "the log key must be an Ed25519 note key",
            ));
        }
        if witnesses
            .iter()
            .any(|w| w.signature_type() != SignatureType::CosignatureV1)
        {
            return Err(NoteError::WrongKeyType(
                "witness keys must be cosignature/v1 keys",
            ));
        }
        let note = Note::parse(msg)?;
        let checkpoint = Checkpoint::parse_body(note.text())?;
        if checkpoint.origin != origin {
            return Err(NoteError::WrongOrigin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        let mut known = Vec::with_capacity(witnesses.len() + 1);
        known.push(log_key.clone());
        known.extend_from_slice(witnesses);
        let verified_by = match note.verify(&known) {
            Err(NoteError::NoKnownSignature) => return Err(NoteError::MissingLogSignature),
            other => other?,
        };
        if !verified_by.iter().any(|v| v.key == *log_key) {
            return Err(NoteError::MissingLogSignature);
        }
        // `Note::parse` checked the bytes are UTF-8; keep them exactly.
        let text = String::from_utf8_lossy(msg).into_owned();
        Ok(SignedCheckpoint {
            text,
            note,
            checkpoint,
            verified_by,
        })
    }

    /// The signed note exactly as received.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed note.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Every key whose signature verified: the log key and the witnesses.
    pub fn verified_by(&self) -> &[VerifiedSignature] {
        &self.verified_by
    }

    /// Checks that at least `k` distinct keys among `witnesses` have valid
    /// cosignatures here; returns how many do. Only keys that were passed to
    /// [`SignedCheckpoint::open`] can count.
    pub fn check_quorum(&self, witnesses: &[VerifierKey], k: usize) -> Result<usize, NoteError> {
        let got = self
            .verified_by
            .iter()
            .filter(|v| v.key.signature_type() == SignatureType::CosignatureV1)
            .filter(|v| witnesses.contains(&v.key))
            .count();
        if got < k {
            return Err(NoteError::QuorumNotMet { required: k, got });
        }
        Ok(got)
    }
}

/// Opens signed checkpoint `msg` (see [`SignedCheckpoint::open`]) and requires
/// valid cosignatures from at least `k` of `witnesses`.
pub fn verify_quorum(
    msg: &[u8],
    origin: &str,
    log_key: &VerifierKey,
    witnesses: &[VerifierKey],
    k: usize,
) -> Result<SignedCheckpoint, NoteError> {
    let signed = SignedCheckpoint::open(msg, origin, log_key, witnesses)?;
    signed.check_quorum(witnesses, k)?;
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_size_grammar() {
        assert_eq!(parse_tree_size("0"), Ok(0));
        assert_eq!(parse_tree_size("20852163"), Ok(20852163));
        assert_eq!(parse_tree_size("18446744073709551615"), Ok(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-0",
            "1a",
            "1_000",
            "18446744073709551616",
        ] {
            assert_eq!(parse_tree_size(bad), Err(NoteError::BadTreeSize), "{bad:?}");
        }
    }
}
