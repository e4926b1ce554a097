//! Feed a stream of telephone-event packets (4-byte timestamp, then the payload, per
//! record) to the receiver: no panic, Start/End strictly alternate, every Start ends.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use tipring_rtp::events::{parse_payload, EventNotice, EventReceiverConfig, TelephoneEventReceiver};

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
    let mut open: Option<u8> = None;
    let mut check = |n: EventNotice| match n {
        EventNotice::Start { event, .. } => {
            assert!(open.is_none());
            open = Some(event);
        }
        EventNotice::End { event, .. } => assert_eq!(open.take(), Some(event)),
    };
    let mut rest = data;
    let mut now = t0;
    while rest.len() >= 5 {
        let ts = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = usize::from(rest[4] % 13).min(rest.len() - 5);
        let payload = &rest[5..5 + len];
        let ok = rx.receive(now, ts, payload, &mut check).is_ok();
        assert_eq!(ok, parse_payload(payload).is_ok());
        rx.handle_timeout(now, &mut check);
        now += Duration::from_millis(u64::from(rest[4] >> 4) * 10);
        rest = &rest[5 + len..];
    }
    rx.handle_timeout(now + Duration::from_secs(60), &mut check);
    assert!(open.is_none());
});
