//! Large text inputs read in pieces, so that memory does not grow with them.
//!
//! An XML export of a year of Security events (`wevtutil qe /f:xml`) or a
//! long ETW text trace can be gigabytes. Read whole, it would be held three
//! times over: its bytes, its decoded text and its records. Above
//! [`STREAM_ABOVE`], the reader instead cuts the file into pieces of about
//! [`PIECE`] bytes where a record starts — before an `<Event` start tag,
//! after a line end — and each piece is decoded and parsed on its own, in
//! parallel, like the chunks of an evtx log, and delivered in order. Cutting
//! where the parser itself would start a new record changes nothing it
//! reads: an `<Event>` element ends at the next `<Event` start tag at the
//! latest (see [`crate::event_parser::XmlEvents`]), and an ETW text record is
//! one line. Records and diagnostics carry the line numbers of the whole
//! file.
//!
//! What is decided per piece instead of for the whole file: whether bytes
//! that are not valid UTF-8 make the text Windows-1252, and whether it is
//! text at all. A damaged stretch of a large file costs its piece (reported
//! with its lines), not the file; the encoding's byte-order mark and UTF-16
//! are still recognised from the file's start.

use std::sync::Arc;

use crate::contract::{Collect, Format, InputSummary, JsonLines, ReadOptions, Sink};
use crate::diag::Diagnostic;
use crate::model::Locator;
use crate::pipeline::{Delivered, Pipeline};
use crate::text::Encoding;
use crate::work::Batch;
use crate::work::{merge_collect, Unit};

use super::exports::{self, Outcome, Plan};
use super::Ctx;

/// Files of a piecewise format larger than this are read in pieces.
pub(crate) const STREAM_ABOVE: u64 = 4 << 20;

/// About how many bytes a piece holds (more when one record is larger).
pub(crate) const PIECE: usize = 256 << 10;

/// Whether inputs of `format` can be read in pieces.
pub(crate) fn piecewise(format: Format) -> bool {
    matches!(
        format,
        Format::EventXml
            | Format::TracerptXml
            | Format::EtwText
            | Format::Netstat
            | Format::Tcpvcon
            | Format::Reg
            | Format::Tasklist
            | Format::TracerptCsv
    ) || export(format)
}

/// Whether `format` is one of Event Viewer's or PowerShell's text exports
/// (read in two passes, see [`feed`]).
fn export(format: Format) -> bool {
    format.writes_local_times()
}

/// Files of a piecewise format larger than this are read in pieces (any
/// size when a piece size is set for tests, [`ReadOptions::piece_size`]).
pub(crate) fn stream_above(options: &ReadOptions) -> u64 {
    if options.piece.is_some() {
        0
    } else {
        STREAM_ABOVE
    }
}

/// How a large text file is laid out: its encoding (from its byte-order mark
/// or, without one, from where NUL bytes sit in its first bytes) and how
/// many bytes the mark takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// UTF-16 (LE or BE), or 8-bit (UTF-8, else Windows-1252, per piece).
    pub(crate) encoding: Encoding,
    /// Length of the byte-order mark.
    pub(crate) bom: usize,
}

impl Layout {
    /// The layout of a file that starts with `head`.
    pub(crate) fn of(head: &[u8]) -> Layout {
        if head.starts_with(b"\xEF\xBB\xBF") {
            return Layout { encoding: Encoding::Utf8, bom: 3 };
        }
        if head.starts_with(b"\xFF\xFE") {
            return Layout { encoding: Encoding::Utf16Le, bom: 2 };
        }
        if head.starts_with(b"\xFE\xFF") {
            return Layout { encoding: Encoding::Utf16Be, bom: 2 };
        }
        if let Some(encoding) = crate::text::sniff_utf16(head) {
            return Layout { encoding, bom: 0 };
        }
        // Not UTF-8 from the start: the code page its words show, decided once
        // for the file (every code page read here keeps ASCII as it is, so
        // pieces are still cut at ASCII line ends and tags).
        let not_utf8 = std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some());
        if not_utf8 {
            if let Ok(crate::text::Decoded { encoding: Encoding::CodePage(cp), .. }) = crate::text::decode_head(head) {
                return Layout { encoding: Encoding::CodePage(cp), bom: 0 };
            }
        }
        Layout { encoding: Encoding::Utf8, bom: 0 }
    }

    /// Bytes per code unit.
    fn unit(self) -> usize {
        match self.encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            _ => 1,
        }
    }

    /// The code unit at byte `at` (which must be on a unit boundary).
    fn at(self, bytes: &[u8], at: usize) -> Option<u16> {
        match self.encoding {
            Encoding::Utf16Le => Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?])),
            Encoding::Utf16Be => Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?])),
            _ => bytes.get(at).map(|b| u16::from(*b)),
        }
    }

    /// `text` (ASCII) in this layout's encoding.
    fn encode(self, text: &str) -> Vec<u8> {
        match self.encoding {
            Encoding::Utf16Le => text.bytes().flat_map(|b| [b, 0]).collect(),
            Encoding::Utf16Be => text.bytes().flat_map(|b| [0, b]).collect(),
            _ => text.as_bytes().to_vec(),
        }
    }
}

