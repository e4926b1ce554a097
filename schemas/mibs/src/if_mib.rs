//! IF-MIB (RFC 2863): `ifNumber`, `ifTable`, `ifXTable`, `linkDown`/`linkUp`, and the
//! IANAifType-MIB values the agent uses.
//!
//! On a Tipring gateway, FXS port `p` is interface `ifIndex = p` of type
//! [`IfType::VoiceFxs`]; the Ethernet and loopback interfaces follow the ports.

use crate::smi::MIB_2;
use crate::snmpv2::SNMP_TRAPS;
use crate::MibNode;

nodes! { "IF-MIB", TREE;
    /// `ifMIB` (IF-MIB, RFC 2863 §6): the MODULE-IDENTITY, `mib-2.31`; the `sysORID`
    /// that says the agent implements IF-MIB.
    IF_MIB = "ifMIB", oid!(MIB_2, 31);
    /// `linkDown` (IF-MIB, RFC 2863 §6): an interface's `ifOperStatus` left `up` (for an
    /// FXS port: it went out of service or into fault). Objects: [`LINK_VARBINDS`].
    LINK_DOWN = "linkDown", oid!(SNMP_TRAPS, 3);
    /// `linkUp` (IF-MIB, RFC 2863 §6): an interface's `ifOperStatus` came back `up`.
    /// Objects: [`LINK_VARBINDS`].
    LINK_UP = "linkUp", oid!(SNMP_TRAPS, 4);
}

scalars! {
    /// `interfaces` (IF-MIB, RFC 2863): `ifNumber.0`; `ifTable` is [`if_table`].
    pub mod interfaces("IF-MIB", "interfaces", oid!(MIB_2, 2)) {
        /// `ifNumber.0` (IF-MIB, RFC 2863): how many rows `ifTable` has (Integer32).
        NUMBER = "ifNumber", 1;
    }
}

scalars! {
    /// `ifMIBObjects` (IF-MIB, RFC 2863): the scalars of IF-MIB's extension group;
    /// `ifXTable` is [`if_x_table`].
    pub mod if_mib_objects("IF-MIB", "ifMIBObjects", oid!(IF_MIB, 1)) {
        /// `ifTableLastChange.0` (IF-MIB, RFC 2863): `sysUpTime` when a row of `ifTable`
        /// was last created or deleted (TimeTicks).
        TABLE_LAST_CHANGE = "ifTableLastChange", 5;
        /// `ifStackLastChange.0` (IF-MIB, RFC 2863): `sysUpTime` when `ifStackTable` last
        /// changed (TimeTicks).
        STACK_LAST_CHANGE = "ifStackLastChange", 6;
    }
}

