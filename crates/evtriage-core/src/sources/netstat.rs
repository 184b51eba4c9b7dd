//! `netstat -an`, `-ano`, `-anob` and `-b` output: the socket table.
//!
//! Layout (English; titles and states may be localized, the row shape is not):
//!
//! ```text
//! Active Connections
//!
//!   Proto  Local Address          Foreign Address        State           PID
//!   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       832
//!   RpcSs
//!  [svchost.exe]
//!   TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4
//!  Can not obtain ownership information
//!   UDP    [fe80::1%6]:1900       *:*                                    2244
//! ```
//!
//! Each `TCP`/`UDP` row becomes a [`SocketEntry`]. With `-b`, the lines after
//! a row name the owning service (`  RpcSs`, zero or more) and the image
//! (` [svchost.exe]`), or say ownership could not be obtained. The PID column
//! is present with `-o`; UDP rows have an empty state. Addresses are
//! `a.b.c.d:port`, `[ipv6]:port` (scope ids such as `%6` kept), `*:*`, or
//! resolved names without `-n` (`host:https`): a remote service name leaves
//! `remote_port` empty, a local one is mapped for well-known names and
//! otherwise reported.

use crate::model::{Locator, Origin, Protocol, SocketEntry};

use super::Ctx;

/// Well-known service names netstat prints instead of port numbers without `-n`.
const SERVICE_PORTS: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("smtp", 25),
    ("domain", 53),
    ("http", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("epmap", 135),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("kpasswd", 464),
    ("isakmp", 500),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("ms-sql-s", 1433),
    ("radius", 1812),
    ("radius-acct", 1813),
    ("ssdp", 1900),
    ("msft-gc", 3268),
    ("msft-gc-ssl", 3269),
    ("ms-wbt-server", 3389),
    ("ipsec-msft", 4500),
    ("llmnr", 5355),
    ("wsd", 5357),
    ("wsman", 5985),
];

/// A port as netstat prints it: a number, or a well-known service name.
pub fn port_number(text: &str) -> Option<u16> {
    text.parse().ok().or_else(|| SERVICE_PORTS.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)).map(|(_, p)| *p))
}

/// Splits `addr:port`, `[v6]:port` or `*:*` into address (without brackets) and port text.
pub fn split_endpoint(text: &str) -> Option<(String, Option<&str>, bool)> {
    if let Some(rest) = text.strip_prefix('[') {
        let close = rest.find(']')?;
        let addr = rest.get(..close)?;
        let port = rest.get(close + 1..).and_then(|p| p.strip_prefix(':'));
        return Some((addr.to_string(), port, true));
    }
    match text.rsplit_once(':') {
        Some((addr, port)) if !addr.contains(':') => Some((addr.to_string(), Some(port), false)),
        // A bare IPv6 address (tcpvcon): no port.
        Some(_) => Some((text.to_string(), None, true)),
        None => Some((text.to_string(), None, false)),
    }
}

struct Row {
    entry: SocketEntry,
    /// Whether an `[exe]` or ownership line closed the `-b` block.
    closed: bool,
}

