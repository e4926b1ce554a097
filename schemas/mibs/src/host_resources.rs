//! HOST-RESOURCES-MIB and HOST-RESOURCES-TYPES (RFC 2790): uptime, memory and storage,
//! devices and processor load.
//!
//! Not installed on the build machines: `tests.rs` checks these constants against the
//! numbers of RFC 2790.

use crate::smi::MIB_2;
use crate::MibNode;

nodes! { "HOST-RESOURCES-MIB", TREE;
    /// `host` (HOST-RESOURCES-MIB, RFC 2790 §4): `mib-2.25`.
    HOST = "host", oid!(MIB_2, 25);
    /// `hrDevice` (HOST-RESOURCES-MIB, RFC 2790 §4): `host.3`, the device group.
    DEVICE = "hrDevice", oid!(HOST, 3);
    /// `hrMIBAdminInfo` (HOST-RESOURCES-MIB, RFC 2790 §4): `host.7`.
    MIB_ADMIN_INFO = "hrMIBAdminInfo", oid!(HOST, 7);
    /// `hostResourcesMibModule` (HOST-RESOURCES-MIB, RFC 2790 §4): the
    /// MODULE-IDENTITY, `hrMIBAdminInfo.1`; the `sysORID` that says the agent implements
    /// HOST-RESOURCES-MIB.
    HOST_RESOURCES_MIB_MODULE = "hostResourcesMibModule", oid!(MIB_ADMIN_INFO, 1);
}

scalars! {
    /// `hrSystem` (HOST-RESOURCES-MIB, RFC 2790): the host's uptime, clock and load.
    pub mod system("HOST-RESOURCES-MIB", "hrSystem", oid!(HOST, 1)) {
        /// `hrSystemUptime.0` (HOST-RESOURCES-MIB, RFC 2790): hundredths of a second
        /// since the host (not the agent: that is `sysUpTime`) booted (TimeTicks).
        UPTIME = "hrSystemUptime", 1;
        /// `hrSystemDate.0` (HOST-RESOURCES-MIB, RFC 2790): the host's date and time
        /// (DateAndTime).
        DATE = "hrSystemDate", 2;
        /// `hrSystemInitialLoadDevice.0` (HOST-RESOURCES-MIB, RFC 2790): the
        /// `hrDeviceIndex` of the boot device (Integer32).
        INITIAL_LOAD_DEVICE = "hrSystemInitialLoadDevice", 3;
        /// `hrSystemInitialLoadParameters.0` (HOST-RESOURCES-MIB, RFC 2790): the boot
        /// parameters (InternationalDisplayString).
        INITIAL_LOAD_PARAMETERS = "hrSystemInitialLoadParameters", 4;
        /// `hrSystemNumUsers.0` (HOST-RESOURCES-MIB, RFC 2790): user sessions (Gauge32).
        NUM_USERS = "hrSystemNumUsers", 5;
        /// `hrSystemProcesses.0` (HOST-RESOURCES-MIB, RFC 2790): processes (Gauge32).
        PROCESSES = "hrSystemProcesses", 6;
        /// `hrSystemMaxProcesses.0` (HOST-RESOURCES-MIB, RFC 2790): the process limit, 0
        /// for none (Integer32).
        MAX_PROCESSES = "hrSystemMaxProcesses", 7;
    }
}

scalars! {
    /// `hrStorage` (HOST-RESOURCES-MIB, RFC 2790): `hrMemorySize.0`; the storage table
    /// is [`storage_table`], its types [`STORAGE_RAM`] and the other `hrStorageTypes`.
    pub mod storage("HOST-RESOURCES-MIB", "hrStorage", oid!(HOST, 2)) {
        /// `hrMemorySize.0` (HOST-RESOURCES-MIB, RFC 2790): physical RAM in KiB
        /// (KBytes, Integer32).
        MEMORY_SIZE = "hrMemorySize", 2;
    }
}

