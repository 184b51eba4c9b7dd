//! The unit of delivered work: what one job of the pipeline produced (one
//! evtx chunk's records and diagnostics, one file of another format, one
//! piece of a large text input, or diagnostics the reader raised itself), as
//! [`Reader::read_paths_map`](crate::Reader::read_paths_map)(crate::Reader::read_paths_map) hands it to the
//! caller's map function.

use crate::contract::Collect;
use crate::contract::Sink;
use crate::contract::{InputSummary, JsonLines, LineFacts};
use crate::diag::Diagnostic;
use crate::model::Record;

/// One unit of decoded input, as [`Reader::read_paths_map`](crate::Reader::read_paths_map) hands it to its
/// map function: the records and diagnostics of one evtx chunk (or of the
/// records after a log's last full chunk), of one whole file of another
/// format, or diagnostics the reader raised itself (a file it could not
/// open, a damaged header, the folder walk), in input order.
#[derive(Debug, Default)]
pub struct Unit {
    /// Index of the input in the summaries `read_paths_map` returns; `None`
    /// for the folder walk's diagnostics.
    input: Option<usize>,
    items: Vec<Part>,
    /// JSON lines ([`Reader::read_paths_lines`](crate::Reader::read_paths_lines)).
    lines: Vec<u8>,
    line_count: u64,
}

/// One entry of a [`Unit`]: a record or a diagnostic.
#[derive(Debug)]
pub enum Entry {
    /// A record read.
    Record(Record),
    /// Something skipped or noted while reading.
    Diagnostic(Diagnostic),
}

impl Unit {
    /// A unit of input `input` holding `items` and `lines`.
    pub(crate) fn new(input: Option<usize>, items: Vec<Part>, lines: Vec<u8>, line_count: u64) -> Unit {
        Unit { input, items, lines, line_count }
    }

    /// Index of the input this unit comes from in the [`InputSummary`](crate::InputSummary) list
    /// the read returns; `None` for diagnostics of the folder walk, which
    /// belong to no input file.
    pub fn input(&self) -> Option<usize> {
        self.input
    }

    /// Number of entries (records and diagnostics; lines are counted by
    /// [`Unit::line_count`]).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the unit holds no record, no diagnostic and no line.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.line_count == 0
    }

    #[doc(hidden)]
    /// The records as JSON lines, in input order, when read by
    /// [`Reader::read_paths_lines`](crate::Reader::read_paths_lines) (empty otherwise).
    pub fn lines(&self) -> &[u8] {
        &self.lines
    }

    #[doc(hidden)]
    /// Takes the lines out of the unit (see [`Unit::lines`]).
    pub fn take_lines(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.lines)
    }

    #[doc(hidden)]
    /// How many lines [`Unit::lines`] holds.
    pub fn line_count(&self) -> u64 {
        self.line_count
    }

    /// The records, in input order.
    pub fn records(&self) -> impl Iterator<Item = &Record> + '_ {
        self.items.iter().filter_map(|i| match i {
            Part::Record(r) => Some(r),
            Part::Diagnostic(_) | Part::Line(..) => None,
        })
    }

    /// The diagnostics, in input order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.items.iter().filter_map(|i| match i {
            Part::Diagnostic(d) => Some(d),
            Part::Record(_) | Part::Line(..) => None,
        })
    }

    /// Every record and diagnostic, by value, in input order.
    pub fn into_entries(self) -> impl Iterator<Item = Entry> {
        self.items.into_iter().filter_map(|i| match i {
            Part::Record(r) => Some(Entry::Record(r)),
            Part::Diagnostic(d) => Some(Entry::Diagnostic(d)),
            Part::Line(..) => None,
        })
    }

    /// Gives every record and diagnostic to `sink`, in input order (what
    /// [`Reader::read_paths`](crate::Reader::read_paths) does with each unit).
    pub fn deliver(self, sink: &mut dyn Sink) {
        deliver_parts(self.items, sink);
    }
}

/// Gives every record and diagnostic of `parts` to `sink`, in order.
fn deliver_parts(parts: Vec<Part>, sink: &mut dyn Sink) {
    for part in parts {
        match part {
            Part::Record(r) => sink.record(r),
            Part::Diagnostic(d) => sink.diagnostic(d),
            Part::Line(..) => {}
        }
    }
}

