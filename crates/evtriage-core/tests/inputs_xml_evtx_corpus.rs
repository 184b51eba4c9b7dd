//! `event_parser` against real event XML: records of corpus `.evtx` files
//! rendered to XML by the `evtx` crate (the fallback path the evtx reader
//! uses) must all parse, with the values the XML holds.

use std::sync::Arc;

use evtriage_core::event_parser::event_from_xml;
use evtriage_core::{Locator, Origin};
use evtriage_testutil::corpus;

#[test]
fn every_record_of_a_real_system_log_parses() {
    let Some(p) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let mut parser = evtx::EvtxParser::from_path(&p).expect("evtx opens");
    let source: Arc<str> = Arc::from("system.evtx");
    let (mut ok, mut scm_7023, mut with_time) = (0usize, 0usize, 0usize);
    for rec in parser.records().flatten() {
        let origin = Origin::new(source.clone(), Locator::Evtx { chunk: 0, record_id: rec.event_record_id });
        let ev = event_from_xml(&rec.data, origin)
            .unwrap_or_else(|e| panic!("record {} does not parse: {e}\n{}", rec.event_record_id, rec.data));
        ok += 1;
        assert_eq!(ev.record_id, Some(rec.event_record_id), "EventRecordID of record {}", rec.event_record_id);
        if ev.time.is_some() {
            with_time += 1;
        }
        if ev.event_id == 7023 && ev.provider.name.as_deref() == Some("Service Control Manager") {
            scm_7023 += 1;
            assert_eq!(ev.data.len(), 2, "7023 has param1 and param2: {:?}", ev.data);
            assert!(ev.binary.as_ref().is_some_and(|b| !b.is_empty()), "7023 carries the service name as Binary");
            assert!(ev.field("param1").is_some_and(|v| !v.is_empty()));
            assert_eq!(ev.qualifiers, Some(49152));
            assert_eq!(ev.channel.as_deref(), Some("System"));
        }
    }
    assert_eq!(ok, 1881);
    assert_eq!(with_time, 1881);
    assert_eq!(scm_7023, 12);
}

#[test]
fn userdata_and_odd_logs_parse_too() {
    for rel in [
        "evtx/omerbenamram_security.evtx",
        "evtx/pyevtx_dns_log_malformed.evtx",
        "evtx/omerbenamram_irregular_bool_grouppolicy.evtx",
        "evtx/evtxattack_Zerologon_NetLogon_5805_System.evtx",
        "evtx/omerbenamram_MSExchange_Management_wec.evtx",
    ] {
        let Some(p) = corpus(rel) else { return };
        let mut parser = evtx::EvtxParser::from_path(&p).expect("evtx opens");
        let source: Arc<str> = Arc::from(rel);
        let (mut n, mut user_data) = (0usize, 0usize);
        for rec in parser.records().flatten() {
            let origin = Origin::new(source.clone(), Locator::Evtx { chunk: 0, record_id: rec.event_record_id });
            let ev = event_from_xml(&rec.data, origin)
                .unwrap_or_else(|e| panic!("{rel} record {}: {e}\n{}", rec.event_record_id, rec.data));
            assert!(ev.provider.name.is_some() || ev.provider.guid.is_some(), "{rel}: provider");
            assert!(ev.time.is_some(), "{rel}: time");
            if ev.data_section == evtriage_core::DataSection::UserData {
                user_data += 1;
                if ev.event_id == 104 {
                    // LogFileCleared: its leaves are flattened into named items.
                    assert!(ev.data_named("SubjectUserName").is_some_and(|v| !v.is_empty()), "{rel}: {:?}", ev.data);
                    assert!(ev.data_named("Channel").is_some(), "{rel}: {:?}", ev.data);
                }
            }
            n += 1;
        }
        assert!(n > 0, "{rel} has records");
        if rel.contains("Zerologon") {
            // Event 104 (log cleared) is a UserData event.
            assert_eq!(user_data, 1, "{rel}");
        }
    }
}
