//! Reports: the outcome of an analysis, and the sinks that write it.
//!
//! A [`Report`] is plain data (what was read, the findings, the diagnostics).
//! A [`ReportSink`] writes it in one format; [`TextReport`] (human, optional
//! colour) and [`JsonReport`] (the versioned JSON contract) are here, and
//! other formats (HTML, Markdown) are further implementations of the same
//! trait.
//!
//! The JSON contract (version [`crate::REPORT_VERSION`]); fields may be
//! added, never removed or renamed:
//! ```text
//! {"version": 1,
//!  "inputs":   [{"path": "...", "format": "...", "records": N, "skipped": N}],
//!  "findings": [{"rule": "...", "title": "...", "kind": "fault|info", "kb": ["KB4530043"], "confidence": "confirmed|likely|possible",
//!                "computer": "...", "cause": "...", "remediation": ["..."],
//!                "evidence": [{"source": "...", "locator": "...", "time": "<RFC 3339 UTC>", "summary": "..."}]}],
//!  "diagnostics": [{"source": "...", "locator": "...", "message": "..."}]}
//! ```
//! Evidence from snapshots (netstat rows, registry values) has `"time": null`.
//!
//! Findings of `"kind": "info"` name by-design behaviour that looks like a
//! fault in the logs (W32Time stopping after boot on a workgroup machine).
//! The text report lists them after the faults under "Not a fault (by
//! design)", the summary line counts faults only, and [`Report::faults`]
//! (what `evtriage analyze` bases its exit status on) leaves them out.

use std::io::{self, Write};

use evtriage_core::{Diagnostic, InputSummary};
use serde::Serialize;

use crate::finding::{Confidence, Finding, Kind, Role};

/// One input as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputEntry {
    /// The path.
    pub path: String,
    /// The format recognised (`evtx`, `netstat`, …).
    pub format: String,
    /// Records read.
    pub records: u64,
    /// Records or lines skipped as unreadable.
    pub skipped: u64,
    /// Events read but not decoded because no rule uses them.
    pub filtered: u64,
}

impl From<&InputSummary> for InputEntry {
    fn from(s: &InputSummary) -> Self {
        InputEntry {
            path: s.path.to_string(),
            format: s.format.name().to_string(),
            records: s.records,
            skipped: s.skipped,
            filtered: s.filtered,
        }
    }
}

/// One diagnostic as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticEntry {
    /// The input.
    pub source: String,
    /// The place (`line 7`, `record 12 (chunk 0)`, `file`).
    pub locator: String,
    /// What happened.
    pub message: String,
    /// `note`, `skipped` or `failed`.
    pub severity: String,
}

impl From<&Diagnostic> for DiagnosticEntry {
    fn from(d: &Diagnostic) -> Self {
        let severity = match d.severity {
            evtriage_core::Severity::Note => "note",
            evtriage_core::Severity::Skipped => "skipped",
            evtriage_core::Severity::Failed => "failed",
        };
        DiagnosticEntry {
            source: d.source.to_string(),
            locator: d.locator.to_string(),
            message: d.message.clone(),
            severity: severity.to_string(),
        }
    }
}

/// The outcome of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Contract version ([`crate::REPORT_VERSION`]).
    pub version: u32,
    /// What was read.
    pub inputs: Vec<InputEntry>,
    /// The findings, grouped by computer.
    pub findings: Vec<Finding>,
    /// What could not be read.
    pub diagnostics: Vec<DiagnosticEntry>,
}

impl Report {
    /// A report from reader summaries, findings and diagnostics.
    pub fn new(inputs: &[InputSummary], findings: Vec<Finding>, diagnostics: &[Diagnostic]) -> Self {
        Report {
            version: crate::REPORT_VERSION,
            inputs: inputs.iter().map(InputEntry::from).collect(),
            findings,
            diagnostics: diagnostics.iter().map(DiagnosticEntry::from).collect(),
        }
    }
}

impl Report {
    /// How many findings are faults (not [`Kind::Info`]).
    pub fn faults(&self) -> usize {
        self.findings.iter().filter(|f| f.kind == Kind::Fault).count()
    }
}

