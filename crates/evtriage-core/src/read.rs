//! The [`Reader`] facade: paths in, records and diagnostics out (see its
//! documentation for the order and threading guarantees).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contract::{Collect, Format, InputSummary, JsonLines, ReadOptions, Sink};
use crate::diag::Diagnostic;
use crate::locale::{Found, Locale};
use crate::model::Record;
use crate::pipeline::{Delivered, Job, Pipeline, CHUNKS_PER_JOB};
use crate::twins::{Lenders, TwinSet};
use crate::work::{merge_collect, Unit};
use crate::work::{Batch, Part};
use crate::zone::SourceTz;

///  Reading inputs: paths in, records and diagnostics out.
///
///  A [`Reader`] takes files, folders and archives, recognises each file by its
///  content ([`crate::format::detect`]), hands it to the right source, and
///  delivers every [`Record`](crate::Record) and [`Diagnostic`] to a [`Sink`]. It returns one
///  [`InputSummary`] per input file so that a report can say what was read.
///
///  Delivery order is stable: inputs in sorted path order, records in file
///  order (for evtx: chunk by chunk in record order, from the chunk holding the
///  oldest records, as Windows reads a log that has wrapped around), whatever
///  the number of threads.
///
///  Work is parallel across files and, inside an evtx file, across its 64 KiB
///  chunks: the calling thread reads chunks one after another (so a 1 GiB log
///  is never held in memory) and hands them to a thread pool (four at a time
///  when an event filter is set) ([`ReadOptions::threads`]); at most
///  `2 × threads` such jobs are in flight, and
///  their outputs are delivered to the [`Sink`] strictly in the order they were
///  handed out. Other formats are read whole on a worker. The sink itself is
///  only ever called from the calling thread.
///
///  When the work per record is worth doing in parallel too, use
///  [`Reader::read_paths_map`]: it runs a function on each [`Unit`] (one
///  chunk's or one file's records and diagnostics) on the worker that decoded
///  it and delivers the function's results, in the same order. `evtriage
///  dump` formats records there, so that records never cross threads and the
///  calling thread only writes bytes; [`Reader::read_paths`] is the same
///  pipeline with a map that hands the unit on unchanged.
///
///  When what is wanted is each record's JSON line ([`crate::jsonl::write_line`]),
///  [`Reader::read_paths_lines`] delivers units that hold lines instead of
///  records, written while decoding: an evtx record whose content was seen
///  before (everything but its time, record id, process and thread ids) is
///  written from the bytes of that content's line without being decoded
///  into an event, which is most of what `evtriage dump --format jsonl`
///  costs otherwise (see `evtx::content`).
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
    ///
    /// The sink hears of each input file before its first record
    /// ([`Sink::begin_input`]) and after its last ([`Sink::end_input`]).
    pub fn read_paths<P: AsRef<Path>>(&self, paths: &[P], sink: &mut dyn Sink) -> Vec<InputSummary> {
        let files = self.walk(paths, &mut |unit: Unit| unit.deliver(&mut *sink));
        sink.begin_read(&files);
        self.read_files(&files, &|unit: Unit| unit, |d: Delivered<'_, Unit>| match d {
            Delivered::Begin(s) => sink.begin_input(s),
            Delivered::Unit(unit) => unit.deliver(&mut *sink),
            Delivered::End(s) => sink.end_input(s),
        })
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
        let files = self.walk(paths, &mut |unit| deliver(map(unit)));
        self.read_files(&files, map, |d: Delivered<'_, T>| {
            if let Delivered::Unit(t) = d {
                deliver(t)
            }
        })
    }

    /// The files under `paths`, sorted and de-duplicated; the walk's
    /// diagnostics (paths that could not be opened), if any, go to `deliver`
    /// first, in one unit of no input.
    fn walk<P: AsRef<Path>>(&self, paths: &[P], deliver: &mut dyn FnMut(Unit)) -> Vec<PathBuf> {
        let mut walk = Collect::default();
        let mut files = Vec::new();
        let mut walker = crate::walk::Walk::new(paths, self.options.follow_symlinks);
        for p in paths {
            walker.collect(p.as_ref(), &mut files, &mut walk);
        }
        files.sort();
        files.dedup();
        if !walk.diagnostics.is_empty() {
            let items = walk.diagnostics.into_iter().map(Part::Diagnostic).collect();
            deliver(Unit::new(None, items, Vec::new(), 0));
        }
        files
    }

    #[doc(hidden)]
    /// [`Reader::read_paths_map`], with every record written as its JSON
    /// line ([`crate::jsonl::write_line`]) as `format` says: each [`Unit`]
    /// holds its records' lines ([`Unit::lines`], in input order) and its
    /// diagnostics, and no records. The bytes are those that formatting each
    /// record of [`Reader::read_paths_map`] with `write_line` would give
    /// (less the events [`JsonLines::keep`] drops); they are written while
    /// decoding, and repeated evtx content is not decoded again (see [`Reader`]).
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
        sink.begin_read(&files);
        self.read_files(&files, &|unit: Unit| unit, |d: Delivered<'_, Unit>| match d {
            Delivered::Begin(s) => sink.begin_input(s),
            Delivered::Unit(unit) => unit.deliver(&mut *sink),
            Delivered::End(s) => sink.end_input(s),
        })
        .pop()
        .unwrap_or_else(|| InputSummary::new(name, Format::Unknown))
    }

    /// Reads `files` in the order given, in parallel (see [`ReadOptions::threads`]),
    /// mapping each unit with `map` and delivering the results in that order.
    fn read_files<T, M, D>(&self, files: &[PathBuf], map: &M, deliver: D) -> Vec<InputSummary>
    where
        T: Send,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>),
    {
        crate::pipeline::run(
            self.options.threads,
            map,
            deliver,
            Vec::new(),
            Inputs { reader: self, what: ToRead::Files(files) },
        )
    }

    /// Queues every file of `files` on the pipeline.
    fn feed_files<'s, T, M, D>(&self, pipe: &mut Pipeline<'_, 's, T, M, D>, files: &[PathBuf])
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>),
    {
        let twins = self.twins(files);
        // Per folder, the zone its systeminfo gives; looked for only in the
        // folders of text exports that write local times (see `folder_zone`).
        let mut zones: HashMap<PathBuf, Option<(SourceTz, Arc<str>)>> = HashMap::new();
        for path in files {
            if twins.holds(path) {
                // Read after every binary log (see `twins`).
                continue;
            }
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
                let locale = self.locale_of(pipe, file, &name, path);
                let lenders = twins.lenders_for(path);
                match std::fs::File::open(path) {
                    Ok(f) => self.push_evtx(pipe, file, &name, std::io::BufReader::new(f), (locale, lenders)),
                    Err(e) => pipe.push_ready(file, failed(&name, format!("cannot read the file: {e}"))),
                }
                continue;
            }
            // Large XML exports, text traces and text exports of events: in pieces (see `sources::pieces`).
            if crate::sources::pieces::piecewise(format)
                && std::fs::metadata(path).is_ok_and(|m| m.len() > crate::sources::pieces::stream_above(&self.options))
            {
                let mut options = self.options.clone();
                if let Some((zone, from)) = self.zone_for(&mut zones, files, format, path) {
                    options.source_tz = Some(zone);
                    options.source_tz_from = Some(from);
                }
                match std::fs::File::open(path) {
                    Ok(f) => crate::sources::pieces::feed(
                        pipe,
                        file,
                        &name,
                        f,
                        (format, &head),
                        &options,
                        self.lines.as_ref(),
                    ),
                    Err(e) => pipe.push_ready(file, failed(&name, format!("cannot read the file: {e}"))),
                }
                continue;
            }
            // Not recognised from its first bytes: said from them, without
            // reading the rest (a 4 GiB file of zeros is not read to be called binary).
            if format == Format::Unknown {
                let note = crate::sources::unknown_reason(&head);
                pipe.push_ready(file, Batch::one_note(Diagnostic::note(name, crate::model::Locator::File, note)));
                continue;
            }
            // Text formats read whole (their records are held with them):
            // beyond a limit, not read rather than hold memory without bound.
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            if whole_text(format) && size > MAX_WHOLE_TEXT {
                pipe.push_ready(
                    file,
                    failed(
                        &name,
                        format!(
                            "{size} bytes of {format} output, more than the {} MiB a text input of this kind is read \
                             whole up to; not read (cut it into smaller files)",
                            MAX_WHOLE_TEXT >> 20
                        ),
                    ),
                );
                continue;
            }
            // Other formats: read the whole file on a worker, into a buffer.
            let mut inner = self.single_threaded();
            if let Some((zone, from)) = self.zone_for(&mut zones, files, format, path) {
                inner.options.source_tz = Some(zone);
                inner.options.source_tz_from = Some(from);
            }
            let path = path.clone();
            pipe.push(
                file,
                Box::new(move || {
                    let mut collect = Collect::default();
                    let out = match read_at_open(&path) {
                        Ok((bytes, grew)) => {
                            if let Some(note) = grew {
                                collect.diagnostics.push(Diagnostic::note(
                                    name.clone(),
                                    crate::model::Locator::File,
                                    note,
                                ));
                            }
                            let s = inner.read_bytes(name.clone(), &bytes, &mut collect);
                            Batch {
                                records: s.records,
                                skipped: s.skipped,
                                filtered: s.filtered,
                                members: s.members,
                                text: s.encoding.map(|e| (e, s.language)),
                                ..Batch::default()
                            }
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
        if twins.exports.is_empty() {
            return;
        }
        // Every binary log has been read: what each export did not lend is final.
        pipe.drain();
        let inner = self.single_threaded();
        for export in &twins.exports {
            let file = pipe.summaries.len();
            pipe.summaries.push(InputSummary::new(export.name.clone(), export.format));
            let (collect, s) = export.leftovers(self);
            if let Some(summary) = pipe.summaries.get_mut(file) {
                summary.paired = s.paired;
            }
            let out = Batch { records: s.records, skipped: s.skipped, filtered: s.filtered, ..Batch::default() };
            let out = merge_collect(out, collect);
            let out = match &inner.lines {
                Some(format) => out.settle_lines(format),
                None => out,
            };
            pipe.push_ready(file, out);
        }
    }

    /// The zone for an input of `format` at `path` when the user gave none:
    /// for a text export that writes local times, the zone a `systeminfo`
    /// capture in its folder gives ([`Reader::folder_zone`], once per folder).
    fn zone_for(
        &self,
        cache: &mut HashMap<PathBuf, Option<(SourceTz, Arc<str>)>>,
        files: &[PathBuf],
        format: Format,
        path: &Path,
    ) -> Option<(SourceTz, Arc<str>)> {
        if self.options.source_tz.is_some() || !format.writes_local_times() {
            return None;
        }
        let dir = path.parent()?;
        cache.entry(dir.to_path_buf()).or_insert_with(|| self.folder_zone(dir, files)).clone()
    }

    /// The time zone the `systeminfo` captures of folder `dir` give (the
    /// folder holds the captures of one computer), with the sentence saying
    /// so. Only small files (systeminfo output is a few KiB) are looked at;
    /// captures that disagree, or a zone evtriage cannot name, give none.
    fn folder_zone(&self, dir: &Path, files: &[PathBuf]) -> Option<(SourceTz, Arc<str>)> {
        let mut found: Option<Option<(SourceTz, Arc<str>)>> = None;
        for path in files.iter().filter(|p| p.parent() == Some(dir)) {
            if !std::fs::metadata(path).is_ok_and(|m| m.len() <= 1 << 20) {
                continue;
            }
            let Ok(head) = read_head(path) else { continue };
            if crate::format::detect(&head) != Format::Systeminfo {
                continue;
            }
            let mut collect = Collect::default();
            let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
            self.single_threaded().read_bytes(name.clone(), &head, &mut collect);
            for r in &collect.records {
                let crate::model::Record::Computer(c) = r else { continue };
                let Some(display) = c.time_zone.as_deref() else { continue };
                let zone = crate::zone::from_windows_display(display).map(|z| {
                    let host = c.computer.as_deref().unwrap_or("its computer");
                    let why: Arc<str> = Arc::from(format!(
                        "the time zone {name} gives for {host}, {display}; --source-tz overrides it"
                    ));
                    (z, why)
                });
                found = match found {
                    None => Some(zone),
                    // Two captures that disagree: no zone for the folder.
                    Some(prev) if prev.as_ref().map(|(z, _)| z.name()) == zone.as_ref().map(|(z, _)| z.name()) => {
                        Some(prev)
                    }
                    Some(_) => Some(None),
                };
            }
        }
        found.flatten()
    }

    /// The rendered exports among `files` that pair with a binary log in
    /// their folder (see `twins`). Only folders holding an `.evtx` and
    /// something else are looked at.
    fn twins(&self, files: &[PathBuf]) -> TwinSet {
        let mut dirs: Vec<&Path> = files.iter().filter_map(|p| p.parent()).collect();
        dirs.sort();
        let shared: Vec<&Path> =
            dirs.windows(2).filter_map(|w| if let [a, b] = w { (a == b).then_some(*a) } else { None }).collect();
        if shared.is_empty() {
            return TwinSet::default();
        }
        let typed: Vec<(PathBuf, Format)> = files
            .iter()
            .filter(|p| p.parent().is_some_and(|d| shared.contains(&d)))
            .filter_map(|p| Some((p.clone(), crate::format::detect(&read_head(p).ok()?))))
            .collect();
        if !typed.iter().any(|(_, f)| f.is_rendered_export()) {
            return TwinSet::default();
        }
        TwinSet::prepare(self, &typed)
    }

    /// The display information (LocaleMetaData) of the log at `path`, if
    /// any, with a note on the input saying which file was used, or why one
    /// was not.
    fn locale_of<'s, T, M, D>(
        &self,
        pipe: &mut Pipeline<'_, 's, T, M, D>,
        file: usize,
        name: &Arc<str>,
        path: &Path,
    ) -> Option<Arc<Locale>>
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>),
    {
        let (note, locale) = match crate::locale::find(path, self.options.locale) {
            Found::None => return None,
            Found::Locale(l) => (l.note(), Some(l)),
            Found::Unusable(mta, why) => (
                format!("LocaleMetaData {} not used ({why}); messages come from the built-in table", mta.display()),
                None,
            ),
        };
        let mut batch = Batch::default();
        batch.items.push(Part::Diagnostic(Diagnostic::note(name.clone(), crate::model::Locator::File, note)));
        pipe.push_ready(file, batch);
        locale
    }

    /// Queues every chunk of an evtx source on the pipeline; with rendered
    /// twins (`lenders`) or a `locale`, each delivered event gets its message
    /// and display names from its twin, else from the locale.
    fn push_evtx<'s, T, M, D, R>(
        &self,
        pipe: &mut Pipeline<'_, 's, T, M, D>,
        file: usize,
        name: &Arc<str>,
        mut data: R,
        (locale, lenders): (Option<Arc<Locale>>, Option<Arc<Lenders>>),
    ) where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>),
        R: std::io::Read + std::io::Seek,
    {
        if let Some(d) = crate::evtx::check::check_header_stream(name, &mut data) {
            let mut note = Batch::default();
            note.items.push(Part::Diagnostic(d));
            pipe.push_ready(file, note);
        }
        let tail = crate::evtx::tail_of(&mut data);
        let chunks = match crate::evtx::open(name, data) {
            Ok(c) => c,
            Err(d) => {
                let o = Batch::one_skipped(d);
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
                    let unit = crate::pipeline::next_unit();
                    let pool = self.contents.clone();
                    let locale = locale.clone();
                    let lenders = lenders.clone();
                    batch.push(Box::new(move || {
                        // With display information or twins, records are decoded
                        // whole and given their strings before they become lines.
                        let lend = (locale.as_deref(), lenders.as_deref());
                        let decode_lines = if lend.0.is_none() && lend.1.is_none() { lines.as_deref() } else { None };
                        let out = pool.with(|contents| {
                            crate::evtx::decode_chunk(&name, c, (&options, decode_lines), Some(unit), contents)
                        });
                        with_strings(out, lend, lines.as_deref())
                    }));
                    if batch.len() >= per_job {
                        pipe.push_batch(file, std::mem::take(&mut batch));
                    }
                }
                Err(d) => {
                    // What is queued goes first: output stays in file order.
                    pipe.push_batch(file, std::mem::take(&mut batch));
                    let o = Batch::one_skipped(d);
                    pipe.push_ready(file, o);
                }
            }
        }
        pipe.push_batch(file, batch);
        if let Some(t) = tail {
            let name = name.clone();
            let options = self.options.clone();
            let lines = self.lines.clone();
            let unit = crate::pipeline::next_unit();
            let pool = self.contents.clone();
            pipe.push(
                file,
                Box::new(move || {
                    let lend = (locale.as_deref(), lenders.as_deref());
                    let decode_lines = if lend.0.is_none() && lend.1.is_none() { lines.as_deref() } else { None };
                    let out = pool.with(|contents| {
                        crate::evtx::decode_tail(&name, t, (&options, decode_lines), Some(unit), contents)
                    });
                    with_strings(out, lend, lines.as_deref())
                }),
            );
        }
    }

    /// The same reader on one thread, without event filter and without
    /// lines: how rendered twins are read (see `twins`), so that every record
    /// of an export is indexed and found again in the same place.
    pub(crate) fn for_twins(&self) -> Reader {
        Reader {
            options: ReadOptions { threads: 1, event_filter: None, ..self.options.clone() },
            contents: self.contents.clone(),
            lines: None,
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
                    let summaries = crate::pipeline::run(
                        self.options.threads,
                        &|unit: Unit| unit,
                        |d: Delivered<'_, Unit>| {
                            if let Delivered::Unit(unit) = d {
                                unit.deliver(&mut *sink)
                            }
                        },
                        vec![summary.clone()],
                        Inputs { reader: self, what: ToRead::Evtx(&name, bytes) },
                    );
                    if let Some(s) = summaries.into_iter().next() {
                        summary = s;
                    }
                }
            }
            Format::LocaleMetaData => match crate::locale::check_mta_input(&name, bytes) {
                Ok(note) => sink.diagnostic(Diagnostic::note(name, crate::model::Locator::File, note)),
                Err(why) => sink.diagnostic(Diagnostic::failed(name, why)),
            },
            Format::Zip => {
                let member = |name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink| self.read_bytes(name, bytes, sink);
                let reader: Option<&dyn crate::twins::TwinReader> = Some(self);
                crate::sources::zip::read_zip_with(
                    &member,
                    reader,
                    name,
                    bytes,
                    sink,
                    &mut summary,
                    self.options.locale,
                )
            }
            Format::Tar | Format::Gzip | Format::Cab => {
                let member = |name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink| self.read_bytes(name, bytes, sink);
                let read = match format {
                    Format::Tar => crate::sources::archives::read_tar,
                    Format::Gzip => crate::sources::archives::read_gzip,
                    _ => crate::sources::archives::read_cab,
                };
                read(&member, name, bytes, sink, &mut summary)
            }
            Format::Etl => crate::etl::read_etl(name, bytes, &self.options, sink, &mut summary),
            Format::EventXml
            | Format::TracerptXml
            | Format::TracerptCsv
            | Format::EtwText
            | Format::Netstat
            | Format::Tcpvcon
            | Format::Tasklist
            | Format::ScQc
            | Format::Reg
            | Format::Systeminfo
            | Format::HotfixTable
            | Format::NetshPorts
            | Format::PowerShellList
            | Format::EventViewerCsv
            | Format::EventViewerText
            | Format::WevtutilText
            | Format::GetWinEventList
            | Format::GetWinEventCsv => {
                crate::sources::read_format(&self.options, format, name, bytes, sink, &mut summary)
            }
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

