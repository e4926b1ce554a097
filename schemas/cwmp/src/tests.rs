//! Every message type: one sample of each [`Body`] variant (the exhaustive match below
//! makes adding a variant without a sample a compile error), written, read back equal,
//! and validated against the CWMP 1.2 XSD with xmllint (TR-069 Amd 6 Annex A).

use crate::*;

#[path = "../tests/cwmp/xmllint.rs"]
mod xmllint;

/// The index of a variant; exhaustive on purpose (no wildcard arm).
fn variant_index(body: &Body) -> usize {
    match body {
        Body::GetRpcMethods => 0,
        Body::GetRpcMethodsResponse(_) => 1,
        Body::SetParameterValues(_) => 2,
        Body::SetParameterValuesResponse(_) => 3,
        Body::GetParameterValues(_) => 4,
        Body::GetParameterValuesResponse(_) => 5,
        Body::GetParameterNames(_) => 6,
        Body::GetParameterNamesResponse(_) => 7,
        Body::SetParameterAttributes(_) => 8,
        Body::SetParameterAttributesResponse => 9,
        Body::GetParameterAttributes(_) => 10,
        Body::GetParameterAttributesResponse(_) => 11,
        Body::AddObject(_) => 12,
        Body::AddObjectResponse(_) => 13,
        Body::DeleteObject(_) => 14,
        Body::DeleteObjectResponse(_) => 15,
        Body::Download(_) => 16,
        Body::DownloadResponse(_) => 17,
        Body::Reboot(_) => 18,
        Body::RebootResponse => 19,
        Body::GetQueuedTransfers => 20,
        Body::GetQueuedTransfersResponse(_) => 21,
        Body::ScheduleInform(_) => 22,
        Body::ScheduleInformResponse => 23,
        Body::SetVouchers(_) => 24,
        Body::SetVouchersResponse => 25,
        Body::GetOptions(_) => 26,
        Body::GetOptionsResponse(_) => 27,
        Body::Upload(_) => 28,
        Body::UploadResponse(_) => 29,
        Body::FactoryReset => 30,
        Body::FactoryResetResponse => 31,
        Body::GetAllQueuedTransfers => 32,
        Body::GetAllQueuedTransfersResponse(_) => 33,
        Body::ScheduleDownload(_) => 34,
        Body::ScheduleDownloadResponse => 35,
        Body::CancelTransfer(_) => 36,
        Body::CancelTransferResponse => 37,
        Body::Inform(_) => 38,
        Body::InformResponse(_) => 39,
        Body::TransferComplete(_) => 40,
        Body::TransferCompleteResponse => 41,
        Body::AutonomousTransferComplete(_) => 42,
        Body::AutonomousTransferCompleteResponse => 43,
        Body::Kicked(_) => 44,
        Body::KickedResponse(_) => 45,
        Body::RequestDownload(_) => 46,
        Body::RequestDownloadResponse => 47,
        Body::Fault(_) => 48,
        Body::Unknown(_) => 49,
    }
}

const VARIANTS: usize = 50;

fn params() -> Vec<ParameterValue> {
    vec![
        ParameterValue::string("Device.DeviceInfo.SoftwareVersion", "2.4.1 <&> \"q\" 'a'"),
        ParameterValue::unsigned_int("Device.ManagementServer.PeriodicInformInterval", 3600),
        ParameterValue::int("Device.X_TIPRING_Gain", -6),
        ParameterValue::boolean("Device.Services.VoiceService.1.POTS.FXS.1.Enable", false),
        ParameterValue::date_time("Device.DeviceInfo.FirstUseDate", 1_700_000_000),
        ParameterValue::long("Device.X_TIPRING_Long", i64::MIN),
        ParameterValue::unsigned_long("Device.X_TIPRING_ULong", u64::MAX),
        ParameterValue::hex_binary("Device.X_TIPRING_Hex", b"\x01\xab"),
        ParameterValue::string("Device.X_TIPRING_Empty", ""),
    ]
}

const T0: &str = "2024-05-01T12:00:00Z";
const T1: &str = "2024-05-01T12:01:00Z";

