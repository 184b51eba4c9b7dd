//! Reading inputs: paths in, records and diagnostics out.
//!
//! A [`Reader`] takes files, folders and archives, recognises each file by its
//! content ([`crate::format::detect`]), hands it to the right source, and
//! delivers every [`Record`] and [`Diagnostic`] to a [`Sink`]. It returns one
//! [`InputSummary`] per input file so that a report can say what was read.
//!
//! Delivery order is stable: inputs in sorted path order, records in file
//! order (for evtx: chunk by chunk in record order, from the chunk holding the
//! oldest records, as Windows reads a log that has wrapped around), whatever
//! the number of threads.
//!
//! Work is parallel across files and, inside an evtx file, across its 64 KiB
//! chunks: the calling thread reads chunks one after another (so a 1 GiB log
//! is never held in memory) and hands them to a thread pool (four at a time
//! when an event filter is set) ([`ReadOptions::threads`]); at most
//! `2 × threads` such jobs are in flight, and
//! their outputs are delivered to the [`Sink`] strictly in the order they were
//! handed out. Other formats are read whole on a worker. The sink itself is
//! only ever called from the calling thread.
//!
//! When the work per record is worth doing in parallel too, use
//! [`Reader::read_paths_map`]: it runs a function on each [`Unit`] (one
//! chunk's or one file's records and diagnostics) on the worker that decoded
//! it and delivers the function's results, in the same order. `evtriage
//! dump` formats records there, so that records never cross threads and the
//! calling thread only writes bytes; [`Reader::read_paths`] is the same
//! pipeline with a map that hands the unit on unchanged.
//!
//! When what is wanted is each record's JSON line ([`crate::jsonl::write_line`]),
//! [`Reader::read_paths_lines`] delivers units that hold lines instead of
//! records, written while decoding: an evtx record whose content was seen
//! before (everything but its time, record id, process and thread ids) is
//! written from the bytes of that content's line without being decoded
//! into an event, which is most of what `evtriage dump --format jsonl`
//! costs otherwise (see `evtx::content`).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Severity};
use crate::evtx::{Item, Output};
use crate::format::Format;
use crate::model::{Guid, Record};

/// Receives what the sources read.
pub trait Sink {
    /// One record, in input order.
    fn record(&mut self, record: Record);
    /// One diagnostic (something skipped or unreadable).
    fn diagnostic(&mut self, diagnostic: Diagnostic);
}

/// A [`Sink`] that keeps everything in memory. Handy for tests and small inputs.
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// The records, in delivery order.
    pub records: Vec<Record>,
    /// The diagnostics, in delivery order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink for Collect {
    fn record(&mut self, record: Record) {
        self.records.push(record);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

impl Collect {
    /// The events among the collected records.
    pub fn events(&self) -> impl Iterator<Item = &crate::model::Event> {
        self.records.iter().filter_map(Record::as_event)
    }
}

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// The input (same spelling as [`crate::Origin::source`]).
    pub path: Arc<str>,
    /// The format recognised.
    pub format: Format,
    /// Records read: delivered, passed over by a filter (see `filtered`), or
    /// passed over as repeats of what was delivered before (see
    /// [`Verdict::Repeat`]).
    pub records: u64,
    /// Records or lines that could not be read and were skipped.
    pub skipped: u64,
    /// Events read but not delivered because the [`ReadOptions::event_filter`] did not want them.
    #[serde(default)]
    pub filtered: u64,
    /// Stale records found in `.evtx` slack space (see [`ReadOptions::recovered`]):
    /// counted, and delivered (marked) only when asked for.
    #[serde(default)]
    pub stale: u64,
    /// For an archive: what was read from each member (`archive.zip!member`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<InputSummary>,
}

impl InputSummary {
    /// The summary of an input not read yet: every count zero.
    pub fn new(path: Arc<str>, format: Format) -> Self {
        InputSummary { path, format, records: 0, skipped: 0, filtered: 0, stale: 0, members: Vec::new() }
    }
}

/// An input that gave nothing to work with, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// The input (an archive member as `archive.zip!member`).
    pub path: Arc<str>,
    /// Why, in a sentence: not a format evtriage reads, damaged, empty, …
    pub reason: String,
}

/// The inputs from which no record at all was read, with the reason: not a
/// recognised format, unreadable, damaged beyond use, empty (or holding only
/// stale records in slack space), and paths or archive members that could
/// not be opened. Front ends list them before anything else, so that a run
/// that read nothing never passes for a healthy one.
pub fn unread(summaries: &[InputSummary], diagnostics: &[Diagnostic]) -> Vec<Unread> {
    let mut out = Vec::new();
    let mut known: std::collections::HashSet<&str> = std::collections::HashSet::new();
    fn walk<'a>(
        s: &'a InputSummary,
        diagnostics: &[Diagnostic],
        out: &mut Vec<Unread>,
        known: &mut std::collections::HashSet<&'a str>,
    ) {
        known.insert(&s.path);
        for m in &s.members {
            walk(m, diagnostics, out, known);
        }
        // An archive's members are listed one by one.
        if s.records > 0 || !s.members.is_empty() {
            return;
        }
        let about = |d: &&Diagnostic| *d.source == *s.path;
        let first = |sev: Severity| diagnostics.iter().filter(about).find(|d| d.severity == sev);
        let reason = if let Some(d) = first(Severity::Failed) {
            d.message.clone()
        } else if s.format == Format::Unknown {
            first(Severity::Note)
                .map(|d| d.message.trim_end_matches("; passed over").to_string())
                .unwrap_or_else(|| "not a format evtriage reads".to_string())
        } else if s.skipped > 0 {
            let why = first(Severity::Skipped).map(|d| format!(": {}", d.message)).unwrap_or_default();
            format!("damaged: nothing could be read ({} part(s) skipped){why}", s.skipped)
        } else if s.stale > 0 {
            format!("no live record: {} stale record(s) in slack space, not used (`--recovered` shows them)", s.stale)
        } else {
            "empty: it holds no record".to_string()
        };
        out.push(Unread { path: s.path.clone(), reason });
    }
    for s in summaries {
        walk(s, diagnostics, &mut out, &mut known);
    }
    // Paths that could not be opened, members skipped before they were read.
    for d in diagnostics {
        let whole = matches!(d.locator, crate::model::Locator::File)
            && matches!(d.severity, Severity::Failed | Severity::Skipped);
        if whole && !known.contains(&*d.source) && !out.iter().any(|u| u.path == d.source) {
            out.push(Unread { path: d.source.clone(), reason: d.message.clone() });
        }
    }
    out
}

