//! Rendered twins: a binary log and a rendered export of the same records.
//!
//! A case often holds `System.evtx` and, beside it, the same log as the
//! customer's machine rendered it: Event Viewer's "Save as XML" or
//! `wevtutil qe System /f:RenderedXml` (each record with its
//! `RenderingInfo`), or a text export (Event Viewer's CSV, `wevtutil qe
//! /f:text`, `Get-WinEvent` output). The export has what the binary log
//! lacks offline — the message and the level, task, opcode and keyword names
//! as the server's message files gave them — and the binary log has what the
//! export lacks (every data item, exact times, binary data).
//!
//! When both are in one folder, [`TwinSet::prepare`] reads each such export
//! first, indexes its records, and pairs them with the records of the binary
//! logs beside it (a pass over those logs, made only when such an export
//! exists, so that pairing does not depend on threads, filters or which
//! records a reader delivers). While the logs are then read, each binary
//! record that has a twin gets the twin's message ([`MessageSource::Twin`])
//! and names. The export's paired records are not delivered again (so
//! findings and the timeline do not count them twice); the others are
//! delivered after every binary log, as the export's own records, with a
//! note saying how many were paired.
//!
//! A twin is the record with the same record id (and event id; and provider,
//! computer and channel where both sides have them; and the same time to the
//! second when the export's times are UTC, as in XML). Exports without record
//! ids (Event Viewer's CSV) pair on provider, event id and time to the second,
//! preferring among records of the same second the one whose message
//! contains the binary record's data values. Their times are local times of
//! the exporting machine (read in `--source-tz`); when that zone is not the
//! right one, the offset that makes the export's records line up with the
//! binary log's (a multiple of 15 minutes, at most 14 hours) is found from the
//! first chunks of the log and used, and the input says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::contract::{keep_whole, Collect, Format};
use crate::contract::{EventKey, Verdict};
use crate::diag::Diagnostic;
use crate::model::{DisplayNames, Event, Locator, MessageSource, Record};

/// What pairing needs of a reader (the `Reader` is one; this keeps the
/// twins free of the reading facade that uses them).
pub(crate) trait TwinReader {
    /// The options in use.
    fn options(&self) -> &crate::contract::ReadOptions;
    /// Reads `bytes` whole, on this thread, without event filter: every
    /// record, in order, so that an export is found again as it was indexed.
    fn read_unfiltered(
        &self,
        name: Arc<str>,
        bytes: &[u8],
        sink: &mut dyn crate::contract::Sink,
    ) -> crate::contract::InputSummary;
    /// The format of an input from its first bytes (`crate::format::detect`).
    fn detect(&self, head: &[u8]) -> Format;
}

/// Exports larger than this are read as inputs of their own, not paired:
/// pairing holds every record's message in memory.
pub(crate) const MAX_TWIN_BYTES: u64 = 256 * 1024 * 1024;

/// How many chunks of a binary log are decoded to find an export's time offset.
const SAMPLE_CHUNKS: usize = 4;

/// A binary record's id, the export (its place among the exports) and the
/// entry that is its twin.
type Pair = (u64, usize, u32);

/// How an export's local times were corrected to line up with a binary log.
#[derive(Debug, Clone, Default)]
enum Adjust {
    /// Not corrected.
    #[default]
    None,
    /// Moved by a fixed number of seconds.
    Shift(i64),
    /// Read again as local times of this zone (they had been read with a
    /// fixed offset of this many seconds east of UTC).
    Zone(crate::zone::SourceTz, i64),
}

impl Adjust {
    /// `time`, corrected.
    fn apply(&self, time: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let t = time?;
        match self {
            Adjust::None => Some(t),
            Adjust::Shift(secs) => t.checked_add_signed(Duration::seconds(*secs)),
            Adjust::Zone(zone, read_with) => {
                let local = t.naive_utc().checked_add_signed(Duration::seconds(*read_with))?;
                zone.to_utc(local).map(|(t, _)| t)
            }
        }
    }
}

/// One record of a rendered export, as pairing needs it.
#[derive(Debug)]
struct Entry {
    record_id: Option<u64>,
    event_id: u32,
    provider: Option<String>,
    computer: Option<String>,
    channel: Option<String>,
    /// The export's time, corrected as [`Export::adjust`] says.
    time: Option<DateTime<Utc>>,
    message: Option<String>,
    display: Option<Box<DisplayNames>>,
}

