//! The tolerant reader: CWMP envelopes as real ACSs and CPEs write them.
//!
//! Elements are matched on their local names, so any prefix and any of the
//! `urn:dslforum-org:cwmp-1-0` ... `cwmp-1-4` namespaces (and the SOAP 1.1 envelope
//! namespace under any prefix) are read alike. Element order inside a structure does
//! not matter; unknown (vendor) elements and unknown header entries are skipped, unless
//! a header entry says `mustUnderstand="1"`. Comments, CDATA, character and predefined
//! entity references, and whitespace between elements are accepted. A missing element
//! reads as its field's default (empty, 0, false); so does an empty one. Numbers,
//! booleans, dates and binary values are trimmed of surrounding whitespace; strings
//! (parameter values typed `xsd:string`) are kept exactly.
//!
//! Input is bounded by [`Limits`]: the total size is checked before reading and every
//! array member counts against one budget, so a hostile envelope costs at most linear
//! time and memory in its size.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, Result};
use crate::fault::{CwmpFault, Fault, FaultCode, SetParameterValuesFault, SoapFaultCode};
use crate::message::*;
use crate::value::{parse_bool, ParameterValue, ValueType};
use crate::version::CwmpVersion;

/// Bounds on what the reader accepts from a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted HTTP body, in bytes (default 4 MiB).
    pub max_bytes: usize,
    /// Most array members in one HTTP body: parameters, names, events, attributes,
    /// transfers... all counted together (default 20,000).
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_items: 20_000,
        }
    }
}

/// Reads one HTTP body with the default [`Limits`].
///
/// Elements are matched on their local names, so any prefix and any of the
/// `urn:dslforum-org:cwmp-1-0` ... `cwmp-1-4` namespaces (and the SOAP 1.1 envelope
/// namespace under any prefix) are read alike; [`Envelope::version`] is the cwmp
/// namespace bound to the message's prefix (else the first declared, else 1-2). Element
/// order inside a structure does not matter; unknown (vendor) elements and unknown
/// header entries are skipped, unless a header entry says `mustUnderstand="1"`
/// ([`Error::MustUnderstand`]). Comments, CDATA, character and predefined entity
/// references, and whitespace between elements are accepted; other entities are not
/// (no DTD is processed). A missing element reads as its field's default (empty, 0,
/// false); so does an empty one. Numbers, booleans, dates and binary values are
/// trimmed of surrounding whitespace; `xsd:string` parameter values and passwords are
/// kept exactly. An unknown method reads as [`Body::Unknown`]. Characters XML 1.0
/// forbids (C0 controls but tab, LF, CR) become U+FFFD.
///
/// `Ok(None)` is the empty HTTP POST (nothing but whitespace): "no message", as a CPE
/// sends to say it has no more requests (TR-069 Amd 6 §3.7.2.4). Several concatenated
/// envelopes (CWMP 1.0 with MaxEnvelopes > 1) are an [`Error::MultipleEnvelopes`]; read
/// those with [`parse_all`].
pub fn parse(bytes: &[u8]) -> Result<Option<Envelope>> {
    parse_with(bytes, &Limits::default())
}

/// [`parse`] with explicit limits.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Option<Envelope>> {
    let mut all = parse_all_with(bytes, limits)?;
    match all.len() {
        0 | 1 => Ok(all.pop()),
        n => Err(Error::MultipleEnvelopes(n)),
    }
}

/// Reads every envelope of an HTTP body (zero for an empty POST; several when a
/// CWMP 1.0 peer concatenates them), with the default [`Limits`].
pub fn parse_all(bytes: &[u8]) -> Result<Vec<Envelope>> {
    parse_all_with(bytes, &Limits::default())
}

/// [`parse_all`] with explicit limits.
pub fn parse_all_with(bytes: &[u8], limits: &Limits) -> Result<Vec<Envelope>> {
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut p = Parser::new(bytes, limits.max_items);
    let mut envelopes = Vec::new();
    while let Some(root) = p.next_root()? {
        envelopes.push(p.envelope(root)?);
    }
    Ok(envelopes)
}

/// A start tag and whether it was self-closing.
struct Elem<'a> {
    start: BytesStart<'a>,
    empty: bool,
}

