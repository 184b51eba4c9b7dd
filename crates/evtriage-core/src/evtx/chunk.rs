//! One chunk decoded: its records walked, decoded, filtered and delivered
//! as events or JSON lines, in record order, with the chunk's diagnostics.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], this is the
//! chunk stage: [`decode_chunk`] checks the chunk's checksums, walks its
//! records ([`super::records`]), decodes each ([`super::binxml`]), asks the
//! event filter about it as soon as its provider and event id are known,
//! answers repeated content from the worker's caches ([`super::content`]),
//! and writes what is kept as a record or a JSON line ([`super::lines`]).
//! Records our decoder cannot map are retried through the `evtx` crate
//! ([`super::crate_pass`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use evtx::EvtxChunkData;

use super::binxml::{self, DecodeError, DecodedRecord, KeyKind, RawValue, SchemaCache};
use super::check::check_chunk;
use super::content::ContentCache;
use super::crate_pass::{carved_records_accepted, retry_through_xml};
use super::lines::LineWriter;
use super::records::{self, RawRecord, Step};
use crate::contract::{ContentId, EventKey, JsonLines, ReadOptions, Reviewer, Selection, Verdict};
use crate::diag::Diagnostic;
use crate::model::{Event, Locator, Origin, Record};
use crate::work::{Batch, Part};

/// Decodes one chunk into events (in record order) and diagnostics.
///
/// Never panics: our decoder is written not to, and a panic from deeper down
/// (the `evtx` crate's validation pass) costs the chunk, reported as skipped,
/// not the run.
///
/// `unit` is the chunk's place in delivery order, when it has one (see
/// [`crate::EventFilter::reviewer_at`]).
///
/// `contents` remembers repeated records across chunks (see [`ContentCache`]).
///
/// With `lines`, every record comes out as a JSON line (see
/// [`crate::Reader::read_paths_lines`]); repeated content is written from
/// the worker's [`super::content::LineCache`].
pub(crate) fn decode_chunk(
    name: &Arc<str>,
    chunk: EvtxChunkData,
    (options, lines): (&ReadOptions, Option<&JsonLines>),
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Batch {
    decode_chunk_part(name, chunk, (options, lines), None, unit, contents)
}

/// [`decode_chunk`] for a chunk of which only the first `present` bytes are real.
pub(super) fn decode_chunk_part(
    name: &Arc<str>,
    chunk: EvtxChunkData,
    options: (&ReadOptions, Option<&JsonLines>),
    present: Option<usize>,
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Batch {
    let number = chunk.number.unwrap_or(0);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_chunk_inner(name, chunk, options, present, unit, contents)
    }))
    .unwrap_or_else(|_| {
        Batch::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: 0 },
            "chunk skipped: internal error while decoding it",
        ))
    })
}

