//! Parameter values and their `xsi:type` (TR-069 Amd 6 Annex A.2.1, A.3.2.1).

use base64::Engine as _;

/// The `xsi:type` of a `Value` element: the CWMP data types of Annex A.2.1 (with
/// `long`, `unsignedLong` and `hexBinary` of TR-106), or another type kept by its
/// local name.
///
/// Reading ignores the type's namespace prefix (`xsd:`, `xs:`, `SOAP-ENC:` ...);
/// a `Value` without `xsi:type` reads as [`ValueType::String`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ValueType {
    /// `xsd:string`.
    #[default]
    String,
    /// `xsd:int` (32-bit signed).
    Int,
    /// `xsd:unsignedInt` (32-bit unsigned).
    UnsignedInt,
    /// `xsd:long` (64-bit signed).
    Long,
    /// `xsd:unsignedLong` (64-bit unsigned).
    UnsignedLong,
    /// `xsd:boolean` (`true`/`false`/`1`/`0`).
    Boolean,
    /// `xsd:dateTime`.
    DateTime,
    /// Base64-encoded binary. Written as `xsd:base64`, the name CPEs and ACSs use
    /// (FreeACS, GenieACS, icwmp); `base64Binary` is read as well.
    Base64,
    /// `xsd:hexBinary`.
    HexBinary,
    /// Any other type, by its local name (`decimal`, `X_VENDOR_Type`); written back
    /// as `xsd:<name>`.
    Unknown(String),
}

impl ValueType {
    /// Reads an `xsi:type` value (`xsd:unsignedInt`), ignoring its prefix.
    pub fn from_xsi(qname: &str) -> ValueType {
        let qname = qname.trim();
        let local = qname.rsplit(':').next().unwrap_or(qname);
        match local {
            "" | "string" => ValueType::String,
            "int" => ValueType::Int,
            "unsignedInt" => ValueType::UnsignedInt,
            "long" => ValueType::Long,
            "unsignedLong" => ValueType::UnsignedLong,
            "boolean" => ValueType::Boolean,
            "dateTime" => ValueType::DateTime,
            "base64" | "base64Binary" => ValueType::Base64,
            "hexBinary" => ValueType::HexBinary,
            other => ValueType::Unknown(other.to_owned()),
        }
    }

    /// The local type name (`unsignedInt`).
    pub fn local_name(&self) -> &str {
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
            ValueType::Unknown(name) => name,
        }
    }

    /// Whether the value is kept exactly as read (strings) rather than trimmed of
    /// surrounding whitespace (numbers, booleans, dates, binary).
    pub fn preserves_whitespace(&self) -> bool {
        matches!(self, ValueType::String | ValueType::Unknown(_))
    }
}

/// One `ParameterValueStruct`: a parameter's full name, its value as text, and the
/// value's type (Annex A.3.2.1, A.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterValue {
    /// Full parameter path, e.g. `Device.DeviceInfo.SoftwareVersion`.
    pub name: String,
    /// The value in its lexical form.
    pub value: String,
    /// Its `xsi:type`.
    pub kind: ValueType,
}

impl ParameterValue {
    /// A value of any type, given in its lexical form.
    pub fn new(name: impl Into<String>, value: impl Into<String>, kind: ValueType) -> Self {
        ParameterValue {
            name: name.into(),
            value: value.into(),
            kind,
        }
    }

