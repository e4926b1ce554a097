//! Glue between a [`Line`] and an [`FxsPort`]: one call per 10 ms frame.
//!
//! The line is sans-IO; something has to move PCM frames and hook events between it and
//! the port and apply the line feeds it asks for. [`PortDriver::tick`] does exactly that,
//! in the order a real TDM interrupt would: exchange a frame, hand hook events and the
//! received audio to the line, run due timers, apply line-feed commands, and prepare the
//! next frame. Call commands and events are handed back to the caller (the SIP side, logs).

use std::time::Instant;

use tipring_dsp::Frame;
use tipring_hal::FxsPort;

use crate::line::{Input, Line, NetworkEvent, Output};

/// The network side of a call's voice, as the port driver sees it: every 10 ms while the
/// line's voice path is through ([`Line::voice_connected`]), one frame each way.
///
/// A media session (echo canceller, encoder, RTP; jitter buffer, decoder) implements it.
pub trait VoicePath {
    /// `sent` is the frame the port just played to the phone (the echo canceller's
    /// reference), `received` the frame it captured at the same time (silence while the
    /// line mutes the voice path); fill `next` with the network audio for the next frame.
    fn exchange(&mut self, now: Instant, sent: &Frame, received: &Frame, next: &mut Frame);
}

/// A line bound to a port.
#[derive(Debug)]
pub struct PortDriver<P> {
    line: Line,
    port: P,
    tx: Frame,
    rx: Frame,
}

/// Something the caller of [`PortDriver::tick`] must act on or may log.
pub type DriverOutput = Output;

impl<P: FxsPort> PortDriver<P> {
    /// Bind `line` to `port`. Applies the line's initial line feed at once.
    pub fn new(line: Line, port: P) -> Self {
        let mut d = Self {
            line,
            port,
            tx: [0; tipring_dsp::FRAME_SAMPLES],
            rx: [0; tipring_dsp::FRAME_SAMPLES],
        };
        let mut sink = Vec::new();
        d.drain(&mut sink);
        d
    }

    /// The line.
    pub fn line(&self) -> &Line {
        &self.line
    }

    /// The line, mutably (to change its configuration).
    pub fn line_mut(&mut self) -> &mut Line {
        &mut self.line
    }

    /// The frame the port plays toward the phone at the next tick (tones, caller-ID
    /// data, the call's audio): the line side of the port, on hook or off.
    pub fn next_tx(&self) -> &Frame {
        &self.tx
    }

    /// The port.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, mutably (a simulated port's phone is driven through it).
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Advance one 10 ms frame that ends at `now`. Outputs other than line feeds (which are
    /// applied to the port) are appended to `out`.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.tick_voice(now, out, None);
    }

    /// [`PortDriver::tick`] with the call's voice path: while the line's voice is through,
    /// `voice` gets the frame exchange, and the phone hears the network audio mixed with
    /// the line's own tones (a call-waiting beep plays over the conversation; caller-ID data
    /// mutes it, see [`Line::mutes_voice`]).
    pub fn tick_voice(
        &mut self,
        now: Instant,
        out: &mut Vec<Output>,
        voice: Option<&mut dyn VoicePath>,
    ) {
        self.port.transfer(now, &self.tx, &mut self.rx);
        let sent = self.tx;
        while let Some(ev) = self.port.poll_event() {
            self.line.handle_input(Input::Hook(ev));
            self.drain(out);
        }
        self.line.handle_input(Input::Audio {
            now,
            frame: &self.rx,
        });
        self.drain(out);
        if self.line.poll_timeout().is_some_and(|t| t <= now) {
            self.line.handle_input(Input::Timeout(now));
            self.drain(out);
        }
        self.line.produce_audio(&mut self.tx);
        if let Some(voice) = voice.filter(|_| self.line.voice_connected()) {
            let mut net = [0; tipring_dsp::FRAME_SAMPLES];
            if self.line.mutes_voice() {
                voice.exchange(now, &sent, &[0; tipring_dsp::FRAME_SAMPLES], &mut net);
            } else {
                voice.exchange(now, &sent, &self.rx, &mut net);
                for (t, n) in self.tx.iter_mut().zip(net) {
                    *t = t.saturating_add(n);
                }
            }
        }
    }

    /// Hand a network event to the line.
    pub fn network(&mut self, now: Instant, event: NetworkEvent, out: &mut Vec<Output>) {
        self.line.handle_input(Input::Network { now, event });
        self.drain(out);
    }

    fn drain(&mut self, out: &mut Vec<Output>) {
        while let Some(o) = self.line.poll_output() {
            match o {
                Output::LineFeed(feed) => {
                    if let Err(e) = self.port.set_line_feed(feed) {
                        tracing::warn!(error = %e, ?feed, "port refused a line feed");
                    }
                }
                other => out.push(other),
            }
        }
    }
}
