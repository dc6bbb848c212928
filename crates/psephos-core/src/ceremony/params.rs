//! Who takes part in a ceremony, with which keys, and the ceremony id that binds it all.

use super::CeremonyError;
use crate::election::Manifest;
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::DecodeError;
use crate::generators::g_table;
use crate::group::{scalar_from_bytes, Point};
use crate::hash::Digest;
use crate::transcript::{labels, random_scalar};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::VerifyingKey;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Most trustees a ceremony may have (bounds every decoder and the quadratic share traffic).
pub const MAX_TRUSTEES: u32 = 256;
/// Longest trustee name, in bytes.
const MAX_NAME: usize = 256;

/// A trustee's 1-based position in the ceremony (and later in decryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrusteeIndex(u32);

impl TrusteeIndex {
    pub(crate) const MIN: TrusteeIndex = TrusteeIndex(1);
    pub(crate) const MAX: TrusteeIndex = TrusteeIndex(u32::MAX);

    /// `None` for 0: indices start at 1 (0 is where polynomials hold their secret).
    pub fn new(i: u32) -> Option<Self> {
        (i >= 1).then_some(TrusteeIndex(i))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for TrusteeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Canonical for TrusteeIndex {
    const MIN_ENCODED_LEN: usize = 4;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        TrusteeIndex::new(r.u32()?).ok_or(DecodeError::Invalid {
            what: "trustee index",
            detail: "trustee indices start at 1".into(),
        })
    }
}

/// One trustee's public identity in a ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrusteePublic {
    pub index: TrusteeIndex,
    /// A human-readable name (person or organisation), for messages and the board view.
    pub name: String,
    /// Long-term Ed25519 key that signs every ceremony message.
    pub signing_key: VerifyingKey,
    /// Ristretto255 key `X = x·G` that dealt shares are encrypted to.
    pub ceremony_key: Point,
}

impl Canonical for TrusteePublic {
    const MIN_ENCODED_LEN: usize = 4 + 4 + 32 + 32;
    fn encode(&self, w: &mut Writer) {
        self.index.encode(w);
        w.str(&self.name)
            .fixed(self.signing_key.as_bytes())
            .point(&self.ceremony_key);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let index = TrusteeIndex::decode(r)?;
        let name = r.str(MAX_NAME)?;
        let signing_key =
            VerifyingKey::from_bytes(&r.array32()?).map_err(|_| DecodeError::Invalid {
                what: "Ed25519 public key",
                detail: "not a valid point encoding".into(),
            })?;
        let ceremony_key = r.point_nonidentity()?;
        Ok(TrusteePublic {
            index,
            name,
            signing_key,
            ceremony_key,
        })
    }
}

/// The parameters of one ceremony: the election it is for, `k` of `n`, and the trustees.
///
/// Validated on construction (and on decoding): `1 ≤ k ≤ n ≤` [`MAX_TRUSTEES`], trustees listed
/// in index order `1 … n`, non-empty names, no weak (small-order) signing key, no identity
/// ceremony key, and no key used twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyParams {
    manifest_hash: Digest,
    attempt: u32,
    count: u32,
    threshold: u32,
    trustees: Vec<TrusteePublic>,
    id: Digest,
}

impl CeremonyParams {
    /// The first attempt of a ceremony for `manifest_hash` among `trustees`.
    pub fn new(
        manifest_hash: Digest,
        count: u32,
        threshold: u32,
        trustees: Vec<TrusteePublic>,
    ) -> Result<Self, CeremonyError> {
        Self::build(manifest_hash, 1, count, threshold, trustees)
    }

    /// The parameters for `manifest`, with its `k` of `n`.
    pub fn for_manifest(
        manifest: &Manifest,
        trustees: Vec<TrusteePublic>,
    ) -> Result<Self, CeremonyError> {
        Self::new(
            manifest.hash(),
            manifest.trustees.count,
            manifest.trustees.threshold,
            trustees,
        )
    }

    /// The same ceremony run again (attempt numbers start at 1). A new attempt has a new id, so
    /// no message of a failed attempt can be replayed into it, and every trustee draws a new
    /// polynomial.
    pub fn with_attempt(self, attempt: u32) -> Result<Self, CeremonyError> {
        Self::build(
            self.manifest_hash,
            attempt,
            self.count,
            self.threshold,
            self.trustees,
        )
    }

