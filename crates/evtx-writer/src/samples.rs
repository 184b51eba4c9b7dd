//! Deterministic synthetic events, for the tests and the multi-chunk fixtures.
//!
//! [`variety`] covers every field the writer carries, in the awkward forms
//! (empty `<Data>`, unnamed data, `<Binary>`, `UserData`, non-ASCII text, no
//! time at all); [`service_churn`] is a long run of ordinary Service Control
//! Manager events to fill several chunks; [`many_shapes`] gives so many
//! distinct templates and names that every table chain of a chunk is used.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use evtriage_core::{DataItem, DataSection, Event, Guid, Locator, Origin};

fn origin() -> Origin {
    Origin::new(Arc::from("synthetic"), Locator::File)
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 15, 0).single().unwrap_or_default()
}

/// An event with the fields most System-log events have.
fn system_event(provider: &str, id: u32, level: u8, seconds: i64, nanos: i64) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, origin());
    e.version = Some(0);
    e.level = Some(level);
    e.task = Some(0);
    e.opcode = Some(0);
    e.keywords = Some(0x8080_0000_0000_0000);
    e.time = Some(base_time() + Duration::seconds(seconds) + Duration::nanoseconds(nanos));
    e.process_id = Some(636);
    e.thread_id = Some(2972);
    e.channel = Some("System".to_string());
    e.computer = Some("DC1.contoso.com".to_string());
    e
}

/// Events covering every field the writer carries, one shape each.
pub fn variety() -> Vec<Event> {
    let scm = Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f4}");
    let mut out = Vec::new();

    // Classic SCM 7023 with Qualifiers, named data with an insertion string, and Binary.
    let mut e = system_event("Service Control Manager", 7023, 2, 0, 123_456_700);
    e.provider.guid = scm;
    e.provider.event_source_name = Some("Service Control Manager".to_string());
    e.qualifiers = Some(49152);
    e.keywords = Some(0x8080_0000_0000_0000);
    e.data = vec![DataItem::named("param1", "Intersite Messaging"), DataItem::named("param2", "%%58")];
    e.binary = Some("IsmServ".encode_utf16().flat_map(u16::to_le_bytes).chain([0, 0]).collect());
    out.push(e);

    // Classic event with unnamed data, one of them empty, and a user SID.
    let mut e = system_event("MSExchangeTransport", 7009, 2, 5, 0);
    e.qualifiers = Some(49152);
    e.task = Some(12);
    e.keywords = Some(0x0080_0000_0000_0000);
    e.channel = Some("Application".to_string());
    e.user_sid = Some("S-1-5-21-3623811015-3361044348-30300820-1013".to_string());
    e.data = vec![DataItem::unnamed("30000"), DataItem::unnamed(""), DataItem::unnamed("MSExchangeTransport")];
    out.push(e);

    // Manifest event: GUID only, version, opcode, correlation, empty named data, non-ASCII text.
    let mut e = system_event("", 4013, 3, 60, 1_000);
    e.provider.name = None;
    e.provider.guid = Guid::parse("{eb79061a-a566-4698-9119-3ed2807060e7}");
    e.version = Some(2);
    e.opcode = Some(1);
    e.task = Some(65534);
    e.keywords = Some(0x4000_0000_0000_0001);
    e.activity_id = Guid::parse("{0d2ab0c4-2b6e-4c1b-a0a3-8e0f7b2c4d51}");
    e.related_activity_id = Guid::parse("{9f1c2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b}");
    e.user_sid = Some("S-1-5-18".to_string());
    e.data = vec![
        DataItem::named("Zone", "contoso.com"),
        DataItem::named("Empty", ""),
        DataItem::named("Text", "Überprüfung fehlgeschlagen — <&> \"quoted\" 'x'"),
    ];
    out.push(e);

    // UserData leaves (as the Eventlog 1102/104 events have), large id, no execution.
    let mut e = system_event("Microsoft-Windows-Eventlog", 104, 4, 120, 0);
    e.provider.guid = Guid::parse("{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}");
    e.process_id = None;
    e.thread_id = None;
    e.data_section = DataSection::UserData;
    e.data = vec![DataItem::named("SubjectUserName", "Administrator"), DataItem::named("Channel", "System")];
    out.push(e);

    // Minimal: provider and id only; no time, no channel, an event id above 16 bits.
    let e = Event::new(Some("Minimal".to_string()), 70_000, origin());
    out.push(e);

    // Binary only, no Data.
    let mut e = system_event("EventLog", 6008, 2, 180, 0);
    e.qualifiers = Some(32768);
    e.binary = Some(vec![0xE9, 0x07, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00]);
    out.push(e);
    out
}

/// `count` Service Control Manager 7036 events ("The X service entered the Y state."),
/// one second apart, cycling through service names.
pub fn service_churn(count: usize) -> Vec<Event> {
    const SERVICES: [&str; 8] = [
        "Windows Update",
        "Background Intelligent Transfer Service",
        "Intersite Messaging",
        "DNS Server",
        "Netlogon",
        "Kerberos Key Distribution Center",
        "Active Directory Domain Services",
        "Windows Modules Installer",
    ];
    (0..count)
        .map(|i| {
            let mut e = system_event("Service Control Manager", 7036, 4, i as i64, 0);
            e.provider.guid = Guid::parse("{555908d1-a6d7-4695-8e1e-26931d2012f4}");
            e.provider.event_source_name = Some("Service Control Manager".to_string());
            e.qualifiers = Some(16384);
            let service = SERVICES.get(i % SERVICES.len()).copied().unwrap_or("Netlogon");
            let state = if (i / SERVICES.len()) % 2 == 0 { "running" } else { "stopped" };
            e.data = vec![DataItem::named("param1", service), DataItem::named("param2", state)];
            e.binary = Some(format!("{service}/{}", i % 4).encode_utf16().flat_map(u16::to_le_bytes).collect());
            e
        })
        .collect()
}

/// A small deterministic generator (xorshift64), so that shapes vary but never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `count` 7036-like events in about 100 shapes (1–5 data items drawn from 150
/// names, with or without Binary and Qualifiers), always the same for a given `count`.
pub fn many_shapes(count: usize) -> Vec<Event> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    service_churn(count)
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            let shape = rng.next() % 100;
            let n = 1 + (shape % 5) as usize;
            e.data = (0..n)
                .map(|k| DataItem::named(format!("Field{}", (shape as usize * 3 + k) % 150), format!("v{i}-{k}")))
                .collect();
            if shape % 7 == 0 {
                e.binary = None;
            }
            if shape % 11 == 0 {
                e.qualifiers = None;
            }
            e
        })
        .collect()
}
