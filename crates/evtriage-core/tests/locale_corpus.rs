//! A localized log read as Event Viewer shows it: the `.evtx` of a Setup
//! log saved with its display information (`LocaleMetaData/<log>_1033.MTA`
//! beside it) gives every event the message Event Viewer itself wrote in its
//! CSV export of the same log — found on its own, no option needed.

use std::path::{Path, PathBuf};

use evtriage_core::{Collect, Format, JsonLines, ReadOptions, Reader, Severity, Unit};
use evtriage_testutil::corpus;

/// The rows of a CSV file (RFC 4180 quoting: fields in double quotes may
/// hold commas, newlines and doubled quotes), without a leading BOM.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn read(path: &Path) -> (Collect, Vec<evtriage_core::InputSummary>) {
    let mut sink = Collect::default();
    let summaries = Reader::new(ReadOptions::new().threads(2)).read_paths(&[path], &mut sink);
    (sink, summaries)
}

#[test]
fn every_message_is_the_one_event_viewer_wrote() {
    let (Some(evtx), Some(csv)) = (corpus("mta/setup-export.evtx"), corpus("mta/setup-export-eventviewer.csv")) else {
        return;
    };
    let text = std::fs::read_to_string(&csv).unwrap_or_default();
    let rows = csv_rows(&text);
    assert_eq!(rows[0], ["Level", "Date and Time", "Source", "Event ID", "Task Category"]);
    let mut expected: Vec<(String, u32, String)> = rows[1..]
        .iter()
        .map(|r| (r[2].clone(), r[3].parse().unwrap_or(0), r.get(5).cloned().unwrap_or_default()))
        .collect();
    assert_eq!(expected.len(), 239);

    let (sink, summaries) = read(&evtx);
    let mut got: Vec<(String, u32, String)> = sink
        .events()
        .map(|e| (e.provider.name.clone().unwrap_or_default(), e.event_id, e.message.clone().unwrap_or_default()))
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "every live record's message is Event Viewer's");

    // The first record, and the names the metadata gives (level 0 is
    // "Log Always" in Windows' rendering; Task 1 has no name, which Event
    // Viewer shows as "(1)").
    let first = sink.events().next().expect("an event");
    assert_eq!(
        first.message.as_deref(),
        Some(
            "Initiating changes for package KB5020683. Current state is Absent. Target state is Installed. \
             Client id: WindowsUpdateAgent."
        )
    );
    let names = first.display.as_deref().expect("display names");
    assert_eq!(
        (names.level.as_deref(), names.task.as_deref(), names.opcode.as_deref()),
        (Some("Log Always"), None, Some("Info"))
    );
    assert_eq!(evtriage_core::message::render(first), first.message.clone().unwrap_or_default());

    // The input says which file lent its strings; the .MTA itself is
    // recognised and not listed as unread.
    let note = sink.diagnostics.iter().find(|d| d.source.ends_with("setup-export.evtx")).expect("a note");
    assert_eq!(note.severity, Severity::Note);
    assert_eq!(note.message, "messages and display names from LocaleMetaData/setup-export_1033.MTA (LCID 1033)");
    assert_eq!(summaries[0].records, 239);
}

