//! The provisioner's domain: devices, their enrollment, sites, profiles, tasks and what a
//! session learned. Plain data (serde), shared by the ACS core, the store and the REST API.
//!
//! Times are Unix seconds (`i64`), passed in by the caller: nothing here reads a clock.

use serde::{Deserialize, Serialize};

/// A secret string (a file server password of an Upload or ScheduleDownload task):
/// serialised as plain text, `Debug` shows `***`.
pub use tipring_config::Secret;

/// A CPE's identity as TR-069 names it (§3.4.4, the Inform's `DeviceId`): OUI,
/// ProductClass (may be empty) and SerialNumber.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceKey {
    /// Organizationally unique identifier of the manufacturer (6 hex digits).
    pub oui: String,
    /// Product class; empty when the CPE sends none.
    pub product_class: String,
    /// Serial number.
    pub serial: String,
}

impl DeviceKey {
    /// `OUI-ProductClass-SerialNumber` (`OUI-SerialNumber` without a product class), with
    /// characters other than `[A-Za-z0-9_.]` percent-escaped so that the `-` separators
    /// stay unambiguous: the device's id in the store, the API and the logs.
    pub fn id(&self) -> String {
        let esc = |s: &str| {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        };
        if self.product_class.is_empty() {
            format!("{}-{}", esc(&self.oui), esc(&self.serial))
        } else {
            format!(
                "{}-{}-{}",
                esc(&self.oui),
                esc(&self.product_class),
                esc(&self.serial)
            )
        }
    }
}

/// Where a device stands in enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enrollment {
    /// Seen, not known: quarantined. Its sessions are empty (InformResponse, then 204);
    /// it is given no configuration and no secret until an operator approves it.
    Pending,
    /// Known (pre-registered, claimed or approved): provisioned from its profile.
    Approved,
    /// Refused by an operator: its sessions are answered 403.
    Rejected,
}

/// The data model root a CPE reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Root {
    /// TR-181 `Device.` (our agent; TR-104 issue 2 voice at `Device.Services.VoiceService.`).
    Device,
    /// TR-098 `InternetGatewayDevice.` (voice at `InternetGatewayDevice.Services.VoiceService.`).
    InternetGatewayDevice,
    /// Not known yet (no Inform parameter named either root).
    #[default]
    Unknown,
}

/// A device as the provisioner knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Its identity.
    pub key: DeviceKey,
    /// [`DeviceKey::id`], the primary key.
    pub id: String,
    /// Enrollment state.
    pub enrollment: Enrollment,
    /// The site it belongs to (a [`Site::name`]); None until assigned.
    pub site: Option<String>,
    /// Free tags (profiles and rollouts select by them).
    pub tags: Vec<String>,
    /// From the Inform: `DeviceInfo.Manufacturer`.
    pub manufacturer: String,
    /// `DeviceInfo.ModelName` (falls back to the product class).
    pub model: String,
    /// `DeviceInfo.SoftwareVersion`.
    pub software_version: String,
    /// `DeviceInfo.HardwareVersion`.
    pub hardware_version: String,
    /// `DeviceInfo.ProvisioningCode` as last reported.
    pub provisioning_code: String,
    /// Data model root.
    pub root: Root,
    /// `ManagementServer.ConnectionRequestURL` as last reported.
    pub connection_request_url: Option<String>,
    /// The address its last session came from.
    pub last_address: Option<String>,
    /// First Inform (Unix seconds).
    pub first_seen: i64,
    /// Last Inform (Unix seconds).
    pub last_inform: Option<i64>,
    /// Last Inform carrying `1 BOOT` or `0 BOOTSTRAP`.
    pub last_boot: Option<i64>,
    /// Digest of the desired parameter set last pushed successfully (None: never).
    pub provisioned_digest: Option<String>,
    /// When it was last fully provisioned.
    pub provisioned_at: Option<i64>,
    /// SHA-256 (hex) of the client certificate its sessions present, once seen.
    pub cert_sha256: Option<String>,
    /// Open faults (tasks that failed after their retries).
    pub open_faults: u32,
    /// Its UTC offset in minutes, from the last Inform's CurrentTime (None: the CPE sent
    /// no offset, or an unknown time); rollout maintenance windows are in its local time.
    #[serde(default)]
    pub utc_offset_min: Option<i32>,
    /// Its voice lines (TR-104 `SIP.Client.{i}.Status`, or issue 1 `Line.{i}.Status`) as
    /// last seen: how many there are.
    #[serde(default)]
    pub lines: u32,
    /// How many of them were registered (`Up`).
    #[serde(default)]
    pub lines_up: u32,
    /// `ManagementServer.PeriodicInformInterval` as last seen, seconds: it is online while
    /// its last Inform is no older than that (plus a grace).
    #[serde(default)]
    pub inform_interval_s: Option<u32>,
    /// When its call log was last read (None: never).
    #[serde(default)]
    pub calls_at: Option<i64>,
    /// Its calls of the day before `calls_at` per MOS-LQ band: good, fair, poor, bad
    /// ([`crate::calls::MOS_BANDS`]).
    #[serde(default)]
    pub calls_mos: [u32; 4],
    /// The same calls per mean-jitter band ([`crate::calls::JITTER_BANDS`]).
    #[serde(default)]
    pub calls_jitter: [u32; 4],
}

