//! `.evtx` ingestion: binary event logs decoded straight into [`crate::Event`]s.
//!
//! Three layers, cheapest first:
//!
//! 1. The `evtx` crate reads the file header and hands out the 64 KiB chunks
//!    in record order (a bad chunk becomes a diagnostic; the next is read).
//! 2. `records` walks a chunk's records by their headers, with the crate's
//!    rules for resynchronising after damage and for carving stale records
//!    out of slack space (`evtx_dump --recover-records`).
//! 3. `binxml` decodes each record itself: a template definition is compiled
//!    once per chunk into a schema ("substitution 3 is `System/EventID`"),
//!    and a record is its values mapped through that schema. Nothing is
//!    rendered as XML or JSON, and the provider and event id are known before
//!    the rest, so [`ReadOptions::event_filter`] rejects an event before it
//!    is built.
//!
//! The crate's own (slower) record pass is used only where it is the better
//! judge: to confirm records carved from slack space (a stale record can
//! point at a template definition that has since been overwritten), and to
//! render as XML, for [`crate::xml_event`], a live record our decoder cannot
//! map. Both happen rarely; the output is the same as decoding every record
//! through the crate, only faster.
//!
//! A chunk is the unit of parallel work: `decode_chunk` turns one chunk into
//! its events and diagnostics, and the [`Reader`](crate::Reader) runs chunks on
//! a thread pool and delivers them in file order.
//!
//! Damage never stops a file: a chunk that cannot be read, or a record that
//! cannot be decoded, is counted in [`InputSummary::skipped`] and reported as
//! a [`Diagnostic`] naming the file, the chunk, the record offset (or id) and
//! the reason. Records recovered from slack space are counted as read and
//! noted once per chunk.

mod binxml;
mod content;
mod records;

use std::borrow::Cow;
use std::io::{Read, Seek};
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use crate::contract::{
    ContentId, EventKey, InputSummary, JsonLines, LineFacts, ReadOptions, Reviewer, Selection, Sink, Verdict,
};
use crate::diag::Diagnostic;
use crate::model::{Event, Locator, Origin, Record};

pub(crate) use binxml::DecodeError;
use binxml::KeyKind;
pub(crate) use content::{ContentCache, ContentPool};

/// The parser settings evtriage reads with: recover what can be recovered
/// (like `evtx_dump --recover-records`), and do not drop chunks whose
/// checksum is wrong (their records are usually fine).
pub(crate) fn parser_settings() -> ParserSettings {
    ParserSettings::new().recover_records(true).validate_checksums(false).num_threads(1)
}

/// One item of a chunk's output, in order.
#[derive(Debug)]
pub(crate) enum Item {
    /// A decoded record.
    Record(Record),
    /// Something skipped or noted.
    Diagnostic(Diagnostic),
    /// A record written as a JSON line: its start and end in [`Output::lines`]
    /// (only until [`Output::settle_lines`]).
    Line(usize, usize),
}

/// What decoding one unit of input (an evtx chunk, or a whole file) produced.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Records and diagnostics in input order.
    pub(crate) items: Vec<Item>,
    /// Records read (delivered or filtered).
    pub(crate) records: u64,
    /// Records or chunks skipped as unreadable.
    pub(crate) skipped: u64,
    /// Events read but rejected by the event filter (or by [`JsonLines::keep`]).
    pub(crate) filtered: u64,
    /// Stale records found in slack space and not delivered (see [`ReadOptions::recovered`]).
    pub(crate) stale: u64,
    /// The records as JSON lines, when read for [`crate::Reader::read_paths_lines`].
    pub(crate) lines: Vec<u8>,
    /// How many lines `lines` holds.
    pub(crate) line_count: u64,
}

impl Output {
    /// An output holding only one skipped-data diagnostic.
    pub(crate) fn one_skipped(d: Diagnostic) -> Output {
        let mut o = Output::default();
        o.skip(d);
        o
    }

    fn skip(&mut self, d: Diagnostic) {
        self.skipped += 1;
        self.items.push(Item::Diagnostic(d));
    }

