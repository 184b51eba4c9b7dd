//! Evidence and human text: what a record shows as a finding's evidence,
//! the placeholders an anchor binds and how a rule's text is filled in, and
//! durations, paths and values as people read them.

use chrono::{DateTime, Duration, Utc};
use evtriage_core::{message, CommandOutput, Event, Origin, ProcessEntry, RegData, SocketEntry};

use crate::finding::{Evidence, Role};
use crate::rule::command_text;

/// A registry value's data as text: strings as they are, lists joined with
/// `; `, numbers in decimal, binary data in hex; anything else "(deleted)".
pub(super) fn reg_text(d: &RegData) -> String {
    // Not an exhaustive `match`: the model may grow variants (a deleted key, …),
    // and anything not a plain value reads as "(deleted)".
    if let RegData::Sz(s) | RegData::ExpandSz(s) = d {
        return s.clone();
    }
    if let RegData::MultiSz(v) = d {
        return v.join("; ");
    }
    if let RegData::Dword(n) = d {
        return n.to_string();
    }
    if let RegData::Qword(n) = d {
        return n.to_string();
    }
    if let RegData::Binary { bytes, .. } = d {
        return evtriage_core::display::to_hex(bytes);
    }
    "(deleted)".into()
}

/// The file name of a path (an image shown as `[svchost.exe]` without its brackets).
pub(super) fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path).trim_matches(|c| c == '[' || c == ']')
}

/// The items joined with `, `, or `empty` when there are none.
pub(super) fn join_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_string()
    } else {
        items.join(", ")
    }
}

/// A duration as people read it: `250 ms`, `4.5 s`, `12 min`, `3 h`.
pub(super) fn human_duration(d: Duration) -> String {
    let ms = d.num_milliseconds().abs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 7_200_000 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} h", ms / 3_600_000)
    }
}

/// The evidence an event gives: its message (made from the event's content,
/// which is all a kept event's body holds), at `origin` and `time`.
pub(super) fn event_evidence_at(e: &Event, origin: &Origin, time: Option<DateTime<Utc>>, role: Role) -> Evidence {
    let mut text = String::new();
    let source = message::render_with_source_into(e, &mut text);
    let mut summary = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match source {
        evtriage_core::MessageSource::Raw => {}
        evtriage_core::MessageSource::Table => {
            let shown = message::shown_by_template(e).unwrap_or_default();
            append_hidden_fields(e, &mut summary, |i, _, _| shown.get(i).copied().unwrap_or(true));
        }
        // Another message (the input's, a twin's, LocaleMetaData's): shown
        // when its text holds the value.
        _ => append_hidden_fields(e, &mut summary, |_, value, summary| summary.contains(value)),
    }
    if summary.len() > SUMMARY_MAX {
        let mut cut = SUMMARY_MAX;
        while !summary.is_char_boundary(cut) {
            cut -= 1;
        }
        summary.truncate(cut);
        summary.push('…');
    }
    let label = e.provider_label();
    // The fallback rendering already starts with provider and id.
    if !summary.starts_with(&label) {
        summary = format!("{label} {}: {summary}", e.event_id);
    }
    Evidence { message_source: Some(source), ..Evidence::new(origin, time, summary, role) }
}

/// An evidence summary is cut to this many bytes.
const SUMMARY_MAX: usize = 600;
/// At most this many bytes of data items a message does not show are added.
const HIDDEN_MAX: usize = 200;

/// Appends ` [Name=value, …]` for the named data items whose values the
/// message does not show (Event Viewer keeps them in the Details tab: who
/// cleared a log, the backup path…), so that evidence states them; at most
/// 200 characters of them.
fn append_hidden_fields(e: &Event, summary: &mut String, shown: impl Fn(usize, &str, &str) -> bool) {
    // A summary that will be cut (see `event_evidence_at`) would lose them.
    if summary.len() >= SUMMARY_MAX {
        return;
    }
    let mut hidden = String::new();
    for (i, d) in e.data.iter().enumerate() {
        let (Some(name), value) = (d.name.as_deref(), d.value.trim()) else { continue };
        // `%%N` references are shown as their text in the message.
        // Values too long to be shown whole are left to the record itself.
        if value.is_empty() || value.len() > HIDDEN_MAX || value == "-" || value.starts_with("%%") {
            continue;
        }
        if shown(i, value, summary) {
            continue;
        }
        let item = format!("{name}={}", value.split_whitespace().collect::<Vec<_>>().join(" "));
        if hidden.len() + item.len() > HIDDEN_MAX {
            hidden.push_str(if hidden.is_empty() { "…" } else { ", …" });
            break;
        }
        if !hidden.is_empty() {
            hidden.push_str(", ");
        }
        hidden.push_str(&item);
    }
    if !hidden.is_empty() {
        summary.push_str(" [");
        summary.push_str(&hidden);
        summary.push(']');
    }
}

