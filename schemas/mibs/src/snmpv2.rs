//! SNMPv2-MIB (RFC 3418): the `system` group and `sysORTable`, the `snmp` counters,
//! `snmpTrapOID.0` and the generic notifications.

use crate::smi::{MIB_2, SNMP_MODULES};
use crate::MibNode;

nodes! { "SNMPv2-MIB", TREE;
    /// `snmpMIB` (SNMPv2-MIB, RFC 3418 §2): the MODULE-IDENTITY, `snmpModules.1`; the
    /// `sysORID` that says the agent implements SNMPv2-MIB.
    SNMP_MIB = "snmpMIB", oid!(SNMP_MODULES, 1);
    /// `snmpMIBObjects` (SNMPv2-MIB, RFC 3418 §2): `snmpMIB.1`.
    SNMP_MIB_OBJECTS = "snmpMIBObjects", oid!(SNMP_MIB, 1);
    /// `snmpTraps` (SNMPv2-MIB, RFC 3418 §2): `snmpMIBObjects.5`, the parent of the
    /// generic notifications (IF-MIB's `linkDown`/`linkUp` are 3 and 4 here).
    SNMP_TRAPS = "snmpTraps", oid!(SNMP_MIB_OBJECTS, 5);
    /// `coldStart` (SNMPv2-MIB, RFC 3418 §2): the agent (re)initialised and its
    /// configuration may have changed. The agent sends it when it starts.
    COLD_START = "coldStart", oid!(SNMP_TRAPS, 1);
    /// `warmStart` (SNMPv2-MIB, RFC 3418 §2): the agent reinitialised with its
    /// configuration unchanged.
    WARM_START = "warmStart", oid!(SNMP_TRAPS, 2);
    /// `authenticationFailure` (SNMPv2-MIB, RFC 3418 §2): a request failed
    /// authentication (bad community, or a USM authentication failure), sent when
    /// `snmpEnableAuthenTraps` is `enabled(1)`.
    AUTHENTICATION_FAILURE = "authenticationFailure", oid!(SNMP_TRAPS, 5);
}

scalars! {
    /// `system` (SNMPv2-MIB, RFC 3418 §2): who and what the device is. Each constant is
    /// the instance OID (`.0`); `sysORTable` is [`or_table`].
    pub mod system("SNMPv2-MIB", "system", oid!(MIB_2, 1)) {
        /// `sysDescr.0` (SNMPv2-MIB, RFC 3418): product, model and firmware version in
        /// words (DisplayString).
        DESCR = "sysDescr", 1;
        /// `sysObjectID.0` (SNMPv2-MIB, RFC 3418): the product's identifier,
        /// [`SYS_OBJECT_ID`](crate::SYS_OBJECT_ID).
        OBJECT_ID = "sysObjectID", 2;
        /// `sysUpTime.0` (SNMPv2-MIB, RFC 3418): hundredths of a second since the agent
        /// (re)initialised (TimeTicks).
        UP_TIME = "sysUpTime", 3;
        /// `sysContact.0` (SNMPv2-MIB, RFC 3418): who is responsible for the device
        /// (DisplayString).
        CONTACT = "sysContact", 4;
        /// `sysName.0` (SNMPv2-MIB, RFC 3418): the device's name, by convention its
        /// fully-qualified domain name (DisplayString).
        NAME = "sysName", 5;
        /// `sysLocation.0` (SNMPv2-MIB, RFC 3418): where the device is (DisplayString).
        LOCATION = "sysLocation", 6;
        /// `sysServices.0` (SNMPv2-MIB, RFC 3418): the layers the device serves, a sum of
        /// `2^(layer-1)` (INTEGER 0..127; 72 = applications (7) + end-to-end (4)).
        SERVICES = "sysServices", 7;
        /// `sysORLastChange.0` (SNMPv2-MIB, RFC 3418): `sysUpTime` when a `sysORTable`
        /// row last changed (TimeStamp).
        OR_LAST_CHANGE = "sysORLastChange", 8;
    }
}

table! {
    /// `sysORTable` (SNMPv2-MIB, RFC 3418): the MIB modules (capabilities) the agent
    /// implements, INDEX `sysORIndex`.
    pub mod or_table("SNMPv2-MIB", "sysORTable", oid!(system::GROUP, 9), "sysOREntry") {
        /// `sysORIndex` (SNMPv2-MIB): the row's number (not-accessible).
        INDEX = "sysORIndex", 1;
        /// `sysORID` (SNMPv2-MIB): the MODULE-IDENTITY (or AGENT-CAPABILITIES) OID of the
        /// implemented module, e.g. [`tipring::MIB`](crate::tipring::MIB).
        ID = "sysORID", 2;
        /// `sysORDescr` (SNMPv2-MIB): the module in words (DisplayString).
        DESCR = "sysORDescr", 3;
        /// `sysORUpTime` (SNMPv2-MIB): `sysUpTime` when the row was created (TimeStamp).
        UP_TIME = "sysORUpTime", 4;
    }
}

