//! One `<Event>` element of the Windows event schema, parsed into an [`Event`].
//!
//! The same XML shape reaches us from many places: Event Viewer "Save as
//! XML", `wevtutil qe /f:xml`, `tracerpt -of XML`, and evtx records that the
//! binary decoder renders as XML when their template is odd. All of them go
//! through [`event_from_xml`], so that an event means the same thing whatever
//! tool exported it.
//!
//! The parser streams with `quick-xml` (no DOM): one pass, element names are
//! compared by local name (any namespace prefix or none), attributes may use
//! single or double quotes, entities and character references are decoded.
//! What it reads:
//!
//! - `System`: `Provider` (`Name`, `Guid`, `EventSourceName`), `EventID` and
//!   its `Qualifiers`, `Version`, `Level`, `Task`, `Opcode`, `Keywords` (hex or
//!   decimal), `TimeCreated/@SystemTime` (any RFC 3339 form, any number of
//!   fractional digits, `Z` or an offset such as `-08:00`, converted to UTC),
//!   `EventRecordID`, `Correlation` (`ActivityID`, `RelatedActivityID`),
//!   `Execution` (`ProcessID`, `ThreadID`, and `ProcessorID` — tracerpt writes
//!   it — into [`TraceInfo::processor`]), `Channel`, `Computer`,
//!   `Security/@UserID`;
//! - `EventData`: every `<Data>`, named or not, in order (an empty `<Data/>`
//!   is kept as `""` so that positions stay right), and `<Binary>` (hex);
//! - `UserData`: flattened — each leaf element below the wrapper element
//!   becomes a data item named by its local name, and
//!   [`Event::data_section`] is [`DataSection::UserData`];
//! - `RenderingInfo/Message` into [`Event::message`], and its `Level`,
//!   `Task`, `Opcode` and `Keywords/Keyword` into [`Event::display`].
//!
//! For documents holding many events (an `<Events>` wrapper, or `wevtutil`
//! output with `<Event>` elements back to back and no declaration),
//! [`XmlEvents`] yields them one by one and survives a malformed or truncated
//! element: that element becomes a [`Diagnostic`] with its line number and the
//! next one is read.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader as XmlReader;

use crate::diag::Diagnostic;
use crate::model::{DataItem, DataSection, Event, Guid, Locator, Origin, TraceInfo};

/// Why an `<Event>` element could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlEventError {
    /// The XML is not well formed.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed {
        /// Byte offset (in the text given) where the parser stopped.
        position: u64,
        /// The XML parser's reason.
        reason: String,
    },
    /// The text ends before the `<Event>` element is closed.
    #[error("the <Event> element is truncated (no closing </Event>)")]
    Truncated,
    /// The text holds no `<Event>` element (the root element is something else, or there is none).
    #[error("no <Event> element found{}", found.as_ref().map(|f| format!(" (root element is <{f}>)")).unwrap_or_default())]
    NoEvent {
        /// The local name of the root element found instead, if any.
        found: Option<String>,
    },
}

/// Where the parser is inside the `<Event>` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Directly in `<Event>`, or in an element we do not read.
    Other,
    System,
    EventData,
    UserData,
    RenderingInfo,
}

/// Which text-valued element is being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    EventId,
    Version,
    Level,
    Task,
    Opcode,
    Keywords,
    RecordId,
    Channel,
    Computer,
    Data,
    Binary,
    UserLeaf,
    Message,
    /// `RenderingInfo/Level`, `Task`, `Opcode`, `Keywords/Keyword`: display names.
    ShownLevel,
    ShownTask,
    ShownOpcode,
    ShownKeyword,
}

