//! Packet captures of the agent's own SIP, RTP, RTCP and UDPTL traffic, as classic
//! libpcap files that Wireshark and tshark open and decode, for the admin pages'
//! "capture for N seconds, download the pcap".
//!
//! The agent runs in userspace without raw sockets, so it cannot capture what the kernel
//! sends. It does see every message it sends and receives: the payload, both socket
//! addresses, the transport and the wall-clock time. [`Capture`] turns each such
//! [`Packet`] into a synthesized IP packet (the IP and transport headers a host would
//! have put around it, with correct lengths and checksums) and appends it to an in-memory
//! pcap file, within [`Limits`]. When a limit is reached the capture is full: everything
//! after it is counted in [`Capture::dropped`], not recorded, so the file always holds
//! everything from its start up to one moment. [`Capture::finish`] hands the file over.
//!
//! Like the protocol cores this is sans-IO: no sockets, files, threads or clocks. The
//! caller passes each packet's time in (the shell's one `SystemTime::now()`), and the
//! output is a byte vector to serve as a download.
//!
//! # Driving it
//!
//! The agent's shell keeps a `Mutex<Option<Capture>>` that the admin page's "start" fills;
//! each socket task records what it sends and receives while it is `Some` (SIP after
//! decryption and reassembly, RTP/RTCP/UDPTL datagrams as sent and received), and the
//! page's timer (or "stop") takes it, calls [`Capture::finish`] and serves the file with
//! `Content-Type: application/vnd.tcpdump.pcap`, showing [`Capture::dropped`] beside it.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, SystemTime};
//!
//! use tipring_pcap::{Capture, Limits, Packet, Proto};
//!
//! let mut capture = Capture::new(Limits::default());
//! let gateway: SocketAddr = "192.0.2.10:5060".parse().unwrap();
//! let pbx: SocketAddr = "198.51.100.20:5060".parse().unwrap();
//! // The shell passes SystemTime::now() here; a fixed time keeps the example repeatable.
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! let options = b"OPTIONS sip:pbx.example.net SIP/2.0\r\nContent-Length: 0\r\n\r\n";
//! capture.record(&Packet { time: now, proto: Proto::Udp, src: gateway, dst: pbx, payload: options });
//! let ok = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
//! let later = now + Duration::from_millis(12);
//! capture.record(&Packet { time: later, proto: Proto::Udp, src: pbx, dst: gateway, payload: ok });
//!
//! assert_eq!((capture.packets(), capture.dropped()), (2, 0));
//! let file: Vec<u8> = capture.finish();
//! assert_eq!(file[..4], 0xA1B2_C3D4u32.to_le_bytes()); // pcap, microsecond timestamps
//! // 24-byte file header, then per packet a 16-byte record header, 20 (IPv4) + 8 (UDP)
//! // header bytes and the payload.
//! assert_eq!(file.len(), 24 + (16 + 28 + options.len()) + (16 + 28 + ok.len()));
//! ```
//!
//! # The file
//!
//! * Classic pcap (not pcapng), version 2.4, little-endian, with the **microsecond**
//!   magic `0xA1B2C3D4`. Every pcap reader (libpcap of any age, tcpdump, Wireshark,
//!   scapy, dpkt, Windows tools) reads it; the nanosecond magic `0xA1B23C4D` needs
//!   libpcap 1.5 or later and is unknown to some small readers, and the agent's
//!   timestamps are taken in userspace after a socket read, with tens of microseconds of
//!   scheduling jitter, so nanoseconds would be false precision.
//! * Link type `LINKTYPE_RAW` (101): each record is a bare IP packet, IPv4 or IPv6 as its
//!   first nibble says, so one file mixes both families (`LINKTYPE_IPV4`/`IPV6` would
//!   need one file per family, Ethernet would need invented MAC addresses).
//! * IPv4: IHL 5, DSCP 0, DF set, TTL 64, an Identification that goes up by one per
//!   IPv4 packet of the capture, and a correct header checksum. IPv6: traffic class and
//!   flow label 0, Hop Limit 64, no extension headers.
//! * UDP (SIP, RTP, RTCP, UDPTL): correct Length and checksum over the pseudo-header, for
//!   IPv4 as for IPv6. A datagram can carry at most 65,507 bytes over IPv4 and 65,527
//!   over IPv6; a longer payload (which no socket can have delivered) is cut to that and
//!   counted in [`Capture::truncated`].
//! * TCP (SIP over TCP and TLS): the agent sees whole messages (or whatever pieces it
//!   wrote and read), not segments, so each record becomes one segment with flags
//!   PSH|ACK, window 65,535 and a correct checksum. Sequence numbers are kept per
//!   direction of each connection (from an initial number derived from the addresses),
//!   so consecutive records on one connection have consecutive sequence numbers, and the
//!   acknowledgement number is what the other direction has sent so far; Wireshark's
//!   TCP analysis and its SIP-over-TCP reassembly (by Content-Length) then work. There is
//!   no SYN or FIN: the capture starts mid-connection, as a capture started during a
//!   call does. A payload larger than 65,495 bytes (IPv4; 65,515 over IPv6) becomes
//!   several consecutive segments, PSH on the last.
//! * **TLS** is recorded as the agent sees it: the decrypted SIP, as plain text on TCP
//!   with the real ports (5061 most often), so the file's addresses and ports match the
//!   gateway's logs and the PBX's own captures. The caller records it with [`Proto::Tcp`].
//!   (Moving it to a made-up port would make the file disagree with every other record
//!   of the call, and would still need explaining.) Wireshark 4.0 finds SIP there by its
//!   SIP-over-TCP heuristic; to be sure whatever the version and preferences, tell it:
//!   `-d tcp.port==5061,sip` (Analyze › Decode As… › TCP port 5061 › SIP).
//! * Family mapping: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack
//!   socket reports) is written as the IPv4 address. A pair still mixed after that (an
//!   IPv4 source and an IPv6 destination cannot meet on a network) is written as IPv6,
//!   the IPv4 side as `::ffff:a.b.c.d`. Scope IDs and flow info are not recorded.
//! * [`Limits::snaplen`] cuts each record (headers included) to that many bytes, as
//!   `tcpdump -s` does; the original length stays in the record header and the checksums
//!   stay those of the whole packet. A small snaplen (say 96) keeps SIP headers and RTP
//!   headers but not the voice.
//! * Timestamps before 1970 are written as 0, after 2106 as the largest a classic pcap
//!   can hold. Packets are written in the order recorded, whatever their times.
//!
//! Nothing here panics, whatever the addresses, ports, sizes or times.
//!
//! # Opening it
//!
//! * `wireshark capture.pcap`, or `tshark -r capture.pcap -Y sip` for the SIP messages.
//! * RTP on the dynamic ports the SDP negotiated is decoded as RTP when Wireshark saw that
//!   SDP in the same capture; for calls set up before the capture started, enable the
//!   RTP heuristic: `tshark -o rtp.heuristic_rtp:TRUE` (Wireshark: Analyze › Enabled
//!   Protocols › `rtp_udp`), or Decode As… UDP port N › RTP (`-d udp.port==N,rtp`).
//!   T.38 over UDPTL likewise: `-d udp.port==N,t38` (Decode As… › T.38).
//! * SIP over TLS: add `-d tcp.port==5061,sip`, as above.
//!
//! # Why hand-written
//!
//! Two crates were weighed. `pcap-file` (2.0) writes the file and record headers: 40
//! bytes of fixed layout, a dozen lines here, for three dependencies (`byteorder_slice`,
//! the `derive-into-owned` proc macro, and `thiserror` 1 beside the workspace's 2).
//! `etherparse` (0.19; one dependency, `arrayvec`) builds IPv4/IPv6/UDP/TCP headers with
//! their lengths and checksums, which is the real work here, but that is about 100 of
//! this crate's ~200 lines of synthesis and checksum code; the rest (segmenting, TCP
//! sequence state, family mapping, limits) its builder does not do, and the header
//! fields chosen here (Identification, DF) need its lower-level types anyway. Neither is
//! pinned in the workspace, so this crate uses std only; its headers are checked against
//! checksum vectors computed by scapy and read back by tshark (`tests/pcap`).

