//! SNMPv2-SMI (RFC 2578 §2): the roots every other OID hangs from.

nodes! { "SNMPv2-SMI", REGISTRY;
    /// `org` (SNMPv2-SMI, RFC 2578 §2): `iso(1) org(3)`. The literal root of this
    /// crate's OIDs; every other constant is derived from it.
    ORG = "org", &[1, 3];
    /// `dod` (SNMPv2-SMI, RFC 2578 §2): `1.3.6`.
    DOD = "dod", oid!(ORG, 6);
    /// `internet` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1`.
    INTERNET = "internet", oid!(DOD, 1);
    /// `directory` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.1`.
    DIRECTORY = "directory", oid!(INTERNET, 1);
    /// `mgmt` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.2`.
    MGMT = "mgmt", oid!(INTERNET, 2);
    /// `mib-2` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.2.1`, the IETF's standard MIB objects.
    MIB_2 = "mib-2", oid!(MGMT, 1);
    /// `transmission` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.2.1.10`.
    TRANSMISSION = "transmission", oid!(MIB_2, 10);
    /// `experimental` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.3`.
    EXPERIMENTAL = "experimental", oid!(INTERNET, 3);
    /// `private` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.4`.
    PRIVATE = "private", oid!(INTERNET, 4);
    /// `enterprises` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.4.1`, where each IANA Private
    /// Enterprise Number has its subtree ([`ENTERPRISE`](crate::ENTERPRISE) is Tipring's).
    ENTERPRISES = "enterprises", oid!(PRIVATE, 1);
    /// `security` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.5`.
    SECURITY = "security", oid!(INTERNET, 5);
    /// `snmpV2` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.6`.
    SNMP_V2 = "snmpV2", oid!(INTERNET, 6);
    /// `snmpDomains` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.6.1`, transport domains.
    SNMP_DOMAINS = "snmpDomains", oid!(SNMP_V2, 1);
    /// `snmpProxys` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.6.2`.
    SNMP_PROXYS = "snmpProxys", oid!(SNMP_V2, 2);
    /// `snmpModules` (SNMPv2-SMI, RFC 2578 §2): `1.3.6.1.6.3`, where the SNMP MIB modules
    /// (SNMPv2-MIB, the SNMPv3 modules) live.
    SNMP_MODULES = "snmpModules", oid!(SNMP_V2, 3);
    /// `zeroDotZero` (SNMPv2-SMI, RFC 2578 §2): `0.0`, the value of an OBJECT IDENTIFIER
    /// object that has nothing to identify (e.g. `entPhysicalVendorType`,
    /// `hrProcessorFrwID` when unknown).
    ZERO_DOT_ZERO = "zeroDotZero", &[0, 0];
}

/// Every registry of this module (for [`all_nodes`](crate::all_nodes)).
pub const REGISTRIES: &[&[crate::MibNode]] = &[REGISTRY];
