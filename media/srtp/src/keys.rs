//! Master keys, the AES-CM keystream (RFC 3711 §4.1.1) and session-key derivation
//! (RFC 3711 §4.3).

use std::fmt;

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use zeroize::Zeroize;

/// Master key length for the AES_CM_128 suites (RFC 3711 §8.2, RFC 4568 §6.2).
pub const MASTER_KEY_LEN: usize = 16;
/// Master salt length for the AES_CM_128 suites (112 bits).
pub const MASTER_SALT_LEN: usize = 14;
/// The `inline:` key-salt of an `a=crypto` line: key then salt.
pub const MASTER_KEY_SALT_LEN: usize = MASTER_KEY_LEN + MASTER_SALT_LEN;

/// An SRTP master key and master salt (RFC 3711 §3.2.1).
///
/// The bytes are zeroed on drop and `Debug` never prints them. Generate one from 30
/// random bytes of the caller's RNG with [`MasterKey::from_bytes`]; this crate owns no RNG.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    bytes: [u8; MASTER_KEY_SALT_LEN],
}

impl MasterKey {
    /// A master key from its key and salt.
    pub fn new(key: [u8; MASTER_KEY_LEN], salt: [u8; MASTER_SALT_LEN]) -> Self {
        let mut bytes = [0; MASTER_KEY_SALT_LEN];
        bytes[..MASTER_KEY_LEN].copy_from_slice(&key);
        bytes[MASTER_KEY_LEN..].copy_from_slice(&salt);
        Self { bytes }
    }

    /// A master key from `key || salt` (30 bytes, the SDES `inline:` layout). Pass 30
    /// bytes from a cryptographically secure RNG to make a new key.
    pub fn from_bytes(key_salt: [u8; MASTER_KEY_SALT_LEN]) -> Self {
        Self { bytes: key_salt }
    }

    /// The 128-bit master key.
    pub fn key(&self) -> &[u8] {
        &self.bytes[..MASTER_KEY_LEN]
    }

    /// The 112-bit master salt.
    pub fn salt(&self) -> &[u8] {
        &self.bytes[MASTER_KEY_LEN..]
    }

