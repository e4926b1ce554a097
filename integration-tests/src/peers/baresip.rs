//! baresip, a second and independent SIP UA with real media: it plays a WAV file as its
//! microphone, records what it hears, answers calls by itself and sends RFC 4733
//! telephone-events, driven over its `ctrl_tcp` control socket.
//!
//! What Debian's baresip 1.0.0 does, as this harness uses it:
//!
//! * **No terminal.** The `stdio` UI module is not loaded (with stdin on /dev/null it
//!   fails anyway); `-d` (daemon) is not used either, so the process stays ours to stop.
//!   Commands go through `ctrl_tcp` on a loopback port: each is a netstring carrying
//!   `{"command":..,"params":..,"token":..}`, answered by
//!   `{"response":true,"ok":..,"data":..,"token":..}`; events arrive on the same
//!   connection as `{"event":true,"type":"CALL_ESTABLISHED",..}`. The commands are the
//!   `menu` module's long commands: `dial`, `accept`, `hangup`, `sndcode` (DTMF, only
//!   listed while a call is up), `reginfo`, `quit`.
//! * **Audio in.** The `aufile` source reads the whole WAV file when a call starts and
//!   plays it once: at its end the source stops and *no more RTP is sent* (the call stays
//!   up). aufile insists that the file's rate equals the source rate (`ausrc_srate`), so
//!   the harness converts [`BaresipConfig::play`] to mono 16-bit at
//!   [`BaresipConfig::source_rate`] (the codecs' rate if they share one, else 8 kHz) and
//!   sets `ausrc_channels 1`; baresip resamples when the negotiated codec's rate differs,
//!   and its 8 -> 16 kHz resampler (libre 1.0's) attenuates a 1 kHz tone by 1.95 dB.
//!   Without a file to play, it plays 60 s of silence.
//! * **Audio out.** No player module is loaded (no ALSA needed): the decoder still runs on
//!   every packet received, and the `sndfile` filter records.
//! * **Recording** (`sndfile`, [`BaresipConfig::record`]): per call, two files in
//!   `snd_path` named after the local time the audio stream started:
//!   `dump-YYYY-MM-DD-HH-MM-SS-dec.wav` (what it received, after the decoder) and
//!   `...-enc.wav` (what it sent, before the encoder). They are at the *codec's* rate and
//!   channels: 8 kHz mono for PCMU/PCMA, 16 kHz for G.722, 48 kHz stereo for Opus (read
//!   them with [`crate::audio::read_wav_8k`]). The WAV header is completed when the call
//!   ends: read them after [`EventKind::CallClosed`]. Two calls starting within the same
//!   second write the same names.
//! * **SRTP** (`srtp` module): `mediaenc=srtp` offers RTP/AVP with SDES keys (best effort),
//!   `srtp-mand` offers RTP/SAVP and refuses a call without SRTP. It logs a harmless
//!   "failed to decrypt RTCP packet" at call start.
//! * **DTMF**: `sndcode 123#` sends the digits as RFC 4733 telephone-events (payload type
//!   101), back to back, each with its end packets; the receiving baresip reports them as
//!   `CALL_DTMF_START` (param: the key) and `CALL_DTMF_END` events ([`Baresip::received_dtmf`])
//!   and does not play them as audio.
//! * **Stopping**: it may hang on SIGTERM, so the harness sends `quit`, waits a second, then
//!   signals the process group (SIGTERM, SIGKILL after half a second).
//! * **Startup** takes about 50 ms on loopback; a port taken by another process shows as
//!   "Address already in use" in its log (it binds UDP and TCP on the SIP port) and the
//!   harness retries on new ports.

use std::collections::VecDeque;
use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::dir::PeerDir;
use super::process::{describe, PeerProcess, POLL};
use super::{find_tool, free_port, free_port_udp_and_tcp, now, tail, Transport, LOOPBACK};
use crate::{audio, Error, Result};

/// How many fresh ports [`Baresip::start`] tries when another process took one.
const START_ATTEMPTS: u32 = 5;

/// How many log lines go into error messages.
const TAIL_LINES: usize = 40;

/// How long a control command may take to be answered.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest control message accepted (baresip's are well under 4 KiB).
const MAX_MESSAGE: usize = 1 << 20;

/// Where Debian and others put baresip's modules.
const MODULE_DIRS: [&str; 3] = [
    "/usr/lib/baresip/modules",
    "/usr/lib/x86_64-linux-gnu/baresip/modules",
    "/usr/local/lib/baresip/modules",
];

/// The line baresip logs once it has loaded its modules and accounts.
const READY_LINE: &str = "baresip is ready.";

/// An audio codec baresip may offer and accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, payload type 0 (module `g711`).
    Pcmu,
    /// G.711 A-law, payload type 8 (module `g711`).
    Pcma,
    /// G.722 at 16 kHz, payload type 9 (module `g722`).
    G722,
    /// Opus, 48 kHz stereo, dynamic payload type (module `opus`).
    Opus,
}

impl Codec {
    /// The name in the account's `audio_codecs` list.
    fn account_name(self) -> &'static str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            // "G722" alone means G722/8000/1 to baresip, which matches nothing (its
            // G.722 is registered as G722/16000/1); the list would then be ignored
            Self::G722 => "G722/16000/1",
            Self::Opus => "opus/48000/2",
        }
    }

    /// The rate baresip's encoder and decoder run at (what its recordings are at).
    pub fn sample_rate(self) -> u32 {
        match self {
            Self::Pcmu | Self::Pcma => 8000,
            Self::G722 => 16_000,
            Self::Opus => 48_000,
        }
    }

    /// The module file that provides it.
    fn module(self) -> &'static str {
        match self {
            Self::Pcmu | Self::Pcma => "g711.so",
            Self::G722 => "g722.so",
            Self::Opus => "opus.so",
        }
    }
}

/// SDES-SRTP (RFC 4568) through baresip's `srtp` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaEncryption {
    /// `mediaenc=srtp`: offer RTP/AVP with `a=crypto` keys; plain RTP if the peer ignores
    /// them (best effort).
    Srtp,
    /// `mediaenc=srtp-mand`: offer RTP/SAVP; no call without SRTP.
    SrtpMandatory,
}

impl MediaEncryption {
    fn account_value(self) -> &'static str {
        match self {
            Self::Srtp => "srtp",
            Self::SrtpMandatory => "srtp-mand",
        }
    }
}

