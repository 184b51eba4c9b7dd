//! The minutes around a finding ([`Surroundings`]): a small timeline for
//! the HTML and Markdown reports (`analyze --context MINUTES`).
//!
//! A finding lists its evidence, but a support engineer also wants to see
//! what else happened just before and after the anchor (the service that
//! started a second earlier, the DNS warning in between). The rules engine
//! reads with an event filter and keeps only what rules use, so the context
//! is gathered by a **second, separate read** of the same inputs once the
//! findings (and so the anchor times) are known.
//!
//! Memory is bounded: each finding keeps at most
//! [`SurroundingsOptions::max_rows`] events (the ones nearest its anchor; while
//! reading, at most twice that), whatever the size of the input. The cost is
//! time: a second full read of the inputs, done only when a report format
//! that shows the surroundings asks for it.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use evtriage_core::display::one_line;
use evtriage_core::{Diagnostic, Event, Reader, Record, Sink};
use evtriage_rules::engine::UNKNOWN_COMPUTER;
use evtriage_rules::Report;

/// How much of the surroundings to gather.
#[derive(Debug, Clone, PartialEq)]
pub struct SurroundingsOptions {
    /// Minutes either side of a finding's first anchor.
    pub minutes: u32,
    /// At most this many events per finding (those nearest the anchor).
    pub max_rows: usize,
    /// Also show stale records carved from `.evtx` slack space (marked as
    /// such; `analyze --recovered`). The findings never rest on them.
    pub recovered: bool,
    /// The language of display information to prefer (`--locale`).
    pub locale: Option<u32>,
    /// The zone of exports that write local times without one (`--source-tz`).
    pub source_tz: Option<evtriage_core::SourceTz>,
    /// Follow links that leave the paths given (`--follow-symlinks`).
    pub follow_symlinks: bool,
}

impl Default for SurroundingsOptions {
    fn default() -> Self {
        SurroundingsOptions {
            minutes: 5,
            max_rows: 30,
            recovered: false,
            locale: None,
            source_tz: None,
            follow_symlinks: false,
        }
    }
}

/// One event near a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearbyEvent {
    /// When (UTC).
    pub time: DateTime<Utc>,
    /// `System/Level` (2 error, 3 warning, …).
    pub level: Option<u8>,
    /// Event id.
    pub event_id: u32,
    /// Provider name (or GUID).
    pub provider: String,
    /// The rendered message on one line, at most [`MAX_MESSAGE`] characters.
    pub message: String,
    /// The input it came from.
    pub source: String,
    /// The place in the input (`record 12 (chunk 0)`, `line 7`).
    pub locator: String,
    /// Whether this event is part of the finding's evidence.
    pub evidence: bool,
    /// A stale record carved from slack space, not a live record of the log.
    pub recovered: bool,
}

/// Messages of nearby events are cut to this many characters (and a `…`).
pub const MAX_MESSAGE: usize = 400;

/// The minutes around each finding of a report: one small timeline per finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Surroundings {
    /// Minutes either side of each finding's first anchor (the option used).
    pub minutes: u32,
    /// One timeline per finding, in the order of `report.findings`.
    pub per_finding: Vec<Vec<NearbyEvent>>,
}

impl Surroundings {
    /// The events around finding `index` (empty when it has none or no timed anchor).
    pub fn for_finding(&self, index: usize) -> &[NearbyEvent] {
        self.per_finding.get(index).map(Vec::as_slice).unwrap_or(&[])
    }
}

struct Window {
    anchor: DateTime<Utc>,
    computer: Option<String>,
    evidence: Vec<(String, String)>,
    rows: Vec<(u64, NearbyEvent)>,
}

struct SurroundingsSink {
    windows: Vec<Window>,
    width: Duration,
    max_rows: usize,
    seq: u64,
}

impl Window {
    fn wants(&self, e: &Event, t: DateTime<Utc>, width: Duration) -> bool {
        if (t - self.anchor).abs() > width {
            return false;
        }
        match (&self.computer, &e.computer) {
            (Some(want), Some(c)) => want.eq_ignore_ascii_case(c),
            _ => true,
        }
    }

