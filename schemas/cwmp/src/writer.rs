//! The writer: an [`Envelope`] to the XML that ACSs and CPEs expect.
//!
//! Shape (TR-069 Amd 6 §3.5 and Annex A): the `SOAP-ENV`, `SOAP-ENC`, `xsd`, `xsi` and
//! `cwmp` prefixes are declared on the Envelope; header entries and the RPC element are
//! `cwmp:`-qualified, their children unqualified (the XSD's elementFormDefault);
//! arrays carry `SOAP-ENC:arrayType`; every `Value` has an `xsi:type`. Text is escaped,
//! carriage returns are written as `&#13;` so that they survive XML line-end
//! normalization, and characters XML 1.0 cannot carry (C0 controls other than tab, LF
//! and CR) become U+FFFD, as the reader does.

use crate::fault::{Fault, FaultCode};
use crate::message::*;
use crate::value::{ParameterValue, ValueType};

const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP_ENC: &str = "http://schemas.xmlsoap.org/soap/encoding/";
const XSD: &str = "http://www.w3.org/2001/XMLSchema";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

impl Envelope {
    /// The envelope as an XML document (UTF-8).
    ///
    /// ```
    /// use tipring_cwmp::{Body, Envelope};
    /// let xml = Envelope::new("1", Body::InformResponse(1)).to_xml();
    /// let text = String::from_utf8(xml).unwrap();
    /// assert!(text.contains("<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>"));
    /// ```
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write_xml(&mut out);
        out
    }

    /// Appends the envelope's XML to `out` (reuse one buffer across messages).
    pub fn write_xml(&self, out: &mut Vec<u8>) {
        let mut w = Writer { out };
        w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"");
        w.raw(SOAP_ENV);
        w.raw("\" xmlns:SOAP-ENC=\"");
        w.raw(SOAP_ENC);
        w.raw("\" xmlns:xsd=\"");
        w.raw(XSD);
        w.raw("\" xmlns:xsi=\"");
        w.raw(XSI);
        w.raw("\" xmlns:cwmp=\"");
        w.raw(self.version.urn());
        w.raw("\">");
        if !self.header.is_empty() {
            write_header(&mut w, &self.header);
        }
        w.raw("<SOAP-ENV:Body>");
        if let Some(body) = &self.body {
            write_body(&mut w, body);
        }
        w.raw("</SOAP-ENV:Body></SOAP-ENV:Envelope>");
    }
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

