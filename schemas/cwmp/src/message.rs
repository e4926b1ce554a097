//! The CWMP messages (TR-069 Amd 6 Annex A.3, A.4), the SOAP header entries (§3.5)
//! and the envelope that carries them.
//!
//! Field types follow the CWMP XSD: `xsd:unsignedInt` is `u32`, `xsd:int` is `i32`,
//! `xsd:boolean` is `bool`, `xsd:dateTime` stays text (see [`crate::time`]) and
//! strings are `String`. An element missing from a peer's message reads as the
//! field's default (empty, 0, false).

use std::fmt;

use crate::fault::{Fault, FaultCode};
use crate::value::ParameterValue;
use crate::version::CwmpVersion;

/// Standard Inform event codes (TR-069 Amd 6 §3.7.1.5, Table 7 / the XSD's
/// EventCodeType).
pub mod event_code {
    /// First contact after installation or an ACS URL change.
    pub const BOOTSTRAP: &str = "0 BOOTSTRAP";
    /// The CPE (re)booted.
    pub const BOOT: &str = "1 BOOT";
    /// The periodic inform interval elapsed.
    pub const PERIODIC: &str = "2 PERIODIC";
    /// A ScheduleInform came due.
    pub const SCHEDULED: &str = "3 SCHEDULED";
    /// A parameter with notification on changed.
    pub const VALUE_CHANGE: &str = "4 VALUE CHANGE";
    /// Kicked RPC (web identity management).
    pub const KICKED: &str = "5 KICKED";
    /// The ACS sent a Connection Request.
    pub const CONNECTION_REQUEST: &str = "6 CONNECTION REQUEST";
    /// A Download/Upload finished (TransferComplete follows).
    pub const TRANSFER_COMPLETE: &str = "7 TRANSFER COMPLETE";
    /// A diagnostic test finished.
    pub const DIAGNOSTICS_COMPLETE: &str = "8 DIAGNOSTICS COMPLETE";
    /// The CPE wants to call RequestDownload.
    pub const REQUEST_DOWNLOAD: &str = "9 REQUEST DOWNLOAD";
    /// A transfer not requested by the ACS finished.
    pub const AUTONOMOUS_TRANSFER_COMPLETE: &str = "10 AUTONOMOUS TRANSFER COMPLETE";
    /// A ChangeDUState finished.
    pub const DU_STATE_CHANGE_COMPLETE: &str = "11 DU STATE CHANGE COMPLETE";
    /// An autonomous deployment-unit change finished.
    pub const AUTONOMOUS_DU_STATE_CHANGE_COMPLETE: &str = "12 AUTONOMOUS DU STATE CHANGE COMPLETE";
    /// The CPE woke from a low-power state (CWMP 1.4).
    pub const WAKEUP: &str = "13 WAKEUP";
    /// The Reboot RPC caused the boot (CommandKey of the Reboot).
    pub const M_REBOOT: &str = "M Reboot";
    /// ScheduleInform came due (CommandKey of the request).
    pub const M_SCHEDULE_INFORM: &str = "M ScheduleInform";
    /// A Download finished.
    pub const M_DOWNLOAD: &str = "M Download";
    /// A ScheduleDownload finished.
    pub const M_SCHEDULE_DOWNLOAD: &str = "M ScheduleDownload";
    /// An Upload finished.
    pub const M_UPLOAD: &str = "M Upload";
    /// A ChangeDUState finished.
    pub const M_CHANGE_DU_STATE: &str = "M ChangeDUState";
}

