//! Validation: every rule, every problem reported at once with its JSON path.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::error::ConfigErrors;
use crate::model::{Codec, GatewayConfig, Port, SrtpPolicy, Transport, SCHEMA_VERSION};
use crate::secret::Secret;

/// At most this many FXS ports (the largest gateway Tipring drives).
pub const MAX_PORTS: usize = 48;
/// At most this many SIP servers in the failover list.
pub const MAX_SERVERS: usize = 8;
/// At most this many survivability peers.
pub const MAX_PEERS: usize = 16;
/// At most this many speed-dial entries per port.
pub const MAX_SPEED_DIAL: usize = 100;
/// At most this many emergency numbers.
pub const MAX_EMERGENCY_NUMBERS: usize = 8;
/// At most this many SNMP communities and this many v3 users.
pub const MAX_SNMP_ENTRIES: usize = 8;
/// Longest dialable number (hotline, forward target, speed dial, emergency), characters.
pub const MAX_NUMBER_LEN: usize = 32;
/// Longest extension: an E.164 number has at most 15 digits (ITU-T E.164 §6).
pub const MAX_EXTENSION_LEN: usize = 15;
/// Longest dial plan, bytes.
pub const MAX_DIAL_PLAN_LEN: usize = 1024;
/// Longest password or pass phrase, bytes.
pub const MAX_SECRET_LEN: usize = 128;
/// Longest file path (TLS files), bytes.
pub const MAX_PATH_LEN: usize = 1024;
/// Longest warmline delay, seconds: the warmline must fire before the line's first-digit
/// timer (15 s in `tipring-line`'s `LineTimers::default`) gives up with permanent signal.
pub const MAX_WARMLINE_DELAY_S: u32 = 14;

/// Longest `management.provisioning_code`, characters (TR-181 `DeviceInfo.ProvisioningCode`
/// is a `string(64)`).
pub const MAX_PROVISIONING_CODE_LEN: usize = 64;
/// Longest ACS URL, bytes (TR-181 `ManagementServer.URL` is a `string(256)`).
pub const MAX_ACS_URL_LEN: usize = 256;

/// Whether `url` can be an ACS URL (TR-069 Amendment 6 §3.1: an HTTP or HTTPS URL): it
/// starts with `http://` or `https://`, names a host, has no white space or control
/// characters, and is at most [`MAX_ACS_URL_LEN`] bytes. The agent checks URLs learned
/// from DHCP with it too.
pub fn valid_acs_url(url: &str) -> bool {
    url.len() <= MAX_ACS_URL_LEN
        && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control())
        && ["http://", "https://"].iter().any(|s| {
            url.starts_with(s)
                && url
                    .get(s.len()..)
                    .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['/', '?', '#']))
        })
}

/// Countries (tone plan codes) the agent knows; the same list as `tipring-dsp`'s tone
/// plans (a test checks it).
pub const KNOWN_COUNTRIES: [&str; 8] = ["us", "uk", "de", "fr", "nl", "jp", "cn", "au"];