#[test]
fn dump_lines_carry_the_same_messages() {
    let Some(evtx) = corpus("mta/setup-export.evtx") else { return };
    let (sink, _) = read(&evtx);
    let mut lines = Vec::new();
    let format = JsonLines { rendered: true, keep: None };
    Reader::new(ReadOptions::new().threads(2))
        .read_paths_lines(&[&evtx], format, &|mut u: Unit| u.take_lines(), |l| lines.extend(l));
    let text = String::from_utf8(lines).unwrap_or_default();
    let from_lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(from_lines.len(), 239);
    for (line, event) in from_lines.iter().zip(sink.events()) {
        assert_eq!(line["message"].as_str(), event.message.as_deref());
        assert_eq!(line["rendered"].as_str(), event.message.as_deref());
        assert_eq!(line["display"]["level"], "Log Always");
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(dir.join("LocaleMetaData"));
    dir
}

#[test]
fn a_damaged_or_lonely_mta_is_reported_and_never_stops_the_rest() {
    let (Some(evtx), Some(mta)) = (corpus("mta/setup-export.evtx"), corpus("mta/LocaleMetaData/setup-export_1033.MTA"))
    else {
        return;
    };
    let bytes = std::fs::read(&mta).unwrap_or_default();
    // A damaged MTA beside its log: the log is read with the built-in table.
    let dir = scratch("mta-damaged");
    let _ = std::fs::copy(&evtx, dir.join("Setup.evtx"));
    let _ = std::fs::write(dir.join("LocaleMetaData/Setup_1033.MTA"), &bytes[..3000]);
    // And an MTA whose log is not here.
    let _ = std::fs::write(dir.join("LocaleMetaData/Application_1031.MTA"), &bytes);
    let (sink, summaries) = read(&dir);
    assert_eq!(sink.events().count(), 239);
    assert!(sink.events().all(|e| e.message.is_none() && e.display.is_none()));
    let about =
        |end: &str| sink.diagnostics.iter().find(|d| d.source.ends_with(end)).map(|d| (d.severity, d.message.clone()));
    let (sev, msg) = about("Setup.evtx").expect("a note on the log");
    assert_eq!(sev, Severity::Note);
    assert!(msg.starts_with("LocaleMetaData ") && msg.contains("Setup_1033.MTA not used (damaged: "), "{msg}");
    let (sev, msg) = about("Setup_1033.MTA").expect("the damaged file");
    assert_eq!((sev, msg.starts_with("LocaleMetaData, damaged: ")), (Severity::Failed, true), "{msg}");
    let (sev, msg) = about("Application_1031.MTA").expect("the lonely file");
    assert_eq!(
        (sev, msg.as_str()),
        (Severity::Failed, "LocaleMetaData (LCID 1031) of Application.evtx, which is not beside its folder: not used")
    );
    let formats: Vec<Format> = summaries.iter().map(|s| s.format).collect();
    assert_eq!(formats, [Format::LocaleMetaData, Format::LocaleMetaData, Format::Evtx]);
    let unread = evtriage_core::unread(&summaries, &sink.diagnostics);
    assert_eq!(unread.len(), 2, "{unread:?}");
}

#[test]
fn en_us_is_preferred_among_several_languages() {
    let (Some(evtx), Some(mta)) = (corpus("mta/setup-export.evtx"), corpus("mta/LocaleMetaData/setup-export_1033.MTA"))
    else {
        return;
    };
    let dir = scratch("mta-languages");
    let _ = std::fs::copy(&evtx, dir.join("Setup.evtx"));
    for lcid in [1031, 1033, 1036] {
        let _ = std::fs::copy(&mta, dir.join(format!("LocaleMetaData/Setup_{lcid}.MTA")));
    }
    let (sink, _) = read(&dir.join("Setup.evtx"));
    let note = sink.diagnostics.iter().find(|d| d.source.ends_with("Setup.evtx")).expect("a note");
    assert_eq!(note.message, "messages and display names from LocaleMetaData/Setup_1033.MTA (LCID 1033)");
    let _ = std::fs::remove_file(dir.join("LocaleMetaData/Setup_1033.MTA"));
    let (sink, _) = read(&dir.join("Setup.evtx"));
    let note = sink.diagnostics.iter().find(|d| d.source.ends_with("Setup.evtx")).expect("a note");
    assert_eq!(note.message, "messages and display names from LocaleMetaData/Setup_1031.MTA (LCID 1031)");
}

#[test]
fn a_zipped_case_lends_its_locale_metadata_to_its_log() {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let (Some(evtx), Some(mta)) = (corpus("mta/setup-export.evtx"), corpus("mta/LocaleMetaData/setup-export_1033.MTA"))
    else {
        return;
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // The log sorts before its metadata folder; an .MTA whose log is not in
    // the archive is reported.
    for (name, path) in [
        ("case/Logs/Application.evtx", &evtx),
        ("case/Logs/LocaleMetaData/Application_1033.MTA", &mta),
        ("case/Logs/LocaleMetaData/System_1033.MTA", &mta),
    ] {
        let _ = w.start_file(name, opts);
        let _ = w.write_all(&std::fs::read(path).unwrap_or_default());
    }
    let bytes = w.finish().map(|c| c.into_inner()).unwrap_or_default();
    let dir = scratch("mta-zip");
    let zip = dir.join("case.zip");
    let _ = std::fs::write(&zip, bytes);
    let (sink, summaries) = read(&zip);
    assert_eq!(sink.events().count(), 239);
    assert!(sink.events().all(|e| e.message.is_some()), "every event has its message");
    let about = |end: &str| {
        sink.diagnostics
            .iter()
            .filter(|d| d.source.ends_with(end))
            .map(|d| (d.severity, d.message.clone()))
            .collect::<Vec<_>>()
    };
    assert!(about("Logs/Application.evtx").contains(&(
        Severity::Note,
        "messages and display names from LocaleMetaData/Application_1033.MTA (LCID 1033)".into()
    )));
    assert_eq!(
        about("System_1033.MTA"),
        [(Severity::Failed, "LocaleMetaData (LCID 1033) of a log not in the archive: not used".to_string())]
    );
    let members: Vec<(String, Format)> =
        summaries[0].members.iter().map(|m| (m.path.rsplit('!').next().unwrap_or("").to_string(), m.format)).collect();
    assert_eq!(
        members,
        [
            ("case/Logs/LocaleMetaData/Application_1033.MTA".to_string(), Format::LocaleMetaData),
            ("case/Logs/LocaleMetaData/System_1033.MTA".to_string(), Format::LocaleMetaData),
            ("case/Logs/Application.evtx".to_string(), Format::Evtx),
        ]
    );
    let unread = evtriage_core::unread(&summaries, &sink.diagnostics);
    assert_eq!(unread.len(), 1, "{unread:?}");
}
