//! A collector that accepts and never reads: the sender stalls, the queue fills, events
//! are dropped and counted, and the caller never waits. When the collector reads again,
//! the queue drains and one notice reports the drops.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::timeout;

use tipring_syslog::{SyslogConfig, Transport};

use crate::common::{emit, read_frame, syslog};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_collector_drops_and_counts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = SyslogConfig::new(listener.local_addr().unwrap().to_string(), Transport::Tcp);
    cfg.queue = 16;
    let (d, handle) = syslog(cfg);

    // Log until the stalled connection and then the queue are full and 1000 events were
    // dropped. On a blocking thread, so that a layer that blocked would show as a timeout
    // here rather than hang the runtime.
    let payload = "x".repeat(1000);
    let h = handle.clone();
    let emitter = tokio::task::spawn_blocking(move || {
        let mut emitted = 0u64;
        emit(&d, || {
            while h.stats().dropped < 1000 {
                assert!(emitted < 2_000_000, "nothing dropped: {:?}", h.stats());
                tracing::info!(target: "load", n = emitted, "{payload}");
                emitted += 1;
            }
        });
        (emitted, d)
    });
    let (mut conn, _) = timeout(Duration::from_secs(5), listener.accept())
        .await
        .unwrap()
        .unwrap();
    let (emitted, _d) = timeout(Duration::from_secs(60), emitter)
        .await
        .expect("the caller was blocked")
        .unwrap();
    let dropped = handle.stats().dropped;
    assert!(dropped >= 1000);

    // The collector reads again; shutdown sends the rest and closes.
    let reader = tokio::spawn(async move {
        let mut frames = Vec::new();
        while let Some(f) = read_frame(&mut conn).await {
            frames.push(String::from_utf8(f).unwrap());
        }
        frames
    });
    handle
        .shutdown(Duration::from_secs(20))
        .await
        .expect("flushed");
    let frames = reader.await.unwrap();

    let (notices, events): (Vec<_>, Vec<_>) =
        frames.iter().partition(|f| f.contains(" tipring_syslog "));
    let reported: u64 = notices
        .iter()
        .map(|n| {
            let (_, rest) = n.split_once("[tipring@32473 dropped=\"").expect(n);
            let (count, msg) = rest.split_once("\"] ").expect(n);
            assert!(n.starts_with("<132>1 "), "a warning: {n}");
            assert_eq!(
                msg,
                format!("{count} messages dropped: the syslog queue was full")
            );
            count.parse::<u64>().unwrap()
        })
        .sum();
    assert!(!notices.is_empty());
    assert_eq!(reported, dropped, "every drop reported once");
    assert_eq!(
        events.len() as u64,
        emitted - dropped,
        "every event not dropped arrived"
    );
    // In order, none twice.
    let ns: Vec<u64> = events
        .iter()
        .map(|e| {
            let (_, rest) = e.split_once("[tipring@32473 n=\"").unwrap();
            rest.split_once('"').unwrap().0.parse().unwrap()
        })
        .collect();
    assert!(ns.windows(2).all(|w| w[0] < w[1]));
    let st = handle.stats();
    assert_eq!(st.sent, frames.len() as u64, "{st:?}");
    assert_eq!(
        (st.dropped, st.connects, st.queued),
        (dropped, 1, 0),
        "{st:?}"
    );
}
