//! Event Viewer's and PowerShell's text exports of events, read as events.
//!
//! Four layouts, each in its own module, share what is here: the names of
//! levels and audit keywords in the languages Windows writes them, the
//! reading of local date-times whose day/month order depends on the
//! exporting machine, and their conversion to UTC with the zone the user
//! gives ([`crate::zone`]), since none of these exports says its zone.
//!
//! - [`eventviewer`]: "Save All Events As…" CSV and tab-separated text;
//! - [`wevtutil`]: `wevtutil qe LOG /f:text`;
//! - [`winevent`]: `Get-WinEvent … | Format-List` and `| Export-Csv`.
//!
//! Each record becomes an [`Event`] with the export's rendered message
//! ([`Event::message`], line breaks kept), the names it shows for the level,
//! task, opcode and keywords ([`crate::DisplayNames`], as written), and
//! whatever the layout has of channel, computer, record id and user; its
//! locator is the line the record starts on. A record that cannot be read is
//! skipped with a diagnostic naming its line.
//!
//! Localized words (headers, level names) were taken from the sources listed
//! in `docs/formats.md`; those marked *unconfirmed* below are the documented
//! spelling of Windows' display strings that no export seen confirms.

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::{DisplayNames, Event, Locator, Origin};
use crate::zone::{Resolved, SourceTz};

use super::Ctx;

pub mod eventviewer;
pub mod wevtutil;
pub mod winevent;

/// `Keywords` bit of an audit success (`WINEVENT_KEYWORD_AUDIT_SUCCESS`, winmeta.xml).
pub const AUDIT_SUCCESS: u64 = 0x0020_0000_0000_0000;
/// `Keywords` bit of an audit failure (`WINEVENT_KEYWORD_AUDIT_FAILURE`, winmeta.xml).
pub const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;

/// What a level column's word means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelWord {
    /// A level: 1 critical, 2 error, 3 warning, 4 information, 5 verbose.
    Level(u8),
    /// "Audit Success" (the Security log shows keywords in that column).
    AuditSuccess,
    /// "Audit Failure".
    AuditFailure,
}

/// The level names Event Viewer, wevtutil and PowerShell write, by language.
///
/// Sources: English from the corpus CSV and wevtutil output; German
/// `Informationen`/`Warnung`/`Fehler`/`Kritisch` from Event Viewer's German
/// help (forsenergy.com de-de "Ereigniseigenschaften") and a German CSV
/// export (mdecrevoisier/EVTX-to-MITRE-Attack sample); French
/// `Informations`/`Avertissement`/`Erreur` from Event Viewer's French help
/// (forsenergy.com fr-fr); Japanese `情報`/`警告`/`詳細` and the audit words
/// `成功の監査`/`失敗の監査` from Japanese Event Viewer CSVs quoted in tests of
/// Intellectual-Chasen/Oraculum. *Unconfirmed* (no export seen): French
/// `Critique`/`Commentaires`, Spanish `Crítico`/`Error`/`Advertencia`/
/// `Información`/`Detallado`, German `Ausführlich`, Japanese `重大`/`エラー`,
/// and the audit words other than English and Japanese.
const LEVEL_WORDS: &[(&str, LevelWord)] = &[
    // English
    ("critical", LevelWord::Level(1)),
    ("error", LevelWord::Level(2)),
    ("warning", LevelWord::Level(3)),
    ("information", LevelWord::Level(4)),
    ("verbose", LevelWord::Level(5)),
    ("audit success", LevelWord::AuditSuccess),
    ("audit failure", LevelWord::AuditFailure),
    // German
    ("kritisch", LevelWord::Level(1)),
    ("fehler", LevelWord::Level(2)),
    ("warnung", LevelWord::Level(3)),
    ("informationen", LevelWord::Level(4)),
    ("ausführlich", LevelWord::Level(5)),
    ("überwachung erfolgreich", LevelWord::AuditSuccess),
    ("überwachung gescheitert", LevelWord::AuditFailure),
    ("überwachung fehlgeschlagen", LevelWord::AuditFailure),
    // French
    ("critique", LevelWord::Level(1)),
    ("erreur", LevelWord::Level(2)),
    ("avertissement", LevelWord::Level(3)),
    ("informations", LevelWord::Level(4)),
    ("commentaires", LevelWord::Level(5)),
    ("succès de l'audit", LevelWord::AuditSuccess),
    ("échec de l'audit", LevelWord::AuditFailure),
    // Spanish
    ("crítico", LevelWord::Level(1)),
    ("advertencia", LevelWord::Level(3)),
    ("información", LevelWord::Level(4)),
    ("detallado", LevelWord::Level(5)),
    ("auditoría correcta", LevelWord::AuditSuccess),
    ("error de auditoría", LevelWord::AuditFailure),
    // Japanese
    ("重大", LevelWord::Level(1)),
    ("エラー", LevelWord::Level(2)),
    ("警告", LevelWord::Level(3)),
    ("情報", LevelWord::Level(4)),
    ("詳細", LevelWord::Level(5)),
    ("成功の監査", LevelWord::AuditSuccess),
    ("失敗の監査", LevelWord::AuditFailure),
];

