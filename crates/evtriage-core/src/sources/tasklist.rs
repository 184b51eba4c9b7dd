//! `tasklist /svc` (and plain `tasklist`) output: processes and the services they host.
//!
//! ```text
//! Image Name                     PID Services
//! ========================= ======== ============================================
//! System Idle Process              0 N/A
//! svchost.exe                    712 BrokerInfrastructure, DcomLaunch, LSM,
//!                                    PlugPlay, Power, SystemEventsBroker
//! ```
//!
//! Column spans are taken from the `=====` rule line, so image names with
//! spaces and localized headers work. A line whose image and PID columns are
//! blank continues the previous process's service list (tasklist wraps long
//! lists). `N/A` (or its localized form, see [`crate::console`]) means no service. Without `/svc` (five columns: image, PID,
//! session name, session#, memory) the processes are read without services.
//! `tasklist /svc /fo csv` (`"Image Name","PID","Services"`) is read too.

use crate::model::{Locator, Origin, ProcessEntry, Record};

use super::Ctx;

fn services_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("N/A") && !crate::console::is_tasklist_na(s))
        .map(str::to_string)
        .collect()
}

/// The text of `line` in character columns `from..to` (`to` = end of line when `None`).
fn cols(line: &str, from: usize, to: Option<usize>) -> String {
    let it = line.chars().skip(from);
    match to {
        Some(to) => it.take(to.saturating_sub(from)).collect(),
        None => it.collect(),
    }
}

/// The header of a tasklist capture, line ends included: the lines up to
/// and including the `=====` rule (the rule gives the columns), or a CSV
/// capture's first line; for the pieces of a large capture after the first.
pub(crate) fn header_of(text: &str) -> Option<String> {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        let t = line.trim_end();
        if t.trim_start().starts_with('"') && out.len() == line.len() {
            return Some(out); // a CSV header
        }
        if t.starts_with('=') && t.chars().all(|c| c == '=' || c == ' ') {
            return Some(out);
        }
        if out.len() > 64 * 1024 {
            return None;
        }
    }
    None
}

/// Reads a tasklist capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('"') {
        read_csv(text, ctx);
        return;
    }
    // Column spans from the rule line.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<ProcessEntry> = None;
    // Set after a row without PID, so that its wrapped service lines are not
    // given to another process.
    let mut orphan = false;
    let with_services = |spans: &Vec<(usize, usize)>| spans.len() == 3;
    for (line_no, line) in crate::text::numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let t = line.trim_end();
        if t.starts_with('=') && t.chars().all(|c| c == '=' || c == ' ') {
            spans.clear();
            let mut start = None;
            for (i, c) in t.chars().chain(std::iter::once(' ')).enumerate() {
                match (c, start) {
                    ('=', None) => start = Some(i),
                    (' ', Some(s)) => {
                        spans.push((s, i));
                        start = None;
                    }
                    _ => {}
                }
            }
            continue;
        }
        let (Some(&(i0, _)), Some(&(p0, p1))) = (spans.first(), spans.get(1)) else {
            continue; // header lines before the rule
        };
        let image = cols(line, i0, Some(p0)).trim().to_string();
        let pid_text = cols(line, p0, Some(p1)).trim().to_string();
        let rest_start = spans.get(2).map_or(p1, |s| s.0);
        let rest = cols(line, rest_start, None);
        if image.is_empty() && pid_text.is_empty() {
            match pending.as_mut() {
                Some(p) if with_services(&spans) => p.services.extend(services_of(&rest)),
                // The rest of a skipped process's service list.
                None if orphan => {}
                _ => ctx.skip_line(line_no, "continuation line without a process; skipped"),
            }
            continue;
        }
        let Ok(pid) = pid_text.parse::<u32>() else {
            if let Some(p) = pending.take() {
                ctx.record(Record::Process(p));
            }
            orphan = true;
            ctx.skip_line(line_no, format!("no PID in the PID column (`{pid_text}`); skipped"));
            continue;
        };
        orphan = false;
        if let Some(p) = pending.take() {
            ctx.record(Record::Process(p));
        }
        pending = Some(ProcessEntry {
            pid,
            image,
            services: if with_services(&spans) { services_of(&rest) } else { Vec::new() },
            origin: Origin::new(ctx.name.clone(), Locator::Line { line: line_no }),
        });
    }
    if let Some(p) = pending.take() {
        ctx.record(Record::Process(p));
    }
}

fn read_csv(text: &str, ctx: &mut Ctx<'_>) {
    let mut rows = super::csv_records(text).into_iter();
    let Some((_, header)) = rows.next() else { return };
    // `/svc /fo csv` has three columns (image, PID, services), whatever the
    // header's language; `/fo csv` without `/svc` has five.
    let svc_col = header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("Services"))
        .or_else(|| (header.len() == 3).then_some(2));
    for (line, row) in rows {
        let image = row.first().map(|s| s.trim().to_string()).unwrap_or_default();
        let Some(pid) = row.get(1).and_then(|p| p.trim().parse::<u32>().ok()) else {
            ctx.skip_line(line, "tasklist CSV row without a PID; skipped");
            continue;
        };
        let services = svc_col.and_then(|c| row.get(c)).map(|s| services_of(s)).unwrap_or_default();
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line });
        ctx.record(Record::Process(ProcessEntry { pid, image, services, origin }));
    }
}
