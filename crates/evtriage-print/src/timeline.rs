//! A merged timeline as `timeline` prints it: an aligned table with boot
//! separators, CSV, JSON lines, or a Timesketch import.
//!
//! The rows ([`Row`]) are compact: the front end keeps every row of the
//! timeline in memory to sort them, with the provider, computer, channel
//! and message texts shared between rows ([`cell`] gives them their shape).
//!
//! **Boot sessions**: a row whose event marks a boot ([`Row::boot`]) starts
//! a new boot session when it is the first marker of one of its computer's
//! boots as [`evtriage_core::boot`] defines them (markers within 300 s of a
//! boot's first marker are that boot; `DC1` and `dc1.contoso.com` are one
//! computer) — the boots the rules use. The table shows a
//! `— boot at … —` line there; the machine formats number the sessions
//! (`boot_session`), counting the boots seen before a row even outside the
//! time window, so that numbers agree between runs.

use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use evtriage_core::model::level_name;
use evtriage_core::Locator;
use serde::Serialize;

use crate::text::paint;
use crate::time::Zone;

/// The shapes a timeline is printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineFormat {
    /// Aligned columns with boot separators, for reading.
    Table,
    /// One JSON object per line.
    JsonLines,
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// Timesketch JSONL import (`message`, `datetime`, `timestamp_desc`, …); always UTC.
    Timesketch,
}

/// How a timeline is printed.
#[derive(Clone, Copy, Debug)]
pub struct TimelineOptions {
    /// The shape.
    pub format: TimelineFormat,
    /// The zone times are shown in (Timesketch is always UTC).
    pub zone: Zone,
    /// Whether the table is coloured (ANSI).
    pub color: bool,
    /// `--recovered`: CSV gets a last column saying which rows are stale.
    pub recovered: bool,
}

/// One compact timeline row.
#[derive(Debug, Clone)]
pub struct Row {
    /// When (UTC).
    pub time: DateTime<Utc>,
    /// Event id.
    pub event_id: u32,
    /// `System/Level`.
    pub level: Option<u8>,
    /// Whether the event marks a boot.
    pub boot: bool,
    /// Whether the row passes the filters (boot markers that do not are separators only).
    pub shown: bool,
    /// Whether the row is inside the time filters (boot markers outside are
    /// kept only so that `boot_session` numbers do not depend on the window).
    pub in_range: bool,
    /// Provider label, as [`cell`] shapes it (shared).
    pub provider: Arc<str>,
    /// Computer, as [`cell`] shapes it (shared).
    pub computer: Option<Arc<str>>,
    /// Channel (shared).
    pub channel: Option<Arc<str>>,
    /// Rendered message, as [`cell`] shapes it (empty for separator-only
    /// rows); shared by the rows that say the same.
    pub message: Arc<str>,
    /// Where the message came from (`None` for separator-only rows).
    pub message_source: Option<evtriage_core::MessageSource>,
    /// Input the event came from.
    pub source: Arc<str>,
    /// Place in the input.
    pub locator: Locator,
    /// A stale record carved from slack space (`--recovered`).
    pub recovered: bool,
}

/// Text from an input as a timeline cell shows it: whitespace runs (line
/// breaks included) collapsed into single spaces, control characters
/// (terminal escapes) neutralised.
pub fn cell(text: &str) -> String {
    // Never cut (a bound that no text reaches).
    let line = evtriage_core::display::one_line(text, usize::MAX / 2);
    evtriage_core::display::terminal_safe(&line, false).into_owned()
}

/// Writes `rows` (sorted by time) in the shape `options` asks for.
pub fn write(out: &mut dyn Write, rows: &[Row], options: &TimelineOptions) -> io::Result<()> {
    match options.format {
        TimelineFormat::Table => write_table(out, rows, options.zone, options.color),
        TimelineFormat::JsonLines => write_jsonl(out, rows, options.zone, false),
        TimelineFormat::Timesketch => write_jsonl(out, rows, Zone::Utc, true),
        TimelineFormat::Csv => write_csv(out, rows, options.zone, options.recovered),
    }
}

