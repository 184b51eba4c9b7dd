//! Template rows for the events the rules (`crates/evtriage-rules/rules/*.toml`)
//! anchor on or check, and the list of those still without a row.
//!
//! A rule's evidence quotes the event's message; on a log without
//! LocaleMetaData or a rendered twin that message comes from the table
//! (`data/templates/*.tsv`), else it reads `Provider 1234 | value | value`.
//! The rule fixtures' `.evtx` files are read alone (their folder also holds
//! the `.xml` rendered twin, whose message would win), so what is checked
//! here is the table's rendering.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtriage_core::message;
use evtriage_core::{Collect, DataItem, Event, Locator, MessageSource, Origin, Reader};
use evtriage_testutil::workspace_root;

fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("fixtures/rules").join(rel)
}

/// The events of one fixture `.evtx` file, read on its own.
fn read(path: &Path) -> Vec<Event> {
    let mut sink = Collect::default();
    Reader::default().read_paths(&[path.to_path_buf()], &mut sink);
    sink.events().cloned().collect()
}

/// (fixture `.evtx`, provider, event id, the message the table gives).
const FIXTURE_CASES: &[(&str, &str, u32, &str)] = &[
    (
        "q274814-password-changed-7013/positive/bad-password-cascade/System.evtx",
        "Service Control Manager",
        7013,
        "Logon attempt with current password failed with the following error: \nThe user name or password is incorrect.",
    ),
    (
        "sql-tdssniclient-init/negative/explained-ssl-certificate/Application.evtx",
        "MSSQLSERVER",
        17182,
        "TDSSNIClient initialization failed with error 0x80092004, status code 0x80. Reason: Unable to initialize SSL \
         support. Cannot find object or property.",
    ),
    (
        "sql-tdssniclient-init/negative/explained-ssl-certificate/Application.evtx",
        "MSSQLSERVER",
        17826,
        "Could not start the network library because of an internal error in the network library. To determine the \
         cause, review the errors immediately preceding this one in the error log.",
    ),
    (
        "sql-tcp-port-in-use/negative/26022-listening/Application.evtx",
        "MSSQLSERVER",
        26022,
        "Server is listening on [ 'any' <ipv4> 1433].",
    ),
    (
        "sql-tcp-port-in-use/positive/26023-alone/Application.evtx",
        "MSSQLSERVER",
        26023,
        "Server TCP provider failed to listen on [ 'any' <ipv4> 1433]. Tcp port is already in use.",
    ),
    (
        "sql-endpoint-port-in-use/positive/mirroring-5022-held-by-other-instance/Application.evtx",
        "MSSQLSERVER",
        9692,
        "The Database Mirroring protocol transport cannot listen on port 5022 because it is in use by another process.",
    ),
    (
        "sql-endpoint-port-in-use/negative/endpoint-stopped-9666/Application.evtx",
        "MSSQLSERVER",
        9666,
        "The Database Mirroring endpoint is in disabled or stopped state.",
    ),
    (
        "q271963-duplicate-name/positive/workstation-with-netbt-4319/System.evtx",
        "NetBT",
        4319,
        "A duplicate name has been detected on the TCP network.  The IP address of\nthe computer that sent the message \
         is in the data. Use nbtstat -n in a\ncommand window to see which name is in the Conflict state.",
    ),
    (
        "q271963-duplicate-name/positive/server-with-netbt-4320/System.evtx",
        "NetBT",
        4320,
        "Another computer has sent a name release message to this computer, probably\nbecause a duplicate name has \
         been detected on the TCP network.  The IP address\nof the node that sent the message is in the data. Use \
         nbtstat -n in a\ncommand window to see which name is in the Conflict state.",
    ),
    (
        "dns-4013-ad-sync/positive/days-after-boot-with-ntds-2087/Directory Service.evtx",
        "Microsoft-Windows-ActiveDirectory_DomainService",
        2087,
        "Active Directory could not resolve the following DNS host name of the source domain controller to an IP \
         address. This error prevents additions, deletions and changes in Active Directory Domain Services from \
         replicating between one or more domain controllers in the forest. Security groups, group policy, users and \
         computers and their passwords will be inconsistent between domain controllers until this error is resolved, \
         potentially affecting logon authentication and access to network resources. \n\nSource domain controller: \
         \nDC1 \nFailing DNS host name: \n5a1f2b3c-0d4e-4f50-9a61-7b8c9d0e1f20._msdcs.contoso.com \n\nNOTE: By \
         default, only up to 10 DNS failures are shown for any given 12 hour period, even if more than 10 failures \
         occur.  To log all individual failure events, set the following diagnostics registry value to 1: \
         \n\nRegistry Path: \nHKLM\\System\\CurrentControlSet\\Services\\NTDS\\Diagnostics\\22 DS RPC Client \
         \n\nUser Action: \n\n1) If the source domain controller is no longer functioning or its operating system \
         has been reinstalled with a different computer name or NTDSDSA object GUID, remove the source domain \
         controller's metadata with ntdsutil.exe, using the steps outlined in MSKB article 216498. \n\n2) Confirm \
         that the source domain controller is running Active Directory Domain Services and is accessible on the \
         network by typing \"net view \\\\<source DC name>\" or \"ping <source DC name>\". \n\n3) Verify that the \
         source domain controller is using a valid DNS server for DNS services, and that the source domain \
         controller's host record and CNAME record are correctly registered, using the DNS Enhanced version of \
         DCDIAG.EXE available on http://www.microsoft.com/dns \n\ndcdiag /test:dns \n\n4) Verify that this \
         destination domain controller is using a valid DNS server for DNS services, by running the DNS Enhanced \
         version of DCDIAG.EXE command on the console of the destination domain controller, as follows: \
         \n\ndcdiag /test:dns \n\n5) For further analysis of DNS error failures see KB 824449: \
         \nhttp://support.microsoft.com/?kbid=824449 \n\nAdditional Data \nError value: \n11004 The requested name \
         is valid, but no data of the requested type was found.",
    ),
];

