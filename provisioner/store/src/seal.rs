//! Per-device secrets sealed at rest with a key kept outside the database.
//!
//! Format of a sealed value (version 1):
//!
//! ```text
//! 0x01 | nonce (12 bytes, random) | AES-256-GCM ciphertext | tag (16 bytes)
//! ```
//!
//! The associated data is `device id || 0x00 || secret name`: a sealed value copied to
//! another device's row, or to another name, does not open. The nonce is 96 random bits
//! from the operating system (NIST SP 800-38D §8.2.2, the RBG construction); with one key
//! per provisioner that stays far below the 2^32 invocations the construction allows.

use std::io::{Read as _, Write as _};
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::{Zeroize as _, Zeroizing};

use crate::error::{Error, Result};

/// The first byte of every sealed value this version writes.
const VERSION: u8 = 1;
/// Key length (AES-256).
pub const KEY_LEN: usize = 32;
/// Bytes a sealed value adds to its plaintext (version, nonce, tag).
pub const OVERHEAD: usize = 1 + NONCE_LEN + 16;

/// Seals and opens per-device secrets with a key kept outside the database
/// (AES-256-GCM; the device id and secret name are the associated data, so a sealed value
/// copied to another row does not open).
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Sealer")
            .field("algorithm", &"AES-256-GCM")
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer with this key.
    pub fn from_key(key: &[u8; KEY_LEN]) -> Self {
        let unbound = match UnboundKey::new(&AES_256_GCM, key) {
            Ok(k) => k,
            // ring refuses only a key of the wrong length, and the type fixes it at 32.
            Err(_) => unreachable!("AES-256-GCM takes a 32-byte key"),
        };
        Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// The sealer whose key is in the file at `path`; when there is no such file, a new
    /// random key is written there first (mode 0600, created exclusively, synced).
    ///
    /// A key file that is not exactly 32 bytes, or (on Unix) that its group or others may
    /// read or write, is refused with [`Error::Key`] naming the path: a key others can read
    /// protects nothing, and a truncated one would seal with a different key.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match Self::create(path) {
                Ok(s) => Ok(s),
                // Another process made it between our look and our create: use theirs.
                Err(CreateError::Exists) => Self::load(path),
                Err(CreateError::Other(e)) => Err(e),
            },
            Err(e) => Err(key_error(path, &e.to_string())),
        }
    }

    fn load(path: &Path) -> Result<Self> {
        let mut file =
            std::fs::File::open(path).map_err(|e| key_error(path, &format!("cannot open: {e}")))?;
        let meta = file
            .metadata()
            .map_err(|e| key_error(path, &format!("cannot stat: {e}")))?;
        if !meta.is_file() {
            return Err(key_error(path, "not a regular file"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(key_error(
                    path,
                    &format!("mode {mode:04o} lets group or others at it; chmod 600 it"),
                ));
            }
        }
        if meta.len() != KEY_LEN as u64 {
            return Err(key_error(
                path,
                &format!("{} bytes; a key file holds exactly {KEY_LEN}", meta.len()),
            ));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        file.read_exact(&mut key[..])
            .map_err(|e| key_error(path, &format!("cannot read: {e}")))?;
        // It must not have grown between the stat and the read.
        let mut extra = [0u8; 1];
        match file.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => return Err(key_error(path, "longer than 32 bytes")),
            Err(e) => return Err(key_error(path, &format!("cannot read: {e}"))),
        }
        Ok(Self::from_key(&key))
    }

    fn create(path: &Path) -> std::result::Result<Self, CreateError> {
        let rng = SystemRandom::new();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(&mut key[..])
            .map_err(|_| CreateError::Other(key_error(path, "the system random source failed")))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = match options.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CreateError::Exists)
            }
            Err(e) => {
                return Err(CreateError::Other(key_error(
                    path,
                    &format!("cannot create: {e}"),
                )))
            }
        };
        let written = file.write_all(&key[..]).and_then(|()| file.sync_all());
        if let Err(e) = written {
            drop(file);
            // Leave no short key behind for the next start to refuse.
            let _ = std::fs::remove_file(path);
            return Err(CreateError::Other(key_error(
                path,
                &format!("cannot write: {e}"),
            )));
        }
        // Make the new name durable too (best effort: not every platform syncs a directory).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        tracing::info!(path = %path.display(), "created a new secret key");
        Ok(Self::from_key(&key))
    }

    /// Seal a secret of a device: the bytes to keep in [`crate::Write::PutSecret`].
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails (it does not on any platform ring
    /// supports once booted): sealing on without a fresh nonce would be worse.
    pub fn seal(&self, device: &str, name: &str, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        if self.rng.fill(&mut nonce).is_err() {
            panic!("the system random source failed: cannot make a nonce");
        }
        let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = Zeroizing::new(plaintext.as_bytes().to_vec());
        let aad = associated_data(device, name);
        let sealed = self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad[..]),
            &mut body,
        );
        let Ok(tag) = sealed else {
            // ring fails only on a plaintext over ~64 GiB (the GCM block counter).
            panic!("a secret too large to seal");
        };
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        // `body` now holds ciphertext, but wipe it anyway (it held the plaintext's length).
        body.zeroize();
        out
    }

    /// Open a sealed secret of a device. [`Error::Unseal`] when the bytes were sealed with
    /// another key, for another device or name, or were altered, or are not a sealed value.
    /// The plaintext is wiped from memory when the returned value is dropped.
    pub fn open(&self, device: &str, name: &str, sealed: &[u8]) -> Result<Zeroizing<String>> {
        if sealed.len() < OVERHEAD || sealed[0] != VERSION {
            return Err(Error::Unseal);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let aad = associated_data(device, name);
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut body[..],
            )
            .map_err(|_| Error::Unseal)?;
        let text = std::str::from_utf8(plain).map_err(|_| Error::Unseal)?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

enum CreateError {
    Exists,
    Other(Error),
}

fn key_error(path: &Path, what: &str) -> Error {
    Error::Key(format!("{}: {what}", path.display()))
}

/// `device || 0x00 || name`. A device id never holds a NUL (DeviceKey::id escapes
/// everything but `[A-Za-z0-9_.]`), so the split is unambiguous.
fn associated_data(device: &str, name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(device.len() + 1 + name.len());
    aad.extend_from_slice(device.as_bytes());
    aad.push(0);
    aad.extend_from_slice(name.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn round_trip() {
        let s = Sealer::from_key(&KEY);
        for secret in ["", "p", "correct horse battery staple", "ünïcödé ☎"] {
            let sealed = s.seal("00D09E-X-1", "ports.1.password", secret);
            assert_eq!(sealed.len(), secret.len() + OVERHEAD);
            assert_eq!(sealed[0], VERSION);
            let opened = s.open("00D09E-X-1", "ports.1.password", &sealed).unwrap();
            assert_eq!(opened.as_str(), secret);
        }
    }

    #[test]
    fn ciphertext_does_not_show_the_plaintext() {
        let s = Sealer::from_key(&KEY);
        let sealed = s.seal("d", "n", "AAAAAAAAAAAAAAAA");
        assert!(!sealed.windows(4).any(|w| w == b"AAAA"));
    }

    /// SP 800-38D §8: a nonce is never used twice under one key.
    #[test]
    fn every_seal_has_a_fresh_nonce() {
        let s = Sealer::from_key(&KEY);
        let a = s.seal("d", "n", "same");
        let b = s.seal("d", "n", "same");
        assert_ne!(a[1..13], b[1..13]);
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_key_does_not_open() {
        let sealed = Sealer::from_key(&KEY).seal("d", "n", "secret");
        let other = Sealer::from_key(&[8; 32]);
        assert!(matches!(other.open("d", "n", &sealed), Err(Error::Unseal)));
    }

    #[test]
    fn moved_to_another_device_or_name_does_not_open() {
        let s = Sealer::from_key(&KEY);
        let sealed = s.seal("dev-a", "ports.1.password", "secret");
        assert!(matches!(
            s.open("dev-b", "ports.1.password", &sealed),
            Err(Error::Unseal)
        ));
        assert!(matches!(
            s.open("dev-a", "ports.2.password", &sealed),
            Err(Error::Unseal)
        ));
        // The NUL separator: ("ab", "c") is not ("a", "bc").
        let sealed = s.seal("ab", "c", "secret");
        assert!(matches!(s.open("a", "bc", &sealed), Err(Error::Unseal)));
    }

    /// GCM's tag covers the version's meaning, the nonce, the ciphertext and the tag
    /// itself: any single flipped bit is refused.
    #[test]
    fn every_flipped_bit_is_refused() {
        let s = Sealer::from_key(&KEY);
        let sealed = s.seal("d", "n", "secret");
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(
                matches!(s.open("d", "n", &bad), Err(Error::Unseal)),
                "bit {i}"
            );
        }
    }

    #[test]
    fn short_truncated_or_garbage_input_is_refused_without_panic() {
        let s = Sealer::from_key(&KEY);
        let sealed = s.seal("d", "n", "secret");
        for len in 0..sealed.len() {
            assert!(matches!(
                s.open("d", "n", &sealed[..len]),
                Err(Error::Unseal)
            ));
        }
        // Seeded random bytes (splitmix64).
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for _ in 0..200 {
            let len = (next() % 80) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if !bytes.is_empty() && next() % 2 == 0 {
                bytes[0] = VERSION;
            }
            assert!(s.open("d", "n", &bytes).is_err());
        }
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let text = format!("{:?}", Sealer::from_key(&[0xAB; 32]));
        assert!(!text.contains("171") && !text.to_lowercase().contains("ab, "));
        assert!(text.contains("Sealer"));
    }
}
