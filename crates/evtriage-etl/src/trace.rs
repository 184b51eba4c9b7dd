//! Walking a whole file: buffers, damage, ordering.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::bytes::{u16_at, u32_at, u8_at};
use crate::clock::Clock;
use crate::error::EtlError;
use crate::guid::Guid;
use crate::header::{BufferHeader, LogfileHeader, BUFFER_HEADER_SIZE};
use crate::ldap;
use crate::record::{align8, read_record, EtlEvent, HeaderKind, Step};
use crate::tracelogging;

/// Largest buffer size accepted (ETW allows at most 16 MiB; a larger value is damage).
pub const MAX_BUFFER_SIZE: u32 = 64 * 1024 * 1024;

/// Offset of the first record of a buffer.
const FIRST_RECORD: usize = BUFFER_HEADER_SIZE;

/// A buffer as found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferInfo {
    /// Index in file order (0 = first).
    pub index: u64,
    /// Byte offset of the buffer in the file.
    pub file_offset: u64,
    /// The buffer's header.
    pub header: BufferHeader,
    /// Records read from it (events and skipped messages).
    pub records: u32,
}

/// One damaged or unreadable part of the file, skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Index of the buffer in file order.
    pub buffer: u64,
    /// Byte offset of the buffer in the file.
    pub file_offset: u64,
    /// Offset of the damaged record inside the buffer, when the damage is a record.
    pub record_offset: Option<u32>,
    /// What is wrong.
    pub error: EtlError,
}

/// Counts over a whole trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    /// Buffers in the file (including damaged ones).
    pub buffers: u64,
    /// Buffers skipped entirely (damaged header, compressed).
    pub buffers_skipped: u64,
    /// Records by header kind, including the logfile header record and messages.
    pub by_kind: BTreeMap<HeaderKind, u64>,
    /// `EVENT_HEADER` records by provider GUID.
    pub by_provider: BTreeMap<Guid, u64>,
    /// Message (WPP) records recognised and skipped.
    pub messages_skipped: u64,
    /// Buffer slots that are all zeros (reserved, never written): passed
    /// over silently and not listed in [`Trace::buffers`] nor counted in `buffers`.
    pub empty_slots: u64,
}

/// A parsed trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// The `TRACE_LOGFILE_HEADER`, when readable.
    pub logfile: Option<LogfileHeader>,
    /// The clock used to convert times, when the logfile header was readable.
    pub clock: Option<Clock>,
    /// Every buffer, in file order (empty, all-zero slots excepted; see [`Stats::empty_slots`]).
    pub buffers: Vec<BufferInfo>,
    /// Every record except the logfile header record and messages, in
    /// trace order: per processor by buffer sequence number, processors
    /// merged by timestamp.
    pub events: Vec<EtlEvent>,
    /// What was skipped, and why.
    pub damage: Vec<Damage>,
    /// Counts.
    pub stats: Stats,
}

/// Whether `head` (the first bytes of a file) looks like an ETL trace: a
/// buffer header followed by a system record with hook id 0 (the logfile header).
pub fn looks_like_etl(head: &[u8]) -> bool {
    let size_ok = u32_at(head, 0).is_some_and(|s| s as usize > FIRST_RECORD + 32 && s <= MAX_BUFFER_SIZE);
    let kind_ok = matches!(u8_at(head, FIRST_RECORD + 2), Some(1 | 2)) && u8_at(head, FIRST_RECORD + 3) == Some(0xc0);
    let hook_ok = u16_at(head, FIRST_RECORD + 6) == Some(0);
    size_ok && kind_ok && hook_ok
}

fn valid_size(size: u32) -> bool {
    size as usize > FIRST_RECORD && size <= MAX_BUFFER_SIZE && size % 8 == 0
}

