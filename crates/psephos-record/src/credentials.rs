//! The public credential list (`docs/protocol.md`, §7.1): each voter's public credential
//! `C = c·G` with its ballot style and weight, sorted by the credential's bytes, with no voter
//! ids. The credential authority makes it offline (`psephos credentials generate`); the board
//! publishes it before voting opens, and from then on a ballot is accepted only if it is signed
//! by a listed credential for that credential's ballot style.
//!
//! [`CredentialList::validate`] checks a list against the manifest; the board's rules and the
//! verifier use it, and so does the credential authority's tool before writing a list.

use psephos_core::election::Manifest;
use psephos_core::encoding::{Canonical, Reader, Writer, MAX_STRING};
use psephos_core::error::DecodeError;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::tally::MAX_WEIGHT;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// Version of the public credential list format.
pub const LIST_VERSION: u32 = 1;
/// Longest voter id, in characters.
pub const MAX_VOTER_ID: usize = 256;

/// One listed public credential: bound to one ballot style and one weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedCredential {
    /// `C = c·G`, hex of the canonical encoding (decoded strictly).
    pub credential: Point,
    /// A ballot style id of the manifest.
    pub style: String,
    /// `1 ≤ weight ≤ MAX_WEIGHT`; exactly 1 in an unweighted election.
    pub weight: u64,
}

/// The public credential list, as uploaded to the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialList {
    pub version: u32,
    /// The manifest's `[election] id`.
    pub election_id: String,
    /// The manifest hash (hex).
    pub manifest_hash: Digest,
    /// Sorted by the credential's 32 bytes, strictly ascending.
    pub credentials: Vec<ListedCredential>,
}

/// Why a public credential list is not acceptable for an election.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ListError {
    #[error("unsupported credential list version {0} (expected {LIST_VERSION})")]
    Version(u32),
    #[error("the list is for election {got:?}, not {expected:?}")]
    ElectionId { expected: String, got: String },
    #[error("the list is for manifest hash {got}, not this manifest's {expected}")]
    ManifestHash { expected: Digest, got: Digest },
    #[error("the list has no credentials")]
    Empty,
    #[error("credential #{index}: unknown ballot style {style:?}")]
    UnknownStyle { index: usize, style: String },
    #[error("credential #{index}: {reason}")]
    Weight { index: usize, reason: String },
    #[error("credential #{index} is the identity point")]
    Identity { index: usize },
    #[error("credential #{index} is listed twice ({credential})")]
    Duplicate { index: usize, credential: String },
    #[error("credential #{index} is out of order: the list must be sorted by credential bytes")]
    Unsorted { index: usize },
}

/// Checks a weight against the manifest's rule; the error says why.
pub fn check_weight(manifest: &Manifest, weight: u64) -> Result<(), String> {
    if !manifest.weighted {
        if weight != 1 {
            return Err(format!(
                "weight {weight} in an unweighted election (every weight must be 1)"
            ));
        }
    } else if weight == 0 || weight > MAX_WEIGHT {
        return Err(format!(
            "weight {weight} is out of range (must be between 1 and {MAX_WEIGHT})"
        ));
    }
    Ok(())
}

impl CredentialList {
    /// Builds the list for a manifest, sorting the credentials by their bytes.
    pub fn new(manifest: &Manifest, mut credentials: Vec<ListedCredential>) -> Self {
        credentials.sort_by(|a, b| a.credential.as_bytes().cmp(b.credential.as_bytes()));
        CredentialList {
            version: LIST_VERSION,
            election_id: manifest.id.clone(),
            manifest_hash: manifest.hash(),
            credentials,
        }
    }

    /// Checks the list against the manifest: version, election id, manifest hash, every style
    /// listed in the manifest, every weight valid, every credential non-identity (points are
    /// already decoded strictly), no credential twice, sorted by bytes. Returns its summary.
    pub fn validate(&self, manifest: &Manifest) -> Result<Summary, ListError> {
        let listed = self.validate_entry(manifest, None)?;
        let mut summary = Summary::new(manifest);
        for c in &listed {
            if let Some(style) = manifest.ballot_styles.get(c.style) {
                summary.add(&style.id, c.weight);
            }
        }
        Ok(summary)
    }

