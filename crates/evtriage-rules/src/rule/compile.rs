//! A rule file compiled into a [`Rule`]: parsed, validated, its regular
//! expressions checked (and built when first used, see `lazy`), codes and
//! durations turned into values; and the server roles of `data/roles.toml`
//! compiled into the record matchers of the `role` check.

use std::path::PathBuf;

use chrono::Duration;
use evtriage_core::{Guid, Protocol};

use super::lazy::LazyRegex;
use super::matcher::{Check, Condition, FieldPred, FieldTest, Matcher, ProviderSel, RoleDef, ServicePred};
use crate::codes::code_value;
use crate::finding::{normalize_kb, Confidence};
use crate::spec::{CheckSpec, Direction, FieldSpec, MatchSpec, RuleSpec, ServerRole};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

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
        let rule = Rule { kb, anchor, require, corroborate, source_text: text.to_string(), origin, spec };
        // A user's rule file is built in full now, so that an expression over
        // the size limit is reported with its file (see `LazyRegex`).
        if matches!(rule.origin, RuleOrigin::File(_)) {
            rule.build_regexes().map_err(|message| RuleError::Invalid {
                origin: rule.origin.to_string(),
                id: rule.spec.id.clone(),
                message,
            })?;
        }
        Ok(rule)
    }

    /// Builds every regular expression of the rule now (they are otherwise
    /// built when first used); `Err` names the first that cannot be built.
    pub fn build_regexes(&self) -> Result<(), String> {
        fn field(f: &super::matcher::FieldPred) -> Result<(), String> {
            match &f.test {
                FieldTest::Regex(re) => re.build().map_err(|e| format!("field `{}` regex: {e}", f.field)),
                FieldTest::Any(list) => list.iter().try_for_each(field),
                _ => Ok(()),
            }
        }
        for m in self.matchers() {
            if let Some(re) = &m.message {
                re.build().map_err(|e| format!("message regex: {e}"))?;
            }
            if let Some(re) = &m.computer {
                re.build().map_err(|e| format!("computer regex: {e}"))?;
            }
            m.fields.iter().try_for_each(field)?;
        }
        Ok(())
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
        std::iter::once(&self.anchor).chain(self.checks().flat_map(|c| match &c.condition {
            Condition::Record(m) => std::slice::from_ref(&**m),
            Condition::Role(def) => def.shows.as_slice(),
            _ => &[],
        }))
    }
}

fn normalize_kbs(kbs: &[String]) -> Result<Vec<String>, String> {
    kbs.iter()
        .map(|k| normalize_kb(k).ok_or_else(|| format!("`{k}` is not a KB id (KB<number> or Q<number>)")))
        .collect()
}

pub(super) fn compile_matcher(m: &MatchSpec, in_check: bool) -> Result<Matcher, String> {
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
    let message = m.message.as_deref().map(LazyRegex::new).transpose().map_err(|e| format!("message regex: {e}"))?;
    let computer = m.computer.as_deref().map(LazyRegex::new).transpose().map_err(|e| format!("computer regex: {e}"))?;
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
    if !in_check && (m.min_count.is_some() || !m.same_fields.is_empty()) {
        return Err("`min_count` and `same_fields` belong to record checks, not the anchor".into());
    }
    if m.min_count == Some(0) {
        return Err("`min_count` must be at least 1".into());
    }
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
        min_count: m.min_count.map_or(1, |n| n.max(1) as usize),
        same_fields: m.same_fields.iter().map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect(),
    })
}

