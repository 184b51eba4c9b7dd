//! Shared harness: read bytes as one forced format and check the invariants
//! every reader promises.
use std::sync::Arc;

use evtriage_core::{Collect, Format, InputSummary, Reader};

/// Reads `data` as `format`, bypassing detection, and checks that the
/// summary counts every delivered record and that every record serialises
/// to JSON (what `evtriage dump` writes).
#[allow(dead_code)]
pub fn read_as(format: Format, data: &[u8]) {
    let reader = Reader::default();
    let mut sink = Collect::default();
    let name: Arc<str> = Arc::from("fuzz");
    let mut summary = InputSummary::new(name.clone(), format);
    let member = |name: Arc<str>, bytes: &[u8], sink: &mut dyn evtriage_core::Sink| reader.read_bytes(name, bytes, sink);
    if format == Format::Zip {
        evtriage_core::sources::zip::read_zip(&member, name, data, &mut sink, &mut summary, None);
    } else if format == Format::Tar {
        evtriage_core::sources::archives::read_tar(&member, name, data, &mut sink, &mut summary);
    } else if format == Format::Gzip {
        evtriage_core::sources::archives::read_gzip(&member, name, data, &mut sink, &mut summary);
    } else if format == Format::Cab {
        evtriage_core::sources::archives::read_cab(&member, name, data, &mut sink, &mut summary);
    } else {
        evtriage_core::sources::read_format(reader.options(), format, name, data, &mut sink, &mut summary);
    }
    assert_eq!(summary.records, sink.records.len() as u64, "summary counts every delivered record");
    for r in &sink.records {
        assert!(serde_json::to_string(r).is_ok(), "record serialises to JSON");
    }
}
