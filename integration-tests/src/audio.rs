//! Audio for media tests: WAV files in and out, test signals, level and frequency
//! measurement, and independent decoders.
//!
//! Levels follow Tipring's convention ([`tipring_dsp::level`]): linear 16-bit PCM maps onto
//! ITU-T G.711 so that the µ-law full-scale sine is +3.17 dBm0, i.e. a 0 dBm0 sine has a
//! peak of [`DBM0_PEAK`] (22 748). A tone written by [`tone`] at `L` dBm0 and sent through
//! a G.711 call reads `L` dBm0 (to a fraction of a dB) from [`tone_level_dbm0`] at the far
//! end.
//!
//! The measurements are plain Rust; the tools are Debian's: `sox` (package `sox`) converts
//! sample rates and encodes µ-law, `multimon-ng` (package `multimon-ng`) decodes DTMF
//! independently of Tipring's own detector. A missing tool is an [`Error::MissingTool`]
//! naming its package.
//!
//! ```no_run
//! use tipring_integration_tests::audio::{self, tone, tone_level_dbm0, write_wav};
//!
//! # fn main() -> tipring_integration_tests::Result<()> {
//! // a 1004 Hz test tone at -10 dBm0, 2 s, to play into a call
//! write_wav("tone.wav".as_ref(), &tone(1004.0, -10.0, 2000, 8000), 8000)?;
//! // ... after the call: what the far end recorded, at 8 kHz whatever its codec
//! let heard = audio::read_wav_8k("dump-dec.wav".as_ref())?;
//! let level = tone_level_dbm0(&heard[8000..16000], 1004.0, 8000);
//! assert!((level + 10.0).abs() < 1.0, "{level} dBm0");
//! // in-band DTMF, decoded by multimon-ng
//! assert_eq!(audio::decode_dtmf(&heard)?, "");
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

pub use tipring_dsp::level::DBM0_PEAK;

use crate::peers::{find_tool, PeerDir as TempDir};
use crate::{Error, Result};

/// The sample rate multimon-ng's demodulators expect.
const MULTIMON_RATE: u32 = 22_050;

/// DTMF row (low group) frequencies in Hz, ITU-T Q.23 §2 (697, 770, 852, 941).
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];

/// DTMF column (high group) frequencies in Hz, ITU-T Q.23 §2 (1209, 1336, 1477, 1633).
pub const DTMF_COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The keypad of ITU-T Q.23 Figure 1, by row and column.
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The (low, high) frequency pair of a DTMF key (`0`-`9`, `*`, `#`, `A`-`D`, case
/// insensitive), ITU-T Q.23.
pub fn dtmf_frequencies(key: char) -> Option<(f64, f64)> {
    let key = key.to_ascii_uppercase();
    KEYPAD.iter().enumerate().find_map(|(row, keys)| {
        keys.iter()
            .position(|&k| k == key)
            .map(|col| (DTMF_ROWS[row], DTMF_COLUMNS[col]))
    })
}

/// Writes `samples` as a mono 16-bit PCM WAV file at `rate` Hz.
pub fn write_wav(path: &Path, samples: &[i16], rate: u32) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |e: hound::Error| wav_error(format!("writing {}", path.display()), e);
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    let mut samples_out = writer.get_i16_writer(samples.len() as u32);
    for &s in samples {
        samples_out.write_sample(s);
    }
    samples_out.flush().map_err(wav_err)?;
    writer.finalize().map_err(wav_err)
}