/// One sample of every message (all fields non-default where the XSD allows).
fn samples() -> Vec<Body> {
    let download = Download {
        command_key: "dl-1".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: "https://files.example.net/fw.bin?a=1&b=2".into(),
        username: "user".into(),
        password: "p<w>".into(),
        file_size: 7_340_032,
        target_file_name: "fw.bin".into(),
        delay_seconds: 5,
        success_url: "http://ok".into(),
        failure_url: "http://ko".into(),
    };
    let transfer = TransferResponse {
        status: Status::Pending,
        start_time: time::UNKNOWN_TIME.into(),
        complete_time: time::UNKNOWN_TIME.into(),
    };
    vec![
        Body::GetRpcMethods,
        Body::GetRpcMethodsResponse(vec!["Inform".into(), "TransferComplete".into()]),
        Body::SetParameterValues(SetParameterValues {
            parameters: params(),
            parameter_key: "pk-1".into(),
        }),
        Body::SetParameterValuesResponse(Status::Pending),
        Body::GetParameterValues(vec!["Device.DeviceInfo.".into(), "Device.LAN.".into()]),
        Body::GetParameterValuesResponse(params()),
        Body::GetParameterNames(GetParameterNames {
            parameter_path: "Device.".into(),
            next_level: true,
        }),
        Body::GetParameterNamesResponse(vec![
            ParameterInfo {
                name: "Device.DeviceInfo.".into(),
                writable: false,
            },
            ParameterInfo {
                name: "Device.X_TIPRING_Gain".into(),
                writable: true,
            },
        ]),
        Body::SetParameterAttributes(vec![SetParameterAttributesStruct {
            name: "Device.DeviceInfo.SoftwareVersion".into(),
            notification_change: true,
            notification: Notification::ActiveLightweight,
            access_list_change: true,
            access_list: vec!["Subscriber".into()],
        }]),
        Body::SetParameterAttributesResponse,
        Body::GetParameterAttributes(vec!["Device.DeviceInfo.SoftwareVersion".into()]),
        Body::GetParameterAttributesResponse(vec![ParameterAttribute {
            name: "Device.DeviceInfo.SoftwareVersion".into(),
            notification: Notification::Active,
            access_list: vec![],
        }]),
        Body::AddObject(AddObject {
            object_name: "Device.Services.VoiceService.1.SIP.Client.".into(),
            parameter_key: "pk-2".into(),
        }),
        Body::AddObjectResponse(AddObjectResponse {
            instance_number: 3,
            status: Status::Applied,
        }),
        Body::DeleteObject(DeleteObject {
            object_name: "Device.Services.VoiceService.1.SIP.Client.3.".into(),
            parameter_key: "pk-3".into(),
        }),
        Body::DeleteObjectResponse(Status::Pending),
        Body::Download(download),
        Body::DownloadResponse(transfer.clone()),
        Body::Reboot("rb-1".into()),
        Body::RebootResponse,
        Body::GetQueuedTransfers,
        Body::GetQueuedTransfersResponse(vec![QueuedTransfer {
            command_key: "dl-1".into(),
            state: TransferState::InProgress,
        }]),
        Body::ScheduleInform(ScheduleInform {
            delay_seconds: 60,
            command_key: "si-1".into(),
        }),
        Body::ScheduleInformResponse,
        Body::SetVouchers(vec!["VGlwcmluZw==".into()]),
        Body::SetVouchersResponse,
        Body::GetOptions("X_TIPRING_Option".into()),
        Body::GetOptionsResponse(vec![
            OptionStruct {
                option_name: "X_TIPRING_Option".into(),
                voucher_sn: 17,
                state: 3,
                mode: 1,
                start_date: T0.into(),
                expiration_date: Some(T1.into()),
                is_transferable: 1,
            },
            OptionStruct {
                option_name: "X_TIPRING_Other".into(),
                start_date: T0.into(),
                ..OptionStruct::default()
            },
        ]),
        Body::Upload(Upload {
            command_key: "ul-1".into(),
            file_type: "2 Vendor Log File".into(),
            url: "http://acs/upload".into(),
            username: "u".into(),
            password: "p".into(),
            delay_seconds: 1,
        }),
        Body::UploadResponse(TransferResponse {
            status: Status::Applied,
            start_time: T0.into(),
            complete_time: T1.into(),
        }),
        Body::FactoryReset,
        Body::FactoryResetResponse,
        Body::GetAllQueuedTransfers,
        Body::GetAllQueuedTransfersResponse(vec![AllQueuedTransfer {
            command_key: "ul-1".into(),
            state: TransferState::Completed,
            is_download: false,
            file_type: "2 Vendor Log File".into(),
            file_size: 1234,
            target_file_name: "log.txt".into(),
        }]),
        Body::ScheduleDownload(ScheduleDownload {
            command_key: "sd-1".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: "http://files/fw.bin".into(),
            username: String::new(),
            password: String::new(),
            file_size: 99,
            target_file_name: String::new(),
            time_windows: vec![TimeWindow {
                window_start: 10,
                window_end: 3600,
                window_mode: "4 Confirmation Needed".into(),
                user_message: "Update?".into(),
                max_retries: -1,
            }],
        }),
        Body::ScheduleDownloadResponse,
        Body::CancelTransfer("sd-1".into()),
        Body::CancelTransferResponse,
        Body::Inform(Inform {
            device_id: DeviceId {
                manufacturer: "Tipring".into(),
                oui: "0011AA".into(),
                product_class: "FXS2".into(),
                serial_number: "TR2F000123".into(),
            },
            events: vec![
                EventStruct::new(event_code::BOOT),
                EventStruct {
                    event_code: event_code::M_REBOOT.into(),
                    command_key: "rb-1".into(),
                },
            ],
            max_envelopes: 1,
            current_time: T0.into(),
            retry_count: 4,
            parameters: params(),
        }),
        Body::InformResponse(1),
        Body::TransferComplete(TransferComplete {
            command_key: "dl-1".into(),
            fault: Some(TransferFault {
                code: FaultCode::TRANSFER_INCOMPLETE,
                string: FaultCode::TRANSFER_INCOMPLETE.text().into(),
            }),
            start_time: T0.into(),
            complete_time: T1.into(),
        }),
        Body::TransferCompleteResponse,
        Body::AutonomousTransferComplete(AutonomousTransferComplete {
            announce_url: "http://announce".into(),
            transfer_url: "http://files/fw.bin".into(),
            is_download: true,
            file_type: "1 Firmware Upgrade Image".into(),
            file_size: 99,
            target_file_name: "fw.bin".into(),
            fault: None,
            start_time: T0.into(),
            complete_time: T1.into(),
        }),
        Body::AutonomousTransferCompleteResponse,
        Body::Kicked(Kicked {
            command: "cmd".into(),
            referer: "http://ref".into(),
            arg: "arg".into(),
            next: "http://next".into(),
        }),
        Body::KickedResponse("http://next-url".into()),
        Body::RequestDownload(RequestDownload {
            file_type: "3 Vendor Configuration File".into(),
            file_type_args: vec![FileTypeArg {
                name: "Version".into(),
                value: "7".into(),
            }],
        }),
        Body::RequestDownloadResponse,
        Body::Fault(Fault::set_parameter_values(
            FaultCode::INVALID_ARGUMENTS,
            vec![SetParameterValuesFault {
                parameter_name: "Device.X".into(),
                fault_code: FaultCode::INVALID_PARAMETER_TYPE,
                fault_string: "expected unsignedInt".into(),
            }],
        )),
        Body::Unknown("X_TIPRING_Frobnicate".into()),
    ]
}

