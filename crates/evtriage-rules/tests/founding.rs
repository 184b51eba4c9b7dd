//! The five founding rules, on records built in code (mirroring the fixtures
//! under `fixtures/rules/`), positive and negative.

mod common;

use common::*;
use evtriage_core::{Protocol, Record, RegData, SocketEntry};
use evtriage_rules::{Confidence, Role};

const ISM: &str = "kb4530043-ismserv-boot";
const PORT: &str = "port-conflict";
const PORT_DNS: &str = "port-conflict-dns-socket-pool";
const PORT_LSASS: &str = "port-conflict-lsass";
const SMTP: &str = "kb296086-smtp-port-25";
const IMC: &str = "kb298565-imc-sitedn";
const OWA: &str = "kb948609-autodiscover-net20sp2";

fn ism_7023(secs: i64, param1: &str, code: &str, line: u64) -> Record {
    scm(7023, at(secs), &[param1, code], Some("IsmServ"), line)
}

fn ldap_pair(secs: i64) -> Vec<Record> {
    vec![
        ldap(
            at_ms(secs * 1000 - 1100),
            "LdapParallelConnect called for connection 0x1a2b3c40 with timeout 45 sec 0 usec.  Total count is 1.",
            10,
        ),
        ldap(
            at_ms(secs * 1000 - 90),
            "LdapParallelConnect finished for connection 0x1a2b3c40.  Time taken was 1 sec.  Original timeout specified was 45 sec 0 usec.",
            12,
        ),
        ldap(at_ms(secs * 1000 - 80), "LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.", 11),
    ]
}

#[test]
fn ismserv_after_boot_is_likely() {
    let a = run(vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2)]);
    let f = only(&a, ISM);
    assert_eq!(f.confidence, Confidence::Likely);
    assert_eq!(f.kb, vec!["KB4530043"]);
    assert_eq!(f.computer, DC);
    assert_eq!(f.service.as_deref(), Some("IsmServ"));
    assert!(f.cause.contains("IsmServ service (Intersite Messaging)"), "{}", f.cause);
    assert!(f.cause.contains("95.0 s after the system started"), "{}", f.cause);
    assert!(f.remediation.iter().any(|s| s.contains("sc config IsmServ start= delayed-auto")));
    assert_eq!(f.evidence.len(), 2);
    assert_eq!(f.evidence[0].role, Role::Context);
    assert_eq!(f.evidence[0].locator, "line 1");
    assert_eq!(f.evidence[1].role, Role::Anchor);
    assert_eq!(f.evidence[1].time, Some(at(95)));
    assert!(f.evidence[1].summary.starts_with("Service Control Manager 7023"), "{}", f.evidence[1].summary);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
}

#[test]
fn ismserv_with_ldap_trace_is_confirmed() {
    let mut records = vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2)];
    records.extend(ldap_pair(95));
    let a = run(records);
    let f = only(&a, ISM);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert!(f.cause.contains("LDAP_CONNECT_ERROR (0x5b) 80 ms from the service failure"), "{}", f.cause);
    assert!(f.cause.contains("finished in under 10 seconds of its 45-second time-out"), "{}", f.cause);
    let sources: Vec<&str> = f.evidence.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(sources, vec!["System.xml", "boot-ldap.txt", "boot-ldap.txt", "System.xml"]);
    assert_eq!(f.evidence.iter().filter(|e| e.role == Role::Corroboration).count(), 2);
}

#[test]
fn ismserv_by_display_name_and_hex_code() {
    // No Binary: the key is found from the display name through the built-in table.
    let a = run(vec![boot(at(0), 1), scm(7023, at(30), &["Intersite Messaging", "0x3A"], None, 2)]);
    let f = only(&a, ISM);
    assert_eq!(f.service.as_deref(), Some("IsmServ"));
    assert_eq!(f.confidence, Confidence::Likely);
}

#[test]
fn ismserv_without_boot_marker_is_possible() {
    let a = run(vec![ism_7023(95, "IsmServ", "%%58", 2)]);
    assert_eq!(only(&a, ISM).confidence, Confidence::Possible);
}

#[test]
fn ismserv_long_after_boot_is_possible() {
    let a = run(vec![boot(at(0), 1), ism_7023(3 * 3600, "IsmServ", "%%58", 2)]);
    assert_eq!(only(&a, ISM).confidence, Confidence::Possible);
}

