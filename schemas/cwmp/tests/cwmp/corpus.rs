//! The corpus under `tests/corpus/`: messages shaped like those of GenieACS, Axiros- and
//! FreeACS-like ACSs, old TR-098 CPEs and TR-181 CPEs (written for these tests). Each is
//! read, checked, written, read again and compared (round trip).

use tipring_cwmp::{
    event_code, Body, CwmpVersion, FaultCode, Notification, SoapFaultCode, TransferState, ValueType,
};

use crate::{assert_round_trip, corpus, read};

/// (file, namespace version, method, cwmp:ID) for every corpus file.
const EXPECTED: &[(&str, CwmpVersion, &str, Option<&str>)] = &[
    ("acs-empty-body-hold.xml", CwmpVersion::V1_0, "", None),
    (
        "acs-fault-retry-request.xml",
        CwmpVersion::V1_2,
        "Fault",
        Some("4f2a"),
    ),
    (
        "acs-schedule-download.xml",
        CwmpVersion::V1_2,
        "ScheduleDownload",
        Some("AXR_0000000396"),
    ),
    (
        "acs-upload-log.xml",
        CwmpVersion::V1_0,
        "Upload",
        Some("FREEACS-1714564800124"),
    ),
    (
        "acs-use-cwmp-version-get-rpc-methods.xml",
        CwmpVersion::V1_2,
        "GetRPCMethods",
        Some("rpc-7"),
    ),
    (
        "axiros-download-hold-requests.xml",
        CwmpVersion::V1_2,
        "Download",
        Some("AXR_0000000393"),
    ),
    (
        "axiros-get-parameter-values.xml",
        CwmpVersion::V1_2,
        "GetParameterValues",
        Some("AXR_0000000391"),
    ),
    (
        "axiros-set-parameter-attributes.xml",
        CwmpVersion::V1_2,
        "SetParameterAttributes",
        Some("AXR_0000000392"),
    ),
    (
        "cpe-autonomous-transfer-complete.xml",
        CwmpVersion::V1_2,
        "AutonomousTransferComplete",
        Some("4f2c"),
    ),
    (
        "cpe-fault-method-not-supported.xml",
        CwmpVersion::V1_0,
        "Fault",
        Some("1dd9b1f0a43"),
    ),
    (
        "cpe-fault-set-parameter-values.xml",
        CwmpVersion::V1_2,
        "Fault",
        Some("AXR_0000000394"),
    ),
    (
        "cpe-get-all-queued-transfers-response.xml",
        CwmpVersion::V1_2,
        "GetAllQueuedTransfersResponse",
        Some("AXR_0000000397"),
    ),
    (
        "cpe-get-parameter-attributes-response.xml",
        CwmpVersion::V1_2,
        "GetParameterAttributesResponse",
        Some("AXR_0000000395"),
    ),
    (
        "cpe-get-parameter-names-response.xml",
        CwmpVersion::V1_0,
        "GetParameterNamesResponse",
        Some("1dd9b1f0a3f"),
    ),
    (
        "cpe-get-parameter-values-response-500.xml",
        CwmpVersion::V1_2,
        "GetParameterValuesResponse",
        Some("gpv-500"),
    ),
    (
        "cpe-get-rpc-methods-response.xml",
        CwmpVersion::V1_2,
        "GetRPCMethodsResponse",
        Some("rpc-7"),
    ),
    (
        "cpe-request-download.xml",
        CwmpVersion::V1_2,
        "RequestDownload",
        Some("4f2d"),
    ),
    (
        "cpe-transfer-complete-failed.xml",
        CwmpVersion::V1_2,
        "TransferComplete",
        Some("4f2b"),
    ),
    (
        "cpe-transfer-complete-ok.xml",
        CwmpVersion::V1_0,
        "TransferComplete",
        Some("2"),
    ),
    (
        "freeacs-inform-response-hold.xml",
        CwmpVersion::V1_0,
        "InformResponse",
        Some("1"),
    ),
    (
        "freeacs-set-parameter-values-tr104-issue1.xml",
        CwmpVersion::V1_0,
        "SetParameterValues",
        Some("FREEACS-1714564800123"),
    ),
    (
        "genieacs-add-object.xml",
        CwmpVersion::V1_0,
        "AddObject",
        Some("1dd9b1f0a40"),
    ),
    (
        "genieacs-download.xml",
        CwmpVersion::V1_0,
        "Download",
        Some("1dd9b1f0a41"),
    ),
    (
        "genieacs-get-parameter-names.xml",
        CwmpVersion::V1_0,
        "GetParameterNames",
        Some("1dd9b1f0a3f"),
    ),
    (
        "genieacs-get-parameter-values.xml",
        CwmpVersion::V1_0,
        "GetParameterValues",
        Some("1dd9b1f0a3d"),
    ),
    (
        "genieacs-inform-response.xml",
        CwmpVersion::V1_0,
        "InformResponse",
        Some("1dd9b1f0a3c"),
    ),
    (
        "genieacs-reboot.xml",
        CwmpVersion::V1_0,
        "Reboot",
        Some("1dd9b1f0a42"),
    ),
    (
        "genieacs-set-parameter-values.xml",
        CwmpVersion::V1_0,
        "SetParameterValues",
        Some("1dd9b1f0a3e"),
    ),
    (
        "tr098-igd-inform-cwmp-1-0.xml",
        CwmpVersion::V1_0,
        "Inform",
        Some("1"),
    ),
    (
        "tr181-device-inform-1-2.xml",
        CwmpVersion::V1_2,
        "Inform",
        Some("4f2a"),
    ),
    (
        "tr181-device-inform-1-4.xml",
        CwmpVersion::V1_4,
        "Inform",
        Some("cpe-00000001"),
    ),
];