impl Elem<'_> {
    fn local(&self) -> &[u8] {
        self.start.local_name().into_inner()
    }

    fn local_string(&self) -> String {
        String::from_utf8_lossy(self.local()).into_owned()
    }
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    max_items: usize,
    items: usize,
    /// cwmp namespace declarations in scope of the message (on the Envelope, Header,
    /// Body and the message's element): (prefix, version).
    ns: Vec<(Vec<u8>, CwmpVersion)>,
    /// Those declared on header entries: only a fallback for the version.
    header_ns: Vec<(Vec<u8>, CwmpVersion)>,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8], max_items: usize) -> Self {
        let reader = Reader::from_reader(bytes);
        Parser {
            reader,
            max_items,
            items: 0,
            ns: Vec::new(),
            header_ns: Vec::new(),
        }
    }

    fn xml_error(&self, message: impl Into<String>) -> Error {
        Error::Xml {
            position: self.reader.buffer_position(),
            message: message.into(),
        }
    }

    fn next_event(&mut self) -> Result<Event<'a>> {
        self.reader.read_event().map_err(|e| Error::Xml {
            position: self.reader.error_position(),
            message: e.to_string(),
        })
    }

    /// The next top-level element, or `None` at the end of the input.
    fn next_root(&mut self) -> Result<Option<Elem<'a>>> {
        loop {
            match self.next_event()? {
                Event::Start(start) => {
                    return Ok(Some(Elem {
                        start,
                        empty: false,
                    }))
                }
                Event::Empty(start) => return Ok(Some(Elem { start, empty: true })),
                Event::Eof => return Ok(None),
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                    return Err(Error::NotEnvelope("text".into()))
                }
                Event::End(_) => return Err(self.xml_error("unexpected end tag")),
            }
        }
    }

    /// The next child element of the element whose content is being read, or `None`
    /// at its end tag. Text, comments and processing instructions in between are
    /// skipped.
    fn next_child(&mut self) -> Result<Option<Elem<'a>>> {
        loop {
            match self.next_event()? {
                Event::Start(start) => {
                    return Ok(Some(Elem {
                        start,
                        empty: false,
                    }))
                }
                Event::Empty(start) => return Ok(Some(Elem { start, empty: true })),
                Event::End(_) => return Ok(None),
                Event::Eof => return Err(self.xml_error("unexpected end of input")),
                _ => {}
            }
        }
    }

    /// Skips an element and everything in it.
    fn skip(&mut self, el: &Elem<'a>) -> Result<()> {
        if !el.empty {
            self.reader
                .read_to_end(el.start.name())
                .map_err(|e| Error::Xml {
                    position: self.reader.error_position(),
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Calls `f` on each child element; `f` must consume the child.
    fn each_child(
        &mut self,
        el: &Elem<'a>,
        mut f: impl FnMut(&mut Self, Elem<'a>) -> Result<()>,
    ) -> Result<()> {
        if el.empty {
            return Ok(());
        }
        while let Some(child) = self.next_child()? {
            f(self, child)?;
        }
        Ok(())
    }

    /// The text content of an element: text, CDATA and references joined, nested
    /// elements skipped, XML-forbidden control characters replaced by U+FFFD.
    fn text(&mut self, el: &Elem<'a>) -> Result<Cow<'a, str>> {
        if el.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut acc: Option<Cow<'a, str>> = None;
        loop {
            let piece: Cow<'a, str> = match self.next_event()? {
                Event::Text(t) => t
                    .xml10_content()
                    .map_err(|e| self.xml_error(e.to_string()))?,
                Event::CData(c) => c
                    .xml10_content()
                    .map_err(|e| self.xml_error(e.to_string()))?,
                Event::GeneralRef(r) => {
                    let ch = self.resolve_ref(&r)?;
                    Cow::Owned(ch.to_string())
                }
                Event::Start(start) => {
                    self.skip(&Elem {
                        start,
                        empty: false,
                    })?;
                    continue;
                }
                Event::End(_) => break,
                Event::Eof => return Err(self.xml_error("unexpected end of input")),
                _ => continue,
            };
            match acc.as_mut() {
                None => acc = Some(piece),
                Some(a) => a.to_mut().push_str(&piece),
            }
        }
        let text = acc.unwrap_or(Cow::Borrowed(""));
        Ok(sanitize(text))
    }

    fn resolve_ref(&self, r: &BytesRef<'_>) -> Result<char> {
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(ch)) => Ok(ch),
                Ok(None) => Err(self.xml_error("bad character reference")),
                Err(e) => Err(self.xml_error(e.to_string())),
            };
        }
        match &**r {
            b"lt" => Ok('<'),
            b"gt" => Ok('>'),
            b"amp" => Ok('&'),
            b"apos" => Ok('\''),
            b"quot" => Ok('"'),
            other => Err(self.xml_error(format!(
                "unknown entity &{};",
                String::from_utf8_lossy(other)
            ))),
        }
    }

    /// Trimmed text, owned.
    fn string(&mut self, el: &Elem<'a>) -> Result<String> {
        let text = self.text(el)?;
        Ok(match text {
            Cow::Borrowed(s) => s.trim().to_owned(),
            Cow::Owned(s) => {
                let t = s.trim();
                if t.len() == s.len() {
                    s
                } else {
                    t.to_owned()
                }
            }
        })
    }

    /// A number (empty: 0).
    fn number<T: std::str::FromStr + Default>(&mut self, el: &Elem<'a>) -> Result<T> {
        let text = self.text(el)?;
        let t = text.trim();
        if t.is_empty() {
            return Ok(T::default());
        }
        t.strip_prefix('+')
            .unwrap_or(t)
            .parse()
            .map_err(|_| Error::invalid(&el.local_string(), t))
    }

    /// A boolean (empty: false).
    fn boolean(&mut self, el: &Elem<'a>) -> Result<bool> {
        let text = self.text(el)?;
        if text.trim().is_empty() {
            return Ok(false);
        }
        parse_bool(&text).ok_or_else(|| Error::invalid(&el.local_string(), text.trim()))
    }

    /// A small enumerated integer mapped through `f`.
    fn enumerated<T: Default>(&mut self, el: &Elem<'a>, f: fn(u8) -> Option<T>) -> Result<T> {
        let text = self.text(el)?;
        let t = text.trim();
        if t.is_empty() {
            return Ok(T::default());
        }
        t.parse::<u8>()
            .ok()
            .and_then(f)
            .ok_or_else(|| Error::invalid(&el.local_string(), t))
    }

    fn count_item(&mut self) -> Result<()> {
        self.items += 1;
        if self.items > self.max_items {
            return Err(Error::TooManyItems {
                limit: self.max_items,
            });
        }
        Ok(())
    }

    /// A SOAP-encoded array: every child element is a member, whatever its name
    /// (SOAP 1.1 §5.4.2); `SOAP-ENC:arrayType` is only a capacity hint.
    fn array<T>(
        &mut self,
        el: &Elem<'a>,
        mut item: impl FnMut(&mut Self, &Elem<'a>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let hint = array_len_hint(&el.start)
            .min(self.max_items.saturating_sub(self.items))
            .min(4096);
        let mut out = Vec::with_capacity(hint);
        self.each_child(el, |p, child| {
            p.count_item()?;
            out.push(item(p, &child)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn string_array(&mut self, el: &Elem<'a>) -> Result<Vec<String>> {
        self.array(el, |p, child| p.string(child))
    }

    /// Records cwmp namespace declarations (`xmlns:p="urn:dslforum-org:cwmp-1-N"`) in
    /// scope of the message.
    fn scan_ns(&mut self, start: &BytesStart<'_>) -> Result<()> {
        let found = self.cwmp_declarations(start)?;
        self.ns.extend(found);
        Ok(())
    }

    fn cwmp_declarations(&self, start: &BytesStart<'_>) -> Result<Vec<(Vec<u8>, CwmpVersion)>> {
        let mut found = Vec::new();
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| self.xml_error(e.to_string()))?;
            let key = attr.key.as_ref();
            let prefix = if key == b"xmlns" {
                &b""[..]
            } else if let Some(p) = key.strip_prefix(b"xmlns:") {
                p
            } else {
                continue;
            };
            let value = attr
                .unescape_value()
                .map_err(|e| self.xml_error(e.to_string()))?;
            if let Some(v) = CwmpVersion::from_urn(&value) {
                found.push((prefix.to_vec(), v));
            }
        }
        Ok(found)
    }

    /// The cwmp version bound to an element's prefix, if it is a cwmp one.
    fn version_of(&self, start: &BytesStart<'_>) -> Option<CwmpVersion> {
        let name = start.name();
        let prefix = name.prefix().map(|p| p.into_inner()).unwrap_or(b"");
        self.ns
            .iter()
            .rev()
            .find(|(p, _)| p.as_slice() == prefix)
            .map(|(_, v)| *v)
    }

    fn envelope(&mut self, el: Elem<'a>) -> Result<Envelope> {
        if el.local() != b"Envelope" {
            return Err(Error::NotEnvelope(el.local_string()));
        }
        self.ns.clear();
        self.header_ns.clear();
        self.scan_ns(&el.start)?;
        let mut env = Envelope::default();
        let mut body_version = None;
        self.each_child(&el, |p, child| {
            match child.local() {
                b"Header" => {
                    p.scan_ns(&child.start)?;
                    p.header(&child, &mut env.header)?;
                }
                b"Body" => {
                    p.scan_ns(&child.start)?;
                    let (body, version) = p.body(&child, &env.header)?;
                    env.body = body;
                    body_version = version;
                }
                _ => p.skip(&child)?,
            }
            Ok(())
        })?;
        env.version = body_version
            .or_else(|| self.ns.first().map(|(_, v)| *v))
            .or_else(|| self.header_ns.first().map(|(_, v)| *v))
            .unwrap_or_default();
        Ok(env)
    }

    fn header(&mut self, el: &Elem<'a>, h: &mut Header) -> Result<()> {
        self.each_child(el, |p, child| {
            let declared = p.cwmp_declarations(&child.start)?;
            p.header_ns.extend(declared);
            let invalid = |child: &Elem<'_>, value: &str| Error::InvalidHeader {
                element: child.local_string(),
                value: value.to_owned(),
            };
            match child.local() {
                b"ID" => h.id = Some(p.string(&child)?),
                b"HoldRequests" => {
                    let t = p.string(&child)?;
                    h.hold_requests = Some(if t.is_empty() {
                        false
                    } else {
                        parse_bool(&t).ok_or_else(|| invalid(&child, &t))?
                    });
                }
                b"NoMoreRequests" => {
                    let t = p.string(&child)?;
                    h.no_more_requests = Some(if t.is_empty() {
                        false
                    } else {
                        parse_bool(&t).ok_or_else(|| invalid(&child, &t))?
                    });
                }
                b"SessionTimeout" => {
                    let t = p.string(&child)?;
                    h.session_timeout = Some(if t.is_empty() {
                        0
                    } else {
                        t.parse().map_err(|_| invalid(&child, &t))?
                    });
                }
                b"SupportedCWMPVersions" => h.supported_versions = Some(p.string(&child)?),
                b"UseCWMPVersion" => h.use_version = Some(p.string(&child)?),
                _ => {
                    if must_understand(&child.start) {
                        return Err(Error::MustUnderstand {
                            element: child.local_string(),
                            id: h.id.clone(),
                        });
                    }
                    p.skip(&child)?;
                }
            }
            Ok(())
        })
    }

    fn body(
        &mut self,
        el: &Elem<'a>,
        header: &Header,
    ) -> Result<(Option<Body>, Option<CwmpVersion>)> {
        let mut body = None;
        let mut version = None;
        self.each_child(el, |p, child| {
            if body.is_some() {
                return Err(Error::MultipleMessages);
            }
            p.scan_ns(&child.start)?;
            version = p.version_of(&child.start);
            let msg = p.message(&child).map_err(|e| match e {
                Error::InvalidArgument { element, value, .. } => Error::InvalidArgument {
                    method: child.local_string(),
                    id: header.id.clone(),
                    element,
                    value,
                },
                other => other,
            })?;
            body = Some(msg);
            Ok(())
        })?;
        Ok((body, version))
    }

    fn message(&mut self, el: &Elem<'a>) -> Result<Body> {
        let body = match el.local() {
            b"GetRPCMethods" => self.empty(el, Body::GetRpcMethods)?,
            b"GetRPCMethodsResponse" => {
                let mut methods = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"MethodList" => methods = p.string_array(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetRpcMethodsResponse(methods)
            }
            b"SetParameterValues" => {
                let mut spv = SetParameterValues::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterList" => spv.parameters = p.parameter_values(&c)?,
                        b"ParameterKey" => spv.parameter_key = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::SetParameterValues(spv)
            }
            b"SetParameterValuesResponse" => Body::SetParameterValuesResponse(self.status(el)?),
            b"GetParameterValues" => Body::GetParameterValues(self.parameter_names(el)?),
            b"GetParameterValuesResponse" => {
                let mut params = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterList" => params = p.parameter_values(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetParameterValuesResponse(params)
            }
            b"GetParameterNames" => {
                let mut gpn = GetParameterNames::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterPath" => gpn.parameter_path = p.string(&c)?,
                        b"NextLevel" => gpn.next_level = p.boolean(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetParameterNames(gpn)
            }
            b"GetParameterNamesResponse" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterList" => {
                            list = p.array(&c, |p, item| {
                                let mut info = ParameterInfo::default();
                                p.each_child(item, |p, f| {
                                    match f.local() {
                                        b"Name" => info.name = p.string(&f)?,
                                        b"Writable" => info.writable = p.boolean(&f)?,
                                        _ => p.skip(&f)?,
                                    }
                                    Ok(())
                                })?;
                                Ok(info)
                            })?
                        }
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetParameterNamesResponse(list)
            }
            b"SetParameterAttributes" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterList" => {
                            list = p.array(&c, |p, item| {
                                let mut s = SetParameterAttributesStruct::default();
                                p.each_child(item, |p, f| {
                                    match f.local() {
                                        b"Name" => s.name = p.string(&f)?,
                                        b"NotificationChange" => {
                                            s.notification_change = p.boolean(&f)?
                                        }
                                        b"Notification" => {
                                            s.notification =
                                                p.enumerated(&f, Notification::from_u8)?
                                        }
                                        b"AccessListChange" => {
                                            s.access_list_change = p.boolean(&f)?
                                        }
                                        b"AccessList" => s.access_list = p.string_array(&f)?,
                                        _ => p.skip(&f)?,
                                    }
                                    Ok(())
                                })?;
                                Ok(s)
                            })?
                        }
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::SetParameterAttributes(list)
            }
            b"SetParameterAttributesResponse" => {
                self.empty(el, Body::SetParameterAttributesResponse)?
            }
            b"GetParameterAttributes" => Body::GetParameterAttributes(self.parameter_names(el)?),
            b"GetParameterAttributesResponse" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"ParameterList" => {
                            list = p.array(&c, |p, item| {
                                let mut a = ParameterAttribute::default();
                                p.each_child(item, |p, f| {
                                    match f.local() {
                                        b"Name" => a.name = p.string(&f)?,
                                        b"Notification" => {
                                            a.notification =
                                                p.enumerated(&f, Notification::from_u8)?
                                        }
                                        b"AccessList" => a.access_list = p.string_array(&f)?,
                                        _ => p.skip(&f)?,
                                    }
                                    Ok(())
                                })?;
                                Ok(a)
                            })?
                        }
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetParameterAttributesResponse(list)
            }
            b"AddObject" => {
                let (object_name, parameter_key) = self.object_request(el)?;
                Body::AddObject(AddObject {
                    object_name,
                    parameter_key,
                })
            }
            b"AddObjectResponse" => {
                let mut r = AddObjectResponse::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"InstanceNumber" => r.instance_number = p.number(&c)?,
                        b"Status" => r.status = p.enumerated(&c, Status::from_u8)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::AddObjectResponse(r)
            }
            b"DeleteObject" => {
                let (object_name, parameter_key) = self.object_request(el)?;
                Body::DeleteObject(DeleteObject {
                    object_name,
                    parameter_key,
                })
            }
            b"DeleteObjectResponse" => Body::DeleteObjectResponse(self.status(el)?),
            b"Download" => {
                let mut d = Download::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"CommandKey" => d.command_key = p.string(&c)?,
                        b"FileType" => d.file_type = p.string(&c)?,
                        b"URL" => d.url = p.string(&c)?,
                        b"Username" => d.username = p.string(&c)?,
                        b"Password" => d.password = p.text(&c)?.into_owned(),
                        b"FileSize" => d.file_size = p.number(&c)?,
                        b"TargetFileName" => d.target_file_name = p.string(&c)?,
                        b"DelaySeconds" => d.delay_seconds = p.number(&c)?,
                        b"SuccessURL" => d.success_url = p.string(&c)?,
                        b"FailureURL" => d.failure_url = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::Download(d)
            }
            b"DownloadResponse" => Body::DownloadResponse(self.transfer_response(el)?),
            b"Reboot" => Body::Reboot(self.command_key(el)?),
            b"RebootResponse" => self.empty(el, Body::RebootResponse)?,
            b"GetQueuedTransfers" => self.empty(el, Body::GetQueuedTransfers)?,
            b"GetQueuedTransfersResponse" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"TransferList" => {
                            list = p.array(&c, |p, item| {
                                let mut t = QueuedTransfer::default();
                                p.each_child(item, |p, f| {
                                    match f.local() {
                                        b"CommandKey" => t.command_key = p.string(&f)?,
                                        b"State" => {
                                            t.state = p.enumerated(&f, TransferState::from_u8)?
                                        }
                                        _ => p.skip(&f)?,
                                    }
                                    Ok(())
                                })?;
                                Ok(t)
                            })?
                        }
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetQueuedTransfersResponse(list)
            }
            b"ScheduleInform" => {
                let mut s = ScheduleInform::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"DelaySeconds" => s.delay_seconds = p.number(&c)?,
                        b"CommandKey" => s.command_key = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::ScheduleInform(s)
            }
            b"ScheduleInformResponse" => self.empty(el, Body::ScheduleInformResponse)?,
            b"SetVouchers" => {
                let mut vouchers = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"VoucherList" => vouchers = p.string_array(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::SetVouchers(vouchers)
            }
            b"SetVouchersResponse" => self.empty(el, Body::SetVouchersResponse)?,
            b"GetOptions" => {
                let mut name = String::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"OptionName" => name = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetOptions(name)
            }
            b"GetOptionsResponse" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"OptionList" => list = p.array(&c, Self::option_struct)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetOptionsResponse(list)
            }
            b"Upload" => {
                let mut u = Upload::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"CommandKey" => u.command_key = p.string(&c)?,
                        b"FileType" => u.file_type = p.string(&c)?,
                        b"URL" => u.url = p.string(&c)?,
                        b"Username" => u.username = p.string(&c)?,
                        b"Password" => u.password = p.text(&c)?.into_owned(),
                        b"DelaySeconds" => u.delay_seconds = p.number(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::Upload(u)
            }
            b"UploadResponse" => Body::UploadResponse(self.transfer_response(el)?),
            b"FactoryReset" => self.empty(el, Body::FactoryReset)?,
            b"FactoryResetResponse" => self.empty(el, Body::FactoryResetResponse)?,
            b"GetAllQueuedTransfers" => self.empty(el, Body::GetAllQueuedTransfers)?,
            b"GetAllQueuedTransfersResponse" => {
                let mut list = Vec::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"TransferList" => list = p.array(&c, Self::all_queued_transfer)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::GetAllQueuedTransfersResponse(list)
            }
            b"ScheduleDownload" => {
                let mut s = ScheduleDownload::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"CommandKey" => s.command_key = p.string(&c)?,
                        b"FileType" => s.file_type = p.string(&c)?,
                        b"URL" => s.url = p.string(&c)?,
                        b"Username" => s.username = p.string(&c)?,
                        b"Password" => s.password = p.text(&c)?.into_owned(),
                        b"FileSize" => s.file_size = p.number(&c)?,
                        b"TargetFileName" => s.target_file_name = p.string(&c)?,
                        b"TimeWindowList" => s.time_windows = p.array(&c, Self::time_window)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::ScheduleDownload(s)
            }
            b"ScheduleDownloadResponse" => self.empty(el, Body::ScheduleDownloadResponse)?,
            b"CancelTransfer" => Body::CancelTransfer(self.command_key(el)?),
            b"CancelTransferResponse" => self.empty(el, Body::CancelTransferResponse)?,
            b"Inform" => Body::Inform(self.inform(el)?),
            b"InformResponse" => {
                let mut max = 0;
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"MaxEnvelopes" => max = p.number(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::InformResponse(max)
            }
            b"TransferComplete" => {
                let mut t = TransferComplete::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"CommandKey" => t.command_key = p.string(&c)?,
                        b"FaultStruct" => t.fault = p.transfer_fault(&c)?,
                        b"StartTime" => t.start_time = p.string(&c)?,
                        b"CompleteTime" => t.complete_time = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::TransferComplete(t)
            }
            b"TransferCompleteResponse" => self.empty(el, Body::TransferCompleteResponse)?,
            b"AutonomousTransferComplete" => {
                let mut t = AutonomousTransferComplete::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"AnnounceURL" => t.announce_url = p.string(&c)?,
                        b"TransferURL" => t.transfer_url = p.string(&c)?,
                        b"IsDownload" => t.is_download = p.boolean(&c)?,
                        b"FileType" => t.file_type = p.string(&c)?,
                        b"FileSize" => t.file_size = p.number(&c)?,
                        b"TargetFileName" => t.target_file_name = p.string(&c)?,
                        b"FaultStruct" => t.fault = p.transfer_fault(&c)?,
                        b"StartTime" => t.start_time = p.string(&c)?,
                        b"CompleteTime" => t.complete_time = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::AutonomousTransferComplete(t)
            }
            b"AutonomousTransferCompleteResponse" => {
                self.empty(el, Body::AutonomousTransferCompleteResponse)?
            }
            b"Kicked" => {
                let mut k = Kicked::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"Command" => k.command = p.string(&c)?,
                        b"Referer" => k.referer = p.string(&c)?,
                        b"Arg" => k.arg = p.string(&c)?,
                        b"Next" => k.next = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::Kicked(k)
            }
            b"KickedResponse" => {
                let mut next = String::new();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"NextURL" => next = p.string(&c)?,
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::KickedResponse(next)
            }
            b"RequestDownload" => {
                let mut r = RequestDownload::default();
                self.each_child(el, |p, c| {
                    match c.local() {
                        b"FileType" => r.file_type = p.string(&c)?,
                        b"FileTypeArg" => {
                            r.file_type_args = p.array(&c, |p, item| {
                                let mut a = FileTypeArg::default();
                                p.each_child(item, |p, f| {
                                    match f.local() {
                                        b"Name" => a.name = p.string(&f)?,
                                        b"Value" => a.value = p.string(&f)?,
                                        _ => p.skip(&f)?,
                                    }
                                    Ok(())
                                })?;
                                Ok(a)
                            })?
                        }
                        _ => p.skip(&c)?,
                    }
                    Ok(())
                })?;
                Body::RequestDownload(r)
            }
            b"RequestDownloadResponse" => self.empty(el, Body::RequestDownloadResponse)?,
            b"Fault" => Body::Fault(self.soap_fault(el)?),
            other => {
                if !is_xml_name(other) {
                    return Err(self.xml_error("invalid element name in Body"));
                }
                let name = el.local_string();
                self.skip(el)?;
                Body::Unknown(name)
            }
        };
        Ok(body)
    }

    /// A message without arguments (anything inside is skipped).
    fn empty(&mut self, el: &Elem<'a>, body: Body) -> Result<Body> {
        self.skip(el)?;
        Ok(body)
    }

    fn status(&mut self, el: &Elem<'a>) -> Result<Status> {
        let mut status = Status::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"Status" => status = p.enumerated(&c, Status::from_u8)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(status)
    }

    fn command_key(&mut self, el: &Elem<'a>) -> Result<String> {
        let mut key = String::new();
        self.each_child(el, |p, c| {
            match c.local() {
                b"CommandKey" => key = p.string(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(key)
    }

    fn parameter_names(&mut self, el: &Elem<'a>) -> Result<Vec<String>> {
        let mut names = Vec::new();
        self.each_child(el, |p, c| {
            match c.local() {
                b"ParameterNames" => names = p.string_array(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(names)
    }

    fn object_request(&mut self, el: &Elem<'a>) -> Result<(String, String)> {
        let (mut object, mut key) = (String::new(), String::new());
        self.each_child(el, |p, c| {
            match c.local() {
                b"ObjectName" => object = p.string(&c)?,
                b"ParameterKey" => key = p.string(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok((object, key))
    }

    fn transfer_response(&mut self, el: &Elem<'a>) -> Result<TransferResponse> {
        let mut r = TransferResponse::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"Status" => r.status = p.enumerated(&c, Status::from_u8)?,
                b"StartTime" => r.start_time = p.string(&c)?,
                b"CompleteTime" => r.complete_time = p.string(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(r)
    }

    fn transfer_fault(&mut self, el: &Elem<'a>) -> Result<Option<TransferFault>> {
        let mut f = TransferFault::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"FaultCode" => f.code = FaultCode(p.number(&c)?),
                b"FaultString" => f.string = p.string(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok((f.code != FaultCode::NONE).then_some(f))
    }

    fn time_window(&mut self, el: &Elem<'a>) -> Result<TimeWindow> {
        let mut t = TimeWindow::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"WindowStart" => t.window_start = p.number(&c)?,
                b"WindowEnd" => t.window_end = p.number(&c)?,
                b"WindowMode" => t.window_mode = p.string(&c)?,
                b"UserMessage" => t.user_message = p.text(&c)?.into_owned(),
                b"MaxRetries" => t.max_retries = p.number(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(t)
    }

    fn all_queued_transfer(&mut self, el: &Elem<'a>) -> Result<AllQueuedTransfer> {
        let mut t = AllQueuedTransfer::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"CommandKey" => t.command_key = p.string(&c)?,
                b"State" => t.state = p.enumerated(&c, TransferState::from_u8)?,
                b"IsDownload" => t.is_download = p.boolean(&c)?,
                b"FileType" => t.file_type = p.string(&c)?,
                b"FileSize" => t.file_size = p.number(&c)?,
                b"TargetFileName" => t.target_file_name = p.string(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(t)
    }

    fn option_struct(&mut self, el: &Elem<'a>) -> Result<OptionStruct> {
        let mut o = OptionStruct::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"OptionName" => o.option_name = p.string(&c)?,
                b"VoucherSN" => o.voucher_sn = p.number(&c)?,
                b"State" => o.state = p.number(&c)?,
                b"Mode" => o.mode = p.number(&c)?,
                b"StartDate" => o.start_date = p.string(&c)?,
                b"ExpirationDate" => o.expiration_date = Some(p.string(&c)?),
                b"IsTransferable" => o.is_transferable = p.number(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(o)
    }

    fn parameter_values(&mut self, el: &Elem<'a>) -> Result<Vec<ParameterValue>> {
        self.array(el, |p, item| {
            let mut pv = ParameterValue::default();
            p.each_child(item, |p, f| {
                match f.local() {
                    b"Name" => pv.name = p.string(&f)?,
                    b"Value" => {
                        pv.kind = xsi_type(&f.start).map_err(|e| p.xml_error(e))?;
                        pv.value = if pv.kind.preserves_whitespace() {
                            p.text(&f)?.into_owned()
                        } else {
                            p.string(&f)?
                        };
                    }
                    _ => p.skip(&f)?,
                }
                Ok(())
            })?;
            Ok(pv)
        })
    }

    fn inform(&mut self, el: &Elem<'a>) -> Result<Inform> {
        let mut inf = Inform::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"DeviceId" => {
                    let d = &mut inf.device_id;
                    p.each_child(&c, |p, f| {
                        match f.local() {
                            b"Manufacturer" => d.manufacturer = p.string(&f)?,
                            b"OUI" => d.oui = p.string(&f)?,
                            b"ProductClass" => d.product_class = p.string(&f)?,
                            b"SerialNumber" => d.serial_number = p.string(&f)?,
                            _ => p.skip(&f)?,
                        }
                        Ok(())
                    })?;
                }
                b"Event" => {
                    inf.events = p.array(&c, |p, item| {
                        let mut e = EventStruct::default();
                        p.each_child(item, |p, f| {
                            match f.local() {
                                b"EventCode" => e.event_code = p.string(&f)?,
                                b"CommandKey" => e.command_key = p.string(&f)?,
                                _ => p.skip(&f)?,
                            }
                            Ok(())
                        })?;
                        Ok(e)
                    })?
                }
                b"MaxEnvelopes" => inf.max_envelopes = p.number(&c)?,
                b"CurrentTime" => inf.current_time = p.string(&c)?,
                b"RetryCount" => inf.retry_count = p.number(&c)?,
                b"ParameterList" => inf.parameters = p.parameter_values(&c)?,
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(inf)
    }

    fn soap_fault(&mut self, el: &Elem<'a>) -> Result<Fault> {
        let mut fault = Fault::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"faultcode" => fault.soap_code = SoapFaultCode::parse(&p.string(&c)?),
                b"faultstring" => fault.soap_string = p.string(&c)?,
                b"detail" => {
                    p.each_child(&c, |p, d| {
                        match d.local() {
                            b"Fault" if fault.cwmp.is_none() => {
                                fault.cwmp = Some(p.cwmp_fault(&d)?)
                            }
                            _ => p.skip(&d)?,
                        }
                        Ok(())
                    })?;
                }
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(fault)
    }

    fn cwmp_fault(&mut self, el: &Elem<'a>) -> Result<CwmpFault> {
        let mut f = CwmpFault::default();
        self.each_child(el, |p, c| {
            match c.local() {
                b"FaultCode" => f.code = FaultCode(p.number(&c)?),
                b"FaultString" => f.string = p.string(&c)?,
                b"SetParameterValuesFault" => {
                    p.count_item()?;
                    let mut s = SetParameterValuesFault::default();
                    p.each_child(&c, |p, g| {
                        match g.local() {
                            b"ParameterName" => s.parameter_name = p.string(&g)?,
                            b"FaultCode" => s.fault_code = FaultCode(p.number(&g)?),
                            b"FaultString" => s.fault_string = p.string(&g)?,
                            _ => p.skip(&g)?,
                        }
                        Ok(())
                    })?;
                    f.set_parameter_values_faults.push(s);
                }
                _ => p.skip(&c)?,
            }
            Ok(())
        })?;
        Ok(f)
    }
}

/// Replaces the C0 control characters XML 1.0 does not allow (all but tab, LF, CR)
/// with U+FFFD, as the writer does, so that what was read can be written back.
fn sanitize(text: Cow<'_, str>) -> Cow<'_, str> {
    let bad = |c: char| c < ' ' && !matches!(c, '\t' | '\n' | '\r');
    if !text.contains(bad) {
        return text;
    }
    Cow::Owned(
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// `mustUnderstand="1"` (or `"true"`) under any prefix (SOAP 1.1 §4.2.3).
fn must_understand(start: &BytesStart<'_>) -> bool {
    start.attributes().with_checks(false).flatten().any(|a| {
        a.key.local_name().as_ref() == b"mustUnderstand"
            && matches!(a.value.as_ref().trim_ascii(), b"1" | b"true")
    })
}

/// The `xsi:type` of a Value (any prefix), or `xsd:string` when there is none.
fn xsi_type(start: &BytesStart<'_>) -> std::result::Result<ValueType, String> {
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| e.to_string())?;
        if attr.key.local_name().as_ref() == b"type" {
            let value = attr.unescape_value().map_err(|e| e.to_string())?;
            return Ok(ValueType::from_xsi(&sanitize(value)));
        }
    }
    Ok(ValueType::String)
}

/// N of `SOAP-ENC:arrayType="cwmp:ParameterValueStruct[N]"`, or 0.
fn array_len_hint(start: &BytesStart<'_>) -> usize {
    start
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"arrayType")
        .and_then(|a| {
            let v = a.value.as_ref();
            let open = v.iter().rposition(|&b| b == b'[')?;
            let digits = v[open + 1..].strip_suffix(b"]")?;
            std::str::from_utf8(digits).ok()?.parse().ok()
        })
        .unwrap_or(0)
}

/// An XML name of ASCII letters, digits, `_`, `-` and `.` (what an RPC name can be).
fn is_xml_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(body: &str) -> String {
        format!(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap:Body>{body}</soap:Body></soap:Envelope>"
        )
    }

    /// §3.7.2.4: an empty HTTP POST is "no message", not an error.
    #[test]
    fn empty_post_is_no_message() {
        assert_eq!(parse(b"").unwrap(), None);
        assert_eq!(parse(b"  \r\n ").unwrap(), None);
        assert!(parse_all(b"").unwrap().is_empty());
    }

    #[test]
    fn not_an_envelope() {
        assert!(matches!(parse(b"<html/>"), Err(Error::NotEnvelope(n)) if n == "html"));
        assert!(matches!(parse(b"hello"), Err(Error::NotEnvelope(_))));
        assert!(matches!(parse(b"<a><b></a>"), Err(Error::NotEnvelope(_))));
        assert!(matches!(
            parse(b"<E:Envelope><E:Body>"),
            Err(Error::Xml { .. })
        ));
    }

    /// Annex A.3.2.4: Notification is 0..6; anything else is an invalid argument,
    /// reported with the method and cwmp:ID so the CPE can answer 9003.
    #[test]
    fn invalid_argument_names_method_and_id() {
        let xml = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
            xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><s:Header><cwmp:ID s:mustUnderstand=\"1\">77</cwmp:ID>\
            </s:Header><s:Body><cwmp:SetParameterAttributes><ParameterList>\
            <SetParameterAttributesStruct><Name>Device.</Name><Notification>9</Notification>\
            </SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes></s:Body></s:Envelope>";
        let err = parse(xml.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidArgument {
                method: "SetParameterAttributes".into(),
                id: Some("77".into()),
                element: "Notification".into(),
                value: "9".into(),
            }
        );
        assert_eq!(err.cpe_fault(), Some(FaultCode::INVALID_ARGUMENTS));
        assert_eq!(err.acs_fault(), Some(FaultCode::ACS_INVALID_ARGUMENTS));
        assert_eq!(err.id(), Some("77"));
    }

    #[test]
    fn numbers_are_checked() {
        let bad = env("<cwmp:ScheduleInform><DelaySeconds>-1</DelaySeconds></cwmp:ScheduleInform>");
        assert!(
            matches!(parse(bad.as_bytes()), Err(Error::InvalidArgument { element, .. }) if element == "DelaySeconds")
        );
        let big = env(
            "<cwmp:InformResponse><MaxEnvelopes>4294967296</MaxEnvelopes></cwmp:InformResponse>",
        );
        assert!(parse(big.as_bytes()).is_err());
        let plus =
            env("<cwmp:InformResponse><MaxEnvelopes> +1 </MaxEnvelopes></cwmp:InformResponse>");
        assert_eq!(
            parse(plus.as_bytes()).unwrap().unwrap().body,
            Some(Body::InformResponse(1))
        );
    }

    #[test]
    fn unknown_method_and_bad_names() {
        let x = env("<cwmp:ChangeDUState><Operations><x/></Operations></cwmp:ChangeDUState>");
        let e = parse(x.as_bytes()).unwrap().unwrap();
        assert_eq!(e.body, Some(Body::Unknown("ChangeDUState".into())));
        assert!(is_xml_name(b"X_ACME_Foo-1.2"));
        assert!(!is_xml_name(b"1abc") && !is_xml_name(b"") && !is_xml_name(b"a\"b"));
    }

    #[test]
    fn entities() {
        let x = env("<cwmp:Reboot><CommandKey>a&amp;b&#x41;&#66;&lt;&gt;&apos;&quot;</CommandKey></cwmp:Reboot>");
        let e = parse(x.as_bytes()).unwrap().unwrap();
        assert_eq!(e.body, Some(Body::Reboot("a&bAB<>'\"".into())));
        let bad = env("<cwmp:Reboot><CommandKey>&foo;</CommandKey></cwmp:Reboot>");
        assert!(matches!(parse(bad.as_bytes()), Err(Error::Xml { .. })));
        let nul = env("<cwmp:Reboot><CommandKey>&#0;</CommandKey></cwmp:Reboot>");
        assert!(matches!(parse(nul.as_bytes()), Err(Error::Xml { .. })));
    }

    #[test]
    fn control_characters_replaced() {
        let x = env("<cwmp:Reboot><CommandKey>a&#1;b\u{2}</CommandKey></cwmp:Reboot>");
        let e = parse(x.as_bytes()).unwrap().unwrap();
        assert_eq!(e.body, Some(Body::Reboot("a\u{FFFD}b\u{FFFD}".into())));
    }

    #[test]
    fn array_hint() {
        let mut r = Reader::from_str("<a SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[12]\"/>");
        let Ok(Event::Empty(start)) = r.read_event() else {
            panic!("no element")
        };
        assert_eq!(array_len_hint(&start), 12);
        let mut r = Reader::from_str("<a b:arrayType=\"xsd:string[x]\"/>");
        let Ok(Event::Empty(start)) = r.read_event() else {
            panic!("no element")
        };
        assert_eq!(array_len_hint(&start), 0);
    }
}
