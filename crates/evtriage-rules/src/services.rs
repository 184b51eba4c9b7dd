//! Service identity: knowing which service an event is about.
//!
//! Service Control Manager events name a service by its *display name*
//! (`Intersite Messaging`) or its *key name* (`IsmServ`), depending on the
//! event and on how early in boot it was logged. Rules name services by key.
//! [`ServiceTable`] joins the two, from:
//! - the built-in table of well-known Windows services (display names seen in
//!   real System logs, and the default ports of KB832017),
//! - what the inputs themselves show ([`Learned`]): SCM 7036 (display name +
//!   `Binary` = `key/state`), 7040 (`param4` = key), the `Binary` of
//!   7000/7023/7024/7031 (the key), and `Services\<key>\DisplayName` in a
//!   registry export.
//!
//! Port data from Microsoft's support article KB832017 (Service overview and
//! network port requirements for Windows), © Microsoft, licensed under CC BY 4.0.

use std::collections::HashMap;
use std::sync::OnceLock;

use evtriage_core::{Event, Guid, Protocol};

const PORTS_TSV: &str = include_str!("../data/ports.tsv");
const NAMES_TSV: &str = include_str!("../data/display-names.tsv");

/// Attribution that must accompany the built-in port table.
pub const PORTS_ATTRIBUTION: &str = "Port data from Microsoft's support article KB832017 (Service overview and \
network port requirements for Windows), © Microsoft, licensed under CC BY 4.0.";

/// Ports many services share through one system process (RPC endpoint mapper,
/// NetBIOS, SMB): seeing them held by another process is normal, not a conflict.
const SHARED_PORTS: &[u16] = &[135, 137, 138, 139, 445];

/// One default port of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The port number.
    pub port: u16,
    /// What the port is for (`SMTP`, `RADIUS Authentication`).
    pub application: String,
}

/// A well-known service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    /// Key name (`IsmServ`); for a service known only by display name, that name.
    pub key: String,
    /// Display names seen for it (several: renames, languages).
    pub display_names: Vec<String>,
    /// Fixed ports the service itself listens on (ranges and shared system ports left out).
    pub ports: Vec<ServicePort>,
}

/// The built-in table of well-known services.
#[derive(Debug, Clone, Default)]
pub struct ServiceTable {
    services: Vec<ServiceInfo>,
    by_name: HashMap<String, usize>,
}

pub(crate) fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

impl ServiceTable {
    /// The built-in table (parsed once).
    pub fn builtin() -> &'static ServiceTable {
        static TABLE: OnceLock<ServiceTable> = OnceLock::new();
        TABLE.get_or_init(|| ServiceTable::parse(PORTS_TSV, NAMES_TSV))
    }

    /// Parses the two TSV tables (header line first; malformed lines are passed over).
    pub fn parse(ports_tsv: &str, names_tsv: &str) -> ServiceTable {
        let mut t = ServiceTable::default();
        for line in names_tsv.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if let (Some(key), Some(display)) = (cols.first(), cols.get(1)) {
                if !key.trim().is_empty() {
                    let i = t.entry(key.trim());
                    t.add_display(i, display.trim());
                }
            }
        }
        for line in ports_tsv.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(key), Some(display), Some(proto), Some(port)) =
                (cols.first(), cols.get(1), cols.get(2), cols.get(3))
            else {
                continue;
            };
            let (key, display) = (key.trim(), display.trim());
            // Rows without a key (BlackBerry Router) are known by display name.
            let id = if key.is_empty() { display } else { key };
            if id.is_empty() {
                continue;
            }
            let i = t.entry(id);
            t.add_display(i, display);
            let protocol = match proto.trim().to_ascii_uppercase().as_str() {
                "TCP" => Protocol::Tcp,
                "UDP" => Protocol::Udp,
                _ => continue,
            };
            let Ok(port) = port.trim().parse::<u16>() else { continue };
            if SHARED_PORTS.contains(&port) {
                continue;
            }
            let application = cols.get(4).map(|s| s.trim().to_string()).unwrap_or_default();
            if let Some(s) = t.services.get_mut(i) {
                if !s.ports.iter().any(|p| p.protocol == protocol && p.port == port) {
                    s.ports.push(ServicePort { protocol, port, application });
                }
            }
        }
        t
    }

    fn entry(&mut self, key: &str) -> usize {
        if let Some(i) = self.by_name.get(&fold(key)) {
            // A display name may already point elsewhere; the key itself wins only if it is a key.
            if self.services.get(*i).is_some_and(|s| s.key.eq_ignore_ascii_case(key)) {
                return *i;
            }
        }
        self.services.push(ServiceInfo { key: key.to_string(), display_names: Vec::new(), ports: Vec::new() });
        let i = self.services.len() - 1;
        self.by_name.insert(fold(key), i);
        i
    }

    fn add_display(&mut self, i: usize, display: &str) {
        if display.is_empty() {
            return;
        }
        if let Some(s) = self.services.get_mut(i) {
            if !s.display_names.iter().any(|d| d.eq_ignore_ascii_case(display)) {
                s.display_names.push(display.to_string());
            }
        }
        self.by_name.entry(fold(display)).or_insert(i);
    }

    /// The service whose key or display name is `name` (ignoring case).
    pub fn get(&self, name: &str) -> Option<&ServiceInfo> {
        self.by_name.get(&fold(name)).and_then(|i| self.services.get(*i))
    }

    /// Every service in the table.
    pub fn services(&self) -> &[ServiceInfo] {
        &self.services
    }
}

