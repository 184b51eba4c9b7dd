//! Fuzzes the single-event XML parser and the event-document iterator.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let origin = evtriage_core::Origin::new(Arc::from("fuzz"), evtriage_core::Locator::File);
        let _ = evtriage_core::event_parser::event_from_xml(s, origin);
        for item in evtriage_core::event_parser::XmlEvents::new(s, Arc::from("fuzz")) {
            let _ = format!("{item:?}").len();
        }
    }
});
