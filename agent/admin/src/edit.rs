//! The configuration page's sections: each form turns into a new document (the running
//! one with that section's fields replaced), and the list of what changed. Values are
//! only read here; the gateway checks the whole document (every problem named by its
//! field) before it stores anything.

use serde::de::DeserializeOwned;
use tipring_config::{Codec, GatewayConfig, Secret};

/// The sections of the configuration page, in page order: form `section` value and title.
pub const SECTIONS: &[(&str, &str)] = &[
    ("ports", "Ports and extensions"),
    ("calling", "Codecs, DTMF, dial plan and features"),
    ("sip", "SIP servers"),
    ("region", "Tone plan and time"),
    ("management", "Management"),
];

/// Form fields as the pages send them (a trait so this module needs no HTTP types).
pub(crate) trait Fields {
    /// The value of `name`, if the form has it.
    fn field(&self, name: &str) -> Option<&str>;
}

/// A new document from `running` and the `section`'s form, or why the form is unusable
/// (a number that is not one, an unknown choice), naming the field.
pub(crate) fn apply(
    section: &str,
    f: &dyn Fields,
    running: &GatewayConfig,
) -> Result<GatewayConfig, String> {
    let mut c = running.clone();
    match section {
        "ports" => ports(f, &mut c),
        "calling" => calling(f, &mut c)?,
        "sip" => sip(f, &mut c)?,
        "region" => region(f, &mut c),
        "management" => management(f, &mut c)?,
        other => return Err(format!("no section `{other}`")),
    }
    Ok(c)
}

/// The JSON paths (`ports[0].extension`) whose values differ, secrets included (a path
/// names no value).
pub(crate) fn changed(old: &GatewayConfig, new: &GatewayConfig) -> Vec<String> {
    let (a, b) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    let mut out = Vec::new();
    walk("", &a, &b, &mut out);
    out
}

fn walk(at: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(&path, p, q, out),
                    (p, q) if p != q => out.push(path),
                    _ => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() && !x.is_empty() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&format!("{at}[{i}]"), p, q, out);
            }
        }
        (p, q) if p != q => out.push(at.to_string()),
        _ => {}
    }
}

fn text(f: &dyn Fields, name: &str) -> Option<String> {
    f.field(name).map(|v| v.trim().to_string())
}

/// A blank field is "none".
fn optional(f: &dyn Fields, name: &str) -> Option<Option<String>> {
    text(f, name).map(|v| (!v.is_empty()).then_some(v))
}

fn checked(f: &dyn Fields, name: &str) -> bool {
    f.field(name).is_some()
}

fn number<T: std::str::FromStr>(
    f: &dyn Fields,
    name: &str,
    path: &str,
) -> Result<Option<T>, String> {
    match text(f, name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            format!(
                "{path}: `{}` is not a number in range",
                crate::pages::esc(&v)
            )
        }),
    }
}

/// A choice by its name in the document (`udp`, `rfc4733`, ...).
fn choice<T: DeserializeOwned>(
    f: &dyn Fields,
    name: &str,
    path: &str,
) -> Result<Option<T>, String> {
    match text(f, name) {
        None => Ok(None),
        Some(v) => serde_json::from_value(serde_json::Value::String(v.clone()))
            .map(Some)
            .map_err(|_| {
                format!(
                    "{path}: `{}` is not one of the choices",
                    crate::pages::esc(&v)
                )
            }),
    }
}

