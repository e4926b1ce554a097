//! The fax parameters of each port, read and written through the tree as an ACS would:
//! TR-104 issue 2 `SIP.Client.{i}.T38Enable`, `POTS.FXS.{i}.FaxPassThrough`,
//! `VoIPProfile.{i}.FaxT38.{MaxBitRate, HighSpeedRedundancy, LowSpeedRedundancy,
//! TCFMethod}`, the issue 1 `VoiceProfile.1.FaxPassThrough` alias, and the vendor
//! counters `POTS.FXS.{i}.X_TIPRING_Fax...` from the live state. A refused value is a
//! fault on its parameter (TR-069 Amendment 6 §A.3.2.1) and nothing changes.

use tipring_config::{FaxPassThrough, GatewayConfig, Secret, TcfMethod};
use tipring_datamodel::{
    definitions, Access, ActiveNotify, Attributes, CwmpState, DeviceIdentity, FaultCode, FaxStats,
    LiveState, ParamFault, PortLive, SetAttribute, Tree, Value,
};

const VS: &str = "Device.Services.VoiceService.1.";

fn vs(rest: &str) -> String {
    format!("{VS}{rest}")
}

/// Two ports; port 2 has a fax policy other than the defaults.
fn config() -> GatewayConfig {
    let mut c = GatewayConfig::example(2);
    for p in &mut c.ports {
        p.password = Some(Secret::new("s3cret"));
    }
    let f = &mut c.ports[1].fax;
    f.t38_enable = false;
    f.passthrough = FaxPassThrough::Force;
    f.t38.max_bit_rate = 9600;
    f.t38.high_speed_redundancy = 2;
    f.t38.low_speed_redundancy = 5;
    f.t38.tcf = TcfMethod::Local;
    c.validate().expect("the fixture is valid");
    c
}

/// Port 1 has counted faxes, port 2 none; port 3 is not in the configuration.
fn live() -> LiveState {
    LiveState {
        ports: vec![
            PortLive {
                fax: FaxStats {
                    sent: 3,
                    received: 2,
                    failed: 1,
                    pages: 17,
                    passthrough: 4,
                    malformed: 9,
                },
                ..PortLive::default()
            },
            PortLive::default(),
        ],
        ..LiveState::default()
    }
}

struct Fx {
    config: GatewayConfig,
    state: CwmpState,
    live: LiveState,
    device: DeviceIdentity,
}

impl Fx {
    fn new() -> Self {
        Self {
            config: config(),
            state: CwmpState::default(),
            live: live(),
            device: DeviceIdentity::default(),
        }
    }

    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.device)
    }

    fn get(&self, name: &str) -> Value {
        let got = self
            .tree()
            .get(&[name.to_string()])
            .unwrap_or_else(|f| panic!("{name}: {f}"));
        assert_eq!(got.len(), 1, "{name}");
        got.into_iter().next().unwrap().1
    }

    #[track_caller]
    fn set(&self, values: &[(&str, &str)]) -> Result<GatewayConfig, Vec<(String, ParamFault)>> {
        let req: Vec<_> = values
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string(), None))
            .collect();
        self.tree().set(&req).map(|a| {
            assert!(a.config_changed, "{values:?} changed nothing");
            assert!(!a.state_changed, "{values:?} changed the CWMP state");
            a.config
        })
    }

    /// The request is refused with `code` on `name` (the first of the faults), and the
    /// fixture's configuration is what it was.
    #[track_caller]
    fn refused(&self, values: &[(&str, &str)], name: &str, code: u32) -> ParamFault {
        let before = self.config.clone();
        let faults = self.set(values).expect_err("the set must be refused");
        assert_eq!(self.config, before);
        let (_, f) = faults
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no fault on {name}: {faults:?}"));
        assert_eq!(f.code.code(), code, "{name}: {f}");
        f.clone()
    }
}

