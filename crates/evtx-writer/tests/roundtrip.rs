//! Files the writer produces read back through the `evtx` crate, checksums validated,
//! with every field equal to the input.

mod common;

use common::{expected, read_with_evtx_crate};
use evtriage_core::DataSection;
use evtriage_evtx_writer::{samples, write_evtx, WriteError, WriteOptions, CHUNK_SIZE, FILE_HEADER_SIZE};

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn every_field_reads_back_through_the_evtx_crate() {
    let events = samples::variety();
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let (read, errors) = read_with_evtx_crate(&file.bytes);
    assert_eq!(errors, 0);
    assert_eq!(read.len(), 6);
    let want = expected(&events, &file);
    for (got, want) in read.iter().zip(&want) {
        assert_eq!(got, want);
    }
    // Spot checks of the awkward cases, stated plainly.
    assert_eq!(read[0].field("param2"), Some("%%58"));
    assert_eq!(read[0].qualifiers, Some(49152));
    assert_eq!(read[0].binary.as_deref().map(|b| b.len()), Some(16));
    assert_eq!(read[0].time.unwrap().to_rfc3339(), "2026-03-02T08:15:00.123456700+00:00");
    assert_eq!(read[1].data.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(), ["30000", "", "MSExchangeTransport"]);
    assert!(read[1].data.iter().all(|d| d.name.is_none()));
    assert_eq!(read[1].user_sid.as_deref(), Some("S-1-5-21-3623811015-3361044348-30300820-1013"));
    assert_eq!(read[2].provider.name, None);
    assert_eq!(read[2].data_named("Empty"), Some(""));
    assert_eq!(read[2].data_named("Text"), Some("Überprüfung fehlgeschlagen — <&> \"quoted\" 'x'"));
    assert_eq!(read[3].data_section, DataSection::UserData);
    assert_eq!(read[3].data_named("SubjectUserName"), Some("Administrator"));
    assert_eq!(read[4].event_id, 70_000);
    assert_eq!(read[4].time, None);
    assert_eq!(read.iter().map(|e| e.record_id.unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn json_output_carries_the_same_values() {
    let file = write_evtx(&samples::variety(), &WriteOptions::default()).unwrap();
    let mut parser = evtx::EvtxParser::from_buffer(file.bytes)
        .unwrap()
        .with_configuration(evtx::ParserSettings::new().validate_checksums(true).num_threads(1));
    let values: Vec<serde_json::Value> = parser.records_json_value().map(|r| r.unwrap().data).collect();
    assert_eq!(values.len(), 6);
    let first = &values[0]["Event"];
    assert_eq!(first["System"]["EventID"]["#attributes"]["Qualifiers"], 49152);
    assert_eq!(first["System"]["EventID"]["#text"], 7023);
    assert_eq!(first["System"]["Computer"], "DC1.contoso.com");
    assert_eq!(first["EventData"]["param2"], "%%58");
    assert_eq!(first["EventData"]["Binary"], "490073006D0053006500720076000000");
    assert_eq!(values[2]["Event"]["System"]["Keywords"], "0x4000000000000001");
    assert_eq!(values[3]["Event"]["UserData"]["EventXML"]["Channel"], "System");
}

#[test]
fn record_ids_are_kept_when_they_increase_and_filled_in_otherwise() {
    let mut events = samples::service_churn(5);
    events[0].record_id = Some(100);
    events[1].record_id = None; // -> 101
    events[2].record_id = Some(500);
    events[3].record_id = Some(7); // not increasing -> 501
    events[4].record_id = None; // -> 502
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let ids: Vec<u64> = file.records.iter().map(|r| r.record_id).collect();
    assert_eq!(ids, [100, 101, 500, 501, 502]);
    let (read, _) = read_with_evtx_crate(&file.bytes);
    assert_eq!(read.iter().map(|e| e.record_id.unwrap()).collect::<Vec<_>>(), ids);
    assert_eq!(u64_at(&file.bytes, 24), 503, "file header: next record id");

    let renumbered =
        write_evtx(&events, &WriteOptions { first_record_id: 40, renumber: true, ..Default::default() }).unwrap();
    assert_eq!(renumbered.records.iter().map(|r| r.record_id).collect::<Vec<_>>(), [40, 41, 42, 43, 44]);
}

#[test]
fn records_fill_several_chunks_with_consistent_headers() {
    let events = samples::service_churn(1500);
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let chunks = file.chunk_count();
    assert!(chunks >= 3, "1500 records span {chunks} chunks");
    assert_eq!(file.bytes.len(), FILE_HEADER_SIZE + chunks * CHUNK_SIZE);
    let h = &file.bytes[..FILE_HEADER_SIZE];
    assert_eq!(u64_at(h, 16), chunks as u64 - 1, "last chunk number");
    assert_eq!(u64_at(h, 24), 1501, "next record id");
    assert_eq!(u16::from_le_bytes([h[42], h[43]]) as usize, chunks);
    assert_eq!(u32_at(h, 124), evtriage_evtx_writer::crc32(&[&h[..120]]));

    for c in 0..chunks {
        let d = &file.bytes[FILE_HEADER_SIZE + c * CHUNK_SIZE..][..CHUNK_SIZE];
        let mine: Vec<_> = file.records.iter().filter(|r| r.chunk == c as u64).collect();
        assert_eq!(&d[..8], b"ElfChnk\0");
        assert_eq!(u64_at(d, 24), mine[0].record_id, "first id of chunk {c}");
        assert_eq!(u64_at(d, 32), mine.last().unwrap().record_id, "last id of chunk {c}");
        assert_eq!(u32_at(d, 44), mine.last().unwrap().offset, "last record offset of chunk {c}");
        let free = u32_at(d, 48) as usize;
        let last = mine.last().unwrap();
        assert_eq!(free, (last.offset + last.size) as usize);
        assert_eq!(u32_at(d, 52), evtriage_evtx_writer::crc32(&[&d[512..free]]));
        assert_eq!(u32_at(d, 124), evtriage_evtx_writer::chunk_header_crc(d));
        // Each chunk defines its template again: one template pointer at least, and names.
        assert!((0..32).any(|i| u32_at(d, 384 + i * 4) != 0), "template table of chunk {c}");
        assert!((0..64).any(|i| u32_at(d, 128 + i * 4) != 0), "string table of chunk {c}");
    }

    let (read, errors) = read_with_evtx_crate(&file.bytes);
    assert_eq!(errors, 0);
    assert_eq!(read, expected(&events, &file));
}

#[test]
fn a_template_is_defined_once_per_chunk_and_referenced_after() {
    let events = samples::service_churn(3);
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let sizes: Vec<u32> = file.records.iter().map(|r| r.size).collect();
    // The first record carries the template definition and the names; the next ones do not.
    assert!(sizes[0] > sizes[1] + 400, "{sizes:?}");
    // Same shape, same value sizes -> same record size for records 2 and 3 (services differ in length).
    let same = write_evtx(&[events[0].clone(), events[0].clone()], &WriteOptions::default()).unwrap();
    assert!(same.records[0].size > same.records[1].size);
}

#[test]
fn max_records_per_chunk_gives_small_multi_chunk_files() {
    let events = samples::variety();
    let file = write_evtx(&events, &WriteOptions { max_records_per_chunk: Some(2), ..Default::default() }).unwrap();
    assert_eq!(file.chunk_count(), 3);
    assert_eq!(file.records.iter().map(|r| r.chunk).collect::<Vec<_>>(), [0, 0, 1, 1, 2, 2]);
    let (read, errors) = read_with_evtx_crate(&file.bytes);
    assert_eq!(errors, 0);
    assert_eq!(read, expected(&events, &file));
}

#[test]
fn output_is_deterministic() {
    let events = samples::service_churn(400);
    let a = write_evtx(&events, &WriteOptions::default()).unwrap();
    let b = write_evtx(&events, &WriteOptions::default()).unwrap();
    assert!(a.bytes == b.bytes);
}

#[test]
fn no_events_give_a_header_only_file() {
    let file = write_evtx(&[], &WriteOptions::default()).unwrap();
    assert_eq!(file.bytes.len(), FILE_HEADER_SIZE);
    let (read, errors) = read_with_evtx_crate(&file.bytes);
    assert_eq!((read.len(), errors), (0, 0));
}

#[test]
fn oversized_events_are_refused_with_a_typed_error() {
    let mut events = samples::service_churn(2);
    events[1].data = (0..40).map(|i| evtriage_core::DataItem::named(format!("p{i}"), "x".repeat(1000))).collect();
    match write_evtx(&events, &WriteOptions::default()) {
        Err(WriteError::RecordTooLarge { index, size }) => {
            assert_eq!(index, 1);
            assert!(size > CHUNK_SIZE);
        }
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    events[1].data = vec![evtriage_core::DataItem::named("big", "y".repeat(40_000))];
    assert!(matches!(write_evtx(&events, &WriteOptions::default()), Err(WriteError::ValueTooLarge { size: 80_000 })));
    events[1].data = vec![evtriage_core::DataItem::named("n".repeat(70_000), "v")];
    assert!(matches!(write_evtx(&events, &WriteOptions::default()), Err(WriteError::ValueTooLarge { size: 140_000 })));
    events[1].data.clear();
    events[1].time = Some(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    assert!(matches!(write_evtx(&events, &WriteOptions::default()), Err(WriteError::TimeOutOfRange { .. })));
    events[1].time = Some(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    assert!(matches!(write_evtx(&events, &WriteOptions::default()), Err(WriteError::TimeOutOfRange { .. })));
}

#[test]
fn damage_outside_the_file_is_refused() {
    use evtriage_evtx_writer::damage::{apply, Damage};
    let file = write_evtx(&samples::service_churn(3), &WriteOptions::default()).unwrap();
    for d in [
        Damage::ChunkMagic { chunk: 1 },
        Damage::ChunkHeaderCrc { chunk: 5 },
        Damage::ChunkDataCrc { chunk: 1 },
        Damage::RecordMagic { chunk: 0, offset: 513 },
    ] {
        let mut bytes = file.bytes.clone();
        assert!(apply(&mut bytes, d).is_err(), "{d:?}");
        assert!(bytes == file.bytes, "{d:?} left the file unchanged");
    }
    let mut short = file.bytes[..5000].to_vec();
    assert!(apply(&mut short, Damage::ChunkMagic { chunk: 0 }).is_err());
}
