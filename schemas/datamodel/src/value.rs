//! Values and types of parameters: the XML Schema types of TR-069 Amendment 6 §A.2.1
//! (Table A.3: string, int, unsignedInt, long, unsignedLong, boolean, dateTime, base64,
//! hexBinary) and the data model's facets on them (string length, numeric range, lists,
//! TR-106 §3.2).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParamFault;

/// The XML Schema type a value travels as: the `xsi:type` of a `ParameterValueStruct`
/// (TR-069 Amendment 6 §A.2.1, Table A.3). A list is a `String` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueType {
    /// `xsd:string`.
    String,
    /// `xsd:int` (32-bit signed).
    Int,
    /// `xsd:unsignedInt` (32-bit unsigned).
    UnsignedInt,
    /// `xsd:long` (64-bit signed).
    Long,
    /// `xsd:unsignedLong` (64-bit unsigned).
    UnsignedLong,
    /// `xsd:boolean`.
    Boolean,
    /// `xsd:dateTime`.
    DateTime,
    /// `xsd:base64Binary`.
    Base64,
    /// `xsd:hexBinary`.
    HexBinary,
}

impl ValueType {
    /// The `xsi:type` attribute value (`"xsd:unsignedInt"`).
    pub fn xsd_name(self) -> &'static str {
        match self {
            ValueType::String => "xsd:string",
            ValueType::Int => "xsd:int",
            ValueType::UnsignedInt => "xsd:unsignedInt",
            ValueType::Long => "xsd:long",
            ValueType::UnsignedLong => "xsd:unsignedLong",
            ValueType::Boolean => "xsd:boolean",
            ValueType::DateTime => "xsd:dateTime",
            ValueType::Base64 => "xsd:base64Binary",
            ValueType::HexBinary => "xsd:hexBinary",
        }
    }

    /// Read an `xsi:type` value, with any namespace prefix (`xsd:`, `xs:`, none), as
    /// vendors write it. `None` for a type TR-069 does not use.
    pub fn from_xsd(name: &str) -> Option<Self> {
        let local = name.rsplit(':').next().unwrap_or(name).trim();
        Some(match local {
            "string" => ValueType::String,
            "int" => ValueType::Int,
            "unsignedInt" => ValueType::UnsignedInt,
            "long" => ValueType::Long,
            "unsignedLong" => ValueType::UnsignedLong,
            "boolean" => ValueType::Boolean,
            "dateTime" => ValueType::DateTime,
            "base64Binary" | "base64" => ValueType::Base64,
            "hexBinary" => ValueType::HexBinary,
            _ => return None,
        })
    }

    /// The name used in BBF data model XML and in our definition table (`unsignedInt`).
    pub fn bbf_name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Int => "int",
            ValueType::UnsignedInt => "unsignedInt",
            ValueType::Long => "long",
            ValueType::UnsignedLong => "unsignedLong",
            ValueType::Boolean => "boolean",
            ValueType::DateTime => "dateTime",
            ValueType::Base64 => "base64",
            ValueType::HexBinary => "hexBinary",
        }
    }

    fn from_bbf(name: &str) -> Option<Self> {
        Some(match name {
            "string" => ValueType::String,
            "int" => ValueType::Int,
            "unsignedInt" => ValueType::UnsignedInt,
            "long" => ValueType::Long,
            "unsignedLong" => ValueType::UnsignedLong,
            "boolean" => ValueType::Boolean,
            "dateTime" => ValueType::DateTime,
            "base64" => ValueType::Base64,
            "hexBinary" => ValueType::HexBinary,
            _ => return None,
        })
    }

    fn is_integer(self) -> bool {
        matches!(
            self,
            ValueType::Int | ValueType::UnsignedInt | ValueType::Long | ValueType::UnsignedLong
        )
    }

    /// The value space of an integer type.
    fn bounds(self) -> (i128, i128) {
        match self {
            ValueType::Int => (i32::MIN.into(), i32::MAX.into()),
            ValueType::UnsignedInt => (0, u32::MAX.into()),
            ValueType::Long => (i64::MIN.into(), i64::MAX.into()),
            ValueType::UnsignedLong => (0, u64::MAX.into()),
            _ => (0, 0),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.xsd_name())
    }
}

/// The "unknown time" of TR-106 §3.2.1: a dateTime parameter whose value is not known.
pub const UNKNOWN_TIME: &str = "0001-01-01T00:00:00Z";

