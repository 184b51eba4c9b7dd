//! Reading inputs: paths in, records and diagnostics out.
//!
//! A [`Reader`] takes files, folders and archives, recognises each file by its
//! content ([`crate::format::detect`]), hands it to the right source, and
//! delivers every [`Record`] and [`Diagnostic`] to a [`Sink`]. It returns one
//! [`InputSummary`] per input file so that a report can say what was read.
//!
//! Delivery order is stable: inputs in sorted path order, records in file
//! order, whatever the number of threads.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::format::Format;
use crate::model::{Guid, Record};

/// Receives what the sources read.
pub trait Sink {
    /// One record, in input order.
    fn record(&mut self, record: Record);
    /// One diagnostic (something skipped or unreadable).
    fn diagnostic(&mut self, diagnostic: Diagnostic);
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

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// The input (same spelling as [`crate::Origin::source`]).
    pub path: Arc<str>,
    /// The format recognised.
    pub format: Format,
    /// Records delivered (including events a filter passed over; see `filtered`).
    pub records: u64,
    /// Records or lines that could not be read and were skipped.
    pub skipped: u64,
    /// Events read but not delivered because the [`ReadOptions::event_filter`] did not want them.
    #[serde(default)]
    pub filtered: u64,
}

/// The cheap identity of an event, known before the rest of it is decoded.
#[derive(Debug, Clone, Copy)]
pub struct EventKey<'a> {
    /// Provider name, when known.
    pub provider: Option<&'a str>,
    /// Provider GUID, when known.
    pub guid: Option<&'a Guid>,
    /// Event id.
    pub event_id: u32,
}

/// A predicate on [`EventKey`]: events it rejects are counted but not decoded further or delivered.
pub type EventFilter = Arc<dyn Fn(&EventKey<'_>) -> bool + Send + Sync>;

/// How to read.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Only events this accepts are delivered (snapshots are always delivered).
    pub event_filter: Option<EventFilter>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
            .field("event_filter", &self.event_filter.is_some())
            .finish()
    }
}

impl ReadOptions {
    /// Whether an event with this key is wanted.
    pub fn wants(&self, key: &EventKey<'_>) -> bool {
        self.event_filter.as_ref().is_none_or(|f| f(key))
    }
}

/// Reads inputs into records. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Reader {
    options: ReadOptions,
}

impl Reader {
    /// A reader with `options`.
    pub fn new(options: ReadOptions) -> Self {
        Reader { options }
    }

    /// The options in use.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Reads a file, a folder (recursively) or an archive. Never fails: what
    /// cannot be read becomes a diagnostic.
    pub fn read_path(&self, path: &Path, sink: &mut dyn Sink) -> Vec<InputSummary> {
        let mut files = Vec::new();
        crate::walk::collect_files(path, &mut files, sink);
        files.iter().map(|f| self.read_file(f, sink)).collect()
    }

    /// Reads several paths; inputs are read in sorted, de-duplicated order so
    /// that output does not depend on the order given.
    pub fn read_paths<P: AsRef<Path>>(&self, paths: &[P], sink: &mut dyn Sink) -> Vec<InputSummary> {
        let mut files = Vec::new();
        for p in paths {
            crate::walk::collect_files(p.as_ref(), &mut files, sink);
        }
        files.sort();
        files.dedup();
        files.iter().map(|f| self.read_file(f, sink)).collect()
    }

    /// Reads one file of any supported format.
    pub fn read_file(&self, path: &Path, sink: &mut dyn Sink) -> InputSummary {
        let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                sink.diagnostic(Diagnostic::failed(name.clone(), format!("cannot read the file: {e}")));
                return InputSummary { path: name, format: Format::Unknown, records: 0, skipped: 0, filtered: 0 };
            }
        };
        self.read_bytes(name, &bytes, sink)
    }

    /// Reads an input already in memory; `name` is how records and diagnostics will name it.
    pub fn read_bytes(&self, name: Arc<str>, bytes: &[u8], sink: &mut dyn Sink) -> InputSummary {
        let format = crate::format::detect(&bytes[..bytes.len().min(64 * 1024)]);
        let mut summary = InputSummary { path: name.clone(), format, records: 0, skipped: 0, filtered: 0 };
        match format {
            Format::Evtx => crate::evtx::read_evtx(name, bytes, &self.options, sink, &mut summary),
            Format::Etl => crate::etl::read_etl(name, bytes, &self.options, sink, &mut summary),
            Format::EventXml
            | Format::TracerptXml
            | Format::TracerptCsv
            | Format::EtwText
            | Format::Netstat
            | Format::Tcpvcon
            | Format::Tasklist
            | Format::Reg
            | Format::PowerShellList
            | Format::Zip => crate::sources::read_format(self, format, name, bytes, sink, &mut summary),
            _ => {
                sink.diagnostic(Diagnostic::note(
                    name,
                    crate::model::Locator::File,
                    crate::sources::unknown_reason(bytes),
                ));
            }
        }
        summary
    }
}
