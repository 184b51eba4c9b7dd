//! Engine features added for the network / domain-controller rules, each on a
//! small rule written here: a fixed service name for provider events, provider
//! name prefixes (`MSSQL$*`), the `Binary` field as hex, the `port_hog`
//! condition and supersession through evidence.

mod common;

use common::*;
use evtriage_core::{DataItem, Event, Protocol, Record, Sink};
use evtriage_rules::{Analysis, Confidence, Engine, Rule, RuleOrigin, RuleSet};

fn rules(texts: &[&str]) -> RuleSet {
    let mut set = RuleSet::new();
    for t in texts {
        match Rule::parse(t, RuleOrigin::Builtin("test.toml")) {
            Ok(r) => set.add(r),
            Err(e) => panic!("{e}\n{t}"),
        }
    }
    set
}

fn run_with(set: RuleSet, records: Vec<Record>) -> Analysis {
    let mut engine = Engine::new(set);
    for r in records {
        engine.record(r);
    }
    engine.finish()
}

fn netlogon(id: u32, secs: i64, data: &[&str], binary: Option<Vec<u8>>, line: u64) -> Record {
    let mut e = Event::new(Some("NETLOGON".into()), id, origin("System.xml", line));
    e.time = Some(at(secs));
    e.computer = Some("WS1.contoso.com".into());
    e.record_id = Some(line);
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e.binary = binary;
    Record::Event(Box::new(e))
}

const NETLOGON_RULE: &str = r#"
id = "t-netlogon"
title = "t"
cause = "{service} could not reach a DC in {computer}."
[anchor]
provider = "NETLOGON"
event_id = 5719
service = { name = "Netlogon" }
"#;

#[test]
fn a_fixed_service_name_names_and_merges_provider_events() {
    let a = run_with(
        rules(&[NETLOGON_RULE]),
        vec![
            boot(at(0), 1),
            netlogon(5719, 30, &["CONTOSO", "%%1311"], None, 2),
            netlogon(5719, 330, &["CONTOSO", "%%1311"], None, 3),
        ],
    );
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let f = &a.findings[0];
    // Not the domain name in param1.
    assert_eq!(f.service.as_deref(), Some("Netlogon"));
    assert_eq!(f.occurrences, 2);
    assert!(f.cause.starts_with("Netlogon could not reach"), "{}", f.cause);
}

#[test]
fn name_and_field_together_are_rejected() {
    let text = NETLOGON_RULE.replace("name = \"Netlogon\"", "name = \"Netlogon\", field = \"param1\"");
    let err = Rule::parse(&text, RuleOrigin::Builtin("t.toml")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("`name` or `field`"), "{err}");
}

#[test]
fn binary_data_is_a_hex_field() {
    let rule = r#"
id = "t-binary"
title = "t"
cause = "c"
[anchor]
provider = "NETLOGON"
event_id = 5719
[[anchor.where]]
field = "Binary"
regex = '^E50000C0'
"#;
    let a = run_with(
        rules(&[rule]),
        vec![
            netlogon(5719, 30, &["CONTOSO", "%%1359"], Some(vec![0xE5, 0x00, 0x00, 0xC0]), 2),
            netlogon(5719, 40, &["CONTOSO", "%%1311"], Some(vec![0x5E, 0x00, 0x00, 0xC0]), 3),
            netlogon(5719, 50, &["CONTOSO", "%%1311"], None, 4),
        ],
    );
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    assert_eq!(a.findings[0].occurrences, 1);
    assert_eq!(a.findings[0].evidence[0].time, Some(at(30)));
}

#[test]
fn provider_prefix_matches_named_instances() {
    let rule = r#"
id = "t-sql"
title = "t"
cause = "c"
[anchor]
provider = ["MSSQLSERVER", "MSSQL$*"]
event_id = 17182
"#;
    let set = rules(&[rule]);
    assert!(set.event_keys().contains("MSSQL$*/17182"), "{:?}", set.event_keys());
    let a = run_with(
        set,
        vec![
            classic("MSSQL$SQLEXPRESS", 17182, at(10), &["0x2740", "0xa"], None, 1),
            classic("MSSQLSERVER", 17182, at(20), &["0x2740", "0xa"], None, 2),
            classic("MSSQLServerOLAPService", 17182, at(30), &["x"], None, 3),
            classic("SQLSERVERAGENT", 17182, at(40), &["x"], None, 4),
        ],
    );
    let times: Vec<_> = a.findings.iter().flat_map(|f| f.evidence.iter().map(|e| e.time)).collect();
    assert_eq!(times, vec![Some(at(10)), Some(at(20))], "{:#?}", a.findings);
    let bad = r#"
id = "t-bad"
title = "t"
cause = "c"
[anchor]
provider = "*"
"#;
    assert!(Rule::parse(bad, RuleOrigin::Builtin("t.toml")).is_err());
}