fn envelopes() -> Vec<Envelope> {
    samples()
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut env = Envelope::new(format!("id-{i}"), body);
            env.header.hold_requests = Some(i % 2 == 0);
            env
        })
        .collect()
}

#[test]
fn samples_cover_every_variant() {
    let mut seen = [false; VARIANTS];
    for b in samples() {
        seen[variant_index(&b)] = true;
    }
    assert!(seen.iter().all(|s| *s), "{seen:?}");
}

/// Every message reads back equal in every namespace version, and its method name is
/// the element written.
#[test]
fn every_message_round_trips() {
    for version in CwmpVersion::ALL {
        for mut env in envelopes() {
            env.version = version;
            let xml = env.to_xml();
            let back = parse(&xml).unwrap().unwrap();
            assert_eq!(back, env, "{}", String::from_utf8_lossy(&xml));
            let name = env.method_name().unwrap();
            let tag = if name == "Fault" {
                "<SOAP-ENV:Fault>".to_string()
            } else {
                format!("<cwmp:{name}>")
            };
            assert!(String::from_utf8_lossy(&xml).contains(&tag), "{name}");
        }
    }
}

/// Every message the CWMP 1.2 XSD declares validates (all but the unknown method).
#[test]
fn every_message_validates_against_the_xsd() {
    let docs: Vec<(String, Vec<u8>)> = envelopes()
        .iter()
        .filter(|e| !matches!(e.body, Some(Body::Unknown(_))))
        .map(|e| (e.method_name().unwrap().to_string(), e.to_xml()))
        .collect();
    assert_eq!(docs.len(), VARIANTS - 1);
    xmllint::validate(&docs);
}

/// Defaults (empty strings, zeros) still write well-formed XML that reads back equal.
#[test]
fn default_values_round_trip() {
    for body in samples() {
        let empty = match body {
            Body::Inform(_) => Body::Inform(Inform::default()),
            Body::Download(_) => Body::Download(Download::default()),
            Body::ScheduleDownload(_) => Body::ScheduleDownload(ScheduleDownload::default()),
            Body::Fault(_) => Body::Fault(Fault::default()),
            Body::GetParameterValuesResponse(_) => {
                Body::GetParameterValuesResponse(vec![ParameterValue::default()])
            }
            other => other,
        };
        let env = Envelope {
            body: Some(empty),
            ..Envelope::default()
        };
        assert_eq!(parse(&env.to_xml()).unwrap().unwrap(), env);
    }
}