    /// Delivers the items to `sink` and adds the counts to `summary`.
    pub(crate) fn deliver(self, sink: &mut dyn Sink, summary: &mut InputSummary) {
        summary.records += self.records;
        summary.skipped += self.skipped;
        summary.filtered += self.filtered;
        summary.stale += self.stale;
        for item in self.items {
            match item {
                Item::Record(r) => sink.record(r),
                Item::Diagnostic(d) => sink.diagnostic(d),
                Item::Line(..) => {}
            }
        }
    }

    /// Makes every record of the output a JSON line of [`Output::lines`], in
    /// order, leaving only diagnostics in [`Output::items`]. Lines already
    /// written ([`Item::Line`], in order) stay where they are unless records
    /// come between them.
    pub(crate) fn settle_lines(mut self, format: &JsonLines) -> Output {
        if !self.items.iter().any(|i| matches!(i, Item::Record(_))) {
            let before = self.items.len();
            self.items.retain(|i| !matches!(i, Item::Line(..)));
            self.line_count += (before - self.items.len()) as u64;
            return self;
        }
        let old = std::mem::take(&mut self.lines);
        let mut scratch = String::new();
        let mut items = Vec::new();
        for item in std::mem::take(&mut self.items) {
            match item {
                Item::Line(a, b) => {
                    self.lines.extend_from_slice(old.get(a..b).unwrap_or_default());
                    self.line_count += 1;
                }
                Item::Record(r) => {
                    if let Record::Event(e) = &r {
                        if !format.keeps(&LineFacts::of(e)) {
                            self.filtered += 1;
                            continue;
                        }
                    }
                    crate::jsonl::write_line(&r, format.rendered, &mut self.lines, &mut scratch);
                    self.line_count += 1;
                }
                Item::Diagnostic(d) => items.push(Item::Diagnostic(d)),
            }
        }
        self.items = items;
        self
    }
}

/// An error and its causes, in one line.
fn reason(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    let mut depth = 0;
    while let Some(cause) = src {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    s
}

/// Opens an evtx source and yields its chunks in record order, each with its
/// number in the file; chunks that cannot be read come back as diagnostics.
pub(crate) fn open<T: Read + Seek>(name: &Arc<str>, data: T) -> Result<ChunkIter<T>, Diagnostic> {
    match EvtxParser::from_read_seek(data) {
        Ok(p) => Ok(ChunkIter { inner: p.with_configuration(parser_settings()).into_chunks(), name: name.clone() }),
        Err(e) => Err(Diagnostic::failed(name.clone(), format!("not a readable .evtx file: {}", reason(&e)))),
    }
}

/// The chunks of one evtx file, in record order. See [`open`].
pub(crate) struct ChunkIter<T: Read + Seek> {
    inner: evtx::IntoIterChunks<T>,
    name: Arc<str>,
}

impl<T: Read + Seek> Iterator for ChunkIter<T> {
    type Item = Result<EvtxChunkData, Diagnostic>;
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.inner.next()?;
        Some(r.map_err(|e| {
            let chunk = match &e {
                evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => Some(*chunk_id),
                _ => None,
            };
            let (locator, what) = match chunk {
                Some(chunk) => (Locator::EvtxOffset { chunk, offset: 0 }, "chunk skipped".to_string()),
                None => (Locator::File, "a chunk skipped".to_string()),
            };
            Diagnostic::skipped(self.name.clone(), locator, format!("{what}: {}", reason(&e)))
        }))
    }
}

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
/// the worker's [`content::LineCache`].
pub(crate) fn decode_chunk(
    name: &Arc<str>,
    chunk: EvtxChunkData,
    (options, lines): (&ReadOptions, Option<&JsonLines>),
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Output {
    decode_chunk_part(name, chunk, (options, lines), None, unit, contents)
}

/// [`decode_chunk`] for a chunk of which only the first `present` bytes are real.
fn decode_chunk_part(
    name: &Arc<str>,
    chunk: EvtxChunkData,
    options: (&ReadOptions, Option<&JsonLines>),
    present: Option<usize>,
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Output {
    let number = chunk.number.unwrap_or(0);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_chunk_inner(name, chunk, options, present, unit, contents)
    }))
    .unwrap_or_else(|_| {
        Output::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: 0 },
            "chunk skipped: internal error while decoding it",
        ))
    })
}