    /// The one check of a credential list, as a whole ([`CredentialList::validate`]) or as one
    /// board entry of a longer list (the election's rules, `previous_last` being the last
    /// credential of the entries already published): version, election id, manifest hash, not
    /// empty, and for each credential in order a style of the manifest, a valid weight, not the
    /// identity, and bytes strictly greater than the previous credential's — so, the entries
    /// together being sorted, no credential appears twice. Returns each credential's bytes,
    /// style index and weight, in order.
    pub fn validate_entry(
        &self,
        manifest: &Manifest,
        previous_last: Option<[u8; 32]>,
    ) -> Result<Vec<ValidCredential>, ListError> {
        validate_entry(
            self.version,
            &self.election_id,
            &self.manifest_hash,
            self.credentials
                .iter()
                .map(|c| (c.credential.to_bytes(), c.style.as_str(), c.weight)),
            manifest,
            previous_last,
        )
    }
}

/// A credential-list entry read without decompressing its points: what the server's replay of
/// its own board reads (`docs/protocol.md` §11.4), every point having been decoded strictly
/// when the entry was posted. [`RawCredentialList::validate_entry`] checks exactly what
/// [`CredentialList::validate_entry`] checks (the identity is the all-zero encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCredentialList<'a> {
    pub version: u32,
    pub election_id: &'a str,
    pub manifest_hash: Digest,
    /// `(credential bytes, style id, weight)`, in entry order.
    pub credentials: Vec<([u8; 32], &'a str, u64)>,
}

impl<'a> RawCredentialList<'a> {
    /// Reads an entry's canonical bytes (the whole of them) as [`CredentialList`]'s decoding
    /// does, but for the points.
    pub fn peek(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u32()?;
        let election_id = utf8(r.bytes(MAX_STRING)?)?;
        let manifest_hash = r.digest()?;
        let n = r.len(
            MAX_CREDENTIALS_PER_ENTRY,
            <ListedCredential as Canonical>::MIN_ENCODED_LEN,
        )?;
        let mut credentials = Vec::with_capacity(n);
        for _ in 0..n {
            let point = r.array32()?;
            let style = utf8(r.bytes(MAX_STRING)?)?;
            credentials.push((point, style, r.u64()?));
        }
        r.finish()?;
        Ok(RawCredentialList {
            version,
            election_id,
            manifest_hash,
            credentials,
        })
    }

    /// [`CredentialList::validate_entry`] on the raw entry.
    pub fn validate_entry(
        &self,
        manifest: &Manifest,
        previous_last: Option<[u8; 32]>,
    ) -> Result<Vec<ValidCredential>, ListError> {
        validate_entry(
            self.version,
            self.election_id,
            &self.manifest_hash,
            self.credentials.iter().copied(),
            manifest,
            previous_last,
        )
    }
}

fn utf8(b: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(b).map_err(|_| DecodeError::Utf8)
}