/// What the baresip instance of a test looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaresipConfig {
    /// The account's user part.
    pub user: String,
    /// The registrar (a Kamailio, ...), its domain and the password, or `None` for a
    /// direct-IP account `sip:user@127.0.0.1:PORT` that never registers (`regint=0`).
    pub registrar: Option<Registrar>,
    /// The codecs offered and accepted, in order of preference (not empty).
    pub codecs: Vec<Codec>,
    /// The WAV file played as the microphone in every call (any format sox reads;
    /// converted to 8 kHz mono); `None` plays silence.
    pub play: Option<PathBuf>,
    /// Record each call with the `sndfile` module ([`Baresip::recordings`]).
    pub record: bool,
    /// Answer incoming calls at once (`answermode=auto`); otherwise they ring until
    /// [`Baresip::answer`].
    pub auto_answer: bool,
    /// SRTP, if any.
    pub media_encryption: Option<MediaEncryption>,
    /// How long [`Baresip::start`] waits for it to be ready (and registered).
    pub start_timeout: Duration,
}

/// Where and as whom a baresip registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrar {
    /// The registrar's address: every request goes there (`outbound` proxy).
    pub addr: SocketAddr,
    /// The SIP domain of the account (`sip:user@domain`), also the digest realm.
    pub domain: String,
    /// The digest password (the user name is [`BaresipConfig::user`]).
    pub password: String,
    /// The registration interval asked for, in seconds (`regint`).
    pub expires: u32,
}

impl BaresipConfig {
    /// A direct-IP account for `user` (no registrar), PCMU and PCMA, playing silence, not
    /// recording, auto-answering, no SRTP.
    pub fn new(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            registrar: None,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            play: None,
            record: false,
            auto_answer: true,
            media_encryption: None,
            start_timeout: Duration::from_secs(10),
        }
    }

    /// Registers `sip:user@domain` with `password` at the registrar `addr` (through which
    /// every request then goes), every 600 s.
    pub fn registrar(
        mut self,
        addr: SocketAddr,
        domain: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.registrar = Some(Registrar {
            addr,
            domain: domain.into(),
            password: password.into(),
            expires: 600,
        });
        self
    }

    /// The codecs, in order of preference.
    pub fn codecs(mut self, codecs: impl IntoIterator<Item = Codec>) -> Self {
        self.codecs = codecs.into_iter().collect();
        self
    }

    /// The WAV file to play as the microphone.
    pub fn play(mut self, wav: impl Into<PathBuf>) -> Self {
        self.play = Some(wav.into());
        self
    }

    /// Whether to record calls.
    pub fn record(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// Whether to answer incoming calls by itself.
    pub fn auto_answer(mut self, on: bool) -> Self {
        self.auto_answer = on;
        self
    }

    /// SRTP.
    pub fn media_encryption(mut self, mode: MediaEncryption) -> Self {
        self.media_encryption = Some(mode);
        self
    }

    /// The rate of the microphone (`ausrc_srate`): the codecs' rate when they all have
    /// the same, else 8 kHz. baresip resamples the source when it differs from the
    /// codec's rate, and its 8 -> 16 kHz resampler attenuates a 1 kHz tone by about 2 dB,
    /// so a single-codec configuration avoids it.
    pub fn source_rate(&self) -> u32 {
        let mut rates = self.codecs.iter().map(|c| c.sample_rate());
        match rates.next() {
            Some(first) if rates.all(|r| r == first) => first,
            _ => 8000,
        }
    }

    /// The address of record: `sip:user@domain` with a registrar, else
    /// `sip:user@127.0.0.1:sip_port`.
    fn aor(&self, sip_port: u16) -> String {
        match &self.registrar {
            Some(r) => format!("sip:{}@{}", self.user, r.domain),
            None => format!("sip:{}@127.0.0.1:{sip_port}", self.user),
        }
    }

    /// Rejects what the generated files could not express.
    fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::InvalidConfig(what));
        // RFC 3261 25.1 `unreserved` (no escaping needed in a SIP URI or in baresip's files)
        let user_ok = |c: char| c.is_ascii_alphanumeric() || "-_.!~*+".contains(c);
        if self.user.is_empty() || !self.user.chars().all(user_ok) {
            return invalid(format!(
                "user {:?}: use letters, digits and - _ . ! ~ * +",
                self.user
            ));
        }
        if self.codecs.is_empty() {
            return invalid("no codecs".into());
        }
        if let Some(r) = &self.registrar {
            let domain_ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
            if r.domain.is_empty() || !r.domain.chars().all(domain_ok) {
                return invalid(format!(
                    "domain {:?}: use letters, digits, '.', '-'",
                    r.domain
                ));
            }
            // printable ASCII that ends no parameter of the account line
            let password_ok = |c: char| c.is_ascii_graphic() && !";\"<>,\\".contains(c);
            if r.password.is_empty() || !r.password.chars().all(password_ok) {
                return invalid(
                    "password: printable ASCII without ; \" < > , \\ or spaces, not empty".into(),
                );
            }
        }
        Ok(())
    }

    /// The `accounts` file.
    fn render_account(&self, sip_port: u16) -> String {
        let mut line = format!("<{}>", self.aor(sip_port));
        match &self.registrar {
            Some(r) => line.push_str(&format!(
                ";auth_user={};auth_pass={};outbound=\"sip:{}\";regint={}",
                self.user, r.password, r.addr, r.expires
            )),
            None => line.push_str(";regint=0"),
        }
        let answermode = if self.auto_answer { "auto" } else { "manual" };
        line.push_str(&format!(";answermode={answermode}"));
        let codecs: Vec<&str> = self.codecs.iter().map(|c| c.account_name()).collect();
        line.push_str(&format!(";audio_codecs={}", codecs.join(",")));
        if let Some(mode) = self.media_encryption {
            line.push_str(&format!(";mediaenc={}", mode.account_value()));
        }
        line.push_str(";ptime=20\n");
        line
    }

    /// The `config` file: SIP on `sip_port`, control on `ctrl_port`, modules from
    /// `module_dir`, the microphone `play_file`, recordings into `record_dir`.
    fn render_config(
        &self,
        sip_port: u16,
        ctrl_port: u16,
        module_dir: &Path,
        play_file: &Path,
        record_dir: &Path,
    ) -> Result<String> {
        let plain = |path: &Path| {
            path.to_str()
                .filter(|p| !p.contains([',', ' ', '\t', '#', '\n']))
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::InvalidConfig(format!(
                        "{} is not UTF-8 or has a space, ',' or '#' in it; set TMPDIR to a plain path",
                        path.display()
                    ))
                })
        };
        let mut modules: Vec<&str> = Vec::new();
        for codec in &self.codecs {
            if !modules.contains(&codec.module()) {
                modules.push(codec.module());
            }
        }
        modules.push("aufile.so");
        if self.record {
            modules.push("sndfile.so");
        }
        if self.media_encryption.is_some() {
            modules.push("srtp.so");
        }
        let mut text = format!(
            "# written by tipring-integration-tests for one test\n\
             poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{sip_port}\n\
             net_interface\t\t127.0.0.1\n\
             call_local_timeout\t120\n\
             call_max_calls\t\t4\n\
             audio_source\t\taufile,{play}\n\
             ausrc_srate\t\t{source_rate}\n\
             ausrc_channels\t\t1\n\
             audio_level\t\tno\n\
             ausrc_format\t\ts16\n\
             auplay_format\t\ts16\n\
             auenc_format\t\ts16\n\
             audec_format\t\ts16\n\
             audio_buffer\t\t20-160\n\
             rtp_tos\t\t\t0\n\
             rtcp_mux\t\tno\n\
             jitter_buffer_delay\t5-10\n\
             rtp_stats\t\tno\n\
             statmode_default\toff\n\
             module_path\t\t{module_dir}\n",
            play = plain(play_file)?,
            source_rate = self.source_rate(),
            module_dir = plain(module_dir)?,
        );
        for module in modules {
            text.push_str(&format!("module\t\t\t{module}\n"));
        }
        text.push_str(&format!(
            "module_tmp\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             module_app\t\tctrl_tcp.so\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n"
        ));
        if self.record {
            text.push_str(&format!("snd_path\t\t{}\n", plain(record_dir)?));
        }
        Ok(text)
    }

    /// The module files this configuration loads.
    fn module_files(&self) -> Vec<&'static str> {
        let mut files: Vec<&'static str> = self.codecs.iter().map(|c| c.module()).collect();
        files.extend(["aufile.so", "account.so", "menu.so", "ctrl_tcp.so"]);
        if self.record {
            files.push("sndfile.so");
        }
        if self.media_encryption.is_some() {
            files.push("srtp.so");
        }
        files.sort_unstable();
        files.dedup();
        files
    }
}

