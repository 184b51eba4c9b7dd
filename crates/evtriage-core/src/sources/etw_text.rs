//! ETW trace records rendered as text.
//!
//! The shape KB4530043 shows is `[Provider/Channel] Message=text`, e.g.
//!
//! ```text
//! [Microsoft-Windows-LDAP-Client/Debug] Message=LdapConnect failed to open connection 0xec4b08a8, error = 0x5b.
//! ```
//!
//! Converters add a prefix before the bracket, and several records may be
//! glued together on one line. Supported, per record:
//!
//! - the bracket `[Provider]` or `[Provider/Channel]`, followed by
//!   `Message=` (or any `Field=`, kept as a named data item) or directly by
//!   the text;
//! - an optional `tracefmt`/`netsh trace convert` prefix
//!   `[CPU]PID.TID::MM/DD/YYYY-HH:MM:SS.fff ` (PID and TID in hex, an
//!   optional 8-hex-digit sequence number after the time): processor, process
//!   and thread ids and time are taken from it;
//! - an optional time prefix — ISO (`2019-10-31 10:15:32.123`,
//!   `2019-10-31T10:15:32.1234567Z`, with or without offset) or US order
//!   (`10/31/2019 10:15:32.123`) —, possibly with other tool columns, before
//!   the bracket;
//! - invisible direction marks (U+200E/U+200F) that `netsh` puts around date
//!   parts are ignored.
//!
//! A bracket counts as the start of a record when it carries a channel
//! (`/Debug`), is followed by `Field=`, or follows a tracefmt prefix — so
//! brackets inside message text (`[1]`, `[MISC]`) do not split records.
//! Times without an offset are taken as UTC (tracefmt writes local time unless
//! told `-utc`; the capture does not say which). Event id is 0: text traces
//! do not carry it.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use regex::Regex;

use crate::model::{DataItem, Event, Locator, Origin, TraceInfo};

use super::Ctx;

/// `[Provider]` or `[Provider/Channel]`, with an optional `Field=` after it.
static BRACKET: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::constant_regex(
        r"\[([A-Za-z][A-Za-z0-9_.\-]*(?: [A-Za-z0-9_.\-]+)*)(?:/([A-Za-z][A-Za-z0-9 _.\-]*))?\][ \t]*(?:([A-Za-z][A-Za-z0-9_]*)=)?",
    )
});

/// The tracefmt prefix `[0]0AF4.0C64::07/25/2003-13:55:39.998 [00004ea4 ]`, anchored at the end of the text before a bracket.
static TRACEFMT: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::constant_regex(
        r"\[(\d+)\]([0-9A-Fa-f]+)\.([0-9A-Fa-f]+)::(\d{1,4}[/-]\d{1,2}[/-]\d{1,4})[- T](\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)(?:[ \t]+[0-9A-Fa-f]{8})?[ \t]*$",
    )
});

/// An ISO-like time anywhere in a prefix.
static ISO_TIME: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::constant_regex(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?")
});

/// Whether `text` looks like a text trace: at least half of its first 200
/// non-blank lines start a record (used by detection).
pub fn looks_like_etw_text(text: &str) -> bool {
    let mut lines = 0usize;
    let mut hits = 0usize;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(200) {
        lines += 1;
        if !record_starts(&strip_marks(line)).is_empty() {
            hits += 1;
        }
    }
    hits > 0 && hits * 2 >= lines
}

fn strip_marks(line: &str) -> std::borrow::Cow<'_, str> {
    if line.contains(['\u{200e}', '\u{200f}']) {
        std::borrow::Cow::Owned(line.replace(['\u{200e}', '\u{200f}'], ""))
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}

/// One bracket that starts a record.
struct Start {
    /// Where the bracket (or its tracefmt prefix) begins.
    begin: usize,
    /// Where the message text begins.
    text: usize,
    provider: String,
    channel: Option<String>,
    field: Option<String>,
    prefix: Option<Prefix>,
}

#[derive(Default)]
struct Prefix {
    processor: Option<u32>,
    pid: Option<u32>,
    tid: Option<u32>,
    time: Option<DateTime<Utc>>,
}

