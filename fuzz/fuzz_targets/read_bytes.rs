//! Fuzzes the whole front door: format detection plus whichever reader it picks.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = evtriage_core::Reader::default();
    let mut sink = evtriage_core::Collect::default();
    let summary = reader.read_bytes(Arc::from("fuzz"), data, &mut sink);
    assert!(summary.records >= sink.records.len() as u64 || summary.format == evtriage_core::Format::Zip);
});
