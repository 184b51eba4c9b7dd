//! The rule set's event matchers indexed by event id: what the event filter
//! (and the engine, for the events it is given) asks whether some rule can
//! use an event.

use std::collections::HashMap;
use std::sync::Arc;

use evtriage_core::{Event, EventKey};

use crate::rule::{Matcher, ProviderSel, Rule};

/// The event matchers of a rule set, indexed by event id.
///
/// Nearly every matcher names its event ids, so an event (or a record's cheap
/// key) needs to be tried only against the matchers of its own id, plus the
/// few that take any id: one hash look-up instead of a loop over every
/// matcher of every rule. Built once per rule set; answers exactly what
/// "any matcher of any rule matches" answers.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatcherIndex {
    /// (Event ids come from the rules, so a plain fast hash is safe here.)
    by_id: HashMap<u32, Vec<Matcher>, crate::finding::BuildFnv>,
    any_id: Vec<Matcher>,
    /// For the key test: per event id, the distinct provider selectors of
    /// its matchers (and of those that take any id; `None`: any provider),
    /// each with whether some such matcher reads the message.
    key_plans: HashMap<u32, Vec<(Option<ProviderSel>, bool)>, crate::finding::BuildFnv>,
    /// The same for ids no matcher names.
    any_plan: Vec<(Option<ProviderSel>, bool)>,
}

/// Adds the selectors of `m` to a key plan (see [`MatcherIndex::key_plans`]).
fn plan_add(plan: &mut Vec<(Option<ProviderSel>, bool)>, m: &Matcher) {
    let sels: Vec<Option<ProviderSel>> =
        if m.providers.is_empty() { vec![None] } else { m.providers.iter().cloned().map(Some).collect() };
    for sel in sels {
        match plan.iter_mut().find(|(s, _)| *s == sel) {
            Some((_, message)) => *message |= m.message.is_some(),
            None => plan.push((sel, m.message.is_some())),
        }
    }
}

impl MatcherIndex {
    /// The index of every event matcher (anchors and record checks) of `rules`.
    pub(crate) fn new(rules: &[Arc<Rule>]) -> Self {
        let mut idx = MatcherIndex::default();
        for m in rules.iter().flat_map(|r| r.matchers()).filter(|m| !m.is_command()) {
            if m.event_ids.is_empty() {
                idx.any_id.push(m.clone());
            } else {
                let mut ids = m.event_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    idx.by_id.entry(id).or_default().push(m.clone());
                }
            }
        }
        for m in &idx.any_id {
            plan_add(&mut idx.any_plan, m);
        }
        for (id, ms) in &idx.by_id {
            let mut plan = Vec::new();
            for m in ms.iter().chain(idx.any_id.iter()) {
                plan_add(&mut plan, m);
            }
            idx.key_plans.insert(*id, plan);
        }
        idx
    }

    /// Whether some matcher wants an event with this cheap key (`.0`), and
    /// whether one that does reads the rendered message (`.1`), in one pass
    /// over the distinct provider selectors of the id's matchers.
    pub(crate) fn key_verdict(&self, key: &EventKey<'_>) -> (bool, bool) {
        let plan = self.key_plans.get(&key.event_id).unwrap_or(&self.any_plan);
        let (mut wanted, mut message) = (false, false);
        for (sel, reads) in plan {
            if sel.as_ref().is_none_or(|s| s.matches_key(key)) {
                wanted = true;
                message |= *reads;
                if message {
                    break;
                }
            }
        }
        (wanted, message)
    }

    /// The matchers an event with this id can match.
    fn for_id(&self, event_id: u32) -> impl Iterator<Item = &Matcher> {
        self.by_id.get(&event_id).into_iter().flatten().chain(self.any_id.iter())
    }

    /// Whether some matcher that can match this event's provider and id
    /// looks at the rendered message.
    pub(crate) fn reads_message(&self, e: &Event) -> bool {
        let plan = self.key_plans.get(&e.event_id).unwrap_or(&self.any_plan);
        plan.iter().any(|(sel, reads)| *reads && sel.as_ref().is_none_or(|s| s.matches_event(e)))
    }

    /// Whether some matcher matches the event on everything but service
    /// identity and time (the message rendered at most once).
    pub(crate) fn matches_event(&self, e: &Event) -> bool {
        let mut rendered = None;
        self.for_id(e.event_id).any(|m| m.matches_event_cached(e, &mut rendered))
    }
}
