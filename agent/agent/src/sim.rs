//! The simulated gateway: lines on simulated ports, a local switch standing in for the SIP
//! side, and the terminal loop that drives them in real time.
//!
//! [`Gateway`] is stepped frame by frame and returns the lines to print, so tests drive it
//! in virtual time; [`run`] paces it with the real clock and reads commands from stdin.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use tipring_dsp::callerid::{Absence, CallerId, DateTime, Message};
use tipring_dsp::Frame;
use tipring_hal::sim::{Heard, SimConfig, SimPort};
use tipring_line::dialplan::DialPlan;
use tipring_line::{
    CallCommand, Feature, Hotline, Leg, Line, LineConfig, LineEvent, LineState, NetworkEvent,
    Output, PortDriver, SecondEvent, VoicePath,
};
use tipring_sip::{
    Account, CallEvent, Command as SipCommand, Event as SipEvent, Input as SipInput,
    Output as SipOutput, Peer as SipPeer, RegistrationState, Secret, TransportKind, UaConfig,
    UserAgent,
};

use crate::command::{self, Command, FaxRole, Sound};
use crate::fax::FaxRelay;
use crate::media::{media_config, MediaOptions, WallAnchor};
use tipring_dsp::faxtone::FaxToneKind;
use tipring_media::{Channel, MediaEvent, MediaSession, MediaStats};
use tipring_sip::media::Negotiated;

/// The demo's dial plan: extensions 101..199, seven-digit numbers, star codes, anything
/// else after the inter-digit timer.
pub const DEFAULT_DIAL_PLAN: &str = "{ 1xx | [2-9]xxxxxx | *xx | x+T }";

/// How long one frame is.
pub(crate) const FRAME: Duration = Duration::from_millis(10);

/// Checked options of the simulated gateway.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of ports.
    pub ports: usize,
    /// Line configuration shared by every port.
    pub line: LineConfig,
    /// Extension of port 1; port N is this + N - 1 (default 101).
    pub first_extension: u32,
    /// Each port's own settings (a configuration file); empty: every port takes `line`
    /// and `forwarding`, and port N is extension `first_extension` + N - 1.
    pub per_port: Vec<PortOptions>,
    /// Where the status endpoint (JSON and Prometheus metrics) listens; `None`: off.
    pub status_addr: Option<SocketAddr>,
    /// Call forwarding every port starts with (the phone changes it with star codes).
    pub forwarding: Forwarding,
    /// SIP: register every port with these servers and place calls through them.
    pub sip: Option<SipOptions>,
    /// Fax policy of every port without settings of its own in `per_port`.
    pub fax: tipring_config::Fax,
}

/// The SIP side of the simulated gateway.
#[derive(Debug, Clone)]
pub struct SipOptions {
    /// Registrars / outbound proxies, in failover order.
    pub servers: Vec<SocketAddr>,
    /// Domain of the ports' addresses of record.
    pub domain: String,
    /// Local address to bind (port 0 picks one).
    pub listen: SocketAddr,
    /// Password per extension.
    pub secrets: std::collections::HashMap<String, String>,
    /// Registration expiry to ask for.
    pub expires: u32,
    /// Subscribe each port to message-summary (voicemail lamp) once registered.
    pub subscribe_mwi: bool,
    /// Register the ports (off: calls go straight to the first server, peer to peer).
    pub register: bool,
    /// UDP, TCP or TLS toward the servers.
    pub transport: TransportKind,
    /// CA certificates (PEM) that a TLS server's certificate must chain to.
    pub tls_ca: Option<std::path::PathBuf>,
    /// Name the TLS server certificate must carry (default: the server's IP address).
    pub tls_server_name: Option<String>,
    /// Client certificate chain and key (PEM files) for servers that require one.
    pub tls_client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// Codecs, SRTP, echo canceller and RTP ports.
    pub media: MediaOptions,
    /// Other gateways reached directly by number prefix when this gateway has no
    /// registrar (or registers with none): peer-to-peer mode and survivability.
    pub peers: Vec<PeerRoute>,
    /// How often an OPTIONS keep-alive goes to each registrar in use over UDP (it also
    /// finds a dead registrar between refreshes); `None`: 25 s.
    pub keepalive: Option<Duration>,
    /// SIP timer T1 (RTT estimate; timer F, the give-up time of a request, is 64 × T1);
    /// `None`: 500 ms (RFC 3261).
    pub t1: Option<Duration>,
}

/// A number prefix served by another gateway at a SIP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRoute {
    /// Numbers starting with this go to the peer.
    pub prefix: String,
    /// The peer gateway's SIP address (UDP).
    pub addr: SocketAddr,
}

impl std::str::FromStr for PeerRoute {
    type Err = String;

    /// `PREFIX=IP:PORT`, e.g. `2=192.0.2.20:5060`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (prefix, addr) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected PREFIX=IP:PORT"))?;
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            return Err(format!("`{prefix}` is not a number prefix"));
        }
        let addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IP:PORT address"))?;
        Ok(Self {
            prefix: prefix.to_string(),
            addr,
        })
    }
}

impl SipOptions {
    /// Read `EXTENSION:PASSWORD` lines (`#` comments) from a secrets file.
    pub fn read_secrets(
        path: &std::path::Path,
    ) -> anyhow::Result<std::collections::HashMap<String, String>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--sip-secrets: cannot read {}", path.display()))?;
        let mut map = std::collections::HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, pw) = line.split_once(':').ok_or_else(|| {
                anyhow::anyhow!(
                    "--sip-secrets: {}:{}: expected EXTENSION:PASSWORD",
                    path.display(),
                    n + 1
                )
            })?;
            map.insert(user.trim().to_string(), pw.to_string());
        }
        Ok(map)
    }
}

impl Options {
    /// Build and check the options; the error names the bad option.
    pub fn from_args(
        ports: usize,
        country: &str,
        dial_plan: &str,
        hotline: Option<&str>,
        warmline: Option<&str>,
    ) -> anyhow::Result<Self> {
        let mut line = LineConfig::for_country(country).context("--country")?;
        line.dial_plan = dial_plan.parse::<DialPlan>().context("--dial-plan")?;
        if let Some(n) = hotline {
            line.hotline = Some(Hotline {
                number: n.to_string(),
                delay: Duration::ZERO,
            });
        }
        if let Some(w) = warmline {
            let (n, s) = w
                .split_once(',')
                .ok_or_else(|| anyhow::anyhow!("--warmline: expected NUMBER,SECONDS"))?;
            let secs: u64 = s
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--warmline: `{s}` is not seconds"))?;
            if secs == 0 {
                anyhow::bail!("--warmline: SECONDS must be at least 1 (use --hotline for 0)");
            }
            line.hotline = Some(Hotline {
                number: n.trim().to_string(),
                delay: Duration::from_secs(secs),
            });
        }
        line.validate().context("line configuration")?;
        Ok(Self {
            ports,
            line,
            first_extension: 101,
            per_port: Vec::new(),
            status_addr: None,
            forwarding: Forwarding::default(),
            sip: None,
            fax: tipring_config::Fax::default(),
        })
    }
}

/// One port's own settings.
#[derive(Debug, Clone)]
pub struct PortOptions {
    /// The port's extension (user part of its address of record).
    pub extension: String,
    /// Display name in From (default `Port N`).
    pub display_name: Option<String>,
    /// Digest user name, when it differs from the extension.
    pub auth_user: Option<String>,
    /// Whether the port registers (a disabled port stays unregistered; its phone can still
    /// call the gateway's other ports).
    pub enabled: bool,
    /// Tone plan, dial plan, features, timers.
    pub line: LineConfig,
    /// Call forwarding configured for the port.
    pub forwarding: Forwarding,
    /// Do not disturb configured.
    pub dnd: bool,
    /// Anonymous call rejection configured.
    pub reject_anonymous: bool,
    /// Codecs in preference order; empty: the gateway's list.
    pub codecs: Vec<tipring_sip::media::Codec>,
    /// Echo canceller tail, ms; `None`: the gateway's.
    pub echo_tail_ms: Option<u32>,
    /// How keys go to the network: RFC 4733 events (in-band when the far end has none,
    /// plus SIP INFO then), in-band only, or SIP INFO (with the tones left in the audio).
    pub dtmf: tipring_config::DtmfMethod,
    /// Gain toward the network (the phone's voice), dB.
    pub tx_gain_db: f32,
    /// Gain toward the phone, dB.
    pub rx_gain_db: f32,
    /// Fax: T.38 relay, G.711 pass-through.
    pub fax: tipring_config::Fax,
}

impl Options {
    /// Port `i`'s settings (from `per_port`, else the shared ones).
    pub fn port(&self, i: usize) -> PortOptions {
        self.per_port
            .get(i)
            .cloned()
            .unwrap_or_else(|| PortOptions {
                extension: format!("{}", self.first_extension as usize + i),
                display_name: None,
                auth_user: None,
                enabled: true,
                line: self.line.clone(),
                forwarding: self.forwarding.clone(),
                dnd: false,
                reject_anonymous: false,
                codecs: Vec::new(),
                echo_tail_ms: None,
                dtmf: tipring_config::DtmfMethod::default(),
                tx_gain_db: 0.0,
                rx_gain_db: 0.0,
                fax: self.fax.clone(),
            })
    }
}

/// Who a port is in a call with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Port(usize),
    Network,
}

#[derive(Debug)]
struct Slot {
    driver: PortDriver<SimPort>,
    ext: String,
    peer: Option<Peer>,
    heard: Vec<u32>,
    ringing: bool,
    cid_seen: usize,
    lamp: bool,
    /// `record P FILE`: where to write and what the earpiece played so far.
    recording: Option<(std::path::PathBuf, Vec<i16>)>,
    /// `tap P FILE`: where to write and what the port sent down the line so far.
    tap: Option<(std::path::PathBuf, Vec<i16>)>,
    /// What this port's phone said in the last frame (for a local call's other port).
    said: Frame,
    /// The media of the port's SIP calls, by the RTP socket pair they use (the port's
    /// first and second pair).
    media: [Option<MediaSession>; 2],
    /// Where the line's two legs live in the UA and which media pair each uses.
    legs: Legs,
    /// A call waits (rings as the UA's other call) for the line to take or refuse it.
    waiting: bool,
    /// Both calls are mixed together with the phone (3-way conference).
    conference: bool,
    /// What each call played in the last frame (for the conference mix).
    played: [Frame; 2],
    /// Star-code features set from the phone (*78 / *77 ...).
    dnd: bool,
    reject_anonymous: bool,
    /// Call forwarding (*72 / *90 / *92, or the configuration): where, if set.
    forward: Forwarding,
    /// A no-answer forward is due at this time for the ringing call.
    no_answer_at: Option<Instant>,
    /// The number of the consultation call (for a blind transfer to it).
    second_number: Option<String>,
    /// When the call's media started, who placed the call, and the far end's number.
    call_info: Option<(Instant, tipring_status::Direction, String)>,
    /// The port's settings as configured (star codes change `forward`, `dnd` and
    /// `reject_anonymous` from the phone until the configuration of them changes).
    cfg: PortOptions,
    /// A new line configuration waiting for the port to be idle.
    pending_line: Option<LineConfig>,
    /// Counters for the status page, SNMP and TR-069.
    counters: tipring_status::PortCounters,
    /// A call is placed or ringing (counted as answered or failed when it ends).
    call_open: bool,
    /// That call was answered (its media started).
    call_answered: bool,
    /// The last ended call's figures.
    last_call: Option<tipring_status::CallStatus>,
    /// A line fault reported by the port hardware (the simulator's `fault` command).
    fault: Option<String>,
    /// The status code of the last final answer to a REGISTER.
    last_reg_status: Option<u16>,
    /// The registrar's binding lasts until then (a refresh in flight does not end it).
    bound_until: Option<Instant>,
    /// The call's T.38 fax relay and the media pair it uses, while the call carries a fax.
    fax: Option<(usize, FaxRelay)>,
    /// Where the port's current call stands with fax.
    fax_call: FaxCall,
}

/// What a call has shown of fax so far.
#[derive(Debug, Clone, Copy, Default)]
struct FaxCall {
    /// A fax tone was heard (either way).
    detected: bool,
    /// The port's own machine answered (CED/ANSam from the phone): it receives.
    answering: bool,
    /// We asked for T.38 by re-INVITE.
    t38_asked: bool,
    /// We asked for G.711 voice-band data by re-INVITE.
    vbd_asked: bool,
    /// The far end refused T.38.
    t38_refused: bool,
    /// The call carries voice-band data (G.711 pass-through).
    vbd: bool,
}

/// A simulated fax machine on a port's line (`fax send|receive P FILE`).
#[derive(Debug)]
struct FaxDevice {
    machine: tipring_fax::FaxMachine,
    role: FaxRole,
    told: bool,
}

impl tipring_hal::sim::LineDevice for FaxDevice {
    fn exchange(&mut self, heard: &[i16], said: &mut [i16]) {
        self.machine.rx_audio(heard);
        self.machine.tx_audio(said);
    }

