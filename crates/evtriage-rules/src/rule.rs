//! Compiled rules and rule sets: loading, validation, and the event filter.
//!
//! Rules are data ([`crate::spec`]). Loading compiles each one once — regular
//! expressions built, codes turned into numbers, durations parsed — so that
//! matching a record is cheap and a mistake in a rule is reported when the
//! rule is loaded, with the file and the reason.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;
use evtriage_core::{CommandOutput, Event, EventFilter, EventKey, Guid, Protocol};
use regex::{Regex, RegexBuilder};

use crate::codes::{code_value, value_is_code};
use crate::finding::{normalize_kb, Confidence};
use crate::spec::{CheckSpec, Direction, FieldSpec, MatchSpec, RuleSpec};

/// Why a rule could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The file could not be read.
    #[error("cannot read rule file {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not follow the rule format.
    #[error("{origin}: not a valid rule file: {message}")]
    Parse {
        /// Where the rule came from (`builtin:…` or a path).
        origin: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The rule parses but says something impossible (bad regex, unknown code, …).
    #[error("{origin}: rule `{id}`: {message}")]
    Invalid {
        /// Where the rule came from.
        origin: String,
        /// The rule id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// Largest rule file read (256 KiB; the built-in rules are 1–3 KiB). A
/// larger file is refused before it is read or parsed.
pub const MAX_RULE_FILE_BYTES: usize = 256 * 1024;

/// Largest compiled form of one regular expression in a rule (1 MiB). The
/// `regex` crate matches in time linear in the text whatever the pattern;
/// this bounds what a pattern may cost to compile and hold in memory.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// Compiles a rule's regular expression within [`MAX_REGEX_BYTES`] and a
/// nesting depth of 64.
fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(MAX_REGEX_BYTES).dfa_size_limit(MAX_REGEX_BYTES).nest_limit(64).build()
}

/// The built-in rules, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    ("kb4530043-ismserv-boot.toml", include_str!("../rules/kb4530043-ismserv-boot.toml")),
    ("port-conflict.toml", include_str!("../rules/port-conflict.toml")),
    ("port-conflict-dns-socket-pool.toml", include_str!("../rules/port-conflict-dns-socket-pool.toml")),
    ("port-conflict-lsass.toml", include_str!("../rules/port-conflict-lsass.toml")),
    ("kb296086-smtp-port-25.toml", include_str!("../rules/kb296086-smtp-port-25.toml")),
    ("kb298565-imc-sitedn.toml", include_str!("../rules/kb298565-imc-sitedn.toml")),
    ("kb948609-autodiscover-net20sp2.toml", include_str!("../rules/kb948609-autodiscover-net20sp2.toml")),
    // Network, domain controller, DNS and ports (issue 6).
    ("netlogon-5719-no-dc.toml", include_str!("../rules/netlogon-5719-no-dc.toml")),
    ("kb2421599-netlogon-5719-boot.toml", include_str!("../rules/kb2421599-netlogon-5719-boot.toml")),
    ("netlogon-5719-ws2025-restart.toml", include_str!("../rules/netlogon-5719-ws2025-restart.toml")),
    ("tcp-port-exhaustion.toml", include_str!("../rules/tcp-port-exhaustion.toml")),
    ("netlogon-secure-channel-broken.toml", include_str!("../rules/netlogon-secure-channel-broken.toml")),
    ("netlogon-5722-session-setup-failed.toml", include_str!("../rules/netlogon-5722-session-setup-failed.toml")),
    ("netlogon-5805-session-auth.toml", include_str!("../rules/netlogon-5805-session-auth.toml")),
    ("cve-2020-1472-zerologon-5805.toml", include_str!("../rules/cve-2020-1472-zerologon-5805.toml")),
    ("netlogon-sysvol-not-ready.toml", include_str!("../rules/netlogon-sysvol-not-ready.toml")),
    ("dns-4013-ad-sync.toml", include_str!("../rules/dns-4013-ad-sync.toml")),
    ("kb2001093-dns-4013-boot.toml", include_str!("../rules/kb2001093-dns-4013-boot.toml")),
    ("dns-ad-unavailable.toml", include_str!("../rules/dns-ad-unavailable.toml")),
    ("dns-socket-bind-failure.toml", include_str!("../rules/dns-socket-bind-failure.toml")),
    ("q256318-dns-auto-zone-notify.toml", include_str!("../rules/q256318-dns-auto-zone-notify.toml")),
    ("wsaeaddrinuse.toml", include_str!("../rules/wsaeaddrinuse.toml")),
    ("q156054-ftp-port-21.toml", include_str!("../rules/q156054-ftp-port-21.toml")),
    ("iis-port-80-443-held.toml", include_str!("../rules/iis-port-80-443-held.toml")),
    ("q146157-imc-smtp-port-25.toml", include_str!("../rules/q146157-imc-smtp-port-25.toml")),
    ("ias-port-dns-socket-pool.toml", include_str!("../rules/ias-port-dns-socket-pool.toml")),
    ("sql-tdssniclient-init.toml", include_str!("../rules/sql-tdssniclient-init.toml")),
    ("sql-tcp-port-in-use.toml", include_str!("../rules/sql-tcp-port-in-use.toml")),
    ("sql-endpoint-port-in-use.toml", include_str!("../rules/sql-endpoint-port-in-use.toml")),
    ("q271963-duplicate-name.toml", include_str!("../rules/q271963-duplicate-name.toml")),
    // Service start, timeouts, accounts, dependencies, crashes (issue 6).
    ("kb2385818-w32time-workgroup.toml", include_str!("../rules/kb2385818-w32time-workgroup.toml")),
    ("kb2745448-ssrs-ctl-timeout.toml", include_str!("../rules/kb2745448-ssrs-ctl-timeout.toml")),
    ("kb282254-logon-account-disabled.toml", include_str!("../rules/kb282254-logon-account-disabled.toml")),
    ("kb282254-logon-account-locked.toml", include_str!("../rules/kb282254-logon-account-locked.toml")),
    ("kb282254-logon-as-service-right.toml", include_str!("../rules/kb282254-logon-as-service-right.toml")),
    ("kb282254-logon-gmsa-not-managed.toml", include_str!("../rules/kb282254-logon-gmsa-not-managed.toml")),
    ("kb282254-logon-password-expired.toml", include_str!("../rules/kb282254-logon-password-expired.toml")),
    ("kb282254-logon-wrong-password.toml", include_str!("../rules/kb282254-logon-wrong-password.toml")),
    ("kb922918-start-timeout.toml", include_str!("../rules/kb922918-start-timeout.toml")),
    ("netlogon-dependency-chain.toml", include_str!("../rules/netlogon-dependency-chain.toml")),
    ("openssh-2024-programdata-acl.toml", include_str!("../rules/openssh-2024-programdata-acl.toml")),
    ("q157913-interactive-service-logoff.toml", include_str!("../rules/q157913-interactive-service-logoff.toml")),
    ("q217339-certsvc-system-dsn.toml", include_str!("../rules/q217339-certsvc-system-dsn.toml")),
    ("q184205-store-2186.toml", include_str!("../rules/q184205-store-2186.toml")),
    ("q231604-server-no-network.toml", include_str!("../rules/q231604-server-no-network.toml")),
    ("q274814-password-changed-7013.toml", include_str!("../rules/q274814-password-changed-7013.toml")),
    ("q317218-protected-storage.toml", include_str!("../rules/q317218-protected-storage.toml")),
    ("q319127-server-hung-spooler.toml", include_str!("../rules/q319127-server-hung-spooler.toml")),
    ("service-crash-no-recovery.toml", include_str!("../rules/service-crash-no-recovery.toml")),
    ("service-crash-recovery.toml", include_str!("../rules/service-crash-recovery.toml")),
    ("service-dependency-failed.toml", include_str!("../rules/service-dependency-failed.toml")),
    ("service-dependency-missing.toml", include_str!("../rules/service-dependency-missing.toml")),
    ("service-image-not-found.toml", include_str!("../rules/service-image-not-found.toml")),
    ("service-module-not-found.toml", include_str!("../rules/service-module-not-found.toml")),
    ("service-recovery-failed.toml", include_str!("../rules/service-recovery-failed.toml")),
    ("service-not-a-service-program.toml", include_str!("../rules/service-not-a-service-program.toml")),
    ("service-start-failed.toml", include_str!("../rules/service-start-failed.toml")),
    // Security patterns and documented by-design behaviour (issue 17).
    ("remote-execution-service.toml", include_str!("../rules/remote-execution-service.toml")),
    ("suspicious-service-install.toml", include_str!("../rules/suspicious-service-install.toml")),
    ("remote-execution-random-name.toml", include_str!("../rules/remote-execution-random-name.toml")),
    ("eventlog-service-stopped.toml", include_str!("../rules/eventlog-service-stopped.toml")),
    ("eventlog-cleared.toml", include_str!("../rules/eventlog-cleared.toml")),
    ("kb4022522-dcom-10016.toml", include_str!("../rules/kb4022522-dcom-10016.toml")),
    ("dcom-10016-local-activation.toml", include_str!("../rules/dcom-10016-local-activation.toml")),
];