impl Device {
    /// A device first seen now, pending.
    pub fn new(key: DeviceKey, now: i64) -> Self {
        Self {
            id: key.id(),
            key,
            enrollment: Enrollment::Pending,
            site: None,
            tags: Vec::new(),
            manufacturer: String::new(),
            model: String::new(),
            software_version: String::new(),
            hardware_version: String::new(),
            provisioning_code: String::new(),
            root: Root::Unknown,
            connection_request_url: None,
            last_address: None,
            first_seen: now,
            last_inform: None,
            last_boot: None,
            provisioned_digest: None,
            provisioned_at: None,
            cert_sha256: None,
            open_faults: 0,
            utc_offset_min: None,
            lines: 0,
            lines_up: 0,
            inform_interval_s: None,
            calls_at: None,
            calls_mos: [0; 4],
            calls_jitter: [0; 4],
        }
    }
}

/// A site (a branch office): devices belong to one; its variables feed the templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Unique name (`[A-Za-z0-9._-]{1,64}`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Template variables (`pbx`, `first_extension`, `domain`, ...), strings.
    pub variables: std::collections::BTreeMap<String, String>,
}

/// What to do when an Inform shows a device drifted from its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftPolicy {
    /// Push the profile's values again.
    #[default]
    Correct,
    /// Record a fault naming the parameters; change nothing.
    Report,
}

/// A profile: which devices it applies to and the configuration template it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Unique name.
    pub name: String,
    /// Higher wins when several match a device.
    pub priority: i32,
    /// Match on `Device::model` (None: any).
    pub model: Option<String>,
    /// Match on the site (None: any).
    pub site: Option<String>,
    /// Every one of these tags must be on the device.
    pub tags: Vec<String>,
    /// The gateway configuration document (`tipring-config` JSON) with `{{variable}}`
    /// placeholders; see the template module for the variables.
    pub template: String,
    /// Defaults for variables (the site's win).
    pub variables: std::collections::BTreeMap<String, String>,
    /// Drift handling.
    pub drift: DriftPolicy,
}

/// A pre-registration: a device the operator expects (imported from a CSV of serials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preregistration {
    /// Serial number (required).
    pub serial: String,
    /// OUI, when known (empty: any).
    pub oui: String,
    /// Product class, when known (empty: any).
    pub product_class: String,
    /// Site to put it in.
    pub site: Option<String>,
    /// Tags to give it.
    pub tags: Vec<String>,
    /// SHA-256 (hex) of the device's initial ACS password (HTTP digest), for devices
    /// without a factory certificate; None: it must present its certificate.
    pub initial_secret_sha256: Option<String>,
}

