//! The file system steps of the store, behind a small trait so that a test can stop the
//! write sequence after any step (and simulate a power loss) in memory.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// The operations the store performs, on file names inside its one directory.
pub(crate) trait Fs: Send {
    /// The file's bytes (at most `limit + 1` of them, so an oversized file shows as such),
    /// or `None` when it does not exist.
    fn read(&mut self, name: &str, limit: usize) -> io::Result<Option<Vec<u8>>>;
    /// Create (or truncate) `name` with mode 0600 and write all of `data` (not yet durable).
    fn write_new(&mut self, name: &str, data: &[u8]) -> io::Result<()>;
    /// Make `name`'s data durable (`fsync`).
    fn sync_file(&mut self, name: &str) -> io::Result<()>;
    /// Atomically replace `to` with `from` (`rename(2)`).
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    /// Remove `name`; a missing file is not an error.
    fn remove(&mut self, name: &str) -> io::Result<()>;
    /// Make the directory's entries durable (`fsync` of the directory).
    fn sync_dir(&mut self) -> io::Result<()>;
}

/// The real file system (std::fs), in one directory.
#[derive(Debug)]
pub(crate) struct RealFs {
    pub(crate) dir: PathBuf,
}

impl RealFs {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Fs for RealFs {
    fn read(&mut self, name: &str, limit: usize) -> io::Result<Option<Vec<u8>>> {
        let file = match File::open(self.path(name)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        file.take(limit as u64 + 1).read_to_end(&mut out)?;
        Ok(Some(out))
    }

    fn write_new(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(self.path(name))?;
        f.write_all(data)
    }

    fn sync_file(&mut self, name: &str) -> io::Result<()> {
        // fsync(2) flushes the file (its inode), whichever descriptor names it.
        File::open(self.path(name))?.sync_all()
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from), self.path(to))
    }

    fn remove(&mut self, name: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(name)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    fn sync_dir(&mut self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}

/// Create the store's directory (mode 0700) if it is missing.
pub(crate) fn ensure_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}
