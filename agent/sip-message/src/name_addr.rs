//! `name-addr` / `addr-spec` values (From, To, Contact, Route, Refer-To, ...), RFC 3261
//! §20.10, §20.20, §25.1.

use std::fmt;

use crate::error::{Error, Result};
use crate::params::{Param, Params};
use crate::text::{
    clip, is_lws_byte, is_token_byte, parse_header_params, parse_quoted, trim_lws, write_quoted,
};
use crate::typed::TypedHeader;
use crate::uri::Uri;

/// A display name, a URI and header parameters: `"Alice" <sip:alice@example.com>;tag=1`.
///
/// Parsing accepts a quoted display name, a display name of tokens (no white space needed
/// before `<`, RFC 4475 §3.1.1.6), and a bare addr-spec without `<>` — in which case any
/// `;params` after the URI are header parameters (RFC 3261 §20.10) and a URI with `?headers`
/// is refused. Writing always uses `<>` and quotes the display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameAddr {
    /// The display name, unquoted.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`, `+sip.instance`, ...).
    pub params: Params,
}

impl NameAddr {
    /// `<uri>` with no display name or parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Params::new(),
        }
    }

    /// Set the display name.
    pub fn with_display(mut self, display: &str) -> NameAddr {
        self.display = Some(display.to_owned());
        self
    }

    /// Add a header parameter (quoted when the value is not a token/host).
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> NameAddr {
        self.params.push(Param::new(name, value));
        self
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag")
    }

    /// Set (or replace) the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    /// Parse a name-addr or addr-spec with its header parameters.
    pub fn parse(s: &str) -> Result<NameAddr> {
        let s = trim_lws(s);
        if s.is_empty() {
            return Err(Error::syntax("name-addr", "empty value"));
        }
        let (display, rest) = if s.starts_with('"') {
            let (d, rest) = parse_quoted(s)
                .map_err(|_| Error::syntax("name-addr", "unterminated quoted display name"))?;
            let rest = trim_lws(rest);
            if !rest.starts_with('<') {
                return Err(Error::syntax(
                    "name-addr",
                    "quoted display name not followed by '<'",
                ));
            }
            (Some(d), rest)
        } else if let Some(lt) = s.find(['<', '"']) {
            if s.as_bytes()[lt] == b'"' {
                return Err(Error::syntax(
                    "name-addr",
                    format!("stray quote in {:?}", clip(s)),
                ));
            }
            let d = trim_lws(&s[..lt]);
            if let Some(b) = d
                .bytes()
                .find(|&b| !(is_token_byte(b) || is_lws_byte(b) || b >= 0x80))
            {
                return Err(Error::syntax(
                    "name-addr",
                    format!("character {:?} in an unquoted display name", b as char),
                ));
            }
            ((!d.is_empty()).then(|| d.to_owned()), &s[lt..])
        } else {
            return Self::parse_addr_spec(s);
        };
        let inner_end = rest
            .find('>')
            .ok_or_else(|| Error::syntax("name-addr", format!("missing '>' in {:?}", clip(s))))?;
        let uri = Uri::parse(&rest[1..inner_end])?;
        let params = parse_header_params(&rest[inner_end + 1..])?;
        Ok(NameAddr {
            display,
            uri,
            params,
        })
    }

    /// The bare `addr-spec *(SEMI param)` form.
    fn parse_addr_spec(s: &str) -> Result<NameAddr> {
        // The userinfo of a SIP URI may hold ';' and '?' (RFC 4475 §3.1.1.9), but never a
        // raw '@'; parameters start after the host.
        let quote = s.find('"').unwrap_or(s.len());
        let search_from = match s[..quote].find('@') {
            Some(at) => at + 1,
            None => s.find(':').map_or(0, |c| c + 1),
        };
        let end = s[search_from..]
            .find([';', ',', ' ', '\t'])
            .map_or(s.len(), |i| search_from + i);
        let uri_text = &s[..end];
        if uri_text.contains('?') {
            return Err(Error::syntax(
                "name-addr",
                "a URI with headers must be enclosed in '<' '>' (RFC 3261 §20)",
            ));
        }
        let uri = Uri::parse(uri_text)?;
        let params = parse_header_params(&s[end..])?;
        Ok(NameAddr {
            display: None,
            uri,
            params,
        })
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write_quoted(f, d)?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

impl std::str::FromStr for NameAddr {
    type Err = Error;
    fn from_str(s: &str) -> Result<NameAddr> {
        NameAddr::parse(s)
    }
}

/// One Contact value (RFC 3261 §20.10): `*` or an address with parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Contact {
    /// `Contact: *` (REGISTER removing all bindings).
    Wildcard,
    /// An address.
    Addr(NameAddr),
}

impl Contact {
    /// The address, unless this is `*`.
    pub fn addr(&self) -> Option<&NameAddr> {
        match self {
            Contact::Wildcard => None,
            Contact::Addr(a) => Some(a),
        }
    }