/// A rendered export indexed for pairing.
#[derive(Debug)]
pub(crate) struct Export {
    /// The export's path and its name in output.
    pub(crate) path: PathBuf,
    /// Its bytes, kept when it cannot be read again (an archive member).
    data: Option<Arc<[u8]>>,
    pub(crate) name: Arc<str>,
    /// The folder it pairs in.
    dir: PathBuf,
    /// The export's format.
    pub(crate) format: Format,
    entries: Vec<Entry>,
    /// Which entries were paired with a binary record.
    used: Vec<bool>,
    /// Entries by record id.
    by_record: HashMap<u64, Vec<u32>>,
    /// Entries without a record id, by (event id, second).
    by_second: HashMap<(u32, i64), Vec<u32>>,
    /// Whether the export's times are UTC as written (XML's `SystemTime`).
    times_utc: bool,
    /// How the export's times were corrected to line up with the binary
    /// log's (nothing when the zone they were read in was right, or nothing
    /// fitted).
    adjust: Adjust,
    /// The zone its local times were read in (`--source-tz`, `UTC` by default).
    read_in: String,
    /// The binary logs it lent to, by name (for the note).
    lent_to: Vec<Arc<str>>,
}

/// Every rendered export of a read that has a binary log beside it, and
/// the pairs found.
#[derive(Debug, Default)]
pub(crate) struct TwinSet {
    pub(crate) exports: Vec<Arc<Export>>,
    /// By binary log path: its records' twins.
    lenders: HashMap<PathBuf, Arc<Lenders>>,
}

/// The twins of one binary log's records: by record id, the export and
/// the entry that lends to it.
#[derive(Debug, Default)]
pub(crate) struct Lenders {
    by_record: HashMap<u64, (Arc<Export>, u32)>,
}

/// Builds a [`TwinSet`]: exports first, then their alignment, then the
/// binary logs beside them, one after another (so that a zip archive can
/// decompress one member at a time).
#[derive(Debug, Default)]
pub(crate) struct TwinBuilder {
    exports: Vec<Export>,
    pairs: Vec<(PathBuf, Vec<Pair>)>,
}

impl TwinBuilder {
    /// Indexes the export `bytes` (format `format`) known as `name`, at
    /// `path` in the folder `path.parent()`; `keep` keeps its bytes for
    /// [`Export::leftovers`] (an archive member cannot be read again).
    /// Exports that hold no record, or are too large, are not added.
    pub(crate) fn add_export(
        &mut self,
        reader: &dyn TwinReader,
        name: Arc<str>,
        path: &Path,
        bytes: &[u8],
        format: Format,
        keep: bool,
    ) {
        if bytes.len() as u64 > MAX_TWIN_BYTES {
            return;
        }
        if let Some(export) = Export::from_bytes(reader, name, path, bytes, format, keep) {
            self.exports.push(export);
        }
    }

    /// The folders holding an export that still needs its local times
    /// lined up with a binary log.
    pub(crate) fn dirs_to_align(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> =
            self.exports.iter().filter(|e| e.needs_alignment()).map(|e| e.dir.clone()).collect();
        dirs.dedup();
        dirs
    }

    /// Lines up the exports in `dir` with `samples` of the binary logs
    /// there ([`sample_of`]).
    pub(crate) fn align(&mut self, reader: &dyn TwinReader, dir: &Path, samples: &[Sample]) {
        let read_with = match reader.options().source_tz_given() {
            None => Some(0),
            Some(zone) => zone.fixed_offset(),
        };
        for export in self.exports.iter_mut().filter(|e| e.dir == dir && e.needs_alignment()) {
            export.align(samples, read_with);
        }
    }

    /// Whether a binary log at `path` has an export beside it.
    pub(crate) fn wants_log(&self, path: &Path) -> bool {
        self.exports.iter().any(|e| Some(e.dir.as_path()) == path.parent())
    }

