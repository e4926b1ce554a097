//! User-based Security Model crypto (RFC 3414, RFC 7860, RFC 3826): password to key,
//! key localisation, HMAC authentication and the privacy ciphers.
//!
//! Everything slow happens once, when a user is loaded: the 1 MB password expansion
//! (RFC 3414 A.2.1), localisation to an engine ID, the HMAC inner/outer pad states and
//! the AES/DES key schedules. Per message only the HMAC over the message and the cipher
//! run.

use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// An authentication protocol of USM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// usmHMACMD5AuthProtocol: HMAC-MD5-96 (RFC 3414 §6).
    Md5,
    /// usmHMACSHAAuthProtocol: HMAC-SHA-96 (RFC 3414 §7).
    Sha1,
    /// usmHMAC128SHA224AuthProtocol (RFC 7860).
    Sha224,
    /// usmHMAC192SHA256AuthProtocol (RFC 7860).
    Sha256,
    /// usmHMAC256SHA384AuthProtocol (RFC 7860).
    Sha384,
    /// usmHMAC384SHA512AuthProtocol (RFC 7860).
    Sha512,
}

impl AuthProtocol {
    /// Length of msgAuthenticationParameters: the truncated MAC (12 for MD5/SHA-1,
    /// 16/24/32/48 for the RFC 7860 protocols).
    pub fn mac_len(self) -> usize {
        match self {
            AuthProtocol::Md5 | AuthProtocol::Sha1 => 12,
            AuthProtocol::Sha224 => 16,
            AuthProtocol::Sha256 => 24,
            AuthProtocol::Sha384 => 32,
            AuthProtocol::Sha512 => 48,
        }
    }

    /// Length of the hash output, which is the length of a localised key.
    pub fn key_len(self) -> usize {
        match self {
            AuthProtocol::Md5 => 16,
            AuthProtocol::Sha1 => 20,
            AuthProtocol::Sha224 => 28,
            AuthProtocol::Sha256 => 32,
            AuthProtocol::Sha384 => 48,
            AuthProtocol::Sha512 => 64,
        }
    }

    /// The name net-snmp's tools take with `-a`.
    pub fn net_snmp_name(self) -> &'static str {
        match self {
            AuthProtocol::Md5 => "MD5",
            AuthProtocol::Sha1 => "SHA",
            AuthProtocol::Sha224 => "SHA-224",
            AuthProtocol::Sha256 => "SHA-256",
            AuthProtocol::Sha384 => "SHA-384",
            AuthProtocol::Sha512 => "SHA-512",
        }
    }
}

/// A privacy protocol of USM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    /// usmDESPrivProtocol: CBC-DES (RFC 3414 §8). Only when the configuration enables DES.
    Des,
    /// usmAesCfb128Protocol (RFC 3826).
    Aes128,
    /// AES-192 in CFB128 with the key extended as draft-blumenthal-aes-usm-04 §3.1.2.1
    /// says (net-snmp `-x AES-192`).
    Aes192,
    /// AES-256 in CFB128, Blumenthal key extension (net-snmp `-x AES-256`).
    Aes256,
    /// AES-192 in CFB128 with the key extended the Reeder/Cisco way (net-snmp `-x AES192C`).
    Aes192Cisco,
    /// AES-256 in CFB128, Reeder/Cisco key extension (net-snmp `-x AES256C`).
    Aes256Cisco,
}

impl PrivProtocol {
    /// Octets of key material the cipher needs (DES: key and pre-IV).
    pub fn key_len(self) -> usize {
        match self {
            PrivProtocol::Des | PrivProtocol::Aes128 => 16,
            PrivProtocol::Aes192 | PrivProtocol::Aes192Cisco => 24,
            PrivProtocol::Aes256 | PrivProtocol::Aes256Cisco => 32,
        }
    }

    /// The name net-snmp's tools take with `-x`.
    pub fn net_snmp_name(self) -> &'static str {
        match self {
            PrivProtocol::Des => "DES",
            PrivProtocol::Aes128 => "AES",
            PrivProtocol::Aes192 => "AES-192",
            PrivProtocol::Aes256 => "AES-256",
            PrivProtocol::Aes192Cisco => "AES192C",
            PrivProtocol::Aes256Cisco => "AES256C",
        }
    }
}