/// A parameter value, typed. [`Display`](fmt::Display) gives its text on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "camelCase")]
pub enum Value {
    /// A string (also every list: comma-separated).
    String(String),
    /// A 32-bit signed integer.
    Int(i32),
    /// A 32-bit unsigned integer.
    UnsignedInt(u32),
    /// A 64-bit signed integer.
    Long(i64),
    /// A 64-bit unsigned integer.
    UnsignedLong(u64),
    /// A boolean, written `true` / `false`.
    Boolean(bool),
    /// A dateTime in its checked text form (`2024-05-01T12:00:00Z`).
    DateTime(String),
    /// base64 text.
    Base64(String),
    /// hexBinary text.
    HexBinary(String),
}

impl Value {
    /// The XML Schema type it travels as.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::String(_) => ValueType::String,
            Value::Int(_) => ValueType::Int,
            Value::UnsignedInt(_) => ValueType::UnsignedInt,
            Value::Long(_) => ValueType::Long,
            Value::UnsignedLong(_) => ValueType::UnsignedLong,
            Value::Boolean(_) => ValueType::Boolean,
            Value::DateTime(_) => ValueType::DateTime,
            Value::Base64(_) => ValueType::Base64,
            Value::HexBinary(_) => ValueType::HexBinary,
        }
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }

    /// The integer inside an integer value.
    pub(crate) fn as_i128(&self) -> Option<i128> {
        match *self {
            Value::Int(v) => Some(v.into()),
            Value::UnsignedInt(v) => Some(v.into()),
            Value::Long(v) => Some(v.into()),
            Value::UnsignedLong(v) => Some(v.into()),
            _ => None,
        }
    }

    /// The boolean inside a boolean value.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// The text of a text value (string, dateTime, base64, hexBinary).
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::DateTime(s) | Value::Base64(s) | Value::HexBinary(s) => {
                Some(s)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) | Value::DateTime(s) | Value::Base64(s) | Value::HexBinary(s) => {
                f.write_str(s)
            }
            Value::Int(v) => write!(f, "{v}"),
            Value::UnsignedInt(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::UnsignedLong(v) => write!(f, "{v}"),
            Value::Boolean(b) => f.write_str(if *b { "true" } else { "false" }),
        }
    }
}

/// The type of a parameter as the data model defines it: a base type with its facets
/// (TR-106 §3.2: string length, numeric range, list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamType {
    /// The base type (of each item, for a list).
    pub base: ValueType,
    /// Maximum length of a string (of each item, for a list), in characters.
    pub max_length: Option<u32>,
    /// Inclusive numeric range (either end may be open).
    pub range: Option<(Option<i64>, Option<i64>)>,
    /// `Some` for a comma-separated list; holds the list's own maximum length.
    pub list: Option<Option<u32>>,
}

impl ParamType {
    /// A plain type without facets.
    pub fn plain(base: ValueType) -> Self {
        Self {
            base,
            max_length: None,
            range: None,
            list: None,
        }
    }

    /// The type the value travels as (`xsd:string` for lists).
    pub fn wire_type(&self) -> ValueType {
        if self.list.is_some() {
            ValueType::String
        } else {
            self.base
        }
    }

    /// Read `text` as a value of this type, checking every facet.
    ///
    /// Text that is not of the base type's lexical form is 9006 (a boolean that is not
    /// `true`/`false`/`1`/`0`, a number that is not a number, a malformed dateTime); a
    /// well-formed value outside the type's value space, its range or its length is 9007.
    /// A list's items are trimmed and joined with `,`.
    pub fn parse(&self, text: &str) -> Result<Value, ParamFault> {
        match self.list {
            None => self.parse_scalar(text),
            Some(list_max) => {
                let mut items = Vec::new();
                if !text.trim().is_empty() {
                    for item in text.split(',') {
                        let v = self.parse_scalar(item.trim())?;
                        items.push(v.to_string());
                    }
                }
                let joined = items.join(",");
                if let Some(max) = list_max {
                    if joined.chars().count() > max as usize {
                        return Err(ParamFault::value(format!(
                            "the list is longer than {max} characters"
                        )));
                    }
                }
                Ok(Value::String(joined))
            }
        }
    }

