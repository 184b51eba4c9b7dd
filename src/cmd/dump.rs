//! `evtriage dump PATH...`: print every record read, filtered, as JSON lines,
//! CSV or a readable table, streaming, with a summary on stderr.
//!
//! Records are formatted on the reader's workers
//! ([`Reader::read_paths_map`]): each evtx chunk (or whole text file) becomes
//! one byte buffer on the thread that decoded it, and the calling thread only
//! writes the buffers, in input order. So the output is the same for any
//! `--threads`, and records are freed on the thread that allocated them.
//! JSON lines are written by the reader itself while it decodes
//! ([`Reader::read_paths_lines`]), which writes repeated evtx content
//! without decoding it again.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use evtriage_core::{
    Diagnostic, Entry, Event, EventKey, JsonLines, KeepLine, LineFacts, ReadOptions, Reader, Record, Severity, Unit,
};
use evtriage_print::records::{self, RecordFormat};
use evtriage_print::Zone;

use crate::error::{Error, Outcome};
use crate::time::{parse_time, BareDate};

/// Output format of `dump` (see [`evtriage_print::records`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line (the model's JSON, see docs/model.md, plus `rendered`).
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// One readable line per record: time, level, provider, id, computer and
    /// the rendered message on one line.
    Table,
}

/// Arguments of `evtriage dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Files, folders (walked recursively) or zip archives to read.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: OutputFormat,
    /// Event ids to keep, e.g. `7023,7000-7045`.
    #[arg(long, value_parser = parse_ids)]
    pub id: Option<IdSet>,
    /// Keep events whose provider name contains this (case-insensitive).
    #[arg(long)]
    pub provider: Option<String>,
    /// Keep events of this channel (case-insensitive), e.g. `System`.
    #[arg(long)]
    pub channel: Option<String>,
    /// Keep events of these levels: names (`error`, `warning`, …) or numbers, comma-separated.
    #[arg(long, value_parser = parse_levels)]
    pub level: Option<LevelSet>,
    /// Keep events at or after this time (RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC; a date means its start).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Keep events at or before this time (RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC; a date means its end).
    #[arg(long, value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also print stale records carved from .evtx slack space, marked
    /// (`"recovered": true` in JSON, a column in table and CSV). By default
    /// only the logs' live records are printed and the stale ones are counted.
    #[arg(long)]
    pub recovered: bool,
    /// Follow symbolic links inside the folders given whose target lies
    /// outside every path given (by default they are listed as not read).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// The language of a log's display information (LocaleMetaData beside the
    /// .evtx) when it has several: an LCID (1031) or a name (de-DE); else en-US,
    /// else the one present.
    #[arg(long, value_name = "LCID|NAME", value_parser = crate::cmd::locale_arg)]
    pub locale: Option<u32>,
    /// The time zone of the machine that wrote text exports of events (Event
    /// Viewer CSV/text, wevtutil /f:text, Get-WinEvent output), which write
    /// local times without saying their zone: UTC (the default), an offset
    /// (+02:00, -0530) or an IANA name (Europe/Berlin, with daylight saving).
    #[arg(long, value_name = "ZONE", value_parser = crate::cmd::source_tz_arg, allow_hyphen_values = true)]
    pub source_tz: Option<evtriage_core::SourceTz>,
}

/// A set of event ids, as ranges.
#[derive(Debug, Clone)]
pub struct IdSet(Vec<(u32, u32)>);

impl IdSet {
    fn contains(&self, id: u32) -> bool {
        self.0.iter().any(|(a, b)| (*a..=*b).contains(&id))
    }
}

fn parse_ids(s: &str) -> Result<IdSet, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("`{part}` is not an event id or a range like 7000-7045");
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?),
            None => {
                let v: u32 = part.parse().map_err(|_| bad())?;
                (v, v)
            }
        };
        if a > b {
            return Err(format!("range `{part}` is backwards"));
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err("no event id given".into());
    }
    Ok(IdSet(out))
}

/// A set of levels.
#[derive(Debug, Clone)]
pub struct LevelSet(Vec<u8>);

impl LevelSet {
    fn contains(&self, level: Option<u8>) -> bool {
        let l = level.unwrap_or(0);
        // Level 0 ("log always") is shown as Information.
        self.0.iter().any(|x| *x == l || (*x == 4 && l == 0))
    }
}

fn parse_levels(s: &str) -> Result<LevelSet, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let v = match part.to_ascii_lowercase().as_str() {
            "critical" => 1,
            "error" => 2,
            "warning" | "warn" => 3,
            "information" | "info" => 4,
            "verbose" => 5,
            other => other.parse::<u8>().map_err(|_| {
                format!("`{part}` is not a level (critical, error, warning, information, verbose, or a number)")
            })?,
        };
        out.push(v);
    }
    if out.is_empty() {
        return Err("no level given".into());
    }
    Ok(LevelSet(out))
}