/// What a baresip event is about (its `type`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `REGISTER_OK`: a registration (or refresh) succeeded.
    RegisterOk,
    /// `REGISTER_FAIL`: a registration failed (param: the reason).
    RegisterFail,
    /// `CALL_INCOMING`: a call arrived (with manual answer mode, it rings).
    CallIncoming,
    /// `CALL_RINGING`: the callee rings (180).
    CallRinging,
    /// `CALL_PROGRESS`: early media (183).
    CallProgress,
    /// `CALL_ESTABLISHED`: the call was answered.
    CallEstablished,
    /// `CALL_CLOSED`: the call ended (param: the reason, e.g. "Connection reset by peer").
    CallClosed,
    /// `CALL_DTMF_START`: a telephone-event began (param: the key).
    DtmfStart,
    /// `CALL_DTMF_END`: the telephone-event ended.
    DtmfEnd,
    /// Any other type, as baresip names it (`CALL_RTPESTAB`, `CALL_LOCAL_SDP`, ...).
    Other(String),
}

impl EventKind {
    /// The kind of baresip's event `type`.
    pub fn from_type(name: &str) -> Self {
        match name {
            "REGISTER_OK" => Self::RegisterOk,
            "REGISTER_FAIL" => Self::RegisterFail,
            "CALL_INCOMING" => Self::CallIncoming,
            "CALL_RINGING" => Self::CallRinging,
            "CALL_PROGRESS" => Self::CallProgress,
            "CALL_ESTABLISHED" => Self::CallEstablished,
            "CALL_CLOSED" => Self::CallClosed,
            "CALL_DTMF_START" => Self::DtmfStart,
            "CALL_DTMF_END" => Self::DtmfEnd,
            other => Self::Other(other.to_owned()),
        }
    }

    /// baresip's name of the kind.
    pub fn as_type(&self) -> &str {
        match self {
            Self::RegisterOk => "REGISTER_OK",
            Self::RegisterFail => "REGISTER_FAIL",
            Self::CallIncoming => "CALL_INCOMING",
            Self::CallRinging => "CALL_RINGING",
            Self::CallProgress => "CALL_PROGRESS",
            Self::CallEstablished => "CALL_ESTABLISHED",
            Self::CallClosed => "CALL_CLOSED",
            Self::DtmfStart => "CALL_DTMF_START",
            Self::DtmfEnd => "CALL_DTMF_END",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_type())
    }
}

/// One event baresip reported over `ctrl_tcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaresipEvent {
    /// Its type.
    pub kind: EventKind,
    /// Its class (`call`, `register`, `other`, ...).
    pub class: String,
    /// The local account (`accountaor`).
    pub account_aor: Option<String>,
    /// `incoming` or `outgoing`, for call events.
    pub direction: Option<String>,
    /// The remote party's URI (`peeruri`).
    pub peer_uri: Option<String>,
    /// baresip's call id (`id`).
    pub call_id: Option<String>,
    /// The event's parameter (`param`): the key of a DTMF event, the reason of a close.
    pub param: Option<String>,
    /// The JSON text as received.
    pub json: String,
}

/// A running baresip, stopped when dropped.
#[derive(Debug)]
pub struct Baresip {
    // field order matters: the control connection closes, then the process stops, then
    // its directory is removed
    ctrl: CtrlClient,
    process: PeerProcess,
    sip_addr: SocketAddr,
    ctrl_addr: SocketAddr,
    aor: String,
    user: String,
    record_dir: PathBuf,
    config_path: PathBuf,
    dir: PeerDir,
}