/// What a level (or keywords) column's word means, in any language above.
pub fn level_word(text: &str) -> Option<LevelWord> {
    let t = text.trim().replace('’', "'").to_lowercase();
    LEVEL_WORDS.iter().find(|(w, _)| *w == t).map(|(_, l)| *l)
}

/// The order of day, month and year in a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `12/9/2025` (en-US).
    MonthDayYear,
    /// `9.12.2025`, `09/12/2025` (de-DE, fr-FR, es-ES, en-GB).
    DayMonthYear,
    /// `2025/12/09`, `2025-12-09` (ja-JP, ISO).
    YearMonthDay,
}

impl DateOrder {
    fn label(self) -> &'static str {
        match self {
            DateOrder::MonthDayYear => "month/day/year",
            DateOrder::DayMonthYear => "day/month/year",
            DateOrder::YearMonthDay => "year/month/day",
        }
    }
}

/// A local date-time as written, before its day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The three numbers of the date, in the order written.
    date: [u32; 3],
    /// Whether the year comes first (four digits first).
    year_first: bool,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// `Some(true)` after PM, `Some(false)` after AM, `None` on a 24-hour clock.
    pm: Option<bool>,
}

/// Markers of the afternoon and the morning on a 12-hour clock: `PM`/`AM`,
/// `p.m.`/`a.m.` (es-ES, unconfirmed), `午後`/`午前` (ja-JP, unconfirmed).
const PM_WORDS: &[&str] = &["pm", "p.m.", "p. m.", "午後"];
const AM_WORDS: &[&str] = &["am", "a.m.", "a. m.", "午前"];

/// Reads a local date-time in any of the shapes these exports write:
/// `12/9/2025 5:37:32 PM`, `09.12.2025 17:37:32`, `2025/12/09 17:37:32`,
/// `2025-12-09T17:37:32.123`, `09/12/2025 17:37:32`.
pub fn parse_stamp(text: &str) -> Option<Stamp> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let pm = if PM_WORDS.iter().any(|w| lower.contains(w)) {
        Some(true)
    } else if AM_WORDS.iter().any(|w| lower.contains(w)) {
        Some(false)
    } else {
        None
    };
    // Runs of digits, with the text that follows each.
    let mut nums: Vec<(&str, usize)> = Vec::new();
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i).is_some_and(u8::is_ascii_digit) {
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            nums.push((t.get(start..i)?, start));
        } else {
            i += 1;
        }
    }
    if !(5..=7).contains(&nums.len()) {
        return None;
    }
    let n = |k: usize| -> Option<u32> { nums.get(k).and_then(|(s, _)| s.parse().ok()) };
    let year_first = nums.first().is_some_and(|(s, _)| s.len() == 4);
    if !year_first && nums.get(2).is_none_or(|(s, _)| s.len() != 4 && s.len() != 2) {
        return None;
    }
    let (hour, minute) = (n(3)?, n(4)?);
    let second = if nums.len() >= 6 { n(5)? } else { 0 };
    let nanos = match nums.get(6) {
        Some((frac, at)) => {
            // Only a fraction right after the seconds (`:32.123`, `:32,5`).
            let sep = at.checked_sub(1).and_then(|p| bytes.get(p)).copied();
            if !matches!(sep, Some(b'.' | b',')) || frac.len() > 9 {
                return None;
            }
            let digits: u32 = frac.parse().ok()?;
            digits.checked_mul(10u32.checked_pow(9 - u32::try_from(frac.len()).ok()?)?)?
        }
        None => 0,
    };
    let mut date = [n(0)?, n(1)?, n(2)?];
    if !year_first && date[2] < 100 {
        date[2] += 2000;
    }
    Some(Stamp { date, year_first, hour, minute, second, nanos, pm })
}

