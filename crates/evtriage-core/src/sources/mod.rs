//! Readers for every text-based input and for zip archives.
//!
//! Each submodule turns one format into records. They share the same rules:
//! the bytes are decoded by [`crate::text`] first (a binary or undecodable
//! input is reported, never parsed), every record carries the line where it
//! starts, and a line or element that cannot be read becomes a
//! [`Diagnostic`] while reading goes on. See `docs/formats.md` for what each
//! format yields.

use std::sync::Arc;

use crate::contract::{keep_whole, EventKey, Format, InputSummary, ReadOptions, Reviewer, Sink, Verdict};
use crate::diag::Diagnostic;
use crate::model::{Event, Locator, Record};

pub mod archives;
pub mod etw_text;
pub mod event_xml;
pub mod exports;
pub mod netsh;
pub mod netstat;
pub(crate) mod pieces;
pub mod powershell;
pub mod reg;
pub mod sc_qc;
pub mod tasklist;
pub mod tcpvcon;
pub mod tracerpt_csv;
pub mod updates;
pub mod zip;
pub mod zip_rebuild;

/// What a source writes to while it reads one input: the sink, the counts,
/// and the options (event filter).
pub struct Ctx<'a> {
    /// The input's name (for origins and diagnostics).
    pub name: Arc<str>,
    /// The read options.
    pub options: &'a ReadOptions,
    /// Where records and diagnostics go.
    pub sink: &'a mut dyn Sink,
    /// The counts being kept for this input.
    pub summary: &'a mut InputSummary,
    /// The filter's reviewer for this input (made on first use).
    pub reviewer: Option<Box<dyn Reviewer + 'a>>,
    /// The input's (or, for a large input read in pieces, the piece's)
    /// place in delivery order, when it has one (see
    /// [`crate::EventFilter::reviewer_at`]).
    pub unit: Option<u64>,
}

impl Ctx<'_> {
    /// Delivers a snapshot record (socket, process, registry value, command output).
    pub fn record(&mut self, record: Record) {
        self.summary.records += 1;
        self.sink.record(record);
    }

    /// Delivers an event, unless the event filter passes over it; counted as read either way.
    pub fn event(&mut self, event: Event) {
        let key = EventKey {
            provider: event.provider.name.as_deref(),
            guid: event.provider.guid.as_ref(),
            event_id: event.event_id,
        };
        let selection = self.options.select(&key);
        // Counted as read either way, as evtx and ETL inputs count them.
        self.summary.records += 1;
        match keep_whole(self.options, self.unit, selection, &mut self.reviewer, &event) {
            Verdict::Drop => self.summary.filtered += 1,
            Verdict::Repeat => {}
            _ => self.sink.record(Record::Event(Box::new(event))),
        }
    }

    /// Reports something skipped at `locator` and counts it.
    pub fn skip(&mut self, locator: Locator, message: impl Into<String>) {
        self.summary.skipped += 1;
        self.sink.diagnostic(Diagnostic::skipped(self.name.clone(), locator, message));
    }

    /// Reports something skipped at `line` and counts it.
    pub fn skip_line(&mut self, line: u64, message: impl Into<String>) {
        self.skip(Locator::Line { line }, message);
    }

    /// Passes on a diagnostic a helper produced, counting it as skipped when it is one.
    pub fn diagnostic(&mut self, d: Diagnostic) {
        if d.severity == crate::diag::Severity::Skipped {
            self.summary.skipped += 1;
        }
        self.sink.diagnostic(d);
    }

    /// A note about one line (nothing lost).
    pub fn note_line(&mut self, line: u64, message: impl Into<String>) {
        self.sink.diagnostic(Diagnostic::note(self.name.clone(), Locator::Line { line }, message));
    }

    /// A note about the whole input (nothing lost).
    pub fn note(&mut self, message: impl Into<String>) {
        self.sink.diagnostic(Diagnostic::note(self.name.clone(), Locator::File, message));
    }
}