const HOG_RULE: &str = r#"
id = "t-hog"
title = "t"
cause = "c"
[anchor]
provider = "Tcpip"
event_id = 4231
[[require]]
port_hog = { min_ports = 50 }
cause = "{holder} holds {port_count} of {socket_total} ({port_share}%), hosting {holder_services}."
"#;

fn tcpip(id: u32, secs: i64, line: u64) -> Record {
    let mut e = Event::new(Some("Tcpip".into()), id, origin("System.xml", line));
    e.time = Some(at(secs));
    e.computer = Some(DC.into());
    Record::Event(Box::new(e))
}

fn connections(pid: u32, count: u16, first_port: u16, state: &str, line: u64) -> Vec<Record> {
    (0..count)
        .map(|i| {
            let mut s = socket(Protocol::Tcp, "10.0.0.5", first_port + i, Some(state), Some(pid), line + u64::from(i));
            s.remote_address = Some("10.0.0.9".into());
            s.remote_port = Some(443);
            Record::Socket(s)
        })
        .collect()
}

#[test]
fn port_hog_names_the_process_holding_most_outgoing_ports() {
    let mut records = vec![tcpip(4231, 100, 1), process(2212, "agent.exe", &["AgentSvc"], 1)];
    records.extend(connections(2212, 60, 50000, "ESTABLISHED", 100));
    records.extend(connections(900, 10, 51000, "ESTABLISHED", 300));
    // TIME_WAIT sockets count towards the total but belong to no process.
    records.extend(connections(0, 30, 52000, "TIME_WAIT", 400));
    // Listening sockets and low ports are not outgoing connections.
    records.push(Record::Socket(socket(Protocol::Tcp, "0.0.0.0", 49700, Some("LISTENING"), Some(900), 500)));
    let a = run_with(rules(&[HOG_RULE]), records);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let f = &a.findings[0];
    assert!(f.cause.contains("agent.exe (PID 2212) holds 60 of 100 (60%), hosting AgentSvc."), "{}", f.cause);
    assert!(f
        .evidence
        .iter()
        .any(|e| e.summary == "60 of 100 outgoing TCP sockets (60%) belong to agent.exe (PID 2212)"));
}

#[test]
fn port_hog_below_the_threshold_does_not_hold() {
    let mut records = vec![tcpip(4231, 100, 1)];
    records.extend(connections(2212, 49, 50000, "ESTABLISHED", 100));
    records.extend(connections(0, 200, 52000, "TIME_WAIT", 400));
    let a = run_with(rules(&[HOG_RULE]), records);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn a_rule_absorbs_findings_whose_anchor_it_used_as_evidence() {
    let specific = r#"
id = "t-exhaustion"
title = "t"
cause = "c"
confidence = "likely"
supersedes = ["t-netlogon"]
[anchor]
provider = "Tcpip"
event_id = 4231
[[corroborate]]
[corroborate.record]
provider = "NETLOGON"
event_id = 5719
within = "10m"
"#;
    let mut five = netlogon(5719, 160, &["CONTOSO", "%%1311"], None, 2);
    if let Record::Event(e) = &mut five {
        e.computer = Some(DC.into());
    }
    let a = run_with(rules(&[NETLOGON_RULE, specific]), vec![boot(at(0), 1), tcpip(4231, 100, 3), five]);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let f = &a.findings[0];
    assert_eq!(f.rule, "t-exhaustion");
    assert_eq!(f.confidence, Confidence::Likely);
    assert!(f.evidence.iter().any(|e| e.time == Some(at(160))));
    // Without the 4231, the 5719 stands on its own.
    let mut alone = netlogon(5719, 160, &["CONTOSO", "%%1311"], None, 2);
    if let Record::Event(e) = &mut alone {
        e.computer = Some(DC.into());
    }
    let b = run_with(rules(&[NETLOGON_RULE, specific]), vec![boot(at(0), 1), alone]);
    assert_eq!(b.findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), vec!["t-netlogon"]);
}

#[test]
fn the_provider_can_name_the_service_and_anchor_data_are_placeholders() {
    let rule = r#"
id = "t-broker"
title = "t"
cause = "{service}: the {param1} endpoint cannot listen on TCP port {param2}; {computer}."
[anchor]
provider = ["MSSQLSERVER", "MSSQL$*"]
event_id = 9692
service = { name = "{provider}" }
"#;
    let a = run_with(
        rules(&[rule]),
        vec![
            classic("MSSQL$SALES", 9692, at(10), &["Service Broker", "4022"], None, 1),
            classic("MSSQLSERVER", 9692, at(20), &["Database Mirroring", "5022"], None, 2),
        ],
    );
    let causes: Vec<(&str, &str)> =
        a.findings.iter().map(|f| (f.service.as_deref().unwrap_or(""), f.cause.as_str())).collect();
    assert_eq!(
        causes,
        vec![
            (
                "MSSQL$SALES",
                "MSSQL$SALES: the Service Broker endpoint cannot listen on TCP port 4022; DC1.contoso.com."
            ),
            (
                "MSSQLSERVER",
                "MSSQLSERVER: the Database Mirroring endpoint cannot listen on TCP port 5022; DC1.contoso.com."
            ),
        ]
    );
}