impl Writer<'_> {
    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// Escaped character data (`attr` also escapes quotes, tabs and newlines).
    fn escaped(&mut self, s: &str, attr: bool) {
        let bytes = s.as_bytes();
        let special = |b: u8| match b {
            b'&' | b'<' | b'>' | b'\r' => true,
            b'"' | b'\t' | b'\n' => attr,
            0..=0x1f => true,
            _ => false,
        };
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !special(b) {
                continue;
            }
            self.out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            let rep: &str = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\r' => "&#13;",
                b'\t' => "&#9;",
                b'\n' => "&#10;",
                _ => "\u{FFFD}",
            };
            self.raw(rep);
        }
        self.out.extend_from_slice(&bytes[start..]);
    }

    fn open(&mut self, name: &str) {
        self.out.push(b'<');
        self.raw(name);
        self.out.push(b'>');
    }

    fn close(&mut self, name: &str) {
        self.raw("</");
        self.raw(name);
        self.out.push(b'>');
    }

    fn text_elem(&mut self, name: &str, text: &str) {
        self.open(name);
        self.escaped(text, false);
        self.close(name);
    }

    fn u64_elem(&mut self, name: &str, v: u64) {
        self.open(name);
        self.number(v, false);
        self.close(name);
    }

    fn i64_elem(&mut self, name: &str, v: i64) {
        self.open(name);
        self.number(v.unsigned_abs(), v < 0);
        self.close(name);
    }

    fn bool_elem(&mut self, name: &str, v: bool) {
        self.text_elem(name, if v { "true" } else { "false" });
    }

    fn number(&mut self, mut v: u64, negative: bool) {
        let mut buf = [0u8; 21];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if negative {
            i -= 1;
            buf[i] = b'-';
        }
        self.out.extend_from_slice(&buf[i..]);
    }

    /// `<name SOAP-ENC:arrayType="type[n]">`.
    fn open_array(&mut self, name: &str, item_type: &str, n: usize) {
        self.out.push(b'<');
        self.raw(name);
        self.raw(" SOAP-ENC:arrayType=\"");
        self.raw(item_type);
        self.out.push(b'[');
        self.number(n as u64, false);
        self.raw("]\">");
    }

    fn string_array(&mut self, name: &str, items: &[String]) {
        self.open_array(name, "xsd:string", items.len());
        for s in items {
            self.text_elem("string", s);
        }
        self.close(name);
    }

    /// A `cwmp:`-qualified RPC element with no arguments.
    fn empty_rpc(&mut self, name: &str) {
        self.rpc_open(name);
        self.rpc_close(name);
    }

    fn rpc_open(&mut self, name: &str) {
        self.raw("<cwmp:");
        self.raw(name);
        self.out.push(b'>');
    }

    fn rpc_close(&mut self, name: &str) {
        self.raw("</cwmp:");
        self.raw(name);
        self.out.push(b'>');
    }

    fn header_entry(&mut self, name: &str, must_understand: Option<&str>, text: &str) {
        self.raw("<cwmp:");
        self.raw(name);
        if let Some(mu) = must_understand {
            self.raw(" SOAP-ENV:mustUnderstand=\"");
            self.raw(mu);
            self.out.push(b'"');
        }
        self.out.push(b'>');
        self.escaped(text, false);
        self.rpc_close(name);
    }
}

fn write_header(w: &mut Writer<'_>, h: &Header) {
    w.raw("<SOAP-ENV:Header>");
    if let Some(id) = &h.id {
        w.header_entry("ID", Some("1"), id);
    }
    if let Some(hold) = h.hold_requests {
        w.header_entry(
            "HoldRequests",
            Some("1"),
            if hold { "true" } else { "false" },
        );
    }
    if let Some(t) = h.session_timeout {
        w.header_entry("SessionTimeout", Some("0"), &t.to_string());
    }
    if let Some(v) = &h.supported_versions {
        w.header_entry("SupportedCWMPVersions", Some("0"), v);
    }
    if let Some(v) = &h.use_version {
        w.header_entry("UseCWMPVersion", Some("1"), v);
    }
    if let Some(nmr) = h.no_more_requests {
        w.header_entry("NoMoreRequests", None, if nmr { "1" } else { "0" });
    }
    w.raw("</SOAP-ENV:Header>");
}

fn write_parameter_values(w: &mut Writer<'_>, params: &[ParameterValue]) {
    w.open_array("ParameterList", "cwmp:ParameterValueStruct", params.len());
    for p in params {
        w.raw("<ParameterValueStruct><Name>");
        w.escaped(&p.name, false);
        w.raw("</Name><Value xsi:type=\"");
        match &p.kind {
            ValueType::Unknown(local) => {
                w.raw("xsd:");
                w.escaped(local, true);
            }
            other => {
                w.raw("xsd:");
                w.raw(other.local_name());
            }
        }
        w.raw("\">");
        w.escaped(&p.value, false);
        w.raw("</Value></ParameterValueStruct>");
    }
    w.close("ParameterList");
}

fn write_transfer_fault(w: &mut Writer<'_>, fault: &Option<TransferFault>) {
    w.open("FaultStruct");
    match fault {
        Some(f) => {
            w.u64_elem("FaultCode", u64::from(f.code.0));
            w.text_elem("FaultString", &f.string);
        }
        None => {
            w.u64_elem("FaultCode", u64::from(FaultCode::NONE.0));
            w.text_elem("FaultString", "");
        }
    }
    w.close("FaultStruct");
}

