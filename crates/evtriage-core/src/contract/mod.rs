//! The reading contract: what every reader of a format promises, and what it
//! asks of whoever receives the records.
//!
//! The evtx decoder, the text sources, the ETL and zip readers and the
//! [`Reader`](crate::Reader) that drives them all meet here, and this module
//! depends on none of them:
//!
//! - [`Sink`]: where records and diagnostics go, in input order, with a hook
//!   before and after each input file;
//! - [`ReadOptions`]: threads, which events to decode, stale records on or off;
//! - [`EventKey`] and [`EventFilter`]: choosing events before they are
//!   decoded: a [`Selection`] per event key (a second stage — a reviewer per
//!   unit of work that judges decoded events, with content ids for repeated
//!   records — is how the rules engine passes over what no rule needs; it is
//!   a performance protocol with one user, hidden from the documentation);
//! - [`InputSummary`], [`Format`] and [`unread`]: what was read from each
//!   input, and what gave nothing to work with.

mod filter;
mod input;
mod options;

#[doc(hidden)]
pub use filter::{ContentId, Reviewer, Selection, Verdict};
pub use filter::{EventFilter, EventKey};
pub use input::{unread, Format, InputSummary, Unread};
pub(crate) use options::keep_whole;
pub use options::ReadOptions;
#[doc(hidden)]
pub use options::{JsonLines, KeepLine, LineFacts};

use crate::diag::Diagnostic;
use crate::model::Record;

/// Receives what the sources read.
///
/// [`Reader::read_paths`](crate::Reader::read_paths) and
/// [`Reader::read_file`](crate::Reader::read_file) call it on the calling
/// thread only, in input order: diagnostics of the folder walk (a path that
/// could not be opened) first, then [`Sink::begin_read`] with every file
/// found, then for each file (in sorted path order) [`Sink::begin_input`],
/// that file's records and diagnostics, and [`Sink::end_input`] with the
/// file's final counts. The members of a zip archive are part of the
/// archive's input.
pub trait Sink {
    /// One record, in input order.
    fn record(&mut self, record: Record);
    /// One diagnostic (something skipped or unreadable).
    fn diagnostic(&mut self, diagnostic: Diagnostic);
    /// The folders were walked: `files` will be read, in this order. The
    /// default does nothing. (A progress display sizes itself here.)
    fn begin_read(&mut self, files: &[std::path::PathBuf]) {
        let _ = files;
    }
    /// An input file is about to be delivered: its path and format are known,
    /// its counts are still zero. The default does nothing.
    fn begin_input(&mut self, input: &InputSummary) {
        let _ = input;
    }
    /// Every record and diagnostic of an input file was delivered; `input`
    /// holds its final counts. The default does nothing.
    fn end_input(&mut self, input: &InputSummary) {
        let _ = input;
    }
}

/// A [`Sink`] that keeps everything in memory. Handy for tests and small inputs.
#[derive(Debug, Default, Clone)]
pub struct Collect {
    /// The records, in delivery order.
    pub records: Vec<Record>,
    /// The diagnostics, in delivery order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink for Collect {
    fn record(&mut self, record: Record) {
        self.records.push(record);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

impl Collect {
    /// The events among the collected records.
    pub fn events(&self) -> impl Iterator<Item = &crate::model::Event> {
        self.records.iter().filter_map(Record::as_event)
    }
}