fn decode_chunk_inner(
    name: &Arc<str>,
    mut chunk: EvtxChunkData,
    (options, lines): (&ReadOptions, Option<&JsonLines>),
    present: Option<usize>,
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Output {
    contents.trim();
    let mut out = Output::default();
    let number = chunk.number.unwrap_or(0);
    if present.is_none() {
        // Checksum mismatches are noted, not fatal: the records are read anyway.
        for d in crate::evtx_check::check_chunk(name, number, &chunk.data) {
            out.items.push(Item::Diagnostic(d));
        }
    }
    // Slots in record order; `None` for records that end up filtered out.
    let mut slots: Vec<Option<Item>> = Vec::new();
    // Live records our decoder could not map, to retry through the crate's XML.
    let mut retry: Vec<(usize, records::RawRecord, DecodeError)> = Vec::new();
    // Stale records rejected because their template was overwritten: how many, and the first one's offset.
    let mut rejected: Option<(u64, usize)> = None;
    let steps = records::walk(&chunk.data, &chunk.header, true, present);
    let step_count = steps.len().max(1);
    // Records carved from slack space are kept only when the `evtx` crate
    // accepts them too: a stale record can point at a template definition
    // that has since been overwritten, and only a full validation tells.
    // (Rare enough that the crate's slower pass over the chunk is affordable.)
    // One slot per record (and a note): no regrowth, which moved every item again.
    slots.reserve(steps.len() + 1);
    // Lines: the origin's source as JSON (the same for every record), a
    // message buffer, and room for the chunk's lines.
    let mut writer = lines.map(|format| {
        let mut source = Vec::new();
        crate::jsonl::write_str(name, &mut source);
        // A quarter more than the last chunk's bytes per record: growing
        // the buffer copies it (81 times in 256 chunks with no margin).
        let guess = contents.lines.line_size.clamp(256, 4096);
        out.lines.reserve(steps.len() * (guess + guess / 4));
        LineWriter { format, source, scratch: String::new() }
    });
    let carved = steps.iter().any(|s| matches!(s, records::Step::Record(r) if r.recovered));
    let accepted: Option<std::collections::HashSet<u64>> = if carved {
        match chunk.parse(Arc::new(parser_settings())) {
            Ok(mut parsed) => Some(parsed.iter().flatten().filter(|r| r.recovered).map(|r| r.binxml_offset).collect()),
            Err(_) => None,
        }
    } else {
        None
    };
    {
        let data = &chunk.data[..];
        // Compiled templates, with those of the worker's earlier chunks.
        let mut cache = binxml::SchemaCache::with_store(std::mem::take(&mut contents.templates));
        // One reviewer per chunk (see `EventFilter::reviewer`), made when first needed.
        let mut reviewer: Option<Box<dyn Reviewer + '_>> = None;
        let mut spare = Vec::new();
        for step in steps {
            let raw = match step {
                records::Step::Bad { offset, reason } => {
                    out.skipped += 1;
                    slots.push(Some(Item::Diagnostic(Diagnostic::skipped(
                        name.clone(),
                        Locator::EvtxOffset { chunk: number, offset: offset as u64 },
                        format!("record skipped: {reason}"),
                    ))));
                    continue;
                }
                records::Step::Record(raw) => raw,
            };
            if raw.recovered && accepted.as_ref().is_some_and(|a| !a.contains(&(raw.binxml_start as u64))) {
                continue;
            }
            // A stale record whose template definition has since been
            // overwritten would decode with another event's template.
            if raw.recovered && binxml::names_other_template(data, raw.binxml_start) {
                rejected.get_or_insert((0, raw.offset)).0 += 1;
                continue;
            }
            // Without the crate's verdict, carved records get our strict checks.
            let strict = raw.recovered && accepted.is_none();
            let decoded = match binxml::decode_record(
                data,
                raw.binxml_start,
                raw.binxml_end,
                strict,
                &mut cache,
                std::mem::take(&mut spare),
            ) {
                Ok(d) => d,
                // A carved hit that does not decode is noise, not damage.
                Err(_) if raw.recovered => continue,
                Err(e) => {
                    retry.push((slots.len(), raw, e));
                    slots.push(None);
                    continue;
                }
            };
            if raw.recovered && !options.recovered {
                // Counted, not delivered: only if it decodes whole, as it would be delivered.
                let head = decoded.head();
                let origin = Origin::new(name.clone(), Locator::Evtx { chunk: number, record_id: raw.id });
                let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
                if decoded.finish(data, &mut cache, &mut ev).is_ok() {
                    out.stale += 1;
                }
                spare = decoded.recycle();
                continue;
            }
            let head = decoded.head();
            out.records += 1;
            out.stale += u64::from(raw.recovered);
            let key =
                EventKey { provider: head.provider.as_deref(), guid: head.guid.as_ref(), event_id: head.event_id };
            let selection = options.select(&key);
            if selection == Selection::Skip {
                out.filtered += 1;
                spare = decoded.recycle();
                continue;
            }
            // A line of content seen before is written from the cache (see `content`).
            let line_keyed = writer.is_some()
                && selection == Selection::Deliver
                && !raw.recovered
                && decoded.key(KeyKind::Line, data, &mut cache, &mut contents.shapes, &mut contents.key);
            if let (true, Some(w)) = (line_keyed, &writer) {
                if let Some(hit) = contents.lines.get(&contents.key) {
                    let rec = decoded.per_record(binxml::filetime_to_utc(raw.filetime), raw.id);
                    w.write_hit(&hit, &rec, number, &mut out, &mut slots);
                    contents.lines.hits += 1;
                    spare = decoded.recycle();
                    continue;
                }
            }
            let partial = selection == Selection::ReviewPartial;
            // A partial decode of content seen before is not done again (see `content`).
            let keyed = partial
                && !raw.recovered
                && decoded.key(KeyKind::Content, data, &mut cache, &mut contents.shapes, &mut contents.key);
            if keyed {
                if let Some(hit) = contents.hit() {
                    let ev = &mut *hit.event;
                    ev.time = binxml::filetime_to_utc(raw.filetime);
                    ev.record_id = Some(raw.id);
                    decoded.stamp(ev);
                    let locator = Locator::Evtx { chunk: number, record_id: raw.id };
                    if Arc::ptr_eq(&ev.origin.source, name) {
                        ev.origin.locator = locator;
                    } else {
                        ev.origin = Origin::new(name.clone(), locator);
                    }
                    let kept = match options.review(unit, &mut reviewer, ev, true, Some(hit.id)) {
                        Verdict::Drop => {
                            out.filtered += 1;
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
                    spare = decoded.recycle();
                    if let Some(mut ev) = kept {
                        if let Some(id) = ev.record_id {
                            ev.origin.locator = Locator::Evtx { chunk: number, record_id: id };
                        }
                        match &mut writer {
                            Some(w) => w.write(&ev, None, contents, &mut out, &mut slots),
                            None => slots.push(Some(Item::Record(Record::Event(Box::new(ev))))),
                        }
                    }
                    continue;
                }
            }
            let origin = Origin::new(name.clone(), Locator::Evtx { chunk: number, record_id: raw.id });
            let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
            ev.provider.guid = head.guid;
            ev.record_id = Some(raw.id);
            ev.time = binxml::filetime_to_utc(raw.filetime);
            ev.recovered = raw.recovered;
            let done = if partial {
                decoded.finish_partial(data, &mut cache, &mut ev)
            } else {
                decoded.finish(data, &mut cache, &mut ev)
            };
            if let Err(e) = done {
                out.records -= 1;
                out.stale -= u64::from(raw.recovered);
                if !raw.recovered {
                    retry.push((slots.len(), raw, e));
                    slots.push(None);
                }
                spare = decoded.recycle();
                continue;
            }
            if selection != Selection::Deliver {
                let content = keyed.then(ContentId::fresh);
                let verdict = options.review(unit, &mut reviewer, &ev, partial, content);
                // Remember a new content's partial event (moved when not kept, else copied).
                let remember = |contents: &mut ContentCache, ev: Event| {
                    if let Some(id) = content {
                        contents.insert(id, Box::new(ev));
                    }
                };
                match verdict {
                    Verdict::Drop | Verdict::Repeat => {
                        if verdict == Verdict::Drop {
                            out.filtered += 1;
                        }
                        remember(contents, ev);
                        spare = decoded.recycle();
                        continue;
                    }
                    Verdict::Deliver => {
                        if keyed {
                            remember(contents, ev.clone());
                        }
                    }
                    Verdict::Complete => {
                        if keyed {
                            remember(contents, ev.clone());
                        }
                        if partial {
                            decoded.finish_rest(&mut ev);
                        }
                    }
                }
            }
            spare = decoded.recycle();
            // The locator names the EventRecordID the event itself carries
            // (the record header's number can differ from it).
            if let Some(id) = ev.record_id {
                ev.origin.locator = Locator::Evtx { chunk: number, record_id: id };
            }
            match &mut writer {
                Some(w) => {
                    let key = line_keyed.then(|| std::mem::take(&mut contents.key));
                    w.write(&ev, key.as_deref(), contents, &mut out, &mut slots);
                    if let Some(k) = key {
                        contents.key = k;
                    }
                }
                None => slots.push(Some(Item::Record(Record::Event(Box::new(ev))))),
            }
        }
        contents.templates = cache.store;
    }
    if !retry.is_empty() {
        retry_through_xml(name, &mut chunk, number, retry, (options, unit), &mut slots, &mut out);
    }
    // Here every stale record counted was delivered (the others `continue`d above).
    if options.recovered && out.stale > 0 {
        let recovered = out.stale;
        slots.push(Some(Item::Diagnostic(Diagnostic::note(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: 0 },
            format!(
                "{recovered} stale record(s) recovered from the chunk's unused space, marked recovered \
                 (older copies Windows had released, possibly of another log; evtx_dump shows them with \
                 --recover-records)"
            ),
        ))));
    }
    if let (Some((n, offset)), true) = (rejected, options.recovered) {
        slots.push(Some(Item::Diagnostic(Diagnostic::note(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: offset as u64 },
            format!(
                "{n} stale record(s) in the chunk's unused space rejected: the template each names is not the \
                 one now stored where it points (overwritten since), so it would decode as another event"
            ),
        ))));
    }
    // The chunk's checksum notes (pushed first) stay ahead of its records.
    out.items.extend(slots.into_iter().flatten());
    match writer {
        Some(w) => {
            contents.lines.line_size = out.lines.len() / step_count;
            out.settle_lines(w.format)
        }
        None => out,
    }
}

/// Writes a chunk's events as JSON lines (see [`decode_chunk`]).
struct LineWriter<'f> {
    format: &'f JsonLines,
    /// The origin's source, as JSON.
    source: Vec<u8>,
    /// Space for rendered messages.
    scratch: String,
}

