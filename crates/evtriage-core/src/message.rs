//! Rendering an event's message offline, as Event Viewer would show it.
//!
//! On the server, Event Viewer builds an event's text from the provider's
//! message DLL: it takes the message template for the event id, fills in the
//! event's data (`%1`, `%2`, …) and expands every `%%N` insertion into the
//! Win32 message of error N. A support engineer reading an exported `.evtx`
//! on Linux has no message DLLs, so an SCM 7023 reads `param2: %%58` instead of
//! "The specified server cannot perform the requested operation." This module
//! does what Event Viewer does, for the events triage depends on:
//!
//! 1. when the source already carries a rendered message (an XML export's
//!    `RenderingInfo`, a trace record's text), that message is kept;
//! 2. else, when a template is known for (provider, event id), it is filled in
//!    (see [`template`]; the table is the data file
//!    `crates/evtriage-core/data/templates/*.tsv`, compiled in, easy to extend);
//! 3. else the provider, id and data values are shown — never an empty
//!    message. `%%N` values are followed by their Win32 message only for
//!    providers known to use the system message table for insertions
//!    ([`uses_win32_parameters`]); Security-Auditing's `%%1833` is not Win32
//!    error 1833 and is left as written.
//!
//! ## Binary data
//!
//! Some providers put the interesting fact in `EventData/Binary`, which Event
//! Viewer only shows as hex. [`scm_service_key`] decodes the Service Control
//! Manager's (the service **key** name, which is what registry exports and
//! `sc` use, while `param1` is the display name); [`binary_ntstatus`] decodes
//! NETLOGON's NTSTATUS. For events whose template row says the binary is an
//! NTSTATUS or a Win32 code, [`render`] appends one line Event Viewer does not
//! show but a support engineer wants, e.g.
//! `Binary: 0xC0000022 (STATUS_ACCESS_DENIED): {Access Denied} A process has
//! requested access to an object, but has not been granted those access
//! rights.` (the NTSTATUS text when the table has one).

use std::sync::OnceLock;

use crate::codes::{self, Namespace};
use crate::model::Event;

/// The template table, compiled in: one file a group of providers, all in the
/// format `core.tsv`'s header describes.
const TEMPLATE_FILES: &[(&str, &str)] = &[
    ("core.tsv", include_str!("../data/templates/core.tsv")),
    ("system.tsv", include_str!("../data/templates/system.tsv")),
    ("application.tsv", include_str!("../data/templates/application.tsv")),
    ("security.tsv", include_str!("../data/templates/security.tsv")),
];

/// What an event's `EventData/Binary` holds, per template row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryKind {
    /// Nothing worth showing.
    None,
    /// The Service Control Manager's UTF-16LE service key name (see [`scm_service_key`]).
    ServiceKey,
    /// A 4-byte little-endian NTSTATUS (NETLOGON), shown as a suffix line.
    Ntstatus,
    /// A 4-byte little-endian Win32 (or DNS) error code, shown as a suffix line.
    Win32,
}

/// One row of the template table.
#[derive(Debug, Clone)]
pub struct Template {
    /// Provider names the row applies to (matched case-insensitively).
    pub providers: Vec<&'static str>,
    /// The event id.
    pub event_id: u32,
    /// What the event's binary data holds.
    pub binary: BinaryKind,
    /// Whether the wording was taken from a verified source (`exact`) rather
    /// than recalled (`approx`).
    pub exact: bool,
    /// The FormatMessage-style template text.
    pub text: &'static str,
}

fn parse_templates(text: &'static str) -> Vec<Template> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let mut cols = line.splitn(5, '\t');
            let providers: Vec<&'static str> =
                cols.next()?.split('|').map(str::trim).filter(|p| !p.is_empty()).collect();
            let event_id = cols.next()?.trim().parse::<u32>().ok()?;
            let binary = match cols.next()?.trim() {
                "service_key" => BinaryKind::ServiceKey,
                "ntstatus" => BinaryKind::Ntstatus,
                "win32" => BinaryKind::Win32,
                _ => BinaryKind::None,
            };
            let exact = cols.next()?.trim() == "exact";
            let text = cols.next()?;
            (!providers.is_empty()).then_some(Template { providers, event_id, binary, exact, text })
        })
        .collect()
}

