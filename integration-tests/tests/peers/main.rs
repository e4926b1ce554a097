//! Smoke tests of the peer harness: Kamailio and SIPp talking to each other (and to a
//! hand-driven UDP client), so the harness and the scenario files are known to work
//! before Tipring's own SIP UA meets them.
//!
//! They need `kamailio`, its TLS module, `sipp`, `baresip`, `sox` and `multimon-ng`
//! (`ops/install-deps`, or `apt-get install kamailio kamailio-tls-modules sip-tester
//! baresip sox multimon-ng`) and fail, naming the install command, when one is missing.

mod baresip;
mod call;
mod harness;
mod kamailio;
mod register;
mod registrar;
mod support;
mod tls;

use std::time::Duration;

use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

/// The domain (and realm) of every test Kamailio.
pub const DOMAIN: &str = "tipring.test";

/// How long a test waits for one SIPp run or one answer.
pub const WAIT: Duration = Duration::from_secs(15);

/// A Kamailio with the accounts 101..=104 (password `pw-<user>`), started or the test
/// fails with the reason (and the install command when it is missing).
pub fn kamailio(config: KamailioConfig) -> Kamailio {
    let config = (101..=104).fold(config, |c, user| {
        c.account(user.to_string(), format!("pw-{user}"))
    });
    Kamailio::start(&config).unwrap_or_else(|e| panic!("{e}"))
}
