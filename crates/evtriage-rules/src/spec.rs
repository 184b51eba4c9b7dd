//! The rule file format: what a rule author writes, as `serde` structures.
//!
//! A rule is one TOML file (see `docs/rules.md` for the guide). The structures
//! here mirror the file one to one and reject unknown keys, so that a typo in
//! a rule is an error at load time rather than a rule that silently never
//! fires. [`crate::rule`] turns a [`RuleSpec`] into a compiled, validated
//! [`crate::Rule`].
//!
//! The values a rule file shares with the findings it produces are defined
//! here too: how sure a finding is ([`Confidence`]), what kind of finding it
//! is ([`Kind`]), and KB ids ([`normalize_kb`]); [`crate::finding`] re-exports them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One value or a list of values (`provider = "X"` or `provider = ["X", "Y"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list of values.
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T: Clone> OneOrMany<T> {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A whole rule file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable identifier, lowercase words joined by `-` (e.g. `kb4530043-ismserv-boot`).
    pub id: String,
    /// One-line title shown with every finding.
    pub title: String,
    /// The KB articles that document the cause (`KB4530043`; `Q296086` is accepted and becomes `KB296086`).
    #[serde(default)]
    pub kb: Vec<String>,
    /// Other references (article titles, URLs) for the catalogue.
    /// Superseded by `sources`; kept so that older user rules still load.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The articles the rule rests on, each with what the rule takes from it.
    /// Every KB the rule cites (its own and its checks') must be one of them.
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    /// The cause, in a sentence; may use `{placeholders}` (see `docs/rules.md`).
    pub cause: String,
    /// Concrete steps, in order; may use `{placeholders}`.
    #[serde(default)]
    pub remediation: Vec<String>,
    /// Confidence of a finding when only the anchor and the `require` checks hold.
    #[serde(default = "default_confidence")]
    pub confidence: Confidence,
    /// `fault` (default) or `info`: a documented, by-design behaviour that
    /// looks like a fault; its findings are shown apart and not counted as faults.
    #[serde(default)]
    pub kind: Kind,
    /// Findings about different services merge too (per computer and boot
    /// session, or per computer with `merge = "computer"`): for a pattern that
    /// hits many services at once (a burst of installed commands).
    #[serde(default)]
    pub merge_services: bool,
    /// A generic rule (a service failed or crashed, no known cause matched):
    /// its findings merge per computer, across services and boot sessions,
    /// into one finding that lists each service with its `detail` and count,
    /// and reports rank it below every specific finding. Specific rules still
    /// absorb its occurrences they explain first.
    #[serde(default)]
    pub generic: bool,
    /// (Generic rules) what one occurrence says, for the list of services:
    /// one text, or one per event id (`{ "7000" = "did not start: {param2_text}" }`);
    /// interpolated like `cause` (an occurrence whose placeholders cannot all be
    /// filled shows its rendered message instead).
    #[serde(default)]
    pub detail: Option<DetailSpec>,
    /// Rules this one explains more specifically: their findings over the same anchor events are folded into this one's.
    #[serde(default)]
    pub supersedes: Vec<String>,
    /// The record that starts a finding.
    pub anchor: MatchSpec,
    /// Checks that must all hold, or there is no finding.
    #[serde(default)]
    pub require: Vec<CheckSpec>,
    /// Checks that raise confidence or add to the cause and remediation when they hold.
    #[serde(default)]
    pub corroborate: Vec<CheckSpec>,
    /// How far findings of this rule merge: per boot session (default) or
    /// across all boots of a computer (for a transient message that recurs
    /// at every start: one finding with every occurrence, not one per boot).
    #[serde(default)]
    pub merge: MergeScope,
    /// The area of the catalogue the rule belongs to (`docs/rules.md` lists
    /// rules by area). Every built-in rule has one; a user rule may omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
}

/// The areas of the catalogue, in the order `docs/rules.md` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Services that do not start, stop, crash or cannot log on.
    ServiceControl,
    /// Ports held by another program, sockets, name conflicts, TCP/IP.
    Networking,
    /// AD DS, DNS and domain membership: replication, Netlogon, Kerberos, Group Policy, DFSR.
    AdDsDns,
    /// The Windows Time service.
    Time,
    /// Disks, file systems, shadow copies and hardware errors.
    StorageHardware,
    /// IIS, SQL Server and Exchange.
    IisSqlExchange,
    /// Certificates and TLS: Remote Desktop certificates, AD CS, Schannel.
    Certificates,
    /// System stability and applications: unexpected restarts, bugchecks,
    /// application crashes, performance counters, DCOM, event logs.
    System,
    /// Documented attack indicators (`kind = "security"`).
    Security,
}

