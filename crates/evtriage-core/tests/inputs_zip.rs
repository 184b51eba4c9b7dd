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

fn build(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("start member");
        w.write_all(bytes).expect("write member");
    }
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
