//! The CPE engine against a scripted ACS, in memory and in virtual time: the boot's
//! bootstrap, every RPC, faults, retries with TR-069's back-off, HoldRequests, reboot and
//! download with their M events across a restart, periodic and scheduled informs,
//! connection requests, a lost connection mid-session.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tipring_cpe::{
    Action, Cpe, CpeConfig, Device, FinishedTransfer, Input, Output, PersistedState, SetFault,
    Start,
};
use tipring_cwmp::{
    parse, AddObject, AddObjectResponse, Body, DeleteObject, DeviceId, Download, Envelope,
    FaultCode, GetParameterNames, Header, ParameterAttribute, ParameterInfo, ParameterValue,
    ScheduleInform, SetParameterAttributesStruct, SetParameterValues, SetParameterValuesFault,
    Status,
};

const UNIX0: i64 = 1_780_000_000;
const URL: &str = "http://acs.test/cwmp";

/// A device on a map: `name -> (value, writable)`.
#[derive(Default)]
struct MapDevice {
    params: BTreeMap<String, (String, bool)>,
    key: String,
    informs_delivered: u32,
}

impl MapDevice {
    fn new() -> Self {
        let mut d = Self::default();
        for (n, v, w) in [
            ("Device.DeviceInfo.SoftwareVersion", "1.0.0", false),
            ("Device.DeviceInfo.SerialNumber", "TR0001", false),
            (
                "Device.ManagementServer.PeriodicInformInterval",
                "3600",
                true,
            ),
            (
                "Device.Services.VoiceService.1.SIP.Client.1.AuthUserName",
                "101",
                true,
            ),
        ] {
            d.params.insert(n.to_string(), (v.to_string(), w));
        }
        d
    }
}

impl Device for MapDevice {
    fn device_id(&self) -> DeviceId {
        DeviceId {
            manufacturer: "Tipring".into(),
            oui: "00A0B1".into(),
            product_class: "FXS48".into(),
            serial_number: "TR0001".into(),
        }
    }
    fn inform_parameters(&mut self) -> Vec<ParameterValue> {
        vec![ParameterValue::string(
            "Device.DeviceInfo.SoftwareVersion",
            self.params["Device.DeviceInfo.SoftwareVersion"].0.clone(),
        )]
    }
    fn inform_delivered(&mut self) {
        self.informs_delivered += 1;
    }
    fn get_values(&mut self, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode> {
        let mut out = Vec::new();
        for n in names {
            let hits: Vec<_> = self
                .params
                .iter()
                .filter(|(k, _)| *k == n || (n.ends_with('.') && k.starts_with(n.as_str())))
                .map(|(k, (v, _))| ParameterValue::string(k.clone(), v.clone()))
                .collect();
            if hits.is_empty() {
                return Err(FaultCode::INVALID_PARAMETER_NAME);
            }
            out.extend(hits);
        }
        Ok(out)
    }
    fn get_names(&mut self, path: &str, _next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
        Ok(self
            .params
            .iter()
            .filter(|(k, _)| k.starts_with(path))
            .map(|(k, (_, w))| ParameterInfo {
                name: k.clone(),
                writable: *w,
            })
            .collect())
    }
    fn set_values(&mut self, values: &[ParameterValue], key: &str) -> Result<Status, SetFault> {
        let bad: Vec<SetParameterValuesFault> = values
            .iter()
            .filter_map(|v| {
                let code = match self.params.get(&v.name) {
                    None => FaultCode::INVALID_PARAMETER_NAME,
                    Some((_, false)) => FaultCode::NON_WRITABLE_PARAMETER,
                    Some(_) if v.value.is_empty() => FaultCode::INVALID_PARAMETER_VALUE,
                    Some(_) => return None,
                };
                Some(SetParameterValuesFault {
                    parameter_name: v.name.clone(),
                    fault_code: code,
                    fault_string: code.text().into(),
                })
            })
            .collect();
        if !bad.is_empty() {
            return Err(SetFault {
                code: FaultCode::INVALID_ARGUMENTS,
                parameters: bad,
            });
        }
        for v in values {
            self.params.get_mut(&v.name).unwrap().0 = v.value.clone();
        }
        self.key = key.to_string();
        Ok(Status::Applied)
    }
    fn get_attributes(&mut self, names: &[String]) -> Result<Vec<ParameterAttribute>, FaultCode> {
        Ok(names
            .iter()
            .map(|n| ParameterAttribute {
                name: n.clone(),
                ..Default::default()
            })
            .collect())
    }
    fn set_attributes(&mut self, _a: &[SetParameterAttributesStruct]) -> Result<(), FaultCode> {
        Ok(())
    }
    fn add_object(&mut self, _o: &str, _k: &str) -> Result<AddObjectResponse, FaultCode> {
        Err(FaultCode::REQUEST_DENIED)
    }
    fn delete_object(&mut self, _o: &str, _k: &str) -> Result<Status, FaultCode> {
        Err(FaultCode::REQUEST_DENIED)
    }
}

/// The CPE, its device, virtual time, and what it last posted.
struct Rig {
    cpe: Cpe,
    dev: MapDevice,
    t0: Instant,
    now: Instant,
    posts: Vec<(Vec<u8>, bool)>,
    ended: Vec<bool>,
    actions: Vec<Action>,
    persisted: Option<PersistedState>,
}

impl Rig {
    fn boot(state: PersistedState, cfg: CpeConfig) -> Self {
        #[allow(clippy::disallowed_methods)] // an epoch for virtual time
        let t0 = Instant::now();
        let cpe = Cpe::new(cfg, state, Start::Boot, t0, UNIX0);
        let mut rig = Self {
            cpe,
            dev: MapDevice::new(),
            t0,
            now: t0,
            posts: Vec::new(),
            ended: Vec::new(),
            actions: Vec::new(),
            persisted: None,
        };
        rig.tick();
        rig
    }

