//! Mutation sweep over `.evtx` files: truncate at many offsets and flip bytes
//! in the file header, chunk headers, string/template tables and records.
//!
//! For every damaged copy, read through [`Reader::read_bytes`]:
//! - nothing panics;
//! - records the damage cannot have touched are all still delivered (damage
//!   confined to chunk k loses at most chunk k's records; a cut after byte n
//!   keeps every chunk that ends before n);
//! - the damage is reported: any change to bytes a checksum covers, and any
//!   cut that loses records, gives at least one diagnostic.
//!
//! The mutations are a fixed list (no randomness), bounded so the sweep runs
//! in a few seconds. Until the evtx decoder is on this branch the sweep
//! prints why and returns.

use std::collections::BTreeMap;
use std::path::PathBuf;

use evtriage_core::{Collect, Locator, Reader};

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evtx").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// A file of the real corpus, when `EVTRIAGE_CORPUS` is set (missing = failure); `None` when unset.
fn corpus(rel: &str) -> Option<Vec<u8>> {
    let p = evtriage_testutil::corpus(rel)?;
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// What a read gave: records per chunk, and how many diagnostics.
#[derive(Debug, Default)]
struct Outcome {
    per_chunk: BTreeMap<u64, usize>,
    records: usize,
    diagnostics: usize,
    messages: Vec<String>,
}

fn read(bytes: &[u8]) -> Outcome {
    let mut sink = Collect::default();
    Reader::default().read_bytes("sweep.evtx".into(), bytes, &mut sink);
    let mut o = Outcome { records: sink.records.len(), diagnostics: sink.diagnostics.len(), ..Outcome::default() };
    for r in &sink.records {
        if let Locator::Evtx { chunk, .. } = r.origin().locator {
            *o.per_chunk.entry(chunk).or_default() += 1;
        }
    }
    o.messages = sink.diagnostics.iter().map(ToString::to_string).collect();
    o
}

/// Whether the evtx decoder exists here (the stub reads nothing and says so).
fn decoder_present(clean: &Outcome) -> bool {
    !(clean.records == 0 && clean.messages.iter().any(|m| m.contains("not written yet")))
}

fn chunks_in(bytes: &[u8]) -> usize {
    bytes.len().saturating_sub(HEADER) / CHUNK
}

/// Records of chunks other than `k` are all there.
fn others_intact(clean: &Outcome, got: &Outcome, k: Option<u64>, what: &str) {
    for (&chunk, &n) in &clean.per_chunk {
        if Some(chunk) == k {
            continue;
        }
        assert_eq!(got.per_chunk.get(&chunk).copied().unwrap_or(0), n, "{what}: chunk {chunk} lost records");
    }
}

/// Flips one byte (xor 0x5a) at `at`.
fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if let Some(b) = v.get_mut(at) {
        *b ^= 0x5a;
    }
    v
}

