//! Integration tests of the SIP message layer: RFC 4475 torture messages, a corpus of
//! PBX and phone messages, round trips and robustness against truncation and mutation.

mod common;
mod corpus;
mod rfc4475;
mod robustness;
