//! SIP request methods (RFC 3261 §7.1, §27.4 and the extensions a UA meets).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::text::is_token;

/// A SIP method. Method names are case-sensitive (RFC 3261 §7.1): `invite` is an extension
/// method, not `INVITE`.
///
/// [`Method::Other`] carries any other `token`; equality and hashing go by the method's
/// text, so `Method::Other("INVITE".into()) == Method::Invite`.
#[derive(Debug, Clone)]
pub enum Method {
    /// RFC 3261.
    Invite,
    /// RFC 3261.
    Ack,
    /// RFC 3261.
    Bye,
    /// RFC 3261.
    Cancel,
    /// RFC 3261.
    Register,
    /// RFC 3261.
    Options,
    /// RFC 6086.
    Info,
    /// RFC 3311.
    Update,
    /// RFC 3262.
    Prack,
    /// RFC 6665.
    Subscribe,
    /// RFC 6665.
    Notify,
    /// RFC 3515.
    Refer,
    /// RFC 3428.
    Message,
    /// RFC 3903.
    Publish,
    /// An extension method: any other `token`.
    Other(String),
}

impl Method {
    /// The methods this crate names, in RFC order.
    pub const KNOWN: [Method; 14] = [
        Method::Invite,
        Method::Ack,
        Method::Bye,
        Method::Cancel,
        Method::Register,
        Method::Options,
        Method::Info,
        Method::Update,
        Method::Prack,
        Method::Subscribe,
        Method::Notify,
        Method::Refer,
        Method::Message,
        Method::Publish,
    ];

    /// The method's name as it goes on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }

    /// Parse a method name: a known name (case-sensitive) or any other `token`.
    pub fn parse(s: &str) -> Result<Method> {
        if !is_token(s) {
            return Err(Error::syntax("method", format!("not a token: {s:?}")));
        }
        Ok(Self::from_token(s))
    }

    /// Map a string already known to be a token.
    pub(crate) fn from_token(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_owned()),
        }
    }

    /// True for the methods named by this crate (not [`Method::Other`]).
    pub fn is_known(&self) -> bool {
        !matches!(Method::from_token(self.as_str()), Method::Other(_))
    }
}

impl PartialEq for Method {
    fn eq(&self, other: &Method) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Method {}

impl Hash for Method {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Method> {
        Method::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3261 §7.1: "the method names are case-sensitive".
    #[test]
    fn case_sensitive() {
        assert_eq!(Method::parse("INVITE").unwrap(), Method::Invite);
        assert_eq!(
            Method::parse("invite").unwrap(),
            Method::Other("invite".into())
        );
        assert_ne!(Method::parse("invite").unwrap(), Method::Invite);
        assert!(!Method::parse("invite").unwrap().is_known());
    }

    // RFC 4475 §3.1.1.2: any token is a method.
    #[test]
    fn extension_tokens() {
        let m = Method::parse("!interesting-Method0123456789_*+`.%indeed'~").unwrap();
        assert_eq!(m.as_str(), "!interesting-Method0123456789_*+`.%indeed'~");
        assert!(Method::parse("BAD METHOD").is_err());
        assert!(Method::parse("").is_err());
        assert_eq!(Method::Other("BYE".into()), Method::Bye);
    }
}