    /// `key || salt`, 30 bytes.
    pub fn as_bytes(&self) -> &[u8; MASTER_KEY_SALT_LEN] {
        &self.bytes
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Key derivation labels (RFC 3711 §4.3.1 and §4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// Blocks of keystream made per call to the block cipher: lets AES-NI pipeline.
const PAR_BLOCKS: usize = 8;

/// XORs `data` with the AES-CM keystream that starts at counter block `iv`
/// (RFC 3711 §4.1.1: block i is E(k, IV + i mod 2^128)). Encryption and decryption are
/// the same operation.
pub(crate) fn aes_cm_apply(cipher: &Aes128, iv: &[u8; 16], data: &mut [u8]) {
    let base = u128::from_be_bytes(*iv);
    let mut counter = 0u128;
    let mut blocks = [Array::<u8, _>::default(); PAR_BLOCKS];
    for chunk in data.chunks_mut(16 * PAR_BLOCKS) {
        let n = chunk.len().div_ceil(16);
        for block in blocks.iter_mut().take(n) {
            *block = Array::from(base.wrapping_add(counter).to_be_bytes());
            counter += 1;
        }
        cipher.encrypt_blocks(&mut blocks[..n]);
        for (bytes, ks) in chunk.chunks_mut(16).zip(blocks.iter()) {
            for (b, k) in bytes.iter_mut().zip(ks.iter()) {
                *b ^= k;
            }
        }
    }
    for block in blocks.iter_mut() {
        block.zeroize();
    }
}

/// Width of `r` in the key_id `label || r` (RFC 3711 §4.3.1, §4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RWidth {
    /// 48 bits: SRTP, and SRTCP with key_derivation_rate 0 (what libsrtp and every
    /// deployed peer do).
    Bits48,
    /// 32 bits: SRTCP with a non-zero key_derivation_rate, where §4.3.2 replaces the
    /// index by the 32-bit `0 || SRTCP index` (the NIST SP 800-135 SRTP-KDF reading).
    Bits32,
}

/// The AES-CM PRF of RFC 3711 §4.3.3 applied to `label` and `r = index DIV kdr`:
/// fills `out` with session key material (the test vectors' entry point).
#[cfg(test)]
pub(crate) fn derive(master: &MasterKey, label: Label, r: u64, width: RWidth, out: &mut [u8]) {
    derive_with(&prf_cipher(master), master.salt(), label, r, width, out);
}

/// AES-128 keyed with the master key: the PRF of RFC 3711 §4.3.3.
fn prf_cipher(master: &MasterKey) -> Aes128 {
    let mut key = [0u8; MASTER_KEY_LEN];
    key.copy_from_slice(master.key());
    let cipher = Aes128::new(&Array::from(key));
    key.zeroize();
    cipher
}

/// HMAC-SHA1 keyed with a 160-bit session auth key. HMAC zero-pads keys shorter than
/// the 64-byte SHA-1 block (RFC 2104 §2), so padding here gives the same MAC.
fn hmac_sha1(auth_key: &[u8; 20]) -> Hmac<Sha1> {
    let mut block = [0u8; 64];
    block[..20].copy_from_slice(auth_key);
    let mac = <Hmac<Sha1> as hmac::KeyInit>::new(&Array::from(block));
    block.zeroize();
    mac
}

fn derive_with(
    cipher: &Aes128,
    master_salt: &[u8],
    label: Label,
    r: u64,
    width: RWidth,
    out: &mut [u8],
) {
    // §4.3.1: key_id = label || r; x = key_id XOR master_salt, with key_id right-aligned
    // in the 112-bit salt; the PRF input block is x * 2^16.
    let r_len = match width {
        RWidth::Bits48 => 6,
        RWidth::Bits32 => 4,
    };
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(master_salt);
    iv[MASTER_SALT_LEN - r_len - 1] ^= label as u8;
    let r = r.to_be_bytes();
    for (i, b) in r[8 - r_len..].iter().enumerate() {
        iv[MASTER_SALT_LEN - r_len + i] ^= b;
    }
    out.fill(0);
    aes_cm_apply(cipher, &iv, out);
    iv.zeroize();
}

/// The session keys of one direction of SRTP or SRTCP: the encryption cipher (already
/// keyed), the session salt and the HMAC-SHA1 state keyed with the session auth key.
#[derive(Clone)]
pub(crate) struct SessionKeys {
    pub(crate) cipher: Aes128,
    pub(crate) salt: [u8; MASTER_SALT_LEN],
    pub(crate) mac: Hmac<Sha1>,
}

impl SessionKeys {
    /// Derives the SRTP (`rtcp == false`, labels 0..2) or SRTCP (labels 3..5) session
    /// keys for `r = index DIV key_derivation_rate` (RFC 3711 §4.3.1); `width` is the
    /// width of `r` in the key_id (see [`RWidth`]).
    pub(crate) fn derive(master: &MasterKey, rtcp: bool, r: u64, width: RWidth) -> Self {
        let (le, la, ls) = if rtcp {
            (Label::RtcpEncryption, Label::RtcpAuth, Label::RtcpSalt)
        } else {
            (Label::RtpEncryption, Label::RtpAuth, Label::RtpSalt)
        };
        let mut enc = [0u8; MASTER_KEY_LEN];
        let mut auth = [0u8; 20];
        let mut salt = [0u8; MASTER_SALT_LEN];
        let prf = prf_cipher(master);
        derive_with(&prf, master.salt(), le, r, width, &mut enc);
        derive_with(&prf, master.salt(), la, r, width, &mut auth);
        derive_with(&prf, master.salt(), ls, r, width, &mut salt);
        let keys = Self {
            cipher: Aes128::new(&Array::from(enc)),
            salt,
            mac: hmac_sha1(&auth),
        };
        enc.zeroize();
        auth.zeroize();
        keys
    }

    /// The AES-CM counter block for a packet (RFC 3711 §4.1.1):
    /// `IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)`.
    pub(crate) fn iv(&self, ssrc: u32, index: u64) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv[..MASTER_SALT_LEN].copy_from_slice(&self.salt);
        for (i, b) in ssrc.to_be_bytes().iter().enumerate() {
            iv[4 + i] ^= b;
        }
        for (i, b) in index.to_be_bytes()[2..].iter().enumerate() {
            iv[8 + i] ^= b;
        }
        iv
    }

    /// HMAC-SHA1 over `parts` (RFC 3711 §4.2.1), full 20-byte output.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut mac = self.mac.clone();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        self.salt.zeroize();
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn master(key: &str, salt: &str) -> MasterKey {
        let mut ks = hex(key);
        ks.extend(hex(salt));
        MasterKey::from_bytes(ks.try_into().expect("30 bytes"))
    }

    /// RFC 3711 Appendix B.2: AES-CM keystream for session key 2B7E...3C, salt
    /// F0F1...FCFD, SSRC 0, index 0 — the first three and the last three blocks of the
    /// 1044512-octet segment.
    #[test]
    fn rfc3711_b2_aes_cm_keystream() {
        let cipher = Aes128::new(&Array::from(
            <[u8; 16]>::try_from(hex("2B7E151628AED2A6ABF7158809CF4F3C")).expect("16"),
        ));
        let iv: [u8; 16] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000")
            .try_into()
            .expect("16");
        let mut ks = vec![0u8; 1_044_512];
        aes_cm_apply(&cipher, &iv, &mut ks);
        assert_eq!(
            ks[..48],
            hex("E03EAD0935C95E80E166B16DD92B4EB4
                 D23513162B02D0F72A43A2FE4A5F97AB
                 41E95B3BB0A2E8DD477901E4FCA894C0")[..]
        );
        assert_eq!(
            ks[ks.len() - 48..],
            hex("EC8CDF7398607CB0F2D21675EA9EA1E4
                 362B7C3C6773516318A077D7FC5073AE
                 6A2CC3787889374FBEB4C81B17BA6C44")[..]
        );
        // Same IV through the session-key path: salt F0..FD, SSRC 0, index 0.
        let keys = SessionKeys {
            cipher: cipher.clone(),
            salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().expect("14"),
            mac: hmac_sha1(&[0; 20]),
        };
        assert_eq!(keys.iv(0, 0), iv);
        // Applying the keystream twice gives the plaintext back (odd length).
        let mut data: Vec<u8> = (0..333u32).map(|i| i as u8).collect();
        let orig = data.clone();
        aes_cm_apply(&cipher, &iv, &mut data);
        assert_ne!(data, orig);
        aes_cm_apply(&cipher, &iv, &mut data);
        assert_eq!(data, orig);
    }

    /// RFC 3711 §4.1.1: the SSRC lands in bits 64..95 and the index in bits 16..63 of
    /// the counter block.
    #[test]
    fn rfc3711_4_1_1_iv_layout() {
        let keys = SessionKeys::derive(&MasterKey::from_bytes([0; 30]), false, 0, RWidth::Bits48);
        let salt = keys.salt;
        let iv = keys.iv(0x0102_0304, 0x0000_0a0b_0c0d_0e0f);
        let mut want = [0u8; 16];
        want[..14].copy_from_slice(&salt);
        want[4] ^= 1;
        want[5] ^= 2;
        want[6] ^= 3;
        want[7] ^= 4;
        for (i, b) in [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f].iter().enumerate() {
            want[8 + i] ^= b;
        }
        assert_eq!(iv, want);
    }

    /// RFC 3711 Appendix B.3: key derivation with key_derivation_rate 0 — session
    /// encryption key, salt and (the first 160 bits of the) auth key.
    #[test]
    fn rfc3711_b3_key_derivation() {
        let m = master(
            "E1F97A0D3E018BE0D64FA32C06DE4139",
            "0EC675AD498AFEEBB6960B3AABE6",
        );
        let mut enc = [0u8; 16];
        derive(&m, Label::RtpEncryption, 0, RWidth::Bits48, &mut enc);
        assert_eq!(enc[..], hex("C61E7A93744F39EE10734AFE3FF7A087")[..]);
        let mut salt = [0u8; 14];
        derive(&m, Label::RtpSalt, 0, RWidth::Bits48, &mut salt);
        assert_eq!(salt[..], hex("30CBBC08863D8C85D49DB34A9AE1")[..]);
        // The appendix lists 94 octets of label-1 output; the HMAC-SHA1 key is the
        // first 20 of them.
        let mut auth = [0u8; 94];
        derive(&m, Label::RtpAuth, 0, RWidth::Bits48, &mut auth);
        assert_eq!(
            auth[..],
            hex(
                "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
                 E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
                 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
            )[..]
        );
        // SessionKeys::derive uses the same three outputs: check via the IV and a tag.
        let keys = SessionKeys::derive(&m, false, 0, RWidth::Bits48);
        assert_eq!(keys.salt[..], hex("30CBBC08863D8C85D49DB34A9AE1")[..]);
        let mut direct = <Hmac<Sha1> as hmac::KeyInit>::new_from_slice(&auth[..20]).expect("k");
        direct.update(b"abc");
        let direct: [u8; 20] = direct.finalize().into_bytes().into();
        assert_eq!(keys.tag(&[b"a", b"bc"]), direct);
    }

    /// RFC 3711 §4.3.1 with a non-zero key_derivation_rate: r = index DIV kdr enters the
    /// PRF input. Vectors: the NIST SP 800-135 SRTP-KDF test set (as carried in
    /// OpenSSL's SRTPKDF tests) with kdr = 1, SRTP labels 0..2 (48-bit r) and SRTCP
    /// labels 3..5 (§4.3.2's 32-bit `0 || SRTCP index` as r).
    #[test]
    fn rfc3711_4_3_1_key_derivation_with_rate() {
        let m = master(
            "8C307F105F79D5D2C26B1A933AE22CD5",
            "563B4C15458D977B68080242CEE1",
        );
        let cases: [(Label, u64, &str); 6] = [
            (
                Label::RtpEncryption,
                0x0828_4B49_F520,
                "A920DF50EAA111D03FBE9B203121C07D",
            ),
            (
                Label::RtpAuth,
                0x0828_4B49_F520,
                "A337DC070C0DAFA942F1E3A27ACD3C9917CE4B4D",
            ),
            (
                Label::RtpSalt,
                0x0828_4B49_F520,
                "9E2BC99C86037F2AD98D72927428",
            ),
            (
                Label::RtcpEncryption,
                0x69B6_2109,
                "94D76CA7ADB05B8631CF62538D97BE74",
            ),
            (
                Label::RtcpAuth,
                0x69B6_2109,
                "FA02251D693645BC1001F83C5A13CB3E3D77F7EA",
            ),
            (Label::RtcpSalt, 0x69B6_2109, "70C0481A04E3610EC8AF8623FA9B"),
        ];
        for (label, r, want) in cases {
            let want = hex(want);
            let mut out = vec![0u8; want.len()];
            let width = if (label as u8) < 3 {
                RWidth::Bits48
            } else {
                RWidth::Bits32
            };
            derive(&m, label, r, width, &mut out);
            assert_eq!(out, want, "{label:?}");
        }
    }

    /// Secrets never reach logs: `Debug` is redacted.
    #[test]
    fn master_key_debug_is_redacted() {
        let m = MasterKey::new([0xAB; 16], [0xCD; 14]);
        let s = format!("{m:?}");
        assert_eq!(s, "MasterKey(<redacted>)");
        assert!(!s.contains("ab") && !s.contains("171"));
        assert_eq!(m.key(), &[0xAB; 16]);
        assert_eq!(m.salt(), &[0xCD; 14]);
        let keys = SessionKeys::derive(&m, true, 0, RWidth::Bits48);
        assert_eq!(format!("{keys:?}"), "SessionKeys(<redacted>)");
    }
}
