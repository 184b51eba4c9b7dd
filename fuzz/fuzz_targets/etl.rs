//! Fuzzes the binary .etl parser directly.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(trace) = evtriage_etl::parse(data) {
        let _ = format!("{trace:?}").len();
    }
});
