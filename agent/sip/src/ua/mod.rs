//! The user agent core: accounts (one per FXS port), their registrations and calls, on top
//! of the transaction layer. Sans-IO: bytes and time in, bytes and events out.

mod call;
mod dispatch;
mod registration;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_sip_message::{
    check_request, check_response, CSeq, Headers, Host, Message, Method, NameAddr, Refresher,
    Request, Response, SipUri, UaPolicy, Uri,
};

use crate::auth;
use crate::config::{Account, Peer, UaConfig};
use crate::media::{self, Negotiated, Refusal};
use crate::rng::Rng;
use crate::timers::Timers;
use crate::transaction::{ClientTx, Kind, ServerTx, TxAction, Verdict};
use tipring_sip_message::auth::Challenge;
use tipring_sip_message::sdp::Direction;

/// A response the UAS retransmits on its own (a 2xx until the ACK, a reliable 1xx until
/// its PRACK): T1 doubling up to T2, giving up after 64·T1.
#[derive(Debug, Clone)]
struct Retransmit {
    bytes: Vec<u8>,
    interval: Duration,
    next: Instant,
    give_up: Instant,
}

/// What a [`Retransmit`] wants done now.
enum RetransmitStep {
    Wait,
    Send(Vec<u8>),
    GiveUp,
}

impl Retransmit {
    fn start(now: Instant, bytes: Vec<u8>, timers: &Timers) -> Self {
        Self {
            bytes,
            interval: timers.t1,
            next: now + timers.t1,
            give_up: now + timers.timeout(),
        }
    }

    fn step(&mut self, now: Instant, t2: Duration) -> RetransmitStep {
        if self.next > now {
            RetransmitStep::Wait
        } else if self.give_up <= now {
            RetransmitStep::GiveUp
        } else {
            self.interval = (self.interval * 2).min(t2);
            self.next = now + self.interval;
            RetransmitStep::Send(self.bytes.clone())
        }
    }
}

/// Counters of what the UA refused or dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bad requests answered with an error status (400, 505, 501, ...).
    pub bad_answered: u64,
    /// Messages dropped without an answer (unparseable, or responses to discard).
    pub bad_dropped: u64,
}

/// Index of an account (= FXS port, from 0).
pub type AccountId = usize;

/// Where an account's registration stands (observable for SNMP / TR-069).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// Not registering (disabled, or unregistered at shutdown).
    Idle,
    /// A REGISTER is in flight to this server.
    Registering {
        /// The server asked.
        server: Peer,
    },
    /// Registered with this server until the binding expires.
    Registered {
        /// The registrar.
        server: Peer,
        /// Expiry the registrar granted, in seconds.
        expires: u32,
    },
    /// Registration failed; retrying later.
    Failed {
        /// Why.
        reason: RegistrationFailure,
        /// When the next attempt starts.
        retry_at: Instant,
    },
}

/// Why a registration failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// The registrar refused our credentials (403, or a second 401/407).
    AuthenticationFailed {
        /// Its status code.
        status: u16,
    },
    /// The registrar refused the registration for another reason.
    Rejected {
        /// Its status code.
        status: u16,
    },
    /// No server of the list answered.
    NoServerReachable,
}

/// What the SIP side reports about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallEvent {
    /// An INVITE for this account: ring the port.
    Incoming {
        /// Caller's number (user part of P-Asserted-Identity or From), if any.
        number: Option<String>,
        /// Caller's display name, if any.
        name: Option<String>,
        /// The caller asked for privacy (`Privacy: id` or anonymous From).
        private: bool,
        /// `Alert-Info` value, for distinctive ringing.
        alert_info: Option<String>,
    },
    /// The far end is ringing (180).
    Ringing,
    /// Early media (183 with SDP).
    EarlyMedia,
    /// The call is answered (2xx sent or received).
    Answered,
    /// The far end is busy or declined (486, 600, 603).
    Busy,
    /// The call failed with this status (404, 480, 503, 408 on timeout, ...).
    Failed {
        /// The status code.
        status: u16,
    },
    /// The caller gave up before answer (CANCEL).
    Cancelled,
    /// The far end hung up (BYE).
    RemoteHangup,
    /// The far end sent a DTMF key as SIP INFO: play it to the phone.
    Dtmf(char),
    /// Our hold or resume re-INVITE was accepted.
    HoldChanged {
        /// Whether the call is now on hold (by us).
        held: bool,
    },
    /// Our blind transfer succeeded: the far end is now talking to the target, and our
    /// call has ended.
    Transferred,
    /// Our transfer failed (REFER refused or the target could not be reached); the call
    /// goes on.
    TransferFailed {
        /// The status reported.
        status: u16,
    },
    /// We were transferred (REFER) or our call was replaced (INVITE with Replaces): the
    /// port stays in a call, now with another party.
    Replaced,
    /// Our fax re-INVITE ([`Command::SwitchToFax`]) was refused, or answered without the
    /// media asked for (no T.38 stream); the call goes on as it was.
    FaxRefused {
        /// Whether T.38 was asked for (else G.711 voice-band data).
        t38: bool,
        /// The status of the refusal (200 when it was accepted without T.38).
        status: u16,
    },
    /// Something happened to the account's other (held) call.
    OtherParty(Box<CallEvent>),
}

