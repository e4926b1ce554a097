//! The phone's caller-ID display: on-hook FSK and DTMF CLIP, and type 2 (call waiting)
//! caller ID with its CAS handshake.

use tipring_dsp::callerid::{self, DualToneDetector, Message, MessageReceiver};
use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent};
use tipring_dsp::fsk::{FskDemodulator, FskStandard};
use tipring_dsp::goertzel::tone_level_dbm0;

/// CAS / DT-AS frequencies (SR-TSV-002476 §2.1; ETSI EN 300 659-1 §5.2).
pub(crate) const CAS_LOW_HZ: f32 = 2130.0;
/// See [`CAS_LOW_HZ`].
pub(crate) const CAS_HIGH_HZ: f32 = 2750.0;
/// Weakest CAS tone the phone responds to: SR-TSV-002476 sends −14 to −32 dBm per tone;
/// the detector allows a few dB of loop loss below that.
const CAS_MIN_DBM0: f32 = -36.0;
/// A CAS must last this long to be taken (SR-TSV-002476: 75–85 ms sent; ≥ 60 ms detected).
const CAS_MIN_MS: u32 = 60;
/// A "CAS" longer than this is something else.
const CAS_MAX_SAMPLES: u64 = 8 * 200;
/// Block for finding the end of the CAS.
const BLOCK: usize = 40;
/// How long the phone waits for the FSK after its acknowledgement (SR-TSV-002476: the data
/// starts within 500 ms of the ack).
const FSK_WAIT_SAMPLES: u64 = 8 * 2000;

/// On-hook caller ID: FSK (the phone's standard) and DTMF CLIP, while the feed is on-hook
/// transmission.
#[derive(Debug)]
pub(crate) struct OnHookReceiver {
    fsk: FskDemodulator,
    msgs: MessageReceiver,
    dtmf: DtmfDetector,
    /// DTMF CLIP digits collected since a start digit.
    clip: Option<String>,
}

impl OnHookReceiver {
    pub(crate) fn new(std: FskStandard) -> Self {
        Self {
            fsk: FskDemodulator::new(std),
            msgs: MessageReceiver::new(),
            dtmf: DtmfDetector::new(DtmfDetectorConfig::default()),
            clip: None,
        }
    }

    /// Audio received on hook; complete messages are appended to `out`.
    pub(crate) fn process(&mut self, samples: &[i16], out: &mut Vec<Message>) {
        let msgs = &mut self.msgs;
        self.fsk.process(samples, |b| {
            if let Some(m) = msgs.push(b) {
                out.push(m);
            }
        });
        let mut digits = Vec::new();
        self.dtmf.process(samples, |e| {
            if let DtmfEvent::Start { digit, .. } = e {
                digits.push(digit);
            }
        });
        for d in digits {
            self.clip_digit(d, out);
        }
    }

    /// DTMF CLIP framing (ETSI EN 300 659-1 Annex B): a start code ('A' calling number,
    /// 'B' or 'D' an absence/redirection code), the digits, and 'C' (or '#') at the end.
    fn clip_digit(&mut self, d: char, out: &mut Vec<Message>) {
        match (d, &mut self.clip) {
            ('A' | 'B' | 'D', _) => {
                self.flush(out);
                self.clip = Some(d.to_string());
            }
            ('C' | '#', Some(s)) => {
                s.push(d);
                self.flush(out);
            }
            (_, Some(s)) => s.push(d),
            (_, None) => {}
        }
    }

    /// Parse whatever DTMF CLIP was collected.
    fn flush(&mut self, out: &mut Vec<Message>) {
        if let Some(s) = self.clip.take() {
            if let Some(cid) = callerid::parse_dtmf_clip(&s) {
                out.push(Message::Call(cid));
            }
        }
    }