    fn cfg() -> CpeConfig {
        CpeConfig {
            acs_url: URL.into(),
            ..CpeConfig::default()
        }
    }

    fn drain(&mut self) {
        while let Some(o) = self.cpe.poll_output() {
            match o {
                Output::Post { body, new_session } => self.posts.push((body, new_session)),
                Output::SessionEnded { ok } => self.ended.push(ok),
                Output::Action(a) => self.actions.push(a),
                Output::Persist(s) => self.persisted = Some(s),
            }
        }
    }

    /// Run due timeouts at the current time.
    fn tick(&mut self) {
        while self.cpe.poll_timeout().is_some_and(|t| t <= self.now) {
            let before = (self.posts.len(), self.actions.len());
            self.cpe
                .handle_input(Input::Timeout(self.now), &mut self.dev);
            self.drain();
            if (self.posts.len(), self.actions.len()) == before {
                break;
            }
        }
        self.drain();
    }

    /// Advance virtual time, running timeouts as they come due.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.cpe.poll_timeout().filter(|t| *t <= end) {
            self.now = t.max(self.now);
            let before = self.posts.len();
            self.cpe
                .handle_input(Input::Timeout(self.now), &mut self.dev);
            self.drain();
            if self.posts.len() > before || self.cpe.poll_timeout() == Some(t) {
                break;
            }
        }
        self.now = self.now.max(end.min(self.now.max(end)));
        self.tick();
    }

    /// The last POST, parsed (None: the empty POST).
    fn last(&self) -> Option<Envelope> {
        let (body, _) = self.posts.last().expect("something was posted");
        if body.is_empty() {
            None
        } else {
            parse(body).unwrap()
        }
    }

    fn reply(&mut self, env: Option<Envelope>) {
        let (status, body) = match env {
            Some(e) => (200, e.to_xml()),
            None => (204, Vec::new()),
        };
        self.cpe.handle_input(
            Input::Reply {
                now: self.now,
                status,
                body: &body,
            },
            &mut self.dev,
        );
        self.drain();
    }

    /// The last POST must be an Inform: its event codes (with keys).
    fn inform_events(&self) -> Vec<String> {
        let env = self.last().expect("an Inform");
        let Some(Body::Inform(i)) = env.body else {
            panic!("not an Inform: {env:?}")
        };
        i.events
            .iter()
            .map(|e| {
                if e.command_key.is_empty() {
                    e.event_code.clone()
                } else {
                    format!("{}:{}", e.event_code, e.command_key)
                }
            })
            .collect()
    }

    fn inform_response(&mut self) {
        let id = self.last().unwrap().header.id.unwrap();
        self.reply(Some(Envelope::new(id, Body::InformResponse(1))));
    }

    /// Send an RPC; the CPE's answer.
    fn rpc(&mut self, id: &str, body: Body) -> Envelope {
        self.reply(Some(Envelope::new(id, body)));
        let env = self.last().expect("an answer");
        assert_eq!(
            env.id(),
            Some(id),
            "the answer carries the request's cwmp:ID"
        );
        env
    }
}

