//! Large text inputs (XML exports, ETW text traces) are read in pieces cut
//! where a record starts, so that memory does not grow with them. Reading a
//! file in pieces must give exactly what reading it whole gives: the same
//! records with the same line numbers, the same diagnostics and counts, in
//! every encoding and line-end style the exports come in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtriage_core::{Collect, InputSummary, Locator, ReadOptions, Reader};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

/// Bigger than the size above which inputs are read in pieces (4 MiB).
const BIG: usize = 5 << 20;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("evtriage-pieces-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `<Event>` elements of the example export, as one string.
fn events_xml() -> String {
    let text = std::fs::read_to_string(fixture("evtx/example-dc-boot.xml")).unwrap();
    let start = text.find("<Event ").unwrap();
    let end = text.rfind("</Event>").unwrap() + "</Event>".len();
    text[start..end].to_string()
}

fn repeat_to(unit: &str, head: &str, tail: &str) -> String {
    let mut s = String::from(head);
    while s.len() < BIG {
        s.push_str(unit);
    }
    s.push_str(tail);
    s
}

fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    b.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

/// Read from the file (in pieces) against read from memory (whole).
fn assert_pieces_equal_whole(path: &Path) -> Collect {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > BIG - 1024);
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut whole = Collect::default();
    let whole_summary = Reader::new(ReadOptions::new().threads(1)).read_bytes(name, &bytes, &mut whole);
    assert!(whole.records.len() > 1000, "{path:?}: {} records", whole.records.len());
    for threads in [1, 2] {
        let mut pieces = Collect::default();
        let summaries: Vec<InputSummary> =
            Reader::new(ReadOptions::new().threads(threads)).read_paths(&[path], &mut pieces);
        assert_eq!(summaries, vec![whole_summary.clone()], "{path:?}, {threads} threads: summary");
        assert_eq!(pieces.records.len(), whole.records.len(), "{path:?}, {threads} threads: records");
        for (i, (p, w)) in pieces.records.iter().zip(&whole.records).enumerate() {
            assert_eq!(p, w, "{path:?}, {threads} threads: record {i}");
        }
        assert_eq!(pieces.diagnostics, whole.diagnostics, "{path:?}, {threads} threads: diagnostics");
    }
    whole
}

#[test]
fn xml_exports_in_pieces_read_as_whole() {
    let dir = TempDir::new("xml");
    let events = events_xml();
    // Event Viewer: declaration, `<Events>` wrapper, one event per line.
    let viewer = dir.0.join("viewer.xml");
    std::fs::write(&viewer, repeat_to(&format!("{events}\n"), "<?xml version=\"1.0\"?>\n<Events>\n", "</Events>\n"))
        .unwrap();
    let read = assert_pieces_equal_whole(&viewer);
    // Line numbers run on across pieces: the last event starts near the end.
    let last = read.records.last().map(|r| r.origin().locator);
    let lines = std::fs::read_to_string(&viewer).unwrap().lines().count() as u64;
    assert!(matches!(last, Some(Locator::Line { line }) if line + 40 > lines), "{last:?} of {lines} lines");
    // wevtutil: no wrapper, no line ends between events.
    let wevtutil = dir.0.join("wevtutil.xml");
    std::fs::write(&wevtutil, repeat_to(&events.replace('\n', ""), "", "")).unwrap();
    assert_pieces_equal_whole(&wevtutil);
    // PowerShell redirect: UTF-16LE with BOM, CRLF.
    let wide = dir.0.join("wide.xml");
    let text = repeat_to(&format!("{}\r\n", events.replace('\n', "\r\n")), "<Events>\r\n", "</Events>\r\n");
    std::fs::write(&wide, utf16le_bom(&text)).unwrap();
    assert_pieces_equal_whole(&wide);
    // Damage in the middle: a truncated element and a run of control
    // characters, each reported at its line, the rest read.
    let damaged = dir.0.join("damaged.xml");
    let mut text = repeat_to(&format!("{events}\n"), "<Events>\n", "");
    text.push_str("<Event><System><Provider Name='cut'/>\n");
    text.push_str(&"\u{1}\u{2} noise\n".repeat(50));
    text.push_str(&repeat_to(&format!("{events}\n"), "", "</Events>\n"));
    std::fs::write(&damaged, text).unwrap();
    let read = assert_pieces_equal_whole(&damaged);
    assert!(read.diagnostics.iter().any(|d| d.message.contains("truncated")));
}