    fn report(&mut self) -> Option<String> {
        if self.told {
            return None;
        }
        let o = self.machine.outcome()?;
        self.told = true;
        let what = match self.role {
            FaxRole::Send => "sent",
            FaxRole::Receive => "received",
        };
        Some(if o.success {
            format!(
                "fax machine: {what} {} pages, done ({} bit/s{})",
                o.pages,
                o.bit_rate,
                if o.ecm { ", ECM" } else { "" }
            )
        } else {
            format!("fax machine: failed after {} pages: {}", o.pages, o.result)
        })
    }
}

/// The T.38 parameters a port offers and accepts.
fn t38_params(f: &tipring_config::Fax) -> tipring_sip::fax::T38Params {
    use tipring_sip::fax::{RateManagement, T38Params, UdpEc};
    T38Params {
        version: 0,
        max_bit_rate: f.t38.max_bit_rate,
        rate_management: match f.t38.tcf {
            tipring_config::TcfMethod::Network => RateManagement::TransferredTcf,
            tipring_config::TcfMethod::Local => RateManagement::LocalTcf,
        },
        max_buffer: 2000,
        max_datagram: f.t38.max_datagram,
        udp_ec: match f.t38.error_correction {
            tipring_config::FaxErrorCorrection::Redundancy => UdpEc::Redundancy,
            tipring_config::FaxErrorCorrection::Fec => UdpEc::Fec,
            tipring_config::FaxErrorCorrection::None => UdpEc::None,
        },
        fill_bit_removal: false,
    }
}

fn is_g711(name: &str) -> bool {
    name.eq_ignore_ascii_case("PCMU") || name.eq_ignore_ascii_case("PCMA")
}

/// Where a port's calls are forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarding {
    /// Every call.
    pub all: Option<String>,
    /// Calls that find the port busy.
    pub busy: Option<String>,
    /// Calls not answered within `no_answer_after`.
    pub no_answer: Option<String>,
    /// How long the phone rings before a no-answer forward.
    pub no_answer_after: Duration,
}

impl Default for Forwarding {
    fn default() -> Self {
        Self {
            all: None,
            busy: None,
            no_answer: None,
            no_answer_after: Duration::from_secs(20),
        }
    }
}

/// Which of the UA's two call slots of an account holds a leg of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UaSlot {
    /// The UA's active call (`calls`).
    Active,
    /// The UA's other call (`others`: held, or waiting).
    Other,
}

/// The line's two legs (`tipring_line::Leg`) as the UA holds them.
#[derive(Debug, Clone, Copy, Default)]
struct Legs {
    first: Option<UaSlot>,
    second: Option<UaSlot>,
    /// Media pair (0 or 1) of the first leg; the second uses the other one (the UA offers
    /// the account's second RTP port to the call made while another exists).
    first_k: usize,
}

impl Legs {
    fn slot(&self, leg: Leg) -> Option<UaSlot> {
        match leg {
            Leg::First => self.first,
            Leg::Second => self.second,
        }
    }

    fn leg_in(&self, slot: UaSlot) -> Option<Leg> {
        if self.first == Some(slot) {
            Some(Leg::First)
        } else if self.second == Some(slot) {
            Some(Leg::Second)
        } else {
            None
        }
    }

    fn k(&self, leg: Leg) -> usize {
        match leg {
            Leg::First => self.first_k,
            Leg::Second => 1 - self.first_k,
        }
    }

    /// A leg ended: the other, if any, is the first leg from now on (the line renumbers
    /// the same way).
    fn ended(&mut self, leg: Leg) {
        match leg {
            Leg::First => {
                self.first = self.second.take();
                if self.first.is_some() {
                    self.first_k = 1 - self.first_k;
                } else {
                    self.first_k = 0;
                }
            }
            Leg::Second => self.second = None,
        }
        if self.first.is_none() && self.second.is_none() {
            self.first_k = 0;
        }
    }

    fn swap(&mut self) {
        let flip = |s: Option<UaSlot>| {
            s.map(|s| match s {
                UaSlot::Active => UaSlot::Other,
                UaSlot::Other => UaSlot::Active,
            })
        };
        self.first = flip(self.first);
        self.second = flip(self.second);
    }
}

/// The voice path of a port with SIP calls: each call's media session gets the phone's
/// audio (a held one does not send it), and the phone hears the sum of what they play (a
/// held one plays nothing). In a local 3-way conference each call also gets what the
/// other played in the last frame, so its far end hears both others.
struct Voices<'a> {
    media: &'a mut [Option<MediaSession>; 2],
    conference: bool,
    /// What each call played in the last frame.
    played: &'a mut [Frame; 2],
    /// A call that carries a fax over T.38 (its media pair and relay) instead of RTP.
    fax: Option<&'a mut (usize, FaxRelay)>,
}

impl VoicePath for Voices<'_> {
    fn exchange(&mut self, now: Instant, sent: &Frame, received: &Frame, next: &mut Frame) {
        next.fill(0);
        let last = *self.played;
        if let Some((k, relay)) = self.fax.as_deref_mut() {
            // The fax machine alone on the line: its audio goes to the T.38 gateway.
            relay.exchange(received, next);
            self.played[*k] = *next;
            return;
        }
        for (k, m) in self.media.iter_mut().enumerate() {
            let Some(m) = m.as_mut() else {
                self.played[k] = [0; tipring_dsp::FRAME_SAMPLES];
                continue;
            };
            let mut out = [0i16; tipring_dsp::FRAME_SAMPLES];
            let mix = self.conference.then_some(&last[1 - k]);
            m.exchange_mixed(now, sent, received, mix, &mut out);
            self.played[k] = out;
            for (n, o) in next.iter_mut().zip(out) {
                *n = n.saturating_add(o);
            }
        }
    }
}

/// The voice path of a call between two ports of the gateway: each hears what the other
/// said one frame (10 ms) ago, as through a TDM switch.
struct LocalBridge<'a> {
    peer_said: Frame,
    my_said: &'a mut Frame,
}

impl VoicePath for LocalBridge<'_> {
    fn exchange(&mut self, _now: Instant, _sent: &Frame, received: &Frame, next: &mut Frame) {
        *self.my_said = *received;
        *next = self.peer_said;
    }
}

/// Longest recording or WAV file the phone takes: 10 minutes of 8 kHz audio.
const MAX_AUDIO_SAMPLES: usize = 10 * 60 * 8000;

/// Read an 8 kHz mono 16-bit WAV file.
fn read_wav(path: &std::path::Path) -> Result<Vec<i16>, String> {
    let mut r = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = r.spec();
    if spec.sample_rate != 8000
        || spec.channels != 1
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(format!(
            "{}: need 8000 Hz mono 16-bit PCM, got {} Hz, {} channel(s), {} bits",
            path.display(),
            spec.sample_rate,
            spec.channels,
            spec.bits_per_sample
        ));
    }
    if r.len() as usize > MAX_AUDIO_SAMPLES {
        return Err(format!("{}: longer than 10 minutes", path.display()));
    }
    r.samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Write 8 kHz mono 16-bit PCM to a WAV file.
fn write_wav(path: &std::path::Path, samples: &[i16]) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let err = |e: hound::Error| format!("{}: {e}", path.display());
    let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
    for &s in samples {
        w.write_sample(s).map_err(err)?;
    }
    w.finalize().map_err(err)
}

/// Reads the calendar for caller-ID time stamps (injected: tests pass a fixed one).
pub type WallClock = Box<dyn Fn() -> DateTime>;

/// The simulated gateway. All methods take the current (possibly virtual) time.
pub struct Gateway {
    slots: Vec<Slot>,
    wall: WallClock,
    /// The SIP user agent of every port, when SIP is on (else the local switch routes).
    ua: Option<UserAgent>,
    /// Messages the UA wants sent.
    outbox: Vec<(SipPeer, Vec<u8>)>,
    /// Media settings (with SIP).
    media_opts: MediaOptions,
    /// Peer gateways by number prefix.
    peers: Vec<PeerRoute>,
    /// The ports' RTP ports, two per port (first and second call), by socket index.
    rtp_ports: Vec<u16>,
    /// Calendar time for RTCP.
    anchor: Option<WallAnchor>,
    /// Seeds media sessions (SSRCs, sequence numbers): from the OS in a deployment.
    media_seed: u64,
    /// RTP/RTCP datagrams to send: port, socket, destination, bytes.
    media_out: Vec<(usize, Channel, SocketAddr, Vec<u8>)>,
    /// The SIP domain the ports register in (their AOR's host), with SIP on.
    sip_domain: Option<String>,
    /// A lossy network for tests and demos: received media datagrams dropped at random.
    media_loss: Option<Loss>,
    /// Lines said where no line list was at hand, printed with the next tick's.
    deferred: Vec<String>,
    /// Diagnostic pings answered (or given up), by the caller's id.
    pings_done: Vec<(u64, tipring_sip::PingResult)>,
    /// SIP messages handed out to send, received, and transport failures (the status's
    /// SIP counters; the UA counts the bad ones).
    sip_sent: u64,
    sip_received: u64,
    sip_transport_errors: u64,
}

/// Drops a share of datagrams, seeded (a run can be repeated).
#[derive(Debug)]
struct Loss {
    /// Probability of a drop, in 2^-32 units.
    threshold: u64,
    state: u64,
}

impl Loss {
    fn new(percent: f64, seed: u64) -> Option<Self> {
        (percent > 0.0).then(|| Self {
            threshold: ((percent / 100.0).clamp(0.0, 1.0) * 4_294_967_296.0) as u64,
            state: seed,
        })
    }

    fn drop(&mut self) -> bool {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 32) < self.threshold
    }
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("ports", &self.slots.len())
            .finish()
    }
}

fn describe_cid(msg: &Message) -> String {
    match msg {
        Message::Vmwi { active: true } => "message waiting ON".into(),
        Message::Vmwi { active: false } => "message waiting off".into(),
        Message::Call(c) => {
            let mut s = String::new();
            if let Some(w) = &c.when {
                s.push_str(&format!(
                    "{:02}/{:02} {:02}:{:02}  ",
                    w.month, w.day, w.hour, w.minute
                ));
            }
            match (&c.number, c.number_absence) {
                (Some(n), _) => s.push_str(n),
                (None, Some(Absence::Private)) => s.push_str("PRIVATE"),
                (None, Some(Absence::Unavailable)) => s.push_str("OUT OF AREA"),
                (None, None) => s.push('-'),
            }
            match (&c.name, c.name_absence) {
                (Some(n), _) => s.push_str(&format!("  \"{n}\"")),
                (None, Some(Absence::Private)) => s.push_str("  PRIVATE NAME"),
                (None, Some(Absence::Unavailable)) => s.push_str("  NAME UNAVAILABLE"),
                (None, None) => {}
            }
            s
        }
    }
}

fn describe_heard(freqs: &[u32]) -> String {
    if freqs.is_empty() {
        return "silence".into();
    }
    let f: Vec<String> = freqs.iter().map(|f| f.to_string()).collect();
    format!("{} Hz", f.join("+"))
}

impl Gateway {
    /// A gateway with `opts.ports` idle ports starting at `now`.
    pub fn new(opts: &Options, now: Instant, wall: WallClock) -> anyhow::Result<Self> {
        let mut slots = Vec::with_capacity(opts.ports);
        for i in 0..opts.ports {
            let po = opts.port(i);
            let phone_std = po.line.caller_id.signalling.fsk_standard();
            let mut cfg = SimConfig {
                seed: i as u64 + 1,
                ..SimConfig::default()
            };
            if let Some(std) = phone_std {
                cfg.caller_id = std;
            }
            cfg.type2_ack = Some('D');
            let line = Line::new(po.line.clone())
                .with_context(|| format!("port {}: line configuration", i + 1))?;
            let port = SimPort::new(cfg, now).context("simulated port")?;
            slots.push(Slot {
                driver: PortDriver::new(line, port),
                ext: po.extension.clone(),
                peer: None,
                heard: Vec::new(),
                ringing: false,
                cid_seen: 0,
                lamp: false,
                recording: None,
                tap: None,
                said: [0; tipring_dsp::FRAME_SAMPLES],
                media: [None, None],
                legs: Legs::default(),
                waiting: false,
                conference: false,
                played: [[0; tipring_dsp::FRAME_SAMPLES]; 2],
                dnd: po.dnd,
                reject_anonymous: po.reject_anonymous,
                forward: po.forwarding.clone(),
                no_answer_at: None,
                second_number: None,
                call_info: None,
                cfg: po,
                pending_line: None,
                counters: tipring_status::PortCounters::default(),
                call_open: false,
                call_answered: false,
                last_call: None,
                fault: None,
                last_reg_status: None,
                bound_until: None,
                fax: None,
                fax_call: FaxCall::default(),
            });
        }
        Ok(Self {
            slots,
            wall,
            ua: None,
            outbox: Vec::new(),
            media_opts: MediaOptions::default(),
            peers: Vec::new(),
            rtp_ports: Vec::new(),
            anchor: None,
            media_seed: 0,
            media_out: Vec::new(),
            sip_domain: None,
            media_loss: None,
            deferred: Vec::new(),
            pings_done: Vec::new(),
            sip_sent: 0,
            sip_received: 0,
            sip_transport_errors: 0,
        })
    }

