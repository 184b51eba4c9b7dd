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
//! - boot markers (EventLog 6005/6009, Kernel-General 12), to know boot sessions;
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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use evtriage_core::boot::computer_key;
use evtriage_core::{
    message, CommandOutput, Diagnostic, Event, Origin, ProcessEntry, Protocol, Record, RegData, RegistryValue, Sink,
    SocketEntry,
};

use crate::filter::MatcherIndex;
use crate::finding::{evidence_order, Confidence, Evidence, Finding, RecordIndex, Role};
use crate::rule::{command_text, Check, Condition, Matcher, Rule, RuleSet, ServicePred};
use crate::services::{
    binary_key, default_service_field, guid_const, is_scm, resolve, Learned, ServiceRef, ServiceTable,
};
use crate::spec::{Direction, MergeScope};
use crate::store::{EventHead, EventRef, EventStore, StoredEvent};

/// Boot markers closer than this belong to the same boot.
const BOOT_CLUSTER: i64 = 300;
/// An anchor may carry a time this much before its boot marker (clock granularity).
const BOOT_SLACK_MS: i64 = 2000;
/// A 7001 further along a dependency chain lies this close to the anchor (minutes).
const CHAIN_WINDOW_MIN: i64 = 30;
/// Without boot markers, a snapshot speaks for failures within this many
/// hours of the last event of the computer (see `Context::near_capture`).
const SNAPSHOT_WINDOW_H: i64 = 24;
/// Computer name used when the evidence names none.
pub const UNKNOWN_COMPUTER: &str = "(unknown)";

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
}

/// The rules engine. See the [module docs](self).
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    /// The rules' event matchers by event id, for [`Engine::ingest_event`].
    index: MatcherIndex,
    /// Candidate events and boot markers, compactly (see [`crate::store`]),
    /// de-duplicated by [`Identity`] so that one log given twice
    /// (`System.evtx` and its XML export) yields its evidence once.
    kept: EventStore,
    learned: Learned,
    sockets: Vec<SocketEntry>,
    processes: Vec<ProcessEntry>,
    registry: Vec<RegistryValue>,
    commands: Vec<CommandOutput>,
    computers: BTreeSet<String>,
    /// The computer name of the last event, already in `computers` (a log
    /// names one machine again and again).
    last_computer: String,
    registry_patterns: Vec<Vec<String>>,
    has_command_rules: bool,
    diagnostics: Vec<Diagnostic>,
    seen: usize,
    /// Stale (recovered) records given and set aside.
    stale: usize,
    /// Per computer (lowercase; "" = no name), the latest time of an event
    /// given: without boot markers, how near the end of the logs (and so a
    /// capture taken with them) an anchor is.
    latest: HashMap<String, DateTime<Utc>>,
    /// The computer name of the last event seen for `latest`, and the latest
    /// time seen for it since it came (not yet in `latest`).
    latest_name: String,
    latest_time: Option<DateTime<Utc>>,
}

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
        let mut registry_patterns: Vec<Vec<String>> = vec![vec!["Services".into(), "*".into()]];
        let mut has_command_rules = false;
        for r in rules.rules() {
            has_command_rules |= r.matchers().any(Matcher::is_command);
            for c in r.checks() {
                if let Condition::Registry { key, .. } = &c.condition {
                    registry_patterns.push(key.clone());
                }
            }
        }
        Engine {
            index: MatcherIndex::new(rules.rules()),
            rules,
            kept: EventStore::default(),
            learned: Learned::default(),
            sockets: Vec::new(),
            processes: Vec::new(),
            registry: Vec::new(),
            commands: Vec::new(),
            computers: BTreeSet::new(),
            last_computer: String::new(),
            registry_patterns,
            has_command_rules,
            diagnostics: Vec::new(),
            seen: 0,
            stale: 0,
            latest: HashMap::new(),
            latest_name: String::new(),
            latest_time: None,
        }
    }

    /// What the engine holds so far for rule evaluation (kept events, distinct
    /// bodies, bytes per event): for tests and measurements of memory.
    pub fn retained(&self) -> Retained {
        let sizes = self.kept.sizes();
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
        std::sync::Arc::new(crate::filter::RuleFilter::with_claims(MatcherIndex::new(self.rules.rules())))
    }

    /// Files the latest time of the current computer into `latest`.
    fn file_latest(&mut self) {
        if let Some(t) = self.latest_time.take() {
            let slot = self.latest.entry(computer_key(Some(&self.latest_name))).or_insert(t);
            *slot = (*slot).max(t);
        }
    }

    fn ingest_event(&mut self, e: Event) {
        if let Some(c) = e.computer.as_deref().filter(|c| !c.trim().is_empty() && *c != self.last_computer) {
            self.last_computer.clear();
            self.last_computer.push_str(c);
            if !self.computers.iter().any(|x| x.eq_ignore_ascii_case(c.trim())) {
                self.computers.insert(c.trim().to_string());
            }
        }
        if is_scm(&e) {
            self.learned.learn_from_event(&e);
        }
        if let Some(t) = e.time {
            // A log names one computer again and again: its latest time is
            // kept aside and filed under its key when another computer comes.
            let name = e.computer.as_deref().unwrap_or("");
            if name != self.latest_name {
                self.file_latest();
                self.latest_name.clear();
                self.latest_name.push_str(name);
            }
            self.latest_time = Some(self.latest_time.map_or(t, |l| l.max(t)));
        }
        let boot = is_boot_marker(&e);
        let wanted = boot || self.index.matches_event(&e);
        if !wanted {
            return;
        }
        self.kept.push(e, boot);
    }

    fn ingest_registry(&mut self, v: RegistryValue) {
        let segs: Vec<&str> = v.key.split('\\').filter(|s| !s.is_empty()).collect();
        if v.name.eq_ignore_ascii_case("DisplayName") {
            if let (Some(key), Some(parent)) = (segs.last(), segs.len().checked_sub(2).and_then(|i| segs.get(i))) {
                if parent.eq_ignore_ascii_case("Services") {
                    if let RegData::Sz(d) | RegData::ExpandSz(d) = &v.data {
                        // `@%SystemRoot%\…dll,-123` names a resource, not a display name.
                        if !d.starts_with('@') {
                            self.learned.add(key, d);
                        }
                    }
                }
            }
        }
        if self.registry_patterns.iter().any(|p| key_matches(&segs, p, None)) {
            self.registry.push(v);
        }
    }

    /// Evaluates the rules over what was read and returns the findings.
    pub fn finish(mut self) -> Analysis {
        self.file_latest();
        let kept =
            self.kept.len() + self.sockets.len() + self.processes.len() + self.registry.len() + self.commands.len();
        let ctx = Context::new(&self);
        let mut findings = Vec::new();
        for rule in self.rules.rules() {
            if rule.anchor.is_command() {
                for (i, c) in self.commands.iter().enumerate() {
                    if rule.anchor.matches_command(c) {
                        let anchor = Anchor::Command { index: i, cmd: c };
                        findings.extend(ctx.evaluate(rule, &anchor));
                    }
                }
            } else {
                // A rule's anchor visits only the candidates of its ids, in the order they were kept.
                let visit: Vec<EventRef> = if rule.anchor.event_ids.is_empty() {
                    self.kept.heads().filter(|(_, p)| !p.boot).map(|(i, p)| EventRef::of(i, &p)).collect()
                } else {
                    let mut ids = rule.anchor.event_ids.clone();
                    ids.sort_unstable();
                    ids.dedup();
                    let mut at: Vec<EventRef> =
                        ids.iter().filter_map(|id| ctx.by_id.get(id)).flatten().copied().collect();
                    at.sort_unstable_by_key(|h| h.number);
                    at
                };
                for h in visit {
                    let i = h.number;
                    let Some(peek) = self.kept.head_of(h) else { continue };
                    // The body answers what the anchor's matcher, its service
                    // and its text read; the slot gives its time and place.
                    if !rule.anchor.matches_event_static(peek.body) {
                        continue;
                    }
                    let Some(view) = self.kept.get(i) else { continue };
                    let (e, time) = (view.body, view.slot.time());
                    let mut service = ctx.service_of(e, rule.anchor.service.as_ref());
                    let mut chain = Vec::new();
                    if let (Some(pred), Some(start)) = (&rule.anchor.service, &service) {
                        if pred.root {
                            let (root, followed) = ctx.dependency_root(e, time, start.clone());
                            service = Some(root);
                            chain = followed;
                        }
                    }
                    if let Some(pred) = &rule.anchor.service {
                        if !ctx.service_holds(pred, service.as_ref(), None) {
                            continue;
                        }
                    }
                    let anchor = Anchor::Event { event: e, time, origin: view.origin(), service, chain };
                    findings.extend(ctx.evaluate(rule, &anchor));
                }
            }
        }
        let findings = consolidate(findings, &self.rules);
        let conflicts = self.name_conflicts();
        let mut diagnostics = self.diagnostics;
        diagnostics.extend(conflicts);
        Analysis { findings, diagnostics, kept, seen: self.seen }
    }
}