/// Reads an input of a text format, already recognised as `format`,
/// delivering to `sink` and counting into `summary`. (Zip archives are read by
/// [`zip::read_zip`], which needs a reader for its members.)
pub fn read_format(
    options: &ReadOptions,
    format: Format,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    let decoded = match crate::text::decode(bytes) {
        Ok(d) => d,
        Err(e) => {
            sink.diagnostic(Diagnostic::failed(name, format!("cannot read as text: {e}")));
            return;
        }
    };
    summary.encoding = Some(decoded.encoding.to_string());
    let kinds = crate::console::kinds_of(format);
    if !kinds.is_empty() {
        let head = head_of(&decoded.text, 64 * 1024);
        summary.language = crate::console::language_of(head, kinds).map(str::to_string);
    }
    let mut ctx = Ctx { name, options, sink, summary, reviewer: None, unit: None };
    if decoded.lossy {
        ctx.note(if decoded.encoding == crate::text::Encoding::Windows1252 {
            "not valid UTF-8; read as Windows-1252".to_string()
        } else {
            format!("some bytes are not valid {}; they were replaced", decoded.encoding)
        });
    }
    let text = decoded.text.as_str();
    match format {
        Format::EventXml | Format::TracerptXml => event_xml::read(text, format, &mut ctx),
        Format::EtwText => etw_text::read(text, &mut ctx),
        Format::TracerptCsv => tracerpt_csv::read(text, &mut ctx),
        Format::Netstat => netstat::read(text, &mut ctx),
        Format::Tcpvcon => tcpvcon::read(text, &mut ctx),
        Format::Tasklist => tasklist::read(text, &mut ctx),
        Format::ScQc => sc_qc::read(text, &mut ctx),
        Format::Reg => reg::read(text, &mut ctx),
        Format::Systeminfo => updates::read_systeminfo(text, &mut ctx),
        Format::HotfixTable => updates::read_table(text, &mut ctx),
        Format::NetshPorts => netsh::read(text, &mut ctx),
        Format::PowerShellList => powershell::read(text, &mut ctx),
        Format::EventViewerCsv
        | Format::EventViewerText
        | Format::WevtutilText
        | Format::GetWinEventList
        | Format::GetWinEventCsv => {
            exports::read(format, text, &exports::Plan::whole(), &mut ctx);
        }
        _ => ctx.note("not a format evtriage reads; passed over"),
    }
}

/// The first `max` bytes of `text` (cut back to a character boundary).
fn head_of(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// Why an unrecognised input was not read, in words: binary, undecodable, or text of an unknown kind.
pub fn unknown_reason(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty file; passed over".to_string();
    }
    match crate::text::decode_head(bytes.get(..bytes.len().min(64 * 1024)).unwrap_or(bytes)) {
        Ok(_) => "text, but not a format evtriage reads; passed over".to_string(),
        Err(e) => format!("not a format evtriage reads ({e}); passed over"),
    }
}

/// Splits CSV text into records of fields, honouring `"quoted, fields"`
/// with doubled quotes and quoted line breaks. Each record comes with the
/// 1-based line it starts on. Line ends (CRLF or LF) are not part of fields.
pub fn csv_records(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line: u64 = 1;
    let mut start_line: u64 = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            }
            '"' if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
                any = true;
            }
            ',' if !in_quotes => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\n' => {
                if in_quotes {
                    field.push('\n');
                } else {
                    if field.ends_with('\r') {
                        field.pop();
                    }
                    fields.push(std::mem::take(&mut field));
                    if any || fields.iter().any(|f| !f.is_empty()) {
                        out.push((start_line, std::mem::take(&mut fields)));
                    } else {
                        fields.clear();
                    }
                    any = false;
                    start_line = line + 1;
                }
                line += 1;
            }
            _ => {
                field.push(c);
                any |= c != '\r';
            }
        }
    }
    if field.ends_with('\r') {
        field.pop();
    }
    if any || !field.is_empty() {
        fields.push(field);
        out.push((start_line, fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_lines() {
        let recs = csv_records("a, b ,\" \"\"x\"\", y\"\r\n\r\n\"multi\nline\",2\n");
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0], (1, vec!["a".to_string(), " b ".to_string(), " \"x\", y".to_string()]));
        assert_eq!(recs[1], (3, vec!["multi\nline".to_string(), "2".to_string()]));
    }
}