/// Service names learned from the inputs: display name → key.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    display_to_key: HashMap<String, String>,
    keys: HashMap<String, String>,
    /// Reused for folding names before a look-up (no allocation per event).
    scratch: String,
}

/// [`fold`] into `buf`, without allocating for ASCII names.
fn fold_into(buf: &mut String, s: &str) {
    buf.clear();
    let s = s.trim();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&s.to_lowercase());
    }
}

impl Learned {
    /// Records that `display` is the display name of service `key`.
    pub fn add(&mut self, key: &str, display: &str) {
        let (key, display) = (key.trim(), display.trim());
        if key.is_empty() {
            return;
        }
        // Almost every call repeats a known pair (each SCM 7036 tells one):
        // look up before allocating anything.
        let mut folded = std::mem::take(&mut self.scratch);
        fold_into(&mut folded, key);
        if !self.keys.contains_key(folded.as_str()) {
            self.keys.insert(folded.clone(), key.to_string());
        }
        if !display.is_empty() && !display.eq_ignore_ascii_case(key) {
            fold_into(&mut folded, display);
            if !self.display_to_key.contains_key(folded.as_str()) {
                self.display_to_key.insert(folded.clone(), key.to_string());
            }
        }
        self.scratch = folded;
    }

    /// Learns from an SCM event, if it tells a key/display pair.
    pub fn learn_from_event(&mut self, e: &Event) {
        let Some((display, source)) = learn_source(e) else { return };
        // 7040 names the key in `param4`; the others in their `Binary`.
        let key = if e.event_id == 7040 { std::str::from_utf8(source).ok().map(str::to_string) } else { binary_key(e) };
        if let Some(key) = key {
            self.add(&key, display);
        }
    }

    /// The learned display names (folded) with the key each names.
    pub(crate) fn displays(&self) -> impl Iterator<Item = (&str, &str)> {
        self.display_to_key.iter().map(|(d, k)| (d.as_str(), k.as_str()))
    }

    /// The learned service keys, as first spelled.
    pub(crate) fn key_names(&self) -> impl Iterator<Item = &str> {
        self.keys.values().map(String::as_str)
    }

    /// Number of services learned.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What an SCM event teaches [`Learned::learn_from_event`], before any
/// conversion: the display name shown and where the key comes from (the
/// `Binary` bytes, or for 7040 the `param4` text). Two events with the same
/// source teach the same pair.
pub(crate) fn learn_source(e: &Event) -> Option<(&str, &[u8])> {
    if !is_scm(e) {
        return None;
    }
    match e.event_id {
        7040 => Some((e.field("param1")?, e.field("param4")?.as_bytes())),
        id => Some((e.field(default_service_field(id))?, e.binary.as_deref()?)),
    }
}

/// A GUID written as text, parsed once (comparing 16 bytes instead of
/// formatting every delivered event's GUID into a new string).
pub(crate) fn guid_const(cell: &'static std::sync::OnceLock<Option<Guid>>, text: &str) -> Option<Guid> {
    *cell.get_or_init(|| Guid::parse(text))
}

static SCM: std::sync::OnceLock<Option<Guid>> = std::sync::OnceLock::new();

/// Whether an event comes from the Service Control Manager.
pub fn is_scm(e: &Event) -> bool {
    const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
    e.provider.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("Service Control Manager"))
        || e.provider.event_source_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("Service Control Manager"))
        || e.provider.guid.is_some_and(|g| Some(g) == guid_const(&SCM, SCM_GUID))
}

