//! Signed notes and their keys: the C2SP signed-note format
//! (<https://c2sp.org/signed-note>), the way Go's `sumdb/note` package speaks it.
//!
//! A note is text followed by signature lines, one per key that signed it. This
//! module knows the note format, the key types (Ed25519 `0x01`, the board's;
//! timestamped `cosignature/v1` `0x04`, the witnesses'), verifier keys and key
//! IDs, the board's [`NoteSigner`], and [`Note::verify`] against a set of known
//! keys. It knows nothing of what the text says: the checkpoint body a note
//! carries, the witnesses' cosigners and the quorum are in
//! [`checkpoint`](crate::checkpoint), as Go's `tlog` sits on top of `note`.
//!
//! Notes arrive from anyone, so parsing is strict and bounded: at most
//! [`MAX_NOTE_SIZE`] bytes and [`MAX_SIGNATURES`] signature lines, canonical
//! padded base64, no stray bytes. Signatures from unknown keys are ignored (and
//! never counted); a signature from a known key that fails to verify rejects the
//! whole note. Ed25519 verification is `verify_strict` (no small-order keys,
//! canonical `S`).

use core::fmt;
use core::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Largest signed note accepted, in bytes (1 MiB).
pub const MAX_NOTE_SIZE: usize = 1 << 20;

/// Most signature lines accepted in one note (as Go's `sumdb/note`).
pub const MAX_SIGNATURES: usize = 100;

/// Start of every signature line: em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Header line of the `cosignature/v1` signed message (tlog-cosignature).
const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Largest cosignature timestamp: "It MUST NOT exceed 2^63 - 1".
pub(crate) const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// Why a note, checkpoint, key or signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_SIZE`].
    #[error("note is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the note.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {max} signature lines")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// The note is not valid UTF-8.
    #[error("note is not valid UTF-8")]
    NotUtf8,
    /// The note contains an ASCII control character (0x00–0x1F or DEL, 0x7F) other than newline.
    #[error("note contains an ASCII control character other than newline")]
    ControlCharacter,
    /// Note text or signature block does not end in a newline.
    #[error("note text or signature block does not end in a newline")]
    MissingFinalNewline,
    /// No blank line separates the text from the signatures.
    #[error("note has no blank line before its signatures")]
    MissingSignatureBlock,
    /// The signature block is empty, or a note was encoded unsigned.
    #[error("note has no signature lines")]
    NoSignatures,
    /// A line of the signature block is not `— <name> <base64>`.
    #[error("malformed signature line")]
    MalformedSignatureLine,
    /// A key name is empty or contains a Unicode space or a plus sign.
    #[error("invalid key name")]
    InvalidKeyName,
    /// Base64 that is not standard, padded and canonical.
    #[error("invalid base64")]
    BadBase64,
    /// A checkpoint body is not origin, size, root and non-empty extension lines.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The tree size is not a canonical decimal `u64` (digits only, no leading zero).
    #[error("tree size is not a canonical decimal number")]
    BadTreeSize,
    /// The root hash does not decode to 32 bytes.
    #[error("root hash is not 32 bytes")]
    BadRootHash,
    /// The checkpoint is for another log.
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    WrongOrigin {
        /// The origin the caller expected.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// A signature from a known key does not verify.
    #[error("invalid signature from key {name}+{key_id:08x}")]
    BadSignature {
        /// Key name on the signature line.
        name: String,
        /// Key ID on the signature line.
        key_id: u32,
    },
    /// No signature from any known key (a note must have at least one).
    #[error("note has no valid signature from a known key")]
    NoKnownSignature,
    /// The checkpoint is not signed by the log (board) key.
    #[error("checkpoint has no valid signature from the log key")]
    MissingLogSignature,
    /// Two known keys share a name and key ID, so a signature line cannot be
    /// attributed.
    #[error("two known keys share the name and key ID {name}+{key_id:08x}")]
    AmbiguousKey {
        /// The shared name.
        name: String,
        /// The shared key ID.
        key_id: u32,
    },
    /// A verifier key string is not `<name>+<8 hex digits>+<base64 key>`.
    #[error("malformed verifier key")]
    MalformedVerifierKey,
    /// A key of a signature type this crate does not handle.
    #[error("unsupported signature type {0:#04x}")]
    UnsupportedSignatureType(u8),
    /// A verifier key's ID does not match its name and key.
    #[error("verifier key ID does not match its name and key")]
    KeyIdMismatch,
    /// The public key is not a valid Ed25519 point, or has small order.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// A key of the wrong signature type was given for a role.
    #[error("wrong key type: {0}")]
    WrongKeyType(&'static str),
    /// A cosignature timestamp above 2^63 − 1.
    #[error("cosignature timestamp is above 2^63 - 1")]
    TimestampOutOfRange,
    /// Fewer valid witness cosignatures than required.
    #[error("{got} valid cosignatures from known witnesses, {required} required")]
    QuorumNotMet {
        /// Cosignatures required.
        required: usize,
        /// Valid cosignatures from distinct known witnesses.
        got: usize,
    },
}

/// Signature types this crate handles, with their signed-note identifier byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureType {
    /// `0x01`: Ed25519 over the note text (the board's checkpoint signature).
    Ed25519,
    /// `0x04`: timestamped Ed25519 witness cosignature, `cosignature/v1`.
    CosignatureV1,
}

