//! Crypto-suites and the per-context policy.

use crate::error::{Error, Result};
use crate::keys::MasterKey;

/// SRTP crypto-suites this crate implements (RFC 4568 §6.2, RFC 3711 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag on SRTP and SRTCP.
    AesCm128HmacSha1_80,
    /// AES-128 counter mode, HMAC-SHA1 with a 32-bit tag on SRTP; SRTCP keeps the 80-bit
    /// tag (RFC 4568 §6.2, RFC 3711 §5.2).
    AesCm128HmacSha1_32,
}

/// SRTCP's authentication tag is 80 bits for both suites (RFC 3711 §3.4, §5.2).
pub const RTCP_TAG_LEN: usize = 10;

impl Profile {
    /// Every supported suite, strongest first: the order of our SDES offers.
    pub const ALL: [Profile; 2] = [Profile::AesCm128HmacSha1_80, Profile::AesCm128HmacSha1_32];

    /// The SDES crypto-suite name (RFC 4568 §6.2).
    pub fn sdes_name(self) -> &'static str {
        match self {
            Profile::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Profile::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite with this SDES name (exact, case-sensitive match).
    pub fn from_sdes_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.sdes_name() == name)
    }

    /// SRTP authentication tag length in bytes (10 or 4).
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Profile::AesCm128HmacSha1_80 => 10,
            Profile::AesCm128HmacSha1_32 => 4,
        }
    }

    /// SRTCP authentication tag length in bytes: always 10.
    pub fn rtcp_tag_len(self) -> usize {
        RTCP_TAG_LEN
    }
}

/// Largest MKI this crate accepts, in bytes (RFC 4568 §6.1 allows 1..128).
pub const MAX_MKI_LEN: usize = 128;

/// Everything an [`SrtpContext`](crate::SrtpContext) needs: suite, master key and the
/// knobs of RFC 3711 §8.1's cryptographic context.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The crypto-suite.
    pub profile: Profile,
    /// Master key and salt.
    pub master_key: MasterKey,
    /// key_derivation_rate (RFC 3711 §4.3.1): 0 (derive once) or 2^n with n in 0..=24;
    /// SDES carries n as `KDR=n`.
    pub key_derivation_rate: u32,
    /// Master key lifetime in packets (SRTP and SRTCP together) from the SDES lifetime
    /// field; `None` means only RFC 3711 §9.2's limits (2^48 SRTP, 2^31 SRTCP).
    pub lifetime: Option<u64>,
    /// The MKI sent in, and expected on, every packet (RFC 3711 §3.1). Only one master key
    /// per context, so the MKI is a fixed value; `None` means no MKI field.
    pub mki: Option<Vec<u8>>,
    /// Most SSRCs tracked per context; a packet for one more is dropped with
    /// [`Error::TooManyStreams`]. Remove ended streams with
    /// [`SrtpContext::remove_stream`](crate::SrtpContext::remove_stream).
    pub max_streams: usize,
}

impl Policy {
    /// Default number of SSRCs per context.
    pub const DEFAULT_MAX_STREAMS: usize = 16;

    /// A policy with kdr 0, no lifetime beyond RFC 3711's, no MKI and
    /// [`DEFAULT_MAX_STREAMS`](Self::DEFAULT_MAX_STREAMS).
    pub fn new(profile: Profile, master_key: MasterKey) -> Self {
        Self {
            profile,
            master_key,
            key_derivation_rate: 0,
            lifetime: None,
            mki: None,
            max_streams: Self::DEFAULT_MAX_STREAMS,
        }
    }

    /// `Some(n)` for kdr = 2^n, `None` for kdr 0; checks the policy's ranges.
    pub(crate) fn validate(&self) -> Result<Option<u32>> {
        if self.max_streams == 0 {
            return Err(Error::InvalidPolicy("max_streams must be at least 1"));
        }
        if let Some(mki) = &self.mki {
            if mki.is_empty() || mki.len() > MAX_MKI_LEN {
                return Err(Error::InvalidPolicy("MKI length must be 1..=128 bytes"));
            }
        }
        if self.lifetime == Some(0) {
            return Err(Error::InvalidPolicy("lifetime must be at least 1 packet"));
        }
        match self.key_derivation_rate {
            0 => Ok(None),
            r if r.is_power_of_two() && r <= 1 << 24 => Ok(Some(r.trailing_zeros())),
            _ => Err(Error::InvalidPolicy(
                "key_derivation_rate must be 0 or a power of two up to 2^24",
            )),
        }
    }
}
