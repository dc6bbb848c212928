//! The booth manifest (`docs/protocol.md` §11.6): every file of the web booth the service serves
//! (its path under the election's pages and its SHA-256), and the Content-Security-Policy it is
//! served with. It is a board entry, posted before voting opens and never after, so the code a
//! voter's browser runs is pinned by the signed, witnessed checkpoints like every ballot: anyone
//! can fetch the served files and compare (`psephos verify-booth`), or rebuild them from source
//! (the web build is reproducible) and compare again.
//!
//! The shape follows the WEBCAT manifest of the Freedom of the Press Foundation (`files`,
//! `default_csp`, `wasm`); what replaces WEBCAT's developer signatures and transparency log is the
//! board itself. An empty manifest states that the service serves no booth (voters use other
//! clients).

use psephos_core::encoding::{Canonical, Reader, Writer};
use psephos_core::error::DecodeError;
use psephos_core::hash::Digest;
use psephos_core::transcript::labels;
use serde::{Deserialize, Serialize};

/// The only version of the manifest's encoding.
pub const BOOTH_MANIFEST_VERSION: u8 = 1;
/// Most files one manifest lists.
pub const MAX_BOOTH_FILES: usize = 1024;
/// Longest path, in bytes.
pub const MAX_BOOTH_PATH: usize = 255;
/// Longest Content-Security-Policy, in bytes.
pub const MAX_BOOTH_CSP: usize = 4096;

/// One served file: its path under the election's pages (`/booth.js` is served at
/// `/e/{election}/booth.js`) and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoothFile {
    pub path: String,
    pub sha256: [u8; 32],
}

impl Canonical for BoothFile {
    const MIN_ENCODED_LEN: usize = 4 + 2 + 32;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.path).fixed(&self.sha256);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BoothFile {
            path: r.str(MAX_BOOTH_PATH)?,
            sha256: r.array32()?,
        })
    }
}

/// Why a booth manifest is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BoothManifestError {
    #[error("booth manifest version {0}, expected {BOOTH_MANIFEST_VERSION}")]
    Version(u8),
    #[error("file path {0:?} is not a plain path (\"/\" then names of letters, digits, '.', '_', '-', not starting with '.')")]
    Path(String),
    #[error("file paths are not in strictly ascending order at {0:?}")]
    Order(String),
    #[error("{0} files, more than {MAX_BOOTH_FILES}")]
    TooManyFiles(usize),
    #[error("the Content-Security-Policy is empty, longer than {MAX_BOOTH_CSP} bytes or not printable ASCII")]
    Csp,
    #[error("the index page {0:?} is not a listed .html file")]
    Index(String),
    #[error("a manifest without files names an index page")]
    IndexWithoutFiles,
}

/// The booth manifest: what the service serves under every election's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoothManifest {
    /// The `Content-Security-Policy` header every file is served with (WEBCAT's `default_csp`).
    pub csp: String,
    /// The file served for the directory `/e/{election}/` (WEBCAT's `default_index`), or empty
    /// when no file is listed.
    pub index: String,
    /// Every file, sorted strictly by path (bytewise).
    pub files: Vec<BoothFile>,
}

fn valid_path(p: &str) -> bool {
    let Some(rest) = p.strip_prefix('/') else {
        return false;
    };
    p.len() <= MAX_BOOTH_PATH
        && rest.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

impl BoothManifest {
    /// A manifest of `files` (any order), checked.
    pub fn new(
        csp: impl Into<String>,
        index: impl Into<String>,
        mut files: Vec<BoothFile>,
    ) -> Result<Self, BoothManifestError> {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let m = BoothManifest {
            csp: csp.into(),
            index: index.into(),
            files,
        };
        m.check()?;
        Ok(m)
    }

    /// The manifest of a service that serves no booth.
    pub fn no_booth(csp: impl Into<String>) -> Self {
        BoothManifest {
            csp: csp.into(),
            index: String::new(),
            files: Vec::new(),
        }
    }

    /// Every rule of §11.6 but the encoding's.
    pub fn check(&self) -> Result<(), BoothManifestError> {
        if self.csp.is_empty()
            || self.csp.len() > MAX_BOOTH_CSP
            || !self.csp.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(BoothManifestError::Csp);
        }
        if self.files.len() > MAX_BOOTH_FILES {
            return Err(BoothManifestError::TooManyFiles(self.files.len()));
        }
        for f in &self.files {
            if !valid_path(&f.path) {
                return Err(BoothManifestError::Path(f.path.clone()));
            }
        }
        for w in self.files.windows(2) {
            if w[0].path >= w[1].path {
                return Err(BoothManifestError::Order(w[1].path.clone()));
            }
        }
        if self.files.is_empty() {
            if !self.index.is_empty() {
                return Err(BoothManifestError::IndexWithoutFiles);
            }
        } else if !self.index.ends_with(".html") || self.file(&self.index).is_none() {
            return Err(BoothManifestError::Index(self.index.clone()));
        }
        Ok(())
    }

    /// The SHA-256 of the file at `path`, if listed.
    pub fn file(&self, path: &str) -> Option<&[u8; 32]> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i].sha256)
    }

    /// The WebAssembly modules (WEBCAT's `wasm`): the listed files whose path ends in `.wasm`.
    pub fn wasm(&self) -> impl Iterator<Item = &BoothFile> {
        self.files.iter().filter(|f| f.path.ends_with(".wasm"))
    }

    /// The manifest hash: `SHA-256(len ‖ "psephos/booth-manifest v1" ‖ canonical bytes)`, what
    /// the booth and the observer page show and observers publish.
    pub fn hash(&self) -> Digest {
        Digest::of(labels::BOOTH_MANIFEST, &self.to_canonical_bytes())
    }

    /// The manifest as JSON (`docs/protocol.md` §11.6): hashes in hex.
    pub fn to_json(&self) -> BoothManifestJson {
        BoothManifestJson {
            version: BOOTH_MANIFEST_VERSION,
            hash: self.hash().to_hex(),
            default_csp: self.csp.clone(),
            default_index: self.index.clone(),
            files: self
                .files
                .iter()
                .map(|f| (f.path.clone(), hex::encode(f.sha256)))
                .collect(),
            wasm: self.wasm().map(|f| hex::encode(f.sha256)).collect(),
        }
    }
}