/// The SOAP header entries CWMP defines (TR-069 Amd 6 §3.5, Table 6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// `cwmp:ID` (mustUnderstand="1"): pairs a response with its request.
    pub id: Option<String>,
    /// `cwmp:HoldRequests` (mustUnderstand="1"): ACS to CPE, "send no requests yet".
    pub hold_requests: Option<bool>,
    /// `cwmp:SessionTimeout` (CWMP 1.3+): seconds the CPE will wait for the ACS.
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions` (CWMP 1.4): comma-separated, e.g. `1.0,1.1,1.2,1.3,1.4`.
    pub supported_versions: Option<String>,
    /// `cwmp:UseCWMPVersion` (CWMP 1.4, mustUnderstand="1"): the version the ACS chose.
    pub use_version: Option<String>,
    /// `cwmp:NoMoreRequests` (CWMP 1.0, deprecated): read and written, never needed.
    pub no_more_requests: Option<bool>,
}

impl Header {
    /// A header holding only a `cwmp:ID`.
    pub fn with_id(id: impl Into<String>) -> Header {
        Header {
            id: Some(id.into()),
            ..Header::default()
        }
    }

    /// Whether no entry is set (the writer then omits the Header).
    pub fn is_empty(&self) -> bool {
        *self == Header::default()
    }
}

/// One SOAP envelope: the CWMP version of its namespace, its header entries and the
/// message in its Body (or none: an envelope may have an empty Body).
///
/// An empty HTTP POST is not an envelope: [`crate::parse`] reads it as `Ok(None)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// Namespace version seen on reading; the one written on writing.
    pub version: CwmpVersion,
    /// SOAP header entries.
    pub header: Header,
    /// The message, if the Body holds one.
    pub body: Option<Body>,
}

impl Envelope {
    /// An envelope with a `cwmp:ID` and a message, in the default namespace (1-2).
    pub fn new(id: impl Into<String>, body: Body) -> Envelope {
        Envelope {
            version: CwmpVersion::default(),
            header: Header::with_id(id),
            body: Some(body),
        }
    }

    /// The answer to this envelope: same namespace version and `cwmp:ID`, the given
    /// message (a response or a [`Fault`]).
    pub fn reply(&self, body: Body) -> Envelope {
        Envelope {
            version: self.version,
            header: Header {
                id: self.header.id.clone(),
                ..Header::default()
            },
            body: Some(body),
        }
    }

    /// The `cwmp:ID`, if any.
    pub fn id(&self) -> Option<&str> {
        self.header.id.as_deref()
    }

    /// The method name of the message (`Inform`, `GetParameterValuesResponse`,
    /// `Fault`), if the Body holds one.
    pub fn method_name(&self) -> Option<&str> {
        self.body.as_ref().map(Body::method_name)
    }
}

/// `DeviceIdStruct` of an Inform (Annex A.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceId {
    /// Manufacturer name.
    pub manufacturer: String,
    /// Organizationally unique identifier, 6 upper-case hex digits.
    pub oui: String,
    /// Product class (may be empty).
    pub product_class: String,
    /// Serial number.
    pub serial_number: String,
}

/// `EventStruct` of an Inform (Annex A.3.3.1); see [`event_code`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventStruct {
    /// E.g. `"1 BOOT"` or `"M Reboot"`.
    pub event_code: String,
    /// The CommandKey of the RPC behind an `M ...` event, otherwise empty.
    pub command_key: String,
}

impl EventStruct {
    /// An event with an empty CommandKey.
    pub fn new(code: impl Into<String>) -> EventStruct {
        EventStruct {
            event_code: code.into(),
            command_key: String::new(),
        }
    }
}

/// Inform: the CPE opens every session with it (Annex A.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inform {
    /// Who is calling.
    pub device_id: DeviceId,
    /// Why (at least one event).
    pub events: Vec<EventStruct>,
    /// Legacy; CWMP 1.1+ CPEs send 1 (any value is read).
    pub max_envelopes: u32,
    /// The CPE's clock (or [`crate::time::UNKNOWN_TIME`]).
    pub current_time: String,
    /// Consecutive failed session attempts before this one.
    pub retry_count: u32,
    /// Forced inform parameters and changed values.
    pub parameters: Vec<ParameterValue>,
}

/// SetParameterValues (Annex A.3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetParameterValues {
    /// Values to set, atomically.
    pub parameters: Vec<ParameterValue>,
    /// The new `ManagementServer.ParameterKey` on success.
    pub parameter_key: String,
}

/// Whether a change is applied already (0) or committed to be applied later, e.g.
/// after a reboot (1): the `Status` of the Set/Add/Delete/Download/Upload responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// 0: applied (or, for transfers, completed).
    #[default]
    Applied,
    /// 1: committed but not yet applied (or transfer not yet completed).
    Pending,
}

impl Status {
    /// The wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            Status::Applied => 0,
            Status::Pending => 1,
        }
    }

    /// From the wire value (0 or 1).
    pub fn from_u8(v: u8) -> Option<Status> {
        match v {
            0 => Some(Status::Applied),
            1 => Some(Status::Pending),
            _ => None,
        }
    }
}

