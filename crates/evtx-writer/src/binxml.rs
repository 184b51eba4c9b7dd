//! Binary XML: the template an event is written with, and its substitution values.
//!
//! Windows writes every event record as a *template instance*: an XML skeleton
//! whose variable parts are numbered substitutions, followed by the typed
//! values for them. The skeleton is defined once per chunk (inline, in the
//! first record that uses it) and later records point back at it by offset.
//! We do the same: [`event_template`] turns an [`Event`] into a skeleton
//! ([`Node`]) and its values ([`Value`]); events of the same shape (same
//! provider attributes present, same `Data` names, …) share one skeleton.
//!
//! Element and attribute names are chunk strings: written inline the first
//! time a chunk uses them and referenced by offset afterwards, and linked into
//! the chunk's 64-bucket string table, as real files do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use evtriage_core::{DataSection, Event};

use crate::WriteError;

/// The namespace of the `<Event>` element.
pub const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// The wrapper element `<UserData>` leaves are written under (the model keeps
/// only the leaves; Windows providers each use their own wrapper).
pub const USER_DATA_WRAPPER: &str = "EventXML";

/// The namespace given to [`USER_DATA_WRAPPER`].
pub const USER_DATA_NS: &str = "Event_NS";

/// BinXML value types used here (MS-EVEN6 2.2.18 / libevtx "value type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValueType {
    /// UTF-16LE string, no terminator.
    String = 0x01,
    /// u8.
    UInt8 = 0x04,
    /// u16.
    UInt16 = 0x06,
    /// u32.
    UInt32 = 0x08,
    /// u64.
    UInt64 = 0x0a,
    /// Raw bytes, shown as uppercase hex.
    Binary = 0x0e,
    /// GUID, 16 bytes in Windows order.
    Guid = 0x0f,
    /// FILETIME (100 ns since 1601-01-01 UTC).
    FileTime = 0x11,
    /// Security identifier, binary form.
    Sid = 0x13,
    /// u64 shown as `0x…` hex.
    HexInt64 = 0x15,
}

/// A substitution value: its type and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value type.
    pub ty: ValueType,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

/// An attribute value in a skeleton.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Content {
    /// A substitution: index into the values, and the type it has.
    Sub(u16, ValueType),
    /// Literal text.
    Text(String),
}

/// One node of a template skeleton.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// An element with attributes and children.
    Elem {
        /// Element name.
        name: String,
        /// Attributes, in order.
        attrs: Vec<(String, Content)>,
        /// Children, in order.
        children: Vec<Node>,
    },
    /// Content of an element.
    Content(Content),
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// FILETIME of `t`: 100 ns intervals since 1601-01-01 UTC (sub-100 ns precision is dropped).
pub fn filetime(t: &DateTime<Utc>) -> Option<u64> {
    const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
    let secs = t.timestamp().checked_add(EPOCH_DIFF_SECS)?;
    let ticks = i128::from(secs) * 10_000_000 + i128::from(t.timestamp_subsec_nanos() / 100);
    u64::try_from(ticks).ok()
}

/// The binary form of a SID string `S-1-5-21-…`, or `None` when it is not one.
pub fn sid_bytes(text: &str) -> Option<Vec<u8>> {
    let mut parts = text.strip_prefix("S-").or_else(|| text.strip_prefix("s-"))?.split('-');
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    if authority >= 1 << 48 {
        return None;
    }
    let subs: Vec<u32> = parts.map(|p| p.parse::<u32>().ok()).collect::<Option<_>>()?;
    let count = u8::try_from(subs.len()).ok().filter(|c| *c <= 15)?;
    let mut out = vec![revision, count];
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Some(out)
}

struct Builder {
    values: Vec<Value>,
}

impl Builder {
    fn sub(&mut self, ty: ValueType, bytes: Vec<u8>) -> Result<Content, WriteError> {
        let index = u16::try_from(self.values.len()).map_err(|_| WriteError::TooManyValues)?;
        if bytes.len() > usize::from(u16::MAX) {
            return Err(WriteError::ValueTooLarge { size: bytes.len() });
        }
        self.values.push(Value { ty, bytes });
        Ok(Content::Sub(index, ty))
    }
    fn string(&mut self, s: &str) -> Result<Content, WriteError> {
        self.sub(ValueType::String, utf16(s))
    }
    /// `<name>%n</name>`.
    fn leaf(&mut self, name: &str, ty: ValueType, bytes: Vec<u8>) -> Result<Node, WriteError> {
        let c = self.sub(ty, bytes)?;
        Ok(elem(name, Vec::new(), vec![Node::Content(c)]))
    }
}

