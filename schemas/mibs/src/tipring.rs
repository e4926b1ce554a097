//! TIPRING-MIB (`TIPRING-MIB.txt` beside this crate's `Cargo.toml`): the gateway's own
//! objects, notifications and conformance groups.
//!
//! ```text
//! enterprises.ENTERPRISE  tipring                (placeholder PEN, see crate::ENTERPRISE)
//!   .1                    tipringProducts
//!     .1                  tipringGateway         = sysObjectID.0
//!   .2                    tipringMIB             (MODULE-IDENTITY)
//!     .0                  tipringNotifications   -> notifications
//!     .1                  tipringObjects
//!       .1                tipringSystem          -> system (scalars)
//!       .2                tipringPortTable       -> port_table
//!       .3                tipringRegTable        -> reg_table        (AUGMENTS tipringPortEntry)
//!       .4                tipringCallTable       -> call_table       (AUGMENTS tipringPortEntry)
//!       .5                tipringCallStatsTable  -> call_stats_table (AUGMENTS tipringPortEntry)
//!       .6                tipringQualityTable    -> quality_table    (AUGMENTS tipringPortEntry)
//!       .7                tipringFaxTable        -> fax_table        (AUGMENTS tipringPortEntry)
//!     .2                  tipringConformance     -> conformance
//! ```
//!
//! Every table has one row per FXS port, indexed by the port number
//! (`tipringPortIndex`, 1..48): the cell of column `c` for port `p` is `ENTRY.c.p`
//! ([`cell`](crate::cell)`(ENTRY, c, &[p])`). The ifIndex of a port in IF-MIB is its
//! port number too. Text columns are `TipringUtf8String` (UTF-8, at most 255 octets: see
//! [`fit_text`](crate::fit_text)).

use crate::smi::ENTERPRISES;
use crate::{MibNode, ENTERPRISE};

nodes! { "TIPRING-MIB", TREE;
    /// `tipring` (TIPRING-MIB): `enterprises.ENTERPRISE`, the root of every Tipring OID.
    /// [`ENTERPRISE`] is a placeholder until IANA assigns Tipring a number.
    TIPRING = "tipring", oid!(ENTERPRISES, ENTERPRISE);
    /// `tipringProducts` (TIPRING-MIB): the subtree of `sysObjectID` values.
    PRODUCTS = "tipringProducts", oid!(TIPRING, 1);
    /// `tipringGateway` (TIPRING-MIB): a Tipring FXS gateway; the value of `sysObjectID.0`
    /// ([`SYS_OBJECT_ID`](crate::SYS_OBJECT_ID)).
    GATEWAY = "tipringGateway", oid!(PRODUCTS, 1);
    /// `tipringMIB` (TIPRING-MIB): the MODULE-IDENTITY, the `sysORID` of the row of
    /// `sysORTable` that says the agent implements TIPRING-MIB.
    MIB = "tipringMIB", oid!(TIPRING, 2);
    /// `tipringNotifications` (TIPRING-MIB): `tipringMIB.0`, the parent of the
    /// notifications ([`notifications`]).
    NOTIFICATIONS = "tipringNotifications", oid!(MIB, 0);
    /// `tipringObjects` (TIPRING-MIB): the parent of the scalars and tables.
    OBJECTS = "tipringObjects", oid!(MIB, 1);
    /// `tipringConformance` (TIPRING-MIB): the parent of the groups and the compliance
    /// statement ([`conformance`]).
    CONFORMANCE = "tipringConformance", oid!(MIB, 2);
}

