//! `evtriage inputs`: per-file format, counts and diagnostics, as a table and as JSON.

use std::path::PathBuf;

use crate::util::{bin, fixture};

fn fixtures() -> PathBuf {
    fixture("inputs")
}

#[test]
fn inputs_json_lists_every_fixture_with_counts() {
    let out = bin().args(["inputs", "--format", "json"]).arg(fixtures()).output().expect("run evtriage");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = v["files"].as_array().expect("files");
    let find = |suffix: &str| {
        files.iter().find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(suffix))).expect(suffix).clone()
    };
    let reg = find("ismserv_imc_utf16.reg");
    assert_eq!(
        (reg["format"].as_str(), reg["records"].as_u64(), reg["skipped"].as_u64()),
        (Some("reg"), Some(16), Some(1))
    );
    assert_eq!(reg["diagnostics"][0]["locator"]["line"].as_u64(), Some(21));
    let xml = find("wevtutil_system_truncated.xml");
    assert_eq!(
        (xml["format"].as_str(), xml["records"].as_u64(), xml["skipped"].as_u64()),
        (Some("event-xml"), Some(3), Some(2))
    );
    let etw = find("ldap_client_trace_utf16.txt");
    assert_eq!(etw["format"].as_str(), Some("etw-text"));
    // The README of the fixtures is text of no known kind.
    let readme = find("README.md");
    assert_eq!(readme["format"].as_str(), Some("unknown"));
}

#[test]
fn inputs_table_names_format_and_skips() {
    let out = bin().arg("inputs").arg(fixtures().join("tasklist_svc.txt")).output().expect("run evtriage");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text.lines().find(|l| l.contains("tasklist_svc.txt")).expect("row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[1..], ["tasklist", "8", "1", "0", "0"], "format, records, skipped, filtered, stale");
    assert!(text.contains("skipped (line 13): no PID in the PID column"));
}
