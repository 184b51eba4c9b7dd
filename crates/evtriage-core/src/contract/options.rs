//! How to read ([`ReadOptions`]), and how `dump` asks for JSON lines
//! ([`JsonLines`]).

use std::sync::Arc;

use super::filter::{ContentId, EventFilter, EventKey, Reviewer, Selection, Verdict};

/// How [`Reader::read_paths_lines`](crate::Reader::read_paths_lines) writes records as JSON lines.
#[derive(Clone, Default)]
pub struct JsonLines {
    /// Whether an event's line ends with a `"rendered"` key holding its
    /// message, as [`crate::message::render`] renders it.
    pub rendered: bool,
    /// Which events are written, asked with each event's time, level and
    /// channel (the others are counted in [`InputSummary::filtered`](crate::InputSummary::filtered));
    /// `None` writes them all. Records other than events are always written.
    pub keep: Option<KeepLine>,
}

/// A [`JsonLines::keep`] predicate.
pub type KeepLine = Arc<dyn Fn(&LineFacts<'_>) -> bool + Send + Sync>;

impl JsonLines {
    /// Whether [`JsonLines::keep`] keeps an event with these facts.
    pub fn keeps(&self, facts: &LineFacts<'_>) -> bool {
        self.keep.as_ref().is_none_or(|k| k(facts))
    }
}

impl std::fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").field("rendered", &self.rendered).field("keep", &self.keep.is_some()).finish()
    }
}

/// What [`JsonLines::keep`] is told about an event.
#[derive(Debug, Clone, Copy)]
pub struct LineFacts<'a> {
    /// The event's time.
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// Its level.
    pub level: Option<u8>,
    /// Its channel.
    pub channel: Option<&'a str>,
}

impl<'a> LineFacts<'a> {
    /// The facts of `event`.
    pub fn of(event: &'a crate::model::Event) -> Self {
        LineFacts { time: event.time, level: event.level, channel: event.channel.as_deref() }
    }
}

/// How to read, built as `ReadOptions::new().threads(2)…`.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Worker threads; 0 = one per core.
    pub(crate) threads: usize,
    /// Which events are decoded and delivered (snapshots are always
    /// delivered); `None` delivers every event.
    pub(crate) event_filter: Option<Arc<dyn EventFilter>>,
    /// Also deliver stale records carved from `.evtx` slack space (marked
    /// [`crate::Event::recovered`]), as `evtx_dump --recover-records` does.
    /// Off by default: they are older copies Windows released, possibly of
    /// another log or computer, and are only counted
    /// ([`InputSummary::stale`](crate::InputSummary::stale)).
    pub(crate) recovered: bool,
    /// The language of display information to prefer (an LCID).
    pub(crate) locale: Option<u32>,
    /// The zone of the local times text exports write without an offset
    /// (`None`: UTC, as the default).
    pub(crate) source_tz: Option<crate::zone::SourceTz>,
    /// Follow symbolic links whose target lies outside the paths given
    /// (see [`crate::walk`]).
    pub(crate) follow_symlinks: bool,
    /// Where `source_tz` came from when the user did not give it: the
    /// `systeminfo` of the export's folder (see `Reader::folder_zones`).
    pub(crate) source_tz_from: Option<Arc<str>>,
    /// Read inputs of the formats read in pieces in pieces of about this
    /// many bytes, whatever their size (tests; `None`: only large ones, in
    /// pieces of the usual size).
    pub(crate) piece: Option<usize>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
            .field("recovered", &self.recovered)
            .field("event_filter", &self.event_filter.is_some())
            .field("locale", &self.locale)
            .field("source_tz", &self.source_tz.as_ref().map(|z| z.name()))
            .finish()
    }
}

impl ReadOptions {
    /// Options with every default: one worker thread per core, every event
    /// decoded and delivered, stale records only counted.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evtriage_core::{EventKey, ReadOptions};
    ///
    /// let options = ReadOptions::new().threads(2).recovered(true).event_filter(Arc::new(|k: &EventKey<'_>| k.event_id == 7023));
    /// assert!(options.wants(&EventKey { provider: None, guid: None, event_id: 7023 }));
    /// assert!(!options.wants(&EventKey { provider: None, guid: None, event_id: 7024 }));
    /// assert_eq!(format!("{options:?}"), "ReadOptions { threads: 2, recovered: true, event_filter: true, locale: None, source_tz: None }");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of worker threads; 0 (the default) is one per core.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets which events are decoded and delivered (see [`EventFilter`]);
    /// snapshots (sockets, processes, registry values) are always delivered.
    /// Without a filter every event is.
    pub fn event_filter(mut self, filter: Arc<dyn EventFilter>) -> Self {
        self.event_filter = Some(filter);
        self
    }

