//! Event Viewer's and PowerShell's text exports read as events: the corpus
//! CSV that Event Viewer wrote for `mta/setup-export.evtx`, and the small
//! fixtures in `fixtures/exports/` (see the README there for what each
//! imitates and its source).

use std::path::PathBuf;

use evtriage_core::{Collect, Event, Format, InputSummary, Locator, ReadOptions, Reader, Severity, SourceTz};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/exports").join(name)
}

fn read_with(path: &std::path::Path, options: ReadOptions) -> (InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::new(options.threads(1)).read_file(path, &mut sink);
    (summary, sink)
}

fn read(name: &str) -> (InputSummary, Collect) {
    read_with(&fixture(name), ReadOptions::new())
}

fn events(sink: &Collect) -> Vec<&Event> {
    sink.events().collect()
}

fn time(e: &Event) -> String {
    e.time.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

fn line(e: &Event) -> u64 {
    match e.origin.locator {
        Locator::Line { line } => line,
        _ => 0,
    }
}

fn display(e: &Event) -> (Option<&str>, Option<&str>, Option<&str>, Vec<&str>) {
    match e.display.as_deref() {
        Some(d) => (
            d.level.as_deref(),
            d.task.as_deref(),
            d.opcode.as_deref(),
            d.keywords.iter().map(String::as_str).collect(),
        ),
        None => (None, None, None, Vec::new()),
    }
}

/// (line, message) of every diagnostic of `severity`.
fn diagnostics(sink: &Collect, severity: Severity) -> Vec<(u64, String)> {
    sink.diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| (if let Locator::Line { line } = d.locator { line } else { 0 }, d.message.clone()))
        .collect()
}

fn zone_notes(sink: &Collect) -> Vec<String> {
    sink.diagnostics.iter().filter(|d| d.message.contains("times were taken as")).map(|d| d.message.clone()).collect()
}

#[test]
fn the_corpus_csv_reads_as_the_logs_live_records() {
    let (Some(csv), Some(evtx)) = (
        evtriage_testutil::corpus("mta/setup-export-eventviewer.csv"),
        evtriage_testutil::corpus("mta/setup-export.evtx"),
    ) else {
        return;
    };
    let (binary, binary_sink) = read_with(&evtx, ReadOptions::new());
    let live = binary_sink.events().filter(|e| !e.recovered).count();
    assert_eq!(binary.records as usize, live);

    let (summary, sink) = read_with(&csv, ReadOptions::new());
    assert_eq!(summary.format, Format::EventViewerCsv);
    assert_eq!((summary.records, summary.skipped), (239, 0));
    assert_eq!(live, 239, "the CSV holds one row per live record of the log");
    let all = events(&sink);
    let (first, last) = (all[0], all[238]);
    assert_eq!(
        (first.provider.name.as_deref(), first.event_id, first.level),
        (Some("Microsoft-Windows-Servicing"), 2, Some(4))
    );
    assert_eq!(display(first), (Some("Information"), Some("(1)"), None, vec![]));
    assert_eq!(first.task, Some(1));
    assert_eq!(first.message.as_deref(), Some("Package KB5071959 was successfully changed to the Installed state."));
    assert_eq!((time(first).as_str(), line(first)), ("2025-12-09T17:37:32.000Z", 2));
    assert_eq!(
        (last.provider.name.as_deref(), last.event_id, last.level),
        (Some("Microsoft-Windows-Servicing"), 1, Some(4))
    );
    assert_eq!(display(last), (Some("Information"), Some("(1)"), None, vec![]));
    assert_eq!(
        last.message.as_deref(),
        Some("Initiating changes for package KB5020683. Current state is Absent. Target state is Installed. Client id: WindowsUpdateAgent.")
    );
    assert_eq!((time(last).as_str(), line(last)), ("2024-01-22T14:04:22.000Z", 240));
    assert_eq!(
        zone_notes(&sink),
        vec!["Event Viewer CSV: times were taken as UTC (the default; --source-tz sets it) because the export does not say its zone"]
    );

    let pacific = SourceTz::parse("-08:00").expect("offset");
    let (_, sink) = read_with(&csv, ReadOptions::new().source_tz(pacific));
    let all = events(&sink);
    assert_eq!(time(all[0]), "2025-12-10T01:37:32.000Z");
    assert_eq!(time(all[238]), "2024-01-22T22:04:22.000Z");
    assert_eq!(
        zone_notes(&sink),
        vec![
            "Event Viewer CSV: times were taken as -08:00 (from --source-tz) because the export does not say its zone"
        ]
    );
}

