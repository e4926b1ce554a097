//! Registration, its failover and keep-alives, and the message-summary subscription.

use super::*;

impl UserAgent {
    // ----- registration -------------------------------------------------------------------

    /// [`Command::UpdateAccount`].
    pub(super) fn update_account(&mut self, now: Instant, account: AccountId, new: Account) {
        let old = &self.cfg.accounts[account];
        let identity = |a: &Account| {
            (
                a.user.clone(),
                a.auth_user.clone(),
                a.password.clone(),
                a.domain.clone(),
                a.servers.clone(),
                a.expires,
                a.register,
            )
        };
        if identity(old) == identity(&new) {
            let subscribe = new.subscribe_mwi && !old.subscribe_mwi;
            self.cfg.accounts[account] = new;
            if subscribe
                && matches!(
                    self.regs[account].state,
                    RegistrationState::Registered { .. }
                )
            {
                self.subscribe(now, account);
            }
            return;
        }
        if matches!(
            self.regs[account].state,
            RegistrationState::Registered { .. }
        ) {
            // Remove the old binding first; `set_reg_state` installs the new settings
            // once it is gone (or could not be removed).
            self.pending_accounts[account] = Some(new);
            self.regs[account].unregistering = true;
            self.regs[account].probe_due = None;
            self.register(now, account);
        } else {
            self.install_account(now, account, new);
        }
    }

    /// Put new settings in place with a fresh registration and subscription, and
    /// register if the account registers.
    pub(super) fn install_account(&mut self, now: Instant, account: AccountId, new: Account) {
        let ip = self.cfg.local.ip();
        let state = self.regs[account].state.clone();
        let register = new.register;
        self.regs[account] = Registration::new(&mut self.rng, ip, new.expires);
        self.regs[account].state = state;
        self.subs[account] = Subscription::new(&mut self.rng, ip);
        self.cfg.accounts[account] = new;
        if register {
            self.register(now, account);
        } else {
            self.set_reg_state(account, RegistrationState::Idle);
        }
    }

    pub(super) fn register(&mut self, now: Instant, account: AccountId) {
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
    pub(super) fn authorization(
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

    pub(super) fn on_register_response(
        &mut self,
        now: Instant,
        account: AccountId,
        resp: &Response,
    ) {
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
    pub(super) fn granted_expiry(&self, account: AccountId, resp: &Response) -> u32 {
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
    pub(super) fn learn_public_address(&mut self, resp: &Response) -> bool {
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

    pub(super) fn auth_failed(&mut self, now: Instant, account: AccountId, status: u16) {
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
    pub(super) fn server_failed(&mut self, now: Instant, account: AccountId) {
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
    pub(super) fn subscribe(&mut self, now: Instant, account: AccountId) {
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

    pub(super) fn on_subscribe_response(
        &mut self,
        now: Instant,
        account: AccountId,
        resp: &Response,
    ) {
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
    pub(super) fn send_keepalives(&mut self, now: Instant) {
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
    pub(super) fn probe_primary(&mut self, now: Instant, account: AccountId) {
        if let Some(&primary) = self.cfg.accounts[account].servers.first() {
            self.options(now, account, primary);
        }
    }

    /// An out-of-dialog OPTIONS to `server` on behalf of `account`; its branch.
    pub(super) fn options(&mut self, now: Instant, account: AccountId, server: Peer) -> String {
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
    pub(super) fn primary_answered(&mut self, now: Instant, account: AccountId) {
        let reg = &mut self.regs[account];
        if reg.server_idx == 0 || reg.branch.is_some() || reg.unregistering {
            return;
        }
        reg.server_idx = 0;
        reg.challenge = None;
        reg.auth_tries = 0;
        self.register(now, account);
    }

    // ----- diagnostic pings ---------------------------------------------------------------

    /// [`Command::Ping`]: OPTIONS to the account's registrar, tracked apart from the
    /// keep-alives and primary probes.
    pub(super) fn ping(&mut self, now: Instant, account: AccountId, id: u64) {
        let refuse = |ua: &mut Self, server: Option<Peer>, reason: &str| {
            ua.emit(Event::Ping {
                account,
                id,
                result: PingResult {
                    server,
                    status: None,
                    reason: reason.to_string(),
                    rtt: None,
                    server_header: None,
                    allow: None,
                },
            });
        };
        let Some(acct) = self.cfg.accounts.get(account) else {
            return refuse(self, None, "no such account");
        };
        let registered = match &self.regs[account].state {
            RegistrationState::Registered { server, .. } => Some(*server),
            _ => None,
        };
        let server = registered.or(acct.servers.first().copied());
        if !acct.register {
            return refuse(self, server, "the account does not register");
        }
        let Some(server) = server else {
            return refuse(self, None, "the account has no server");
        };
        if self.pings.len() >= MAX_PINGS {
            return refuse(self, Some(server), "too many pings in progress");
        }
        let branch = self.options(now, account, server);
        self.pings.insert(
            branch,
            Ping {
                account,
                id,
                server,
                sent: now,
            },
        );
    }

    /// A final response to the ping with this branch.
    pub(super) fn ping_answered(&mut self, now: Instant, key: &str, resp: &Response) {
        let Some(ping) = self.pings.remove(key) else {
            return;
        };
        let server_header = resp
            .headers
            .get("Server")
            .or_else(|| resp.headers.get("User-Agent"))
            .map(bounded);
        let allow: Vec<&str> = resp.headers.get_all("Allow").map(str::trim).collect();
        let allow = (!allow.is_empty()).then(|| bounded(&allow.join(", ")));
        self.emit(Event::Ping {
            account: ping.account,
            id: ping.id,
            result: PingResult {
                server: Some(ping.server),
                status: Some(resp.status),
                reason: bounded(&resp.reason),
                rtt: Some(now.saturating_duration_since(ping.sent)),
                server_header,
                allow,
            },
        });
    }

    /// The ping with this branch got no answer (timer F, `status` 408) or its transport
    /// failed (503).
    pub(super) fn ping_failed(&mut self, key: &str, status: u16) {
        let Some(ping) = self.pings.remove(key) else {
            return;
        };
        let reason = if status == 408 {
            format!(
                "no answer within {} s (timer F)",
                self.cfg.timers.timeout().as_secs_f32()
            )
        } else {
            format!("transport failure: could not reach {}", ping.server)
        };
        self.emit(Event::Ping {
            account: ping.account,
            id: ping.id,
            result: PingResult {
                server: Some(ping.server),
                status: None,
                reason,
                rtt: None,
                server_header: None,
                allow: None,
            },
        });
    }
}

/// At most [`PING_HEADER_MAX`] characters of a peer's text.
fn bounded(s: &str) -> String {
    s.trim().chars().take(PING_HEADER_MAX).collect()
}
