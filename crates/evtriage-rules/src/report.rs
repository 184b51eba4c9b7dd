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
    /// Stale records found in `.evtx` slack space, never used by the rules.
    #[serde(skip_serializing_if = "is_zero")]
    pub stale: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<&InputSummary> for InputEntry {
    fn from(s: &InputSummary) -> Self {
        InputEntry {
            path: s.path.to_string(),
            format: s.format.name().to_string(),
            records: s.records,
            skipped: s.skipped,
            filtered: s.filtered,
            stale: s.stale,
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
    /// The inputs from which no record at all was read, with the reason
    /// (not a format evtriage reads, unreadable, damaged, empty): every
    /// report shows them before the findings.
    pub unread: Vec<UnreadEntry>,
}

/// An input from which nothing was read, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadEntry {
    /// The input (`archive.zip!member` for an archive member).
    pub path: String,
    /// Why nothing was read from it.
    pub reason: String,
}

impl Report {
    /// A report from reader summaries, findings and diagnostics.
    ///
    /// Findings are put in report order (see [`report_order`]).
    pub fn new(inputs: &[InputSummary], mut findings: Vec<Finding>, diagnostics: &[Diagnostic]) -> Self {
        findings.sort_by(report_order);
        Report {
            version: crate::REPORT_VERSION,
            inputs: inputs.iter().map(InputEntry::from).collect(),
            findings,
            diagnostics: diagnostics.iter().map(DiagnosticEntry::from).collect(),
            unread: evtriage_core::unread(inputs, diagnostics)
                .into_iter()
                .map(|u| UnreadEntry { path: u.path.to_string(), reason: u.reason })
                .collect(),
        }
    }
}

/// The order every report lists findings in, across computers: security
/// findings first, then faults, then by-design (info) ones; within a kind,
/// specific findings before generic ones, then the surest first, then the
/// earliest; ties by computer and rule.
pub fn report_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    a.kind
        .rank()
        .cmp(&b.kind.rank())
        .then_with(|| a.generic.cmp(&b.generic))
        .then_with(|| b.confidence.cmp(&a.confidence))
        .then_with(|| match (a.first_time(), b.first_time()) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.computer.cmp(&b.computer))
        .then_with(|| a.rule.cmp(&b.rule))
        .then_with(|| a.service.cmp(&b.service))
}

impl Report {
    /// How many findings are problems: faults and security findings (not
    /// [`Kind::Info`]). `evtriage analyze` exits 1 when there are any.
    pub fn faults(&self) -> usize {
        self.findings.iter().filter(|f| f.kind.is_problem()).count()
    }

    /// How many findings are security findings.
    pub fn security(&self) -> usize {
        self.findings.iter().filter(|f| f.kind == Kind::Security).count()
    }

    /// The sentence that heads the list of unread inputs, when there are
    /// any: "nothing could be read" when no record at all was, else how many
    /// inputs could not be (every report format shows it first).
    pub fn unread_heading(&self) -> Option<String> {
        if self.unread.is_empty() {
            return None;
        }
        let records: u64 = self.inputs.iter().map(|i| i.records).sum();
        Some(if records == 0 {
            "Nothing could be read: no finding can be trusted to mean \"healthy\".".to_string()
        } else {
            let n = self.unread.len();
            format!(
                "{n} input{} could not be read; nothing below rests on {}:",
                plural(n),
                if n == 1 { "it" } else { "them" }
            )
        })
    }

    /// The computers that problem findings are about (faults and security).
    pub fn problem_computers(&self) -> std::collections::BTreeSet<&str> {
        self.findings.iter().filter(|f| f.kind.is_problem()).map(|f| f.computer.as_str()).collect()
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
    /// The label a finding starts with: `[SECURITY, LIKELY]` (magenta),
    /// `[CONFIRMED]`…, or `[INFO]`; then the computer.
    fn label(&self, f: &Finding) -> String {
        let label = match f.kind {
            Kind::Security => self.wrap("1;35", &format!("[SECURITY, {}]", f.confidence.name().to_uppercase())),
            Kind::Fault => self.confidence(f.confidence),
            Kind::Info => self.dim("[INFO]"),
        };
        format!("{label} {}", self.bold(&f.computer))
    }
}

impl ReportSink for TextReport {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let p = Paint(self.color);
        // What could not be read comes first: a report is never silently healthy.
        if let Some(head) = report.unread_heading() {
            writeln!(out, "{}", p.wrap("1;33", &head))?;
            for u in report.unread.iter().take(MAX_UNREAD_LISTED) {
                writeln!(out, "  {}: {}", u.path, u.reason)?;
            }
            if report.unread.len() > MAX_UNREAD_LISTED {
                writeln!(
                    out,
                    "  … and {} more (`evtriage inputs` lists them all)",
                    report.unread.len() - MAX_UNREAD_LISTED
                )?;
            }
            writeln!(out)?;
        }
        let records: u64 = report.inputs.iter().map(|i| i.records).sum();
        let problems: Vec<&Finding> = report.findings.iter().filter(|f| f.kind.is_problem()).collect();
        let security = report.security();
        let infos: Vec<&Finding> = report.findings.iter().filter(|f| f.kind == Kind::Info).collect();
        let computers = report.problem_computers();
        let security_note = if security == 0 { String::new() } else { format!(" ({security} security)") };
        let info_note =
            if infos.is_empty() { String::new() } else { format!(", {} not a fault (by design)", infos.len()) };
        writeln!(
            out,
            "{}",
            p.bold(&format!(
                "evtriage: {} finding{}{} on {} computer{}{} ({} input{}, {} records, {} diagnostic{})",
                problems.len(),
                plural(problems.len()),
                security_note,
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
        // In report order (security, faults, info; surest and earliest first), across computers.
        for f in &problems {
            write_finding(&p, f, &p.label(f), out)?;
        }
        if !infos.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("== Not a fault (by design) =="))?;
            for f in &infos {
                write_finding(&p, f, &p.label(f), out)?;
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

/// At most this many unread inputs are listed at the top of a report.
pub const MAX_UNREAD_LISTED: usize = 20;

fn write_finding(p: &Paint, f: &Finding, label: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    let kb = if f.kb.is_empty() { String::new() } else { format!("{} ", f.kb.join(", ")) };
    writeln!(out, "{label}: {}{}", p.bold(&kb), p.bold(&f.title))?;
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
    if !f.items.is_empty() {
        writeln!(out, "  Services ({}):", f.items.len())?;
        for i in &f.items {
            let when = match (i.first, i.last) {
                (Some(a), Some(b)) if a != b => format!(
                    ", {} to {}",
                    a.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    b.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                (Some(a), _) => format!(", {}", a.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                _ => String::new(),
            };
            writeln!(out, "    - {}: {} ({}×{when})", i.service_label(), i.detail, i.count)?;
        }
    }
    if !f.sources.is_empty() {
        writeln!(out, "  Sources:")?;
        for s in &f.sources {
            let kb = s.kb_id().map(|k| format!(" ({k})")).unwrap_or_default();
            let who = s.third_party().map(|p| format!(" [third-party: {p}]")).unwrap_or_default();
            let url = s.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default();
            writeln!(out, "    - {}{kb}{who}{url}", s.title)?;
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