impl GatewayConfig {
    /// Check every rule of the document (ranges, formats, uniqueness, consistency, size
    /// bounds) and report ALL problems, each with its JSON path. The dial plans are
    /// checked only for length and characters; use [`validate_with`](Self::validate_with)
    /// to check their syntax too.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        self.validate_with(&|_| Ok(()))
    }

    /// [`validate`](Self::validate), and every port's dial plan through `dial_plan` (the
    /// agent passes `tipring-line`'s parser); its error message lands at
    /// `ports[i].dial_plan`.
    pub fn validate_with(
        &self,
        dial_plan: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<(), ConfigErrors> {
        let mut v = ConfigErrors::default();
        if self.schema_version != SCHEMA_VERSION {
            v.push(
                "schema_version",
                format!(
                    "{} is not supported (this software reads schema_version {SCHEMA_VERSION})",
                    self.schema_version
                ),
            );
        }
        self.check_device(&mut v);
        self.check_sip(&mut v);
        self.check_ports(&mut v, dial_plan);
        self.check_emergency(&mut v);
        self.check_management(&mut v);
        v.into_result()
    }

    fn check_device(&self, v: &mut ConfigErrors) {
        let d = &self.device;
        text(v, "device.name", &d.name, 1, 64);
        if !KNOWN_COUNTRIES.contains(&d.country.as_str()) {
            v.push(
                "device.country",
                format!(
                    "unknown country `{}` (known: {})",
                    shown(&d.country),
                    KNOWN_COUNTRIES.join(", ")
                ),
            );
        }
        if let Some(tz) = &d.time_zone {
            let ok = !tz.is_empty()
                && tz.len() <= 64
                && tz
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+-,.:<>".contains(c));
            if !ok {
                v.push(
                    "device.time_zone",
                    "must be an IANA zone name (Europe/Berlin) or a POSIX TZ string, \
                     at most 64 characters",
                );
            }
        }
    }

    fn check_sip(&self, v: &mut ConfigErrors) {
        let s = &self.sip;
        if s.servers.len() > MAX_SERVERS {
            v.push(
                "sip.servers",
                format!("{} servers; at most {MAX_SERVERS}", s.servers.len()),
            );
        }
        for (i, srv) in s.servers.iter().enumerate().take(MAX_SERVERS) {
            if let Err(m) = host_port(srv, false) {
                v.push(format!("sip.servers[{i}]"), m);
            }
            if s.servers[..i].contains(srv) {
                v.push(format!("sip.servers[{i}]"), "listed twice");
            }
        }
        if let Err(m) = host(&s.domain) {
            v.push("sip.domain", m);
        }
        socket_addr(v, "sip.listen", &s.listen);
        if !(60..=86_400).contains(&s.registration_expiry_s) {
            v.push(
                "sip.registration_expiry_s",
                format!("{} is outside 60..=86400 s", s.registration_expiry_s),
            );
        }
        if s.keepalive_s != 0 && !(5..=3600).contains(&s.keepalive_s) {
            v.push(
                "sip.keepalive_s",
                format!("{} is outside 5..=3600 s (0 turns it off)", s.keepalive_s),
            );
        }
        let tls = &s.tls;
        for (name, p) in [
            ("ca_file", &tls.ca_file),
            ("client_cert", &tls.client_cert),
            ("client_key", &tls.client_key),
        ] {
            if let Some(p) = p {
                if p.is_empty() || p.len() > MAX_PATH_LEN || p.contains('\0') {
                    v.push(
                        format!("sip.tls.{name}"),
                        format!("must be a file path of 1..={MAX_PATH_LEN} bytes"),
                    );
                }
            }
        }
        if let Some(n) = &tls.server_name {
            if let Err(m) = host(n) {
                v.push("sip.tls.server_name", m);
            }
        }
        match (&tls.client_cert, &tls.client_key) {
            (Some(_), None) => v.push("sip.tls.client_key", "needed with sip.tls.client_cert"),
            (None, Some(_)) => v.push("sip.tls.client_cert", "needed with sip.tls.client_key"),
            _ => {}
        }
        // RFC 4568 §8.3: SDES keys travel in the SDP, so they need a secure signalling
        // channel; a mandatory-SRTP port over plain UDP/TCP would hand its keys out.
        if s.srtp == SrtpPolicy::Mandatory && s.transport != Transport::Tls {
            v.push(
                "sip.srtp",
                "mandatory SRTP needs sip.transport `tls`: SDES keys travel in the SDP \
                 (RFC 4568 §8.3)",
            );
        }
        if s.rtp_port_base != 0 {
            let base = u32::from(s.rtp_port_base);
            let last = base + 2 * self.ports.len() as u32 + 1;
            if base % 2 != 0 {
                v.push(
                    "sip.rtp_port_base",
                    format!("{base} is odd (RTP uses even ports, RFC 3550 §11)"),
                );
            } else if base < 1024 || last > 65_535 {
                v.push(
                    "sip.rtp_port_base",
                    format!(
                        "{base}: the ports' RTP/RTCP pairs need {base}..={last}, \
                         which must lie in 1024..=65535 (0 picks free ports)"
                    ),
                );
            }
        }
        if s.peers.len() > MAX_PEERS {
            v.push(
                "sip.peers",
                format!("{} peers; at most {MAX_PEERS}", s.peers.len()),
            );
        }
        for (i, p) in s.peers.iter().enumerate().take(MAX_PEERS) {
            let at = |f: &str| format!("sip.peers[{i}].{f}");
            let name_ok = !p.name.is_empty()
                && p.name.len() <= 32
                && p.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                v.push(at("name"), "1..=32 letters, digits, `-` or `_`");
            } else if let Some(j) = s.peers[..i].iter().position(|q| q.name == p.name) {
                v.push(at("name"), format!("the same as sip.peers[{j}].name"));
            }
            if let Err(m) = host_port(&p.address, true) {
                v.push(at("address"), m);
            }
            if let Err(m) = digits(&p.prefix, MAX_EXTENSION_LEN) {
                v.push(at("prefix"), m);
            } else if let Some(j) = s.peers[..i].iter().position(|q| q.prefix == p.prefix) {
                v.push(at("prefix"), format!("the same as sip.peers[{j}].prefix"));
            }
        }
    }

    /// Whether ports register with servers (then an enabled port needs a password).
    fn registering(&self) -> bool {
        self.sip.register && !self.sip.servers.is_empty()
    }

    fn check_ports(&self, v: &mut ConfigErrors, dial_plan: &dyn Fn(&str) -> Result<(), String>) {
        if self.ports.is_empty() {
            v.push("ports", "at least one port is needed");
        }
        if self.ports.len() > MAX_PORTS {
            v.push(
                "ports",
                format!("{} ports; at most {MAX_PORTS}", self.ports.len()),
            );
        }
        let mut extensions: HashMap<&str, usize> = HashMap::new();
        for (i, p) in self.ports.iter().enumerate().take(MAX_PORTS) {
            let at = |f: &str| format!("ports[{i}].{f}");
            match digits(&p.extension, MAX_EXTENSION_LEN) {
                Err(m) => v.push(at("extension"), m),
                Ok(()) => {
                    if let Some(j) = extensions.insert(&p.extension, i) {
                        // keep the first holder for the next duplicate's message
                        extensions.insert(&p.extension, j);
                        v.push(
                            at("extension"),
                            format!("{} is also ports[{j}].extension", p.extension),
                        );
                    }
                }
            }
            if let Some(n) = &p.display_name {
                text(v, &at("display_name"), n, 0, 64);
                if n.contains('"') || n.contains('\\') {
                    v.push(at("display_name"), "must not contain `\"` or `\\`");
                }
            }
            if let Some(u) = &p.auth_user {
                let ok = !u.is_empty()
                    && u.len() <= 64
                    && u.chars()
                        .all(|c| c.is_ascii_graphic() && !"@:\"<>;".contains(c));
                if !ok {
                    v.push(
                        at("auth_user"),
                        "1..=64 visible ASCII characters, none of @ : \" < > ;",
                    );
                }
            }
            match &p.password {
                Some(pw) => secret(v, &at("password"), pw, 1),
                None if p.enabled && self.registering() => v.push(
                    at("password"),
                    "this port registers with sip.servers and needs a password \
                     (there are no default passwords)",
                ),
                None => {}
            }
            self.check_port_media(v, i, p);
            self.check_port_dialing(v, i, p, dial_plan);
        }
    }

    fn check_port_media(&self, v: &mut ConfigErrors, i: usize, p: &Port) {
        let at = |f: &str| format!("ports[{i}].{f}");
        if p.codecs.is_empty() {
            v.push(at("codecs"), "name at least one codec");
        }
        if p.codecs.len() > Codec::ALL.len() {
            v.push(
                at("codecs"),
                format!(
                    "{} entries; there are {} codecs",
                    p.codecs.len(),
                    Codec::ALL.len()
                ),
            );
        }
        for (j, c) in p.codecs.iter().enumerate().take(Codec::ALL.len()) {
            if p.codecs[..j].contains(c) {
                v.push(
                    format!("ports[{i}].codecs[{j}]"),
                    format!("{} listed twice", c.name()),
                );
            }
        }
        for (f, g) in [("gain_tx_db", p.gain_tx_db), ("gain_rx_db", p.gain_rx_db)] {
            if !(-12..=12).contains(&g) {
                v.push(at(f), format!("{g} dB is outside -12..=12"));
            }
        }
        if p.echo_tail_ms != 0 && !(8..=128).contains(&p.echo_tail_ms) {
            v.push(
                at("echo_tail_ms"),
                format!("{} ms is outside 8..=128 (0 turns it off)", p.echo_tail_ms),
            );
        }
        let t = &p.fax.t38;
        if ![2400, 4800, 7200, 9600, 12_000, 14_400].contains(&t.max_bit_rate) {
            v.push(
                at("fax.t38.max_bit_rate"),
                format!(
                    "{} bit/s is not a fax modem rate (2400, 4800, 7200, 9600, 12000, 14400)",
                    t.max_bit_rate
                ),
            );
        }
        if t.high_speed_redundancy > 3 {
            v.push(
                at("fax.t38.high_speed_redundancy"),
                format!("{} is outside 0..=3", t.high_speed_redundancy),
            );
        }
        if t.low_speed_redundancy > 5 {
            v.push(
                at("fax.t38.low_speed_redundancy"),
                format!("{} is outside 0..=5", t.low_speed_redundancy),
            );
        }
        if !(100..=1400).contains(&t.max_datagram) {
            v.push(
                at("fax.t38.max_datagram"),
                format!("{} bytes is outside 100..=1400", t.max_datagram),
            );
        }
        if p.fax.passthrough_redundancy > 5 {
            v.push(
                at("fax.passthrough_redundancy"),
                format!("{} is outside 0..=5", p.fax.passthrough_redundancy),
            );
        }
        if !(20..=200).contains(&p.fax.jitter_ms) {
            v.push(
                at("fax.jitter_ms"),
                format!("{} ms is outside 20..=200", p.fax.jitter_ms),
            );
        }
    }

    fn check_port_dialing(
        &self,
        v: &mut ConfigErrors,
        i: usize,
        p: &Port,
        dial_plan: &dyn Fn(&str) -> Result<(), String>,
    ) {
        let at = |f: &str| format!("ports[{i}].{f}");
        let dp = &p.dial_plan;
        if dp.trim().is_empty() || dp.len() > MAX_DIAL_PLAN_LEN || dp.chars().any(char::is_control)
        {
            v.push(
                at("dial_plan"),
                format!("1..={MAX_DIAL_PLAN_LEN} bytes without control characters"),
            );
        } else if let Err(m) = dial_plan(dp) {
            v.push(at("dial_plan"), m);
        }
        if let Some(h) = &p.hotline {
            if let Err(m) = number(&h.number) {
                v.push(at("hotline.number"), m);
            }
            if h.delay_s > MAX_WARMLINE_DELAY_S {
                v.push(
                    at("hotline.delay_s"),
                    format!(
                        "a warmline delay of {} s is past the line's 15 s first-digit timer \
                         (0 = hotline, 1..={MAX_WARMLINE_DELAY_S} = warmline)",
                        h.delay_s
                    ),
                );
            }
        }
        if p.speed_dial.len() > MAX_SPEED_DIAL {
            v.push(
                at("speed_dial"),
                format!("{} entries; at most {MAX_SPEED_DIAL}", p.speed_dial.len()),
            );
        }
        for (code, target) in p.speed_dial.iter().take(MAX_SPEED_DIAL) {
            let path = format!("ports[{i}].speed_dial[{}]", json_key(code));
            if code.is_empty() || code.len() > 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
                v.push(path.clone(), "a speed-dial code is one or two digits");
            }
            if let Err(m) = number(target) {
                v.push(path, m);
            }
        }
        let f = &p.features.forward;
        for (name, target) in [
            ("all", &f.all),
            ("busy", &f.busy),
            ("no_answer", &f.no_answer),
        ] {
            if let Some(t) = target {
                let path = at(&format!("features.forward.{name}"));
                if let Err(m) = number(t) {
                    v.push(path, m);
                } else if *t == p.extension {
                    v.push(path, "forwards the port to itself");
                }
            }
        }
        if !(5..=300).contains(&f.no_answer_timeout_s) {
            v.push(
                at("features.forward.no_answer_timeout_s"),
                format!("{} s is outside 5..=300", f.no_answer_timeout_s),
            );
        }
    }

    fn check_emergency(&self, v: &mut ConfigErrors) {
        let e = &self.emergency_numbers;
        if e.len() > MAX_EMERGENCY_NUMBERS {
            v.push(
                "emergency_numbers",
                format!("{} numbers; at most {MAX_EMERGENCY_NUMBERS}", e.len()),
            );
        }
        for (i, n) in e.iter().enumerate().take(MAX_EMERGENCY_NUMBERS) {
            let path = format!("emergency_numbers[{i}]");
            if let Err(m) = digits(n, MAX_EXTENSION_LEN) {
                v.push(path, m);
            } else if e[..i].contains(n) {
                v.push(path, "listed twice");
            }
        }
    }

    fn check_management(&self, v: &mut ConfigErrors) {
        let m = &self.management;
        socket_addr(v, "management.http_listen", &m.http_listen);
        if let Some(s) = &m.syslog {
            let port_ok = s
                .server
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
            if !port_ok || s.server.len() > 261 {
                v.push("management.syslog.server", "host:port of the collector");
            }
            if s.facility > 23 {
                v.push(
                    "management.syslog.facility",
                    format!("{} is outside 0..=23", s.facility),
                );
            }
            if s.transport == crate::model::SyslogTransport::Tls && s.ca_file.is_none() {
                v.push(
                    "management.syslog.ca_file",
                    "TLS needs the CA file the collector's certificate chains to",
                );
            }
        }
        let a = &m.access;
        for (name, list) in [
            ("admin", &a.admin),
            ("snmp", &a.snmp),
            ("connection_request", &a.connection_request),
            ("sip", &a.sip),
        ] {
            for (i, c) in list.iter().enumerate().take(64) {
                match cidr(c) {
                    Err(e) => v.push(format!("management.access.{name}[{i}]"), e),
                    Ok((ip, len)) if !host_bits_clear(ip, len) => v.push(
                        format!("management.access.{name}[{i}]"),
                        format!("`{}` has host bits set after the prefix", shown(c)),
                    ),
                    Ok(_) => {}
                }
            }
            if list.len() > 64 {
                v.push(format!("management.access.{name}"), "at most 64");
            }
        }
        if a.block_s > 86_400 {
            v.push("management.access.block_s", "at most 86400 (a day)");
        }
        if let Some(a) = &m.admin {
            socket_addr(v, "management.admin.listen", &a.listen);
            if a.cert_file.is_some() != a.key_file.is_some() {
                v.push(
                    "management.admin.cert_file",
                    "give both cert_file and key_file, or neither (a self-signed certificate)",
                );
            }
        }
        if let Some(c) = &m.cwmp {
            if !c.acs_url.is_empty() && !valid_acs_url(&c.acs_url) {
                v.push(
                    "management.cwmp.acs_url",
                    "an http:// or https:// URL with a host, at most 256 characters (or empty)",
                );
            }
            if let Some(u) = &c.username {
                text(v, "management.cwmp.username", u, 1, 256);
            }
            match (&c.username, &c.password) {
                (Some(_), None) => v.push(
                    "management.cwmp.password",
                    "needed with management.cwmp.username (there are no default passwords)",
                ),
                (None, Some(_)) => v.push(
                    "management.cwmp.username",
                    "needed with management.cwmp.password",
                ),
                (_, Some(pw)) => secret(v, "management.cwmp.password", pw, 1),
                (None, None) => {}
            }
            if !(30..=604_800).contains(&c.periodic_inform_interval_s) {
                v.push(
                    "management.cwmp.periodic_inform_interval_s",
                    format!("{} s is outside 30..=604800", c.periodic_inform_interval_s),
                );
            }
        }
        text(
            v,
            "management.provisioning_code",
            &m.provisioning_code,
            0,
            MAX_PROVISIONING_CODE_LEN,
        );
        if m.firmware_health_check_s > 86_400 {
            v.push(
                "management.firmware_health_check_s",
                format!("{} s is over a day (86400)", m.firmware_health_check_s),
            );
        }
        if let Some(s) = &m.snmp {
            socket_addr(v, "management.snmp.listen", &s.listen);
            if s.communities.len() > MAX_SNMP_ENTRIES {
                v.push(
                    "management.snmp.communities",
                    format!("at most {MAX_SNMP_ENTRIES}"),
                );
            }
            for (i, c) in s.communities.iter().enumerate().take(MAX_SNMP_ENTRIES) {
                let path = format!("management.snmp.communities[{i}]");
                secret(v, &path, c, 1);
                let well_known = ["public", "private"]
                    .iter()
                    .any(|w| c.expose().eq_ignore_ascii_case(w));
                if well_known {
                    v.push(
                        path,
                        "a well-known default community is refused (there are no default \
                         passwords)",
                    );
                } else if s.communities[..i].contains(c) {
                    v.push(path, "listed twice");
                }
            }
            if s.v3_users.len() > MAX_SNMP_ENTRIES {
                v.push(
                    "management.snmp.v3_users",
                    format!("at most {MAX_SNMP_ENTRIES}"),
                );
            }
            for (i, u) in s.v3_users.iter().enumerate().take(MAX_SNMP_ENTRIES) {
                let at = |f: &str| format!("management.snmp.v3_users[{i}].{f}");
                text(v, &at("name"), &u.name, 1, 32);
                if s.v3_users[..i].iter().any(|o| o.name == u.name) {
                    v.push(at("name"), "listed twice");
                }
                // RFC 3414 §11.2: pass phrases of at least 8 characters.
                match (&u.auth_protocol, &u.auth_password) {
                    (crate::SnmpAuth::None, None) => {}
                    (crate::SnmpAuth::None, Some(_)) => v.push(
                        at("auth_password"),
                        "a password without an auth_protocol (set one, or remove the password)",
                    ),
                    (_, None) => {
                        v.push(at("auth_password"), "needed unless auth_protocol is `none`")
                    }
                    (_, Some(pw)) => secret(v, &at("auth_password"), pw, 8),
                }
                match (&u.priv_protocol, &u.priv_password) {
                    (crate::SnmpPriv::None, _) => {}
                    // RFC 3414 §3.1.2.2: privacy needs authentication.
                    _ if u.auth_protocol == crate::SnmpAuth::None => v.push(
                        at("priv_protocol"),
                        "privacy needs authentication (RFC 3414): set auth_protocol",
                    ),
                    (crate::SnmpPriv::Des, _) if !s.allow_des => v.push(
                        at("priv_protocol"),
                        "DES is weak and off unless management.snmp.allow_des is true",
                    ),
                    (_, None) => {
                        v.push(at("priv_password"), "needed unless priv_protocol is `none`")
                    }
                    (_, Some(pw)) => secret(v, &at("priv_password"), pw, 8),
                }
            }
            for (i, c) in s.community_sources.iter().enumerate().take(64) {
                if let Err(e) = cidr(c) {
                    v.push(format!("management.snmp.community_sources[{i}]"), e);
                }
            }
            if s.community_sources.len() > 64 {
                v.push("management.snmp.community_sources", "at most 64");
            }
            if s.notification_targets.len() > MAX_SNMP_ENTRIES {
                v.push(
                    "management.snmp.notification_targets",
                    format!("at most {MAX_SNMP_ENTRIES}"),
                );
            }
            let targets = s.notification_targets.iter().enumerate();
            for (i, t) in targets.take(MAX_SNMP_ENTRIES) {
                let at = |f: &str| format!("management.snmp.notification_targets[{i}].{f}");
                socket_addr(v, &at("address"), &t.address);
                match (&t.community, &t.user) {
                    (Some(c), None) => secret(v, &at("community"), c, 1),
                    (None, Some(u)) => {
                        if !s.v3_users.iter().any(|x| &x.name == u) {
                            v.push(at("user"), format!("`{}` is not one of v3_users", shown(u)));
                        }
                    }
                    _ => v.push(
                        format!("management.snmp.notification_targets[{i}]"),
                        "needs either a community (SNMPv2c) or a user (SNMPv3)",
                    ),
                }
                if !(1..=60).contains(&t.timeout_s) {
                    v.push(at("timeout_s"), "outside 1..=60");
                }
                if t.retries > 10 {
                    v.push(at("retries"), "at most 10");
                }
            }
            text(v, "management.snmp.contact", &s.contact, 0, 255);
            text(v, "management.snmp.location", &s.location, 0, 255);
            if s.quality_low_mos_x10 > 45 {
                v.push(
                    "management.snmp.quality_low_mos_x10",
                    "MOS × 10 above 45 would flag every call",
                );
            }
        }
    }
}