impl Area {
    /// Every area, in catalogue order.
    pub const ALL: [Area; 9] = [
        Area::ServiceControl,
        Area::Networking,
        Area::AdDsDns,
        Area::Time,
        Area::StorageHardware,
        Area::IisSqlExchange,
        Area::Certificates,
        Area::System,
        Area::Security,
    ];

    /// The name written in rule files (`ad-ds-dns`).
    pub fn as_str(self) -> &'static str {
        match self {
            Area::ServiceControl => "service-control",
            Area::Networking => "networking",
            Area::AdDsDns => "ad-ds-dns",
            Area::Time => "time",
            Area::StorageHardware => "storage-hardware",
            Area::IisSqlExchange => "iis-sql-exchange",
            Area::Certificates => "certificates",
            Area::System => "system",
            Area::Security => "security",
        }
    }

    /// The heading the catalogue gives it.
    pub fn title(self) -> &'static str {
        match self {
            Area::ServiceControl => "Service control",
            Area::Networking => "Networking and ports",
            Area::AdDsDns => "AD DS, DNS and domain membership",
            Area::Time => "Time",
            Area::StorageHardware => "Storage and hardware",
            Area::IisSqlExchange => "IIS, SQL Server and Exchange",
            Area::Certificates => "Certificates and TLS",
            Area::System => "System stability and applications",
            Area::Security => "Security indicators",
        }
    }
}

/// A server role a computer's logs can show (see `data/roles.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerRole {
    /// Active Directory Domain Services (and the KDC that runs with it).
    DomainController,
    /// The DNS Server service.
    DnsServer,
    /// DFS Replication.
    Dfsr,
    /// Active Directory Certificate Services.
    CertificateAuthority,
    /// IIS (WAS, W3SVC).
    Iis,
    /// SQL Server (a default or named instance).
    SqlServer,
    /// Exchange Server.
    Exchange,
}

impl ServerRole {
    /// The name written in rule files (`domain-controller`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::DomainController => "domain-controller",
            ServerRole::DnsServer => "dns-server",
            ServerRole::Dfsr => "dfsr",
            ServerRole::CertificateAuthority => "certificate-authority",
            ServerRole::Iis => "iis",
            ServerRole::SqlServer => "sql-server",
            ServerRole::Exchange => "exchange",
        }
    }
}

/// One article a rule rests on: `{ title, kb }` or `{ title, url }` (or
/// both), and, in our own words, what it says that the rule relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// The article's title as its publisher gives it.
    pub title: String,
    /// Its KB number (`KB4530043`; `Q296086` is accepted), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb: Option<String>,
    /// Where to read it (`https://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// One line, in our words, on what the source says that the rule relies on.
    pub says: String,
    /// Who published it, when not Microsoft (`"Practical365"`). A rule whose
    /// every source is third-party is capped at `likely`, and its findings say
    /// who documents the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
}

impl SourceSpec {
    /// Whether Microsoft published it (no `publisher`, or `Microsoft`).
    pub fn is_microsoft(&self) -> bool {
        self.publisher.as_deref().is_none_or(|p| p.trim().eq_ignore_ascii_case("microsoft"))
    }

    /// Who published it, when not Microsoft.
    pub fn third_party(&self) -> Option<&str> {
        self.publisher.as_deref().map(str::trim).filter(|_| !self.is_microsoft())
    }

    /// Its KB id, normalised (`Q296086` → `KB296086`), when it has one.
    pub fn kb_id(&self) -> Option<String> {
        self.kb.as_deref().and_then(normalize_kb)
    }
}

/// What one occurrence of a generic rule says: one text, or one per event id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DetailSpec {
    /// The same text for every event id.
    Text(String),
    /// A text per event id (keys are event ids written as strings).
    ById(std::collections::BTreeMap<String, String>),
}

impl DetailSpec {
    /// The text for an event id, if any.
    pub fn for_id(&self, event_id: u32) -> Option<&str> {
        match self {
            DetailSpec::Text(t) => Some(t),
            DetailSpec::ById(m) => m.get(&event_id.to_string()).map(String::as_str),
        }
    }
}

