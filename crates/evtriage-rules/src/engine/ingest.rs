//! Ingestion: what the engine keeps of the records it is given (the
//! [`Sink`](evtriage_core::Sink) side of the [`Engine`](super::Engine)).
//!
//! Events that some rule's anchor or record check can use, and boot
//! markers, go to the [`EventStore`]; service names are learned from SCM
//! events, processes and registry `DisplayName`s; sockets, processes, the
//! registry values some rule looks at and (when a rule reads them)
//! command-output blocks are kept as they come; and per computer the
//! latest time seen, which tells how near the end of the logs an anchor is.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use evtriage_core::boot::{computer_key, is_boot_marker};
use evtriage_core::{
    CommandOutput, ComputerInfo, Diagnostic, Event, InstalledUpdate, PortRange, ProcessEntry, Record, RegData,
    RegistryValue, SocketEntry,
};

use crate::filter::MatcherIndex;
use crate::rule::{Condition, Matcher, RuleSet};
use crate::services::{is_scm, Learned};
use crate::store::EventStore;

/// What the engine takes in from the records it is given and keeps for
/// evaluation; see the [module docs](self).
#[derive(Debug)]
pub(super) struct Intake {
    /// The rules' event matchers by event id, for [`Intake::event`].
    index: MatcherIndex,
    /// Candidate events and boot markers, compactly (see [`crate::store`]),
    /// de-duplicated by [`Identity`](crate::identity::Identity) so that one
    /// log given twice (`System.evtx` and its XML export) yields its
    /// evidence once.
    pub(super) store: EventStore,
    pub(super) learned: Learned,
    /// Listening sockets (TCP `LISTENING`, UDP), as captured: `port_held` reads them.
    pub(super) sockets: Vec<SocketEntry>,
    /// Outgoing TCP sockets with a local port above 1024, counted by capture
    /// and owner with the first of each kept (all `port_hog` reads; a capture
    /// of a million connections is not held row by row).
    pub(super) outgoing: Vec<Outgoing>,
    outgoing_index: HashMap<(std::sync::Arc<str>, Option<u32>), usize>,
    pub(super) processes: Vec<ProcessEntry>,
    pub(super) registry: Vec<RegistryValue>,
    pub(super) commands: Vec<CommandOutput>,
    /// Installed updates (systeminfo, Get-HotFix, wmic qfe).
    pub(super) updates: Vec<InstalledUpdate>,
    /// What systeminfo / Get-ComputerInfo say of computers.
    pub(super) computer_info: Vec<ComputerInfo>,
    /// Excluded and dynamic port ranges (netsh).
    pub(super) port_ranges: Vec<PortRange>,
    pub(super) computers: BTreeSet<String>,
    /// The computer name of the last event, already in `computers` (a log
    /// names one machine again and again).
    last_computer: String,
    registry_patterns: Vec<Vec<String>>,
    has_command_rules: bool,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) seen: usize,
    /// Stale (recovered) records given and set aside.
    stale: usize,
    /// Per computer (lowercase; "" = no name), the latest time of an event
    /// given: without boot markers, how near the end of the logs (and so a
    /// capture taken with them) an anchor is.
    pub(super) latest: HashMap<String, DateTime<Utc>>,
    /// The computer name of the last event seen for `latest`, and the latest
    /// time seen for it since it came (not yet in `latest`).
    latest_name: String,
    latest_time: Option<DateTime<Utc>>,
}

impl Intake {
    /// An intake keeping what `rules` can use.
    pub(super) fn new(rules: &RuleSet) -> Self {
        let mut registry_patterns: Vec<Vec<String>> = vec![vec!["Services".into(), "*".into()]];
        let mut has_command_rules = false;
        for r in rules.rules() {
            has_command_rules |= r.matchers().any(Matcher::is_command);
            for c in r.checks() {
                if let Condition::Registry { key, .. } = &c.condition {
                    registry_patterns.push(key.clone());
                }
            }
        }
        Intake {
            index: MatcherIndex::new(rules.rules()),
            store: EventStore::default(),
            learned: Learned::default(),
            sockets: Vec::new(),
            outgoing: Vec::new(),
            outgoing_index: HashMap::new(),
            processes: Vec::new(),
            registry: Vec::new(),
            commands: Vec::new(),
            updates: Vec::new(),
            computer_info: Vec::new(),
            port_ranges: Vec::new(),
            computers: BTreeSet::new(),
            last_computer: String::new(),
            registry_patterns,
            has_command_rules,
            diagnostics: Vec::new(),
            seen: 0,
            stale: 0,
            latest: HashMap::new(),
            latest_name: String::new(),
            latest_time: None,
        }
    }

    /// Takes in one record.
    pub(super) fn record(&mut self, record: Record) {
        self.seen += 1;
        match record {
            // A stale record carved from slack space (possibly of another log
            // or computer, months older) never anchors or corroborates a finding.
            Record::Event(e) if e.recovered => self.stale += 1,
            Record::Event(e) => self.event(*e),
            Record::Socket(s) => self.socket(s),
            Record::Process(p) => {
                for s in &p.services {
                    self.learned.add(s, "");
                }
                self.processes.push(p)
            }
            Record::Registry(v) => self.registry_value(v),
            Record::Command(c) => {
                if self.has_command_rules {
                    self.commands.push(c)
                }
            }
            Record::Update(u) => self.updates.push(u),
            Record::Computer(c) => self.computer_info.push(c),
            Record::PortRange(r) => self.port_ranges.push(r),
        }
    }

