//! Offline rendering of real corpus records.
//!
//! The corpus lives outside the repository; tests read it from
//! `$EVTRIAGE_CORPUS` (skip with a message when unset, fail when set but the
//! file is missing).
//!
//! Two paths are tested. `via_evtx_crate_*` turn records into [`Event`]s with a
//! tiny adapter over the `evtx` crate's XML output, so rendering is checked on
//! real data independently of our evtx source. `via_reader_*` read through
//! [`evtriage_core::Reader`], the path users take; until the evtx source has
//! landed on this branch they report that and return.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::message::{self, ServiceKey};
use evtriage_core::{Collect, DataItem, Event, Locator, Origin, Reader};
use evtriage_testutil::corpus;
use regex::Regex;

/// The line NETLOGON 5719 ends with: its NTSTATUS, named and explained (the
/// SDK's ntstatus.h text for 0xC000005E).
const NO_LOGON_SERVERS_LINE: &str = "\nBinary: 0xC000005E (STATUS_NO_LOGON_SERVERS): We can't sign you in with this \
     credential because your domain isn't available. Make sure your device is connected to your organization's \
     network and try again. If you previously signed in on this device with another credential, you can sign in \
     with that credential.";

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Every record of `path` as an [`Event`] with provider, id, record id, data
/// and binary — just what rendering needs — decoded with the `evtx` crate.
fn events_via_evtx_crate(path: &PathBuf) -> Vec<Event> {
    let provider = Regex::new(r#"<Provider Name="([^"]*)""#).expect("regex");
    let event_id = Regex::new(r"<EventID[^>]*>(\d+)</EventID>").expect("regex");
    let record_id = Regex::new(r"<EventRecordID>(\d+)</EventRecordID>").expect("regex");
    let data = Regex::new(r#"<Data(?: Name="([^"]*)")?>([^<]*)</Data>|<Data(?: Name="([^"]*)")?/>"#).expect("regex");
    let binary = Regex::new(r"<Binary>([0-9A-Fa-f]*)</Binary>").expect("regex");
    let mut parser = evtx::EvtxParser::from_path(path).expect("corpus file opens");
    let source: Arc<str> = Arc::from(path.display().to_string());
    let mut out = Vec::new();
    for rec in parser.records().flatten() {
        let xml = rec.data;
        let id = event_id.captures(&xml).and_then(|c| c[1].parse::<u32>().ok()).unwrap_or(0);
        let rid = record_id.captures(&xml).and_then(|c| c[1].parse::<u64>().ok()).unwrap_or(0);
        let name = provider.captures(&xml).map(|c| unescape(&c[1]));
        let mut e = Event::new(name, id, Origin::new(source.clone(), Locator::Evtx { chunk: 0, record_id: rid }));
        e.record_id = Some(rid);
        e.data = data
            .captures_iter(&xml)
            .map(|c| {
                let n = c.get(1).or_else(|| c.get(3)).map(|m| m.as_str().to_string());
                let v = c.get(2).map(|m| unescape(m.as_str())).unwrap_or_default();
                DataItem { name: n, value: v }
            })
            .collect();
        e.binary = binary.captures(&xml).and_then(|c| evtriage_core::display::from_hex(&c[1]));
        out.push(e);
    }
    out
}

fn by_record(events: &[Event], rid: u64) -> &Event {
    events.iter().find(|e| e.record_id == Some(rid)).unwrap_or_else(|| panic!("record {rid} not found"))
}

const IP_HELPER_7023: &str = "The IP Helper service terminated with the following error: \nThe service cannot be \
                              started, either because it is disabled or because it has no enabled devices \
                              associated with it.";
const SPOOLER_7023: &str = "The Spooler service terminated with the following error: \nNot enough storage is \
                            available to complete this operation.";

#[test]
fn via_evtx_crate_7023_win32_insertion() {
    let Some(p) = corpus("evtx/omerbenamram_system_zero-data-size-event.evtx") else { return };
    let events = events_via_evtx_crate(&p);
    let e = by_record(&events, 42);
    assert_eq!((e.event_id, e.field("param2")), (7023, Some("%%1058")));
    assert_eq!(message::render(e), IP_HELPER_7023);
    assert_eq!(message::scm_service_key(e), Some(ServiceKey { name: "iphlpsvc".into(), state: None }));
}

#[test]
fn via_evtx_crate_7023_hresult_insertion() {
    let Some(p) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let events = events_via_evtx_crate(&p);
    let e = by_record(&events, 40);
    assert_eq!(e.field("param2"), Some("%%2147942414"));
    assert_eq!(message::render(e), SPOOLER_7023);
    assert_eq!(message::scm_service_key(e).map(|k| k.name), Some("Spooler".to_string()));
}

#[test]
fn via_evtx_crate_netlogon_5719_and_5805() {
    let Some(p) = corpus("evtx/anotherc0ne_EventLog_System.evtx") else { return };
    let events = events_via_evtx_crate(&p);
    let e = by_record(&events, 65370);
    assert_eq!(message::binary_ntstatus(e), Some(0xC000_005E));
    let m = message::render(e);
    assert!(m.starts_with("This computer was not able to set up a secure session with a domain controller in domain APERTURE due to the following: \nThere are currently no logon servers available to service the logon request. \n"), "{m}");
    assert!(m.ends_with(NO_LOGON_SERVERS_LINE), "{m}");
    assert_eq!(events.iter().filter(|e| e.event_id == 5719).count(), 16);

    let Some(p) = corpus("evtx/evtxattack_Zerologon_NetLogon_5805_System.evtx") else { return };
    let events = events_via_evtx_crate(&p);
    let e = by_record(&events, 63221);
    assert_eq!(
        message::render(e),
        "The session setup from the computer 01566S-WIN16-IR failed to authenticate. The following error \
         occurred: \nAccess is denied.\nBinary: 0xC0000022 (STATUS_ACCESS_DENIED): {Access Denied} A process has \
         requested access to an object, but has not been granted those access rights."
    );
}

#[test]
fn via_evtx_crate_every_7036_has_a_key_and_state() {
    let Some(p) = corpus("evtx/plaso_System_dc.evtx") else { return };
    let events = events_via_evtx_crate(&p);
    let scm: Vec<&Event> = events.iter().filter(|e| e.event_id == 7036).collect();
    assert_eq!(scm.len(), 3434);
    for e in &scm {
        let key = message::scm_service_key(e).unwrap_or_else(|| panic!("no key in {:?}", e.record_id));
        assert!(!key.name.is_empty() && !key.name.contains('/'));
        assert!(matches!(key.state, Some(1..=7)), "{key:?}");
        let m = message::render(e);
        assert!(m.starts_with("The ") && m.ends_with(" state."), "{m}");
    }
    let with_7040: Vec<&Event> = events.iter().filter(|e| e.event_id == 7040).collect();
    assert_eq!(with_7040.len(), 1018);
    assert!(with_7040.iter().all(|e| message::scm_service_key(e).is_some()));
}

#[test]
fn via_evtx_crate_no_known_insertion_left_unexpanded() {
    // Across the System logs nothing renders empty, and every templated event
    // (SCM, NETLOGON, EventLog, …) renders without a `%%N` whose N the Win32
    // table knows.
    let insertion = Regex::new(r"%%(-?\d+)").expect("regex");
    let (mut untemplated, mut templated) = (0, 0);
    for rel in [
        "evtx/omerbenamram_system.evtx",
        "evtx/omerbenamram_system_zero-data-size-event.evtx",
        "evtx/anotherc0ne_EventLog_System.evtx",
        "evtx/tugix456_System.evtx",
        "evtx/deepbluecli_disablestop-eventlog_System.evtx",
    ] {
        let Some(p) = corpus(rel) else { return };
        for e in events_via_evtx_crate(&p) {
            let m = message::render(&e);
            assert!(!m.trim().is_empty(), "{rel} record {:?}", e.record_id);
            if message::template_for(&e).is_some() {
                templated += 1;
            } else {
                untemplated += 1;
                continue;
            }
            for c in insertion.captures_iter(&m) {
                let code = evtriage_core::codes::parse_code_number(&c[1]);
                assert!(
                    code.and_then(evtriage_core::codes::insertion_message).is_none(),
                    "{rel} record {:?} left {} unexpanded: {m}",
                    e.record_id,
                    &c[0]
                );
            }
        }
    }
    assert!(untemplated + templated > 10_000, "{untemplated} + {templated}");
    assert!(templated > 5_000, "{templated}");
}

/// Events read through the [`Reader`], or `None` (with a message) while the
/// evtx source is not on this branch yet.
fn events_via_reader(path: &PathBuf) -> Option<Vec<Event>> {
    let mut sink = Collect::default();
    Reader::default().read_paths(std::slice::from_ref(path), &mut sink);
    let events: Vec<Event> = sink.events().cloned().collect();
    if events.is_empty() && sink.diagnostics.iter().any(|d| d.to_string().contains("not written yet")) {
        eprintln!("the evtx source has not landed on this branch: skipping the Reader path for {}", path.display());
        return None;
    }
    Some(events)
}

#[test]
fn via_reader_7023_renders() {
    let Some(p) = corpus("evtx/omerbenamram_system_zero-data-size-event.evtx") else { return };
    let Some(events) = events_via_reader(&p) else { return };
    let e = events.iter().find(|e| e.record_id == Some(42)).expect("record 42 read");
    assert_eq!(message::render(e), IP_HELPER_7023);
    assert_eq!(message::scm_service_key(e).map(|k| k.name), Some("iphlpsvc".to_string()));

    let Some(p) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let Some(events) = events_via_reader(&p) else { return };
    let e = events.iter().find(|e| e.record_id == Some(40)).expect("record 40 read");
    assert_eq!(message::render(e), SPOOLER_7023);
}
