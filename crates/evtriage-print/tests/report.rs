//! HTML and Markdown reports over the rule fixtures: content, links, escaping, the minutes around each finding.

use std::path::PathBuf;

use evtriage_print::{collect_surroundings, HtmlReport, MarkdownReport, ReportSink, SurroundingsOptions};
use evtriage_rules::{analyze, Report, RuleSet};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The KB4530043 case confirmed by an LDAP client trace (System.xml + boot-ldap.txt).
fn confirmed_case() -> Vec<PathBuf> {
    let dir = repo().join("fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed");
    vec![dir.join("System.xml"), dir.join("boot-ldap.txt")]
}

fn run(paths: &[PathBuf]) -> Report {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("built-in rules: {e}"));
    analyze(&rules, paths)
}

fn html(report: &Report, paths: &[PathBuf], options: SurroundingsOptions) -> String {
    let context = collect_surroundings(report, paths, &options);
    let mut buf = Vec::new();
    HtmlReport { surroundings: Some(&context), title: None }.write_report(report, &mut buf).expect("write");
    String::from_utf8(buf).expect("utf-8")
}

fn markdown(report: &Report, paths: &[PathBuf]) -> String {
    let context = collect_surroundings(report, paths, &SurroundingsOptions::default());
    let mut buf = Vec::new();
    MarkdownReport { surroundings: Some(&context) }.write_report(report, &mut buf).expect("write");
    String::from_utf8(buf).expect("utf-8")
}

/// The values of every `attr="…"` in `page`.
fn attrs<'a>(page: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    page.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = page.get(i + needle.len()..)?;
            rest.find('"').and_then(|end| rest.get(..end))
        })
        .collect()
}

#[test]
fn html_report_has_summary_finding_evidence_context_inputs() {
    let paths = confirmed_case();
    let report = run(&paths);
    assert_eq!(report.findings.len(), 1);
    let page = html(&report, &paths, SurroundingsOptions::default());

    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>evtriage report</title>"));
    assert!(page.contains("1 finding on 1 computer · 2 inputs, 10 records read, 0 diagnostics"), "{page}");
    // Summary row and the finding, linked.
    assert!(page.contains(
        "<tr><td><span class=\"badge confirmed\">confirmed</span></td><td><strong>DC1.contoso.com</strong></td>"
    ));
    assert!(page.contains("<dt>Computer</dt><dd><strong>DC1.contoso.com</strong></dd>"));
    assert!(page.contains("<a href=\"#finding-1\">Intersite Messaging stops at domain controller boot: its LDAP connection to AD fails</a>"));
    assert!(page.contains("<section class=\"finding confirmed\" id=\"finding-1\">"));
    assert!(page.contains("<a href=\"https://support.microsoft.com/kb/4530043\">KB4530043</a>"));
    assert!(page.contains("<dt>Service</dt><dd><code>IsmServ</code></dd>"));
    assert!(page.contains("ended with ERROR_BAD_NET_RESP (58)"));
    let sources = report.findings[0].sources.len();
    assert!(sources >= 1);
    assert_eq!(page.matches("<li>").count(), report.findings[0].remediation.len() + sources);
    assert!(page.contains("<div class=\"label\">Sources</div>"));
    assert!(page.contains("<li>ISMServ.exe does not start when a domain controller starts (KB4530043): "));
    assert!(page.contains(
        "<li>Start the service again now: <code>net start IsmServ</code> (or <code>Start-Service IsmServ</code>).</li>"
    ));
    // Evidence: one row per piece, the anchor highlighted.
    let evidence =
        page.split("<table class=\"evidence\">").nth(1).and_then(|s| s.split("</table>").next()).unwrap_or("");
    assert_eq!(evidence.matches("<tr").count() - 1, report.findings[0].evidence.len());
    assert!(evidence
        .contains("<tr class=\"ev\"><td class=\"role\">anchor</td><td class=\"time\">2024-03-02 06:01:35.120Z</td>"));
    assert!(evidence.contains("LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b."));
    // Context: the 10 events of the case within ±5 min, evidence highlighted (6009, 2 LDAP lines, 7023).
    let context = page.split("<table class=\"context\">").nth(1).and_then(|s| s.split("</table>").next()).unwrap_or("");
    assert_eq!(context.matches("<tr").count() - 1, 10, "{context}");
    assert_eq!(context.matches("<tr class=\"ev\">").count(), 4, "{context}");
    assert!(page.contains("Around it: 10 events within ±5 min of the first anchor"));
    assert!(context.contains("ldap_open called for host DC1.contoso.com port 389."));
    // Inputs at the end.
    let inputs = page.split("<h2 id=\"inputs\">").nth(1).unwrap_or("");
    assert!(inputs.contains("System.xml</td><td>event-xml</td><td class=\"num\">4</td>"), "{inputs}");
    assert!(inputs.contains("boot-ldap.txt</td><td>etw-text</td><td class=\"num\">6</td>"));
    assert!(page.contains("<p class=\"empty\">Everything was read.</p>"));
}