/// Parses a whole `.etl` file held in memory.
///
/// Fails only when the input is not an ETL trace at all; damage inside is
/// skipped and listed in [`Trace::damage`].
pub fn parse(bytes: &[u8]) -> Result<Trace, EtlError> {
    if !looks_like_etl(bytes) {
        return Err(EtlError::NotEtl("the first buffer does not start with a logfile header record".into()));
    }
    // The stride to use when a buffer header is damaged: the first buffer's
    // size, or the BufferSize of the logfile header (its first field).
    let nominal = [u32_at(bytes, 0), u32_at(bytes, FIRST_RECORD + 32)]
        .into_iter()
        .flatten()
        .find(|&s| valid_size(s))
        .ok_or_else(|| EtlError::NotEtl("no plausible buffer size".into()))? as usize;

    let mut trace = Trace::default();
    // Events of each buffer, in file order of buffers.
    let mut per_buffer: Vec<Vec<EtlEvent>> = Vec::new();
    let mut pos = 0usize;
    let mut index = 0u64;
    while pos < bytes.len() {
        let file_offset = pos as u64;
        let rest = bytes.get(pos..).unwrap_or_default();
        let damage = |error| Damage { buffer: index, file_offset, record_offset: None, error };
        // A slot of zeros is space the writer reserved but never filled
        // (a preallocated or not yet wrapped circular file): not damage.
        if rest.iter().take(BUFFER_HEADER_SIZE).all(|&b| b == 0) {
            trace.stats.empty_slots += 1;
            pos = pos.saturating_add(nominal);
            index += 1;
            continue;
        }
        let Some(header) = BufferHeader::parse(rest) else {
            trace.damage.push(damage(EtlError::Truncated {
                expected: BUFFER_HEADER_SIZE as u64,
                available: rest.len() as u64,
            }));
            trace.stats.buffers += 1;
            trace.stats.buffers_skipped += 1;
            break;
        };
        trace.stats.buffers += 1;
        let mut info = BufferInfo { index, file_offset, header, records: 0 };
        let mut events = Vec::new();
        let size = header.buffer_size as usize;
        let step = if valid_size(header.buffer_size) { size } else { nominal };
        if !valid_size(header.buffer_size) {
            trace.damage.push(damage(EtlError::BadBufferHeader(format!(
                "buffer size {:#x} is impossible",
                header.buffer_size
            ))));
            trace.stats.buffers_skipped += 1;
        } else if header.is_compressed() {
            trace.damage.push(damage(EtlError::Compressed));
            trace.stats.buffers_skipped += 1;
        } else if let Some(end) = header.data_end(size) {
            let available = rest.len().min(size);
            if available < size {
                trace.damage.push(damage(EtlError::Truncated { expected: size as u64, available: available as u64 }));
            }
            let data = rest.get(..end.min(available)).unwrap_or_default();
            read_buffer(data, &mut info, &mut events, &mut trace, index, file_offset);
        } else {
            trace.damage.push(damage(EtlError::BadBufferHeader(format!(
                "filled offset {:#x} and saved offset {:#x} lie outside the buffer",
                header.filled_offset, header.saved_offset
            ))));
            trace.stats.buffers_skipped += 1;
        }
        for e in &mut events {
            e.buffer = index;
            e.processor = u32::from(header.processor);
        }
        trace.buffers.push(info);
        per_buffer.push(events);
        pos = pos.saturating_add(step);
        index += 1;
    }

    // The logfile header is the first record of the first buffer.
    let first = per_buffer.first_mut().filter(|v| {
        v.first().is_some_and(|e| matches!(e.kind, HeaderKind::System32 | HeaderKind::System64) && e.hook_id == Some(0))
    });
    match first {
        Some(v) => {
            let e = v.remove(0);
            let ptr = if e.kind.is_64bit() { 8 } else { 4 };
            match LogfileHeader::parse(&e.payload, ptr, e.raw_timestamp) {
                Some(h) => {
                    trace.clock = Some(Clock::from_header(&h));
                    trace.logfile = Some(h);
                }
                None => trace.damage.push(Damage {
                    buffer: 0,
                    file_offset: 0,
                    record_offset: Some(e.offset),
                    error: EtlError::NoLogfileHeader("the header record is too short".into()),
                }),
            }
        }
        None => trace.damage.push(Damage {
            buffer: 0,
            file_offset: 0,
            record_offset: None,
            error: EtlError::NoLogfileHeader("the first buffer holds no header record; times are not converted".into()),
        }),
    }

    for e in per_buffer.iter_mut().flatten() {
        e.time = trace.clock.as_ref().and_then(|c| c.to_utc(e.raw_timestamp));
        if let (Some(p), Some(d)) = (e.provider, e.descriptor) {
            trace.stats.by_provider.entry(p).and_modify(|n| *n += 1).or_insert(1);
            if p == ldap::LDAP_CLIENT_PROVIDER {
                e.ldap = ldap::decode(d.id, &e.payload);
            }
            if e.ldap.is_none() {
                e.tracelogging = tracelogging::decode(&e.extended, &e.payload);
            }
        }
    }
    trace.events = merge(&trace.buffers, per_buffer);
    Ok(trace)
}