    /// Put every port on SIP: `local` is the bound UDP socket's address, `seed` seeds the
    /// UA's identifiers and the SRTP keys (from the OS in a deployment), `rtp_ports` are the
    /// ports' bound RTP ports, `anchor` pairs `now` with the calendar for RTCP. Each port
    /// registers as its extension.
    pub fn enable_sip(
        &mut self,
        now: Instant,
        sip: &SipOptions,
        local: SocketAddr,
        seed: [u8; 32],
        rtp_ports: &[u16],
        anchor: WallAnchor,
    ) {
        self.media_opts = sip.media.clone();
        self.media_loss = Loss::new(
            sip.media.loss_percent,
            u64::from_le_bytes(seed[16..24].try_into().expect("8 bytes")),
        );
        self.sip_domain = Some(sip.domain.clone());
        self.peers = sip.peers.clone();
        self.rtp_ports = rtp_ports.to_vec();
        self.anchor = Some(anchor);
        self.media_seed = u64::from_le_bytes(seed[24..].try_into().expect("8 bytes"));
        let accounts = (0..self.slots.len())
            .map(|i| self.account(i, sip, rtp_ports))
            .collect();
        let cfg = UaConfig {
            local,
            transport: sip.transport,
            user_agent: format!("Tipring/{}", env!("CARGO_PKG_VERSION")),
            timers: tipring_sip::timers::Timers {
                t1: sip.t1.unwrap_or(Duration::from_millis(500)),
                ..Default::default()
            },
            registration: tipring_sip::RegistrationPolicy {
                // UDP NAT bindings close in ~30-60 s; streams keep alive with CRLF.
                keepalive: (sip.transport == TransportKind::Udp)
                    .then_some(sip.keepalive.unwrap_or(Duration::from_secs(25))),
                ..Default::default()
            },
            rng_seed: seed,
            codecs: sip.media.codecs.clone(),
            srtp: sip.media.srtp,
            accounts,
        };
        let mut ua = UserAgent::new(cfg);
        for i in (0..self.slots.len()).filter(|&i| sip.register && self.slots[i].cfg.enabled) {
            ua.handle_input(SipInput::Command {
                now,
                command: SipCommand::Register(i),
            });
        }
        self.ua = Some(ua);
    }

    /// Port `i`'s SIP account.
    fn account(&self, i: usize, sip: &SipOptions, rtp_ports: &[u16]) -> Account {
        let s = &self.slots[i];
        Account {
            user: s.ext.clone(),
            auth_user: s.cfg.auth_user.clone(),
            password: Secret::new(sip.secrets.get(&s.ext).cloned().unwrap_or_default()),
            domain: sip.domain.clone(),
            display_name: Some(
                s.cfg
                    .display_name
                    .clone()
                    .unwrap_or_else(|| format!("Port {}", i + 1)),
            ),
            servers: sip
                .servers
                .iter()
                .map(|a| SipPeer {
                    transport: sip.transport,
                    addr: *a,
                })
                .collect(),
            expires: sip.expires,
            register: sip.register && s.cfg.enabled,
            rtp_port: rtp_ports
                .get(2 * i)
                .copied()
                .unwrap_or(40000 + 4 * i as u16),
            rtp_port_second: rtp_ports
                .get(2 * i + 1)
                .copied()
                .unwrap_or(40002 + 4 * i as u16),
            subscribe_mwi: sip.subscribe_mwi,
            // A fax-only line (pass-through forced) offers and takes G.711 only.
            codecs: if s.cfg.fax.passthrough == tipring_config::FaxPassThrough::Force {
                let own = if s.cfg.codecs.is_empty() {
                    &self.media_opts.codecs
                } else {
                    &s.cfg.codecs
                };
                let g711: Vec<_> = own.iter().copied().filter(|c| is_g711(c.name)).collect();
                if g711.is_empty() {
                    vec![tipring_sip::media::PCMU, tipring_sip::media::PCMA]
                } else {
                    g711
                }
            } else {
                s.cfg.codecs.clone()
            },
            t38: s.cfg.fax.t38_enable.then(|| t38_params(&s.cfg.fax)),
        }
    }

    /// Whether any port has a call up, ringing or being dialled (SIP or local).
    pub fn busy(&self) -> bool {
        self.slots.iter().enumerate().any(|(i, s)| {
            s.peer.is_some()
                || s.media.iter().any(Option::is_some)
                || s.driver.line().state() != LineState::Idle
                || self.ua.as_ref().is_some_and(|ua| ua.has_call(i))
        })
    }

    /// Apply a changed configuration to the ports `change` names, leaving the others (and
    /// their calls) alone. A port in a call keeps its call: its new line settings wait
    /// until it is idle, its new SIP identity registers at once (the UA removes the old
    /// binding first). The SIP section and the number of ports are not handled here (the
    /// caller restarts the SIP stack; a new port count needs a restart). `sip` is the new
    /// SIP side (passwords, servers) for the ports' accounts.
    pub fn reconfigure(
        &mut self,
        now: Instant,
        opts: &Options,
        ports: &[usize],
        sip: Option<&SipOptions>,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let n = self.slots.len();
        for &i in ports.iter().filter(|&&i| i < n) {
            let new = opts.port(i);
            let idle = self.port_idle(i);
            let s = &mut self.slots[i];
            if new.forwarding != s.cfg.forwarding {
                s.forward = new.forwarding.clone();
            }
            if new.dnd != s.cfg.dnd {
                s.dnd = new.dnd;
            }
            if new.reject_anonymous != s.cfg.reject_anonymous {
                s.reject_anonymous = new.reject_anonymous;
            }
            s.ext = new.extension.clone();
            let line = new.line.clone();
            s.cfg = new;
            let said = if idle {
                match s.driver.line_mut().set_config(line) {
                    Ok(()) => "configuration applied".to_string(),
                    Err(e) => format!("line configuration refused: {e}"),
                }
            } else {
                s.pending_line = Some(line);
                "configuration applied; the line's new settings wait for the call to end".into()
            };
            self.say(i, &mut lines, said);
            if let (Some(sip), Some(_)) = (sip, self.ua.as_ref()) {
                let settings = Box::new(self.account(i, sip, &self.rtp_ports));
                self.sip_command(
                    now,
                    SipCommand::UpdateAccount {
                        account: i,
                        settings,
                    },
                    &mut lines,
                );
            }
        }
        lines
    }

    /// Whether port `i` is on hook with no call.
    fn port_idle(&self, i: usize) -> bool {
        let s = &self.slots[i];
        s.peer.is_none()
            && s.media.iter().all(Option::is_none)
            && s.driver.line().state() == LineState::Idle
            && !self.ua.as_ref().is_some_and(|ua| ua.has_call(i))
    }

    /// A SIP message arrived from a transport.
    pub fn sip_receive(&mut self, now: Instant, from: SipPeer, data: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(ua) = self.ua.as_mut() {
            self.sip_received += 1;
            ua.handle_input(SipInput::Receive { now, from, data });
        }
        self.drain_sip(now, &mut lines);
        lines
    }

    /// The transport could not reach `to`: fail what waits on it (failover at once).
    pub fn sip_transport_error(&mut self, now: Instant, to: SipPeer) -> Vec<String> {
        let mut lines = Vec::new();
        self.sip_transport_errors += 1;
        if let Some(ua) = self.ua.as_mut() {
            ua.handle_input(SipInput::TransportError { now, to });
        }
        self.drain_sip(now, &mut lines);
        lines
    }

    /// Ask every registered port to remove its binding (at shutdown).
    pub fn unregister_all(&mut self, now: Instant) {
        let mut lines = Vec::new();
        for i in 0..self.slots.len() {
            self.sip_command(now, SipCommand::Unregister(i), &mut lines);
        }
    }

    /// Whether no port is registered or registering any more.
    pub fn all_unregistered(&self) -> bool {
        self.ua.as_ref().is_none_or(|ua| {
            (0..self.slots.len()).all(|i| {
                matches!(
                    ua.registration(i),
                    None | Some(RegistrationState::Idle) | Some(RegistrationState::Failed { .. })
                )
            })
        })
    }

    /// Messages to send now.
    pub fn take_outbox(&mut self) -> Vec<(SipPeer, Vec<u8>)> {
        self.sip_sent += self.outbox.len() as u64;
        std::mem::take(&mut self.outbox)
    }

    fn sip_command(&mut self, now: Instant, command: SipCommand, lines: &mut Vec<String>) {
        if let Some(ua) = self.ua.as_mut() {
            ua.handle_input(SipInput::Command { now, command });
        }
        self.drain_sip(now, lines);
    }

    fn drain_sip(&mut self, now: Instant, lines: &mut Vec<String>) {
        while let Some(out) = self.ua.as_mut().and_then(UserAgent::poll_output) {
            match out {
                SipOutput::Transmit { to, data } => self.outbox.push((to, data)),
                SipOutput::Event(e) => self.on_sip_event(now, e, lines),
            }
        }
    }

