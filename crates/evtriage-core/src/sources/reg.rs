//! `regedit` exports (`.reg`): keys and typed values.
//!
//! ```text
//! Windows Registry Editor Version 5.00
//!
//! [HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ]
//! "Start"=dword:00000002
//! "ImagePath"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,\
//!   74,00,25,00,00,00
//! "DependOnService"=hex(7):52,00,70,00,63,00,53,00,73,00,00,00,00,00
//! @="default value"
//! "Obsolete"=-
//!
//! [-HKEY_LOCAL_MACHINE\SOFTWARE\Old]
//! ```
//!
//! Read: `[KEY]` headers, `@` (the default value, name `""`) and `"Name"`
//! (with `\\` and `\"` escapes), values `"string"` (REG_SZ, escapes decoded),
//! `dword:`, `hex:` (REG_BINARY), `hex(N):` (2 = REG_EXPAND_SZ and 7 =
//! REG_MULTI_SZ decoded from UTF-16LE — or from single bytes in `REGEDIT4`
//! exports —, 1 = REG_SZ, 4 = DWORD, b = QWORD, others raw), lines continued
//! with a trailing `\`, `"Name"=-` (value deleted) and `[-KEY]` (key deleted:
//! one record with an empty name and [`RegData::DeleteKey`]). Comments (`;`)
//! are ignored. A value line that cannot be read is reported with its line.

use crate::model::{Locator, Origin, Record, RegData, RegistryValue};

use super::Ctx;

/// Decodes a quoted string starting after the opening quote; returns the
/// string and the rest after the closing quote.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n)) => out.push(n),
                None => return None,
            },
            '"' => return Some((out, text.get(i + 1..)?)),
            _ => out.push(c),
        }
    }
    None
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t.is_empty() {
        return Some(Vec::new());
    }
    t.split(',').map(|b| u8::from_str_radix(b.trim(), 16).ok()).collect()
}