#[test]
fn first_boot_bootstraps_and_the_next_boot_does_not() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    assert_eq!(rig.posts.len(), 1);
    assert!(rig.posts[0].1, "the Inform opens a new HTTP session");
    assert_eq!(rig.inform_events(), ["0 BOOTSTRAP", "1 BOOT"]);
    let Some(Body::Inform(i)) = rig.last().unwrap().body else {
        panic!()
    };
    assert_eq!(i.device_id.serial_number, "TR0001");
    assert_eq!(i.retry_count, 0);
    assert_eq!(i.max_envelopes, 1);
    assert_eq!(i.parameters[0].name, "Device.DeviceInfo.SoftwareVersion");
    assert!(i.current_time.starts_with("2026-"), "{}", i.current_time);
    assert_eq!(
        rig.last().unwrap().header.supported_versions.as_deref(),
        Some("1.0,1.1,1.2,1.3,1.4")
    );
    rig.inform_response();
    assert!(rig.last().is_none(), "then the empty POST");
    assert!(!rig.posts.last().unwrap().1);
    rig.reply(None);
    assert_eq!(rig.ended, [true]);
    let kept = rig.persisted.clone().unwrap();
    assert_eq!(kept.bootstrapped_url.as_deref(), Some(URL));
    assert!(kept.events.is_empty());
    // The next boot: 1 BOOT only.
    let rig = Rig::boot(kept, Rig::cfg());
    assert_eq!(rig.inform_events(), ["1 BOOT"]);
}

#[test]
fn failures_back_off_as_table_3_and_keep_the_events() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    let mut waits = Vec::new();
    for attempt in 1..=4u32 {
        let sent_at = rig.now;
        rig.cpe.handle_input(
            Input::Failed {
                now: rig.now,
                reason: "connection refused".into(),
            },
            &mut rig.dev,
        );
        rig.drain();
        assert_eq!(rig.cpe.retry_count(), attempt);
        let due = rig.cpe.poll_timeout().unwrap();
        let wait = (due - sent_at).as_secs_f64();
        waits.push(wait);
        let lo = 5.0 * 2f64.powi(attempt as i32 - 1);
        assert!(
            wait >= lo && wait <= 2.0 * lo,
            "attempt {attempt}: {wait} s"
        );
        rig.now = due;
        rig.tick();
        let Some(Body::Inform(i)) = rig.last().unwrap().body else {
            panic!()
        };
        assert_eq!(i.retry_count, attempt, "RetryCount in the Inform");
        assert_eq!(rig.inform_events(), ["0 BOOTSTRAP", "1 BOOT"]);
    }
    assert_eq!(rig.ended, [false; 4]);
    // Success resets the count.
    rig.inform_response();
    rig.reply(None);
    assert_eq!(rig.cpe.retry_count(), 0);
    // A waiting retry is cut short by a connection request, which is never retried.
    rig.cpe
        .handle_input(Input::ConnectionRequest(rig.now), &mut rig.dev);
    rig.drain();
    assert_eq!(rig.inform_events(), ["6 CONNECTION REQUEST"]);
    rig.cpe.handle_input(
        Input::Failed {
            now: rig.now,
            reason: "timeout".into(),
        },
        &mut rig.dev,
    );
    rig.drain();
    rig.advance(Duration::from_secs(11));
    assert!(
        rig.cpe.state().events.is_empty(),
        "6 CONNECTION REQUEST dropped after a failed session"
    );
}

