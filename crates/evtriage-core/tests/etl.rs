//! `.etl` inputs through the core reader: detection, the LDAP client
//! adaptation (KB4530043's boot trace), filters, damage, and the real traces.

use std::sync::Arc;

use evtriage_core::{Collect, Format, Locator, ReadOptions, Reader, Severity};
use evtriage_etl::writer::{EtlWriter, EventSpec, Layout, WriterConfig};
use evtriage_testutil::corpus;

const FREQ: i64 = 10_000_000;

/// A wrapped circular LDAP client trace: 20 connect attempts over three
/// processors, each followed by the failure KB4530043 describes.
fn boot_ldap_etl() -> Vec<u8> {
    let cfg = WriterConfig { buffer_size: 1024, circular: true, perf_freq: FREQ, ..WriterConfig::default() };
    let start_raw = cfg.start_raw;
    let mut w = EtlWriter::new(cfg);
    for i in 0..20u16 {
        let raw = start_raw + i64::from(i) * FREQ;
        let conn = 0xec4b_08a8u32 + u32::from(i);
        w.event(&EventSpec::ldap_message(
            8,
            &format!(
                "LdapParallelConnect called for connection {conn:#x} with timeout 45 sec 0 usec.  Total count is 1."
            ),
            raw,
            i % 3,
        ));
        w.event(&EventSpec::ldap_message(
            2,
            &format!("LdapConnect failed to open connection {conn:#x}, error = 0x5b."),
            raw + FREQ / 2,
            (i + 1) % 3,
        ));
    }
    w.finish(Layout::Rotated(3))
}

fn read(bytes: &[u8], options: ReadOptions) -> (evtriage_core::InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::new(options).read_bytes(Arc::from("c:\\boot-ldap.etl"), bytes, &mut sink);
    (summary, sink)
}

#[test]
fn detects_etl_by_content() {
    let bytes = boot_ldap_etl();
    assert_eq!(evtriage_core::format::detect(&bytes), Format::Etl);
    assert_eq!(evtriage_core::format::detect(bytes.get(..0x50).unwrap_or_default()), Format::Etl);
    assert_eq!(evtriage_core::format::detect(&[0u8; 200]), Format::Unknown);
    assert_eq!(evtriage_core::format::detect(b"ElfFile\0"), Format::Evtx);
}

#[test]
fn ldap_client_trace_reads_like_its_text_rendering() {
    let (summary, sink) = read(&boot_ldap_etl(), ReadOptions::default());
    assert_eq!(summary.format, Format::Etl);
    assert_eq!((summary.records, summary.skipped, summary.filtered), (40, 0, 0));
    assert!(sink.diagnostics.is_empty(), "{:?}", sink.diagnostics);
    let events: Vec<_> = sink.events().collect();
    assert_eq!(events.len(), 40);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e.provider.name.as_deref(), Some("Microsoft-Windows-LDAP-Client"));
        assert_eq!(e.provider.guid.map(|g| g.to_string()).as_deref(), Some("{099614a5-5dd7-4788-8bc9-e29f43db28fc}"));
        assert_eq!(e.channel.as_deref(), Some("Debug"));
        assert_eq!(e.event_id, if n % 2 == 0 { 8 } else { 2 });
        assert_eq!(e.message.as_deref(), e.data_named("Message"));
        let trace = e.trace.as_ref().expect("trace info");
        assert_eq!(trace.header_kind.as_deref(), Some("event_header64"));
        assert_eq!(trace.payload, None, "decoded events do not repeat the raw payload");
        assert!(matches!(e.origin.locator, Locator::EtlBuffer { .. }));
    }
    let fail = events.get(1).expect("second event");
    assert_eq!(fail.message.as_deref(), Some("LdapConnect failed to open connection 0xec4b08a8, error = 0x5b."));
    assert_eq!(fail.trace.as_ref().and_then(|t| t.processor), Some(1));
    let t0 = events.first().and_then(|e| e.time).expect("time");
    assert_eq!(fail.time.map(|t| t - t0), Some(chrono::Duration::milliseconds(500)));
    let last = events.last().and_then(|e| e.time).expect("time");
    assert_eq!(last - t0, chrono::Duration::milliseconds(19_500));
}

#[test]
fn event_filter_counts_what_it_passes_over() {
    let options = ReadOptions::new().event_filter(Arc::new(|k: &evtriage_core::EventKey<'_>| {
        k.provider == Some("Microsoft-Windows-LDAP-Client") && k.event_id == 2
    }));
    let (summary, sink) = read(&boot_ldap_etl(), options);
    assert_eq!((summary.records, summary.filtered), (40, 20));
    assert!(sink.events().all(|e| e.event_id == 2));
    assert_eq!(sink.events().count(), 20);
}