    /// Pairs every live record of the binary log at `path` (known as
    /// `name`, its bytes in `data`) with its twin among the exports beside it.
    pub(crate) fn pair_log<R: std::io::Read + std::io::Seek>(&mut self, path: &Path, name: &Arc<str>, data: R) {
        let beside: Vec<usize> = (0..self.exports.len())
            .filter(|i| self.exports.get(*i).is_some_and(|e| Some(e.dir.as_path()) == path.parent()))
            .collect();
        if beside.is_empty() {
            return;
        }
        let exports = &mut self.exports;
        let mut found = Vec::new();
        scan_chunks(name, data, None, &mut |event: &Event| {
            let Some(rid) = event.record_id else { return };
            for &x in &beside {
                let Some(export) = exports.get_mut(x) else { continue };
                if let Some(i) = export.claim(event) {
                    found.push((rid, x, i));
                    if !export.lent_to.contains(name) {
                        export.lent_to.push(name.clone());
                    }
                    break;
                }
            }
        });
        self.pairs.push((path.to_path_buf(), found));
    }

    /// The pairs found.
    pub(crate) fn finish(self) -> TwinSet {
        let exports: Vec<Arc<Export>> = self.exports.into_iter().map(Arc::new).collect();
        let mut lenders = HashMap::new();
        for (log, found) in self.pairs {
            let by_record: HashMap<u64, (Arc<Export>, u32)> =
                found.into_iter().filter_map(|(rid, x, i)| Some((rid, (exports.get(x)?.clone(), i)))).collect();
            if !by_record.is_empty() {
                lenders.insert(log, Arc::new(Lenders { by_record }));
            }
        }
        TwinSet { exports, lenders }
    }
}

impl TwinSet {
    /// Reads and indexes the rendered exports among `files` (path and
    /// format) that share a folder with a binary log, and pairs them with
    /// those logs. Exports that hold no record, or are too large, are left
    /// to be read as usual.
    pub(crate) fn prepare(reader: &dyn TwinReader, files: &[(PathBuf, Format)]) -> TwinSet {
        let binary_dirs: Vec<&Path> =
            files.iter().filter(|(_, f)| *f == Format::Evtx).filter_map(|(p, _)| p.parent()).collect();
        let mut builder = TwinBuilder::default();
        for (path, format) in files {
            if !format.is_rendered_export() || !path.parent().is_some_and(|d| binary_dirs.contains(&d)) {
                continue;
            }
            if std::fs::metadata(path).map_or(true, |m| m.len() > MAX_TWIN_BYTES) {
                continue;
            }
            let Ok(bytes) = std::fs::read(path) else { continue };
            let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
            builder.add_export(reader, name, path, &bytes, *format, false);
        }
        for dir in builder.dirs_to_align() {
            let samples: Vec<Sample> = files
                .iter()
                .filter(|(p, f)| *f == Format::Evtx && p.parent() == Some(dir.as_path()))
                .filter_map(|(p, _)| std::fs::File::open(p).ok().map(|f| (p, f)))
                .flat_map(|(p, f)| sample_of(&Arc::from(p.to_string_lossy().as_ref()), std::io::BufReader::new(f)))
                .collect();
            builder.align(reader, &dir, &samples);
        }
        for (log, _) in files.iter().filter(|(_, f)| *f == Format::Evtx) {
            if !builder.wants_log(log) {
                continue;
            }
            let Ok(file) = std::fs::File::open(log) else { continue };
            let name: Arc<str> = Arc::from(log.to_string_lossy().as_ref());
            builder.pair_log(log, &name, std::io::BufReader::new(file));
        }
        builder.finish()
    }

    /// Whether `path` is one of the paired exports.
    pub(crate) fn holds(&self, path: &Path) -> bool {
        self.exports.iter().any(|e| e.path == path)
    }

    /// The twins of the binary log at `path`'s records, if it has any.
    pub(crate) fn lenders_for(&self, path: &Path) -> Option<Arc<Lenders>> {
        self.lenders.get(path).cloned()
    }
}

impl Lenders {
    /// Gives `event` its twin's message and names when it has a twin;
    /// returns whether it did.
    pub(crate) fn lend(&self, event: &mut Event) -> bool {
        if event.recovered {
            return false;
        }
        let Some((export, i)) = event.record_id.and_then(|r| self.by_record.get(&r)) else { return false };
        let Some(entry) = export.entries.get(*i as usize) else { return false };
        if entry.event_id != event.event_id {
            return false;
        }
        if event.message.is_none() {
            if let Some(m) = &entry.message {
                event.message = Some(m.clone());
                event.message_source = Some(MessageSource::Twin);
            }
        }
        if event.display.is_none() {
            event.display = entry.display.clone();
        }
        true
    }
}

