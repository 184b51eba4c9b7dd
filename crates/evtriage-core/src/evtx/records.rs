//! Finding the records of one chunk: the live records one after another, and,
//! like `evtx`'s `recover_records`, stale records carved from slack space.
//!
//! The `evtx` crate's record iterator also builds a render tree for every
//! record, which costs more than our whole typed decode; this walk only reads
//! record headers. Its rules follow the crate's (0.15.1) so that the same
//! records are found and the same damage is reported:
//!
//! - records are read from the end of the chunk header up to the free-space
//!   offset, stopping after the record whose id is the chunk's last;
//! - past a record that cannot be read, the walk resumes at the next record
//!   magic whose header, size copy and id (within the chunk's range) check
//!   out; the bad one is reported unless it is only zeroes where the free
//!   space really starts;
//! - with recovery on, the spans skipped that way and the slack after the
//!   last record are searched for intact stale records (magic, header and
//!   trailing size copy), which are returned marked `recovered`.

use evtx::EvtxChunkHeader;

const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;
const MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";

/// One record's place in the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord {
    /// Offset of the record header in the chunk.
    pub offset: usize,
    /// The record header's id.
    pub id: u64,
    /// The record header's FILETIME.
    pub filetime: u64,
    /// Start of the BinXML in the chunk.
    pub binxml_start: usize,
    /// End of the BinXML (exclusive).
    pub binxml_end: usize,
    /// Carved from slack space.
    pub recovered: bool,
}

/// What the walk found, in chunk order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A record.
    Record(RawRecord),
    /// A live record that could not be read, at `offset`.
    Bad {
        /// Offset of the damaged record in the chunk.
        offset: usize,
        /// Why.
        reason: String,
    },
}

/// Why a record header is unusable; `blank` for zeroes or a header cut short.
struct BadHeader {
    reason: String,
    blank: bool,
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// The record at `start` and the offset it ends at. A carved one must also
/// end with the copy of its size.
fn record_at(d: &[u8], start: usize, carving: bool) -> Result<(RawRecord, usize), BadHeader> {
    let blank = |what: &str| BadHeader { reason: what.to_string(), blank: true };
    let Some(head) = d.get(start..start.saturating_add(RECORD_HEADER_SIZE)).filter(|h| h.len() == RECORD_HEADER_SIZE)
    else {
        return Err(blank("record header cut short by the end of the chunk"));
    };
    if &head[0..4] != MAGIC {
        let zero = head[0..4] == [0, 0, 0, 0];
        return Err(BadHeader {
            reason: format!("invalid record header magic {:02x?} (expected 2a2a0000)", &head[0..4]),
            blank: zero,
        });
    }
    let size = u32_at(d, start + 4).unwrap_or(0) as usize;
    let id = u64_at(d, start + 8).unwrap_or(0);
    let filetime = u64_at(d, start + 16).unwrap_or(0);
    if size < RECORD_HEADER_SIZE + 4 {
        return Err(BadHeader {
            reason: format!("invalid record data size {size} (must be at least {})", RECORD_HEADER_SIZE + 4),
            blank: false,
        });
    }
    let binxml_start = start + RECORD_HEADER_SIZE;
    let binxml_end = binxml_start + (size - RECORD_HEADER_SIZE - 4);
    if binxml_end > d.len() {
        return Err(BadHeader { reason: format!("record {id} runs past the end of the chunk"), blank: false });
    }
    if carving && u32_at(d, binxml_end) != Some(size as u32) {
        return Err(BadHeader { reason: "size copy mismatch".into(), blank: false });
    }
    let raw = RawRecord { offset: start, id, filetime, binxml_start, binxml_end, recovered: carving };
    Ok((raw, start + size))
}

fn find_magic(d: &[u8], from: usize, until: usize) -> Option<usize> {
    let until = until.min(d.len());
    let from = from.min(until);
    memchr::memmem::find(d.get(from..until)?, MAGIC).map(|hit| from + hit)
}

/// Walks the records of one chunk (`data` is the whole 64 KiB chunk). With
/// `present`, only the first `present` bytes are real (an incomplete chunk
/// padded with zeroes): a record that does not end inside them is reported.
pub(crate) fn walk(data: &[u8], header: &EvtxChunkHeader, recover: bool, present: Option<usize>) -> Vec<Step> {
    let data = match present {
        Some(n) => data.get(..n).unwrap_or(data),
        None => data,
    };
    let mut out = Vec::with_capacity(256);
    let live_end = (header.free_space_offset as usize).min(data.len());
    let ids = header.first_event_record_id..=header.last_event_record_id;
    let search_end = live_end.min((header.last_event_record_data_offset as usize).saturating_add(4));

    // The next live record at or after `from`.
    let find_live = |mut from: usize| -> Option<usize> {
        while let Some(pos) = find_magic(data, from, search_end) {
            if let Ok((raw, end)) = record_at(data, pos, true) {
                if end <= live_end && ids.contains(&raw.id) {
                    return Some(pos);
                }
            }
            from = pos + 1;
        }
        None
    };
    let carve = |from: usize, to: usize, out: &mut Vec<Step>| {
        if !recover {
            return;
        }
        let mut at = from;
        while let Some(pos) = find_magic(data, at, to) {
            match record_at(data, pos, true) {
                Ok((raw, end)) if end <= to => {
                    out.push(Step::Record(raw));
                    at = end;
                }
                _ => at = pos + 1,
            }
        }
    };

    let mut offset = CHUNK_HEADER_SIZE;
    loop {
        if offset >= live_end {
            carve(offset, data.len(), &mut out);
            break;
        }
        match record_at(data, offset, false) {
            Ok((raw, end)) => {
                out.push(Step::Record(raw));
                if raw.id == header.last_event_record_id {
                    carve(end, data.len(), &mut out);
                    break;
                }
                offset = end;
            }
            Err(bad) => {
                let next = find_live(offset + 1);
                if next.is_some() || !bad.blank {
                    out.push(Step::Bad { offset, reason: bad.reason });
                }
                match next {
                    Some(n) => {
                        carve(offset, n, &mut out);
                        offset = n;
                    }
                    None => {
                        carve(offset, data.len(), &mut out);
                        break;
                    }
                }
            }
        }
    }
    out
}
