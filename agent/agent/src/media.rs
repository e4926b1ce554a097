//! The call's media in the agent: from a SIP offer/answer to a [`MediaSession`](tipring_media::MediaSession), and the
//! RTP sockets of the ports.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tipring_codec::CodecId;
use tipring_dsp::ec::EcConfig;
use tipring_media::{Channel, MediaConfig, NtpTime, Profile, SrtpKeys};
use tipring_sip::media::Direction;
use tipring_sip::media::{Codec, Negotiated, SrtpPolicy};

/// Media settings of the gateway's ports.
#[derive(Debug, Clone)]
pub struct MediaOptions {
    /// Codecs offered and accepted, in preference order.
    pub codecs: Vec<Codec>,
    /// SRTP policy (SDES keys in the SDP).
    pub srtp: SrtpPolicy,
    /// Echo canceller tail in ms (0: off).
    pub echo_tail_ms: u32,
    /// First RTP port (port N uses base + 2N for RTP and the next for RTCP); 0 picks free
    /// port pairs.
    pub rtp_port_base: u16,
    /// A lossy network for tests and demonstrations: this percentage of the RTP and UDPTL
    /// datagrams received is dropped at random (0: none).
    pub loss_percent: f64,
}

impl Default for MediaOptions {
    fn default() -> Self {
        Self {
            codecs: vec![
                tipring_sip::media::PCMU,
                tipring_sip::media::PCMA,
                tipring_sip::media::G722,
            ],
            srtp: SrtpPolicy::Off,
            echo_tail_ms: 64,
            rtp_port_base: 0,
            loss_percent: 0.0,
        }
    }
}

impl MediaOptions {
    /// Parse `--codecs` (comma-separated SDP names: pcmu, pcma, g722, g726-32).
    pub fn parse_codecs(list: &str) -> anyhow::Result<Vec<Codec>> {
        let mut out = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let c = match name.to_ascii_lowercase().as_str() {
                "pcmu" | "g711u" | "ulaw" => tipring_sip::media::PCMU,
                "pcma" | "g711a" | "alaw" => tipring_sip::media::PCMA,
                "g722" => tipring_sip::media::G722,
                "g726-32" | "g726" => tipring_sip::media::G726_32,
                "g729" if CodecId::G729.is_available() => tipring_sip::media::G729,
                "opus" if CodecId::Opus.is_available() => tipring_sip::media::OPUS,
                "g729" | "opus" => anyhow::bail!(
                    "--codecs: {name} is not compiled into this build (cargo feature `{name}`)"
                ),
                other => anyhow::bail!(
                    "--codecs: unknown codec `{other}` (pcmu, pcma, g722, g726-32, g729, opus)"
                ),
            };
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            anyhow::bail!("--codecs: name at least one codec");
        }
        Ok(out)
    }

    /// Parse `--srtp`.
    pub fn parse_srtp(s: &str) -> anyhow::Result<SrtpPolicy> {
        Ok(match s {
            "off" => SrtpPolicy::Off,
            "optional" => SrtpPolicy::Optional,
            "mandatory" => SrtpPolicy::Mandatory,
            other => anyhow::bail!("--srtp: `{other}` is not off, optional or mandatory"),
        })
    }
}

/// What the media session of a call is made of, from what offer/answer agreed.
pub fn media_config(
    n: &Negotiated,
    opts: &MediaOptions,
    cname: String,
    seed: u64,
) -> anyhow::Result<MediaConfig> {
    let codec = CodecId::from_sdp(n.codec.name, n.codec.clock_rate)
        .with_context(|| format!("no codec {}/{}", n.codec.name, n.codec.clock_rate))?;
    let srtp = match &n.srtp {
        None => None,
        Some(k) => {
            let profile = Profile::from_sdes_name(k.suite).context("SRTP suite")?;
            let decode = |s| tipring_sip::media::SrtpKeys::decode(s).context("SRTP key");
            Some(SrtpKeys {
                profile,
                local: decode(&k.local)?,
                remote: decode(&k.remote)?,
            })
        }
    };
    let mut c = MediaConfig::pcmu(n.remote, seed);
    c.codec = codec;
    c.payload_type = n.codec.payload_type;
    c.ptime_ms = n.ptime.clamp(10, 60) / 10 * 10;
    c.telephone_event = n.telephone_event;
    c.red = n.red;
    c.remote_rtcp = (!n.rtcp_mux).then_some(n.remote_rtcp);
    c.send = matches!(n.direction, Direction::SendRecv | Direction::SendOnly);
    c.receive = matches!(n.direction, Direction::SendRecv | Direction::RecvOnly);
    c.srtp = srtp;
    c.echo_canceller = (opts.echo_tail_ms > 0).then_some(EcConfig {
        tail_ms: opts.echo_tail_ms,
        ..EcConfig::default()
    });
    c.cname = cname;
    c.validate()?;
    Ok(c)
}