impl LineWriter<'_> {
    /// Writes a record whose line is remembered (`hit`), with its own
    /// per-record parts, when [`JsonLines::keep`] keeps it.
    fn write_hit(
        &self,
        hit: &content::LineHit<'_>,
        rec: &binxml::PerRecord,
        chunk: u64,
        out: &mut Output,
        slots: &mut Vec<Option<Item>>,
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
        slots.push(Some(Item::Line(start, out.lines.len())));
    }

    /// Writes `ev` as a line, when [`JsonLines::keep`] keeps it, and
    /// remembers the line under `key` when there is one.
    fn write(
        &mut self,
        ev: &Event,
        key: Option<&[u8]>,
        contents: &mut ContentCache,
        out: &mut Output,
        slots: &mut Vec<Option<Item>>,
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
        slots.push(Some(Item::Line(start, out.lines.len())));
    }
}

/// Records our decoder could not map (an unusual token or layout): let the
/// `evtx` crate render them as XML, and read that with [`crate::xml_event`].
fn retry_through_xml(
    name: &Arc<str>,
    chunk: &mut EvtxChunkData,
    number: u64,
    retry: Vec<(usize, records::RawRecord, DecodeError)>,
    (options, unit): (&ReadOptions, Option<u64>),
    slots: &mut [Option<Item>],
    out: &mut Output,
) {
    // The crate's rendering of each record, by BinXML offset (or its error, by record id).
    let mut xml: std::collections::HashMap<u64, Result<String, String>> = std::collections::HashMap::new();
    let mut reviewer: Option<Box<dyn Reviewer + '_>> = None;
    let mut errors: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
    match chunk.parse(Arc::new(parser_settings())) {
        Ok(mut parsed) => {
            for rec in parsed.iter() {
                match rec {
                    Ok(r) => {
                        let off = r.binxml_offset;
                        xml.insert(off, r.into_xml().map(|x| x.data).map_err(|e| reason(&e)));
                    }
                    Err(e) => {
                        if let evtx::err::EvtxError::FailedToParseRecord { record_id, .. } = &e {
                            errors.insert(*record_id, reason(&e));
                        }
                    }
                }
            }
        }
        Err(e) => {
            let why = reason(&e);
            for (_, raw, _) in &retry {
                errors.insert(raw.id, why.clone());
            }
        }
    }
    for (slot, raw, e) in retry {
        let origin = Origin::new(name.clone(), Locator::Evtx { chunk: number, record_id: raw.id });
        let result = match xml.remove(&(raw.binxml_start as u64)) {
            Some(Ok(text)) => crate::xml_event::event_from_xml(&text, origin).map_err(|x| x.to_string()),
            Some(Err(why)) => Err(why),
            None => Err(errors.remove(&raw.id).unwrap_or_else(|| "the evtx crate cannot read it either".into())),
        };
        let item = match result {
            Ok(mut ev) => {
                out.records += 1;
                let key = EventKey {
                    provider: ev.provider.name.as_deref(),
                    guid: ev.provider.guid.as_ref(),
                    event_id: ev.event_id,
                };
                let selection = options.select(&key);
                match crate::contract::keep_whole(options, unit, selection, &mut reviewer, &ev) {
                    Verdict::Drop => {
                        out.filtered += 1;
                        continue;
                    }
                    Verdict::Repeat => continue,
                    _ => {}
                }
                ev.record_id = ev.record_id.or(Some(raw.id));
                ev.time = ev.time.or_else(|| binxml::filetime_to_utc(raw.filetime));
                if let Some(id) = ev.record_id {
                    ev.origin.locator = Locator::Evtx { chunk: number, record_id: id };
                }
                Item::Record(Record::Event(Box::new(ev)))
            }
            Err(why) => {
                out.skipped += 1;
                Item::Diagnostic(Diagnostic::skipped(
                    name.clone(),
                    Locator::Evtx { chunk: number, record_id: raw.id },
                    format!("record skipped: {why} (our decoder: {e})"),
                ))
            }
        };
        if let Some(s) = slots.get_mut(slot) {
            *s = Some(item);
        }
    }
}

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// What a file holds past its last whole chunk, or that whole chunks are missing.
pub(crate) struct Tail {
    /// Number of whole chunks in the file.
    whole: u64,
    /// Chunk count the file header claims.
    claimed: u64,
    /// The bytes of an incomplete last chunk (empty when the file ends on a chunk boundary).
    partial: Vec<u8>,
}