scalars! {
    /// `tipringSystem` (TIPRING-MIB): the gateway-wide scalars — firmware, configuration,
    /// the quality threshold. Each constant is the instance OID (`.0`).
    pub mod system("TIPRING-MIB", "tipringSystem", oid!(OBJECTS, 1)) {
        /// `tipringFirmwareVersion.0` (TIPRING-MIB): the running firmware's version
        /// (`TipringUtf8String`).
        FIRMWARE_VERSION = "tipringFirmwareVersion", 1;
        /// `tipringFirmwareState.0` (TIPRING-MIB): [`FirmwareState`].
        FIRMWARE_STATE = "tipringFirmwareState", 2;
        /// `tipringFirmwareLastUpgrade.0` (TIPRING-MIB): [`UpgradeResult`] of the last
        /// upgrade attempt.
        FIRMWARE_LAST_UPGRADE = "tipringFirmwareLastUpgrade", 3;
        /// `tipringFirmwareLastUpgradeFault.0` (TIPRING-MIB): why the last upgrade failed
        /// (`TipringUtf8String`, empty unless it failed).
        FIRMWARE_LAST_UPGRADE_FAULT = "tipringFirmwareLastUpgradeFault", 4;
        /// `tipringConfigVersion.0` (TIPRING-MIB): version of the configuration in force
        /// (Unsigned32; 0 = none yet).
        CONFIG_VERSION = "tipringConfigVersion", 5;
        /// `tipringConfigState.0` (TIPRING-MIB): [`ConfigState`] of the last change
        /// attempt.
        CONFIG_STATE = "tipringConfigState", 6;
        /// `tipringConfigLastChange.0` (TIPRING-MIB): `sysUpTime` when the version or the
        /// state last changed (TimeStamp, TimeTicks).
        CONFIG_LAST_CHANGE = "tipringConfigLastChange", 7;
        /// `tipringConfigLastFault.0` (TIPRING-MIB): why the last change was refused
        /// (`TipringUtf8String`, empty when accepted).
        CONFIG_LAST_FAULT = "tipringConfigLastFault", 8;
        /// `tipringQualityMosThreshold.0` (TIPRING-MIB): the call-quality alarm threshold
        /// in tenths of a MOS point (Unsigned32 10..50).
        QUALITY_MOS_THRESHOLD = "tipringQualityMosThreshold", 9;
    }
}

table! {
    /// `tipringPortTable` (TIPRING-MIB): one row per FXS port, INDEX `tipringPortIndex`
    /// (the port number, 1..48).
    pub mod port_table("TIPRING-MIB", "tipringPortTable", oid!(OBJECTS, 2), "tipringPortEntry") {
        /// `tipringPortIndex` (TIPRING-MIB): the port number; not-accessible (it is the
        /// index, carried in every cell's OID).
        INDEX = "tipringPortIndex", 1;
        /// `tipringPortIfIndex` (TIPRING-MIB): the port's ifIndex in IF-MIB (InterfaceIndex;
        /// equal to the port number on Tipring gateways).
        IF_INDEX = "tipringPortIfIndex", 2;
        /// `tipringPortExtension` (TIPRING-MIB): the SIP user the port registers as
        /// (`TipringUtf8String`).
        EXTENSION = "tipringPortExtension", 3;
        /// `tipringPortHookState` (TIPRING-MIB): [`HookState`].
        HOOK_STATE = "tipringPortHookState", 4;
        /// `tipringPortLineState` (TIPRING-MIB): call-control state in words
        /// (`TipringUtf8String`: "idle", "dial tone", ...).
        LINE_STATE = "tipringPortLineState", 5;
        /// `tipringPortServiceState` (TIPRING-MIB): [`ServiceState`]; `ifOperStatus`
        /// follows it.
        SERVICE_STATE = "tipringPortServiceState", 6;
        /// `tipringPortFaultReason` (TIPRING-MIB): the line fault in words, empty when
        /// none (`TipringUtf8String`).
        FAULT_REASON = "tipringPortFaultReason", 7;
    }
}

