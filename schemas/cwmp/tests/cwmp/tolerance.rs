//! One test per tolerance rule of the reader (the brief's item 4; TR-069 Amd 6 §3.5 for
//! the envelope, Annex A for the messages; SOAP 1.1 §4 and §5 for envelope and
//! encoding).

use tipring_cwmp::{
    parse, parse_all, parse_with, Body, CwmpVersion, Envelope, Error, Fault, Limits,
    ParameterValue, ValueType,
};

use crate::{assert_round_trip, read};

const GPV_BODY: &str = "<ParameterNames><string>Device.DeviceInfo.</string></ParameterNames>";

/// A cwmp namespace declared on a header entry is out of the message's scope: the
/// message's own (or the Envelope's) declaration decides the version; the entry's is
/// only a last resort.
#[test]
fn header_entry_declarations_are_scoped() {
    let xml = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><s:Header>\
        <cwmp:ID xmlns:cwmp=\"urn:dslforum-org:cwmp-1-4\" s:mustUnderstand=\"1\">1</cwmp:ID></s:Header>\
        <s:Body><cwmp:GetRPCMethods/></s:Body></s:Envelope>";
    assert_eq!(read(xml.as_bytes()).version, CwmpVersion::V1_2);
    let only_header =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>\
        <c:ID xmlns:c=\"urn:dslforum-org:cwmp-1-1\" s:mustUnderstand=\"1\">1</c:ID></s:Header>\
        <s:Body><GetRPCMethods/></s:Body></s:Envelope>";
    assert_eq!(read(only_header.as_bytes()).version, CwmpVersion::V1_1);
    let none = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><GetRPCMethods/></s:Body></s:Envelope>";
    assert_eq!(read(none.as_bytes()).version, CwmpVersion::default());
}

/// Any prefix for the envelope and cwmp namespaces, any of the five cwmp URIs, and a
/// default namespace: same message, version as declared (§3.5, Annex A.6).
#[test]
fn any_prefix_and_namespace_version() {
    for v in CwmpVersion::ALL {
        for (env_p, cwmp_p) in [("SOAP-ENV", "cwmp"), ("soap", "c"), ("s", "ns1"), ("E", "")] {
            let cwmp_decl = if cwmp_p.is_empty() {
                format!("xmlns=\"{}\"", v.urn())
            } else {
                format!("xmlns:{cwmp_p}=\"{}\"", v.urn())
            };
            let q = |name: &str| {
                if cwmp_p.is_empty() {
                    name.to_string()
                } else {
                    format!("{cwmp_p}:{name}")
                }
            };
            let xml = format!(
                "<{env_p}:Envelope xmlns:{env_p}=\"http://schemas.xmlsoap.org/soap/envelope/\" {cwmp_decl}>\
                 <{env_p}:Header><{id} {env_p}:mustUnderstand=\"1\">x1</{id}></{env_p}:Header>\
                 <{env_p}:Body><{gpv}>{GPV_BODY}</{gpv}></{env_p}:Body></{env_p}:Envelope>",
                id = q("ID"),
                gpv = q("GetParameterValues"),
            );
            let env = read(xml.as_bytes());
            assert_eq!(env.version, v, "{xml}");
            assert_eq!(env.id(), Some("x1"));
            assert_eq!(
                env.body,
                Some(Body::GetParameterValues(vec!["Device.DeviceInfo.".into()]))
            );
            // and the reply speaks the peer's version
            assert_eq!(env.reply(Body::FactoryResetResponse).version, v);
        }
    }
}

/// The namespace may be declared on the RPC element itself rather than the Envelope.
#[test]
fn namespace_declared_on_the_message() {
    let xml = "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body>\
        <x:Reboot xmlns:x=\"urn:dslforum-org:cwmp-1-3\"><CommandKey>k</CommandKey></x:Reboot>\
        </Body></Envelope>";
    let env = read(xml.as_bytes());
    assert_eq!(env.version, CwmpVersion::V1_3);
    assert_eq!(env.body, Some(Body::Reboot("k".into())));
}

