//! [`MediaSession`]: the voice path of one call.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_codec::resample::Resampler;
use tipring_codec::{CodecId, Decoder, Encoder, EncoderParams};
use tipring_dsp::cng::{CnEncoder, CnGenerator, CnPayload};
use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent, DtmfSender};
use tipring_dsp::ec::EchoCanceller;
use tipring_dsp::faxtone::{FaxToneDetector, FaxToneKind};
use tipring_dsp::gain::Gain;
use tipring_dsp::vad::{Vad, VadConfig};
use tipring_dsp::{Frame, FRAME_SAMPLES};
use tipring_jitter::{JitterBuffer, Packet, PayloadKind};
use tipring_rtp::events::{
    EventNotice, EventReceiverConfig, EventSenderConfig, TelephoneEventReceiver,
    TelephoneEventSender, EVENT_FLASH,
};
use tipring_rtp::session::PayloadTypes;
use tipring_rtp::xr::{PacketOutcome, VoipMetricsConfig};
use tipring_rtp::{
    classify, DatagramKind, NtpTime, Received, RtpSession, SessionConfig, SessionEvent,
};
use tipring_srtp::{MasterKey, Policy, SrtpContext};

use crate::config::{DtmfMode, MediaConfig};
use crate::stats::MediaStats;
use crate::Result;

/// Largest datagram we build or accept (RTP header + 60 ms of 16-bit PCM + SRTP tag fits).
pub const MAX_DATAGRAM: usize = 1500;
/// How long the audio toward the network is held back so a DTMF tone can be cut from it
/// once the detector has recognised it: 20 ms. The detector needs up to 40 ms, so up to
/// 20 ms of a key's start may still go out in the audio — shorter than any tone a Q.24
/// receiver may accept (it must reject tones under 23 ms), while the whole mouth-to-ear
/// path stays under 60 ms (`benches/delay.rs`).
const INBAND_DELAY_FRAMES: usize = 2;
/// How long after a regenerated key the phone's audio is not searched for keys: the
/// echo tail (128 ms at most) plus the detector's latency.
const REGEN_GUARD_SAMPLES: u64 = 8 * 200;
/// A key heard in the first 200 ms of the session is the tail of the last key dialled
/// (the call was set up while the phone still sounded it): it is cut from the audio but
/// not relayed as an RFC 4733 event.
const DIAL_TAIL_SAMPLES: u64 = 8 * 200;
/// Outgoing datagrams queued at most (a stalled caller loses the oldest).
const MAX_QUEUED: usize = 64;
/// RFC 4733 volume we report for detected keys (−dBm0).
const DTMF_VOLUME: u8 = 10;
/// Comfort-noise updates during silence (RFC 3389 §4: when the noise changes, or
/// periodically).
const CN_INTERVAL: Duration = Duration::from_millis(200);

/// Which socket a datagram belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The RTP port (RTCP too with rtcp-mux).
    Rtp,
    /// The RTCP port.
    Rtcp,
}

/// A datagram to send, copied into the caller's buffer by [`MediaSession::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// From which socket.
    pub channel: Channel,
    /// To whom.
    pub to: SocketAddr,
    /// Bytes at the start of the caller's buffer.
    pub len: usize,
}

/// What the call path should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// The far end sent a DTMF key (RFC 4733); it is being played to the phone.
    DtmfReceived {
        /// The key.
        digit: char,
    },
    /// The far end's key ended.
    DtmfReceivedEnd {
        /// The key.
        digit: char,
        /// How long it lasted.
        duration: Duration,
    },
    /// The far end sent a hook flash (RFC 4733 event 16).
    FlashReceived,
    /// A key pressed on the phone went out as RFC 4733 events.
    DtmfSent {
        /// The key.
        digit: char,
    },
    /// A fax or modem tone was heard.
    FaxTone {
        /// Which.
        kind: FaxToneKind,
        /// From the phone (`true`) or from the network.
        from_phone: bool,
    },
    /// RTP now goes to the far end's real source address (symmetric RTP, NAT).
    Latched {
        /// The new destination.
        to: SocketAddr,
    },
    /// No RTP for the configured media timeout.
    Timeout,
    /// The far end sent RTCP BYE.
    RemoteBye,
}