/// GetParameterNames (Annex A.3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetParameterNames {
    /// A full parameter name or a partial path ending in `.` (empty: the root).
    pub parameter_path: String,
    /// Only the next level below the path.
    pub next_level: bool,
}

/// `ParameterInfoStruct` (Annex A.3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterInfo {
    /// Parameter or object name (objects end in `.`).
    pub name: String,
    /// Whether it can be set (or, for objects, whether AddObject/DeleteObject apply).
    pub writable: bool,
}

/// The `Notification` attribute (Annex A.3.2.4; values 3-6 are the lightweight
/// notifications of Amendment 5/6, cwmp-1-4.xsd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Notification {
    /// 0: off.
    #[default]
    Off,
    /// 1: passive (value in the next Inform).
    Passive,
    /// 2: active (a change starts a session).
    Active,
    /// 3: passive lightweight notification.
    PassiveLightweight,
    /// 4: passive, and passive lightweight.
    PassiveAndPassiveLightweight,
    /// 5: active lightweight notification.
    ActiveLightweight,
    /// 6: passive, and active lightweight.
    PassiveAndActiveLightweight,
}

impl Notification {
    /// The wire value, 0-6.
    pub fn as_u8(self) -> u8 {
        match self {
            Notification::Off => 0,
            Notification::Passive => 1,
            Notification::Active => 2,
            Notification::PassiveLightweight => 3,
            Notification::PassiveAndPassiveLightweight => 4,
            Notification::ActiveLightweight => 5,
            Notification::PassiveAndActiveLightweight => 6,
        }
    }

    /// From the wire value (0-6).
    pub fn from_u8(v: u8) -> Option<Notification> {
        Some(match v {
            0 => Notification::Off,
            1 => Notification::Passive,
            2 => Notification::Active,
            3 => Notification::PassiveLightweight,
            4 => Notification::PassiveAndPassiveLightweight,
            5 => Notification::ActiveLightweight,
            6 => Notification::PassiveAndActiveLightweight,
            _ => return None,
        })
    }
}

/// `SetParameterAttributesStruct` (Annex A.3.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetParameterAttributesStruct {
    /// Parameter name or partial path.
    pub name: String,
    /// Whether to change the notification attribute.
    pub notification_change: bool,
    /// The new notification attribute.
    pub notification: Notification,
    /// Whether to change the access list.
    pub access_list_change: bool,
    /// The new access list (only `"Subscriber"` is defined).
    pub access_list: Vec<String>,
}

/// `ParameterAttributeStruct` (Annex A.3.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterAttribute {
    /// Parameter name.
    pub name: String,
    /// Its notification attribute.
    pub notification: Notification,
    /// Its access list.
    pub access_list: Vec<String>,
}

/// AddObject (Annex A.3.2.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddObject {
    /// Path of the multi-instance object, ending in `.`.
    pub object_name: String,
    /// The new `ParameterKey` on success.
    pub parameter_key: String,
}

/// AddObjectResponse (Annex A.3.2.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddObjectResponse {
    /// The new instance's number (1 or more).
    pub instance_number: u32,
    /// Applied or pending.
    pub status: Status,
}

/// DeleteObject (Annex A.3.2.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteObject {
    /// Path of the instance, ending in `.`.
    pub object_name: String,
    /// The new `ParameterKey` on success.
    pub parameter_key: String,
}

/// Download (Annex A.3.2.8). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Download {
    /// Correlates the later TransferComplete.
    pub command_key: String,
    /// E.g. `"1 Firmware Upgrade Image"`, `"3 Vendor Configuration File"`.
    pub file_type: String,
    /// Where to fetch the file.
    pub url: String,
    /// File server user name.
    pub username: String,
    /// File server password.
    pub password: String,
    /// Size in bytes (0: unknown).
    pub file_size: u32,
    /// Name to store the file under (may be empty).
    pub target_file_name: String,
    /// Seconds to wait before starting.
    pub delay_seconds: u32,
    /// Web page to show on success (browser-based CPEs; usually empty).
    pub success_url: String,
    /// Web page to show on failure.
    pub failure_url: String,
}

/// Upload (Annex A.4.1.5). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Upload {
    /// Correlates the later TransferComplete.
    pub command_key: String,
    /// E.g. `"1 Vendor Configuration File"`, `"2 Vendor Log File"`.
    pub file_type: String,
    /// Where to put the file.
    pub url: String,
    /// File server user name.
    pub username: String,
    /// File server password.
    pub password: String,
    /// Seconds to wait before starting.
    pub delay_seconds: u32,
}

