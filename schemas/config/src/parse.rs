//! Reading a document from bytes, and its JSON Schema.

use crate::error::{ConfigErrors, FieldError};
use crate::model::GatewayConfig;

/// The largest document accepted, in bytes (1 MiB; a 48-port gateway's is about 40 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Fields whose values are secrets: a type error there must not echo the value.
const SECRET_FIELDS: [&str; 5] = [
    "password",
    "auth_password",
    "priv_password",
    "communities",
    "community",
];

/// Read a document without validating it: size limit, JSON syntax, types, unknown fields.
/// Errors carry the JSON path of the field (`ports[2].extension`) and the line and column.
pub fn deserialize(bytes: &[u8]) -> Result<GatewayConfig, ConfigErrors> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ConfigErrors(vec![FieldError::new(
            "",
            format!(
                "{} bytes; a configuration document is at most {MAX_DOCUMENT_BYTES} bytes",
                bytes.len()
            ),
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let config: GatewayConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = json_path(e.path());
        let inner = e.inner();
        let last = path.rsplit('.').next().unwrap_or("");
        let secret = SECRET_FIELDS
            .iter()
            .any(|f| last == *f || last.starts_with(&format!("{f}[")));
        let what = if secret {
            "wrong type (the value of a secret is not shown); expected a string".to_string()
        } else {
            message(inner)
        };
        ConfigErrors(vec![FieldError::new(
            path,
            format!("{what} (line {}, column {})", inner.line(), inner.column()),
        )])
    })?;
    // Trailing data after the document is an error too.
    de.end().map_err(|e| {
        ConfigErrors(vec![FieldError::new(
            "",
            format!("{} (line {}, column {})", message(&e), e.line(), e.column()),
        )])
    })?;
    Ok(config)
}

/// serde_json's message without its own " at line L column C" suffix.
fn message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(cut) => m[..cut].to_string(),
        None => m,
    }
}

/// Read and validate a document: [`deserialize`] then
/// [`GatewayConfig::validate`]. Dial-plan syntax is not checked here; call
/// [`GatewayConfig::validate_with`] on the result for that.
pub fn parse(bytes: &[u8]) -> Result<GatewayConfig, ConfigErrors> {
    let c = deserialize(bytes)?;
    c.validate()?;
    Ok(c)
}

/// `serde_path_to_error`'s path in this crate's notation: `ports[2].extension`, and map keys
/// that are not identifiers as `speed_dial["5"]` (as [`GatewayConfig::validate`] writes
/// them); empty for the root.
fn json_path(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let ident = key.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if ident {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(
                        &serde_json::Value::String(crate::validate::shown(key)).to_string(),
                    );
                    out.push(']');
                }
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// The JSON Schema (draft 2020-12) of the document, derived from the same types the parser
/// uses. It checks structure and types; [`GatewayConfig::validate`] checks the rest
/// (ranges, formats, uniqueness, consistency).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(GatewayConfig);
    format!("{:#}", schema.as_value())
}