/// Each parameter shows its port's configuration: port 1 the defaults, port 2 its own.
#[test]
fn fax_settings_read_per_port() {
    let fx = Fx::new();
    let b = |x: bool| Value::Boolean(x);
    let u = Value::UnsignedInt;
    for (name, one, two) in [
        ("SIP.Client.{}.T38Enable", b(true), b(false)),
        (
            "POTS.FXS.{}.FaxPassThrough",
            Value::str("Auto"),
            Value::str("Force"),
        ),
        ("VoIPProfile.{}.FaxT38.MaxBitRate", u(14_400), u(9600)),
        ("VoIPProfile.{}.FaxT38.HighSpeedRedundancy", u(1), u(2)),
        ("VoIPProfile.{}.FaxT38.LowSpeedRedundancy", u(4), u(5)),
        (
            "VoIPProfile.{}.FaxT38.TCFMethod",
            Value::str("Network"),
            Value::str("Local"),
        ),
    ] {
        assert_eq!(fx.get(&vs(&name.replace("{}", "1"))), one, "{name}");
        assert_eq!(fx.get(&vs(&name.replace("{}", "2"))), two, "{name}");
    }
    // Issue 1: the profile-wide alias reads port 1's.
    assert_eq!(
        fx.get(&vs("VoiceProfile.1.FaxPassThrough")),
        Value::str("Auto")
    );
    // The FaxT38 object of each VoIP profile lists its four parameters, all writable.
    let names = fx.tree().names(&vs("VoIPProfile.2.FaxT38."), true).unwrap();
    let want: Vec<(String, bool)> = [
        "MaxBitRate",
        "HighSpeedRedundancy",
        "LowSpeedRedundancy",
        "TCFMethod",
    ]
    .iter()
    .map(|n| (vs(&format!("VoIPProfile.2.FaxT38.{n}")), true))
    .collect();
    assert_eq!(names, want);
    assert!(fx.tree().get(&[vs("VoIPProfile.3.FaxT38.")]).is_err());
}

/// Each write lands in the port's `fax` settings and nowhere else.
#[test]
fn fax_settings_write_into_the_configuration() {
    let fx = Fx::new();
    let c = fx.set(&[(&vs("SIP.Client.1.T38Enable"), "false")]).unwrap();
    assert!(!c.ports[0].fax.t38_enable);
    assert_eq!(c.ports[1].fax, fx.config.ports[1].fax);

    let c = fx.set(&[(&vs("SIP.Client.2.T38Enable"), "1")]).unwrap();
    assert!(c.ports[1].fax.t38_enable);
    assert_eq!(c.ports[0].fax, fx.config.ports[0].fax);

    for (value, want) in [
        ("Disable", FaxPassThrough::Disable),
        ("Force", FaxPassThrough::Force),
    ] {
        let c = fx
            .set(&[(&vs("POTS.FXS.1.FaxPassThrough"), value)])
            .unwrap();
        assert_eq!(c.ports[0].fax.passthrough, want);
        assert_eq!(c.ports[1].fax.passthrough, FaxPassThrough::Force);
    }
    let c = fx
        .set(&[(&vs("POTS.FXS.2.FaxPassThrough"), "Auto")])
        .unwrap();
    assert_eq!(c.ports[1].fax.passthrough, FaxPassThrough::Auto);

    // Every modem rate of V.27ter, V.29 and V.17.
    for rate in [2400u32, 4800, 7200, 9600, 12_000] {
        let c = fx
            .set(&[(&vs("VoIPProfile.1.FaxT38.MaxBitRate"), &rate.to_string())])
            .unwrap();
        assert_eq!(c.ports[0].fax.t38.max_bit_rate, rate);
        assert_eq!(c.ports[1].fax.t38.max_bit_rate, 9600);
    }

    // One request, several parameters of one port, read back through a tree of the
    // result.
    let c = fx
        .set(&[
            (&vs("VoIPProfile.2.FaxT38.MaxBitRate"), "14400"),
            (&vs("VoIPProfile.2.FaxT38.HighSpeedRedundancy"), "0"),
            (&vs("VoIPProfile.2.FaxT38.LowSpeedRedundancy"), "0"),
            (&vs("VoIPProfile.2.FaxT38.TCFMethod"), "Network"),
        ])
        .unwrap();
    let t = &c.ports[1].fax.t38;
    assert_eq!(
        (
            t.max_bit_rate,
            t.high_speed_redundancy,
            t.low_speed_redundancy,
            t.tcf
        ),
        (14_400, 0, 0, TcfMethod::Network)
    );
    assert_eq!(c.ports[0].fax, fx.config.ports[0].fax);
    let after = Fx {
        config: c,
        ..Fx::new()
    };
    assert_eq!(
        after.get(&vs("VoIPProfile.2.FaxT38.TCFMethod")),
        Value::str("Network")
    );
    assert_eq!(
        after.get(&vs("VoIPProfile.2.FaxT38.HighSpeedRedundancy")),
        Value::UnsignedInt(0)
    );

    let c = fx
        .set(&[
            (&vs("VoIPProfile.1.FaxT38.HighSpeedRedundancy"), "3"),
            (&vs("VoIPProfile.1.FaxT38.LowSpeedRedundancy"), "5"),
            (&vs("VoIPProfile.1.FaxT38.TCFMethod"), "Local"),
        ])
        .unwrap();
    let t = &c.ports[0].fax.t38;
    assert_eq!(
        (t.high_speed_redundancy, t.low_speed_redundancy, t.tcf),
        (3, 5, TcfMethod::Local)
    );

    // Issue 1: the profile-wide alias writes every port.
    let c = fx
        .set(&[(&vs("VoiceProfile.1.FaxPassThrough"), "Disable")])
        .unwrap();
    assert!(c
        .ports
        .iter()
        .all(|p| p.fax.passthrough == FaxPassThrough::Disable));
}

