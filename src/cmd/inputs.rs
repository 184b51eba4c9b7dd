//! `evtriage inputs PATH...`: what each input file is and how much of it was read.
//!
//! For every file (folders are walked, zip members are read in place) it
//! prints the format recognised, the records read, the records or lines
//! skipped, and the diagnostics — so a support engineer sees at once which
//! files evtriage did not understand and why.

use std::io::Write;
use std::path::PathBuf;

use evtriage_core::{Diagnostic, ReadOptions, Reader, Record, Sink};
use evtriage_print::inputs::InputList;

use crate::error::{Error, Outcome};

/// Output shape of `evtriage inputs` (see [`evtriage_print::inputs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputsFormat {
    /// One line per file, diagnostics indented below it.
    Table,
    /// One JSON document: an array of files with their diagnostics.
    Json,
}

/// A sink that keeps diagnostics and only counts records.
#[derive(Default)]
struct CountSink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink for CountSink {
    fn record(&mut self, _record: Record) {}
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// Runs `evtriage inputs`: an error for a missing path, or when no record
/// at all could be read (after the list, which says why).
pub fn run(
    paths: &[PathBuf],
    format: InputsFormat,
    (locale, source_tz): (Option<u32>, Option<evtriage_core::SourceTz>),
    follow_symlinks: bool,
) -> Result<Outcome, Error> {
    Error::check_paths(paths)?;
    let mut options = ReadOptions::new().follow_symlinks(follow_symlinks);
    if let Some(lcid) = locale {
        options = options.locale(lcid);
    }
    if let Some(zone) = source_tz {
        options = options.source_tz(zone);
    }
    let reader = Reader::new(options);
    let mut sink = CountSink::default();
    let summaries = reader.read_paths(paths, &mut sink);
    let unread = evtriage_core::unread(&summaries, &sink.diagnostics);
    let list = InputList::new(&summaries, &sink.diagnostics, &unread);
    let mut out = std::io::stdout().lock();
    let written = match format {
        InputsFormat::Json => {
            let json =
                list.to_json().map_err(|e| Error::Unlabelled(format!("cannot write the report as JSON: {e}")))?;
            writeln!(out, "{json}")
        }
        InputsFormat::Table => list.write_table(&mut out),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| Error::writing(e, |e| Error::Unlabelled(format!("cannot write the report: {e}"))))?;
    Error::nothing_read(&summaries, Vec::new(), "the list above says why for each input.")?;
    Ok(Outcome::Success)
}