pub(super) fn command_evidence(c: &CommandOutput, role: Role) -> Evidence {
    let mut parts: Vec<String> = c.properties.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if c.is_error {
        parts.insert(0, "error".into());
    }
    let text = if parts.is_empty() { command_text(c) } else { parts.join("; ") };
    let name = c.command.as_deref().unwrap_or("command output");
    Evidence::new(&c.origin, None, format!("{name}: {text}"), role)
}

/// Corroboration: the process that holds a socket, and the services it hosts.
pub(super) fn process_evidence(p: &ProcessEntry) -> Evidence {
    Evidence::new(
        &p.origin,
        None,
        format!("process {} PID {} hosts {}", p.image, p.pid, join_or(&p.services, "no services")),
        Role::Corroboration,
    )
}

pub(super) fn socket_evidence(s: &SocketEntry) -> Evidence {
    let addr = if s.ipv6 {
        format!("[{}]:{}", s.local_address, s.local_port)
    } else {
        format!("{}:{}", s.local_address, s.local_port)
    };
    let mut summary = format!("{} {}", s.protocol, addr);
    if let Some(st) = &s.state {
        summary.push(' ');
        summary.push_str(st);
    }
    if let Some(pid) = s.pid {
        summary.push_str(&format!(" PID {pid}"));
    }
    if let Some(i) = &s.image {
        summary.push_str(&format!(" [{}]", basename(i)));
    }
    if !s.services.is_empty() {
        summary.push_str(&format!(" services {}", s.services.join(", ")));
    }
    Evidence::new(&s.origin, None, summary, Role::Corroboration)
}

/// The most of one value a finding's text quotes: a value is stored once
/// (in its record), and a cause or a step that names it shows at most this
/// much of it, so that one giant field cannot make a report grow with it.
pub(crate) const VALUE_EXCERPT: usize = 4096;

/// `value`, or its first [`VALUE_EXCERPT`] bytes and how many more there are.
pub(crate) fn excerpt(value: &str) -> String {
    let mut out = String::new();
    push_excerpt(&mut out, value);
    out
}

/// Appends `value` to `out`, or its first [`VALUE_EXCERPT`] bytes (whole
/// characters) and how many more there are.
fn push_excerpt(out: &mut String, value: &str) {
    if value.len() <= VALUE_EXCERPT {
        out.push_str(value);
        return;
    }
    let mut cut = VALUE_EXCERPT;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(value.get(..cut).unwrap_or(""));
    out.push_str(&format!("… ({} more bytes)", value.len() - cut));
}