/// The response to Download or Upload (Annex A.3.2.8, A.4.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferResponse {
    /// Completed (0) or not yet (1: a TransferComplete follows).
    pub status: Status,
    /// When the transfer started (Unknown Time if status is 1).
    pub start_time: String,
    /// When it completed (Unknown Time if status is 1).
    pub complete_time: String,
}

/// `TimeWindowStruct` of ScheduleDownload (Annex A.4.1.8).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeWindow {
    /// Seconds from the request to the window's start.
    pub window_start: u32,
    /// Seconds from the request to the window's end.
    pub window_end: u32,
    /// E.g. `"1 At Any Time"`, `"2 Immediately"`, `"3 When Idle"`, `"4 Confirmation Needed"`.
    pub window_mode: String,
    /// Message for the user when confirmation is needed.
    pub user_message: String,
    /// Retries within the window (-1: CPE decides).
    pub max_retries: i32,
}

/// ScheduleDownload (Annex A.4.1.8). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ScheduleDownload {
    /// Correlates the later TransferComplete.
    pub command_key: String,
    /// File type, as for Download.
    pub file_type: String,
    /// Where to fetch the file.
    pub url: String,
    /// File server user name.
    pub username: String,
    /// File server password.
    pub password: String,
    /// Size in bytes (0: unknown).
    pub file_size: u32,
    /// Name to store the file under.
    pub target_file_name: String,
    /// One or two time windows.
    pub time_windows: Vec<TimeWindow>,
}

/// The state of a queued transfer (Annex A.4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TransferState {
    /// 1: not yet started.
    #[default]
    NotStarted,
    /// 2: in progress.
    InProgress,
    /// 3: completed, TransferComplete not yet acknowledged.
    Completed,
}

impl TransferState {
    /// The wire value, 1-3.
    pub fn as_u8(self) -> u8 {
        match self {
            TransferState::NotStarted => 1,
            TransferState::InProgress => 2,
            TransferState::Completed => 3,
        }
    }

    /// From the wire value (1-3).
    pub fn from_u8(v: u8) -> Option<TransferState> {
        match v {
            1 => Some(TransferState::NotStarted),
            2 => Some(TransferState::InProgress),
            3 => Some(TransferState::Completed),
            _ => None,
        }
    }
}

/// `QueuedTransferStruct` (Annex A.4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueuedTransfer {
    /// The transfer's CommandKey.
    pub command_key: String,
    /// Its state.
    pub state: TransferState,
}

/// `AllQueuedTransferStruct` (Annex A.4.1.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllQueuedTransfer {
    /// The transfer's CommandKey.
    pub command_key: String,
    /// Its state.
    pub state: TransferState,
    /// Download (true) or upload.
    pub is_download: bool,
    /// File type.
    pub file_type: String,
    /// Size in bytes.
    pub file_size: u32,
    /// Target file name.
    pub target_file_name: String,
}

/// ScheduleInform (Annex A.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScheduleInform {
    /// Seconds from now to the `3 SCHEDULED` Inform.
    pub delay_seconds: u32,
    /// Returned in the `M ScheduleInform` event.
    pub command_key: String,
}

/// `OptionStruct` of GetOptionsResponse (Annex A.4.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionStruct {
    /// Option name.
    pub option_name: String,
    /// Serial number of the voucher that set it.
    pub voucher_sn: u32,
    /// 0-3: disabled/enabled, set up or not.
    pub state: u32,
    /// 0: disabled, 1: enabled with expiration, 2: enabled without.
    pub mode: i32,
    /// Start date.
    pub start_date: String,
    /// Expiration date, if any.
    pub expiration_date: Option<String>,
    /// 0: non-transferable, 1: transferable.
    pub is_transferable: i32,
}

/// The FaultStruct of TransferComplete/AutonomousTransferComplete (Annex A.3.3.2):
/// written with FaultCode 0 when there is no fault, which reads back as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferFault {
    /// 9001, 9002, 9010-9020 or a vendor code.
    pub code: FaultCode,
    /// Detail.
    pub string: String,
}

