//! Every built-in rule's fixtures under `fixtures/rules/`, run the way
//! `evtriage rules test` runs them: positive cases fire with the expected
//! confidence, negative cases stay silent.

mod common;

use evtriage_rules::fixtures::{self, Outcome};

#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    let rules = common::builtin();
    let dir = common::repo_root().join("fixtures/rules");
    for r in rules.rules() {
        for kind in ["positive", "negative"] {
            let cases = std::fs::read_dir(dir.join(r.id()).join(kind)).map(|d| d.count()).unwrap_or(0);
            assert!(cases >= 1, "rule {} has no {kind} fixture", r.id());
        }
    }
}

#[test]
fn fixtures_pass() {
    let rules = common::builtin();
    let dir = common::repo_root().join("fixtures/rules");
    let results = fixtures::run(&rules, &dir, None);
    assert!(results.len() >= 20, "only {} fixture cases found", results.len());
    let mut failures = Vec::new();
    let mut skipped = 0;
    for r in &results {
        match &r.outcome {
            Outcome::Pass => {}
            Outcome::Skip(why) => {
                skipped += 1;
                eprintln!("skipped {} {}: {why}", r.rule, r.path.display());
            }
            Outcome::Fail(why) => failures.push(format!("{} {} {}: {why}", r.rule, r.kind, r.path.display())),
        }
    }
    assert!(failures.is_empty(), "fixture failures:\n{}", failures.join("\n"));
    if std::env::var_os("EVTRIAGE_STRICT_FIXTURES").is_some() {
        assert_eq!(skipped, 0, "EVTRIAGE_STRICT_FIXTURES is set and {skipped} cases were skipped");
    }
}