impl crate::twins::TwinReader for Reader {
    fn options(&self) -> &ReadOptions {
        &self.options
    }

    fn read_unfiltered(&self, name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink) -> InputSummary {
        self.for_twins().read_bytes(name, bytes, sink)
    }

    fn detect(&self, head: &[u8]) -> Format {
        crate::format::detect(head)
    }
}

/// The first bytes of a file, enough to recognise its format.
/// The largest text input of a format read whole (not in pieces) that is
/// read: such an input takes about ten times its size in memory with its
/// records (a 250 MB `tasklist` took 2.5 GB), so 64 MiB keeps it under 1 GB.
/// Real captures of these kinds are kilobytes.
pub const MAX_WHOLE_TEXT: u64 = 64 << 20;

/// Whether inputs of `format` are text read whole (snapshots and command
/// output other than netstat, Tcpvcon, tasklist, tracerpt CSV and `.reg`,
/// which are read in pieces).
fn whole_text(format: Format) -> bool {
    matches!(
        format,
        Format::ScQc | Format::Systeminfo | Format::HotfixTable | Format::NetshPorts | Format::PowerShellList
    )
}

/// A whole file, up to the size it had when opened, and a note when it
/// has grown since (see `pieces::grew_note`).
fn read_at_open(path: &Path) -> std::io::Result<(Vec<u8>, Option<String>)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let at_open = f.metadata()?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(at_open.min(1 << 30)).unwrap_or(0));
    (&mut f).take(at_open).read_to_end(&mut bytes)?;
    Ok((bytes, crate::sources::pieces::grew_note(&f, at_open)))
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    Ok(head)
}

