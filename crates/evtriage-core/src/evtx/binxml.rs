//! A small BinXML reader: template definitions into compiled [`Schema`]s, and
//! template instances mapped through them straight into [`Event`] fields.
//!
//! An evtx record is almost always one *template instance*: a reference to a
//! template definition stored once per chunk (the XML skeleton of the event,
//! with numbered holes) plus the typed substitution values that fill the
//! holes. Rendering every record to XML and parsing the XML back is the slow
//! way to get at its fields. Instead, each definition is parsed once per chunk
//! into a [`Schema`] that says "hole 3 is `System/EventID`, hole 8 is
//! `EventData/Data[@Name='param1']`", and each record is then decoded by
//! looking at its values only.
//!
//! Records that are not a template instance (raw elements) go through the same
//! tree parser, with literal values in place of holes. Substitution values
//! that are themselves BinXML fragments (typical for `UserData`) are parsed
//! recursively, with a depth limit.
//!
//! Everything here reads untrusted bytes: every access is bounds-checked and a
//! malformed structure becomes a [`DecodeError`], never a panic.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{DataItem, DataSection, Event, Guid};

/// Why a record's BinXML could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at chunk offset {offset:#x}")]
pub struct DecodeError {
    /// What was wrong.
    pub what: &'static str,
    /// Where, from the start of the chunk.
    pub offset: usize,
}

type Res<T> = Result<T, DecodeError>;

fn err<T>(what: &'static str, offset: usize) -> Res<T> {
    Err(DecodeError { what, offset })
}

/// How deep nested BinXML fragments may go before we give up.
const MAX_DEPTH: usize = 8;
/// How deep elements may nest inside one fragment.
const MAX_ELEMENT_DEPTH: usize = 64;

/// A bounds-checked little-endian reader over the chunk bytes.
struct Cur<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Cur<'a> {
    fn new(data: &'a [u8], pos: usize, end: usize) -> Self {
        Cur { data, pos, end: end.min(data.len()) }
    }
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let stop = self.pos.checked_add(n).filter(|s| *s <= self.end);
        match stop.and_then(|s| self.data.get(self.pos..s)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => err("truncated BinXML", self.pos),
        }
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.data.get(self.pos).copied()
        } else {
            None
        }
    }
    fn u16(&mut self) -> Res<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Res<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn skip(&mut self, n: usize) -> Res<()> {
        self.take(n).map(|_| ())
    }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// One substitution value as stored: its BinXML type byte and its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawVal<'a> {
    ty: u8,
    bytes: &'a [u8],
    /// Offset of `bytes` in the chunk (nested BinXML is parsed in place).
    offset: usize,
}

const T_NULL: u8 = 0x00;
const T_STRING: u8 = 0x01;
const T_ANSI: u8 = 0x02;
const T_BOOL: u8 = 0x0d;
const T_BINARY: u8 = 0x0e;
const T_GUID: u8 = 0x0f;
const T_SIZET: u8 = 0x10;
const T_FILETIME: u8 = 0x11;
const T_SYSTIME: u8 = 0x12;
const T_SID: u8 = 0x13;
const T_BINXML: u8 = 0x21;
const ARRAY: u8 = 0x80;

/// Size of one item of a fixed-size type, if it has one.
fn fixed_size(ty: u8) -> Option<usize> {
    Some(match ty {
        0x03 | 0x04 => 1,
        0x05 | 0x06 => 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => 8,
        0x0f | 0x12 => 16,
        _ => return None,
    })
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u64::from_le_bytes(a)
}

/// UTF-16LE to a `String`, stopping at the first NUL, lone surrogates replaced.
fn utf16_to(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len() / 2);
    let mut done = 0;
    // Fast path: runs of ASCII (the common case) go through a small byte buffer.
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in bytes.chunks_exact(2) {
        match (c[0], c[1]) {
            (0, 0) => break,
            (b, 0) if b < 0x80 => {
                if let Some(slot) = buf.get_mut(n) {
                    *slot = b;
                }
                n += 1;
                done += 2;
                if n == buf.len() {
                    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
                    n = 0;
                }
            }
            _ => {
                out.push_str(std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default());
                let rest = bytes.get(done..).unwrap_or(&[]);
                let units = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0);
                out.extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')));
                return;
            }
        }
    }
    out.push_str(std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default());
}

/// Windows-1252 (the default ANSI code page) to a `String`, NULs dropped.
fn ansi_to(bytes: &[u8], out: &mut String) {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    for &b in bytes {
        match b {
            0 => {}
            0x80..=0x9f => out.push(HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{fffd}')),
            _ => out.push(char::from(b)),
        }
    }
}

/// A FILETIME (100 ns ticks since 1601) as a UTC time, full precision kept.
pub(crate) fn filetime_to_utc(ft: u64) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(ft / 10_000_000).ok()? - 11_644_473_600;
    let nanos = u32::try_from((ft % 10_000_000) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

/// Writes a time the way evtx_dump does: `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
fn write_time(out: &mut String, t: Option<DateTime<Utc>>, ticks: u32) {
    use chrono::{Datelike, Timelike};
    let Some(t) = t else {
        out.push_str("1601-01-01T00:00:00.0000000Z");
        return;
    };
    let year = t.year();
    if !(0..=9999).contains(&year) || ticks >= 10_000_000 || t.nanosecond() >= 1_000_000_000 {
        // Outside what the digits below write (chrono signs such years).
        let _ = write!(out, "{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), ticks);
        return;
    }
    // Digits in place: the formatting machinery showed up in profiles.
    let mut buf = *b"0000-00-00T00:00:00.0000000Z";
    let mut put = |at: usize, width: usize, v: u32| {
        let mut v = v;
        for i in (at..at + width).rev() {
            if let Some(slot) = buf.get_mut(i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 7, ticks);
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

fn systime_to_utc(b: &[u8]) -> Option<(DateTime<Utc>, u32)> {
    let f = |i: usize| b.get(2 * i..2 * i + 2).map(|x| u16::from_le_bytes([x[0], x[1]]));
    let (y, mo, d, h, mi, s, ms) = (f(0)?, f(1)?, f(3)?, f(4)?, f(5)?, f(6)?, f(7)?);
    if ms >= 1000 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))?;
    let dt = date.and_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms))?;
    Some((dt.and_utc(), u32::from(ms) * 10_000))
}

/// A SID in `S-R-A-S1-…` form.
fn sid_to(b: &[u8], out: &mut String) -> usize {
    let (Some(&rev), Some(&count)) = (b.first(), b.get(1)) else {
        out.push_str("S-?");
        return b.len();
    };
    let Some(auth) = b.get(2..8) else {
        out.push_str("S-?");
        return b.len();
    };
    let authority = auth.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    out.push_str("S-");
    push_u64(out, u64::from(rev));
    out.push('-');
    push_u64(out, authority);
    let mut used = 8;
    for i in 0..usize::from(count) {
        match b.get(8 + 4 * i..12 + 4 * i) {
            Some(s) => {
                out.push('-');
                push_u64(out, u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])));
                used += 4;
            }
            None => break,
        }
    }
    used
}

fn hex_upper(bytes: &[u8], out: &mut String) {
    const D: &[u8; 16] = b"0123456789ABCDEF";
    for b in bytes {
        out.push(char::from(D[usize::from(b >> 4)]));
        out.push(char::from(D[usize::from(b & 15)]));
    }
}