fn gpv_response(params: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <soap:Body><cwmp:GetParameterValuesResponse>{params}</cwmp:GetParameterValuesResponse>\
         </soap:Body></soap:Envelope>"
    )
}

fn values(xml: &str) -> Vec<ParameterValue> {
    match read(xml.as_bytes()).body {
        Some(Body::GetParameterValuesResponse(v)) => v,
        other => panic!("{other:?}"),
    }
}

/// A Value without xsi:type reads as xsd:string; any prefix on the type is accepted
/// (Annex A.2.1 types).
#[test]
fn missing_or_foreign_xsi_type() {
    let v = values(&gpv_response(
        "<ParameterList>\
         <ParameterValueStruct><Name>A</Name><Value>x</Value></ParameterValueStruct>\
         <ParameterValueStruct><Name>B</Name><Value xsi:type=\"xs:int\">-3</Value></ParameterValueStruct>\
         <ParameterValueStruct><Name>C</Name><Value i:type=\"SOAP-ENC:base64\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">AA==</Value></ParameterValueStruct>\
         <ParameterValueStruct><Name>D</Name><Value xsi:type=\"xsd:decimal\">1.5</Value></ParameterValueStruct>\
         </ParameterList>",
    ));
    let kinds: Vec<_> = v.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            ValueType::String,
            ValueType::Int,
            ValueType::Base64,
            ValueType::Unknown("decimal".into())
        ]
    );
    assert_eq!(v[1].as_i64(), Some(-3));
}

/// SOAP 1.1 §5.4.2 arrays: with arrayType, without it, with a wrong count, and with
/// member elements of any name.
#[test]
fn arrays_with_or_without_array_type() {
    let member = |n: &str| {
        format!("<ParameterValueStruct><Name>{n}</Name><Value>v</Value></ParameterValueStruct>")
    };
    let members = format!("{}{}", member("A"), member("B"));
    let with = gpv_response(&format!(
        "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\" \
         xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\">{members}</ParameterList>"
    ));
    let without = gpv_response(&format!("<ParameterList>{members}</ParameterList>"));
    let wrong = gpv_response(&format!(
        "<ParameterList SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[99999999999]\">{members}</ParameterList>"
    ));
    let renamed = gpv_response(
        "<ParameterList><item><Name>A</Name><Value>v</Value></item>\
         <cwmp:ParameterValueStruct><Name>B</Name><Value>v</Value></cwmp:ParameterValueStruct></ParameterList>",
    );
    let expect = values(&with);
    assert_eq!(expect.len(), 2);
    assert_eq!(values(&without), expect);
    assert_eq!(values(&wrong), expect);
    assert_eq!(values(&renamed), expect);
}

/// Whitespace between elements and around typed values; strings keep theirs.
#[test]
fn extra_whitespace() {
    let xml = "\n\n  <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\t\
        <soap:Header>\n  <cwmp:ID soap:mustUnderstand=\" 1 \">\n  abc \n</cwmp:ID>\n</soap:Header>\n\
        <soap:Body>\n <cwmp:GetParameterNames>\n  <ParameterPath>\n Device.\n </ParameterPath>\n\
        <NextLevel>\r\n  true\r\n </NextLevel> \n </cwmp:GetParameterNames>\n</soap:Body>\n</soap:Envelope>\n\n";
    let env = read(xml.as_bytes());
    assert_eq!(env.id(), Some("abc"));
    let Some(Body::GetParameterNames(g)) = env.body else {
        panic!()
    };
    assert_eq!((g.parameter_path.as_str(), g.next_level), ("Device.", true));

    let v = values(&gpv_response(
        "<ParameterList>\n <ParameterValueStruct>\n  <Name> A.B </Name>\n\
         <Value xsi:type=\"xsd:unsignedInt\">\n 42 \n</Value>\n </ParameterValueStruct>\n\
         <ParameterValueStruct><Name>S</Name><Value xsi:type=\"xsd:string\">  two  spaces  </Value></ParameterValueStruct>\
         </ParameterList>",
    ));
    assert_eq!((v[0].name.as_str(), v[0].value.as_str()), ("A.B", "42"));
    assert_eq!(v[1].value, "  two  spaces  ");
}

