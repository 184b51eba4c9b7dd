//! Zip archives read in place: mixed members, nesting, unsafe names, bombs.
//! The archives are built by the test from the fixtures.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use evtriage_core::{Collect, Format, Locator, Reader, Record, Severity};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn fixture_bytes(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// Adds `members`, deflated, to an archive being written.
fn add<W: Write + std::io::Seek>(w: &mut ZipWriter<W>, members: &[(&str, Vec<u8>)]) {
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("start member");
        w.write_all(bytes).expect("write member");
    }
}

fn build(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    add(&mut w, members);
    w.finish().expect("finish").into_inner()
}

#[test]
fn mixed_nested_zip_is_read_in_place() {
    let inner = build(&[("netstat.txt", fixture_bytes("netstat_anob_ex1.txt"))]);
    let outer = build(&[
        ("case/ismserv.reg", fixture_bytes("ismserv_imc_utf16.reg")),
        ("case/events.xml", fixture_bytes("eventviewer_system_ismserv.xml")),
        ("case/readme.txt", b"collected by the customer on DC1\r\n".to_vec()),
        ("case/more.zip", inner),
        ("../escape.txt", fixture_bytes("tasklist_svc.txt")),
    ]);
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("case.zip".into(), &outer, &mut sink);
    assert_eq!(summary.format, Format::Zip);
    // 16 registry values + 3 events + 8 sockets.
    assert_eq!(summary.records, 27);
    // 1 bad .reg line + the escaping member.
    assert_eq!(summary.skipped, 2);
    let sources: Vec<&str> = sink.records.iter().map(|r| &*r.origin().source).collect();
    assert!(sources.contains(&"case.zip!case/ismserv.reg"));
    assert!(sources.contains(&"case.zip!case/events.xml"));
    assert!(sources.contains(&"case.zip!case/more.zip!netstat.txt"));
    assert_eq!(sink.records.iter().filter(|r| matches!(r, Record::Socket(_))).count(), 8);
    let escape = sink.diagnostics.iter().find(|d| d.source.ends_with("../escape.txt")).expect("reported");
    assert_eq!(escape.severity, Severity::Skipped);
    assert!(sink.diagnostics.iter().any(|d| &*d.source == "case.zip!case/readme.txt" && d.severity == Severity::Note));
    let note = sink
        .diagnostics
        .iter()
        .find(|d| &*d.source == "case.zip!case/more.zip!netstat.txt" && d.severity == Severity::Note)
        .expect("member note");
    assert_eq!(note.message, "zip member read as netstat: 8 record(s), 0 skipped");
    // Records come in member-name order.
    let first = sink.records.first().map(|r| r.origin().source.to_string());
    assert_eq!(first.as_deref(), Some("case.zip!case/events.xml"));
    let bad_reg =
        sink.diagnostics.iter().find(|d| d.source.ends_with("ismserv.reg") && d.severity == Severity::Skipped);
    assert_eq!(bad_reg.map(|d| d.locator), Some(Locator::Line { line: 21 }));
}

#[test]
fn zip_bomb_member_is_refused() {
    let zeros = vec![0u8; 17 << 20];
    let archive = build(&[("bomb.txt", zeros), ("ok.csv", fixture_bytes("tcpvcon_ports.csv"))]);
    assert!(archive.len() < 1 << 20, "the test archive should be small");
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("b.zip".into(), &archive, &mut sink);
    assert_eq!((summary.records, summary.skipped), (3, 1));
    let d = sink.diagnostics.iter().find(|d| d.source.ends_with("bomb.txt")).expect("reported");
    assert!(d.message.contains("zip bomb"), "{}", d.message);
}

#[test]
fn damaged_zip_is_a_diagnostic() {
    let mut archive = build(&[("a.txt", fixture_bytes("tcpvcon_v4.csv"))]);
    archive.truncate(archive.len() / 2);
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("broken.zip".into(), &archive, &mut sink);
    assert_eq!((summary.format, summary.records), (Format::Zip, 0));
    assert_eq!(sink.diagnostics.len(), 1);
    assert_eq!(sink.diagnostics[0].severity, Severity::Failed);
}

/// Where the central directory of a zip built here starts (its end record's field).
fn directory_offset(archive: &[u8]) -> usize {
    let end = archive.len() - 22;
    assert_eq!(archive[end..end + 4], [0x50, 0x4b, 0x05, 0x06], "a zip without a comment ends with its end record");
    u32::from_le_bytes([archive[end + 16], archive[end + 17], archive[end + 18], archive[end + 19]]) as usize
}

