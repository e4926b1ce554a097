//! The agent's side of the admin pages (`tipring-admin`): what they show beyond the
//! status snapshot — the uplink ([`crate::uplink`]), the ACS, the firmware slots, the
//! access-control counters — and what they ask for: a firmware image to install, and the
//! diagnostics (ring a port, a tone to its phone, the media loopback
//! ([`crate::loopback`]), a SIP OPTIONS ping, a pcap capture of SIP and RTP).
//!
//! The run loop owns an [`AdminSide`]: it hands it the pages' [`Action`]s, calls
//! [`AdminSide::poll`] every frame tick for results, [`AdminSide::refresh`] once a second,
//! records packets while [`AdminSide::capturing`], and publishes with
//! [`AdminSide::publish`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tipring_admin::{Action, DeviceView, Diagnosis, Diagnostic, TaskState, View};

use crate::cwmp::Todo;
use crate::sim::Gateway;

/// Diagnostics kept on the page.
const KEEP: usize = 12;
/// The largest capture file (the gateway's memory, not the disk, holds it).
const MAX_CAPTURE_BYTES: usize = 32 << 20;
/// After an upgrade is installed, the page shows it this long before the restart.
const RESTART_AFTER: Duration = Duration::from_secs(3);

/// Where uploaded firmware goes and how it is checked.
#[derive(Debug, Clone)]
pub struct FirmwareBoot {
    /// The A/B slots directory.
    pub slots_dir: PathBuf,
    /// Signature keys, product and model.
    pub verifier: tipring_firmware::Verifier,
    /// Seconds the new image has to get its lines registered again (0: no check).
    pub health_check_s: u32,
}

struct Capturing {
    id: u64,
    until: Instant,
    cap: tipring_pcap::Capture,
}

/// The agent side of the admin pages (see the module docs).
pub struct AdminSide {
    tx: tokio::sync::watch::Sender<View>,
    device: DeviceView,
    name: String,
    next_id: u64,
    /// Port tests running: port (1-based), diagnosis id.
    tests: Vec<(usize, u64)>,
    /// Pings waiting for the UA.
    pings: Vec<u64>,
    loopbacks: tokio::task::JoinSet<(u64, Result<String, String>)>,
    capture: Option<Capturing>,
    firmware: Option<FirmwareBoot>,
    install: Option<tokio::task::JoinHandle<Result<String, String>>>,
    restart_at: Option<Instant>,
    slow_at: Option<Instant>,
    /// Without a TR-069 client nobody else keeps an image on trial: this is its check.
    trial_deadline: Option<Instant>,
}

impl std::fmt::Debug for AdminSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSide")
            .field("tests", &self.tests)
            .field("capturing", &self.capture.is_some())
            .finish_non_exhaustive()
    }
}

#[allow(clippy::disallowed_methods)] // the shell's calendar
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[allow(clippy::disallowed_methods)]
fn wall_now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// A slot as the pages name it.
fn letter(slot: tipring_slots::Slot) -> &'static str {
    match slot {
        tipring_slots::Slot::A => "A",
        tipring_slots::Slot::B => "B",
    }
}

/// The firmware slots as the pages show them.
fn slots_view(dir: &std::path::Path) -> Vec<tipring_admin::FirmwareSlot> {
    let Ok(slots) = tipring_slots::Slots::open(dir) else {
        return Vec::new();
    };
    let (active, boot) = (slots.active().slot, slots.boot_slot());
    slots
        .firmware_images()
        .into_iter()
        .zip([tipring_slots::Slot::A, tipring_slots::Slot::B])
        .map(|(r, slot)| tipring_admin::FirmwareSlot {
            name: letter(slot).into(),
            version: if r.version.is_empty() && slot == active {
                format!("{} (factory)", env!("CARGO_PKG_VERSION"))
            } else {
                r.version
            },
            status: r.status.as_str().to_string(),
            active: slot == active,
            boot: slot == boot,
            log: r.boot_failure_log,
        })
        .collect()
}

/// Check and install `image` into the inactive slot (what a TR-069 Download of a
/// firmware image does, from the pages).
fn install<P: AsRef<[u8]>>(
    pieces: impl IntoIterator<Item = Option<P>>,
    fw: &FirmwareBoot,
) -> Result<String, String> {
    let info = crate::transfer::install_image(pieces, &fw.slots_dir, &fw.verifier)
        .map_err(|e| format!("refused, the running image is untouched: {e}"))?;
    Ok(format!(
        "version {} checked and installed in slot {}; the gateway restarts into it (on trial: it rolls back by itself if the new image does not come up)",
        info.version.map(|v| v.to_string()).unwrap_or_default(),
        letter(info.slot)
    ))
}