/// Looks at the end of an evtx source: the `evtx` crate silently ignores an
/// incomplete last chunk (a copy cut short), so we find it ourselves. Leaves
/// the stream at its start.
pub(crate) fn tail_of<T: Read + Seek>(data: &mut T) -> Option<Tail> {
    use std::io::SeekFrom;
    let len = data.seek(SeekFrom::End(0)).ok()?;
    let mut count = [0u8; 2];
    data.seek(SeekFrom::Start(42)).ok()?;
    data.read_exact(&mut count).ok()?;
    let claimed = u64::from(u16::from_le_bytes(count));
    let body = len.saturating_sub(FILE_HEADER_SIZE);
    let (whole, rest) = (body / CHUNK_SIZE, body % CHUNK_SIZE);
    let mut partial = Vec::new();
    if rest > 0 {
        data.seek(SeekFrom::Start(FILE_HEADER_SIZE + whole * CHUNK_SIZE)).ok()?;
        data.take(rest).read_to_end(&mut partial).ok()?;
        if partial.iter().all(|b| *b == 0) {
            partial.clear();
        }
    }
    data.seek(SeekFrom::Start(0)).ok()?;
    (!partial.is_empty() || claimed > whole).then_some(Tail { whole, claimed, partial })
}

/// Reads what can be read of an incomplete last chunk (its records that lie
/// wholly inside the bytes present) and reports the loss.
pub(crate) fn decode_tail(
    name: &Arc<str>,
    tail: Tail,
    options: (&ReadOptions, Option<&JsonLines>),
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Output {
    let number = tail.whole;
    if tail.partial.is_empty() {
        return Output::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::File,
            format!(
                "the file header counts {} chunks but the file holds {}: it was cut short and the rest is lost",
                tail.claimed, tail.whole
            ),
        ));
    }
    let have = tail.partial.len();
    let mut padded = tail.partial;
    padded.resize(CHUNK_SIZE as usize, 0);
    let loss = Diagnostic::skipped(
        name.clone(),
        Locator::EvtxOffset { chunk: number, offset: have as u64 },
        format!("chunk {number} is incomplete: the file ends {have} bytes into it; records wholly inside were read"),
    );
    match EvtxChunkData::new(padded, false) {
        Ok(mut chunk) => {
            chunk.number = Some(number);
            let mut out = decode_chunk_part(name, chunk, options, Some(have), unit, contents);
            out.skip(loss);
            out
        }
        Err(e) => Output::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: 0 },
            format!("chunk {number} is incomplete (the file ends {have} bytes into it) and unreadable: {}", reason(&e)),
        )),
    }
}