/// The JSON form of a [`BoothManifest`] (what `GET …/booth` and `psephos verify-booth --json`
/// show), with its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoothManifestJson {
    pub version: u8,
    pub hash: String,
    pub default_csp: String,
    pub default_index: String,
    pub files: std::collections::BTreeMap<String, String>,
    pub wasm: Vec<String>,
}

impl Canonical for BoothManifest {
    const MIN_ENCODED_LEN: usize = 1 + 4 + 4 + 4;
    fn encode(&self, w: &mut Writer) {
        w.u8(BOOTH_MANIFEST_VERSION)
            .str(&self.csp)
            .str(&self.index)
            .seq(&self.files);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8()?;
        let invalid = |e: BoothManifestError| DecodeError::Invalid {
            what: "booth manifest",
            detail: e.to_string(),
        };
        if version != BOOTH_MANIFEST_VERSION {
            return Err(invalid(BoothManifestError::Version(version)));
        }
        let m = BoothManifest {
            csp: r.str(MAX_BOOTH_CSP)?,
            index: r.str(MAX_BOOTH_PATH)?,
            files: r.seq(MAX_BOOTH_FILES)?,
        };
        m.check().map_err(invalid)?;
        Ok(m)
    }
}

/// The entries that open voting: the booth manifest, then `control: open`. What every fixture
/// that opens an election without a server posts (a service posts its own manifest when its
/// officials open voting).
pub fn opening(booth: BoothManifest) -> [crate::Payload; 2] {
    [
        crate::Payload::BoothManifest(booth),
        crate::Payload::Control(crate::Control::Open),
    ]
}

/// The manifest the in-process fixtures post: no booth served, with the service's policy.
pub fn no_booth() -> BoothManifest {
    BoothManifest::no_booth(DEFAULT_CSP)
}

/// The Content-Security-Policy `psephos serve` sends with every file of the booth (WEBCAT's
/// rules for it hold: `default-src 'self'` with `object-src 'none'`, `worker-src` and
/// `frame-src`; scripts only from the origin, and WebAssembly compiled from them).
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; frame-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, b: u8) -> BoothFile {
        BoothFile {
            path: path.into(),
            sha256: [b; 32],
        }
    }

    fn sample() -> BoothManifest {
        BoothManifest::new(
            DEFAULT_CSP,
            "/index.html",
            vec![
                file("/index.html", 1),
                file("/booth.js", 2),
                file("/pkg/psephos_wasm_bg.wasm", 3),
            ],
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_hash() {
        let m = sample();
        let bytes = m.to_canonical_bytes();
        assert_eq!(BoothManifest::from_canonical_bytes(&bytes).unwrap(), m);
        assert_eq!(m.files[0].path, "/booth.js");
        assert_eq!(m.wasm().count(), 1);
        let mut other = m.clone();
        other.files[0].sha256[0] ^= 1;
        assert_ne!(other.hash(), m.hash());
        let j = m.to_json();
        assert_eq!(j.hash, m.hash().to_hex());
        assert_eq!(j.files["/index.html"], hex::encode([1u8; 32]));
        let empty = no_booth();
        assert_eq!(
            BoothManifest::from_canonical_bytes(&empty.to_canonical_bytes()).unwrap(),
            empty
        );
    }

    #[test]
    fn refuses_malformed() {
        let m = sample();
        let enc = |m: &BoothManifest| {
            let mut w = Writer::new();
            m.encode(&mut w);
            w.into_bytes()
        };
        let mut bad = m.clone();
        bad.files.swap(0, 1);
        assert!(BoothManifest::from_canonical_bytes(&enc(&bad)).is_err());
        let mut dup = m.clone();
        dup.files[1] = dup.files[0].clone();
        assert!(matches!(dup.check(), Err(BoothManifestError::Order(_))));
        for p in ["booth.js", "/../x", "/.hidden", "/a//b", "/a\\b", "/é", "/"] {
            assert!(
                matches!(
                    BoothManifest::new(
                        DEFAULT_CSP,
                        "/index.html",
                        vec![file("/index.html", 1), file(p, 2)]
                    ),
                    Err(BoothManifestError::Path(_))
                ),
                "{p}"
            );
        }
        assert!(matches!(
            BoothManifest::new(DEFAULT_CSP, "/nope.html", vec![file("/index.html", 1)]),
            Err(BoothManifestError::Index(_))
        ));
        assert!(matches!(
            BoothManifest::new("", "/index.html", vec![file("/index.html", 1)]),
            Err(BoothManifestError::Csp)
        ));
        let mut bytes = m.to_canonical_bytes();
        bytes[0] = 2;
        assert!(BoothManifest::from_canonical_bytes(&bytes).is_err());
        let mut bytes = m.to_canonical_bytes();
        bytes.push(0);
        assert!(BoothManifest::from_canonical_bytes(&bytes).is_err());
    }
}
