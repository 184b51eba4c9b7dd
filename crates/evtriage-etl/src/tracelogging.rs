//! TraceLogging (self-describing) events.
//!
//! A TraceLogging event carries its own schema in two `EVENT_HEADER`
//! extended data items, so it can be decoded without a manifest:
//! - type 12 (provider traits): u16 size, then the provider name (UTF-8, NUL-terminated);
//! - type 11 (event schema): u16 size, tag bytes (each with 0x80 meaning "more
//!   follow"), the event name (UTF-8, NUL-terminated), then one entry per
//!   field: name (NUL-terminated); in-type byte (low 5 bits the type, 0x20
//!   constant count, 0x40 variable count, 0x60 custom, 0x80 "out-type
//!   follows"); out-type byte (0x80 "tags follow"); tag bytes; u16 constant
//!   count (or custom schema size and schema).
//!
//! The field values follow one another in the user data. Variable-count arrays
//! are prefixed by a u16 element count. A struct field holds no data; its
//! out-type slot gives the number of following fields that belong to it.
//! Type codes are those of `TraceLoggingProvider.h` (`TlgIn_t`, `TlgOut_t`).
//!
//! Decoding stops at the first field it cannot read; what was decoded is kept
//! and [`TlEvent::complete`] is false.

use crate::bytes::{ansiz_at, array16_at, i64_at, u16_at, u32_at, u64_at, u8_at, utf16z_at};
use crate::extended::{sid_to_string, ExtendedItem};
use crate::guid::Guid;

/// Extended item type of the event schema.
pub const EXT_EVENT_SCHEMA: u16 = 11;
/// Extended item type of the provider traits.
pub const EXT_PROVIDER_TRAITS: u16 = 12;

/// Output limit per event, so that a hostile schema cannot blow up memory.
const MAX_FIELDS: usize = 4096;
/// Struct nesting limit.
const MAX_DEPTH: usize = 16;
/// Work limit per event (fields and array elements visited), so that nested
/// arrays of empty structs cannot make decoding take forever.
const MAX_STEPS: usize = 200_000;

/// A decoded TraceLogging event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlEvent {
    /// The provider name from the provider traits, e.g. `Microsoft.Windows.Subsystem.LxCore`.
    pub provider_name: Option<String>,
    /// The event name, e.g. `BreakPoint`.
    pub event_name: String,
    /// Field names and values as text, in order. Struct members are named
    /// `Struct.Member`; arrays are shown as `[a, b]`.
    pub fields: Vec<(String, String)>,
    /// Whether every field was decoded and the data used up exactly.
    pub complete: bool,
}

#[derive(Debug, Clone)]
struct FieldMeta {
    name: String,
    in_type: u8,
    count: Count,
    out_type: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    One,
    Constant(u16),
    Variable,
    Custom,
}

/// Decodes a TraceLogging event from its extended items and user data;
/// `None` when the event carries no TraceLogging schema.
pub fn decode(extended: &[ExtendedItem], payload: &[u8]) -> Option<TlEvent> {
    let schema = extended.iter().find(|x| x.ext_type == EXT_EVENT_SCHEMA)?;
    let provider_name = extended
        .iter()
        .find(|x| x.ext_type == EXT_PROVIDER_TRAITS)
        .and_then(|x| nul_utf8(&x.data, 2).map(|(s, _)| s))
        .filter(|s| !s.is_empty());
    let (event_name, metas, meta_ok) = parse_schema(&schema.data)?;
    let spans = (0..metas.len()).map(|i| span(&metas, i, 0)).collect();
    let mut ctx = Ctx { out: Vec::new(), steps: 0, spans };
    let mut pos = 0usize;
    let decoded = decode_range(&metas, 0, metas.len(), payload, &mut pos, "", &mut ctx, 0);
    let complete = meta_ok && decoded.is_some() && pos == payload.len();
    Some(TlEvent { provider_name, event_name, fields: ctx.out, complete })
}

fn nul_utf8(b: &[u8], off: usize) -> Option<(String, usize)> {
    let rest = b.get(off..)?;
    let n = rest.iter().position(|&c| c == 0)?;
    Some((String::from_utf8_lossy(rest.get(..n)?).into_owned(), off + n + 1))
}

