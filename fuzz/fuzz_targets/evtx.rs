//! Fuzzes `.evtx` ingestion through the reader: inputs are forced to start
//! with the `ElfFile\0` magic so that every run reaches the evtx decoder.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes;
    let input = if data.starts_with(b"ElfFile\0") {
        data
    } else {
        bytes = b"ElfFile\0".to_vec();
        bytes.extend_from_slice(data);
        &bytes
    };
    let reader = evtriage_core::Reader::default();
    let mut sink = evtriage_core::Collect::default();
    let summary = reader.read_bytes(Arc::from("fuzz.evtx"), input, &mut sink);
    assert_eq!(summary.format, evtriage_core::Format::Evtx);
    for d in evtriage_core::evtx_check::check(&Arc::from("fuzz.evtx"), input) {
        assert!(!d.message.is_empty());
    }
    // The analyze path: the rules' filter decodes events partly, reviews them
    // per chunk and completes what a rule matches.
    static RULES: std::sync::OnceLock<Option<evtriage_rules::RuleSet>> = std::sync::OnceLock::new();
    if let Some(rules) = RULES.get_or_init(|| evtriage_rules::RuleSet::builtin().ok()) {
        let mut engine = evtriage_rules::Engine::new(rules.clone());
        let options = evtriage_core::ReadOptions::new().threads(1).event_filter(engine.event_filter()).recovered(true);
        let filtered = evtriage_core::Reader::new(options).read_bytes(Arc::from("fuzz.evtx"), input, &mut engine);
        assert_eq!(filtered.format, evtriage_core::Format::Evtx);
        let _ = engine.finish();
    }
    // The dump path: JSON lines written while decoding (repeated content from
    // the line cache) must be the records written one by one.
    let path = std::env::temp_dir().join(format!("evtriage-fuzz-lines-{}.evtx", std::process::id()));
    if std::fs::write(&path, input).is_ok() {
        let reader = evtriage_core::Reader::new(evtriage_core::ReadOptions::new().threads(1).recovered(true));
        let mut want = Vec::new();
        let mut scratch = String::new();
        reader.read_paths_map(&[&path], &|unit: evtriage_core::Unit| unit, |unit: evtriage_core::Unit| {
            for r in unit.records() {
                evtriage_core::jsonl::write_line(r, true, &mut want, &mut scratch);
            }
        });
        let mut got = Vec::new();
        let format = evtriage_core::JsonLines { rendered: true, keep: None };
        reader.read_paths_lines(&[&path], format, &|mut unit: evtriage_core::Unit| unit.take_lines(), |b| {
            got.extend(b)
        });
        assert!(got == want, "lines differ from the records written one by one");
    }
});
