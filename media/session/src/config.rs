//! What a media session is set up with: the result of SDP offer/answer plus the port's
//! voice settings.

use std::net::SocketAddr;
use std::time::Duration;

use tipring_codec::CodecId;
use tipring_dsp::ec::EcConfig;
use tipring_srtp::Profile;

use crate::{Error, Result};

/// How DTMF keys pressed on the phone reach the far end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DtmfMode {
    /// RFC 4733 telephone-events when negotiated (the tones are cut from the audio),
    /// in-band otherwise.
    #[default]
    Rfc4733,
    /// Always in the audio (fine for G.711, distorted by compressing codecs).
    Inband,
}

/// SRTP master keys agreed by SDES (RFC 4568): key ‖ salt, 30 bytes each.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// The suite.
    pub profile: Profile,
    /// The key we protect what we send with (the one in our SDP).
    pub local: [u8; 30],
    /// The key the far end protects what it sends with (the one in its SDP).
    pub remote: [u8; 30],
}

impl std::fmt::Debug for SrtpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeys")
            .field("profile", &self.profile)
            .field("local", &"<redacted>")
            .field("remote", &"<redacted>")
            .finish()
    }
}

/// Jitter buffer limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterSettings {
    /// Adaptive (target follows the measured delay) or fixed at `start_ms`.
    pub adaptive: bool,
    /// Smallest target delay, ms.
    pub min_ms: u32,
    /// Largest delay ("absolute maximum", RFC 3611), ms.
    pub max_ms: u32,
    /// Delay before any measurement (and the fixed delay when not adaptive), ms.
    pub start_ms: u32,
}

impl Default for JitterSettings {
    fn default() -> Self {
        Self {
            adaptive: true,
            min_ms: 0,
            max_ms: 300,
            start_ms: 40,
        }
    }
}

/// Everything one call's media needs.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The negotiated codec.
    pub codec: CodecId,
    /// Its payload type on the wire.
    pub payload_type: u8,
    /// Packetisation time, ms (10..=60, a multiple of 10 and of the codec's frame).
    pub ptime_ms: u32,
    /// telephone-event payload type, if negotiated.
    pub telephone_event: Option<u8>,
    /// Comfort noise (RFC 3389) payload type, if negotiated (13 is the static one).
    pub comfort_noise: Option<u8>,
    /// RFC 2198 redundant audio payload type, if negotiated: what arrives in it is always
    /// taken; we send it while the call carries voice-band data, with `red_depth` earlier
    /// packets in each.
    pub red: Option<u8>,
    /// Earlier packets repeated in each redundant packet (0..=5; 0 sends none).
    pub red_depth: u8,
    /// How keys go out.
    pub dtmf: DtmfMode,
    /// Where RTP goes (until the far end's real source latches it).
    pub remote_rtp: SocketAddr,
    /// Where RTCP goes; `None` with rtcp-mux (RFC 5761).
    pub remote_rtcp: Option<SocketAddr>,
    /// We send media (not on hold by us, not recvonly).
    pub send: bool,
    /// We play what arrives.
    pub receive: bool,
    /// SRTP, when the SDP agreed keys.
    pub srtp: Option<SrtpKeys>,
    /// The line echo canceller (`None`: off).
    pub echo_canceller: Option<EcConfig>,
    /// Gain toward the network, dB (-24..=12).
    pub tx_gain_db: f32,
    /// Gain toward the phone, dB (-24..=12).
    pub rx_gain_db: f32,
    /// Voice activity detection with RFC 3389 comfort noise in silence (needs
    /// `comfort_noise`); off by default.
    pub vad: bool,
    /// Watch for fax and modem tones (CNG, CED/ANS, V.21); a /ANS with phase reversals
    /// switches the echo canceller off (ITU-T G.164/G.165).
    pub fax_detect: bool,
    /// Jitter buffer limits.
    pub jitter: JitterSettings,
    /// Report [`crate::MediaEvent::Timeout`] after this long without RTP.
    pub media_timeout: Option<Duration>,
    /// Our RTCP CNAME.
    pub cname: String,
    /// Seed for SSRC, sequence and timestamp starts, comfort noise.
    pub seed: u64,
}

impl MediaConfig {
    /// G.711 µ-law at 20 ms with telephone-event 101 toward `remote` (RTCP on the next
    /// port), a 64 ms echo canceller and defaults for the rest.
    pub fn pcmu(remote: SocketAddr, seed: u64) -> Self {
        let mut rtcp = remote;
        rtcp.set_port(remote.port().wrapping_add(1));
        Self {
            codec: CodecId::Pcmu,
            payload_type: 0,
            ptime_ms: 20,
            telephone_event: Some(101),
            comfort_noise: None,
            red: None,
            red_depth: 2,
            dtmf: DtmfMode::Rfc4733,
            remote_rtp: remote,
            remote_rtcp: Some(rtcp),
            send: true,
            receive: true,
            srtp: None,
            echo_canceller: Some(EcConfig {
                tail_ms: 64,
                ..EcConfig::default()
            }),
            tx_gain_db: 0.0,
            rx_gain_db: 0.0,
            vad: false,
            fax_detect: true,
            jitter: JitterSettings::default(),
            media_timeout: Some(Duration::from_secs(30)),
            cname: "tipring".into(),
            seed,
        }
    }

    /// Check the ranges; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::Config { field, reason });
        if !self.codec.is_available() {
            return bad(
                "codec",
                format!("{} is not compiled into this build", self.codec),
            );
        }
        if self.payload_type > 127 {
            return bad(
                "payload_type",
                format!("{} is above 127", self.payload_type),
            );
        }
        let frame_ms = (self.codec.frame_us() / 1000).max(1);
        if !(10..=60).contains(&self.ptime_ms)
            || !self.ptime_ms.is_multiple_of(10)
            || !self.ptime_ms.is_multiple_of(frame_ms)
        {
            return bad(
                "ptime_ms",
                format!(
                    "{} ms: need 10..=60 ms in steps of 10 and of the {} frame ({frame_ms} ms)",
                    self.ptime_ms, self.codec
                ),
            );
        }
        if self.red_depth > 5 {
            return bad("red_depth", format!("{} is above 5", self.red_depth));
        }
        for (field, pt) in [
            ("telephone_event", self.telephone_event),
            ("comfort_noise", self.comfort_noise),
            ("red", self.red),
        ] {
            if let Some(pt) = pt {
                if pt > 127 || pt == self.payload_type {
                    return bad(
                        field,
                        format!("payload type {pt} is above 127 or the codec's own"),
                    );
                }
            }
        }
        for (field, g) in [
            ("tx_gain_db", self.tx_gain_db),
            ("rx_gain_db", self.rx_gain_db),
        ] {
            if !(-24.0..=12.0).contains(&g) {
                return bad(field, format!("{g} dB is outside -24..=12 dB"));
            }
        }
        if self.vad && self.comfort_noise.is_none() {
            return bad(
                "vad",
                "silence suppression needs a negotiated comfort-noise payload type".into(),
            );
        }
        let j = self.jitter;
        if j.max_ms == 0 || j.max_ms > 1000 || j.min_ms > j.max_ms || j.start_ms > j.max_ms {
            return bad(
                "jitter",
                format!(
                    "need min_ms <= start_ms <= max_ms <= 1000 ms (got {} / {} / {})",
                    j.min_ms, j.start_ms, j.max_ms
                ),
            );
        }
        if self.cname.len() > 255 {
            return bad("cname", "longer than 255 bytes".into());
        }
        if let Some(ec) = &self.echo_canceller {
            ec.validate()?;
        }
        Ok(())
    }
}