impl Baresip {
    /// Writes `config`, `accounts` and `contacts` into a fresh directory (and the
    /// microphone file, converted to 8 kHz mono), starts `baresip -f DIR` and waits until
    /// it has logged "baresip is ready.", accepts its control connection and, with a
    /// registrar, is registered. Its stdout and stderr go to [`Baresip::log_path`].
    ///
    /// Fails with [`Error::MissingTool`] when baresip or one of the modules the
    /// configuration needs is not installed (package `baresip`).
    pub fn start(config: &BaresipConfig) -> Result<Self> {
        config.validate()?;
        let binary = find_tool("baresip", "baresip")?;
        let module_dir = find_module_dir(&config.module_files())?;
        let dir = PeerDir::new("baresip")?;
        let record_dir = dir.path().join("recordings");
        std::fs::create_dir_all(&record_dir)
            .map_err(|e| Error::io(format!("creating {}", record_dir.display()), e))?;
        let play_file = dir.path().join("microphone.wav");
        let rate = config.source_rate();
        match &config.play {
            Some(source) => {
                if !source.is_file() {
                    return Err(Error::InvalidConfig(format!(
                        "no file to play at {}",
                        source.display()
                    )));
                }
                let samples = audio::read_wav_at(source, rate)?;
                audio::write_wav(&play_file, &samples, rate)?;
            }
            None => audio::write_wav(&play_file, &audio::silence(60_000, rate), rate)?,
        }
        write_file(&dir.path().join("contacts"), "")?;
        let config_path = dir.path().join("config");
        let log = dir.path().join("baresip.log");

        let mut attempt = 1;
        loop {
            let sip_port = free_port_udp_and_tcp()?;
            let ctrl_port = free_port(Transport::Tcp)?;
            if ctrl_port == sip_port {
                continue;
            }
            let text =
                config.render_config(sip_port, ctrl_port, &module_dir, &play_file, &record_dir)?;
            write_file(&config_path, &text)?;
            write_file(
                &dir.path().join("accounts"),
                &config.render_account(sip_port),
            )?;
            let mut command = Command::new(&binary);
            command.arg("-f").arg(dir.path()).current_dir(dir.path());
            let mut process = PeerProcess::spawn("baresip", command, &log)?;
            let ctrl_addr = SocketAddr::from((LOOPBACK, ctrl_port));
            let aor = config.aor(sip_port);
            match wait_ready(&mut process, ctrl_addr, config, &aor) {
                Ok(ctrl) => {
                    let sip_addr = SocketAddr::from((LOOPBACK, sip_port));
                    tracing::info!(%sip_addr, %aor, log = %log.display(), "baresip ready");
                    return Ok(Self {
                        ctrl,
                        process,
                        sip_addr,
                        ctrl_addr,
                        aor,
                        user: config.user.clone(),
                        record_dir,
                        config_path,
                        dir,
                    });
                }
                Err(err) => {
                    process.terminate(Duration::from_millis(500));
                    drop(process);
                    let lost_port = tail(&log, TAIL_LINES).contains("Address already in use");
                    if !lost_port || attempt >= START_ATTEMPTS {
                        dir.keep();
                        return Err(err);
                    }
                    tracing::warn!(sip_port, ctrl_port, attempt, "port taken; retrying");
                    attempt += 1;
                }
            }
        }
    }

    /// Where it listens for SIP (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    /// Its control socket (`ctrl_tcp`).
    pub fn ctrl_addr(&self) -> SocketAddr {
        self.ctrl_addr
    }

    /// Its address of record: `sip:user@domain` with a registrar, else its direct URI.
    pub fn aor(&self) -> &str {
        &self.aor
    }

    /// The URI that reaches it without a registrar: `sip:user@127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("sip:{}@{}", self.user, self.sip_addr)
    }

    /// Its directory (config, accounts, contacts, microphone.wav, log, recordings).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The config file it runs.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Its log (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        self.process.log()
    }

    /// The last `lines` lines of its log, for assertion messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(self.log_path(), lines)
    }

    /// Sends a `ctrl_tcp` command (one of the `menu` module's long commands, e.g.
    /// `callstat`, `hold`) and returns the `data` of its answer; [`Error::Rpc`] when
    /// baresip answers `"ok":false`, [`Error::Timeout`] when it does not answer in 5 s.
    pub fn command(&self, command: &str, params: &str) -> Result<String> {
        match self.ctrl.command(command, params, COMMAND_TIMEOUT) {
            Ok(data) => Ok(data),
            Err(CtrlError::Refused(data)) => Err(Error::Rpc {
                command: format!("baresip ctrl_tcp {command} {params}"),
                detail: data,
            }),
            Err(CtrlError::Timeout) => {
                Err(self.timeout(&format!("an answer to {command}"), COMMAND_TIMEOUT))
            }
            Err(CtrlError::Closed(why)) => Err(self.exited(&why)),
            Err(CtrlError::Io(e)) => Err(Error::io(format!("sending {command} to baresip"), e)),
        }
    }

    /// Calls `uri` (`sip:102@tipring.test`, [`Baresip::uri`] of another instance, ...).
    /// Returns when baresip has taken the command; wait for
    /// [`EventKind::CallEstablished`] to know the call is up.
    pub fn dial(&self, uri: &str) -> Result<()> {
        if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidConfig(format!("URI {uri:?}")));
        }
        self.command("dial", uri).map(drop)
    }

    /// Answers the incoming call (`accept`).
    pub fn answer(&self) -> Result<()> {
        self.command("accept", "").map(drop)
    }

    /// Hangs up the current call (`hangup`).
    pub fn hangup(&self) -> Result<()> {
        self.command("hangup", "").map(drop)
    }

    /// Sends `digits` (`0`-`9`, `*`, `#`, `A`-`D`) as RFC 4733 telephone-events in the
    /// current call (`sndcode`).
    pub fn send_dtmf(&self, digits: &str) -> Result<()> {
        let key_ok = |c: char| c.is_ascii_digit() || "*#ABCD".contains(c);
        if digits.is_empty() || !digits.chars().all(key_ok) {
            return Err(Error::InvalidConfig(format!(
                "DTMF {digits:?}: use 0-9, *, #, A-D"
            )));
        }
        self.command("sndcode", digits).map(drop)
    }

    /// Waits up to `timeout` for an event of `kind` that no earlier `wait_for` returned
    /// (the oldest such event, even if it arrived before this call).
    pub fn wait_for(&self, kind: EventKind, timeout: Duration) -> Result<BaresipEvent> {
        match self.ctrl.wait_for(&kind, timeout) {
            Ok(event) => Ok(event),
            Err(CtrlError::Closed(why)) => Err(self.exited(&why)),
            Err(_) => Err(self.timeout(&format!("{kind}"), timeout)),
        }
    }

    /// Every event received so far, in order.
    pub fn events(&self) -> Vec<BaresipEvent> {
        self.ctrl.events()
    }

    /// The keys of every telephone-event received so far (`CALL_DTMF_START` events), in
    /// order, e.g. `"123#"`.
    pub fn received_dtmf(&self) -> String {
        self.events()
            .iter()
            .filter(|e| e.kind == EventKind::DtmfStart)
            .filter_map(|e| e.param.as_deref())
            .collect()
    }

    /// Whether its account is registered, from `reginfo`.
    pub fn is_registered(&self) -> Result<bool> {
        let info = self.command("reginfo", "")?;
        Ok(reginfo_says_registered(&info, &self.aor))
    }

    /// The recordings so far (both directions of every call), sorted by name (so by
    /// time). Empty unless [`BaresipConfig::record`].
    pub fn recordings(&self) -> Result<Vec<PathBuf>> {
        let entries = match std::fs::read_dir(&self.record_dir) {
            Ok(entries) => entries,
            Err(e) => {
                return Err(Error::io(
                    format!("listing {}", self.record_dir.display()),
                    e,
                ))
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "wav"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// The recordings of what it received (`dump-...-dec.wav`), oldest first.
    pub fn received_recordings(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .recordings()?
            .into_iter()
            .filter(|p| recording_direction(p) == Some(RecordingDirection::Received))
            .collect())
    }

    /// The recordings of what it sent (`dump-...-enc.wav`), oldest first.
    pub fn sent_recordings(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .recordings()?
            .into_iter()
            .filter(|p| recording_direction(p) == Some(RecordingDirection::Sent))
            .collect())
    }

    /// An [`Error::Timeout`] about waiting for `what`, keeping the directory.
    fn timeout(&self, what: &str, waited: Duration) -> Error {
        self.dir.keep();
        Error::Timeout {
            peer: format!("baresip {} (waiting for {what})", self.aor),
            waited,
            log: self.log_path().to_owned(),
            tail: self.log_tail(TAIL_LINES),
        }
    }

    /// An [`Error::Exited`] for a control connection that closed (`why`).
    fn exited(&self, why: &str) -> Error {
        self.dir.keep();
        Error::Exited {
            peer: format!("baresip {} (control connection: {why})", self.aor),
            status: "control connection closed".into(),
            log: self.log_path().to_owned(),
            tail: self.log_tail(TAIL_LINES),
        }
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        // baresip may hang on SIGTERM: ask it first, then signal with a short grace
        let asked = self.ctrl.send_only("quit", "").is_ok();
        if asked {
            let _ = self.process.wait_timeout(Duration::from_secs(1));
        }
        self.process.terminate(Duration::from_millis(500));
        self.ctrl.close();
    }
}

