//! A trustee's files (`docs/protocol.md` §9.5.7).
//!
//! - `<name>.trustee.secret.json`: the long-term Ed25519 identity key and the ceremony key
//!   (`CeremonySecretKey`), sealed under a passphrase. Mode 0600, never overwritten.
//! - `<name>.trustee.json`: the public half (name, signing key, ceremony key) that officials
//!   list in the election definition.
//! - `<name>.<ceremony id, 16 hex>.share.secret.json`: the trustee's final secret share of one
//!   election's key, sealed under the same passphrase, written when its ceremony completes.
//!
//! Sealing: a 32-byte key is derived from the passphrase with Argon2id (parameters and a random
//! 16-byte salt stored in the file), and the secret bytes are encrypted with ChaCha20-Poly1305
//! under a random 12-byte nonce. The associated data is the SHA-256 of the file's public fields
//! (format, name, public keys, KDF parameters, ceremony id …), so editing any of them — say,
//! swapping in another trustee's public key — makes the file fail to open instead of producing
//! a key that does not match what it claims. Secrets are held in `Zeroizing` buffers and no type
//! here prints them.

use crate::files::{self, Access};
use anyhow::{bail, Context};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use ed25519_dalek::SigningKey;
use psephos_core::ceremony::CeremonySecretKey;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::threshold::SecretShare;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Format tag of the secret key file.
pub const KEY_FORMAT: &str = "psephos trustee secret key v1";
/// Format tag of the secret share file.
pub const SHARE_FORMAT: &str = "psephos trustee secret share v1";
/// Shortest passphrase `init` accepts.
pub const MIN_PASSPHRASE: usize = 8;

/// Argon2id cost: OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane).
const KDF_MEMORY_KIB: u32 = 19 * 1024;
const KDF_ITERATIONS: u32 = 2;
const KDF_PARALLELISM: u32 = 1;

/// A passphrase, zeroized on drop and never printed.
pub struct Passphrase(Zeroizing<String>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<secret>)")
    }
}

impl Passphrase {
    pub fn new(s: String) -> Self {
        Passphrase(Zeroizing::new(s))
    }
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Argon2id parameters as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    pub algorithm: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// 16 random bytes, hex.
    pub salt: String,
}

/// Encrypted bytes with how to decrypt them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub kdf: Kdf,
    pub aead: String,
    /// 12 bytes, hex.
    pub nonce: String,
    /// Ciphertext and 16-byte tag, hex.
    pub ciphertext: String,
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).context("reading OS randomness")?;
    Ok(b)
}

fn derive(pass: &Passphrase, kdf: &Kdf) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    if kdf.algorithm != "argon2id" {
        bail!("unsupported key derivation {:?}", kdf.algorithm);
    }
    // Refuse absurd costs from a hostile file before allocating.
    if kdf.memory_kib > 4 * 1024 * 1024 || kdf.iterations > 64 || kdf.parallelism > 16 {
        bail!("the key derivation parameters are out of range");
    }
    let salt = hex::decode(&kdf.salt).context("salt is not hex")?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| anyhow::anyhow!("key derivation parameters: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pass.bytes(), &salt, &mut *key)
        .map_err(|e| anyhow::anyhow!("key derivation: {e}"))?;
    Ok(key)
}

