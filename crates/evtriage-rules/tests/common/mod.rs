//! Builders for records as the readers produce them, so that rules can be
//! tested without depending on any one input format.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use evtriage_core::{
    CommandOutput, DataItem, Event, Locator, Origin, ProcessEntry, Protocol, Record, RegData, RegistryValue, Sink,
    SocketEntry,
};
use evtriage_rules::{Analysis, Engine, Finding, RuleSet};

pub const DC: &str = "DC1.contoso.com";

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 2, 6, 0, 0).single().unwrap_or_default()
}

pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::milliseconds(secs * 1000)
}

pub fn at_ms(ms: i64) -> DateTime<Utc> {
    t0() + Duration::milliseconds(ms)
}

pub fn origin(source: &str, line: u64) -> Origin {
    Origin::new(Arc::from(source), Locator::Line { line })
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    v.extend([0, 0]);
    v
}

/// A Service Control Manager event as an evtx/XML export would carry it.
pub fn scm(id: u32, time: DateTime<Utc>, params: &[&str], key: Option<&str>, line: u64) -> Record {
    let mut e = Event::new(Some("Service Control Manager".into()), id, origin("System.xml", line));
    e.provider.event_source_name = Some("Service Control Manager".into());
    e.qualifiers = Some(49152);
    e.level = Some(2);
    e.time = Some(time);
    e.computer = Some(DC.into());
    e.channel = Some("System".into());
    e.record_id = Some(line);
    e.data = params.iter().enumerate().map(|(i, v)| DataItem::named(format!("param{}", i + 1), *v)).collect();
    e.binary = key.map(utf16z);
    Record::Event(Box::new(e))
}

/// Any event with named data.
pub fn event(provider: &str, id: u32, time: DateTime<Utc>, data: &[(&str, &str)], source: &str, line: u64) -> Record {
    let mut e = Event::new(Some(provider.into()), id, origin(source, line));
    e.time = Some(time);
    e.computer = Some(DC.into());
    e.data = data.iter().map(|(k, v)| DataItem::named(*k, *v)).collect();
    Record::Event(Box::new(e))
}

/// A classic event with unnamed data (Application log sources).
pub fn classic(
    provider: &str,
    id: u32,
    time: DateTime<Utc>,
    data: &[&str],
    message: Option<&str>,
    line: u64,
) -> Record {
    let mut e = Event::new(Some(provider.into()), id, origin("Application.xml", line));
    e.time = Some(time);
    e.computer = Some(DC.into());
    e.channel = Some("Application".into());
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e.message = message.map(str::to_string);
    Record::Event(Box::new(e))
}

/// EventLog 6005 (the event log service started), the boot marker.
pub fn boot(time: DateTime<Utc>, line: u64) -> Record {
    let mut e = Event::new(Some("EventLog".into()), 6005, origin("System.xml", line));
    e.time = Some(time);
    e.computer = Some(DC.into());
    e.message = Some("The Event log service was started.".into());
    Record::Event(Box::new(e))
}

/// A Microsoft-Windows-LDAP-Client trace line as the ETW text reader produces it.
pub fn ldap(time: DateTime<Utc>, message: &str, line: u64) -> Record {
    let mut e = Event::new(Some("Microsoft-Windows-LDAP-Client".into()), 0, origin("boot-ldap.txt", line));
    e.time = Some(time);
    e.channel = Some("Debug".into());
    e.data = vec![DataItem::named("Message", message)];
    e.message = Some(message.into());
    Record::Event(Box::new(e))
}

pub fn socket(proto: Protocol, addr: &str, port: u16, state: Option<&str>, pid: Option<u32>, line: u64) -> SocketEntry {
    SocketEntry {
        protocol: proto,
        ipv6: false,
        local_address: addr.into(),
        local_port: port,
        remote_address: Some(if proto == Protocol::Tcp { "0.0.0.0".into() } else { "*".into() }),
        remote_port: if proto == Protocol::Tcp { Some(0) } else { None },
        state: state.map(str::to_string),
        state_localized: None,
        pid,
        image: None,
        services: Vec::new(),
        origin: origin("netstat.txt", line),
    }
}

pub fn process(pid: u32, image: &str, services: &[&str], line: u64) -> Record {
    Record::Process(ProcessEntry {
        pid,
        image: image.into(),
        services: services.iter().map(|s| s.to_string()).collect(),
        origin: origin("tasklist.txt", line),
    })
}

pub fn reg(key: &str, name: &str, data: RegData, line: u64) -> Record {
    Record::Registry(RegistryValue { key: key.into(), name: name.into(), data, origin: origin("services.reg", line) })
}

pub fn owa(id: &str, kind: &str, message: &str, line: u64) -> Record {
    Record::Command(CommandOutput {
        command: Some("Test-OutlookWebServices".into()),
        properties: vec![("Id".into(), id.into()), ("Type".into(), kind.into()), ("Message".into(), message.into())],
        is_error: false,
        origin: origin("owa-test.txt", line),
    })
}

pub fn builtin() -> RuleSet {
    match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => panic!("built-in rules do not load: {e}"),
    }
}

pub fn run(records: Vec<Record>) -> Analysis {
    let mut engine = Engine::new(builtin());
    for r in records {
        engine.record(r);
    }
    engine.finish()
}

pub fn of<'a>(a: &'a Analysis, rule: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.rule == rule).collect()
}

pub fn only<'a>(a: &'a Analysis, rule: &str) -> &'a Finding {
    let v = of(a, rule);
    assert_eq!(v.len(), 1, "expected one {rule} finding, got {:#?}", a.findings);
    v[0]
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs rules written in the test (parsed as built-in rules) over `records`.
pub fn run_rules(texts: &[&str], records: Vec<Record>) -> Analysis {
    let mut set = RuleSet::new();
    for t in texts {
        match evtriage_rules::Rule::parse(t, evtriage_rules::RuleOrigin::Builtin("test.toml")) {
            Ok(r) => set.add(r),
            Err(e) => panic!("{e}\n{t}"),
        }
    }
    let mut engine = Engine::new(set);
    for r in records {
        engine.record(r);
    }
    engine.finish()
}