/// Comments and processing instructions anywhere, CDATA sections in values.
#[test]
fn comments_and_cdata() {
    let xml = "<?xml version=\"1.0\"?><!-- lead --><?pi x?>\
        <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\">\
        <!-- c1 --><soap:Body><!-- c2 --><cwmp:SetParameterValues><!-- c3 -->\
        <ParameterList><ParameterValueStruct><Name>A<!-- mid -->B</Name>\
        <Value><![CDATA[<x> & ]]>y<![CDATA[]]></Value></ParameterValueStruct></ParameterList>\
        <ParameterKey><![CDATA[k]]></ParameterKey></cwmp:SetParameterValues></soap:Body></soap:Envelope><!-- tail -->";
    let Some(Body::SetParameterValues(s)) = read(xml.as_bytes()).body else {
        panic!()
    };
    assert_eq!(s.parameters[0].name, "AB");
    assert_eq!(s.parameters[0].value, "<x> & y");
    assert_eq!(s.parameter_key, "k");
}

/// The five predefined entities and character references, in text and attributes.
#[test]
fn entities_and_character_references() {
    let v = values(&gpv_response(
        "<ParameterList><ParameterValueStruct><Name>N</Name>\
         <Value xsi:type=\"xsd:&#115;tring\">&lt;&amp;&gt;&quot;&apos;&#x263A;&#233;&#13;&#10;</Value>\
         </ParameterValueStruct></ParameterList>",
    ));
    assert_eq!(v[0].kind, ValueType::String);
    assert_eq!(v[0].value, "<&>\"'☺é\r\n");
    assert_round_trip(&read(gpv_response_with(&v).as_bytes()));
}

fn gpv_response_with(v: &[ParameterValue]) -> String {
    String::from_utf8(Envelope::new("r", Body::GetParameterValuesResponse(v.to_vec())).to_xml())
        .unwrap()
}

/// Vendor elements are skipped wherever they appear: in the envelope, the body's
/// structures, the arrays' members; element order does not matter.
#[test]
fn vendor_elements_and_any_order() {
    let xml = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\" xmlns:x=\"urn:acme\"><x:Trace>t</x:Trace>\
        <soap:Body><cwmp:Inform><x:Extra><deep><deeper/></deep></x:Extra>\
        <RetryCount>3</RetryCount><ParameterList></ParameterList>\
        <Event><EventStruct><X_ACME_Why>because</X_ACME_Why><CommandKey/><EventCode>6 CONNECTION REQUEST</EventCode></EventStruct></Event>\
        <DeviceId><SerialNumber>S</SerialNumber><X_Vendor>v</X_Vendor><OUI>A1B2C3</OUI></DeviceId>\
        <CurrentTime>2024-05-01T12:00:00Z</CurrentTime><MaxEnvelopes>1</MaxEnvelopes></cwmp:Inform>\
        </soap:Body><x:After/></soap:Envelope>";
    let Some(Body::Inform(inf)) = read(xml.as_bytes()).body else {
        panic!()
    };
    assert_eq!(inf.retry_count, 3);
    assert_eq!(inf.device_id.serial_number, "S");
    assert_eq!(inf.device_id.oui, "A1B2C3");
    assert_eq!(inf.events[0].event_code, "6 CONNECTION REQUEST");
    assert_eq!(inf.max_envelopes, 1);
}

fn with_header(entries: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\" xmlns:v=\"urn:vendor\"><soap:Header>{entries}</soap:Header>\
         <soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>"
    )
}

