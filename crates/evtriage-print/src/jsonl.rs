//! One record as a JSON line (`dump --format jsonl`): the model's JSON
//! (`docs/model.md`) with a last key `"rendered"`, the event's message.
//!
//! A thin front: the bytes are written by `evtriage_core::jsonl::write_line`,
//! which stays in the core crate because the evtx decoder itself writes JSON
//! lines while it decodes — on its worker threads, into a per-chunk cache of
//! lines whose offsets it cuts and reuses for repeated content
//! (`Reader::read_paths_lines`, what `dump` uses) — and the core crate cannot
//! depend on this one. Both paths end in the same core function, so a
//! record looks the same whichever wrote it.

use evtriage_core::Record;

/// Appends `record` as one JSON line, newline included, to `out`; `scratch`
/// is space for the rendered message (its content on return is unspecified).
pub fn write_line(record: &Record, out: &mut Vec<u8>, scratch: &mut String) {
    evtriage_core::jsonl::write_line(record, true, out, scratch);
}