impl Engine {
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
        for (display, key) in self.learned.displays() {
            if let Some(info) = table.get(display) {
                if !info.key.eq_ignore_ascii_case(key) && wanted(key) {
                    conflicts.insert((key.to_string(), display.to_string(), info.key.clone()));
                }
            }
        }
        for key in self.learned.key_names() {
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
        self.seen += 1;
        match record {
            // A stale record carved from slack space (possibly of another log
            // or computer, months older) never anchors or corroborates a finding.
            Record::Event(e) if e.recovered => self.stale += 1,
            Record::Event(e) => self.ingest_event(*e),
            Record::Socket(s) => self.sockets.push(s),
            Record::Process(p) => {
                for s in &p.services {
                    self.learned.add(s, "");
                }
                self.processes.push(p)
            }
            Record::Registry(v) => self.ingest_registry(v),
            Record::Command(c) => {
                if self.has_command_rules {
                    self.commands.push(c)
                }
            }
        }
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

static KERNEL_GENERAL: std::sync::OnceLock<Option<evtriage_core::Guid>> = std::sync::OnceLock::new();

fn is_boot_marker(e: &Event) -> bool {
    let name = e.provider.name.as_deref().unwrap_or("");
    let kernel_general = name.eq_ignore_ascii_case("Microsoft-Windows-Kernel-General")
        || e.provider
            .guid
            .is_some_and(|g| Some(g) == guid_const(&KERNEL_GENERAL, "{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}"));
    (name.eq_ignore_ascii_case("EventLog") && matches!(e.event_id, 6005 | 6009)) || (kernel_general && e.event_id == 12)
}

/// Whether a key path ends with `pattern` (segment by segment, ignoring case;
/// `*` is any one segment, `{service}` is `service` or, when `None`, any segment).
fn key_matches(path: &[&str], pattern: &[String], service: Option<&str>) -> bool {
    if pattern.len() > path.len() {
        return false;
    }
    path.iter().rev().zip(pattern.iter().rev()).all(|(seg, pat)| {
        if pat == "*" {
            true
        } else if pat.eq_ignore_ascii_case("{service}") {
            service.is_none_or(|s| seg.eq_ignore_ascii_case(s))
        } else {
            seg.eq_ignore_ascii_case(pat)
        }
    })
}

fn reg_text(d: &RegData) -> String {
    // Not an exhaustive `match`: the model may grow variants (a deleted key, …),
    // and anything not a plain value reads as "(deleted)".
    if let RegData::Sz(s) | RegData::ExpandSz(s) = d {
        return s.clone();
    }
    if let RegData::MultiSz(v) = d {
        return v.join("; ");
    }
    if let RegData::Dword(n) = d {
        return n.to_string();
    }
    if let RegData::Qword(n) = d {
        return n.to_string();
    }
    if let RegData::Binary { bytes, .. } = d {
        return evtriage_core::util::to_hex(bytes);
    }
    "(deleted)".into()
}

/// What a finding starts from.
enum Anchor<'a> {
    /// `event` is a kept event's body (see [`crate::store`]): its time and
    /// place are `time` and `origin`. `chain`: for `service.root` anchors,
    /// the dependency chain followed (display names, the failing dependent
    /// first, the root last).
    Event {
        event: &'a Event,
        time: Option<DateTime<Utc>>,
        origin: Origin,
        service: Option<ServiceRef>,
        chain: Vec<String>,
    },
    Command {
        index: usize,
        cmd: &'a CommandOutput,
    },
}

impl Anchor<'_> {
    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Anchor::Event { time, .. } => *time,
            Anchor::Command { .. } => None,
        }
    }
    fn origin(&self) -> &Origin {
        match self {
            Anchor::Event { origin, .. } => origin,
            Anchor::Command { cmd, .. } => &cmd.origin,
        }
    }
    fn service(&self) -> Option<&ServiceRef> {
        match self {
            Anchor::Event { service, .. } => service.as_ref(),
            Anchor::Command { .. } => None,
        }
    }
    fn computer(&self) -> Option<&str> {
        match self {
            Anchor::Event { event, .. } => event.computer.as_deref().map(str::trim).filter(|c| !c.is_empty()),
            Anchor::Command { .. } => None,
        }
    }
}

/// A check that held: what it found and what it binds.
struct Held {
    evidence: Vec<Evidence>,
    bindings: Vec<(String, String)>,
    /// The most a finding resting on this check may claim.
    cap: Option<Confidence>,
    /// A sentence the engine adds to the cause when the check holds (why a
    /// snapshot may speak for the anchor's moment).
    note: Option<String>,
}

impl Held {
    fn new(evidence: Vec<Evidence>, bindings: Vec<(String, String)>) -> Self {
        Held { evidence, bindings, cap: None, note: None }
    }
}

/// Read-only view for evaluation.
struct Context<'a> {
    engine: &'a Engine,
    table: &'static ServiceTable,
    /// Boot starts per computer (lowercase; "" = events without a computer),
    /// sorted, with the kept marker's number.
    boots: HashMap<String, Vec<(DateTime<Utc>, u32)>>,
    processes: HashMap<u32, Vec<&'a ProcessEntry>>,
    /// EventStore candidate events (not boot markers) by event id, numbers in the
    /// order kept: a rule's anchor and its record checks name their ids and
    /// visit only those.
    by_id: HashMap<u32, Vec<EventRef>>,
    /// Per record-check matcher (by address), the candidates it matches on
    /// their own, with their service, in time order: what does not depend on
    /// the anchor is worked out once, not once per anchor.
    record_candidates: std::cell::RefCell<HashMap<usize, std::rc::Rc<Candidates>>>,
}

/// The events a record check can use whatever the anchor, in time order.
struct Candidates {
    list: Vec<Candidate>,
    /// The services the candidates are about, one per distinct body (a
    /// body's service does not depend on the per-record fields).
    services: Vec<CandidateService>,
}

/// An event a record check can use: its time, number and service.
#[derive(Clone, Copy)]
struct Candidate {
    time: DateTime<Utc>,
    /// The kept event's number.
    event: u32,
    /// Its entry in [`Candidates::services`].
    service: u32,
    /// Its place in the order gathered, which breaks ties of time.
    order: u32,
}

/// The service of the candidates of one body.
struct CandidateService {
    service: Option<ServiceRef>,
    /// Whether `service` passes the check's service test but for `same`.
    ok: bool,
}

impl<'a> Context<'a> {
    fn new(engine: &'a Engine) -> Self {
        // Counted first, so that each list is allocated once at its size
        // (there may be hundreds of thousands of candidates).
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for (_, p) in engine.kept.heads().filter(|(_, p)| !p.boot) {
            *counts.entry(p.body.event_id).or_default() += 1;
        }
        let mut by_id: HashMap<u32, Vec<EventRef>> =
            counts.into_iter().map(|(id, n)| (id, Vec::with_capacity(n))).collect();
        let mut raw: HashMap<String, Vec<(DateTime<Utc>, u32, evtriage_core::Locator)>> = HashMap::new();
        for (i, p) in engine.kept.heads() {
            if !p.boot {
                by_id.entry(p.body.event_id).or_default().push(EventRef::of(i, &p));
            } else if let Some((t, v)) = engine.kept.get(i).and_then(|v| Some((v.slot.time()?, v))) {
                raw.entry(computer_key(v.body.computer.as_deref())).or_default().push((t, i, v.slot.locator()));
            }
        }
        let mut boots = HashMap::new();
        for (k, mut list) in raw {
            list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
            let mut starts: Vec<(DateTime<Utc>, u32)> = Vec::new();
            for (t, i, _) in list {
                match starts.last() {
                    Some((s, _)) if t - *s <= Duration::seconds(BOOT_CLUSTER) => {}
                    _ => starts.push((t, i)),
                }
            }
            boots.insert(k, starts);
        }
        let mut processes: HashMap<u32, Vec<&ProcessEntry>> = HashMap::new();
        for p in &engine.processes {
            processes.entry(p.pid).or_default().push(p);
        }
        Context {
            engine,
            table: ServiceTable::builtin(),
            boots,
            processes,
            by_id,
            record_candidates: Default::default(),
        }
    }

