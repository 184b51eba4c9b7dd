//! Scenario XML: events written the way Event Viewer exports them.
//!
//! A fixture scenario is authored once as Event Viewer XML (`<Events><Event>…`
//! or bare `<Event>` elements, as `wevtutil qe /f:xml` prints them) and turned
//! into a binary `.evtx` twin by [`crate::write_evtx`]. This small reader
//! turns that XML into [`Event`]s. It is also how the tests read back what the
//! `evtx` crate and python-evtx render from a generated file, so that input
//! and output are compared field by field through one reader.
//!
//! It reads the `System` fields the model has, `EventData` (`<Data>` named and
//! unnamed, `<Binary>` in hex), `UserData` (flattened to its leaf elements)
//! and `RenderingInfo/Message`. Times are accepted as RFC 3339
//! (`2026-03-02T08:15:00.1234567Z`) or as `YYYY-MM-DD HH:MM:SS[.f]` taken as UTC
//! (python-evtx's rendering).

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use evtriage_core::{DataItem, DataSection, Event, Guid, Locator, Origin};
use quick_xml::events::{BytesStart, Event as XmlEvent};

/// Why scenario XML could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The XML is not well formed.
    #[error("{source_name}: XML error at byte {offset}: {reason}")]
    Xml {
        /// The input's name.
        source_name: String,
        /// Byte offset of the error.
        offset: u64,
        /// The parser's reason.
        reason: String,
    },
    /// A field has a value of the wrong kind.
    #[error("{source_name}: event at byte {offset}: {field} is not valid: {value:?}")]
    Field {
        /// The input's name.
        source_name: String,
        /// Byte offset of the `<Event>`.
        offset: u64,
        /// The field.
        field: &'static str,
        /// The value found.
        value: String,
    },
}

/// Parses a SystemTime as written by Windows, the evtx crate or python-evtx.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let t = t.trim_end_matches(" UTC").trim_end_matches("+00:00").trim_end_matches('Z');
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(|n| n.and_utc())
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.into_owned(),
    }
}

/// One open element: its local name and whether it had child elements.
struct Open {
    name: String,
    text: String,
    has_children: bool,
    data_name: Option<String>,
}

struct Parser {
    source_name: String,
    source: Arc<str>,
    events: Vec<Event>,
    current: Option<(u64, Event)>,
    stack: Vec<Open>,
}

impl Parser {
    fn field_err(&self, field: &'static str, value: &str) -> ScenarioError {
        ScenarioError::Field {
            source_name: self.source_name.clone(),
            offset: self.current.as_ref().map_or(0, |(o, _)| *o),
            field,
            value: value.to_string(),
        }
    }

    fn attrs(&self, e: &BytesStart<'_>) -> Vec<(String, String)> {
        e.attributes()
            .filter_map(Result::ok)
            .map(|a| {
                let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
                (local(a.key.as_ref()), v)
            })
            .collect()
    }

    fn path_is(&self, tail: &[&str]) -> bool {
        self.stack.len() >= tail.len() && self.stack.iter().rev().zip(tail.iter().rev()).all(|(o, t)| o.name == *t)
    }

