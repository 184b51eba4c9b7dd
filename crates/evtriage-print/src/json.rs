//! The analysis report as JSON: the versioned contract that tools read.
//!
//! The shape is the serialisation of [`evtriage_rules::Report`] (its fields
//! and version, [`evtriage_rules::REPORT_VERSION`], are documented there and
//! in `docs/rules.md`); this module only writes it, pretty-printed.

use std::io::{self, Write};

use evtriage_rules::Report;

use crate::ReportSink;

/// The JSON contract, pretty-printed, with a final newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonReport;

impl ReportSink for JsonReport {
    fn write_report(&mut self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
        writeln!(out)
    }
}
