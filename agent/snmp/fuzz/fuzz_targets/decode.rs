//! The BER/message decoder alone: never panics, and a manager client reading the same
//! bytes never panics either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tipring_snmp::manager::{Client, ClientConfig, ClientSecurity};

fuzz_target!(|data: &[u8]| {
    let _ = tipring_snmp::decode_check(data);
    let mut c = Client::new(ClientConfig::new(ClientSecurity::V2c { community: "public".into() }))
        .expect("client");
    #[allow(clippy::disallowed_methods)]
    let now = std::time::Instant::now();
    let _ = c.handle(now, data);
});
