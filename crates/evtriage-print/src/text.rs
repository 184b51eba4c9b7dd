//! The analysis report as text for a terminal, and the terminal's colours.
//!
//! Findings come in report order (security, faults, by design; surest and
//! earliest first, across computers), each with its rule, cause, what to do,
//! sources and evidence. By-design findings ([`Kind::Info`]) come last under
//! "Not a fault (by design)", and the summary line counts problems only.
//!
//! Colour is ANSI SGR ([`paint`]), the one way evtriage colours anything;
//! input text in the report must still go through
//! `evtriage_core::display::terminal_safe` (keeping colours) before it reaches a
//! terminal.

use std::io::{self, Write};

use evtriage_rules::{Confidence, Finding, Kind, Report, Role};

use crate::time::rfc3339;
use crate::{plural, unread_heading, ReportSink, MAX_UNREAD_LISTED};

/// `text` wrapped in the SGR style `code` (e.g. `"1;31"`, bold red) when
/// `on`, else `text` as it is.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Human-readable text, grouped by computer, with ANSI colour when asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextReport {
    /// Whether to colour the output (on a terminal, unless `NO_COLOR` is set).
    pub color: bool,
}

/// The report's styles, on or off.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        paint(self.0, code, text)
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
        if let Some(head) = unread_heading(report) {
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
        // What the captures say of the computers (systeminfo, Get-ComputerInfo).
        if !report.computers.is_empty() {
            writeln!(out, "{}", p.bold("Computers (from systeminfo / Get-ComputerInfo):"))?;
            for c in &report.computers {
                writeln!(out, "  {}", c.line())?;
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
        let time = e.time.as_ref().map(rfc3339).unwrap_or_else(|| "(snapshot)".into());
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
