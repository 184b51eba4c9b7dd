//! The Markdown report: paste it into a ticket or a case note.
//!
//! GitHub-flavoured Markdown (pipe tables), readable as plain text too. Text
//! from the inputs is escaped with [`markdown_escape`] so that a
//! message holding `|`, `*` or `<tag>` cannot break a table or inject markup
//! into the ticket system.

use std::io::{self, Write};

use evtriage_rules::{Finding, Kind, Report, Role};

use crate::{kb_url, level_name, show_time, unread_heading, ReportSink, Surroundings, MAX_UNREAD_LISTED};

use self::markdown_escape as md;

/// Writes a [`Report`] as Markdown.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownReport<'a> {
    /// The minutes around each finding, when gathered ([`crate::collect_surroundings`]).
    pub surroundings: Option<&'a Surroundings>,
}

fn kb_links(kb: &[String]) -> String {
    kb.iter()
        .map(|k| match kb_url(k) {
            Some(u) => format!("[{}]({u})", md(k)),
            None => md(k),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl ReportSink for MarkdownReport<'_> {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let records: u64 = report.inputs.iter().map(|i| i.records).sum();
        let computers = report.problem_computers();
        let security = report.security();
        writeln!(out, "# evtriage report\n")?;
        writeln!(
            out,
            "{} finding(s){} on {} computer(s){} · {} input(s), {} records read, {} diagnostic(s). Times are UTC.\n",
            report.faults(),
            if security > 0 { format!(" ({security} security)") } else { String::new() },
            computers.len(),
            match report.findings.len() - report.faults() {
                0 => String::new(),
                n => format!(", {n} not a fault (by design)"),
            },
            report.inputs.len(),
            records,
            report.diagnostics.len()
        )?;
        if let Some(head) = unread_heading(report) {
            writeln!(out, "> **{}**\n>", md(&head))?;
            for u in report.unread.iter().take(MAX_UNREAD_LISTED) {
                writeln!(out, "> - `{}`: {}", code(&u.path), md(&u.reason))?;
            }
            if report.unread.len() > MAX_UNREAD_LISTED {
                writeln!(out, "> - … and {} more", report.unread.len() - MAX_UNREAD_LISTED)?;
            }
            writeln!(out)?;
        }
        if !report.computers.is_empty() {
            writeln!(out, "Computers (from systeminfo / Get-ComputerInfo):\n")?;
            for c in &report.computers {
                writeln!(out, "- {}", md(&c.line()))?;
            }
            writeln!(out)?;
        }
        if report.findings.is_empty() {
            writeln!(out, "No known problem matched the inputs.\n")?;
        } else {
            writeln!(out, "| Finding | Computer | KB | Title | First seen |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for f in &report.findings {
                let first = f.first_time().map(|t| show_time(&t)).unwrap_or_else(|| "—".into());
                writeln!(
                    out,
                    "| **{}** | {} | {} | {} | {first} |",
                    label(f),
                    md(&f.computer),
                    kb_links(&f.kb),
                    md(&f.title)
                )?;
            }
            writeln!(out)?;
            writeln!(out, "## Findings\n")?;
        }
        for (i, f) in report.findings.iter().enumerate() {
            self.finding(out, i, f)?;
        }
        writeln!(out, "## Inputs\n")?;
        writeln!(out, "| File | Format | Records | Skipped | Stale (slack, not used) |")?;
        writeln!(out, "|---|---|---:|---:|---:|")?;
        for i in &report.inputs {
            writeln!(out, "| `{}` | {} | {} | {} | {} |", code(&i.path), md(&i.format), i.records, i.skipped, i.stale)?;
        }
        if !report.diagnostics.is_empty() {
            writeln!(out, "\n## Diagnostics\n")?;
            writeln!(out, "| Severity | Source | Where | What happened |")?;
            writeln!(out, "|---|---|---|---|")?;
            for d in &report.diagnostics {
                writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    md(&d.severity),
                    code(&d.source),
                    md(&d.locator),
                    md(&d.message)
                )?;
            }
        }
        Ok(())
    }
}

/// Escapes text for a Markdown table cell or paragraph: the characters that
/// could break a table, make a link or emphasis (`\ | [ ] *`) are
/// backslash-escaped, `<`/`>`/`&` become entities (so that no HTML from an
/// input reaches a renderer), and line breaks become spaces. Backticks and
/// underscores are left alone: rule texts use `code` spans, and underscores
/// inside names (`ERROR_BAD_NET_RESP`) are not emphasis in CommonMark.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a code span in a table: no backticks, pipes, line breaks
/// or other control characters (terminal escapes in a file or member name).
fn code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\r' | '\n' => ' ',
            c if c.is_control() && c != '\t' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// A finding's label: its confidence, NOT A FAULT for by-design behaviour
