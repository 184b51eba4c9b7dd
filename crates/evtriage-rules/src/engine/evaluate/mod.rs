//! Evaluation: each rule's anchors found among what the engine kept, each
//! anchor's checks tried, and a finding made of what holds (its evidence,
//! confidence, cause and steps, with the placeholders filled).
//!
//! Here, what evaluating reads ([`Evaluation`]: what was taken in, and what
//! is worked out from it once) and the questions every check asks (which
//! service an event is about, which boot session a time lies in, whether a
//! snapshot row is about the anchor's machine). On top of them, checks on
//! other events (`records`) and on snapshots — sockets, processes,
//! registry (`snapshots`); and on top of those, `findings`: anchors
//! visited, checks run, findings made.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use evtriage_core::boot::Boots;
use evtriage_core::{CommandOutput, Event, Locator, Origin, ProcessEntry};

use super::ingest::Intake;
use crate::finding::{Confidence, Evidence};
use crate::rule::ServicePred;
use crate::services::{binary_key, default_service_field, is_scm, resolve, ServiceRef, ServiceTable};
use crate::store::EventRef;

mod findings;
mod records;
mod snapshots;
mod updates;

/// Computer name used when the evidence names none.
pub const UNKNOWN_COMPUTER: &str = "(unknown)";

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
    /// Boot markers by event id: record checks may look at them (the OS
    /// version in EventLog 6009), anchors never do.
    boot_by_id: HashMap<u32, Vec<EventRef>>,
    /// Per record-check matcher (by address), the candidates it matches on
    /// their own, with their service, in time order: what does not depend on
    /// the anchor is worked out once, not once per anchor.
    check_events: std::cell::RefCell<HashMap<usize, std::rc::Rc<CheckEvents>>>,
}

/// The events a record check can use whatever the anchor, in time order.
struct CheckEvents {
    list: Vec<CheckEvent>,
    /// The services the candidates are about, one per distinct body (a
    /// body's service does not depend on the per-record fields).
    services: Vec<BodyService>,
}

/// An event a record check can use: its time, number and service.
#[derive(Clone, Copy)]
struct CheckEvent {
    time: DateTime<Utc>,
    /// The kept event's number.
    event: u32,
    /// Its entry in [`CheckEvents::services`].
    service: u32,
    /// Its place in the order gathered, which breaks ties of time.
    order: u32,
}

/// The service of the candidates of one body.
struct BodyService {
    service: Option<ServiceRef>,
    /// Whether `service` passes the check's service test but for `same`.
    ok: bool,
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
        let mut boot_by_id: HashMap<u32, Vec<EventRef>> = HashMap::new();
        for (i, head) in intake.store.heads() {
            if !head.boot {
                by_id.entry(head.body.event_id).or_default().push(EventRef::of(i, &head));
            } else {
                boot_by_id.entry(head.body.event_id).or_default().push(EventRef::of(i, &head));
                if let Some((t, stored)) = intake.store.get(i).and_then(|s| Some((s.slot.time()?, s))) {
                    markers.push((stored.body.computer.as_deref(), t, (stored.slot.locator(), i)));
                }
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
            boot_by_id,
            check_events: Default::default(),
        }
    }

    /// Whether a snapshot row (which names no computer) may be about the
    /// anchor's machine: always when the inputs show at most one computer,
    /// else only when it sits in the same folder (or archive folder) as the anchor.
    fn snapshot_applies(&self, anchor: &Anchor<'_>, snapshot: &Origin) -> bool {
        self.source_applies(anchor, &snapshot.source)
    }

    /// [`Evaluation::snapshot_applies`] for a row from `source`.
    fn source_applies(&self, anchor: &Anchor<'_>, source: &str) -> bool {
        self.intake.computers.len() <= 1 || folder_of(source) == folder_of(&anchor.origin().source)
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
