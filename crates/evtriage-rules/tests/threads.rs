//! Findings do not depend on the number of threads: the reader decodes files
//! and evtx chunks in parallel but delivers in input order, and the engine
//! sorts what it reports. The whole JSON report (findings, evidence, inputs,
//! diagnostics) must be byte-identical for 1, 2, 3 and 8 threads (1 and 3 on the larger corpus).

mod common;

use std::path::{Path, PathBuf};

use evtriage_core::{ReadOptions, Reader};
use evtriage_rules::{Engine, Report};

fn report_json(paths: &[PathBuf], threads: usize) -> (String, usize) {
    let rules = common::builtin();
    let mut engine = Engine::new(rules);
    let reader = Reader::new(ReadOptions::new().threads(threads).event_filter(engine.event_filter()));
    let inputs = reader.read_paths(paths, &mut engine);
    let analysis = engine.finish();
    let report = Report::new(&inputs, analysis.findings, &analysis.diagnostics);
    // The JSON contract (what `evtriage analyze --format json` prints).
    (serde_json::to_string_pretty(&report).unwrap_or_default(), report.findings.len())
}

fn same_for_every_thread_count(paths: &[PathBuf], counts: &[usize]) -> usize {
    let (one, findings) = report_json(paths, 1);
    assert!(one.len() > 100, "empty report: {one}");
    for &threads in counts {
        let (other, _) = report_json(paths, threads);
        assert!(other == one, "the report with {threads} threads differs from the one with 1 thread");
    }
    findings
}

#[test]
fn fixture_findings_are_identical_whatever_the_thread_count() {
    // Every rule's fixtures at once: many small files (evtx, XML, netstat,
    // tasklist, registry), with findings from every built-in rule.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules");
    let findings = same_for_every_thread_count(&[root], &[2, 3, 8]);
    // (Cases of one rule about the same computer and service merge into one finding.)
    assert!(findings >= 5, "only {findings} findings over all rule fixtures");
}

#[test]
fn corpus_report_is_identical_whatever_the_thread_count() {
    // The real evtx logs: multi-chunk files, damaged chunks, recovered records.
    let Some(evtx) = evtriage_testutil::corpus("evtx") else { return };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/kb4530043-ismserv-boot");
    let findings = same_for_every_thread_count(&[evtx, fixtures], &[3]);
    assert!(findings >= 1, "the IsmServ fixture yields no finding next to the corpus");
}