/// Parses one `<Event>` element (namespaced or not) into an [`Event`] whose
/// origin is `origin`. See the [module docs](self) for what is read.
///
/// Leading text before the element (an XML declaration, whitespace, a BOM
/// already decoded) is allowed; anything after the closing `</Event>` is
/// ignored. Values that do not parse as their type (a `Level` of `abc`) are
/// left `None` rather than failing the whole event.
pub fn event_from_xml(xml: &str, origin: Origin) -> Result<Event, XmlEventError> {
    let mut reader = XmlReader::from_str(xml);
    {
        let cfg = reader.config_mut();
        cfg.trim_text(false);
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }
    let mut ev = Event::new(None, 0, origin);
    // Depth 1 = inside <Event>.
    let mut depth: usize = 0;
    let mut section = Section::Other;
    let mut field: Option<Field> = None;
    // Depth of the element whose text `field` collects.
    let mut field_depth: usize = 0;
    let mut text = String::new();
    let mut data_name: Option<String> = None;
    // UserData leaf candidate: (name, depth at which it was opened).
    let mut leaf: Option<(String, usize)> = None;
    let mut started = false;

    loop {
        let position = reader.buffer_position();
        let item = match reader.read_event() {
            Ok(item) => item,
            Err(e) => {
                if !started {
                    return Err(XmlEventError::Malformed { position, reason: e.to_string() });
                }
                return Err(XmlEventError::Malformed { position: reader.error_position(), reason: e.to_string() });
            }
        };
        match item {
            XmlEvent::Start(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if !started {
                    if name != b"Event" {
                        return Err(XmlEventError::NoEvent { found: Some(String::from_utf8_lossy(name).into_owned()) });
                    }
                    started = true;
                    depth = 1;
                    continue;
                }
                depth += 1;
                if inside_value(field, field_depth, depth) {
                    continue; // markup nested in a value: its text still counts
                }
                if open_element(&e, name, depth, &mut ev, &mut section, &mut field, &mut data_name, &mut leaf) {
                    field_depth = depth;
                }
                text.clear();
            }
            XmlEvent::Empty(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if !started {
                    if name == b"Event" {
                        return Ok(ev);
                    }
                    return Err(XmlEventError::NoEvent { found: Some(String::from_utf8_lossy(name).into_owned()) });
                }
                // An empty element opens and closes at depth + 1.
                let d = depth + 1;
                if inside_value(field, field_depth, d) {
                    continue;
                }
                let mut sec = section;
                if open_element(&e, name, d, &mut ev, &mut sec, &mut field, &mut data_name, &mut leaf) {
                    text.clear();
                    close_element(d, &mut ev, &mut field, &mut text, &mut data_name, &mut leaf);
                }
            }
            XmlEvent::Text(t) => {
                if started && (field.is_some() || leaf.is_some()) {
                    match t.unescape() {
                        Ok(s) => text.push_str(&s),
                        // An undeclared entity: keep the raw text rather than lose the value.
                        Err(_) => text.push_str(&String::from_utf8_lossy(t.as_ref())),
                    }
                }
            }
            XmlEvent::CData(t) => {
                if started && (field.is_some() || leaf.is_some()) {
                    text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            XmlEvent::End(_) => {
                if !started {
                    continue;
                }
                if depth == 1 {
                    return Ok(ev);
                }
                if !inside_value(field, field_depth, depth) {
                    close_element(depth, &mut ev, &mut field, &mut text, &mut data_name, &mut leaf);
                }
                depth -= 1;
                if depth == 1 {
                    section = Section::Other;
                }
            }
            XmlEvent::Eof => {
                return Err(if started { XmlEventError::Truncated } else { XmlEventError::NoEvent { found: None } });
            }
            XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) | XmlEvent::DocType(_) => {}
        }
    }
}

/// Whether an element at `depth` sits inside the value being collected
/// (e.g. markup inside `<Data>`), so it must not end the value. UserData
/// leaves are exempt: a child there means the parent was not a leaf.
fn inside_value(field: Option<Field>, field_depth: usize, depth: usize) -> bool {
    matches!(field, Some(f) if f != Field::UserLeaf) && depth > field_depth
}

/// Handles an opening tag at `depth` (2 = a child of `<Event>`); returns
/// whether it starts a value to collect.
#[allow(clippy::too_many_arguments)]
fn open_element(
    e: &BytesStart<'_>,
    name: &[u8],
    depth: usize,
    ev: &mut Event,
    section: &mut Section,
    field: &mut Option<Field>,
    data_name: &mut Option<String>,
    leaf: &mut Option<(String, usize)>,
) -> bool {
    if depth == 2 {
        *section = match name {
            b"System" => Section::System,
            b"EventData" => Section::EventData,
            b"UserData" => {
                ev.data_section = DataSection::UserData;
                Section::UserData
            }
            b"RenderingInfo" => Section::RenderingInfo,
            _ => Section::Other,
        };
        *field = None;
        return false;
    }
    match *section {
        Section::System if depth == 3 => {
            *field = match name {
                b"Provider" => {
                    for (k, v) in attrs(e) {
                        match k.as_str() {
                            "Name" => ev.provider.name = non_empty(v),
                            "Guid" => ev.provider.guid = Guid::parse(&v),
                            "EventSourceName" => ev.provider.event_source_name = non_empty(v),
                            _ => {}
                        }
                    }
                    None
                }
                b"EventID" => {
                    for (k, v) in attrs(e) {
                        if k == "Qualifiers" {
                            ev.qualifiers = parse_num(&v);
                        }
                    }
                    Some(Field::EventId)
                }
                b"TimeCreated" => {
                    for (k, v) in attrs(e) {
                        if k == "SystemTime" {
                            if let Some(t) = parse_system_time(&v) {
                                ev.time = Some(t);
                            }
                        }
                    }
                    None
                }
                b"Correlation" => {
                    for (k, v) in attrs(e) {
                        match k.as_str() {
                            "ActivityID" => ev.activity_id = Guid::parse(&v),
                            "RelatedActivityID" => ev.related_activity_id = Guid::parse(&v),
                            _ => {}
                        }
                    }
                    None
                }
                b"Execution" => {
                    for (k, v) in attrs(e) {
                        match k.as_str() {
                            "ProcessID" => ev.process_id = parse_num(&v),
                            "ThreadID" => ev.thread_id = parse_num(&v),
                            "ProcessorID" => {
                                if let Some(p) = parse_num::<u32>(&v) {
                                    ev.trace.get_or_insert_with(Box::<TraceInfo>::default).processor = Some(p);
                                }
                            }
                            _ => {}
                        }
                    }
                    None
                }
                b"Security" => {
                    for (k, v) in attrs(e) {
                        if k == "UserID" {
                            ev.user_sid = non_empty(v);
                        }
                    }
                    None
                }
                b"Version" => Some(Field::Version),
                b"Level" => Some(Field::Level),
                b"Task" => Some(Field::Task),
                b"Opcode" => Some(Field::Opcode),
                b"Keywords" => Some(Field::Keywords),
                b"EventRecordID" => Some(Field::RecordId),
                b"Channel" => Some(Field::Channel),
                b"Computer" => Some(Field::Computer),
                _ => None,
            };
        }
        Section::EventData if depth == 3 => {
            *field = match name {
                b"Data" => {
                    *data_name = None;
                    for (k, v) in attrs(e) {
                        if k == "Name" {
                            *data_name = Some(v);
                        }
                    }
                    Some(Field::Data)
                }
                b"Binary" => Some(Field::Binary),
                _ => None,
            };
        }
        Section::UserData if depth >= 4 => {
            // Below the wrapper element: a new child means the previous
            // candidate was not a leaf.
            *leaf = Some((String::from_utf8_lossy(name).into_owned(), depth));
            *field = Some(Field::UserLeaf);
        }
        Section::RenderingInfo if depth == 3 => {
            *field = match name {
                b"Message" => Some(Field::Message),
                b"Level" => Some(Field::ShownLevel),
                b"Task" => Some(Field::ShownTask),
                b"Opcode" => Some(Field::ShownOpcode),
                _ => None,
            };
        }
        Section::RenderingInfo if depth == 4 => {
            *field = (name == b"Keyword").then_some(Field::ShownKeyword);
        }
        _ => *field = None,
    }
    field.is_some()
}

/// Handles a closing tag at `depth`, storing the collected text.
fn close_element(
    depth: usize,
    ev: &mut Event,
    field: &mut Option<Field>,
    text: &mut String,
    data_name: &mut Option<String>,
    leaf: &mut Option<(String, usize)>,
) {
    let Some(f) = field.take() else {
        text.clear();
        return;
    };
    let t = std::mem::take(text);
    let v = t.trim();
    match f {
        Field::EventId => ev.event_id = parse_num(v).unwrap_or(0),
        Field::Version => ev.version = parse_num(v),
        Field::Level => ev.level = parse_num(v),
        Field::Task => ev.task = parse_num(v),
        Field::Opcode => ev.opcode = parse_num(v),
        Field::Keywords => ev.keywords = parse_num(v),
        Field::RecordId => ev.record_id = parse_num(v),
        Field::Channel => ev.channel = non_empty(v.to_string()),
        Field::Computer => ev.computer = non_empty(v.to_string()),
        Field::Data => ev.data.push(DataItem { name: data_name.take(), value: t }),
        Field::Binary => {
            if !v.is_empty() {
                ev.binary = crate::display::from_hex(v);
            }
        }
        Field::UserLeaf => {
            if let Some((name, d)) = leaf.take() {
                if d == depth {
                    ev.data.push(DataItem::named(name, t));
                }
            }
        }
        Field::Message => ev.message = non_empty(t),
        Field::ShownLevel | Field::ShownTask | Field::ShownOpcode | Field::ShownKeyword => {
            let Some(v) = non_empty(v.to_string()) else { return };
            let names = ev.display.get_or_insert_with(Default::default);
            match f {
                Field::ShownLevel => names.level = Some(v),
                Field::ShownTask => names.task = Some(v),
                Field::ShownOpcode => names.opcode = Some(v),
                _ => names.keywords.push(v),
            }
        }
    }
}

/// The attributes of `e` as (local name, unescaped value); malformed ones are dropped.
fn attrs(e: &BytesStart<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in e.attributes().with_checks(false).flatten() {
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        };
        out.push((key, value));
    }
    out
}

