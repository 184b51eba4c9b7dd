//! Fuzzes the tar, gzip and cabinet readers on arbitrary bytes: the first
//! byte picks the reader (format forced, detection bypassed), the rest is
//! the archive. Members are read with every reader, as in a case.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first() else { return };
    let format = match pick % 3 {
        0 => evtriage_core::Format::Tar,
        1 => evtriage_core::Format::Gzip,
        _ => evtriage_core::Format::Cab,
    };
    common::read_as(format, rest);
});
