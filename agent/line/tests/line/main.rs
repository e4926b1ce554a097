//! Scenario tests of the line state machine on a simulated port, in virtual time.
//!
//! Every scenario drives a [`PortDriver`] over a [`SimPort`] frame by frame; the phone's
//! actions (lift, keys, rotary pulses, flash) go through the simulator's hook switch and
//! audio, so digits are detected from tones and pulses, not handed over as data.

mod caller_id;
mod diagnostics;
mod dialling;
mod features;
mod incoming;
mod services;
mod supervision;
mod voice;

use std::time::{Duration, Instant};

use tipring_hal::sim::{SimConfig, SimPort};
use tipring_line::{CallCommand, Line, LineConfig, LineEvent, NetworkEvent, Output, PortDriver};

pub const FRAME: Duration = Duration::from_millis(10);

/// A line on a simulated port, with everything it output so far.
#[derive(Debug)]
pub struct Rig {
    pub d: PortDriver<SimPort>,
    pub now: Instant,
    pub t0: Instant,
    pub outputs: Vec<Output>,
}

impl Rig {
    pub fn new(cfg: LineConfig) -> Self {
        Self::with_sim(cfg, SimConfig::default())
    }

    pub fn with_sim(cfg: LineConfig, sim: SimConfig) -> Self {
        #[allow(clippy::disallowed_methods)] // the test's epoch; time is virtual from here
        let t0 = Instant::now();
        let line = Line::new(cfg).expect("valid config");
        let d = PortDriver::new(line, SimPort::new(sim, t0).expect("valid sim config"));
        Self {
            d,
            now: t0,
            t0,
            outputs: Vec::new(),
        }
    }

    pub fn us() -> Self {
        Self::new(LineConfig::for_country("us").unwrap())
    }