nodes! { "HOST-RESOURCES-TYPES", STORAGE_TYPES;
    /// `hrStorageTypes` (HOST-RESOURCES-TYPES, RFC 2790 §5): `hrStorage.1`, the parent of
    /// the storage type identities (values of `hrStorageType`).
    STORAGE_TYPES_ROOT = "hrStorageTypes", oid!(storage::GROUP, 1);
    /// `hrStorageOther` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    STORAGE_OTHER = "hrStorageOther", oid!(STORAGE_TYPES_ROOT, 1);
    /// `hrStorageRam` (HOST-RESOURCES-TYPES, RFC 2790 §5): RAM.
    STORAGE_RAM = "hrStorageRam", oid!(STORAGE_TYPES_ROOT, 2);
    /// `hrStorageVirtualMemory` (HOST-RESOURCES-TYPES, RFC 2790 §5): swap, or RAM plus
    /// swap.
    STORAGE_VIRTUAL_MEMORY = "hrStorageVirtualMemory", oid!(STORAGE_TYPES_ROOT, 3);
    /// `hrStorageFixedDisk` (HOST-RESOURCES-TYPES, RFC 2790 §5): a file system on fixed
    /// storage (the gateway's flash file systems are reported as this).
    STORAGE_FIXED_DISK = "hrStorageFixedDisk", oid!(STORAGE_TYPES_ROOT, 4);
    /// `hrStorageRemovableDisk` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    STORAGE_REMOVABLE_DISK = "hrStorageRemovableDisk", oid!(STORAGE_TYPES_ROOT, 5);
    /// `hrStorageFloppyDisk` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    STORAGE_FLOPPY_DISK = "hrStorageFloppyDisk", oid!(STORAGE_TYPES_ROOT, 6);
    /// `hrStorageCompactDisc` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    STORAGE_COMPACT_DISC = "hrStorageCompactDisc", oid!(STORAGE_TYPES_ROOT, 7);
    /// `hrStorageRamDisk` (HOST-RESOURCES-TYPES, RFC 2790 §5): a file system in RAM
    /// (tmpfs).
    STORAGE_RAM_DISK = "hrStorageRamDisk", oid!(STORAGE_TYPES_ROOT, 8);
    /// `hrStorageFlashMemory` (HOST-RESOURCES-TYPES, RFC 2790 §5): raw flash.
    STORAGE_FLASH_MEMORY = "hrStorageFlashMemory", oid!(STORAGE_TYPES_ROOT, 9);
    /// `hrStorageNetworkDisk` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    STORAGE_NETWORK_DISK = "hrStorageNetworkDisk", oid!(STORAGE_TYPES_ROOT, 10);
}

nodes! { "HOST-RESOURCES-TYPES", DEVICE_TYPES;
    /// `hrDeviceTypes` (HOST-RESOURCES-TYPES, RFC 2790 §5): `hrDevice.1`, the parent of
    /// the device type identities (values of `hrDeviceType`).
    DEVICE_TYPES_ROOT = "hrDeviceTypes", oid!(DEVICE, 1);
    /// `hrDeviceOther` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    DEVICE_OTHER = "hrDeviceOther", oid!(DEVICE_TYPES_ROOT, 1);
    /// `hrDeviceUnknown` (HOST-RESOURCES-TYPES, RFC 2790 §5).
    DEVICE_UNKNOWN = "hrDeviceUnknown", oid!(DEVICE_TYPES_ROOT, 2);
    /// `hrDeviceProcessor` (HOST-RESOURCES-TYPES, RFC 2790 §5): a CPU; such a device has
    /// a row in [`processor_table`] too.
    DEVICE_PROCESSOR = "hrDeviceProcessor", oid!(DEVICE_TYPES_ROOT, 3);
    /// `hrDeviceNetwork` (HOST-RESOURCES-TYPES, RFC 2790 §5): a network interface.
    DEVICE_NETWORK = "hrDeviceNetwork", oid!(DEVICE_TYPES_ROOT, 4);
}

