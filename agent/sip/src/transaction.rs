//! The transaction layer of RFC 3261 §17 (with the RFC 6026 "Accepted" states), as pure
//! state machines over message bytes and time.
//!
//! A transaction does not parse: the UA core matches messages to transactions (by the
//! top Via branch and the CSeq method) and tells the transaction what arrived — a
//! response's status code, a retransmitted request, an ACK. The transaction answers with
//! a verdict (pass it up to the transaction user, or absorb it) and, as time passes,
//! with [`TxAction`]s: retransmit these bytes, the transaction timed out, it is over.
//!
//! | machine            | states                                       | timers        |
//! |--------------------|----------------------------------------------|---------------|
//! | client INVITE      | Calling, Proceeding, Completed, Accepted     | A, B, D, M    |
//! | client non-INVITE  | Trying, Proceeding, Completed                | E, F, K       |
//! | server INVITE      | Proceeding, Completed, Confirmed, Accepted   | G, H, I, L    |
//! | server non-INVITE  | Trying, Proceeding, Completed                | J             |
//!
//! Retransmission timers (A, E, G) run only over unreliable transports; the wait states
//! (D, I, J, K) are zero over TCP/TLS.

use std::time::{Duration, Instant};

use crate::timers::Timers;

/// What a transaction asks of its owner when its timers fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxAction {
    /// Send these bytes again (a request, a final response, or an ACK).
    Retransmit(Vec<u8>),
    /// The transaction timed out (timer B, F or H): tell the transaction user (408 / no ACK).
    TimedOut,
    /// The transaction is over; forget it.
    Terminated,
}

/// What to do with a message the transaction has matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Hand it to the transaction user.
    Pass,
    /// Hand it to the transaction user, who must build the ACK for this non-2xx final
    /// response and give it back with [`ClientTx::set_ack`] (client INVITE only).
    PassAndAck,
    /// A retransmission the transaction handles by itself: drop it.
    Absorb,
    /// A retransmission to answer with these bytes (the last response, or the ACK).
    Resend(Vec<u8>),
}

/// Client or server, INVITE or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// INVITE (three-way handshake).
    Invite,
    /// Every other method (ACK has no transaction).
    NonInvite,
}

/// States of the client transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing heard yet.
    Calling,
    /// Non-INVITE sent, nothing heard yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived; absorbing retransmissions.
    Completed,
    /// A 2xx to the INVITE arrived; further 2xx go to the TU (RFC 6026 §7.2).
    Accepted,
    /// Over.
    Terminated,
}

/// A client transaction: we sent the request.
#[derive(Debug, Clone)]
pub struct ClientTx {
    kind: Kind,
    state: ClientState,
    request: Vec<u8>,
    ack: Option<Vec<u8>>,
    reliable: bool,
    timers: Timers,
    /// Timer A / E: next retransmission and the current interval.
    retransmit: Option<(Instant, Duration)>,
    /// Timer B / F: the transaction timeout.
    timeout: Option<Instant>,
    /// Timer D / K / M: end of the wait state.
    linger: Option<Instant>,
}

impl ClientTx {
    /// A transaction whose request `request` is being sent at `now` (the caller sends it).
    pub fn new(kind: Kind, now: Instant, request: Vec<u8>, reliable: bool, timers: Timers) -> Self {
        let retransmit = (!reliable).then(|| (now + timers.t1, timers.t1));
        Self {
            kind,
            state: if kind == Kind::Invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            request,
            ack: None,
            reliable,
            timers,
            retransmit,
            timeout: Some(now + timers.timeout()),
            linger: None,
        }
    }

    /// The state now.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// INVITE or not.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The request bytes (to build a CANCEL or an ACK from).
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The ACK for a non-2xx final response, built by the transaction user after
    /// [`Verdict::PassAndAck`]; it is sent again for each retransmitted final response.
    pub fn set_ack(&mut self, ack: Vec<u8>) {
        self.ack = Some(ack);
    }

