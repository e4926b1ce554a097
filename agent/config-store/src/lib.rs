//! `tipring-config-store`: the gateway's configuration on disk, crash-safe.
//!
//! One directory holds `config.json` (the current document) and `config.prev.json` (the one
//! before it, for rollback). Each file is an envelope that carries the version counter
//! together with the document:
//!
//! ```json
//! { "store_format": 1, "version": 7, "config": { "schema_version": 1, ... } }
//! ```
//!
//! The counter lives inside the file rather than in a sidecar so that the version and the
//! document are replaced by the same atomic `rename`: after a crash they always belong
//! together (a sidecar would need a second rename, and a crash between the two would pair
//! a document with the wrong number). It survives restarts because it is in the file, and
//! each accepted change (a `store` of a different document, or a `rollback`) adds one.
//!
//! # The write sequence
//!
//! [`ConfigStore::store`] validates the document, then:
//!
//! 1. removes a stale `config.json.tmp`, writes the new envelope to `config.json.tmp`
//!    (mode 0600) and `fsync`s it;
//! 2. if `config.json` holds a valid document that `config.prev.json` does not already
//!    hold: writes those (already validated) bytes to `config.prev.json.tmp`, `fsync`s it,
//!    renames it over `config.prev.json`, and `fsync`s the directory;
//! 3. renames `config.json.tmp` over `config.json` and `fsync`s the directory.
//!
//! Why that is safe at every point: `rename(2)` replaces a name atomically, so
//! `config.json` is at every moment either the old file or the new one, never a partial
//! one, and it never goes missing. A file is renamed into place only after its data was
//! `fsync`ed, so after a power loss the new name cannot point at unwritten data; and the
//! directory is `fsync`ed between the two renames, so the journal cannot keep the second
//! rename and lose the first. `config.prev.json` likewise holds either the older previous
//! or the old current, both valid. Temp files are never read as configuration:
//! [`ConfigStore::load`] ignores and removes them. A `config.json` that is nevertheless
//! unreadable (a file system that lied about `fsync`, a hand edit, bit rot) is never copied
//! over a good `config.prev.json`, and `load` falls back to the previous version and says
//! so ([`Loaded::recovered`]). The crate's tests stop the sequence after every step (and
//! halfway through each write), then simulate a power loss that keeps any prefix of the
//! directory operations not yet `fsync`ed and keeps, loses or tears the data not yet
//! `fsync`ed; and they SIGKILL a real writer process 200 times at random moments.
//!
//! ```no_run
//! use tipring_config::{GatewayConfig, Secret};
//! use tipring_config_store::{ConfigStore, Error};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut store = ConfigStore::open("/var/lib/tipring")?
//!     // the agent passes tipring-line's dial-plan parser here
//!     .with_dial_plan_check(|plan| if plan.is_empty() { Err("empty".into()) } else { Ok(()) });
//! let running = match store.load() {
//!     Ok(loaded) => {
//!         if let Some(r) = &loaded.recovered {
//!             eprintln!("config.json refused ({}); running the previous version", r.reason);
//!         }
//!         loaded.config
//!     }
//!     Err(Error::Empty { .. }) => {
//!         let mut first = GatewayConfig::example(4);
//!         for p in &mut first.ports {
//!             p.password = Some(Secret::new("set-by-the-operator"));
//!         }
//!         store.store(&first)?;
//!         first
//!     }
//!     Err(e) => return Err(e.into()),
//! };
//! let mut update = running.clone();
//! update.ports[0].echo_tail_ms = 128;
//! match store.store(&update) {
//!     Ok(version) => println!("now at version {version}"),
//!     // an invalid update is refused; the running config is kept
//!     Err(Error::Invalid(errors)) => eprintln!("{errors}"),
//!     Err(e) => return Err(e.into()),
//! }
//! let version = store.rollback()?; // back to the document before
//! # let _ = version;
//! # Ok(())
//! # }
//! ```

mod error;
mod fs;