    fn build(
        manifest_hash: Digest,
        attempt: u32,
        count: u32,
        threshold: u32,
        trustees: Vec<TrusteePublic>,
    ) -> Result<Self, CeremonyError> {
        let bad = |m: String| Err(CeremonyError::InvalidParams(m));
        if attempt == 0 {
            return bad("attempt numbers start at 1".into());
        }
        if count == 0 || count > MAX_TRUSTEES {
            return bad(format!(
                "the trustee count must be between 1 and {MAX_TRUSTEES}, not {count}"
            ));
        }
        if threshold == 0 || threshold > count {
            return bad(format!(
                "the threshold must be between 1 and the trustee count {count}, not {threshold}"
            ));
        }
        if trustees.len() != count as usize {
            return bad(format!(
                "{} trustees listed for a count of {count}",
                trustees.len()
            ));
        }
        for (pos, t) in trustees.iter().enumerate() {
            if t.index.get() as usize != pos + 1 {
                return bad(format!(
                    "trustee {} listed at position {}: trustees must be listed as 1 … n",
                    t.index,
                    pos + 1
                ));
            }
            if t.name.trim().is_empty() || t.name.len() > MAX_NAME {
                return bad(format!(
                    "trustee {}: a name must be 1 to {MAX_NAME} bytes",
                    t.index
                ));
            }
            if t.signing_key.is_weak() {
                return bad(format!(
                    "trustee {}: weak (small-order) signing key",
                    t.index
                ));
            }
            if t.ceremony_key.is_identity() {
                return bad(format!("trustee {}: identity ceremony key", t.index));
            }
            for u in &trustees[..pos] {
                if u.signing_key == t.signing_key {
                    return bad(format!(
                        "trustees {} and {} share a signing key",
                        u.index, t.index
                    ));
                }
                if u.ceremony_key == t.ceremony_key {
                    return bad(format!(
                        "trustees {} and {} share a ceremony key",
                        u.index, t.index
                    ));
                }
            }
        }
        let mut p = CeremonyParams {
            manifest_hash,
            attempt,
            count,
            threshold,
            trustees,
            id: Digest::default(),
        };
        p.id = Digest::of(labels::CEREMONY_ID, &p.to_canonical_bytes());
        Ok(p)
    }

    /// `SHA-256(label ‖ canonical parameters)`: bound into every signature, proof and share.
    pub fn id(&self) -> &Digest {
        &self.id
    }
    pub fn manifest_hash(&self) -> &Digest {
        &self.manifest_hash
    }
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
    /// `n`.
    pub fn count(&self) -> u32 {
        self.count
    }
    /// `k`.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }
    pub fn trustees(&self) -> &[TrusteePublic] {
        &self.trustees
    }
    /// The trustee at `index`, if there is one.
    pub fn trustee(&self, index: TrusteeIndex) -> Option<&TrusteePublic> {
        self.trustees.get(index.get() as usize - 1)
    }
    /// The index `i` if `1 ≤ i ≤ n`.
    pub fn index(&self, i: u32) -> Option<TrusteeIndex> {
        (1..=self.count).contains(&i).then_some(TrusteeIndex(i))
    }
    /// `1 … n`.
    pub fn indices(&self) -> impl Iterator<Item = TrusteeIndex> {
        (1..=self.count).map(TrusteeIndex)
    }
}

impl Canonical for CeremonyParams {
    const MIN_ENCODED_LEN: usize = 32 + 4 + 4 + 4 + 4;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.manifest_hash)
            .u32(self.attempt)
            .u32(self.count)
            .u32(self.threshold)
            .seq(&self.trustees);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let manifest_hash = r.digest()?;
        let attempt = r.u32()?;
        let count = r.u32()?;
        let threshold = r.u32()?;
        let trustees = r.seq(MAX_TRUSTEES as usize)?;
        Self::build(manifest_hash, attempt, count, threshold, trustees).map_err(|e| {
            DecodeError::Invalid {
                what: "ceremony parameters",
                detail: e.to_string(),
            }
        })
    }
}

/// A trustee's ceremony secret `x` (shares dealt to it are encrypted to `X = x·G`). Zeroized on
/// drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CeremonySecretKey(Scalar);

impl std::fmt::Debug for CeremonySecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CeremonySecretKey(<secret>)")
    }
}

impl CeremonySecretKey {
    /// A fresh uniform key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let x = random_scalar(rng);
            if x != Scalar::ZERO {
                return CeremonySecretKey(x);
            }
        }
    }

    /// Decodes a stored key: a canonical, non-zero scalar.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let x = scalar_from_bytes(bytes)?;
        if x == Scalar::ZERO {
            return Err(DecodeError::Invalid {
                what: "ceremony secret key",
                detail: "zero".into(),
            });
        }
        Ok(CeremonySecretKey(x))
    }

    /// The 32-byte encoding (for the trustee's secret file), zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// `X = x·G`.
    pub fn public_key(&self) -> Point {
        Point::from_point(g_table() * &self.0)
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}