impl Stamp {
    /// Whether the date can be read in `order`.
    fn fits(&self, order: DateOrder) -> bool {
        self.naive(order).is_some()
    }

    /// The date-time read in `order`.
    fn naive(&self, order: DateOrder) -> Option<NaiveDateTime> {
        let [a, b, c] = self.date;
        let (y, m, d) = match (self.year_first, order) {
            (true, _) => (a, b, c),
            (false, DateOrder::MonthDayYear) => (c, a, b),
            (false, DateOrder::DayMonthYear) => (c, b, a),
            (false, DateOrder::YearMonthDay) => return None,
        };
        let hour = match self.pm {
            None => self.hour,
            Some(_) if self.hour == 0 || self.hour > 12 => return None,
            Some(false) => self.hour % 12,
            Some(true) => self.hour % 12 + 12,
        };
        NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?.and_hms_nano_opt(
            hour,
            self.minute,
            self.second,
            self.nanos,
        )
    }
}

/// One record of an export, as text, before it becomes an [`Event`].
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// The line the record starts on.
    pub line: u64,
    /// The provider (`Source`, `ProviderName`).
    pub provider: String,
    /// The event id as written.
    pub event_id: String,
    /// The date-time as written.
    pub time: String,
    /// The level's name as written (or, in the Security log, the audit keyword's).
    pub level: Option<String>,
    /// The level's number (`Get-WinEvent`'s `Level`).
    pub level_number: Option<String>,
    /// The task's name ("Task Category").
    pub task: Option<String>,
    /// The task's number.
    pub task_number: Option<String>,
    /// The opcode's name.
    pub opcode: Option<String>,
    /// The opcode's number.
    pub opcode_number: Option<String>,
    /// The keywords' names, as written.
    pub keywords: Vec<String>,
    /// The keywords' number (decimal, possibly negative as PowerShell writes an Int64).
    pub keywords_number: Option<String>,
    /// The rendered message.
    pub message: Option<String>,
    /// `Log Name`, `LogName`.
    pub channel: Option<String>,
    /// `Computer`, `MachineName`.
    pub computer: Option<String>,
    /// `RecordId`.
    pub record_id: Option<String>,
    /// `User` / `UserId` (a SID).
    pub user: Option<String>,
    /// `Version`, `Qualifiers`, `ProcessId`, `ThreadId`.
    pub version: Option<String>,
    /// `Qualifiers`.
    pub qualifiers: Option<String>,
    /// `ProcessId`.
    pub process_id: Option<String>,
    /// `ThreadId`.
    pub thread_id: Option<String>,
}

/// A value that says "nothing": empty, `N/A`, `-`.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty() && *t != "N/A" && *t != "-")
}

fn number<T: TryFrom<u64>>(v: &Option<String>) -> Option<T> {
    crate::event_parser::parse_num(present(v)?)
}

/// A message as written, with CRLF line ends made LF and trailing blank lines dropped.
pub fn clean_message(text: &str) -> String {
    let t = text.replace("\r\n", "\n");
    t.trim_end_matches(['\n', '\r', ' ', '\t']).to_string()
}

/// One thing an export's reader found, in the order of the file: a record,
/// or a line it skipped (with why). Diagnostics are given in this order, so
/// that a file read in pieces reports as it does read whole.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // nearly every item is a row
pub enum Item {
    /// A record.
    Row(Row),
    /// A skipped line and the reason.
    Skip(u64, String),
}

/// How the rows of one export are turned into events: the language's date
/// order (when the header says it), and the zone.
pub struct Delivery<'a> {
    /// The order the header's language implies, if it says one.
    pub preferred: Option<DateOrder>,
    /// What the language is, for notes (`English header`).
    pub language: &'static str,
    /// What the export is, for notes (`Event Viewer CSV`).
    pub what: &'a str,
}