/// Security level of a message (RFC 3411 §3.4.3); ordered from weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// No authentication, no privacy.
    NoAuthNoPriv,
    /// Authentication, no privacy.
    AuthNoPriv,
    /// Authentication and privacy.
    AuthPriv,
}

impl SecurityLevel {
    /// The auth and priv bits of msgFlags (RFC 3412 §6.4).
    pub(crate) fn flags(self) -> u8 {
        match self {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => 1,
            SecurityLevel::AuthPriv => 3,
        }
    }

    pub(crate) fn from_flags(flags: u8) -> Option<Self> {
        match flags & 3 {
            0 => Some(SecurityLevel::NoAuthNoPriv),
            1 => Some(SecurityLevel::AuthNoPriv),
            3 => Some(SecurityLevel::AuthPriv),
            _ => None,
        }
    }
}

/// Minimum USM password length (RFC 3414 §11.2 recommends 8; net-snmp refuses shorter).
pub const MIN_PASSWORD_LEN: usize = 8;

fn p2k<D: Digest>(password: &[u8]) -> Zeroizing<Vec<u8>> {
    // RFC 3414 A.2: hash the password repeated to 1 048 576 octets. Feed 64-octet windows
    // of a buffer holding the password repeated, so no per-octet work.
    let plen = password.len();
    let mut rep = Zeroizing::new(Vec::with_capacity(64 + plen));
    while rep.len() < 64 + plen {
        rep.extend_from_slice(password);
    }
    let mut h = D::new();
    let mut off = 0usize;
    for _ in 0..(1_048_576 / 64) {
        h.update(&rep[off..off + 64]);
        off = (off + 64) % plen;
    }
    Zeroizing::new(h.finalize().to_vec())
}

fn localize_with<D: Digest>(ku: &[u8], engine_id: &[u8]) -> Zeroizing<Vec<u8>> {
    // RFC 3414 A.2.1/A.2.2: Kul = H(Ku || snmpEngineID || Ku).
    let mut h = D::new();
    h.update(ku);
    h.update(engine_id);
    h.update(ku);
    Zeroizing::new(h.finalize().to_vec())
}

fn hash_with<D: Digest>(data: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(D::digest(data).to_vec())
}

/// RFC 3414 A.2 password-to-key (`Ku`) with the hash of `proto`. Slow by design (1 MB of
/// hashing): call once per user and configuration.
pub(crate) fn password_to_key(proto: AuthProtocol, password: &[u8]) -> Zeroizing<Vec<u8>> {
    match proto {
        AuthProtocol::Md5 => p2k::<Md5>(password),
        AuthProtocol::Sha1 => p2k::<Sha1>(password),
        AuthProtocol::Sha224 => p2k::<Sha224>(password),
        AuthProtocol::Sha256 => p2k::<Sha256>(password),
        AuthProtocol::Sha384 => p2k::<Sha384>(password),
        AuthProtocol::Sha512 => p2k::<Sha512>(password),
    }
}

/// RFC 3414 A.2 key localisation: `Kul = H(Ku || engineID || Ku)`.
pub(crate) fn localize(proto: AuthProtocol, ku: &[u8], engine_id: &[u8]) -> Zeroizing<Vec<u8>> {
    match proto {
        AuthProtocol::Md5 => localize_with::<Md5>(ku, engine_id),
        AuthProtocol::Sha1 => localize_with::<Sha1>(ku, engine_id),
        AuthProtocol::Sha224 => localize_with::<Sha224>(ku, engine_id),
        AuthProtocol::Sha256 => localize_with::<Sha256>(ku, engine_id),
        AuthProtocol::Sha384 => localize_with::<Sha384>(ku, engine_id),
        AuthProtocol::Sha512 => localize_with::<Sha512>(ku, engine_id),
    }
}