/// Appends `v` in decimal (`write!` goes through the formatting machinery,
/// which showed up in profiles for this very common case).
fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends `0x` and `v` in lowercase hex.
fn push_hex(out: &mut String, mut v: u64) {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = D[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.push_str("0x");
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Renders one scalar of type `ty` from `b` as Event Viewer's XML shows it.
fn render_scalar(ty: u8, b: &[u8], out: &mut String) {
    match ty {
        T_NULL => {}
        T_STRING => utf16_to(b, out),
        T_ANSI => ansi_to(b, out),
        0x03 => push_i64(out, i64::from(le_u64(b) as u8 as i8)),
        0x04 => push_u64(out, le_u64(b) & 0xff),
        0x05 => push_i64(out, i64::from(le_u64(b) as u16 as i16)),
        0x06 => push_u64(out, le_u64(b) & 0xffff),
        0x07 => push_i64(out, i64::from(le_u64(b) as u32 as i32)),
        0x08 => push_u64(out, le_u64(b) & 0xffff_ffff),
        0x09 => push_i64(out, le_u64(b) as i64),
        0x0a => push_u64(out, le_u64(b)),
        0x0b => {
            let _ = write!(out, "{}", f32::from_bits(le_u64(b) as u32));
        }
        0x0c => {
            let _ = write!(out, "{}", f64::from_bits(le_u64(b)));
        }
        T_BOOL => match le_u64(b) as u32 as i32 {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            v => {
                let _ = write!(out, "{v}");
            }
        },
        T_BINARY => hex_upper(b, out),
        T_GUID => {
            if let Ok(raw) = <[u8; 16]>::try_from(b) {
                out.push_str(std::str::from_utf8(&Guid(raw).text_buf()).unwrap_or_default());
            }
        }
        T_SIZET | 0x14 | 0x15 => push_hex(out, le_u64(b)),
        T_FILETIME => {
            let ft = le_u64(b);
            write_time(out, filetime_to_utc(ft), (ft % 10_000_000) as u32);
        }
        T_SYSTIME => match systime_to_utc(b) {
            Some((t, ticks)) => write_time(out, Some(t), ticks),
            None => write_time(out, None, 0),
        },
        T_SID => {
            sid_to(b, out);
        }
        _ => {}
    }
}

impl<'a> RawVal<'a> {
    fn is_null(&self) -> bool {
        self.ty == T_NULL
    }

    /// The items of an array value, each rendered; `None` if not an array.
    fn array_items(&self) -> Option<Vec<String>> {
        if self.ty & ARRAY == 0 {
            return None;
        }
        let base = self.ty & !ARRAY;
        let mut items = Vec::new();
        match base {
            T_STRING => {
                let units: Vec<u16> = self.bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                let mut parts: Vec<&[u16]> = units.split(|u| *u == 0).collect();
                if units.last() == Some(&0) {
                    parts.pop();
                }
                for p in parts {
                    items.push(char::decode_utf16(p.iter().copied()).map(|r| r.unwrap_or('\u{fffd}')).collect());
                }
            }
            T_ANSI => {
                let raw = self.bytes.strip_suffix(&[0]).unwrap_or(self.bytes);
                if !raw.is_empty() {
                    for p in raw.split(|b| *b == 0) {
                        let mut s = String::new();
                        ansi_to(p, &mut s);
                        items.push(s);
                    }
                }
            }
            T_SID => {
                let mut rest = self.bytes;
                while !rest.is_empty() {
                    let mut s = String::new();
                    let used = sid_to(rest, &mut s).max(1);
                    items.push(s);
                    rest = rest.get(used..).unwrap_or(&[]);
                }
            }
            _ => {
                let size = fixed_size(base).or(if base == T_SIZET { Some(8) } else { None })?;
                for c in self.bytes.chunks_exact(size) {
                    let mut s = String::new();
                    render_scalar(base, c, &mut s);
                    items.push(s);
                }
            }
        }
        Some(items)
    }

    /// Appends the value as text.
    fn render(&self, out: &mut String) {
        if let Some(items) = self.array_items() {
            out.push_str(&items.join(","));
        } else {
            render_scalar(self.ty, self.bytes, out);
        }
    }

    /// The value as an unsigned number, for numeric System fields.
    fn as_u64(&self) -> Option<u64> {
        match self.ty {
            0x03..=0x0a | 0x14 | 0x15 | T_SIZET => Some(le_u64(self.bytes)),
            T_STRING | T_ANSI => {
                let mut s = String::new();
                self.render(&mut s);
                parse_number(&s)
            }
            _ => None,
        }
    }
}

/// Parses `123` or `0x7b`.
fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

// ---------------------------------------------------------------------------
// Token trees
// ---------------------------------------------------------------------------

/// A piece of text content: literal, or a substitution hole.
#[derive(Debug, Clone)]
enum Piece {
    Lit(String),
    Sub(u16),
}

#[derive(Debug, Default)]
struct Elem {
    name: String,
    dep: Option<u16>,
    attrs: Vec<(String, Vec<Piece>)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Elem(Elem),
    Text(Piece),
}

/// Reads the name stored at `offset` in the chunk's string table.
fn name_at(data: &[u8], offset: usize) -> Res<String> {
    let mut c = Cur::new(data, offset, data.len());
    c.skip(6)?; // next-string link and hash
    let count = usize::from(c.u16()?);
    let bytes = c.take(count * 2)?;
    let mut s = String::with_capacity(count);
    utf16_to(bytes, &mut s);
    Ok(s)
}

/// Reads a name reference; skips the name when it is stored right here.
fn read_name(c: &mut Cur<'_>) -> Res<String> {
    let off = c.u32()? as usize;
    if off == c.pos {
        c.skip(6)?;
        let count = usize::from(c.u16()?);
        c.skip(count * 2 + 2)?;
    }
    name_at(c.data, off)
}

/// Appends to `out` the name a reference at `c` names (its length and
/// UTF-16 characters), skipping the name when it is stored right here.
fn canonical_name(c: &mut Cur<'_>, out: &mut Vec<u8>) -> Res<()> {
    let off = c.u32()? as usize;
    if off == c.pos {
        c.skip(6)?;
        let count = usize::from(c.u16()?);
        c.skip(count * 2 + 2)?;
    }
    let mut n = Cur::new(c.data, off, c.data.len());
    n.skip(6)?;
    let count = usize::from(n.u16()?);
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(n.take(count * 2)?);
    Ok(())
}

/// Writes to `out` the tokens in `[pos, end)` as [`parse_tree`] reads them,
/// with every name written out instead of referred to by chunk offset and
/// the sizes that depend on where names are stored left out: two template
/// definitions with the same canonical form parse to the same tree, in any
/// chunk and at any offset. An error where `parse_tree` may not fail is
/// harmless (the definition is then compiled as usual).
fn canonical_tokens(data: &[u8], pos: usize, end: usize, has_dep: bool, out: &mut Vec<u8>) -> Res<()> {
    let mut c = Cur::new(data, pos, end);
    out.push(u8::from(has_dep));
    while let Some(tok) = c.peek() {
        let at = c.pos;
        c.skip(1)?;
        out.push(tok);
        match tok {
            0x00 => break,
            0x0f => out.extend_from_slice(c.take(3)?),
            0x01 | 0x41 => {
                if has_dep {
                    out.extend_from_slice(c.take(2)?);
                }
                c.skip(4)?; // data size
                canonical_name(&mut c, out)?;
                if tok & 0x40 != 0 {
                    c.skip(4)?; // attribute list size
                }
            }
            0x02..=0x04 => {}
            0x06 | 0x46 | 0x09 | 0x49 | 0x0a => canonical_name(&mut c, out)?,
            0x05 | 0x45 => {
                let ty = c.u8()?;
                out.push(ty);
                let n = match ty {
                    T_STRING => {
                        let n = c.u16()?;
                        out.extend_from_slice(&n.to_le_bytes());
                        usize::from(n) * 2
                    }
                    _ => fixed_size(ty)
                        .ok_or(DecodeError { what: "unsupported value type in BinXML text", offset: at })?,
                };
                out.extend_from_slice(c.take(n)?);
            }
            0x0d | 0x0e => out.extend_from_slice(c.take(3)?),
            0x07 | 0x47 | 0x0b => {
                let n = c.u16()?;
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(c.take(usize::from(n) * 2)?);
            }
            0x08 | 0x48 => out.extend_from_slice(c.take(2)?),
            _ => return err("unknown BinXML token", at),
        }
    }
    Ok(())
}

/// Reads a value token's payload (type byte then value, length-prefixed strings).
fn read_value_text(c: &mut Cur<'_>, out: &mut String) -> Res<()> {
    let ty = c.u8()?;
    match ty {
        T_STRING => {
            let n = usize::from(c.u16()?);
            let b = c.take(n * 2)?;
            utf16_to(b, out);
        }
        _ => match fixed_size(ty) {
            Some(n) => {
                let b = c.take(n)?;
                render_scalar(ty, b, out);
            }
            None => return err("unsupported value type in BinXML text", c.pos),
        },
    }
    Ok(())
}

fn push_text(stack: &mut [Elem], top: &mut Vec<Node>, in_attr: bool, piece: Piece) {
    match stack.last_mut() {
        Some(e) if in_attr => {
            if let Some((_, v)) = e.attrs.last_mut() {
                v.push(piece);
            }
        }
        Some(e) => e.children.push(Node::Text(piece)),
        None => top.push(Node::Text(piece)),
    }
}

/// Parses element tokens in `[pos, end)` into a node list. `has_dep` is set
/// for template definitions, whose element starts carry a dependency id.
fn parse_tree(data: &[u8], pos: usize, end: usize, has_dep: bool, types: &mut Vec<(u16, u8)>) -> Res<Vec<Node>> {
    let mut c = Cur::new(data, pos, end);
    let mut top = Vec::new();
    let mut stack: Vec<Elem> = Vec::new();
    let mut in_attr = false;
    while let Some(tok) = c.peek() {
        let at = c.pos;
        c.skip(1)?;
        match tok {
            0x00 => break,
            0x0f => c.skip(3)?,
            0x01 | 0x41 => {
                let dep = if has_dep {
                    let d = c.u16()?;
                    (d != 0xffff).then_some(d)
                } else {
                    None
                };
                c.skip(4)?; // data size
                let name = read_name(&mut c)?;
                if tok & 0x40 != 0 {
                    c.skip(4)?; // attribute list size
                }
                if stack.len() >= MAX_ELEMENT_DEPTH {
                    return err("elements nested too deep", at);
                }
                stack.push(Elem { name, dep, ..Elem::default() });
                in_attr = false;
            }
            0x02 => in_attr = false,
            0x03 | 0x04 => {
                in_attr = false;
                let Some(done) = stack.pop() else {
                    return err("end of an element that was not started", at);
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(done)),
                    None => top.push(Node::Elem(done)),
                }
            }
            0x06 | 0x46 => {
                let name = read_name(&mut c)?;
                match stack.last_mut() {
                    Some(e) => e.attrs.push((name, Vec::new())),
                    None => return err("attribute outside an element", at),
                }
                in_attr = true;
            }
            0x05 | 0x45 => {
                let mut s = String::new();
                read_value_text(&mut c, &mut s)?;
                push_text(&mut stack, &mut top, in_attr, Piece::Lit(s));
            }
            0x0d | 0x0e => {
                let idx = c.u16()?;
                types.push((idx, c.u8()?));
                push_text(&mut stack, &mut top, in_attr, Piece::Sub(idx));
            }
            0x07 | 0x47 => {
                let n = usize::from(c.u16()?);
                let mut s = String::new();
                utf16_to(c.take(n * 2)?, &mut s);
                push_text(&mut stack, &mut top, in_attr, Piece::Lit(s));
            }
            0x08 | 0x48 => {
                let v = c.u16()?;
                let s = char::from_u32(u32::from(v)).map(String::from).unwrap_or_default();
                push_text(&mut stack, &mut top, in_attr, Piece::Lit(s));
            }
            0x09 | 0x49 => {
                let name = read_name(&mut c)?;
                let s = match name.as_str() {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    other => format!("&{other};"),
                };
                push_text(&mut stack, &mut top, in_attr, Piece::Lit(s));
            }
            0x0a => {
                read_name(&mut c)?;
            }
            0x0b => {
                let n = usize::from(c.u16()?);
                c.skip(n * 2)?;
            }
            _ => return err("unknown BinXML token", at),
        }
    }
    if !stack.is_empty() {
        return err("element not closed before the end of the fragment", c.pos);
    }
    Ok(top)
}

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

/// Text made of literal pieces and holes.
type Text = Vec<Piece>;

/// The System fields a schema can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sys {
    ProviderName,
    ProviderGuid,
    EventSourceName,
    EventId,
    Qualifiers,
    Version,
    Level,
    Task,
    Opcode,
    Keywords,
    TimeCreated,
    RecordId,
    ActivityId,
    RelatedActivityId,
    ProcessId,
    ThreadId,
    Channel,
    Computer,
    UserSid,
}