/// [`decode_chunk_part`] proper, in named steps: checksum notes, the walk,
/// the crate's verdict on carved records, each record in turn, the retries
/// through XML, the notes on stale records, and the output.
fn decode_chunk_inner(
    name: &Arc<str>,
    mut chunk: EvtxChunkData,
    (options, lines): (&ReadOptions, Option<&JsonLines>),
    present: Option<usize>,
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Batch {
    contents.trim();
    let mut out = Batch::default();
    let number = chunk.number.unwrap_or(0);
    if present.is_none() {
        // Checksum mismatches are noted, not fatal: the records are read anyway.
        for d in check_chunk(name, number, &chunk.data) {
            out.items.push(Part::Diagnostic(d));
        }
    }
    let steps = records::walk(&chunk.data, &chunk.header, true, present);
    let step_count = steps.len().max(1);
    let writer =
        lines.map(|format| LineWriter::for_chunk(format, name, steps.len(), contents.lines.line_size, &mut out.lines));
    let accepted = carved_records_accepted(&mut chunk, &steps);
    let mut decoder = ChunkDecoder {
        name,
        number,
        options,
        unit,
        data: &chunk.data,
        // Compiled templates, with those of the worker's earlier chunks.
        cache: SchemaCache::with_store(std::mem::take(&mut contents.templates)),
        contents,
        reviewer: None,
        spare: Vec::new(),
        writer,
        accepted,
        out,
        // One slot per record (and a note): no regrowth, which moved every item again.
        slots: Vec::with_capacity(steps.len() + 1),
        retry: Vec::new(),
        rejected: None,
    };
    for step in steps {
        decoder.step(step);
    }
    let mut records = decoder.finish();
    if !records.retry.is_empty() {
        let retry = std::mem::take(&mut records.retry);
        retry_through_xml(name, &mut chunk, number, retry, (options, unit), &mut records.slots, &mut records.out);
    }
    records.note_stale(name, number, options);
    records.into_output(contents, step_count)
}

/// The state of one chunk's records being decoded, from record to record:
/// `'a` is the caller's name, options and line format, `'c` the worker's
/// caches, `'d` the chunk's bytes.
struct ChunkDecoder<'a, 'c, 'd> {
    name: &'a Arc<str>,
    /// The chunk's number in the file.
    number: u64,
    options: &'a ReadOptions,
    /// The chunk's place in delivery order (see [`decode_chunk`]).
    unit: Option<u64>,
    /// The chunk's bytes.
    data: &'d [u8],
    /// Compiled templates of this chunk, backed by the worker's store.
    cache: SchemaCache,
    /// The worker's caches of repeated content.
    contents: &'c mut ContentCache,
    /// One reviewer per chunk (see `EventFilter::reviewer`), made when first needed.
    reviewer: Option<Box<dyn Reviewer + 'a>>,
    /// The last record's values vector, emptied, for the next record.
    spare: Vec<RawValue<'d>>,
    /// Writes the records as JSON lines, when the chunk is read as lines.
    writer: Option<LineWriter<'a>>,
    /// The BinXML offsets of the carved records the `evtx` crate accepts,
    /// when it gave a verdict (see [`carved_records_accepted`]).
    accepted: Option<HashSet<u64>>,
    out: Batch,
    /// Slots in record order; `None` for records that end up filtered out.
    slots: Vec<Option<Part>>,
    /// Live records our decoder could not map, to retry through the crate's XML.
    retry: Vec<(usize, RawRecord, DecodeError)>,
    /// Stale records rejected because their template was overwritten: how
    /// many, and the first one's offset.
    rejected: Option<(u64, usize)>,
}