/// Parses a duration written `45s`, `90 s`, `10m`, `2h`, `1d` or `1500ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::milliseconds(n)),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(Duration::seconds(n)),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(Duration::minutes(n)),
        "h" | "hour" | "hours" => Some(Duration::hours(n)),
        "d" | "day" | "days" => Some(Duration::days(n)),
        _ => None,
    }
}

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
    fn matches_event(&self, e: &Event) -> bool {
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
    Regex(Regex),
    Code(Vec<u32>),
    IsComputer,
    LooksRandom,
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
    pub message: Option<Regex>,
    pub computer: Option<Regex>,
    pub fields: Vec<FieldPred>,
    pub service: Option<ServicePred>,
    pub within: Option<Duration>,
    pub direction: Direction,
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

/// A compiled check.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    AfterBoot(Duration),
    Record(Matcher),
    PortHeld { ports: Vec<(Protocol, u16)>, holder_image: Vec<String>, port_field: Option<String> },
    Registry { key: Vec<String>, value: String, equals: Option<String>, absent: bool, bind: Option<String> },
    PortHog { min_ports: usize },
}

/// A compiled check with what it adds.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub name: String,
    pub condition: Condition,
    pub not: bool,
    pub confidence: Option<Confidence>,
    pub cause: Option<String>,
    pub remediation: Vec<String>,
    pub kb: Vec<String>,
}

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// Embedded in the binary (file name).
    Builtin(&'static str),
    /// Loaded from a file.
    File(PathBuf),
}

