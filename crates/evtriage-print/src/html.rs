//! The HTML report: one self-contained file to attach to a case.
//!
//! Inline CSS, no JavaScript, no fonts, images or anything else fetched from
//! the network: it opens the same offline, in a mail client's preview or in a
//! ticket system's sandbox. Long sections use `<details>`, which folds
//! without script. Every string from the inputs (messages, paths, computer
//! names) is escaped with [`html_escape`]; the only markup is ours.
//!
//! Layout: the inputs that could not be read (first, when there are any), a
//! summary table, then each finding (KB links, cause, what to do, the
//! services of a generic finding, sources, evidence, and the minutes around
//! its anchor from [`crate::Surroundings`]), then the inputs read and the
//! diagnostics. Findings come in report order (security, faults, by design;
//! surest and earliest first, across computers), security ones in their own
//! colour.

use std::io::{self, Write};

use evtriage_rules::{Confidence, Finding, Kind, Report, Role};

use crate::{kb_url, level_name, plural, show_time, unread_heading, ReportSink, Surroundings, MAX_UNREAD_LISTED};

use self::html_escape as esc;

/// Writes a [`Report`] as one HTML page.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlReport<'a> {
    /// The minutes around each finding, when gathered ([`crate::collect_surroundings`]).
    pub surroundings: Option<&'a Surroundings>,
    /// The page title; `evtriage report` when `None`.
    pub title: Option<&'a str>,
}