/// Reads a 16-bit PCM WAV file: its samples (several channels averaged into one) and its
/// sample rate, as recorded.
///
/// baresip records at its codec's rate (8 kHz for G.711, 16 kHz for G.722, 48 kHz stereo
/// for Opus); [`read_wav_8k`] converts to 8 kHz mono.
pub fn read_wav(path: &Path) -> Result<(Vec<i16>, u32)> {
    let wav_err = |e: hound::Error| wav_error(format!("reading {}", path.display()), e);
    let mut reader = hound::WavReader::open(path).map_err(wav_err)?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        return Err(Error::InvalidConfig(format!(
            "{}: {:?} {}-bit samples; read_wav takes 16-bit PCM (convert with read_wav_8k)",
            path.display(),
            spec.sample_format,
            spec.bits_per_sample
        )));
    }
    let interleaved = reader
        .samples::<i16>()
        .collect::<std::result::Result<Vec<i16>, _>>()
        .map_err(wav_err)?;
    let channels = usize::from(spec.channels.max(1));
    let samples = if channels == 1 {
        interleaved
    } else {
        interleaved
            .chunks_exact(channels)
            .map(|frame| {
                let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
                (sum / channels as i32) as i16
            })
            .collect()
    };
    Ok((samples, spec.sample_rate))
}

/// Reads any WAV file sox can read (any rate, channels, encoding — µ-law too) as 8 kHz
/// mono 16-bit samples. A file that already is 8 kHz 16-bit PCM is read without sox.
pub fn read_wav_8k(path: &Path) -> Result<Vec<i16>> {
    read_wav_at(path, 8000)
}

/// Reads any WAV file sox can read as mono 16-bit samples at `rate` Hz (converted by
/// sox; a file already in that form is read without it).
pub fn read_wav_at(path: &Path, rate: u32) -> Result<Vec<i16>> {
    if let Ok(reader) = hound::WavReader::open(path) {
        let spec = reader.spec();
        let plain = spec.sample_rate == rate
            && spec.channels == 1
            && spec.bits_per_sample == 16
            && spec.sample_format == hound::SampleFormat::Int;
        if plain {
            return read_wav(path).map(|(samples, _)| samples);
        }
    }
    let dir = TempDir::new("audio")?;
    let out = dir.path().join("converted.wav");
    let rate = rate.to_string();
    sox(&[
        path.as_os_str(),
        "-r".as_ref(),
        rate.as_ref(),
        "-c".as_ref(),
        "1".as_ref(),
        "-b".as_ref(),
        "16".as_ref(),
        "-e".as_ref(),
        "signed-integer".as_ref(),
        out.as_os_str(),
    ])?;
    read_wav(&out).map(|(samples, _)| samples)
}

/// Writes `samples` (8 kHz, 16-bit linear) as a WAV file of G.711 µ-law bytes (WAVE
/// format tag 7, 8-bit, 8 kHz mono), encoded by sox.
///
/// This is what SIPp's `<exec rtp_stream="FILE,LOOPS,0"/>` plays with payload type 0
/// (PCMU): SIPp 3.6 does not decode the file, it skips the RIFF/WAVE header and sends the
/// data bytes as they are, 160 per 20 ms packet. (Payload type 8 would need A-law bytes.)
/// Checked by hand on this machine: SIPp 3.6.1 playing such a file of a -10 dBm0 1004 Hz
/// tone to a baresip that recorded it: 1004 Hz at -10.0 dBm0.
pub fn ulaw_wav(path: &Path, samples: &[i16]) -> Result<()> {
    let dir = TempDir::new("audio")?;
    let linear = dir.path().join("linear.wav");
    write_wav(&linear, samples, 8000)?;
    sox(&[
        linear.as_os_str(),
        "-r".as_ref(),
        "8000".as_ref(),
        "-c".as_ref(),
        "1".as_ref(),
        "-e".as_ref(),
        "u-law".as_ref(),
        "-b".as_ref(),
        "8".as_ref(),
        path.as_os_str(),
    ])
}

/// A sine of `hz` at `dbm0` (peak per [`tipring_dsp::level::dbm0_to_peak`]), `ms`
/// milliseconds long at `rate` Hz.
pub fn tone(hz: f64, dbm0: f64, ms: u32, rate: u32) -> Vec<i16> {
    mix(&[(hz, dbm0)], ms, rate)
}

