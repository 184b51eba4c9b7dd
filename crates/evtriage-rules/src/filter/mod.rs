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
//!
//! A filter made by [`crate::Engine::event_filter`] also passes over repeats:
//! the engine keeps one event per identity (computer, provider, event id,
//! record id, time: the same log given twice, as `.evtx` and as an XML
//! export), the first delivered. So a matched event whose identity a unit
//! delivered *earlier in delivery order* has already been claimed (see
//! [`evtriage_core::EventFilter::reviewer_at`]) and is passed over here
//! (unless it teaches something, as above). A unit that finds an identity
//! claimed only by a later unit (which ran first) delivers it anyway and
//! lowers the claim; the engine then drops the later copy, as it always did.
//! Service name pairs and computer names are claimed the same way: the
//! engine takes each exact pair or name once (learning it again changes
//! nothing), so a unit need not tell what an earlier unit told. What claims
//! pass over is answered [`Verdict::Repeat`], not counted as filtered: how
//! many repeats a run finds depends on which worker got where first, and the
//! input summaries in a report must not. Claims are only a saving, never
//! needed for the right answer, so each kind holds at most 65 536 and is
//! forgotten when full: a log of unique candidates does not grow them.
//!
//! Matching itself runs on a copy of the matchers per worker (a `Regex`
//! shared by threads hands out its scratch space under a mutex, which two
//! busy workers contended for), with a memo of its answers keyed by
//! everything a matcher without a message regex can look at; no event that
//! could match a message regex is answered from the memo or judged from a
//! partial decode.
//!
//! Most reviewed events come with a [`ContentId`]: the evtx reader noticed
//! that it had decoded the same content before (see
//! [`Reviewer::review_content`]). The memo then answers by that id without
//! building a key, and remembers the service-name pair the content teaches
//! (pairs are numbered once, in a table all reviewers share, so that telling
//! and claiming a pair is an integer operation).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use evtriage_core::{ContentId, Event, EventFilter, EventKey, Guid, Reviewer, Selection, Verdict};

use crate::identity::Identity;
use crate::rule::RuleSet;
use crate::services::{is_scm, learn_source};

mod index;

pub(crate) use index::MatcherIndex;

/// Service Control Manager's provider GUID.
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
/// The SCM events the engine reads for service names even when no rule wants them.
const SCM_LEARN_IDS: [u32; 2] = [7036, 7040];

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct RuleFilter {
    matchers: MatcherIndex,
    /// Copies of `matchers` for reviewers to borrow, one per thread at work.
    /// A `Regex` shared by threads hands out its search scratch space under
    /// a mutex, which two workers matching short fields contended for (the
    /// run went serial); a clone has its own.
    spare: std::sync::Mutex<Vec<MatcherCopy>>,
    scm_guid: Option<Guid>,
    /// Identities delivered whole, for a filter made for one engine.
    claims: Option<Claims>,
    /// Every service-name pair (display name, key) met, numbered, shared by
    /// the reviewers (each keeps its own copy of what it looked up here):
    /// a pair is then told or claimed by number.
    pair_numbers: Mutex<HashMap<Vec<u8>, u32, ahash::RandomState>>,
}

/// What a reviewer borrows from its filter for one unit and gives back: a
/// copy of the matchers, and what they answered so far.
#[derive(Debug)]
struct MatcherCopy {
    matchers: MatcherIndex,
    /// Whether some matcher matches, by everything a matcher can look at
    /// (see [`content_key`]): most events repeat one of a few service state
    /// changes, and each is matched once. A pure cache, so it may be reused
    /// by any unit; cleared when it grows past [`MEMO_LIMIT`].
    matched: HashMap<Vec<u8>, bool, ahash::RandomState>,
    /// The same by [`ContentId`] (the reader's name for a content it has
    /// seen before), which costs no key: what some matcher answers, or
    /// `None` when a message matcher wants the event whole first.
    by_content: HashMap<ContentId, Option<bool>, crate::finding::BuildFnv>,
    /// The service-name pair number an event of each content teaches (see
    /// [`RuleReviewer::pair_number`]).
    pair_of: HashMap<ContentId, Option<u32>, crate::finding::BuildFnv>,
    /// The filter's pair numbers this copy has looked up, by [`pair_bytes`].
    pair_numbers: HashMap<Vec<u8>, u32, ahash::RandomState>,
}