/// The outcome of a [`Command::Ping`]: what the server answered to an out-of-dialog
/// OPTIONS, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PingResult {
    /// Where the OPTIONS went: the server the account is registered with, else its first
    /// server. `None` when nothing was sent because there is no server to ask (no such
    /// account, or an account without servers).
    pub server: Option<Peer>,
    /// The status of the final response; `None`: no answer (timer F), a transport
    /// failure, or the ping was refused before anything was sent.
    pub status: Option<u16>,
    /// The response's reason phrase, or why there was no answer.
    pub reason: String,
    /// Time from sending the OPTIONS to its final response (on the `now` of the inputs).
    pub rtt: Option<Duration>,
    /// The response's `Server` header (else its `User-Agent`), at most
    /// [`PING_HEADER_MAX`] characters.
    pub server_header: Option<String>,
    /// The response's `Allow` header(s), joined with `", "`, at most [`PING_HEADER_MAX`]
    /// characters.
    pub allow: Option<String>,
}

/// Most characters kept of a header value (or reason phrase) in a [`PingResult`].
pub const PING_HEADER_MAX: usize = 128;

/// Most [`Command::Ping`]s in progress at once; more are refused at once.
pub const MAX_PINGS: usize = 8;

/// Events of the user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An account's registration state changed.
    Registration {
        /// Which account.
        account: AccountId,
        /// Its new state.
        state: RegistrationState,
    },
    /// Something happened to an account's call.
    Call {
        /// Which account.
        account: AccountId,
        /// What.
        event: CallEvent,
    },
    /// Offer/answer settled (or changed, on a re-INVITE) for an account's call: where to
    /// send RTP, with which codec and direction.
    Media {
        /// Which account.
        account: AccountId,
        /// What was agreed.
        session: Negotiated,
    },
    /// Offer/answer settled on T.38 fax relay for an account's call (a re-INVITE to
    /// `image/t38`, ours or the far end's): from now on the call's media is UDPTL to
    /// `session.remote`. A later [`Event::Media`] means the call went back to audio.
    Fax {
        /// Which account.
        account: AccountId,
        /// What was agreed.
        session: crate::fax::T38Session,
    },
    /// Voicemail state for an account, from a message-summary NOTIFY (RFC 3842).
    MessageWaiting {
        /// Which account.
        account: AccountId,
        /// Whether messages wait.
        waiting: bool,
    },
    /// The outcome of a [`Command::Ping`].
    Ping {
        /// Which account it was sent for.
        account: AccountId,
        /// The caller's id from the command.
        id: u64,
        /// What came back.
        result: PingResult,
    },
    /// A message was refused or dropped (for counters).
    BadMessage {
        /// Where from.
        from: Peer,
        /// What was wrong.
        reason: String,
        /// The status sent back, if any.
        answered: Option<u16>,
    },
}

/// What the user agent asks of its shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes.
    Transmit {
        /// To whom.
        to: Peer,
        /// What.
        data: Vec<u8>,
    },
    /// Report this.
    Event(Event),
}

