//! The pages, as HTML written here (no template engine, no script): every value that
//! comes from the device or the user goes through [`esc`].

use std::fmt::Write as _;

use tipring_status::{GatewayStatus, Hook, PortStatus};

use crate::view::{
    AccessCounters, AcsView, DeviceView, FirmwareSlot, TaskState, Uplink, MAX_CAPTURE_S,
    MAX_TEST_S, TEST_TONES,
};

/// HTML-escape text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet (served as `/style.css`: the pages carry no inline style, so the CSP
/// can forbid it).
pub const STYLE: &str = "\
:root{font-family:system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
body{margin:0}
header{background:#17324d;color:#fff;padding:.6rem 1rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff}
header .name{font-weight:600;margin-right:auto}
main{padding:1rem;max-width:72rem}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #c9ced6;padding:.35rem .5rem;text-align:left}
th{background:#e9edf2}
.card{background:#fff;border:1px solid #c9ced6;padding:1rem;max-width:26rem}
label{display:block;margin:.6rem 0 .2rem}
input{font:inherit;padding:.3rem;width:100%;box-sizing:border-box}
button{font:inherit;margin-top:.8rem;padding:.35rem .9rem}
.error{color:#a10000;font-weight:600}
.ok{color:#0a6b2b;font-weight:600}
.warn{background:#fff4d6;border:1px solid #d9a400;padding:.6rem;margin-bottom:1rem}
.running{color:#6b4a00;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.cards .card{flex:1 1 16rem}
select{font:inherit;padding:.3rem;width:100%}
table.facts{width:auto;min-width:26rem}
fieldset{border:1px solid #c9ced6;background:#fff;margin:0 0 1rem;padding:.6rem 1rem}
legend{font-weight:600}
.check{display:flex;gap:.5rem;align-items:center}
.check input{width:auto}
";

/// A whole page: `title`, the signed-in navigation (with the sign-out form carrying
/// `csrf`) when `nav` is given, and `body`.
pub fn page(device: &str, title: &str, nav: Option<&str>, body: &str) -> String {
    let mut h = String::with_capacity(body.len() + 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} — {}</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>\
         <header><span class=\"name\">{}</span>",
        esc(title),
        esc(device),
        esc(device)
    );
    if let Some(csrf) = nav {
        let _ = write!(
            h,
            "<nav><a href=\"/status\">Status</a> · <a href=\"/config\">Configuration</a> · <a href=\"/maintenance\">Maintenance</a> · <a href=\"/diagnostics\">Diagnostics</a> · <a href=\"/password\">Password</a></nav>\
             <form method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form>",
            esc(csrf)
        );
    }
    let _ = write!(
        h,
        "</header><main><h1>{}</h1>{body}</main></body></html>",
        esc(title)
    );
    h
}

/// An outcome line: `(true, text)` a confirmation, `(false, text)` an alert.
fn outcome(b: &mut String, msg: Option<(bool, &str)>) {
    if let Some((ok, m)) = msg {
        let _ = write!(
            b,
            "<p class=\"{}\" role=\"{}\">{}</p>",
            if ok { "ok" } else { "error" },
            if ok { "status" } else { "alert" },
            esc(m)
        );
    }
}

/// The sign-in form, with an error line if the last attempt failed.
pub fn signin(error: Option<&str>) -> String {
    let mut b = String::from("<div class=\"card\">");
    if let Some(e) = error {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    b.push_str(
        "<form method=\"post\" action=\"/signin\">\
         <label for=\"user\">User</label><input id=\"user\" name=\"user\" autocomplete=\"username\" value=\"admin\" required>\
         <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\">Sign in</button></form>\
         <p>First start: the password is printed once in the gateway's console log.</p></div>",
    );
    b
}

/// The password form (`first_start`: a reminder that the printed one must go).
pub fn password_form(csrf: &str, first_start: bool, msg: Option<(bool, &str)>) -> String {
    let mut b = String::new();
    if first_start {
        b.push_str(
            "<p class=\"warn\">This gateway still has its first-start password. Choose your own.</p>",
        );
    }
    b.push_str("<div class=\"card\">");
    outcome(&mut b, msg);
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/password\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"current\">Current password</label><input id=\"current\" name=\"current\" type=\"password\" autocomplete=\"current-password\" required>\
         <label for=\"new\">New password (10 or more characters, letters with digits or signs)</label><input id=\"new\" name=\"new\" type=\"password\" autocomplete=\"new-password\" required>\
         <label for=\"confirm\">New password again</label><input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" required>\
         <button type=\"submit\">Change password</button></form></div>",
        esc(csrf)
    );
    b
}

fn hook(h: Hook) -> &'static str {
    match h {
        Hook::On => "on hook",
        Hook::Off => "off hook",
    }
}

fn duration(s: u64) -> String {
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    if d > 0 {
        format!("{d} d {h} h {m} min")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {} s", s % 60)
    }
}

fn port_row(p: &PortStatus) -> String {
    let reg = &p.registration;
    let registration = format!(
        "{:?}{}",
        reg.state,
        reg.server
            .as_deref()
            .map(|s| format!(" with {s}"))
            .unwrap_or_default()
    )
    .to_lowercase();
    let call = match &p.call {
        None => "—".to_string(),
        Some(c) => {
            let mut t = format!(
                "{:?} {} · {} · {} s",
                c.direction,
                c.remote_number,
                if c.codec.is_empty() {
                    "no media"
                } else {
                    &c.codec
                },
                c.duration_s
            )
            .to_lowercase();
            if let Some(mos) = c.mos_lq {
                let _ = write!(t, " · MOS {mos:.2}");
            }
            let _ = write!(
                t,
                " · jitter {:.1} ms · lost {}",
                c.jitter_ms, c.packets_lost
            );
            t
        }
    };
    let state = if p.disabled {
        "disabled".to_string()
    } else if let Some(f) = &p.fault {
        format!("fault: {f}")
    } else {
        p.line_state.clone()
    };
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} in / {} out · fax {} sent, {} received</td></tr>",
        p.port,
        esc(&p.extension),
        hook(p.hook),
        esc(&state),
        esc(&registration),
        esc(&call),
        p.counters.calls_incoming,
        p.counters.calls_outgoing,
        p.counters.fax_sent,
        p.counters.fax_received,
    )
}

/// The status page's body: the ports, the uplink, the ACS, the firmware slots, SIP and
/// the access control's counters.
pub fn status(s: &GatewayStatus, d: &DeviceView) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Software {} · up {} · configuration version {}</p>",
        esc(&s.version),
        duration(s.uptime_s),
        esc(s.config_version.as_deref().unwrap_or("—"))
    );
    b.push_str(
        "<h2>Ports</h2><table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Extension</th>\
         <th scope=\"col\">Hook</th><th scope=\"col\">Line</th><th scope=\"col\">Registration</th>\
         <th scope=\"col\">Call</th><th scope=\"col\">Calls</th></tr></thead><tbody>",
    );
    for p in &s.ports {
        b.push_str(&port_row(p));
    }
    b.push_str("</tbody></table>");
    let c = &s.sip;
    let _ = write!(
        b,
        "<h2>SIP</h2><p>{} messages sent, {} received; {} bad messages answered, {} dropped; {} transport errors.</p>",
        c.messages_sent, c.messages_received, c.bad_answered, c.bad_dropped, c.transport_errors
    );
    uplink(&mut b, d.uplink.as_ref());
    acs(&mut b, d.acs.as_ref());
    firmware_slots(&mut b, &d.firmware);
    access(&mut b, &d.access);
    b
}

/// A two-column table of label and value (values escaped here).
fn facts(b: &mut String, rows: &[(&str, String)]) {
    b.push_str("<table class=\"facts\"><tbody>");
    for (k, v) in rows {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(k),
            esc(if v.is_empty() { "—" } else { v })
        );
    }
    b.push_str("</tbody></table>");
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn uplink(b: &mut String, u: Option<&Uplink>) {
    b.push_str("<h2>Uplink</h2>");
    let Some(u) = u else {
        b.push_str("<p>No default route: the gateway has no uplink.</p>");
        return;
    };
    facts(
        b,
        &[
            ("Interface", format!("{} ({})", u.interface, u.state)),
            ("Link", u.speed.clone()),
            ("MAC address", u.mac.clone()),
            ("Source address", u.source.clone()),
            ("Default gateway", u.gateway.clone()),
            ("DNS servers", u.dns.join(", ")),
            (
                "Traffic",
                format!("{} received, {} sent", bytes(u.rx_bytes), bytes(u.tx_bytes)),
            ),
        ],
    );
}

fn acs(b: &mut String, a: Option<&AcsView>) {
    b.push_str("<h2>ACS (TR-069)</h2>");
    let Some(a) = a else {
        b.push_str("<p>TR-069 is off on this gateway.</p>");
        return;
    };
    facts(
        b,
        &[
            (
                "ACS URL",
                if a.url.is_empty() {
                    "none yet (waiting for DHCP)".into()
                } else {
                    format!("{} ({})", a.url, a.origin)
                },
            ),
            (
                "Last contact",
                if a.last_contact.is_empty() {
                    "never since the start".into()
                } else {
                    a.last_contact.clone()
                },
            ),
            ("Last session", a.last_session.clone()),
            (
                "Periodic Inform",
                format!("every {} s", a.inform_interval_s),
            ),
            ("Connection requests", a.connection_request_url.clone()),
        ],
    );
}

/// The firmware slots table.
pub fn firmware_slots(b: &mut String, slots: &[FirmwareSlot]) {
    b.push_str("<h2>Firmware</h2>");
    if slots.is_empty() {
        b.push_str("<p>This gateway runs without firmware slots.</p>");
        return;
    }
    b.push_str(
        "<table><thead><tr><th scope=\"col\">Slot</th><th scope=\"col\">Version</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Running</th><th scope=\"col\">Boots next</th>\
         <th scope=\"col\">Log</th></tr></thead><tbody>",
    );
    for f in slots {
        let yes = |x: bool| if x { "yes" } else { "" };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.name),
            esc(&f.version),
            esc(&f.status),
            yes(f.active),
            yes(f.boot),
            esc(&f.log)
        );
    }
    b.push_str("</tbody></table>");
}