table! {
    /// `tipringRegTable` (TIPRING-MIB): the SIP registration of each port (AUGMENTS
    /// `tipringPortEntry`: same index, the port number).
    pub mod reg_table("TIPRING-MIB", "tipringRegTable", oid!(OBJECTS, 3), "tipringRegEntry") {
        /// `tipringRegAor` (TIPRING-MIB): the address of record, a SIP URI
        /// (`TipringUtf8String`, empty when the port does not register).
        AOR = "tipringRegAor", 1;
        /// `tipringRegServer` (TIPRING-MIB): the registrar as `host` or `host:port`
        /// (`TipringUtf8String`).
        SERVER = "tipringRegServer", 2;
        /// `tipringRegState` (TIPRING-MIB): [`RegState`].
        STATE = "tipringRegState", 3;
        /// `tipringRegExpires` (TIPRING-MIB): seconds until the binding expires while
        /// registered, else 0 (Unsigned32).
        EXPIRES = "tipringRegExpires", 4;
        /// `tipringRegLastStatus` (TIPRING-MIB): status code of the last final response to
        /// a REGISTER, 0 when none (Unsigned32 0 | 100..699).
        LAST_STATUS = "tipringRegLastStatus", 5;
        /// `tipringRegFailures` (TIPRING-MIB): failed registration attempts (Counter32).
        FAILURES = "tipringRegFailures", 6;
    }
}

table! {
    /// `tipringCallTable` (TIPRING-MIB): the call in progress on each port (AUGMENTS
    /// `tipringPortEntry`).
    pub mod call_table("TIPRING-MIB", "tipringCallTable", oid!(OBJECTS, 4), "tipringCallEntry") {
        /// `tipringCallState` (TIPRING-MIB): [`CallState`].
        STATE = "tipringCallState", 1;
        /// `tipringCallDirection` (TIPRING-MIB): [`CallDirection`].
        DIRECTION = "tipringCallDirection", 2;
        /// `tipringCallRemoteUri` (TIPRING-MIB): the other party as a SIP URI
        /// (`TipringUtf8String`, empty when none or unknown).
        REMOTE_URI = "tipringCallRemoteUri", 3;
        /// `tipringCallCodec` (TIPRING-MIB): the RTP encoding name of the audio codec
        /// (`TipringUtf8String`: "PCMU", "G722", ...).
        CODEC = "tipringCallCodec", 4;
        /// `tipringCallSrtp` (TIPRING-MIB): whether the media is SRTP
        /// ([`TruthValue`](crate::tc::TruthValue)).
        SRTP = "tipringCallSrtp", 5;
        /// `tipringCallDuration` (TIPRING-MIB): seconds since the call was answered
        /// (Unsigned32).
        DURATION = "tipringCallDuration", 6;
    }
}

table! {
    /// `tipringCallStatsTable` (TIPRING-MIB): call counters of each port since the agent
    /// started (AUGMENTS `tipringPortEntry`; all Counter32).
    pub mod call_stats_table("TIPRING-MIB", "tipringCallStatsTable", oid!(OBJECTS, 5), "tipringCallStatsEntry") {
        /// `tipringCallStatsIncoming` (TIPRING-MIB): incoming calls offered to the port.
        INCOMING = "tipringCallStatsIncoming", 1;
        /// `tipringCallStatsOutgoing` (TIPRING-MIB): outgoing calls placed from the port.
        OUTGOING = "tipringCallStatsOutgoing", 2;
        /// `tipringCallStatsAnswered` (TIPRING-MIB): calls either way that were answered.
        ANSWERED = "tipringCallStatsAnswered", 3;
        /// `tipringCallStatsFailed` (TIPRING-MIB): calls either way that ended unanswered.
        FAILED = "tipringCallStatsFailed", 4;
        /// `tipringCallStatsTalkSeconds` (TIPRING-MIB): seconds talked in answered calls
        /// that ended.
        TALK_SECONDS = "tipringCallStatsTalkSeconds", 5;
    }
}