#![forbid(unsafe_code)]

mod checksum;
mod frame;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use frame::{build_headers, max_payload, unmap, Ends, Transport, TCP_ACK, TCP_PSH};

/// The file's magic number: classic pcap, microsecond timestamps (written little-endian).
pub const MAGIC_MICROS: u32 = 0xA1B2_C3D4;
/// `LINKTYPE_RAW`: each record is an IPv4 or IPv6 packet with no link-layer header.
pub const LINKTYPE_RAW: u32 = 101;
/// Bytes of the file header that starts every capture.
pub const FILE_HEADER_LEN: usize = 24;
/// Bytes of the header before each packet.
pub const RECORD_HEADER_LEN: usize = 16;
/// The smallest snaplen kept: the longest synthesized headers (IPv6 + TCP, 60 bytes)
/// always fit whole. A smaller [`Limits::snaplen`] is raised to this.
pub const MIN_SNAPLEN: u32 = 64;
/// The largest snaplen (libpcap's and Wireshark's limit); a larger one is lowered to
/// this. No synthesized packet is longer than 65,575 bytes anyway.
pub const MAX_SNAPLEN: u32 = 262_144;

/// The transport a message went over. SIP over TLS is recorded as [`Proto::Tcp`] with
/// the decrypted message (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// One datagram per record: SIP, RTP, RTCP, UDPTL.
    Udp,
    /// One piece of a byte stream per record: SIP over TCP or (decrypted) TLS.
    Tcp,
}

