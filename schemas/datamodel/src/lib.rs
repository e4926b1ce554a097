//! `tipring-datamodel`: the TR-069 parameter tree of a Tipring gateway — TR-181 Device:2
//! (DeviceInfo, ManagementServer, Time, IP, Ethernet) and TR-104 issue 2
//! `Device.Services.VoiceService.1.`, with the TR-104 issue 1 `VoiceProfile.1.` names as
//! aliases of the same values.
//!
//! The tree is a **view**, not a copy: every value is read from the gateway configuration
//! ([`GatewayConfig`](tipring_config::GatewayConfig)), a small [`CwmpState`] (writable parameters the configuration has no
//! field for, and the `ParameterKey`), a [`LiveState`] snapshot the agent refreshes
//! (registration and call status, statistics, firmware slots, interfaces) and the
//! [`DeviceIdentity`]. A SetParameterValues builds a new configuration, validates it with
//! `tipring-config`, and hands it back; the tree never changes anything itself.
//!
//! * [`Tree::get`], [`Tree::names`], [`Tree::set`], [`Tree::get_attributes`],
//!   [`Tree::set_attributes`], [`Tree::add_object`], [`Tree::delete_object`] answer the
//!   CWMP RPCs; faults are [`ParamFault`]s with TR-069 codes (9001..9009).
//! * [`Attributes`] is the persisted Notification/AccessList store;
//!   [`Attributes::changed`] finds the changes to report with `4 VALUE CHANGE`.
//! * [`definitions`] is our definition of every parameter (path, type, access, default
//!   notification, deviations from the BBF definition), read from `src/datamodel.txt`;
//!   `tests/bbf` checks it against the Broadband Forum XML.
//!
//! Instance numbers: `POTS.FXS.{i}`, `SIP.Client.{i}`, `SIP.Network.{i}`,
//! `CallControl.Line.{i}`, `Extension.{i}`, `NumberingPlan.{i}`, `CallingFeatures.Set.{i}`,
//! `VoIPProfile.{i}` and issue 1 `Line.{i}` have one instance per configured port (port N
//! is instance N). No table allows AddObject (9005) or DeleteObject (9003): the hardware
//! and the configuration fix every count ([`Instances`] lists where each comes from).
//!
//! ```
//! use tipring_config::{GatewayConfig, Secret};
//! use tipring_datamodel::{
//!     Attributes, CwmpState, DeviceIdentity, FaultCode, LiveState, SetAttribute, Tree, Value,
//! };
//!
//! let mut config = GatewayConfig::example(2);
//! for p in &mut config.ports {
//!     p.password = Some(Secret::new("s3cret"));
//! }
//! let (state, live, device) = (CwmpState::default(), LiveState::default(), DeviceIdentity::default());
//! let tree = Tree::new(&config, &state, &live, &device);
//!
//! // GetParameterValues: the issue 2 and issue 1 names of port 1's number.
//! const VS: &str = "Device.Services.VoiceService.1.";
//! let got = tree
//!     .get(&[
//!         format!("{VS}CallControl.Line.1.DirectoryNumber"),
//!         format!("{VS}VoiceProfile.1.Line.1.DirectoryNumber"),
//!         format!("{VS}SIP.Client.1.AuthPassword"),
//!     ])
//!     .unwrap();
//! assert_eq!(got[0].1, Value::str("101"));
//! assert_eq!(got[1].1, Value::str("101"));
//! assert_eq!(got[2].1, Value::str("")); // secrets read as ""
//!
//! // SetParameterValues: all or nothing, a new configuration on success.
//! let applied = tree
//!     .set(&[
//!         (format!("{VS}VoiceProfile.1.Line.2.DirectoryNumber"), "202".into(), None),
//!         (format!("{VS}SIP.Network.1.ProxyServer"), "pbx2.example.net".into(), None),
//!     ])
//!     .unwrap();
//! assert_eq!(applied.config.ports[1].extension, "202");
//! assert_eq!(applied.config.sip.servers[0], "pbx2.example.net");
//!
//! // One bad value: nothing changes and every bad parameter has its fault.
//! let faults = tree
//!     .set(&[
//!         (format!("{VS}POTS.FXS.1.Enable"), "maybe".into(), None),
//!         (format!("{VS}POTS.FXS.2.Enable"), "false".into(), None),
//!         ("Device.DeviceInfo.UpTime".into(), "5".into(), None),
//!     ])
//!     .unwrap_err();
//! let codes: Vec<u32> = faults.iter().map(|(_, f)| f.code.code()).collect();
//! assert_eq!(codes, [9006, 9008]);
//!
//! // GetParameterNames with NextLevel true lists one level.
//! let names = tree.names(&format!("{VS}POTS.FXS."), true).unwrap();
//! assert_eq!(names, [(format!("{VS}POTS.FXS.1."), false), (format!("{VS}POTS.FXS.2."), false)]);
//!
//! // Attributes: active notification is refused where the definition denies it.
//! let attrs = Attributes::new();
//! let denied = tree
//!     .set_attributes(&attrs, &[SetAttribute {
//!         name: "Device.DeviceInfo.UpTime".into(),
//!         notification: Some(2),
//!         access_list: None,
//!     }])
//!     .unwrap_err();
//! assert_eq!(denied.code, FaultCode::NotificationRequestRejected);
//! ```
//!
//! What the configuration model lacks is kept in [`CwmpState`] (see its fields); the
//! deviations from the BBF definitions are listed by [`Schema::deviations`] with their
//! reasons (and in `src/datamodel.txt`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attributes;
mod error;
mod field;
mod live;
mod schema;
mod state;
mod tree;
mod value;

pub use attributes::{Attributes, Notification, ParameterAttribute, SetAttribute, ValueChange};
pub use error::{Error, FaultCode, ParamFault, Result};
pub use live::{
    AddressingType, CadenceStep, CallDirection, CallRecord, CallStatus, ClientStatus,
    DeviceIdentity, DuplexMode, EthernetInterface, ExtensionStatus, FaxStats, FirmwareImage,
    FirmwareStatus, FxsStatus, InterfaceStatus, IpInterface, IpInterfaceType, Ipv4Address,
    LineStats, LineStatus, LiveState, NetworkStatus, PortLive, TimeStatus, Tone, ToneFrequency,
    ToneFunction, VendorLogFile,
};
pub use schema::{
    definitions, Access, ActiveNotify, Instances, ObjectDef, ParamDef, Schema, Standard,
    DEFINITION_TABLE,
};
pub use state::{CwmpState, PortState};
pub use tree::{Applied, Tree};
pub use value::{ParamType, Value, ValueType, UNKNOWN_TIME};
