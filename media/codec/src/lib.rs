//! Voice codecs for Tipring: G.711 µ-law/A-law with ITU-T G.711 Appendix I packet loss
//! concealment, G.722 (with an 8 kHz ↔ 16 kHz resampler), G.726-32, and, behind cargo
//! features that are off by default, G.729A/B (`g729`, GPLv3 through bcg729) and Opus
//! (`opus`, through libopus).
//!
//! Everything is sans-IO and clock-free: an [`Encoder`] turns PCM into RTP payload bytes,
//! a [`Decoder`] turns payloads back into PCM and conceals lost ones. The registry
//! ([`CodecId`], [`new_encoder`], [`new_decoder`]) maps SDP names to implementations.
//!
//! # Driving a call leg
//!
//! ```
//! use tipring_codec::{new_decoder, new_encoder, CodecId, EncoderParams};
//!
//! let id = CodecId::from_sdp("PCMA", 8000).unwrap();
//! assert_eq!(id.static_payload_type(), Some(8));
//! let mut enc = new_encoder(id, &EncoderParams::default()).unwrap();
//! let mut dec = new_decoder(id).unwrap();
//!
//! // 20 ms of line audio toward the network...
//! let pcm = [1000i16; 160];
//! let mut payload = Vec::new();
//! enc.encode(&pcm, &mut payload).unwrap();
//! assert_eq!(payload.len(), 160);
//! // ...timestamp step for that packet, in RTP clock units:
//! assert_eq!(id.rtp_timestamp_step(20), 160);
//!
//! // ...and from the network toward the line: a received packet, then a lost one.
//! let mut line = Vec::new();
//! dec.decode(&payload, &mut line).unwrap();
//! dec.conceal(160, &mut line);
//! assert_eq!(line.len(), 320);
//! ```
//!
//! # Passthrough
//!
//! When both legs of a bridge negotiated the same codec ([`transcode_needed`] is `false`),
//! the media session forwards the RTP payloads unchanged (rewriting only SSRC, sequence
//! number and timestamp) and never decodes or encodes; it decodes a copy only when it needs
//! the audio (DTMF detection, recording, a conference mix). Loss on the incoming leg is
//! then left to the far end's concealment.
//!
//! # Sample rates and RTP clocks
//!
//! [`CodecId::sample_rate`] is the PCM rate of the codec's encoder and decoder here;
//! [`CodecId::rtp_clock_rate`] the RTP timestamp rate. They differ for G.722 (16 kHz
//! audio, 8000 Hz clock by RFC 3551 §4.5.2's historical error) and Opus (decoded at
//! 16 kHz here, 48000 Hz clock by RFC 7587). A jitter buffer converts with
//! [`CodecId::rtp_timestamp_step`]. Where the line runs at 8 kHz and the codec at 16 kHz,
//! [`resample::Resampler`] converts.
//!
//! # Licences of optional codecs
//!
//! The default build is Apache-2.0 only. **Enabling the `g729` feature links bcg729, which
//! is GPLv3: the resulting binary must then be distributed under the GPLv3.** (G.729's
//! patents have expired.) The `opus` feature links libopus (BSD-3-Clause), which is
//! compatible with Apache-2.0.

#![cfg_attr(not(feature = "g729"), forbid(unsafe_code))]
#![cfg_attr(feature = "g729", deny(unsafe_code))]

pub mod error;
pub mod g711;
pub mod g722;
pub mod g726;
#[cfg(feature = "g729")]
pub mod g729;
#[cfg(feature = "opus")]
pub mod opus;
pub mod plc;
pub mod resample;
#[cfg(test)]
mod test_signal;

pub use error::{Error, Result};

/// A codec Tipring can negotiate, by its SDP encoding name and RTP clock rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecId {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.722 (RTP clock 8000 per RFC 3551 §4.5.2, audio 16 kHz), static payload type 9.
    G722,
    /// G.726 at 32 kbit/s (RFC 3551 `G726-32`), dynamic payload type.
    G726_32,
    /// G.726 at 32 kbit/s with ITU-T I.366.2 (AAL2) nibble order, SDP `AAL2-G726-32`
    /// (RFC 3551 §4.5.4), dynamic payload type.
    G726_32Aal2,
    /// G.729 Annex A (with Annex B silence frames), static payload type 18.
    G729,
    /// Opus (RFC 7587: clock 48000, two channels in SDP), dynamic payload type.
    Opus,
}

