//! The typed record model every input format produces.
//!
//! A support case mixes *events* (things that happened at a time: evtx records,
//! XML exports, ETW trace records) with *snapshots* (state captured once: a
//! `netstat` socket table, `tasklist /svc`, a registry export, the output of a
//! PowerShell cmdlet). Both kinds flow through the same pipeline as a
//! [`Record`], and every record carries an [`Origin`] so that a finding can point
//! back at the exact file and place its evidence came from.
//!
//! The JSON shape of these types (through `serde`) is part of the public
//! contract and is documented in `docs/model.md`. Fields are only ever added.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

/// One record read from an input: an event, or one row of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// An event log record or an ETW trace record.
    Event(Box<Event>),
    /// One row of a socket table (`netstat -ano`, Tcpvcon).
    Socket(SocketEntry),
    /// One running process (`tasklist /svc`), with the services it hosts.
    Process(ProcessEntry),
    /// One registry value from a `.reg` export.
    Registry(RegistryValue),
    /// One block of PowerShell `Format-List` output, or an error PowerShell printed.
    Command(CommandOutput),
    /// One installed update (`systeminfo`'s hotfix list, `Get-HotFix`, `wmic qfe`).
    Update(InstalledUpdate),
    /// What `systeminfo` (or `Get-ComputerInfo`) says of a computer.
    Computer(ComputerInfo),
    /// A range of ports reserved (`netsh … show excludedportrange`) or handed
    /// out as ephemeral ports (`netsh … show dynamicport`).
    PortRange(PortRange),
}

impl Record {
    /// Where this record came from.
    pub fn origin(&self) -> &Origin {
        match self {
            Record::Event(e) => &e.origin,
            Record::Socket(s) => &s.origin,
            Record::Process(p) => &p.origin,
            Record::Registry(r) => &r.origin,
            Record::Command(c) => &c.origin,
            Record::Update(u) => &u.origin,
            Record::Computer(c) => &c.origin,
            Record::PortRange(r) => &r.origin,
        }
    }

    /// Where this record came from, to change (a piece's line numbers moved to the file's).
    pub fn origin_mut(&mut self) -> &mut Origin {
        match self {
            Record::Event(e) => &mut e.origin,
            Record::Socket(s) => &mut s.origin,
            Record::Process(p) => &mut p.origin,
            Record::Registry(r) => &mut r.origin,
            Record::Command(c) => &mut c.origin,
            Record::Update(u) => &mut u.origin,
            Record::Computer(c) => &mut c.origin,
            Record::PortRange(r) => &mut r.origin,
        }
    }

    /// The event inside, if this record is an event.
    pub fn as_event(&self) -> Option<&Event> {
        match self {
            Record::Event(e) => Some(e),
            _ => None,
        }
    }
}

/// Where a record came from: the input and the place inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// The input path as the user gave it (or found by walking a folder).
    /// A member of a zip archive is written `archive.zip!inner/path`.
    pub source: Arc<str>,
    /// The place inside the input.
    pub locator: Locator,
}

impl Origin {
    /// An origin for `source` at `locator`.
    pub fn new(source: Arc<str>, locator: Locator) -> Self {
        Origin { source, locator }
    }
}

/// The place of a record inside its input, precise enough to find it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Locator {
    /// An evtx record: its EventRecordID and the index of its chunk in the file.
    Evtx {
        /// Index of the 64 KiB chunk, counting from 0 after the file header.
        chunk: u64,
        /// The record's EventRecordID.
        record_id: u64,
    },
    /// A place in an evtx chunk where no record id could be read (a damaged
    /// record header, or a whole chunk when `offset` is 0).
    EvtxOffset {
        /// Index of the 64 KiB chunk, counting from 0 after the file header.
        chunk: u64,
        /// Byte offset of the record inside its chunk (0: the chunk itself).
        offset: u64,
    },
    /// A line of a text input (1-based). For a record spread over several
    /// lines this is its first line.
    Line {
        /// 1-based line number.
        line: u64,
    },
    /// A byte offset, for inputs without lines or record ids (XML element starts, ETL records).
    Offset {
        /// Byte offset from the start of the (decoded) input.
        offset: u64,
    },
    /// An ETL record: the buffer index in the file and the record's offset inside that buffer.
    EtlBuffer {
        /// Index of the buffer in file order.
        buffer: u64,
        /// Offset of the record inside the buffer.
        offset: u32,
    },
    /// The input as a whole (a diagnostic about the file itself).
    File,
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::Evtx { chunk, record_id } => write!(f, "record {record_id} (chunk {chunk})"),
            Locator::EvtxOffset { chunk, offset: 0 } => write!(f, "chunk {chunk}"),
            Locator::EvtxOffset { chunk, offset } => write!(f, "chunk {chunk} offset {offset:#x}"),
            Locator::Line { line } => write!(f, "line {line}"),
            Locator::Offset { offset } => write!(f, "offset {offset:#x}"),
            Locator::EtlBuffer { buffer, offset } => {
                write!(f, "buffer {buffer} offset {offset:#x}")
            }
            Locator::File => f.write_str("file"),
        }
    }
}