    fn on_sip_event(&mut self, now: Instant, e: SipEvent, lines: &mut Vec<String>) {
        match e {
            SipEvent::Registration { account, state } => {
                if let Some(slot) = self.slots.get_mut(account) {
                    match &state {
                        RegistrationState::Registered { expires, .. } => {
                            slot.last_reg_status = Some(200);
                            slot.bound_until = Some(now + Duration::from_secs(u64::from(*expires)));
                        }
                        RegistrationState::Registering { .. } => {}
                        RegistrationState::Idle => slot.bound_until = None,
                        RegistrationState::Failed { reason, .. } => {
                            slot.bound_until = None;
                            slot.counters.registration_failures += 1;
                            slot.last_reg_status = Some(match reason {
                                tipring_sip::RegistrationFailure::AuthenticationFailed {
                                    status,
                                }
                                | tipring_sip::RegistrationFailure::Rejected { status } => *status,
                                // No answer: the transaction timed out (RFC 3261 §8.1.3.1).
                                _ => 408,
                            });
                        }
                    }
                }
                let text = match state {
                    RegistrationState::Idle => "SIP: not registered".to_string(),
                    RegistrationState::Registering { server } => {
                        format!("SIP: registering with {server}")
                    }
                    RegistrationState::Registered { server, expires } => {
                        format!("SIP: registered with {server} for {expires} s")
                    }
                    RegistrationState::Failed { reason, .. } => {
                        format!("SIP: registration failed: {reason:?}")
                    }
                };
                self.say(account, lines, text);
            }
            SipEvent::Call { account, event } => {
                let (ua_slot, event) = match event {
                    CallEvent::OtherParty(e) => (UaSlot::Other, *e),
                    e => (UaSlot::Active, e),
                };
                let legs = self.slots[account].legs;
                let waiting_call = ua_slot == UaSlot::Other && legs.leg_in(UaSlot::Other).is_none();
                let leg = legs.leg_in(ua_slot).unwrap_or(Leg::First);
                let ev = match event {
                    CallEvent::Incoming { .. }
                        if matches!(self.slots[account].peer, Some(Peer::Port(_))) =>
                    {
                        // The port is in a call through the local switch: busy.
                        self.say(account, lines, "SIP: busy with a local call, refusing");
                        self.sip_command(now, SipCommand::RejectBusy(account), lines);
                        None
                    }
                    CallEvent::Incoming { .. } if self.slots[account].fault.is_some() => {
                        // The line cannot ring: the port is out of service.
                        self.say(
                            account,
                            lines,
                            "SIP: the line is faulted, refusing the call (480)",
                        );
                        let c = if waiting_call {
                            SipCommand::RejectOther(account)
                        } else {
                            SipCommand::RejectUnavailable(account)
                        };
                        self.sip_command(now, c, lines);
                        None
                    }
                    CallEvent::Incoming {
                        number,
                        name,
                        private,
                        alert_info,
                        ..
                    } => {
                        let ring = alert_info
                            .as_deref()
                            .and_then(tipring_line::alert::ring_for_alert_info);
                        let absence = private.then_some(Absence::Private);
                        let caller = CallerId {
                            number_absence: if number.is_none() {
                                absence.or(Some(Absence::Unavailable))
                            } else {
                                None
                            },
                            name_absence: if name.is_none() { absence } else { None },
                            number,
                            name,
                            when: Some((self.wall)()),
                        };
                        let refuse = self.slots[account].dnd
                            || (self.slots[account].reject_anonymous && private);
                        let forward_all = self.slots[account].forward.all.clone();
                        if let (Some(target), false) = (forward_all, refuse) {
                            self.say(
                                account,
                                lines,
                                format!("SIP: forwarding the call to {target} (302)"),
                            );
                            self.sip_command(
                                now,
                                SipCommand::Redirect {
                                    account,
                                    target,
                                    other: waiting_call,
                                },
                                lines,
                            );
                            None
                        } else if refuse {
                            self.say(account, lines, "SIP: refused (do not disturb / anonymous)");
                            let c = if waiting_call {
                                SipCommand::RejectOther(account)
                            } else {
                                SipCommand::RejectBusy(account)
                            };
                            self.sip_command(now, c, lines);
                            None
                        } else if waiting_call {
                            self.slots[account].waiting = true;
                            Some(NetworkEvent::CallWaiting { caller })
                        } else {
                            let f = &self.slots[account].forward;
                            self.slots[account].no_answer_at =
                                f.no_answer.as_ref().map(|_| now + f.no_answer_after);
                            self.slots[account].peer = Some(Peer::Network);
                            self.slots[account].legs = Legs {
                                first: Some(UaSlot::Active),
                                ..Legs::default()
                            };
                            self.slots[account].call_info = Some((
                                now,
                                tipring_status::Direction::Incoming,
                                caller.number.clone().unwrap_or_default(),
                            ));
                            self.open_call(account, tipring_status::Direction::Incoming);
                            Some(NetworkEvent::IncomingCall { caller, ring })
                        }
                    }
                    CallEvent::Cancelled if waiting_call => {
                        self.slots[account].waiting = false;
                        Some(NetworkEvent::WaitingCancelled)
                    }
                    CallEvent::Ringing => Some(NetworkEvent::RemoteRinging),
                    CallEvent::EarlyMedia => Some(NetworkEvent::EarlyMedia),
                    // Our own answer (UAS) is already known to the line.
                    CallEvent::Answered if leg == Leg::Second => Some(NetworkEvent::Answered),
                    CallEvent::Answered => (self.state(account + 1) == LineState::Calling)
                        .then_some(NetworkEvent::Answered),
                    CallEvent::Busy => Some(NetworkEvent::Busy),
                    CallEvent::Failed { status } => {
                        self.say(account, lines, format!("SIP: call failed with {status}"));
                        Some(NetworkEvent::Failed)
                    }
                    CallEvent::Cancelled => Some(NetworkEvent::CallCancelled),
                    CallEvent::RemoteHangup => Some(NetworkEvent::RemoteHangup),
                    CallEvent::Replaced => {
                        self.say(account, lines, "SIP: call transferred to a new party");
                        None
                    }
                    CallEvent::Transferred => {
                        self.say(account, lines, "SIP: transfer done");
                        Some(NetworkEvent::RemoteHangup)
                    }
                    CallEvent::TransferFailed { status } => {
                        self.say(account, lines, format!("SIP: transfer failed ({status})"));
                        None
                    }
                    CallEvent::Dtmf(d) => {
                        self.say(account, lines, format!("SIP: far end sent key {d}"));
                        None
                    }
                    CallEvent::FaxRefused { t38, status } => {
                        self.fax_refused(now, account, t38, status, lines);
                        None
                    }
                    _ => None,
                };
                let ended = matches!(
                    ev,
                    Some(
                        NetworkEvent::Busy
                            | NetworkEvent::Failed
                            | NetworkEvent::CallCancelled
                            | NetworkEvent::RemoteHangup
                    )
                );
                // The second leg's events go to the line as such.
                let ev = match (leg, ev) {
                    (Leg::Second, Some(e)) if !waiting_call => match e {
                        NetworkEvent::RemoteRinging => {
                            Some(NetworkEvent::Second(SecondEvent::Ringing))
                        }
                        NetworkEvent::EarlyMedia => {
                            Some(NetworkEvent::Second(SecondEvent::EarlyMedia))
                        }
                        NetworkEvent::Answered => Some(NetworkEvent::Second(SecondEvent::Answered)),
                        NetworkEvent::Busy => Some(NetworkEvent::Second(SecondEvent::Busy)),
                        NetworkEvent::Failed | NetworkEvent::CallCancelled => {
                            Some(NetworkEvent::Second(SecondEvent::Failed))
                        }
                        NetworkEvent::RemoteHangup => {
                            Some(NetworkEvent::Second(SecondEvent::RemoteHangup))
                        }
                        other => Some(other),
                    },
                    (_, ev) => ev,
                };
                if ended && !waiting_call {
                    let k = self.slots[account].legs.k(leg);
                    self.stop_media_k(now, account, k);
                    self.slots[account].legs.ended(leg);
                }
                if let Some(ev) = ev {
                    self.network(now, account, ev, lines);
                }
            }
            SipEvent::MessageWaiting { account, waiting } => {
                self.network(now, account, NetworkEvent::MessageWaiting(waiting), lines);
            }
            SipEvent::Fax { account, session } => {
                self.start_fax(now, account, &session, lines);
            }
            SipEvent::Media { account, session } => {
                // Back to audio after a fax: the relay ends.
                self.finish_fax(account, lines);
                let text = format!(
                    "SIP: media {} to {} ({:?}{}{})",
                    session.codec.name,
                    session.remote,
                    session.direction,
                    if session.srtp.is_some() { ", SRTP" } else { "" },
                    if session.red.is_some() {
                        ", RFC 2198 redundancy"
                    } else {
                        ""
                    }
                );
                self.say(account, lines, text);
                self.start_media(now, account, &session, lines);
            }
            SipEvent::BadMessage {
                from,
                reason,
                answered,
            } => {
                tracing::debug!(%from, %reason, ?answered, "bad SIP message");
            }
            SipEvent::Ping { id, result, .. } => self.pings_done.push((id, result)),
            _ => {}
        }
    }

    fn start_media(&mut self, now: Instant, i: usize, n: &Negotiated, lines: &mut Vec<String>) {
        let Some(anchor) = self.anchor else { return };
        self.media_seed = self.media_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let cname = format!("port{}@tipring", i + 1);
        let mut opts = self.media_opts.clone();
        if let Some(tail) = self.slots[i].cfg.echo_tail_ms {
            opts.echo_tail_ms = tail;
        }
        let cfg = match media_config(n, &opts, cname, self.media_seed) {
            Ok(mut c) => {
                let p = &self.slots[i].cfg;
                c.red_depth = p.fax.passthrough_redundancy;
                c.tx_gain_db = p.tx_gain_db;
                c.rx_gain_db = p.rx_gain_db;
                if p.dtmf != tipring_config::DtmfMethod::Rfc4733 {
                    c.dtmf = tipring_media::DtmfMode::Inband;
                }
                c
            }
            Err(e) => {
                self.say(i, lines, format!("media refused: {e:#}"));
                return;
            }
        };
        let wall = anchor.ntp(now);
        let k = self
            .rtp_ports
            .iter()
            .position(|&p| p == n.local_port)
            .map_or(0, |socket| socket % 2);
        let r = match self.slots[i].media[k].as_mut() {
            Some(m) => m.update(cfg, now, wall),
            None => MediaSession::new(cfg, now, wall).map(|m| {
                self.slots[i].media[k] = Some(m);
                let slot = &mut self.slots[i];
                if slot.call_open && !slot.call_answered {
                    slot.call_answered = true;
                    slot.counters.calls_answered += 1;
                }
            }),
        };
        if let Err(e) = r {
            self.say(i, lines, format!("media refused: {e}"));
        }
        // A fax-only line, or a call already switched to voice-band data (a new answer
        // rebuilds the session): no voice processing.
        let slot = &self.slots[i];
        if slot.cfg.fax.passthrough == tipring_config::FaxPassThrough::Force || slot.fax_call.vbd {
            self.voice_band_data(i, k, lines);
        }
    }

    /// Carry port `i`'s call on media pair `k` as G.711 voice-band data (V.152).
    fn voice_band_data(&mut self, i: usize, k: usize, lines: &mut Vec<String>) {
        let jitter = self.slots[i].cfg.fax.jitter_ms;
        let slot = &mut self.slots[i];
        let Some(m) = slot.media[k].as_mut() else {
            return;
        };
        if m.stats().voice_band_data {
            return;
        }
        if !slot.fax_call.vbd {
            slot.fax_call.vbd = true;
            slot.counters.fax_passthrough += 1;
        }
        let text = match m.voice_band_data(jitter) {
            Ok(()) => format!(
                "fax: G.711 pass-through (voice-band data: fixed {jitter} ms jitter buffer, no VAD, DTMF detection or echo suppression)"
            ),
            Err(e) => format!("fax: pass-through refused: {e}"),
        };
        self.say(i, lines, text);
    }

    /// A fax tone on port `i`'s call (media pair `k`): the port's policy decides — T.38 by
    /// re-INVITE when the port's own machine answers or speaks T.30, G.711 pass-through
    /// when T.38 is off or refused.
    fn on_fax_tone(
        &mut self,
        now: Instant,
        i: usize,
        k: usize,
        kind: FaxToneKind,
        from_phone: bool,
        lines: &mut Vec<String>,
    ) {
        use tipring_config::FaxPassThrough;
        if matches!(kind, FaxToneKind::End | FaxToneKind::PhaseReversal) {
            return;
        }
        let policy = self.slots[i].cfg.fax.clone();
        let has_sip = self.ua.is_some();
        let slot = &mut self.slots[i];
        if slot.fax.is_some() {
            return;
        }
        slot.fax_call.detected = true;
        if from_phone && matches!(kind, FaxToneKind::Ced | FaxToneKind::AnsAm) {
            slot.fax_call.answering = true;
        }
        // T.38 is asked for by the gateway whose machine answered (CED/ANSam) or speaks
        // T.30 (V.21 flags): the usual rule, so the two gateways rarely cross re-INVITEs.
        let t38_now = policy.t38_enable
            && has_sip
            && !slot.fax_call.t38_asked
            && !slot.fax_call.t38_refused
            && from_phone
            && matches!(
                kind,
                FaxToneKind::Ced | FaxToneKind::AnsAm | FaxToneKind::V21Flags
            );
        if policy.passthrough != FaxPassThrough::Disable {
            // Whatever comes next, the tones must get through untouched meanwhile.
            self.voice_band_data(i, k, lines);
        }
        if t38_now {
            self.slots[i].fax_call.t38_asked = true;
            self.say(i, lines, "fax: asking the far end for T.38 (re-INVITE)");
            self.sip_command(
                now,
                SipCommand::SwitchToFax {
                    account: i,
                    t38: true,
                },
                lines,
            );
            return;
        }
        if !policy.t38_enable || self.slots[i].fax_call.t38_refused {
            // As for T.38, the side whose machine answers or speaks T.30 re-INVITEs.
            let ask = from_phone
                && matches!(
                    kind,
                    FaxToneKind::Ced | FaxToneKind::AnsAm | FaxToneKind::V21Flags
                );
            self.pass_through(now, i, k, ask, lines);
        }
    }

    /// G.711 pass-through for a fax on port `i`'s call: in place when the call already
    /// runs G.711 (with RFC 2198 redundancy agreed, when the port wants it), else (when
    /// `ask`) a re-INVITE to PCMU/PCMA marked as voice-band data, offering redundancy.
    fn pass_through(
        &mut self,
        now: Instant,
        i: usize,
        k: usize,
        ask: bool,
        lines: &mut Vec<String>,
    ) {
        if self.slots[i].cfg.fax.passthrough == tipring_config::FaxPassThrough::Disable {
            return;
        }
        self.voice_band_data(i, k, lines);
        let Some(cfg) = self.slots[i].media[k].as_ref().map(|m| m.config().clone()) else {
            return;
        };
        let g711 = matches!(
            cfg.codec,
            tipring_codec::CodecId::Pcmu | tipring_codec::CodecId::Pcma
        );
        let want_red = self.slots[i].cfg.fax.passthrough_redundancy > 0;
        let has_sip = self.ua.is_some();
        let slot = &mut self.slots[i];
        let renegotiate = !g711 || (want_red && cfg.red.is_none());
        if renegotiate && ask && has_sip && !slot.fax_call.vbd_asked {
            slot.fax_call.vbd_asked = true;
            self.say(
                i,
                lines,
                "fax: asking the far end for G.711 voice-band data (re-INVITE)",
            );
            self.sip_command(
                now,
                SipCommand::SwitchToFax {
                    account: i,
                    t38: false,
                },
                lines,
            );
        }
    }

    /// The far end did not take our fax re-INVITE.
    fn fax_refused(
        &mut self,
        now: Instant,
        i: usize,
        t38: bool,
        status: u16,
        lines: &mut Vec<String>,
    ) {
        if t38 {
            self.say(
                i,
                lines,
                format!("fax: the far end refused T.38 ({status}); G.711 pass-through"),
            );
            self.slots[i].fax_call.t38_refused = true;
            let k = self.active_pair(i);
            self.pass_through(now, i, k, true, lines);
        } else {
            self.say(
                i,
                lines,
                format!("fax: the far end refused G.711 ({status}); the call stays as it is"),
            );
        }
    }

    /// The media pair of the port's active call.
    fn active_pair(&self, i: usize) -> usize {
        let slot = &self.slots[i];
        slot.legs
            .leg_in(UaSlot::Active)
            .map_or(slot.legs.first_k, |l| slot.legs.k(l))
    }

