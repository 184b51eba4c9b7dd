//! The rule set's [`EventFilter`]: which events the engine can use, decided
//! on the reader's worker threads.
//!
//! Most records of a log are of no use to any rule, and most of those that
//! pass a test on provider and event id are of no use either: a System log is
//! mostly Service Control Manager 7036 ("the X service entered the running
//! state"), which the engine reads only to learn service names, and which a
//! few rules look at only when `param1` names one particular service. Sending
//! all of them, whole, to the engine on the calling thread made that one
//! thread the bottleneck of `analyze`. So the filter works in two stages on
//! the workers:
//!
//! 1. **Select** by key. Boot markers are delivered. An event that some
//!    matcher can match by provider and id, or an SCM 7036/7040 (service
//!    names), goes to review; when no matcher of that event id looks at the
//!    rendered message, only the part of the event matchers can look at is
//!    decoded first ([`Selection::ReviewPartial`]). Everything else is passed
//!    over.
//! 2. **Review**, once per chunk (or text file), in order. An event that some
//!    matcher matches is completed and delivered. Otherwise it is delivered,
//!    as decoded so far, only if it tells the engine something new in this
//!    chunk: a service key/display-name pair, or a computer name different
//!    from the previous event's. The rest is passed over.
//!
//! The engine therefore learns exactly the pairs and computer names it would
//! have learned from every event, in the same order (the first occurrence of
//! each is kept, and chunks are delivered in order), keeps the same candidate
//! events, and gives the same findings for any number of threads.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use evtriage_core::{Event, EventFilter, EventKey, Guid, Reviewer, Selection, Verdict};

use crate::rule::{MatcherIndex, ProviderSel, CONTEXT_EVENTS};
use crate::services::{is_scm, learn_source};

/// Service Control Manager's provider GUID.
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
/// The SCM events the engine reads for service names even when no rule wants them.
const SCM_LEARN_IDS: [u32; 2] = [7036, 7040];

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct RuleFilter {
    matchers: MatcherIndex,
    /// Boot markers: always delivered.
    boot: Vec<(ProviderSel, Vec<u32>)>,
    scm_guid: Option<Guid>,
}

impl RuleFilter {
    pub(crate) fn new(matchers: MatcherIndex) -> Self {
        let boot = CONTEXT_EVENTS
            .iter()
            .filter(|(p, _)| !p.eq_ignore_ascii_case("Service Control Manager") && !p.eq_ignore_ascii_case(SCM_GUID))
            .map(|(p, ids)| {
                let sel = Guid::parse(p).map(ProviderSel::Guid).unwrap_or_else(|| ProviderSel::Name(p.to_string()));
                (sel, ids.to_vec())
            })
            .collect();
        RuleFilter { matchers, boot, scm_guid: Guid::parse(SCM_GUID) }
    }

    fn is_scm_key(&self, key: &EventKey<'_>) -> bool {
        key.provider.is_some_and(|p| p.eq_ignore_ascii_case("Service Control Manager"))
            || (key.guid.is_some() && key.guid == self.scm_guid.as_ref())
    }
}

impl EventFilter for RuleFilter {
    fn select(&self, key: &EventKey<'_>) -> Selection {
        if self.boot.iter().any(|(p, ids)| ids.contains(&key.event_id) && p.matches_key(key)) {
            return Selection::Deliver;
        }
        let learn = SCM_LEARN_IDS.contains(&key.event_id) && self.is_scm_key(key);
        if !learn && !self.matchers.wants_key(key) {
            return Selection::Skip;
        }
        if self.matchers.needs_message(key) {
            Selection::Review
        } else {
            Selection::ReviewPartial
        }
    }

    fn reviewer(&self) -> Box<dyn Reviewer + '_> {
        Box::new(RuleReviewer {
            filter: self,
            pairs: HashMap::new(),
            computer: String::new(),
            matched: HashMap::new(),
            content: Vec::new(),
        })
    }
}

/// The per-chunk reviewer; see the [module docs](self).
struct RuleReviewer<'f> {
    filter: &'f RuleFilter,
    /// Service-name sources already delivered in this chunk, by hash
    /// (display name, key bytes), each bucket checked exactly.
    pairs: HashMap<u64, Vec<(String, Vec<u8>)>>,
    /// The computer name of the previous event delivered or passed over.
    computer: String,
    /// Whether some matcher matches, by everything a matcher can look at
    /// (see [`content_key`]): most of a chunk's events repeat one of a few
    /// service state changes, and each is matched once.
    matched: HashMap<Vec<u8>, bool>,
    /// Scratch space for [`content_key`].
    content: Vec<u8>,
}

/// Everything a matcher that does not read the rendered message can look at,
/// written out unambiguously (lengths before contents): provider, event id,
/// computer, data items and `Binary`. Time and record id are left out.
fn content_key(e: &Event, out: &mut Vec<u8>) {
    fn put(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            None => out.push(0),
            Some(b) => {
                out.push(1);
                out.extend_from_slice(&(b.len() as u64).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }
    out.clear();
    out.extend_from_slice(&e.event_id.to_le_bytes());
    put(out, e.provider.name.as_deref().map(str::as_bytes));
    put(out, e.provider.event_source_name.as_deref().map(str::as_bytes));
    put(out, e.provider.guid.as_ref().map(|g| g.0.as_slice()));
    put(out, e.computer.as_deref().map(str::as_bytes));
    out.extend_from_slice(&(e.data.len() as u64).to_le_bytes());
    for d in &e.data {
        put(out, d.name.as_deref().map(str::as_bytes));
        put(out, Some(d.value.as_bytes()));
    }
    put(out, e.binary.as_deref());
}

impl RuleReviewer<'_> {
    /// Whether this event's service-name pair is new in this chunk (and notes it).
    fn new_pair(&mut self, e: &Event) -> bool {
        let Some((display, key)) = learn_source(e) else { return false };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        display.hash(&mut h);
        key.hash(&mut h);
        let bucket = self.pairs.entry(h.finish()).or_default();
        if bucket.iter().any(|(d, k)| d == display && k == key) {
            return false;
        }
        bucket.push((display.to_string(), key.to_vec()));
        true
    }
}

impl Reviewer for RuleReviewer<'_> {
    fn review(&mut self, e: &Event, partial: bool) -> Verdict {
        let matches = if self.filter.matchers.reads_message(e) {
            if partial {
                // A message matcher wants it after all (by its event source
                // name): too little is decoded to judge; the engine will.
                return Verdict::Complete;
            }
            self.filter.matchers.matches_event(e)
        } else {
            content_key(e, &mut self.content);
            match self.matched.get(self.content.as_slice()) {
                Some(m) => *m,
                None => {
                    let m = self.filter.matchers.matches_event(e);
                    self.matched.insert(self.content.clone(), m);
                    m
                }
            }
        };
        if matches {
            return Verdict::Complete;
        }
        let mut tells = false;
        if let Some(c) = e.computer.as_deref().filter(|c| !c.trim().is_empty()) {
            if c != self.computer {
                self.computer.clear();
                self.computer.push_str(c);
                tells = true;
            }
        }
        if is_scm(e) && self.new_pair(e) {
            tells = true;
        }
        if tells {
            Verdict::Deliver
        } else {
            Verdict::Drop
        }
    }
}
