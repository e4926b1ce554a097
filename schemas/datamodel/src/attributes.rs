//! Parameter attributes (TR-069 Amendment 6 §A.3.2.4/§A.3.2.5): Notification and
//! AccessList, in a store the agent persists, and the value-change finder behind the
//! `4 VALUE CHANGE` event.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::{definitions, split_instances, Access, ActiveNotify, ParamDef};
use crate::tree::canonical;
use crate::value::Value;

/// The Notification attribute of a parameter (TR-069 Amendment 6 §A.3.2.4). Stored and
/// serialised as its number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(into = "u8", try_from = "u8")]
pub enum Notification {
    /// 0: no notification.
    #[default]
    Off,
    /// 1: passive: the new value goes in the next Inform.
    Passive,
    /// 2: active: a change starts a session (`4 VALUE CHANGE`).
    Active,
}

impl Notification {
    /// The number on the wire.
    pub fn code(self) -> u8 {
        match self {
            Notification::Off => 0,
            Notification::Passive => 1,
            Notification::Active => 2,
        }
    }

    /// From the number on the wire (0, 1, 2).
    pub fn from_code(n: u32) -> Option<Self> {
        match n {
            0 => Some(Notification::Off),
            1 => Some(Notification::Passive),
            2 => Some(Notification::Active),
            _ => None,
        }
    }
}

impl From<Notification> for u8 {
    fn from(n: Notification) -> u8 {
        n.code()
    }
}

impl TryFrom<u8> for Notification {
    type Error = String;

    fn try_from(n: u8) -> std::result::Result<Self, String> {
        Notification::from_code(n.into()).ok_or_else(|| format!("notification {n} is not 0..=2"))
    }
}

/// One entry of a SetParameterAttributes request (TR-069 Amendment 6 §A.3.2.4,
/// `SetParameterAttributesStruct`): `None` stands for `NotificationChange` /
/// `AccessListChange` false.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetAttribute {
    /// A parameter name or a partial path (ending in `.`).
    pub name: String,
    /// The new Notification, as sent (0..=6; we support 0..=2).
    pub notification: Option<u32>,
    /// The new AccessList (`Subscriber` or nothing).
    pub access_list: Option<Vec<String>>,
}

/// The attributes of one parameter (GetParameterAttributes,
/// `ParameterAttributeStruct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterAttribute {
    /// Its name.
    pub name: String,
    /// Its Notification.
    pub notification: Notification,
    /// Who besides the ACS may write it (`Subscriber`), TR-069 §A.3.2.4.
    pub access_list: Vec<String>,
}

/// A value that changed on a parameter with notification (for `4 VALUE CHANGE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueChange {
    /// The parameter.
    pub name: String,
    /// Its new value.
    pub value: Value,
    /// Passive (put it in the next Inform) or active (start a session now).
    pub notification: Notification,
}

/// What is stored for a parameter whose attributes differ from the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
struct Stored {
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<Notification>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    subscriber: bool,
}

/// The attribute store: every parameter whose Notification or AccessList differs from its
/// default, by full name (instance numbers included). A partial path in
/// SetParameterAttributes is stored as each parameter below it at the time of the request.
/// The agent persists it (`to_json` / `from_json`) across reboots, as TR-069 requires.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Attributes {
    params: BTreeMap<String, Stored>,
}

/// The definition of a concrete name, if it is one of ours.
fn def_of(name: &str) -> Option<&'static ParamDef> {
    let (template, _) = split_instances(&canonical(name)).ok()?;
    definitions().param(&template)
}

impl Attributes {
    /// An empty store: every parameter has its default attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Notification of a parameter: stored, else its default (active for
    /// `forceEnabled`/`forceDefaultEnabled` parameters); always active for `forceEnabled`.
    pub fn notification(&self, name: &str) -> Notification {
        let def = def_of(name);
        if def.is_some_and(|d| d.active_notify == ActiveNotify::ForceEnabled) {
            return Notification::Active;
        }
        let canon = canonical(name);
        self.params
            .get(&canon)
            .and_then(|s| s.notification)
            .or_else(|| def.map(ParamDef::default_notification))
            .unwrap_or_default()
    }

    /// The AccessList of a parameter: `["Subscriber"]` or empty (only the ACS writes).
    pub fn access_list(&self, name: &str) -> Vec<String> {
        if self
            .params
            .get(&canonical(name))
            .is_some_and(|s| s.subscriber)
        {
            vec!["Subscriber".to_string()]
        } else {
            Vec::new()
        }
    }

    /// Whether the subscriber (a local management interface) may write this parameter:
    /// it is writable, not reserved to the ACS, and its AccessList grants `Subscriber`.
    pub fn subscriber_may_write(&self, name: &str) -> bool {
        def_of(name).is_some_and(|d| d.access == Access::ReadWrite)
            && self
                .params
                .get(&canonical(name))
                .is_some_and(|s| s.subscriber)
    }