fn record_starts(line: &str) -> Vec<Start> {
    let (bracket, tracefmt) = (&*BRACKET, &*TRACEFMT);
    let mut out = Vec::new();
    for c in bracket.captures_iter(line) {
        let Some(whole) = c.get(0) else { continue };
        let before = line.get(..whole.start()).unwrap_or("");
        let tf = tracefmt.captures(before);
        let channel = c.get(2).map(|m| m.as_str().trim().to_string());
        let field = c.get(3).map(|m| m.as_str().to_string());
        if channel.is_none() && field.is_none() && tf.is_none() {
            continue;
        }
        let (begin, prefix) = match tf {
            Some(tf) => {
                let begin = tf.get(0).map_or(whole.start(), |m| m.start());
                let time = match (tf.get(4), tf.get(5)) {
                    (Some(d), Some(t)) => us_or_iso_time(d.as_str(), t.as_str()),
                    _ => None,
                };
                let p = Prefix {
                    processor: tf.get(1).and_then(|m| m.as_str().parse().ok()),
                    pid: tf.get(2).and_then(|m| u32::from_str_radix(m.as_str(), 16).ok()),
                    tid: tf.get(3).and_then(|m| u32::from_str_radix(m.as_str(), 16).ok()),
                    time,
                };
                (begin, Some(p))
            }
            None => (whole.start(), None),
        };
        out.push(Start {
            begin,
            text: whole.end(),
            provider: c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default(),
            channel,
            field,
            prefix,
        });
    }
    out
}

/// `07/25/2003` + `13:55:39.998` (US order, as tracefmt writes it) or `2003-07-25`.
fn us_or_iso_time(date: &str, time: &str) -> Option<DateTime<Utc>> {
    let s = format!("{date} {time}");
    for fmt in ["%m/%d/%Y %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y/%m/%d %H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

/// A US-order time (`10/31/2019 10:15:32.123`, `10/31/2019-10:15:32`) anywhere in a prefix.
static US_TIME: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"(\d{1,2}/\d{1,2}/\d{4})[ -](\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)"));

/// Time (and nothing else) from a free-form prefix before the first bracket.
fn prefix_time(prefix: &str) -> Option<DateTime<Utc>> {
    let Some(c) = ISO_TIME.captures(prefix) else {
        let c = US_TIME.captures(prefix)?;
        return us_or_iso_time(c.get(1)?.as_str(), c.get(2)?.as_str());
    };
    let date = c.get(1)?.as_str();
    let time = c.get(2)?.as_str();
    match c.get(3) {
        Some(zone) => {
            let z = zone.as_str();
            let z = if z.len() == 5 { format!("{}:{}", z.get(..3)?, z.get(3..)?) } else { z.to_string() };
            crate::event_parser::parse_system_time(&format!("{date}T{time}{z}"))
        }
        None => crate::event_parser::parse_system_time(&format!("{date}T{time}")),
    }
}