/// What reading part of an export needs to know of the whole: read whole,
/// [`Plan::whole`]; read in pieces (`sources::pieces`), each piece gets the
/// file's header, the date order decided from every row of the file, and
/// whether it writes the notes on zone and order (the first piece only).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The file's header line, for a piece after the first (Event Viewer's
    /// columns, `Export-Csv`'s header record).
    pub header: Option<String>,
    /// The date order of the whole file and its note, decided before from
    /// every row ([`Tally`]); `None`: decide from the rows read now.
    pub order: Option<(DateOrder, Option<String>)>,
    /// Write the notes on the zone and the date order (when there are rows).
    pub notes: bool,
    /// Only count the rows and their dates ([`Outcome::tally`]): deliver nothing.
    pub tally_only: bool,
    /// For a `.reg` export read in pieces: its first line is `REGEDIT4`
    /// (8-bit strings), which the pieces after the first do not see.
    pub regedit4: bool,
}

impl Plan {
    /// The plan of a file read whole.
    pub fn whole() -> Plan {
        Plan { header: None, order: None, notes: true, tally_only: false, regedit4: false }
    }
}

/// What decides the day/month order, counted over rows: mergeable, so that
/// the pieces of a large file add up to what its whole would say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Rows read.
    pub rows: u64,
    /// Rows whose date does not start with the year.
    pub dated: u64,
    /// Dates that fit day/month/year only.
    pub dmy: u64,
    /// Dates that fit month/day/year only.
    pub mdy: u64,
}

impl Tally {
    /// The tally of `stamps` (the readable dates of `rows` rows).
    fn of<'s>(rows: u64, stamps: impl Iterator<Item = &'s Stamp>) -> Tally {
        let mut t = Tally { rows, ..Tally::default() };
        for s in stamps.filter(|s| !s.year_first) {
            t.dated += 1;
            let (d, m) = (s.fits(DateOrder::DayMonthYear), s.fits(DateOrder::MonthDayYear));
            t.dmy += u64::from(d && !m);
            t.mdy += u64::from(m && !d);
        }
        t
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Tally) {
        self.rows += other.rows;
        self.dated += other.dated;
        self.dmy += other.dmy;
        self.mdy += other.mdy;
    }
}

/// What reading (part of) an export found that its caller sums over the
/// pieces of a large file.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The rows and their dates.
    pub tally: Tally,
    /// The date order the header's language implies.
    pub preferred: Option<DateOrder>,
    /// The header's language, for notes.
    pub language: &'static str,
    /// Local times that occur twice in the zone (clocks set back).
    pub repeated: u64,
    /// Local times that do not exist in the zone (clocks set forward).
    pub skipped_times: u64,
}

/// Decides the day/month order of `stamps`: a date whose first number is
/// above 12 can only be day/month, whose second is above 12 only
/// month/day. Returns the order and a note when the rows did not settle it
/// or overruled the header's language.
pub fn decide_order(stamps: &[Stamp], preferred: Option<DateOrder>, language: &str) -> (DateOrder, Option<String>) {
    decide_order_of(&Tally::of(stamps.len() as u64, stamps.iter()), preferred, language)
}

/// [`decide_order`] from a [`Tally`] of the rows' dates.
pub fn decide_order_of(tally: &Tally, preferred: Option<DateOrder>, language: &str) -> (DateOrder, Option<String>) {
    if tally.dated == 0 {
        return (DateOrder::YearMonthDay, None);
    }
    let (dmy, mdy) = (tally.dmy, tally.mdy);
    match (preferred, dmy > 0, mdy > 0) {
        (Some(p), _, _) if (p == DateOrder::DayMonthYear && mdy == 0) || (p == DateOrder::MonthDayYear && dmy == 0) => {
            (p, None)
        }
        (Some(p), true, true) => (p, None),
        (Some(p), _, _) => {
            let other = if p == DateOrder::DayMonthYear { DateOrder::MonthDayYear } else { DateOrder::DayMonthYear };
            (
                other,
                Some(format!(
                    "dates read as {}: the rows say so, though the {language} usually writes {}",
                    other.label(),
                    p.label()
                )),
            )
        }
        (None, true, false) => (DateOrder::DayMonthYear, None),
        (None, false, true) => (DateOrder::MonthDayYear, None),
        (None, true, true) => (if dmy > mdy { DateOrder::DayMonthYear } else { DateOrder::MonthDayYear }, None),
        (None, false, false) => (
            DateOrder::MonthDayYear,
            Some(
                "no date settles whether day or month comes first (none above 12); taken as month/day/year, \
                 as en-US writes it"
                    .to_string(),
            ),
        ),
    }
}