fn hash(proto: AuthProtocol, data: &[u8]) -> Zeroizing<Vec<u8>> {
    match proto {
        AuthProtocol::Md5 => hash_with::<Md5>(data),
        AuthProtocol::Sha1 => hash_with::<Sha1>(data),
        AuthProtocol::Sha224 => hash_with::<Sha224>(data),
        AuthProtocol::Sha256 => hash_with::<Sha256>(data),
        AuthProtocol::Sha384 => hash_with::<Sha384>(data),
        AuthProtocol::Sha512 => hash_with::<Sha512>(data),
    }
}

/// The localised privacy key for `privp`, extended when the auth hash is too short for the
/// cipher: Blumenthal (`Kul || H(Kul) || H(Kul || H(Kul)) ...`, draft-blumenthal-aes-usm-04
/// §3.1.2.1) for AES-192/256, Reeder (`Kul || Kul(P2K(Kul))`, the Cisco way) for the `C`
/// variants — as net-snmp 5.9 does them.
pub(crate) fn localize_priv(
    auth: AuthProtocol,
    privp: PrivProtocol,
    ku_priv: &[u8],
    engine_id: &[u8],
) -> Zeroizing<Vec<u8>> {
    let mut k = localize(auth, ku_priv, engine_id);
    let need = privp.key_len();
    while k.len() < need {
        let more = match privp {
            PrivProtocol::Aes192Cisco | PrivProtocol::Aes256Cisco => {
                localize(auth, &password_to_key(auth, &k), engine_id)
            }
            _ => hash(auth, &k),
        };
        k.extend_from_slice(&more);
    }
    k.truncate(need);
    k
}

/// An HMAC keyed with a localised authentication key; cloned per message so the keyed
/// inner/outer pad states are computed once.
#[derive(Clone)]
pub(crate) enum AuthKey {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthKey(..)")
    }
}

macro_rules! mac_of {
    ($m:expr, $msg:expr, $out:expr) => {{
        let mut m = $m.clone();
        m.update($msg);
        let tag = m.finalize().into_bytes();
        let n = $out.len();
        $out.copy_from_slice(&tag[..n]);
    }};
}

impl AuthKey {
    pub(crate) fn new(proto: AuthProtocol, kul: &[u8]) -> Self {
        // HMAC accepts any key length; the localised key is one hash output.
        fn k<M: hmac::KeyInit>(kul: &[u8]) -> M {
            match M::new_from_slice(kul) {
                Ok(m) => m,
                // Unreachable: HMAC takes keys of every length.
                Err(_) => M::new(&Default::default()),
            }
        }
        match proto {
            AuthProtocol::Md5 => AuthKey::Md5(k(kul)),
            AuthProtocol::Sha1 => AuthKey::Sha1(k(kul)),
            AuthProtocol::Sha224 => AuthKey::Sha224(k(kul)),
            AuthProtocol::Sha256 => AuthKey::Sha256(k(kul)),
            AuthProtocol::Sha384 => AuthKey::Sha384(k(kul)),
            AuthProtocol::Sha512 => AuthKey::Sha512(k(kul)),
        }
    }

    /// Writes the truncated MAC of `msg` into `out` (whose length is the protocol's
    /// [`AuthProtocol::mac_len`]).
    pub(crate) fn mac(&self, msg: &[u8], out: &mut [u8]) {
        match self {
            AuthKey::Md5(m) => mac_of!(m, msg, out),
            AuthKey::Sha1(m) => mac_of!(m, msg, out),
            AuthKey::Sha224(m) => mac_of!(m, msg, out),
            AuthKey::Sha256(m) => mac_of!(m, msg, out),
            AuthKey::Sha384(m) => mac_of!(m, msg, out),
            AuthKey::Sha512(m) => mac_of!(m, msg, out),
        }
    }

    /// Checks `mac` against the MAC of `msg` (whose auth field is already zeroed), in
    /// constant time.
    pub(crate) fn verify(&self, msg: &[u8], mac: &[u8]) -> bool {
        let mut buf = [0u8; 48];
        let Some(out) = buf.get_mut(..mac.len()) else {
            return false;
        };
        self.mac(msg, out);
        bool::from(out.ct_eq(mac))
    }
}