/// TransferComplete (Annex A.3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferComplete {
    /// The CommandKey of the Download/Upload/ScheduleDownload.
    pub command_key: String,
    /// `None` on success.
    pub fault: Option<TransferFault>,
    /// When the transfer started.
    pub start_time: String,
    /// When it completed.
    pub complete_time: String,
}

/// AutonomousTransferComplete (Annex A.3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutonomousTransferComplete {
    /// Where the transfer was announced (e.g. a multicast announcement URL).
    pub announce_url: String,
    /// Where the file came from or went to.
    pub transfer_url: String,
    /// Download (true) or upload.
    pub is_download: bool,
    /// File type.
    pub file_type: String,
    /// Size in bytes.
    pub file_size: u32,
    /// Target file name.
    pub target_file_name: String,
    /// `None` on success.
    pub fault: Option<TransferFault>,
    /// When the transfer started.
    pub start_time: String,
    /// When it completed.
    pub complete_time: String,
}

/// Kicked (Annex A.4.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kicked {
    /// Generic command from the web page.
    pub command: String,
    /// The page that kicked.
    pub referer: String,
    /// Argument of the command.
    pub arg: String,
    /// URL of the next page.
    pub next: String,
}

/// `ArgStruct` of RequestDownload (Annex A.4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileTypeArg {
    /// Argument name.
    pub name: String,
    /// Argument value.
    pub value: String,
}

/// RequestDownload (Annex A.4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestDownload {
    /// The file type wanted.
    pub file_type: String,
    /// Arguments qualifying it.
    pub file_type_args: Vec<FileTypeArg>,
}

macro_rules! debug_hiding_password {
    ($ty:ident { $($field:ident),* }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .field("password", &if self.password.is_empty() { "" } else { "<hidden>" })
                    .finish()
            }
        }
    };
}

debug_hiding_password!(Download {
    command_key,
    file_type,
    url,
    username,
    file_size,
    target_file_name,
    delay_seconds,
    success_url,
    failure_url
});
debug_hiding_password!(Upload {
    command_key,
    file_type,
    url,
    username,
    delay_seconds
});
debug_hiding_password!(ScheduleDownload {
    command_key,
    file_type,
    url,
    username,
    file_size,
    target_file_name,
    time_windows
});

