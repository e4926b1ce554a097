//! What a media session reports.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tipring_codec::CodecId;
use tipring_srtp::Profile;

/// Figures of one call's media, for the status page, metrics and logs.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaStats {
    /// The codec.
    pub codec: CodecId,
    /// The SRTP suite, when encrypted.
    pub srtp: Option<Profile>,
    /// Where RTP goes now (after latching).
    pub remote: SocketAddr,
    /// RTP packets sent / received (accepted).
    pub packets_sent: u64,
    /// RTP packets accepted.
    pub packets_received: u64,
    /// RTCP compounds sent / used.
    pub rtcp_sent: u64,
    /// RTCP compounds used.
    pub rtcp_received: u64,
    /// Packets that never arrived by their playout time.
    pub lost: u64,
    /// Packets that arrived but were not played (late, duplicate, overflow).
    pub discarded: u64,
    /// Datagrams dropped as malformed, unexpected or from a stranger (RTP layer).
    pub dropped_malformed: u64,
    /// Datagrams over the size limit.
    pub dropped_oversize: u64,
    /// SRTP packets refused: bad tag, replay, and all reasons.
    pub srtp_auth_failed: u64,
    /// SRTP replays refused.
    pub srtp_replayed: u64,
    /// SRTP packets refused for any reason.
    pub srtp_dropped: u64,
    /// Packets we could not protect (key exhausted).
    pub srtp_send_failed: u64,
    /// Malformed telephone-event payloads.
    pub bad_events: u64,
    /// Malformed comfort-noise payloads.
    pub bad_comfort_noise: u64,
    /// Outgoing datagrams dropped because the caller did not drain them.
    pub send_queue_overflow: u64,
    /// Interarrival jitter (RFC 3550 A.8), ms.
    pub jitter_ms: u32,
    /// Round-trip time from RTCP.
    pub rtt: Option<Duration>,
    /// Jitter buffer delay now and its target, ms.
    pub jitter_buffer_ms: u32,
    /// The jitter buffer's target delay, ms.
    pub jitter_buffer_target_ms: u32,
    /// Audio concealed so far, ms.
    pub concealed_ms: u64,
    /// E-model rating (G.107) of what we receive, conversational.
    pub r_factor: Option<f64>,
    /// MOS listening quality (no delay impairment).
    pub mos_lq: Option<f64>,
    /// MOS conversational quality.
    pub mos_cq: Option<f64>,
    /// Echo return loss enhancement now, dB.
    pub erle_db: Option<f32>,
    /// The echo canceller is running (fax/modem tones switch it off).
    pub echo_canceller_on: bool,
    /// The call carries fax/modem audio as voice-band data (V.152): no echo canceller,
    /// VAD or DTMF detection, a fixed jitter buffer.
    pub voice_band_data: bool,
    /// Keys sent as RFC 4733 events / received and played.
    pub dtmf_sent: u64,
    /// Keys received as RFC 4733 events.
    pub dtmf_received: u64,
    /// Frames played by kind: normal, concealed, expanded, accelerated, comfort noise,
    /// silence.
    pub frames: [u64; 6],
}

impl Default for MediaStats {
    fn default() -> Self {
        Self {
            codec: CodecId::Pcmu,
            srtp: None,
            remote: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            packets_sent: 0,
            packets_received: 0,
            rtcp_sent: 0,
            rtcp_received: 0,
            lost: 0,
            discarded: 0,
            dropped_malformed: 0,
            dropped_oversize: 0,
            srtp_auth_failed: 0,
            srtp_replayed: 0,
            srtp_dropped: 0,
            srtp_send_failed: 0,
            bad_events: 0,
            bad_comfort_noise: 0,
            send_queue_overflow: 0,
            jitter_ms: 0,
            rtt: None,
            jitter_buffer_ms: 0,
            jitter_buffer_target_ms: 0,
            concealed_ms: 0,
            r_factor: None,
            mos_lq: None,
            mos_cq: None,
            erle_db: None,
            echo_canceller_on: false,
            voice_band_data: false,
            dtmf_sent: 0,
            dtmf_received: 0,
            frames: [0; 6],
        }
    }
}
