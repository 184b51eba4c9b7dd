//! A small ETL *writer*, for tests only (feature `writer`).
//!
//! It builds traces with known content — a logfile header buffer, then
//! buffers per processor holding `EVENT_HEADER` (32- or 64-bit) records or any
//! pre-encoded record — and lays the buffers out in order or rotated, the way
//! a wrapped circular (`bincirc`) file stores them. It writes what the reader
//! expects from real files; it is not a general ETW producer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::clock::utc_to_filetime;
use crate::guid::Guid;
use crate::header::{BUFFER_HEADER_SIZE, LOG_FILE_MODE_CIRCULAR};
use crate::ldap::LDAP_CLIENT_PROVIDER;
use crate::record::align8;

/// How the trace is set up.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Size of every buffer (a multiple of 8, at least 512).
    pub buffer_size: u32,
    /// Pointer size of the "writing system": 8 writes a `system64` header record, 4 a `system32` one.
    pub pointer_size: u32,
    /// Clock type written in the header (1 QPC, 2 system time, 3 CPU cycles).
    pub clock_type: u32,
    /// QPC frequency (Hz).
    pub perf_freq: i64,
    /// CPU speed (MHz), for the CPU-cycle clock.
    pub cpu_speed_mhz: u32,
    /// Trace start (UTC).
    pub start_time: DateTime<Utc>,
    /// Raw clock reading at `start_time`.
    pub start_raw: i64,
    /// Number of processors written in the header.
    pub processors: u32,
    /// Whether the header says circular mode.
    pub circular: bool,
    /// Session name.
    pub logger_name: String,
    /// Log file path.
    pub log_file_name: String,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            buffer_size: 4096,
            pointer_size: 8,
            clock_type: 1,
            perf_freq: 10_000_000,
            cpu_speed_mhz: 2000,
            start_time: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            start_raw: 1_000_000,
            processors: 4,
            circular: false,
            logger_name: "evtriage-test".into(),
            log_file_name: "c:\\boot-ldap.etl".into(),
        }
    }
}

/// One `EVENT_HEADER` event to write.
#[derive(Debug, Clone, Default)]
pub struct EventSpec {
    /// Provider GUID.
    pub provider: Guid,
    /// Event id.
    pub id: u16,
    /// Event version.
    pub version: u8,
    /// Level.
    pub level: u8,
    /// Keywords.
    pub keywords: u64,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Raw timestamp (clock units).
    pub raw_time: i64,
    /// The processor whose buffer gets the event.
    pub processor: u16,
    /// Write a 32-bit (`0x12`) rather than 64-bit (`0x13`) header.
    pub header32: bool,
    /// Extended data items (type, bytes).
    pub extended: Vec<(u16, Vec<u8>)>,
    /// User data.
    pub payload: Vec<u8>,
}

impl EventSpec {
    /// A Microsoft-Windows-LDAP-Client message event (ids 1–29).
    pub fn ldap_message(id: u16, text: &str, raw_time: i64, processor: u16) -> EventSpec {
        EventSpec {
            provider: LDAP_CLIENT_PROVIDER,
            id,
            level: 5,
            keywords: 0x100,
            pid: 812,
            tid: 900 + u32::from(processor),
            raw_time,
            processor,
            payload: ldap_message_payload(text),
            ..EventSpec::default()
        }
    }
}

/// The user data of an LDAP client message event: ANSI text and a NUL.
pub fn ldap_message_payload(text: &str) -> Vec<u8> {
    let mut v = text.as_bytes().to_vec();
    v.push(0);
    v
}

