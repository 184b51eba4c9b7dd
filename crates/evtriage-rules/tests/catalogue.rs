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
    assert_eq!(
        ids,
        vec![
            "kb296086-smtp-port-25",
            "kb298565-imc-sitedn",
            "kb4530043-ismserv-boot",
            "kb948609-autodiscover-net20sp2",
            "port-conflict",
            "port-conflict-dns-socket-pool",
            "port-conflict-lsass",
        ]
    );
    assert_eq!(v[2]["kb"], serde_json::json!(["KB4530043"]));
    assert_eq!(v[2]["confidence"], "possible");
    assert_eq!(v[2]["max_confidence"], "confirmed");
    assert_eq!(v[5]["supersedes"], serde_json::json!(["port-conflict"]));
}