/// A GUID (16 bytes in Windows' mixed-endian order, shown and serialised as
/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` in lowercase): one type for the
/// whole workspace, defined by the ETL reader, which core builds on.
pub use evtriage_etl::Guid;

/// The localized names of an event's level, task, opcode and keywords, as
/// Event Viewer shows them (from the log's LocaleMetaData, or a rendered
/// export). A name the source does not have is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayNames {
    /// The level's name (`Information`, `Error`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The task's name (the "Task Category" column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The opcode's name (`Info`, `Start`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opcode: Option<String>,
    /// The names of the keywords set, lowest bit first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// Where an event's shown message comes from, best first.
///
/// `Input`, `Twin` and `Mta` are set on [`Event::message_source`] by whoever
/// sets [`Event::message`]; `Table` and `Raw` are what
/// [`crate::message::source_of`] says when the event has no message of its
/// own. In JSON: `input`, `twin`, `mta`, `table`, `raw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageSource {
    /// The input carried the rendered message itself: an XML export's
    /// `RenderingInfo/Message`, a text export's message column, a trace
    /// record's text.
    Input,
    /// A rendered export of the same record beside the binary log (its
    /// "twin": Event Viewer XML with `RenderingInfo`, `wevtutil qe
    /// /f:RenderedXml`, a text export) lent its message.
    Twin,
    /// The log's LocaleMetaData (`.MTA`) file.
    Mta,
    /// evtriage's built-in template table, filled with the event's data.
    Table,
    /// No message known: provider, id and data values.
    Raw,
}

impl MessageSource {
    /// The JSON spelling (`input`, `twin`, `mta`, `table`, `raw`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageSource::Input => "input",
            MessageSource::Twin => "twin",
            MessageSource::Mta => "mta",
            MessageSource::Table => "table",
            MessageSource::Raw => "raw",
        }
    }
}

/// The provider (publisher) of an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// `Provider/@Name`, e.g. `Service Control Manager`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Provider/@Guid` (manifest providers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<Guid>,
    /// `Provider/@EventSourceName` (classic sources registered under a manifest provider).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_source_name: Option<String>,
}

/// Event severity as written in `System/Level`.
///
/// Only the numeric value is stored; [`Event::level_name`] gives the usual
/// name. Classic events written with level 0 are "Information" in Event Viewer.
pub type Level = u8;

/// Which section of the event XML a data item came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSection {
    /// `<EventData>` (the usual case).
    #[default]
    EventData,
    /// `<UserData>`, flattened: the item name is the leaf element name.
    UserData,
}

/// One `<Data>` item (or one flattened `UserData` leaf), in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataItem {
    /// The `Name` attribute; `None` for classic providers' unnamed `<Data>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value as text, exactly as the source has it (e.g. `%%58`).
    pub value: String,
}

impl DataItem {
    /// A named data item.
    pub fn named(name: impl Into<String>, value: impl Into<String>) -> Self {
        DataItem { name: Some(name.into()), value: value.into() }
    }
    /// An unnamed data item (classic providers).
    pub fn unnamed(value: impl Into<String>) -> Self {
        DataItem { name: None, value: value.into() }
    }
}

