//! `a=crypto` parsing on arbitrary text: never panics; whatever parses writes back to a
//! line that parses to the same attribute, and its policy makes a valid context.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tipring_srtp::{CryptoAttribute, SrtpContext};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = CryptoAttribute::parse(line) {
        let again = CryptoAttribute::parse(&a.to_string()).expect("written line must parse");
        assert_eq!(again, a);
        assert_eq!(again.to_string(), a.to_string());
        SrtpContext::inbound(a.policy()).expect("a parsed line gives a valid policy");
        let _ = CryptoAttribute::select([line, line]);
    }
});