/// How far findings of one rule about the same computer and service merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeScope {
    /// One finding per boot session (the default).
    #[default]
    Boot,
    /// One finding per computer and service, whatever the boot.
    Computer,
}

fn default_confidence() -> Confidence {
    Confidence::Possible
}

/// Which records match: an event (provider, ids, fields, service) or a command-output block.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Provider names or GUIDs (`{555908d1-…}`); any of them.
    #[serde(default)]
    pub provider: OneOrMany<String>,
    /// Event ids; any of them. Empty = any id of the provider.
    #[serde(default)]
    pub event_id: OneOrMany<u32>,
    /// Match command-output blocks of this cmdlet instead of events (e.g. `Test-OutlookWebServices`).
    #[serde(default)]
    pub command: Option<String>,
    /// A regular expression the rendered message (or a command block's text) must match.
    #[serde(default)]
    pub message: Option<String>,
    /// A regular expression the event's computer name (`System/Computer`) must match.
    #[serde(default)]
    pub computer: Option<String>,
    /// Which service the event is about.
    #[serde(default)]
    pub service: Option<ServiceSpec>,
    /// Field predicates; all must hold.
    #[serde(default, rename = "where")]
    pub predicates: Vec<FieldSpec>,
    /// (Checks only) how far from the anchor in time, e.g. `90s`, `5m`, `2h`.
    #[serde(default)]
    pub within: Option<String>,
    /// (Checks only) `before`, `after` or `around` (default) the anchor.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// (Checks only) at least this many matching records (the anchor itself
    /// not counted) must lie in the window; binds `{count}`.
    #[serde(default)]
    pub min_count: Option<u32>,
    /// (Checks only) fields whose value must be the anchor's (ignoring ASCII
    /// case and surrounding blanks): the same application pool, library, partner.
    #[serde(default)]
    pub same_fields: Vec<String>,
}

/// Where a related record may lie relative to the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// At or before the anchor.
    Before,
    /// At or after the anchor.
    After,
    /// Either side.
    Around,
}

/// Service identity: which service an event is about, however it names it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// The field holding the service name; default: the one the event id uses
    /// (Service Control Manager 7009/7011: `param2`; 7045: `ServiceName`; others `param1`).
    #[serde(default)]
    pub field: Option<String>,
    /// Service key names (or display names); the event may show either.
    #[serde(default)]
    pub is: OneOrMany<String>,
    /// Only services whose default ports are known (built-in table).
    #[serde(default)]
    pub has_ports: bool,
    /// (Checks only) the same service as the anchor's.
    #[serde(default)]
    pub same: bool,
    /// The service the event is about whatever its fields say: for providers
    /// that belong to one service (NETLOGON → `Netlogon`, DNS Server → `DNS`),
    /// so that findings name it and merge per service.
    #[serde(default)]
    pub name: Option<String>,
    /// Only services whose names look machine-generated (see
    /// [`crate::rule::generated_name`]): the temporary services of
    /// remote-execution tools.
    #[serde(default)]
    pub generated: bool,
    /// (Anchor only) follow Service Control Manager 7001 dependency failures
    /// from the named service to the root of the chain: the finding is about
    /// the service whose own failure made the others fail, so that every
    /// victim of one root merges into one finding.
    #[serde(default)]
    pub root: bool,
}

/// A predicate on one field. Exactly one of `equals`, `one_of`, `regex`, `code` is given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Field name: `param1`, a data name, `%2`, or for command blocks a property name (`text` = all of them).
    /// Empty only for an `any` group.
    #[serde(default)]
    pub field: String,
    /// Equal, ignoring ASCII case and surrounding blanks.
    #[serde(default)]
    pub equals: Option<String>,
    /// Equal to one of these, ignoring ASCII case.
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    /// Matches this regular expression.
    #[serde(default)]
    pub regex: Option<String>,
    /// The same error code as one of these (`%%58`, `58`, `0x3A`, `ERROR_BAD_NET_RESP` are all equal).
    #[serde(default)]
    pub code: Option<OneOrMany<String>>,
    /// The value names the event's own computer (short name, ignoring case
    /// and leading `\\`): a DC's NETLOGON event naming the DC itself.
    #[serde(default)]
    pub is_computer: bool,
    /// The value looks machine-generated (see [`crate::rule::looks_random`]):
    /// the random service names remote-execution tools use.
    #[serde(default)]
    pub looks_random: bool,
    /// A group: holds when any of these predicates holds (each with its own
    /// `field`); `not` and `event_id` apply to the group.
    #[serde(default)]
    pub any: Option<Vec<FieldSpec>>,
    /// The value is a number (decimal, or hexadecimal written `0x…`) at least this.
    #[serde(default)]
    pub min: Option<i64>,
    /// The value is a number at most this (with `min`: within the range).
    #[serde(default)]
    pub max: Option<i64>,
    /// Inverts the predicate (a missing field then matches).
    #[serde(default)]
    pub not: bool,
    /// Applies only to events with these ids (others pass); e.g. a code check that only 7000 carries.
    #[serde(default)]
    pub event_id: OneOrMany<u32>,
}

