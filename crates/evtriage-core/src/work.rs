//! The unit of delivered work: what one job of the pipeline produced (one
//! evtx chunk's records and diagnostics, one file of another format, one
//! piece of a large text input, or diagnostics the reader raised itself), as
//! [`Reader::read_paths_map`](crate::Reader::read_paths_map)(crate::Reader::read_paths_map) hands it to the
//! caller's map function.

use crate::contract::Collect;
use crate::contract::Sink;
use crate::diag::Diagnostic;
use crate::evtx::{Item, Output};
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
    items: Vec<Item>,
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
    pub(crate) fn new(input: Option<usize>, items: Vec<Item>, lines: Vec<u8>, line_count: u64) -> Unit {
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
            Item::Record(r) => Some(r),
            Item::Diagnostic(_) | Item::Line(..) => None,
        })
    }

    /// The diagnostics, in input order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Diagnostic(d) => Some(d),
            Item::Record(_) | Item::Line(..) => None,
        })
    }

    /// Every record and diagnostic, by value, in input order.
    pub fn into_entries(self) -> impl Iterator<Item = Entry> {
        self.items.into_iter().filter_map(|i| match i {
            Item::Record(r) => Some(Entry::Record(r)),
            Item::Diagnostic(d) => Some(Entry::Diagnostic(d)),
            Item::Line(..) => None,
        })
    }

    /// Gives every record and diagnostic to `sink`, in input order (what
    /// [`Reader::read_paths`](crate::Reader::read_paths) does with each unit).
    pub fn deliver(self, sink: &mut dyn Sink) {
        for item in self.items {
            match item {
                Item::Record(r) => sink.record(r),
                Item::Diagnostic(d) => sink.diagnostic(d),
                Item::Line(..) => {}
            }
        }
    }
}

/// Adds what a source delivered into a [`Collect`] to `out`, records first.
pub(crate) fn merge_collect(mut out: Output, collect: Collect) -> Output {
    out.items.extend(collect.records.into_iter().map(Item::Record));
    out.items.extend(collect.diagnostics.into_iter().map(Item::Diagnostic));
    out
}
