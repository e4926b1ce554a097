//! CWMP faults: the fault codes of TR-069 Amd 6 Annex A.5 and the SOAP Fault that
//! carries them (Annex A.2.2 / A.5).

use std::fmt;

/// A CWMP fault code (`FaultCode` in `detail/cwmp:Fault`).
///
/// CPE faults are 9000-9899 (9800-9899 vendor), ACS faults 8000-8899 (8800-8899
/// vendor). Any number is kept as read, known or not; the constants name the
/// standard ones and [`FaultCode::description`] gives their standard string.
/// `FaultCode(0)` is the "no fault" of a `TransferComplete` FaultStruct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FaultCode(pub u32);

macro_rules! fault_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $side:ident, $text:literal; )*) => {
        impl FaultCode {
            $( $(#[$doc])* pub const $name: FaultCode = FaultCode($code); )*

            /// The standard fault string of a known code (TR-069 Amd 6 Annex A.5, as
            /// worded in the CWMP XSD), or `None` for an unknown or vendor code.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some($text), )*
                    _ => None,
                }
            }

            /// The SOAP `faultcode` that goes with this code: `Client` when the
            /// request was at fault, `Server` otherwise (Annex A.5). Unknown codes
            /// are `Server`.
            pub fn soap_fault_code(self) -> SoapFaultCode {
                match self.0 {
                    $( $code => SoapFaultCode::$side, )*
                    _ => SoapFaultCode::Server,
                }
            }

            /// Every code this crate names, in numeric order.
            pub const KNOWN: &'static [FaultCode] = &[$( FaultCode($code), )*];
        }
    };
}