impl<'a, 'd> ChunkDecoder<'a, '_, 'd> {
    /// Takes the walk's next step: a record, or one that could not be read.
    fn step(&mut self, step: Step) {
        match step {
            Step::Bad { offset, reason } => self.skip_unreadable(offset, &reason),
            Step::Record(raw) => self.record(raw),
        }
    }

    /// Reports a live record that could not be read.
    fn skip_unreadable(&mut self, offset: usize, reason: &str) {
        self.out.skipped += 1;
        self.slots.push(Some(Part::Diagnostic(Diagnostic::skipped(
            self.name.clone(),
            Locator::EvtxOffset { chunk: self.number, offset: offset as u64 },
            format!("record skipped: {reason}"),
        ))));
    }

    /// Decodes one record and delivers it (or counts it, or leaves it for a
    /// retry through XML).
    fn record(&mut self, raw: RawRecord) {
        if raw.recovered && !self.carved_record_holds(&raw) {
            return;
        }
        // Without the crate's verdict, carved records get our strict checks.
        let strict = raw.recovered && self.accepted.is_none();
        let decoded = match binxml::decode_record(
            self.data,
            raw.binxml_start,
            raw.binxml_end,
            strict,
            &mut self.cache,
            std::mem::take(&mut self.spare),
        ) {
            Ok(d) => d,
            // A carved hit that does not decode is noise, not damage.
            Err(_) if raw.recovered => return,
            Err(e) => {
                self.retry_later(raw, e);
                return;
            }
        };
        self.deliver(raw, &decoded);
        self.spare = decoded.recycle();
    }

    /// Whether a record carved from slack space is worth decoding: the
    /// `evtx` crate accepts it (when it gave a verdict), and it names the
    /// template stored where it points (else it is counted as rejected).
    fn carved_record_holds(&mut self, raw: &RawRecord) -> bool {
        if self.accepted.as_ref().is_some_and(|a| !a.contains(&(raw.binxml_start as u64))) {
            return false;
        }
        // A stale record whose template definition has since been
        // overwritten would decode with another event's template.
        if binxml::names_other_template(self.data, raw.binxml_start) {
            self.rejected.get_or_insert((0, raw.offset)).0 += 1;
            return false;
        }
        true
    }

    /// Leaves a live record our decoder could not map for the crate's XML,
    /// keeping its slot.
    fn retry_later(&mut self, raw: RawRecord, e: DecodeError) {
        self.retry.push((self.slots.len(), raw, e));
        self.slots.push(None);
    }

    /// Counts, filters and delivers a decoded record: from the line cache or
    /// the content cache when its content was seen before, else decoded
    /// (partly, when the filter reviews partial events) and reviewed.
    fn deliver(&mut self, raw: RawRecord, decoded: &DecodedRecord<'d>) {
        if raw.recovered && !self.options.recovered {
            self.count_stale(&raw, decoded);
            return;
        }
        let head = decoded.head();
        self.out.records += 1;
        self.out.stale += u64::from(raw.recovered);
        let key = EventKey { provider: head.provider.as_deref(), guid: head.guid.as_ref(), event_id: head.event_id };
        let selection = self.options.select(&key);
        if selection == Selection::Skip {
            self.out.filtered += 1;
            return;
        }
        // A line of content seen before is written from the cache (see `content`).
        let line_keyed = self.writer.is_some()
            && selection == Selection::Deliver
            && !raw.recovered
            && decoded.key(
                KeyKind::Line,
                self.data,
                &mut self.cache,
                &mut self.contents.shapes,
                &mut self.contents.key,
            );
        if line_keyed && self.write_remembered_line(&raw, decoded) {
            return;
        }
        let partial = selection == Selection::ReviewPartial;
        // A partial decode of content seen before is not done again (see `content`).
        let keyed = partial
            && !raw.recovered
            && decoded.key(
                KeyKind::Content,
                self.data,
                &mut self.cache,
                &mut self.contents.shapes,
                &mut self.contents.key,
            );
        if keyed && self.deliver_remembered_content(&raw, decoded) {
            return;
        }
        let origin = Origin::new(self.name.clone(), Locator::Evtx { chunk: self.number, record_id: raw.id });
        let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
        ev.provider.guid = head.guid;
        ev.record_id = Some(raw.id);
        ev.time = binxml::filetime_to_utc(raw.filetime);
        ev.recovered = raw.recovered;
        let done = if partial {
            decoded.finish_partial(self.data, &mut self.cache, &mut ev)
        } else {
            decoded.finish(self.data, &mut self.cache, &mut ev)
        };
        if let Err(e) = done {
            self.out.records -= 1;
            self.out.stale -= u64::from(raw.recovered);
            if !raw.recovered {
                self.retry_later(raw, e);
            }
            return;
        }
        if selection != Selection::Deliver {
            match self.review(ev, decoded, partial, keyed) {
                Some(kept) => ev = kept,
                None => return,
            }
        }
        self.emit(ev, line_keyed);
    }

    /// Counts a stale record that is not delivered ([`ReadOptions::recovered`]
    /// off): only if it decodes whole, as it would be delivered.
    fn count_stale(&mut self, raw: &RawRecord, decoded: &DecodedRecord<'d>) {
        let head = decoded.head();
        let origin = Origin::new(self.name.clone(), Locator::Evtx { chunk: self.number, record_id: raw.id });
        let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
        if decoded.finish(self.data, &mut self.cache, &mut ev).is_ok() {
            self.out.stale += 1;
        }
    }

    /// Writes the record from the line remembered under its line key (in
    /// `contents.key`), if there is one: `false` when there is none.
    fn write_remembered_line(&mut self, raw: &RawRecord, decoded: &DecodedRecord<'d>) -> bool {
        let Some(w) = &self.writer else { return false };
        let Some(hit) = self.contents.lines.get(&self.contents.key) else { return false };
        let rec = decoded.per_record(binxml::filetime_to_utc(raw.filetime), raw.id);
        w.write_hit(&hit, &rec, self.number, &mut self.out, &mut self.slots);
        self.contents.lines.hits += 1;
        true
    }

    /// Delivers the record as the partial event remembered under its content
    /// key (in `contents.key`), with its own time, record id and origin, if
    /// there is one: `false` when there is none.
    fn deliver_remembered_content(&mut self, raw: &RawRecord, decoded: &DecodedRecord<'d>) -> bool {
        let Some(hit) = self.contents.hit() else { return false };
        let ev = &mut *hit.event;
        ev.time = binxml::filetime_to_utc(raw.filetime);
        ev.record_id = Some(raw.id);
        decoded.stamp(ev);
        let locator = Locator::Evtx { chunk: self.number, record_id: raw.id };
        if Arc::ptr_eq(&ev.origin.source, self.name) {
            ev.origin.locator = locator;
        } else {
            ev.origin = Origin::new(self.name.clone(), locator);
        }
        let kept = match self.options.review(self.unit, &mut self.reviewer, ev, true, Some(hit.id)) {
            Verdict::Drop => {
                self.out.filtered += 1;
                None
            }
            Verdict::Repeat => None,
            Verdict::Deliver => Some(ev.clone()),
            Verdict::Complete => {
                let mut whole = ev.clone();
                decoded.finish_rest(&mut whole);
                Some(whole)
            }
        };
        if let Some(ev) = kept {
            self.emit(ev, false);
        }
        true
    }

    /// Asks the reviewer about a decoded event, remembering a new content's
    /// partial event (`keyed`) under its key: the event to deliver
    /// (completed when asked and `partial`), or `None` when it is not.
    fn review(&mut self, mut ev: Event, decoded: &DecodedRecord<'d>, partial: bool, keyed: bool) -> Option<Event> {
        let content = keyed.then(ContentId::fresh);
        let verdict = self.options.review(self.unit, &mut self.reviewer, &ev, partial, content);
        // Remember a new content's partial event (moved when not kept, else copied).
        let remember = |contents: &mut ContentCache, ev: Event| {
            if let Some(id) = content {
                contents.insert(id, Box::new(ev));
            }
        };
        match verdict {
            Verdict::Drop | Verdict::Repeat => {
                if verdict == Verdict::Drop {
                    self.out.filtered += 1;
                }
                remember(self.contents, ev);
                return None;
            }
            Verdict::Deliver => {
                if keyed {
                    remember(self.contents, ev.clone());
                }
            }
            Verdict::Complete => {
                if keyed {
                    remember(self.contents, ev.clone());
                }
                if partial {
                    decoded.finish_rest(&mut ev);
                }
            }
        }
        Some(ev)
    }

    /// Delivers an event as a record, or writes it as a JSON line (and
    /// remembers the line under the record's line key, when `line_keyed`).
    fn emit(&mut self, mut ev: Event, line_keyed: bool) {
        // The locator names the EventRecordID the event itself carries
        // (the record header's number can differ from it).
        if let Some(id) = ev.record_id {
            ev.origin.locator = Locator::Evtx { chunk: self.number, record_id: id };
        }
        match &mut self.writer {
            Some(w) => {
                let key = line_keyed.then(|| std::mem::take(&mut self.contents.key));
                w.write(&ev, key.as_deref(), self.contents, &mut self.out, &mut self.slots);
                if let Some(k) = key {
                    self.contents.key = k;
                }
            }
            None => self.slots.push(Some(Part::Record(Record::Event(Box::new(ev))))),
        }
    }

    /// Ends the record pass: the worker keeps the compiled templates.
    fn finish(self) -> ChunkRecords<'a> {
        self.contents.templates = self.cache.store;
        ChunkRecords {
            out: self.out,
            slots: self.slots,
            retry: self.retry,
            rejected: self.rejected,
            writer: self.writer,
        }
    }
}

