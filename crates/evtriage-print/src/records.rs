//! One record as `dump` prints it: a readable table line, a CSV row, or a
//! JSON line ([`crate::jsonl`]).
//!
//! Input text must not reach a terminal as escape sequences: table lines and
//! CSV rows go through `evtriage_core::display::terminal_safe` here (JSON
//! escapes control characters itself).

use evtriage_core::display::{one_line, terminal_safe};
use evtriage_core::{Event, Record};

use crate::time::rfc3339;

/// The shapes `dump` prints a record in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// One JSON object per line ([`crate::jsonl`]).
    JsonLines,
    /// Comma-separated values, after a header row ([`csv_header`]).
    Csv,
    /// One readable line per record: time, level, provider, id, computer
    /// and the rendered message on one line.
    Table,
}

/// The columns of `dump`'s CSV.
const CSV_COLUMNS: &str = "time,level,provider,event_id,record_id,channel,computer,data,message,source,locator";

/// The header row of `dump`'s CSV, line end included; with `recovered`, a
/// last column says which records are stale ones carved from slack space.
pub fn csv_header(recovered: bool) -> String {
    let extra = if recovered { ",recovered" } else { "" };
    format!("{CSV_COLUMNS}{extra}\n")
}

/// The mark of the `--recovered` column in a table: `STALE` or blanks.
const STALE_MARK: &[u8] = b"STALE  ";
const LIVE_MARK: &[u8] = b"       ";

/// Appends `r` as one line of `format`, line end included, to `out`. With
/// `recovered` (`dump --recovered`), tables and CSV get a column marking the
/// stale records. `scratch` is space for the rendered message.
pub fn write_record(format: RecordFormat, recovered: bool, r: &Record, out: &mut Vec<u8>, scratch: &mut String) {
    match format {
        RecordFormat::JsonLines => crate::jsonl::write_line(r, out, scratch),
        RecordFormat::Csv => {
            let mut fields = csv_fields(r);
            if recovered {
                fields.push(is_recovered(r).to_string());
            }
            out.extend_from_slice(terminal_safe(&crate::csv::row(&fields), false).as_bytes());
            out.push(b'\n');
        }
        RecordFormat::Table => {
            if recovered {
                out.extend_from_slice(if is_recovered(r) { STALE_MARK } else { LIVE_MARK });
            }
            out.extend_from_slice(terminal_safe(&table_line(r), false).as_bytes());
            out.push(b'\n');
        }
    }
}

/// Whether `r` is a stale record carved from slack space.
fn is_recovered(r: &Record) -> bool {
    matches!(r, Record::Event(e) if e.recovered)
}

/// An event's data as `name=value` pairs on one line (line breaks shown as
/// `⏎`), then its binary data in hex.
fn data_summary(e: &Event) -> String {
    let mut s = String::new();
    for d in &e.data {
        if !s.is_empty() {
            s.push(' ');
        }
        if let Some(n) = &d.name {
            s.push_str(n);
            s.push('=');
        }
        s.push_str(&d.value.replace("\r\n", "⏎").replace(['\r', '\n'], "⏎"));
    }
    if let Some(b) = &e.binary {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str("binary=");
        s.push_str(&evtriage_core::display::to_hex(b));
    }
    s
}

/// The CSV fields of `r`, in the order of the header; a snapshot record
/// (socket, process, registry value, command) has its JSON in `data`.
fn csv_fields(r: &Record) -> Vec<String> {
    let origin = r.origin();
    match r {
        Record::Event(e) => vec![
            e.time.as_ref().map(rfc3339).unwrap_or_default(),
            e.level_name().to_string(),
            e.provider_label(),
            e.event_id.to_string(),
            e.record_id.map(|x| x.to_string()).unwrap_or_default(),
            e.channel.clone().unwrap_or_default(),
            e.computer.clone().unwrap_or_default(),
            data_summary(e),
            evtriage_core::message::render(e),
            origin.source.to_string(),
            origin.locator.to_string(),
        ],
        other => {
            let json = serde_json::to_string(other).unwrap_or_default();
            let mut fields = vec![String::new(); 7];
            fields.extend([json, String::new(), origin.source.to_string(), origin.locator.to_string()]);
            fields
        }
    }
}

/// Messages in a table line are cut to this many characters (the last a `…`).
const TABLE_MESSAGE: usize = 200;

/// `r` as one table line (without the line end and the stale mark).
fn table_line(r: &Record) -> String {
    match r {
        Record::Event(e) => {
            let time = e.time.map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()).unwrap_or_else(|| "-".repeat(23));
            format!(
                "{time}  {:<11} {:<40} {:>5}  {:<20} {}",
                e.level_name(),
                e.provider_label(),
                e.event_id,
                e.computer.as_deref().unwrap_or("-"),
                one_line(&evtriage_core::message::render(e), TABLE_MESSAGE)
            )
        }
        Record::Socket(s) => format!(
            "socket  {} {}:{} -> {}:{} {} pid={}",
            s.protocol,
            s.local_address,
            s.local_port,
            s.remote_address.as_deref().unwrap_or("*"),
            s.remote_port.map(|p| p.to_string()).unwrap_or_else(|| "*".into()),
            s.state.as_deref().unwrap_or(""),
            s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into())
        ),
        Record::Process(p) => format!("process {} pid={} services={}", p.image, p.pid, p.services.join(",")),
        Record::Registry(v) => {
            format!("registry {}\\{} = {}", v.key, v.name, serde_json::to_string(&v.data).unwrap_or_default())
        }
        Record::Command(c) => {
            let props: Vec<String> = c.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("command {} {}", c.command.as_deref().unwrap_or("-"), props.join(" "))
        }
        Record::Update(u) => format!(
            "update  {} {} installed={} computer={}",
            u.kb,
            u.description.as_deref().unwrap_or("-"),
            u.installed_on.as_deref().unwrap_or("-"),
            u.computer.as_deref().unwrap_or("-")
        ),
        Record::Computer(c) => format!(
            "computer {} os={} build={} role={} domain={} time_zone={}",
            c.computer.as_deref().unwrap_or("-"),
            c.os_name.as_deref().unwrap_or("-"),
            c.os_build.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            c.role.as_deref().unwrap_or("-"),
            c.domain.as_deref().unwrap_or("-"),
            c.time_zone.as_deref().unwrap_or("-")
        ),
        Record::PortRange(r) => format!(
            "ports   {} {}-{} {}{}",
            r.protocol,
            r.start,
            r.end,
            match r.range {
                evtriage_core::PortRangeKind::Excluded => "excluded",
                evtriage_core::PortRangeKind::Dynamic => "dynamic",
            },
            if r.administered { " (administered)" } else { "" }
        ),
    }
}