    /// An `xsd:string` value.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, value, ValueType::String)
    }

    /// An `xsd:int` value.
    pub fn int(name: impl Into<String>, value: i32) -> Self {
        Self::new(name, value.to_string(), ValueType::Int)
    }

    /// An `xsd:unsignedInt` value.
    pub fn unsigned_int(name: impl Into<String>, value: u32) -> Self {
        Self::new(name, value.to_string(), ValueType::UnsignedInt)
    }

    /// An `xsd:long` value.
    pub fn long(name: impl Into<String>, value: i64) -> Self {
        Self::new(name, value.to_string(), ValueType::Long)
    }

    /// An `xsd:unsignedLong` value.
    pub fn unsigned_long(name: impl Into<String>, value: u64) -> Self {
        Self::new(name, value.to_string(), ValueType::UnsignedLong)
    }

    /// An `xsd:boolean` value, written `true`/`false`.
    pub fn boolean(name: impl Into<String>, value: bool) -> Self {
        Self::new(
            name,
            if value { "true" } else { "false" },
            ValueType::Boolean,
        )
    }

    /// An `xsd:dateTime` value from seconds since the Unix epoch (UTC); see
    /// [`crate::time`].
    pub fn date_time(name: impl Into<String>, unix_seconds: i64) -> Self {
        Self::new(
            name,
            crate::time::format_date_time(unix_seconds),
            ValueType::DateTime,
        )
    }

    /// A base64 value, encoded from bytes.
    pub fn base64(name: impl Into<String>, bytes: &[u8]) -> Self {
        Self::new(
            name,
            base64::engine::general_purpose::STANDARD.encode(bytes),
            ValueType::Base64,
        )
    }

    /// An `xsd:hexBinary` value, encoded from bytes (upper-case digits).
    pub fn hex_binary(name: impl Into<String>, bytes: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 15)] as char);
        }
        Self::new(name, s, ValueType::HexBinary)
    }

    /// The value as a boolean (`true`/`1`/`false`/`0`, any case), whatever its type.
    pub fn as_bool(&self) -> Option<bool> {
        parse_bool(&self.value)
    }

    /// The value as a signed integer, whatever its type.
    pub fn as_i64(&self) -> Option<i64> {
        self.value.trim().parse().ok()
    }

    /// The value as an unsigned integer, whatever its type.
    pub fn as_u64(&self) -> Option<u64> {
        self.value.trim().parse().ok()
    }

    /// The value as seconds since the Unix epoch, if it is a valid `dateTime`.
    pub fn as_unix_time(&self) -> Option<i64> {
        crate::time::parse_date_time(&self.value)
    }

    /// The value decoded from base64 (whitespace inside is allowed).
    pub fn as_base64_bytes(&self) -> Option<Vec<u8>> {
        let compact: String = self.value.split_ascii_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .ok()
    }

    /// The value decoded from hexBinary.
    pub fn as_hex_bytes(&self) -> Option<Vec<u8>> {
        let text = self.value.trim().as_bytes();
        if !text.len().is_multiple_of(2) {
            return None;
        }
        text.chunks(2)
            .map(|pair| {
                let hi = (pair[0] as char).to_digit(16)?;
                let lo = (pair[1] as char).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            })
            .collect()
    }
}

/// Reads an `xsd:boolean`, tolerating case (`True` from some ACSs).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t == "1" || t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t == "0" || t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Annex A.2.1: the CWMP data types, read under any prefix.
    #[test]
    fn xsi_types() {
        assert_eq!(
            ValueType::from_xsi("xsd:unsignedInt"),
            ValueType::UnsignedInt
        );
        assert_eq!(ValueType::from_xsi("xs:int"), ValueType::Int);
        assert_eq!(ValueType::from_xsi("SOAP-ENC:base64"), ValueType::Base64);
        assert_eq!(ValueType::from_xsi("xsd:base64Binary"), ValueType::Base64);
        assert_eq!(ValueType::from_xsi("boolean"), ValueType::Boolean);
        assert_eq!(ValueType::from_xsi(""), ValueType::String);
        assert_eq!(
            ValueType::from_xsi("xsd:decimal"),
            ValueType::Unknown("decimal".into())
        );
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
            ValueType::Unknown("decimal".into()),
        ] {
            assert_eq!(ValueType::from_xsi(&format!("xsd:{}", t.local_name())), t);
        }
    }

    /// Typed constructors produce the lexical forms of XML Schema part 2.
    #[test]
    fn typed_values() {
        let v = ParameterValue::unsigned_int("Device.X", 4_000_000_000);
        assert_eq!(
            (v.value.as_str(), &v.kind),
            ("4000000000", &ValueType::UnsignedInt)
        );
        assert_eq!(v.as_u64(), Some(4_000_000_000));
        assert_eq!(ParameterValue::int("a", -5).as_i64(), Some(-5));
        assert_eq!(
            ParameterValue::long("a", i64::MIN).value,
            i64::MIN.to_string()
        );
        assert_eq!(
            ParameterValue::unsigned_long("a", u64::MAX).as_u64(),
            Some(u64::MAX)
        );
        assert_eq!(ParameterValue::boolean("a", true).value, "true");
        assert_eq!(ParameterValue::string("a", "1").as_bool(), Some(true));
        assert_eq!(ParameterValue::string("a", "FALSE").as_bool(), Some(false));
        assert_eq!(ParameterValue::string("a", "yes").as_bool(), None);
        let d = ParameterValue::date_time("a", 0);
        assert_eq!(d.value, "1970-01-01T00:00:00Z");
        assert_eq!(d.as_unix_time(), Some(0));
    }

    #[test]
    fn binary_values() {
        let b = ParameterValue::base64("a", b"\x00\xffhello");
        assert_eq!(b.value, "AP9oZWxsbw==");
        assert_eq!(b.as_base64_bytes().unwrap(), b"\x00\xffhello");
        let spaced = ParameterValue::new("a", " AP9o\n ZWxsbw== ", ValueType::Base64);
        assert_eq!(spaced.as_base64_bytes().unwrap(), b"\x00\xffhello");
        let h = ParameterValue::hex_binary("a", &[0x00, 0xab, 0x10]);
        assert_eq!(h.value, "00AB10");
        assert_eq!(h.as_hex_bytes().unwrap(), vec![0x00, 0xab, 0x10]);
        assert_eq!(ParameterValue::string("a", "abc").as_hex_bytes(), None);
        assert_eq!(ParameterValue::string("a", "zz").as_hex_bytes(), None);
    }
}
