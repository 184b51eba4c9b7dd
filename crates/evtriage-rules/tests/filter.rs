//! The rule set's event filter changes what the engine is sent, never what it
//! finds: findings (with all their evidence) are the same as when the engine
//! is sent every record, and the filter does pass most records over.

mod common;

use std::path::{Path, PathBuf};

use evtriage_core::{Event, EventKey, ReadOptions, Reader, Selection, Verdict};
use evtriage_rules::{Engine, Finding};

/// Which filter to read with.
#[derive(Clone, Copy, PartialEq)]
enum With {
    Nothing,
    RuleSet,
    Engine,
}

/// Findings and the records read and passed over.
fn run(paths: &[PathBuf], with: With, threads: usize) -> (Vec<Finding>, u64, u64) {
    let rules = common::builtin();
    let mut engine = Engine::new(rules.clone());
    let event_filter = match with {
        With::Nothing => None,
        With::RuleSet => Some(rules.event_filter()),
        With::Engine => Some(engine.event_filter()),
    };
    let options = ReadOptions::new().threads(threads);
    let reader = Reader::new(match event_filter {
        Some(f) => options.event_filter(f),
        None => options,
    });
    let inputs = reader.read_paths(paths, &mut engine);
    let analysis = engine.finish();
    let read = inputs.iter().map(|i| i.records).sum();
    let passed = inputs.iter().map(|i| i.filtered).sum();
    (analysis.findings, read, passed)
}

fn same_findings_with_and_without(paths: &[PathBuf]) -> (usize, u64, u64) {
    let (all, read_all, passed_all) = run(paths, With::Nothing, 2);
    assert_eq!(passed_all, 0, "nothing is passed over without a filter");
    for with in [With::RuleSet, With::Engine] {
        for threads in [1, 2] {
            let (some, read, _) = run(paths, with, threads);
            assert_eq!(read, read_all, "the same records are read");
            assert!(some == all, "findings differ with the filter ({threads} threads)");
        }
    }
    let (_, read, passed) = run(paths, With::Engine, 2);
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
    e.record_id = Some(record);
    e.time = Some(common::at(record as i64));
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

#[test]
fn a_log_given_twice_is_passed_over_the_second_time() {
    // The README example's System log and a copy of it under another name:
    // the engine keeps one event per identity, and its filter passes over
    // the copy's matched events on the workers (the first copy's units come
    // first in delivery order).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example/dc1-case/System.evtx");
    let dir = std::env::temp_dir().join(format!("evtriage-filter-twice-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (a, b) = (dir.join("a-System.evtx"), dir.join("b-System.evtx"));
    assert!(std::fs::copy(&src, &a).is_ok() && std::fs::copy(&src, &b).is_ok());
    let once = run(std::slice::from_ref(&a), With::Nothing, 1);
    for threads in [1, 2] {
        let (twice, read, passed) = run(&[a.clone(), b.clone()], With::Engine, threads);
        let (plain, _, plain_passed) = run(&[a.clone(), b.clone()], With::RuleSet, threads);
        assert!(twice == once.0 && plain == once.0, "the copy changes nothing ({threads} threads)");
        assert_eq!(read, 2 * once.1);
        assert!(passed >= plain_passed, "{passed} passed over, {plain_passed} without claims");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_engine_filter_passes_over_what_an_earlier_unit_delivered() {
    let engine = Engine::new(common::builtin());
    let filter = engine.event_filter();
    let netlogon = |record| scm_7036("Netlogon", "running", "Netlogon", record);
    // Unit 7 runs first and claims record 3; unit 5 (earlier in delivery
    // order) still delivers its copy, and lowers the claim.
    let mut late = filter.reviewer_at(Some(7));
    assert_eq!(late.review(&netlogon(3), true), Verdict::Complete);
    let mut early = filter.reviewer_at(Some(5));
    assert_eq!(early.review(&netlogon(3), true), Verdict::Complete);
    // Unit 9 comes after both: its copy is a repeat, and its computer and
    // service name were told by the earlier units' copies.
    let mut after = filter.reviewer_at(Some(9));
    assert_eq!(after.review(&netlogon(3), true), Verdict::Repeat);
    // A repeat naming a computer no earlier unit named is still delivered.
    let mut moved = netlogon(3);
    moved.computer = Some("DC2.contoso.com".into());
    assert_eq!(after.review(&moved, true), Verdict::Complete);
    // Another record is no repeat.
    assert_eq!(after.review(&netlogon(4), true), Verdict::Complete);
    // A rule set's own filter keeps no claims.
    let plain = common::builtin().event_filter();
    let mut r = plain.reviewer_at(Some(9));
    assert_eq!(r.review(&netlogon(3), true), Verdict::Complete);
    assert_eq!(r.review(&netlogon(3), true), Verdict::Complete);
}

#[test]
fn without_a_binary_key_a_name_the_table_gives_another_service_is_passed_over() {
    let rules = common::builtin();
    let filter = rules.event_filter();
    let mut reviewer = filter.reviewer();
    let win7 = |display: &str, state: &str, record| {
        let mut e = scm_7036(display, state, "x", record);
        e.binary = None;
        e
    };
    // Windows 7 writes no Binary key. "Netlogon" may be the Netlogon service
    // the record checks look for; so may a name the table does not know.
    assert_eq!(reviewer.review(&win7("Netlogon", "running", 1), true), Verdict::Complete);
    assert_eq!(reviewer.review(&win7("Anmeldedienst", "running", 2), true), Verdict::Complete);
    // "Windows Update" is wuauserv's: not kept (the first event of the chunk
    // still tells its computer).
    assert_eq!(reviewer.review(&win7("Windows Update", "running", 3), true), Verdict::Drop);
}

#[test]
fn logs_that_give_a_known_name_to_another_service_are_reported() {
    use evtriage_core::{Record, Sink};
    let mut engine = Engine::new(common::builtin());
    // A 7040 ("the start type of X was changed") names display and key.
    let origin =
        evtriage_core::Origin::new("System.evtx".into(), evtriage_core::Locator::Evtx { chunk: 0, record_id: 9 });
    let mut e = Event::new(Some("Service Control Manager".into()), 7040, origin);
    e.data = vec![
        evtriage_core::DataItem::named("param1", "Windows Update"),
        evtriage_core::DataItem::named("param2", "auto start"),
        evtriage_core::DataItem::named("param3", "demand start"),
        evtriage_core::DataItem::named("param4", "Netlogon"),
    ];
    engine.record(Record::Event(Box::new(e)));
    let analysis = engine.finish();
    let notes: Vec<&str> = analysis.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        notes.iter().any(|m| m.contains("service Netlogon \"windows update\"") && m.contains("wuauserv")),
        "{notes:?}"
    );
}
