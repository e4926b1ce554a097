//! Digest authentication as the UA uses it: pick the strongest challenge, answer it.
//!
//! The digest computation itself (MD5, SHA-256, -sess, qop) lives in
//! `tipring_sip_message::auth`; this module only chooses and formats.

use tipring_sip_message::auth::{choose, Challenge};
use tipring_sip_message::{Method, Response};

/// The challenge to answer in a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), with
/// the name of the header that carries our answer.
pub(crate) fn challenge_of(resp: &Response) -> Option<(&'static str, Challenge)> {
    let (challenges, answer) = if resp.status == 407 {
        (resp.headers.proxy_authenticate(), "Proxy-Authorization")
    } else {
        (resp.headers.www_authenticate(), "Authorization")
    };
    choose(&challenges).cloned().map(|c| (answer, c))
}

/// The credentials header value answering `challenge` for this request.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize(
    challenge: &Challenge,
    user: &str,
    password: &str,
    method: &Method,
    uri: &str,
    body: &[u8],
    cnonce: &str,
    nc: u32,
) -> Option<String> {
    challenge
        .respond(user, password, method, uri, body, cnonce, nc)
        .ok()
        .map(|c| c.to_string())
}