impl Sealed {
    fn seal(pass: &Passphrase, aad: &[u8], plaintext: &[u8]) -> anyhow::Result<Self> {
        let kdf = Kdf {
            algorithm: "argon2id".into(),
            memory_kib: KDF_MEMORY_KIB,
            iterations: KDF_ITERATIONS,
            parallelism: KDF_PARALLELISM,
            salt: hex::encode(random::<16>()?),
        };
        let key = derive(pass, &kdf)?;
        let nonce = random::<12>()?;
        let cipher = ChaCha20Poly1305::new((&*key).into());
        let ciphertext = cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plaintext,
                    aad: &Self::aad(&kdf, aad),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        Ok(Sealed {
            kdf,
            aead: "chacha20poly1305".into(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        })
    }

    fn open(&self, pass: &Passphrase, aad: &[u8]) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        if self.aead != "chacha20poly1305" {
            bail!("unsupported cipher {:?}", self.aead);
        }
        let key = derive(pass, &self.kdf)?;
        let nonce: [u8; 12] = hex::decode(&self.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .context("the nonce is not 12 bytes of hex")?;
        let ct = hex::decode(&self.ciphertext).context("the ciphertext is not hex")?;
        let cipher = ChaCha20Poly1305::new((&*key).into());
        let pt = cipher
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &ct,
                    aad: &Self::aad(&self.kdf, aad),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!("wrong passphrase, or the file was modified (it does not decrypt)")
            })?;
        Ok(Zeroizing::new(pt))
    }

    /// SHA-256 over the public fields, length-prefixed.
    fn aad(kdf: &Kdf, fields: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        for part in [
            kdf.algorithm.as_bytes(),
            &kdf.memory_kib.to_be_bytes(),
            &kdf.iterations.to_be_bytes(),
            &kdf.parallelism.to_be_bytes(),
            kdf.salt.as_bytes(),
            fields,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().to_vec()
    }
}

fn fields(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for p in parts {
        v.extend_from_slice(&(p.len() as u64).to_be_bytes());
        v.extend_from_slice(p);
    }
    v
}

/// The public file: what officials list in the election definition, exactly the API's trustee
/// in `POST E/definition` (name, Ed25519 verifying key hex, Ristretto255 point hex).
pub type TrusteePublicFile = psephos_api::election::TrusteeKeys;

/// The secret key file as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyFile {
    pub format: String,
    pub name: String,
    pub signing_key: String,
    pub ceremony_key: String,
    pub sealed: Sealed,
}

/// A trustee's opened keys. Zeroized on drop (through the key types); never printed.
pub struct TrusteeKeys {
    pub name: String,
    pub signing_key: SigningKey,
    pub ceremony_secret: CeremonySecretKey,
}

impl std::fmt::Debug for TrusteeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrusteeKeys({}, <secret>)", self.name)
    }
}

/// Where `init` writes the secret and public files for `name` in `dir`.
pub fn key_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.trustee.secret.json")),
        dir.join(format!("{name}.trustee.json")),
    )
}

/// Whether `name` is usable in file names and on the board.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        bail!(
            "a trustee name is 1–64 characters among A–Z a–z 0–9 - _ . (not starting with a dot)"
        );
    }
    Ok(())
}

impl TrusteeKeys {
    /// Fresh keys from OS randomness.
    pub fn generate(name: &str) -> anyhow::Result<Self> {
        check_name(name)?;
        let seed = Zeroizing::new(random::<32>()?);
        let mut rng = rand_core::OsRng;
        Ok(TrusteeKeys {
            name: name.to_string(),
            signing_key: SigningKey::from_bytes(&seed),
            ceremony_secret: CeremonySecretKey::generate(&mut rng),
        })
    }

    pub fn public(&self) -> TrusteePublicFile {
        TrusteePublicFile {
            name: self.name.clone(),
            signing_key: hex::encode(self.signing_key.verifying_key().as_bytes()),
            ceremony_key: self.ceremony_secret.public_key().to_hex(),
        }
    }

    fn aad(format: &str, p: &TrusteePublicFile) -> Vec<u8> {
        fields(&[
            format.as_bytes(),
            p.name.as_bytes(),
            p.signing_key.as_bytes(),
            p.ceremony_key.as_bytes(),
        ])
    }

