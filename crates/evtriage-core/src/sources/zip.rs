//! Zip archives, read in place.
//!
//! A support case often arrives as one zip. Its members are decompressed in
//! memory, one at a time — nothing is written to disk, so a member name such
//! as `../../etc/x` can do no harm; such names are still refused (reported
//! and skipped) because they never come from an honest collection tool. Each
//! member is recognised by content and read like a file of its own
//! (including `.evtx` and nested zips), under the name
//! `archive.zip!inner/path` (`outer.zip!inner.zip!file` when nested). The
//! archive's summary adds up its members' counts, and a note per member says
//! which format it was read as and how many records it gave.
//!
//! Limits against zip bombs, each breach reported as a diagnostic:
//! - a member larger than [`MAX_MEMBER_BYTES`] once decompressed is skipped;
//! - a member above 16 MiB ([`RATIO_FLOOR`]) whose compression ratio exceeds
//!   [`MAX_RATIO`] is skipped (real logs compress 5–50×, empty evtx chunks a
//!   few hundred ×); decompression stops at that ratio even when the member
//!   declares a small size, so a lying member costs at most
//!   `max(16 MiB, 200 × compressed)` bytes of memory;
//! - reading stops when the archive's members add up to [`MAX_TOTAL_BYTES`];
//! - zips nested deeper than [`MAX_DEPTH`] are not opened.
//!
//! An archive whose central directory is missing or unreadable (cut short,
//! partially downloaded) is read from its local file headers instead
//! (`zip_rebuild`): every complete member is read, the cut one reported with
//! how much of it is missing, and the archive reported as damaged.
//!
//! Sizes are checked against what is actually decompressed, not only the
//! sizes the archive declares. Only stored and deflated members are read
//! (what Windows' "Send to compressed folder" and PowerShell's
//! `Compress-Archive` write); encrypted members are reported.

use std::io::{Cursor, Read};
use std::sync::Arc;

use crate::contract::{InputSummary, Sink};
use crate::diag::Diagnostic;
use crate::model::Locator;

/// Largest decompressed member read (1 GiB).
pub const MAX_MEMBER_BYTES: u64 = 1 << 30;
/// Largest sum of decompressed members read from one archive (4 GiB).
pub const MAX_TOTAL_BYTES: u64 = 4 << 30;
/// Largest compression ratio accepted for members above 16 MiB.
pub const MAX_RATIO: u64 = 200;
/// Members up to this size (16 MiB) are read whatever their compression ratio.
pub const RATIO_FLOOR: u64 = 16 << 20;
/// How many zips deep members are opened (`a.zip!b.zip!c.zip!file` is depth 3).
pub const MAX_DEPTH: usize = 3;

/// Reads one member of an archive (any format, a nested archive included):
/// its name, its bytes, where its records go; what was read from it.
pub type ReadMember<'a> = dyn Fn(Arc<str>, &[u8], &mut dyn Sink) -> InputSummary + 'a;

/// Reads every member of the zip archive `bytes`, adding members' counts to
/// `summary`; `prefer` is the language of display information to prefer.
pub fn read_zip(
    read_member: &ReadMember<'_>,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
    prefer: Option<u32>,
) {
    read_zip_with(read_member, None, name, bytes, sink, summary, prefer)
}

