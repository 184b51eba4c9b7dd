//! # evtriage-report
//!
//! Reports a person reads outside the terminal: a self-contained **HTML**
//! page to attach to a case, and **Markdown** to paste into a ticket. Both
//! are [`ReportSink`](evtriage_rules::ReportSink)s next to the rules crate's
//! text and JSON sinks, and both can show a small timeline of the minutes
//! around each finding ([`context`]).
//!
//! This crate has no dependencies beyond the evtriage library crates and
//! `chrono`: HTML and Markdown are written by hand, with every piece of text
//! that comes from the inputs escaped ([`html_escape`], [`markdown_escape`]).
//!
//! KB links point at `https://support.microsoft.com/kb/<number>` ([`kb_url`]):
//! the short form Microsoft keeps redirecting to the current article, which
//! survives the site's reorganisations better than a copied long URL.
//!
//! ```
//! use evtriage_report::{collect_context, ContextOptions, HtmlReport, MarkdownReport};
//! use evtriage_rules::{analyze, ReportSink, RuleSet};
//!
//! # let case = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/rules/kb4530043-ismserv-boot/positive/boot-likely");
//! let rules = RuleSet::builtin().expect("the built-in rules load");
//! let report = analyze(&rules, &[case]);
//! let context = collect_context(&report, &[case], &ContextOptions::default());
//!
//! let mut html = Vec::new();
//! HtmlReport { context: Some(&context), title: None }.write_report(&report, &mut html)?;
//! let html = String::from_utf8_lossy(&html);
//! assert!(html.contains("https://support.microsoft.com/kb/4530043"));
//!
//! let mut md = Vec::new();
//! MarkdownReport { context: Some(&context) }.write_report(&report, &mut md)?;
//! assert!(String::from_utf8_lossy(&md).starts_with("# evtriage report"));
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod context;
pub mod html;
pub mod markdown;

pub use context::{collect_context, Context, ContextOptions, ContextRow};
pub use html::HtmlReport;
pub use markdown::MarkdownReport;

/// The support.microsoft.com link for a KB id (`KB4530043` → `…/kb/4530043`);
/// `None` when the id holds no number.
pub fn kb_url(kb: &str) -> Option<String> {
    let digits: String = kb.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(format!("https://support.microsoft.com/kb/{digits}"))
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

/// A UTC time as reports show it: `2024-03-02 06:01:35.120Z`.
pub fn show_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
}

pub use evtriage_core::model::level_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_links() {
        assert_eq!(kb_url("KB4530043").as_deref(), Some("https://support.microsoft.com/kb/4530043"));
        assert_eq!(kb_url("KB"), None);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html_escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(html_escape("a\u{1b}[31mb"), "a\u{fffd}[31mb");
        assert_eq!(
            markdown_escape("a|b *c* <img src=x> [l](u)\nnext `x` ERROR_BAD"),
            "a\\|b \\*c\\* &lt;img src=x&gt; \\[l\\](u) next `x` ERROR_BAD"
        );
    }
}
