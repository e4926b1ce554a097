//! Interop tests of the engine against net-snmp's own tools (snmpwalk, snmpbulkwalk,
//! snmpget, snmpbulkget, snmpgetnext, snmptable, snmpset, snmptrapd) over real UDP on
//! loopback, plus the manager client over the same sockets.

mod common;
mod failures;
mod manager;
mod notifications;
mod walks;
