//! The REST API's errors: a status and a JSON body that names the field at fault.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An API error: `{"error": "...", "field": "..."}` with a 4xx/5xx status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub error: String,
    /// The request field at fault (JSON path or query parameter), if one is.
    pub field: Option<String>,
    /// More members of the body (`rows` of an import...).
    pub more: Vec<(String, serde_json::Value)>,
}

impl ApiError {
    /// 400 naming a field.
    pub fn field(field: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            field: Some(field.into()),
            more: Vec::new(),
        }
    }

    /// Any status, no field.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            field: None,
            more: Vec::new(),
        }
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same error with one more member in its body.
    pub fn with_detail(mut self, name: &str, value: serde_json::Value) -> Self {
        self.more.push((name.to_string(), value));
        self
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.error
    }

    /// 404.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 401: no or an unknown token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "an API token is required: Authorization: Bearer TOKEN",
        )
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(need: tipring_acs::model::Role) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!(
                "this needs a token with role {}",
                crate::auth::role_name(need)
            ),
        )
    }
}

impl From<tipring_store::Error> for ApiError {
    fn from(e: tipring_store::Error) -> Self {
        use tipring_store::Error as E;
        match e {
            E::NotFound(what) => Self::not_found(what),
            E::Conflict(what) => Self::new(StatusCode::CONFLICT, what),
            E::InUse(what) => Self::new(StatusCode::CONFLICT, format!("in use: {what}")),
            other => {
                tracing::error!(error = %other, "store");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.error });
        if let Some(f) = self.field {
            body["field"] = serde_json::Value::String(f);
        }
        for (k, v) in self.more {
            body[k.as_str()] = v;
        }
        (self.status, axum::Json(body)).into_response()
    }
}

/// API results.
pub type ApiResult<T> = Result<T, ApiError>;
