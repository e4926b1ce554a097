//! The Internet checksum (RFC 1071) and the transport pseudo-headers it covers for UDP
//! and TCP (RFC 768, RFC 9293 §3.1 over IPv4; RFC 8200 §8.1 over IPv6).

use std::net::{Ipv4Addr, Ipv6Addr};

/// IP protocol numbers (IANA): the IPv4 Protocol / IPv6 Next Header values used here.
pub(crate) const IPPROTO_TCP: u8 = 6;
pub(crate) const IPPROTO_UDP: u8 = 17;

/// A running one's-complement sum of 16-bit big-endian words, fed in slices of any
/// length: a byte left over from an odd-length slice pairs with the first byte of the
/// next one, so the result is the same as over the concatenation (RFC 1071 §4.1, with a
/// final odd byte padded with a zero octet).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Checksum {
    /// Sum of the words so far; 64 bits overflow only after 2^48 words (512 TiB).
    sum: u64,
    /// The high byte of a word whose low byte has not arrived yet.
    pending: Option<u8>,
}

impl Checksum {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&mut self, mut bytes: &[u8]) -> &mut Self {
        if let Some(hi) = self.pending.take() {
            match bytes.split_first() {
                Some((&lo, rest)) => {
                    self.sum += u64::from(u16::from_be_bytes([hi, lo]));
                    bytes = rest;
                }
                None => {
                    self.pending = Some(hi);
                    return self;
                }
            }
        }
        let mut words = bytes.chunks_exact(2);
        for w in &mut words {
            self.sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            self.pending = Some(*last);
        }
        self
    }

    /// The checksum field's value: the one's complement of the folded sum.
    pub(crate) fn finish(&self) -> u16 {
        let mut sum = self.sum;
        if let Some(hi) = self.pending {
            sum += u64::from(hi) << 8;
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        // `sum` is at most 0xFFFF here, so the cast keeps every bit.
        !(sum as u16)
    }
}

/// The checksum of one contiguous buffer (for the IPv4 header).
pub(crate) fn internet_checksum(bytes: &[u8]) -> u16 {
    Checksum::new().add(bytes).finish()
}

/// A checksum started with the IPv4 pseudo-header: source, destination, zero, protocol,
/// and the transport length (header + data).
pub(crate) fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add(&src.octets())
        .add(&dst.octets())
        .add(&[0, proto])
        .add(&len.to_be_bytes());
    c
}

/// A checksum started with the IPv6 pseudo-header: source, destination, the 32-bit
/// upper-layer packet length, three zero octets and the next header.
pub(crate) fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, len: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add(&src.octets())
        .add(&dst.octets())
        .add(&u32::from(len).to_be_bytes())
        .add(&[0, 0, 0, proto]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (one's complement),
    /// so the checksum is its complement, 0x220d.
    #[test]
    fn rfc1071_example() {
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&bytes), 0x220d);
    }

    #[test]
    fn split_anywhere_gives_the_same_sum() {
        let bytes: Vec<u8> = (0u16..301).map(|i| (i * 37 % 251) as u8).collect();
        let whole = internet_checksum(&bytes);
        for a in 0..bytes.len() {
            for b in [a, (a + 1).min(bytes.len()), (a + 7).min(bytes.len())] {
                let mut c = Checksum::new();
                c.add(&bytes[..a])
                    .add(&[])
                    .add(&bytes[a..b])
                    .add(&bytes[b..]);
                assert_eq!(c.finish(), whole, "split at {a}, {b}");
            }
        }
    }

    /// An odd final byte is padded with a zero on the right (RFC 1071 §4.1).
    #[test]
    fn odd_length_pads_on_the_right() {
        assert_eq!(internet_checksum(&[0x12]), !0x1200);
        assert_eq!(internet_checksum(&[0x12, 0x34, 0x56]), !(0x1234 + 0x5600));
    }

    #[test]
    fn carries_fold_back() {
        // 0xffff + 0xffff = 0x1fffe -> 0xffff -> checksum 0.
        assert_eq!(internet_checksum(&[0xff; 4]), 0);
        assert_eq!(internet_checksum(&[]), 0xffff);
    }
}