/// The pieces of an upload as they come from the admin pages (on a blocking thread): the
/// channel closing before [`tipring_admin::UploadChunk::End`] is an upload cut short.
fn upload_pieces(
    mut rx: tokio::sync::mpsc::Receiver<tipring_admin::UploadChunk>,
) -> impl Iterator<Item = Option<Vec<u8>>> {
    std::iter::from_fn(move || match rx.blocking_recv() {
        Some(tipring_admin::UploadChunk::Data(d)) => Some(Some(d)),
        Some(tipring_admin::UploadChunk::End) => None,
        None => Some(None),
    })
    .scan(false, |cut, p| {
        // Stop after reporting a cut once.
        if *cut {
            return None;
        }
        *cut = p.is_none();
        Some(p)
    })
}

impl AdminSide {
    /// The side of the pages whose view goes out on `tx`.
    pub fn new(
        tx: tokio::sync::watch::Sender<View>,
        name: &str,
        firmware: Option<FirmwareBoot>,
        now: Instant,
        has_runner: bool,
    ) -> Self {
        let device = DeviceView {
            tone_plans: tipring_dsp::tone::PLANS
                .iter()
                .map(|p| (p.code.to_string(), p.name.to_string()))
                .collect(),
            ..DeviceView::default()
        };
        let on_trial = firmware.as_ref().is_some_and(|f| {
            tipring_slots::Slots::open(&f.slots_dir).is_ok_and(|s| s.state().on_trial())
        });
        let trial_deadline = firmware
            .as_ref()
            .filter(|f| on_trial && !has_runner && f.health_check_s > 0)
            .map(|f| now + Duration::from_secs(u64::from(f.health_check_s)));
        let mut device = device;
        device.uplink = crate::uplink::read(None);
        if let Some(fw) = &firmware {
            device.firmware = slots_view(&fw.slots_dir);
        }
        let shown = Arc::new(device.clone());
        tx.send_modify(|v| v.device = shown);
        Self {
            tx,
            device,
            name: name.to_string(),
            next_id: 0,
            tests: Vec::new(),
            pings: Vec::new(),
            loopbacks: tokio::task::JoinSet::new(),
            capture: None,
            firmware,
            install: None,
            restart_at: None,
            slow_at: None,
            trial_deadline,
        }
    }

    /// Publish the view: `status`, the running configuration and its version.
    pub fn publish(
        &self,
        status: Arc<tipring_status::GatewayStatus>,
        config: Option<Arc<tipring_config::GatewayConfig>>,
        version: u64,
    ) {
        self.tx.send_replace(View {
            status,
            config,
            version,
            device: Arc::new(self.device.clone()),
        });
    }

    /// The version of the configuration the pages last saw.
    pub fn version(&self) -> u64 {
        self.tx.borrow().version
    }

    /// Once a second: the ACS, the access counters; every 5 s the uplink (toward the
    /// first SIP server or the ACS) and the slots. `registered`: every port that registers
    /// is registered (the trial check without a TR-069 client).
    pub fn refresh(
        &mut self,
        now: Instant,
        acs: Option<tipring_admin::AcsView>,
        access: Vec<tipring_admin::AccessCounters>,
        toward: Option<SocketAddr>,
        registered: bool,
    ) -> Vec<Todo> {
        self.device.acs = acs;
        self.device.access = access;
        if self.slow_at.is_none_or(|t| now >= t) {
            self.slow_at = Some(now + Duration::from_secs(5));
            self.device.uplink = crate::uplink::read(toward);
            if let Some(fw) = &self.firmware {
                self.device.firmware = slots_view(&fw.slots_dir);
            }
        }
        self.trial(now, registered)
    }

    /// The trial of a new image when no TR-069 client keeps it: kept once the lines
    /// registered, rolled back when they did not by the deadline.
    fn trial(&mut self, now: Instant, registered: bool) -> Vec<Todo> {
        let (Some(deadline), Some(fw)) = (self.trial_deadline, self.firmware.as_ref()) else {
            return Vec::new();
        };
        let Ok(mut slots) = tipring_slots::Slots::open(&fw.slots_dir) else {
            return Vec::new();
        };
        if registered {
            self.trial_deadline = None;
            return match slots.confirm() {
                Ok(_) => vec![Todo::Say(
                    "firmware: the lines registered again; the new image is kept".into(),
                )],
                Err(e) => vec![Todo::Say(format!(
                    "firmware: cannot keep the new image: {e}"
                ))],
            };
        }
        if now < deadline {
            return Vec::new();
        }
        self.trial_deadline = None;
        drop(slots);
        crate::cwmp::trial_failed(&fw.slots_dir, fw.health_check_s)
    }

