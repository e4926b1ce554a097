//! Errors of the CWMP codec.
//!
//! Every error comes from the peer's bytes (the writer cannot fail): a malformed or
//! oversized envelope, a header entry we must understand but do not, or an RPC argument
//! that is not of its schema type. Those that arrive after the message was identified
//! carry its `cwmp:ID` and method name, so a CPE can still answer with a CWMP fault
//! (9003 Invalid arguments) and an ACS with 8003.

use crate::fault::FaultCode;

/// Result of the codec's reading functions.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong while reading a CWMP envelope.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The HTTP body is larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("envelope is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The envelope holds more array members (parameters, names, events, ...) than
    /// [`Limits::max_items`](crate::Limits::max_items).
    #[error("envelope holds more than {limit} array members")]
    TooManyItems {
        /// The configured limit.
        limit: usize,
    },
    /// The input is not well-formed XML (or not UTF-8).
    #[error("malformed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset where the problem was noticed.
        position: u64,
        /// What the XML reader said.
        message: String,
    },
    /// The root element is not a SOAP `Envelope`.
    #[error("not a SOAP envelope (root element <{0}>)")]
    NotEnvelope(String),
    /// The SOAP Body holds more than one message.
    #[error("the SOAP Body holds more than one message")]
    MultipleMessages,
    /// The HTTP body holds several concatenated envelopes (CWMP 1.0 `MaxEnvelopes` > 1);
    /// read it with [`parse_all`](crate::parse_all).
    #[error("the HTTP body holds {0} SOAP envelopes; read it with parse_all")]
    MultipleEnvelopes(usize),
    /// A header entry carries `mustUnderstand="1"` but the codec does not know it
    /// (SOAP 1.1 §4.2.3): answer with a SOAP `MustUnderstand` fault.
    #[error("header entry <{element}> must be understood but is unknown")]
    MustUnderstand {
        /// Local name of the header entry.
        element: String,
        /// The envelope's `cwmp:ID`, when it came before the entry.
        id: Option<String>,
    },
    /// A known header entry holds a value that is not of its type.
    #[error("header entry <{element}> holds the invalid value {value:?}")]
    InvalidHeader {
        /// Local name of the header entry.
        element: String,
        /// The offending text.
        value: String,
    },
    /// An RPC argument is not of its schema type (a number that is not one, a
    /// Notification of 9, ...). The envelope was otherwise readable.
    #[error("{method}: <{element}> holds the invalid value {value:?}")]
    InvalidArgument {
        /// Method (local name of the Body's element), e.g. `SetParameterAttributes`.
        method: String,
        /// The envelope's `cwmp:ID`, if it had one.
        id: Option<String>,
        /// Local name of the offending element.
        element: String,
        /// The offending text.
        value: String,
    },
}

impl Error {
    /// The CWMP fault a CPE should answer this error with, when the error leaves
    /// enough of the request to answer at all (TR-069 Amd 6 Annex A.5.1).
    pub fn cpe_fault(&self) -> Option<FaultCode> {
        match self {
            Error::InvalidArgument { .. } => Some(FaultCode::INVALID_ARGUMENTS),
            Error::TooManyItems { .. } | Error::TooLarge { .. } => {
                Some(FaultCode::RESOURCES_EXCEEDED)
            }
            _ => None,
        }
    }

    /// The ACS fault an ACS should answer a CPE's request in error with (Annex A.5.2).
    pub fn acs_fault(&self) -> Option<FaultCode> {
        match self {
            Error::InvalidArgument { .. } => Some(FaultCode::ACS_INVALID_ARGUMENTS),
            Error::TooManyItems { .. } | Error::TooLarge { .. } => {
                Some(FaultCode::ACS_RESOURCES_EXCEEDED)
            }
            _ => None,
        }
    }

    /// The `cwmp:ID` of the envelope in error, when it was read before the error.
    pub fn id(&self) -> Option<&str> {
        match self {
            Error::InvalidArgument { id, .. } | Error::MustUnderstand { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid(element: &str, value: &str) -> Error {
        Error::InvalidArgument {
            method: String::new(),
            id: None,
            element: element.to_owned(),
            value: value.to_owned(),
        }
    }
}