/// A one-time claim code: an installer enters it on a gateway (as its ProvisioningCode,
/// or DHCP option 43 sub-option 2 gives it); the gateway's first authenticated Inform
/// carrying it is approved into the code's site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCode {
    /// SHA-256 (hex) of the code; the code itself is shown once, when it is made.
    pub code_sha256: String,
    /// Site the claimed device joins.
    pub site: Option<String>,
    /// Tags it gets.
    pub tags: Vec<String>,
    /// Unix seconds after which it no longer works.
    pub expires_at: i64,
    /// The device that used it (a code works once).
    pub used_by: Option<String>,
    /// When it was made, and by whom.
    pub created_at: i64,
    /// Who made it.
    pub created_by: String,
}

/// An operation for a device, delivered in its next session (or at once after a
/// connection request).
///
/// As JSON, the variant is the `kind` field, snake_case, beside its fields (the session
/// module's table gives each kind's RPC and result):
///
/// ```
/// use tipring_acs::model::TaskKind;
///
/// for json in [
///     r#"{"kind": "get_parameter_values", "names": ["Device.DeviceInfo."]}"#,
///     r#"{"kind": "get_parameter_attributes", "names": ["Device.DeviceInfo.UpTime"]}"#,
///     r#"{"kind": "set_parameter_attributes", "attributes": [
///          {"name": "Device.DeviceInfo.ProvisioningCode", "notification": 2},
///          {"name": "Device.Services.", "access_list": []}]}"#,
///     r#"{"kind": "upload", "file_type": "2 Vendor Log File",
///         "url": "https://files.example.net/up", "username": "u", "password": "p"}"#,
///     r#"{"kind": "schedule_inform", "delay_seconds": 60}"#,
///     r#"{"kind": "get_rpc_methods"}"#,
///     r#"{"kind": "get_all_queued_transfers"}"#,
///     r#"{"kind": "cancel_transfer", "command_key": "task-7"}"#,
///     r#"{"kind": "schedule_download", "file_type": "1 Firmware Upgrade Image",
///         "url": "https://fw.example.net/1.3.bin", "file_size": 0,
///         "time_windows": [{"window_start": 0, "window_end": 3600,
///                           "window_mode": "1 At Any Time"}]}"#,
/// ] {
///     let kind: TaskKind = serde_json::from_str(json).unwrap();
///     assert!(!format!("{kind:?}").contains(r#""p""#));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskKind {
    /// GetParameterValues of names or partial paths.
    GetParameterValues {
        /// Names (a trailing `.` for a subtree).
        names: Vec<String>,
    },
    /// SetParameterValues (values as strings; the type comes from the parameter cache or
    /// defaults to xsd:string).
    SetParameterValues {
        /// (name, value) pairs.
        values: Vec<(String, String)>,
    },
    /// GetParameterNames.
    GetParameterNames {
        /// Path (empty: the whole tree).
        path: String,
        /// NextLevel.
        next_level: bool,
    },
    /// AddObject on a table path (`...Line.`).
    AddObject {
        /// The table.
        path: String,
    },
    /// DeleteObject of an instance path (`...Line.3.`).
    DeleteObject {
        /// The instance.
        path: String,
    },
    /// Reboot.
    Reboot,
    /// FactoryReset.
    FactoryReset,
    /// Download (firmware or a configuration file).
    Download {
        /// TR-069 file type, e.g. `1 Firmware Upgrade Image`.
        file_type: String,
        /// Where the CPE fetches it.
        url: String,
        /// Size in bytes (0: unknown).
        file_size: u64,
        /// Target file name (optional).
        target_file_name: String,
    },
    /// The provisioning pass: bring the device to its profile's rendered configuration
    /// (read back, AddObject what is missing, SetParameterValues what differs).
    Provision,
    /// GetParameterAttributes (Annex A.3.2.5) of names or partial paths.
    GetParameterAttributes {
        /// Names (a trailing `.` for a subtree).
        names: Vec<String>,
    },
    /// SetParameterAttributes (Annex A.3.2.4).
    SetParameterAttributes {
        /// The changes, applied by the CPE all or nothing.
        attributes: Vec<AttributeChange>,
    },
    /// Upload (Annex A.4.1.5): the CPE sends a file to `url`; like a Download, it is in
    /// flight until its TransferComplete unless the response says it is done.
    Upload {
        /// TR-069 file type, e.g. `1 Vendor Configuration File`, `2 Vendor Log File`.
        file_type: String,
        /// Where the CPE puts it.
        url: String,
        /// File server user name, if it needs one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// File server password: `Debug` shows `***`; [`TaskKind::redacted`] empties it
        /// for display. It is kept (in clear) in the task's JSON in the store.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Secret>,
    },
    /// ScheduleInform (Annex A.4.1.2): an Inform with `3 SCHEDULED` and
    /// `M ScheduleInform` (CommandKey `task-<id>`) after the delay.
    ScheduleInform {
        /// Seconds from the request to the Inform (at least 1).
        delay_seconds: u32,
    },
    /// GetRPCMethods sent to the CPE (Annex A.3.1.1): the methods it supports.
    GetRpcMethods,
    /// GetAllQueuedTransfers (Annex A.4.1.7): the CPE's queued and running transfers.
    GetAllQueuedTransfers,
    /// CancelTransfer (Annex A.4.1.9) of a queued transfer, by its CommandKey (`task-<id>`
    /// for the transfers of this ACS).
    CancelTransfer {
        /// The transfer's CommandKey.
        command_key: String,
    },
    /// ScheduleDownload (CWMP 1.4, Annex A.4.1.8): a Download the CPE makes within one or
    /// two time windows; in flight until its TransferComplete.
    ScheduleDownload {
        /// TR-069 file type, e.g. `1 Firmware Upgrade Image`.
        file_type: String,
        /// Where the CPE fetches it.
        url: String,
        /// Size in bytes (0: unknown; at most 4294967295, an xsd:unsignedInt).
        file_size: u64,
        /// Target file name (optional).
        #[serde(default)]
        target_file_name: String,
        /// One or two windows, in order, not overlapping.
        time_windows: Vec<TimeWindow>,
        /// File server user name, if it needs one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// File server password (as for [`TaskKind::Upload`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Secret>,
    },
}

