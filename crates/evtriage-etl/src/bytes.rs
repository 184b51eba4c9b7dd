//! Bounds-checked little-endian reads. Every read from file data goes through
//! these, so a short or damaged buffer yields `None`, never a panic.

pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s.first().copied()?, s.get(1).copied()?]))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(s))
}

pub(crate) fn i64_at(b: &[u8], off: usize) -> Option<i64> {
    let s: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(i64::from_le_bytes(s))
}

pub(crate) fn array16_at(b: &[u8], off: usize) -> Option<[u8; 16]> {
    b.get(off..off.checked_add(16)?)?.try_into().ok()
}

/// A NUL-terminated UTF-16LE string starting at `off`; returns the text and
/// the offset just past the terminator. A missing terminator ends the string
/// at the end of `b` (the text so far is kept).
pub(crate) fn utf16z_at(b: &[u8], off: usize) -> Option<(String, usize)> {
    let rest = b.get(off..)?;
    let mut units = Vec::new();
    let mut end = off;
    for pair in rest.chunks_exact(2) {
        end += 2;
        let u = u16::from_le_bytes([pair.first().copied()?, pair.get(1).copied()?]);
        if u == 0 {
            return Some((String::from_utf16_lossy(&units), end));
        }
        units.push(u);
    }
    Some((String::from_utf16_lossy(&units), b.len()))
}

/// A NUL-terminated 8-bit string starting at `off` (UTF-8 if valid, else
/// Windows ANSI read as Latin-1); returns the text and the offset past the NUL.
pub(crate) fn ansiz_at(b: &[u8], off: usize) -> Option<(String, usize)> {
    let rest = b.get(off..)?;
    let (text, next) = match rest.iter().position(|&c| c == 0) {
        Some(n) => (rest.get(..n)?, off + n + 1),
        None => (rest, b.len()),
    };
    let s = match std::str::from_utf8(text) {
        Ok(s) => s.to_owned(),
        Err(_) => text.iter().map(|&c| char::from(c)).collect(),
    };
    Some((s, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let b = [1u8, 0, 0, 0, 2];
        assert_eq!(u32_at(&b, 0), Some(1));
        assert_eq!(u32_at(&b, 2), None);
        assert_eq!(u64_at(&b, usize::MAX - 2), None);
        assert_eq!(u16_at(&b, 4), None);
    }

    #[test]
    fn strings_stop_at_nul_or_end() {
        let w = [b'A', 0, b'B', 0, 0, 0, b'C', 0];
        assert_eq!(utf16z_at(&w, 0), Some(("AB".to_owned(), 6)));
        assert_eq!(utf16z_at(&w, 6), Some(("C".to_owned(), 8)));
        assert_eq!(ansiz_at(b"hi\0there", 0), Some(("hi".to_owned(), 3)));
        assert_eq!(ansiz_at(b"caf\xe9", 0), Some(("caf\u{e9}".to_owned(), 4)));
    }
}