impl SignatureType {
    /// The signature type identifier byte (signed-note §Signature types).
    pub const fn id(self) -> u8 {
        match self {
            SignatureType::Ed25519 => 0x01,
            SignatureType::CosignatureV1 => 0x04,
        }
    }

    /// The type with identifier byte `id`, if this crate handles it.
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            0x01 => Some(SignatureType::Ed25519),
            0x04 => Some(SignatureType::CosignatureV1),
            _ => None,
        }
    }

    /// Length of the signature bytes after the 4-byte key ID.
    const fn signature_len(self) -> usize {
        match self {
            SignatureType::Ed25519 => 64,
            SignatureType::CosignatureV1 => 8 + 64,
        }
    }
}

/// Whether `name` is a valid key name: non-empty, without Unicode spaces or
/// `+`. (Control characters are spaces or rejected by the note checks.)
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

/// The key ID: `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]`, big-endian.
pub fn key_id(name: &str, signature_type: SignatureType, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', signature_type.id()]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A public key that may sign notes: name, signature type and Ed25519 key.
///
/// Its text form is the standard verifier key
/// `<name>+<8 hex digit key ID>+<base64(type byte ‖ 32-byte key)>`
/// ([`FromStr`] and [`Display`](fmt::Display)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    signature_type: SignatureType,
    key: VerifyingKey,
}

impl VerifierKey {
    /// A verifier key for `key` under `name`. Rejects invalid names and
    /// small-order keys.
    pub fn new(
        name: &str,
        signature_type: SignatureType,
        key: VerifyingKey,
    ) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName);
        }
        if key.is_weak() {
            return Err(NoteError::InvalidPublicKey);
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id: key_id(name, signature_type, &key),
            signature_type,
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type.
    pub fn signature_type(&self) -> SignatureType {
        self.signature_type
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    fn matches(&self, line: &SignatureLine) -> bool {
        self.name == line.name && self.key_id == line.key_id
    }

    /// Verifies one signature line of a note with text `text`; returns the
    /// cosignature timestamp, if any.
    fn verify_line(&self, text: &str, line: &SignatureLine) -> Result<Option<u64>, NoteError> {
        let bad = || NoteError::BadSignature {
            name: line.name.clone(),
            key_id: line.key_id,
        };
        if line.signature.len() != self.signature_type.signature_len() {
            return Err(bad());
        }
        match self.signature_type {
            SignatureType::Ed25519 => {
                let sig = Signature::from_slice(&line.signature).map_err(|_| bad())?;
                self.key
                    .verify_strict(text.as_bytes(), &sig)
                    .map_err(|_| bad())?;
                Ok(None)
            }
            SignatureType::CosignatureV1 => {
                let (time, sig) = line.signature.split_at(8);
                let time = <[u8; 8]>::try_from(time).map_err(|_| bad())?;
                let timestamp = u64::from_be_bytes(time);
                if timestamp > MAX_COSIGNATURE_TIMESTAMP {
                    return Err(bad());
                }
                let sig = Signature::from_slice(sig).map_err(|_| bad())?;
                self.key
                    .verify_strict(cosignature_message(text, timestamp).as_bytes(), &sig)
                    .map_err(|_| bad())?;
                Ok(Some(timestamp))
            }
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = Vec::with_capacity(33);
        key.push(self.signature_type.id());
        key.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(key)
        )
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The name has no '+', the key ID is hex; base64 may contain '+'.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::MalformedVerifierKey);
        };
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName);
        }
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NoteError::MalformedVerifierKey);
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| NoteError::MalformedVerifierKey)?;
        let key = BASE64.decode(key_b64).map_err(|_| NoteError::BadBase64)?;
        let Some((&type_id, key)) = key.split_first() else {
            return Err(NoteError::MalformedVerifierKey);
        };
        let signature_type =
            SignatureType::from_id(type_id).ok_or(NoteError::UnsupportedSignatureType(type_id))?;
        let key = <[u8; 32]>::try_from(key).map_err(|_| NoteError::InvalidPublicKey)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| NoteError::InvalidPublicKey)?;
        let vkey = VerifierKey::new(name, signature_type, key)?;
        if vkey.key_id != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(vkey)
    }
}

