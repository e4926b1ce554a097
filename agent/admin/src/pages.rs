//! The pages, as HTML written here (no template engine, no script): every value that
//! comes from the device or the user goes through [`esc`].

use std::fmt::Write as _;

use tipring_status::{GatewayStatus, Hook, PortStatus};

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
            "<nav><a href=\"/status\">Status</a> · <a href=\"/config\">Configuration</a> · <a href=\"/maintenance\">Maintenance</a> · <a href=\"/password\">Password</a></nav>\
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

/// The status page's body.
pub fn status(s: &GatewayStatus) -> String {
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
    b
}

/// The configuration page's body: the ports (extension, display name, in service, a new
/// password — the stored one is never shown) and the SIP servers, read-only.
pub fn config_form(
    c: &tipring_config::GatewayConfig,
    csrf: &str,
    msg: Option<(bool, &str)>,
) -> String {
    let mut b = String::new();
    outcome(&mut b, msg);
    let _ = write!(
        b,
        "<p>SIP servers {} · domain {} · country {}</p>",
        esc(&c.sip.servers.join(", ")),
        esc(&c.sip.domain),
        esc(&c.device.country)
    );
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/config\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Extension</th><th scope=\"col\">Display name</th>\
         <th scope=\"col\">In service</th><th scope=\"col\">New SIP password (blank: keep)</th></tr></thead><tbody>",
        esc(csrf)
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
    b.push_str("</tbody></table><button type=\"submit\">Save and apply</button></form>");
    let _ = write!(
        b,
        "<h2>Backup and restore</h2>\
         <p><a href=\"/backup\" download>Download the configuration</a> (it holds the SIP passwords: keep it safe).</p>\
         <form method=\"post\" action=\"/restore\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"file\">Restore a backup (checked before anything changes; the configuration before it is kept)</label>\
         <input id=\"file\" name=\"file\" type=\"file\" accept=\".json,application/json\" required>\
         <button type=\"submit\">Restore</button></form>",
        esc(csrf)
    );
    b
}

/// The maintenance page's body: restart, factory reset, the support bundle.
pub fn maintenance(csrf: &str, msg: Option<(bool, &str)>) -> String {
    let mut b = String::new();
    outcome(&mut b, msg);
    let csrf = esc(csrf);
    let _ = write!(
        b,
        "<h2>Support bundle</h2><p><a href=\"/export\" download>Download the support bundle</a>: the configuration with every password removed, the status and the recent log.</p>\
         <h2>Restart</h2><form method=\"post\" action=\"/reboot\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p>Calls in progress end.</p><button type=\"submit\">Restart the gateway</button></form>\
         <h2>Factory reset</h2><form method=\"post\" action=\"/factory-reset\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p>Erases the configuration, the management state and this password (the next start prints a new one on the console); the firmware and the device's keys stay.</p>\
         <label><input type=\"checkbox\" name=\"confirm\" value=\"erase\"> Erase this gateway's configuration</label>\
         <button type=\"submit\">Factory reset</button></form>"
    );
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
        let html = status(&s);
        assert!(html.contains("&lt;b&gt;101&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("1&lt;2"));
    }
}
