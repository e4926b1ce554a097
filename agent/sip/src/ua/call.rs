//! Calls: INVITE both ways, offer/answer, CANCEL, BYE, PRACK, session timers, hold, transfers.

use super::*;

impl UserAgent {
    // ----- calls --------------------------------------------------------------------------

    /// Start a new SDP session for the account's next call: a fresh `o=` id and, with
    /// SRTP on, fresh keys.
    pub(super) fn new_sdp_session(&mut self, account: AccountId) {
        let keys = (self.cfg.srtp != media::SrtpPolicy::Off).then(|| self.keygen.keys());
        // The account's second call (waiting, consultation) takes the second RTP port, so
        // the two calls' media never share a socket.
        let a = &self.cfg.accounts[account];
        let second = if a.rtp_port_second == 0 {
            a.rtp_port
        } else {
            a.rtp_port_second
        };
        let other_port = self.others[account]
            .as_ref()
            .map(|_| self.others_sdp[account].port);
        let port = if other_port == Some(a.rtp_port) {
            second
        } else {
            a.rtp_port
        };
        self.sdp[account] = SdpState {
            session: (self.rng.next_u64() >> 2) + 1,
            version: 0,
            keys,
            port,
            t38: false,
        };
    }

    /// Exchange the account's active and other calls (with their SDP sessions).
    pub(super) fn swap_slots(&mut self, account: AccountId) {
        std::mem::swap(&mut self.calls[account], &mut self.others[account]);
        std::mem::swap(&mut self.sdp[account], &mut self.others_sdp[account]);
    }

    /// Mark the call events emitted since `mark` as the other call's.
    pub(super) fn mark_other_events(&mut self, account: AccountId, mark: usize) {
        for out in self.outputs.iter_mut().skip(mark) {
            if let Output::Event(Event::Call { account: a, event }) = out {
                if *a == account {
                    let inner = std::mem::replace(event, CallEvent::Answered);
                    *event = CallEvent::OtherParty(Box::new(inner));
                }
            }
        }
    }

    /// Run `f` on the account's other call as if it were the active one; its events come
    /// out as [`CallEvent::OtherParty`].
    pub(super) fn on_other(
        &mut self,
        now: Instant,
        account: AccountId,
        f: impl FnOnce(&mut Self, Instant),
    ) {
        if self.others[account].is_none() {
            return;
        }
        let mark = self.outputs.len();
        self.swap_slots(account);
        f(self, now);
        self.swap_slots(account);
        self.mark_other_events(account, mark);
    }

