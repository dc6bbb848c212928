//! Creating the files the tool writes: never over an existing file (a key, a share, a list of
//! credential codes or a record is never silently replaced), and a secret file — named
//! `<name>.secret.<ext>` by the callers — readable by its owner only (mode 0600) from the moment
//! it exists, not after a later `chmod`.

use anyhow::Context;
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Whether a file holds a secret (mode 0600) or public material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Readable by the owner only.
    Secret,
    /// The process's default mode.
    Public,
}

/// Creates `path`, which must not exist yet.
pub fn create_new(path: &Path, access: Access) -> anyhow::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if access == Access::Secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = access;
    opts.open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

/// Creates `path` (which must not exist), writes `bytes` and a final newline, and syncs it to
/// disk.
pub fn write_new(path: &Path, bytes: &[u8], access: Access) -> anyhow::Result<()> {
    let mut f = create_new(path, access)?;
    f.write_all(bytes)
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
