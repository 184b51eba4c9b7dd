//! A zip archive without its central directory, read from its local file
//! headers.
//!
//! An archive cut short (a partial download, a mail gateway's size limit)
//! loses its central directory first: it is at the end. The members before
//! the cut are whole, each behind its local file header. This module walks
//! those headers from the start, finds where each member's data ends — from
//! the header's sizes, or, for members written as a stream (sizes only in a
//! data descriptor after the data), by inflating the data until the deflate
//! stream ends — and writes a new central directory for the complete
//! members, so that the archive reader reads them as from any other zip.
//! Decompression goes through `flate2` (the inflater the `zip` crate uses);
//! the `zip` crate itself reads local headers only when their sizes are in
//! them, and cannot say where a cut member ends, hence this walk.
//!
//! Bounded like the archive reader: inflating to find a streamed member's
//! end stops after the archive reader's member limit (its `MAX_MEMBER_BYTES`,
//! given by the caller) of output, and the walk after [`MAX_MEMBERS`] headers.

use std::io::Read;

/// Most local headers walked in one archive.
pub const MAX_MEMBERS: usize = 100_000;

const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// The archive's complete members followed by a new central directory,
    /// when at least one member was complete.
    pub bytes: Option<Vec<u8>>,
    /// How many members were complete.
    pub members: usize,
    /// The member cut short, if the walk ended in one: its name, the offset
    /// of its header, and how many bytes of its data were missing when the
    /// header says (`None` when its size was only in a data descriptor).
    pub cut: Option<(String, u64, Option<u64>)>,
    /// Why the walk stopped before the end of the bytes, other than a cut
    /// member (an unreadable header, an unsupported member).
    pub stopped: Option<String>,
}