fn non_empty(s: String) -> Option<String> {
    if s.trim().is_empty() {
        None
    } else {
        Some(s)
    }
}

/// A number written in decimal or as `0x…` hex; `None` if it does not fit `T`.
pub fn parse_num<T: TryFrom<u64>>(text: &str) -> Option<T> {
    let t = text.trim();
    let n = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => t.parse::<u64>().ok()?,
    };
    T::try_from(n).ok()
}

/// Parses an event time as XML exports write it, into UTC.
///
/// Accepts RFC 3339 with any number of fractional digits (`…T10:15:32.1234567Z`),
/// with an offset (`…-08:00`, converted to UTC), with a space instead of `T`,
/// and without any zone (taken as UTC, which is what `SystemTime` means).
pub fn parse_system_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    let spaced = t.replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_rfc3339(&spaced) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&spaced, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

/// The `<Event>` elements of one XML document, in order.
///
/// Works on an `<Events>` wrapper (Event Viewer, tracerpt) and on `wevtutil`
/// output where `<Event>` elements follow each other with no wrapper and no
/// declaration. Each item is either an event, whose origin is
/// `source` at the [`Locator::Line`] of its `<Event` start tag, or a
/// [`Diagnostic`] for an element that could not be parsed (malformed, or
/// truncated — cut off by the next `<Event` or the end of the text); reading
/// continues after it.
#[derive(Debug)]
pub struct XmlEvents<'a> {
    text: &'a str,
    source: Arc<str>,
    /// Byte offset where the next search starts.
    pos: usize,
    /// Line number (1-based) of byte `line_at`.
    line: u64,
    line_at: usize,
}