/// The user data of LDAP client event 30 (search).
pub fn ldap_search_payload(scope: u32, filter: &str, dn: &str, attributes: &str, pid: u32) -> Vec<u8> {
    let mut v = scope.to_le_bytes().to_vec();
    for s in [filter, dn, attributes] {
        v.extend(s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    }
    v.extend(pid.to_le_bytes());
    v
}

/// Encodes an `EVENT_HEADER` record (unpadded).
pub fn encode_event(e: &EventSpec) -> Vec<u8> {
    let mut ext = Vec::new();
    for (i, (t, data)) in e.extended.iter().enumerate() {
        let more = u16::from(i + 1 < e.extended.len());
        ext.extend(0u16.to_le_bytes());
        ext.extend(t.to_le_bytes());
        ext.extend(more.to_le_bytes());
        ext.extend((data.len() as u16).to_le_bytes());
        ext.extend(data);
        ext.resize(align8(ext.len()), 0);
    }
    let size = 80 + ext.len() + e.payload.len();
    let mut flags: u16 = if e.header32 { 0x20 } else { 0x40 };
    if !e.extended.is_empty() {
        flags |= 0x1;
    }
    let mut r = Vec::with_capacity(size);
    r.extend((size as u16).to_le_bytes());
    r.push(if e.header32 { 0x12 } else { 0x13 });
    r.push(0xc0);
    r.extend(flags.to_le_bytes());
    r.extend(0u16.to_le_bytes());
    r.extend(e.tid.to_le_bytes());
    r.extend(e.pid.to_le_bytes());
    r.extend(e.raw_time.to_le_bytes());
    r.extend(e.provider.0);
    r.extend(e.id.to_le_bytes());
    r.push(e.version);
    r.push(0x10); // channel
    r.push(e.level);
    r.push(0); // opcode
    r.extend(0u16.to_le_bytes()); // task
    r.extend(e.keywords.to_le_bytes());
    r.extend(0u64.to_le_bytes()); // processor time
    r.extend([0u8; 16]); // activity id
    r.extend(ext);
    r.extend(&e.payload);
    r
}

/// Encodes a kernel record: system (`0x01`/`0x02`), compact (`0x03`/`0x04`)
/// or PerfInfo (`0x10`/`0x11`), with `hook_id` and MOF `data`.
pub fn encode_kernel(type_byte: u8, hook_id: u16, tid: u32, pid: u32, raw_time: i64, data: &[u8]) -> Vec<u8> {
    let hs = match type_byte {
        0x01 | 0x02 => 32,
        0x03 | 0x04 => 24,
        _ => 16,
    };
    let size = hs + data.len();
    let mut r = Vec::with_capacity(size);
    r.extend(2u16.to_le_bytes());
    r.push(type_byte);
    r.push(0xc0);
    r.extend((size as u16).to_le_bytes());
    r.extend(hook_id.to_le_bytes());
    if hs == 16 {
        r.extend(raw_time.to_le_bytes());
    } else {
        r.extend(tid.to_le_bytes());
        r.extend(pid.to_le_bytes());
        r.extend(raw_time.to_le_bytes());
        if hs == 32 {
            r.extend([0u8; 8]);
        }
    }
    r.extend(data);
    r
}

/// Encodes a classic `EVENT_TRACE_HEADER` record (`0x0A` 32-bit / `0x14` 64-bit).
#[allow(clippy::too_many_arguments)]
pub fn encode_full(
    header64: bool,
    guid: Guid,
    class_type: u8,
    level: u8,
    tid: u32,
    pid: u32,
    raw_time: i64,
    data: &[u8],
) -> Vec<u8> {
    let size = 48 + data.len();
    let mut r = Vec::with_capacity(size);
    r.extend((size as u16).to_le_bytes());
    r.push(if header64 { 0x14 } else { 0x0a });
    r.push(0xc0);
    r.push(class_type);
    r.push(level);
    r.extend(0u16.to_le_bytes());
    r.extend(tid.to_le_bytes());
    r.extend(pid.to_le_bytes());
    r.extend(raw_time.to_le_bytes());
    r.extend(guid.0);
    r.extend(0u64.to_le_bytes());
    r.extend(data);
    r
}

/// Encodes an instance record (`EVENT_INSTANCE_GUID_HEADER`, `0x0B` 32-bit /
/// `0x15` 64-bit) with instance ids 1 and 0 and a nil parent GUID.
pub fn encode_instance(header64: bool, guid: Guid, class_type: u8, raw_time: i64, data: &[u8]) -> Vec<u8> {
    let size = 72 + data.len();
    let mut r = Vec::with_capacity(size);
    r.extend((size as u16).to_le_bytes());
    r.push(if header64 { 0x15 } else { 0x0b });
    r.push(0xc0);
    r.push(class_type);
    r.push(4);
    r.extend(0u16.to_le_bytes());
    r.extend(21u32.to_le_bytes());
    r.extend(22u32.to_le_bytes());
    r.extend(raw_time.to_le_bytes());
    r.extend(guid.0);
    r.extend(0u64.to_le_bytes());
    r.extend(1u32.to_le_bytes());
    r.extend(0u32.to_le_bytes());
    r.extend([0u8; 16]);
    r.extend(data);
    r
}

/// Encodes a message (WPP) record of `data` bytes after its 8-byte header.
pub fn encode_message(message_number: u16, data: &[u8]) -> Vec<u8> {
    let size = 8 + data.len();
    let mut r = Vec::with_capacity(size);
    r.extend((size as u16).to_le_bytes());
    r.extend(0x9000u16.to_le_bytes());
    r.extend(message_number.to_le_bytes());
    r.extend(0u16.to_le_bytes());
    r.extend(data);
    r
}

/// Where the data buffers go in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// In the order they were filled.
    InOrder,
    /// Rotated left by `n` slots, as a circular file that wrapped: the
    /// newest buffers come first after the header, the oldest later.
    Rotated(usize),
}

struct Sealed {
    processor: u16,
    sequence: i64,
    timestamp: i64,
    data: Vec<u8>,
}

/// Builds an ETL file. See the [module docs](self).
pub struct EtlWriter {
    cfg: WriterConfig,
    open: BTreeMap<u16, (Vec<u8>, i64)>,
    sealed: Vec<Sealed>,
    next_sequence: i64,
}

impl EtlWriter {
    /// A writer with `cfg`.
    pub fn new(cfg: WriterConfig) -> EtlWriter {
        EtlWriter { cfg, open: BTreeMap::new(), sealed: Vec::new(), next_sequence: 1 }
    }