/// Entries of [`MatcherCopy::matched`] before it is cleared (memory stays flat).
const MEMO_LIMIT: usize = 65_536;

/// What units of work delivered, each with the earliest unit that did; see
/// the [module docs](self). Each is something the engine takes only once:
/// an event identity (it keeps the first event of each), an exact service
/// name pair and an exact computer name (learning them again changes nothing).
#[derive(Debug, Default)]
struct Claims {
    events: Mutex<HashMap<Identity, u64, ahash::RandomState>>,
    /// By the pair's number (see [`RuleFilter::pair_numbers`]).
    pairs: Mutex<HashMap<u32, u64, ahash::RandomState>>,
    computers: Mutex<HashMap<String, u64, ahash::RandomState>>,
}

/// Claims of one kind held before they are forgotten (memory stays flat).
/// Forgetting is safe: a claim only spares the engine a repeat it would drop
/// (or a pair or name it would learn again) anyway.
const CLAIMS_LIMIT: usize = 65_536;

/// Whether a unit before `unit` delivered `key`; if not, `unit` claims it
/// (lowering a later unit's claim).
fn claimed_before<K: Hash + Eq>(map: &Mutex<HashMap<K, u64, ahash::RandomState>>, key: K, unit: u64) -> bool {
    let Ok(mut map) = map.lock() else { return false };
    if map.len() >= CLAIMS_LIMIT && !map.contains_key(&key) {
        map.clear();
    }
    match map.get_mut(&key) {
        Some(by) if *by < unit => true,
        Some(by) => {
            *by = unit;
            false
        }
        None => {
            map.insert(key, unit);
            false
        }
    }
}

impl RuleFilter {
    /// A filter whose reviewers also pass over repeats of what an earlier
    /// unit delivered whole (for reading into one engine).
    pub(crate) fn with_claims(matchers: MatcherIndex) -> Self {
        RuleFilter { claims: Some(Claims::default()), ..RuleFilter::new(matchers) }
    }

    pub(crate) fn new(matchers: MatcherIndex) -> Self {
        RuleFilter {
            matchers,
            spare: Default::default(),
            scm_guid: Guid::parse(SCM_GUID),
            claims: None,
            pair_numbers: Default::default(),
        }
    }

    fn is_scm_key(&self, key: &EventKey<'_>) -> bool {
        key.provider.is_some_and(|p| p.eq_ignore_ascii_case("Service Control Manager"))
            || (key.guid.is_some() && key.guid == self.scm_guid.as_ref())
    }
}

impl EventFilter for RuleFilter {
    fn select(&self, key: &EventKey<'_>) -> Selection {
        // Boot markers: always delivered.
        if evtriage_core::boot::is_boot_marker_key(key) {
            return Selection::Deliver;
        }
        let (wanted, message) = self.matchers.key_verdict(key);
        let learn = SCM_LEARN_IDS.contains(&key.event_id) && self.is_scm_key(key);
        if !(wanted || learn) {
            return Selection::Skip;
        }
        if message {
            Selection::Review
        } else {
            Selection::ReviewPartial
        }
    }

    fn reviewer(&self) -> Box<dyn Reviewer + '_> {
        self.reviewer_at(None)
    }

    fn reviewer_at(&self, unit: Option<u64>) -> Box<dyn Reviewer + '_> {
        let taken = self.spare.lock().ok().and_then(|mut s| s.pop());
        let copy = taken.unwrap_or_else(|| MatcherCopy {
            matchers: self.matchers.clone(),
            matched: HashMap::with_hasher(Default::default()),
            by_content: HashMap::default(),
            pair_of: HashMap::default(),
            pair_numbers: HashMap::default(),
        });
        Box::new(RuleReviewer {
            filter: self,
            unit,
            copy: Some(copy),
            pairs: Default::default(),
            computer: String::new(),
            content: Vec::new(),
        })
    }
}