    fn parse_scalar(&self, text: &str) -> Result<Value, ParamFault> {
        let base = self.base;
        if base.is_integer() {
            let t = text.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(ParamFault::ty(format!(
                    "`{}` is not an {}",
                    shown(text),
                    base.bbf_name()
                )));
            }
            // Cannot fail: at most 30 digits with an optional sign fit an i128.
            let n: i128 = t.parse().map_err(|_| ParamFault::ty("not an integer"))?;
            let (lo, hi) = base.bounds();
            if n < lo || n > hi {
                return Err(ParamFault::value(format!(
                    "{n} is outside the {} value space",
                    base.bbf_name()
                )));
            }
            if let Some((min, max)) = self.range {
                if min.is_some_and(|m| n < m.into()) || max.is_some_and(|m| n > m.into()) {
                    return Err(ParamFault::value(format!(
                        "{n} is outside {}..{}",
                        min.map(|m| m.to_string()).unwrap_or_default(),
                        max.map(|m| m.to_string()).unwrap_or_default()
                    )));
                }
            }
            return Ok(match base {
                ValueType::Int => Value::Int(n as i32),
                ValueType::UnsignedInt => Value::UnsignedInt(n as u32),
                ValueType::Long => Value::Long(n as i64),
                _ => Value::UnsignedLong(n as u64),
            });
        }
        match base {
            ValueType::Boolean => match text.trim() {
                "1" => Ok(Value::Boolean(true)),
                "0" => Ok(Value::Boolean(false)),
                t if t.eq_ignore_ascii_case("true") => Ok(Value::Boolean(true)),
                t if t.eq_ignore_ascii_case("false") => Ok(Value::Boolean(false)),
                _ => Err(ParamFault::ty(format!(
                    "`{}` is not a boolean (true, false, 1 or 0)",
                    shown(text)
                ))),
            },
            ValueType::DateTime => {
                let t = text.trim();
                check_date_time(t).map_err(|m| {
                    ParamFault::ty(format!("`{}` is not a dateTime: {m}", shown(text)))
                })?;
                Ok(Value::DateTime(t.to_string()))
            }
            ValueType::Base64 => {
                let ok = text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b));
                if !ok {
                    return Err(ParamFault::ty("not base64"));
                }
                self.check_length(text)?;
                Ok(Value::Base64(text.to_string()))
            }
            ValueType::HexBinary => {
                let t = text.trim();
                if !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ParamFault::ty("not hexBinary (pairs of hex digits)"));
                }
                self.check_length(t)?;
                Ok(Value::HexBinary(t.to_string()))
            }
            _ => {
                self.check_length(text)?;
                Ok(Value::String(text.to_string()))
            }
        }
    }

    fn check_length(&self, text: &str) -> Result<(), ParamFault> {
        if let Some(max) = self.max_length {
            let n = text.chars().count();
            if n > max as usize {
                return Err(ParamFault::value(format!("{n} characters; at most {max}")));
            }
        }
        Ok(())
    }

    /// Convert a value computed by the tree into this type's variant (an instance count
    /// read as `int`, ...). Values that do not fit are clamped to the value space.
    pub(crate) fn coerce(&self, v: Value) -> Value {
        let wire = self.wire_type();
        if v.value_type() == wire {
            return v;
        }
        if let Some(n) = v.as_i128() {
            let (lo, hi) = wire.bounds();
            let n = n.clamp(lo, hi);
            return match wire {
                ValueType::Int => Value::Int(n as i32),
                ValueType::UnsignedInt => Value::UnsignedInt(n as u32),
                ValueType::Long => Value::Long(n as i64),
                ValueType::UnsignedLong => Value::UnsignedLong(n as u64),
                _ => Value::String(n.to_string()),
            };
        }
        match wire {
            ValueType::String => Value::String(v.to_string()),
            ValueType::DateTime => Value::DateTime(v.to_string()),
            _ => v,
        }
    }
}

impl fmt::Display for ParamType {
    /// The notation of our definition table (`list(256):string(64)`, `unsignedInt[1:]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.list {
            Some(Some(n)) => write!(f, "list({n}):")?,
            Some(None) => f.write_str("list:")?,
            None => {}
        }
        f.write_str(self.base.bbf_name())?;
        if let Some(n) = self.max_length {
            write!(f, "({n})")?;
        }
        if let Some((min, max)) = self.range {
            let side = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
            write!(f, "[{}:{}]", side(min), side(max))?;
        }
        Ok(())
    }
}

impl FromStr for ParamType {
    type Err = String;

