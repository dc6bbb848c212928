//! The cryptography of the ceremony beyond Feldman arithmetic: share encryption, the
//! deterministic polynomial and the ceremony-bound coefficient proofs (§9.5).
//!
//! **Share encryption** is ephemeral–static ECDH on Ristretto255, HKDF-SHA256 and
//! ChaCha20-Poly1305, one fresh ephemeral key per share. Because every key encrypts exactly one
//! 32-byte plaintext, the AEAD nonce is the all-zero nonce. The HKDF `info` binds the ceremony
//! id, dealer, recipient, ephemeral key and recipient key; the AEAD's associated data binds the
//! ceremony id, dealer, recipient and ephemeral key, so a ciphertext moved to another slot, dealer
//! or ceremony does not decrypt.
//!
//! **The polynomial** is derived, not drawn: HKDF-SHA256 over the trustee's ceremony secret and
//! signing seed, expanded per coefficient with the ceremony id and the trustee's index. This is
//! what lets an interrupted trustee rebuild its state from its keys and the board alone
//! ([`super::Trustee::replay`]); a new attempt has a new id and so a new polynomial.

use super::messages::EncryptedShare;
use super::params::{CeremonySecretKey, TrusteeIndex};
use crate::encoding::Writer;
use crate::generators::g_table;
use crate::group::{scalar_from_bytes, Point};
use crate::hash::Digest;
use crate::proofs::SchnorrProof;
use crate::threshold::SecretShare;
use crate::transcript::{labels, prover_rng, random_scalar, Transcript, TranscriptProtocol};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why a dealt share could not be recovered from its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShareDecryptionError {
    #[error("the ciphertext does not decrypt under this key")]
    Aead,
    #[error("the plaintext is not a canonical scalar")]
    NonCanonical,
}

/// HKDF-SHA256 with no salt: `Expand(Extract(0, ikm), info, N)`.
fn hkdf<const N: usize>(ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; N]> {
    let mut okm = Zeroizing::new([0u8; N]);
    if Hkdf::<Sha256>::new(None, ikm)
        .expand(info, okm.as_mut())
        .is_err()
    {
        // HKDF-SHA256 can expand to 255·32 bytes; N is 32 or 64.
        unreachable!("HKDF output length {N} is within bounds");
    }
    okm
}

fn share_key(
    ceremony: &Digest,
    from: TrusteeIndex,
    to: TrusteeIndex,
    ephemeral: &Point,
    recipient: &Point,
    shared: &Point,
) -> Zeroizing<[u8; 32]> {
    let mut info = Writer::new();
    info.bytes(labels::CEREMONY_SHARE_KEY)
        .digest(ceremony)
        .u32(from.get())
        .u32(to.get())
        .point(ephemeral)
        .point(recipient);
    hkdf::<32>(shared.as_bytes(), &info.into_bytes())
}

fn share_aad(
    ceremony: &Digest,
    from: TrusteeIndex,
    to: TrusteeIndex,
    ephemeral: &Point,
) -> Vec<u8> {
    let mut aad = Writer::new();
    aad.bytes(labels::CEREMONY_SHARE_AAD)
        .digest(ceremony)
        .u32(from.get())
        .u32(to.get())
        .point(ephemeral);
    aad.into_bytes()
}

impl EncryptedShare {
    /// Encrypts `share = f_from(to)` to `recipient = X_to` with a fresh ephemeral key (hedged by
    /// the share itself, so a weak RNG alone does not repeat or reveal it).
    pub fn encrypt<R: RngCore + CryptoRng>(
        ceremony: &Digest,
        from: TrusteeIndex,
        to: TrusteeIndex,
        recipient: &Point,
        share: &SecretShare,
        rng: &mut R,
    ) -> Self {
        let mut t = Transcript::for_proof(labels::CEREMONY_EPHEMERAL);
        t.append_digest(b"ceremony", ceremony);
        t.append_u64(b"from", u64::from(from.get()));
        t.append_u64(b"to", u64::from(to.get()));
        t.append_point(b"X", recipient);
        let mut e = Zeroizing::new(random_scalar(&mut prover_rng(&t, &[share.scalar()], rng)));
        if *e == Scalar::ZERO {
            // Probability 2⁻²⁵²; keep E a valid (non-identity) key regardless.
            *e = Scalar::ONE;
        }
        let plaintext = Zeroizing::new(share.to_bytes());
        Self::seal(ceremony, from, to, recipient, &plaintext, &e)
    }

