//! `wevtutil qe LOG /f:text`: one block per event.
//!
//! ```text
//! Event[0]:
//!   Log Name: System
//!   Source: Service Control Manager
//!   Date: 2016-05-15T17:00:51.526
//!   Event ID: 7036
//!   Task: N/A
//!   Level: Information
//!   Opcode: N/A
//!   Keyword: Classic
//!   User: N/A
//!   User Name: N/A
//!   Computer: Kot
//!   Description:
//! The Multimedia Class Scheduler service entered the stopped state.
//! ```
//!
//! The layout (English) is that of a capture in 0x1001/Python-Course
//! (`Course/Lesson_4/system_event_log.txt`). The labels are localized; the
//! German ones `Ereignis[0]:`, `Protokollname:`, `Quelle:`, `Ereignis-ID:`,
//! `Beschreibung:` are quoted in a German capture in a public Rust crash
//! analyser's tests; `Datum`, `Aufgabe`, `Ebene`, `Opcode`, `Schlüsselwort`,
//! `Benutzer`, `Benutzername`, `Computer` are *unconfirmed* (Windows' German
//! UI words). Labels not recognised are read by position: wevtutil always
//! writes the twelve in the order above. The date is the exporting machine's
//! local time; the message runs from the line after `Description:` to the
//! next block.

use super::{Delivery, Item, Outcome, Plan, Row};
use crate::sources::Ctx;

/// Which field a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    LogName,
    Source,
    Date,
    EventId,
    Task,
    Level,
    Opcode,
    Keyword,
    User,
    UserName,
    Computer,
    Description,
}

/// The fields in the order wevtutil writes them.
const ORDER: [Field; 12] = [
    Field::LogName,
    Field::Source,
    Field::Date,
    Field::EventId,
    Field::Task,
    Field::Level,
    Field::Opcode,
    Field::Keyword,
    Field::User,
    Field::UserName,
    Field::Computer,
    Field::Description,
];

const LABELS: &[(&str, Field)] = &[
    ("log name", Field::LogName),
    ("source", Field::Source),
    ("date", Field::Date),
    ("event id", Field::EventId),
    ("task", Field::Task),
    ("level", Field::Level),
    ("opcode", Field::Opcode),
    ("keyword", Field::Keyword),
    ("user", Field::User),
    ("user name", Field::UserName),
    ("computer", Field::Computer),
    ("description", Field::Description),
    ("protokollname", Field::LogName),
    ("quelle", Field::Source),
    ("datum", Field::Date),
    ("ereignis-id", Field::EventId),
    ("aufgabe", Field::Task),
    ("ebene", Field::Level),
    ("schlüsselwort", Field::Keyword),
    ("benutzer", Field::User),
    ("benutzername", Field::UserName),
    ("beschreibung", Field::Description),
];

/// Whether `line` opens a block: `Event[0]:`, `Ereignis[12]:`.
pub fn is_block_start(line: &str) -> bool {
    let t = line.trim_end();
    let Some(rest) = t.strip_suffix("]:") else { return false };
    let Some((name, n)) = rest.rsplit_once('[') else { return false };
    !name.is_empty()
        && !name.starts_with([' ', '\t'])
        && !name.contains(char::is_whitespace)
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// A `  Label: value` line: the label and the value.
fn field_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("  ")?;
    if rest.starts_with(char::is_whitespace) {
        return None;
    }
    let (label, value) = rest.split_once(':')?;
    Some((label.trim(), value.strip_prefix(' ').unwrap_or(value)))
}

/// Whether the lines look like wevtutil text: a block start, then a field line.
pub fn looks_like(lines: &[&str]) -> bool {
    lines.windows(2).take(20).any(|w| matches!(w, [a, b] if is_block_start(a) && field_line(b).is_some()))
}

/// Reads wevtutil text, or a piece of a large one (per `plan`; a piece
/// after the first starts with a block).
pub fn read(text: &str, ctx: &mut Ctx<'_>, plan: &Plan) -> Outcome {
    let what = "wevtutil text";
    let mut items: Vec<Item> = Vec::new();
    let mut current: Option<(Row, usize, bool)> = None; // row, fields seen, in description
                                                        // The first line of text before the first block, reported once.
    let mut stray: Option<u64> = None;
    let mut blocks = false;
    let finish = |cur: &mut Option<(Row, usize, bool)>, items: &mut Vec<Item>| {
        if let Some((row, _, in_desc)) = cur.take() {
            if in_desc || !row.provider.is_empty() {
                items.push(Item::Row(row));
            } else {
                items.push(Item::Skip(row.line, format!("{what}: block ends before its fields; skipped")));
            }
        }
    };
    let stray_skip = |line: u64| Item::Skip(line, format!("{what}: text before the first `Event[N]:` block; skipped"));
    for (line_no, line) in crate::text::numbered_lines(text) {
        if is_block_start(line) {
            finish(&mut current, &mut items);
            if let Some(l) = stray.take() {
                items.push(stray_skip(l));
            }
            blocks = true;
            current = Some((Row { line: line_no, ..Row::default() }, 0, false));
            continue;
        }
        let Some((row, seen, in_desc)) = current.as_mut() else {
            // After a block skipped for a bad line, the rest of that block.
            if !blocks && !line.trim().is_empty() && stray.is_none() {
                stray = Some(line_no);
            }
            continue;
        };
        if *in_desc {
            let m = row.message.get_or_insert_with(String::new);
            if !m.is_empty() || !line.trim().is_empty() {
                if !m.is_empty() {
                    m.push('\n');
                }
                m.push_str(line);
            }
            continue;
        }
        let Some((label, value)) = field_line(line) else {
            if line.trim().is_empty() {
                continue;
            }
            items.push(Item::Skip(
                line_no,
                format!("{what}: not a `  Label: value` line inside a block; block skipped"),
            ));
            current = None;
            continue;
        };
        let lower = label.to_lowercase();
        let field = LABELS.iter().find(|(l, _)| *l == lower).map(|(_, f)| *f).or_else(|| ORDER.get(*seen).copied());
        *seen += 1;
        let value = value.trim_end().to_string();
        match field {
            Some(Field::LogName) => row.channel = Some(value),
            Some(Field::Source) => row.provider = value,
            Some(Field::Date) => row.time = value,
            Some(Field::EventId) => row.event_id = value,
            Some(Field::Task) => row.task = Some(value),
            Some(Field::Level) => row.level = Some(value),
            Some(Field::Opcode) => row.opcode = Some(value),
            Some(Field::Keyword) => row.keywords = value.split(',').map(|k| k.trim().to_string()).collect(),
            Some(Field::User) => row.user = Some(value),
            Some(Field::UserName) => {}
            Some(Field::Computer) => row.computer = Some(value),
            Some(Field::Description) => {
                *in_desc = true;
                if !value.trim().is_empty() {
                    row.message = Some(value);
                }
            }
            None => {}
        }
    }
    finish(&mut current, &mut items);
    if let Some(l) = stray {
        items.push(stray_skip(l));
    }
    let how = Delivery { preferred: None, language: "wevtutil", what };
    super::deliver(items, &how, plan, ctx)
}