/// Commands from the line side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Start (or restart) registering the account.
    Register(AccountId),
    /// Remove the account's binding (expires=0), e.g. at shutdown.
    Unregister(AccountId),
    /// Place a call from the account to this number.
    Dial {
        /// Which account.
        account: AccountId,
        /// The number (user part of the Request-URI).
        number: String,
        /// Withhold the caller's identity (RFC 3323: anonymous From, `Privacy: id`, the
        /// identity kept in `P-Preferred-Identity` for a trusted proxy, RFC 3325).
        private: bool,
    },
    /// Place a call straight to another gateway at `peer` (`sip:number@peer`), bypassing
    /// the registrars: survivability when no registrar answers, or a peer-to-peer trunk.
    DialPeer {
        /// Which account.
        account: AccountId,
        /// The number (user part of the Request-URI).
        number: String,
        /// The other gateway's SIP address.
        peer: Peer,
        /// Withhold the caller's identity (as for [`Command::Dial`]).
        private: bool,
    },
    /// Answer the account's ringing call.
    Answer(AccountId),
    /// Call waiting: hold the active call and answer the waiting one, which becomes the
    /// active call (the held one is the account's other call).
    AnswerOther(AccountId),
    /// Refuse the waiting call (486).
    RejectOther(AccountId),
    /// Blind transfer of the other (held) call to `target` (REFER in that call).
    BlindTransferOther {
        /// Which account.
        account: AccountId,
        /// Number (or user part) to transfer to.
        target: String,
    },
    /// Forward the account's ringing call to `target` (302 Moved Temporarily with the
    /// target as Contact); `other`: the waiting call instead.
    Redirect {
        /// Which account.
        account: AccountId,
        /// Number (user part) to send the caller to.
        target: String,
        /// The waiting call rather than the active slot's.
        other: bool,
    },
    /// Hold the active call and resume the other one: they change places.
    Swap(AccountId),
    /// Take the other (held) call off hold too, e.g. for a local 3-way conference.
    ResumeOther(AccountId),
    /// End the other call only (CANCEL or BYE).
    HangupOther(AccountId),
    /// Refuse the account's ringing call as busy.
    RejectBusy(AccountId),
    /// Refuse the account's ringing call with 480 Temporarily Unavailable: the line
    /// cannot take calls now (a line fault; the port is out of service).
    RejectUnavailable(AccountId),
    /// End the account's call (CANCEL before answer, BYE after).
    Hangup(AccountId),
    /// Consultation: hold the call and call `number`; the held call becomes the account's
    /// other call (for an attended transfer or a swap).
    Consult {
        /// Which account.
        account: AccountId,
        /// Whom to call.
        number: String,
    },
    /// Attended transfer: REFER the held party to the consulted one (Refer-To with
    /// Replaces, RFC 5589 §7), then leave both calls.
    AttendedTransfer(AccountId),
    /// Put the call on hold (re-INVITE offering `sendonly`).
    Hold(AccountId),
    /// Take the call off hold (re-INVITE offering `sendrecv`).
    Resume(AccountId),
    /// Blind transfer: ask the far end to call `target` (REFER, RFC 3515), and end our
    /// call when it reports success.
    BlindTransfer {
        /// Which account.
        account: AccountId,
        /// Number (or user part) to transfer to.
        target: String,
    },
    /// Replace the account's settings (a configuration change). Settings that only shape
    /// later requests (display name, codecs, RTP ports, MWI) apply from the next one. A new
    /// identity (user, authentication user, password, domain, servers, expiry, whether to
    /// register) first removes the old binding (REGISTER with `Expires: 0`, when one is
    /// in place), then registers afresh with a new Call-ID. The account's calls carry on.
    UpdateAccount {
        /// Which account.
        account: AccountId,
        /// Its new settings.
        settings: Box<Account>,
    },
    /// A fax was detected on the account's call: re-INVITE to T.38 (`t38`, with the
    /// account's [`Account::t38`] parameters) or to G.711 voice-band data (V.152 style).
    /// The outcome is an [`Event::Fax`] / [`Event::Media`], or [`CallEvent::FaxRefused`].
    SwitchToFax {
        /// Which account.
        account: AccountId,
        /// T.38 rather than G.711 pass-through.
        t38: bool,
    },
    /// Send a DTMF key in the call as SIP INFO (`application/dtmf-relay`).
    SendDtmf {
        /// Which account.
        account: AccountId,
        /// The key.
        digit: char,
        /// How long it was pressed, in ms.
        duration_ms: u32,
    },
    /// Diagnostics: send an out-of-dialog OPTIONS for the account to the server it is
    /// registered with (else its first server) and report the answer as an
    /// [`Event::Ping`] with this `id`. The answer touches nothing else: no failover, no
    /// re-registration, no authentication (a 401/407 is reported as it is). Provisional
    /// responses are ignored; no answer by timer F, or a transport failure, reports
    /// `status: None`. An unknown account, an account that does not register or has no
    /// server, or more than [`MAX_PINGS`] pings in progress: the result comes at once,
    /// with the reason.
    Ping {
        /// Which account.
        account: AccountId,
        /// The caller's id, echoed in the [`Event::Ping`].
        id: u64,
    },
}

/// Inputs to [`UserAgent::handle_input`].
#[derive(Debug)]
pub enum Input<'a> {
    /// A datagram or a framed stream message arrived.
    Receive {
        /// When.
        now: Instant,
        /// From whom.
        from: Peer,
        /// The bytes of one message.
        data: &'a [u8],
    },
    /// A command from the line side.
    Command {
        /// When.
        now: Instant,
        /// What.
        command: Command,
    },
    /// Time has reached `now`.
    Timeout(Instant),
    /// The transport could not deliver to `to` (connection refused, TLS handshake
    /// failed, ...): the transactions waiting on it fail now rather than at timer B/F
    /// (RFC 3261 §17.1.1.2, §17.1.2.2).
    TransportError {
        /// When.
        now: Instant,
        /// The peer that could not be reached.
        to: Peer,
    },
}

