//! Records inside a buffer and their header kinds.
//!
//! Every record starts with a 32-bit marker. When its top two bits are set
//! (`0xC0` in byte 3, `TRACE_HEADER_FLAG | TRACE_HEADER_EVENT_TRACE`), byte 2
//! is the header type ([`HeaderKind`]). When byte 3 is `0x9?`
//! (`TRACE_HEADER_FLAG | TRACE_MESSAGE`) the record is a message (WPP)
//! record, which this reader recognises and skips. Records are 8-byte aligned.
//!
//! Header layouts (sizes in bytes):
//! - system (32/64): version u16, type, flags, size u16, hook id u16, thread,
//!   process, system time u64, kernel time, user time — 32; compact: 24;
//! - PerfInfo (32/64): version u16, type, flags, size u16, hook id u16, time u64 — 16;
//! - `EVENT_TRACE_HEADER` (full, 32/64): size u16, type, flags, class (type,
//!   level, version u16), thread, process, time u64, GUID, processor time u64 — 48;
//! - instance (32/64): in buffers this is `EVENT_INSTANCE_GUID_HEADER`, which
//!   NTDLL builds from a `TraceEventInstance` call: as full up to the GUID,
//!   then processor time u64, instance id, parent instance id, parent GUID — 72;
//! - `EVENT_HEADER` (32/64): size u16, type, flags, header flags u16, property
//!   u16, thread, process, time u64, provider GUID, `EVENT_DESCRIPTOR` (16),
//!   processor time u64, activity GUID — 80, then extended data items when
//!   header flag 0x1 is set, then the user data.
//!
//! "32" and "64" name the pointer size of the writer; it changes the MOF data
//! after kernel headers, not these headers.

use chrono::{DateTime, Utc};

use crate::bytes::{array16_at, i64_at, u16_at, u32_at, u64_at, u8_at};
use crate::error::EtlError;
pub use crate::extended::{sid_to_string, ExtendedItem};
use crate::guid::Guid;
use crate::ldap::LdapClientEvent;
use crate::tracelogging::TlEvent;

/// The kind of header a record uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeaderKind {
    /// `SYSTEM_TRACE_HEADER`, 32-bit writer (type 0x01).
    System32,
    /// `SYSTEM_TRACE_HEADER`, 64-bit writer (type 0x02).
    System64,
    /// Compact system header, 32-bit (type 0x03).
    Compact32,
    /// Compact system header, 64-bit (type 0x04).
    Compact64,
    /// `EVENT_TRACE_HEADER`, 32-bit (type 0x0A).
    Full32,
    /// Instance record (`EVENT_INSTANCE_GUID_HEADER`), 32-bit (type 0x0B).
    Instance32,
    /// `PERFINFO_TRACE_HEADER`, 32-bit (type 0x10).
    PerfInfo32,
    /// `PERFINFO_TRACE_HEADER`, 64-bit (type 0x11).
    PerfInfo64,
    /// `EVENT_HEADER`, 32-bit (type 0x12).
    EventHeader32,
    /// `EVENT_HEADER`, 64-bit (type 0x13).
    EventHeader64,
    /// `EVENT_TRACE_HEADER`, 64-bit (type 0x14).
    Full64,
    /// Instance record (`EVENT_INSTANCE_GUID_HEADER`), 64-bit (type 0x15).
    Instance64,
    /// A message (WPP / `TraceMessage`) record; recognised and skipped.
    Message,
}

impl HeaderKind {
    /// The kind for a header type byte (byte 2 of the marker), if supported.
    pub fn from_type(t: u8) -> Option<HeaderKind> {
        Some(match t {
            0x01 => HeaderKind::System32,
            0x02 => HeaderKind::System64,
            0x03 => HeaderKind::Compact32,
            0x04 => HeaderKind::Compact64,
            0x0a => HeaderKind::Full32,
            0x0b => HeaderKind::Instance32,
            0x10 => HeaderKind::PerfInfo32,
            0x11 => HeaderKind::PerfInfo64,
            0x12 => HeaderKind::EventHeader32,
            0x13 => HeaderKind::EventHeader64,
            0x14 => HeaderKind::Full64,
            0x15 => HeaderKind::Instance64,
            _ => return None,
        })
    }

    /// The header type byte of this kind (`None` for messages).
    pub fn type_byte(self) -> Option<u8> {
        Some(match self {
            HeaderKind::System32 => 0x01,
            HeaderKind::System64 => 0x02,
            HeaderKind::Compact32 => 0x03,
            HeaderKind::Compact64 => 0x04,
            HeaderKind::Full32 => 0x0a,
            HeaderKind::Instance32 => 0x0b,
            HeaderKind::PerfInfo32 => 0x10,
            HeaderKind::PerfInfo64 => 0x11,
            HeaderKind::EventHeader32 => 0x12,
            HeaderKind::EventHeader64 => 0x13,
            HeaderKind::Full64 => 0x14,
            HeaderKind::Instance64 => 0x15,
            HeaderKind::Message => return None,
        })
    }