/// For each row, whether it starts a new boot session (see the module doc):
/// the boots are those of [`evtriage_core::boot`], the same the rules use.
pub fn boot_starts(rows: &[Row]) -> Vec<bool> {
    let markers = rows.iter().enumerate().filter(|(_, r)| r.boot).map(|(i, r)| (r.computer.as_deref(), r.time, i));
    let boots = evtriage_core::boot::Boots::from_markers(markers);
    let mut starts = vec![false; rows.len()];
    for (_, boot) in boots.iter() {
        if let Some(s) = starts.get_mut(boot.marker) {
            *s = true;
        }
    }
    starts
}

fn level_short(level: Option<u8>) -> &'static str {
    match level {
        Some(1) => "CRIT",
        Some(2) => "ERROR",
        Some(3) => "WARN",
        Some(5) => "VERB",
        _ => "INFO",
    }
}

fn write_table(out: &mut dyn Write, rows: &[Row], zone: Zone, color: bool) -> io::Result<()> {
    let shown = || rows.iter().filter(|r| r.shown);
    let pw = shown().map(|r| r.provider.chars().count()).max().unwrap_or(8).clamp(8, 40);
    let cw = shown().map(|r| r.computer.as_deref().map_or(1, |c| c.chars().count())).max().unwrap_or(8).clamp(8, 32);
    let tw = rows.first().map_or(23, |r| zone.table_time(&r.time).chars().count());
    // With stale records, a column says which rows are (`STALE`).
    let stale_col = rows.iter().any(|r| r.recovered);
    let mark = |r: &Row| match (stale_col, r.recovered) {
        (false, _) => "",
        (true, true) => "STALE  ",
        (true, false) => "       ",
    };
    let header = format!(
        "{}{:<tw$}  {:<5}  {:>5}  {:<pw$}  {:<cw$}  MESSAGE",
        if stale_col { "STALE  " } else { "" },
        "TIME",
        "LEVEL",
        "ID",
        "PROVIDER",
        "COMPUTER"
    );
    writeln!(out, "{}", paint(color, "1", &header))?;
    for (r, starts) in rows.iter().zip(boot_starts(rows)) {
        if starts && r.in_range {
            let who = r.computer.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            let line = format!("— boot at {}{who} —", zone.table_time(&r.time));
            writeln!(out, "{}", paint(color, "1;34", &line))?;
        }
        if !r.shown {
            continue;
        }
        let level = format!("{:<5}", level_short(r.level));
        let level = match r.level {
            Some(1) | Some(2) => paint(color, "31", &level),
            Some(3) => paint(color, "33", &level),
            _ => level,
        };
        writeln!(
            out,
            "{}{}  {level}  {:>5}  {:<pw$}  {:<cw$}  {}",
            mark(r),
            zone.table_time(&r.time),
            r.event_id,
            r.provider,
            r.computer.as_deref().unwrap_or("-"),
            r.message
        )?;
    }
    let n = rows.iter().filter(|r| r.shown).count();
    let boots = rows.iter().zip(boot_starts(rows)).filter(|(r, b)| *b && r.in_range).count();
    writeln!(out, "{n} event(s), {boots} boot(s)")
}

#[derive(Serialize)]
struct JsonRow<'a> {
    time: String,
    event_id: u32,
    level: &'static str,
    provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    computer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_source: Option<evtriage_core::MessageSource>,
    source: &'a str,
    locator: Locator,
    boot_session: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    boot: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    recovered: bool,
}

#[derive(Serialize)]
struct SketchRow<'a> {
    message: &'a str,
    datetime: String,
    timestamp: i64,
    timestamp_desc: &'static str,
    data_type: &'static str,
    event_id: u32,
    level: &'static str,
    provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    computer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    source_file: &'a str,
    locator: String,
    boot_session: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    recovered: bool,
}

