//! Deliberate damage, for the reliability tests.
//!
//! Real support cases bring logs copied off dying disks, cut short by a full
//! share, or flushed half-way. evtriage must read what is still good in them
//! and report the rest. These functions break a file [`crate::write_evtx`]
//! wrote in one precise way each, so that the tests know exactly which
//! records a reader should still deliver.

use crate::{chunk_header_crc, crc32, put, CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE};

/// One way to break a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// Overwrite the chunk's `ElfChnk\0` magic: readers cannot recognise the chunk at all.
    ChunkMagic {
        /// Index of the chunk.
        chunk: usize,
    },
    /// Flip a bit of the chunk header's stored CRC32; the header itself is intact.
    ChunkHeaderCrc {
        /// Index of the chunk.
        chunk: usize,
    },
    /// Change one byte inside the chunk's first record's values without updating the
    /// records CRC32: a reader that validates checksums rejects the chunk, one that
    /// does not reads every record.
    ChunkDataCrc {
        /// Index of the chunk.
        chunk: usize,
    },
    /// Overwrite the `**\0\0` magic of the record at `offset` in the chunk, and fix the
    /// chunk's records CRC32 so that only the record is damaged.
    RecordMagic {
        /// Index of the chunk.
        chunk: usize,
        /// Offset of the record inside the chunk (see [`crate::WrittenRecord::offset`]).
        offset: u32,
    },
    /// Flip a bit of the file header's stored CRC32.
    FileHeaderCrc,
    /// Cut the file to `len` bytes.
    Truncate {
        /// The new length.
        len: usize,
    },
}

/// Why a damage could not be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DamageError {
    /// The chunk or offset named is not in the file.
    #[error("the file has no {what}")]
    OutOfRange {
        /// What was missing.
        what: String,
    },
}

fn chunk_range(bytes: &[u8], chunk: usize) -> Result<std::ops::Range<usize>, DamageError> {
    let start = FILE_HEADER_SIZE + chunk * CHUNK_SIZE;
    if bytes.len() < start + CHUNK_SIZE {
        return Err(DamageError::OutOfRange { what: format!("chunk {chunk}") });
    }
    Ok(start..start + CHUNK_SIZE)
}

fn flip(bytes: &mut [u8], at: usize) -> Result<(), DamageError> {
    let b = bytes.get_mut(at).ok_or_else(|| DamageError::OutOfRange { what: format!("byte {at}") })?;
    *b ^= 0x01;
    Ok(())
}

/// Applies `damage` to `bytes` (a file written by [`crate::write_evtx`]).
pub fn apply(bytes: &mut Vec<u8>, damage: Damage) -> Result<(), DamageError> {
    match damage {
        Damage::ChunkMagic { chunk } => {
            let r = chunk_range(bytes, chunk)?;
            put(bytes, r.start, b"ElfJunk\0");
        }
        Damage::ChunkHeaderCrc { chunk } => {
            let r = chunk_range(bytes, chunk)?;
            flip(bytes, r.start + 124)?;
        }
        Damage::ChunkDataCrc { chunk } => {
            let r = chunk_range(bytes, chunk)?;
            // The last byte before the first record's trailing size copy: a value byte.
            let first = r.start + CHUNK_HEADER_SIZE;
            let size = bytes
                .get(first + 4..first + 8)
                .and_then(|s| s.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| DamageError::OutOfRange { what: format!("record in chunk {chunk}") })?;
            let at = (first + size as usize).checked_sub(5).filter(|at| *at >= first + 24);
            let at = at.ok_or_else(|| DamageError::OutOfRange { what: format!("record data in chunk {chunk}") })?;
            flip(bytes, at)?;
        }
        Damage::RecordMagic { chunk, offset } => {
            let r = chunk_range(bytes, chunk)?;
            let at = r.start + offset as usize;
            if bytes.get(at..at + 4) != Some(b"**\0\0".as_slice()) {
                return Err(DamageError::OutOfRange { what: format!("record at offset {offset} of chunk {chunk}") });
            }
            put(bytes, at, b"XX\0\0");
            let chunk_bytes = bytes.get(r.clone()).unwrap_or_default();
            let free = chunk_bytes.get(48..52).and_then(|s| s.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
            let data_crc = crc32(&[chunk_bytes.get(CHUNK_HEADER_SIZE..free as usize).unwrap_or_default()]);
            put(bytes, r.start + 52, &data_crc.to_le_bytes());
            let header_crc = chunk_header_crc(bytes.get(r.clone()).unwrap_or_default());
            put(bytes, r.start + 124, &header_crc.to_le_bytes());
        }
        Damage::FileHeaderCrc => flip(bytes, 124)?,
        Damage::Truncate { len } => bytes.truncate(len),
    }
    Ok(())
}