/// Which way a recording goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingDirection {
    /// What baresip received (`-dec.wav`, after its decoder).
    Received,
    /// What baresip sent (`-enc.wav`, before its encoder).
    Sent,
}

/// The direction of a `sndfile` recording, from its name
/// (`dump-YYYY-MM-DD-HH-MM-SS-dec.wav` or `...-enc.wav`).
pub fn recording_direction(path: &Path) -> Option<RecordingDirection> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_prefix("dump-")?.strip_suffix(".wav")?;
    match stem.rsplit_once('-')?.1 {
        "dec" => Some(RecordingDirection::Received),
        "enc" => Some(RecordingDirection::Sent),
        _ => None,
    }
}

/// Whether `reginfo`'s answer shows `aor` registered: its line ends in `OK` (possibly
/// coloured: `\x1b[32mOK\x1b[;m`).
fn reginfo_says_registered(info: &str, aor: &str) -> bool {
    info.lines().filter(|line| line.contains(aor)).any(|line| {
        let plain: String = strip_ansi(line);
        plain.split_whitespace().any(|word| word == "OK")
    })
}

/// `text` without ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The directory holding every module in `files`, or [`Error::MissingTool`].
fn find_module_dir(files: &[&'static str]) -> Result<PathBuf> {
    let dir = MODULE_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|d| d.join("account.so").is_file())
        .ok_or(Error::MissingTool {
            tool: "baresip modules (account.so)",
            package: "baresip",
        })?;
    if let Some(missing) = files.iter().find(|f| !dir.join(f).is_file()) {
        return Err(Error::MissingTool {
            tool: missing,
            package: "baresip",
        });
    }
    Ok(dir)
}

/// Writes `text` to `path`.
fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Waits until the baresip of `process` has logged that it is ready and accepts a
/// control connection at `ctrl_addr`, and, with a registrar, until `reginfo` shows `aor`
/// registered.
fn wait_ready(
    process: &mut PeerProcess,
    ctrl_addr: SocketAddr,
    config: &BaresipConfig,
    aor: &str,
) -> Result<CtrlClient> {
    let deadline = now() + config.start_timeout;
    let not_ready = |process: &PeerProcess, what: &str| Error::NotReady {
        peer: format!("baresip {aor} ({what})"),
        waited: config.start_timeout,
        log: process.log().to_owned(),
        tail: tail(process.log(), TAIL_LINES),
    };
    let mut ctrl: Option<CtrlClient> = None;
    loop {
        if let Some(status) = process.try_wait()? {
            return Err(Error::Exited {
                peer: format!("baresip {aor}"),
                status: describe(status),
                log: process.log().to_owned(),
                tail: tail(process.log(), TAIL_LINES),
            });
        }
        let logged_ready = tail(process.log(), 200).contains(READY_LINE);
        if logged_ready && ctrl.is_none() {
            if let Ok(stream) = TcpStream::connect_timeout(&ctrl_addr, Duration::from_millis(200)) {
                ctrl = Some(CtrlClient::new(stream)?);
            }
        }
        if let Some(client) = ctrl.take() {
            if config.registrar.is_none() {
                return Ok(client);
            }
            let registered = client
                .command("reginfo", "", COMMAND_TIMEOUT)
                .map(|info| reginfo_says_registered(&info, aor));
            match registered {
                Ok(true) => return Ok(client),
                Ok(false) => ctrl = Some(client),
                Err(CtrlError::Refused(data)) => {
                    return Err(Error::Rpc {
                        command: "baresip ctrl_tcp reginfo".into(),
                        detail: data,
                    })
                }
                // the process exits or stalls: looked at on the next turn
                Err(_) => {}
            }
        }
        if now() >= deadline {
            let what = if !logged_ready {
                "never logged that it was ready"
            } else if config.registrar.is_some() {
                "not registered"
            } else {
                "control socket not answering"
            };
            return Err(not_ready(process, what));
        }
        std::thread::sleep(POLL * 5);
    }
}

// ---------------------------------------------------------------------------------------
// ctrl_tcp: netstrings of JSON

/// Why a control exchange failed.
#[derive(Debug)]
enum CtrlError {
    /// baresip answered `"ok":false` with this `data`.
    Refused(String),
    /// No answer (or event) in time.
    Timeout,
    /// The connection closed (baresip exited) or carried garbage.
    Closed(String),
    /// Sending failed.
    Io(std::io::Error),
}

/// What the reader thread collected.
#[derive(Debug, Default)]
struct CtrlState {
    /// Every event, and whether `wait_for` returned it.
    events: Vec<(BaresipEvent, bool)>,
    /// Answers not yet claimed: (token, ok, data).
    responses: VecDeque<(String, bool, String)>,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

#[derive(Debug, Default)]
struct CtrlShared {
    state: Mutex<CtrlState>,
    changed: Condvar,
}

impl CtrlShared {
    fn lock(&self) -> MutexGuard<'_, CtrlState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A `ctrl_tcp` connection: commands out, answers and events in (a reader thread).
#[derive(Debug)]
struct CtrlClient {
    writer: Mutex<TcpStream>,
    shared: Arc<CtrlShared>,
    reader: Option<JoinHandle<()>>,
    next_token: AtomicU64,
}

impl CtrlClient {
    fn new(stream: TcpStream) -> Result<Self> {
        let reading = stream
            .try_clone()
            .map_err(|e| Error::io("cloning the ctrl_tcp socket", e))?;
        let shared = Arc::new(CtrlShared::default());
        let for_reader = Arc::clone(&shared);
        let reader = std::thread::Builder::new()
            .name("baresip-ctrl".into())
            .spawn(move || read_loop(reading, &for_reader))
            .map_err(|e| Error::io("starting the ctrl_tcp reader", e))?;
        Ok(Self {
            writer: Mutex::new(stream),
            shared,
            reader: Some(reader),
            next_token: AtomicU64::new(1),
        })
    }

