//! `/metrics` checked by an independent parser and linter: Prometheus's own
//! `promtool check metrics` (Debian package `prometheus`).

use std::io::Write;
use std::process::{Command, Stdio};

use tipring_status::{GatewayStatus, PortStatus};

use crate::common::{get, sample, start};

/// Runs `promtool check metrics` on `text`: its exit status and what it printed.
fn promtool_check(text: &str) -> (bool, String) {
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("promtool is needed to check /metrics ({e}): apt-get install prometheus"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool ran");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// The checker is not a rubber stamp: it refuses what the text format forbids.
#[test]
fn promtool_rejects_broken_exposition() {
    let broken = [
        // Unescaped quote inside a label value.
        "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"a\"b\"} 1\n",
        // A second TYPE line for one family.
        "# HELP a A.\n# TYPE a gauge\na 1\n# TYPE a gauge\na{x=\"1\"} 2\n",
        // A value that is no number.
        "# HELP a A.\n# TYPE a gauge\na one\n",
        // A counter not named `_total` (lint).
        "# HELP a A.\n# TYPE a counter\na 1\n",
        // Abbreviated unit (lint).
        "# HELP a_ms A.\n# TYPE a_ms gauge\na_ms 1\n",
    ];
    for text in broken {
        let (ok, said) = promtool_check(text);
        assert!(!ok, "promtool accepted {text:?}: {said}");
    }
}

#[tokio::test]
async fn metrics_pass_promtool() {
    let mut st = sample();
    let fax = &mut st.ports[0].counters;
    (fax.fax_sent, fax.fax_received, fax.fax_failed) = (6, 2, 1);
    (fax.fax_pages, fax.fax_passthrough, fax.fax_malformed) = (31, 4, 12);
    let srv = start(st).await;
    let r = get(srv.addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let (ok, said) = promtool_check(&r.body);
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{}", r.body);
    // And the figures asked for are there, per port with `port` and `extension`.
    for line in [
        "tipring_port_registered{port=\"1\",extension=\"201\"} 1",
        "tipring_port_off_hook{port=\"1\",extension=\"201\"} 1",
        "tipring_port_in_call{port=\"2\",extension=\"202\"} 0",
        "tipring_port_call_mos_lq{port=\"1\",extension=\"201\"} 4.12",
        "tipring_port_call_jitter_seconds{port=\"1\",extension=\"201\"} 0.0045",
        "tipring_port_call_packets_lost_total{port=\"1\",extension=\"201\"} 10",
        "tipring_port_rtp_packets_sent_total{port=\"1\",extension=\"201\"} 3750",
        "tipring_port_rtp_packets_received_total{port=\"1\",extension=\"201\"} 3740",
        "tipring_port_fax_sent_total{port=\"1\",extension=\"201\"} 6",
        "tipring_port_fax_received_total{port=\"1\",extension=\"201\"} 2",
        "tipring_port_fax_failed_total{port=\"1\",extension=\"201\"} 1",
        "tipring_port_fax_pages_total{port=\"1\",extension=\"201\"} 31",
        "tipring_port_fax_passthrough_total{port=\"1\",extension=\"201\"} 4",
        "tipring_port_fax_malformed_total{port=\"1\",extension=\"201\"} 12",
        "tipring_port_fax_pages_total{port=\"2\",extension=\"202\"} 0",
        "# TYPE tipring_port_fax_malformed_total counter",
        "tipring_sip_messages_sent_total 120",
        "tipring_uptime_seconds 3600",
        "# TYPE tipring_port_call_packets_lost_total counter",
        "# TYPE tipring_port_call_mos_lq gauge",
    ] {
        assert!(r.body.lines().any(|l| l == line), "missing {line:?}");
    }
}

/// Hostile free text (quotes, backslashes, line feeds, UTF-8, a fake sample) in label
/// values still yields valid exposition text.
#[tokio::test]
async fn escaped_labels_pass_promtool() {
    let mut st = sample();
    st.version = "1.0 \"beta\" \\ \n".into();
    st.config_version = Some("é✓".into());
    st.ports[0].extension = "pw=\"s3cr3t\"}\nfake_total 1\n".into();
    st.ports[1].extension = "\\".into();
    st.ports.push(PortStatus {
        port: 3,
        extension: String::new(),
        ..PortStatus::default()
    });
    let srv = start(st).await;
    let body = get(srv.addr, "/metrics").await.body;
    let (ok, said) = promtool_check(&body);
    assert!(ok && said.trim().is_empty(), "promtool: {said}\n{body}");
    assert!(!body.lines().any(|l| l.starts_with("fake_total")));
    assert!(body.contains(r#"extension="pw=\"s3cr3t\"}\nfake_total 1\n""#));
}

#[tokio::test]
async fn an_empty_and_a_large_gateway_pass_promtool() {
    for ports in [0u32, 48] {
        let mut st = GatewayStatus::default();
        let template = sample().ports.remove(0);
        for n in 1..=ports {
            let mut p = template.clone();
            p.port = n;
            p.extension = format!("2{n:02}");
            if n % 3 == 0 {
                p.call = None;
            }
            st.ports.push(p);
        }
        let srv = start(st).await;
        let body = get(srv.addr, "/metrics").await.body;
        let (ok, said) = promtool_check(&body);
        assert!(ok && said.trim().is_empty(), "{ports} ports: {said}");
    }
}
