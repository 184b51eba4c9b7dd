//! # evtriage-print
//!
//! Every output format of evtriage, in one place (as ripgrep's `printer`
//! crate): how a finding, a record or a timeline row looks is decided here
//! and nowhere else.
//!
//! The analysis report ([`evtriage_rules::Report`], plain data) is written by
//! a [`ReportSink`], one per format:
//!
//! - [`text`]: the terminal report, grouped per computer, optional colour
//!   ([`TextReport`]);
//! - [`json`]: the versioned JSON contract ([`JsonReport`]);
//! - [`html`]: one self-contained page to attach to a case ([`HtmlReport`]);
//! - [`markdown`]: for pasting into a ticket ([`MarkdownReport`]);
//! - [`context`]: the minutes around each finding that HTML and Markdown
//!   show ([`Surroundings`], gathered by a second read of the inputs).
//!
//! What `dump` and `timeline` print:
//!
//! - [`records`]: one record as a table line, a CSV row or a JSON line
//!   (`dump`);
//! - [`jsonl`]: one record as a JSON line, a thin front over the byte writer
//!   in `evtriage_core::jsonl` (which the evtx decoder also drives, see there);
//! - [`timeline`]: the rows of a merged timeline as a table with boot
//!   separators, CSV, JSON lines or a Timesketch import;
//! - [`csv`]: the one CSV quoting both use;
//! - [`time`]: how times are shown, in UTC ([`show_time`]) or in a display
//!   zone ([`Zone`], `timeline --tz`).
//!
//! And the other commands' listings: [`inputs`] (what each input is and how
//! much of it was read) and [`codes`] (`explain`'s error codes). The rule
//! catalogue (`rules list`, also `docs/rules.md`) is the rules crate's
//! `catalog`.
//!
//! Text from the inputs is made safe for its destination in one place per
//! destination: a terminal with `evtriage_core::display::terminal_safe`, HTML
//! with [`html_escape`], Markdown with [`markdown_escape`]. Whitespace runs
//! are collapsed with `evtriage_core::display::one_line`.
//!
//! This crate has no dependencies beyond the evtriage library crates, `chrono`
//! and `serde_json`: HTML and Markdown are written by hand.
//!
//! KB links point at `https://support.microsoft.com/kb/<number>` ([`kb_url`]):
//! the short form Microsoft keeps redirecting to the current article, which
//! survives the site's reorganisations better than a copied long URL.
//!
//! ```
//! use evtriage_print::{collect_surroundings, HtmlReport, MarkdownReport, ReportSink, SurroundingsOptions};
//! use evtriage_rules::{analyze, RuleSet};
//!
//! # let case = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/rules/kb4530043-ismserv-boot/positive/boot-likely");
//! let rules = RuleSet::builtin().expect("the built-in rules load");
//! let report = analyze(&rules, &[case]);
//! let around = collect_surroundings(&report, &[case], &SurroundingsOptions::default());
//!
//! let mut html = Vec::new();
//! HtmlReport { surroundings: Some(&around), title: None }.write_report(&report, &mut html)?;
//! let html = String::from_utf8_lossy(&html);
//! assert!(html.contains("https://support.microsoft.com/kb/4530043"));
//!
//! let mut md = Vec::new();
//! MarkdownReport { surroundings: Some(&around) }.write_report(&report, &mut md)?;
//! assert!(String::from_utf8_lossy(&md).starts_with("# evtriage report"));
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::{self, Write};

use evtriage_rules::Report;

pub mod codes;
pub mod context;
pub mod csv;
pub mod html;
pub mod inputs;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod records;
pub mod text;
pub mod time;
pub mod timeline;

pub use context::{collect_surroundings, NearbyEvent, Surroundings, SurroundingsOptions};
pub use html::{html_escape, HtmlReport};
pub use json::JsonReport;
pub use markdown::{markdown_escape, MarkdownReport};
pub use records::RecordFormat;
pub use text::TextReport;
pub use time::{show_time, Zone};
pub use timeline::{TimelineFormat, TimelineOptions};

pub use evtriage_core::model::level_name;

/// Writes a [`Report`] in one format.
pub trait ReportSink {
    /// Writes the whole report to `out`.
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// At most this many unread inputs are listed at the top of a report.
pub const MAX_UNREAD_LISTED: usize = 20;

/// The sentence that heads the list of unread inputs, when there are any:
/// "nothing could be read" when no record at all was, else how many inputs
/// could not be. Every report format shows it first: a report is never
/// silently healthy.
pub fn unread_heading(report: &Report) -> Option<String> {
    if report.unread.is_empty() {
        return None;
    }
    let records: u64 = report.inputs.iter().map(|i| i.records).sum();
    Some(if records == 0 {
        "Nothing could be read: no finding can be trusted to mean \"healthy\".".to_string()
    } else {
        let n = report.unread.len();
        format!(
            "{n} input{} could not be read; nothing below rests on {}:",
            plural(n),
            if n == 1 { "it" } else { "them" }
        )
    })
}

/// The support.microsoft.com link for a KB id (`KB4530043` → `…/kb/4530043`);
/// `None` when the id holds no number.
pub fn kb_url(kb: &str) -> Option<String> {
    let digits: String = kb.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(format!("https://support.microsoft.com/kb/{digits}"))
}

/// `"s"` unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_links() {
        assert_eq!(kb_url("KB4530043").as_deref(), Some("https://support.microsoft.com/kb/4530043"));
        assert_eq!(kb_url("KB"), None);
    }
}