/// An event: an evtx record, an XML-exported event, or an ETW trace record.
///
/// Every source fills what it has; absent System fields are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The provider (publisher).
    pub provider: Provider,
    /// `System/EventID` (low 16 bits for classic events; see `qualifiers`).
    pub event_id: u32,
    /// `EventID/@Qualifiers` (the high 16 bits of a classic message id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifiers: Option<u16>,
    /// `System/Version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    /// `System/Level` (1 critical, 2 error, 3 warning, 4 information, 5 verbose; 0 = log always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// `System/Task`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<u16>,
    /// `System/Opcode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<u8>,
    /// `System/Keywords`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<u64>,
    /// `System/TimeCreated/@SystemTime`, in UTC with the source's full precision
    /// (100 ns for evtx and ETL). `None` only when the source has no time at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// `System/EventRecordID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// `System/Correlation/@ActivityID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<Guid>,
    /// `System/Correlation/@RelatedActivityID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_activity_id: Option<Guid>,
    /// `System/Execution/@ProcessID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_id: Option<u32>,
    /// `System/Execution/@ThreadID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<u32>,
    /// `System/Channel`, e.g. `System`, or for text traces the part after `/`
    /// in `[Provider/Channel]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `System/Computer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// `System/Security/@UserID` (a SID string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_sid: Option<String>,
    /// Which section `data` came from.
    #[serde(default, skip_serializing_if = "is_event_data")]
    pub data_section: DataSection,
    /// `EventData/Data` items (or flattened `UserData` leaves), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataItem>,
    /// `EventData/Binary`, decoded from hex.
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "ser_hex", deserialize_with = "de_hex")]
    pub binary: Option<Vec<u8>>,
    /// The rendered message, when the source carries one
    /// (`RenderingInfo/Message`, or a trace record's text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where [`Event::message`] came from (`input`, `twin` or `mta`); absent
    /// when the event has no message of its own. See
    /// [`crate::message::source_of`] for the source of the shown message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_source: Option<MessageSource>,
    /// The names Event Viewer shows for the level, task, opcode and keywords,
    /// when the input has them: a LocaleMetaData `.MTA` file beside the
    /// `.evtx`, an XML export's `RenderingInfo`, a text export's columns, or
    /// a rendered twin of the record; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Box<DisplayNames>>,
    /// Extra facts of ETW trace records (processor, parsed LDAP client message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<TraceInfo>>,
    /// A stale record: carved from an `.evtx` chunk's unused (slack) space or
    /// from a damaged stretch, not one of the log's live records (as
    /// `evtx_dump --recover-records` marks them). Readers deliver such
    /// records only when [`crate::ReadOptions::recovered`] asks for them, and
    /// rules never anchor on one. `"recovered": true` in JSON; absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub recovered: bool,
    /// Where the event came from.
    pub origin: Origin,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_event_data(s: &DataSection) -> bool {
    *s == DataSection::EventData
}

fn ser_hex<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(bytes) => s.serialize_str(&crate::display::to_hex(bytes)),
        None => s.serialize_none(),
    }
}

fn de_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s {
        None => Ok(None),
        Some(s) => crate::display::from_hex(&s).map(Some).ok_or_else(|| serde::de::Error::custom("binary is not hex")),
    }
}

impl Event {
    /// An empty event of `provider_name`/`event_id` from `origin`; sources fill in the rest.
    pub fn new(provider_name: Option<String>, event_id: u32, origin: Origin) -> Self {
        Event {
            provider: Provider { name: provider_name, guid: None, event_source_name: None },
            event_id,
            qualifiers: None,
            version: None,
            level: None,
            task: None,
            opcode: None,
            keywords: None,
            time: None,
            record_id: None,
            activity_id: None,
            related_activity_id: None,
            process_id: None,
            thread_id: None,
            channel: None,
            computer: None,
            user_sid: None,
            data_section: DataSection::EventData,
            data: Vec::new(),
            binary: None,
            message: None,
            message_source: None,
            display: None,
            recovered: false,
            trace: None,
            origin,
        }
    }

    /// The first data value named `name` (ASCII case-insensitive).
    pub fn data_named(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|d| d.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(|d| d.value.as_str())
    }

    /// The data value at `index` (0-based), named or not. Classic events are read this way.
    pub fn data_at(&self, index: usize) -> Option<&str> {
        self.data.get(index).map(|d| d.value.as_str())
    }

    /// A field by the name a rule or filter uses: `param1`..`paramN` fall back
    /// to position when the data is unnamed (classic providers), `%1` style
    /// positions are accepted too, and any other name is looked up by name.
    pub fn field(&self, name: &str) -> Option<&str> {
        if let Some(v) = self.data_named(name) {
            return Some(v);
        }
        let pos =
            name.strip_prefix("param").or_else(|| name.strip_prefix('%')).and_then(|n| n.parse::<usize>().ok())?;
        if pos == 0 {
            return None;
        }
        self.data_at(pos - 1)
    }

    /// The provider name, or the GUID as text, or `""`.
    pub fn provider_label(&self) -> String {
        match (&self.provider.name, &self.provider.guid) {
            (Some(n), _) => n.clone(),
            (None, Some(g)) => g.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The usual display name of `level` (Event Viewer wording); see [`level_name`].
    pub fn level_name(&self) -> &'static str {
        level_name(self.level)
    }
}

/// The Event Viewer name of a `System/Level` value: classic events logged with
/// level 0 (and events without a level) show as "Information"; a provider's own
/// levels above 5 show as "Other".
pub fn level_name(level: Option<Level>) -> &'static str {
    match level {
        Some(1) => "Critical",
        Some(2) => "Error",
        Some(3) => "Warning",
        Some(0) | Some(4) | None => "Information",
        Some(5) => "Verbose",
        Some(_) => "Other",
    }
}