    /// Encrypts 32 bytes with the ephemeral secret `e`.
    fn seal(
        ceremony: &Digest,
        from: TrusteeIndex,
        to: TrusteeIndex,
        recipient: &Point,
        plaintext: &[u8; 32],
        e: &Scalar,
    ) -> Self {
        let ephemeral = Point::from_point(g_table() * e);
        let shared = Point::from_point(recipient.point() * e);
        let key = share_key(ceremony, from, to, &ephemeral, recipient, &shared);
        let aad = share_aad(ceremony, from, to, &ephemeral);
        let mut buf = Zeroizing::new(*plaintext);
        let cipher = ChaCha20Poly1305::new(key.as_ref().into());
        let mut ciphertext = [0u8; 48];
        match cipher.encrypt_in_place_detached(&Nonce::default(), &aad, buf.as_mut()) {
            Ok(tag) => {
                ciphertext[..32].copy_from_slice(buf.as_ref());
                ciphertext[32..].copy_from_slice(&tag);
            }
            // ChaCha20-Poly1305 only refuses plaintexts longer than 256 GiB.
            Err(_) => unreachable!("a 32-byte plaintext is always encryptable"),
        }
        EncryptedShare {
            ephemeral,
            ciphertext,
        }
    }

    /// Decrypts the share dealt by `from` to `to` with `to`'s ceremony secret. Does not check
    /// the share against the dealer's commitments.
    pub fn decrypt(
        &self,
        ceremony: &Digest,
        from: TrusteeIndex,
        to: TrusteeIndex,
        secret: &CeremonySecretKey,
    ) -> Result<SecretShare, ShareDecryptionError> {
        let recipient = secret.public_key();
        let shared = Point::from_point(self.ephemeral.point() * secret.scalar());
        let key = share_key(ceremony, from, to, &self.ephemeral, &recipient, &shared);
        let aad = share_aad(ceremony, from, to, &self.ephemeral);
        let mut buf = Zeroizing::new([0u8; 32]);
        buf.copy_from_slice(&self.ciphertext[..32]);
        let tag = Tag::from_slice(&self.ciphertext[32..]);
        let cipher = ChaCha20Poly1305::new(key.as_ref().into());
        cipher
            .decrypt_in_place_detached(&Nonce::default(), &aad, buf.as_mut(), tag)
            .map_err(|_| ShareDecryptionError::Aead)?;
        scalar_from_bytes(&buf)
            .map(SecretShare::from_scalar)
            .map_err(|_| ShareDecryptionError::NonCanonical)
    }
}

/// The transcript of a ceremony coefficient proof: opening, `"ceremony"` id, `"trustee"` i,
/// `"coefficient"` l (then the Schnorr body of §5.1).
fn coefficient_transcript(ceremony: &Digest, trustee: TrusteeIndex, l: usize) -> Transcript {
    let mut t = Transcript::for_proof(labels::CEREMONY_COEFFICIENT);
    t.append_digest(b"ceremony", ceremony);
    t.append_u64(b"trustee", u64::from(trustee.get()));
    t.append_u64(b"coefficient", l as u64);
    t
}

/// Whether dealer `trustee`'s round-1 commitment is valid: exactly `threshold` coefficients,
/// none the identity, as many proofs, each verifying on its ceremony-bound transcript.
pub(crate) fn verify_commitment(
    ceremony: &Digest,
    trustee: TrusteeIndex,
    threshold: u32,
    coefficients: &[Point],
    proofs: &[SchnorrProof],
) -> bool {
    coefficients.len() == threshold as usize
        && proofs.len() == coefficients.len()
        && coefficients
            .iter()
            .zip(proofs)
            .enumerate()
            .all(|(l, (c, p))| {
                !c.is_identity()
                    && p.verify(&mut coefficient_transcript(ceremony, trustee, l), c)
                        .is_ok()
            })
}

/// A trustee's secret polynomial `f(x) = Σ_{l<k} a_l·xˡ`, derived from its keys. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Polynomial {
    coefficients: Vec<Scalar>,
}

impl std::fmt::Debug for Polynomial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Polynomial(degree {}, <secret>)",
            self.coefficients.len().saturating_sub(1)
        )
    }
}

