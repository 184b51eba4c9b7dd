//! The `gen-fixtures` command: which XML scenarios get a twin, `--check`, and log order.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::read_with_evtx_crate;
use evtriage_evtx_writer::fixtures::{scenarios, twin, TWIN_MARKER};

const EVENT: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
<Provider Name='Service Control Manager'/><EventID Qualifiers='49152'>7023</EventID><Level>2</Level>\
<TimeCreated SystemTime='2026-03-02T06:00:41.2187500Z'/><EventRecordID>@RID@</EventRecordID>\
<Channel>System</Channel><Computer>DC1.contoso.com</Computer></System>\
<EventData><Data Name='param1'>Intersite Messaging</Data><Data Name='param2'>%%58</Data></EventData></Event>";

fn event(id: u64) -> String {
    EVENT.replace("@RID@", &id.to_string())
}

/// A scratch fixtures tree of its own for each test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("evtx-writer-gen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["rules/ism", "evtx", "xml"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn gen(root: &Path, check: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gen-fixtures"));
    cmd.arg(root);
    if check {
        cmd.arg("--check");
    }
    cmd.output().unwrap()
}

#[test]
fn twins_are_made_for_rules_evtx_and_marked_scenarios_only() {
    let root = scratch("optin");
    write(&root.join("rules/ism/case.xml"), &format!("<Events>{}</Events>", event(7)));
    write(&root.join("evtx/other.xml"), &event(8));
    write(&root.join("xml/marked.xml"), &format!("<!-- {TWIN_MARKER} -->\n{}", event(9)));
    write(&root.join("xml/plain.xml"), &event(10)); // an XML-reader fixture: no twin
    write(&root.join("rules/ism/not-events.xml"), "<Rules><Rule id='x'/></Rules>"); // no <Event>
    let found: Vec<String> = scenarios(&root)
        .unwrap()
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(found, ["evtx/other.xml", "rules/ism/case.xml", "xml/marked.xml"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn check_fails_on_missing_or_stale_twins_and_passes_after_generating() {
    let root = scratch("check");
    write(&root.join("rules/ism/case.xml"), &format!("<Events>{}{}</Events>", event(1), event(2)));

    let out = gen(&root, true);
    assert_eq!(out.status.code(), Some(1), "missing twin");
    assert!(String::from_utf8_lossy(&out.stderr).contains("case.evtx"));

    let out = gen(&root, false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let twin_path = root.join("rules/ism/case.evtx");
    let (read, errors) = read_with_evtx_crate(&std::fs::read(&twin_path).unwrap());
    assert_eq!((read.len(), errors), (2, 0));
    assert_eq!(read.iter().map(|e| (e.event_id, e.record_id.unwrap())).collect::<Vec<_>>(), [(7023, 1), (7023, 2)]);
    assert_eq!(read[1].field("param2"), Some("%%58"));
    assert!(root.join("evtx/multi-chunk.evtx").exists(), "the built-in files are written too");
    assert!(gen(&root, true).status.success(), "fresh after generating");

    // The scenario changes: the twin is stale until regenerated.
    write(&root.join("rules/ism/case.xml"), &format!("<Events>{}{}{}</Events>", event(1), event(2), event(3)));
    let out = gen(&root, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale: "));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_broken_scenario_is_an_error_naming_it() {
    let root = scratch("broken");
    write(
        &root.join("rules/ism/bad.xml"),
        &format!("<Events>{}<Event><System><EventID>1</System></Event></Events>", event(1)),
    );
    let out = gen(&root, false);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.xml"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn newest_first_exports_are_written_oldest_first() {
    let root = scratch("order");
    let xml = root.join("rules/ism/newest-first.xml");
    write(&xml, &format!("<Events>{}{}{}</Events>", event(302), event(301), event(300)));
    let out = twin(&xml).unwrap();
    let (read, _) = read_with_evtx_crate(&out.bytes);
    assert_eq!(read.iter().map(|e| e.record_id.unwrap()).collect::<Vec<_>>(), [300, 301, 302]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_repository_fixtures_pass_check() {
    let out = gen(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"), true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
