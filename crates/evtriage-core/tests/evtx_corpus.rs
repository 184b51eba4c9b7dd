//! `.evtx` ingestion against the real corpus (`$EVTRIAGE_CORPUS/evtx/`).
//!
//! When `EVTRIAGE_CORPUS` is unset these tests print why and pass; when it is
//! set, a missing file is a failure.

use std::sync::Arc;

use evtriage_core::{
    Collect, DataSection, Diagnostic, Event, EventKey, Format, InputSummary, Locator, ReadOptions, Reader, Record,
    Severity,
};
use evtriage_testutil::corpus;

/// Record counts from `MANIFEST.md` (evtx_dump 0.15.1, without record recovery).
const MANIFEST: &[(&str, u64)] = &[
    ("omerbenamram_system.evtx", 1881),
    ("omerbenamram_2-vss_7-System.evtx", 1160),
    ("omerbenamram_system_zero-data-size-event.evtx", 449),
    ("omerbenamram_security.evtx", 2261),
    ("omerbenamram_security_bad_string_cache.evtx", 2261),
    ("omerbenamram_bad_chunk_magic_appx.evtx", 301),
    ("omerbenamram_Application_no_crc32.evtx", 17),
    ("omerbenamram_sysmon_dirty.evtx", 358),
    ("omerbenamram_vss0_RdpCoreTS_dirty.evtx", 1910),
    ("omerbenamram_irregular_bool_grouppolicy.evtx", 3028),
    ("omerbenamram_MSExchange_Management_wec.evtx", 1),
    ("plaso_System_dc.evtx", 5009),
    ("plaso_System2_truncated.evtx", 194),
    ("pyevtx_system.evtx", 1601),
    ("pyevtx_dns_log_malformed.evtx", 5),
    ("mdecrevoisier_ID7000-7009-7045_Tchopper_System.evtx", 733),
    ("mdecrevoisier_ID7009_meterpreter_System.evtx", 3),
    ("mdecrevoisier_ID325-327_IFM_ESENT_Application.evtx", 4),
    ("mdecrevoisier_ID6004_DNSServer_zone_transfer.evtx", 3),
    ("mdecrevoisier_ID6_Exchange_transport_agent.evtx", 4),
    ("deepbluecli_disablestop-eventlog_System.evtx", 13),
    ("deepbluecli_psexec-powershell-target_System.evtx", 5),
    ("deepbluecli_many-events-application.evtx", 2216),
    ("evtxattack_Zerologon_NetLogon_5805_System.evtx", 2),
    ("evtxattack_samaccount_spoofing_DC_Security.evtx", 18),
    ("anotherc0ne_EventLog_System.evtx", 7857),
    ("anotherc0ne_AD-DC_Application.evtx", 1564),
    ("anotherc0ne_AD-DC_ForwardedEvents_empty.evtx", 0),
    ("tugix456_System.evtx", 299),
    ("gbzrlk021_System.evtx", 1011),
    ("gbzrlk021_Security.evtx", 2898),
    ("sdkeagle_System.evtx", 483),
    ("aaronthopliss_System.evtx", 125),
];

/// Damaged files and the number of errors evtx_dump reports for them (MANIFEST.md).
const DAMAGED: &[(&str, u64)] = &[
    ("omerbenamram_system_zero-data-size-event.evtx", 1),
    ("omerbenamram_bad_chunk_magic_appx.evtx", 3),
    ("omerbenamram_sysmon_dirty.evtx", 8),
    ("omerbenamram_vss0_RdpCoreTS_dirty.evtx", 4),
];

fn read(path: &std::path::Path, threads: usize) -> (Collect, Vec<InputSummary>) {
    read_with(path, threads, false)
}

/// [`read`], also delivering stale records from slack space when `recovered`.
fn read_with(path: &std::path::Path, threads: usize, recovered: bool) -> (Collect, Vec<InputSummary>) {
    let reader = Reader::new(ReadOptions::new().threads(threads).recovered(recovered));
    let mut sink = Collect::default();
    let summaries = reader.read_path(path, &mut sink);
    (sink, summaries)
}