/// Every row of the compiled-in template table, parsed on first use.
pub fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| TEMPLATE_FILES.iter().flat_map(|(_, text)| parse_templates(text)).collect())
}

/// The template row for `provider`'s event `event_id`, if the table has one.
pub fn template(provider: &str, event_id: u32) -> Option<&'static Template> {
    // The rows sorted by event id (table order kept among rows of one id),
    // so that a look-up only compares providers of rows for that id: every
    // event of a dumped log is looked up once or twice.
    static BY_ID: OnceLock<Vec<(u32, &'static Template)>> = OnceLock::new();
    let rows = BY_ID.get_or_init(|| {
        let mut v: Vec<(u32, &'static Template)> = templates().iter().map(|t| (t.event_id, t)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    });
    let first = rows.partition_point(|(id, _)| *id < event_id);
    let provider = provider.trim();
    rows.get(first..)?
        .iter()
        .take_while(|(id, _)| *id == event_id)
        .map(|(_, t)| *t)
        .find(|t| t.providers.iter().any(|p| p.eq_ignore_ascii_case(provider)))
}

/// The template row for `event`: by provider name, else by event source name.
pub fn template_for(event: &Event) -> Option<&'static Template> {
    let by = |name: &Option<String>| name.as_deref().and_then(|n| template(n, event.event_id));
    by(&event.provider.name).or_else(|| by(&event.provider.event_source_name))
}

/// The message Event Viewer would show for `event`: the source's own rendered
/// message when it has one, else the known template filled in, else provider,
/// id and data values. Never empty.
pub fn render(event: &Event) -> String {
    let mut s = String::new();
    render_into(event, &mut s);
    s
}

/// Appends [`render`]'s text for `event` to `out`, without allocating for the
/// common cases: for writing many messages into one reused buffer
/// (`evtriage dump` renders every event of a log).
pub fn render_into(event: &Event, out: &mut String) {
    if let Some(m) = &event.message {
        if !m.trim().is_empty() {
            out.push_str(m);
            return;
        }
    }
    if let Some(t) = template_for(event) {
        let start = out.len();
        fill_into(t.text, event, out);
        if let Some(line) = binary_line(t.binary, event) {
            out.push('\n');
            out.push_str(&line);
        }
        if !out.get(start..).unwrap_or_default().trim().is_empty() {
            return;
        }
        out.truncate(start);
    }
    fallback_into(event, out);
}

/// Providers whose `%%N` insertions refer to the system (Win32) message
/// table. Other providers point `%%N` at their own parameter file: in
/// Microsoft-Windows-Security-Auditing 4624, `%%1833` is msobjs.dll's "Yes",
/// not Win32 error 1833; GroupPolicy's `%%4160` is its own text too. Those are
/// left as written rather than rendered wrongly.
///
/// A provider joins this list when its records carry `%%N` values that Event
/// Viewer shows as Win32 messages (checked on a real record or a source
/// quoting one); a template row alone does not make it so.
pub const WIN32_PARAMETER_PROVIDERS: &[&str] = &[
    "Service Control Manager",
    "NETLOGON",
    "EventLog",
    "Microsoft-Windows-DNS-Server-Service",
    "DNS",
    "MSExchangeIMC",
];

/// Whether `%%N` insertions of `provider`'s events are Win32 messages: true
/// for the providers listed in [`WIN32_PARAMETER_PROVIDERS`], false
/// otherwise (their `%%N` values are left as written, in templates too).
pub fn uses_win32_parameters(provider: &str) -> bool {
    let p = provider.trim();
    WIN32_PARAMETER_PROVIDERS.iter().any(|w| w.eq_ignore_ascii_case(p))
}

/// Whether `event`'s provider (or event source) uses Win32 `%%N` insertions.
fn event_uses_win32(event: &Event) -> bool {
    [&event.provider.name, &event.provider.event_source_name]
        .into_iter()
        .any(|n| n.as_deref().is_some_and(uses_win32_parameters))
}

/// Appends `n` in decimal.
fn push_u32(out: &mut String, n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default());
}

/// Provider, id and data values; for providers whose `%%N` values are Win32
/// codes ([`uses_win32_parameters`]), each is followed by its message.
fn fallback_into(event: &Event, out: &mut String) {
    let win32 = event_uses_win32(event);
    match (&event.provider.name, &event.provider.guid) {
        (Some(n), _) if !n.is_empty() => out.push_str(n),
        (Some(_), _) | (None, None) => out.push_str("Event"),
        (None, Some(g)) => out.push_str(&g.to_string()),
    }
    out.push(' ');
    push_u32(out, event.event_id);
    for d in &event.data {
        out.push_str(" | ");
        if let Some(n) = &d.name {
            out.push_str(n);
            out.push('=');
        }
        out.push_str(&d.value);
        if !win32 || find_double_percent(&d.value).is_none() {
            continue;
        }
        // ` (message)` when the value expands to something else.
        let mark = out.len();
        out.push_str(" (");
        expand_insertions_into(&d.value, out);
        let expanded = out.get(mark + 2..).unwrap_or_default();
        if expanded == d.value {
            out.truncate(mark);
            continue;
        }
        let keep = expanded.trim_end().len();
        out.truncate(mark + 2 + keep);
        out.push(')');
    }
}

/// Fills a FormatMessage-style `template` with `event`'s data.
///
/// Supported: `%1`..`%99` (data by position; a data item named `paramN` wins,
/// so reordered or partly named data still lands right; an optional
/// `!printf-format!` suffix is skipped), `%{Name}` (data by name), `%n` line
/// break, `%r` carriage return, `%t` tab, `%b` space, `%%` percent, `%.` and
/// `%!` literal, `%0` end of message, and `%%%N` (data item N rendered as an
/// error-code insertion, for templates like SCM 7024 that take a bare number).
/// A data value of the form `%%N` renders as the Win32 message of N when the
/// event's provider uses Win32 insertions ([`uses_win32_parameters`]); other
/// providers' `%%N` values are kept as written. A reference to data the event does not have is left as written, as Event
/// Viewer does.
pub fn fill(template: &str, event: &Event) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    fill_into(template, event, &mut out);
    out
}

