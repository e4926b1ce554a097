//! `tipring-config`: the configuration document of one Tipring gateway.
//!
//! The same [`GatewayConfig`] type is used by the agent (which validates and stores it, see
//! `tipring-config-store`) and by the provisioner (which renders it from templates). TR-069
//! parameters and SNMP objects are views of it. The crate does no I/O and reads no clock.
//!
//! * [`parse`] reads JSON bytes (at most [`MAX_DOCUMENT_BYTES`]), refusing unknown fields,
//!   and validates; every error names the field's JSON path (`ports[2].extension`).
//! * [`GatewayConfig::validate`] reports ALL problems at once ([`ConfigErrors`]);
//!   [`GatewayConfig::validate_with`] also checks each dial plan through a callback (the
//!   agent passes `tipring-line`'s parser).
//! * [`diff`] says what a new document changes, so unaffected ports keep running.
//! * [`Secret`] holds passwords: serialised in the file, `***` in `Debug`;
//!   [`GatewayConfig::redacted`] is the document safe to show.
//! * [`json_schema`] is the JSON Schema of the document, for editors and the provisioner.
//!
//! There are no default passwords: [`GatewayConfig::example`] is valid except for the
//! ports' passwords, which the operator must set.
//!
//! ```
//! use tipring_config::{diff, parse, GatewayConfig, Secret};
//!
//! // The example lacks only its passwords.
//! let mut config = GatewayConfig::example(2);
//! let errors = config.validate().unwrap_err();
//! assert!(errors.has_path("ports[0].password"));
//! for port in &mut config.ports {
//!     port.password = Some(Secret::new("correct horse battery"));
//! }
//! config.validate().unwrap();
//!
//! // The file holds the password; Debug and the redacted view do not.
//! let text = config.to_json_pretty();
//! assert!(!format!("{config:?}").contains("horse"));
//! assert!(!config.redacted().to_json_pretty().contains("horse"));
//!
//! // Read it back; the dial plans can be checked by the line's parser.
//! let back = parse(text.as_bytes()).unwrap();
//! back.validate_with(&|plan: &str| if plan.is_empty() { Err("empty".into()) } else { Ok(()) })
//!     .unwrap();
//!
//! // A typo is an error that names the field.
//! let bad = text.replace("\"dtmf\"", "\"dtfm\"");
//! let err = parse(bad.as_bytes()).unwrap_err();
//! assert_eq!(err.errors()[0].path, "ports[0].dtfm");
//!
//! // A change to one port touches only that port.
//! let mut new = back.clone();
//! new.ports[1].echo_tail_ms = 128;
//! let change = diff(&back, &new);
//! assert_eq!(change.ports, [1]);
//! assert!(!change.restart_sip);
//! ```

mod diff;
mod error;
mod model;
mod parse;
mod secret;
mod validate;

pub use diff::{diff, ConfigChange};
pub use error::{ConfigErrors, Error, FieldError, Result};
pub use model::{
    Access, AcsUrlSource, AdminPages, Codec, Cwmp, Device, DtmfMethod, Fax, FaxErrorCorrection,
    FaxPassThrough, Features, Forward, GatewayConfig, Hotline, LogFormat, Management, PeerGateway,
    Port, RateLimits, Sip, Snmp, SnmpAuth, SnmpNotifyKind, SnmpPriv, SnmpTarget, SnmpV3User,
    SrtpPolicy, Syslog, SyslogLevel, SyslogTransport, TcfMethod, Tls, Transport, DEFAULT_DIAL_PLAN,
    SCHEMA_VERSION, T38,
};
pub use parse::{deserialize, json_schema, parse, MAX_DOCUMENT_BYTES};
pub use secret::Secret;
pub use validate::{
    cidr, valid_acs_url, KNOWN_COUNTRIES, MAX_ACS_URL_LEN, MAX_DIAL_PLAN_LEN,
    MAX_EMERGENCY_NUMBERS, MAX_EXTENSION_LEN, MAX_NUMBER_LEN, MAX_PATH_LEN, MAX_PEERS, MAX_PORTS,
    MAX_PROVISIONING_CODE_LEN, MAX_SECRET_LEN, MAX_SERVERS, MAX_SNMP_ENTRIES, MAX_SPEED_DIAL,
    MAX_WARMLINE_DELAY_S,
};

#[cfg(test)]
mod tests;
