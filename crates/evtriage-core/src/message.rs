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
//! 1. when the event already carries a rendered message, that message is
//!    kept: the input's own (an XML export's `RenderingInfo`, a text
//!    export's message, a trace record's text), a rendered twin's lent to the
//!    binary record, or the log's LocaleMetaData's
//!    ([`Event::message_source`] says which);
//! 2. else, when a template is known for (provider, event id), it is filled in
//!    (see [`template`]; the table is the data file
//!    `crates/evtriage-core/data/templates/*.tsv`, compiled in, easy to extend);
//! 3. else the provider, id and data values are shown — never an empty
//!    message.
//!
//! ## `%%N` insertions
//!
//! A data value written `%%N` is a reference to message N of a *parameter
//! file*, which one depends on the provider ([`insertion_rule`]):
//! - providers known to use the system message table
//!   ([`WIN32_PARAMETER_PROVIDERS`]): N is a Win32 error (or an HRESULT
//!   written in decimal), e.g. SCM 7023's `%%1058`;
//! - Microsoft-Windows-Security-Auditing ([`SECURITY_PARAMETER_PROVIDERS`]):
//!   N is one of msobjs.dll's parameter strings, compiled in from
//!   `crates/evtriage-core/data/templates/security-parameters.tsv`
//!   (`%%1833` = "Impersonation", `%%1842` = "Yes", `%%4416` = "ReadData (or
//!   ListDirectory)"), not Win32 error 1833;
//! - any other provider: left as written (GroupPolicy's `%%4160` is its own
//!   text, which we do not have).
//!
//! Codes a table does not know stay as written. Templates and the fallback
//! apply the same rule; the fallback shows the text after the value,
//! `ImpersonationLevel=%%1833 (Impersonation)`.
//!
//! ## Versions
//!
//! A template row may be for one event version (`4624/0`): manifest
//! providers such as Security-Auditing changed an event's message between
//! versions, and records of each version are found in the same logs. A
//! record takes the row for its version, else the row without a version.
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
use crate::model::{Event, MessageSource};

/// The template table, compiled in: one file a group of providers, all in the
/// format `core.tsv`'s header describes.
const TEMPLATE_FILES: &[(&str, &str)] = &[
    ("core.tsv", include_str!("../data/templates/core.tsv")),
    ("system.tsv", include_str!("../data/templates/system.tsv")),
    ("application.tsv", include_str!("../data/templates/application.tsv")),
    ("security.tsv", include_str!("../data/templates/security.tsv")),
];

/// Security-Auditing's parameter strings (msobjs.dll), compiled in: `code<TAB>text` a line.
const SECURITY_PARAMETERS: &str = include_str!("../data/templates/security-parameters.tsv");

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
    /// The event version the row is for (`4624/0` in the table), or `None`
    /// for a row that applies to any version without a row of its own.
    pub version: Option<u8>,
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
            // `4624` (any version) or `4624/0` (version 0 only).
            let id = cols.next()?.trim();
            let (event_id, version) = match id.split_once('/') {
                Some((id, v)) => (id.parse::<u32>().ok()?, Some(v.parse::<u8>().ok()?)),
                None => (id.parse::<u32>().ok()?, None),
            };
            let binary = match cols.next()?.trim() {
                "service_key" => BinaryKind::ServiceKey,
                "ntstatus" => BinaryKind::Ntstatus,
                "win32" => BinaryKind::Win32,
                _ => BinaryKind::None,
            };
            let exact = cols.next()?.trim() == "exact";
            let text = cols.next()?;
            (!providers.is_empty()).then_some(Template { providers, event_id, version, binary, exact, text })
        })
        .collect()
}

/// Every row of the compiled-in template table, parsed on first use.
pub fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| TEMPLATE_FILES.iter().flat_map(|(_, text)| parse_templates(text)).collect())
}

