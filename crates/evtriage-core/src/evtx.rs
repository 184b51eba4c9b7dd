//! `.evtx` ingestion: binary event logs decoded straight into [`crate::Event`]s.

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::read::{InputSummary, ReadOptions, Sink};

/// Reads an `.evtx` file held in memory, delivering its events to `sink`.
pub fn read_evtx(
    name: Arc<str>,
    _bytes: &[u8],
    _options: &ReadOptions,
    sink: &mut dyn Sink,
    _summary: &mut InputSummary,
) {
    sink.diagnostic(Diagnostic::failed(name, "evtx decoding is not written yet"));
}
