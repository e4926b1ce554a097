//! An independent receiver: rsyslogd (Debian packages `rsyslog`, and `rsyslog-gnutls`
//! or `rsyslog-openssl` for TLS) parses what we send over UDP, TCP and TLS, and we
//! check each RFC 5424 field as it understood it.

use std::time::Duration;

use tipring_syslog::{SyslogConfig, Transport};

use crate::common::{emit, syslog, wait_stats, Input, Parsed, Rsyslog, SERVER_NAME, T0_TEXT};

fn config(rs: &Rsyslog, transport: Transport) -> SyslogConfig {
    let mut cfg = SyslogConfig::new(rs.addr(), transport);
    cfg.hostname = "gw-0042.tipring.test".to_owned();
    cfg
}

/// Sends the same four events (one filtered out by level) and checks what rsyslog
/// parsed.
async fn events_parsed_as_meant(rs: &Rsyslog, cfg: SyslogConfig) {
    let (d, handle) = syslog(cfg);
    emit(&d, || {
        tracing::info!(target: "tipring_line::port", port = 1, call_id = "a\"b]c\\d", password = "hunter2", "off hook «é»");
        tracing::debug!(target: "tipring_line::port", "not sent: under min_level");
        tracing::warn!(target: "tipring_sip::register", registrar = %"sip:pbx.example.net", "registration refused");
        tracing::error!(target: "audit", "no dial tone");
    });
    handle
        .shutdown(Duration::from_secs(10))
        .await
        .expect("flushed");
    let got = rs.messages(3).await;
    let pid = std::process::id().to_string();
    let ours = |pri: &str, msgid: &str, sd: &str, msg: &str| Parsed {
        pri: pri.to_owned(),
        time: T0_TEXT.to_owned(),
        hostname: "gw-0042.tipring.test".to_owned(),
        app_name: "tipring-agent".to_owned(),
        procid: pid.clone(),
        msgid: msgid.to_owned(),
        sd: sd.to_owned(),
        msg: msg.to_owned(),
    };
    assert_eq!(
        got,
        [
            // local0 (16) * 8 + info (6)
            ours(
                "134",
                "tipring_line",
                r#"[tipring@32473 port="1" call_id="a\"b\]c\\d" password="***"]"#,
                "off hook «é»"
            ),
            ours(
                "132",
                "tipring_sip",
                r#"[tipring@32473 registrar="sip:pbx.example.net"]"#,
                "registration refused"
            ),
            ours("131", "audit", "-", "no dial tone"),
        ]
    );
    let st = handle.stats();
    assert_eq!((st.sent, st.dropped, st.connects), (3, 0, 1), "{st:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_fields_parsed_by_rsyslog() {
    let Some(rs) = Rsyslog::start(Input::Udp).await else {
        return;
    };
    let cfg = config(&rs, Transport::Udp);
    events_parsed_as_meant(&rs, cfg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_fields_parsed_by_rsyslog() {
    let Some(rs) = Rsyslog::start(Input::Tcp).await else {
        return;
    };
    let cfg = config(&rs, Transport::Tcp);
    events_parsed_as_meant(&rs, cfg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_fields_parsed_by_rsyslog() {
    let Some(rs) = Rsyslog::start(Input::Tls).await else {
        return;
    };
    let tls = Transport::Tls {
        ca: rs.dir.path("ca.pem"),
        server_name: SERVER_NAME.to_owned(),
    };
    events_parsed_as_meant(&rs, config(&rs, tls)).await;
}

/// Octet counting (RFC 6587 §3.4.1) carries line feeds inside a message, and a message
/// over `max_message` arrives cut, still well-formed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_framing_carries_newlines_and_cut_messages() {
    let Some(rs) = Rsyslog::start(Input::Tcp).await else {
        return;
    };
    let mut cfg = config(&rs, Transport::Tcp);
    cfg.max_message = 480;
    let (d, handle) = syslog(cfg);
    let long = "ü".repeat(400);
    emit(&d, || {
        tracing::info!(target: "t", "line one\nline two");
        tracing::info!(target: "t", n = 2, "{long}");
        tracing::info!(target: "t", "after");
    });
    handle
        .shutdown(Duration::from_secs(10))
        .await
        .expect("flushed");
    let got = rs.messages(3).await;
    // rsyslog escapes control characters it receives (#012 for LF).
    assert_eq!(got[0].msg, "line one#012line two");
    assert_eq!(got[1].sd, r#"[tipring@32473 n="2"]"#);
    assert!(got[1].msg.chars().all(|c| c == 'ü'), "{:?}", got[1].msg);
    assert!(
        got[1].msg.len() > 300 && got[1].msg.len() < 480,
        "{}",
        got[1].msg.len()
    );
    assert_eq!(got[2].msg, "after");
    assert_eq!(got.len(), 3);
    assert_eq!(handle.stats().truncated, 1);
}

/// The collector's certificate must carry the configured name: with another name the
/// handshake fails, nothing is sent, and the failures are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_wrong_server_name_refused() {
    let Some(rs) = Rsyslog::start(Input::Tls).await else {
        return;
    };
    let tls = Transport::Tls {
        ca: rs.dir.path("ca.pem"),
        server_name: "other.tipring.test".to_owned(),
    };
    let (d, handle) = syslog(config(&rs, tls));
    emit(&d, || tracing::info!("must not arrive"));
    wait_stats(&handle, "a failed handshake", |s| s.connect_errors >= 1).await;
    let st = handle.stats();
    assert_eq!(
        (st.sent, st.connects, st.connected),
        (0, 0, false),
        "{st:?}"
    );
    assert!(handle.shutdown(Duration::from_millis(200)).await.is_err());
}
