//! `tipring-firmware`: the signed firmware image format of Tipring gateways, its
//! verification on the device, and signing for tooling. No I/O, no clock.
//!
//! The agent installs an image that the ACS pushes with a TR-069 Download of FileType
//! "1 Firmware Upgrade Image" (TR-069 Amendment 6 §A.3.2.8) only when this crate says it
//! is genuine, for this hardware, allowed, and intact; `tipring-slots` streams the payload
//! into the inactive slot through a [`PayloadCheck`].
//!
//! # The image format (format 1)
//!
//! One file, header first so that a device can authenticate the image before it writes a
//! byte of payload, then hash the payload as it streams into flash:
//!
//! | offset | length | content |
//! |---|---|---|
//! | 0 | 10 | magic `TIPRINGFW\n` (`54 49 50 52 49 4E 47 46 57 0A`) |
//! | 10 | 4 | `M`, manifest length, unsigned big-endian, 1 ..= 16384 |
//! | 14 | `M` | manifest: a UTF-8 JSON object (below) |
//! | 14+`M` | 2 | `S`, signature block length, unsigned big-endian, 1 ..= 1024 |
//! | 16+`M` | `S` | signature block: 1 byte algorithm id, then the signature |
//! | 16+`M`+`S` | `payload_size` | payload (what goes into the slot) |
//!
//! Nothing may follow the payload. The header is at most [`MAX_HEADER_LEN`] bytes.
//!
//! **Manifest** fields (JSON object, unknown fields refused; see [`Manifest`] for each
//! rule): `format` (1), `product` and `model` (the hardware; a device refuses any other),
//! `version` (a [`Version`]: dot-separated numbers, optional `-pre` and `+build`),
//! `min_version` (optional), `payload_size` (bytes), `payload_sha256` (64 lower-case hex
//! digits), `created` (RFC 3339, informational), `key_id` (which signing key).
//!
//! **Signature block**: algorithm 1 = Ed25519 (RFC 8032 §5.1, pure Ed25519) followed by the
//! 64-byte signature, so `S` = 65. The signature is over the **exact manifest bytes** as
//! they appear in the file (no canonicalisation: any change of a byte, whitespace
//! included, breaks it). The manifest carries the payload's size and SHA-256, so the
//! signature covers the payload too.
//!
//! **Downgrades**: `min_version` is the rollback floor an image sets for its successors.
//! While an image is running, the device refuses any new image whose `version` is below the
//! running image's `min_version` ([`Verifier::with_running`]). A release that fixes a
//! security hole sets `min_version` to itself and nothing older can come back; a release
//! without `min_version` allows any version after it, including older ones (the ACS may
//! roll back). An image's `min_version` may not exceed its own `version`.
//!
//! **Verification order** ([`Verifier::verify_header`]): magic, lengths, manifest JSON and
//! field rules → trusted `key_id` → Ed25519 signature over the manifest bytes → product and
//! model → rollback floor; then the payload through [`PayloadCheck`]: never more than
//! `payload_size` bytes, and at the end exactly `payload_size` bytes with the announced
//! SHA-256. Nothing the manifest says is acted on before its signature is checked.
//!
//! # TR-069 faults
//!
//! [`Error::fault_code`] maps each refusal to the FaultCode of TransferComplete
//! (Amendment 6 §A.3.3.2, codes from §A.5.1): 9018 "file corrupted" for a file that is
//! not an image, is cut short, has an unreadable manifest or the wrong size or digest; 9019
//! "file authentication failure" for an unknown key, a bad signature or an unknown
//! signature algorithm; 9010 "file transfer failure" for an intact image this device will
//! not take (another model, a refused downgrade, a newer format).
//!
//! # Example
//!
//! ```
//! use tipring_firmware::{sign_image, Manifest, SigningKey, Verifier};
//!
//! # fn main() -> Result<(), tipring_firmware::Error> {
//! // Build side (tipring-fw sign does this).
//! let key = SigningKey::from_seed(&[7; 32]);
//! let payload = vec![0x5a; 10_000];
//! let manifest = Manifest::for_payload(
//!     "tipring", "TR-FXS4", "1.4.0".parse().unwrap(), "release-2025",
//!     "2025-06-01T12:00:00Z", &payload,
//! );
//! let image = sign_image(&manifest, &payload, &key)?;
//!
//! // Device side: the trusted key, this hardware, the running image's floor.
//! let verifier = Verifier::new("tipring", "TR-FXS4")
//!     .with_key("release-2025", key.public_key())
//!     .with_running(None);
//! // The header arrives first: authenticate before writing anything.
//! let verified = verifier.verify_header(&image)?;
//! let mut check = verified.payload_check();
//! for chunk in image[verified.header_len()..].chunks(4096) {
//!     check.update(chunk)?; // ...and write `chunk` into the inactive slot
//! }
//! let summary = check.finish()?; // size and SHA-256 as signed
//! assert_eq!(summary.size, 10_000);
//!
//! // Any change is refused, with the fault the agent reports.
//! let mut bad = image.clone();
//! *bad.last_mut().unwrap() ^= 1;
//! let err = verifier.verify_image(&bad).unwrap_err();
//! assert_eq!(err.fault_code(), 9018);
//! # Ok(())
//! # }
//! ```
//!
//! The `tipring-fw` tool (`src/bin/tipring-fw.rs`) wraps this for release engineering:
//! `keygen`, `sign`, `inspect`, `verify`.

mod digest;
mod error;
pub mod hex;
mod image;
mod manifest;
mod sign;
mod verify;
mod version;

#[cfg(test)]
mod tests;

pub use digest::Sha256;
pub use error::{fault, Error, Result};
pub use image::{
    Header, Image, SignatureAlgorithm, SignatureBlock, MAGIC, MAX_HEADER_LEN, MAX_MANIFEST_LEN,
    MAX_SIGNATURE_BLOCK_LEN,
};
pub use manifest::{check_rfc3339, rfc3339_utc, Manifest, FORMAT, MAX_NAME_LEN};
pub use sign::{key_id_for, sign_header, sign_image, SigningKey};
pub use verify::{PayloadCheck, PayloadSummary, TrustedKey, Verified, Verifier};
pub use version::{Version, MAX_VERSION_LEN};
