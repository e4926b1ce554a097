//! Errors of image parsing, verification and signing, and their TR-069 fault codes.

use crate::digest::Sha256;

/// TR-069 CPE fault codes (TR-069 Amendment 6 §A.5.1, the FaultCode list of cwmp-1-2.xsd)
/// that a firmware download ends with when the image is refused.
pub mod fault {
    /// 9002 Internal error: the device could not do its part (not the image's fault).
    pub const INTERNAL_ERROR: u32 = 9002;
    /// 9010 File transfer failure: the image is intact but this device will not install it
    /// (another model, a refused downgrade, a newer format).
    pub const FILE_TRANSFER_FAILURE: u32 = 9010;
    /// 9018 File transfer failure: file corrupted (not an image, cut short, digest or size
    /// wrong, unreadable manifest).
    pub const FILE_CORRUPTED: u32 = 9018;
    /// 9019 File transfer failure: file authentication failure (unknown signing key, bad
    /// signature, unsupported signature algorithm).
    pub const FILE_AUTHENTICATION_FAILURE: u32 = 9019;
}

/// Why an image was refused, or why signing failed.
///
/// The first group (not an image … downgrade refused) is the image's fault and maps to a
/// TR-069 fault through [`Error::fault_code`]; [`Error::InvalidKey`] is the signing tool's
/// caller's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file does not start with the `TIPRINGFW\n` magic.
    #[error("not a Tipring firmware image (bad magic)")]
    NotAnImage,
    /// The file ends before the part its header announces. When the bytes come from a
    /// stream, `need` is how many bytes (from the start of the image) are needed at least
    /// before parsing can go on.
    #[error("image truncated: {have} bytes, at least {need} needed")]
    Truncated {
        /// Bytes available.
        have: u64,
        /// Bytes needed at least (from the start of the image).
        need: u64,
    },
    /// A length field of the header is out of range.
    #[error("malformed image header: {0}")]
    Malformed(String),
    /// The manifest is not valid JSON of the manifest's shape, or a field breaks its rule.
    #[error("bad manifest: {0}")]
    BadManifest(String),
    /// The manifest's `format` is not one this code reads.
    #[error("unsupported image format {0} (this device reads format 1)")]
    UnsupportedFormat(u64),
    /// The signature block names an algorithm this code does not know.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignature(u8),
    /// The manifest's `key_id` is not among the device's trusted keys.
    #[error("image signed with unknown key `{0}`")]
    UnknownKey(String),
    /// The signature does not verify with the trusted key of that id.
    #[error("bad signature (key `{0}`)")]
    BadSignature(String),
    /// The image is for other hardware.
    #[error("image is for {image}, this device is {device}")]
    WrongModel {
        /// `product/model` of the image.
        image: String,
        /// `product/model` of this device.
        device: String,
    },
    /// The image's version is below the rollback floor (the running image's `min_version`).
    #[error("downgrade refused: version {version} is below the floor {floor}")]
    DowngradeRefused {
        /// The image's version.
        version: String,
        /// The lowest version the running firmware accepts.
        floor: String,
    },
    /// The payload's SHA-256 differs from the manifest's `payload_sha256`.
    #[error("payload digest mismatch: manifest says {expected}, payload is {actual}")]
    DigestMismatch {
        /// The digest the manifest carries.
        expected: Sha256,
        /// The digest of the bytes received.
        actual: Sha256,
    },
    /// The payload's length differs from the manifest's `payload_size` (a streaming check
    /// reports it as soon as more bytes arrive than announced).
    #[error("payload size mismatch: manifest says {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The size the manifest announces.
        expected: u64,
        /// Bytes received (so far, when too many).
        actual: u64,
    },
    /// A signing key could not be read (API misuse in the signing tool; never a device
    /// fault).
    #[error("invalid signing key: {0}")]
    InvalidKey(String),
}

impl Error {
    /// The TR-069 fault code (Amendment 6 §A.5.1) the agent reports in TransferComplete
    /// (§A.3.3.2) when a Download of FileType "1 Firmware Upgrade Image" (§A.3.2.8) is
    /// refused for this reason:
    ///
    /// | code | reasons |
    /// |---|---|
    /// | 9018 file corrupted | [`NotAnImage`](Self::NotAnImage), [`Truncated`](Self::Truncated), [`Malformed`](Self::Malformed), [`BadManifest`](Self::BadManifest), [`DigestMismatch`](Self::DigestMismatch), [`SizeMismatch`](Self::SizeMismatch) |
    /// | 9019 file authentication failure | [`UnknownKey`](Self::UnknownKey), [`BadSignature`](Self::BadSignature), [`UnsupportedSignature`](Self::UnsupportedSignature) |
    /// | 9010 file transfer failure | [`WrongModel`](Self::WrongModel), [`DowngradeRefused`](Self::DowngradeRefused), [`UnsupportedFormat`](Self::UnsupportedFormat) |
    /// | 9002 internal error | [`InvalidKey`](Self::InvalidKey) (not a device-side error) |
    ///
    /// A wrong model is 9010, not 9018: the file is intact and genuine, so "corrupted"
    /// would send the operator after a download problem that does not exist; the fault
    /// string names both models.
    pub fn fault_code(&self) -> u32 {
        match self {
            Error::NotAnImage
            | Error::Truncated { .. }
            | Error::Malformed(_)
            | Error::BadManifest(_)
            | Error::DigestMismatch { .. }
            | Error::SizeMismatch { .. } => fault::FILE_CORRUPTED,
            Error::UnknownKey(_) | Error::BadSignature(_) | Error::UnsupportedSignature(_) => {
                fault::FILE_AUTHENTICATION_FAILURE
            }
            Error::WrongModel { .. }
            | Error::DowngradeRefused { .. }
            | Error::UnsupportedFormat(_) => fault::FILE_TRANSFER_FAILURE,
            Error::InvalidKey(_) => fault::INTERNAL_ERROR,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
