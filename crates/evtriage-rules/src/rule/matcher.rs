//! What a compiled rule is made of: record matchers (provider, ids, fields,
//! message, service), field and service predicates, and checks; and how
//! each tests an event or a command-output block.

use chrono::Duration;
use evtriage_core::{CommandOutput, Event, EventKey, Guid, Protocol};

use crate::codes::value_is_code;
use crate::finding::Confidence;
use crate::spec::Direction;

/// A provider selector: by name (ignoring case), by name prefix (`MSSQL$*`:
/// SQL Server named instances log as `MSSQL$<instance>`) or GUID.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProviderSel {
    Name(String),
    Prefix(String),
    Guid(Guid),
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

impl ProviderSel {
    pub(crate) fn matches_key(&self, key: &EventKey<'_>) -> bool {
        match self {
            ProviderSel::Name(n) => key.provider.is_some_and(|p| p.eq_ignore_ascii_case(n)),
            ProviderSel::Prefix(n) => key.provider.is_some_and(|p| starts_with_ignore_case(p, n)),
            ProviderSel::Guid(g) => key.guid == Some(g),
        }
    }
    pub(crate) fn matches_event(&self, e: &Event) -> bool {
        match self {
            ProviderSel::Name(n) => {
                e.provider.name.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(n))
                    || e.provider.event_source_name.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(n))
            }
            ProviderSel::Prefix(n) => {
                e.provider.name.as_deref().is_some_and(|p| starts_with_ignore_case(p, n))
                    || e.provider.event_source_name.as_deref().is_some_and(|p| starts_with_ignore_case(p, n))
            }
            ProviderSel::Guid(g) => e.provider.guid.as_ref() == Some(g),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum FieldTest {
    Equals(String),
    OneOf(Vec<String>),
    Regex(super::lazy::LazyRegex),
    Code(Vec<u32>),
    IsComputer,
    LooksRandom,
    /// A number within an inclusive range (either end open).
    Range(Option<i64>, Option<i64>),
    /// Holds when any of these holds (each on its own field; one whose
    /// `event_id` scope excludes the event does not hold).
    Any(Vec<FieldPred>),
}

#[derive(Debug, Clone)]
pub(crate) struct FieldPred {
    pub field: String,
    pub test: FieldTest,
    pub not: bool,
    pub only_ids: Vec<u32>,
}

impl FieldPred {
    /// Whether the predicate holds, reading fields with `get` (by name).
    fn holds_with<'v>(
        &self,
        get: &dyn Fn(&str) -> Option<std::borrow::Cow<'v, str>>,
        event_id: Option<u32>,
        computer: Option<&str>,
    ) -> bool {
        if let FieldTest::Any(list) = &self.test {
            let applies = |p: &&FieldPred| event_id.is_none_or(|id| p.only_ids.is_empty() || p.only_ids.contains(&id));
            let r = list.iter().filter(applies).any(|p| p.holds_with(get, event_id, computer));
            return r != self.not;
        }
        let value = get(&self.field);
        let r = match value.as_deref() {
            None => false,
            Some(v) => match &self.test {
                FieldTest::IsComputer => computer.is_some_and(|c| same_short_name(v, c)),
                FieldTest::Equals(x) => v.trim().eq_ignore_ascii_case(x.trim()),
                FieldTest::OneOf(xs) => xs.iter().any(|x| v.trim().eq_ignore_ascii_case(x.trim())),
                FieldTest::Regex(re) => re.is_match(v),
                FieldTest::Code(codes) => codes.iter().any(|c| value_is_code(v, *c)),
                FieldTest::LooksRandom => looks_random(v),
                FieldTest::Range(lo, hi) => parse_number(v).is_some_and(|n| {
                    lo.is_none_or(|lo| n >= i128::from(lo)) && hi.is_none_or(|hi| n <= i128::from(hi))
                }),
                FieldTest::Any(_) => false,
            },
        };
        r != self.not
    }
}

/// Whether a service's names look machine-generated, as remote-execution
/// tools make them: its key or display name [`looks_random`], or its display
/// name (12 letters or more, both cases, no space) is another such word than
/// its key (8 letters or more, both cases): `ItUrroruwhZwMrnl` for the key
/// `RtHtiBOD`, which Metasploit's psexec makes. Real services with a one-word
/// display name show their key as that name.
pub fn generated_name(key: &str, display: Option<&str>) -> bool {
    let mixed = |s: &str, min: usize| {
        s.len() >= min
            && s.bytes().all(|b| b.is_ascii_alphabetic())
            && s.bytes().any(|b| b.is_ascii_uppercase())
            && s.bytes().any(|b| b.is_ascii_lowercase())
    };
    if looks_random(key) || display.is_some_and(looks_random) {
        return true;
    }
    match display.map(str::trim) {
        Some(d) if !d.eq_ignore_ascii_case(key.trim()) => mixed(d, 12) && mixed(key.trim(), 8),
        _ => false,
    }
}

