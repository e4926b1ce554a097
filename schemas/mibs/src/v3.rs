//! The SNMPv3 architecture modules (RFC 3411–3415, RFC 3584, RFC 3826, RFC 7860): the
//! engine's identity, the counters that Report PDUs carry, the USM protocol identities,
//! and the MODULE-IDENTITY OIDs an agent lists in `sysORTable`.
//!
//! Not installed on the build machines: `tests.rs` checks these constants against the
//! numbers of the RFCs.

use crate::MibNode;

/// SNMP-FRAMEWORK-MIB (RFC 3411 §5): `snmpEngine` and the protocol identity roots.
pub mod framework {
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-FRAMEWORK-MIB", TREE;
        /// `snmpFrameworkMIB` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the MODULE-IDENTITY,
        /// `snmpModules.10`.
        SNMP_FRAMEWORK_MIB = "snmpFrameworkMIB", oid!(SNMP_MODULES, 10);
        /// `snmpFrameworkAdmin` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): `snmpFrameworkMIB.1`.
        SNMP_FRAMEWORK_ADMIN = "snmpFrameworkAdmin", oid!(SNMP_FRAMEWORK_MIB, 1);
        /// `snmpFrameworkMIBObjects` (SNMP-FRAMEWORK-MIB, RFC 3411 §5):
        /// `snmpFrameworkMIB.2`.
        SNMP_FRAMEWORK_MIB_OBJECTS = "snmpFrameworkMIBObjects", oid!(SNMP_FRAMEWORK_MIB, 2);
        /// `snmpAuthProtocols` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the parent of the
        /// authentication protocol identities ([`usm`](super::usm)).
        SNMP_AUTH_PROTOCOLS = "snmpAuthProtocols", oid!(SNMP_FRAMEWORK_ADMIN, 1);
        /// `snmpPrivProtocols` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the parent of the
        /// privacy protocol identities ([`usm`](super::usm)).
        SNMP_PRIV_PROTOCOLS = "snmpPrivProtocols", oid!(SNMP_FRAMEWORK_ADMIN, 2);
    }

    scalars! {
        /// `snmpEngine` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the local SNMP engine.
        pub mod engine("SNMP-FRAMEWORK-MIB", "snmpEngine", oid!(SNMP_FRAMEWORK_MIB_OBJECTS, 1)) {
            /// `snmpEngineID.0` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the engine's
            /// administratively unique identifier (SnmpEngineID, 5..32 octets).
            ID = "snmpEngineID", 1;
            /// `snmpEngineBoots.0` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): times the engine
            /// (re)initialised since `snmpEngineID` was last configured (Integer32
            /// 1..2147483647).
            BOOTS = "snmpEngineBoots", 2;
            /// `snmpEngineTime.0` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): seconds since
            /// `snmpEngineBoots` last changed (Integer32 0..2147483647).
            TIME = "snmpEngineTime", 3;
            /// `snmpEngineMaxMessageSize.0` (SNMP-FRAMEWORK-MIB, RFC 3411 §5): the
            /// largest message the engine sends or receives (Integer32 484..2147483647).
            MAX_MESSAGE_SIZE = "snmpEngineMaxMessageSize", 4;
        }
    }
}

/// SNMP-MPD-MIB (RFC 3412 §5): the message processing counters (sent in Report PDUs,
/// RFC 3412 §7.2).
pub mod mpd {
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-MPD-MIB", TREE;
        /// `snmpMPDMIB` (SNMP-MPD-MIB, RFC 3412 §5): the MODULE-IDENTITY,
        /// `snmpModules.11`.
        SNMP_MPD_MIB = "snmpMPDMIB", oid!(SNMP_MODULES, 11);
        /// `snmpMPDMIBObjects` (SNMP-MPD-MIB, RFC 3412 §5): `snmpMPDMIB.2`.
        SNMP_MPD_MIB_OBJECTS = "snmpMPDMIBObjects", oid!(SNMP_MPD_MIB, 2);
    }

    scalars! {
        /// `snmpMPDStats` (SNMP-MPD-MIB, RFC 3412 §5): Counter32s.
        pub mod stats("SNMP-MPD-MIB", "snmpMPDStats", oid!(SNMP_MPD_MIB_OBJECTS, 1)) {
            /// `snmpUnknownSecurityModels.0` (SNMP-MPD-MIB, RFC 3412 §5): messages for a
            /// security model the engine does not support.
            UNKNOWN_SECURITY_MODELS = "snmpUnknownSecurityModels", 1;
            /// `snmpInvalidMsgs.0` (SNMP-MPD-MIB, RFC 3412 §5): messages with an invalid
            /// component (e.g. bad msgFlags).
            INVALID_MSGS = "snmpInvalidMsgs", 2;
            /// `snmpUnknownPDUHandlers.0` (SNMP-MPD-MIB, RFC 3412 §5): PDUs no
            /// application was registered for.
            UNKNOWN_PDU_HANDLERS = "snmpUnknownPDUHandlers", 3;
        }
    }
}