#[test]
fn every_rpc_is_answered_through_the_device() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    let env = rig.rpc("1", Body::GetRpcMethods);
    let Some(Body::GetRpcMethodsResponse(m)) = env.body else {
        panic!()
    };
    assert!(
        m.contains(&"Download".to_string()) && m.len() == 16,
        "{m:?}"
    );
    let env = rig.rpc(
        "2",
        Body::GetParameterValues(vec!["Device.DeviceInfo.".into()]),
    );
    let Some(Body::GetParameterValuesResponse(v)) = env.body else {
        panic!("{env:?}")
    };
    assert_eq!(v.len(), 2);
    let env = rig.rpc("3", Body::GetParameterValues(vec!["Device.Nope".into()]));
    assert_eq!(fault_of(&env), Some(9005));
    let env = rig.rpc(
        "4",
        Body::GetParameterNames(GetParameterNames {
            parameter_path: "Device.ManagementServer.".into(),
            next_level: false,
        }),
    );
    assert!(
        matches!(env.body, Some(Body::GetParameterNamesResponse(ref n)) if n.len() == 1 && n[0].writable)
    );
    // SetParameterValues: all or nothing, each bad parameter named.
    let spv = |params: Vec<ParameterValue>| {
        Body::SetParameterValues(SetParameterValues {
            parameters: params,
            parameter_key: "k1".into(),
        })
    };
    let env = rig.rpc(
        "5",
        spv(vec![
            ParameterValue::string("Device.ManagementServer.PeriodicInformInterval", "600"),
            ParameterValue::string("Device.DeviceInfo.SoftwareVersion", "9"),
            ParameterValue::string("Device.Bogus", "1"),
        ]),
    );
    let Some(Body::Fault(f)) = &env.body else {
        panic!()
    };
    let c = f.cwmp.as_ref().unwrap();
    assert_eq!(c.code.0, 9003);
    let each: Vec<u32> = c
        .set_parameter_values_faults
        .iter()
        .map(|p| p.fault_code.0)
        .collect();
    assert_eq!(each, [9008, 9005]);
    assert_eq!(
        rig.dev.params["Device.ManagementServer.PeriodicInformInterval"].0, "3600",
        "nothing applied"
    );
    let env = rig.rpc(
        "6",
        spv(vec![ParameterValue::string(
            "Device.ManagementServer.PeriodicInformInterval",
            "600",
        )]),
    );
    assert_eq!(
        env.body,
        Some(Body::SetParameterValuesResponse(Status::Applied))
    );
    assert_eq!(rig.dev.key, "k1");
    let env = rig.rpc(
        "7",
        Body::SetParameterAttributes(vec![SetParameterAttributesStruct::default()]),
    );
    assert_eq!(env.body, Some(Body::SetParameterAttributesResponse));
    let env = rig.rpc(
        "8",
        Body::GetParameterAttributes(vec!["Device.DeviceInfo.SoftwareVersion".into()]),
    );
    assert!(matches!(
        env.body,
        Some(Body::GetParameterAttributesResponse(_))
    ));
    let env = rig.rpc(
        "9",
        Body::AddObject(AddObject {
            object_name: "Device.Services.VoiceService.1.POTS.FXS.".into(),
            parameter_key: String::new(),
        }),
    );
    assert_eq!(fault_of(&env), Some(9001));
    let env = rig.rpc(
        "10",
        Body::DeleteObject(DeleteObject {
            object_name: "Device.Services.VoiceService.1.POTS.FXS.1.".into(),
            parameter_key: String::new(),
        }),
    );
    assert_eq!(fault_of(&env), Some(9001));
    // Something we do not implement: 9000.
    let env = rig.rpc("11", Body::GetOptions("x".into()));
    assert_eq!(fault_of(&env), Some(9000));
    // A malformed envelope is answered with a fault and the session goes on.
    rig.cpe.handle_input(
        Input::Reply {
            now: rig.now,
            status: 200,
            body: b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><cwmp:Reboot xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><CommandKey>",
        },
        &mut rig.dev,
    );
    rig.drain();
    assert!(matches!(rig.last().unwrap().body, Some(Body::Fault(_))));
    rig.reply(None);
    assert_eq!(rig.ended, [true]);
}

fn fault_of(env: &Envelope) -> Option<u32> {
    match &env.body {
        Some(Body::Fault(f)) => f.code().map(|c| c.0),
        _ => None,
    }
}

#[test]
fn reboot_happens_after_the_session_and_m_reboot_follows_the_boot() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    let env = rig.rpc("r", Body::Reboot("key-42".into()));
    assert_eq!(env.body, Some(Body::RebootResponse));
    assert!(rig.actions.is_empty(), "not during the session");
    rig.reply(None);
    assert_eq!(rig.actions, [Action::Reboot]);
    // No more sessions until the device restarts.
    rig.cpe
        .handle_input(Input::ConnectionRequest(rig.now), &mut rig.dev);
    rig.drain();
    assert_eq!(rig.posts.iter().filter(|p| p.1).count(), 1);
    let rig = Rig::boot(rig.persisted.clone().unwrap(), Rig::cfg());
    assert_eq!(rig.inform_events(), ["M Reboot:key-42", "1 BOOT"]);
}