    /// Whether a snapshot row (which names no computer) may be about the
    /// anchor's machine: always when the inputs show at most one computer,
    /// else only when it sits in the same folder (or archive folder) as the anchor.
    fn snapshot_applies(&self, anchor: &Anchor<'_>, snapshot: &Origin) -> bool {
        self.source_applies(anchor, &snapshot.source)
    }

    /// [`Context::snapshot_applies`] for a row from `source`.
    fn source_applies(&self, anchor: &Anchor<'_>, source: &str) -> bool {
        self.engine.computers.len() <= 1 || folder_of(source) == folder_of(&anchor.origin().source)
    }

    fn single_computer(&self) -> Option<&str> {
        let mut it = self.engine.computers.iter();
        match (it.next(), it.next()) {
            (Some(c), None) => Some(c.as_str()),
            _ => None,
        }
    }

    fn service_of(&self, e: &Event, pred: Option<&ServicePred>) -> Option<ServiceRef> {
        if let Some(name) = pred.and_then(|p| p.name.as_deref()) {
            // `{provider}`: sources named after their service (MSSQLSERVER, MSSQL$<instance>).
            let name = if name == "{provider}" {
                e.provider.event_source_name.as_deref().or(e.provider.name.as_deref())?
            } else {
                name
            };
            return Some(resolve(self.table, &self.engine.learned, name, None));
        }
        let scm = is_scm(e);
        // Only Service Control Manager events name a service by default; any
        // other event is about a service only when the rule says where.
        if !scm && pred.is_none_or(|p| p.field.is_none()) {
            return None;
        }
        let field = pred
            .and_then(|p| p.field.clone())
            .unwrap_or_else(|| if scm { default_service_field(e.event_id) } else { "param1" }.to_string());
        let shown = e.field(&field)?;
        // SCM's Binary names the service of the event's usual field: a 7001 read
        // by its `param2` (the dependency) must not take the dependent's key.
        let usual = field.eq_ignore_ascii_case(default_service_field(e.event_id));
        let key = if scm && usual && e.event_id != 7040 { binary_key(e) } else { None };
        Some(resolve(self.table, &self.engine.learned, shown, key.as_deref()))
    }

    /// Follows Service Control Manager 7001 events ("A depends on B, which
    /// failed") from `start` (the B of `e`) while B itself is the A of
    /// another 7001 of the same computer within [`CHAIN_WINDOW_MIN`] minutes.
    /// Returns the root and the chain of display names (the dependent of `e`
    /// first). Cycles and chains longer than 16 stop the walk.
    fn dependency_root(&self, e: &Event, time: Option<DateTime<Utc>>, start: ServiceRef) -> (ServiceRef, Vec<String>) {
        let name = |s: &ServiceRef| s.display.clone().unwrap_or_else(|| s.key.clone());
        let mut chain: Vec<String> = e.field("param1").map(|d| d.trim().to_string()).into_iter().collect();
        chain.push(name(&start));
        let mut seen: Vec<String> = vec![start.key.to_lowercase()];
        let mut current = start;
        let Some(t) = time else { return (current, chain) };
        let window = Duration::minutes(CHAIN_WINDOW_MIN);
        for _ in 0..16 {
            let kept = self.by_id.get(&7001).into_iter().flatten().filter_map(|h| self.engine.kept.get(h.number));
            let next = kept.filter(|v| is_scm(v.body)).find_map(|v| {
                let (d, dt) = (v.body, v.slot.time()?);
                if (dt - t).abs() > window {
                    return None;
                }
                match (e.computer.as_deref(), d.computer.as_deref()) {
                    (Some(a), Some(b)) if !same_computer(a, b) => return None,
                    _ => {}
                }
                let dependent = resolve(self.table, &self.engine.learned, d.field("param1")?, binary_key(d).as_deref());
                if !dependent.key.eq_ignore_ascii_case(&current.key) {
                    return None;
                }
                Some(resolve(self.table, &self.engine.learned, d.field("param2")?, None))
            });
            let Some(next) = next else { break };
            if seen.contains(&next.key.to_lowercase()) {
                break;
            }
            seen.push(next.key.to_lowercase());
            chain.push(name(&next));
            current = next;
        }
        (current, chain)
    }

    fn service_holds(&self, pred: &ServicePred, service: Option<&ServiceRef>, anchor: Option<&ServiceRef>) -> bool {
        self.service_holds_alone(pred, service) && Self::same_as_anchor(pred, service, anchor)
    }

    /// The part of [`Context::service_holds`] that does not depend on the anchor.
    fn service_holds_alone(&self, pred: &ServicePred, service: Option<&ServiceRef>) -> bool {
        let Some(s) = service else { return false };
        if !pred.is.is_empty() && !pred.is.iter().any(|n| s.is(n, self.table)) {
            return false;
        }
        if pred.generated && !crate::rule::generated_name(&s.key, s.display.as_deref()) {
            return false;
        }
        !(pred.has_ports && self.table.get(&s.key).is_none_or(|i| i.ports.is_empty()))
    }

    /// The part of [`Context::service_holds`] that does: `same` as the anchor's service.
    fn same_as_anchor(pred: &ServicePred, service: Option<&ServiceRef>, anchor: Option<&ServiceRef>) -> bool {
        let Some(s) = service else { return false };
        if pred.same {
            match anchor {
                Some(a) if a.key.eq_ignore_ascii_case(&s.key) => {}
                _ => return false,
            }
        }
        true
    }

    /// The start of the boot session of `computer` at `t`, with the number of its marker.
    fn boot_of(&self, computer: Option<&str>, t: DateTime<Utc>) -> Option<(DateTime<Utc>, u32)> {
        let key = computer_key(computer);
        // Markers or anchors without a computer name pair up only when nothing else is possible.
        let list = self.boots.get(&key).or_else(|| match (key.is_empty(), self.boots.len()) {
            (true, 1) => self.boots.values().next(),
            (false, 1) => self.boots.get(""),
            _ => None,
        })?;
        list.iter().rev().find(|(b, _)| *b <= t + Duration::milliseconds(BOOT_SLACK_MS)).copied()
    }