/// One check: a condition (exactly one of `after_boot`, `record`, `port_held`,
/// `registry`) plus what it adds to a finding when it holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// A short name for the catalogue and the test report.
    #[serde(default)]
    pub name: Option<String>,
    /// Confidence raised to (at least) this when the check holds (corroborations).
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// When the check holds, the finding claims at most this: what makes the
    /// documented cause less likely (its workaround already in place).
    #[serde(default)]
    pub cap: Option<Confidence>,
    /// A sentence added to the cause when the check holds.
    #[serde(default)]
    pub cause: Option<String>,
    /// Steps added to the remediation when the check holds.
    #[serde(default)]
    pub remediation: Vec<String>,
    /// KB articles added when the check holds.
    #[serde(default)]
    pub kb: Vec<String>,
    /// Inverts the check: it holds when its condition does not (no such
    /// record in the window, not after boot, …). It then has no evidence.
    #[serde(default)]
    pub not: bool,
    /// Holds when the anchor lies within this long after the start of its boot session (`10m`).
    #[serde(default)]
    pub after_boot: Option<String>,
    /// Holds when another record matching this lies within the window.
    #[serde(default)]
    pub record: Option<MatchSpec>,
    /// Holds when a socket snapshot shows one of the service's ports held by another process.
    #[serde(default)]
    pub port_held: Option<PortSpec>,
    /// Holds when a registry export has (or lacks) a value.
    #[serde(default)]
    pub registry: Option<RegistrySpec>,
    /// Holds when the anchor's computer shows this server role (its services
    /// or its own providers in any input; see `data/roles.toml`).
    #[serde(default)]
    pub role: Option<ServerRole>,
    /// Holds when a socket snapshot shows one process holding many outgoing TCP ports.
    #[serde(default)]
    pub port_hog: Option<PortHogSpec>,
    /// Holds when an installed-updates list (systeminfo, Get-HotFix, wmic
    /// qfe) of the anchor's computer lists (or, with `installed = false`,
    /// lacks) one of these updates.
    #[serde(default)]
    pub update: Option<UpdateSpec>,
    /// Holds when a netsh capture shows one of the service's ports inside an
    /// excluded port range or the dynamic port range.
    #[serde(default)]
    pub port_range: Option<PortRangeSpec>,
}

/// "Update KB… is (not) installed" in an installed-updates list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpec {
    /// The updates (`KB953230`); any one of them counts.
    pub kb: OneOrMany<String>,
    /// `false`: holds when a list of the anchor's computer was captured and
    /// none of them is in it (default `true`: when one is). With no list
    /// captured, neither holds.
    #[serde(default = "yes")]
    pub installed: bool,
}

fn yes() -> bool {
    true
}

/// "A port of the service lies in an excluded or the dynamic port range".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRangeSpec {
    /// `excluded` or `dynamic`.
    pub range: String,
    /// Ports as `TCP/3389`; default: the anchor service's own ports from the built-in table.
    #[serde(default)]
    pub ports: Vec<String>,
    /// The TCP port is in this field of the anchor event; used instead of
    /// `ports` when the field holds a number.
    #[serde(default)]
    pub port_field: Option<String>,
    /// Only ranges an administrator added (`*` in netsh's list), or only the
    /// others (`false`); default: any.
    #[serde(default)]
    pub administered: Option<bool>,
}

/// "One process holds most of the ephemeral TCP ports" in a socket snapshot:
/// what TCP port exhaustion looks like from `netstat -ano`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortHogSpec {
    /// At least this many non-listening TCP sockets with a local port above
    /// 1024 held by one process (default 1000).
    #[serde(default)]
    pub min_ports: Option<usize>,
}

