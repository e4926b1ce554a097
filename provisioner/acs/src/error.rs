//! Errors: what the caller or a peer got wrong before a session could go on.
//!
//! A CPE's misbehaviour inside a session (a fault, a malformed body) is not an error: the
//! [`Session`](crate::Session) answers it (a CWMP fault or an HTTP 400) and records it.
//! [`Error`] is for an Inform that cannot open a session ([`read_inform`](crate::read_inform))
//! and for templates that do not render ([`render`](crate::render)). No message ever holds
//! a secret's value.

use tipring_config::ConfigErrors;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not a CWMP envelope we can read (the peer's fault).
    #[error("the body is not a readable CWMP envelope: {0}")]
    Cwmp(#[from] tipring_cwmp::Error),
    /// The first POST of a session was empty (TR-069 Amendment 6 §3.7.1.1: a session
    /// opens with an Inform).
    #[error("a session must open with an Inform, not an empty POST")]
    EmptyPost,
    /// The first POST of a session held another message.
    #[error("a session must open with an Inform, not {0}")]
    NotInform(String),
    /// The Inform's DeviceId cannot identify a device (Annex A.3.3.1: OUI and
    /// SerialNumber are required, each at most 64 characters).
    #[error("the Inform's DeviceId is unusable: {0}")]
    BadDeviceId(String),
    /// The template is not what [`render`](crate::render) reads (not JSON, a misplaced
    /// `$each_port`, a malformed placeholder).
    #[error("template: {0}")]
    Template(String),
    /// A placeholder names a variable that neither the site, the profile nor the
    /// built-ins define.
    #[error("template: unknown variable `{name}` at {path}")]
    UnknownVariable {
        /// The variable.
        name: String,
        /// Where (a JSON path of the template, `ports[0].extension`).
        path: String,
    },
    /// A variable's value does not fit where it is used (`{{int:x}}` with a non-number,
    /// `first_extension` that is not digits).
    #[error("template: variable `{name}` at {path}: {message}")]
    BadVariable {
        /// The variable.
        name: String,
        /// Where.
        path: String,
        /// Why.
        message: String,
    },
    /// A `{{secret:NAME}}` placeholder whose secret the caller does not have: generate and
    /// store it first ([`required_secrets`](crate::required_secrets) lists them).
    #[error("template: secret `{0}` is missing (generate and store it before rendering)")]
    MissingSecret(String),
    /// The rendered document is not a valid gateway configuration; every problem names
    /// its field.
    #[error("the rendered configuration is invalid: {0}")]
    InvalidConfig(ConfigErrors),
}