#[test]
fn event_viewer_csv_english_with_a_quoted_multiline_message_and_a_bad_row() {
    let (summary, sink) = read("eventviewer-en.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerCsv, 3, 1));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, line(e)),
        (Some("Service Control Manager"), 7023, Some(2), 2)
    );
    assert_eq!(display(e), (Some("Error"), Some("None"), None, vec![]));
    assert_eq!(e.task, None);
    assert_eq!(
        e.message.as_deref(),
        Some("The Intersite Messaging service terminated with the following error: \nThe specified server cannot perform the requested operation.")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
    let e = all[1];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, line(e)),
        (Some("Microsoft-Windows-Time-Service"), 36, Some(3), 4)
    );
    assert_eq!(time(e), "2025-03-14T09:00:00.000Z");
    let e = all[2];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, e.task, line(e)),
        (Some("Microsoft-Windows-Kernel-Power"), 41, Some(1), Some(63), 5)
    );
    assert_eq!(display(e), (Some("Critical"), Some("(63)"), None, vec![]));
    assert!(e.message.as_deref().is_some_and(|m| m.contains("stopped responding, crashed, or lost power")));
    assert_eq!(time(e), "2025-03-13T23:59:59.000Z");
    assert_eq!(
        diagnostics(&sink, Severity::Skipped),
        vec![(6, "Event Viewer CSV: line does not start an event row; skipped".to_string())]
    );
}

