//! Builders and a temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tipring_acs::model::{
    AuditEntry, CachedParameter, ClaimCode, Device, DeviceKey, Enrollment, Site, Task, TaskKind,
    TaskState,
};
use tipring_store::{PgStore, SqliteStore, Store};

/// A time the tests start from.
pub const T0: i64 = 1_700_000_000;

/// A fresh SQLite store (for the tests of what only SQLite has: files, WAL, pragmas).
pub fn store() -> SqliteStore {
    SqliteStore::open_in_memory().expect("open a temporary store")
}

/// A fresh PostgreSQL store: a new database on the test process's private server.
pub fn pg_store() -> PgStore {
    PgStore::open(&crate::pg::fresh_url()).expect("open a PostgreSQL store")
}

/// Makes a store.
type Maker = fn() -> Box<dyn Store>;

/// A fresh, empty store of each backend, SQLite then PostgreSQL, each made when the
/// previous one is done with. The backend's name goes to stderr first, so a failing
/// assertion's output says which one failed. PostgreSQL is not optional: without the
/// `postgresql` package the test fails, naming it.
pub fn backends() -> impl Iterator<Item = Box<dyn Store>> {
    let makers: [(&str, Maker); 2] = [
        ("sqlite", || Box::new(store())),
        ("postgres", || Box::new(pg_store())),
    ];
    makers.into_iter().map(|(name, make)| {
        eprintln!("backend: {name}");
        make()
    })
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "tipring-store-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temporary directory");
        Self(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn key(serial: &str) -> DeviceKey {
    DeviceKey {
        oui: "00D09E".into(),
        product_class: "FXS4".into(),
        serial: serial.into(),
    }
}

/// A pending device with the given serial.
pub fn device(serial: &str) -> Device {
    Device::new(key(serial), T0)
}

/// An approved device with every field set.
pub fn full_device(serial: &str) -> Device {
    let mut d = device(serial);
    d.enrollment = Enrollment::Approved;
    d.tags = vec!["lobby".into(), "fxs".into()];
    d.manufacturer = "Tipring".into();
    d.model = "TR-4".into();
    d.software_version = "1.2.3".into();
    d.hardware_version = "rev-A".into();
    d.provisioning_code = "CLAIM-1".into();
    d.root = tipring_acs::model::Root::InternetGatewayDevice;
    d.connection_request_url = Some("http://10.0.0.9:7547/cr".into());
    d.last_address = Some("10.0.0.9:51000".into());
    d.last_inform = Some(T0 + 10);
    d.last_boot = Some(T0 + 5);
    d.provisioned_digest = Some("ab".repeat(32));
    d.provisioned_at = Some(T0 + 11);
    d.cert_sha256 = Some("cd".repeat(32));
    d.open_faults = 2;
    d.lines = 4;
    d.lines_up = 3;
    d.inform_interval_s = Some(300);
    d.calls_at = Some(T0);
    d.calls_mos = [5, 4, 3, 2];
    d.calls_jitter = [9, 3, 1, 1];
    d.utc_offset_min = Some(-300);
    d
}

pub fn site(name: &str) -> Site {
    let mut variables = std::collections::BTreeMap::new();
    variables.insert("pbx".into(), "pbx.example.net".into());
    variables.insert("first_extension".into(), "200".into());
    Site {
        name: name.into(),
        description: format!("the {name} office"),
        variables,
    }
}

pub fn task(device: &str, kind: TaskKind) -> Task {
    Task {
        id: 0,
        device: device.into(),
        kind,
        state: TaskState::Queued,
        attempts: 0,
        next_attempt_at: T0,
        fault: None,
        result: None,
        created_at: T0,
        created_by: "admin".into(),
        updated_at: T0,
    }
}

pub fn audit(actor: &str, action: &str, target: &str, at: i64) -> AuditEntry {
    AuditEntry {
        id: 0,
        at,
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        detail: serde_json::json!({ "n": at }),
    }
}

pub fn param(name: &str, value: &str) -> CachedParameter {
    CachedParameter {
        name: name.into(),
        value: value.into(),
        xsd_type: "xsd:string".into(),
        writable: Some(true),
        seen_at: T0,
    }
}

pub fn claim(code: &str, site: Option<&str>, created_at: i64) -> ClaimCode {
    ClaimCode {
        code_sha256: code.into(),
        site: site.map(Into::into),
        tags: vec!["claimed".into()],
        expires_at: created_at + 3600,
        used_by: None,
        created_at,
        created_by: "operator".into(),
    }
}
