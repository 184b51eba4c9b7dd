//! Template compilation: a parsed definition turned into a [`Schema`] that
//! says which hole fills which field.
//!
//! In the journey bytes → chunk → record → [`crate::Event`], a template
//! definition's tree ([`super::tree`]) is compiled here once: its `System`
//! elements become [`SystemField`] texts ("hole 3 is `System/EventID`"), its
//! `EventData`/`UserData` content becomes [`BodyOp`]s, its rendering info
//! becomes the message. The schema also lists the holes a partial decode and
//! a JSON line read, for the content and line keys of [`super::keys`].

use std::sync::atomic::AtomicU32;

use super::tree::{Elem, Node, Piece, Text};
use crate::model::{DataSection, Guid};

/// The System fields a schema can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SystemField {
    ProviderName,
    ProviderGuid,
    EventSourceName,
    EventId,
    Qualifiers,
    Version,
    Level,
    Task,
    Opcode,
    Keywords,
    TimeCreated,
    RecordId,
    ActivityId,
    RelatedActivityId,
    ProcessId,
    ThreadId,
    Channel,
    Computer,
    UserSid,
}

#[derive(Debug)]
pub(super) enum BodyOp {
    /// One data item (EventData/Data, or a flattened UserData leaf).
    Data { name: Option<Text>, value: Text, dep: Option<u16> },
    /// `EventData/Binary`.
    Binary(Text),
    /// A hole holding a nested BinXML fragment, flattened when evaluated.
    Fragment(u16),
    /// Switch the section items are reported under.
    Section(DataSection),
}

/// Number of [`SystemField`] fields.
const SYS_FIELDS: usize = SystemField::UserSid as usize + 1;

/// A template definition compiled to "which hole fills which field".
#[derive(Debug)]
pub(crate) struct Schema {
    /// The text of each System field, by `SystemField as usize` (looked up for every
    /// record: an array, not a search).
    sys: [Option<Text>; SYS_FIELDS],
    /// The body: data items, `Binary`, nested fragments and section switches, in order.
    pub(super) body: Vec<BodyOp>,
    /// `RenderingInfo/Message`, when the definition has one.
    pub(super) message: Option<Text>,
    /// The value type each substitution is declared with in the definition.
    pub(super) sub_types: Vec<(u16, u8)>,
    /// `Provider/@Guid` when the definition writes it literally (parsed once).
    pub(super) provider_guid: Option<Guid>,
    /// The holes whose values a partial decode reads (see [`DecodedRecord::key`]),
    /// ascending, each with whether it may hold a nested fragment.
    ///
    /// [`DecodedRecord::key`]: super::decode::DecodedRecord::key
    pub(super) key_holes: Vec<(u16, bool)>,
    /// The holes whose values decide a record's JSON line but for its
    /// per-record parts (see [`DecodedRecord::key`]), as `key_holes`.
    ///
    /// [`DecodedRecord::key`]: super::decode::DecodedRecord::key
    pub(super) line_holes: Vec<(u16, bool)>,
    /// This schema's number in the [`ShapeNumbers`] of the content cache it is
    /// used with ([`NO_SHAPE`] until asked for).
    ///
    /// [`ShapeNumbers`]: super::keys::ShapeNumbers
    pub(super) shape: AtomicU32,
}

/// [`Schema::shape`] before it is numbered.
pub(super) const NO_SHAPE: u32 = u32::MAX;

impl Default for Schema {
    fn default() -> Self {
        Schema {
            sys: Default::default(),
            body: Vec::new(),
            message: None,
            sub_types: Vec::new(),
            provider_guid: None,
            key_holes: Vec::new(),
            line_holes: Vec::new(),
            shape: AtomicU32::new(NO_SHAPE),
        }
    }
}

impl Schema {
    pub(super) fn sys_text(&self, f: SystemField) -> Option<&Text> {
        self.sys.get(f as usize).and_then(Option::as_ref)
    }
}

fn attr<'e>(e: &'e Elem, name: &str) -> Option<&'e Text> {
    e.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn text_of(e: &Elem) -> Text {
    e.children
        .iter()
        .filter_map(|n| match n {
            Node::Text(p) => Some(p.clone()),
            Node::Elem(_) => None,
        })
        .collect()
}

fn has_child_elems(e: &Elem) -> bool {
    e.children.iter().any(|n| matches!(n, Node::Elem(_)))
}

