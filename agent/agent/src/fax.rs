//! A port's T.38 fax relay: the T.38 gateway of `tipring-fax` (spandsp's modems and T.30
//! relay) toward the fax machine, UDPTL (`tipring-udptl`) toward the network.
//!
//! Sans-IO like a [`tipring_media::MediaSession`]: the port driver hands it each 10 ms
//! frame the fax machine sent and takes the frame it hears; datagrams come in through
//! [`FaxRelay::receive`] and go out from [`FaxRelay::poll_transmit`] on the call's RTP
//! socket (the port its SDP named for `m=image`).
//!
//! Redundancy follows TR-104's two settings: T.30 control (indicators and V.21 HDLC) is
//! repeated `low_speed_redundancy` times in the following datagrams, image data
//! `high_speed_redundancy` times. Malformed UDPTL datagrams and IFP packets that do not
//! decode are dropped and counted; the fax goes on.

use std::collections::VecDeque;
use std::net::SocketAddr;

use tipring_dsp::Frame;
use tipring_fax::{GatewayConfig, T38Gateway};
use tipring_sip::fax::{RateManagement, T38Session, UdpEc};
use tipring_udptl::{ErrorCorrection, UdptlConfig};

/// Counters of one fax relay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaxRelayStats {
    /// UDPTL datagrams sent.
    pub datagrams_sent: u64,
    /// UDPTL datagrams received (well-formed).
    pub datagrams_received: u64,
    /// IFP packets handed to the gateway.
    pub ifp_received: u64,
    /// IFP packets recovered from redundancy or FEC.
    pub ifp_recovered: u64,
    /// IFP packets lost for good (sequence gaps nothing filled).
    pub ifp_lost: u64,
    /// UDPTL datagrams dropped as malformed.
    pub malformed_udptl: u64,
    /// IFP packets dropped as malformed (by our check or by the gateway).
    pub malformed_ifp: u64,
    /// Datagrams from another address than the far end's (dropped).
    pub foreign: u64,
    /// RTP/RTCP that was still on its way when the call switched (the far end's last
    /// voice packets, its RTCP BYE): dropped, not counted as malformed.
    pub stray_media: u64,
    /// Pages the gateway carried either way.
    pub pages: u32,
    /// The image modem's last bit rate.
    pub bit_rate: u32,
    /// Error correction mode (T.30 Annex A) in use.
    pub ecm: bool,
}

/// One call's fax relay.
#[derive(Debug)]
pub struct FaxRelay {
    gw: T38Gateway,
    tx: tipring_udptl::Encoder,
    rx: tipring_udptl::Receiver,
    version: u8,
    remote: SocketAddr,
    udp_ec: UdpEc,
    low_speed: u8,
    high_speed: u8,
    out: VecDeque<Vec<u8>>,
    stats: FaxRelayStats,
}

/// Most datagrams queued for sending before the oldest are dropped (a stalled shell).
const MAX_QUEUED: usize = 64;

impl FaxRelay {
    /// A relay for what SDP agreed, with the port's T.38 settings.
    pub fn new(session: &T38Session, port: &tipring_config::Fax) -> Result<Self, String> {
        let p = &session.params;
        let gw = T38Gateway::new(&GatewayConfig {
            version: p.version,
            max_bit_rate: p.max_bit_rate.clamp(2400, 14_400),
            ecm: port.t38.ecm,
            transferred_tcf: p.rate_management == RateManagement::TransferredTcf,
            max_datagram: (p.max_datagram as usize).clamp(100, 1400),
            fill_bit_removal: p.fill_bit_removal,
        })
        .map_err(|e| format!("T.38 gateway: {e}"))?;
        let depth = port
            .t38
            .low_speed_redundancy
            .max(port.t38.high_speed_redundancy)
            .max(1);
        let ec = match p.udp_ec {
            UdpEc::None => ErrorCorrection::None,
            UdpEc::Redundancy => ErrorCorrection::Redundancy { depth },
            UdpEc::Fec => ErrorCorrection::Fec {
                span: 3,
                entries: depth,
            },
        };
        let send = UdptlConfig {
            ec,
            max_datagram: (p.max_datagram as usize).clamp(100, 1400),
            max_ifp: 1400,
        };
        let receive = UdptlConfig {
            ec,
            max_datagram: port.t38.max_datagram as usize,
            max_ifp: 1400,
        };
        Ok(Self {
            gw,
            tx: tipring_udptl::Encoder::new(&send),
            rx: tipring_udptl::Receiver::new(&receive),
            version: p.version,
            remote: session.remote,
            udp_ec: p.udp_ec,
            low_speed: port.t38.low_speed_redundancy,
            high_speed: port.t38.high_speed_redundancy,
            out: VecDeque::new(),
            stats: FaxRelayStats::default(),
        })
    }

