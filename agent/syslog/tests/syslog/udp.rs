//! UDP (RFC 5426): one datagram per message, cut to `max_message` at a character
//! boundary.

use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::timeout;

use tipring_syslog::{SyslogConfig, Transport};

use crate::common::{emit, syslog};

async fn datagram(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0; 70_000];
    let n = timeout(Duration::from_secs(5), sock.recv(&mut buf))
        .await
        .expect("a datagram within 5 s")
        .unwrap();
    buf.truncate(n);
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_datagram_per_message_cut_at_char_boundary() {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = SyslogConfig::new(sock.local_addr().unwrap().to_string(), Transport::Udp);
    cfg.max_message = 600;
    cfg.app_name = String::new();
    let (d, handle) = syslog(cfg);
    let long = "€".repeat(500); // 3 bytes each
    emit(&d, || {
        tracing::info!(target: "a", "first");
        tracing::info!(target: "a", "{long}");
        tracing::info!(target: "a", "third");
    });
    let pid = std::process::id();
    let first = datagram(&sock).await;
    assert_eq!(
        String::from_utf8(first).unwrap(),
        format!("<134>1 2024-02-29T23:59:58.123Z - - {pid} a - first")
    );
    let cut = String::from_utf8(datagram(&sock).await).expect("cut at a char boundary");
    assert!(cut.len() <= 600 && cut.len() > 597, "{}", cut.len());
    let head = format!("<134>1 2024-02-29T23:59:58.123Z - - {pid} a - ");
    assert!(cut.starts_with(&head) && cut[head.len()..].chars().all(|c| c == '€'));
    assert!(String::from_utf8(datagram(&sock).await)
        .unwrap()
        .ends_with(" third"));
    handle.shutdown(Duration::from_secs(5)).await.unwrap();
    let st = handle.stats();
    assert_eq!((st.sent, st.truncated, st.send_errors), (3, 1, 0), "{st:?}");
}

/// After shutdown the layer takes nothing more, and a second shutdown is a no-op.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_after_shutdown() {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let cfg = SyslogConfig::new(sock.local_addr().unwrap().to_string(), Transport::Udp);
    let (d, handle) = syslog(cfg);
    emit(&d, || tracing::warn!("before"));
    handle.shutdown(Duration::from_secs(5)).await.unwrap();
    emit(&d, || tracing::warn!("after"));
    handle.shutdown(Duration::from_secs(5)).await.unwrap();
    assert!(String::from_utf8(datagram(&sock).await)
        .unwrap()
        .ends_with(" before"));
    let mut buf = [0u8; 100];
    assert!(timeout(Duration::from_millis(300), sock.recv(&mut buf))
        .await
        .is_err());
    let st = handle.stats();
    assert_eq!((st.sent, st.dropped, st.queued), (1, 0, 0), "{st:?}");
}