fn access(b: &mut String, counters: &[AccessCounters]) {
    if counters.is_empty() {
        return;
    }
    b.push_str(
        "<h2>Access control</h2><table><thead><tr><th scope=\"col\">Service</th>\
         <th scope=\"col\">Allowed sources</th><th scope=\"col\">Accepted</th>\
         <th scope=\"col\">Dropped</th></tr></thead><tbody>",
    );
    for c in counters {
        let dropped: Vec<String> = c
            .dropped
            .iter()
            .map(|(why, n)| {
                let why = match why.as_str() {
                    "not_allowed" => "not allowed",
                    "rate" => "over the rate",
                    "blocked" => "from blocked sources",
                    w => w,
                };
                format!("{n} {why}")
            })
            .collect();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(match c.service.as_str() {
                "admin" => "admin pages",
                "snmp" => "SNMP",
                "connection_request" => "TR-069 connection requests",
                "sip" => "SIP",
                s => s,
            }),
            esc(&if c.allowed.is_empty() {
                "any".to_string()
            } else {
                c.allowed.join(", ")
            }),
            c.accepted,
            esc(&if dropped.is_empty() {
                "0".to_string()
            } else {
                dropped.join(", ")
            })
        );
    }
    b.push_str("</tbody></table>");
}

/// The configuration page's body: one form per section (see [`crate::edit::SECTIONS`]),
/// each applied on its own; stored passwords are never shown (blank keeps them). Then
/// backup and restore.
pub fn config_form(
    c: &tipring_config::GatewayConfig,
    csrf: &str,
    d: &DeviceView,
    msg: Option<(bool, &str)>,
) -> String {
    let mut b = String::new();
    outcome(&mut b, msg);
    let csrf = esc(csrf);
    b.push_str("<nav aria-label=\"Sections\"><ul class=\"toc\">");
    for (id, title) in crate::edit::SECTIONS {
        let _ = write!(b, "<li><a href=\"#{id}\">{title}</a></li>");
    }
    b.push_str("</ul></nav>");
    let open = |b: &mut String, id: &str| {
        let title = crate::edit::SECTIONS
            .iter()
            .find(|(k, _)| *k == id)
            .map_or("", |(_, t)| t);
        let _ = write!(
            b,
            "<section id=\"{id}\"><h2>{title}</h2><form method=\"post\" action=\"/config\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"section\" value=\"{id}\">"
        );
    };
    let close = |b: &mut String| {
        b.push_str("<button type=\"submit\">Save and apply</button></form></section>");
    };
    let input = |b: &mut String, name: &str, label: &str, value: &str, kind: &str| {
        let _ = write!(
            b,
            "<label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{}>",
            esc(value),
            if kind == "password" { " autocomplete=\"new-password\"" } else { "" }
        );
    };
    let check = |b: &mut String, name: &str, label: &str, on: bool| {
        let _ = write!(
            b,
            "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\"{}> {label}</label>",
            if on { " checked" } else { "" }
        );
    };
    let select = |b: &mut String, name: &str, label: &str, now: &str, choices: &[(&str, &str)]| {
        let _ = write!(
            b,
            "<label for=\"{name}\">{label}</label><select id=\"{name}\" name=\"{name}\">"
        );
        for (v, t) in choices {
            let _ = write!(
                b,
                "<option value=\"{}\"{}>{}</option>",
                esc(v),
                if *v == now { " selected" } else { "" },
                esc(t)
            );
        }
        b.push_str("</select>");
    };
    let name_of = |v: &dyn erased::Named| v.name();

    // Ports and extensions.
    open(&mut b, "ports");
    b.push_str(
        "<table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Extension</th><th scope=\"col\">Display name</th>\
         <th scope=\"col\">In service</th><th scope=\"col\">New SIP password (blank: keep)</th></tr></thead><tbody>",
    );
    for (i, p) in c.ports.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            b,
            "<tr><td>{n}</td>\
             <td><input name=\"p{i}_extension\" aria-label=\"Port {n} extension\" value=\"{}\" required></td>\
             <td><input name=\"p{i}_display_name\" aria-label=\"Port {n} display name\" value=\"{}\"></td>\
             <td><input type=\"checkbox\" name=\"p{i}_enabled\" aria-label=\"Port {n} in service\"{}></td>\
             <td><input type=\"password\" name=\"p{i}_password\" aria-label=\"Port {n} new SIP password\" autocomplete=\"new-password\"></td></tr>",
            esc(&p.extension),
            esc(p.display_name.as_deref().unwrap_or("")),
            if p.enabled { " checked" } else { "" }
        );
    }
    b.push_str("</tbody></table>");
    close(&mut b);

    // Calling: codecs, DTMF, dial plan, features, forwarding.
    open(&mut b, "calling");
    let dtmf: &[(&str, &str)] = &[
        ("rfc4733", "RFC 4733 events"),
        ("inband", "in-band tones"),
        ("info", "SIP INFO"),
    ];
    for (i, p) in c.ports.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            b,
            "<fieldset><legend>Port {n} (extension {})</legend>",
            esc(&p.extension)
        );
        let codecs: Vec<&str> = p.codecs.iter().map(|k| k.name()).collect();
        input(
            &mut b,
            &format!("p{i}_codecs"),
            &format!(
                "Codecs, in order of preference ({})",
                tipring_config::Codec::ALL
                    .map(tipring_config::Codec::name)
                    .join(", ")
            ),
            &codecs.join(", "),
            "text",
        );
        select(
            &mut b,
            &format!("p{i}_dtmf"),
            "DTMF",
            &name_of(&p.dtmf),
            dtmf,
        );
        input(
            &mut b,
            &format!("p{i}_dial_plan"),
            "Dial plan",
            &p.dial_plan,
            "text",
        );
        let ft = &p.features;
        check(
            &mut b,
            &format!("p{i}_call_waiting"),
            "Call waiting",
            ft.call_waiting,
        );
        check(
            &mut b,
            &format!("p{i}_caller_id_block"),
            "Withhold caller ID",
            ft.caller_id_block,
        );
        check(&mut b, &format!("p{i}_dnd"), "Do not disturb", ft.dnd);
        check(
            &mut b,
            &format!("p{i}_anonymous_rejection"),
            "Refuse anonymous calls",
            ft.anonymous_rejection,
        );
        let fw = &ft.forward;
        input(
            &mut b,
            &format!("p{i}_forward_all"),
            "Forward every call to",
            fw.all.as_deref().unwrap_or(""),
            "text",
        );
        input(
            &mut b,
            &format!("p{i}_forward_busy"),
            "Forward when busy to",
            fw.busy.as_deref().unwrap_or(""),
            "text",
        );
        input(
            &mut b,
            &format!("p{i}_forward_no_answer"),
            "Forward when not answered to",
            fw.no_answer.as_deref().unwrap_or(""),
            "text",
        );
        b.push_str("</fieldset>");
    }
    close(&mut b);

    // SIP servers.
    let s = &c.sip;
    open(&mut b, "sip");
    input(
        &mut b,
        "servers",
        "Servers, in failover order (host or host:port, comma-separated)",
        &s.servers.join(", "),
        "text",
    );
    select(
        &mut b,
        "transport",
        "Transport",
        &name_of(&s.transport),
        &[("udp", "UDP"), ("tcp", "TCP"), ("tls", "TLS")],
    );
    input(&mut b, "domain", "Domain", &s.domain, "text");
    check(&mut b, "register", "Register the ports", s.register);
    input(
        &mut b,
        "registration_expiry_s",
        "Registration expiry (seconds)",
        &s.registration_expiry_s.to_string(),
        "number",
    );
    input(
        &mut b,
        "keepalive_s",
        "Keep-alive interval (seconds, 0: off)",
        &s.keepalive_s.to_string(),
        "number",
    );
    check(
        &mut b,
        "mwi_subscribe",
        "Subscribe to message waiting",
        s.mwi_subscribe,
    );
    select(
        &mut b,
        "srtp",
        "SRTP",
        &name_of(&s.srtp),
        &[
            ("off", "off"),
            ("optional", "optional"),
            ("mandatory", "mandatory"),
        ],
    );
    close(&mut b);

    // Region.
    open(&mut b, "region");
    let plans: Vec<(&str, &str)> = d
        .tone_plans
        .iter()
        .map(|(k, n)| (k.as_str(), n.as_str()))
        .collect();
    if plans.is_empty() {
        input(
            &mut b,
            "country",
            "Country (tone plan)",
            &c.device.country,
            "text",
        );
    } else {
        select(
            &mut b,
            "country",
            "Country (tone plan, ring cadence, caller ID)",
            &c.device.country,
            &plans,
        );
    }
    input(
        &mut b,
        "time_zone",
        "Time zone (IANA name, e.g. Europe/Paris; blank: UTC)",
        c.device.time_zone.as_deref().unwrap_or(""),
        "text",
    );
    close(&mut b);

    // Management.
    let m = &c.management;
    open(&mut b, "management");
    b.push_str("<fieldset><legend>TR-069 ACS</legend>");
    let cw = m.cwmp.as_ref();
    input(
        &mut b,
        "acs_url",
        "ACS URL (blank: from DHCP or the factory default)",
        cw.map_or("", |c| c.acs_url.as_str()),
        "text",
    );
    input(
        &mut b,
        "acs_username",
        "User name",
        cw.and_then(|c| c.username.as_deref()).unwrap_or(""),
        "text",
    );
    input(
        &mut b,
        "acs_password",
        "New password (blank: keep)",
        "",
        "password",
    );
    input(
        &mut b,
        "inform_interval_s",
        "Periodic Inform (seconds)",
        &cw.map_or(3600, |c| c.periodic_inform_interval_s)
            .to_string(),
        "number",
    );
    b.push_str("</fieldset><fieldset><legend>Remote syslog</legend>");
    let sl = m.syslog.as_ref();
    input(
        &mut b,
        "syslog_server",
        "Collector host:port (blank: off)",
        sl.map_or("", |s| s.server.as_str()),
        "text",
    );
    select(
        &mut b,
        "syslog_transport",
        "Transport",
        &sl.map_or("udp".into(), |s| name_of(&s.transport)),
        &[("udp", "UDP"), ("tcp", "TCP"), ("tls", "TLS")],
    );
    select(
        &mut b,
        "syslog_level",
        "Lowest level sent",
        &sl.map_or("info".into(), |s| name_of(&s.level)),
        &[
            ("error", "error"),
            ("warn", "warning"),
            ("info", "info"),
            ("debug", "debug"),
        ],
    );
    input(
        &mut b,
        "syslog_ca_file",
        "TLS: CA file the collector's certificate chains to (a path on the gateway)",
        sl.and_then(|s| s.ca_file.as_deref()).unwrap_or(""),
        "text",
    );
    input(
        &mut b,
        "syslog_server_name",
        "TLS: the collector's name in its certificate (blank: the host above)",
        sl.and_then(|s| s.server_name.as_deref()).unwrap_or(""),
        "text",
    );
    if let Some(snmp) = &m.snmp {
        b.push_str("</fieldset><fieldset><legend>SNMP</legend>");
        input(
            &mut b,
            "snmp_contact",
            "Contact (sysContact)",
            &snmp.contact,
            "text",
        );
        input(
            &mut b,
            "snmp_location",
            "Location (sysLocation)",
            &snmp.location,
            "text",
        );
    }
    if let Some(admin) = &m.admin {
        b.push_str("</fieldset><fieldset><legend>These admin pages</legend>");
        input(
            &mut b,
            "admin_listen",
            "Address (ip:port; the pages move there at once — sign in again there)",
            &admin.listen,
            "text",
        );
    }
    b.push_str("</fieldset><fieldset><legend>Access control</legend><input type=\"hidden\" name=\"access_form\" value=\"1\">\
                <p>Source networks allowed to reach each service (CIDR such as 10.0.0.0/8 or single addresses, comma-separated; blank: every source). Everything else is dropped without an answer.</p>");
    let a = &m.access;
    input(
        &mut b,
        "access_admin",
        "These admin pages",
        &a.admin.join(", "),
        "text",
    );
    input(&mut b, "access_snmp", "SNMP", &a.snmp.join(", "), "text");
    input(
        &mut b,
        "access_connection_request",
        "TR-069 connection requests",
        &a.connection_request.join(", "),
        "text",
    );
    input(
        &mut b,
        "access_sip",
        "SIP (the SIP servers are always allowed)",
        &a.sip.join(", "),
        "text",
    );
    check(
        &mut b,
        "sip_scanner_filter",
        "Drop SIP scanners (friendly-scanner, sipvicious, ...) and block their source",
        a.sip_scanner_filter,
    );
    b.push_str("</fieldset>");
    close(&mut b);

    let _ = write!(
        b,
        "<h2 id=\"backup\">Backup and restore</h2>\
         <p><a href=\"/backup\" download>Download the configuration</a> (it holds the SIP passwords: keep it safe).</p>\
         <form method=\"post\" action=\"/restore\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"file\">Restore a backup (checked before anything changes; the configuration before it is kept)</label>\
         <input id=\"file\" name=\"file\" type=\"file\" accept=\".json,application/json\" required>\
         <button type=\"submit\">Restore</button></form>"
    );
    b
}

