//! The file system steps of the slots, behind a small trait so that a test can stop any
//! sequence after any step (and simulate a power loss) in memory.
//!
//! Paths are relative to the slots' directory, `/`-separated: `boot.json`,
//! `slot-a/image`. A directory is named the same way (`""` is the slots' directory itself).

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// The operations the slots perform.
pub(crate) trait Fs: Send {
    /// The file's bytes (at most `limit + 1` of them, so an oversized file shows as such),
    /// or `None` when it does not exist.
    fn read(&mut self, path: &str, limit: usize) -> io::Result<Option<Vec<u8>>>;
    /// Call `visit` with the file's bytes in order, in chunks; `false` when it does not
    /// exist.
    fn read_chunks(&mut self, path: &str, visit: &mut dyn FnMut(&[u8])) -> io::Result<bool>;
    /// Create directory `path` (mode 0700) if missing.
    fn create_dir(&mut self, path: &str) -> io::Result<()>;
    /// Create (or truncate) `path` with mode 0600 and write all of `data` (not yet durable).
    fn write_new(&mut self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Append `data` to the existing file `path` (not yet durable).
    fn append(&mut self, path: &str, data: &[u8]) -> io::Result<()>;
    /// Make `path`'s data durable (`fsync`).
    fn sync_file(&mut self, path: &str) -> io::Result<()>;
    /// Atomically replace `to` with `from`, both in the same directory (`rename(2)`).
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    /// Remove the file `path`; a missing file is not an error.
    fn remove(&mut self, path: &str) -> io::Result<()>;
    /// Make directory `dir`'s entries durable (`fsync` of the directory).
    fn sync_dir(&mut self, dir: &str) -> io::Result<()>;
}

/// The real file system (std::fs), under one directory.
#[derive(Debug)]
pub(crate) struct RealFs {
    pub(crate) dir: PathBuf,
}

impl RealFs {
    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(rel)
        }
    }
}

fn open_existing(path: &Path) -> io::Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl Fs for RealFs {
    fn read(&mut self, path: &str, limit: usize) -> io::Result<Option<Vec<u8>>> {
        let Some(file) = open_existing(&self.path(path))? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        file.take(limit as u64 + 1).read_to_end(&mut out)?;
        Ok(Some(out))
    }

    fn read_chunks(&mut self, path: &str, visit: &mut dyn FnMut(&[u8])) -> io::Result<bool> {
        let Some(mut file) = open_existing(&self.path(path))? else {
            return Ok(false);
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => return Ok(true),
                Ok(n) => visit(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        ensure_dir(&self.path(path))
    }

    fn write_new(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(self.path(path))?;
        f.write_all(data)
    }

    fn append(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new().append(true).open(self.path(path))?;
        f.write_all(data)
    }

    fn sync_file(&mut self, path: &str) -> io::Result<()> {
        // fsync(2) flushes the file (its inode), whichever descriptor names it.
        File::open(self.path(path))?.sync_all()
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from), self.path(to))
    }

    fn remove(&mut self, path: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(path)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    fn sync_dir(&mut self, dir: &str) -> io::Result<()> {
        File::open(self.path(dir))?.sync_all()
    }
}

/// Create a directory (mode 0700, parents too) if it is missing.
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
