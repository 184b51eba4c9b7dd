//! Checksum checks of an `.evtx` file, independent of decoding.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], these checks
//! look at the bytes only: the file header before its chunks are read, each
//! chunk before its records are decoded. (Also reachable as
//! `evtriage_core::evtx_check`, its path before it joined the evtx stage.)
//!
//! The decoder reads chunks whose checksums are wrong, because their records
//! are usually intact (a crash between writing a record and updating the
//! chunk header is the common cause, and VSS copies of a live log are
//! "dirty"). Reading them is right, but doing so silently is not: a support
//! engineer must know that the evidence comes from a damaged file. This
//! module compares the checksums a file stores with what it holds and
//! reports each mismatch as a note (the data was read but may be altered):
//!
//! - the file header's CRC32 (bytes 0..120, stored at 124) — [`check_header`];
//! - each chunk's header CRC32 (bytes 0..120 and 128..512, stored at 124)
//!   and records CRC32 (bytes 512 to the free-space offset, stored at 52) —
//!   [`check_chunk`], called by the decoder on each chunk it reads, on the
//!   worker thread that decodes it.
//!
//! A file cut short (fewer or partial chunks than the header counts) is
//! reported by the decoder itself. Chunks without the `ElfChnk\0` magic are
//! left to the decoder too. The checks read fixed offsets only, cost one pass
//! of CRC32 over the chunk, and never fail.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::model::Locator;

/// Size of the file header block.
pub const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
pub const CHUNK_SIZE: usize = 65536;
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Every checksum mismatch of a whole `.evtx` file held in memory: the file
/// header's, then each whole chunk's, as diagnostics naming `name`.
pub fn check(name: &Arc<str>, bytes: &[u8]) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = check_header(name, bytes).into_iter().collect();
    if bytes.get(..8) != Some(FILE_MAGIC.as_slice()) {
        return out;
    }
    let chunks = bytes.len().saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
    for k in 0..chunks {
        let start = FILE_HEADER_SIZE + k * CHUNK_SIZE;
        if let Some(chunk) = bytes.get(start..start + CHUNK_SIZE) {
            out.extend(check_chunk(name, k as u64, chunk));
        }
    }
    out
}

/// A note when the file header's CRC32 does not match (`head`: at least the
/// first 128 bytes of the file; `None` when they are not there or the
/// `ElfFile\0` magic is missing — the decoder reports that).
pub fn check_header(name: &Arc<str>, head: &[u8]) -> Option<Diagnostic> {
    if head.get(..8) != Some(FILE_MAGIC.as_slice()) {
        return None;
    }
    let stored = le_u32(head, 124)?;
    let computed = crc32(head.get(..120)?);
    (stored != computed).then(|| {
        Diagnostic::note(
            name.clone(),
            Locator::File,
            format!(
                "file header checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the header is \
                 damaged; chunks were read without trusting it"
            ),
        )
    })
}

/// [`check_header`] on a stream: reads its first 128 bytes and leaves it at its start.
pub fn check_header_stream<T: Read + Seek>(name: &Arc<str>, data: &mut T) -> Option<Diagnostic> {
    let mut head = [0u8; 128];
    let read = data.seek(SeekFrom::Start(0)).and_then(|_| data.read_exact(&mut head));
    let rewound = data.seek(SeekFrom::Start(0));
    if read.is_err() || rewound.is_err() {
        return None;
    }
    check_header(name, &head)
}