/// SNMP-TARGET-MIB (RFC 3413 §4.1): the context counters an agent reports (RFC 3413
/// §3.2).
pub mod target {
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-TARGET-MIB", TREE;
        /// `snmpTargetMIB` (SNMP-TARGET-MIB, RFC 3413 §4.1): the MODULE-IDENTITY,
        /// `snmpModules.12`.
        SNMP_TARGET_MIB = "snmpTargetMIB", oid!(SNMP_MODULES, 12);
    }

    scalars! {
        /// `snmpTargetObjects` (SNMP-TARGET-MIB, RFC 3413 §4.1): the counters (the
        /// target tables are not served: targets come from the configuration).
        pub mod counters("SNMP-TARGET-MIB", "snmpTargetObjects", oid!(SNMP_TARGET_MIB, 1)) {
            /// `snmpUnavailableContexts.0` (SNMP-TARGET-MIB, RFC 3413 §4.1): requests for
            /// a context that exists but is unavailable (Counter32).
            UNAVAILABLE_CONTEXTS = "snmpUnavailableContexts", 4;
            /// `snmpUnknownContexts.0` (SNMP-TARGET-MIB, RFC 3413 §4.1): requests for an
            /// unknown context (Counter32; reported for a wrong contextName).
            UNKNOWN_CONTEXTS = "snmpUnknownContexts", 5;
        }
    }
}