fn write_jsonl(out: &mut dyn Write, rows: &[Row], zone: Zone, sketch: bool) -> io::Result<()> {
    let mut session = 0u32;
    for (r, starts) in rows.iter().zip(boot_starts(rows)) {
        session += u32::from(starts);
        if !r.shown {
            continue;
        }
        let line = if sketch {
            let message =
                if r.message.is_empty() { format!("{} {}", r.provider, r.event_id) } else { r.message.to_string() };
            serde_json::to_string(&SketchRow {
                message: &message,
                datetime: r.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                timestamp: r.time.timestamp_micros(),
                timestamp_desc: "Event Recorded",
                data_type: "windows:evtriage:event",
                event_id: r.event_id,
                level: level_name(r.level),
                provider: &r.provider,
                computer: r.computer.as_deref(),
                channel: r.channel.as_deref(),
                source_file: &r.source,
                locator: r.locator.to_string(),
                boot_session: session,
                recovered: r.recovered,
            })
        } else {
            serde_json::to_string(&JsonRow {
                time: zone.rfc3339(&r.time),
                event_id: r.event_id,
                level: level_name(r.level),
                provider: &r.provider,
                computer: r.computer.as_deref(),
                channel: r.channel.as_deref(),
                message: &r.message,
                message_source: r.message_source,
                source: &r.source,
                locator: r.locator,
                boot_session: session,
                boot: r.boot,
                recovered: r.recovered,
            })
        };
        match line {
            Ok(l) => writeln!(out, "{l}")?,
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    Ok(())
}

fn write_csv(out: &mut dyn Write, rows: &[Row], zone: Zone, recovered: bool) -> io::Result<()> {
    // With `--recovered`, a last column says which rows are stale.
    let extra = if recovered { ",recovered" } else { "" };
    writeln!(out, "time,level,event_id,provider,computer,channel,message,source,locator,boot_session{extra}")?;
    let mut session = 0u32;
    for (r, starts) in rows.iter().zip(boot_starts(rows)) {
        session += u32::from(starts);
        if !r.shown {
            continue;
        }
        let mut fields = vec![
            zone.rfc3339(&r.time),
            level_name(r.level).to_string(),
            r.event_id.to_string(),
            r.provider.to_string(),
            r.computer.as_deref().unwrap_or("").to_string(),
            r.channel.as_deref().unwrap_or("").to_string(),
            r.message.to_string(),
            r.source.to_string(),
            r.locator.to_string(),
            session.to_string(),
        ];
        if recovered {
            fields.push(r.recovered.to_string());
        }
        writeln!(out, "{}", crate::csv::row(&fields))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(computer: &str, secs: i64, boot: bool) -> Row {
        Row {
            time: DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default(),
            event_id: if boot { 6005 } else { 7036 },
            level: Some(4),
            boot,
            shown: true,
            in_range: true,
            provider: Arc::from(if boot { "EventLog" } else { "Service Control Manager" }),
            computer: Some(Arc::from(computer)),
            channel: None,
            message: "".into(),
            message_source: None,
            source: Arc::from("x"),
            locator: Locator::File,
            recovered: false,
        }
    }

    #[test]
    fn boots_are_per_computer_and_merge_within_ten_minutes() {
        let rows = vec![
            row("DC1", 0, true),    // DC1 boots
            row("DC2", 5, true),    // DC2 boots at the same time: its own separator
            row("DC1", 20, true),   // 6005 after 6009: same boot
            row("DC1", 30, false),  // not a marker
            row("DC1", 900, true),  // 15 minutes later: a new boot
            row("DC2", 1000, true), // DC2 again, > 10 min after its last marker
        ];
        assert_eq!(boot_starts(&rows), vec![true, true, false, false, true, true]);
    }

    #[test]
    fn cells_are_one_safe_line() {
        assert_eq!(cell("a\r\n  b\tc "), "a b c");
        assert_eq!(cell("x\u{1b}]0;title\u{7}y"), "x\u{fffd}]0;title\u{fffd}y");
    }
}