#[test]
fn a_not_check_holds_when_its_record_is_absent() {
    let rule = r#"
id = "t-not"
title = "t"
cause = "c"
[anchor]
provider = "DFSR"
event_id = 4614
[[require]]
not = true
[require.record]
provider = "DFSR"
event_id = 4604
direction = "after"
within = "1d"
"#;
    let dfsr = |id: u32, secs: i64, line: u64| event("DFSR", id, at(secs), &[], "DFS Replication.xml", line);
    let waiting = run_with(rules(&[rule]), vec![dfsr(4614, 10, 1)]);
    assert_eq!(waiting.findings.len(), 1);
    let done = run_with(rules(&[rule]), vec![dfsr(4614, 10, 1), dfsr(4604, 900, 2)]);
    assert!(done.findings.is_empty(), "{:#?}", done.findings);
    // A 4604 before the 4614 (an earlier sync) does not count.
    let earlier = run_with(rules(&[rule]), vec![dfsr(4604, 5, 1), dfsr(4614, 10, 2)]);
    assert_eq!(earlier.findings.len(), 1);
    let bad = rule
        .replace("not = true", "not = true\nconfidence = \"likely\"")
        .replace("[[require]]", "[[corroborate]]")
        .replace("[require.record]", "[corroborate.record]");
    assert!(Rule::parse(&bad, RuleOrigin::Builtin("t.toml")).is_err());
}

#[test]
fn merge_per_computer_spans_boots_and_is_computer_matches_the_own_name() {
    let rule = r#"
id = "t-merge"
title = "t"
cause = "c"
merge = "computer"
[anchor]
provider = "NETLOGON"
event_id = 5805
service = { name = "Netlogon" }
[[anchor.where]]
field = "param1"
is_computer = true
"#;
    let ev = |secs: i64, name: &str, line: u64| {
        let mut r = netlogon(5805, secs, &[name, "%%5"], None, line);
        if let Record::Event(e) = &mut r {
            e.computer = Some("DC1.contoso.com".into());
        }
        r
    };
    let per_boot = rule.replace("merge = \"computer\"\n", "");
    let records = || {
        vec![
            boot(at(0), 1),
            ev(60, "DC1", 2),
            ev(61, "\\\\dc1", 3),
            ev(62, "DC1X", 4),
            boot(at(86_400), 5),
            ev(86_460, "dc1.contoso.com", 6),
        ]
    };
    let a = run_with(rules(&[rule]), records());
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    assert_eq!(a.findings[0].occurrences, 3);
    // Over two boot sessions, the finding is about neither.
    assert_eq!(a.findings[0].boot, None);
    let b = run_with(rules(&[&per_boot]), records());
    let counts: Vec<usize> = b.findings.iter().map(|f| f.occurrences).collect();
    assert_eq!(counts, vec![2, 1]);
    let bad = rule.replace("merge = \"computer\"", "merge = \"forever\"");
    assert!(Rule::parse(&bad, RuleOrigin::Builtin("t.toml")).is_err());
}

#[test]
fn port_field_takes_the_port_from_the_anchor_event() {
    let rule = r#"
id = "t-port-field"
title = "t"
cause = "c"
[anchor]
provider = "MSSQLSERVER"
event_id = 9692
[[corroborate]]
confidence = "confirmed"
cause = "{port} held by {holder}."
port_held = { port_field = "param2" }
"#;
    let listen = |port: u16, pid: u32, line: u64| {
        Record::Socket(socket(Protocol::Tcp, "0.0.0.0", port, Some("LISTENING"), Some(pid), line))
    };
    let a = run_with(
        rules(&[rule]),
        vec![
            classic("MSSQLSERVER", 9692, at(10), &["Service Broker", "4022"], None, 1),
            listen(1433, 5012, 2),
            listen(4022, 7310, 3),
            process(7310, "broker.exe", &[], 4),
        ],
    );
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].confidence, Confidence::Confirmed);
    assert!(a.findings[0].cause.contains("4022 held by broker.exe (PID 7310)."), "{}", a.findings[0].cause);
    // The capture names no time: the finding says why it may speak for the event.
    assert!(a.findings[0].cause.contains("The logs show no boot"), "{}", a.findings[0].cause);
    // A field without a number checks nothing.
    let b = run_with(
        rules(&[rule]),
        vec![classic("MSSQLSERVER", 9692, at(10), &["Service Broker", "any"], None, 1), listen(4022, 7310, 3)],
    );
    assert_eq!(b.findings[0].confidence, Confidence::Possible);
}
