//! The canonical byte encoding (`docs/protocol.md`, §2).
//!
//! Everything that is hashed or signed is first turned into bytes by this encoding, never by a
//! JSON serializer: JSON has many spellings of one value, this has exactly one. The rules are few
//! so that another implementation can follow them from the spec alone:
//!
//! - integers: fixed width, big-endian (`u8`, `u32`, `u64`);
//! - points and scalars: their canonical 32 bytes; digests: 32 bytes;
//! - byte strings and UTF-8 strings: `u32` length, then the bytes;
//! - sequences: `u32` count, then the elements;
//! - optional values: `0x00`, or `0x01` then the value;
//! - enums: a `u8` tag, then the variant's fields.
//!
//! The [`Reader`] is strict: it rejects non-canonical points and scalars, lengths beyond the
//! remaining input, trailing bytes and unknown tags, and it never allocates more than the input
//! could possibly describe, so random bytes cannot make it panic or exhaust memory.

use crate::error::DecodeError;
use crate::group::{scalar_from_bytes, Point};
use crate::hash::Digest;
use curve25519_dalek::scalar::Scalar;

/// Writes canonical bytes.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    pub fn u8(&mut self, x: u8) -> &mut Self {
        self.buf.push(x);
        self
    }
    pub fn u32(&mut self, x: u32) -> &mut Self {
        self.buf.extend_from_slice(&x.to_be_bytes());
        self
    }
    pub fn u64(&mut self, x: u64) -> &mut Self {
        self.buf.extend_from_slice(&x.to_be_bytes());
        self
    }
    /// A length or count; lengths above `u32::MAX` cannot occur in a valid object.
    pub fn len(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }
    pub fn fixed(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.len(bytes.len());
        self.fixed(bytes)
    }
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }
    pub fn point(&mut self, p: &Point) -> &mut Self {
        self.fixed(p.as_bytes())
    }
    pub fn scalar(&mut self, x: &Scalar) -> &mut Self {
        self.fixed(x.as_bytes())
    }
    pub fn digest(&mut self, d: &Digest) -> &mut Self {
        self.fixed(&d.0)
    }
    pub fn seq<T: Canonical>(&mut self, xs: &[T]) -> &mut Self {
        self.len(xs.len());
        for x in xs {
            x.encode(self);
        }
        self
    }
    pub fn option<T: Canonical>(&mut self, x: &Option<T>) -> &mut Self {
        match x {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                v.encode(self);
                self
            }
        }
    }
}

/// Reads canonical bytes strictly.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.buf.len()))
        }
    }

    pub fn fixed(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::UnexpectedEnd);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn array32(&mut self) -> Result<[u8; 32], DecodeError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.fixed(32)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.fixed(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.fixed(4)?);
        Ok(u32::from_be_bytes(b))
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.fixed(8)?);
        Ok(u64::from_be_bytes(b))
    }

    /// A length prefix, checked against `limit` and against the remaining input (each of the
    /// `n` items takes at least `min_item` bytes), so allocation is bounded by the input size.
    pub fn len(&mut self, limit: usize, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n > limit {
            return Err(DecodeError::TooLong {
                got: n as u64,
                limit: limit as u64,
            });
        }
        if n.saturating_mul(min_item.max(1)) > self.buf.len() {
            return Err(DecodeError::UnexpectedEnd);
        }
        Ok(n)
    }

    pub fn bytes(&mut self, limit: usize) -> Result<&'a [u8], DecodeError> {
        let n = self.len(limit, 1)?;
        self.fixed(n)
    }

    pub fn str(&mut self, limit: usize) -> Result<String, DecodeError> {
        let b = self.bytes(limit)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| DecodeError::Utf8)
    }

    pub fn point(&mut self) -> Result<Point, DecodeError> {
        Point::from_bytes(&self.array32()?)
    }

    pub fn point_nonidentity(&mut self) -> Result<Point, DecodeError> {
        Point::from_bytes_nonidentity(&self.array32()?)
    }

    pub fn scalar(&mut self) -> Result<Scalar, DecodeError> {
        scalar_from_bytes(&self.array32()?)
    }

    pub fn digest(&mut self) -> Result<Digest, DecodeError> {
        Ok(Digest(self.array32()?))
    }

    pub fn seq<T: Canonical>(&mut self, limit: usize) -> Result<Vec<T>, DecodeError> {
        let n = self.len(limit, T::MIN_ENCODED_LEN)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::decode(self)?);
        }
        Ok(out)
    }

    pub fn option<T: Canonical>(&mut self) -> Result<Option<T>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(self)?)),
            tag => Err(DecodeError::UnknownTag {
                what: "option",
                tag,
            }),
        }
    }
}

/// A type with one canonical byte encoding.
pub trait Canonical: Sized {
    /// The fewest bytes any value of this type encodes to (bounds allocations when decoding).
    const MIN_ENCODED_LEN: usize;

    fn encode(&self, w: &mut Writer);
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode(&mut w);
        w.into_bytes()
    }

    /// Decodes a complete value: trailing bytes are an error.
    fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

impl Canonical for Point {
    const MIN_ENCODED_LEN: usize = 32;
    fn encode(&self, w: &mut Writer) {
        w.point(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.point()
    }
}

impl Canonical for Scalar {
    const MIN_ENCODED_LEN: usize = 32;
    fn encode(&self, w: &mut Writer) {
        w.scalar(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.scalar()
    }
}

impl Canonical for Digest {
    const MIN_ENCODED_LEN: usize = 32;
    fn encode(&self, w: &mut Writer) {
        w.digest(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.digest()
    }
}

impl Canonical for u64 {
    const MIN_ENCODED_LEN: usize = 8;
    fn encode(&self, w: &mut Writer) {
        w.u64(*self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u64()
    }
}

impl Canonical for String {
    const MIN_ENCODED_LEN: usize = 4;
    fn encode(&self, w: &mut Writer) {
        w.str(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.str(crate::encoding::MAX_STRING)
    }
}

/// Longest string the decoder accepts (identifiers, labels, descriptions).
pub const MAX_STRING: usize = 64 * 1024;
/// Most elements in any encoded sequence.
pub const MAX_SEQ: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_bounded_by_the_input() {
        // A count of 2^32-1 strings with no bytes behind it must fail fast, not allocate.
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert!(r.seq::<String>(usize::MAX).is_err());
        let mut r = Reader::new(&[0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(
            r.seq::<String>(1).unwrap_err(),
            DecodeError::TooLong { got: 2, limit: 1 }
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = 7u64.to_canonical_bytes();
        assert_eq!(u64::from_canonical_bytes(&bytes).unwrap(), 7);
        bytes.push(0);
        assert_eq!(
            u64::from_canonical_bytes(&bytes).unwrap_err(),
            DecodeError::TrailingBytes(1)
        );
    }

    #[test]
    fn strings_round_trip_and_reject_bad_utf8() {
        let s = "Ψῆφος".to_string();
        assert_eq!(
            String::from_canonical_bytes(&s.to_canonical_bytes()).unwrap(),
            s
        );
        assert_eq!(
            String::from_canonical_bytes(&[0, 0, 0, 1, 0xff]).unwrap_err(),
            DecodeError::Utf8
        );
    }
}
