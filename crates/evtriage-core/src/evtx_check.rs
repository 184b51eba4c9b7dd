//! Integrity checks of an `.evtx` file's structure, independent of decoding.
//!
//! The decoder reads chunks whose checksums are wrong, because their records
//! are usually intact (a crash between writing a record and updating the
//! chunk header is the common cause). Reading them is right, but doing so
//! silently is not: a support engineer must know that the evidence comes
//! from a damaged file. This module compares what the file says about itself
//! with what it holds and reports each disagreement as a [`Diagnostic`]:
//!
//! - the file header's CRC32 (bytes 0..120, stored at 124);
//! - the header's chunk count against the chunks the file's length holds, and
//!   a file that ends part-way through a chunk (a cut copy: the records of
//!   that partial chunk cannot be read);
//! - each chunk's header CRC32 (bytes 0..120 and 128..512, stored at 124) and
//!   records CRC32 (bytes 512 to the free-space offset, stored at 52).
//!
//! Chunks without the `ElfChnk\0` magic are left to the decoder, which
//! reports them. The checks read fixed offsets only, cost one pass of CRC32
//! over the file, and never fail: bytes that are not there are reported.

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::model::Locator;

/// Size of the file header block.
pub const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
pub const CHUNK_SIZE: usize = 65536;
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The disagreements between what an `.evtx` file says about itself and
/// what it holds, as diagnostics naming `name`. Notes mean the data was read
/// but may be altered; `Skipped` means data could not be read (a cut chunk).
pub fn check(name: &Arc<str>, bytes: &[u8]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if bytes.get(..8) != Some(FILE_MAGIC.as_slice()) {
        return out;
    }
    let Some(header) = bytes.get(..FILE_HEADER_SIZE) else {
        out.push(Diagnostic::skipped(
            name.clone(),
            Locator::File,
            format!("file ends inside its {FILE_HEADER_SIZE}-byte header ({} bytes); no chunk to read", bytes.len()),
        ));
        return out;
    };
    let stored = le_u32(header, 124);
    let computed = crc32(header.get(..120).unwrap_or(&[]));
    if stored != Some(computed) {
        out.push(Diagnostic::note(
            name.clone(),
            Locator::File,
            format!(
                "file header checksum mismatch (stored {:#010x}, computed {computed:#010x}): the header is damaged; \
                 chunks were read without trusting it",
                stored.unwrap_or(0)
            ),
        ));
    }
    let body = bytes.len() - FILE_HEADER_SIZE;
    let whole = body / CHUNK_SIZE;
    let partial = body % CHUNK_SIZE;
    let declared = le_u16(header, 42).map_or(0, usize::from);
    if partial != 0 {
        let at = bytes.get(FILE_HEADER_SIZE + whole * CHUNK_SIZE..).unwrap_or(&[]);
        if at.starts_with(CHUNK_MAGIC) {
            out.push(Diagnostic::skipped(
                name.clone(),
                Locator::File,
                format!(
                    "file ends {partial} bytes into chunk {whole} (of {CHUNK_SIZE}); a cut copy? that chunk's records \
                     are not read"
                ),
            ));
        } else {
            out.push(Diagnostic::note(
                name.clone(),
                Locator::File,
                format!("{partial} trailing bytes after the last whole chunk are not a chunk; ignored"),
            ));
        }
    }
    if declared > whole + usize::from(partial != 0) {
        out.push(Diagnostic::note(
            name.clone(),
            Locator::File,
            format!("the header declares {declared} chunks but the file holds {whole}; the file was cut short"),
        ));
    }
    for k in 0..whole {
        let start = FILE_HEADER_SIZE + k * CHUNK_SIZE;
        let Some(chunk) = bytes.get(start..start + CHUNK_SIZE) else { break };
        if !chunk.starts_with(CHUNK_MAGIC) {
            continue;
        }
        check_chunk(name, k as u64, chunk, &mut out);
    }
    out
}

fn check_chunk(name: &Arc<str>, k: u64, chunk: &[u8], out: &mut Vec<Diagnostic>) {
    let loc = Locator::Offset { offset: (FILE_HEADER_SIZE as u64) + k * CHUNK_SIZE as u64 };
    let mut h = Crc32::new();
    h.update(chunk.get(..120).unwrap_or(&[]));
    h.update(chunk.get(128..512).unwrap_or(&[]));
    let computed = h.finish();
    let stored = le_u32(chunk, 124).unwrap_or(0);
    if stored != computed {
        out.push(Diagnostic::note(
            name.clone(),
            loc,
            format!(
                "chunk {k}: header checksum mismatch (stored {stored:#010x}, computed {computed:#010x}); its records \
                 were read but the chunk header or its string/template tables may be damaged"
            ),
        ));
    }
    let free = le_u32(chunk, 48).map_or(0, |v| v as usize);
    if !(512..=CHUNK_SIZE).contains(&free) {
        out.push(Diagnostic::note(
            name.clone(),
            loc,
            format!("chunk {k}: free-space offset {free} is outside the chunk; records checksum not checked"),
        ));
        return;
    }
    let computed = crc32(chunk.get(512..free).unwrap_or(&[]));
    let stored = le_u32(chunk, 52).unwrap_or(0);
    if stored != computed {
        out.push(Diagnostic::note(
            name.clone(),
            loc,
            format!(
                "chunk {k}: records checksum mismatch (stored {stored:#010x}, computed {computed:#010x}); its records \
                 were read but some may be altered"
            ),
        ));
    }
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and the evtx format use).
struct Crc32(u32);

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut j = 0;
        while j < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            j += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

impl Crc32 {
    fn new() -> Self {
        Crc32(0xFFFF_FFFF)
    }
    fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }
    fn finish(&self) -> u32 {
        !self.0
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut h = Crc32::new();
    h.update(bytes);
    h.finish()
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
        let m = messages("truncated.evtx");
        assert!(m.iter().any(|m| m.contains("bytes into chunk")), "{m:?}");
    }

    #[test]
    fn a_cut_anywhere_never_panics() {
        let bytes = fixture("three-chunks.evtx");
        let name: Arc<str> = Arc::from("cut");
        for cut in (0..bytes.len()).step_by(997) {
            let d = check(&name, bytes.get(..cut).unwrap_or(&bytes));
            // The header declares 3 chunks, so every cut (after the magic) is visible.
            if cut >= 8 {
                assert!(!d.is_empty(), "cut at {cut} not reported");
            }
        }
    }
}