table! {
    /// `tipringQualityTable` (TIPRING-MIB): RTP quality of each port's current call, else
    /// its last call (AUGMENTS `tipringPortEntry`). The packet counts are Gauge32: they
    /// restart at 0 with each call.
    pub mod quality_table("TIPRING-MIB", "tipringQualityTable", oid!(OBJECTS, 6), "tipringQualityEntry") {
        /// `tipringQualityCall` (TIPRING-MIB): [`QualityCall`], which call the row
        /// describes.
        CALL = "tipringQualityCall", 1;
        /// `tipringQualityPacketsSent` (TIPRING-MIB): RTP packets sent in the call
        /// (Gauge32).
        PACKETS_SENT = "tipringQualityPacketsSent", 2;
        /// `tipringQualityPacketsReceived` (TIPRING-MIB): RTP packets received and
        /// accepted (Gauge32).
        PACKETS_RECEIVED = "tipringQualityPacketsReceived", 3;
        /// `tipringQualityPacketsLost` (TIPRING-MIB): RTP packets lost, RFC 3550 §6.4.1
        /// cumulative loss, negative as 0 (Gauge32).
        PACKETS_LOST = "tipringQualityPacketsLost", 4;
        /// `tipringQualityJitter` (TIPRING-MIB): interarrival jitter of the received
        /// stream, RFC 3550 §6.4.1, in **microseconds** (Gauge32).
        JITTER = "tipringQualityJitter", 5;
        /// `tipringQualityRoundTrip` (TIPRING-MIB): round-trip time from RTCP, in
        /// milliseconds, 0 until measured (Gauge32).
        ROUND_TRIP = "tipringQualityRoundTrip", 6;
        /// `tipringQualityJitterBufferDelay` (TIPRING-MIB): jitter-buffer delay in
        /// milliseconds (Gauge32).
        JITTER_BUFFER_DELAY = "tipringQualityJitterBufferDelay", 7;
        /// `tipringQualityMos` (TIPRING-MIB): MOS-LQE in tenths, 10..50, 0 while unknown
        /// (Gauge32).
        MOS = "tipringQualityMos", 8;
        /// `tipringQualityRFactor` (TIPRING-MIB): E-model R, 0..100, 0 while unknown
        /// (Gauge32).
        R_FACTOR = "tipringQualityRFactor", 9;
    }
}

table! {
    /// `tipringFaxTable` (TIPRING-MIB): fax counters of each port (AUGMENTS
    /// `tipringPortEntry`; all Counter32, since the agent started).
    pub mod fax_table("TIPRING-MIB", "tipringFaxTable", oid!(OBJECTS, 7), "tipringFaxEntry") {
        /// `tipringFaxSent` (TIPRING-MIB): T.38 fax calls in which the port's machine sent
        /// at least one page.
        SENT = "tipringFaxSent", 1;
        /// `tipringFaxReceived` (TIPRING-MIB): T.38 fax calls in which the port's machine
        /// received at least one page.
        RECEIVED = "tipringFaxReceived", 2;
        /// `tipringFaxFailed` (TIPRING-MIB): T.38 fax calls in which no page got through.
        FAILED = "tipringFaxFailed", 3;
        /// `tipringFaxPages` (TIPRING-MIB): pages carried over T.38 either way.
        PAGES = "tipringFaxPages", 4;
        /// `tipringFaxPassThrough` (TIPRING-MIB): fax calls carried as G.711 voice-band
        /// data.
        PASS_THROUGH = "tipringFaxPassThrough", 5;
        /// `tipringFaxMalformed` (TIPRING-MIB): malformed UDPTL datagrams and IFP packets
        /// dropped.
        MALFORMED = "tipringFaxMalformed", 6;
    }
}

/// The notifications of TIPRING-MIB (`tipringNotifications`, `tipringMIB.0`), and the
/// objects each one carries.
///
/// A notification's variable bindings are, after `sysUpTime.0` and `snmpTrapOID.0`
/// (RFC 3416 §4.2.6), the instances of its OBJECTS ([`varbinds_of`](notifications::varbinds_of)): for a
/// per-port notification, each column object followed by the port number; for a scalar,
/// followed by `.0`.
pub mod notifications {
    use super::*;

