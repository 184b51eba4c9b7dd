//! Writing records as JSON quickly, byte for byte as `serde_json` writes them.
//!
//! `evtriage dump --format jsonl` prints every event of a log, so the cost of
//! turning one [`Event`] into JSON is paid hundreds of thousands of times per
//! file. Going through `serde` costs a generic serializer per field and a
//! byte-by-byte escape loop per string; the profile showed that serializing
//! took more time than decoding the record in the first place. This module
//! writes the same bytes directly into a reused buffer:
//!
//! - strings are scanned eight bytes at a time for the few bytes JSON must
//!   escape (`"`, `\`, control characters), and copied whole when there are
//!   none, which is almost always;
//! - numbers, GUIDs and times are formatted without `core::fmt`;
//! - what is rare (ETW [`TraceInfo`](crate::model::TraceInfo), snapshot
//!   records, times outside years 0–9999 or on a leap second) goes through
//!   `serde_json`, so the output is the model's JSON in every case.
//!
//! The contract is exact equality with `serde_json::to_writer(out, record)`;
//! the tests check it for every record of the corpus.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::model::{DataSection, Event, Guid, Locator, Record};

/// Appends `record` as JSON to `out`: the same bytes as
/// `serde_json::to_writer(out, record)`, written faster for events.
pub fn write_record(record: &Record, out: &mut Vec<u8>) {
    match record {
        Record::Event(e) if e.trace.is_none() && e.display.is_none() => write_event(e, out),
        other => {
            let start = out.len();
            if serde_json::to_writer(&mut *out, other).is_err() {
                out.truncate(start);
            }
        }
    }
}

/// Appends `event` as a JSON record (`{"kind":"event",…}`) to `out`, as
/// [`write_record`] does for `Record::Event`.
pub fn write_event(e: &Event, out: &mut Vec<u8>) {
    if e.trace.is_some() || e.display.is_some() {
        write_traced_event(e, out);
        return;
    }
    event_head(e, out);
    event_stamp(e.time.as_ref(), e.record_id, out);
    event_middle(e, out);
    event_execution(e.process_id, e.thread_id, out);
    event_tail(e, out);
    write_str(&e.origin.source, out);
    event_locator(&e.origin.locator, out);
    out.push(b'}');
}