impl std::fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleOrigin::Builtin(name) => write!(f, "builtin:{name}"),
            RuleOrigin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A loaded, validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// The file text (for `rules show`).
    pub source_text: String,
    /// Where it came from.
    pub origin: RuleOrigin,
    /// KB ids, normalised to `KB<number>`.
    pub kb: Vec<String>,
    pub(crate) anchor: Matcher,
    pub(crate) require: Vec<Check>,
    pub(crate) corroborate: Vec<Check>,
}

impl Rule {
    /// The rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Parses and validates one rule file's text.
    pub fn parse(text: &str, origin: RuleOrigin) -> Result<Rule, RuleError> {
        if text.len() > MAX_RULE_FILE_BYTES {
            return Err(RuleError::Parse {
                origin: origin.to_string(),
                message: format!("{} bytes, above the {MAX_RULE_FILE_BYTES}-byte limit for a rule file", text.len()),
            });
        }
        let spec: RuleSpec = toml::from_str(text)
            .map_err(|e| RuleError::Parse { origin: origin.to_string(), message: e.to_string() })?;
        let invalid = |message: String| RuleError::Invalid { origin: origin.to_string(), id: spec.id.clone(), message };
        if spec.id.is_empty() || !spec.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(invalid("the id must be lowercase letters, digits and `-`".into()));
        }
        let kb = normalize_kbs(&spec.kb).map_err(&invalid)?;
        let anchor = compile_matcher(&spec.anchor, false).map_err(|m| invalid(format!("anchor: {m}")))?;
        if anchor.providers.is_empty() && !anchor.is_command() {
            return Err(invalid("anchor: give a `provider` (or a `command`)".into()));
        }
        let require = spec
            .require
            .iter()
            .enumerate()
            .map(|(i, c)| compile_check(c, i, "require"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(&invalid)?;
        let corroborate = spec
            .corroborate
            .iter()
            .enumerate()
            .map(|(i, c)| compile_check(c, i, "corroborate"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(&invalid)?;
        Ok(Rule { kb, anchor, require, corroborate, source_text: text.to_string(), origin, spec })
    }

    /// The highest confidence a finding of the rule can reach (its base
    /// confidence raised by its corroborations).
    pub fn max_confidence(&self) -> Confidence {
        self.corroborate.iter().filter_map(|c| c.confidence).fold(self.spec.confidence, |a, b| a.max(b))
    }

    /// Every check of the rule, required first.
    pub(crate) fn checks(&self) -> impl Iterator<Item = &Check> {
        self.require.iter().chain(self.corroborate.iter())
    }

    /// Every matcher of the rule (anchor and record checks).
    pub(crate) fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        std::iter::once(&self.anchor).chain(self.checks().filter_map(|c| match &c.condition {
            Condition::Record(m) => Some(m),
            _ => None,
        }))
    }
}

fn normalize_kbs(kbs: &[String]) -> Result<Vec<String>, String> {
    kbs.iter()
        .map(|k| normalize_kb(k).ok_or_else(|| format!("`{k}` is not a KB id (KB<number> or Q<number>)")))
        .collect()
}

fn compile_matcher(m: &MatchSpec, in_check: bool) -> Result<Matcher, String> {
    let providers = m
        .provider
        .to_vec()
        .into_iter()
        .map(|p| {
            let t = p.trim();
            if t.starts_with('{') {
                Guid::parse(t).map(ProviderSel::Guid).ok_or_else(|| format!("`{t}` is not a GUID"))
            } else if t.is_empty() {
                Err("empty provider name".to_string())
            } else if let Some(prefix) = t.strip_suffix('*') {
                if prefix.is_empty() || prefix.contains('*') {
                    Err(format!("`{t}`: a provider pattern is a name prefix followed by one `*`"))
                } else {
                    Ok(ProviderSel::Prefix(prefix.to_string()))
                }
            } else {
                Ok(ProviderSel::Name(t.to_string()))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let message = m.message.as_deref().map(compile_regex).transpose().map_err(|e| format!("message regex: {e}"))?;
    let computer = m.computer.as_deref().map(compile_regex).transpose().map_err(|e| format!("computer regex: {e}"))?;
    let fields = m.predicates.iter().map(compile_field).collect::<Result<Vec<_>, _>>()?;
    let service = m.service.as_ref().map(|s| ServicePred {
        field: s.field.clone(),
        is: s.is.to_vec(),
        has_ports: s.has_ports,
        same: s.same,
        name: s.name.clone().filter(|n| !n.trim().is_empty()),
        root: s.root,
        generated: s.generated,
        accept: Default::default(),
    });
    if service.as_ref().is_some_and(|s| s.name.is_some() && s.field.is_some()) {
        return Err("service: give `name` or `field`, not both".into());
    }
    if !in_check {
        if m.within.is_some() || m.direction.is_some() {
            return Err("`within` and `direction` belong to checks, not the anchor".into());
        }
        if service.as_ref().is_some_and(|s| s.same) {
            return Err("`service.same` belongs to checks, not the anchor".into());
        }
    } else if service.as_ref().is_some_and(|s| s.root) {
        return Err("`service.root` belongs to the anchor, not checks".into());
    }
    let within = m.within.as_deref().map(|w| parse_duration(w).ok_or_else(|| format!("`{w}` is not a duration")));
    let within = within.transpose()?;
    if in_check && within.is_none() && m.command.is_none() {
        return Err("a record check needs `within` (e.g. \"5m\")".into());
    }
    Ok(Matcher {
        providers,
        event_ids: m.event_id.to_vec(),
        command: m.command.clone(),
        message,
        computer,
        fields,
        service,
        within,
        direction: m.direction.unwrap_or(Direction::Around),
    })
}

fn compile_field(f: &FieldSpec) -> Result<FieldPred, String> {
    let given =
        [f.equals.is_some(), f.one_of.is_some(), f.regex.is_some(), f.code.is_some(), f.is_computer, f.looks_random]
            .iter()
            .filter(|b| **b)
            .count();
    if let Some(list) = &f.any {
        let alone = f.field.is_empty() && given == 0;
        if !alone || list.is_empty() {
            return Err(
                "`any = [...]` takes a non-empty list of predicates and nothing else but `not` and `event_id`".into()
            );
        }
        let list = list.iter().map(compile_field).collect::<Result<Vec<_>, _>>()?;
        return Ok(FieldPred {
            field: String::new(),
            test: FieldTest::Any(list),
            not: f.not,
            only_ids: f.event_id.to_vec(),
        });
    }
    if f.field.is_empty() {
        return Err("a field predicate needs `field` (or `any = [...]`)".into());
    }
    if given != 1 {
        return Err(format!(
            "field `{}`: give exactly one of equals, one_of, regex, code, is_computer, looks_random",
            f.field
        ));
    }
    let test = if f.looks_random {
        FieldTest::LooksRandom
    } else if f.is_computer {
        FieldTest::IsComputer
    } else if let Some(v) = &f.equals {
        FieldTest::Equals(v.clone())
    } else if let Some(v) = &f.one_of {
        FieldTest::OneOf(v.clone())
    } else if let Some(r) = &f.regex {
        FieldTest::Regex(compile_regex(r).map_err(|e| format!("field `{}` regex: {e}", f.field))?)
    } else {
        let codes = f.code.as_ref().map(|c| c.to_vec()).unwrap_or_default();
        let nums = codes
            .iter()
            .map(|c| code_value(c).ok_or_else(|| format!("field `{}`: `{c}` is not a known error code", f.field)))
            .collect::<Result<Vec<_>, _>>()?;
        FieldTest::Code(nums)
    };
    Ok(FieldPred { field: f.field.clone(), test, not: f.not, only_ids: f.event_id.to_vec() })
}

fn compile_check(c: &CheckSpec, index: usize, section: &str) -> Result<Check, String> {
    let name = c.name.clone().unwrap_or_else(|| format!("{section}[{index}]"));
    let err = |m: String| format!("{section} `{name}`: {m}");
    let given =
        [c.after_boot.is_some(), c.record.is_some(), c.port_held.is_some(), c.registry.is_some(), c.port_hog.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
    if given != 1 {
        return Err(err("give exactly one of after_boot, record, port_held, registry, port_hog".into()));
    }
    let condition = if let Some(d) = &c.after_boot {
        Condition::AfterBoot(parse_duration(d).ok_or_else(|| err(format!("`{d}` is not a duration")))?)
    } else if let Some(m) = &c.record {
        Condition::Record(compile_matcher(m, true).map_err(err)?)
    } else if let Some(p) = &c.port_held {
        let ports = p
            .ports
            .iter()
            .map(|s| parse_port(s).ok_or_else(|| err(format!("`{s}` is not a port (write TCP/25 or UDP/1812)"))))
            .collect::<Result<Vec<_>, _>>()?;
        Condition::PortHeld { ports, holder_image: p.holder_image.clone(), port_field: p.port_field.clone() }
    } else if let Some(r) = &c.registry {
        let key: Vec<String> = r.key.split('\\').filter(|s| !s.is_empty()).map(|s| s.to_string()).collect::<Vec<_>>();
        if key.is_empty() {
            return Err(err("registry key is empty".into()));
        }
        Condition::Registry {
            key,
            value: r.value.clone(),
            equals: r.equals.clone(),
            absent: r.absent,
            bind: r.bind.clone(),
        }
    } else if let Some(h) = &c.port_hog {
        let min_ports = h.min_ports.unwrap_or(1000);
        if min_ports == 0 {
            return Err(err("port_hog.min_ports must be at least 1".into()));
        }
        Condition::PortHog { min_ports }
    } else {
        return Err(err("no condition".into()));
    };
    if section == "require" && c.confidence.is_some() {
        return Err(err("`confidence` belongs to corroborations; set the rule's `confidence` instead".into()));
    }
    let kb = normalize_kbs(&c.kb).map_err(err)?;
    if c.not && c.confidence.is_some() {
        return Err(err("a `not` check cannot raise the confidence (it has no evidence)".into()));
    }
    Ok(Check {
        name,
        condition,
        not: c.not,
        confidence: c.confidence,
        cause: c.cause.clone(),
        remediation: c.remediation.clone(),
        kb,
    })
}

fn parse_port(s: &str) -> Option<(Protocol, u16)> {
    let (proto, port) = s.split_once('/')?;
    let proto = match proto.trim().to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        _ => return None,
    };
    Some((proto, port.trim().parse().ok()?))
}

/// Providers and ids the engine itself needs whatever the rules: boot
/// sessions (EventLog 6005/6009, Kernel-General 12) and service identity (SCM 7036/7040).
pub(crate) const CONTEXT_EVENTS: &[(&str, &[u32])] = &[
    ("EventLog", &[6005, 6009]),
    ("Microsoft-Windows-Kernel-General", &[12]),
    ("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}", &[12]),
    ("Service Control Manager", &[7036, 7040]),
    ("{555908d1-a6d7-4695-8e1e-26931d2012f4}", &[7036, 7040]),
];

/// The event matchers of a rule set, indexed by event id.
///
/// Nearly every matcher names its event ids, so an event (or a record's cheap
/// key) needs to be tried only against the matchers of its own id, plus the
/// few that take any id: one hash look-up instead of a loop over every
/// matcher of every rule. Built once per rule set; answers exactly what
/// "any matcher of any rule matches" answers.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatcherIndex {
    /// (Event ids come from the rules, so a plain fast hash is safe here.)
    by_id: HashMap<u32, Vec<Matcher>, crate::finding::BuildFnv>,
    any_id: Vec<Matcher>,
    /// For the key test: per event id, the distinct provider selectors of
    /// its matchers (and of those that take any id; `None`: any provider),
    /// each with whether some such matcher reads the message.
    key_plans: HashMap<u32, Vec<(Option<ProviderSel>, bool)>, crate::finding::BuildFnv>,
    /// The same for ids no matcher names.
    any_plan: Vec<(Option<ProviderSel>, bool)>,
}

/// Adds the selectors of `m` to a key plan (see [`MatcherIndex::key_plans`]).
fn plan_add(plan: &mut Vec<(Option<ProviderSel>, bool)>, m: &Matcher) {
    let sels: Vec<Option<ProviderSel>> =
        if m.providers.is_empty() { vec![None] } else { m.providers.iter().cloned().map(Some).collect() };
    for sel in sels {
        match plan.iter_mut().find(|(s, _)| *s == sel) {
            Some((_, message)) => *message |= m.message.is_some(),
            None => plan.push((sel, m.message.is_some())),
        }
    }
}

impl MatcherIndex {
    /// The index of every event matcher (anchors and record checks) of `rules`.
    pub(crate) fn new(rules: &[Arc<Rule>]) -> Self {
        let mut idx = MatcherIndex::default();
        for m in rules.iter().flat_map(|r| r.matchers()).filter(|m| !m.is_command()) {
            if m.event_ids.is_empty() {
                idx.any_id.push(m.clone());
            } else {
                let mut ids = m.event_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    idx.by_id.entry(id).or_default().push(m.clone());
                }
            }
        }
        for m in &idx.any_id {
            plan_add(&mut idx.any_plan, m);
        }
        for (id, ms) in &idx.by_id {
            let mut plan = Vec::new();
            for m in ms.iter().chain(idx.any_id.iter()) {
                plan_add(&mut plan, m);
            }
            idx.key_plans.insert(*id, plan);
        }
        idx
    }

    /// Whether some matcher wants an event with this cheap key (`.0`), and
    /// whether one that does reads the rendered message (`.1`), in one pass
    /// over the distinct provider selectors of the id's matchers.
    pub(crate) fn key_verdict(&self, key: &EventKey<'_>) -> (bool, bool) {
        let plan = self.key_plans.get(&key.event_id).unwrap_or(&self.any_plan);
        let (mut wanted, mut message) = (false, false);
        for (sel, reads) in plan {
            if sel.as_ref().is_none_or(|s| s.matches_key(key)) {
                wanted = true;
                message |= *reads;
                if message {
                    break;
                }
            }
        }
        (wanted, message)
    }

    /// The matchers an event with this id can match.
    fn for_id(&self, event_id: u32) -> impl Iterator<Item = &Matcher> {
        self.by_id.get(&event_id).into_iter().flatten().chain(self.any_id.iter())
    }

    /// Whether some matcher that can match this event's provider and id
    /// looks at the rendered message.
    pub(crate) fn reads_message(&self, e: &Event) -> bool {
        let plan = self.key_plans.get(&e.event_id).unwrap_or(&self.any_plan);
        plan.iter().any(|(sel, reads)| *reads && sel.as_ref().is_none_or(|s| s.matches_event(e)))
    }

    /// Whether some matcher matches the event on everything but service
    /// identity and time (the message rendered at most once).
    pub(crate) fn matches_event(&self, e: &Event) -> bool {
        let mut rendered = None;
        self.for_id(e.event_id).any(|m| m.matches_event_cached(e, &mut rendered))
    }
}

/// A set of rules: the built-ins, plus a user's own.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Arc<Rule>>,
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        RuleSet::default()
    }

    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::new();
        for (name, text) in BUILTIN {
            set.add(Rule::parse(text, RuleOrigin::Builtin(name))?);
        }
        set.check_references()?;
        Ok(set)
    }