/// Every corpus file is listed above, reads with the expected version, method and ID,
/// and survives the round trip (read, write, read: equal).
#[test]
fn every_corpus_file_reads_and_round_trips() {
    let files = corpus();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(names, expected, "corpus and table differ");
    for ((name, bytes), (_, version, method, id)) in files.iter().zip(EXPECTED) {
        let env = read(bytes);
        assert_eq!(env.version, *version, "{name}");
        assert_eq!(env.method_name().unwrap_or(""), *method, "{name}");
        assert_eq!(env.id(), *id, "{name}");
        assert_round_trip(&env);
    }
}

fn file(name: &str) -> tipring_cwmp::Envelope {
    let (_, bytes) = corpus().into_iter().find(|(n, _)| n == name).expect(name);
    read(&bytes)
}

/// TR-069 Amd 6 Annex A.3.3.1 from an old TR-098 CPE: cwmp-1-0, no xsi types,
/// pretty-printed, the deprecated NoMoreRequests header.
#[test]
fn tr098_inform() {
    let env = file("tr098-igd-inform-cwmp-1-0.xml");
    assert_eq!(env.header.no_more_requests, Some(false));
    let Some(Body::Inform(inf)) = env.body else {
        panic!()
    };
    assert_eq!(inf.device_id.oui, "00D09E");
    assert_eq!(inf.device_id.product_class, "ATA-2FXS");
    assert_eq!(inf.events.len(), 2);
    assert_eq!(inf.events[1].event_code, event_code::M_REBOOT);
    assert_eq!(inf.events[1].command_key, "cmdk-0042");
    assert_eq!(inf.current_time, "2009-11-23T08:15:02+01:00");
    assert_eq!(inf.parameters.len(), 9);
    assert!(inf.parameters.iter().all(|p| p.kind == ValueType::String));
    assert!(inf.parameters[0]
        .value
        .starts_with("InternetGatewayDevice:1.1[](Baseline:1"));
    assert_eq!(
        inf.parameters[6].name,
        "InternetGatewayDevice.ManagementServer.ParameterKey"
    );
    assert_eq!(inf.parameters[6].value, "");
    assert_eq!(
        inf.parameters[8].name,
        "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.1.Status"
    );
}

/// TR-181 Device:2 Informs in the 1-2 and 1-4 namespaces; CWMP 1.4 header entries
/// SessionTimeout and SupportedCWMPVersions (§3.5).
#[test]
fn tr181_informs() {
    let env = file("tr181-device-inform-1-2.xml");
    let Some(Body::Inform(inf)) = env.body else {
        panic!()
    };
    assert_eq!(inf.retry_count, 2);
    assert_eq!(inf.events[2].command_key, "si-17");
    let uptime = &inf.parameters[4];
    assert_eq!(
        (uptime.name.as_str(), &uptime.kind),
        ("Device.DeviceInfo.UpTime", &ValueType::UnsignedInt)
    );
    assert_eq!(uptime.as_u64(), Some(86_400));

    let env = file("tr181-device-inform-1-4.xml");
    assert_eq!(env.header.session_timeout, Some(60));
    assert_eq!(
        CwmpVersion::parse_list(env.header.supported_versions.as_deref().unwrap()),
        CwmpVersion::ALL.to_vec()
    );
    let Some(Body::Inform(inf)) = env.body else {
        panic!()
    };
    assert!(tipring_cwmp::time::is_unknown_time(&inf.current_time));
    assert_eq!(inf.events[0].event_code, event_code::BOOTSTRAP);
    assert_eq!(inf.parameters[6].kind, ValueType::DateTime);
    assert_eq!(inf.parameters[6].as_unix_time(), Some(1_714_468_364));
}