/// A sum of sines `(hz, dbm0)`, each at its own level, `ms` milliseconds at `rate` Hz
/// (clipped to 16 bits).
pub fn mix(components: &[(f64, f64)], ms: u32, rate: u32) -> Vec<i16> {
    let n = samples_for(ms, rate);
    let parts: Vec<(f64, f64)> = components
        .iter()
        .map(|&(hz, dbm0)| {
            let peak = f64::from(tipring_dsp::level::dbm0_to_peak(dbm0 as f32));
            (
                2.0 * std::f64::consts::PI * hz / f64::from(rate.max(1)),
                peak,
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let v: f64 = parts.iter().map(|&(w, a)| a * (w * i as f64).sin()).sum();
            v.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// Silence, `ms` milliseconds at `rate` Hz.
pub fn silence(ms: u32, rate: u32) -> Vec<i16> {
    vec![0; samples_for(ms, rate)]
}

/// In-band DTMF for `digits`: each key's two Q.23 frequencies at `dbm0` each, `on_ms`
/// long, followed by `off_ms` of silence. Keys that are not DTMF keys (spaces, `,`) become
/// a pause of `on_ms + off_ms`.
///
/// ITU-T Q.24 (Table A-1) asks receivers to accept tones of 40 ms and pauses of 40 ms and
/// levels down to about -25 dBm0 per frequency; 100 ms on / 100 ms off at -7 dBm0 is a
/// comfortable, typical telephone's output.
pub fn dtmf_sequence(digits: &str, on_ms: u32, off_ms: u32, dbm0: f64, rate: u32) -> Vec<i16> {
    let mut out = Vec::new();
    for key in digits.chars() {
        match dtmf_frequencies(key) {
            Some((low, high)) => {
                out.extend(mix(&[(low, dbm0), (high, dbm0)], on_ms, rate));
                out.extend(silence(off_ms, rate));
            }
            None => out.extend(silence(on_ms + off_ms, rate)),
        }
    }
    out
}

/// The level in dBm0 of the component at `hz` in `samples` (a Goertzel single-bin DFT
/// over the whole block, scaled so a sine of `L` dBm0 reads `L`). Pass only the part of a
/// recording where the tone is: silence around it lowers the reading.
pub fn tone_level_dbm0(samples: &[i16], hz: f64, rate: u32) -> f64 {
    if samples.is_empty() || rate == 0 {
        return f64::from(tipring_dsp::level::SILENCE_DBM0);
    }
    // the windowed amplitude of a sine of peak A is A * (window mean) on its bin
    let amplitude = goertzel_magnitude(samples, hz, rate) * 2.0 / window_sum(samples.len());
    amplitude_to_dbm0(amplitude)
}

/// The RMS level of `samples` in dBm0 (relative to a 0 dBm0 sine), whatever their
/// frequencies.
pub fn rms_dbm0(samples: &[i16]) -> f64 {
    f64::from(tipring_dsp::level::rms_dbm0(samples))
}

/// The frequency in Hz of the strongest component of `samples` (50 Hz to Nyquist),
/// to a fraction of a Hz for a steady tone.
///
/// It looks at up to 4096 samples from the middle of the block (Hann window, DFT bins by
/// Goertzel, refined by parabolic interpolation). `None` for fewer than 64 samples or
/// digital silence.
pub fn dominant_frequency(samples: &[i16], rate: u32) -> Option<f64> {
    const MAX_LEN: usize = 4096;
    if samples.len() < 64 || rate == 0 || samples.iter().all(|&s| s == 0) {
        return None;
    }
    let len = samples.len().min(MAX_LEN);
    let start = (samples.len() - len) / 2;
    let block = &samples[start..start + len];
    let bin_hz = f64::from(rate) / len as f64;
    let first = (50.0 / bin_hz).ceil().max(1.0) as usize;
    let last = len / 2 - 1;
    if first + 2 > last {
        return None;
    }
    let magnitudes: Vec<f64> = (first..=last)
        .map(|k| goertzel_magnitude(block, k as f64 * bin_hz, rate))
        .collect();
    let (best, _) = magnitudes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    // parabolic interpolation on the log magnitudes of the peak and its neighbours
    let offset = if best > 0 && best + 1 < magnitudes.len() {
        let (a, b, c) = (
            magnitudes[best - 1].max(1e-9).ln(),
            magnitudes[best].max(1e-9).ln(),
            magnitudes[best + 1].max(1e-9).ln(),
        );
        let denominator = a - 2.0 * b + c;
        if denominator.abs() > f64::EPSILON {
            (0.5 * (a - c) / denominator).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    Some((first as f64 + best as f64 + offset) * bin_hz)
}

/// What [`decode_dtmf`] decodes: samples at a rate, or a WAV file (any format sox reads).
#[derive(Debug, Clone, Copy)]
pub enum AudioInput<'a> {
    /// 16-bit mono samples at 8 kHz.
    Samples8k(&'a [i16]),
    /// 16-bit mono samples at the given rate.
    Samples(&'a [i16], u32),
    /// A WAV file.
    File(&'a Path),
}

impl<'a> From<&'a [i16]> for AudioInput<'a> {
    fn from(samples: &'a [i16]) -> Self {
        Self::Samples8k(samples)
    }
}

impl<'a> From<&'a Vec<i16>> for AudioInput<'a> {
    fn from(samples: &'a Vec<i16>) -> Self {
        Self::Samples8k(samples)
    }
}

impl<'a> From<(&'a [i16], u32)> for AudioInput<'a> {
    fn from((samples, rate): (&'a [i16], u32)) -> Self {
        Self::Samples(samples, rate)
    }
}

impl<'a> From<&'a Path> for AudioInput<'a> {
    fn from(path: &'a Path) -> Self {
        Self::File(path)
    }
}

impl<'a> From<&'a PathBuf> for AudioInput<'a> {
    fn from(path: &'a PathBuf) -> Self {
        Self::File(path)
    }
}

/// Decodes in-band DTMF with `multimon-ng` (an independent decoder): the keys pressed, in
/// order, e.g. `"123#"`.
///
/// The audio is converted to multimon-ng's 22 050 Hz raw 16-bit input by sox, then cut
/// into tone bursts (10 ms frames above -45 dBm0 and within 20 dB of the loudest frame,
/// gaps under 30 ms bridged), and each burst is decoded on its own: one burst is one key
/// press, so multimon-ng reporting the same key twice within a burst (a tone that
/// wavered) counts once, while the same key pressed twice (`"11"`, two bursts) counts
/// twice. A burst multimon-ng finds no key in adds nothing.
pub fn decode_dtmf<'a>(input: impl Into<AudioInput<'a>>) -> Result<String> {
    let multimon = find_tool("multimon-ng", "multimon-ng")?;
    let dir = TempDir::new("dtmf")?;
    let source = match input.into() {
        AudioInput::File(path) => path.to_owned(),
        AudioInput::Samples8k(samples) => {
            let path = dir.path().join("in.wav");
            write_wav(&path, samples, 8000)?;
            path
        }
        AudioInput::Samples(samples, rate) => {
            let path = dir.path().join("in.wav");
            write_wav(&path, samples, rate)?;
            path
        }
    };
    let raw = dir.path().join("all.raw");
    sox(&[
        source.as_os_str(),
        "-t".as_ref(),
        "raw".as_ref(),
        "-r".as_ref(),
        "22050".as_ref(),
        "-e".as_ref(),
        "signed-integer".as_ref(),
        "-b".as_ref(),
        "16".as_ref(),
        "-c".as_ref(),
        "1".as_ref(),
        raw.as_os_str(),
    ])?;
    let bytes =
        std::fs::read(&raw).map_err(|e| Error::io(format!("reading {}", raw.display()), e))?;
    let samples: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();

    let mut digits = String::new();
    // a little silence around each burst, as multimon-ng's detector wants to see the end
    let pad = vec![0i16; (MULTIMON_RATE / 20) as usize];
    for (i, (start, end)) in tone_bursts(&samples, MULTIMON_RATE).into_iter().enumerate() {
        let mut burst = pad.clone();
        burst.extend_from_slice(&samples[start..end]);
        burst.extend_from_slice(&pad);
        let path = dir.path().join(format!("burst-{i}.raw"));
        let bytes: Vec<u8> = burst.iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&path, bytes)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        let output = run(Command::new(&multimon)
            .args(["-q", "-t", "raw", "-a", "DTMF"])
            .arg(&path))?;
        let mut last = None;
        for key in parse_multimon_dtmf(&output) {
            if last != Some(key) {
                digits.push(key);
                last = Some(key);
            }
        }
    }
    Ok(digits)
}

/// The keys in multimon-ng's output (`DTMF: 5` lines), in order, repeats included.
fn parse_multimon_dtmf(output: &str) -> Vec<char> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("DTMF:"))
        .filter_map(|rest| rest.trim().chars().next())
        .filter(|&c| dtmf_frequencies(c).is_some())
        .collect()
}