#[test]
fn etw_text_traces_in_pieces_read_as_whole() {
    let dir = TempDir::new("etw");
    let trace = std::fs::read_to_string(fixture("inputs/ldap_client_trace.txt")).unwrap();
    let plain = dir.0.join("trace.txt");
    std::fs::write(&plain, repeat_to(&trace, "", "")).unwrap();
    assert_pieces_equal_whole(&plain);
    // UTF-16LE, CRLF, lone CRs (not line ends), and lines that are not
    // records (each reported with its line).
    let wide = dir.0.join("trace16.txt");
    let unit = format!("{}\rnot a record\r\n", trace.replace('\n', "\r\n"));
    std::fs::write(&wide, utf16le_bom(&repeat_to(&unit, "", ""))).unwrap();
    let read = assert_pieces_equal_whole(&wide);
    assert!(read.diagnostics.len() > 100);
}

#[test]
fn a_damaged_stretch_costs_its_piece_only() {
    // Not valid UTF-8 in one place: read whole, the file would be taken as
    // Windows-1252 throughout; in pieces only the damaged piece is, and the
    // note names its lines.
    let dir = TempDir::new("lossy");
    let events = events_xml().replace("Intersite Messaging", "Intersite Messaging é");
    let mut bytes = repeat_to(&format!("{events}\n"), "<Events>\n", "").into_bytes();
    let middle = bytes.len() / 2;
    let at = middle + bytes[middle..].iter().position(|b| *b == b'\n').unwrap() + 1;
    bytes.splice(at..at, b"<!-- \xff\xfe -->\n".iter().copied());
    bytes.extend_from_slice(b"</Events>\n");
    let path = dir.0.join("lossy.xml");
    std::fs::write(&path, &bytes).unwrap();
    let mut read = Collect::default();
    Reader::new(ReadOptions::new().threads(2)).read_paths(&[&path], &mut read);
    let notes: Vec<_> = read
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("are not valid UTF-8; they were read as Windows-1252"))
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", read.diagnostics);
    let line_of_damage = bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1;
    match notes[0].locator {
        Locator::Line { line } => assert!(line <= line_of_damage && line + 10_000 > line_of_damage, "{line}"),
        other => panic!("{other:?}"),
    }
    // Every event but those of the damaged piece keeps its `é`.
    let events: Vec<_> = read.events().collect();
    let kept = events.iter().filter(|e| e.data.iter().any(|d| d.value.ends_with("Messaging é"))).count();
    let with_data = events.iter().filter(|e| e.data.iter().any(|d| d.value.starts_with("Intersite Messaging"))).count();
    assert!(kept + 200 > with_data && kept * 10 > with_data * 9, "{kept} of {with_data}");
}

/// Reads `path` whole and in pieces of each size, with 1 and 2 threads,
/// and asserts the same summary, records and diagnostics.
fn assert_small_pieces_equal_whole(path: &Path, options: &ReadOptions, sizes: &[usize]) -> Collect {
    let bytes = std::fs::read(path).unwrap();
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut whole = Collect::default();
    let whole_summary = Reader::new(options.clone().threads(1)).read_bytes(name, &bytes, &mut whole);
    for &size in sizes {
        for threads in [1, 2] {
            let mut pieces = Collect::default();
            let summaries: Vec<InputSummary> =
                Reader::new(options.clone().threads(threads).piece_size(size)).read_paths(&[path], &mut pieces);
            let what = format!("{path:?}, pieces of {size} bytes, {threads} threads");
            assert_eq!(summaries, vec![whole_summary.clone()], "{what}: summary");
            assert_eq!(pieces.records, whole.records, "{what}: records");
            assert_eq!(pieces.diagnostics, whole.diagnostics, "{what}: diagnostics");
        }
    }
    whole
}

#[test]
fn every_export_fixture_in_tiny_pieces_reads_as_whole() {
    let dir = fixture("exports");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "{files:?}");
    // A zone with daylight saving, so that the notes on repeated local times
    // (counted over every piece, given once) are compared too.
    let berlin = evtriage_core::SourceTz::parse("Europe/Berlin").unwrap();
    for path in &files {
        for options in [ReadOptions::new(), ReadOptions::new().source_tz(berlin.clone())] {
            let whole = assert_small_pieces_equal_whole(path, &options, &[1, 16, 100, 300]);
            assert!(!whole.records.is_empty(), "{path:?}");
            // One note on the zone per input, however many pieces.
            let zone =
                whole.diagnostics.iter().filter(|d| d.message.contains("because the export does not say its zone"));
            assert_eq!(zone.count(), 1, "{path:?}");
        }
    }
}