/// GenieACS-shaped SetParameterValues (A.3.2.1): soap-env prefix, 1-0, no arrayType,
/// escaped values.
#[test]
fn genieacs_set_parameter_values() {
    let env = file("genieacs-set-parameter-values.xml");
    let Some(Body::SetParameterValues(spv)) = env.body else {
        panic!()
    };
    assert_eq!(spv.parameter_key, "genieacs-1714564800");
    assert_eq!(spv.parameters.len(), 4);
    assert_eq!(spv.parameters[1].as_bool(), Some(true));
    assert_eq!(spv.parameters[2].value, "p&ss<w0rd>");
    let Some(Body::GetParameterValues(names)) = file("genieacs-get-parameter-values.xml").body
    else {
        panic!()
    };
    assert_eq!(names[2], "Device.Services.VoiceService.1.SIP.Client.");
}

/// TR-104 issue 1 provisioning under InternetGatewayDevice. with a CDATA password.
#[test]
fn freeacs_tr104_issue1() {
    let env = file("freeacs-set-parameter-values-tr104-issue1.xml");
    let Some(Body::SetParameterValues(spv)) = env.body else {
        panic!()
    };
    assert_eq!(spv.parameters.len(), 6);
    assert_eq!(spv.parameters[5].value, "s3cr&t<pw>");
    assert_eq!(spv.parameters[1].kind, ValueType::UnsignedInt);
}

/// Axiros-shaped ACS RPCs: indentation, soapenv prefix, HoldRequests (§3.5), attributes
/// with Notification 6 (Amd 5/6 lightweight notification values).
#[test]
fn axiros_rpcs() {
    let env = file("axiros-download-hold-requests.xml");
    assert_eq!(env.header.hold_requests, Some(true));
    let Some(Body::Download(d)) = env.body else {
        panic!()
    };
    assert_eq!(
        d.url,
        "https://files.example.net/cfg/TR2F000123.xml?sig=a1b2&exp=1714568400"
    );
    assert_eq!((d.password.as_str(), d.delay_seconds), ("Zx9!q<7", 30));

    let Some(Body::SetParameterAttributes(list)) = file("axiros-set-parameter-attributes.xml").body
    else {
        panic!()
    };
    assert!(list[0].notification_change && !list[0].access_list_change);
    assert_eq!(list[0].notification, Notification::Active);
    assert_eq!(
        list[1].notification,
        Notification::PassiveAndActiveLightweight
    );
    assert_eq!(list[1].access_list, vec!["Subscriber".to_string()]);

    let Some(Body::ScheduleDownload(s)) = file("acs-schedule-download.xml").body else {
        panic!()
    };
    assert_eq!(s.time_windows.len(), 2);
    assert_eq!(s.time_windows[0].max_retries, -1);
    assert_eq!(s.time_windows[1].user_message, "Firmware update tonight");
}

/// Faults (A.5): SetParameterValuesFault entries, SOAP faultcode with a prefix, ACS 8005.
#[test]
fn faults() {
    let Some(Body::Fault(f)) = file("cpe-fault-set-parameter-values.xml").body else {
        panic!()
    };
    assert_eq!(f.soap_code, SoapFaultCode::Client);
    let cwmp = f.cwmp.unwrap();
    assert_eq!(cwmp.code, FaultCode::INVALID_ARGUMENTS);
    let codes: Vec<u32> = cwmp
        .set_parameter_values_faults
        .iter()
        .map(|s| s.fault_code.0)
        .collect();
    assert_eq!(codes, [9008, 9007, 9005]);
    assert_eq!(
        cwmp.set_parameter_values_faults[1].fault_string,
        "Invalid parameter value: 70000 > 65535"
    );

    let Some(Body::Fault(f)) = file("cpe-fault-method-not-supported.xml").body else {
        panic!()
    };
    assert_eq!(f.soap_code, SoapFaultCode::Server);
    assert_eq!(f.code(), Some(FaultCode::METHOD_NOT_SUPPORTED));

    let Some(Body::Fault(f)) = file("acs-fault-retry-request.xml").body else {
        panic!()
    };
    assert_eq!(f.code(), Some(FaultCode::ACS_RETRY_REQUEST));
}

