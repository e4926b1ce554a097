//! Input dispatch: received requests and responses to their handlers, commands, timers.

use super::*;

/// Whether a message belongs to `call`'s dialog: the same Call-ID, and our tag where the
/// message carries it — the To tag of a request, the From tag of a response (RFC 3261
/// §12.2.2). A request without a To tag (CANCEL, a retransmitted INVITE) belongs to the
/// call we received it as, from the same remote tag. The Call-ID alone is not enough:
/// when two ports of this gateway call each other through the PBX, both ends of one
/// dialog live in this UA.
pub(super) fn in_dialog(call: &Call, headers: &Headers, is_request: bool) -> bool {
    if headers.call_id().ok() != Some(call.call_id.as_str()) {
        return false;
    }
    let tag = |na: Result<NameAddr, _>| {
        na.ok()
            .and_then(|n| n.params.get("tag").map(str::to_string))
    };
    if is_request {
        match tag(headers.to()) {
            Some(t) => t == call.local_tag,
            None => !call.uac && tag(headers.from()) == call.remote_tag,
        }
    } else {
        tag(headers.from()).is_none_or(|t| t == call.local_tag)
    }
}

impl UserAgent {
    // ----- input dispatch -----------------------------------------------------------------

    pub(super) fn on_command(&mut self, now: Instant, cmd: Command) {
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
            Command::Dial {
                account,
                number,
                private,
            } if account < self.calls.len() => {
                self.next_private = private;
                self.dial(now, account, &number)
            }
            Command::DialPeer {
                account,
                number,
                peer,
                private,
            } if account < self.calls.len() => {
                self.next_private = private;
                self.dial_peer(now, account, &number, peer)
            }
            Command::Answer(a) if a < self.calls.len() => self.answer(now, a),
            Command::AnswerOther(a) if a < self.calls.len() => self.answer_other(now, a),
            Command::RejectOther(a) if a < self.calls.len() => {
                self.on_other(now, a, |ua, now| ua.reject(now, a, 486))
            }
            Command::Swap(a) if a < self.calls.len() => self.swap(now, a),
            Command::BlindTransferOther { account, target } if account < self.calls.len() => {
                let cancelling = self.calls[account].as_ref().is_some_and(|c| {
                    c.uac
                        && matches!(
                            c.state,
                            CallState::Calling | CallState::Early | CallState::Cancelling
                        )
                });
                if cancelling {
                    // The consultation (often to the transfer target itself) is being
                    // cancelled: REFER once it has ended, or the target may still be busy
                    // with it when the transferee calls.
                    self.deferred_refers[account] = Some(target);
                } else {
                    self.on_other(now, account, |ua, now| {
                        ua.blind_transfer(now, account, &target)
                    })
                }
            }
            Command::Redirect {
                account,
                target,
                other,
            } if account < self.calls.len() => {
                if other {
                    self.on_other(now, account, |ua, now| ua.redirect(now, account, &target))
                } else {
                    self.redirect(now, account, &target)
                }
            }
            Command::ResumeOther(a) if a < self.calls.len() => {
                self.on_other(now, a, |ua, now| ua.reinvite(now, a, Direction::SendRecv))
            }
            Command::HangupOther(a) if a < self.calls.len() => {
                self.on_other(now, a, |ua, now| ua.hangup(now, a))
            }
            Command::RejectBusy(a) if a < self.calls.len() => self.reject(now, a, 486),
            Command::RejectUnavailable(a) if a < self.calls.len() => self.reject(now, a, 480),
            Command::Hangup(a) if a < self.calls.len() => self.hangup(now, a),
            Command::Consult { account, number } if account < self.calls.len() => {
                self.consult(now, account, &number)
            }
            Command::AttendedTransfer(a) if a < self.calls.len() => self.attended_transfer(now, a),
            Command::Hold(a) if a < self.calls.len() => self.reinvite(now, a, Direction::SendOnly),
            Command::SwitchToFax { account, t38 } if account < self.calls.len() => {
                let what = if t38 { Reoffer::T38 } else { Reoffer::Vbd };
                self.reoffer(now, account, what);
            }
            Command::Resume(a) if a < self.calls.len() => {
                self.reinvite(now, a, Direction::SendRecv)
            }
            Command::BlindTransfer { account, target } if account < self.calls.len() => {
                self.blind_transfer(now, account, &target)
            }
            Command::UpdateAccount { account, settings } if account < self.regs.len() => {
                self.update_account(now, account, *settings)
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
            Command::Ping { account, id } => self.ping(now, account, id),
            other => tracing::warn!(?other, "command for an account that does not exist"),
        }
    }

