//! The library's front door: [`Analyzer`] reads paths with the rules' event
//! filter, runs the rules and returns the [`Report`] — what `evtriage
//! analyze` does, in one call.

use std::path::{Path, PathBuf};

use evtriage_core::{Diagnostic, InputSummary, Origin, ReadOptions, Reader, Record, Sink};

use crate::engine::Engine;
use crate::report::Report;
use crate::rule::RuleSet;

/// What an [`Analyzer`] tells its progress callback, in order: the files
/// found, then for each file its beginning, the place of each record read
/// from it, and its end.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The folders were walked: these files will be read, in this order.
    Files(&'a [PathBuf]),
    /// A file begins (its format is known; its counts are zero).
    Begin(&'a InputSummary),
    /// A record of the current file was read; its origin says where it lies
    /// (for an evtx log, the chunk, whose index gives the byte position).
    Record(&'a Origin),
    /// A file was read; the summary holds its counts.
    End(&'a InputSummary),
}

/// A progress callback (see [`Analyzer::progress`]).
type ProgressFn<'p> = Box<dyn FnMut(Progress<'_>) + 'p>;

/// Runs the rules over logs, as `evtriage analyze` does.
///
/// ```
/// use evtriage_rules::{Analyzer, RuleSet};
///
/// # let case = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/example/dc1-case");
/// let rules = RuleSet::builtin()?;
/// let mut files = 0;
/// let report = Analyzer::new(rules)
///     .threads(2)
///     .progress(|p| if let evtriage_rules::Progress::End(_) = p { files += 1 })
///     .analyze(&[case]);
/// assert_eq!(files, report.inputs.len());
/// for finding in &report.findings {
///     println!("{} {:?} {} ({})", finding.rule, finding.confidence, finding.title, finding.computer);
/// }
/// assert!(report.findings.iter().any(|f| f.kb.iter().any(|kb| kb == "KB4530043")));
/// # Ok::<(), evtriage_rules::RuleError>(())
/// ```
pub struct Analyzer<'p> {
    rules: RuleSet,
    threads: usize,
    recovered: bool,
    follow_symlinks: bool,
    locale: Option<u32>,
    source_tz: Option<evtriage_core::SourceTz>,
    progress: Option<ProgressFn<'p>>,
}

impl std::fmt::Debug for Analyzer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("rules", &self.rules.rules().len())
            .field("threads", &self.threads)
            .field("recovered", &self.recovered)
            .field("follow_symlinks", &self.follow_symlinks)
            .field("locale", &self.locale)
            .field("source_tz", &self.source_tz.as_ref().map(|z| z.name()))
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl<'p> Analyzer<'p> {
    /// An analyzer with `rules` (e.g. [`RuleSet::builtin`]), one worker
    /// thread per core, stale records not read, no progress callback.
    pub fn new(rules: RuleSet) -> Self {
        Analyzer {
            rules,
            threads: 0,
            recovered: false,
            follow_symlinks: false,
            locale: None,
            source_tz: None,
            progress: None,
        }
    }

    /// Worker threads; 0 (the default) is one per core. The report is the
    /// same whatever the number.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Also reads stale records carved from `.evtx` slack space. The rules
    /// set them aside (no finding rests on one); they are counted. Off by
    /// default.
    pub fn recovered(mut self, recovered: bool) -> Self {
        self.recovered = recovered;
        self
    }

    /// Follows symbolic links whose target lies outside the paths given (see
    /// [`evtriage_core::ReadOptions::follow_symlinks`]). Off by default.
    pub fn follow_symlinks(mut self, follow: bool) -> Self {
        self.follow_symlinks = follow;
        self
    }

    /// The language of a log's display information (LocaleMetaData) when it
    /// has several: an LCID (see [`evtriage_core::ReadOptions::locale`]).
    pub fn locale(mut self, lcid: u32) -> Self {
        self.locale = Some(lcid);
        self
    }

    /// The zone of exports that write local times without saying it (see
    /// [`evtriage_core::ReadOptions::source_tz`]); UTC without it.
    pub fn source_tz(mut self, zone: evtriage_core::SourceTz) -> Self {
        self.source_tz = Some(zone);
        self
    }

    /// Calls `progress` on the calling thread as the inputs are read (see
    /// [`Progress`]).
    pub fn progress(mut self, progress: impl FnMut(Progress<'_>) + 'p) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Reads `paths` (files, folders, zip archives), runs the rules and
    /// returns the report. Never fails: what cannot be read is a diagnostic
    /// in the report, and an input that gave nothing is listed in
    /// [`Report::unread`].
    pub fn analyze<P: AsRef<Path>>(self, paths: &[P]) -> Report {
        let Analyzer { rules, threads, recovered, follow_symlinks, locale, source_tz, progress } = self;
        let mut engine = Engine::new(rules);
        let mut options = ReadOptions::new()
            .threads(threads)
            .recovered(recovered)
            .follow_symlinks(follow_symlinks)
            .event_filter(engine.event_filter());
        if let Some(lcid) = locale {
            options = options.locale(lcid);
        }
        if let Some(zone) = source_tz {
            options = options.source_tz(zone);
        }
        let reader = Reader::new(options);
        let inputs = match progress {
            None => reader.read_paths(paths, &mut engine),
            Some(progress) => reader.read_paths(paths, &mut Observed { engine: &mut engine, progress }),
        };
        let analysis = engine.finish();
        Report::new(&inputs, analysis.findings, &analysis.diagnostics)
            .with_computers(&analysis.computers)
            .with_computers(&analysis.computers)
    }
}

/// The engine's sink, with the progress callback told of everything.
struct Observed<'e, 'p> {
    engine: &'e mut Engine,
    progress: ProgressFn<'p>,
}

impl Sink for Observed<'_, '_> {
    fn record(&mut self, record: Record) {
        (self.progress)(Progress::Record(record.origin()));
        self.engine.record(record);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.engine.diagnostic(diagnostic);
    }
    fn begin_read(&mut self, files: &[PathBuf]) {
        (self.progress)(Progress::Files(files));
    }
    fn begin_input(&mut self, input: &InputSummary) {
        (self.progress)(Progress::Begin(input));
    }
    fn end_input(&mut self, input: &InputSummary) {
        (self.progress)(Progress::End(input));
    }
}