#[cfg(test)]
mod memfs;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tipring_config::{GatewayConfig, MAX_DOCUMENT_BYTES};

pub use error::{Error, Result};

use fs::{Fs, RealFs};

/// The current document.
pub const CURRENT: &str = "config.json";
/// The previous document (for rollback, and the fallback when the current one is bad).
pub const PREVIOUS: &str = "config.prev.json";
/// Where the next current document is written before it is renamed into place.
pub const CURRENT_TMP: &str = "config.json.tmp";
/// Where the next previous document is written before it is renamed into place.
pub const PREVIOUS_TMP: &str = "config.prev.json.tmp";

/// Layout version of the envelope.
const STORE_FORMAT: u32 = 1;

/// Largest stored file: the document (at most [`MAX_DOCUMENT_BYTES`] as JSON) grows when
/// pretty-printed inside the envelope.
pub const MAX_FILE_BYTES: usize = 2 * MAX_DOCUMENT_BYTES;

/// A dial-plan syntax check (the agent passes `tipring-line`'s parser).
type DialPlanCheck = Box<dyn Fn(&str) -> std::result::Result<(), String> + Send + Sync>;

/// What [`ConfigStore::load`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The configuration to run.
    pub config: GatewayConfig,
    /// Its version (1 for the first document ever stored).
    pub version: u64,
    /// Set when `config.json` was missing or refused and this is `config.prev.json`.
    pub recovered: Option<Recovered>,
}

/// Why `load` fell back to the previous version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// What was wrong with `config.json` (never holds a secret).
    pub reason: String,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    store_format: u32,
    version: u64,
    config: &'a GatewayConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn {
    store_format: u32,
    version: u64,
    config: GatewayConfig,
}

/// Just the version of an envelope whose document is refused (to keep the counter rising).
#[derive(Deserialize)]
struct VersionOnly {
    version: u64,
}

/// A valid stored document.
struct Good {
    config: GatewayConfig,
    version: u64,
    bytes: Vec<u8>,
}

/// What one of the two files holds.
enum FileState {
    Missing,
    Bad {
        reason: String,
        version: Option<u64>,
    },
    Good(Box<Good>),
}

impl FileState {
    fn good(&self) -> Option<&Good> {
        match self {
            FileState::Good(g) => Some(g),
            _ => None,
        }
    }

    fn version(&self) -> Option<u64> {
        match self {
            FileState::Missing => None,
            FileState::Bad { version, .. } => *version,
            FileState::Good(g) => Some(g.version),
        }
    }

    fn reason(&self) -> String {
        match self {
            FileState::Missing => "missing".into(),
            FileState::Bad { reason, .. } => reason.clone(),
            FileState::Good(_) => "valid".into(),
        }
    }
}

/// The gateway's configuration in one directory: current, previous and version counter,
/// written so that a crash or power loss at any point leaves a valid configuration.
/// One writer per directory (the agent).
pub struct ConfigStore {
    dir: PathBuf,
    fs: Box<dyn Fs>,
    dial_plan: Option<DialPlanCheck>,
    /// The highest version seen or written by this instance: the counter never goes back,
    /// even if both files were later lost.
    floor: u64,
}

impl std::fmt::Debug for ConfigStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigStore")
            .field("dir", &self.dir)
            .field("dial_plan_check", &self.dial_plan.is_some())
            .field("floor", &self.floor)
            .finish()
    }
}

