//! Run-time configuration: the file the agent was started with, the crash-safe store
//! that keeps it (with the version before it), and what a change touches.
//!
//! A new document goes through three gates before anything runs it: it must parse and
//! validate (every problem named with its JSON path), the agent must be able to turn it
//! into running settings (addresses that parse, dial plans its line accepts), and the store
//! must have written it durably. Only then is it applied — and only to what
//! [`tipring_config::diff`] says changed. A refused document changes nothing: the running
//! configuration and its version stay.
//!
//! Without a state directory the store is left out: the file is the only copy, `reload`
//! still applies changes, and the version counts from 1 at every start.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tipring_config::{ConfigChange, GatewayConfig};
use tipring_config_store::{ConfigStore, Error as StoreError};
use tipring_line::dialplan::DialPlan;

/// The running configuration and where changes come from.
pub struct Managed {
    file: Option<PathBuf>,
    store: Option<ConfigStore>,
    running: GatewayConfig,
    version: u64,
}

impl std::fmt::Debug for Managed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Managed")
            .field("file", &self.file)
            .field("store", &self.store.as_ref().map(ConfigStore::dir))
            .field("version", &self.version)
            .finish()
    }
}

fn dial_plan_check(plan: &str) -> Result<(), String> {
    plan.parse::<DialPlan>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

impl Managed {
    /// The configuration to start with: `file` (validated; stored as a new version when
    /// it differs from the stored one) or, without a file, the state directory's current
    /// version. Returns notes worth printing (a recovered store, a new version).
    pub fn start(
        file: Option<&Path>,
        state_dir: Option<&Path>,
    ) -> anyhow::Result<(Self, Vec<String>)> {
        let mut notes = Vec::new();
        let mut store = state_dir
            .map(|d| {
                ConfigStore::open(d)
                    .map(|s| s.with_dial_plan_check(dial_plan_check))
                    .with_context(|| format!("--state-dir {}", d.display()))
            })
            .transpose()?;
        let (running, version) = match (file, store.as_mut()) {
            // The file was imported before and has not changed since: the stored version
            // runs, with whatever the ACS changed in it.
            (Some(path), Some(store)) if imported_unchanged(store.dir(), path) => {
                match store.load() {
                    Ok(loaded) => {
                        notes.push(format!(
                            "configuration version {} (stored in {}; {} unchanged since it was imported)",
                            loaded.version,
                            store.dir().display(),
                            path.display()
                        ));
                        (loaded.config, loaded.version)
                    }
                    Err(_) => import(path, store, &mut notes)?,
                }
            }
            (Some(path), Some(store)) => import(path, store, &mut notes)?,
            (Some(path), None) => {
                let cfg = crate::config::load(path)?;
                crate::config::options(&cfg)
                    .with_context(|| format!("{} refused", path.display()))?;
                (cfg, 1)
            }
            (None, Some(store)) => match store.load() {
                Ok(loaded) => {
                    if let Some(r) = &loaded.recovered {
                        notes.push(format!(
                            "config.json refused ({}); running the previous version {}",
                            r.reason, loaded.version
                        ));
                    }
                    notes.push(format!("configuration version {}", loaded.version));
                    (loaded.config, loaded.version)
                }
                Err(StoreError::Empty { dir }) => anyhow::bail!(
                    "{} holds no configuration yet: give the first one with --config FILE",
                    dir.display()
                ),
                Err(e) => return Err(store_error(&e)),
            },
            (None, None) => anyhow::bail!("give --config FILE or --state-dir DIR"),
        };
        Ok((
            Self {
                file: file.map(Path::to_path_buf),
                store,
                running,
                version,
            },
            notes,
        ))
    }

    /// The configuration in force.
    pub fn running(&self) -> &GatewayConfig {
        &self.running
    }

    /// Its version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The configuration file read again and checked; `None` when it equals the running
    /// one. Nothing is stored or applied yet ([`commit`](Self::commit) does).
    pub fn reread(&self) -> anyhow::Result<Option<GatewayConfig>> {
        let path = self
            .file
            .as_deref()
            .context("started without --config: there is no file to read again")?;
        let cfg = crate::config::load(path)?;
        crate::config::options(&cfg).with_context(|| format!("{} refused", path.display()))?;
        Ok((cfg != self.running).then_some(cfg))
    }

    /// The version before the running one, checked like a new file.
    pub fn previous(&mut self) -> anyhow::Result<GatewayConfig> {
        let store = self
            .store
            .as_mut()
            .context("no previous version without --state-dir")?;
        let prev = store
            .previous()
            .map_err(|e| store_error(&e))?
            .context("no previous version is kept")?;
        crate::config::options(&prev).context("the previous version cannot run")?;
        Ok(prev)
    }

    /// Make `new` the running configuration: store it durably (a rollback when
    /// `rollback`), then return what changed. On a store error nothing changes.
    pub fn commit(&mut self, new: GatewayConfig, rollback: bool) -> anyhow::Result<ConfigChange> {
        let version = match self.store.as_mut() {
            Some(store) if rollback => store.rollback(),
            Some(store) => store.store(&new),
            None => Ok(self.version + 1),
        }
        .map_err(|e| store_error(&e))?;
        if let (Some(store), Some(file), false) = (&self.store, &self.file, rollback) {
            // A reload of the file is an import; a change from the ACS leaves the mark
            // alone (the file did not change).
            if file_digest(file)
                .is_some_and(|d| crate::config::load(file).is_ok_and(|c| c == new) && !d.is_empty())
            {
                mark_imported(store.dir(), file);
            }
        }
        let change = tipring_config::diff(&self.running, &new);
        self.running = new;
        self.version = version;
        Ok(change)
    }
}

/// Where the digest of the last imported `--config` file is kept.
const IMPORTED: &str = "imported.sha256";

fn file_digest(path: &Path) -> Option<String> {
    use sha2::Digest as _;
    let bytes = std::fs::read(path).ok()?;
    Some(
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

fn imported_unchanged(dir: &Path, path: &Path) -> bool {
    let kept = std::fs::read_to_string(dir.join(IMPORTED)).ok();
    kept.is_some() && kept == file_digest(path)
}

/// Remember that `path`, as it is now, was imported (a later start runs the store's
/// version, ACS changes included, until the file changes).
fn mark_imported(dir: &Path, path: &Path) {
    let Some(d) = file_digest(path) else { return };
    let tmp = dir.join(format!("{IMPORTED}.tmp"));
    let done = std::fs::write(&tmp, d).and_then(|()| std::fs::rename(&tmp, dir.join(IMPORTED)));
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot record the imported configuration file");
    }
}

/// Check the file, store it as a new version, and remember it was imported.
fn import(
    path: &Path,
    store: &mut ConfigStore,
    notes: &mut Vec<String>,
) -> anyhow::Result<(GatewayConfig, u64)> {
    let cfg = crate::config::load(path)?;
    crate::config::options(&cfg).with_context(|| format!("{} refused", path.display()))?;
    let v = store.store(&cfg).map_err(|e| store_error(&e))?;
    mark_imported(store.dir(), path);
    notes.push(format!(
        "configuration version {v} (stored in {})",
        store.dir().display()
    ));
    Ok((cfg, v))
}

fn store_error(e: &StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(errors) => {
            let lines: Vec<String> = errors
                .errors()
                .iter()
                .map(|f| format!("  {}: {}", f.path, f.message))
                .collect();
            anyhow::anyhow!("refused:\n{}", lines.join("\n"))
        }
        e => anyhow::anyhow!("configuration store: {e}"),
    }
}
