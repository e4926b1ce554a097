//! Test decoders and a virtual-time driver.

use std::time::{Duration, Instant};

use tipring_codec::{CodecId, Decoder};
use tipring_jitter::netem::Netem;
use tipring_jitter::{Config, FrameKind, JitterBuffer, Packet, PayloadKind};

/// The one clock read of the test suite: an arbitrary epoch for virtual time.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A trivial codec: each payload byte is `samples_per_byte` PCM samples of value
/// `byte * 100`; concealment outputs the value `-1`, so tests can tell them apart.
#[derive(Debug, Clone)]
pub struct TestDecoder {
    pub rate: u32,
    pub codec: CodecId,
    pub samples_per_byte: usize,
    pub decoded: usize,
    pub concealed: usize,
    pub resets: usize,
}

pub const CONCEAL_VALUE: i16 = -1;

impl TestDecoder {
    /// An 8 kHz "G.711-like" decoder (one byte, one sample).
    pub fn narrow() -> Self {
        Self {
            rate: 8000,
            codec: CodecId::Pcmu,
            samples_per_byte: 1,
            decoded: 0,
            concealed: 0,
            resets: 0,
        }
    }

    /// A 16 kHz "G.722-like" decoder (RTP clock 8000, two samples per byte).
    pub fn wide() -> Self {
        Self {
            rate: 16_000,
            codec: CodecId::G722,
            samples_per_byte: 2,
            ..Self::narrow()
        }
    }
}

impl Decoder for TestDecoder {
    fn codec(&self) -> CodecId {
        self.codec
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> tipring_codec::Result<usize> {
        for &b in payload {
            for _ in 0..self.samples_per_byte {
                out.push(i16::from(b) * 100);
            }
        }
        self.decoded += 1;
        Ok(payload.len() * self.samples_per_byte)
    }
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        out.extend(std::iter::repeat_n(CONCEAL_VALUE, samples));
        self.concealed += samples;
    }
    fn reset(&mut self) {
        self.resets += 1;
    }
}

/// A tone-like periodic payload (period 40 samples = 200 Hz at 8 kHz) so that
/// time-stretching finds a pitch; values stay positive-ish bytes.
pub fn tone_payload(start_sample: u64, n: usize) -> Vec<u8> {
    (0..n as u64)
        .map(|i| {
            let ph = ((start_sample + i) % 40) as f64 / 40.0;
            (100.0 + 80.0 * (std::f64::consts::TAU * ph).sin()) as u8
        })
        .collect()
}

pub fn audio<'a>(seq: u16, ts: u32, payload: &'a [u8], arrival: Instant) -> Packet<'a> {
    Packet {
        ssrc: 0x1234,
        seq,
        timestamp: ts,
        marker: false,
        kind: PayloadKind::Audio,
        payload,
        arrival,
    }
}

