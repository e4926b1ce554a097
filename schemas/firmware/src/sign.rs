//! The build side: signing images (for the `tipring-fw` tool, the provisioner's tests and
//! this crate's own).

use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _};

use crate::error::{Error, Result};
use crate::image::{Image, SignatureAlgorithm, SignatureBlock};
use crate::manifest::Manifest;
use crate::{hex, Sha256};

/// An Ed25519 signing key. Its `Debug` shows the public key only.
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &hex::encode(&self.public_key()))
            .finish_non_exhaustive()
    }
}

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

impl SigningKey {
    /// The key whose RFC 8032 §5.1.5 secret (the 32-byte seed) is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        // A 32-byte seed is always a valid Ed25519 secret key (any 32 bytes are), so
        // ring's length check cannot fail here.
        let pair = Ed25519KeyPair::from_seed_unchecked(seed);
        SigningKey {
            pair: pair.unwrap_or_else(|_| unreachable!("any 32-byte seed is an Ed25519 key")),
        }
    }

    /// A key from PKCS#8 DER (RFC 5208 v1, as `openssl genpkey -algorithm ed25519 -outform
    /// DER` writes it, or RFC 5958 v2 with the public key, as ring writes it).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(|pair| SigningKey { pair })
            .map_err(|e| Error::InvalidKey(format!("not an Ed25519 PKCS#8 key ({e})")))
    }

    /// A key from a key file's bytes, whichever of these it holds: the raw 32-byte seed;
    /// the seed as 64 hex digits (what `tipring-fw keygen` writes; surrounding whitespace
    /// ignored); a PEM `PRIVATE KEY` (PKCS#8, RFC 7468 §10); PKCS#8 DER.
    pub fn from_key_file(bytes: &[u8]) -> Result<Self> {
        if let Ok(seed) = <[u8; 32]>::try_from(bytes) {
            return Ok(Self::from_seed(&seed));
        }
        let text = std::str::from_utf8(bytes).map(str::trim);
        if let Ok(t) = text {
            if t.len() == 64 {
                if let Some(seed) = hex::decode_array::<32>(t) {
                    return Ok(Self::from_seed(&seed));
                }
            }
            if let Some(rest) = t.strip_prefix(PEM_BEGIN) {
                let body = rest.split(PEM_END).next().unwrap_or("");
                if !rest.contains(PEM_END) {
                    return Err(Error::InvalidKey(format!("PEM without `{PEM_END}`")));
                }
                let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| Error::InvalidKey(format!("PEM body is not base64 ({e})")))?;
                return Self::from_pkcs8_der(&der);
            }
            if t.starts_with("-----BEGIN") {
                return Err(Error::InvalidKey(
                    "only a PEM `PRIVATE KEY` (PKCS#8) is read".into(),
                ));
            }
        }
        Self::from_pkcs8_der(bytes).map_err(|_| {
            Error::InvalidKey(
                "expected a 32-byte seed, 64 hex digits, PKCS#8 PEM or PKCS#8 DER".into(),
            )
        })
    }

    /// The public key (RFC 8032 §5.1.5 encoding).
    pub fn public_key(&self) -> [u8; 32] {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(self.pair.public_key().as_ref());
        pk
    }

    /// The default key id for this key: see [`key_id_for`].
    pub fn key_id(&self) -> String {
        key_id_for(&self.public_key())
    }

    /// Sign `message` (RFC 8032 §5.1.6; deterministic).
    pub fn sign(&self, message: &[u8]) -> SignatureBlock {
        let mut signature = [0u8; 64];
        signature.copy_from_slice(self.pair.sign(message).as_ref());
        SignatureBlock {
            algorithm: SignatureAlgorithm::Ed25519,
            signature,
        }
    }
}

/// A key id derived from a public key: `ed25519:` and the first 8 bytes of the key's
/// SHA-256 in hex, so that a tool can name a key without a registry (a vendor may use any
/// other id; the manifest's `key_id` is what counts).
pub fn key_id_for(public_key: &[u8; 32]) -> String {
    format!("ed25519:{}", hex::encode(&Sha256::of(public_key).0[..8]))
}

/// The header of a signed image (magic, manifest, signature block); the payload goes
/// after it. Validates `manifest` first.
pub fn sign_header(manifest: &Manifest, key: &SigningKey) -> Result<Vec<u8>> {
    manifest.validate()?;
    let bytes = manifest.to_json();
    Image::encode_header(&bytes, &key.sign(&bytes))
}

/// A whole signed image: [`sign_header`] then `payload`, whose size and SHA-256 must be
/// the manifest's ([`Error::SizeMismatch`], [`Error::DigestMismatch`] otherwise; build the
/// manifest with [`Manifest::for_payload`]).
pub fn sign_image(manifest: &Manifest, payload: &[u8], key: &SigningKey) -> Result<Vec<u8>> {
    if payload.len() as u64 != manifest.payload_size {
        return Err(Error::SizeMismatch {
            expected: manifest.payload_size,
            actual: payload.len() as u64,
        });
    }
    let actual = Sha256::of(payload);
    if actual != manifest.payload_sha256 {
        return Err(Error::DigestMismatch {
            expected: manifest.payload_sha256,
            actual,
        });
    }
    let mut out = sign_header(manifest, key)?;
    out.extend_from_slice(payload);
    Ok(out)
}