/// Whether a service name looks machine-generated, as remote-execution tools
/// make them (`gdKhvCScykzNFZKd`, `UWdKhYTIQWWJxHfx`): at least 12 ASCII
/// letters and nothing else, both cases, and a case pattern far likelier to
/// come from letters of random case than from CamelCase words.
///
/// The two models: random case (each letter upper or lower, even odds), and
/// CamelCase as service names are written (a capital is followed by a
/// lower-case letter 80% of the time; a lower-case letter is followed by a
/// capital 17% of the time, words of about six letters). The name looks
/// random when the first model is more than e² (about 7.4) times likelier.
/// Over the service names in the project's tables and the corpus the
/// highest ratio is e^0.35 (`AWSLiteAgent`); random 16-letter names pass the
/// test seven times in ten. A heuristic: it names the shape, not the intent.
pub fn looks_random(name: &str) -> bool {
    let name = name.trim();
    let n = name.len();
    if n < 12 || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let upper = name.bytes().filter(u8::is_ascii_uppercase).count();
    if upper == 0 || upper == n {
        return false;
    }
    let camel = |a: bool, b: bool| -> f64 {
        match (a, b) {
            (true, true) => 0.2f64.ln(),
            (true, false) => 0.8f64.ln(),
            (false, false) => 0.83f64.ln(),
            (false, true) => 0.17f64.ln(),
        }
    };
    let bytes = name.as_bytes();
    let camel_ll: f64 = bytes.windows(2).map(|w| camel(w[0].is_ascii_uppercase(), w[1].is_ascii_uppercase())).sum();
    let random_ll = (n - 1) as f64 * 0.5f64.ln();
    random_ll - camel_ll > 2.0
}

/// Whether two computer names are the same machine: `\\DC1`, `DC1` and
/// `dc1.contoso.com` all are.
fn same_short_name(a: &str, b: &str) -> bool {
    let short = |s: &str| {
        let s = s.trim().trim_start_matches('\\');
        s.split('.').next().unwrap_or(s).to_ascii_lowercase()
    };
    let (a, b) = (short(a), short(b));
    !a.is_empty() && a == b
}

/// A field by name as rules see it: [`Event::field`], plus `Binary`, the
/// event's binary data as upper-case hex (`5E0000C0` for NTSTATUS 0xC000005E,
/// stored little-endian), unless the event has a data item named `Binary`.
pub(crate) fn field_value<'e>(e: &'e Event, name: &str) -> Option<std::borrow::Cow<'e, str>> {
    if let Some(v) = e.field(name) {
        return Some(std::borrow::Cow::Borrowed(v));
    }
    if name.eq_ignore_ascii_case("Binary") {
        return e.binary.as_deref().map(|b| std::borrow::Cow::Owned(evtriage_core::display::to_hex(b).to_uppercase()));
    }
    None
}

/// Service predicate of a matcher.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServicePred {
    pub field: Option<String>,
    pub is: Vec<String>,
    pub has_ports: bool,
    pub same: bool,
    pub name: Option<String>,
    pub root: bool,
    pub generated: bool,
    /// `is` folded for [`ServicePred::may_hold`], built on first use.
    pub accept: std::sync::OnceLock<Box<Accept>>,
}

/// What a service predicate's `is` list accepts, folded (trimmed, lowercase):
/// the names as keys and as display names, and the built-in table's key of
/// each name it knows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accept {
    keys: std::collections::HashSet<String>,
    names: std::collections::HashSet<String>,
}