fault_codes! {
    /// 8000: the CPE called a method the ACS does not support.
    ACS_METHOD_NOT_SUPPORTED = 8000, Server, "Method not supported";
    /// 8001: request denied (no reason specified).
    ACS_REQUEST_DENIED = 8001, Server, "Request denied (no reason specified)";
    /// 8002: ACS internal error.
    ACS_INTERNAL_ERROR = 8002, Server, "Internal error";
    /// 8003: invalid arguments in a CPE request.
    ACS_INVALID_ARGUMENTS = 8003, Client, "Invalid arguments";
    /// 8004: ACS resources exceeded.
    ACS_RESOURCES_EXCEEDED = 8004, Server, "Resources exceeded";
    /// 8005: retry the request later (e.g. Inform during ACS overload).
    ACS_RETRY_REQUEST = 8005, Server, "Retry request";
    /// 8006: the ACS cannot speak any CWMP version the CPE offered (CWMP 1.4).
    ACS_VERSION_INCOMPATIBLE = 8006, Server, "ACS version incompatible with CPE";
    /// 9000: the ACS called a method the CPE does not support.
    METHOD_NOT_SUPPORTED = 9000, Server, "Method not supported";
    /// 9001: request denied (no reason specified).
    REQUEST_DENIED = 9001, Server, "Request denied (no reason specified)";
    /// 9002: CPE internal error.
    INTERNAL_ERROR = 9002, Server, "Internal error";
    /// 9003: invalid arguments.
    INVALID_ARGUMENTS = 9003, Client, "Invalid arguments";
    /// 9004: CPE resources exceeded.
    RESOURCES_EXCEEDED = 9004, Server, "Resources exceeded";
    /// 9005: invalid parameter name.
    INVALID_PARAMETER_NAME = 9005, Client, "Invalid parameter name";
    /// 9006: invalid parameter type.
    INVALID_PARAMETER_TYPE = 9006, Client, "Invalid parameter type";
    /// 9007: invalid parameter value.
    INVALID_PARAMETER_VALUE = 9007, Client, "Invalid parameter value";
    /// 9008: attempt to set a non-writable parameter.
    NON_WRITABLE_PARAMETER = 9008, Client, "Attempt to set a non-writable parameter";
    /// 9009: notification request rejected.
    NOTIFICATION_REJECTED = 9009, Server, "Notification request rejected";
    /// 9010: file transfer failure.
    FILE_TRANSFER_FAILURE = 9010, Server, "File transfer failure";
    /// 9011: upload failure.
    UPLOAD_FAILURE = 9011, Server, "Upload failure";
    /// 9012: file transfer server authentication failure.
    FILE_TRANSFER_AUTH_FAILURE = 9012, Server, "File transfer server authentication failure";
    /// 9013: unsupported protocol for file transfer.
    UNSUPPORTED_TRANSFER_PROTOCOL = 9013, Server, "Unsupported protocol for file transfer";
    /// 9014: unable to join multicast group.
    TRANSFER_MULTICAST_JOIN = 9014, Server, "File transfer failure: unable to join multicast group";
    /// 9015: unable to contact file server.
    TRANSFER_CONTACT_SERVER = 9015, Server, "File transfer failure: unable to contact file server";
    /// 9016: unable to access file.
    TRANSFER_ACCESS_FILE = 9016, Server, "File transfer failure: unable to access file";
    /// 9017: unable to complete download.
    TRANSFER_INCOMPLETE = 9017, Server, "File transfer failure: unable to complete download";
    /// 9018: file corrupted.
    TRANSFER_FILE_CORRUPTED = 9018, Server, "File transfer failure: file corrupted";
    /// 9019: file authentication failure (e.g. a bad firmware signature).
    TRANSFER_FILE_AUTHENTICATION = 9019, Server, "File transfer failure: file authentication failure";
    /// 9020: unable to complete download within the specified time windows.
    TRANSFER_TIME_WINDOWS = 9020, Server, "File transfer failure: unable to complete download within specified time windows";
    /// 9021: cancellation not permitted in the current transfer state.
    CANCELATION_NOT_PERMITTED = 9021, Client, "Cancelation of file transfer not permitted in current transfer state";
    /// 9022: invalid UUID format (software module management).
    INVALID_UUID_FORMAT = 9022, Client, "Invalid UUID Format";
    /// 9023: unknown execution environment.
    UNKNOWN_EXECUTION_ENVIRONMENT = 9023, Server, "Unknown Execution Environment";
    /// 9024: disabled execution environment.
    DISABLED_EXECUTION_ENVIRONMENT = 9024, Server, "Disabled Execution Environment";
    /// 9025: deployment unit to execution environment mismatch.
    DEPLOYMENT_UNIT_EE_MISMATCH = 9025, Server, "Deployment Unit to Execution Environment Mismatch";
    /// 9026: duplicate deployment unit.
    DUPLICATE_DEPLOYMENT_UNIT = 9026, Server, "Duplicate Deployment Unit";
    /// 9027: system resources exceeded.
    SYSTEM_RESOURCES_EXCEEDED = 9027, Server, "System Resources Exceeded";
    /// 9028: unknown deployment unit.
    UNKNOWN_DEPLOYMENT_UNIT = 9028, Server, "Unknown Deployment Unit";
    /// 9029: invalid deployment unit state.
    INVALID_DEPLOYMENT_UNIT_STATE = 9029, Server, "Invalid Deployment Unit State";
    /// 9030: deployment unit update: downgrade not permitted.
    DEPLOYMENT_UNIT_DOWNGRADE = 9030, Server, "Invalid Deployment Unit Update - Downgrade not permitted";
    /// 9031: deployment unit update: version not specified.
    DEPLOYMENT_UNIT_VERSION_UNSPECIFIED = 9031, Server, "Invalid Deployment Unit Update - Version not specified";
    /// 9032: deployment unit update: version already exists.
    DEPLOYMENT_UNIT_VERSION_EXISTS = 9032, Server, "Invalid Deployment Unit Update - Version already exists";
}

impl FaultCode {
    /// "No fault" in a `TransferComplete`/`AutonomousTransferComplete` FaultStruct.
    pub const NONE: FaultCode = FaultCode(0);

    /// A CPE fault (9000-9899).
    pub fn is_cpe(self) -> bool {
        (9000..=9899).contains(&self.0)
    }

    /// An ACS fault (8000-8899).
    pub fn is_acs(self) -> bool {
        (8000..=8899).contains(&self.0)
    }

    /// A vendor extension (9800-9899 or 8800-8899).
    pub fn is_vendor(self) -> bool {
        (9800..=9899).contains(&self.0) || (8800..=8899).contains(&self.0)
    }

    /// The standard string, or `"Vendor fault"`/`"Unknown fault"` for codes without one.
    pub fn text(self) -> &'static str {
        self.description().unwrap_or(if self.is_vendor() {
            "Vendor fault"
        } else {
            "Unknown fault"
        })
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.text())
    }
}

/// The SOAP 1.1 `faultcode` of a Fault (SOAP 1.1 §4.4.1). CWMP uses `Client` and
/// `Server`; the others are read so that any SOAP fault can be represented.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum SoapFaultCode {
    /// The request was at fault.
    Client,
    /// The responder failed.
    #[default]
    Server,
    /// A `mustUnderstand` header entry was not understood.
    MustUnderstand,
    /// The envelope namespace was wrong.
    VersionMismatch,
    /// Anything else, without its namespace prefix.
    Other(String),
}