/// The template row for `provider`'s event `event_id`, if the table has one:
/// the row without a version, else the first row of any version. For a
/// record, [`template_for`] picks the row of its version.
pub fn template(provider: &str, event_id: u32) -> Option<&'static Template> {
    let mut rows = rows_for(provider, event_id);
    let first = rows.next()?;
    if first.version.is_none() {
        return Some(first);
    }
    rows.find(|t| t.version.is_none()).or(Some(first))
}

/// The template row for `provider`'s event `event_id` of version `version`:
/// the row for that version, else the row without a version.
pub fn template_for_version(provider: &str, event_id: u32, version: Option<u8>) -> Option<&'static Template> {
    let mut any = None;
    for t in rows_for(provider, event_id) {
        match t.version {
            Some(v) if Some(v) == version => return Some(t),
            Some(_) => {}
            None => any = any.or(Some(t)),
        }
    }
    any
}

/// The rows for (`provider`, `event_id`), in table order.
fn rows_for(provider: &str, event_id: u32) -> impl Iterator<Item = &'static Template> + '_ {
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
    rows.get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(move |(id, _)| *id == event_id)
        .map(|(_, t)| *t)
        .filter(move |t| t.providers.iter().any(|p| p.eq_ignore_ascii_case(provider)))
}

/// The template row for `event`: by provider name, else by event source
/// name; the row for the event's version, else the row without a version.
pub fn template_for(event: &Event) -> Option<&'static Template> {
    if processing_error(event) {
        return None;
    }
    let by =
        |name: &Option<String>| name.as_deref().and_then(|n| template_for_version(n, event.event_id, event.version));
    by(&event.provider.name).or_else(|| by(&event.provider.event_source_name))
}

/// Which of `event`'s data items its template shows (by position, by
/// `paramN` name or by `%{Name}`), one flag per item; `None` when no
/// template applies. What a template does not show, Event Viewer keeps in
/// its Details tab (who cleared a log, a version number…).
pub fn shown_by_template(event: &Event) -> Option<Vec<bool>> {
    let t = template_for(event)?;
    let mut shown = vec![false; event.data.len()];
    let mut rest = t.text;
    while let Some(pos) = memchr::memchr(b'%', rest.as_bytes()) {
        let after = rest.get(pos + 1..).unwrap_or_default();
        if let Some(r) = after.strip_prefix("%%") {
            // `%%%N`: data item N as an error code.
            let (n, used) = leading_number(r);
            mark_insertion(event, n, &mut shown);
            rest = r.get(used..).unwrap_or_default();
        } else if let Some(r) = after.strip_prefix('%') {
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r.find('}').unwrap_or(r.len());
            let name = r.get(..end).unwrap_or_default();
            for (d, flag) in event.data.iter().zip(shown.iter_mut()) {
                if d.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
                    *flag = true;
                }
            }
            rest = r.get(end..).unwrap_or_default();
        } else {
            let (n, used) = leading_number(after);
            mark_insertion(event, n, &mut shown);
            rest = after.get(used.max(1).min(after.len())..).unwrap_or_default();
        }
    }
    Some(shown)
}

/// Marks the data item insertion `n` refers to (see [`insertion`]).
fn mark_insertion(event: &Event, n: Option<usize>, shown: &mut [bool]) {
    let Some(n) = n else { return };
    let named = event.data.iter().position(|d| d.name.as_deref().is_some_and(|name| is_param_n(name, n)));
    if let Some(flag) = named.or_else(|| n.checked_sub(1)).and_then(|i| shown.get_mut(i)) {
        *flag = true;
    }
}

/// Whether `event` holds Windows' `ProcessingErrorData` instead of its own
/// data: when a record's values did not fit its template, the event log
/// service writes `ErrorCode`, `DataItemName` and the raw `EventPayload`
/// (hex) instead. No template fits such a record; [`render`] shows the
/// payload's strings (see [`payload_strings`]).
pub fn processing_error(event: &Event) -> bool {
    event.data_named("EventPayload").is_some() && event.data_named("ErrorCode").is_some()
}