/// The cheap identity of an event, known before the rest of it is decoded.
#[derive(Debug, Clone, Copy)]
pub struct EventKey<'a> {
    /// Provider name, when known.
    pub provider: Option<&'a str>,
    /// Provider GUID, when known.
    pub guid: Option<&'a Guid>,
    /// Event id.
    pub event_id: u32,
}

/// Chooses which events a [`Reader`] decodes and delivers. It runs on the
/// reader's worker threads, so what it passes over costs the calling thread
/// nothing.
///
/// Two stages, cheapest first:
///
/// 1. [`EventFilter::select`] sees each event's [`EventKey`] (provider and
///    event id, known before the rest of the record is decoded) and answers
///    with a [`Selection`]: pass over it, deliver it, or decode it and let a
///    [`Reviewer`] decide.
/// 2. [`EventFilter::reviewer`] gives a reviewer for one unit of work (one
///    evtx chunk, one text file); it sees that unit's selected events in input
///    order and may pass over them after all ([`Verdict`]). Because a reviewer
///    lives for one unit on one thread, it may keep state (say, what it has
///    already let through in this chunk) and the result still does not depend
///    on the number of threads.
///
/// Any `Fn(&EventKey<'_>) -> bool` closure is an `EventFilter` that delivers
/// what it returns `true` for:
///
/// ```
/// use std::sync::Arc;
/// use evtriage_core::{EventFilter, EventKey, ReadOptions};
///
/// let filter: Arc<dyn EventFilter> = Arc::new(|k: &EventKey<'_>| k.event_id == 7023);
/// let options = ReadOptions { threads: 0, event_filter: Some(filter), ..Default::default() };
/// assert!(options.wants(&EventKey { provider: None, guid: None, event_id: 7023 }));
/// ```
///
/// Events a filter passes over are counted in [`InputSummary::filtered`].
pub trait EventFilter: Send + Sync {
    /// What to do with an event, from its cheap key.
    fn select(&self, key: &EventKey<'_>) -> Selection;

    /// A reviewer for one unit of work, asked about every event
    /// [`EventFilter::select`] sent to review. The default lets every one
    /// through (and completes partial ones).
    fn reviewer(&self) -> Box<dyn Reviewer + '_> {
        Box::new(PassAll)
    }

    /// [`EventFilter::reviewer`] for a unit that knows its place: units are
    /// numbered in the order they are delivered (numbers ascend, and are
    /// unique in the process), so a filter may pass over what an earlier
    /// unit already delivered to the same sink (units run in parallel, but
    /// an earlier unit's events always reach the sink first). Units read one
    /// after another inside another unit (members of a zip archive) have no
    /// number.
    fn reviewer_at(&self, unit: Option<u64>) -> Box<dyn Reviewer + '_> {
        let _ = unit;
        self.reviewer()
    }
}

impl<F> EventFilter for F
where
    F: Fn(&EventKey<'_>) -> bool + Send + Sync,
{
    fn select(&self, key: &EventKey<'_>) -> Selection {
        if self(key) {
            Selection::Deliver
        } else {
            Selection::Skip
        }
    }
}

/// What an [`EventFilter`] wants done with an event, decided from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Pass over it: not decoded further, counted as filtered.
    Skip,
    /// Decode it whole and deliver it.
    Deliver,
    /// Decode it whole, then ask the unit's [`Reviewer`].
    Review,
    /// Decode only what a reviewer usually needs, then ask the unit's
    /// [`Reviewer`]: the provider (name, GUID, event source name), event id,
    /// record id, time, computer, the data items and `Binary`. The other
    /// `System` fields (channel, level, task, opcode, keywords, version,
    /// qualifiers, user SID, activity, process and thread ids) are decoded
    /// only if the reviewer answers [`Verdict::Complete`]. Sources that build
    /// whole events anyway (XML, ETW, ETL) treat this as [`Selection::Review`].
    ReviewPartial,
}

/// A [`Reviewer`]'s answer about one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass over it (counted as filtered).
    Drop,
    /// Deliver it as decoded so far (for [`Selection::ReviewPartial`], with
    /// only the fields listed there).
    Deliver,
    /// Decode the rest of it (if anything is left) and deliver it.
    Complete,
    /// Pass over it as a repeat of what an earlier unit delivered (see
    /// [`EventFilter::reviewer_at`]). Counted as read but not as filtered:
    /// how many repeats a run finds depends on which thread got where first,
    /// and the summary must not.
    Repeat,
}

/// Reviews the selected events of one unit of work; see [`EventFilter`].
pub trait Reviewer {
    /// The verdict on `event`; `partial` when only part of it is decoded
    /// (see [`Selection::ReviewPartial`]).
    fn review(&mut self, event: &crate::model::Event, partial: bool) -> Verdict;