impl VerifierKey {
    /// Parses a verifier key string that must be of type `expected`: a board key must be an
    /// Ed25519 note key (`0x01`), a witness key a `cosignature/v1` key (`0x04`). A key of the
    /// other type is refused (`WrongKeyType`): a board key given as a witness would turn the
    /// board's own signature line into a "cosignature".
    pub fn parse_as(s: &str, expected: SignatureType) -> Result<Self, NoteError> {
        let key: VerifierKey = s.parse()?;
        key.require(expected)?;
        Ok(key)
    }

    /// Checks that this key is of type `expected` (see [`VerifierKey::parse_as`]).
    pub fn require(&self, expected: SignatureType) -> Result<(), NoteError> {
        if self.signature_type == expected {
            return Ok(());
        }
        Err(NoteError::WrongKeyType(match expected {
            SignatureType::Ed25519 => {
                "a board key must be an Ed25519 note key (type 0x01), not a cosignature/v1 key"
            }
            SignatureType::CosignatureV1 => {
                "a witness key must be a cosignature/v1 key (type 0x04), not an Ed25519 note key"
            }
        }))
    }
}

/// The signed message of an Ed25519 `cosignature/v1` over note text `text`.
pub(crate) fn cosignature_message(text: &str, timestamp: u64) -> String {
    format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n{text}")
}

/// The board's note signer: Ed25519 signatures of type `0x01` over the note
/// text. The secret key is zeroized on drop and never printed.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    verifier: VerifierKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.verifier.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer named `name` (for a checkpoint, the log's origin).
    pub fn new(name: &str, key: SigningKey) -> Result<Self, NoteError> {
        let verifier = VerifierKey::new(name, SignatureType::Ed25519, key.verifying_key())?;
        Ok(NoteSigner {
            name: name.to_owned(),
            key,
            verifier,
        })
    }

    /// The matching verifier key, to publish.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Signs note text `text` (validated as note text).
    pub fn sign(&self, text: &str) -> Result<SignatureLine, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        Ok(SignatureLine {
            name: self.name.clone(),
            key_id: self.verifier.key_id,
            signature: sig.to_bytes().to_vec(),
        })
    }
}

/// One signature line, `— <name> base64(key ID ‖ signature)`, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl SignatureLine {
    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// A line for a signature just made (by a signer of this crate).
    pub(crate) fn new(name: String, key_id: u32, signature: Vec<u8>) -> Self {
        SignatureLine {
            name,
            key_id,
            signature,
        }
    }

    fn parse(line: &str) -> Result<Self, NoteError> {
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::MalformedSignatureLine)?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::MalformedSignatureLine)?;
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName);
        }
        let raw = BASE64.decode(b64).map_err(|_| NoteError::BadBase64)?;
        // A key ID and at least one signature byte.
        let (id, signature) = match raw.split_first_chunk::<4>() {
            Some((id, sig)) if !sig.is_empty() => (*id, sig),
            _ => return Err(NoteError::MalformedSignatureLine),
        };
        Ok(SignatureLine {
            name: name.to_owned(),
            key_id: u32::from_be_bytes(id),
            signature: signature.to_vec(),
        })
    }

    fn encode(&self, out: &mut String) {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        out.push_str(SIGNATURE_PREFIX);
        out.push_str(&self.name);
        out.push(' ');
        out.push_str(&BASE64.encode(raw));
        out.push('\n');
    }
}

/// The line as it appears in a note, without the final newline:
/// `— <name> <base64(key ID ‖ signature)>`. This is how a witness hands its cosignature to a
/// board.
impl fmt::Display for SignatureLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.encode(&mut out);
        f.write_str(out.trim_end_matches('\n'))
    }
}

/// Parses one signature line (with or without its final newline).
impl FromStr for SignatureLine {
    type Err = NoteError;
    fn from_str(line: &str) -> Result<Self, NoteError> {
        SignatureLine::parse(line.strip_suffix('\n').unwrap_or(line))
    }
}

/// Checks note text: at most [`MAX_NOTE_SIZE`], ends in a newline, no ASCII
/// control character but newline.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if text.len() > MAX_NOTE_SIZE {
        return Err(NoteError::TooLarge {
            size: text.len(),
            max: MAX_NOTE_SIZE,
        });
    }
    check_no_controls(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    Ok(())
}

/// ASCII control characters are 0x00–0x1F and DEL (0x7F); only newline is allowed.
fn check_no_controls(text: &str) -> Result<(), NoteError> {
    if text.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7f) {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

/// A signature's key as verified, with its cosignature timestamp if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key that made the signature.
    pub key: VerifierKey,
    /// For a `cosignature/v1`, the time (POSIX seconds) it claims.
    pub timestamp: Option<u64>,
}

/// A signed note: text and signature lines, parsed but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<SignatureLine>,
}

