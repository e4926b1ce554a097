//! Integration tests of the SIP transports, on 127.0.0.1 ephemeral ports only.
//! One test binary, one module per behaviour family.

mod common;
mod keepalive;
mod tcp;
mod tls;
mod udp;
