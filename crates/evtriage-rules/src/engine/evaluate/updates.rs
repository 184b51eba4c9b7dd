//! Checks on what a computer has installed and reserves: installed updates
//! (systeminfo, Get-HotFix, wmic qfe) and port ranges (netsh).

use evtriage_core::boot::computer_key;
use evtriage_core::{InstalledUpdate, PortRangeKind, Protocol};

use super::{Anchor, CheckOutcome, Evaluation};
use crate::finding::{Evidence, Role};

impl Evaluation<'_> {
    /// Whether an installed-updates row speaks for the anchor's computer: it
    /// names that computer, or (naming none, or the anchor naming none) it
    /// comes from the anchor's case as other snapshots do.
    fn update_applies(&self, anchor: &Anchor<'_>, u: &InstalledUpdate) -> bool {
        match (u.computer.as_deref(), anchor.computer()) {
            (Some(c), Some(a)) if !c.trim().is_empty() => {
                // Get-HotFix cuts long names (`EC2AMAZ-5M...`): compare what is left.
                let (c, a) = (computer_key(Some(c)), computer_key(Some(a)));
                match c.strip_suffix("...") {
                    Some(prefix) => a.starts_with(prefix),
                    None => c == a,
                }
            }
            _ => self.snapshot_applies(anchor, &u.origin),
        }
    }

    /// `update`: with `installed`, holds when a list of the anchor's computer
    /// shows one of `kbs`; without, when such a list was captured and shows
    /// none of them (with no list, neither holds: nothing is known).
    pub(super) fn check_update(&self, kbs: &[String], installed: bool, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        let mut listed = 0usize;
        let mut first: Option<&InstalledUpdate> = None;
        for u in &self.intake.updates {
            if !self.update_applies(anchor, u) {
                continue;
            }
            listed += 1;
            first.get_or_insert(u);
            if let Some(kb) = kbs.iter().find(|k| k.eq_ignore_ascii_case(&u.kb)) {
                if !installed {
                    return None;
                }
                let mut summary = format!("{kb} installed");
                if let Some(d) = &u.description {
                    summary.push_str(&format!(" ({d})"));
                }
                if let Some(on) = &u.installed_on {
                    summary.push_str(&format!(" on {on}"));
                }
                if let Some(c) = &u.computer {
                    summary.push_str(&format!(" on computer {c}"));
                }
                // `KB953230 (installed 1/22/2019)`, or the KB alone when the list gives no date.
                let listed = match &u.installed_on {
                    Some(on) => format!("{kb} (installed {on})"),
                    None => kb.clone(),
                };
                let bindings = vec![("update".to_string(), kb.clone()), ("update_listed".to_string(), listed)];
                return Some(CheckOutcome::new(
                    vec![Evidence::new(&u.origin, None, summary, Role::Corroboration)],
                    bindings,
                ));
            }
        }
        if installed || listed == 0 {
            return None;
        }
        let first = first?;
        let summary = format!("the {listed} installed update(s) listed include none of {}", kbs.join(", "));
        Some(CheckOutcome::new(
            vec![Evidence::new(&first.origin, None, summary, Role::Context)],
            vec![("update".to_string(), kbs.join(" or ")), ("update_count".to_string(), listed.to_string())],
        ))
    }

    /// `port_range`: holds when a netsh capture of the anchor's case shows
    /// one of the ports inside a range of `range` (the service's own ports
    /// from the built-in table when `explicit` is empty).
    pub(super) fn check_port_range(
        &self,
        range: PortRangeKind,
        explicit: &[(Protocol, u16)],
        administered: Option<bool>,
        anchor: &Anchor<'_>,
    ) -> Option<CheckOutcome> {
        // Ranges are made at start (Hyper-V, WinNAT) or changed by an
        // administrator: a capture of a later boot says nothing of this one.
        let when = self.near_capture(anchor)?;
        let ports: Vec<(Protocol, u16)> = if explicit.is_empty() {
            let info = anchor.service().and_then(|s| self.table.get(&s.key))?;
            info.ports.iter().map(|p| (p.protocol, p.port)).collect()
        } else {
            explicit.to_vec()
        };
        for r in &self.intake.port_ranges {
            if r.range != range
                || administered.is_some_and(|a| a != r.administered)
                || !self.snapshot_applies(anchor, &r.origin)
            {
                continue;
            }
            let Some((proto, port)) = ports.iter().find(|(p, n)| *p == r.protocol && (r.start..=r.end).contains(n))
            else {
                continue;
            };
            let what = match (r.range, r.administered) {
                (PortRangeKind::Dynamic, _) => "the dynamic (ephemeral) port range",
                (PortRangeKind::Excluded, true) => "a port exclusion an administrator added",
                (PortRangeKind::Excluded, false) => "an excluded port range",
            };
            let summary = format!("{proto} {port} lies in {what} {}-{}", r.start, r.end);
            let mut outcome = CheckOutcome::new(
                vec![Evidence::new(&r.origin, None, summary, Role::Corroboration)],
                vec![
                    ("port".to_string(), port.to_string()),
                    ("protocol".to_string(), proto.to_string()),
                    ("range_start".to_string(), r.start.to_string()),
                    ("range_end".to_string(), r.end.to_string()),
                ],
            );
            outcome.note = Some(when);
            return Some(outcome);
        }
        None
    }
}
