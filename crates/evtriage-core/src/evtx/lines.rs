//! JSON lines written while a chunk is decoded ([`crate::Reader::read_paths_lines`],
//! `evtriage dump --format jsonl`).
//!
//! In the journey bytes → chunk → record → [`crate::Event`], the chunk stage
//! hands each delivered event to a [`LineWriter`] instead of keeping it: the
//! line is written into the chunk's [`Batch::lines`] and remembered in the
//! worker's line cache (see [`super::content`]); a record whose line is
//! remembered is written from it without building an event.

use std::sync::Arc;

use super::binxml::PerRecord;
use super::content::{ContentCache, LineHit};
use crate::contract::{JsonLines, LineFacts};
use crate::model::{Event, Locator};
use crate::work::{Batch, Part};

/// Writes a chunk's events as JSON lines (see [`super::decode_chunk`]).
pub(super) struct LineWriter<'f> {
    /// How lines are written, and which are kept.
    pub(super) format: &'f JsonLines,
    /// The origin's source, as JSON.
    source: Vec<u8>,
    /// Space for rendered messages.
    scratch: String,
}

impl<'f> LineWriter<'f> {
    /// A writer for a chunk of `name` holding `records` records, with room
    /// made in `lines` for their lines: a quarter more than `line_size` (the
    /// last chunk's bytes per record) each, as growing the buffer copies it
    /// (81 times in 256 chunks with no margin).
    pub(super) fn for_chunk(
        format: &'f JsonLines,
        name: &Arc<str>,
        records: usize,
        line_size: usize,
        lines: &mut Vec<u8>,
    ) -> Self {
        // The origin's source as JSON (the same for every record), and a message buffer.
        let mut source = Vec::new();
        crate::jsonl::write_str(name, &mut source);
        let guess = line_size.clamp(256, 4096);
        lines.reserve(records * (guess + guess / 4));
        LineWriter { format, source, scratch: String::new() }
    }

    /// Writes a record whose line is remembered (`hit`), with its own
    /// per-record parts, when [`JsonLines::keep`] keeps it.
    pub(super) fn write_hit(
        &self,
        hit: &LineHit<'_>,
        rec: &PerRecord,
        chunk: u64,
        out: &mut Batch,
        slots: &mut Vec<Option<Part>>,
    ) {
        let facts = LineFacts { time: rec.time, level: hit.level(), channel: hit.channel() };
        if !self.format.keeps(&facts) {
            out.filtered += 1;
            return;
        }
        let start = out.lines.len();
        hit.write(
            &mut out.lines,
            |o| crate::jsonl::event_stamp(rec.time.as_ref(), Some(rec.record_id), o),
            |o| crate::jsonl::event_execution(rec.process_id, rec.thread_id, o),
            |o| {
                o.extend_from_slice(&self.source);
                crate::jsonl::event_locator(&Locator::Evtx { chunk, record_id: rec.record_id }, o);
            },
        );
        slots.push(Some(Part::Line(start, out.lines.len())));
    }

    /// Writes `ev` as a line, when [`JsonLines::keep`] keeps it, and
    /// remembers the line under `key` when there is one.
    pub(super) fn write(
        &mut self,
        ev: &Event,
        key: Option<&[u8]>,
        contents: &mut ContentCache,
        out: &mut Batch,
        slots: &mut Vec<Option<Part>>,
    ) {
        if !self.format.keeps(&LineFacts::of(ev)) {
            out.filtered += 1;
            return;
        }
        let start = out.lines.len();
        if ev.trace.is_some() {
            crate::jsonl::write_event_line(ev, self.format.rendered, &mut out.lines, &mut self.scratch);
        } else {
            let cut = crate::jsonl::write_event_line_cut(ev, self.format.rendered, &mut out.lines, &mut self.scratch);
            if let (Some(key), Some(line)) = (key, out.lines.get(start..)) {
                let rel = |(a, b): (usize, usize)| (a - start, b - start);
                let cut = crate::jsonl::LineCut {
                    stamp: rel(cut.stamp),
                    execution: rel(cut.execution),
                    origin: rel(cut.origin),
                };
                contents.lines.insert(key, line, &cut, ev.level, ev.channel.as_deref());
            }
        }
        slots.push(Some(Part::Line(start, out.lines.len())));
    }
}