#[test]
fn html_report_is_self_contained() {
    let paths = confirmed_case();
    let page = html(&run(&paths), &paths, SurroundingsOptions::default());
    let lower = page.to_ascii_lowercase();
    for banned in ["<script", "<link", "<img", "<iframe", "@import", "url(", "src="] {
        assert!(!lower.contains(banned), "{banned} in a report that must need no network");
    }
    // Links (KB articles, sources) are to follow, never fetched.
    for href in attrs(&page, "href") {
        assert!(href.starts_with('#') || href.starts_with("https://"), "{href}");
    }
    assert!(page.contains("<style>"));
}

#[test]
fn everything_from_the_input_is_escaped() {
    let paths = vec![repo().join("fixtures/report/escaping/System.xml")];
    let report = run(&paths);
    assert_eq!(report.findings.len(), 1, "the escaping fixture still matches KB4530043");
    let page = html(&report, &paths, SurroundingsOptions::default());
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "raw script tag");
    assert!(!lower.contains("<img"), "raw img tag");
    assert!(page.contains("The IsmServ &lt;img src=x onerror=alert(1)&gt; service terminated"));
    assert!(page.contains("The &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; service entered the running | *state* &amp; [link](http://example.invalid)."));

    let md = markdown(&report, &paths);
    assert!(!md.contains("<script") && !md.contains("<img"));
    assert!(md.contains("The IsmServ &lt;img src=x onerror=alert(1)&gt; service terminated"));
    assert!(md.contains(
        "The &lt;script&gt;alert(\"x\")&lt;/script&gt; service entered the running \\| \\*state\\* &amp; \\[link\\](http://example.invalid)."
    ));
    // Every table row of the context keeps its 5 cells despite the `|` in a message.
    for line in md.lines().filter(|l| l.starts_with("| 2024-03-02") || l.starts_with("| **2024")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 6, "{line}");
    }
}

#[test]
fn markdown_report_for_a_ticket() {
    let paths = confirmed_case();
    let report = run(&paths);
    let md = markdown(&report, &paths);
    assert!(md.starts_with(
        "# evtriage report\n\n1 finding(s) on 1 computer(s) · 2 input(s), 10 records read, 0 diagnostic(s)."
    ));
    assert!(md.contains("| **CONFIRMED** | DC1.contoso.com | [KB4530043](https://support.microsoft.com/kb/4530043) | Intersite Messaging stops at domain controller boot: its LDAP connection to AD fails | 2024-03-02 06:01:35.120Z |"));
    assert!(md.contains("## Findings\n\n### [CONFIRMED] KB4530043: Intersite Messaging stops"));
    assert!(md.contains("- **Computer:** DC1.contoso.com"));
    assert!(md.contains("**Sources**\n\n- ISMServ.exe does not start when a domain controller starts (KB4530043): "));
    assert!(md.contains("- **Service:** `IsmServ`"));
    assert!(md.contains("1. Start the service again now: `net start IsmServ` (or `Start-Service IsmServ`)."));
    let evidence_rows =
        md.lines().filter(|l| ["| anchor |", "| corroborates |", "| context |"].iter().any(|p| l.starts_with(p)));
    assert_eq!(evidence_rows.count(), report.findings[0].evidence.len());
    assert!(md.contains(
        "| anchor | 2024-03-02 06:01:35.120Z | Service Control Manager 7023: The IsmServ service terminated"
    ));
    assert!(md.contains("| **2024-03-02 06:01:35.120Z** | Error | 7023 | Service Control Manager |"));
    assert!(md.contains("<details><summary>Around it: 10 event(s) within ±5 min</summary>"));
    assert!(md.contains("## Inputs\n\n| File | Format | Records | Skipped | Stale (slack, not used) |"));
}

