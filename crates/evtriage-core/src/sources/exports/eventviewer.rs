//! Event Viewer's "Save All Events As…" CSV and tab-separated text.
//!
//! ```text
//! Level,Date and Time,Source,Event ID,Task Category
//! Information,12/9/2025 5:37:32 PM,Microsoft-Windows-Servicing,2,(1),Package KB5071959 was successfully changed to the Installed state.
//! Fehler,27.10.2021 12:28:26,Microsoft-Windows-PrintService,808,Initialisierung,"Fehler beim Laden …, Fehlercode 0x7E. …"
//! ```
//!
//! The header names five columns; every row has a sixth, the rendered
//! message, unnamed. Event Viewer quotes a field holding the delimiter, a
//! quote or a line break (the German sample above); a message written
//! without quotes is the rest of the row, and lines that follow it and do
//! not start a row (a level word, a date, a source, a number, …) continue it.
//! The Security log has `Keywords` (`Audit Success`, `Audit Failure`) where
//! other logs have `Level`. The header's language gives the usual day/month
//! order, checked against every row ([`super::decide_order`]).
//!
//! Headers (first column, date column, …) by language. Sources: English, the
//! corpus export (`mta/setup-export-eventviewer.csv`); German `Ebene,Datum und
//! Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie` with `27.10.2021 12:28:26`,
//! a German export quoted in mdecrevoisier/EVTX-to-MITRE-Attack's
//! documentation; Japanese `レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ`
//! (and `キーワード` for the Security log) with `2001/02/03 13:06:00`, Japanese
//! exports quoted in tests of Intellectual-Chasen/Oraculum. *Unconfirmed*
//! (no export seen; the column names of Event Viewer's French and Spanish
//! help and UI): French `Niveau,Date et heure,Source,ID de l'événement,
//! Catégorie de la tâche`, `Mots clés`; Spanish `Nivel,Fecha y hora,Origen,Id.
//! del evento,Categoría de la tarea`, `Palabras clave`; German
//! `Schlüsselwörter`.

use super::{DateOrder, Delivery, Item, Outcome, Plan, Row};
use crate::sources::Ctx;

/// A language's date column header, first-column headers and usual date order.
struct Language {
    name: &'static str,
    date_column: &'static [&'static str],
    order: DateOrder,
}

const LANGUAGES: &[Language] = &[
    Language { name: "English header", date_column: &["date and time"], order: DateOrder::MonthDayYear },
    Language { name: "German header", date_column: &["datum und uhrzeit"], order: DateOrder::DayMonthYear },
    Language { name: "French header", date_column: &["date et heure"], order: DateOrder::DayMonthYear },
    Language { name: "Spanish header", date_column: &["fecha y hora"], order: DateOrder::DayMonthYear },
    Language { name: "Japanese header", date_column: &["日付と時刻"], order: DateOrder::YearMonthDay },
];

/// The first-column headers: the level, or the keywords in the Security log.
const FIRST_COLUMN: &[&str] = &[
    "level",
    "keywords",
    "ebene",
    "schlüsselwörter",
    "niveau",
    "mots clés",
    "nivel",
    "palabras clave",
    "レベル",
    "キーワード",
];

/// The header's language, when its date column is one of [`LANGUAGES`].
fn language(header: &[String]) -> Option<&'static Language> {
    let date = header.get(1)?.trim().to_lowercase();
    LANGUAGES.iter().find(|l| l.date_column.contains(&date.as_str()))
}

/// Splits one line on `delim`, honouring quotes inside the line; returns the
/// fields and whether a quote is still open at its end.
fn split_line(line: &str, delim: char) -> (Vec<String>, bool) {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
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
            '"' if field.is_empty() => in_quotes = true,
            c if c == delim && !in_quotes => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    (fields, in_quotes)
}

/// Whether a header line is Event Viewer's: five columns, a known date column
/// or first column.
pub fn is_header(line: &str, delim: char) -> bool {
    let (cells, open) = split_line(line.trim_start_matches('\u{feff}'), delim);
    if open || cells.len() != 5 {
        return false;
    }
    let first = cells.first().map(|c| c.trim().to_lowercase()).unwrap_or_default();
    language(&cells).is_some() || FIRST_COLUMN.contains(&first.as_str())
}

/// Whether `fields` (one line's) start an event row: a date with a time, a
/// source, an event id of digits.
pub fn starts_row(fields: &[String]) -> bool {
    fields.len() >= 6
        && fields.get(3).is_some_and(|f| !f.trim().is_empty() && f.trim().bytes().all(|b| b.is_ascii_digit()))
        && fields.get(1).is_some_and(|f| super::parse_stamp(f).is_some())
        && fields.get(2).is_some_and(|f| !f.trim().is_empty())
}

/// Whether the lines look like an Event Viewer export with `delim`: its
/// header, or (header words of another language) a first row after a
/// five-column header.
pub fn looks_like(lines: &[&str], delim: char) -> bool {
    let Some(first) = lines.first() else { return false };
    if is_header(first, delim) {
        return true;
    }
    let (cells, open) = split_line(first.trim_start_matches('\u{feff}'), delim);
    !open
        && cells.len() == 5
        && cells.iter().all(|c| !c.trim().is_empty())
        && lines.get(1).is_some_and(|l| starts_row(&split_line(l, delim).0))
}