/// Where the last piece of `bytes` may end: the start of the last record
/// after byte 0 (`None` when there is none: the piece must grow). `first`:
/// `bytes` starts the file (an `Export-Csv`'s header is not cut from it).
pub(crate) fn last_cut(bytes: &[u8], format: Format, layout: Layout, first: bool) -> Option<usize> {
    let unit = layout.unit();
    if export(format) {
        return export_cut(bytes, format, layout, first);
    }
    match format {
        Format::Netstat => {
            // Before the last line that is a socket row (`  TCP    …`): the
            // `-b` lines after a row (its services, its image) stay with it.
            last_start_of_line(bytes, layout, |line| is_socket_row(line, layout))
        }
        Format::TracerptCsv => {
            // After the last line break outside quotes (a quoted field may
            // hold line breaks). A piece starts a row, so quotes are closed
            // where it starts.
            let mut in_quotes = false;
            let mut last = None;
            let mut i = 0;
            while let Some(c) = layout.at(bytes, i) {
                match c {
                    0x22 => in_quotes = !in_quotes,
                    0x0a if !in_quotes && i + unit < bytes.len() => last = Some(i + unit),
                    _ => {}
                }
                i += unit;
            }
            last
        }
        Format::Tasklist => {
            // Before the last line that starts with a non-blank: a process
            // row (its wrapped service lines start with blanks) or a CSV row.
            last_start_of_line(bytes, layout, |line| {
                layout.at(line, 0).is_some_and(|c| !matches!(c, 0x20 | 0x09 | 0x0d | 0x0a))
            })
        }
        Format::Reg => {
            // Before the last key line (`[HKEY_…]`): a value and its
            // continuation lines (indented hex) stay with their key.
            last_start_of_line(bytes, layout, |line| layout.at(line, 0) == Some(u16::from(b'[')))
        }
        Format::EtwText | Format::Tcpvcon => {
            // After the last line feed.
            let lf = layout.encode("\n");
            let mut end = bytes.len();
            while let Some(i) = memchr::memmem::rfind(bytes.get(..end)?, &lf) {
                if i % unit == 0 {
                    return Some(i + unit);
                }
                end = i + lf.len() - 1;
            }
            None
        }
        _ => {
            // Before the last `<Event` start tag (the name followed by a blank, `>` or `/`).
            let tag = layout.encode("<Event");
            let mut end = bytes.len();
            while let Some(i) = memchr::memmem::rfind(bytes.get(..end)?, &tag) {
                let next = layout.at(bytes, i + tag.len());
                let ends_name = matches!(next, Some(0x20 | 0x09 | 0x0d | 0x0a | 0x3e | 0x2f));
                if i % unit == 0 && i > 0 && ends_name {
                    return Some(i);
                }
                if i == 0 {
                    return None;
                }
                end = i + tag.len() - 1;
            }
            None
        }
    }
}