    /// T.38 was agreed for port `i`'s call: the RTP session gives way to a fax relay on
    /// the same socket.
    fn start_fax(
        &mut self,
        now: Instant,
        i: usize,
        session: &tipring_sip::fax::T38Session,
        lines: &mut Vec<String>,
    ) {
        if self.slots[i].fax.is_some() {
            // A new T.38 answer within the fax (a refresh): the relay goes on.
            return;
        }
        let k = self
            .rtp_ports
            .iter()
            .position(|&p| p == session.local_port)
            .map_or(0, |socket| socket % 2);
        match FaxRelay::new(session, &self.slots[i].cfg.fax) {
            Ok(relay) => {
                let p = &session.params;
                self.say(
                    i,
                    lines,
                    format!(
                        "fax: T.38 relay to {} (version {}, {} bit/s, {:?}, datagrams up to {} bytes)",
                        session.remote, p.version, p.max_bit_rate, p.udp_ec, p.max_datagram
                    ),
                );
                // The voice session ends (RTCP BYE); the call goes on as fax.
                let call = self.slots[i].fax_call;
                self.stop_media_k(now, i, k);
                self.slots[i].fax_call = call;
                self.slots[i].fax = Some((k, relay));
            }
            Err(e) => self.say(i, lines, format!("fax: T.38 relay failed to start: {e}")),
        }
    }

    /// The port's fax relay ends (the call ended or went back to audio): its pages count.
    fn finish_fax(&mut self, i: usize, lines: &mut Vec<String>) {
        let Some((_, relay)) = self.slots[i].fax.take() else {
            return;
        };
        let s = relay.stats();
        let slot = &mut self.slots[i];
        let c = &mut slot.counters;
        c.fax_pages += u64::from(s.pages);
        c.fax_malformed += s.malformed_udptl + s.malformed_ifp;
        let what = if s.pages == 0 {
            c.fax_failed += 1;
            "failed (no page got through)"
        } else if slot.fax_call.answering {
            c.fax_received += 1;
            "received"
        } else {
            c.fax_sent += 1;
            "sent"
        };
        tracing::info!(
            port = i + 1,
            pages = s.pages,
            bit_rate = s.bit_rate,
            ecm = s.ecm,
            datagrams_sent = s.datagrams_sent,
            datagrams_received = s.datagrams_received,
            recovered = s.ifp_recovered,
            lost = s.ifp_lost,
            malformed_udptl = s.malformed_udptl,
            malformed_ifp = s.malformed_ifp,
            "T.38 fax ended"
        );
        self.say(
            i,
            lines,
            format!(
                "fax: T.38 relay ended: {what}, {} pages at {} bit/s; {} IFP packets recovered, {} lost, {} malformed dropped",
                s.pages,
                s.bit_rate,
                s.ifp_recovered,
                s.ifp_lost,
                s.malformed_udptl + s.malformed_ifp
            ),
        );
    }

    /// End every call's media of port `i`.
    fn stop_media(&mut self, now: Instant, i: usize) {
        for k in 0..2 {
            self.stop_media_k(now, i, k);
        }
    }

    /// End the media of port `i`'s call on its media pair `k` (an RTCP BYE goes out; a
    /// fax relay on it ends and counts its pages).
    fn stop_media_k(&mut self, now: Instant, i: usize, k: usize) {
        if self.slots[i].fax.as_ref().is_some_and(|(fk, _)| *fk == k) {
            let mut lines = Vec::new();
            self.finish_fax(i, &mut lines);
            self.deferred.append(&mut lines);
            self.slots[i].fax_call = FaxCall::default();
        }
        // A conference ends with either of its calls.
        self.slots[i].conference = false;
        if let Some(mut m) = self.slots[i].media[k].take() {
            if self.slots[i].fax.is_none() {
                self.slots[i].fax_call = FaxCall::default();
            }
            m.close(now);
            let last = self.call_status(i, &m.stats(), now);
            let slot = &mut self.slots[i];
            slot.counters.talk_seconds += last.duration_s;
            slot.last_call = Some(last);
            let mut buf = [0u8; tipring_media::MAX_DATAGRAM];
            while let Some(t) = m.poll_transmit(&mut buf) {
                self.media_out
                    .push((2 * i + k, t.channel, t.to, buf[..t.len].to_vec()));
            }
            let s = m.stats();
            tracing::info!(
                port = i + 1,
                codec = %s.codec,
                sent = s.packets_sent,
                received = s.packets_received,
                lost = s.lost,
                jitter_ms = s.jitter_ms,
                mos_lq = ?s.mos_lq,
                "call media ended"
            );
        }
    }

    /// Run the port's media timers and collect what it sends and reports.
    fn drain_media(&mut self, now: Instant, i: usize, lines: &mut Vec<String>) {
        let mut events = Vec::new();
        if let Some((k, relay)) = self.slots[i].fax.as_mut() {
            let to = relay.remote();
            while let Some(d) = relay.poll_transmit() {
                self.media_out.push((2 * i + *k, Channel::Rtp, to, d));
            }
        }
        for (k, slot) in self.slots[i].media.iter_mut().enumerate() {
            let Some(m) = slot.as_mut() else { continue };
            if m.poll_timeout().is_some_and(|t| t <= now) {
                m.handle_timeout(now);
            }
            let mut buf = [0u8; tipring_media::MAX_DATAGRAM];
            while let Some(t) = m.poll_transmit(&mut buf) {
                self.media_out
                    .push((2 * i + k, t.channel, t.to, buf[..t.len].to_vec()));
            }
            while let Some(e) = m.poll_event() {
                events.push((k, e));
            }
        }
        for (k, e) in events {
            match e {
                MediaEvent::DtmfReceived { digit } => {
                    self.say(i, lines, format!("far end sent key {digit} (RFC 4733)"))
                }
                MediaEvent::DtmfSent { digit } => {
                    self.say(i, lines, format!("key {digit} sent as RFC 4733 events"))
                }
                MediaEvent::FlashReceived => self.say(i, lines, "far end sent a hook flash"),
                MediaEvent::FaxTone { kind, from_phone } => {
                    self.say(
                        i,
                        lines,
                        format!(
                            "fax/modem tone {kind:?} from the {}",
                            if from_phone { "phone" } else { "network" }
                        ),
                    );
                    self.on_fax_tone(now, i, k, kind, from_phone, lines);
                }
                MediaEvent::Latched { to } => self.say(
                    i,
                    lines,
                    format!("RTP latched to the far end's source {to}"),
                ),
                MediaEvent::Timeout => {
                    self.say(i, lines, "no RTP from the far end: hanging up");
                    self.stop_media(now, i);
                    self.sip_command(now, SipCommand::Hangup(i), lines);
                    self.network(now, i, NetworkEvent::RemoteHangup, lines);
                }
                MediaEvent::RemoteBye => {
                    tracing::debug!(port = i + 1, "far end sent RTCP BYE")
                }
                _ => {}
            }
        }
    }

    /// RTP/RTCP datagrams to send: RTP socket pair index (two per port: the port's first
    /// and second call), RTP or RTCP socket, destination, bytes.
    pub fn take_media_out(&mut self) -> Vec<(usize, Channel, SocketAddr, Vec<u8>)> {
        std::mem::take(&mut self.media_out)
    }

    /// A datagram arrived on RTP socket pair `socket` (two per port: port = socket / 2).
    pub fn media_receive(
        &mut self,
        now: Instant,
        socket: usize,
        channel: Channel,
        from: SocketAddr,
        data: &[u8],
    ) {
        let port = socket / 2;
        if self.media_loss.as_mut().is_some_and(Loss::drop) {
            return;
        }
        if let Some((k, relay)) = self.slots.get_mut(port).and_then(|s| s.fax.as_mut()) {
            if *k == socket % 2 {
                if channel == Channel::Rtp {
                    relay.receive(from, data);
                }
                return;
            }
        }
        match self
            .slots
            .get_mut(port)
            .and_then(|s| s.media[socket % 2].as_mut())
        {
            Some(m) => m.receive(now, channel, from, data),
            None => tracing::trace!(port, %from, "RTP with no call: dropped"),
        }
    }

    /// The media figures of port `p`'s (from 1) call, if it has one.
    pub fn media_stats(&self, p: usize) -> Option<MediaStats> {
        let slot = self.slots.get(p - 1)?;
        // The call the phone talks on: the active leg's, else whichever there is.
        let active = slot.legs.leg_in(UaSlot::Active).map(|l| slot.legs.k(l));
        active
            .and_then(|k| slot.media[k].as_ref())
            .or_else(|| slot.media.iter().flatten().next())
            .map(|m| m.stats())
    }

    /// What the status endpoint shows: every port's hook, line state, registration and
    /// current call (with its media figures). No secret has a field to travel in.
    pub fn status(&self, now: Instant, uptime: Duration) -> tipring_status::GatewayStatus {
        use tipring_status::{
            GatewayStatus, Hook, PortStatus, RegistrationState as Reg, RegistrationStatus,
        };
        let ports = (0..self.slots.len())
            .map(|i| {
                let slot = &self.slots[i];
                let mut registration = match self.ua.as_ref().and_then(|ua| ua.registration(i)) {
                    None => RegistrationStatus::default(),
                    Some(RegistrationState::Idle) => RegistrationStatus {
                        state: Reg::Idle,
                        ..Default::default()
                    },
                    // A refresh in flight: the binding still lasts (no flap on every refresh).
                    Some(RegistrationState::Registering { server }) => match slot.bound_until {
                        Some(until) if until > now => RegistrationStatus {
                            state: Reg::Registered,
                            server: Some(server.addr.to_string()),
                            expires_in: Some(until.duration_since(now).as_secs() as u32),
                            ..Default::default()
                        },
                        _ => RegistrationStatus {
                            state: Reg::Registering,
                            server: Some(server.addr.to_string()),
                            ..Default::default()
                        },
                    },
                    Some(RegistrationState::Registered { server, expires }) => RegistrationStatus {
                        state: Reg::Registered,
                        server: Some(server.addr.to_string()),
                        expires_in: Some(*expires),
                        ..Default::default()
                    },
                    Some(_) => RegistrationStatus {
                        state: Reg::Failed,
                        ..Default::default()
                    },
                };
                if registration.state != Reg::Disabled {
                    registration.aor = self
                        .sip_domain
                        .as_ref()
                        .map(|d| format!("sip:{}@{d}", slot.ext));
                }
                registration.last_status = slot.last_reg_status;
                let call = self
                    .media_stats(i + 1)
                    .map(|st| self.call_status(i, &st, now));
                PortStatus {
                    port: i as u32 + 1,
                    extension: slot.ext.clone(),
                    hook: if slot.driver.port().is_off_hook() {
                        Hook::Off
                    } else {
                        Hook::On
                    },
                    line_state: self.state(i + 1).to_string(),
                    registration,
                    call,
                    last_call: slot.last_call.clone(),
                    fault: slot.fault.clone(),
                    disabled: !slot.cfg.enabled,
                    counters: slot.counters,
                }
            })
            .collect();
        let mut sip = tipring_status::SipCounters {
            messages_sent: self.sip_sent,
            transport_errors: self.sip_transport_errors,
            ..Default::default()
        };
        if let Some(ua) = &self.ua {
            sip.bad_answered = ua.stats().bad_answered;
            sip.bad_dropped = ua.stats().bad_dropped;
            // "Received and parsed": what was not dropped as unreadable.
            sip.messages_received = self.sip_received.saturating_sub(sip.bad_dropped);
        }
        for slot in &self.slots {
            sip.registration_failures += slot.counters.registration_failures;
            sip.calls_incoming += slot.counters.calls_incoming;
            sip.calls_outgoing += slot.counters.calls_outgoing;
        }
        GatewayStatus {
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: uptime.as_secs(),
            config_version: None,
            ports,
            sip,
            access: Vec::new(),
        }
    }

    /// A call starts on port `i`: count it; the call before it (if still open) ends.
    fn open_call(&mut self, i: usize, direction: tipring_status::Direction) {
        self.close_call(i);
        let slot = &mut self.slots[i];
        match direction {
            tipring_status::Direction::Incoming => slot.counters.calls_incoming += 1,
            tipring_status::Direction::Outgoing => slot.counters.calls_outgoing += 1,
        }
        slot.call_open = true;
        slot.call_answered = false;
    }

    /// Port `i`'s open call ended: unanswered, it counts as failed.
    fn close_call(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if std::mem::take(&mut slot.call_open) && !slot.call_answered {
            slot.counters.calls_failed += 1;
        }
    }