    /// A response with this status code matched the transaction at `now`.
    pub fn on_response(&mut self, now: Instant, status: u16) -> Verdict {
        use ClientState::*;
        let provisional = status < 200;
        match (self.kind, self.state) {
            (_, Terminated) => Verdict::Absorb,
            (Kind::Invite, Calling | Proceeding) => {
                if provisional {
                    self.state = Proceeding;
                    self.retransmit = None;
                    Verdict::Pass
                } else if status < 300 {
                    // RFC 6026: stay to pass 2xx retransmissions to the TU (timer M).
                    self.state = Accepted;
                    self.retransmit = None;
                    self.timeout = None;
                    self.linger = Some(now + self.timers.timeout());
                    Verdict::Pass
                } else {
                    self.state = Completed;
                    self.retransmit = None;
                    self.timeout = None;
                    self.linger = Some(now + self.timers.timer_d(self.reliable));
                    Verdict::PassAndAck
                }
            }
            (Kind::Invite, Accepted) => {
                if (200..300).contains(&status) {
                    Verdict::Pass
                } else {
                    Verdict::Absorb
                }
            }
            (Kind::Invite, Completed) => match (&self.ack, provisional) {
                (Some(ack), false) => Verdict::Resend(ack.clone()),
                _ => Verdict::Absorb,
            },
            (Kind::NonInvite, Trying | Proceeding) => {
                if provisional {
                    if self.state == Trying && !self.reliable {
                        // §17.1.2.2: in Proceeding, retransmit at T2.
                        self.retransmit = Some((now + self.timers.t2, self.timers.t2));
                    }
                    self.state = Proceeding;
                    Verdict::Pass
                } else {
                    self.state = Completed;
                    self.retransmit = None;
                    self.timeout = None;
                    self.linger = Some(now + self.timers.t4_or_zero(self.reliable));
                    Verdict::Pass
                }
            }
            (Kind::NonInvite, _) => Verdict::Absorb,
            (Kind::Invite, Trying) => Verdict::Absorb,
        }
    }

    /// The transport reported that the request could not be sent (§17.1.1.2 / §17.1.2.2).
    pub fn on_transport_error(&mut self) -> TxAction {
        self.state = ClientState::Terminated;
        TxAction::TimedOut
    }

    /// The next instant [`ClientTx::on_timer`] must run.
    pub fn deadline(&self) -> Option<Instant> {
        [self.retransmit.map(|(t, _)| t), self.timeout, self.linger]
            .into_iter()
            .flatten()
            .min()
    }

    /// Run the timers due at `now`.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<TxAction>) {
        if self.state == ClientState::Terminated {
            return;
        }
        if self.timeout.is_some_and(|t| t <= now) {
            self.state = ClientState::Terminated;
            out.push(TxAction::TimedOut);
            out.push(TxAction::Terminated);
            return;
        }
        if self.linger.is_some_and(|t| t <= now) {
            self.state = ClientState::Terminated;
            out.push(TxAction::Terminated);
            return;
        }
        if let Some((at, interval)) = self.retransmit {
            if at <= now {
                let next = match self.kind {
                    // Timer A doubles without a cap (it stops at timer B anyway).
                    Kind::Invite => interval * 2,
                    Kind::NonInvite if self.state == ClientState::Proceeding => self.timers.t2,
                    Kind::NonInvite => self.timers.backoff(interval),
                };
                self.retransmit = Some((now + next, next));
                out.push(TxAction::Retransmit(self.request.clone()));
            }
        }
    }
}

/// States of the server transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, no response yet.
    Trying,
    /// A provisional response was sent (INVITE starts here).
    Proceeding,
    /// A final (non-2xx for INVITE) response was sent.
    Completed,
    /// The ACK for a non-2xx arrived (INVITE only).
    Confirmed,
    /// A 2xx to the INVITE was sent; the TU retransmits it until the ACK (RFC 6026).
    Accepted,
    /// Over.
    Terminated,
}