fn read_buffer(
    data: &[u8],
    info: &mut BufferInfo,
    events: &mut Vec<EtlEvent>,
    trace: &mut Trace,
    index: u64,
    file_offset: u64,
) {
    let mut off = FIRST_RECORD;
    // Each step advances by at least 8 bytes, so this ends.
    while off + 4 <= data.len() {
        match read_record(data, off) {
            Ok(Step::Event(mut ev, size)) => {
                ev.offset = off as u32;
                *trace.stats.by_kind.entry(ev.kind).or_insert(0) += 1;
                events.push(*ev);
                info.records += 1;
                off = align8(off + size.max(8));
            }
            Ok(Step::Message(size)) => {
                *trace.stats.by_kind.entry(HeaderKind::Message).or_insert(0) += 1;
                trace.stats.messages_skipped += 1;
                info.records += 1;
                off = align8(off + size.max(8));
            }
            Ok(Step::Damaged(size, error)) => {
                trace.damage.push(Damage { buffer: index, file_offset, record_offset: Some(off as u32), error });
                info.records += 1;
                off = align8(off + size.max(8));
            }
            Ok(Step::End) => break,
            Err(error) => {
                trace.damage.push(Damage { buffer: index, file_offset, record_offset: Some(off as u32), error });
                break;
            }
        }
    }
}

/// Orders events: each processor's buffers by sequence number (then file
/// order), then the processors merged by raw timestamp; ties go to the lower
/// processor, so the result is deterministic.
fn merge(buffers: &[BufferInfo], per_buffer: Vec<Vec<EtlEvent>>) -> Vec<EtlEvent> {
    let mut streams: BTreeMap<u16, Vec<(i64, u64, Vec<EtlEvent>)>> = BTreeMap::new();
    for (b, evs) in buffers.iter().zip(per_buffer) {
        if evs.is_empty() {
            continue;
        }
        streams.entry(b.header.processor).or_default().push((b.header.sequence_number, b.index, evs));
    }
    let mut lanes: Vec<std::vec::IntoIter<EtlEvent>> = Vec::new();
    for (_, mut bufs) in streams {
        bufs.sort_by_key(|(seq, idx, _)| (*seq, *idx));
        let lane: Vec<EtlEvent> = bufs.into_iter().flat_map(|(_, _, evs)| evs).collect();
        lanes.push(lane.into_iter());
    }
    let total = lanes.iter().map(|l| l.len()).sum();
    let mut out = Vec::with_capacity(total);
    let mut heads: Vec<Option<EtlEvent>> = lanes.iter_mut().map(Iterator::next).collect();
    let mut heap = BinaryHeap::new();
    for (i, h) in heads.iter().enumerate() {
        if let Some(e) = h {
            heap.push(Reverse((e.raw_timestamp, i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let Some(slot) = heads.get_mut(i) else { continue };
        if let Some(e) = slot.take() {
            out.push(e);
        }
        if let Some(next) = lanes.get_mut(i).and_then(Iterator::next) {
            heap.push(Reverse((next.raw_timestamp, i)));
            *slot = Some(next);
        }
    }
    out
}