    /// Seals the keys under `pass`.
    pub fn seal(&self, pass: &Passphrase) -> anyhow::Result<SecretKeyFile> {
        let p = self.public();
        let mut pt = Zeroizing::new([0u8; 64]);
        pt[..32].copy_from_slice(self.signing_key.as_bytes());
        pt[32..].copy_from_slice(&*self.ceremony_secret.to_bytes());
        Ok(SecretKeyFile {
            format: KEY_FORMAT.into(),
            sealed: Sealed::seal(pass, &Self::aad(KEY_FORMAT, &p), &*pt)?,
            name: p.name,
            signing_key: p.signing_key,
            ceremony_key: p.ceremony_key,
        })
    }

    /// Opens a sealed key file; checks the keys match the public keys it states.
    pub fn open(file: &SecretKeyFile, pass: &Passphrase) -> anyhow::Result<Self> {
        if file.format != KEY_FORMAT {
            bail!("not a trustee secret key file (format {:?})", file.format);
        }
        let p = TrusteePublicFile {
            name: file.name.clone(),
            signing_key: file.signing_key.clone(),
            ceremony_key: file.ceremony_key.clone(),
        };
        let pt = file.sealed.open(pass, &Self::aad(KEY_FORMAT, &p))?;
        if pt.len() != 64 {
            bail!("the sealed key has {} bytes, expected 64", pt.len());
        }
        let mut sk = Zeroizing::new([0u8; 32]);
        sk.copy_from_slice(&pt[..32]);
        let mut cs = Zeroizing::new([0u8; 32]);
        cs.copy_from_slice(&pt[32..]);
        let keys = TrusteeKeys {
            name: file.name.clone(),
            signing_key: SigningKey::from_bytes(&sk),
            ceremony_secret: CeremonySecretKey::from_bytes(&cs)
                .map_err(|e| anyhow::anyhow!("the ceremony key: {e}"))?,
        };
        if keys.public() != p {
            bail!("the sealed keys do not match the public keys stated in the file");
        }
        Ok(keys)
    }

    /// Writes `<name>.trustee.secret.json` (0600, new) and `<name>.trustee.json` (new) in `dir`.
    pub fn write_new(&self, dir: &Path, pass: &Passphrase) -> anyhow::Result<(PathBuf, PathBuf)> {
        let (secret, public) = key_paths(dir, &self.name);
        if public.exists() {
            bail!(
                "{} already exists; refusing to overwrite it",
                public.display()
            );
        }
        let sealed = self.seal(pass)?;
        write_new_secret(&secret, &serde_json::to_vec_pretty(&sealed)?)?;
        files::write_new(
            &public,
            &serde_json::to_vec_pretty(&self.public())?,
            Access::Public,
        )?;
        Ok((secret, public))
    }

    /// Reads and opens a secret key file.
    pub fn read(path: &Path, pass: &Passphrase) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: SecretKeyFile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a trustee secret key file", path.display()))?;
        TrusteeKeys::open(&file, pass).with_context(|| format!("opening {}", path.display()))
    }
}

/// Creates `path` with mode 0600 and writes `bytes`; refuses to overwrite.
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    files::write_new(path, bytes, Access::Secret)
}

/// The secret share file as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareFile {
    pub format: String,
    pub name: String,
    /// The ceremony id (hex).
    pub ceremony: String,
    pub trustee: u32,
    /// `V_j = s_j·G` (hex), as announced on the board.
    pub verification_key: String,
    /// The joint election key (hex).
    pub joint_key: String,
    pub sealed: Sealed,
}

/// An opened secret share with what it belongs to.
pub struct TrusteeShare {
    pub ceremony: Digest,
    pub trustee: u32,
    pub verification_key: Point,
    pub joint_key: Point,
    pub share: SecretShare,
}

impl std::fmt::Debug for TrusteeShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TrusteeShare(trustee {}, ceremony {}, <secret>)",
            self.trustee, self.ceremony
        )
    }
}

/// Where the share of ceremony `id` for the key file `key` is kept (next to the key file).
pub fn share_path(key: &Path, name: &str, id: &Digest) -> PathBuf {
    let dir = key.parent().unwrap_or_else(|| Path::new("."));
    let hex = id.to_hex();
    dir.join(format!("{name}.{}.share.secret.json", &hex[..16]))
}

