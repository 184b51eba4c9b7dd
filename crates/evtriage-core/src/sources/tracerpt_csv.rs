//! `tracerpt -of CSV` output of an ETW trace.
//!
//! The first line names the columns, padded with spaces (`  Event Name`).
//! Current tracerpt writes `Index, Event Name, Type, Event ID, Version,
//! Channel, Level, Opcode, Task, Keyword, PID, TID, Processor Number,
//! Instance ID, Parent Instance ID, Activity ID, Related Activity ID,
//! Clock-Time, Kernel(ms), User(ms), User Data`; older versions (and the
//! documented layout) only `Event Name, Type, TID, Clock-Time, Kernel(ms),
//! User(ms), User Data`. Columns are found by name, so both work. The event's
//! payload is spread over the `User Data` column and every column after it.
//!
//! Each row becomes an [`Event`]: provider = `Event Name`, the numeric System
//! fields, `PID`/`TID`, `Processor Number` (into [`TraceInfo::processor`]),
//! activity ids, and the time. `Clock-Time` is a FILETIME (100 ns ticks since
//! 1601, often printed as a float such as `1.3312743607246872e+17`, which
//! loses the last digits) or, in some locales, a date-time text. The user data
//! columns become unnamed data items (quotes tracerpt puts around strings
//! removed; trailing empty columns dropped); when there is exactly one, it is
//! also the message, so LDAP client traces get parsed ([`crate::ldap`]).

use chrono::{DateTime, Utc};

use crate::model::{DataItem, Event, Guid, Locator, Origin, TraceInfo};

use super::Ctx;

/// Seconds between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_DIFF_SECS: i64 = 11_644_473_600;

/// A FILETIME (100 ns ticks since 1601) to UTC.
pub fn filetime_to_utc(ticks: i64) -> Option<DateTime<Utc>> {
    let secs = ticks.div_euclid(10_000_000) - FILETIME_UNIX_DIFF_SECS;
    let nanos = u32::try_from(ticks.rem_euclid(10_000_000) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

fn clock_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<i64>() {
        return filetime_to_utc(n);
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() && f > 0.0 && f < 9.0e18 {
            return filetime_to_utc(f.round() as i64);
        }
        return None;
    }
    crate::event_parser::parse_system_time(t).or_else(|| {
        ["%m/%d/%Y %H:%M:%S%.f", "%d/%m/%Y %H:%M:%S%.f", "%m/%d/%Y %I:%M:%S%.f %p"]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(t, f).ok())
            .map(|n| n.and_utc())
    })
}

/// Column positions found in the header.
#[derive(Default)]
struct Columns {
    name: Option<usize>,
    event_id: Option<usize>,
    version: Option<usize>,
    channel: Option<usize>,
    level: Option<usize>,
    opcode: Option<usize>,
    task: Option<usize>,
    keyword: Option<usize>,
    pid: Option<usize>,
    tid: Option<usize>,
    processor: Option<usize>,
    activity: Option<usize>,
    related: Option<usize>,
    clock: Option<usize>,
    user_data: Option<usize>,
}

impl Columns {
    fn from_header(header: &[String]) -> Columns {
        let mut c = Columns::default();
        for (i, h) in header.iter().enumerate() {
            let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            let slot = match h.as_str() {
                "event name" => &mut c.name,
                "event id" => &mut c.event_id,
                "version" => &mut c.version,
                "channel" => &mut c.channel,
                "level" => &mut c.level,
                "opcode" => &mut c.opcode,
                "task" => &mut c.task,
                "keyword" | "keywords" => &mut c.keyword,
                "pid" => &mut c.pid,
                "tid" => &mut c.tid,
                "processor number" | "cpu" => &mut c.processor,
                "activity id" => &mut c.activity,
                "related activity id" => &mut c.related,
                "clock-time" | "clock time" => &mut c.clock,
                "user data" => &mut c.user_data,
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        c
    }
}

fn num<T: TryFrom<u64>>(row: &[String], col: Option<usize>) -> Option<T> {
    crate::event_parser::parse_num(row.get(col?)?.trim())
}

fn text_at(row: &[String], col: Option<usize>) -> Option<&str> {
    let t = row.get(col?)?.trim();
    (!t.is_empty()).then_some(t)
}

/// Removes one pair of quotes tracerpt puts around string values.
fn unquote(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v)
}

/// Reads every row of a tracerpt CSV.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    let mut records = super::csv_records(text).into_iter();
    let Some((_, header)) = records.next() else {
        ctx.note("empty tracerpt CSV");
        return;
    };
    let cols = Columns::from_header(&header);
    let Some(name_col) = cols.name else {
        ctx.skip_line(1, "tracerpt CSV header without an `Event Name` column; nothing read");
        return;
    };
    for (line, row) in records {
        let Some(provider) = row.get(name_col).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
            ctx.skip_line(line, format!("row with {} columns and no event name; skipped", row.len()));
            continue;
        };
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line });
        let mut ev = Event::new(Some(provider.to_string()), num(&row, cols.event_id).unwrap_or(0), origin);
        ev.version = num(&row, cols.version);
        ev.channel = text_at(&row, cols.channel).filter(|c| *c != "0").map(str::to_string);
        ev.level = num(&row, cols.level);
        ev.opcode = num(&row, cols.opcode);
        ev.task = num(&row, cols.task);
        ev.keywords = num(&row, cols.keyword);
        ev.process_id = num(&row, cols.pid);
        ev.thread_id = num(&row, cols.tid);
        ev.activity_id = text_at(&row, cols.activity).and_then(Guid::parse);
        ev.related_activity_id = text_at(&row, cols.related).and_then(Guid::parse);
        if let Some(cpu) = num::<u32>(&row, cols.processor) {
            ev.trace.get_or_insert_with(Box::<TraceInfo>::default).processor = Some(cpu);
        }
        if let Some(c) = text_at(&row, cols.clock) {
            ev.time = clock_time(c);
            if ev.time.is_none() {
                let d = crate::diag::Diagnostic::note(
                    ctx.name.clone(),
                    Locator::Line { line },
                    format!("unreadable Clock-Time `{c}`; event kept without time"),
                );
                ctx.diagnostic(d);
            }
        }
        if let Some(start) = cols.user_data {
            let mut values: Vec<&str> = row.iter().skip(start).map(|v| unquote(v)).collect();
            while values.last().is_some_and(|v| v.trim().is_empty()) {
                values.pop();
            }
            ev.data = values.iter().map(|v| DataItem::unnamed(*v)).collect();
            if let [only] = values.as_slice() {
                ev.message = Some(only.to_string());
            }
        }
        crate::ldap::enrich_event(&mut ev);
        ctx.event(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_conversion() {
        let t = filetime_to_utc(132_000_000_000_000_000).expect("time");
        assert_eq!(t.to_rfc3339(), "2019-04-17T18:40:00+00:00");
        let t = clock_time("1.3312743607246872e+17").expect("time");
        assert_eq!(t.format("%Y-%m-%d %H:%M:%S").to_string(), "2022-11-12 16:20:07");
    }
}
