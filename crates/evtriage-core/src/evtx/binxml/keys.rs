//! Content and line keys: the bytes that say two records decode alike.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], a record whose
//! key was seen before is not decoded again (see [`crate::evtx`]'s content
//! cache). A key is the template's shape, numbered by [`ShapeNumbers`]
//! whatever chunk defined it, then the bytes of the values a decode reads;
//! a nested fragment stands in by its own template's shape and values.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::cache::SchemaCache;
use super::cursor::{Cursor, DecodeError};
use super::template::{BodyOp, Schema, ALL_SYS, NO_SHAPE};
use super::tree::{Piece, Text};
use super::values::{valid_value, RawValue, T_BINXML};
use crate::model::DataSection;

/// Which key [`DecodedRecord::key`] writes.
///
/// [`DecodedRecord::key`]: super::decode::DecodedRecord::key
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// What a partial decode reads (the content cache of `analyze`).
    Content,
    /// What a JSON line holds but for its per-record parts (`dump`).
    Line,
}

// Content keys: markers that no value type byte takes.
pub(super) const KEY_NONE: u8 = 0xfe;
const KEY_NESTED: u8 = 0xfd;
const KEY_EMPTY_NESTED: u8 = 0xfc;

pub(super) fn put_value(out: &mut Vec<u8>, ty: u8, bytes: &[u8]) {
    out.push(ty);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// The content key of a nested fragment (see [`DecodedRecord::key`]):
/// its template's shape, then its substitution count, descriptors and
/// values as stored. `false` when it is not a template instance whose
/// values are all plain (a fragment inside it would be read by its bytes).
///
/// [`DecodedRecord::key`]: super::decode::DecodedRecord::key
pub(super) fn nested_key(
    val: &RawValue<'_>,
    data: &[u8],
    cache: &mut SchemaCache,
    shapes: &mut ShapeNumbers,
    out: &mut Vec<u8>,
) -> bool {
    if val.bytes.is_empty() {
        out.push(KEY_EMPTY_NESTED);
        return true;
    }
    let end = val.offset + val.bytes.len();
    let mut c = Cursor::new(data, val.offset, end);
    let parsed = (|| -> Result<Option<(u32, usize)>, DecodeError> {
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
pub(crate) struct ShapeNumbers {
    numbers: HashMap<Box<[u8]>, u32, ahash::RandomState>,
    scratch: Vec<u8>,
}

impl ShapeNumbers {
    /// How many shapes are numbered.
    pub(crate) fn len(&self) -> usize {
        self.numbers.len()
    }

    /// The number of `schema`'s shape (remembered in the schema for the rest
    /// of its chunk).
    pub(super) fn number(&mut self, schema: &Schema) -> u32 {
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