/// SOAP 1.1 §4.2.3: unknown header entries are ignored unless mustUnderstand="1",
/// which is a distinct error carrying the cwmp:ID (answer with a MustUnderstand fault).
#[test]
fn unknown_header_entries() {
    let ok = with_header(
        "<cwmp:ID soap:mustUnderstand=\"1\">9</cwmp:ID><v:Trace>x</v:Trace>\
         <v:Session soap:mustUnderstand=\"0\">y</v:Session><v:Empty/>",
    );
    let env = read(ok.as_bytes());
    assert_eq!(
        (env.id(), &env.body),
        (Some("9"), &Some(Body::GetRpcMethods))
    );

    for mu in ["1", "true"] {
        let bad = with_header(&format!(
            "<cwmp:ID soap:mustUnderstand=\"1\">9</cwmp:ID><v:Billing soap:mustUnderstand=\"{mu}\">y</v:Billing>"
        ));
        let err = parse(bad.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            Error::MustUnderstand {
                element: "Billing".into(),
                id: Some("9".into())
            }
        );
        let fault = Fault::must_understand("Billing");
        let reply = Envelope::new(err.id().unwrap(), Body::Fault(fault));
        assert_round_trip(&reply);
    }

    let bad_value =
        with_header("<cwmp:HoldRequests soap:mustUnderstand=\"1\">perhaps</cwmp:HoldRequests>");
    assert!(matches!(
        parse(bad_value.as_bytes()),
        Err(Error::InvalidHeader { .. })
    ));
}

/// Empty elements (`<X/>` and `<X></X>`) read as empty strings, 0 and false.
#[test]
fn empty_elements() {
    let xml = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Body><cwmp:Download><CommandKey/>\
        <FileType>1 Firmware Upgrade Image</FileType><URL>http://f/x</URL><Username></Username>\
        <Password/><FileSize/><TargetFileName/><DelaySeconds></DelaySeconds><SuccessURL/>\
        </cwmp:Download></soap:Body></soap:Envelope>";
    let Some(Body::Download(d)) = read(xml.as_bytes()).body else {
        panic!()
    };
    assert_eq!(
        (d.command_key.as_str(), d.file_size, d.delay_seconds),
        ("", 0, 0)
    );
    assert_eq!(d.url, "http://f/x");

    let v = values(&gpv_response(
        "<ParameterList><ParameterValueStruct><Name>A</Name><Value/></ParameterValueStruct>\
         <ParameterValueStruct><Name>B</Name><Value xsi:type=\"xsd:unsignedInt\"/></ParameterValueStruct>\
         <ParameterValueStruct><Name/></ParameterValueStruct><ParameterValueStruct/></ParameterList>",
    ));
    assert_eq!(v.len(), 4);
    assert_eq!(
        (v[0].value.as_str(), &v[1].kind, v[1].value.as_str()),
        ("", &ValueType::UnsignedInt, "")
    );
    assert_eq!(v[3], ParameterValue::default());
    let empty_rpc = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
        <c:Reboot xmlns:c=\"urn:dslforum-org:cwmp-1-2\"/></s:Body></s:Envelope>";
    assert_eq!(
        read(empty_rpc.as_bytes()).body,
        Some(Body::Reboot(String::new()))
    );
}

/// Bounded input: the size limit (default 4 MiB) and the array-member limit (default
/// 20,000) give errors, never a panic or unbounded allocation.
#[test]
fn limits() {
    let defaults = Limits::default();
    assert_eq!(
        (defaults.max_bytes, defaults.max_items),
        (4 * 1024 * 1024, 20_000)
    );

    let big = vec![b' '; defaults.max_bytes + 1];
    assert_eq!(
        parse(&big),
        Err(Error::TooLarge {
            size: big.len(),
            limit: defaults.max_bytes
        })
    );

    let member = "<string>Device.</string>";
    let names = |n: usize| {
        format!(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:c=\"urn:dslforum-org:cwmp-1-2\"><s:Body><c:GetParameterValues><ParameterNames>{}\
             </ParameterNames></c:GetParameterValues></s:Body></s:Envelope>",
            member.repeat(n)
        )
    };
    let small = Limits {
        max_bytes: 1 << 20,
        max_items: 100,
    };
    let at_limit = parse_with(names(100).as_bytes(), &small).unwrap().unwrap();
    assert!(matches!(at_limit.body, Some(Body::GetParameterValues(ref v)) if v.len() == 100));
    assert_eq!(
        parse_with(names(101).as_bytes(), &small),
        Err(Error::TooManyItems { limit: 100 })
    );
    // the default item limit, with the default size limit
    assert_eq!(
        parse(names(20_001).as_bytes()),
        Err(Error::TooManyItems { limit: 20_000 })
    );
    assert!(parse(names(20_000).as_bytes()).is_ok());
    // a size limit smaller than the message
    let tight = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        parse_with(names(3).as_bytes(), &tight),
        Err(Error::TooLarge { .. })
    ));
    let err = Error::TooManyItems { limit: 1 };
    assert_eq!(
        err.cpe_fault(),
        Some(tipring_cwmp::FaultCode::RESOURCES_EXCEEDED)
    );
}