/// Parses one `TCP`/`UDP` row; `Err` says why a row-looking line is unreadable.
fn parse_row(line: &str, origin: Origin) -> Result<Option<SocketEntry>, String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Some(proto) = tokens.first() else { return Ok(None) };
    let protocol = if proto.eq_ignore_ascii_case("TCP") {
        Protocol::Tcp
    } else if proto.eq_ignore_ascii_case("UDP") {
        Protocol::Udp
    } else {
        return Ok(None);
    };
    let (Some(local), Some(remote)) = (tokens.get(1), tokens.get(2)) else {
        return Err("socket row with fewer than three columns".to_string());
    };
    let (local_address, local_port_text, v6) = split_endpoint(local).ok_or("unreadable local address")?;
    let local_port = match local_port_text {
        Some("*") => 0,
        Some(p) => port_number(p).ok_or_else(|| format!("unknown local port `{p}`"))?,
        None => return Err(format!("local address `{local}` has no port")),
    };
    let (remote_address, remote_port_text, remote_v6) = split_endpoint(remote).ok_or("unreadable remote address")?;
    let remote_port = remote_port_text.and_then(|p| p.parse::<u16>().ok());
    let rest = tokens.get(3..).unwrap_or(&[]);
    let (state_tokens, pid) = match rest.split_last() {
        Some((last, before)) if last.bytes().all(|b| b.is_ascii_digit()) => {
            (before, Some(last.parse::<u32>().map_err(|_| format!("PID `{last}` out of range"))?))
        }
        _ => (rest, None),
    };
    let printed = (!state_tokens.is_empty()).then(|| state_tokens.join(" "));
    // A localized state (`ABHÖREN`) is kept by its English name, with the original.
    let (state, state_localized) = match printed {
        Some(p) => match crate::console::tcp_state(&p) {
            Some(en) if en != p => (Some(en.to_string()), Some(p)),
            _ => (Some(p), None),
        },
        None => (None, None),
    };
    Ok(Some(SocketEntry {
        protocol,
        ipv6: v6 || remote_v6,
        local_address,
        local_port,
        remote_address: Some(remote_address),
        remote_port,
        state,
        state_localized,
        pid,
        image: None,
        services: Vec::new(),
        origin,
    }))
}

/// Reads a netstat capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    read_from(text, false, ctx)
}

/// Reads a netstat capture, or a piece of one after its header (`past_header`:
/// lines that are no row are then reported, as after a header).
pub(crate) fn read_from(text: &str, past_header: bool, ctx: &mut Ctx<'_>) {
    let mut pending: Option<Row> = None;
    let mut seen_header = past_header;
    // Set after an unreadable row: its continuation lines are passed over quietly.
    let mut orphan = false;
    for (line_no, line) in crate::text::numbered_lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line: line_no });
        match parse_row(line, origin) {
            Ok(Some(entry)) => {
                if let Some(done) = pending.take() {
                    ctx.record(crate::model::Record::Socket(done.entry));
                }
                pending = Some(Row { entry, closed: false });
                orphan = false;
                continue;
            }
            Err(reason) => {
                // The `-b` lines after an unreadable row belong to it, not to the row before.
                if let Some(done) = pending.take() {
                    ctx.record(crate::model::Record::Socket(done.entry));
                }
                orphan = true;
                ctx.skip_line(line_no, format!("{reason}; row skipped"));
                continue;
            }
            Ok(None) => {}
        }
        // Not a row: a title, the header, or a `-b` continuation line.
        if trimmed.starts_with("Proto ") || trimmed.starts_with("Proto\t") || crate::console::is_netstat_header(trimmed)
        {
            seen_header = true;
            continue;
        }
        if orphan
            && (trimmed.starts_with('[') || !trimmed.contains(char::is_whitespace) || trimmed.contains("ownership"))
        {
            continue;
        }
        match pending.as_mut() {
            Some(row) if !row.closed => {
                if let Some(image) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                    row.entry.image = Some(image.to_string());
                    row.closed = true;
                } else if trimmed.eq_ignore_ascii_case("Can not obtain ownership information")
                    || trimmed.to_ascii_lowercase().contains("ownership information")
                {
                    row.closed = true;
                } else if !trimmed.contains(char::is_whitespace) {
                    row.entry.services.push(trimmed.to_string());
                } else {
                    ctx.skip_line(line_no, "unexpected line after a socket row; skipped");
                }
            }
            _ if !seen_header => {} // title lines ("Active Connections", localized)
            _ => ctx.skip_line(line_no, "not a netstat row; skipped"),
        }
    }
    if let Some(done) = pending.take() {
        ctx.record(crate::model::Record::Socket(done.entry));
    }
}
