//! Records of repeated content: the evtx reader decodes a partly reviewed
//! record whose content it has seen before only as far as its time and
//! record id, and hands the reviewer the remembered event with a
//! [`ContentId`]. What a reviewer sees, and what is delivered, must be
//! exactly what decoding every record afresh gives.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use evtriage_core::{
    Collect, ContentId, Event, EventFilter, EventKey, ReadOptions, Reader, Record, Reviewer, Selection, Verdict,
};
use evtriage_testutil::corpus;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

/// Sends every event to partial review and answers `verdict`; notes what it
/// was shown, by content id.
struct Partial {
    verdict: Verdict,
    /// Every event shown with an id, by id, with time, record id and origin
    /// cleared (all that may differ between events of one content).
    shown: Mutex<HashMap<ContentId, Vec<Event>>>,
    /// How many events were shown without an id.
    plain: Mutex<usize>,
}

impl Partial {
    fn new(verdict: Verdict) -> Arc<Self> {
        Arc::new(Partial { verdict, shown: Mutex::default(), plain: Mutex::default() })
    }
}

struct PartialReviewer<'a>(&'a Partial);

impl Reviewer for PartialReviewer<'_> {
    fn review(&mut self, _e: &Event, _partial: bool) -> Verdict {
        *self.0.plain.lock().unwrap() += 1;
        self.0.verdict
    }

    fn review_content(&mut self, e: &Event, _partial: bool, content: ContentId) -> Verdict {
        let mut bare = e.clone();
        bare.time = None;
        bare.record_id = None;
        bare.origin = evtriage_core::Origin::new("".into(), evtriage_core::Locator::File);
        self.0.shown.lock().unwrap().entry(content).or_default().push(bare);
        self.0.verdict
    }
}

impl EventFilter for Partial {
    fn select(&self, _key: &EventKey<'_>) -> Selection {
        Selection::ReviewPartial
    }

    fn reviewer(&self) -> Box<dyn Reviewer + '_> {
        Box::new(PartialReviewer(self))
    }
}

fn read(paths: &[PathBuf], threads: usize, filter: Option<Arc<dyn EventFilter>>) -> Vec<Event> {
    let mut sink = Collect::default();
    let options = ReadOptions::new().threads(threads);
    let options = match filter {
        Some(f) => options.event_filter(f),
        None => options,
    };
    Reader::new(options).read_paths(paths, &mut sink);
    sink.records
        .into_iter()
        .filter_map(|r| match r {
            Record::Event(e) => Some(*e),
            _ => None,
        })
        .collect()
}

/// `e` with only what a partial decode fills.
fn partial_of(e: &Event) -> Event {
    let mut p = Event::new(e.provider.name.clone(), e.event_id, e.origin.clone());
    p.provider = e.provider.clone();
    p.time = e.time;
    p.record_id = e.record_id;
    p.computer = e.computer.clone();
    p.data_section = e.data_section;
    p.data = e.data.clone();
    p.binary = e.binary.clone();
    p
}

/// The System logs of the corpus and the evtx fixtures (good and damaged).
fn inputs() -> Option<Vec<PathBuf>> {
    let mut paths = vec![fixture("evtx")];
    for name in [
        "evtx/omerbenamram_system.evtx",
        "evtx/anotherc0ne_EventLog_System.evtx",
        "evtx/mdecrevoisier_ID7000-7009-7045_Tchopper_System.evtx",
        "evtx/plaso_System_dc.evtx",
        "evtx/sdkeagle_System.evtx",
        "evtx/omerbenamram_sysmon_dirty.evtx",
    ] {
        paths.push(corpus(name)?);
    }
    Some(paths)
}

#[test]
fn completed_events_equal_a_plain_read() {
    let Some(paths) = inputs() else { return };
    let want = read(&paths, 1, None);
    assert!(want.len() > 15_000, "{} events", want.len());
    for threads in [1, 2] {
        let filter = Partial::new(Verdict::Complete);
        let got = read(&paths, threads, Some(filter.clone()));
        assert_eq!(got.len(), want.len(), "{threads} threads");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{threads} threads");
        }
        // Most records repeat a content seen before.
        let shown = filter.shown.lock().unwrap();
        let repeats: usize = shown.values().map(|v| v.len() - 1).sum();
        assert!(repeats * 2 > want.len(), "{repeats} repeats of {} events", want.len());
    }
}

#[test]
fn delivered_partial_events_hold_exactly_the_partial_fields() {
    let Some(paths) = inputs() else { return };
    // XML exports are read whole whatever the selection.
    let from_xml = |e: &Event| e.origin.source.ends_with(".xml");
    let want: Vec<Event> =
        read(&paths, 1, None).iter().map(|e| if from_xml(e) { e.clone() } else { partial_of(e) }).collect();
    let filter = Partial::new(Verdict::Deliver);
    let got = read(&paths, 2, Some(filter.clone()));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Events shown under one id have one content.
    let shown = filter.shown.lock().unwrap();
    assert!(shown.len() > 100, "{} contents", shown.len());
    for (id, events) in shown.iter() {
        assert!(events.windows(2).all(|w| w[0] == w[1]), "content {} shown as different events", id.get());
    }
    // Text and XML inputs, and records that cannot be keyed, are reviewed without an id.
    assert!(*filter.plain.lock().unwrap() < want.len() / 10);
}

#[test]
fn dropped_events_are_counted_as_filtered() {
    let Some(paths) = inputs() else { return };
    let all = read(&paths, 1, None).len() as u64;
    let mut sink = Collect::default();
    let filter = Partial::new(Verdict::Drop);
    let summaries = Reader::new(ReadOptions::new().threads(2).event_filter(filter)).read_paths(&paths, &mut sink);
    assert_eq!(sink.records.iter().filter(|r| matches!(r, Record::Event(_))).count(), 0);
    let filtered: u64 = summaries.iter().map(|s| s.filtered).sum();
    assert_eq!(filtered, all);
}
