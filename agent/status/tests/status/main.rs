//! Tests of the status endpoint over real loopback sockets (ephemeral ports).

mod common;
mod http;
mod promtool;