/// "A port of the service is held by another process" in a socket snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortSpec {
    /// Ports as `TCP/25`, `UDP/1812`; default: the anchor service's own ports from the built-in table.
    #[serde(default)]
    pub ports: Vec<String>,
    /// Only when the holder's image is one of these (e.g. `dns.exe`).
    #[serde(default)]
    pub holder_image: Vec<String>,
    /// The TCP port is in this field of the anchor event (`param2` of SQL
    /// Server 9692); used instead of `ports` when the field holds a number.
    #[serde(default)]
    pub port_field: Option<String>,
}

/// "Registry value V is / is not set" in a `.reg` export.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySpec {
    /// The key, matched as a suffix of the exported path, segment by segment, ignoring case;
    /// `{service}` stands for the anchor's service key, `*` for any one segment.
    pub key: String,
    /// The value name.
    pub value: String,
    /// Holds only when the value's data (as text) equals this, ignoring case.
    #[serde(default)]
    pub equals: Option<String>,
    /// Holds when the export has the key but not the value (instead of when it has it).
    #[serde(default)]
    pub absent: bool,
    /// A placeholder name that receives the value's data, e.g. `sitedn` for `{sitedn}`.
    #[serde(default)]
    pub bind: Option<String>,
}

/// How sure a finding is. Ordered: `Possible < Likely < Confirmed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The pattern fits, but it has other common explanations.
    Possible,
    /// The anchor and its context fit the documented pattern.
    Likely,
    /// Independent evidence corroborates the documented cause.
    Confirmed,
}

impl Confidence {
    /// The lowercase name used in output (`confirmed`, `likely`, `possible`).
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Confirmed => "confirmed",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a finding says about the machine: a security pattern to investigate,
/// a fault to fix, or behaviour that looks like one in the logs but is by
/// design. Reports show security findings first, then faults, then info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A known fault: something to fix.
    #[default]
    Fault,
    /// Documented, by-design behaviour that looks like a fault (e.g. W32Time
    /// stopping after boot on a workgroup machine). Reported apart so that
    /// nobody chases it, and not counted as a fault (exit status, summary).
    Info,
    /// A pattern of an attack or of tampering (a remote-execution service
    /// installed and started, as PsExec or Metasploit do): not a fault to
    /// tune away, something to investigate. Counts as a fault for the exit
    /// status.
    Security,
}

impl Kind {
    /// The lowercase name used in output (`fault`, `info`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fault => "fault",
            Kind::Info => "info",
            Kind::Security => "security",
        }
    }

    /// Report order: security (0), fault (1), info (2).
    pub fn rank(self) -> u8 {
        match self {
            Kind::Security => 0,
            Kind::Fault => 1,
            Kind::Info => 2,
        }
    }

    /// Whether findings of this kind count as faults (exit status 1, the summary's count).
    pub fn is_problem(self) -> bool {
        self != Kind::Info
    }

    /// What the kind means for the reader, in a sentence reports show under
    /// the title (none for a fault).
    pub fn gloss(self) -> Option<&'static str> {
        match self {
            Kind::Fault => None,
            Kind::Info => Some("Documented, by-design behaviour that looks like a fault in the logs: nothing to fix."),
            Kind::Security => {
                Some("A pattern of an attack or of tampering: something to investigate, not a setting to tune.")
            }
        }
    }
}

/// Normalises a KB id: `KB4530043`, `kb 4530043`, `Q296086` and `4530043` become `KB<number>`.
/// Returns `None` when there is no number.
pub fn normalize_kb(text: &str) -> Option<String> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let digits = upper.strip_prefix("KB").or_else(|| upper.strip_prefix('Q')).unwrap_or(&upper).trim();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("KB{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_ids_normalise() {
        assert_eq!(normalize_kb("Q296086").as_deref(), Some("KB296086"));
        assert_eq!(normalize_kb("kb4530043").as_deref(), Some("KB4530043"));
        assert_eq!(normalize_kb("KB 948609").as_deref(), Some("KB948609"));
        assert_eq!(normalize_kb("953230").as_deref(), Some("KB953230"));
        assert_eq!(normalize_kb("KB"), None);
        assert_eq!(normalize_kb("KBx1"), None);
    }

    #[test]
    fn confidence_orders() {
        assert!(Confidence::Possible < Confidence::Likely);
        assert!(Confidence::Likely < Confidence::Confirmed);
        assert_eq!(Confidence::Confirmed.to_string(), "confirmed");
    }
}
