//! A TCP collector that goes away and comes back: the sender notices the close,
//! retries with back-off, and what was logged meanwhile arrives on the new connection.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::time::timeout;

use tipring_syslog::{SyslogConfig, Transport};

use crate::common::{emit, read_frame, syslog, wait_stats};

fn listen(addr: SocketAddr) -> TcpListener {
    let s = TcpSocket::new_v4().unwrap();
    s.set_reuseaddr(true).unwrap();
    s.bind(addr).unwrap();
    s.listen(8).unwrap()
}

fn text(frame: Vec<u8>) -> String {
    String::from_utf8(frame).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_restart_then_messages_arrive() {
    let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0)));
    let addr = listener.local_addr().unwrap();
    let (d, handle) = syslog(SyslogConfig::new(addr.to_string(), Transport::Tcp));

    emit(&d, || tracing::info!("one"));
    let (mut conn, _) = timeout(Duration::from_secs(5), listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert!(text(read_frame(&mut conn).await.unwrap()).ends_with(" one"));

    // The collector goes away.
    drop(conn);
    drop(listener);
    wait_stats(&handle, "the close to be noticed", |s| !s.connected).await;
    emit(&d, || tracing::info!("two"));
    wait_stats(&handle, "a refused connection", |s| s.connect_errors >= 1).await;

    // And comes back on the same port.
    let listener = listen(addr);
    emit(&d, || tracing::info!("three"));
    let (mut conn, _) = timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("reconnected within the back-off")
        .unwrap();
    assert!(text(read_frame(&mut conn).await.unwrap()).ends_with(" two"));
    assert!(text(read_frame(&mut conn).await.unwrap()).ends_with(" three"));

    handle.shutdown(Duration::from_secs(5)).await.unwrap();
    assert_eq!(read_frame(&mut conn).await, None, "closed after shutdown");
    let st = handle.stats();
    assert_eq!((st.sent, st.connects, st.dropped), (3, 2, 0), "{st:?}");
    assert!(st.connect_errors >= 1, "{st:?}");
}
