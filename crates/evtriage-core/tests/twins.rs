//! Rendered twins: a binary log beside a rendered export of the same records
//! lends the export's messages to its records, and the export's records are
//! not delivered twice.

use std::path::{Path, PathBuf};

use evtriage_core::{unread, Collect, Event, Format, InputSummary, MessageSource, ReadOptions, Reader};
use evtriage_testutil::workspace_root;

/// A rule fixture written as both `System.evtx` and its Event Viewer XML
/// export (`System.xml`, with `RenderingInfo`).
fn zerologon_case() -> PathBuf {
    workspace_root().join("fixtures/rules/cve-2020-1472-zerologon-5805/positive/dc-own-account-three-times")
}

const MESSAGE_5805: &str =
    "The session setup from the computer DC1 failed to authenticate. The following error occurred: \nAccess is denied.";

fn read(paths: &[&Path], options: ReadOptions) -> (Vec<Event>, Collect, Vec<InputSummary>) {
    let mut sink = Collect::default();
    let summaries = Reader::new(options).read_paths(paths, &mut sink);
    let events = sink.events().cloned().collect();
    (events, sink, summaries)
}

fn summary<'a>(summaries: &'a [InputSummary], ends_with: &str) -> &'a InputSummary {
    summaries.iter().find(|s| s.path.ends_with(ends_with)).unwrap_or_else(|| panic!("no summary for {ends_with}"))
}

/// A scratch folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("evtriage-twins-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn a_twin_lends_its_messages_and_is_not_counted_twice() {
    for threads in [1, 2, 4] {
        let (events, sink, summaries) = read(&[&zerologon_case()], ReadOptions::new().threads(threads));
        assert_eq!(events.len(), 3, "threads {threads}: each record once");
        for e in &events {
            assert!(e.origin.source.ends_with("System.evtx"), "{}", e.origin.source);
            assert_eq!(e.message.as_deref().map(|m| m.replace("\r\n", "\n")), Some(MESSAGE_5805.to_string()));
            assert_eq!(e.message_source, Some(MessageSource::Twin));
            assert_eq!(evtriage_core::message::source_of(e), MessageSource::Twin);
            let names = e.display.as_deref().expect("the twin's names");
            assert_eq!(
                (names.level.as_deref(), names.keywords.as_slice()),
                (Some("Error"), &["Classic".to_string()][..])
            );
            // The binary record keeps what only it has.
            assert_eq!(e.binary.as_deref(), Some(&[0x22, 0, 0, 0xC0][..]));
        }
        let xml = summary(&summaries, "System.xml");
        assert_eq!((xml.format, xml.records, xml.paired), (Format::EventXml, 0, 3));
        assert_eq!(summary(&summaries, "System.evtx").records, 3);
        // Paired away entirely, the export was still read: not listed as unread.
        let unread: Vec<String> =
            unread(&summaries, &sink.diagnostics).into_iter().map(|u| u.path.to_string()).collect();
        assert!(unread.iter().all(|p| p.ends_with("expect.toml")), "{unread:?}");
        let note = sink.diagnostics.iter().find(|d| d.source.ends_with("System.xml")).expect("a note on the export");
        assert_eq!(
            note.message,
            "rendered twin of System.evtx: 3 of its 3 records lent their message and names to the same records there \
             and are not counted again; 0 read as events of their own"
        );
    }
}

