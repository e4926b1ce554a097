//! `cargo bench -p tipring-store --bench console`: what the console's screens cost the
//! store with 100,000 devices (issue 10: "paginated on the server so 100,000 devices stay
//! fast").
//!
//! For each request a console screen makes — the overview's numbers
//! ([`Store::fleet_stats`]), the device list's first page sorted by last Inform, a page deep
//! in the list sorted by serial, a serial-prefix search, the offline devices of one site —
//! the time of one request (a page of 50 and its total count) is printed beside its
//! baseline: the same answer computed the way a console without server-side paging would,
//! by reading every device (in the store's largest pages) and filtering, sorting and
//! counting in memory.
//!
//! SQLite on a file (as the provisioner runs it), then PostgreSQL on a private server
//! started as the tests start theirs (skipped, with the reason, when it cannot start).
//! `CONSOLE_DEVICES` changes the fleet's size (default 100000). Each figure is the best of
//! 5 runs (the machine is shared).

use std::time::Instant;

use tipring_acs::model::{Device, DeviceKey, Enrollment};
use tipring_store::{
    DeviceFilter, DeviceSort, PgStore, Presence, SqliteStore, Store, Write, MAX_LIMIT,
};

#[path = "../tests/store/pg.rs"]
mod pg;

const NOW: i64 = 1_800_000_000;
const RUNS: usize = 5;
const PAGE: u32 = 50;

#[allow(clippy::disallowed_methods)] // the bench's one clock
fn now() -> Instant {
    Instant::now()
}

