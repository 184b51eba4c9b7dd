//! Snapshot checks: sockets, processes and registry values (which carry no
//! time) that speak for the anchor's machine and moment — a port held by
//! another process, a process holding most outgoing ports, a registry value.

use std::collections::BTreeMap;

use chrono::Duration;
use evtriage_core::boot::{computer_key, SLACK_MS};
use evtriage_core::{Protocol, SocketEntry};

use super::{Anchor, CheckOutcome, Evaluation};
use crate::engine::evidence::{basename, join_or, process_evidence, reg_text, socket_evidence};
use crate::engine::ingest::key_matches;
use crate::finding::{Confidence, Evidence, Role};

/// Without boot markers, a snapshot speaks for failures within this many
/// hours of the last event of the computer (see `Evaluation::near_capture`).
const SNAPSHOT_WINDOW_H: i64 = 24;

impl Evaluation<'_> {
    /// Whether a socket or process snapshot (which carries no time) can speak
    /// for the moment of the anchor: the anchor lies in the last boot session
    /// the logs show for its computer (PIDs and the sockets they hold belong
    /// to one session; a capture is taken after the logs' last events), or,
    /// with no boot marker, within [`SNAPSHOT_WINDOW_H`] hours of the last
    /// event of that computer. Returns the sentence that says so, or `None`
    /// when the snapshot is about a later session than the anchor.
    pub(super) fn near_capture(&self, anchor: &Anchor<'_>) -> Option<String> {
        let Some(t) = anchor.time() else { return Some(String::new()) };
        let computer = anchor.computer();
        let key = computer_key(computer);
        if let Some(last) = self.boots.of(computer).last().map(|b| b.start) {
            return (t + Duration::milliseconds(SLACK_MS) >= last).then(|| {
                format!(
                    "The failure lies in the last boot session the logs show (started {}), the one a capture taken \
                     with the logs describes.",
                    last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            });
        }
        let latest = self.intake.latest.get(&key).or_else(|| match self.intake.latest.len() {
            1 => self.intake.latest.values().next(),
            _ => None,
        });
        match latest {
            Some(l) if *l - t > Duration::hours(SNAPSHOT_WINDOW_H) => None,
            Some(l) => Some(format!(
                "The logs show no boot; the failure lies within {SNAPSHOT_WINDOW_H} hours of their last event ({}), \
                 as near the capture as can be told.",
                l.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            None => Some(String::new()),
        }
    }

    /// The process holding the most outgoing TCP ports (non-listening sockets
    /// with a local port above 1024) in the snapshots that apply, when it holds
    /// at least `min_ports`. Sockets without an owner (PID 0, `TIME_WAIT`) count
    /// towards the total only.
    pub(super) fn check_port_hog(&self, min_ports: usize, anchor: &Anchor<'_>) -> Option<CheckOutcome> {
        let when = self.near_capture(anchor)?;
        let mut per_pid: BTreeMap<u32, (usize, Option<&SocketEntry>)> = BTreeMap::new();
        let mut total = 0usize;
        // Outgoing sockets come grouped by capture and owner (see `ingest::Outgoing`).
        for g in &self.intake.outgoing {
            if !self.snapshot_applies(anchor, &g.sample.origin) {
                continue;
            }
            total += g.count;
            if let Some(pid) = g.owner {
                let slot = per_pid.entry(pid).or_insert((0, None));
                slot.0 += g.count;
                slot.1.get_or_insert(&g.sample);
            }
        }
        // Most sockets first; ties go to the lower PID (deterministic).
        let (pid, (count, sample)) = per_pid.into_iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(&a.0)))?;
        if count < min_ports {
            return None;
        }
        let process = self
            .processes
            .get(&pid)
            .and_then(|list| list.iter().find(|p| self.snapshot_applies(anchor, &p.origin)))
            .copied();
        let image = sample.and_then(|s| s.image.clone()).or_else(|| process.map(|p| p.image.clone()));
        let holder = match &image {
            Some(i) => format!("{} (PID {pid})", basename(i)),
            None => format!("PID {pid}"),
        };
        let share = (count * 100).checked_div(total).unwrap_or(0);
        let mut evidence = Vec::new();
        if let Some(s) = sample {
            evidence.push(Evidence::new(
                &s.origin,
                None,
                format!("{count} of {total} outgoing TCP sockets ({share}%) belong to {holder}"),
                Role::Corroboration,
            ));
        }
        if let Some(p) = process {
            evidence.push(process_evidence(p));
        }
        let services = process.map(|p| join_or(&p.services, "no services")).unwrap_or_else(|| "unknown".into());
        Some(CheckOutcome::new(
            evidence,
            vec![
                ("holder".into(), holder),
                ("holder_image".into(), image.as_deref().map(basename).unwrap_or("unknown").to_string()),
                ("holder_pid".into(), pid.to_string()),
                ("holder_services".into(), services),
                ("port_count".into(), count.to_string()),
                ("socket_total".into(), total.to_string()),
                ("port_share".into(), share.to_string()),
            ],
        ))
        .map(|mut h| {
            h.note = Some(when);
            h
        })
    }

    pub(super) fn check_port(
        &self,
        explicit: &[(Protocol, u16)],
        images: &[String],
        anchor: &Anchor<'_>,
    ) -> Option<CheckOutcome> {
        // A capture days after the failure, in another boot session, says nothing about it.
        let when = self.near_capture(anchor)?;
        let service = anchor.service();
        let ports: Vec<(Protocol, u16, String)> = if explicit.is_empty() {
            let info = service.and_then(|s| self.table.get(&s.key))?;
            info.ports.iter().map(|p| (p.protocol, p.port, p.application.clone())).collect()
        } else {
            explicit.iter().map(|(p, n)| (*p, *n, String::new())).collect()
        };
        for s in &self.intake.sockets {
            if !s.is_listening() || !self.snapshot_applies(anchor, &s.origin) {
                continue;
            }
            let Some((proto, port, app)) = ports.iter().find(|(p, n, _)| *p == s.protocol && *n == s.local_port) else {
                continue;
            };
            let process = s
                .pid
                .and_then(|pid| self.processes.get(&pid))
                .and_then(|list| list.iter().find(|p| self.snapshot_applies(anchor, &p.origin)))
                .copied();
            let image = s.image.clone().or_else(|| process.map(|p| p.image.clone()));
            // PID 4 (System) holds HTTP.sys and SMB ports on behalf of many services.
            if s.pid == Some(4) || image.as_deref().is_some_and(|i| i.eq_ignore_ascii_case("System")) {
                continue;
            }
            let hosted: Vec<&String> =
                s.services.iter().chain(process.iter().flat_map(|p| p.services.iter())).collect();
            // Without `netstat -b` or `tasklist /svc` the holder could be the service itself:
            // in a shared host (svchost.exe), or restarted after a crash (7031/7034).
            let crashed = matches!(anchor, Anchor::Event { event, .. } if matches!(event.event_id, 7031 | 7034));
            let uncertain = hosted.is_empty()
                && match image.as_deref() {
                    Some(i) => basename(i).eq_ignore_ascii_case("svchost.exe"),
                    None => crashed,
                };
            if let Some(svc) = service {
                let own = hosted.iter().any(|h| {
                    h.eq_ignore_ascii_case(&svc.key)
                        || svc.display.as_deref().is_some_and(|d| h.eq_ignore_ascii_case(d))
                });
                if own {
                    continue;
                }
            }
            if !images.is_empty()
                && !image.as_deref().is_some_and(|i| images.iter().any(|w| basename(i).eq_ignore_ascii_case(w)))
            {
                continue;
            }
            let holder = match (&image, s.pid) {
                (Some(i), Some(pid)) => format!("{} (PID {pid})", basename(i)),
                (Some(i), None) => basename(i).to_string(),
                (None, Some(pid)) => format!("PID {pid}"),
                (None, None) => "another process".to_string(),
            };
            let mut evidence = vec![socket_evidence(s)];
            if let Some(p) = process {
                evidence.push(process_evidence(p));
            }
            let mut bindings = vec![
                ("port".to_string(), port.to_string()),
                ("protocol".to_string(), proto.to_string()),
                ("holder".to_string(), holder),
                ("holder_image".to_string(), image.as_deref().map(basename).unwrap_or("unknown").to_string()),
                ("holder_pid".to_string(), s.pid.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into())),
            ];
            if !app.is_empty() {
                bindings.push(("port_use".to_string(), app.clone()));
            }
            let mut held = CheckOutcome::new(evidence, bindings);
            held.note = Some(when.clone());
            if uncertain {
                held.cap = Some(Confidence::Likely);
            }
            return Some(held);
        }
        None
    }

    pub(super) fn check_registry(
        &self,
        key: &[String],
        value: &str,
        equals: Option<&str>,
        absent: bool,
        bind: Option<&str>,
        anchor: &Anchor<'_>,
    ) -> Option<CheckOutcome> {
        let service = anchor.service().map(|s| s.key.as_str());
        let mut key_seen = false;
        for v in &self.intake.registry {
            if !self.snapshot_applies(anchor, &v.origin) {
                continue;
            }
            let segs: Vec<&str> = v.key.split('\\').filter(|s| !s.is_empty()).collect();
            if !key_matches(&segs, key, service) {
                continue;
            }
            key_seen = true;
            if !v.name.eq_ignore_ascii_case(value) {
                continue;
            }
            if absent {
                return None;
            }
            let text = reg_text(&v.data);
            if equals.is_some_and(|want| !text.trim().eq_ignore_ascii_case(want.trim())) {
                return None;
            }
            let summary = format!("{}\\{} = {}", v.key, v.name, text);
            let mut bindings = vec![("value".to_string(), text.clone())];
            if let Some(b) = bind {
                bindings.push((b.to_string(), text));
            }
            return Some(CheckOutcome::new(vec![Evidence::new(&v.origin, None, summary, Role::Context)], bindings));
        }
        (absent && key_seen).then(|| CheckOutcome::new(Vec::new(), Vec::new()))
    }
}
