//! [`CwmpState`]: writable parameters that the configuration document has no field for
//! (yet). The agent persists it next to the configuration; [`Tree::set`](crate::Tree::set)
//! returns it updated alongside the new configuration.

use serde::{Deserialize, Serialize};
use tipring_config::Secret;

use crate::error::{Error, Result};
use crate::value::UNKNOWN_TIME;

/// Values the tree keeps outside [`GatewayConfig`](tipring_config::GatewayConfig): the
/// CWMP client's session state (`ParameterKey`) and settings the configuration model does
/// not have a field for. Each field names the parameter it backs.
///
/// It is a plain serde document: the agent stores it (e.g. as JSON next to the
/// configuration) and gives it back to [`Tree::new`](crate::Tree::new). Unknown fields are
/// ignored and missing ones take their defaults, so it survives upgrades in both
/// directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CwmpState {
    /// `ManagementServer.ParameterKey`: set by the CWMP session when a
    /// SetParameterValues, AddObject or DeleteObject succeeds (TR-069 Amendment 6
    /// §A.3.2.1); never by [`Tree::set`](crate::Tree::set).
    pub parameter_key: String,
    /// `DeviceInfo.ProvisioningCode`.
    pub provisioning_code: String,
    /// `ManagementServer.PeriodicInformEnable`.
    pub periodic_inform_enable: bool,
    /// `ManagementServer.PeriodicInformTime` (dateTime; the unknown time means "any").
    pub periodic_inform_time: String,
    /// `ManagementServer.ConnectionRequestUsername`.
    pub connection_request_username: String,
    /// `ManagementServer.ConnectionRequestPassword`.
    pub connection_request_password: Secret,
    /// `ManagementServer.UpgradesManaged`.
    pub upgrades_managed: bool,
    /// `ManagementServer.DefaultActiveNotificationThrottle`, seconds.
    pub default_active_notification_throttle: u32,
    /// `ManagementServer.CWMPRetryMinimumWaitInterval`, seconds (TR-069 §3.2.1.1: 5).
    pub cwmp_retry_minimum_wait_interval: u32,
    /// `ManagementServer.CWMPRetryIntervalMultiplier`, thousandths (TR-069 §3.2.1.1: 2000).
    pub cwmp_retry_interval_multiplier: u32,
    /// `ManagementServer.STUNEnable`.
    pub stun_enable: bool,
    /// `ManagementServer.STUNServerAddress` (empty: the ACS's host).
    pub stun_server_address: String,
    /// `ManagementServer.STUNServerPort`.
    pub stun_server_port: u32,
    /// `ManagementServer.STUNUsername`.
    pub stun_username: String,
    /// `ManagementServer.STUNPassword`.
    pub stun_password: Secret,
    /// `Time.Enable`: use NTP.
    pub ntp_enable: bool,
    /// `Time.NTPServer1`.
    pub ntp_server1: String,
    /// `Time.NTPServer2`.
    pub ntp_server2: String,
    /// Issue 1 `VoiceProfile.1.ServiceProviderInfo.Name`.
    pub service_provider_name: String,
    /// Per port (0-based): call-forward targets kept while their forward is disabled.
    pub ports: Vec<PortState>,
}

impl Default for CwmpState {
    fn default() -> Self {
        Self {
            parameter_key: String::new(),
            provisioning_code: String::new(),
            periodic_inform_enable: true,
            periodic_inform_time: UNKNOWN_TIME.into(),
            connection_request_username: String::new(),
            connection_request_password: Secret::default(),
            upgrades_managed: false,
            default_active_notification_throttle: 0,
            cwmp_retry_minimum_wait_interval: 5,
            cwmp_retry_interval_multiplier: 2000,
            stun_enable: false,
            stun_server_address: String::new(),
            stun_server_port: 3478,
            stun_username: String::new(),
            stun_password: Secret::default(),
            ntp_enable: false,
            ntp_server1: String::new(),
            ntp_server2: String::new(),
            service_provider_name: String::new(),
            ports: Vec::new(),
        }
    }
}

/// Per-port state: a call-forward target the ACS wrote while that forward was disabled
/// (`CallForward*Number` with `CallForward*Enable` false). The configuration holds a
/// forward target only while it is active, so the number waits here until it is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PortState {
    /// Parked `CallForwardUnconditionalNumber`.
    pub forward_all: Option<String>,
    /// Parked `CallForwardOnBusyNumber`.
    pub forward_busy: Option<String>,
    /// Parked `CallForwardOnNoAnswerNumber`.
    pub forward_no_answer: Option<String>,
}

impl CwmpState {
    /// Read a persisted state.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|source| Error::Json {
            what: "the CWMP state",
            source,
        })
    }

    /// The state as JSON, for the agent to persist (it holds secrets: store it like the
    /// configuration file).
    pub fn to_json(&self) -> String {
        // Cannot fail: plain strings, numbers and booleans.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TR-069 Amendment 6 §3.2.1.1: the retry wait defaults (m = 5 s, k = 2000).
    #[test]
    fn defaults_follow_tr069_retry_rules() {
        let s = CwmpState::default();
        assert_eq!(s.cwmp_retry_minimum_wait_interval, 5);
        assert_eq!(s.cwmp_retry_interval_multiplier, 2000);
        assert!(s.periodic_inform_enable);
        assert_eq!(s.periodic_inform_time, UNKNOWN_TIME);
    }

    #[test]
    fn json_round_trip_keeps_secrets_and_tolerates_unknown_fields() {
        let s = CwmpState {
            stun_password: Secret::new("stun-secret"),
            parameter_key: "k1".into(),
            ..CwmpState::default()
        };
        let back = CwmpState::from_json(s.to_json().as_bytes()).unwrap();
        assert_eq!(back, s);
        assert!(!format!("{s:?}").contains("stun-secret"));
        let old = CwmpState::from_json(br#"{"parameter_key":"x","future_field":1}"#).unwrap();
        assert_eq!(old.parameter_key, "x");
        assert!(matches!(
            CwmpState::from_json(b"[").unwrap_err(),
            Error::Json { .. }
        ));
    }
}
