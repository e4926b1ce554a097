//! ENTITY-MIB (RFC 6933, Entity MIB version 4; RFC 4133 before it): the physical
//! inventory — `entPhysicalTable`, `entLastChangeTime`, `entConfigChange` — and the
//! IANAPhysicalClass values (IANA-ENTITY-MIB, RFC 6933 §6 and the IANA registry).
//!
//! Not installed on the build machines: `tests.rs` checks these constants against the
//! numbers of RFC 6933.

use crate::smi::MIB_2;
use crate::MibNode;

nodes! { "ENTITY-MIB", TREE;
    /// `entityMIB` (ENTITY-MIB, RFC 6933 §6): the MODULE-IDENTITY, `mib-2.47`; the
    /// `sysORID` that says the agent implements ENTITY-MIB.
    ENTITY_MIB = "entityMIB", oid!(MIB_2, 47);
    /// `entityMIBObjects` (ENTITY-MIB, RFC 6933 §6): `entityMIB.1`.
    ENTITY_MIB_OBJECTS = "entityMIBObjects", oid!(ENTITY_MIB, 1);
    /// `entityPhysical` (ENTITY-MIB, RFC 6933 §6): `entityMIBObjects.1`, the physical
    /// entity group.
    ENTITY_PHYSICAL = "entityPhysical", oid!(ENTITY_MIB_OBJECTS, 1);
    /// `entityMIBTraps` (ENTITY-MIB, RFC 6933 §6): `entityMIB.2`.
    ENTITY_MIB_TRAPS = "entityMIBTraps", oid!(ENTITY_MIB, 2);
    /// `entityMIBTrapPrefix` (ENTITY-MIB, RFC 6933 §6): `entityMIBTraps.0`, the parent of
    /// the notification.
    ENTITY_MIB_TRAP_PREFIX = "entityMIBTrapPrefix", oid!(ENTITY_MIB_TRAPS, 0);
    /// `entConfigChange` (ENTITY-MIB, RFC 6933 §6): the inventory changed
    /// (`entLastChangeTime` moved); no objects; at most one per 5 seconds.
    CONFIG_CHANGE = "entConfigChange", oid!(ENTITY_MIB_TRAP_PREFIX, 1);
}

scalars! {
    /// `entityGeneral` (ENTITY-MIB, RFC 6933): `entLastChangeTime.0`.
    pub mod general("ENTITY-MIB", "entityGeneral", oid!(ENTITY_MIB_OBJECTS, 4)) {
        /// `entLastChangeTime.0` (ENTITY-MIB, RFC 6933): `sysUpTime` when the inventory
        /// last changed (TimeStamp).
        LAST_CHANGE_TIME = "entLastChangeTime", 1;
    }
}

