//! Archives other than zip that collectors write: tar (`.tar`), gzip
//! (`.tar.gz`, `.tgz`, or one gzipped file) and Windows cabinets (`.cab`,
//! MSZIP or LZX folders). Read with maintained crates (`tar`, `flate2`,
//! `cab`) in memory, one member at a time, under the limits of zip archives
//! ([`super::zip`]): a member above [`MAX_MEMBER_BYTES`], an archive adding
//! up to more than [`MAX_TOTAL_BYTES`], more than [`MAX_RATIO`]:1 overall
//! once past [`RATIO_FLOOR`] (decompression stops there), archives nested
//! deeper than [`MAX_DEPTH`] and member names that leave the archive
//! (absolute, `..`) are reported and not read. Each member is read like a
//! file of its own, under the name `archive!member`.
//!
//! Unlike zip members, members of these archives are not paired with
//! rendered twins or LocaleMetaData beside them (re-zip the folder for
//! that); a cabinet folder in Quantum compression, which the `cab` crate
//! does not read, is reported.

use std::io::{Cursor, Read};
use std::sync::Arc;

use super::zip::{ReadMember, MAX_DEPTH, MAX_MEMBER_BYTES, MAX_RATIO, MAX_TOTAL_BYTES, RATIO_FLOOR};
use crate::contract::{InputSummary, Sink};
use crate::diag::Diagnostic;
use crate::model::Locator;

/// The gzip magic (RFC 1952) with the deflate method.
pub const GZIP_MAGIC: &[u8; 3] = b"\x1f\x8b\x08";
/// The cabinet magic.
pub const CAB_MAGIC: &[u8; 4] = b"MSCF";

/// Whether `head` is a POSIX or GNU tar archive (`ustar` at offset 257).
pub fn looks_like_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// What the members of one archive have used of its budgets.
struct Budget {
    /// Bytes decompressed so far.
    total: u64,
    /// At most this many in all: the total limit, and the ratio limit over
    /// the archive's own size (for a compressed archive).
    cap: u64,
    /// Whether `cap` is the ratio limit (a zip bomb) rather than the total.
    ratio: bool,
}

impl Budget {
    fn new(compressed: Option<u64>) -> Budget {
        match compressed {
            Some(c) => {
                let ratio_cap = c.max(1).saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
                Budget { total: 0, cap: ratio_cap.min(MAX_TOTAL_BYTES), ratio: ratio_cap < MAX_TOTAL_BYTES }
            }
            None => Budget { total: 0, cap: MAX_TOTAL_BYTES, ratio: false },
        }
    }

    /// How many bytes the next member may decompress to.
    fn left(&self) -> u64 {
        MAX_MEMBER_BYTES.min(self.cap.saturating_sub(self.total))
    }
}

/// Reads one member of `kind` from `reader` into memory within `budget`;
/// `Err` says why it was not read, and whether the archive should stop.
fn take_member(reader: &mut dyn Read, declared: Option<u64>, budget: &Budget) -> Result<Vec<u8>, (String, bool)> {
    if let Some(d) = declared.filter(|d| *d > MAX_MEMBER_BYTES) {
        return Err((format!("member declares {d} bytes, above the {MAX_MEMBER_BYTES}-byte limit; skipped"), false));
    }
    let limit = budget.left();
    let mut buf = Vec::with_capacity(usize::try_from(declared.unwrap_or(0).min(64 << 20)).unwrap_or(0));
    if let Err(e) = reader.take(limit.saturating_add(1)).read_to_end(&mut buf) {
        return Err((format!("member cannot be decompressed: {e}"), false));
    }
    if buf.len() as u64 > limit {
        if limit < MAX_MEMBER_BYTES {
            let why = if budget.ratio {
                format!(
                    "the archive decompresses beyond {} bytes, more than {MAX_RATIO}:1 of its size; looks like an \
                     archive bomb; the rest is not read",
                    budget.cap
                )
            } else {
                format!("archive exceeds {MAX_TOTAL_BYTES} decompressed bytes in total; the rest is not read")
            };
            return Err((why, true));
        }
        return Err((format!("member decompresses beyond {MAX_MEMBER_BYTES} bytes; skipped"), false));
    }
    Ok(buf)
}

/// Whether a member name leaves the archive.
fn leaves(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.get(1..2) == Some(":") || n.split('/').any(|seg| seg == "..")
}

/// Reads a member's bytes as a file of its own and adds its counts.
fn deliver(
    read_member: &ReadMember<'_>,
    kind: &str,
    display: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    let member = read_member(display.clone(), bytes, sink);
    super::zip::add_member(kind, display, member, sink, summary);
}

