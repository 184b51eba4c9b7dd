//! An independent implementation, python-evtx (PyPI), reads the writer's files and finds
//! the same events. Runs when `python3 -c 'import Evtx'` works; otherwise it says why it
//! skipped, except under CI (`EVTRIAGE_CORPUS` set), where python-evtx must be there.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{events_of_xml, expected};
use evtriage_core::Event;
use evtriage_evtx_writer::{samples, write_evtx, EvtxFile, WriteOptions};

fn python_evtx_available() -> bool {
    let ok = Command::new("python3").args(["-c", "import Evtx"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !evtriage_testutil::corpus_configured(),
            "python-evtx is required under CI: python3 -m pip install python-evtx"
        );
        eprintln!("skipped: python-evtx is not installed (python3 -m pip install python-evtx)");
    }
    ok
}

/// What python-evtx says about `file`: its verdicts line, and the events it reads.
fn read_with_python(file: &EvtxFile, name: &str) -> (String, Vec<Event>) {
    let dir = std::env::temp_dir().join(format!("evtx-writer-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &file.bytes).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_evtx.py");
    let out = Command::new("python3").arg(script).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "python-evtx failed: {}", String::from_utf8_lossy(&out.stderr));
    let (verdicts, xml) = stdout.split_once('\n').unwrap();
    let events = events_of_xml(xml, "python-evtx");
    (verdicts.to_string(), events)
}

/// python-evtx keeps microseconds through a float, so its times can be off by a microsecond
/// or two; everything else must be equal.
fn assert_same(got: &[Event], want: &[Event]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let (mut g, mut w) = (g.clone(), w.clone());
        match (g.time, w.time) {
            (Some(a), Some(b)) => assert!((a - b).num_microseconds().unwrap().abs() <= 2, "{a} vs {b}"),
            (None, None) => {}
            other => panic!("time differs: {other:?}"),
        }
        g.time = None;
        w.time = None;
        assert_eq!(g, w);
    }
}

#[test]
fn python_evtx_reads_every_field() {
    if !python_evtx_available() {
        return;
    }
    let mut events = samples::variety();
    // python-evtx cannot show a record without a time (FILETIME 0); the Rust test covers it.
    events.retain(|e| e.time.is_some());
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let (verdicts, read) = read_with_python(&file, "variety.evtx");
    assert_eq!(verdicts, "header_ok=True chunks=1 chunk_ok=True");
    assert_same(&read, &expected(&events, &file));
    assert_eq!(read[0].field("param2"), Some("%%58"));
}

#[test]
fn python_evtx_reads_multi_chunk_files() {
    if !python_evtx_available() {
        return;
    }
    let events = samples::service_churn(500);
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let chunks = file.chunk_count();
    assert!(chunks >= 3);
    let (verdicts, read) = read_with_python(&file, "churn.evtx");
    let ok = vec!["True"; chunks].join(",");
    assert_eq!(verdicts, format!("header_ok=True chunks={chunks} chunk_ok={ok}"));
    assert_same(&read, &expected(&events, &file));
}

#[test]
fn python_evtx_reads_the_committed_example() {
    if !python_evtx_available() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evtx");
    let events = evtriage_evtx_writer::fixtures::scenario_events(&root.join("example-dc-boot.xml")).unwrap();
    let bytes = std::fs::read(root.join("example-dc-boot.evtx")).unwrap();
    let file = EvtxFile { bytes, records: write_evtx(&events, &WriteOptions::default()).unwrap().records };
    let (verdicts, read) = read_with_python(&file, "example-dc-boot.evtx");
    assert_eq!(verdicts, "header_ok=True chunks=1 chunk_ok=True");
    assert_same(&read, &expected(&events, &file));
    let ism = read.iter().find(|e| e.event_id == 7023).unwrap();
    assert_eq!((ism.field("param2"), ism.record_id), (Some("%%58"), Some(4110)));
}

#[test]
fn python_evtx_finds_templates_and_names_through_the_chunk_tables() {
    if !python_evtx_available() {
        return;
    }
    // python-evtx looks templates up in the chunk's template table: with ~100 shapes,
    // most are reached through a bucket chain.
    let events = samples::many_shapes(300);
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let (verdicts, read) = read_with_python(&file, "shapes.evtx");
    assert!(verdicts.starts_with("header_ok=True"), "{verdicts}");
    assert!(!verdicts.contains("False"), "{verdicts}");
    assert_same(&read, &expected(&events, &file));
}
