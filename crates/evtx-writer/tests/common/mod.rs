//! Helpers shared by the writer's tests.
#![allow(dead_code)]

use std::sync::Arc;

use evtriage_core::event_parser::{event_from_xml, XmlEvents};
use evtriage_core::{Event, Locator, Origin};
use evtriage_evtx_writer::EvtxFile;

/// The fields a written file must give back: origin and message dropped, the time cut to
/// FILETIME's 100 ns, and the record id the writer assigned.
pub fn expected(events: &[Event], file: &EvtxFile) -> Vec<Event> {
    events
        .iter()
        .zip(&file.records)
        .map(|(e, w)| {
            let mut e = normalize(e.clone());
            e.record_id = Some(w.record_id);
            e.time = e.time.map(|t| {
                let nanos = t.timestamp_subsec_nanos();
                t - chrono::Duration::nanoseconds(i64::from(nanos % 100))
            });
            e
        })
        .collect()
}

/// The events of an XML document (many `<Event>`s), every one readable.
pub fn events_of_xml(xml: &str, source: &str) -> Vec<Event> {
    XmlEvents::new(xml, Arc::from(source)).map(|r| normalize(r.expect("readable <Event>"))).collect()
}

/// Drops what a reader cannot give back the same way (origin, message).
pub fn normalize(mut e: Event) -> Event {
    e.origin = Origin::new(Arc::from("-"), Locator::File);
    e.message = None;
    e
}

/// The events the `evtx` crate reads from `bytes`, checksums validated: `(events, errors)`.
pub fn read_with_evtx_crate(bytes: &[u8]) -> (Vec<Event>, usize) {
    let settings = evtx::ParserSettings::new().validate_checksums(true).num_threads(1);
    let mut parser = evtx::EvtxParser::from_buffer(bytes.to_vec()).expect("file header").with_configuration(settings);
    let mut events = Vec::new();
    let mut errors = 0;
    for r in parser.records() {
        match r {
            Ok(r) => {
                let origin = Origin::new(Arc::from("evtx-crate"), Locator::File);
                let event = event_from_xml(&r.data, origin).expect("evtx crate XML parses");
                assert_eq!(event.record_id, Some(r.event_record_id), "header id = EventRecordID");
                // The record header's FILETIME is the event's time.
                if let Some(t) = event.time {
                    let header = chrono::DateTime::parse_from_rfc3339(&r.timestamp.to_string()).expect("rfc3339");
                    assert_eq!(header.with_timezone(&chrono::Utc), t, "record header time");
                }
                events.push(normalize(event));
            }
            Err(_) => errors += 1,
        }
    }
    (events, errors)
}