/// Values the port cannot take are 9007 (9006 for a boolean that is no boolean), on the
/// parameter that carries them, and the whole request changes nothing.
#[test]
fn refused_fax_values_change_nothing() {
    let fx = Fx::new();
    // Not a fax modem rate: inside the BBF range, refused by the configuration's checks.
    for rate in ["14000", "9601", "0", "33600"] {
        let f = fx.refused(
            &[(&vs("VoIPProfile.1.FaxT38.MaxBitRate"), rate)],
            &vs("VoIPProfile.1.FaxT38.MaxBitRate"),
            9007,
        );
        assert!(f.message.contains("fax modem rate"), "{rate}: {f}");
    }
    // Outside the BBF ranges.
    for (name, value) in [
        ("VoIPProfile.2.FaxT38.MaxBitRate", "65536"),
        ("VoIPProfile.2.FaxT38.MaxBitRate", "-2400"),
        ("VoIPProfile.1.FaxT38.HighSpeedRedundancy", "4"),
        ("VoIPProfile.2.FaxT38.LowSpeedRedundancy", "6"),
        ("VoIPProfile.2.FaxT38.LowSpeedRedundancy", "256"),
    ] {
        fx.refused(&[(&vs(name), value)], &vs(name), 9007);
    }
    // Outside the enumerations.
    for (name, value) in [
        ("VoIPProfile.1.FaxT38.TCFMethod", "Remote"),
        ("VoIPProfile.1.FaxT38.TCFMethod", "local"),
        ("POTS.FXS.2.FaxPassThrough", "Enabled"),
        ("POTS.FXS.1.FaxPassThrough", ""),
        ("VoiceProfile.1.FaxPassThrough", "Always"),
    ] {
        fx.refused(&[(&vs(name), value)], &vs(name), 9007);
    }
    fx.refused(
        &[(&vs("SIP.Client.1.T38Enable"), "maybe")],
        &vs("SIP.Client.1.T38Enable"),
        9006,
    );
    // A good value beside a bad one: nothing is applied, only the bad one has a fault.
    let faults = fx
        .set(&[
            (&vs("SIP.Client.1.T38Enable"), "false"),
            (&vs("POTS.FXS.1.FaxPassThrough"), "Disable"),
            (&vs("VoIPProfile.1.FaxT38.MaxBitRate"), "14000"),
        ])
        .unwrap_err();
    let got: Vec<(&str, u32)> = faults
        .iter()
        .map(|(n, f)| (n.as_str(), f.code.code()))
        .collect();
    assert_eq!(
        got,
        [(vs("VoIPProfile.1.FaxT38.MaxBitRate").as_str(), 9007)]
    );
    assert!(fx.config.ports[0].fax.t38_enable);
    // The counters are read-only.
    fx.refused(
        &[(&vs("POTS.FXS.1.X_TIPRING_FaxSent"), "0")],
        &vs("POTS.FXS.1.X_TIPRING_FaxSent"),
        9008,
    );
    // A port that is not configured.
    fx.refused(
        &[(&vs("SIP.Client.3.T38Enable"), "true")],
        &vs("SIP.Client.3.T38Enable"),
        9005,
    );
}

const COUNTERS: [&str; 6] = [
    "X_TIPRING_FaxSent",
    "X_TIPRING_FaxReceived",
    "X_TIPRING_FaxFailed",
    "X_TIPRING_FaxPages",
    "X_TIPRING_FaxPassThrough",
    "X_TIPRING_FaxMalformed",
];