    nodes! { "TIPRING-MIB", REGISTRY;
        /// `tipringRegistrationLost` (TIPRING-MIB): a registered port lost its
        /// registration. Raise; cleared by [`REGISTRATION_RESTORED`].
        REGISTRATION_LOST = "tipringRegistrationLost", oid!(NOTIFICATIONS, 1);
        /// `tipringRegistrationRestored` (TIPRING-MIB): the port is registered again
        /// after [`REGISTRATION_LOST`].
        REGISTRATION_RESTORED = "tipringRegistrationRestored", oid!(NOTIFICATIONS, 2);
        /// `tipringPortFault` (TIPRING-MIB): the port's line circuit reports a fault.
        /// Raise; cleared by [`PORT_FAULT_CLEARED`].
        PORT_FAULT = "tipringPortFault", oid!(NOTIFICATIONS, 3);
        /// `tipringPortFaultCleared` (TIPRING-MIB): the fault of [`PORT_FAULT`] cleared.
        PORT_FAULT_CLEARED = "tipringPortFaultCleared", oid!(NOTIFICATIONS, 4);
        /// `tipringConfigChanged` (TIPRING-MIB): a configuration change was applied or
        /// refused.
        CONFIG_CHANGED = "tipringConfigChanged", oid!(NOTIFICATIONS, 5);
        /// `tipringFirmwareUpgradeResult` (TIPRING-MIB): a firmware upgrade attempt
        /// ended (once per attempt).
        FIRMWARE_UPGRADE_RESULT = "tipringFirmwareUpgradeResult", oid!(NOTIFICATIONS, 6);
        /// `tipringCallQualityLow` (TIPRING-MIB): the MOS of a call fell below the
        /// threshold. Raise, rate limited (at most once per call per port and once per
        /// port in any 60 s); cleared by [`CALL_QUALITY_RESTORED`].
        CALL_QUALITY_LOW = "tipringCallQualityLow", oid!(NOTIFICATIONS, 7);
        /// `tipringCallQualityRestored` (TIPRING-MIB): after [`CALL_QUALITY_LOW`], the
        /// MOS is back at or above the threshold, or the call ended.
        CALL_QUALITY_RESTORED = "tipringCallQualityRestored", oid!(NOTIFICATIONS, 8);
    }

    const REG_OBJECTS: &[&[u32]] = &[
        oid!(reg_table::ENTRY, reg_table::AOR),
        oid!(reg_table::ENTRY, reg_table::SERVER),
        oid!(reg_table::ENTRY, reg_table::STATE),
        oid!(reg_table::ENTRY, reg_table::LAST_STATUS),
    ];
    const FAULT_OBJECTS: &[&[u32]] = &[
        oid!(port_table::ENTRY, port_table::EXTENSION),
        oid!(port_table::ENTRY, port_table::SERVICE_STATE),
        oid!(port_table::ENTRY, port_table::FAULT_REASON),
    ];
    const CONFIG_OBJECTS: &[&[u32]] = &[
        system::objects::CONFIG_VERSION,
        system::objects::CONFIG_STATE,
        system::objects::CONFIG_LAST_FAULT,
    ];
    const FIRMWARE_OBJECTS: &[&[u32]] = &[
        system::objects::FIRMWARE_LAST_UPGRADE,
        system::objects::FIRMWARE_VERSION,
        system::objects::FIRMWARE_LAST_UPGRADE_FAULT,
    ];
    const QUALITY_OBJECTS: &[&[u32]] = &[
        oid!(quality_table::ENTRY, quality_table::MOS),
        oid!(quality_table::ENTRY, quality_table::PACKETS_LOST),
        oid!(quality_table::ENTRY, quality_table::JITTER),
    ];

    /// Each notification with the objects of its OBJECTS clause, in the clause's order
    /// (object OIDs without instance).
    pub const VARBINDS: &[(&[u32], &[&[u32]])] = &[
        (REGISTRATION_LOST, REG_OBJECTS),
        (REGISTRATION_RESTORED, REG_OBJECTS),
        (PORT_FAULT, FAULT_OBJECTS),
        (PORT_FAULT_CLEARED, FAULT_OBJECTS),
        (CONFIG_CHANGED, CONFIG_OBJECTS),
        (FIRMWARE_UPGRADE_RESULT, FIRMWARE_OBJECTS),
        (CALL_QUALITY_LOW, QUALITY_OBJECTS),
        (CALL_QUALITY_RESTORED, QUALITY_OBJECTS),
    ];

    /// The objects (without instance) that `notification` carries, in order: append the
    /// port number to each for a per-port notification, `.0` for
    /// [`CONFIG_CHANGED`] and [`FIRMWARE_UPGRADE_RESULT`]. `None` for an OID that is not
    /// a TIPRING-MIB notification.
    pub fn varbinds_of(notification: &[u32]) -> Option<&'static [&'static [u32]]> {
        VARBINDS
            .iter()
            .find(|(oid, _)| *oid == notification)
            .map(|(_, objects)| *objects)
    }
}