/// Reads an `.evtx` file held in memory, delivering its events to `sink`.
pub fn read_evtx(name: Arc<str>, bytes: &[u8], options: &ReadOptions, sink: &mut dyn Sink, summary: &mut InputSummary) {
    if let Some(d) = crate::evtx_check::check_header(&name, bytes) {
        sink.diagnostic(d);
    }
    let mut cursor = std::io::Cursor::new(bytes);
    let tail = tail_of(&mut cursor);
    let chunks = match open(&name, cursor) {
        Ok(c) => c,
        Err(d) => {
            summary.skipped += 1;
            sink.diagnostic(d);
            return;
        }
    };
    // In-memory inputs (zip members) are decoded on the calling thread, chunk after chunk.
    let mut contents = ContentCache::default();
    for chunk in chunks {
        let out = match chunk {
            Ok(c) => decode_chunk(&name, c, (options, None), None, &mut contents),
            Err(d) => Output::one_skipped(d),
        };
        out.deliver(sink, summary);
    }
    if let Some(t) = tail {
        decode_tail(&name, t, (options, None), None, &mut contents).deliver(sink, summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of every chunk of `path`, finished, decoding with
    /// templates compiled per chunk or kept across chunks; and how many
    /// definitions the kept store found compiled.
    fn decode_all(path: &std::path::Path, keep: bool) -> (Vec<Event>, u64) {
        let file = std::fs::File::open(path).unwrap();
        let name: Arc<str> = Arc::from("t.evtx");
        let mut events = Vec::new();
        let mut store = binxml::Templates::default();
        for chunk in open(&name, file).unwrap().flatten() {
            let data = &chunk.data[..];
            let mut cache =
                binxml::SchemaCache::with_store(if keep { std::mem::take(&mut store) } else { Default::default() });
            for step in records::walk(data, &chunk.header, false, None) {
                let records::Step::Record(raw) = step else { continue };
                let Ok(d) =
                    binxml::decode_record(data, raw.binxml_start, raw.binxml_end, false, &mut cache, Vec::new())
                else {
                    continue;
                };
                let head = d.head();
                let origin = Origin::new(name.clone(), Locator::Evtx { chunk: 0, record_id: raw.id });
                let mut ev = Event::new(head.provider.map(Cow::into_owned), head.event_id, origin);
                ev.provider.guid = head.guid;
                if d.finish(data, &mut cache, &mut ev).is_ok() {
                    events.push(ev);
                }
            }
            store = cache.store;
        }
        (events, store.hits)
    }

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
            assert!(out.items.iter().all(|i| matches!(i, Item::Diagnostic(_))));
            lines += out.line_count;
            records += out.records;
        }
        assert_eq!(lines, records);
        // A third of this real System log is content said before (588 of 1 881).
        let hits = contents.lines.hits;
        assert!(hits * 4 > lines, "{hits} of {lines} lines from the cache");
    }

    #[test]
    fn templates_kept_across_chunks_decode_as_compiled_afresh() {
        let Some(path) = evtriage_testutil::corpus("evtx/omerbenamram_system.evtx") else { return };
        let (fresh, _) = decode_all(&path, false);
        let (kept, hits) = decode_all(&path, true);
        assert!(fresh.len() > 1000, "{} events", fresh.len());
        assert_eq!(kept, fresh);
        // The same templates are defined again in chunk after chunk, at other offsets.
        assert!(hits > 100, "{hits} definitions found compiled");
    }
}