/// Every codec identifier, in a sensible default offer order.
pub const ALL_CODECS: [CodecId; 7] = [
    CodecId::Pcmu,
    CodecId::Pcma,
    CodecId::G722,
    CodecId::G726_32,
    CodecId::G726_32Aal2,
    CodecId::G729,
    CodecId::Opus,
];

impl CodecId {
    /// The SDP `a=rtpmap` encoding name (RFC 3551 / RFC 7587 spelling).
    pub fn encoding_name(self) -> &'static str {
        match self {
            CodecId::Pcmu => "PCMU",
            CodecId::Pcma => "PCMA",
            CodecId::G722 => "G722",
            CodecId::G726_32 => "G726-32",
            CodecId::G726_32Aal2 => "AAL2-G726-32",
            CodecId::G729 => "G729",
            CodecId::Opus => "opus",
        }
    }

    /// RTP timestamp clock rate in Hz (what goes in `a=rtpmap` and drives timestamps).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            CodecId::Opus => 48000,
            _ => 8000,
        }
    }

    /// Channel count written in `a=rtpmap` (`opus/48000/2` per RFC 7587), if any.
    pub fn sdp_channels(self) -> Option<u8> {
        match self {
            CodecId::Opus => Some(2),
            _ => None,
        }
    }

    /// Static RTP payload type (RFC 3551 Table 4), or `None` for a dynamic one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecId::Pcmu => Some(0),
            CodecId::Pcma => Some(8),
            CodecId::G722 => Some(9),
            CodecId::G729 => Some(18),
            CodecId::G726_32 | CodecId::G726_32Aal2 | CodecId::Opus => None,
        }
    }

    /// PCM sample rate of this crate's encoder and decoder for the codec, in Hz.
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecId::G722 | CodecId::Opus => 16000,
            _ => 8000,
        }
    }

    /// Default packet duration (`a=ptime`) in ms.
    pub fn default_ptime_ms(self) -> u32 {
        20
    }

    /// The codec's own frame duration in µs: any whole number of these makes a payload
    /// (G.711 one sample, G.722 and G.726-32 two samples, G.729 10 ms, Opus 20 ms here).
    pub fn frame_us(self) -> u32 {
        match self {
            CodecId::Pcmu | CodecId::Pcma => 125,
            CodecId::G722 => 125,
            CodecId::G726_32 | CodecId::G726_32Aal2 => 250,
            CodecId::G729 => 10_000,
            CodecId::Opus => 20_000,
        }
    }

    /// Nominal bit rate in bit/s (Opus: this crate's default encoder target).
    pub fn bitrate(self) -> u32 {
        match self {
            CodecId::Pcmu | CodecId::Pcma | CodecId::G722 => 64_000,
            CodecId::G726_32 | CodecId::G726_32Aal2 => 32_000,
            CodecId::G729 => 8_000,
            CodecId::Opus => 24_000,
        }
    }

    /// RTP timestamp increment for `ptime_ms` of audio.
    pub fn rtp_timestamp_step(self, ptime_ms: u32) -> u32 {
        self.rtp_clock_rate() / 1000 * ptime_ms
    }

    /// PCM samples (at [`CodecId::sample_rate`]) in `ptime_ms` of audio.
    pub fn samples_per_packet(self, ptime_ms: u32) -> usize {
        (self.sample_rate() / 1000 * ptime_ms) as usize
    }

    /// The codec named by an SDP `a=rtpmap` encoding name (case-insensitive, RFC 4855
    /// §3) and clock rate; `None` for anything else (including G.722 at 16000, which RFC
    /// 3551 does not define).
    pub fn from_sdp(name: &str, clock: u32) -> Option<CodecId> {
        ALL_CODECS
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.rtp_clock_rate() == clock)
    }

    /// Whether this build can encode and decode the codec (feature-gated ones may be off).
    pub fn is_available(self) -> bool {
        let (g729, opus) = (cfg!(feature = "g729"), cfg!(feature = "opus"));
        !matches!(
            (self, g729, opus),
            (CodecId::G729, false, _) | (CodecId::Opus, _, false)
        )
    }
}

impl std::fmt::Display for CodecId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.encoding_name(), self.rtp_clock_rate())
    }
}

/// Encoder options; codecs ignore what does not apply to them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncoderParams {
    /// Target bit rate in bit/s (Opus 6000..=510000; G.722 64000, 56000 or 48000 only
    /// changes what the decoder may drop — the encoder always sends 64 kbit/s mode 1).
    pub bitrate: Option<u32>,
    /// Discontinuous transmission: G.729 Annex B VAD/DTX, Opus DTX.
    pub dtx: bool,
    /// Opus in-band forward error correction.
    pub fec: bool,
}