/// ([`Kind::Info`]), or SECURITY, <confidence>.
fn label(f: &Finding) -> String {
    match f.kind {
        Kind::Info => "NOT A FAULT".to_string(),
        Kind::Security => format!("SECURITY, {}", f.confidence.name().to_uppercase()),
        Kind::Fault => f.confidence.name().to_uppercase(),
    }
}

impl MarkdownReport<'_> {
    fn finding(&self, out: &mut dyn Write, index: usize, f: &Finding) -> io::Result<()> {
        let kb = if f.kb.is_empty() { String::new() } else { format!("{}: ", f.kb.join(", ")) };
        writeln!(out, "### [{}] {}{}\n", label(f), md(&kb), md(&f.title))?;
        if let Some(gloss) = f.kind.gloss() {
            writeln!(out, "{gloss}\n")?;
        }
        if !f.kb.is_empty() {
            writeln!(out, "- **KB:** {}", kb_links(&f.kb))?;
        }
        writeln!(out, "- **Computer:** {}", md(&f.computer))?;
        writeln!(out, "- **Rule:** `{}`", code(&f.rule))?;
        if let Some(s) = &f.service {
            writeln!(out, "- **Service:** `{}`", code(s))?;
        }
        writeln!(out, "- **Seen:** {} time(s)\n", f.occurrences)?;
        let cause_label = if f.kind == Kind::Info { "Why" } else { "Cause" };
        writeln!(out, "**{cause_label}.** {}\n", md(&f.cause))?;
        if !f.items.is_empty() {
            writeln!(out, "**Services ({})**\n", f.items.len())?;
            for it in &f.items {
                writeln!(out, "- **{}**: {} ({}×)", md(&it.service_label()), md(&it.detail), it.count)?;
            }
            writeln!(out)?;
        }
        if !f.remediation.is_empty() {
            writeln!(out, "**What to do**\n")?;
            for (n, step) in f.remediation.iter().enumerate() {
                writeln!(out, "{}. {}", n + 1, md(step))?;
            }
            writeln!(out)?;
        }
        if !f.sources.is_empty() {
            writeln!(out, "**Sources**\n")?;
            for src in &f.sources {
                let title = match &src.url {
                    Some(u) => format!("[{}]({})", md(&src.title), u.replace(')', "%29").replace(' ', "%20")),
                    None => md(&src.title),
                };
                let kb = src.kb_id().map(|k| format!(" ({})", md(&k))).unwrap_or_default();
                let who = src.third_party().map(|p| format!(" — third-party: {}", md(p))).unwrap_or_default();
                writeln!(out, "- {title}{kb}{who}: {}", md(src.says.trim()))?;
            }
            writeln!(out)?;
        }
        writeln!(out, "**Evidence**\n")?;
        writeln!(out, "| Role | Time (UTC) | What | Where |")?;
        writeln!(out, "|---|---|---|---|")?;
        for e in &f.evidence {
            let role = match e.role {
                Role::Anchor => "anchor",
                Role::Corroboration => "corroborates",
                Role::Context => "context",
            };
            let time = e.time.map(|t| show_time(&t)).unwrap_or_else(|| "snapshot".into());
            writeln!(out, "| {role} | {time} | {} | `{}` {} |", md(&e.summary), code(&e.source), md(&e.locator))?;
        }
        if f.omitted > 0 {
            writeln!(out, "\n…and {} more occurrence(s) not listed.", f.omitted)?;
        }
        writeln!(out)?;
        if let Some(ctx) = self.surroundings {
            let rows = ctx.for_finding(index);
            if !rows.is_empty() {
                writeln!(
                    out,
                    "<details><summary>Around it: {} event(s) within ±{} min</summary>\n",
                    rows.len(),
                    ctx.minutes
                )?;
                writeln!(out, "| Time (UTC) | Level | ID | Provider | Message |")?;
                writeln!(out, "|---|---|---:|---|---|")?;
                for r in rows {
                    let mark = if r.evidence { "**" } else { "" };
                    writeln!(
                        out,
                        "| {mark}{}{mark} | {} | {} | {} | {}{} |",
                        show_time(&r.time),
                        level_name(r.level),
                        r.event_id,
                        md(&r.provider),
                        if r.recovered { "*(recovered, stale)* " } else { "" },
                        md(&r.message)
                    )?;
                }
                writeln!(out, "\n</details>\n")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            markdown_escape("a|b *c* <img src=x> [l](u)\nnext `x` ERROR_BAD"),
            "a\\|b \\*c\\* &lt;img src=x&gt; \\[l\\](u) next `x` ERROR_BAD"
        );
    }
}
