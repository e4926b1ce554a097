//! The device side: is this image genuine, for this hardware, allowed; and is the payload
//! the one the manifest describes.

use ring::signature::{UnparsedPublicKey, ED25519};

use crate::digest::Sha256;
use crate::error::{Error, Result};
use crate::image::{Header, Image, SignatureAlgorithm, SignatureBlock};
use crate::manifest::Manifest;
use crate::version::Version;

/// A public key the device trusts, under the id that manifests name it by.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The manifest's `key_id` for this key.
    pub key_id: String,
    /// The Ed25519 public key (RFC 8032 §5.1.5 encoding, 32 bytes).
    pub public_key: [u8; 32],
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey")
            .field("key_id", &self.key_id)
            .field("public_key", &crate::hex::encode(&self.public_key))
            .finish()
    }
}

/// The device's rules for accepting an image: trusted keys, its product and model, and the
/// rollback floor set by the running firmware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Trusted signing keys (several during a key rotation).
    pub keys: Vec<TrustedKey>,
    /// This device's product family (a manifest's `product` must equal it).
    pub product: String,
    /// This device's model (a manifest's `model` must equal it).
    pub model: String,
    /// Images below this version are refused: the running image's `min_version`.
    pub floor: Option<Version>,
}

/// A header whose signature, key, model and version rules passed.
/// Only [`Verifier::verify_header`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    header: Header,
}

impl Verified {
    /// The verified manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.header.manifest
    }

    /// Where the payload starts in the image.
    pub fn header_len(&self) -> usize {
        self.header.len
    }

    /// The whole header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// A streaming check of the payload against this manifest.
    pub fn payload_check(&self) -> PayloadCheck {
        PayloadCheck::new(&self.header.manifest)
    }
}

impl Verifier {
    /// A verifier for `product`/`model` with no keys and no rollback floor.
    pub fn new(product: impl Into<String>, model: impl Into<String>) -> Self {
        Verifier {
            keys: Vec::new(),
            product: product.into(),
            model: model.into(),
            floor: None,
        }
    }

    /// Trust `public_key` (Ed25519, 32 bytes) under `key_id`.
    pub fn with_key(mut self, key_id: impl Into<String>, public_key: [u8; 32]) -> Self {
        self.keys.push(TrustedKey {
            key_id: key_id.into(),
            public_key,
        });
        self
    }

    /// Take the rollback floor from the running image's manifest (its `min_version`);
    /// `None` (no image installed yet) sets no floor.
    pub fn with_running(mut self, running: Option<&Manifest>) -> Self {
        self.floor = running.and_then(|m| m.min_version.clone());
        self
    }

    /// Check `signature` over `message` with the trusted key `key_id`: the primitive under
    /// [`verify_header`](Self::verify_header).
    pub fn verify_signature(
        &self,
        key_id: &str,
        message: &[u8],
        signature: &SignatureBlock,
    ) -> Result<()> {
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| Error::UnknownKey(key_id.to_string()))?;
        match signature.algorithm {
            SignatureAlgorithm::Ed25519 => UnparsedPublicKey::new(&ED25519, &key.public_key)
                .verify(message, &signature.signature)
                .map_err(|_| Error::BadSignature(key_id.to_string())),
        }
    }

    /// Parse the header at the start of `image` (the whole file or the first bytes of a
    /// stream) and check, in this order: framing and manifest rules, that the signing key
    /// is trusted, the signature over the exact manifest bytes, the product and model, and
    /// the rollback floor. Nothing of the manifest is trusted before the signature passed.
    ///
    /// [`Error::Truncated`] means "give me `need` bytes"; every other error is final.
    pub fn verify_header(&self, image: &[u8]) -> Result<Verified> {
        let header = Image::parse_header(image)?;
        self.verify_parsed(&header)?;
        Ok(Verified { header })
    }

    /// The checks of [`verify_header`](Self::verify_header) on an already parsed header.
    pub fn verify_parsed(&self, header: &Header) -> Result<()> {
        let m = &header.manifest;
        self.verify_signature(&m.key_id, &header.manifest_bytes, &header.signature)?;
        if m.product != self.product || m.model != self.model {
            return Err(Error::WrongModel {
                image: m.target(),
                device: format!("{}/{}", self.product, self.model),
            });
        }
        if let Some(floor) = &self.floor {
            if m.version < *floor {
                return Err(Error::DowngradeRefused {
                    version: m.version.to_string(),
                    floor: floor.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Verify a whole image in memory: header, then payload size and digest. Returns the
    /// manifest. A file cut inside the payload is [`Error::Truncated`]; bytes after the
    /// payload are [`Error::SizeMismatch`].
    pub fn verify_image(&self, image: &[u8]) -> Result<Manifest> {
        let v = self.verify_header(image)?;
        let payload = &image[v.header_len()..];
        let expected = v.manifest().payload_size;
        if (payload.len() as u64) < expected {
            return Err(Error::Truncated {
                have: image.len() as u64,
                need: v.header_len() as u64 + expected,
            });
        }
        let mut check = v.payload_check();
        check.update(payload)?;
        check.finish()?;
        Ok(v.header.manifest)
    }
}

/// What a successful [`PayloadCheck::finish`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadSummary {
    /// Bytes received (= the manifest's `payload_size`).
    pub size: u64,
    /// Their SHA-256 (= the manifest's `payload_sha256`).
    pub sha256: Sha256,
}

/// Hashes the payload as it streams by (into a slot, say) and checks size and digest
/// against the manifest at the end. More bytes than announced fail at once, so a writer
/// never stores past `payload_size`.
#[derive(Clone)]
pub struct PayloadCheck {
    expected_size: u64,
    expected_digest: Sha256,
    received: u64,
    context: ring::digest::Context,
}

impl std::fmt::Debug for PayloadCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadCheck")
            .field("expected_size", &self.expected_size)
            .field("expected_digest", &self.expected_digest)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl PayloadCheck {
    /// A check against `manifest`'s `payload_size` and `payload_sha256`.
    pub fn new(manifest: &Manifest) -> Self {
        PayloadCheck {
            expected_size: manifest.payload_size,
            expected_digest: manifest.payload_sha256,
            received: 0,
            context: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }

    /// Hash the next `chunk` (any size, including empty). A chunk that would go past
    /// `payload_size` is refused whole ([`Error::SizeMismatch`] with the total it would
    /// make) and not counted.
    pub fn update(&mut self, chunk: &[u8]) -> Result<()> {
        let total = self.received.saturating_add(chunk.len() as u64);
        if total > self.expected_size {
            return Err(Error::SizeMismatch {
                expected: self.expected_size,
                actual: total,
            });
        }
        self.context.update(chunk);
        self.received = total;
        Ok(())
    }

    /// Bytes accepted so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes still expected.
    pub fn remaining(&self) -> u64 {
        self.expected_size - self.received
    }

    /// The end of the payload: its size must be `payload_size` ([`Error::SizeMismatch`])
    /// and its SHA-256 `payload_sha256` ([`Error::DigestMismatch`]).
    pub fn finish(self) -> Result<PayloadSummary> {
        if self.received != self.expected_size {
            return Err(Error::SizeMismatch {
                expected: self.expected_size,
                actual: self.received,
            });
        }
        let mut actual = [0u8; 32];
        actual.copy_from_slice(self.context.finish().as_ref());
        let actual = Sha256(actual);
        if actual != self.expected_digest {
            return Err(Error::DigestMismatch {
                expected: self.expected_digest,
                actual,
            });
        }
        Ok(PayloadSummary {
            size: self.received,
            sha256: actual,
        })
    }
}
