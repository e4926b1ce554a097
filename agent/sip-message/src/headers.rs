//! Header fields: an ordered list of (canonical name, raw value), typed on demand.
//!
//! Names are canonical: compact forms (`i`, `m`, `v`, ...) are expanded and known names
//! take their RFC spelling (`call-id` -> `Call-ID`); unknown names are kept as received.
//! Lookup is case-insensitive and understands compact forms. Values of list-valued
//! headers (Via, Contact, Route, Allow, Supported, ...) are split on top-level commas
//! when a message is parsed, so each entry holds one value. Everything else is kept as
//! text until a typed accessor reads it.

use std::borrow::Cow;
use std::fmt;

use crate::error::{Error, Result};
use crate::method::Method;
use crate::name_addr::{Contact, NameAddr};
use crate::text::{is_token, split_top_level, trim_lws};
use crate::typed::{CSeq, MediaType, TypedHeader};
use crate::via::Via;

/// A header known to this crate: canonical spelling, compact form, list-valued or not.
struct Known {
    name: &'static str,
    compact: Option<u8>,
    list: bool,
}

const fn k(name: &'static str, compact: Option<u8>, list: bool) -> Known {
    Known {
        name,
        compact,
        list,
    }
}

/// Header names with their compact forms (RFC 3261 §7.3.3 and the IANA registry) and
/// whether they are comma-separated lists (RFC 3261 §7.3.1).
const KNOWN: &[Known] = &[
    k("Via", Some(b'v'), true),
    k("From", Some(b'f'), false),
    k("To", Some(b't'), false),
    k("Call-ID", Some(b'i'), false),
    k("CSeq", None, false),
    k("Contact", Some(b'm'), true),
    k("Max-Forwards", None, false),
    k("Content-Length", Some(b'l'), false),
    k("Content-Type", Some(b'c'), false),
    k("Route", None, true),
    k("Record-Route", None, true),
    k("Accept", None, true),
    k("Accept-Contact", Some(b'a'), true),
    k("Accept-Encoding", None, true),
    k("Accept-Language", None, true),
    k("Alert-Info", None, true),
    k("Allow", None, true),
    k("Allow-Events", Some(b'u'), true),
    k("Authentication-Info", None, false),
    k("Authorization", None, false),
    k("Call-Info", None, true),
    k("Content-Disposition", None, false),
    k("Content-Encoding", Some(b'e'), true),
    k("Content-Language", None, true),
    k("Date", None, false),
    k("Diversion", None, true),
    k("Error-Info", None, true),
    k("Event", Some(b'o'), false),
    k("Expires", None, false),
    k("History-Info", None, true),
    k("Identity", Some(b'y'), false),
    k("Identity-Info", Some(b'n'), false),
    k("In-Reply-To", None, true),
    k("Join", None, false),
    k("MIME-Version", None, false),
    k("Min-Expires", None, false),
    k("Min-SE", None, false),
    k("Organization", None, false),
    k("P-Asserted-Identity", None, true),
    k("P-Preferred-Identity", None, true),
    k("P-Early-Media", None, true),
    k("Path", None, true),
    k("Priority", None, false),
    k("Privacy", None, false),
    k("Proxy-Authenticate", None, false),
    k("Proxy-Authorization", None, false),
    k("Proxy-Require", None, true),
    k("RAck", None, false),
    k("Reason", None, true),
    k("Refer-Sub", None, false),
    k("Refer-To", Some(b'r'), false),
    k("Referred-By", Some(b'b'), false),
    k("Reject-Contact", Some(b'j'), true),
    k("Remote-Party-ID", None, true),
    k("Replaces", None, false),
    k("Reply-To", None, false),
    k("Request-Disposition", Some(b'd'), true),
    k("Require", None, true),
    k("Retry-After", None, false),
    k("RSeq", None, false),
    k("Security-Client", None, true),
    k("Security-Server", None, true),
    k("Security-Verify", None, true),
    k("Server", None, false),
    k("Service-Route", None, true),
    k("Session-Expires", Some(b'x'), false),
    k("SIP-ETag", None, false),
    k("SIP-If-Match", None, false),
    k("Subject", Some(b's'), false),
    k("Subscription-State", None, false),
    k("Supported", Some(b'k'), true),
    k("Target-Dialog", None, false),
    k("Timestamp", None, false),
    k("Unsupported", None, true),
    k("User-Agent", None, false),
    k("Warning", None, true),
    k("WWW-Authenticate", None, false),
];

/// Bucket of a name: from its length and first and last octets, case-folded.
fn bucket(b: &[u8]) -> usize {
    let first = b[0].to_ascii_lowercase() as usize;
    let last = b[b.len() - 1].to_ascii_lowercase() as usize;
    (b.len() * 31 + first * 7 + last) & 255
}