    /// A short snake-case name (`event_header64`, `system32`, …), used in output.
    pub fn name(self) -> &'static str {
        match self {
            HeaderKind::System32 => "system32",
            HeaderKind::System64 => "system64",
            HeaderKind::Compact32 => "compact32",
            HeaderKind::Compact64 => "compact64",
            HeaderKind::Full32 => "full32",
            HeaderKind::Instance32 => "instance32",
            HeaderKind::PerfInfo32 => "perfinfo32",
            HeaderKind::PerfInfo64 => "perfinfo64",
            HeaderKind::EventHeader32 => "event_header32",
            HeaderKind::EventHeader64 => "event_header64",
            HeaderKind::Full64 => "full64",
            HeaderKind::Instance64 => "instance64",
            HeaderKind::Message => "message",
        }
    }

    /// Whether the writer was 64-bit (pointer size 8).
    pub fn is_64bit(self) -> bool {
        matches!(
            self,
            HeaderKind::System64
                | HeaderKind::Compact64
                | HeaderKind::PerfInfo64
                | HeaderKind::EventHeader64
                | HeaderKind::Full64
                | HeaderKind::Instance64
        )
    }

    /// Whether this is a kernel header (system, compact or PerfInfo), whose
    /// size is at offset 4 and whose event is named by a hook id.
    pub fn is_kernel(self) -> bool {
        matches!(
            self,
            HeaderKind::System32
                | HeaderKind::System64
                | HeaderKind::Compact32
                | HeaderKind::Compact64
                | HeaderKind::PerfInfo32
                | HeaderKind::PerfInfo64
        )
    }

    /// Size of the fixed header, in bytes.
    pub fn header_size(self) -> usize {
        match self {
            HeaderKind::System32 | HeaderKind::System64 => 32,
            HeaderKind::Compact32 | HeaderKind::Compact64 => 24,
            HeaderKind::PerfInfo32 | HeaderKind::PerfInfo64 => 16,
            HeaderKind::Full32 | HeaderKind::Full64 => 48,
            HeaderKind::Instance32 | HeaderKind::Instance64 => 72,
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => 80,
            HeaderKind::Message => 8,
        }
    }
}

/// `EVENT_DESCRIPTOR` of an `EVENT_HEADER` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventDescriptor {
    /// Event id.
    pub id: u16,
    /// Event version.
    pub version: u8,
    /// Channel.
    pub channel: u8,
    /// Level (1 critical … 5 verbose).
    pub level: u8,
    /// Opcode.
    pub opcode: u8,
    /// Task.
    pub task: u16,
    /// Keywords.
    pub keywords: u64,
}

/// The class of a classic `EVENT_TRACE_HEADER` / instance record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceClass {
    /// Event type (the opcode of classic providers).
    pub kind: u8,
    /// Level.
    pub level: u8,
    /// Version.
    pub version: u16,
}

/// One record of a trace, decoded as far as its header kind allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtlEvent {
    /// The record's header kind.
    pub kind: HeaderKind,
    /// Index of the buffer in file order (0 = the first buffer).
    pub buffer: u64,
    /// Offset of the record inside its buffer.
    pub offset: u32,
    /// The processor whose buffer holds the record.
    pub processor: u32,
    /// The raw timestamp, in the trace's clock units.
    pub raw_timestamp: i64,
    /// The timestamp in UTC, when the trace's clock is known.
    pub time: Option<DateTime<Utc>>,
    /// Provider GUID (`EVENT_HEADER`) or event class GUID (full and instance records).
    pub provider: Option<Guid>,
    /// Event descriptor (`EVENT_HEADER` records).
    pub descriptor: Option<EventDescriptor>,
    /// Class (full and instance records).
    pub class: Option<TraceClass>,
    /// Hook id (kernel records): group in the high byte, type in the low byte.
    pub hook_id: Option<u16>,
    /// Version field of kernel records.
    pub kernel_version: Option<u16>,
    /// `EVENT_HEADER` flags (0x1 extended info, 0x20 32-bit, 0x40 64-bit, …).
    pub header_flags: u16,
    /// Process id, when the header carries one.
    pub process_id: Option<u32>,
    /// Thread id, when the header carries one.
    pub thread_id: Option<u32>,
    /// Activity id (`EVENT_HEADER`), when not all zero.
    pub activity_id: Option<Guid>,
    /// Extended data items (`EVENT_HEADER` with flag 0x1).
    pub extended: Vec<ExtendedItem>,
    /// The user data (or MOF data) after the header.
    pub payload: Vec<u8>,
    /// Decoded Microsoft-Windows-LDAP-Client fields, for that provider's events.
    pub ldap: Option<LdapClientEvent>,
    /// Decoded TraceLogging (self-describing) event: names and field values.
    pub tracelogging: Option<TlEvent>,
}

