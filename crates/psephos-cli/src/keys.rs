//! Secret key files for the board and witnesses, in the signed-note private key text format
//! (`PRIVATE+KEY+<name>+<key ID hex>+<base64(type ‖ 32-byte seed)>`, as Go's `sumdb/note`
//! writes it), so that other tools can read them.
//!
//! Files are created with mode 0600, never overwritten, and named `*.secret.key` by convention so
//! nobody mistakes them for public material. The public verifier key is printed for operators to
//! publish.

use crate::files::{self, Access};
use anyhow::{bail, Context};
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use psephos_board::note::{key_id, SignatureType, VerifierKey};
use std::path::Path;
use zeroize::Zeroizing;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A loaded secret key: its name, signature type and signing key.
pub struct SecretKey {
    pub name: String,
    pub signature_type: SignatureType,
    pub signing_key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({}, <secret>)", self.name)
    }
}

impl SecretKey {
    /// The public verifier key (`<name>+<hex>+<base64>`).
    pub fn verifier_key(&self) -> anyhow::Result<VerifierKey> {
        Ok(VerifierKey::new(
            &self.name,
            self.signature_type,
            self.signing_key.verifying_key(),
        )?)
    }

    /// The private key text.
    pub fn to_text(&self) -> Zeroizing<String> {
        let id = key_id(
            &self.name,
            self.signature_type,
            &self.signing_key.verifying_key(),
        );
        let mut raw = Zeroizing::new(Vec::with_capacity(33));
        raw.push(self.signature_type.id());
        raw.extend_from_slice(self.signing_key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            id,
            B64.encode(&*raw)
        ))
    }

    /// Parses private key text.
    pub fn from_text(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let mut parts = text.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id_hex), Some(b64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            bail!("not a private key file (expected PRIVATE+KEY+<name>+<id>+<key>)");
        };
        let raw = Zeroizing::new(B64.decode(b64).context("the key is not valid base64")?);
        if raw.len() != 33 {
            bail!("the key has {} bytes, expected 33", raw.len());
        }
        let signature_type = SignatureType::from_id(raw[0])
            .with_context(|| format!("unknown key type {:#04x}", raw[0]))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&raw[1..]);
        let signing_key = SigningKey::from_bytes(&seed);
        let key = SecretKey {
            name: name.to_string(),
            signature_type,
            signing_key,
        };
        let id = key_id(name, signature_type, &key.signing_key.verifying_key());
        if format!("{id:08x}") != id_hex {
            bail!("the key ID does not match the key (file damaged?)");
        }
        Ok(key)
    }

    /// Generates a fresh key.
    pub fn generate(name: &str, signature_type: SignatureType) -> anyhow::Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut *seed).context("reading OS randomness")?;
        let key = SecretKey {
            name: name.to_string(),
            signature_type,
            signing_key: SigningKey::from_bytes(&seed),
        };
        key.verifier_key()?; // validates the name
        Ok(key)
    }

    /// `keygen` for the CLI: generates a key, writes it to a new file, prints the public verifier
    /// key on stdout and where the secret went on stderr (with `hint` for the operator).
    pub fn keygen(
        name: &str,
        signature_type: SignatureType,
        out: &Path,
        hint: &str,
    ) -> anyhow::Result<()> {
        let key = SecretKey::generate(name, signature_type)?;
        key.write_new(out)?;
        println!("{}", key.verifier_key()?);
        eprintln!(
            "secret key written to {} (mode 0600); {hint}",
            out.display()
        );
        Ok(())
    }

    /// Writes the key to a new file with mode 0600 (refuses to overwrite).
    pub fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        files::write_new(path, self.to_text().as_bytes(), Access::Secret)
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        SecretKey::from_text(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Reads a key file that must hold a key for `role`: a board's key (Ed25519) for `serve`,
    /// `board check` and `record export`, a witness's (`cosignature/v1`) for `witness run`.
    pub fn read_as(path: &Path, role: SignatureType) -> anyhow::Result<Self> {
        let key = SecretKey::read(path)?;
        if key.signature_type != role {
            let what = |t| match t {
                SignatureType::Ed25519 => "a board (Ed25519)",
                SignatureType::CosignatureV1 => "a witness (cosignature/v1)",
                _ => "another type of",
            };
            bail!(
                "{} holds {} key, not {} key",
                path.display(),
                what(key.signature_type),
                what(role)
            );
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_round_trips_and_detects_damage() {
        let k = SecretKey::generate("board.example/e1", SignatureType::Ed25519).unwrap();
        let text = k.to_text();
        let again = SecretKey::from_text(&text).unwrap();
        assert_eq!(again.signing_key.as_bytes(), k.signing_key.as_bytes());
        assert_eq!(again.verifier_key().unwrap(), k.verifier_key().unwrap());
        let damaged = text.replacen(
            "PRIVATE+KEY+board.example/e1",
            "PRIVATE+KEY+board.example/e2",
            1,
        );
        assert!(SecretKey::from_text(&damaged).is_err());
        assert!(SecretKey::from_text("hello").is_err());
        assert_eq!(format!("{k:?}"), "SecretKey(board.example/e1, <secret>)");
    }

    #[test]
    fn a_key_file_is_read_only_for_its_role() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.secret.key");
        SecretKey::generate("witness.example", SignatureType::CosignatureV1)
            .unwrap()
            .write_new(&path)
            .unwrap();
        assert!(SecretKey::read_as(&path, SignatureType::CosignatureV1).is_ok());
        let err = SecretKey::read_as(&path, SignatureType::Ed25519).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("holds a witness (cosignature/v1) key, not a board (Ed25519) key"),
            "{err}"
        );
    }
}
