//! Shared harness: in-memory links, a seeded loss model, drive loops in virtual
//! time (80-sample frames, no sleeps) and document checks.

use std::path::{Path, PathBuf};

use tipring_fax::document::{self, compare, read_pages, test_page};
use tipring_fax::{
    FaxMachine, FaxOutcome, GatewayConfig, MachineOptions, OutIfp, T38Gateway, T38Terminal,
};

pub const FRAME: usize = 80;
/// Give up after this much simulated time (8 kHz samples).
pub const MAX_SAMPLES: u64 = 8000 * 240;

/// A per-test scratch directory under the target dir's tmp.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fax-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// xorshift64*: a seeded, reproducible RNG for the loss model.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What the network does to IFP packets.
#[derive(Debug, Clone)]
pub enum Loss {
    /// Everything arrives.
    None,
    /// Each transmitted copy is lost with probability `rate`; nothing recovers it.
    Drop { rate: f64, rng: Rng },
    /// As `Drop`, but a packet whose every copy was lost is recovered from the
    /// redundancy of the next packet(s) (UDPTL redundancy depth 2): delivered
    /// just before the next packet that arrives.
    Recover { rate: f64, rng: Rng },
}

/// One direction of the IFP path: numbers packets like a UDPTL sender, applies
/// the loss model, and hands them to the receiver in order.
#[derive(Debug)]
pub struct Link {
    next_seq: u16,
    loss: Loss,
    held: Vec<(u16, Vec<u8>)>,
    pub sent: u64,
    pub lost: u64,
    pub recovered: u64,
    pub rejected: u64,
}

impl Link {
    pub fn new(loss: Loss) -> Self {
        Self {
            next_seq: 0,
            loss,
            held: Vec::new(),
            sent: 0,
            lost: 0,
            recovered: 0,
            rejected: 0,
        }
    }

    /// Takes the next sequence number (also for injected packets).
    pub fn take_seq(&mut self) -> u16 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        s
    }

    /// Transmits one packet; returns what the receiver gets now, in order.
    pub fn transmit(&mut self, p: OutIfp) -> Vec<(u16, Vec<u8>)> {
        let seq = self.take_seq();
        self.sent += 1;
        let copies = usize::from(p.repeats.max(1));
        let (arrived, recover) = match &mut self.loss {
            Loss::None => (copies, false),
            Loss::Drop { rate, rng } => {
                ((0..copies).filter(|_| rng.unit() >= *rate).count(), false)
            }
            Loss::Recover { rate, rng } => {
                ((0..copies).filter(|_| rng.unit() >= *rate).count(), true)
            }
        };
        if arrived == 0 {
            self.lost += 1;
            if recover {
                self.held.push((seq, p.data));
                self.held.truncate(2); // redundancy depth 2
            }
            return Vec::new();
        }
        let mut out: Vec<(u16, Vec<u8>)> = std::mem::take(&mut self.held);
        self.recovered += out.len() as u64;
        for _ in 0..arrived {
            out.push((seq, p.data.clone()));
        }
        out
    }
}

/// Moves everything `poll` yields across `link` into `deliver`.
pub fn pump(
    mut poll: impl FnMut() -> Option<OutIfp>,
    link: &mut Link,
    mut deliver: impl FnMut(u16, &[u8]) -> bool,
) {
    while let Some(p) = poll() {
        for (seq, data) in link.transmit(p) {
            if !deliver(seq, &data) {
                link.rejected += 1;
            }
        }
    }
}

/// The result of one simulated call.
#[derive(Debug)]
pub struct Run {
    pub tx: Option<FaxOutcome>,
    pub rx: Option<FaxOutcome>,
    pub seconds: f64,
}

pub fn machine_opts(ident: &str, ecm: bool, max_bit_rate: u32) -> MachineOptions {
    MachineOptions {
        ident: ident.into(),
        ecm,
        max_bit_rate,
    }
}

/// Two gateways back to back: fax machine -> gateway A -> IFP -> gateway B ->
/// fax machine. `inject` runs each frame with the sample clock, gateway B and
/// the A->B link (to inject packets).
pub struct GatewayPair {
    pub sender: FaxMachine,
    pub receiver: FaxMachine,
    pub gw_a: T38Gateway,
    pub gw_b: T38Gateway,
    pub ab: Link,
    pub ba: Link,
}

impl GatewayPair {
    pub fn new(doc: &Path, out: &Path, cfg: &GatewayConfig, ecm: bool, loss: Loss) -> Self {
        let (loss_ab, loss_ba) = match &loss {
            Loss::None => (Loss::None, Loss::None),
            Loss::Drop { rate, rng } => (
                Loss::Drop {
                    rate: *rate,
                    rng: rng.clone(),
                },
                Loss::Drop {
                    rate: *rate,
                    rng: Rng::new(rng.0 ^ 0x9E37_79B9),
                },
            ),
            Loss::Recover { rate, rng } => (
                Loss::Recover {
                    rate: *rate,
                    rng: rng.clone(),
                },
                Loss::Recover {
                    rate: *rate,
                    rng: Rng::new(rng.0 ^ 0x9E37_79B9),
                },
            ),
        };
        Self {
            sender: FaxMachine::sender(doc, &machine_opts("Tipring A", ecm, 14_400))
                .expect("sender"),
            receiver: FaxMachine::receiver(out, &machine_opts("Tipring B", ecm, 14_400))
                .expect("receiver"),
            gw_a: T38Gateway::new(cfg).expect("gateway A"),
            gw_b: T38Gateway::new(cfg).expect("gateway B"),
            ab: Link::new(loss_ab),
            ba: Link::new(loss_ba),
        }
    }

