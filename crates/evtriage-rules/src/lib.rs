//! # evtriage-rules
//!
//! Maps patterns of typed records (from `evtriage-core`) to known,
//! KB-documented causes, with evidence.
//!
//! - [`spec`]: the rule file format (TOML; the guide is `docs/rules.md`);
//! - [`rule`]: loading and validating rules into a [`RuleSet`] — the built-in
//!   rules are embedded, a user's own are added with [`RuleSet::load_dir`];
//! - [`engine`]: the [`Engine`], a [`evtriage_core::Sink`] that keeps only
//!   what rules can use and produces [`Finding`]s;
//! - [`services`]: service identity (key name ↔ display name) and default ports;
//! - [`codes`]: error-code equality (`%%58` = `58` = `0x3A` = `ERROR_BAD_NET_RESP`);
//! - [`report`]: the [`Report`] and its sinks ([`TextReport`], [`JsonReport`]);
//! - [`catalog`]: the rule catalogue (`rules list`);
//! - [`fixtures`]: running each rule's positive and negative fixtures (`rules test`).
//!
//! ```no_run
//! use evtriage_rules::{analyze, RuleSet};
//! let rules = RuleSet::builtin().expect("built-in rules load");
//! let report = analyze(&rules, &["case-folder"]);
//! for f in &report.findings {
//!     println!("{} {} {}", f.confidence, f.kb.join(","), f.title);
//! }
//! ```
//!
//! Port data from Microsoft's support article KB832017 (Service overview and
//! network port requirements for Windows), © Microsoft, licensed under CC BY 4.0.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod catalog;
pub mod codes;
pub mod engine;
pub mod finding;
pub mod fixtures;
pub mod report;
pub mod rule;
pub mod services;
pub mod spec;

pub use engine::{Analysis, Engine};
pub use finding::{Confidence, Evidence, Finding, Kind, Role};
pub use report::{JsonReport, Report, ReportSink, TextReport};
pub use rule::{Rule, RuleError, RuleOrigin, RuleSet};

/// The version of the findings JSON contract.
pub const REPORT_VERSION: u32 = 1;

/// Reads `paths` (files, folders, archives) with the rules' event filter, runs
/// the rules and returns the report. Never fails: unreadable input becomes a
/// diagnostic in the report.
pub fn analyze<P: AsRef<std::path::Path>>(rules: &RuleSet, paths: &[P]) -> Report {
    let options = evtriage_core::ReadOptions { threads: 0, event_filter: Some(rules.event_filter()) };
    let reader = evtriage_core::Reader::new(options);
    let mut engine = Engine::new(rules.clone());
    let inputs = reader.read_paths(paths, &mut engine);
    let analysis = engine.finish();
    Report::new(&inputs, analysis.findings, &analysis.diagnostics)
}