/// The message in a SOAP Body: one variant per CWMP 1.4 RPC request and response
/// (Annex A.3 and A.4; ChangeDUState and the DU/option-voucher completions are not
/// modelled beyond [`Body::Unknown`]), the SOAP [`Fault`], and any other method by
/// name, so that a CPE can answer 9000 "Method not supported".
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// GetRPCMethods (A.3.1.1), either direction.
    GetRpcMethods,
    /// GetRPCMethodsResponse (A.3.1.1): the method names.
    GetRpcMethodsResponse(Vec<String>),
    /// SetParameterValues (A.3.2.1).
    SetParameterValues(SetParameterValues),
    /// SetParameterValuesResponse (A.3.2.1).
    SetParameterValuesResponse(Status),
    /// GetParameterValues (A.3.2.2): names or partial paths.
    GetParameterValues(Vec<String>),
    /// GetParameterValuesResponse (A.3.2.2).
    GetParameterValuesResponse(Vec<ParameterValue>),
    /// GetParameterNames (A.3.2.3).
    GetParameterNames(GetParameterNames),
    /// GetParameterNamesResponse (A.3.2.3).
    GetParameterNamesResponse(Vec<ParameterInfo>),
    /// SetParameterAttributes (A.3.2.4).
    SetParameterAttributes(Vec<SetParameterAttributesStruct>),
    /// SetParameterAttributesResponse (A.3.2.4).
    SetParameterAttributesResponse,
    /// GetParameterAttributes (A.3.2.5): names or partial paths.
    GetParameterAttributes(Vec<String>),
    /// GetParameterAttributesResponse (A.3.2.5).
    GetParameterAttributesResponse(Vec<ParameterAttribute>),
    /// AddObject (A.3.2.6).
    AddObject(AddObject),
    /// AddObjectResponse (A.3.2.6).
    AddObjectResponse(AddObjectResponse),
    /// DeleteObject (A.3.2.7).
    DeleteObject(DeleteObject),
    /// DeleteObjectResponse (A.3.2.7).
    DeleteObjectResponse(Status),
    /// Download (A.3.2.8).
    Download(Download),
    /// DownloadResponse (A.3.2.8).
    DownloadResponse(TransferResponse),
    /// Reboot (A.3.2.9): its CommandKey.
    Reboot(String),
    /// RebootResponse (A.3.2.9).
    RebootResponse,
    /// GetQueuedTransfers (A.4.1.1).
    GetQueuedTransfers,
    /// GetQueuedTransfersResponse (A.4.1.1).
    GetQueuedTransfersResponse(Vec<QueuedTransfer>),
    /// ScheduleInform (A.4.1.2).
    ScheduleInform(ScheduleInform),
    /// ScheduleInformResponse (A.4.1.2).
    ScheduleInformResponse,
    /// SetVouchers (A.4.1.3): base64 vouchers, as text.
    SetVouchers(Vec<String>),
    /// SetVouchersResponse (A.4.1.3).
    SetVouchersResponse,
    /// GetOptions (A.4.1.4): an option name (empty: all).
    GetOptions(String),
    /// GetOptionsResponse (A.4.1.4).
    GetOptionsResponse(Vec<OptionStruct>),
    /// Upload (A.4.1.5).
    Upload(Upload),
    /// UploadResponse (A.4.1.5).
    UploadResponse(TransferResponse),
    /// FactoryReset (A.4.1.6).
    FactoryReset,
    /// FactoryResetResponse (A.4.1.6).
    FactoryResetResponse,
    /// GetAllQueuedTransfers (A.4.1.7).
    GetAllQueuedTransfers,
    /// GetAllQueuedTransfersResponse (A.4.1.7).
    GetAllQueuedTransfersResponse(Vec<AllQueuedTransfer>),
    /// ScheduleDownload (A.4.1.8).
    ScheduleDownload(ScheduleDownload),
    /// ScheduleDownloadResponse (A.4.1.8).
    ScheduleDownloadResponse,
    /// CancelTransfer (A.4.1.9): the CommandKey of the transfer.
    CancelTransfer(String),
    /// CancelTransferResponse (A.4.1.9).
    CancelTransferResponse,
    /// Inform (A.3.3.1).
    Inform(Inform),
    /// InformResponse (A.3.3.1): its MaxEnvelopes (1).
    InformResponse(u32),
    /// TransferComplete (A.3.3.2).
    TransferComplete(TransferComplete),
    /// TransferCompleteResponse (A.3.3.2).
    TransferCompleteResponse,
    /// AutonomousTransferComplete (A.3.3.3).
    AutonomousTransferComplete(AutonomousTransferComplete),
    /// AutonomousTransferCompleteResponse (A.3.3.3).
    AutonomousTransferCompleteResponse,
    /// Kicked (A.4.2.1).
    Kicked(Kicked),
    /// KickedResponse (A.4.2.1): NextURL.
    KickedResponse(String),
    /// RequestDownload (A.4.2.2).
    RequestDownload(RequestDownload),
    /// RequestDownloadResponse (A.4.2.2).
    RequestDownloadResponse,
    /// A SOAP Fault, with or without a CWMP fault in its detail (A.5).
    Fault(Fault),
    /// Any other method, by its local element name (its arguments are not kept):
    /// ChangeDUState, vendor `X_...` RPCs. A CPE answers 9000, an ACS 8000.
    Unknown(String),
}

