//! Fuzzes the readers of Event Viewer's and PowerShell's text exports on
//! arbitrary bytes, each format forced in turn (detection bypassed).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    use evtriage_core::Format;
    for format in [
        Format::EventViewerCsv,
        Format::EventViewerText,
        Format::WevtutilText,
        Format::GetWinEventList,
        Format::GetWinEventCsv,
    ] {
        common::read_as(format, data);
    }
});