/// The event name, the field list, and whether the whole schema was read.
fn parse_schema(m: &[u8]) -> Option<(String, Vec<FieldMeta>, bool)> {
    let size = usize::from(u16_at(m, 0)?);
    let m = m.get(..size.min(m.len()))?;
    let mut p = 2;
    // Event tags: bytes while the 0x80 bit says more follow (at most 4).
    for _ in 0..4 {
        let b = u8_at(m, p)?;
        p += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let (event_name, mut p) = nul_utf8(m, p)?;
    let mut metas = Vec::new();
    while p < m.len() && metas.len() < MAX_FIELDS {
        let Some((name, next)) = nul_utf8(m, p) else { return Some((event_name, metas, false)) };
        p = next;
        let Some(in_byte) = u8_at(m, p) else { return Some((event_name, metas, false)) };
        p += 1;
        let mut out_type = 0;
        if in_byte & 0x80 != 0 {
            let Some(o) = u8_at(m, p) else { return Some((event_name, metas, false)) };
            p += 1;
            out_type = o & 0x7f;
            if o & 0x80 != 0 {
                for _ in 0..4 {
                    let Some(t) = u8_at(m, p) else { return Some((event_name, metas, false)) };
                    p += 1;
                    if t & 0x80 == 0 {
                        break;
                    }
                }
            }
        }
        let count = match in_byte & 0x60 {
            0x20 => {
                let Some(n) = u16_at(m, p) else { return Some((event_name, metas, false)) };
                p += 2;
                Count::Constant(n)
            }
            0x40 => Count::Variable,
            0x60 => {
                let Some(n) = u16_at(m, p) else { return Some((event_name, metas, false)) };
                p += 2 + usize::from(n);
                Count::Custom
            }
            _ => Count::One,
        };
        metas.push(FieldMeta { name, in_type: in_byte & 0x1f, count, out_type });
    }
    let ok = p == m.len();
    Some((event_name, metas, ok))
}

/// Number of schema entries field `i` spans (1, or 1 + its members for a struct).
fn span(metas: &[FieldMeta], i: usize, depth: usize) -> usize {
    let Some(f) = metas.get(i) else { return 1 };
    if f.in_type != 24 || depth > MAX_DEPTH {
        return 1;
    }
    let mut n = 1;
    for _ in 0..f.out_type {
        n += span(metas, i + n, depth + 1);
    }
    n
}

struct Ctx {
    out: Vec<(String, String)>,
    steps: usize,
    /// `spans[i]`: schema entries field `i` covers, computed once.
    spans: Vec<usize>,
}

impl Ctx {
    /// Counts one step of work; `None` once the budget is spent.
    fn step(&mut self) -> Option<()> {
        self.steps += 1;
        (self.steps <= MAX_STEPS && self.out.len() < MAX_FIELDS).then_some(())
    }
}

#[allow(clippy::too_many_arguments)]
fn decode_range(
    metas: &[FieldMeta],
    start: usize,
    end: usize,
    data: &[u8],
    pos: &mut usize,
    prefix: &str,
    ctx: &mut Ctx,
    depth: usize,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut i = start;
    while i < end.min(metas.len()) {
        ctx.step()?;
        let f = metas.get(i)?;
        let name = if prefix.is_empty() { f.name.clone() } else { format!("{prefix}.{}", f.name) };
        let count = match f.count {
            Count::One => None,
            Count::Constant(n) => Some(usize::from(n)),
            Count::Variable => {
                let n = usize::from(u16_at(data, *pos)?);
                *pos += 2;
                Some(n)
            }
            Count::Custom => {
                let n = usize::from(u16_at(data, *pos)?);
                let bytes = data.get(*pos + 2..*pos + 2 + n)?;
                *pos += 2 + n;
                ctx.out.push((name, hex(bytes)));
                i += 1;
                continue;
            }
        };
        if f.in_type == 24 {
            let width = ctx.spans.get(i).copied().unwrap_or(1);
            match count {
                None => decode_range(metas, i + 1, i + width, data, pos, &name, ctx, depth + 1)?,
                Some(n) => {
                    for k in 0..n {
                        ctx.step()?;
                        let elem = format!("{name}[{k}]");
                        decode_range(metas, i + 1, i + width, data, pos, &elem, ctx, depth + 1)?;
                    }
                }
            }
            i += width;
            continue;
        }
        let text = match count {
            None => value(f, data, pos)?,
            // Arrays of 8/16-bit integers shown as strings are text.
            Some(n) if f.out_type == 2 && matches!(f.in_type, 3 | 4) => {
                let b = data.get(*pos..*pos + n)?;
                *pos += n;
                String::from_utf8_lossy(b).trim_end_matches('\0').to_owned()
            }
            Some(n) if f.out_type == 2 && matches!(f.in_type, 5 | 6) => {
                let b = data.get(*pos..*pos + 2 * n)?;
                *pos += 2 * n;
                let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                String::from_utf16_lossy(&units).trim_end_matches('\0').to_owned()
            }
            Some(n) => {
                let mut items = Vec::with_capacity(n.min(256));
                for _ in 0..n {
                    ctx.step()?;
                    items.push(value(f, data, pos)?);
                }
                format!("[{}]", items.join(", "))
            }
        };
        ctx.out.push((name, text));
        i += 1;
    }
    Some(())
}

/// One scalar value of field `f` at `*pos`, as text.
fn value(f: &FieldMeta, d: &[u8], pos: &mut usize) -> Option<String> {
    let p = *pos;
    let hexed = matches!(f.out_type, 4 | 13 | 14 | 15);
    let (text, len) = match f.in_type {
        1 => {
            let (s, next) = utf16z_at(d, p)?;
            (s, next - p)
        }
        2 => {
            let (s, next) = ansiz_at(d, p)?;
            (s, next - p)
        }
        3 => {
            let v = u8_at(d, p)?;
            (if f.out_type == 2 { char::from(v).to_string() } else { (v as i8).to_string() }, 1)
        }
        4 => {
            let v = u8_at(d, p)?;
            let s = match f.out_type {
                2 => char::from(v).to_string(),
                3 => (v != 0).to_string(),
                4 => format!("{v:#04x}"),
                _ => v.to_string(),
            };
            (s, 1)
        }
        5 => (i16::from_le_bytes(u16_at(d, p)?.to_le_bytes()).to_string(), 2),
        6 => {
            let v = u16_at(d, p)?;
            let s = match f.out_type {
                // Network byte order.
                7 => u16::from_be_bytes(v.to_le_bytes()).to_string(),
                4 => format!("{v:#06x}"),
                _ => v.to_string(),
            };
            (s, 2)
        }
        7 => {
            let v = u32_at(d, p)?;
            (if hexed { format!("{v:#010x}") } else { (v as i32).to_string() }, 4)
        }
        8 | 20 => {
            let v = u32_at(d, p)?;
            let s = match f.out_type {
                8 => {
                    let b = v.to_le_bytes();
                    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
                }
                3 => (v != 0).to_string(),
                _ if hexed || f.in_type == 20 => format!("{v:#010x}"),
                _ => v.to_string(),
            };
            (s, 4)
        }
        9 => {
            let v = i64_at(d, p)?;
            (if hexed { format!("{:#018x}", v as u64) } else { v.to_string() }, 8)
        }
        10 | 21 => {
            let v = u64_at(d, p)?;
            (if hexed || f.in_type == 21 { format!("{v:#018x}") } else { v.to_string() }, 8)
        }
        11 => (f32::from_bits(u32_at(d, p)?).to_string(), 4),
        12 => (f64::from_bits(u64_at(d, p)?).to_string(), 8),
        13 => (
            {
                let v = u32_at(d, p)?;
                if f.out_type == 15 || f.out_type == 13 {
                    format!("{v:#010x}")
                } else {
                    (v != 0).to_string()
                }
            },
            4,
        ),
        14 | 25 => {
            let n = usize::from(u16_at(d, p)?);
            (hex(d.get(p + 2..p + 2 + n)?), 2 + n)
        }
        15 => (Guid(array16_at(d, p)?).to_string(), 16),
        17 => {
            let ft = i64_at(d, p)?;
            let s = crate::clock::filetime_to_utc(ft).map(|t| t.to_rfc3339()).unwrap_or_else(|| ft.to_string());
            (s, 8)
        }
        18 => {
            let b = d.get(p..p + 16)?;
            let w = |i: usize| u16_at(b, i * 2).unwrap_or(0);
            (format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", w(0), w(1), w(3), w(4), w(5), w(6), w(7)), 16)
        }
        19 => {
            let count = usize::from(u8_at(d, p + 1)?);
            let len = 8 + 4 * count;
            (sid_to_string(d.get(p..p + len)?)?, len)
        }
        22 => {
            let n = usize::from(u16_at(d, p)?);
            let b = d.get(p + 2..p + 2 + n)?;
            let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            (String::from_utf16_lossy(&units), 2 + n)
        }
        23 => {
            let n = usize::from(u16_at(d, p)?);
            (String::from_utf8_lossy(d.get(p + 2..p + 2 + n)?).into_owned(), 2 + n)
        }
        // 0 (null), 16 (pointer, unsupported) and unknown types: cannot size the value.
        _ => return None,
    };
    *pos = p + len;
    Some(text)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: u16, body: &[u8]) -> ExtendedItem {
        let mut data = ((body.len() + 2) as u16).to_le_bytes().to_vec();
        data.extend(body);
        ExtendedItem { ext_type: t, data }
    }

    #[test]
    fn decodes_scalars_strings_arrays_and_structs() {
        let mut schema = vec![0u8];
        schema.extend(b"Connect\0");
        schema.extend(b"Server\0\x01");
        schema.extend(b"Port\0\x86\x07"); // UINT16, out PORT
        schema.extend(b"Ok\0\x8d\x03"); // BOOL32
        schema.extend(b"Codes\0\xc8\x04"); // UINT32 vcount, out HEX
        schema.extend(b"Peer\0\x98\x02"); // struct of 2
        schema.extend(b"Id\0\x0f");
        schema.extend(b"Name\0\x16"); // counted UTF-16
        let ext = vec![item(12, b"Contoso.Ldap\0"), item(11, &schema)];
        let mut data: Vec<u8> = "dc1".encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
        data.extend(389u16.to_be_bytes());
        data.extend(1u32.to_le_bytes());
        data.extend(2u16.to_le_bytes());
        data.extend(0x5bu32.to_le_bytes());
        data.extend(0x51u32.to_le_bytes());
        data.extend([0xaa; 16]);
        data.extend(4u16.to_le_bytes());
        data.extend("xy".encode_utf16().flat_map(u16::to_le_bytes));
        let e = decode(&ext, &data).expect("tracelogging");
        assert_eq!(e.provider_name.as_deref(), Some("Contoso.Ldap"));
        assert_eq!(e.event_name, "Connect");
        let f: Vec<(&str, &str)> = e.fields.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            f,
            vec![
                ("Server", "dc1"),
                ("Port", "389"),
                ("Ok", "true"),
                ("Codes", "[0x0000005b, 0x00000051]"),
                ("Peer.Id", "{aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa}"),
                ("Peer.Name", "xy"),
            ]
        );
        assert!(e.complete);
        // Cut data: what fits is kept, the event is marked incomplete.
        let cut = decode(&ext, &data[..10]).expect("tracelogging");
        assert_eq!(cut.fields.len(), 2);
        assert!(!cut.complete);
        // No schema item: not TraceLogging.
        assert_eq!(decode(&ext[..1], &data), None);
    }

    #[test]
    fn hostile_schemas_end_quickly() {
        // Arrays of 65535 structs of arrays of 65535 empty structs: bounded work.
        let mut schema = vec![0u8];
        schema.extend(b"E\0");
        schema.extend(b"A\0\xb8\x01\xff\xff"); // struct of 1, constant count 65535
        schema.extend(b"B\0\xb8\x00\xff\xff"); // struct of 0, constant count 65535
        let ext = vec![item(11, &schema)];
        let e = decode(&ext, &[]).expect("tracelogging");
        assert!(!e.complete);
        // Random mutations of a good schema and data never panic.
        let mut good = vec![0u8];
        good.extend(b"Ev\0S\0\x01N\0\xc8\x04P\0\x98\x01Q\0\x16");
        let mut data: Vec<u8> = vec![b'a', 0, 0, 0, 2, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, b'x', 0];
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut s = good.clone();
            let at = (seed as usize) % s.len();
            if let Some(b) = s.get_mut(at) {
                *b = (seed >> 32) as u8;
            }
            let d_at = ((seed >> 16) as usize) % data.len();
            if let Some(b) = data.get_mut(d_at) {
                *b = (seed >> 40) as u8;
            }
            let _ = decode(&[item(11, &s)], &data);
        }
    }
}