    /// Call waiting: hold the active call, answer the waiting one; they change places.
    pub(super) fn answer_other(&mut self, now: Instant, account: AccountId) {
        let waiting = self.others[account]
            .as_ref()
            .is_some_and(|c| c.state == CallState::Ringing && !c.uac);
        if !waiting {
            return;
        }
        if self.calls[account]
            .as_ref()
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            self.reinvite(now, account, Direction::SendOnly);
        }
        self.swap_slots(account);
        self.answer(now, account);
    }

    /// Hold the active call and resume the other one.
    pub(super) fn swap(&mut self, now: Instant, account: AccountId) {
        let ready = |c: &Option<Call>| c.as_ref().is_some_and(|c| c.state == CallState::Confirmed);
        if !ready(&self.calls[account]) || !ready(&self.others[account]) {
            return;
        }
        self.reinvite(now, account, Direction::SendOnly);
        self.swap_slots(account);
        self.reinvite(now, account, Direction::SendRecv);
    }

    /// The account's codecs (its own list, else the user agent's).
    pub(super) fn codecs(&self, account: AccountId) -> &[media::Codec] {
        let own = &self.cfg.accounts[account].codecs;
        if own.is_empty() {
            &self.cfg.codecs
        } else {
            own
        }
    }

    /// What our side of the account's SDP is made of (the version as last sent).
    pub(super) fn local_media(&self, account: AccountId) -> media::LocalMedia<'_> {
        let st = &self.sdp[account];
        media::LocalMedia {
            ip: self.cfg.local.ip(),
            port: if st.port == 0 {
                self.cfg.accounts[account].rtp_port
            } else {
                st.port
            },
            codecs: self.codecs(account),
            session: st.session,
            version: st.version,
            srtp: self.cfg.srtp,
            keys: st.keys.as_ref(),
        }
    }

    /// An offer: for a new call (`fresh`: new session and keys) or a new description in the
    /// current one (re-INVITE: same session and keys, version + 1).
    pub(super) fn sdp_offer(&mut self, account: AccountId, fresh: bool, dir: Direction) -> String {
        if fresh || self.sdp[account].session == 0 {
            self.new_sdp_session(account);
        }
        self.sdp[account].version += 1;
        match (self.sdp[account].t38, self.cfg.accounts[account].t38) {
            // A new offer while the call is fax relay (a re-INVITE without SDP) keeps it.
            (true, Some(params)) if !fresh => {
                crate::fax::t38_offer(&self.local_media(account), &params)
            }
            _ => media::offer(&self.local_media(account), dir),
        }
    }

    /// Answer `offer` for the account (`fresh` for a new call): our SDP, after reporting
    /// what was agreed.
    pub(super) fn sdp_answer(
        &mut self,
        account: AccountId,
        offer: &[u8],
        fresh: bool,
    ) -> Result<String, Refusal> {
        if fresh || self.sdp[account].session == 0 {
            self.new_sdp_session(account);
        }
        self.sdp[account].version += 1;
        if !fresh && crate::fax::offers_t38(offer) {
            // Fax relay (T.38 Annex D): taken when the port's policy allows it, else 488.
            let params = self.cfg.accounts[account].t38.ok_or(Refusal::NoT38)?;
            let (sdp, session) =
                crate::fax::t38_answer(offer, &self.local_media(account), &params)?;
            self.sdp[account].t38 = true;
            self.emit(Event::Fax { account, session });
            return Ok(sdp);
        }
        let (sdp, agreed) = media::answer(offer, &self.local_media(account))?;
        self.sdp[account].t38 = false;
        self.emit(Event::Media {
            account,
            session: agreed,
        });
        Ok(sdp)
    }

    /// Read the answer to the account's last offer.
    pub(super) fn sdp_read_answer(&self, account: AccountId, body: &[u8]) -> Option<Negotiated> {
        media::read_answer(body, &self.local_media(account))
    }

    pub(super) fn dial(&mut self, now: Instant, account: AccountId, number: &str) {
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
        let body = self.sdp_offer(account, true, Direction::SendRecv);
        let mut call = self.new_outgoing_call(account, target, peer);
        let req = self.build_invite(account, &mut call, body.into_bytes());
        self.send_invite(now, account, call, req);
    }

    /// A call straight to another gateway: the Request-URI names the peer's address.
    pub(super) fn dial_peer(&mut self, now: Instant, account: AccountId, number: &str, peer: Peer) {
        if self.calls[account].is_some() {
            return;
        }
        let host = match peer.addr.ip() {
            std::net::IpAddr::V4(v4) => Host::Ipv4(v4),
            std::net::IpAddr::V6(v6) => Host::Ipv6(v6),
        };
        let mut uri = SipUri::new(host).with_user(number);
        uri.port = Some(peer.addr.port());
        let body = self.sdp_offer(account, true, Direction::SendRecv);
        let mut call = self.new_outgoing_call(account, Uri::Sip(uri), peer);
        let req = self.build_invite(account, &mut call, body.into_bytes());
        self.send_invite(now, account, call, req);
    }

    /// A call we are about to place from `account` to `target` through `peer`.
    pub(super) fn new_outgoing_call(
        &mut self,
        account: AccountId,
        target: Uri,
        peer: Peer,
    ) -> Call {
        Call {
            state: CallState::Calling,
            uac: true,
            call_id: format!("{}@{}", self.rng.hex(20), self.cfg.local.ip()),
            local_tag: self.rng.hex(10),
            remote_tag: None,
            local: self.aor(account),
            remote: NameAddr::new(target.clone()),
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
            held: false,
            incoming: None,
            ok_retransmit: None,
            private: std::mem::take(&mut self.next_private),
        }
        .anonymised()
    }

    pub(super) fn build_invite(
        &mut self,
        account: AccountId,
        call: &mut Call,
        body: Vec<u8>,
    ) -> Request {
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
        if call.private {
            // RFC 3323 §4.1.1: an anonymous From, and ask the network to withhold the
            // identity it knows (Privacy: id, RFC 3325 §9.3); the real one goes in
            // P-Preferred-Identity for the first, trusted proxy (RFC 3325 §9.2).
            h.push("Privacy", "id");
            let mut real = self.aor(account);
            real.display = None;
            h.push("P-Preferred-Identity", real.to_string());
        }
        let h = &mut req.headers;
        h.push("Allow", ALLOW);
        h.push("Supported", "100rel, replaces, timer");
        h.push("User-Agent", self.cfg.user_agent.clone());
        h.push("Content-Type", "application/sdp");
        req.body = body;
        req
    }

    pub(super) fn send_invite(
        &mut self,
        now: Instant,
        account: AccountId,
        mut call: Call,
        mut req: Request,
    ) {
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
    pub(super) fn in_dialog_request(&mut self, now: Instant, account: AccountId, method: Method) {
        self.in_dialog_request_with(now, account, method, None);
    }

    /// An in-dialog request with extra headers (RAck for PRACK).
    pub(super) fn in_dialog_request_with_headers(
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
    pub(super) fn in_dialog_request_with(
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

    pub(super) fn ack_2xx(&mut self, account: AccountId, resp: &Response) {
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
    pub(super) fn ack_final(&mut self, key: &str, resp: &Response) {
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
    pub(super) fn ack_non_2xx(invite: &Request, resp: &Response) -> Vec<u8> {
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

    pub(super) fn cancel(&mut self, now: Instant, account: AccountId) {
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

    pub(super) fn on_invite_response(
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
                    // Early media (RFC 3960): the 183's SDP is the answer the audio of the
                    // announcement or ringback flows with.
                    if let Some(session) = self.sdp_read_answer(account, &resp.body) {
                        self.emit(Event::Media { account, session });
                    }
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
                    self.deferred_refer(account);
                } else if first {
                    if let Some(session) = self.sdp_read_answer(account, &resp.body) {
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
            // 486 Busy Here, 600 Busy Everywhere, 603 Decline: busy tone, as ATAs play it.
            486 | 600 | 603 => self.end_call(account, CallEvent::Busy),
            487 if call.state == CallState::Cancelling => {
                self.calls[account] = None;
                self.deferred_refer(account);
            }
            _ => self.end_call(account, CallEvent::Failed { status }),
        }
    }

    /// `uac` or `uas`: which role we have in the account's call (we refresh).
    pub(super) fn refresher_name(&self, account: AccountId) -> &'static str {
        match self.calls[account].as_ref() {
            Some(c) if !c.uac => "uas",
            _ => "uac",
        }
    }

    /// Whether `branch` is the INVITE of the account's current call.
    pub(super) fn is_current_invite(&self, account: AccountId, branch: &str) -> bool {
        self.calls[account]
            .as_ref()
            .is_some_and(|c| c.invite_branch.as_deref() == Some(branch))
    }

    pub(super) fn end_call(&mut self, account: AccountId, event: CallEvent) {
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
        self.deferred_refer(account);
    }

    /// The active call is over: send the blind transfer that waited for it, if any.
    pub(super) fn deferred_refer(&mut self, account: AccountId) {
        if let Some(target) = self.deferred_refers[account].take() {
            let now = self.last_now.expect("set at the start of handle_input");
            if self.others[account].is_some() {
                self.on_other(now, account, |ua, now| {
                    ua.blind_transfer(now, account, &target)
                });
            } else {
                self.blind_transfer(now, account, &target);
            }
        }
    }

    /// The final NOTIFY of a transfer we carried out was answered (or timed out): BYE the
    /// referring call, unless the transferor already did.
    pub(super) fn referrer_notified(&mut self, now: Instant, branch: &str) {
        let Some(i) = self.closing_referrers.iter().position(|r| r.0 == branch) else {
            return;
        };
        let (_, account, call) = self.closing_referrers.swap_remove(i);
        let saved = self.transfers[account].replace(call);
        self.on_transfer_dialog(account, |ua| {
            ua.in_dialog_request(now, account, Method::Bye)
        });
        self.transfers[account] = saved;
    }

    /// Run `f` with the referring call of a transfer in the account's call slot, so that
    /// the in-dialog request helpers address that dialog.
    pub(super) fn on_transfer_dialog(&mut self, account: AccountId, f: impl FnOnce(&mut Self)) {
        std::mem::swap(&mut self.calls[account], &mut self.transfers[account]);
        f(self);
        std::mem::swap(&mut self.calls[account], &mut self.transfers[account]);
    }

    /// NOTIFY the transferor how the transfer goes (RFC 3515 §2.4.4), in the dialog of the
    /// call in the account's slot.
    pub(super) fn notify_refer_in_current(
        &mut self,
        account: AccountId,
        status: u16,
    ) -> Option<String> {
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
        self.in_dialog_request_with(now, account, Method::Notify, body)
    }

    /// NOTIFY the transferor: in the referring dialog while the transfer runs. The
    /// NOTIFY's branch, if one was sent.
    pub(super) fn notify_refer(&mut self, account: AccountId, status: u16) -> Option<String> {
        if self.transfers[account].is_some() {
            let mut branch = None;
            self.on_transfer_dialog(account, |ua| {
                branch = ua.notify_refer_in_current(account, status)
            });
            branch
        } else {
            self.notify_refer_in_current(account, status)
        }
    }

    /// REFER from the far end of a call: call the Refer-To target (with its Replaces, for
    /// an attended transfer), keep the referring call until the target answers.
    pub(super) fn on_refer(&mut self, now: Instant, from: Peer, req: &Request) {
        let account = self.calls.iter().position(|c| {
            c.as_ref().is_some_and(|c| {
                super::dispatch::in_dialog(c, &req.headers, true) && c.state == CallState::Confirmed
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
        let mut call = self.new_outgoing_call(account, target_uri, peer);
        let body = self
            .sdp_offer(account, true, Direction::SendRecv)
            .into_bytes();
        let mut invite = self.build_invite(account, &mut call, body);
        if let Some(r) = replaces {
            invite.headers.push("Replaces", r);
        }
        if let Some(rb) = referred_by {
            invite.headers.push("Referred-By", rb);
        }
        self.send_invite(now, account, call, invite);
    }

    /// The transfer target answered: tell the transferor (NOTIFY 200); the referring
    /// call ends once that NOTIFY is answered — by the transferor's BYE (RFC 5589 §6), or
    /// by ours after the answer, never before it: a BYE sent with the NOTIFY can overtake
    /// it through a proxy, and the transferor would see a hang-up instead of the outcome.
    pub(super) fn transfer_succeeded(&mut self, _now: Instant, account: AccountId) {
        if self.transfers[account].is_none() {
            return;
        }
        let branch = self.notify_refer(account, 200);
        if let (Some(branch), Some(call)) = (branch, self.transfers[account].take()) {
            self.closing_referrers.push((branch, account, call));
        }
        self.emit(Event::Call {
            account,
            event: CallEvent::Replaced,
        });
    }

    /// Send a re-INVITE offering `direction` (hold: sendonly, resume: sendrecv).
    pub(super) fn reinvite(&mut self, now: Instant, account: AccountId, direction: Direction) {
        self.reoffer(now, account, Reoffer::Audio(direction));
    }

    /// Send a re-INVITE with a new offer: audio in a direction, T.38, or G.711 VBD.
    pub(super) fn reoffer(&mut self, now: Instant, account: AccountId, what: Reoffer) {
        let Some(call) = self.calls[account].as_mut() else {
            return;
        };
        if call.state != CallState::Confirmed || call.reinvite.is_some() {
            return;
        }
        call.reinvite_retry = None;
        let body = match what {
            Reoffer::Audio(direction) => self.sdp_offer(account, false, direction),
            Reoffer::T38 => {
                let Some(params) = self.cfg.accounts[account].t38 else {
                    self.emit(Event::Call {
                        account,
                        event: CallEvent::FaxRefused {
                            t38: true,
                            status: 488,
                        },
                    });
                    return;
                };
                self.sdp[account].version += 1;
                crate::fax::t38_offer(&self.local_media(account), &params)
            }
            Reoffer::Vbd => {
                self.sdp[account].version += 1;
                crate::fax::vbd_offer(&self.local_media(account))
            }
        };
        self.extra_headers = vec![("Contact".into(), self.contact(account))];
        let sdp = Some(("application/sdp", body));
        let branch = self.in_dialog_request_with(now, account, Method::Invite, sdp);
        if let (Some(call), Some(b)) = (self.calls[account].as_mut(), branch) {
            call.reinvite = Some((b, what));
        }
    }

    pub(super) fn on_reinvite_response(
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
        let Some((_, what)) = self.calls[account]
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
        let (fax, direction) = match what {
            Reoffer::Audio(d) => (false, d),
            Reoffer::T38 | Reoffer::Vbd => (true, Direction::SendRecv),
        };
        match resp.status {
            200..=299 if fax => {
                self.ack_2xx(account, resp);
                self.fax_answered(account, what == Reoffer::T38, &resp.body);
            }
            200..=299 => {
                call.held = direction != Direction::SendRecv;
                let held = call.held;
                self.ack_2xx(account, resp);
                if let Some(session) = self.sdp_read_answer(account, &resp.body) {
                    self.sdp[account].t38 = false;
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
                    call.reinvite_retry = Some((now + wait, what));
                }
            }
            status if fax => {
                // The session stays as it was (RFC 3261 §14.1); the port decides what next
                // (T.38 refused: G.711 pass-through).
                self.emit(Event::Call {
                    account,
                    event: CallEvent::FaxRefused {
                        t38: what == Reoffer::T38,
                        status,
                    },
                });
            }
            _ => {} // the session stays as it was (RFC 3261 §14.1)
        }
    }

    /// The 2xx to our fax re-INVITE: T.38 agreed, G.711 agreed, or neither.
    fn fax_answered(&mut self, account: AccountId, t38: bool, body: &[u8]) {
        if t38 {
            let port = self.local_media(account).port;
            let params = self.cfg.accounts[account].t38.unwrap_or_default();
            if let Some(session) = crate::fax::read_t38_answer(body, port, &params) {
                self.sdp[account].t38 = true;
                self.emit(Event::Fax { account, session });
                return;
            }
        } else if let Some(session) = self.sdp_read_answer(account, body) {
            let g711 = matches!(session.codec.name, "PCMU" | "PCMA");
            self.sdp[account].t38 = false;
            self.emit(Event::Media { account, session });
            if g711 {
                return;
            }
        }
        // Answered without what we asked for (a rejected stream): media as the answer says.
        if let Some(session) = self.sdp_read_answer(account, body) {
            self.sdp[account].t38 = false;
            self.emit(Event::Media { account, session });
        }
        self.emit(Event::Call {
            account,
            event: CallEvent::FaxRefused { t38, status: 200 },
        });
    }

    /// Hold the active call, make it the other call, and call `number`.
    pub(super) fn consult(&mut self, now: Instant, account: AccountId, number: &str) {
        let Some(call) = self.calls[account].as_ref() else {
            return;
        };
        // Already held, or on its way there (the phone's flash held it first).
        let holding = call.held
            || call
                .reinvite
                .as_ref()
                .is_some_and(|(_, d)| *d == Reoffer::Audio(Direction::SendOnly));
        let ready = call.state == CallState::Confirmed && (call.reinvite.is_none() || holding);
        if !ready || self.others[account].is_some() {
            return;
        }
        if !holding {
            self.reinvite(now, account, Direction::SendOnly);
        }
        self.others[account] = self.calls[account].take();
        self.others_sdp[account] = std::mem::take(&mut self.sdp[account]);
        self.dial(now, account, number);
    }

    /// REFER the held party to the consulted one with the consultation dialog in Replaces.
    pub(super) fn attended_transfer(&mut self, now: Instant, account: AccountId) {
        let (Some(active), Some(_)) = (&self.calls[account], &self.others[account]) else {
            return;
        };
        if active.state != CallState::Confirmed {
            return;
        }
        // The consulted party's address of record, not its Contact: through a registrar
        // the held party's INVITE with Replaces is routed like any call (a proxy relays no
        // request to a foreign Contact), and Replaces finds the dialog at the other end.
        let Uri::Sip(mut target) = active.remote.uri.clone() else {
            return;
        };
        target.params.0.clear();
        // Replaces names the consultation dialog as the consulted party sees it: its tag
        // is the to-tag, ours the from-tag (RFC 3891 §3).
        let replaces = format!(
            "{};to-tag={};from-tag={}",
            active.call_id,
            active.remote_tag.clone().unwrap_or_default(),
            active.local_tag
        );
        let refer_to = target.with_header("Replaces", &replaces);
        let aor = self.aor(account);
        let contact = self.contact(account);
        self.swap_slots(account);
        self.extra_headers = vec![
            ("Refer-To".into(), format!("<{refer_to}>")),
            ("Referred-By".into(), format!("<{}>", aor.uri)),
            ("Contact".into(), contact),
        ];
        self.in_dialog_request_with(now, account, Method::Refer, None);
        self.swap_slots(account);
    }

    /// Blind transfer as transferor: REFER in our call.
    pub(super) fn blind_transfer(&mut self, now: Instant, account: AccountId, target: &str) {
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

    pub(super) fn end_call_for_transfer(&mut self, now: Instant, account: AccountId, status: u16) {
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

    pub(super) fn on_incoming_invite(
        &mut self,
        now: Instant,
        from: Peer,
        req: Request,
        key: String,
    ) {
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
                    self.sdp_offer(account, false, Direction::SendRecv)
                } else {
                    match self.sdp_answer(account, &req.body, false) {
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
            let talking = self.calls[account]
                .as_ref()
                .is_some_and(|c| c.state == CallState::Confirmed);
            if talking && self.others[account].is_none() {
                // Call waiting: the new call rings as the account's other call; the
                // port decides (answer with AnswerOther, refuse with RejectOther).
                let mark = self.outputs.len();
                self.swap_slots(account);
                self.on_incoming_invite(now, from, req, key);
                self.swap_slots(account);
                self.mark_other_events(account, mark);
                return;
            }
            self.respond(now, from, &req, 486, None);
            return;
        }
        if !req.body.is_empty() {
            // A dry run of the answer, with throw-away keys, before we ring the phone.
            let probe_keys = media::SdesKeys([[0; media::SDES_KEY_LEN]; 2]);
            let probe = media::LocalMedia {
                port: 0,
                keys: Some(&probe_keys),
                ..self.local_media(account)
            };
            if let Err(refusal) = media::answer(&req.body, &probe) {
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
            held: false,
            incoming: Some((req.clone(), key)),
            ok_retransmit: None,
            private: false,
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
    pub(super) fn account_for(&self, req: &Request) -> Option<AccountId> {
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

    pub(super) fn answer(&mut self, now: Instant, account: AccountId) {
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
            self.sdp_offer(account, true, Direction::SendRecv) // late offer: the ACK answers
        } else {
            match self.sdp_answer(account, &req.body, true) {
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

    pub(super) fn reject(&mut self, now: Instant, account: AccountId, status: u16) {
        let Some(call) = self.calls[account].take() else {
            return;
        };
        if let Some((req, _)) = call.incoming {
            self.respond(now, call.peer, &req, status, Some(&call.local_tag));
        }
    }

    /// Send the account's ringing call elsewhere: 302 with the target as Contact (call
    /// forwarding done by the caller, RFC 3261 §8.1.3.4 / §21.3.3).
    pub(super) fn redirect(&mut self, now: Instant, account: AccountId, target: &str) {
        let ringing = self.calls[account]
            .as_ref()
            .is_some_and(|c| !c.uac && c.state == CallState::Ringing);
        if !ringing {
            return;
        }
        let Some(call) = self.calls[account].take() else {
            return;
        };
        let Some((req, _)) = call.incoming else {
            return;
        };
        let domain = self.cfg.accounts[account].domain.clone();
        let contact = Uri::Sip(SipUri::new(Host::Domain(domain)).with_user(target));
        self.respond_with(now, call.peer, &req, 302, Some(&call.local_tag), |r, _| {
            r.headers.push("Contact", format!("<{contact}>"));
        });
    }

    pub(super) fn hangup(&mut self, now: Instant, account: AccountId) {
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
}
