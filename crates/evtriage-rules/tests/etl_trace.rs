//! KB4530043 confirmed from a binary `.etl` LDAP client trace exactly as from
//! its text rendering: the engine sees the same trace events whatever the
//! trace's form (issue: read binary .etl traces directly).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use evtriage_etl::writer::{EtlWriter, EventSpec, Layout, WriterConfig};
use evtriage_rules::{analyze, Confidence, Finding, RuleSet};

const FREQ: i64 = 10_000_000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The positive fixture whose trace is text: its System log and boot-ldap.txt.
fn fixture() -> PathBuf {
    repo().join("fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed")
}

fn at(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => panic!("{text}: {e}"),
    }
}

/// The fixture's five trace lines as an `.etl` of ISMSERV.EXE's LDAP client
/// session: 64-bit EVENT_HEADER records on two processors, written as a
/// circular file that wrapped (buffers out of file order).
fn boot_ldap_etl() -> Vec<u8> {
    let start = at("2024-03-02T06:01:30Z");
    let cfg = WriterConfig {
        buffer_size: 512,
        circular: true,
        perf_freq: FREQ,
        start_time: start,
        processors: 2,
        ..WriterConfig::default()
    };
    let raw = |t: &str| cfg.start_raw + (at(t) - start).num_microseconds().unwrap_or(0) * (FREQ / 1_000_000);
    let lines = [
        (1, "2024-03-02T06:01:33.861Z", "ldap_open called for host DC1.contoso.com port 389.", 0),
        (
            8,
            "2024-03-02T06:01:33.902Z",
            "LdapParallelConnect called for connection 0x1a2b3c40 with timeout 45 sec 0 usec.  Total count is 1.",
            1,
        ),
        (
            9,
            "2024-03-02T06:01:34.916Z",
            "LdapParallelConnect finished for connection 0x1a2b3c40.  Time taken was 1 sec.  Original timeout specified was 45 sec 0 usec.",
            1,
        ),
        (2, "2024-03-02T06:01:34.917Z", "LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.", 0),
        (2, "2024-03-02T06:01:34.918Z", "ldap_connect returning error 0x5b for connection 0x1a2b3c40.", 1),
    ];
    let stamps: Vec<i64> = lines.iter().map(|(_, t, _, _)| raw(t)).collect();
    let mut w = EtlWriter::new(cfg);
    for ((id, _, text, cpu), stamp) in lines.iter().zip(stamps) {
        w.event(&EventSpec::ldap_message(*id, text, stamp, *cpu));
    }
    w.finish(Layout::Rotated(1))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

fn copy(from: &Path, to: &Path) {
    if let Err(e) = std::fs::copy(from, to) {
        panic!("cannot copy {} to {}: {e}", from.display(), to.display());
    }
}

fn ism_finding(paths: &[PathBuf]) -> Finding {
    let rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => panic!("built-in rules: {e}"),
    };
    let report = analyze(&rules, paths);
    let mut ism: Vec<Finding> = report.findings.into_iter().filter(|f| f.rule == "kb4530043-ismserv-boot").collect();
    assert_eq!(ism.len(), 1, "one KB4530043 finding");
    ism.remove(0)
}

#[test]
fn etl_trace_confirms_kb4530043_like_its_text_rendering() {
    let dir = scratch("kb4530043-etl");
    copy(&fixture().join("System.xml"), &dir.join("System.xml"));
    let etl = dir.join("boot-ldap.etl");
    if let Err(e) = std::fs::write(&etl, boot_ldap_etl()) {
        panic!("cannot write {}: {e}", etl.display());
    }

    let from_etl = ism_finding(std::slice::from_ref(&dir));
    let from_text = ism_finding(&[fixture().join("System.xml"), fixture().join("boot-ldap.txt")]);

    assert_eq!(from_etl.confidence, Confidence::Confirmed);
    assert_eq!(from_etl.confidence, from_text.confidence);
    assert_eq!(from_etl.cause, from_text.cause, "same facts, same sentence");
    assert_eq!(from_etl.kb, ["KB4530043"]);
    let trace: Vec<_> = from_etl.evidence.iter().filter(|e| e.source.ends_with("boot-ldap.etl")).collect();
    assert_eq!(trace.len(), 2, "the parallel connect that gave up early and the failed connect: {trace:?}");
    assert!(trace.iter().any(|e| e.summary.contains("LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b")));
    assert!(trace.iter().any(|e| e.summary.contains("Time taken was 1 sec")));
    let failed = trace.iter().find(|e| e.summary.contains("LdapConnect failed")).and_then(|e| e.time);
    assert_eq!(failed, Some(at("2024-03-02T06:01:34.917Z")));
    let text_times: Vec<_> =
        from_text.evidence.iter().filter(|e| e.source.ends_with("boot-ldap.txt")).map(|e| e.time).collect();
    let etl_times: Vec<_> = trace.iter().map(|e| e.time).collect();
    assert_eq!(etl_times, text_times, "the same records at the same UTC times");
    assert!(failed.is_some_and(|t| at("2024-03-02T06:01:35.120Z") - t < Duration::seconds(1)));
}
