//! # tipring-cwmp — the CWMP (TR-069) SOAP codec
//!
//! Every CWMP 1.4 message (TR-069 Issue 1 Amendment 6, Annex A) as a Rust type, a
//! tolerant reader for what real ACSs and CPEs send, and a writer producing what they
//! expect. It is shared by the gateway's CPE session (`tipring-cpe`) and the
//! provisioner's ACS, so every message reads and writes in both directions. No I/O, no
//! clock: bytes in, [`Envelope`] out, and back.
//!
//! * [`parse`] / [`parse_with`] read one HTTP body: `Ok(None)` for the empty POST that
//!   ends a session, `Ok(Some(envelope))` otherwise. [`parse_all`] reads several
//!   concatenated envelopes (CWMP 1.0, MaxEnvelopes > 1).
//! * [`Envelope::to_xml`] / [`Envelope::write_xml`] write one.
//! * [`Envelope::reply`] answers an envelope with the same `cwmp:ID` and namespace
//!   version (the reader reports the version the peer used).
//! * [`Error`] says what was wrong with the peer's bytes; errors that still identify
//!   the request ([`Error::InvalidArgument`], [`Error::MustUnderstand`]) carry its
//!   `cwmp:ID` so that a fault can be sent back ([`Error::cpe_fault`],
//!   [`Fault::must_understand`]).
//!
//! ## Reading an Inform and answering it (the ACS side)
//!
//! ```
//! use tipring_cwmp::{event_code, parse, Body, CwmpVersion};
//!
//! let http_body = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"
//!     xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/"
//!     xmlns:xsd="http://www.w3.org/2001/XMLSchema"
//!     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
//!     xmlns:cwmp="urn:dslforum-org:cwmp-1-0">
//!   <soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">1234</cwmp:ID></soap-env:Header>
//!   <soap-env:Body>
//!     <cwmp:Inform>
//!       <DeviceId><Manufacturer>Tipring</Manufacturer><OUI>0011AA</OUI>
//!         <ProductClass>FXS2</ProductClass><SerialNumber>TR0001</SerialNumber></DeviceId>
//!       <Event soap-enc:arrayType="cwmp:EventStruct[1]">
//!         <EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct>
//!       </Event>
//!       <MaxEnvelopes>1</MaxEnvelopes>
//!       <CurrentTime>2024-05-01T12:00:00Z</CurrentTime>
//!       <RetryCount>0</RetryCount>
//!       <ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]">
//!         <ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name>
//!           <Value xsi:type="xsd:string">1.0.0</Value></ParameterValueStruct>
//!       </ParameterList>
//!     </cwmp:Inform>
//!   </soap-env:Body>
//! </soap-env:Envelope>"#;
//!
//! let request = parse(http_body)?.expect("not an empty POST");
//! assert_eq!(request.version, CwmpVersion::V1_0); // the peer's namespace
//! let Some(Body::Inform(inform)) = &request.body else { panic!("not an Inform") };
//! assert_eq!(inform.device_id.serial_number, "TR0001");
//! assert_eq!(inform.events[0].event_code, event_code::BOOT);
//! assert_eq!(inform.parameters[0].value, "1.0.0");
//!
//! // The InformResponse: same cwmp:ID, same namespace, MaxEnvelopes 1.
//! let response = request.reply(Body::InformResponse(1));
//! let xml = String::from_utf8(response.to_xml()).unwrap();
//! assert!(xml.contains(r#"xmlns:cwmp="urn:dslforum-org:cwmp-1-0""#));
//! assert!(xml.contains(r#"<cwmp:ID SOAP-ENV:mustUnderstand="1">1234</cwmp:ID>"#));
//! assert!(xml.contains("<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"));
//! # Ok::<(), tipring_cwmp::Error>(())
//! ```
//!
//! ## Writing an Inform and answering an RPC (the CPE side)
//!
//! ```
//! use tipring_cwmp::{
//!     parse, Body, DeviceId, Envelope, EventStruct, Error, Fault, FaultCode, Inform,
//!     ParameterValue, event_code,
//! };
//!
//! let inform = Envelope::new("1", Body::Inform(Inform {
//!     device_id: DeviceId {
//!         manufacturer: "Tipring".into(),
//!         oui: "0011AA".into(),
//!         product_class: "FXS2".into(),
//!         serial_number: "TR0001".into(),
//!     },
//!     events: vec![EventStruct::new(event_code::BOOTSTRAP), EventStruct::new(event_code::BOOT)],
//!     max_envelopes: 1,
//!     current_time: tipring_cwmp::time::format_date_time(1_714_564_800),
//!     retry_count: 0,
//!     parameters: vec![ParameterValue::unsigned_int("Device.ManagementServer.PeriodicInformInterval", 3600)],
//! }));
//! let bytes = inform.to_xml(); // POST these to the ACS
//! assert_eq!(parse(&bytes)?, Some(inform)); // what is written reads back equal
//!
//! // Later the ACS sends an RPC; the CPE answers it or faults.
//! let from_acs = br#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"
//!   xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><S:Header><cwmp:ID S:mustUnderstand="1">9</cwmp:ID>
//!   </S:Header><S:Body><cwmp:X_ACME_Frobnicate/></S:Body></S:Envelope>"#;
//! let reply = match parse(from_acs) {
//!     Ok(Some(req)) => match &req.body {
//!         Some(Body::GetRpcMethods) => req.reply(Body::GetRpcMethodsResponse(vec!["Inform".into()])),
//!         _ => req.reply(Body::Fault(Fault::cwmp(FaultCode::METHOD_NOT_SUPPORTED))),
//!     },
//!     Ok(None) => return Ok(()), // the ACS has nothing more: the session ends
//!     Err(e @ Error::InvalidArgument { .. }) => Envelope::new(
//!         e.id().unwrap_or_default(),
//!         Body::Fault(Fault::cwmp(e.cpe_fault().unwrap())),
//!     ),
//!     Err(e) => return Err(e),
//! };
//! assert_eq!(reply.id(), Some("9"));
//! assert_eq!(reply.body, Some(Body::Fault(Fault::cwmp(FaultCode(9000)))));
//! # Ok::<(), tipring_cwmp::Error>(())
//! ```
//!
//! ## Tolerance and limits
//!
//! The reader matches local names only (any prefix, any `cwmp-1-x` namespace), ignores
//! element order, vendor elements, comments and unknown header entries (but reports a
//! `mustUnderstand="1"` one as [`Error::MustUnderstand`]), accepts CDATA, entity and
//! character references, SOAP-ENC arrays with or without `arrayType`, `Value`s without
//! `xsi:type` (read as `xsd:string`) and empty elements. Input is bounded by [`Limits`]
//! (4 MiB and 20,000 array members by default). [`parse`] spells out the rules.
//!
//! The writer declares `SOAP-ENV`, `SOAP-ENC`, `xsd`, `xsi` and `cwmp` on the Envelope,
//! puts `SOAP-ENC:arrayType` on arrays and `xsi:type` on every `Value`; its output
//! validates against `cwmp-1-2.xsd` (checked with `xmllint` in the tests), except that
//! base64 values are typed `xsd:base64`, the name deployed ACSs and CPEs use.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod fault;
mod message;
mod reader;
pub mod time;
mod value;
mod version;
mod writer;

#[cfg(test)]
mod tests;

pub use error::{Error, Result};
pub use fault::{CwmpFault, Fault, FaultCode, SetParameterValuesFault, SoapFaultCode};
pub use message::{
    event_code, AddObject, AddObjectResponse, AllQueuedTransfer, AutonomousTransferComplete, Body,
    DeleteObject, DeviceId, Download, Envelope, EventStruct, FileTypeArg, GetParameterNames,
    Header, Inform, Kicked, Notification, OptionStruct, ParameterAttribute, ParameterInfo,
    QueuedTransfer, RequestDownload, ScheduleDownload, ScheduleInform,
    SetParameterAttributesStruct, SetParameterValues, Status, TimeWindow, TransferComplete,
    TransferFault, TransferResponse, TransferState, Upload,
};
pub use reader::{parse, parse_all, parse_all_with, parse_with, Limits};
pub use value::{ParameterValue, ValueType};
pub use version::CwmpVersion;