#[test]
fn a_download_runs_after_its_delay_and_transfer_complete_follows() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    let env = rig.rpc(
        "d",
        Body::Download(Download {
            command_key: "fw-2".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: "http://files.test/fw-2.img".into(),
            delay_seconds: 30,
            ..Download::default()
        }),
    );
    let Some(Body::DownloadResponse(r)) = env.body else {
        panic!("{env:?}")
    };
    assert_eq!(r.status, Status::Pending);
    let env = rig.rpc("q", Body::GetQueuedTransfers);
    assert!(matches!(env.body, Some(Body::GetQueuedTransfersResponse(ref q)) if q.len() == 1));
    // A file type the device does not take: refused at once.
    let env = rig.rpc(
        "d2",
        Body::Download(Download {
            command_key: "x".into(),
            file_type: "2 Web Content".into(),
            ..Download::default()
        }),
    );
    assert_eq!(fault_of(&env), Some(9003));
    rig.reply(None);
    assert!(rig.actions.is_empty());
    rig.advance(Duration::from_secs(29));
    assert!(rig.actions.is_empty(), "DelaySeconds is honoured");
    rig.advance(Duration::from_secs(2));
    let Some(Action::Download(q)) = rig.actions.first().cloned() else {
        panic!("{:?}", rig.actions)
    };
    assert_eq!(q.url, "http://files.test/fw-2.img");
    // The image was refused (bad signature): 9019 in TransferComplete.
    rig.cpe.handle_input(
        Input::TransferDone {
            now: rig.now,
            result: FinishedTransfer {
                command_key: "fw-2".into(),
                fault_code: 9019,
                fault_string: String::new(),
                start: UNIX0 + 31,
                complete: UNIX0 + 33,
                download: true,
            },
            reboot: false,
        },
        &mut rig.dev,
    );
    rig.drain();
    assert_eq!(
        rig.inform_events(),
        ["7 TRANSFER COMPLETE", "M Download:fw-2"]
    );
    rig.inform_response();
    let Some(Body::TransferComplete(tc)) = rig.last().unwrap().body else {
        panic!()
    };
    assert_eq!(tc.command_key, "fw-2");
    assert_eq!(tc.fault.as_ref().unwrap().code.0, 9019);
    let id = rig.last().unwrap().header.id.unwrap();
    rig.reply(Some(Envelope::new(id, Body::TransferCompleteResponse)));
    assert!(rig.last().is_none(), "then the empty POST");
    rig.reply(None);
    assert!(rig.persisted.clone().unwrap().finished.is_empty());
    assert!(rig.persisted.clone().unwrap().queued.is_empty());
}

#[test]
fn hold_requests_keeps_transfer_complete_for_later() {
    let mut state = PersistedState {
        bootstrapped_url: Some(URL.into()),
        ..Default::default()
    };
    state.finished.push(FinishedTransfer {
        command_key: "fw-1".into(),
        fault_code: 0,
        fault_string: String::new(),
        start: UNIX0,
        complete: UNIX0 + 5,
        download: true,
    });
    let mut rig = Rig::boot(state, Rig::cfg());
    let id = rig.last().unwrap().header.id.unwrap();
    let mut resp = Envelope::new(id, Body::InformResponse(1));
    resp.header.hold_requests = Some(true);
    rig.reply(Some(resp));
    assert!(
        rig.last().is_none(),
        "held: the empty POST, not TransferComplete"
    );
    let env = rig.rpc("g", Body::GetRpcMethods);
    assert!(matches!(env.body, Some(Body::GetRpcMethodsResponse(_))));
    rig.reply(None);
    assert_eq!(rig.cpe.state().finished.len(), 1, "still to be delivered");
    assert_eq!(
        rig.posts.iter().filter(|p| p.1).count(),
        1,
        "no session loop"
    );
}

#[test]
fn periodic_informs_keep_their_phase_and_schedule_inform_comes_due() {
    let mut cfg = Rig::cfg();
    cfg.periodic_interval = Duration::from_secs(100);
    cfg.periodic_time = Some(UNIX0 - 250); // phase: ...+50 s past each 100
    let state = PersistedState {
        bootstrapped_url: Some(URL.into()),
        ..Default::default()
    };
    let mut rig = Rig::boot(state, cfg);
    rig.inform_response();
    let env = rig.rpc(
        "s",
        Body::ScheduleInform(ScheduleInform {
            delay_seconds: 20,
            command_key: "sched-1".into(),
        }),
    );
    assert_eq!(env.body, Some(Body::ScheduleInformResponse));
    rig.reply(None);
    rig.advance(Duration::from_secs(20));
    assert_eq!(
        rig.inform_events(),
        ["3 SCHEDULED", "M ScheduleInform:sched-1"]
    );
    rig.inform_response();
    rig.reply(None);
    // UNIX0 - 250 + 3 × 100 = UNIX0 + 50.
    let before = rig.posts.len();
    rig.advance(Duration::from_secs(29));
    assert_eq!(rig.posts.len(), before, "not yet at t+49");
    rig.advance(Duration::from_secs(1));
    assert_eq!(rig.inform_events(), ["2 PERIODIC"]);
    assert_eq!((rig.now - rig.t0).as_secs(), 50);
}