impl Polynomial {
    /// `a_l = wide(HKDF(x ‖ seed, label ‖ id ‖ i ‖ l, 64))` for `l = 0 … k−1`.
    pub(crate) fn derive(
        ceremony: &Digest,
        trustee: TrusteeIndex,
        threshold: u32,
        secret: &CeremonySecretKey,
        signing_key: &SigningKey,
    ) -> Self {
        let mut ikm = Zeroizing::new([0u8; 64]);
        ikm[..32].copy_from_slice(secret.to_bytes().as_ref());
        ikm[32..].copy_from_slice(signing_key.as_bytes());
        let coefficients = (0..threshold)
            .map(|l| {
                let mut info = Writer::new();
                info.bytes(labels::CEREMONY_POLYNOMIAL)
                    .digest(ceremony)
                    .u32(trustee.get())
                    .u32(l);
                let wide = hkdf::<64>(ikm.as_ref(), &info.into_bytes());
                Scalar::from_bytes_mod_order_wide(&wide)
            })
            .collect();
        Polynomial { coefficients }
    }

    /// `A_l = a_l·G`.
    pub(crate) fn commitments(&self) -> Vec<Point> {
        self.coefficients
            .iter()
            .map(|a| Point::from_point(g_table() * a))
            .collect()
    }

    /// The coefficient proofs for `commitments` (as returned by [`Self::commitments`]).
    pub(crate) fn proofs<R: RngCore + CryptoRng>(
        &self,
        ceremony: &Digest,
        trustee: TrusteeIndex,
        commitments: &[Point],
        rng: &mut R,
    ) -> Vec<SchnorrProof> {
        self.coefficients
            .iter()
            .zip(commitments)
            .enumerate()
            .map(|(l, (a, a_pub))| {
                let mut t = coefficient_transcript(ceremony, trustee, l);
                SchnorrProof::prove(&mut t, a, a_pub, rng)
            })
            .collect()
    }

    /// `f(x)` by Horner's rule.
    pub(crate) fn evaluate(&self, x: TrusteeIndex) -> SecretShare {
        let x = Scalar::from(x.get());
        let mut acc = Scalar::ZERO;
        for a in self.coefficients.iter().rev() {
            acc = acc * x + a;
        }
        SecretShare::from_scalar(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn a_non_canonical_plaintext_is_reported_as_such() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let x = CeremonySecretKey::generate(&mut rng);
        let id = Digest([3; 32]);
        let (from, to) = (TrusteeIndex::MIN, TrusteeIndex::MAX);
        let e = random_scalar(&mut rng);
        let sealed = EncryptedShare::seal(&id, from, to, &x.public_key(), &[0xff; 32], &e);
        assert_eq!(
            sealed.decrypt(&id, from, to, &x).unwrap_err(),
            ShareDecryptionError::NonCanonical
        );
        let ok = EncryptedShare::seal(&id, from, to, &x.public_key(), &[7; 32], &e);
        assert_eq!(ok.decrypt(&id, from, to, &x).unwrap().to_bytes(), [7; 32]);
    }

    #[test]
    fn the_polynomial_is_a_function_of_keys_ceremony_and_index() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let x = CeremonySecretKey::generate(&mut rng);
        let sk = SigningKey::from_bytes(&[9; 32]);
        let id = Digest([4; 32]);
        let i = TrusteeIndex::MIN;
        let p = Polynomial::derive(&id, i, 3, &x, &sk);
        assert_eq!(
            p.commitments(),
            Polynomial::derive(&id, i, 3, &x, &sk).commitments()
        );
        assert_ne!(
            p.commitments(),
            Polynomial::derive(&Digest([5; 32]), i, 3, &x, &sk).commitments()
        );
        let j = TrusteeIndex::new(2).unwrap();
        assert_ne!(
            p.commitments(),
            Polynomial::derive(&id, j, 3, &x, &sk).commitments()
        );
        let sk2 = SigningKey::from_bytes(&[8; 32]);
        assert_ne!(
            p.commitments(),
            Polynomial::derive(&id, i, 3, &x, &sk2).commitments()
        );
        assert_eq!(p.commitments().len(), 3);
        assert!(format!("{p:?}").contains("<secret>"));
        let proofs = p.proofs(&id, i, &p.commitments(), &mut rng);
        assert!(verify_commitment(&id, i, 3, &p.commitments(), &proofs));
        assert!(!verify_commitment(&id, j, 3, &p.commitments(), &proofs));
        assert!(!verify_commitment(
            &Digest([5; 32]),
            i,
            3,
            &p.commitments(),
            &proofs
        ));
        assert!(!verify_commitment(&id, i, 4, &p.commitments(), &proofs));
    }
}
