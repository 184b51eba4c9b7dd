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

use super::{Delivery, Row};
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

/// Reads `Get-WinEvent | Format-List` output.
pub fn read_list(text: &str, ctx: &mut Ctx<'_>, zone_note: bool) -> u64 {
    let what = "Get-WinEvent list";
    let mut rows: Vec<Row> = Vec::new();
    let mut block: Block = None;
    let mut blanks = 0usize;
    let finish = |block: &mut Block, rows: &mut Vec<Row>, ctx: &mut Ctx<'_>| {
        let Some((line, props, _)) = block.take() else { return };
        let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
        if !["TimeCreated", "ProviderName", "Id"].iter().all(|n| names.iter().any(|m| m.eq_ignore_ascii_case(n))) {
            ctx.skip_line(line, format!("{what}: block without TimeCreated, ProviderName and Id; skipped"));
            return;
        }
        let mut row = Row { line, ..Row::default() };
        for (n, v) in props {
            set(&mut row, &n, v);
        }
        rows.push(row);
    };
    for (line_no, line) in crate::text::numbered_lines(text) {
        let line = line.trim_end();
        if line.is_empty() {
            blanks += 1;
            continue;
        }
        if let Some((name, value, col)) = property(line) {
            if blanks > 0 || block.is_none() {
                finish(&mut block, &mut rows, ctx);
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
            None => ctx.skip_line(line_no, format!("{what}: indented line outside a block; skipped")),
        }
        blanks = 0;
    }
    finish(&mut block, &mut rows, ctx);
    let how = Delivery { preferred: None, language: "", what, zone_note, fixed: None };
    super::deliver(rows, &how, ctx)
}

/// Reads `Get-WinEvent | Export-Csv` output.
pub fn read_csv(text: &str, ctx: &mut Ctx<'_>) -> u64 {
    let what = "Get-WinEvent CSV";
    let mut records = crate::sources::csv_records(text).into_iter().peekable();
    if records
        .peek()
        .is_some_and(|(_, r)| r.first().is_some_and(|c| c.trim_start_matches('\u{feff}').starts_with("#TYPE")))
    {
        records.next();
    }
    let Some((header_line, header)) = records.next() else {
        ctx.note(format!("{what}: no header"));
        return 0;
    };
    let header: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    if !["TimeCreated", "ProviderName", "Id"].iter().all(|n| header.iter().any(|h| h == n)) {
        ctx.skip_line(header_line, format!("{what}: header without TimeCreated, ProviderName and Id; nothing read"));
        return 0;
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            ctx.skip_line(
                line,
                format!("{what}: row has {} columns, the header {}; skipped", fields.len(), header.len()),
            );
            continue;
        }
        let mut row = Row { line, ..Row::default() };
        for (name, value) in header.iter().zip(fields) {
            set(&mut row, name, value);
        }
        rows.push(row);
    }
    let how = Delivery { preferred: None, language: "", what, zone_note: true, fixed: None };
    super::deliver(rows, &how, ctx)
}