#[derive(Debug)]
struct Registration {
    state: RegistrationState,
    server_idx: usize,
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// Branch of the REGISTER in flight.
    branch: Option<String>,
    /// The last challenge (header name, value) and our nonce count for it.
    challenge: Option<(&'static str, Challenge)>,
    nc: u32,
    /// 401/407 answered in a row (a second one means the credentials are wrong).
    auth_tries: u8,
    expires_req: u32,
    failures: u32,
    /// When to refresh or retry.
    due: Option<Instant>,
    unregistering: bool,
    /// While registered to a backup: when to probe the primary with OPTIONS.
    probe_due: Option<Instant>,
}

impl Registration {
    /// A fresh registration (new Call-ID and tag), not started.
    fn new(rng: &mut Rng, ip: std::net::IpAddr, expires: u32) -> Self {
        Self {
            state: RegistrationState::Idle,
            server_idx: 0,
            call_id: format!("{}@{}", rng.hex(20), ip),
            from_tag: rng.hex(10),
            cseq: 0,
            branch: None,
            challenge: None,
            nc: 0,
            auth_tries: 0,
            expires_req: expires,
            failures: 0,
            due: None,
            unregistering: false,
            probe_due: None,
        }
    }
}

impl Subscription {
    /// A fresh subscription dialog, not started.
    fn new(rng: &mut Rng, ip: std::net::IpAddr) -> Self {
        Self {
            call_id: format!("{}@{}", rng.hex(20), ip),
            from_tag: rng.hex(10),
            to_tag: None,
            cseq: 0,
            branch: None,
            due: None,
            active: false,
            challenge: None,
            auth_tries: 0,
        }
    }
}

/// An account's message-summary subscription (RFC 3842 / RFC 6665).
#[derive(Debug)]
struct Subscription {
    call_id: String,
    from_tag: String,
    to_tag: Option<String>,
    cseq: u32,
    /// Branch of the SUBSCRIBE in flight.
    branch: Option<String>,
    /// When to (re)subscribe.
    due: Option<Instant>,
    active: bool,
    challenge: Option<(&'static str, Challenge)>,
    auth_tries: u8,
}

/// Expiry asked for message-summary subscriptions.
const MWI_EXPIRES: u32 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// UAC: INVITE sent.
    Calling,
    /// UAC: provisional response received.
    Early,
    /// UAS: ringing, waiting for the line to answer.
    Ringing,
    /// Both sides confirmed.
    Confirmed,
    /// UAC: CANCEL sent, waiting for the 487.
    Cancelling,
}

#[derive(Debug)]
struct Call {
    state: CallState,
    uac: bool,
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    /// Our URI (From for UAC, To for UAS).
    local: NameAddr,
    /// Their URI.
    remote: NameAddr,
    /// Where in-dialog requests go (remote Contact).
    remote_target: Uri,
    route_set: Vec<String>,
    local_cseq: u32,
    /// The peer messages of this call go to.
    peer: Peer,
    /// UAC: the INVITE (for CANCEL, ACK and authentication retries).
    invite: Option<Request>,
    invite_branch: Option<String>,
    invite_auth_tries: u8,
    /// 3xx redirections followed so far.
    redirects: u8,
    /// UAS: the INVITE received (for the responses) and its transaction key.
    incoming: Option<(Request, String)>,
    /// UAS: the 2xx retransmitted until the ACK arrives (interval, next, give-up).
    ok_retransmit: Option<Retransmit>,
    /// We placed the call withholding our identity (RFC 3323).
    private: bool,
    /// UAS: a reliable 180 (RFC 3262) retransmitted until its PRACK, same shape.
    prov_retransmit: Option<Retransmit>,
    /// UAC: the highest RSeq acknowledged with PRACK.
    last_rseq: Option<u32>,
    /// RFC 4028 session timer: interval, whether we refresh, and the next deadline
    /// (our refresh, or the expiry if the peer refreshes).
    session_timer: Option<(Duration, bool, Instant)>,
    /// Our re-INVITE in flight (its branch and what it offers).
    reinvite: Option<(String, Reoffer)>,
    /// A re-INVITE to retry after a 491 (glare), and when.
    reinvite_retry: Option<(Instant, Reoffer)>,
    /// We have put the call on hold.
    held: bool,
}

/// What a re-INVITE of ours offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reoffer {
    /// Our audio in this direction (hold: sendonly, resume: sendrecv).
    Audio(Direction),
    /// T.38 fax relay (`m=image udptl t38`).
    T38,
    /// G.711 only, as voice-band data (fax pass-through, V.152).
    Vbd,
}