/// An IP network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32
/// or /128).
pub fn cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("`{}` is not an IP network (CIDR)", shown(s)))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| format!("`{}`: prefix length outside 0..={max}", shown(s)))?,
    };
    Ok((ip, len))
}

/// Whether the bits of `ip` after the first `len` are all zero.
fn host_bits_clear(ip: IpAddr, len: u8) -> bool {
    let (bits, width) = match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host = u32::from(width - len.min(width));
    match 1u128.checked_shl(host) {
        _ if host == 0 => true,
        Some(m) => bits & (m - 1) == 0,
        None => bits == 0, // a /0 of IPv6
    }
}

/// A value echoed in a message: cut short and with control characters escaped, so a
/// hostile document cannot flood or forge log lines.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A map key as it appears in a path: `"5"` (JSON string syntax).
fn json_key(k: &str) -> String {
    serde_json::Value::String(shown(k)).to_string()
}

/// Free text: `min..=max` characters, no control characters.
fn text(v: &mut ConfigErrors, path: &str, s: &str, min: usize, max: usize) {
    let n = s.chars().count();
    if n < min || n > max {
        v.push(path, format!("{n} characters; must be {min}..={max}"));
    } else if s.chars().any(char::is_control) {
        v.push(path, "must not contain control characters");
    }
}