/// A comma- or line-separated list (blank items dropped).
fn list(f: &dyn Fields, name: &str) -> Option<Vec<String>> {
    f.field(name).map(|v| {
        v.split([',', '\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    })
}

fn ports(f: &dyn Fields, c: &mut GatewayConfig) {
    for (i, p) in c.ports.iter_mut().enumerate() {
        let field = |n: &str| format!("p{i}_{n}");
        if let Some(ext) = text(f, &field("extension")) {
            p.extension = ext;
        }
        if let Some(name) = optional(f, &field("display_name")) {
            p.display_name = name;
        }
        p.enabled = checked(f, &field("enabled"));
        // Blank keeps the stored password (it is never shown).
        if let Some(pw) = f.field(&field("password")).filter(|v| !v.is_empty()) {
            p.password = Some(Secret::new(pw));
        }
    }
}

fn calling(f: &dyn Fields, c: &mut GatewayConfig) -> Result<(), String> {
    for (i, p) in c.ports.iter_mut().enumerate() {
        let field = |n: &str| format!("p{i}_{n}");
        if let Some(names) = list(f, &field("codecs")) {
            let mut codecs = Vec::new();
            for n in names {
                let codec = Codec::ALL
                    .into_iter()
                    .find(|k| k.name().eq_ignore_ascii_case(&n))
                    .ok_or_else(|| {
                        format!(
                            "ports[{i}].codecs: `{}` is not a codec ({})",
                            crate::pages::esc(&n),
                            Codec::ALL.map(Codec::name).join(", ")
                        )
                    })?;
                codecs.push(codec);
            }
            p.codecs = codecs;
        }
        if let Some(d) = choice(f, &field("dtmf"), &format!("ports[{i}].dtmf"))? {
            p.dtmf = d;
        }
        if let Some(plan) = text(f, &field("dial_plan")) {
            p.dial_plan = plan;
        }
        let ft = &mut p.features;
        ft.call_waiting = checked(f, &field("call_waiting"));
        ft.caller_id_block = checked(f, &field("caller_id_block"));
        ft.dnd = checked(f, &field("dnd"));
        ft.anonymous_rejection = checked(f, &field("anonymous_rejection"));
        if let Some(all) = optional(f, &field("forward_all")) {
            ft.forward.all = all;
        }
        if let Some(busy) = optional(f, &field("forward_busy")) {
            ft.forward.busy = busy;
        }
        if let Some(na) = optional(f, &field("forward_no_answer")) {
            ft.forward.no_answer = na;
        }
    }
    Ok(())
}

fn sip(f: &dyn Fields, c: &mut GatewayConfig) -> Result<(), String> {
    let s = &mut c.sip;
    if let Some(servers) = list(f, "servers") {
        s.servers = servers;
    }
    if let Some(t) = choice(f, "transport", "sip.transport")? {
        s.transport = t;
    }
    if let Some(d) = text(f, "domain") {
        s.domain = d;
    }
    s.register = checked(f, "register");
    if let Some(e) = number(f, "registration_expiry_s", "sip.registration_expiry_s")? {
        s.registration_expiry_s = e;
    }
    if let Some(k) = number(f, "keepalive_s", "sip.keepalive_s")? {
        s.keepalive_s = k;
    }
    s.mwi_subscribe = checked(f, "mwi_subscribe");
    if let Some(p) = choice(f, "srtp", "sip.srtp")? {
        s.srtp = p;
    }
    Ok(())
}

fn region(f: &dyn Fields, c: &mut GatewayConfig) {
    if let Some(country) = text(f, "country") {
        c.device.country = country;
    }
    if let Some(tz) = optional(f, "time_zone") {
        c.device.time_zone = tz;
    }
}

fn management(f: &dyn Fields, c: &mut GatewayConfig) -> Result<(), String> {
    let m = &mut c.management;
    // TR-069: a blank URL leaves the ACS to DHCP and the factory default (the section,
    // and with it the client, stays); the section is made only when something is given.
    if let Some(url) = text(f, "acs_url") {
        let user = optional(f, "acs_username").flatten();
        let interval = number(
            f,
            "inform_interval_s",
            "management.cwmp.periodic_inform_interval_s",
        )?;
        if m.cwmp.is_none() && url.is_empty() && user.is_none() {
            // Nothing to say about TR-069.
        } else {
            let cw = m.cwmp.get_or_insert_with(|| tipring_config::Cwmp {
                acs_url: String::new(),
                username: None,
                password: None,
                periodic_inform_interval_s: 3600,
            });
            if cw.acs_url != url {
                m.acs_url_source = if url.is_empty() {
                    tipring_config::AcsUrlSource::Factory
                } else {
                    tipring_config::AcsUrlSource::Local
                };
                cw.acs_url = url;
            }
            cw.username = user;
            if let Some(pw) = f.field("acs_password").filter(|v| !v.is_empty()) {
                cw.password = Some(Secret::new(pw));
            }
            if let Some(i) = interval {
                cw.periodic_inform_interval_s = i;
            }
        }
    }
    if let Some(server) = text(f, "syslog_server") {
        if server.is_empty() {
            m.syslog = None;
        } else {
            let transport = choice(f, "syslog_transport", "management.syslog.transport")?;
            let level = choice(f, "syslog_level", "management.syslog.level")?;
            let s = m.syslog.get_or_insert_with(|| tipring_config::Syslog {
                server: String::new(),
                transport: tipring_config::SyslogTransport::Udp,
                ca_file: None,
                server_name: None,
                facility: 16,
                level: tipring_config::SyslogLevel::default(),
            });
            s.server = server;
            if let Some(t) = transport {
                s.transport = t;
            }
            if let Some(l) = level {
                s.level = l;
            }
            if let Some(ca) = optional(f, "syslog_ca_file") {
                s.ca_file = ca;
            }
            if let Some(name) = optional(f, "syslog_server_name") {
                s.server_name = name;
            }
        }
    }
    // SNMP's identity (the section's credentials stay the ACS's or the file's).
    if let Some(snmp) = m.snmp.as_mut() {
        if let Some(c) = text(f, "snmp_contact") {
            snmp.contact = c;
        }
        if let Some(l) = text(f, "snmp_location") {
            snmp.location = l;
        }
    }
    // The admin pages' own address: they move there at once.
    if let (Some(admin), Some(listen)) = (m.admin.as_mut(), text(f, "admin_listen")) {
        if !listen.is_empty() {
            admin.listen = listen;
        }
    }
    let a = &mut m.access;
    for (name, l) in [
        ("access_admin", &mut a.admin),
        ("access_snmp", &mut a.snmp),
        ("access_connection_request", &mut a.connection_request),
        ("access_sip", &mut a.sip),
    ] {
        if let Some(v) = list(f, name) {
            *l = v;
        }
    }
    if f.field("access_form").is_some() {
        a.sip_scanner_filter = checked(f, "sip_scanner_filter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct F(Vec<(&'static str, &'static str)>);
    impl Fields for F {
        fn field(&self, name: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
    }

    #[test]
    fn each_section_changes_its_own_fields_only() {
        let run = GatewayConfig::example(2);
        let sip = F(vec![
            ("servers", "pbx1.example.net:5060, pbx2.example.net"),
            ("transport", "tcp"),
            ("domain", "example.net"),
            ("register", "on"),
            ("registration_expiry_s", "600"),
            ("keepalive_s", "30"),
            ("srtp", "optional"),
        ]);
        let new = apply("sip", &sip, &run).unwrap();
        assert_eq!(
            new.sip.servers,
            ["pbx1.example.net:5060", "pbx2.example.net"]
        );
        assert_eq!(new.sip.transport, tipring_config::Transport::Tcp);
        assert_eq!(new.sip.registration_expiry_s, 600);
        assert_eq!(new.ports, run.ports);
        let what = changed(&run, &new);
        assert!(what.contains(&"sip.transport".to_string()), "{what:?}");
        assert!(what.iter().all(|p| p.starts_with("sip.")), "{what:?}");

        let calling = F(vec![
            ("p1_codecs", "G722, pcmu"),
            ("p1_dtmf", "info"),
            ("p1_dial_plan", "(xxx|0xxxxxxxxx)"),
            ("p1_dnd", "on"),
            ("p1_forward_busy", "200"),
        ]);
        let new = apply("calling", &calling, &run).unwrap();
        assert_eq!(new.ports[1].codecs, [Codec::G722, Codec::Pcmu]);
        assert_eq!(new.ports[1].dtmf, tipring_config::DtmfMethod::Info);
        assert!(new.ports[1].features.dnd);
        assert_eq!(new.ports[1].features.forward.busy.as_deref(), Some("200"));
        // Port 1's boxes were not sent: unticked.
        assert!(!new.ports[0].features.call_waiting);

        let bad = F(vec![("p0_codecs", "pcmu, g711")]);
        let e = apply("calling", &bad, &run).unwrap_err();
        assert!(e.starts_with("ports[0].codecs: `g711`"), "{e}");
        let bad = F(vec![("registration_expiry_s", "soon")]);
        let e = apply("sip", &bad, &run).unwrap_err();
        assert!(e.starts_with("sip.registration_expiry_s"), "{e}");
        let bad = F(vec![("transport", "sctp")]);
        assert!(apply("sip", &bad, &run)
            .unwrap_err()
            .starts_with("sip.transport"));
    }

    #[test]
    fn management_keeps_stored_passwords_and_sets_access_lists() {
        let mut run = GatewayConfig::example(1);
        run.management.cwmp = Some(tipring_config::Cwmp {
            acs_url: "https://acs.example.net/cwmp".into(),
            username: Some("gw".into()),
            password: Some(Secret::new("s3cret-acs")),
            periodic_inform_interval_s: 3600,
        });
        let f = F(vec![
            ("acs_url", "https://acs2.example.net/cwmp"),
            ("acs_username", "gw"),
            ("acs_password", ""),
            ("inform_interval_s", "300"),
            ("syslog_server", "logs.example.net:6514"),
            ("syslog_transport", "tls"),
            ("syslog_ca_file", "/etc/tipring/syslog-ca.pem"),
            ("syslog_server_name", ""),
            ("access_form", "1"),
            ("access_admin", "10.0.0.0/8\n192.0.2.7"),
            ("access_sip", ""),
        ]);
        let new = apply("management", &f, &run).unwrap();
        let cw = new.management.cwmp.as_ref().unwrap();
        assert_eq!(cw.acs_url, "https://acs2.example.net/cwmp");
        assert_eq!(cw.password.as_ref().unwrap().expose(), "s3cret-acs");
        assert_eq!(cw.periodic_inform_interval_s, 300);
        assert_eq!(
            new.management.acs_url_source,
            tipring_config::AcsUrlSource::Local
        );
        assert_eq!(new.management.access.admin, ["10.0.0.0/8", "192.0.2.7"]);
        assert!(!new.management.access.sip_scanner_filter);
        let s = new.management.syslog.as_ref().unwrap();
        assert_eq!(s.transport, tipring_config::SyslogTransport::Tls);
        assert_eq!(s.ca_file.as_deref(), Some("/etc/tipring/syslog-ca.pem"));
        assert_eq!(s.server_name, None);
        let what = changed(&run, &new);
        assert!(!what.iter().any(|p| p.contains("password")), "{what:?}");
        // A blank URL hands the ACS back to DHCP / the factory default; the client stays.
        let dhcp = F(vec![("acs_url", ""), ("acs_username", "gw")]);
        let new = apply("management", &dhcp, &run).unwrap();
        assert_eq!(new.management.cwmp.as_ref().unwrap().acs_url, "");
        assert_eq!(
            new.management.acs_url_source,
            tipring_config::AcsUrlSource::Factory
        );
        // Without a section and with nothing given, none is made.
        let none = GatewayConfig::example(1);
        let blank = F(vec![
            ("acs_url", ""),
            ("acs_username", ""),
            ("inform_interval_s", "3600"),
        ]);
        assert!(apply("management", &blank, &none)
            .unwrap()
            .management
            .cwmp
            .is_none());
    }
}