    /// Appends an `EVENT_HEADER` event to its processor's buffer.
    pub fn event(&mut self, e: &EventSpec) {
        let rec = encode_event(e);
        self.record(e.processor, e.raw_time, &rec);
    }

    /// Appends a pre-encoded record (8-byte aligned here) to `processor`'s
    /// buffer, sealing the buffer first when it would not fit.
    pub fn record(&mut self, processor: u16, raw_time: i64, rec: &[u8]) {
        let room = self.cfg.buffer_size as usize - BUFFER_HEADER_SIZE;
        let need = align8(rec.len());
        let fits = self.open.get(&processor).is_none_or(|(d, _)| d.len() + need <= room);
        if !fits {
            self.flush(processor);
        }
        let (data, ts) = self.open.entry(processor).or_insert_with(|| (Vec::new(), raw_time));
        data.extend(rec);
        data.resize(align8(data.len()), 0);
        *ts = raw_time;
    }

    /// Seals `processor`'s current buffer, giving it the next sequence number.
    pub fn flush(&mut self, processor: u16) {
        if let Some((data, ts)) = self.open.remove(&processor) {
            self.sealed.push(Sealed { processor, sequence: self.next_sequence, timestamp: ts, data });
            self.next_sequence += 1;
        }
    }

    /// Seals every open buffer and returns the file bytes.
    pub fn finish(mut self, layout: Layout) -> Vec<u8> {
        let procs: Vec<u16> = self.open.keys().copied().collect();
        for p in procs {
            self.flush(p);
        }
        let mut out = self.header_buffer();
        let n = self.sealed.len();
        let order: Vec<usize> = match layout {
            Layout::InOrder => (0..n).collect(),
            Layout::Rotated(k) => (0..n).map(|i| (i + k) % n.max(1)).collect(),
        };
        for i in order {
            if let Some(s) = self.sealed.get(i) {
                out.extend(self.buffer(s.processor, s.sequence, s.timestamp, 0x20, 0, &s.data));
            }
        }
        out
    }

    fn buffer(&self, processor: u16, sequence: i64, timestamp: i64, flags: u16, kind: u16, data: &[u8]) -> Vec<u8> {
        let size = self.cfg.buffer_size as usize;
        let filled = (BUFFER_HEADER_SIZE + data.len()) as u32;
        let mut b = Vec::with_capacity(size);
        b.extend(self.cfg.buffer_size.to_le_bytes());
        b.extend(filled.to_le_bytes()); // saved offset
        b.extend((filled + self.cfg.buffer_size).to_le_bytes()); // current offset, as real files show
        b.extend(0i32.to_le_bytes());
        b.extend(timestamp.to_le_bytes());
        b.extend(sequence.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend(processor.to_le_bytes());
        b.extend(0x14u16.to_le_bytes()); // logger id
        b.extend(3u32.to_le_bytes()); // state
        b.extend(filled.to_le_bytes());
        b.extend(flags.to_le_bytes());
        b.extend(kind.to_le_bytes());
        b.extend([0u8; 16]);
        b.extend(data);
        b.resize(size, 0xff);
        b
    }

    fn header_buffer(&self) -> Vec<u8> {
        let c = &self.cfg;
        let ptr: u32 = if c.pointer_size == 4 { 4 } else { 8 };
        let mut h = Vec::new();
        h.extend(c.buffer_size.to_le_bytes());
        h.extend([10, 0, 0, 0]);
        h.extend(19041u32.to_le_bytes());
        h.extend(c.processors.to_le_bytes());
        h.extend(0i64.to_le_bytes()); // end time: not stopped cleanly
        h.extend(156_250u32.to_le_bytes());
        h.extend(0u32.to_le_bytes());
        let mode = if c.circular { LOG_FILE_MODE_CIRCULAR } else { 0x1 };
        h.extend(mode.to_le_bytes());
        h.extend((self.sealed.len() as u32 + 1).to_le_bytes());
        h.extend(1u32.to_le_bytes()); // start buffers
        h.extend(ptr.to_le_bytes());
        h.extend(0u32.to_le_bytes()); // events lost
        h.extend(c.cpu_speed_mhz.to_le_bytes());
        h.extend(vec![0u8; 2 * ptr as usize]); // name pointers
        h.extend([0u8; 172 + 4]); // time zone + alignment
        h.extend(utc_to_filetime(c.start_time - chrono::Duration::hours(1)).to_le_bytes()); // boot time
        h.extend(c.perf_freq.to_le_bytes());
        h.extend(utc_to_filetime(c.start_time).to_le_bytes());
        h.extend(c.clock_type.to_le_bytes());
        h.extend(0u32.to_le_bytes()); // buffers lost
        for s in [&c.logger_name, &c.log_file_name] {
            h.extend(s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
        }
        let kind = if ptr == 4 { 0x01 } else { 0x02 };
        let rec = encode_kernel(kind, 0x0000, 0, 0, c.start_raw, &h);
        let mut data = rec;
        data.resize(align8(data.len()), 0);
        self.buffer(0, 0, 0, 0x21, 4, &data)
    }
}