fn le_u32(bytes: &[u8], at: usize) -> usize {
    bytes.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

fn sweep(label: &str, bytes: &[u8], gaps: &mut Vec<String>) -> usize {
    let clean = read(bytes);
    if !decoder_present(&clean) {
        return 0;
    }
    assert!(clean.records > 0, "{label}: the undamaged file gives records");
    let chunks = chunks_in(bytes);
    let mut runs = 0;

    // Truncations: inside the header, at and around every chunk boundary, and inside records.
    let mut cuts: Vec<usize> = vec![0, 1, 7, 8, 100, 127, 128, 2048, HEADER - 1, HEADER, HEADER + 1, HEADER + 511];
    for k in 0..chunks.min(8) {
        let start = HEADER + k * CHUNK;
        cuts.extend([start + 600, start + CHUNK / 3, start + CHUNK / 2 + 7, start + CHUNK - 1, start + CHUNK]);
    }
    cuts.retain(|&c| c < bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    for cut in cuts {
        let got = read(bytes.get(..cut).unwrap_or(bytes));
        runs += 1;
        let what = format!("{label} cut at {cut}");
        // Every chunk that ends before the cut keeps all its records.
        for (&chunk, &n) in &clean.per_chunk {
            let end = HEADER + (chunk as usize + 1) * CHUNK;
            if end <= cut {
                assert_eq!(got.per_chunk.get(&chunk).copied().unwrap_or(0), n, "{what}: whole chunk {chunk} lost");
            }
        }
        assert!(got.records <= clean.records, "{what}: records appeared");
        if got.records < clean.records && got.diagnostics <= clean.diagnostics {
            let lost = clean.records - got.records;
            gaps.push(format!("{what}: {lost} of {} records lost without a diagnostic", clean.records));
        }
    }

    // File header: every byte the header CRC covers (0..120) in the fields that matter.
    for at in [0usize, 7, 8, 16, 24, 32, 36, 38, 40, 42, 43, 100, 124] {
        let got = read(&flipped(bytes, at));
        runs += 1;
        let what = format!("{label} file header byte {at} flipped");
        if got.diagnostics <= clean.diagnostics {
            gaps.push(format!("{what}: no diagnostic"));
        }
        if at >= 8 {
            // Only the magic decides what the file is; the rest is advisory.
            others_intact(&clean, &got, None, &what);
        }
    }

    // Chunk k: header fields, string table, template table, first record and a later record.
    for k in 0..chunks.min(4) {
        let start = HEADER + k * CHUNK;
        let free = le_u32(bytes, start + 48).clamp(512, CHUNK);
        let mut spots: Vec<usize> = vec![0, 7, 8, 24, 40, 44, 48, 52, 124, 130, 200, 390, 450, 512, 513, 516, 520, 536];
        spots.extend([free / 2, free.saturating_sub(4)]);
        spots.retain(|&s| s < free && !(120..124).contains(&s));
        for s in spots {
            let at = start + s;
            let got = read(&flipped(bytes, at));
            runs += 1;
            let what = format!("{label} chunk {k} byte {s} flipped");
            others_intact(&clean, &got, Some(k as u64), &what);
            // Bytes 0..120 and 128..512 are under the header CRC, 512..free under the records CRC.
            if got.diagnostics <= clean.diagnostics {
                gaps.push(format!("{what}: damage not reported"));
            }
        }
    }
    runs
}

#[test]
fn evtx_mutation_sweep_over_fixtures_and_corpus() {
    let mut files: Vec<(String, Vec<u8>)> =
        ["three-chunks.evtx", "example-dc-boot.evtx"].iter().map(|n| (n.to_string(), fixture(n))).collect();
    for rel in
        ["evtx/mdecrevoisier_ID7009_meterpreter_System.evtx", "evtx/evtxattack_Zerologon_NetLogon_5805_System.evtx"]
    {
        if let Some(b) = corpus(rel) {
            files.push((rel.to_string(), b));
        }
    }
    let mut total = 0;
    let mut gaps = Vec::new();
    for (label, bytes) in &files {
        total += sweep(label, bytes, &mut gaps);
    }
    assert!(
        gaps.is_empty(),
        "{} of {total} damaged copies read without a diagnostic:\n{}",
        gaps.len(),
        gaps.join("\n")
    );
    if total == 0 {
        eprintln!("skipped: the evtx decoder is not on this branch yet (read_evtx is a stub)");
    } else {
        eprintln!("{total} damaged copies of {} files read", files.len());
    }
}

#[test]
fn evtx_known_damage_fixtures_are_reported() {
    // The writer's damaged fixtures: 3 chunks × 50 records, chunk 1 damaged.
    let clean = read(&fixture("three-chunks.evtx"));
    if !decoder_present(&clean) {
        eprintln!("skipped: the evtx decoder is not on this branch yet");
        return;
    }
    assert_eq!(clean.records, 150);
    let mut gaps = Vec::new();
    for name in [
        "damaged-chunk-magic.evtx",
        "damaged-chunk-header-crc.evtx",
        "damaged-chunk-data-crc.evtx",
        "damaged-record-magic.evtx",
        "damaged-file-header-crc.evtx",
    ] {
        let got = read(&fixture(name));
        if got.diagnostics == 0 {
            gaps.push(format!("{name}: damage not reported"));
        }
        let k = if name == "damaged-record-magic.evtx" { 0 } else { 1 };
        let damaged_chunk = if name == "damaged-file-header-crc.evtx" { None } else { Some(k) };
        others_intact(&clean, &got, damaged_chunk, name);
    }
    // The truncated fixture: the cut chunk is reported, not lost silently.
    let got = read(&fixture("truncated.evtx"));
    if got.diagnostics == 0 {
        gaps.push("truncated.evtx: the cut is not reported".to_string());
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

#[test]
fn evtx_integrity_check_flags_exactly_the_damaged_corpus_files() {
    let Some(dir) = evtriage_testutil::corpus("evtx") else { return };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("EVTRIAGE_CORPUS is set but {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "the corpus holds its evtx files");
    let mut flagged = BTreeMap::new();
    for p in &paths {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let found = evtriage_core::evtx_check::check(&name.as_str().into(), &bytes);
        if !found.is_empty() {
            flagged.insert(name, found.into_iter().map(|d| d.message).collect::<Vec<_>>());
        }
    }
    let names: Vec<&str> = flagged.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "omerbenamram_Application_no_crc32.evtx",
            "omerbenamram_bad_chunk_magic_appx.evtx",
            "omerbenamram_security_bad_string_cache.evtx",
            "omerbenamram_system_zero-data-size-event.evtx",
            "omerbenamram_vss0_RdpCoreTS_dirty.evtx",
        ]
    );
    let no_crc = &flagged["omerbenamram_Application_no_crc32.evtx"];
    assert_eq!(no_crc.len(), 3, "file header, chunk header and records checksums all zero: {no_crc:?}");
    let bad_strings = &flagged["omerbenamram_security_bad_string_cache.evtx"];
    assert!(bad_strings.iter().all(|m| m.starts_with("chunk 0: header checksum mismatch")), "{bad_strings:?}");
    // Through the reader: the checksum notes come with the records, and a cut file is reported by the decoder.
    let read_one = |name: &str| {
        let mut sink = Collect::default();
        let s = Reader::default().read_file(&dir.join(name), &mut sink);
        (s.records, sink.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>())
    };
    let (records, notes) = read_one("omerbenamram_Application_no_crc32.evtx");
    assert!(records > 0);
    assert_eq!(notes.iter().filter(|m| m.contains("checksum mismatch")).count(), 3, "{notes:?}");
    let (records, notes) = read_one("plaso_System2_truncated.evtx");
    assert!(records > 0);
    assert!(notes.iter().any(|m| m.contains("cut short") || m.contains("ends")), "{notes:?}");
}
