//! The store's errors.

/// Store errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database said no (I/O, corruption, a constraint).
    #[error("database: {0}")]
    Database(String),
    /// The database server ended the connection (a restart, a terminated backend);
    /// PostgreSQL reads retry once on a new connection before they report it.
    #[error("database connection lost: {0}")]
    ConnectionLost(String),
    /// A write named something that does not exist (e.g. a task id). The text names it
    /// (`task 42`, `device 00D09E-X-1`), so that `"{text} not found"` reads well.
    #[error("not found: {0}")]
    NotFound(String),
    /// A write conflicts with what is stored (a used claim code, a duplicate name).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A delete of something others still use.
    #[error("in use: {0}")]
    InUse(String),
    /// The database is from a newer provisioner (its schema version is above ours).
    #[error("the database has schema version {found}; this provisioner knows up to {known}")]
    TooNew {
        /// In the file.
        found: u32,
        /// Ours.
        known: u32,
    },
    /// Sealed bytes that do not open with this key (wrong key, or tampered).
    #[error("a sealed secret does not open with this key")]
    Unseal,
    /// The key file is missing, unreadable or not 32 bytes.
    #[error("secret key: {0}")]
    Key(String),
    /// A store URL that names no backend ([`crate::open`]) or does not parse.
    #[error("store URL: {0}")]
    Url(String),
}

/// Store results.
pub type Result<T> = std::result::Result<T, Error>;

impl From<rusqlite::Error> for Error {
    /// A constraint the schema enforces (a duplicate token hash, a dangling reference)
    /// is a [`Error::Conflict`]; anything else is [`Error::Database`].
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => Error::Conflict(e.to_string()),
            _ => Error::Database(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for Error {
    /// A JSON column that does not decode (the database was edited by hand, or is corrupt).
    fn from(e: serde_json::Error) -> Self {
        Error::Database(format!("a JSON column does not decode: {e}"))
    }
}

/// The text of a PostgreSQL error: the server's message (with its detail) when the server
/// sent one, else the client's (`connection closed`, ...).
pub(crate) fn pg_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        },
        None => e.to_string(),
    }
}

impl From<postgres::Error> for Error {
    /// A constraint the schema enforces (SQLSTATE class 23: a duplicate key, a dangling
    /// reference, a CHECK) is a [`Error::Conflict`], as on SQLite; anything else
    /// (connection lost, deadlock, ...) is [`Error::Database`].
    fn from(e: postgres::Error) -> Self {
        let text = pg_text(&e);
        match e.code() {
            Some(code) if code.code().starts_with("23") => Error::Conflict(text),
            // 57P0x: the server ended the connection (shutdown, pg_terminate_backend);
            // 08: connection exceptions. The FATAL can arrive before the client marks
            // itself closed.
            Some(code) if code.code().starts_with("57P0") || code.code().starts_with("08") => {
                Error::ConnectionLost(text)
            }
            _ if e.is_closed() => Error::ConnectionLost(text),
            // A write to a socket the server already closed: an I/O error with no
            // SQLSTATE, before the client knows. The crate has no public kind for it, only
            // its text (a failed connect, "error connecting to server", stays Database).
            _ if e.code().is_none() && text.starts_with("error communicating with the server") => {
                Error::ConnectionLost(text)
            }
            _ => Error::Database(text),
        }
    }
}
