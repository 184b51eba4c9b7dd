//! The rule set's event filter changes what the engine is sent, never what it
//! finds: findings (with all their evidence) are the same as when the engine
//! is sent every record, and the filter does pass most records over.

mod common;

use std::path::{Path, PathBuf};

use evtriage_core::{Event, EventKey, ReadOptions, Reader, Selection, Verdict};
use evtriage_rules::{Engine, Finding};

/// Findings and the records read and passed over, with or without the filter.
fn run(paths: &[PathBuf], filtered: bool, threads: usize) -> (Vec<Finding>, u64, u64) {
    let rules = common::builtin();
    let event_filter = filtered.then(|| rules.event_filter());
    let reader = Reader::new(ReadOptions { threads, event_filter });
    let mut engine = Engine::new(rules);
    let inputs = reader.read_paths(paths, &mut engine);
    let analysis = engine.finish();
    let read = inputs.iter().map(|i| i.records).sum();
    let passed = inputs.iter().map(|i| i.filtered).sum();
    (analysis.findings, read, passed)
}

fn same_findings_with_and_without(paths: &[PathBuf]) -> (usize, u64, u64) {
    let (all, read_all, passed_all) = run(paths, false, 2);
    assert_eq!(passed_all, 0, "nothing is passed over without a filter");
    for threads in [1, 2] {
        let (some, read, _) = run(paths, true, threads);
        assert_eq!(read, read_all, "the same records are read");
        assert!(some == all, "findings differ with the filter ({threads} threads)");
    }
    let (_, read, passed) = run(paths, true, 2);
    (all.len(), read, passed)
}

#[test]
fn fixtures_give_the_same_findings_with_the_filter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules");
    let (findings, read, passed) = same_findings_with_and_without(&[root]);
    assert!(findings > 40, "only {findings} findings over every rule's fixtures");
    assert!(passed > 0 && passed < read, "{passed} of {read} passed over");
}

#[test]
fn real_system_logs_give_the_same_findings_with_the_filter() {
    let Some(dir) = evtriage_testutil::corpus("evtx") else { return };
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    paths.retain(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("System")));
    paths.sort();
    assert!(paths.len() >= 10, "the corpus has its System logs");
    let (findings, read, passed) = same_findings_with_and_without(&paths);
    assert!(findings > 0);
    // Mostly SCM 7036 that no rule matches: passed over on the workers after
    // the first of each service name in each chunk.
    assert!(passed * 2 > read, "only {passed} of {read} records passed over");
}

/// An SCM 7036 as the System log writes it.
fn scm_7036(display: &str, state: &str, key: &str, record: u64) -> Event {
    let origin =
        evtriage_core::Origin::new("System.evtx".into(), evtriage_core::Locator::Evtx { chunk: 0, record_id: record });
    let mut e = Event::new(Some("Service Control Manager".into()), 7036, origin);
    e.provider.event_source_name = Some("Service Control Manager".into());
    e.computer = Some("DC1.contoso.com".into());
    e.data = vec![evtriage_core::DataItem::named("param1", display), evtriage_core::DataItem::named("param2", state)];
    e.binary = Some(format!("{key}/4\0").encode_utf16().flat_map(u16::to_le_bytes).collect());
    e
}

#[test]
fn the_reviewer_keeps_what_teaches_and_what_matches() {
    let rules = common::builtin();
    let filter = rules.event_filter();
    let key = EventKey { provider: Some("Service Control Manager"), guid: None, event_id: 7036 };
    assert_eq!(filter.select(&key), Selection::ReviewPartial);
    let mut reviewer = filter.reviewer();
    // The first of a service name pair teaches it; its repeats do not.
    let bits = scm_7036("Background Intelligent Transfer Service", "running", "BITS", 1);
    assert_eq!(reviewer.review(&bits, true), Verdict::Deliver);
    assert_eq!(
        reviewer.review(&scm_7036("Background Intelligent Transfer Service", "running", "BITS", 2), true),
        Verdict::Drop
    );
    // A Netlogon state change is a record some rule checks: decoded whole and kept.
    let netlogon = scm_7036("Netlogon", "running", "Netlogon", 3);
    assert_eq!(reviewer.review(&netlogon, true), Verdict::Complete);
    assert_eq!(reviewer.review(&scm_7036("Netlogon", "running", "Netlogon", 4), true), Verdict::Complete);
    // A new computer name is told once.
    let mut elsewhere = scm_7036("Background Intelligent Transfer Service", "running", "BITS", 5);
    elsewhere.computer = Some("DC2.contoso.com".into());
    assert_eq!(reviewer.review(&elsewhere, true), Verdict::Deliver);
    // A fresh chunk starts again.
    let mut next = filter.reviewer();
    assert_eq!(next.review(&bits, true), Verdict::Deliver);
}