    /// The on-hook audio path closed: finish a DTMF CLIP without its end code, start afresh.
    pub(crate) fn path_closed(&mut self, out: &mut Vec<Message>, std: FskStandard) {
        self.flush(out);
        *self = Self::new(std);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum T2State {
    /// Listening for a CAS.
    Listening,
    /// A CAS was detected; waiting for it to end. `since` = sample of detection.
    CasOn {
        since: u64,
        peak_lo: f32,
        peak_hi: f32,
    },
    /// The CAS ended; the acknowledgement is scheduled.
    AckPending,
    /// Acknowledged; waiting for the FSK until `until`.
    AwaitFsk { until: u64 },
}

/// What the type 2 receiver wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Type2Output {
    /// The CAS ended at this sample: send the acknowledgement.
    CasEnded(u64),
    /// A caller-ID message arrived off hook.
    Message(Message),
}

/// Off-hook (type 2) caller ID, SR-TSV-002476 / ETSI EN 300 659-2: CAS → DTMF ack → FSK.
#[derive(Debug)]
pub(crate) struct Type2Receiver {
    std: FskStandard,
    cas: DualToneDetector,
    state: T2State,
    block: Vec<i16>,
    /// Sample index of the next sample processed.
    next: u64,
    fsk: FskDemodulator,
    msgs: MessageReceiver,
}

impl Type2Receiver {
    pub(crate) fn new(std: FskStandard) -> Self {
        Self {
            std,
            cas: DualToneDetector::new(CAS_LOW_HZ, CAS_HIGH_HZ, CAS_MIN_DBM0, CAS_MIN_MS),
            state: T2State::Listening,
            block: Vec::with_capacity(BLOCK),
            next: 0,
            fsk: FskDemodulator::new(std),
            msgs: MessageReceiver::new(),
        }
    }

    /// Start over (the phone went on hook).
    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.std);
    }

    /// The acknowledgement went out: wait for the FSK.
    pub(crate) fn acked(&mut self, at_sample: u64) {
        self.fsk = FskDemodulator::new(self.std);
        self.msgs = MessageReceiver::new();
        self.state = T2State::AwaitFsk {
            until: at_sample + FSK_WAIT_SAMPLES,
        };
    }

    /// Off-hook audio starting at phone sample `first`.
    pub(crate) fn process(&mut self, first: u64, samples: &[i16], out: &mut Vec<Type2Output>) {
        if first != self.next {
            // A gap (the audio path was down): blocks restart.
            self.block.clear();
        }
        self.next = first + samples.len() as u64;
        match self.state {
            T2State::Listening => {
                if self.cas.process(samples) {
                    self.state = T2State::CasOn {
                        since: self.next,
                        peak_lo: -120.0,
                        peak_hi: -120.0,
                    };
                    self.block.clear();
                }
            }
            T2State::CasOn { .. } => self.track_cas_end(samples, out),
            T2State::AckPending => {}
            T2State::AwaitFsk { until } => {
                let msgs = &mut self.msgs;
                let mut got = None;
                self.fsk.process(samples, |b| {
                    if let Some(m) = msgs.push(b) {
                        got.get_or_insert(m);
                    }
                });
                if let Some(m) = got {
                    out.push(Type2Output::Message(m));
                    self.state = T2State::Listening;
                } else if self.next >= until {
                    self.state = T2State::Listening;
                }
            }
        }
    }

    /// In 5 ms blocks, find where both CAS tones fall 10 dB below their peak.
    fn track_cas_end(&mut self, samples: &[i16], out: &mut Vec<Type2Output>) {
        let mut pos = self.next - samples.len() as u64;
        for &s in samples {
            self.block.push(s);
            pos += 1;
            if self.block.len() < BLOCK {
                continue;
            }
            let lo = tone_level_dbm0(&self.block, CAS_LOW_HZ);
            let hi = tone_level_dbm0(&self.block, CAS_HIGH_HZ);
            self.block.clear();
            let T2State::CasOn {
                since,
                peak_lo,
                peak_hi,
            } = self.state
            else {
                return;
            };
            let (peak_lo, peak_hi) = (peak_lo.max(lo), peak_hi.max(hi));
            let block_start = pos - BLOCK as u64;
            if lo < peak_lo - 10.0 || hi < peak_hi - 10.0 {
                // The tone ended inside this block: place the end by the energy left in it.
                let q = 10f32.powf((lo - peak_lo).max(hi - peak_hi) / 10.0).min(1.0);
                let end = block_start + (q * BLOCK as f32).round() as u64;
                out.push(Type2Output::CasEnded(end));
                self.state = T2State::AckPending;
                return;
            }
            if pos - since > CAS_MAX_SAMPLES {
                // Too long for a CAS.
                self.state = T2State::Listening;
                return;
            }
            self.state = T2State::CasOn {
                since,
                peak_lo,
                peak_hi,
            };
        }
    }
}