/// A large Event Viewer CSV: `n` rows, every third with a quoted message
/// over several lines (one line of which looks like a row of its own), the
/// others unquoted, some going on over a line that starts no row. English
/// header but day-first dates (an en-GB machine), and no day above 12 in
/// the first rows: only rows far into the file settle the order.
fn large_viewer_csv(n: usize) -> String {
    let mut s = String::from("\u{feff}Level,Date and Time,Source,Event ID,Task Category\r\n");
    for i in 0..n {
        let day = if i < n / 2 { 1 + i % 12 } else { 1 + i % 28 };
        let time = format!("{day:02}/03/2025 {:02}:{:02}:{:02}", i % 24, i % 60, (i / 60) % 60);
        match i % 3 {
            0 => s.push_str(&format!(
                "Error,{time},Service Control Manager,7023,None,\"Row {i}: the service terminated with \
                 the following error: \r\nError,01/03/2025 00:00:00,Not a row,1,None,quoted \"\"text\"\"\r\n\r\n\
                 {}end {i}.\"\r\n",
                "padding ".repeat(i % 50)
            )),
            1 => s.push_str(&format!(
                "Information,{time},EventLog,6005,None,Row {i}: the Event log service was started.\r\n"
            )),
            _ => s.push_str(&format!(
                "Warning,{time},Microsoft-Windows-Time-Service,36,None,Row {i}: no usable time stamp\r\n\
                 which goes on here {i}.\r\n"
            )),
        }
    }
    s
}

#[test]
fn a_large_event_viewer_csv_in_pieces_reads_as_whole() {
    let dir = TempDir::new("viewer-csv");
    let path = dir.0.join("System.csv");
    let n = 60_000;
    let text = large_viewer_csv(n);
    assert!(text.len() > BIG, "{}", text.len());
    std::fs::write(&path, &text).unwrap();
    let whole = assert_pieces_equal_whole(&path);
    for threads in [1, 4] {
        let mut read = Collect::default();
        let summaries = Reader::new(ReadOptions::new().threads(threads)).read_paths(&[&path], &mut read);
        assert_eq!(summaries[0].records, n as u64, "{threads} threads");
        assert_eq!(read.records, whole.records);
        let events: Vec<_> = read.events().collect();
        assert_eq!(events.len(), n);
        let first = events[0];
        assert_eq!((first.provider.name.as_deref(), first.event_id), (Some("Service Control Manager"), 7023));
        assert_eq!(first.origin.locator, Locator::Line { line: 2 });
        assert_eq!(
            first.message.as_deref(),
            Some(
                "Row 0: the service terminated with the following error: \nError,01/03/2025 00:00:00,Not a \
                 row,1,None,quoted \"text\"\n\nend 0."
            )
        );
        assert_eq!(first.time.map(|t| t.to_rfc3339()).as_deref(), Some("2025-03-01T00:00:00+00:00"));
        let last = events[n - 1];
        let i = n - 1; // 59999: `i % 3 == 2`, a message going on over a second line
        assert_eq!((last.provider.name.as_deref(), last.event_id), (Some("Microsoft-Windows-Time-Service"), 36));
        assert_eq!(
            last.message.as_deref(),
            Some(format!("Row {i}: no usable time stamp\nwhich goes on here {i}.").as_str())
        );
        // Day first, from rows far into the file: 59999 % 28 + 1 = 24 March.
        assert_eq!(last.time.map(|t| t.to_rfc3339()).as_deref(), Some("2025-03-24T23:59:39+00:00"));
        let lines = text.lines().count() as u64;
        assert_eq!(last.origin.locator, Locator::Line { line: lines - 1 });
        // The order's note and the zone's, once each.
        let notes: Vec<&str> = read.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].starts_with("dates read as day/month/year: the rows say so"), "{notes:?}");
    }
}