    pub(super) fn on_receive(&mut self, now: Instant, from: Peer, data: &[u8]) {
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
        // A message of the account's other (held / consultation) call is handled with
        // that call in the active slot, and what it reports is marked as the other party's.
        let is_request = matches!(msg, Message::Request(_));
        let other = self.others.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| in_dialog(c, msg.headers(), is_request))
        });
        if let Some(account) = other {
            let mark = self.outputs.len();
            self.swap_slots(account);
            self.dispatch(now, from, msg);
            self.swap_slots(account);
            self.mark_other_events(account, mark);
            return;
        }
        self.dispatch(now, from, msg);
    }

    fn dispatch(&mut self, now: Instant, from: Peer, msg: Message) {
        match msg {
            Message::Request(req) => self.on_request(now, from, req),
            Message::Response(resp) => self.on_response(now, from, resp),
        }
    }

    pub(super) fn on_request(&mut self, now: Instant, from: Peer, mut req: Request) {
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
            for call in self.calls.iter_mut().flatten() {
                if in_dialog(call, &req.headers, true) {
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
    pub(super) fn on_notify(&mut self, now: Instant, from: Peer, req: &Request) {
        let event = req
            .headers
            .get("Event")
            .map(|e| e.trim().to_ascii_lowercase());
        if event.as_deref().is_some_and(|e| e.starts_with("refer")) {
            // Progress of our REFER (RFC 3515 §2.4.5): the sipfrag's status line.
            let account = self
                .calls
                .iter()
                .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
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
    pub(super) fn on_update(&mut self, now: Instant, from: Peer, req: &Request) {
        let account = self
            .calls
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
        let Some(account) = account else {
            self.respond(now, from, req, 481, None);
            return;
        };
        let body = if req.body.is_empty() {
            None
        } else {
            match self.sdp_answer(account, &req.body, false) {
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
    pub(super) fn refreshed(&mut self, now: Instant, account: AccountId, req: &Request) {
        let se = req.headers.session_expires().ok().flatten();
        if let Some(call) = self.calls[account].as_mut() {
            if let Some((interval, we, _)) = call.session_timer {
                let delta = se.map_or(interval.as_secs() as u32, |s| s.delta);
                call.session_timer = Some(session_timer(now, delta, we));
            }
        }
    }

    /// PRACK for our reliable 180 (RFC 3262 §3): stop its retransmissions.
    pub(super) fn on_prack(&mut self, now: Instant, from: Peer, req: &Request) {
        let account = self
            .calls
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
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
    pub(super) fn on_info(&mut self, now: Instant, from: Peer, req: &Request) {
        let account = self
            .calls
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
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

    pub(super) fn on_cancel(&mut self, now: Instant, from: Peer, req: &Request) {
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

    pub(super) fn on_bye(&mut self, now: Instant, from: Peer, req: &Request) {
        // The transferor hangs up its leg while we carry out its REFER: no event, the
        // port stays in the call with the transfer target.
        let referring = self
            .transfers
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
        if let Some(a) = referring {
            self.respond(now, from, req, 200, None);
            self.transfers[a] = None;
            return;
        }
        let closing = self
            .closing_referrers
            .iter()
            .position(|r| in_dialog(&r.2, &req.headers, true));
        if let Some(i) = closing {
            self.respond(now, from, req, 200, None);
            self.closing_referrers.swap_remove(i);
            return;
        }
        let account = self
            .calls
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| in_dialog(c, &req.headers, true)));
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

    pub(super) fn on_response(&mut self, now: Instant, from: Peer, resp: Response) {
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
                // Only the account's REGISTER in flight counts: an answer to one from before
                // a settings change or a failover is late.
                Method::Register if self.regs[account].branch.as_deref() == Some(key.as_str()) => {
                    self.on_register_response(now, account, &resp)
                }
                Method::Register => {}
                Method::Invite if self.is_current_invite(account, &key) => {
                    self.on_invite_response(now, account, &resp, verdict, &key)
                }
                Method::Invite => self.on_reinvite_response(now, account, &resp, verdict, &key),
                // A diagnostic ping's answer goes to it alone (no failover, no REGISTER).
                Method::Options if resp.status >= 200 && self.pings.contains_key(&key) => {
                    self.ping_answered(now, &key, &resp)
                }
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
                Method::Notify if resp.status >= 200 => self.referrer_notified(now, &key),
                _ => {}
            },
        }
    }

    pub(super) fn on_transport_error(&mut self, now: Instant, to: Peer) {
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
    pub(super) fn transaction_failed(
        &mut self,
        now: Instant,
        account: AccountId,
        key: &str,
        method: Method,
        status: u16,
    ) {
        match method {
            Method::Notify => self.referrer_notified(now, key),
            Method::Register => self.server_failed(now, account),
            Method::Invite if self.is_current_invite(account, key) => {
                self.end_call(account, CallEvent::Failed { status });
            }
            Method::Subscribe => {
                self.subs[account].branch = None;
                self.subs[account].due = Some(now + self.cfg.registration.retry_base);
            }
            Method::Options if self.pings.contains_key(key) => self.ping_failed(key, status),
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

    pub(super) fn client_timer(&mut self, now: Instant, key: String) {
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

    pub(super) fn server_timer(&mut self, now: Instant, key: (String, Method)) {
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

    pub(super) fn on_timeout(&mut self, now: Instant) {
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
            if let Some((at, what)) = due.filter(|(at, _)| *at <= now) {
                let _ = at;
                if let Some(c) = self.calls[account].as_mut() {
                    c.reinvite_retry = None;
                }
                // A fax switch the far end made meanwhile (its re-INVITE won) is not redone.
                if what != Reoffer::T38 || !self.sdp[account].t38 {
                    self.reoffer(now, account, what);
                }
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