/// [`fill`], appending to `out`.
fn fill_into(template: &str, event: &Event, out: &mut String) {
    let win32 = event_uses_win32(event);
    let value_into = |v: &str, out: &mut String| {
        if win32 {
            expand_insertions_into(v, out)
        } else {
            out.push_str(v)
        }
    };
    let mut rest = template;
    while let Some(pos) = memchr::memchr(b'%', rest.as_bytes()) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let mut chars = after.chars();
        let Some(c) = chars.next() else {
            out.push('%');
            rest = "";
            break;
        };
        match c {
            'n' => {
                out.push('\n');
                rest = &after[1..];
            }
            'r' => {
                out.push('\r');
                rest = &after[1..];
            }
            't' => {
                out.push('\t');
                rest = &after[1..];
            }
            'b' => {
                out.push(' ');
                rest = &after[1..];
            }
            '0' => {
                rest = "";
                break;
            }
            '%' => {
                // `%%%N`: an error-code insertion of data item N.
                let tail = &after[1..];
                if let Some(n_tail) = tail.strip_prefix('%') {
                    let (num, used) = leading_number(n_tail);
                    if let Some(n) = num {
                        match insertion(event, n) {
                            Some(v) => insertion_text_into(v.trim(), out),
                            None => out.push_str(&rest[pos..pos + 3 + used]),
                        }
                        rest = &n_tail[used..];
                        continue;
                    }
                }
                out.push('%');
                rest = tail;
            }
            '{' => match after.find('}') {
                Some(end) => {
                    let name = &after[1..end];
                    match event.data_named(name) {
                        Some(v) => value_into(v, out),
                        None => out.push_str(&rest[pos..pos + 2 + end]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('%');
                    rest = after;
                }
            },
            c if c.is_ascii_digit() => {
                let (num, used) = leading_number(after);
                let mut consumed = used;
                // Skip an optional `!format!` spec (FormatMessage printf style).
                if let Some(spec) = after[used..].strip_prefix('!') {
                    if let Some(end) = spec.find('!') {
                        consumed += end + 2;
                    }
                }
                match num.and_then(|n| insertion(event, n)) {
                    Some(v) => value_into(v, out),
                    None => out.push_str(&rest[pos..pos + 1 + consumed]),
                }
                rest = &after[consumed..];
            }
            other => {
                // `%.`, `%!` and any other escaped character stand for themselves.
                out.push(other);
                rest = chars.as_str();
            }
        }
    }
    out.push_str(rest);
}

/// The leading decimal number of `s` (at most two digits, as FormatMessage)
/// and how many bytes it used.
fn leading_number(s: &str) -> (Option<usize>, usize) {
    let used = s.bytes().take(2).take_while(u8::is_ascii_digit).count();
    (s.get(..used).and_then(|d| d.parse::<usize>().ok()).filter(|n| *n > 0), used)
}

/// Whether `name` is `param` + `n` in decimal (ASCII case-insensitive), as
/// `format!("param{n}")` compared with `eq_ignore_ascii_case`.
fn is_param_n(name: &str, n: usize) -> bool {
    let Some((head, digits)) = name.split_at_checked(5) else { return false };
    head.eq_ignore_ascii_case("param")
        && !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<usize>() == Ok(n)
}

/// Data item `n` (1-based): the item named `paramN` if any, else by position.
fn insertion(event: &Event, n: usize) -> Option<&str> {
    let named = event.data.iter().find(|d| d.name.as_deref().is_some_and(|name| is_param_n(name, n)));
    match named {
        Some(d) => Some(d.value.as_str()),
        None => event.data_at(n.checked_sub(1)?),
    }
}

/// Appends the text of an error-code insertion: the Win32 message of `code`
/// text (`58`, `%%58`, `2147942414`), or `%%` and the text when it is not a
/// known code.
fn insertion_text_into(value: &str, out: &mut String) {
    let digits = value.strip_prefix("%%").unwrap_or(value);
    match codes::parse_code_number(digits).and_then(codes::insertion_message) {
        Some(m) => out.push_str(m),
        None => {
            out.push_str("%%");
            out.push_str(digits);
        }
    }
}

/// Expands every `%%N` insertion reference inside `value` into the Win32
/// message of N (also the HRESULT form, `%%2147942414` → Win32 14's
/// message). References to unknown codes are left as written.
pub fn expand_insertions(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    expand_insertions_into(value, &mut out);
    out
}

/// The position of the first `%%` in `s` (as `s.find("%%")`, without
/// building a substring searcher for every short value).
fn find_double_percent(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'%', b.get(from..)?) {
        let at = from + p;
        if b.get(at + 1) == Some(&b'%') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// [`expand_insertions`], appending to `out`.
fn expand_insertions_into(value: &str, out: &mut String) {
    let mut rest = value;
    while let Some(pos) = find_double_percent(rest) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let neg = usize::from(after.starts_with('-'));
        let digits = after[neg..].bytes().take_while(u8::is_ascii_digit).count();
        let token = &after[..neg + digits];
        match (digits > 0).then(|| codes::parse_code_number(token)).flatten().and_then(codes::insertion_message) {
            Some(m) => out.push_str(m),
            None => {
                out.push_str("%%");
                out.push_str(token);
            }
        }
        rest = &after[neg + digits..];
    }
    out.push_str(rest);
}

/// The suffix line for an event's binary data, per its template row.
fn binary_line(kind: BinaryKind, event: &Event) -> Option<String> {
    match kind {
        BinaryKind::Ntstatus => {
            let code = binary_ntstatus(event)?;
            Some(match (codes::name(Namespace::Ntstatus, code), codes::message(Namespace::Ntstatus, code)) {
                (Some(n), Some(m)) => format!("Binary: 0x{code:08X} ({n}): {m}"),
                (Some(n), None) => format!("Binary: 0x{code:08X} ({n})"),
                _ => format!("Binary: 0x{code:08X}"),
            })
        }
        BinaryKind::Win32 => {
            let code = binary_u32(event)?;
            Some(match (codes::name(Namespace::Win32, code), codes::win32_message(code)) {
                (Some(n), Some(m)) => format!("Binary: {code} (0x{code:X}, {n}): {m}"),
                (Some(n), None) => format!("Binary: {code} (0x{code:X}, {n})"),
                _ => format!("Binary: {code} (0x{code:X})"),
            })
        }
        BinaryKind::ServiceKey | BinaryKind::None => None,
    }
}

/// The event's binary data read as one little-endian 32-bit value, when it is
/// exactly 4 bytes long.
fn binary_u32(event: &Event) -> Option<u32> {
    let b: [u8; 4] = event.binary.as_deref()?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// The NTSTATUS in an event's binary data: exactly 4 bytes, little-endian,
/// with a non-success severity (≥ `0x40000000`). NETLOGON 5719 writes
/// `5E0000C0` = `0xC000005E` (`STATUS_NO_LOGON_SERVERS`); 5722 and 5805 do the
/// same. Any provider's event is read this way; small values (Win32 codes,
/// success) are rejected.
pub fn binary_ntstatus(event: &Event) -> Option<u32> {
    binary_u32(event).filter(|v| *v >= 0x4000_0000)
}

/// A Service Control Manager event's service, decoded from its data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceKey {
    /// The service key name (`HKLM\SYSTEM\CurrentControlSet\Services\<name>`), e.g. `IsmServ`.
    pub name: String,
    /// For 7036: the state code after the `/` (1 stopped, 2 start pending,
    /// 3 stop pending, 4 running, 5 continue pending, 6 pause pending, 7 paused).
    pub state: Option<u32>,
}

/// The service key of a Service Control Manager event.
///
/// SCM's `EventData/Binary` is the service key name in UTF-16LE plus a NUL
/// (`4D005300…0000` = `MSSQLSERVER`); for 7036 it is `KEY/STATE`
/// (`ScDeviceEnum/4`), split here into key and state. 7040 has no binary but
/// carries the key name as `param4`. Returns `None` for other providers, for
/// events without such data, and for binary data that is not valid UTF-16 text.
pub fn scm_service_key(event: &Event) -> Option<ServiceKey> {
    let is_scm =
        |n: &Option<String>| n.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case("Service Control Manager"));
    if !is_scm(&event.provider.name) && !is_scm(&event.provider.event_source_name) {
        return None;
    }
    if event.event_id == 7040 {
        let key = event.field("param4")?.trim();
        return (!key.is_empty()).then(|| ServiceKey { name: key.to_string(), state: None });
    }
    let text = utf16le_until_nul(event.binary.as_deref()?)?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if event.event_id == 7036 {
        if let Some((key, state)) = text.rsplit_once('/') {
            if let Ok(state) = state.trim().parse::<u32>() {
                return Some(ServiceKey { name: key.to_string(), state: Some(state) });
            }
        }
    }
    Some(ServiceKey { name: text.to_string(), state: None })
}

/// Decodes UTF-16LE up to the first NUL (or the end); `None` if the bytes are
/// an odd count before the NUL (the dangling byte becomes a lone surrogate),
/// or not valid UTF-16, or contain control characters.
fn utf16le_until_nul(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> =
        bytes.chunks(2).map(|p| if let [lo, hi] = p { u16::from_le_bytes([*lo, *hi]) } else { 0xD800 }).collect();
    let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
    let s = char::decode_utf16(units.get(..end)?.iter().copied()).collect::<Result<String, _>>().ok()?;
    (!s.chars().any(char::is_control)).then_some(s)
}