/// Indexes into [`KNOWN`] by [`bucket`] (built once).
fn buckets() -> &'static [Vec<u8>] {
    static BUCKETS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    BUCKETS.get_or_init(|| {
        let mut v = vec![Vec::new(); 256];
        for (i, k) in KNOWN.iter().enumerate() {
            v[bucket(k.name.as_bytes())].push(i as u8);
        }
        v
    })
}

fn known(name: &str) -> Option<&'static Known> {
    let b = name.as_bytes();
    match b.len() {
        0 => None,
        1 => {
            let c = b[0].to_ascii_lowercase();
            KNOWN.iter().find(|k| k.compact == Some(c))
        }
        _ => buckets()[bucket(b)]
            .iter()
            .map(|&i| &KNOWN[i as usize])
            .find(|k| k.name.eq_ignore_ascii_case(name)),
    }
}

/// A header name in canonical form. Equality is case-insensitive.
#[derive(Debug, Clone, Eq)]
pub struct HeaderName(Cow<'static, str>, bool);

impl HeaderName {
    /// Canonicalise a name: expand a compact form, use the RFC spelling of a known name,
    /// keep an unknown one as given.
    pub fn new(name: &str) -> HeaderName {
        match known(name) {
            Some(k) => HeaderName(Cow::Borrowed(k.name), k.list),
            None => HeaderName(Cow::Owned(name.to_owned()), false),
        }
    }

    /// The name as it is written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for headers whose values are comma-separated lists (RFC 3261 §7.3.1).
    pub fn is_list(&self) -> bool {
        self.1
    }

    /// Case-insensitive comparison with a name (compact forms understood).
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(resolve(name))
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &HeaderName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl std::hash::Hash for HeaderName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for HeaderName {
    fn from(s: &str) -> HeaderName {
        HeaderName::new(s)
    }
}

/// A compact query name (`"i"`) resolved to its full name; other names unchanged.
fn resolve(name: &str) -> &str {
    if name.len() == 1 {
        if let Some(k) = known(name) {
            return k.name;
        }
    }
    name
}

/// One header field: name and raw value (unfolded, trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// Canonical name.
    pub name: HeaderName,
    /// Raw value text.
    pub value: String,
}

/// The header fields of a message, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// Number of header fields (list values count one each).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All header fields in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }

    /// The first value of `name` (case-insensitive, compact forms understood).
    pub fn get(&self, name: &str) -> Option<&str> {
        let name = resolve(name);
        self.0
            .iter()
            .find(|h| h.name.0.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = HeaderName::new(name);
        self.0
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| h.value.as_str())
    }

    /// How many fields called `name` there are.
    pub fn count(&self, name: &str) -> usize {
        let name = resolve(name);
        self.0
            .iter()
            .filter(|h| h.name.0.eq_ignore_ascii_case(name))
            .count()
    }

    /// True when `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Append a field (the value is kept as given, not split).
    pub fn push(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        self.0.push(Header {
            name: name.into(),
            value: value.into(),
        });
    }

    /// Insert a field before all others of the same name (or at the end when there are
    /// none) — how a Via or Record-Route is added on top.
    pub fn push_front(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        let name = name.into();
        let at = self
            .0
            .iter()
            .position(|h| h.name == name)
            .unwrap_or(self.0.len());
        self.0.insert(
            at,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// Replace every field called `name` with one holding `value` (at the place of the
    /// first, or at the end).
    pub fn set(&mut self, name: impl Into<HeaderName>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter().position(|h| h.name == name) {
            Some(i) => {
                self.0[i].value = value;
                let mut idx = 0;
                self.0.retain(|h| {
                    let keep = idx <= i || h.name != name;
                    idx += 1;
                    keep
                });
            }
            None => self.0.push(Header { name, value }),
        }
    }

    /// Remove every field called `name`; returns their values.
    pub fn remove(&mut self, name: &str) -> Vec<String> {
        let name = HeaderName::new(name);
        let mut out = Vec::new();
        self.0.retain_mut(|h| {
            if h.name == name {
                out.push(std::mem::take(&mut h.value));
                false
            } else {
                true
            }
        });
        out
    }

    /// Remove the first field called `name`; returns its value.
    pub fn remove_first(&mut self, name: &str) -> Option<String> {
        let name = HeaderName::new(name);
        let i = self.0.iter().position(|h| h.name == name)?;
        Some(self.0.remove(i).value)
    }

    /// Add a field from parsed text, splitting list values on top-level commas.
    pub(crate) fn push_parsed(&mut self, name: &str, value: &str) {
        let name = HeaderName::new(name);
        if name.is_list() && value.contains(',') {
            let items: Vec<&str> = split_top_level(value, b',');
            let mut any = false;
            for item in items.iter().filter(|i| !i.is_empty()) {
                any = true;
                self.0.push(Header {
                    name: name.clone(),
                    value: (*item).to_owned(),
                });
            }
            if !any {
                self.0.push(Header {
                    name,
                    value: String::new(),
                });
            }
        } else {
            self.0.push(Header {
                name,
                value: value.to_owned(),
            });
        }
    }

    /// Every value of `name`, with list values split again on top-level commas (for
    /// fields added with [`push`](Self::push) as one comma-joined string).
    pub fn values(&self, name: &str) -> Vec<&str> {
        let name = HeaderName::new(name);
        let list = name.is_list();
        let mut out = Vec::new();
        for h in self.0.iter().filter(|h| h.name == name) {
            if list && h.value.contains(',') {
                out.extend(
                    split_top_level(&h.value, b',')
                        .into_iter()
                        .filter(|s| !s.is_empty()),
                );
            } else {
                out.push(h.value.as_str());
            }
        }
        out
    }

    /// The one value of a single-valued header: missing or repeated is an error.
    pub fn single(&self, name: &str) -> Result<&str> {
        let mut it = self.get_all(name);
        let first = it.next().ok_or_else(|| Error::MissingHeader {
            header: HeaderName::new(name).as_str().to_owned(),
        })?;
        if it.next().is_some() {
            return Err(Error::MultipleValues {
                header: HeaderName::new(name).as_str().to_owned(),
            });
        }
        Ok(first)
    }

    /// The value of a single-valued header that may be absent; repeated is an error.
    pub fn optional(&self, name: &str) -> Result<Option<&str>> {
        match self.single(name) {
            Ok(v) => Ok(Some(v)),
            Err(Error::MissingHeader { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    // -- typed access ---------------------------------------------------------------------

    /// Read the one value of `T` (missing or repeated is an error).
    pub fn typed<T: TypedHeader>(&self) -> Result<T> {
        T::parse(self.single(T::NAME)?)
    }

    /// Read `T` if present (repeated is an error).
    pub fn typed_opt<T: TypedHeader>(&self) -> Result<Option<T>> {
        self.optional(T::NAME)?.map(T::parse).transpose()
    }

    /// Read every value of `T` in order (list values split).
    pub fn typed_all<T: TypedHeader>(&self) -> Result<Vec<T>> {
        self.values(T::NAME).into_iter().map(T::parse).collect()
    }

    /// Replace every `T` field with `value`.
    pub fn set_typed<T: TypedHeader>(&mut self, value: &T) {
        self.set(T::NAME, value.to_string());
    }

    /// Append a `T` field.
    pub fn push_typed<T: TypedHeader>(&mut self, value: &T) {
        self.push(T::NAME, value.to_string());
    }

    /// Call-ID (RFC 3261 §20.8): `word [ "@" word ]`.
    pub fn call_id(&self) -> Result<&str> {
        let v = self.single("Call-ID")?;
        crate::typed::check_call_id(v)?;
        Ok(v)
    }

    /// CSeq (RFC 3261 §20.16).
    pub fn cseq(&self) -> Result<CSeq> {
        self.typed()
    }

    /// From (RFC 3261 §20.20).
    pub fn from(&self) -> Result<NameAddr> {
        NameAddr::parse(self.single("From")?)
    }

    /// To (RFC 3261 §20.39).
    pub fn to(&self) -> Result<NameAddr> {
        NameAddr::parse(self.single("To")?)
    }

    /// Every Via, topmost first (RFC 3261 §20.42).
    pub fn vias(&self) -> Result<Vec<Via>> {
        self.typed_all()
    }

    /// The topmost Via.
    pub fn top_via(&self) -> Result<Via> {
        let v = self
            .values("Via")
            .into_iter()
            .next()
            .ok_or_else(|| Error::MissingHeader {
                header: "Via".into(),
            })?;
        Via::parse(v)
    }

    /// Every Contact (RFC 3261 §20.10).
    pub fn contacts(&self) -> Result<Vec<Contact>> {
        self.typed_all()
    }

    /// Max-Forwards (RFC 3261 §20.22), 0..=255.
    pub fn max_forwards(&self) -> Result<Option<u8>> {
        self.optional("Max-Forwards")?
            .map(|v| {
                let n = crate::text::parse_u32("Max-Forwards", trim_lws(v))?;
                u8::try_from(n)
                    .map_err(|_| Error::syntax("Max-Forwards", format!("{n} is over 255")))
            })
            .transpose()
    }

    /// Content-Length (RFC 3261 §20.14).
    pub fn content_length(&self) -> Result<Option<u32>> {
        self.optional("Content-Length")?
            .map(|v| crate::text::parse_u32("Content-Length", trim_lws(v)))
            .transpose()
    }

    /// Content-Type (RFC 3261 §20.15).
    pub fn content_type(&self) -> Result<Option<MediaType>> {
        self.typed_opt()
    }

    /// Expires (RFC 3261 §20.19), delta-seconds.
    pub fn expires(&self) -> Result<Option<u32>> {
        self.optional("Expires")?
            .map(|v| crate::text::parse_u32("Expires", trim_lws(v)))
            .transpose()
    }

    /// Min-Expires (RFC 3261 §20.23).
    pub fn min_expires(&self) -> Result<Option<u32>> {
        self.optional("Min-Expires")?
            .map(|v| crate::text::parse_u32("Min-Expires", trim_lws(v)))
            .transpose()
    }

    /// The tokens of a token-list header (Require, Supported, Unsupported,
    /// Proxy-Require, Allow-Events, ...), across all its fields.
    pub fn tokens(&self, name: &str) -> Result<Vec<&str>> {
        self.values(name)
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| {
                if is_token(v) {
                    Ok(v)
                } else {
                    Err(Error::syntax(
                        "token list",
                        format!("{name}: {v:?} is not a token"),
                    ))
                }
            })
            .collect()
    }

    /// Allow (RFC 3261 §20.5).
    pub fn allow(&self) -> Result<Vec<Method>> {
        self.values("Allow")
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(Method::parse)
            .collect()
    }

    /// Route (RFC 3261 §20.34), in order.
    pub fn routes(&self) -> Result<Vec<NameAddr>> {
        self.values("Route")
            .into_iter()
            .map(NameAddr::parse)
            .collect()
    }

    /// Record-Route (RFC 3261 §20.30), in order.
    pub fn record_routes(&self) -> Result<Vec<NameAddr>> {
        self.values("Record-Route")
            .into_iter()
            .map(NameAddr::parse)
            .collect()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3261 §7.3.3: compact forms; §7.3.1: names case-insensitive.
    #[test]
    fn compact_and_case() {
        let mut h = Headers::new();
        h.push_parsed("i", "abc@host");
        h.push_parsed("MAX-forwards", "70");
        h.push_parsed("X-Custom", "1");
        assert_eq!(h.get("Call-ID"), Some("abc@host"));
        assert_eq!(h.get("call-id"), Some("abc@host"));
        assert_eq!(h.get("I"), Some("abc@host"));
        assert_eq!(h.iter().next().unwrap().name.as_str(), "Call-ID");
        assert_eq!(h.iter().nth(1).unwrap().name.as_str(), "Max-Forwards");
        assert_eq!(h.get("x-custom"), Some("1"));
    }

    // RFC 3261 §7.3.1: list values split on top-level commas, not inside quotes or <>.
    #[test]
    fn list_split() {
        let mut h = Headers::new();
        h.push_parsed("m", r#""Bell, A" <sip:a@b>;q=0.5, <sip:c@d>"#);
        h.push_parsed("Date", "Sat, 13 Nov 2010 23:29:00 GMT");
        h.push_parsed("Supported", "replaces, timer,,");
        assert_eq!(h.count("Contact"), 2);
        assert_eq!(h.get_all("contact").nth(1), Some("<sip:c@d>"));
        assert_eq!(h.count("Date"), 1);
        assert_eq!(h.tokens("Supported").unwrap(), ["replaces", "timer"]);
    }

    #[test]
    fn set_remove_push_front() {
        let mut h = Headers::new();
        h.push("Via", "SIP/2.0/UDP a");
        h.push("To", "<sip:x@y>");
        h.push("Via", "SIP/2.0/UDP b");
        h.push_front("Via", "SIP/2.0/UDP top");
        assert_eq!(
            h.get_all("v").collect::<Vec<_>>(),
            ["SIP/2.0/UDP top", "SIP/2.0/UDP a", "SIP/2.0/UDP b"]
        );
        h.set("Via", "SIP/2.0/UDP only");
        assert_eq!(h.count("Via"), 1);
        assert_eq!(h.iter().next().unwrap().value, "SIP/2.0/UDP only");
        assert_eq!(h.remove("to"), ["<sip:x@y>"]);
        assert!(!h.contains("To"));
        h.push("Call-ID", "a");
        h.push("Call-ID", "b");
        assert!(matches!(h.call_id(), Err(Error::MultipleValues { .. })));
        assert!(matches!(h.cseq(), Err(Error::MissingHeader { .. })));
    }
}