pub fn narrow_jb(cfg: Config) -> JitterBuffer<TestDecoder> {
    JitterBuffer::new(cfg, TestDecoder::narrow()).expect("valid config")
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct Run {
    pub kinds: Vec<FrameKind>,
    pub pcm: Vec<i16>,
    /// (time in ms, current delay in ms, target in ms) per pull.
    pub delays: Vec<(u64, u32, u32)>,
}

impl Run {
    pub fn count(&self, k: FrameKind) -> usize {
        self.kinds.iter().filter(|&&x| x == k).count()
    }
}

/// Sends 20 ms packets of `payload_fn(seq)` through `net` for `seconds` of sender time,
/// pulling 10 ms frames. Packet `i` has seq `seq0 + i`, timestamp `ts0 + 160·i`.
pub fn drive_netem(
    jb: &mut JitterBuffer<TestDecoder>,
    net: &mut Netem<u32>,
    t0: Instant,
    seconds: u64,
    seq0: u16,
    ts0: u32,
    keep_pcm: bool,
) -> Run {
    let mut run = Run::default();
    let packets = seconds * 50;
    let mut next_send = 0u64;
    let ticks = seconds * 100 + 50;
    for tick in 0..ticks {
        let now = t0 + ms(10 * tick);
        if next_send == packets
            && net.in_flight() == 0
            && jb.buffered_packets() == 0
            && jb.buffered_samples() == 0
        {
            break; // end of stream: stop before the tail is concealed
        }
        // The sender sends packet i at 20·i ms on its own clock, which (drift) is
        // 20·i / (1 + ppm·1e-6) ms on ours: send each one when our clock gets there.
        let scale = 1.0 / (1.0 + net.config().drift_ppm * 1e-6);
        while next_send < packets && (next_send * 20) as f64 * scale <= (10 * tick) as f64 {
            net.send(t0 + ms(20 * next_send), next_send as u32);
            next_send += 1;
        }
        while let Some(d) = net.poll(now) {
            let i = d.packet;
            let payload = tone_payload(u64::from(i) * 160, 160);
            let p = audio(
                seq0.wrapping_add(i as u16),
                ts0.wrapping_add(160 * i),
                &payload,
                d.at,
            );
            jb.insert(&p);
        }
        let f = jb.pull(now);
        run.kinds.push(f.kind);
        if keep_pcm {
            run.pcm.extend_from_slice(f.pcm);
        }
        let st = jb.stats();
        run.delays
            .push((10 * tick, st.current_delay_ms, st.nominal_delay_ms));
    }
    run
}

/// One scheduled arrival.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at_ms: u64,
    pub seq: u16,
    pub ts: u32,
    pub marker: bool,
    pub kind: PayloadKind,
    pub payload: Vec<u8>,
}

/// 20 ms packets `i in range`, arriving at `delay_ms + 20·i`, payload bytes all `i as u8`
/// (so the played PCM tells which packet it came from: value `(i as u8) * 100`).
pub fn regular(range: std::ops::Range<u32>, seq0: u16, ts0: u32, delay_ms: u64) -> Vec<Arrival> {
    range
        .map(|i| Arrival {
            at_ms: delay_ms + 20 * u64::from(i),
            seq: seq0.wrapping_add(i as u16),
            ts: ts0.wrapping_add(160 * i),
            marker: false,
            kind: PayloadKind::Audio,
            payload: vec![i as u8; 160],
        })
        .collect()
}

/// Inserts `arrivals` (any order; inserted by arrival time, ties in list order) and pulls
/// every `frame_ms` for `ticks` pulls.
pub fn drive_schedule<D: Decoder>(
    jb: &mut JitterBuffer<D>,
    t0: Instant,
    arrivals: &[Arrival],
    ticks: u64,
    frame_ms: u64,
) -> Run {
    let mut order: Vec<usize> = (0..arrivals.len()).collect();
    order.sort_by_key(|&i| arrivals[i].at_ms);
    let mut k = 0;
    let mut run = Run::default();
    for tick in 0..ticks {
        let now_ms = tick * frame_ms;
        if k == order.len() && jb.buffered_packets() == 0 && jb.buffered_samples() == 0 {
            break; // end of stream: stop before the tail is concealed
        }
        while k < order.len() && arrivals[order[k]].at_ms <= now_ms {
            let a = &arrivals[order[k]];
            jb.insert(&Packet {
                ssrc: 0x1234,
                seq: a.seq,
                timestamp: a.ts,
                marker: a.marker,
                kind: a.kind,
                payload: &a.payload,
                arrival: t0 + ms(a.at_ms),
            });
            k += 1;
        }
        let f = jb.pull(t0 + ms(now_ms));
        run.kinds.push(f.kind);
        run.pcm.extend_from_slice(f.pcm);
        let st = jb.stats();
        run.delays
            .push((now_ms, st.current_delay_ms, st.nominal_delay_ms));
    }
    run
}

/// The packet indices in play order, from PCM made by [`regular`] payloads (runs of equal
/// non-zero values; concealment and silence skipped).
pub fn played_order(pcm: &[i16]) -> Vec<i16> {
    let mut out: Vec<i16> = Vec::new();
    for &s in pcm {
        if s <= 0 {
            continue;
        }
        let v = s / 100;
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}