    /// Where UDPTL goes.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// One 10 ms frame: what the fax machine sent (`received`), and what it hears next.
    pub fn exchange(&mut self, received: &Frame, next: &mut Frame) {
        self.gw.audio_from_line(received);
        self.gw.audio_to_line(next);
        while let Some(ifp) = self.gw.poll_ifp() {
            self.send(&ifp.data, ifp.repeats);
        }
    }

    fn send(&mut self, ifp: &[u8], repeats: u8) {
        // T.30 control (indicators, V.21 HDLC) and image data get their own redundancy.
        let control = match tipring_udptl::check_ifp(ifp, self.version) {
            Ok(info) => !matches!(info.msg, tipring_udptl::MsgType::Data(t) if t != 0),
            Err(_) => true,
        };
        let depth = if control {
            self.low_speed
        } else {
            self.high_speed
        };
        let datagram = match self.tx.encode_with_depth(ifp, depth) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "an IFP packet does not fit a UDPTL datagram");
                return;
            }
        };
        // Without redundancy, spandsp's repeats stand in for it (the same datagram
        // again: the far end drops the copies by sequence number).
        let copies = if self.udp_ec == UdpEc::None {
            repeats.max(1)
        } else {
            1
        };
        for _ in 0..copies {
            if self.out.len() >= MAX_QUEUED {
                self.out.pop_front();
            }
            self.out.push_back(datagram.clone());
        }
    }

    /// A datagram arrived on the call's socket.
    pub fn receive(&mut self, from: SocketAddr, data: &[u8]) {
        if from.ip() != self.remote.ip() {
            self.stats.foreign += 1;
            return;
        }
        if self.rx.receive(data).is_err() {
            // Version 2 and a whole RTP/RTCP header: voice that crossed the switch.
            if data.len() >= 8 && data[0] >> 6 == 2 {
                self.stats.stray_media += 1;
            } else {
                self.stats.malformed_udptl += 1;
            }
            return;
        }
        self.stats.datagrams_received += 1;
        // The far end may send from another port than it announced (NAT): follow it, as
        // RTP latching does — on well-formed UDPTL only, so garbage cannot divert the fax.
        self.remote = from;
        while let Some(ifp) = self.rx.poll() {
            if tipring_udptl::check_ifp(&ifp.data, self.version).is_err()
                || self.gw.ifp_from_network(ifp.seq, &ifp.data).is_err()
            {
                self.stats.malformed_ifp += 1;
                continue;
            }
            self.stats.ifp_received += 1;
        }
    }

    /// The next datagram to send to [`FaxRelay::remote`].
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let d = self.out.pop_front()?;
        self.stats.datagrams_sent += 1;
        Some(d)
    }

    /// What the relay has done.
    pub fn stats(&self) -> FaxRelayStats {
        let u = self.rx.stats();
        let g = self.gw.stats();
        FaxRelayStats {
            ifp_recovered: u.recovered + u.recovered_fec,
            ifp_lost: u.lost,
            pages: g.pages,
            bit_rate: g.bit_rate,
            ecm: g.ecm,
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_fax::{FaxMachine, MachineOptions};
    use tipring_sip::fax::T38Params;

    fn session(remote: &str) -> T38Session {
        session_ec(remote, UdpEc::Redundancy)
    }

    fn session_ec(remote: &str, udp_ec: UdpEc) -> T38Session {
        T38Session {
            local_port: 40000,
            remote: remote.parse().unwrap(),
            params: T38Params {
                udp_ec,
                ..T38Params::default()
            },
        }
    }

    /// Two relays back to back with a fax machine on each, the network dropping every
    /// `drop_every`-th datagram each way: the pages arrive.
    fn fax_through(drop_every: usize) -> (FaxRelayStats, FaxRelayStats, u32) {
        fax_through_ec(drop_every, UdpEc::Redundancy)
    }

    fn fax_through_ec(drop_every: usize, ec: UdpEc) -> (FaxRelayStats, FaxRelayStats, u32) {
        let dir = std::env::temp_dir().join(format!(
            "tipring-relay-{drop_every}-{ec:?}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let doc = dir.join("doc.tif");
        let got = dir.join("got.tif");
        tipring_fax::document::write_test_document(&doc, 2).unwrap();
        let opts = MachineOptions::default();
        let mut sender = FaxMachine::sender(&doc, &opts).unwrap();
        let mut receiver = FaxMachine::receiver(&got, &opts).unwrap();
        let cfg = tipring_config::Fax::default();
        let (a_addr, b_addr): (SocketAddr, SocketAddr) = (
            "127.0.0.1:4000".parse().unwrap(),
            "127.0.0.2:4000".parse().unwrap(),
        );
        let mut a = FaxRelay::new(&session_ec("127.0.0.2:4000", ec), &cfg).unwrap();
        let mut b = FaxRelay::new(&session_ec("127.0.0.1:4000", ec), &cfg).unwrap();
        let (mut a_in, mut b_in) = ([0i16; 80], [0i16; 80]);
        let mut n = 0usize;
        for _ in 0..(200 * 100) {
            let (mut a_out, mut b_out) = ([0i16; 80], [0i16; 80]);
            sender.tx_audio(&mut a_in);
            receiver.tx_audio(&mut b_in);
            a.exchange(&a_in, &mut a_out);
            b.exchange(&b_in, &mut b_out);
            sender.rx_audio(&a_out);
            receiver.rx_audio(&b_out);
            while let Some(d) = a.poll_transmit() {
                n += 1;
                if drop_every == 0 || !n.is_multiple_of(drop_every) {
                    b.receive(a_addr, &d);
                }
            }
            while let Some(d) = b.poll_transmit() {
                n += 1;
                if drop_every == 0 || !n.is_multiple_of(drop_every) {
                    a.receive(b_addr, &d);
                }
            }
            if sender.outcome().is_some() && receiver.outcome().is_some() {
                break;
            }
        }
        let rx = receiver.outcome().expect("the receiver finished");
        assert!(rx.success, "{rx:?}");
        let _ = std::fs::remove_dir_all(&dir);
        (a.stats(), b.stats(), rx.pages)
    }

    #[test]
    fn a_fax_crosses_two_relays_and_survives_loss_with_redundancy() {
        let (a, b, pages) = fax_through(0);
        assert_eq!(pages, 2);
        assert_eq!(a.malformed_udptl + b.malformed_ifp, 0);
        assert!(a.datagrams_sent > 100, "{a:?}");
        let (a, b, pages) = fax_through(17);
        assert_eq!(pages, 2);
        assert!(a.ifp_recovered + b.ifp_recovered > 0, "{a:?} {b:?}");
    }

    #[test]
    fn fec_recovers_what_the_network_drops() {
        let (a, b, pages) = fax_through_ec(23, UdpEc::Fec);
        assert_eq!(pages, 2);
        assert!(a.ifp_recovered + b.ifp_recovered > 0, "{a:?} {b:?}");
    }

    #[test]
    fn malformed_datagrams_are_counted_and_dropped() {
        let cfg = tipring_config::Fax::default();
        let mut r = FaxRelay::new(&session("127.0.0.2:4000"), &cfg).unwrap();
        let from: SocketAddr = "127.0.0.2:4000".parse().unwrap();
        r.receive(from, &[0xff]);
        r.receive(from, &[0, 1, 0x7f, 1, 2]);
        // An RTCP BYE (V=2, PT 203) after the switch: stray media, not malformed.
        r.receive(from, &[0x81, 203, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
        // A well-formed UDPTL datagram whose IFP does not decode.
        r.receive(from, &[0, 2, 2, 0xff, 0xff, 0, 0]);
        r.receive("10.9.9.9:1".parse().unwrap(), &[0, 3, 1, 0, 0, 0]);
        // Garbage from another port of the far end does not move where we send.
        r.receive("127.0.0.2:5555".parse().unwrap(), &[0x00]);
        assert_eq!(r.remote(), from);
        let s = r.stats();
        assert_eq!(s.malformed_udptl, 3, "{s:?}");
        assert_eq!(s.malformed_ifp, 1, "{s:?}");
        assert_eq!(s.foreign, 1, "{s:?}");
        assert_eq!(s.stray_media, 1, "{s:?}");
        // It still runs.
        let mut next = [0i16; 80];
        r.exchange(&[0; 80], &mut next);
    }
}