fn compile_system(sys: &Elem, out: &mut Schema) {
    for n in &sys.children {
        let Node::Elem(e) = n else { continue };
        let mut put = |k: SystemField, t: Option<&Text>| {
            if let (Some(t), Some(slot)) = (t, out.sys.get_mut(k as usize)) {
                // The first occurrence wins, as a search from the start found it.
                if slot.is_none() {
                    *slot = Some(t.clone());
                }
            }
        };
        match e.name.as_str() {
            "Provider" => {
                put(SystemField::ProviderName, attr(e, "Name"));
                put(SystemField::ProviderGuid, attr(e, "Guid"));
                put(SystemField::EventSourceName, attr(e, "EventSourceName"));
            }
            "EventID" => {
                put(SystemField::EventId, Some(&text_of(e)));
                put(SystemField::Qualifiers, attr(e, "Qualifiers"));
            }
            "Version" => put(SystemField::Version, Some(&text_of(e))),
            "Level" => put(SystemField::Level, Some(&text_of(e))),
            "Task" => put(SystemField::Task, Some(&text_of(e))),
            "Opcode" => put(SystemField::Opcode, Some(&text_of(e))),
            "Keywords" => put(SystemField::Keywords, Some(&text_of(e))),
            "TimeCreated" => put(SystemField::TimeCreated, attr(e, "SystemTime")),
            "EventRecordID" => put(SystemField::RecordId, Some(&text_of(e))),
            "Correlation" => {
                put(SystemField::ActivityId, attr(e, "ActivityID"));
                put(SystemField::RelatedActivityId, attr(e, "RelatedActivityID"));
            }
            "Execution" => {
                put(SystemField::ProcessId, attr(e, "ProcessID"));
                put(SystemField::ThreadId, attr(e, "ThreadID"));
            }
            "Channel" => put(SystemField::Channel, Some(&text_of(e))),
            "Computer" => put(SystemField::Computer, Some(&text_of(e))),
            "Security" => put(SystemField::UserSid, attr(e, "UserID")),
            _ => {}
        }
    }
}

/// `<EventData>` content: `Data` items, `Binary`, holes.
fn compile_event_data(nodes: &[Node], out: &mut Vec<BodyOp>) {
    for n in nodes {
        match n {
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
            Node::Elem(e) => match e.name.as_str() {
                "Data" if !has_child_elems(e) => {
                    out.push(BodyOp::Data { name: attr(e, "Name").cloned(), value: text_of(e), dep: e.dep })
                }
                "Binary" => out.push(BodyOp::Binary(text_of(e))),
                _ => flatten(e, out),
            },
        }
    }
}

/// `<UserData>` and other nested content: leaves become named items.
fn flatten(e: &Elem, out: &mut Vec<BodyOp>) {
    if e.name == "Data" && attr(e, "Name").is_some() && !has_child_elems(e) {
        out.push(BodyOp::Data { name: attr(e, "Name").cloned(), value: text_of(e), dep: e.dep });
        return;
    }
    if !has_child_elems(e) {
        let value = text_of(e);
        if let [Piece::Sub(i)] = value.as_slice() {
            // A leaf holding a hole may hold a nested fragment; decided when evaluated.
            out.push(BodyOp::Data {
                name: Some(vec![Piece::Lit(e.name.clone())]),
                value: vec![Piece::Sub(*i)],
                dep: e.dep,
            });
        } else {
            out.push(BodyOp::Data { name: Some(vec![Piece::Lit(e.name.clone())]), value, dep: e.dep });
        }
        return;
    }
    for n in &e.children {
        match n {
            Node::Elem(c) => flatten(c, out),
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
        }
    }
}

/// Content below the event root (or a nested fragment's top level).
fn compile_body(nodes: &[Node], out: &mut Vec<BodyOp>) {
    for n in nodes {
        match n {
            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
            Node::Elem(e) => match e.name.as_str() {
                "EventData" => {
                    out.push(BodyOp::Section(DataSection::EventData));
                    compile_event_data(&e.children, out);
                }
                "UserData" => {
                    out.push(BodyOp::Section(DataSection::UserData));
                    for c in &e.children {
                        match c {
                            Node::Elem(c) => flatten(c, out),
                            Node::Text(Piece::Sub(i)) => out.push(BodyOp::Fragment(*i)),
                            Node::Text(Piece::Lit(_)) => {}
                        }
                    }
                }
                _ => flatten(e, out),
            },
        }
    }
}