#[derive(Debug)]
enum BodyOp {
    /// One data item (EventData/Data, or a flattened UserData leaf).
    Data { name: Option<Text>, value: Text, dep: Option<u16> },
    /// `EventData/Binary`.
    Binary(Text),
    /// A hole holding a nested BinXML fragment, flattened when evaluated.
    Fragment(u16),
    /// Switch the section items are reported under.
    Section(DataSection),
}

/// Number of [`Sys`] fields.
const SYS_FIELDS: usize = Sys::UserSid as usize + 1;

/// A template definition compiled to "which hole fills which field".
#[derive(Debug)]
pub(crate) struct Schema {
    /// The text of each System field, by `Sys as usize` (looked up for every
    /// record: an array, not a search).
    sys: [Option<Text>; SYS_FIELDS],
    body: Vec<BodyOp>,
    message: Option<Text>,
    /// The value type each substitution is declared with in the definition.
    sub_types: Vec<(u16, u8)>,
    /// `Provider/@Guid` when the definition writes it literally (parsed once).
    provider_guid: Option<Guid>,
    /// The holes whose values a partial decode reads (see [`Decoded::key`]),
    /// ascending, each with whether it may hold a nested fragment.
    key_holes: Vec<(u16, bool)>,
    /// The holes whose values decide a record's JSON line but for its
    /// per-record parts (see [`Decoded::key`]), as `key_holes`.
    line_holes: Vec<(u16, bool)>,
    /// This schema's number in the [`Shapes`] of the content cache it is
    /// used with ([`NO_SHAPE`] until asked for).
    shape: AtomicU32,
}

/// [`Schema::shape`] before it is numbered.
const NO_SHAPE: u32 = u32::MAX;

impl Default for Schema {
    fn default() -> Self {
        Schema {
            sys: Default::default(),
            body: Vec::new(),
            message: None,
            sub_types: Vec::new(),
            provider_guid: None,
            key_holes: Vec::new(),
            line_holes: Vec::new(),
            shape: AtomicU32::new(NO_SHAPE),
        }
    }
}

impl Schema {
    fn sys_text(&self, f: Sys) -> Option<&Text> {
        self.sys.get(f as usize).and_then(Option::as_ref)
    }
}

fn attr<'e>(e: &'e Elem, name: &str) -> Option<&'e Text> {
    e.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn text_of(e: &Elem) -> Text {
    e.children
        .iter()
        .filter_map(|n| match n {
            Node::Text(p) => Some(p.clone()),
            Node::Elem(_) => None,
        })
        .collect()
}

fn has_child_elems(e: &Elem) -> bool {
    e.children.iter().any(|n| matches!(n, Node::Elem(_)))
}

fn compile_system(sys: &Elem, out: &mut Schema) {
    for n in &sys.children {
        let Node::Elem(e) = n else { continue };
        let mut put = |k: Sys, t: Option<&Text>| {
            if let (Some(t), Some(slot)) = (t, out.sys.get_mut(k as usize)) {
                // The first occurrence wins, as a search from the start found it.
                if slot.is_none() {
                    *slot = Some(t.clone());
                }
            }
        };
        match e.name.as_str() {
            "Provider" => {
                put(Sys::ProviderName, attr(e, "Name"));
                put(Sys::ProviderGuid, attr(e, "Guid"));
                put(Sys::EventSourceName, attr(e, "EventSourceName"));
            }
            "EventID" => {
                put(Sys::EventId, Some(&text_of(e)));
                put(Sys::Qualifiers, attr(e, "Qualifiers"));
            }
            "Version" => put(Sys::Version, Some(&text_of(e))),
            "Level" => put(Sys::Level, Some(&text_of(e))),
            "Task" => put(Sys::Task, Some(&text_of(e))),
            "Opcode" => put(Sys::Opcode, Some(&text_of(e))),
            "Keywords" => put(Sys::Keywords, Some(&text_of(e))),
            "TimeCreated" => put(Sys::TimeCreated, attr(e, "SystemTime")),
            "EventRecordID" => put(Sys::RecordId, Some(&text_of(e))),
            "Correlation" => {
                put(Sys::ActivityId, attr(e, "ActivityID"));
                put(Sys::RelatedActivityId, attr(e, "RelatedActivityID"));
            }
            "Execution" => {
                put(Sys::ProcessId, attr(e, "ProcessID"));
                put(Sys::ThreadId, attr(e, "ThreadID"));
            }
            "Channel" => put(Sys::Channel, Some(&text_of(e))),
            "Computer" => put(Sys::Computer, Some(&text_of(e))),
            "Security" => put(Sys::UserSid, attr(e, "UserID")),
            _ => {}
        }
    }
}