impl EtlEvent {
    /// The event id: the descriptor id of `EVENT_HEADER` records, the class
    /// type of classic records, the hook type (low byte) of kernel records.
    pub fn event_id(&self) -> u16 {
        if let Some(d) = &self.descriptor {
            d.id
        } else if let Some(c) = &self.class {
            u16::from(c.kind)
        } else {
            self.hook_id.map(|h| h & 0xff).unwrap_or(0)
        }
    }

    /// The level, when the header carries one.
    pub fn level(&self) -> Option<u8> {
        self.descriptor.map(|d| d.level).or(self.class.map(|c| c.level))
    }

    fn blank(kind: HeaderKind, raw_timestamp: i64) -> EtlEvent {
        EtlEvent {
            kind,
            buffer: 0,
            offset: 0,
            processor: 0,
            raw_timestamp,
            time: None,
            provider: None,
            descriptor: None,
            class: None,
            hook_id: None,
            kernel_version: None,
            header_flags: 0,
            process_id: None,
            thread_id: None,
            activity_id: None,
            extended: Vec::new(),
            payload: Vec::new(),
            ldap: None,
            tracelogging: None,
        }
    }
}

/// What one step through a buffer found.
#[derive(Debug)]
pub(crate) enum Step {
    /// A record; `size` bytes long (before alignment).
    Event(Box<EtlEvent>, usize),
    /// A message record of `size` bytes, skipped.
    Message(usize),
    /// A record of sound size but damaged inside, skipped.
    Damaged(usize, EtlError),
    /// The data ends here (padding or an empty tail).
    End,
}

/// Reads the record at `off` in `data` (the buffer bytes up to the end of
/// its filled part).
pub(crate) fn read_record(data: &[u8], off: usize) -> Result<Step, EtlError> {
    let room = data.len().saturating_sub(off);
    let Some(marker) = u32_at(data, off) else {
        return Ok(Step::End);
    };
    // Unused space is filled with 0xFF (and sometimes zero).
    if marker == 0xffff_ffff || marker == 0 {
        return Ok(Step::End);
    }
    let flags = (marker >> 24) as u8;
    let type_byte = ((marker >> 16) & 0xff) as u8;
    if flags & 0xc0 == 0xc0 {
        let kind = HeaderKind::from_type(type_byte).ok_or(EtlError::UnknownRecord { marker })?;
        let size = if kind.is_kernel() { u16_at(data, off + 4) } else { u16_at(data, off) };
        let size = usize::from(size.unwrap_or(0));
        if size < kind.header_size() || size > room {
            return Err(EtlError::BadRecordSize { size: size as u64, room: room as u64 });
        }
        let rec = data.get(off..off + size).ok_or(EtlError::BadRecordSize { size: size as u64, room: room as u64 })?;
        return Ok(match decode(kind, rec) {
            Some(ev) => Step::Event(Box::new(ev), size),
            None => Step::Damaged(
                size,
                EtlError::BadRecord(format!("the {} record's fields do not fit its size", kind.name())),
            ),
        });
    }
    if flags & 0xf0 == 0x90 {
        // MESSAGE_TRACE_HEADER: size u16, then flags; the rest depends on
        // option flags and on the message format (TMF), which we do not have.
        let size = usize::from((marker & 0xffff) as u16);
        if size < HeaderKind::Message.header_size() || size > room {
            return Err(EtlError::BadRecordSize { size: size as u64, room: room as u64 });
        }
        return Ok(Step::Message(size));
    }
    Err(EtlError::UnknownRecord { marker })
}