/// Adds what a source delivered into a [`Collect`] to `out`, records first.
pub(crate) fn merge_collect(mut out: Batch, collect: Collect) -> Batch {
    out.items.extend(collect.records.into_iter().map(Part::Record));
    out.items.extend(collect.diagnostics.into_iter().map(Part::Diagnostic));
    out
}

/// One part of a [`Batch`], in input order.
#[derive(Debug)]
pub(crate) enum Part {
    /// A decoded record.
    Record(Record),
    /// Something skipped or noted.
    Diagnostic(Diagnostic),
    /// A record written as a JSON line: its start and end in [`Batch::lines`]
    /// (only until [`Batch::settle_lines`]).
    Line(usize, usize),
}

/// What decoding one unit of input (an evtx chunk, or a whole file) produced.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Records and diagnostics in input order.
    pub(crate) items: Vec<Part>,
    /// Records read (delivered or filtered).
    pub(crate) records: u64,
    /// Records or chunks skipped as unreadable.
    pub(crate) skipped: u64,
    /// Events read but rejected by the event filter (or by [`JsonLines::keep`]).
    pub(crate) filtered: u64,
    /// Stale records found in slack space and not delivered (see [`crate::ReadOptions::recovered`]).
    pub(crate) stale: u64,
    /// For an archive read whole: what was read from each member.
    pub(crate) members: Vec<InputSummary>,
    /// For a text input: its encoding and language (see [`InputSummary::encoding`]).
    pub(crate) text: Option<(String, Option<String>)>,
    /// The records as JSON lines, when read for [`crate::Reader::read_paths_lines`].
    pub(crate) lines: Vec<u8>,
    /// How many lines `lines` holds.
    pub(crate) line_count: u64,
}

impl Batch {
    /// An output holding only one skipped-data diagnostic.
    pub(crate) fn one_skipped(d: Diagnostic) -> Batch {
        let mut o = Batch::default();
        o.skip(d);
        o
    }

    /// An output holding only one note.
    pub(crate) fn one_note(d: Diagnostic) -> Batch {
        let mut o = Batch::default();
        o.items.push(Part::Diagnostic(d));
        o
    }

    /// Adds a skipped-data diagnostic.
    pub(super) fn skip(&mut self, d: Diagnostic) {
        self.skipped += 1;
        self.items.push(Part::Diagnostic(d));
    }

    /// Delivers the items to `sink` and adds the counts to `summary`.
    pub(crate) fn deliver(self, sink: &mut dyn Sink, summary: &mut InputSummary) {
        summary.records += self.records;
        summary.skipped += self.skipped;
        summary.filtered += self.filtered;
        summary.stale += self.stale;
        deliver_parts(self.items, sink);
    }

    /// Makes every record of the output a JSON line of [`Batch::lines`], in
    /// order, leaving only diagnostics in [`Batch::items`]. Lines already
    /// written ([`Part::Line`], in order) stay where they are unless records
    /// come between them.
    pub(crate) fn settle_lines(mut self, format: &JsonLines) -> Batch {
        if !self.items.iter().any(|i| matches!(i, Part::Record(_))) {
            let before = self.items.len();
            self.items.retain(|i| !matches!(i, Part::Line(..)));
            self.line_count += (before - self.items.len()) as u64;
            return self;
        }
        let old = std::mem::take(&mut self.lines);
        let mut scratch = String::new();
        let mut items = Vec::new();
        for item in std::mem::take(&mut self.items) {
            match item {
                Part::Line(a, b) => {
                    self.lines.extend_from_slice(old.get(a..b).unwrap_or_default());
                    self.line_count += 1;
                }
                Part::Record(r) => {
                    if let Record::Event(e) = &r {
                        if !format.keeps(&LineFacts::of(e)) {
                            self.filtered += 1;
                            continue;
                        }
                    }
                    crate::jsonl::write_line(&r, format.rendered, &mut self.lines, &mut scratch);
                    self.line_count += 1;
                }
                Part::Diagnostic(d) => items.push(Part::Diagnostic(d)),
            }
        }
        self.items = items;
        self
    }
}