impl TaskKind {
    /// The file server password a task carries (Upload, ScheduleDownload), to seal it for
    /// the store and open it for the session.
    pub fn password_mut(&mut self) -> Option<&mut Secret> {
        match self {
            TaskKind::Upload { password, .. } | TaskKind::ScheduleDownload { password, .. } => {
                password.as_mut()
            }
            _ => None,
        }
    }

    /// The same task with every password emptied (`""`, as TR-069 data models read a
    /// password back): what to show through the API or put in an audit record.
    pub fn redacted(&self) -> TaskKind {
        let mut out = self.clone();
        match &mut out {
            TaskKind::Upload { password, .. } | TaskKind::ScheduleDownload { password, .. } => {
                if let Some(p) = password.as_mut() {
                    *p = Secret::new("");
                }
            }
            _ => {}
        }
        out
    }

    /// Whether the task is a file transfer answered by a TransferComplete (Download,
    /// Upload, ScheduleDownload), matched by its CommandKey `task-<id>`.
    pub fn is_transfer(&self) -> bool {
        matches!(
            self,
            TaskKind::Download { .. } | TaskKind::Upload { .. } | TaskKind::ScheduleDownload { .. }
        )
    }
}

/// One change of a [`TaskKind::SetParameterAttributes`] task (Annex A.3.2.4,
/// `SetParameterAttributesStruct`): `None` leaves that attribute as it is
/// (NotificationChange / AccessListChange false).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// A parameter name or a partial path (ending in `.`).
    pub name: String,
    /// The new Notification: 0 off, 1 passive, 2 active, 3-6 the lightweight
    /// notifications (CWMP 1.4; many CPEs refuse them with 9009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<u8>,
    /// The new AccessList (`["Subscriber"]`, or `[]` for the ACS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_list: Option<Vec<String>>,
}

/// A time window of a [`TaskKind::ScheduleDownload`] (Annex A.4.1.8, `TimeWindowStruct`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Seconds from the request to the window's start.
    pub window_start: u32,
    /// Seconds from the request to its end (not before its start).
    pub window_end: u32,
    /// `1 At Any Time`, `2 Immediately`, `3 When Idle`, `4 Confirmation Needed`.
    pub window_mode: String,
    /// Message for the user when confirmation is needed.
    #[serde(default)]
    pub user_message: String,
    /// Attempts within the window (-1: the CPE decides).
    #[serde(default = "minus_one")]
    pub max_retries: i32,
}