impl SoapFaultCode {
    /// The code as written (without a prefix, as TR-069's examples show).
    pub fn as_str(&self) -> &str {
        match self {
            SoapFaultCode::Client => "Client",
            SoapFaultCode::Server => "Server",
            SoapFaultCode::MustUnderstand => "MustUnderstand",
            SoapFaultCode::VersionMismatch => "VersionMismatch",
            SoapFaultCode::Other(s) => s,
        }
    }

    /// Reads a `faultcode`, ignoring any namespace prefix (`SOAP-ENV:Client`).
    pub fn parse(text: &str) -> SoapFaultCode {
        let local = text.trim();
        let local = local.rsplit(':').next().unwrap_or(local);
        match local {
            "Client" => SoapFaultCode::Client,
            "Server" => SoapFaultCode::Server,
            "MustUnderstand" => SoapFaultCode::MustUnderstand,
            "VersionMismatch" => SoapFaultCode::VersionMismatch,
            other => SoapFaultCode::Other(other.to_owned()),
        }
    }
}

/// One failed parameter of a SetParameterValues fault (Annex A.3.2.1, A.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetParameterValuesFault {
    /// The parameter in error.
    pub parameter_name: String,
    /// Why (9005-9008 usually).
    pub fault_code: FaultCode,
    /// Human-readable detail.
    pub fault_string: String,
}

/// The CWMP part of a fault: `detail/cwmp:Fault`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CwmpFault {
    /// The fault code.
    pub code: FaultCode,
    /// Its string (the standard one unless there is something better to say).
    pub string: String,
    /// For SetParameterValues: one entry per parameter in error.
    pub set_parameter_values_faults: Vec<SetParameterValuesFault>,
}

/// A SOAP Fault in the Body: how either side refuses an RPC (Annex A.2.2).
///
/// A CWMP fault has `faultcode` Client/Server, `faultstring` "CWMP fault" and
/// `detail/cwmp:Fault`; a plain SOAP fault (e.g. `MustUnderstand`) has no detail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// SOAP `faultcode`.
    pub soap_code: SoapFaultCode,
    /// SOAP `faultstring` ("CWMP fault" for CWMP faults).
    pub soap_string: String,
    /// The `detail/cwmp:Fault`, if present.
    pub cwmp: Option<CwmpFault>,
}

impl Fault {
    /// A CWMP fault with the code's standard string and SOAP faultcode.
    ///
    /// ```
    /// use tipring_cwmp::{Fault, FaultCode, SoapFaultCode};
    /// let f = Fault::cwmp(FaultCode::INVALID_PARAMETER_NAME);
    /// assert_eq!(f.soap_code, SoapFaultCode::Client);
    /// assert_eq!(f.cwmp.unwrap().string, "Invalid parameter name");
    /// ```
    pub fn cwmp(code: FaultCode) -> Fault {
        Fault::cwmp_with(code, code.text())
    }

    /// A CWMP fault with a string of the caller's choosing.
    pub fn cwmp_with(code: FaultCode, string: impl Into<String>) -> Fault {
        Fault {
            soap_code: code.soap_fault_code(),
            soap_string: "CWMP fault".to_owned(),
            cwmp: Some(CwmpFault {
                code,
                string: string.into(),
                set_parameter_values_faults: Vec::new(),
            }),
        }
    }

    /// A SetParameterValues fault (9003 "Invalid arguments" overall, as Annex A.3.2.1
    /// asks, unless a single cause applies) listing each parameter in error.
    pub fn set_parameter_values(code: FaultCode, faults: Vec<SetParameterValuesFault>) -> Fault {
        let mut fault = Fault::cwmp(code);
        if let Some(c) = fault.cwmp.as_mut() {
            c.set_parameter_values_faults = faults;
        }
        fault
    }

    /// The SOAP `MustUnderstand` fault answering
    /// [`Error::MustUnderstand`](crate::Error::MustUnderstand) (SOAP 1.1 §4.4.1).
    pub fn must_understand(element: &str) -> Fault {
        Fault {
            soap_code: SoapFaultCode::MustUnderstand,
            soap_string: format!("header entry {element} not understood"),
            cwmp: None,
        }
    }

