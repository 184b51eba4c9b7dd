//! A record's BinXML stream: a template instance (the definition it points
//! at and its substitution values) or plain elements; and the substitution
//! values as a schema reads them.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], this is where a
//! record's own bytes are first read: [`parse_stream`] finds the definition
//! offset and the typed values, [`Substitutions`] then fills a schema's texts
//! (strings, numbers, GUIDs, times) from them.

use chrono::{DateTime, Utc};

use super::cursor::{err, Cursor, DecodeError};
use super::tree::{parse_tree, Node, Piece, Text};
use super::values::{
    filetime_to_utc, le_u64, parse_number, systime_to_utc, valid_value, RawValue, T_BINARY, T_FILETIME, T_GUID, T_SID,
    T_STRING, T_SYSTIME,
};
use crate::model::Guid;

/// The decode error of a substitution value whose type is unknown or whose
/// declared size does not fit its type (see `values::valid_value`).
pub(crate) const DAMAGED_VALUE: &str = "substitution value of an unknown type or impossible size";

/// What a BinXML stream holds: a template instance, or plain elements.
pub(super) enum Content<'a> {
    Instance { def_offset: u32, values: Vec<RawValue<'a>> },
    Tree(Vec<Node>),
}

/// Parses the stream at `[pos, end)` of the chunk.
pub(super) fn parse_stream(data: &[u8], pos: usize, end: usize, strict: bool) -> Result<Content<'_>, DecodeError> {
    parse_stream_into(data, pos, end, strict, Vec::new())
}

/// [`parse_stream`], filling `values` (emptied first; its capacity is reused
/// from record to record: one allocation per chunk, not two per record).
pub(super) fn parse_stream_into<'a>(
    data: &'a [u8],
    pos: usize,
    end: usize,
    strict: bool,
    mut values: Vec<RawValue<'a>>,
) -> Result<Content<'a>, DecodeError> {
    values.clear();
    let mut c = Cursor::new(data, pos, end);
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
            return err(DAMAGED_VALUE, offset);
        }
        let bytes = c.take(size)?;
        if strict
            && ty == T_SID
            && (bytes.len() < 8 || bytes.get(1).map(|n| 8 + 4 * usize::from(*n)) != Some(bytes.len()))
        {
            return err("SID value of an impossible size", offset);
        }
        values.push(RawValue { ty, bytes, offset });
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

/// The values a schema is evaluated against.
pub(super) struct Substitutions<'v, 'a>(pub(super) &'v [RawValue<'a>]);

impl<'a> Substitutions<'_, 'a> {
    pub(super) fn get(&self, i: u16) -> Option<&RawValue<'a>> {
        self.0.get(usize::from(i))
    }

    pub(super) fn text(&self, t: &Text) -> String {
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
    pub(super) fn absent(&self, t: &Text) -> bool {
        match t.as_slice() {
            [] => true,
            [Piece::Sub(i)] => self.get(*i).is_none_or(RawValue::is_null),
            _ => false,
        }
    }

    pub(super) fn opt_text(&self, t: Option<&Text>) -> Option<String> {
        let t = t?;
        if self.absent(t) {
            return None;
        }
        Some(self.text(t))
    }

    pub(super) fn num(&self, t: Option<&Text>) -> Option<u64> {
        let t = t?;
        match t.as_slice() {
            [Piece::Sub(i)] => self.get(*i)?.as_u64(),
            _ => parse_number(&self.text(t)),
        }
    }

    pub(super) fn guid(&self, t: Option<&Text>) -> Option<Guid> {
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

    pub(super) fn time(&self, t: Option<&Text>) -> Option<DateTime<Utc>> {
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