fn minus_one() -> i32 {
    -1
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting for the device's next session (or its retry time).
    Queued,
    /// Sent in a session that has not ended.
    InFlight,
    /// Done.
    Done,
    /// Faulted; it will be tried again at `next_attempt_at`.
    Retrying,
    /// Faulted `MAX_ATTEMPTS` times: given up, surfaced as a device fault.
    Failed,
    /// Cancelled by an operator.
    Cancelled,
}

/// A CWMP fault as a task recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFault {
    /// CWMP fault code (9000..9019, 8000..8005), or 0 for a session failure.
    pub code: u32,
    /// Fault string.
    pub message: String,
    /// Per-parameter faults of a SetParameterValues fault: (name, code, message).
    pub parameters: Vec<(String, u32, String)>,
}

/// A queued operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Store-assigned id (0 before it is stored).
    pub id: i64,
    /// The device's id.
    pub device: String,
    /// What to do.
    pub kind: TaskKind,
    /// State.
    pub state: TaskState,
    /// Faults so far.
    pub attempts: u32,
    /// Not before this (Unix seconds).
    pub next_attempt_at: i64,
    /// The last fault.
    pub fault: Option<TaskFault>,
    /// The result (GPV values, GPN names, the new instance number...) as JSON.
    pub result: Option<serde_json::Value>,
    /// Made when, by whom (an API token's name, or `provisioner` for its own logic).
    pub created_at: i64,
    /// Who.
    pub created_by: String,
    /// Last change.
    pub updated_at: i64,
}

/// One cached parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedParameter {
    /// Full name.
    pub name: String,
    /// Value as the CPE reported it (secrets are never cached: they read back empty).
    pub value: String,
    /// xsd type (`xsd:string`, `xsd:unsignedInt`, ...).
    pub xsd_type: String,
    /// Writable, when a GetParameterNames said so.
    pub writable: Option<bool>,
    /// When it was seen (Unix seconds).
    pub seen_at: i64,
}

/// Roles of API tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything except secrets.
    ReadOnly,
    /// Also queues tasks, approves devices, manages sites/profiles/claims.
    Operator,
    /// Also manages tokens and reveals secrets.
    Admin,
}