/// The conformance statements of TIPRING-MIB (`tipringConformance`): the object and
/// notification groups and the module compliance. Managers and MIB compilers use them;
/// the agent only names `tipringCompliance`'s module in `sysORTable` (through
/// [`MIB`]).
pub mod conformance {
    use super::*;

    nodes! { "TIPRING-MIB", REGISTRY;
        /// `tipringGroups` (TIPRING-MIB): parent of the groups.
        GROUPS = "tipringGroups", oid!(CONFORMANCE, 1);
        /// `tipringCompliances` (TIPRING-MIB): parent of the compliance statements.
        COMPLIANCES = "tipringCompliances", oid!(CONFORMANCE, 2);
        /// `tipringSystemGroup` (TIPRING-MIB): the `tipringSystem` scalars.
        SYSTEM_GROUP = "tipringSystemGroup", oid!(GROUPS, 1);
        /// `tipringPortGroup` (TIPRING-MIB): the `tipringPortTable` columns.
        PORT_GROUP = "tipringPortGroup", oid!(GROUPS, 2);
        /// `tipringRegGroup` (TIPRING-MIB): the `tipringRegTable` columns.
        REG_GROUP = "tipringRegGroup", oid!(GROUPS, 3);
        /// `tipringCallGroup` (TIPRING-MIB): the `tipringCallTable` columns.
        CALL_GROUP = "tipringCallGroup", oid!(GROUPS, 4);
        /// `tipringCallStatsGroup` (TIPRING-MIB): the `tipringCallStatsTable` columns.
        CALL_STATS_GROUP = "tipringCallStatsGroup", oid!(GROUPS, 5);
        /// `tipringQualityGroup` (TIPRING-MIB): the `tipringQualityTable` columns.
        QUALITY_GROUP = "tipringQualityGroup", oid!(GROUPS, 6);
        /// `tipringFaxGroup` (TIPRING-MIB): the `tipringFaxTable` columns.
        FAX_GROUP = "tipringFaxGroup", oid!(GROUPS, 7);
        /// `tipringNotificationGroup` (TIPRING-MIB): every notification.
        NOTIFICATION_GROUP = "tipringNotificationGroup", oid!(GROUPS, 8);
        /// `tipringCompliance` (TIPRING-MIB): the MODULE-COMPLIANCE for Tipring gateways.
        COMPLIANCE = "tipringCompliance", oid!(COMPLIANCES, 1);
    }
}

/// Every registry of TIPRING-MIB.
pub const REGISTRIES: &[&[MibNode]] = &[
    TREE,
    system::NODES,
    port_table::NODES,
    reg_table::NODES,
    call_table::NODES,
    call_stats_table::NODES,
    quality_table::NODES,
    fax_table::NODES,
    notifications::REGISTRY,
    conformance::REGISTRY,
];

/// Every node of TIPRING-MIB: the tree nodes, groups, tables, entries, columns, scalars
/// (object OIDs), notifications and conformance statements.
pub fn nodes() -> impl Iterator<Item = &'static MibNode> {
    REGISTRIES.iter().flat_map(|registry| registry.iter())
}

/// The TIPRING-MIB descriptor of exactly `oid` (`tipringRegState` for the column's
/// object OID, `tipringRegistrationLost` for the notification), or `None` when `oid` is
/// not a TIPRING-MIB node. An instance (`tipringRegState.3`) is not a node: use
/// [`describe`](crate::describe) for those.
pub fn name_of(oid: &[u32]) -> Option<&'static str> {
    nodes().find(|node| node.oid == oid).map(|node| node.name)
}

mib_enum! {
    /// `tipringPortHookState` (TIPRING-MIB): the phone's hook switch.
    pub enum HookState {
        /// `onHook(1)`: hung up, or no phone connected.
        OnHook = 1, "onHook";
        /// `offHook(2)`: handset lifted.
        OffHook = 2, "offHook";
    }
}