/// The tone bursts of `samples` as `(start, end)` sample ranges: 10 ms frames whose RMS
/// is above -45 dBm0 and within 20 dB of the loudest frame, runs joined over gaps shorter
/// than 30 ms, runs shorter than 20 ms dropped.
fn tone_bursts(samples: &[i16], rate: u32) -> Vec<(usize, usize)> {
    let frame = (rate / 100).max(1) as usize;
    let levels: Vec<f64> = samples.chunks(frame).map(rms_dbm0).collect();
    let Some(loudest) = levels.iter().copied().max_by(f64::total_cmp) else {
        return Vec::new();
    };
    let threshold = (loudest - 20.0).max(-45.0);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, &level) in levels.iter().enumerate() {
        if level < threshold {
            continue;
        }
        match runs.last_mut() {
            // bridge a gap of up to 2 quiet frames (< 30 ms)
            Some((_, end)) if i <= *end + 2 => *end = i + 1,
            _ => runs.push((i, i + 1)),
        }
    }
    runs.into_iter()
        .filter(|(start, end)| end - start >= 2)
        .map(|(start, end)| (start * frame, (end * frame).min(samples.len())))
        .collect()
}

/// |X(hz)| of a Hann-windowed block, by the Goertzel recurrence.
fn goertzel_magnitude(samples: &[i16], hz: f64, rate: u32) -> f64 {
    let n = samples.len();
    let w = 2.0 * std::f64::consts::PI * hz / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for (i, &x) in samples.iter().enumerate() {
        let s0 = f64::from(x) * hann(i, n) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0).sqrt()
}