/// [`read_zip`], with the reader whose options apply: rendered exports
/// beside a binary log in the same folder of the archive are paired with it
/// (see `twins`) — read first, their records lent to the log's and not read
/// again; the rest of each export is read after every other member.
pub(crate) fn read_zip_with(
    read_member: &ReadMember<'_>,
    reader: Option<&dyn crate::twins::TwinReader>,
    name: Arc<str>,
    bytes: &[u8],
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
    prefer: Option<u32>,
) {
    let depth = name.matches('!').count();
    if depth >= MAX_DEPTH {
        summary.skipped += 1;
        sink.diagnostic(Diagnostic::skipped(
            name,
            Locator::File,
            format!("zip nested more than {MAX_DEPTH} levels deep; not opened"),
        ));
        return;
    }
    let rebuilt: Vec<u8>;
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            // Cut short or damaged at its end: read what its local headers hold.
            let mut found = super::zip_rebuild::rebuild(bytes, MAX_MEMBER_BYTES);
            rebuilt = found.bytes.take().unwrap_or_default();
            let reopened = zip::ZipArchive::new(Cursor::new(rebuilt.as_slice())).ok();
            let Some(a) = reopened.filter(|_| found.members > 0) else {
                let why = found.stopped.map(|s| format!("; {s}")).unwrap_or_default();
                sink.diagnostic(Diagnostic::failed(
                    name,
                    format!("unreadable zip archive: {e}; no complete member before the damage{why}"),
                ));
                return;
            };
            let mut message = format!(
                "damaged zip archive ({e}): its central directory is missing or unreadable, as in an archive cut \
                 short; {} complete member(s) read from their local headers",
                found.members
            );
            if let Some(why) = &found.stopped {
                message.push_str(&format!("; {why}"));
            }
            sink.diagnostic(Diagnostic::failed(name.clone(), message));
            if let Some((member, offset, missing)) = found.cut {
                summary.skipped += 1;
                let what = if member.is_empty() { "a member header".to_string() } else { format!("member {member}") };
                let how = match missing {
                    Some(n) => format!("{n} byte(s) of its compressed data are missing"),
                    None => "its data ends before its compressed stream does".to_string(),
                };
                sink.diagnostic(Diagnostic::skipped(
                    Arc::from(format!("{name}!{member}")),
                    Locator::Offset { offset },
                    format!("{what} is cut short ({how}); not read"),
                ));
            }
            a
        }
    };
    // Members in name order, so output does not depend on how the archive was built.
    let mut members: Vec<(String, usize)> =
        (0..archive.len()).filter_map(|i| archive.name_for_index(i).map(|n| (n.to_string(), i))).collect();
    members.sort();
    // LocaleMetaData (`dir/LocaleMetaData/<log>_<LCID>.MTA`) first, so that
    // each `dir/<log>.evtx` is read with its display information.
    members.sort_by_key(|(n, _)| crate::locale::mta_member_key(n).is_none());
    let logs: std::collections::HashSet<String> =
        members.iter().filter_map(|(n, _)| crate::locale::evtx_member_key(n)).collect();
    let mut locales: std::collections::HashMap<String, crate::locale::Locale> = std::collections::HashMap::new();
    let twins = match reader {
        Some(reader) => pair_twins(reader, &mut archive, &name, &members),
        None => crate::twins::TwinSet::default(),
    };
    let mut total: u64 = 0;
    for (member_name, index) in members {
        if twins.holds(std::path::Path::new(&member_name)) {
            // Read after every other member (see below).
            continue;
        }
        let display: Arc<str> = Arc::from(format!("{name}!{member_name}"));
        let mut file = match archive.by_index(index) {
            Ok(f) => f,
            Err(e) => {
                summary.skipped += 1;
                sink.diagnostic(Diagnostic::skipped(display, Locator::File, format!("member not readable: {e}")));
                continue;
            }
        };
        if file.is_dir() {
            continue;
        }
        if file.enclosed_name().is_none() || is_absolute_name(&member_name) {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(
                display,
                Locator::File,
                "member name leaves the archive (absolute or `..`); skipped",
            ));
            continue;
        }
        let declared = file.size();
        let compressed = file.compressed_size().max(1);
        if declared > MAX_MEMBER_BYTES {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(
                display,
                Locator::File,
                format!("member declares {declared} bytes, above the {MAX_MEMBER_BYTES}-byte limit; skipped"),
            ));
            continue;
        }
        if declared > RATIO_FLOOR && declared / compressed > MAX_RATIO {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(
                display,
                Locator::File,
                format!("compression ratio {}:1 looks like a zip bomb; skipped", declared / compressed),
            ));
            continue;
        }
        let budget = MAX_MEMBER_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(total));
        // A member may lie about its size: stop decompressing as soon as the
        // ratio limit is passed, rather than after up to `budget` bytes.
        let ratio_cap = compressed.saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
        let limit = budget.min(ratio_cap);
        let mut buf = Vec::with_capacity(usize::try_from(declared.min(64 << 20)).unwrap_or(0));
        let read = (&mut file).take(limit.saturating_add(1)).read_to_end(&mut buf);
        drop(file);
        if let Err(e) = read {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(display, Locator::File, format!("member cannot be decompressed: {e}")));
            continue;
        }
        let got = buf.len() as u64;
        if got > limit && limit < budget {
            summary.skipped += 1;
            sink.diagnostic(Diagnostic::skipped(
                display,
                Locator::File,
                format!(
                    "decompresses beyond {limit} bytes from {compressed} (ratio above {MAX_RATIO}:1; declared \
                     {declared} bytes); looks like a zip bomb; skipped"
                ),
            ));
            continue;
        }
        if got > budget {
            summary.skipped += 1;
            let reason = if budget < MAX_MEMBER_BYTES {
                format!("archive exceeds {MAX_TOTAL_BYTES} decompressed bytes in total; the rest is not read")
            } else {
                format!("member decompresses beyond {MAX_MEMBER_BYTES} bytes; skipped")
            };
            sink.diagnostic(Diagnostic::skipped(display, Locator::File, reason));
            if budget < MAX_MEMBER_BYTES {
                return;
            }
            continue;
        }
        // No ratio check is needed here: reading stopped at `ratio_cap`, so a member
        // that got this far is within MAX_RATIO (or below RATIO_FLOOR).
        total += got;
        if let Some((log, lcid)) = crate::locale::mta_member_key(&member_name) {
            if buf.starts_with(crate::locale::MTA_MAGIC) {
                let member = InputSummary::new(display.clone(), crate::contract::Format::LocaleMetaData);
                match crate::locale::Locale::from_bytes(&buf, member_name.clone().into(), lcid) {
                    Err(why) => {
                        sink.diagnostic(Diagnostic::failed(display, format!("LocaleMetaData, {why}; not used")))
                    }
                    Ok(_) if !logs.contains(&log) => sink.diagnostic(Diagnostic::failed(
                        display,
                        format!("LocaleMetaData (LCID {lcid}) of a log not in the archive: not used"),
                    )),
                    Ok(locale) => {
                        sink.diagnostic(Diagnostic::note(
                            display,
                            Locator::File,
                            format!("LocaleMetaData (LCID {lcid}): lends its messages and display names to its log"),
                        ));
                        // As for a folder: the preferred language, else en-US, else the lowest.
                        let better = locales.get(&log).is_none_or(|l| {
                            crate::locale::choose(&[l.lcid.min(lcid), l.lcid.max(lcid)], prefer) == Some(lcid)
                        });
                        if better {
                            locales.insert(log, locale);
                        }
                    }
                }
                summary.members.push(member);
                continue;
            }
        }
        let locale = crate::locale::evtx_member_key(&member_name).and_then(|k| locales.get(&k));
        if let Some(locale) = locale {
            sink.diagnostic(Diagnostic::note(display.clone(), Locator::File, locale.note()));
        }
        let lenders = twins.lenders_for(std::path::Path::new(&member_name));
        let member = if locale.is_some() || lenders.is_some() {
            let mut lending = crate::twins::Lending { inner: sink, locale, lenders: lenders.as_deref() };
            read_member(display.clone(), &buf, &mut lending)
        } else {
            read_member(display.clone(), &buf, sink)
        };
        add_member("zip", display, member, sink, summary);
    }
    // The rendered twins: what they did not lend.
    if let Some(reader) = reader {
        for export in &twins.exports {
            let (collect, member) = export.leftovers(reader);
            collect.records.into_iter().for_each(|r| sink.record(r));
            collect.diagnostics.into_iter().for_each(|d| sink.diagnostic(d));
            summary.records += member.records;
            summary.skipped += member.skipped;
            summary.filtered += member.filtered;
            summary.members.push(member);
        }
    }
}

