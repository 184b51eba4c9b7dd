//! What decoding a unit of input produced: records, diagnostics and JSON
//! lines in input order, with the counts for the input's summary.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], an [`Output`]
//! is what a chunk (or a whole file of another format) comes to, handed by
//! the [`crate::read`] driver to the sink in file order.

use crate::diag::Diagnostic;
use crate::model::Record;
use crate::read::{InputSummary, JsonLines, LineFacts, Sink};

/// One item of a chunk's output, in order.
#[derive(Debug)]
pub(crate) enum Item {
    /// A decoded record.
    Record(Record),
    /// Something skipped or noted.
    Diagnostic(Diagnostic),
    /// A record written as a JSON line: its start and end in [`Output::lines`]
    /// (only until [`Output::settle_lines`]).
    Line(usize, usize),
}

/// What decoding one unit of input (an evtx chunk, or a whole file) produced.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Records and diagnostics in input order.
    pub(crate) items: Vec<Item>,
    /// Records read (delivered or filtered).
    pub(crate) records: u64,
    /// Records or chunks skipped as unreadable.
    pub(crate) skipped: u64,
    /// Events read but rejected by the event filter (or by [`JsonLines::keep`]).
    pub(crate) filtered: u64,
    /// Stale records found in slack space and not delivered (see [`crate::ReadOptions::recovered`]).
    pub(crate) stale: u64,
    /// The records as JSON lines, when read for [`crate::Reader::read_paths_lines`].
    pub(crate) lines: Vec<u8>,
    /// How many lines `lines` holds.
    pub(crate) line_count: u64,
}

impl Output {
    /// An output holding only one skipped-data diagnostic.
    pub(crate) fn one_skipped(d: Diagnostic) -> Output {
        let mut o = Output::default();
        o.skip(d);
        o
    }

    /// Adds a skipped-data diagnostic.
    pub(super) fn skip(&mut self, d: Diagnostic) {
        self.skipped += 1;
        self.items.push(Item::Diagnostic(d));
    }

    /// Delivers the items to `sink` and adds the counts to `summary`.
    pub(crate) fn deliver(self, sink: &mut dyn Sink, summary: &mut InputSummary) {
        summary.records += self.records;
        summary.skipped += self.skipped;
        summary.filtered += self.filtered;
        summary.stale += self.stale;
        for item in self.items {
            match item {
                Item::Record(r) => sink.record(r),
                Item::Diagnostic(d) => sink.diagnostic(d),
                Item::Line(..) => {}
            }
        }
    }

    /// Makes every record of the output a JSON line of [`Output::lines`], in
    /// order, leaving only diagnostics in [`Output::items`]. Lines already
    /// written ([`Item::Line`], in order) stay where they are unless records
    /// come between them.
    pub(crate) fn settle_lines(mut self, format: &JsonLines) -> Output {
        if !self.items.iter().any(|i| matches!(i, Item::Record(_))) {
            let before = self.items.len();
            self.items.retain(|i| !matches!(i, Item::Line(..)));
            self.line_count += (before - self.items.len()) as u64;
            return self;
        }
        let old = std::mem::take(&mut self.lines);
        let mut scratch = String::new();
        let mut items = Vec::new();
        for item in std::mem::take(&mut self.items) {
            match item {
                Item::Line(a, b) => {
                    self.lines.extend_from_slice(old.get(a..b).unwrap_or_default());
                    self.line_count += 1;
                }
                Item::Record(r) => {
                    if let Record::Event(e) = &r {
                        if !format.keeps(&LineFacts::of(e)) {
                            self.filtered += 1;
                            continue;
                        }
                    }
                    crate::jsonl::write_line(&r, format.rendered, &mut self.lines, &mut scratch);
                    self.line_count += 1;
                }
                Item::Diagnostic(d) => items.push(Item::Diagnostic(d)),
            }
        }
        self.items = items;
        self
    }
}