/// Facts only ETW trace records have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceInfo {
    /// The processor that logged the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processor: Option<u32>,
    /// The kind of record header the trace used (ETL only), e.g. `event_header64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_kind: Option<String>,
    /// Raw payload bytes of a trace record whose message could not be decoded.
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "ser_hex", deserialize_with = "de_hex")]
    pub payload: Option<Vec<u8>>,
    /// The message of a Microsoft-Windows-LDAP-Client record, parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldap: Option<LdapClientMessage>,
    /// The event's name, for self-describing (TraceLogging) ETW records,
    /// whose event id is usually 0 (e.g. `AmsiScript`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
}

/// A Microsoft-Windows-LDAP-Client trace message, parsed into typed fields.
///
/// The client logs free text such as
/// `LdapConnect failed to open connection 0xec4b08a8, error = 0x5b.`;
/// the fields below are what triage rules need from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapClientMessage {
    /// The client function or step named at the start of the message,
    /// e.g. `LdapConnect`, `LdapParallelConnect`.
    pub operation: String,
    /// The connection handle (`connection 0x…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<u64>,
    /// The LDAP error code (`error = 0x5b`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<u32>,
    /// The timeout in milliseconds (`timeout 45 sec 0 usec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Whether the message reports a failure.
    pub failed: bool,
}

/// The transport protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP (IPv4 or IPv6).
    Tcp,
    /// UDP (IPv4 or IPv6).
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        })
    }
}

/// One row of a socket table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketEntry {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Whether the row is IPv6 (`[::]:445`, `TCPV6`).
    pub ipv6: bool,
    /// Local address without brackets or port, e.g. `0.0.0.0`, `::`, `fe80::1%6`.
    pub local_address: String,
    /// Local port (0 when the capture shows `*`).
    pub local_port: u16,
    /// Remote address as captured (may be a resolved name, or `*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_address: Option<String>,
    /// Remote port; `None` for `*` or a resolved service name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<u16>,
    /// TCP state by its English name (`LISTENING`, `ESTABLISHED`, …), also
    /// when the capture is localized; `None` for UDP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The state as a localized capture printed it (`ABHÖREN`), when it
    /// differs from `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_localized: Option<String>,
    /// Owning process id, when captured (`-o`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Owning process image (`-b`'s `[exe]` line, or Tcpvcon's process column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Services hosted by the owner (`-b`'s service-tag line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Where the row came from.
    pub origin: Origin,
}

impl SocketEntry {
    /// Whether the socket is bound locally and waiting: TCP `LISTENING`, or any UDP endpoint.
    pub fn is_listening(&self) -> bool {
        match self.protocol {
            Protocol::Udp => true,
            Protocol::Tcp => self
                .state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("LISTENING") || s.eq_ignore_ascii_case("LISTEN")),
        }
    }
}

/// A running process from `tasklist /svc` (or learned from another snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessEntry {
    /// Process id.
    pub pid: u32,
    /// Image name, e.g. `svchost.exe`.
    pub image: String,
    /// Service key names hosted by the process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Where the row came from.
    pub origin: Origin,
}

/// A typed registry value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RegData {
    /// `REG_SZ`.
    #[serde(rename = "REG_SZ")]
    Sz(String),
    /// `REG_EXPAND_SZ` (`hex(2):`).
    #[serde(rename = "REG_EXPAND_SZ")]
    ExpandSz(String),
    /// `REG_MULTI_SZ` (`hex(7):`).
    #[serde(rename = "REG_MULTI_SZ")]
    MultiSz(Vec<String>),
    /// `REG_DWORD` (`dword:`).
    #[serde(rename = "REG_DWORD")]
    Dword(u32),
    /// `REG_QWORD` (`hex(b):`).
    #[serde(rename = "REG_QWORD")]
    Qword(u64),
    /// `REG_BINARY` (`hex:`) or any other `hex(N):` type, as raw bytes.
    #[serde(rename = "REG_BINARY")]
    Binary {
        /// The registry type number (3 for REG_BINARY).
        kind: u32,
        /// The bytes, hex-encoded in JSON.
        #[serde(serialize_with = "ser_hex_vec", deserialize_with = "de_hex_vec")]
        bytes: Vec<u8>,
    },
    /// `"Name"=-`: the export deletes the value.
    #[serde(rename = "DELETE")]
    Delete,
    /// `[-KEY]`: the export deletes the whole key (the record's name is empty).
    #[serde(rename = "DELETE_KEY")]
    DeleteKey,
}

