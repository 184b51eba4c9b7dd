//! Record checks: the event nearest the anchor, within a window before,
//! after or around it, that a check's matcher accepts.

use chrono::Duration;
use evtriage_core::boot::computer_key;

use super::{same_computer, Anchor, BodyService, CheckEvent, CheckEvents, CheckOutcome, Evaluation};
use crate::engine::evidence::{command_evidence, event_evidence_at, field_bindings, human_duration, process_evidence};
use crate::finding::{Evidence, Role};
use crate::rule::{Matcher, RoleDef};
use crate::spec::Direction;
use crate::store::{EventHead, StoredEvent};

impl<'a> Evaluation<'a> {
    /// The record check `m` for `anchor`: the command-output block nearest
    /// the anchor in its capture, or the event nearest the anchor's time
    /// within `m.within` in `m.direction`, with the gap as `{gap}`.
    pub(super) fn check_record(&self, m: &Matcher, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        if m.is_command() {
            let (anchor_source, anchor_index) = match anchor {
                Anchor::Command { index, cmd } => (Some(&cmd.origin.source), Some(*index)),
                Anchor::Event { .. } => (None, None),
            };
            // The nearest matching block (by position in the capture) wins.
            let distance = |i: usize| anchor_index.map_or(i, |ai| i.abs_diff(ai));
            let found = self
                .intake
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
            return Some(CheckOutcome::new(vec![command_evidence(c, Role::Corroboration)], Vec::new()));
        }
        let t = anchor.time()?;
        let within = m.within?;
        let anchor_origin = anchor.origin();
        let anchor_computer = anchor.computer();
        // Only the events inside the window can match (the same test follows);
        // which one wins does not depend on the order they are visited in.
        let (lo, hi) = match m.direction {
            Direction::Before => (t.checked_sub_signed(within), Some(t)),
            Direction::After => (Some(t), t.checked_add_signed(within)),
            Direction::Around => (t.checked_sub_signed(within), t.checked_add_signed(within)),
        };
        let candidates = self.check_events(m);
        let list = &candidates.list;
        let start = lo.map_or(0, |lo| list.partition_point(|c| c.time < lo));
        let end = hi.map_or(list.len(), |hi| list.partition_point(|c| c.time <= hi));
        let anchor_event = match anchor {
            Anchor::Event { event, .. } => Some(*event),
            Anchor::Command { .. } => None,
        };
        // Whether a candidate holds for this anchor: not the anchor itself,
        // inside the window, the same computer, service and shared fields.
        let holds = |c: &CheckEvent| -> Option<(Duration, StoredEvent<'a>)> {
            let e = self.intake.store.get(c.event)?;
            if e.is_at(&anchor_origin.source, anchor_origin.locator) {
                return None;
            }
            let delta = c.time - t;
            let in_window = match m.direction {
                Direction::Before => delta <= Duration::zero() && -delta <= within,
                Direction::After => delta >= Duration::zero() && delta <= within,
                Direction::Around => delta.abs() <= within,
            };
            if !in_window {
                return None;
            }
            match (anchor_computer, e.body.computer.as_deref().map(str::trim).filter(|c| !c.is_empty())) {
                (Some(a), Some(c)) if !same_computer(a, c) => return None,
                // A record naming no computer (ETW text traces) is treated like a snapshot.
                (Some(_), None) if !self.source_applies(anchor, &e.body.origin.source) => return None,
                _ => {}
            }
            if let Some(pred) = &m.service {
                let s = candidates.services.get(c.service as usize)?;
                if !s.ok || !Self::same_as_anchor(pred, s.service.as_ref(), anchor.service()) {
                    return None;
                }
            }
            if !m.same_fields.is_empty() {
                let a = anchor_event?;
                let shared = m.same_fields.iter().all(|f| match (a.field(f), e.body.field(f)) {
                    (Some(x), Some(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
                    _ => false,
                });
                if !shared {
                    return None;
                }
            }
            Some((delta.abs(), e))
        };
        // Nearest wins; ties go to the earlier record, whatever the input order.
        let better = |d: Duration, e: &StoredEvent<'a>, best: &Option<(Duration, StoredEvent<'a>)>| match best {
            None => true,
            Some((bd, be)) => {
                d < *bd
                    || (d == *bd
                        && (e.slot.time(), &e.body.origin.source, e.slot.locator())
                            < (be.slot.time(), &be.body.origin.source, be.slot.locator()))
            }
        };
        let window = list.get(start..end.max(start)).unwrap_or_default();
        let mut best: Option<(Duration, StoredEvent<'a>)> = None;
        let mut count = 0usize;
        if m.min_count > 1 {
            // Every candidate of the window counts.
            for c in window {
                if let Some((d, e)) = holds(c) {
                    count += 1;
                    if better(d, &e, &best) {
                        best = Some((d, e));
                    }
                }
            }
            if count < m.min_count {
                return None;
            }
        } else {
            // Visited nearest first, walking out from the anchor's time on both
            // sides: once a candidate holds, only those as near can still win a
            // tie, and the walk stops at the first one farther away.
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
                if best.as_ref().is_some_and(|(bd, _)| (c.time - t).abs() > *bd) {
                    break;
                }
                if let Some((d, e)) = holds(c) {
                    if better(d, &e, &best) {
                        best = Some((d, e));
                    }
                }
            }
        }
        let (d, e) = best?;
        // The found record's own data, as `{found_<name>}` (`{found_param1}`).
        let mut bindings: Vec<(String, String)> =
            field_bindings(e.body).into_iter().map(|(k, v)| (format!("found_{k}"), v)).collect();
        bindings.push(("gap".into(), human_duration(d)));
        if m.min_count > 1 {
            bindings.push(("count".into(), count.to_string()));
        }
        Some(CheckOutcome::new(
            vec![event_evidence_at(e.body, &e.origin(), e.slot.time(), Role::Corroboration)],
            bindings,
        ))
    }

    /// The role check: a record of the anchor's computer, at any time, that
    /// shows the role (the first of the role's matchers that finds one, the
    /// nearest it finds), else a process table that may speak for the
    /// anchor's computer showing the role's program or service. The record
    /// is context evidence: it shows where the anchor happened, it does not
    /// corroborate a cause. Binds `{role}` ("a domain controller").
    pub(super) fn check_role(&self, def: &RoleDef, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        let found = def.shows.iter().find_map(|m| self.check_record(m, anchor)).map(|mut out| {
            out.bindings.retain(|(k, _)| k != "gap");
            out
        });
        let out = found.or_else(|| {
            let p = self.intake.processes.iter().find(|p| {
                self.snapshot_applies(anchor, &p.origin)
                    && (def.images.iter().any(|i| i.eq_ignore_ascii_case(p.image.trim()))
                        || p.services.iter().any(|s| def.services.iter().any(|d| d.eq_ignore_ascii_case(s))))
            })?;
            Some(CheckOutcome::new(vec![process_evidence(p)], Vec::new()))
        });
        // A domain controller says so in systeminfo (`OS Configuration: Primary
        // Domain Controller`, `Additional/Backup Domain Controller`) and in
        // Get-ComputerInfo (`CsDomainRole : PrimaryDomainController`).
        let mut out = out.or_else(|| {
            if def.role != crate::spec::ServerRole::DomainController {
                return None;
            }
            let c = self.intake.computer_info.iter().find(|c| {
                let dc = c.role.as_deref().is_some_and(|r| {
                    let r = r.to_ascii_lowercase();
                    r.contains("domain controller") || r.ends_with("domaincontroller")
                });
                let same = match (c.computer.as_deref(), anchor.computer()) {
                    (Some(a), Some(b)) => computer_key(Some(a)) == computer_key(Some(b)),
                    _ => self.snapshot_applies(anchor, &c.origin),
                };
                dc && same
            })?;
            let summary = format!(
                "{} is a {}",
                c.computer.as_deref().unwrap_or("the computer"),
                c.role.as_deref().unwrap_or("domain controller")
            );
            Some(CheckOutcome::new(vec![Evidence::new(&c.origin, None, summary, Role::Context)], Vec::new()))
        })?;
        for e in &mut out.evidence {
            e.role = Role::Context;
        }
        out.bindings.push(("role".into(), def.title.clone()));
        Some(out)
    }

    /// The candidates record check `m` can use whatever the anchor: those it
    /// matches on their own, with their service, in time order (built once).
    /// A matcher reads only an event's body, so it is asked once per
    /// distinct body, and so is the body's service.
    fn check_events(&self, m: &Matcher) -> std::rc::Rc<CheckEvents> {
        let key = m as *const Matcher as usize;
        if let Some(list) = self.check_events.borrow().get(&key) {
            return list.clone();
        }
        let mut ids = m.event_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        // In kept order per id, ids ascending; all candidates when the check names no id.
        let store = &self.intake.store;
        let gather = |visit: &mut dyn FnMut(u32, EventHead<'a>)| {
            // Boot markers after the other events of their id: a check may
            // read them (EventLog 6009's OS version), and they sort by time.
            if ids.is_empty() {
                store.heads().filter(|(_, head)| !head.boot).for_each(|(i, head)| visit(i, head));
                store.heads().filter(|(_, head)| head.boot).for_each(|(i, head)| visit(i, head));
            } else {
                let lists = ids.iter().filter_map(|id| self.by_id.get(id));
                let boots = ids.iter().filter_map(|id| self.boot_by_id.get(id));
                for &r in lists.chain(boots).flatten() {
                    if let Some(head) = store.head_of(r) {
                        visit(r.number, head);
                    }
                }
            }
        };
        // Per body number: not asked yet, or its entry in `services`, or
        // `None` when `m` does not match it.
        let mut bodies: Vec<Option<Option<u32>>> = vec![None; store.bodies()];
        let mut services: Vec<BodyService> = Vec::new();
        let mut entry_of = |v: EventHead<'a>| {
            let memo = bodies.get_mut(v.body_number as usize)?;
            *memo.get_or_insert_with(|| {
                if !m.matches_event_static(v.body) {
                    return None;
                }
                let service = m.service.as_ref().and_then(|pred| self.service_of(v.body, Some(pred)));
                let ok = m.service.as_ref().is_none_or(|pred| self.service_holds_alone(pred, service.as_ref()));
                let n = u32::try_from(services.len()).ok()?;
                services.push(BodyService { service, ok });
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
        let mut list: Vec<CheckEvent> = Vec::with_capacity(count);
        gather(&mut |i, p| {
            if !p.timed {
                return;
            }
            let Some(service) = entry_of(p) else { return };
            if let Some(time) = store.get(i).and_then(|s| s.slot.time()) {
                let order = u32::try_from(list.len()).unwrap_or(u32::MAX);
                list.push(CheckEvent { time, event: i, service, order });
            }
        });
        // Which candidate wins does not depend on this order (nearest, then
        // earliest by time, source and place); time order is for the window.
        // Equal times stay in the order gathered (an unstable sort needs no
        // scratch space as large as the list).
        list.sort_unstable_by_key(|c| (c.time, c.order));
        let candidates = std::rc::Rc::new(CheckEvents { list, services });
        self.check_events.borrow_mut().insert(key, candidates.clone());
        candidates
    }
}
