//! [`Secret`]: a password, community string or key that must never reach a log.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A secret string (SIP password, ACS password, SNMP community or v3 pass phrase).
///
/// It serialises as a plain JSON string, because the configuration file must hold it, but
/// `Debug` prints `***` (so `tracing`'s `?config` and `{:?}` never show it), there is no
/// `Display`, and its memory is overwritten when it is dropped. Use
/// [`GatewayConfig::redacted`](crate::GatewayConfig::redacted) for a document that can be
/// shown.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (digest authentication, USM keys).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Its length in bytes (safe to show: it is what validation talks about).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value shown in a redacted document: empty, as TR-069 data models say of a
    /// password parameter (TR-181, e.g. `Device.ManagementServer.Password`: "When read, this
    /// parameter returns an empty string, regardless of the actual value"). An empty password is refused by validation,
    /// so a redacted document written back by mistake is refused, not stored.
    pub(crate) fn redacted(&self) -> Self {
        Self(String::new())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A secret (password, community, pass phrase). Stored in the file; never logged.",
            "writeOnly": true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_serde_keeps_it() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"hunter2\"");
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), "hunter2");
        assert_eq!(back.len(), 7);
        assert!(s.redacted().is_empty());
    }
}
