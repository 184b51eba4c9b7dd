//! The engine: streams records in, keeps only what rules can use, and turns
//! anchors plus context into findings.
//!
//! [`Engine`] is a [`Sink`]: give it to a [`evtriage_core::Reader`] (with
//! [`RuleSet::event_filter`] in the read options, so that events no rule uses
//! are never fully decoded). While records stream in, the engine keeps
//! - candidate events: those that match some rule's anchor or record check on
//!   everything except time and service identity, stored compactly (each
//!   distinct content once, a few dozen bytes per event; see `store.rs`), so
//!   that a log of many candidates costs little more than its count;
//! - boot markers (see [`evtriage_core::boot`]), to know boot sessions;
//! - service identity learned from the inputs (SCM 7036/7040, `Binary` key
//!   names, registry `DisplayName`s), folded into a small map, not kept;
//! - snapshot rows: sockets, processes, command-output blocks, and the
//!   registry values some rule (or service identity) looks at.
//!
//! [`Engine::finish`] then evaluates every rule over what was kept. All times
//! are UTC, so events from different files and machines compare directly.
//!
//! Findings are then de-duplicated so that they do not drown the user:
//! findings of one rule about the same service, computer and boot session
//! merge into one with all the evidence, and a rule that `supersedes` another
//! absorbs that rule's findings over the same anchor events (one of its
//! anchors or one of its pieces of evidence is the other's anchor; a specific
//! explanation wins over a generic one). Output order is deterministic.
//!
//! The stages, one module each, each using only those before it: `ingest`
//! (what is kept of the records given), `evidence` (how a record and a
//! rule's text are shown), `evaluate` (anchors, checks, findings),
//! `consolidate` (merging and supersession); this module runs them.

use std::collections::BTreeSet;

use evtriage_core::{Diagnostic, Record, Sink};

use crate::filter::{MatcherIndex, RuleFilter};
use crate::finding::Finding;
use crate::rule::{RuleSet, ServicePred};
use crate::services::ServiceTable;

mod consolidate;
mod evaluate;
mod evidence;
mod ingest;

use consolidate::consolidate;
use evaluate::Evaluation;
use ingest::Intake;

pub use evaluate::UNKNOWN_COMPUTER;

/// What an analysis produced.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Findings, grouped by computer, most certain first.
    pub findings: Vec<Finding>,
    /// Diagnostics the reader passed on.
    pub diagnostics: Vec<Diagnostic>,
    /// How many records the engine kept for rule evaluation (of all it was given).
    pub kept: usize,
    /// How many records it was given.
    pub seen: usize,
    /// What systeminfo / Get-ComputerInfo captures say of the computers.
    pub computers: Vec<evtriage_core::ComputerInfo>,
}

/// The rules engine. See the [module docs](self).
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    /// What was kept of the records given so far.
    intake: Intake,
}

#[doc(hidden)]
/// What an [`Engine`] holds for rule evaluation, from [`Engine::retained`]:
/// how memory grows with the input (issue 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retained {
    /// Events kept (candidates of some rule, and boot markers), after
    /// de-duplication.
    pub events: usize,
    /// Distinct event bodies among them: each kept event's content without
    /// its time, record id, thread, process and place, stored once.
    pub bodies: usize,
    /// Bytes the per-event part takes: the encoded slots and the identity
    /// index (not the bodies, nor the unfilled part of the last block of
    /// slots, 64 KiB at most).
    pub per_event_bytes: usize,
}

impl Engine {
    /// An engine running `rules`.
    pub fn new(rules: RuleSet) -> Self {
        Engine { intake: Intake::new(&rules), rules }
    }

    #[doc(hidden)]
    /// What the engine holds so far for rule evaluation (kept events, distinct
    /// bodies, bytes per event): for tests and measurements of memory.
    pub fn retained(&self) -> Retained {
        let sizes = self.intake.store.sizes();
        Retained { events: sizes.events, bodies: sizes.bodies, per_event_bytes: sizes.slot_bytes + sizes.index_bytes }
    }

    /// The rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The event filter to read into this engine with: what
    /// [`RuleSet::event_filter`] passes over, and also repeats of events an
    /// earlier part of the input already delivered (the engine keeps the
    /// first of each, in delivery order). Use it for reads into this
    /// engine only: it remembers what it let through.
    pub fn event_filter(&self) -> std::sync::Arc<dyn evtriage_core::EventFilter> {
        std::sync::Arc::new(RuleFilter::with_claims(MatcherIndex::new(self.rules.rules())))
    }

    /// Evaluates the rules over what was read and returns the findings.
    pub fn finish(mut self) -> Analysis {
        self.intake.file_latest();
        let kept = self.intake.kept();
        let evaluation = Evaluation::new(&self.intake);
        let mut findings: Vec<Finding> = Vec::new();
        for rule in self.rules.rules() {
            evaluation.find(rule, &mut findings);
        }
        let findings = consolidate(findings, &self.rules);
        let conflicts = self.name_conflicts();
        let mut diagnostics = self.intake.diagnostics;
        diagnostics.extend(conflicts);
        Analysis { findings, diagnostics, kept, seen: self.intake.seen, computers: self.intake.computer_info }
    }

    /// Notes where the logs give a service a name the built-in table gives
    /// to another service, for services some rule looks for: events without
    /// a `Binary` key that show that name were judged by the table (see
    /// `ServicePred::may_hold`), so a rule may have passed over them.
    fn name_conflicts(&self) -> Vec<Diagnostic> {
        let table = ServiceTable::builtin();
        let preds: Vec<&ServicePred> =
            self.rules.rules().iter().flat_map(|r| r.matchers()).filter_map(|m| m.service.as_ref()).collect();
        let wanted = |key: &str| preds.iter().any(|p| p.accepts_key(key));
        let mut conflicts: BTreeSet<(String, String, String)> = BTreeSet::new();
        for (display, key) in self.intake.learned.displays() {
            if let Some(info) = table.get(display) {
                if !info.key.eq_ignore_ascii_case(key) && wanted(key) {
                    conflicts.insert((key.to_string(), display.to_string(), info.key.clone()));
                }
            }
        }
        for key in self.intake.learned.key_names() {
            if let Some(info) = table.get(key) {
                if !info.key.eq_ignore_ascii_case(key) && wanted(key) {
                    conflicts.insert((key.to_string(), key.to_string(), info.key.clone()));
                }
            }
        }
        conflicts
            .into_iter()
            .map(|(key, name, usual)| {
                Diagnostic::note(
                    std::sync::Arc::from("(service names)"),
                    evtriage_core::Locator::File,
                    format!(
                        "the logs name service {key} \"{name}\", a name Windows gives to {usual}: events without a \
                         service key that show \"{name}\" were taken to be about {usual}, so a rule about {key} \
                         may have missed some"
                    ),
                )
            })
            .collect()
    }
}

impl Sink for Engine {
    fn record(&mut self, record: Record) {
        self.intake.record(record);
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.intake.diagnostics.push(diagnostic);
    }
}