impl RuleSet {
    /// The reader's event filter: only events some rule (or the engine's boot
    /// and service-identity tracking) can use are decoded and delivered, and
    /// the matching is done on the reader's worker threads.
    pub fn event_filter(&self) -> std::sync::Arc<dyn EventFilter> {
        std::sync::Arc::new(RuleFilter::new(MatcherIndex::new(self.rules())))
    }
}

/// The per-chunk reviewer; see the [module docs](self).
struct RuleReviewer<'f> {
    filter: &'f RuleFilter,
    /// This unit's place in delivery order, when it has one.
    unit: Option<u64>,
    /// What this reviewer borrowed (given back when it is dropped).
    copy: Option<MatcherCopy>,
    /// Service-name pairs already delivered in this chunk, by number.
    pairs: std::collections::HashSet<u32, crate::finding::BuildFnv>,
    /// The computer name of the previous event delivered or passed over.
    computer: String,
    /// Scratch space for [`content_key`] and [`pair_bytes`].
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

/// A service-name pair written out unambiguously (length before the display name).
fn pair_bytes(display: &str, key: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&(display.len() as u64).to_le_bytes());
    out.extend_from_slice(display.as_bytes());
    out.extend_from_slice(key);
}

impl RuleReviewer<'_> {
    /// The number of the service-name pair `e` teaches, if it teaches one
    /// (remembered by content when it has a [`ContentId`]).
    fn pair_number(&mut self, e: &Event, content: Option<ContentId>) -> Option<u32> {
        let copy = self.copy.as_mut()?;
        if let Some(p) = content.and_then(|id| copy.pair_of.get(&id)) {
            return *p;
        }
        let number = match learn_source(e).filter(|_| is_scm(e)) {
            None => None,
            Some((display, key)) => {
                pair_bytes(display, key, &mut self.content);
                match copy.pair_numbers.get(self.content.as_slice()) {
                    Some(n) => Some(*n),
                    None => {
                        let shared = self.filter.pair_numbers.lock().ok().map(|mut all| {
                            let next = all.len() as u32;
                            *all.entry(self.content.clone()).or_insert(next)
                        });
                        if let Some(n) = shared {
                            if copy.pair_numbers.len() >= MEMO_LIMIT {
                                copy.pair_numbers.clear();
                            }
                            copy.pair_numbers.insert(self.content.clone(), n);
                        }
                        shared
                    }
                }
            }
        };
        if let Some(id) = content {
            if copy.pair_of.len() >= MEMO_LIMIT {
                copy.pair_of.clear();
            }
            copy.pair_of.insert(id, number);
        }
        number
    }
}

impl RuleReviewer<'_> {
    /// Whether `e` tells the engine something: a computer name other than
    /// the previous event's, or a service name pair new in this chunk
    /// (`.0`); and whether that is also not claimed by an earlier unit
    /// (`.1`, the same as `.0` without claims). Notes (and claims) what it
    /// tells, as if `e` were delivered.
    fn tells(&mut self, e: &Event, content: Option<ContentId>) -> (bool, bool) {
        let claims = self.filter.claims.as_ref().zip(self.unit);
        let (mut local, mut global) = (false, false);
        if let Some(c) = e.computer.as_deref().filter(|c| !c.trim().is_empty()) {
            if c != self.computer {
                self.computer.clear();
                self.computer.push_str(c);
                local = true;
                global |= !claims.is_some_and(|(cl, unit)| claimed_before(&cl.computers, c.to_string(), unit));
            }
        }
        if let Some(pair) = self.pair_number(e, content) {
            if self.pairs.insert(pair) {
                local = true;
                global |= !claims.is_some_and(|(cl, unit)| claimed_before(&cl.pairs, pair, unit));
            }
        }
        (local, global)
    }
}

impl Drop for RuleReviewer<'_> {
    fn drop(&mut self) {
        if let (Some(m), Ok(mut spare)) = (self.copy.take(), self.filter.spare.lock()) {
            spare.push(m);
        }
    }
}

impl Reviewer for RuleReviewer<'_> {
    fn review(&mut self, e: &Event, partial: bool) -> Verdict {
        self.judge(e, partial, None)
    }

    fn review_content(&mut self, e: &Event, partial: bool, content: ContentId) -> Verdict {
        self.judge(e, partial, Some(content))
    }
}