table! {
    /// `ifTable` (IF-MIB, RFC 2863): one row per interface, INDEX `ifIndex`.
    pub mod if_table("IF-MIB", "ifTable", oid!(interfaces::GROUP, 2), "ifEntry") {
        /// `ifIndex` (IF-MIB): the interface's number (InterfaceIndex; read-only, unlike
        /// most index objects).
        INDEX = "ifIndex", 1;
        /// `ifDescr` (IF-MIB): the interface in words (DisplayString).
        DESCR = "ifDescr", 2;
        /// `ifType` (IF-MIB): [`IfType`] (IANAifType).
        TYPE = "ifType", 3;
        /// `ifMtu` (IF-MIB): largest packet in octets (Integer32; 0 for an FXS port).
        MTU = "ifMtu", 4;
        /// `ifSpeed` (IF-MIB): bandwidth in bits per second (Gauge32).
        SPEED = "ifSpeed", 5;
        /// `ifPhysAddress` (IF-MIB): the link-layer address (PhysAddress; empty for an FXS
        /// port).
        PHYS_ADDRESS = "ifPhysAddress", 6;
        /// `ifAdminStatus` (IF-MIB): [`IfAdminStatus`].
        ADMIN_STATUS = "ifAdminStatus", 7;
        /// `ifOperStatus` (IF-MIB): [`IfOperStatus`].
        OPER_STATUS = "ifOperStatus", 8;
        /// `ifLastChange` (IF-MIB): `sysUpTime` when `ifOperStatus` last changed
        /// (TimeTicks).
        LAST_CHANGE = "ifLastChange", 9;
        /// `ifInOctets` (IF-MIB): octets received (Counter32).
        IN_OCTETS = "ifInOctets", 10;
        /// `ifInUcastPkts` (IF-MIB): unicast packets received (Counter32).
        IN_UCAST_PKTS = "ifInUcastPkts", 11;
        /// `ifInNUcastPkts` (IF-MIB): non-unicast packets received (Counter32;
        /// deprecated).
        IN_N_UCAST_PKTS = "ifInNUcastPkts", 12;
        /// `ifInDiscards` (IF-MIB): inbound packets discarded without error (Counter32).
        IN_DISCARDS = "ifInDiscards", 13;
        /// `ifInErrors` (IF-MIB): inbound packets with errors (Counter32).
        IN_ERRORS = "ifInErrors", 14;
        /// `ifInUnknownProtos` (IF-MIB): inbound packets of an unknown protocol
        /// (Counter32).
        IN_UNKNOWN_PROTOS = "ifInUnknownProtos", 15;
        /// `ifOutOctets` (IF-MIB): octets sent (Counter32).
        OUT_OCTETS = "ifOutOctets", 16;
        /// `ifOutUcastPkts` (IF-MIB): unicast packets sent (Counter32).
        OUT_UCAST_PKTS = "ifOutUcastPkts", 17;
        /// `ifOutNUcastPkts` (IF-MIB): non-unicast packets sent (Counter32; deprecated).
        OUT_N_UCAST_PKTS = "ifOutNUcastPkts", 18;
        /// `ifOutDiscards` (IF-MIB): outbound packets discarded without error
        /// (Counter32).
        OUT_DISCARDS = "ifOutDiscards", 19;
        /// `ifOutErrors` (IF-MIB): outbound packets not sent because of errors
        /// (Counter32).
        OUT_ERRORS = "ifOutErrors", 20;
        /// `ifOutQLen` (IF-MIB): output queue length (Gauge32; deprecated).
        OUT_Q_LEN = "ifOutQLen", 21;
        /// `ifSpecific` (IF-MIB): a media-specific MIB (OBJECT IDENTIFIER; deprecated,
        /// `zeroDotZero`).
        SPECIFIC = "ifSpecific", 22;
    }
}

table! {
    /// `ifXTable` (IF-MIB, RFC 2863): more columns for each `ifTable` row (AUGMENTS
    /// `ifEntry`: INDEX `ifIndex`).
    pub mod if_x_table("IF-MIB", "ifXTable", oid!(if_mib_objects::GROUP, 1), "ifXEntry") {
        /// `ifName` (IF-MIB): the interface's name on the device (DisplayString; "fxs1",
        /// "eth0").
        NAME = "ifName", 1;
        /// `ifInMulticastPkts` (IF-MIB): multicast packets received (Counter32).
        IN_MULTICAST_PKTS = "ifInMulticastPkts", 2;
        /// `ifInBroadcastPkts` (IF-MIB): broadcast packets received (Counter32).
        IN_BROADCAST_PKTS = "ifInBroadcastPkts", 3;
        /// `ifOutMulticastPkts` (IF-MIB): multicast packets sent (Counter32).
        OUT_MULTICAST_PKTS = "ifOutMulticastPkts", 4;
        /// `ifOutBroadcastPkts` (IF-MIB): broadcast packets sent (Counter32).
        OUT_BROADCAST_PKTS = "ifOutBroadcastPkts", 5;
        /// `ifHCInOctets` (IF-MIB): octets received (Counter64).
        HC_IN_OCTETS = "ifHCInOctets", 6;
        /// `ifHCInUcastPkts` (IF-MIB): unicast packets received (Counter64).
        HC_IN_UCAST_PKTS = "ifHCInUcastPkts", 7;
        /// `ifHCInMulticastPkts` (IF-MIB): multicast packets received (Counter64).
        HC_IN_MULTICAST_PKTS = "ifHCInMulticastPkts", 8;
        /// `ifHCInBroadcastPkts` (IF-MIB): broadcast packets received (Counter64).
        HC_IN_BROADCAST_PKTS = "ifHCInBroadcastPkts", 9;
        /// `ifHCOutOctets` (IF-MIB): octets sent (Counter64).
        HC_OUT_OCTETS = "ifHCOutOctets", 10;
        /// `ifHCOutUcastPkts` (IF-MIB): unicast packets sent (Counter64).
        HC_OUT_UCAST_PKTS = "ifHCOutUcastPkts", 11;
        /// `ifHCOutMulticastPkts` (IF-MIB): multicast packets sent (Counter64).
        HC_OUT_MULTICAST_PKTS = "ifHCOutMulticastPkts", 12;
        /// `ifHCOutBroadcastPkts` (IF-MIB): broadcast packets sent (Counter64).
        HC_OUT_BROADCAST_PKTS = "ifHCOutBroadcastPkts", 13;
        /// `ifLinkUpDownTrapEnable` (IF-MIB): whether `linkDown`/`linkUp` are sent for the
        /// interface ([`TrapEnable`](crate::snmpv2::TrapEnable)).
        LINK_UP_DOWN_TRAP_ENABLE = "ifLinkUpDownTrapEnable", 14;
        /// `ifHighSpeed` (IF-MIB): bandwidth in units of 1 000 000 bits per second
        /// (Gauge32).
        HIGH_SPEED = "ifHighSpeed", 15;
        /// `ifPromiscuousMode` (IF-MIB): whether the interface accepts all packets
        /// ([`TruthValue`](crate::tc::TruthValue)).
        PROMISCUOUS_MODE = "ifPromiscuousMode", 16;
        /// `ifConnectorPresent` (IF-MIB): whether the interface has a physical connector
        /// ([`TruthValue`](crate::tc::TruthValue); `true` for an FXS port).
        CONNECTOR_PRESENT = "ifConnectorPresent", 17;
        /// `ifAlias` (IF-MIB): the operator's name for the interface (DisplayString).
        ALIAS = "ifAlias", 18;
        /// `ifCounterDiscontinuityTime` (IF-MIB): `sysUpTime` of the last discontinuity
        /// of the interface's counters (TimeStamp).
        COUNTER_DISCONTINUITY_TIME = "ifCounterDiscontinuityTime", 19;
    }
}

