//! The console: a web UI for the fleet, served by the API listener at `/console/`.
//!
//! It is a client of the REST API like any other (it signs in with an API token and its
//! role decides what the API lets it do), written as plain ES modules and CSS with no
//! build step: the files in `provisioner/provisioner/console/` (`console.js` routes and
//! draws the fleet screens, `lib.js` holds what every screen shares, one module per
//! other area) are embedded in the binary and served as they are, with a
//! Content-Security-Policy that allows only this origin.
//! Every value the API returns goes into the page as text, never as HTML.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::app::App;

/// The console's files: name, content, type. Served at `/console/NAME`.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", include_str!("../console/index.html"), HTML),
    ("console.js", include_str!("../console/console.js"), JS),
    ("lib.js", include_str!("../console/lib.js"), JS),
    (
        "enrollment.js",
        include_str!("../console/enrollment.js"),
        JS,
    ),
    ("config.js", include_str!("../console/config.js"), JS),
    ("firmware.js", include_str!("../console/firmware.js"), JS),
    ("admin.js", include_str!("../console/admin.js"), JS),
    ("console.css", include_str!("../console/console.css"), CSS),
    ("screens.css", include_str!("../console/screens.css"), CSS),
];
const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Only this origin; inline style attributes (bars and charts) but no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'self'";

/// The console's routes (merged into the API's router).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(|| async { file("index.html") }))
        .route(
            "/console/{name}",
            get(|Path(name): Path<String>| async move { file(&name) }),
        )
}

fn file(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, body, content_type)) => asset(body, content_type),
        None => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}
