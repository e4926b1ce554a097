//! Errors: every problem of a document, each with the JSON path of the field it is about.

use std::fmt;

/// One problem of a configuration document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where: a JSON path such as `ports[2].extension`, `sip.servers[0]` or
    /// `ports[0].speed_dial["5"]`; empty for the document as a whole.
    pub path: String,
    /// What is wrong, in words an operator can act on. Never holds a secret's value.
    pub message: String,
}

impl FieldError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "document: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// All the problems found in a document (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<FieldError>);

impl ConfigErrors {
    /// The problems, in document order.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// Whether some problem is at exactly `path`.
    pub fn has_path(&self, path: &str) -> bool {
        self.0.iter().any(|e| e.path == path)
    }

    /// The problems at exactly `path`.
    pub fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.0.iter().filter(move |e| e.path == path)
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    pub(crate) fn into_result(self) -> std::result::Result<(), ConfigErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => write!(f, "no problems"),
            1 => write!(f, "invalid configuration: {}", self.0[0]),
            n => {
                write!(f, "invalid configuration ({n} problems):")?;
                for e in &self.0 {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}

/// The error of this crate's fallible operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document was refused: unparseable, too large, or failing validation.
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_every_problem_with_its_path() {
        let mut e = ConfigErrors::default();
        e.push("ports[2].extension", "not digits");
        e.push("", "too large");
        let text = e.to_string();
        assert!(text.contains("2 problems"), "{text}");
        assert!(text.contains("ports[2].extension: not digits"), "{text}");
        assert!(text.contains("document: too large"), "{text}");
        assert!(e.has_path("ports[2].extension"));
        assert_eq!(e.at("").count(), 1);
        assert!(ConfigErrors::default().into_result().is_ok());
    }
}