/// The start of the last line of `bytes` after byte 0 for which `starts`
/// holds (given the bytes from that line on); `None` when there is none.
fn last_start_of_line(bytes: &[u8], layout: Layout, starts: impl Fn(&[u8]) -> bool) -> Option<usize> {
    let unit = layout.unit();
    let lf = layout.encode("\n");
    let mut end = bytes.len();
    while let Some(i) = memchr::memmem::rfind(bytes.get(..end)?, &lf) {
        let start = i + lf.len();
        if i % unit == 0 && start < bytes.len() && starts(bytes.get(start..)?) {
            return Some(start);
        }
        if i == 0 {
            return None;
        }
        end = i + lf.len() - 1;
    }
    None
}

/// Whether `bytes` start with a netstat socket row: blanks, then `TCP` or
/// `UDP` and a blank (in the layout's encoding).
fn is_socket_row(bytes: &[u8], layout: Layout) -> bool {
    let unit = layout.unit();
    let mut i = 0;
    while matches!(layout.at(bytes, i), Some(0x20 | 0x09)) {
        i += unit;
    }
    let word: Vec<u8> =
        (0..4).filter_map(|k| layout.at(bytes, i + k * unit)).map(|c| (c as u8).to_ascii_uppercase()).collect();
    matches!(word.as_slice(), [b'T', b'C', b'P', b' ' | b'\t'] | [b'U', b'D', b'P', b' ' | b'\t'])
}

/// [`last_cut`] for the text exports: the bytes are decoded as their piece
/// will be (a character cut off at the end left out), the layout's reader
/// says where its last record that a piece may start with begins, and that
/// place is turned back into a byte offset.
///
/// - Event Viewer CSV and text: a line that starts a row, not inside a
///   quoted message that an earlier row's line opened (a message may span
///   lines in quotes, and an unquoted one goes on over lines that start no
///   row; either way it stays with its row);
/// - `wevtutil` text: an `Event[N]:` line (the description runs to the next);
/// - `Format-List`: a property line after a blank line (a `Message`'s
///   further lines are indented; blank lines inside it are followed by
///   indented lines, not by a property);
/// - `Export-Csv`: a line break outside quotes (quoted fields hold line
///   breaks), after the `#TYPE` line and the header.
fn export_cut(bytes: &[u8], format: Format, layout: Layout, first: bool) -> Option<usize> {
    use super::exports::{eventviewer, wevtutil, winevent};
    let (text, kind) = scan_text(bytes, layout);
    let text = text.as_ref();
    let at = match format {
        Format::EventViewerCsv => eventviewer::last_row_start(text, ','),
        Format::EventViewerText => eventviewer::last_row_start(text, '\t'),
        Format::GetWinEventCsv => winevent::last_record_start(text, first),
        Format::WevtutilText => last_line_start(text, |line, _| wevtutil::is_block_start(line)),
        _ => last_line_start(text, winevent::starts_block),
    }?;
    let prefix = text.get(..at)?;
    Some(match kind {
        Scan::Utf8 => at,
        Scan::Bytes => prefix.chars().count(),
        Scan::Utf16 => prefix.encode_utf16().count() * 2,
    })
}

/// How the text of [`scan_text`] maps to the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// UTF-8: the same offsets.
    Utf8,
    /// Windows-1252: one character per byte.
    Bytes,
    /// UTF-16: two bytes per code unit.
    Utf16,
}

/// `bytes` decoded as [`crate::text::decode_piece`] would, for finding
/// where records start: UTF-8 when it is (a character cut off at the end
/// left out), else Windows-1252; UTF-16 with unpaired surrogates replaced
/// (one unit each, as the replacement character takes).
fn scan_text(bytes: &[u8], layout: Layout) -> (std::borrow::Cow<'_, str>, Scan) {
    use std::borrow::Cow;
    match layout.encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let units = bytes.chunks_exact(2).map(|c| match (layout.encoding, c) {
                (Encoding::Utf16Le, [a, b]) => u16::from_le_bytes([*a, *b]),
                (_, [a, b]) => u16::from_be_bytes([*a, *b]),
                _ => 0,
            });
            let text: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
            (Cow::Owned(text), Scan::Utf16)
        }
        _ => match std::str::from_utf8(bytes) {
            Ok(t) => (Cow::Borrowed(t), Scan::Utf8),
            Err(e) if e.error_len().is_none() => (
                Cow::Borrowed(
                    std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default(),
                ),
                Scan::Utf8,
            ),
            Err(_) => (Cow::Owned(bytes.iter().map(|&b| crate::text::windows_1252(b)).collect()), Scan::Bytes),
        },
    }
}

