//! The fast JSON writer (`evtriage_core::jsonl`, used by `evtriage dump`)
//! must write exactly what `serde_json` writes for the model, for every
//! record of the real corpus: evtx, ETW traces, netstat, debug logs.

use evtriage_core::{Collect, ReadOptions, Reader, Record};
use evtriage_testutil::corpus;

#[test]
fn fast_json_equals_serde_json_for_every_corpus_record() {
    let mut total = 0usize;
    let mut events = 0usize;
    let mut escaped = 0usize;
    for dir in ["evtx", "etw", "etl", "netstat"] {
        let Some(path) = corpus(dir) else { return };
        let mut sink = Collect::default();
        Reader::new(ReadOptions::new().threads(2).recovered(true)).read_path(&path, &mut sink);
        assert!(!sink.records.is_empty(), "nothing read from {}", path.display());
        let mut fast = Vec::new();
        for r in &sink.records {
            fast.clear();
            evtriage_core::jsonl::write_record(r, &mut fast);
            let slow = serde_json::to_vec(r).unwrap_or_default();
            if fast != slow {
                panic!(
                    "fast JSON differs from serde_json for {} {}:\n fast: {}\nserde: {}",
                    r.origin().source,
                    r.origin().locator,
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow)
                );
            }
            total += 1;
            events += usize::from(matches!(r, Record::Event(_)));
            escaped += usize::from(slow.windows(2).any(|w| w[0] == b'\\'));
        }
    }
    eprintln!("{total} records ({events} events, {escaped} with escapes) compared");
    // The corpus holds over 50 000 records, most of them evtx events,
    // and thousands with something to escape (paths, line breaks).
    assert!(total > 50_000, "only {total} records compared");
    assert!(events > 50_000, "only {events} events compared");
    assert!(escaped > 5_000, "only {escaped} records with escapes compared");
}