/// SNMP-USER-BASED-SM-MIB (RFC 3414 §5), SNMP-USM-AES-MIB (RFC 3826 §4) and
/// SNMP-USM-HMAC-SHA2-MIB (RFC 7860 §5): the USM statistics (sent in Report PDUs,
/// RFC 3414 §3.2) and the protocol identities of `usmUserAuthProtocol` /
/// `usmUserPrivProtocol`.
pub mod usm {
    use super::framework::{SNMP_AUTH_PROTOCOLS, SNMP_PRIV_PROTOCOLS};
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-USER-BASED-SM-MIB", TREE;
        /// `snmpUsmMIB` (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): the MODULE-IDENTITY,
        /// `snmpModules.15`.
        SNMP_USM_MIB = "snmpUsmMIB", oid!(SNMP_MODULES, 15);
        /// `usmMIBObjects` (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): `snmpUsmMIB.1`.
        USM_MIB_OBJECTS = "usmMIBObjects", oid!(SNMP_USM_MIB, 1);
        /// `usmNoAuthProtocol` (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): no authentication.
        NO_AUTH_PROTOCOL = "usmNoAuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 1);
        /// `usmHMACMD5AuthProtocol` (SNMP-USER-BASED-SM-MIB, RFC 3414 §6): HMAC-MD5-96.
        HMAC_MD5_AUTH_PROTOCOL = "usmHMACMD5AuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 2);
        /// `usmHMACSHAAuthProtocol` (SNMP-USER-BASED-SM-MIB, RFC 3414 §7): HMAC-SHA-96.
        HMAC_SHA_AUTH_PROTOCOL = "usmHMACSHAAuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 3);
        /// `usmNoPrivProtocol` (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): no privacy.
        NO_PRIV_PROTOCOL = "usmNoPrivProtocol", oid!(SNMP_PRIV_PROTOCOLS, 1);
        /// `usmDESPrivProtocol` (SNMP-USER-BASED-SM-MIB, RFC 3414 §8): CBC-DES.
        DES_PRIV_PROTOCOL = "usmDESPrivProtocol", oid!(SNMP_PRIV_PROTOCOLS, 2);
    }

    nodes! { "SNMP-USM-AES-MIB", AES;
        /// `usmAesCfb128Protocol` (SNMP-USM-AES-MIB, RFC 3826 §4): CFB128-AES-128.
        AES_CFB_128_PROTOCOL = "usmAesCfb128Protocol", oid!(SNMP_PRIV_PROTOCOLS, 4);
    }

    nodes! { "SNMP-USM-HMAC-SHA2-MIB", SHA2;
        /// `usmHMAC128SHA224AuthProtocol` (SNMP-USM-HMAC-SHA2-MIB, RFC 7860 §5):
        /// HMAC-SHA-224 truncated to 128 bits.
        HMAC_128_SHA_224_AUTH_PROTOCOL = "usmHMAC128SHA224AuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 4);
        /// `usmHMAC192SHA256AuthProtocol` (SNMP-USM-HMAC-SHA2-MIB, RFC 7860 §5):
        /// HMAC-SHA-256 truncated to 192 bits.
        HMAC_192_SHA_256_AUTH_PROTOCOL = "usmHMAC192SHA256AuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 5);
        /// `usmHMAC256SHA384AuthProtocol` (SNMP-USM-HMAC-SHA2-MIB, RFC 7860 §5):
        /// HMAC-SHA-384 truncated to 256 bits.
        HMAC_256_SHA_384_AUTH_PROTOCOL = "usmHMAC256SHA384AuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 6);
        /// `usmHMAC384SHA512AuthProtocol` (SNMP-USM-HMAC-SHA2-MIB, RFC 7860 §5):
        /// HMAC-SHA-512 truncated to 384 bits.
        HMAC_384_SHA_512_AUTH_PROTOCOL = "usmHMAC384SHA512AuthProtocol", oid!(SNMP_AUTH_PROTOCOLS, 7);
    }

    scalars! {
        /// `usmStats` (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): Counter32s, each the
        /// variable of the Report PDU for its error (RFC 3414 §3.2).
        pub mod stats("SNMP-USER-BASED-SM-MIB", "usmStats", oid!(USM_MIB_OBJECTS, 1)) {
            /// `usmStatsUnsupportedSecLevels.0` (RFC 3414 §5): messages asking a
            /// security level the user does not have.
            UNSUPPORTED_SEC_LEVELS = "usmStatsUnsupportedSecLevels", 1;
            /// `usmStatsNotInTimeWindows.0` (RFC 3414 §5): messages outside the time
            /// window (§3.2 step 7).
            NOT_IN_TIME_WINDOWS = "usmStatsNotInTimeWindows", 2;
            /// `usmStatsUnknownUserNames.0` (RFC 3414 §5): messages for an unknown user.
            UNKNOWN_USER_NAMES = "usmStatsUnknownUserNames", 3;
            /// `usmStatsUnknownEngineIDs.0` (RFC 3414 §5): messages for another engine ID
            /// (also the answer to engine ID discovery, §4).
            UNKNOWN_ENGINE_IDS = "usmStatsUnknownEngineIDs", 4;
            /// `usmStatsWrongDigests.0` (RFC 3414 §5): messages whose authentication
            /// failed.
            WRONG_DIGESTS = "usmStatsWrongDigests", 5;
            /// `usmStatsDecryptionErrors.0` (RFC 3414 §5): messages that could not be
            /// decrypted.
            DECRYPTION_ERRORS = "usmStatsDecryptionErrors", 6;
        }
    }
}

/// SNMP-VIEW-BASED-ACM-MIB (RFC 3415 §5): its MODULE-IDENTITY (the VACM tables are not
/// served: views come from the configuration).
pub mod vacm {
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-VIEW-BASED-ACM-MIB", TREE;
        /// `snmpVacmMIB` (SNMP-VIEW-BASED-ACM-MIB, RFC 3415 §5): the MODULE-IDENTITY,
        /// `snmpModules.16`.
        SNMP_VACM_MIB = "snmpVacmMIB", oid!(SNMP_MODULES, 16);
    }
}

/// SNMP-COMMUNITY-MIB (RFC 3584 §5.3): its MODULE-IDENTITY (the community table is not
/// served: communities come from the configuration).
pub mod community {
    use crate::smi::SNMP_MODULES;

    nodes! { "SNMP-COMMUNITY-MIB", TREE;
        /// `snmpCommunityMIB` (SNMP-COMMUNITY-MIB, RFC 3584 §5.3): the MODULE-IDENTITY,
        /// `snmpModules.18`.
        SNMP_COMMUNITY_MIB = "snmpCommunityMIB", oid!(SNMP_MODULES, 18);
    }
}

/// Every registry of the SNMPv3 modules.
pub const REGISTRIES: &[&[MibNode]] = &[
    framework::TREE,
    framework::engine::NODES,
    mpd::TREE,
    mpd::stats::NODES,
    target::TREE,
    target::counters::NODES,
    usm::TREE,
    usm::AES,
    usm::SHA2,
    usm::stats::NODES,
    vacm::TREE,
    community::TREE,
];
