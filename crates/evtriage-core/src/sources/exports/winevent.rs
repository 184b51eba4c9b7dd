//! `Get-WinEvent` output: `| Format-List` and `| Export-Csv`.
//!
//! `Get-WinEvent -LogName System | Format-List` prints, per event:
//!
//! ```text
//! TimeCreated  : 12/9/2025 5:37:32 PM
//! ProviderName : Microsoft-Windows-Servicing
//! Id           : 2
//! Message      : Package KB5071959 was successfully changed to the Installed state.
//! ```
//!
//! and with `Format-List *` every property of an `EventLogRecord`
//! (`Message`, `Id`, `Version`, `Qualifiers`, `Level`, `Task`, `Opcode`,
//! `Keywords`, `RecordId`, `ProviderName`, `ProviderId`, `LogName`,
//! `ProcessId`, `ThreadId`, `MachineName`, `UserId`, `TimeCreated`, …,
//! `LevelDisplayName`, `OpcodeDisplayName`, `TaskDisplayName`,
//! `KeywordsDisplayNames`; the property list of
//! System.Diagnostics.Eventing.Reader.EventLogRecord in the .NET API
//! reference). Values line up after the longest name; a message's further
//! lines are indented to that column, so the indentation is removed and the
//! line breaks kept (Format-List also wraps long lines at the console width,
//! which cannot be told apart from the message's own breaks). A block begins
//! with a property line after a blank line.
//!
//! `Export-Csv` writes the same properties as columns, under an optional
//! `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord` line; columns
//! are found by name. `TimeCreated` is written in the exporting session's
//! culture (`12/9/2025 5:37:32 PM` in en-US): no header says which, so the
//! day/month order comes from the dates themselves.

use super::{Delivery, Item, Outcome, Plan, Row};
use crate::sources::Ctx;

/// Sets the field of `row` that property `name` names.
fn set(row: &mut Row, name: &str, value: String) {
    let list = |v: &str| -> Vec<String> {
        let v = v.trim().trim_start_matches('{').trim_end_matches('}');
        if v.starts_with("System.") {
            return Vec::new();
        }
        v.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect()
    };
    match name.to_ascii_lowercase().as_str() {
        "message" => row.message = Some(value),
        "id" => row.event_id = value,
        "version" => row.version = Some(value),
        "qualifiers" => row.qualifiers = Some(value),
        "level" => row.level_number = Some(value),
        "task" => row.task_number = Some(value),
        "opcode" => row.opcode_number = Some(value),
        "keywords" => row.keywords_number = Some(value),
        "recordid" => row.record_id = Some(value),
        "providername" => row.provider = value,
        "logname" => row.channel = Some(value),
        "processid" => row.process_id = Some(value),
        "threadid" => row.thread_id = Some(value),
        "machinename" => row.computer = Some(value),
        "userid" => row.user = Some(value),
        "timecreated" => row.time = value,
        "leveldisplayname" => row.level = Some(value),
        "opcodedisplayname" => row.opcode = Some(value),
        "taskdisplayname" => row.task = Some(value),
        "keywordsdisplaynames" => row.keywords = list(&value),
        _ => {}
    }
}

/// A `Name : value` line at column 0: the name, the value, and the column the value starts at.
fn property(line: &str) -> Option<(&str, &str, usize)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let colon = line.find(" :").or_else(|| line.find(':'))?;
    let name = line.get(..colon)?.trim_end();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let after = line.get(colon..)?.trim_start_matches(' ').strip_prefix(':')?;
    let value = after.strip_prefix(' ').unwrap_or(after);
    Some((name, value, line.len() - value.len()))
}

/// Whether the lines look like `Get-WinEvent | Format-List`: properties
/// `TimeCreated`, `ProviderName` and `Id` at column 0.
pub fn looks_like_list(lines: &[&str]) -> bool {
    let has = |n: &str| lines.iter().any(|l| property(l).is_some_and(|(name, _, _)| name == n));
    has("TimeCreated") && has("ProviderName") && has("Id")
}

/// Whether the first line is an `Export-Csv` of `Get-WinEvent`: the `#TYPE`
/// line, or a header with `TimeCreated`, `ProviderName` and `Id` columns.
pub fn looks_like_csv(first: &str) -> bool {
    let f = first.trim_start_matches('\u{feff}').trim();
    if f.starts_with("#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord")
        || f.starts_with("#TYPE System.Diagnostics.Eventing.Reader.EventRecord")
    {
        return true;
    }
    let cells: Vec<&str> = f.split(',').map(|c| c.trim().trim_matches('"')).collect();
    ["TimeCreated", "ProviderName", "Id"].iter().all(|n| cells.contains(n))
}

/// A Format-List block being read: its first line, its properties, the value column of the last.
type Block = Option<(u64, Vec<(String, String)>, usize)>;

/// Whether `line` may start a Format-List block in a piece of a large file
/// (see `sources::pieces`): a property line after a blank line (`prev`).
pub fn starts_block(line: &str, prev: &str) -> bool {
    prev.trim_end().is_empty() && property(line.trim_end()).is_some()
}