/// `<EventData>` content: `Data` items, `Binary`, holes.
fn compile_event_data(nodes: &[Node], out: &mut Vec<BodyOp>) {
    for n in nodes {
        match n {
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
            Node::Elem(e) => match e.name.as_str() {
                "Data" if !has_child_elems(e) => {
                    out.push(BodyOp::Data { name: attr(e, "Name").cloned(), value: text_of(e), dep: e.dep })
                }
                "Binary" => out.push(BodyOp::Binary(text_of(e))),
                _ => flatten(e, out),
            },
        }
    }
}

/// `<UserData>` and other nested content: leaves become named items.
fn flatten(e: &Elem, out: &mut Vec<BodyOp>) {
    if e.name == "Data" && attr(e, "Name").is_some() && !has_child_elems(e) {
        out.push(BodyOp::Data { name: attr(e, "Name").cloned(), value: text_of(e), dep: e.dep });
        return;
    }
    if !has_child_elems(e) {
        let value = text_of(e);
        if let [Piece::Sub(i)] = value.as_slice() {
            // A leaf holding a hole may hold a nested fragment; decided when evaluated.
            out.push(BodyOp::Data {
                name: Some(vec![Piece::Lit(e.name.clone())]),
                value: vec![Piece::Sub(*i)],
                dep: e.dep,
            });
        } else {
            out.push(BodyOp::Data { name: Some(vec![Piece::Lit(e.name.clone())]), value, dep: e.dep });
        }
        return;
    }
    for n in &e.children {
        match n {
            Node::Elem(c) => flatten(c, out),
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
        }
    }
}

/// Content below the event root (or a nested fragment's top level).
fn compile_body(nodes: &[Node], out: &mut Vec<BodyOp>) {
    for n in nodes {
        match n {
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
            Node::Elem(e) => match e.name.as_str() {
                "EventData" => {
                    out.push(BodyOp::Section(DataSection::EventData));
                    compile_event_data(&e.children, out);
                }
                "UserData" => {
                    out.push(BodyOp::Section(DataSection::UserData));
                    for c in &e.children {
                        match c {
                            Node::Elem(c) => flatten(c, out),
                            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
                            Node::Text(Piece::Lit(_)) => {}
                        }
                    }
                }
                _ => flatten(e, out),
            },
        }
    }
}

/// Compiles a parsed fragment. With `event_root`, an `<Event>` root's System
/// and RenderingInfo are mapped; anything else is body content.
fn compile(nodes: &[Node], event_root: bool) -> Schema {
    let mut s = Schema::default();
    let root = nodes.iter().find_map(|n| match n {
        Node::Elem(e) if event_root && e.name == "Event" => Some(e),
        _ => None,
    });
    let Some(root) = root else {
        compile_body(nodes, &mut s.body);
        s.key_holes = key_holes(&s);
        s.line_holes = line_holes(&s);
        return s;
    };
    let mut rest = Vec::new();
    for n in &root.children {
        match n {
            Node::Elem(e) if e.name == "System" => compile_system(e, &mut s),
            Node::Elem(e) if e.name == "RenderingInfo" => {
                for m in &e.children {
                    if let Node::Elem(m) = m {
                        if m.name == "Message" {
                            s.message = Some(text_of(m));
                        }
                    }
                }
            }
            Node::Elem(_) => compile_body(std::slice::from_ref(n), &mut rest),
            Node::Text(Piece::Sub(i)) => rest.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
        }
    }
    s.body = rest;
    if let Some([Piece::Lit(g)]) = s.sys_text(Sys::ProviderGuid).map(Vec::as_slice) {
        s.provider_guid = Guid::parse(g);
    }
    s.key_holes = key_holes(&s);
    s.line_holes = line_holes(&s);
    s
}

/// The `System` fields a partial decode fills from a schema besides time and
/// record id (which are read for every record anyway).
const KEY_SYS: [Sys; 5] = [Sys::ProviderName, Sys::ProviderGuid, Sys::EventSourceName, Sys::EventId, Sys::Computer];

/// The holes a partial decode reads, ascending, each with whether every use
/// of it may take a nested fragment (a data value that is the hole alone, or
/// a hole in content): only there does a nested fragment's content, rather
/// than its bytes, decide what is decoded.
fn key_holes(s: &Schema) -> Vec<(u16, bool)> {
    holes_of(s, &KEY_SYS, false)
}

/// The `System` fields whose values differ from record to record of one
/// content: a JSON line writes them afresh (see [`Decoded::per_record`]).
const PER_RECORD_SYS: [Sys; 4] = [Sys::TimeCreated, Sys::RecordId, Sys::ProcessId, Sys::ThreadId];

/// The holes a whole decode reads but for those only the per-record fields
/// read ([`PER_RECORD_SYS`]), as [`key_holes`] lists them.
fn line_holes(s: &Schema) -> Vec<(u16, bool)> {
    let fields: Vec<Sys> = ALL_SYS.iter().copied().filter(|f| !PER_RECORD_SYS.contains(f)).collect();
    holes_of(s, &fields, true)
}

/// Every [`Sys`] field.
const ALL_SYS: [Sys; SYS_FIELDS] = [
    Sys::ProviderName,
    Sys::ProviderGuid,
    Sys::EventSourceName,
    Sys::EventId,
    Sys::Qualifiers,
    Sys::Version,
    Sys::Level,
    Sys::Task,
    Sys::Opcode,
    Sys::Keywords,
    Sys::TimeCreated,
    Sys::RecordId,
    Sys::ActivityId,
    Sys::RelatedActivityId,
    Sys::ProcessId,
    Sys::ThreadId,
    Sys::Channel,
    Sys::Computer,
    Sys::UserSid,
];

/// The holes read by the `System` fields `sys`, the body, and (with
/// `message`) the rendering info's message; see [`key_holes`].
fn holes_of(s: &Schema, sys: &[Sys], message: bool) -> Vec<(u16, bool)> {
    let mut holes: Vec<(u16, bool)> = Vec::new();
    let mut note = |t: &Text, fragment: bool| {
        for p in t {
            if let Piece::Sub(i) = p {
                holes.push((*i, fragment && t.len() == 1));
            }
        }
    };
    for &f in sys {
        if let Some(t) = s.sys_text(f) {
            note(t, false);
        }
    }
    if message {
        if let Some(t) = &s.message {
            note(t, false);
        }
    }
    for op in &s.body {
        match op {
            BodyOp::Data { name, value, dep } => {
                if let Some(n) = name {
                    note(n, false);
                }
                note(value, true);
                if let Some(d) = dep {
                    note(&vec![Piece::Sub(*d)], false);
                }
            }
            BodyOp::Binary(t) => note(t, false),
            BodyOp::Fragment(i) => note(&vec![Piece::Sub(*i)], true),
            BodyOp::Section(_) => {}
        }
    }
    holes.sort_unstable();
    // One entry per hole: a fragment only if every use allows one.
    let mut out: Vec<(u16, bool)> = Vec::with_capacity(holes.len());
    for (i, f) in holes {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 &= f,
            _ => out.push((i, f)),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Instances and evaluation
// ---------------------------------------------------------------------------

/// What a BinXML stream holds: a template instance, or plain elements.
enum Content<'a> {
    Instance { def_offset: u32, values: Vec<RawVal<'a>> },
    Tree(Vec<Node>),
}

/// Parses the stream at `[pos, end)` of the chunk.
fn parse_stream(data: &[u8], pos: usize, end: usize, strict: bool) -> Res<Content<'_>> {
    parse_stream_into(data, pos, end, strict, Vec::new())
}

/// [`parse_stream`], filling `values` (emptied first; its capacity is reused
/// from record to record: one allocation per chunk, not two per record).
fn parse_stream_into<'a>(
    data: &'a [u8],
    pos: usize,
    end: usize,
    strict: bool,
    mut values: Vec<RawVal<'a>>,
) -> Res<Content<'a>> {
    values.clear();
    let mut c = Cur::new(data, pos, end);
    while c.peek() == Some(0x0f) {
        c.skip(4)?;
    }
    if c.peek() != Some(0x0c) {
        return Ok(Content::Tree(parse_tree(data, c.pos, end, false, &mut Vec::new())?));
    }
    c.skip(2)?; // token, version
    c.skip(4)?; // template id
    let def_offset = c.u32()?;
    if def_offset as usize == c.pos {
        // The definition is stored inline, here: skip it.
        c.skip(4 + 16)?;
        let size = c.u32()? as usize;
        c.skip(size)?;
    }
    let count = c.u32()? as usize;
    // The descriptors (size u16, type u8, pad u8) come first, then the values.
    let descs = c.take(count.checked_mul(4).ok_or(DecodeError { what: "too many substitutions", offset: c.pos })?)?;
    values.reserve(count.min(256));
    for d in descs.chunks_exact(4) {
        let (size, ty) = (usize::from(u16::from_le_bytes([d[0], d[1]])), d[2]);
        let offset = c.pos;
        if !valid_value(ty, size, strict) {
            return err("substitution value of an unknown type or impossible size", offset);
        }
        let bytes = c.take(size)?;
        if strict
            && ty == T_SID
            && (bytes.len() < 8 || bytes.get(1).map(|n| 8 + 4 * usize::from(*n)) != Some(bytes.len()))
        {
            return err("SID value of an impossible size", offset);
        }
        values.push(RawVal { ty, bytes, offset });
    }
    Ok(Content::Instance { def_offset, values })
}

