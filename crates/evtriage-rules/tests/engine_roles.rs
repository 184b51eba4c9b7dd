//! The `role` check: a rule about a server role fires only where the logs
//! show that role (its services in SCM events, its own providers, or a process
//! table), so that a workstation never gets a domain controller's finding.

mod common;

use common::*;
use evtriage_core::Record;
use evtriage_rules::{Role, Rule, RuleOrigin};

const WS: &str = "WS7.contoso.com";

const DC_RULE: &str = r#"
id = "t-dc-time"
title = "t"
area = "time"
cause = "The time source failed on {computer}, {role}."
[anchor]
provider = "Microsoft-Windows-Time-Service"
event_id = 12
[[require]]
name = "on a domain controller"
role = "domain-controller"
"#;

const NOT_DC_RULE: &str = r#"
id = "t-member-time"
title = "t"
cause = "The time source failed on a member."
[anchor]
provider = "Microsoft-Windows-Time-Service"
event_id = 12
[[require]]
name = "not on a domain controller"
role = "domain-controller"
not = true
"#;

const DNS_RULE: &str = r#"
id = "t-dns-crash"
title = "t"
cause = "dns.exe crashed on {role}."
[anchor]
provider = "Application Error"
event_id = 1000
[[require]]
role = "dns-server"
"#;

fn on(computer: &str, mut r: Record) -> Record {
    if let Record::Event(e) = &mut r {
        e.computer = Some(computer.into());
    }
    r
}

fn time_12(computer: &str, secs: i64, line: u64) -> Record {
    on(computer, event("Microsoft-Windows-Time-Service", 12, at(secs), &[("Name", "x")], "System.xml", line))
}

/// SCM 7036: Active Directory Domain Services entered the running state (key in Binary).
fn ntds_running(computer: &str, secs: i64, line: u64) -> Record {
    on(computer, scm(7036, at(secs), &["Active Directory Domain Services", "running"], Some("NTDS/4"), line))
}

#[test]
fn a_role_shown_by_a_service_gates_the_rule_and_is_context_evidence() {
    let a = run_rules(&[DC_RULE], vec![ntds_running(DC, 10, 1), time_12(DC, 600, 2)]);
    let f = only(&a, "t-dc-time");
    assert_eq!(f.cause, format!("The time source failed on {DC}, a domain controller."));
    let ctx: Vec<_> = f.evidence.iter().filter(|e| e.role == Role::Context).collect();
    assert_eq!(ctx.len(), 1, "{:#?}", f.evidence);
    assert_eq!(ctx[0].locator, "line 1");
}

#[test]
fn a_workstation_or_another_computers_role_does_not_count() {
    // The anchor on a workstation: no role record at all.
    let a = run_rules(&[DC_RULE, NOT_DC_RULE], vec![time_12(WS, 600, 2)]);
    assert!(of(&a, "t-dc-time").is_empty(), "{:#?}", a.findings);
    assert_eq!(of(&a, "t-member-time").len(), 1);
    // The DC's role record does not make the workstation a DC.
    let a = run_rules(&[DC_RULE, NOT_DC_RULE], vec![ntds_running(DC, 10, 1), time_12(WS, 600, 2)]);
    assert!(of(&a, "t-dc-time").is_empty(), "{:#?}", a.findings);
    assert_eq!(of(&a, "t-member-time").len(), 1);
}

#[test]
fn a_role_shown_long_before_or_after_still_counts() {
    // The role's record 200 days before the anchor, and another only after it.
    let day = 86_400;
    let a = run_rules(&[DC_RULE], vec![ntds_running(DC, -200 * day, 1), time_12(DC, 0, 2)]);
    assert_eq!(of(&a, "t-dc-time").len(), 1);
    let kdc =
        on(DC, event("Microsoft-Windows-Kerberos-Key-Distribution-Center", 11, at(90 * day), &[], "System.xml", 3));
    let a = run_rules(&[DC_RULE, NOT_DC_RULE], vec![time_12(DC, 0, 2), kdc]);
    assert_eq!(of(&a, "t-dc-time").len(), 1);
    assert!(of(&a, "t-member-time").is_empty());
}

#[test]
fn a_process_table_shows_a_role_for_the_one_computer_of_the_case() {
    let crash = |line| classic("Application Error", 1000, at(60), &["dns.exe", "10.0.20348.1"], None, line);
    let a = run_rules(&[DNS_RULE], vec![crash(1), process(1460, "dns.exe", &["DNS"], 1)]);
    let f = only(&a, "t-dns-crash");
    assert_eq!(f.cause, "dns.exe crashed on a DNS server.");
    assert!(f.evidence.iter().any(|e| e.role == Role::Context && e.summary.contains("dns.exe PID 1460")));
    // Without the table, nothing shows the role.
    let a = run_rules(&[DNS_RULE], vec![crash(1)]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn an_unknown_role_is_rejected_when_the_rule_loads() {
    let text = DC_RULE.replace("\"domain-controller\"", "\"file-server\"");
    match Rule::parse(&text, RuleOrigin::Builtin("t.toml")) {
        Ok(_) => panic!("accepted an unknown role"),
        Err(e) => assert!(e.to_string().contains("file-server"), "{e}"),
    }
    let text = DC_RULE.replace("area = \"time\"", "area = \"weather\"");
    assert!(Rule::parse(&text, RuleOrigin::Builtin("t.toml")).is_err());
}