/// A secret: `min..=MAX_SECRET_LEN` bytes, no control characters. Messages never show it.
fn secret(v: &mut ConfigErrors, path: &str, s: &Secret, min: usize) {
    if s.len() < min || s.len() > MAX_SECRET_LEN {
        v.push(
            path,
            format!("must be {min}..={MAX_SECRET_LEN} bytes (value not shown)"),
        );
    } else if s.expose().chars().any(char::is_control) {
        v.push(
            path,
            "must not contain control characters (value not shown)",
        );
    }
}

/// One to `max` decimal digits.
fn digits(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        Err(format!("`{}` is not 1..={max} digits", shown(s)))
    } else {
        Ok(())
    }
}

/// A dialable number: digits, `*`, `#`, and `+` only in front.
fn number(s: &str) -> Result<(), String> {
    let body = s.strip_prefix('+').unwrap_or(s);
    let ok = !body.is_empty()
        && s.len() <= MAX_NUMBER_LEN
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a dialable number (digits, * and #, + only in front, \
             at most {MAX_NUMBER_LEN})",
            shown(s)
        ))
    }
}

/// `ip:port` (an IPv6 address in brackets).
fn socket_addr(v: &mut ConfigErrors, path: &str, s: &str) {
    if s.parse::<SocketAddr>().is_err() {
        v.push(
            path,
            format!(
                "`{}` is not an ip:port address (IPv6 as [addr]:port)",
                shown(s)
            ),
        );
    }
}