/// The start of the last whole line of `text` (ended by a line feed) after
/// offset 0 for which `starts(line, previous line)` holds; line ends as
/// [`crate::text::numbered_lines`] strips them.
fn last_line_start(text: &str, starts: impl Fn(&str, &str) -> bool) -> Option<usize> {
    let strip = |l: &str| -> String { l.strip_suffix('\r').unwrap_or(l).to_string() };
    // Whole lines only: the text after the last line feed may be cut off.
    let whole = text.get(..text.rfind('\n')?)?;
    let mut end = whole.len();
    loop {
        let start = whole.get(..end)?.rfind('\n')? + 1;
        let line = strip(whole.get(start..end)?);
        let prev_start = whole.get(..start - 1)?.rfind('\n').map_or(0, |i| i + 1);
        let prev = strip(whole.get(prev_start..start - 1)?);
        if starts(&line, &prev) {
            return Some(start);
        }
        end = start - 1;
    }
}

/// How many lines `bytes` moves the line count on: its line feeds, as both
/// parsers count lines ([`crate::event_parser::XmlEvents`] and
/// [`crate::text::numbered_lines`]).
pub(crate) fn line_breaks(bytes: &[u8], layout: Layout) -> u64 {
    let lf = layout.encode("\n");
    memchr::memmem::find_iter(bytes, &lf).filter(|i| i % layout.unit() == 0).count() as u64
}

/// Whether `bytes` ends with a line feed.
pub(crate) fn ends_with_line_feed(bytes: &[u8], layout: Layout) -> bool {
    bytes.ends_with(&layout.encode("\n"))
}

/// Reads one piece of a large text input: `bytes` (no byte-order mark),
/// whose first line is line `first_line` of the file, delivering its records
/// and diagnostics with the file's line numbers. `unit` is its place in
/// delivery order. `whole`: the piece is the whole file (no record start was
/// found to cut at), so an XML piece without events is noted as such.
/// `plan`: what a piece of a text export needs of the whole file; what it
/// found is returned (nothing for other formats).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_piece(
    options: &ReadOptions,
    format: Format,
    name: Arc<str>,
    bytes: &[u8],
    layout: Layout,
    (first_line, last_line): (u64, u64),
    (unit, whole, plan): (Option<u64>, bool, &Plan),
    sink: &mut Collect,
    summary: &mut InputSummary,
) -> Outcome {
    let lines =
        if last_line > first_line { format!("lines {first_line}–{last_line}") } else { format!("line {first_line}") };
    let decoded = match crate::text::decode_piece(bytes, layout.encoding) {
        Ok(d) => d,
        Err(e) => {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(
                name,
                Locator::Line { line: first_line },
                format!("{lines} skipped: cannot read them as text: {e}"),
            ));
            return Outcome::default();
        }
    };
    if decoded.lossy {
        let what = if decoded.encoding == Encoding::Windows1252 {
            format!("{lines} are not valid UTF-8; they were read as Windows-1252")
        } else {
            format!("some bytes of {lines} are not valid {}; they were replaced", decoded.encoding)
        };
        sink.diagnostic(Diagnostic::note(name.clone(), Locator::Line { line: first_line }, what));
    }
    let start = (sink.records.len(), sink.diagnostics.len());
    // Lines of the file's header put before a piece (tasklist), not counted in the file's.
    let mut header_lines = 0u64;
    let outcome = {
        let mut ctx = Ctx { name, options, sink: &mut *sink, summary, reviewer: None, unit };
        match format {
            Format::EtwText => {
                super::etw_text::read(&decoded.text, &mut ctx);
                Outcome::default()
            }
            Format::Netstat => {
                // A piece after the first starts past the header.
                super::netstat::read_from(&decoded.text, first_line > 1, &mut ctx);
                Outcome::default()
            }
            Format::Tcpvcon => {
                super::tcpvcon::read(&decoded.text, &mut ctx);
                Outcome::default()
            }
            Format::TracerptCsv => {
                // A piece after the first is read after the file's header row.
                header_lines = read_after_header(&decoded.text, plan, first_line, &mut ctx, super::tracerpt_csv::read);
                Outcome::default()
            }
            Format::Tasklist => {
                // A piece after the first is read after the file's header
                // (the column titles and the `=====` rule that gives the
                // columns, or the CSV header), whose lines are then not its own.
                header_lines = read_after_header(&decoded.text, plan, first_line, &mut ctx, super::tasklist::read);
                Outcome::default()
            }
            Format::Reg => {
                // A piece after the first: past the header line, which said
                // whether strings are 8-bit (REGEDIT4).
                let after = (first_line > 1).then_some(plan.regedit4);
                super::reg::read_from(&decoded.text, after, &mut ctx);
                Outcome::default()
            }
            f if export(f) => super::exports::read(f, &decoded.text, plan, &mut ctx),
            _ => {
                if super::event_xml::read_events(&decoded.text, format, &mut ctx) == 0 && whole {
                    ctx.note(super::event_xml::NO_EVENTS);
                }
                Outcome::default()
            }
        }
    };
    // The parser counted lines from 1: move them to the file's.
    let shift = first_line.saturating_sub(1);
    let moved = |l: &mut Locator| {
        if let Locator::Line { line } = l {
            *line = (*line + shift).saturating_sub(header_lines);
        }
    };
    for r in sink.records.iter_mut().skip(start.0) {
        moved(&mut r.origin_mut().locator);
    }
    for d in sink.diagnostics.iter_mut().skip(start.1) {
        moved(&mut d.locator);
    }
    outcome
}