/// Compiles a parsed fragment. With `event_root`, an `<Event>` root's System
/// and RenderingInfo are mapped; anything else is body content.
pub(super) fn compile(nodes: &[Node], event_root: bool) -> Schema {
    let mut s = Schema::default();
    let root = nodes.iter().find_map(|n| match n {
        Node::Elem(e) if event_root && e.name == "Event" => Some(e),
        _ => None,
    });
    let Some(root) = root else {
        compile_body(nodes, &mut s.body);
        s.key_holes = key_holes(&s);
        s.line_holes = line_holes(&s);
        return s;
    };
    let mut rest = Vec::new();
    for n in &root.children {
        match n {
            Node::Elem(e) if e.name == "System" => compile_system(e, &mut s),
            Node::Elem(e) if e.name == "RenderingInfo" => {
                for m in &e.children {
                    if let Node::Elem(m) = m {
                        if m.name == "Message" {
                            s.message = Some(text_of(m));
                        }
                    }
                }
            }
            Node::Elem(_) => compile_body(std::slice::from_ref(n), &mut rest),
            Node::Text(Piece::Sub(i)) => rest.push(BodyOp::Fragment(*i)),
            Node::Text(Piece::Lit(_)) => {}
        }
    }
    s.body = rest;
    if let Some([Piece::Lit(g)]) = s.sys_text(SystemField::ProviderGuid).map(Vec::as_slice) {
        s.provider_guid = Guid::parse(g);
    }
    s.key_holes = key_holes(&s);
    s.line_holes = line_holes(&s);
    s
}

/// The `System` fields a partial decode fills from a schema besides time and
/// record id (which are read for every record anyway).
const KEY_SYS: [SystemField; 5] = [
    SystemField::ProviderName,
    SystemField::ProviderGuid,
    SystemField::EventSourceName,
    SystemField::EventId,
    SystemField::Computer,
];

/// The holes a partial decode reads, ascending, each with whether every use
/// of it may take a nested fragment (a data value that is the hole alone, or
/// a hole in content): only there does a nested fragment's content, rather
/// than its bytes, decide what is decoded.
fn key_holes(s: &Schema) -> Vec<(u16, bool)> {
    holes_of(s, &KEY_SYS, false)
}

/// The `System` fields whose values differ from record to record of one
/// content: a JSON line writes them afresh (see [`DecodedRecord::per_record`]).
///
/// [`DecodedRecord::per_record`]: super::decode::DecodedRecord::per_record
const PER_RECORD_SYS: [SystemField; 4] =
    [SystemField::TimeCreated, SystemField::RecordId, SystemField::ProcessId, SystemField::ThreadId];

/// The holes a whole decode reads but for those only the per-record fields
/// read ([`PER_RECORD_SYS`]), as [`key_holes`] lists them.
fn line_holes(s: &Schema) -> Vec<(u16, bool)> {
    let fields: Vec<SystemField> = ALL_SYS.iter().copied().filter(|f| !PER_RECORD_SYS.contains(f)).collect();
    holes_of(s, &fields, true)
}

/// Every [`SystemField`] field.
pub(super) const ALL_SYS: [SystemField; SYS_FIELDS] = [
    SystemField::ProviderName,
    SystemField::ProviderGuid,
    SystemField::EventSourceName,
    SystemField::EventId,
    SystemField::Qualifiers,
    SystemField::Version,
    SystemField::Level,
    SystemField::Task,
    SystemField::Opcode,
    SystemField::Keywords,
    SystemField::TimeCreated,
    SystemField::RecordId,
    SystemField::ActivityId,
    SystemField::RelatedActivityId,
    SystemField::ProcessId,
    SystemField::ThreadId,
    SystemField::Channel,
    SystemField::Computer,
    SystemField::UserSid,
];

/// The holes read by the `System` fields `sys`, the body, and (with
/// `message`) the rendering info's message; see [`key_holes`].
fn holes_of(s: &Schema, sys: &[SystemField], message: bool) -> Vec<(u16, bool)> {
    let mut holes: Vec<(u16, bool)> = Vec::new();
    let mut note = |t: &Text, fragment: bool| {
        for p in t {
            if let Piece::Sub(i) = p {
                holes.push((*i, fragment && t.len() == 1));
            }
        }
    };
    for &f in sys {
        if let Some(t) = s.sys_text(f) {
            note(t, false);
        }
    }
    if message {
        if let Some(t) = &s.message {
            note(t, false);
        }
    }
    for op in &s.body {
        match op {
            BodyOp::Data { name, value, dep } => {
                if let Some(n) = name {
                    note(n, false);
                }
                note(value, true);
                if let Some(d) = dep {
                    note(&vec![Piece::Sub(*d)], false);
                }
            }
            BodyOp::Binary(t) => note(t, false),
            BodyOp::Fragment(i) => note(&vec![Piece::Sub(*i)], true),
            BodyOp::Section(_) => {}
        }
    }
    holes.sort_unstable();
    // One entry per hole: a fragment only if every use allows one.
    let mut out: Vec<(u16, bool)> = Vec::with_capacity(holes.len());
    for (i, f) in holes {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 &= f,
            _ => out.push((i, f)),
        }
    }
    out
}
