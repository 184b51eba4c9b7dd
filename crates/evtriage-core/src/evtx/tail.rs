//! The end of an `.evtx` file: an incomplete last chunk (a copy cut short),
//! which the `evtx` crate silently ignores, or whole chunks missing.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], [`tail_of`]
//! looks past the last whole chunk before the chunks are read, and
//! [`decode_tail`] reads what records lie wholly inside the bytes present,
//! through the same chunk stage, and reports the loss.

use std::io::{Read, Seek};
use std::sync::Arc;

use evtx::EvtxChunkData;

use super::chunk::decode_chunk_part;
use super::content::ContentCache;
use super::crate_pass::reason;
use crate::contract::{JsonLines, ReadOptions};
use crate::diag::Diagnostic;
use crate::model::Locator;
use crate::work::Batch;

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// What a file holds past its last whole chunk, or that whole chunks are missing.
pub(crate) struct Tail {
    /// Number of whole chunks in the file.
    whole: u64,
    /// Chunk count the file header claims.
    claimed: u64,
    /// The bytes of an incomplete last chunk (empty when the file ends on a chunk boundary).
    partial: Vec<u8>,
}

/// Looks at the end of an evtx source: the `evtx` crate silently ignores an
/// incomplete last chunk (a copy cut short), so we find it ourselves. Leaves
/// the stream at its start.
pub(crate) fn tail_of<T: Read + Seek>(data: &mut T) -> Option<Tail> {
    use std::io::SeekFrom;
    let len = data.seek(SeekFrom::End(0)).ok()?;
    let mut count = [0u8; 2];
    data.seek(SeekFrom::Start(42)).ok()?;
    data.read_exact(&mut count).ok()?;
    let claimed = u64::from(u16::from_le_bytes(count));
    let body = len.saturating_sub(FILE_HEADER_SIZE);
    let (whole, rest) = (body / CHUNK_SIZE, body % CHUNK_SIZE);
    let mut partial = Vec::new();
    if rest > 0 {
        data.seek(SeekFrom::Start(FILE_HEADER_SIZE + whole * CHUNK_SIZE)).ok()?;
        data.take(rest).read_to_end(&mut partial).ok()?;
        if partial.iter().all(|b| *b == 0) {
            partial.clear();
        }
    }
    data.seek(SeekFrom::Start(0)).ok()?;
    (!partial.is_empty() || claimed > whole).then_some(Tail { whole, claimed, partial })
}

/// Reads what can be read of an incomplete last chunk (its records that lie
/// wholly inside the bytes present) and reports the loss.
pub(crate) fn decode_tail(
    name: &Arc<str>,
    tail: Tail,
    options: (&ReadOptions, Option<&JsonLines>),
    unit: Option<u64>,
    contents: &mut ContentCache,
) -> Batch {
    let number = tail.whole;
    if tail.partial.is_empty() {
        return Batch::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::File,
            format!(
                "the file header counts {} chunks but the file holds {}: it was cut short and the rest is lost",
                tail.claimed, tail.whole
            ),
        ));
    }
    let have = tail.partial.len();
    let mut padded = tail.partial;
    padded.resize(CHUNK_SIZE as usize, 0);
    let loss = Diagnostic::skipped(
        name.clone(),
        Locator::EvtxOffset { chunk: number, offset: have as u64 },
        format!("chunk {number} is incomplete: the file ends {have} bytes into it; records wholly inside were read"),
    );
    match EvtxChunkData::new(padded, false) {
        Ok(mut chunk) => {
            chunk.number = Some(number);
            let mut out = decode_chunk_part(name, chunk, options, Some(have), unit, contents);
            out.skip(loss);
            out
        }
        Err(e) => Batch::one_skipped(Diagnostic::skipped(
            name.clone(),
            Locator::EvtxOffset { chunk: number, offset: 0 },
            format!("chunk {number} is incomplete (the file ends {have} bytes into it) and unreadable: {}", reason(&e)),
        )),
    }
}