    fn trim(&mut self, max: usize) {
        let anchor = self.anchor;
        self.rows.sort_by_key(|(seq, r)| ((r.time - anchor).abs(), *seq));
        self.rows.truncate(max);
    }
}

impl Sink for SurroundingsSink {
    fn record(&mut self, record: Record) {
        let Record::Event(e) = record else { return };
        let Some(t) = e.time else { return };
        let mut row: Option<NearbyEvent> = None;
        let seq = self.seq;
        self.seq += 1;
        for w in self.windows.iter_mut() {
            if !w.wants(&e, t, self.width) {
                continue;
            }
            let base = row.get_or_insert_with(|| make_row(&e, t));
            let mut r = base.clone();
            r.evidence = w.evidence.iter().any(|(s, l)| *s == r.source && *l == r.locator);
            w.rows.push((seq, r));
            if w.rows.len() > 2 * self.max_rows {
                w.trim(self.max_rows);
            }
        }
    }
    fn diagnostic(&mut self, _diagnostic: Diagnostic) {
        // Already reported by the analysis itself.
    }
}

fn make_row(e: &Event, t: DateTime<Utc>) -> NearbyEvent {
    // On one line; a longer one keeps MAX_MESSAGE characters and gains a `…`
    // (`one_line` keeps one fewer, hence the second cut).
    let mut message = one_line(&evtriage_core::message::render(e), MAX_MESSAGE + 1);
    if message.chars().count() > MAX_MESSAGE {
        message = message.chars().take(MAX_MESSAGE).collect::<String>() + "…";
    }
    NearbyEvent {
        time: t,
        level: e.level,
        event_id: e.event_id,
        provider: e.provider_label(),
        message,
        source: e.origin.source.to_string(),
        locator: e.origin.locator.to_string(),
        evidence: false,
        recovered: e.recovered,
    }
}

/// Reads `paths` again and keeps, for each finding of `report`, the events
/// within `options.minutes` of its first anchor on the same computer.
/// Findings without a timed anchor (snapshot-only) get no context.
pub fn collect_surroundings<P: AsRef<Path>>(
    report: &Report,
    paths: &[P],
    options: &SurroundingsOptions,
) -> Surroundings {
    let windows: Vec<Option<Window>> = report
        .findings
        .iter()
        .map(|f| {
            f.first_time().map(|anchor| Window {
                anchor,
                computer: (f.computer != UNKNOWN_COMPUTER).then(|| f.computer.clone()),
                evidence: f.evidence.iter().map(|e| (e.source.clone(), e.locator.clone())).collect(),
                rows: Vec::new(),
            })
        })
        .collect();
    let present: Vec<usize> = windows.iter().enumerate().filter(|(_, w)| w.is_some()).map(|(i, _)| i).collect();
    let mut per_finding = vec![Vec::new(); report.findings.len()];
    if options.minutes == 0 || options.max_rows == 0 || present.is_empty() {
        return Surroundings { minutes: options.minutes, per_finding };
    }
    let mut sink = SurroundingsSink {
        windows: windows.into_iter().flatten().collect(),
        width: Duration::minutes(i64::from(options.minutes)),
        max_rows: options.max_rows,
        seq: 0,
    };
    let mut read =
        evtriage_core::ReadOptions::new().recovered(options.recovered).follow_symlinks(options.follow_symlinks);
    if let Some(lcid) = options.locale {
        read = read.locale(lcid);
    }
    if let Some(zone) = &options.source_tz {
        read = read.source_tz(zone.clone());
    }
    Reader::new(read).read_paths(paths, &mut sink);
    for (i, mut w) in present.into_iter().zip(sink.windows) {
        w.trim(options.max_rows);
        w.rows.sort_by_key(|(seq, r)| (r.time, *seq));
        if let Some(slot) = per_finding.get_mut(i) {
            *slot = w.rows.into_iter().map(|(_, r)| r).collect();
        }
    }
    Surroundings { minutes: options.minutes, per_finding }
}