#[test]
fn event_viewer_csv_german_french_spanish_japanese() {
    let (summary, sink) = read("eventviewer-de.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerCsv, 3, 0));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level),
        (Some("Microsoft-Windows-PrintService"), 808, Some(2))
    );
    assert_eq!(display(e), (Some("Fehler"), Some("Initialisierung"), None, vec![]));
    assert_eq!(
        e.message.as_deref(),
        Some(
            r"Fehler beim Laden eines Plug-In-Moduls C:\Windows\system32\spool\DRIVERS\x64\3\mimispool.dll durch den Druckspooler, Fehlercode 0x7E. Kontextinformationen finden Sie in den Benutzerereignisdaten."
        )
    );
    assert_eq!(time(e), "2021-10-27T12:28:26.000Z");
    // Day first, as German writes it: 05.03. is the 5th of March.
    assert_eq!((all[1].level, time(all[1]).as_str()), (Some(4), "2021-03-05T08:15:00.000Z"));
    assert_eq!(display(all[1]).1, Some("Ein Drucker wird hinzugefügt"));
    assert_eq!(
        (all[2].level, time(all[2]).as_str(), display(all[2]).0),
        (Some(3), "2021-02-01T07:00:00.000Z", Some("Warnung"))
    );

    let (summary, sink) = read("eventviewer-fr.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerCsv, 2, 0));
    let all = events(&sink);
    assert_eq!((all[0].event_id, all[0].level, time(all[0]).as_str()), (7023, Some(2), "2025-03-14T14:05:09.000Z"));
    assert_eq!(
        all[0].message.as_deref(),
        Some("Le service Messagerie intersite s'est arrêté avec l'erreur suivante : \nLe serveur spécifié ne peut pas exécuter l'opération demandée.")
    );
    assert_eq!(display(all[0]), (Some("Erreur"), Some("Aucun"), None, vec![]));
    // 03/04 is the 3rd of April in French.
    assert_eq!((all[1].level, time(all[1]).as_str(), line(all[1])), (Some(3), "2025-04-03T09:00:00.000Z", 4));

    let (summary, sink) = read("eventviewer-es.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerCsv, 2, 0));
    let all = events(&sink);
    // No day above 12: the Spanish header's day/month order decides.
    assert_eq!(
        (all[0].level, time(all[0]).as_str(), display(all[0]).0),
        (Some(3), "2025-01-02T09:00:00.000Z", Some("Advertencia"))
    );
    assert_eq!((all[1].provider.name.as_deref(), all[1].event_id, all[1].level), (Some("EventLog"), 6005, Some(4)));
    assert_eq!(
        (time(all[1]).as_str(), all[1].message.as_deref()),
        ("2025-01-03T18:30:00.000Z", Some("Se inició el servicio Registro de eventos."))
    );

    let (summary, sink) = read("eventviewer-ja.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerCsv, 2, 0));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level),
        (Some("Microsoft-Windows-Security-Auditing"), 4624, None)
    );
    assert_eq!(
        (e.keywords, display(e)),
        (Some(0x0020_0000_0000_0000), (None, Some("Logon"), None, vec!["成功の監査"]))
    );
    assert_eq!(
        e.message.as_deref(),
        Some("アカウントが正常にログオンしました。\n\nサブジェクト:\n\tセキュリティ ID:\t\tSYSTEM")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
    assert_eq!((all[1].event_id, all[1].keywords, line(all[1])), (4625, Some(0x0010_0000_0000_0000), 6));
}

#[test]
fn event_viewer_tab_text_in_utf16_from_the_security_log() {
    let (summary, sink) = read("eventviewer-en.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::EventViewerText, 2, 0));
    let all = events(&sink);
    let e = all[0];
    assert_eq!((e.event_id, e.keywords, line(e)), (4624, Some(0x0020_0000_0000_0000), 2));
    assert_eq!(display(e), (None, Some("Logon"), None, vec!["Audit Success"]));
    assert_eq!(
        e.message.as_deref(),
        Some("An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tSYSTEM")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
    let e = all[1];
    assert_eq!(
        (e.event_id, e.keywords, line(e), time(e).as_str()),
        (4625, Some(0x0010_0000_0000_0000), 6, "2025-03-14T14:06:00.000Z")
    );
    // An unquoted message goes on over lines that start no row.
    assert_eq!(
        e.message.as_deref(),
        Some("An account failed to log on.\nthis line starts no row and follows a quoted message")
    );
}

#[test]
fn wevtutil_text_english_and_german() {
    let (summary, sink) = read("wevtutil-en.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::WevtutilText, 2, 1));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, line(e)),
        (Some("Service Control Manager"), 7023, Some(2), 1)
    );
    assert_eq!(
        (e.channel.as_deref(), e.computer.as_deref(), e.user_sid.as_deref()),
        (Some("System"), Some("DC1.contoso.com"), None)
    );
    assert_eq!(display(e), (Some("Error"), None, None, vec!["Classic"]));
    assert_eq!(
        e.message.as_deref(),
        Some("The Intersite Messaging service terminated with the following error: \n\nThe specified server cannot perform the requested operation.")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.123Z");
    let e = all[1];
    assert_eq!((e.event_id, e.level, e.user_sid.as_deref(), line(e)), (206, Some(4), Some("S-1-5-18"), 18));
    assert_eq!(display(e), (Some("Information"), None, Some("Info"), vec![]));
    assert_eq!(
        diagnostics(&sink, Severity::Skipped),
        vec![(33, "wevtutil text: event id `sixty` is not a number; record skipped".to_string())]
    );

    let (summary, sink) = read("wevtutil-de.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::WevtutilText, 1, 0));
    let e = events(&sink)[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, e.channel.as_deref()),
        (Some("Service Control Manager"), 7023, Some(2), Some("System"))
    );
    assert_eq!(display(e), (Some("Fehler"), None, None, vec!["Klassisch"]));
    assert_eq!(
        e.message.as_deref(),
        Some("Der Dienst \"Messaging zwischen Standorten\" wurde mit folgendem Fehler beendet: \nDer angegebene Server kann den angeforderten Vorgang nicht ausführen.")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
}

#[test]
fn get_winevent_format_list_default_and_all_properties() {
    let (summary, sink) = read("get-winevent-list.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::GetWinEventList, 2, 1));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, line(e)),
        (Some("Service Control Manager"), 7023, None, 3)
    );
    // Format-List pads lines with blanks: trailing ones are dropped.
    assert_eq!(
        e.message.as_deref(),
        Some("The Intersite Messaging service terminated with the following error:\nThe specified server cannot perform the requested operation.")
    );
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
    let e = all[1];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, e.qualifiers, e.version),
        (Some("EventLog"), 6005, Some(4), Some(32768), Some(0))
    );
    assert_eq!(
        (e.record_id, e.channel.as_deref(), e.computer.as_deref()),
        (Some(88213), Some("System"), Some("DC1.contoso.com"))
    );
    assert_eq!((e.keywords, e.task, line(e)), (Some(0x0080_0000_0000_0000), Some(0), 9));
    assert_eq!(display(e), (Some("Information"), None, None, vec!["Classic"]));
    assert_eq!(
        (e.message.as_deref(), time(e).as_str()),
        (Some("The Event log service was started."), "2025-03-13T22:00:00.000Z")
    );
    assert_eq!(
        diagnostics(&sink, Severity::Skipped),
        vec![(31, "Get-WinEvent list: block without TimeCreated, ProviderName and Id; skipped".to_string())]
    );
}

#[test]
fn get_winevent_export_csv() {
    let (summary, sink) = read("get-winevent.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::GetWinEventCsv, 2, 1));
    let all = events(&sink);
    let e = all[0];
    assert_eq!(
        (e.provider.name.as_deref(), e.event_id, e.level, e.qualifiers, line(e)),
        (Some("Service Control Manager"), 7023, Some(2), Some(49152), 3)
    );
    assert_eq!(
        (e.record_id, e.channel.as_deref(), e.computer.as_deref(), e.process_id, e.thread_id),
        (Some(88214), Some("System"), Some("DC1.contoso.com"), Some(708), Some(4012))
    );
    assert_eq!(
        e.message.as_deref(),
        Some("The Intersite Messaging service terminated with the following error: \nThe specified server cannot perform the requested operation.")
    );
    assert_eq!(display(e), (Some("Error"), None, None, vec![]));
    assert_eq!(time(e), "2025-03-14T14:05:09.000Z");
    let e = all[1];
    assert_eq!(
        (e.event_id, e.level, e.keywords, e.task, e.opcode, line(e)),
        (4624, Some(0), Some(0x8020_0000_0000_0000), Some(12544), Some(0), 5)
    );
    assert_eq!(display(e), (Some("Information"), Some("Logon"), Some("Info"), vec![]));
    assert_eq!(
        diagnostics(&sink, Severity::Skipped),
        vec![(6, "Get-WinEvent CSV: row has 2 columns, the header 27; skipped".to_string())]
    );
    // No header names the culture; 3/14 settles month/day/year without a note.
    assert!(!sink.diagnostics.iter().any(|d| d.message.contains("month/day/year")));
}

#[test]
fn an_iana_zone_with_daylight_saving() {
    let berlin = SourceTz::parse("Europe/Berlin").expect("zone");
    let (_, sink) = read_with(&fixture("eventviewer-de.csv"), ReadOptions::new().source_tz(berlin));
    let all = events(&sink);
    // October 27 is summer time (+02:00); March 5 and February 1 winter time (+01:00).
    assert_eq!(time(all[0]), "2021-10-27T10:28:26.000Z");
    assert_eq!(time(all[1]), "2021-03-05T07:15:00.000Z");
    assert_eq!(time(all[2]), "2021-02-01T06:00:00.000Z");
    assert_eq!(
        zone_notes(&sink),
        vec!["Event Viewer CSV: times were taken as Europe/Berlin (from --source-tz) because the export does not say its zone"]
    );
}

#[test]
fn an_export_without_a_readable_record_is_reported() {
    let dir = std::env::temp_dir().join(format!("evtriage-exports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("broken.csv");
    std::fs::write(
        &path,
        "Level,Date and Time,Source,Event ID,Task Category\r\nError,13/45/2025 99:00:00 PM,X,1,None,bad date\r\n",
    )
    .expect("write");
    let mut sink = Collect::default();
    let summaries = Reader::new(ReadOptions::new().threads(1)).read_paths(&[&path], &mut sink);
    assert_eq!((summaries[0].format, summaries[0].records, summaries[0].skipped), (Format::EventViewerCsv, 0, 1));
    let unread = evtriage_core::unread(&summaries, &sink.diagnostics);
    assert_eq!(unread.len(), 1);
    assert!(unread[0].reason.contains("nothing could be read"), "{}", unread[0].reason);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn detection_keeps_the_other_text_formats() {
    use evtriage_core::format::detect;
    // Other cmdlets' Format-List stays powershell-list.
    assert_eq!(
        detect(b"\r\nId      : 1003\r\nType    : Information\r\nMessage : About to test\r\n"),
        Format::PowerShellList
    );
    assert_eq!(detect(b"TCP,lsass.exe,852,LISTENING,0.0.0.0,0.0.0.0\nUDP,dns.exe,1460,*,0.0.0.0,*\n"), Format::Tcpvcon);
    assert_eq!(detect(b"Index,  Event Name,  Type, TID, Clock-Time, User Data\n1,A,B,1,2,x"), Format::TracerptCsv);
    assert_eq!(detect(b"\"Image Name\",\"PID\",\"Services\"\n\"System\",\"4\",\"N/A\"\n"), Format::Tasklist);
    // A five-column CSV that is not Event Viewer's.
    assert_eq!(detect(b"a,b,c,d,e\n1,2,3,4,5\n"), Format::Unknown);
    assert_eq!(detect(b"Level,Date and Time,Source,Event ID,Task Category\r\n"), Format::EventViewerCsv);
    assert_eq!(detect(b"Event[0]:\n  Log Name: System\n"), Format::WevtutilText);
}

#[test]
fn the_zone_of_a_systeminfo_in_the_same_folder() {
    let dir = std::env::temp_dir().join(format!("evtriage-exports-zone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(fixture("eventviewer-de.csv"), dir.join("system.csv")).expect("copy");
    std::fs::write(
        dir.join("systeminfo.txt"),
        "\r\nHost Name:                 DC01\r\nOS Name:                   Microsoft Windows Server 2019 Datacenter\r\nOS Version:                10.0.17763 N/A Build 17763\r\nOS Configuration:          Primary Domain Controller\r\nTime Zone:                 (UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\r\nDomain:                    contoso.com\r\n",
    )
    .expect("write");
    let mut sink = Collect::default();
    Reader::new(ReadOptions::new().threads(1)).read_paths(std::slice::from_ref(&dir), &mut sink);
    let all = events(&sink);
    // As with --source-tz Europe/Berlin: summer and winter time.
    assert_eq!(time(all[0]), "2021-10-27T10:28:26.000Z");
    assert_eq!(time(all[2]), "2021-02-01T06:00:00.000Z");
    let notes = zone_notes(&sink);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("Event Viewer CSV: times were taken as Europe/Berlin (the time zone "), "{notes:?}");
    assert!(
        notes[0].contains(
            "gives for DC01, (UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna; --source-tz overrides it)"
        ),
        "{notes:?}"
    );
    // --source-tz wins.
    let mut sink = Collect::default();
    let utc = SourceTz::parse("UTC").expect("zone");
    Reader::new(ReadOptions::new().threads(1).source_tz(utc)).read_paths(std::slice::from_ref(&dir), &mut sink);
    assert_eq!(time(events(&sink)[0]), "2021-10-27T12:28:26.000Z");
    let _ = std::fs::remove_dir_all(&dir);
}
