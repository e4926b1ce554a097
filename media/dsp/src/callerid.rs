//! Caller ID: message encoding (SDMF/MDMF, ETSI), FSK bursts, DTMF CLIP, alerting tones.
//!
//! * [`encode`] / [`decode`] / [`MessageReceiver`]: the data link messages of Telcordia
//!   GR-30-CORE (SDMF 0x04 / 0x06, MDMF 0x80 / 0x82) and ETSI EN 300 659-3 (which uses the
//!   MDMF layout: 0x80 call set-up, 0x82 message waiting).
//! * [`fsk_burst`]: channel seizure + mark + message as Bell 202 or V.23 FSK.
//! * [`dtmf_clip_digits`] / [`parse_dtmf_clip`]: DTMF CLIP strings.
//! * [`CAS`], [`DT_AS`] and [`DualToneDetector`]: the dual-tone alerting signals.
//!
//! ```
//! use tipring_dsp::callerid::{self, CallerId, DateTime, Format, Message};
//! use tipring_dsp::fsk::{FskDemodulator, FskStandard};
//!
//! let cid = CallerId {
//!     number: Some("5551234567".into()),
//!     name: Some("DOE JOHN".into()),
//!     when: Some(DateTime { month: 3, day: 14, hour: 15, minute: 9 }),
//!     ..CallerId::default()
//! };
//! let bytes = callerid::encode(&Message::Call(cid.clone()), Format::Mdmf);
//! // The line side plays this between the first and second ring ...
//! let mut burst = callerid::fsk_burst(FskStandard::Bell202, &bytes, false, -13.0);
//! let mut pcm = vec![0i16; burst.remaining_samples()];
//! burst.fill(&mut pcm);
//! // ... and the phone decodes it.
//! let mut demod = FskDemodulator::new(FskStandard::Bell202);
//! let mut rx = callerid::MessageReceiver::new();
//! let mut got = None;
//! demod.process(&pcm, |b| got = got.take().or(rx.push(b)));
//! assert_eq!(got, Some(Message::Call(cid)));
//! ```

use crate::cadence::{After, Cadence, CadenceStep};
use crate::error::{Error, Result};
use crate::fsk::{FskModulator, FskStandard};
use crate::goertzel::Goertzel;
use crate::level::dbm0_to_peak;
use crate::tone::{ToneComponent, ToneSpec};

/// How caller ID is signalled to an on-hook phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalling {
    /// Telcordia GR-30-CORE: Bell 202 FSK between the first and second ring.
    Bell202,
    /// ETSI EN 300 659-1 V.23 FSK with the given alerting.
    Etsi(EtsiAlert),
    /// DTMF CLIP (ETSI EN 300 659-1 Annex B / ES 200 778-1 style: 'A' number 'C' before the
    /// first ring after a polarity reversal).
    DtmfClip,
    /// No caller ID.
    Off,
}

/// ETSI EN 300 659-1 alerting methods for on-hook data transmission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtsiAlert {
    /// Data after the first ring (EN 300 659-1 §6.1.1).
    AfterFirstRing,
    /// Line reversal, then the dual-tone alerting signal DT-AS, then data before the first
    /// ring (EN 300 659-1 §6.1.2; also BT SIN 227).
    LineReversalDtAs,
    /// A short ring pulse (RP-AS), then data before the first ring (EN 300 659-1 §6.1.3).
    RingPulse,
}

impl Signalling {
    /// The FSK tone pair of this method, if it uses FSK.
    pub fn fsk_standard(self) -> Option<FskStandard> {
        match self {
            Signalling::Bell202 => Some(FskStandard::Bell202),
            Signalling::Etsi(_) => Some(FskStandard::V23),
            Signalling::DtmfClip | Signalling::Off => None,
        }
    }
}

/// Month, day, hour and minute of a call (no year: none of the formats carries one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
}

/// Why a number or name is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    /// Withheld by the caller (`'P'`).
    Private,
    /// Not available, e.g. out of area (`'O'`).
    Unavailable,
}

impl Absence {
    fn code(self) -> u8 {
        match self {
            Absence::Private => b'P',
            Absence::Unavailable => b'O',
        }
    }

    fn from_code(b: u8) -> Option<Self> {
        match b {
            b'P' => Some(Absence::Private),
            b'O' => Some(Absence::Unavailable),
            _ => None,
        }
    }
}