    /// [`Reviewer::review`] for an event that comes with its [`ContentId`]:
    /// events given the same id have the same content, so a reviewer may
    /// remember what it concluded from one for the next (any unit, any
    /// thread). The default ignores the id.
    fn review_content(&mut self, event: &crate::model::Event, partial: bool, content: ContentId) -> Verdict {
        let _ = content;
        self.review(event, partial)
    }
}

/// A name for an event's *content*: everything but its time, record id and
/// origin. Two events a reader gives the same id (in one process) are equal
/// in every other field; events of equal content need not get the same id.
///
/// A log repeats the same few events over and over ("the WinHTTP service
/// entered the stopped state"); the evtx reader notices a record whose
/// content it has decoded before without decoding it again, and says so
/// with this id (see [`Reviewer::review_content`]), so that a reviewer can
/// skip what it already worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(u64);

impl ContentId {
    /// A new id, unique in the process.
    pub(crate) fn fresh() -> ContentId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        ContentId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// The id as a number (unique in the process).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The default reviewer: every event, completed.
struct PassAll;

impl Reviewer for PassAll {
    fn review(&mut self, _event: &crate::model::Event, _partial: bool) -> Verdict {
        Verdict::Complete
    }
}

/// How [`Reader::read_paths_lines`] writes records as JSON lines.
#[derive(Clone, Default)]
pub struct JsonLines {
    /// Whether an event's line ends with a `"rendered"` key holding its
    /// message, as [`crate::message::render`] renders it.
    pub rendered: bool,
    /// Which events are written, asked with each event's time, level and
    /// channel (the others are counted in [`InputSummary::filtered`]);
    /// `None` writes them all. Records other than events are always written.
    pub keep: Option<KeepLine>,
}

/// A [`JsonLines::keep`] predicate.
pub type KeepLine = Arc<dyn Fn(&LineFacts<'_>) -> bool + Send + Sync>;

impl JsonLines {
    /// Whether [`JsonLines::keep`] keeps an event with these facts.
    pub fn keeps(&self, facts: &LineFacts<'_>) -> bool {
        self.keep.as_ref().is_none_or(|k| k(facts))
    }
}

impl std::fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").field("rendered", &self.rendered).field("keep", &self.keep.is_some()).finish()
    }
}

/// What [`JsonLines::keep`] is told about an event.
#[derive(Debug, Clone, Copy)]
pub struct LineFacts<'a> {
    /// The event's time.
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// Its level.
    pub level: Option<u8>,
    /// Its channel.
    pub channel: Option<&'a str>,
}

impl<'a> LineFacts<'a> {
    /// The facts of `event`.
    pub fn of(event: &'a crate::model::Event) -> Self {
        LineFacts { time: event.time, level: event.level, channel: event.channel.as_deref() }
    }
}

/// How to read.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Which events are decoded and delivered (snapshots are always
    /// delivered); `None` delivers every event.
    pub event_filter: Option<Arc<dyn EventFilter>>,
    /// Also deliver stale records carved from `.evtx` slack space (marked
    /// [`crate::Event::recovered`]), as `evtx_dump --recover-records` does.
    /// Off by default: they are older copies Windows released, possibly of
    /// another log or computer, and are only counted
    /// ([`InputSummary::stale`]).
    pub recovered: bool,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
            .field("recovered", &self.recovered)
            .field("event_filter", &self.event_filter.is_some())
            .finish()
    }
}

impl ReadOptions {
    /// Whether an event with this key is decoded at all (delivered, or sent to review).
    pub fn wants(&self, key: &EventKey<'_>) -> bool {
        self.select(key) != Selection::Skip
    }

    /// What the filter wants done with an event with this key ([`Selection::Deliver`] without a filter).
    pub fn select(&self, key: &EventKey<'_>) -> Selection {
        self.event_filter.as_ref().map_or(Selection::Deliver, |f| f.select(key))
    }

    /// A reviewer for one unit of work; `None` when there is no filter.
    pub fn reviewer(&self) -> Option<Box<dyn Reviewer + '_>> {
        self.reviewer_at(None)
    }

    /// A reviewer for the unit numbered `unit` (see [`EventFilter::reviewer_at`]).
    pub fn reviewer_at(&self, unit: Option<u64>) -> Option<Box<dyn Reviewer + '_>> {
        self.event_filter.as_ref().map(|f| f.reviewer_at(unit))
    }

    /// Asks the unit's reviewer about `event` (with its [`ContentId`] when
    /// the reader knows one), making the reviewer (kept in `slot` for the
    /// unit's next events) on first use; [`Verdict::Complete`] without a
    /// filter.
    pub(crate) fn review<'o>(
        &'o self,
        unit: Option<u64>,
        slot: &mut Option<Box<dyn Reviewer + 'o>>,
        event: &crate::model::Event,
        partial: bool,
        content: Option<ContentId>,
    ) -> Verdict {
        if slot.is_none() {
            *slot = self.reviewer_at(unit);
        }
        match (slot.as_mut(), content) {
            (None, _) => Verdict::Complete,
            (Some(r), None) => r.review(event, partial),
            (Some(r), Some(id)) => r.review_content(event, partial, id),
        }
    }
}

