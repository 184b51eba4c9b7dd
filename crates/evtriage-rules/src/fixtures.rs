//! Rule fixtures: `evtriage rules test`, the way every rule proves itself.
//!
//! Layout, under a fixtures folder (`fixtures/rules` in this repository):
//! ```text
//! <rule-id>/positive/<case>/   input files (any format evtriage reads) + expect.toml
//! <rule-id>/negative/<case>/   input files; the rule must not fire
//! ```
//! A case may also be a single file directly under `positive/` or
//! `negative/`. `expect.toml` of a positive case says:
//! ```toml
//! confidence = "confirmed"          # required: the confidence the finding must have
//! evidence = 3                      # optional: at least this many pieces of evidence
//! cause_contains = ["dns.exe"]      # optional: text the cause must contain
//! remediation_contains = ["sc config"]
//! cause_lacks = ["limit"]           # optional: text the cause must not contain
//! ```
//! and every positive finding's cause and steps must have all their
//! placeholders filled (no `{name}` left as written):
//! ```text
//! ```
//! Each case is analysed on its own with the whole rule set, so that
//! supersession is part of the test (a generic rule's negative case can be
//! "a specific rule explains this"). When an XML input has a binary twin
//! next to it (`System.xml` + `System.evtx`, made by the test-support evtx
//! writer), the case runs twice: with the XML files, then with the twins.

use std::path::{Path, PathBuf};

use evtriage_core::{Format, ReadOptions, Reader};
use serde::Deserialize;

use crate::finding::{Confidence, Finding, Kind};
use crate::rule::RuleSet;
use crate::{Engine, Report};

/// What a positive case expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The confidence the finding must have.
    pub confidence: Confidence,
    /// At least this many pieces of evidence.
    #[serde(default)]
    pub evidence: Option<usize>,
    /// Text the cause must contain.
    #[serde(default)]
    pub cause_contains: Vec<String>,
    /// Text some remediation step must contain.
    #[serde(default)]
    pub remediation_contains: Vec<String>,
    /// Text the cause must not contain (a check that must not have held).
    #[serde(default)]
    pub cause_lacks: Vec<String>,
    /// Text no remediation step may contain.
    #[serde(default)]
    pub remediation_lacks: Vec<String>,
    /// The service the finding must be about (key name, ignoring case).
    #[serde(default)]
    pub service: Option<String>,
    /// Exactly this many occurrences (merged anchors).
    #[serde(default)]
    pub occurrences: Option<usize>,
    /// The kind of finding (`fault`, `info` or `security`); default: not checked.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// (Generic findings) text some item (`service: detail (N×)`) must contain.
    #[serde(default)]
    pub items_contain: Vec<String>,
    /// (Generic findings) exactly this many items (services and details).
    #[serde(default)]
    pub items: Option<usize>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The case behaved as expected.
    Pass,
    /// It did not; the reason says how.
    Fail(String),
    /// It could not run (an input format this build cannot read yet).
    Skip(String),
}