/// The Hann window (periodic form) at sample `i` of `n`.
fn hann(i: usize, n: usize) -> f64 {
    0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()
}

/// The sum of the Hann window over `n` samples (`n / 2`).
fn window_sum(n: usize) -> f64 {
    (0..n)
        .map(|i| hann(i, n))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE)
}

/// dBm0 of a sine with peak `amplitude`, floored at the silence level.
fn amplitude_to_dbm0(amplitude: f64) -> f64 {
    let silence = f64::from(tipring_dsp::level::SILENCE_DBM0);
    if amplitude <= 0.0 {
        return silence;
    }
    (20.0 * (amplitude / f64::from(DBM0_PEAK)).log10()).max(silence)
}

/// How many samples `ms` milliseconds are at `rate` Hz.
fn samples_for(ms: u32, rate: u32) -> usize {
    (u64::from(ms) * u64::from(rate) / 1000) as usize
}

/// A hound error as an I/O error of `what`.
fn wav_error(what: String, e: hound::Error) -> Error {
    let source = match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
    };
    Error::io(what, source)
}

/// Runs sox with `args`.
fn sox(args: &[&std::ffi::OsStr]) -> Result<()> {
    let sox = find_tool("sox", "sox")?;
    run(Command::new(sox).args(args)).map(drop)
}

