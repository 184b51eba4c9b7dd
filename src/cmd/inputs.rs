//! `evtriage inputs PATH...`: what each input file is and how much of it was read.
//!
//! For every file (folders are walked, zip members are read in place) it
//! prints the format recognised, the records read, the records or lines
//! skipped, and the diagnostics — so a support engineer sees at once which
//! files evtriage did not understand and why.

use std::io::Write;
use std::path::PathBuf;

use evtriage_core::{Diagnostic, InputSummary, Reader, Record, Sink};
use serde::Serialize;

use crate::error::{Error, Outcome};

/// Output shape of `evtriage inputs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputsFormat {
    /// One line per file, diagnostics indented below it.
    Table,
    /// One JSON document: an array of files with their diagnostics.
    Json,
}

/// A sink that keeps diagnostics and only counts records.
#[derive(Default)]
struct CountSink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink for CountSink {
    fn record(&mut self, _record: Record) {}
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

#[derive(Serialize)]
struct FileReport<'a> {
    #[serde(flatten)]
    summary: &'a InputSummary,
    diagnostics: Vec<&'a Diagnostic>,
}

#[derive(Serialize)]
struct Report<'a> {
    files: Vec<FileReport<'a>>,
    /// Diagnostics not tied to a file read (paths that could not be opened).
    other: Vec<&'a Diagnostic>,
    /// The inputs from which no record was read, with the reason.
    unread: &'a [evtriage_core::Unread],
}

/// Whether `d` is about the input `path` (or a member of it, `path!member`).
fn belongs(d: &Diagnostic, path: &str) -> bool {
    let s: &str = &d.source;
    s == path || s.strip_prefix(path).is_some_and(|rest| rest.starts_with('!'))
}

/// Runs `evtriage inputs`: an error for a missing path, or when no record
/// at all could be read (after the list, which says why).
pub fn run(paths: &[PathBuf], format: InputsFormat, ui: super::ui::Ui) -> Result<Outcome, Error> {
    ui.check_paths(paths)?;
    let reader = Reader::default();
    let mut sink = CountSink::default();
    let summaries = reader.read_paths(paths, &mut sink);
    let mut used = vec![false; sink.diagnostics.len()];
    let files: Vec<FileReport<'_>> = summaries
        .iter()
        .map(|s| {
            let diagnostics = sink
                .diagnostics
                .iter()
                .enumerate()
                .filter(|(_, d)| belongs(d, &s.path))
                .map(|(i, d)| {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    d
                })
                .collect();
            FileReport { summary: s, diagnostics }
        })
        .collect();
    let other: Vec<&Diagnostic> = sink.diagnostics.iter().zip(&used).filter(|(_, u)| !**u).map(|(d, _)| d).collect();
    let unread = evtriage_core::unread(&summaries, &sink.diagnostics);
    let report = Report { files, other, unread: &unread };
    let mut out = std::io::stdout().lock();
    let written = match format {
        InputsFormat::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| Error::Unlabelled(format!("cannot write the report as JSON: {e}")))?;
            writeln!(out, "{json}")
        }
        InputsFormat::Table => print_table(&mut out, &report),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| Error::writing(e, |e| Error::Unlabelled(format!("cannot write the report: {e}"))))?;
    Error::nothing_read(&summaries, Vec::new(), "the list above says why for each input.")?;
    Ok(Outcome::Success)
}

fn print_table(out: &mut impl Write, report: &Report<'_>) -> std::io::Result<()> {
    let width = report.files.iter().map(|f| f.summary.path.chars().count()).max().unwrap_or(4).clamp(4, 80);
    writeln!(
        out,
        "{:<width$}  {:<15}  {:>8}  {:>8}  {:>8}  {:>8}",
        "FILE", "FORMAT", "RECORDS", "SKIPPED", "FILTERED", "STALE"
    )?;
    // Paths, member names and messages come from the inputs: printed through terminal_safe.
    use super::ui::safe;
    for f in &report.files {
        let s = f.summary;
        writeln!(
            out,
            "{:<width$}  {:<15}  {:>8}  {:>8}  {:>8}  {:>8}",
            safe(&s.path),
            s.format.name(),
            s.records,
            s.skipped,
            s.filtered,
            s.stale
        )?;
        if s.stale > 0 {
            writeln!(
                out,
                "    note: {} stale record(s) in slack space, not used (dump, timeline and analyze show them with \
                 --recovered, marked)",
                s.stale
            )?;
        }
        for d in &f.diagnostics {
            let sev = match d.severity {
                evtriage_core::Severity::Note => "note",
                evtriage_core::Severity::Skipped => "skipped",
                evtriage_core::Severity::Failed => "FAILED",
            };
            match d.source.strip_prefix(&*s.path).and_then(|m| m.strip_prefix('!')) {
                Some(member) => writeln!(out, "    {sev}: {} ({}): {}", safe(member), d.locator, safe(&d.message))?,
                None => writeln!(out, "    {sev} ({}): {}", d.locator, safe(&d.message))?,
            }
        }
    }
    for d in &report.other {
        writeln!(out, "{}", safe(&d.to_string()))?;
    }
    if !report.unread.is_empty() {
        writeln!(out, "Not read ({}):", report.unread.len())?;
        for u in report.unread {
            writeln!(out, "  {}: {}", safe(&u.path), safe(&u.reason))?;
        }
    }
    let total: u64 = report.files.iter().map(|f| f.summary.records).sum();
    let skipped: u64 = report.files.iter().map(|f| f.summary.skipped).sum();
    let unknown = report.files.iter().filter(|f| f.summary.format == evtriage_core::Format::Unknown).count();
    writeln!(out, "{} file(s), {total} record(s) read, {skipped} skipped, {unknown} not recognised", report.files.len())
}