/// An event with ETW trace details or display names (rare): those go
/// through serde.
fn write_traced_event(e: &Event, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(br#"{"kind":"event","#);
    let mut rest = Vec::new();
    if serde_json::to_writer(&mut rest, e).is_ok() && rest.first() == Some(&b'{') {
        out.extend_from_slice(rest.get(1..).unwrap_or_default());
    } else {
        out.truncate(start);
    }
}

/// Appends `record` as one JSON line: its JSON as [`write_record`] writes
/// it, for an event with a key `"rendered"` holding its message as
/// [`crate::message::render`] renders it (when `rendered`) followed, unless
/// the event's own `message_source` was written, by `"message_source"`
/// (`input`, `table` or `raw`), and a newline.
/// This is what `evtriage dump --format jsonl` prints for each record, and
/// what [`crate::Reader::read_paths_lines`] delivers. `scratch` is space for
/// the message (its content on return is unspecified).
pub fn write_line(record: &Record, rendered: bool, out: &mut Vec<u8>, scratch: &mut String) {
    match record {
        Record::Event(e) => write_event_line(e, rendered, out, scratch),
        other => {
            write_record(other, out);
            out.push(b'\n');
        }
    }
}

/// [`write_line`] for an event.
pub fn write_event_line(e: &Event, rendered: bool, out: &mut Vec<u8>, scratch: &mut String) {
    write_event(e, out);
    end_event_line(e, rendered, out, scratch);
}

/// Ends the line of an event written by [`write_event`] (which ends on the
/// `}` that closes the object): the `"rendered"` and `"message_source"` keys, and the newline.
fn end_event_line(e: &Event, rendered: bool, out: &mut Vec<u8>, scratch: &mut String) {
    if rendered && out.last() == Some(&b'}') {
        out.pop();
        out.extend_from_slice(br#","rendered":"#);
        scratch.clear();
        let source = crate::message::render_with_source_into(e, scratch);
        write_str(scratch, out);
        // The event's own `message_source` was written with it; else say it here.
        if e.message_source.is_none() {
            out.extend_from_slice(br#","message_source":""#);
            out.extend_from_slice(source.as_str().as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b'\n');
}

/// Where the per-record parts of an event's line are (see
/// [`write_event_line_cut`]): everything else in the line is decided by the
/// record's content, so another record of the same content has the same
/// bytes there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineCut {
    /// Start and end of `,"time":…,"record_id":…`.
    pub(crate) stamp: (usize, usize),
    /// Start and end of `,"process_id":…,"thread_id":…`.
    pub(crate) execution: (usize, usize),
    /// Start and end of the origin's source and locator (after `"source":`,
    /// up to the `}` that closes `"origin"`, that included).
    pub(crate) origin: (usize, usize),
}

/// [`write_line`] for an event without trace details, telling where its
/// per-record parts were written (offsets into `out`).
pub(crate) fn write_event_line_cut(e: &Event, rendered: bool, out: &mut Vec<u8>, scratch: &mut String) -> LineCut {
    event_head(e, out);
    let s0 = out.len();
    event_stamp(e.time.as_ref(), e.record_id, out);
    let s1 = out.len();
    event_middle(e, out);
    let x0 = out.len();
    event_execution(e.process_id, e.thread_id, out);
    let x1 = out.len();
    event_tail(e, out);
    let o0 = out.len();
    write_str(&e.origin.source, out);
    event_locator(&e.origin.locator, out);
    let o1 = out.len();
    out.push(b'}');
    end_event_line(e, rendered, out, scratch);
    LineCut { stamp: (s0, s1), execution: (x0, x1), origin: (o0, o1) }
}

/// From `{"kind":"event"` to the keywords.
fn event_head(e: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"kind":"event","provider":{"#);
    let mut first = true;
    if let Some(n) = &e.provider.name {
        key(out, &mut first, "name");
        write_str(n, out);
    }
    if let Some(g) = &e.provider.guid {
        key(out, &mut first, "guid");
        write_guid(g, out);
    }
    if let Some(n) = &e.provider.event_source_name {
        key(out, &mut first, "event_source_name");
        write_str(n, out);
    }
    out.extend_from_slice(br#"},"event_id":"#);
    write_u64(u64::from(e.event_id), out);
    // Every key from here on follows another: `,"name":` written as one literal.
    write_num(out, br#","qualifiers":"#, e.qualifiers.map(u64::from));
    write_num(out, br#","version":"#, e.version.map(u64::from));
    write_num(out, br#","level":"#, e.level.map(u64::from));
    write_num(out, br#","task":"#, e.task.map(u64::from));
    write_num(out, br#","opcode":"#, e.opcode.map(u64::from));
    write_num(out, br#","keywords":"#, e.keywords);
}

/// `,"key":value` when there is a value.
#[inline]
fn write_num(out: &mut Vec<u8>, k: &[u8], v: Option<u64>) {
    if let Some(v) = v {
        out.extend_from_slice(k);
        write_u64(v, out);
    }
}

/// `,"time":…,"record_id":…` (each when present).
pub(crate) fn event_stamp(time: Option<&DateTime<Utc>>, record_id: Option<u64>, out: &mut Vec<u8>) {
    if let Some(t) = time {
        out.extend_from_slice(br#","time":"#);
        write_time(t, out);
    }
    write_num(out, br#","record_id":"#, record_id);
}

/// The activity ids.
fn event_middle(e: &Event, out: &mut Vec<u8>) {
    if let Some(g) = &e.activity_id {
        out.extend_from_slice(br#","activity_id":"#);
        write_guid(g, out);
    }
    if let Some(g) = &e.related_activity_id {
        out.extend_from_slice(br#","related_activity_id":"#);
        write_guid(g, out);
    }
}

/// `,"process_id":…,"thread_id":…` (each when present).
pub(crate) fn event_execution(process_id: Option<u32>, thread_id: Option<u32>, out: &mut Vec<u8>) {
    write_num(out, br#","process_id":"#, process_id.map(u64::from));
    write_num(out, br#","thread_id":"#, thread_id.map(u64::from));
}

/// From the channel to `,"origin":{"source":`.
fn event_tail(e: &Event, out: &mut Vec<u8>) {
    for (k, value) in
        [(&br#","channel":"#[..], &e.channel), (br#","computer":"#, &e.computer), (br#","user_sid":"#, &e.user_sid)]
    {
        if let Some(v) = value {
            out.extend_from_slice(k);
            write_str(v, out);
        }
    }
    if e.data_section == DataSection::UserData {
        out.extend_from_slice(br#","data_section":"user_data""#);
    }
    if !e.data.is_empty() {
        out.extend_from_slice(br#","data":["#);
        for (i, d) in e.data.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if let Some(n) = &d.name {
                out.extend_from_slice(br#"{"name":"#);
                write_str(n, out);
                out.extend_from_slice(br#","value":"#);
            } else {
                out.extend_from_slice(br#"{"value":"#);
            }
            write_str(&d.value, out);
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(b) = &e.binary {
        out.extend_from_slice(br#","binary":"#);
        write_hex_upper(b, out);
    }
    if let Some(m) = &e.message {
        out.extend_from_slice(br#","message":"#);
        write_str(m, out);
    }
    if e.recovered {
        out.extend_from_slice(br#","recovered":true"#);
    }
    out.extend_from_slice(br#","origin":{"source":"#);
}

/// `,"locator":…}`: the locator and the `}` closing `"origin"`.
pub(crate) fn event_locator(l: &Locator, out: &mut Vec<u8>) {
    out.extend_from_slice(br#","locator":"#);
    write_locator(l, out);
    out.push(b'}');
}

/// `,"name":` (or without the comma for the first key).
#[inline]
fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_locator(l: &Locator, out: &mut Vec<u8>) {
    let two = |out: &mut Vec<u8>, ty: &str, a: (&str, u64), b: (&str, u64)| {
        out.extend_from_slice(br#"{"type":""#);
        out.extend_from_slice(ty.as_bytes());
        out.extend_from_slice(b"\",\"");
        out.extend_from_slice(a.0.as_bytes());
        out.extend_from_slice(b"\":");
        write_u64(a.1, out);
        out.extend_from_slice(b",\"");
        out.extend_from_slice(b.0.as_bytes());
        out.extend_from_slice(b"\":");
        write_u64(b.1, out);
        out.push(b'}');
    };
    match *l {
        Locator::Evtx { chunk, record_id } => {
            // Every evtx record's locator: literals, no generic key writing.
            out.extend_from_slice(br#"{"type":"evtx","chunk":"#);
            write_u64(chunk, out);
            out.extend_from_slice(br#","record_id":"#);
            write_u64(record_id, out);
            out.push(b'}');
        }
        Locator::EvtxOffset { chunk, offset } => two(out, "evtx_offset", ("chunk", chunk), ("offset", offset)),
        Locator::EtlBuffer { buffer, offset } => {
            two(out, "etl_buffer", ("buffer", buffer), ("offset", u64::from(offset)))
        }
        Locator::Line { line } => {
            out.extend_from_slice(br#"{"type":"line","line":"#);
            write_u64(line, out);
            out.push(b'}');
        }
        Locator::Offset { offset } => {
            out.extend_from_slice(br#"{"type":"offset","offset":"#);
            write_u64(offset, out);
            out.push(b'}');
        }
        Locator::File => out.extend_from_slice(br#"{"type":"file"}"#),
    }
}

/// Appends `s` as a JSON string (quoted and escaped exactly as `serde_json` does).
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut done = 0; // bytes of `s` already copied or escaped
    let mut i = 0;
    while i < bytes.len() {
        // Long runs (rendered messages, paths): 32 bytes per step.
        if let Some(run) = bytes.get(i..i + 32) {
            let mut m = 0;
            for w in run.chunks_exact(8) {
                m |= escape_mask(word_at(w));
            }
            if m == 0 {
                i += 32;
                continue;
            }
        }
        // Eight bytes at a time while none needs escaping; the last, short
        // block is checked as the string's last eight bytes (those before `i`
        // are done: at worst they send the block through the loop below), or,
        // in a string shorter than eight bytes, built in a register.
        let word = match bytes.get(i..i + 8) {
            Some(block) => word_at(block),
            None => match bytes.len().checked_sub(8).and_then(|start| bytes.get(start..)) {
                Some(last) => word_at(last),
                None => short_word(bytes.get(i..).unwrap_or_default()),
            },
        };
        if escape_mask(word) == 0 {
            i += 8;
            continue;
        }
        // Some byte of this block needs escaping: byte by byte through it.
        let end = (i + 8).min(bytes.len());
        while i < end {
            let Some(&b) = bytes.get(i) else { break };
            let esc = ESCAPES[usize::from(b)];
            if esc != 0 {
                out.extend_from_slice(bytes.get(done..i).unwrap_or_default());
                if esc == b'u' {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 15)]);
                } else {
                    out.extend_from_slice(&[b'\\', esc]);
                }
                done = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(bytes.get(done..).unwrap_or_default());
    out.push(b'"');
}

/// For each byte: 0 if JSON takes it as it is, else the letter of its short
/// escape (`\n`, `\"`, …), or `u` for `\u00XX`. The same choices as `serde_json`.
const ESCAPES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Non-zero when any byte of the word is `"`, `\` or below 0x20 (no false negatives; a
/// false positive only sends the block through the byte-by-byte check).
/// The first eight bytes of `b` as a little-endian word (`b` has at least eight).
#[inline]
fn word_at(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    if let Some(src) = b.get(..8) {
        w.copy_from_slice(src);
    }
    u64::from_le_bytes(w)
}

/// A word holding every byte of `t` (fewer than eight), the rest spaces
/// (which need no escaping); bytes may appear twice. Built from two
/// overlapping loads, not a byte loop through memory (which stalls the load
/// of the word that follows it).
#[inline]
fn short_word(t: &[u8]) -> u64 {
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let n = t.len();
    let four = |at: usize| t.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes);
    let two = |at: usize| t.get(at..at + 2).and_then(|s| <[u8; 2]>::try_from(s).ok()).map(u16::from_le_bytes);
    if n >= 4 {
        let (lo, hi) = (four(0).unwrap_or(0x2020_2020), four(n - 4).unwrap_or(0x2020_2020));
        u64::from(lo) | u64::from(hi) << 32
    } else if n >= 2 {
        let (lo, hi) = (two(0).unwrap_or(0x2020), two(n - 2).unwrap_or(0x2020));
        (SPACES & !0xFFFF_FFFF) | u64::from(lo) | u64::from(hi) << 16
    } else {
        t.first().map_or(SPACES, |b| (SPACES & !0xFF) | u64::from(*b))
    }
}

#[inline]
fn escape_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    below_space | has_zero(w ^ (ONES * u64::from(b'"'))) | has_zero(w ^ (ONES * u64::from(b'\\')))
}

fn write_u64(v: u64, out: &mut Vec<u8>) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut n = buf.len();
    let mut v = v;
    while v > 0 && n > 0 {
        n -= 1;
        if let Some(slot) = buf.get_mut(n) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
    }
    // Byte by byte: a call to `memcpy` costs more than a few digits.
    for &d in buf.get(n..).unwrap_or_default() {
        out.push(d);
    }
}

fn write_guid(g: &Guid, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(&g.text_buf());
    out.push(b'"');
}

fn write_hex_upper(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(bytes.len() * 2 + 2);
    out.push(b'"');
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out.push(b'"');
}

/// A time as chrono's `Serialize` writes it (RFC 3339, `Z`, fractional
/// seconds in 0, 3, 6 or 9 digits as needed).
fn write_time(t: &DateTime<Utc>, out: &mut Vec<u8>) {
    let year = t.year();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // Outside what the fast path formats (and what a log holds): chrono's own text.
        let _ = serde_json::to_writer(&mut *out, t);
        return;
    }
    // `"YYYY-MM-DDTHH:MM:SS[.fff[fff[fff]]]Z"`, built in place and copied once.
    let mut buf = *b"\"0000-00-00T00:00:00.000000000Z\"";
    let put = |buf: &mut [u8; 32], at: usize, width: usize, v: u32| {
        let mut v = v;
        for i in (at..at + width).rev() {
            if let Some(slot) = buf.get_mut(i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(&mut buf, 1, 4, year as u32);
    put(&mut buf, 6, 2, t.month());
    put(&mut buf, 9, 2, t.day());
    put(&mut buf, 12, 2, t.hour());
    put(&mut buf, 15, 2, t.minute());
    put(&mut buf, 18, 2, t.second());
    let end = if nanos == 0 {
        20
    } else if nanos % 1_000_000 == 0 {
        put(&mut buf, 21, 3, nanos / 1_000_000);
        24
    } else if nanos % 1_000 == 0 {
        put(&mut buf, 21, 6, nanos / 1_000);
        27
    } else {
        put(&mut buf, 21, 9, nanos);
        30
    };
    out.extend_from_slice(buf.get(..end).unwrap_or_default());
    out.extend_from_slice(b"Z\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DataItem, Origin, Provider};
    use std::sync::Arc;

    fn serde_bytes(r: &Record) -> String {
        serde_json::to_string(r).unwrap_or_default()
    }

    fn fast_bytes(r: &Record) -> String {
        let mut v = Vec::new();
        write_record(r, &mut v);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn strings_escape_like_serde() {
        for s in [
            "",
            "plain",
            "exactly8",
            "quote \" and \\ backslash",
            "C:\\Windows\\System32\\svchost.exe -k netsvcs",
            "line\r\nbreak\ttab\u{8}\u{c}\u{1}\u{1f}\u{7f} end",
            "é ü 日本語 — ✓ \u{2028}",
            "0123456789abcdef\"0123456789abcdef",
        ] {
            let mut out = Vec::new();
            write_str(s, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap_or_default(),
                serde_json::to_string(s).unwrap_or_default(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn every_ascii_byte_at_every_block_position_escapes_like_serde() {
        // Each position inside and across 8-byte blocks, in the padded last
        // block too, with text before and after.
        for c in 0u8..0x80 {
            for before in 0..41 {
                for after in [0, 1, 7, 8, 9] {
                    let s = format!("{}{}{}", "a".repeat(before), char::from(c), "é".repeat(after));
                    let mut out = Vec::new();
                    write_str(&s, &mut out);
                    assert_eq!(
                        String::from_utf8(out).unwrap_or_default(),
                        serde_json::to_string(&s).unwrap_or_default(),
                        "{s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn events_match_serde() {
        let origin = Origin::new(Arc::from("C:\\logs\\Sys\"tem.evtx"), Locator::Evtx { chunk: 3, record_id: 77 });
        let mut e = Event::new(Some("Service Control Manager".into()), 7023, origin);
        let plain = Record::Event(Box::new(e.clone()));
        assert_eq!(fast_bytes(&plain), serde_bytes(&plain));
        e.provider = Provider {
            name: None,
            guid: Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f4}"),
            event_source_name: Some("Service Control Manager".into()),
        };
        e.qualifiers = Some(16384);
        e.version = Some(0);
        e.level = Some(2);
        e.task = Some(0);
        e.opcode = Some(0);
        e.keywords = Some(0x8080_0000_0000_0000);
        e.process_id = Some(660);
        e.thread_id = Some(4);
        e.activity_id = e.provider.guid;
        e.related_activity_id = e.provider.guid;
        e.channel = Some("System".into());
        e.computer = Some("DC01.contoso.local".into());
        e.user_sid = Some("S-1-5-18".into());
        e.data_section = DataSection::UserData;
        e.data = vec![DataItem::named("param1", "Intersite\nMessaging"), DataItem::unnamed("%%58")];
        e.binary = Some(vec![0x5e, 0, 0, 0xc0]);
        e.message = Some("The \"ISM\" service\tstopped".into());
        for (secs, nanos) in
            [(0, 0), (1_700_000_000, 0), (1_700_000_000, 120_000_000), (1_700_000_000, 123_456_000), (1, 1)]
        {
            e.time = DateTime::from_timestamp(secs, nanos);
            e.record_id = Some(u64::MAX);
            let r = Record::Event(Box::new(e.clone()));
            assert_eq!(fast_bytes(&r), serde_bytes(&r));
        }
        for l in [
            Locator::EvtxOffset { chunk: 1, offset: 0x200 },
            Locator::Line { line: 12 },
            Locator::Offset { offset: 9 },
            Locator::EtlBuffer { buffer: 4, offset: 72 },
            Locator::File,
        ] {
            e.origin.locator = l;
            let r = Record::Event(Box::new(e.clone()));
            assert_eq!(fast_bytes(&r), serde_bytes(&r));
        }
        e.trace = Some(Box::default());
        let r = Record::Event(Box::new(e));
        assert_eq!(fast_bytes(&r), serde_bytes(&r));
    }
}