impl ConfigStore {
    /// Open (and create, mode 0700, if missing) the store's directory. Reads nothing yet.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        fs::ensure_dir(&dir).map_err(|source| Error::Io {
            op: "create directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Self::with_fs(dir.clone(), Box::new(RealFs { dir })))
    }

    fn with_fs(dir: PathBuf, fs: Box<dyn Fs>) -> Self {
        Self {
            dir,
            fs,
            dial_plan: None,
            floor: 0,
        }
    }

    /// Also check every port's dial plan with `check` (in [`store`](Self::store) and
    /// [`load`](Self::load)); its message lands at `ports[i].dial_plan`.
    pub fn with_dial_plan_check(
        mut self,
        check: impl Fn(&str) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.dial_plan = Some(Box::new(check));
        self
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn validate(&self, c: &GatewayConfig) -> std::result::Result<(), tipring_config::ConfigErrors> {
        match &self.dial_plan {
            Some(check) => c.validate_with(check.as_ref()),
            None => c.validate(),
        }
    }

    fn io(&self, op: &'static str, name: &str) -> impl FnOnce(std::io::Error) -> Error {
        let path = if name.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(name)
        };
        move |source| Error::Io { op, path, source }
    }

    /// Read and check one of the two files.
    fn inspect(&mut self, name: &str) -> Result<FileState> {
        let Some(bytes) = self
            .fs
            .read(name, MAX_FILE_BYTES)
            .map_err(self.io("read", name))?
        else {
            return Ok(FileState::Missing);
        };
        let bad = |reason: String, version: Option<u64>| Ok(FileState::Bad { reason, version });
        if bytes.len() > MAX_FILE_BYTES {
            return bad(format!("larger than {MAX_FILE_BYTES} bytes"), None);
        }
        let version_only = || {
            serde_json::from_slice::<VersionOnly>(&bytes)
                .ok()
                .map(|v| v.version)
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let env: EnvelopeIn = match serde_path_to_error::deserialize(&mut de) {
            Ok(env) => env,
            Err(e) => {
                // Name the field, not its value: the value could be a password.
                let path = e.path().to_string();
                let inner = e.into_inner();
                let what = if inner.is_eof() {
                    "truncated".to_string()
                } else if inner.is_syntax() {
                    "not JSON".to_string()
                } else {
                    format!("wrong content at `{path}`")
                };
                return bad(
                    format!("{what} (line {}, column {})", inner.line(), inner.column()),
                    version_only(),
                );
            }
        };
        if let Err(e) = de.end() {
            return bad(format!("trailing data ({e})"), Some(env.version));
        }
        if env.store_format != STORE_FORMAT {
            return bad(
                format!("store_format {} is not {STORE_FORMAT}", env.store_format),
                Some(env.version),
            );
        }
        if env.version == 0 {
            return bad("version 0".into(), None);
        }
        if let Err(errors) = self.validate(&env.config) {
            return bad(format!("{errors}"), Some(env.version));
        }
        Ok(FileState::Good(Box::new(Good {
            config: env.config,
            version: env.version,
            bytes,
        })))
    }

    /// Remove leftover temp files of an interrupted write (they are never configuration).
    fn clean_temps(&mut self) {
        for name in [CURRENT_TMP, PREVIOUS_TMP] {
            // A temp that cannot be removed is still ignored, and `store` removes it
            // before writing (reporting the error there).
            let _ = self.fs.remove(name);
        }
    }

    /// The configuration to run: `config.json`, or, when that is missing or refused (torn,
    /// unparseable, invalid), `config.prev.json` with [`Loaded::recovered`] saying why.
    /// Leftover temp files are ignored and removed.
    pub fn load(&mut self) -> Result<Loaded> {
        self.clean_temps();
        let current = self.inspect(CURRENT)?;
        if let FileState::Good(g) = current {
            self.floor = self.floor.max(g.version);
            return Ok(Loaded {
                config: g.config,
                version: g.version,
                recovered: None,
            });
        }
        let previous = self.inspect(PREVIOUS)?;
        match (&current, previous) {
            (_, FileState::Good(g)) => {
                self.floor = self
                    .floor
                    .max(g.version)
                    .max(current.version().unwrap_or(0));
                Ok(Loaded {
                    config: g.config,
                    version: g.version,
                    recovered: Some(Recovered {
                        reason: current.reason(),
                    }),
                })
            }
            (FileState::Missing, FileState::Missing) => Err(Error::Empty {
                dir: self.dir.clone(),
            }),
            (_, previous) => Err(Error::NoValidConfig {
                dir: self.dir.clone(),
                current: current.reason(),
                previous: previous.reason(),
            }),
        }
    }

    /// Validate `config` and make it the current version; the old current becomes the
    /// previous one. Returns the new version (the current one, with nothing written, when
    /// `config` equals the current document). An invalid document is refused with every
    /// problem and its path ([`Error::Invalid`]), and nothing is written.
    pub fn store(&mut self, config: &GatewayConfig) -> Result<u64> {
        self.validate(config)?;
        let current = self.inspect(CURRENT)?;
        if let Some(g) = current.good() {
            if g.config == *config {
                self.floor = self.floor.max(g.version);
                return Ok(g.version);
            }
        }
        let previous = self.inspect(PREVIOUS)?;
        self.replace(config, current, previous)
    }

    /// The previous version's document, if a valid one is kept (what
    /// [`rollback`](Self::rollback) would make current), so a caller can check it can run
    /// it before rolling back.
    pub fn previous(&mut self) -> Result<Option<GatewayConfig>> {
        Ok(match self.inspect(PREVIOUS)? {
            FileState::Good(g) => Some(g.config),
            _ => None,
        })
    }

    /// Make the previous version current again (as a new version: the counter still rises)
    /// and the current one previous, with the same crash-safe sequence as
    /// [`store`](Self::store). Returns the new version.
    pub fn rollback(&mut self) -> Result<u64> {
        let previous = self.inspect(PREVIOUS)?;
        let FileState::Good(prev) = previous else {
            return Err(Error::NoPrevious {
                reason: previous.reason(),
            });
        };
        let current = self.inspect(CURRENT)?;
        let config = prev.config.clone();
        self.replace(&config, current, FileState::Good(prev))
    }

    /// The write sequence (see the crate docs).
    fn replace(
        &mut self,
        config: &GatewayConfig,
        current: FileState,
        previous: FileState,
    ) -> Result<u64> {
        let version = [current.version(), previous.version(), Some(self.floor)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0)
            + 1;
        let bytes = serde_json::to_vec_pretty(&EnvelopeOut {
            store_format: STORE_FORMAT,
            version,
            config,
        })
        .map_err(|e| Error::Io {
            op: "serialise",
            path: self.dir.join(CURRENT_TMP),
            source: std::io::Error::other(e),
        })?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                size: bytes.len(),
                limit: MAX_FILE_BYTES,
            });
        }
        // 1. The new document, durable under a temp name.
        self.fs
            .remove(CURRENT_TMP)
            .map_err(self.io("remove", CURRENT_TMP))?;
        self.fs
            .write_new(CURRENT_TMP, &bytes)
            .map_err(self.io("write", CURRENT_TMP))?;
        self.fs
            .sync_file(CURRENT_TMP)
            .map_err(self.io("fsync", CURRENT_TMP))?;
        // 2. The old current (only if valid, and not already there) becomes the previous.
        if let Some(cur) = current.good() {
            let already = previous.good().is_some_and(|p| p.bytes == cur.bytes);
            if !already {
                self.fs
                    .remove(PREVIOUS_TMP)
                    .map_err(self.io("remove", PREVIOUS_TMP))?;
                self.fs
                    .write_new(PREVIOUS_TMP, &cur.bytes)
                    .map_err(self.io("write", PREVIOUS_TMP))?;
                self.fs
                    .sync_file(PREVIOUS_TMP)
                    .map_err(self.io("fsync", PREVIOUS_TMP))?;
                self.fs
                    .rename(PREVIOUS_TMP, PREVIOUS)
                    .map_err(self.io("rename", PREVIOUS_TMP))?;
                self.fs.sync_dir().map_err(self.io("fsync", ""))?;
            }
        }
        // 3. The new document becomes current.
        self.fs
            .rename(CURRENT_TMP, CURRENT)
            .map_err(self.io("rename", CURRENT_TMP))?;
        self.fs.sync_dir().map_err(self.io("fsync", ""))?;
        self.floor = version;
        Ok(version)
    }
}