/// Reads every record of a text trace.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    for (line_no, raw) in crate::text::numbered_lines(text) {
        let line = strip_marks(raw);
        if line.trim().is_empty() {
            continue;
        }
        let starts = record_starts(&line);
        if starts.is_empty() {
            ctx.skip_line(line_no, "not a trace record ([Provider/Channel] Message=…); skipped");
            continue;
        }
        for (i, s) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(line.len(), |n| n.begin);
            let message = line.get(s.text..end).unwrap_or("").trim_end();
            let origin = Origin::new(ctx.name.clone(), Locator::Line { line: line_no });
            let mut ev = Event::new(Some(s.provider.clone()), 0, origin);
            ev.channel = s.channel.clone();
            ev.message = Some(message.to_string());
            if let Some(f) = &s.field {
                if !f.eq_ignore_ascii_case("Message") {
                    ev.data.push(DataItem::named(f.clone(), message));
                }
            }
            match &s.prefix {
                Some(p) => {
                    ev.time = p.time;
                    ev.process_id = p.pid;
                    ev.thread_id = p.tid;
                    if let Some(cpu) = p.processor {
                        ev.trace.get_or_insert_with(Box::<TraceInfo>::default).processor = Some(cpu);
                    }
                }
                None if i == 0 => ev.time = prefix_time(line.get(..s.begin).unwrap_or("")),
                None => {}
            }
            crate::ldap::enrich_event(&mut ev);
            ctx.event(ev);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_patterns_compile() {
        for r in [&*super::BRACKET, &*super::TRACEFMT, &*super::ISO_TIME, &*super::US_TIME] {
            assert!(!r.as_str().is_empty());
        }
    }

    use std::sync::Arc;

    use super::*;
    use crate::contract::{Collect, InputSummary, ReadOptions};

    fn events(text: &str) -> (Vec<Event>, InputSummary) {
        let mut sink = Collect::default();
        let mut summary = InputSummary::new(Arc::from("t"), crate::contract::Format::EtwText);
        let options = ReadOptions::default();
        let mut ctx = Ctx {
            name: Arc::from("t"),
            options: &options,
            sink: &mut sink,
            summary: &mut summary,
            reviewer: None,
            unit: None,
        };
        read(text, &mut ctx);
        drop(ctx);
        (sink.events().cloned().collect(), summary)
    }

    #[test]
    fn glued_records_each_with_a_tracefmt_prefix() {
        let line = "[0]0AF4.0C64::07/25/2019-13:55:39.998 [Microsoft-Windows-LDAP-Client/Debug]first message.[1]0AF4.0C68::07/25/2019-13:55:40.001 [Microsoft-Windows-LDAP-Client/Debug]second";
        let (ev, summary) = events(line);
        assert_eq!(summary.records, 2);
        assert_eq!(ev[0].message.as_deref(), Some("first message."));
        assert_eq!(ev[1].message.as_deref(), Some("second"));
        assert_eq!((ev[1].thread_id, ev[1].trace.as_ref().and_then(|t| t.processor)), (Some(0x0c68), Some(1)));
        assert_eq!(ev[1].time.map(|t| t.to_rfc3339()).as_deref(), Some("2019-07-25T13:55:40.001+00:00"));
    }

    #[test]
    fn channel_less_tracefmt_and_brackets_inside_messages() {
        let text = "[0]0AF4.0C64::07/25/2003-13:55:39.998 00004ea4 [tracedrv]IOCTL = 1\n\
                    [Microsoft-Windows-LDAP-Client/Debug] Message=result [1] of [server one]\n\
                    \u{200e}[2]0004.0030::\u{200e}2019\u{200e}-\u{200e}10\u{200e}-\u{200e}31 10:15:32.123 [Prov/Analytic]x";
        let (ev, summary) = events(text);
        assert_eq!((summary.records, summary.skipped), (3, 0));
        assert_eq!((ev[0].provider.name.as_deref(), ev[0].message.as_deref()), (Some("tracedrv"), Some("IOCTL = 1")));
        assert_eq!(ev[0].channel, None);
        assert_eq!(ev[0].process_id, Some(0x0af4));
        assert_eq!(ev[1].message.as_deref(), Some("result [1] of [server one]"));
        assert_eq!(ev[2].time.map(|t| t.to_rfc3339()).as_deref(), Some("2019-10-31T10:15:32.123+00:00"));
        assert_eq!(ev[2].channel.as_deref(), Some("Analytic"));
    }

    #[test]
    fn us_time_prefix() {
        let (ev, _) = events("10/31/2019 10:15:32.250 ismserv [Microsoft-Windows-LDAP-Client/Debug] Message=x");
        assert_eq!(ev[0].time.map(|t| t.to_rfc3339()).as_deref(), Some("2019-10-31T10:15:32.250+00:00"));
    }

    #[test]
    fn other_fields_are_kept_as_data() {
        let (ev, _) = events("2024-03-02T06:01:14.5+01:00 [Some-Provider/Operational] Status=0xC000005E");
        assert_eq!(ev[0].data_named("Status"), Some("0xC000005E"));
        assert_eq!(ev[0].time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T05:01:14.500+00:00"));
    }
}