/// The checks of [`CredentialList::validate_entry`], over `(credential bytes, style, weight)`.
fn validate_entry<'s>(
    version: u32,
    election_id: &str,
    manifest_hash: &Digest,
    credentials: impl ExactSizeIterator<Item = ([u8; 32], &'s str, u64)>,
    manifest: &Manifest,
    previous_last: Option<[u8; 32]>,
) -> Result<Vec<ValidCredential>, ListError> {
    if version != LIST_VERSION {
        return Err(ListError::Version(version));
    }
    if election_id != manifest.id {
        return Err(ListError::ElectionId {
            expected: manifest.id.clone(),
            got: election_id.to_owned(),
        });
    }
    let expected = manifest.hash();
    if *manifest_hash != expected {
        return Err(ListError::ManifestHash {
            expected,
            got: *manifest_hash,
        });
    }
    if credentials.len() == 0 {
        return Err(ListError::Empty);
    }
    let mut previous = previous_last;
    let mut out: Vec<ValidCredential> = Vec::with_capacity(credentials.len());
    for (index, (bytes, style_id, weight)) in credentials.enumerate() {
        let style = manifest
            .ballot_styles
            .iter()
            .position(|s| s.id == style_id)
            .ok_or_else(|| ListError::UnknownStyle {
                index,
                style: style_id.to_owned(),
            })?;
        check_weight(manifest, weight).map_err(|reason| ListError::Weight { index, reason })?;
        // The identity's only canonical encoding is 32 zero bytes.
        if bytes == [0u8; 32] {
            return Err(ListError::Identity { index });
        }
        if let Some(p) = previous {
            // Equal to the previous one, or (out of order) to an earlier one of this entry:
            // listed twice. Otherwise smaller: out of order.
            if bytes == p || (bytes < p && out.iter().any(|o| o.credential == bytes)) {
                return Err(ListError::Duplicate {
                    index,
                    credential: hex::encode(bytes),
                });
            }
            if bytes < p {
                return Err(ListError::Unsorted { index });
            }
        }
        previous = Some(bytes);
        out.push(ValidCredential {
            credential: bytes,
            style,
            weight,
        });
    }
    Ok(out)
}

/// One credential of a list that passed [`CredentialList::validate_entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidCredential {
    /// The credential's canonical bytes.
    pub credential: [u8; 32],
    /// Its ballot style, as an index into the manifest's styles.
    pub style: usize,
    pub weight: u64,
}

/// Counts per ballot style and in total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub election_id: String,
    pub manifest_hash: Digest,
    /// Style id → (credentials, total weight), for every style of the manifest.
    pub per_style: BTreeMap<String, (u64, u64)>,
    pub credentials: u64,
    pub total_weight: u64,
}

impl Summary {
    fn new(manifest: &Manifest) -> Self {
        Summary {
            election_id: manifest.id.clone(),
            manifest_hash: manifest.hash(),
            per_style: manifest
                .ballot_styles
                .iter()
                .map(|s| (s.id.clone(), (0, 0)))
                .collect(),
            credentials: 0,
            total_weight: 0,
        }
    }

    fn add(&mut self, style: &str, weight: u64) {
        let e = self.per_style.entry(style.to_string()).or_insert((0, 0));
        e.0 += 1;
        e.1 += weight;
        self.credentials += 1;
        self.total_weight += weight;
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "election {}", self.election_id)?;
        writeln!(f, "manifest hash {}", self.manifest_hash)?;
        writeln!(
            f,
            "{} credentials, total weight {}",
            self.credentials, self.total_weight
        )?;
        for (style, (n, w)) in &self.per_style {
            writeln!(f, "  style {style}: {n} credentials, weight {w}")?;
        }
        Ok(())
    }
}

/// Most credentials in one board entry. A longer list is published as several entries
/// ([`CredentialList::chunks`]), in order, before voting opens; together they must still be
/// sorted strictly by credential bytes (so no credential appears twice across entries).
pub const MAX_CREDENTIALS_PER_ENTRY: usize = 16_384;

/// Most canonical bytes [`CredentialList::chunks`] puts in one entry: the board's entry limit
/// (1 MiB) less 4 KiB of headroom.
pub const MAX_CREDENTIAL_ENTRY_BYTES: usize = psephos_board::entry::MAX_PAYLOAD_SIZE - 4096;

impl CredentialList {
    /// Splits the list into board entries of at most [`MAX_CREDENTIALS_PER_ENTRY`] credentials
    /// and at most [`MAX_CREDENTIAL_ENTRY_BYTES`] canonical bytes, keeping the order. (With
    /// long ballot style ids, 16,384 credentials are more than the board's 1 MiB per entry.)
    pub fn chunks(&self) -> Vec<CredentialList> {
        self.chunks_within(MAX_CREDENTIAL_ENTRY_BYTES)
    }