    /// A port's call figures as the status page shows them.
    fn call_status(
        &self,
        i: usize,
        st: &tipring_media::MediaStats,
        now: Instant,
    ) -> tipring_status::CallStatus {
        let (since, direction, remote_number) = self.slots[i].call_info.clone().unwrap_or((
            now,
            tipring_status::Direction::Incoming,
            String::new(),
        ));
        tipring_status::CallStatus {
            direction,
            remote_number,
            codec: st.codec.to_string(),
            srtp: st.srtp.is_some(),
            duration_s: now.saturating_duration_since(since).as_secs(),
            packets_sent: st.packets_sent,
            packets_received: st.packets_received,
            packets_lost: st.lost,
            jitter_ms: f64::from(st.jitter_ms),
            jitter_buffer_ms: f64::from(st.jitter_buffer_ms),
            mos_lq: st.mos_lq,
            mos_cq: st.mos_cq,
            r_factor: st.r_factor,
            rtt_ms: st.rtt.map(|d| d.as_secs_f64() * 1000.0),
            erle_db: st.erle_db.map(f64::from),
        }
    }

    /// Set or clear a line fault on port `p` (from 1), as a SLIC reports one; the port is
    /// out of service while it lasts (SNMP ifOperStatus down, TIPRING-MIB port fault).
    pub fn set_fault(&mut self, p: usize, fault: Option<String>) {
        if let Some(slot) = self.slots.get_mut(p.wrapping_sub(1)) {
            slot.fault = fault;
        }
    }

    /// Port `p`'s extension (`p` from 0).
    pub fn extension(&self, p: usize) -> &str {
        &self.slots[p].ext
    }

    /// Number of ports.
    pub fn ports(&self) -> usize {
        self.slots.len()
    }

    /// The line state of port `p` (from 1).
    pub fn state(&self, p: usize) -> LineState {
        self.slots[p - 1].driver.line().state()
    }

    /// The simulated port `p` (from 1).
    pub fn port(&self, p: usize) -> &SimPort {
        self.slots[p - 1].driver.port()
    }