/// One call's voice path; see the crate docs.
pub struct MediaSession {
    cfg: MediaConfig,
    rtp: RtpSession,
    srtp_tx: Option<SrtpContext>,
    srtp_rx: Option<SrtpContext>,
    encoder: Box<dyn Encoder>,
    jb: JitterBuffer<Box<dyn Decoder>>,
    /// 8 → 16 kHz before a wideband encoder, 16 → 8 kHz after its decoder.
    up: Option<Resampler>,
    down: Option<Resampler>,
    ec: Option<EchoCanceller>,
    tx_gain: Gain,
    rx_gain: Gain,
    /// RFC 4733 from the line: detector, sender, and the delay line the tone is cut from.
    dtmf_det: Option<DtmfDetector>,
    ev_tx: TelephoneEventSender,
    key_down: Option<char>,
    /// The key down is the dialling's tail: cut, not relayed.
    key_swallowed: bool,
    delay: VecDeque<(u64, Frame)>,
    /// Samples of the audio toward the network the current key covers: [from, until).
    mute: Option<(u64, u64)>,
    tx_samples: u64,
    /// RFC 4733 toward the line: receiver and the tone it plays.
    ev_rx: TelephoneEventReceiver,
    regen: DtmfSender,
    /// Until this sample of the audio from the phone, keys heard are the echo of keys we
    /// regenerated toward the phone, not presses: they are not detected.
    regen_guard: u64,
    /// PCM toward the network waiting for a full packet (line rate).
    acc: Vec<i16>,
    wide: Vec<i16>,
    payload: Vec<u8>,
    samples_per_packet: usize,
    ts_per_packet: u32,
    /// VAD/CN toward the network, CN toward the phone.
    vad: Option<Vad>,
    cn_enc: Option<CnEncoder>,
    cn_sent_at: Option<Instant>,
    talkspurt: bool,
    fax_near: Option<FaxToneDetector>,
    fax_far: Option<FaxToneDetector>,
    /// The last packets' payloads and timestamps, for RFC 2198 redundancy.
    red_hist: VecDeque<(u32, Vec<u8>)>,
    /// Datagrams for the caller, with recycled buffers.
    out: VecDeque<(Channel, SocketAddr, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
    rx_buf: Vec<u8>,
    events: VecDeque<MediaEvent>,
    pcm: Vec<i16>,
    stats: MediaStats,
    closed: bool,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("codec", &self.cfg.codec)
            .field("remote", &self.rtp.remote_addr())
            .field("srtp", &self.srtp_tx.is_some())
            .finish_non_exhaustive()
    }
}

fn srtp_contexts(cfg: &MediaConfig) -> Result<(Option<SrtpContext>, Option<SrtpContext>)> {
    let Some(keys) = &cfg.srtp else {
        return Ok((None, None));
    };
    let tx = SrtpContext::outbound(Policy::new(keys.profile, MasterKey::from_bytes(keys.local)))?;
    let rx = SrtpContext::inbound(Policy::new(
        keys.profile,
        MasterKey::from_bytes(keys.remote),
    ))?;
    Ok((Some(tx), Some(rx)))
}

fn emodel_codec(c: CodecId) -> tipring_rtp::emodel::EModelCodec {
    use tipring_rtp::emodel::EModelCodec as E;
    match c {
        CodecId::G722 => E::G722,
        CodecId::G726_32 | CodecId::G726_32Aal2 => E::G726_32,
        CodecId::G729 => E::G729A,
        CodecId::Opus => E::Opus,
        _ => E::G711 { plc: true },
    }
}

fn dtmf_code(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        _ => None,
    }
}