    fn evaluate(&self, rule: &Rule, anchor: &Anchor<'_>) -> Option<Finding> {
        let mut bindings: Vec<(String, String)> = Vec::new();
        // The anchor's own fields first, so that the standard names below win a clash.
        if let Anchor::Event { event, chain, .. } = anchor {
            bindings.extend(field_bindings(event));
            if !chain.is_empty() {
                bindings.push(("chain".into(), chain.join(" → ")));
            }
        }
        let computer = anchor
            .computer()
            .map(str::to_string)
            .or_else(|| self.single_computer().map(str::to_string))
            .unwrap_or_else(|| UNKNOWN_COMPUTER.to_string());
        bindings.push(("computer".into(), computer.clone()));
        if let Some(s) = anchor.service() {
            bindings.push(("service".into(), s.key.clone()));
            bindings.push(("service_display".into(), s.display.clone().unwrap_or_else(|| s.key.clone())));
        }
        let mut evidence = vec![self.anchor_evidence(anchor)];
        // Required checks bind first: the rule's own text may use what they found.
        let mut required = Vec::new();
        for check in &rule.require {
            let held = self.check(check, anchor)?;
            evidence.extend(held.evidence.iter().cloned());
            bindings.extend(held.bindings.iter().cloned());
            required.push((check, held));
        }
        let mut confidence = rule.spec.confidence;
        let mut cap = required.iter().filter_map(|(_, h)| h.cap).min();
        let mut kb = rule.kb.clone();
        let mut extra_cause: Vec<String> = Vec::new();
        let mut extra_steps: Vec<String> = Vec::new();
        // A check's own sentences see its own bindings first (two record checks both bind `gap`).
        let mut add_text = |check: &Check, held: &Held, kb: &mut Vec<String>| {
            let mut local = bindings.clone();
            local.extend(held.bindings.iter().cloned());
            extra_cause.extend(check.cause.as_deref().map(|c| interpolate(c, &local)));
            extra_cause.extend(held.note.iter().filter(|n| !n.is_empty()).cloned());
            extra_steps.extend(check.remediation.iter().map(|s| interpolate(s, &local)));
            kb.extend(check.kb.iter().cloned());
        };
        for (check, held) in &required {
            add_text(check, held, &mut kb);
        }
        for check in &rule.corroborate {
            if let Some(held) = self.check(check, anchor) {
                if let Some(c) = check.confidence {
                    confidence = confidence.max(held.cap.map_or(c, |k| c.min(k)));
                }
                if let Some(k) = held.cap {
                    cap = Some(cap.map_or(k, |c| c.min(k)));
                }
                add_text(check, &held, &mut kb);
                evidence.extend(held.evidence);
            }
        }
        if let Some(k) = cap {
            if confidence > k {
                confidence = k;
                extra_cause.push(
                    "The capture does not show which services the holding process hosts (`netstat -anob` or \
                     `tasklist /svc` would), so it could be the service itself."
                        .to_string(),
                );
            }
        }
        // A cause only third parties document is never more than likely, and says so.
        if crate::audit::third_party_only(&rule.spec.sources) {
            confidence = confidence.min(Confidence::Likely);
            extra_cause.push(format!(
                "This cause is documented by {}, not by Microsoft.",
                crate::audit::publishers(&rule.spec.sources)
            ));
        }
        let mut cause = interpolate(&rule.spec.cause, &bindings);
        for c in extra_cause {
            cause.push(' ');
            cause.push_str(&c);
        }
        let mut remediation: Vec<String> = Vec::new();
        for s in rule.spec.remediation.iter().map(|s| interpolate(s, &bindings)).chain(extra_steps) {
            if !remediation.contains(&s) {
                remediation.push(s);
            }
        }
        let mut seen_kb = BTreeSet::new();
        kb.retain(|k| seen_kb.insert(k.clone()));
        let boot = match (anchor.time(), rule.anchor.is_command()) {
            (Some(t), false) => self.boot_of(anchor.computer(), t).map(|(b, _)| b),
            _ => None,
        };
        let mut finding = Finding {
            rule: rule.id().to_string(),
            title: rule.spec.title.clone(),
            kind: rule.spec.kind,
            kb,
            confidence,
            computer,
            service: anchor.service().map(|s| s.key.clone()),
            cause,
            remediation,
            evidence: Vec::new(),
            boot,
            occurrences: 1,
            omitted: 0,
            sources: rule.spec.sources.clone(),
            generic: rule.spec.generic,
            items: Vec::new(),
        };
        if rule.spec.generic {
            let detail = match (anchor, &rule.spec.detail) {
                (Anchor::Event { event, .. }, Some(spec)) => {
                    let text = spec.for_id(event.event_id).map(|d| interpolate(d, &bindings));
                    // Placeholders the event cannot fill: its own message says it better.
                    match text {
                        Some(t) if !t.contains('{') => t,
                        _ => evtriage_core::message::render(event),
                    }
                }
                (Anchor::Event { event, .. }, None) => evtriage_core::message::render(event),
                (Anchor::Command { .. }, _) => String::new(),
            };
            finding.items.push(crate::finding::FindingItem {
                service: anchor.service().map(|s| s.key.clone()),
                display: anchor.service().and_then(|s| s.display.clone()),
                detail: evtriage_core::util::one_line(&detail, 160),
                count: 1,
                first: anchor.time(),
                last: anchor.time(),
            });
        }
        finding.add_evidence(evidence);
        Some(finding)
    }

    fn anchor_evidence(&self, anchor: &Anchor<'_>) -> Evidence {
        match anchor {
            Anchor::Event { event, time, origin, .. } => event_evidence_at(event, origin, *time, Role::Anchor),
            Anchor::Command { cmd, .. } => command_evidence(cmd, Role::Anchor),
        }
    }

    fn check(&self, check: &Check, anchor: &Anchor<'_>) -> Option<Held> {
        let held = self.check_condition(check, anchor);
        if check.not {
            return match held {
                Some(_) => None,
                None => Some(Held::new(Vec::new(), Vec::new())),
            };
        }
        held
    }

    fn check_condition(&self, check: &Check, anchor: &Anchor<'_>) -> Option<Held> {
        match &check.condition {
            Condition::AfterBoot(limit) => {
                let t = anchor.time()?;
                let (boot, marker) = self.boot_of(anchor.computer(), t)?;
                let since = (t - boot).max(Duration::zero());
                if since > *limit {
                    return None;
                }
                let marker = self.engine.kept.get(marker)?;
                Some(Held::new(
                    vec![event_evidence_at(marker.body, &marker.origin(), marker.slot.time(), Role::Context)],
                    vec![("since_boot".into(), human_duration(since))],
                ))
            }
            Condition::Record(m) => self.check_record(m, anchor),
            Condition::PortHeld { ports, holder_image, port_field } => {
                // A port named by the anchor event itself wins over the listed ones.
                let from_field = match (port_field, anchor) {
                    (Some(f), Anchor::Event { event, .. }) => {
                        event.field(f).and_then(|v| v.trim().parse::<u16>().ok()).filter(|p| *p != 0)
                    }
                    _ => None,
                };
                match from_field {
                    Some(port) => self.check_port(&[(Protocol::Tcp, port)], holder_image, anchor),
                    None if port_field.is_some() && ports.is_empty() => None,
                    None => self.check_port(ports, holder_image, anchor),
                }
            }
            Condition::Registry { key, value, equals, absent, bind } => {
                self.check_registry(key, value, equals.as_deref(), *absent, bind.as_deref(), anchor)
            }
            Condition::PortHog { min_ports } => self.check_port_hog(*min_ports, anchor),
        }
    }