/// The names enums have in the configuration document, for the forms' choices.
mod erased {
    /// A configuration enum's name in the document (`udp`, `rfc4733`, ...).
    pub(super) trait Named {
        fn name(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn name(&self) -> String {
            match serde_json::to_value(self) {
                Ok(serde_json::Value::String(s)) => s,
                _ => String::new(),
            }
        }
    }
}

fn task_line(b: &mut String, t: &TaskState) {
    let (class, role, text) = match t {
        TaskState::Running(m) => ("running", "status", m),
        TaskState::Done(m) => ("ok", "status", m),
        TaskState::Failed(m) => ("error", "alert", m),
    };
    let _ = write!(b, "<p class=\"{class}\" role=\"{role}\">{}</p>", esc(text));
}

/// The maintenance page's body: firmware, restart, factory reset, the support bundle.
pub fn maintenance(csrf: &str, d: &DeviceView, msg: Option<(bool, &str)>) -> String {
    let mut b = String::new();
    outcome(&mut b, msg);
    firmware_slots(&mut b, &d.firmware);
    if let Some(t) = &d.firmware_upload {
        task_line(&mut b, t);
        if matches!(t, TaskState::Running(_)) {
            b.push_str("<p><a href=\"/maintenance\">Refresh</a> for the outcome.</p>");
        }
    }
    let csrf = esc(csrf);
    if !d.firmware.is_empty() {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/firmware\" enctype=\"multipart/form-data\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"image\">Upgrade: a signed Tipring firmware image (its signature, model and version are checked before anything is written; it goes to the slot not running, and the gateway restarts into it on trial — it rolls back by itself if the new image does not come up)</label>\
             <input id=\"image\" name=\"image\" type=\"file\" required>\
             <button type=\"submit\">Upload and install</button></form>"
        );
    }
    let _ = write!(
        b,
        "<h2>Support bundle</h2><p><a href=\"/export\" download>Download the support bundle</a>: the configuration with every password removed, the status (ports, uplink, ACS, firmware, access control) and the recent log.</p>\
         <h2>Restart</h2><form method=\"post\" action=\"/reboot\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p>Calls in progress end.</p><button type=\"submit\">Restart the gateway</button></form>\
         <h2>Factory reset</h2><form method=\"post\" action=\"/factory-reset\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p>Erases the configuration, the management state and this password (the next start prints a new one on the console); the firmware and the device's keys stay.</p>\
         <label class=\"check\"><input type=\"checkbox\" name=\"confirm\" value=\"erase\"> Erase this gateway's configuration</label>\
         <button type=\"submit\">Factory reset</button></form>"
    );
    b
}