/// Writes a [`Report`] in one format.
pub trait ReportSink {
    /// Writes the whole report to `out`.
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// The JSON contract, pretty-printed, with a final newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonReport;

impl ReportSink for JsonReport {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// Human-readable text, grouped by computer, with ANSI colour when asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextReport {
    /// Whether to colour the output (on a terminal, unless `NO_COLOR` is set).
    pub color: bool,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn confidence(&self, c: Confidence) -> String {
        let label = format!("[{}]", c.name().to_uppercase());
        match c {
            Confidence::Confirmed => self.wrap("1;31", &label),
            Confidence::Likely => self.wrap("1;33", &label),
            Confidence::Possible => self.wrap("1;36", &label),
        }
    }
}

impl ReportSink for TextReport {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let p = Paint(self.color);
        let records: u64 = report.inputs.iter().map(|i| i.records).sum();
        let faults: Vec<&Finding> = report.findings.iter().filter(|f| f.kind == Kind::Fault).collect();
        let infos: Vec<&Finding> = report.findings.iter().filter(|f| f.kind != Kind::Fault).collect();
        let computers: std::collections::BTreeSet<&str> = faults.iter().map(|f| f.computer.as_str()).collect();
        let info_note =
            if infos.is_empty() { String::new() } else { format!(", {} not a fault (by design)", infos.len()) };
        writeln!(
            out,
            "{}",
            p.bold(&format!(
                "evtriage: {} finding{} on {} computer{}{} ({} input{}, {} records, {} diagnostic{})",
                faults.len(),
                plural(faults.len()),
                computers.len(),
                plural(computers.len()),
                info_note,
                report.inputs.len(),
                plural(report.inputs.len()),
                records,
                report.diagnostics.len(),
                plural(report.diagnostics.len()),
            ))
        )?;
        let mut current: Option<&str> = None;
        for f in &faults {
            if current != Some(f.computer.as_str()) {
                current = Some(f.computer.as_str());
                writeln!(out)?;
                writeln!(out, "{}", p.bold(&format!("== {} ==", f.computer)))?;
            }
            write_finding(&p, f, &p.confidence(f.confidence), out)?;
        }
        if !infos.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("== Not a fault (by design) =="))?;
            for f in &infos {
                let label = p.dim(&format!("[INFO] {}", f.computer));
                write_finding(&p, f, &label, out)?;
            }
        }
        let notable: Vec<&_> = report.diagnostics.iter().filter(|d| d.severity != "note").collect();
        if !notable.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("Could not read everything:"))?;
            for d in notable {
                writeln!(out, "  {} ({}): {}", d.source, d.locator, d.message)?;
            }
        }
        Ok(())
    }
}

fn write_finding(p: &Paint, f: &Finding, label: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    let kb = if f.kb.is_empty() { String::new() } else { format!("{} ", f.kb.join(", ")) };
    writeln!(out, "{} {}{}", label, p.bold(&kb), p.bold(&f.title))?;
    writeln!(out, "  {}", p.dim(&format!("rule {}", f.rule)))?;
    let cause_label = if f.kind == Kind::Info { "Why" } else { "Cause" };
    writeln!(out, "  {cause_label}: {}", f.cause)?;
    if !f.remediation.is_empty() {
        let steps = if f.kind == Kind::Info { "If it matters" } else { "What to do" };
        writeln!(out, "  {steps}:")?;
        for (i, step) in f.remediation.iter().enumerate() {
            writeln!(out, "    {}. {}", i + 1, step)?;
        }
    }
    if f.occurrences > 1 {
        writeln!(out, "  Seen {} times.", f.occurrences)?;
    }
    writeln!(out, "  Evidence:")?;
    for e in &f.evidence {
        let time = e
            .time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_else(|| "(snapshot)".into());
        let role = match e.role {
            Role::Anchor => "*",
            Role::Corroboration => "+",
            Role::Context => "-",
        };
        writeln!(out, "    {role} {}  {} ({})", time, e.source, e.locator)?;
        writeln!(out, "      {}", e.summary)?;
    }
    if f.omitted > 0 {
        writeln!(out, "    … and {} more occurrences not listed", f.omitted)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
