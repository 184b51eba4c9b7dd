//! `Reader::read_paths_map`: a function run on each unit of decoded input on
//! the worker that decoded it, its results delivered in input order. The
//! results must not depend on the number of threads, must carry everything
//! `read_paths` delivers (records and diagnostics, in the same order), and a
//! panicking map must cost only its unit.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::{Collect, Entry, InputSummary, Locator, ReadOptions, Reader, Record, Unit};
use evtriage_testutil::corpus;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

fn reader(threads: usize) -> Reader {
    Reader::new(ReadOptions::new().threads(threads))
}

/// What `read_paths` delivers with one thread: the reference.
fn reference(paths: &[PathBuf]) -> (Collect, Vec<InputSummary>) {
    let mut sink = Collect::default();
    let summaries = reader(1).read_paths(paths, &mut sink);
    (sink, summaries)
}

/// Everything `read_paths_map` delivers, collected back unit by unit, and
/// how many units there were.
fn mapped(paths: &[PathBuf], threads: usize) -> (Collect, Vec<InputSummary>, usize) {
    let mut sink = Collect::default();
    let mut units = 0;
    let summaries = reader(threads).read_paths_map(paths, &|unit: Unit| unit, |unit: Unit| {
        units += 1;
        unit.deliver(&mut sink);
    });
    (sink, summaries, units)
}

/// (source, locator) of every record, in order.
fn positions(c: &Collect) -> Vec<(String, Locator)> {
    c.records.iter().map(|r| (r.origin().source.to_string(), r.origin().locator)).collect()
}

#[test]
fn mapped_units_carry_exactly_what_read_paths_delivers() {
    let missing = fixture("evtx/no-such-file.evtx");
    let paths = vec![fixture("evtx"), fixture("inputs"), missing.clone()];
    let (want, want_summaries) = reference(&paths);
    // The fixtures hold good and damaged logs and text inputs: records and
    // diagnostics of several kinds.
    assert!(want.records.len() > 100, "{} records", want.records.len());
    assert!(want.diagnostics.len() >= 6, "{} diagnostics", want.diagnostics.len());
    for threads in [1, 2, 3, 8] {
        let (got, summaries, units) = mapped(&paths, threads);
        assert_eq!(got.records, want.records, "records with {threads} threads");
        assert_eq!(got.diagnostics, want.diagnostics, "diagnostics with {threads} threads");
        assert_eq!(summaries, want_summaries, "summaries with {threads} threads");
        // More units than files: evtx logs come chunk by chunk.
        assert!(units > summaries.len(), "{units} units for {} files", summaries.len());
    }
    // The missing path is reported by the walk, first, in a unit of no input.
    let mut first = None;
    reader(2).read_paths_map(
        &paths,
        &|unit: Unit| (unit.input(), unit.diagnostics().map(|d| d.source.to_string()).collect::<Vec<_>>()),
        |u| {
            if first.is_none() {
                first = Some(u);
            }
        },
    );
    let (input, sources) = first.expect("at least one unit");
    assert_eq!(input, None);
    assert_eq!(sources, vec![missing.to_string_lossy().into_owned()]);
}

#[test]
fn order_is_the_same_for_any_thread_count_and_maps_run_on_the_workers() {
    let paths = vec![fixture("evtx/multi-chunk.evtx"), fixture("evtx/three-chunks.evtx"), fixture("inputs")];
    let caller = std::thread::current().id();
    let run = |threads: usize| {
        let mut ids = Vec::new();
        let mut off_caller = 0;
        let mut on_caller = 0;
        let map = |unit: Unit| {
            let ran_here = std::thread::current().id() == caller;
            let input = unit.input();
            let records: Vec<(String, Locator)> =
                unit.records().map(|r| (r.origin().source.to_string(), r.origin().locator)).collect();
            (ran_here, input, records)
        };
        reader(threads).read_paths_map(&paths, &map, |(ran_here, input, records)| {
            if !records.is_empty() {
                if ran_here {
                    on_caller += 1;
                } else {
                    off_caller += 1;
                }
            }
            ids.extend(records.into_iter().map(|r| (input, r)));
        });
        (ids, on_caller, off_caller)
    };
    let (one, on1, off1) = run(1);
    assert!(one.len() > 100, "{} records", one.len());
    // One thread: everything runs on the calling thread.
    assert_eq!(off1, 0);
    assert!(on1 >= 3);
    // Inside one evtx file, records come in record-id order.
    let evtx_ids: Vec<u64> = one
        .iter()
        .filter(|(input, _)| *input == Some(0))
        .filter_map(|(_, (_, l))| match l {
            Locator::Evtx { record_id, .. } => Some(*record_id),
            _ => None,
        })
        .collect();
    assert!(evtx_ids.len() > 50);
    assert!(evtx_ids.windows(2).all(|w| w[0] < w[1]), "record ids out of order");
    for threads in [2, 4] {
        let (many, on, off) = run(threads);
        assert_eq!(many, one, "order with {threads} threads");
        // Every unit holding records was mapped on a pool worker.
        assert_eq!(on, 0, "{threads} threads: units mapped on the calling thread");
        assert_eq!(off, on1);
    }
    // The input index names the summary the records belong to.
    let (want, summaries) = reference(&paths);
    assert_eq!(one.len(), want.records.len());
    for (input, (source, _)) in &one {
        let i = input.expect("records belong to an input");
        assert_eq!(summaries[i].path.as_ref(), source.as_str());
    }
}