    fn diagnosis(&mut self, what: String, state: TaskState) -> u64 {
        self.next_id += 1;
        self.device.diagnostics.insert(
            0,
            Diagnosis {
                id: self.next_id,
                started: tipring_firmware::rfc3339_utc(unix_now()),
                what,
                state,
            },
        );
        self.device.diagnostics.truncate(KEEP);
        self.next_id
    }

    fn finish(&mut self, id: u64, state: TaskState) {
        if let TaskState::Done(m) | TaskState::Failed(m) = &state {
            tracing::info!(id, result = %m, "admin pages: diagnostic ended");
        }
        if let Some(d) = self.device.diagnostics.iter_mut().find(|d| d.id == id) {
            d.state = state;
        }
    }

    /// Carry out what the pages asked. Restart and factory reset come back as the run
    /// loop's todo.
    pub fn act(&mut self, now: Instant, action: Action, gw: &mut Gateway) -> Option<Todo> {
        match action {
            Action::Reboot => Some(Todo::Reboot),
            Action::FactoryReset => Some(Todo::FactoryReset),
            Action::Firmware(rx) => {
                let Some(fw) = self.firmware.clone() else {
                    self.device.firmware_upload = Some(TaskState::Failed(
                        "this gateway runs without firmware slots".into(),
                    ));
                    return None;
                };
                if self.install.is_some() || self.restart_at.is_some() {
                    return None;
                }
                self.device.firmware_upload = Some(TaskState::Running(
                    "receiving, checking and installing the image…".into(),
                ));
                self.install = Some(tokio::task::spawn_blocking(move || {
                    install(upload_pieces(rx), &fw)
                }));
                None
            }
            Action::Diagnose(d) => {
                self.diagnose(now, d, gw);
                None
            }
        }
    }

    fn diagnose(&mut self, now: Instant, d: Diagnostic, gw: &mut Gateway) {
        let what = d.to_string();
        match d {
            Diagnostic::Ring { port, seconds } => {
                let test = tipring_line::PortTest::Ring {
                    duration: Duration::from_secs(u64::from(seconds)),
                };
                self.port_test(now, gw, port, test, what, "ringing…");
            }
            Diagnostic::Tone {
                port,
                tone,
                seconds,
            } => {
                use tipring_dsp::tone::ToneKind;
                let tone = match tone.as_str() {
                    "dial" => tipring_line::TestTone::Plan(ToneKind::Dial),
                    "busy" => tipring_line::TestTone::Plan(ToneKind::Busy),
                    "ringback" => tipring_line::TestTone::Plan(ToneKind::Ringback),
                    "congestion" => tipring_line::TestTone::Plan(ToneKind::Congestion),
                    _ => tipring_line::TestTone::Milliwatt,
                };
                let test = tipring_line::PortTest::Tone {
                    tone,
                    duration: Duration::from_secs(u64::from(seconds)),
                };
                self.port_test(now, gw, port, test, what, "playing…");
            }
            Diagnostic::Loopback { port } => match gw.port_codecs(port).first().copied() {
                None => {
                    self.diagnosis(what, TaskState::Failed(format!("port {port} has no codec")));
                }
                Some(codec) => {
                    let id =
                        self.diagnosis(what, TaskState::Running("sending the test tone…".into()));
                    self.loopbacks.spawn(async move {
                        (id, crate::loopback::run(codec).await.map(|r| r.to_string()))
                    });
                }
            },
            Diagnostic::Ping { port } => {
                let id = self.diagnosis(what, TaskState::Running("waiting for the answer…".into()));
                match gw.sip_ping(now, port, id) {
                    Ok(()) => self.pings.push(id),
                    Err(e) => self.finish(id, TaskState::Failed(e)),
                }
            }
            Diagnostic::Capture { seconds } => {
                if let Some(c) = self.capture.take() {
                    self.finish(c.id, TaskState::Failed("replaced by a new capture".into()));
                }
                let id = self.diagnosis(what, TaskState::Running("capturing…".into()));
                self.capture = Some(Capturing {
                    id,
                    until: now + Duration::from_secs(u64::from(seconds)),
                    cap: tipring_pcap::Capture::new(tipring_pcap::Limits {
                        max_bytes: MAX_CAPTURE_BYTES,
                        ..tipring_pcap::Limits::default()
                    }),
                });
            }
        }
    }