/// One fixture case and its outcome.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The rule the case tests.
    pub rule: String,
    /// `positive` or `negative`.
    pub kind: String,
    /// The case folder or file.
    pub path: PathBuf,
    /// What happened.
    pub outcome: Outcome,
    /// The findings of the case (for a failure report).
    pub findings: Vec<Finding>,
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn case_inputs(case: &Path) -> Vec<PathBuf> {
    if case.is_file() {
        return vec![case.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut stack = vec![case.to_path_buf()];
    while let Some(d) = stack.pop() {
        for p in sorted_entries(&d) {
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "expect.toml" && n != "README.md") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Analyses one set of inputs with `rules` (events filtered as in `analyze`).
pub fn analyze_files(rules: &RuleSet, files: &[PathBuf]) -> Report {
    let mut engine = Engine::new(rules.clone());
    let reader = Reader::new(ReadOptions::new().threads(1).event_filter(engine.event_filter()));
    let inputs = reader.read_paths(files, &mut engine);
    let analysis = engine.finish();
    Report::new(&inputs, analysis.findings, &analysis.diagnostics).with_computers(&analysis.computers)
}

/// Runs every fixture case under `dir` for the rules of `rules` (a folder whose
/// name is not a rule id is reported as a failure, so that a typo cannot hide a test).
/// With `only`, runs the cases of that rule alone.
pub fn run(rules: &RuleSet, dir: &Path, only: Option<&str>) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for rule_dir in sorted_entries(dir).into_iter().filter(|p| p.is_dir()) {
        let id = rule_dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if only.is_some_and(|o| o != id) {
            continue;
        }
        if rules.get(&id).is_none() {
            results.push(CaseResult {
                rule: id.clone(),
                kind: String::new(),
                path: rule_dir.clone(),
                outcome: Outcome::Fail(format!("`{id}` is not a loaded rule")),
                findings: Vec::new(),
            });
            continue;
        }
        for kind in ["positive", "negative"] {
            for case in sorted_entries(&rule_dir.join(kind)) {
                results.push(run_case(rules, &id, kind, &case));
            }
        }
    }
    results
}

/// The ways to run a case: its files as they are, or, when a file has a
/// binary twin (`System.xml` and `System.evtx`), once with the XML sources and
/// once with the `.evtx` twins, so that each format proves the case alone.
fn variants(files: &[PathBuf]) -> Vec<(&'static str, Vec<PathBuf>)> {
    let twin_of = |p: &PathBuf| -> Option<PathBuf> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        (ext == "xml").then(|| p.with_extension("evtx")).filter(|t| files.contains(t))
    };
    let twins: Vec<(PathBuf, PathBuf)> = files.iter().filter_map(|x| twin_of(x).map(|t| (x.clone(), t))).collect();
    if twins.is_empty() {
        return vec![("", files.to_vec())];
    }
    let without = |drop: &dyn Fn(&(PathBuf, PathBuf)) -> &PathBuf| -> Vec<PathBuf> {
        files.iter().filter(|f| !twins.iter().any(|t| drop(t) == *f)).cloned().collect()
    };
    vec![("xml", without(&|t| &t.1)), ("evtx twins", without(&|t| &t.0))]
}

fn run_case(rules: &RuleSet, id: &str, kind: &str, case: &Path) -> CaseResult {
    let mut result = CaseResult {
        rule: id.to_string(),
        kind: kind.to_string(),
        path: case.to_path_buf(),
        outcome: Outcome::Pass,
        findings: Vec::new(),
    };
    let files = case_inputs(case);
    if files.is_empty() {
        result.outcome = Outcome::Fail("the case has no input files".into());
        return result;
    }
    for (label, files) in variants(&files) {
        let report = analyze_files(rules, &files);
        // Unknown formats, and inputs this build failed to read as a whole
        // (a reader not written yet), skip the case rather than fail it.
        let failed_whole = |path: &str| {
            report.diagnostics.iter().any(|d| d.source == path && d.severity == "failed" && d.locator == "file")
        };
        let unreadable: Vec<&str> = report
            .inputs
            .iter()
            .filter(|i| i.format == Format::Unknown.name() || (i.records == 0 && failed_whole(&i.path)))
            .map(|i| i.path.as_str())
            .collect();
        let outcome = if !unreadable.is_empty() {
            Outcome::Skip(format!("this build cannot read {}", unreadable.join(", ")))
        } else {
            let mine: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == id).collect();
            if kind == "negative" {
                match mine.first() {
                    None => Outcome::Pass,
                    Some(f) => Outcome::Fail(format!("fired ({}) on a negative case: {}", f.confidence, f.cause)),
                }
            } else {
                check_positive(case, &mine)
            }
        };
        let outcome = match (outcome, label) {
            (o, "") => o,
            (Outcome::Fail(why), l) => Outcome::Fail(format!("{why} (with the {l})")),
            (Outcome::Skip(why), l) => Outcome::Skip(format!("{why} (with the {l})")),
            (Outcome::Pass, _) => Outcome::Pass,
        };
        result.findings = report.findings;
        match outcome {
            Outcome::Pass => {}
            other => {
                result.outcome = other;
                return result;
            }
        }
    }
    result
}

fn check_positive(case: &Path, mine: &[&Finding]) -> Outcome {
    let expect_path = if case.is_dir() { case.join("expect.toml") } else { case.with_extension("expect.toml") };
    let expect: Expect = match std::fs::read_to_string(&expect_path) {
        Ok(t) => match toml::from_str(&t) {
            Ok(e) => e,
            Err(e) => return Outcome::Fail(format!("{}: {e}", expect_path.display())),
        },
        Err(e) => return Outcome::Fail(format!("{}: {e} (a positive case needs one)", expect_path.display())),
    };
    let Some(f) = mine.first() else { return Outcome::Fail("did not fire".into()) };
    if mine.len() > 1 {
        return Outcome::Fail(format!("fired {} times; expected one merged finding", mine.len()));
    }
    if f.confidence != expect.confidence {
        return Outcome::Fail(format!("confidence {} (expected {})", f.confidence, expect.confidence));
    }
    if let Some(n) = expect.evidence {
        if f.evidence.len() < n {
            return Outcome::Fail(format!("{} pieces of evidence (expected at least {n})", f.evidence.len()));
        }
    }
    for c in &expect.cause_contains {
        if !f.cause.contains(c.as_str()) {
            return Outcome::Fail(format!("cause lacks `{c}`: {}", f.cause));
        }
    }
    for c in &expect.remediation_contains {
        if !f.remediation.iter().any(|s| s.contains(c.as_str())) {
            return Outcome::Fail(format!("remediation lacks `{c}`"));
        }
    }
    for c in &expect.cause_lacks {
        if f.cause.contains(c.as_str()) {
            return Outcome::Fail(format!("cause contains `{c}`: {}", f.cause));
        }
    }
    for c in &expect.remediation_lacks {
        if let Some(step) = f.remediation.iter().find(|s| s.contains(c.as_str())) {
            return Outcome::Fail(format!("remediation contains `{c}`: {step}"));
        }
    }
    for text in std::iter::once(&f.cause).chain(f.remediation.iter()) {
        if let Some(p) = unfilled_placeholder(text) {
            return Outcome::Fail(format!("placeholder `{p}` left unfilled in: {text}"));
        }
    }
    if let Some(svc) = &expect.service {
        if !f.service.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(svc)) {
            return Outcome::Fail(format!("about service {:?} (expected {svc})", f.service));
        }
    }
    if let Some(n) = expect.occurrences {
        if f.occurrences != n {
            return Outcome::Fail(format!("{} occurrences (expected {n})", f.occurrences));
        }
    }
    if let Some(k) = expect.kind {
        if f.kind != k {
            return Outcome::Fail(format!("kind {} (expected {})", f.kind.name(), k.name()));
        }
    }
    let items: Vec<String> =
        f.items.iter().map(|i| format!("{}: {} ({}×)", i.service_label(), i.detail, i.count)).collect();
    if let Some(n) = expect.items {
        if items.len() != n {
            return Outcome::Fail(format!("{} items (expected {n}): {items:?}", items.len()));
        }
    }
    for c in &expect.items_contain {
        if !items.iter().any(|i| i.contains(c.as_str())) {
            return Outcome::Fail(format!("no item contains `{c}`: {items:?}"));
        }
    }
    Outcome::Pass
}

/// The first `{name}` placeholder left as written in a finding's text (a
/// name of letters, digits and `_` in braces; PowerShell's `{0:X8}` or
/// `{$_.Name}` are not placeholders).
pub fn unfilled_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..)?;
        if let Some(close) = after.find('}') {
            let name = after.get(..close)?;
            let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ident {
                return rest.get(open..open + close + 2);
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod placeholder_tests {
    use super::unfilled_placeholder;

    #[test]
    fn unfilled_placeholders_are_told_from_other_braces() {
        assert_eq!(unfilled_placeholder("stopped {since_boot} after"), Some("{since_boot}"));
        assert_eq!(unfilled_placeholder("`'0x{0:X8}' -f 159` and `Where-Object {$_.Name}`"), None);
        assert_eq!(unfilled_placeholder("GUID {5bb10ca4-d5ba-4b31} and {}"), None);
        assert_eq!(unfilled_placeholder("no braces"), None);
    }
}
