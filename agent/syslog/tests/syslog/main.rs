//! Integration tests of the syslog layer, on 127.0.0.1 ephemeral ports only.
//! One test binary, one module per behaviour family.

mod common;
mod queue;
mod reconnect;
mod rsyslog;
mod udp;
