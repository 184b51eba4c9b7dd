//! # evtriage-evtx-writer
//!
//! Writes genuine Windows `.evtx` files from [`evtriage_core::Event`]s, so that
//! every scenario evtriage is tested on can be tested through the binary
//! format its users actually have, not only through XML exports.
//!
//! The cases evtriage diagnoses (a DC whose IsmServ fails with `%%58`, an
//! Exchange server whose SMTP service cannot start, …) exist in no public
//! `.evtx` file, and Windows is not at hand to produce them. This crate writes
//! what Windows would: a 4 KiB file header, 64 KiB chunks with their string and
//! template tables, and event records whose Binary XML is a template instance
//! with typed substitution values; every CRC32 is right. The output reads
//! back through the `evtx` crate with checksums validated and through
//! python-evtx, an independent implementation (see the tests).
//!
//! It is test support: not published, and it writes only what evtriage's model
//! holds (no `RenderingInfo`; `UserData` leaves go under one wrapper element,
//! [`binxml::USER_DATA_WRAPPER`]). The output is deterministic: the same
//! events and options always give the same bytes.
//!
//! ```
//! use evtriage_core::{Event, Locator, Origin};
//! use evtriage_evtx_writer::{write_evtx, WriteOptions};
//!
//! let mut event = Event::new(Some("Service Control Manager".into()), 7036, Origin::new("x".into(), Locator::File));
//! event.channel = Some("System".into());
//! let file = write_evtx(&[event], &WriteOptions::default()).unwrap();
//! assert_eq!(&file.bytes[..8], b"ElfFile\0");
//! assert_eq!(file.bytes.len(), 4096 + 65536);
//! ```
//!
//! [`damage`] breaks such files on purpose (bad chunk magic, bad CRC32s,
//! truncation) for the reliability tests, and [`fixtures`] is what the
//! `gen-fixtures` command writes: the `.evtx` twin of every XML scenario (read
//! with `evtriage_core::event_parser`) and the multi-chunk and damaged files.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod binxml;
mod crc;
pub mod damage;
pub mod fixtures;
pub mod samples;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use evtriage_core::Event;

use binxml::{event_template, filetime, Encoder, Node, Strings};
pub use crc::crc32;

/// Size of the file header block.
pub const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
pub const CHUNK_SIZE: usize = 65536;
/// Size of a chunk header (with its string and template tables); records start here.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// Size of an event record header (magic, size, id, FILETIME).
const RECORD_HEADER_SIZE: usize = 24;

/// Why events could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// One event does not fit in a chunk on its own.
    #[error("event {index} needs {size} bytes, more than a 64 KiB chunk holds")]
    RecordTooLarge {
        /// Index of the event in the input.
        index: usize,
        /// Its record size in bytes.
        size: usize,
    },
    /// A value (or a `Data` name) is longer than BinXML can hold (65535 bytes; 65535 UTF-16 units for a name).
    #[error("a value of {size} bytes is longer than BinXML holds (65535)")]
    ValueTooLarge {
        /// Its size in bytes.
        size: usize,
    },
    /// An event has more values than substitution indexes (65536).
    #[error("an event has more values than a template can substitute")]
    TooManyValues,
    /// A time FILETIME cannot hold (before 1601, or after the year 60055).
    #[error("{time} is outside what a FILETIME holds (1601 to 60055)")]
    TimeOutOfRange {
        /// The time.
        time: DateTime<Utc>,
    },
    /// More chunks than the file header counts (65535).
    #[error("more than 65535 chunks")]
    TooManyChunks,
}

/// How to write.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The EventRecordID of the first event that has none (or of every event with `renumber`).
    pub first_record_id: u64,
    /// Ignore the events' own `record_id`s and number them from `first_record_id`.
    pub renumber: bool,
    /// Start a new chunk after this many records (files of several chunks from few events);
    /// `None` fills each chunk.
    pub max_records_per_chunk: Option<usize>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { first_record_id: 1, renumber: false, max_records_per_chunk: None }
    }
}

/// Where one event was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenRecord {
    /// Index of its chunk (0 = the first after the file header).
    pub chunk: u64,
    /// Its EventRecordID.
    pub record_id: u64,
    /// Offset of the record inside its chunk.
    pub offset: u32,
    /// Its size in bytes.
    pub size: u32,
}

/// A written `.evtx` file.
#[derive(Debug, Clone)]
pub struct EvtxFile {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// One entry per input event, in input order.
    pub records: Vec<WrittenRecord>,
}

impl EvtxFile {
    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        self.bytes.len().saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE
    }
}