/// A chunk's records after the record pass, before the retries through XML
/// and the chunk's notes.
struct ChunkRecords<'f> {
    out: Batch,
    /// Slots in record order; `None` for records filtered out.
    slots: Vec<Option<Part>>,
    /// Live records our decoder could not map.
    retry: Vec<(usize, RawRecord, DecodeError)>,
    /// Stale records rejected: how many, and the first one's offset.
    rejected: Option<(u64, usize)>,
    writer: Option<LineWriter<'f>>,
}

impl ChunkRecords<'_> {
    /// Notes, with [`ReadOptions::recovered`], the stale records recovered
    /// from the chunk's unused space and those rejected there.
    fn note_stale(&mut self, name: &Arc<str>, number: u64, options: &ReadOptions) {
        // Here every stale record counted was delivered (the others were not counted).
        if options.recovered && self.out.stale > 0 {
            let recovered = self.out.stale;
            self.slots.push(Some(Part::Diagnostic(Diagnostic::note(
                name.clone(),
                Locator::EvtxOffset { chunk: number, offset: 0 },
                format!(
                    "{recovered} stale record(s) recovered from the chunk's unused space, marked recovered \
                     (older copies Windows had released, possibly of another log; evtx_dump shows them with \
                     --recover-records)"
                ),
            ))));
        }
        if let (Some((n, offset)), true) = (self.rejected, options.recovered) {
            self.slots.push(Some(Part::Diagnostic(Diagnostic::note(
                name.clone(),
                Locator::EvtxOffset { chunk: number, offset: offset as u64 },
                format!(
                    "{n} stale record(s) in the chunk's unused space rejected: the template each names is not the \
                     one now stored where it points (overwritten since), so it would decode as another event"
                ),
            ))));
        }
    }

    /// The chunk's output: its records in order after its checksum notes,
    /// as JSON lines when read as lines (the worker then learns the chunk's
    /// bytes per record from `step_count` steps).
    fn into_output(self, contents: &mut ContentCache, step_count: usize) -> Batch {
        let mut out = self.out;
        // The chunk's checksum notes (pushed first) stay ahead of its records.
        out.items.extend(self.slots.into_iter().flatten());
        match self.writer {
            Some(w) => {
                contents.lines.line_size = out.lines.len() / step_count;
                out.settle_lines(w.format)
            }
            None => out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx::open;

    #[test]
    fn repeated_lines_are_written_from_the_cache() {
        let Some(path) = evtriage_testutil::corpus("evtx/omerbenamram_system.evtx") else { return };
        let name: Arc<str> = Arc::from("t.evtx");
        let format = JsonLines { rendered: true, keep: None };
        let options = ReadOptions::default();
        let mut contents = ContentCache::default();
        let (mut lines, mut records) = (0, 0);
        for chunk in open(&name, std::fs::File::open(&path).unwrap()).unwrap().flatten() {
            let out = decode_chunk(&name, chunk, (&options, Some(&format)), None, &mut contents);
            assert!(out.items.iter().all(|i| matches!(i, Part::Diagnostic(_))));
            lines += out.line_count;
            records += out.records;
        }
        assert_eq!(lines, records);
        // A third of this real System log is content said before (588 of 1 881).
        let hits = contents.lines.hits;
        assert!(hits * 4 > lines, "{hits} of {lines} lines from the cache");
    }
}