fn event_by_id(sink: &Collect, record_id: u64) -> &Event {
    let found: Vec<&Event> = sink.events().filter(|e| e.record_id == Some(record_id)).collect();
    assert_eq!(found.len(), 1, "expected exactly one event with EventRecordID {record_id}");
    found[0]
}

#[test]
fn every_corpus_file_reads_the_manifest_count_of_live_records() {
    let Some(dir) = corpus("evtx") else { return };
    let (sink, summaries) = read(&dir, 2);
    assert_eq!(summaries.len(), MANIFEST.len(), "one summary per corpus file");
    for (file, expected) in MANIFEST {
        let s = summaries.iter().find(|s| s.path.ends_with(file)).unwrap_or_else(|| panic!("{file} was not read"));
        assert_eq!(s.format, Format::Evtx, "{file} recognised by content");
        // Live records only, as evtx_dump without --recover-records; the
        // truncated copy gives more (the whole records of its cut chunk).
        if *file == "plaso_System2_truncated.evtx" {
            assert!(s.records >= *expected, "{file}: {} records read, manifest says {expected}", s.records);
        } else {
            assert_eq!(s.records, *expected, "{file}: live records");
        }
        let delivered = sink.events().filter(|e| e.origin.source == s.path).count() as u64;
        assert_eq!(delivered, s.records, "{file}: every record read is delivered");
    }
    let failed: Vec<&Diagnostic> = sink.diagnostics.iter().filter(|d| d.severity == Severity::Failed).collect();
    assert!(failed.is_empty(), "no file fails: {failed:?}");
    // No stale record is delivered unless asked for.
    assert!(sink.events().all(|e| !e.recovered));
    // Every event has the basics.
    for e in sink.events() {
        assert!(e.time.is_some() && e.record_id.is_some(), "{:?}", e.origin);
        assert!(matches!(e.origin.locator, Locator::Evtx { record_id, .. } if Some(record_id) == e.record_id));
    }
}

#[test]
fn damaged_files_report_their_skipped_records() {
    for (file, errors) in DAMAGED {
        let Some(path) = corpus(&format!("evtx/{file}")) else { return };
        let (sink, summaries) = read(&path, 2);
        let s = &summaries[0];
        assert_eq!(s.skipped, *errors, "{file}: skipped count");
        let skipped: Vec<&Diagnostic> = sink.diagnostics.iter().filter(|d| d.severity == Severity::Skipped).collect();
        assert_eq!(skipped.len() as u64, *errors, "{file}: one diagnostic per skipped unit");
        for d in skipped {
            assert!(d.source.ends_with(file));
            assert!(
                matches!(d.locator, Locator::Evtx { .. } | Locator::EvtxOffset { .. }),
                "{file}: diagnostic names chunk and record: {d}"
            );
            assert!(d.message.contains("skipped"), "{d}");
        }
    }
    // The record with a zero data size is at a known place.
    let Some(path) = corpus("evtx/omerbenamram_system_zero-data-size-event.evtx") else { return };
    let (sink, _) = read(&path, 1);
    // The chunk's records checksum does not match either: a note comes first.
    let notes: Vec<&Diagnostic> = sink.diagnostics.iter().filter(|d| d.severity == Severity::Note).collect();
    assert!(notes.iter().any(|d| d.message.contains("records checksum mismatch")), "{notes:?}");
    let d = sink.diagnostics.iter().find(|d| d.severity == Severity::Skipped).expect("the skipped record");
    assert_eq!(d.locator, Locator::EvtxOffset { chunk: 0, offset: 0x820 });
    assert!(d.message.contains("data size"), "{d}");
}

