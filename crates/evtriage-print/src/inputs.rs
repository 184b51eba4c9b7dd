//! The list of inputs as `inputs` prints it: each file with the format
//! recognised, the records read, skipped, filtered and stale, the encoding
//! and language of a text input, and its diagnostics; then what could not be read. A table for people, or one
//! JSON document.
//!
//! Paths, member names and messages come from the inputs: the table prints
//! them through `evtriage_core::display::terminal_safe`.

use std::borrow::Cow;
use std::io::{self, Write};

use evtriage_core::display::terminal_safe;
use evtriage_core::{Diagnostic, Format, InputSummary, Severity, Unread};
use serde::Serialize;

/// One input file with the diagnostics about it (or its members).
#[derive(Debug, Serialize)]
pub struct InputFile<'a> {
    /// What the reader says of the file.
    #[serde(flatten)]
    pub summary: &'a InputSummary,
    /// The diagnostics about it, in reading order.
    pub diagnostics: Vec<&'a Diagnostic>,
}

/// What `inputs` lists.
#[derive(Debug, Serialize)]
pub struct InputList<'a> {
    /// Every file read, in reading order.
    pub files: Vec<InputFile<'a>>,
    /// Diagnostics not tied to a file read (paths that could not be opened).
    pub other: Vec<&'a Diagnostic>,
    /// The inputs from which no record was read, with the reason.
    pub unread: &'a [Unread],
}

impl<'a> InputList<'a> {
    /// The list of what the reader said (`summaries`, `diagnostics`), each
    /// diagnostic under the file it is about (`path`, or a member of it,
    /// `path!member`).
    pub fn new(summaries: &'a [InputSummary], diagnostics: &'a [Diagnostic], unread: &'a [Unread]) -> Self {
        let mut used = vec![false; diagnostics.len()];
        let files = summaries
            .iter()
            .map(|s| {
                let diagnostics = diagnostics
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
                InputFile { summary: s, diagnostics }
            })
            .collect();
        let other = diagnostics.iter().zip(&used).filter(|(_, u)| !**u).map(|(d, _)| d).collect();
        InputList { files, other, unread }
    }

    /// The list as one pretty-printed JSON document (without a final newline).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The list as a table: one line per file, its diagnostics indented
    /// below it, then the inputs not read and the totals.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        let width = self.files.iter().map(|f| f.summary.path.chars().count()).max().unwrap_or(4).clamp(4, 80);
        writeln!(
            out,
            "{:<width$}  {:<15}  {:>8}  {:>8}  {:>8}  {:>8}",
            "FILE", "FORMAT", "RECORDS", "SKIPPED", "FILTERED", "STALE"
        )?;
        for f in &self.files {
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
            if let Some(enc) = &s.encoding {
                match s.language.as_deref() {
                    Some(lang) => {
                        writeln!(out, "    text: {enc}, {} ({lang})", evtriage_core::console::language_name(lang))?
                    }
                    None => writeln!(out, "    text: {enc}")?,
                }
            }
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
                    Severity::Note => "note",
                    Severity::Skipped => "skipped",
                    Severity::Failed => "FAILED",
                };
                match d.source.strip_prefix(&*s.path).and_then(|m| m.strip_prefix('!')) {
                    Some(member) => writeln!(out, "    {sev}: {} ({}): {}", safe(member), d.locator, safe(&d.message))?,
                    None => writeln!(out, "    {sev} ({}): {}", d.locator, safe(&d.message))?,
                }
            }
        }
        for d in &self.other {
            writeln!(out, "{}", safe(&d.to_string()))?;
        }
        if !self.unread.is_empty() {
            writeln!(out, "Not read ({}):", self.unread.len())?;
            for u in self.unread {
                writeln!(out, "  {}: {}", safe(&u.path), safe(&u.reason))?;
            }
        }
        let total: u64 = self.files.iter().map(|f| f.summary.records).sum();
        let skipped: u64 = self.files.iter().map(|f| f.summary.skipped).sum();
        let unknown = self.files.iter().filter(|f| f.summary.format == Format::Unknown).count();
        writeln!(
            out,
            "{} file(s), {total} record(s) read, {skipped} skipped, {unknown} not recognised",
            self.files.len()
        )
    }
}

/// Whether `d` is about the input `path` (or a member of it, `path!member`).
fn belongs(d: &Diagnostic, path: &str) -> bool {
    let s: &str = &d.source;
    s == path || s.strip_prefix(path).is_some_and(|rest| rest.starts_with('!'))
}

/// Input text made safe for a terminal.
fn safe(text: &str) -> Cow<'_, str> {
    terminal_safe(text, false)
}