/// One message the agent sent or received.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// When the agent sent or received it (wall clock, passed in by the caller).
    pub time: SystemTime,
    pub proto: Proto,
    /// The sender's address: the agent's local address for what it sends.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload, or the bytes written to / read from the TCP or TLS stream.
    pub payload: &'a [u8],
}

/// How big a capture may grow. When a packet would take the file past `max_bytes` or its
/// packet count past `max_packets`, the capture is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The file's size cap in bytes, its 24-byte header included.
    pub max_bytes: usize,
    /// The most packets (pcap records) in the file.
    pub max_packets: usize,
    /// The most bytes kept of each packet, IP header included; raised to [`MIN_SNAPLEN`],
    /// lowered to [`MAX_SNAPLEN`].
    pub snaplen: u32,
}

impl Default for Limits {
    /// 16 MiB, 100,000 packets (a little under 17 minutes of one G.711 call, both
    /// directions, at 50 packets a second each way; the byte cap comes first), whole
    /// packets.
    fn default() -> Self {
        Self {
            max_bytes: 16 << 20,
            max_packets: 100_000,
            snaplen: MAX_SNAPLEN,
        }
    }
}

/// A TCP connection direction: source address and port, destination address and port,
/// IPv4-mapped addresses read as IPv4.
type FlowKey = (IpAddr, u16, IpAddr, u16);

/// A pcap file being written in memory. See the crate docs.
pub struct Capture {
    limits: Limits,
    file: Vec<u8>,
    packets: usize,
    dropped: usize,
    truncated: usize,
    full: bool,
    /// The next IPv4 Identification.
    ip_id: u16,
    /// The next sequence number of each TCP direction seen.
    tcp_next_seq: BTreeMap<FlowKey, u32>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture")
            .field("limits", &self.limits)
            .field("bytes", &self.file.len())
            .field("packets", &self.packets)
            .field("dropped", &self.dropped)
            .field("truncated", &self.truncated)
            .field("full", &self.full)
            .field("tcp_flows", &self.tcp_next_seq.len())
            .finish()
    }
}

impl Capture {
    /// An empty capture: the file header only.
    pub fn new(limits: Limits) -> Self {
        let limits = Limits {
            snaplen: limits.snaplen.clamp(MIN_SNAPLEN, MAX_SNAPLEN),
            ..limits
        };
        let mut file = Vec::with_capacity(4096);
        file.extend_from_slice(&MAGIC_MICROS.to_le_bytes());
        file.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        file.extend_from_slice(&4u16.to_le_bytes());
        file.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
        file.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        file.extend_from_slice(&limits.snaplen.to_le_bytes());
        file.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        Self {
            limits,
            file,
            packets: 0,
            dropped: 0,
            truncated: 0,
            full: false,
            ip_id: 1,
            tcp_next_seq: BTreeMap::new(),
        }
    }

    /// Records one message: one pcap record, or several TCP segments for a payload
    /// longer than one segment holds. When the capture is full, or this message would
    /// overfill it, nothing is written and its packets are counted as dropped (a
    /// message's segments are written all or none).
    pub fn record(&mut self, p: &Packet<'_>) {
        let ends = Ends::new(p.src.ip(), p.dst.ip());
        let (sport, dport) = (p.src.port(), p.dst.port());
        let ts = timestamp(p.time);
        match p.proto {
            Proto::Udp => {
                let t = Transport::Udp { sport, dport };
                let payload = &p.payload[..p.payload.len().min(max_payload(ends, t))];
                let len = ends.ip_header_len() + frame::UDP_HEADER_LEN + payload.len();
                if !self.reserve(1, self.stored_len(len)) {
                    return;
                }
                if payload.len() < p.payload.len() {
                    self.truncated = self.truncated.saturating_add(1);
                }
                self.write(ts, ends, t, payload);
            }
            Proto::Tcp => {
                let probe = Transport::Tcp {
                    sport,
                    dport,
                    seq: 0,
                    ack: 0,
                    flags: 0,
                };
                let seg = max_payload(ends, probe);
                let overhead = ends.ip_header_len() + frame::TCP_HEADER_LEN;
                let n = p.payload.len().div_ceil(seg).max(1);
                // Every segment but the last is full.
                let last = p.payload.len() - (n - 1) * seg;
                let stored = (n - 1)
                    .saturating_mul(self.stored_len(overhead + seg))
                    .saturating_add(self.stored_len(overhead + last));
                if !self.reserve(n, stored) {
                    return;
                }
                let key: FlowKey = (unmap(p.src.ip()), sport, unmap(p.dst.ip()), dport);
                let back: FlowKey = (key.2, dport, key.0, sport);
                let mut seq = self.next_seq(key);
                let ack = self.next_seq(back);
                let mut chunks: Vec<&[u8]> = p.payload.chunks(seg).collect();
                if chunks.is_empty() {
                    chunks.push(&[]);
                }
                let count = chunks.len();
                for (i, chunk) in chunks.into_iter().enumerate() {
                    let flags = if i + 1 == count && !chunk.is_empty() {
                        TCP_PSH | TCP_ACK
                    } else {
                        TCP_ACK
                    };
                    let t = Transport::Tcp {
                        sport,
                        dport,
                        seq,
                        ack,
                        flags,
                    };
                    self.write(ts, ends, t, chunk);
                    // A chunk is at most 65,515 bytes, so the cast keeps every bit.
                    seq = seq.wrapping_add(chunk.len() as u32);
                }
                self.tcp_next_seq.insert(key, seq);
            }
        }
    }