table! {
    /// `entPhysicalTable` (ENTITY-MIB, RFC 6933): one row per physical entity (the
    /// chassis, its CPU, each FXS port), INDEX `entPhysicalIndex`.
    pub mod phys_table("ENTITY-MIB", "entPhysicalTable", oid!(ENTITY_PHYSICAL, 1), "entPhysicalEntry") {
        /// `entPhysicalIndex` (ENTITY-MIB): the entity's number (not-accessible).
        INDEX = "entPhysicalIndex", 1;
        /// `entPhysicalDescr` (ENTITY-MIB): the entity in words (SnmpAdminString).
        DESCR = "entPhysicalDescr", 2;
        /// `entPhysicalVendorType` (ENTITY-MIB): vendor's type OID, or `zeroDotZero`
        /// (AutonomousType).
        VENDOR_TYPE = "entPhysicalVendorType", 3;
        /// `entPhysicalContainedIn` (ENTITY-MIB): index of the containing entity, 0 for
        /// the top (PhysicalIndexOrZero).
        CONTAINED_IN = "entPhysicalContainedIn", 4;
        /// `entPhysicalClass` (ENTITY-MIB): [`PhysicalClass`].
        CLASS = "entPhysicalClass", 5;
        /// `entPhysicalParentRelPos` (ENTITY-MIB): position among its siblings, -1 when
        /// unknown (Integer32).
        PARENT_REL_POS = "entPhysicalParentRelPos", 6;
        /// `entPhysicalName` (ENTITY-MIB): the entity's name on the device
        /// (SnmpAdminString).
        NAME = "entPhysicalName", 7;
        /// `entPhysicalHardwareRev` (ENTITY-MIB): hardware revision (SnmpAdminString).
        HARDWARE_REV = "entPhysicalHardwareRev", 8;
        /// `entPhysicalFirmwareRev` (ENTITY-MIB): firmware revision (SnmpAdminString).
        FIRMWARE_REV = "entPhysicalFirmwareRev", 9;
        /// `entPhysicalSoftwareRev` (ENTITY-MIB): software revision (SnmpAdminString).
        SOFTWARE_REV = "entPhysicalSoftwareRev", 10;
        /// `entPhysicalSerialNum` (ENTITY-MIB): serial number (SnmpAdminString).
        SERIAL_NUM = "entPhysicalSerialNum", 11;
        /// `entPhysicalMfgName` (ENTITY-MIB): manufacturer (SnmpAdminString).
        MFG_NAME = "entPhysicalMfgName", 12;
        /// `entPhysicalModelName` (ENTITY-MIB): model (SnmpAdminString).
        MODEL_NAME = "entPhysicalModelName", 13;
        /// `entPhysicalAlias` (ENTITY-MIB): the operator's name for it (SnmpAdminString).
        ALIAS = "entPhysicalAlias", 14;
        /// `entPhysicalAssetID` (ENTITY-MIB): the operator's asset tag (SnmpAdminString).
        ASSET_ID = "entPhysicalAssetID", 15;
        /// `entPhysicalIsFRU` (ENTITY-MIB): whether it is field-replaceable
        /// ([`TruthValue`](crate::tc::TruthValue)).
        IS_FRU = "entPhysicalIsFRU", 16;
        /// `entPhysicalMfgDate` (ENTITY-MIB, since RFC 4133): manufacturing date
        /// (DateAndTime, or `'0000000000000000'H` when unknown).
        MFG_DATE = "entPhysicalMfgDate", 17;
        /// `entPhysicalUris` (ENTITY-MIB, since RFC 4133): URIs describing the entity
        /// (OCTET STRING).
        URIS = "entPhysicalUris", 18;
        /// `entPhysicalUUID` (ENTITY-MIB, since RFC 6933): the entity's UUID (UUIDorZero).
        UUID = "entPhysicalUUID", 19;
    }
}

/// Every registry of ENTITY-MIB.
pub const REGISTRIES: &[&[MibNode]] = &[TREE, general::NODES, phys_table::NODES];

mib_enum! {
    /// `IANAPhysicalClass` (IANA-ENTITY-MIB; RFC 6933 §6, values 13..15 added there and by
    /// IANA): the general kind of a physical entity, `entPhysicalClass`.
    pub enum PhysicalClass {
        /// `other(1)`: known, but none of these.
        Other = 1, "other";
        /// `unknown(2)`.
        Unknown = 2, "unknown";
        /// `chassis(3)`: the overall container — the gateway itself.
        Chassis = 3, "chassis";
        /// `backplane(4)`.
        Backplane = 4, "backplane";
        /// `container(5)`: a slot.
        Container = 5, "container";
        /// `powerSupply(6)`.
        PowerSupply = 6, "powerSupply";
        /// `fan(7)`.
        Fan = 7, "fan";
        /// `sensor(8)`.
        Sensor = 8, "sensor";
        /// `module(9)`: a self-contained sub-system (e.g. an FXS line card).
        Module = 9, "module";
        /// `port(10)`: a networking port — an FXS port, an Ethernet port.
        Port = 10, "port";
        /// `stack(11)`.
        Stack = 11, "stack";
        /// `cpu(12)` (since RFC 4133): a processor.
        Cpu = 12, "cpu";
        /// `energyObject(13)` (since RFC 6933).
        EnergyObject = 13, "energyObject";
        /// `battery(14)` (since RFC 6933).
        Battery = 14, "battery";
        /// `storageDrive(15)` (IANA, 2015).
        StorageDrive = 15, "storageDrive";
    }
}
