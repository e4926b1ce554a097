//! The admin pages' media loopback test: a 1004 Hz tone at −10 dBm0 goes through a
//! port's codec (encoder), RTP packets over a real UDP socket pair on 127.0.0.1, and back
//! through the RTP parser and the decoder — the gateway's own voice path, minus the line.
//! The report gives the packets, the one-way socket delay, the levels in and out, and
//! the signal to noise-and-distortion ratio (SINAD) of what came out: a G.711 path gives
//! ~33–38 dB, G.726-32 ~22–28 dB; a broken codec or packetiser shows at once.

use std::time::Duration;

use tipring_codec::{CodecId, EncoderParams};
use tipring_rtp::packet::{RtpHeader, RtpPacket};

/// Test tone frequency and level.
const TONE_HZ: f64 = 1004.0;
const TONE_DBM0: f32 = -10.0;
/// Packets of 20 ms sent (one second of tone).
const PACKETS: usize = 50;
/// Decoder start-up left out of the measurement.
const SETTLE_MS: usize = 100;

/// What the loopback measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The codec.
    pub codec: &'static str,
    /// Packets sent and received back.
    pub sent: usize,
    /// Received.
    pub received: usize,
    /// Mean and largest one-way delay through the sockets, in µs.
    pub delay_mean_us: u64,
    /// Largest.
    pub delay_max_us: u64,
    /// Level of the tone sent and of what came out, in dBm0.
    pub level_in_dbm0: f32,
    /// Out.
    pub level_out_dbm0: f32,
    /// Signal to noise and distortion of the output, in dB.
    pub sinad_db: f32,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}/{} packets back, delay {:.2} ms mean / {:.2} ms max, level {:.1} dBm0 in, {:.1} dBm0 out, SINAD {:.1} dB",
            self.codec,
            self.received,
            self.sent,
            self.delay_mean_us as f64 / 1000.0,
            self.delay_max_us as f64 / 1000.0,
            self.level_in_dbm0,
            self.level_out_dbm0,
            self.sinad_db
        )
    }
}

/// The tone the test sends, at `rate` Hz.
fn tone(rate: u32, samples: usize) -> Vec<i16> {
    let peak = f64::from(tipring_dsp::level::dbm0_to_peak(TONE_DBM0));
    (0..samples)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            (peak * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()).round() as i16
        })
        .collect()
}

/// SINAD of `x` around a sine at [`TONE_HZ`]: the least-squares fit of a sine and a
/// cosine is the signal, the rest noise and distortion.
pub fn sinad_db(x: &[i16], rate: u32) -> f32 {
    let w = 2.0 * std::f64::consts::PI * TONE_HZ / f64::from(rate);
    let (mut ss, mut cc, mut sc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        let v = f64::from(v);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += v * s;
        xc += v * c;
    }
    let det = ss * cc - sc * sc;
    if det.abs() < 1e-9 {
        return 0.0;
    }
    let a = (xs * cc - xc * sc) / det;
    let b = (xc * ss - xs * sc) / det;
    let (mut sig, mut err) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        let fit = a * s + b * c;
        sig += fit * fit;
        err += (f64::from(v) - fit).powi(2);
    }
    if err <= 0.0 {
        return 99.0;
    }
    (10.0 * (sig / err).log10()) as f32
}

/// Run the test with `codec` (about a second).
#[allow(clippy::disallowed_methods)] // the shell's clock: socket delays are real time
pub async fn run(codec: CodecId) -> Result<Report, String> {
    let mut enc = tipring_codec::new_encoder(codec, &EncoderParams::default())
        .map_err(|e| format!("no encoder: {e}"))?;
    let mut dec = tipring_codec::new_decoder(codec).map_err(|e| format!("no decoder: {e}"))?;
    let rate = enc.sample_rate();
    let frame = rate as usize / 50;
    let input = tone(rate, frame * PACKETS);
    let tx = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("socket: {e}"))?;
    let rx = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("socket: {e}"))?;
    let to = rx.local_addr().map_err(|e| e.to_string())?;
    let pt = codec.static_payload_type().unwrap_or(96);
    let step = codec.rtp_timestamp_step(20);
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    let (mut payload, mut packet, mut buf) = (Vec::new(), vec![0u8; 1500], vec![0u8; 1500]);
    let mut output: Vec<i16> = Vec::with_capacity(input.len());
    let (mut received, mut total_us, mut max_us) = (0usize, 0u64, 0u64);
    for (k, pcm) in input.chunks(frame).enumerate() {
        ticker.tick().await;
        payload.clear();
        enc.encode(pcm, &mut payload)
            .map_err(|e| format!("encode: {e}"))?;
        let header = RtpHeader::new(pt, k as u16, (k as u32).wrapping_mul(step), 0x7e57_0001);
        let n = header
            .write(&payload, 0, &mut packet)
            .map_err(|e| format!("RTP: {e}"))?;
        let sent_at = std::time::Instant::now();
        tx.send_to(&packet[..n], to)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let got = tokio::time::timeout(Duration::from_millis(200), rx.recv_from(&mut buf)).await;
        match got {
            Ok(Ok((len, _))) => {
                let us = sent_at.elapsed().as_micros() as u64;
                let p = RtpPacket::parse(&buf[..len]).map_err(|e| format!("RTP back: {e}"))?;
                if p.sequence_number() != k as u16 {
                    return Err(format!("packet {k} came back as {}", p.sequence_number()));
                }
                dec.decode(p.payload(), &mut output)
                    .map_err(|e| format!("decode: {e}"))?;
                received += 1;
                total_us += us;
                max_us = max_us.max(us);
            }
            _ => dec.conceal(frame, &mut output),
        }
    }
    let skip = rate as usize * SETTLE_MS / 1000;
    let measured = output.get(skip..).unwrap_or_default();
    Ok(Report {
        codec: codec.encoding_name(),
        sent: PACKETS,
        received,
        delay_mean_us: total_us / received.max(1) as u64,
        delay_max_us: max_us,
        level_in_dbm0: tipring_dsp::level::rms_dbm0(&input[skip..]),
        level_out_dbm0: tipring_dsp::level::rms_dbm0(measured),
        sinad_db: sinad_db(measured, rate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinad_of_a_clean_and_a_noisy_tone() {
        let clean = tone(8000, 8000);
        assert!(sinad_db(&clean, 8000) > 60.0, "{}", sinad_db(&clean, 8000));
        // Add a 2000 Hz tone 20 dB down: SINAD 20 dB.
        let peak = f64::from(tipring_dsp::level::dbm0_to_peak(TONE_DBM0 - 20.0));
        let noisy: Vec<i16> = clean
            .iter()
            .enumerate()
            .map(|(n, &v)| {
                let t = n as f64 / 8000.0;
                v + (peak * (2.0 * std::f64::consts::PI * 2000.0 * t).sin()).round() as i16
            })
            .collect();
        assert!(
            (sinad_db(&noisy, 8000) - 20.0).abs() < 0.3,
            "{}",
            sinad_db(&noisy, 8000)
        );
    }

    #[tokio::test]
    async fn g711_and_g722_come_back_clean_over_real_sockets() {
        for (codec, floor) in [
            (CodecId::Pcmu, 30.0),
            (CodecId::Pcma, 30.0),
            (CodecId::G722, 25.0),
        ] {
            let r = run(codec).await.unwrap();
            assert_eq!(r.received, r.sent, "{r}");
            assert!(r.sinad_db > floor, "{r}");
            assert!((r.level_out_dbm0 - r.level_in_dbm0).abs() < 1.5, "{r}");
        }
    }
}