/// The number of the next unit of work: ascending in delivery order (units
/// are numbered as they are queued), and unique in the process, so that a
/// filter used for several reads into one sink sees every later read's units
/// after the earlier ones'.
fn next_unit() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Applies a selection and a reviewer to an event that was built whole:
/// [`Verdict::Drop`] (filtered), [`Verdict::Repeat`] or [`Verdict::Deliver`].
pub(crate) fn keep_whole<'o>(
    options: &'o ReadOptions,
    unit: Option<u64>,
    selection: Selection,
    reviewer: &mut Option<Box<dyn Reviewer + 'o>>,
    event: &crate::model::Event,
) -> Verdict {
    let verdict = match selection {
        Selection::Skip => Verdict::Drop,
        Selection::Deliver => Verdict::Deliver,
        Selection::Review | Selection::ReviewPartial => options.review(unit, reviewer, event, false, None),
    };
    if verdict == Verdict::Complete {
        Verdict::Deliver
    } else {
        verdict
    }
}

/// Reads inputs into records. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Reader {
    options: ReadOptions,
    /// Caches of repeated evtx records, lent to the jobs (see `evtx::content`).
    contents: Arc<crate::evtx::ContentPool>,
    /// Write records as JSON lines ([`Reader::read_paths_lines`]).
    lines: Option<Arc<JsonLines>>,
}

impl Reader {
    /// A reader with `options`.
    pub fn new(options: ReadOptions) -> Self {
        Reader { options, contents: Arc::default(), lines: None }
    }

    /// The options in use.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Reads a file, a folder (recursively) or an archive. Never fails: what
    /// cannot be read becomes a diagnostic.
    pub fn read_path(&self, path: &Path, sink: &mut dyn Sink) -> Vec<InputSummary> {
        self.read_paths(&[path], sink)
    }

    /// Reads several paths; inputs are read in sorted, de-duplicated order so
    /// that output does not depend on the order given.
    pub fn read_paths<P: AsRef<Path>>(&self, paths: &[P], sink: &mut dyn Sink) -> Vec<InputSummary> {
        self.read_paths_map(paths, &|unit: Unit| unit, |unit: Unit| unit.deliver(&mut *sink))
    }