/// Whether the record whose BinXML starts at `pos` is a template instance
/// that names a template other than the definition stored where it points.
///
/// An instance carries the template's id (the first four bytes of the
/// definition's GUID, in every live record of the corpus) beside the
/// definition's offset. A stale record in slack space may point at an offset
/// that a later definition has since taken: decoding it would give another
/// event's provider and fields.
pub(crate) fn names_other_template(data: &[u8], pos: usize) -> bool {
    let mut at = pos;
    while data.get(at) == Some(&0x0f) {
        at += 4;
    }
    if data.get(at) != Some(&0x0c) {
        return false;
    }
    let u32_at = |i: usize| data.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(id), Some(def)) = (u32_at(at + 2), u32_at(at + 6)) else { return true };
    // The definition: next-definition offset (4 bytes), then its GUID.
    match u32_at(def as usize + 4) {
        Some(stored) => stored != id,
        None => true,
    }
}

/// Whether a substitution of type `ty` may be `size` bytes long. Unknown
/// types are always refused; `strict` (records carved from slack space, where
/// garbage is likely) also requires fixed-size types to have their size.
fn valid_value(ty: u8, size: usize, strict: bool) -> bool {
    let base = ty & !ARRAY;
    let known = matches!(base, 0x00..=0x15) || (ty & ARRAY == 0 && matches!(ty, 0x20 | 0x21 | 0x23));
    if !known || (ty & ARRAY != 0 && base == 0) {
        return false;
    }
    if !strict {
        return true;
    }
    match (ty & ARRAY != 0, base) {
        (_, T_STRING) => size % 2 == 0,
        (false, T_SIZET) => size == 4 || size == 8,
        (false, b) => fixed_size(b).is_none_or(|n| n == size),
        (true, b) => fixed_size(b).is_none_or(|n| size % n == 0),
    }
}

/// A hasher for small integer keys (template offsets): the default SipHash
/// showed up in profiles, and these keys are not attacker-chosen in a way
/// that matters (a chunk holds at most a few hundred definitions).
#[derive(Default, Clone, Copy)]
struct BuildOffsetHasher;

#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl std::hash::BuildHasher for BuildOffsetHasher {
    type Hasher = OffsetHasher;
    fn build_hasher(&self) -> OffsetHasher {
        OffsetHasher(0)
    }
}

/// Per-chunk cache of compiled template definitions, backed by a
/// [`Templates`] store that outlives the chunk.
#[derive(Default)]
pub(crate) struct SchemaCache {
    map: HashMap<(u32, bool), Arc<Schema>, BuildOffsetHasher>,
    /// Definitions compiled in earlier chunks.
    pub(crate) store: Templates,
}

impl SchemaCache {
    /// A cache for a new chunk, backed by `store`.
    pub(crate) fn with_store(store: Templates) -> Self {
        SchemaCache { map: HashMap::default(), store }
    }

    fn get(&mut self, data: &[u8], def_offset: u32, event_root: bool) -> Res<Arc<Schema>> {
        if let Some(s) = self.map.get(&(def_offset, event_root)) {
            return Ok(s.clone());
        }
        let start = def_offset as usize;
        let mut c = Cur::new(data, start, data.len());
        c.skip(4 + 16)?;
        let size = c.u32()? as usize;
        let body = c.pos;
        let end = body.checked_add(size).filter(|e| *e <= data.len());
        let Some(end) = end else {
            return err("template definition past the end of the chunk", start);
        };
        // A definition met in an earlier chunk (anywhere in it) is not compiled again.
        let known = self.store.find(data, body, end, event_root);
        if let Some(schema) = known {
            self.map.insert((def_offset, event_root), schema.clone());
            return Ok(schema);
        }
        let mut types = Vec::new();
        let tree = parse_tree(data, body, end, true, &mut types)?;
        let mut schema = compile(&tree, event_root);
        types.sort_unstable();
        types.dedup();
        schema.sub_types = types;
        let schema = Arc::new(schema);
        self.store.keep(event_root, &schema);
        self.map.insert((def_offset, event_root), schema.clone());
        Ok(schema)
    }
}

/// Compiled template definitions kept across the chunks one worker decodes,
/// by their canonical form (see [`canonical_tokens`]): a definition's bytes
/// hold chunk offsets (of the names it uses), so the same template has
/// different bytes in different chunks, but one canonical form. A log has
/// a few hundred templates at most (the corpus System logs together: 166);
/// each is compiled once per worker, not once per chunk.
#[derive(Default)]
pub(crate) struct Templates {
    by_form: HashMap<Box<[u8]>, Arc<Schema>, ahash::RandomState>,
    /// The canonical form of the definition last looked for.
    form: Vec<u8>,
    /// How many definitions were found compiled.
    pub(crate) hits: u64,
}

/// Definitions a [`Templates`] store keeps before it starts over.
const MAX_TEMPLATES: usize = 512;

impl Templates {
    /// The schema compiled earlier for the definition body `[body, end)`.
    /// Leaves the body's canonical form for [`Templates::keep`].
    fn find(&mut self, data: &[u8], body: usize, end: usize, event_root: bool) -> Option<Arc<Schema>> {
        self.form.clear();
        self.form.push(u8::from(event_root));
        if canonical_tokens(data, body, end, true, &mut self.form).is_err() {
            self.form.clear();
            return None;
        }
        let found = self.by_form.get(self.form.as_slice()).cloned();
        self.hits += u64::from(found.is_some());
        found
    }

    /// Keeps `schema`, compiled from the definition [`Templates::find`] last looked for.
    fn keep(&mut self, event_root: bool, schema: &Arc<Schema>) {
        if self.form.first() != Some(&u8::from(event_root)) {
            return;
        }
        if self.by_form.len() >= MAX_TEMPLATES {
            self.by_form.clear();
        }
        self.by_form.insert(self.form.as_slice().into(), schema.clone());
    }

    /// Forgets everything (with the shape numbers the schemas carry).
    pub(crate) fn clear(&mut self) {
        self.by_form.clear();
    }
}

/// The values a schema is evaluated against.
struct Vals<'v, 'a>(&'v [RawVal<'a>]);

