//! API tokens: `Authorization: Bearer TOKEN`, stored as SHA-256 only, each with a role.
//!
//! There is no default token. The first start creates one admin token and writes it to
//! `DATA/admin.token` (mode 0600) once; further tokens are made through the API
//! (`POST /api/v1/tokens`, admin) or `tipring-provisioner token create` on the server.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tipring_acs::model::Role;
use tipring_store::{ApiToken, Write};

use crate::app::{db, random_token, sha256_hex, unix_now, App};
use crate::error::ApiError;

/// Who is calling the API, once the token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (the actor in the audit log).
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// Ok when the caller's role is at least `need`.
    pub fn require(&self, need: Role) -> Result<(), ApiError> {
        if self.role >= need {
            Ok(())
        } else {
            Err(ApiError::forbidden(need))
        }
    }
}

/// The role's name as the API spells it.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::ReadOnly => "read_only",
        Role::Operator => "operator",
        Role::Admin => "admin",
    }
}

/// A role from its API name.
pub fn parse_role(s: &str) -> Option<Role> {
    Some(match s {
        "read_only" => Role::ReadOnly,
        "operator" => Role::Operator,
        "admin" => Role::Admin,
        _ => return None,
    })
}

/// Longest token accepted in a header (ours are 43 characters).
const MAX_TOKEN: usize = 256;

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN)
            .ok_or_else(ApiError::unauthorized)?;
        let hash = sha256_hex(token);
        let found = db(app, move |s| s.token_by_hash(&hash)).await?;
        match found {
            Some(t) if t.revoked_at.is_none() => Ok(Caller {
                name: t.name,
                role: t.role,
            }),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// A new token: (the token to give its holder once, what the store keeps).
pub fn new_token(name: &str, role: Role) -> (String, ApiToken) {
    let token = format!("tpr_{}", random_token(32));
    let stored = ApiToken {
        name: name.to_string(),
        role,
        token_sha256: sha256_hex(&token),
        created_at: unix_now(),
        revoked_at: None,
    };
    (token, stored)
}

/// Make sure an admin token exists: on a store without tokens, make one named `admin`,
/// write it to `path` (0600) and return it.
pub fn first_admin_token(
    store: &dyn tipring_store::Store,
    path: &std::path::Path,
) -> anyhow::Result<Option<String>> {
    if !store.tokens()?.is_empty() {
        return Ok(None);
    }
    let (token, stored) = new_token("admin", Role::Admin);
    write_private(path, format!("{token}\n").as_bytes())?;
    store.apply(vec![
        Write::PutToken(stored),
        Write::Audit(tipring_acs::model::AuditEntry {
            id: 0,
            at: unix_now(),
            actor: "provisioner".into(),
            action: "token.create".into(),
            target: "admin".into(),
            detail: serde_json::json!({ "role": "admin", "first_start": true }),
        }),
    ])?;
    Ok(Some(token))
}

/// Write a file only its owner can read.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