    /// One 10 ms frame.
    pub fn step(&mut self) {
        let mut buf = [0i16; FRAME];
        self.sender.tx_audio(&mut buf);
        self.gw_a.audio_from_line(&buf);
        self.gw_a.audio_to_line(&mut buf);
        self.sender.rx_audio(&buf);

        self.receiver.tx_audio(&mut buf);
        self.gw_b.audio_from_line(&buf);
        self.gw_b.audio_to_line(&mut buf);
        self.receiver.rx_audio(&buf);

        let (gw_a, gw_b) = (&mut self.gw_a, &mut self.gw_b);
        pump(
            || gw_a.poll_ifp(),
            &mut self.ab,
            |s, d| gw_b.ifp_from_network(s, d).is_ok(),
        );
        pump(
            || gw_b.poll_ifp(),
            &mut self.ba,
            |s, d| gw_a.ifp_from_network(s, d).is_ok(),
        );
    }

    /// Runs until both machines reached phase E (or the time limit), calling
    /// `each_frame` with the elapsed samples before every frame.
    pub fn run(&mut self, mut each_frame: impl FnMut(u64, &mut Self)) -> Run {
        let mut t = 0u64;
        while t < MAX_SAMPLES {
            each_frame(t, self);
            self.step();
            t += FRAME as u64;
            if self.sender.outcome().is_some() && self.receiver.outcome().is_some() {
                break;
            }
        }
        Run {
            tx: self.sender.outcome(),
            rx: self.receiver.outcome(),
            seconds: t as f64 / 8000.0,
        }
    }
}

/// Audio fax machine <-> audio fax machine, through `channel` (identity, or
/// G.711 companding) in both directions.
pub fn run_audio_pair(
    sender: &mut FaxMachine,
    receiver: &mut FaxMachine,
    channel: impl Fn(i16) -> i16,
) -> Run {
    let mut t = 0u64;
    let mut a = [0i16; FRAME];
    let mut b = [0i16; FRAME];
    while t < MAX_SAMPLES {
        sender.tx_audio(&mut a);
        receiver.tx_audio(&mut b);
        a.iter_mut().for_each(|s| *s = channel(*s));
        b.iter_mut().for_each(|s| *s = channel(*s));
        receiver.rx_audio(&a);
        sender.rx_audio(&b);
        t += FRAME as u64;
        if sender.outcome().is_some() && receiver.outcome().is_some() {
            break;
        }
    }
    Run {
        tx: sender.outcome(),
        rx: receiver.outcome(),
        seconds: t as f64 / 8000.0,
    }
}

/// Fax machine -> gateway -> T.38 terminal (receiver) when `machine_sends`,
/// else T.38 terminal (sender) -> gateway -> fax machine.
pub fn run_machine_gateway_terminal(
    machine: &mut FaxMachine,
    gw: &mut T38Gateway,
    term: &mut T38Terminal,
    machine_sends: bool,
) -> Run {
    let mut to_term = Link::new(Loss::None);
    let mut to_gw = Link::new(Loss::None);
    let mut t = 0u64;
    let mut buf = [0i16; FRAME];
    while t < MAX_SAMPLES {
        machine.tx_audio(&mut buf);
        gw.audio_from_line(&buf);
        gw.audio_to_line(&mut buf);
        machine.rx_audio(&buf);
        term.advance(FRAME);
        pump(
            || gw.poll_ifp(),
            &mut to_term,
            |s, d| term.ifp_from_network(s, d).is_ok(),
        );
        pump(
            || term.poll_ifp(),
            &mut to_gw,
            |s, d| gw.ifp_from_network(s, d).is_ok(),
        );
        t += FRAME as u64;
        if machine.outcome().is_some() && term.outcome().is_some() {
            break;
        }
    }
    let (tx, rx) = if machine_sends {
        (machine.outcome(), term.outcome())
    } else {
        (term.outcome(), machine.outcome())
    };
    Run {
        tx,
        rx,
        seconds: t as f64 / 8000.0,
    }
}

/// Checks the received file against the test pages: page count, dimensions,
/// differing fraction. Returns the worst differing fraction.
pub fn check_document(received: &Path, pages: u32) -> f64 {
    let got = read_pages(received).expect("read received TIFF");
    assert_eq!(got.len(), pages as usize, "received page count");
    let mut worst = 0.0f64;
    for (i, page) in got.iter().enumerate() {
        let sent = test_page(i as u32 + 1);
        let m = compare(&sent, page);
        println!(
            "  page {}: {}x{} at {}x{} dpi, differing {:.6}",
            i + 1,
            page.width,
            page.height,
            page.x_res,
            page.y_res,
            m.differing
        );
        assert!(m.same_size, "page {} size {:?} vs sent", i + 1, page);
        worst = worst.max(m.differing);
    }
    worst
}

/// Writes the standard test document (3 pages) into `dir`.
pub fn test_document(dir: &Path, pages: u32) -> PathBuf {
    let path = dir.join("sent.tif");
    document::write_test_document(&path, pages).expect("write test document");
    path
}

pub fn describe(o: &Option<FaxOutcome>) -> String {
    match o {
        Some(o) => format!(
            "{} ({}), {} pages at {} bit/s, ECM {}",
            if o.success { "success" } else { "FAILED" },
            o.result,
            o.pages,
            o.bit_rate,
            if o.ecm { "on" } else { "off" }
        ),
        None => "no phase E".into(),
    }
}