impl Export {
    /// Reads the export `bytes` and indexes its live records; `None` when
    /// it holds none.
    fn from_bytes(
        reader: &dyn TwinReader,
        name: Arc<str>,
        path: &Path,
        bytes: &[u8],
        format: Format,
        keep: bool,
    ) -> Option<Export> {
        let mut collect = Collect::default();
        reader.read_unfiltered(name.clone(), bytes, &mut collect);
        let entries: Vec<Entry> = live_events(&collect)
            .map(|e| Entry {
                record_id: e.record_id,
                event_id: e.event_id,
                provider: e.provider.name.clone().or_else(|| e.provider.event_source_name.clone()),
                computer: e.computer.clone(),
                channel: e.channel.clone(),
                time: e.time,
                message: e.message.clone().filter(|m| !m.trim().is_empty()),
                display: e.display.clone(),
            })
            .collect();
        if entries.is_empty() {
            return None;
        }
        let mut export = Export {
            path: path.to_path_buf(),
            data: keep.then(|| Arc::from(bytes)),
            name,
            dir: path.parent()?.to_path_buf(),
            format,
            used: vec![false; entries.len()],
            entries,
            by_record: HashMap::new(),
            by_second: HashMap::new(),
            times_utc: format == Format::EventXml,
            adjust: Adjust::None,
            read_in: reader.options().source_tz_given().map_or_else(|| "UTC".to_string(), |z| z.name().to_string()),
            lent_to: Vec::new(),
        };
        export.index();
        Some(export)
    }

