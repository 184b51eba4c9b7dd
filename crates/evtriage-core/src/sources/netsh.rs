//! `netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp` and
//! `netsh int ipv4|ipv6 show dynamicport tcp|udp` output: the port ranges no
//! program may bind unless it reserved them, and the range handed out as
//! ephemeral ports. Several captures may follow each other in one file.
//!
//! ```text
//! Protocol tcp Port Exclusion Ranges
//!
//! Start Port    End Port
//! ----------    --------
//!       5357        5357
//!      50000       50059     *
//!
//! * - Administered port exclusions.
//!
//! Protocol tcp Dynamic Port Range
//! ---------------------------------
//! Start Port      : 49152
//! Number of Ports : 16384
//! ```
//!
//! Each range becomes a [`PortRange`]; `*` marks one an administrator added.
//! The titles are English; a capture whose title evtriage cannot read gives
//! no record (the protocol would be a guess) and says so.

use crate::model::{Locator, Origin, PortRange, PortRangeKind, Protocol, Record};

use super::Ctx;

/// `Protocol tcp Port Exclusion Ranges` / `Protocol udp Dynamic Port Range`.
fn title(line: &str) -> Option<(Protocol, PortRangeKind)> {
    let t = line.trim();
    let rest = t.strip_prefix("Protocol ")?;
    let (proto, what) = rest.split_once(' ')?;
    let protocol = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        _ => return None,
    };
    let what = what.trim().to_ascii_lowercase();
    if what.starts_with("port exclusion range") {
        Some((protocol, PortRangeKind::Excluded))
    } else if what.starts_with("dynamic port range") {
        Some((protocol, PortRangeKind::Dynamic))
    } else {
        None
    }
}

/// Whether the (non-blank) lines are netsh's port-range output.
pub fn looks_like(lines: &[&str]) -> bool {
    lines.iter().take(20).any(|l| title(l).is_some())
}

/// `Label : value` with a number value.
fn number_after(line: &str, label: &str) -> Option<u32> {
    let (l, v) = line.split_once(':')?;
    l.trim().eq_ignore_ascii_case(label).then(|| v.trim().parse().ok()).flatten()
}

/// Reads a netsh capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    let mut current: Option<(Protocol, PortRangeKind)> = None;
    let mut dynamic_start: Option<(u32, u64)> = None;
    let mut found_title = false;
    for (line_no, line) in crate::text::numbered_lines(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('-') || t.starts_with("* -") {
            continue;
        }
        if let Some(tt) = title(t) {
            current = Some(tt);
            dynamic_start = None;
            found_title = true;
            continue;
        }
        let Some((protocol, kind)) = current else {
            continue; // a prompt or the command line before the first title
        };
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line: line_no });
        match kind {
            PortRangeKind::Dynamic => {
                if let Some(start) = number_after(t, "Start Port") {
                    dynamic_start = Some((start, line_no));
                } else if let Some(n) = number_after(t, "Number of Ports") {
                    let Some((start, at)) = dynamic_start.take() else {
                        ctx.skip_line(line_no, "number of ports without a start port; skipped");
                        continue;
                    };
                    let end = start.checked_add(n).and_then(|e| e.checked_sub(1));
                    match (u16::try_from(start), end.and_then(|e| u16::try_from(e).ok())) {
                        (Ok(s), Some(e)) if n > 0 && s <= e => ctx.record(Record::PortRange(PortRange {
                            protocol,
                            range: kind,
                            start: s,
                            end: e,
                            administered: false,
                            origin: Origin::new(ctx.name.clone(), Locator::Line { line: at }),
                        })),
                        _ => ctx.skip_line(line_no, format!("dynamic range {start}+{n} is not a port range; skipped")),
                    }
                }
            }
            PortRangeKind::Excluded => {
                let words: Vec<&str> = t.split_whitespace().collect();
                match words.as_slice() {
                    [a, b, rest @ ..] if a.bytes().all(|c| c.is_ascii_digit()) => {
                        let (Ok(start), Ok(end)) = (a.parse::<u16>(), b.parse::<u16>()) else {
                            ctx.skip_line(line_no, "excluded range with a port out of range; skipped");
                            continue;
                        };
                        if start > end {
                            ctx.skip_line(
                                line_no,
                                format!("excluded range {start}-{end} ends before it starts; skipped"),
                            );
                            continue;
                        }
                        ctx.record(Record::PortRange(PortRange {
                            protocol,
                            range: kind,
                            start,
                            end,
                            administered: rest.first() == Some(&"*"),
                            origin,
                        }));
                    }
                    // The column header (`Start Port    End Port`).
                    _ if t.to_ascii_lowercase().starts_with("start port") => {}
                    _ => ctx.skip_line(line_no, "not a port range row; skipped"),
                }
            }
        }
    }
    if !found_title {
        ctx.note("no `Protocol tcp|udp Port Exclusion Ranges` or `Dynamic Port Range` title found; nothing read");
    }
}
