//! Fuzzes the Systeminfo reader on arbitrary bytes (format forced, detection bypassed).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::read_as(evtriage_core::Format::Systeminfo, data);
});