fn ser_hex_vec<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::display::to_hex(v))
}

fn de_hex_vec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    crate::display::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not hex"))
}

/// One registry value from a `.reg` export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryValue {
    /// Full key path as exported, e.g. `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ`.
    pub key: String,
    /// Value name; empty for the key's default value (`@`).
    pub name: String,
    /// The typed value.
    pub data: RegData,
    /// Where the value came from.
    pub origin: Origin,
}

/// What a range of ports is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortRangeKind {
    /// Excluded: no program can bind a port of it unless it reserved it
    /// (`netsh int ipv4 show excludedportrange`).
    Excluded,
    /// The dynamic (ephemeral) range the system hands out to outgoing
    /// connections (`netsh int ipv4 show dynamicport`).
    Dynamic,
}

/// A range of ports from `netsh int ipv4|ipv6 show excludedportrange` or `show dynamicport`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Excluded or dynamic.
    pub range: PortRangeKind,
    /// First port.
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
    /// For an excluded range: whether an administrator added it (`*` in
    /// netsh's list: `netsh int ipv4 add excludedportrange`), not a program
    /// reserving ports for itself (Hyper-V, WinNAT).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub administered: bool,
    /// Where the row came from.
    pub origin: Origin,
}

/// One installed update, as `systeminfo` (`[01]: KB4534273`), `Get-HotFix`,
/// `wmic qfe list` or `Win32_QuickFixEngineering` list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledUpdate {
    /// The computer it is installed on, when the capture names it
    /// (`Source`, `CSName`, systeminfo's `Host Name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// The update's KB number, upper case with its prefix: `KB948609`.
    pub kb: String,
    /// Its kind as listed (`Update`, `Security Update`, `Hotfix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was installed, as printed: a date in the capturing
    /// computer's format (`3/14/2019`, `14.03.2019`), not interpreted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_on: Option<String>,
    /// Who installed it, as listed (`NT AUTHORITY\SYSTEM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_by: Option<String>,
    /// Where the row came from.
    pub origin: Origin,
}

/// What `systeminfo` or `Get-ComputerInfo` says of a computer: its name,
/// operating system, role, domain, boot time and time zone, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputerInfo {
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer: Option<String>,
    /// `Microsoft Windows Server 2019 Datacenter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_name: Option<String>,
    /// `10.0.17763 N/A Build 17763`, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// The build number, from the version (`17763`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_build: Option<u32>,
    /// The role (`OS Configuration`: `Primary Domain Controller`, `Member Server`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The domain (or workgroup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// When the computer started, as printed in its local time and format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_time: Option<String>,
    /// The time zone as printed: `(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The standard offset from UTC in minutes, from the time zone's `(UTC±hh:mm)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// How many updates the capture lists (systeminfo's `N Hotfix(s) Installed.`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotfix_count: Option<u32>,
    /// Where the block came from.
    pub origin: Origin,
}

/// `(UTC+01:00) Amsterdam, …` (or `(GMT-05:00) …` of older Windows) → minutes east of UTC.
pub fn utc_offset_of_zone(zone: &str) -> Option<i32> {
    let t = zone.trim_start();
    let rest = t.strip_prefix("(UTC").or_else(|| t.strip_prefix("(GMT"))?;
    let close = rest.find(')')?;
    let off = rest.get(..close)?;
    if off.is_empty() {
        return Some(0);
    }
    let (sign, hm) = match off.as_bytes().first()? {
        b'+' => (1, off.get(1..)?),
        b'-' => (-1, off.get(1..)?),
        _ => return None,
    };
    let (h, m) = hm.split_once(':').unwrap_or((hm, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// One record of command output: a PowerShell `Format-List` block
/// (`Id : …`, `Type : …`, `Message : …`) or an error PowerShell printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutput {
    /// The cmdlet, when the capture names it (e.g. `Test-OutlookWebServices`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The properties of the block in order (`Id`, `Type`, `Message`, …).
    pub properties: Vec<(String, String)>,
    /// Whether this record is an error PowerShell printed rather than an object.
    pub is_error: bool,
    /// Where the record came from.
    pub origin: Origin,
}

impl CommandOutput {
    /// The first property named `name` (ASCII case-insensitive).
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
