//! A log of many *unique* candidate events (issue 9): the engine keeps each
//! compactly, and the findings are what the rules say they are.
//!
//! The log is the shape of `evtx-writer`'s `unique_system` example, small:
//! Service Control Manager 7036 events seven seconds apart cycling over eight
//! services (Netlogon's "running" is a candidate of the Windows Server 2025
//! Netlogon record check), every one a different record (time, record id,
//! thread), and a few NETLOGON 5719 anchors carrying 0xC00000E5.

mod common;

use chrono::{DateTime, Duration};
use common::{builtin, DC};
use evtriage_core::{DataItem, Event, Locator, Origin, Record, Sink};
use evtriage_rules::{Analysis, Engine, Role};

const SERVICES: [&str; 8] = [
    "Windows Update",
    "Background Intelligent Transfer Service",
    "Netlogon",
    "Print Spooler",
    "Windows Time",
    "WinHTTP Web Proxy Auto-Discovery Service",
    "Application Experience",
    "Software Protection",
];

/// How many 7036 events the log has.
const COUNT: u64 = 24_000;

fn source() -> std::sync::Arc<str> {
    std::sync::Arc::from("unique/System.evtx")
}

fn time(secs: i64) -> DateTime<chrono::Utc> {
    common::t0() + Duration::seconds(secs)
}

/// The `i`th 7036 (record id `i + 1`, seven seconds after the previous).
fn state_change(i: u64) -> Event {
    let record_id = i + 1;
    let origin = Origin::new(source(), Locator::Evtx { chunk: i / 300, record_id });
    let mut e = Event::new(Some("Service Control Manager".into()), 7036, origin);
    e.provider.event_source_name = Some("Service Control Manager".into());
    e.qualifiers = Some(16384);
    e.level = Some(4);
    e.channel = Some("System".into());
    e.computer = Some(DC.into());
    e.time = Some(time(i as i64 * 7));
    e.record_id = Some(record_id);
    e.process_id = Some(612);
    e.thread_id = Some(700 + (i % 97) as u32);
    let state = if i % 2 == 0 { "running" } else { "stopped" };
    e.data = vec![DataItem::named("param1", SERVICES[(i % 8) as usize]), DataItem::named("param2", state)];
    e
}

/// A NETLOGON 5719 with STATUS_INTERNAL_ERROR, `secs` after the log starts.
fn netlogon_5719(secs: i64, record_id: u64) -> Event {
    let origin = Origin::new(source(), Locator::Evtx { chunk: 999, record_id });
    let mut e = Event::new(Some("NETLOGON".into()), 5719, origin);
    e.channel = Some("System".into());
    e.computer = Some(DC.into());
    e.level = Some(2);
    e.time = Some(time(secs));
    e.record_id = Some(record_id);
    e.data = vec![DataItem::unnamed("CONTOSO"), DataItem::unnamed("%%1311")];
    e.binary = Some(vec![0xE5, 0x00, 0x00, 0xC0]);
    e
}

/// Anchor times (seconds after the start), each with its record id.
const ANCHORS: [(i64, u64); 4] = [
    // 30 s after 7036 number 2 (Netlogon, at 14 s): that one is nearest before.
    (44, 9_000_001),
    // 16 s after 7036 number 10 002 (Netlogon, at 70 014 s).
    (70_030, 9_000_002),
    // Exactly at 7036 number 14 002 (Netlogon, at 98 014 s): the same time counts.
    (98_014, 9_000_003),
    // Long after the last 7036: no Netlogon event within two minutes before.
    (COUNT as i64 * 7 + 3_600, 9_000_004),
];

/// The record id of the Netlogon 7036 nearest before `secs` within two
/// minutes, worked out from the log's own shape (not by the engine).
fn expected_corroboration(secs: i64) -> Option<u64> {
    (0..COUNT)
        .filter(|i| i % 8 == 2)
        .map(|i| (i as i64 * 7, i + 1))
        .filter(|(t, _)| *t <= secs && secs - *t <= 120)
        .max_by_key(|(t, _)| *t)
        .map(|(_, r)| r)
}

