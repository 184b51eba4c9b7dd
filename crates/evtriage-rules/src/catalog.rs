//! The rule catalogue: `evtriage rules list` as text, Markdown or JSON.
//!
//! The Markdown form is what `docs/rules.md` carries between the
//! `<!-- catalogue:start -->` and `<!-- catalogue:end -->` markers; a test
//! fails when the committed catalogue no longer matches the built-in rules.

use serde::Serialize;

use crate::rule::{Condition, Rule, RuleSet};
use crate::spec::{Area, RuleSpec, SourceSpec};

/// Marker before the generated catalogue in `docs/rules.md`.
pub const CATALOGUE_START: &str = "<!-- catalogue:start -->";
/// Marker after the generated catalogue in `docs/rules.md`.
pub const CATALOGUE_END: &str = "<!-- catalogue:end -->";

/// One rule as tools see it (`rules list --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// KB articles (`KB<number>`), including those corroborations add.
    pub kb: Vec<String>,
    /// `fault`, `info` (by-design behaviour shown for information) or `security`.
    pub kind: String,
    /// Base confidence.
    pub confidence: String,
    /// Highest confidence the rule can reach.
    pub max_confidence: String,
    /// What the anchor is, in words.
    pub anchor: String,
    /// Checks that must hold.
    pub requires: Vec<String>,
    /// Checks that corroborate.
    pub corroborates: Vec<String>,
    /// Rules this one supersedes.
    pub supersedes: Vec<String>,
    /// Whether it is a generic rule (one finding per computer listing services).
    pub generic: bool,
    /// The articles the rule rests on, with what it takes from each.
    pub sources: Vec<SourceSpec>,
    /// Whether every source is third-party (the rule is then capped at `likely`).
    pub third_party_only: bool,
    /// `builtin:<file>` or the rule file path.
    pub origin: String,
    /// The catalogue area (`ad-ds-dns`); absent for a user rule without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<&'static str>,
}

fn anchor_words(spec: &RuleSpec) -> String {
    let a = &spec.anchor;
    if let Some(c) = &a.command {
        return format!("`{c}` output");
    }
    let providers = a.provider.to_vec();
    let provider = providers.iter().find(|p| !p.starts_with('{')).or(providers.first()).cloned().unwrap_or_default();
    let ids = a.event_id.to_vec();
    let ids = if ids.is_empty() {
        "any id".to_string()
    } else {
        ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("/")
    };
    let mut s = format!("{provider} {ids}");
    if let Some(svc) = &a.service {
        let is = svc.is.to_vec();
        if !is.is_empty() {
            s.push_str(&format!(" for {}", is.join(" or ")));
        } else if svc.has_ports {
            s.push_str(" for a service with known ports");
        }
        if svc.root {
            s.push_str(" (named by the root of its dependency chain)");
        }
    }
    if let Some(c) = &a.computer {
        s.push_str(&format!(" on a computer named like `{c}`"));
    }
    for w in &a.predicates {
        if let Some(c) = &w.code {
            s.push_str(&format!(" with {} = {}", w.field, c.to_vec().join(" or ")));
            let only = w.event_id.to_vec();
            if !only.is_empty() {
                let ids: Vec<String> = only.iter().map(|i| i.to_string()).collect();
                s.push_str(&format!(" (on {})", ids.join("/")));
            }
        }
    }
    s
}

fn check_words(rule: &Rule, required: bool) -> Vec<String> {
    let checks = if required { &rule.require } else { &rule.corroborate };
    checks
        .iter()
        .map(|c| {
            let kind = match &c.condition {
                Condition::AfterBoot(_) => "after boot",
                Condition::Record(_) => "record",
                Condition::PortHeld { .. } => "port held",
                Condition::Registry { .. } => "registry",
                Condition::PortHog { .. } => "port hog",
                Condition::Role(_) => "role",
                Condition::Update { installed: true, .. } => "update installed",
                Condition::Update { installed: false, .. } => "update not installed",
                Condition::PortInRange { .. } => "port range",
            };
            let kind = if c.not { format!("not {kind}") } else { kind.to_string() };
            match (c.confidence, c.cap) {
                (Some(conf), _) => format!("{} ({kind}, → {conf})", c.name),
                (None, Some(cap)) => format!("{} ({kind}, at most {cap})", c.name),
                (None, None) => format!("{} ({kind})", c.name),
            }
        })
        .collect()
}

/// The catalogue entries of a rule set, sorted by id.
pub fn entries(set: &RuleSet) -> Vec<RuleEntry> {
    set.rules()
        .iter()
        .map(|r| {
            let mut kb = r.kb.clone();
            for c in r.checks() {
                for k in &c.kb {
                    if !kb.contains(k) {
                        kb.push(k.clone());
                    }
                }
            }
            let max = r.max_confidence();
            RuleEntry {
                id: r.id().to_string(),
                title: r.spec.title.clone(),
                kind: r.spec.kind.name().to_string(),
                kb,
                confidence: r.spec.confidence.to_string(),
                max_confidence: max.to_string(),
                anchor: anchor_words(&r.spec),
                requires: check_words(r, true),
                corroborates: check_words(r, false),
                supersedes: r.spec.supersedes.clone(),
                generic: r.spec.generic,
                sources: r.spec.sources.clone(),
                third_party_only: crate::audit::third_party_only(&r.spec.sources),
                origin: r.origin.to_string(),
                area: r.spec.area.map(Area::as_str),
            }
        })
        .collect()
}

