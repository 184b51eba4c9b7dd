//! Evaluation: each rule's anchors found among what the engine kept, each
//! anchor's checks tried, and a finding made of what holds (its evidence,
//! confidence, cause and steps, with the placeholders filled).
//!
//! Checks on other events are in `records`, checks on snapshots (sockets,
//! processes, registry) in `snapshots`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use evtriage_core::boot::Boots;
use evtriage_core::{CommandOutput, Event, Locator, Origin, ProcessEntry, Protocol};

use super::evidence::{command_evidence, event_evidence_at, field_bindings, human_duration, interpolate};
use super::ingest::Intake;
use super::UNKNOWN_COMPUTER;
use crate::finding::{Confidence, Evidence, Finding, Role};
use crate::rule::{Check, Condition, Rule, ServicePred};
use crate::services::{binary_key, default_service_field, is_scm, resolve, ServiceRef, ServiceTable};
use crate::store::EventRef;

mod records;
mod snapshots;

use records::CheckEvents;

/// A 7001 further along a dependency chain lies this close to the anchor (minutes).
const CHAIN_WINDOW_MIN: i64 = 30;

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
struct CheckOutcome {
    evidence: Vec<Evidence>,
    bindings: Vec<(String, String)>,
    /// The most a finding resting on this check may claim.
    cap: Option<Confidence>,
    /// A sentence the engine adds to the cause when the check holds (why a
    /// snapshot may speak for the anchor's moment).
    note: Option<String>,
}

impl CheckOutcome {
    fn new(evidence: Vec<Evidence>, bindings: Vec<(String, String)>) -> Self {
        CheckOutcome { evidence, bindings, cap: None, note: None }
    }
}

/// What evaluating the rules reads: what the engine took in, and what is
/// worked out from it once for every rule (candidates by id, boots,
/// processes by PID, each record check's events).
pub(super) struct Evaluation<'a> {
    intake: &'a Intake,
    table: &'static ServiceTable,
    /// Boot sessions per computer, each with its first marker's place and
    /// kept number.
    boots: Boots<(Locator, u32)>,
    processes: HashMap<u32, Vec<&'a ProcessEntry>>,
    /// Kept candidate events (not boot markers) by event id, numbers in the
    /// order kept: a rule's anchor and its record checks name their ids and
    /// visit only those.
    by_id: HashMap<u32, Vec<EventRef>>,
    /// Per record-check matcher (by address), the candidates it matches on
    /// their own, with their service, in time order: what does not depend on
    /// the anchor is worked out once, not once per anchor.
    check_events: std::cell::RefCell<HashMap<usize, std::rc::Rc<CheckEvents>>>,
}

impl<'a> Evaluation<'a> {
    /// Works out from `intake` what every rule reads.
    pub(super) fn new(intake: &'a Intake) -> Self {
        // Counted first, so that each list is allocated once at its size
        // (there may be hundreds of thousands of candidates).
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for (_, head) in intake.store.heads().filter(|(_, head)| !head.boot) {
            *counts.entry(head.body.event_id).or_default() += 1;
        }
        let mut by_id: HashMap<u32, Vec<EventRef>> =
            counts.into_iter().map(|(id, n)| (id, Vec::with_capacity(n))).collect();
        let mut markers = Vec::new();
        for (i, head) in intake.store.heads() {
            if !head.boot {
                by_id.entry(head.body.event_id).or_default().push(EventRef::of(i, &head));
            } else if let Some((t, stored)) = intake.store.get(i).and_then(|s| Some((s.slot.time()?, s))) {
                markers.push((stored.body.computer.as_deref(), t, (stored.slot.locator(), i)));
            }
        }
        let mut processes: HashMap<u32, Vec<&ProcessEntry>> = HashMap::new();
        for p in &intake.processes {
            processes.entry(p.pid).or_default().push(p);
        }
        Evaluation {
            intake,
            table: ServiceTable::builtin(),
            boots: Boots::from_markers(markers),
            processes,
            by_id,
            check_events: Default::default(),
        }
    }