/// A keyed privacy cipher.
#[derive(Clone)]
pub(crate) enum PrivKey {
    Des { cipher: des::Des, pre_iv: [u8; 8] },
    Aes128(aes::Aes128),
    Aes192(aes::Aes192),
    Aes256(aes::Aes256),
}

impl std::fmt::Debug for PrivKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivKey(..)")
    }
}

/// The privacy step failed (RFC 3414 §3.2 step 8: decryptionError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecryptionError;

impl PrivKey {
    /// Keys the cipher with a localised (and extended) privacy key of
    /// `privp.key_len()` octets.
    pub(crate) fn new(privp: PrivProtocol, k: &[u8]) -> Self {
        match privp {
            PrivProtocol::Des => {
                let mut key = [0u8; 8];
                key.copy_from_slice(&k[..8]);
                let mut pre_iv = [0u8; 8];
                pre_iv.copy_from_slice(&k[8..16]);
                PrivKey::Des {
                    cipher: des::Des::new(&Array::from(key)),
                    pre_iv,
                }
            }
            PrivProtocol::Aes128 => {
                let mut key = [0u8; 16];
                key.copy_from_slice(&k[..16]);
                PrivKey::Aes128(aes::Aes128::new(&Array::from(key)))
            }
            PrivProtocol::Aes192 | PrivProtocol::Aes192Cisco => {
                let mut key = [0u8; 24];
                key.copy_from_slice(&k[..24]);
                PrivKey::Aes192(aes::Aes192::new(&Array::from(key)))
            }
            PrivProtocol::Aes256 | PrivProtocol::Aes256Cisco => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&k[..32]);
                PrivKey::Aes256(aes::Aes256::new(&Array::from(key)))
            }
        }
    }

    fn aes_block(&self, block: &mut [u8; 16]) {
        let mut b = Array::from(*block);
        match self {
            PrivKey::Aes128(c) => c.encrypt_block(&mut b),
            PrivKey::Aes192(c) => c.encrypt_block(&mut b),
            PrivKey::Aes256(c) => c.encrypt_block(&mut b),
            PrivKey::Des { .. } => {}
        }
        *block = b.into();
    }

    /// Encrypts `data` in place (DES pads it to a multiple of 8 first) and returns
    /// msgPrivacyParameters. `boots`/`time` are the authoritative engine's values that go
    /// in the message; `salt` is a fresh 64-bit value (RFC 3826 §3.1.2.1; for DES its low
    /// 32 bits follow `boots`, RFC 3414 §8.1.1.1).
    pub(crate) fn encrypt(&self, boots: u32, time: u32, salt: u64, data: &mut Vec<u8>) -> [u8; 8] {
        match self {
            PrivKey::Des { cipher, pre_iv } => {
                let mut params = [0u8; 8];
                params[..4].copy_from_slice(&boots.to_be_bytes());
                params[4..].copy_from_slice(&(salt as u32).to_be_bytes());
                let pad = (8 - data.len() % 8) % 8;
                data.resize(data.len() + pad, 0);
                let mut prev: [u8; 8] = std::array::from_fn(|i| pre_iv[i] ^ params[i]);
                for chunk in data.chunks_exact_mut(8) {
                    let mut b = [0u8; 8];
                    for i in 0..8 {
                        b[i] = chunk[i] ^ prev[i];
                    }
                    let mut blk = Array::from(b);
                    cipher.encrypt_block(&mut blk);
                    chunk.copy_from_slice(&blk);
                    prev = blk.into();
                }
                params
            }
            _ => {
                let params = salt.to_be_bytes();
                let mut iv = aes_iv(boots, time, &params);
                for chunk in data.chunks_mut(16) {
                    self.aes_block(&mut iv);
                    for (i, b) in chunk.iter_mut().enumerate() {
                        *b ^= iv[i];
                        iv[i] = *b;
                    }
                }
                params
            }
        }
    }

    /// Decrypts `data` into `out` (cleared). DES output keeps the padding; the caller's BER
    /// reader ignores what follows the ScopedPDU.
    pub(crate) fn decrypt(
        &self,
        boots: u32,
        time: u32,
        params: &[u8],
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DecryptionError> {
        out.clear();
        let params: [u8; 8] = params.try_into().map_err(|_| DecryptionError)?;
        match self {
            PrivKey::Des { cipher, pre_iv } => {
                // RFC 3414 §8.3.2 step 2: the length must be a multiple of 8.
                if data.is_empty() || !data.len().is_multiple_of(8) {
                    return Err(DecryptionError);
                }
                let mut prev: [u8; 8] = std::array::from_fn(|i| pre_iv[i] ^ params[i]);
                for chunk in data.chunks_exact(8) {
                    let mut blk =
                        Array::from(<[u8; 8]>::try_from(chunk).map_err(|_| DecryptionError)?);
                    cipher.decrypt_block(&mut blk);
                    for i in 0..8 {
                        out.push(blk[i] ^ prev[i]);
                    }
                    prev.copy_from_slice(chunk);
                }
                Ok(())
            }
            _ => {
                out.extend_from_slice(data);
                let mut iv = aes_iv(boots, time, &params);
                for chunk in out.chunks_mut(16) {
                    self.aes_block(&mut iv);
                    for (i, b) in chunk.iter_mut().enumerate() {
                        let c = *b;
                        *b ^= iv[i];
                        iv[i] = c;
                    }
                }
                Ok(())
            }
        }
    }
}