/// The zone the times of exports are taken in, and whether the user gave it.
fn zone(options: &crate::contract::ReadOptions) -> (SourceTz, bool) {
    match options.source_tz_given() {
        Some(z) => (z.clone(), true),
        None => (SourceTz::utc(), false),
    }
}

/// The notes, at the end of an input, on local times that occur twice or
/// never in the zone (`repeated`, `skipped` of them).
pub fn time_notes(options: &crate::contract::ReadOptions, repeated: u64, skipped: u64) -> Vec<String> {
    let (tz, _) = zone(options);
    let mut notes = Vec::new();
    if repeated > 0 {
        notes.push(format!(
            "{repeated} local time(s) occur twice in {} (clocks set back); the earlier instant was taken",
            tz.name()
        ));
    }
    if skipped > 0 {
        notes.push(format!(
            "{skipped} local time(s) do not exist in {} (clocks set forward); the earlier reading was taken",
            tz.name()
        ));
    }
    notes
}

/// Turns `items` into events and delivers them, in order with the lines
/// skipped, after the notes every such export carries (per `plan`): the zone
/// its times were taken in and the date order when the rows did not settle
/// it; read whole, then how many local times were ambiguous (read in
/// pieces, those counts are returned and noted once at the end of the file).
pub fn deliver(items: Vec<Item>, how: &Delivery<'_>, plan: &Plan, ctx: &mut Ctx<'_>) -> Outcome {
    let (tz, given) = zone(ctx.options);
    let stamps: Vec<Option<Stamp>> = items
        .iter()
        .map(|i| match i {
            Item::Row(r) => parse_stamp(&r.time),
            Item::Skip(..) => None,
        })
        .collect();
    let rows = items.iter().filter(|i| matches!(i, Item::Row(_))).count() as u64;
    let mut outcome = Outcome {
        tally: Tally::of(rows, stamps.iter().flatten()),
        preferred: how.preferred,
        language: how.language,
        ..Outcome::default()
    };
    if plan.tally_only {
        return outcome;
    }
    let (order, order_note) = match &plan.order {
        Some((o, n)) => (*o, n.clone()),
        None => decide_order_of(&outcome.tally, how.preferred, how.language),
    };
    // Read whole, the notes need rows; in pieces, the plan says whether the file has any.
    if plan.notes && (plan.order.is_some() || rows > 0) {
        let from = match (&ctx.options.source_tz_from, given) {
            (Some(why), _) => why.to_string(),
            (None, true) => "from --source-tz".to_string(),
            (None, false) => "the default; --source-tz sets it".to_string(),
        };
        ctx.note(format!(
            "{}: times were taken as {} ({from}) because the export does not say its zone",
            how.what,
            tz.name()
        ));
        if let Some(n) = order_note {
            ctx.note(n);
        }
    }
    for (item, stamp) in items.into_iter().zip(stamps) {
        let row = match item {
            Item::Row(row) => row,
            Item::Skip(line, why) => {
                ctx.skip_line(line, why);
                continue;
            }
        };
        let line = row.line;
        let stamp = stamp.filter(|s| {
            s.fits(DateOrder::MonthDayYear) || s.fits(DateOrder::DayMonthYear) || s.fits(DateOrder::YearMonthDay)
        });
        let Some(stamp) = stamp else {
            ctx.skip_line(line, format!("{}: unreadable date `{}`; record skipped", how.what, row.time.trim()));
            continue;
        };
        let provider = row.provider.trim();
        if provider.is_empty() {
            ctx.skip_line(line, format!("{}: record without a source (provider); skipped", how.what));
            continue;
        }
        let Some(event_id) = crate::event_parser::parse_num::<u32>(row.event_id.trim()) else {
            ctx.skip_line(line, format!("{}: event id `{}` is not a number; record skipped", how.what, row.event_id));
            continue;
        };
        let mut ev =
            Event::new(Some(provider.to_string()), event_id, Origin::new(ctx.name.clone(), Locator::Line { line }));
        match stamp.naive(order) {
            Some(local) => match tz.to_utc(local) {
                Some((t, r)) => {
                    ev.time = Some(t);
                    match r {
                        Resolved::Exact => {}
                        Resolved::Repeated => outcome.repeated += 1,
                        Resolved::Skipped => outcome.skipped_times += 1,
                    }
                }
                None => ctx.note_line(line, format!("date `{}` is out of range; event kept without a time", row.time)),
            },
            None => ctx.note_line(
                line,
                format!(
                    "date `{}` does not fit the {} order of this export; event kept without a time",
                    row.time.trim(),
                    order.label()
                ),
            ),
        }
        fill(&mut ev, &row);
        ctx.event(ev);
    }
    if plan.order.is_none() {
        for n in time_notes(ctx.options, outcome.repeated, outcome.skipped_times) {
            ctx.note(n);
        }
    }
    outcome
}