impl ServicePred {
    /// Whether the predicate can hold for `e`, judged from the event alone.
    /// For an SCM event read by its usual field whose `Binary` names the
    /// service key, the engine's service identity needs nothing learned from
    /// other events (the key is the `Binary`'s, the display name the one
    /// shown), so `is` and `has_ports` are decided here exactly. Without a
    /// `Binary` key, a display name the built-in table gives to a service
    /// `is` does not accept is ruled out (exact unless the logs themselves
    /// give that name to an accepted service, which `Engine::finish` reports).
    /// Every other case (an unknown name, a dependency root, "the same
    /// service as the anchor") waits for the engine.
    pub(crate) fn may_hold(&self, e: &Event) -> bool {
        use crate::services::{binary_key, default_service_field, fold, is_scm, ServiceTable};
        if self.root || self.name.is_some() || (self.is.is_empty() && !self.has_ports) {
            return true;
        }
        if !is_scm(e) {
            return true;
        }
        if e.event_id == 7040 {
            // 7040 shows the display name (param1) and the key (param4).
            if self.is.is_empty() || self.field.is_some() {
                return true;
            }
            let accept = self.accept();
            let held = |f: &str| {
                e.field(f)
                    .map(|v| fold(v.trim()))
                    .is_some_and(|v| accept.names.contains(&v) || accept.keys.contains(&v))
            };
            return held("param4") || held("param1") || e.field("param4").is_none();
        }
        let usual = default_service_field(e.event_id);
        if self.field.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case(usual)) {
            return true;
        }
        let Some(shown) = e.field(usual) else { return true };
        let table = ServiceTable::builtin();
        let shown = shown.trim();
        let Some(key) = binary_key(e) else {
            // No `Binary` key: the engine takes the service from names the
            // logs teach, else from the built-in table. A name the table gives
            // to a service the predicate does not accept is ruled out here, so
            // that a Windows 7 log's thousands of 7036 are not all kept;
            // `Engine::finish` notes it when the logs give such a name to an
            // accepted service.
            if self.is.is_empty() {
                return true;
            }
            let accept = self.accept();
            let folded = fold(shown);
            if accept.names.contains(&folded) || accept.keys.contains(&folded) {
                return true;
            }
            return table.get(shown).is_none_or(|info| accept.keys.contains(&fold(&info.key)));
        };
        // The engine's `resolve` with a `Binary` key: that key, and the name
        // shown as display name unless it is the key itself.
        if !self.is.is_empty() {
            let accept = self.accept();
            let display = if !shown.is_empty() && !shown.eq_ignore_ascii_case(&key) {
                Some(shown)
            } else {
                table.get(&key).and_then(|i| i.display_names.first()).map(String::as_str)
            };
            // ASCII case-insensitive equality (the engine's) implies equal folds:
            // a `false` here is a `false` there.
            if !accept.keys.contains(&fold(&key)) && !display.is_some_and(|d| accept.names.contains(&fold(d))) {
                return false;
            }
        }
        !(self.has_ports && table.get(&key).is_none_or(|i| i.ports.is_empty()))
    }

    /// [`ServicePred::accept`], built on first use.
    fn accept(&self) -> &Accept {
        use crate::services::{fold, ServiceTable};
        self.accept.get_or_init(|| {
            let table = ServiceTable::builtin();
            let mut a = Box::<Accept>::default();
            for n in &self.is {
                a.keys.insert(fold(n));
                a.names.insert(fold(n));
                if let Some(info) = table.get(n) {
                    a.keys.insert(fold(&info.key));
                }
            }
            a
        })
    }

    /// Whether the service with key `key` is one the predicate's `is` list accepts.
    pub(crate) fn accepts_key(&self, key: &str) -> bool {
        !self.is.is_empty() && self.accept().keys.contains(&crate::services::fold(key))
    }
}

/// A compiled record matcher (anchor or check).
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub providers: Vec<ProviderSel>,
    pub event_ids: Vec<u32>,
    pub command: Option<String>,
    pub message: Option<super::lazy::LazyRegex>,
    pub computer: Option<super::lazy::LazyRegex>,
    pub fields: Vec<FieldPred>,
    pub service: Option<ServicePred>,
    pub within: Option<Duration>,
    pub direction: Direction,
    /// (Checks) at least this many matching records in the window (1 = any).
    pub min_count: usize,
    /// (Checks) fields the record must share with the anchor.
    pub same_fields: Vec<String>,
}

/// A field value as a number: decimal (`159`, `-1073741819`) or hexadecimal
/// (`0x9F`), surrounding blanks ignored.
pub(crate) fn parse_number(v: &str) -> Option<i128> {
    let t = v.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.len() <= 16 => u64::from_str_radix(hex, 16).ok().map(i128::from),
        Some(_) => None,
        None if !t.is_empty() && t.len() <= 20 => t.parse::<i64>().ok().map(i128::from),
        None => None,
    }
}

impl Matcher {
    /// Whether the matcher selects command-output blocks rather than events.
    pub fn is_command(&self) -> bool {
        self.command.is_some()
    }

    /// Whether an event matches everything but time, and service identity
    /// where that needs more than the event itself (names learned from other
    /// events, the anchor's service).
    pub fn matches_event_static(&self, e: &Event) -> bool {
        self.matches_event_cached(e, &mut None)
    }