#[test]
fn a_panicking_map_costs_only_its_unit() {
    let path = fixture("evtx/three-chunks.evtx");
    let (want, want_summaries) = reference(std::slice::from_ref(&path));
    let chunk_of = |r: &Record| match r.origin().locator {
        Locator::Evtx { chunk, .. } => Some(chunk),
        _ => None,
    };
    let in_chunk_1 = want.records.iter().filter(|r| chunk_of(r) == Some(1)).count();
    assert!(in_chunk_1 > 0);
    for threads in [1, 2] {
        let map = |unit: Unit| {
            if unit.records().any(|r| chunk_of(r) == Some(1)) {
                panic!("test: map fails on chunk 1");
            }
            unit.into_entries().collect::<Vec<Entry>>()
        };
        let mut records = Vec::new();
        let mut diagnostics = Vec::new();
        let summaries = reader(threads).read_paths_map(std::slice::from_ref(&path), &map, |entries| {
            for e in entries {
                match e {
                    Entry::Record(r) => records.push(r),
                    Entry::Diagnostic(d) => diagnostics.push(d),
                }
            }
        });
        // Every other chunk's records arrive, in order.
        let others: Vec<&Record> = want.records.iter().filter(|r| chunk_of(r) != Some(1)).collect();
        assert_eq!(records.iter().collect::<Vec<_>>(), others, "{threads} threads");
        // The lost unit is a skipped-data diagnostic, counted.
        let internal: Vec<_> = diagnostics.iter().filter(|d| d.message.contains("internal error")).collect();
        assert_eq!(internal.len(), 1, "{threads} threads: {diagnostics:?}");
        assert_eq!(internal[0].source.as_ref(), path.to_string_lossy().as_ref());
        assert_eq!(summaries[0].skipped, want_summaries[0].skipped + 1);
        // Its records were never delivered, so they are not counted as read.
        assert_eq!(summaries[0].records, want_summaries[0].records - in_chunk_1 as u64);
    }
}

#[test]
fn read_bytes_of_an_evtx_log_is_the_same_with_threads() {
    let path = fixture("evtx/multi-chunk.evtx");
    let bytes = std::fs::read(&path).expect("fixture");
    let name: Arc<str> = Arc::from("multi-chunk.evtx");
    let mut one = Collect::default();
    let s1 = reader(1).read_bytes(name.clone(), &bytes, &mut one);
    let mut two = Collect::default();
    let s2 = reader(2).read_bytes(name, &bytes, &mut two);
    assert!(one.records.len() > 50);
    assert_eq!(s1, s2);
    assert_eq!(one.records, two.records);
    assert_eq!(one.diagnostics, two.diagnostics);
}

#[test]
fn corpus_mapped_equals_read_paths() {
    let Some(dir) = corpus("evtx") else { return };
    let paths = vec![dir];
    let (want, want_summaries) = reference(&paths);
    assert!(want.records.len() > 10_000, "{} records", want.records.len());
    let (got, summaries, _) = mapped(&paths, 2);
    assert_eq!(positions(&got), positions(&want));
    assert_eq!(got.records, want.records);
    assert_eq!(got.diagnostics, want.diagnostics);
    assert_eq!(summaries, want_summaries);
}

/// A sink that writes down every call, in order.
#[derive(Default)]
struct Calls(Vec<String>);

impl evtriage_core::Sink for Calls {
    fn record(&mut self, record: Record) {
        self.0.push(format!("record {}", record.origin().source));
    }
    fn diagnostic(&mut self, d: evtriage_core::Diagnostic) {
        self.0.push(format!("diagnostic {}", d.source));
    }
    fn begin_read(&mut self, files: &[PathBuf]) {
        self.0.push(format!("read {}", files.len()));
    }
    fn begin_input(&mut self, input: &InputSummary) {
        assert_eq!((input.records, input.skipped, input.filtered), (0, 0, 0), "{} begins with counts", input.path);
        self.0.push(format!("begin {} {}", input.path, input.format));
    }
    fn end_input(&mut self, input: &InputSummary) {
        self.0.push(format!("end {} {} {}", input.path, input.records, input.skipped));
    }
}

#[test]
fn the_sink_hears_where_each_input_begins_and_ends() {
    // The text inputs, the evtx fixtures, a file that is not a log (README.md:
    // no record, still an input) and a path that does not exist (the walk's
    // diagnostic, before any input).
    let missing = fixture("no-such-file.evtx");
    let paths = [fixture("inputs"), fixture("evtx"), missing.clone()];
    let mut reference: Option<Vec<String>> = None;
    for threads in [1, 2, 4] {
        let mut calls = Calls::default();
        let summaries = reader(threads).read_paths(&paths, &mut calls);
        let calls = calls.0;
        assert!(calls[0].starts_with("diagnostic ") && calls[0].contains("no-such-file"), "{:?}", calls[0]);
        assert_eq!(calls[1], format!("read {}", summaries.len()));
        // Every input begins once and ends once with its final counts, in
        // the order of the summaries; its records and diagnostics come
        // between the two.
        let mut at = 2;
        for s in &summaries {
            assert_eq!(calls[at], format!("begin {} {}", s.path, s.format), "threads {threads}");
            at += 1;
            let mut records = 0;
            while !calls[at].starts_with("end ") {
                assert!(calls[at].ends_with(&*s.path) || calls[at].contains(&format!("{}!", s.path)), "{}", calls[at]);
                records += u64::from(calls[at].starts_with("record "));
                at += 1;
            }
            assert_eq!(calls[at], format!("end {} {} {}", s.path, s.records, s.skipped));
            assert_eq!(records, s.records - s.filtered, "{}", s.path);
            at += 1;
        }
        assert_eq!(at, calls.len());
        let readme = summaries.iter().find(|s| s.path.ends_with("inputs/README.md")).expect("README.md is an input");
        assert_eq!((readme.format, readme.records), (evtriage_core::Format::Unknown, 0));
        match &reference {
            None => reference = Some(calls),
            Some(r) => assert_eq!(r, &calls, "threads {threads}"),
        }
    }
}