/// The OBJECTS of `linkDown` and `linkUp` (IF-MIB, RFC 2863 §6), in order: `ifIndex`,
/// `ifAdminStatus`, `ifOperStatus` (object OIDs; append the interface's ifIndex).
pub const LINK_VARBINDS: &[&[u32]] = &[
    oid!(if_table::ENTRY, if_table::INDEX),
    oid!(if_table::ENTRY, if_table::ADMIN_STATUS),
    oid!(if_table::ENTRY, if_table::OPER_STATUS),
];

/// Every registry of IF-MIB.
pub const REGISTRIES: &[&[MibNode]] = &[
    TREE,
    interfaces::NODES,
    if_mib_objects::NODES,
    if_table::NODES,
    if_x_table::NODES,
];

mib_enum! {
    /// `ifAdminStatus` (IF-MIB, RFC 2863): the state the interface should be in.
    pub enum IfAdminStatus {
        /// `up(1)`: ready to pass packets (an enabled port).
        Up = 1, "up";
        /// `down(2)`: disabled.
        Down = 2, "down";
        /// `testing(3)`: in a test mode.
        Testing = 3, "testing";
    }
}

mib_enum! {
    /// `ifOperStatus` (IF-MIB, RFC 2863): the state the interface is in. For an FXS port
    /// it follows `tipringPortServiceState`: `up(1)` in service, `down(2)` otherwise.
    pub enum IfOperStatus {
        /// `up(1)`.
        Up = 1, "up";
        /// `down(2)`.
        Down = 2, "down";
        /// `testing(3)`.
        Testing = 3, "testing";
        /// `unknown(4)`.
        Unknown = 4, "unknown";
        /// `dormant(5)`: waiting for an external event.
        Dormant = 5, "dormant";
        /// `notPresent(6)`: a component is missing.
        NotPresent = 6, "notPresent";
        /// `lowerLayerDown(7)`: down because of a lower-layer interface.
        LowerLayerDown = 7, "lowerLayerDown";
    }
}

mib_enum! {
    /// The `ifType` values (IANAifType-MIB, maintained by IANA; RFC 2863 §3.1.1) of the
    /// interfaces a Tipring gateway has — a subset of IANAifType, so `try_from` refuses
    /// the other (valid) types.
    pub enum IfType {
        /// `other(1)`: none of the following.
        Other = 1, "other";
        /// `ethernetCsmacd(6)`: an Ethernet interface.
        EthernetCsmacd = 6, "ethernetCsmacd";
        /// `softwareLoopback(24)`: the loopback interface.
        SoftwareLoopback = 24, "softwareLoopback";
        /// `voiceFXO(101)`: an analog trunk (FXO) port.
        VoiceFxo = 101, "voiceFXO";
        /// `voiceFXS(102)`: an analog telephone (FXS) port — every Tipring port.
        VoiceFxs = 102, "voiceFXS";
        /// `voiceOverIp(104)`: a voice-over-IP encapsulation.
        VoiceOverIp = 104, "voiceOverIp";
    }
}