    fn index(&mut self) {
        self.by_record.clear();
        self.by_second.clear();
        for (i, e) in self.entries.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            match (e.record_id, e.time) {
                (Some(r), _) => self.by_record.entry(r).or_default().push(i),
                (None, Some(t)) => self.by_second.entry((e.event_id, t.timestamp())).or_default().push(i),
                (None, None) => {}
            }
        }
    }

    /// Finds how this export's times line up with the binary logs `logs`
    /// (sampled from their first chunks) and corrects them so. Votes: for
    /// each sampled record and each export record of the same event id and
    /// provider within 14 hours, the difference of their times, when it is
    /// a whole multiple of 15 minutes. One difference with nine votes in ten
    /// is a fixed offset; when the times were read with a fixed offset
    /// (`read_with`, seconds east of UTC; UTC by default) and the votes split (a log across a daylight-saving change), the time zone whose
    /// offsets explain nine in ten of them is taken; else a difference with
    /// at least 3 votes and twice the runner-up's.
    fn align(&mut self, samples: &[Sample], read_with: Option<i32>) {
        // The export's times by event id, sorted: each sampled record looks
        // only at those within 14 hours of its own time.
        let mut by_id: HashMap<u32, Vec<(i64, Option<&str>)>> = HashMap::new();
        for e in &self.entries {
            if let (None, Some(t)) = (e.record_id, e.time) {
                by_id.entry(e.event_id).or_default().push((t.timestamp(), e.provider.as_deref()));
            }
        }
        for v in by_id.values_mut() {
            v.sort_unstable_by_key(|(t, _)| *t);
        }
        const WINDOW: i64 = 14 * 3600;
        // (the binary record's UTC second, the difference).
        let mut seen: Vec<(i64, i64)> = Vec::new();
        {
            for (provider, id, secs) in samples {
                let (id, secs) = (*id, *secs);
                let Some(times) = by_id.get(&id) else { continue };
                let from = times.partition_point(|(t, _)| *t < secs - WINDOW);
                for (t, p) in times.iter().skip(from).take_while(|(t, _)| *t <= secs + WINDOW).take(64) {
                    if p.zip(provider.as_deref()).is_some_and(|(a, b)| !a.eq_ignore_ascii_case(b)) {
                        continue;
                    }
                    let delta = secs - t;
                    if delta % 900 == 0 {
                        seen.push((secs, delta));
                    }
                }
            }
        }
        let mut votes: HashMap<i64, usize> = HashMap::new();
        for (_, d) in &seen {
            *votes.entry(*d).or_default() += 1;
        }
        let mut ranked: Vec<(i64, usize)> = votes.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.abs().cmp(&b.0.abs())));
        let total = seen.len();
        let adjust = match ranked.as_slice() {
            [] => return,
            [(d, n), ..] if *n >= 3 && n * 10 >= total * 9 => Adjust::Shift(*d),
            [(d, n), rest @ ..] => {
                // The offset each vote saw: local time (as written) minus UTC.
                let zone = read_with.and_then(|read| {
                    let offsets: Vec<(i64, i32)> = seen
                        .iter()
                        .filter_map(|(utc, d)| Some((*utc, i32::try_from(i64::from(read) - d).ok()?)))
                        .collect();
                    crate::zone::fitting_zone(&offsets).filter(|(_, fit)| *fit >= 3 && fit * 10 >= total * 9)
                });
                match zone {
                    Some((zone, _)) => Adjust::Zone(zone, i64::from(read_with.unwrap_or(0))),
                    None if *n >= 3 && rest.first().is_none_or(|(_, m)| *n >= 2 * m) => Adjust::Shift(*d),
                    None => return,
                }
            }
        };
        if matches!(adjust, Adjust::Shift(0)) {
            return;
        }
        for e in &mut self.entries {
            if e.record_id.is_none() {
                e.time = adjust.apply(e.time);
            }
        }
        self.adjust = adjust;
        self.index();
    }

    /// Whether its local times still need lining up with a binary log.
    fn needs_alignment(&self) -> bool {
        !self.times_utc && matches!(self.adjust, Adjust::None) && !self.by_second.is_empty()
    }

    /// Claims the twin of `event`, if this export has one not claimed yet,
    /// and returns its place.
    fn claim(&mut self, event: &Event) -> Option<u32> {
        if let Some(rid) = event.record_id {
            if let Some(candidates) = self.by_record.get(&rid) {
                let found = candidates.iter().copied().find(|i| {
                    self.entries.get(*i as usize).is_some_and(|e| self.same_record(e, event)) && !self.is_used(*i)
                });
                if let Some(i) = found {
                    self.mark(i);
                }
                return found;
            }
        }
        let t = event.time?;
        let candidates = self.by_second.get(&(event.event_id, t.timestamp()))?;
        let mut ranked: Vec<(usize, u32)> = candidates
            .iter()
            .filter_map(|i| {
                let e = self.entries.get(*i as usize)?;
                (same_provider(e, event) && same_place(e, event) && !self.is_used(*i))
                    .then(|| (data_found(e, event), *i))
            })
            .collect();
        // Most data values found first; among equals, export order.
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let found = ranked.first().map(|(_, i)| *i);
        if let Some(i) = found {
            self.mark(i);
        }
        found
    }

    fn is_used(&self, i: u32) -> bool {
        self.used.get(i as usize).copied().unwrap_or(true)
    }

    fn mark(&mut self, i: u32) {
        if let Some(u) = self.used.get_mut(i as usize) {
            *u = true;
        }
    }

    fn same_record(&self, e: &Entry, event: &Event) -> bool {
        e.event_id == event.event_id
            && same_provider(e, event)
            && same_place(e, event)
            && (!self.times_utc || e.time.zip(event.time).is_none_or(|(a, b)| (a - b).num_milliseconds().abs() < 1000))
    }

    /// Whether the record at position `n` (among the export's live records,
    /// in reading order) lent itself to a binary record.
    fn was_used(&self, n: usize) -> bool {
        self.used.get(n).copied().unwrap_or(false)
    }

    /// The export's records that no binary record claimed (read again, in
    /// order, times shifted as found, then through `reader`'s event filter),
    /// with a note saying what was paired.
    pub(crate) fn leftovers(&self, reader: &dyn TwinReader) -> (Collect, crate::contract::InputSummary) {
        let mut collect = Collect::default();
        let read = match &self.data {
            Some(data) => Ok(data.to_vec()),
            None => std::fs::read(&self.path),
        };
        let Ok(bytes) = read else {
            collect
                .diagnostics
                .push(Diagnostic::failed(self.name.clone(), "cannot read the file again after pairing it".to_string()));
            return (collect, crate::contract::InputSummary::new(self.name.clone(), self.format));
        };
        let mut all = Collect::default();
        let mut summary = reader.read_unfiltered(self.name.clone(), &bytes, &mut all);
        let options = reader.options();
        let mut reviewer = None;
        let mut n = 0usize;
        let mut dropped = 0u64;
        for record in all.records {
            match record {
                Record::Event(mut e) if !e.recovered => {
                    let used = self.was_used(n);
                    n += 1;
                    if used {
                        dropped += 1;
                        continue;
                    }
                    if e.record_id.is_none() {
                        e.time = self.adjust.apply(e.time);
                    }
                    let key = EventKey {
                        provider: e.provider.name.as_deref(),
                        guid: e.provider.guid.as_ref(),
                        event_id: e.event_id,
                    };
                    match keep_whole(options, None, options.select(&key), &mut reviewer, &e) {
                        Verdict::Drop => summary.filtered += 1,
                        Verdict::Repeat => {}
                        _ => collect.records.push(Record::Event(e)),
                    }
                }
                other => collect.records.push(other),
            }
        }
        collect.diagnostics = all.diagnostics;
        collect.diagnostics.push(Diagnostic::note(self.name.clone(), Locator::File, self.note(dropped)));
        summary.records = summary.records.saturating_sub(dropped);
        summary.paired = dropped;
        (collect, summary)
    }

    fn note(&self, paired: u64) -> String {
        let logs = self.lent_to.iter().map(|n| file_name(n)).collect::<Vec<_>>().join(", ");
        let total = self.entries.len() as u64;
        let mut note = if paired == 0 {
            format!(
                "rendered export beside a binary log: none of its {total} records matched a record of the log, so all are read as events"
            )
        } else {
            format!(
                "rendered twin of {logs}: {paired} of its {total} records lent their message and names to the same records there and are not counted again; {} read as events of their own",
                total - paired
            )
        };
        match &self.adjust {
            Adjust::Shift(secs) => note.push_str(&format!(
                "; its times were written by a clock {} {} (the zone they were read in): that offset lines its records up with the binary log's, and was applied",
                shift_words(*secs),
                self.read_in
            )),
            Adjust::Zone(zone, _) => note.push_str(&format!(
                "; its times were read again as local times of {} (daylight saving included), whose offsets line its records up with the binary log's; {} (the zone they were first read in) did not",
                zone.name(),
                self.read_in
            )),
            Adjust::None => {}
        }
        if matches!(self.adjust, Adjust::None) && paired == 0 && !self.times_utc && !self.by_second.is_empty() {
            note.push_str("; if the export was written in another time zone, give it with --source-tz");
        }
        note
    }
}

