//! Scenario tests of `tipring-rtp`, driven in virtual time (no sleeping, no sockets).

mod common;
mod drops_and_collisions;
mod latching;
mod rtcp_timing_and_rtt;
mod scapy_interop;