    /// The parameters of `new` whose value differs from `old` and whose Notification is
    /// passive or active, in `new`'s order: what the CWMP session reports with
    /// `4 VALUE CHANGE`. Give it two full reads of the tree (`Tree::get` of `Device.`)
    /// taken at different times. Parameters missing from `old` (a new instance) are not
    /// changes. Leave out values the ACS itself set (TR-069 §A.3.2.4: changes made through
    /// SetParameterValues are not notified): take `old` after applying them.
    pub fn changed(&self, old: &[(String, Value)], new: &[(String, Value)]) -> Vec<ValueChange> {
        let before: HashMap<&str, &Value> = old.iter().map(|(n, v)| (n.as_str(), v)).collect();
        let mut out = Vec::new();
        for (name, value) in new {
            let Some(prev) = before.get(name.as_str()) else {
                continue;
            };
            if *prev == value {
                continue;
            }
            let notification = self.notification(name);
            if notification != Notification::Off {
                out.push(ValueChange {
                    name: name.clone(),
                    value: value.clone(),
                    notification,
                });
            }
        }
        out
    }

    /// Read a persisted store.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|source| Error::Json {
            what: "the attribute store",
            source,
        })
    }

    /// The store as JSON.
    pub fn to_json(&self) -> String {
        // Cannot fail: string keys, numbers and booleans.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// How many parameters have non-default attributes.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether every parameter has its default attributes.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    pub(crate) fn put_notification(&mut self, name: &str, n: Notification, default: Notification) {
        let entry = self.params.entry(name.to_string()).or_default();
        entry.notification = (n != default).then_some(n);
        self.prune(name);
    }

    pub(crate) fn put_access_list(&mut self, name: &str, subscriber: bool) {
        self.params.entry(name.to_string()).or_default().subscriber = subscriber;
        self.prune(name);
    }

    fn prune(&mut self, name: &str) {
        if self.params.get(name) == Some(&Stored::default()) {
            self.params.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TR-181: `SoftwareVersion` is forceEnabled (always active),
    /// `ConnectionRequestURL` forceDefaultEnabled (active until changed), others off.
    #[test]
    fn defaults_follow_active_notify() {
        let a = Attributes::new();
        assert_eq!(
            a.notification("Device.DeviceInfo.SoftwareVersion"),
            Notification::Active
        );
        assert_eq!(
            a.notification("Device.ManagementServer.ConnectionRequestURL"),
            Notification::Active
        );
        assert_eq!(
            a.notification("Device.DeviceInfo.UpTime"),
            Notification::Off
        );
        assert_eq!(a.notification("Device.NoSuchThing"), Notification::Off);
        assert!(a.access_list("Device.Time.NTPServer1").is_empty());
    }

    #[test]
    fn store_round_trips_and_prunes_defaults() {
        let mut a = Attributes::new();
        a.put_notification(
            "Device.Time.NTPServer1",
            Notification::Passive,
            Notification::Off,
        );
        a.put_access_list("Device.Time.NTPServer1", true);
        let back = Attributes::from_json(a.to_json().as_bytes()).unwrap();
        assert_eq!(back, a);
        assert_eq!(
            back.notification("Device.Time.NTPServer1"),
            Notification::Passive
        );
        assert!(back.subscriber_may_write("Device.Time.NTPServer1"));
        a.put_notification(
            "Device.Time.NTPServer1",
            Notification::Off,
            Notification::Off,
        );
        a.put_access_list("Device.Time.NTPServer1", false);
        assert!(a.is_empty());
        assert!(Attributes::from_json(br#"{"params":{"x":{"notification":7}}}"#).is_err());
    }

    /// `4 VALUE CHANGE`: only changed values of parameters with notification on.
    #[test]
    fn changed_reports_notified_changes_only() {
        let mut a = Attributes::new();
        a.put_notification(
            "Device.Time.NTPServer1",
            Notification::Passive,
            Notification::Off,
        );
        let old = vec![
            ("Device.Time.NTPServer1".to_string(), Value::str("a")),
            ("Device.Time.NTPServer2".to_string(), Value::str("a")),
            (
                "Device.DeviceInfo.SoftwareVersion".to_string(),
                Value::str("1.0"),
            ),
        ];
        let new = vec![
            ("Device.Time.NTPServer1".to_string(), Value::str("b")),
            ("Device.Time.NTPServer2".to_string(), Value::str("b")),
            (
                "Device.DeviceInfo.SoftwareVersion".to_string(),
                Value::str("1.1"),
            ),
            (
                "Device.DeviceInfo.ProvisioningCode".to_string(),
                Value::str("new"),
            ),
        ];
        let c = a.changed(&old, &new);
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.name.as_str(), c.notification))
            .collect();
        assert_eq!(
            got,
            [
                ("Device.Time.NTPServer1", Notification::Passive),
                ("Device.DeviceInfo.SoftwareVersion", Notification::Active)
            ]
        );
        assert_eq!(c[1].value, Value::str("1.1"));
    }
}