/// The UTF-16LE strings of a `ProcessingErrorData` payload (hex), when it
/// holds only such strings, NUL-terminated: `Administrator`, `EC2AMAZ-…`,
/// `System` for a 104 whose values did not fit. `None` for other payloads.
pub fn payload_strings(hex: &str) -> Option<Vec<String>> {
    let bytes = crate::display::from_hex(hex.trim())?;
    if bytes.len() % 2 != 0 || bytes.is_empty() {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|p| if let [lo, hi] = p { u16::from_le_bytes([*lo, *hi]) } else { 0 });
    let text = char::decode_utf16(units).collect::<Result<String, _>>().ok()?;
    if text.chars().any(|c| c.is_control() && c != '\0') {
        return None;
    }
    let strings: Vec<String> = text.split('\0').filter(|s| !s.is_empty()).map(str::to_string).collect();
    (!strings.is_empty()).then_some(strings)
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
    render_with_source_into(event, out);
}

/// [`render_into`], telling where the text came from: the event's own
/// message (its [`Event::message_source`], `Input` when unset), the template
/// table, or the raw fallback.
pub fn render_with_source_into(event: &Event, out: &mut String) -> MessageSource {
    if let Some(m) = own_message(event) {
        out.push_str(m);
        return event.message_source.unwrap_or(MessageSource::Input);
    }
    if let Some(t) = template_for(event) {
        let start = out.len();
        fill_into(t.text, event, out);
        if let Some(line) = binary_line(t.binary, event) {
            out.push('\n');
            out.push_str(&line);
        }
        if !out.get(start..).unwrap_or_default().trim().is_empty() {
            return MessageSource::Table;
        }
        out.truncate(start);
    }
    fallback_into(event, out);
    MessageSource::Raw
}

/// The event's own message, when it has one that is not blank.
fn own_message(event: &Event) -> Option<&str> {
    event.message.as_deref().filter(|m| !m.trim().is_empty())
}

/// Where the message [`render`] shows for `event` comes from, without
/// rendering it: its own message's source (`Input` when unset), else
/// `Table` when a template row applies, else `Raw`. (A template that fills
/// to blank text falls back to `Raw` in [`render_with_source_into`]; no
/// row of the table does.)
pub fn source_of(event: &Event) -> MessageSource {
    if own_message(event).is_some() {
        event.message_source.unwrap_or(MessageSource::Input)
    } else if template_for(event).is_some() {
        MessageSource::Table
    } else {
        MessageSource::Raw
    }
}

/// Providers whose `%%N` insertions refer to the system (Win32) message
/// table. Other providers point `%%N` at their own parameter file: in
/// Microsoft-Windows-Security-Auditing 4624, `%%1833` is msobjs.dll's
/// "Impersonation", not Win32 error 1833 (see
/// [`SECURITY_PARAMETER_PROVIDERS`]); GroupPolicy's `%%4160` is its own text
/// too, left as written rather than rendered wrongly.
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

/// Providers whose `%%N` insertions are msobjs.dll's parameter strings (the
/// security audit parameter file), rendered from
/// `data/templates/security-parameters.tsv` ([`security_parameter`]).
/// Microsoft-Windows-Eventlog's Security-channel events (1100, 1102, …) carry
/// no `%%N` values in the corpus and are not listed.
pub const SECURITY_PARAMETER_PROVIDERS: &[&str] = &["Microsoft-Windows-Security-Auditing"];

/// Which table a provider's `%%N` data values refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertionRule {
    /// Win32 errors (and HRESULTs in decimal): [`WIN32_PARAMETER_PROVIDERS`].
    Win32,
    /// msobjs.dll's parameter strings: [`SECURITY_PARAMETER_PROVIDERS`].
    SecurityAudit,
    /// Unknown: values are kept as written.
    Verbatim,
}

impl InsertionRule {
    /// The text of `%%token` under this rule (`token` is the digits after
    /// `%%`, possibly with a leading `-`), if known.
    fn text(self, token: &str) -> Option<&'static str> {
        match self {
            InsertionRule::Win32 => codes::parse_code_number(token).and_then(codes::insertion_message),
            InsertionRule::SecurityAudit => token.parse::<u32>().ok().and_then(security_parameter),
            InsertionRule::Verbatim => None,
        }
    }
}