/// Reads (a piece of) an export of `format` per `plan`.
pub fn read(format: crate::contract::Format, text: &str, plan: &Plan, ctx: &mut Ctx<'_>) -> Outcome {
    use crate::contract::Format;
    match format {
        Format::EventViewerCsv => eventviewer::read(text, ',', ctx, plan),
        Format::EventViewerText => eventviewer::read(text, '\t', ctx, plan),
        Format::WevtutilText => wevtutil::read(text, ctx, plan),
        Format::GetWinEventList => winevent::read_list(text, ctx, plan),
        Format::GetWinEventCsv => winevent::read_csv(text, ctx, plan),
        _ => Outcome::default(),
    }
}

/// The header line a piece after the first needs (see [`Plan::header`]),
/// from the text of the first piece.
pub fn header_of(format: crate::contract::Format, text: &str) -> Option<String> {
    use crate::contract::Format;
    match format {
        Format::EventViewerCsv | Format::EventViewerText => crate::text::numbered_lines(text)
            .map(|(_, l)| l)
            .find(|l| !l.trim_start_matches('\u{feff}').trim().is_empty())
            .map(str::to_string),
        Format::GetWinEventCsv => {
            let line = winevent::header_line(text)?;
            crate::text::numbered_lines(text)
                .nth(usize::try_from(line.checked_sub(1)?).ok()?)
                .map(|(_, l)| l.to_string())
        }
        _ => None,
    }
}