/// The field an SCM event id names its service in.
pub fn default_service_field(event_id: u32) -> &'static str {
    match event_id {
        7009 | 7011 => "param2",
        7045 => "ServiceName",
        _ => "param1",
    }
}

/// The service key an SCM event's `Binary` holds (UTF-16LE, NUL-terminated; 7036 appends `/state`).
pub fn binary_key(e: &Event) -> Option<String> {
    let bytes = e.binary.as_deref()?;
    let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|u| *u != 0);
    // Decoded straight into the string (this runs for every SCM event a rule
    // or the service-name learning looks at); unpaired surrogates refuse it.
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        text.push(c.ok()?);
    }
    if let Some((key, state)) = text.rsplit_once('/') {
        if state.chars().all(|c| c.is_ascii_digit()) {
            let len = key.len();
            text.truncate(len);
        }
    }
    let ok = !text.is_empty()
        && text.len() <= 256
        && text.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | ' ' | '@' | '{' | '}'));
    ok.then_some(text)
}

/// The service an event is about: its key name and, when known, display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    /// Key name when known, else the name as the event shows it.
    pub key: String,
    /// A display name, when known.
    pub display: Option<String>,
}

impl ServiceRef {
    /// Whether this is the service `name` (key or display name, ignoring case).
    pub fn is(&self, name: &str, table: &ServiceTable) -> bool {
        let name = name.trim();
        if self.key.eq_ignore_ascii_case(name) || self.display.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(name))
        {
            return true;
        }
        table.get(name).is_some_and(|info| info.key.eq_ignore_ascii_case(&self.key))
    }
}

/// Resolves the name an event shows (and the key its Binary holds) to a service.
pub fn resolve(table: &ServiceTable, learned: &Learned, shown: &str, binary: Option<&str>) -> ServiceRef {
    let shown = shown.trim();
    let key = if let Some(k) = binary.filter(|k| !k.is_empty()) {
        k.to_string()
    } else if let Some(k) = learned.keys.get(&fold(shown)) {
        k.clone()
    } else if let Some(k) = learned.display_to_key.get(&fold(shown)) {
        k.clone()
    } else if let Some(info) = table.get(shown) {
        info.key.clone()
    } else {
        shown.to_string()
    };
    let display = if !shown.eq_ignore_ascii_case(&key) && !shown.is_empty() {
        Some(shown.to_string())
    } else {
        table.get(&key).and_then(|i| i.display_names.first().cloned())
    };
    ServiceRef { key, display }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_knows_founding_services() {
        let t = ServiceTable::builtin();
        let ism = t.get("Intersite Messaging").map(|s| s.key.as_str());
        assert_eq!(ism, Some("IsmServ"));
        let smtp = t.get("SMTPSVC").map(|s| s.ports.clone()).unwrap_or_default();
        assert!(smtp.iter().any(|p| p.port == 25 && p.protocol == Protocol::Tcp));
        let ias = t.get("Network Policy Server").map(|s| s.ports.iter().map(|p| p.port).collect::<Vec<_>>());
        let ias = ias.unwrap_or_default();
        for p in [1645, 1646, 1812, 1813] {
            assert!(ias.contains(&p), "IAS port {p}");
        }
        let bb = t.get("BlackBerry Router").map(|s| s.ports.iter().map(|p| p.port).collect::<Vec<_>>());
        assert_eq!(bb, Some(vec![3101]));
        // Shared system ports are not a service's own.
        let cert = t.get("CertSvc").map(|s| s.ports.len());
        assert_eq!(cert, Some(0));
    }

    #[test]
    fn resolve_prefers_binary_then_learned_then_table() {
        let t = ServiceTable::builtin();
        let mut l = Learned::default();
        assert_eq!(resolve(t, &l, "Intersite Messaging", None).key, "IsmServ");
        assert_eq!(resolve(t, &l, "Whatever", Some("MySvc")).key, "MySvc");
        l.add("FooSvc", "Foo Service");
        let r = resolve(t, &l, "foo service", None);
        assert_eq!(r.key, "FooSvc");
        assert_eq!(r.display.as_deref(), Some("foo service"));
        assert!(r.is("FooSvc", t));
        assert_eq!(resolve(t, &l, "Unknown Thing", None).key, "Unknown Thing");
    }
}
