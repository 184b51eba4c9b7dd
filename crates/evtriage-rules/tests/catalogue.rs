//! `docs/rules.md` carries the generated rule catalogue; this fails when it is
//! stale. Regenerate with `EVTRIAGE_UPDATE_CATALOGUE=1 cargo test -p evtriage-rules --test catalogue`.

mod common;

use evtriage_rules::catalog;

#[test]
fn committed_catalogue_is_current() {
    let path = common::repo_root().join("docs/rules.md");
    let doc = match std::fs::read_to_string(&path) {
        Ok(d) => d,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let fresh = catalog::markdown(&common::builtin());
    let Some(updated) = catalog::splice(&doc, &fresh) else {
        panic!("docs/rules.md lacks the catalogue markers");
    };
    if std::env::var_os("EVTRIAGE_UPDATE_CATALOGUE").is_some() {
        if let Err(e) = std::fs::write(&path, &updated) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    assert!(
        updated == doc,
        "docs/rules.md is stale: run `EVTRIAGE_UPDATE_CATALOGUE=1 cargo test -p evtriage-rules --test catalogue`"
    );
}

#[test]
fn json_catalogue_lists_every_rule() {
    let set = common::builtin();
    let v: serde_json::Value = match serde_json::from_str(&catalog::json(&set)) {
        Ok(v) => v,
        Err(e) => panic!("rules list JSON does not parse: {e}"),
    };
    let ids: Vec<&str> = v.as_array().map(|a| a.iter().filter_map(|r| r["id"].as_str()).collect()).unwrap_or_default();
    assert_eq!(ids.len(), set.rules().len());
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "the catalogue lists rules by id");
    for id in [
        "kb4530043-ismserv-boot",
        "port-conflict-dns-socket-pool",
        "service-start-failed",
        "kb2385818-w32time-workgroup",
        "tcp-port-exhaustion",
        "cve-2020-1472-zerologon-5805",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let entry = |id: &str| v.as_array().and_then(|a| a.iter().find(|r| r["id"] == id)).cloned().unwrap_or_default();
    let ism = entry("kb4530043-ismserv-boot");
    assert_eq!(ism["kb"], serde_json::json!(["KB4530043"]));
    assert_eq!(ism["confidence"], "possible");
    assert_eq!(ism["max_confidence"], "confirmed");
    assert_eq!(ism["kind"], "fault");
    assert_eq!(
        entry("port-conflict-dns-socket-pool")["supersedes"],
        serde_json::json!(["port-conflict", "wsaeaddrinuse", "service-start-failed"])
    );
    assert_eq!(entry("kb2385818-w32time-workgroup")["kind"], "info");
    // The generic rule yields to every specific rule about the same SCM failures.
    let yielding: Vec<&str> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["supersedes"].as_array().is_some_and(|s| s.iter().any(|x| x == "service-start-failed")))
                .filter_map(|r| r["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(yielding.len() >= 20, "only {} rules supersede service-start-failed: {yielding:?}", yielding.len());
    // Every built-in rule file is loaded (file name = id).
    let dir = common::repo_root().join("crates/evtriage-rules/rules");
    let mut files: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_string))
            .collect(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    files.sort();
    assert_eq!(ids, files);
    assert_eq!(entry("tcp-port-exhaustion")["max_confidence"], "confirmed");
    // Every built-in rule has an area of the catalogue (docs/rules.md lists them by area).
    let without: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter(|e| e["area"].as_str().is_none()).filter_map(|e| e["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(without.is_empty(), "built-in rules without an area: {without:?}");
    assert_eq!(entry("kb2385818-w32time-workgroup")["area"], "time");
    // Security findings belong to the security indicators.
    for e in v.as_array().into_iter().flatten() {
        if e["kind"] == "security" {
            assert_eq!(e["area"], "security", "{}", e["id"]);
        }
    }
    assert_eq!(entry("netlogon-5805-session-auth")["max_confidence"], "possible");
}