impl Default for EncoderParams {
    fn default() -> Self {
        Self {
            bitrate: None,
            dtx: true,
            fec: false,
        }
    }
}

/// Whether bridging leg `a` to leg `b` needs decode + encode; `false` means the payloads
/// can be forwarded unchanged (see the crate docs, "Passthrough"). `G726-32` ↔
/// `AAL2-G726-32` needs no decode either, only [`g726::repack`] (nibble swap), but counts
/// as a transcode here because the payload bytes change.
pub fn transcode_needed(a: CodecId, b: CodecId) -> bool {
    a != b
}

/// A boxed encoder for `id`, or [`Error::NotCompiled`] when its feature is off.
pub fn new_encoder(id: CodecId, params: &EncoderParams) -> Result<Box<dyn Encoder>> {
    match id {
        CodecId::Pcmu => Ok(Box::new(g711::G711Encoder::new(g711::Law::Ulaw))),
        CodecId::Pcma => Ok(Box::new(g711::G711Encoder::new(g711::Law::Alaw))),
        CodecId::G722 => Ok(Box::new(g722::G722Encoder::new())),
        CodecId::G726_32 => Ok(Box::new(g726::G726Encoder::new(g726::Packing::Rfc3551))),
        CodecId::G726_32Aal2 => Ok(Box::new(g726::G726Encoder::new(g726::Packing::Aal2))),
        #[cfg(feature = "g729")]
        CodecId::G729 => Ok(Box::new(g729::G729Encoder::new(params.dtx)?)),
        #[cfg(feature = "opus")]
        CodecId::Opus => Ok(Box::new(opus::OpusEncoder::new(params)?)),
        #[allow(unreachable_patterns)]
        _ => {
            let _ = params;
            Err(not_compiled(id))
        }
    }
}

/// A boxed decoder for `id`, or [`Error::NotCompiled`] when its feature is off.
pub fn new_decoder(id: CodecId) -> Result<Box<dyn Decoder>> {
    match id {
        CodecId::Pcmu => Ok(Box::new(g711::G711Decoder::new(g711::Law::Ulaw))),
        CodecId::Pcma => Ok(Box::new(g711::G711Decoder::new(g711::Law::Alaw))),
        CodecId::G722 => Ok(Box::new(g722::G722Decoder::new())),
        CodecId::G726_32 => Ok(Box::new(g726::G726Decoder::new(g726::Packing::Rfc3551))),
        CodecId::G726_32Aal2 => Ok(Box::new(g726::G726Decoder::new(g726::Packing::Aal2))),
        #[cfg(feature = "g729")]
        CodecId::G729 => Ok(Box::new(g729::G729Decoder::new()?)),
        #[cfg(feature = "opus")]
        CodecId::Opus => Ok(Box::new(opus::OpusDecoder::new()?)),
        #[allow(unreachable_patterns)]
        _ => Err(not_compiled(id)),
    }
}

#[allow(dead_code)]
fn not_compiled(id: CodecId) -> Error {
    Error::NotCompiled {
        codec: id.encoding_name(),
        feature: match id {
            CodecId::G729 => "g729",
            _ => "opus",
        },
    }
}

/// Turns PCM into codec payloads.
pub trait Encoder: Send + std::fmt::Debug {
    /// The codec this encoder produces.
    fn codec(&self) -> CodecId;
    /// PCM sample rate the encoder consumes, in Hz (8000 or 16000 here).
    fn sample_rate(&self) -> u32;
    /// Encodes `pcm` (a whole number of codec frames at [`Encoder::sample_rate`]) and
    /// appends the payload bytes to `out`; returns how many bytes were appended.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize>;
    /// Forgets all history (a new stream). Stateless encoders ignore it.
    fn reset(&mut self) {}
}

/// Turns codec payloads into PCM, and conceals lost ones.
pub trait Decoder: Send + std::fmt::Debug {
    /// The codec this decoder reads.
    fn codec(&self) -> CodecId;
    /// PCM sample rate the decoder produces, in Hz.
    fn sample_rate(&self) -> u32;
    /// Decodes one RTP payload and appends its PCM to `out`; returns the samples appended.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize>;
    /// Appends `samples` of concealment for lost audio to `out` (pitch repetition fading
    /// out for a long loss, per the codec's own method or G.711 Appendix I).
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>);
    /// Forgets all history (a new stream, a new SSRC).
    fn reset(&mut self);
    /// Samples by which output lags input (the G.711 Appendix I concealment runs 3.75 ms
    /// behind so it can smooth the start of a loss). A playout clock may subtract it.
    fn delay_samples(&self) -> usize {
        0
    }
}