table! {
    /// `hrStorageTable` (HOST-RESOURCES-MIB, RFC 2790): one row per storage area (RAM,
    /// file systems), INDEX `hrStorageIndex`.
    pub mod storage_table("HOST-RESOURCES-MIB", "hrStorageTable", oid!(storage::GROUP, 3), "hrStorageEntry") {
        /// `hrStorageIndex` (HOST-RESOURCES-MIB): the row's number (Integer32,
        /// read-only).
        INDEX = "hrStorageIndex", 1;
        /// `hrStorageType` (HOST-RESOURCES-MIB): one of the `hrStorageTypes` OIDs
        /// ([`STORAGE_RAM`], [`STORAGE_FIXED_DISK`], ...) (AutonomousType).
        TYPE = "hrStorageType", 2;
        /// `hrStorageDescr` (HOST-RESOURCES-MIB): the area in words, e.g. its mount point
        /// (DisplayString).
        DESCR = "hrStorageDescr", 3;
        /// `hrStorageAllocationUnits` (HOST-RESOURCES-MIB): bytes per allocation unit
        /// (Integer32 1..).
        ALLOCATION_UNITS = "hrStorageAllocationUnits", 4;
        /// `hrStorageSize` (HOST-RESOURCES-MIB): size in allocation units (Integer32).
        SIZE = "hrStorageSize", 5;
        /// `hrStorageUsed` (HOST-RESOURCES-MIB): units in use (Integer32).
        USED = "hrStorageUsed", 6;
        /// `hrStorageAllocationFailures` (HOST-RESOURCES-MIB): refused allocations
        /// (Counter32).
        ALLOCATION_FAILURES = "hrStorageAllocationFailures", 7;
    }
}

table! {
    /// `hrDeviceTable` (HOST-RESOURCES-MIB, RFC 2790): one row per device, INDEX
    /// `hrDeviceIndex`; `hrProcessorTable` rows share its index.
    pub mod device_table("HOST-RESOURCES-MIB", "hrDeviceTable", oid!(DEVICE, 2), "hrDeviceEntry") {
        /// `hrDeviceIndex` (HOST-RESOURCES-MIB): the device's number (Integer32,
        /// read-only).
        INDEX = "hrDeviceIndex", 1;
        /// `hrDeviceType` (HOST-RESOURCES-MIB): one of the `hrDeviceTypes` OIDs
        /// ([`DEVICE_PROCESSOR`], ...) (AutonomousType).
        TYPE = "hrDeviceType", 2;
        /// `hrDeviceDescr` (HOST-RESOURCES-MIB): the device in words (DisplayString).
        DESCR = "hrDeviceDescr", 3;
        /// `hrDeviceID` (HOST-RESOURCES-MIB): product ID, or `zeroDotZero` (ProductID).
        ID = "hrDeviceID", 4;
        /// `hrDeviceStatus` (HOST-RESOURCES-MIB): [`HrDeviceStatus`].
        STATUS = "hrDeviceStatus", 5;
        /// `hrDeviceErrors` (HOST-RESOURCES-MIB): errors detected (Counter32).
        ERRORS = "hrDeviceErrors", 6;
    }
}

table! {
    /// `hrProcessorTable` (HOST-RESOURCES-MIB, RFC 2790): one row per processor, INDEX
    /// `hrDeviceIndex` (the processor's row in [`device_table`]).
    pub mod processor_table("HOST-RESOURCES-MIB", "hrProcessorTable", oid!(DEVICE, 3), "hrProcessorEntry") {
        /// `hrProcessorFrwID` (HOST-RESOURCES-MIB): the processor's firmware, or
        /// `zeroDotZero` (ProductID).
        FRW_ID = "hrProcessorFrwID", 1;
        /// `hrProcessorLoad` (HOST-RESOURCES-MIB): percent of the last minute the
        /// processor was not idle (Integer32 0..100).
        LOAD = "hrProcessorLoad", 2;
    }
}

/// Every registry of HOST-RESOURCES-MIB and HOST-RESOURCES-TYPES.
pub const REGISTRIES: &[&[MibNode]] = &[
    TREE,
    system::NODES,
    storage::NODES,
    STORAGE_TYPES,
    DEVICE_TYPES,
    storage_table::NODES,
    device_table::NODES,
    processor_table::NODES,
];

mib_enum! {
    /// `hrDeviceStatus` (HOST-RESOURCES-MIB, RFC 2790): the state of a device.
    pub enum HrDeviceStatus {
        /// `unknown(1)`.
        Unknown = 1, "unknown";
        /// `running(2)`: up and working.
        Running = 2, "running";
        /// `warning(3)`: working, with an unusual error condition.
        Warning = 3, "warning";
        /// `testing(4)`: in a test mode.
        Testing = 4, "testing";
        /// `down(5)`: not working.
        Down = 5, "down";
    }
}