/// Reads a piece with `read`: a piece after the first after the file's
/// header (`plan.header`), which the format needs to read its rows. Returns
/// how many lines the header added before the piece's own.
fn read_after_header(text: &str, plan: &Plan, first_line: u64, ctx: &mut Ctx<'_>, read: fn(&str, &mut Ctx<'_>)) -> u64 {
    match plan.header.as_deref().filter(|_| first_line > 1) {
        Some(header) => {
            read(&format!("{header}{text}"), ctx);
            header.matches('\n').count() as u64
        }
        None => {
            read(text, ctx);
            0
        }
    }
}

/// The longest record read: a record (an XML event, a line of a trace, a
/// row of an export) longer than this is skipped with a diagnostic naming
/// its first line, and the rest of the file is read, so that one giant
/// record (a `<Data>` of hundreds of MB, a quote never closed) cannot make
/// a piece grow to the size of the file.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// One piece cut from a file by [`cut`].
struct Piece {
    /// Its bytes; empty for a record skipped as too long (`oversized`).
    bytes: Vec<u8>,
    /// For a record longer than [`MAX_RECORD_BYTES`]: how many of its bytes
    /// were passed over (the rest of it goes with the next piece, whose
    /// reader skips what it cannot read).
    oversized: Option<u64>,
    /// Its first and last lines in the file.
    lines: (u64, u64),
    /// It is the whole file.
    whole: bool,
    /// It is the first.
    first: bool,
}

impl Piece {
    /// The report of a record passed over as too long: its first line,
    /// bytes passed over and last line.
    fn oversized((start, bytes, end): (u64, u64, u64), first: bool) -> Piece {
        Piece { bytes: Vec::new(), oversized: Some(bytes), lines: (start, end), whole: false, first }
    }
}