fn feed(engine: &mut Engine) {
    for i in 0..COUNT {
        engine.record(Record::Event(Box::new(state_change(i))));
        if let Some((secs, id)) = ANCHORS.iter().find(|(s, _)| (i as i64 * 7..i as i64 * 7 + 7).contains(s)) {
            engine.record(Record::Event(Box::new(netlogon_5719(*secs, *id))));
        }
    }
    // The last anchor lies after the log.
    if let Some((secs, id)) = ANCHORS.last() {
        engine.record(Record::Event(Box::new(netlogon_5719(*secs, *id))));
    }
}

fn analyze() -> (Analysis, evtriage_rules::engine::Retained) {
    let mut engine = Engine::new(builtin());
    feed(&mut engine);
    let retained = engine.retained();
    (engine.finish(), retained)
}

fn record_of(locator: &str) -> Option<u64> {
    // "record 1234 (chunk 5)"
    locator.strip_prefix("record ")?.split(' ').next()?.parse().ok()
}

#[test]
fn unique_candidates_give_the_nearest_evidence() {
    let (analysis, _) = analyze();
    let restart: Vec<_> = analysis.findings.iter().filter(|f| f.rule == "netlogon-5719-ws2025-restart").collect();
    assert_eq!(restart.len(), 1, "{:#?}", analysis.findings);
    let f = restart[0];
    assert_eq!(f.computer, DC);
    assert_eq!(f.occurrences, 4);
    let anchors: Vec<u64> =
        f.evidence.iter().filter(|e| e.role == Role::Anchor).filter_map(|e| record_of(&e.locator)).collect();
    assert_eq!(anchors, [9_000_001, 9_000_002, 9_000_003, 9_000_004]);
    let mut found: Vec<u64> =
        f.evidence.iter().filter(|e| e.role == Role::Corroboration).filter_map(|e| record_of(&e.locator)).collect();
    found.sort_unstable();
    let mut expected: Vec<u64> = ANCHORS.iter().filter_map(|(s, _)| expected_corroboration(*s)).collect();
    expected.sort_unstable();
    // Worked out by hand for the first three anchors; the fourth has none.
    assert_eq!(expected, [3, 10_003, 14_003]);
    assert_eq!(found, expected);
    // The evidence is the whole event, rebuilt: its time and its message.
    let first = f.evidence.iter().find(|e| record_of(&e.locator) == Some(3));
    assert_eq!(first.and_then(|e| e.time), Some(time(14)));
    assert!(first.is_some_and(|e| e.summary.contains("Netlogon") && e.summary.contains("running")), "{first:?}");
    assert!(f.cause.contains("Netlogon entering the running state 30.0 s before"), "{}", f.cause);
}

#[test]
fn unique_candidates_are_kept_compactly() {
    let (analysis, retained) = analyze();
    // Every Netlogon "running" event is a candidate, all different records,
    // plus the anchors (other 7036 are candidates of other rules or not).
    let netlogon = (0..COUNT).filter(|i| i % 8 == 2).count();
    assert!(retained.events >= netlogon + ANCHORS.len(), "{retained:?}");
    assert!(retained.events <= COUNT as usize + ANCHORS.len(), "{retained:?}");
    // One body per distinct content: eight services in two states at most,
    // and the 5719s (one content).
    assert!(retained.bodies <= 17, "{retained:?}");
    // A few dozen bytes per kept event, not a kilobyte and a half.
    let per_event = retained.per_event_bytes / retained.events;
    assert!(per_event <= 40, "{per_event} bytes per event: {retained:?}");
    assert_eq!(analysis.kept, retained.events);
    assert_eq!(analysis.seen, COUNT as usize + ANCHORS.len());
}

#[test]
fn the_same_log_twice_is_kept_once() {
    let mut once = Engine::new(builtin());
    feed(&mut once);
    let mut twice = Engine::new(builtin());
    feed(&mut twice);
    // Again, as an XML export would give it: other places, other source.
    for i in 0..COUNT {
        let mut e = state_change(i);
        e.origin = Origin::new(std::sync::Arc::from("unique/System.xml"), Locator::Line { line: i + 1 });
        e.computer = Some("dc1".into());
        twice.record(Record::Event(Box::new(e)));
    }
    assert_eq!(once.retained(), twice.retained());
    let (a, b) = (once.finish(), twice.finish());
    assert_eq!(a.kept, b.kept);
    let json = |a: &Analysis| serde_json::to_string(&a.findings).unwrap_or_default();
    assert_eq!(json(&a), json(&b));
}

