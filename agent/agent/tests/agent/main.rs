//! `tipring-agent`'s tests that need real sockets, files or the binary, in one test binary
//! (one link of the agent instead of one per file):
//!
//! * [`acs_http`]: the CWMP session's HTTP side against a scripted ACS.
//! * [`bootstrap`]: zero-touch bootstrap — the factory identity names the device, DHCP's
//!   option 43/66 file moves the CPE from ACS to ACS with `0 BOOTSTRAP`, and a URL the ACS
//!   set wins over DHCP afterwards.
//! * [`config_file`]: `--config FILE` refused or run.
//! * [`connreq`]: the Connection Request listener against curl.
//! * [`transfer`]: downloads and uploads against a file server.

mod acs_http;
mod bootstrap;
mod config_file;
mod connreq;
mod transfer;
