//! Errors: [`ParamFault`] is a TR-069 fault about a parameter (data, sent to the ACS);
//! [`Error`] is for the caller's own mistakes (a persisted store that does not parse).

use std::fmt;

/// A CPE fault code of TR-069 Amendment 6, Table A.5 (the subset a parameter tree raises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultCode {
    /// 9001 Request denied (no reason specified).
    RequestDenied,
    /// 9002 Internal error.
    InternalError,
    /// 9003 Invalid arguments.
    InvalidArguments,
    /// 9005 Invalid parameter name.
    InvalidParameterName,
    /// 9006 Invalid parameter type.
    InvalidParameterType,
    /// 9007 Invalid parameter value.
    InvalidParameterValue,
    /// 9008 Attempt to set a non-writable parameter.
    NonWritableParameter,
    /// 9009 Notification request rejected.
    NotificationRequestRejected,
}

impl FaultCode {
    /// The numeric code sent in the SOAP fault (`9005`, ...).
    pub fn code(self) -> u32 {
        match self {
            FaultCode::RequestDenied => 9001,
            FaultCode::InternalError => 9002,
            FaultCode::InvalidArguments => 9003,
            FaultCode::InvalidParameterName => 9005,
            FaultCode::InvalidParameterType => 9006,
            FaultCode::InvalidParameterValue => 9007,
            FaultCode::NonWritableParameter => 9008,
            FaultCode::NotificationRequestRejected => 9009,
        }
    }

    /// The fault string of TR-069 Table A.5 ("Invalid parameter name", ...).
    pub fn description(self) -> &'static str {
        match self {
            FaultCode::RequestDenied => "Request denied (no reason specified)",
            FaultCode::InternalError => "Internal error",
            FaultCode::InvalidArguments => "Invalid arguments",
            FaultCode::InvalidParameterName => "Invalid parameter name",
            FaultCode::InvalidParameterType => "Invalid parameter type",
            FaultCode::InvalidParameterValue => "Invalid parameter value",
            FaultCode::NonWritableParameter => "Attempt to set a non-writable parameter",
            FaultCode::NotificationRequestRejected => "Notification request rejected",
        }
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.description())
    }
}

/// A TR-069 fault about one parameter (or one request): the code and a message for
/// people. Messages never hold a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ParamFault {
    /// The fault code.
    pub code: FaultCode,
    /// What is wrong (the SetParameterValuesFault FaultString).
    pub message: String,
}

impl ParamFault {
    /// A fault with this code and message.
    pub fn new(code: FaultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 9005: no such parameter or object.
    pub(crate) fn name(message: impl Into<String>) -> Self {
        Self::new(FaultCode::InvalidParameterName, message)
    }

    /// 9003: the request itself is wrong.
    pub(crate) fn args(message: impl Into<String>) -> Self {
        Self::new(FaultCode::InvalidArguments, message)
    }

    /// 9006: the value is not of the parameter's type.
    pub(crate) fn ty(message: impl Into<String>) -> Self {
        Self::new(FaultCode::InvalidParameterType, message)
    }

    /// 9007: the value is of the right type but not acceptable.
    pub(crate) fn value(message: impl Into<String>) -> Self {
        Self::new(FaultCode::InvalidParameterValue, message)
    }

    /// 9008: the parameter cannot be written.
    pub(crate) fn not_writable(message: impl Into<String>) -> Self {
        Self::new(FaultCode::NonWritableParameter, message)
    }
}

/// The error of this crate's fallible operations that are not TR-069 faults.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A persisted document ([`Attributes`](crate::Attributes) or
    /// [`CwmpState`](crate::CwmpState)) is not valid JSON of its type.
    #[error("{what} does not parse: {source}")]
    Json {
        /// Which document.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    /// TR-069 Amendment 6, Table A.5: the numeric codes of the CPE faults.
    #[test]
    fn codes_are_those_of_table_a5() {
        let all = [
            (FaultCode::RequestDenied, 9001),
            (FaultCode::InternalError, 9002),
            (FaultCode::InvalidArguments, 9003),
            (FaultCode::InvalidParameterName, 9005),
            (FaultCode::InvalidParameterType, 9006),
            (FaultCode::InvalidParameterValue, 9007),
            (FaultCode::NonWritableParameter, 9008),
            (FaultCode::NotificationRequestRejected, 9009),
        ];
        for (c, n) in all {
            assert_eq!(c.code(), n);
            assert!(c.to_string().starts_with(&n.to_string()));
        }
        let f = ParamFault::name("no such parameter");
        assert_eq!(
            f.to_string(),
            "9005 Invalid parameter name: no such parameter"
        );
    }
}
