//! Substitution values and scalars: the typed bytes a record carries,
//! rendered as Event Viewer's XML shows them.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], this is the
//! lowest stage that knows about value types: a [`RawValue`] is one
//! substitution as stored (type byte, bytes, chunk offset), and everything
//! here turns such bytes into text or numbers: UTF-16 and ANSI strings,
//! integers, FILETIME and SYSTEMTIME ([`filetime_to_utc`]), SIDs, GUIDs,
//! hex. The tree parser reads literal values with the same functions.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::model::Guid;

/// One substitution value as stored: its BinXML type byte and its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawValue<'a> {
    /// The BinXML value type (with [`ARRAY`] for arrays).
    pub(super) ty: u8,
    /// The value's bytes.
    pub(super) bytes: &'a [u8],
    /// Offset of `bytes` in the chunk (nested BinXML is parsed in place).
    pub(super) offset: usize,
}

pub(super) const T_NULL: u8 = 0x00;
pub(super) const T_STRING: u8 = 0x01;
const T_ANSI: u8 = 0x02;
const T_BOOL: u8 = 0x0d;
pub(super) const T_BINARY: u8 = 0x0e;
pub(super) const T_GUID: u8 = 0x0f;
const T_SIZET: u8 = 0x10;
pub(super) const T_FILETIME: u8 = 0x11;
pub(super) const T_SYSTIME: u8 = 0x12;
pub(super) const T_SID: u8 = 0x13;
pub(super) const T_BINXML: u8 = 0x21;
const ARRAY: u8 = 0x80;

/// Size of one item of a fixed-size type, if it has one.
pub(super) fn fixed_size(ty: u8) -> Option<usize> {
    Some(match ty {
        0x03 | 0x04 => 1,
        0x05 | 0x06 => 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => 8,
        0x0f | 0x12 => 16,
        _ => return None,
    })
}

pub(super) fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u64::from_le_bytes(a)
}

/// UTF-16LE to a `String`, stopping at the first NUL, lone surrogates replaced.
pub(super) fn utf16_to(bytes: &[u8], out: &mut String) {
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

pub(super) fn systime_to_utc(b: &[u8]) -> Option<(DateTime<Utc>, u32)> {
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
pub(super) fn render_scalar(ty: u8, b: &[u8], out: &mut String) {
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

impl<'a> RawValue<'a> {
    pub(super) fn is_null(&self) -> bool {
        self.ty == T_NULL
    }

    /// The items of an array value, each rendered; `None` if not an array.
    pub(super) fn array_items(&self) -> Option<Vec<String>> {
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
    pub(super) fn render(&self, out: &mut String) {
        if let Some(items) = self.array_items() {
            out.push_str(&items.join(","));
        } else {
            render_scalar(self.ty, self.bytes, out);
        }
    }

    /// The value as an unsigned number, for numeric System fields.
    pub(super) fn as_u64(&self) -> Option<u64> {
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
pub(super) fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Whether a substitution of type `ty` may be `size` bytes long. Unknown
/// types are always refused, and so is a single value of a fixed-size type
/// (an integer, a FILETIME, a GUID, …) whose declared size is not its type's:
/// a damaged size (a zeroed byte) would otherwise read the value as empty
/// (a time of 1601, a record id of 0) and shift every value after it; the
/// record is then read by the `evtx` crate, which reads such values by their
/// type, and reported. `strict` (records carved from slack space, where
/// garbage is likely) also checks strings and arrays.
pub(super) fn valid_value(ty: u8, size: usize, strict: bool) -> bool {
    let base = ty & !ARRAY;
    let known = matches!(base, 0x00..=0x15) || (ty & ARRAY == 0 && matches!(ty, 0x20 | 0x21 | 0x23));
    if !known || (ty & ARRAY != 0 && base == 0) {
        return false;
    }
    if !strict {
        return match (ty & ARRAY != 0, base) {
            (false, T_SIZET) => size == 4 || size == 8,
            (false, b) => fixed_size(b).is_none_or(|n| n == size),
            (true, _) => true,
        };
    }
    match (ty & ARRAY != 0, base) {
        (_, T_STRING) => size % 2 == 0,
        (false, T_SIZET) => size == 4 || size == 8,
        (false, b) => fixed_size(b).is_none_or(|n| n == size),
        (true, b) => fixed_size(b).is_none_or(|n| size % n == 0),
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
        let v = RawValue { ty: ARRAY | T_STRING, bytes, offset: 0 };
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
}