    /// The process holding the most outgoing TCP ports (non-listening sockets
    /// with a local port above 1024) in the snapshots that apply, when it holds
    /// at least `min_ports`. Sockets without an owner (PID 0, `TIME_WAIT`) count
    /// towards the total only.
    fn check_port_hog(&self, min_ports: usize, anchor: &Anchor<'_>) -> Option<Held> {
        let when = self.near_capture(anchor)?;
        let mut per_pid: BTreeMap<u32, (usize, Option<&SocketEntry>)> = BTreeMap::new();
        let mut total = 0usize;
        for s in &self.engine.sockets {
            if s.protocol != Protocol::Tcp
                || s.is_listening()
                || s.local_port <= 1024
                || !self.snapshot_applies(anchor, &s.origin)
            {
                continue;
            }
            total += 1;
            let timewait = s.state.as_deref().is_some_and(|st| st.eq_ignore_ascii_case("TIME_WAIT"));
            match s.pid {
                Some(pid) if pid != 0 && !timewait => {
                    let slot = per_pid.entry(pid).or_insert((0, None));
                    slot.0 += 1;
                    slot.1.get_or_insert(s);
                }
                _ => {}
            }
        }
        // Most sockets first; ties go to the lower PID (deterministic).
        let (pid, (count, sample)) = per_pid.into_iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(&a.0)))?;
        if count < min_ports {
            return None;
        }
        let process = self
            .processes
            .get(&pid)
            .and_then(|list| list.iter().find(|p| self.snapshot_applies(anchor, &p.origin)))
            .copied();
        let image = sample.and_then(|s| s.image.clone()).or_else(|| process.map(|p| p.image.clone()));
        let holder = match &image {
            Some(i) => format!("{} (PID {pid})", basename(i)),
            None => format!("PID {pid}"),
        };
        let share = (count * 100).checked_div(total).unwrap_or(0);
        let mut evidence = Vec::new();
        if let Some(s) = sample {
            evidence.push(Evidence::new(
                &s.origin,
                None,
                format!("{count} of {total} outgoing TCP sockets ({share}%) belong to {holder}"),
                Role::Corroboration,
            ));
        }
        if let Some(p) = process {
            evidence.push(Evidence::new(
                &p.origin,
                None,
                format!("process {} PID {} hosts {}", p.image, p.pid, join_or(&p.services, "no services")),
                Role::Corroboration,
            ));
        }
        let services = process.map(|p| join_or(&p.services, "no services")).unwrap_or_else(|| "unknown".into());
        Some(Held::new(
            evidence,
            vec![
                ("holder".into(), holder),
                ("holder_image".into(), image.as_deref().map(basename).unwrap_or("unknown").to_string()),
                ("holder_pid".into(), pid.to_string()),
                ("holder_services".into(), services),
                ("port_count".into(), count.to_string()),
                ("socket_total".into(), total.to_string()),
                ("port_share".into(), share.to_string()),
            ],
        ))
        .map(|mut h| {
            h.note = Some(when);
            h
        })
    }

    fn check_record(&self, m: &Matcher, anchor: &Anchor<'_>) -> Option<Held> {
        if m.is_command() {
            let (anchor_source, anchor_index) = match anchor {
                Anchor::Command { index, cmd } => (Some(&cmd.origin.source), Some(*index)),
                Anchor::Event { .. } => (None, None),
            };
            // The nearest matching block (by position in the capture) wins.
            let distance = |i: usize| anchor_index.map_or(i, |ai| i.abs_diff(ai));
            let found = self
                .engine
                .commands
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    let placed = match (anchor_source, anchor_index) {
                        (Some(src), Some(ai)) => {
                            c.origin.source == *src
                                && *i != ai
                                && match m.direction {
                                    Direction::Before => *i < ai,
                                    Direction::After => *i > ai,
                                    Direction::Around => true,
                                }
                        }
                        _ => true,
                    };
                    placed && m.matches_command(c)
                })
                .min_by_key(|(i, _)| (distance(*i), *i));
            let (_, c) = found?;
            return Some(Held::new(vec![command_evidence(c, Role::Corroboration)], Vec::new()));
        }
        let t = anchor.time()?;
        let within = m.within?;
        let anchor_origin = anchor.origin();
        let anchor_computer = anchor.computer();
        let mut best: Option<(Duration, StoredEvent<'a>)> = None;
        // Only the events inside the window can match (the same test follows);
        // which one wins does not depend on the order they are visited in.
        let (lo, hi) = match m.direction {
            Direction::Before => (t.checked_sub_signed(within), Some(t)),
            Direction::After => (Some(t), t.checked_add_signed(within)),
            Direction::Around => (t.checked_sub_signed(within), t.checked_add_signed(within)),
        };
        let candidates = self.record_candidates(m);
        let list = &candidates.list;
        let start = lo.map_or(0, |lo| list.partition_point(|c| c.time < lo));
        let end = hi.map_or(list.len(), |hi| list.partition_point(|c| c.time <= hi));
        // Visited nearest first, walking out from the anchor's time on both
        // sides: once a candidate holds, only those as near can still win a
        // tie, and the walk stops at the first one farther away.
        let window = list.get(start..end.max(start)).unwrap_or_default();
        let middle = window.partition_point(|c| c.time < t);
        let (mut left, mut right) = (middle, middle);
        loop {
            let before = left.checked_sub(1).and_then(|i| window.get(i));
            let after = window.get(right);
            let c = match (before, after) {
                (None, None) => break,
                (Some(b), Some(a)) if t - b.time > a.time - t => {
                    right += 1;
                    a
                }
                (Some(b), _) => {
                    left -= 1;
                    b
                }
                (None, Some(a)) => {
                    right += 1;
                    a
                }
            };
            if best.is_some_and(|(bd, _)| (c.time - t).abs() > bd) {
                break;
            }
            let Some(e) = self.engine.kept.get(c.event) else { continue };
            // The anchor itself.
            if e.is_at(&anchor_origin.source, anchor_origin.locator) {
                continue;
            }
            let delta = c.time - t;
            let in_window = match m.direction {
                Direction::Before => delta <= Duration::zero() && -delta <= within,
                Direction::After => delta >= Duration::zero() && delta <= within,
                Direction::Around => delta.abs() <= within,
            };
            if !in_window {
                continue;
            }
            match (anchor_computer, e.body.computer.as_deref().map(str::trim).filter(|c| !c.is_empty())) {
                (Some(a), Some(c)) if !same_computer(a, c) => continue,
                // A record naming no computer (ETW text traces) is treated like a snapshot.
                (Some(_), None) if !self.source_applies(anchor, &e.body.origin.source) => continue,
                _ => {}
            }
            if let Some(pred) = &m.service {
                let Some(s) = candidates.services.get(c.service as usize) else { continue };
                if !s.ok || !Self::same_as_anchor(pred, s.service.as_ref(), anchor.service()) {
                    continue;
                }
            }
            let d = delta.abs();
            // Nearest wins; ties go to the earlier record, whatever the input order.
            let better = match best {
                None => true,
                Some((bd, be)) => {
                    d < bd
                        || (d == bd
                            && (e.slot.time(), &e.body.origin.source, e.slot.locator())
                                < (be.slot.time(), &be.body.origin.source, be.slot.locator()))
                }
            };
            if better {
                best = Some((d, e));
            }
        }
        let (d, e) = best?;
        Some(Held::new(
            vec![event_evidence_at(e.body, &e.origin(), e.slot.time(), Role::Corroboration)],
            vec![("gap".into(), human_duration(d))],
        ))
    }

    /// The candidates record check `m` can use whatever the anchor: those it
    /// matches on their own, with their service, in time order (built once).
    /// A matcher reads only an event's body, so it is asked once per
    /// distinct body, and so is the body's service.
    fn record_candidates(&self, m: &Matcher) -> std::rc::Rc<Candidates> {
        let key = m as *const Matcher as usize;
        if let Some(list) = self.record_candidates.borrow().get(&key) {
            return list.clone();
        }
        let mut ids = m.event_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        // In kept order per id, ids ascending; all candidates when the check names no id.
        let kept = &self.engine.kept;
        let gather = |visit: &mut dyn FnMut(u32, EventHead<'a>)| {
            if ids.is_empty() {
                kept.heads().filter(|(_, p)| !p.boot).for_each(|(i, p)| visit(i, p));
            } else {
                for &h in ids.iter().filter_map(|id| self.by_id.get(id)).flatten() {
                    if let Some(p) = kept.head_of(h) {
                        visit(h.number, p);
                    }
                }
            }
        };
        // Per body number: not asked yet, or its entry in `services`, or
        // `None` when `m` does not match it.
        let mut bodies: Vec<Option<Option<u32>>> = vec![None; kept.bodies()];
        let mut services: Vec<CandidateService> = Vec::new();
        let mut entry_of = |v: EventHead<'a>| {
            let memo = bodies.get_mut(v.body_number as usize)?;
            *memo.get_or_insert_with(|| {
                if !m.matches_event_static(v.body) {
                    return None;
                }
                let service = m.service.as_ref().and_then(|pred| self.service_of(v.body, Some(pred)));
                let ok = m.service.as_ref().is_none_or(|pred| self.service_holds_alone(pred, service.as_ref()));
                let n = u32::try_from(services.len()).ok()?;
                services.push(CandidateService { service, ok });
                Some(n)
            })
        };
        // Counted first, then gathered into a list of that size.
        let mut count = 0usize;
        gather(&mut |_, p| {
            if p.timed && entry_of(p).is_some() {
                count += 1;
            }
        });
        let mut list: Vec<Candidate> = Vec::with_capacity(count);
        gather(&mut |i, p| {
            if !p.timed {
                return;
            }
            let Some(service) = entry_of(p) else { return };
            if let Some(time) = kept.get(i).and_then(|v| v.slot.time()) {
                let order = u32::try_from(list.len()).unwrap_or(u32::MAX);
                list.push(Candidate { time, event: i, service, order });
            }
        });
        // Which candidate wins does not depend on this order (nearest, then
        // earliest by time, source and place); time order is for the window.
        // Equal times stay in the order gathered (an unstable sort needs no
        // scratch space as large as the list).
        list.sort_unstable_by_key(|c| (c.time, c.order));
        let candidates = std::rc::Rc::new(Candidates { list, services });
        self.record_candidates.borrow_mut().insert(key, candidates.clone());
        candidates
    }

    /// Whether a socket or process snapshot (which carries no time) can speak
    /// for the moment of the anchor: the anchor lies in the last boot session
    /// the logs show for its computer (PIDs and the sockets they hold belong
    /// to one session; a capture is taken after the logs' last events), or,
    /// with no boot marker, within [`SNAPSHOT_WINDOW_H`] hours of the last
    /// event of that computer. Returns the sentence that says so, or `None`
    /// when the snapshot is about a later session than the anchor.
    fn near_capture(&self, anchor: &Anchor<'_>) -> Option<String> {
        let Some(t) = anchor.time() else { return Some(String::new()) };
        let computer = anchor.computer();
        let key = computer_key(computer);
        let boots = self.boots.get(&key).or_else(|| match (key.is_empty(), self.boots.len()) {
            (true, 1) => self.boots.values().next(),
            (false, 1) => self.boots.get(""),
            _ => None,
        });
        if let Some((last, _)) = boots.and_then(|b| b.last()) {
            return (t + Duration::milliseconds(BOOT_SLACK_MS) >= *last).then(|| {
                format!(
                    "The failure lies in the last boot session the logs show (started {}), the one a capture taken \
                     with the logs describes.",
                    last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            });
        }
        let latest = self.engine.latest.get(&key).or_else(|| match self.engine.latest.len() {
            1 => self.engine.latest.values().next(),
            _ => None,
        });
        match latest {
            Some(l) if *l - t > Duration::hours(SNAPSHOT_WINDOW_H) => None,
            Some(l) => Some(format!(
                "The logs show no boot; the failure lies within {SNAPSHOT_WINDOW_H} hours of their last event ({}), \
                 as near the capture as can be told.",
                l.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            None => Some(String::new()),
        }
    }

    fn check_port(&self, explicit: &[(Protocol, u16)], images: &[String], anchor: &Anchor<'_>) -> Option<Held> {
        // A capture days after the failure, in another boot session, says nothing about it.
        let when = self.near_capture(anchor)?;
        let service = anchor.service();
        let ports: Vec<(Protocol, u16, String)> = if explicit.is_empty() {
            let info = service.and_then(|s| self.table.get(&s.key))?;
            info.ports.iter().map(|p| (p.protocol, p.port, p.application.clone())).collect()
        } else {
            explicit.iter().map(|(p, n)| (*p, *n, String::new())).collect()
        };
        for s in &self.engine.sockets {
            if !s.is_listening() || !self.snapshot_applies(anchor, &s.origin) {
                continue;
            }
            let Some((proto, port, app)) = ports.iter().find(|(p, n, _)| *p == s.protocol && *n == s.local_port) else {
                continue;
            };
            let process = s
                .pid
                .and_then(|pid| self.processes.get(&pid))
                .and_then(|list| list.iter().find(|p| self.snapshot_applies(anchor, &p.origin)))
                .copied();
            let image = s.image.clone().or_else(|| process.map(|p| p.image.clone()));
            // PID 4 (System) holds HTTP.sys and SMB ports on behalf of many services.
            if s.pid == Some(4) || image.as_deref().is_some_and(|i| i.eq_ignore_ascii_case("System")) {
                continue;
            }
            let hosted: Vec<&String> =
                s.services.iter().chain(process.iter().flat_map(|p| p.services.iter())).collect();
            // Without `netstat -b` or `tasklist /svc` the holder could be the service itself:
            // in a shared host (svchost.exe), or restarted after a crash (7031/7034).
            let crashed = matches!(anchor, Anchor::Event { event, .. } if matches!(event.event_id, 7031 | 7034));
            let uncertain = hosted.is_empty()
                && match image.as_deref() {
                    Some(i) => basename(i).eq_ignore_ascii_case("svchost.exe"),
                    None => crashed,
                };
            if let Some(svc) = service {
                let own = hosted.iter().any(|h| {
                    h.eq_ignore_ascii_case(&svc.key)
                        || svc.display.as_deref().is_some_and(|d| h.eq_ignore_ascii_case(d))
                });
                if own {
                    continue;
                }
            }
            if !images.is_empty()
                && !image.as_deref().is_some_and(|i| images.iter().any(|w| basename(i).eq_ignore_ascii_case(w)))
            {
                continue;
            }
            let holder = match (&image, s.pid) {
                (Some(i), Some(pid)) => format!("{} (PID {pid})", basename(i)),
                (Some(i), None) => basename(i).to_string(),
                (None, Some(pid)) => format!("PID {pid}"),
                (None, None) => "another process".to_string(),
            };
            let mut evidence = vec![socket_evidence(s)];
            if let Some(p) = process {
                evidence.push(Evidence::new(
                    &p.origin,
                    None,
                    format!("process {} PID {} hosts {}", p.image, p.pid, join_or(&p.services, "no services")),
                    Role::Corroboration,
                ));
            }
            let mut bindings = vec![
                ("port".to_string(), port.to_string()),
                ("protocol".to_string(), proto.to_string()),
                ("holder".to_string(), holder),
                ("holder_image".to_string(), image.as_deref().map(basename).unwrap_or("unknown").to_string()),
                ("holder_pid".to_string(), s.pid.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into())),
            ];
            if !app.is_empty() {
                bindings.push(("port_use".to_string(), app.clone()));
            }
            let mut held = Held::new(evidence, bindings);
            held.note = Some(when.clone());
            if uncertain {
                held.cap = Some(Confidence::Likely);
            }
            return Some(held);
        }
        None
    }

    fn check_registry(
        &self,
        key: &[String],
        value: &str,
        equals: Option<&str>,
        absent: bool,
        bind: Option<&str>,
        anchor: &Anchor<'_>,
    ) -> Option<Held> {
        let service = anchor.service().map(|s| s.key.as_str());
        let mut key_seen = false;
        for v in &self.engine.registry {
            if !self.snapshot_applies(anchor, &v.origin) {
                continue;
            }
            let segs: Vec<&str> = v.key.split('\\').filter(|s| !s.is_empty()).collect();
            if !key_matches(&segs, key, service) {
                continue;
            }
            key_seen = true;
            if !v.name.eq_ignore_ascii_case(value) {
                continue;
            }
            if absent {
                return None;
            }
            let text = reg_text(&v.data);
            if equals.is_some_and(|want| !text.trim().eq_ignore_ascii_case(want.trim())) {
                return None;
            }
            let summary = format!("{}\\{} = {}", v.key, v.name, text);
            let mut bindings = vec![("value".to_string(), text.clone())];
            if let Some(b) = bind {
                bindings.push((b.to_string(), text));
            }
            return Some(Held::new(vec![Evidence::new(&v.origin, None, summary, Role::Context)], bindings));
        }
        (absent && key_seen).then(|| Held::new(Vec::new(), Vec::new()))
    }
}

/// The folder part of an input path (`a/b/c.txt` → `a/b`; zip members count the archive path).
fn folder_of(source: &str) -> &str {
    source.rfind(['/', '\\', '!']).map_or("", |i| &source[..i])
}

fn same_computer(a: &str, b: &str) -> bool {
    // `DC1` and `DC1.contoso.com` are the same machine.
    fn short(s: &str) -> &str {
        s.find('.').and_then(|i| s.get(..i)).unwrap_or(s)
    }
    // Byte-equal first: one log names one machine the same way every time.
    a == b || a.eq_ignore_ascii_case(b) || short(a).eq_ignore_ascii_case(short(b))
}

fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path).trim_matches(|c| c == '[' || c == ']')
}

