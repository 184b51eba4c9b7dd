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
    /// The key test of the matchers that take any id (a role's providers,
    /// trace providers), kept apart from the per-id plans so that they do
    /// not lengthen every id's plan: their provider names, with a set of
    /// the names' lengths that rejects nearly every event's provider with
    /// one bit test, whatever the number of such matchers.
    /// (by length: entry `n` holds the names `n` bytes long, `n` < 256)
    any_names: Vec<Vec<(String, bool)>>,
    /// Bit `n` set: some name in `any_names` is `n` bytes long.
    any_lengths: [u64; 4],
    /// Their GUIDs, with a set of the GUIDs' first bytes that rejects nearly
    /// every event's GUID with one bit test.
    any_guids: Vec<(evtriage_core::Guid, bool)>,
    any_guid_firsts: [u64; 4],
    /// Their name prefixes and provider-free selectors (few), tried in turn.
    any_others: Vec<(Option<ProviderSel>, bool)>,
}

/// The matchers, with those that differ only in the list of services they
/// accept merged into one accepting them all: the index answers whether
/// *some* matcher wants an event, and many rules and roles look for one
/// service's SCM 7036 (the DNS Server running, Active Directory Domain
/// Services running), which would otherwise each test every 7036 of a log.
fn merge_service_lists<'a>(matchers: impl Iterator<Item = &'a Matcher>) -> Vec<Matcher> {
    let mut out: Vec<Matcher> = Vec::new();
    for m in matchers {
        let plain_list = |m: &Matcher| {
            m.message.is_none()
                && m.computer.is_none()
                && m.fields.is_empty()
                && m.service.as_ref().is_some_and(|s| {
                    !s.is.is_empty()
                        && s.field.is_none()
                        && !s.has_ports
                        && !s.same
                        && s.name.is_none()
                        && !s.root
                        && !s.generated
                })
        };
        let mergeable = plain_list(m);
        let same_key = |o: &Matcher| o.providers == m.providers && o.event_ids == m.event_ids;
        match out.iter_mut().find(|o| mergeable && plain_list(o) && same_key(o)) {
            Some(o) => {
                if let (Some(into), Some(from)) = (o.service.as_mut(), m.service.as_ref()) {
                    for n in &from.is {
                        if !into.is.iter().any(|x| x.eq_ignore_ascii_case(n)) {
                            into.is.push(n.clone());
                        }
                    }
                    into.accept = Default::default();
                }
            }
            None => out.push(m.clone()),
        }
    }
    out
}

/// Whether bit `n` of a 256-bit set is set (lengths of names, first bytes of GUIDs).
fn has_length(set: &[u64; 4], n: usize) -> bool {
    set.get(n / 64).is_some_and(|w| w & (1u64 << (n % 64)) != 0)
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
        for m in merge_service_lists(rules.iter().flat_map(|r| r.matchers()).filter(|m| !m.is_command())) {
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
                Some(ProviderSel::Name(n)) if n.len() < 256 => {
                    if let Some(w) = idx.any_lengths.get_mut(n.len() / 64) {
                        *w |= 1u64 << (n.len() % 64);
                    }
                    if idx.any_names.is_empty() {
                        idx.any_names = vec![Vec::new(); 256];
                    }
                    if let Some(bucket) = idx.any_names.get_mut(n.len()) {
                        bucket.push((n, reads));
                    }
                }
                Some(ProviderSel::Guid(g)) => {
                    let first = usize::from(g.0[0]);
                    if let Some(w) = idx.any_guid_firsts.get_mut(first / 64) {
                        *w |= 1u64 << (first % 64);
                    }
                    idx.any_guids.push((g, reads));
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
        if let Some(p) = key.provider.filter(|p| has_length(&self.any_lengths, p.len())) {
            for (name, reads) in self.any_names.get(p.len()).into_iter().flatten() {
                if name.eq_ignore_ascii_case(p) {
                    wanted = true;
                    message |= *reads;
                }
            }
        }
        if let Some(g) = key.guid.filter(|g| has_length(&self.any_guid_firsts, usize::from(g.0[0]))) {
            for (guid, reads) in &self.any_guids {
                if guid == g {
                    wanted = true;
                    message |= *reads;
                }
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