impl RuleReviewer<'_> {
    /// Whether some matcher matches `e`; `None` when a message matcher
    /// wants it but too little of it is decoded to judge.
    fn matches(&mut self, e: &Event, partial: bool, content: Option<ContentId>) -> Option<bool> {
        let copy = self.copy.as_mut()?;
        if let Some(m) = content.and_then(|id| copy.by_content.get(&id)) {
            return *m;
        }
        let m = self.matches_afresh(e, partial);
        if let (Some(id), Some(copy)) = (content, self.copy.as_mut()) {
            if copy.by_content.len() >= MEMO_LIMIT {
                copy.by_content.clear();
            }
            copy.by_content.insert(id, m);
        }
        m
    }

    fn matches_afresh(&mut self, e: &Event, partial: bool) -> Option<bool> {
        let copy = self.copy.as_mut()?;
        let matchers = &copy.matchers;
        let matches = if matchers.reads_message(e) {
            if partial {
                // A message matcher wants it after all (by its event source
                // name): too little is decoded to judge; the engine will.
                return None;
            }
            matchers.matches_event(e)
        } else {
            content_key(e, &mut self.content);
            match copy.matched.get(self.content.as_slice()) {
                Some(m) => *m,
                None => {
                    let m = matchers.matches_event(e);
                    if copy.matched.len() >= MEMO_LIMIT {
                        copy.matched.clear();
                    }
                    copy.matched.insert(self.content.clone(), m);
                    m
                }
            }
        };
        Some(matches)
    }

    fn judge(&mut self, e: &Event, partial: bool, content: Option<ContentId>) -> Verdict {
        // Stale records carved from slack are never used by the rules (the
        // engine drops them), so they must not claim what a live record tells.
        if e.recovered {
            return Verdict::Drop;
        }
        if self.copy.is_none() {
            return Verdict::Complete;
        }
        let Some(matches) = self.matches(e, partial, content) else { return Verdict::Complete };
        // Without claims: complete what matches, deliver what tells something
        // new in this chunk, drop the rest. Claims only turn some of those
        // deliveries into repeats, which are not counted as filtered (how many
        // there are depends on which thread got where first).
        if matches {
            let repeat = match (&self.filter.claims, self.unit, Identity::of(e)) {
                (Some(claims), Some(unit), Some(id)) => claimed_before(&claims.events, id, unit),
                _ => false,
            };
            // What a delivered event teaches need not be told again.
            let (_, tells) = self.tells(e, content);
            return match (repeat, tells) {
                (false, _) => Verdict::Complete,
                (true, true) => Verdict::Deliver,
                (true, false) => Verdict::Repeat,
            };
        }
        match self.tells(e, content) {
            (false, _) => Verdict::Drop,
            (true, true) => Verdict::Deliver,
            (true, false) => Verdict::Repeat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_bounded_and_forgetting_one_only_delivers_again() {
        let map: Mutex<HashMap<u64, u64, ahash::RandomState>> = Mutex::default();
        // Unit 1 claims key 0; unit 2 finds it claimed before it.
        assert!(!claimed_before(&map, 0, 1));
        assert!(claimed_before(&map, 0, 2));
        // A unit numbered before the claim lowers it (and delivers).
        assert!(!claimed_before(&map, 0, 0));
        for k in 1..CLAIMS_LIMIT as u64 {
            assert!(!claimed_before(&map, k, 3));
        }
        assert_eq!(map.lock().map(|m| m.len()).unwrap_or(0), CLAIMS_LIMIT);
        // A known key is answered without forgetting anything.
        assert!(claimed_before(&map, 5, 4));
        assert_eq!(map.lock().map(|m| m.len()).unwrap_or(0), CLAIMS_LIMIT);
        // A new key past the bound: everything is forgotten first.
        assert!(!claimed_before(&map, u64::MAX, 4));
        assert_eq!(map.lock().map(|m| m.len()).unwrap_or(0), 1);
        // Key 0 is no longer claimed: a later unit delivers it again (the
        // engine drops the repeat, as it would have without claims).
        assert!(!claimed_before(&map, 0, 9));
    }
}