    /// Reads several paths like [`read_paths`](Self::read_paths), but hands
    /// each [`Unit`] of decoded input to `map` on the worker thread that
    /// decoded it, and gives `map`'s results to `deliver` on the calling
    /// thread, strictly in input order.
    ///
    /// This is for work per record that is worth doing in parallel and whose
    /// result is smaller or cheaper to move than the records: formatting
    /// records as text (`evtriage dump` turns each unit into one byte buffer),
    /// counting, or filtering on the whole event. The records are dropped on
    /// the thread that decoded them unless `map` keeps them.
    ///
    /// Guarantees:
    /// - `deliver` is called on the calling thread only, once per unit, in the
    ///   order [`read_paths`](Self::read_paths) would deliver the unit's
    ///   records and diagnostics, whatever the number of threads; so the
    ///   concatenation of `deliver`'s inputs does not depend on
    ///   [`ReadOptions::threads`];
    /// - diagnostics travel inside units, in order, like records: those of the
    ///   folder walk come first, in one unit ([`Unit::input`] is `None`), then
    ///   each input's units in turn;
    /// - `map` runs on a pool worker when there is more than one thread, else
    ///   on the calling thread; at most `2 × threads` jobs of up to four
    ///   units (and their results) are in flight, so memory stays flat on
    ///   any input size;
    /// - if `map` (or the decoder) panics on a unit, that unit is replaced by
    ///   a unit holding one skipped-data diagnostic saying so (counted in the
    ///   input's `skipped`), which is passed to `map` on the calling thread;
    ///   reading goes on. A panic of `map` on that stand-in, or on the folder
    ///   walk's unit, or of `deliver`, reaches the caller.
    ///
    /// Units that hold nothing (no record, no diagnostic) are still mapped and
    /// delivered, so that `deliver` sees every chunk; `map` can return a
    /// cheap value for them.
    ///
    /// ```
    /// use evtriage_core::{Reader, Unit};
    ///
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/evtx/example-dc-boot.xml");
    /// // Count events per unit on the workers; add the counts up here.
    /// let mut events = 0;
    /// let count = |unit: Unit| unit.records().filter(|r| r.as_event().is_some()).count();
    /// Reader::default().read_paths_map(&[path], &count, |n| events += n);
    /// assert_eq!(events, 12);
    /// ```
    pub fn read_paths_map<P, T, M, D>(&self, paths: &[P], map: &M, mut deliver: D) -> Vec<InputSummary>
    where
        P: AsRef<Path>,
        T: Send,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        let mut walk = Collect::default();
        let mut files = Vec::new();
        for p in paths {
            crate::walk::collect_files(p.as_ref(), &mut files, &mut walk);
        }
        files.sort();
        files.dedup();
        if !walk.diagnostics.is_empty() {
            let items = walk.diagnostics.into_iter().map(Item::Diagnostic).collect();
            deliver(map(Unit { input: None, items, ..Unit::default() }));
        }
        self.read_files(&files, map, deliver)
    }

    /// [`Reader::read_paths_map`], with every record written as its JSON
    /// line ([`crate::jsonl::write_line`]) as `format` says: each [`Unit`]
    /// holds its records' lines ([`Unit::lines`], in input order) and its
    /// diagnostics, and no records. The bytes are those that formatting each
    /// record of [`Reader::read_paths_map`] with `write_line` would give
    /// (less the events [`JsonLines::keep`] drops); they are written while
    /// decoding, and repeated evtx content is not decoded again (see the
    /// [module docs](self)).
    ///
    /// ```
    /// use evtriage_core::{JsonLines, Reader, Unit};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/evtx/example-dc-boot.evtx");
    /// let mut text = Vec::new();
    /// let format = JsonLines { rendered: true, keep: None };
    /// Reader::default().read_paths_lines(&[path], format, &|mut unit: Unit| unit.take_lines(), |l| text.extend(l));
    /// let text = String::from_utf8(text).unwrap();
    /// assert!(text.lines().any(|l| l.contains(r#""event_id":7023"#) && l.contains("Intersite Messaging")));
    /// ```
    pub fn read_paths_lines<P, T, M, D>(&self, paths: &[P], format: JsonLines, map: &M, deliver: D) -> Vec<InputSummary>
    where
        P: AsRef<Path>,
        T: Send,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        let reader = Reader { lines: Some(Arc::new(format)), ..self.clone() };
        reader.read_paths_map(paths, map, deliver)
    }

    /// Reads one file of any supported format.
    pub fn read_file(&self, path: &Path, sink: &mut dyn Sink) -> InputSummary {
        let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let files = [path.to_path_buf()];
        self.read_files(&files, &|unit: Unit| unit, |unit: Unit| unit.deliver(&mut *sink))
            .pop()
            .unwrap_or_else(|| InputSummary::new(name, Format::Unknown))
    }

    /// Reads `files` in the order given, in parallel (see [`ReadOptions::threads`]),
    /// mapping each unit with `map` and delivering the results in that order.
    fn read_files<T, M, D>(&self, files: &[PathBuf], map: &M, deliver: D) -> Vec<InputSummary>
    where
        T: Send,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        self.run_pipeline(Feed::Files(files), map, deliver, Vec::new())
    }

    /// Builds a pipeline with [`ReadOptions::threads`] workers, queues
    /// `feed` on it from the calling thread, delivers everything and returns
    /// the summaries (`summaries` plus one per file fed).
    ///
    /// With more than one thread the pool's jobs run inside a rayon scope
    /// entered in place, so that they may borrow `map` (which need not be
    /// `'static`); the calling thread is not a pool worker, it only feeds and
    /// delivers.
    fn run_pipeline<T, M, D>(
        &self,
        feed: Feed<'_>,
        map: &M,
        deliver: D,
        summaries: Vec<InputSummary>,
    ) -> Vec<InputSummary>
    where
        T: Send,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n,
        };
        let pool = if threads > 1 {
            rayon::ThreadPoolBuilder::new().num_threads(threads).panic_handler(|_| {}).build().ok()
        } else {
            None
        };
        let cap = threads * 2;
        match &pool {
            Some(pool) => pool.in_place_scope(|scope| {
                let mut pipe = Pipeline { scope: Some(scope), map, deliver, queue: VecDeque::new(), cap, summaries };
                self.feed(&mut pipe, feed);
                pipe.finish()
            }),
            None => {
                let mut pipe = Pipeline { scope: None, map, deliver, queue: VecDeque::new(), cap, summaries };
                self.feed(&mut pipe, feed);
                pipe.finish()
            }
        }
    }

    fn feed<'s, T, M, D>(&self, pipe: &mut Pipeline<'_, 's, T, M, D>, feed: Feed<'_>)
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        match feed {
            Feed::Files(files) => self.feed_files(pipe, files),
            Feed::Evtx(name, bytes) => self.push_evtx(pipe, 0, name, std::io::Cursor::new(bytes)),
        }
    }

    /// Queues every file of `files` on the pipeline.
    fn feed_files<'s, T, M, D>(&self, pipe: &mut Pipeline<'_, 's, T, M, D>, files: &[PathBuf])
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        for path in files {
            let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
            let file = pipe.summaries.len();
            let head = match read_head(path) {
                Ok(h) => h,
                Err(e) => {
                    pipe.summaries.push(InputSummary::new(name.clone(), Format::Unknown));
                    pipe.push_ready(file, failed(&name, format!("cannot read the file: {e}")));
                    continue;
                }
            };
            let format = crate::format::detect(&head);
            pipe.summaries.push(InputSummary::new(name.clone(), format));
            if format == Format::Evtx {
                match std::fs::File::open(path) {
                    Ok(f) => self.push_evtx(pipe, file, &name, std::io::BufReader::new(f)),
                    Err(e) => pipe.push_ready(file, failed(&name, format!("cannot read the file: {e}"))),
                }
                continue;
            }
            // Large XML exports and text traces: in pieces (see `sources::pieces`).
            if crate::sources::pieces::piecewise(format)
                && std::fs::metadata(path).is_ok_and(|m| m.len() > crate::sources::pieces::STREAM_ABOVE)
            {
                match std::fs::File::open(path) {
                    Ok(f) => self.push_text(pipe, file, &name, f, format, &head),
                    Err(e) => pipe.push_ready(file, failed(&name, format!("cannot read the file: {e}"))),
                }
                continue;
            }
            // Other formats: read the whole file on a worker, into a buffer.
            let inner = self.single_threaded();
            let path = path.clone();
            pipe.push(
                file,
                Box::new(move || {
                    let mut collect = Collect::default();
                    let out = match std::fs::read(&path) {
                        Ok(bytes) => {
                            let s = inner.read_bytes(name.clone(), &bytes, &mut collect);
                            Output { records: s.records, skipped: s.skipped, filtered: s.filtered, ..Output::default() }
                        }
                        Err(e) => failed(&name, format!("cannot read the file: {e}")),
                    };
                    let out = merge_collect(out, collect);
                    match &inner.lines {
                        Some(format) => out.settle_lines(format),
                        None => out,
                    }
                }),
            );
        }
    }

    /// Queues the pieces of a large text input on the pipeline: the calling
    /// thread reads the file in blocks and cuts them where a record starts;
    /// each piece is decoded and parsed on a worker (see `sources::pieces`).
    fn push_text<'s, T, M, D>(
        &self,
        pipe: &mut Pipeline<'_, 's, T, M, D>,
        file: usize,
        name: &Arc<str>,
        mut data: std::fs::File,
        format: Format,
        head: &[u8],
    ) where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
    {
        use crate::sources::pieces::{ends_with_line_feed, last_cut, line_breaks, Layout, PIECE};
        use std::io::Read;
        let layout = Layout::of(head);
        let mut buf: Vec<u8> = Vec::new();
        let mut want = PIECE;
        let mut eof = false;
        let mut read_error = None;
        let mut consumed = 0u64;
        let mut bom = layout.bom;
        let mut first_line = 1u64;
        let mut pieces = 0u64;
        loop {
            while buf.len() < want && !eof {
                let old = buf.len();
                buf.resize(want, 0);
                let got = data.read(buf.get_mut(old..).unwrap_or_default());
                match got {
                    Ok(0) => {
                        buf.truncate(old);
                        eof = true;
                    }
                    Ok(n) => buf.truncate(old + n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                    Err(e) => {
                        buf.truncate(old);
                        read_error = Some(e);
                        eof = true;
                    }
                }
            }
            if bom > 0 {
                let n = bom.min(buf.len());
                buf.drain(..n);
                consumed += n as u64;
                bom = 0;
            }
            if buf.is_empty() {
                break;
            }
            let cut = if eof { Some(buf.len()) } else { last_cut(&buf, format, layout) };
            let Some(cut) = cut else {
                // One record larger than the piece so far: read more.
                want = want.saturating_mul(2);
                continue;
            };
            let rest = buf.split_off(cut);
            let piece = std::mem::replace(&mut buf, rest);
            let breaks = line_breaks(&piece, layout);
            let last_line = first_line + breaks - u64::from(breaks > 0 && ends_with_line_feed(&piece, layout));
            let whole = pieces == 0 && eof && buf.is_empty();
            let lines = (first_line, last_line.max(first_line));
            consumed += piece.len() as u64;
            pieces += 1;
            let (name, options, out_lines, unit) =
                (name.clone(), self.options.clone(), self.lines.clone(), next_unit());
            pipe.push(
                file,
                Box::new(move || {
                    let mut collect = Collect::default();
                    let mut summary = InputSummary::new(name.clone(), format);
                    crate::sources::pieces::read_piece(
                        &options,
                        format,
                        name,
                        &piece,
                        layout,
                        lines,
                        Some(unit),
                        whole,
                        &mut collect,
                        &mut summary,
                    );
                    let out = Output {
                        records: summary.records,
                        skipped: summary.skipped,
                        filtered: summary.filtered,
                        ..Output::default()
                    };
                    let out = merge_collect(out, collect);
                    match &out_lines {
                        Some(format) => out.settle_lines(format),
                        None => out,
                    }
                }),
            );
            first_line += breaks;
            want = buf.len() + PIECE;
        }
        if let Some(e) = read_error {
            pipe.push_ready(
                file,
                Output::one_skipped(Diagnostic::skipped(
                    name.clone(),
                    crate::model::Locator::Offset { offset: consumed },
                    format!("reading stopped {consumed} bytes into the file: {e}"),
                )),
            );
        }
    }

    /// Queues every chunk of an evtx source on the pipeline.
    fn push_evtx<'s, T, M, D, R>(&self, pipe: &mut Pipeline<'_, 's, T, M, D>, file: usize, name: &Arc<str>, mut data: R)
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(T),
        R: std::io::Read + std::io::Seek,
    {
        if let Some(d) = crate::evtx_check::check_header_stream(name, &mut data) {
            let mut note = Output::default();
            note.items.push(Item::Diagnostic(d));
            pipe.push_ready(file, note);
        }
        let tail = crate::evtx::tail_of(&mut data);
        let chunks = match crate::evtx::open(name, data) {
            Ok(c) => c,
            Err(d) => {
                let o = Output::one_skipped(d);
                pipe.push_ready(file, o);
                return;
            }
        };
        let per_job = if self.options.event_filter.is_some() { CHUNKS_PER_JOB } else { 1 };
        let mut batch: Vec<Job> = Vec::with_capacity(per_job);
        for chunk in chunks {
            match chunk {
                Ok(c) => {
                    let name = name.clone();
                    let options = self.options.clone();
                    let lines = self.lines.clone();
                    let unit = next_unit();
                    let pool = self.contents.clone();
                    batch.push(Box::new(move || {
                        pool.with(|contents| {
                            crate::evtx::decode_chunk(&name, c, (&options, lines.as_deref()), Some(unit), contents)
                        })
                    }));
                    if batch.len() >= per_job {
                        pipe.push_batch(file, std::mem::take(&mut batch));
                    }
                }
                Err(d) => {
                    // What is queued goes first: output stays in file order.
                    pipe.push_batch(file, std::mem::take(&mut batch));
                    let o = Output::one_skipped(d);
                    pipe.push_ready(file, o);
                }
            }
        }
        pipe.push_batch(file, batch);
        if let Some(t) = tail {
            let name = name.clone();
            let options = self.options.clone();
            let lines = self.lines.clone();
            let unit = next_unit();
            let pool = self.contents.clone();
            pipe.push(
                file,
                Box::new(move || {
                    pool.with(|contents| {
                        crate::evtx::decode_tail(&name, t, (&options, lines.as_deref()), Some(unit), contents)
                    })
                }),
            );
        }
    }

    /// The same reader on one thread (for work already running on the pool).
    fn single_threaded(&self) -> Reader {
        Reader {
            options: ReadOptions { threads: 1, ..self.options.clone() },
            contents: self.contents.clone(),
            lines: self.lines.clone(),
        }
    }

    /// Reads an input already in memory; `name` is how records and diagnostics will name it.
    pub fn read_bytes(&self, name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink) -> InputSummary {
        let format = crate::format::detect(&bytes[..bytes.len().min(64 * 1024)]);
        let mut summary = InputSummary::new(name.clone(), format);
        match format {
            Format::Evtx => {
                if self.options.threads == 1 {
                    crate::evtx::read_evtx(name, bytes, &self.options, sink, &mut summary)
                } else {
                    let summaries = self.run_pipeline(
                        Feed::Evtx(&name, bytes),
                        &|unit: Unit| unit,
                        |unit: Unit| unit.deliver(&mut *sink),
                        vec![summary.clone()],
                    );
                    if let Some(s) = summaries.into_iter().next() {
                        summary = s;
                    }
                }
            }
            Format::Etl => crate::etl::read_etl(name, bytes, &self.options, sink, &mut summary),
            Format::EventXml
            | Format::TracerptXml
            | Format::TracerptCsv
            | Format::EtwText
            | Format::Netstat
            | Format::Tcpvcon
            | Format::Tasklist
            | Format::Reg
            | Format::PowerShellList
            | Format::Zip => crate::sources::read_format(self, format, name, bytes, sink, &mut summary),
            _ => {
                sink.diagnostic(Diagnostic::note(
                    name,
                    crate::model::Locator::File,
                    crate::sources::unknown_reason(bytes),
                ));
            }
        }
        summary
    }
}

