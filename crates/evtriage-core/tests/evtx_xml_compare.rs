//! The typed decoder against the `evtx` crate's own XML rendering: for whole
//! corpus files, every record's System fields and data items must match what
//! `EvtxRecord::into_xml()` shows.

use std::collections::HashMap;

use evtriage_core::{Collect, Event, ReadOptions, Reader};
use evtriage_testutil::corpus;
use quick_xml::events::Event as XmlEvent;

/// The fields compared, as text.
#[derive(Debug, Default, PartialEq)]
struct Fields {
    provider: Option<String>,
    event_id: String,
    qualifiers: Option<String>,
    level: Option<String>,
    computer: Option<String>,
    channel: Option<String>,
    time: Option<String>,
    data: Vec<(Option<String>, String)>,
    binary: Option<String>,
}

/// Line ends normalised; control characters as the XML renderer writes them (`_`):
/// we keep the raw character, XML cannot.
fn norm(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| if c.is_control() && !matches!(c, '\n' | '\t') && (c as u32) < 0x20 { '_' } else { c })
        .collect()
}

/// Extracts [`Fields`] from one rendered record.
fn from_xml(xml: &str) -> (u64, Fields) {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut f = Fields::default();
    let mut record_id = 0;
    let mut path: Vec<String> = Vec::new();
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    loop {
        let ev = r.read_event().expect("well-formed XML from the evtx crate");
        match ev {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let is_empty = matches!(ev, XmlEvent::Empty(_));
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                for a in e.attributes().flatten() {
                    let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                    let val = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
                    match (name.as_str(), key.as_str()) {
                        ("Provider", "Name") => f.provider = Some(val),
                        ("EventID", "Qualifiers") => f.qualifiers = Some(val),
                        ("TimeCreated", "SystemTime") => f.time = Some(val),
                        ("Data", "Name") => data_name = Some(val),
                        _ => {}
                    }
                }
                if is_empty {
                    if name == "Data" && path.last().map(String::as_str) == Some("EventData") {
                        f.data.push((data_name.take(), String::new()));
                    }
                } else {
                    path.push(name);
                }
                text.clear();
            }
            XmlEvent::Text(t) => text.push_str(&t.unescape().map(|v| v.into_owned()).unwrap_or_default()),
            XmlEvent::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            XmlEvent::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                match (parent, name.as_str()) {
                    ("System", "EventID") => f.event_id = text.clone(),
                    ("System", "Level") => f.level = Some(text.clone()),
                    ("System", "Computer") => f.computer = Some(text.clone()),
                    ("System", "Channel") => f.channel = Some(text.clone()),
                    ("System", "EventRecordID") => record_id = text.trim().parse().unwrap_or(0),
                    ("EventData", "Data") => f.data.push((data_name.take(), norm(&text))),
                    ("EventData", "Binary") if !text.is_empty() => f.binary = Some(text.clone()),
                    _ => {}
                }
                text.clear();
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    (record_id, f)
}

/// The same fields from a decoded event, rendered the way the XML shows them.
fn from_event(e: &Event) -> Fields {
    Fields {
        provider: e.provider.name.clone(),
        event_id: e.event_id.to_string(),
        qualifiers: e.qualifiers.map(|q| q.to_string()),
        level: e.level.map(|l| l.to_string()),
        computer: e.computer.clone(),
        channel: e.channel.clone(),
        time: e.time.map(|t| format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100)),
        data: if e.data_section == evtriage_core::DataSection::EventData {
            e.data.iter().map(|d| (d.name.clone(), norm(&d.value))).collect()
        } else {
            Vec::new()
        },
        binary: e.binary.as_ref().map(|b| evtriage_core::display::to_hex(b)),
    }
}

fn compare(file: &str) {
    let Some(path) = corpus(&format!("evtx/{file}")) else { return };
    let settings = evtx::ParserSettings::new().num_threads(1).indent(false).recover_records(true);
    let mut parser = evtx::EvtxParser::from_path(&path).expect("open").with_configuration(settings);
    let mut expected: HashMap<u64, Vec<Fields>> = HashMap::new();
    for rec in parser.records().flatten() {
        let (id, f) = from_xml(&rec.data);
        expected.entry(id).or_default().push(f);
    }
    let mut sink = Collect::default();
    Reader::new(ReadOptions::new().threads(2)).read_path(&path, &mut sink);
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut compared = 0;
    for e in sink.events() {
        let id = e.record_id.expect("record id");
        let n = seen.entry(id).or_default();
        let Some(want) = expected.get(&id).and_then(|v| v.get(*n)) else { continue };
        *n += 1;
        let got = from_event(e);
        assert_eq!(&got, want, "{file}: record {id}");
        compared += 1;
    }
    let total: usize = expected.values().map(Vec::len).sum();
    assert_eq!(compared, total, "{file}: every record the crate renders was compared");
    assert!(compared > 0);
}

#[test]
fn system_log_matches_the_crates_xml() {
    compare("omerbenamram_system.evtx");
}

#[test]
fn security_log_matches_the_crates_xml() {
    compare("omerbenamram_security.evtx");
}

#[test]
fn classic_application_log_matches_the_crates_xml() {
    compare("deepbluecli_many-events-application.evtx");
}