    /// Run `d` of virtual time, frame by frame.
    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += FRAME;
            self.d.tick(self.now, &mut self.outputs);
        }
    }

    /// Run until `pred` holds or `limit` passes; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, mut pred: impl FnMut(&Rig) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if pred(self) {
                return true;
            }
            self.now += FRAME;
            self.d.tick(self.now, &mut self.outputs);
        }
        pred(self)
    }

    pub fn phone(&mut self) -> &mut SimPort {
        self.d.port_mut()
    }

    pub fn network(&mut self, ev: NetworkEvent) {
        let now = self.now;
        self.d.network(now, ev, &mut self.outputs);
    }

    pub fn calls(&self) -> Vec<CallCommand> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Call(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn events(&self) -> Vec<LineEvent> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn dialled(&self) -> Option<String> {
        self.calls().into_iter().find_map(|c| match c {
            CallCommand::Dial { number, .. } => Some(number),
            _ => None,
        })
    }

    /// Lift the handset and wait until the line has dial tone (or whatever it does).
    pub fn lift(&mut self) {
        let now = self.now;
        self.phone().lift(now);
        self.run(Duration::from_millis(200));
    }

    /// A US line (dial plan `[2-9]xxxxxx`) on a phone with `sim`, off hook, that has
    /// dialled 5551234 and is waiting for the call to connect.
    pub fn calling(sim: SimConfig) -> Self {
        let mut cfg = LineConfig::for_country("us").unwrap();
        cfg.dial_plan = "[2-9]xxxxxx".parse().unwrap();
        let mut rig = Rig::with_sim(cfg, sim);
        rig.lift();
        let now = rig.now;
        rig.phone().press(now, "5551234").unwrap();
        assert!(rig.run_until(Duration::from_secs(3), |r| r.dialled().is_some()));
        rig
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// A mark in the outputs, for [`Rig::calls_since`].
    pub fn mark(&self) -> usize {
        self.outputs.len()
    }

    /// The call commands output since `mark`.
    pub fn calls_since(&self, mark: usize) -> Vec<CallCommand> {
        self.outputs[mark..]
            .iter()
            .filter_map(|o| match o {
                Output::Call(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// The events output since `mark`.
    pub fn events_since(&self, mark: usize) -> Vec<LineEvent> {
        self.outputs[mark..]
            .iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// Press the hook switch for 300 ms (a flash) and let the line act on it.
    pub fn flash(&mut self) {
        let now = self.now;
        let m = self.mark();
        self.phone().flash(now, Duration::from_millis(300));
        // The flash is queued after any keys still being sent.
        assert!(
            self.run_until(Duration::from_secs(5), |r| r
                .events_since(m)
                .contains(&LineEvent::Flash)),
            "the line saw the flash"
        );
        self.run(Duration::from_millis(200));
    }

    /// Put the handset down and wait until the line has seen the hang-up (the SLIC
    /// reports it once the break outlasts the flash window, 900 ms).
    pub fn hang_up(&mut self) {
        let now = self.now;
        self.phone().hang_up(now);
        assert!(
            self.run_until(Duration::from_secs(5), |r| !r.d.line().is_off_hook()),
            "the line saw the hang-up"
        );
        self.run(Duration::from_millis(50));
    }

    /// Key DTMF digits now.
    pub fn press(&mut self, keys: &str) {
        let now = self.now;
        self.phone().press(now, keys).unwrap();
    }

    /// Run until a call command matching `pred` has been output since `mark`.
    pub fn run_until_call(
        &mut self,
        limit: Duration,
        mark: usize,
        pred: impl Fn(&CallCommand) -> bool,
    ) -> bool {
        self.run_until(limit, |r| r.calls_since(mark).iter().any(&pred))
    }

    /// A US line in a call: dialled 5551234 (plan `[2-9]xxxxxx`), ringing, answered.
    pub fn connected(sim: SimConfig) -> Self {
        let mut rig = Rig::calling(sim);
        rig.network(NetworkEvent::RemoteRinging);
        rig.network(NetworkEvent::Answered);
        rig.run(Duration::from_millis(200));
        assert_eq!(rig.d.line().state(), tipring_line::LineState::Connected);
        rig
    }

    /// Tone segments heard since `since`, as (start offset from `since`, duration if it
    /// ended, frequencies).
    pub fn tones_since(&self, since: Instant) -> Vec<(Duration, Option<Duration>, Vec<u32>)> {
        self.d
            .port()
            .heard_tones()
            .into_iter()
            .filter(|s| s.end.is_none_or(|e| e > since))
            .map(|s| {
                (
                    s.start.saturating_duration_since(since),
                    s.duration(),
                    s.freqs_hz.iter().map(|f| f.round() as u32).collect(),
                )
            })
            .collect()
    }

    /// Caller-ID messages the phone displayed since `since`.
    pub fn displayed_since(&self, since: Instant) -> Vec<tipring_dsp::callerid::Message> {
        self.d
            .port()
            .caller_id_log()
            .iter()
            .filter(|(t, _)| *t >= since)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// Frequencies (rounded to Hz) of what the phone hears now, empty for silence.
pub fn heard(rig: &Rig) -> Vec<u32> {
    match rig.d.port().listen() {
        tipring_hal::sim::Heard::Tone { freqs_hz, .. } => {
            freqs_hz.iter().map(|f| f.round() as u32).collect()
        }
        _ => Vec::new(),
    }
}

/// Level in dBm0 of the tone heard now, if a tone.
pub fn heard_level(rig: &Rig) -> Option<f32> {
    match rig.d.port().listen() {
        tipring_hal::sim::Heard::Tone { level_dbm0, .. } => Some(level_dbm0),
        _ => None,
    }
}

/// Run until the phone hears a tone (cadenced tones have silent gaps); its frequencies.
pub fn next_tone(rig: &mut Rig) -> Vec<u32> {
    rig.run_until(Duration::from_secs(1), |r| !heard(r).is_empty());
    heard(rig)
}
