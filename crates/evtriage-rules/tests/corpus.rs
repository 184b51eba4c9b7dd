//! The real-log corpus (`$EVTRIAGE_CORPUS`): none of it shows a founding-rule
//! cause (no IsmServ, MSExchangeIMC, SMTP or port-conflict pattern; see its
//! MANIFEST.md), so `analyze` over all of it must find nothing, while still
//! keeping the SCM failure events it has as candidates.

mod common;

use evtriage_rules::{analyze, Engine};

#[test]
fn whole_corpus_yields_no_unsupported_finding() {
    let Some(root) = common::corpus("") else { return };
    let rules = common::builtin();
    let report = analyze(&rules, &[&root]);
    assert!(report.inputs.len() >= 33, "only {} inputs under {}", report.inputs.len(), root.display());
    let founding: Vec<_> = report.findings.iter().filter(|f| rules.get(&f.rule).is_some()).collect();
    assert!(founding.is_empty(), "findings the corpus does not support: {founding:#?}");
}

#[test]
fn scm_failures_in_a_real_log_are_candidates_and_nothing_fires() {
    let Some(path) = common::corpus("evtx/omerbenamram_system.evtx") else { return };
    let rules = common::builtin();
    let reader =
        evtriage_core::Reader::new(evtriage_core::ReadOptions { threads: 1, event_filter: Some(rules.event_filter()) });
    let mut engine = Engine::new(rules);
    let inputs = reader.read_paths(&[&path], &mut engine);
    let analysis = engine.finish();
    assert_eq!(inputs.len(), 1);
    if inputs[0].records == 0 {
        eprintln!("skipped: this build does not decode .evtx yet ({} diagnostics)", analysis.diagnostics.len());
        return;
    }
    // The manifest counts 7000 ×3 and 7023 ×12 from SCM in this file (7001 and 7026 are not rule anchors).
    assert!(analysis.kept >= 15, "kept {} of {} records", analysis.kept, analysis.seen);
    assert!(inputs[0].filtered > 0, "the event filter passed over nothing");
    assert!(analysis.findings.is_empty(), "{:#?}", analysis.findings);
}
