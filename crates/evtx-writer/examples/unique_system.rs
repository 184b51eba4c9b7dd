//! Writes a large System log of *unique* records, for measuring `analyze` on
//! what the repeated corpus chunks of `benches/compare.sh` cannot show: how
//! time and memory grow when every record is a different event.
//!
//! ```text
//! cargo run --release -p evtriage-evtx-writer --example unique_system -- COUNT [binary|nobinary] OUT.evtx
//! ```
//!
//! COUNT Service Control Manager 7036 events ("the X service entered the
//! running/stopped state"), seven seconds apart, cycling through eight
//! services (one of them Netlogon), with a NETLOGON 5719 every 50 000 events.
//! `binary` gives each 7036 the `Binary` service key that Windows 8 and later
//! write; `nobinary` leaves it out, as Windows 7 and older do.

use chrono::{Duration, TimeZone, Utc};
use evtriage_core::{DataItem, Event, Locator, Origin};
use evtriage_evtx_writer::{write_evtx, WriteOptions};

const SERVICES: [(&str, &str); 8] = [
    ("Windows Update", "wuauserv"),
    ("Background Intelligent Transfer Service", "BITS"),
    ("Netlogon", "Netlogon"),
    ("Print Spooler", "Spooler"),
    ("Windows Time", "W32Time"),
    ("WinHTTP Web Proxy Auto-Discovery Service", "WinHttpAutoProxySvc"),
    ("Application Experience", "AeLookupSvc"),
    ("Software Protection", "sppsvc"),
];

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(kind), Some(out)) =
        (args.first().and_then(|n| n.parse::<usize>().ok()), args.get(1), args.get(2))
    else {
        eprintln!("usage: unique_system COUNT binary|nobinary OUT.evtx");
        return std::process::ExitCode::from(2);
    };
    let binary = kind == "binary";
    let Some(t0) = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single() else {
        return std::process::ExitCode::from(2);
    };
    let origin = || Origin::new("unique_system".into(), Locator::File);
    let mut events = Vec::with_capacity(count + count / 50_000 + 1);
    for i in 0..count {
        let (display, key) = SERVICES[i % SERVICES.len()];
        let mut e = Event::new(Some("Service Control Manager".into()), 7036, origin());
        e.provider.event_source_name = Some("Service Control Manager".into());
        e.channel = Some("System".into());
        e.computer = Some("WIN7-PC.contoso.com".into());
        e.level = Some(4);
        e.qualifiers = Some(16384);
        e.time = Some(t0 + Duration::seconds(i as i64 * 7));
        e.record_id = Some(i as u64 + 1);
        let state = if i % 2 == 0 { "running" } else { "stopped" };
        e.data = vec![DataItem::named("param1", display), DataItem::named("param2", state)];
        if binary {
            e.binary = Some(format!("{key}/4\0").encode_utf16().flat_map(u16::to_le_bytes).collect());
        }
        events.push(e);
        if i % 50_000 == 7 {
            let mut a = Event::new(Some("NETLOGON".into()), 5719, origin());
            a.channel = Some("System".into());
            a.computer = Some("WIN7-PC.contoso.com".into());
            a.level = Some(2);
            a.time = Some(t0 + Duration::seconds(i as i64 * 7 + 30));
            a.record_id = Some(10_000_000 + i as u64);
            a.data = vec![DataItem::unnamed("CONTOSO"), DataItem::unnamed("%%1311")];
            events.push(a);
        }
    }
    let file = match write_evtx(&events, &WriteOptions::default()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("unique_system: cannot write the log: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(out, &file.bytes) {
        eprintln!("unique_system: cannot write {out}: {e}");
        return std::process::ExitCode::FAILURE;
    }
    eprintln!("{} events, {} bytes, {} chunks: {out}", events.len(), file.bytes.len(), file.chunk_count());
    std::process::ExitCode::SUCCESS
}
