//! A small reader of Broadband Forum data model XML (the `cwmp-datamodel` schema of
//! TR-106 Annex A): objects, parameters and the facets of their syntax, with named data
//! types resolved. Built on quick-xml's pull parser.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// A parameter as the BBF defines it.
#[derive(Debug, Clone, Default)]
pub struct BbfParam {
    /// `readOnly`, `readWrite` or `writeOnceReadOnly`.
    pub access: String,
    /// `normal`, `canDeny`, `forceEnabled`, `forceDefaultEnabled`.
    pub active_notify: String,
    pub forced_inform: bool,
    /// `hidden` (TR-181) or `secured` (TR-104) syntax.
    pub secret: bool,
    /// The base type: `string`, `unsignedInt`, ...
    pub base: String,
    pub max_length: Option<u32>,
    pub range: Option<(Option<i64>, Option<i64>)>,
    /// `Some` for a list, with the list's maximum length.
    pub list: Option<Option<u32>>,
    pub enumeration: Vec<String>,
}

/// An object as the BBF defines it.
#[derive(Debug, Clone, Default)]
pub struct BbfObject {
    pub max_entries: String,
}

impl BbfObject {
    pub fn multi_instance(&self) -> bool {
        self.max_entries != "1"
    }
}

/// A named data type (`Alias`, `IPv4Address`, `StatsCounter64`...).
#[derive(Debug, Clone, Default)]
struct DataType {
    base_type: Option<String>,
    base: Option<String>,
    max_length: Option<u32>,
    range: Option<(Option<i64>, Option<i64>)>,
    list: Option<Option<u32>>,
}

/// One data model file: objects by path (`Device.DeviceInfo.`, `VoiceService.{i}.POTS.`),
/// parameters by full path (model-level parameters by their bare name).
#[derive(Debug, Default)]
pub struct BbfModel {
    pub objects: HashMap<String, BbfObject>,
    pub params: HashMap<String, BbfParam>,
}

const PRIMITIVES: [&str; 9] = [
    "string",
    "boolean",
    "int",
    "unsignedInt",
    "long",
    "unsignedLong",
    "dateTime",
    "base64",
    "hexBinary",
];

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn number(s: Option<String>) -> Option<i64> {
    s.and_then(|v| v.parse().ok())
}