#[test]
fn scm_7023_named_data_and_binary() {
    let Some(path) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let (sink, summaries) = read(&path, 2);
    assert_eq!(summaries[0].records, 1881);
    let e = event_by_id(&sink, 40);
    assert_eq!(e.provider.name.as_deref(), Some("Service Control Manager"));
    assert_eq!(e.provider.guid.map(|g| g.to_string()).as_deref(), Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"));
    assert_eq!(e.provider.event_source_name.as_deref(), Some("Service Control Manager"));
    assert_eq!(e.event_id, 7023);
    assert_eq!(e.qualifiers, Some(49152));
    assert_eq!(e.level, Some(2));
    assert_eq!(e.channel.as_deref(), Some("System"));
    assert_eq!(e.computer.as_deref(), Some("WIN-P4SIAA0SQCO"));
    assert_eq!((e.process_id, e.thread_id), (Some(620), Some(700)));
    assert_eq!(e.keywords, Some(0x8080_0000_0000_0000));
    assert_eq!(e.data_named("param1"), Some("Spooler"));
    assert_eq!(e.data_named("param2"), Some("%%2147942414"));
    assert_eq!(e.field("param2"), Some("%%2147942414"));
    let spooler: Vec<u8> = "Spooler\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(e.binary.as_deref(), Some(spooler.as_slice()));
    // Full 100 ns precision: TimeCreated 2017-07-12T17:16:28.4641401Z.
    let t = e.time.expect("time");
    assert_eq!(t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), "2017-07-12T17:16:28.464140100Z");
    assert_eq!(e.origin.locator, Locator::Evtx { chunk: 0, record_id: 40 });
    assert_eq!(sink.events().filter(|e| e.event_id == 7023).count(), 12);
}

#[test]
fn netlogon_5719_unnamed_data_in_order_and_7026_newline() {
    let Some(path) = corpus("evtx/anotherc0ne_EventLog_System.evtx") else { return };
    let (sink, _) = read(&path, 2);
    let e = event_by_id(&sink, 65370);
    assert_eq!(e.provider.name.as_deref(), Some("NETLOGON"));
    assert_eq!(e.event_id, 5719);
    assert_eq!(e.qualifiers, Some(0));
    let values: Vec<(Option<&str>, &str)> = e.data.iter().map(|d| (d.name.as_deref(), d.value.as_str())).collect();
    assert_eq!(values, vec![(None, "APERTURE"), (None, "%%1311")]);
    assert_eq!(e.field("param2"), Some("%%1311"));
    assert_eq!(e.binary.as_deref(), Some(&[0x5e, 0, 0, 0xc0][..]));
    assert_eq!(sink.events().filter(|e| e.event_id == 5719).count(), 16);

    let e = event_by_id(&sink, 62997);
    assert_eq!(e.event_id, 7026);
    let p1 = e.data_named("param1").expect("param1");
    assert!(p1.starts_with("\r\n") || p1.starts_with('\n'), "{p1:?}");
    assert_eq!(p1.trim(), "dam");
}

#[test]
fn security_4624_named_fields() {
    let Some(path) = corpus("evtx/omerbenamram_security.evtx") else { return };
    let (sink, _) = read(&path, 2);
    let e = event_by_id(&sink, 2);
    assert_eq!(e.provider.name.as_deref(), Some("Microsoft-Windows-Security-Auditing"));
    assert_eq!(e.event_id, 4624);
    assert_eq!(e.task, Some(12544));
    assert_eq!(e.data.len(), 20);
    assert_eq!(e.data_named("TargetUserSid"), Some("S-1-5-18"));
    assert_eq!(e.data_named("TargetUserName"), Some("SYSTEM"));
    assert_eq!(e.data_named("TargetDomainName"), Some("NT AUTHORITY"));
    assert_eq!(e.data_named("TargetLogonId"), Some("0x3e7"));
    assert_eq!(e.data_named("LogonType"), Some("0"));
    assert_eq!(e.data_named("LogonGuid"), Some("{00000000-0000-0000-0000-000000000000}"));
    assert_eq!(e.data_named("ProcessId"), Some("0x4"));
    assert_eq!(e.data_named("ProcessName"), Some(""));
    assert_eq!(sink.events().filter(|e| e.event_id == 4624).count(), 583);
}

