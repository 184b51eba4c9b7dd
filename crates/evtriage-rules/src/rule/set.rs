//! The [`RuleSet`]: the built-in rules and a user's own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::compile::{Rule, RuleError, RuleOrigin, MAX_RULE_FILE_BYTES};
use super::matcher::ProviderSel;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The events the engine reads for service identity whatever the rules
/// (Service Control Manager 7036/7040, by name and GUID), as
/// [`RuleSet::event_keys`] lists them with the boot markers.
const SERVICE_IDENTITY_EVENTS: &[(&str, &[u32])] =
    &[("Service Control Manager", &[7036, 7040]), ("{555908d1-a6d7-4695-8e1e-26931d2012f4}", &[7036, 7040])];

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
        for m in evtriage_core::boot::MARKERS {
            for id in m.event_ids {
                out.insert(format!("{}/{id}", m.provider));
                if let Some(g) = m.guid {
                    out.insert(format!("{g}/{id}"));
                }
            }
        }
        for (p, ids) in SERVICE_IDENTITY_EVENTS {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