/// Adds what was read from a member of an archive of `kind` (`zip`, `tar`,
/// …) to the archive's `summary`, with a note saying what the member was,
/// so that a listing of the archive shows it.
pub(crate) fn add_member(
    kind: &str,
    display: Arc<str>,
    member: InputSummary,
    sink: &mut dyn Sink,
    summary: &mut InputSummary,
) {
    if member.format != crate::contract::Format::Unknown {
        sink.diagnostic(Diagnostic::note(
            display,
            Locator::File,
            format!(
                "{kind} member read as {}: {} record(s), {} skipped",
                member.format, member.records, member.skipped
            ),
        ));
    }
    summary.records += member.records;
    summary.skipped += member.skipped;
    summary.filtered += member.filtered;
    summary.stale += member.stale;
    summary.members.push(member);
}

/// Pairs the rendered exports of the archive with the binary logs beside
/// them (same folder; logs known by their `.evtx` name), decompressing one
/// member at a time, each at most [`crate::twins::MAX_TWIN_BYTES`] for an
/// export and within the usual member limits for a log.
fn pair_twins(
    reader: &dyn crate::twins::TwinReader,
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &Arc<str>,
    members: &[(String, usize)],
) -> crate::twins::TwinSet {
    use std::path::Path;
    let is_log = |m: &str| crate::locale::evtx_member_key(m).is_some();
    let log_dirs: std::collections::HashSet<&Path> =
        members.iter().filter(|(m, _)| is_log(m)).filter_map(|(m, _)| Path::new(m).parent()).collect();
    if log_dirs.is_empty() {
        return crate::twins::TwinSet::default();
    }
    let display = |m: &str| -> Arc<str> { Arc::from(format!("{name}!{m}")) };
    let mut builder = crate::twins::TwinBuilder::default();
    for (m, index) in members {
        let beside_log = Path::new(m).parent().is_some_and(|d| log_dirs.contains(d));
        if !beside_log || is_log(m) || crate::locale::mta_member_key(m).is_some() {
            continue;
        }
        let Some(bytes) = decompress(archive, *index, crate::twins::MAX_TWIN_BYTES) else { continue };
        let format = reader.detect(bytes.get(..bytes.len().min(64 * 1024)).unwrap_or_default());
        if format.is_rendered_export() {
            builder.add_export(reader, display(m), Path::new(m), &bytes, format, true);
        }
    }
    for dir in builder.dirs_to_align() {
        let mut samples = Vec::new();
        for (m, index) in members.iter().filter(|(m, _)| is_log(m) && Path::new(m).parent() == Some(dir.as_path())) {
            // The first chunks are enough: the header and a few 64 KiB chunks.
            if let Some(head) = decompress_head(archive, *index, 4096 + 4 * 65536) {
                samples.extend(crate::twins::sample_of(&display(m), Cursor::new(head)));
            }
        }
        builder.align(reader, &dir, &samples);
    }
    for (m, index) in members.iter().filter(|(m, _)| is_log(m)) {
        if !builder.wants_log(Path::new(m)) {
            continue;
        }
        if let Some(bytes) = decompress(archive, *index, MAX_MEMBER_BYTES) {
            builder.pair_log(Path::new(m), &display(m), Cursor::new(bytes.as_slice()));
        }
    }
    builder.finish()
}