/// Reads `Get-WinEvent | Format-List` output, or a piece of a large one
/// (per `plan`; a piece after the first starts with a block).
pub fn read_list(text: &str, ctx: &mut Ctx<'_>, plan: &Plan) -> Outcome {
    let what = "Get-WinEvent list";
    let mut items: Vec<Item> = Vec::new();
    let mut block: Block = None;
    let mut blanks = 0usize;
    let finish = |block: &mut Block, items: &mut Vec<Item>| {
        let Some((line, props, _)) = block.take() else { return };
        let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
        if !["TimeCreated", "ProviderName", "Id"].iter().all(|n| names.iter().any(|m| m.eq_ignore_ascii_case(n))) {
            items.push(Item::Skip(line, format!("{what}: block without TimeCreated, ProviderName and Id; skipped")));
            return;
        }
        let mut row = Row { line, ..Row::default() };
        for (n, v) in props {
            set(&mut row, &n, v);
        }
        items.push(Item::Row(row));
    };
    for (line_no, line) in crate::text::numbered_lines(text) {
        let line = line.trim_end();
        if line.is_empty() {
            blanks += 1;
            continue;
        }
        if let Some((name, value, col)) = property(line) {
            if blanks > 0 || block.is_none() {
                finish(&mut block, &mut items);
                block = Some((line_no, Vec::new(), col));
            }
            blanks = 0;
            if let Some((_, props, c)) = block.as_mut() {
                props.push((name.to_string(), value.to_string()));
                *c = col;
            }
            continue;
        }
        // An indented line: the last property's value goes on.
        match block.as_mut().and_then(|(_, props, col)| props.last_mut().map(|p| (p, *col))) {
            Some(((_, value), col)) => {
                for _ in 0..blanks {
                    value.push('\n');
                }
                let indent = line.len() - line.trim_start_matches(' ').len();
                value.push('\n');
                value.push_str(line.get(indent.min(col)..).unwrap_or(line));
            }
            None => items.push(Item::Skip(line_no, format!("{what}: indented line outside a block; skipped"))),
        }
        blanks = 0;
    }
    finish(&mut block, &mut items);
    let how = Delivery { preferred: None, language: "", what };
    super::deliver(items, &how, plan, ctx)
}

/// The line of the header record of an `Export-Csv` (after the `#TYPE`
/// line, when there is one).
pub fn header_line(text: &str) -> Option<u64> {
    let mut records = crate::sources::csv_records(text).into_iter().peekable();
    skip_type_line(&mut records);
    records.next().map(|(line, _)| line)
}

/// Passes over the `#TYPE` line, if it comes next.
fn skip_type_line(records: &mut std::iter::Peekable<impl Iterator<Item = (u64, Vec<String>)>>) {
    if records
        .peek()
        .is_some_and(|(_, r)| r.first().is_some_and(|c| c.trim_start_matches('\u{feff}').starts_with("#TYPE")))
    {
        records.next();
    }
}

/// Where the last record of an `Export-Csv` text begins that a piece may
/// start with (after byte 0): after a line break outside quotes, as
/// [`crate::sources::csv_records`] reads them, and, in the first piece
/// (`first`), after the `#TYPE` line and the header.
pub fn last_record_start(text: &str, first: bool) -> Option<usize> {
    let (mut in_quotes, mut field_blank, mut content) = (false, true, false);
    // Records (with content) before the first that may start a piece.
    let mut before = if first {
        let head = text.trim_start_matches(['\u{feff}', '\r', '\n']);
        if head.starts_with("#TYPE") {
            2
        } else {
            1
        }
    } else {
        0
    };
    let mut last = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if in_quotes => {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    chars.next();
                    field_blank = false;
                } else {
                    in_quotes = false;
                }
                content = true;
            }
            '"' if field_blank => {
                in_quotes = true;
                content = true;
            }
            ',' if !in_quotes => {
                field_blank = true;
                content = true;
            }
            '\n' if !in_quotes => {
                if content && before > 0 {
                    before -= 1;
                }
                if before == 0 && i + 1 < text.len() {
                    last = Some(i + 1);
                }
                field_blank = true;
                content = false;
            }
            c => {
                field_blank &= c.is_whitespace();
                content |= c != '\r' && c != '\n';
            }
        }
    }
    last
}

/// Reads `Get-WinEvent | Export-Csv` output.
/// `plan`: a piece after the first has the file's header line in
/// [`Plan::header`].
pub fn read_csv(text: &str, ctx: &mut Ctx<'_>, plan: &Plan) -> Outcome {
    let what = "Get-WinEvent CSV";
    let mut records = crate::sources::csv_records(text).into_iter().peekable();
    let header = match &plan.header {
        Some(h) => match crate::sources::csv_records(h).into_iter().next() {
            Some((_, header)) => header,
            None => return Outcome::default(),
        },
        None => {
            skip_type_line(&mut records);
            let Some((header_line, header)) = records.next() else {
                if !plan.tally_only {
                    ctx.note(format!("{what}: no header"));
                }
                return Outcome::default();
            };
            let known = ["TimeCreated", "ProviderName", "Id"]
                .iter()
                .all(|n| header.iter().any(|h| h.trim_start_matches('\u{feff}').trim() == *n));
            if !known && !plan.tally_only {
                ctx.skip_line(
                    header_line,
                    format!("{what}: header without TimeCreated, ProviderName and Id; nothing read"),
                );
            }
            header
        }
    };
    let header: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    if !["TimeCreated", "ProviderName", "Id"].iter().all(|n| header.iter().any(|h| h == n)) {
        // Reported by the first piece (or the whole read).
        return Outcome::default();
    }
    let mut items = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            items.push(Item::Skip(
                line,
                format!("{what}: row has {} columns, the header {}; skipped", fields.len(), header.len()),
            ));
            continue;
        }
        let mut row = Row { line, ..Row::default() };
        for (name, value) in header.iter().zip(fields) {
            set(&mut row, name, value);
        }
        items.push(Item::Row(row));
    }
    let how = Delivery { preferred: None, language: "", what };
    super::deliver(items, &how, plan, ctx)
}
