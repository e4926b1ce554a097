//! Prometheus text exposition format 0.0.4, hand-written.
//!
//! The format ("Exposition formats", text-based format, prometheus.io docs; the 0.0.4
//! version served with `Content-Type: text/plain; version=0.0.4`) is a line protocol:
//! per metric family one `# HELP name text` line, one `# TYPE name kind` line, then the
//! family's samples `name{label="value",...} number`, all lines of a family together.
//! In `HELP` text `\` and line feed are escaped; in label values `\`, `"` and line feed
//! are. Numbers are Go `ParseFloat` syntax, plus `NaN`, `+Inf`, `-Inf`.
//!
//! Why not the `prometheus-client` crate: it is built for live instrumentation (a registry
//! of atomics updated in place), while this endpoint renders an immutable snapshot once per
//! scrape; we would rebuild a registry per request to use it. The encoder below is about a
//! hundred lines, has no dependency, and its output is checked by an independent parser
//! (`promtool check metrics`) in the crate's tests.
//!
//! Metric names follow the Prometheus naming rules that `promtool` lints: base units
//! (`_seconds`, not `_ms`), counters end in `_total`. Per-port series carry the labels
//! `port` and `extension`.

use crate::model::{GatewayStatus, PortStatus, RegistrationState};

/// The `Content-Type` of [`encode`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's kind (`# TYPE` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// A sample value.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(u64),
    Float(f64),
}

/// Accumulates exposition text.
struct Encoder {
    out: String,
}

impl Encoder {
    /// Starts a family: its `HELP` and `TYPE` lines.
    fn family(&mut self, name: &str, kind: Kind, help: &str) {
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        escape_help(&mut self.out, help);
        self.out.push_str("\n# TYPE ");
        self.out.push_str(name);
        self.out.push(' ');
        self.out.push_str(kind.as_str());
        self.out.push('\n');
    }

    /// One sample line.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: Value) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label_value(&mut self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        push_value(&mut self.out, value);
        self.out.push('\n');
    }

    /// A family with one sample per port; `value` returns `None` to leave a port out.
    fn per_port(
        &mut self,
        status: &GatewayStatus,
        name: &str,
        kind: Kind,
        help: &str,
        value: impl Fn(&PortStatus) -> Option<Value>,
    ) {
        self.family(name, kind, help);
        for p in &status.ports {
            if let Some(v) = value(p) {
                let port = p.port.to_string();
                self.sample(name, &[("port", &port), ("extension", &p.extension)], v);
            }
        }
    }
}

