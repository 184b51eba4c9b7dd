//! The committed binary fixtures: fresh (regenerating gives the same bytes), and read by
//! the `evtx` crate exactly as `fixtures/evtx/README.md` says.

mod common;

use std::path::PathBuf;

use common::{expected, read_with_evtx_crate};
use evtriage_evtx_writer::fixtures::{build, plan, scenario_events, stale, BUILTIN, DAMAGED_RECORD_ID};
use evtriage_evtx_writer::{write_evtx, WriteOptions};

fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

#[test]
fn committed_fixtures_are_fresh() {
    let outputs = plan(&fixtures_root()).unwrap();
    assert!(outputs.len() > BUILTIN.len(), "the example twin and the built-ins");
    let stale: Vec<_> = stale(&outputs).iter().map(|o| o.path.display().to_string()).collect();
    assert!(
        stale.is_empty(),
        "stale binary fixtures {stale:?}: run `cargo run -p evtriage-evtx-writer --bin gen-fixtures`"
    );
}

/// Record ids and chunk errors the `evtx` crate gives, checksums validated.
fn evtx_crate_view(bytes: Vec<u8>) -> (Vec<u64>, usize) {
    let settings = evtx::ParserSettings::new().validate_checksums(true).num_threads(1);
    let mut parser = evtx::EvtxParser::from_buffer(bytes).unwrap().with_configuration(settings);
    let mut ids = Vec::new();
    let mut errors = 0;
    for r in parser.records() {
        match r {
            Ok(r) => ids.push(r.event_record_id),
            Err(_) => errors += 1,
        }
    }
    (ids, errors)
}

#[test]
fn reliability_fixtures_read_as_documented() {
    for b in BUILTIN {
        let on_disk = std::fs::read(fixtures_root().join("evtx").join(b.name)).unwrap();
        assert!(on_disk == build(b).unwrap(), "{} is stale", b.name);
        let (ids, errors) = evtx_crate_view(on_disk);
        assert_eq!(ids.len(), b.readable, "{}: readable records", b.name);
        let expected_ids: Vec<u64> = match b.name {
            "damaged-chunk-magic.evtx" | "damaged-chunk-header-crc.evtx" | "damaged-chunk-data-crc.evtx" => {
                (1..=50).chain(101..=150).collect()
            }
            "damaged-record-magic.evtx" => (1..=150).filter(|i| *i != DAMAGED_RECORD_ID).collect(),
            "truncated.evtx" => (1..=100).collect(),
            _ => (1..=b.written as u64).collect(),
        };
        assert_eq!(ids, expected_ids, "{}", b.name);
        let record_errors = usize::from(b.name == "damaged-record-magic.evtx");
        assert_eq!(errors, b.bad_chunks + record_errors, "{}: errors", b.name);
    }
}

#[test]
fn the_multi_chunk_fixture_has_several_chunks() {
    let bytes = std::fs::read(fixtures_root().join("evtx/multi-chunk.evtx")).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[42], bytes[43]]), 7, "chunk count in the file header");
    assert_eq!(bytes.len(), 4096 + 7 * 65536);
}

#[test]
fn the_example_dc_boot_twin_matches_its_xml() {
    let xml_path = fixtures_root().join("evtx/example-dc-boot.xml");
    let events = scenario_events(&xml_path).unwrap();
    assert_eq!(events.len(), 12);
    let bytes = std::fs::read(fixtures_root().join("evtx/example-dc-boot.evtx")).unwrap();
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    assert!(bytes == file.bytes);
    let (read, errors) = read_with_evtx_crate(&bytes);
    assert_eq!(errors, 0);
    assert_eq!(read, expected(&events, &file));

    let ism = read.iter().find(|e| e.event_id == 7023).unwrap();
    assert_eq!(ism.provider.name.as_deref(), Some("Service Control Manager"));
    assert_eq!(ism.qualifiers, Some(49152));
    assert_eq!(ism.field("param1"), Some("Intersite Messaging"));
    assert_eq!(ism.field("param2"), Some("%%58"));
    let key: Vec<u16> = ism.binary.as_ref().unwrap().chunks(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
    assert_eq!(String::from_utf16(&key).unwrap(), "IsmServ\0");
    assert_eq!(ism.computer.as_deref(), Some("DC1.contoso.com"));
    assert_eq!(ism.record_id, Some(4110));
    assert_eq!(read.iter().filter(|e| e.event_id == 7036).count(), 5);
    assert!(read.iter().any(|e| e.event_id == 4013 && e.level == Some(3)));
    assert_eq!(read.iter().find(|e| e.event_id == 6009).unwrap().data_at(2), Some(""));
}

#[test]
fn readers_that_ignore_checksums_see_what_the_readme_says() {
    let read = |name: &str| {
        let bytes = std::fs::read(fixtures_root().join("evtx").join(name)).unwrap();
        let settings = evtx::ParserSettings::new().validate_checksums(false).num_threads(1);
        let mut parser = evtx::EvtxParser::from_buffer(bytes).unwrap().with_configuration(settings);
        parser.records_json_value().map(|r| r.unwrap()).collect::<Vec<_>>()
    };
    let intact = read("three-chunks.evtx");
    let header = read("damaged-chunk-header-crc.evtx");
    assert_eq!(header.len(), 150);
    assert!(header.iter().zip(&intact).all(|(a, b)| a.data == b.data), "header CRC damage changes no record");

    let data = read("damaged-chunk-data-crc.evtx");
    assert_eq!(data.len(), 150);
    let changed: Vec<u64> =
        data.iter().zip(&intact).filter(|(a, b)| a.data != b.data).map(|(a, _)| a.event_record_id).collect();
    assert_eq!(changed, [51], "only record 51 differs");
    let binary = |v: &serde_json::Value| v["Event"]["EventData"]["Binary"].as_str().unwrap().to_string();
    assert_ne!(binary(&data[50].data), binary(&intact[50].data));
    assert_eq!(data[50].data["Event"]["EventData"]["param1"], intact[50].data["Event"]["EventData"]["param1"]);
}
