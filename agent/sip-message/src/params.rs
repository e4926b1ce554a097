//! Ordered `;name=value` parameter lists, used by URIs and by header values.

use std::fmt;

use crate::text::write_quoted;

/// One parameter: `name`, `name=value` or `name="quoted value"`.
///
/// In a header value, a quoted value is kept without its quotes (quoted-pairs resolved)
/// and `quoted` is set so that it is written back quoted. In a URI, values keep the URI's
/// %-escapes (see [`Uri`](crate::Uri)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    /// The parameter name as received (compare with `eq_ignore_ascii_case`).
    pub name: String,
    /// The value, if the parameter has one.
    pub value: Option<String>,
    /// Write the value as a quoted string.
    pub quoted: bool,
}

impl Param {
    /// A parameter with an optional plain (token or host) value. A value that is not a
    /// plain token/host is written quoted.
    pub fn new(name: impl Into<String>, value: Option<impl Into<String>>) -> Param {
        let value: Option<String> = value.map(Into::into);
        let quoted = value.as_deref().is_some_and(needs_quotes);
        Param {
            name: name.into(),
            value,
            quoted,
        }
    }

    /// A parameter whose value is written as a quoted string.
    pub fn quoted(name: impl Into<String>, value: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            value: Some(value.into()),
            quoted: true,
        }
    }
}

/// True when a header parameter value cannot be written bare (token / host).
fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || !v
            .bytes()
            .all(|b| crate::text::is_token_byte(b) || matches!(b, b':' | b'[' | b']'))
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(v) = &self.value {
            f.write_str("=")?;
            if self.quoted {
                write_quoted(f, v)?;
            } else {
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// An ordered list of parameters; names compare case-insensitively (RFC 3261 §7.3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// An empty list.
    pub fn new() -> Params {
        Params(Vec::new())
    }

    /// The first parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The value of the first parameter called `name`; `None` when absent or valueless.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.param(name).and_then(|p| p.value.as_deref())
    }

    /// True when a parameter called `name` is present (with or without a value).
    pub fn has(&self, name: &str) -> bool {
        self.param(name).is_some()
    }

    /// Append a parameter.
    pub fn push(&mut self, p: Param) {
        self.0.push(p);
    }

    /// Replace the value of `name` (keeping its place) or append it.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let new = Param::new(name, value);
        if let Some(p) = self
            .0
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            *p = new;
        } else {
            self.0.push(new);
        }
    }

    /// Remove every parameter called `name`; true when one was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
        self.0.len() != before
    }

    /// Iterate in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.0.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Params {
    /// Writes `;a=b;c` (each parameter preceded by `;`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a Param;
    type IntoIter = std::slice::Iter<'a, Param>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3261 §7.3.1: parameter names are case-insensitive.
    #[test]
    fn lookup_set_remove() {
        let mut p = Params::new();
        p.push(Param::new("Tag", Some("abc")));
        p.push(Param::new("lr", None::<String>));
        assert_eq!(p.get("tag"), Some("abc"));
        assert!(p.has("LR"));
        assert_eq!(p.get("lr"), None);
        p.set("tag", Some("x"));
        p.set("q", Some("0.5"));
        assert_eq!(p.to_string(), ";tag=x;lr;q=0.5");
        assert!(p.remove("LR"));
        assert!(!p.remove("lr"));
        p.push(Param::new("i", Some("<urn:uuid:1>")));
        assert_eq!(p.to_string(), ";tag=x;q=0.5;i=\"<urn:uuid:1>\"");
    }
}