/// The SDP session of an account's current call (RFC 3264 §8: one `o=` session id, the
/// version one higher with each new description) and the SRTP keys it offers.
#[derive(Debug, Default)]
struct SdpState {
    session: u64,
    version: u64,
    keys: Option<media::SdesKeys>,
    /// Our RTP port in this call's SDP.
    port: u16,
    /// The call's media is T.38 now (a new offer in the session offers T.38 again).
    t38: bool,
}

/// SRTP master keys: SHA-256 of the UA's secret 32-byte seed (from the OS in a deployment)
/// and a counter — a hash DRBG in the manner of NIST SP 800-90A, so keys are unpredictable
/// to anyone without the seed, unlike the SplitMix identifiers.
struct KeyGen {
    seed: [u8; 32],
    counter: u64,
}

impl std::fmt::Debug for KeyGen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyGen(***)")
    }
}

impl KeyGen {
    fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }

    fn key(&mut self) -> [u8; media::SDES_KEY_LEN] {
        use sha2::Digest as _;
        self.counter += 1;
        let mut h = sha2::Sha256::new();
        h.update(b"tipring SDES master key");
        h.update(self.seed);
        h.update(self.counter.to_be_bytes());
        let d = h.finalize();
        let mut k = [0u8; media::SDES_KEY_LEN];
        k.copy_from_slice(&d[..media::SDES_KEY_LEN]);
        k
    }

    fn keys(&mut self) -> media::SdesKeys {
        media::SdesKeys([self.key(), self.key()])
    }
}

/// The user agent of all ports. See the crate docs for the drive loop.
#[derive(Debug)]
pub struct UserAgent {
    cfg: UaConfig,
    rng: Rng,
    policy: UaPolicy,
    regs: Vec<Registration>,
    subs: Vec<Subscription>,
    calls: Vec<Option<Call>>,
    /// The account's other call: held while the phone consults a third party.
    others: Vec<Option<Call>>,
    /// While we carry out a transfer (we were REFERred): the referring call, kept for
    /// its NOTIFYs and its BYE, and restored if the transfer fails.
    transfers: Vec<Option<Call>>,
    /// Per account: the SDP session of its current call and its SRTP keys.
    sdp: Vec<SdpState>,
    /// The same for the account's other call (swapped with it).
    others_sdp: Vec<SdpState>,
    /// Cryptographic generator for SRTP master keys.
    keygen: KeyGen,
    /// Client transactions by branch, with their account and peer.
    client: HashMap<String, (ClientTx, AccountId, Peer, Method)>,
    /// Server transactions by (branch, method).
    server: HashMap<(String, Method), (ServerTx, Peer)>,
    outputs: VecDeque<Output>,
    /// Extra headers for the next in-dialog request.
    extra_headers: Vec<(String, String)>,
    /// Counters.
    stats: Stats,
    /// Next OPTIONS keep-alive round, and the pings in flight (branch -> server).
    keepalive_due: Option<Instant>,
    keepalive_tx: HashMap<String, Peer>,
    /// Diagnostic pings in flight ([`Command::Ping`]), by branch.
    pings: HashMap<String, Ping>,
    /// The time of the input being handled (for helpers called without one).
    last_now: Option<Instant>,
    /// Our address as the registrar sees it (Via received/rport), when it differs from
    /// the local one: we are behind a NAT, and Contacts must carry this address.
    public: Option<SocketAddr>,
    /// Transaction deadlines (lazy: stale entries are skipped when popped), so that a
    /// busy gateway with thousands of lingering transactions never scans them all.
    tx_timers: BinaryHeap<Reverse<(Instant, TimerKey)>>,
    /// Transactions touched by the current input, to re-arm afterwards.
    touched: Vec<TimerKey>,
    /// Per account: new settings waiting for the old binding to be removed.
    pending_accounts: Vec<Option<Account>>,
    /// The call being placed withholds the caller's identity.
    next_private: bool,
    /// Referring calls of transfers we completed, until the final NOTIFY (by branch) is
    /// answered: then BYE, unless the transferor's BYE came first.
    closing_referrers: Vec<(String, AccountId, Call)>,
    /// Per account: a blind transfer of the other call waiting for the active call's
    /// CANCEL to complete (so the target is free when the transferee calls it).
    deferred_refers: Vec<Option<String>>,
}

/// A [`Command::Ping`] in flight.
#[derive(Debug)]
struct Ping {
    account: AccountId,
    id: u64,
    server: Peer,
    sent: Instant,
}

/// A transaction in the timer heap: client (by key) or server (branch, method).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKey {
    Client(String),
    Server(String, String),
}

/// Most 3xx redirections followed for one call (loops end here).
const MAX_REDIRECTS: u8 = 5;

const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO, REFER, UPDATE";

