//! Per-peer temporary directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::{Error, Result};

/// Environment variable that keeps every peer directory after the test.
pub(crate) const KEEP_ENV: &str = "TIPRING_KEEP_PEER_DIRS";

/// A fresh directory under the system temp dir, removed on drop unless the thread is
/// panicking (a failed test), [`KEEP_ENV`] is set, or an error message pointed at its files
/// ([`PeerDir::keep`]); then its path is printed instead.
#[derive(Debug)]
pub(crate) struct PeerDir {
    path: PathBuf,
    keep: AtomicBool,
}

impl PeerDir {
    /// Creates `$TMPDIR/tipring-<what>-<pid>-<n>` (emptied first if a previous process
    /// with the same pid left it behind).
    pub(crate) fn new(what: &str) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tipring-{what}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| Error::io(format!("emptying {}", path.display()), e))?;
        }
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok(Self {
            path,
            keep: AtomicBool::new(false),
        })
    }

    /// Keeps the directory after drop (an error names files in it).
    pub(crate) fn keep(&self) {
        self.keep.store(true, Ordering::Relaxed);
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PeerDir {
    fn drop(&mut self) {
        let keep = self.keep.load(Ordering::Relaxed);
        if keep || std::thread::panicking() || std::env::var_os(KEEP_ENV).is_some() {
            eprintln!("peer files kept in {}", self.path.display());
        } else {
            // best effort: a leftover temp dir is not worth a second panic
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_distinct_and_removed_on_drop() {
        let a = PeerDir::new("dir-test").unwrap();
        let b = PeerDir::new("dir-test").unwrap();
        assert_ne!(a.path(), b.path());
        assert!(a.path().is_dir());
        std::fs::write(a.path().join("f"), "x").unwrap();
        let kept = std::env::var_os(KEEP_ENV).is_some();
        let path = a.path().to_owned();
        drop(a);
        assert_eq!(path.exists(), kept);

        b.keep();
        let path = b.path().to_owned();
        drop(b);
        assert!(path.exists());
        std::fs::remove_dir_all(path).unwrap();
    }
}