/// Writes `events`, in order, as an `.evtx` file.
///
/// Each event keeps its `record_id` when it has one greater than the previous
/// record's (readers stop at a chunk's last id, so ids must increase); other
/// events get the previous id + 1 (the first: [`WriteOptions::first_record_id`]).
/// A chunk is closed when the next record does not fit, or after
/// [`WriteOptions::max_records_per_chunk`] records.
pub fn write_evtx(events: &[Event], options: &WriteOptions) -> Result<EvtxFile, WriteError> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut records = Vec::with_capacity(events.len());
    let mut chunk = ChunkBuilder::new();
    let mut previous: Option<u64> = None;

    for (index, event) in events.iter().enumerate() {
        let record_id = match (previous, event.record_id) {
            (_, Some(id)) if !options.renumber && previous.is_none_or(|p| id > p) && id > 0 => id,
            (Some(p), _) => p.saturating_add(1),
            (None, _) => options.first_record_id,
        };
        previous = Some(record_id);

        let full = options.max_records_per_chunk.is_some_and(|max| chunk.count >= max.max(1));
        let placed = if full { None } else { chunk.try_append(event, record_id)? };
        let (offset, size) = match placed {
            Some(p) => p,
            None => {
                if chunk.count == 0 {
                    let size = chunk.encode(event, record_id)?.0.len();
                    return Err(WriteError::RecordTooLarge { index, size });
                }
                chunks.push(std::mem::replace(&mut chunk, ChunkBuilder::new()).finish());
                match chunk.try_append(event, record_id)? {
                    Some(p) => p,
                    None => {
                        let size = chunk.encode(event, record_id)?.0.len();
                        return Err(WriteError::RecordTooLarge { index, size });
                    }
                }
            }
        };
        records.push(WrittenRecord { chunk: chunks.len() as u64, record_id, offset, size });
    }
    if chunk.count > 0 {
        chunks.push(chunk.finish());
    }
    let count = u16::try_from(chunks.len()).map_err(|_| WriteError::TooManyChunks)?;
    let next_record_id = previous.map_or(options.first_record_id, |p| p.saturating_add(1));

    let mut bytes = Vec::with_capacity(FILE_HEADER_SIZE + chunks.len() * CHUNK_SIZE);
    bytes.extend_from_slice(&file_header(count, next_record_id));
    for c in &chunks {
        bytes.extend_from_slice(c);
    }
    Ok(EvtxFile { bytes, records })
}

/// The 4096-byte file header: version 3.1, clean (no flags), CRC32 of its first 120 bytes.
fn file_header(chunk_count: u16, next_record_id: u64) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_SIZE];
    put(&mut h, 0, b"ElfFile\0");
    put(&mut h, 8, &0u64.to_le_bytes()); // first chunk number
    put(&mut h, 16, &u64::from(chunk_count.saturating_sub(1)).to_le_bytes()); // last chunk number
    put(&mut h, 24, &next_record_id.to_le_bytes());
    put(&mut h, 32, &128u32.to_le_bytes()); // header size
    put(&mut h, 36, &1u16.to_le_bytes()); // minor version
    put(&mut h, 38, &3u16.to_le_bytes()); // major version
    put(&mut h, 40, &(FILE_HEADER_SIZE as u16).to_le_bytes()); // header block size
    put(&mut h, 42, &chunk_count.to_le_bytes());
    put(&mut h, 120, &0u32.to_le_bytes()); // flags: clean
    let crc = crc32(&[h.get(..120).unwrap_or_default()]);
    put(&mut h, 124, &crc.to_le_bytes());
    h
}

pub(crate) fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(slot) = buf.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
}

/// A template definition already written in the current chunk.
#[derive(Debug, Clone, Copy)]
struct TemplateRef {
    id: u32,
    offset: u32,
}

/// One chunk being filled.
struct ChunkBuilder {
    /// The chunk so far; the header is filled in by `finish`.
    data: Vec<u8>,
    strings: Strings,
    templates: HashMap<Node, TemplateRef>,
    template_buckets: [u32; 32],
    first_id: u64,
    last_id: u64,
    last_offset: u32,
    count: usize,
}

/// What encoding a record adds to the chunk, committed only if it fits.
struct Encoded {
    strings: Strings,
    template: Option<(Node, TemplateRef)>,
}

impl ChunkBuilder {
    fn new() -> Self {
        ChunkBuilder {
            data: vec![0u8; CHUNK_HEADER_SIZE],
            strings: Strings::default(),
            templates: HashMap::new(),
            template_buckets: [0; 32],
            first_id: 0,
            last_id: 0,
            last_offset: 0,
            count: 0,
        }
    }

    fn offset(&self) -> u32 {
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }

