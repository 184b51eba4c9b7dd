//! Fuzzes the LDAP client trace message parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = evtriage_core::ldap::parse_ldap_message(s);
    }
});