    /// Advance one 10 ms frame ending at `now`; returns what to print.
    pub fn tick(&mut self, now: Instant) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.deferred);
        let mut outs = Vec::new();
        for i in 0..self.slots.len() {
            outs.clear();
            let peer_said = match self.slots[i].peer {
                Some(Peer::Port(j)) => Some(self.slots[j].said),
                _ => None,
            };
            let Slot {
                driver,
                said,
                media,
                conference,
                played,
                fax,
                ..
            } = &mut self.slots[i];
            match (peer_said, &media) {
                (Some(peer_said), _) => {
                    let mut bridge = LocalBridge {
                        peer_said,
                        my_said: said,
                    };
                    driver.tick_voice(now, &mut outs, Some(&mut bridge));
                }
                (None, _) if media.iter().any(Option::is_some) || fax.is_some() => {
                    let mut voices = Voices {
                        media,
                        conference: *conference,
                        played,
                        fax: fax.as_mut(),
                    };
                    driver.tick_voice(now, &mut outs, Some(&mut voices))
                }
                (None, _) => driver.tick(now, &mut outs),
            }
            self.drain_media(now, i, &mut lines);
            self.no_answer_forward(now, i, &mut lines);
            for o in std::mem::take(&mut outs) {
                self.on_output(now, i, o, &mut lines);
            }
            self.observe_phone(i, &mut lines);
            if let Some(text) = self.slots[i]
                .driver
                .port_mut()
                .device_mut()
                .and_then(|d| d.report())
            {
                self.say(i, &mut lines, text);
            }
            if self.slots[i].call_open && self.port_idle(i) {
                self.close_call(i);
            }
            if self.slots[i].pending_line.is_some() && self.port_idle(i) {
                let line = self.slots[i].pending_line.take().expect("checked");
                match self.slots[i].driver.line_mut().set_config(line) {
                    Ok(()) => self.say(i, &mut lines, "the line's new settings apply now"),
                    Err(e) => self.say(i, &mut lines, format!("line configuration refused: {e}")),
                }
            }
            let Slot { tap, driver, .. } = &mut self.slots[i];
            if let Some((_, rec)) = tap.as_mut() {
                if rec.len() < MAX_AUDIO_SAMPLES {
                    rec.extend_from_slice(driver.next_tx());
                }
            }
            // The earpiece is kept only while recording.
            let ear = self.slots[i].driver.port_mut().take_earpiece();
            if let Some((_, rec)) = self.slots[i].recording.as_mut() {
                let room = MAX_AUDIO_SAMPLES.saturating_sub(rec.len());
                rec.extend_from_slice(&ear[..ear.len().min(room)]);
            }
        }
        if let Some(ua) = self.ua.as_mut() {
            if ua.poll_timeout().is_some_and(|t| t <= now) {
                ua.handle_input(SipInput::Timeout(now));
            }
        }
        self.drain_sip(now, &mut lines);
        lines
    }

    /// Report a port's event: a line for the prompt, and a structured log record (the
    /// simulated phone's observations at DEBUG, the gateway's own events at INFO).
    fn say(&self, i: usize, lines: &mut Vec<String>, text: impl AsRef<str>) {
        let (port, ext, text_ref) = (i + 1, &self.slots[i].ext, text.as_ref());
        if text_ref.starts_with("phone ") || text_ref.starts_with("tone:") {
            tracing::debug!(port, extension = %ext, "{text_ref}");
        } else {
            tracing::info!(port, extension = %ext, "{text_ref}");
        }
        lines.push(format!(
            "[port {} ext {}] {}",
            i + 1,
            self.slots[i].ext,
            text.as_ref()
        ));
    }

    fn network(&mut self, now: Instant, i: usize, ev: NetworkEvent, lines: &mut Vec<String>) {
        let mut outs = Vec::new();
        self.slots[i].driver.network(now, ev, &mut outs);
        for o in outs {
            self.on_output(now, i, o, lines);
        }
    }

    fn on_output(&mut self, now: Instant, i: usize, o: Output, lines: &mut Vec<String>) {
        match o {
            Output::Event(ev) => match ev {
                LineEvent::State(s) => self.say(i, lines, format!("line: {s}")),
                LineEvent::Digit { digit, source } => {
                    self.say(i, lines, format!("digit {digit} ({source:?})"))
                }
                LineEvent::NumberComplete { number } => {
                    self.say(i, lines, format!("number complete: {number}"))
                }
                LineEvent::NumberRejected { digits, reason } => {
                    self.say(i, lines, format!("number `{digits}` refused: {reason}"))
                }
                LineEvent::Flash => self.say(i, lines, "hook flash"),
                LineEvent::Tone(k) => self.say(i, lines, format!("tone: {}", k.name())),
                LineEvent::CallerIdSent(_) => {}
                other => self.say(i, lines, format!("{other:?}")),
            },
            Output::Call(cmd) => self.on_call(now, i, cmd, lines),
            Output::LineFeed(_) => {}
            _ => {}
        }
    }

    /// The line's supplementary-service commands, as SIP actions on the UA's two call
    /// slots of the account (tipring-sip: hold/resume re-INVITEs, a consultation call,
    /// call waiting, REFER with Replaces).
    fn service_command(
        &mut self,
        now: Instant,
        i: usize,
        cmd: CallCommand,
        lines: &mut Vec<String>,
    ) -> Option<SipCommand> {
        let legs = &mut self.slots[i].legs;
        match cmd {
            CallCommand::Hold => Some(match legs.first {
                Some(UaSlot::Other) => return None, // already the held call
                _ => SipCommand::Hold(i),
            }),
            CallCommand::Resume => Some(match legs.first {
                Some(UaSlot::Other) => SipCommand::ResumeOther(i),
                _ => SipCommand::Resume(i),
            }),
            CallCommand::DialSecond { number, .. } => {
                legs.first = Some(UaSlot::Other);
                legs.second = Some(UaSlot::Active);
                self.slots[i].second_number = Some(number.clone());
                self.say(i, lines, format!("SIP: consultation call to {number}"));
                Some(SipCommand::Consult { account: i, number })
            }
            CallCommand::AnswerWaiting => {
                legs.first = Some(UaSlot::Other);
                legs.second = Some(UaSlot::Active);
                self.slots[i].waiting = false;
                Some(SipCommand::AnswerOther(i))
            }
            CallCommand::Swap => {
                legs.swap();
                self.slots[i].conference = false;
                Some(SipCommand::Swap(i))
            }
            CallCommand::Conference => {
                self.say(
                    i,
                    lines,
                    "3-way conference: both calls resumed and mixed here",
                );
                self.slots[i].conference = true;
                Some(SipCommand::ResumeOther(i))
            }
            CallCommand::Transfer { attended: true } => {
                self.say(i, lines, "SIP: attended transfer (REFER with Replaces)");
                Some(SipCommand::AttendedTransfer(i))
            }
            CallCommand::Transfer { attended: false } => {
                // The consultation still rings: cancel it and send the held party there
                // (blind transfer, REFER in the held call).
                let Some(target) = self.slots[i].second_number.take() else {
                    return Some(SipCommand::Hangup(i));
                };
                self.say(i, lines, format!("SIP: blind transfer to {target} (REFER)"));
                self.stop_media(now, i);
                self.slots[i].legs = Legs::default();
                self.sip_command(now, SipCommand::Hangup(i), lines);
                Some(SipCommand::BlindTransferOther { account: i, target })
            }
            CallCommand::HangupLeg(leg) => {
                let slot = legs.slot(leg)?;
                let k = legs.k(leg);
                legs.ended(leg);
                self.stop_media_k(now, i, k);
                Some(match slot {
                    UaSlot::Active => SipCommand::Hangup(i),
                    UaSlot::Other => SipCommand::HangupOther(i),
                })
            }
            CallCommand::Feature(f) => {
                let fw = &mut self.slots[i].forward;
                match &f {
                    Feature::DoNotDisturb(on) => self.slots[i].dnd = *on,
                    Feature::AnonymousReject(on) => self.slots[i].reject_anonymous = *on,
                    Feature::ForwardAll(t) => fw.all = t.clone(),
                    Feature::ForwardBusy(t) => fw.busy = t.clone(),
                    Feature::ForwardNoAnswer(t) => fw.no_answer = t.clone(),
                    _ => {}
                }
                self.say(i, lines, format!("feature set: {f:?}"));
                None
            }
            _ => None,
        }
    }

    /// Forward a call the phone let ring too long (forward on no answer).
    fn no_answer_forward(&mut self, now: Instant, i: usize, lines: &mut Vec<String>) {
        let Some(at) = self.slots[i].no_answer_at else {
            return;
        };
        if self.state(i + 1) != LineState::Ringing {
            self.slots[i].no_answer_at = None;
            return;
        }
        if now < at {
            return;
        }
        self.slots[i].no_answer_at = None;
        let Some(target) = self.slots[i].forward.no_answer.clone() else {
            return;
        };
        self.say(
            i,
            lines,
            format!("SIP: no answer, forwarding the call to {target} (302)"),
        );
        self.sip_command(
            now,
            SipCommand::Redirect {
                account: i,
                target,
                other: false,
            },
            lines,
        );
        self.slots[i].peer = None;
        self.slots[i].legs = Legs::default();
        self.network(now, i, NetworkEvent::CallCancelled, lines);
    }

    /// Whether port `i` (from 0) is registered with a SIP server now.
    fn registered(&self, i: usize) -> bool {
        self.ua
            .as_ref()
            .and_then(|ua| ua.registration(i))
            .is_some_and(|s| matches!(s, RegistrationState::Registered { .. }))
    }

    /// Call commands go to SIP, except for calls between ports of this gateway while
    /// the calling port has no registrar (survivability): those the local switch connects,
    /// as it does for every call when SIP is off.
    fn on_call(&mut self, now: Instant, i: usize, cmd: CallCommand, lines: &mut Vec<String>) {
        let local_call = matches!(self.slots[i].peer, Some(Peer::Port(_)));
        let survive = match &cmd {
            CallCommand::Dial { number, .. } => {
                self.ua.is_some()
                    && !self.registered(i)
                    && self.slots.iter().any(|s| &s.ext == number)
            }
            _ => false,
        };
        if survive {
            self.say(
                i,
                lines,
                "no registrar reachable: connecting the extension locally",
            );
        }
        if self.ua.is_some() && !local_call && !survive {
            let sip = match cmd {
                CallCommand::Dial {
                    number, private, ..
                } => {
                    self.slots[i].legs = Legs {
                        first: Some(UaSlot::Active),
                        ..Legs::default()
                    };
                    self.slots[i].call_info =
                        Some((now, tipring_status::Direction::Outgoing, number.clone()));
                    self.open_call(i, tipring_status::Direction::Outgoing);
                    let peer = (!self.registered(i))
                        .then(|| self.peers.iter().find(|p| number.starts_with(&p.prefix)))
                        .flatten()
                        .map(|p| p.addr);
                    match peer {
                        Some(addr) => {
                            self.say(
                                i,
                                lines,
                                format!("SIP: calling {number} at peer gateway {addr}"),
                            );
                            Some(SipCommand::DialPeer {
                                account: i,
                                number,
                                peer: SipPeer::udp(addr),
                                private,
                            })
                        }
                        None => {
                            let withheld = if private { " (caller ID withheld)" } else { "" };
                            self.say(i, lines, format!("SIP: calling {number}{withheld}"));
                            Some(SipCommand::Dial {
                                account: i,
                                number,
                                private,
                            })
                        }
                    }
                }
                CallCommand::Answer => Some(SipCommand::Answer(i)),
                CallCommand::Hangup => {
                    self.stop_media(now, i);
                    if self.slots[i].legs.second.is_some() || self.slots[i].waiting {
                        self.sip_command(now, SipCommand::HangupOther(i), lines);
                    }
                    self.slots[i].legs = Legs::default();
                    self.slots[i].waiting = false;
                    Some(SipCommand::Hangup(i))
                }
                // During a call it refuses the waiting call; forward-on-busy sends it on.
                CallCommand::RejectBusy => {
                    let other = std::mem::take(&mut self.slots[i].waiting);
                    match self.slots[i].forward.busy.clone() {
                        Some(target) => {
                            self.say(
                                i,
                                lines,
                                format!("SIP: busy, forwarding the call to {target} (302)"),
                            );
                            Some(SipCommand::Redirect {
                                account: i,
                                target,
                                other,
                            })
                        }
                        None if other => Some(SipCommand::RejectOther(i)),
                        None => Some(SipCommand::RejectBusy(i)),
                    }
                }
                // With telephone-event the media session detects the key itself, cuts it
                // from the audio and sends RFC 4733 events; without, it stays in-band and
                // also goes as SIP INFO for PBXs that listen for that.
                CallCommand::Digit(digit) => {
                    let events = self.slots[i]
                        .media
                        .iter()
                        .flatten()
                        .any(|m| m.config().telephone_event.is_some());
                    let info = match self.slots[i].cfg.dtmf {
                        tipring_config::DtmfMethod::Rfc4733 => !events,
                        tipring_config::DtmfMethod::Inband => false,
                        tipring_config::DtmfMethod::Info => true,
                    };
                    info.then_some(SipCommand::SendDtmf {
                        account: i,
                        digit,
                        duration_ms: 100,
                    })
                }
                CallCommand::Flash => {
                    // FlashMode::Relay: the PBX runs the services.
                    let sent = self.slots[i]
                        .media
                        .iter_mut()
                        .flatten()
                        .any(|m| m.send_flash());
                    if sent {
                        self.say(i, lines, "flash sent as RFC 4733 event 16");
                    }
                    None
                }
                other => self.service_command(now, i, other, lines),
            };
            if let Some(c) = sip {
                self.slots[i].peer = None;
                self.sip_command(now, c, lines);
            }
            return;
        }
        match cmd {
            CallCommand::Dial { number, .. } => {
                match self.slots.iter().position(|s| s.ext == number) {
                    Some(j) if j != i && self.slots[j].fault.is_some() => {
                        self.say(i, lines, format!("ext {number} is out of service"));
                        self.network(now, i, NetworkEvent::Busy, lines);
                    }
                    Some(j) if j != i && self.state(j + 1) == LineState::Idle => {
                        self.say(i, lines, format!("calling port {} (ext {number})", j + 1));
                        self.slots[i].peer = Some(Peer::Port(j));
                        self.slots[j].peer = Some(Peer::Port(i));
                        let caller = CallerId {
                            number: Some(self.slots[i].ext.clone()),
                            name: Some(format!("Port {}", i + 1)),
                            when: Some((self.wall)()),
                            ..CallerId::default()
                        };
                        self.network(
                            now,
                            j,
                            NetworkEvent::IncomingCall { caller, ring: None },
                            lines,
                        );
                        self.network(now, i, NetworkEvent::RemoteRinging, lines);
                    }
                    Some(_) => {
                        self.say(i, lines, format!("ext {number} is busy"));
                        self.network(now, i, NetworkEvent::Busy, lines);
                    }
                    None => {
                        self.say(
                            i,
                            lines,
                            format!(
                                "calling {number} on the network (simulated: `answer {p}` or `busy {p}`)",
                                p = i + 1
                            ),
                        );
                        self.slots[i].peer = Some(Peer::Network);
                        self.network(now, i, NetworkEvent::RemoteRinging, lines);
                    }
                }
            }
            CallCommand::Answer => {
                self.say(i, lines, "answered");
                if let Some(Peer::Port(j)) = self.slots[i].peer {
                    self.network(now, j, NetworkEvent::Answered, lines);
                }
            }
            CallCommand::Hangup => {
                if let Some(Peer::Port(j)) = self.slots[i].peer.take() {
                    self.slots[j].peer = None;
                    let ev = if self.state(j + 1) == LineState::Ringing {
                        NetworkEvent::CallCancelled
                    } else {
                        NetworkEvent::RemoteHangup
                    };
                    self.network(now, j, ev, lines);
                }
            }
            CallCommand::RejectBusy => {
                if let Some(Peer::Port(j)) = self.slots[i].peer.take() {
                    self.slots[j].peer = None;
                    self.network(now, j, NetworkEvent::Busy, lines);
                }
            }
            CallCommand::Flash => self.say(i, lines, "flash sent to the call"),
            CallCommand::Digit(d) => self.say(i, lines, format!("key {d} sent to the call")),
            _ => {}
        }
    }

    fn observe_phone(&mut self, i: usize, lines: &mut Vec<String>) {
        let port = self.slots[i].driver.port();
        let heard: Vec<u32> = match port.listen() {
            Heard::Tone { freqs_hz, .. } => freqs_hz.iter().map(|f| f.round() as u32).collect(),
            _ => Vec::new(),
        };
        let ringing = port.is_ringing();
        let lamp = port.vmwi_lamp();
        let new_cid: Vec<String> = port
            .caller_id_log()
            .iter()
            .skip(self.slots[i].cid_seen)
            .map(|(_, m)| describe_cid(m))
            .collect();
        let cid_total = port.caller_id_log().len();
        // Tones: report a new set of frequencies, not every cadence gap.
        if !heard.is_empty() && heard != self.slots[i].heard {
            self.say(i, lines, format!("phone hears {}", describe_heard(&heard)));
            self.slots[i].heard = heard;
        } else if heard.is_empty() && !port.is_off_hook() {
            self.slots[i].heard.clear();
        }
        // Announce the ringing once per call, not every burst of the cadence.
        if ringing && !self.slots[i].ringing {
            self.say(i, lines, "phone RINGS");
            self.slots[i].ringing = true;
        } else if !ringing && self.state(i + 1) != LineState::Ringing {
            self.slots[i].ringing = false;
        }
        for c in new_cid {
            self.say(i, lines, format!("caller ID display: {c}"));
        }
        self.slots[i].cid_seen = cid_total;
        if lamp != self.slots[i].lamp {
            self.say(
                i,
                lines,
                format!("message lamp {}", if lamp { "ON" } else { "off" }),
            );
            self.slots[i].lamp = lamp;
        }
    }

    /// Start a diagnostic test on port `p` (1-based): ringing it, or a tone to its phone.
    pub fn port_test(
        &mut self,
        now: Instant,
        p: usize,
        test: tipring_line::PortTest,
    ) -> Result<(), String> {
        let slot = self
            .slots
            .get_mut(p.wrapping_sub(1))
            .ok_or_else(|| format!("no port {p}"))?;
        if slot.fault.is_some() {
            return Err(format!("port {p} is faulted"));
        }
        slot.driver.start_test(now, test).map_err(|e| e.to_string())
    }

    /// Port tests that ended since the last call: port (1-based) and outcome.
    pub fn take_test_outcomes(&mut self) -> Vec<(usize, tipring_line::TestOutcome)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.driver.take_test_outcome().map(|o| (i + 1, o)))
            .collect()
    }

    /// SIP OPTIONS to the registrar of port `p`'s account; the answer comes back through
    /// [`Gateway::take_pings`] with `id`.
    pub fn sip_ping(&mut self, now: Instant, p: usize, id: u64) -> Result<(), String> {
        if self.ua.is_none() {
            return Err("SIP is off on this gateway".into());
        }
        if p == 0 || p > self.slots.len() {
            return Err(format!("no port {p}"));
        }
        let mut lines = Vec::new();
        self.sip_command(now, SipCommand::Ping { account: p - 1, id }, &mut lines);
        self.deferred.extend(lines);
        Ok(())
    }

    /// The pings answered (or given up) since the last call.
    pub fn take_pings(&mut self) -> Vec<(u64, tipring_sip::PingResult)> {
        std::mem::take(&mut self.pings_done)
    }

    /// Port `p`'s codecs in preference order (1-based; empty when there is no such port).
    pub fn port_codecs(&self, p: usize) -> Vec<tipring_codec::CodecId> {
        let Some(s) = self.slots.get(p.wrapping_sub(1)) else {
            return Vec::new();
        };
        let own = if s.cfg.codecs.is_empty() {
            &self.media_opts.codecs
        } else {
            &s.cfg.codecs
        };
        own.iter()
            .filter_map(|c| tipring_codec::CodecId::from_sdp(c.name, c.clock_rate))
            .collect()
    }

    /// Carry out one command at `now`. `Err` is a one-line message for the user.
    pub fn command(&mut self, now: Instant, cmd: Command) -> Result<Vec<String>, String> {
        let mut lines = Vec::new();
        match cmd {
            Command::Lift(p) => {
                if self.port(p).is_off_hook() {
                    return Err(format!("port {p} is already off hook"));
                }
                self.slots[p - 1].heard.clear();
                self.slots[p - 1].driver.port_mut().lift(now);
            }
            Command::HangUp(p) => {
                if !self.port(p).is_off_hook() {
                    return Err(format!("port {p} is already on hook"));
                }
                self.slots[p - 1].driver.port_mut().hang_up(now);
            }
            Command::Press(p, keys) => {
                self.need_off_hook(p)?;
                self.slots[p - 1]
                    .driver
                    .port_mut()
                    .press(now, &keys)
                    .map_err(|e| e.to_string())?;
            }
            Command::Rotary(p, digits) => {
                self.need_off_hook(p)?;
                self.slots[p - 1]
                    .driver
                    .port_mut()
                    .dial_rotary(now, &digits)
                    .map_err(|e| e.to_string())?;
            }
            Command::Flash(p, d) => {
                self.need_off_hook(p)?;
                self.slots[p - 1].driver.port_mut().flash(now, d);
            }
            Command::Call {
                port: p,
                number,
                name,
            } => {
                let i = p - 1;
                if self.slots[i].peer.is_some() || self.state(p) != LineState::Idle {
                    return Err(format!("port {p} is busy ({})", self.state(p)));
                }
                let mut caller = CallerId {
                    when: Some((self.wall)()),
                    ..CallerId::default()
                };
                match number.as_deref() {
                    Some(n) if n.eq_ignore_ascii_case("private") => {
                        caller.number_absence = Some(Absence::Private);
                        caller.name_absence = Some(Absence::Private);
                    }
                    Some(n) if n.eq_ignore_ascii_case("unknown") => {
                        caller.number_absence = Some(Absence::Unavailable);
                        caller.name_absence = Some(Absence::Unavailable);
                    }
                    Some(n) => caller.number = Some(n.to_string()),
                    None => caller.number_absence = Some(Absence::Unavailable),
                }
                if name.is_some() {
                    caller.name = name;
                    caller.name_absence = None;
                }
                self.slots[i].peer = Some(Peer::Network);
                self.network(
                    now,
                    i,
                    NetworkEvent::IncomingCall { caller, ring: None },
                    &mut lines,
                );
            }
            Command::Cancel(p) => {
                let i = p - 1;
                if self.slots[i].peer != Some(Peer::Network) {
                    return Err(format!("port {p} has no call with the network"));
                }
                self.slots[i].peer = None;
                let ev = if self.state(p) == LineState::Ringing {
                    NetworkEvent::CallCancelled
                } else {
                    NetworkEvent::RemoteHangup
                };
                self.network(now, i, ev, &mut lines);
            }
            Command::Answer(p) | Command::Busy(p) => {
                let i = p - 1;
                if self.slots[i].peer != Some(Peer::Network) || self.state(p) != LineState::Calling
                {
                    return Err(format!("port {p} has no outgoing network call waiting"));
                }
                let ev = if matches!(cmd, Command::Answer(_)) {
                    NetworkEvent::Answered
                } else {
                    self.slots[i].peer = None;
                    NetworkEvent::Busy
                };
                self.network(now, i, ev, &mut lines);
            }
            Command::Speak(p, sound) => match sound {
                Sound::Wav(path) => {
                    let samples = read_wav(&path)?;
                    self.slots[p - 1].driver.port_mut().speak(now, &samples);
                }
                Sound::Tone { hz, dbm0, duration } => {
                    self.slots[p - 1]
                        .driver
                        .port_mut()
                        .speak_tone(now, hz, dbm0, duration);
                }
            },
            Command::Tap(p, Some(path)) => {
                if self.slots[p - 1].tap.is_some() {
                    return Err(format!("port {p} is already tapped (`tap {p} stop` first)"));
                }
                self.slots[p - 1].tap = Some((path, Vec::new()));
            }
            Command::Tap(p, None) => {
                let Some((path, samples)) = self.slots[p - 1].tap.take() else {
                    return Err(format!("port {p} is not tapped"));
                };
                write_wav(&path, &samples)?;
                lines.push(format!(
                    "port {p}: wrote {:.1} s of line audio to {}",
                    samples.len() as f64 / 8000.0,
                    path.display()
                ));
            }
            Command::Record(p, Some(path)) => {
                if let Some((old, _)) = &self.slots[p - 1].recording {
                    return Err(format!(
                        "port {p} is already recording to {} (`record {p} stop` first)",
                        old.display()
                    ));
                }
                self.slots[p - 1].recording = Some((path, Vec::new()));
            }
            Command::Record(p, None) => {
                let Some((path, samples)) = self.slots[p - 1].recording.take() else {
                    return Err(format!("port {p} is not recording"));
                };
                write_wav(&path, &samples)?;
                lines.push(format!(
                    "port {p}: wrote {:.1} s of earpiece audio to {}",
                    samples.len() as f64 / 8000.0,
                    path.display()
                ));
            }
            Command::Fax(p, None) => {
                self.slots[p - 1].driver.port_mut().attach(None);
                lines.push(format!("port {p}: fax machine removed"));
            }
            Command::Fax(p, Some((role, path))) => {
                let opts = tipring_fax::MachineOptions {
                    ident: format!("Tipring port {p}"),
                    ..tipring_fax::MachineOptions::default()
                };
                let machine = match role {
                    FaxRole::Send => tipring_fax::FaxMachine::sender(&path, &opts),
                    FaxRole::Receive => tipring_fax::FaxMachine::receiver(&path, &opts),
                }
                .map_err(|e| format!("fax machine: {e}"))?;
                self.slots[p - 1]
                    .driver
                    .port_mut()
                    .attach(Some(Box::new(FaxDevice {
                        machine,
                        role,
                        told: false,
                    })));
                lines.push(format!(
                    "port {p}: a fax machine {} {} on the line",
                    match role {
                        FaxRole::Send => "sending",
                        FaxRole::Receive => "ready to receive into",
                    },
                    path.display()
                ));
            }
            Command::Mwi(p, on) => {
                self.network(now, p - 1, NetworkEvent::MessageWaiting(on), &mut lines);
            }
            Command::Fault(p, fault) => {
                let text = match &fault {
                    Some(f) => format!("line fault: {f} (out of service)"),
                    None => "line fault cleared".to_string(),
                };
                self.set_fault(p, fault);
                self.say(p - 1, &mut lines, text);
            }
            Command::Reload
            | Command::Rollback
            | Command::Version
            | Command::ProvisioningCode(_) => {
                return Err("no configuration file: start the agent with --config FILE".into())
            }
            Command::Status => {
                for i in 0..self.slots.len() {
                    let port = self.slots[i].driver.port();
                    let heard = match port.listen() {
                        Heard::Tone {
                            freqs_hz,
                            level_dbm0,
                        } => format!(
                            "{} at {level_dbm0:.0} dBm0",
                            describe_heard(
                                &freqs_hz
                                    .iter()
                                    .map(|f| f.round() as u32)
                                    .collect::<Vec<_>>()
                            )
                        ),
                        Heard::Silence => "silence".into(),
                        Heard::Other { level_dbm0 } => {
                            format!("other audio at {level_dbm0:.0} dBm0")
                        }
                    };
                    let text = format!(
                        "{} | line {} | hears {}{}{}",
                        if port.is_off_hook() {
                            "off hook"
                        } else {
                            "on hook"
                        },
                        self.state(i + 1),
                        heard,
                        if port.is_ringing() || self.state(i + 1) == LineState::Ringing {
                            let steps: Vec<String> = port
                                .ring_cadence()
                                .iter()
                                .map(|s| format!("{}/{}", s.on_ms, s.off_ms))
                                .collect();
                            format!(" | RINGING (rings so far, ms on/off: {})", steps.join(" "))
                        } else {
                            String::new()
                        },
                        if port.vmwi_lamp() { " | lamp ON" } else { "" },
                    );
                    self.say(i, &mut lines, text);
                    if let Some(state) = self.ua.as_ref().and_then(|ua| ua.registration(i)) {
                        self.say(i, &mut lines, format!("SIP registration: {state:?}"));
                    }
                    if let Some(m) = self.media_stats(i + 1) {
                        let text = format!(
                            "media {}{} with {} | sent {} received {} lost {} | jitter {} ms, buffer {} ms | MOS-LQ {}{}",
                            m.codec,
                            if m.srtp.is_some() { " SRTP" } else { "" },
                            m.remote,
                            m.packets_sent,
                            m.packets_received,
                            m.lost,
                            m.jitter_ms,
                            m.jitter_buffer_ms,
                            m.mos_lq.map_or("-".into(), |v| format!("{v:.2}")),
                            m.erle_db.map_or(String::new(), |e| format!(" | ERLE {e:.0} dB")),
                        );
                        self.say(i, &mut lines, text);
                    }
                }
                if let Some(ua) = &self.ua {
                    let st = ua.stats();
                    lines.push(format!(
                        "SIP: {} bad messages answered with an error, {} dropped",
                        st.bad_answered, st.bad_dropped
                    ));
                }
            }
            Command::Help => lines.push(command::HELP.to_string()),
            Command::Sleep(_) | Command::Quit | Command::Nothing => {}
        }
        Ok(lines)
    }

    fn need_off_hook(&self, p: usize) -> Result<(), String> {
        if self.port(p).is_off_hook() {
            Ok(())
        } else {
            Err(format!("port {p} is on hook: `lift {p}` first"))
        }
    }
}

