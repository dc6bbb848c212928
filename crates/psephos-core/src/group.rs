//! Ristretto255 points and scalars with strict canonical encodings.
//!
//! Every point that crosses a trust boundary arrives as 32 bytes and leaves as the same 32
//! bytes. Ristretto gives each group element exactly one valid encoding, and
//! `curve25519-dalek` rejects every other string; we keep that strictness everywhere and add the
//! protocol's own rule where it has one: public keys (election key, credentials, verification
//! keys) must not be the identity (see `docs/protocol.md`, §2 Encodings).
//!
//! [`Point`] keeps both the compressed encoding and the decompressed point. Verification needs
//! both — the bytes for the Fiat–Shamir transcript and the point for arithmetic — and
//! compressing or decompressing is the single most repeated cost of verifying a ballot, so each
//! point is decoded exactly once.

use crate::error::DecodeError;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Ristretto255 group element, decoded once, with its canonical encoding.
#[derive(Clone, Copy)]
pub struct Point {
    compressed: CompressedRistretto,
    point: RistrettoPoint,
}

impl Point {
    /// Wraps a computed point (compresses it once).
    pub fn from_point(point: RistrettoPoint) -> Self {
        Point {
            compressed: point.compress(),
            point,
        }
    }

    /// The identity element (its encoding is 32 zero bytes: no compression needed).
    pub fn identity() -> Self {
        Point {
            compressed: CompressedRistretto::identity(),
            point: RistrettoPoint::identity(),
        }
    }

    /// Decodes 32 bytes strictly: non-canonical encodings are rejected; the identity is allowed.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let compressed = CompressedRistretto(*bytes);
        let point = compressed
            .decompress()
            .ok_or(DecodeError::NonCanonicalPoint)?;
        Ok(Point { compressed, point })
    }

    /// Decodes 32 bytes strictly and rejects the identity (for public keys).
    pub fn from_bytes_nonidentity(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let p = Point::from_bytes(bytes)?;
        if p.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(p)
    }

    /// Decodes a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| DecodeError::WrongLength {
            expected: 32,
            got: bytes.len(),
        })?;
        Point::from_bytes(&arr)
    }

    /// Decodes lower-case or upper-case hex of exactly 64 digits.
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        Point::from_bytes(&hex32(s)?)
    }

    /// The decoded point.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.compressed.0
    }

    /// The canonical 32-byte encoding, by reference.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.compressed.0
    }

    /// The compressed form (for Bulletproofs, which takes compressed commitments).
    pub fn compressed(&self) -> CompressedRistretto {
        self.compressed
    }

    /// Whether this is the identity element.
    pub fn is_identity(&self) -> bool {
        self.compressed == CompressedRistretto::identity()
    }

    /// Lower-case hex of the encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.compressed.0)
    }
}

/// Turns halves `Pᵢ/2` into the points `Pᵢ`, compressing all of them with one shared field
/// inversion (`double_and_compress_batch`). Encoding is the costliest step of making a ballot
/// after the scalar multiplications; provers compute their points halved (the scalar times
/// `2⁻¹`, which costs nothing) and encode them here in one go.
pub fn points_from_halves(halves: &[RistrettoPoint]) -> Vec<Point> {
    RistrettoPoint::double_and_compress_batch(halves)
        .into_iter()
        .zip(halves)
        .map(|(compressed, half)| Point {
            compressed,
            point: half + half,
        })
        .collect()
}

/// `2⁻¹ mod ℓ`.
pub fn half() -> Scalar {
    // (ℓ + 1) / 2
    Scalar::from_bytes_mod_order([
        0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f,
        0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08,
    ])
}

impl From<RistrettoPoint> for Point {
    fn from(p: RistrettoPoint) -> Self {
        Point::from_point(p)
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        // Encodings are canonical, so equal bytes ⇔ equal elements.
        self.compressed == other.compressed
    }
}
impl Eq for Point {}

impl std::hash::Hash for Point {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.compressed.0.hash(state)
    }
}