#[test]
fn rule_event_rows_render_the_fixture_records() {
    let mut failures = Vec::new();
    for (rel, provider, id, want) in FIXTURE_CASES {
        let path = fixture(rel);
        assert!(path.is_file(), "{rel}: fixture missing");
        let events = read(&path);
        let Some(e) = events.iter().find(|e| e.provider.name.as_deref() == Some(*provider) && e.event_id == *id) else {
            failures.push(format!("{rel}: no {provider} {id} read"));
            continue;
        };
        let Some(t) = message::template_for(e) else {
            failures.push(format!("{rel}: {provider} {id} has no template row"));
            continue;
        };
        assert!(t.exact, "{provider} {id}: checked against a source");
        let (got, source) = {
            let mut s = String::new();
            let source = message::render_with_source_into(e, &mut s);
            (s, source)
        };
        assert_eq!(source, MessageSource::Table, "{rel}: {provider} {id} rendered from the table");
        if got != *want {
            failures.push(format!("{rel} {provider} {id}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn event(provider: &str, id: u32, data: &[&str]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e
}

/// 17120's fixtures carry no data; a built record with the task name Microsoft's page shows.
#[test]
fn sql_17120_fills_the_task_name() {
    let e = event("MSSQLSERVER", 17120, &["FRunCommunicationsManager"]);
    assert_eq!(
        message::render(&e),
        "SQL Server could not spawn FRunCommunicationsManager thread. Check the SQL Server error log and the \
         operating system error log for information about possible related problems."
    );
}

/// A named instance (`MSSQL$SALES`) has no row: the table matches provider names exactly.
#[test]
fn sql_named_instance_is_not_matched() {
    assert!(message::template("MSSQL$SALES", 26023).is_none());
    assert!(message::template("MSSQLSERVER", 26023).is_some());
}

/// Every (provider, event id) a rule names: `provider` and `event_id` of any
/// table of the rule (anchor, require, corroborate records), a list of either
/// multiplying out. Provider GUIDs are left out: the table matches names.
fn rule_pairs() -> BTreeSet<(String, u32)> {
    fn walk(v: &toml::Value, out: &mut BTreeSet<(String, u32)>) {
        match v {
            toml::Value::Table(t) => {
                if let (Some(p), Some(i)) = (t.get("provider"), t.get("event_id")) {
                    let provs: Vec<&str> = match p {
                        toml::Value::String(s) => vec![s.as_str()],
                        toml::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                        _ => vec![],
                    };
                    let ids: Vec<u32> = match i {
                        toml::Value::Integer(n) => vec![*n as u32],
                        toml::Value::Array(a) => a.iter().filter_map(|x| x.as_integer()).map(|n| n as u32).collect(),
                        _ => vec![],
                    };
                    for p in provs.iter().filter(|p| !p.starts_with('{')) {
                        for id in &ids {
                            out.insert((p.to_string(), *id));
                        }
                    }
                }
                t.values().for_each(|x| walk(x, out));
            }
            toml::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let dir = workspace_root().join("crates/evtriage-rules/rules");
    let mut out = BTreeSet::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    assert!(files.len() > 50, "rules read from {}", dir.display());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        walk(&value, &mut out);
    }
    out
}

/// The rule-used pairs still without a row, and why. Shrink it deliberately:
/// a row added for one of these must take it off the list.
const WITHOUT_ROW: &[(&str, u32)] = &[
    // Not events of that provider: a rule lists two providers and two ids,
    // and the pairs multiply out (41 is Kernel-Power's, 6008 EventLog's;
    // 1000 is Application Error's, 1001 Windows Error Reporting's; 1208 is
    // StartupRepair's, 8202 System Restore's as the rule's comment says).
    ("Application Error", 1001),
    ("EventLog", 41),
    ("Microsoft-Windows-Kernel-Power", 6008),
    ("Microsoft-Windows-StartupRepair", 8202),
    ("Microsoft-Windows-SystemRestore", 1208),
    ("System Restore", 1208),
    ("Windows Error Reporting", 1000),
    // Windows Server 2003's classic source names: their old wording and data
    // layout were not checked (the manifest names of the same events have rows
    // where they are listed above, or below when they have none).
    ("DCOM", 10016),
    ("NTDS Replication", 2087),
    ("NTDS Replication", 2088),
    ("Security", 538),
    // A name pattern: the table matches names exactly; MSSQLSERVER has rows.
    ("MSSQL$*", 9692),
    ("MSSQL$*", 17120),
    ("MSSQL$*", 17182),
    ("MSSQL$*", 17826),
    ("MSSQL$*", 26023),
    ("MSSQL$*", 26011),
    ("MSSQL$*", 26014),
    // Classic events under a manifest provider's name: the sources show only
    // the classic source logging them. NetBT 4319/4320 and Tcpip 4227/4231
    // are netevent.dll messages (libyal/winevt-kb's dump; its NetBT page names
    // the classic source NetBT, Windows 2000 to 11), and those have rows;
    // nasbench/EVTX-ETW-Resources has no Microsoft-Windows-NetBT manifest, and
    // its Microsoft-Windows-TCPIP manifest (W2022_21H2) ends at event 1563.
    ("Microsoft-Windows-NetBT", 4319),
    ("Microsoft-Windows-NetBT", 4320),
    ("Microsoft-Windows-TCPIP", 4227),
    ("Microsoft-Windows-TCPIP", 4231),
    // Not sourced yet: no source quoting the whole message was read.
    ("DFSR", 1202),
    ("DFSR", 4604),
    ("DFSR", 4612),
    ("DFSR", 4614),
    ("DFSR", 5008),
    ("Microsoft-Windows-DFSR", 1202),
    ("Microsoft-Windows-DFSR", 4604),
    ("Microsoft-Windows-DFSR", 4612),
    ("Microsoft-Windows-DFSR", 4614),
    ("Microsoft-Windows-DFSR", 5008),
    ("Microsoft-Windows-Security-Netlogon", 9005),
    ("Microsoft-Windows-StartupRepair", 1208),
    ("Microsoft-Windows-SystemRestore", 8202),
    ("MSExchangeIS", 1133),
    ("MSExchangeIS", 5000),
    ("System Restore", 8202),
    // Issue 20's rules. Directory Service events whose insertion positions no
    // source read gives (the articles quote the text of one example, not the
    // data items; only 1988's layout was seen in a real record, under the
    // manifest provider, so the classic source names have no row either).
    ("Microsoft-Windows-ActiveDirectory_DomainService", 1308),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 1388),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 1644),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 1864),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 1925),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 2042),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 2095),
    ("Microsoft-Windows-ActiveDirectory_DomainService", 2103),
    ("NTDS General", 1644),
    ("NTDS General", 2103),
    ("NTDS KCC", 1308),
    ("NTDS KCC", 1311),
    ("NTDS KCC", 1925),
    ("NTDS Replication", 1388),
    ("NTDS Replication", 1864),
    ("NTDS Replication", 1988),
    ("NTDS Replication", 2042),
    ("NTDS Replication", 2095),
    // DFSR 2212/2213/2214/4012 and DNS Server 150/770/4011: their texts were found
    // only in forum posts and third-party write-ups, without insertions.
    ("DFSR", 2212),
    ("DFSR", 2213),
    ("DFSR", 2214),
    ("DFSR", 4012),
    ("Microsoft-Windows-DFSR", 2212),
    ("Microsoft-Windows-DFSR", 2213),
    ("Microsoft-Windows-DFSR", 2214),
    ("Microsoft-Windows-DFSR", 4012),
    ("DNS", 150),
    ("DNS", 4011),
    ("Microsoft-Windows-DNS-Server-Service", 4011),
    ("DNS", 770),
    ("Microsoft-Windows-DNS-Server-Service", 150),
    ("Microsoft-Windows-DNS-Server-Service", 770),
    // Exchange back pressure: the documentation gives older wording without
    // insertions; the current text was not checked.
    ("MSExchangeTransport", 15004),
    ("MSExchangeTransport", 15005),
    ("MSExchangeTransport", 15006),
    ("MSExchangeTransport", 15007),
    // Ntfs 98 (manifest and classic) and the manifest Ntfs 55: the message
    // differs by CorruptionActionState and no source gave every variant.
    ("Microsoft-Windows-Ntfs", 55),
    ("Microsoft-Windows-Ntfs", 98),
    ("Ntfs", 98),
    // iSCSI initiator events, used only as corroboration: not sourced yet.
    ("iScsiPrt", 9),
    ("iScsiPrt", 20),
    ("iScsiPrt", 27),
    ("iScsiPrt", 39),
];

#[test]
fn rule_used_events_without_a_row_are_the_documented_remainder() {
    let pairs = rule_pairs();
    assert!(pairs.contains(&("Service Control Manager".to_string(), 7013)), "the rules were walked");
    let missing: BTreeSet<(String, u32)> =
        pairs.iter().filter(|(p, id)| message::template(p, *id).is_none()).cloned().collect();
    let expected: BTreeSet<(String, u32)> = WITHOUT_ROW.iter().map(|(p, id)| (p.to_string(), *id)).collect();
    let newly_missing: Vec<_> = missing.difference(&expected).collect();
    let now_covered: Vec<_> = expected.difference(&missing).collect();
    assert!(
        newly_missing.is_empty() && now_covered.is_empty(),
        "rule-used events without a template row changed:\n  missing, not listed: {newly_missing:?}\n  listed, now covered \
         (take them off WITHOUT_ROW): {now_covered:?}"
    );
}