    /// Sends a command and returns its token.
    fn send_only(&self, command: &str, params: &str) -> std::result::Result<String, CtrlError> {
        let token = format!(
            "tipring-{}",
            self.next_token.fetch_add(1, Ordering::Relaxed)
        );
        let json = format!(
            "{{\"command\":{},\"params\":{},\"token\":{}}}",
            json_string(command),
            json_string(params),
            json_string(&token)
        );
        let frame = format!("{}:{json},", json.len());
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer
            .write_all(frame.as_bytes())
            .and_then(|()| writer.flush())
            .map_err(CtrlError::Io)?;
        Ok(token)
    }

    /// Sends a command and waits for its answer.
    fn command(
        &self,
        command: &str,
        params: &str,
        timeout: Duration,
    ) -> std::result::Result<String, CtrlError> {
        let token = self.send_only(command, params)?;
        let deadline = now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(i) = state.responses.iter().position(|(t, _, _)| *t == token) {
                let (_, ok, data) = state.responses.remove(i).unwrap_or_default();
                return if ok {
                    Ok(data)
                } else {
                    Err(CtrlError::Refused(data))
                };
            }
            if let Some(why) = &state.closed {
                return Err(CtrlError::Closed(why.clone()));
            }
            let left = deadline.saturating_duration_since(now());
            if left.is_zero() {
                return Err(CtrlError::Timeout);
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits for the oldest unclaimed event of `kind`.
    fn wait_for(
        &self,
        kind: &EventKind,
        timeout: Duration,
    ) -> std::result::Result<BaresipEvent, CtrlError> {
        let deadline = now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some((event, claimed)) = state
                .events
                .iter_mut()
                .find(|(e, claimed)| !claimed && e.kind == *kind)
            {
                *claimed = true;
                return Ok(event.clone());
            }
            if let Some(why) = &state.closed {
                return Err(CtrlError::Closed(why.clone()));
            }
            let left = deadline.saturating_duration_since(now());
            if left.is_zero() {
                return Err(CtrlError::Timeout);
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn events(&self) -> Vec<BaresipEvent> {
        self.shared
            .lock()
            .events
            .iter()
            .map(|(e, _)| e.clone())
            .collect()
    }

    /// Closes the connection and joins the reader.
    fn close(&mut self) {
        if let Ok(writer) = self.writer.lock() {
            let _ = writer.shutdown(Shutdown::Both);
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for CtrlClient {
    fn drop(&mut self) {
        self.close();
    }
}

/// The reader thread: netstrings in, events and answers into `shared`, until EOF.
fn read_loop(mut stream: TcpStream, shared: &CtrlShared) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let why = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break "closed by baresip".to_owned(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break format!("read error: {e}"),
        }
        let mut failed = None;
        loop {
            match take_netstring(&mut buf) {
                Ok(Some(payload)) => {
                    let text = String::from_utf8_lossy(&payload).into_owned();
                    let mut state = shared.lock();
                    match parse_message(&text) {
                        Some(Message::Event(event)) => state.events.push((event, false)),
                        Some(Message::Response { token, ok, data }) => {
                            state.responses.push_back((token, ok, data));
                        }
                        None => tracing::debug!(%text, "unrecognised ctrl_tcp message"),
                    }
                    drop(state);
                    shared.changed.notify_all();
                }
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            break e;
        }
    };
    shared.lock().closed = Some(why);
    shared.changed.notify_all();
}

/// Takes one netstring (`LEN:PAYLOAD,`) off the front of `buf`: `Ok(None)` while it is
/// incomplete, `Err` when `buf` does not start with one.
fn take_netstring(buf: &mut Vec<u8>) -> std::result::Result<Option<Vec<u8>>, String> {
    let Some(colon) = buf.iter().position(|&b| b == b':') else {
        if buf.len() > 20 || !buf.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "not a netstring: {:?}",
                String::from_utf8_lossy(&buf[..buf.len().min(40)])
            ));
        }
        return Ok(None);
    };
    let digits = &buf[..colon];
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!(
            "bad netstring length {:?}",
            String::from_utf8_lossy(digits)
        ));
    }
    let len: usize = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .filter(|&n| n <= MAX_MESSAGE)
        .ok_or_else(|| {
            format!(
                "netstring length {:?} too large",
                String::from_utf8_lossy(digits)
            )
        })?;
    let end = colon + 1 + len;
    if buf.len() <= end {
        return Ok(None);
    }
    if buf[end] != b',' {
        return Err("netstring without its ','".into());
    }
    let payload = buf[colon + 1..end].to_vec();
    buf.drain(..=end);
    Ok(Some(payload))
}

/// A control message from baresip.
#[derive(Debug, Clone, PartialEq)]
enum Message {
    Event(BaresipEvent),
    Response {
        token: String,
        ok: bool,
        data: String,
    },
}

/// Reads one JSON message of `ctrl_tcp`; `None` for anything else.
fn parse_message(text: &str) -> Option<Message> {
    let Json::Object(fields) = Json::parse(text)? else {
        return None;
    };
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let string = |name: &str| match get(name) {
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    };
    if get("event") == Some(&Json::Bool(true)) {
        return Some(Message::Event(BaresipEvent {
            kind: EventKind::from_type(&string("type")?),
            class: string("class").unwrap_or_default(),
            account_aor: string("accountaor"),
            direction: string("direction"),
            peer_uri: string("peeruri"),
            call_id: string("id"),
            param: string("param"),
            json: text.to_owned(),
        }));
    }
    if get("response") == Some(&Json::Bool(true)) {
        return Some(Message::Response {
            token: string("token").unwrap_or_default(),
            ok: get("ok") == Some(&Json::Bool(true)),
            data: string("data").unwrap_or_default(),
        });
    }
    None
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value (RFC 8259), enough to read baresip's messages.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document; `None` if it is not valid JSON (or nests deeper than 32).
    fn parse(text: &str) -> Option<Self> {
        let mut parser = JsonParser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = parser.value(0)?;
        parser.skip_ws();
        (parser.pos == parser.bytes.len()).then_some(value)
    }
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl JsonParser<'_> {
    const MAX_DEPTH: usize = 32;

    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b" \t\r\n".contains(b))
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(literal.len())?;
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > Self::MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match *self.bytes.get(self.pos)? {
            b'n' => self.eat(b"null").map(|()| Json::Null),
            b't' => self.eat(b"true").map(|()| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|()| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.eat(b"]").is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    if self.eat(b",").is_none() {
                        self.eat(b"]")?;
                        return Some(Json::Array(items));
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut fields = Vec::new();
                self.skip_ws();
                if self.eat(b"}").is_some() {
                    return Some(Json::Object(fields));
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.skip_ws();
                    self.eat(b":")?;
                    let value = self.value(depth + 1)?;
                    fields.push((key, value));
                    self.skip_ws();
                    if self.eat(b",").is_none() {
                        self.eat(b"}")?;
                        return Some(Json::Object(fields));
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| b"+-.eE0123456789".contains(b))
                {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
                text.parse().ok().map(Json::Number)
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b"\"")?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.bytes.get(self.pos)?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.bytes.get(self.pos)?;
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4()?;
                            if (0xD800..0xDC00).contains(&unit) {
                                // a surrogate pair: \uD83D\uDE00
                                self.eat(b"\\u")?;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                            } else {
                                char::from_u32(unit)?
                            }
                        }
                        _ => return None,
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                0x00..=0x1f => return None,
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.pos.checked_add(4)?;
        let digits = std::str::from_utf8(self.bytes.get(self.pos..end)?).ok()?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        self.pos = end;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_ip_account_and_config_are_rendered() {
        let config = BaresipConfig::new("alice")
            .codecs([Codec::Pcmu, Codec::G722, Codec::Opus])
            .record(true)
            .auto_answer(false)
            .media_encryption(MediaEncryption::SrtpMandatory);
        assert_eq!(
            config.render_account(25062),
            "<sip:alice@127.0.0.1:25062>;regint=0;answermode=manual;\
             audio_codecs=PCMU,G722/16000/1,opus/48000/2;mediaenc=srtp-mand;ptime=20\n"
        );
        let text = config
            .render_config(
                25062,
                24444,
                Path::new("/usr/lib/baresip/modules"),
                Path::new("/tmp/x/microphone.wav"),
                Path::new("/tmp/x/recordings"),
            )
            .unwrap();
        for line in [
            "sip_listen\t\t127.0.0.1:25062",
            "net_interface\t\t127.0.0.1",
            "audio_source\t\taufile,/tmp/x/microphone.wav",
            "ausrc_srate\t\t8000",
            "ctrl_tcp_listen\t\t127.0.0.1:24444",
            "snd_path\t\t/tmp/x/recordings",
            "module\t\t\tg711.so",
            "module\t\t\tg722.so",
            "module\t\t\topus.so",
            "module\t\t\tsndfile.so",
            "module\t\t\tsrtp.so",
            "module_app\t\tctrl_tcp.so",
            "module_app\t\tmenu.so",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
        }
        // mixed rates: the microphone at 8 kHz; one codec: at its rate
        assert_eq!(config.source_rate(), 8000);
        assert_eq!(
            BaresipConfig::new("a").codecs([Codec::G722]).source_rate(),
            16_000
        );
        assert_eq!(
            BaresipConfig::new("a").codecs([Codec::Opus]).source_rate(),
            48_000
        );
        assert_eq!(BaresipConfig::new("a").source_rate(), 8000);
        // no terminal UI, no sound card
        for absent in ["stdio.so", "alsa", "audio_player"] {
            assert!(!text.contains(absent), "{absent} in:\n{text}");
        }
        assert_eq!(
            config.module_files(),
            vec![
                "account.so",
                "aufile.so",
                "ctrl_tcp.so",
                "g711.so",
                "g722.so",
                "menu.so",
                "opus.so",
                "sndfile.so",
                "srtp.so"
            ]
        );
    }

    #[test]
    fn registrar_account_goes_through_the_outbound_proxy() {
        let addr = SocketAddr::from((LOOPBACK, 25060));
        let config = BaresipConfig::new("101").registrar(addr, "tipring.test", "pw-101");
        assert_eq!(config.aor(25070), "sip:101@tipring.test");
        assert_eq!(
            config.render_account(25070),
            "<sip:101@tipring.test>;auth_user=101;auth_pass=pw-101;\
             outbound=\"sip:127.0.0.1:25060\";regint=600;answermode=auto;\
             audio_codecs=PCMU,PCMA;ptime=20\n"
        );
        let text = config
            .render_config(
                25070,
                24444,
                Path::new("/m"),
                Path::new("/p.wav"),
                Path::new("/r"),
            )
            .unwrap();
        // not recording: no sndfile, no snd_path; no SRTP module
        for absent in ["sndfile", "snd_path", "srtp"] {
            assert!(!text.contains(absent), "{absent} in:\n{text}");
        }
    }

    #[test]
    fn unsafe_values_are_refused() {
        let addr = SocketAddr::from((LOOPBACK, 5060));
        let refused = |c: BaresipConfig| matches!(c.validate(), Err(Error::InvalidConfig(_)));
        assert!(refused(BaresipConfig::new("")));
        assert!(refused(BaresipConfig::new("a b")));
        assert!(refused(BaresipConfig::new("a>b")));
        assert!(refused(BaresipConfig::new("a").codecs([])));
        assert!(refused(
            BaresipConfig::new("a").registrar(addr, "t.test", "p;w")
        ));
        assert!(refused(
            BaresipConfig::new("a").registrar(addr, "t.test", "")
        ));
        assert!(refused(BaresipConfig::new("a").registrar(
            addr,
            "bad domain",
            "pw"
        )));
        assert!(BaresipConfig::new("a.b-c").validate().is_ok());
        let config = BaresipConfig::new("a");
        let spaced = config.render_config(
            1,
            2,
            Path::new("/m"),
            Path::new("/tmp/with space/p.wav"),
            Path::new("/r"),
        );
        assert!(matches!(spaced, Err(Error::InvalidConfig(_))));
    }

    #[test]
    fn netstrings_are_split_and_checked() {
        let mut buf = b"5:hello,3:abc,2:x".to_vec();
        assert_eq!(take_netstring(&mut buf).unwrap(), Some(b"hello".to_vec()));
        assert_eq!(take_netstring(&mut buf).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(take_netstring(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"y,");
        assert_eq!(take_netstring(&mut buf).unwrap(), Some(b"xy".to_vec()));
        assert!(buf.is_empty());
        assert_eq!(take_netstring(&mut buf).unwrap(), None);
        let mut partial = b"12".to_vec();
        assert_eq!(take_netstring(&mut partial).unwrap(), None);
        for bad in [
            &b"x:abc,"[..],
            b"3:abcd",
            b":abc,",
            b"99999999999999999999999:",
        ] {
            assert!(take_netstring(&mut bad.to_vec()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn events_and_answers_are_parsed() {
        // as baresip 1.0.0 sent them
        let text = r##"{"event":true,"type":"CALL_DTMF_START","class":"call","accountaor":"sip:b@127.0.0.1:25062","direction":"incoming","peeruri":"sip:a@127.0.0.1:25060","id":"707eb229e9174cfd","param":"#"}"##;
        let Some(Message::Event(event)) = parse_message(text) else {
            panic!("not an event");
        };
        assert_eq!(event.kind, EventKind::DtmfStart);
        assert_eq!(event.class, "call");
        assert_eq!(event.account_aor.as_deref(), Some("sip:b@127.0.0.1:25062"));
        assert_eq!(event.direction.as_deref(), Some("incoming"));
        assert_eq!(event.peer_uri.as_deref(), Some("sip:a@127.0.0.1:25060"));
        assert_eq!(event.call_id.as_deref(), Some("707eb229e9174cfd"));
        assert_eq!(event.param.as_deref(), Some("#"));

        let rtcp = r#"{"event":true,"type":"CALL_RTCP","class":"call","param":"audio","rtcp_stats":{"tx":{"sent":0,"lost":0,"jit":0},"rx":{"sent":0,"lost":0,"jit":0},"rtt":0}}"#;
        let Some(Message::Event(event)) = parse_message(rtcp) else {
            panic!("not an event");
        };
        assert_eq!(event.kind, EventKind::Other("CALL_RTCP".into()));
        assert_eq!(event.kind.as_type(), "CALL_RTCP");

        let answer = r#"{"response":true,"ok":true,"data":"\n--- User Agents (1) ---\n> sip:a@127.0.0.1:25060 \/ \u00e9\n","token":"tipring-7"}"#;
        assert_eq!(
            parse_message(answer),
            Some(Message::Response {
                token: "tipring-7".into(),
                ok: true,
                data: "\n--- User Agents (1) ---\n> sip:a@127.0.0.1:25060 / é\n".into(),
            })
        );
        let refused = r#"{"response":true,"ok":false,"data":"no active call","token":"t"}"#;
        assert!(matches!(
            parse_message(refused),
            Some(Message::Response { ok: false, .. })
        ));
        assert_eq!(parse_message(r#"{"something":"else"}"#), None);
        assert_eq!(parse_message("[1,2]"), None);
        for kind in [
            EventKind::RegisterOk,
            EventKind::RegisterFail,
            EventKind::CallIncoming,
            EventKind::CallRinging,
            EventKind::CallProgress,
            EventKind::CallEstablished,
            EventKind::CallClosed,
            EventKind::DtmfStart,
            EventKind::DtmfEnd,
        ] {
            assert_eq!(EventKind::from_type(kind.as_type()), kind);
        }
    }

    #[test]
    fn json_parser_reads_rfc8259_values_and_rejects_garbage() {
        assert_eq!(
            Json::parse(r#" {"a":[1,-2.5e1,true,false,null,"x\ty"],"b":{}} "#),
            Some(Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number(1.0),
                        Json::Number(-25.0),
                        Json::Bool(true),
                        Json::Bool(false),
                        Json::Null,
                        Json::String("x\ty".into()),
                    ])
                ),
                ("b".into(), Json::Object(vec![])),
            ]))
        );
        assert_eq!(
            Json::parse(r#""\ud83d\ude00""#),
            Some(Json::String("😀".into()))
        );
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "[1,]x",
            "\"\\x\"",
            "\"\\ud83d\"",
            "tru",
            "{\"a\":1}}",
            "\"a\nb\"",
        ] {
            assert_eq!(Json::parse(bad), None, "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(Json::parse(&deep), None);
        // strings we send come back as they were
        let odd = "a\"b\\c\nd\u{1}é";
        assert_eq!(
            Json::parse(&json_string(odd)),
            Some(Json::String(odd.into()))
        );
    }

    /// Seeded random bytes and mutations of real messages never panic the readers.
    #[test]
    fn control_readers_survive_random_input() {
        let mut seed: u64 = 0x5eed_ba2e_51b0_0001;
        let mut next = move || {
            // splitmix64
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let sample = br#"205:{"event":true,"type":"CALL_ESTABLISHED","class":"call","accountaor":"sip:a@127.0.0.1:25060","direction":"outgoing","peeruri":"sip:b@127.0.0.1:25062","id":"380164f819133844","param":"sip:b@127.0.0.1:25062"},"#;
        for round in 0..2000 {
            let mut bytes = sample.to_vec();
            if round % 2 == 0 {
                for _ in 0..(next() % 8) {
                    let i = (next() as usize) % bytes.len();
                    bytes[i] = next() as u8;
                }
            } else {
                bytes = (0..next() % 64).map(|_| next() as u8).collect();
            }
            let mut buf = bytes.clone();
            while let Ok(Some(payload)) = take_netstring(&mut buf) {
                let _ = parse_message(&String::from_utf8_lossy(&payload));
            }
            let _ = parse_message(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn recordings_are_told_apart_by_name() {
        let dec = Path::new("/r/dump-2026-11-26-11-47-36-dec.wav");
        let enc = Path::new("/r/dump-2026-11-26-11-47-36-enc.wav");
        assert_eq!(recording_direction(dec), Some(RecordingDirection::Received));
        assert_eq!(recording_direction(enc), Some(RecordingDirection::Sent));
        assert_eq!(recording_direction(Path::new("/r/other.wav")), None);
        assert_eq!(recording_direction(Path::new("/r/dump-x.wav")), None);
    }

    #[test]
    fn reginfo_is_read_with_or_without_colours() {
        let aor = "sip:101@tipring.test";
        // as baresip 1.0.0 answered after registering with the test Kamailio
        let ok = "\n--- User Agents (1) ---\n> sip:101@tipring.test                       \
                  \u{1b}[32mOK \u{1b}[;m tipring-test-kamailio Expires 600s\n\n";
        assert!(reginfo_says_registered(ok, aor));
        assert!(reginfo_says_registered("> sip:101@tipring.test  OK\n", aor));
        let pending =
            "\n--- User Agents (1) ---\n> sip:101@tipring.test        \u{1b}[31mzzz\u{1b}[;m\n";
        assert!(!reginfo_says_registered(pending, aor));
        assert!(!reginfo_says_registered("> sip:102@tipring.test OK\n", aor));
    }
}
