//! The outcome of an analysis: a [`Report`] is plain data (what was read,
//! the findings in report order, the diagnostics, what could not be read).
//! It is written in each format by the `evtriage-print` crate (text, JSON,
//! HTML, Markdown); the JSON is this type's serialisation.
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
//! The reports list them after the faults under "Not a fault (by
//! design)", the summary line counts faults only, and [`Report::faults`]
//! (what `evtriage analyze` bases its exit status on) leaves them out.

use evtriage_core::{Diagnostic, InputSummary};
use serde::Serialize;

use crate::finding::{Finding, Kind};

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
    /// What systeminfo or Get-ComputerInfo captures say of the computers:
    /// operating system, role, domain, time zone (see [`Report::with_computers`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub computers: Vec<ComputerEntry>,
}

/// A computer as a systeminfo or Get-ComputerInfo capture describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComputerEntry {
    /// Host name.
    pub name: String,
    /// Operating system name, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// OS build number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<u32>,
    /// Role (`Primary Domain Controller`, `Member Server`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Time zone, as printed (`(UTC+01:00) Amsterdam, Berlin, …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Installed updates it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<u32>,
    /// The capture it comes from (`file (line N)`).
    pub source: String,
}

impl ComputerEntry {
    /// One line for a report header: `DC01: Microsoft Windows Server 2019 …
    /// (build 17763), Primary Domain Controller, domain contoso.com, time
    /// zone (UTC+01:00) Amsterdam, …`.
    pub fn line(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(os) = &self.os {
            parts.push(match self.build {
                Some(b) => format!("{os} (build {b})"),
                None => os.clone(),
            });
        }
        parts.extend(self.role.clone());
        parts.extend(self.domain.as_ref().map(|d| format!("domain {d}")));
        parts.extend(self.time_zone.as_ref().map(|z| format!("time zone {z}")));
        parts.extend(self.updates.map(|n| format!("{n} installed update(s) listed")));
        format!("{}: {}", self.name, parts.join(", "))
    }
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
            computers: Vec::new(),
        }
    }

    /// The report with what `captures` (systeminfo, Get-ComputerInfo) say of
    /// the computers: one entry per computer, the fullest capture of each.
    pub fn with_computers(mut self, captures: &[evtriage_core::ComputerInfo]) -> Self {
        for c in captures {
            let Some(name) = c.computer.as_deref().map(str::trim).filter(|n| !n.is_empty()) else { continue };
            let entry = ComputerEntry {
                name: name.to_string(),
                os: c.os_name.clone(),
                build: c.os_build,
                role: c.role.clone(),
                domain: c.domain.clone(),
                time_zone: c.time_zone.clone(),
                updates: c.hotfix_count,
                source: format!("{} ({})", c.origin.source, c.origin.locator),
            };
            let filled = |e: &ComputerEntry| {
                [e.os.is_some(), e.build.is_some(), e.role.is_some(), e.domain.is_some(), e.time_zone.is_some()]
                    .iter()
                    .filter(|b| **b)
                    .count()
            };
            match self.computers.iter_mut().find(|e| e.name.eq_ignore_ascii_case(name)) {
                Some(e) if filled(&entry) > filled(e) => *e = entry,
                Some(_) => {}
                None => self.computers.push(entry),
            }
        }
        self.computers.sort_by_key(|c| c.name.to_lowercase());
        self
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

    /// The computers that problem findings are about (faults and security).
    pub fn problem_computers(&self) -> std::collections::BTreeSet<&str> {
        self.findings.iter().filter(|f| f.kind.is_problem()).map(|f| f.computer.as_str()).collect()
    }
}