    /// Adds a rule; a rule with the same id replaces the earlier one (so a
    /// user's file can override a built-in rule).
    pub fn add(&mut self, rule: Rule) {
        let rule = Arc::new(rule);
        if let Some(slot) = self.rules.iter_mut().find(|r| r.id() == rule.id()) {
            *slot = rule;
        } else {
            self.rules.push(rule);
        }
        self.rules.sort_by(|a, b| a.id().cmp(b.id()));
    }

    /// Loads every `*.toml` file in `dir` (not recursive), in name order.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, RuleError> {
        let io = |source| RuleError::Io { path: dir.to_path_buf(), source };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        for f in &files {
            let size = std::fs::metadata(f).map_err(|source| RuleError::Io { path: f.clone(), source })?.len();
            if size > MAX_RULE_FILE_BYTES as u64 {
                return Err(RuleError::Parse {
                    origin: f.display().to_string(),
                    message: format!("{size} bytes, above the {MAX_RULE_FILE_BYTES}-byte limit for a rule file"),
                });
            }
            let text = std::fs::read_to_string(f).map_err(|source| RuleError::Io { path: f.clone(), source })?;
            self.add(Rule::parse(&text, RuleOrigin::File(f.clone()))?);
        }
        self.check_references()?;
        Ok(files.len())
    }

    /// Checks that every `supersedes` names a rule of the set.
    pub fn check_references(&self) -> Result<(), RuleError> {
        for r in &self.rules {
            for s in &r.spec.supersedes {
                if self.get(s).is_none() {
                    return Err(RuleError::Invalid {
                        origin: r.origin.to_string(),
                        id: r.id().to_string(),
                        message: format!("supersedes `{s}`, which is not a loaded rule"),
                    });
                }
            }
        }
        Ok(())
    }

    /// The rules, sorted by id.
    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The (provider, event id) pairs any rule can use, as text for diagnostics:
    /// `Service Control Manager/7023`, `Microsoft-Windows-LDAP-Client/*`.
    pub fn event_keys(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (p, ids) in CONTEXT_EVENTS {
            for id in *ids {
                out.insert(format!("{p}/{id}"));
            }
        }
        for r in &self.rules {
            for m in r.matchers().filter(|m| !m.is_command()) {
                let provs: Vec<String> = if m.providers.is_empty() {
                    vec!["*".into()]
                } else {
                    m.providers
                        .iter()
                        .map(|p| match p {
                            ProviderSel::Name(n) => n.clone(),
                            ProviderSel::Prefix(n) => format!("{n}*"),
                            ProviderSel::Guid(g) => g.to_string(),
                        })
                        .collect()
                };
                for p in provs {
                    if m.event_ids.is_empty() {
                        out.insert(format!("{p}/*"));
                    }
                    for id in &m.event_ids {
                        out.insert(format!("{p}/{id}"));
                    }
                }
            }
        }
        out
    }

    /// The reader's event filter: only events some rule (or the engine's boot
    /// and service-identity tracking) can use are decoded and delivered, and
    /// the matching is done on the reader's worker threads (see
    /// [`crate::filter`]).
    pub fn event_filter(&self) -> Arc<dyn EventFilter> {
        Arc::new(crate::filter::RuleFilter::new(MatcherIndex::new(&self.rules)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("45s"), Some(Duration::seconds(45)));
        assert_eq!(parse_duration("10m"), Some(Duration::minutes(10)));
        assert_eq!(parse_duration("2 h"), Some(Duration::hours(2)));
        assert_eq!(parse_duration("1500ms"), Some(Duration::milliseconds(1500)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5 fortnights"), None);
    }

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

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().map_err(|e| e.to_string());
        let set = match set {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(set.len(), BUILTIN.len());
        assert!(set.event_keys().contains("Service Control Manager/7023"));
    }

    #[test]
    fn bad_rules_are_rejected_with_reason() {
        let base = "id = \"x\"\ntitle = \"t\"\ncause = \"c\"\n";
        let cases = [
            (format!("{base}[anchor]\nprovider = \"P\"\nbogus = 1\n"), "bogus"),
            (format!("{base}[anchor]\nprovider = \"P\"\n[[anchor.where]]\nfield = \"a\"\nregex = \"(\"\n"), "regex"),
            (format!("{base}[anchor]\nprovider = \"P\"\n[[anchor.where]]\nfield = \"a\"\ncode = \"NOPE_X\"\n"), "code"),
            (format!("{base}[anchor]\nevent_id = 1\n"), "provider"),
            (format!("{base}kb = [\"KBx\"]\n[anchor]\nprovider = \"P\"\n"), "KB id"),
            (format!("{base}[anchor]\nprovider = \"P\"\n[[corroborate]]\nafter_boot = \"ten\"\n"), "duration"),
        ];
        for (text, needle) in cases {
            match Rule::parse(&text, RuleOrigin::Builtin("t.toml")) {
                Ok(_) => panic!("accepted: {text}"),
                Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle}"),
            }
        }
    }
}