    fn start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ScenarioError> {
        let name = local(e.name().as_ref());
        if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        }
        let attrs = self.attrs(e);
        let mut data_name = None;
        if name == "Event" && self.current.is_none() {
            let origin = Origin::new(self.source.clone(), Locator::Offset { offset });
            self.current = Some((offset, Event::new(None, 0, origin)));
        }
        self.stack.push(Open { name: name.clone(), text: String::new(), has_children: false, data_name: None });
        let in_system = self.path_is(&["Event", "System", name.as_str()]);
        for (key, value) in attrs {
            self.attr(in_system, &name, &key, &value)?;
            if name == "Data" && key == "Name" {
                data_name = Some(value);
            }
        }
        if let Some(top) = self.stack.last_mut() {
            top.data_name = data_name;
        }
        Ok(())
    }

    fn with_event(&mut self, f: impl FnOnce(&mut Event)) {
        if let Some((_, ev)) = self.current.as_mut() {
            f(ev);
        }
    }

    fn attr(&mut self, in_system: bool, element: &str, key: &str, value: &str) -> Result<(), ScenarioError> {
        if !in_system {
            return Ok(());
        }
        let v = value.trim();
        let guid = |s: &Self, f| Guid::parse(v).ok_or_else(|| s.field_err(f, v));
        match (element, key) {
            ("Provider", "Name") => self.with_event(|ev| ev.provider.name = Some(value.to_string())),
            ("Provider", "Guid") => {
                let g = guid(self, "Guid")?;
                self.with_event(|ev| ev.provider.guid = Some(g));
            }
            ("Provider", "EventSourceName") => {
                self.with_event(|ev| ev.provider.event_source_name = Some(value.to_string()))
            }
            ("EventID", "Qualifiers") => {
                let q = v.parse().map_err(|_| self.field_err("Qualifiers", v))?;
                self.with_event(|ev| ev.qualifiers = Some(q));
            }
            ("TimeCreated", "SystemTime") => {
                let t = parse_time(v).ok_or_else(|| self.field_err("SystemTime", v))?;
                self.with_event(|ev| ev.time = Some(t));
            }
            ("Correlation", "ActivityID") => {
                let g = guid(self, "ActivityID")?;
                self.with_event(|ev| ev.activity_id = Some(g));
            }
            ("Correlation", "RelatedActivityID") => {
                let g = guid(self, "RelatedActivityID")?;
                self.with_event(|ev| ev.related_activity_id = Some(g));
            }
            ("Execution", "ProcessID") => {
                let p = v.parse().map_err(|_| self.field_err("ProcessID", v))?;
                self.with_event(|ev| ev.process_id = Some(p));
            }
            ("Execution", "ThreadID") => {
                let t = v.parse().map_err(|_| self.field_err("ThreadID", v))?;
                self.with_event(|ev| ev.thread_id = Some(t));
            }
            ("Security", "UserID") => self.with_event(|ev| ev.user_sid = Some(v.to_string())),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ScenarioError> {
        let Some(open) = self.stack.pop() else { return Ok(()) };
        let in_system = self.path_is(&["Event", "System"]);
        let text = open.text;
        let t = text.trim();
        if self.current.is_none() {
            return Ok(());
        }
        if open.name == "Event" && self.stack.iter().all(|o| o.name != "Event") {
            if let Some((_, ev)) = self.current.take() {
                self.events.push(ev);
            }
            return Ok(());
        }
        let in_event_data = self.path_is(&["Event", "EventData"]);
        let under_user_data = self.stack.len() >= 3 && self.stack.iter().any(|o| o.name == "UserData");
        let in_message = self.path_is(&["Event", "RenderingInfo"]) && open.name == "Message";
        macro_rules! num {
            ($field:ident, $name:literal) => {{
                let v = t.parse().map_err(|_| self.field_err($name, t))?;
                if let Some((_, ev)) = self.current.as_mut() {
                    ev.$field = Some(v);
                }
            }};
        }
        if in_system {
            match open.name.as_str() {
                "EventID" => {
                    let v = t.parse().map_err(|_| self.field_err("EventID", t))?;
                    if let Some((_, ev)) = self.current.as_mut() {
                        ev.event_id = v;
                    }
                }
                "Version" => num!(version, "Version"),
                "Level" => num!(level, "Level"),
                "Task" => num!(task, "Task"),
                "Opcode" => num!(opcode, "Opcode"),
                "EventRecordID" => num!(record_id, "EventRecordID"),
                "Keywords" => {
                    let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
                    let v = u64::from_str_radix(hex, 16).map_err(|_| self.field_err("Keywords", t))?;
                    if let Some((_, ev)) = self.current.as_mut() {
                        ev.keywords = Some(v);
                    }
                }
                "Channel" | "Computer" => {
                    if let Some((_, ev)) = self.current.as_mut() {
                        let slot = if open.name == "Channel" { &mut ev.channel } else { &mut ev.computer };
                        *slot = Some(t.to_string());
                    }
                }
                _ => {}
            }
        } else if in_event_data {
            match open.name.as_str() {
                "Data" => {
                    if let Some((_, ev)) = self.current.as_mut() {
                        ev.data.push(DataItem { name: open.data_name, value: text });
                    }
                }
                "Binary" => {
                    let bytes = evtriage_core::util::from_hex(t).ok_or_else(|| self.field_err("Binary", t))?;
                    if let Some((_, ev)) = self.current.as_mut() {
                        ev.binary = Some(bytes);
                    }
                }
                _ => {}
            }
        } else if under_user_data && !open.has_children {
            if let Some((_, ev)) = self.current.as_mut() {
                ev.data_section = DataSection::UserData;
                ev.data.push(DataItem::named(open.name, text));
            }
        } else if in_message {
            if let Some((_, ev)) = self.current.as_mut() {
                ev.message = Some(text);
            }
        }
        Ok(())
    }
}

/// Reads every `<Event>` of `xml`; `source` names the input in the events' [`Origin`].
pub fn parse_events(xml: &str, source: &str) -> Result<Vec<Event>, ScenarioError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut p = Parser {
        source_name: source.to_string(),
        source: Arc::from(source),
        events: Vec::new(),
        current: None,
        stack: Vec::new(),
    };
    let xml_err = |pos: u64, e: &dyn std::fmt::Display| ScenarioError::Xml {
        source_name: source.to_string(),
        offset: pos,
        reason: e.to_string(),
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| xml_err(reader.error_position(), &e))?;
        match ev {
            XmlEvent::Start(e) => p.start(&e, pos)?,
            XmlEvent::Empty(e) => {
                p.start(&e, pos)?;
                p.end()?;
            }
            XmlEvent::End(_) => p.end()?,
            XmlEvent::Text(t) => {
                let s = t.unescape().map_err(|e| xml_err(pos, &e))?;
                if let Some(top) = p.stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            XmlEvent::CData(t) => {
                if let Some(top) = p.stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(p.events)
}