/// `--since`: a TIME (see [`crate::time`]), in UTC; a date means its start.
fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, Zone::Utc, BareDate::Start).ok_or_else(|| not_a_time(s))
}

/// `--until`: a TIME (see [`crate::time`]), in UTC; a date means its end.
fn parse_until(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, Zone::Utc, BareDate::End).ok_or_else(|| not_a_time(s))
}

fn not_a_time(s: &str) -> String {
    format!("`{s}` is neither an RFC 3339 time nor a date YYYY-MM-DD")
}

/// Filters that need the whole event (the cheap ones go into the reader's event filter).
struct LateFilter {
    channel: Option<String>,
    level: Option<LevelSet>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl LateFilter {
    fn is_empty(&self) -> bool {
        self.channel.is_none() && self.level.is_none() && self.since.is_none() && self.until.is_none()
    }

    fn wants(&self, e: &Event) -> bool {
        self.wants_facts(&LineFacts::of(e))
    }

    fn wants_facts(&self, e: &LineFacts<'_>) -> bool {
        if let Some(c) = &self.channel {
            if !e.channel.is_some_and(|x| x.eq_ignore_ascii_case(c)) {
                return false;
            }
        }
        if let Some(l) = &self.level {
            if !l.contains(e.level) {
                return false;
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = e.time else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        true
    }
}

/// How records are turned into output bytes (shared with the reader's workers).
struct Formatter {
    format: RecordFormat,
    /// `--recovered`: table and CSV get a column marking stale records.
    recovered: bool,
    late: Arc<LateFilter>,
    /// Bytes to reserve per record of a unit: learned from the units already
    /// formatted (a System log's JSON lines average about 840 bytes, a
    /// Security log's 1 600), so that a unit's buffer rarely grows. Only a
    /// capacity: the output does not depend on it.
    per_record: AtomicUsize,
}

/// One unit of input (an evtx chunk, a whole text file) formatted into output
/// bytes on the worker that decoded it.
#[derive(Default)]
struct Formatted {
    bytes: Vec<u8>,
    printed: u64,
    late_filtered: u64,
    diagnostics: Vec<Diagnostic>,
}

/// The first guess of [`Formatter::per_record`].
const BYTES_PER_RECORD: usize = 1024;

impl Formatter {
    fn unit(&self, mut unit: Unit) -> Formatted {
        if self.format == RecordFormat::JsonLines {
            // Written by the reader (see `read_paths_lines`).
            let bytes = unit.take_lines();
            let printed = unit.line_count();
            let diagnostics = unit.into_entries().filter_map(|e| match e {
                Entry::Diagnostic(d) => Some(d),
                Entry::Record(_) => None,
            });
            return Formatted { bytes, printed, late_filtered: 0, diagnostics: diagnostics.collect() };
        }
        let entries = unit.len();
        let per_record = self.per_record.load(Ordering::Relaxed);
        let mut out = Formatted { bytes: Vec::with_capacity(entries * per_record), ..Formatted::default() };
        // One message buffer for the whole unit.
        let mut message = String::new();
        for entry in unit.into_entries() {
            match entry {
                Entry::Record(r) => {
                    if let Record::Event(e) = &r {
                        if !self.late.wants(e) {
                            out.late_filtered += 1;
                            continue;
                        }
                    }
                    out.printed += 1;
                    records::write_record(self.format, self.recovered, &r, &mut out.bytes, &mut message);
                }
                Entry::Diagnostic(d) => out.diagnostics.push(d),
            }
        }
        if entries > 0 && out.printed > 0 {
            // The average of this unit and an eighth more.
            let avg = out.bytes.len() / entries;
            self.per_record.store((avg + avg / 8).clamp(64, 64 * 1024), Ordering::Relaxed);
        }
        out
    }
}

/// Receives the formatted units on the calling thread, in input order, and
/// writes them to stdout.
struct Printer<W: Write> {
    out: W,
    printed: u64,
    late_filtered: u64,
    diagnostics: Vec<Diagnostic>,
    /// The first write error; nothing more is written after it.
    failed: Option<io::Error>,
}

impl<W: Write> Printer<W> {
    fn new(out: W) -> Self {
        Printer { out, printed: 0, late_filtered: 0, diagnostics: Vec::new(), failed: None }
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.failed = Some(e);
            }
        }
    }

    fn take(&mut self, f: Formatted) {
        self.printed += f.printed;
        self.late_filtered += f.late_filtered;
        self.diagnostics.extend(f.diagnostics);
        self.write_bytes(&f.bytes);
    }

    /// Flushes the output.
    fn finish(&mut self) {
        if self.failed.is_none() {
            if let Err(e) = self.out.flush() {
                self.failed = Some(e);
            }
        }
    }
}

/// Runs `dump`: an error for a missing path, output that cannot be
/// written, or when no record at all could be read from the given paths.
pub fn run(args: DumpArgs) -> Result<Outcome, Error> {
    Error::check_paths(&args.paths)?;
    let mut options =
        ReadOptions::new().threads(args.threads).recovered(args.recovered).follow_symlinks(args.follow_symlinks);
    if let Some(lcid) = args.locale {
        options = options.locale(lcid);
    }
    if let Some(zone) = args.source_tz.clone() {
        options = options.source_tz(zone);
    }
    if args.id.is_some() || args.provider.is_some() {
        let ids = args.id.clone();
        let provider = args.provider.as_ref().map(|p| p.to_lowercase());
        options = options.event_filter(Arc::new(move |k: &EventKey<'_>| {
            if let Some(ids) = &ids {
                if !ids.contains(k.event_id) {
                    return false;
                }
            }
            if let Some(p) = &provider {
                let name = k.provider.map(str::to_lowercase).unwrap_or_default();
                let guid = k.guid.map(|g| g.to_string()).unwrap_or_default();
                if !name.contains(p.as_str()) && !guid.contains(p.as_str()) {
                    return false;
                }
            }
            true
        }));
    }
    let stdout = io::stdout();
    let format = match args.format {
        OutputFormat::Jsonl => RecordFormat::JsonLines,
        OutputFormat::Csv => RecordFormat::Csv,
        OutputFormat::Table => RecordFormat::Table,
    };
    let fmt = Formatter {
        format,
        recovered: args.recovered,
        late: Arc::new(LateFilter { channel: args.channel, level: args.level, since: args.since, until: args.until }),
        per_record: AtomicUsize::new(BYTES_PER_RECORD),
    };
    // Units arrive as buffers of 100 KiB and more (an evtx chunk's records),
    // written through as they are; the buffer only gathers small ones.
    let mut printer = Printer::new(BufWriter::with_capacity(32 * 1024, stdout.lock()));
    if format == RecordFormat::Csv {
        printer.write_bytes(records::csv_header(args.recovered).as_bytes());
    }
    let reader = Reader::new(options);
    // Each unit is formatted on the worker that decoded it; this thread only writes.
    let summaries = if format == RecordFormat::JsonLines {
        let late = fmt.late.clone();
        let keep: Option<KeepLine> =
            if late.is_empty() { None } else { Some(Arc::new(move |f: &LineFacts<'_>| late.wants_facts(f))) };
        let format = JsonLines { rendered: true, keep };
        reader.read_paths_lines(&args.paths, format, &|unit: Unit| fmt.unit(unit), |f| printer.take(f))
    } else {
        reader.read_paths_map(&args.paths, &|unit: Unit| fmt.unit(unit), |f| printer.take(f))
    };
    printer.finish();

    // Summary on stderr.
    let files = summaries.len();
    let read: u64 = summaries.iter().map(|s| s.records).sum();
    let skipped: u64 = summaries.iter().map(|s| s.skipped).sum();
    let filtered: u64 = summaries.iter().map(|s| s.filtered).sum::<u64>() + printer.late_filtered;
    let stale: u64 = summaries.iter().map(|s| s.stale).sum();
    let stale_note = match (stale, args.recovered) {
        (0, _) => String::new(),
        (n, false) => format!(", {n} stale record(s) in slack space not used (--recovered prints them)"),
        (n, true) => format!(", {n} of them stale (from slack space, marked recovered)"),
    };
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "evtriage: {files} file(s), {read} record(s) read{stale_note}, {} printed, {filtered} filtered out, {skipped} \
         skipped",
        printer.printed
    );
    // Sources and messages carry input text (file and member names): no terminal escapes.
    use crate::ui::safe;
    let mut groups: BTreeMap<(String, Severity), Vec<&Diagnostic>> = BTreeMap::new();
    for d in &printer.diagnostics {
        groups.entry((d.source.to_string(), d.severity)).or_default().push(d);
    }
    for ((source, severity), list) in &groups {
        let what = match severity {
            Severity::Note => "note",
            Severity::Skipped => "skipped",
            Severity::Failed => "error",
        };
        if list.len() == 1 {
            let _ = writeln!(err, "evtriage: {what}: {}", safe(&list[0].to_string()));
            continue;
        }
        let kind = if *severity == Severity::Note { "note(s)" } else { "problem(s)" };
        let _ = writeln!(err, "evtriage: {what}: {}: {} {kind}:", safe(source), list.len());
        for d in list.iter().take(5) {
            let _ = writeln!(err, "  {} {}", d.locator, safe(&d.message));
        }
        if list.len() > 5 {
            let _ = writeln!(err, "  … and {} more", list.len() - 5);
        }
    }
    drop(err);
    if let Some(e) = printer.failed.take() {
        return Err(Error::writing(e, |e| {
            Error::Write(format!("cannot write the records: {e}; check that the output is writable."))
        }));
    }
    let unread = evtriage_core::unread(&summaries, &printer.diagnostics);
    Error::nothing_read(&summaries, unread, "check them, or give the folder or zip that holds the logs.")?;
    Ok(Outcome::Success)
}