fn join_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_string()
    } else {
        items.join(", ")
    }
}

fn human_duration(d: Duration) -> String {
    let ms = d.num_milliseconds().abs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 7_200_000 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} h", ms / 3_600_000)
    }
}

/// The evidence an event gives: its message (made from the event's content,
/// which is all a kept event's body holds), at `origin` and `time`.
fn event_evidence_at(e: &Event, origin: &Origin, time: Option<DateTime<Utc>>, role: Role) -> Evidence {
    let mut summary = message::render(e).split_whitespace().collect::<Vec<_>>().join(" ");
    if summary.len() > 600 {
        let mut cut = 600;
        while !summary.is_char_boundary(cut) {
            cut -= 1;
        }
        summary.truncate(cut);
        summary.push('…');
    }
    let label = e.provider_label();
    // The fallback rendering already starts with provider and id.
    if !summary.starts_with(&label) {
        summary = format!("{label} {}: {summary}", e.event_id);
    }
    Evidence::new(origin, time, summary, role)
}

fn command_evidence(c: &CommandOutput, role: Role) -> Evidence {
    let mut parts: Vec<String> = c.properties.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if c.is_error {
        parts.insert(0, "error".into());
    }
    let text = if parts.is_empty() { command_text(c) } else { parts.join("; ") };
    let name = c.command.as_deref().unwrap_or("command output");
    Evidence::new(&c.origin, None, format!("{name}: {text}"), role)
}