/// Calling-line information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerId {
    /// Calling number (digits).
    pub number: Option<String>,
    /// Why the number is absent (used when `number` is `None`).
    pub number_absence: Option<Absence>,
    /// Calling name.
    pub name: Option<String>,
    /// Why the name is absent (used when `name` is `None`).
    pub name_absence: Option<Absence>,
    /// Date and time of the call.
    pub when: Option<DateTime>,
}

/// Message layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Single data message format (GR-30-CORE): date and number only.
    Sdmf,
    /// Multiple data message format (GR-30-CORE; the ETSI EN 300 659-3 layout).
    Mdmf,
}

/// A caller-ID data link message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Call set-up: calling-line information.
    Call(CallerId),
    /// Visual message-waiting indicator on or off.
    Vmwi {
        /// Messages are waiting.
        active: bool,
    },
}

/// SDMF calling number delivery (GR-30-CORE).
pub const SDMF_CALL: u8 = 0x04;
/// SDMF message waiting (GR-30-CORE).
pub const SDMF_VMWI: u8 = 0x06;
/// MDMF call set-up (GR-30-CORE; EN 300 659-3 §5.2 "Call Setup").
pub const MDMF_CALL: u8 = 0x80;
/// MDMF message waiting indicator (GR-30-CORE; EN 300 659-3 §5.2).
pub const MDMF_VMWI: u8 = 0x82;

/// Longest number in an SDMF message (GR-30-CORE: 10 digits); longer ones are truncated.
pub const SDMF_MAX_NUMBER: usize = 10;
/// Longest number in an MDMF message (EN 300 659-3 parameter 0x02: 20 characters).
pub const MDMF_MAX_NUMBER: usize = 20;
/// Longest name in an MDMF message (EN 300 659-3 parameter 0x07: 50 characters; GR-30-CORE
/// phones show 15, so the line side should shorten names for them).
pub const MDMF_MAX_NAME: usize = 50;

const P_DATE: u8 = 0x01;
const P_NUMBER: u8 = 0x02;
const P_NUMBER_ABSENCE: u8 = 0x04;
const P_NAME: u8 = 0x07;
const P_NAME_ABSENCE: u8 = 0x08;
const P_VMWI: u8 = 0x0B;

fn date_bytes(when: Option<DateTime>) -> [u8; 8] {
    let d = when.unwrap_or(DateTime {
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
    });
    let mut out = [0u8; 8];
    for (i, v) in [d.month, d.day, d.hour, d.minute].into_iter().enumerate() {
        let v = v.min(99);
        out[2 * i] = b'0' + v / 10;
        out[2 * i + 1] = b'0' + v % 10;
    }
    out
}

fn parse_date(b: &[u8]) -> Result<Option<DateTime>> {
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::Malformed("date/time must be 8 ASCII digits"));
    }
    let v = |i: usize| (b[2 * i] - b'0') * 10 + (b[2 * i + 1] - b'0');
    let d = DateTime {
        month: v(0),
        day: v(1),
        hour: v(2),
        minute: v(3),
    };
    // All zeros is what `encode` sends in SDMF when no date is known.
    Ok(if d.month == 0 && d.day == 0 {
        None
    } else {
        Some(d)
    })
}

/// Text as bytes (characters outside Latin-1 become '?'), at most `max`.
fn text_bytes(s: &str, max: usize) -> Vec<u8> {
    s.chars()
        .take(max)
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

fn bytes_text(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// Two's complement of the modulo-256 sum (GR-30-CORE; EN 300 659-3 §5.3 "checksum").
fn checksum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |a, &b| a.wrapping_add(b))
        .wrapping_neg()
}

fn finish(ty: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len().min(255);
    let mut out = Vec::with_capacity(len + 3);
    out.push(ty);
    out.push(len as u8);
    out.extend_from_slice(&payload[..len]);
    out.push(checksum(&out));
    out
}