    /// The pcap file: its header and every packet recorded.
    pub fn finish(self) -> Vec<u8> {
        self.file
    }

    /// Packets (pcap records) in the file. A TCP message split into segments counts one
    /// per segment.
    pub fn packets(&self) -> usize {
        self.packets
    }

    /// Packets not recorded because the capture was full, counted as [`Capture::packets`]
    /// would have counted them.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// UDP payloads longer than a datagram can be, recorded cut to the longest that can.
    pub fn truncated(&self) -> usize {
        self.truncated
    }

    /// The file's size so far, its header included.
    pub fn bytes(&self) -> usize {
        self.file.len()
    }

    /// Whether a limit was reached: from then on every packet is dropped.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The limits in force (the snaplen after clamping).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes a packet of `len` bytes takes in the file: its record header and the
    /// snaplen-cut packet.
    fn stored_len(&self, len: usize) -> usize {
        RECORD_HEADER_LEN + len.min(self.limits.snaplen as usize)
    }

    /// Whether `n` packets taking `bytes` bytes fit; if not, the capture is full from
    /// now on and they are counted as dropped.
    fn reserve(&mut self, n: usize, bytes: usize) -> bool {
        let fits = !self.full
            && self.packets.saturating_add(n) <= self.limits.max_packets
            && self.file.len().saturating_add(bytes) <= self.limits.max_bytes;
        if !fits {
            self.full = true;
            self.dropped = self.dropped.saturating_add(n);
        }
        fits
    }

    fn next_seq(&self, key: FlowKey) -> u32 {
        self.tcp_next_seq
            .get(&key)
            .copied()
            .unwrap_or_else(|| initial_seq(&key))
    }

    /// Appends one record: header, then the packet cut to the snaplen.
    fn write(&mut self, (sec, usec): (u32, u32), ends: Ends, t: Transport, payload: &[u8]) {
        let ip_id = self.ip_id;
        if let Ends::V4 { .. } = ends {
            self.ip_id = self.ip_id.wrapping_add(1);
        }
        let (headers, hlen, plen) = build_headers(ends, ip_id, t, payload);
        let orig = hlen + plen;
        let incl = orig.min(self.limits.snaplen as usize);
        // Both at most 65,575: the casts keep every bit.
        self.file.extend_from_slice(&sec.to_le_bytes());
        self.file.extend_from_slice(&usec.to_le_bytes());
        self.file.extend_from_slice(&(incl as u32).to_le_bytes());
        self.file.extend_from_slice(&(orig as u32).to_le_bytes());
        // MIN_SNAPLEN covers the longest headers, so they are always whole.
        self.file.extend_from_slice(&headers[..hlen]);
        self.file.extend_from_slice(&payload[..incl - hlen]);
        self.packets = self.packets.saturating_add(1);
    }
}

/// Seconds and microseconds since 1970 for a record header, clamped to what it can hold.
fn timestamp(t: SystemTime) -> (u32, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => match u32::try_from(d.as_secs()) {
            Ok(s) => (s, d.subsec_micros()),
            Err(_) => (u32::MAX, 999_999),
        },
        Err(_) => (0, 0),
    }
}

/// A first sequence number for a TCP direction: FNV-1a over its addresses and ports, so
/// that directions and connections differ, the same every run (no randomness here).
fn initial_seq(key: &FlowKey) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    };
    for (ip, port) in [(key.0, key.1), (key.2, key.3)] {
        match ip {
            IpAddr::V4(a) => eat(&a.octets()),
            IpAddr::V6(a) => eat(&a.octets()),
        }
        eat(&port.to_be_bytes());
    }
    h
}

#[cfg(test)]
mod tests;
