//! `Reader::read_paths_lines`: every record as its JSON line, written while
//! decoding, with repeated evtx content written from the bytes of its first
//! line. The lines must be exactly those that writing each record of
//! `read_paths_map` with `jsonl::write_line` gives, whatever the thread
//! count, the filters, and the damage in the input.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::{EventKey, InputSummary, JsonLines, LineFacts, ReadOptions, Reader, Record, Unit};
use evtriage_testutil::corpus;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

type Keep = evtriage_core::KeepLine;

/// What one run delivered: the bytes, the line count, the diagnostics' texts.
#[derive(Debug, PartialEq)]
struct Run {
    bytes: Vec<u8>,
    lines: u64,
    diagnostics: Vec<String>,
    summaries: Vec<InputSummary>,
}

/// The reference: records read as records (no line cache), each written
/// with `write_line`, filtered by `keep` here.
fn by_records(paths: &[PathBuf], options: ReadOptions, keep: Option<&Keep>) -> Run {
    let mut run = Run { bytes: Vec::new(), lines: 0, diagnostics: Vec::new(), summaries: Vec::new() };
    let mut dropped = 0;
    let mut scratch = String::new();
    let summaries = Reader::new(options).read_paths_map(paths, &|unit: Unit| unit, |unit: Unit| {
        for d in unit.diagnostics() {
            run.diagnostics.push(d.to_string());
        }
        for r in unit.records() {
            if let (Record::Event(e), Some(k)) = (r, keep) {
                if !k(&LineFacts::of(e)) {
                    dropped += 1;
                    continue;
                }
            }
            evtriage_core::jsonl::write_line(r, true, &mut run.bytes, &mut scratch);
            run.lines += 1;
        }
    });
    // `keep`'s drops count as filtered, as the line reader counts them.
    run.summaries = summaries;
    let total: u64 = run.summaries.iter().map(|s| s.filtered).sum();
    run.summaries.iter_mut().for_each(|s| s.filtered = 0);
    if let Some(first) = run.summaries.first_mut() {
        first.filtered = total + dropped;
    }
    run
}

fn by_lines(paths: &[PathBuf], options: ReadOptions, keep: Option<&Keep>) -> Run {
    let mut run = Run { bytes: Vec::new(), lines: 0, diagnostics: Vec::new(), summaries: Vec::new() };
    let format = JsonLines { rendered: true, keep: keep.cloned() };
    let summaries = Reader::new(options).read_paths_lines(
        paths,
        format,
        &|mut unit: Unit| {
            assert_eq!(unit.records().count(), 0, "a line unit holds no records");
            let d: Vec<String> = unit.diagnostics().map(|d| d.to_string()).collect();
            (unit.take_lines(), unit.line_count(), d)
        },
        |(bytes, n, d)| {
            run.bytes.extend_from_slice(&bytes);
            run.lines += n;
            run.diagnostics.extend(d);
        },
    );
    run.summaries = summaries;
    let total: u64 = run.summaries.iter().map(|s| s.filtered).sum();
    run.summaries.iter_mut().for_each(|s| s.filtered = 0);
    if let Some(first) = run.summaries.first_mut() {
        first.filtered = total;
    }
    run
}

fn options(threads: usize) -> ReadOptions {
    ReadOptions::new().threads(threads)
}

fn assert_same(paths: &[PathBuf], make: impl Fn(usize) -> ReadOptions, keep: Option<&Keep>) -> Run {
    let want = by_records(paths, make(1), keep);
    for threads in [1, 2] {
        let got = by_lines(paths, make(threads), keep);
        assert_eq!(got.lines, want.lines, "{paths:?}, {threads} threads: line count");
        assert_eq!(got.bytes.iter().filter(|b| **b == b'\n').count() as u64, got.lines);
        if got.bytes != want.bytes {
            let (g, w) = (String::from_utf8_lossy(&got.bytes), String::from_utf8_lossy(&want.bytes));
            let first = g.lines().zip(w.lines()).position(|(a, b)| a != b);
            panic!(
                "{paths:?}, {threads} threads: lines differ at line {first:?}:\n got {:?}\nwant {:?}",
                first.and_then(|i| g.lines().nth(i)),
                first.and_then(|i| w.lines().nth(i))
            );
        }
        assert_eq!(got.diagnostics, want.diagnostics, "{paths:?}, {threads} threads: diagnostics");
        assert_eq!(got.summaries, want.summaries, "{paths:?}, {threads} threads: summaries");
    }
    want
}

#[test]
fn lines_of_the_fixtures_are_their_records_written_one_by_one() {
    // Good and damaged logs (a record retried through XML, carved records,
    // a cut-short chunk) and text inputs, whose records are written as lines too.
    let run = assert_same(&[fixture("evtx"), fixture("inputs")], options, None);
    assert!(run.lines > 100, "{} lines", run.lines);
    assert!(!run.diagnostics.is_empty());
    let text = String::from_utf8(run.bytes).unwrap();
    assert!(text.lines().any(|l| l.starts_with(r#"{"kind":"socket""#)), "netstat rows are lines too");
    assert!(text.lines().any(|l| l.contains(r#""event_id":7023"#) && l.contains(r#""rendered":"The Intersite"#)));
}

#[test]
fn lines_of_every_corpus_log_are_its_records_written_one_by_one() {
    let Some(dir) = corpus("evtx") else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() > 20);
    let mut lines = 0;
    for f in &files {
        lines += assert_same(std::slice::from_ref(f), options, None).lines;
    }
    // All of them together: one cache across files, one source per file.
    assert_eq!(assert_same(&files, options, None).lines, lines);
    assert!(lines > 30_000, "{lines} lines");
    // With the stale records of slack space too: they are written from their
    // own values (never from a cached line), marked `"recovered":true`.
    let stale = |threads| ReadOptions::new().threads(threads).recovered(true);
    let with_stale = assert_same(&files, stale, None);
    assert!(with_stale.lines > lines, "{} lines with stale records, {lines} without", with_stale.lines);
    let text = String::from_utf8(with_stale.bytes).unwrap();
    let marked = text.lines().filter(|l| l.contains(r#""recovered":true"#)).count() as u64;
    assert_eq!(marked, with_stale.lines - lines);
}

#[test]
fn filters_drop_the_same_lines_as_from_records() {
    let Some(root) = corpus("") else { return };
    let paths = vec![root.join("evtx"), fixture("evtx")];
    // Level and time, asked per line (the time differs from record to record of one content).
    let since = chrono::DateTime::parse_from_rfc3339("2016-06-01T00:00:00Z").unwrap().to_utc();
    let keep: Keep = Arc::new(move |f: &LineFacts<'_>| {
        matches!(f.level, Some(2..=4)) && f.time.is_some_and(|t| t >= since) && f.channel != Some("Security")
    });
    let all = assert_same(&paths, options, None);
    let some = assert_same(&paths, options, Some(&keep));
    assert!(some.lines > 1000 && some.lines < all.lines, "{} of {} lines", some.lines, all.lines);
    // With an event filter on provider and id too.
    let with_filter = |threads| {
        let f = |k: &EventKey<'_>| (7000..=7045).contains(&k.event_id);
        ReadOptions::new().threads(threads).event_filter(Arc::new(f))
    };
    let scm = assert_same(&paths, with_filter, Some(&keep));
    assert!(scm.lines > 100 && scm.lines < some.lines, "{} lines", scm.lines);
    let text = String::from_utf8(scm.bytes).unwrap();
    assert!(text.lines().all(|l| l.contains(r#""event_id":70"#)));
}
