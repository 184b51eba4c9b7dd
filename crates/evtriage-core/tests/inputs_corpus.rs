//! Real captures from the corpus (`$EVTRIAGE_CORPUS`): netstat variants and a
//! tracerpt CSV. Skipped (with a message) when the variable is unset; a
//! missing file fails the test when it is set.

use std::path::Path;

use evtriage_core::{Collect, Format, InputSummary, Protocol, Reader, Record, SocketEntry};
use evtriage_testutil::corpus;

fn read(path: &Path) -> (InputSummary, Collect) {
    let mut sink = Collect::default();
    let s = Reader::default().read_file(path, &mut sink);
    (s, sink)
}

fn sockets(sink: &Collect) -> Vec<&SocketEntry> {
    sink.records
        .iter()
        .filter_map(|r| match r {
            Record::Socket(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn netstat_ano_crlf() {
    let Some(p) = corpus("netstat/logancave_netstat-ano_en.txt") else { return };
    let (s, sink) = read(&p);
    assert_eq!((s.format, s.records, s.skipped), (Format::Netstat, 153, 0));
    let socks = sockets(&sink);
    assert_eq!(socks.iter().filter(|e| e.protocol == Protocol::Tcp).count(), 112);
    assert_eq!(socks.iter().filter(|e| e.protocol == Protocol::Udp).count(), 41);
    assert_eq!((socks[0].local_port, socks[0].pid, socks[0].state.as_deref()), (135, Some(1716), Some("LISTENING")));
    assert!(socks.iter().all(|e| e.pid.is_some()));
    assert!(socks.iter().filter(|e| e.protocol == Protocol::Udp).all(|e| e.state.is_none()));
}

#[test]
fn netstat_anob_continuations() {
    let Some(p) = corpus("netstat/laytoncoombs_netstat-naob_en.txt") else { return };
    let (s, sink) = read(&p);
    assert_eq!((s.format, s.records, s.skipped), (Format::Netstat, 178, 0));
    let socks = sockets(&sink);
    let rpc = socks[0];
    assert_eq!((rpc.local_port, rpc.pid, rpc.image.as_deref()), (135, Some(832), Some("svchost.exe")));
    assert_eq!(rpc.services, ["RpcSs"]);
    let smb = socks[1];
    assert_eq!((smb.local_port, smb.pid, smb.image.as_deref()), (445, Some(4), None));
    assert!(socks.iter().any(|e| e.local_address.starts_with("fe80::") && e.local_address.contains('%')));
}

#[test]
fn netstat_b_resolved_names() {
    let Some(p) = corpus("netstat/laytoncoombs_netstat-b_en.txt") else { return };
    let (s, sink) = read(&p);
    assert_eq!((s.format, s.records, s.skipped), (Format::Netstat, 66, 0));
    let first = sockets(&sink)[0];
    assert_eq!(first.remote_address.as_deref(), Some("chi02legaldc01"));
    assert_eq!((first.remote_port, first.pid, first.image.as_deref()), (None, None, Some("CiscoJabber.exe")));
}

#[test]
fn netstat_an_scope_ids() {
    let Some(p) = corpus("netstat/mohgilang_netstat-an_en.txt") else { return };
    let (s, sink) = read(&p);
    assert_eq!((s.format, s.records, s.skipped), (Format::Netstat, 43, 0));
    let last = sockets(&sink).into_iter().last().expect("rows");
    assert_eq!((last.protocol, last.ipv6, last.local_port), (Protocol::Udp, true, 60606));
    assert_eq!(last.local_address, "fe80::ff7c:31cb:afac:ff8c%6");
}

#[test]
fn tracerpt_csv_pktmon() {
    let Some(p) = corpus("etw/sahilsingh_tracerpt_pktmon_dumpfile.csv") else { return };
    let (s, sink) = read(&p);
    assert_eq!((s.format, s.records, s.skipped), (Format::TracerptCsv, 849, 0));
    let events: Vec<_> = sink.events().collect();
    assert_eq!(events.iter().filter(|e| e.provider.name.as_deref() == Some("Microsoft-Windows-PktMon")).count(), 847);
    let e = events[2];
    assert_eq!((e.event_id, e.process_id, e.thread_id), (20, Some(12536), Some(9460)));
    assert_eq!(e.trace.as_ref().and_then(|t| t.processor), Some(6));
    assert_eq!(
        e.data.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(),
        ["158", "HTTP Protocol ", "http.sys", "HTTP"]
    );
    assert_eq!(e.time.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).as_deref(), Some("2022-11-12 16:20:07"));
    assert!(events.iter().all(|e| e.time.is_some()));
}

#[test]
fn netlogon_debug_log_is_not_mistaken() {
    let Some(p) = corpus("debuglog/evtxattack_netlogon_log_zerologon.txt") else { return };
    let (s, _) = read(&p);
    assert_eq!((s.format, s.records), (Format::Unknown, 0));
}
