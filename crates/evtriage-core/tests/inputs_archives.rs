//! Archives other than zip: .tar, .tar.gz, a gzipped file, and a Windows
//! cabinet, built by the test from the fixtures with the same crates'
//! writers, read in place with the zip limits.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use evtriage_core::{Collect, Format, Reader, Severity};

fn fixture_bytes(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Written raw: the builder refuses `..` names, which an attacker's archive would carry.
        let raw = h.as_old_mut();
        raw.name = [0; 100];
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *bytes).expect("append");
    }
    b.into_inner().expect("finish tar")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("finish gzip")
}

fn read(name: &str, bytes: &[u8]) -> (evtriage_core::InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes(name.into(), bytes, &mut sink);
    (summary, sink)
}

#[test]
fn tar_gz_members_are_read_and_unsafe_names_refused() {
    let reg = fixture_bytes("ismserv_imc_utf16.reg");
    let xml = fixture_bytes("eventviewer_system_ismserv.xml");
    let netstat = fixture_bytes("netstat_anob_ex1.txt");
    let tar = tar_of(&[
        ("case/ismserv.reg", &reg),
        ("case/events.xml", &xml),
        ("case/netstat.txt", &netstat),
        ("../escape.txt", &netstat),
    ]);
    let (summary, sink) = read("case.tar", &tar);
    assert_eq!(summary.format, Format::Tar);
    // 16 registry values + 3 events + 8 sockets; the escaping member is not read (the .reg fixture has one broken value).
    assert_eq!((summary.records, summary.skipped), (27, 2), "{:?}", sink.diagnostics);
    let members: Vec<&str> = summary.members.iter().map(|m| &*m.path).collect();
    assert_eq!(members, ["case.tar!case/ismserv.reg", "case.tar!case/events.xml", "case.tar!case/netstat.txt"]);
    assert!(sink.diagnostics.iter().any(|d| &*d.source == "case.tar!../escape.txt"
        && d.severity == Severity::Skipped
        && d.message.contains("leaves the archive")));

    let (summary, _) = read("case.tar.gz", &gzip(&tar));
    assert_eq!(summary.format, Format::Gzip);
    assert_eq!(summary.format.name(), "gzip");
    assert_eq!((summary.records, summary.skipped), (27, 2));
    assert_eq!(summary.members.first().map(|m| m.format), Some(Format::Reg));
}

#[test]
fn one_gzipped_file() {
    let (summary, sink) = read("logs/netstat.txt.gz", &gzip(&fixture_bytes("netstat_anob_ex1.txt")));
    assert_eq!(summary.format, Format::Gzip);
    assert_eq!(summary.records, 8);
    assert_eq!(
        summary.members.first().map(|m| (&*m.path, m.format)),
        Some(("logs/netstat.txt.gz!netstat.txt", Format::Netstat))
    );
    assert!(sink.diagnostics.iter().any(|d| d.message.contains("gzip member read as netstat: 8 record(s)")));
}

#[test]
fn a_gzip_bomb_stops_at_the_ratio_limit() {
    // 24 MiB of zeros compress to about 24 KiB: past the 16 MiB floor, beyond 200:1.
    let bomb = gzip(&vec![0u8; 24 << 20]);
    assert!(bomb.len() < 200 << 10);
    let (summary, sink) = read("bomb.gz", &bomb);
    assert_eq!((summary.records, summary.skipped), (0, 1));
    assert!(
        sink.diagnostics.iter().any(|d| d.message.contains("looks like an archive bomb")),
        "{:?}",
        sink.diagnostics
    );
}

#[test]
fn a_cabinet_in_mszip() {
    let reg = fixture_bytes("ismserv_imc_utf16.reg");
    let netstat = fixture_bytes("netstat_anob_ex1.txt");
    let mut builder = cab::CabinetBuilder::new();
    {
        let folder = builder.add_folder(cab::CompressionType::MsZip);
        folder.add_file("case\\ismserv.reg");
        folder.add_file("case\\netstat.txt");
        folder.add_file("..\\escape.txt");
    }
    let mut writer = builder.build(Cursor::new(Vec::new())).expect("build cab");
    while let Some(mut file) = writer.next_file().expect("next file") {
        let bytes = if file.file_name().ends_with(".reg") { &reg } else { &netstat };
        file.write_all(bytes).expect("write member");
    }
    let cab = writer.finish().expect("finish cab").into_inner();
    let (summary, sink) = read("tss.cab", &cab);
    assert_eq!(summary.format, Format::Cab);
    assert_eq!((summary.records, summary.skipped), (24, 2), "{:?}", sink.diagnostics);
    let members: Vec<(&str, Format)> = summary.members.iter().map(|m| (&*m.path, m.format)).collect();
    assert_eq!(members, [("tss.cab!case/ismserv.reg", Format::Reg), ("tss.cab!case/netstat.txt", Format::Netstat)]);
    // Damaged: cut in half, it says so and does not panic.
    let (summary, sink) = read("cut.cab", cab.get(..cab.len() / 2).unwrap_or(&[]));
    assert_eq!(summary.format, Format::Cab);
    assert!(summary.records < 24);
    assert!(!sink.diagnostics.is_empty());
}