    /// [`CredentialList::chunks`] with entries of at most `max_bytes` canonical bytes (and at
    /// most [`MAX_CREDENTIALS_PER_ENTRY`] credentials). Every entry holds at least one
    /// credential, so a `max_bytes` smaller than one credential's entry is exceeded.
    pub fn chunks_within(&self, max_bytes: usize) -> Vec<CredentialList> {
        let empty = |credentials: Vec<ListedCredential>| CredentialList {
            version: self.version,
            election_id: self.election_id.clone(),
            manifest_hash: self.manifest_hash,
            credentials,
        };
        let header = empty(Vec::new()).to_canonical_bytes().len();
        let mut out = Vec::new();
        let mut current: Vec<ListedCredential> = Vec::new();
        let mut bytes = header;
        for c in &self.credentials {
            let size = c.encoded_len();
            if !current.is_empty()
                && (current.len() == MAX_CREDENTIALS_PER_ENTRY || bytes + size > max_bytes)
            {
                out.push(empty(std::mem::take(&mut current)));
                bytes = header;
            }
            current.push(c.clone());
            bytes += size;
        }
        if !current.is_empty() {
            out.push(empty(current));
        }
        out
    }
}

impl ListedCredential {
    /// Length of the canonical encoding: point, length-prefixed style id, weight.
    pub fn encoded_len(&self) -> usize {
        32 + 4 + self.style.len() + 8
    }
}

impl Canonical for ListedCredential {
    const MIN_ENCODED_LEN: usize = 32 + 4 + 8;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.credential).str(&self.style).u64(self.weight);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ListedCredential {
            credential: r.point_nonidentity()?,
            style: r.str(MAX_STRING)?,
            weight: r.u64()?,
        })
    }
}

/// Canonical bytes of one credential-list entry:
/// `u32 version ‖ str election id ‖ manifest hash ‖ seq(credential ‖ str style ‖ u64 weight)`.
impl Canonical for CredentialList {
    const MIN_ENCODED_LEN: usize = 4 + 4 + 32 + 4;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.version)
            .str(&self.election_id)
            .digest(&self.manifest_hash)
            .seq(&self.credentials);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CredentialList {
            version: r.u32()?,
            election_id: r.str(MAX_STRING)?,
            manifest_hash: r.digest()?,
            credentials: r.seq(MAX_CREDENTIALS_PER_ENTRY)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn list(n: usize, style: &str) -> CredentialList {
        CredentialList {
            version: LIST_VERSION,
            election_id: "e".into(),
            manifest_hash: Digest([7; 32]),
            credentials: (0..n)
                .map(|i| ListedCredential {
                    credential: Point::identity(),
                    style: style.into(),
                    weight: i as u64,
                })
                .collect(),
        }
    }

    #[test]
    fn chunks_are_bounded_by_bytes_and_by_count() {
        // 64-character style ids: 16,384 credentials would be 1.7 MiB in one entry.
        let long = list(40_000, &"s".repeat(64));
        let chunks = long.chunks();
        assert!(chunks.len() >= 4, "{} chunks", chunks.len());
        for c in &chunks {
            let n = c.to_canonical_bytes().len();
            assert!(n <= MAX_CREDENTIAL_ENTRY_BYTES, "{n} bytes");
            assert!(c.credentials.len() <= MAX_CREDENTIALS_PER_ENTRY);
            let listed: usize = c.credentials.iter().map(|x| x.encoded_len()).sum();
            assert_eq!(n, listed + 4 + 4 + 1 + 32 + 4, "encoded_len is exact");
        }
        let joined: Vec<_> = chunks.into_iter().flat_map(|c| c.credentials).collect();
        assert_eq!(joined, long.credentials, "order and content kept");
        // Short style ids: the count bound applies first.
        let short = list(40_000, "a").chunks();
        assert_eq!(short.len(), 3);
        assert_eq!(short[0].credentials.len(), MAX_CREDENTIALS_PER_ENTRY);
        // A bound smaller than one credential still makes progress, one per entry.
        assert_eq!(list(3, "a").chunks_within(1).len(), 3);
    }
}