/// The first bytes of a file, enough to recognise its format.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    Ok(head)
}

fn failed(name: &Arc<str>, message: String) -> Output {
    let mut o = Output::default();
    o.items.push(Item::Diagnostic(Diagnostic::failed(name.clone(), message)));
    o
}

fn merge_collect(mut out: Output, collect: Collect) -> Output {
    out.items.extend(collect.records.into_iter().map(Item::Record));
    out.items.extend(collect.diagnostics.into_iter().map(Item::Diagnostic));
    out
}

/// One unit of decoded input, as [`Reader::read_paths_map`] hands it to its
/// map function: the records and diagnostics of one evtx chunk (or of the
/// records after a log's last full chunk), of one whole file of another
/// format, or diagnostics the reader raised itself (a file it could not
/// open, a damaged header, the folder walk), in input order.
#[derive(Debug, Default)]
pub struct Unit {
    /// Index of the input in the summaries `read_paths_map` returns; `None`
    /// for the folder walk's diagnostics.
    input: Option<usize>,
    items: Vec<Item>,
    /// JSON lines ([`Reader::read_paths_lines`]).
    lines: Vec<u8>,
    line_count: u64,
}

/// One entry of a [`Unit`]: a record or a diagnostic.
#[derive(Debug)]
pub enum Entry {
    /// A record read.
    Record(Record),
    /// Something skipped or noted while reading.
    Diagnostic(Diagnostic),
}