/// A host: an IPv4 address, an IPv6 address in brackets, or a DNS name
/// (RFC 1123 §2.1 labels: letters, digits and `-`, 1..=63 each, 253 in all).
fn host(h: &str) -> Result<(), String> {
    if let Some(inner) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("`{}` is not an IPv6 address", shown(inner)));
    }
    if h.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let name = h.strip_suffix('.').unwrap_or(h);
    let labels_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    // A name made of digits and dots only is a malformed IPv4 address, not a host name.
    let numeric = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if labels_ok && !numeric {
        Ok(())
    } else {
        Err(format!("`{}` is not a host name or IP address", shown(h)))
    }
}

/// `host[:port]` (`port` required when `need_port`), IPv6 literals in brackets.
fn host_port(s: &str, need_port: bool) -> Result<(), String> {
    let (h, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(end) => {
                let (h, rest) = s.split_at(end + 1);
                match rest {
                    "" => (h, None),
                    _ => match rest.strip_prefix(':') {
                        Some(p) => (h, Some(p)),
                        None => return Err(format!("`{}`: text after `]` is not :port", shown(s))),
                    },
                }
            }
            None => return Err(format!("`{}`: no closing `]`", shown(s))),
        }
    } else if s.parse::<Ipv6Addr>().is_ok() {
        return Err(format!(
            "`{}`: write an IPv6 address in brackets, [addr] or [addr]:port",
            shown(s)
        ));
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    host(h)?;
    match port {
        None if need_port => Err(format!("`{}` needs a :port", shown(s))),
        None => Ok(()),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            _ => Err(format!("`{}`: the port must be 1..=65535", shown(s))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cwmp, Hotline, PeerGateway, Snmp, SnmpV3User};
    use crate::SnmpPriv;

    /// The example with passwords set: valid.
    fn good() -> GatewayConfig {
        let mut c = GatewayConfig::example(4);
        for (i, p) in c.ports.iter_mut().enumerate() {
            p.password = Some(Secret::new(format!("s3cret-{i}")));
        }
        c
    }

    /// Apply `change` to a valid document and expect an error at exactly `path`.
    #[track_caller]
    fn fails_at(path: &str, change: impl FnOnce(&mut GatewayConfig)) {
        let mut c = good();
        change(&mut c);
        let e = c.validate().expect_err("the change must be refused");
        assert!(e.has_path(path), "no error at `{path}`; got: {e}");
    }

    #[test]
    fn example_with_passwords_is_valid() {
        good().validate().unwrap();
    }

    /// No default passwords: the example lacks exactly the ports' passwords.
    #[test]
    fn example_lacks_only_passwords() {
        let e = GatewayConfig::example(3).validate().unwrap_err();
        let paths: Vec<_> = e.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "ports[0].password",
                "ports[1].password",
                "ports[2].password"
            ]
        );
        assert!(e.to_string().contains("no default passwords"));
    }

    #[test]
    fn lab_mode_and_disabled_ports_need_no_password() {
        let mut c = GatewayConfig::example(2);
        c.sip.servers.clear();
        c.validate().unwrap();
        let mut c = GatewayConfig::example(2);
        c.sip.register = false;
        c.validate().unwrap();
        let mut c = GatewayConfig::example(2);
        for p in &mut c.ports {
            p.enabled = false;
        }
        c.validate().unwrap();
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut c = good();
        c.device.country = "xx".into();
        c.ports[1].extension = "1a".into();
        c.ports[3].echo_tail_ms = 500;
        c.sip.servers.push("bad host".into());
        let e = c.validate().unwrap_err();
        for p in [
            "device.country",
            "ports[1].extension",
            "ports[3].echo_tail_ms",
            "sip.servers[1]",
        ] {
            assert!(e.has_path(p), "{p} missing from {e}");
        }
        assert_eq!(e.errors().len(), 4, "{e}");
    }

    #[test]
    fn device_rules() {
        fails_at("schema_version", |c| c.schema_version = 2);
        fails_at("device.name", |c| c.device.name.clear());
        fails_at("device.name", |c| c.device.name = "x".repeat(65));
        fails_at("device.name", |c| c.device.name = "a\nb".into());
        fails_at("device.country", |c| c.device.country = "US".into());
        fails_at("device.time_zone", |c| {
            c.device.time_zone = Some("Europe Berlin".into())
        });
        let mut c = good();
        c.device.time_zone = Some("CET-1CEST,M3.5.0,M10.5.0/3".into());
        c.validate().unwrap();
    }

    #[test]
    fn sip_server_formats() {
        for ok in [
            "pbx.example.net",
            "pbx.example.net:5080",
            "192.0.2.1",
            "192.0.2.1:5060",
            "[2001:db8::1]",
            "[2001:db8::1]:5061",
        ] {
            let mut c = good();
            c.sip.servers = vec![ok.into()];
            c.validate().unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            "pbx..example",
            "-pbx.example",
            "pbx.example:0",
            "pbx.example:70000",
            "pbx.example:+5",
            "2001:db8::1",
            "[2001:db8::1",
            "[zz]:5060",
            "999.1.1.1",
            "host name",
            "pbx_example.net",
        ] {
            fails_at("sip.servers[0]", |c| c.sip.servers = vec![bad.into()]);
        }
        fails_at("sip.servers[1]", |c| {
            c.sip.servers = vec!["a.example".into(), "a.example".into()]
        });
        fails_at("sip.servers", |c| {
            c.sip.servers = (0..9).map(|i| format!("s{i}.example")).collect()
        });
    }

    #[test]
    fn sip_rules() {
        fails_at("sip.domain", |c| c.sip.domain = "not a domain".into());
        fails_at("sip.listen", |c| c.sip.listen = "0.0.0.0".into());
        fails_at("sip.registration_expiry_s", |c| {
            c.sip.registration_expiry_s = 10
        });
        fails_at("sip.keepalive_s", |c| c.sip.keepalive_s = 2);
        fails_at("sip.tls.client_key", |c| {
            c.sip.tls.client_cert = Some("/etc/c.pem".into())
        });
        fails_at("sip.tls.client_cert", |c| {
            c.sip.tls.client_key = Some("/etc/k.pem".into())
        });
        fails_at("sip.tls.ca_file", |c| {
            c.sip.tls.ca_file = Some(String::new())
        });
        fails_at("sip.tls.server_name", |c| {
            c.sip.tls.server_name = Some("a b".into())
        });
        fails_at("sip.rtp_port_base", |c| c.sip.rtp_port_base = 10001);
        fails_at("sip.rtp_port_base", |c| c.sip.rtp_port_base = 500);
        fails_at("sip.rtp_port_base", |c| c.sip.rtp_port_base = 65_530);
        let mut c = good();
        c.sip.rtp_port_base = 16_384;
        c.validate().unwrap();
    }

    /// RFC 4568 §8.3: SDES keys need a secure signalling channel.
    #[test]
    fn mandatory_srtp_needs_tls() {
        fails_at("sip.srtp", |c| c.sip.srtp = SrtpPolicy::Mandatory);
        let mut c = good();
        c.sip.srtp = SrtpPolicy::Mandatory;
        c.sip.transport = Transport::Tls;
        c.validate().unwrap();
    }

    #[test]
    fn peer_rules() {
        let peer = |name: &str, address: &str, prefix: &str| PeerGateway {
            name: name.into(),
            address: address.into(),
            prefix: prefix.into(),
        };
        let mut c = good();
        c.sip.peers = vec![peer("branch-a", "192.0.2.7:5060", "2")];
        c.validate().unwrap();
        fails_at("sip.peers[0].address", |c| {
            c.sip.peers = vec![peer("a", "192.0.2.7", "2")]
        });
        fails_at("sip.peers[0].name", |c| {
            c.sip.peers = vec![peer("a b", "h.example:5060", "2")]
        });
        fails_at("sip.peers[0].prefix", |c| {
            c.sip.peers = vec![peer("a", "h.example:5060", "2x")]
        });
        fails_at("sip.peers[1].prefix", |c| {
            c.sip.peers = vec![
                peer("a", "h.example:5060", "2"),
                peer("b", "h.example:5060", "2"),
            ]
        });
        fails_at("sip.peers[1].name", |c| {
            c.sip.peers = vec![
                peer("a", "h.example:5060", "2"),
                peer("a", "h.example:5060", "3"),
            ]
        });
    }

    #[test]
    fn port_count_bounds() {
        fails_at("ports", |c| c.ports.clear());
        fails_at("ports", |c| {
            c.ports = (0..49)
                .map(|i| crate::Port::new((100 + i).to_string()))
                .collect();
            c.sip.servers.clear();
        });
        let mut c = GatewayConfig::example(48);
        c.sip.servers.clear();
        c.validate().unwrap();
    }

    #[test]
    fn port_identity_rules() {
        fails_at("ports[0].extension", |c| c.ports[0].extension = "".into());
        fails_at("ports[0].extension", |c| {
            c.ports[0].extension = "1".repeat(16)
        });
        fails_at("ports[2].extension", |c| {
            c.ports[2].extension = "101".into()
        });
        fails_at("ports[3].extension", |c| {
            c.ports[2].extension = "101".into();
            c.ports[3].extension = "101".into();
        });
        fails_at("ports[0].display_name", |c| {
            c.ports[0].display_name = Some("a\"b".into())
        });
        fails_at("ports[0].display_name", |c| {
            c.ports[0].display_name = Some("é".repeat(65))
        });
        fails_at("ports[0].auth_user", |c| {
            c.ports[0].auth_user = Some("a@b".into())
        });
        fails_at("ports[0].password", |c| {
            c.ports[0].password = Some(Secret::new(""))
        });
        fails_at("ports[0].password", |c| {
            c.ports[0].password = Some(Secret::new("x".repeat(129)))
        });
        fails_at("ports[1].password", |c| c.ports[1].password = None);
    }

    #[test]
    fn port_media_rules() {
        fails_at("ports[0].codecs", |c| c.ports[0].codecs.clear());
        fails_at("ports[0].codecs[2]", |c| {
            c.ports[0].codecs = vec![Codec::Pcma, Codec::G722, Codec::Pcma]
        });
        // Bounded: a huge list is one error, found fast.
        let mut c = good();
        c.ports[0].codecs = vec![Codec::Pcmu; 100_000];
        let e = c.validate().unwrap_err();
        assert!(
            e.has_path("ports[0].codecs") && e.errors().len() < 10,
            "{e}"
        );
        fails_at("ports[0].gain_tx_db", |c| c.ports[0].gain_tx_db = 13);
        fails_at("ports[0].gain_rx_db", |c| c.ports[0].gain_rx_db = -13);
        fails_at("ports[0].echo_tail_ms", |c| c.ports[0].echo_tail_ms = 4);
        fails_at("ports[0].fax.t38.max_bit_rate", |c| {
            c.ports[0].fax.t38.max_bit_rate = 14_000
        });
        fails_at("ports[1].fax.t38.high_speed_redundancy", |c| {
            c.ports[1].fax.t38.high_speed_redundancy = 4
        });
        fails_at("ports[0].fax.t38.low_speed_redundancy", |c| {
            c.ports[0].fax.t38.low_speed_redundancy = 6
        });
        fails_at("ports[0].fax.t38.max_datagram", |c| {
            c.ports[0].fax.t38.max_datagram = 50
        });
        fails_at("ports[0].fax.jitter_ms", |c| c.ports[0].fax.jitter_ms = 500);
        fails_at("ports[0].fax.passthrough_redundancy", |c| {
            c.ports[0].fax.passthrough_redundancy = 6
        });
        let mut c = good();
        c.ports[0].echo_tail_ms = 0;
        c.ports[0].codecs = Codec::ALL.to_vec();
        c.validate().unwrap();
    }

    #[test]
    fn port_dialing_rules() {
        fails_at("ports[0].dial_plan", |c| c.ports[0].dial_plan = " ".into());
        fails_at("ports[0].dial_plan", |c| {
            c.ports[0].dial_plan = "x".repeat(1025)
        });
        fails_at("ports[0].hotline.number", |c| {
            c.ports[0].hotline = Some(Hotline {
                number: "12a".into(),
                delay_s: 0,
            })
        });
        // The warmline must fire before the first-digit timer (15 s).
        fails_at("ports[0].hotline.delay_s", |c| {
            c.ports[0].hotline = Some(Hotline {
                number: "911".into(),
                delay_s: 15,
            })
        });
        fails_at("ports[0].speed_dial[\"123\"]", |c| {
            c.ports[0].speed_dial.insert("123".into(), "5551234".into());
        });
        fails_at("ports[0].speed_dial[\"5\"]", |c| {
            c.ports[0].speed_dial.insert("5".into(), "55-12".into());
        });
        fails_at("ports[0].speed_dial", |c| {
            c.ports[0].speed_dial = (0..101).map(|i| (i.to_string(), "1".into())).collect();
        });
        fails_at("ports[0].features.forward.all", |c| {
            c.ports[0].features.forward.all = Some("101".into())
        });
        fails_at("ports[0].features.forward.busy", |c| {
            c.ports[0].features.forward.busy = Some("+".into())
        });
        fails_at("ports[0].features.forward.no_answer_timeout_s", |c| {
            c.ports[0].features.forward.no_answer_timeout_s = 1
        });
        let mut c = good();
        c.ports[0].hotline = Some(Hotline {
            number: "+15551234".into(),
            delay_s: 5,
        });
        c.ports[0].speed_dial.insert("2".into(), "*69".into());
        c.ports[0].features.forward.no_answer = Some("102".into());
        c.validate().unwrap();
    }

    #[test]
    fn dial_plan_hook_lands_at_the_port() {
        let c = good();
        let check = |s: &str| {
            if s.contains("1xx") {
                Err("bad pattern `1xx`".to_string())
            } else {
                Ok(())
            }
        };
        let e = c.validate_with(&check).unwrap_err();
        assert_eq!(e.errors().len(), 4);
        assert_eq!(e.errors()[2].path, "ports[2].dial_plan");
        assert!(e.errors()[2].message.contains("bad pattern"));
    }

    #[test]
    fn emergency_rules() {
        fails_at("emergency_numbers[0]", |c| {
            c.emergency_numbers = vec!["9-1-1".into()]
        });
        fails_at("emergency_numbers[1]", |c| {
            c.emergency_numbers = vec!["112".into(), "112".into()]
        });
        fails_at("emergency_numbers", |c| {
            c.emergency_numbers = (0..9).map(|i| format!("11{i}")).collect()
        });
    }

    fn cwmp() -> Cwmp {
        Cwmp {
            acs_url: "https://acs.example.net/cwmp".into(),
            username: Some("cpe".into()),
            password: Some(Secret::new("acs-secret")),
            periodic_inform_interval_s: 3600,
        }
    }

    fn snmp() -> Snmp {
        Snmp {
            listen: "0.0.0.0:161".into(),
            communities: vec![Secret::new("n0t-public")],
            community_sources: vec!["10.0.0.0/8".into(), "2001:db8::/32".into()],
            v3_users: vec![SnmpV3User {
                name: "ops".into(),
                auth_protocol: crate::SnmpAuth::Sha256,
                auth_password: Some(Secret::new("authpass1")),
                priv_protocol: SnmpPriv::Aes128,
                priv_password: Some(Secret::new("privpass1")),
                write: false,
            }],
            notification_targets: vec![crate::SnmpTarget {
                address: "192.0.2.1:162".into(),
                kind: crate::SnmpNotifyKind::Inform,
                community: None,
                user: Some("ops".into()),
                timeout_s: 1,
                retries: 3,
            }],
            ..Snmp::default()
        }
    }

    /// TR-069 Amendment 6 §3.1: the document may name no ACS (DHCP or the agent's
    /// `--factory-acs-url` does); an empty URL is no URL, whatever its source says.
    #[test]
    fn acs_url_source_and_provisioning_code() {
        let mut c = good();
        c.management.cwmp = Some(Cwmp {
            acs_url: String::new(),
            ..cwmp()
        });
        c.validate().unwrap();
        c.management.acs_url_source = crate::AcsUrlSource::Acs;
        c.validate().unwrap();
        c.management.cwmp = None;
        c.management.acs_url_source = crate::AcsUrlSource::Local;
        c.validate().unwrap();
        c.management.acs_url_source = crate::AcsUrlSource::Factory;
        c.management.provisioning_code = "claim-7Q4K-99XF".into();
        c.validate().unwrap();
        fails_at("management.provisioning_code", |c| {
            c.management.provisioning_code = "x".repeat(MAX_PROVISIONING_CODE_LEN + 1)
        });
        fails_at("management.provisioning_code", |c| {
            c.management.provisioning_code = "a\nb".into()
        });
        fails_at("management.firmware_health_check_s", |c| {
            c.management.firmware_health_check_s = 86_401
        });
    }

    #[test]
    fn acs_urls() {
        for ok in [
            "http://acs",
            "https://acs.example.net:7547/cwmp",
            "http://[2001:db8::1]:7547/",
        ] {
            assert!(valid_acs_url(ok), "{ok}");
        }
        for bad in [
            "",
            "ftp://acs",
            "http://",
            "http:///x",
            "http://a b",
            "acs.example.net",
            "HTTP://ACS",
        ] {
            assert!(!valid_acs_url(bad), "{bad}");
        }
    }

    #[test]
    fn management_rules() {
        let mut c = good();
        c.management.cwmp = Some(cwmp());
        c.management.snmp = Some(snmp());
        c.validate().unwrap();
        fails_at("management.http_listen", |c| {
            c.management.http_listen = "localhost".into()
        });
        let syslog = |server: &str| crate::Syslog {
            server: server.into(),
            transport: crate::SyslogTransport::Udp,
            ca_file: None,
            server_name: None,
            facility: 16,
            level: crate::SyslogLevel::Info,
        };
        fails_at("management.access.sip[1]", |c| {
            c.management.access.sip = vec!["10.0.0.0/8".into(), "10.0.0.1/8".into()]
        });
        fails_at("management.access.admin[0]", |c| {
            c.management.access.admin = vec!["10.0.0.0/33".into()]
        });
        fails_at("management.access.snmp[0]", |c| {
            c.management.access.snmp = vec!["::1/0".into()]
        });
        fails_at("management.access.connection_request[0]", |c| {
            c.management.access.connection_request = vec!["not an address".into()]
        });
        fails_at("management.syslog.server", |c| {
            c.management.syslog = Some(syslog("logs.example.net"))
        });
        fails_at("management.syslog.facility", |c| {
            c.management.syslog = Some(crate::Syslog {
                facility: 24,
                ..syslog("logs:514")
            })
        });
        fails_at("management.syslog.ca_file", |c| {
            c.management.syslog = Some(crate::Syslog {
                transport: crate::SyslogTransport::Tls,
                ..syslog("logs:6514")
            })
        });
        fails_at("management.admin.listen", |c| {
            c.management.admin = Some(crate::AdminPages {
                listen: "everywhere".into(),
                ..Default::default()
            })
        });
        fails_at("management.admin.cert_file", |c| {
            c.management.admin = Some(crate::AdminPages {
                cert_file: Some("/etc/tipring/admin.pem".into()),
                ..Default::default()
            })
        });
        let with = |f: fn(&mut Cwmp)| {
            move |c: &mut GatewayConfig| {
                let mut w = cwmp();
                f(&mut w);
                c.management.cwmp = Some(w);
            }
        };
        fails_at(
            "management.cwmp.acs_url",
            with(|w| w.acs_url = "ftp://x".into()),
        );
        fails_at(
            "management.cwmp.acs_url",
            with(|w| w.acs_url = "https:///x".into()),
        );
        fails_at(
            "management.cwmp.acs_url",
            with(|w| w.acs_url = "http://?x".into()),
        );
        fails_at(
            "management.cwmp.acs_url",
            with(|w| w.acs_url = format!("https://{}", "a".repeat(MAX_ACS_URL_LEN))),
        );
        fails_at("management.cwmp.password", with(|w| w.password = None));
        fails_at("management.cwmp.username", with(|w| w.username = None));
        fails_at(
            "management.cwmp.periodic_inform_interval_s",
            with(|w| w.periodic_inform_interval_s = 1),
        );
        let with = |f: fn(&mut Snmp)| {
            move |c: &mut GatewayConfig| {
                let mut s = snmp();
                f(&mut s);
                c.management.snmp = Some(s);
            }
        };
        fails_at("management.snmp.listen", with(|s| s.listen = "x".into()));
        fails_at(
            "management.snmp.communities[0]",
            with(|s| s.communities = vec![Secret::new("Public")]),
        );
        fails_at(
            "management.snmp.communities[0]",
            with(|s| s.communities = vec![Secret::new("")]),
        );
        // RFC 3414 §11.2: pass phrases of at least 8 characters.
        fails_at(
            "management.snmp.v3_users[0].auth_password",
            with(|s| s.v3_users[0].auth_password = Some(Secret::new("short"))),
        );
        fails_at(
            "management.snmp.v3_users[0].auth_password",
            with(|s| s.v3_users[0].auth_password = None),
        );
        // RFC 3414 §3.1.2.2: no privacy without authentication.
        fails_at(
            "management.snmp.v3_users[0].priv_protocol",
            with(|s| {
                s.v3_users[0].auth_protocol = crate::SnmpAuth::None;
                s.v3_users[0].auth_password = None;
            }),
        );
        fails_at(
            "management.snmp.v3_users[0].priv_protocol",
            with(|s| s.v3_users[0].priv_protocol = SnmpPriv::Des),
        );
        fails_at(
            "management.snmp.community_sources[1]",
            with(|s| s.community_sources[1] = "10.0.0.0/33".into()),
        );
        fails_at(
            "management.snmp.notification_targets[0].user",
            with(|s| s.notification_targets[0].user = Some("nobody".into())),
        );
        fails_at(
            "management.snmp.notification_targets[0]",
            with(|s| s.notification_targets[0].user = None),
        );
        fails_at(
            "management.snmp.notification_targets[0].address",
            with(|s| s.notification_targets[0].address = "nms".into()),
        );
        let mut des = good();
        let mut sn = snmp();
        sn.allow_des = true;
        sn.v3_users[0].priv_protocol = SnmpPriv::Des;
        des.management.snmp = Some(sn);
        des.validate().unwrap();
        fails_at(
            "management.snmp.v3_users[0].priv_password",
            with(|s| s.v3_users[0].priv_password = None),
        );
        fails_at(
            "management.snmp.v3_users[1].name",
            with(|s| s.v3_users.push(s.v3_users[0].clone())),
        );
        fails_at(
            "management.snmp.v3_users[0].name",
            with(|s| s.v3_users[0].name = "u".repeat(33)),
        );
        let mut c = good();
        let mut s = snmp();
        s.v3_users[0].priv_protocol = SnmpPriv::None;
        s.v3_users[0].priv_password = None;
        c.management.snmp = Some(s);
        c.validate().unwrap();
    }

    /// Messages about secrets never carry the secret.
    #[test]
    fn errors_never_show_secrets() {
        let mut c = good();
        c.ports[0].password = Some(Secret::new(format!("pw\u{7}{}", "z".repeat(10))));
        let mut s = snmp();
        s.v3_users[0].auth_password = Some(Secret::new("hunter2"));
        s.communities = vec![Secret::new("private"), Secret::new("x\ny-community")];
        c.management.snmp = Some(s);
        let text = c.validate().unwrap_err().to_string();
        for leak in ["zzzzzzzzzz", "hunter2", "private", "y-community"] {
            assert!(!text.contains(leak), "`{leak}` leaked: {text}");
        }
        assert!(text.contains("ports[0].password"), "{text}");
    }

    /// Echoed values are cut and escaped: a hostile value cannot forge log lines.
    #[test]
    fn echoed_values_are_bounded_and_escaped() {
        let mut c = good();
        c.ports[0].extension = format!("1\n2{}", "3".repeat(1000));
        let text = c.validate().unwrap_err().to_string();
        assert!(!text.contains("1\n2"), "{text}");
        assert!(text.len() < 300, "{text}");
    }

    /// The country list matches tipring-dsp's tone plans (kept in sync by hand because this
    /// schema crate does not depend on the media crates).
    #[test]
    fn countries_match_the_tone_plans() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../media/dsp/src/tone/plans.rs"
        );
        let plans = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e} (did tipring-dsp's tone plans move?)"));
        let mut codes: Vec<&str> = plans
            .lines()
            .filter_map(|l| l.trim().strip_prefix("code: \""))
            .filter_map(|l| l.split('"').next())
            .collect();
        let mut known = KNOWN_COUNTRIES.to_vec();
        codes.sort_unstable();
        known.sort_unstable();
        assert_eq!(codes, known);
    }
}
