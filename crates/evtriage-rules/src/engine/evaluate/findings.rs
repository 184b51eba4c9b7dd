//! Findings: each anchor of a rule visited, its checks run, and a finding
//! made of what holds — evidence, confidence, cause and steps with their
//! placeholders filled.

use std::collections::BTreeSet;

use chrono::Duration;
use evtriage_core::Protocol;

use super::{Anchor, CheckOutcome, Evaluation, UNKNOWN_COMPUTER};
use crate::engine::evidence::{
    command_evidence, event_evidence_at, excerpt, field_bindings, human_duration, interpolate,
};
use crate::finding::{Confidence, Evidence, Finding, Role};
use crate::rule::{Check, Condition, Rule};
use crate::store::EventRef;

impl Evaluation<'_> {
    /// Adds to `findings` what `rule` finds: one finding per anchor (a
    /// command-output block or a kept event its anchor matches) whose
    /// required checks hold.
    pub(in crate::engine) fn find(&self, rule: &Rule, findings: &mut Vec<Finding>) {
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
        // Checks that lower what the finding may claim when they hold.
        let mut check_cap = required.iter().filter_map(|(c, _)| c.cap).min();
        let mut kb = rule.kb.clone();
        let mut extra_cause: Vec<String> = Vec::new();
        let mut extra_steps: Vec<String> = Vec::new();
        // A check's own sentences see its own bindings first (two record checks both bind `gap`).
        let mut add_text = |check: &Check, held: &CheckOutcome, kb: &mut Vec<String>| {
            let mut local = bindings.clone();
            local.extend(held.bindings.iter().cloned());
            extra_cause.extend(check.cause.as_deref().map(|c| interpolate(c, &local)));
            // Two snapshot checks give the same sentence on when the capture speaks for.
            if let Some(n) = held.note.as_ref().filter(|n| !n.is_empty() && !extra_cause.contains(n)) {
                extra_cause.push(n.clone());
            }
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
                if let Some(k) = check.cap {
                    check_cap = Some(check_cap.map_or(k, |c| c.min(k)));
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
        if let Some(k) = check_cap {
            confidence = confidence.min(k);
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
            // A name is quoted, not copied whole (a damaged log can carry one of megabytes).
            computer: excerpt(&computer),
            service: anchor.service().map(|s| excerpt(&s.key)),
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
                detail: evtriage_core::display::one_line(&detail, 160),
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
            Condition::Role(def) => self.check_role(def, anchor),
            Condition::Update { kbs, installed } => self.check_update(kbs, *installed, anchor),
            Condition::PortInRange { range, ports, port_field, administered } => {
                let from_field = match (port_field, anchor) {
                    (Some(f), Anchor::Event { event, .. }) => {
                        event.field(f).and_then(|v| v.trim().parse::<u16>().ok()).filter(|p| *p != 0)
                    }
                    _ => None,
                };
                match from_field {
                    Some(port) => self.check_port_range(*range, &[(Protocol::Tcp, port)], *administered, anchor),
                    None if port_field.is_some() && ports.is_empty() => None,
                    None => self.check_port_range(*range, ports, *administered, anchor),
                }
            }
        }
    }
}