/// `out` with every event given its strings from its rendered twin, else
/// from `locale` (when there are such), then written as JSON lines when lines
/// are wanted.
fn with_strings(
    mut out: Batch,
    (locale, lenders): (Option<&Locale>, Option<&Lenders>),
    lines: Option<&JsonLines>,
) -> Batch {
    if locale.is_none() && lenders.is_none() {
        return out;
    }
    for part in &mut out.items {
        if let Part::Record(Record::Event(e)) = part {
            crate::twins::lend_strings(e, locale, lenders);
        }
    }
    match lines {
        Some(format) => out.settle_lines(format),
        None => out,
    }
}

/// An output holding one diagnostic: the input could not be read at all.
fn failed(name: &Arc<str>, message: String) -> Batch {
    let mut o = Batch::default();
    o.items.push(Part::Diagnostic(Diagnostic::failed(name.clone(), message)));
    o
}

/// What a pipeline reads: files by path, or one evtx log in memory (its
/// summary is the pipeline's first).
enum ToRead<'a> {
    Files(&'a [PathBuf]),
    Evtx(&'a Arc<str>, &'a [u8]),
}

/// A reader's inputs, as a pipeline's feed.
struct Inputs<'a> {
    reader: &'a Reader,
    what: ToRead<'a>,
}

impl crate::pipeline::Feed for Inputs<'_> {
    fn feed<'s, T, M, D>(self, pipe: &mut Pipeline<'_, 's, T, M, D>)
    where
        T: Send + 's,
        M: Fn(Unit) -> T + Sync + ?Sized,
        D: FnMut(Delivered<'_, T>),
    {
        match self.what {
            ToRead::Files(files) => self.reader.feed_files(pipe, files),
            ToRead::Evtx(name, bytes) => {
                self.reader.push_evtx(pipe, 0, name, std::io::Cursor::new(bytes), (None, None))
            }
        }
    }
}