/// The calendar date and time, UTC, for caller-ID time stamps.
#[allow(clippy::disallowed_methods)] // the binary owns the one real clock
pub(crate) fn wall_clock_now() -> DateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil-from-days (H. Hinnant's algorithm), UTC.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    DateTime {
        month,
        day,
        hour: (rem / 3600) as u8,
        minute: ((rem % 3600) / 60) as u8,
    }
}

pub use crate::run::{os_seed, run, run_config, run_managed, run_with};

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(ports: usize) -> (Gateway, Instant) {
        #[allow(clippy::disallowed_methods)] // the test's epoch; time is virtual from here
        let t0 = Instant::now();
        let opts = Options::from_args(ports, "us", DEFAULT_DIAL_PLAN, None, None).unwrap();
        let wall = Box::new(|| DateTime {
            month: 11,
            day: 26,
            hour: 9,
            minute: 41,
        });
        (Gateway::new(&opts, t0, wall).unwrap(), t0)
    }

    fn run_for(gw: &mut Gateway, now: &mut Instant, d: Duration, log: &mut Vec<String>) {
        let end = *now + d;
        while *now < end {
            *now += FRAME;
            log.extend(gw.tick(*now));
        }
    }

    #[test]
    fn port_calls_port_by_extension_with_caller_id() {
        let (mut gw, mut now) = gateway(2);
        let mut log = Vec::new();
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(500), &mut log);
        assert_eq!(gw.state(1), LineState::DialTone);
        assert!(
            log.iter().any(|l| l.contains("phone hears 350+440 Hz")),
            "{log:#?}"
        );
        gw.command(now, Command::Press(1, "102".into())).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(9), &mut log);
        assert!(
            log.iter().any(|l| l.contains("number complete: 102")),
            "{log:#?}"
        );
        assert_eq!(gw.state(2), LineState::Ringing);
        assert!(
            log.iter()
                .any(|l| l
                    .contains("[port 2 ext 102] caller ID display: 11/26 09:41  101  \"Port 1\"")),
            "{log:#?}"
        );
        assert!(
            log.iter()
                .any(|l| l.contains("[port 1 ext 101] phone hears 440+480 Hz")),
            "{log:#?}"
        );
        gw.command(now, Command::Lift(2)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        assert_eq!(gw.state(1), LineState::Connected);
        assert_eq!(gw.state(2), LineState::Connected);
        gw.command(now, Command::HangUp(2)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(2), &mut log);
        assert_eq!(gw.state(2), LineState::Idle);
        assert_eq!(
            gw.state(1),
            LineState::Treatment(tipring_dsp::tone::ToneKind::Congestion)
        );
    }

    #[test]
    fn a_faulted_port_is_out_of_service_to_the_local_switch() {
        let (mut gw, mut now) = gateway(2);
        let mut log = Vec::new();
        gw.command(now, Command::Fault(2, Some("loop current lost".into())))
            .unwrap();
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        gw.command(now, Command::Press(1, "102".into())).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(5), &mut log);
        assert_eq!(gw.state(2), LineState::Idle, "{log:#?}");
        assert!(
            log.iter().any(|l| l.contains("ext 102 is out of service")),
            "{log:#?}"
        );
        assert_eq!(
            gw.state(1),
            LineState::Treatment(tipring_dsp::tone::ToneKind::Busy)
        );
        // Cleared, it rings again.
        gw.command(now, Command::HangUp(1)).unwrap();
        gw.command(now, Command::Fault(2, None)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(1500), &mut log);
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        gw.command(now, Command::Press(1, "102".into())).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(5), &mut log);
        assert_eq!(gw.state(2), LineState::Ringing, "{log:#?}");
    }

    #[test]
    fn ports_in_a_local_call_hear_each_other_and_record_it() {
        let (mut gw, mut now) = gateway(2);
        let mut log = Vec::new();
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        gw.command(now, Command::Press(1, "102".into())).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(5), &mut log);
        gw.command(now, Command::Lift(2)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        assert_eq!(gw.state(1), LineState::Connected);
        let dir = std::env::temp_dir().join(format!("tipring-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wav = dir.join("port2.wav");
        gw.command(now, Command::Record(2, Some(wav.clone())))
            .unwrap();
        let tone = command::parse("speak 1 tone 1004 -10 1000", 2).unwrap();
        gw.command(now, tone).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(1200), &mut log);
        let out = gw.command(now, Command::Record(2, None)).unwrap();
        assert!(out[0].contains("wrote 1.2 s"), "{out:?}");
        let heard = read_wav(&wav).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut g = tipring_dsp::goertzel::Goertzel::new(1004.0);
        g.push(&heard[2000..8000]);
        let level = g.level_dbm0();
        assert!(
            (level + 10.0).abs() < 1.0,
            "port 2 heard 1004 Hz at {level:.1} dBm0"
        );
        assert!(gw
            .command(now, Command::Record(2, None))
            .unwrap_err()
            .contains("not recording"));
        let bad = dir.join("missing.wav");
        assert!(gw
            .command(now, Command::Speak(1, Sound::Wav(bad)))
            .unwrap_err()
            .contains("missing.wav"));
    }

    #[test]
    fn without_a_registrar_ports_still_call_each_other() {
        let (mut gw, mut now) = gateway(2);
        let sip = SipOptions {
            servers: vec!["127.0.0.1:9".parse().unwrap()], // nothing answers there
            domain: "pbx.test".into(),
            listen: "127.0.0.1:5060".parse().unwrap(),
            secrets: [("101", "pw1"), ("102", "pw2")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            expires: 300,
            subscribe_mwi: false,
            register: true,
            transport: TransportKind::Udp,
            tls_ca: None,
            tls_server_name: None,
            tls_client_cert: None,
            media: MediaOptions::default(),
            peers: Vec::new(),
            keepalive: None,
            t1: None,
        };
        let anchor = WallAnchor {
            at: now,
            unix: Duration::from_secs(1_790_000_000),
        };
        gw.enable_sip(
            now,
            &sip,
            sip.listen,
            [7; 32],
            &[40000, 40002, 40004, 40006],
            anchor,
        );
        let mut log = Vec::new();
        run_for(&mut gw, &mut now, Duration::from_millis(200), &mut log);
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        gw.command(now, Command::Press(1, "102".into())).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(3), &mut log);
        assert!(
            log.iter()
                .any(|l| l.contains("no registrar reachable: connecting the extension locally")),
            "{log:#?}"
        );
        assert_eq!(gw.state(2), LineState::Ringing);
        gw.command(now, Command::Lift(2)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        assert_eq!(gw.state(1), LineState::Connected);
        assert_eq!(gw.state(2), LineState::Connected);
        // Nothing of this call went to SIP (the UA only tried to register).
        assert!(gw
            .take_outbox()
            .iter()
            .all(|(_, m)| m.starts_with(b"REGISTER")));
        gw.command(now, Command::HangUp(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_secs(2), &mut log);
        assert_eq!(gw.state(1), LineState::Idle);
    }

    #[test]
    fn bad_commands_are_refused_and_the_session_goes_on() {
        let (mut gw, mut now) = gateway(1);
        assert!(gw
            .command(now, Command::Press(1, "5".into()))
            .unwrap_err()
            .contains("on hook"));
        assert!(gw
            .command(now, Command::HangUp(1))
            .unwrap_err()
            .contains("already on hook"));
        assert!(gw
            .command(now, Command::Answer(1))
            .unwrap_err()
            .contains("no outgoing"));
        let mut log = Vec::new();
        gw.command(now, Command::Lift(1)).unwrap();
        run_for(&mut gw, &mut now, Duration::from_millis(300), &mut log);
        assert_eq!(gw.state(1), LineState::DialTone);
    }
}