const CSS: &str = r#"
:root { --fg:#1d2330; --muted:#5c6577; --line:#d9dee7; --bg:#ffffff; --band:#f5f7fa;
        --confirmed:#b3261e; --likely:#a15c00; --possible:#1f5f9e; --ev:#fff6d6; --security:#6a1b9a;
        --warn-bg:#fff4e5; --warn-line:#e0a030; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 8px; }
p.lead { color: var(--muted); margin: 0 0 16px; }
a { color: #0b57d0; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--band); font-weight: 600; font-size: 12.5px; color: var(--muted); white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.where { color: var(--muted); overflow-wrap: anywhere; max-width: 260px; }
td.loc { color: var(--muted); white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 11.5px;
         font-weight: 700; letter-spacing: .04em; text-transform: uppercase; vertical-align: 2px; }
.badge.confirmed { background: var(--confirmed); } .badge.likely { background: var(--likely); }
.badge.possible { background: var(--possible); }
.badge.info { background: var(--muted); }
.badge.security { background: var(--security); }
.badge.stale { background: #8a8f98; font-size: 10.5px; }
.finding.security { border-left-color: var(--security); }
.unread { background: var(--warn-bg); border: 1px solid var(--warn-line); border-radius: 6px; padding: 10px 16px; margin: 10px 0 18px; }
.unread h2 { border: 0; margin: 0 0 6px; font-size: 17px; }
.items li { margin: 2px 0; } .sources li { margin: 2px 0; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--possible); border-radius: 6px;
           padding: 14px 18px; margin: 14px 0 18px; }
.finding.confirmed { border-left-color: var(--confirmed); } .finding.likely { border-left-color: var(--likely); }
.kb a { font-weight: 600; margin-right: 8px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 10px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.label { font-weight: 600; margin: 10px 0 4px; }
ol.steps { margin: 4px 0 10px; padding-left: 22px; } ol.steps li { margin: 2px 0; }
tr.ev td { background: var(--ev); }
td.role { white-space: nowrap; font-weight: 600; }
td.lvl-error, td.lvl-critical { color: var(--confirmed); font-weight: 600; }
td.lvl-warning { color: var(--likely); font-weight: 600; }
details > summary { cursor: pointer; font-weight: 600; margin: 10px 0 4px; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { main { max-width: none; padding: 0; } details { display: block; } .finding { break-inside: avoid; } }
"#;

fn confidence_class(c: Confidence) -> &'static str {
    c.name()
}

/// The badge class and text of a finding: its confidence, "not a fault" for
/// documented by-design behaviour ([`Kind::Info`]), or "security · <confidence>".
fn badge(f: &Finding) -> (&'static str, String) {
    match f.kind {
        Kind::Info => ("info", "not a fault".to_string()),
        Kind::Security => ("security", format!("security · {}", f.confidence.name())),
        Kind::Fault => (confidence_class(f.confidence), confidence_class(f.confidence).to_string()),
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Anchor => "anchor",
        Role::Corroboration => "corroborates",
        Role::Context => "context",
    }
}

fn kb_links(kb: &[String]) -> String {
    kb.iter()
        .map(|k| match kb_url(k) {
            Some(u) => format!("<a href=\"{}\">{}</a>", esc(&u), esc(k)),
            None => esc(k),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl ReportSink for HtmlReport<'_> {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let title = self.title.unwrap_or("evtriage report");
        let records: u64 = report.inputs.iter().map(|i| i.records).sum();
        writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
        writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
        writeln!(out, "<meta name=\"generator\" content=\"evtriage {}\">", env!("CARGO_PKG_VERSION"))?;
        writeln!(out, "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>", esc(title))?;
        writeln!(out, "<h1>{}</h1>", esc(title))?;
        let computers = report.problem_computers();
        let security = report.security();
        writeln!(
            out,
            "<p class=\"lead\">{} finding{}{} on {} computer{}{} · {} input{}, {} records read, {} diagnostic{}</p>",
            report.faults(),
            plural(report.faults()),
            if security > 0 { format!(" ({security} security)") } else { String::new() },
            computers.len(),
            plural(computers.len()),
            match report.findings.len() - report.faults() {
                0 => String::new(),
                n => format!(", {n} not a fault (by design)"),
            },
            report.inputs.len(),
            plural(report.inputs.len()),
            records,
            report.diagnostics.len(),
            plural(report.diagnostics.len()),
        )?;

        // What could not be read comes before anything else.
        if let Some(head) = unread_heading(report) {
            writeln!(out, "<section class=\"unread\" id=\"unread\">\n<h2>{}</h2>\n<ul>", esc(&head))?;
            for u in report.unread.iter().take(MAX_UNREAD_LISTED) {
                writeln!(out, "<li><span class=\"mono\">{}</span>: {}</li>", esc(&u.path), esc(&u.reason))?;
            }
            if report.unread.len() > MAX_UNREAD_LISTED {
                writeln!(
                    out,
                    "<li>… and {} more (see Inputs and Diagnostics below)</li>",
                    report.unread.len() - MAX_UNREAD_LISTED
                )?;
            }
            writeln!(out, "</ul>\n</section>")?;
        }

        // What the captures say of the computers (systeminfo, Get-ComputerInfo).
        if !report.computers.is_empty() {
            writeln!(out, "<section id=\"computers\">\n<h2>Computers</h2>\n<ul>")?;
            for c in &report.computers {
                writeln!(out, "<li>{} <span class=\"mono\">{}</span></li>", esc(&c.line()), esc(&c.source))?;
            }
            writeln!(out, "</ul>\n</section>")?;
        }

        // Summary, in report order: security, faults, by design; surest and earliest first.
        writeln!(out, "<h2 id=\"summary\">Summary</h2>")?;
        if report.findings.is_empty() {
            writeln!(out, "<p class=\"empty\">No known problem matched the inputs. The inputs read and anything that could not be read are listed below.</p>")?;
        } else {
            writeln!(out, "<table class=\"summary\">\n<thead><tr><th>Finding</th><th>Computer</th><th>KB</th><th>Title</th><th>First seen (UTC)</th><th class=\"num\">Times</th></tr></thead>\n<tbody>")?;
            for (i, f) in report.findings.iter().enumerate() {
                let first = f.first_time().map(|t| show_time(&t)).unwrap_or_else(|| "—".into());
                let (c, label) = badge(f);
                writeln!(
                    out,
                    "<tr><td><span class=\"badge {c}\">{}</span></td><td><strong>{}</strong></td><td class=\"kb\">{}</td><td><a href=\"#finding-{}\">{}</a></td><td class=\"time\">{first}</td><td class=\"num\">{}</td></tr>",
                    esc(&label),
                    esc(&f.computer),
                    kb_links(&f.kb),
                    i + 1,
                    esc(&f.title),
                    f.occurrences,
                )?;
            }
            writeln!(out, "</tbody>\n</table>")?;
        }

        // Findings, in the same order.
        if !report.findings.is_empty() {
            writeln!(out, "<h2 id=\"findings\">Findings</h2>")?;
        }
        for (i, f) in report.findings.iter().enumerate() {
            self.finding(out, i, f)?;
        }

        // Inputs and diagnostics.
        writeln!(out, "<h2 id=\"inputs\">Inputs</h2>")?;
        writeln!(out, "<table>\n<thead><tr><th>File</th><th>Format</th><th class=\"num\">Records</th><th class=\"num\">Skipped</th><th class=\"num\">Not decoded (no rule uses them)</th><th class=\"num\">Stale (slack, not used)</th></tr></thead>\n<tbody>")?;
        for i in &report.inputs {
            writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&i.path),
                esc(&i.format),
                i.records,
                i.skipped,
                i.filtered,
                i.stale
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
        writeln!(out, "<h2 id=\"diagnostics\">Diagnostics</h2>")?;
        if report.diagnostics.is_empty() {
            writeln!(out, "<p class=\"empty\">Everything was read.</p>")?;
        } else {
            writeln!(out, "<table>\n<thead><tr><th>Severity</th><th>Source</th><th>Where</th><th>What happened</th></tr></thead>\n<tbody>")?;
            for d in &report.diagnostics {
                writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"mono where\">{}</td><td class=\"where\">{}</td><td>{}</td></tr>",
                    esc(&d.severity),
                    esc(&d.source),
                    esc(&d.locator),
                    esc(&d.message)
                )?;
            }
            writeln!(out, "</tbody>\n</table>")?;
        }
        writeln!(
            out,
            "<footer>Generated offline by evtriage {} (report format version {}). Times are UTC. KB links go to support.microsoft.com/kb/&lt;number&gt;, which redirects to the current article.</footer>",
            env!("CARGO_PKG_VERSION"),
            report.version
        )?;
        writeln!(out, "</main>\n</body>\n</html>")
    }
}

impl HtmlReport<'_> {
    fn finding(&self, out: &mut dyn Write, index: usize, f: &Finding) -> io::Result<()> {
        let (c, label) = badge(f);
        writeln!(out, "<section class=\"finding {c}\" id=\"finding-{}\">", index + 1)?;
        writeln!(out, "<h3><span class=\"badge {c}\">{}</span> {}</h3>", esc(&label), esc(&f.title))?;
        if let Some(gloss) = f.kind.gloss() {
            writeln!(out, "<p class=\"muted\">{}</p>", esc(gloss))?;
        }
        writeln!(out, "<dl class=\"facts\">")?;
        writeln!(out, "<dt>Computer</dt><dd><strong>{}</strong></dd>", esc(&f.computer))?;
        if !f.kb.is_empty() {
            writeln!(out, "<dt>KB</dt><dd class=\"kb\">{}</dd>", kb_links(&f.kb))?;
        }
        writeln!(out, "<dt>Rule</dt><dd><code>{}</code></dd>", esc(&f.rule))?;
        if let Some(s) = &f.service {
            writeln!(out, "<dt>Service</dt><dd><code>{}</code></dd>", esc(s))?;
        }
        if let Some(b) = f.boot {
            writeln!(out, "<dt>Boot session</dt><dd>started {}</dd>", show_time(&b))?;
        }
        let seen = if f.omitted > 0 {
            format!("{} times ({} listed below)", f.occurrences, f.occurrences.saturating_sub(f.omitted))
        } else {
            format!("{} time{}", f.occurrences, plural(f.occurrences))
        };
        writeln!(out, "<dt>Seen</dt><dd>{seen}</dd>\n</dl>")?;
        let cause_label = if f.kind == Kind::Info { "Why" } else { "Cause" };
        writeln!(out, "<div class=\"label\">{cause_label}</div>\n<p>{}</p>", code_spans(&esc(&f.cause)))?;
        if !f.items.is_empty() {
            writeln!(out, "<div class=\"label\">Services ({})</div>\n<ul class=\"items\">", f.items.len())?;
            for it in &f.items {
                let when = match (it.first, it.last) {
                    (Some(a), Some(b)) if a != b => format!(", {} to {}", show_time(&a), show_time(&b)),
                    (Some(a), _) => format!(", {}", show_time(&a)),
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "<li><strong>{}</strong>: {} <span class=\"muted\">({}×{when})</span></li>",
                    esc(&it.service_label()),
                    esc(&it.detail),
                    it.count
                )?;
            }
            writeln!(out, "</ul>")?;
        }
        if !f.remediation.is_empty() {
            writeln!(out, "<div class=\"label\">What to do</div>\n<ol class=\"steps\">")?;
            for step in &f.remediation {
                writeln!(out, "<li>{}</li>", code_spans(&esc(step)))?;
            }
            writeln!(out, "</ol>")?;
        }
        if !f.sources.is_empty() {
            writeln!(out, "<div class=\"label\">Sources</div>\n<ul class=\"sources\">")?;
            for src in &f.sources {
                let title = match &src.url {
                    Some(u) => format!("<a href=\"{}\">{}</a>", esc(u), esc(&src.title)),
                    None => esc(&src.title),
                };
                let kb = src.kb_id().map(|k| format!(" ({})", esc(&k))).unwrap_or_default();
                let who = src
                    .third_party()
                    .map(|p| format!(" <span class=\"muted\">— third-party: {}</span>", esc(p)))
                    .unwrap_or_default();
                writeln!(out, "<li>{title}{kb}{who}: {}</li>", esc(src.says.trim()))?;
            }
            writeln!(out, "</ul>")?;
        }
        writeln!(out, "<div class=\"label\">Evidence</div>")?;
        writeln!(out, "<table class=\"evidence\">\n<thead><tr><th>Role</th><th>Time (UTC)</th><th>What</th><th>Where</th></tr></thead>\n<tbody>")?;
        for e in &f.evidence {
            let time = e.time.map(|t| show_time(&t)).unwrap_or_else(|| "snapshot".into());
            writeln!(
                out,
                "<tr class=\"{}\"><td class=\"role\">{}</td><td class=\"time\">{time}</td><td>{}</td><td class=\"loc mono\" title=\"{}\">{} · {}</td></tr>",
                if e.role == Role::Anchor { "ev" } else { "" },
                role_name(e.role),
                esc(&e.summary),
                esc(&e.source),
                esc(file_name(&e.source)),
                esc(&e.locator),
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
        if let Some(ctx) = self.surroundings {
            let rows = ctx.for_finding(index);
            if !rows.is_empty() {
                writeln!(
                    out,
                    "<details open>\n<summary>Around it: {} event{} within ±{} min of the first anchor</summary>",
                    rows.len(),
                    plural(rows.len()),
                    ctx.minutes
                )?;
                writeln!(out, "<table class=\"context\">\n<thead><tr><th>Time (UTC)</th><th>Level</th><th class=\"num\">ID</th><th>Provider</th><th>Message</th></tr></thead>\n<tbody>")?;
                for r in rows {
                    let level = level_name(r.level);
                    writeln!(
                        out,
                        "<tr{}><td class=\"time\">{}</td><td class=\"lvl-{}\">{level}</td><td class=\"num\">{}</td><td>{}</td><td title=\"{} · {}\">{}{}</td></tr>",
                        if r.evidence { " class=\"ev\"" } else { "" },
                        show_time(&r.time),
                        level.to_ascii_lowercase(),
                        r.event_id,
                        esc(&r.provider),
                        esc(&r.source),
                        esc(&r.locator),
                        if r.recovered {
                            "<span class=\"badge stale\" title=\"a stale record carved from the log's unused space, not one of its live records\">recovered</span> "
                        } else {
                            ""
                        },
                        esc(&r.message),
                    )?;
                }
                writeln!(out, "</tbody>\n</table>\n<p class=\"muted\">Highlighted rows are evidence of this finding.</p>\n</details>")?;
            }
        }
        writeln!(out, "</section>")
    }
}

/// The last path component of an input name (zip members too: `a.zip!dir/System.evtx` → `System.evtx`).
fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\', '!']).next().unwrap_or(source)
}

/// Turns `` `text` `` pairs of already-escaped rule text into `<code>` elements
/// (rule authors write commands that way); an unpaired backtick stays as it is.
pub fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    let pairs = (parts.len() - 1) / 2 * 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            if i > pairs {
                out.push('`');
            } else if i % 2 == 1 {
                out.push_str("<code>");
            } else {
                out.push_str("</code>");
            }
        }
        out.push_str(part);
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (other than tab/newline) have no business in a report.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_pair_backticks() {
        assert_eq!(code_spans("run `net start X` now"), "run <code>net start X</code> now");
        assert_eq!(code_spans("`a` and `b` and `c"), "<code>a</code> and <code>b</code> and `c");
        assert_eq!(code_spans("no code"), "no code");
        assert_eq!(file_name("case.zip!logs/System.evtx"), "System.evtx");
        assert_eq!(file_name("C:\\logs\\System.evtx"), "System.evtx");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(html_escape("a\u{1b}[31mb"), "a\u{fffd}[31mb");
    }
}