scalars! {
    /// `snmp` (SNMPv2-MIB, RFC 3418): the SNMP engine's counters of the current (not
    /// obsolete) objects. Each constant is the instance OID (`.0`).
    pub mod snmp("SNMPv2-MIB", "snmp", oid!(MIB_2, 11)) {
        /// `snmpInPkts.0` (SNMPv2-MIB, RFC 3418): messages delivered to the SNMP entity
        /// (Counter32).
        IN_PKTS = "snmpInPkts", 1;
        /// `snmpInBadVersions.0` (SNMPv2-MIB, RFC 3418): messages of an unsupported SNMP
        /// version (Counter32).
        IN_BAD_VERSIONS = "snmpInBadVersions", 3;
        /// `snmpInBadCommunityNames.0` (SNMPv2-MIB, RFC 3418): community-based messages
        /// with an unknown community (Counter32).
        IN_BAD_COMMUNITY_NAMES = "snmpInBadCommunityNames", 4;
        /// `snmpInBadCommunityUses.0` (SNMPv2-MIB, RFC 3418): community-based messages
        /// asking an operation the community does not allow (Counter32).
        IN_BAD_COMMUNITY_USES = "snmpInBadCommunityUses", 5;
        /// `snmpInASNParseErrs.0` (SNMPv2-MIB, RFC 3418): messages that failed to decode
        /// (ASN.1/BER errors) (Counter32).
        IN_ASN_PARSE_ERRS = "snmpInASNParseErrs", 6;
        /// `snmpEnableAuthenTraps.0` (SNMPv2-MIB, RFC 3418): whether
        /// `authenticationFailure` is sent ([`TrapEnable`]).
        ENABLE_AUTHEN_TRAPS = "snmpEnableAuthenTraps", 30;
        /// `snmpSilentDrops.0` (SNMPv2-MIB, RFC 3418): requests dropped because the reply
        /// would not fit even empty (Counter32).
        SILENT_DROPS = "snmpSilentDrops", 31;
        /// `snmpProxyDrops.0` (SNMPv2-MIB, RFC 3418): requests dropped on a proxy
        /// failure (Counter32; 0 on an agent that does not proxy).
        PROXY_DROPS = "snmpProxyDrops", 32;
    }
}

scalars! {
    /// `snmpTrap` (SNMPv2-MIB, RFC 3418): the objects that head every notification.
    pub mod trap("SNMPv2-MIB", "snmpTrap", oid!(SNMP_MIB_OBJECTS, 4)) {
        /// `snmpTrapOID.0` (SNMPv2-MIB, RFC 3418): the second variable binding of every
        /// SNMPv2-Trap and InformRequest, holding the notification's OID (RFC 3416
        /// §4.2.6).
        OID = "snmpTrapOID", 1;
        /// `snmpTrapEnterprise.0` (SNMPv2-MIB, RFC 3418): the enterprise of a trap
        /// translated from SNMPv1 (RFC 3584 §3.1).
        ENTERPRISE = "snmpTrapEnterprise", 3;
    }
}

scalars! {
    /// `snmpSet` (SNMPv2-MIB, RFC 3418): the advisory lock of cooperating managers.
    pub mod set("SNMPv2-MIB", "snmpSet", oid!(SNMP_MIB_OBJECTS, 6)) {
        /// `snmpSetSerialNo.0` (SNMPv2-MIB, RFC 3418): TestAndIncr spin lock.
        SERIAL_NO = "snmpSetSerialNo", 1;
    }
}

/// Every registry of SNMPv2-MIB.
pub const REGISTRIES: &[&[MibNode]] = &[
    TREE,
    system::NODES,
    or_table::NODES,
    snmp::NODES,
    trap::NODES,
    set::NODES,
];

mib_enum! {
    /// `snmpEnableAuthenTraps` (SNMPv2-MIB, RFC 3418) and `ifLinkUpDownTrapEnable`
    /// (IF-MIB, RFC 2863): whether a notification is sent.
    pub enum TrapEnable {
        /// `enabled(1)`.
        Enabled = 1, "enabled";
        /// `disabled(2)`.
        Disabled = 2, "disabled";
    }
}