#[test]
fn line_captures_in_tiny_pieces_read_as_whole() {
    let dir = fixture("inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("netstat")
                    || n.starts_with("tcpvcon")
                    || n.starts_with("tasklist")
                    || n.ends_with(".reg")
                    || (n.starts_with("tracerpt") && n.ends_with(".csv"))
            })
        })
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for path in &files {
        // Pieces cut before a socket row: a `-b` row's services and image stay with it.
        let whole = assert_small_pieces_equal_whole(path, &ReadOptions::new(), &[40, 150, 1000]);
        assert!(!whole.records.is_empty(), "{path:?}");
    }
}

#[test]
fn a_million_row_netstat_is_read_in_pieces() {
    let tmp = TempDir::new("netstat");
    let path = tmp.0.join("netstat.txt");
    let row = |i: usize| {
        format!(
            "  TCP    10.0.0.5:{}      10.1.0.6:443           ESTABLISHED     {}\r\n",
            1024 + i % 60000,
            700 + i % 50
        )
    };
    let mut text = String::from(
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n",
    );
    let mut i = 0;
    while text.len() < BIG {
        text.push_str(&row(i));
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let whole = assert_pieces_equal_whole(&path);
    assert_eq!(whole.records.len(), i);
    // The same in German, written by cmd in code page 850 (`ABHÖREN`: Ö is 0x99).
    let german = text
        .replace("Active Connections", "Aktive Verbindungen")
        .replace(
            "Local Address          Foreign Address        State",
            "Lokale Adresse         Remoteadresse          Status",
        )
        .replace("ESTABLISHED", "ABH\u{d6}REN    ");
    let bytes: Vec<u8> = german.chars().map(|c| if c == '\u{d6}' { 0x99 } else { c as u8 }).collect();
    let path = tmp.0.join("netstat-de.txt");
    std::fs::write(&path, &bytes).unwrap();
    let whole = assert_pieces_equal_whole(&path);
    assert_eq!(whole.records.len(), i);
    let summary = Reader::new(ReadOptions::new()).read_paths(&[&path], &mut Collect::default());
    assert_eq!(summary[0].encoding.as_deref(), Some("code page 850 (OEM Multilingual Latin 1)"));
    assert_eq!(summary[0].language.as_deref(), Some("de"));
}

#[test]
fn a_regedit4_export_in_tiny_pieces_keeps_its_8_bit_strings() {
    let tmp = TempDir::new("regedit4");
    let path = tmp.0.join("old.reg");
    let mut text = String::from("REGEDIT4\r\n\r\n");
    for i in 0..20 {
        // hex(2) in REGEDIT4 is an 8-bit string: `%SystemRoot%\x` here, wrapped like regedit.
        text.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Svc{i}]\r\n\"Start\"=dword:00000002\r\n\"ImagePath\"=hex(2):25,53,79,73,74,65,6d,52,6f,6f,74,25,5c,\\\r\n  78,00\r\n\r\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let whole = assert_small_pieces_equal_whole(&path, &ReadOptions::new(), &[60, 200]);
    let image = whole.records.iter().find_map(|r| match r {
        evtriage_core::Record::Registry(v) if v.name == "ImagePath" => Some(v.data.clone()),
        _ => None,
    });
    assert_eq!(image, Some(evtriage_core::RegData::ExpandSz("%SystemRoot%\\x".into())));
}

#[test]
fn a_tracerpt_csv_with_quoted_line_breaks_in_tiny_pieces_reads_as_whole() {
    let tmp = TempDir::new("tracerpt-csv");
    let path = tmp.0.join("trace.csv");
    let mut text = String::from("\u{feff}Event Name,Type,Event ID,Version,Channel,Level,Opcode,Task,Keyword,PID,TID,Processor Number,Instance ID,Parent Instance ID,Activity ID,Related Activity ID,Clock-Time,Kernel(ms),User(ms),User Data\r\n");
    for i in 0..200u64 {
        // Every third row's user data holds a line break and a comma, in quotes.
        let data = if i % 3 == 0 { format!("\"line one, {i}\r\nline two\"") } else { format!("\"value {i}\"") };
        text.push_str(&format!(
            "Microsoft-Windows-LDAP-Client,Info,{},0,0,4,0,0,0x0,1234,5678,0,0,0,{{00000000-0000-0000-0000-000000000000}},,{},0,0,{data}\r\n",
            30 + i % 3,
            133_500_000_000_000_000u64 + i * 10_000_000
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let whole = assert_small_pieces_equal_whole(&path, &ReadOptions::new(), &[100, 333, 2000]);
    assert_eq!(whole.events().count(), 200);
}
