//! Record decoding: a record's BinXML mapped through its template's schema
//! into [`Event`] fields.
//!
//! In the journey bytes → chunk → record → [`Event`], this is the last
//! stage: [`decode_record`] reads the record's stream and finds its schema,
//! giving a [`DecodedRecord`] whose [`Head`] (provider and event id) the
//! event filter sees first; the record is then finished, partly or whole,
//! into an [`Event`], or keyed for the content and line caches.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cache::SchemaCache;
use super::cursor::{err, DecodeError};
use super::instance::{parse_stream, parse_stream_into, Content, Substitutions};
use super::keys::{nested_key, put_value, KeyKind, ShapeNumbers, KEY_NONE};
use super::template::{compile, BodyOp, Schema, SystemField};
use super::tree::Piece;
use super::values::{RawValue, T_BINARY, T_BINXML, T_NULL};
use crate::model::{DataItem, DataSection, Event, Guid};

/// How deep nested BinXML fragments may go before we give up.
const MAX_DEPTH: usize = 8;

/// The fields of a record's JSON line that differ from record to record of
/// one content (see [`DecodedRecord::key`]).
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
pub(crate) struct DecodedRecord<'a> {
    schema: Arc<Schema>,
    values: Vec<RawValue<'a>>,
    /// Plain elements, not a template instance (its schema is this record's own).
    tree: bool,
}

/// Decodes the BinXML of one record (the chunk bytes `[pos, end)`) up to its
/// schema. `spare` is a vector to reuse for the values (see [`DecodedRecord::recycle`]).
pub(crate) fn decode_record<'a>(
    data: &'a [u8],
    pos: usize,
    end: usize,
    strict: bool,
    cache: &mut SchemaCache,
    spare: Vec<RawValue<'a>>,
) -> Result<DecodedRecord<'a>, DecodeError> {
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
                if !fits || schema.sys_text(SystemField::EventId).is_none() {
                    return err("values do not fit the template definition", pos);
                }
            }
            Ok(DecodedRecord { schema, values, tree: false })
        }
        Content::Tree(nodes) => {
            Ok(DecodedRecord { schema: Arc::new(compile(&nodes, true)), values: Vec::new(), tree: true })
        }
    }
}

