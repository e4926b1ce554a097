//! Seeded mutation tests: thousands of mutated valid packets through every parser. None
//! may panic, and whatever parses must re-serialise to the same bytes (RTP: exactly, up
//! to the padding filler, which RFC 3550 leaves unspecified; RTCP: exactly when the
//! compound has no padding and no XR, whose reserved bits are ignored on reception —
//! otherwise to bytes that parse to the same packets and re-serialise to themselves).

use std::time::{Duration, Instant};

use crate::events::{EventNotice, EventReceiverConfig, TelephoneEventReceiver};
use crate::ntp::NtpTime;
use crate::packet::{
    write_extension_elements, ExtensionElement, ExtensionForm, HeaderExtension, RtpHeader,
    RtpPacket,
};
use crate::rng::SplitMix64;
use crate::rtcp::{
    Compound, DlrrItem, DlrrItems, ReportBlock, RtcpPacket, RtcpWriter, SdesItem, SenderInfo,
    XrBlock,
};
use crate::xr::{StatisticsSummary, VoipMetricsCollector, VoipMetricsConfig};

fn mutate(rng: &mut SplitMix64, seed: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(seed);
    for _ in 0..=(rng.next_u32() % 4) {
        if out.is_empty() {
            break;
        }
        let at = rng.next_u32() as usize % out.len();
        match rng.next_u32() % 6 {
            0 => out[at] ^= 1 << (rng.next_u32() % 8),
            1 => out[at] = rng.next_u32() as u8,
            2 => out.truncate(at),
            3 => out.insert(at, rng.next_u32() as u8),
            4 => {
                out.remove(at);
            }
            _ => {
                // Header bytes are where the interesting checks live.
                let h = at % out.len().min(4);
                out[h] = rng.next_u32() as u8;
            }
        }
    }
}

fn rtp_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let mut ext = [0u8; 64];
    let one = write_extension_elements(
        ExtensionForm::OneByte,
        &[
            ExtensionElement {
                id: 1,
                data: &[0x80],
            },
            ExtensionElement {
                id: 3,
                data: &[1, 2, 3],
            },
        ],
        &mut ext,
    )
    .unwrap();
    let mut ext2 = [0u8; 64];
    let two = write_extension_elements(
        ExtensionForm::TwoByte { appbits: 0 },
        &[ExtensionElement {
            id: 200,
            data: &[9; 7],
        }],
        &mut ext2,
    )
    .unwrap();
    for (csrcs, extension, padding) in [
        (&[][..], None, 0u8),
        (&[1u32, 2, 3][..], None, 0),
        (
            &[][..],
            Some(HeaderExtension {
                profile: 0xBEDE,
                data: &ext[..one],
            }),
            4,
        ),
        (
            &[7u32][..],
            Some(HeaderExtension {
                profile: 0x1000,
                data: &ext2[..two],
            }),
            1,
        ),
    ] {
        let mut buf = [0u8; 512];
        let n = RtpHeader {
            marker: true,
            csrcs,
            extension,
            ..RtpHeader::new(96, 65535, 0xFFFF_FFF0, 0xCAFE_BABE)
        }
        .write(&[0x55; 20], padding, &mut buf)
        .unwrap();
        seeds.push(buf[..n].to_vec());
    }
    seeds
}

#[test]
fn mutated_rtp_never_panics_and_round_trips() {
    let mut rng = SplitMix64::new(0x5EED_0001);
    let seeds = rtp_seeds();
    let mut m = Vec::new();
    let mut out = [0u8; 1024];
    let mut accepted = 0;
    for i in 0..20_000 {
        mutate(&mut rng, &seeds[i % seeds.len()], &mut m);
        let Ok(p) = RtpPacket::parse(&m) else {
            continue;
        };
        accepted += 1;
        if let Some(e) = p.extension() {
            for el in e.elements() {
                let _ = el;
            }
        }
        let mut cs = [0u32; 15];
        let h = p.header(&mut cs);
        let pad = p.padding_len();
        let n = h.write(p.payload(), pad as u8, &mut out).unwrap();
        // Same bytes, with the padding filler normalised to zeros.
        let mut want = m.clone();
        if pad > 0 {
            let l = want.len();
            want[l - pad..l - 1].fill(0);
        }
        assert_eq!(&out[..n], &want[..], "case {i}");
    }
    assert!(
        accepted > 2_000,
        "{accepted} accepted: mutations too destructive"
    );
}