/// Copies what `row` has into `ev`.
fn fill(ev: &mut Event, row: &Row) {
    let mut display = DisplayNames::default();
    let mut keywords: u64 = 0;
    if let Some(level) = present(&row.level) {
        match level_word(level) {
            Some(LevelWord::Level(n)) => {
                ev.level = Some(n);
                display.level = Some(level.to_string());
            }
            Some(LevelWord::AuditSuccess) => {
                keywords |= AUDIT_SUCCESS;
                display.keywords.push(level.to_string());
            }
            Some(LevelWord::AuditFailure) => {
                keywords |= AUDIT_FAILURE;
                display.keywords.push(level.to_string());
            }
            None => display.level = Some(level.to_string()),
        }
    }
    if let Some(n) = number::<u8>(&row.level_number) {
        ev.level = Some(n);
    }
    for k in &row.keywords {
        let k = k.trim();
        if k.is_empty() || k == "N/A" {
            continue;
        }
        match level_word(k) {
            Some(LevelWord::AuditSuccess) => keywords |= AUDIT_SUCCESS,
            Some(LevelWord::AuditFailure) => keywords |= AUDIT_FAILURE,
            _ => {}
        }
        if !display.keywords.iter().any(|d| d == k) {
            display.keywords.push(k.to_string());
        }
    }
    if let Some(k) = present(&row.keywords_number) {
        if let Ok(n) = k.parse::<i64>() {
            keywords |= n as u64;
        } else if let Some(n) = crate::event_parser::parse_num::<u64>(k) {
            keywords |= n;
        }
    }
    if keywords != 0 || present(&row.keywords_number).is_some() {
        ev.keywords = Some(keywords);
    }
    if let Some(task) = present(&row.task) {
        display.task = Some(task.to_string());
        // Event Viewer writes a task without a name as its number in parentheses.
        if let Some(n) = task.strip_prefix('(').and_then(|t| t.strip_suffix(')')).and_then(|t| t.parse().ok()) {
            ev.task = Some(n);
        }
    }
    if let Some(n) = number::<u16>(&row.task_number) {
        ev.task = Some(n);
    }
    if let Some(op) = present(&row.opcode) {
        display.opcode = Some(op.to_string());
    }
    if let Some(n) = number::<u8>(&row.opcode_number) {
        ev.opcode = Some(n);
    }
    ev.version = number(&row.version);
    ev.qualifiers = number(&row.qualifiers);
    ev.process_id = number(&row.process_id);
    ev.thread_id = number(&row.thread_id);
    ev.record_id = number(&row.record_id);
    ev.channel = present(&row.channel).map(str::to_string);
    ev.computer = present(&row.computer).map(str::to_string);
    ev.user_sid = present(&row.user).filter(|u| u.starts_with("S-")).map(str::to_string);
    ev.message = row.message.as_deref().map(clean_message).filter(|m| !m.is_empty());
    if display != DisplayNames::default() {
        ev.display = Some(Box::new(display));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_in_every_shape() {
        let s = parse_stamp("12/9/2025 5:37:32 PM");
        assert_eq!(
            s.and_then(|s| s.naive(DateOrder::MonthDayYear)).map(|d| d.to_string()).as_deref(),
            Some("2025-12-09 17:37:32")
        );
        let s = parse_stamp("27.10.2021 12:28:26");
        assert_eq!(
            s.and_then(|s| s.naive(DateOrder::DayMonthYear)).map(|d| d.to_string()).as_deref(),
            Some("2021-10-27 12:28:26")
        );
        assert!(s.is_some_and(|s| !s.fits(DateOrder::MonthDayYear)));
        let s = parse_stamp("2016-05-15T17:00:51.526");
        assert_eq!(
            s.and_then(|s| s.naive(DateOrder::MonthDayYear)).map(|d| d.to_string()).as_deref(),
            Some("2016-05-15 17:00:51.526")
        );
        let s = parse_stamp("2001/02/03 午前 1:05:06");
        assert_eq!(
            s.and_then(|s| s.naive(DateOrder::YearMonthDay)).map(|d| d.to_string()).as_deref(),
            Some("2001-02-03 01:05:06")
        );
        let s = parse_stamp("1/1/2025 12:00:00 AM");
        assert_eq!(
            s.and_then(|s| s.naive(DateOrder::MonthDayYear)).map(|d| d.to_string()).as_deref(),
            Some("2025-01-01 00:00:00")
        );
        for bad in ["", "yesterday", "12/9/2025", "1/2/3/4/5/6/7/8", "13:00 PM 1/1/2025 x"] {
            assert!(parse_stamp(bad).and_then(|s| s.naive(DateOrder::MonthDayYear)).is_none(), "{bad}");
        }
    }

    #[test]
    fn order_from_rows_and_language() {
        let st = |t: &str| {
            parse_stamp(t).unwrap_or(Stamp {
                date: [0; 3],
                year_first: true,
                hour: 0,
                minute: 0,
                second: 0,
                nanos: 0,
                pm: None,
            })
        };
        let ambiguous = [st("01.02.2025 10:00:00")];
        assert_eq!(decide_order(&ambiguous, Some(DateOrder::DayMonthYear), "German header").0, DateOrder::DayMonthYear);
        assert!(decide_order(&ambiguous, None, "").1.is_some());
        let settled = [st("01.02.2025 10:00:00"), st("13.02.2025 10:00:00")];
        assert_eq!(decide_order(&settled, None, ""), (DateOrder::DayMonthYear, None));
        // An English header over day-first dates (en-GB regional format): the rows win, with a note.
        let (o, n) = decide_order(&settled, Some(DateOrder::MonthDayYear), "English header");
        assert_eq!(o, DateOrder::DayMonthYear);
        assert!(n.is_some_and(|n| n.contains("day/month/year")));
    }

    #[test]
    fn level_words() {
        assert_eq!(level_word("Informationen"), Some(LevelWord::Level(4)));
        assert_eq!(level_word(" Audit Failure "), Some(LevelWord::AuditFailure));
        assert_eq!(level_word("Succès de l’audit"), Some(LevelWord::AuditSuccess));
        assert_eq!(level_word("警告"), Some(LevelWord::Level(3)));
        assert_eq!(level_word("Whatever"), None);
    }
}