impl Body {
    /// The local name of the Body's element (`GetRPCMethods`, `Fault`, ...).
    pub fn method_name(&self) -> &str {
        match self {
            Body::GetRpcMethods => "GetRPCMethods",
            Body::GetRpcMethodsResponse(_) => "GetRPCMethodsResponse",
            Body::SetParameterValues(_) => "SetParameterValues",
            Body::SetParameterValuesResponse(_) => "SetParameterValuesResponse",
            Body::GetParameterValues(_) => "GetParameterValues",
            Body::GetParameterValuesResponse(_) => "GetParameterValuesResponse",
            Body::GetParameterNames(_) => "GetParameterNames",
            Body::GetParameterNamesResponse(_) => "GetParameterNamesResponse",
            Body::SetParameterAttributes(_) => "SetParameterAttributes",
            Body::SetParameterAttributesResponse => "SetParameterAttributesResponse",
            Body::GetParameterAttributes(_) => "GetParameterAttributes",
            Body::GetParameterAttributesResponse(_) => "GetParameterAttributesResponse",
            Body::AddObject(_) => "AddObject",
            Body::AddObjectResponse(_) => "AddObjectResponse",
            Body::DeleteObject(_) => "DeleteObject",
            Body::DeleteObjectResponse(_) => "DeleteObjectResponse",
            Body::Download(_) => "Download",
            Body::DownloadResponse(_) => "DownloadResponse",
            Body::Reboot(_) => "Reboot",
            Body::RebootResponse => "RebootResponse",
            Body::GetQueuedTransfers => "GetQueuedTransfers",
            Body::GetQueuedTransfersResponse(_) => "GetQueuedTransfersResponse",
            Body::ScheduleInform(_) => "ScheduleInform",
            Body::ScheduleInformResponse => "ScheduleInformResponse",
            Body::SetVouchers(_) => "SetVouchers",
            Body::SetVouchersResponse => "SetVouchersResponse",
            Body::GetOptions(_) => "GetOptions",
            Body::GetOptionsResponse(_) => "GetOptionsResponse",
            Body::Upload(_) => "Upload",
            Body::UploadResponse(_) => "UploadResponse",
            Body::FactoryReset => "FactoryReset",
            Body::FactoryResetResponse => "FactoryResetResponse",
            Body::GetAllQueuedTransfers => "GetAllQueuedTransfers",
            Body::GetAllQueuedTransfersResponse(_) => "GetAllQueuedTransfersResponse",
            Body::ScheduleDownload(_) => "ScheduleDownload",
            Body::ScheduleDownloadResponse => "ScheduleDownloadResponse",
            Body::CancelTransfer(_) => "CancelTransfer",
            Body::CancelTransferResponse => "CancelTransferResponse",
            Body::Inform(_) => "Inform",
            Body::InformResponse(_) => "InformResponse",
            Body::TransferComplete(_) => "TransferComplete",
            Body::TransferCompleteResponse => "TransferCompleteResponse",
            Body::AutonomousTransferComplete(_) => "AutonomousTransferComplete",
            Body::AutonomousTransferCompleteResponse => "AutonomousTransferCompleteResponse",
            Body::Kicked(_) => "Kicked",
            Body::KickedResponse(_) => "KickedResponse",
            Body::RequestDownload(_) => "RequestDownload",
            Body::RequestDownloadResponse => "RequestDownloadResponse",
            Body::Fault(_) => "Fault",
            Body::Unknown(name) => name,
        }
    }

    /// Whether this is a response (a `...Response` element or a Fault).
    pub fn is_response(&self) -> bool {
        matches!(self, Body::Fault(_)) || self.method_name().ends_with("Response")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_wire_values() {
        for v in 0..=6 {
            assert_eq!(Notification::from_u8(v).unwrap().as_u8(), v);
        }
        assert_eq!(Notification::from_u8(7), None);
        for v in 1..=3 {
            assert_eq!(TransferState::from_u8(v).unwrap().as_u8(), v);
        }
        assert_eq!(TransferState::from_u8(0), None);
        assert_eq!(Status::from_u8(1), Some(Status::Pending));
        assert_eq!(Status::from_u8(2), None);
    }

    /// §3.7.2.3: a response carries the request's cwmp:ID.
    #[test]
    fn reply_keeps_id_and_version() {
        let mut req = Envelope::new("42", Body::GetRpcMethods);
        req.version = CwmpVersion::V1_0;
        req.header.hold_requests = Some(true);
        let resp = req.reply(Body::GetRpcMethodsResponse(vec!["Inform".into()]));
        assert_eq!(resp.id(), Some("42"));
        assert_eq!(resp.version, CwmpVersion::V1_0);
        assert_eq!(resp.header.hold_requests, None);
        assert_eq!(resp.method_name(), Some("GetRPCMethodsResponse"));
        assert!(resp.body.unwrap().is_response());
        assert!(!Body::Inform(Inform::default()).is_response());
    }

    #[test]
    fn debug_hides_passwords() {
        let d = Download {
            password: "s3cret".into(),
            url: "http://f/x".into(),
            ..Download::default()
        };
        let text = format!("{d:?}");
        assert!(
            text.contains("<hidden>") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(text.contains("http://f/x"));
        let u = format!("{:?}", Upload::default());
        assert!(u.contains("password: \"\""), "{u}");
        let s = format!(
            "{:?}",
            ScheduleDownload {
                password: "pw".into(),
                ..Default::default()
            }
        );
        assert!(!s.contains("\"pw\""), "{s}");
    }
}