#[test]
fn userdata_log_cleared_is_flattened() {
    let Some(path) = corpus("evtx/evtxattack_samaccount_spoofing_DC_Security.evtx") else { return };
    let (sink, _) = read(&path, 1);
    let e = sink.events().find(|e| e.event_id == 1102).expect("a 1102");
    assert_eq!(e.data_section, DataSection::UserData);
    let values: Vec<(Option<&str>, &str)> = e.data.iter().map(|d| (d.name.as_deref(), d.value.as_str())).collect();
    assert_eq!(
        values,
        vec![
            (Some("SubjectUserSid"), "S-1-5-21-308926384-506822093-3341789130-1106"),
            (Some("SubjectUserName"), "a-jbrown"),
            (Some("SubjectDomainName"), "3B"),
            (Some("SubjectLogonId"), "0x364f7"),
        ]
    );
    let Some(path) = corpus("evtx/deepbluecli_disablestop-eventlog_System.evtx") else { return };
    let (sink, _) = read(&path, 1);
    let e = sink.events().find(|e| e.event_id == 104).expect("a 104");
    assert_eq!(e.data_section, DataSection::UserData);
    assert_eq!(e.data_named("SubjectUserName"), Some("jwrig"));
    assert_eq!(e.data_named("Channel"), Some("System"));
    assert_eq!(e.user_sid.as_deref(), Some("S-1-5-21-979008924-657238111-836329461-1002"));
}

fn as_lines(sink: &Collect) -> Vec<String> {
    let mut out: Vec<String> = sink.records.iter().map(|r| serde_json::to_string(r).expect("json")).collect();
    out.extend(sink.diagnostics.iter().map(|d| d.to_string()));
    out
}

#[test]
fn same_output_for_any_thread_count() {
    let Some(dir) = corpus("evtx") else { return };
    let (one, s1) = read(&dir, 1);
    let (two, s2) = read(&dir, 2);
    let (three, _) = read(&dir, 3);
    assert_eq!(s1, s2);
    let lines = as_lines(&one);
    assert!(lines.len() > 37_000, "{} lines", lines.len());
    assert!(lines == as_lines(&two), "threads=1 and threads=2 differ");
    assert!(lines == as_lines(&three), "threads=1 and threads=3 differ");
    // With stale records too.
    let (one, s1) = read_with(&dir, 1, true);
    let (two, s2) = read_with(&dir, 2, true);
    assert_eq!(s1, s2);
    assert!(as_lines(&one) == as_lines(&two), "threads=1 and threads=2 differ with stale records");
    assert!(as_lines(&one).len() > lines.len());
}

#[test]
fn in_memory_input_reads_like_the_file() {
    let Some(path) = corpus("evtx/omerbenamram_sysmon_dirty.evtx") else { return };
    let bytes = std::fs::read(&path).expect("read");
    let (from_file, s_file) = read(&path, 2);
    for threads in [1, 2] {
        let reader = Reader::new(ReadOptions::new().threads(threads));
        let mut sink = Collect::default();
        let s = reader.read_bytes(Arc::from(path.to_string_lossy().as_ref()), &bytes, &mut sink);
        assert_eq!(s, s_file[0], "threads={threads}");
        assert!(as_lines(&sink) == as_lines(&from_file), "threads={threads}");
    }
}