impl UserAgent {
    /// A user agent for these accounts. Nothing is sent until a [`Command::Register`] or
    /// [`Command::Dial`].
    pub fn new(cfg: UaConfig) -> Self {
        let mut rng = Rng::from_seed(cfg.rng_seed);
        let cfg_seed = cfg.rng_seed;
        let regs = cfg
            .accounts
            .iter()
            .map(|a| Registration::new(&mut rng, cfg.local.ip(), a.expires))
            .collect();
        let calls: Vec<Option<Call>> = cfg.accounts.iter().map(|_| None).collect();
        let subs = cfg
            .accounts
            .iter()
            .map(|_| Subscription::new(&mut rng, cfg.local.ip()))
            .collect();
        let policy = UaPolicy::default();
        let pending_accounts = cfg.accounts.iter().map(|_| None).collect();
        Self {
            pending_accounts,
            closing_referrers: Vec::new(),
            next_private: false,
            deferred_refers: cfg.accounts.iter().map(|_| None).collect(),
            cfg,
            rng,
            policy,
            regs,
            subs,
            transfers: calls.iter().map(|_| None).collect(),
            sdp: calls.iter().map(|_| SdpState::default()).collect(),
            others_sdp: calls.iter().map(|_| SdpState::default()).collect(),
            keygen: KeyGen::new(cfg_seed),
            others: calls.iter().map(|_| None).collect(),
            calls,
            client: HashMap::new(),
            server: HashMap::new(),
            outputs: VecDeque::new(),
            extra_headers: Vec::new(),
            public: None,
            stats: Stats::default(),
            keepalive_due: None,
            keepalive_tx: HashMap::new(),
            pings: HashMap::new(),
            last_now: None,
            tx_timers: BinaryHeap::new(),
            touched: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &UaConfig {
        &self.cfg
    }

    /// An account's registration state.
    pub fn registration(&self, account: AccountId) -> Option<&RegistrationState> {
        self.regs.get(account).map(|r| &r.state)
    }

    /// Counters of refused and dropped input (for SNMP / metrics).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether the account has a call (ringing, in progress or connected).
    pub fn has_call(&self, account: AccountId) -> bool {
        self.calls.get(account).is_some_and(Option::is_some)
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Input::Timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tx = self.tx_timers.peek().map(|Reverse((t, _))| *t).into_iter();
        let stx = std::iter::empty();
        let regs = self
            .regs
            .iter()
            .flat_map(|r| [r.due, r.probe_due])
            .chain(self.subs.iter().map(|s| s.due))
            .chain(std::iter::once(self.keepalive_due))
            .flatten();
        let oks = self
            .calls
            .iter()
            .flatten()
            .flat_map(|c| [c.ok_retransmit.as_ref(), c.prov_retransmit.as_ref()])
            .filter_map(|r| r.map(|r| r.next));
        let sessions = self
            .calls
            .iter()
            .flatten()
            .filter_map(|c| c.session_timer.map(|t| t.2));
        let retries = self
            .calls
            .iter()
            .flatten()
            .filter_map(|c| c.reinvite_retry.map(|r| r.0));
        tx.chain(stx)
            .chain(regs)
            .chain(oks)
            .chain(sessions)
            .chain(retries)
            .min()
    }

    /// Feed one input.
    pub fn handle_input(&mut self, input: Input<'_>) {
        self.last_now = Some(match &input {
            Input::Receive { now, .. }
            | Input::Command { now, .. }
            | Input::TransportError { now, .. } => *now,
            Input::Timeout(now) => *now,
        });
        match input {
            Input::Receive { now, from, data } => self.on_receive(now, from, data),
            Input::Command { now, command } => self.on_command(now, command),
            Input::Timeout(now) => self.on_timeout(now),
            Input::TransportError { now, to } => self.on_transport_error(now, to),
        }
        self.rearm();
    }

    /// Put the deadlines of the transactions touched by the last input into the heap.
    fn rearm(&mut self) {
        for key in std::mem::take(&mut self.touched) {
            let deadline = match &key {
                TimerKey::Client(k) => self.client.get(k).and_then(|(t, ..)| t.deadline()),
                TimerKey::Server(b, m) => Method::parse(m)
                    .ok()
                    .and_then(|m| self.server.get(&(b.clone(), m)))
                    .and_then(|(t, _)| t.deadline()),
            };
            if let Some(d) = deadline {
                self.tx_timers.push(Reverse((d, key)));
            }
        }
    }

    fn touch_client(&mut self, key: &str) {
        self.touched.push(TimerKey::Client(key.to_string()));
    }

    fn touch_server(&mut self, key: &(String, Method)) {
        self.touched
            .push(TimerKey::Server(key.0.clone(), key.1.to_string()));
    }

    // ----- helpers ------------------------------------------------------------------------

    fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.rng.hex(16))
    }