impl Unit {
    /// Index of the input this unit comes from in the [`InputSummary`] list
    /// the read returns; `None` for diagnostics of the folder walk, which
    /// belong to no input file.
    pub fn input(&self) -> Option<usize> {
        self.input
    }

    /// Number of entries (records and diagnostics; lines are counted by
    /// [`Unit::line_count`]).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the unit holds no record, no diagnostic and no line.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.line_count == 0
    }

    /// The records as JSON lines, in input order, when read by
    /// [`Reader::read_paths_lines`] (empty otherwise).
    pub fn lines(&self) -> &[u8] {
        &self.lines
    }

    /// Takes the lines out of the unit (see [`Unit::lines`]).
    pub fn take_lines(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.lines)
    }

    /// How many lines [`Unit::lines`] holds.
    pub fn line_count(&self) -> u64 {
        self.line_count
    }

    /// The records, in input order.
    pub fn records(&self) -> impl Iterator<Item = &Record> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Record(r) => Some(r),
            Item::Diagnostic(_) | Item::Line(..) => None,
        })
    }

    /// The diagnostics, in input order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Diagnostic(d) => Some(d),
            Item::Record(_) | Item::Line(..) => None,
        })
    }

    /// Every record and diagnostic, by value, in input order.
    pub fn into_entries(self) -> impl Iterator<Item = Entry> {
        self.items.into_iter().filter_map(|i| match i {
            Item::Record(r) => Some(Entry::Record(r)),
            Item::Diagnostic(d) => Some(Entry::Diagnostic(d)),
            Item::Line(..) => None,
        })
    }

    /// Gives every record and diagnostic to `sink`, in input order (what
    /// [`Reader::read_paths`] does with each unit).
    pub fn deliver(self, sink: &mut dyn Sink) {
        for item in self.items {
            match item {
                Item::Record(r) => sink.record(r),
                Item::Diagnostic(d) => sink.diagnostic(d),
                Item::Line(..) => {}
            }
        }
    }
}

/// The counts of one unit, added to its input's summary on delivery.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    records: u64,
    skipped: u64,
    filtered: u64,
    stale: u64,
}

/// Splits a decoder's output into its counts and a [`Unit`].
fn split(file: usize, out: Output) -> (Counts, Unit) {
    let counts = Counts { records: out.records, skipped: out.skipped, filtered: out.filtered, stale: out.stale };
    (counts, Unit { input: Some(file), items: out.items, lines: out.lines, line_count: out.line_count })
}

/// What a pipeline reads: files by path, or one evtx log in memory (its
/// summary is the pipeline's first).
enum Feed<'a> {
    Files(&'a [PathBuf]),
    Evtx(&'a Arc<str>, &'a [u8]),
}