    /// Takes in a socket: kept when listening, counted into its group when
    /// outgoing above port 1024; other sockets no rule reads.
    fn socket(&mut self, s: SocketEntry) {
        if s.is_listening() {
            self.sockets.push(s);
            return;
        }
        if s.protocol != evtriage_core::Protocol::Tcp || s.local_port <= 1024 {
            return;
        }
        // PID 0 and TIME_WAIT sockets have no owner: they count towards the total only.
        let timewait = s.state.as_deref().is_some_and(|st| st.eq_ignore_ascii_case("TIME_WAIT"));
        let owner = s.pid.filter(|pid| *pid != 0 && !timewait);
        let key = (s.origin.source.clone(), owner);
        match self.outgoing_index.get(&key) {
            Some(&i) => {
                if let Some(g) = self.outgoing.get_mut(i) {
                    g.count += 1;
                }
            }
            None => {
                self.outgoing_index.insert(key, self.outgoing.len());
                self.outgoing.push(Outgoing { owner, count: 1, sample: s });
            }
        }
    }

    /// Files the latest time of the current computer into `latest`: once
    /// more when the input has ended.
    pub(super) fn file_latest(&mut self) {
        if let Some(t) = self.latest_time.take() {
            let slot = self.latest.entry(computer_key(Some(&self.latest_name))).or_insert(t);
            *slot = (*slot).max(t);
        }
    }

    /// How many records are kept for evaluation.
    pub(super) fn kept(&self) -> usize {
        self.store.len()
            + self.sockets.len()
            + self.outgoing.len()
            + self.processes.len()
            + self.registry.len()
            + self.commands.len()
            + self.updates.len()
            + self.computer_info.len()
            + self.port_ranges.len()
    }

    /// Takes in an event: learns from it, keeps it when some rule can use it
    /// or it marks a boot.
    fn event(&mut self, e: Event) {
        if let Some(c) = e.computer.as_deref().filter(|c| !c.trim().is_empty() && *c != self.last_computer) {
            self.last_computer.clear();
            self.last_computer.push_str(c);
            if !self.computers.iter().any(|x| x.eq_ignore_ascii_case(c.trim())) {
                self.computers.insert(c.trim().to_string());
            }
        }
        if is_scm(&e) {
            self.learned.learn_from_event(&e);
        }
        if let Some(t) = e.time {
            // A log names one computer again and again: its latest time is
            // kept aside and filed under its key when another computer comes.
            let name = e.computer.as_deref().unwrap_or("");
            if name != self.latest_name {
                self.file_latest();
                self.latest_name.clear();
                self.latest_name.push_str(name);
            }
            self.latest_time = Some(self.latest_time.map_or(t, |l| l.max(t)));
        }
        let boot = is_boot_marker(&e);
        let wanted = boot || self.index.matches_event(&e);
        if !wanted {
            return;
        }
        self.store.push(e, boot);
    }

    /// Takes in a registry value: learns a service's display name from it,
    /// keeps it when some rule looks at its key.
    fn registry_value(&mut self, v: RegistryValue) {
        let segs: Vec<&str> = v.key.split('\\').filter(|s| !s.is_empty()).collect();
        if v.name.eq_ignore_ascii_case("DisplayName") {
            if let (Some(key), Some(parent)) = (segs.last(), segs.len().checked_sub(2).and_then(|i| segs.get(i))) {
                if parent.eq_ignore_ascii_case("Services") {
                    if let RegData::Sz(d) | RegData::ExpandSz(d) = &v.data {
                        // `@%SystemRoot%\…dll,-123` names a resource, not a display name.
                        if !d.starts_with('@') {
                            self.learned.add(key, d);
                        }
                    }
                }
            }
        }
        if self.registry_patterns.iter().any(|p| key_matches(&segs, p, None)) {
            self.registry.push(v);
        }
    }
}

/// Outgoing TCP sockets of one capture and one owner (`None`: PID 0 or
/// `TIME_WAIT`), in the order first seen.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) owner: Option<u32>,
    pub(super) count: usize,
    /// The first of them: the evidence, and the capture it comes from.
    pub(super) sample: SocketEntry,
}

/// Whether a key path ends with `pattern` (segment by segment, ignoring case;
/// `*` is any one segment, `{service}` is `service` or, when `None`, any segment).
pub(super) fn key_matches(path: &[&str], pattern: &[String], service: Option<&str>) -> bool {
    if pattern.len() > path.len() {
        return false;
    }
    path.iter().rev().zip(pattern.iter().rev()).all(|(seg, pat)| {
        if pat == "*" {
            true
        } else if pat.eq_ignore_ascii_case("{service}") {
            service.is_none_or(|s| seg.eq_ignore_ascii_case(s))
        } else {
            seg.eq_ignore_ascii_case(pat)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_patterns_match_suffixes() {
        let path = ["HKEY_LOCAL_MACHINE", "SYSTEM", "ControlSet001", "Services", "IsmServ"];
        let pat = vec!["Services".to_string(), "{service}".to_string()];
        assert!(key_matches(&path, &pat, Some("ismserv")));
        assert!(!key_matches(&path, &pat, Some("Dns")));
        assert!(key_matches(&path, &pat, None));
        assert!(!key_matches(&path[..1], &pat, None));
    }
}