#[test]
fn a_connection_request_during_a_session_gets_its_own_session() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    rig.cpe
        .handle_input(Input::ConnectionRequest(rig.now), &mut rig.dev);
    rig.drain();
    assert!(rig.last().is_none(), "the session goes on undisturbed");
    rig.reply(None);
    assert_eq!(rig.inform_events(), ["6 CONNECTION REQUEST"]);
    assert!(rig.posts.last().unwrap().1, "a new session");
}

#[test]
fn a_lost_connection_after_the_inform_response_does_not_resend_the_events() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    rig.cpe.handle_input(
        Input::Failed {
            now: rig.now,
            reason: "connection reset".into(),
        },
        &mut rig.dev,
    );
    rig.drain();
    assert_eq!(rig.ended, [false]);
    assert!(
        rig.cpe.state().events.is_empty(),
        "delivered with the InformResponse"
    );
    rig.advance(Duration::from_secs(10));
    assert!(
        rig.inform_events().is_empty(),
        "the retry's Inform has no events"
    );
}

#[test]
fn retry_request_8005_resends_the_inform_in_the_same_session() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    let id = rig.last().unwrap().header.id.unwrap();
    rig.reply(Some(Envelope::new(
        id,
        Body::Fault(tipring_cwmp::Fault::cwmp(FaultCode::ACS_RETRY_REQUEST)),
    )));
    assert_eq!(rig.posts.len(), 2);
    assert!(!rig.posts[1].1, "same HTTP session");
    assert_eq!(rig.inform_events(), ["0 BOOTSTRAP", "1 BOOT"]);
}

#[test]
fn a_new_acs_url_bootstraps_again() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    rig.reply(None);
    let mut cfg = Rig::cfg();
    cfg.acs_url = "https://acs2.test/cwmp".into();
    rig.cpe.handle_input(
        Input::Reconfigure {
            now: rig.now,
            config: cfg,
        },
        &mut rig.dev,
    );
    rig.drain();
    assert_eq!(rig.inform_events(), ["0 BOOTSTRAP"]);
}

#[test]
fn cancel_transfer_before_it_starts() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    rig.rpc(
        "d",
        Body::Download(Download {
            command_key: "c1".into(),
            file_type: "3 Vendor Configuration File".into(),
            url: "http://files.test/c".into(),
            delay_seconds: 600,
            ..Download::default()
        }),
    );
    let env = rig.rpc("c", Body::CancelTransfer("c1".into()));
    assert_eq!(env.body, Some(Body::CancelTransferResponse));
    let env = rig.rpc("c2", Body::CancelTransfer("c1".into()));
    assert_eq!(fault_of(&env), Some(9003));
    let env = rig.rpc("a", Body::GetAllQueuedTransfers);
    assert_eq!(env.body, Some(Body::GetAllQueuedTransfersResponse(vec![])));
    let _ = Header::default();
}

#[test]
fn a_firmware_install_reboots_and_reports_after_the_boot() {
    let mut rig = Rig::boot(PersistedState::default(), Rig::cfg());
    rig.inform_response();
    rig.reply(None);
    let posts = rig.posts.len();
    rig.cpe.handle_input(
        Input::TransferDone {
            now: rig.now,
            result: FinishedTransfer {
                command_key: "fw-3".into(),
                fault_code: 0,
                fault_string: String::new(),
                start: UNIX0,
                complete: UNIX0 + 9,
                download: true,
            },
            reboot: true,
        },
        &mut rig.dev,
    );
    rig.drain();
    assert_eq!(rig.actions, [Action::Reboot]);
    assert_eq!(rig.posts.len(), posts, "no session before the reboot");
    let mut rig = Rig::boot(rig.persisted.clone().unwrap(), Rig::cfg());
    assert_eq!(
        rig.inform_events(),
        ["7 TRANSFER COMPLETE", "M Download:fw-3", "1 BOOT"]
    );
    rig.inform_response();
    let Some(Body::TransferComplete(tc)) = rig.last().unwrap().body else {
        panic!()
    };
    assert!(tc.fault.is_none());
    assert_eq!(tc.command_key, "fw-3");
}