impl<'a> Vals<'_, 'a> {
    fn get(&self, i: u16) -> Option<&RawVal<'a>> {
        self.0.get(usize::from(i))
    }

    fn text(&self, t: &Text) -> String {
        // Sized up front: growing strings showed up in profiles.
        let cap: usize = t
            .iter()
            .map(|p| match p {
                Piece::Lit(l) => l.len(),
                Piece::Sub(i) => self.get(*i).map_or(0, |v| match v.ty {
                    T_STRING => v.bytes.len() / 2,
                    T_BINARY => v.bytes.len() * 2,
                    _ => 24,
                }),
            })
            .sum();
        let mut s = String::with_capacity(cap);
        for p in t {
            match p {
                Piece::Lit(l) => s.push_str(l),
                Piece::Sub(i) => {
                    if let Some(v) = self.get(*i) {
                        v.render(&mut s);
                    }
                }
            }
        }
        s
    }

    /// A text that is one hole holding a null value (or holds nothing): absent.
    fn absent(&self, t: &Text) -> bool {
        match t.as_slice() {
            [] => true,
            [Piece::Sub(i)] => self.get(*i).is_none_or(RawVal::is_null),
            _ => false,
        }
    }

    fn opt_text(&self, t: Option<&Text>) -> Option<String> {
        let t = t?;
        if self.absent(t) {
            return None;
        }
        Some(self.text(t))
    }

    fn num(&self, t: Option<&Text>) -> Option<u64> {
        let t = t?;
        match t.as_slice() {
            [Piece::Sub(i)] => self.get(*i)?.as_u64(),
            _ => parse_number(&self.text(t)),
        }
    }

    fn guid(&self, t: Option<&Text>) -> Option<Guid> {
        let t = t?;
        match t.as_slice() {
            [Piece::Sub(i)] => {
                let v = self.get(*i)?;
                if v.ty == T_GUID {
                    return <[u8; 16]>::try_from(v.bytes).ok().map(Guid);
                }
            }
            [Piece::Lit(l)] => return Guid::parse(l),
            _ => {}
        }
        Guid::parse(&self.opt_text(Some(t))?)
    }

    fn time(&self, t: Option<&Text>) -> Option<DateTime<Utc>> {
        let t = t?;
        if let [Piece::Sub(i)] = t.as_slice() {
            let v = self.get(*i)?;
            match v.ty {
                T_FILETIME => return filetime_to_utc(le_u64(v.bytes)),
                T_SYSTIME => return systime_to_utc(v.bytes).map(|(t, _)| t),
                _ => {}
            }
        }
        let s = self.opt_text(Some(t))?;
        DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.with_timezone(&Utc))
    }
}

/// Which key [`Decoded::key`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// What a partial decode reads (the content cache of `analyze`).
    Content,
    /// What a JSON line holds but for its per-record parts (`dump`).
    Line,
}

/// The fields of a record's JSON line that differ from record to record of
/// one content (see [`Decoded::key`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PerRecord {
    pub(crate) time: Option<DateTime<Utc>>,
    pub(crate) record_id: u64,
    pub(crate) process_id: Option<u32>,
    pub(crate) thread_id: Option<u32>,
}

/// The cheap identity of a record: provider name and event id.
pub(crate) struct Head<'s> {
    /// Provider name (borrowed from the template when it is written there,
    /// as it nearly always is: no allocation for records a filter rejects).
    pub provider: Option<Cow<'s, str>>,
    /// Provider GUID.
    pub guid: Option<Guid>,
    /// Event id.
    pub event_id: u32,
}

/// A record decoded far enough to filter it, ready to be finished into an Event.
pub(crate) struct Decoded<'a> {
    schema: Arc<Schema>,
    values: Vec<RawVal<'a>>,
    /// Plain elements, not a template instance (its schema is this record's own).
    tree: bool,
}

/// Decodes the BinXML of one record (the chunk bytes `[pos, end)`) up to its
/// schema. `spare` is a vector to reuse for the values (see [`Decoded::recycle`]).
pub(crate) fn decode_record<'a>(
    data: &'a [u8],
    pos: usize,
    end: usize,
    strict: bool,
    cache: &mut SchemaCache,
    spare: Vec<RawVal<'a>>,
) -> Res<Decoded<'a>> {
    match parse_stream_into(data, pos, end, strict, spare)? {
        Content::Instance { def_offset, values } => {
            let schema = cache.get(data, def_offset, true)?;
            if strict {
                // A stale record may point at a definition that has since been
                // overwritten: the values it has must fit the definition's types.
                let fits = schema
                    .sub_types
                    .iter()
                    .all(|(i, ty)| values.get(usize::from(*i)).is_none_or(|v| v.ty == *ty || v.ty == T_NULL));
                if !fits || schema.sys_text(Sys::EventId).is_none() {
                    return err("values do not fit the template definition", pos);
                }
            }
            Ok(Decoded { schema, values, tree: false })
        }
        Content::Tree(nodes) => Ok(Decoded { schema: Arc::new(compile(&nodes, true)), values: Vec::new(), tree: true }),
    }
}

impl<'a> Decoded<'a> {
    /// The values vector, emptied, for the next record's [`decode_record`].
    pub(crate) fn recycle(mut self) -> Vec<RawVal<'a>> {
        self.values.clear();
        self.values
    }

    /// Provider and event id, for the event filter.
    pub(crate) fn head(&self) -> Head<'_> {
        let v = Vals(&self.values);
        let s = &self.schema;
        let text = s.sys_text(Sys::ProviderName);
        let provider = match text.map(Vec::as_slice) {
            Some([Piece::Lit(l)]) => Some(Cow::Borrowed(l.as_str())),
            _ => v.opt_text(text).map(Cow::Owned),
        };
        Head {
            provider,
            guid: s.provider_guid.or_else(|| v.guid(s.sys_text(Sys::ProviderGuid))),
            event_id: v.num(s.sys_text(Sys::EventId)).map(|n| (n & 0xffff_ffff) as u32).unwrap_or(0),
        }
    }

    /// Fills `ev` (which already has its provider name, id and origin) from the schema.
    pub(crate) fn finish(&self, data: &[u8], cache: &mut SchemaCache, ev: &mut Event) -> Res<()> {
        self.finish_partial(data, cache, ev)?;
        self.finish_rest(ev);
        Ok(())
    }

    /// The part of [`Decoded::finish`] a reviewer sees for
    /// [`crate::contract::Selection::ReviewPartial`]: event source name, time,
    /// record id, computer, data items and `Binary`.
    pub(crate) fn finish_partial(&self, data: &[u8], cache: &mut SchemaCache, ev: &mut Event) -> Res<()> {
        let v = Vals(&self.values);
        let s = &self.schema;
        let t = |f: Sys| s.sys_text(f);
        ev.provider.event_source_name = v.opt_text(t(Sys::EventSourceName));
        self.stamp(ev);
        ev.computer = v.opt_text(t(Sys::Computer));
        run_body(&s.body, &v, data, cache, ev, 0)
    }

    /// Sets `ev`'s time and record id from the record's `System` values,
    /// where it has them (the record header's are kept otherwise).
    pub(crate) fn stamp(&self, ev: &mut Event) {
        let v = Vals(&self.values);
        let s = &self.schema;
        if let Some(time) = v.time(s.sys_text(Sys::TimeCreated)) {
            ev.time = Some(time);
        }
        if let Some(id) = v.num(s.sys_text(Sys::RecordId)) {
            ev.record_id = Some(id);
        }
    }

    /// Writes to `out` the record's key of `kind`, and returns `false`, for
    /// a decode the slow way, when the record has none: plain elements, or a
    /// nested fragment where its bytes (which hold offsets into the chunk)
    /// rather than its content would be read.
    ///
    /// - A [`KeyKind::Content`] key: two records of one [`ContentCache`]
    ///   with equal keys decode (partially, see [`Decoded::finish_partial`])
    ///   to equal events but for their time, record id and origin.
    /// - A [`KeyKind::Line`] key: two records with equal keys have JSON
    ///   lines ([`crate::jsonl::write_line`]) that are equal but for their
    ///   per-record parts ([`Decoded::per_record`] and the origin).
    ///
    /// The key is the template's shape (numbered by `shapes`) and the bytes
    /// of the values read (by the partial decode, or by the whole decode but
    /// for the per-record fields); a nested fragment stands in by its own
    /// template's shape and values.
    pub(crate) fn key(
        &self,
        kind: KeyKind,
        data: &[u8],
        cache: &mut SchemaCache,
        shapes: &mut Shapes,
        out: &mut Vec<u8>,
    ) -> bool {
        out.clear();
        if self.tree {
            return false;
        }
        let s = &self.schema;
        let holes = match kind {
            KeyKind::Content => &s.key_holes,
            KeyKind::Line => &s.line_holes,
        };
        out.extend_from_slice(&shapes.number(s).to_le_bytes());
        for &(i, fragment) in holes {
            match self.values.get(usize::from(i)) {
                None => out.push(KEY_NONE),
                Some(v) if v.ty == T_BINXML => {
                    if !fragment || !nested_key(v, data, cache, shapes, out) {
                        return false;
                    }
                }
                Some(v) => put_value(out, v.ty, v.bytes),
            }
        }
        true
    }

    /// The time, record id, process id and thread id a whole decode gives
    /// the record, with the record header's time and id where its values
    /// do not say.
    pub(crate) fn per_record(&self, time: Option<DateTime<Utc>>, record_id: u64) -> PerRecord {
        let v = Vals(&self.values);
        let t = |f: Sys| self.schema.sys_text(f);
        let (process_id, thread_id) = self.execution();
        PerRecord {
            time: v.time(t(Sys::TimeCreated)).or(time),
            record_id: v.num(t(Sys::RecordId)).unwrap_or(record_id),
            process_id,
            thread_id,
        }
    }

    /// `Execution/@ProcessID` and `@ThreadID`.
    fn execution(&self) -> (Option<u32>, Option<u32>) {
        let v = Vals(&self.values);
        let id = |f: Sys| v.num(self.schema.sys_text(f)).and_then(|n| u32::try_from(n).ok());
        (id(Sys::ProcessId), id(Sys::ThreadId))
    }

    /// The rest of [`Decoded::finish`] after [`Decoded::finish_partial`].
    pub(crate) fn finish_rest(&self, ev: &mut Event) {
        let v = Vals(&self.values);
        let s = &self.schema;
        let t = |f: Sys| s.sys_text(f);
        ev.qualifiers = v.num(t(Sys::Qualifiers)).and_then(|n| u16::try_from(n).ok());
        ev.version = v.num(t(Sys::Version)).and_then(|n| u8::try_from(n).ok());
        ev.level = v.num(t(Sys::Level)).and_then(|n| u8::try_from(n).ok());
        ev.task = v.num(t(Sys::Task)).and_then(|n| u16::try_from(n).ok());
        ev.opcode = v.num(t(Sys::Opcode)).and_then(|n| u8::try_from(n).ok());
        ev.keywords = v.num(t(Sys::Keywords));
        ev.activity_id = v.guid(t(Sys::ActivityId));
        ev.related_activity_id = v.guid(t(Sys::RelatedActivityId));
        (ev.process_id, ev.thread_id) = self.execution();
        ev.channel = v.opt_text(t(Sys::Channel));
        ev.user_sid = v.opt_text(t(Sys::UserSid));
        if let Some(m) = &s.message {
            ev.message = v.opt_text(Some(m));
        }
    }
}