    /// The record for `event` if it were appended now, and the chunk state it needs.
    fn encode(&self, event: &Event, record_id: u64) -> Result<(Vec<u8>, Encoded), WriteError> {
        let (skeleton, values) = event_template(event, record_id)?;
        let mut strings = self.strings.clone();
        let record_offset = self.offset();
        let mut enc =
            Encoder { out: Vec::new(), base: record_offset + RECORD_HEADER_SIZE as u32, strings: &mut strings };
        enc.out.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00, 0x0c, 0x01]);
        let mut new_template = None;
        match self.templates.get(&skeleton) {
            Some(t) => {
                enc.out.extend_from_slice(&t.id.to_le_bytes());
                enc.out.extend_from_slice(&t.offset.to_le_bytes());
            }
            None => {
                let guid = template_guid(&skeleton);
                let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
                let def_offset = enc.base + enc.out.len() as u32 + 8;
                enc.out.extend_from_slice(&id.to_le_bytes());
                enc.out.extend_from_slice(&def_offset.to_le_bytes());
                let next = self.template_buckets.get((id % 32) as usize).copied().unwrap_or(0);
                enc.out.extend_from_slice(&next.to_le_bytes());
                enc.out.extend_from_slice(&guid);
                let size_at = enc.out.len();
                enc.out.extend_from_slice(&0u32.to_le_bytes());
                let start = enc.out.len();
                enc.out.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
                enc.node(&skeleton)?;
                enc.out.push(0x00);
                let size = u32::try_from(enc.out.len() - start).unwrap_or(u32::MAX);
                put(&mut enc.out, size_at, &size.to_le_bytes());
                new_template = Some((skeleton, TemplateRef { id, offset: def_offset }));
            }
        }
        let mut binxml = enc.out;
        binxml.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in &values {
            binxml.extend_from_slice(&(v.bytes.len() as u16).to_le_bytes());
            binxml.push(v.ty as u8);
            binxml.push(0);
        }
        for v in &values {
            binxml.extend_from_slice(&v.bytes);
        }

        let size = RECORD_HEADER_SIZE + binxml.len() + 4;
        let size32 = u32::try_from(size).unwrap_or(u32::MAX);
        let mut record = Vec::with_capacity(size);
        record.extend_from_slice(b"**\0\0");
        record.extend_from_slice(&size32.to_le_bytes());
        record.extend_from_slice(&record_id.to_le_bytes());
        let time = event.time.as_ref().and_then(filetime).unwrap_or(0);
        record.extend_from_slice(&time.to_le_bytes());
        record.extend_from_slice(&binxml);
        record.extend_from_slice(&size32.to_le_bytes());
        Ok((record, Encoded { strings, template: new_template }))
    }

    /// Appends `event` if it fits: its offset and size.
    fn try_append(&mut self, event: &Event, record_id: u64) -> Result<Option<(u32, u32)>, WriteError> {
        let (record, encoded) = self.encode(event, record_id)?;
        if self.data.len() + record.len() > CHUNK_SIZE {
            return Ok(None);
        }
        let offset = self.offset();
        self.data.extend_from_slice(&record);
        self.strings = encoded.strings;
        if let Some((skeleton, t)) = encoded.template {
            if let Some(slot) = self.template_buckets.get_mut((t.id % 32) as usize) {
                *slot = t.offset;
            }
            self.templates.insert(skeleton, t);
        }
        if self.count == 0 {
            self.first_id = record_id;
        }
        self.last_id = record_id;
        self.last_offset = offset;
        self.count += 1;
        Ok(Some((offset, u32::try_from(record.len()).unwrap_or(u32::MAX))))
    }

    /// The finished 64 KiB chunk, header and CRC32s filled in.
    fn finish(self) -> Vec<u8> {
        let mut d = self.data;
        let free = u32::try_from(d.len()).unwrap_or(u32::MAX);
        put(&mut d, 0, b"ElfChnk\0");
        put(&mut d, 8, &self.first_id.to_le_bytes()); // first record number
        put(&mut d, 16, &self.last_id.to_le_bytes()); // last record number
        put(&mut d, 24, &self.first_id.to_le_bytes());
        put(&mut d, 32, &self.last_id.to_le_bytes());
        put(&mut d, 40, &128u32.to_le_bytes()); // header size
        put(&mut d, 44, &self.last_offset.to_le_bytes());
        put(&mut d, 48, &free.to_le_bytes());
        let data_crc = crc32(&[d.get(CHUNK_HEADER_SIZE..).unwrap_or_default()]);
        put(&mut d, 52, &data_crc.to_le_bytes());
        put(&mut d, 120, &0u32.to_le_bytes()); // flags
        for (i, off) in self.strings.buckets.iter().enumerate() {
            put(&mut d, 128 + i * 4, &off.to_le_bytes());
        }
        for (i, off) in self.template_buckets.iter().enumerate() {
            put(&mut d, 384 + i * 4, &off.to_le_bytes());
        }
        d.resize(CHUNK_SIZE, 0);
        let header_crc = chunk_header_crc(&d);
        put(&mut d, 124, &header_crc.to_le_bytes());
        d
    }
}

/// The CRC32 a chunk header stores: over bytes 0..120 and 128..512.
pub fn chunk_header_crc(chunk: &[u8]) -> u32 {
    crc32(&[chunk.get(..120).unwrap_or_default(), chunk.get(128..CHUNK_HEADER_SIZE).unwrap_or_default()])
}

/// A GUID for a template, derived from its shape so that output is deterministic.
fn template_guid(skeleton: &Node) -> [u8; 16] {
    let text = format!("{skeleton:?}");
    let fnv = |seed: u64| text.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let mut g = [0u8; 16];
    g[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_le_bytes());
    g[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_le_bytes());
    g
}