fn devices() -> usize {
    std::env::var("CONSOLE_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// A fleet: 20 sites, 3 versions, one in 50 pending, one in 23 offline, one in 30 with a
/// line down.
fn seed(s: &dyn Store, n: usize) {
    let mut w: Vec<Write> = (0..20)
        .map(|i| {
            Write::PutSite(tipring_acs::model::Site {
                name: format!("site{i:02}"),
                description: String::new(),
                variables: Default::default(),
            })
        })
        .collect();
    s.apply(std::mem::take(&mut w)).unwrap();
    for i in 0..n {
        let key = DeviceKey {
            oui: "00D0C9".into(),
            product_class: "FXS2".into(),
            // Not in id order, so sorting by serial is real work.
            serial: format!("TR{:08}", (i * 7919) % n),
        };
        let mut d = Device::new(key, NOW - 86_400);
        d.enrollment = if i % 50 == 0 {
            Enrollment::Pending
        } else {
            Enrollment::Approved
        };
        d.site = Some(format!("site{:02}", i % 20));
        d.model = "FXS2".into();
        d.software_version = ["1.0.0", "1.1.0", "2.0.0"][i % 3].into();
        d.last_inform = Some(if i % 23 == 0 {
            NOW - 90_000
        } else {
            NOW - (i as i64 % 3000)
        });
        d.lines = 2;
        d.lines_up = if i % 30 == 0 { 1 } else { 2 };
        w.push(Write::PutDevice(d));
        if w.len() == 5000 {
            s.apply(std::mem::take(&mut w)).unwrap();
        }
    }
    s.apply(w).unwrap();
}

/// Best of `RUNS`, milliseconds.
fn best(mut f: impl FnMut()) -> f64 {
    (0..RUNS)
        .map(|_| {
            let t = now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::INFINITY, f64::min)
}

/// Every device, read the way a client without server-side paging must.
fn everything(s: &dyn Store) -> Vec<Device> {
    let mut all = Vec::new();
    let mut f = DeviceFilter {
        limit: MAX_LIMIT,
        ..DeviceFilter::default()
    };
    loop {
        let page = s.devices(&f).unwrap();
        let n = page.len();
        all.extend(page);
        if n < MAX_LIMIT as usize {
            return all;
        }
        f.offset += MAX_LIMIT;
    }
}

fn page(s: &dyn Store, f: DeviceFilter) -> (usize, u64) {
    (s.devices(&f).unwrap().len(), s.count_devices(&f).unwrap())
}

fn figures(name: &str, s: &dyn Store, n: usize) {
    let t = now();
    seed(s, n);
    println!(
        "{name}: {n} devices seeded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let online = |d: &Device| Presence::is_online(d, NOW, 3600);
    type Case<'a> = (
        &'a str,
        Box<dyn Fn() -> DeviceFilter + 'a>,
        Box<dyn Fn(&mut Vec<Device>) -> usize + 'a>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "first page by last Inform, newest first",
            Box::new(|| DeviceFilter {
                sort: DeviceSort::LastInform,
                descending: true,
                limit: PAGE,
                ..DeviceFilter::default()
            }),
            Box::new(|all: &mut Vec<Device>| {
                all.sort_by(|a, b| b.last_inform.cmp(&a.last_inform).then(b.id.cmp(&a.id)));
                all.len()
            }),
        ),
        (
            "page 1000 by serial",
            Box::new(|| DeviceFilter {
                sort: DeviceSort::Serial,
                limit: PAGE,
                offset: 1000 * PAGE,
                ..DeviceFilter::default()
            }),
            Box::new(|all: &mut Vec<Device>| {
                all.sort_by(|a, b| a.key.serial.cmp(&b.key.serial).then(a.id.cmp(&b.id)));
                all.len()
            }),
        ),
        (
            "serial prefix TR0001234",
            Box::new(|| DeviceFilter {
                serial_prefix: Some("TR0001234".into()),
                limit: PAGE,
                ..DeviceFilter::default()
            }),
            Box::new(|all: &mut Vec<Device>| {
                all.retain(|d| d.key.serial.starts_with("TR0001234"));
                all.len()
            }),
        ),
        (
            "offline devices of one site",
            Box::new(|| DeviceFilter {
                site: Some("site07".into()),
                presence: Some(Presence {
                    online: false,
                    now: NOW,
                    default_interval_s: 3600,
                }),
                limit: PAGE,
                ..DeviceFilter::default()
            }),
            Box::new(move |all: &mut Vec<Device>| {
                all.retain(|d| d.site.as_deref() == Some("site07") && !online(d));
                all.len()
            }),
        ),
    ];
    println!(
        "{:<44} {:>12} {:>22}",
        "request (a page of 50 and its total)", "server", "baseline (read all)"
    );
    for (label, filter, local) in &cases {
        let mut total = 0;
        let ours = best(|| total = page(s, filter()).1);
        let mut base_total = 0;
        let base = best(|| {
            let mut all = everything(s);
            base_total = local(&mut all);
        });
        assert_eq!(total as usize, base_total, "{label}: the two agree");
        println!(
            "{label:<44} {ours:>9.2} ms {base:>19.1} ms   ({total} devices match; {:.0}x)",
            base / ours
        );
    }
    let mut stats = None;
    let ours = best(|| stats = Some(s.fleet_stats(NOW, 3600).unwrap()));
    let mut online_n = 0;
    let base = best(|| {
        let all = everything(s);
        online_n = all
            .iter()
            .filter(|d| d.enrollment == Enrollment::Approved && online(d))
            .count();
    });
    let stats = stats.unwrap();
    assert_eq!(stats.online as usize, online_n);
    println!(
        "{:<44} {ours:>9.2} ms {base:>19.1} ms   ({} online, {} offline, {} pending; {:.0}x)",
        "overview numbers (fleet_stats)",
        stats.online,
        stats.offline,
        stats.pending,
        base / ours
    );
}

fn main() {
    let n = devices();
    let dir = std::env::temp_dir().join(format!("tipring-console-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = SqliteStore::open(dir.join("store.sqlite")).expect("open");
    figures("SQLite", &sqlite, n);
    drop(sqlite);
    let _ = std::fs::remove_dir_all(&dir);
    println!();
    match std::panic::catch_unwind(pg::server) {
        Ok(server) => {
            let store = PgStore::open(&server.create_database()).expect("open PgStore");
            figures("PostgreSQL", &store, n);
        }
        Err(e) => {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            println!("PostgreSQL: no figures, the server did not start: {why}");
        }
    }
}