    /// The language to use when a log's display information (LocaleMetaData,
    /// see [`crate::locale`]) exists in several: an LCID (1031 for de-DE;
    /// [`crate::locale::parse_locale`] reads names). Without it, or when the
    /// log lacks that language: en-US, else the lowest LCID.
    pub fn locale(mut self, lcid: u32) -> Self {
        self.locale = Some(lcid);
        self
    }

    /// The time zone of the exporting machine, for exports that write local
    /// times without saying their zone (Event Viewer's CSV and text,
    /// `wevtutil qe /f:text`, `Get-WinEvent` output; see [`crate::zone`]).
    /// Without it those times are taken as UTC; either way each such input
    /// gets a note saying which zone was used.
    pub fn source_tz(mut self, zone: crate::zone::SourceTz) -> Self {
        self.source_tz = Some(zone);
        self
    }

    /// Follows symbolic links inside the folders given whose target lies
    /// outside every path given (by default they are reported and not
    /// followed: the case folder is the boundary; see [`crate::walk`]).
    pub fn follow_symlinks(mut self, follow: bool) -> Self {
        self.follow_symlinks = follow;
        self
    }

    /// The zone given with [`ReadOptions::source_tz`], if any.
    pub fn source_tz_given(&self) -> Option<&crate::zone::SourceTz> {
        self.source_tz.as_ref()
    }

    /// Also delivers stale records carved from `.evtx` slack space (marked
    /// [`crate::Event::recovered`]), as `evtx_dump --recover-records` does.
    /// Off by default: they are older copies Windows released, possibly of
    /// another log or computer, and are only counted
    /// ([`InputSummary::stale`](crate::InputSummary::stale)).
    pub fn recovered(mut self, recovered: bool) -> Self {
        self.recovered = recovered;
        self
    }

    #[doc(hidden)]
    /// Reads every input of a format read in pieces (large XML exports,
    /// ETW text traces, Event Viewer's and PowerShell's text exports) in
    /// pieces of about `bytes` bytes, whatever its size: for tests that
    /// compare a small file read in pieces with the same read whole.
    pub fn piece_size(mut self, bytes: usize) -> Self {
        self.piece = Some(bytes.max(1));
        self
    }

    /// Whether an event with this key is decoded at all (delivered, or sent to review).
    pub fn wants(&self, key: &EventKey<'_>) -> bool {
        self.select(key) != Selection::Skip
    }

    #[doc(hidden)]
    /// What the filter wants done with an event with this key ([`Selection::Deliver`] without a filter).
    pub fn select(&self, key: &EventKey<'_>) -> Selection {
        self.event_filter.as_ref().map_or(Selection::Deliver, |f| f.select(key))
    }

    #[doc(hidden)]
    /// A reviewer for one unit of work; `None` when there is no filter.
    pub fn reviewer(&self) -> Option<Box<dyn Reviewer + '_>> {
        self.reviewer_at(None)
    }

    #[doc(hidden)]
    /// A reviewer for the unit numbered `unit` (see [`EventFilter::reviewer_at`]).
    pub fn reviewer_at(&self, unit: Option<u64>) -> Option<Box<dyn Reviewer + '_>> {
        self.event_filter.as_ref().map(|f| f.reviewer_at(unit))
    }

    /// Asks the unit's reviewer about `event` (with its [`ContentId`] when
    /// the reader knows one), making the reviewer (kept in `slot` for the
    /// unit's next events) on first use; [`Verdict::Complete`] without a
    /// filter.
    pub(crate) fn review<'o>(
        &'o self,
        unit: Option<u64>,
        slot: &mut Option<Box<dyn Reviewer + 'o>>,
        event: &crate::model::Event,
        partial: bool,
        content: Option<ContentId>,
    ) -> Verdict {
        if slot.is_none() {
            *slot = self.reviewer_at(unit);
        }
        match (slot.as_mut(), content) {
            (None, _) => Verdict::Complete,
            (Some(r), None) => r.review(event, partial),
            (Some(r), Some(id)) => r.review_content(event, partial, id),
        }
    }
}

/// Applies a selection and a reviewer to an event that was built whole:
/// [`Verdict::Drop`] (filtered), [`Verdict::Repeat`] or [`Verdict::Deliver`].
pub(crate) fn keep_whole<'o>(
    options: &'o ReadOptions,
    unit: Option<u64>,
    selection: Selection,
    reviewer: &mut Option<Box<dyn Reviewer + 'o>>,
    event: &crate::model::Event,
) -> Verdict {
    let verdict = match selection {
        Selection::Skip => Verdict::Drop,
        Selection::Deliver => Verdict::Deliver,
        Selection::Review | Selection::ReviewPartial => options.review(unit, reviewer, event, false, None),
    };
    if verdict == Verdict::Complete {
        Verdict::Deliver
    } else {
        verdict
    }
}