struct Member {
    offset: u32,
    header: [u8; 26],
    name: Vec<u8>,
    crc: u32,
    compressed: u32,
    size: u32,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Walks the local headers of `bytes` and rebuilds the central directory of
/// its complete members (see the module docs); a streamed member inflating
/// to more than `max_member` bytes ends the walk.
pub fn rebuild(bytes: &[u8], max_member: u64) -> Rebuilt {
    let mut out = Rebuilt::default();
    let mut members: Vec<Member> = Vec::new();
    let mut at = 0usize;
    let mut end_of_data = 0usize;
    while members.len() < MAX_MEMBERS {
        match u32_at(bytes, at) {
            Some(LOCAL) => {}
            Some(CENTRAL) | Some(END) | None => break,
            Some(_) => {
                out.stopped = Some(format!("no local file header at offset {at}; the rest is not read"));
                break;
            }
        }
        let Some(header) = bytes.get(at + 4..at + 30).and_then(|h| <[u8; 26]>::try_from(h).ok()) else {
            out.cut = Some((String::new(), at as u64, None));
            break;
        };
        let flags = u16_at(&header, 2).unwrap_or(0);
        let method = u16_at(&header, 4).unwrap_or(0);
        let (crc, compressed, size) =
            (u32_at(&header, 10).unwrap_or(0), u32_at(&header, 14).unwrap_or(0), u32_at(&header, 18).unwrap_or(0));
        let name_len = usize::from(u16_at(&header, 22).unwrap_or(0));
        let extra_len = usize::from(u16_at(&header, 24).unwrap_or(0));
        let data = at + 30 + name_len + extra_len;
        let Some(name) = bytes.get(at + 30..at + 30 + name_len) else {
            out.cut = Some((String::new(), at as u64, None));
            break;
        };
        let shown = String::from_utf8_lossy(name).into_owned();
        let Ok(offset) = u32::try_from(at) else {
            out.stopped = Some(format!("member {shown} lies beyond 4 GiB; the rest is not read"));
            break;
        };
        if flags & 1 != 0 {
            out.stopped = Some(format!("member {shown} is encrypted; the rest is not read"));
            break;
        }
        let streamed = flags & 0x08 != 0;
        let (crc, compressed, size, next) = if !streamed {
            if compressed == u32::MAX || size == u32::MAX {
                out.stopped = Some(format!("member {shown} is a zip64 member; the rest is not read"));
                break;
            }
            let end = data.saturating_add(compressed as usize);
            if end > bytes.len() {
                let missing = (end - bytes.len()) as u64;
                out.cut = Some((shown, at as u64, Some(missing)));
                break;
            }
            (crc, compressed, size, end)
        } else if method == 8 {
            // The data's end is where the deflate stream ends.
            let Some(rest) = bytes.get(data..) else {
                out.cut = Some((shown, at as u64, None));
                break;
            };
            let mut inflater = flate2::bufread::DeflateDecoder::new(rest);
            let limit = max_member;
            let copied = std::io::copy(&mut (&mut inflater).take(limit + 1), &mut std::io::sink());
            match copied {
                Ok(n) if n <= limit => {}
                Ok(_) => {
                    out.stopped = Some(format!("member {shown} inflates beyond {limit} bytes; the rest is not read"));
                    break;
                }
                Err(_) => {
                    // Data that ends before its deflate stream does: cut.
                    out.cut = Some((shown, at as u64, None));
                    break;
                }
            }
            let used = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
            let mut d = data.saturating_add(used);
            if u32_at(bytes, d) == Some(DESCRIPTOR) {
                d += 4;
            }
            let (Some(crc), Some(c), Some(s)) = (u32_at(bytes, d), u32_at(bytes, d + 4), u32_at(bytes, d + 8)) else {
                out.cut = Some((shown, at as u64, None));
                break;
            };
            if c as usize != used {
                out.stopped = Some(format!(
                    "member {shown}: its data descriptor does not match its data (zip64?); the rest is not read"
                ));
                break;
            }
            (crc, c, s, d + 12)
        } else {
            out.stopped = Some(format!(
                "member {shown} is stored with its size only after its data; it and the rest are not read"
            ));
            break;
        };
        members.push(Member { offset, header, name: name.to_vec(), crc, compressed, size });
        end_of_data = next;
        at = next;
    }
    out.members = members.len();
    if members.is_empty() {
        return out;
    }
    let Some(prefix) = bytes.get(..end_of_data) else { return out };
    let mut z = prefix.to_vec();
    let Ok(directory_at) = u32::try_from(z.len()) else {
        out.stopped = Some("the complete members reach beyond 4 GiB; not read".into());
        return out;
    };
    for m in &members {
        // Central directory entry: version made by and needed, flags, method,
        // time, date, then the sizes found, the name, no extra or comment.
        z.extend_from_slice(&CENTRAL.to_le_bytes());
        z.extend_from_slice(&20u16.to_le_bytes());
        z.extend_from_slice(m.header.get(0..2).unwrap_or(&[20, 0]));
        z.extend_from_slice(m.header.get(2..10).unwrap_or(&[0; 8]));
        z.extend_from_slice(&m.crc.to_le_bytes());
        z.extend_from_slice(&m.compressed.to_le_bytes());
        z.extend_from_slice(&m.size.to_le_bytes());
        z.extend_from_slice(&u16::try_from(m.name.len()).unwrap_or(0).to_le_bytes());
        z.extend_from_slice(&[0u8; 12]);
        z.extend_from_slice(&m.offset.to_le_bytes());
        z.extend_from_slice(&m.name);
    }
    let directory_len = u32::try_from(z.len() - directory_at as usize).unwrap_or(u32::MAX);
    let count = u16::try_from(members.len()).unwrap_or(u16::MAX);
    z.extend_from_slice(&END.to_le_bytes());
    z.extend_from_slice(&[0u8; 4]);
    z.extend_from_slice(&count.to_le_bytes());
    z.extend_from_slice(&count.to_le_bytes());
    z.extend_from_slice(&directory_len.to_le_bytes());
    z.extend_from_slice(&directory_at.to_le_bytes());
    z.extend_from_slice(&[0u8; 2]);
    out.bytes = Some(z);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(flags: u16, method: u16, compressed: u32, name: &[u8]) -> Vec<u8> {
        let mut h = LOCAL.to_le_bytes().to_vec();
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&method.to_le_bytes());
        h.extend_from_slice(&[0u8; 8]); // time, date, crc
        h.extend_from_slice(&compressed.to_le_bytes());
        h.extend_from_slice(&compressed.to_le_bytes());
        h.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name);
        h
    }

    #[test]
    fn damaged_headers_stop_the_walk_without_panicking() {
        // Not a zip, an empty input, a header cut inside its fixed part.
        assert!(rebuild(b"hello world, not a zip", 1 << 20).stopped.is_some());
        assert_eq!(rebuild(b"", 1 << 20).members, 0);
        let cut = rebuild(&LOCAL.to_le_bytes(), 1 << 20);
        assert_eq!((cut.members, cut.cut.map(|c| c.1)), (0, Some(0)));
        // A name longer than what is left.
        let mut h = header(0, 0, 4, b"a.txt");
        h.truncate(33);
        assert!(rebuild(&h, 1 << 20).cut.is_some());
        // A stored member whose size runs past the end: cut, with the bytes missing.
        let mut h = header(0, 0, 100, b"a.txt");
        h.extend_from_slice(&[1u8; 40]);
        let r = rebuild(&h, 1 << 20);
        assert_eq!(r.cut, Some(("a.txt".to_string(), 0, Some(60))));
        assert!(r.bytes.is_none());
        // Streamed deflate data that is not deflate: cut, not a panic.
        let mut h = header(0x08, 8, 0, b"b.txt");
        h.extend_from_slice(&[0xFFu8; 64]);
        assert!(rebuild(&h, 1 << 20).cut.is_some());
        // Streamed and stored: its end cannot be found.
        let h = header(0x08, 0, 0, b"c.txt");
        assert!(rebuild(&h, 1 << 20).stopped.is_some_and(|s| s.contains("stored")));
        // Encrypted members are not read.
        let h = header(0x01, 8, 0, b"d.txt");
        assert!(rebuild(&h, 1 << 20).stopped.is_some_and(|s| s.contains("encrypted")));
    }

    #[test]
    fn a_whole_stored_member_gets_a_central_directory() {
        let mut z = header(0, 0, 3, b"a.txt");
        z.extend_from_slice(b"abc");
        let r = rebuild(&z, 1 << 20);
        assert_eq!((r.members, r.cut.is_none(), r.stopped.is_none()), (1, true, true));
        let bytes = r.bytes.unwrap_or_default();
        assert_eq!(bytes.len(), z.len() + 46 + 5 + 22);
        assert_eq!(u32_at(&bytes, z.len()), Some(CENTRAL));
    }
}