/// Calendar time for RTCP, from a fixed pairing of the frame clock and the calendar.
#[derive(Debug, Clone, Copy)]
pub struct WallAnchor {
    /// A frame-clock instant.
    pub at: Instant,
    /// The calendar time then, since the Unix epoch.
    pub unix: Duration,
}

impl WallAnchor {
    /// The NTP time at `now`.
    pub fn ntp(&self, now: Instant) -> NtpTime {
        NtpTime::from_unix(self.unix + now.saturating_duration_since(self.at))
    }
}

/// One port's RTP and RTCP sockets.
#[derive(Debug, Clone)]
pub struct PortSockets {
    /// RTP (and RTCP with rtcp-mux).
    pub rtp: Arc<tokio::net::UdpSocket>,
    /// RTCP.
    pub rtcp: Arc<tokio::net::UdpSocket>,
}

impl PortSockets {
    /// The local address of `channel`'s socket.
    pub fn local(&self, channel: Channel) -> Option<SocketAddr> {
        match channel {
            Channel::Rtp => self.rtp.local_addr().ok(),
            Channel::Rtcp => self.rtcp.local_addr().ok(),
        }
    }

    /// The RTP port.
    pub fn rtp_port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Send a datagram from the socket of `channel`; a full socket buffer drops it (RTP
    /// is loss-tolerant, and waiting would delay every other port).
    pub fn send(&self, channel: Channel, to: SocketAddr, data: &[u8]) {
        let sock = match channel {
            Channel::Rtp => &self.rtp,
            Channel::Rtcp => &self.rtcp,
        };
        if let Err(e) = sock.try_send_to(data, to) {
            tracing::debug!(%to, error = %e, "RTP send failed");
        }
    }
}

/// Bind an RTP/RTCP pair (even port, next odd port) for each of `ports` on `ip`: from
/// `base` upward, or free pairs when `base` is 0.
pub async fn bind_ports(ip: IpAddr, ports: usize, base: u16) -> anyhow::Result<Vec<PortSockets>> {
    let mut out = Vec::with_capacity(ports);
    for i in 0..ports {
        let pair = if base == 0 {
            free_pair(ip).await?
        } else {
            let p = base
                .checked_add(2 * i as u16)
                .filter(|p| p.is_multiple_of(2) && *p < u16::MAX)
                .context("--rtp-port-base: need an even port with room for every port's pair")?;
            let rtp = tokio::net::UdpSocket::bind((ip, p))
                .await
                .with_context(|| format!("RTP port {ip}:{p}"))?;
            let rtcp = tokio::net::UdpSocket::bind((ip, p + 1))
                .await
                .with_context(|| format!("RTCP port {ip}:{}", p + 1))?;
            (rtp, rtcp)
        };
        out.push(PortSockets {
            rtp: Arc::new(pair.0),
            rtcp: Arc::new(pair.1),
        });
    }
    Ok(out)
}

async fn free_pair(ip: IpAddr) -> anyhow::Result<(tokio::net::UdpSocket, tokio::net::UdpSocket)> {
    for _ in 0..100 {
        let rtp = tokio::net::UdpSocket::bind((ip, 0))
            .await
            .context("RTP socket")?;
        let p = rtp.local_addr()?.port();
        if !p.is_multiple_of(2) || p == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = tokio::net::UdpSocket::bind((ip, p + 1)).await {
            return Ok((rtp, rtcp));
        }
    }
    anyhow::bail!("no free RTP/RTCP port pair on {ip}")
}

/// A datagram from one of the ports' sockets.
#[derive(Debug)]
pub struct Arrival {
    /// Port index (from 0).
    pub port: usize,
    /// Which socket.
    pub channel: Channel,
    /// From whom.
    pub from: SocketAddr,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Read every port's sockets into one channel (a task per socket).
pub fn spawn_receivers(
    sockets: &[PortSockets],
) -> (
    tokio::sync::mpsc::Receiver<Arrival>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let mut tasks = Vec::new();
    for (port, s) in sockets.iter().enumerate() {
        for (channel, sock) in [(Channel::Rtp, &s.rtp), (Channel::Rtcp, &s.rtcp)] {
            let sock = Arc::clone(sock);
            let tx = tx.clone();
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                loop {
                    match sock.recv_from(&mut buf).await {
                        Ok((n, from)) => {
                            let a = Arrival {
                                port,
                                channel,
                                from,
                                data: buf[..n].to_vec(),
                            };
                            // A full channel drops the datagram; a closed one ends the task.
                            match tx.try_send(a) {
                                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
                                _ => continue,
                            }
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "RTP receive error");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            }));
        }
    }
    (rx, tasks)
}