/// The same kind of log as an XML export, read through the reader with the
/// engine's own filter (which claims what it delivers, by identity), with
/// one and two threads: the findings are the same, and the nearest
/// evidence is what the log's shape says.
#[test]
fn unique_candidates_read_through_the_filter() {
    const N: u64 = 6_000;
    let anchors: [(i64, u64); 2] = [(44, 9_000_001), (20_030, 9_000_002)];
    let mut xml = String::new();
    let time_text = |secs: i64| time(secs).format("%Y-%m-%dT%H:%M:%S.0000000Z").to_string();
    for i in 0..N {
        let state = if i % 2 == 0 { "running" } else { "stopped" };
        xml.push_str(&format!(
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider \
             Name=\"Service Control Manager\" EventSourceName=\"Service Control Manager\"/><EventID \
             Qualifiers=\"16384\">7036</EventID><Level>4</Level><TimeCreated SystemTime=\"{}\"/>\
             <EventRecordID>{}</EventRecordID><Execution ProcessID=\"612\" ThreadID=\"{}\"/><Channel>System</Channel>\
             <Computer>{DC}</Computer></System><EventData><Data Name=\"param1\">{}</Data><Data \
             Name=\"param2\">{state}</Data></EventData></Event>\n",
            time_text(i as i64 * 7),
            i + 1,
            700 + i % 97,
            SERVICES[(i % 8) as usize],
        ));
        for (secs, id) in anchors.iter().filter(|(s, _)| (i as i64 * 7..i as i64 * 7 + 7).contains(s)) {
            xml.push_str(&format!(
                "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider \
                 Name=\"NETLOGON\"/><EventID>5719</EventID><Level>2</Level><TimeCreated SystemTime=\"{}\"/>\
                 <EventRecordID>{id}</EventRecordID><Channel>System</Channel><Computer>{DC}</Computer></System>\
                 <EventData><Data>CONTOSO</Data><Data>%%1311</Data><Binary>E50000C0</Binary></EventData></Event>\n",
                time_text(*secs)
            ));
        }
    }
    let dir = std::env::temp_dir().join(format!("evtriage-candidate-store-{}", std::process::id()));
    let path = dir.join("System.xml");
    let written = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &xml));
    assert!(written.is_ok(), "cannot write {}: {written:?}", path.display());
    let read = |threads: usize| {
        let mut engine = Engine::new(builtin());
        let options = evtriage_core::ReadOptions::new().threads(threads).event_filter(engine.event_filter());
        evtriage_core::Reader::new(options).read_paths(&[&path], &mut engine);
        let retained = engine.retained();
        (engine.finish(), retained)
    };
    let (one, kept_one) = read(1);
    let (two, kept_two) = read(2);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(kept_one, kept_two);
    // The Netlogon "running" events and the two anchors, each once; two bodies.
    assert_eq!(kept_one.events, (0..N).filter(|i| i % 8 == 2).count() + anchors.len());
    assert_eq!(kept_one.bodies, 2);
    let json = |a: &Analysis| serde_json::to_string(&a.findings).unwrap_or_default();
    assert_eq!(json(&one), json(&two));
    let restart: Vec<_> = one.findings.iter().filter(|f| f.rule == "netlogon-5719-ws2025-restart").collect();
    assert_eq!(restart.len(), 1, "{:#?}", one.findings);
    let line_of = |e: &&evtriage_rules::Evidence| e.locator.strip_prefix("line ").and_then(|l| l.parse::<u64>().ok());
    let lines: Vec<(Role, u64)> = restart[0].evidence.iter().filter_map(|e| Some((e.role, line_of(&e)?))).collect();
    // Evidence in time order. Anchors at 44 s (line 8, after 7036 number 6
    // on line 7) and 20 030 s (line 2 864, after number 2 861 on line
    // 2 863: events after the first anchor sit one line lower); the nearest
    // Netlogon 7036 before them are numbers 2 (14 s, line 3) and 2 858
    // (20 006 s, line 2 860).
    assert_eq!(
        lines,
        [(Role::Corroboration, 3), (Role::Anchor, 8), (Role::Corroboration, 2_860), (Role::Anchor, 2_864)]
    );
}