/// Delivers a member taken by [`take_member`], or reports why it was not
/// read; `false` when the archive should not be read further.
fn deliver_taken(
    (read_member, kind): (&ReadMember<'_>, &str),
    display: Arc<str>,
    taken: Result<Vec<u8>, (String, bool)>,
    budget: &mut Budget,
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) -> bool {
    match taken {
        Ok(buf) => {
            budget.total += buf.len() as u64;
            deliver(read_member, kind, display, &buf, sink, summary);
            true
        }
        Err((why, stop)) => {
            skip(sink, summary, display, why);
            !stop
        }
    }
}

fn skip(sink: &mut dyn Sink, summary: &mut InputSummary, display: Arc<str>, why: String) {
    summary.skipped += 1;
    sink.diagnostic(Diagnostic::skipped(display, Locator::File, why));
}

/// Whether `name` is nested too deep to open (reported).
fn too_deep(name: &Arc<str>, sink: &mut dyn Sink, summary: &mut InputSummary) -> bool {
    if name.matches('!').count() < MAX_DEPTH {
        return false;
    }
    summary.skipped += 1;
    sink.diagnostic(Diagnostic::skipped(
        name.clone(),
        Locator::File,
        format!("archive nested more than {MAX_DEPTH} levels deep; not opened"),
    ));
    true
}

/// Reads a tar archive, `bytes` already decompressed (`budget` counts what
/// its members take).
fn read_tar_from(
    read_member: &ReadMember<'_>,
    name: &Arc<str>,
    source: &mut dyn Read,
    budget: &mut Budget,
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    let mut archive = tar::Archive::new(source);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            sink.diagnostic(Diagnostic::failed(name.clone(), format!("unreadable tar archive: {e}")));
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A damaged header ends the walk: tar has no index to resume from.
                sink.diagnostic(Diagnostic::failed(
                    name.clone(),
                    format!("damaged tar archive: {e}; the members before it were read"),
                ));
                return;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member_name = match entry.path() {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(e) => {
                skip(sink, summary, name.clone(), format!("tar member with an unreadable name: {e}; skipped"));
                continue;
            }
        };
        let display: Arc<str> = Arc::from(format!("{name}!{member_name}"));
        if leaves(&member_name) {
            skip(sink, summary, display, "member name leaves the archive (absolute or `..`); skipped".into());
            continue;
        }
        let declared = entry.header().size().ok();
        let taken = take_member(&mut entry, declared, budget);
        if !deliver_taken((read_member, "tar"), display, taken, budget, sink, summary) {
            return;
        }
    }
}

/// Reads a tar archive.
pub fn read_tar(
    read_member: &ReadMember<'_>,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    if too_deep(&name, sink, summary) {
        return;
    }
    let mut budget = Budget::new(None);
    read_tar_from(read_member, &name, &mut Cursor::new(bytes), &mut budget, sink, summary);
}

/// Reads a gzip file: a tar archive inside (`.tar.gz`), or one file.
pub fn read_gzip(
    read_member: &ReadMember<'_>,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    if too_deep(&name, sink, summary) {
        return;
    }
    let mut budget = Budget::new(Some(bytes.len() as u64));
    // Look at the start of what is inside without keeping it.
    let mut head = Vec::with_capacity(512);
    let peek = flate2::read::MultiGzDecoder::new(bytes).take(512).read_to_end(&mut head);
    if let Err(e) = peek {
        sink.diagnostic(Diagnostic::failed(name, format!("unreadable gzip file: {e}")));
        return;
    }
    let mut stream = flate2::read::MultiGzDecoder::new(bytes);
    if looks_like_tar(&head) {
        // The tar stream is read as it is decompressed, member by member;
        // `budget` stops it at the ratio and total limits.
        let mut limited = (&mut stream).take(budget.cap.saturating_add(1));
        read_tar_from(read_member, &name, &mut limited, &mut budget, sink, summary);
        return;
    }
    // One gzipped file: the member is the name without `.gz`.
    let inner = name.rsplit(['/', '\\', '!']).next().unwrap_or("");
    let inner = inner.strip_suffix(".gz").or_else(|| inner.strip_suffix(".GZ")).unwrap_or(inner);
    let display: Arc<str> = Arc::from(format!("{name}!{}", if inner.is_empty() { "content" } else { inner }));
    match take_member(&mut stream, None, &budget) {
        Ok(buf) => deliver(read_member, "gzip", display, &buf, sink, summary),
        Err((why, _)) => skip(sink, summary, display, why),
    }
}

/// Reads a Windows cabinet.
pub fn read_cab(
    read_member: &ReadMember<'_>,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    if too_deep(&name, sink, summary) {
        return;
    }
    // The `cab` crate is not ours: a panic in it costs this archive, not the run.
    let opened = std::panic::catch_unwind(|| cab::Cabinet::new(Cursor::new(bytes)));
    let mut cabinet = match opened {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            sink.diagnostic(Diagnostic::failed(name, format!("unreadable cabinet: {e}")));
            return;
        }
        Err(_) => {
            sink.diagnostic(Diagnostic::failed(name, "unreadable cabinet (its reader failed)".to_string()));
            return;
        }
    };
    let mut files: Vec<(String, u64, bool)> = Vec::new();
    for folder in cabinet.folder_entries() {
        let quantum = matches!(folder.compression_type(), cab::CompressionType::Quantum(_, _));
        for f in folder.file_entries() {
            files.push((f.name().to_string(), u64::from(f.uncompressed_size()), quantum));
        }
    }
    // Members in name order, so output does not depend on how the cabinet was built.
    files.sort();
    let mut budget = Budget::new(Some(bytes.len() as u64));
    for (member_name, declared, quantum) in files {
        let display: Arc<str> = Arc::from(format!("{name}!{}", member_name.replace('\\', "/")));
        if leaves(&member_name) {
            skip(sink, summary, display, "member name leaves the archive (absolute or `..`); skipped".into());
            continue;
        }
        if quantum {
            skip(sink, summary, display, "member compressed with Quantum, which evtriage cannot read; skipped".into());
            continue;
        }
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cabinet.read_file(&member_name) {
            Ok(mut r) => take_member(&mut r, Some(declared), &budget),
            Err(e) => Err((format!("member not readable: {e}"), false)),
        }));
        let taken =
            read.unwrap_or_else(|_| Err(("member cannot be decompressed (its reader failed); skipped".into(), false)));
        if !deliver_taken((read_member, "cabinet"), display, taken, &mut budget, sink, summary) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_archive() {
        for bad in ["/etc/passwd", "../x", "a/../../b", "C:\\Windows\\x", "a\\..\\..\\b"] {
            assert!(leaves(bad), "{bad}");
        }
        for good in ["System.evtx", "logs/System.evtx", "logs\\netstat.txt", "a..b/c"] {
            assert!(!leaves(good), "{good}");
        }
    }
}