/// `rules list` as plain text: one line per rule.
pub fn text(set: &RuleSet) -> String {
    let mut out = String::new();
    for e in entries(set) {
        let kb = if e.kb.is_empty() { "-".to_string() } else { e.kb.join(",") };
        out.push_str(&format!("{:<34} {:<28} {:<9} {}\n", e.id, kb, e.max_confidence, e.title));
    }
    out
}

/// `rules list` as JSON (an array of [`RuleEntry`]).
pub fn json(set: &RuleSet) -> String {
    serde_json::to_string_pretty(&entries(set)).unwrap_or_else(|_| "[]".into())
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `rules list` as the Markdown catalogue (the block `docs/rules.md` carries):
/// one table per area, in [`Area::ALL`]'s order, then rules without an area.
pub fn markdown(set: &RuleSet) -> String {
    let mut out = String::new();
    let all = entries(set);
    let mut sections: Vec<(String, Vec<&RuleEntry>)> = Area::ALL
        .iter()
        .map(|a| (a.title().to_string(), all.iter().filter(|e| e.area == Some(a.as_str())).collect()))
        .collect();
    sections.push(("Other (no area)".to_string(), all.iter().filter(|e| e.area.is_none()).collect()));
    sections.retain(|(_, v)| !v.is_empty());
    out.push_str(&format!("{} rules in {} areas:\n", all.len(), sections.len()));
    for (title, rules) in &sections {
        out.push_str(&format!("\n### {title} ({})\n\n", rules.len()));
        out.push_str("| rule | KB | confidence | anchor | requires | corroborated by |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for e in rules {
            markdown_row(&mut out, e);
        }
    }
    out.push_str("\nSources (what each rule takes from each article, in our words):\n\n");
    for e in &all {
        if e.sources.is_empty() {
            out.push_str(&format!("- `{}`: no source given\n", e.id));
            continue;
        }
        out.push_str(&format!("- `{}`:\n", e.id));
        for s in &e.sources {
            out.push_str(&format!("  - {}\n", source_line(s)));
        }
    }
    let superseding: Vec<_> = all.iter().filter(|e| !e.supersedes.is_empty()).collect();
    if !superseding.is_empty() {
        out.push_str("\nSpecific rules that absorb generic ones over the same events:\n\n");
        for e in superseding {
            out.push_str(&format!(
                "- `{}` supersedes {}\n",
                e.id,
                e.supersedes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out
}

fn markdown_row(out: &mut String, e: &RuleEntry) {
    let kb = if e.kb.is_empty() { "—".to_string() } else { e.kb.join(", ") };
    let conf = if e.confidence == e.max_confidence {
        e.confidence.clone()
    } else {
        format!("{} → {}", e.confidence, e.max_confidence)
    };
    let conf = match e.kind.as_str() {
        "info" => format!("{conf} (info: not a fault)"),
        "security" => format!("{conf} (security)"),
        _ => conf,
    };
    let conf = if e.generic { format!("{conf} (generic: one finding per computer)") } else { conf };
    let list = |v: &[String]| if v.is_empty() { "—".to_string() } else { v.join("; ") };
    out.push_str(&format!(
        "| `{}`<br>{} | {} | {} | {} | {} | {} |\n",
        e.id,
        md_escape(&e.title),
        kb,
        conf,
        md_escape(&e.anchor),
        md_escape(&list(&e.requires)),
        md_escape(&list(&e.corroborates)),
    ));
}

/// One source in a line of Markdown: the title (linked when it has a url),
/// its KB, who published it when not Microsoft, and what it says.
pub fn source_line(s: &SourceSpec) -> String {
    let title = match &s.url {
        Some(u) => format!("[{}]({u})", md_escape(&s.title)),
        None => md_escape(&s.title),
    };
    let mut line = title;
    if let Some(kb) = s.kb_id() {
        line.push_str(&format!(" ({kb})"));
    }
    if let Some(who) = s.third_party() {
        line.push_str(&format!(" — third-party: {}", md_escape(who)));
    }
    line.push_str(&format!(": {}", md_escape(s.says.trim())));
    line
}

/// Replaces the catalogue block of a document (between the markers) with `catalogue`.
/// Returns `None` when the markers are missing.
pub fn splice(document: &str, catalogue: &str) -> Option<String> {
    let start = document.find(CATALOGUE_START)? + CATALOGUE_START.len();
    let end = document.find(CATALOGUE_END)?;
    if end < start {
        return None;
    }
    Some(format!("{}\n{}{}", &document[..start], catalogue, &document[end..]))
}