/// Escapes `HELP` text: backslash and line feed.
fn escape_help(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub(crate) fn escape_label_value(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Writes a number in the exposition syntax (`NaN`, `+Inf`, `-Inf` spelled as Prometheus
/// spells them; Rust's `Display` never uses an exponent, which Go's `ParseFloat` accepts).
fn push_value(out: &mut String, v: Value) {
    match v {
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) if f.is_nan() => out.push_str("NaN"),
        Value::Float(f) if f == f64::INFINITY => out.push_str("+Inf"),
        Value::Float(f) if f == f64::NEG_INFINITY => out.push_str("-Inf"),
        Value::Float(f) => out.push_str(&f.to_string()),
    }
}

fn flag(b: bool) -> Option<Value> {
    Some(Value::Int(u64::from(b)))
}

fn ms_to_seconds(ms: f64) -> Value {
    Value::Float(ms / 1000.0)
}

/// Renders a snapshot as Prometheus text exposition format 0.0.4 (serve it with
/// [`CONTENT_TYPE`]).
///
/// Families: `tipring_build_info`, `tipring_uptime_seconds`, `tipring_ports`; per port
/// (labels `port`, `extension`) `tipring_port_registered`, `tipring_port_off_hook`,
/// `tipring_port_in_call`, `tipring_port_registration_expiry_seconds`, the current call's
/// `tipring_port_call_{duration,jitter,jitter_buffer,rtt}_seconds`,
/// `tipring_port_call_{mos_lq,mos_cq,r_factor,erle_decibels}`, the counters
/// `tipring_port_call_packets_lost_total` and `tipring_port_rtp_packets_{sent,received}_total`,
/// `tipring_port_calls_{incoming,outgoing,answered,failed}_total`, `tipring_port_talk_seconds_total`,
/// `tipring_port_registration_failures_total`,
/// `tipring_port_fax_{sent,received,failed,pages,passthrough,malformed}_total`,
/// `tipring_port_in_service`
/// (the current call's; they restart at zero with each call, which Prometheus's `rate()`
/// treats as a counter reset); and the gateway's `tipring_sip_*_total` counters.
///
/// A gauge with no meaningful value (no call, no MOS yet) is left out rather than
/// written as 0, so a dashboard never shows a false "MOS 0".
pub fn encode(status: &GatewayStatus) -> String {
    let mut e = Encoder {
        out: String::with_capacity(2048 + 1536 * status.ports.len()),
    };

    e.family(
        "tipring_build_info",
        Kind::Gauge,
        "Agent version and configuration version in force; always 1.",
    );
    e.sample(
        "tipring_build_info",
        &[
            ("version", &status.version),
            (
                "config_version",
                status.config_version.as_deref().unwrap_or(""),
            ),
        ],
        Value::Int(1),
    );
    e.family(
        "tipring_uptime_seconds",
        Kind::Gauge,
        "Seconds since the agent started.",
    );
    e.sample("tipring_uptime_seconds", &[], Value::Int(status.uptime_s));
    e.family("tipring_ports", Kind::Gauge, "Number of FXS ports.");
    e.sample("tipring_ports", &[], Value::Int(status.ports.len() as u64));

    e.per_port(
        status,
        "tipring_port_registered",
        Kind::Gauge,
        "1 when the port's SIP registration is live, else 0.",
        |p| flag(p.registration.state == RegistrationState::Registered),
    );
    e.per_port(
        status,
        "tipring_port_registration_expiry_seconds",
        Kind::Gauge,
        "Seconds until the port's SIP registration expires (registered ports only).",
        |p| p.registration.expires_in.map(|s| Value::Int(u64::from(s))),
    );
    e.per_port(
        status,
        "tipring_port_off_hook",
        Kind::Gauge,
        "1 when the phone on the port is off hook, else 0.",
        |p| flag(p.hook == crate::model::Hook::Off),
    );
    e.per_port(
        status,
        "tipring_port_in_call",
        Kind::Gauge,
        "1 when the port has a call in progress, else 0.",
        |p| flag(p.call.is_some()),
    );
    e.per_port(
        status,
        "tipring_port_call_duration_seconds",
        Kind::Gauge,
        "Seconds since the current call was answered.",
        |p| p.call.as_ref().map(|c| Value::Int(c.duration_s)),
    );
    e.per_port(
        status,
        "tipring_port_call_mos_lq",
        Kind::Gauge,
        "Current call: MOS listening quality estimated by the ITU-T G.107 E-model.",
        |p| p.call.as_ref().and_then(|c| c.mos_lq).map(Value::Float),
    );
    e.per_port(
        status,
        "tipring_port_call_mos_cq",
        Kind::Gauge,
        "Current call: MOS conversational quality estimated by the ITU-T G.107 E-model.",
        |p| p.call.as_ref().and_then(|c| c.mos_cq).map(Value::Float),
    );
    e.per_port(
        status,
        "tipring_port_call_r_factor",
        Kind::Gauge,
        "Current call: ITU-T G.107 transmission rating R.",
        |p| p.call.as_ref().and_then(|c| c.r_factor).map(Value::Float),
    );
    e.per_port(
        status,
        "tipring_port_call_jitter_seconds",
        Kind::Gauge,
        "Current call: RTP interarrival jitter (RFC 3550), seconds.",
        |p| p.call.as_ref().map(|c| ms_to_seconds(c.jitter_ms)),
    );
    e.per_port(
        status,
        "tipring_port_call_jitter_buffer_seconds",
        Kind::Gauge,
        "Current call: jitter buffer delay, seconds.",
        |p| p.call.as_ref().map(|c| ms_to_seconds(c.jitter_buffer_ms)),
    );
    e.per_port(
        status,
        "tipring_port_call_rtt_seconds",
        Kind::Gauge,
        "Current call: round-trip time measured by RTCP, seconds.",
        |p| p.call.as_ref().and_then(|c| c.rtt_ms).map(ms_to_seconds),
    );
    e.per_port(
        status,
        "tipring_port_call_erle_decibels",
        Kind::Gauge,
        "Current call: echo return loss enhancement of the echo canceller, dB.",
        |p| p.call.as_ref().and_then(|c| c.erle_db).map(Value::Float),
    );
    type Counter = (&'static str, &'static str, fn(&PortStatus) -> u64);
    let counters: [Counter; 12] = [
        (
            "tipring_port_calls_incoming_total",
            "Calls that rang the port.",
            |p| p.counters.calls_incoming,
        ),
        (
            "tipring_port_calls_outgoing_total",
            "Calls dialled from the port.",
            |p| p.counters.calls_outgoing,
        ),
        (
            "tipring_port_calls_answered_total",
            "Calls of the port that were answered.",
            |p| p.counters.calls_answered,
        ),
        (
            "tipring_port_calls_failed_total",
            "Calls of the port that ended unanswered (busy, refused, missed, abandoned).",
            |p| p.counters.calls_failed,
        ),
        (
            "tipring_port_talk_seconds_total",
            "Seconds talked in answered calls that ended.",
            |p| p.counters.talk_seconds,
        ),
        (
            "tipring_port_registration_failures_total",
            "Registration attempts of the port that failed.",
            |p| p.counters.registration_failures,
        ),
        (
            "tipring_port_fax_sent_total",
            "Fax calls relayed over T.38 in which the port's machine sent at least one page.",
            |p| p.counters.fax_sent,
        ),
        (
            "tipring_port_fax_received_total",
            "Fax calls relayed over T.38 in which the port's machine received at least one page.",
            |p| p.counters.fax_received,
        ),
        (
            "tipring_port_fax_failed_total",
            "Fax calls relayed over T.38 in which no page got through.",
            |p| p.counters.fax_failed,
        ),
        (
            "tipring_port_fax_pages_total",
            "Fax pages carried over T.38, either way.",
            |p| p.counters.fax_pages,
        ),
        (
            "tipring_port_fax_passthrough_total",
            "Fax calls carried as G.711 voice-band data (pass-through) instead of T.38.",
            |p| p.counters.fax_passthrough,
        ),
        (
            "tipring_port_fax_malformed_total",
            "Malformed UDPTL datagrams and IFP packets received in T.38 fax calls and dropped.",
            |p| p.counters.fax_malformed,
        ),
    ];
    for (name, help, f) in counters {
        e.per_port(status, name, Kind::Counter, help, |p| {
            Some(Value::Int(f(p)))
        });
    }
    e.per_port(
        status,
        "tipring_port_in_service",
        Kind::Gauge,
        "1 when the port is enabled and reports no line fault.",
        |p| flag(!p.disabled && p.fault.is_none()),
    );
    e.per_port(
        status,
        "tipring_port_call_packets_lost_total",
        Kind::Counter,
        "RTP packets lost in the current call (restarts at 0 with each call).",
        |p| Some(Value::Int(p.call.as_ref().map_or(0, |c| c.packets_lost))),
    );
    e.per_port(
        status,
        "tipring_port_rtp_packets_sent_total",
        Kind::Counter,
        "RTP packets sent in the current call (restarts at 0 with each call).",
        |p| Some(Value::Int(p.call.as_ref().map_or(0, |c| c.packets_sent))),
    );
    e.per_port(
        status,
        "tipring_port_rtp_packets_received_total",
        Kind::Counter,
        "RTP packets received in the current call (restarts at 0 with each call).",
        |p| {
            Some(Value::Int(
                p.call.as_ref().map_or(0, |c| c.packets_received),
            ))
        },
    );

    let sip = &status.sip;
    let counters: [(&str, &str, u64); 8] = [
        (
            "tipring_sip_messages_sent_total",
            "SIP messages sent, retransmissions included.",
            sip.messages_sent,
        ),
        (
            "tipring_sip_messages_received_total",
            "SIP messages received and parsed.",
            sip.messages_received,
        ),
        (
            "tipring_sip_bad_answered_total",
            "Bad SIP requests answered with an error status.",
            sip.bad_answered,
        ),
        (
            "tipring_sip_bad_dropped_total",
            "SIP messages dropped without an answer.",
            sip.bad_dropped,
        ),
        (
            "tipring_sip_transport_errors_total",
            "SIP transport failures.",
            sip.transport_errors,
        ),
        (
            "tipring_sip_registration_failures_total",
            "SIP REGISTER attempts that failed.",
            sip.registration_failures,
        ),
        (
            "tipring_sip_calls_incoming_total",
            "Incoming SIP calls.",
            sip.calls_incoming,
        ),
        (
            "tipring_sip_calls_outgoing_total",
            "Outgoing SIP calls.",
            sip.calls_outgoing,
        ),
    ];
    for (name, help, v) in counters {
        e.family(name, Kind::Counter, help);
        e.sample(name, &[], Value::Int(v));
    }
    if !status.access.is_empty() {
        let name = "tipring_access_accepted_total";
        e.family(
            name,
            Kind::Counter,
            "Packets or connections the management access control let in, per service.",
        );
        for a in &status.access {
            e.sample(name, &[("service", &a.service)], Value::Int(a.accepted));
        }
        let name = "tipring_access_dropped_total";
        e.family(
            name,
            Kind::Counter,
            "Packets or connections the management access control dropped unanswered, per service and reason.",
        );
        for a in &status.access {
            for (reason, n) in &a.dropped {
                e.sample(
                    name,
                    &[("service", &a.service), ("reason", reason)],
                    Value::Int(*n),
                );
            }
        }
    }
    e.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CallStatus, Hook, PortCounters, PortStatus, RegistrationStatus};

    fn sample_status() -> GatewayStatus {
        GatewayStatus {
            version: "0.1.0".into(),
            uptime_s: 42,
            config_version: Some("7".into()),
            ports: vec![
                PortStatus {
                    port: 1,
                    extension: "201".into(),
                    hook: Hook::Off,
                    line_state: "connected".into(),
                    registration: RegistrationStatus {
                        state: RegistrationState::Registered,
                        server: Some("pbx.example:5060".into()),
                        expires_in: Some(3599),
                        ..Default::default()
                    },
                    call: Some(CallStatus {
                        packets_lost: 3,
                        jitter_ms: 12.5,
                        mos_lq: Some(4.1),
                        ..CallStatus::default()
                    }),
                    counters: PortCounters {
                        fax_sent: 2,
                        fax_received: 5,
                        fax_failed: 1,
                        fax_pages: 23,
                        fax_passthrough: 3,
                        fax_malformed: 7,
                        ..PortCounters::default()
                    },
                    ..PortStatus::default()
                },
                PortStatus {
                    port: 2,
                    extension: "202".into(),
                    ..PortStatus::default()
                },
            ],
            sip: Default::default(),
            access: vec![crate::model::AccessCounters {
                service: "sip".into(),
                allowed: vec!["192.0.2.0/24".into()],
                accepted: 12,
                dropped: [("scanner".into(), 3), ("not_allowed".into(), 1)].into(),
            }],
        }
    }

    fn sample_lines<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .collect()
    }

    /// Text format 0.0.4, "Text format details": label values escape `\`, `"` and line feed.
    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        escape_label_value(&mut s, "a\"b\\c\nd");
        assert_eq!(s, r#"a\"b\\c\nd"#);
    }

    /// Text format 0.0.4: HELP escapes only `\` and line feed (a quote stays as is).
    #[test]
    fn help_is_escaped() {
        let mut s = String::new();
        escape_help(&mut s, "x\\y\n\"z\"");
        assert_eq!(s, "x\\\\y\\n\"z\"");
    }

    /// Text format 0.0.4: `NaN`, `+Inf`, `-Inf` are the spellings of the special values;
    /// finite floats never use an exponent here (Go ParseFloat reads both).
    #[test]
    fn special_values_use_prometheus_spelling() {
        let cases = [
            (Value::Float(f64::NAN), "NaN"),
            (Value::Float(f64::INFINITY), "+Inf"),
            (Value::Float(f64::NEG_INFINITY), "-Inf"),
            (Value::Float(0.0125), "0.0125"),
            (Value::Float(1e-7), "0.0000001"),
            (Value::Int(u64::MAX), "18446744073709551615"),
        ];
        for (v, want) in cases {
            let mut s = String::new();
            push_value(&mut s, v);
            assert_eq!(s, want);
        }
    }

    /// Text format 0.0.4: every family has exactly one HELP and one TYPE line, before its
    /// samples, and a family's samples are contiguous.
    #[test]
    fn families_are_contiguous_with_help_and_type() {
        let text = encode(&sample_status());
        let mut seen: Vec<String> = Vec::new();
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or_default().to_string();
                assert!(!seen.contains(&name), "family {name} appears twice");
                seen.push(name.clone());
                current = name;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                assert!(rest.starts_with(&format!("{current} ")), "{line}");
            } else {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert_eq!(name, current, "sample outside its family: {line}");
            }
        }
        assert!(text.ends_with('\n'));
        assert!(seen.len() >= 20, "{seen:?}");
    }

    #[test]
    fn per_port_values_and_absent_gauges() {
        let text = encode(&sample_status());
        assert_eq!(
            sample_lines(&text, "tipring_port_registered"),
            [
                r#"tipring_port_registered{port="1",extension="201"} 1"#,
                r#"tipring_port_registered{port="2",extension="202"} 0"#,
            ]
        );
        assert_eq!(
            sample_lines(&text, "tipring_port_off_hook"),
            [
                r#"tipring_port_off_hook{port="1",extension="201"} 1"#,
                r#"tipring_port_off_hook{port="2",extension="202"} 0"#,
            ]
        );
        // Only the port in a call with a MOS figure has the gauge; no false "MOS 0".
        assert_eq!(
            sample_lines(&text, "tipring_port_call_mos_lq"),
            [r#"tipring_port_call_mos_lq{port="1",extension="201"} 4.1"#]
        );
        assert!(sample_lines(&text, "tipring_port_call_mos_cq").is_empty());
        assert_eq!(
            sample_lines(&text, "tipring_port_call_jitter_seconds"),
            [r#"tipring_port_call_jitter_seconds{port="1",extension="201"} 0.0125"#]
        );
        // Counters are there for every port: an idle port counts 0.
        assert_eq!(
            sample_lines(&text, "tipring_port_call_packets_lost_total"),
            [
                r#"tipring_port_call_packets_lost_total{port="1",extension="201"} 3"#,
                r#"tipring_port_call_packets_lost_total{port="2",extension="202"} 0"#,
            ]
        );
        assert_eq!(
            sample_lines(&text, "tipring_build_info"),
            [r#"tipring_build_info{version="0.1.0",config_version="7"} 1"#]
        );
        assert_eq!(
            sample_lines(&text, "tipring_uptime_seconds"),
            ["tipring_uptime_seconds 42"]
        );
    }

    /// The fax counters of each port, one counter family each, 0 on a port without fax.
    #[test]
    fn fax_counters_per_port() {
        let text = encode(&sample_status());
        for (family, one) in [
            ("tipring_port_fax_sent_total", 2),
            ("tipring_port_fax_received_total", 5),
            ("tipring_port_fax_failed_total", 1),
            ("tipring_port_fax_pages_total", 23),
            ("tipring_port_fax_passthrough_total", 3),
            ("tipring_port_fax_malformed_total", 7),
        ] {
            assert!(
                text.contains(&format!("# TYPE {family} counter\n")),
                "{family}"
            );
            let help = text
                .lines()
                .find(|l| l.starts_with(&format!("# HELP {family} ")))
                .unwrap_or_else(|| panic!("{family} has no HELP"));
            assert!(
                help.len() > format!("# HELP {family} ").len() + 10,
                "{help}"
            );
            assert_eq!(
                sample_lines(&text, family),
                [
                    format!(r#"{family}{{port="1",extension="201"}} {one}"#),
                    format!(r#"{family}{{port="2",extension="202"}} 0"#),
                ]
            );
        }
    }

    /// A hostile extension name cannot break out of its label value or start a new line.
    #[test]
    fn hostile_extension_stays_inside_its_label() {
        let mut st = sample_status();
        st.ports[1].extension = "x\"} 1\nfake_metric 666\n#".into();
        let text = encode(&st);
        assert!(!text.lines().any(|l| l.starts_with("fake_metric")));
        assert!(text.contains(r#"extension="x\"} 1\nfake_metric 666\n#""#));
    }

    #[test]
    fn empty_snapshot_encodes() {
        let text = encode(&GatewayStatus::default());
        assert!(text.contains("tipring_ports 0\n"));
        assert!(sample_lines(&text, "tipring_port_registered").is_empty());
        assert!(text.contains(r#"tipring_build_info{version="",config_version=""} 1"#));
    }
}
