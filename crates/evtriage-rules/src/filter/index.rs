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
    /// its matchers (`None`: any provider), each with whether some such
    /// matcher reads the message.
    key_plans: HashMap<u32, Vec<(Option<ProviderSel>, bool)>, crate::finding::BuildFnv>,
    /// The key test of the matchers that take any id, by provider: a
    /// provider name (lowercase) is one hash look-up whatever the number of
    /// such matchers (a role's providers, trace providers), so that adding
    /// rules does not add work for every event read.
    any_names: HashMap<Box<[u8]>, bool, crate::finding::BuildFnv>,
    /// Their GUIDs, name prefixes and provider-free selectors (few), tried in turn.
    any_others: Vec<(Option<ProviderSel>, bool)>,
}

/// Provider names longer than this are not looked up by name (no matcher
/// names one; the longest Windows provider names are under 100 bytes).
const MAX_NAME: usize = 160;

/// `name` in ASCII lowercase into `buf`, or `None` when it does not fit.
fn lower<'b>(name: &str, buf: &'b mut [u8; MAX_NAME]) -> Option<&'b [u8]> {
    let bytes = name.as_bytes();
    let out = buf.get_mut(..bytes.len())?;
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_lowercase();
    }
    Some(out)
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
        let mut any_plan = Vec::new();
        for m in &idx.any_id {
            plan_add(&mut any_plan, m);
        }
        for (sel, reads) in any_plan {
            match sel {
                Some(ProviderSel::Name(n)) if n.len() <= MAX_NAME => {
                    let slot = idx.any_names.entry(n.to_ascii_lowercase().into_bytes().into_boxed_slice()).or_default();
                    *slot |= reads;
                }
                other => idx.any_others.push((other, reads)),
            }
        }
        for (id, ms) in &idx.by_id {
            let mut plan = Vec::new();
            for m in ms {
                plan_add(&mut plan, m);
            }
            idx.key_plans.insert(*id, plan);
        }
        idx
    }

    /// The key test of the matchers that take any id: (wanted, reads message).
    fn any_verdict(&self, key: &EventKey<'_>) -> (bool, bool) {
        let (mut wanted, mut message) = (false, false);
        if !self.any_names.is_empty() {
            let mut buf = [0u8; MAX_NAME];
            if let Some(reads) = key.provider.and_then(|p| lower(p, &mut buf)).and_then(|n| self.any_names.get(n)) {
                wanted = true;
                message |= *reads;
            }
        }
        for (sel, reads) in &self.any_others {
            if message {
                break;
            }
            if sel.as_ref().is_none_or(|s| s.matches_key(key)) {
                wanted = true;
                message |= *reads;
            }
        }
        (wanted, message)
    }

    /// Whether some matcher wants an event with this cheap key (`.0`), and
    /// whether one that does reads the rendered message (`.1`), in one pass
    /// over the distinct provider selectors of the id's matchers.
    pub(crate) fn key_verdict(&self, key: &EventKey<'_>) -> (bool, bool) {
        let (mut wanted, mut message) = (false, false);
        if let Some(plan) = self.key_plans.get(&key.event_id) {
            for (sel, reads) in plan {
                if sel.as_ref().is_none_or(|s| s.matches_key(key)) {
                    wanted = true;
                    message |= *reads;
                    if message {
                        return (true, true);
                    }
                }
            }
        }
        let (any_wanted, any_message) = self.any_verdict(key);
        (wanted || any_wanted, message || any_message)
    }

    /// The matchers an event with this id can match.
    fn for_id(&self, event_id: u32) -> impl Iterator<Item = &Matcher> {
        self.by_id.get(&event_id).into_iter().flatten().chain(self.any_id.iter())
    }

    /// Whether some matcher that can match this event's provider and id
    /// looks at the rendered message.
    pub(crate) fn reads_message(&self, e: &Event) -> bool {
        let by_id = self.key_plans.get(&e.event_id).into_iter().flatten();
        let any = self.any_id.iter().map(|m| &m.message).zip(self.any_id.iter());
        by_id.filter(|(_, reads)| *reads).any(|(sel, _)| sel.as_ref().is_none_or(|s| s.matches_event(e)))
            || any
                .filter(|(msg, _)| msg.is_some())
                .any(|(_, m)| m.providers.is_empty() || m.providers.iter().any(|s| s.matches_event(e)))
    }

    /// Whether some matcher matches the event on everything but service
    /// identity and time (the message rendered at most once).
    pub(crate) fn matches_event(&self, e: &Event) -> bool {
        let mut rendered = None;
        self.for_id(e.event_id).any(|m| m.matches_event_cached(e, &mut rendered))
    }
}