/// Encode type, length, parameters and checksum (GR-30 SDMF 0x04/0x06, MDMF 0x80/0x82;
/// ETSI EN 300 659-3 uses the MDMF layout).
///
/// Limits: SDMF numbers are cut to [`SDMF_MAX_NUMBER`] digits, MDMF numbers to
/// [`MDMF_MAX_NUMBER`] and names to [`MDMF_MAX_NAME`] characters. SDMF always carries a date
/// (`00000000` when `when` is `None`) and has no name. A number that is `None` is sent as its
/// absence reason (`'O'` unavailable when none is given); a name that is `None` is sent as its
/// absence reason only if one is given.
pub fn encode(msg: &Message, fmt: Format) -> Vec<u8> {
    match (msg, fmt) {
        (Message::Call(cid), Format::Sdmf) => {
            let mut p = date_bytes(cid.when).to_vec();
            match &cid.number {
                Some(n) => p.extend(text_bytes(n, SDMF_MAX_NUMBER)),
                None => p.push(cid.number_absence.unwrap_or(Absence::Unavailable).code()),
            }
            finish(SDMF_CALL, &p)
        }
        (Message::Vmwi { active }, Format::Sdmf) => {
            finish(SDMF_VMWI, &[if *active { 0x42 } else { 0x6F }; 3])
        }
        (Message::Call(cid), Format::Mdmf) => {
            let mut p = Vec::new();
            let mut param = |ty: u8, v: &[u8]| {
                p.push(ty);
                p.push(v.len() as u8);
                p.extend_from_slice(v);
            };
            if cid.when.is_some() {
                param(P_DATE, &date_bytes(cid.when));
            }
            match &cid.number {
                Some(n) => param(P_NUMBER, &text_bytes(n, MDMF_MAX_NUMBER)),
                None => param(
                    P_NUMBER_ABSENCE,
                    &[cid.number_absence.unwrap_or(Absence::Unavailable).code()],
                ),
            }
            match (&cid.name, cid.name_absence) {
                (Some(n), _) => param(P_NAME, &text_bytes(n, MDMF_MAX_NAME)),
                (None, Some(a)) => param(P_NAME_ABSENCE, &[a.code()]),
                (None, None) => {}
            }
            finish(MDMF_CALL, &p)
        }
        (Message::Vmwi { active }, Format::Mdmf) => {
            finish(MDMF_VMWI, &[P_VMWI, 1, if *active { 0xFF } else { 0x00 }])
        }
    }
}

/// Decode one message from the start of `bytes`; Err on bad checksum/length/type. Returns
/// the message and the bytes consumed. Unknown MDMF parameters are skipped.
pub fn decode(bytes: &[u8]) -> Result<(Message, usize)> {
    if bytes.len() < 2 {
        return Err(Error::Truncated {
            needed: 2,
            have: bytes.len(),
        });
    }
    let ty = bytes[0];
    if ![SDMF_CALL, SDMF_VMWI, MDMF_CALL, MDMF_VMWI].contains(&ty) {
        return Err(Error::UnknownMessageType(ty));
    }
    let len = usize::from(bytes[1]);
    let total = len + 3;
    if bytes.len() < total {
        return Err(Error::Truncated {
            needed: total,
            have: bytes.len(),
        });
    }
    let computed = checksum(&bytes[..total - 1]);
    if computed != bytes[total - 1] {
        return Err(Error::BadChecksum {
            computed,
            received: bytes[total - 1],
        });
    }
    let p = &bytes[2..2 + len];
    let msg = match ty {
        SDMF_CALL => {
            if p.len() < 9 {
                return Err(Error::Malformed("SDMF call message shorter than date + 1"));
            }
            let mut cid = CallerId {
                when: parse_date(&p[..8])?,
                ..CallerId::default()
            };
            let rest = &p[8..];
            match (rest.len(), Absence::from_code(rest[0])) {
                (1, Some(a)) => cid.number_absence = Some(a),
                _ => cid.number = Some(bytes_text(rest)),
            }
            Message::Call(cid)
        }
        SDMF_VMWI => match p {
            [0x42, 0x42, 0x42] => Message::Vmwi { active: true },
            [0x6F, 0x6F, 0x6F] => Message::Vmwi { active: false },
            _ => return Err(Error::Malformed("SDMF VMWI must be 424242 or 6F6F6F")),
        },
        _ => {
            let mut cid = CallerId::default();
            let mut vmwi = None;
            let mut rest = p;
            while !rest.is_empty() {
                if rest.len() < 2 || rest.len() < 2 + usize::from(rest[1]) {
                    return Err(Error::Malformed("parameter overruns the message"));
                }
                let (pty, v) = (rest[0], &rest[2..2 + usize::from(rest[1])]);
                rest = &rest[2 + v.len()..];
                match pty {
                    P_DATE => cid.when = parse_date(v)?,
                    P_NUMBER => cid.number = Some(bytes_text(v)),
                    P_NUMBER_ABSENCE => {
                        cid.number_absence = v.first().and_then(|&b| Absence::from_code(b))
                    }
                    P_NAME => cid.name = Some(bytes_text(v)),
                    P_NAME_ABSENCE => {
                        cid.name_absence = v.first().and_then(|&b| Absence::from_code(b))
                    }
                    P_VMWI => vmwi = v.first().map(|&b| b != 0),
                    _ => {}
                }
            }
            if ty == MDMF_VMWI {
                match vmwi {
                    Some(active) => Message::Vmwi { active },
                    None => return Err(Error::Malformed("MDMF VMWI without parameter 0x0B")),
                }
            } else {
                Message::Call(cid)
            }
        }
    };
    Ok((msg, total))
}

