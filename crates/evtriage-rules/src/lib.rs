//! # evtriage-rules
//!
//! Maps patterns of typed records (from `evtriage-core`) to known,
//! KB-documented causes, with evidence.
//!
//! The front door is the [`Analyzer`] (paths in, [`Report`] out; threads,
//! stale records and a progress callback); [`analyze`] is its short form.
//!
//! - [`spec`]: the rule file format (TOML; the guide is `docs/rules.md`);
//! - [`rule`]: loading and validating rules into a [`RuleSet`] — the built-in
//!   rules are embedded, a user's own are added with [`RuleSet::load_dir`];
//! - [`engine`]: the [`Engine`], a [`evtriage_core::Sink`] that keeps only
//!   what rules can use and produces [`Finding`]s;
//! - [`RuleSet::event_filter`]: passes over, on the reader's worker threads,
//!   the records no rule can use;
//! - [`services`]: service identity (key name ↔ display name) and default ports;
//! - error codes are compared as numbers (`%%58` = `58` = `0x3A` = `ERROR_BAD_NET_RESP`),
//!   through [`evtriage_core::codes::normalize_code`];
//! - [`report`]: the [`Report`], the outcome of an analysis (written in each format by `evtriage-print`);
//! - [`audit`]: a rule's sources and remediation checked (KBs backed by a source, no harmful command);
//! - [`catalog`]: the rule catalogue (`rules list`);
//! - [`fixtures`]: running each rule's positive and negative fixtures (`rules test`).
//!
//! ## Analyze a folder and iterate the findings
//!
//! ```
//! use evtriage_rules::{analyze, RuleSet};
//!
//! # let case = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed");
//! let rules = RuleSet::builtin().expect("the built-in rules load");
//! let report = analyze(&rules, &[case]); // files, folders or zip archives
//! for f in &report.findings {
//!     println!("[{}] {} {} on {}", f.confidence, f.kb.join(","), f.title, f.computer);
//!     for e in &f.evidence {
//!         println!("    {:?} {} ({} {})", e.role, e.summary, e.source, e.locator);
//!     }
//! }
//! let f = &report.findings[0];
//! assert_eq!((f.rule.as_str(), f.kb[0].as_str()), ("kb4530043-ismserv-boot", "KB4530043"));
//! assert_eq!(f.confidence, evtriage_rules::Confidence::Confirmed);
//! assert_eq!(f.service.as_deref(), Some("IsmServ"));
//! ```
//!
//! ## Load a custom rule
//!
//! Rules are TOML (the guide is `docs/rules.md`). Put your own in a folder
//! and add them with [`RuleSet::load_dir`] (what `evtriage analyze --rules
//! DIR` does), or parse one from text:
//!
//! ```
//! use evtriage_rules::{analyze, Rule, RuleOrigin, RuleSet};
//!
//! let text = r#"
//! id = "dns-waits-for-ad"
//! title = "DNS Server waits for the initial AD DS synchronization"
//! kb = ["KB2001093"]
//! confidence = "possible"
//! cause = "The DNS Server service waits for Active Directory Domain Services to finish its initial synchronization."
//! remediation = ["Check replication: `repadmin /showrepl`."]
//!
//! [anchor]
//! provider = ["Microsoft-Windows-DNS-Server-Service"]
//! event_id = 4013
//! "#;
//! let rule = Rule::parse(text, RuleOrigin::File("dns-waits-for-ad.toml".into())).expect("a valid rule");
//! let mut rules = RuleSet::new();
//! rules.add(rule);
//!
//! # let boot = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/evtx/example-dc-boot.xml");
//! let report = analyze(&rules, &[boot]);
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].rule, "dns-waits-for-ad");
//! assert_eq!(report.findings[0].computer, "DC1.contoso.com");
//!
//! // A mistake is reported with its place, not discovered when the rule never fires.
//! let err = Rule::parse("id = \"x\"\ntitel = \"typo\"\n", RuleOrigin::File("bad.toml".into())).unwrap_err();
//! assert!(err.to_string().contains("bad.toml"));
//! ```
//!
//! Runnable programs are in `examples/` (`cargo run -p evtriage-rules --example findings -- PATH`).
//!
//! Port data from Microsoft's support article KB832017 (Service overview and
//! network port requirements for Windows), © Microsoft, licensed under CC BY 4.0.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analyzer;
pub mod audit;
pub mod catalog;
mod codes;
pub mod engine;
mod filter;
pub mod finding;
pub mod fixtures;
mod identity;
pub mod report;
pub mod rule;
pub mod services;
pub mod spec;
mod store;

pub use analyzer::{Analyzer, Progress};
pub use engine::{Analysis, Engine};
pub use finding::{Confidence, Evidence, Finding, FindingItem, Kind, Role};
pub use report::{ComputerEntry, Report};
pub use rule::{Rule, RuleError, RuleOrigin, RuleSet};

/// The version of the findings JSON contract.
pub const REPORT_VERSION: u32 = 1;

/// Reads `paths` (files, folders, archives) with the rules' event filter, runs
/// the rules and returns the report. Never fails: unreadable input becomes a
/// diagnostic in the report.
///
/// Short for `Analyzer::new(rules.clone()).analyze(paths)`; see [`Analyzer`]
/// for threads, stale records and a progress callback.
pub fn analyze<P: AsRef<std::path::Path>>(rules: &RuleSet, paths: &[P]) -> Report {
    Analyzer::new(rules.clone()).analyze(paths)
}