fn decode(kind: HeaderKind, rec: &[u8]) -> Option<EtlEvent> {
    let hs = kind.header_size();
    let mut ev;
    match kind {
        HeaderKind::System32
        | HeaderKind::System64
        | HeaderKind::Compact32
        | HeaderKind::Compact64
        | HeaderKind::PerfInfo32
        | HeaderKind::PerfInfo64 => {
            let perf = matches!(kind, HeaderKind::PerfInfo32 | HeaderKind::PerfInfo64);
            let ts = if perf { i64_at(rec, 8)? } else { i64_at(rec, 16)? };
            ev = EtlEvent::blank(kind, ts);
            ev.kernel_version = Some(u16_at(rec, 0)?);
            ev.hook_id = Some(u16_at(rec, 6)?);
            if !perf {
                ev.thread_id = Some(u32_at(rec, 8)?);
                ev.process_id = Some(u32_at(rec, 12)?);
            }
            ev.payload = rec.get(hs..)?.to_vec();
        }
        HeaderKind::Full32 | HeaderKind::Full64 | HeaderKind::Instance32 | HeaderKind::Instance64 => {
            ev = EtlEvent::blank(kind, i64_at(rec, 16)?);
            ev.class = Some(TraceClass { kind: u8_at(rec, 4)?, level: u8_at(rec, 5)?, version: u16_at(rec, 6)? });
            ev.thread_id = Some(u32_at(rec, 8)?);
            ev.process_id = Some(u32_at(rec, 12)?);
            ev.provider = Some(Guid(array16_at(rec, 24)?));
            ev.payload = rec.get(hs..)?.to_vec();
        }
        HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => {
            ev = EtlEvent::blank(kind, i64_at(rec, 16)?);
            ev.header_flags = u16_at(rec, 4)?;
            ev.thread_id = Some(u32_at(rec, 8)?);
            ev.process_id = Some(u32_at(rec, 12)?);
            ev.provider = Some(Guid(array16_at(rec, 24)?));
            ev.descriptor = Some(EventDescriptor {
                id: u16_at(rec, 40)?,
                version: u8_at(rec, 42)?,
                channel: u8_at(rec, 43)?,
                level: u8_at(rec, 44)?,
                opcode: u8_at(rec, 45)?,
                task: u16_at(rec, 46)?,
                keywords: u64_at(rec, 48)?,
            });
            let activity = Guid(array16_at(rec, 64)?);
            ev.activity_id = (!activity.is_nil()).then_some(activity);
            let mut pos = hs;
            if ev.header_flags & 0x1 != 0 {
                // Extended items: reserved u16, type u16, linkage (bit 0) u16,
                // size u16, data; each item 8-byte aligned. At most one item
                // per 8 bytes, so this loop is bounded by the record size.
                loop {
                    let ext_type = u16_at(rec, pos + 2)?;
                    let linkage = u16_at(rec, pos + 4)?;
                    let len = usize::from(u16_at(rec, pos + 6)?);
                    let data = rec.get(pos + 8..pos + 8 + len)?.to_vec();
                    ev.extended.push(ExtendedItem { ext_type, data });
                    pos = align8(pos + 8 + len);
                    if linkage & 1 == 0 {
                        break;
                    }
                }
            }
            ev.payload = rec.get(pos.min(rec.len())..)?.to_vec();
        }
        HeaderKind::Message => return None,
    }
    Some(ev)
}

/// Rounds up to a multiple of 8.
pub(crate) fn align8(n: usize) -> usize {
    n.saturating_add(7) & !7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_type_byte() {
        for t in 0u8..=0xff {
            if let Some(k) = HeaderKind::from_type(t) {
                assert_eq!(k.type_byte(), Some(t));
            }
        }
        assert_eq!(HeaderKind::from_type(0x0f), None);
        assert_eq!(HeaderKind::EventHeader64.name(), "event_header64");
        assert!(HeaderKind::PerfInfo32.is_kernel());
        assert!(!HeaderKind::PerfInfo32.is_64bit());
    }

    #[test]
    fn extended_items_give_sid_and_related_activity() {
        let mut sid = vec![1u8, 2, 0, 0, 0, 0, 0, 5];
        sid.extend(32u32.to_le_bytes());
        sid.extend(544u32.to_le_bytes());
        let item = ExtendedItem { ext_type: ExtendedItem::SID, data: sid.clone() };
        assert_eq!(item.sid().as_deref(), Some("S-1-5-32-544"));
        assert_eq!(item.related_activity_id(), None);
        assert_eq!(sid_to_string(&sid[..10]), None);
        let rel = ExtendedItem { ext_type: 1, data: vec![7; 16] };
        assert_eq!(rel.related_activity_id(), Some(Guid([7; 16])));
    }

    #[test]
    fn padding_ends_and_garbage_is_typed() {
        assert!(matches!(read_record(&[0xff; 16], 0), Ok(Step::End)));
        assert!(matches!(read_record(&[0x10, 0, 0x55, 0x00, 0, 0, 0, 0], 0), Err(EtlError::UnknownRecord { .. })));
        // An EVENT_HEADER claiming 8 bytes is smaller than its header.
        // Extended items announced (flag 0x1) but running past the record: only that record is lost.
        let mut rec = vec![0u8; 96];
        rec[..4].copy_from_slice(&[96, 0, 0x13, 0xc0]);
        rec[4] = 1;
        rec[86] = 0xff; // item size 0xff at 80 + 6
        assert!(matches!(read_record(&rec, 0), Ok(Step::Damaged(96, EtlError::BadRecord(_)))));
        assert!(matches!(
            read_record(&[8, 0, 0x13, 0xc0, 0, 0, 0, 0], 0),
            Err(EtlError::BadRecordSize { size: 8, .. })
        ));
    }
}