    /// Read the notation of our definition table.
    fn from_str(s: &str) -> Result<Self, String> {
        let (list, rest) = if let Some(rest) = s.strip_prefix("list:") {
            (Some(None), rest)
        } else if let Some(rest) = s.strip_prefix("list(") {
            let (n, rest) = rest
                .split_once("):")
                .ok_or_else(|| format!("bad list type `{s}`"))?;
            let n: u32 = n.parse().map_err(|_| format!("bad list length in `{s}`"))?;
            (Some(Some(n)), rest)
        } else {
            (None, s)
        };
        let (rest, range) = match rest.split_once('[') {
            Some((head, r)) => {
                let r = r
                    .strip_suffix(']')
                    .ok_or_else(|| format!("bad range in `{s}`"))?;
                let (lo, hi) = r
                    .split_once(':')
                    .ok_or_else(|| format!("bad range in `{s}`"))?;
                let side = |x: &str| -> Result<Option<i64>, String> {
                    if x.is_empty() {
                        Ok(None)
                    } else {
                        x.parse()
                            .map(Some)
                            .map_err(|_| format!("bad bound in `{s}`"))
                    }
                };
                (head, Some((side(lo)?, side(hi)?)))
            }
            None => (rest, None),
        };
        let (name, max_length) = match rest.split_once('(') {
            Some((name, n)) => {
                let n = n
                    .strip_suffix(')')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("bad length in `{s}`"))?;
                (name, Some(n))
            }
            None => (rest, None),
        };
        let base = ValueType::from_bbf(name).ok_or_else(|| format!("unknown type `{name}`"))?;
        if range.is_some() && !base.is_integer() {
            return Err(format!("a range on a non-numeric type in `{s}`"));
        }
        Ok(Self {
            base,
            max_length,
            range,
            list,
        })
    }
}

/// Check the TR-069 dateTime form (TR-069 Amendment 6 §A.2.1 / TR-106 §3.2.1, XML Schema
/// `dateTime`): `YYYY-MM-DDThh:mm:ss`, optional fractional seconds, optional `Z` or
/// `±hh:mm`.
pub(crate) fn check_date_time(t: &str) -> Result<(), &'static str> {
    if !t.is_ascii() {
        return Err("not ASCII");
    }
    let b = t.as_bytes();
    if b.len() < 19 {
        return Err("too short for YYYY-MM-DDThh:mm:ss");
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &t[r];
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err("separators must be YYYY-MM-DDThh:mm:ss");
    }
    let (Some(_y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return Err("fields must be digits");
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err("a field is out of range");
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err("a '.' without fractional digits");
        }
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" => Ok(()),
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.as_bytes()[3] == b':'
            && z[1..3].bytes().all(|c| c.is_ascii_digit())
            && z[4..6].bytes().all(|c| c.is_ascii_digit()) =>
        {
            Ok(())
        }
        _ => Err("the time zone must be Z or ±hh:mm"),
    }
}