/// The insertion rule of `provider`'s events.
pub fn insertion_rule(provider: &str) -> InsertionRule {
    let p = provider.trim();
    if WIN32_PARAMETER_PROVIDERS.iter().any(|w| w.eq_ignore_ascii_case(p)) {
        InsertionRule::Win32
    } else if SECURITY_PARAMETER_PROVIDERS.iter().any(|w| w.eq_ignore_ascii_case(p)) {
        InsertionRule::SecurityAudit
    } else {
        InsertionRule::Verbatim
    }
}

/// Whether `%%N` insertions of `provider`'s events are Win32 messages: true
/// for the providers listed in [`WIN32_PARAMETER_PROVIDERS`].
pub fn uses_win32_parameters(provider: &str) -> bool {
    insertion_rule(provider) == InsertionRule::Win32
}

/// The insertion rule of `event`: its provider's, else its event source's.
fn event_insertion_rule(event: &Event) -> InsertionRule {
    [&event.provider.name, &event.provider.event_source_name]
        .into_iter()
        .flatten()
        .map(|n| insertion_rule(n))
        .find(|r| *r != InsertionRule::Verbatim)
        .unwrap_or(InsertionRule::Verbatim)
}

/// The text of Security-Auditing's parameter `%%code` (msobjs.dll), if
/// `security-parameters.tsv` has it: `1833` → "Impersonation".
pub fn security_parameter(code: u32) -> Option<&'static str> {
    static TABLE: OnceLock<Vec<(u32, &'static str)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut v: Vec<(u32, &'static str)> = SECURITY_PARAMETERS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (code, text) = l.split_once('\t')?;
                Some((code.trim().parse::<u32>().ok()?, text))
            })
            .collect();
        v.sort_by_key(|(c, _)| *c);
        v
    });
    let i = table.binary_search_by_key(&code, |(c, _)| *c).ok()?;
    table.get(i).map(|(_, t)| *t)
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

/// Provider, id and data values; a value holding `%%N` insertions the
/// provider's rule knows ([`insertion_rule`]) is followed by its text.
fn fallback_into(event: &Event, out: &mut String) {
    let rule = event_insertion_rule(event);
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
        match (d.name.as_deref(), payload_strings(&d.value)) {
            (Some("EventPayload"), Some(strings)) if processing_error(event) => out.push_str(&strings.join(" | ")),
            _ => out.push_str(&d.value),
        }
        if rule == InsertionRule::Verbatim || find_double_percent(&d.value).is_none() {
            continue;
        }
        // ` (message)` when the value expands to something else.
        let mark = out.len();
        out.push_str(" (");
        expand_with(rule, &d.value, out);
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
/// `%%N` insertions inside data values render by the provider's rule
/// ([`insertion_rule`]: Win32 message, Security-Auditing parameter string, or
/// as written). A reference to data the event does not have is left as
/// written, as Event Viewer does.
pub fn fill(template: &str, event: &Event) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    fill_into(template, event, &mut out);
    out
}

/// [`fill`], appending to `out`.
fn fill_into(template: &str, event: &Event, out: &mut String) {
    let rule = event_insertion_rule(event);
    let value_into = |v: &str, out: &mut String| match rule {
        InsertionRule::Verbatim => out.push_str(v),
        rule => expand_with(rule, v, out),
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
    expand_with(InsertionRule::Win32, value, out)
}

/// Expands every `%%N` inside `value` by `rule`, appending to `out`; codes the
/// rule does not know are left as written.
fn expand_with(rule: InsertionRule, value: &str, out: &mut String) {
    let mut rest = value;
    while let Some(pos) = find_double_percent(rest) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let neg = usize::from(after.starts_with('-'));
        let digits = after[neg..].bytes().take_while(u8::is_ascii_digit).count();
        let token = &after[..neg + digits];
        match (digits > 0).then(|| rule.text(token)).flatten() {
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