// Content keys: markers that no value type byte takes.
const KEY_NONE: u8 = 0xfe;
const KEY_NESTED: u8 = 0xfd;
const KEY_EMPTY_NESTED: u8 = 0xfc;

fn put_value(out: &mut Vec<u8>, ty: u8, bytes: &[u8]) {
    out.push(ty);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// The content key of a nested fragment (see [`Decoded::key`]):
/// its template's shape, then its substitution count, descriptors and
/// values as stored. `false` when it is not a template instance whose
/// values are all plain (a fragment inside it would be read by its bytes).
fn nested_key(val: &RawVal<'_>, data: &[u8], cache: &mut SchemaCache, shapes: &mut Shapes, out: &mut Vec<u8>) -> bool {
    if val.bytes.is_empty() {
        out.push(KEY_EMPTY_NESTED);
        return true;
    }
    let end = val.offset + val.bytes.len();
    let mut c = Cur::new(data, val.offset, end);
    let parsed = (|| -> Res<Option<(u32, usize)>> {
        while c.peek() == Some(0x0f) {
            c.skip(4)?;
        }
        if c.peek() != Some(0x0c) {
            return Ok(None);
        }
        c.skip(2 + 4)?;
        let def_offset = c.u32()?;
        if def_offset as usize == c.pos {
            c.skip(4 + 16)?;
            let size = c.u32()? as usize;
            c.skip(size)?;
        }
        let start = c.pos;
        let count = c.u32()? as usize;
        let descs =
            c.take(count.checked_mul(4).ok_or(DecodeError { what: "too many substitutions", offset: c.pos })?)?;
        for d in descs.chunks_exact(4) {
            let (size, ty) = (usize::from(u16::from_le_bytes([d[0], d[1]])), d[2]);
            if ty == T_BINXML || !valid_value(ty, size, false) {
                return Ok(None);
            }
            c.skip(size)?;
        }
        Ok(Some((def_offset, start)))
    })();
    let Ok(Some((def_offset, start))) = parsed else { return false };
    let Some(region) = data.get(start..c.pos) else { return false };
    let Ok(schema) = cache.get(data, def_offset, false) else { return false };
    out.push(KEY_NESTED);
    out.extend_from_slice(&shapes.number(&schema).to_le_bytes());
    out.extend_from_slice(&(region.len() as u32).to_le_bytes());
    out.extend_from_slice(region);
    true
}

/// Numbers the shapes of compiled templates (everything of a [`Schema`] a
/// decode reads, whole or partial), so that a content or line key can name
/// a template in a few bytes whatever chunk defined it.
#[derive(Debug, Default)]
pub(crate) struct Shapes {
    numbers: HashMap<Box<[u8]>, u32, ahash::RandomState>,
    scratch: Vec<u8>,
}

impl Shapes {
    /// How many shapes are numbered.
    pub(crate) fn len(&self) -> usize {
        self.numbers.len()
    }

    /// The number of `schema`'s shape (remembered in the schema for the rest
    /// of its chunk).
    fn number(&mut self, schema: &Schema) -> u32 {
        let known = schema.shape.load(Ordering::Relaxed);
        if known != NO_SHAPE {
            return known;
        }
        let out = &mut self.scratch;
        out.clear();
        // Every field a decode reads, whole or partial.
        for f in ALL_SYS {
            put_opt_text(out, schema.sys_text(f));
        }
        put_opt_text(out, schema.message.as_ref());
        match &schema.provider_guid {
            Some(g) => {
                out.push(1);
                out.extend_from_slice(&g.0);
            }
            None => out.push(0),
        }
        for op in &schema.body {
            match op {
                BodyOp::Data { name, value, dep } => {
                    out.push(0);
                    put_opt_text(out, name.as_ref());
                    put_text(out, value);
                    match dep {
                        Some(d) => {
                            out.push(1);
                            out.extend_from_slice(&d.to_le_bytes());
                        }
                        None => out.push(0),
                    }
                }
                BodyOp::Binary(t) => {
                    out.push(1);
                    put_text(out, t);
                }
                BodyOp::Fragment(i) => {
                    out.push(2);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                BodyOp::Section(sec) => out.push(if *sec == DataSection::UserData { 4 } else { 3 }),
            }
        }
        let next = self.numbers.len() as u32;
        let n = match self.numbers.get(out.as_slice()) {
            Some(n) => *n,
            None => {
                self.numbers.insert(out.as_slice().into(), next);
                next
            }
        };
        schema.shape.store(n, Ordering::Relaxed);
        n
    }
}

fn put_text(out: &mut Vec<u8>, t: &Text) {
    out.extend_from_slice(&(t.len() as u32).to_le_bytes());
    for p in t {
        match p {
            Piece::Lit(l) => {
                out.push(0);
                out.extend_from_slice(&(l.len() as u32).to_le_bytes());
                out.extend_from_slice(l.as_bytes());
            }
            Piece::Sub(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_le_bytes());
            }
        }
    }
}

fn put_opt_text(out: &mut Vec<u8>, t: Option<&Text>) {
    match t {
        Some(t) => {
            out.push(1);
            put_text(out, t);
        }
        None => out.push(0),
    }
}

/// Evaluates body ops, appending data items (and Binary) to `ev`.
fn run_body(
    ops: &[BodyOp],
    v: &Vals<'_, '_>,
    data: &[u8],
    cache: &mut SchemaCache,
    ev: &mut Event,
    depth: usize,
) -> Res<()> {
    for op in ops {
        match op {
            BodyOp::Section(sec) => {
                if *sec == DataSection::UserData {
                    ev.data_section = DataSection::UserData;
                }
            }
            BodyOp::Binary(t) => {
                if !v.absent(t) {
                    let bytes = match t.as_slice() {
                        [Piece::Sub(i)] => match v.get(*i) {
                            Some(r) if r.ty == T_BINARY => Some(r.bytes.to_vec()),
                            _ => crate::display::from_hex(&v.text(t)),
                        },
                        _ => crate::display::from_hex(&v.text(t)),
                    };
                    if let Some(b) = bytes.filter(|b| !b.is_empty()) {
                        ev.binary = Some(b);
                    }
                }
            }
            BodyOp::Fragment(i) => nested(v.get(*i), data, cache, ev, depth)?,
            BodyOp::Data { name, value, dep } => {
                if let Some(d) = dep {
                    if v.get(*d).is_some_and(RawVal::is_null) {
                        continue;
                    }
                }
                let name = name.as_ref().map(|n| v.text(n));
                if let [Piece::Sub(i)] = value.as_slice() {
                    if let Some(r) = v.get(*i) {
                        if r.ty == T_BINXML {
                            nested(Some(r), data, cache, ev, depth)?;
                            continue;
                        }
                        if let Some(items) = r.array_items() {
                            for it in items {
                                ev.data.push(DataItem { name: name.clone(), value: it });
                            }
                            continue;
                        }
                    }
                }
                ev.data.push(DataItem { name, value: v.text(value) });
            }
        }
    }
    Ok(())
}

/// Flattens a nested BinXML value into `ev`'s data.
fn nested(val: Option<&RawVal<'_>>, data: &[u8], cache: &mut SchemaCache, ev: &mut Event, depth: usize) -> Res<()> {
    let Some(val) = val else { return Ok(()) };
    if val.ty != T_BINXML {
        if !val.is_null() {
            let mut s = String::new();
            val.render(&mut s);
            ev.data.push(DataItem { name: None, value: s });
        }
        return Ok(());
    }
    if val.bytes.is_empty() {
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return err("BinXML fragments nested too deep", val.offset);
    }
    let end = val.offset + val.bytes.len();
    match parse_stream(data, val.offset, end, false)? {
        Content::Instance { def_offset, values } => {
            let schema = cache.get(data, def_offset, false)?;
            run_body(&schema.body, &Vals(&values), data, cache, ev, depth + 1)
        }
        Content::Tree(nodes) => {
            let schema = compile(&nodes, false);
            run_body(&schema.body, &Vals(&[]), data, cache, ev, depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_render_like_event_viewer() {
        let mut s = String::new();
        render_scalar(0x15, &0x8080_0000_0000_0000u64.to_le_bytes(), &mut s);
        assert_eq!(s, "0x8080000000000000");
        for (ty, bytes, want) in [
            (0x09u8, i64::MIN.to_le_bytes().to_vec(), "-9223372036854775808"),
            (0x0a, u64::MAX.to_le_bytes().to_vec(), "18446744073709551615"),
            (0x03, vec![0xff], "-1"),
            (0x04, vec![0xff], "255"),
            (0x05, vec![0x00, 0x80], "-32768"),
            (0x07, vec![0, 0, 0, 0], "0"),
            (0x08, 4_000_000_000u32.to_le_bytes().to_vec(), "4000000000"),
            (0x14, vec![0, 0, 0, 0], "0x0"),
            (0x10, 0x3e7u32.to_le_bytes().to_vec(), "0x3e7"),
        ] {
            s.clear();
            render_scalar(ty, &bytes, &mut s);
            assert_eq!(s, want, "type {ty:#x}");
        }
        s.clear();
        render_scalar(T_BOOL, &1u32.to_le_bytes(), &mut s);
        assert_eq!(s, "true");
        s.clear();
        render_scalar(T_BOOL, &7u32.to_le_bytes(), &mut s);
        assert_eq!(s, "7");
        s.clear();
        // 2016-07-08T21:32:51.6816400Z
        let ft: u64 = 131_124_871_716_816_400;
        render_scalar(T_FILETIME, &ft.to_le_bytes(), &mut s);
        assert_eq!(s, "2016-07-08T21:32:51.6816400Z");
        s.clear();
        render_scalar(T_SID, &[1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0], &mut s);
        assert_eq!(s, "S-1-5-18");
        s.clear();
        render_scalar(T_STRING, b"A\0B\0\0\0C\0", &mut s);
        assert_eq!(s, "AB");
        s.clear();
        ansi_to(b"caf\xe9 \x80", &mut s);
        assert_eq!(s, "café €");
    }

    #[test]
    fn guid_text_round_trip() {
        let g = Guid::parse("{555908D1-A6D7-4695-8E1E-26931D2012F4}");
        assert_eq!(g.map(|g| g.to_string()).as_deref(), Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"));
        assert_eq!(g.map(|g| g.0[0]), Some(0xd1));
        assert_eq!(serde_json::to_string(&g).ok().as_deref(), Some("\"{555908d1-a6d7-4695-8e1e-26931d2012f4}\""));
        assert_eq!(Guid::parse("555908d1-a6d7-4695-8e1e-26931d2012f4"), g);
        assert_eq!(Guid::parse("555908d1a6d746958e1e26931d2012f4"), None);
        assert_eq!(Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f}"), None);
        assert_eq!(Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012fg}"), None);
        assert_eq!(Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f4aa}"), None);
        let mut s = String::new();
        utf16_to("héllo €!".encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>().as_slice(), &mut s);
        assert_eq!(s, "héllo €!");
        for len in [0usize, 1, 63, 64, 65, 128, 200] {
            let text: String = "abcdefghij".chars().cycle().take(len).chain("é𝄞x".chars()).collect();
            let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            bytes.extend_from_slice(&[0, 0, b'z', 0]);
            let mut s = String::new();
            utf16_to(&bytes, &mut s);
            assert_eq!(s, text, "len {len}");
            let ascii: String = "xyz".chars().cycle().take(len).collect();
            let mut s = String::new();
            utf16_to(&ascii.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>(), &mut s);
            assert_eq!(s, ascii, "len {len}");
        }
    }

    #[test]
    fn filetime_keeps_100ns() {
        let t = filetime_to_utc(131_124_871_716_816_401).map(|t| t.timestamp_subsec_nanos());
        assert_eq!(t, Some(681_640_100));
    }

    #[test]
    fn string_arrays_split() {
        let bytes = b"a\0\0\0b\0c\0\0\0";
        let v = RawVal { ty: ARRAY | T_STRING, bytes, offset: 0 };
        assert_eq!(v.array_items(), Some(vec!["a".to_string(), "bc".to_string()]));
    }

    #[test]
    fn utf16_decodes_like_the_standard_library() {
        // Up to the first NUL, lone surrogates replaced: what `from_utf16_lossy` gives.
        fn reference(bytes: &[u8]) -> String {
            let units: Vec<u16> =
                bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0).collect();
            String::from_utf16_lossy(&units)
        }
        let mut cases: Vec<Vec<u16>> = vec![
            Vec::new(),
            "A".encode_utf16().collect(),
            "The WinHTTP Web Proxy Auto-Discovery Service service entered the stopped state.".encode_utf16().collect(),
            "x".repeat(200).encode_utf16().collect(),
            "Dienst „Windows-Ereignisprotokoll“ wurde beendet — größer als 64 Zeichen, damit Blöcke gemischt sind"
                .encode_utf16()
                .collect(),
            "😀 emoji first, then ASCII for a long while after it, long enough to fill a block or two of them"
                .encode_utf16()
                .collect(),
            vec![0xd800, 0x41, 0x42],
        ];
        // A NUL, a non-ASCII unit and a lone surrogate at every place of a 100-unit ASCII string.
        for at in 0..100 {
            for odd in [0u16, 0xe9, 0xdc00, 0x100] {
                let mut v: Vec<u16> = "abcdefghij".repeat(10).encode_utf16().collect();
                v[at] = odd;
                cases.push(v);
            }
        }
        for units in cases {
            let mut bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            for extra in [false, true] {
                if extra {
                    bytes.push(0x41); // an odd trailing byte is ignored
                }
                let mut got = String::from("prefix:");
                utf16_to(&bytes, &mut got);
                assert_eq!(got, format!("prefix:{}", reference(&bytes)), "{units:x?}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut cache = SchemaCache::default();
        let mut seed: u32 = 12345;
        for len in 0..400usize {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            for start in [0usize, 1, 3] {
                let _ = decode_record(&data, start, len, start == 1, &mut cache, Vec::new()).map(|d| d.head().event_id);
                let mut prefixed = vec![0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0];
                prefixed.extend_from_slice(&data);
                let plen = prefixed.len();
                if let Ok(d) = decode_record(&prefixed, start, plen, start == 3, &mut cache, Vec::new()) {
                    let origin = crate::model::Origin::new("x".into(), crate::model::Locator::File);
                    let mut ev = Event::new(None, 0, origin);
                    let _ = d.finish(&prefixed, &mut cache, &mut ev);
                }
            }
        }
    }
}