    /// The CWMP fault code, if this is a CWMP fault.
    pub fn code(&self) -> Option<FaultCode> {
        self.cwmp.as_ref().map(|c| c.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Annex A.5.1 (CPE fault codes) and the XSD's CPEFaultCodeType list: the strings
    /// of the codes a gateway uses, including the file-transfer family 9014-9019.
    #[test]
    fn cpe_fault_strings() {
        let expect = [
            (9000, "Method not supported"),
            (9001, "Request denied (no reason specified)"),
            (9002, "Internal error"),
            (9003, "Invalid arguments"),
            (9004, "Resources exceeded"),
            (9005, "Invalid parameter name"),
            (9006, "Invalid parameter type"),
            (9007, "Invalid parameter value"),
            (9008, "Attempt to set a non-writable parameter"),
            (9009, "Notification request rejected"),
            (9010, "File transfer failure"),
            (9011, "Upload failure"),
            (9012, "File transfer server authentication failure"),
            (9013, "Unsupported protocol for file transfer"),
            (
                9014,
                "File transfer failure: unable to join multicast group",
            ),
            (9015, "File transfer failure: unable to contact file server"),
            (9016, "File transfer failure: unable to access file"),
            (9017, "File transfer failure: unable to complete download"),
            (9018, "File transfer failure: file corrupted"),
            (9019, "File transfer failure: file authentication failure"),
        ];
        for (code, text) in expect {
            assert_eq!(FaultCode(code).description(), Some(text), "{code}");
            assert!(FaultCode(code).is_cpe());
        }
    }

    /// Annex A.5.2 (ACS fault codes 8000-8005, and 8006 of CWMP 1.4).
    #[test]
    fn acs_fault_strings() {
        assert_eq!(FaultCode(8005).description(), Some("Retry request"));
        assert_eq!(
            FaultCode::ACS_VERSION_INCOMPATIBLE.description(),
            Some("ACS version incompatible with CPE")
        );
        assert!(FaultCode(8003).is_acs() && !FaultCode(8003).is_cpe());
        assert_eq!(FaultCode(8003).soap_fault_code(), SoapFaultCode::Client);
        assert_eq!(FaultCode(8005).soap_fault_code(), SoapFaultCode::Server);
    }

    /// Annex A.5: Client for faults caused by the request's arguments, Server otherwise.
    #[test]
    fn fault_sides() {
        for c in [9003, 9005, 9006, 9007, 9008] {
            assert_eq!(FaultCode(c).soap_fault_code(), SoapFaultCode::Client, "{c}");
        }
        for c in [9000, 9001, 9002, 9004, 9009, 9010, 9017, 9019] {
            assert_eq!(FaultCode(c).soap_fault_code(), SoapFaultCode::Server, "{c}");
        }
    }

    /// Unknown and vendor codes are kept as numbers.
    #[test]
    fn unknown_codes_kept() {
        let vendor = FaultCode(9810);
        assert!(vendor.is_vendor() && vendor.is_cpe());
        assert_eq!(vendor.description(), None);
        assert_eq!(vendor.to_string(), "9810 Vendor fault");
        assert_eq!(FaultCode(9500).text(), "Unknown fault");
        assert_eq!(FaultCode(12345).0, 12345);
        let mut sorted = FaultCode::KNOWN.to_vec();
        sorted.sort();
        assert_eq!(sorted, FaultCode::KNOWN);
    }

    /// SOAP 1.1 §4.4.1: faultcode is a QName; the prefix is ignored on reading.
    #[test]
    fn soap_fault_codes() {
        assert_eq!(
            SoapFaultCode::parse("SOAP-ENV:Client"),
            SoapFaultCode::Client
        );
        assert_eq!(SoapFaultCode::parse(" Server "), SoapFaultCode::Server);
        assert_eq!(
            SoapFaultCode::parse("s:MustUnderstand"),
            SoapFaultCode::MustUnderstand
        );
        assert_eq!(
            SoapFaultCode::parse("x:Client.Auth"),
            SoapFaultCode::Other("Client.Auth".into())
        );
    }

    #[test]
    fn constructors() {
        let f = Fault::set_parameter_values(
            FaultCode::INVALID_ARGUMENTS,
            vec![SetParameterValuesFault {
                parameter_name: "Device.X".into(),
                fault_code: FaultCode::NON_WRITABLE_PARAMETER,
                fault_string: "read-only".into(),
            }],
        );
        assert_eq!(f.soap_string, "CWMP fault");
        assert_eq!(f.code(), Some(FaultCode(9003)));
        assert_eq!(f.cwmp.unwrap().set_parameter_values_faults.len(), 1);
        let mu = Fault::must_understand("X_Foo");
        assert_eq!(mu.soap_code, SoapFaultCode::MustUnderstand);
        assert_eq!(mu.code(), None);
    }
}