    fn via(&self, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            self.cfg.transport.via_token(),
            self.cfg.local
        )
    }

    fn aor(&self, account: AccountId) -> NameAddr {
        let a = &self.cfg.accounts[account];
        let uri = Uri::Sip(SipUri::new(Host::Domain(a.domain.clone())).with_user(&a.user));
        let na = NameAddr::new(uri);
        match &a.display_name {
            Some(d) => na.with_display(d),
            None => na,
        }
    }

    fn contact_uri(&self, account: AccountId) -> SipUri {
        let a = &self.cfg.accounts[account];
        let addr = self.public.unwrap_or(self.cfg.local);
        let mut uri = SipUri::new(Host::from(addr.ip()))
            .with_user(&a.user)
            .with_port(addr.port());
        if self.cfg.transport != crate::config::TransportKind::Udp {
            let t = self.cfg.transport.via_token().to_ascii_lowercase();
            uri = uri.with_param("transport", Some(&t));
        }
        uri
    }

    fn contact(&self, account: AccountId) -> String {
        format!("<{}>", self.contact_uri(account))
    }

    fn emit(&mut self, e: Event) {
        if let Event::BadMessage { answered, .. } = &e {
            match answered {
                Some(_) => self.stats.bad_answered += 1,
                None => self.stats.bad_dropped += 1,
            }
        }
        self.outputs.push_back(Output::Event(e));
    }

    fn transmit(&mut self, to: Peer, data: Vec<u8>) {
        self.outputs.push_back(Output::Transmit { to, data });
    }

    /// Start a client transaction for `req` to `to` and send it.
    fn send_request(
        &mut self,
        now: Instant,
        account: AccountId,
        to: Peer,
        req: &Request,
        branch: String,
    ) {
        let bytes = req.to_bytes();
        let kind = if req.method == Method::Invite {
            Kind::Invite
        } else {
            Kind::NonInvite
        };
        let tx = ClientTx::new(
            kind,
            now,
            bytes.clone(),
            to.transport.is_reliable(),
            self.cfg.timers,
        );
        self.touch_client(&branch);
        self.client
            .insert(branch, (tx, account, to, req.method.clone()));
        self.transmit(to, bytes);
    }

    fn set_reg_state(&mut self, account: AccountId, state: RegistrationState) {
        if self.regs[account].state != state {
            self.regs[account].state = state.clone();
            let settled = matches!(
                state,
                RegistrationState::Idle | RegistrationState::Failed { .. }
            );
            self.emit(Event::Registration { account, state });
            // The old binding is gone (or cannot be removed): the new settings take over.
            if settled {
                if let Some(new) = self.pending_accounts[account].take() {
                    let now = self.last_now.expect("set by handle_input");
                    self.install_account(now, account, new);
                }
            }
        }
    }

    // ----- responses ----------------------------------------------------------------------

    /// Record a response on the request's server transaction (for retransmissions).
    fn server_send(&mut self, now: Instant, req: &Request, status: u16, bytes: Vec<u8>) {
        if let Some(key) = server_key(req) {
            if let Some((tx, _)) = self.server.get_mut(&key) {
                tx.send_response(now, status, bytes);
                self.touched
                    .push(TimerKey::Server(key.0.clone(), key.1.to_string()));
            }
        }
    }

    fn respond(&mut self, now: Instant, to: Peer, req: &Request, status: u16, tag: Option<&str>) {
        self.respond_with(now, to, req, status, tag, |_, _| {});
    }

    fn respond_with(
        &mut self,
        now: Instant,
        to: Peer,
        req: &Request,
        status: u16,
        tag: Option<&str>,
        extra: impl FnOnce(&mut Response, &Self),
    ) {
        let reason = tipring_sip_message::reason_phrase(status);
        let mut resp = req.make_response(status, reason, tag);
        if matches!(status, 405 | 501) || req.method == Method::Options {
            resp.headers.push("Allow", ALLOW);
        }
        extra(&mut resp, self);
        resp.headers
            .set("Content-Length", resp.body.len().to_string());
        let bytes = resp.to_bytes();
        self.server_send(now, req, status, bytes.clone());
        self.transmit(to, bytes);
    }
}

/// The key of an `application/dtmf-relay` body (`Signal=5`), as Cisco and Asterisk send it.
fn dtmf_relay_signal(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines().find_map(|l| {
        let (name, value) = l.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("Signal") {
            return None;
        }
        let v = value.trim();
        match v {
            "10" => Some('*'),
            "11" => Some('#'),
            _ if v.len() == 1 => v
                .chars()
                .next()
                .map(|c| c.to_ascii_uppercase())
                .filter(|c| "0123456789*#ABCD".contains(*c)),
            _ => None,
        }
    })
}