/// Strings of a REG_SZ / REG_EXPAND_SZ / REG_MULTI_SZ byte image.
fn strings_of(bytes: &[u8], ansi: bool) -> Vec<String> {
    let text: String = if ansi {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| match p {
                [a, b] => u16::from_le_bytes([*a, *b]),
                _ => 0,
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut parts: Vec<String> = text.split('\0').map(str::to_string).collect();
    // A terminating NUL (and the list's final empty string) leave empty tails.
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

fn le_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Parses the data part of a value line (after `=`).
fn parse_data(data: &str, ansi: bool) -> Result<RegData, String> {
    let d = data.trim();
    if d == "-" {
        return Ok(RegData::Delete);
    }
    if let Some(rest) = d.strip_prefix('"') {
        let (s, tail) = quoted(rest).ok_or("unterminated string")?;
        if !tail.trim().is_empty() {
            return Err(format!("text after the closing quote: `{}`", tail.trim()));
        }
        return Ok(RegData::Sz(s));
    }
    if let Some(hex) = d.strip_prefix("dword:") {
        return u32::from_str_radix(hex.trim(), 16).map(RegData::Dword).map_err(|_| format!("bad dword `{hex}`"));
    }
    if let Some(hex) = d.strip_prefix("hex:") {
        let bytes = hex_bytes(hex).ok_or("bad hex bytes")?;
        return Ok(RegData::Binary { kind: 3, bytes });
    }
    if let Some(rest) = d.strip_prefix("hex(") {
        let (kind, hex) = rest.split_once("):").ok_or("bad hex(N): prefix")?;
        let kind = u32::from_str_radix(kind.trim(), 16).map_err(|_| format!("bad value type `{kind}`"))?;
        let bytes = hex_bytes(hex).ok_or("bad hex bytes")?;
        return Ok(match kind {
            1 => RegData::Sz(strings_of(&bytes, ansi).into_iter().next().unwrap_or_default()),
            2 => RegData::ExpandSz(strings_of(&bytes, ansi).into_iter().next().unwrap_or_default()),
            7 => RegData::MultiSz(strings_of(&bytes, ansi)),
            4 if bytes.len() == 4 => RegData::Dword(le_u64(&bytes).and_then(|v| u32::try_from(v).ok()).unwrap_or(0)),
            0xb if bytes.len() == 8 => RegData::Qword(le_u64(&bytes).unwrap_or(0)),
            _ => RegData::Binary { kind, bytes },
        });
    }
    Err(format!("unknown value data `{}`", d.chars().take(40).collect::<String>()))
}

/// Reads a `.reg` export.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    read_from(text, None, ctx)
}

/// Reads a `.reg` export, or a piece of one after its first line (`ansi`:
/// whether that line was `REGEDIT4`, whose strings are 8-bit).
pub(crate) fn read_from(text: &str, ansi_after_header: Option<bool>, ctx: &mut Ctx<'_>) {
    let mut key: Option<String> = None;
    let mut ansi = ansi_after_header.unwrap_or(false);
    let mut lines = crate::text::numbered_lines(text).peekable();
    let mut header_seen = ansi_after_header.is_some();
    while let Some((line_no, raw)) = lines.next() {
        let mut logical = raw.trim().to_string();
        // A trailing backslash continues the line (regedit wraps hex data at 80 columns).
        while logical.ends_with('\\') && !logical.starts_with('[') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim()),
                None => break,
            }
        }
        let line = logical.as_str();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if line == "REGEDIT4" {
                ansi = true;
                continue;
            }
            if line.starts_with("Windows Registry Editor") {
                continue;
            }
        }
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line: line_no });
        if let Some(inner) = line.strip_prefix('[') {
            let Some(inner) = inner.strip_suffix(']') else {
                ctx.skip_line(line_no, "key line without closing `]`; the values under it are skipped");
                key = None;
                continue;
            };
            if let Some(deleted) = inner.strip_prefix('-') {
                key = None;
                ctx.record(Record::Registry(RegistryValue {
                    key: deleted.to_string(),
                    name: String::new(),
                    data: RegData::DeleteKey,
                    origin,
                }));
            } else {
                key = Some(inner.to_string());
            }
            continue;
        }
        let Some(current) = key.clone() else {
            ctx.skip_line(line_no, "value outside any [key]; skipped");
            continue;
        };
        let (name, data) = if let Some(rest) = line.strip_prefix('@') {
            match rest.trim_start().strip_prefix('=') {
                Some(d) => (String::new(), d),
                None => {
                    ctx.skip_line(line_no, "`@` without `=`; skipped");
                    continue;
                }
            }
        } else if let Some(rest) = line.strip_prefix('"') {
            match quoted(rest).and_then(|(n, tail)| Some((n, tail.trim_start().strip_prefix('=')?))) {
                Some(pair) => pair,
                None => {
                    ctx.skip_line(line_no, "value name not followed by `=`; skipped");
                    continue;
                }
            }
        } else {
            ctx.skip_line(line_no, "neither a [key] nor a \"value\"=data line; skipped");
            continue;
        };
        match parse_data(data, ansi) {
            Ok(data) => ctx.record(Record::Registry(RegistryValue { key: current, name, data, origin })),
            Err(reason) => ctx.skip_line(line_no, format!("value `{name}`: {reason}; skipped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_data() {
        assert_eq!(parse_data("dword:0000001e", false), Ok(RegData::Dword(30)));
        assert_eq!(
            parse_data(r#""C:\\Program Files\\x \"q\"""#, false),
            Ok(RegData::Sz(r#"C:\Program Files\x "q""#.into()))
        );
        assert_eq!(parse_data("hex(2):25,00,41,00,25,00,00,00", false), Ok(RegData::ExpandSz("%A%".into())));
        assert_eq!(
            parse_data("hex(7):61,00,00,00,62,00,63,00,00,00,00,00", false),
            Ok(RegData::MultiSz(vec!["a".into(), "bc".into()]))
        );
        assert_eq!(parse_data("hex(7):61,00,62,00,00,00", true), Ok(RegData::MultiSz(vec!["a".into(), "b".into()])));
        assert_eq!(parse_data("hex(b):01,00,00,00,00,00,00,00", false), Ok(RegData::Qword(1)));
        assert_eq!(parse_data("hex:de,ad", false), Ok(RegData::Binary { kind: 3, bytes: vec![0xde, 0xad] }));
        assert_eq!(parse_data("-", false), Ok(RegData::Delete));
        assert!(parse_data("dword:xyz", false).is_err());
        assert!(parse_data("hex:zz", false).is_err());
    }
}