fn socket_evidence(s: &SocketEntry) -> Evidence {
    let addr = if s.ipv6 {
        format!("[{}]:{}", s.local_address, s.local_port)
    } else {
        format!("{}:{}", s.local_address, s.local_port)
    };
    let mut summary = format!("{} {}", s.protocol, addr);
    if let Some(st) = &s.state {
        summary.push(' ');
        summary.push_str(st);
    }
    if let Some(pid) = s.pid {
        summary.push_str(&format!(" PID {pid}"));
    }
    if let Some(i) = &s.image {
        summary.push_str(&format!(" [{}]", basename(i)));
    }
    if !s.services.is_empty() {
        summary.push_str(&format!(" services {}", s.services.join(", ")));
    }
    Evidence::new(&s.origin, None, summary, Role::Corroboration)
}

/// Replaces `{name}` with its binding; unknown names (and other braces) are left as written.
pub(crate) fn interpolate(text: &str, bindings: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]);
        match name.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            Some(n) => match bindings.iter().rev().find(|(k, _)| k == n) {
                Some((_, v)) => {
                    out.push_str(v);
                    rest = &after[n.len() + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            },
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Rule, computer, service (both lowercase) and boot session start.
type MergeKey = (String, String, String, Option<DateTime<Utc>>, u32);

/// Without any boot marker for a computer, findings of one rule and service
/// merge while their anchors follow each other within this many hours; a
/// longer quiet gap starts another finding (two incidents days apart in
/// logs that show no boot are not one).
const UNBOOTED_GAP_H: i64 = 12;

/// A merge group without a boot session: its current number and last anchor time.
type Unbooted = (u32, Option<DateTime<Utc>>);

/// Merges findings of one rule about the same computer, service and boot
/// session; folds superseded rules' findings into the superseding ones; sorts.
fn consolidate(findings: Vec<Finding>, rules: &RuleSet) -> Vec<Finding> {
    // 1. Same rule, computer, service, boot session.
    let mut unbooted: HashMap<(String, String, String), Unbooted> = HashMap::new();
    // Earliest anchor first, so that a merged finding speaks of its first occurrence whatever the input order.
    let mut findings = findings;
    findings.sort_by(|a, b| {
        let first = |f: &Finding| f.evidence.iter().position(|e| e.role == Role::Anchor);
        match (first(a).and_then(|i| a.evidence.get(i)), first(b).and_then(|i| b.evidence.get(i))) {
            (Some(x), Some(y)) => evidence_order(x, y),
            _ => std::cmp::Ordering::Equal,
        }
    });
    let list = merge_groups(findings, |f| {
        let spec = rules.get(&f.rule).map(|r| &r.spec);
        let per_computer = spec.is_some_and(|r| r.merge == MergeScope::Computer);
        let any_service = spec.is_some_and(|r| r.merge_services);
        let boot = if per_computer { None } else { f.boot };
        let service = if any_service { String::new() } else { f.service.as_deref().unwrap_or("").to_lowercase() };
        let base = (f.rule.clone(), f.computer.to_lowercase(), service);
        let anchors = || f.evidence.iter().filter(|e| e.role == Role::Anchor).filter_map(|e| e.time);
        let gen = if per_computer || boot.is_some() {
            0
        } else {
            let (first, last) = (anchors().min(), anchors().max());
            let slot = unbooted.entry(base.clone()).or_insert((0, None));
            if let (Some(prev), Some(first)) = (slot.1, first) {
                if first - prev > Duration::hours(UNBOOTED_GAP_H) {
                    slot.0 += 1;
                }
            }
            slot.1 = match (slot.1, last) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            slot.0
        };
        let key: MergeKey = (base.0, base.1, base.2, boot, gen);
        Some(key)
    });
    // 2. Supersession, until nothing changes (chains are followed). Rules are
    // numbered once, so that the pairs a rule cannot supersede cost an
    // integer comparison, not a string one (the scan restarts after each fold).
    let mut number: HashMap<&str, usize> = HashMap::new();
    for (n, r) in rules.rules().iter().enumerate() {
        // The first rule of an id, as `RuleSet::get` finds it.
        number.entry(r.id()).or_insert(n);
    }
    let supersedes: Vec<Vec<usize>> = rules
        .rules()
        .iter()
        .map(|r| r.spec.supersedes.iter().filter_map(|s| number.get(s.as_str()).copied()).collect())
        .collect();
    //
    // The first pair (i, j) in row order is folded, then the scan resumes at
    // row i, not at the top: folding never changes a finding's anchors (what
    // is absorbed becomes corroboration), so rows above i, which found
    // nothing, still find nothing.
    //
    // Each row's evidence index is built once and kept up to date as the row
    // absorbs others: what a fold adds is appended (positions stay valid) and
    // the row is sorted once at the end, which gives the order sorting after
    // every fold gave (the sort is stable, and appends come after).
    //
    // A folded row is left empty rather than removed, so that no row moves
    // (rows are visited in the same order as if it had been removed).
    let mut row = 0;
    let ids: Vec<Option<usize>> = list.iter().map(|f| number.get(f.rule.as_str()).copied()).collect();
    let mut rows: Vec<Option<Finding>> = list.into_iter().map(Some).collect();
    let mut indexes: Vec<Option<RecordIndex>> = rows.iter().map(|_| None).collect();
    let mut touched: Vec<bool> = vec![false; rows.len()];
    loop {
        let mut fold: Option<(usize, usize)> = None;
        'outer: for (i, a) in rows.iter().enumerate().skip(row) {
            let Some(a) = a else { continue };
            let Some(over) = ids.get(i).copied().flatten().and_then(|n| supersedes.get(n)) else { continue };
            if over.is_empty() {
                continue;
            }
            for (j, b) in rows.iter().enumerate() {
                let Some(b) = b else { continue };
                let candidate = ids.get(j).copied().flatten().is_some_and(|n| over.contains(&n));
                if i != j && candidate {
                    let Some(slot) = indexes.get_mut(i) else { continue };
                    let ix = slot.get_or_insert_with(|| RecordIndex::new(&a.evidence));
                    if shares_anchor(a, ix, b) {
                        fold = Some((i, j));
                        break 'outer;
                    }
                }
            }
        }
        let Some((i, j)) = fold else { break };
        let Some(absorbed) = rows.get_mut(j).and_then(Option::take) else { break };
        if let Some(slot) = indexes.get_mut(j) {
            *slot = None;
        }
        row = i;
        if let (Some(Some(a)), Some(slot)) = (rows.get_mut(i), indexes.get_mut(i)) {
            let ix = slot.get_or_insert_with(|| RecordIndex::new(&a.evidence));
            // The absorbing rule's own confidence stands: a generic rule being
            // sure of its (weaker) claim says nothing about the specific cause.
            // What the absorbing rule already shows keeps the part it plays there
            // (the generic finding's anchor may be this rule's corroboration);
            // the absorbed finding's other anchors are events it explains, not
            // occurrences of it.
            let ev: Vec<Evidence> = absorbed
                .evidence
                .into_iter()
                .filter(|e| ix.find(&a.evidence, e).is_none())
                .map(|mut e| {
                    if e.role == Role::Anchor {
                        e.role = Role::Corroboration;
                    }
                    e
                })
                .collect();
            a.append_evidence(ev, ix);
            if let Some(t) = touched.get_mut(i) {
                *t = true;
            }
        }
    }
    let mut list: Vec<Finding> = Vec::with_capacity(rows.len());
    for (f, touched) in rows.into_iter().zip(touched) {
        let Some(mut f) = f else { continue };
        if touched {
            f.evidence.sort_by(evidence_order);
        }
        list.push(f);
    }
    // 3. Generic findings (see [`crate::spec::RuleSpec::generic`]) of one rule
    // and computer become one, across services and boot sessions, its items
    // listing each service; after supersession, so that a specific rule has
    // taken the occurrences it explains.
    let mut list = merge_groups(list, |f| f.generic.then(|| (f.rule.clone(), f.computer.to_lowercase())));
    for f in &mut list {
        f.limit_anchors();
    }
    list.sort_by(|a, b| {
        a.computer
            .to_lowercase()
            .cmp(&b.computer.to_lowercase())
            .then_with(|| b.confidence.cmp(&a.confidence))
            .then_with(|| a.first_time().cmp(&b.first_time()))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.service.cmp(&b.service))
    });
    list
}