/// Runs `f`, turning a panic into `None` (the panic message still goes to
/// the panic hook, as for any panic).
fn caught<R>(f: impl FnOnce() -> R) -> Option<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// A unit of work for the pool.
type Job = Box<dyn FnOnce() -> Output + Send>;

/// Work handed to the pool, waiting to be delivered in order.
enum Pending<T> {
    Done(usize, Counts, T),
    /// A batch of jobs of one file, each mapped (`None`: it panicked).
    Running(usize, std::sync::mpsc::Receiver<Vec<Option<(Counts, T)>>>),
}

/// Chunks of one evtx file decoded by one pool job, one after another, when
/// an event filter is set: a job per 64 KiB chunk cost more in hand-offs
/// between threads (a channel, a wake-up, a context switch each) than a few
/// chunks take to decode when little comes out of them. Without a filter a
/// chunk's output is every event (or, for `dump`, its text), and outputs
/// made on the workers in fours and freed on the calling thread made the
/// allocator hold on to more and more memory (`dump` of the 1 GiB log:
/// peak RSS 20 MB with one chunk per job, 57 MB with four).
const CHUNKS_PER_JOB: usize = 4;

/// Runs jobs on a thread pool with a bounded number in flight, maps each
/// job's output on the worker that produced it, and delivers the results
/// strictly in the order the jobs were pushed. The output is therefore the
/// same for any number of threads, and memory holds at most `2 × threads`
/// jobs' worth of results (a job is one unit, or up to [`CHUNKS_PER_JOB`]
/// evtx chunks).
struct Pipeline<'p, 'scope, T, M: ?Sized, D> {
    /// The scope to spawn on; `None` runs every job on the calling thread.
    scope: Option<&'p rayon::Scope<'scope>>,
    map: &'scope M,
    deliver: D,
    queue: VecDeque<Pending<T>>,
    cap: usize,
    summaries: Vec<InputSummary>,
}

impl<'scope, T, M, D> Pipeline<'_, 'scope, T, M, D>
where
    T: Send + 'scope,
    M: Fn(Unit) -> T + Sync + ?Sized,
    D: FnMut(T),
{
    fn push(&mut self, file: usize, job: Job) {
        self.push_batch(file, vec![job]);
    }

    /// Queues jobs of one file to run one after another on one worker; their
    /// units are delivered in order, as if pushed one by one.
    fn push_batch(&mut self, file: usize, jobs: Vec<Job>) {
        let Some(scope) = self.scope else {
            let map = self.map;
            for job in jobs {
                let done = caught(|| {
                    let (counts, unit) = split(file, job());
                    (counts, map(unit))
                });
                let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
                self.queue_or_deliver(file, counts, t);
            }
            return;
        };
        if jobs.is_empty() {
            return;
        }
        while self.queue.len() >= self.cap {
            self.deliver_front();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let map = self.map;
        scope.spawn(move |_| {
            // A panic (in the decoder or in `map`) costs its job only: the
            // delivering side turns `None` into a diagnostic. Caught here so
            // that the scope does not re-raise it at its end.
            let done: Vec<Option<(Counts, T)>> = jobs
                .into_iter()
                .map(|job| {
                    caught(|| {
                        let (counts, unit) = split(file, job());
                        (counts, map(unit))
                    })
                })
                .collect();
            let _ = tx.send(done);
        });
        self.queue.push_back(Pending::Running(file, rx));
    }

    /// Queues an output made on the calling thread; it is mapped here, now.
    fn push_ready(&mut self, file: usize, out: Output) {
        let map = self.map;
        let done = caught(|| {
            let (counts, unit) = split(file, out);
            (counts, map(unit))
        });
        let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
        self.queue_or_deliver(file, counts, t);
    }

    fn queue_or_deliver(&mut self, file: usize, counts: Counts, t: T) {
        if self.queue.is_empty() {
            self.deliver(file, counts, t);
        } else {
            self.queue.push_back(Pending::Done(file, counts, t));
        }
    }

    /// The mapped stand-in for a unit whose decoding or mapping panicked: one
    /// skipped-data diagnostic, mapped on the calling thread.
    fn internal_error(&self, file: usize) -> (Counts, T) {
        let name = self.summaries.get(file).map(|s| s.path.clone()).unwrap_or_else(|| Arc::from(""));
        let o = Output::one_skipped(Diagnostic::skipped(
            name,
            crate::model::Locator::File,
            "internal error while decoding part of this input; that part was skipped",
        ));
        let (counts, unit) = split(file, o);
        (counts, (self.map)(unit))
    }

    fn deliver(&mut self, file: usize, counts: Counts, t: T) {
        if let Some(summary) = self.summaries.get_mut(file) {
            summary.records += counts.records;
            summary.skipped += counts.skipped;
            summary.filtered += counts.filtered;
            summary.stale += counts.stale;
        }
        (self.deliver)(t);
    }

    fn deliver_front(&mut self) {
        let Some(front) = self.queue.pop_front() else { return };
        match front {
            Pending::Done(file, counts, t) => self.deliver(file, counts, t),
            Pending::Running(file, rx) => match rx.recv() {
                Ok(batch) => {
                    for done in batch {
                        let (counts, t) = done.unwrap_or_else(|| self.internal_error(file));
                        self.deliver(file, counts, t);
                    }
                }
                // The worker died before sending (it cannot: panics are caught).
                Err(_) => {
                    let (counts, t) = self.internal_error(file);
                    self.deliver(file, counts, t);
                }
            },
        }
    }

    fn finish(&mut self) -> Vec<InputSummary> {
        while !self.queue.is_empty() {
            self.deliver_front();
        }
        std::mem::take(&mut self.summaries)
    }
}