/// Byte-stream receiver: feed demodulated bytes, get whole valid messages (skips leading
/// garbage, such as bytes framed out of the channel seizure).
#[derive(Debug, Clone, Default)]
pub struct MessageReceiver {
    buf: Vec<u8>,
}

/// Bytes kept while looking for a message (longest message: 258 bytes).
const RX_KEEP: usize = 512;

impl MessageReceiver {
    /// An empty receiver.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one byte; returns a message when one is complete and valid.
    pub fn push(&mut self, byte: u8) -> Option<Message> {
        self.buf.push(byte);
        if self.buf.len() > RX_KEEP {
            self.buf.drain(..self.buf.len() - RX_KEEP);
        }
        // The earliest offset at which a complete, valid message ends with this byte.
        for start in 0..self.buf.len() {
            if let Ok((msg, used)) = decode(&self.buf[start..]) {
                if start + used == self.buf.len() {
                    self.buf.clear();
                    return Some(msg);
                }
            }
        }
        None
    }

    /// Forget buffered bytes.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// Channel seizure / mark lengths (bits) for type 1 (on-hook) and type 2 (off-hook) per
/// standard: GR-30-CORE on-hook 300 seizure + 180 mark; EN 300 659-1 on-hook 300 + 80 (±25)
/// mark; type 2 (off-hook, GR-30 / EN 300 659-2): no seizure, 80 mark.
pub fn fsk_preamble(std: FskStandard, off_hook: bool) -> (u32, u32) {
    match (std, off_hook) {
        (_, true) => (0, 80),
        (FskStandard::Bell202, false) => (300, 180),
        (FskStandard::V23, false) => (300, 80),
    }
}

/// Convenience: a modulator loaded with preamble + message bytes + 1..2 trailing mark bytes
/// (16 mark bits).
pub fn fsk_burst(
    std: FskStandard,
    msg_bytes: &[u8],
    off_hook: bool,
    level_dbm0: f32,
) -> FskModulator {
    let (seizure, mark) = fsk_preamble(std, off_hook);
    let mut m = FskModulator::new(std, level_dbm0);
    m.push_seizure(seizure);
    m.push_mark(mark);
    m.push_bytes(msg_bytes);
    m.push_mark(16);
    m
}

/// DTMF CLIP digit string: `'A'` + number + `'C'`.
///
/// Absence is sent as the special information codes of EN 300 659-1 Annex B (DTMF CLIP):
/// `'B'` + `"00"` + `'C'` for unavailable and `'B'` + `"10"` + `'C'` for private. Characters of
/// the number that are not DTMF digits are dropped.
pub fn dtmf_clip_digits(cid: &CallerId) -> String {
    match &cid.number {
        Some(n) => {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            format!("A{digits}C")
        }
        None => match cid.number_absence.unwrap_or(Absence::Unavailable) {
            Absence::Unavailable => "B00C".to_owned(),
            Absence::Private => "B10C".to_owned(),
        },
    }
}

/// Decode a DTMF CLIP digit string back (for the simulated phone's display). Accepts `'D'` as
/// an alternative start code (used in some networks) and `'#'` as an alternative end code.
pub fn parse_dtmf_clip(digits: &str) -> Option<CallerId> {
    let d = digits.trim();
    let body = d.strip_suffix('C').or_else(|| d.strip_suffix('#'))?;
    let (start, rest) = body.split_at(body.chars().next()?.len_utf8());
    if !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match start {
        "A" | "D" if !rest.is_empty() => Some(CallerId {
            number: Some(rest.to_owned()),
            ..CallerId::default()
        }),
        "B" => {
            let absence = match rest {
                "00" => Absence::Unavailable,
                "10" => Absence::Private,
                _ => return None,
            };
            Some(CallerId {
                number_absence: Some(absence),
                ..CallerId::default()
            })
        }
        _ => None,
    }
}

/// CPE Alerting Signal for type 2 caller ID (SR-TSV-002476 / GR-30-CORE off-hook):
/// 2130 + 2750 Hz, 80 ms, once; -15 dBm0 per tone (within the -14 to -32 dBm range).
pub static CAS: ToneSpec = ToneSpec {
    components: &[
        ToneComponent::new(2130.0, -15.0),
        ToneComponent::new(2750.0, -15.0),
    ],
    modulation: None,
    cadence: Cadence {
        steps: &[CadenceStep::new(80, 0)],
        after: After::Stop,
    },
};

/// ETSI dual-tone alerting signal DT-AS (EN 300 659-1 §6.1.2; BT SIN 227 "TAS"):
/// 2130 + 2750 Hz, 100 ms, once; -15 dBm0 per tone.
pub static DT_AS: ToneSpec = ToneSpec {
    components: &[
        ToneComponent::new(2130.0, -15.0),
        ToneComponent::new(2750.0, -15.0),
    ],
    modulation: None,
    cadence: Cadence {
        steps: &[CadenceStep::new(100, 0)],
        after: After::Stop,
    },
};

/// Analysis block of the dual-tone detector: 5 ms.
const DT_BLOCK: usize = 40;

/// Detects a dual tone (CAS / DT-AS) — used by the simulated phone.
///
/// Every 5 ms block is checked for both frequencies at or above the minimum level, together
/// carrying most (≥ 70 %) of the block's energy; the detector fires once when such blocks have
/// lasted `min_ms` (less one block, for alignment), and re-arms after a block without the tone.
/// A 5 ms block has a 200 Hz bin width, so the ±0.5 % tolerance of SR-TSV-002476 costs
/// nothing, while the two tones (620 Hz apart) stay separate.
#[derive(Debug, Clone)]
pub struct DualToneDetector {
    g1: Goertzel,
    g2: Goertzel,
    block: [i16; DT_BLOCK],
    fill: usize,
    min_amp: f32,
    need_blocks: u32,
    run: u32,
    fired: bool,
}

impl DualToneDetector {
    /// A detector for `f1_hz` + `f2_hz`, each at least `min_level_dbm0`, lasting `min_ms`.
    pub fn new(f1_hz: f32, f2_hz: f32, min_level_dbm0: f32, min_ms: u32) -> Self {
        let block_ms = (DT_BLOCK as u32 * 1000) / crate::SAMPLE_RATE;
        Self {
            g1: Goertzel::new(f1_hz),
            g2: Goertzel::new(f2_hz),
            block: [0; DT_BLOCK],
            fill: 0,
            min_amp: dbm0_to_peak(min_level_dbm0),
            need_blocks: (min_ms / block_ms).saturating_sub(1).max(1),
            run: 0,
            fired: false,
        }
    }

    /// Returns true once per occurrence, when the tone has lasted `min_ms`.
    pub fn process(&mut self, samples: &[i16]) -> bool {
        let mut hit = false;
        for &s in samples {
            self.block[self.fill] = s;
            self.fill += 1;
            if self.fill < DT_BLOCK {
                continue;
            }
            self.fill = 0;
            if self.block_has_tone() {
                self.run += 1;
                if self.run >= self.need_blocks && !self.fired {
                    self.fired = true;
                    hit = true;
                }
            } else {
                self.run = 0;
                self.fired = false;
            }
        }
        hit
    }

    fn block_has_tone(&mut self) -> bool {
        self.g1.reset();
        self.g2.reset();
        self.g1.push(&self.block);
        self.g2.push(&self.block);
        let (a1, a2) = (self.g1.amplitude(), self.g2.amplitude());
        if a1 < self.min_amp || a2 < self.min_amp {
            return false;
        }
        let energy: f32 = self
            .block
            .iter()
            .map(|&s| f32::from(s) * f32::from(s))
            .sum();
        let tone_energy = DT_BLOCK as f32 * (a1 * a1 + a2 * a2) / 2.0;
        tone_energy >= 0.7 * energy
    }
}

#[cfg(test)]
mod tests;