/// RFC 3826 §3.1.2.1: IV = snmpEngineBoots (4 octets) || snmpEngineTime (4) || salt (8).
pub(crate) fn aes_iv(boots: u32, time: u32, salt: &[u8; 8]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&boots.to_be_bytes());
    iv[4..8].copy_from_slice(&time.to_be_bytes());
    iv[8..].copy_from_slice(salt);
    iv
}

/// A user's keys after the password expansion, before localisation (what is kept per
/// configuration so localising to a new engine ID — an inform receiver — is cheap).
#[derive(Clone)]
pub(crate) struct MasterKeys {
    pub(crate) auth: Option<(AuthProtocol, Zeroizing<Vec<u8>>)>,
    pub(crate) privacy: Option<(PrivProtocol, Zeroizing<Vec<u8>>)>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeys")
            .field("auth", &self.auth.as_ref().map(|a| a.0))
            .field("privacy", &self.privacy.as_ref().map(|p| p.0))
            .finish()
    }
}

/// A user's keys localised to one engine ID.
#[derive(Debug, Clone)]
pub(crate) struct LocalKeys {
    pub(crate) auth: Option<(AuthProtocol, AuthKey)>,
    pub(crate) privacy: Option<PrivKey>,
}

impl LocalKeys {
    /// The highest level these keys support.
    pub(crate) fn level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        }
    }
}

impl MasterKeys {
    /// Expands the passwords (the slow part). The privacy key uses the auth hash
    /// (RFC 3414 §11.2, RFC 3826 §1.2).
    pub(crate) fn from_passwords(
        auth: Option<(AuthProtocol, &[u8])>,
        privacy: Option<(PrivProtocol, &[u8])>,
    ) -> Self {
        let a = auth.map(|(p, pw)| (p, password_to_key(p, pw)));
        let pr = match (auth, privacy) {
            (Some((ap, _)), Some((pp, pw))) => Some((pp, password_to_key(ap, pw))),
            _ => None,
        };
        MasterKeys {
            auth: a,
            privacy: pr,
        }
    }

