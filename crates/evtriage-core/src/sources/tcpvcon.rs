//! Sysinternals `tcpvcon -a -c` CSV: one endpoint per line.
//!
//! Tcpvcon v4 writes no header and, observed in the field, no ports:
//! `TCP,lsass.exe,852,LISTENING,0.0.0.0,0.0.0.0`,
//! `UDP,dns.exe,1460,*,0.0.0.0,*`, `TCPV6,…,[0:0:0:0:0:0:0:0],…`. Other
//! versions write `local:port` and `remote:port` in those columns, or ports in
//! columns of their own (`proto,process,pid,state,local,lport,remote,rport`).
//! All three are read; a missing local port is 0 and a missing remote port
//! `None`. A `*` state (UDP) is no state. A header line, if any, is passed
//! over; other unreadable lines are reported.

use crate::model::{Locator, Origin, Protocol, Record, SocketEntry};

use super::netstat::split_endpoint;
use super::Ctx;

/// Reads a tcpvcon CSV capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    for (line, fields) in super::csv_records(text) {
        let f: Vec<&str> = fields.iter().map(|s| s.trim()).collect();
        let proto = f.first().copied().unwrap_or("").to_ascii_uppercase();
        let (protocol, v6) = match proto.as_str() {
            "TCP" => (Protocol::Tcp, false),
            "UDP" => (Protocol::Udp, false),
            "TCPV6" => (Protocol::Tcp, true),
            "UDPV6" => (Protocol::Udp, true),
            _ => {
                let header = f.iter().any(|x| x.eq_ignore_ascii_case("pid"));
                if !header {
                    ctx.skip_line(line, "not a tcpvcon row (protocol,process,pid,state,local,remote); skipped");
                }
                continue;
            }
        };
        let Some(pid) = f.get(2).and_then(|p| p.parse::<u32>().ok()) else {
            ctx.skip_line(line, "tcpvcon row without a numeric PID; skipped");
            continue;
        };
        let (local, local_port, remote, remote_port) = match f.len() {
            6 => {
                let (la, lp, lv6) = split_endpoint(f.get(4).copied().unwrap_or("")).unwrap_or_default();
                let (ra, rp, rv6) = split_endpoint(f.get(5).copied().unwrap_or("")).unwrap_or_default();
                let lp = lp.and_then(|p| p.parse::<u16>().ok());
                let rp = rp.and_then(|p| p.parse::<u16>().ok());
                ((la, lv6 || rv6), lp, ra, rp)
            }
            8 => {
                let (la, _, lv6) = split_endpoint(f.get(4).copied().unwrap_or("")).unwrap_or_default();
                let (ra, _, _) = split_endpoint(f.get(6).copied().unwrap_or("")).unwrap_or_default();
                let lp = f.get(5).and_then(|p| p.parse::<u16>().ok());
                let rp = f.get(7).and_then(|p| p.parse::<u16>().ok());
                ((la, lv6), lp, ra, rp)
            }
            n => {
                ctx.skip_line(line, format!("tcpvcon row with {n} columns (expected 6 or 8); skipped"));
                continue;
            }
        };
        let state = f.get(3).filter(|s| !s.is_empty() && **s != "*").map(|s| s.to_string());
        let entry = SocketEntry {
            protocol,
            ipv6: v6 || local.1,
            local_address: local.0,
            local_port: local_port.unwrap_or(0),
            remote_address: (!remote.is_empty()).then_some(remote),
            remote_port,
            state: if protocol == Protocol::Udp { None } else { state },
            state_localized: None,
            pid: Some(pid),
            image: f.get(1).filter(|s| !s.is_empty()).map(|s| s.to_string()),
            services: Vec::new(),
            origin: Origin::new(ctx.name.clone(), Locator::Line { line }),
        };
        ctx.record(Record::Socket(entry));
    }
}