/// Whether `a` explains an event `b` stands on: one of `b`'s anchors is part
/// of `a`'s evidence (as its anchor, or as a record one of its checks found:
/// a dependency rule that names the root's own 7000 explains the generic
/// finding anchored on that 7000).
fn shares_anchor(a: &Finding, a_index: &RecordIndex, b: &Finding) -> bool {
    b.evidence.iter().filter(|e| e.role == Role::Anchor).any(|y| a_index.find(&a.evidence, y).is_some())
}

/// The anchor's data as placeholders: each field under its name (`{param2}`,
/// `{ServiceName}`; unnamed classic data as `{param1}`…), and for a Win32
/// insertion `%%N` also `{<name>_error}` = `N (ERROR_NAME)`.
fn field_bindings(e: &Event) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, d) in e.data.iter().enumerate() {
        let name = match &d.name {
            Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => n.clone(),
            _ => format!("param{}", i + 1),
        };
        let value = d.value.trim().to_string();
        if let Some(code) = value.strip_prefix("%%").and_then(evtriage_core::codes::parse_code_number) {
            let code = evtriage_core::codes::normalize_code(&code.to_string()).unwrap_or(code);
            let label = match evtriage_core::codes::name(evtriage_core::codes::Namespace::Win32, code) {
                Some(sym) => format!("{code} ({sym})"),
                None => code.to_string(),
            };
            // `{<name>_text}`: the error with its message, `1058 (ERROR_SERVICE_DISABLED): The service cannot …`.
            if let Some(text) = evtriage_core::codes::insertion_message(code) {
                out.push((format!("{name}_text"), format!("{label}: {}", text.trim())));
            }
            out.push((format!("{name}_error"), label));
        }
        out.push((name, value));
    }
    out
}

/// Merges `other` into `base`, all but the evidence, which it returns: the
/// caller adds a group's evidence in one go (adding it finding by finding,
/// each time searching and sorting what was there, was quadratic).
fn merge_into(base: &mut Finding, other: Finding) -> Vec<Evidence> {
    if other.confidence > base.confidence {
        base.confidence = other.confidence;
        base.cause = other.cause;
        let mut steps = other.remediation;
        for s in std::mem::take(&mut base.remediation) {
            if !steps.contains(&s) {
                steps.push(s);
            }
        }
        base.remediation = steps;
    } else {
        for s in other.remediation {
            if !base.remediation.contains(&s) {
                base.remediation.push(s);
            }
        }
    }
    for k in other.kb {
        if !base.kb.contains(&k) {
            base.kb.push(k);
        }
    }
    crate::finding::merge_items(&mut base.items, &other.items);
    other.evidence
}

/// Merges the findings `key` puts in one group (those it gives `None` stay
/// alone), in the order of each group's first finding. A finding merged over
/// several services or boot sessions names none of them. Each group's
/// evidence is added once at the end (see `merge_into`).
fn merge_groups<K: Ord>(list: Vec<Finding>, mut key: impl FnMut(&Finding) -> Option<K>) -> Vec<Finding> {
    let mut out: Vec<(Finding, Vec<Evidence>)> = Vec::with_capacity(list.len());
    let mut groups: BTreeMap<K, usize> = BTreeMap::new();
    for f in list {
        let Some(k) = key(&f) else {
            out.push((f, Vec::new()));
            continue;
        };
        if let Some((g, pending)) = groups.get(&k).and_then(|&i| out.get_mut(i)) {
            if g.service.as_deref().map(str::to_lowercase) != f.service.as_deref().map(str::to_lowercase) {
                g.service = None;
            }
            if g.boot != f.boot {
                g.boot = None;
            }
            pending.extend(merge_into(g, f));
        } else {
            groups.insert(k, out.len());
            out.push((f, Vec::new()));
        }
    }
    out.into_iter()
        .map(|(mut f, pending)| {
            if !pending.is_empty() {
                f.add_evidence(pending);
            }
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_fields_bind_with_error_names() {
        let origin = Origin::new("System.xml".into(), evtriage_core::Locator::Line { line: 3 });
        let mut e = Event::new(Some("Service Control Manager".into()), 7038, origin);
        e.data = vec![
            evtriage_core::DataItem::named("param1", "MSSQLSERVER"),
            evtriage_core::DataItem::named("param2", ".\\sqlsvc"),
            evtriage_core::DataItem::named("param3", "%%1326"),
            evtriage_core::DataItem::unnamed("5"),
        ];
        let b = field_bindings(&e);
        let get = |k: &str| b.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("param1"), Some("MSSQLSERVER"));
        assert_eq!(get("param3"), Some("%%1326"));
        assert_eq!(get("param3_error"), Some("1326 (ERROR_LOGON_FAILURE)"));
        assert_eq!(get("param4"), Some("5"));
        assert_eq!(get("param1_error"), None);
        assert_eq!(interpolate("logon failed: {param3_error}", &b), "logon failed: 1326 (ERROR_LOGON_FAILURE)");
    }

    #[test]
    fn a_rule_explains_an_anchor_its_checks_found() {
        let o = |n: u64| Origin::new("System.xml".into(), evtriage_core::Locator::Line { line: n });
        let ev = |n: u64, role: Role| Evidence::new(&o(n), None, format!("event {n}"), role);
        let finding = |rule: &str, evidence: Vec<Evidence>| Finding {
            rule: rule.into(),
            title: String::new(),
            kind: crate::finding::Kind::Fault,
            kb: Vec::new(),
            confidence: Confidence::Possible,
            computer: "S1".into(),
            service: None,
            cause: String::new(),
            remediation: Vec::new(),
            evidence,
            boot: None,
            occurrences: 1,
            omitted: 0,
            sources: Vec::new(),
            generic: false,
            items: Vec::new(),
        };
        let generic = finding("generic", vec![ev(7, Role::Anchor)]);
        let specific = finding("specific", vec![ev(9, Role::Anchor), ev(7, Role::Corroboration)]);
        let unrelated = finding("specific", vec![ev(9, Role::Anchor), ev(8, Role::Corroboration)]);
        let shares = |a: &Finding, b: &Finding| shares_anchor(a, &RecordIndex::new(&a.evidence), b);
        assert!(shares(&specific, &generic));
        assert!(!shares(&unrelated, &generic));
        // Not the other way round: the generic finding's evidence does not hold the specific anchor.
        assert!(!shares(&generic, &specific));
    }

    #[test]
    fn interpolation_keeps_unknown_and_literal_braces() {
        let b = vec![("service".to_string(), "IsmServ".to_string()), ("port".to_string(), "25".to_string())];
        assert_eq!(interpolate("sc config {service} start= delayed-auto", &b), "sc config IsmServ start= delayed-auto");
        assert_eq!(interpolate("{unknown} and {port}", &b), "{unknown} and 25");
        assert_eq!(interpolate("ps | ? { $_.Id -eq 4 } {", &b), "ps | ? { $_.Id -eq 4 } {");
        assert_eq!(interpolate("{}{port}", &b), "{}25");
    }

    #[test]
    fn key_patterns_match_suffixes() {
        let path = ["HKEY_LOCAL_MACHINE", "SYSTEM", "ControlSet001", "Services", "IsmServ"];
        let pat = vec!["Services".to_string(), "{service}".to_string()];
        assert!(key_matches(&path, &pat, Some("ismserv")));
        assert!(!key_matches(&path, &pat, Some("Dns")));
        assert!(key_matches(&path, &pat, None));
        assert!(!key_matches(&path[..1], &pat, None));
    }

    #[test]
    fn computers_compare_by_short_name() {
        assert!(same_computer("DC1", "dc1.contoso.com"));
        assert!(!same_computer("DC1", "DC2.contoso.com"));
    }
}