impl Call {
    /// For a private call, our side of the dialog is the anonymous URI of RFC 3323 §4.1.1.
    fn anonymised(mut self) -> Self {
        if self.private {
            let uri = Uri::Sip(
                SipUri::new(Host::Domain("anonymous.invalid".into())).with_user("anonymous"),
            );
            self.local = NameAddr::new(uri).with_display("Anonymous");
        }
        self
    }
}

/// `SIP/2.0 <status> <reason>` as a `message/sipfrag` body (RFC 3515 §2.4.5).
fn sipfrag(status: u16) -> String {
    format!(
        "SIP/2.0 {status} {}\r\n",
        tipring_sip_message::reason_phrase(status)
    )
}

/// Smallest session interval we accept (RFC 4028 §4: Min-SE floor of 90 s).
const MIN_SE: u32 = 90;

/// A session timer of `delta` seconds starting at `now`: the refresher refreshes at half
/// the interval; the other side gives up at `delta - min(32, delta/3)` (RFC 4028 §10).
fn session_timer(now: Instant, delta: u32, we_refresh: bool) -> (Duration, bool, Instant) {
    let interval = Duration::from_secs(u64::from(delta.max(MIN_SE)));
    let due = if we_refresh {
        now + interval / 2
    } else {
        now + interval - Duration::from_secs(32).min(interval / 3)
    };
    (interval, we_refresh, due)
}

/// `Messages-Waiting: yes|no` of a message-summary body (RFC 3842 §5.2).
fn message_waiting(body: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("Messages-Waiting") {
            return None;
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        }
    })
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: note on the top Via where the request really came
/// from (`received`), and its source port when the sender asked with a bare `rport`, so
/// that every response built from it goes back through the sender's NAT.
fn stamp_received(req: &mut Request, from: Peer) {
    let Ok(mut via) = req.headers.top_via() else {
        return;
    };
    let src_ip = from.addr.ip();
    let mut changed = false;
    if via.host.ip() != Some(src_ip) {
        via.params.set("received", Some(&src_ip.to_string()));
        changed = true;
    }
    if via.params.param("rport").is_some_and(|p| p.value.is_none()) {
        via.params.set("received", Some(&src_ip.to_string()));
        via.params.set("rport", Some(&from.addr.port().to_string()));
        changed = true;
    }
    if changed {
        req.headers.remove_first("Via");
        req.headers.push_front("Via", via.to_string());
    }
}

/// From and To of an in-dialog request from our side.
fn dialog_from_to(call: &Call) -> (String, String) {
    let from = format!("{};tag={}", call.local, call.local_tag);
    let to = match &call.remote_tag {
        Some(t) => format!("{};tag={t}", call.remote),
        None => call.remote.to_string(),
    };
    (from, to)
}

/// Server transaction key: top Via branch and method (CANCEL has its own transaction).
///
/// A branch without the RFC 3261 magic cookie (`z9hG4bK`) cannot be trusted to be unique:
/// such requests (RFC 2543 peers, RFC 4475 §3.4.1) are matched as §17.2.3 says, by
/// Call-ID, CSeq number, From tag and the top Via's sent-by.
fn server_key(req: &Request) -> Option<(String, Method)> {
    let via = req.headers.top_via().ok()?;
    let branch = match via.branch() {
        Some(b) if b.starts_with("z9hG4bK") => b.to_string(),
        _ => {
            let h = &req.headers;
            let from_tag = h
                .from()
                .ok()
                .and_then(|f| f.params.get("tag").map(str::to_string));
            format!(
                "2543/{}/{}/{}/{}:{}",
                h.call_id().ok()?,
                h.cseq().ok()?.seq,
                from_tag.unwrap_or_default(),
                via.host,
                via.port.unwrap_or(5060)
            )
        }
    };
    let method = if req.method == Method::Ack {
        Method::Invite
    } else {
        req.method.clone()
    };
    Some((branch, method))
}

/// Caller number, name and privacy from P-Asserted-Identity (if any) or From.
fn caller_identity(h: &Headers, from: &NameAddr) -> (Option<String>, Option<String>, bool) {
    let pai = h
        .get("P-Asserted-Identity")
        .and_then(|v| v.parse::<NameAddr>().ok());
    let who = pai.as_ref().unwrap_or(from);
    let number = match &who.uri {
        Uri::Sip(s) => s.user_unescaped(),
        Uri::Tel(t) => Some(t.digits()),
        Uri::Other(_) => None,
    };
    let privacy = h
        .get("Privacy")
        .is_some_and(|p| p.to_ascii_lowercase().contains("id"));
    let anonymous = number
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case("anonymous"));
    let private = privacy || anonymous;
    let number = if private { None } else { number };
    let name = if private {
        None
    } else {
        who.display.clone().filter(|d| !d.is_empty())
    };
    (number, name, private)
}