fn dtmf_char(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

impl MediaSession {
    /// A session at `now`; `wall` is the calendar time at `now` (for RTCP's NTP
    /// timestamps). Errors name the configuration field at fault.
    pub fn new(cfg: MediaConfig, now: Instant, wall: NtpTime) -> Result<Self> {
        cfg.validate()?;
        let codec = cfg.codec;
        let encoder = tipring_codec::new_encoder(codec, &EncoderParams::default())?;
        let decoder = tipring_codec::new_decoder(codec)?;
        let wideband = encoder.sample_rate() == 16_000;
        let jb_cfg = tipring_jitter::Config {
            frame_ms: 10,
            adaptive: cfg.jitter.adaptive,
            min_delay_ms: cfg.jitter.min_ms,
            max_delay_ms: cfg.jitter.max_ms,
            start_delay_ms: cfg.jitter.start_ms,
            seed: cfg.seed ^ 0x6a09_e667,
            ..tipring_jitter::Config::default()
        };
        let mut jb = JitterBuffer::new(jb_cfg, decoder)?;
        jb.set_noise_source(Box::new(ShapedNoise(CnGenerator::new(
            cfg.seed ^ 0xbb67_ae85,
        ))));
        let mut pts = PayloadTypes::empty().with(cfg.payload_type);
        for pt in [cfg.telephone_event, cfg.comfort_noise, cfg.red]
            .into_iter()
            .flatten()
        {
            pts = pts.with(pt);
        }
        let samples_per_packet = (cfg.ptime_ms as usize) * 8;
        let ts_per_packet = codec.rtp_timestamp_step(cfg.ptime_ms);
        // Session bandwidth with IP/UDP/RTP headers (40 bytes per packet), RFC 3550 §6.2.
        let packets_per_s = 1000 / cfg.ptime_ms;
        let bw = codec.bitrate() + packets_per_s * 40 * 8;
        let rtp_cfg = SessionConfig {
            clock_rate: codec.rtp_clock_rate(),
            payload_type: cfg.payload_type,
            receive_payload_types: pts,
            telephone_event_payload_type: cfg.telephone_event,
            cname: cfg.cname.clone(),
            remote_rtp: cfg.remote_rtp,
            remote_rtcp: cfg.remote_rtcp,
            session_bandwidth: bw,
            reduced_minimum: false,
            rng_seed: cfg.seed,
            expected_ssrc: None,
            latching: true,
            relatch_after: Duration::from_secs(2),
            probation: tipring_rtp::stats::MIN_SEQUENTIAL,
            media_timeout: cfg.media_timeout,
            require_cname: false,
            xr: Some(VoipMetricsConfig {
                packet_duration: Duration::from_millis(u64::from(cfg.ptime_ms)),
                codec: emodel_codec(codec),
                ..VoipMetricsConfig::default()
            }),
        };
        let rtp = RtpSession::new(rtp_cfg, now, wall);
        let (srtp_tx, srtp_rx) = srtp_contexts(&cfg)?;
        let ec = cfg.echo_canceller.map(EchoCanceller::new).transpose()?;
        let use_events = cfg.telephone_event.is_some() && cfg.dtmf == DtmfMode::Rfc4733;
        let ptime_ts = cfg.ptime_ms * 8;
        let ev_tx = TelephoneEventSender::new(EventSenderConfig {
            ptime: ptime_ts,
            ..EventSenderConfig::default()
        });
        let ev_rx = TelephoneEventReceiver::new(EventReceiverConfig {
            timeout: Duration::from_millis(u64::from(2 * cfg.ptime_ms + 50)),
        });
        let stats = MediaStats {
            codec,
            srtp: cfg.srtp.as_ref().map(|k| k.profile),
            ..MediaStats::default()
        };
        Ok(Self {
            tx_gain: Gain::new(cfg.tx_gain_db)?,
            rx_gain: Gain::new(cfg.rx_gain_db)?,
            dtmf_det: use_events.then(|| DtmfDetector::new(DtmfDetectorConfig::default())),
            ev_tx,
            key_down: None,
            key_swallowed: false,
            delay: VecDeque::with_capacity(INBAND_DELAY_FRAMES + 1),
            mute: None,
            tx_samples: 0,
            ev_rx,
            regen: DtmfSender::default(),
            regen_guard: 0,
            acc: Vec::with_capacity(samples_per_packet),
            wide: Vec::with_capacity(2 * samples_per_packet),
            payload: Vec::with_capacity(MAX_DATAGRAM),
            samples_per_packet,
            ts_per_packet,
            vad: cfg.vad.then(|| Vad::new(VadConfig::default())),
            cn_enc: if cfg.vad {
                Some(CnEncoder::new(4)?)
            } else {
                None
            },
            cn_sent_at: None,
            talkspurt: true,
            fax_near: cfg.fax_detect.then(FaxToneDetector::new),
            fax_far: cfg.fax_detect.then(FaxToneDetector::new),
            red_hist: VecDeque::new(),
            up: wideband.then(Resampler::up),
            down: wideband.then(Resampler::down),
            encoder,
            jb,
            ec,
            rtp,
            srtp_tx,
            srtp_rx,
            out: VecDeque::with_capacity(8),
            spare: Vec::new(),
            rx_buf: Vec::with_capacity(MAX_DATAGRAM),
            events: VecDeque::new(),
            pcm: Vec::with_capacity(2 * FRAME_SAMPLES),
            stats,
            closed: false,
            cfg,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &MediaConfig {
        &self.cfg
    }

    /// A new SDP answer for the same call (hold, resume, a new address): direction and
    /// remote address change in place; a different codec, payload types or keys rebuild
    /// the session (keeping nothing of the old stream).
    pub fn update(&mut self, cfg: MediaConfig, now: Instant, wall: NtpTime) -> Result<()> {
        cfg.validate()?;
        let same_stream = cfg.codec == self.cfg.codec
            && cfg.payload_type == self.cfg.payload_type
            && cfg.ptime_ms == self.cfg.ptime_ms
            && cfg.telephone_event == self.cfg.telephone_event
            && cfg.comfort_noise == self.cfg.comfort_noise
            && cfg.red == self.cfg.red
            && cfg.srtp == self.cfg.srtp
            && cfg.remote_rtp == self.cfg.remote_rtp
            && cfg.remote_rtcp == self.cfg.remote_rtcp;
        if same_stream {
            self.cfg.send = cfg.send;
            self.cfg.receive = cfg.receive;
            return Ok(());
        }
        *self = Self::new(cfg, now, wall)?;
        Ok(())
    }

    /// With RFC 2198 negotiated and voice-band data on: the payload of the packet about to
    /// go (`self.payload` at the next timestamp) with up to `red_depth` earlier ones, and
    /// the red payload type. Keeps the history either way while voice-band data lasts.
    fn redundant_payload(&mut self) -> Option<(u8, Vec<u8>)> {
        let red = self
            .cfg
            .red
            .filter(|_| self.stats.voice_band_data && self.cfg.red_depth > 0)?;
        let pt = self.cfg.payload_type;
        let ts = self.rtp.next_timestamp();
        // RFC 2198 §3: 14-bit timestamp offsets, 10-bit block lengths.
        self.red_hist
            .retain(|(t, p)| ts.wrapping_sub(*t) < 1 << 14 && p.len() < 1 << 10);
        let mut out = Vec::with_capacity(self.payload.len() * (1 + self.red_hist.len()) + 16);
        for (t, p) in &self.red_hist {
            let off = ts.wrapping_sub(*t);
            let len = p.len() as u32;
            out.extend_from_slice(&[
                0x80 | pt,
                (off >> 6) as u8,
                (((off & 0x3f) << 2) | (len >> 8)) as u8,
                (len & 0xff) as u8,
            ]);
        }
        out.push(pt);
        for (_, p) in &self.red_hist {
            out.extend_from_slice(p);
        }
        out.extend_from_slice(&self.payload);
        self.red_hist.push_back((ts, self.payload.clone()));
        while self.red_hist.len() > usize::from(self.cfg.red_depth) {
            self.red_hist.pop_front();
        }
        Some((red, out))
    }

    /// Carry fax or modem audio as voice-band data (ITU-T V.152 §7): VAD/comfort noise,
    /// DTMF detection and the echo canceller's non-linear processor go off, and the jitter
    /// buffer becomes a fixed one of `jitter_ms` (modems do not survive time-stretching).
    /// The linear echo canceller stays, as G.168 has it for G3 fax: only a 2100 Hz tone with
    /// phase reversals (V.34 and other modems that cancel echo themselves) disables it. The
    /// codec and the stream stay; calling it again changes nothing.
    pub fn voice_band_data(&mut self, jitter_ms: u32) -> Result<()> {
        if self.stats.voice_band_data {
            return Ok(());
        }
        let jitter = crate::config::JitterSettings {
            adaptive: false,
            min_ms: jitter_ms.min(self.cfg.jitter.max_ms),
            max_ms: self.cfg.jitter.max_ms.max(jitter_ms),
            start_ms: jitter_ms,
        };
        let decoder = tipring_codec::new_decoder(self.cfg.codec)?;
        let jb_cfg = tipring_jitter::Config {
            adaptive: false,
            min_delay_ms: jitter.min_ms,
            max_delay_ms: jitter.max_ms,
            start_delay_ms: jitter.start_ms,
            ..*self.jb.config()
        };
        let mut jb = JitterBuffer::new(jb_cfg, decoder)?;
        jb.set_noise_source(Box::new(ShapedNoise(CnGenerator::new(
            self.cfg.seed ^ 0xbb67_ae85,
        ))));
        self.jb = jb;
        self.cfg.jitter = jitter;
        if let Some(ec) = self.ec.as_mut() {
            ec.set_nlp(false);
        }
        if let Some(c) = self.cfg.echo_canceller.as_mut() {
            c.nlp = false;
            c.cng = false;
        }
        self.vad = None;
        self.cn_enc = None;
        self.cfg.vad = false;
        self.talkspurt = true;
        self.dtmf_det = None;
        self.key_down = None;
        self.cfg.dtmf = DtmfMode::Inband;
        self.stats.voice_band_data = true;
        Ok(())
    }

    /// One 10 ms frame each way; see [`MediaSession`]. `sent` is what the port just
    /// played to the phone (the echo canceller's reference), `received` what it captured
    /// at the same time; `next` gets the audio for the phone's next frame.
    pub fn exchange(&mut self, now: Instant, sent: &Frame, received: &Frame, next: &mut Frame) {
        self.exchange_mixed(now, sent, received, None, next);
    }

    /// [`MediaSession::exchange`] for a local conference: `mix` (another call's audio) is
    /// added to the phone's after the echo canceller, so this call's far end hears both
    /// and the canceller still cancels only the line's echo.
    pub fn exchange_mixed(
        &mut self,
        now: Instant,
        sent: &Frame,
        received: &Frame,
        mix: Option<&Frame>,
        next: &mut Frame,
    ) {
        if self.closed {
            next.fill(0);
            return;
        }
        self.transmit_path(now, sent, received, mix);
        self.playout(now, next);
    }

    fn transmit_path(&mut self, now: Instant, sent: &Frame, received: &Frame, mix: Option<&Frame>) {
        let mut near = *received;
        if let Some(ec) = self.ec.as_mut() {
            // Lengths are whole frames: this cannot fail.
            let _ = ec.process(&mut near, sent);
        }
        self.tx_gain.apply(&mut near);
        if let Some(mix) = mix {
            for (n, m) in near.iter_mut().zip(mix) {
                *n = n.saturating_add(*m);
            }
        }
        let frame_start = self.tx_samples;
        self.tx_samples += FRAME_SAMPLES as u64;
        if !self.regen.is_idle() {
            // The hybrid echoes what we play for up to the tail, the detector lags 40 ms.
            self.regen_guard = self.tx_samples + REGEN_GUARD_SAMPLES;
        }
        let guarded = frame_start < self.regen_guard;
        if let Some(fax) = self.fax_near.as_mut() {
            watch_fax_tones(fax, &near, true, &mut self.ec, &mut self.events);
        }
        let frame = if let Some(det) = self.dtmf_det.as_mut() {
            let mut starts = [None; 2];
            let mut ended = false;
            det.process(&near, |ev| match ev {
                DtmfEvent::Start { digit, at_sample } => {
                    starts[usize::from(starts[0].is_some())] = Some((digit, at_sample))
                }
                DtmfEvent::End { .. } => ended = true,
            });
            if ended && self.key_down.take().is_some() {
                if !std::mem::take(&mut self.key_swallowed) {
                    self.ev_tx.stop();
                }
                // Keep cutting for the detector's end latency.
                if let Some((from, _)) = self.mute {
                    self.mute = Some((from, self.tx_samples + 2 * FRAME_SAMPLES as u64));
                }
            }
            for (digit, at) in starts.into_iter().flatten().filter(|_| !guarded) {
                if at < DIAL_TAIL_SAMPLES {
                    self.key_down = Some(digit);
                    self.key_swallowed = true;
                    self.mute = Some((at, u64::MAX));
                    continue;
                }
                if let Some(code) = dtmf_code(digit) {
                    let _ = self.ev_tx.start(code, DTMF_VOLUME);
                    self.key_down = Some(digit);
                    self.mute = Some((at, u64::MAX));
                    self.events.push_back(MediaEvent::DtmfSent { digit });
                    self.stats.dtmf_sent += 1;
                }
            }
            // The delay line: the frame leaving it is cut if the key covers it.
            self.delay.push_back((frame_start, near));
            if self.delay.len() <= INBAND_DELAY_FRAMES {
                return;
            }
            let (start, mut f) = self.delay.pop_front().expect("longer than the delay");
            if let Some((from, until)) = self.mute {
                let end = start + FRAME_SAMPLES as u64;
                if start < until && end > from {
                    f.fill(0);
                }
                if start >= until {
                    self.mute = None;
                }
            }
            f
        } else {
            near
        };
        self.acc.extend_from_slice(&frame);
        if self.acc.len() >= self.samples_per_packet {
            self.send_packet(now);
        }
    }

    fn send_packet(&mut self, now: Instant) {
        // RFC 4733: while an event is being sent, its packets replace the audio.
        if self.cfg.telephone_event.is_some() && !self.ev_tx.is_idle() {
            self.ev_tx.set_clock(self.rtp.next_timestamp());
            if let Some(p) = self.ev_tx.poll() {
                let mut buf = self.take_buf();
                if let Ok(t) = self.rtp.send_event(now, &p, &mut buf) {
                    if self.cfg.send {
                        self.queue_rtp(Channel::Rtp, t.to, buf, t.len);
                    } else {
                        self.spare.push(buf);
                    }
                }
            }
            self.rtp.skip_samples(self.ts_per_packet);
            self.acc.clear();
            self.talkspurt = true;
            return;
        }
        let speech = match self.vad.as_mut() {
            Some(v) => v.process(&self.acc),
            None => true,
        };
        if !self.cfg.send {
            self.rtp.skip_samples(self.ts_per_packet);
            self.acc.clear();
            return;
        }
        if !speech {
            // Silence: an RFC 3389 CN packet when it starts and now and then.
            let due = self.cn_sent_at.is_none_or(|t| now >= t + CN_INTERVAL);
            if let (true, Some(enc), Some(pt)) = (due, self.cn_enc.as_ref(), self.cfg.comfort_noise)
            {
                let cn = enc.encode(&self.acc).to_bytes();
                let mut buf = self.take_buf();
                self.rtp.set_payload_type(pt);
                let r = self
                    .rtp
                    .send_audio(now, &cn, self.ts_per_packet, false, &mut buf);
                self.rtp.set_payload_type(self.cfg.payload_type);
                if let Ok(t) = r {
                    self.queue_rtp(Channel::Rtp, t.to, buf, t.len);
                    self.cn_sent_at = Some(now);
                }
            } else {
                self.rtp.skip_samples(self.ts_per_packet);
            }
            self.talkspurt = true;
            self.acc.clear();
            return;
        }
        self.cn_sent_at = None;
        self.payload.clear();
        let encoded = match self.up.as_mut() {
            Some(up) => {
                self.wide.clear();
                up.process(&self.acc, &mut self.wide);
                self.encoder.encode(&self.wide, &mut self.payload)
            }
            None => self.encoder.encode(&self.acc, &mut self.payload),
        };
        self.acc.clear();
        match encoded {
            Ok(0) => self.rtp.skip_samples(self.ts_per_packet), // codec DTX
            Ok(_) => {
                let marker = std::mem::take(&mut self.talkspurt);
                let mut buf = self.take_buf();
                let red = self.redundant_payload();
                if let Some((pt, _)) = &red {
                    self.rtp.set_payload_type(*pt);
                }
                let payload = red.as_ref().map_or(&self.payload[..], |(_, p)| &p[..]);
                let sent = self
                    .rtp
                    .send_audio(now, payload, self.ts_per_packet, marker, &mut buf);
                self.rtp.set_payload_type(self.cfg.payload_type);
                match sent {
                    Ok(t) => self.queue_rtp(Channel::Rtp, t.to, buf, t.len),
                    Err(e) => {
                        tracing::debug!(error = %e, "RTP packet not built");
                        self.spare.push(buf);
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "encoder refused a frame");
                self.rtp.skip_samples(self.ts_per_packet);
            }
        }
    }

    fn playout(&mut self, now: Instant, next: &mut Frame) {
        // Regenerated far-end keys replace the audio while they sound.
        if !self.regen.is_idle() {
            self.regen.fill(next);
            // Keep the buffer's clock running underneath.
            let _ = self.jb.pull(now);
        } else if !self.cfg.receive {
            let _ = self.jb.pull(now);
            next.fill(0);
        } else {
            let frame = self.jb.pull(now);
            self.stats.frames[frame_kind_index(frame.kind)] += 1;
            match self.down.as_mut() {
                Some(down) => {
                    self.pcm.clear();
                    down.process(frame.pcm, &mut self.pcm);
                    let n = self.pcm.len().min(FRAME_SAMPLES);
                    next[..n].copy_from_slice(&self.pcm[..n]);
                    next[n..].fill(0);
                }
                None => {
                    let n = frame.pcm.len().min(FRAME_SAMPLES);
                    next[..n].copy_from_slice(&frame.pcm[..n]);
                    next[n..].fill(0);
                }
            }
            self.rx_gain.apply(next);
        }
        if let Some(fax) = self.fax_far.as_mut() {
            watch_fax_tones(fax, next, false, &mut self.ec, &mut self.events);
        }
        while let Some(ev) = self.jb.poll_event() {
            let outcome = match ev {
                tipring_jitter::Event::Received { .. } => PacketOutcome::Received,
                tipring_jitter::Event::Lost { .. } => PacketOutcome::Lost,
                tipring_jitter::Event::Discarded { .. } => PacketOutcome::Discarded,
                _ => continue,
            };
            if let Some(xr) = self.rtp.xr_mut() {
                xr.record(outcome);
            }
        }
    }

    /// A hook flash on the phone: send it as RFC 4733 event 16 when negotiated.
    /// Returns whether it went out that way.
    pub fn send_flash(&mut self) -> bool {
        if self.cfg.telephone_event.is_none() {
            return false;
        }
        // 250 ms, the middle of the flash window most PBXs expect.
        self.ev_tx.queue(EVENT_FLASH, DTMF_VOLUME, 2000).is_ok()
    }

    /// Send `digits` as RFC 4733 events (`duration_ms` each), e.g. from a SIP INFO or an
    /// auto-dialler. Returns false without telephone-event.
    pub fn send_digits(&mut self, digits: &str, duration_ms: u32) -> bool {
        if self.cfg.telephone_event.is_none() {
            return false;
        }
        digits
            .chars()
            .filter_map(dtmf_code)
            .all(|code| self.ev_tx.queue(code, DTMF_VOLUME, duration_ms * 8).is_ok())
    }

    /// A datagram arrived on `channel` from `from`. Whatever is wrong with it is counted
    /// and dropped; nothing here fails.
    pub fn receive(&mut self, now: Instant, channel: Channel, from: SocketAddr, data: &[u8]) {
        if self.closed || data.len() > MAX_DATAGRAM {
            self.stats.dropped_oversize += u64::from(data.len() > MAX_DATAGRAM);
            return;
        }
        let _ = channel; // RTP and RTCP are told apart by content (RFC 5761 §4)
        self.rx_buf.clear();
        self.rx_buf.extend_from_slice(data);
        if let Some(srtp) = self.srtp_rx.as_mut() {
            let r = match classify(&self.rx_buf) {
                DatagramKind::Rtp => srtp.unprotect_rtp(&mut self.rx_buf),
                DatagramKind::Rtcp => srtp.unprotect_rtcp(&mut self.rx_buf),
                _ => Err(tipring_srtp::Error::BadHeader),
            };
            if r.is_err() {
                return; // counted in the SRTP context's stats
            }
        }
        let Self {
            rtp,
            jb,
            ev_rx,
            regen,
            events,
            cfg,
            rx_buf,
            stats,
            ..
        } = self;
        match rtp.receive(now, from, rx_buf) {
            Received::Rtp(r) => {
                let p = r.packet;
                let pt = p.payload_type();
                if pt == cfg.payload_type {
                    jb.insert(&Packet {
                        ssrc: p.ssrc(),
                        seq: p.sequence_number(),
                        timestamp: p.timestamp(),
                        marker: p.marker(),
                        kind: PayloadKind::Audio,
                        payload: p.payload(),
                        arrival: now,
                    });
                } else if Some(pt) == cfg.telephone_event {
                    jb.note_foreign(p.ssrc(), p.sequence_number());
                    let ptime_ms = cfg.ptime_ms;
                    let r = ev_rx.receive(now, p.timestamp(), p.payload(), |n| {
                        on_event_notice(n, regen, events, stats, ptime_ms)
                    });
                    if r.is_err() {
                        stats.bad_events += 1;
                    }
                } else if Some(pt) == cfg.red {
                    // RFC 2198: the earlier packets it repeats (one a loss took is
                    // recovered; the buffer drops those it already has), then the primary.
                    let step = cfg.ptime_ms * 8;
                    match split_redundant(p.payload()) {
                        Some(blocks) => {
                            for b in blocks.iter().filter(|b| b.pt == cfg.payload_type) {
                                let back = b.offset / step.max(1);
                                jb.insert(&Packet {
                                    ssrc: p.ssrc(),
                                    seq: p.sequence_number().wrapping_sub(back as u16),
                                    timestamp: p.timestamp().wrapping_sub(b.offset),
                                    marker: false,
                                    kind: PayloadKind::Audio,
                                    payload: b.data,
                                    arrival: now,
                                });
                            }
                        }
                        None => stats.dropped_malformed += 1,
                    }
                } else if Some(pt) == cfg.comfort_noise {
                    if let Ok(cn) = CnPayload::parse(p.payload()) {
                        jb.insert(&Packet {
                            ssrc: p.ssrc(),
                            seq: p.sequence_number(),
                            timestamp: p.timestamp(),
                            marker: p.marker(),
                            kind: PayloadKind::ComfortNoise {
                                level_dbov: cn.level_dbov,
                            },
                            payload: p.payload(),
                            arrival: now,
                        });
                    } else {
                        stats.bad_comfort_noise += 1;
                    }
                }
            }
            Received::Rtcp(info) => {
                if info.bye {
                    events.push_back(MediaEvent::RemoteBye);
                }
            }
            Received::Dropped(_) => {}
        }
        self.drain_session_events();
    }

    fn drain_session_events(&mut self) {
        while let Some(e) = self.rtp.poll_event() {
            match e {
                SessionEvent::Latched { to, .. } => {
                    self.events.push_back(MediaEvent::Latched { to })
                }
                // On hold (we receive nothing by agreement) silence is expected.
                SessionEvent::MediaTimeout { .. } if self.cfg.receive => {
                    self.events.push_back(MediaEvent::Timeout)
                }
                _ => {}
            }
        }
    }

    /// When [`MediaSession::handle_timeout`] is next due (RTCP, event timeouts). The
    /// 10 ms [`MediaSession::exchange`] calls are separate.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.rtp.poll_timeout(), self.ev_rx.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Run due timers: RTCP reports (with XR VoIP metrics), the end of a far-end key
    /// whose end packets were lost.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Self {
            ev_rx,
            regen,
            events,
            stats,
            cfg,
            ..
        } = self;
        let ptime_ms = cfg.ptime_ms;
        ev_rx.handle_timeout(now, |n| on_event_notice(n, regen, events, stats, ptime_ms));
        self.feed_xr();
        let mut buf = self.take_buf();
        match self.rtp.handle_timeout(now, &mut buf) {
            Ok(Some(t)) => {
                let ch = if self.cfg.remote_rtcp.is_some() {
                    Channel::Rtcp
                } else {
                    Channel::Rtp
                };
                self.queue_rtcp(ch, t.to, buf, t.len);
            }
            Ok(None) => self.spare.push(buf),
            Err(e) => {
                tracing::debug!(error = %e, "RTCP report not built");
                self.spare.push(buf);
            }
        }
        self.drain_session_events();
    }

    fn feed_xr(&mut self) {
        let jbs = self.jb.stats();
        let ec = self.ec.as_ref().map(|ec| ec.metrics());
        if let Some(xr) = self.rtp.xr_mut() {
            let ms = |v: u32| Duration::from_millis(u64::from(v));
            xr.set_jitter_buffer(
                ms(jbs.nominal_delay_ms),
                ms(jbs.max_delay_ms),
                ms(jbs.abs_max_delay_ms),
            );
            // End system delay: jitter buffer + a packet of encoding + the line's frame.
            xr.set_end_system_delay(ms(jbs.current_delay_ms + self.cfg.ptime_ms + 10));
            let rerl = ec
                .filter(|m| m.rerl_db.is_finite())
                .map(|m| m.rerl_db.clamp(0.0, 126.0) as u8);
            xr.set_levels(None, None, rerl);
            if let Some((cq, lq)) = xr.rating() {
                self.stats.r_factor = Some(cq.r);
                self.stats.mos_cq = Some(cq.mos);
                self.stats.mos_lq = Some(lq.mos);
            }
        }
    }

    /// End the session: an RTCP BYE goes out (poll it with [`MediaSession::poll_transmit`]).
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.feed_xr();
        let mut buf = self.take_buf();
        if let Ok(t) = self.rtp.close(now, b"call ended", &mut buf) {
            let ch = if self.cfg.remote_rtcp.is_some() {
                Channel::Rtcp
            } else {
                Channel::Rtp
            };
            self.queue_rtcp(ch, t.to, buf, t.len);
        }
        self.closed = true;
    }

    /// The next datagram to send, copied into `buf` (at least [`MAX_DATAGRAM`] bytes).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        let (channel, to, data) = self.out.pop_front()?;
        let len = data.len().min(buf.len());
        buf[..len].copy_from_slice(&data[..len]);
        self.spare.push(data);
        Some(Transmit { channel, to, len })
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Figures for the status page and logs.
    pub fn stats(&self) -> MediaStats {
        let mut s = self.stats.clone();
        let c = self.rtp.counters();
        s.packets_sent = c.rtp_sent;
        s.packets_received = c.rtp_received;
        s.rtcp_sent = c.rtcp_sent;
        s.rtcp_received = c.rtcp_received;
        s.dropped_malformed = c.dropped_total();
        s.remote = self.rtp.remote_addr();
        if let Some(r) = self.rtp.receiver_stats() {
            let clock = u64::from(self.cfg.codec.rtp_clock_rate().max(1));
            s.jitter_ms = (u64::from(r.jitter()) * 1000 / clock) as u32;
        }
        s.rtt = self.rtp.rtt();
        let j = self.jb.stats();
        s.lost = j.lost;
        s.discarded = j.discarded;
        s.jitter_buffer_ms = j.current_delay_ms;
        s.jitter_buffer_target_ms = j.nominal_delay_ms;
        s.concealed_ms = j.concealed_samples * 1000 / u64::from(self.jb.decoder().sample_rate());
        if let Some(ec) = &self.ec {
            let m = ec.metrics();
            s.erle_db = Some(m.erle_db);
            s.echo_canceller_on = ec.is_enabled();
        }
        if let Some(x) = &self.srtp_rx {
            let st = x.stats();
            s.srtp_auth_failed = st.auth_failed;
            s.srtp_replayed = st.replayed;
            s.srtp_dropped = st.dropped();
        }
        s
    }

    fn take_buf(&mut self) -> Vec<u8> {
        let mut b = self.spare.pop().unwrap_or_default();
        b.clear();
        b.resize(MAX_DATAGRAM, 0);
        b
    }

    fn queue_rtp(&mut self, ch: Channel, to: SocketAddr, buf: Vec<u8>, len: usize) {
        self.protect_and_queue(ch, to, buf, len, false);
    }

    fn queue_rtcp(&mut self, ch: Channel, to: SocketAddr, buf: Vec<u8>, len: usize) {
        self.protect_and_queue(ch, to, buf, len, true);
    }

    fn protect_and_queue(
        &mut self,
        ch: Channel,
        to: SocketAddr,
        mut buf: Vec<u8>,
        len: usize,
        rtcp: bool,
    ) {
        buf.truncate(len);
        if let Some(srtp) = self.srtp_tx.as_mut() {
            let r = if rtcp {
                srtp.protect_rtcp(&mut buf)
            } else {
                srtp.protect_rtp(&mut buf)
            };
            if r.is_err() {
                self.stats.srtp_send_failed += 1;
                self.spare.push(buf);
                return;
            }
        }
        self.enqueue(ch, to, buf);
    }

    fn enqueue(&mut self, ch: Channel, to: SocketAddr, buf: Vec<u8>) {
        if self.out.len() >= MAX_QUEUED {
            if let Some((_, _, old)) = self.out.pop_front() {
                self.spare.push(old);
                self.stats.send_queue_overflow += 1;
            }
        }
        self.out.push_back((ch, to, buf));
    }
}

/// The RFC 3389 generator as the jitter buffer's comfort-noise source: level and spectral
/// envelope from each CN packet as it reaches playout.
#[derive(Debug)]
struct ShapedNoise(CnGenerator);

impl tipring_jitter::NoiseSource for ShapedNoise {
    fn fill(&mut self, _level_dbov: u8, out: &mut [i16]) {
        self.0.fill(out);
    }

    fn update(&mut self, payload: &[u8]) {
        if let Ok(p) = CnPayload::parse(payload) {
            self.0.update(&p);
        }
    }
}

/// Run a fax/modem tone detector on one direction's audio: report what it hears, and
/// switch the echo canceller off on a V.25 /ANS (2100 Hz with phase reversals, G.164).
fn watch_fax_tones(
    fax: &mut FaxToneDetector,
    audio: &[i16],
    from_phone: bool,
    ec: &mut Option<EchoCanceller>,
    events: &mut VecDeque<MediaEvent>,
) {
    fax.process(audio, |e| {
        if e.kind == FaxToneKind::DisableEchoCanceller {
            if let Some(ec) = ec.as_mut() {
                ec.set_enabled(false);
            }
        }
        if e.kind != FaxToneKind::End {
            events.push_back(MediaEvent::FaxTone {
                kind: e.kind,
                from_phone,
            });
        }
    });
}

fn frame_kind_index(k: tipring_jitter::FrameKind) -> usize {
    use tipring_jitter::FrameKind as K;
    match k {
        K::Normal => 0,
        K::Concealed => 1,
        K::Expanded => 2,
        K::Accelerated => 3,
        K::ComfortNoise => 4,
        _ => 5,
    }
}

fn on_event_notice(
    n: EventNotice,
    regen: &mut DtmfSender,
    events: &mut VecDeque<MediaEvent>,
    stats: &mut MediaStats,
    ptime_ms: u32,
) {
    let _ = ptime_ms;
    match n {
        EventNotice::Start { event, .. } => {
            if event == EVENT_FLASH {
                events.push_back(MediaEvent::FlashReceived);
            } else if let Some(digit) = dtmf_char(event) {
                regen.clear();
                // Played until the end notice; a minute at most.
                let _ = regen.push(&digit.to_string(), 60_000, 0);
                events.push_back(MediaEvent::DtmfReceived { digit });
                stats.dtmf_received += 1;
            }
        }
        EventNotice::End {
            event, duration, ..
        } => {
            if let Some(digit) = dtmf_char(event) {
                regen.clear();
                events.push_back(MediaEvent::DtmfReceivedEnd {
                    digit,
                    duration: Duration::from_millis(u64::from(duration) / 8),
                });
            }
        }
    }
}

/// One block of an RFC 2198 payload.
#[derive(Debug)]
struct RedBlock<'a> {
    pt: u8,
    /// Timestamp offset back from the packet's (0 for the primary).
    offset: u32,
    data: &'a [u8],
}

/// The blocks of an RFC 2198 payload, oldest first, the primary last; `None` when the
/// headers do not add up to the payload.
fn split_redundant(payload: &[u8]) -> Option<Vec<RedBlock<'_>>> {
    let mut heads = Vec::new();
    let mut i = 0;
    loop {
        let b0 = *payload.get(i)?;
        if b0 & 0x80 == 0 {
            heads.push((b0 & 0x7f, 0u32, None));
            i += 1;
            break;
        }
        let h = payload.get(i..i + 4)?;
        let offset = (u32::from(h[1]) << 6) | (u32::from(h[2]) >> 2);
        let len = ((usize::from(h[2]) & 0x03) << 8) | usize::from(h[3]);
        heads.push((b0 & 0x7f, offset, Some(len)));
        i += 4;
        if heads.len() > 16 {
            return None;
        }
    }
    let mut blocks = Vec::with_capacity(heads.len());
    for (pt, offset, len) in heads {
        let len = len.unwrap_or(payload.len().checked_sub(i)?);
        let data = payload.get(i..i + len)?;
        i += len;
        blocks.push(RedBlock { pt, offset, data });
    }
    (i == payload.len()).then_some(blocks)
}

#[cfg(test)]
mod red_tests {
    use super::split_redundant;

    #[test]
    fn rfc2198_payloads_split_and_broken_ones_are_refused() {
        // One redundant PCMU block 160 samples back (3 bytes), the primary (2 bytes).
        let p = [0x80, 0x02, 0x80, 0x03, 0x00, 1, 2, 3, 9, 9];
        let b = split_redundant(&p).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].pt, b[0].offset, b[0].data),
            (0, 160, &[1u8, 2, 3][..])
        );
        assert_eq!((b[1].pt, b[1].offset, b[1].data), (0, 0, &[9u8, 9][..]));
        assert!(
            split_redundant(&[0x80, 0x02, 0x80, 0x10, 0x00, 1]).is_none(),
            "block longer than the payload"
        );
        assert!(split_redundant(&[0x80, 0x02]).is_none(), "cut header");
        assert!(split_redundant(&[]).is_none());
        assert_eq!(split_redundant(&[0x00]).unwrap()[0].data.len(), 0);
    }
}