    /// Adds to `findings` what `rule` finds: one finding per anchor (a
    /// command-output block or a kept event its anchor matches) whose
    /// required checks hold.
    pub(super) fn find(&self, rule: &Rule, findings: &mut Vec<Finding>) {
        if rule.anchor.is_command() {
            for (i, c) in self.intake.commands.iter().enumerate() {
                if rule.anchor.matches_command(c) {
                    let anchor = Anchor::Command { index: i, cmd: c };
                    findings.extend(self.finding(rule, &anchor));
                }
            }
            return;
        }
        let store = &self.intake.store;
        // A rule's anchor visits only the candidates of its ids, in the order they were kept.
        let visit: Vec<EventRef> = if rule.anchor.event_ids.is_empty() {
            store.heads().filter(|(_, head)| !head.boot).map(|(i, head)| EventRef::of(i, &head)).collect()
        } else {
            let mut ids = rule.anchor.event_ids.clone();
            ids.sort_unstable();
            ids.dedup();
            let mut at: Vec<EventRef> = ids.iter().filter_map(|id| self.by_id.get(id)).flatten().copied().collect();
            at.sort_unstable_by_key(|r| r.number);
            at
        };
        for r in visit {
            let Some(head) = store.head_of(r) else { continue };
            // The body answers what the anchor's matcher, its service
            // and its text read; the slot gives its time and place.
            if !rule.anchor.matches_event_static(head.body) {
                continue;
            }
            let Some(stored) = store.get(r.number) else { continue };
            let (e, time) = (stored.body, stored.slot.time());
            let mut service = self.service_of(e, rule.anchor.service.as_ref());
            let mut chain = Vec::new();
            if let (Some(pred), Some(start)) = (&rule.anchor.service, &service) {
                if pred.root {
                    let (root, followed) = self.dependency_root(e, time, start.clone());
                    service = Some(root);
                    chain = followed;
                }
            }
            if let Some(pred) = &rule.anchor.service {
                if !self.service_holds(pred, service.as_ref(), None) {
                    continue;
                }
            }
            let anchor = Anchor::Event { event: e, time, origin: stored.origin(), service, chain };
            findings.extend(self.finding(rule, &anchor));
        }
    }

    fn single_computer(&self) -> Option<&str> {
        let mut it = self.intake.computers.iter();
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
            return Some(resolve(self.table, &self.intake.learned, name, None));
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
        Some(resolve(self.table, &self.intake.learned, shown, key.as_deref()))
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
            let kept = self.by_id.get(&7001).into_iter().flatten().filter_map(|h| self.intake.store.get(h.number));
            let next = kept.filter(|v| is_scm(v.body)).find_map(|v| {
                let (d, dt) = (v.body, v.slot.time()?);
                if (dt - t).abs() > window {
                    return None;
                }
                match (e.computer.as_deref(), d.computer.as_deref()) {
                    (Some(a), Some(b)) if !same_computer(a, b) => return None,
                    _ => {}
                }
                let dependent = resolve(self.table, &self.intake.learned, d.field("param1")?, binary_key(d).as_deref());
                if !dependent.key.eq_ignore_ascii_case(&current.key) {
                    return None;
                }
                Some(resolve(self.table, &self.intake.learned, d.field("param2")?, None))
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

    /// The part of [`Evaluation::service_holds`] that does not depend on the anchor.
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

    /// The part of [`Evaluation::service_holds`] that does: `same` as the anchor's service.
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
        self.boots.at(computer, t).map(|b| (b.start, b.marker.1))
    }

    /// The finding `rule` makes of `anchor`: `None` when a required check
    /// does not hold.
    fn finding(&self, rule: &Rule, anchor: &Anchor<'_>) -> Option<Finding> {
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
        let mut add_text = |check: &Check, held: &CheckOutcome, kb: &mut Vec<String>| {
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

    fn check(&self, check: &Check, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        let held = self.check_condition(check, anchor);
        if check.not {
            return match held {
                Some(_) => None,
                None => Some(CheckOutcome::new(Vec::new(), Vec::new())),
            };
        }
        held
    }

    fn check_condition(&self, check: &Check, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        match &check.condition {
            Condition::AfterBoot(limit) => {
                let t = anchor.time()?;
                let (boot, marker) = self.boot_of(anchor.computer(), t)?;
                let since = (t - boot).max(Duration::zero());
                if since > *limit {
                    return None;
                }
                let marker = self.intake.store.get(marker)?;
                Some(CheckOutcome::new(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computers_compare_by_short_name() {
        assert!(same_computer("DC1", "dc1.contoso.com"));
        assert!(!same_computer("DC1", "DC2.contoso.com"));
    }
}
