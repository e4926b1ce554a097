//! Lexical helpers shared by the parsers: RFC 3261 §25.1 character classes, LWS, quoted
//! strings, splitting on top-level separators and generic parameters.

use crate::error::{Error, Result};
use crate::params::{Param, Params};

/// The `token` octets as a table.
const TOKEN_TABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// `token` characters (RFC 3261 §25.1): alphanum and `-.!%*_+`'~`.
#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    TOKEN_TABLE[b as usize]
}

/// True when `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// `WSP` (SP / HTAB), plus CR and LF so that text not yet unfolded trims the same way.
pub(crate) fn is_lws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trim linear white space on both sides.
pub(crate) fn trim_lws(s: &str) -> &str {
    trim_lws_start(trim_lws_end(s))
}

/// Trim linear white space at the start.
pub(crate) fn trim_lws_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| is_lws_byte(b)).count();
    // LWS octets are ASCII, so `n` is a char boundary.
    &s[n..]
}

/// Trim linear white space at the end.
pub(crate) fn trim_lws_end(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && is_lws_byte(b[end - 1]) {
        end -= 1;
    }
    &s[..end]
}

/// Byte index of the end of a quoted string that starts at `s[0] == '"'`, i.e. the index
/// just past the closing quote; `None` when the quote is unterminated.
pub(crate) fn quoted_end(s: &[u8]) -> Option<usize> {
    debug_assert_eq!(s.first(), Some(&b'"'));
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Parse a quoted string at the start of `s` (`"..."`, quoted-pairs resolved) and return
/// its content and the remainder after the closing quote.
pub(crate) fn parse_quoted(s: &str) -> Result<(String, &str)> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return Err(Error::syntax("quoted-string", "expected '\"'"));
    }
    let end = quoted_end(bytes)
        .ok_or_else(|| Error::syntax("quoted-string", "unterminated quoted string"))?;
    Ok((unescape_quoted(&s[1..end - 1]), &s[end..]))
}

/// Resolve quoted-pairs (`\x` -> `x`) in the inside of a quoted string.
pub(crate) fn unescape_quoted(inner: &str) -> String {
    if !inner.contains('\\') {
        return inner.to_owned();
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Write `s` as a quoted string, escaping `"` and `\`.
pub(crate) fn write_quoted(f: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Split `s` on `sep` where it is not inside a quoted string or inside `<...>`.
/// Items are trimmed of LWS. An unterminated quote swallows the rest into the last item.
pub(crate) fn split_top_level(s: &str, sep: u8) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut in_angle = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            match quoted_end(&bytes[i..]) {
                Some(len) => {
                    i += len;
                    continue;
                }
                None => break,
            }
        } else if b == b'<' {
            in_angle = true;
        } else if b == b'>' {
            in_angle = false;
        } else if b == sep && !in_angle {
            out.push(trim_lws(&s[start..i]));
            start = i + 1;
        }
        i += 1;
    }
    out.push(trim_lws(&s[start..]));
    out
}

/// Parse `*( SEMI generic-param )` as found after a header value (`;a=b;c;d="q"`).
///
/// `s` must be empty or start (after LWS) with `;`. Names are tokens; values are a token,
/// a host (IPv6 references included) or a quoted string; LWS is allowed around `;` and `=`.
pub(crate) fn parse_header_params(s: &str) -> Result<Params> {
    let mut params = Params::new();
    let mut rest = trim_lws_start(s);
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix(';') else {
            return Err(Error::syntax(
                "parameters",
                format!("expected ';' at {:?}", clip(rest)),
            ));
        };
        rest = trim_lws_start(after);
        let name_len = rest.bytes().take_while(|&b| is_token_byte(b)).count();
        if name_len == 0 {
            return Err(Error::syntax("parameters", "empty parameter name"));
        }
        let name = &rest[..name_len];
        rest = trim_lws_start(&rest[name_len..]);
        if let Some(after_eq) = rest.strip_prefix('=') {
            rest = trim_lws_start(after_eq);
            if rest.starts_with('"') {
                let (value, r) = parse_quoted(rest)?;
                params.push(Param::quoted(name, value));
                rest = trim_lws_start(r);
            } else {
                let len = rest
                    .bytes()
                    .take_while(|&b| !matches!(b, b';' | b',' | b'"') && !is_lws_byte(b))
                    .count();
                if len == 0 {
                    return Err(Error::syntax(
                        "parameters",
                        format!("empty value for {name}"),
                    ));
                }
                params.push(Param::new(name, Some(&rest[..len])));
                rest = trim_lws_start(&rest[len..]);
            }
        } else {
            params.push(Param::new(name, None::<&str>));
        }
    }
    Ok(params)
}

/// A short prefix of `s` for error messages.
pub(crate) fn clip(s: &str) -> &str {
    let mut end = s.len().min(40);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Parse a decimal `u32` made of digits only (leading zeros allowed, overflow is an error).
pub(crate) fn parse_u32(what: &'static str, s: &str) -> Result<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::syntax(what, format!("not a number: {:?}", clip(s))));
    }
    s.parse::<u32>()
        .map_err(|_| Error::syntax(what, format!("value too large: {:?}", clip(s))))
}

/// Lower-case hex of a byte slice.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3261 §7.3.1: commas separate list values except inside quotes and <...>.
    #[test]
    fn split_respects_quotes_and_angles() {
        let v = split_top_level(r#""A, B" <sip:a@b>;x="1,2", <sip:c,d@e>, sip:f@g"#, b',');
        assert_eq!(v, [r#""A, B" <sip:a@b>;x="1,2""#, "<sip:c,d@e>", "sip:f@g"]);
    }

    // RFC 3261 §25.1: LWS allowed around ';' and '=' (RFC 4475 §3.1.1.1 wsinv).
    #[test]
    fn params_with_lws_and_quotes() {
        let p =
            parse_header_params(r#" ;   tag    = 1918181833n ; q = 0.33; flag; x="a\"b""#).unwrap();
        assert_eq!(p.get("tag"), Some("1918181833n"));
        assert_eq!(p.get("q"), Some("0.33"));
        assert!(p.has("flag"));
        assert_eq!(p.get("x"), Some("a\"b"));
        assert!(parse_header_params(";;").is_err());
        assert!(parse_header_params(";a=\"open").is_err());
    }

    // RFC 3261 §25.1: quoted-pair inside quoted-string.
    #[test]
    fn quoted_strings() {
        let (s, rest) = parse_quoted(r#""J Rosenberg \\\""   <x>"#).unwrap();
        assert_eq!(s, r#"J Rosenberg \""#);
        assert_eq!(rest, "   <x>");
        assert!(parse_quoted("\"abc").is_err());
    }
}