/// A server transaction: we received the request.
#[derive(Debug, Clone)]
pub struct ServerTx {
    kind: Kind,
    state: ServerState,
    last_response: Option<Vec<u8>>,
    reliable: bool,
    timers: Timers,
    /// Timer G: next final-response retransmission.
    retransmit: Option<(Instant, Duration)>,
    /// Timer H: waiting for the ACK.
    timeout: Option<Instant>,
    /// Timer I / J / L.
    linger: Option<Instant>,
}

impl ServerTx {
    /// A transaction for a request received at `now`.
    pub fn new(kind: Kind, reliable: bool, timers: Timers) -> Self {
        Self {
            kind,
            state: if kind == Kind::Invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            last_response: None,
            reliable,
            timers,
            retransmit: None,
            timeout: None,
            linger: None,
        }
    }

    /// The state now.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// INVITE or not.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether a final response has been sent.
    pub fn is_final(&self) -> bool {
        !matches!(self.state, ServerState::Trying | ServerState::Proceeding)
    }

    /// The TU sends a response with `status` (its bytes) at `now`. Returns false if the
    /// transaction can no longer send one (a final response went out already).
    pub fn send_response(&mut self, now: Instant, status: u16, bytes: Vec<u8>) -> bool {
        use ServerState::*;
        if self.is_final() {
            return false;
        }
        self.last_response = Some(bytes);
        if status < 200 {
            self.state = Proceeding;
            return true;
        }
        match self.kind {
            Kind::Invite if status < 300 => {
                self.state = Accepted;
                self.linger = Some(now + self.timers.timeout()); // timer L
            }
            Kind::Invite => {
                self.state = Completed;
                if !self.reliable {
                    self.retransmit = Some((now + self.timers.t1, self.timers.t1));
                }
                self.timeout = Some(now + self.timers.timeout()); // timer H
            }
            Kind::NonInvite => {
                self.state = Completed;
                self.linger = Some(now + self.timers.timer_j(self.reliable));
            }
        }
        true
    }

    /// The request arrived again (a retransmission).
    pub fn on_request_retransmission(&mut self) -> Verdict {
        match (self.state, &self.last_response) {
            (ServerState::Proceeding | ServerState::Completed, Some(r)) => {
                Verdict::Resend(r.clone())
            }
            _ => Verdict::Absorb,
        }
    }

    /// An ACK matched this INVITE transaction at `now` (a non-2xx ACK shares the branch).
    pub fn on_ack(&mut self, now: Instant) -> Verdict {
        match self.state {
            ServerState::Completed => {
                self.state = ServerState::Confirmed;
                self.retransmit = None;
                self.timeout = None;
                self.linger = Some(now + self.timers.t4_or_zero(self.reliable)); // timer I
                Verdict::Absorb
            }
            ServerState::Accepted => Verdict::Pass,
            _ => Verdict::Absorb,
        }
    }

    /// The next instant [`ServerTx::on_timer`] must run.
    pub fn deadline(&self) -> Option<Instant> {
        [self.retransmit.map(|(t, _)| t), self.timeout, self.linger]
            .into_iter()
            .flatten()
            .min()
    }

    /// Run the timers due at `now`.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<TxAction>) {
        if self.state == ServerState::Terminated {
            return;
        }
        if self.timeout.is_some_and(|t| t <= now) {
            self.state = ServerState::Terminated;
            out.push(TxAction::TimedOut);
            out.push(TxAction::Terminated);
            return;
        }
        if self.linger.is_some_and(|t| t <= now) {
            self.state = ServerState::Terminated;
            out.push(TxAction::Terminated);
            return;
        }
        if let Some((at, interval)) = self.retransmit {
            if at <= now {
                let next = self.timers.backoff(interval);
                self.retransmit = Some((now + next, next));
                if let Some(r) = &self.last_response {
                    out.push(TxAction::Retransmit(r.clone()));
                }
            }
        }
    }
}
