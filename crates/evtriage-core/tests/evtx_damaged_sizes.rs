//! A substitution whose declared size does not fit its type (issue 22): one
//! zeroed size byte used to give a record dated 1601 with record id 0, or a
//! garbled provider, with no diagnostic. Now the record is read by its value
//! types (as the `evtx` crate and `evtx_dump` read it) and reported.

use std::path::PathBuf;

use evtriage_core::{Collect, Event, Locator, Reader, Severity};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evtx").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// What must not change: each record's id, time, event id, provider and data.
fn summary(sink: &Collect) -> Vec<String> {
    sink.events()
        .map(|e: &Event| {
            let data: Vec<&str> = e.data.iter().map(|d| d.value.as_str()).collect();
            format!("{:?} {:?} {} {:?} {:?} {:?}", e.record_id, e.time, e.event_id, e.provider.name, e.computer, data)
        })
        .collect()
}

#[test]
fn a_zeroed_size_of_a_fixed_size_value_is_reported_and_read_by_its_type() {
    let intact = fixture("example-dc-boot.evtx");
    let mut sink = Collect::default();
    Reader::default().read_bytes("intact.evtx".into(), &intact, &mut sink);
    let want = summary(&sink);
    assert!(want.len() > 5);

    // Substitution descriptors are (size u16, type u8, 0): FILETIME (0x11),
    // UInt16 (0x06), UInt32 (0x08), UInt64 (0x0a), GUID (0x0f) with their size.
    let patterns: [(&[u8], &str); 5] = [
        (b"\x08\x00\x11\x00", "FILETIME"),
        (b"\x02\x00\x06\x00", "UInt16"),
        (b"\x04\x00\x08\x00", "UInt32"),
        (b"\x08\x00\x0a\x00", "UInt64"),
        (b"\x10\x00\x0f\x00", "GUID"),
    ];
    let mut checked = Vec::new();
    for (pattern, what) in patterns {
        // Chunk data starts after the 4 KiB file header and the 512-byte chunk header.
        let mut from = 0x1200;
        while let Some(i) = intact.get(from..).and_then(|h| h.windows(4).position(|w| w == pattern)) {
            let at = from + i;
            from = at + 1;
            let mut damaged = intact.clone();
            damaged[at] = 0;
            let mut sink = Collect::default();
            Reader::default().read_bytes("damaged.evtx".into(), &damaged, &mut sink);
            let noted = sink.diagnostics.iter().find(|d| d.message.starts_with("damaged record: a substitution value"));
            // A match that is not a descriptor (a value's bytes) changes what it changes.
            let Some(note) = noted else { continue };
            assert_eq!(note.severity, Severity::Note);
            assert!(matches!(note.locator, Locator::Evtx { .. }), "{note:?}");
            assert_eq!(summary(&sink), want, "{what} size zeroed at {at:#x}");
            checked.push(what);
            break;
        }
    }
    // Each kind that the log's templates use was damaged and read right.
    assert!(checked.contains(&"FILETIME"), "{checked:?}");
    assert!(checked.len() >= 3, "{checked:?}");
}
