//! The web booth this service serves, read once when it starts (`--web DIR`), and its booth
//! manifest (`docs/protocol.md` §11.6).
//!
//! The files are held in memory and served from there, so the bytes a browser gets are exactly
//! those the manifest hashes for as long as the process runs: the manifest the service posts
//! when an election opens is the one it keeps to. An election whose board holds another manifest
//! (the service restarted with another build) gets no pages from this service (503) rather than
//! a booth nobody checked.
//!
//! The same rules as ever decide what is served: every path segment a plain name (no `..`, no
//! hidden file), and a symbolic link followed only to a file inside the directory.

use psephos_record::booth::{BoothFile, BoothManifest, BoothManifestError, DEFAULT_CSP};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The page served for an election's directory `/e/{election}/`.
pub const INDEX: &str = "/index.html";

/// Why a web directory cannot be served as a booth.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoothLoadError {
    #[error("reading the web directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the web directory does not make a booth manifest: {0}")]
    Manifest(#[from] BoothManifestError),
}

/// The served booth: every file by path (`/booth.js`), and their manifest.
#[derive(Debug, Clone)]
pub struct ServedBooth {
    files: BTreeMap<String, Vec<u8>>,
    manifest: BoothManifest,
}

impl ServedBooth {
    /// No booth: nothing is served, and the manifest says so.
    pub fn none() -> Self {
        ServedBooth {
            files: BTreeMap::new(),
            manifest: psephos_record::booth::no_booth(),
        }
    }

    /// Reads every file under `dir` (blocking). The index page is `/index.html` when there is
    /// one; a directory without it cannot be an election's booth.
    pub fn load(dir: &Path) -> Result<Self, BoothLoadError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BoothLoadError::Io { path, source }
        };
        let root = dir.canonicalize().map_err(io(dir))?;
        let mut files = BTreeMap::new();
        let mut stack = vec![(root.clone(), String::new())];
        while let Some((d, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&d).map_err(io(&d))? {
                let entry = entry.map_err(io(&d))?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if name.starts_with('.') || name.contains('\\') {
                    continue;
                }
                let path = entry.path();
                let kind = entry.file_type().map_err(io(&path))?;
                let web_path = format!("{prefix}/{name}");
                if kind.is_dir() {
                    stack.push((path, web_path));
                    continue;
                }
                // A file, or a link followed only to a file inside the root (a linked
                // directory is never entered).
                let Ok(target) = path.canonicalize() else {
                    continue;
                };
                if !target.starts_with(&root) || !target.is_file() {
                    continue;
                }
                files.insert(web_path, std::fs::read(&target).map_err(io(&target))?);
            }
        }
        let listed = files
            .iter()
            .map(|(path, bytes)| BoothFile {
                path: path.clone(),
                sha256: Sha256::digest(bytes).into(),
            })
            .collect::<Vec<_>>();
        let index = if files.contains_key(INDEX) { INDEX } else { "" };
        let manifest = if listed.is_empty() {
            psephos_record::booth::no_booth()
        } else {
            BoothManifest::new(DEFAULT_CSP, index, listed)?
        };
        Ok(ServedBooth { files, manifest })
    }

    /// The manifest of exactly these files.
    pub fn manifest(&self) -> &BoothManifest {
        &self.manifest
    }

    /// The file served at `path` (`/booth.js`) and the path it is listed under: `/` and a
    /// directory's path serve its `index.html`.
    pub fn file(&self, path: &str) -> Option<(&str, &[u8])> {
        let candidates = if path.ends_with('/') {
            [format!("{path}index.html"), String::new()]
        } else {
            [path.to_string(), format!("{path}/index.html")]
        };
        candidates
            .into_iter()
            .find_map(|p| self.files.get_key_value(&p))
            .map(|(p, b)| (p.as_str(), b.as_slice()))
    }
}