#[test]
fn ismserv_with_1058_does_not_fire() {
    let a = run(vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%1058", 2)]);
    assert!(of(&a, ISM).is_empty(), "{:#?}", a.findings);
}

#[test]
fn other_service_with_58_does_not_fire() {
    let a = run(vec![boot(at(0), 1), scm(7023, at(95), &["Netlogon", "%%58"], Some("Netlogon"), 2)]);
    assert!(of(&a, ISM).is_empty());
}

#[test]
fn winlogon_7001_is_not_an_scm_event() {
    let a = run(vec![
        boot(at(0), 1),
        event("Microsoft-Windows-Winlogon", 7001, at(40), &[("TSId", "2"), ("UserSid", "S-1-5-21-1")], "System.xml", 2),
        event(
            "Microsoft-Windows-Winlogon",
            7023,
            at(41),
            &[("param1", "IsmServ"), ("param2", "%%58")],
            "System.xml",
            3,
        ),
    ]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn ldap_trace_hours_away_does_not_confirm() {
    let mut records = vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2)];
    records.extend(ldap_pair(95 + 5 * 3600));
    let a = run(records);
    let f = only(&a, ISM);
    assert_eq!(f.confidence, Confidence::Likely);
    assert!(f.evidence.iter().all(|e| e.source != "boot-ldap.txt"));
}

#[test]
fn ldap_trace_with_other_error_does_not_confirm() {
    let a = run(vec![
        boot(at(0), 1),
        ism_7023(95, "IsmServ", "%%58", 2),
        ldap(at(94), "LdapConnect failed to open connection 0x1a2b3c40, error = 0x51.", 11),
    ]);
    assert_eq!(only(&a, ISM).confidence, Confidence::Likely);
}

#[test]
fn ismserv_already_delayed_is_said() {
    let a = run(vec![
        boot(at(0), 1),
        ism_7023(95, "IsmServ", "%%58", 2),
        reg(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ", "Start", RegData::Dword(2), 3),
        reg(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ", "DelayedAutostart", RegData::Dword(1), 4),
    ]);
    let f = only(&a, ISM);
    assert!(f.cause.contains("already shows IsmServ set to Automatic (Delayed Start)"), "{}", f.cause);
    assert!(
        f.remediation.iter().any(|s| s.contains("is already in place and ISM still failed")),
        "{:?}",
        f.remediation
    );
    assert!(f.evidence.iter().any(|e| e.summary.ends_with(r"IsmServ\DelayedAutostart = 1")));
}

#[test]
fn ismserv_not_delayed_says_nothing_about_it() {
    let a = run(vec![
        boot(at(0), 1),
        ism_7023(95, "IsmServ", "%%58", 2),
        reg(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ", "DelayedAutostart", RegData::Dword(0), 4),
    ]);
    assert!(!only(&a, ISM).cause.contains("already"));
}

#[test]
fn repeated_failures_in_one_boot_merge_and_new_boot_separates() {
    let a = run(vec![
        boot(at(0), 1),
        ism_7023(95, "IsmServ", "%%58", 2),
        ism_7023(400, "IsmServ", "%%58", 3),
        boot(at(10_000), 4),
        ism_7023(10_060, "IsmServ", "%%58", 5),
    ]);
    let fs = of(&a, ISM);
    assert_eq!(fs.len(), 2, "{fs:#?}");
    assert_eq!(fs[0].evidence.iter().filter(|e| e.role == Role::Anchor).count(), 2);
    assert_eq!(fs[1].evidence.iter().filter(|e| e.role == Role::Anchor).count(), 1);
    assert_eq!(fs[0].boot, Some(at(0)));
    assert_eq!(fs[1].boot, Some(at(10_000)));
}

#[test]
fn order_of_input_does_not_change_findings() {
    let mut records = vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2), ism_7023(99, "IsmServ", "%%58", 3)];
    records.extend(ldap_pair(95));
    let forward = run(records.clone());
    records.reverse();
    let backward = run(records);
    assert_eq!(forward.findings, backward.findings);
}

fn listening(proto: Protocol, port: u16, pid: u32, line: u64) -> SocketEntry {
    let state = if proto == Protocol::Tcp { Some("LISTENING") } else { None };
    socket(proto, "0.0.0.0", port, state, Some(pid), line)
}

#[test]
fn nps_port_held_by_dns_socket_pool() {
    let a = run(vec![
        scm(7023, at(60), &["Network Policy Server", "%%10048"], Some("IAS"), 2),
        Record::Socket(listening(Protocol::Udp, 1812, 1460, 5)),
        process(1460, "dns.exe", &["DNS"], 7),
    ]);
    let f = only(&a, PORT_DNS);
    assert!(of(&a, PORT).is_empty(), "the generic rule yields: {:#?}", a.findings);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert_eq!(f.kb, vec!["KB956188"]);
    assert_eq!(f.service.as_deref(), Some("IAS"));
    assert!(f.cause.contains("UDP 1812 held by the DNS Server (dns.exe (PID 1460))"), "{}", f.cause);
    // No boot marker: the capture speaks for failures near the logs' end.
    assert!(f.cause.contains("The logs show no boot"), "{}", f.cause);
    assert!(f.remediation.iter().any(|s| s.contains("excludedportrange protocol=udp startport=1812 numberofports=1")));
    assert!(f.remediation.iter().any(|s| s.contains("ReservedPorts") && s.contains("1812-1812")));
    let summaries: Vec<&str> = f.evidence.iter().map(|e| e.summary.as_str()).collect();
    assert!(summaries.contains(&"UDP 0.0.0.0:1812 PID 1460"), "{summaries:?}");
    assert!(summaries.contains(&"process dns.exe PID 1460 hosts DNS"), "{summaries:?}");
    // Snapshot rows carry no time.
    assert!(f.evidence.iter().filter(|e| e.source == "netstat.txt").all(|e| e.time.is_none()));
}

#[test]
fn blackberry_router_port_held_by_lsass() {
    let mut s = listening(Protocol::Tcp, 3101, 700, 5);
    s.image = Some("lsass.exe".into());
    let a = run(vec![scm(7000, at(60), &["BlackBerry Router", "%%10048"], None, 2), Record::Socket(s)]);
    let f = only(&a, PORT_LSASS);
    assert!(of(&a, PORT).is_empty());
    assert!(f.cause.contains("TCP 3101 held by the Local Security Authority (lsass.exe (PID 700))"), "{}", f.cause);
    assert!(f.remediation.iter().any(|s| s.contains("dynamicport")));
}

#[test]
fn generic_port_conflict_names_the_holder() {
    let mut s = listening(Protocol::Udp, 1645, 2000, 5);
    s.image = Some("radiusd.exe".into());
    let a = run(vec![
        scm(7023, at(60), &["Internet Authentication Service", "%%10048"], Some("IAS"), 2),
        Record::Socket(s),
    ]);
    let f = only(&a, PORT);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert!(f.cause.contains("UDP 1645 held by radiusd.exe (PID 2000)"), "{}", f.cause);
    assert!(f.remediation.iter().any(|s| s.contains("netstat -ano | findstr :1645")));
}

/// No finding of the port-conflict family (other rules, such as the generic
/// "service failed" rule, may still speak about the same event).
fn no_port_finding(a: &evtriage_rules::Analysis) -> bool {
    a.findings.iter().all(|f| !f.rule.starts_with("port-conflict") && f.rule != SMTP)
}

#[test]
fn port_held_by_the_service_itself_is_no_conflict() {
    // netstat -b names the service on the row.
    let mut s = listening(Protocol::Udp, 1812, 1460, 5);
    s.services = vec!["IAS".into()];
    let a = run(vec![
        scm(7031, at(60), &["Network Policy Server", "1", "60000", "1", "Restart the service"], Some("IAS"), 2),
        Record::Socket(s),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    // The crash itself is still reported, by the crash rule.
    assert_eq!(only(&a, "service-crash-recovery").service.as_deref(), Some("IAS"));
    // tasklist /svc says the PID hosts it.
    let a = run(vec![
        scm(7031, at(60), &["Network Policy Server", "1", "60000", "1", "Restart the service"], Some("IAS"), 2),
        Record::Socket(listening(Protocol::Udp, 1812, 1460, 5)),
        process(1460, "svchost.exe", &["IAS", "RemoteAccess"], 7),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
}

#[test]
fn no_port_conflict_without_a_listening_holder() {
    // Without a holder only the generic 10048 rule speaks.
    let a = run(vec![scm(7000, at(60), &["BlackBerry Router", "%%10048"], None, 2)]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    // Without a holder only the generic 10048 rule speaks (and the generic start-failure rule yields to it).
    assert_eq!(only(&a, "wsaeaddrinuse").confidence, Confidence::Likely);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let s = socket(Protocol::Tcp, "10.0.0.5", 3101, Some("ESTABLISHED"), Some(900), 5);
    let a = run(vec![scm(7000, at(60), &["BlackBerry Router", "%%10048"], None, 2), Record::Socket(s)]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    // Shared system ports (RPC 135) and PID 4 are never a conflict.
    let a = run(vec![
        scm(7000, at(60), &["World Wide Web Publishing Service", "%%10048"], Some("W3SVC"), 2),
        Record::Socket(listening(Protocol::Tcp, 80, 4, 5)),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    // Only the generic 10048 rule speaks: since IIS 6 HTTP.sys owns the web
    // ports, and the web rule anchors on its events, not on W3SVC 10048.
    assert_eq!(only(&a, "wsaeaddrinuse").confidence, Confidence::Likely);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
}

#[test]
fn smtp_timeout_without_netstat_is_possible_and_merged() {
    let a = run(vec![
        scm(7009, at(60), &["30000", "Simple Mail Transfer Protocol (SMTP)"], None, 2),
        scm(7000, at(60), &["Simple Mail Transfer Protocol (SMTP)", "%%1053"], Some("SMTPSVC"), 3),
    ]);
    let f = only(&a, SMTP);
    assert_eq!(f.confidence, Confidence::Possible);
    assert_eq!(f.kb, vec!["KB296086"]);
    assert_eq!(f.evidence.iter().filter(|e| e.role == Role::Anchor).count(), 2);
    assert_eq!(a.findings.len(), 1);
}

#[test]
fn smtp_timeout_with_port_25_held_is_confirmed() {
    let a = run(vec![
        scm(7000, at(60), &["Simple Mail Transfer Protocol (SMTP)", "%%1053"], Some("SMTPSVC"), 3),
        Record::Socket(listening(Protocol::Tcp, 25, 1880, 5)),
        process(1880, "mailsrv.exe", &[], 7),
    ]);
    let f = only(&a, SMTP);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert!(f.cause.contains("TCP port 25 is held by mailsrv.exe (PID 1880)"), "{}", f.cause);
    assert!(of(&a, PORT).is_empty(), "generic port rule folded in: {:#?}", a.findings);
    assert_eq!(a.findings.len(), 1);
}

#[test]
fn smtp_with_other_error_is_not_kb296086() {
    let a = run(vec![scm(7000, at(60), &["Simple Mail Transfer Protocol (SMTP)", "%%2"], Some("SMTPSVC"), 3)]);
    assert!(of(&a, SMTP).is_empty());
    let a = run(vec![scm(7009, at(60), &["30000", "Print Spooler"], None, 2)]);
    assert!(of(&a, SMTP).is_empty(), "{:#?}", a.findings);
    // The timeout itself is the KB922918 rule's.
    assert_eq!(of(&a, "kb922918-start-timeout").len(), 1);
}

#[test]
fn imc_4086_alone_is_likely() {
    let a = run(vec![classic("MSExchangeIMC", 4086, at(10), &[], None, 2)]);
    let f = only(&a, IMC);
    assert_eq!(f.confidence, Confidence::Likely);
    assert_eq!(f.kb, vec!["KB298565"]);
}

#[test]
fn imc_4086_with_2140_and_sitedn_is_confirmed_and_shows_value() {
    let a = run(vec![
        classic("MSExchangeIMC", 4086, at(10), &[], None, 2),
        scm(7024, at(11), &["Microsoft Exchange Internet Mail Service", "2140"], Some("MSExchangeIMC"), 3),
        reg(
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\MSExchangeIMC\Parameters",
            "SiteDN",
            RegData::Sz("o=Contoso/ou=Old Site".into()),
            4,
        ),
    ]);
    let f = only(&a, IMC);
    // Nothing in the logs can compare SiteDN with the directory: likely at most.
    assert_eq!(f.confidence, Confidence::Likely);
    assert!(f.cause.contains("SiteDN = \"o=Contoso/ou=Old Site\""), "{}", f.cause);
    assert!(f.cause.contains("2140"));
    assert_eq!(f.evidence.len(), 3);
}

#[test]
fn imc_other_event_or_code_does_not_fire_or_confirm() {
    let a = run(vec![classic("MSExchangeIMC", 4087, at(10), &[], None, 2)]);
    assert!(a.findings.is_empty());
    let a = run(vec![
        classic("MSExchangeIMC", 4086, at(10), &[], None, 2),
        scm(7024, at(11), &["Microsoft Exchange Internet Mail Service", "2141"], Some("MSExchangeIMC"), 3),
    ]);
    assert_eq!(only(&a, IMC).confidence, Confidence::Likely);
}

#[test]
fn autodiscover_null_reference_is_only_possible() {
    let a = run(vec![
        owa("1003", "Information", "About to test AutoDiscover with the e-mail address admin@contoso.com.", 1),
        owa("1006", "Information", "Contacted AutoDiscover at https://cas01.contoso.com/Autodiscover/Autodiscover.xml.", 5),
        owa("1013", "Error", "When contacting https://cas01.contoso.com/EWS/Exchange.asmx received the error Object reference not set to an instance of an object.", 9),
    ]);
    let f = only(&a, OWA);
    // Only a third-party blog documents the cause; without evidence that .NET
    // 2.0 SP2 is installed it stays possible, and no uninstall is advised.
    assert_eq!(f.confidence, Confidence::Possible);
    assert!(f.kb.is_empty(), "{:?}", f.kb);
    assert!(!f.remediation.iter().any(|s| s.starts_with("Uninstall")), "{:?}", f.remediation);
    assert!(f.cause.contains("No Microsoft article confirms it"), "{}", f.cause);
    assert_eq!(f.computer, "(unknown)");
    assert_eq!(f.evidence.len(), 2);
    assert!(f.evidence.iter().any(|e| e.role == Role::Anchor && e.locator == "line 9"));
}

#[test]
fn autodiscover_other_errors_do_not_fire() {
    let a = run(vec![
        owa("1003", "Information", "About to test AutoDiscover with the e-mail address admin@contoso.com.", 1),
        owa("1013", "Error", "When contacting https://cas01.contoso.com/Autodiscover/Autodiscover.xml received the error The remote server returned an error: (401) Unauthorized.", 5),
    ]);
    assert!(a.findings.is_empty());
    // The null reference without the Autodiscover step first.
    let a = run(vec![owa("1013", "Error", "Object reference not set to an instance of an object.", 1)]);
    assert!(a.findings.is_empty());
}

#[test]
fn event_filter_lets_through_only_what_rules_use() {
    use evtriage_core::{EventKey, Guid, Selection};
    let rules = builtin().event_filter();
    let filter = |k: &EventKey<'_>| rules.select(k) != Selection::Skip;
    let key = |p: &'static str, id| EventKey { provider: Some(p), guid: None, event_id: id };
    // Boot markers go straight through; what rules match is reviewed on the
    // workers, from the data alone unless a matcher reads the message.
    assert_eq!(rules.select(&key("EventLog", 6005)), Selection::Deliver);
    assert_eq!(rules.select(&key("Service Control Manager", 7036)), Selection::ReviewPartial);
    assert_eq!(rules.select(&key("Service Control Manager", 7023)), Selection::ReviewPartial);
    assert!(filter(&key("Service Control Manager", 7023)));
    assert!(filter(&key("service control manager", 7036)));
    assert!(filter(&key("EventLog", 6005)));
    assert!(filter(&key("Microsoft-Windows-LDAP-Client", 3)));
    assert!(filter(&key("MSExchangeIMC", 4086)));
    assert!(!filter(&key("Microsoft-Windows-Security-Auditing", 4624)));
    // 7045 (service installed) is now a check of the "not a service program" rule; 7043 is used by none.
    assert!(filter(&key("Service Control Manager", 7045)));
    assert!(!filter(&key("Service Control Manager", 7043)));
    assert!(!filter(&key("EventLog", 6013)));
    let g = Guid::parse("{099614a5-5dd7-4788-8bc9-e29f43db28fc}");
    assert!(g.is_some_and(|g| filter(&EventKey { provider: None, guid: Some(&g), event_id: 9 })));
}

#[test]
fn engine_keeps_only_candidates() {
    let mut records = vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2)];
    for i in 0..50 {
        // 7043 (did not shut down properly): no rule looks at it (7040 is now
        // a check of the event-log tampering rule, 7036 of the Q319127 rule).
        records.push(scm(7043, at(100 + i), &["Print Spooler"], None, 100 + i as u64));
        records.push(ldap(at(200 + i), "LdapSearch called for connection 0x1.", 200 + i as u64));
    }
    let a = run(records);
    assert_eq!(a.seen, 102);
    assert_eq!(a.kept, 2, "only the boot marker and the anchor are kept");
}

#[test]
fn holder_in_svchost_without_service_list_is_only_likely() {
    let mut s = listening(Protocol::Udp, 1645, 1376, 5);
    s.image = Some("svchost.exe".into());
    let a = run(vec![
        scm(7023, at(60), &["Internet Authentication Service", "%%10048"], Some("IAS"), 2),
        Record::Socket(s),
    ]);
    let f = only(&a, PORT);
    assert_eq!(f.confidence, Confidence::Likely);
    assert!(f.cause.contains("could be the service itself"), "{}", f.cause);
}

#[test]
fn a_crash_is_not_a_bind_failure() {
    // 7031 (terminated unexpectedly) says nothing about a port: no port
    // finding, even with a capture showing the port held; the crash is listed.
    let a = run(vec![
        scm(
            7031,
            at(60),
            &["Internet Authentication Service", "1", "60000", "1", "Restart the service"],
            Some("IAS"),
            2,
        ),
        Record::Socket(listening(Protocol::Udp, 1812, 1376, 5)),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    let f = only(&a, "service-crash-recovery");
    assert_eq!(f.items.len(), 1);
    assert_eq!(f.items[0].detail, "terminated unexpectedly; recovery action: Restart the service");
}

#[test]
fn a_capture_from_a_later_boot_does_not_confirm_a_port_conflict() {
    // The failure is in the first boot session; the capture (which names no
    // time) describes the last one, whose PIDs and sockets are other ones.
    let a = run(vec![
        boot(at(0), 1),
        scm(7023, at(60), &["Network Policy Server", "%%10048"], Some("IAS"), 2),
        boot(at(86_400 * 3), 3),
        Record::Socket(listening(Protocol::Udp, 1812, 1460, 5)),
        process(1460, "dns.exe", &["DNS"], 7),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    // In the last session the same capture does confirm it, and says why it may.
    let a = run(vec![
        boot(at(0), 1),
        boot(at(86_400 * 3), 3),
        scm(7023, at(86_400 * 3 + 60), &["Network Policy Server", "%%10048"], Some("IAS"), 2),
        Record::Socket(listening(Protocol::Udp, 1812, 1460, 5)),
        process(1460, "dns.exe", &["DNS"], 7),
    ]);
    let f = only(&a, PORT_DNS);
    assert_eq!(f.confidence, Confidence::Confirmed);
    assert!(f.cause.contains("lies in the last boot session the logs show"), "{}", f.cause);
    // Without boot markers, a failure days before the logs' last event is too far.
    let a = run(vec![
        scm(7023, at(60), &["Network Policy Server", "%%10048"], Some("IAS"), 2),
        scm(7036, at(86_400 * 2), &["Print Spooler", "running"], Some("Spooler"), 3),
        Record::Socket(listening(Protocol::Udp, 1812, 1460, 5)),
        process(1460, "dns.exe", &["DNS"], 7),
    ]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
}

/// `rec` (an event) moved to `computer` and input file `source`.
fn on(computer: &str, source: &str, rec: Record) -> Record {
    match rec {
        Record::Event(mut e) => {
            e.computer = Some(computer.into());
            e.origin = origin(source, e.record_id.unwrap_or(0));
            Record::Event(e)
        }
        other => other,
    }
}

#[test]
fn snapshots_from_another_machine_folder_are_not_used() {
    let mut s = listening(Protocol::Udp, 1645, 2000, 5);
    s.image = Some("radiusd.exe".into());
    s.origin = origin("case/SRV2/netstat.txt", 5);
    let anchor = || {
        let e = scm(7023, at(60), &["Internet Authentication Service", "%%10048"], Some("IAS"), 2);
        on("SRV1", "case/SRV1/System.xml", e)
    };
    let other = on("SRV2", "case/SRV2/System.xml", scm(7036, at(10), &["DNS Server", "running"], Some("DNS/4"), 3));
    // Two computers: the capture in SRV2's folder says nothing about SRV1
    // (only the generic 10048 rule speaks, without a holder).
    let a = run(vec![anchor(), other.clone(), Record::Socket(s.clone())]);
    assert!(no_port_finding(&a), "{:#?}", a.findings);
    assert_eq!(only(&a, "wsaeaddrinuse").computer, "SRV1");
    // The capture in SRV1's folder applies.
    s.origin = origin("case/SRV1/netstat.txt", 5);
    let a = run(vec![anchor(), other, Record::Socket(s)]);
    assert_eq!(only(&a, PORT).computer, "SRV1");
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
}

#[test]
fn boot_of_another_machine_does_not_count() {
    let other_boot = on("DC2.contoso.com", "DC2/System.xml", boot(at(0), 1));
    let a = run(vec![other_boot, ism_7023(95, "IsmServ", "%%58", 2)]);
    assert_eq!(only(&a, ISM).confidence, Confidence::Possible, "DC2's boot says nothing about DC1");
    // The short and the full name are one machine.
    let short_boot = on("DC1", "System.xml", boot(at(0), 1));
    let a = run(vec![short_boot, ism_7023(95, "IsmServ", "%%58", 2)]);
    assert_eq!(only(&a, ISM).confidence, Confidence::Likely);
}

#[test]
fn failure_just_before_a_reboot_belongs_to_the_previous_session() {
    let a = run(vec![boot(at(0), 1), ism_7023(5000, "IsmServ", "%%58", 2), boot(at(5030), 3)]);
    let f = only(&a, ISM);
    assert_eq!(f.boot, Some(at(0)));
    assert_eq!(f.confidence, Confidence::Possible, "83 minutes after its boot is not 'soon after boot'");
}

#[test]
fn one_log_given_twice_yields_its_evidence_once() {
    // `System.evtx` and its XML export: same computer, provider, id, record id and time.
    let twin = on(DC, "System.evtx", ism_7023(95, "IsmServ", "%%58", 2));
    let a = run(vec![boot(at(0), 1), ism_7023(95, "IsmServ", "%%58", 2), twin]);
    let f = only(&a, ISM);
    assert_eq!(f.evidence.iter().filter(|e| e.role == Role::Anchor).count(), 1, "{f:#?}");
    assert_eq!(f.evidence.len(), 2);
}

#[test]
fn a_pattern_seen_many_times_lists_the_first_occurrences_and_counts_all() {
    let mut records = vec![boot(at(0), 1)];
    for i in 0..120 {
        records.push(ism_7023(60 + i * 5, "IsmServ", "%%58", 10 + i as u64));
    }
    let a = run(records);
    let f = only(&a, ISM);
    assert_eq!(f.occurrences, 120);
    assert_eq!(f.omitted, 70);
    assert_eq!(f.evidence.iter().filter(|e| e.role == Role::Anchor).count(), evtriage_rules::finding::MAX_ANCHORS);
    assert_eq!(f.evidence.iter().filter(|e| e.role == Role::Anchor).map(|e| e.time).next(), Some(Some(at(60))));
}

#[test]
fn registry_export_of_another_machine_is_not_used() {
    let key = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\IsmServ";
    let mut v = reg(key, "DelayedAutostart", RegData::Dword(1), 4);
    if let Record::Registry(r) = &mut v {
        r.origin = origin("DC2/IsmServ.reg", 4);
    }
    let a = run(vec![
        on(DC, "DC1/System.xml", boot(at(0), 1)),
        on(DC, "DC1/System.xml", ism_7023(95, "IsmServ", "%%58", 2)),
        on("DC2.contoso.com", "DC2/System.xml", boot(at(0), 1)),
        v,
    ]);
    assert!(!only(&a, ISM).cause.contains("already"), "DC2's registry says nothing about DC1");
}

#[test]
fn trace_of_another_machine_folder_does_not_confirm() {
    let trace = |src: &str| -> Vec<Record> {
        ldap_pair(95)
            .into_iter()
            .map(|r| match r {
                Record::Event(mut e) => {
                    e.origin = origin(src, 1);
                    Record::Event(e)
                }
                other => other,
            })
            .collect()
    };
    let base = || {
        vec![
            on(DC, "DC1/System.xml", boot(at(0), 1)),
            on(DC, "DC1/System.xml", ism_7023(95, "IsmServ", "%%58", 2)),
            on("DC2.contoso.com", "DC2/System.xml", boot(at(0), 1)),
        ]
    };
    let mut records = base();
    records.extend(trace("DC2/boot-ldap.txt"));
    assert_eq!(only(&run(records), ISM).confidence, Confidence::Likely);
    let mut records = base();
    records.extend(trace("DC1/boot-ldap.txt"));
    assert_eq!(only(&run(records), ISM).confidence, Confidence::Confirmed);
}