fn rtcp_seeds() -> Vec<Vec<u8>> {
    let mut c = VoipMetricsCollector::new(VoipMetricsConfig::default());
    for i in 0..200 {
        c.record(if i % 17 == 0 {
            crate::xr::PacketOutcome::Lost
        } else {
            crate::xr::PacketOutcome::Received
        });
    }
    let vm = c.metrics(0x0102_0304);
    let rb = ReportBlock {
        ssrc: 0xAABB_CCDD,
        fraction_lost: 3,
        cumulative_lost: -5,
        extended_highest_seq: 70_000,
        jitter: 12,
        last_sr: 0x1234_5678,
        delay_since_last_sr: 0x0001_0000,
    };
    let mut seeds = Vec::new();
    let mut buf = [0u8; 1024];
    {
        let mut w = RtcpWriter::new(&mut buf);
        w.sender_report(
            1,
            &SenderInfo {
                ntp: NtpTime::new(0xE84E_2C00, 0x8000_0000),
                rtp_timestamp: 5,
                packet_count: 6,
                octet_count: 7,
            },
            &[rb, rb],
            &[],
        )
        .unwrap();
        w.sdes(&[(
            1,
            &[
                SdesItem {
                    kind: 1,
                    value: b"gw@example",
                },
                SdesItem {
                    kind: 6,
                    value: b"tipring",
                },
            ],
        )])
        .unwrap();
        w.bye(&[1, 2], Some(b"bye")).unwrap();
        let n = w.finish();
        seeds.push(buf[..n].to_vec());
    }
    {
        let mut w = RtcpWriter::new(&mut buf);
        w.receiver_report(1, &[rb], &[0, 0, 0, 1]).unwrap();
        w.sdes_cname(1, b"c").unwrap();
        w.app(3, 1, *b"ABCD", &[1, 2, 3, 4]).unwrap();
        w.raw(210, 2, &[5, 6, 7, 8]).unwrap();
        w.pad_last(4).unwrap();
        let n = w.finish();
        seeds.push(buf[..n].to_vec());
    }
    {
        let mut w = RtcpWriter::new(&mut buf);
        w.receiver_report(1, &[], &[]).unwrap();
        w.sdes_cname(1, b"x").unwrap();
        let items = [DlrrItem {
            ssrc: 2,
            last_rr: 3,
            delay_since_last_rr: 4,
        }];
        w.xr(
            1,
            &[
                XrBlock::ReceiverReferenceTime(NtpTime::new(1, 2)),
                XrBlock::Dlrr(DlrrItems::Items(&items)),
                XrBlock::VoipMetrics(vm),
                XrBlock::StatisticsSummary(StatisticsSummary {
                    flags: 0xE8,
                    ssrc: 9,
                    begin_seq: 1,
                    end_seq: 100,
                    lost_packets: 2,
                    ..StatisticsSummary::default()
                }),
                XrBlock::Unknown {
                    block_type: 99,
                    type_specific: 1,
                    data: &[1, 2, 3, 4],
                },
            ],
        )
        .unwrap();
        let n = w.finish();
        seeds.push(buf[..n].to_vec());
    }
    seeds
}

fn rewrite(c: &Compound<'_>, out: &mut [u8]) -> usize {
    let mut w = RtcpWriter::new(out);
    for p in c.packets() {
        w.packet(&p).unwrap();
    }
    w.finish()
}