    /// Localises to `engine_id` and keys the HMAC and cipher.
    pub(crate) fn localize(&self, engine_id: &[u8]) -> LocalKeys {
        let auth = self
            .auth
            .as_ref()
            .map(|(p, ku)| (*p, AuthKey::new(*p, &localize(*p, ku, engine_id))));
        let privacy = match (&self.auth, &self.privacy) {
            (Some((ap, _)), Some((pp, ku))) => {
                Some(PrivKey::new(*pp, &localize_priv(*ap, *pp, ku, engine_id)))
            }
            _ => None,
        };
        LocalKeys { auth, privacy }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const A3_ENGINE: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    #[test]
    fn rfc3414_a3_1_md5_key_localisation() {
        let ku = password_to_key(AuthProtocol::Md5, b"maplesyrup");
        assert_eq!(*ku, hex("9f af 32 83 88 4e 92 83 4e bc 98 47 d8 ed d9 63"));
        let kul = localize(AuthProtocol::Md5, &ku, &A3_ENGINE);
        assert_eq!(*kul, hex("52 6f 5e ed 9f cc e2 6f 89 64 c2 93 07 87 d8 2b"));
    }

    #[test]
    fn rfc3414_a3_2_sha_key_localisation() {
        let ku = password_to_key(AuthProtocol::Sha1, b"maplesyrup");
        assert_eq!(
            *ku,
            hex("9f b5 cc 03 81 49 7b 37 93 52 89 39 ff 78 8d 5d 79 14 52 11")
        );
        let kul = localize(AuthProtocol::Sha1, &ku, &A3_ENGINE);
        assert_eq!(
            *kul,
            hex("66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 97 b3 8f 3f")
        );
    }

    #[test]
    fn rfc7860_sha2_localisation_follows_a2() {
        // RFC 7860 §4.2.2 uses the RFC 3414 A.2 algorithm with the SHA-2 hash. RFC 7860
        // gives no vectors; these were computed with Python's hashlib (an independent
        // implementation) for the A.3 password and engine ID. Interop with net-snmp's
        // tools in tests/ checks the same path end to end.
        let cases = [
            (AuthProtocol::Sha224, "0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674"),
            (AuthProtocol::Sha256, "8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6776f0f8b"),
            (AuthProtocol::Sha384, "3b298f16164a11184279d5432bf169e2d2a48307de02b3d3f7e2b4f36eb6f0455a53689a3937eea07319a633d2ccba78"),
            (AuthProtocol::Sha512, "22a5a36cedfcc085807a128d7bc6c2382167ad6c0dbc5fdff856740f3d84c099ad1ea87a8db096714d9788bd544047c9021e4229ce27e4c0a69250adfcffbb0b"),
        ];
        for (p, want) in cases {
            let kul = localize(p, &password_to_key(p, b"maplesyrup"), &A3_ENGINE);
            assert_eq!(*kul, hex(want), "{p:?}");
            assert_eq!(kul.len(), p.key_len());
        }
    }

    #[test]
    fn aes256_key_extension_matches_net_snmp() {
        // net-snmp keytools.c: _kul_extend_blumenthal / _kul_extend_reeder. Vectors for
        // engine 80001F888059DC486145A26322, password "privpass12", computed by an
        // independent re-implementation of keytools.c (and re-checked with hashlib).
        let e = hex("80001F888059DC486145A26322");
        let cases = [
            (
                AuthProtocol::Md5,
                PrivProtocol::Aes256Cisco,
                "92E9863298306ABFA9250C4F54FF245DB0C03ABE3DB564B4DC7265ED57786FEA",
            ),
            (
                AuthProtocol::Md5,
                PrivProtocol::Aes256,
                "92E9863298306ABFA9250C4F54FF245DB7D738FC71D8CA6A36993C212B6AC7DD",
            ),
            (
                AuthProtocol::Sha1,
                PrivProtocol::Aes256Cisco,
                "7441E9D9674A55709C82B9C9EB7D2D66DA95A329246A4965E8BC7CF8DAC2A1A6",
            ),
            (
                AuthProtocol::Sha1,
                PrivProtocol::Aes256,
                "7441E9D9674A55709C82B9C9EB7D2D66DA95A329AF1E091732ED5F388F49B3AC",
            ),
            (
                AuthProtocol::Sha256,
                PrivProtocol::Aes256,
                "FBB84E7488FE576266ED2DA748CF9DD4FC49909096187DF5A0BC0A92A37ADF32",
            ),
        ];
        for (a, p, want) in cases {
            let ku = password_to_key(a, b"privpass12");
            assert_eq!(*localize_priv(a, p, &ku, &e), hex(want), "{a:?} {p:?}");
        }
        // AES-192 takes the first 24 octets of the same extension.
        let ku = password_to_key(AuthProtocol::Sha1, b"privpass12");
        assert_eq!(
            *localize_priv(AuthProtocol::Sha1, PrivProtocol::Aes192, &ku, &e),
            hex("7441E9D9674A55709C82B9C9EB7D2D66DA95A329AF1E0917")
        );
    }

    #[test]
    fn rfc3826_iv_is_boots_time_salt() {
        // RFC 3826 §3.1.2.1: IV = boots || time || salt, all big-endian.
        let iv = aes_iv(
            0x0102_0304,
            0x0a0b_0c0d,
            &[0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18],
        );
        assert_eq!(
            iv,
            [1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]
        );
    }

    #[test]
    fn cfb_and_cbc_round_trip_and_cfb_matches_fips_vector() {
        // NIST SP 800-38A F.3.13 CFB128-AES128.Encrypt, first two blocks, with the IV split
        // as boots/time/salt.
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let k = PrivKey::new(PrivProtocol::Aes128, &key);
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let boots = u32::from_be_bytes(iv[0..4].try_into().unwrap());
        let time = u32::from_be_bytes(iv[4..8].try_into().unwrap());
        let salt = u64::from_be_bytes(iv[8..16].try_into().unwrap());
        let mut data = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let params = k.encrypt(boots, time, salt, &mut data);
        assert_eq!(
            data,
            hex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b")
        );
        let mut back = Vec::new();
        k.decrypt(boots, time, &params, &data, &mut back).unwrap();
        assert_eq!(
            back,
            hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
        );
        // A partial last block works too (CFB needs no padding).
        let mut odd = b"seventeen octets!".to_vec();
        let p = k.encrypt(5, 6, 7, &mut odd);
        k.decrypt(5, 6, &p, &odd.clone(), &mut back).unwrap();
        assert_eq!(back, b"seventeen octets!");

        // DES-CBC (RFC 3414 §8): padded to 8, privParameters = boots || salt, and a
        // ciphertext whose length is not a multiple of 8 is a decryption error.
        let d = PrivKey::new(PrivProtocol::Des, &hex("0123456789abcdef fedcba9876543210"));
        let mut m = b"0123456789".to_vec();
        let p = d.encrypt(9, 0, 0xdead_beef, &mut m);
        assert_eq!(&p[..4], &9u32.to_be_bytes());
        assert_eq!(&p[4..], &0xdead_beefu32.to_be_bytes());
        assert_eq!(m.len(), 16);
        d.decrypt(9, 0, &p, &m, &mut back).unwrap();
        assert_eq!(&back[..10], b"0123456789");
        assert_eq!(
            d.decrypt(9, 0, &p, &m[..15], &mut back),
            Err(DecryptionError)
        );
        assert_eq!(
            d.decrypt(9, 0, &p[..7], &m, &mut back),
            Err(DecryptionError)
        );
    }

    #[test]
    fn hmac_truncation_and_constant_time_verify() {
        // RFC 7860 §4.2.1: HMAC-SHA-256 truncated to 192 bits; RFC 2104 / RFC 4231 case 2
        // ("Jefe") gives the full value.
        let k = AuthKey::new(AuthProtocol::Sha256, b"Jefe");
        let mut out = [0u8; 24];
        k.mac(b"what do ya want for nothing?", &mut out);
        assert_eq!(
            out.to_vec(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d273983")[..24].to_vec()
        );
        assert!(k.verify(b"what do ya want for nothing?", &out));
        let mut bad = out;
        bad[23] ^= 1;
        assert!(!k.verify(b"what do ya want for nothing?", &bad));
        assert!(!k.verify(b"what do ya want for nothing?", &[0u8; 60]));
        // RFC 2202 case 2 for HMAC-MD5-96 and HMAC-SHA-96.
        let mut o12 = [0u8; 12];
        AuthKey::new(AuthProtocol::Md5, b"Jefe").mac(b"what do ya want for nothing?", &mut o12);
        assert_eq!(
            o12.to_vec(),
            hex("750c783e6ab0b503eaa86e310a5db738")[..12].to_vec()
        );
        AuthKey::new(AuthProtocol::Sha1, b"Jefe").mac(b"what do ya want for nothing?", &mut o12);
        assert_eq!(
            o12.to_vec(),
            hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")[..12].to_vec()
        );
    }
}