/// The empty HTTP POST is "no message"; an empty Body is an envelope without one;
/// concatenated envelopes (CWMP 1.0, MaxEnvelopes > 1) are read by parse_all.
#[test]
fn empty_post_empty_body_and_several_envelopes() {
    assert_eq!(parse(b"").unwrap(), None);
    assert_eq!(parse(b"\xEF\xBB\xBF\r\n").unwrap(), None);
    let one = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:c=\"urn:dslforum-org:cwmp-1-0\"><s:Header><c:ID s:mustUnderstand=\"1\">N</c:ID></s:Header>\
        <s:Body><c:InformResponse><MaxEnvelopes>2</MaxEnvelopes></c:InformResponse></s:Body></s:Envelope>";
    let two = format!(
        "<?xml version=\"1.0\"?>{}\n<?xml version=\"1.0\"?>\n{}",
        one.replace(">N<", ">1<"),
        one.replace(">N<", ">2<")
    );
    assert_eq!(parse(two.as_bytes()), Err(Error::MultipleEnvelopes(2)));
    let all = parse_all(two.as_bytes()).unwrap();
    assert_eq!(
        all.iter().map(|e| e.id().unwrap()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(all[0].body, Some(Body::InformResponse(2)));
    let no_body = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\n</s:Body></s:Envelope>";
    assert_eq!(read(no_body.as_bytes()).body, None);
    let two_msgs = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
        <c:Reboot xmlns:c=\"urn:dslforum-org:cwmp-1-2\"/><c:FactoryReset xmlns:c=\"urn:dslforum-org:cwmp-1-2\"/></s:Body></s:Envelope>";
    assert_eq!(parse(two_msgs.as_bytes()), Err(Error::MultipleMessages));
}

/// An RPC the codec does not model is reported by name (so the CPE can answer 9000).
#[test]
fn unknown_methods_by_name() {
    let xml = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:c=\"urn:dslforum-org:cwmp-1-2\"><s:Body><c:X_ACME_Frob><A>1</A></c:X_ACME_Frob></s:Body></s:Envelope>";
    let env = read(xml.as_bytes());
    assert_eq!(env.body, Some(Body::Unknown("X_ACME_Frob".into())));
    assert_round_trip(&env);
}

/// Malformed input is an error, never a panic: mismatched tags, truncation, bad UTF-8,
/// DTD entities.
#[test]
fn malformed_input_is_an_error() {
    let cases: &[&[u8]] = &[
        b"<s:Envelope xmlns:s=\"x\"><s:Body></s:Envelope>",
        b"<s:Envelope xmlns:s=\"x\"><s:Body>",
        b"<s:Envelope xmlns:s=\"x\"><s:Body><c:Reboot><CommandKey>\xff\xfe</CommandKey></c:Reboot></s:Body></s:Envelope>",
        b"<!DOCTYPE e [<!ENTITY x \"boom\">]><s:Envelope xmlns:s=\"x\"><s:Body><c:Reboot><CommandKey>&x;</CommandKey></c:Reboot></s:Body></s:Envelope>",
        b"<s:Envelope xmlns:s=\"x\" a=><s:Body/></s:Envelope>",
    ];
    for case in cases {
        assert!(parse(case).is_err(), "{}", String::from_utf8_lossy(case));
    }
}