/// An audit record: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Store-assigned id.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// An API token's name, `provisioner`, or `device:<id>`.
    pub actor: String,
    /// What (`device.approve`, `secret.reveal`, `task.queue`, ...).
    pub action: String,
    /// On what (a device id, a site name...).
    pub target: String,
    /// Details (never a secret).
    pub detail: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The JSON of the kinds added for TR-069 Amendment 6 Annex A.3.2.4, A.3.2.5, A.3.1.1
    /// and A.4.1.2-A.4.1.9: tag, field names, optional fields left out, defaults.
    #[test]
    fn new_kinds_have_their_json_shape() {
        let cases = [
            (
                TaskKind::GetParameterAttributes {
                    names: vec!["Device.DeviceInfo.".into()],
                },
                json!({"kind": "get_parameter_attributes", "names": ["Device.DeviceInfo."]}),
            ),
            (
                TaskKind::SetParameterAttributes {
                    attributes: vec![
                        AttributeChange {
                            name: "A.b".into(),
                            notification: Some(2),
                            access_list: None,
                        },
                        AttributeChange {
                            name: "A.c".into(),
                            notification: None,
                            access_list: Some(Vec::new()),
                        },
                    ],
                },
                json!({"kind": "set_parameter_attributes", "attributes": [
                    {"name": "A.b", "notification": 2},
                    {"name": "A.c", "access_list": []},
                ]}),
            ),
            (
                TaskKind::Upload {
                    file_type: "1 Vendor Configuration File".into(),
                    url: "https://u.example/x".into(),
                    username: None,
                    password: None,
                },
                json!({"kind": "upload", "file_type": "1 Vendor Configuration File",
                       "url": "https://u.example/x"}),
            ),
            (
                TaskKind::Upload {
                    file_type: "2 Vendor Log File".into(),
                    url: "https://u.example/x".into(),
                    username: Some("me".into()),
                    password: Some(Secret::new("pw")),
                },
                json!({"kind": "upload", "file_type": "2 Vendor Log File",
                       "url": "https://u.example/x", "username": "me", "password": "pw"}),
            ),
            (
                TaskKind::ScheduleInform { delay_seconds: 30 },
                json!({"kind": "schedule_inform", "delay_seconds": 30}),
            ),
            (TaskKind::GetRpcMethods, json!({"kind": "get_rpc_methods"})),
            (
                TaskKind::GetAllQueuedTransfers,
                json!({"kind": "get_all_queued_transfers"}),
            ),
            (
                TaskKind::CancelTransfer {
                    command_key: "task-3".into(),
                },
                json!({"kind": "cancel_transfer", "command_key": "task-3"}),
            ),
            (
                TaskKind::ScheduleDownload {
                    file_type: "1 Firmware Upgrade Image".into(),
                    url: "https://f.example/1.bin".into(),
                    file_size: 10,
                    target_file_name: String::new(),
                    time_windows: vec![TimeWindow {
                        window_start: 0,
                        window_end: 60,
                        window_mode: "2 Immediately".into(),
                        user_message: String::new(),
                        max_retries: -1,
                    }],
                    username: None,
                    password: None,
                },
                json!({"kind": "schedule_download", "file_type": "1 Firmware Upgrade Image",
                       "url": "https://f.example/1.bin", "file_size": 10,
                       "target_file_name": "",
                       "time_windows": [{"window_start": 0, "window_end": 60,
                                         "window_mode": "2 Immediately", "user_message": "",
                                         "max_retries": -1}]}),
            ),
        ];
        for (kind, want) in cases {
            assert_eq!(serde_json::to_value(&kind).unwrap(), want);
            assert_eq!(serde_json::from_value::<TaskKind>(want).unwrap(), kind);
        }
        // Defaults: no target file name, no user message, MaxRetries -1 (the CPE decides).
        let short = json!({"kind": "schedule_download", "file_type": "1 Firmware Upgrade Image",
            "url": "https://f.example/1.bin", "file_size": 0,
            "time_windows": [{"window_start": 5, "window_end": 6, "window_mode": "1 At Any Time"}]});
        let TaskKind::ScheduleDownload {
            time_windows,
            target_file_name,
            ..
        } = serde_json::from_value(short).unwrap()
        else {
            panic!("a schedule_download")
        };
        assert_eq!(target_file_name, "");
        assert_eq!(
            (
                time_windows[0].max_retries,
                time_windows[0].user_message.as_str()
            ),
            (-1, "")
        );
        // A notification is a number 0..=255 on the JSON side (the session refuses > 6).
        assert!(
            serde_json::from_value::<TaskKind>(json!({"kind": "set_parameter_attributes",
            "attributes": [{"name": "A.b", "notification": -1}]}))
            .is_err()
        );
    }

    /// Passwords: hidden from `Debug`, emptied by `redacted`, kept by serde.
    #[test]
    fn passwords_are_hidden_and_redacted() {
        let kind = TaskKind::ScheduleDownload {
            file_type: "1 Firmware Upgrade Image".into(),
            url: "https://f.example/1.bin".into(),
            file_size: 0,
            target_file_name: String::new(),
            time_windows: Vec::new(),
            username: Some("fw".into()),
            password: Some(Secret::new("s3cr3t-pw")),
        };
        assert!(!format!("{kind:?}").contains("s3cr3t-pw"));
        assert!(serde_json::to_string(&kind).unwrap().contains("s3cr3t-pw"));
        let shown = serde_json::to_value(kind.redacted()).unwrap();
        assert_eq!(
            (shown["password"].as_str(), shown["username"].as_str()),
            (Some(""), Some("fw"))
        );
        assert_eq!(TaskKind::Reboot.redacted(), TaskKind::Reboot);
        assert!(kind.is_transfer());
        assert!(!TaskKind::GetAllQueuedTransfers.is_transfer());
    }
}
