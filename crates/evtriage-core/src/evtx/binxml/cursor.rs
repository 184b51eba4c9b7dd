//! The bottom of BinXML decoding: a bounds-checked reader over the chunk's
//! bytes, and the error every later stage reports.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], everything in
//! [`super`] reads a record's bytes through a [`Cursor`]: a read past the
//! record (or the chunk) is a [`DecodeError`] naming the offset, never a
//! panic.

/// Why a record's BinXML could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at chunk offset {offset:#x}")]
pub struct DecodeError {
    /// What was wrong.
    pub what: &'static str,
    /// Where, from the start of the chunk.
    pub offset: usize,
}

/// A [`DecodeError`] as an `Err`.
pub(super) fn err<T>(what: &'static str, offset: usize) -> Result<T, DecodeError> {
    Err(DecodeError { what, offset })
}

/// A bounds-checked little-endian reader over the chunk bytes.
pub(super) struct Cursor<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize, end: usize) -> Self {
        Cursor { data, pos, end: end.min(data.len()) }
    }
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let stop = self.pos.checked_add(n).filter(|s| *s <= self.end);
        match stop.and_then(|s| self.data.get(self.pos..s)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => err("truncated BinXML", self.pos),
        }
    }
    pub(super) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    pub(super) fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.data.get(self.pos).copied()
        } else {
            None
        }
    }
    pub(super) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(super) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(super) fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.take(n).map(|_| ())
    }
}