/// Member `index` decompressed, when it is at most `limit` bytes and not a
/// zip bomb (the ratio limits of [`read_zip`]); `None` otherwise (the main
/// pass reports such members).
fn decompress(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, index: usize, limit: u64) -> Option<Vec<u8>> {
    let file = archive.by_index(index).ok()?;
    if file.is_dir() || file.enclosed_name().is_none() || file.size() > limit {
        return None;
    }
    let ratio_cap = file.compressed_size().max(1).saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
    let cap = limit.min(ratio_cap);
    let mut buf = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= cap).then_some(buf)
}

/// The first `len` bytes of member `index` (fewer when it is shorter).
fn decompress_head(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, index: usize, len: u64) -> Option<Vec<u8>> {
    let file = archive.by_index(index).ok()?;
    let mut buf = Vec::new();
    file.take(len).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Whether a member name is absolute (`/x`, `\\x`, `C:x`). The zip crate
/// strips a leading `/` and accepts such names; they never come from an
/// honest collection tool, so they are refused like `..`.
fn is_absolute_name(name: &str) -> bool {
    let b = name.as_bytes();
    matches!(b.first(), Some(b'/' | b'\\'))
        || (b.get(1) == Some(&b':') && b.first().is_some_and(u8::is_ascii_alphabetic))
}