mib_enum! {
    /// `tipringPortServiceState` (TIPRING-MIB): whether the port can serve calls;
    /// `ifOperStatus` is `up(1)` for `inService(1)` and `down(2)` otherwise.
    pub enum ServiceState {
        /// `inService(1)`: enabled and working.
        InService = 1, "inService";
        /// `outOfService(2)`: disabled in the configuration.
        OutOfService = 2, "outOfService";
        /// `fault(3)`: the line circuit reports a fault (`tipringPortFaultReason`).
        Fault = 3, "fault";
    }
}

mib_enum! {
    /// `tipringRegState` (TIPRING-MIB): where a port's SIP registration stands.
    pub enum RegState {
        /// `disabled(1)`: the port does not register.
        Disabled = 1, "disabled";
        /// `unregistered(2)`: not registered, no attempt in flight.
        Unregistered = 2, "unregistered";
        /// `registering(3)`: a REGISTER is in flight.
        Registering = 3, "registering";
        /// `registered(4)`: the binding is live.
        Registered = 4, "registered";
        /// `failed(5)`: the last attempt failed; a retry is scheduled.
        Failed = 5, "failed";
    }
}

mib_enum! {
    /// `tipringCallState` (TIPRING-MIB): the state of the call on a port.
    pub enum CallState {
        /// `idle(1)`: no call.
        Idle = 1, "idle";
        /// `dialling(2)`: off hook, dial tone or digit collection.
        Dialling = 2, "dialling";
        /// `proceeding(3)`: INVITE sent, no ringing indication yet.
        Proceeding = 3, "proceeding";
        /// `ringing(4)`: the phone rings, or the far end is alerted (ringback).
        Ringing = 4, "ringing";
        /// `connected(5)`: answered, media flows.
        Connected = 5, "connected";
        /// `held(6)`: on hold.
        Held = 6, "held";
        /// `releasing(7)`: being torn down.
        Releasing = 7, "releasing";
    }
}

mib_enum! {
    /// `tipringCallDirection` (TIPRING-MIB): who placed the call.
    pub enum CallDirection {
        /// `none(1)`: no call (idle or dialling).
        None = 1, "none";
        /// `incoming(2)`: the far end called the port.
        Incoming = 2, "incoming";
        /// `outgoing(3)`: the port dialled.
        Outgoing = 3, "outgoing";
    }
}

mib_enum! {
    /// `tipringQualityCall` (TIPRING-MIB): which call a `tipringQualityTable` row
    /// describes.
    pub enum QualityCall {
        /// `none(1)`: no call with media since the agent started; every value is 0.
        None = 1, "none";
        /// `inProgress(2)`: the call in progress. (Not `current`: net-snmp's MIB parser
        /// takes that word for the STATUS keyword and drops the value.)
        InProgress = 2, "inProgress";
        /// `last(3)`: the last call that ended (final values).
        Last = 3, "last";
    }
}

mib_enum! {
    /// `tipringFirmwareState` (TIPRING-MIB): where the running firmware image stands.
    pub enum FirmwareState {
        /// `running(1)`: confirmed.
        Running = 1, "running";
        /// `trial(2)`: a new image on trial, not yet confirmed.
        Trial = 2, "trial";
        /// `rolledBack(3)`: a new image failed its trial; the previous one runs.
        RolledBack = 3, "rolledBack";
    }
}

mib_enum! {
    /// `tipringFirmwareLastUpgrade` (TIPRING-MIB): the outcome of the last firmware
    /// upgrade attempt.
    pub enum UpgradeResult {
        /// `none(1)`: no attempt on record.
        None = 1, "none";
        /// `success(2)`: installed and confirmed.
        Success = 2, "success";
        /// `failed(3)`: refused, or rolled back after its trial.
        Failed = 3, "failed";
    }
}

mib_enum! {
    /// `tipringConfigState` (TIPRING-MIB): the outcome of the last configuration change
    /// attempt.
    pub enum ConfigState {
        /// `ok(1)`: accepted (or a valid stored configuration at start).
        Ok = 1, "ok";
        /// `refused(2)`: invalid; the previous configuration still runs.
        Refused = 2, "refused";
    }
}