#[test]
fn records_the_log_lacks_are_read_from_the_export() {
    let dir = scratch("partial");
    let case = zerologon_case();
    std::fs::copy(case.join("System.evtx"), dir.join("System.evtx")).expect("copy evtx");
    // The export as written later: record 1003 gone, a newer 1004 there;
    // and 1002 of another computer (not a twin: another machine's log).
    let xml = std::fs::read_to_string(case.join("System.xml")).expect("xml");
    let xml = xml
        .replace("<EventRecordID>1003</EventRecordID>", "<EventRecordID>1004</EventRecordID>")
        .replacen("<EventRecordID>1002</EventRecordID><Correlation/><Execution ProcessID='620' ThreadID='4012'/><Channel>System</Channel><Computer>DC1.contoso.com</Computer>",
                  "<EventRecordID>1002</EventRecordID><Correlation/><Execution ProcessID='620' ThreadID='4012'/><Channel>System</Channel><Computer>DC2.contoso.com</Computer>", 1);
    assert!(xml.contains("DC2.contoso.com") && xml.contains(">1004<"), "the fixture changed; update this test");
    std::fs::write(dir.join("System-rendered.xml"), xml).expect("write xml");

    let (events, sink, summaries) = read(&[&dir], ReadOptions::new());
    let twin = |rid: u64, source: &str| {
        events
            .iter()
            .find(|e| e.record_id == Some(rid) && e.origin.source.ends_with(source))
            .unwrap_or_else(|| panic!("record {rid} of {source}"))
    };
    assert_eq!(events.len(), 5, "3 binary records, 1002 of DC2 and 1004 from the export");
    assert_eq!(twin(1001, "System.evtx").message_source, Some(MessageSource::Twin));
    assert_eq!(twin(1002, "System.evtx").message_source, None);
    assert_eq!(twin(1003, "System.evtx").message_source, None);
    assert_eq!(twin(1002, "System-rendered.xml").computer.as_deref(), Some("DC2.contoso.com"));
    assert_eq!(twin(1004, "System-rendered.xml").message_source, None, "the input's own message");
    // The export comes after the log, whatever their names.
    let order: Vec<&str> = summaries.iter().map(|s| s.path.rsplit('/').next().unwrap_or("")).collect();
    assert_eq!(order, ["System.evtx", "System-rendered.xml"]);
    let xml = summary(&summaries, "System-rendered.xml");
    assert_eq!((xml.records, xml.paired), (2, 1));
    assert!(sink.diagnostics.iter().any(|d| d.message.starts_with("rendered twin of System.evtx: 1 of its 3 records")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_export_in_another_folder_is_not_a_twin() {
    let dir = scratch("apart");
    let case = zerologon_case();
    std::fs::create_dir_all(dir.join("xml")).expect("mkdir");
    std::fs::copy(case.join("System.evtx"), dir.join("System.evtx")).expect("copy evtx");
    std::fs::copy(case.join("System.xml"), dir.join("xml/System.xml")).expect("copy xml");
    let (events, _, summaries) = read(&[&dir], ReadOptions::new());
    assert_eq!(events.len(), 6);
    assert!(events.iter().all(|e| e.message_source.is_none()));
    assert_eq!(summary(&summaries, "System.xml").paired, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn event_viewer_csv_twin_with_daylight_saving_found_from_the_log() {
    // The corpus's localized Setup log, its LocaleMetaData and Event Viewer's
    // CSV of it, written in US Pacific time (-08:00 in winter, -07:00 in
    // summer) without saying so.
    let Some(mta) = evtriage_testutil::corpus("mta") else { return };
    for zone in [None, Some("-08:00"), Some("America/Los_Angeles")] {
        let mut options = ReadOptions::new();
        if let Some(z) = zone {
            options = options.source_tz(evtriage_core::SourceTz::parse(z).expect("zone"));
        }
        let (events, sink, summaries) = read(&[&mta], options);
        assert_eq!(events.len(), 239, "{zone:?}: each record once");
        assert!(events
            .iter()
            .all(|e| e.origin.source.ends_with(".evtx") && e.message_source == Some(MessageSource::Twin)));
        let csv = summary(&summaries, "setup-export-eventviewer.csv");
        assert_eq!((csv.format, csv.records, csv.paired), (Format::EventViewerCsv, 0, 239), "{zone:?}");
        let note = sink
            .diagnostics
            .iter()
            .find(|d| d.message.starts_with("rendered twin of setup-export.evtx: 239 of its 239 records"))
            .expect("the pairing note");
        assert_eq!(
            note.message.contains("read again as local times of America/Los_Angeles"),
            zone != Some("America/Los_Angeles"),
            "{zone:?}: {}",
            note.message
        );
    }
    // A record's message is the CSV's, its time the log's (to the 100 ns).
    let (events, _, _) = read(&[&mta], ReadOptions::new());
    let e = events.iter().find(|e| e.record_id == Some(10)).expect("record 10");
    assert_eq!(
        e.message.as_deref(),
        Some("Initiating changes for package KB5020683. Current state is Absent. Target state is Installed. Client id: WindowsUpdateAgent.")
    );
    assert_eq!(e.time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-01-22T22:04:22.282770+00:00"));
}

/// A zip of `members` (name in the archive, file on disk).
fn zip_of(members: &[(&str, PathBuf)]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, path) in members {
        w.start_file(*name, opts).expect("zip member");
        w.write_all(&std::fs::read(path).expect("member file")).expect("zip write");
    }
    w.finish().map(|c| c.into_inner()).expect("zip")
}

#[test]
fn twins_pair_inside_a_zip_too() {
    let dir = scratch("zip");
    let case = zerologon_case();
    // The twin beside its log, and a copy of the export in another folder
    // of the archive (not a twin: read as events of its own).
    let zip = zip_of(&[
        ("case/System.evtx", case.join("System.evtx")),
        ("case/System.xml", case.join("System.xml")),
        ("other/System.xml", case.join("System.xml")),
    ]);
    std::fs::write(dir.join("case.zip"), zip).expect("write zip");
    for threads in [1, 2] {
        let (events, sink, summaries) = read(&[&dir.join("case.zip")], ReadOptions::new().threads(threads));
        let from = |suffix: &str| events.iter().filter(|e| e.origin.source.ends_with(suffix)).count();
        assert_eq!((from("case/System.evtx"), from("case/System.xml"), from("other/System.xml")), (3, 0, 3));
        assert!(events
            .iter()
            .filter(|e| e.origin.source.ends_with(".evtx"))
            .all(|e| e.message_source == Some(MessageSource::Twin)));
        let zip = summary(&summaries, "case.zip");
        assert_eq!(zip.records, 6, "3 binary records and the other folder's 3");
        let twin = zip.members.iter().find(|m| m.path.ends_with("case/System.xml")).expect("the twin's summary");
        assert_eq!((twin.records, twin.paired), (0, 3));
        assert!(sink.diagnostics.iter().any(|d| d.source.ends_with("case.zip!case/System.xml")
            && d.message.starts_with("rendered twin of System.evtx: 3 of its 3 records")));
    }
    // The corpus's Event Viewer CSV in a zip: paired too, its zone found.
    if let Some(mta) = evtriage_testutil::corpus("mta") {
        let zip = zip_of(&[
            ("Logs/Setup.evtx", mta.join("setup-export.evtx")),
            ("Logs/Setup.csv", mta.join("setup-export-eventviewer.csv")),
        ]);
        std::fs::write(dir.join("setup.zip"), zip).expect("write zip");
        let (events, sink, _) = read(&[&dir.join("setup.zip")], ReadOptions::new());
        assert_eq!(events.len(), 239);
        assert!(events.iter().all(|e| e.message_source == Some(MessageSource::Twin)));
        assert!(sink.diagnostics.iter().any(|d| d.message.contains("239 of its 239 records")
            && d.message.contains("local times of America/Los_Angeles")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
