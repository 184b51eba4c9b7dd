//! Fuzzes text decoding (BOMs, UTF-16 sniffing, code-page fallback) and line splitting.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = evtriage_core::text::decode(data) {
        let n = evtriage_core::text::numbered_lines(&d.text).count();
        assert!(n >= 1);
    }
    let _ = evtriage_core::text::decode_head(data);
    let _ = evtriage_core::format::detect(data);
});
