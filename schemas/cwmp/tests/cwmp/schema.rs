//! The writer's output validates against the CWMP 1.2 XSD (TR-069 Amd 6 Annex A.6,
//! `cwmp-1-2.xsd` of the shared reference data) inside a SOAP 1.1 envelope, checked by
//! `xmllint --schema` (Debian package libxml2-utils; the test fails with that hint when
//! it is missing, and skips with a message when the shared data is absent; CI has it).

use tipring_cwmp::{
    event_code, Body, CwmpVersion, DeviceId, Envelope, EventStruct, Fault, FaultCode, Header,
    Inform, ParameterValue, SetParameterValues, SetParameterValuesFault, TransferComplete,
    TransferFault, ValueType,
};

use crate::{corpus, read, xmllint};

fn named_messages() -> Vec<(String, Vec<u8>)> {
    let typed = vec![
        ParameterValue::string("Device.DeviceInfo.SoftwareVersion", "2.4.1 <beta> & \"rc\""),
        ParameterValue::unsigned_int("Device.DeviceInfo.UpTime", 4_000_000_000),
        ParameterValue::int(
            "Device.Services.VoiceService.1.POTS.FXS.1.VoiceProcessing.TransmitGain",
            -60,
        ),
        ParameterValue::boolean("Device.Services.VoiceService.1.POTS.FXS.1.Enable", true),
        ParameterValue::date_time("Device.DeviceInfo.FirstUseDate", 1_714_564_800),
        ParameterValue::long("Device.X_TIPRING_Offset", -9_000_000_000),
        ParameterValue::unsigned_long("Device.IP.Interface.1.Stats.BytesSent", u64::MAX),
        ParameterValue::hex_binary("Device.X_TIPRING_Key", &[0xde, 0xad, 0xbe, 0xef]),
        ParameterValue::string("Device.DeviceInfo.ProvisioningCode", ""),
        ParameterValue::string("Device.X_TIPRING_Note", "line1\r\nline2\ttab"),
    ];
    let inform = Envelope {
        version: CwmpVersion::V1_2,
        header: Header {
            hold_requests: Some(false),
            ..Header::with_id("cpe-1")
        },
        body: Some(Body::Inform(Inform {
            device_id: DeviceId {
                manufacturer: "Tipring".into(),
                oui: "0011AA".into(),
                product_class: "FXS2".into(),
                serial_number: "TR2F000123".into(),
            },
            events: vec![
                EventStruct::new(event_code::BOOT),
                EventStruct {
                    event_code: event_code::M_DOWNLOAD.into(),
                    command_key: "fw-1".into(),
                },
            ],
            max_envelopes: 1,
            current_time: tipring_cwmp::time::format_date_time(1_714_564_800),
            retry_count: 0,
            parameters: typed.clone(),
        })),
    };
    let gpv = Envelope::new("acs-2", Body::GetParameterValuesResponse(typed.clone()));
    let spv = Envelope::new(
        "acs-3",
        Body::SetParameterValues(SetParameterValues {
            parameters: typed,
            parameter_key: "key-1".into(),
        }),
    );
    let fault = Envelope::new(
        "acs-3",
        Body::Fault(Fault::set_parameter_values(
            FaultCode::INVALID_ARGUMENTS,
            vec![
                SetParameterValuesFault {
                    parameter_name: "Device.DeviceInfo.UpTime".into(),
                    fault_code: FaultCode::NON_WRITABLE_PARAMETER,
                    fault_string: FaultCode::NON_WRITABLE_PARAMETER.text().into(),
                },
                SetParameterValuesFault {
                    parameter_name: "Device.X".into(),
                    fault_code: FaultCode::INVALID_PARAMETER_NAME,
                    fault_string: "no such parameter".into(),
                },
            ],
        )),
    );
    let plain_fault = Envelope::new(
        "acs-4",
        Body::Fault(Fault::cwmp(FaultCode::ACS_RETRY_REQUEST)),
    );
    let tc_ok = Envelope::new(
        "cpe-5",
        Body::TransferComplete(TransferComplete {
            command_key: "fw-1".into(),
            fault: None,
            start_time: "2024-05-01T12:00:05Z".into(),
            complete_time: "2024-05-01T12:01:40Z".into(),
        }),
    );
    let tc_failed = Envelope::new(
        "cpe-6",
        Body::TransferComplete(TransferComplete {
            command_key: "fw-2".into(),
            fault: Some(TransferFault {
                code: FaultCode::TRANSFER_FILE_CORRUPTED,
                string: FaultCode::TRANSFER_FILE_CORRUPTED.text().into(),
            }),
            start_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
            complete_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
        }),
    );
    [
        ("inform", inform),
        ("get-parameter-values-response", gpv),
        ("set-parameter-values", spv),
        ("fault-set-parameter-values", fault),
        ("fault-retry", plain_fault),
        ("transfer-complete-ok", tc_ok),
        ("transfer-complete-failed", tc_failed),
    ]
    .into_iter()
    .map(|(n, e)| {
        assert_eq!(read(&e.to_xml()), e, "{n} does not round-trip");
        (n.to_string(), e.to_xml())
    })
    .collect()
}

/// Inform, GetParameterValuesResponse, SetParameterValues, Fault (with
/// SetParameterValuesFault entries) and TransferComplete, with values of every XSD
/// type, validate.
#[test]
fn written_messages_validate() {
    xmllint::validate(&named_messages());
}

/// Every corpus message, written back in the 1-2 namespace, validates. (Values typed
/// base64 are dropped first: `xsd:base64`, the name deployed peers use, is not an XML
/// Schema type; see the crate docs.)
#[test]
fn rewritten_corpus_validates() {
    let docs: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .map(|(name, bytes)| {
            let mut env = read(&bytes);
            env.version = CwmpVersion::V1_2;
            if let Some(Body::GetParameterValuesResponse(params)) = &mut env.body {
                params.retain(|p| p.kind != ValueType::Base64);
            }
            (name, env.to_xml())
        })
        .collect();
    xmllint::validate(&docs);
}

/// The check has teeth: a Value whose text is not of its xsi:type, and a header entry
/// that breaks its declaration, are rejected.
#[test]
fn invalid_output_is_rejected() {
    let bad_value = Envelope::new(
        "x",
        Body::GetParameterValuesResponse(vec![ParameterValue::new(
            "Device.A",
            "not-a-number",
            ValueType::UnsignedInt,
        )]),
    );
    let bad_oui = Envelope::new(
        "y",
        Body::Inform(Inform {
            device_id: DeviceId {
                oui: "not hex".into(),
                ..DeviceId::default()
            },
            current_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
            ..Inform::default()
        }),
    );
    for (name, env) in [("bad-value", bad_value), ("bad-oui", bad_oui)] {
        if let Some(result) = xmllint::check(&[(name.into(), env.to_xml())]) {
            let report = result.expect_err(name);
            assert!(report.contains("fails to validate"), "{report}");
        }
    }
}