/// TransferComplete (A.3.3.2): FaultCode 0 is "no fault".
#[test]
fn transfer_complete() {
    let Some(Body::TransferComplete(t)) = file("cpe-transfer-complete-failed.xml").body else {
        panic!()
    };
    let fault = t.fault.unwrap();
    assert_eq!(fault.code, FaultCode::TRANSFER_FILE_AUTHENTICATION);
    let Some(Body::TransferComplete(t)) = file("cpe-transfer-complete-ok.xml").body else {
        panic!()
    };
    assert_eq!(t.fault, None);
    assert_eq!(t.command_key, "fw-2.4.1");
    let Some(Body::AutonomousTransferComplete(a)) =
        file("cpe-autonomous-transfer-complete.xml").body
    else {
        panic!()
    };
    assert!(a.is_download && a.fault.is_none());
}

/// The 500-parameter GetParameterValuesResponse: all types, escaped text.
#[test]
fn large_get_parameter_values_response() {
    let Some(Body::GetParameterValuesResponse(params)) =
        file("cpe-get-parameter-values-response-500.xml").body
    else {
        panic!()
    };
    assert_eq!(params.len(), 500);
    assert_eq!(
        params[1].name,
        "Device.Services.VoiceService.1.POTS.FXS.1.Status"
    );
    for kind in [
        ValueType::String,
        ValueType::UnsignedInt,
        ValueType::Int,
        ValueType::Boolean,
        ValueType::DateTime,
        ValueType::UnsignedLong,
        ValueType::HexBinary,
        ValueType::Base64,
    ] {
        assert!(params.iter().any(|p| p.kind == kind), "{kind:?} missing");
    }
    for p in &params {
        match p.kind {
            ValueType::UnsignedInt | ValueType::UnsignedLong => assert!(p.as_u64().is_some()),
            ValueType::Int => assert!(p.as_i64().is_some()),
            ValueType::Boolean => assert!(p.as_bool().is_some()),
            ValueType::DateTime => assert!(p.as_unix_time().is_some()),
            ValueType::HexBinary => assert!(p.as_hex_bytes().is_some()),
            ValueType::Base64 => assert_eq!(p.as_base64_bytes().unwrap(), b"Tipring"),
            _ => {}
        }
    }
    assert!(params
        .iter()
        .any(|p| p.value.contains("<") && p.value.contains("&")));
}

/// The remaining responses of the corpus (A.3.1.1, A.3.2.3, A.3.2.5, A.4.1.7, A.4.2.2).
#[test]
fn responses() {
    let Some(Body::GetRpcMethodsResponse(m)) = file("cpe-get-rpc-methods-response.xml").body else {
        panic!()
    };
    assert_eq!(m.len(), 14);
    let Some(Body::GetParameterNamesResponse(n)) =
        file("cpe-get-parameter-names-response.xml").body
    else {
        panic!()
    };
    assert_eq!(n.iter().filter(|i| i.writable).count(), 4);
    let Some(Body::GetParameterAttributesResponse(a)) =
        file("cpe-get-parameter-attributes-response.xml").body
    else {
        panic!()
    };
    assert!(a[0].access_list.is_empty());
    let Some(Body::GetAllQueuedTransfersResponse(q)) =
        file("cpe-get-all-queued-transfers-response.xml").body
    else {
        panic!()
    };
    assert_eq!(q[1].state, TransferState::InProgress);
    assert!(q[0].is_download && !q[1].is_download);
    let Some(Body::RequestDownload(r)) = file("cpe-request-download.xml").body else {
        panic!()
    };
    assert_eq!(r.file_type_args[0].value, "v7");
    let Some(Body::InformResponse(1)) = file("freeacs-inform-response-hold.xml").body else {
        panic!()
    };
    let env = file("acs-use-cwmp-version-get-rpc-methods.xml");
    assert_eq!(env.header.use_version.as_deref(), Some("1.4"));
    assert_eq!(env.header.session_timeout, Some(30));
    let env = file("acs-empty-body-hold.xml");
    assert_eq!((env.header.hold_requests, env.body), (Some(true), None));
}