fn members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("case/netstat.txt", fixture_bytes("netstat_anob_ex1.txt")),
        ("case/tcpvcon.csv", fixture_bytes("tcpvcon_ports.csv")),
        ("case/system.xml", fixture_bytes("eventviewer_system_ismserv.xml")),
    ]
}

fn read(name: &str, archive: &[u8]) -> (evtriage_core::InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes(name.into(), archive, &mut sink);
    (summary, sink)
}

fn sources(sink: &Collect) -> Vec<String> {
    let mut s: Vec<String> = sink.records.iter().map(|r| r.origin().source.to_string()).collect();
    s.dedup();
    s
}

#[test]
fn a_zip_cut_short_gives_its_complete_members_and_names_the_cut_one() {
    let whole = build(&members());
    let (intact, _) = read("case.zip", &whole);
    let first_two = build(&members()[..2]);
    let (two, two_sink) = read("case.zip", &first_two);
    assert_eq!(two.records, 11, "8 sockets + 3 tcpvcon rows");
    // Cut 40 bytes into the third member's data: its header is whole, its data is not.
    let third_at = directory_offset(&first_two);
    let cut_at = third_at + 30 + "case/system.xml".len() + 40;
    let (summary, sink) = read("case.zip", &whole[..cut_at]);
    assert_eq!(summary.format, Format::Zip);
    assert_eq!(summary.records, two.records);
    assert!(summary.records < intact.records);
    assert_eq!(sources(&sink), sources(&two_sink));
    let damaged = sink.diagnostics.iter().find(|d| &*d.source == "case.zip").expect("the archive is reported");
    assert_eq!(damaged.severity, Severity::Failed);
    assert!(damaged.message.contains("damaged zip archive"), "{}", damaged.message);
    assert!(damaged.message.contains("2 complete member(s) read from their local headers"), "{}", damaged.message);
    let cut = sink.diagnostics.iter().find(|d| &*d.source == "case.zip!case/system.xml").expect("the cut member");
    assert_eq!(cut.severity, Severity::Skipped);
    assert_eq!(cut.locator, Locator::Offset { offset: third_at as u64 });
    let missing = directory_offset(&whole) - cut_at;
    assert!(
        cut.message.contains(&format!("{missing} byte(s) of its compressed data are missing")),
        "{} (expected {missing} missing)",
        cut.message
    );
}

#[test]
fn a_zip_without_its_central_directory_is_read_whole() {
    let whole = build(&members());
    let (intact, intact_sink) = read("case.zip", &whole);
    let (summary, sink) = read("case.zip", &whole[..directory_offset(&whole)]);
    assert_eq!(summary.records, intact.records);
    assert_eq!(sources(&sink), sources(&intact_sink));
    assert!(sink.diagnostics.iter().any(|d| d.message.contains("3 complete member(s)")));
    assert!(!sink.diagnostics.iter().any(|d| d.message.contains("cut short (")));
}

/// A zip written as a stream: each member's sizes only in a data descriptor after its data.
fn build_streamed(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new_stream(Vec::new());
    add(&mut w, members);
    w.finish().expect("finish").into_inner()
}

#[test]
fn a_streamed_zip_is_read_whole_or_cut() {
    let whole = build_streamed(&members());
    // Written as a stream: the local headers carry no sizes.
    assert_eq!(whole[6] & 0x08, 0x08, "bit 3: sizes in a data descriptor");
    let (intact, intact_sink) = read("s.zip", &whole);
    let (plain, _) = read("p.zip", &build(&members()));
    assert_eq!(intact.records, plain.records);
    // Cut inside the third member: the first two are found by inflating
    // each to the end of its deflate stream.
    let cut_at = directory_offset(&whole) - 60;
    let (summary, sink) = read("s.zip", &whole[..cut_at]);
    assert_eq!(summary.records, 11);
    let mut expected = sources(&intact_sink);
    expected.retain(|s| !s.ends_with("system.xml"));
    assert_eq!(sources(&sink), expected);
    let cut = sink.diagnostics.iter().find(|d| d.source.ends_with("case/system.xml")).expect("the cut member");
    assert!(cut.message.contains("its data ends before its compressed stream does"), "{}", cut.message);
}
