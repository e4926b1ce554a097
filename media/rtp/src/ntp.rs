//! NTP timestamps (RFC 3550 §4): 32.32 fixed-point seconds since 1900-01-01.
//!
//! This crate never reads the wall clock: the caller passes an [`NtpTime`] in (built with
//! [`NtpTime::from_system_time`] from its own clock) and the session extrapolates it with the
//! monotonic `Instant`s it is given.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds in the high 32 bits, fraction in the low 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// From seconds and fraction (1/2^32 s).
    pub fn new(seconds: u32, fraction: u32) -> Self {
        Self((u64::from(seconds) << 32) | u64::from(fraction))
    }

    /// From a wall-clock value the caller read. Times before 1970 map to the Unix epoch.
    pub fn from_system_time(t: SystemTime) -> Self {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Self::from_unix(since)
    }

    /// From a duration since the Unix epoch.
    pub fn from_unix(since_epoch: Duration) -> Self {
        let secs = since_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET);
        let frac = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
        Self((secs << 32) | frac)
    }

    /// Whole seconds.
    pub fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Fraction of a second in 1/2^32 s.
    pub fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// The middle 32 bits (16.16), as used for LSR and the XR LRR (RFC 3550 §6.4.1).
    pub fn middle32(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// This time plus `d` (wrapping at the era boundary).
    pub fn plus(self, d: Duration) -> Self {
        Self(self.0.wrapping_add(duration_to_ntp(d)))
    }
}

/// A duration as 32.32 fixed point.
pub(crate) fn duration_to_ntp(d: Duration) -> u64 {
    (d.as_secs() << 32).wrapping_add((u64::from(d.subsec_nanos()) << 32) / 1_000_000_000)
}

/// A duration as 16.16 fixed point (units of 1/65536 s), saturating; used for DLSR/DLRR.
pub fn duration_to_short(d: Duration) -> u32 {
    let v = (d.as_nanos() << 16) / 1_000_000_000;
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A 16.16 fixed-point value (1/65536 s) as a duration.
pub fn short_to_duration(v: u32) -> Duration {
    Duration::from_nanos((u64::from(v) * 1_000_000_000) >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_is_ntp_2208988800() {
        // RFC 5905 §6: the Unix epoch is 2 208 988 800 s after the NTP prime epoch.
        let t = NtpTime::from_system_time(UNIX_EPOCH);
        assert_eq!(t.seconds(), 2_208_988_800);
        assert_eq!(t.fraction(), 0);
        let half = NtpTime::from_unix(Duration::from_millis(1500));
        assert_eq!(half.seconds(), 2_208_988_801);
        assert_eq!(half.fraction(), 0x8000_0000);
    }

    #[test]
    fn middle_bits_and_short_format() {
        // RFC 3550 §6.4.1: LSR is the middle 32 bits; DLSR is in units of 1/65536 s.
        let t = NtpTime::new(0x1234_5678, 0x9ABC_DEF0);
        assert_eq!(t.middle32(), 0x5678_9ABC);
        assert_eq!(duration_to_short(Duration::from_secs(5)), 5 * 65536);
        assert_eq!(short_to_duration(65536 / 4), Duration::from_millis(250));
        assert_eq!(t.plus(Duration::from_secs(1)).seconds(), 0x1234_5679);
    }
}
