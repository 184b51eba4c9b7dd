//! Findings: what a rule concluded, how sure it is, and the evidence.
//!
//! A finding names a known cause (with KB articles), says what to do, and
//! points at every record it rests on. Evidence is a reference (source,
//! locator, time) plus the rendered message, never a copy of the record, so
//! that a report stays small whatever the size of the input.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use evtriage_core::Origin;
use serde::{Deserialize, Serialize};

use crate::spec::SourceSpec;
pub use crate::spec::{normalize_kb, Confidence, Kind};

/// The part a piece of evidence plays in a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The record that started the finding.
    Anchor,
    /// A record that a `require` or `corroborate` check found.
    Corroboration,
    /// Context (the boot session start, a registry value shown for information).
    Context,
}

/// One piece of evidence: where it is, when it happened, what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The input path (`archive.zip!inner/path` for zip members).
    pub source: String,
    /// The place inside the input (`record 1234 (chunk 0)`, `line 17`).
    pub locator: String,
    /// When it happened, in UTC; `null` for snapshot rows (netstat, registry) that carry no time.
    pub time: Option<DateTime<Utc>>,
    /// The rendered message or a one-line description of the row.
    pub summary: String,
    /// The part it plays.
    pub role: Role,
    /// For an event: where its message in `summary` came from (`input`,
    /// `twin`, `mta`, `table` or `raw`, as in `evtriage dump`); absent for
    /// snapshot rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_source: Option<evtriage_core::MessageSource>,
    /// The origin, for sorting and de-duplication.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl Evidence {
    /// Evidence for a record at `origin`.
    pub fn new(origin: &Origin, time: Option<DateTime<Utc>>, summary: String, role: Role) -> Self {
        Evidence {
            source: origin.source.to_string(),
            locator: origin.locator.to_string(),
            time,
            summary,
            role,
            message_source: None,
            origin: Some(origin.clone()),
        }
    }

    fn order_key(&self) -> (Option<DateTime<Utc>>, &str, Option<&evtriage_core::Locator>) {
        (self.time, self.source.as_str(), self.origin.as_ref().map(|o| &o.locator))
    }

    /// Whether two pieces of evidence are the same record.
    pub fn same_record(&self, other: &Evidence) -> bool {
        match (&self.origin, &other.origin) {
            // `a == b`, the cheap part first: supersession compares many pairs
            // whose paths are equal (one log), so the locator decides.
            (Some(a), Some(b)) => {
                a.locator == b.locator && (std::sync::Arc::ptr_eq(&a.source, &b.source) || a.source == b.source)
            }
            _ => self.source == other.source && self.locator == other.locator,
        }
    }
}

/// Evidence order: timed evidence by time, then untimed (snapshots); ties by source and place.
pub fn evidence_order(a: &Evidence, b: &Evidence) -> Ordering {
    let (ta, sa, la) = a.order_key();
    let (tb, sb, lb) = b.order_key();
    match (ta, tb) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| sa.cmp(sb))
    .then_with(|| la.cmp(&lb))
}

/// A known cause, named by a rule, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id.
    pub rule: String,
    /// The rule's one-line title.
    pub title: String,
    /// A fault, or by-design behaviour shown for information ([`Kind`]).
    #[serde(default)]
    pub kind: Kind,
    /// KB articles (`KB<number>`).
    pub kb: Vec<String>,
    /// How sure the finding is.
    pub confidence: Confidence,
    /// The computer the evidence is from (`System/Computer`), or `(unknown)`.
    pub computer: String,
    /// The service the finding is about (key name), when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The cause, in a sentence or two.
    pub cause: String,
    /// What to do, step by step.
    pub remediation: Vec<String>,
    /// The evidence, anchors first in time order.
    pub evidence: Vec<Evidence>,
    /// Start of the boot session the anchor belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot: Option<DateTime<Utc>>,
    /// How many anchor events the finding merges (each occurrence of the pattern).
    pub occurrences: usize,
    /// Anchor evidence left out to keep the report readable (the first
    /// [`MAX_ANCHORS`] occurrences are listed).
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted: usize,
    /// The articles the rule rests on (see [`SourceSpec`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceSpec>,
    /// A generic finding (no specific known cause matched): one per computer,
    /// listing the services in `items`, ranked below every specific finding.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
    /// (Generic findings) each service with what happened to it and how often.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<FindingItem>,
}

/// One line of a generic finding: a service, what happened, how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingItem {
    /// The service (key name), when the occurrence names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Its display name, when known and different from the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// What happened (the error, in words).
    pub detail: String,
    /// How many times.
    pub count: usize,
    /// When it happened first and last (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<DateTime<Utc>>,
    /// The last time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<DateTime<Utc>>,
}

impl FindingItem {
    /// Adds `other`'s occurrences to this one (same service and detail).
    pub fn absorb(&mut self, other: &FindingItem) {
        self.count += other.count;
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if self.display.is_none() {
            self.display = other.display.clone();
        }
    }

    /// The service as shown: `Display name (key)`, or whichever is known.
    pub fn service_label(&self) -> String {
        match (&self.service, &self.display) {
            (Some(k), Some(d)) if !d.eq_ignore_ascii_case(k) => format!("{d} ({k})"),
            (Some(k), _) => k.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => "(no service named)".to_string(),
        }
    }
}

/// Adds `more` items to `items`, merging those of the same service and detail.
pub fn merge_items(items: &mut Vec<FindingItem>, more: &[FindingItem]) {
    for m in more {
        let same = |i: &&mut FindingItem| {
            i.detail == m.detail
                && i.service.as_deref().map(str::to_lowercase) == m.service.as_deref().map(str::to_lowercase)
        };
        match items.iter_mut().find(same) {
            Some(i) => i.absorb(m),
            None => items.push(m.clone()),
        }
    }
    items.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| a.first.cmp(&b.first)).then_with(|| a.service.cmp(&b.service))
    });
}