/// The live events of `collect`.
fn live_events(collect: &Collect) -> impl Iterator<Item = &Event> {
    collect.records.iter().filter_map(|r| match r {
        Record::Event(e) if !e.recovered => Some(&**e),
        _ => None,
    })
}

fn same_provider(e: &Entry, event: &Event) -> bool {
    let Some(p) = e.provider.as_deref() else { return true };
    let names = [event.provider.name.as_deref(), event.provider.event_source_name.as_deref()];
    names.iter().all(Option::is_none) || names.into_iter().flatten().any(|n| n.eq_ignore_ascii_case(p))
}

/// Computer and channel agree where both sides have them (a computer's
/// short name matches its full name).
fn same_place(e: &Entry, event: &Event) -> bool {
    let computer = match (e.computer.as_deref(), event.computer.as_deref()) {
        (Some(a), Some(b)) => host(a).eq_ignore_ascii_case(host(b)),
        _ => true,
    };
    let channel = match (e.channel.as_deref(), event.channel.as_deref()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => true,
    };
    computer && channel
}

fn host(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// How many of `event`'s data values (of 3 characters or more, not `%%N`
/// references) appear in the entry's message.
fn data_found(e: &Entry, event: &Event) -> usize {
    let Some(m) = e.message.as_deref() else { return 0 };
    event
        .data
        .iter()
        .map(|d| d.value.trim())
        .filter(|v| v.len() >= 3 && !v.starts_with("%%"))
        .filter(|v| m.contains(v))
        .count()
}

/// (provider, event id, time in whole seconds) of a binary log's record.
pub(crate) type Sample = (Option<String>, u32, i64);

/// Samples of the live records in the first chunks of the evtx log `data`.
pub(crate) fn sample_of<R: std::io::Read + std::io::Seek>(name: &Arc<str>, data: R) -> Vec<Sample> {
    let mut out = Vec::new();
    scan_chunks(name, data, Some(SAMPLE_CHUNKS), &mut |e: &Event| {
        if let Some(t) = e.time {
            let p = e.provider.name.clone().or_else(|| e.provider.event_source_name.clone());
            out.push((p, e.event_id, t.timestamp()));
        }
    });
    out
}

/// The live records of the first `limit` chunks (all, and the partly
/// written last one, without a limit) of the evtx log `data`.
fn scan_chunks<R: std::io::Read + std::io::Seek>(
    name: &Arc<str>,
    mut data: R,
    limit: Option<usize>,
    each: &mut dyn FnMut(&Event),
) {
    let tail = if limit.is_none() { crate::evtx::tail_of(&mut data) } else { None };
    let Ok(chunks) = crate::evtx::open(name, data) else { return };
    let options = crate::contract::ReadOptions::new().threads(1);
    let mut contents = crate::evtx::ContentCache::default();
    let mut give = |batch: crate::work::Batch| {
        for part in batch.items {
            if let crate::work::Part::Record(Record::Event(e)) = part {
                if !e.recovered {
                    each(&e);
                }
            }
        }
    };
    for chunk in chunks.take(limit.unwrap_or(usize::MAX)).flatten() {
        give(crate::evtx::decode_chunk(name, chunk, (&options, None), None, &mut contents));
    }
    if let Some(t) = tail {
        give(crate::evtx::decode_tail(name, t, (&options, None), None, &mut contents));
    }
}

/// Gives `event` its strings: from its rendered twin (`lenders`) first,
/// then names the twin lacks, or everything without a twin, from `locale`.
pub(crate) fn lend_strings(event: &mut Event, locale: Option<&crate::locale::Locale>, lenders: Option<&Lenders>) {
    let lent = lenders.is_some_and(|l| l.lend(event));
    let Some(locale) = locale else { return };
    if !lent {
        locale.apply(event);
        return;
    }
    // The twin's message and names first; the locale fills in names the
    // twin did not have (a CSV has no opcode or keywords).
    let twin = event.display.take();
    locale.apply(event);
    event.display = match (twin, event.display.take()) {
        (Some(t), Some(l)) => Some(Box::new(DisplayNames {
            level: t.level.or(l.level),
            task: t.task.or(l.task),
            opcode: t.opcode.or(l.opcode),
            keywords: if t.keywords.is_empty() { l.keywords } else { t.keywords },
        })),
        (t, l) => t.or(l),
    };
}

/// A sink that gives each event its strings ([`lend_strings`]) on the way
/// to `inner` (for archive members, read one at a time).
pub(crate) struct Lending<'a> {
    pub(crate) inner: &'a mut dyn crate::contract::Sink,
    pub(crate) locale: Option<&'a crate::locale::Locale>,
    pub(crate) lenders: Option<&'a Lenders>,
}

impl crate::contract::Sink for Lending<'_> {
    fn record(&mut self, mut record: Record) {
        if let Record::Event(e) = &mut record {
            lend_strings(e, self.locale, self.lenders);
        }
        self.inner.record(record);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.inner.diagnostic(diagnostic);
    }
    fn begin_read(&mut self, files: &[PathBuf]) {
        self.inner.begin_read(files);
    }
    fn begin_input(&mut self, input: &crate::contract::InputSummary) {
        self.inner.begin_input(input);
    }
    fn end_input(&mut self, input: &crate::contract::InputSummary) {
        self.inner.end_input(input);
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Words for a shift of `secs` seconds: how the exporting machine's clock
/// stood to the zone its times were read in (a positive shift means its
/// local times were behind: it was west of that zone).
fn shift_words(secs: i64) -> String {
    let a = secs.abs();
    let side = if secs > 0 { "behind" } else { "ahead of" };
    format!("{}:{:02} {side}", a / 3600, (a % 3600) / 60)
}
