//! Integration tests for tipring-srtp: interop with libsrtp, SDES offer/answer to
//! working contexts.

mod libsrtp_interop;
mod sdes_call;