/// Notes for chunk `k` (its 64 KiB `chunk`) when its header or records
/// checksum does not match. A chunk without the `ElfChnk\0` magic gives
/// nothing (the decoder reports it).
pub fn check_chunk(name: &Arc<str>, k: u64, chunk: &[u8]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !chunk.starts_with(CHUNK_MAGIC) || chunk.len() < 512 {
        return out;
    }
    let loc = Locator::EvtxOffset { chunk: k, offset: 0 };
    let mut h = Crc32::new();
    h.update(chunk.get(..120).unwrap_or(&[]));
    h.update(chunk.get(128..512).unwrap_or(&[]));
    // A mismatch of the checksum stored at `at` is a note saying what may be damaged.
    let mismatch = |what: &str, at: usize, computed: u32, risk: &str| {
        let stored = le_u32(chunk, at).unwrap_or(0);
        (stored != computed).then(|| {
            Diagnostic::note(
                name.clone(),
                loc,
                format!(
                    "chunk {k}: {what} checksum mismatch (stored {stored:#010x}, computed {computed:#010x}); its \
                     records were read but {risk}"
                ),
            )
        })
    };
    out.extend(mismatch("header", 124, h.finish(), "the chunk header or its string/template tables may be damaged"));
    let free = le_u32(chunk, 48).map_or(0, |v| v as usize);
    if !(512..=chunk.len()).contains(&free) {
        out.push(Diagnostic::note(
            name.clone(),
            loc,
            format!("chunk {k}: free-space offset {free} is outside the chunk; records checksum not checked"),
        ));
        return out;
    }
    out.extend(mismatch("records", 52, crc32(chunk.get(512..free).unwrap_or(&[])), "some may be altered"));
    out
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and the evtx format use).
///
/// `crc32fast` (already in the tree through the `evtx` crate) folds with
/// carry-less multiplication where the CPU has it: every chunk of every evtx
/// file is checked, and our slicing-by-8 table loop was still a quarter of
/// the CPU time of reading a log whose records a filter passes over.
struct Crc32(crc32fast::Hasher);

impl Crc32 {
    fn new() -> Self {
        Crc32(crc32fast::Hasher::new())
    }
    fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u32 {
        self.0.clone().finalize()
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evtx").join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
    }

    fn messages(name: &str) -> Vec<String> {
        check(&Arc::from(name), &fixture(name)).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    /// The bit-at-a-time definition, to check the fast path on every length
    /// and alignment (its folded blocks and its tail).
    fn crc32_bitwise(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn crc32_equals_bitwise_definition() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 999, 1000] {
            for start in [0, 1, 3] {
                let s = &data[start..len.max(start)];
                assert_eq!(crc32(s), crc32_bitwise(s), "length {len} from {start}");
            }
        }
    }

    #[test]
    fn clean_files_give_nothing() {
        assert!(messages("three-chunks.evtx").is_empty());
        assert!(messages("multi-chunk.evtx").is_empty());
        assert!(messages("example-dc-boot.evtx").is_empty());
    }

    #[test]
    fn each_damaged_fixture_is_named() {
        let m = messages("damaged-file-header-crc.evtx");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("file header checksum mismatch"));
        let m = messages("damaged-chunk-header-crc.evtx");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("chunk 1: header checksum mismatch"));
        let m = messages("damaged-chunk-data-crc.evtx");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("chunk 1: records checksum mismatch"));
        // A cut file: its whole chunks are fine; the cut is the decoder's to report.
        assert!(messages("truncated.evtx").is_empty());
    }

    #[test]
    fn a_cut_or_flip_anywhere_never_panics() {
        let bytes = fixture("three-chunks.evtx");
        let name: Arc<str> = Arc::from("cut");
        for cut in (0..bytes.len()).step_by(997) {
            let _ = check(&name, bytes.get(..cut).unwrap_or(&bytes));
        }
        // A flip under a checksum is always seen.
        for at in [8usize, 100, 4096 + 8, 4096 + 200, 4096 + 600, 4096 + 65536 + 130, 4096 + 2 * 65536 + 1000] {
            let mut v = bytes.clone();
            if let Some(b) = v.get_mut(at) {
                *b ^= 1;
            }
            assert_eq!(check(&name, &v).len(), 1, "flip at {at}");
        }
        let mut stream = std::io::Cursor::new(fixture("damaged-file-header-crc.evtx"));
        assert!(check_header_stream(&name, &mut stream).is_some());
        assert_eq!(stream.position(), 0);
    }
}