impl TrusteeShare {
    fn aad(f: &ShareFile) -> Vec<u8> {
        fields(&[
            f.format.as_bytes(),
            f.name.as_bytes(),
            f.ceremony.as_bytes(),
            &f.trustee.to_be_bytes(),
            f.verification_key.as_bytes(),
            f.joint_key.as_bytes(),
        ])
    }

    /// Seals and writes the share (0600, new file).
    pub fn write_new(&self, path: &Path, name: &str, pass: &Passphrase) -> anyhow::Result<()> {
        let mut f = ShareFile {
            format: SHARE_FORMAT.into(),
            name: name.into(),
            ceremony: self.ceremony.to_hex(),
            trustee: self.trustee,
            verification_key: self.verification_key.to_hex(),
            joint_key: self.joint_key.to_hex(),
            sealed: Sealed {
                kdf: Kdf {
                    algorithm: String::new(),
                    memory_kib: 0,
                    iterations: 0,
                    parallelism: 0,
                    salt: String::new(),
                },
                aead: String::new(),
                nonce: String::new(),
                ciphertext: String::new(),
            },
        };
        let secret = Zeroizing::new(self.share.to_bytes());
        f.sealed = Sealed::seal(pass, &Self::aad(&f), &*secret)?;
        write_new_secret(path, &serde_json::to_vec_pretty(&f)?)
    }

    /// Reads and opens a share file; checks the share matches its verification key.
    pub fn read(path: &Path, pass: &Passphrase) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let f: ShareFile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a trustee share file", path.display()))?;
        if f.format != SHARE_FORMAT {
            bail!("{} is not a trustee share file", path.display());
        }
        let pt = f
            .sealed
            .open(pass, &Self::aad(&f))
            .with_context(|| format!("opening {}", path.display()))?;
        let bytes: [u8; 32] = pt
            .as_slice()
            .try_into()
            .context("the sealed share is not 32 bytes")?;
        let scalar = psephos_core::group::scalar_from_bytes(&bytes)
            .map_err(|_| anyhow::anyhow!("the sealed share is not a canonical scalar"))?;
        let share = SecretShare::from_scalar(scalar);
        let verification_key = Point::from_hex(&f.verification_key).context("verification key")?;
        if share.public() != verification_key {
            bail!("the share does not match its verification key");
        }
        Ok(TrusteeShare {
            ceremony: Digest::from_hex(&f.ceremony).context("ceremony id")?,
            trustee: f.trustee,
            verification_key,
            joint_key: Point::from_hex(&f.joint_key).context("joint key")?,
            share,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_key_file_round_trips_and_rejects_tampering() {
        let keys = TrusteeKeys::generate("alice").unwrap();
        let pass = Passphrase::new("correct horse".into());
        let file = keys.seal(&pass).unwrap();
        let again = TrusteeKeys::open(&file, &pass).unwrap();
        assert_eq!(again.public(), keys.public());
        assert_eq!(again.signing_key.as_bytes(), keys.signing_key.as_bytes());
        // Wrong passphrase.
        assert!(TrusteeKeys::open(&file, &Passphrase::new("wrong horse".into())).is_err());
        // A swapped public key fails to open (it is bound as associated data).
        let other = TrusteeKeys::generate("bob").unwrap();
        let mut swapped = file.clone();
        swapped.ceremony_key = other.public().ceremony_key;
        assert!(TrusteeKeys::open(&swapped, &pass).is_err());
        let mut renamed = file.clone();
        renamed.name = "mallory".into();
        assert!(TrusteeKeys::open(&renamed, &pass).is_err());
        // No secret in the serialized file.
        let text = serde_json::to_string(&file).unwrap();
        assert!(!text.contains(&hex::encode(keys.signing_key.as_bytes())));
        assert_eq!(format!("{keys:?}"), "TrusteeKeys(alice, <secret>)");
    }
}
