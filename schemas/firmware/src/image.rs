//! The image file's framing: magic, length-prefixed manifest, length-prefixed signature
//! block, payload.

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// The first ten bytes of every image.
pub const MAGIC: &[u8; 10] = b"TIPRINGFW\n";

/// Largest manifest (bytes of JSON). A manifest is ~300 bytes; the bound keeps a device
/// from buffering an unbounded header before it can check anything.
pub const MAX_MANIFEST_LEN: usize = 16 * 1024;

/// Largest signature block.
pub const MAX_SIGNATURE_BLOCK_LEN: usize = 1024;

/// Largest header ([`MAGIC`], both length fields, manifest, signature block): a streaming
/// reader never needs to buffer more than this before the header parses or fails.
pub const MAX_HEADER_LEN: usize = MAGIC.len() + 4 + MAX_MANIFEST_LEN + 2 + MAX_SIGNATURE_BLOCK_LEN;

/// A signature algorithm of the signature block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032 §5.1, pure, no context): identifier 1, 64-byte signature.
    Ed25519,
}

impl SignatureAlgorithm {
    /// The algorithm's identifier byte in the signature block.
    pub fn id(self) -> u8 {
        match self {
            SignatureAlgorithm::Ed25519 => 1,
        }
    }
}

/// The signature block: an algorithm identifier and the signature over the exact manifest
/// bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureBlock {
    /// The algorithm.
    pub algorithm: SignatureAlgorithm,
    /// The Ed25519 signature (R ‖ S, RFC 8032 §5.1.6).
    pub signature: [u8; 64],
}

impl std::fmt::Debug for SignatureBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureBlock")
            .field("algorithm", &self.algorithm)
            .field("signature", &crate::hex::encode(&self.signature))
            .finish()
    }
}

impl SignatureBlock {
    /// The block's bytes: identifier, then signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + self.signature.len());
        v.push(self.algorithm.id());
        v.extend_from_slice(&self.signature);
        v
    }

    /// Parse a signature block's bytes.
    pub fn from_bytes(b: &[u8]) -> Result<SignatureBlock> {
        match b.split_first() {
            Some((1, sig)) => {
                let signature: [u8; 64] = sig.try_into().map_err(|_| {
                    Error::Malformed(format!(
                        "an Ed25519 signature block is 65 bytes, not {}",
                        b.len()
                    ))
                })?;
                Ok(SignatureBlock {
                    algorithm: SignatureAlgorithm::Ed25519,
                    signature,
                })
            }
            Some((&other, _)) => Err(Error::UnsupportedSignature(other)),
            None => Err(Error::Malformed("empty signature block".into())),
        }
    }
}

/// A parsed (not yet verified) image header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The manifest, parsed and checked against its field rules.
    pub manifest: Manifest,
    /// The manifest's exact bytes, as signed.
    pub manifest_bytes: Vec<u8>,
    /// The signature block.
    pub signature: SignatureBlock,
    /// The header's length: the payload starts at this offset of the image.
    pub len: usize,
}

/// Reading and writing the image framing.
#[derive(Debug, Clone, Copy)]
pub struct Image;

fn need(have: usize, need: usize) -> Result<()> {
    if have < need {
        Err(Error::Truncated {
            have: have as u64,
            need: need as u64,
        })
    } else {
        Ok(())
    }
}

impl Image {
    /// Parse the header at the start of `bytes` (the whole image, or the first bytes of a
    /// stream). Returns the manifest, the signature block and the header length (where the
    /// payload starts); checks nothing cryptographic (see
    /// [`Verifier::verify_header`](crate::Verifier::verify_header)).
    ///
    /// With too few bytes it returns [`Error::Truncated`] whose `need` says how many bytes
    /// to gather before calling again (never more than [`MAX_HEADER_LEN`]); any other error
    /// is final. Never panics, whatever the input.
    pub fn parse_header(bytes: &[u8]) -> Result<Header> {
        let n = MAGIC.len();
        let prefix = &bytes[..bytes.len().min(n)];
        if prefix != &MAGIC[..prefix.len()] {
            return Err(Error::NotAnImage);
        }
        need(bytes.len(), n + 4)?;
        let m_len = u32::from_be_bytes([bytes[n], bytes[n + 1], bytes[n + 2], bytes[n + 3]]);
        let m_len = usize::try_from(m_len).unwrap_or(usize::MAX);
        if m_len == 0 || m_len > MAX_MANIFEST_LEN {
            return Err(Error::Malformed(format!(
                "manifest length {m_len} outside 1..={MAX_MANIFEST_LEN}"
            )));
        }
        let m_start = n + 4;
        let s_len_at = m_start + m_len;
        need(bytes.len(), s_len_at + 2)?;
        let s_len = usize::from(u16::from_be_bytes([bytes[s_len_at], bytes[s_len_at + 1]]));
        if s_len == 0 || s_len > MAX_SIGNATURE_BLOCK_LEN {
            return Err(Error::Malformed(format!(
                "signature block length {s_len} outside 1..={MAX_SIGNATURE_BLOCK_LEN}"
            )));
        }
        let s_start = s_len_at + 2;
        let end = s_start + s_len;
        need(bytes.len(), end)?;
        let manifest_bytes = &bytes[m_start..s_len_at];
        let manifest = Manifest::from_json(manifest_bytes)?;
        let signature = SignatureBlock::from_bytes(&bytes[s_start..end])?;
        Ok(Header {
            manifest,
            manifest_bytes: manifest_bytes.to_vec(),
            signature,
            len: end,
        })
    }

    /// The header bytes for `manifest_bytes` and `signature` (the payload follows).
    pub fn encode_header(manifest_bytes: &[u8], signature: &SignatureBlock) -> Result<Vec<u8>> {
        if manifest_bytes.is_empty() || manifest_bytes.len() > MAX_MANIFEST_LEN {
            return Err(Error::BadManifest(format!(
                "a manifest is 1 to {MAX_MANIFEST_LEN} bytes, not {}",
                manifest_bytes.len()
            )));
        }
        let sig = signature.to_bytes();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + manifest_bytes.len() + 2 + sig.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(manifest_bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(manifest_bytes);
        out.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        out.extend_from_slice(&sig);
        Ok(out)
    }
}
