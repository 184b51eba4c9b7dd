//! JSON lines of repeated evtx content (`Reader::read_paths_lines`): records
//! that say the same thing at other times, under other record ids, from
//! other processes and threads. The reader writes most of them from the
//! bytes of the first such line; each must still carry its own time, record
//! id, process and thread ids and place, and equal the line its record gives.

use evtriage_core::{JsonLines, Reader, Record, Unit};
use evtriage_evtx_writer::{samples, write_evtx, WriteOptions};

#[test]
fn repeated_content_keeps_each_records_own_time_ids_and_place() {
    // 64 contents (8 services, 2 states, 4 Binary values) over 6 000
    // records, with process and thread ids that change on their own cycles.
    let mut events = samples::service_churn(6000);
    for (i, e) in events.iter_mut().enumerate() {
        e.process_id = Some(600 + (i % 7) as u32);
        e.thread_id = if i % 5 == 0 { None } else { Some(4000 + (i % 13) as u32) };
    }
    let file =
        write_evtx(&events, &WriteOptions { max_records_per_chunk: Some(300), ..WriteOptions::default() }).unwrap();
    assert!(file.chunk_count() >= 20);
    let dir = std::env::temp_dir().join(format!("evtriage-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("churn.evtx");
    std::fs::write(&path, &file.bytes).unwrap();

    for threads in [1, 2] {
        let reader = Reader::new(evtriage_core::ReadOptions::new().threads(threads));
        // The reference: the records, each written with `write_line`.
        let mut want = Vec::new();
        let mut scratch = String::new();
        reader.read_paths_map(&[&path], &|unit: Unit| unit, |unit: Unit| {
            for r in unit.records() {
                evtriage_core::jsonl::write_line(r, true, &mut want, &mut scratch);
            }
        });
        let mut got = Vec::new();
        let format = JsonLines { rendered: true, keep: None };
        reader.read_paths_lines(&[&path], format, &|mut unit: Unit| unit.take_lines(), |b| got.extend(b));
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want), "{threads} threads");

        let text = String::from_utf8(got).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), events.len());
        for (i, (line, event)) in lines.iter().zip(&events).enumerate() {
            let record: Record = serde_json::from_value(line.clone()).unwrap();
            let e = record.as_event().unwrap();
            assert_eq!(e.time, event.time, "line {i}");
            assert_eq!(e.record_id, Some(file.records[i].record_id), "line {i}");
            assert_eq!(e.process_id, event.process_id, "line {i}");
            assert_eq!(e.thread_id, event.thread_id, "line {i}");
            assert_eq!(e.data, event.data, "line {i}");
            let locator = &line["origin"]["locator"];
            assert_eq!(locator["chunk"], file.records[i].chunk, "line {i}");
            assert_eq!(locator["record_id"], file.records[i].record_id, "line {i}");
            assert!(line["rendered"].as_str().unwrap().starts_with("The "), "line {i}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