/// Runs `command` to completion: its stdout, or [`Error::Rpc`] with its status and
/// output.
fn run(command: &mut Command) -> Result<String> {
    let line = format!("{command:?}");
    let output = command
        .output()
        .map_err(|e| Error::io(format!("running {line}"), e))?;
    if !output.status.success() {
        return Err(Error::Rpc {
            command: line,
            detail: format!(
                "{}: {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ITU-T G.711 / Tipring's convention: a 0 dBm0 sine peaks at 22 748, and the
    /// Goertzel reading of a generated tone is its level.
    #[test]
    fn tones_read_back_at_their_level_and_frequency() {
        for (hz, dbm0) in [
            (1004.0, 0.0),
            (1004.0, -10.0),
            (440.0, -20.0),
            (2600.0, -3.0),
        ] {
            let samples = tone(hz, dbm0, 500, 8000);
            let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
            let expected_peak = f64::from(DBM0_PEAK) * 10f64.powf(dbm0 / 20.0);
            assert!((f64::from(peak) - expected_peak).abs() < expected_peak * 0.01 + 1.0);
            let level = tone_level_dbm0(&samples, hz, 8000);
            assert!(
                (level - dbm0).abs() < 0.1,
                "{hz} Hz: {level} dBm0, not {dbm0}"
            );
            assert!((rms_dbm0(&samples) - dbm0).abs() < 0.1);
            let found = dominant_frequency(&samples, 8000).unwrap();
            assert!((found - hz).abs() < 1.0, "{found} Hz, not {hz}");
            // another frequency, well away, reads far lower
            assert!(tone_level_dbm0(&samples, hz + 300.0, 8000) < dbm0 - 40.0);
        }
        // other rates
        let samples = tone(1004.0, -6.0, 300, 48_000);
        assert!((tone_level_dbm0(&samples, 1004.0, 48_000) + 6.0).abs() < 0.1);
        assert!((dominant_frequency(&samples, 48_000).unwrap() - 1004.0).abs() < 2.0);
        assert_eq!(dominant_frequency(&silence(100, 8000), 8000), None);
        assert_eq!(dominant_frequency(&[], 8000), None);
        assert!(tone_level_dbm0(&[], 1004.0, 8000) <= -120.0);
    }

    /// ITU-T Q.23: each key is the sum of its row and column frequencies.
    #[test]
    fn dtmf_sequence_has_the_q23_pairs_and_timing() {
        assert_eq!(dtmf_frequencies('5'), Some((770.0, 1336.0)));
        assert_eq!(dtmf_frequencies('#'), Some((941.0, 1477.0)));
        assert_eq!(dtmf_frequencies('d'), Some((941.0, 1633.0)));
        assert_eq!(dtmf_frequencies('x'), None);
        let samples = dtmf_sequence("5#", 100, 50, -7.0, 8000);
        assert_eq!(samples.len(), 2 * 1200);
        let five = &samples[..800];
        assert!((tone_level_dbm0(five, 770.0, 8000) + 7.0).abs() < 0.2);
        assert!((tone_level_dbm0(five, 1336.0, 8000) + 7.0).abs() < 0.2);
        assert!(tone_level_dbm0(five, 941.0, 8000) < -30.0);
        assert!(samples[800..1200].iter().all(|&s| s == 0));
        let pound = &samples[1200..2000];
        assert!((tone_level_dbm0(pound, 1477.0, 8000) + 7.0).abs() < 0.2);
    }

    #[test]
    fn wav_files_round_trip() {
        let dir = TempDir::new("wav-test").unwrap();
        let path = dir.path().join("t.wav");
        let samples = tone(1004.0, -3.0, 100, 16_000);
        write_wav(&path, &samples, 16_000).unwrap();
        let (back, rate) = read_wav(&path).unwrap();
        assert_eq!((back.as_slice(), rate), (samples.as_slice(), 16_000));
        // to 8 kHz by sox: same tone, half the samples
        let eight = read_wav_8k(&path).unwrap();
        assert!((eight.len() as i64 - 800).abs() <= 2, "{}", eight.len());
        assert!((tone_level_dbm0(&eight[100..700], 1004.0, 8000) + 3.0).abs() < 0.3);
        // not a WAV file
        std::fs::write(&path, b"not a wav").unwrap();
        assert!(matches!(read_wav(&path), Err(Error::Io { .. })));
    }

    #[test]
    fn stereo_is_averaged_into_mono() {
        let dir = TempDir::new("wav-test").unwrap();
        let path = dir.path().join("stereo.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for (l, r) in [(100i16, 300i16), (-1000, -3000)] {
            writer.write_sample(l).unwrap();
            writer.write_sample(r).unwrap();
        }
        writer.finalize().unwrap();
        assert_eq!(read_wav(&path).unwrap(), (vec![200, -2000], 8000));
        assert_eq!(read_wav_8k(&path).unwrap().len(), 2);
    }

    /// multimon-ng decodes generated Q.23 tones with Q.24-like timing (digits, `*`, `#`,
    /// A-D, a key pressed twice, a pause), from samples and from files at other rates.
    #[test]
    fn decode_dtmf_reads_generated_keys() {
        let keys = "1123#*0D9";
        let samples = dtmf_sequence(keys, 80, 80, -7.0, 8000);
        assert_eq!(decode_dtmf(&samples).unwrap(), keys);

        let dir = TempDir::new("dtmf-test").unwrap();
        let path = dir.path().join("keys.wav");
        let mut quiet = silence(300, 16_000);
        quiet.extend(dtmf_sequence("45, 6", 60, 60, -20.0, 16_000));
        write_wav(&path, &quiet, 16_000).unwrap();
        assert_eq!(decode_dtmf(&path).unwrap(), "456");
        assert_eq!(decode_dtmf((quiet.as_slice(), 16_000)).unwrap(), "456");

        // no keys: a pure tone, or silence
        assert_eq!(decode_dtmf(&tone(1004.0, -10.0, 500, 8000)).unwrap(), "");
        assert_eq!(decode_dtmf(&silence(200, 8000)).unwrap(), "");
    }

    #[test]
    fn multimon_output_is_parsed_and_bursts_are_found() {
        let out = "DTMF: 1\nDTMF: 1\nsomething else\nDTMF: #\nDTMF: ?\n";
        assert_eq!(parse_multimon_dtmf(out), vec!['1', '1', '#']);

        // two bursts with a 20 ms dropout inside the first: two presses
        let mut s = tone(1000.0, -10.0, 100, 8000);
        s.extend(silence(20, 8000));
        s.extend(tone(1000.0, -10.0, 50, 8000));
        s.extend(silence(100, 8000));
        s.extend(tone(1000.0, -10.0, 100, 8000));
        let bursts = tone_bursts(&s, 8000);
        assert_eq!(bursts, vec![(0, 1360), (2160, 2960)]);
        assert!(tone_bursts(&[], 8000).is_empty());
    }

    /// ITU-T G.711 µ-law through sox: format tag 7, 8-bit, 8 kHz mono, one byte per
    /// sample; decoding it again gives the samples back to within µ-law's step size.
    #[test]
    fn ulaw_wav_round_trips_through_sox() {
        let dir = TempDir::new("ulaw-test").unwrap();
        let path = dir.path().join("tone.ulaw.wav");
        let samples = tone(1004.0, -10.0, 200, 8000);
        ulaw_wav(&path, &samples).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 7, "format tag");
        assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 1, "channels");
        let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
        assert_eq!(rate, 8000);
        assert_eq!(u16::from_le_bytes([bytes[34], bytes[35]]), 8, "bits");
        let data = bytes.windows(4).position(|w| w == b"data").unwrap();
        let size = u32::from_le_bytes([
            bytes[data + 4],
            bytes[data + 5],
            bytes[data + 6],
            bytes[data + 7],
        ]);
        assert_eq!(size as usize, samples.len());

        let back = read_wav_8k(&path).unwrap();
        assert_eq!(back.len(), samples.len());
        for (a, b) in samples.iter().zip(&back) {
            // the µ-law step is at most 1/16 of the magnitude (G.711 segments) + rounding
            let tolerance = (i32::from(a.unsigned_abs()) / 16).max(8) + 8;
            assert!(
                (i32::from(*a) - i32::from(*b)).abs() <= tolerance,
                "{a} vs {b}"
            );
        }
        assert!((tone_level_dbm0(&back, 1004.0, 8000) + 10.0).abs() < 0.2);
    }
}