fn write_transfer_response(w: &mut Writer<'_>, name: &str, r: &TransferResponse) {
    w.rpc_open(name);
    w.u64_elem("Status", u64::from(r.status.as_u8()));
    w.text_elem("StartTime", &r.start_time);
    w.text_elem("CompleteTime", &r.complete_time);
    w.rpc_close(name);
}

fn write_fault(w: &mut Writer<'_>, f: &Fault) {
    w.raw("<SOAP-ENV:Fault>");
    w.text_elem("faultcode", f.soap_code.as_str());
    w.text_elem("faultstring", &f.soap_string);
    if let Some(c) = &f.cwmp {
        w.raw("<detail><cwmp:Fault>");
        w.u64_elem("FaultCode", u64::from(c.code.0));
        w.text_elem("FaultString", &c.string);
        for spv in &c.set_parameter_values_faults {
            w.open("SetParameterValuesFault");
            w.text_elem("ParameterName", &spv.parameter_name);
            w.u64_elem("FaultCode", u64::from(spv.fault_code.0));
            w.text_elem("FaultString", &spv.fault_string);
            w.close("SetParameterValuesFault");
        }
        w.raw("</cwmp:Fault></detail>");
    }
    w.raw("</SOAP-ENV:Fault>");
}

fn write_body(w: &mut Writer<'_>, body: &Body) {
    let name = body.method_name();
    match body {
        Body::GetRpcMethods
        | Body::SetParameterAttributesResponse
        | Body::RebootResponse
        | Body::GetQueuedTransfers
        | Body::ScheduleInformResponse
        | Body::SetVouchersResponse
        | Body::FactoryReset
        | Body::FactoryResetResponse
        | Body::GetAllQueuedTransfers
        | Body::ScheduleDownloadResponse
        | Body::CancelTransferResponse
        | Body::TransferCompleteResponse
        | Body::AutonomousTransferCompleteResponse
        | Body::RequestDownloadResponse
        | Body::Unknown(_) => w.empty_rpc(name),
        Body::Fault(f) => write_fault(w, f),
        Body::GetRpcMethodsResponse(methods) => {
            w.rpc_open(name);
            w.string_array("MethodList", methods);
            w.rpc_close(name);
        }
        Body::SetParameterValues(spv) => {
            w.rpc_open(name);
            write_parameter_values(w, &spv.parameters);
            w.text_elem("ParameterKey", &spv.parameter_key);
            w.rpc_close(name);
        }
        Body::SetParameterValuesResponse(status) | Body::DeleteObjectResponse(status) => {
            w.rpc_open(name);
            w.u64_elem("Status", u64::from(status.as_u8()));
            w.rpc_close(name);
        }
        Body::GetParameterValues(names) | Body::GetParameterAttributes(names) => {
            w.rpc_open(name);
            w.string_array("ParameterNames", names);
            w.rpc_close(name);
        }
        Body::GetParameterValuesResponse(params) => {
            w.rpc_open(name);
            write_parameter_values(w, params);
            w.rpc_close(name);
        }
        Body::GetParameterNames(gpn) => {
            w.rpc_open(name);
            w.text_elem("ParameterPath", &gpn.parameter_path);
            w.bool_elem("NextLevel", gpn.next_level);
            w.rpc_close(name);
        }
        Body::GetParameterNamesResponse(infos) => {
            w.rpc_open(name);
            w.open_array("ParameterList", "cwmp:ParameterInfoStruct", infos.len());
            for info in infos {
                w.open("ParameterInfoStruct");
                w.text_elem("Name", &info.name);
                w.bool_elem("Writable", info.writable);
                w.close("ParameterInfoStruct");
            }
            w.close("ParameterList");
            w.rpc_close(name);
        }
        Body::SetParameterAttributes(list) => {
            w.rpc_open(name);
            w.open_array(
                "ParameterList",
                "cwmp:SetParameterAttributesStruct",
                list.len(),
            );
            for s in list {
                w.open("SetParameterAttributesStruct");
                w.text_elem("Name", &s.name);
                w.bool_elem("NotificationChange", s.notification_change);
                w.u64_elem("Notification", u64::from(s.notification.as_u8()));
                w.bool_elem("AccessListChange", s.access_list_change);
                w.string_array("AccessList", &s.access_list);
                w.close("SetParameterAttributesStruct");
            }
            w.close("ParameterList");
            w.rpc_close(name);
        }
        Body::GetParameterAttributesResponse(list) => {
            w.rpc_open(name);
            w.open_array("ParameterList", "cwmp:ParameterAttributeStruct", list.len());
            for a in list {
                w.open("ParameterAttributeStruct");
                w.text_elem("Name", &a.name);
                w.u64_elem("Notification", u64::from(a.notification.as_u8()));
                w.string_array("AccessList", &a.access_list);
                w.close("ParameterAttributeStruct");
            }
            w.close("ParameterList");
            w.rpc_close(name);
        }
        Body::AddObject(AddObject {
            object_name,
            parameter_key,
        })
        | Body::DeleteObject(DeleteObject {
            object_name,
            parameter_key,
        }) => {
            w.rpc_open(name);
            w.text_elem("ObjectName", object_name);
            w.text_elem("ParameterKey", parameter_key);
            w.rpc_close(name);
        }
        Body::AddObjectResponse(r) => {
            w.rpc_open(name);
            w.u64_elem("InstanceNumber", u64::from(r.instance_number));
            w.u64_elem("Status", u64::from(r.status.as_u8()));
            w.rpc_close(name);
        }
        Body::Download(d) => {
            w.rpc_open(name);
            w.text_elem("CommandKey", &d.command_key);
            w.text_elem("FileType", &d.file_type);
            w.text_elem("URL", &d.url);
            w.text_elem("Username", &d.username);
            w.text_elem("Password", &d.password);
            w.u64_elem("FileSize", u64::from(d.file_size));
            w.text_elem("TargetFileName", &d.target_file_name);
            w.u64_elem("DelaySeconds", u64::from(d.delay_seconds));
            w.text_elem("SuccessURL", &d.success_url);
            w.text_elem("FailureURL", &d.failure_url);
            w.rpc_close(name);
        }
        Body::DownloadResponse(r) | Body::UploadResponse(r) => write_transfer_response(w, name, r),
        Body::Reboot(key) | Body::CancelTransfer(key) => {
            w.rpc_open(name);
            w.text_elem("CommandKey", key);
            w.rpc_close(name);
        }
        Body::GetQueuedTransfersResponse(list) => {
            w.rpc_open(name);
            w.open_array("TransferList", "cwmp:QueuedTransferStruct", list.len());
            for t in list {
                w.open("QueuedTransferStruct");
                w.text_elem("CommandKey", &t.command_key);
                w.u64_elem("State", u64::from(t.state.as_u8()));
                w.close("QueuedTransferStruct");
            }
            w.close("TransferList");
            w.rpc_close(name);
        }
        Body::ScheduleInform(s) => {
            w.rpc_open(name);
            w.u64_elem("DelaySeconds", u64::from(s.delay_seconds));
            w.text_elem("CommandKey", &s.command_key);
            w.rpc_close(name);
        }
        Body::SetVouchers(vouchers) => {
            w.rpc_open(name);
            w.open_array("VoucherList", "SOAP-ENC:base64", vouchers.len());
            for v in vouchers {
                w.text_elem("base64", v);
            }
            w.close("VoucherList");
            w.rpc_close(name);
        }
        Body::GetOptions(option) => {
            w.rpc_open(name);
            w.text_elem("OptionName", option);
            w.rpc_close(name);
        }
        Body::GetOptionsResponse(list) => {
            w.rpc_open(name);
            w.open_array("OptionList", "cwmp:OptionStruct", list.len());
            for o in list {
                w.open("OptionStruct");
                w.text_elem("OptionName", &o.option_name);
                w.u64_elem("VoucherSN", u64::from(o.voucher_sn));
                w.u64_elem("State", u64::from(o.state));
                w.i64_elem("Mode", i64::from(o.mode));
                w.text_elem("StartDate", &o.start_date);
                if let Some(exp) = &o.expiration_date {
                    w.text_elem("ExpirationDate", exp);
                }
                w.i64_elem("IsTransferable", i64::from(o.is_transferable));
                w.close("OptionStruct");
            }
            w.close("OptionList");
            w.rpc_close(name);
        }
        Body::Upload(u) => {
            w.rpc_open(name);
            w.text_elem("CommandKey", &u.command_key);
            w.text_elem("FileType", &u.file_type);
            w.text_elem("URL", &u.url);
            w.text_elem("Username", &u.username);
            w.text_elem("Password", &u.password);
            w.u64_elem("DelaySeconds", u64::from(u.delay_seconds));
            w.rpc_close(name);
        }
        Body::GetAllQueuedTransfersResponse(list) => {
            w.rpc_open(name);
            w.open_array("TransferList", "cwmp:AllQueuedTransferStruct", list.len());
            for t in list {
                w.open("AllQueuedTransferStruct");
                w.text_elem("CommandKey", &t.command_key);
                w.u64_elem("State", u64::from(t.state.as_u8()));
                w.bool_elem("IsDownload", t.is_download);
                w.text_elem("FileType", &t.file_type);
                w.u64_elem("FileSize", u64::from(t.file_size));
                w.text_elem("TargetFileName", &t.target_file_name);
                w.close("AllQueuedTransferStruct");
            }
            w.close("TransferList");
            w.rpc_close(name);
        }
        Body::ScheduleDownload(s) => {
            w.rpc_open(name);
            w.text_elem("CommandKey", &s.command_key);
            w.text_elem("FileType", &s.file_type);
            w.text_elem("URL", &s.url);
            w.text_elem("Username", &s.username);
            w.text_elem("Password", &s.password);
            w.u64_elem("FileSize", u64::from(s.file_size));
            w.text_elem("TargetFileName", &s.target_file_name);
            w.open_array(
                "TimeWindowList",
                "cwmp:TimeWindowStruct",
                s.time_windows.len(),
            );
            for t in &s.time_windows {
                w.open("TimeWindowStruct");
                w.u64_elem("WindowStart", u64::from(t.window_start));
                w.u64_elem("WindowEnd", u64::from(t.window_end));
                w.text_elem("WindowMode", &t.window_mode);
                w.text_elem("UserMessage", &t.user_message);
                w.i64_elem("MaxRetries", i64::from(t.max_retries));
                w.close("TimeWindowStruct");
            }
            w.close("TimeWindowList");
            w.rpc_close(name);
        }
        Body::Inform(inf) => {
            w.rpc_open(name);
            w.open("DeviceId");
            w.text_elem("Manufacturer", &inf.device_id.manufacturer);
            w.text_elem("OUI", &inf.device_id.oui);
            w.text_elem("ProductClass", &inf.device_id.product_class);
            w.text_elem("SerialNumber", &inf.device_id.serial_number);
            w.close("DeviceId");
            w.open_array("Event", "cwmp:EventStruct", inf.events.len());
            for e in &inf.events {
                w.open("EventStruct");
                w.text_elem("EventCode", &e.event_code);
                w.text_elem("CommandKey", &e.command_key);
                w.close("EventStruct");
            }
            w.close("Event");
            w.u64_elem("MaxEnvelopes", u64::from(inf.max_envelopes));
            w.text_elem("CurrentTime", &inf.current_time);
            w.u64_elem("RetryCount", u64::from(inf.retry_count));
            write_parameter_values(w, &inf.parameters);
            w.rpc_close(name);
        }
        Body::InformResponse(max) => {
            w.rpc_open(name);
            w.u64_elem("MaxEnvelopes", u64::from(*max));
            w.rpc_close(name);
        }
        Body::TransferComplete(t) => {
            w.rpc_open(name);
            w.text_elem("CommandKey", &t.command_key);
            write_transfer_fault(w, &t.fault);
            w.text_elem("StartTime", &t.start_time);
            w.text_elem("CompleteTime", &t.complete_time);
            w.rpc_close(name);
        }
        Body::AutonomousTransferComplete(t) => {
            w.rpc_open(name);
            w.text_elem("AnnounceURL", &t.announce_url);
            w.text_elem("TransferURL", &t.transfer_url);
            w.bool_elem("IsDownload", t.is_download);
            w.text_elem("FileType", &t.file_type);
            w.u64_elem("FileSize", u64::from(t.file_size));
            w.text_elem("TargetFileName", &t.target_file_name);
            write_transfer_fault(w, &t.fault);
            w.text_elem("StartTime", &t.start_time);
            w.text_elem("CompleteTime", &t.complete_time);
            w.rpc_close(name);
        }
        Body::Kicked(k) => {
            w.rpc_open(name);
            w.text_elem("Command", &k.command);
            w.text_elem("Referer", &k.referer);
            w.text_elem("Arg", &k.arg);
            w.text_elem("Next", &k.next);
            w.rpc_close(name);
        }
        Body::KickedResponse(next) => {
            w.rpc_open(name);
            w.text_elem("NextURL", next);
            w.rpc_close(name);
        }
        Body::RequestDownload(r) => {
            w.rpc_open(name);
            w.text_elem("FileType", &r.file_type);
            w.open_array("FileTypeArg", "cwmp:ArgStruct", r.file_type_args.len());
            for a in &r.file_type_args {
                w.open("ArgStruct");
                w.text_elem("Name", &a.name);
                w.text_elem("Value", &a.value);
                w.close("ArgStruct");
            }
            w.close("FileTypeArg");
            w.rpc_close(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str, attr: bool) -> String {
        let mut out = Vec::new();
        Writer { out: &mut out }.escaped(s, attr);
        String::from_utf8(out).unwrap()
    }

    /// XML 1.0 §2.4 (& and < escaped), §2.11 (CR kept as a character reference),
    /// §2.2 (C0 controls other than tab/LF/CR are not XML characters).
    #[test]
    fn escaping() {
        assert_eq!(escaped("plain", false), "plain");
        assert_eq!(escaped("a<b>&c\"d'", false), "a&lt;b&gt;&amp;c\"d'");
        assert_eq!(escaped("a\"b\tc\nd", true), "a&quot;b&#9;c&#10;d");
        assert_eq!(escaped("l1\r\nl2\t", false), "l1&#13;\nl2\t");
        assert_eq!(escaped("x\u{1}y\u{1f}", false), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(escaped("héllo ☎", false), "héllo ☎");
    }

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        let mut w = Writer { out: &mut out };
        w.i64_elem("a", i64::MIN);
        w.u64_elem("b", u64::MAX);
        w.i64_elem("c", 0);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("<a>{}</a><b>{}</b><c>0</c>", i64::MIN, u64::MAX)
        );
    }

    /// Annex A.3.3.1 / §3.5: header entries qualified, mustUnderstand on ID; arrays
    /// with arrayType; every Value typed.
    #[test]
    fn inform_shape() {
        let env = Envelope {
            version: crate::CwmpVersion::V1_0,
            header: Header::with_id("7"),
            body: Some(Body::Inform(Inform {
                events: vec![EventStruct::new(event_code::BOOT)],
                max_envelopes: 1,
                parameters: vec![ParameterValue::unsigned_int("Device.A", 3)],
                ..Inform::default()
            })),
        };
        let xml = String::from_utf8(env.to_xml()).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope"));
        assert!(xml.contains("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\""));
        assert!(xml.contains("<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">7</cwmp:ID>"));
        assert!(xml.contains("<Event SOAP-ENC:arrayType=\"cwmp:EventStruct[1]\">"));
        assert!(xml.contains("SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[1]\""));
        assert!(xml.contains("<Value xsi:type=\"xsd:unsignedInt\">3</Value>"));
    }

    #[test]
    fn empty_header_and_body_omitted() {
        let xml = String::from_utf8(Envelope::default().to_xml()).unwrap();
        assert!(!xml.contains("Header"));
        assert!(xml.ends_with("<SOAP-ENV:Body></SOAP-ENV:Body></SOAP-ENV:Envelope>"));
    }
}