#[test]
fn damaged_buffer_becomes_a_located_diagnostic() {
    let mut bytes = boot_ldap_etl();
    // Wreck the size of the third buffer.
    if let Some(b) = bytes.get_mut(2 * 1024..2 * 1024 + 4) {
        b.copy_from_slice(&[0x13, 0, 0, 0]);
    }
    let (summary, sink) = read(&bytes, ReadOptions::default());
    assert_eq!(summary.skipped, 1);
    let d = sink.diagnostics.first().expect("diagnostic");
    assert_eq!(d.severity, Severity::Skipped);
    assert_eq!(d.locator, Locator::EtlBuffer { buffer: 2, offset: 0 });
    assert!(d.message.contains("file offset 0x800"), "{}", d.message);
    assert!(sink.events().count() > 30 && sink.events().count() < 40);
    // Not a trace at all: one failure, no records.
    let (_, sink) = read(b"\0\0\x01\0junk", ReadOptions::default());
    assert!(sink.records.is_empty());
}

#[test]
fn real_traces_through_the_reader() {
    let Some(amsi) = corpus("etl/AMSITrace.etl") else { return };
    let Some(kernel) = corpus("etl/ShutdownPerfDiagLogger.etl") else { return };
    let mut sink = Collect::default();
    let summaries = Reader::default().read_paths(&[amsi, kernel], &mut sink);
    assert_eq!(
        summaries.iter().map(|s| (s.format, s.records)).collect::<Vec<_>>(),
        vec![(Format::Etl, 20), (Format::Etl, 17077)]
    );
    // AMSITrace's header says the session lost 3 events: one note, nothing skipped.
    assert_eq!(sink.diagnostics.len(), 1, "{:?}", sink.diagnostics);
    let note = sink.diagnostics.first().expect("note");
    assert_eq!(note.severity, Severity::Note);
    assert!(note.source.ends_with("AMSITrace.etl") && note.message.contains("lost 3 events"), "{note}");
    let amsi_events: Vec<_> = sink
        .events()
        .filter(|e| e.provider.guid.map(|g| g.to_string()).as_deref() == Some("{8e805eb3-6a8f-4a1e-90fa-a831d94e54a1}"))
        .collect();
    assert_eq!(amsi_events.len(), 19);
    // TraceLogging: names and fields come from the event itself; fully decoded, so no raw payload.
    for e in &amsi_events {
        assert_eq!(e.provider.name.as_deref(), Some("AmsiTrace"));
        let t = e.trace.as_ref().expect("trace info");
        assert_eq!(t.event_name.as_deref(), Some("AmsiScript"));
        assert_eq!(t.payload, None);
        let names: Vec<_> = e.data.iter().filter_map(|d| d.name.as_deref()).collect();
        assert_eq!(names, vec!["Engine", "Script", "Raw Script"]);
    }
    let first = amsi_events.first().expect("event");
    assert_eq!(first.data_named("Engine"), Some("VBScript"));
    assert!(first
        .data_named("Script")
        .is_some_and(|s| s.starts_with("IWshShell3.Run(\"powershell.exe -nop -w 1 -enc ")));
    let processes = sink.events().filter(|e| e.data_named("KernelClass") == Some("Process")).count();
    let perfinfo =
        sink.events().filter(|e| e.trace.as_ref().and_then(|t| t.header_kind.as_deref()) == Some("perfinfo64"));
    assert_eq!(perfinfo.count(), 8645);
    assert!(processes > 0);
    let json = serde_json::to_string(amsi_events.first().copied().expect("event")).expect("json");
    assert!(json.contains("\"header_kind\":\"event_header64\""), "{json}");
    assert!(json.contains("\"event_name\":\"AmsiScript\""), "{json}");
}

#[test]
fn extended_items_fill_sid_and_related_activity() {
    let mut w = EtlWriter::new(WriterConfig::default());
    let mut e = EventSpec::ldap_message(3, "ldap_search_ext_s returned 0x0", 2_000_000, 0);
    let mut sid = vec![1u8, 1, 0, 0, 0, 0, 0, 5];
    sid.extend(18u32.to_le_bytes());
    e.extended = vec![(1, vec![0x11; 16]), (2, sid), (3, 2u32.to_le_bytes().to_vec())];
    w.event(&e);
    let (_, sink) = read(&w.finish(Layout::InOrder), ReadOptions::default());
    let ev = sink.events().next().expect("event");
    assert_eq!(ev.user_sid.as_deref(), Some("S-1-5-18"));
    assert_eq!(
        ev.related_activity_id.map(|g| g.to_string()).as_deref(),
        Some("{11111111-1111-1111-1111-111111111111}")
    );
    assert_eq!(ev.message.as_deref(), Some("ldap_search_ext_s returned 0x0"));
}
