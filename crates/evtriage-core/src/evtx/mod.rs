//! `.evtx` ingestion: binary event logs decoded straight into [`crate::Event`]s.
//!
//! Three layers, cheapest first:
//!
//! 1. The `evtx` crate reads the file header and hands out the 64 KiB chunks
//!    in record order (a bad chunk becomes a diagnostic; the next is read).
//! 2. `records` walks a chunk's records by their headers, with the crate's
//!    rules for resynchronising after damage and for carving stale records
//!    out of slack space (`evtx_dump --recover-records`).
//! 3. `binxml` decodes each record itself: a template definition is compiled
//!    once per chunk into a schema ("substitution 3 is `System/EventID`"),
//!    and a record is its values mapped through that schema. Nothing is
//!    rendered as XML or JSON, and the provider and event id are known before
//!    the rest, so [`ReadOptions::event_filter`] rejects an event before it
//!    is built.
//!
//! The crate's own (slower) record pass is used only where it is the better
//! judge: to confirm records carved from slack space (a stale record can
//! point at a template definition that has since been overwritten), and to
//! render as XML, for [`crate::event_parser`], a live record our decoder cannot
//! map. Both happen rarely; the output is the same as decoding every record
//! through the crate, only faster.
//!
//! A chunk is the unit of parallel work: `decode_chunk` turns one chunk into
//! its events and diagnostics, and the [`Reader`](crate::Reader) runs chunks on
//! a thread pool and delivers them in file order.
//!
//! The journey bytes → chunk → record → [`crate::Event`], by file:
//!
//! - this module is the front: `open` a file, iterate its chunks,
//!   [`read_evtx`] for files held in memory;
//! - `check`: checksum notes for the file header and each chunk;
//! - `tail`: an incomplete last chunk, or chunks missing;
//! - `chunk`: one chunk decoded, record by record (`decode_chunk`), with
//!   `records` (the walk), `binxml` (the record decoder, in stages),
//!   `content` (repeated content, decoded once), `lines` (JSON lines) and
//!   `crate_pass` (the crate's own pass, above);
//! - what a chunk comes to is a `Batch` (`crate::work`), for the pipeline.
//!
//! Damage never stops a file: a chunk that cannot be read, or a record that
//! cannot be decoded, is counted in [`InputSummary::skipped`] and reported as
//! a [`Diagnostic`] naming the file, the chunk, the record offset (or id) and
//! the reason. Records recovered from slack space are counted as read and
//! noted once per chunk.

mod binxml;
pub mod check;
mod chunk;
mod content;
mod crate_pass;
mod lines;
mod records;
mod tail;

use std::io::{Read, Seek};
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser};

pub(crate) use chunk::decode_chunk;
pub(crate) use content::{ContentCache, ContentPool};
use crate_pass::{parser_settings, reason};
pub(crate) use tail::{decode_tail, tail_of};

use crate::contract::{InputSummary, ReadOptions, Sink};
use crate::diag::Diagnostic;
use crate::model::Locator;
use crate::work::Batch;

/// Opens an evtx source and yields its chunks in record order, each with its
/// number in the file; chunks that cannot be read come back as diagnostics.
pub(crate) fn open<T: Read + Seek>(name: &Arc<str>, data: T) -> Result<ChunkIter<T>, Diagnostic> {
    match EvtxParser::from_read_seek(data) {
        Ok(p) => Ok(ChunkIter { inner: p.with_configuration(parser_settings()).into_chunks(), name: name.clone() }),
        Err(e) => Err(Diagnostic::failed(name.clone(), format!("not a readable .evtx file: {}", reason(&e)))),
    }
}

/// The chunks of one evtx file, in record order. See [`open`].
pub(crate) struct ChunkIter<T: Read + Seek> {
    inner: evtx::IntoIterChunks<T>,
    name: Arc<str>,
}

impl<T: Read + Seek> Iterator for ChunkIter<T> {
    type Item = Result<EvtxChunkData, Diagnostic>;
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.inner.next()?;
        Some(r.map_err(|e| {
            let chunk = match &e {
                evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => Some(*chunk_id),
                _ => None,
            };
            let (locator, what) = match chunk {
                Some(chunk) => (Locator::EvtxOffset { chunk, offset: 0 }, "chunk skipped".to_string()),
                None => (Locator::File, "a chunk skipped".to_string()),
            };
            Diagnostic::skipped(self.name.clone(), locator, format!("{what}: {}", reason(&e)))
        }))
    }
}

/// Reads an `.evtx` file held in memory, delivering its events to `sink`.
pub fn read_evtx(name: Arc<str>, bytes: &[u8], options: &ReadOptions, sink: &mut dyn Sink, summary: &mut InputSummary) {
    if let Some(d) = check::check_header(&name, bytes) {
        sink.diagnostic(d);
    }
    let mut cursor = std::io::Cursor::new(bytes);
    let tail = tail_of(&mut cursor);
    let chunks = match open(&name, cursor) {
        Ok(c) => c,
        Err(d) => {
            summary.skipped += 1;
            sink.diagnostic(d);
            return;
        }
    };
    // In-memory inputs (zip members) are decoded on the calling thread, chunk after chunk.
    let mut contents = ContentCache::default();
    for chunk in chunks {
        let out = match chunk {
            Ok(c) => decode_chunk(&name, c, (options, None), None, &mut contents),
            Err(d) => Batch::one_skipped(d),
        };
        out.deliver(sink, summary);
    }
    if let Some(t) = tail {
        decode_tail(&name, t, (options, None), None, &mut contents).deliver(sink, summary);
    }
}