fn elem(name: &str, attrs: Vec<(String, Content)>, children: Vec<Node>) -> Node {
    Node::Elem { name: name.to_string(), attrs, children }
}

/// The skeleton and values of `event`, written with EventRecordID `record_id`.
pub fn event_template(event: &Event, record_id: u64) -> Result<(Node, Vec<Value>), WriteError> {
    let mut b = Builder { values: Vec::new() };
    let mut system = Vec::new();

    let mut provider = Vec::new();
    if let Some(name) = &event.provider.name {
        provider.push(("Name".to_string(), b.string(name)?));
    }
    if let Some(guid) = &event.provider.guid {
        provider.push(("Guid".to_string(), b.sub(ValueType::Guid, guid.0.to_vec())?));
    }
    if let Some(source) = &event.provider.event_source_name {
        provider.push(("EventSourceName".to_string(), b.string(source)?));
    }
    system.push(elem("Provider", provider, Vec::new()));

    let mut id_attrs = Vec::new();
    if let Some(q) = event.qualifiers {
        id_attrs.push(("Qualifiers".to_string(), b.sub(ValueType::UInt16, q.to_le_bytes().to_vec())?));
    }
    let id = match u16::try_from(event.event_id) {
        Ok(small) => b.sub(ValueType::UInt16, small.to_le_bytes().to_vec())?,
        Err(_) => b.sub(ValueType::UInt32, event.event_id.to_le_bytes().to_vec())?,
    };
    system.push(elem("EventID", id_attrs, vec![Node::Content(id)]));
    if let Some(v) = event.version {
        system.push(b.leaf("Version", ValueType::UInt8, vec![v])?);
    }
    if let Some(v) = event.level {
        system.push(b.leaf("Level", ValueType::UInt8, vec![v])?);
    }
    if let Some(v) = event.task {
        system.push(b.leaf("Task", ValueType::UInt16, v.to_le_bytes().to_vec())?);
    }
    if let Some(v) = event.opcode {
        system.push(b.leaf("Opcode", ValueType::UInt8, vec![v])?);
    }
    if let Some(v) = event.keywords {
        system.push(b.leaf("Keywords", ValueType::HexInt64, v.to_le_bytes().to_vec())?);
    }
    if let Some(t) = &event.time {
        let ft = filetime(t).ok_or(WriteError::TimeOutOfRange { time: *t })?;
        let c = b.sub(ValueType::FileTime, ft.to_le_bytes().to_vec())?;
        system.push(elem("TimeCreated", vec![("SystemTime".to_string(), c)], Vec::new()));
    }
    system.push(b.leaf("EventRecordID", ValueType::UInt64, record_id.to_le_bytes().to_vec())?);

    let mut corr = Vec::new();
    if let Some(g) = &event.activity_id {
        corr.push(("ActivityID".to_string(), b.sub(ValueType::Guid, g.0.to_vec())?));
    }
    if let Some(g) = &event.related_activity_id {
        corr.push(("RelatedActivityID".to_string(), b.sub(ValueType::Guid, g.0.to_vec())?));
    }
    system.push(elem("Correlation", corr, Vec::new()));

    let mut exec = Vec::new();
    if let Some(p) = event.process_id {
        exec.push(("ProcessID".to_string(), b.sub(ValueType::UInt32, p.to_le_bytes().to_vec())?));
    }
    if let Some(t) = event.thread_id {
        exec.push(("ThreadID".to_string(), b.sub(ValueType::UInt32, t.to_le_bytes().to_vec())?));
    }
    if !exec.is_empty() {
        system.push(elem("Execution", exec, Vec::new()));
    }
    if let Some(c) = &event.channel {
        system.push(b.leaf("Channel", ValueType::String, utf16(c))?);
    }
    if let Some(c) = &event.computer {
        system.push(b.leaf("Computer", ValueType::String, utf16(c))?);
    }
    let mut security = Vec::new();
    if let Some(sid) = &event.user_sid {
        // A SID that does not parse is kept as text rather than lost.
        let c = match sid_bytes(sid) {
            Some(bytes) => b.sub(ValueType::Sid, bytes)?,
            None => b.string(sid)?,
        };
        security.push(("UserID".to_string(), c));
    }
    system.push(elem("Security", security, Vec::new()));

    let mut event_children = vec![elem("System", Vec::new(), system)];
    match event.data_section {
        DataSection::EventData => {
            if !event.data.is_empty() || event.binary.is_some() {
                let mut items = Vec::new();
                for d in &event.data {
                    let v = b.string(&d.value)?;
                    let attrs = match &d.name {
                        Some(n) => vec![("Name".to_string(), Content::Text(n.clone()))],
                        None => Vec::new(),
                    };
                    items.push(elem("Data", attrs, vec![Node::Content(v)]));
                }
                if let Some(bin) = &event.binary {
                    items.push(b.leaf("Binary", ValueType::Binary, bin.clone())?);
                }
                event_children.push(elem("EventData", Vec::new(), items));
            }
        }
        DataSection::UserData => {
            let mut leaves = Vec::new();
            for d in &event.data {
                let v = b.string(&d.value)?;
                leaves.push(elem(d.name.as_deref().unwrap_or("Data"), Vec::new(), vec![Node::Content(v)]));
            }
            let ns = vec![("xmlns".to_string(), Content::Text(USER_DATA_NS.to_string()))];
            event_children.push(elem("UserData", Vec::new(), vec![elem(USER_DATA_WRAPPER, ns, leaves)]));
        }
    }
    let root = elem("Event", vec![("xmlns".to_string(), Content::Text(EVENT_NS.to_string()))], event_children);
    Ok((root, b.values))
}