impl<E: Encoder + ?Sized> Encoder for Box<E> {
    fn codec(&self) -> CodecId {
        (**self).codec()
    }
    fn sample_rate(&self) -> u32 {
        (**self).sample_rate()
    }
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        (**self).encode(pcm, out)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// A boxed decoder (from [`new_decoder`]) is a decoder, so generic users such as a jitter
/// buffer can hold whichever codec was negotiated.
impl<D: Decoder + ?Sized> Decoder for Box<D> {
    fn codec(&self) -> CodecId {
        (**self).codec()
    }
    fn sample_rate(&self) -> u32 {
        (**self).sample_rate()
    }
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        (**self).decode(payload, out)
    }
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        (**self).conceal(samples, out)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn delay_samples(&self) -> usize {
        (**self).delay_samples()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3551 Table 4 static payload types and clock rates, RFC 7587 for Opus.
    #[test]
    fn registry_matches_rfc3551_and_rfc7587() {
        assert_eq!(CodecId::from_sdp("pcmu", 8000), Some(CodecId::Pcmu));
        assert_eq!(CodecId::from_sdp("PCMA", 8000), Some(CodecId::Pcma));
        assert_eq!(CodecId::from_sdp("G722", 8000), Some(CodecId::G722));
        assert_eq!(CodecId::from_sdp("G722", 16000), None);
        assert_eq!(CodecId::from_sdp("g726-32", 8000), Some(CodecId::G726_32));
        assert_eq!(
            CodecId::from_sdp("AAL2-G726-32", 8000),
            Some(CodecId::G726_32Aal2)
        );
        assert_eq!(CodecId::from_sdp("G729", 8000), Some(CodecId::G729));
        assert_eq!(CodecId::from_sdp("OPUS", 48000), Some(CodecId::Opus));
        assert_eq!(CodecId::from_sdp("opus", 16000), None);
        assert_eq!(CodecId::from_sdp("telephone-event", 8000), None);
        let pts: Vec<_> = ALL_CODECS.iter().map(|c| c.static_payload_type()).collect();
        assert_eq!(pts, [Some(0), Some(8), Some(9), None, None, Some(18), None]);
        // RFC 3551 §4.5.2: G.722 timestamps count 8000 Hz although audio is 16 kHz.
        assert_eq!(CodecId::G722.rtp_timestamp_step(20), 160);
        assert_eq!(CodecId::G722.samples_per_packet(20), 320);
        assert_eq!(CodecId::Opus.rtp_timestamp_step(20), 960);
        assert_eq!(CodecId::Opus.to_string(), "opus/48000");
        for c in ALL_CODECS {
            assert_eq!(
                CodecId::from_sdp(c.encoding_name(), c.rtp_clock_rate()),
                Some(c)
            );
        }
    }

    /// Every codec built in round-trips 20 ms through the boxed registry objects with the
    /// payload size its bit rate implies; the others report the feature to enable.
    #[test]
    fn registry_builds_what_is_compiled_in() {
        for c in ALL_CODECS {
            let enc = new_encoder(c, &EncoderParams::default());
            let dec = new_decoder(c);
            if !c.is_available() {
                assert!(matches!(enc, Err(Error::NotCompiled { .. })), "{c}");
                assert!(matches!(dec, Err(Error::NotCompiled { .. })), "{c}");
                continue;
            }
            let (mut enc, mut dec) = (enc.unwrap(), dec.unwrap());
            assert_eq!((enc.codec(), dec.codec()), (c, c));
            assert_eq!(enc.sample_rate(), c.sample_rate());
            assert_eq!(dec.sample_rate(), c.sample_rate());
            let n = c.samples_per_packet(20);
            let pcm: Vec<i16> = (0..n).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
            let mut payload = Vec::new();
            enc.encode(&pcm, &mut payload).unwrap();
            if c != CodecId::Opus && c != CodecId::G729 {
                assert_eq!(payload.len() as u32, c.bitrate() / 8 / 50, "{c}");
            }
            let mut out = Vec::new();
            assert_eq!(dec.decode(&payload, &mut out).unwrap(), n, "{c}");
            dec.conceal(n, &mut out);
            assert_eq!(out.len(), 2 * n, "{c}");
        }
        assert!(!transcode_needed(CodecId::Pcma, CodecId::Pcma));
        assert!(transcode_needed(CodecId::Pcma, CodecId::Pcmu));
    }
}