#[test]
fn event_filter_counts_and_skips() {
    let Some(path) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let filter = Arc::new(|k: &EventKey<'_>| k.event_id == 7023 && k.provider == Some("Service Control Manager"));
    let reader = Reader::new(ReadOptions::new().threads(2).event_filter(filter));
    let mut sink = Collect::default();
    let s = reader.read_path(&path, &mut sink);
    assert_eq!(sink.records.len(), 12);
    assert!(sink.records.iter().all(|r| matches!(r, Record::Event(e) if e.event_id == 7023)));
    assert_eq!(s[0].records, 1881);
    assert_eq!(s[0].filtered, 1881 - 12);
}

#[test]
fn stale_records_are_counted_and_left_out_unless_asked_for() {
    // A valid but cleared log: no live records, only stale ones in the chunk's slack.
    let Some(path) = corpus("evtx/anotherc0ne_AD-DC_ForwardedEvents_empty.evtx") else { return };
    let (sink, s) = read(&path, 2);
    assert_eq!((s[0].records, s[0].skipped, s[0].stale), (0, 0, 62));
    assert_eq!(sink.events().count(), 0);
    assert!(sink.diagnostics.is_empty(), "{:?}", sink.diagnostics);
    // Asked for, each is delivered and marked, and noted once.
    let (sink, s) = read_with(&path, 2, true);
    assert_eq!((s[0].records, s[0].skipped, s[0].stale), (62, 0, 62));
    assert_eq!(sink.events().filter(|e| e.recovered).count(), 62);
    let notes: Vec<&Diagnostic> = sink.diagnostics.iter().filter(|d| d.severity == Severity::Note).collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].locator, Locator::EvtxOffset { chunk: 0, offset: 0 });
    assert!(notes[0].message.starts_with("62 stale record(s) recovered"), "{}", notes[0]);
    assert!(notes[0].message.contains("marked recovered"), "{}", notes[0]);
    assert!(sink.events().all(|e| e.record_id.is_some() && e.time.is_some()));
    // They are another log's: the forwarded-events log is empty, these are System records.
    assert!(sink.events().all(|e| e.channel.as_deref() == Some("System")));
}

#[test]
fn stale_records_naming_an_overwritten_template_are_rejected() {
    // Its 21 stale records point at the offset of the live record's template
    // definition, which now is another template (Security 4741's): decoded
    // with it, their names were garbage. evtx_dump --recover-records prints them.
    let file = "evtx-more/mdecrevoisier_EVTX-to-MITRE-Attack__TA0003-Persistence__T1136-Create_account__ID4741-Computer_account_created_with_privileges.evtx";
    let Some(path) = corpus(file) else { return };
    let (sink, s) = read_with(&path, 1, true);
    assert_eq!((s[0].records, s[0].stale), (1, 0));
    assert!(sink.events().all(|e| !e.recovered && e.event_id == 4741));
    let notes: Vec<String> = sink.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        notes.iter().any(|n| n.contains("21 stale record(s)") && n.contains("rejected") && n.contains("template")),
        "{notes:?}"
    );
}

#[test]
fn truncated_copy_keeps_the_records_of_its_cut_chunk() {
    // 200,000 bytes: two whole chunks and 64,832 bytes of a third, which the
    // evtx crate (and so evtx_dump's 194 records) leaves out entirely.
    let Some(path) = corpus("evtx/plaso_System2_truncated.evtx") else { return };
    let (sink, s) = read(&path, 2);
    assert_eq!((s[0].records, s[0].skipped), (283, 2));
    let ids: Vec<u64> = sink.events().filter_map(|e| e.record_id).collect();
    assert_eq!(ids, (1..=283).collect::<Vec<u64>>());
    let last = sink.events().last().expect("events");
    assert_eq!(last.event_id, 4905);
    assert_eq!(last.data_named("AuditSourceName"), Some("VSSAudit"));
    assert_eq!(last.computer.as_deref(), Some("Student-PC1.internal.greendale.edu"));
    let msgs: Vec<String> = sink.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(msgs.iter().any(|m| m.contains("record 284 runs past the end")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("chunk 2 is incomplete: the file ends 64832 bytes into it")), "{msgs:?}");
}