impl<'a> XmlEvents<'a> {
    /// Iterates the events of `text`, naming them after `source`.
    pub fn new(text: &'a str, source: Arc<str>) -> Self {
        XmlEvents { text, source, pos: 0, line: 1, line_at: 0 }
    }

    /// The 1-based line of byte `at` (must not go backwards).
    fn line_of(&mut self, at: usize) -> u64 {
        if at > self.line_at {
            let bytes = self.text.as_bytes();
            let end = at.min(bytes.len());
            let start = self.line_at.min(end);
            self.line += bytes.get(start..end).map_or(0, |b| memchr::memchr_iter(b'\n', b).count()) as u64;
            self.line_at = end;
        }
        self.line
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// If the `Event` name at byte `i` is a tag name — `<Event`, `</Event`,
/// `<p:Event` or `</p:Event` — the offset of its `<` and whether the tag closes.
fn tag_of_name(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i;
    if j >= 1 && bytes.get(j - 1) == Some(&b':') {
        j -= 1;
        let colon = j;
        while j >= 1 && bytes.get(j - 1).is_some_and(|b| is_name_byte(*b)) {
            j -= 1;
        }
        if j == colon {
            return None;
        }
    }
    let before = j.checked_sub(1).and_then(|k| bytes.get(k));
    let before2 = j.checked_sub(2).and_then(|k| bytes.get(k));
    match (before, before2) {
        (Some(b'/'), Some(b'<')) => Some((j - 2, true)),
        (Some(b'<'), _) => Some((j - 1, false)),
        _ => None,
    }
}

/// The next `<Event` (or `<prefix:Event`) start tag at or after `from` — not
/// `<Events`, `<EventData`, … —, as (offset of `<`, offset after the name).
fn find_event_start(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let finder = memchr::memmem::Finder::new(b"Event");
    let mut at = from;
    while at < bytes.len() {
        let i = finder.find(bytes.get(at..)?)? + at;
        let after = i + 5;
        let ends_name = matches!(bytes.get(after), Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') | None);
        if ends_name {
            if let Some((lt, false)) = tag_of_name(bytes, i) {
                if lt >= from {
                    return Some((lt, after));
                }
            }
        }
        at = after;
    }
    None
}

/// The end (exclusive) of the `<Event>` element starting at `start`, if it is
/// closed before `limit` (the next `<Event` start or the end of the text).
fn find_event_end(text: &str, start: usize, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes().get(..limit)?;
    let region = bytes.get(start..)?;
    // A self-closing `<Event .../>`: the first '>' of the start tag is preceded by '/'.
    let first_gt = memchr::memchr(b'>', region)?;
    if first_gt > 0 && region.get(first_gt - 1) == Some(&b'/') {
        return Some(start + first_gt + 1);
    }
    // `</Event` or `</p:Event` followed by blanks and `>` (not `</EventID>`, …).
    let finder = memchr::memmem::Finder::new(b"Event");
    let mut at = start + first_gt;
    while at < bytes.len() {
        let i = finder.find(bytes.get(at..)?)? + at;
        let mut k = i + 5;
        at = k;
        if !matches!(tag_of_name(bytes, i), Some((_, true))) {
            continue;
        }
        while matches!(bytes.get(k), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            k += 1;
        }
        if bytes.get(k) == Some(&b'>') {
            return Some(k + 1);
        }
    }
    None
}

impl Iterator for XmlEvents<'_> {
    type Item = Result<Event, Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        let (start, name_end) = find_event_start(self.text, self.pos)?;
        let next_start = find_event_start(self.text, name_end).map_or(self.text.len(), |(s, _)| s);
        let line = self.line_of(start);
        let locator = Locator::Line { line };
        let Some(end) = find_event_end(self.text, start, next_start) else {
            self.pos = next_start;
            return Some(Err(Diagnostic::skipped(
                self.source.clone(),
                locator,
                "truncated <Event> element (no closing </Event> before the next event or the end); skipped",
            )));
        };
        self.pos = end;
        let slice = self.text.get(start..end).unwrap_or("");
        let origin = Origin::new(self.source.clone(), locator);
        Some(event_from_xml(slice, origin).map_err(|e| {
            Diagnostic::skipped(self.source.clone(), locator, format!("unreadable <Event> element: {e}; skipped"))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::new(Arc::from("t.xml"), Locator::Line { line: 1 })
    }

    const SCM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/><EventID Qualifiers='49152'>7023</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2019-10-31T10:15:32.1234567Z'/><EventRecordID>4711</EventRecordID><Correlation/><Execution ProcessID='640' ThreadID='7300'/><Channel>System</Channel><Computer>DC1.contoso.com</Computer><Security/></System><EventData><Data Name='param1'>Intersite Messaging</Data><Data Name='param2'>%%58</Data><Binary>49005300</Binary></EventData><RenderingInfo Culture='en-US'><Message>The Intersite Messaging service terminated with the following error: &#xD;
The request is not supported.</Message><Level>Error</Level></RenderingInfo></Event>"#;

    #[test]
    fn reads_scm_7023() {
        let ev = event_from_xml(SCM, origin()).expect("parses");
        assert_eq!(ev.provider.name.as_deref(), Some("Service Control Manager"));
        assert_eq!(ev.provider.guid.map(|g| g.to_string()).as_deref(), Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"));
        assert_eq!(ev.event_id, 7023);
        assert_eq!(ev.qualifiers, Some(49152));
        assert_eq!(ev.level, Some(2));
        assert_eq!(ev.keywords, Some(0x8080_0000_0000_0000));
        assert_eq!(ev.time.map(|t| t.to_rfc3339()).as_deref(), Some("2019-10-31T10:15:32.123456700+00:00"));
        assert_eq!(ev.record_id, Some(4711));
        assert_eq!(ev.process_id, Some(640));
        assert_eq!(ev.thread_id, Some(7300));
        assert_eq!(ev.channel.as_deref(), Some("System"));
        assert_eq!(ev.computer.as_deref(), Some("DC1.contoso.com"));
        assert_eq!(ev.field("param2"), Some("%%58"));
        assert_eq!(ev.data.len(), 2);
        assert_eq!(ev.binary.as_deref(), Some(&[0x49, 0, 0x53, 0][..]));
        assert_eq!(
            ev.message.as_deref(),
            Some("The Intersite Messaging service terminated with the following error: \r\nThe request is not supported.")
        );
        assert_eq!(ev.display.as_ref().and_then(|d| d.level.as_deref()), Some("Error"));
    }

    #[test]
    fn rendering_info_names() {
        let xml = r#"<Event><System><Provider Name="X"/><EventID>1</EventID></System>
            <RenderingInfo Culture="de-DE"><Message>Hallo</Message><Level>Fehler</Level><Task>Keine</Task>
            <Opcode>Info</Opcode><Channel>System</Channel><Provider>X</Provider>
            <Keywords><Keyword>Klassisch</Keyword><Keyword> </Keyword><Keyword>Audit</Keyword></Keywords></RenderingInfo></Event>"#;
        let ev = event_from_xml(xml, Origin::new(Arc::from("t.xml"), Locator::File)).expect("parses");
        let d = ev.display.expect("display names");
        assert_eq!(
            (d.level.as_deref(), d.task.as_deref(), d.opcode.as_deref(), d.keywords),
            (Some("Fehler"), Some("Keine"), Some("Info"), vec!["Klassisch".to_string(), "Audit".to_string()])
        );
        assert_eq!(ev.message.as_deref(), Some("Hallo"));
    }

    #[test]
    fn offsets_unnamed_data_and_userdata() {
        let xml = r#"<Event><System><Provider Name="X"/><EventID>1</EventID>
            <TimeCreated SystemTime="2019-10-31T02:15:32.5-08:00"/><Execution ProcessID="4" ThreadID="8" ProcessorID="3"/>
            <Security UserID="S-1-5-18"/></System>
            <EventData><Data>a &amp; b</Data><Data/><Data>c</Data></EventData></Event>"#;
        let ev = event_from_xml(xml, origin()).expect("parses");
        assert_eq!(ev.time.map(|t| t.to_rfc3339()).as_deref(), Some("2019-10-31T10:15:32.500+00:00"));
        assert_eq!(ev.data.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(), ["a & b", "", "c"]);
        assert_eq!(ev.field("param3"), Some("c"));
        assert_eq!(ev.trace.as_ref().and_then(|t| t.processor), Some(3));
        assert_eq!(ev.user_sid.as_deref(), Some("S-1-5-18"));

        let xml = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>104</EventID></System>
            <UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserName>admin</SubjectUserName><Nested><Inner>x</Inner></Nested><Empty/><Channel>System</Channel></LogFileCleared></UserData></Event>"#;
        let ev = event_from_xml(xml, origin()).expect("parses");
        assert_eq!(ev.data_section, DataSection::UserData);
        let items: Vec<(&str, &str)> =
            ev.data.iter().map(|d| (d.name.as_deref().unwrap_or(""), d.value.as_str())).collect();
        assert_eq!(items, [("SubjectUserName", "admin"), ("Inner", "x"), ("Empty", ""), ("Channel", "System")]);
        assert_eq!(ev.channel, None);
    }

    #[test]
    fn markup_inside_a_value_does_not_end_it() {
        let xml = "<Event><System><EventID>7</EventID></System><EventData><Data Name='a'>x<br/>y<b>z</b></Data><Data Name='b'>w</Data></EventData></Event>";
        let ev = event_from_xml(xml, origin()).expect("parses");
        assert_eq!(ev.data_named("a"), Some("xyz"));
        assert_eq!(ev.data_named("b"), Some("w"));
        assert_eq!(ev.data.len(), 2);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(event_from_xml("<Event><System>", origin()), Err(XmlEventError::Truncated));
        assert!(matches!(event_from_xml("<Foo/>", origin()), Err(XmlEventError::NoEvent { .. })));
        assert!(matches!(event_from_xml("<Event><a></b></Event>", origin()), Err(XmlEventError::Malformed { .. })));
        assert!(matches!(event_from_xml("", origin()), Err(XmlEventError::NoEvent { found: None })));
    }

    #[test]
    fn iterator_finds_prefixed_events() {
        let doc = "<e:Events xmlns:e='x'><e:Event><e:System><e:EventID>9</e:EventID></e:System></e:Event >\n<e:Event/><Eventual/></e:Events>";
        let items: Vec<_> = XmlEvents::new(doc, Arc::from("p.xml")).collect();
        let ids: Vec<u32> = items.iter().filter_map(|r| r.as_ref().ok()).map(|e| e.event_id).collect();
        assert_eq!(ids, [9, 0]);
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn iterator_skips_bad_elements() {
        let doc = "<Events>\n<Event><System><EventID>1</EventID></System></Event>\n<Event><System><EventID>2</EventID>\n<Event><System><EventID>3</EventID></System></Event>\n<Event><a></b></Event>\n<Event><System><EventID>5</EventID></System></Event></Events>";
        let items: Vec<_> = XmlEvents::new(doc, Arc::from("d.xml")).collect();
        assert_eq!(items.len(), 5);
        let ids: Vec<u32> = items.iter().filter_map(|r| r.as_ref().ok()).map(|e| e.event_id).collect();
        assert_eq!(ids, [1, 3, 5]);
        let bad: Vec<Locator> = items.iter().filter_map(|r| r.as_ref().err()).map(|d| d.locator).collect();
        assert_eq!(bad, [Locator::Line { line: 3 }, Locator::Line { line: 5 }]);
        let lines: Vec<Locator> = items.iter().filter_map(|r| r.as_ref().ok()).map(|e| e.origin.locator).collect();
        assert_eq!(lines, [Locator::Line { line: 2 }, Locator::Line { line: 4 }, Locator::Line { line: 6 }]);
    }
}