/// At most this many anchors are listed as evidence of one finding.
pub const MAX_ANCHORS: usize = 50;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Finding {
    /// Counts the anchors and keeps the first [`MAX_ANCHORS`] of them (in
    /// evidence order) with all the other evidence.
    pub fn limit_anchors(&mut self) {
        let total = self.evidence.iter().filter(|e| e.role == Role::Anchor).count();
        self.occurrences = total + self.omitted;
        if total <= MAX_ANCHORS {
            return;
        }
        let mut kept = 0;
        self.evidence.retain(|e| {
            if e.role != Role::Anchor {
                return true;
            }
            kept += 1;
            kept <= MAX_ANCHORS
        });
        self.omitted += total - MAX_ANCHORS;
    }

    /// The time of the earliest anchor evidence, if any.
    pub fn first_time(&self) -> Option<DateTime<Utc>> {
        self.evidence.iter().filter(|e| e.role == Role::Anchor).filter_map(|e| e.time).min()
    }

    /// Adds evidence not already present, keeping evidence order.
    ///
    /// On long lists records are found through an index by source and place, so merging
    /// the findings of a large log costs time in proportion to its evidence,
    /// not to its square.
    pub fn add_evidence(&mut self, more: impl IntoIterator<Item = Evidence>) {
        let more: Vec<Evidence> = more.into_iter().collect();
        let mut index = (self.evidence.len() + more.len() > 16).then(|| RecordIndex::new(&self.evidence));
        self.merge_evidence(more, index.as_mut());
        self.evidence.sort_by(evidence_order);
    }

    /// [`Finding::add_evidence`] with an index of the evidence kept by the
    /// caller (and kept up to date here), without the sort: what is new is
    /// appended, so the index stays valid; the caller sorts when done.
    pub(crate) fn append_evidence(&mut self, more: Vec<Evidence>, index: &mut RecordIndex) {
        self.merge_evidence(more, Some(index));
    }

    /// Adds `more` (records already present only strengthen their role),
    /// appending, and notes what is new in `index`.
    fn merge_evidence(&mut self, more: Vec<Evidence>, mut index: Option<&mut RecordIndex>) {
        for e in more {
            let found = match &index {
                Some(ix) => ix.find(&self.evidence, &e),
                None => self.evidence.iter().position(|x| x.same_record(&e)),
            };
            match found.and_then(|i| self.evidence.get_mut(i)) {
                // Keep the strongest role (anchor before corroboration before context).
                Some(existing) => {
                    if e.role < existing.role {
                        existing.role = e.role;
                    }
                }
                None => {
                    if let Some(ix) = index.as_deref_mut() {
                        ix.insert(&e, self.evidence.len());
                    }
                    self.evidence.push(e);
                }
            }
        }
    }
}

/// A look-up of a list of evidence by record: a hash of each piece's source
/// and place, confirmed with [`Evidence::same_record`]. Positions with one
/// hash are chained in ascending order, so [`RecordIndex::find`] returns what
/// a search from the start of the list would.
#[derive(Debug)]
pub(crate) struct RecordIndex {
    /// Keyed hashing of the places (they come from the input).
    state: ahash::RandomState,
    /// The first position of each hash.
    head: std::collections::HashMap<u64, usize, BuildFnv>,
    /// The last position of each hash (where the next one is chained).
    tail: std::collections::HashMap<u64, usize, BuildFnv>,
    /// For each position, the next one with the same hash (`usize::MAX`: none).
    next: Vec<usize>,
}

impl RecordIndex {
    /// An index of `list`.
    pub(crate) fn new(list: &[Evidence]) -> Self {
        let n = list.len();
        let mut ix = RecordIndex {
            state: Default::default(),
            head: std::collections::HashMap::with_capacity_and_hasher(n, BuildFnv),
            tail: std::collections::HashMap::with_capacity_and_hasher(n, BuildFnv),
            next: Vec::with_capacity(n),
        };
        for (i, e) in list.iter().enumerate() {
            ix.insert(e, i);
        }
        ix
    }

    fn key(&self, e: &Evidence) -> u64 {
        // The place and the source's length: the same record gives the same
        // key, and the (long, usually equal) path is compared only by
        // `same_record`.
        use std::hash::{BuildHasher, Hasher};
        let mut h = self.state.build_hasher();
        h.write(e.locator.as_bytes());
        h.write_usize(e.source.len());
        h.finish()
    }

    /// Notes that `e` is at `position` of the list (positions come in ascending order).
    pub(crate) fn insert(&mut self, e: &Evidence, position: usize) {
        if self.next.len() <= position {
            self.next.resize(position + 1, usize::MAX);
        }
        let k = self.key(e);
        match self.tail.insert(k, position) {
            Some(last) => {
                if let Some(slot) = self.next.get_mut(last) {
                    *slot = position;
                }
            }
            None => {
                self.head.insert(k, position);
            }
        }
    }

    /// The first position of `list` (the indexed list) holding the same record as `e`.
    pub(crate) fn find(&self, list: &[Evidence], e: &Evidence) -> Option<usize> {
        let mut at = *self.head.get(&self.key(e))?;
        loop {
            if list.get(at).is_some_and(|x| x.same_record(e)) {
                return Some(at);
            }
            at = *self.next.get(at)?;
            if at == usize::MAX {
                return None;
            }
        }
    }
}

/// FNV-1a, for keys that are already keyed hashes (a map from such a hash
/// need not hash it again with SipHash).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Builds [`Fnv`] hashers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BuildFnv;

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv::default()
    }
}