/// The diagnostics page's body: the forms, the results (newest first), the capture.
pub fn diagnostics(
    csrf: &str,
    ports: &[PortStatus],
    d: &DeviceView,
    msg: Option<(bool, &str)>,
) -> String {
    let mut b = String::new();
    outcome(&mut b, msg);
    let csrf = esc(csrf);
    let port_select = |id: &str| {
        let mut h = format!("<select id=\"{id}\" name=\"port\">");
        for p in ports {
            let _ = write!(
                h,
                "<option value=\"{}\">port {} (extension {})</option>",
                p.port,
                p.port,
                esc(&p.extension)
            );
        }
        h.push_str("</select>");
        h
    };
    let form = |b: &mut String, test: &str, title: &str, help: &str, fields: &str, button: &str| {
        let _ = write!(
            b,
            "<section class=\"card\"><h2>{title}</h2><p>{help}</p><form method=\"post\" action=\"/diagnostics\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"test\" value=\"{test}\">\
             {fields}<button type=\"submit\">{button}</button></form></section>"
        );
    };
    b.push_str("<div class=\"cards\">");
    form(
        &mut b,
        "ring",
        "Ring a port",
        "Rings the phone with the line's ring cadence (the port must be idle and on hook); says whether it was answered.",
        &format!(
            "<label for=\"ring-port\">Port</label>{}<label for=\"ring-s\">Seconds (1–{MAX_TEST_S})</label>\
             <input id=\"ring-s\" name=\"seconds\" type=\"number\" min=\"1\" max=\"{MAX_TEST_S}\" value=\"10\">",
            port_select("ring-port")
        ),
        "Ring",
    );
    let mut tones = String::from("<select id=\"tone-kind\" name=\"tone\">");
    for (k, n) in TEST_TONES {
        let _ = write!(tones, "<option value=\"{k}\">{n}</option>");
    }
    tones.push_str("</select>");
    form(
        &mut b,
        "tone",
        "Play a tone",
        "Plays a tone to the phone in place of dial tone (lift the handset first).",
        &format!(
            "<label for=\"tone-port\">Port</label>{}<label for=\"tone-kind\">Tone</label>{tones}\
             <label for=\"tone-s\">Seconds (1–{MAX_TEST_S})</label>\
             <input id=\"tone-s\" name=\"seconds\" type=\"number\" min=\"1\" max=\"{MAX_TEST_S}\" value=\"5\">",
            port_select("tone-port")
        ),
        "Play",
    );
    form(
        &mut b,
        "loopback",
        "Media loopback",
        "Sends a 1004 Hz test tone through the port's first codec, RTP over a real socket pair on 127.0.0.1 and the decoder; reports packets, delay, level and distortion (SINAD).",
        &format!("<label for=\"loop-port\">Port</label>{}", port_select("loop-port")),
        "Run",
    );
    form(
        &mut b,
        "ping",
        "SIP OPTIONS ping",
        "Sends OPTIONS to the registrar the port's account uses; reports the answer and the round trip.",
        &format!("<label for=\"ping-port\">Port</label>{}", port_select("ping-port")),
        "Ping",
    );
    form(
        &mut b,
        "capture",
        "Packet capture",
        "Records the gateway's SIP and RTP (as sent and received, TLS shown decrypted) into a pcap file for Wireshark.",
        &format!(
            "<label for=\"cap-s\">Seconds (1–{MAX_CAPTURE_S})</label>\
             <input id=\"cap-s\" name=\"seconds\" type=\"number\" min=\"1\" max=\"{MAX_CAPTURE_S}\" value=\"30\">"
        ),
        "Capture",
    );
    b.push_str("</div>");
    if let Some(c) = &d.capture {
        let _ = write!(
            b,
            "<p><a href=\"/diagnostics/capture.pcap\" download>Download the capture</a> ({}, {})</p>",
            esc(&c.name),
            bytes(c.bytes.len() as u64)
        );
    }
    b.push_str("<h2>Results</h2>");
    // No automatic reload (a page that refreshes itself fails WCAG 2.2.1): a link.
    if d.diagnostics
        .iter()
        .any(|r| matches!(r.state, TaskState::Running(_)))
    {
        b.push_str("<p class=\"running\">A test is running: <a href=\"/diagnostics\">refresh the results</a>.</p>");
    }
    if d.diagnostics.is_empty() {
        b.push_str("<p>No diagnostic run yet.</p>");
    } else {
        b.push_str(
            "<table><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">Test</th>\
             <th scope=\"col\">Result</th></tr></thead><tbody>",
        );
        for r in &d.diagnostics {
            let (state, text) = match &r.state {
                TaskState::Running(m) => ("running", m),
                TaskState::Done(m) => ("ok", m),
                TaskState::Failed(m) => ("error", m),
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"{state}\">{}</td></tr>",
                esc(&r.started),
                esc(&r.what),
                esc(text)
            );
        }
        b.push_str("</tbody></table>");
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_text_is_escaped() {
        assert_eq!(esc("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        let s = GatewayStatus {
            version: "1<2".into(),
            ports: vec![PortStatus {
                port: 1,
                extension: "<b>101</b>".into(),
                line_state: "idle".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let html = status(&s, &DeviceView::default());
        assert!(html.contains("&lt;b&gt;101&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("1&lt;2"));
    }
}