impl Note {
    /// An unsigned note with text `text` (validated).
    pub fn new(text: String) -> Result<Self, NoteError> {
        check_text(&text)?;
        Ok(Note {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note: size limits, UTF-8, no control characters, the
    /// text up to the last blank line, then one or more well-formed signature
    /// lines and nothing else.
    pub fn parse(msg: &[u8]) -> Result<Self, NoteError> {
        if msg.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                size: msg.len(),
                max: MAX_NOTE_SIZE,
            });
        }
        let msg = core::str::from_utf8(msg).map_err(|_| NoteError::NotUtf8)?;
        check_no_controls(msg)?;
        let split = msg.rfind("\n\n").ok_or(NoteError::MissingSignatureBlock)?;
        let (text, block) = (&msg[..=split], &msg[split + 2..]);
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let block = block
            .strip_suffix('\n')
            .ok_or(NoteError::MissingFinalNewline)?;
        let mut signatures = Vec::new();
        for line in block.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    max: MAX_SIGNATURES,
                });
            }
            signatures.push(SignatureLine::parse(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note text (what the signatures sign), ending in a newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[SignatureLine] {
        &self.signatures
    }

    /// Adds a signature line, replacing any with the same name and key ID.
    pub fn add_signature(&mut self, line: SignatureLine) -> Result<(), NoteError> {
        self.signatures
            .retain(|s| s.name != line.name || s.key_id != line.key_id);
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.push(line);
        Ok(())
    }

    /// The signed note text. Fails if unsigned or over [`MAX_NOTE_SIZE`].
    pub fn encode(&self) -> Result<String, NoteError> {
        if self.signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for line in &self.signatures {
            line.encode(&mut out);
        }
        if out.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                size: out.len(),
                max: MAX_NOTE_SIZE,
            });
        }
        Ok(out)
    }

    /// Verifies the signatures from `known` keys: unknown keys are skipped,
    /// a known key's bad signature rejects the note, and at least one must
    /// verify. Each key is listed once, however often it signed.
    pub fn verify(&self, known: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        for line in &self.signatures {
            let mut candidates = known.iter().filter(|k| k.matches(line));
            let Some(key) = candidates.next() else {
                continue;
            };
            if candidates.any(|other| other != key) {
                return Err(NoteError::AmbiguousKey {
                    name: line.name.clone(),
                    key_id: line.key_id,
                });
            }
            let timestamp = key.verify_line(&self.text, line)?;
            if !verified.iter().any(|v| v.key == *key) {
                verified.push(VerifiedSignature {
                    key: key.clone(),
                    timestamp,
                });
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Cosigner;

    #[test]
    fn cosignature_message_layout() {
        // The example of c2sp.org/tlog-cosignature.
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            cosignature_message(body, 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
             CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    // DEL (0x7F) is an ASCII control character (§10.6): refused in text and in a whole note.
    #[test]
    fn del_is_a_control_character() {
        assert_eq!(
            Note::new("origin\u{7f}\n1\n".into()),
            Err(NoteError::ControlCharacter)
        );
        assert_eq!(
            Note::parse("a\n\n\u{2014} k AAAAAAE=\n\u{7f}".as_bytes()),
            Err(NoteError::ControlCharacter)
        );
        assert!(Note::new("origin~\n1\n".into()).is_ok());
    }

    // A key of the wrong type for its role is refused where it enters.
    #[test]
    fn keys_are_parsed_for_their_role() {
        let board = NoteSigner::new("board.example", SigningKey::from_bytes(&[1; 32])).unwrap();
        let witness = Cosigner::new("witness.example", SigningKey::from_bytes(&[2; 32])).unwrap();
        let b = board.verifier_key().to_string();
        let w = witness.verifier_key().to_string();
        assert!(VerifierKey::parse_as(&b, SignatureType::Ed25519).is_ok());
        assert!(VerifierKey::parse_as(&w, SignatureType::CosignatureV1).is_ok());
        assert!(matches!(
            VerifierKey::parse_as(&b, SignatureType::CosignatureV1),
            Err(NoteError::WrongKeyType(_))
        ));
        assert!(matches!(
            VerifierKey::parse_as(&w, SignatureType::Ed25519),
            Err(NoteError::WrongKeyType(_))
        ));
    }

    #[test]
    fn key_names() {
        assert!(is_valid_key_name("example.com/log42"));
        for bad in ["", "a b", "a+b", "a\u{a0}b", "a\u{2003}b", "a\tb", "a\nb"] {
            assert!(!is_valid_key_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn signature_types() {
        for t in [SignatureType::Ed25519, SignatureType::CosignatureV1] {
            assert_eq!(SignatureType::from_id(t.id()), Some(t));
        }
        assert_eq!(SignatureType::from_id(0x02), None);
    }
}