#[test]
fn mutated_rtcp_never_panics_and_round_trips() {
    let mut rng = SplitMix64::new(0x5EED_0002);
    let seeds = rtcp_seeds();
    for s in &seeds {
        assert!(Compound::parse(s).is_ok(), "seed must be valid");
    }
    let mut m = Vec::new();
    let mut w1 = [0u8; 2048];
    let mut w2 = [0u8; 2048];
    let mut accepted = 0;
    for i in 0..20_000 {
        mutate(&mut rng, &seeds[i % seeds.len()], &mut m);
        let _ = Compound::parse(&m);
        let Ok(c) = Compound::parse_relaxed(&m) else {
            continue;
        };
        accepted += 1;
        // Touch every accessor.
        let mut has_xr = false;
        let mut has_padding = false;
        for p in c.packets() {
            match p {
                RtcpPacket::SenderReport(sr) => {
                    let _ = sr.reports.iter().count();
                }
                RtcpPacket::ReceiverReport(rr) => {
                    let _ = rr.reports.iter().count();
                }
                RtcpPacket::Sdes(s) => {
                    for ch in s.chunks() {
                        let _ = ch.items().count();
                    }
                }
                RtcpPacket::Bye(b) => {
                    let _ = b.ssrcs().count();
                }
                RtcpPacket::Xr(x) => {
                    has_xr = true;
                    for b in x.blocks() {
                        if let XrBlock::Dlrr(d) = b {
                            let _ = d.iter().count();
                        }
                    }
                }
                _ => {}
            }
        }
        let mut at = 0;
        while at + 4 <= m.len() {
            has_padding |= m[at] & 0x20 != 0;
            at += 4 * (usize::from(u16::from_be_bytes([m[at + 2], m[at + 3]])) + 1);
        }
        let n1 = rewrite(&c, &mut w1);
        let c1 = Compound::parse_relaxed(&w1[..n1]).expect("rewritten compound parses");
        let a: Vec<_> = c.packets().collect();
        let b: Vec<_> = c1.packets().collect();
        assert_eq!(a, b, "case {i}: same packets from {m:02x?}");
        let n2 = rewrite(&c1, &mut w2);
        assert_eq!(&w1[..n1], &w2[..n2], "case {i}: rewrite is a fixed point");
        if !has_xr && !has_padding {
            assert_eq!(&w1[..n1], &m[..], "case {i}: same bytes");
        }
    }
    assert!(accepted > 1_000, "{accepted} accepted");
}

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

#[test]
fn random_telephone_events_never_panic_and_pair_up() {
    let mut rng = SplitMix64::new(0x5EED_0003);
    let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
    let t0 = epoch();
    let mut starts = 0u32;
    let mut ends = 0u32;
    let mut open: Option<u8> = None;
    let mut ts = 1000u32;
    let mut dur = 0u16;
    for i in 0..20_000u32 {
        let now = t0 + Duration::from_millis(u64::from(i) * 5);
        // Mostly a plausible stream (same ts, growing duration, ends), with junk mixed in.
        let r = rng.next_u32();
        if r.is_multiple_of(40) {
            ts = ts.wrapping_add(rng.next_u32() % 4000);
            dur = 0;
        }
        dur = dur.saturating_add((rng.next_u32() % 300) as u16);
        let end = r.is_multiple_of(11);
        let mut payload = vec![(r % 17) as u8, (u8::from(end) << 7) | 10];
        payload.extend_from_slice(&dur.to_be_bytes());
        if r.is_multiple_of(13) {
            payload.truncate((rng.next_u32() % 4) as usize);
        }
        if r.is_multiple_of(29) {
            payload.extend_from_slice(&[16, 0x80, 0, 160]);
        }
        let stamp = if r.is_multiple_of(7) {
            ts.wrapping_sub(rng.next_u32() % 2000)
        } else {
            ts
        };
        let res = rx.receive(now, stamp, &payload, |n| match n {
            EventNotice::Start { event, .. } => {
                assert!(open.is_none(), "Start while another event is open");
                open = Some(event);
                starts += 1;
            }
            EventNotice::End { event, .. } => {
                assert_eq!(open.take(), Some(event), "End matches the open Start");
                ends += 1;
            }
        });
        if payload.is_empty() || payload.len() % 4 != 0 {
            assert!(res.is_err());
        }
        rx.handle_timeout(now, |n| {
            if let EventNotice::End { event, .. } = n {
                assert_eq!(open.take(), Some(event));
                ends += 1;
            }
        });
    }
    rx.handle_timeout(t0 + Duration::from_secs(10_000), |_| ends += 1);
    assert_eq!(starts, ends);
    assert!(starts > 100, "{starts}");
}