impl<'a> DecodedRecord<'a> {
    /// The values vector, emptied, for the next record's [`decode_record`].
    pub(crate) fn recycle(mut self) -> Vec<RawValue<'a>> {
        self.values.clear();
        self.values
    }

    /// Provider and event id, for the event filter.
    pub(crate) fn head(&self) -> Head<'_> {
        let v = Substitutions(&self.values);
        let s = &self.schema;
        let text = s.sys_text(SystemField::ProviderName);
        let provider = match text.map(Vec::as_slice) {
            Some([Piece::Lit(l)]) => Some(Cow::Borrowed(l.as_str())),
            _ => v.opt_text(text).map(Cow::Owned),
        };
        Head {
            provider,
            guid: s.provider_guid.or_else(|| v.guid(s.sys_text(SystemField::ProviderGuid))),
            event_id: v.num(s.sys_text(SystemField::EventId)).map(|n| (n & 0xffff_ffff) as u32).unwrap_or(0),
        }
    }

    /// Fills `ev` (which already has its provider name, id and origin) from the schema.
    pub(crate) fn finish(&self, data: &[u8], cache: &mut SchemaCache, ev: &mut Event) -> Result<(), DecodeError> {
        self.finish_partial(data, cache, ev)?;
        self.finish_rest(ev);
        Ok(())
    }

    /// The part of [`DecodedRecord::finish`] a reviewer sees for
    /// [`crate::contract::Selection::ReviewPartial`]: event source name, time,
    /// record id, computer, data items and `Binary`.
    pub(crate) fn finish_partial(
        &self,
        data: &[u8],
        cache: &mut SchemaCache,
        ev: &mut Event,
    ) -> Result<(), DecodeError> {
        let v = Substitutions(&self.values);
        let s = &self.schema;
        let t = |f: SystemField| s.sys_text(f);
        ev.provider.event_source_name = v.opt_text(t(SystemField::EventSourceName));
        self.stamp(ev);
        ev.computer = v.opt_text(t(SystemField::Computer));
        run_body(&s.body, &v, data, cache, ev, 0)
    }

    /// Sets `ev`'s time and record id from the record's `System` values,
    /// where it has them (the record header's are kept otherwise).
    pub(crate) fn stamp(&self, ev: &mut Event) {
        let v = Substitutions(&self.values);
        let s = &self.schema;
        if let Some(time) = v.time(s.sys_text(SystemField::TimeCreated)) {
            ev.time = Some(time);
        }
        if let Some(id) = v.num(s.sys_text(SystemField::RecordId)) {
            ev.record_id = Some(id);
        }
    }

    /// Writes to `out` the record's key of `kind`, and returns `false`, for
    /// a decode the slow way, when the record has none: plain elements, or a
    /// nested fragment where its bytes (which hold offsets into the chunk)
    /// rather than its content would be read.
    ///
    /// - A [`KeyKind::Content`] key: two records of one [`ContentCache`](crate::evtx::ContentCache)
    ///   with equal keys decode (partially, see [`DecodedRecord::finish_partial`])
    ///   to equal events but for their time, record id and origin.
    /// - A [`KeyKind::Line`] key: two records with equal keys have JSON
    ///   lines ([`crate::jsonl::write_line`]) that are equal but for their
    ///   per-record parts ([`DecodedRecord::per_record`] and the origin).
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
        shapes: &mut ShapeNumbers,
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
        let v = Substitutions(&self.values);
        let t = |f: SystemField| self.schema.sys_text(f);
        let (process_id, thread_id) = self.execution();
        PerRecord {
            time: v.time(t(SystemField::TimeCreated)).or(time),
            record_id: v.num(t(SystemField::RecordId)).unwrap_or(record_id),
            process_id,
            thread_id,
        }
    }

    /// `Execution/@ProcessID` and `@ThreadID`.
    fn execution(&self) -> (Option<u32>, Option<u32>) {
        let v = Substitutions(&self.values);
        let id = |f: SystemField| v.num(self.schema.sys_text(f)).and_then(|n| u32::try_from(n).ok());
        (id(SystemField::ProcessId), id(SystemField::ThreadId))
    }

    /// The rest of [`DecodedRecord::finish`] after [`DecodedRecord::finish_partial`].
    pub(crate) fn finish_rest(&self, ev: &mut Event) {
        let v = Substitutions(&self.values);
        let s = &self.schema;
        let t = |f: SystemField| s.sys_text(f);
        ev.qualifiers = v.num(t(SystemField::Qualifiers)).and_then(|n| u16::try_from(n).ok());
        ev.version = v.num(t(SystemField::Version)).and_then(|n| u8::try_from(n).ok());
        ev.level = v.num(t(SystemField::Level)).and_then(|n| u8::try_from(n).ok());
        ev.task = v.num(t(SystemField::Task)).and_then(|n| u16::try_from(n).ok());
        ev.opcode = v.num(t(SystemField::Opcode)).and_then(|n| u8::try_from(n).ok());
        ev.keywords = v.num(t(SystemField::Keywords));
        ev.activity_id = v.guid(t(SystemField::ActivityId));
        ev.related_activity_id = v.guid(t(SystemField::RelatedActivityId));
        (ev.process_id, ev.thread_id) = self.execution();
        ev.channel = v.opt_text(t(SystemField::Channel));
        ev.user_sid = v.opt_text(t(SystemField::UserSid));
        if let Some(m) = &s.message {
            ev.message = v.opt_text(Some(m));
        }
    }
}

/// Evaluates body ops, appending data items (and Binary) to `ev`.
fn run_body(
    ops: &[BodyOp],
    v: &Substitutions<'_, '_>,
    data: &[u8],
    cache: &mut SchemaCache,
    ev: &mut Event,
    depth: usize,
) -> Result<(), DecodeError> {
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
                    if v.get(*d).is_some_and(RawValue::is_null) {
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
fn nested(
    val: Option<&RawValue<'_>>,
    data: &[u8],
    cache: &mut SchemaCache,
    ev: &mut Event,
    depth: usize,
) -> Result<(), DecodeError> {
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
            run_body(&schema.body, &Substitutions(&values), data, cache, ev, depth + 1)
        }
        Content::Tree(nodes) => {
            let schema = compile(&nodes, false);
            run_body(&schema.body, &Substitutions(&[]), data, cache, ev, depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