/// Replaces `{name}` with its binding (at most [`VALUE_EXCERPT`] bytes of
/// it); unknown names (and other braces) are left as written.
pub(super) fn interpolate(text: &str, bindings: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]);
        match name.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            Some(n) => match bindings.iter().rev().find(|(k, _)| k == n) {
                Some((_, v)) => {
                    push_excerpt(&mut out, v);
                    rest = &after[n.len() + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            },
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The anchor's data as placeholders: each field under its name (`{param2}`,
/// `{ServiceName}`; unnamed classic data as `{param1}`…), and for a Win32
/// insertion `%%N` also `{<name>_error}` = `N (ERROR_NAME)`.
pub(super) fn field_bindings(e: &Event) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let named = |d: &evtriage_core::DataItem| -> Option<String> {
        d.name.clone().filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    };
    let names: Vec<Option<String>> = e.data.iter().map(named).collect();
    for (i, d) in e.data.iter().enumerate() {
        let position = format!("param{}", i + 1);
        let mut keys: Vec<String> = Vec::with_capacity(2);
        match names.get(i).cloned().flatten() {
            Some(n) => {
                // A named item is reached by its position too (`{param2}`),
                // as field predicates reach it, unless an item has that name.
                let taken = names.iter().flatten().any(|x| x.eq_ignore_ascii_case(&position));
                if !taken && !n.eq_ignore_ascii_case(&position) {
                    keys.push(position);
                }
                keys.push(n);
            }
            None => keys.push(position),
        }
        for name in keys {
            bind_value(&mut out, name, d.value.trim());
        }
    }
    out
}

/// The bindings of one data value under `name` (see [`field_bindings`]).
fn bind_value(out: &mut Vec<(String, String)>, name: String, value: &str) {
    {
        let value = value.to_string();
        if let Some(code) = value.strip_prefix("%%").and_then(evtriage_core::codes::parse_code_number) {
            let code = evtriage_core::codes::normalize_code(&code.to_string()).unwrap_or(code);
            use evtriage_core::codes::Namespace;
            // An HRESULT (high bit set, `%%2147549471`) reads as hex, as its
            // documentation writes it: `0x8001011F (RPC_E_TIMEOUT)`.
            let label = if code & 0x8000_0000 != 0 {
                match evtriage_core::codes::name(Namespace::Hresult, code) {
                    Some(sym) => format!("0x{code:08X} ({sym})"),
                    None => format!("0x{code:08X}"),
                }
            } else {
                match evtriage_core::codes::name(Namespace::Win32, code) {
                    Some(sym) => format!("{code} ({sym})"),
                    None => code.to_string(),
                }
            };
            // `{<name>_text}`: the error with its message, `1058 (ERROR_SERVICE_DISABLED): The service cannot …`.
            if let Some(text) = evtriage_core::codes::insertion_message(code) {
                out.push((format!("{name}_text"), format!("{label}: {}", text.trim())));
            }
            out.push((format!("{name}_error"), label));
        }
        // `{<name>_hex}`: a decimal number as hexadecimal (`159` → `0x0000009F`;
        // a negative one as its 32-bit pattern, `-1073741819` → `0xC0000005`),
        // and `{<name>_bugcheck}`: the same with the name Microsoft's Bug Check
        // Code Reference gives it, `0x0000009F (DRIVER_POWER_STATE_FAILURE)`.
        if let Some(n) = decimal_u64(&value) {
            let hex = if n <= u64::from(u32::MAX) { format!("0x{n:08X}") } else { format!("0x{n:X}") };
            // A code the reference does not list (0x00010001) shows as its hex alone.
            let listed = u32::try_from(n).ok().and_then(evtriage_core::codes::bug_check);
            out.push((
                format!("{name}_bugcheck"),
                match listed {
                    Some(b) => format!("{hex} ({})", b.name),
                    None => hex.clone(),
                },
            ));
            out.push((format!("{name}_hex"), hex));
        }
        out.push((name, value));
    }
}

/// A field written as a decimal number (`159`, `-1073741819`: a negative
/// value is taken as its 32-bit pattern, as NTSTATUS codes are written).
fn decimal_u64(v: &str) -> Option<u64> {
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if neg {
        let n: i64 = v.parse().ok()?;
        i32::try_from(n).ok().map(|n| u64::from(n as u32))
    } else {
        digits.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_fields_bind_with_error_names() {
        let origin = Origin::new("System.xml".into(), evtriage_core::Locator::Line { line: 3 });
        let mut e = Event::new(Some("Service Control Manager".into()), 7038, origin);
        e.data = vec![
            evtriage_core::DataItem::named("param1", "MSSQLSERVER"),
            evtriage_core::DataItem::named("param2", ".\\sqlsvc"),
            evtriage_core::DataItem::named("param3", "%%1326"),
            evtriage_core::DataItem::unnamed("5"),
        ];
        let b = field_bindings(&e);
        let get = |k: &str| b.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let mut hr = Event::new(Some("Service Control Manager".into()), 7023, e.origin.clone());
        hr.data = vec![evtriage_core::DataItem::named("param2", "%%2147549471")];
        let hb = field_bindings(&hr);
        let hget = |k: &str| hb.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(hget("param2_error"), Some("0x8001011F (RPC_E_TIMEOUT)"));
        assert_eq!(
            hget("param2_text"),
            Some("0x8001011F (RPC_E_TIMEOUT): This operation returned because the timeout period expired.")
        );
        assert_eq!(get("param1"), Some("MSSQLSERVER"));
        assert_eq!(get("param3"), Some("%%1326"));
        assert_eq!(get("param3_error"), Some("1326 (ERROR_LOGON_FAILURE)"));
        assert_eq!(get("param4"), Some("5"));
        assert_eq!(get("param1_error"), None);
        assert_eq!(interpolate("logon failed: {param3_error}", &b), "logon failed: 1326 (ERROR_LOGON_FAILURE)");
    }

    #[test]
    fn interpolation_keeps_unknown_and_literal_braces() {
        let b = vec![("service".to_string(), "IsmServ".to_string()), ("port".to_string(), "25".to_string())];
        assert_eq!(interpolate("sc config {service} start= delayed-auto", &b), "sc config IsmServ start= delayed-auto");
        assert_eq!(interpolate("{unknown} and {port}", &b), "{unknown} and 25");
        assert_eq!(interpolate("ps | ? { $_.Id -eq 4 } {", &b), "ps | ? { $_.Id -eq 4 } {");
        assert_eq!(interpolate("{}{port}", &b), "{}25");
    }
}