    /// Like [`Matcher::matches_event_static`], rendering the message at most
    /// once across calls that share `rendered`.
    pub fn matches_event_cached(&self, e: &Event, rendered: &mut Option<String>) -> bool {
        if self.is_command() {
            return false;
        }
        if !self.providers.is_empty() && !self.providers.iter().any(|p| p.matches_event(e)) {
            return false;
        }
        if !self.event_ids.is_empty() && !self.event_ids.contains(&e.event_id) {
            return false;
        }
        if let Some(re) = &self.computer {
            if !e.computer.as_deref().is_some_and(|c| re.is_match(c.trim())) {
                return false;
            }
        }
        let applies = |f: &&FieldPred| f.only_ids.is_empty() || f.only_ids.contains(&e.event_id);
        let get = |name: &str| field_value(e, name);
        if !self.fields.iter().filter(applies).all(|f| f.holds_with(&get, Some(e.event_id), e.computer.as_deref())) {
            return false;
        }
        if self.service.as_ref().is_some_and(|s| !s.may_hold(e)) {
            return false;
        }
        match &self.message {
            Some(re) => re.is_match(rendered.get_or_insert_with(|| evtriage_core::message::render(e))),
            None => true,
        }
    }

    /// Whether a command-output block matches (cmdlet, properties, text).
    pub fn matches_command(&self, c: &CommandOutput) -> bool {
        let Some(cmd) = &self.command else { return false };
        // A capture that does not name its cmdlet may be any cmdlet's output.
        if let Some(name) = &c.command {
            if !name.eq_ignore_ascii_case(cmd) && cmd != "*" {
                return false;
            }
        }
        let text = command_text(c);
        let get = |name: &str| -> Option<std::borrow::Cow<'_, str>> {
            if name.eq_ignore_ascii_case("text") {
                Some(std::borrow::Cow::Borrowed(text.as_str()))
            } else {
                c.property(name).map(std::borrow::Cow::Borrowed)
            }
        };
        if !self.fields.iter().all(|f| f.holds_with(&get, None, None)) {
            return false;
        }
        match &self.message {
            Some(re) => re.is_match(&text),
            None => true,
        }
    }
}

/// All property values of a command block, one per line (what `text` and `message` match).
pub(crate) fn command_text(c: &CommandOutput) -> String {
    c.properties.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join("\n")
}

/// One role, compiled: the records that show it, and the process-table rows.
#[derive(Debug)]
pub(crate) struct RoleDef {
    pub role: crate::spec::ServerRole,
    /// How a sentence names it ("a domain controller").
    pub title: String,
    /// Service keys a process table may show it hosting.
    pub services: Vec<String>,
    /// Image names a process table may show running.
    pub images: Vec<String>,
    /// Record matchers (checks around the anchor, any distance).
    pub shows: Vec<Matcher>,
}

/// A compiled check.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    AfterBoot(Duration),
    Record(Box<Matcher>),
    PortHeld {
        ports: Vec<(Protocol, u16)>,
        holder_image: Vec<String>,
        port_field: Option<String>,
    },
    Registry {
        key: Vec<String>,
        value: String,
        equals: Option<String>,
        absent: bool,
        bind: Option<String>,
    },
    PortHog {
        min_ports: usize,
    },
    /// The anchor's computer shows a server role.
    Role(std::sync::Arc<RoleDef>),
    /// An installed-updates list of the anchor's computer lists (or lacks) an update.
    Update {
        kbs: Vec<String>,
        installed: bool,
    },
    /// A port of the service lies in an excluded or the dynamic range.
    PortInRange {
        range: evtriage_core::PortRangeKind,
        ports: Vec<(Protocol, u16)>,
        port_field: Option<String>,
        administered: Option<bool>,
    },
}

/// A compiled check with what it adds.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub name: String,
    pub condition: Condition,
    pub not: bool,
    pub confidence: Option<Confidence>,
    /// When the check holds, the finding claims at most this.
    pub cap: Option<Confidence>,
    pub cause: Option<String>,
    pub remediation: Vec<String>,
    pub kb: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_service_names_are_told_from_real_ones() {
        // Metasploit psexec and meterpreter service names seen in real logs.
        for name in ["gdKhvCScykzNFZKd", "JyZPMMxJQxHFDMHV", "UWdKhYTIQWWJxHfx"] {
            assert!(looks_random(name), "{name}");
        }
        // Random case can look like words: this one (from the same attack) is missed.
        assert!(!looks_random("ItUrroruwhZwMrnl"));
        // Real service names and display names.
        for name in [
            "WdiServiceHost",
            "WinDivert",
            "MicrosoftEdgeElevationService",
            "GoogleChromeElevationService",
            "IProsetMonitor",
            "BthHFSrv",
            "MpKsl99408da3",
            "nvlddmkm",
            "PDFWKRNL",
            "Steam Client Service",
            "genusn",
            "WMPNetworkSvc",
            "SQLWriter",
            "AWSLiteAgent",
            "AmazonSSMAgent",
            "EhStorTcgDrv",
            "WaaSMedicSvc",
            "enterceptAgent",
        ] {
            assert!(!looks_random(name), "{name}");
        }
    }
}
