//! TIPRING-MIB and the crate's constants against net-snmp's and libsmi's own tools.
//!
//! * `lint`: `smilint -l 4` and `snmptranslate -Tp` read TIPRING-MIB without a word.
//! * `tipring`: every TIPRING-MIB constant, scalar instance, enumeration and
//!   notification object list of the crate equals what `snmptranslate` reads from the MIB,
//!   and every node of the MIB has a constant — so the two cannot drift apart.
//! * `standard`: the same for the SNMPv2-SMI, SNMPv2-MIB and IF-MIB constants, against
//!   the IETF modules installed in /usr/share/snmp/mibs.
//!
//! The tools are required: a missing one fails the test with the `apt-get install`
//! command that brings it (`.ci/run` runs `ops/install-deps`, which installs them and the
//! base MIBs).

mod lint;
mod net_snmp;
mod standard;
mod tipring;