/// A chunk's strings: where each name was written, and the 64 hash buckets.
#[derive(Debug, Clone)]
pub struct Strings {
    offsets: HashMap<String, u32>,
    /// Head offset of each bucket's chain (0 = empty).
    pub buckets: [u32; 64],
}

impl Default for Strings {
    fn default() -> Self {
        Strings { offsets: HashMap::new(), buckets: [0; 64] }
    }
}

/// The 16-bit-stored name hash: `h = h * 65599 + unit` over the UTF-16 units.
pub fn name_hash(name: &str) -> u32 {
    name.encode_utf16().fold(0u32, |h, u| h.wrapping_mul(65_599).wrapping_add(u32::from(u)))
}

/// Serialises skeletons into a chunk, resolving names against its string table.
pub struct Encoder<'a> {
    /// Output; `base` is the chunk offset of its first byte.
    pub out: Vec<u8>,
    /// Chunk offset of `out[0]`.
    pub base: u32,
    /// The chunk's strings.
    pub strings: &'a mut Strings,
}

impl Encoder<'_> {
    fn pos(&self) -> u32 {
        // Chunks are 64 KiB, so a record buffer never comes near u32::MAX.
        self.base.saturating_add(u32::try_from(self.out.len()).unwrap_or(u32::MAX))
    }

    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: usize, v: u32) {
        if let Some(slot) = self.out.get_mut(at..at + 4) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// A name reference: its offset, followed by the name itself when this is its first use in the chunk.
    fn name(&mut self, name: &str) -> Result<(), WriteError> {
        if let Some(&off) = self.strings.offsets.get(name) {
            self.u32(off);
            return Ok(());
        }
        let here = self.pos() + 4;
        self.u32(here);
        let hash = name_hash(name);
        let bucket = (hash % 64) as usize;
        let next = self.strings.buckets.get(bucket).copied().unwrap_or(0);
        self.u32(next);
        self.u16((hash & 0xFFFF) as u16);
        let units: Vec<u16> = name.encode_utf16().collect();
        let count = u16::try_from(units.len()).map_err(|_| WriteError::ValueTooLarge { size: units.len() })?;
        self.u16(count);
        for u in units {
            self.u16(u);
        }
        self.u16(0);
        if let Some(slot) = self.strings.buckets.get_mut(bucket) {
            *slot = here;
        }
        self.strings.offsets.insert(name.to_string(), here);
        Ok(())
    }

    fn content(&mut self, c: &Content) -> Result<(), WriteError> {
        match c {
            Content::Sub(index, ty) => {
                self.out.push(0x0d);
                self.u16(*index);
                self.out.push(*ty as u8);
            }
            Content::Text(text) => {
                let units: Vec<u16> = text.encode_utf16().collect();
                let count =
                    u16::try_from(units.len()).map_err(|_| WriteError::ValueTooLarge { size: units.len() * 2 })?;
                self.out.push(0x05);
                self.out.push(ValueType::String as u8);
                self.u16(count);
                for u in units {
                    self.u16(u);
                }
            }
        }
        Ok(())
    }

    /// One skeleton node (template definition form: elements carry a dependency id).
    pub fn node(&mut self, node: &Node) -> Result<(), WriteError> {
        match node {
            Node::Content(c) => self.content(c)?,
            Node::Elem { name, attrs, children } => self.element(name, attrs, children)?,
        }
        Ok(())
    }

    fn element(&mut self, name: &str, attrs: &[(String, Content)], children: &[Node]) -> Result<(), WriteError> {
        self.out.push(if attrs.is_empty() { 0x01 } else { 0x41 });
        self.u16(0xFFFF);
        let size_at = self.out.len();
        self.u32(0);
        self.name(name)?;
        if !attrs.is_empty() {
            let list_at = self.out.len();
            self.u32(0);
            for (i, (attr, value)) in attrs.iter().enumerate() {
                self.out.push(if i + 1 < attrs.len() { 0x46 } else { 0x06 });
                self.name(attr)?;
                self.content(value)?;
            }
            let list = self.out.len() - list_at - 4;
            self.patch_u32(list_at, u32::try_from(list).unwrap_or(u32::MAX));
        }
        if children.is_empty() {
            self.out.push(0x03);
        } else {
            self.out.push(0x02);
            for c in children {
                self.node(c)?;
            }
            self.out.push(0x04);
        }
        let size = self.out.len() - size_at - 4;
        self.patch_u32(size_at, u32::try_from(size).unwrap_or(u32::MAX));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn filetime_counts_100ns_from_1601() {
        let epoch = Utc.with_ymd_and_hms(1601, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(filetime(&epoch), Some(0));
        let unix = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(filetime(&unix), Some(116_444_736_000_000_000));
        let t = unix + chrono::Duration::nanoseconds(1_234_567_899);
        assert_eq!(filetime(&t), Some(116_444_736_012_345_678), "sub-100 ns dropped");
        let before = Utc.with_ymd_and_hms(1600, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(filetime(&before), None);
    }

    #[test]
    fn sids_encode_as_windows_stores_them() {
        assert_eq!(sid_bytes("S-1-5-18"), Some(vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]));
        let long = sid_bytes("S-1-5-21-1-2-3-500").unwrap();
        assert_eq!(long.len(), 8 + 5 * 4);
        assert_eq!(long[1], 5);
        assert_eq!(&long[long.len() - 4..], &500u32.to_le_bytes());
        for bad in ["", "S-1", "S-x-5", "S-1-5-abc", "1-5-18", "S-1-281474976710656-1"] {
            assert_eq!(sid_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn name_hash_is_the_65599_hash_of_utf16_units() {
        assert_eq!(name_hash(""), 0);
        assert_eq!(name_hash("A"), 65);
        assert_eq!(name_hash("AB"), 65 * 65_599 + 66);
    }

    #[test]
    fn names_are_written_once_per_chunk_then_referenced() {
        let mut strings = Strings::default();
        let node = elem("Data", vec![("Name".to_string(), Content::Text("x".to_string()))], Vec::new());
        let mut enc = Encoder { out: Vec::new(), base: 1000, strings: &mut strings };
        enc.node(&node).unwrap();
        let first = enc.out.len();
        enc.node(&node).unwrap();
        let second = enc.out.len() - first;
        // "Data" (4 units) and "Name" (4 units): 8 + 2 * 5 bytes each inline.
        assert_eq!(first - second, 2 * (8 + 2 * 5));
        let data_at = 1000 + 11; // token, dependency, size, name offset
        assert_eq!(strings.offsets.get("Data"), Some(&data_at));
        assert_eq!(strings.buckets[(name_hash("Data") % 64) as usize], data_at);
    }
}
