//! Choosing events before they are decoded: an [`EventFilter`] sees each
//! event's cheap [`EventKey`] and answers with a [`Selection`]; events sent to
//! review are decoded and judged by a [`Reviewer`] per unit of work.

use crate::model::Guid;

/// The cheap identity of an event, known before the rest of it is decoded.
#[derive(Debug, Clone, Copy)]
pub struct EventKey<'a> {
    /// Provider name, when known.
    pub provider: Option<&'a str>,
    /// Provider GUID, when known.
    pub guid: Option<&'a Guid>,
    /// Event id.
    pub event_id: u32,
}

/// Chooses which events a [`Reader`](crate::Reader) decodes and delivers. It runs on the
/// reader's worker threads, so what it passes over costs the calling thread
/// nothing.
///
/// Two stages, cheapest first:
///
/// 1. [`EventFilter::select`] sees each event's [`EventKey`] (provider and
///    event id, known before the rest of the record is decoded) and answers
///    with a [`Selection`]: pass over it, deliver it, or decode it and let a
///    [`Reviewer`] decide.
/// 2. [`EventFilter::reviewer`] gives a reviewer for one unit of work (one
///    evtx chunk, one text file); it sees that unit's selected events in input
///    order and may pass over them after all ([`Verdict`]). Because a reviewer
///    lives for one unit on one thread, it may keep state (say, what it has
///    already let through in this chunk) and the result still does not depend
///    on the number of threads.
///
/// Any `Fn(&EventKey<'_>) -> bool` closure is an `EventFilter` that delivers
/// what it returns `true` for:
///
/// ```
/// use std::sync::Arc;
/// use evtriage_core::{EventFilter, EventKey, ReadOptions};
///
/// let filter: Arc<dyn EventFilter> = Arc::new(|k: &EventKey<'_>| k.event_id == 7023);
/// let options = ReadOptions::new().event_filter(filter);
/// assert!(options.wants(&EventKey { provider: None, guid: None, event_id: 7023 }));
/// ```
///
/// Events a filter passes over are counted in [`InputSummary::filtered`](crate::InputSummary::filtered).
pub trait EventFilter: Send + Sync {
    /// What to do with an event, from its cheap key.
    fn select(&self, key: &EventKey<'_>) -> Selection;

    #[doc(hidden)]
    /// A reviewer for one unit of work, asked about every event
    /// [`EventFilter::select`] sent to review. The default lets every one
    /// through (and completes partial ones).
    fn reviewer(&self) -> Box<dyn Reviewer + '_> {
        Box::new(PassAll)
    }

    #[doc(hidden)]
    /// [`EventFilter::reviewer`] for a unit that knows its place: units are
    /// numbered in the order they are delivered (numbers ascend, and are
    /// unique in the process), so a filter may pass over what an earlier
    /// unit already delivered to the same sink (units run in parallel, but
    /// an earlier unit's events always reach the sink first). Units read one
    /// after another inside another unit (members of a zip archive) have no
    /// number.
    fn reviewer_at(&self, unit: Option<u64>) -> Box<dyn Reviewer + '_> {
        let _ = unit;
        self.reviewer()
    }
}

impl<F> EventFilter for F
where
    F: Fn(&EventKey<'_>) -> bool + Send + Sync,
{
    fn select(&self, key: &EventKey<'_>) -> Selection {
        if self(key) {
            Selection::Deliver
        } else {
            Selection::Skip
        }
    }
}

/// What an [`EventFilter`] wants done with an event, decided from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Pass over it: not decoded further, counted as filtered.
    Skip,
    /// Decode it whole and deliver it.
    Deliver,
    /// Decode it whole, then ask the unit's [`Reviewer`].
    #[doc(hidden)]
    Review,
    /// Decode only what a reviewer usually needs, then ask the unit's
    /// [`Reviewer`]: the provider (name, GUID, event source name), event id,
    /// record id, time, computer, the data items and `Binary`. The other
    /// `System` fields (channel, level, task, opcode, keywords, version,
    /// qualifiers, user SID, activity, process and thread ids) are decoded
    /// only if the reviewer answers [`Verdict::Complete`]. Sources that build
    /// whole events anyway (XML, ETW, ETL) treat this as [`Selection::Review`].
    #[doc(hidden)]
    ReviewPartial,
}

/// A [`Reviewer`]'s answer about one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass over it (counted as filtered).
    Drop,
    /// Deliver it as decoded so far (for [`Selection::ReviewPartial`], with
    /// only the fields listed there).
    Deliver,
    /// Decode the rest of it (if anything is left) and deliver it.
    Complete,
    /// Pass over it as a repeat of what an earlier unit delivered (see
    /// [`EventFilter::reviewer_at`]). Counted as read but not as filtered:
    /// how many repeats a run finds depends on which thread got where first,
    /// and the summary must not.
    Repeat,
}

/// Reviews the selected events of one unit of work; see [`EventFilter`].
pub trait Reviewer {
    /// The verdict on `event`; `partial` when only part of it is decoded
    /// (see [`Selection::ReviewPartial`]).
    fn review(&mut self, event: &crate::model::Event, partial: bool) -> Verdict;

    /// [`Reviewer::review`] for an event that comes with its [`ContentId`]:
    /// events given the same id have the same content, so a reviewer may
    /// remember what it concluded from one for the next (any unit, any
    /// thread). The default ignores the id.
    fn review_content(&mut self, event: &crate::model::Event, partial: bool, content: ContentId) -> Verdict {
        let _ = content;
        self.review(event, partial)
    }
}

/// A name for an event's *content*: everything but its time, record id and
/// origin. Two events a reader gives the same id (in one process) are equal
/// in every other field; events of equal content need not get the same id.
///
/// A log repeats the same few events over and over ("the WinHTTP service
/// entered the stopped state"); the evtx reader notices a record whose
/// content it has decoded before without decoding it again, and says so
/// with this id (see [`Reviewer::review_content`]), so that a reviewer can
/// skip what it already worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(u64);

impl ContentId {
    /// A new id, unique in the process.
    pub(crate) fn fresh() -> ContentId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        ContentId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// The id as a number (unique in the process).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The default reviewer: every event, completed.
struct PassAll;

impl Reviewer for PassAll {
    fn review(&mut self, _event: &crate::model::Event, _partial: bool) -> Verdict {
        Verdict::Complete
    }
}
