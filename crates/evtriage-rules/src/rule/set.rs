//! The [`RuleSet`]: the built-in rules and a user's own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::compile::{Rule, RuleError, RuleOrigin, MAX_RULE_FILE_BYTES};
use super::matcher::ProviderSel;

/// The built-in rules, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    ("kb4530043-ismserv-boot.toml", include_str!("../../rules/kb4530043-ismserv-boot.toml")),
    ("port-conflict.toml", include_str!("../../rules/port-conflict.toml")),
    ("port-conflict-dns-socket-pool.toml", include_str!("../../rules/port-conflict-dns-socket-pool.toml")),
    ("port-conflict-lsass.toml", include_str!("../../rules/port-conflict-lsass.toml")),
    ("kb296086-smtp-port-25.toml", include_str!("../../rules/kb296086-smtp-port-25.toml")),
    ("kb298565-imc-sitedn.toml", include_str!("../../rules/kb298565-imc-sitedn.toml")),
    ("kb948609-autodiscover-net20sp2.toml", include_str!("../../rules/kb948609-autodiscover-net20sp2.toml")),
    // Network, domain controller, DNS and ports (issue 6).
    ("netlogon-5719-no-dc.toml", include_str!("../../rules/netlogon-5719-no-dc.toml")),
    ("kb2421599-netlogon-5719-boot.toml", include_str!("../../rules/kb2421599-netlogon-5719-boot.toml")),
    ("netlogon-5719-ws2025-restart.toml", include_str!("../../rules/netlogon-5719-ws2025-restart.toml")),
    ("tcp-port-exhaustion.toml", include_str!("../../rules/tcp-port-exhaustion.toml")),
    ("netlogon-secure-channel-broken.toml", include_str!("../../rules/netlogon-secure-channel-broken.toml")),
    ("netlogon-5722-session-setup-failed.toml", include_str!("../../rules/netlogon-5722-session-setup-failed.toml")),
    ("netlogon-5805-session-auth.toml", include_str!("../../rules/netlogon-5805-session-auth.toml")),
    ("cve-2020-1472-zerologon-5805.toml", include_str!("../../rules/cve-2020-1472-zerologon-5805.toml")),
    ("netlogon-sysvol-not-ready.toml", include_str!("../../rules/netlogon-sysvol-not-ready.toml")),
    ("dns-4013-ad-sync.toml", include_str!("../../rules/dns-4013-ad-sync.toml")),
    ("kb2001093-dns-4013-boot.toml", include_str!("../../rules/kb2001093-dns-4013-boot.toml")),
    ("dns-ad-unavailable.toml", include_str!("../../rules/dns-ad-unavailable.toml")),
    ("dns-socket-bind-failure.toml", include_str!("../../rules/dns-socket-bind-failure.toml")),
    ("q256318-dns-auto-zone-notify.toml", include_str!("../../rules/q256318-dns-auto-zone-notify.toml")),
    ("wsaeaddrinuse.toml", include_str!("../../rules/wsaeaddrinuse.toml")),
    ("q156054-ftp-port-21.toml", include_str!("../../rules/q156054-ftp-port-21.toml")),
    ("iis-port-80-443-held.toml", include_str!("../../rules/iis-port-80-443-held.toml")),
    ("q146157-imc-smtp-port-25.toml", include_str!("../../rules/q146157-imc-smtp-port-25.toml")),
    ("ias-port-dns-socket-pool.toml", include_str!("../../rules/ias-port-dns-socket-pool.toml")),
    ("sql-tdssniclient-init.toml", include_str!("../../rules/sql-tdssniclient-init.toml")),
    ("sql-tcp-port-in-use.toml", include_str!("../../rules/sql-tcp-port-in-use.toml")),
    ("sql-endpoint-port-in-use.toml", include_str!("../../rules/sql-endpoint-port-in-use.toml")),
    ("q271963-duplicate-name.toml", include_str!("../../rules/q271963-duplicate-name.toml")),
    // Service start, timeouts, accounts, dependencies, crashes (issue 6).
    ("kb2385818-w32time-workgroup.toml", include_str!("../../rules/kb2385818-w32time-workgroup.toml")),
    ("kb2745448-ssrs-ctl-timeout.toml", include_str!("../../rules/kb2745448-ssrs-ctl-timeout.toml")),
    ("kb282254-logon-account-disabled.toml", include_str!("../../rules/kb282254-logon-account-disabled.toml")),
    ("kb282254-logon-account-locked.toml", include_str!("../../rules/kb282254-logon-account-locked.toml")),
    ("kb282254-logon-as-service-right.toml", include_str!("../../rules/kb282254-logon-as-service-right.toml")),
    ("kb282254-logon-gmsa-not-managed.toml", include_str!("../../rules/kb282254-logon-gmsa-not-managed.toml")),
    ("kb282254-logon-password-expired.toml", include_str!("../../rules/kb282254-logon-password-expired.toml")),
    ("kb282254-logon-wrong-password.toml", include_str!("../../rules/kb282254-logon-wrong-password.toml")),
    ("kb922918-start-timeout.toml", include_str!("../../rules/kb922918-start-timeout.toml")),
    ("netlogon-dependency-chain.toml", include_str!("../../rules/netlogon-dependency-chain.toml")),
    ("openssh-2024-programdata-acl.toml", include_str!("../../rules/openssh-2024-programdata-acl.toml")),
    ("q157913-interactive-service-logoff.toml", include_str!("../../rules/q157913-interactive-service-logoff.toml")),
    ("q217339-certsvc-system-dsn.toml", include_str!("../../rules/q217339-certsvc-system-dsn.toml")),
    ("q184205-store-2186.toml", include_str!("../../rules/q184205-store-2186.toml")),
    ("q231604-server-no-network.toml", include_str!("../../rules/q231604-server-no-network.toml")),
    ("q274814-password-changed-7013.toml", include_str!("../../rules/q274814-password-changed-7013.toml")),
    ("q317218-protected-storage.toml", include_str!("../../rules/q317218-protected-storage.toml")),
    ("q319127-server-hung-spooler.toml", include_str!("../../rules/q319127-server-hung-spooler.toml")),
    ("service-crash-no-recovery.toml", include_str!("../../rules/service-crash-no-recovery.toml")),
    ("service-crash-recovery.toml", include_str!("../../rules/service-crash-recovery.toml")),
    ("service-dependency-failed.toml", include_str!("../../rules/service-dependency-failed.toml")),
    ("service-dependency-missing.toml", include_str!("../../rules/service-dependency-missing.toml")),
    ("service-image-not-found.toml", include_str!("../../rules/service-image-not-found.toml")),
    ("service-module-not-found.toml", include_str!("../../rules/service-module-not-found.toml")),
    ("service-recovery-failed.toml", include_str!("../../rules/service-recovery-failed.toml")),
    ("service-not-a-service-program.toml", include_str!("../../rules/service-not-a-service-program.toml")),
    ("service-start-failed.toml", include_str!("../../rules/service-start-failed.toml")),
    // Security patterns and documented by-design behaviour (issue 17).
    ("remote-execution-service.toml", include_str!("../../rules/remote-execution-service.toml")),
    ("suspicious-service-install.toml", include_str!("../../rules/suspicious-service-install.toml")),
    ("remote-execution-random-name.toml", include_str!("../../rules/remote-execution-random-name.toml")),
    ("eventlog-service-stopped.toml", include_str!("../../rules/eventlog-service-stopped.toml")),
    ("eventlog-cleared.toml", include_str!("../../rules/eventlog-cleared.toml")),
    ("kb4022522-dcom-10016.toml", include_str!("../../rules/kb4022522-dcom-10016.toml")),
    ("dcom-10016-local-activation.toml", include_str!("../../rules/dcom-10016-local-activation.toml")),
];

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
