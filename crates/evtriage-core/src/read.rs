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
//! is never held in memory) and hands each to a thread pool
//! ([`ReadOptions::threads`]); at most `2 × threads` units are in flight, and
//! their outputs are delivered to the [`Sink`] strictly in the order they were
//! handed out. Other formats are read whole on a worker. The sink itself is
//! only ever called from the calling thread.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
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
/// let options = ReadOptions { threads: 0, event_filter: Some(filter) };
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
}

/// The default reviewer: every event, completed.
struct PassAll;

impl Reviewer for PassAll {
    fn review(&mut self, _event: &crate::model::Event, _partial: bool) -> Verdict {
        Verdict::Complete
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
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
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
}

/// Applies a selection and a reviewer to an event that was built whole:
/// [`Verdict::Drop`] (filtered), [`Verdict::Repeat`] or [`Verdict::Deliver`].
pub(crate) fn keep_whole(
    selection: Selection,
    reviewer: &mut Option<Box<dyn Reviewer + '_>>,
    event: &crate::model::Event,
) -> Verdict {
    let verdict = match selection {
        Selection::Skip => Verdict::Drop,
        Selection::Deliver => Verdict::Deliver,
        Selection::Review | Selection::ReviewPartial => {
            reviewer.as_mut().map_or(Verdict::Deliver, |r| r.review(event, false))
        }
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
}

impl Reader {
    /// A reader with `options`.
    pub fn new(options: ReadOptions) -> Self {
        Reader { options }
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
        let mut files = Vec::new();
        for p in paths {
            crate::walk::collect_files(p.as_ref(), &mut files, sink);
        }
        files.sort();
        files.dedup();
        self.read_files(&files, sink)
    }

    /// Reads one file of any supported format.
    pub fn read_file(&self, path: &Path, sink: &mut dyn Sink) -> InputSummary {
        let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        self.read_files(&[path.to_path_buf()], sink).pop().unwrap_or(InputSummary {
            path: name,
            format: Format::Unknown,
            records: 0,
            skipped: 0,
            filtered: 0,
        })
    }

    /// Reads `files` in the order given, in parallel (see [`ReadOptions::threads`]),
    /// delivering in that order.
    fn read_files(&self, files: &[PathBuf], sink: &mut dyn Sink) -> Vec<InputSummary> {
        let mut pipe = Pipeline::new(self.options.threads, sink);
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
                    Ok(f) => self.push_evtx(&mut pipe, file, &name, std::io::BufReader::new(f)),
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
                            Output { items: Vec::new(), records: s.records, skipped: s.skipped, filtered: s.filtered }
                        }
                        Err(e) => failed(&name, format!("cannot read the file: {e}")),
                    };
                    merge_collect(out, collect)
                }),
            );
        }
        pipe.finish()
    }

    /// Queues every chunk of an evtx source on the pipeline.
    fn push_evtx<T: std::io::Read + std::io::Seek>(
        &self,
        pipe: &mut Pipeline<'_>,
        file: usize,
        name: &Arc<str>,
        mut data: T,
    ) {
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
        for chunk in chunks {
            match chunk {
                Ok(c) => {
                    let name = name.clone();
                    let options = self.options.clone();
                    let unit = pipe.next_unit();
                    pipe.push(file, Box::new(move || crate::evtx::decode_chunk(&name, c, &options, Some(unit))));
                }
                Err(d) => {
                    let o = Output::one_skipped(d);
                    pipe.push_ready(file, o);
                }
            }
        }
        if let Some(t) = tail {
            let name = name.clone();
            let options = self.options.clone();
            let unit = pipe.next_unit();
            pipe.push(file, Box::new(move || crate::evtx::decode_tail(&name, t, &options, Some(unit))));
        }
    }

    /// The same reader on one thread (for work already running on the pool).
    fn single_threaded(&self) -> Reader {
        Reader { options: ReadOptions { threads: 1, ..self.options.clone() } }
    }

    /// Reads an input already in memory; `name` is how records and diagnostics will name it.
    pub fn read_bytes(&self, name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink) -> InputSummary {
        let format = crate::format::detect(&bytes[..bytes.len().min(64 * 1024)]);
        let mut summary = InputSummary { path: name.clone(), format, records: 0, skipped: 0, filtered: 0 };
        match format {
            Format::Evtx => {
                if self.options.threads == 1 {
                    crate::evtx::read_evtx(name, bytes, &self.options, sink, &mut summary)
                } else {
                    let mut pipe = Pipeline::new(self.options.threads, sink);
                    pipe.summaries.push(summary.clone());
                    self.push_evtx(&mut pipe, 0, &name, std::io::Cursor::new(bytes));
                    if let Some(s) = pipe.finish().pop() {
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

impl InputSummary {
    fn new(path: Arc<str>, format: Format) -> Self {
        InputSummary { path, format, records: 0, skipped: 0, filtered: 0 }
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

/// A unit of work for the pool.
type Job = Box<dyn FnOnce() -> Output + Send>;

/// Work handed to the pool, waiting to be delivered in order.
enum Pending {
    Done(usize, Output),
    Running(usize, std::sync::mpsc::Receiver<Output>),
}

/// Runs jobs on a thread pool with a bounded number in flight, and delivers
/// their outputs to the sink strictly in the order the jobs were pushed. The
/// output is therefore the same for any number of threads, and memory holds
/// at most `2 × threads` units' worth of records.
struct Pipeline<'s> {
    pool: Option<rayon::ThreadPool>,
    queue: VecDeque<Pending>,
    cap: usize,
    sink: &'s mut dyn Sink,
    summaries: Vec<InputSummary>,
    /// Units of work this pipeline numbered (see [`EventFilter::reviewer_at`]).
    units: u64,
}

impl<'s> Pipeline<'s> {
    fn new(threads: usize, sink: &'s mut dyn Sink) -> Self {
        let threads =
            if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        let pool = if threads > 1 {
            rayon::ThreadPoolBuilder::new().num_threads(threads).panic_handler(|_| {}).build().ok()
        } else {
            None
        };
        Pipeline { pool, queue: VecDeque::new(), cap: threads * 2, sink, summaries: Vec::new(), units: 0 }
    }

    /// The number of the next unit of work: ascending in delivery order,
    /// and unique in the process (so that a filter used for several reads
    /// into one sink sees every later read's units after the earlier ones').
    fn next_unit(&mut self) -> u64 {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.units += 1;
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn push(&mut self, file: usize, job: Job) {
        if self.pool.is_none() {
            let out = job();
            self.push_ready(file, out);
            return;
        }
        while self.queue.len() >= self.cap {
            self.deliver_front();
        }
        if let Some(pool) = &self.pool {
            let (tx, rx) = std::sync::mpsc::channel();
            pool.spawn(move || {
                let _ = tx.send(job());
            });
            self.queue.push_back(Pending::Running(file, rx));
        }
    }

    fn push_ready(&mut self, file: usize, out: Output) {
        if self.queue.is_empty() {
            self.deliver(file, out);
        } else {
            self.queue.push_back(Pending::Done(file, out));
        }
    }

    fn deliver(&mut self, file: usize, out: Output) {
        match self.summaries.get_mut(file) {
            Some(summary) => out.deliver(self.sink, summary),
            None => {
                let mut scratch = InputSummary::new(Arc::from(""), Format::Unknown);
                out.deliver(self.sink, &mut scratch);
            }
        }
    }

    fn deliver_front(&mut self) {
        let Some(front) = self.queue.pop_front() else { return };
        let (file, out) = match front {
            Pending::Done(file, out) => (file, out),
            Pending::Running(file, rx) => match rx.recv() {
                Ok(out) => (file, out),
                Err(_) => {
                    let name = self.summaries.get(file).map(|s| s.path.clone()).unwrap_or_else(|| Arc::from(""));
                    let o = Output::one_skipped(Diagnostic::skipped(
                        name,
                        crate::model::Locator::File,
                        "internal error while decoding part of this input; that part was skipped",
                    ));
                    (file, o)
                }
            },
        };
        self.deliver(file, out);
    }

    fn finish(mut self) -> Vec<InputSummary> {
        while !self.queue.is_empty() {
            self.deliver_front();
        }
        self.summaries
    }
}