    fn port_test(
        &mut self,
        now: Instant,
        gw: &mut Gateway,
        port: usize,
        test: tipring_line::PortTest,
        what: String,
        running: &str,
    ) {
        match gw.port_test(now, port, test) {
            Ok(()) => {
                let id = self.diagnosis(what, TaskState::Running(running.into()));
                self.tests.push((port, id));
            }
            Err(e) => {
                self.diagnosis(what, TaskState::Failed(e));
            }
        }
    }

    /// Whether a capture is running (the run loop then hands over every packet).
    pub fn capturing(&self) -> bool {
        self.capture.is_some()
    }

    /// A packet the gateway sent or received, for the capture.
    pub fn record(
        &mut self,
        proto: tipring_pcap::Proto,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
    ) {
        if let Some(c) = self.capture.as_mut() {
            c.cap.record(&tipring_pcap::Packet {
                time: wall_now(),
                proto,
                src,
                dst,
                payload: data,
            });
        }
    }

    /// Results that came in: port tests, pings, loopbacks, the capture's end, the
    /// firmware install; and the restart after an upgrade.
    pub async fn poll(&mut self, now: Instant, gw: &mut Gateway) -> Vec<Todo> {
        let mut todo = Vec::new();
        for (port, outcome) in gw.take_test_outcomes() {
            let Some(k) = self.tests.iter().position(|(p, _)| *p == port) else {
                continue;
            };
            let (_, id) = self.tests.remove(k);
            let state = match outcome {
                tipring_line::TestOutcome::Answered { after } => TaskState::Done(format!(
                    "the phone answered after {:.1} s",
                    after.as_secs_f32()
                )),
                tipring_line::TestOutcome::Completed => TaskState::Done("completed".into()),
                tipring_line::TestOutcome::Interrupted { reason } => {
                    TaskState::Failed(format!("interrupted: {reason}"))
                }
            };
            // A ring test nobody answered is worth saying so.
            let state = match state {
                TaskState::Done(m) if m == "completed" && self.is_ring(id) => {
                    TaskState::Failed("rang the whole time; nobody answered".into())
                }
                s => s,
            };
            self.finish(id, state);
        }
        for (id, r) in gw.take_pings() {
            if let Some(k) = self.pings.iter().position(|p| *p == id) {
                self.pings.remove(k);
                let server = r.server.map(|s| s.to_string()).unwrap_or_default();
                let state = match r.status {
                    Some(code) => TaskState::Done(format!(
                        "{server} answered {code} {} {}{}{}",
                        r.reason,
                        // The UA's clock is the 10 ms frame clock.
                        match r.rtt.unwrap_or_default().as_millis() {
                            0 => "within 10 ms".to_string(),
                            ms => format!("in {ms} ms"),
                        },
                        r.server_header
                            .map(|s| format!(" · Server: {s}"))
                            .unwrap_or_default(),
                        r.allow
                            .map(|s| format!(" · Allow: {s}"))
                            .unwrap_or_default()
                    )),
                    None => TaskState::Failed(if server.is_empty() {
                        r.reason
                    } else {
                        format!("{server}: {}", r.reason)
                    }),
                };
                self.finish(id, state);
            }
        }
        while let Some(done) = self.loopbacks.try_join_next() {
            if let Ok((id, r)) = done {
                self.finish(
                    id,
                    match r {
                        Ok(m) => TaskState::Done(m),
                        Err(e) => TaskState::Failed(e),
                    },
                );
            }
        }
        let capture_over = self
            .capture
            .as_ref()
            .is_some_and(|c| now >= c.until || c.cap.is_full());
        if capture_over {
            let c = self.capture.take().expect("checked");
            let (packets, dropped) = (c.cap.packets(), c.cap.dropped());
            let bytes = c.cap.finish();
            let stamp: String = tipring_firmware::rfc3339_utc(unix_now())
                .chars()
                .filter(|ch| ch.is_ascii_alphanumeric())
                .collect();
            let name = tipring_admin::file_safe(&self.name);
            self.finish(
                c.id,
                TaskState::Done(format!(
                    "{packets} packets captured{} — download it above",
                    if dropped > 0 {
                        format!(", {dropped} left out (the capture was full)")
                    } else {
                        String::new()
                    }
                )),
            );
            self.device.capture = Some(Arc::new(tipring_admin::CaptureFile {
                name: format!("tipring-{name}-{stamp}.pcap"),
                bytes,
            }));
        }
        if self.install.as_ref().is_some_and(|h| h.is_finished()) {
            let h = self.install.take().expect("checked");
            let r = h
                .await
                .unwrap_or_else(|e| Err(format!("the install failed: {e}")));
            match r {
                Ok(m) => {
                    tracing::warn!(result = %m, "admin pages: firmware installed");
                    todo.push(Todo::Say(format!("firmware upload: {m}")));
                    self.device.firmware_upload = Some(TaskState::Done(m));
                    self.restart_at = Some(now + RESTART_AFTER);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "admin pages: firmware refused");
                    todo.push(Todo::Say(format!("firmware upload: {e}")));
                    self.device.firmware_upload = Some(TaskState::Failed(e));
                }
            }
            if let Some(fw) = &self.firmware {
                self.device.firmware = slots_view(&fw.slots_dir);
            }
        }
        if self.restart_at.is_some_and(|t| now >= t) {
            self.restart_at = None;
            todo.push(Todo::Reboot);
        }
        todo
    }

    fn is_ring(&self, id: u64) -> bool {
        self.device
            .diagnostics
            .iter()
            .any(|d| d.id == id && d.what.starts_with("ring "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_firmware::{key_id_for, sign_image, Manifest, SigningKey, Version};

    /// A slots directory running version 2.0.0 on trial (installed, then booted once).
    fn on_trial(dir: &std::path::Path, key: &SigningKey) -> FirmwareBoot {
        let payload = vec![7u8; 4096];
        let m = Manifest::for_payload(
            "tipring-gw",
            "FXS1",
            "2.0.0".parse::<Version>().unwrap(),
            key_id_for(&key.public_key()),
            "2026-11-26T12:00:00Z",
            &payload,
        );
        let fw = FirmwareBoot {
            slots_dir: dir.to_path_buf(),
            verifier: tipring_firmware::Verifier::new("tipring-gw", "FXS1")
                .with_key(key_id_for(&key.public_key()), key.public_key()),
            health_check_s: 60,
        };
        // A bad signature first: refused, nothing pending.
        let forged = sign_image(&m, &payload, &SigningKey::from_seed(&[3; 32])).unwrap();
        let e = install([Some(forged)], &fw).unwrap_err();
        assert!(
            e.starts_with("refused, the running image is untouched"),
            "{e}"
        );
        assert!(tipring_slots::Slots::open(dir)
            .unwrap()
            .state()
            .pending
            .is_none());
        let image = sign_image(&m, &payload, key).unwrap();
        // Cut short: nothing kept.
        let half = image[..image.len() / 2].to_vec();
        let e = install([Some(half), None], &fw).unwrap_err();
        assert!(e.contains("cut short"), "{e}");
        assert!(tipring_slots::Slots::open(dir)
            .unwrap()
            .state()
            .pending
            .is_none());
        let ok = install(image.chunks(1000).map(Some), &fw).unwrap();
        assert!(
            ok.contains("version 2.0.0") && ok.contains("slot B"),
            "{ok}"
        );
        tipring_slots::Slots::open(dir).unwrap().boot().unwrap();
        assert!(tipring_slots::Slots::open(dir).unwrap().state().on_trial());
        fw
    }

    #[tokio::test]
    async fn without_tr069_a_new_image_is_kept_once_the_lines_register_else_rolled_back() {
        #[allow(clippy::disallowed_methods)] // a base for virtual time
        let t0 = Instant::now();
        let key = SigningKey::from_seed(&[9; 32]);
        for registered in [true, false] {
            let dir = std::env::temp_dir().join(format!(
                "tipring-admin-trial-{}-{registered}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            let fw = on_trial(&dir, &key);
            let (tx, _rx) = tokio::sync::watch::channel(View::default());
            let mut side = AdminSide::new(tx, "gw", Some(fw), t0, false);
            // Within the health check, not registered yet: nothing happens.
            assert!(side.refresh(t0, None, vec![], None, false).is_empty());
            let at = if registered {
                t0 + Duration::from_secs(5)
            } else {
                t0 + Duration::from_secs(61)
            };
            let todo = side.refresh(at, None, vec![], None, registered);
            let state = tipring_slots::Slots::open(&dir).unwrap().state().clone();
            if registered {
                assert!(
                    matches!(&todo[..], [Todo::Say(l)] if l.contains("kept")),
                    "{todo:?}"
                );
                assert!(!state.on_trial(), "confirmed");
            } else {
                assert!(matches!(todo.last(), Some(Todo::Reboot)), "{todo:?}");
                assert!(state.trial_failure.is_some(), "{state:?}");
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
