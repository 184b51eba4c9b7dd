//! BinXML token trees: the element tokens of a fragment parsed into
//! [`Node`]s, with text as literal [`Piece`]s and substitution holes.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], a template
//! definition (or a record of plain elements) is parsed here once into a
//! tree, which [`super::template`] then compiles. Names are read from the
//! chunk's string table; [`canonical_tokens`] writes a definition's tokens
//! with its names spelled out, so that the same template found in another
//! chunk is recognised without parsing it again.

use super::cursor::{err, Cursor, DecodeError};
use super::values::{fixed_size, render_scalar, utf16_to, T_STRING};

/// How deep elements may nest inside one fragment.
const MAX_ELEMENT_DEPTH: usize = 64;

/// A piece of text content: literal, or a substitution hole.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Lit(String),
    Sub(u16),
}

/// Text made of literal pieces and holes.
pub(super) type Text = Vec<Piece>;

#[derive(Debug, Default)]
pub(super) struct Elem {
    pub(super) name: String,
    pub(super) dep: Option<u16>,
    pub(super) attrs: Vec<(String, Vec<Piece>)>,
    pub(super) children: Vec<Node>,
}

#[derive(Debug)]
pub(super) enum Node {
    Elem(Elem),
    Text(Piece),
}

/// Reads the name stored at `offset` in the chunk's string table.
fn name_at(data: &[u8], offset: usize) -> Result<String, DecodeError> {
    let mut c = Cursor::new(data, offset, data.len());
    c.skip(6)?; // next-string link and hash
    let count = usize::from(c.u16()?);
    let bytes = c.take(count * 2)?;
    let mut s = String::with_capacity(count);
    utf16_to(bytes, &mut s);
    Ok(s)
}

/// Reads a name reference; skips the name when it is stored right here.
fn read_name(c: &mut Cursor<'_>) -> Result<String, DecodeError> {
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
///
/// `#[inline]`, as [`canonical_tokens`]: without it the byte copies in it
/// were no longer inlined after the split (0.8 % more instructions in `dump`).
#[inline]
fn canonical_name(c: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let off = c.u32()? as usize;
    if off == c.pos {
        c.skip(6)?;
        let count = usize::from(c.u16()?);
        c.skip(count * 2 + 2)?;
    }
    let mut n = Cursor::new(c.data, off, c.data.len());
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
///
/// `#[inline]`: its one caller, in [`super::cache`], is in another module;
/// in one module with it (before the stages were split) it was inlined
/// there, and out of line it cost 0.4 % more instructions in `dump`.
#[inline]
pub(super) fn canonical_tokens(
    data: &[u8],
    pos: usize,
    end: usize,
    has_dep: bool,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let mut c = Cursor::new(data, pos, end);
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
fn read_value_text(c: &mut Cursor<'_>, out: &mut String) -> Result<(), DecodeError> {
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
pub(super) fn parse_tree(
    data: &[u8],
    pos: usize,
    end: usize,
    has_dep: bool,
    types: &mut Vec<(u16, u8)>,
) -> Result<Vec<Node>, DecodeError> {
    let mut c = Cursor::new(data, pos, end);
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