fn compile_field(f: &FieldSpec) -> Result<FieldPred, String> {
    let given = [
        f.equals.is_some(),
        f.one_of.is_some(),
        f.regex.is_some(),
        f.code.is_some(),
        f.is_computer,
        f.looks_random,
        f.min.is_some() || f.max.is_some(),
    ]
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
            "field `{}`: give exactly one of equals, one_of, regex, code, is_computer, looks_random, min/max",
            f.field
        ));
    }
    let test = if f.min.is_some() || f.max.is_some() {
        if let (Some(lo), Some(hi)) = (f.min, f.max) {
            if lo > hi {
                return Err(format!("field `{}`: min {lo} is above max {hi}", f.field));
            }
        }
        FieldTest::Range(f.min, f.max)
    } else if f.looks_random {
        FieldTest::LooksRandom
    } else if f.is_computer {
        FieldTest::IsComputer
    } else if let Some(v) = &f.equals {
        FieldTest::Equals(v.clone())
    } else if let Some(v) = &f.one_of {
        FieldTest::OneOf(v.clone())
    } else if let Some(r) = &f.regex {
        FieldTest::Regex(LazyRegex::new(r).map_err(|e| format!("field `{}` regex: {e}", f.field))?)
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
    let given = [
        c.after_boot.is_some(),
        c.record.is_some(),
        c.port_held.is_some(),
        c.registry.is_some(),
        c.port_hog.is_some(),
        c.role.is_some(),
        c.update.is_some(),
        c.port_range.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        return Err(err(
            "give exactly one of after_boot, record, port_held, registry, port_hog, role, update, port_range".into(),
        ));
    }
    let condition = if let Some(d) = &c.after_boot {
        Condition::AfterBoot(parse_duration(d).ok_or_else(|| err(format!("`{d}` is not a duration")))?)
    } else if let Some(m) = &c.record {
        Condition::Record(Box::new(compile_matcher(m, true).map_err(err)?))
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
    } else if let Some(role) = c.role {
        Condition::Role(role_def(role).map_err(err)?)
    } else if let Some(u) = &c.update {
        let kbs = normalize_kbs(&u.kb.to_vec()).map_err(err)?;
        if kbs.is_empty() {
            return Err(err("update.kb names no update".into()));
        }
        Condition::Update { kbs, installed: u.installed }
    } else if let Some(r) = &c.port_range {
        let range = match r.range.as_str() {
            "excluded" => evtriage_core::PortRangeKind::Excluded,
            "dynamic" => evtriage_core::PortRangeKind::Dynamic,
            other => return Err(err(format!("port_range.range `{other}`: write `excluded` or `dynamic`"))),
        };
        let ports = r
            .ports
            .iter()
            .map(|s| parse_port(s).ok_or_else(|| err(format!("`{s}` is not a port (write TCP/25 or UDP/1812)"))))
            .collect::<Result<Vec<_>, _>>()?;
        Condition::PortInRange { range, ports, port_field: r.port_field.clone(), administered: r.administered }
    } else {
        return Err(err("no condition".into()));
    };
    if section == "require" && c.confidence.is_some() {
        return Err(err("`confidence` belongs to corroborations; set the rule's `confidence` instead".into()));
    }
    let kb = normalize_kbs(&c.kb).map_err(err)?;
    if c.confidence.is_some() && c.cap.is_some() {
        return Err(err("give `confidence` or `cap`, not both".into()));
    }
    if c.not && c.confidence.is_some() {
        return Err(err("a `not` check cannot raise the confidence (it has no evidence)".into()));
    }
    Ok(Check {
        name,
        condition,
        not: c.not,
        confidence: c.confidence,
        cap: c.cap,
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

/// The server roles' record matchers (`data/roles.toml`), compiled once
/// for the `role` check.
const ROLES_TOML: &str = include_str!("../../data/roles.toml");

/// How far from the anchor a record showing the role may lie: any time the
/// logs cover (a server keeps its role for years; what counts is that the
/// logs show it).
const ROLE_WINDOW: &str = "36500d";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    role: Vec<RoleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    name: ServerRole,
    title: String,
    services: Vec<String>,
    images: Vec<String>,
    shows: Vec<MatchSpec>,
}

/// The built-in role table; the data file is part of the binary and checked by
/// a test, so a mistake in it is a build defect, reported as an error here.
fn table() -> Result<&'static [Arc<RoleDef>], String> {
    static TABLE: OnceLock<Result<Vec<Arc<RoleDef>>, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let file: RolesFile = toml::from_str(ROLES_TOML).map_err(|e| format!("data/roles.toml: {e}"))?;
            file.role
                .into_iter()
                .map(|r| {
                    let shows = r
                        .shows
                        .into_iter()
                        .map(|mut m| {
                            m.within = Some(ROLE_WINDOW.to_string());
                            m.direction = None;
                            compile_matcher(&m, true)
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("data/roles.toml: role {}: {e}", r.name.as_str()))?;
                    Ok(Arc::new(RoleDef {
                        role: r.name,
                        title: r.title,
                        services: r.services,
                        images: r.images,
                        shows,
                    }))
                })
                .collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// The compiled definition of `role`.
pub(crate) fn role_def(role: ServerRole) -> Result<Arc<RoleDef>, String> {
    table()?
        .iter()
        .find(|d| d.role == role)
        .cloned()
        .ok_or_else(|| format!("role `{}` has no definition", role.as_str()))
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

    #[test]
    fn every_role_has_a_definition_with_records() {
        for role in [
            ServerRole::DomainController,
            ServerRole::DnsServer,
            ServerRole::Dfsr,
            ServerRole::CertificateAuthority,
            ServerRole::Iis,
            ServerRole::SqlServer,
            ServerRole::Exchange,
        ] {
            let def = role_def(role).unwrap_or_else(|e| panic!("{e}"));
            assert!(!def.shows.is_empty() && !def.services.is_empty(), "{}", role.as_str());
            assert!(def.shows.iter().all(|m| m.within.is_some()));
        }
    }
}