/// Reads an Event Viewer CSV (`delim` `,`) or tab-separated text (`\t`),
/// or a piece of a large one (per `plan`: a piece after the first has the
/// file's header line in [`Plan::header`] and its lines count from its own
/// first).
pub fn read(text: &str, delim: char, ctx: &mut Ctx<'_>, plan: &Plan) -> Outcome {
    let what = if delim == ',' { "Event Viewer CSV" } else { "Event Viewer text" };
    let lines: Vec<(u64, &str)> = crate::text::numbered_lines(text).collect();
    let mut at = 0usize;
    let header_cells = match &plan.header {
        Some(h) => split_line(h.trim_start_matches('\u{feff}'), delim).0,
        None => {
            while lines.get(at).is_some_and(|(_, l)| l.trim_start_matches('\u{feff}').trim().is_empty()) {
                at += 1;
            }
            let Some((_, h)) = lines.get(at) else {
                if !plan.tally_only {
                    ctx.note(format!("{what}: empty"));
                }
                return Outcome::default();
            };
            at += 1;
            split_line(h.trim_start_matches('\u{feff}'), delim).0
        }
    };
    let lang = language(&header_cells);
    let items = rows(&lines, at, delim, what);
    let how = Delivery { preferred: lang.map(|l| l.order), language: lang.map_or("header", |l| l.name), what };
    super::deliver(items, &how, plan, ctx)
}

/// Where the last row of `text` that a piece may start with begins (after
/// byte 0): a line that starts a row, outside a quoted field that an
/// earlier row opened and `rows` would join (see `sources::pieces`). Only
/// whole lines (ended by a line feed) are looked at.
pub fn last_row_start(text: &str, delim: char) -> Option<usize> {
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    // The state of the quoted field being joined over lines, if one is.
    let mut joining: Option<Quotes> = None;
    let mut start = 0usize;
    while let Some(len) = text.get(start..).and_then(|t| t.find('\n')) {
        let end = start + len;
        let line = text.get(start..end).unwrap_or_default();
        let line = line.strip_suffix('\r').unwrap_or(line);
        match joining.as_mut() {
            Some(q) => {
                q.feed('\n', None);
                if !q.line(line, delim) {
                    joining = None;
                }
            }
            None => {
                candidates.push((start, start + line.len()));
                let mut q = Quotes::default();
                if q.line(line, delim) && starts_row(&split_line(line, delim).0) {
                    joining = Some(q);
                }
            }
        }
        start = end + 1;
    }
    candidates
        .into_iter()
        .rev()
        .filter(|(s, _)| *s > 0)
        .find(|(s, e)| text.get(*s..*e).is_some_and(|l| starts_row(&split_line(l, delim).0)))
        .map(|(s, _)| s)
}

/// [`split_line`]'s quote state, without the fields.
#[derive(Debug, Default)]
struct Quotes {
    in_quotes: bool,
    field_empty: bool,
    /// A quote inside quotes was seen: it closes them, unless the next is a quote.
    pending_quote: bool,
}

impl Quotes {
    /// Feeds one character (`delim`: the field separator, `None` for a line break).
    fn feed(&mut self, c: char, delim: Option<char>) {
        if self.pending_quote {
            self.pending_quote = false;
            if c == '"' {
                // A doubled quote: one quote in the field.
                self.field_empty = false;
                return;
            }
            self.in_quotes = false;
        }
        match c {
            '"' if self.in_quotes => self.pending_quote = true,
            '"' if self.field_empty => self.in_quotes = true,
            c if Some(c) == delim && !self.in_quotes => self.field_empty = true,
            _ => self.field_empty = false,
        }
    }

    /// Feeds a line (the start of a field); returns whether a quote is open at its end.
    fn line(&mut self, line: &str, delim: char) -> bool {
        if !self.in_quotes {
            self.field_empty = true;
        }
        for c in line.chars() {
            self.feed(c, Some(delim));
        }
        // A quote last on the line closes the quotes (nothing follows it to double it).
        if self.pending_quote {
            self.pending_quote = false;
            self.in_quotes = false;
        }
        self.in_quotes
    }
}

/// The rows from line index `at` on, with the lines skipped.
fn rows(lines: &[(u64, &str)], mut at: usize, delim: char, what: &str) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    // Whether the last row's message may continue on the next lines (it was not quoted).
    let mut open_message = false;
    while let Some((line_no, line)) = lines.get(at).copied() {
        at += 1;
        let (fields, open) = split_line(line, delim);
        if !starts_row(&fields) {
            match out.last_mut().filter(|_| open_message) {
                Some(Item::Row(row)) => {
                    let m = row.message.get_or_insert_with(String::new);
                    m.push('\n');
                    m.push_str(line);
                }
                _ if line.trim().is_empty() => {}
                _ => out.push(Item::Skip(line_no, format!("{what}: line does not start an event row; skipped"))),
            }
            continue;
        }
        let mut fields = fields;
        if open {
            // A quoted field (the message) goes on over the next lines.
            let mut joined = line.to_string();
            let mut end = at;
            let mut closed = false;
            while let Some((_, next)) = lines.get(end).copied() {
                end += 1;
                joined.push('\n');
                joined.push_str(next);
                let (f, still_open) = split_line(&joined, delim);
                if !still_open {
                    fields = f;
                    closed = true;
                    break;
                }
            }
            if !closed {
                out.push(Item::Skip(
                    line_no,
                    format!("{what}: a quote opened on this line is never closed; row skipped"),
                ));
                open_message = false;
                continue;
            }
            at = end;
        }
        let get = |i: usize| fields.get(i).cloned();
        let message_quoted = line.split(delim).nth(5).is_some_and(|m| m.starts_with('"'));
        let message =
            if fields.len() > 6 { Some(fields.get(5..).unwrap_or_default().join(&delim.to_string())) } else { get(5) };
        out.push(Item::Row(Row {
            line: line_no,
            level: get(0),
            time: get(1).unwrap_or_default(),
            provider: get(2).unwrap_or_default(),
            event_id: get(3).unwrap_or_default(),
            task: get(4),
            message,
            ..Row::default()
        }));
        open_message = !message_quoted;
    }
    out
}