/// A value echoed in a message: cut short, control characters escaped.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FaultCode;

    fn ty(s: &str) -> ParamType {
        s.parse().unwrap()
    }

    #[track_caller]
    fn fault(t: &str, text: &str) -> FaultCode {
        ty(t).parse(text).unwrap_err().code
    }

    /// TR-106 §3.2 types in our table notation survive a round trip.
    #[test]
    fn table_notation_round_trips() {
        for s in [
            "string",
            "string(64)",
            "unsignedInt[1:65535]",
            "int[-1:]",
            "list:string",
            "list(256):string(64)",
            "list:unsignedInt",
            "dateTime",
            "unsignedLong",
        ] {
            assert_eq!(ty(s).to_string(), s);
        }
        assert!("float".parse::<ParamType>().is_err());
        assert!("string[1:2]".parse::<ParamType>().is_err());
        assert!("list(x):string".parse::<ParamType>().is_err());
    }

    /// TR-069 A.2.1: boolean is `true`/`false` or `1`/`0`; anything else is 9006.
    #[test]
    fn booleans() {
        assert_eq!(ty("boolean").parse("1").unwrap(), Value::Boolean(true));
        assert_eq!(ty("boolean").parse("false").unwrap(), Value::Boolean(false));
        assert_eq!(ty("boolean").parse("TRUE").unwrap(), Value::Boolean(true));
        assert_eq!(fault("boolean", "yes"), FaultCode::InvalidParameterType);
        assert_eq!(fault("boolean", ""), FaultCode::InvalidParameterType);
    }

    /// unsignedInt / int value spaces (Table A.3) and TR-106 ranges.
    #[test]
    fn integers() {
        assert_eq!(
            ty("unsignedInt").parse("42").unwrap(),
            Value::UnsignedInt(42)
        );
        assert_eq!(ty("int").parse("-1").unwrap(), Value::Int(-1));
        assert_eq!(fault("unsignedInt", "abc"), FaultCode::InvalidParameterType);
        assert_eq!(fault("unsignedInt", "4.5"), FaultCode::InvalidParameterType);
        assert_eq!(fault("unsignedInt", "-5"), FaultCode::InvalidParameterValue);
        assert_eq!(
            fault("unsignedInt", "4294967296"),
            FaultCode::InvalidParameterValue
        );
        assert_eq!(fault("int", "2147483648"), FaultCode::InvalidParameterValue);
        assert_eq!(
            fault("unsignedInt[1:65535]", "0"),
            FaultCode::InvalidParameterValue
        );
        assert_eq!(
            fault("unsignedInt[1000:65535]", "999"),
            FaultCode::InvalidParameterValue
        );
        assert_eq!(
            ty("unsignedLong").parse("18446744073709551615").unwrap(),
            Value::UnsignedLong(u64::MAX)
        );
        assert_eq!(
            fault("unsignedInt", "999999999999999999999999999999999"),
            FaultCode::InvalidParameterType
        );
    }

    /// TR-106 §3.2: string(N) is at most N characters (not bytes).
    #[test]
    fn string_length_counts_characters() {
        assert!(ty("string(2)").parse("ÅÖ").is_ok());
        assert_eq!(fault("string(2)", "abc"), FaultCode::InvalidParameterValue);
        assert_eq!(ty("string").parse("").unwrap(), Value::str(""));
    }

    /// TR-106 §3.2.1 dateTime, with the unknown time and time zones.
    #[test]
    fn date_times() {
        for ok in [
            UNKNOWN_TIME,
            "2024-02-29T23:59:59",
            "2024-02-29T23:59:59.123Z",
            "2024-02-29T23:59:59+05:30",
        ] {
            assert!(check_date_time(ok).is_ok(), "{ok}");
            assert_eq!(
                ty("dateTime").parse(ok).unwrap(),
                Value::DateTime(ok.into())
            );
        }
        for bad in [
            "2024-02-29",
            "2024-13-01T00:00:00Z",
            "2024-02-29 23:59:59",
            "2024-02-29T23:59:59.Z",
            "2024-02-29T23:59:59+0530",
            "2024-02-29T24:00:00Z",
            "2024-01-01T00:00:0ä",
            "2024-01-01T00:00:00+€:0",
        ] {
            assert_eq!(
                fault("dateTime", bad),
                FaultCode::InvalidParameterType,
                "{bad}"
            );
        }
    }

    /// TR-106 §3.2.3: lists are comma-separated; items trimmed and checked one by one.
    #[test]
    fn lists() {
        let t = ty("list(9):string(3)");
        assert_eq!(t.wire_type(), ValueType::String);
        assert_eq!(t.parse(" a, bc ,d").unwrap(), Value::str("a,bc,d"));
        assert_eq!(t.parse("").unwrap(), Value::str(""));
        assert_eq!(
            t.parse("abcd").unwrap_err().code,
            FaultCode::InvalidParameterValue
        );
        assert_eq!(
            t.parse("abc,abc,abc").unwrap_err().code,
            FaultCode::InvalidParameterValue
        );
        assert_eq!(
            ty("list:unsignedInt").parse("128, x").unwrap_err().code,
            FaultCode::InvalidParameterType
        );
    }

    #[test]
    fn hex_and_base64() {
        assert!(ty("hexBinary").parse("00ff").is_ok());
        assert_eq!(fault("hexBinary", "0f0"), FaultCode::InvalidParameterType);
        assert!(ty("base64").parse("aGVsbG8=").is_ok());
        assert_eq!(fault("base64", "a$b"), FaultCode::InvalidParameterType);
    }

    #[test]
    fn xsd_names() {
        for t in [
            ValueType::String,
            ValueType::Int,
            ValueType::UnsignedInt,
            ValueType::Long,
            ValueType::UnsignedLong,
            ValueType::Boolean,
            ValueType::DateTime,
            ValueType::Base64,
            ValueType::HexBinary,
        ] {
            assert_eq!(ValueType::from_xsd(t.xsd_name()), Some(t));
        }
        assert_eq!(ValueType::from_xsd("xs:boolean"), Some(ValueType::Boolean));
        assert_eq!(ValueType::from_xsd("boolean"), Some(ValueType::Boolean));
        assert_eq!(ValueType::from_xsd("xsd:float"), None);
    }

    /// Seeded random text never panics the parsers (bad input is an error, not a crash).
    #[test]
    fn random_text_never_panics() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let types: Vec<ParamType> = [
            "boolean",
            "int[-1:]",
            "unsignedInt[1:65535]",
            "unsignedLong",
            "dateTime",
            "list(16):string(4)",
            "hexBinary",
            "base64",
            "string(8)",
        ]
        .iter()
        .map(|s| ty(s))
        .collect();
        let alphabet = b"0123456789-+:TZ.,tfruea \x00\xff";
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i % 8 * 8)) as usize + i) % alphabet.len()])
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            for t in &types {
                let _ = t.parse(&text);
            }
        }
    }
}