/// The vendor counters show the live state of each port: unsignedInt, read-only, 0 for a
/// port without counts.
#[test]
fn fax_counters_come_from_the_live_state() {
    let fx = Fx::new();
    let one: Vec<Value> = COUNTERS
        .iter()
        .map(|c| fx.get(&vs(&format!("POTS.FXS.1.{c}"))))
        .collect();
    assert_eq!(
        one,
        [3, 2, 1, 17, 4, 9].map(Value::UnsignedInt),
        "{COUNTERS:?}"
    );
    for c in COUNTERS {
        assert_eq!(
            fx.get(&vs(&format!("POTS.FXS.2.{c}"))),
            Value::UnsignedInt(0)
        );
        let def = definitions()
            .param(&format!(
                "Device.Services.VoiceService.{{i}}.POTS.FXS.{{i}}.{c}"
            ))
            .unwrap();
        assert_eq!(def.access, Access::ReadOnly, "{c}");
        assert_eq!(def.ty.to_string(), "unsignedInt", "{c}");
    }
    // A partial path under the port lists them with the standard parameters.
    let all = fx.tree().get(&[vs("POTS.FXS.1.")]).unwrap();
    for c in COUNTERS {
        assert!(
            all.iter()
                .any(|(n, _)| *n == vs(&format!("POTS.FXS.1.{c}"))),
            "{c}"
        );
    }
    // A new snapshot shows new counts.
    let mut later = Fx::new();
    later.live.ports[1].fax.pages = 40;
    later.live.ports[1].fax.received = 1;
    assert_eq!(
        later.get(&vs("POTS.FXS.2.X_TIPRING_FaxPages")),
        Value::UnsignedInt(40)
    );
    assert_eq!(
        later.get(&vs("POTS.FXS.2.X_TIPRING_FaxReceived")),
        Value::UnsignedInt(1)
    );
}

/// Active notification: allowed on the fax call counters (they move once per call),
/// refused (9009) on the malformed-packet counter, which can move with every datagram.
#[test]
fn fax_counter_notification() {
    let fx = Fx::new();
    let attrs = Attributes::new();
    let active = |name: &str| SetAttribute {
        name: name.into(),
        notification: Some(2),
        access_list: None,
    };
    for c in &COUNTERS[..5] {
        fx.tree()
            .set_attributes(&attrs, &[active(&vs(&format!("POTS.FXS.1.{c}")))])
            .unwrap_or_else(|f| panic!("{c}: {f}"));
    }
    let denied = fx
        .tree()
        .set_attributes(&attrs, &[active(&vs("POTS.FXS.1.X_TIPRING_FaxMalformed"))])
        .unwrap_err();
    assert_eq!(denied.code, FaultCode::NotificationRequestRejected);
    let def = definitions()
        .param("Device.Services.VoiceService.{i}.POTS.FXS.{i}.X_TIPRING_FaxMalformed")
        .unwrap();
    assert_eq!(def.active_notify, ActiveNotify::CanDeny);
}

/// RFC 2198 redundancy of pass-through calls: TR-104's -1 ("none") is the
/// configuration's 0; 1..=5 earlier packets are kept as they are.
#[test]
fn fax_and_modem_redundancy() {
    let fx = Fx::new();
    let name = vs("VoIPProfile.1.RTP.Redundancy.FaxAndModemRedundancy");
    assert_eq!(
        fx.get(&name),
        Value::Int(2),
        "the default: two earlier packets"
    );
    assert_eq!(
        fx.get(&vs("VoIPProfile.2.RTP.Redundancy.PayloadType")),
        Value::UnsignedInt(121)
    );
    let c = fx.set(&[(&name, "-1")]).unwrap();
    assert_eq!(c.ports[0].fax.passthrough_redundancy, 0);
    let c = fx.set(&[(&name, "5")]).unwrap();
    assert_eq!(c.ports[0].fax.passthrough_redundancy, 5);
    let mut off = fx.config.clone();
    off.ports[0].fax.passthrough_redundancy = 0;
    let fx_off = Fx {
        config: off,
        ..Fx::new()
    };
    assert_eq!(
        fx_off.get(&name),
        Value::Int(-1),
        "none reads as TR-104's -1"
    );
    for bad in ["6", "-2"] {
        fx.refused(&[(&name, bad)], &name, 9007);
    }
}