/// Reads `data` in blocks and cuts them where a record of `format` starts
/// (pieces of about `size` bytes), handing each piece to `each`, in order.
/// Returns how many bytes were read and the error that stopped reading, if one did.
fn cut(
    data: &mut impl std::io::Read,
    (format, layout, size): (Format, Layout, usize),
    mut each: impl FnMut(Piece),
) -> (u64, Option<std::io::Error>) {
    let mut buf: Vec<u8> = Vec::new();
    // The byte-order mark whole in the first block, however small the pieces.
    let mut want = size.max(layout.bom);
    let mut eof = false;
    let mut read_error = None;
    let mut consumed = 0u64;
    let mut bom = layout.bom;
    let mut first_line = 1u64;
    let mut pieces = 0u64;
    // A record passed over as too long: its first line, bytes, last line.
    let mut skipped: Option<(u64, u64, u64)> = None;
    loop {
        while buf.len() < want && !eof {
            let old = buf.len();
            buf.resize(want, 0);
            let got = data.read(buf.get_mut(old..).unwrap_or_default());
            match got {
                Ok(0) => {
                    buf.truncate(old);
                    eof = true;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    read_error = Some(e);
                    eof = true;
                }
            }
        }
        if bom > 0 {
            let n = bom.min(buf.len());
            buf.drain(..n);
            consumed += n as u64;
            bom = 0;
        }
        if buf.is_empty() {
            if eof {
                break;
            }
            want = size;
            continue;
        }
        let cut = if eof { Some(buf.len()) } else { last_cut(&buf, format, layout, pieces == 0) };
        let Some(cut) = cut else {
            if buf.len() >= MAX_RECORD_BYTES {
                // One record longer than the limit: its bytes so far are passed
                // over (whole code units), the rest of the file is read.
                let unit = layout.unit();
                let dropped = buf.len() - buf.len() % unit;
                let rest = buf.split_off(dropped);
                let breaks = line_breaks(&buf, layout);
                consumed += dropped as u64;
                // One report for the whole record, however many limits it spans.
                let (start, bytes, _) = skipped.unwrap_or((first_line, 0, first_line));
                skipped = Some((start, bytes + dropped as u64, first_line + breaks));
                first_line += breaks;
                buf = rest;
                want = buf.len() + size;
                continue;
            }
            // One record larger than the piece so far: read more, up to the limit.
            want = want.saturating_mul(2).min(MAX_RECORD_BYTES.max(buf.len() + 1));
            continue;
        };
        if let Some(over) = skipped.take() {
            each(Piece::oversized(over, pieces == 0));
            pieces += 1;
        }
        let rest = buf.split_off(cut);
        let piece = std::mem::replace(&mut buf, rest);
        let breaks = line_breaks(&piece, layout);
        let last_line = first_line + breaks - u64::from(breaks > 0 && ends_with_line_feed(&piece, layout));
        let whole = pieces == 0 && eof && buf.is_empty();
        let lines = (first_line, last_line.max(first_line));
        consumed += piece.len() as u64;
        each(Piece { bytes: piece, oversized: None, lines, whole, first: pieces == 0 });
        pieces += 1;
        first_line += breaks;
        want = buf.len() + size;
    }
    if let Some(over) = skipped {
        each(Piece::oversized(over, pieces == 0));
    }
    (consumed, read_error)
}