impl std::fmt::Debug for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Point({})", self.to_hex())
    }
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Point::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Decodes a canonical scalar (strictly below the group order ℓ).
pub fn scalar_from_bytes(bytes: &[u8; 32]) -> Result<Scalar, DecodeError> {
    Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
        .ok_or(DecodeError::NonCanonicalScalar)
}

/// Decodes exactly 64 hex digits into 32 bytes.
pub fn hex32(s: &str) -> Result<[u8; 32], DecodeError> {
    if s.len() != 64 {
        return Err(DecodeError::WrongLength {
            expected: 32,
            got: s.len() / 2,
        });
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| DecodeError::Hex)?;
    Ok(out)
}

/// Serde helpers for public scalars (proof responses and challenges) as 64 hex digits.
pub mod serde_scalar {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(x.as_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = hex32(&s).map_err(serde::de::Error::custom)?;
        scalar_from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Serde helpers for vectors of public scalars.
pub mod serde_scalar_vec {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(xs: &[Scalar], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(xs.len()))?;
        for x in xs {
            seq.serialize_element(&hex::encode(x.as_bytes()))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        let strings = Vec::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        strings
            .iter()
            .map(|s| {
                let bytes = hex32(s).map_err(serde::de::Error::custom)?;
                scalar_from_bytes(&bytes).map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// Serde helpers for opaque byte strings as hex.
pub mod serde_bytes_hex {
    use super::*;

    pub fn serialize<S: Serializer>(x: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.as_bytes()).map_err(|_| serde::de::Error::custom(DecodeError::Hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    #[test]
    fn point_round_trip_and_identity_policy() {
        let p = Point::from_point(G * Scalar::from(7u64));
        assert_eq!(Point::from_bytes(&p.to_bytes()).unwrap(), p);
        assert_eq!(Point::from_hex(&p.to_hex()).unwrap(), p);
        let id = [0u8; 32];
        assert!(Point::from_bytes(&id).unwrap().is_identity());
        // The constant identity is what compressing the identity gives.
        assert_eq!(
            Point::identity(),
            Point::from_point(RistrettoPoint::identity())
        );
        assert_eq!(Point::identity().to_bytes(), id);
        assert_eq!(
            Point::from_bytes_nonidentity(&id).unwrap_err(),
            DecodeError::IdentityPoint
        );
    }

    #[test]
    fn halves_compress_to_the_whole_points() {
        assert_eq!(half() * Scalar::from(2u64), Scalar::ONE);
        let pts: Vec<RistrettoPoint> = (1..5u64).map(|i| G * Scalar::from(i)).collect();
        let halves: Vec<RistrettoPoint> = pts.iter().map(|p| p * half()).collect();
        let got = points_from_halves(&halves);
        for (g, p) in got.iter().zip(&pts) {
            assert_eq!(*g, Point::from_point(*p));
            assert_eq!(g.point(), p);
        }
    }

    #[test]
    fn non_canonical_points_are_rejected() {
        // The field element p = 2^255 - 19 encodes 0 non-canonically.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(
            Point::from_bytes(&p).unwrap_err(),
            DecodeError::NonCanonicalPoint
        );
        // A negative field element (low bit set) is never a valid Ristretto encoding.
        let mut neg = [0u8; 32];
        neg[0] = 1;
        assert_eq!(
            Point::from_bytes(&neg).unwrap_err(),
            DecodeError::NonCanonicalPoint
        );
        // The high bit must be clear.
        let mut high = G.compress().to_bytes();
        high[31] |= 0x80;
        assert_eq!(
            Point::from_bytes(&high).unwrap_err(),
            DecodeError::NonCanonicalPoint
        );
    }

    #[test]
    fn non_canonical_scalars_are_rejected() {
        // ℓ itself.
        let l = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
        assert_eq!(
            scalar_from_bytes(&l).unwrap_err(),
            DecodeError::NonCanonicalScalar
        );
        let mut l_minus_1 = l;
        l_minus_1[0] -= 1;
        assert!(scalar_from_bytes(&l_minus_1).is_ok());
        assert_eq!(
            hex32("zz").unwrap_err(),
            DecodeError::WrongLength {
                expected: 32,
                got: 1
            }
        );
    }
}