    /// The `expires` parameter (RFC 3261 §20.10); a value over 2^32-1 is an error.
    pub fn expires(&self) -> Result<Option<u32>> {
        match self.addr().and_then(|a| a.params.get("expires")) {
            None => Ok(None),
            Some(v) => crate::text::parse_u32("Contact expires", v).map(Some),
        }
    }

    /// The `q` parameter (RFC 3261 §20.10), 0.0 ..= 1.0.
    pub fn q(&self) -> Result<Option<f32>> {
        match self.addr().and_then(|a| a.params.get("q")) {
            None => Ok(None),
            Some(v) => {
                let ok = v.len() <= 5
                    && (v.starts_with("0") || v.starts_with("1"))
                    && v.bytes().enumerate().all(|(i, b)| {
                        if i == 1 {
                            b == b'.'
                        } else {
                            b.is_ascii_digit()
                        }
                    });
                let q: f32 = v
                    .parse()
                    .map_err(|_| Error::syntax("Contact q", format!("{v:?}")))?;
                if !ok || q > 1.0 {
                    return Err(Error::syntax("Contact q", format!("{v:?} is not a qvalue")));
                }
                Ok(Some(q))
            }
        }
    }
}

impl TypedHeader for Contact {
    const NAME: &'static str = "Contact";
    fn parse(value: &str) -> Result<Contact> {
        if trim_lws(value) == "*" {
            Ok(Contact::Wildcard)
        } else {
            NameAddr::parse(value).map(Contact::Addr)
        }
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Addr(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn na(s: &str) -> NameAddr {
        NameAddr::parse(s).unwrap()
    }

    // RFC 3261 §20.10: with no '<>', parameters after the URI are header parameters
    // (RFC 4475 §3.3.12 cparam01 vs §3.3.13 cparam02).
    #[test]
    fn bare_addr_spec_params_are_header_params() {
        let a = na("sip:+19725552222@gw1.example.net;unknownparam");
        assert!(a.params.has("unknownparam"));
        assert!(a.uri.params().unwrap().is_empty());
        let b = na("<sip:+19725552222@gw1.example.net;unknownparam>");
        assert!(b.params.is_empty());
        assert!(b.uri.params().unwrap().has("unknownparam"));
    }

    // RFC 4475 §3.1.1.6 (lwsdisp), §3.1.1.1 (wsinv), §3.1.1.2 (intmeth) display names.
    #[test]
    fn display_names() {
        assert_eq!(
            na("caller<sip:caller@example.com>;tag=323")
                .display
                .as_deref(),
            Some("caller")
        );
        let w = na(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        );
        assert_eq!(w.display.as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(w.tag(), Some("98asjd8"));
        let t = na("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.");
        assert_eq!(t.display.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(t.tag(), Some("_token~1'+`*%!-."));
    }

    // RFC 4475 §3.1.2.6 quotbal, §3.1.2.14 badaspec, §3.1.2.15 baddn, §3.1.2.13 regbadct.
    #[test]
    fn malformed() {
        assert!(NameAddr::parse("\"Mr. J. User <sip:j.user@example.com>").is_err());
        assert!(NameAddr::parse("\"Watson, Thomas\" < sip:t.watson@example.org >").is_err());
        assert!(NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_err());
        assert!(NameAddr::parse("\"Joe\" <sip:joe@example.org>;;;;").is_err());
        assert!(NameAddr::parse("<sip:joe@example.org").is_err());
    }

    // RFC 5626 §4.2 / RFC 3840: quoted +sip.instance values survive.
    #[test]
    fn quoted_instance_param_round_trip() {
        let s = r#"<sip:1001@192.0.2.7:5060;transport=udp>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000E08AABBCC>";expires=3600"#;
        let a = na(s);
        assert_eq!(
            a.params.get("+sip.instance"),
            Some("<urn:uuid:00000000-0000-1000-8000-000E08AABBCC>")
        );
        assert_eq!(a.to_string(), s);
        let c = Contact::Addr(a);
        assert_eq!(c.expires().unwrap(), Some(3600));
        assert_eq!(Contact::parse("*").unwrap(), Contact::Wildcard);
        assert_eq!(
            Contact::parse("<sip:a@b>;q=0.7").unwrap().q().unwrap(),
            Some(0.7)
        );
        assert!(Contact::parse("<sip:a@b>;q=2").unwrap().q().is_err());
        assert!(Contact::parse("<sip:a@b>;expires=280297596632815")
            .unwrap()
            .expires()
            .is_err());
    }

    #[test]
    fn display_round_trip() {
        let a = NameAddr::new(Uri::parse("tel:+15551234").unwrap())
            .with_display("Line \"1\"")
            .with_param("tag", Some("x1"));
        assert_eq!(a.to_string(), r#""Line \"1\"" <tel:+15551234>;tag=x1"#);
        assert_eq!(na(&a.to_string()), a);
    }
}