impl BbfModel {
    /// Read a `*-full.xml` file.
    pub fn parse(xml: &str) -> Result<BbfModel, String> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut model = BbfModel::default();
        let mut types: HashMap<String, DataType> = HashMap::new();
        let mut stack: Vec<String> = Vec::new();
        let mut in_model = false;
        let mut object: Option<String> = None;
        let mut param: Option<(String, BbfParam)> = None;
        let mut dtype: Option<(String, DataType)> = None;
        // The syntax's own data type reference (resolved when the parameter ends).
        let mut syntax_ref: Option<String> = None;
        loop {
            let ev = reader.read_event().map_err(|e| e.to_string())?;
            let (e, empty) = match &ev {
                Event::Start(e) => (Some(e.clone()), false),
                Event::Empty(e) => (Some(e.clone()), true),
                Event::End(_) => {
                    let name = stack.pop().unwrap_or_default();
                    match name.as_str() {
                        "parameter" => {
                            if let Some((path, mut p)) = param.take() {
                                if let Some(r) = syntax_ref.take() {
                                    resolve_into(&types, &r, &mut p);
                                }
                                model.params.insert(path, p);
                            }
                        }
                        "object" if stack.last().map(String::as_str) == Some("model") => {
                            object = None
                        }
                        "dataType" if stack.last().map(String::as_str) == Some("document") => {
                            if let Some((n, t)) = dtype.take() {
                                types.insert(n, t);
                            }
                        }
                        "model" => in_model = false,
                        _ => {}
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let Some(e) = e else { continue };
            let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            let parent = stack.last().cloned().unwrap_or_default();
            let in_syntax = stack.iter().any(|s| s == "syntax");
            match name.as_str() {
                "model" => in_model = true,
                "dataType" if parent == "document" => {
                    dtype = Some((
                        attr(&e, "name").unwrap_or_default(),
                        DataType {
                            base: attr(&e, "base"),
                            ..DataType::default()
                        },
                    ));
                }
                "object" if in_model && parent == "model" => {
                    let path = attr(&e, "name").unwrap_or_default();
                    model.objects.insert(
                        path.clone(),
                        BbfObject {
                            max_entries: attr(&e, "maxEntries").unwrap_or_else(|| "1".into()),
                        },
                    );
                    object = Some(path);
                }
                "parameter" if in_model && (parent == "object" || parent == "model") => {
                    if let Some(n) = attr(&e, "name") {
                        let path = match (&object, parent.as_str()) {
                            (Some(o), "object") => format!("{o}{n}"),
                            _ => n,
                        };
                        param = Some((
                            path,
                            BbfParam {
                                access: attr(&e, "access").unwrap_or_default(),
                                active_notify: attr(&e, "activeNotify")
                                    .unwrap_or_else(|| "normal".into()),
                                forced_inform: attr(&e, "forcedInform").as_deref() == Some("true"),
                                ..BbfParam::default()
                            },
                        ));
                        syntax_ref = None;
                    }
                }
                "syntax" => {
                    if let Some((_, p)) = &mut param {
                        p.secret = attr(&e, "hidden").as_deref() == Some("true")
                            || attr(&e, "secured").as_deref() == Some("true");
                    }
                }
                _ if in_syntax && param.is_some() => {
                    let Some((_, p)) = &mut param else { continue };
                    match name.as_str() {
                        "list" => {
                            p.list = Some(None);
                        }
                        "dataType" => syntax_ref = attr(&e, "ref").or_else(|| attr(&e, "base")),
                        "size" => {
                            let max = number(attr(&e, "maxLength")).map(|n| n as u32);
                            if parent == "list" {
                                p.list = Some(max);
                            } else if max.is_some() {
                                p.max_length = max;
                            }
                        }
                        "range" if p.range.is_none() => {
                            p.range = Some((
                                number(attr(&e, "minInclusive")),
                                number(attr(&e, "maxInclusive")),
                            ));
                        }
                        "enumeration" => {
                            if let Some(v) = attr(&e, "value") {
                                p.enumeration.push(v);
                            }
                        }
                        prim if PRIMITIVES.contains(&prim) && parent != "default" => {
                            p.base = prim.to_string();
                        }
                        _ => {}
                    }
                }
                _ if dtype.is_some() && stack.iter().any(|s| s == "dataType") => {
                    let Some((_, t)) = &mut dtype else { continue };
                    match name.as_str() {
                        "size" => {
                            let max = number(attr(&e, "maxLength")).map(|n| n as u32);
                            if parent == "list" {
                                t.list = Some(max);
                            } else if max.is_some() {
                                t.max_length = max;
                            }
                        }
                        "list" => t.list = Some(None),
                        "range" if t.range.is_none() => {
                            t.range = Some((
                                number(attr(&e, "minInclusive")),
                                number(attr(&e, "maxInclusive")),
                            ))
                        }
                        prim if PRIMITIVES.contains(&prim) => t.base_type = Some(prim.into()),
                        _ => {}
                    }
                }
                _ => {}
            }
            if !empty {
                stack.push(name);
            }
        }
        Ok(model)
    }
}

/// Fill a parameter's type from a named data type (and the types it derives from); the
/// parameter's own facets win.
fn resolve_into(types: &HashMap<String, DataType>, name: &str, p: &mut BbfParam) {
    let mut chain = Vec::new();
    let mut cur = Some(name.to_string());
    while let Some(n) = cur {
        let Some(t) = types.get(&n) else { break };
        chain.push(t.clone());
        cur = t.base.clone();
        if chain.len() > 8 {
            break;
        }
    }
    // The most derived type first: take each facet from the first that has it.
    if p.base.is_empty() {
        p.base = chain
            .iter()
            .find_map(|t| t.base_type.clone())
            .unwrap_or_default();
    }
    if p.max_length.is_none() {
        p.max_length = chain.iter().find_map(|t| t.max_length);
    }
    if p.range.is_none() {
        p.range = chain.iter().find_map(|t| t.range);
    }
    if p.list.is_none() {
        p.list = chain.iter().find_map(|t| t.list);
    }
}