#[test]
fn context_is_bounded_and_nearest_the_anchor() {
    let paths = confirmed_case();
    let report = run(&paths);
    let ctx = collect_surroundings(
        &report,
        &paths,
        &SurroundingsOptions {
            minutes: 5,
            max_rows: 3,
            recovered: false,
            locale: None,
            source_tz: None,
            ..Default::default()
        },
    );
    let rows = ctx.for_finding(0);
    // The three nearest 06:01:35.120: 06:01:34.918, 06:01:34.917, 06:01:35.120 — in time order.
    let times: Vec<String> = rows.iter().map(|r| evtriage_print::show_time(&r.time)).collect();
    assert_eq!(times, ["2024-03-02 06:01:34.917Z", "2024-03-02 06:01:34.918Z", "2024-03-02 06:01:35.120Z"]);
    assert_eq!(rows.iter().filter(|r| r.evidence).count(), 2);
    assert_eq!(rows[2].event_id, 7023);
    assert_eq!(rows[2].level, Some(2));
    // One minute leaves out the boot (6009 and 6005 at 06:00:02) and keeps the AD DS start (06:00:41).
    let ctx = collect_surroundings(
        &report,
        &paths,
        &SurroundingsOptions {
            minutes: 1,
            max_rows: 30,
            recovered: false,
            locale: None,
            source_tz: None,
            ..Default::default()
        },
    );
    assert_eq!(ctx.for_finding(0).len(), 8);
    assert_eq!(ctx.for_finding(0)[0].event_id, 7036);
    // 0 minutes: no context and no second read.
    let ctx = collect_surroundings(
        &report,
        &paths,
        &SurroundingsOptions {
            minutes: 0,
            max_rows: 30,
            recovered: false,
            locale: None,
            source_tz: None,
            ..Default::default()
        },
    );
    assert!(ctx.for_finding(0).is_empty());
    assert!(ctx.for_finding(7).is_empty());
}

#[test]
fn no_findings_still_lists_inputs_and_diagnostics() {
    // A healthy 7036 between a truncated and a malformed element: nothing to find.
    let paths = vec![repo().join("fixtures/report/no-findings/System-damaged.xml")];
    let report = run(&paths);
    assert!(report.findings.is_empty(), "{:?}", report.findings.iter().map(|f| &f.rule).collect::<Vec<_>>());
    let page = html(&report, &paths, SurroundingsOptions::default());
    assert!(page.contains("No known problem matched the inputs."));
    assert!(page.contains("System-damaged.xml</td><td>event-xml</td><td class=\"num\">1</td><td class=\"num\">2</td>"));
    // Something was read, so nothing is listed as unread.
    assert!(!page.contains("class=\"unread\""));
    assert!(page.contains("truncated &lt;Event&gt; element"));
    let md = markdown(&report, &paths);
    assert!(md.contains("No known problem matched the inputs."));
    assert!(md.contains("## Diagnostics"));
}

#[test]
fn by_design_findings_are_labelled_not_a_fault() {
    let paths = vec![
        repo().join("fixtures/rules/kb2385818-w32time-workgroup/positive/stops-two-minutes-after-boot/System.xml")
    ];
    let report = run(&paths);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.faults(), 0);
    let page = html(
        &report,
        &paths,
        SurroundingsOptions {
            minutes: 0,
            max_rows: 30,
            recovered: false,
            locale: None,
            source_tz: None,
            ..Default::default()
        },
    );
    // Computers are counted as in the text report: those with faults.
    assert!(page.contains("0 findings on 0 computers, 1 not a fault (by design)"), "{page}");
    assert!(page.contains("<span class=\"badge info\">not a fault</span>"));
    let md = markdown(&report, &paths);
    assert!(md.contains("### [NOT A FAULT] KB2385818"), "{md}");
    assert!(md.contains("nothing to fix"));
}