/// Locks `m`, whatever a panicking holder left in it.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Queues the pieces of a large text input on the pipeline: the calling
/// thread reads the file in blocks and cuts them where a record starts;
/// each piece is decoded and parsed on a worker (see `sources::pieces`).
///
/// A text export (Event Viewer's CSV or text, `wevtutil` text,
/// `Get-WinEvent` output) is read twice. Its day/month order is decided
/// from the dates of all its rows, as when it is read whole, so a first
/// pass only counts them ([`exports::Tally`], piece by piece on the workers,
/// nothing delivered); the second reads the events with that order, every
/// piece after the first given the file's header line. The notes on the
/// zone and the order come with the first piece, the counts of ambiguous
/// local times once at the end.
pub(crate) fn feed<'s, T, M, D>(
    pipe: &mut Pipeline<'_, 's, T, M, D>,
    file: usize,
    name: &Arc<str>,
    mut data: std::fs::File,
    (format, head): (Format, &[u8]),
    options: &ReadOptions,
    json_lines: Option<&Arc<JsonLines>>,
) where
    T: Send + 's,
    M: Fn(Unit) -> T + Sync + ?Sized,
    D: FnMut(Delivered<'_, T>),
{
    let layout = Layout::of(head);
    let size = options.piece.unwrap_or(PIECE);
    // A file that grows while it is read is read up to the size it had when
    // opened (a log still being written, or a fill that never ends).
    let at_open = data.metadata().map_or(u64::MAX, |m| m.len());
    // The language of console output (netstat), from its start as when read whole.
    let language = crate::text::decode_head(head)
        .ok()
        .and_then(|d| crate::console::language_of(&d.text, crate::console::kinds_of(format)).map(str::to_string));
    let mut plan = Plan::default();
    if format == Format::Tasklist {
        plan.header = crate::text::decode_head(head).ok().and_then(|d| super::tasklist::header_of(&d.text));
    }
    if format == Format::TracerptCsv {
        // The header row: the first line (tracerpt writes no line break inside it).
        plan.header = crate::text::decode_head(head)
            .ok()
            .and_then(|d| d.text.split_inclusive('\n').next().filter(|l| l.ends_with('\n')).map(str::to_string));
    }
    if format == Format::Reg {
        plan.regedit4 = crate::text::decode_head(head).is_ok_and(|d| d.text.trim_start().starts_with("REGEDIT4"));
    }
    let found = Arc::new(std::sync::Mutex::new(Outcome::default()));
    if export(format) {
        // First pass: the rows' dates, and the header from the first piece.
        let mut header = None;
        let (_, error) = cut(&mut std::io::Read::take(&mut data, at_open), (format, layout, size), |piece| {
            if piece.oversized.is_some() {
                return; // reported by the second pass
            }
            if piece.first {
                header = crate::text::decode_piece(&piece.bytes, layout.encoding)
                    .ok()
                    .and_then(|d| exports::header_of(format, &d.text));
            }
            let plan = Plan { header: header.clone().filter(|_| !piece.first), tally_only: true, ..Plan::default() };
            let (name, options, found) = (name.clone(), options.clone(), found.clone());
            pipe.push(
                file,
                Box::new(move || {
                    let (mut collect, mut summary) = (Collect::default(), InputSummary::new(name.clone(), format));
                    let o = read_piece(
                        &options,
                        format,
                        name,
                        &piece.bytes,
                        layout,
                        piece.lines,
                        (None, piece.whole, &plan),
                        &mut collect,
                        &mut summary,
                    );
                    let mut f = lock(&found);
                    f.tally.add(&o.tally);
                    if !o.language.is_empty() || o.preferred.is_some() {
                        (f.preferred, f.language) = (o.preferred, o.language);
                    }
                    Batch::default()
                }),
            );
        });
        // Every piece counted (an error stopping the read is reported by the second pass).
        pipe.drain();
        let found = std::mem::take(&mut *lock(&found));
        let order = exports::decide_order_of(&found.tally, found.preferred, found.language);
        plan = Plan { header, order: Some(order), notes: found.tally.rows > 0, tally_only: false, regedit4: false };
        let rewound = error.map_or(Ok(0), Err).and_then(|_| std::io::Seek::rewind(&mut data));
        if let Err(e) = rewound {
            pipe.push_ready(
                file,
                Batch::one_skipped(Diagnostic::skipped(
                    name.clone(),
                    Locator::File,
                    format!("cannot read the file: {e}"),
                )),
            );
            return;
        }
    }
    let (consumed, read_error) = cut(&mut std::io::Read::take(&mut data, at_open), (format, layout, size), |piece| {
        if let Some(bytes) = piece.oversized {
            let limit = MAX_RECORD_BYTES >> 20;
            pipe.push_ready(
                file,
                Batch::one_skipped(Diagnostic::skipped(
                    name.clone(),
                    Locator::Line { line: piece.lines.0 },
                    format!(
                        "a record longer than {limit} MiB starts here ({bytes} bytes passed over, lines {}-{}); skipped, \
                         the rest of the file is read",
                        piece.lines.0, piece.lines.1
                    ),
                )),
            );
            return;
        }
        let plan = Plan {
            header: plan.header.clone().filter(|_| !piece.first),
            notes: plan.notes && piece.first,
            ..plan.clone()
        };
        let (name, options, out_lines, unit, found) =
            (name.clone(), options.clone(), json_lines.cloned(), crate::pipeline::next_unit(), found.clone());
        // The encoding and language, for `inputs`: the file's, from its start (as when read whole).
        let text = piece.first.then(|| (layout.encoding.to_string(), language.clone()));
        pipe.push(
            file,
            Box::new(move || {
                let mut collect = Collect::default();
                let mut summary = InputSummary::new(name.clone(), format);
                let o = read_piece(
                    &options,
                    format,
                    name,
                    &piece.bytes,
                    layout,
                    piece.lines,
                    (Some(unit), piece.whole, &plan),
                    &mut collect,
                    &mut summary,
                );
                {
                    let mut f = lock(&found);
                    f.repeated += o.repeated;
                    f.skipped_times += o.skipped_times;
                }
                let out = Batch {
                    records: summary.records,
                    skipped: summary.skipped,
                    filtered: summary.filtered,
                    text,
                    ..Batch::default()
                };
                let out = merge_collect(out, collect);
                match &out_lines {
                    Some(format) => out.settle_lines(format),
                    None => out,
                }
            }),
        );
    });
    if let Some(note) = grew_note(&data, at_open) {
        pipe.push_ready(file, Batch::one_note(Diagnostic::note(name.clone(), Locator::File, note)));
    }
    if let Some(e) = read_error {
        pipe.push_ready(
            file,
            Batch::one_skipped(Diagnostic::skipped(
                name.clone(),
                crate::model::Locator::Offset { offset: consumed },
                format!("reading stopped {consumed} bytes into the file: {e}"),
            )),
        );
    }
    if export(format) {
        // The notes on ambiguous local times, once, when every piece has been read.
        pipe.drain();
        let found = lock(&found).clone();
        let mut out = Batch::default();
        out.items.extend(
            exports::time_notes(options, found.repeated, found.skipped_times)
                .into_iter()
                .map(|n| crate::work::Part::Diagnostic(Diagnostic::note(name.clone(), Locator::File, n))),
        );
        if !out.items.is_empty() {
            pipe.push_ready(file, out);
        }
    }
}

/// The note for a file that is larger now than when it was opened
/// (`at_open` bytes), which were all that was read.
pub(crate) fn grew_note(file: &std::fs::File, at_open: u64) -> Option<String> {
    let now = file.metadata().ok()?.len();
    (now > at_open).then(|| {
        format!(
            "the file grew while it was read ({at_open} bytes when opened, {now} now); read up to its size when opened"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn cuts_fall_before_event_start_tags_and_after_line_feeds() {
        let l8 = Layout { encoding: Encoding::Utf8, bom: 0 };
        let xml = b"<Events><Event xmlns='x'><EventData/></Event>\n<Event>a</Event><Events2>";
        assert_eq!(last_cut(xml, Format::EventXml, l8, true), Some(46));
        // `<EventData`, `<Events` are not start tags of an event; one at 0 is no cut.
        assert_eq!(last_cut(b"<Event><EventData><Events>", Format::EventXml, l8, true), None);
        let l16 = Layout { encoding: Encoding::Utf16Le, bom: 0 };
        let wide = utf16le("<Event>a</Event><Event>b</Event>");
        assert_eq!(last_cut(&wide, Format::EventXml, l16, true), Some(32));
        // A pattern at an odd offset is not text.
        let mut odd = vec![b'x'];
        odd.extend(utf16le("<Event>"));
        odd.push(b'y');
        assert_eq!(last_cut(&odd, Format::EventXml, l16, true), None);
        assert_eq!(last_cut(b"a\nb\nc", Format::EtwText, l8, true), Some(4));
        assert_eq!(last_cut(b"a\nb\n", Format::EtwText, l8, true), Some(4));
        assert_eq!(last_cut(b"abc", Format::EtwText, l8, true), None);
        assert_eq!(last_cut(&utf16le("a\nbc"), Format::EtwText, l16, true), Some(4));
    }

    #[test]
    fn line_breaks_count_as_the_parsers_do() {
        let l8 = Layout { encoding: Encoding::Utf8, bom: 0 };
        // A lone carriage return does not end a line for either parser.
        assert_eq!(line_breaks(b"a\r\nb\rc\n", l8), 2);
        let l16 = Layout { encoding: Encoding::Utf16Le, bom: 0 };
        assert_eq!(line_breaks(&utf16le("a\r\nb\rc\n"), l16), 2);
        // `\u{a00}` holds the byte 0x0a at an odd offset: not a line feed.
        assert_eq!(line_breaks(&utf16le("\u{a00}\n"), l16), 1);
        assert!(ends_with_line_feed(&utf16le("a\n"), l16));
        assert!(!ends_with_line_feed(&utf16le("\u{a00}"), l16));
        assert!(!ends_with_line_feed(b"a\n\r", l8));
    }
}
