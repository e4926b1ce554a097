//! The user agent core: accounts (one per FXS port), their registrations and calls, on top
//! of the transaction layer. Sans-IO: bytes and time in, bytes and events out.

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
    /// The far end is busy (486, 600).
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
}

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
    /// Voicemail state for an account, from a message-summary NOTIFY (RFC 3842).
    MessageWaiting {
        /// Which account.
        account: AccountId,
        /// Whether messages wait.
        waiting: bool,
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
    },
    /// Answer the account's ringing call.
    Answer(AccountId),
    /// Refuse the account's ringing call as busy.
    RejectBusy(AccountId),
    /// End the account's call (CANCEL before answer, BYE after).
    Hangup(AccountId),
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
    /// Send a DTMF key in the call as SIP INFO (`application/dtmf-relay`).
    SendDtmf {
        /// Which account.
        account: AccountId,
        /// The key.
        digit: char,
        /// How long it was pressed, in ms.
        duration_ms: u32,
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
    /// UAS: a reliable 180 (RFC 3262) retransmitted until its PRACK, same shape.
    prov_retransmit: Option<Retransmit>,
    /// UAC: the highest RSeq acknowledged with PRACK.
    last_rseq: Option<u32>,
    /// RFC 4028 session timer: interval, whether we refresh, and the next deadline
    /// (our refresh, or the expiry if the peer refreshes).
    session_timer: Option<(Duration, bool, Instant)>,
    /// Our re-INVITE in flight (its branch and the direction it offers).
    reinvite: Option<(String, Direction)>,
    /// A re-INVITE to retry after a 491 (glare), and when.
    reinvite_retry: Option<(Instant, Direction)>,
    /// Our SDP session id and the version of the last description we sent.
    sdp_session: (u64, u64),
    /// We have put the call on hold.
    held: bool,
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
    /// While we carry out a transfer (we were REFERred): the referring call, kept for
    /// its NOTIFYs and its BYE, and restored if the transfer fails.
    transfers: Vec<Option<Call>>,
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
        let regs = cfg
            .accounts
            .iter()
            .map(|a| Registration {
                state: RegistrationState::Idle,
                server_idx: 0,
                call_id: format!("{}@{}", rng.hex(20), cfg.local.ip()),
                from_tag: rng.hex(10),
                cseq: 0,
                branch: None,
                challenge: None,
                nc: 0,
                auth_tries: 0,
                expires_req: a.expires,
                failures: 0,
                due: None,
                unregistering: false,
                probe_due: None,
            })
            .collect();
        let calls: Vec<Option<Call>> = cfg.accounts.iter().map(|_| None).collect();
        let subs = cfg
            .accounts
            .iter()
            .map(|_| Subscription {
                call_id: format!("{}@{}", rng.hex(20), cfg.local.ip()),
                from_tag: rng.hex(10),
                to_tag: None,
                cseq: 0,
                branch: None,
                due: None,
                active: false,
                challenge: None,
                auth_tries: 0,
            })
            .collect();
        let policy = UaPolicy::default();
        Self {
            cfg,
            rng,
            policy,
            regs,
            subs,
            transfers: calls.iter().map(|_| None).collect(),
            calls,
            client: HashMap::new(),
            server: HashMap::new(),
            outputs: VecDeque::new(),
            extra_headers: Vec::new(),
            public: None,
            stats: Stats::default(),
            keepalive_due: None,
            keepalive_tx: HashMap::new(),
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
            self.emit(Event::Registration { account, state });
        }
    }

    // ----- registration -------------------------------------------------------------------

    fn register(&mut self, now: Instant, account: AccountId) {
        let acct: &Account = &self.cfg.accounts[account];
        let Some(&server) = acct.servers.get(self.regs[account].server_idx) else {
            return;
        };
        let domain = acct.domain.clone();
        let expires = if self.regs[account].unregistering {
            0
        } else {
            self.regs[account].expires_req
        };
        let branch = self.branch();
        let reg = &mut self.regs[account];
        reg.cseq += 1;
        reg.branch = Some(branch.clone());
        reg.due = None;
        let uri = Uri::Sip(SipUri::new(Host::Domain(domain)));
        let mut req = Request::new(Method::Register, uri.clone());
        let h = &mut req.headers;
        h.push("Via", self.via(&branch));
        h.push("Max-Forwards", "70");
        let from = format!("{};tag={}", self.aor(account), self.regs[account].from_tag);
        let h = &mut req.headers;
        h.push("From", from);
        h.push("To", self.aor(account).to_string());
        h.push("Call-ID", self.regs[account].call_id.clone());
        h.push(
            "CSeq",
            CSeq::new(self.regs[account].cseq, Method::Register).to_string(),
        );
        h.push("Contact", self.contact(account));
        h.push("Expires", expires.to_string());
        h.push("Allow", ALLOW);
        h.push("User-Agent", self.cfg.user_agent.clone());
        if let Some(value) = self.authorization(account, &Method::Register, &uri.to_string()) {
            req.headers.push(value.0, value.1);
        }
        req.headers.push("Content-Length", "0");
        if !self.regs[account].unregistering {
            self.set_reg_state(account, RegistrationState::Registering { server });
        }
        self.send_request(now, account, server, &req, branch);
    }

    /// The credentials header for the account's cached challenge, if any.
    fn authorization(
        &mut self,
        account: AccountId,
        method: &Method,
        uri: &str,
    ) -> Option<(&'static str, String)> {
        let (name, challenge) = self.regs[account].challenge.clone()?;
        self.regs[account].nc += 1;
        let nc = self.regs[account].nc;
        let cnonce = self.rng.hex(16);
        let a = &self.cfg.accounts[account];
        let value = auth::authorize(
            &challenge,
            a.auth_name(),
            a.password.expose(),
            method,
            uri,
            &[],
            &cnonce,
            nc,
        )?;
        Some((name, value))
    }

    fn on_register_response(&mut self, now: Instant, account: AccountId, resp: &Response) {
        let reg_branch_done = resp.status >= 200;
        if !reg_branch_done {
            return;
        }
        self.regs[account].branch = None;
        let policy = self.cfg.registration;
        if self.learn_public_address(resp) && (200..300).contains(&resp.status) {
            // The binding we just made names an address the registrar cannot reach:
            // register again with the public one (RFC 3581 §9 style NAT discovery).
            self.register(now, account);
            return;
        }
        let server = self.cfg.accounts[account].servers[self.regs[account].server_idx];
        match resp.status {
            200..=299 => {
                self.regs[account].auth_tries = 0;
                self.regs[account].failures = 0;
                if self.regs[account].unregistering {
                    self.regs[account].unregistering = false;
                    self.set_reg_state(account, RegistrationState::Idle);
                    return;
                }
                let granted = self.granted_expiry(account, resp);
                let margin = policy
                    .refresh_margin
                    .min(Duration::from_secs(u64::from(granted) / 2));
                self.regs[account].due =
                    Some(now + Duration::from_secs(u64::from(granted)) - margin);
                // On a backup: keep probing the primary to return to it when it recovers.
                self.regs[account].probe_due =
                    (self.regs[account].server_idx > 0).then(|| now + policy.primary_probe);
                if let (Some(every), None) = (policy.keepalive, self.keepalive_due) {
                    self.keepalive_due = Some(now + every);
                }
                let sub = &self.subs[account];
                if self.cfg.accounts[account].subscribe_mwi
                    && !sub.active
                    && sub.branch.is_none()
                    && sub.due.is_none()
                {
                    self.subscribe(now, account);
                }
                self.set_reg_state(
                    account,
                    RegistrationState::Registered {
                        server,
                        expires: granted,
                    },
                );
            }
            401 | 407 => {
                let tries = self.regs[account].auth_tries;
                match auth::challenge_of(resp) {
                    Some((answer, ch)) if tries == 0 || ch.stale => {
                        self.regs[account].auth_tries += 1;
                        self.regs[account].challenge = Some((answer, ch));
                        self.regs[account].nc = 0;
                        self.register(now, account);
                    }
                    _ => self.auth_failed(now, account, resp.status),
                }
            }
            403 => self.auth_failed(now, account, resp.status),
            423 => {
                let min = resp.headers.min_expires().ok().flatten().unwrap_or(3600);
                self.regs[account].expires_req = min.max(self.regs[account].expires_req);
                self.register(now, account);
            }
            408 | 500..=599 => self.server_failed(now, account),
            status => {
                let retry = policy.auth_failure_retry;
                self.regs[account].due = Some(now + retry);
                self.set_reg_state(
                    account,
                    RegistrationState::Failed {
                        reason: RegistrationFailure::Rejected { status },
                        retry_at: now + retry,
                    },
                );
            }
        }
    }

    /// The expiry the registrar granted our binding: its Contact's `expires`, else the
    /// Expires header, else what we asked for.
    fn granted_expiry(&self, account: AccountId, resp: &Response) -> u32 {
        let ours = self.contact_uri(account);
        let mine = resp.headers.contacts().ok().and_then(|cs| {
            cs.iter()
                .find(|c| matches!(c.addr().map(|a| &a.uri), Some(Uri::Sip(u)) if u.matches(&ours)))
                .and_then(|c| c.expires().ok().flatten())
        });
        mine.or_else(|| resp.headers.expires().ok().flatten())
            .unwrap_or(self.regs[account].expires_req)
            .max(1)
    }

    /// Read `received`/`rport` from a response's top Via; true if our public address
    /// changed.
    fn learn_public_address(&mut self, resp: &Response) -> bool {
        let Ok(via) = resp.headers.top_via() else {
            return false;
        };
        let Some(ip) = via
            .received()
            .and_then(|r| r.parse::<std::net::IpAddr>().ok())
        else {
            return false;
        };
        let seen = SocketAddr::new(ip, via.rport().unwrap_or(self.cfg.local.port()));
        let current = self.public.unwrap_or(self.cfg.local);
        if seen == current {
            return false;
        }
        tracing::info!(%seen, local = %self.cfg.local, "registrar sees us at another address (NAT)");
        self.public = (seen != self.cfg.local).then_some(seen);
        true
    }

    fn auth_failed(&mut self, now: Instant, account: AccountId, status: u16) {
        let retry_at = now + self.cfg.registration.auth_failure_retry;
        self.regs[account].auth_tries = 0;
        self.regs[account].challenge = None;
        self.regs[account].due = Some(retry_at);
        self.set_reg_state(
            account,
            RegistrationState::Failed {
                reason: RegistrationFailure::AuthenticationFailed { status },
                retry_at,
            },
        );
    }

    /// The current server did not answer or failed: try the next, or back off.
    fn server_failed(&mut self, now: Instant, account: AccountId) {
        let n = self.cfg.accounts[account].servers.len();
        let reg = &mut self.regs[account];
        reg.branch = None;
        reg.challenge = None;
        reg.auth_tries = 0;
        if reg.server_idx + 1 < n {
            reg.server_idx += 1;
            self.register(now, account);
            return;
        }
        // Every server failed: RFC 5626 §4.5 back-off, then start again from the primary.
        reg.server_idx = 0;
        reg.failures += 1;
        let p = self.cfg.registration;
        let exp = reg.failures.min(16);
        let ceiling = p.retry_max.min(p.retry_base * 2u32.saturating_pow(exp - 1));
        let wait = ceiling.mul_f64(0.5 + 0.5 * self.rng.fraction());
        let retry_at = now + wait;
        self.regs[account].due = Some(retry_at);
        self.set_reg_state(
            account,
            RegistrationState::Failed {
                reason: RegistrationFailure::NoServerReachable,
                retry_at,
            },
        );
    }

    /// SUBSCRIBE to the account's message-summary (RFC 3842), or refresh it.
    fn subscribe(&mut self, now: Instant, account: AccountId) {
        let a = &self.cfg.accounts[account];
        let idx = self.regs[account].server_idx;
        let Some(&server) = a.servers.get(idx).or(a.servers.first()) else {
            return;
        };
        let branch = self.branch();
        let via = self.via(&branch);
        let aor = self.aor(account);
        let contact = self.contact(account);
        let ua = self.cfg.user_agent.clone();
        let sub = &mut self.subs[account];
        sub.cseq += 1;
        sub.branch = Some(branch.clone());
        let mut req = Request::new(Method::Subscribe, aor.uri.clone());
        let h = &mut req.headers;
        h.push("Via", via);
        h.push("Max-Forwards", "70");
        h.push("From", format!("{aor};tag={}", sub.from_tag));
        let mut to = aor.to_string();
        if let Some(t) = &sub.to_tag {
            to.push_str(&format!(";tag={t}"));
        }
        h.push("To", to);
        h.push("Call-ID", sub.call_id.clone());
        h.push("CSeq", CSeq::new(sub.cseq, Method::Subscribe).to_string());
        h.push("Contact", contact);
        h.push("Event", "message-summary");
        h.push("Accept", "application/simple-message-summary");
        h.push("Expires", MWI_EXPIRES.to_string());
        h.push("User-Agent", ua);
        if let Some((name, ch)) = self.subs[account].challenge.clone() {
            let a = &self.cfg.accounts[account];
            let cnonce = self.rng.hex(16);
            let uri = req.uri.to_string();
            let (user, pw) = (a.auth_name().to_string(), a.password.expose().to_string());
            if let Some(v) =
                auth::authorize(&ch, &user, &pw, &Method::Subscribe, &uri, &[], &cnonce, 1)
            {
                req.headers.push(name, v);
            }
        }
        req.headers.push("Content-Length", "0");
        self.send_request(now, account, server, &req, branch);
    }

    fn on_subscribe_response(&mut self, now: Instant, account: AccountId, resp: &Response) {
        let retry_later = self.cfg.registration.auth_failure_retry;
        let sub = &mut self.subs[account];
        sub.branch = None;
        match resp.status {
            200..=299 => {
                sub.active = true;
                sub.auth_tries = 0;
                sub.to_tag = resp
                    .headers
                    .to()
                    .ok()
                    .and_then(|t| t.params.get("tag").map(str::to_string));
                let granted = resp
                    .headers
                    .expires()
                    .ok()
                    .flatten()
                    .unwrap_or(MWI_EXPIRES)
                    .max(60);
                let margin = (granted / 10).clamp(5, 60);
                sub.due = Some(now + Duration::from_secs(u64::from(granted - margin)));
            }
            401 | 407 if sub.auth_tries == 0 => {
                sub.auth_tries = 1;
                sub.challenge = auth::challenge_of(resp);
                self.subscribe(now, account);
            }
            status => {
                // 404, 405, 489 Bad Event...: the server does not offer it; ask again much
                // later (unsolicited NOTIFYs still work).
                tracing::info!(account, status, "message-summary subscription refused");
                sub.active = false;
                sub.to_tag = None;
                sub.due = Some(now + retry_later);
            }
        }
    }

    /// One OPTIONS to every registrar an account is registered with.
    fn send_keepalives(&mut self, now: Instant) {
        let Some(every) = self.cfg.registration.keepalive else {
            return;
        };
        let mut servers: Vec<(Peer, AccountId)> = Vec::new();
        for (a, r) in self.regs.iter().enumerate() {
            if let RegistrationState::Registered { server, .. } = &r.state {
                if !servers.iter().any(|(s, _)| s == server) {
                    servers.push((*server, a));
                }
            }
        }
        if servers.is_empty() {
            return; // rescheduled when an account registers again
        }
        for (server, account) in servers {
            if self.keepalive_tx.values().any(|s| *s == server) {
                continue; // the last ping is still out
            }
            let branch = self.options(now, account, server);
            self.keepalive_tx.insert(branch, server);
        }
        self.keepalive_due = Some(now + every);
    }

    /// Send OPTIONS to the account's primary server (RFC 3261 §11).
    fn probe_primary(&mut self, now: Instant, account: AccountId) {
        if let Some(&primary) = self.cfg.accounts[account].servers.first() {
            self.options(now, account, primary);
        }
    }

    /// An out-of-dialog OPTIONS to `server` on behalf of `account`; its branch.
    fn options(&mut self, now: Instant, account: AccountId, server: Peer) -> String {
        let branch = self.branch();
        let uri = Uri::Sip(SipUri::new(Host::Domain(
            self.cfg.accounts[account].domain.clone(),
        )));
        let mut req = Request::new(Method::Options, uri);
        let h = &mut req.headers;
        h.push("Via", self.via(&branch));
        h.push("Max-Forwards", "70");
        let from = format!("{};tag={}", self.aor(account), self.rng.hex(10));
        let call_id = format!("{}@{}", self.rng.hex(20), self.cfg.local.ip());
        let h = &mut req.headers;
        h.push("From", from);
        h.push("To", self.aor(account).to_string());
        h.push("Call-ID", call_id);
        h.push("CSeq", CSeq::new(1, Method::Options).to_string());
        h.push("User-Agent", self.cfg.user_agent.clone());
        h.push("Content-Length", "0");
        self.send_request(now, account, server, &req, branch.clone());
        branch
    }

    /// The primary answered a probe: register with it again (the binding on the backup
    /// runs out by itself).
    fn primary_answered(&mut self, now: Instant, account: AccountId) {
        let reg = &mut self.regs[account];
        if reg.server_idx == 0 || reg.branch.is_some() || reg.unregistering {
            return;
        }
        reg.server_idx = 0;
        reg.challenge = None;
        reg.auth_tries = 0;
        self.register(now, account);
    }

    // ----- calls --------------------------------------------------------------------------

    fn sdp_offer(&mut self, account: AccountId) -> String {
        let port = self.cfg.accounts[account].rtp_port;
        let session = self.rng.next_u64() >> 1;
        media::offer(
            self.cfg.local.ip(),
            port,
            &self.cfg.codecs,
            session,
            Direction::SendRecv,
        )
    }

    /// Answer `offer` for the account: our SDP, after reporting what was agreed.
    fn sdp_answer(&mut self, account: AccountId, offer: &[u8]) -> Result<String, Refusal> {
        let port = self.cfg.accounts[account].rtp_port;
        let session = self.rng.next_u64() >> 1;
        let (sdp, agreed) =
            media::answer(offer, self.cfg.local.ip(), port, &self.cfg.codecs, session)?;
        self.emit(Event::Media {
            account,
            session: agreed,
        });
        Ok(sdp)
    }

    fn dial(&mut self, now: Instant, account: AccountId, number: &str) {
        if self.calls[account].is_some() {
            return;
        }
        let a = &self.cfg.accounts[account];
        let Some(&peer) = a
            .servers
            .get(self.regs[account].server_idx)
            .or(a.servers.first())
        else {
            self.emit(Event::Call {
                account,
                event: CallEvent::Failed { status: 503 },
            });
            return;
        };
        let target = Uri::Sip(SipUri::new(Host::Domain(a.domain.clone())).with_user(number));
        let call_id = format!("{}@{}", self.rng.hex(20), self.cfg.local.ip());
        let local_tag = self.rng.hex(10);
        let local = self.aor(account);
        let remote = NameAddr::new(target.clone());
        let body = self.sdp_offer(account);
        let mut call = Call {
            state: CallState::Calling,
            uac: true,
            call_id,
            local_tag,
            remote_tag: None,
            local,
            remote,
            remote_target: target,
            route_set: Vec::new(),
            local_cseq: 0,
            peer,
            invite: None,
            invite_branch: None,
            invite_auth_tries: 0,
            redirects: 0,
            prov_retransmit: None,
            last_rseq: None,
            session_timer: None,
            reinvite: None,
            reinvite_retry: None,
            sdp_session: (0, 0),
            held: false,
            incoming: None,
            ok_retransmit: None,
        };
        let req = self.build_invite(account, &mut call, body.into_bytes());
        self.send_invite(now, account, call, req);
    }

    fn build_invite(&mut self, account: AccountId, call: &mut Call, body: Vec<u8>) -> Request {
        call.local_cseq += 1;
        let mut req = Request::new(Method::Invite, call.remote_target.clone());
        let h = &mut req.headers;
        h.push("Max-Forwards", "70");
        h.push("From", format!("{};tag={}", call.local, call.local_tag));
        h.push("To", call.remote.to_string());
        h.push("Call-ID", call.call_id.clone());
        h.push(
            "CSeq",
            CSeq::new(call.local_cseq, Method::Invite).to_string(),
        );
        h.push("Contact", self.contact(account));
        h.push("Allow", ALLOW);
        h.push("Supported", "100rel, replaces, timer");
        h.push("User-Agent", self.cfg.user_agent.clone());
        h.push("Content-Type", "application/sdp");
        req.body = body;
        req
    }

    fn send_invite(&mut self, now: Instant, account: AccountId, mut call: Call, mut req: Request) {
        let branch = self.branch();
        req.headers.push_front("Via", self.via(&branch));
        req.headers
            .set("Content-Length", req.body.len().to_string());
        call.invite_branch = Some(branch.clone());
        call.invite = Some(req.clone());
        let peer = call.peer;
        self.calls[account] = Some(call);
        self.send_request(now, account, peer, &req, branch);
    }

    /// A request inside the account's dialog (BYE, CANCEL-free), sent on a new transaction.
    fn in_dialog_request(&mut self, now: Instant, account: AccountId, method: Method) {
        self.in_dialog_request_with(now, account, method, None);
    }

    /// An in-dialog request with extra headers (RAck for PRACK).
    fn in_dialog_request_with_headers(
        &mut self,
        now: Instant,
        account: AccountId,
        method: Method,
        extra: &[(&str, String)],
    ) {
        self.extra_headers = extra
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        self.in_dialog_request_with(now, account, method, None);
    }

    /// An in-dialog request with a body of the given content type.
    fn in_dialog_request_with(
        &mut self,
        now: Instant,
        account: AccountId,
        method: Method,
        body: Option<(&str, String)>,
    ) -> Option<String> {
        let branch = self.branch();
        let via = self.via(&branch);
        let ua = self.cfg.user_agent.clone();
        let call = self.calls[account].as_mut()?;
        call.local_cseq += 1;
        let mut req = Request::new(method.clone(), call.remote_target.clone());
        let h = &mut req.headers;
        h.push("Via", via);
        h.push("Max-Forwards", "70");
        for r in &call.route_set {
            h.push("Route", r.clone());
        }
        let (from, to) = dialog_from_to(call);
        h.push("From", from);
        h.push("To", to);
        h.push("Call-ID", call.call_id.clone());
        h.push("CSeq", CSeq::new(call.local_cseq, method).to_string());
        h.push("User-Agent", ua);
        for (n, v) in std::mem::take(&mut self.extra_headers) {
            h.push(n.as_str(), v);
        }
        if let Some((ctype, text)) = body {
            h.push("Content-Type", ctype);
            req.body = text.into_bytes();
        }
        let h = &mut req.headers;
        h.push("Content-Length", req.body.len().to_string());
        let peer = call.peer;
        self.send_request(now, account, peer, &req, branch.clone());
        Some(branch)
    }

    fn ack_2xx(&mut self, account: AccountId, resp: &Response) {
        let branch = self.branch();
        let via = self.via(&branch);
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        let Ok(cseq) = resp.headers.cseq() else {
            return;
        };
        let mut ack = Request::new(Method::Ack, call.remote_target.clone());
        let h = &mut ack.headers;
        h.push("Via", via);
        h.push("Max-Forwards", "70");
        for r in &call.route_set {
            h.push("Route", r.clone());
        }
        let (from, to) = dialog_from_to(call);
        h.push("From", from);
        h.push("To", to);
        h.push("Call-ID", call.call_id.clone());
        h.push("CSeq", CSeq::new(cseq.seq, Method::Ack).to_string());
        h.push("Content-Length", "0");
        let peer = call.peer;
        self.transmit(peer, ack.to_bytes());
    }

    /// ACK a non-2xx final response to the INVITE of client transaction `key` (built from
    /// the request the transaction sent, so it works even when the call is already gone),
    /// and let the transaction re-send it for retransmitted finals.
    fn ack_final(&mut self, key: &str, resp: &Response) {
        let Some((tx, _, peer, _)) = self.client.get_mut(key) else {
            return;
        };
        if let Ok(Message::Request(invite)) = Message::parse(tx.request()) {
            let ack = Self::ack_non_2xx(&invite, resp);
            tx.set_ack(ack.clone());
            let peer = *peer;
            self.transmit(peer, ack);
        }
    }

    /// RFC 3261 §17.1.1.3: the ACK for a non-2xx final response, on the INVITE's branch.
    fn ack_non_2xx(invite: &Request, resp: &Response) -> Vec<u8> {
        let mut ack = Request::new(Method::Ack, invite.uri.clone());
        let h = &mut ack.headers;
        if let Some(v) = invite.headers.get("Via") {
            h.push("Via", v.to_string());
        }
        h.push("Max-Forwards", "70");
        for name in ["From", "Call-ID"] {
            if let Some(v) = invite.headers.get(name) {
                h.push(name, v.to_string());
            }
        }
        if let Some(to) = resp.headers.get("To") {
            h.push("To", to.to_string());
        }
        if let Ok(c) = invite.headers.cseq() {
            h.push("CSeq", CSeq::new(c.seq, Method::Ack).to_string());
        }
        for r in invite.headers.get_all("Route") {
            h.push("Route", r.to_string());
        }
        h.push("Content-Length", "0");
        ack.to_bytes()
    }

    fn cancel(&mut self, now: Instant, account: AccountId) {
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        let (Some(invite), Some(branch)) = (call.invite.clone(), call.invite_branch.clone()) else {
            return;
        };
        call.state = CallState::Cancelling;
        let mut req = Request::new(Method::Cancel, invite.uri.clone());
        let h = &mut req.headers;
        if let Some(v) = invite.headers.get("Via") {
            h.push("Via", v.to_string());
        }
        h.push("Max-Forwards", "70");
        for name in ["From", "To", "Call-ID"] {
            if let Some(v) = invite.headers.get(name) {
                h.push(name, v.to_string());
            }
        }
        if let Ok(c) = invite.headers.cseq() {
            h.push("CSeq", CSeq::new(c.seq, Method::Cancel).to_string());
        }
        h.push("Content-Length", "0");
        let peer = call.peer;
        // A CANCEL has the INVITE's branch but its own transaction (keyed by method too).
        let bytes = req.to_bytes();
        let tx = ClientTx::new(
            Kind::NonInvite,
            now,
            bytes.clone(),
            peer.transport.is_reliable(),
            self.cfg.timers,
        );
        let key = format!("{branch}/CANCEL");
        self.touch_client(&key);
        self.client.insert(key, (tx, account, peer, Method::Cancel));
        self.transmit(peer, bytes);
    }

    fn on_invite_response(
        &mut self,
        now: Instant,
        account: AccountId,
        resp: &Response,
        verdict: Verdict,
        key: &str,
    ) {
        if verdict == Verdict::PassAndAck {
            self.ack_final(key, resp);
        }
        let status = resp.status;
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        match status {
            100 => {}
            101..=199 => {
                if let Ok(to) = resp.headers.to() {
                    call.remote_tag = to
                        .params
                        .get("tag")
                        .map(str::to_string)
                        .or(call.remote_tag.take());
                }
                if call.state == CallState::Calling {
                    call.state = CallState::Early;
                }
                let reliable = resp
                    .headers
                    .tokens("Require")
                    .is_ok_and(|t| t.iter().any(|t| t.eq_ignore_ascii_case("100rel")));
                let rseq = resp
                    .headers
                    .get("RSeq")
                    .and_then(|v| v.trim().parse::<u32>().ok());
                if let (true, Some(rseq)) = (reliable, rseq) {
                    if call.last_rseq.is_none_or(|last| rseq > last) {
                        call.last_rseq = Some(rseq);
                        // The early dialog's target and route set come from this 1xx.
                        if let Some(a) = resp
                            .headers
                            .contacts()
                            .ok()
                            .and_then(|cs| cs.into_iter().find_map(|c| c.addr().cloned()))
                        {
                            call.remote_target = a.uri;
                        }
                        let mut rr: Vec<String> = resp
                            .headers
                            .get_all("Record-Route")
                            .map(str::to_string)
                            .collect();
                        rr.reverse();
                        call.route_set = rr;
                        let cseq = resp.headers.cseq().map(|c| c.seq).unwrap_or(0);
                        let rack = format!("{rseq} {cseq} INVITE");
                        self.in_dialog_request_with_headers(
                            now,
                            account,
                            Method::Prack,
                            &[("RAck", rack)],
                        );
                    }
                }
                let ev = if status == 183 && !resp.body.is_empty() {
                    CallEvent::EarlyMedia
                } else {
                    CallEvent::Ringing
                };
                self.emit(Event::Call { account, event: ev });
            }
            200..=299 => {
                let first = call.state != CallState::Confirmed;
                if let Ok(to) = resp.headers.to() {
                    call.remote_tag = to.params.get("tag").map(str::to_string);
                }
                if let Some(Ok(c)) = resp
                    .headers
                    .contacts()
                    .ok()
                    .map(|cs| cs.into_iter().next().ok_or(()))
                {
                    if let Some(a) = c.addr() {
                        call.remote_target = a.uri.clone();
                    }
                }
                // Route set from Record-Route, reversed for the UAC (§12.1.2).
                let mut rr: Vec<String> = resp
                    .headers
                    .get_all("Record-Route")
                    .map(str::to_string)
                    .collect();
                rr.reverse();
                if first {
                    call.route_set = rr;
                }
                let cancelling = call.state == CallState::Cancelling;
                call.state = CallState::Confirmed;
                if first {
                    // RFC 4028 §7.2: the 200 says who refreshes; we are the UAC.
                    if let Ok(Some(se)) = resp.headers.session_expires() {
                        let we = se.refresher != Some(Refresher::Uas);
                        call.session_timer = Some(session_timer(now, se.delta, we));
                    }
                }
                self.ack_2xx(account, resp);
                if cancelling && first {
                    // CANCEL lost the race with the 200: end the call with BYE (§9.1).
                    self.in_dialog_request(now, account, Method::Bye);
                    self.calls[account] = None;
                } else if first {
                    if let Some(session) = media::read_answer(&resp.body, &self.cfg.codecs) {
                        self.emit(Event::Media { account, session });
                    }
                    if self.transfers[account].is_some() {
                        self.transfer_succeeded(now, account);
                    } else {
                        self.emit(Event::Call {
                            account,
                            event: CallEvent::Answered,
                        });
                    }
                }
            }
            401 | 407 if call.invite_auth_tries == 0 && call.state != CallState::Cancelling => {
                let Some((answer, ch)) = auth::challenge_of(resp) else {
                    self.end_call(account, CallEvent::Failed { status });
                    return;
                };
                let mut call = self.calls[account].take().expect("checked");
                call.invite_auth_tries += 1;
                call.state = CallState::Calling;
                let body = call
                    .invite
                    .as_ref()
                    .map(|r| r.body.clone())
                    .unwrap_or_default();
                let mut req = self.build_invite(account, &mut call, body);
                let a = &self.cfg.accounts[account];
                let cnonce = self.rng.hex(16);
                let uri = req.uri.to_string();
                let value = auth::authorize(
                    &ch,
                    a.auth_name(),
                    a.password.expose(),
                    &Method::Invite,
                    &uri,
                    &req.body,
                    &cnonce,
                    1,
                );
                match value {
                    Some(v) => {
                        req.headers.push(answer, v);
                        self.send_invite(now, account, call, req);
                    }
                    None => {
                        self.calls[account] = Some(call);
                        self.end_call(account, CallEvent::Failed { status });
                    }
                }
            }
            301 | 302 if call.redirects < MAX_REDIRECTS && call.state != CallState::Cancelling => {
                // Follow the first Contact (call forwarding by the PBX), same Call-ID and
                // From tag, a new transaction (RFC 3261 §8.1.3.4).
                let target =
                    resp.headers.contacts().ok().and_then(|cs| {
                        cs.into_iter().find_map(|c| c.addr().map(|a| a.uri.clone()))
                    });
                let Some(target) = target else {
                    self.end_call(account, CallEvent::Failed { status });
                    return;
                };
                let mut call = self.calls[account].take().expect("checked");
                call.redirects += 1;
                call.state = CallState::Calling;
                call.remote_target = target;
                let body = call
                    .invite
                    .as_ref()
                    .map(|r| r.body.clone())
                    .unwrap_or_default();
                let req = self.build_invite(account, &mut call, body);
                self.send_invite(now, account, call, req);
            }
            486 | 600 => self.end_call(account, CallEvent::Busy),
            487 if call.state == CallState::Cancelling => {
                self.calls[account] = None;
            }
            _ => self.end_call(account, CallEvent::Failed { status }),
        }
    }

    /// `uac` or `uas`: which role we have in the account's call (we refresh).
    fn refresher_name(&self, account: AccountId) -> &'static str {
        match self.calls[account].as_ref() {
            Some(c) if !c.uac => "uas",
            _ => "uac",
        }
    }

    /// Whether `branch` is the INVITE of the account's current call.
    fn is_current_invite(&self, account: AccountId, branch: &str) -> bool {
        self.calls[account]
            .as_ref()
            .is_some_and(|c| c.invite_branch.as_deref() == Some(branch))
    }

    fn end_call(&mut self, account: AccountId, event: CallEvent) {
        self.calls[account] = None;
        if let Some(old) = self.transfers[account].take() {
            // The transfer target failed: report it to the transferor and go back to the
            // referring call (RFC 5589 §6 leaves the original call up).
            let status = match &event {
                CallEvent::Busy => 486,
                CallEvent::Failed { status } => *status,
                _ => 487,
            };
            self.calls[account] = Some(old);
            self.notify_refer(account, status);
            return;
        }
        self.emit(Event::Call { account, event });
    }

    /// Run `f` with the referring call of a transfer in the account's call slot, so that
    /// the in-dialog request helpers address that dialog.
    fn on_transfer_dialog(&mut self, account: AccountId, f: impl FnOnce(&mut Self)) {
        std::mem::swap(&mut self.calls[account], &mut self.transfers[account]);
        f(self);
        std::mem::swap(&mut self.calls[account], &mut self.transfers[account]);
    }

    /// NOTIFY the transferor how the transfer goes (RFC 3515 §2.4.4), in the dialog of the
    /// call in the account's slot.
    fn notify_refer_in_current(&mut self, account: AccountId, status: u16) {
        let now = self.last_now.expect("set at the start of handle_input");
        let state = if status < 200 {
            "active;expires=60"
        } else {
            "terminated;reason=noresource"
        };
        self.extra_headers = vec![
            ("Event".into(), "refer".into()),
            ("Subscription-State".into(), state.into()),
        ];
        let body = Some(("message/sipfrag;version=2.0", sipfrag(status)));
        self.in_dialog_request_with(now, account, Method::Notify, body);
    }

    /// NOTIFY the transferor: in the referring dialog while the transfer runs.
    fn notify_refer(&mut self, account: AccountId, status: u16) {
        if self.transfers[account].is_some() {
            self.on_transfer_dialog(account, |ua| ua.notify_refer_in_current(account, status));
        } else {
            self.notify_refer_in_current(account, status);
        }
    }

    /// REFER from the far end of a call: call the Refer-To target (with its Replaces, for
    /// an attended transfer), keep the referring call until the target answers.
    fn on_refer(&mut self, now: Instant, from: Peer, req: &Request) {
        let call_id = req.headers.call_id().ok().map(str::to_string);
        let account = self.calls.iter().position(|c| {
            c.as_ref().is_some_and(|c| {
                Some(&c.call_id) == call_id.as_ref() && c.state == CallState::Confirmed
            })
        });
        let Some(account) = account else {
            self.respond(now, from, req, 481, None);
            return;
        };
        let target = match req.headers.refer_to() {
            Ok(Some(t)) => t,
            _ => {
                self.respond(now, from, req, 400, None);
                return;
            }
        };
        let Uri::Sip(mut target_uri) = target.uri.clone() else {
            self.respond(now, from, req, 416, None);
            return;
        };
        if self.transfers[account].is_some() {
            self.respond(now, from, req, 491, None);
            return;
        }
        let replaces = target_uri.header_unescaped("Replaces");
        target_uri.headers.clear();
        let referred_by = req.headers.get("Referred-By").map(str::to_string);
        self.respond_with(now, from, req, 202, None, |r, ua| {
            r.headers.push("Contact", ua.contact(account));
        });
        self.notify_refer(account, 100);
        // The referring call moves aside; a new call to the target takes the slot.
        let old = self.calls[account].take().expect("found");
        let peer = self.cfg.accounts[account]
            .servers
            .get(self.regs[account].server_idx)
            .copied()
            .unwrap_or(old.peer);
        self.transfers[account] = Some(old);
        let target_uri = Uri::Sip(target_uri);
        let mut call = Call {
            state: CallState::Calling,
            uac: true,
            call_id: format!("{}@{}", self.rng.hex(20), self.cfg.local.ip()),
            local_tag: self.rng.hex(10),
            remote_tag: None,
            local: self.aor(account),
            remote: NameAddr::new(target_uri.clone()),
            remote_target: target_uri,
            route_set: Vec::new(),
            local_cseq: 0,
            peer,
            invite: None,
            invite_branch: None,
            invite_auth_tries: 0,
            redirects: 0,
            prov_retransmit: None,
            last_rseq: None,
            session_timer: None,
            reinvite: None,
            reinvite_retry: None,
            sdp_session: (0, 0),
            held: false,
            incoming: None,
            ok_retransmit: None,
        };
        let body = self.sdp_offer(account).into_bytes();
        let mut invite = self.build_invite(account, &mut call, body);
        if let Some(r) = replaces {
            invite.headers.push("Replaces", r);
        }
        if let Some(rb) = referred_by {
            invite.headers.push("Referred-By", rb);
        }
        self.send_invite(now, account, call, invite);
    }

    /// The transfer target answered: tell the transferor, end the referring call.
    fn transfer_succeeded(&mut self, now: Instant, account: AccountId) {
        if self.transfers[account].is_none() {
            return;
        }
        self.notify_refer(account, 200);
        self.on_transfer_dialog(account, |ua| {
            ua.in_dialog_request(now, account, Method::Bye)
        });
        self.transfers[account] = None;
        self.emit(Event::Call {
            account,
            event: CallEvent::Replaced,
        });
    }

    /// Send a re-INVITE offering `direction` (hold: sendonly, resume: sendrecv).
    fn reinvite(&mut self, now: Instant, account: AccountId, direction: Direction) {
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        if call.state != CallState::Confirmed || call.reinvite.is_some() {
            return;
        }
        call.reinvite_retry = None;
        if call.sdp_session.0 == 0 {
            call.sdp_session = ((self.rng.next_u64() >> 2) + 1, 1);
        }
        call.sdp_session.1 += 1;
        let (session, version) = call.sdp_session;
        let port = self.cfg.accounts[account].rtp_port;
        let body = media::offer_version(
            self.cfg.local.ip(),
            port,
            &self.cfg.codecs,
            session,
            version,
            direction,
        );
        self.extra_headers = vec![("Contact".into(), self.contact(account))];
        let sdp = Some(("application/sdp", body));
        let branch = self.in_dialog_request_with(now, account, Method::Invite, sdp);
        if let (Some(call), Some(b)) = (self.calls[account].as_mut(), branch) {
            call.reinvite = Some((b, direction));
        }
    }

    fn on_reinvite_response(
        &mut self,
        now: Instant,
        account: AccountId,
        resp: &Response,
        verdict: Verdict,
        key: &str,
    ) {
        if verdict == Verdict::PassAndAck {
            self.ack_final(key, resp);
        }
        let Some((_, direction)) = self.calls[account]
            .as_ref()
            .and_then(|c| c.reinvite.clone())
        else {
            return; // the call ended meanwhile (BYE during our re-INVITE)
        };

        if resp.status < 200 {
            return;
        }
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        call.reinvite = None;
        match resp.status {
            200..=299 => {
                call.held = direction != Direction::SendRecv;
                let held = call.held;
                self.ack_2xx(account, resp);
                if let Some(session) = media::read_answer(&resp.body, &self.cfg.codecs) {
                    self.emit(Event::Media { account, session });
                }
                self.emit(Event::Call {
                    account,
                    event: CallEvent::HoldChanged { held },
                });
            }
            491 => {
                // §14.1: retry after 2.1-4 s if we own the Call-ID (we placed the call),
                // else 0-2 s, so the two sides do not collide again.
                let (lo, span) = if call.uac { (2100, 1900) } else { (0, 2000) };
                let wait = Duration::from_millis(lo + (self.rng.fraction() * span as f64) as u64);
                if let Some(call) = self.calls[account].as_mut() {
                    call.reinvite_retry = Some((now + wait, direction));
                }
            }
            _ => {} // the session stays as it was (RFC 3261 §14.1)
        }
    }

    /// Blind transfer as transferor: REFER in our call.
    fn blind_transfer(&mut self, now: Instant, account: AccountId, target: &str) {
        if !self.calls[account]
            .as_ref()
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            return;
        }
        let domain = self.cfg.accounts[account].domain.clone();
        let to = Uri::Sip(SipUri::new(Host::Domain(domain)).with_user(target));
        let aor = self.aor(account);
        self.extra_headers = vec![
            ("Refer-To".into(), format!("<{to}>")),
            ("Referred-By".into(), format!("<{}>", aor.uri)),
            ("Contact".into(), self.contact(account)),
        ];
        self.in_dialog_request_with(now, account, Method::Refer, None);
    }

    fn end_call_for_transfer(&mut self, now: Instant, account: AccountId, status: u16) {
        if (200..300).contains(&status) {
            self.in_dialog_request(now, account, Method::Bye);
            self.calls[account] = None;
            self.emit(Event::Call {
                account,
                event: CallEvent::Transferred,
            });
        } else if status >= 300 {
            self.emit(Event::Call {
                account,
                event: CallEvent::TransferFailed { status },
            });
        }
    }

    fn on_incoming_invite(&mut self, now: Instant, from: Peer, req: Request, key: String) {
        let Some(account) = self.account_for(&req) else {
            self.respond(now, from, &req, 404, None);
            return;
        };
        if let Some(call) = &self.calls[account] {
            // A re-INVITE inside the dialog: answer with our SDP (hold etc. come later).
            let in_dialog = req.headers.call_id().ok() == Some(call.call_id.as_str());
            if in_dialog && call.state == CallState::Confirmed && call.reinvite.is_some() {
                // Glare (RFC 3261 §14.2): both sides re-INVITE at once.
                self.respond(now, from, &req, 491, None);
                return;
            }
            if in_dialog && call.state == CallState::Confirmed {
                self.refreshed(now, account, &req);
                // A re-INVITE (hold, resume, codec change): answer its offer, or offer if
                // it has none.
                let body = if req.body.is_empty() {
                    self.sdp_offer(account)
                } else {
                    match self.sdp_answer(account, &req.body) {
                        Ok(b) => b,
                        Err(_) => {
                            self.respond(now, from, &req, 488, None);
                            return;
                        }
                    }
                };
                let tag = self.calls[account].as_ref().map(|c| c.local_tag.clone());
                self.respond_with(now, from, &req, 200, tag.as_deref(), |r, ua| {
                    r.headers.push("Contact", ua.contact(account));
                    r.headers.push("Content-Type", "application/sdp");
                    r.body = body.into_bytes();
                });
                return;
            }
        }
        // RFC 3891: an INVITE with Replaces takes over the dialog it names (attended
        // transfer toward us): answered at once, the replaced call ended with BYE.
        let replacing = match (req.headers.replaces(), &self.calls[account]) {
            (Ok(Some(r)), Some(call)) => {
                let tags = (r.to_tag.as_str(), r.from_tag.as_str());
                let remote = call.remote_tag.as_deref().unwrap_or_default();
                let ours = call.call_id == r.call_id
                    && (tags == (call.local_tag.as_str(), remote)
                        || tags == (remote, call.local_tag.as_str()));
                if !ours || call.state != CallState::Confirmed {
                    self.respond(now, from, &req, 481, None);
                    return;
                }
                true
            }
            (Ok(Some(_)), None) => {
                self.respond(now, from, &req, 481, None);
                return;
            }
            _ => false,
        };
        if replacing {
            self.in_dialog_request(now, account, Method::Bye);
            self.calls[account] = None;
        } else if self.calls[account].is_some() {
            self.respond(now, from, &req, 486, None);
            return;
        }
        if !req.body.is_empty() {
            let ip = self.cfg.local.ip();
            if let Err(refusal) = media::answer(&req.body, ip, 0, &self.cfg.codecs, 0) {
                tracing::info!(?refusal, "refusing an INVITE whose offer we cannot answer");
                self.respond(now, from, &req, 488, None);
                return;
            }
        }
        let local_tag = self.rng.hex(10);
        let (Ok(from_h), Ok(to_h), Ok(call_id)) =
            (req.headers.from(), req.headers.to(), req.headers.call_id())
        else {
            self.respond(now, from, &req, 400, None);
            return;
        };
        let remote_target = req
            .headers
            .contacts()
            .ok()
            .and_then(|cs| cs.into_iter().next())
            .and_then(|c| c.addr().map(|a| a.uri.clone()))
            .unwrap_or_else(|| from_h.uri.clone());
        let route_set: Vec<String> = req
            .headers
            .get_all("Record-Route")
            .map(str::to_string)
            .collect();
        let (number, name, private) = caller_identity(&req.headers, &from_h);
        let alert_info = req.headers.get("Alert-Info").map(str::to_string);
        let mut local = to_h.clone();
        local.params.remove("tag");
        let mut remote = from_h.clone();
        let remote_tag = remote.params.get("tag").map(str::to_string);
        remote.params.remove("tag");
        self.calls[account] = Some(Call {
            state: CallState::Ringing,
            uac: false,
            call_id: call_id.to_string(),
            local_tag: local_tag.clone(),
            remote_tag,
            local,
            remote,
            remote_target,
            route_set,
            local_cseq: 0,
            peer: from,
            invite: None,
            invite_branch: None,
            invite_auth_tries: 0,
            redirects: 0,
            prov_retransmit: None,
            last_rseq: None,
            session_timer: None,
            reinvite: None,
            reinvite_retry: None,
            sdp_session: (0, 0),
            held: false,
            incoming: Some((req.clone(), key)),
            ok_retransmit: None,
        });
        if replacing {
            self.answer(now, account);
            self.emit(Event::Call {
                account,
                event: CallEvent::Replaced,
            });
            return;
        }
        let requires_100rel = req
            .headers
            .tokens("Require")
            .is_ok_and(|t| t.iter().any(|t| t.eq_ignore_ascii_case("100rel")));
        if requires_100rel {
            // RFC 3262 §3: a reliable provisional, retransmitted until PRACKed.
            let contact = self.contact(account);
            let mut ringing = req.make_response(180, "Ringing", Some(&local_tag));
            ringing.headers.push("Require", "100rel");
            ringing.headers.push("RSeq", "1");
            ringing.headers.push("Contact", contact);
            ringing.headers.set("Content-Length", "0");
            let bytes = ringing.to_bytes();
            self.server_send(now, &req, 180, bytes.clone());
            self.transmit(from, bytes.clone());
            if !from.transport.is_reliable() {
                let r = Retransmit::start(now, bytes, &self.cfg.timers);
                if let Some(call) = self.calls[account].as_mut() {
                    call.prov_retransmit = Some(r);
                }
            }
        } else {
            self.respond(now, from, &req, 180, Some(&local_tag));
        }
        self.emit(Event::Call {
            account,
            event: CallEvent::Incoming {
                number,
                name,
                private,
                alert_info,
            },
        });
    }

    /// Which account an incoming request is for: the Request-URI user, else the To user.
    fn account_for(&self, req: &Request) -> Option<AccountId> {
        let user_of = |u: &Uri| match u {
            Uri::Sip(s) => s.user_unescaped(),
            Uri::Tel(t) => Some(t.digits()),
            Uri::Other(_) => None,
        };
        let candidates = [
            user_of(&req.uri),
            req.headers.to().ok().and_then(|t| user_of(&t.uri)),
        ];
        candidates
            .into_iter()
            .flatten()
            .find_map(|u| self.cfg.accounts.iter().position(|a| a.user == u))
    }

    fn answer(&mut self, now: Instant, account: AccountId) {
        let Some(call) = self.calls[account].as_ref() else {
            return;
        };
        if call.state != CallState::Ringing {
            return;
        }
        let Some((req, _)) = call.incoming.clone() else {
            return;
        };
        let tag = call.local_tag.clone();
        let peer = call.peer;
        let body = if req.body.is_empty() {
            self.sdp_offer(account) // late offer: the ACK carries the answer
        } else {
            match self.sdp_answer(account, &req.body) {
                Ok(b) => b,
                Err(_) => return self.reject(now, account, 488),
            }
        };
        let mut resp = req.make_response(200, "OK", Some(&tag));
        // RFC 4028 §9: honour the caller's Session-Expires; the caller refreshes unless
        // it asked us to.
        let timer = req.headers.session_expires().ok().flatten().map(|se| {
            let delta = se.delta.max(MIN_SE);
            let refresher = se.refresher.unwrap_or(Refresher::Uac);
            let name = if refresher == Refresher::Uac {
                "uac"
            } else {
                "uas"
            };
            resp.headers
                .push("Session-Expires", format!("{delta};refresher={name}"));
            if req
                .headers
                .tokens("Supported")
                .is_ok_and(|t| t.iter().any(|t| t.eq_ignore_ascii_case("timer")))
            {
                resp.headers.push("Require", "timer");
            }
            session_timer(now, delta, refresher == Refresher::Uas)
        });
        resp.headers.push("Contact", self.contact(account));
        resp.headers.push("Allow", ALLOW);
        resp.headers.push("Content-Type", "application/sdp");
        resp.headers.set("Content-Length", body.len().to_string());
        resp.body = body.into_bytes();
        let bytes = resp.to_bytes();
        self.server_send(now, &req, 200, bytes.clone());
        self.transmit(peer, bytes.clone());
        let retransmit = (!peer.transport.is_reliable())
            .then(|| Retransmit::start(now, bytes, &self.cfg.timers));
        let call = self.calls[account].as_mut().expect("checked");
        call.state = CallState::Confirmed;
        call.prov_retransmit = None;
        call.session_timer = timer;
        call.ok_retransmit = retransmit;
        self.emit(Event::Call {
            account,
            event: CallEvent::Answered,
        });
    }

    fn reject(&mut self, now: Instant, account: AccountId, status: u16) {
        let Some(call) = self.calls[account].take() else {
            return;
        };
        if let Some((req, _)) = call.incoming {
            self.respond(now, call.peer, &req, status, Some(&call.local_tag));
        }
    }

    fn hangup(&mut self, now: Instant, account: AccountId) {
        let Some(call) = self.calls[account].as_ref() else {
            return;
        };
        match (call.uac, call.state) {
            (true, CallState::Calling | CallState::Early) => self.cancel(now, account),
            (_, CallState::Confirmed) => {
                self.in_dialog_request(now, account, Method::Bye);
                self.calls[account] = None;
            }
            (false, CallState::Ringing) => self.reject(now, account, 480),
            _ => {}
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

    // ----- input dispatch -----------------------------------------------------------------

    fn on_command(&mut self, now: Instant, cmd: Command) {
        match cmd {
            Command::Register(a) if a < self.regs.len() => {
                self.regs[a].unregistering = false;
                self.regs[a].server_idx = 0;
                self.register(now, a);
            }
            Command::Unregister(a) if a < self.regs.len() => {
                if matches!(self.regs[a].state, RegistrationState::Registered { .. }) {
                    self.regs[a].unregistering = true;
                    self.register(now, a);
                } else {
                    self.regs[a].due = None;
                    self.set_reg_state(a, RegistrationState::Idle);
                }
            }
            Command::Dial { account, number } if account < self.calls.len() => {
                self.dial(now, account, &number)
            }
            Command::Answer(a) if a < self.calls.len() => self.answer(now, a),
            Command::RejectBusy(a) if a < self.calls.len() => self.reject(now, a, 486),
            Command::Hangup(a) if a < self.calls.len() => self.hangup(now, a),
            Command::Hold(a) if a < self.calls.len() => self.reinvite(now, a, Direction::SendOnly),
            Command::Resume(a) if a < self.calls.len() => {
                self.reinvite(now, a, Direction::SendRecv)
            }
            Command::BlindTransfer { account, target } if account < self.calls.len() => {
                self.blind_transfer(now, account, &target)
            }
            Command::SendDtmf {
                account,
                digit,
                duration_ms,
            } if self
                .calls
                .get(account)
                .is_some_and(|c| c.as_ref().is_some_and(|c| c.state == CallState::Confirmed)) =>
            {
                let body = format!("Signal={digit}\r\nDuration={duration_ms}\r\n");
                let info = Some(("application/dtmf-relay", body));
                self.in_dialog_request_with(now, account, Method::Info, info);
            }
            other => tracing::warn!(?other, "command for an account that does not exist"),
        }
    }

    fn on_receive(&mut self, now: Instant, from: Peer, data: &[u8]) {
        let msg = match Message::parse(data) {
            Ok(m) => m,
            Err(e) => {
                let answered = e.response(None).map(|r| {
                    let status = r.status;
                    self.transmit(from, r.to_bytes());
                    status
                });
                self.emit(Event::BadMessage {
                    from,
                    reason: e.to_string(),
                    answered,
                });
                return;
            }
        };
        match msg {
            Message::Request(req) => self.on_request(now, from, req),
            Message::Response(resp) => self.on_response(now, from, resp),
        }
    }

    fn on_request(&mut self, now: Instant, from: Peer, mut req: Request) {
        stamp_received(&mut req, from);
        if let Err(rej) = check_request(&req, &self.policy) {
            if req.method != Method::Ack {
                let resp = rej.to_response(&req.headers, None);
                self.transmit(from, resp.to_bytes());
            }
            self.emit(Event::BadMessage {
                from,
                reason: rej.reason.clone(),
                answered: Some(rej.status),
            });
            return;
        }
        // ACK: for a non-2xx it matches the INVITE server transaction; for a 2xx it ends
        // the 2xx retransmissions of the dialog.
        if req.method == Method::Ack {
            if let Some(key) = server_key(&req).map(|(b, _)| (b, Method::Invite)) {
                if let Some((tx, _)) = self.server.get_mut(&key) {
                    tx.on_ack(now);
                    self.touched
                        .push(TimerKey::Server(key.0.clone(), key.1.to_string()));
                }
            }
            let call_id = req.headers.call_id().ok().map(str::to_string);
            for call in self.calls.iter_mut().flatten() {
                if Some(&call.call_id) == call_id.as_ref() {
                    call.ok_retransmit = None;
                }
            }
            return;
        }
        let Some(key) = server_key(&req) else {
            self.respond(now, from, &req, 400, None);
            return;
        };
        if let Some((tx, peer)) = self.server.get_mut(&key) {
            let peer = *peer;
            if let Verdict::Resend(bytes) = tx.on_request_retransmission() {
                self.transmit(peer, bytes);
            }
            return;
        }
        let kind = if req.method == Method::Invite {
            Kind::Invite
        } else {
            Kind::NonInvite
        };
        self.touch_server(&key);
        self.server.insert(
            key.clone(),
            (
                ServerTx::new(kind, from.transport.is_reliable(), self.cfg.timers),
                from,
            ),
        );
        match req.method {
            Method::Invite => {
                self.respond(now, from, &req, 100, None);
                self.on_incoming_invite(now, from, req, key.0);
            }
            Method::Cancel => self.on_cancel(now, from, &req),
            Method::Bye => self.on_bye(now, from, &req),
            Method::Options => self.respond_with(now, from, &req, 200, None, |r, _| {
                r.headers.push("Accept", "application/sdp");
                r.headers.push("Supported", "replaces");
            }),
            Method::Notify => self.on_notify(now, from, &req),
            Method::Refer => self.on_refer(now, from, &req),
            Method::Info => self.on_info(now, from, &req),
            Method::Prack => self.on_prack(now, from, &req),
            Method::Update => self.on_update(now, from, &req),
            _ => self.respond(now, from, &req, 405, None),
        }
    }

    /// NOTIFY: message-summary (RFC 3842), solicited or not (Asterisk and FreePBX send it
    /// unsolicited); other event packages are acknowledged and ignored.
    fn on_notify(&mut self, now: Instant, from: Peer, req: &Request) {
        let event = req
            .headers
            .get("Event")
            .map(|e| e.trim().to_ascii_lowercase());
        if event.as_deref().is_some_and(|e| e.starts_with("refer")) {
            // Progress of our REFER (RFC 3515 §2.4.5): the sipfrag's status line.
            let call_id = req.headers.call_id().ok().map(str::to_string);
            let account = self.calls.iter().position(|c| {
                c.as_ref()
                    .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
            });
            self.respond(
                now,
                from,
                req,
                if account.is_some() { 200 } else { 481 },
                None,
            );
            let status = std::str::from_utf8(&req.body)
                .ok()
                .and_then(|b| b.split_whitespace().nth(1))
                .and_then(|c| c.parse::<u16>().ok());
            if let (Some(account), Some(status)) = (account, status) {
                self.end_call_for_transfer(now, account, status);
            }
            return;
        }
        if event
            .as_deref()
            .is_some_and(|e| e.starts_with("message-summary"))
        {
            match (self.account_for(req), message_waiting(&req.body)) {
                (Some(account), Some(waiting)) => {
                    let terminated = req
                        .headers
                        .get("Subscription-State")
                        .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
                    if terminated && self.subs[account].active {
                        self.subs[account].active = false;
                        self.subs[account].to_tag = None;
                        self.subs[account].due = Some(now + Duration::from_secs(5));
                    }
                    self.respond(now, from, req, 200, None);
                    self.emit(Event::MessageWaiting { account, waiting });
                }
                (None, _) => self.respond(now, from, req, 404, None),
                (_, None) => self.respond(now, from, req, 400, None),
            }
            return;
        }
        self.respond(now, from, req, 200, None);
    }

    /// UPDATE in a call: a session refresh (RFC 4028) without a new offer; with an
    /// offer, answered like a re-INVITE.
    fn on_update(&mut self, now: Instant, from: Peer, req: &Request) {
        let call_id = req.headers.call_id().ok().map(str::to_string);
        let account = self.calls.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
        });
        let Some(account) = account else {
            self.respond(now, from, req, 481, None);
            return;
        };
        let body = if req.body.is_empty() {
            None
        } else {
            match self.sdp_answer(account, &req.body) {
                Ok(b) => Some(b),
                Err(_) => {
                    self.respond(now, from, req, 488, None);
                    return;
                }
            }
        };
        self.refreshed(now, account, req);
        let se = req.headers.get("Session-Expires").map(str::to_string);
        self.respond_with(now, from, req, 200, None, |r, ua| {
            if let Some(se) = se {
                r.headers.push("Session-Expires", se);
            }
            r.headers.push("Contact", ua.contact(account));
            if let Some(b) = body {
                r.headers.push("Content-Type", "application/sdp");
                r.body = b.into_bytes();
            }
        });
    }

    /// The peer refreshed the session (UPDATE or re-INVITE): restart the timer.
    fn refreshed(&mut self, now: Instant, account: AccountId, req: &Request) {
        let se = req.headers.session_expires().ok().flatten();
        if let Some(call) = self.calls[account].as_mut() {
            if let Some((interval, we, _)) = call.session_timer {
                let delta = se.map_or(interval.as_secs() as u32, |s| s.delta);
                call.session_timer = Some(session_timer(now, delta, we));
            }
        }
    }

    /// PRACK for our reliable 180 (RFC 3262 §3): stop its retransmissions.
    fn on_prack(&mut self, now: Instant, from: Peer, req: &Request) {
        let call_id = req.headers.call_id().ok().map(str::to_string);
        let account = self.calls.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
        });
        match account {
            Some(a) => {
                if let Some(call) = self.calls[a].as_mut() {
                    call.prov_retransmit = None;
                }
                self.respond(now, from, req, 200, None);
            }
            None => self.respond(now, from, req, 481, None),
        }
    }

    /// INFO in a call: `application/dtmf-relay` keys are passed on; others acknowledged.
    fn on_info(&mut self, now: Instant, from: Peer, req: &Request) {
        let call_id = req.headers.call_id().ok().map(str::to_string);
        let account = self.calls.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
        });
        let Some(account) = account else {
            self.respond(now, from, req, 481, None);
            return;
        };
        self.respond(now, from, req, 200, None);
        let is_relay = req
            .headers
            .get("Content-Type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/dtmf-relay"));
        if let Some(digit) = is_relay.then(|| dtmf_relay_signal(&req.body)).flatten() {
            self.emit(Event::Call {
                account,
                event: CallEvent::Dtmf(digit),
            });
        }
    }

    fn on_cancel(&mut self, now: Instant, from: Peer, req: &Request) {
        let branch = server_key(req).map(|k| k.0);
        let account = self.calls.iter().position(|c| {
            c.as_ref().is_some_and(|c| {
                c.state == CallState::Ringing
                    && c.incoming.as_ref().map(|(_, k)| Some(k)) == Some(branch.as_ref())
            })
        });
        match account {
            Some(a) => {
                self.respond(now, from, req, 200, None);
                let call = self.calls[a].take().expect("found");
                if let Some((invite, _)) = call.incoming {
                    self.respond(now, call.peer, &invite, 487, Some(&call.local_tag));
                }
                self.emit(Event::Call {
                    account: a,
                    event: CallEvent::Cancelled,
                });
            }
            // §9.2: a CANCEL that matches a transaction already answered has no effect,
            // but is itself answered 200 (the CANCEL crossed our 200).
            None if branch
                .as_ref()
                .is_some_and(|b| self.server.contains_key(&(b.clone(), Method::Invite))) =>
            {
                self.respond(now, from, req, 200, None)
            }
            None => self.respond(now, from, req, 481, None),
        }
    }

    fn on_bye(&mut self, now: Instant, from: Peer, req: &Request) {
        let call_id = req.headers.call_id().ok().map(str::to_string);
        // The transferor hangs up its leg while we carry out its REFER: no event, the
        // port stays in the call with the transfer target.
        let referring = self.transfers.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
        });
        if let Some(a) = referring {
            self.respond(now, from, req, 200, None);
            self.transfers[a] = None;
            return;
        }
        let account = self.calls.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| Some(&c.call_id) == call_id.as_ref())
        });
        match account {
            Some(a) => {
                self.respond(now, from, req, 200, None);
                self.calls[a] = None;
                self.emit(Event::Call {
                    account: a,
                    event: CallEvent::RemoteHangup,
                });
            }
            None => self.respond(now, from, req, 481, None),
        }
    }

    fn on_response(&mut self, now: Instant, from: Peer, resp: Response) {
        if let Err(d) = check_response(&resp) {
            self.emit(Event::BadMessage {
                from,
                reason: d.reason.to_string(),
                answered: None,
            });
            return;
        }
        let Ok(via) = resp.headers.top_via() else {
            return;
        };
        let Some(branch) = via.branch().map(str::to_string) else {
            return;
        };
        let method = resp.headers.cseq().map(|c| c.method).ok();
        let key = if method == Some(Method::Cancel) {
            format!("{branch}/CANCEL")
        } else {
            branch
        };
        let Some((tx, account, _, tx_method)) = self.client.get_mut(&key) else {
            return; // a stray or late response: no transaction
        };
        let (account, tx_method) = (*account, tx_method.clone());
        let verdict = tx.on_response(now, resp.status);
        self.touched.push(TimerKey::Client(key.clone()));
        match verdict {
            Verdict::Absorb => {}
            Verdict::Resend(bytes) => {
                let peer = self.client[&key].2;
                self.transmit(peer, bytes);
            }
            Verdict::Pass | Verdict::PassAndAck => match tx_method {
                Method::Register => self.on_register_response(now, account, &resp),
                Method::Invite if self.is_current_invite(account, &key) => {
                    self.on_invite_response(now, account, &resp, verdict, &key)
                }
                Method::Invite => self.on_reinvite_response(now, account, &resp, verdict, &key),
                Method::Options
                    if resp.status >= 200 && self.keepalive_tx.remove(&key).is_some() => {}
                Method::Options if resp.status >= 200 => self.primary_answered(now, account),
                Method::Refer if resp.status >= 300 => self.emit(Event::Call {
                    account,
                    event: CallEvent::TransferFailed {
                        status: resp.status,
                    },
                }),
                Method::Subscribe if resp.status >= 200 => {
                    self.on_subscribe_response(now, account, &resp)
                }
                _ => {}
            },
        }
    }

    fn on_transport_error(&mut self, now: Instant, to: Peer) {
        let keys: Vec<String> = self
            .client
            .iter()
            .filter(|(_, (tx, _, peer, _))| {
                *peer == to
                    && !matches!(
                        tx.state(),
                        crate::transaction::ClientState::Completed
                            | crate::transaction::ClientState::Accepted
                            | crate::transaction::ClientState::Terminated
                    )
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let Some((tx, account, _, method)) = self.client.get_mut(&key) else {
                continue;
            };
            tx.on_transport_error();
            let (account, method) = (*account, method.clone());
            self.client.remove(&key);
            self.transaction_failed(now, account, &key, method, 503);
        }
    }

    /// A client transaction timed out (408) or its transport failed (503).
    fn transaction_failed(
        &mut self,
        now: Instant,
        account: AccountId,
        key: &str,
        method: Method,
        status: u16,
    ) {
        match method {
            Method::Register => self.server_failed(now, account),
            Method::Invite if self.is_current_invite(account, key) => {
                self.end_call(account, CallEvent::Failed { status });
            }
            Method::Subscribe => {
                self.subs[account].branch = None;
                self.subs[account].due = Some(now + self.cfg.registration.retry_base);
            }
            Method::Options if self.keepalive_tx.contains_key(key) => {
                // The registrar no longer answers: every account on it fails over.
                let server = self.keepalive_tx.remove(key).expect("checked");
                for a in 0..self.regs.len() {
                    let on_it = matches!(
                        &self.regs[a].state,
                        RegistrationState::Registered { server: s, .. } if *s == server
                    );
                    if on_it && self.regs[a].branch.is_none() {
                        self.server_failed(now, a);
                    }
                }
            }
            Method::Options => {
                // The primary is still down: probe again later.
                let next = now + self.cfg.registration.primary_probe;
                self.regs[account].probe_due = Some(next);
            }
            _ => {}
        }
    }

    fn client_timer(&mut self, now: Instant, key: String) {
        let mut actions = Vec::new();
        let Some((tx, account, peer, method)) = self.client.get_mut(&key) else {
            return;
        };
        if tx.deadline().is_none_or(|d| d > now) {
            return;
        }
        tx.on_timer(now, &mut actions);
        let (account, peer, method) = (*account, *peer, method.clone());
        self.touch_client(&key);
        for a in actions {
            match a {
                TxAction::Retransmit(bytes) => self.transmit(peer, bytes),
                TxAction::TimedOut => {
                    self.transaction_failed(now, account, &key, method.clone(), 408)
                }
                TxAction::Terminated => {
                    self.client.remove(&key);
                }
            }
        }
    }

    fn server_timer(&mut self, now: Instant, key: (String, Method)) {
        let mut actions = Vec::new();
        let Some((tx, peer)) = self.server.get_mut(&key) else {
            return;
        };
        if tx.deadline().is_none_or(|d| d > now) {
            return;
        }
        tx.on_timer(now, &mut actions);
        let peer = *peer;
        self.touch_server(&key);
        for a in actions {
            match a {
                TxAction::Retransmit(bytes) => self.transmit(peer, bytes),
                TxAction::TimedOut => {}
                TxAction::Terminated => {
                    self.server.remove(&key);
                }
            }
        }
    }

    fn on_timeout(&mut self, now: Instant) {
        // Transactions whose deadline has come (stale heap entries are skipped).
        while let Some(Reverse((at, _))) = self.tx_timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, key))) = self.tx_timers.pop() else {
                break;
            };
            match key {
                TimerKey::Client(k) => self.client_timer(now, k),
                TimerKey::Server(b, m) => {
                    if let Ok(m) = Method::parse(&m) {
                        self.server_timer(now, (b, m));
                    }
                }
            }
            self.rearm();
        }
        // 2xx retransmissions of answered calls until the ACK (§13.3.1.4); no ACK in
        // 64·T1 ends the dialog with BYE.
        let t2 = self.cfg.timers.t2;
        for account in 0..self.calls.len() {
            let Some(call) = self.calls[account].as_mut() else {
                continue;
            };
            let Some(r) = call.ok_retransmit.as_mut() else {
                continue;
            };
            match r.step(now, t2) {
                RetransmitStep::Wait => {}
                RetransmitStep::Send(bytes) => {
                    let peer = call.peer;
                    self.transmit(peer, bytes);
                }
                RetransmitStep::GiveUp => {
                    call.ok_retransmit = None;
                    self.in_dialog_request(now, account, Method::Bye);
                    self.end_call(account, CallEvent::RemoteHangup);
                }
            }
        }
        // Session timers (RFC 4028 §10): refresh with UPDATE at half the interval, or end
        // the call if the peer did not refresh in time.
        for account in 0..self.calls.len() {
            let Some((interval, we, due)) =
                self.calls[account].as_ref().and_then(|c| c.session_timer)
            else {
                continue;
            };
            if due > now {
                continue;
            }
            if we {
                let se = format!(
                    "{};refresher={}",
                    interval.as_secs(),
                    self.refresher_name(account)
                );
                self.in_dialog_request_with_headers(
                    now,
                    account,
                    Method::Update,
                    &[("Session-Expires", se)],
                );
                if let Some(c) = self.calls[account].as_mut() {
                    c.session_timer = Some(session_timer(now, interval.as_secs() as u32, true));
                }
            } else {
                tracing::info!(
                    account,
                    "session expired without a refresh: ending the call"
                );
                self.in_dialog_request(now, account, Method::Bye);
                self.end_call(account, CallEvent::RemoteHangup);
            }
        }
        // re-INVITEs to retry after glare.
        for account in 0..self.calls.len() {
            let due = self.calls[account].as_ref().and_then(|c| c.reinvite_retry);
            if let Some((at, direction)) = due.filter(|(at, _)| *at <= now) {
                let _ = at;
                if let Some(c) = self.calls[account].as_mut() {
                    c.reinvite_retry = None;
                }
                self.reinvite(now, account, direction);
            }
        }
        // Reliable provisionals until PRACK (RFC 3262 §3); no PRACK in 64·T1: 500.
        for account in 0..self.calls.len() {
            let Some(call) = self.calls[account].as_mut() else {
                continue;
            };
            let Some(r) = call.prov_retransmit.as_mut() else {
                continue;
            };
            match r.step(now, t2) {
                RetransmitStep::Wait => {}
                RetransmitStep::Send(bytes) => {
                    let peer = call.peer;
                    self.transmit(peer, bytes);
                }
                RetransmitStep::GiveUp => {
                    call.prov_retransmit = None;
                    self.reject(now, account, 500);
                    self.emit(Event::Call {
                        account,
                        event: CallEvent::Cancelled,
                    });
                }
            }
        }
        // OPTIONS keep-alives: one per registrar in use.
        if self.keepalive_due.is_some_and(|d| d <= now) {
            self.keepalive_due = None;
            self.send_keepalives(now);
        }
        // Registration refreshes and retries, probes of the primary, subscriptions.
        for account in 0..self.regs.len() {
            if self.subs[account].due.is_some_and(|d| d <= now)
                && self.subs[account].branch.is_none()
            {
                self.subs[account].due = None;
                self.subscribe(now, account);
            }
            if self.regs[account].probe_due.is_some_and(|d| d <= now) {
                self.regs[account].probe_due = None;
                self.probe_primary(now, account);
            }
            if self.regs[account].due.is_some_and(|d| d <= now)
                && self.regs[account].branch.is_none()
            {
                self.regs[account].due = None;
                self.register(now, account);
            }
        }
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
