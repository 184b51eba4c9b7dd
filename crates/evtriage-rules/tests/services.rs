//! The engine features the service rules rest on, on records built in code
//! (no input format involved): the root of a dependency chain, merging per
//! boot session whatever the service, the `computer` matcher, informational
//! findings, anchor data as placeholders, and generic rules yielding to
//! specific ones that explain the same events.

mod common;

use common::*;
use evtriage_core::Record;
use evtriage_rules::{Confidence, Kind, Role, RuleOrigin, RuleSet};

const DEP: &str = "service-dependency-failed";
const GENERIC: &str = "service-start-failed";

fn with_computer(r: Record, computer: &str) -> Record {
    match r {
        Record::Event(mut e) => {
            e.computer = Some(computer.into());
            Record::Event(e)
        }
        other => other,
    }
}

#[test]
fn a_dependency_chain_is_one_finding_about_its_root() {
    let a = run(vec![
        boot(at(0), 1),
        scm(7000, at(30), &["Contoso Storage Filter", "%%1058"], Some("CtsFilter"), 2),
        scm(7001, at(31), &["Contoso Replication", "Contoso Storage Filter", "%%1058"], Some("CtsRepl"), 3),
        scm(7001, at(32), &["Contoso Agent", "Contoso Replication", "%%1068"], Some("CtsAgent"), 4),
        scm(7001, at(33), &["Contoso Console", "Contoso Agent", "%%1068"], Some("CtsConsole"), 5),
    ]);
    let f = only(&a, DEP);
    assert_eq!(f.service.as_deref(), Some("CtsFilter"), "named by the root, not by a victim");
    assert_eq!(f.occurrences, 3, "one occurrence per dependent that failed");
    // The chain seen from the first victim, and the root's own failure as corroboration.
    assert!(f.cause.contains("Contoso Replication → Contoso Storage Filter"), "{}", f.cause);
    assert!(f.cause.contains("disabled"), "{}", f.cause);
    let root_event = f.evidence.iter().find(|e| e.summary.contains("7000")).map(|e| e.role);
    assert_eq!(root_event, Some(Role::Corroboration));
    // The generic finding on the root's 7000 was absorbed, not shown on its own.
    assert!(of(&a, GENERIC).is_empty(), "{:#?}", a.findings);
    assert_eq!(f.confidence, Confidence::Likely);
}

#[test]
fn a_dependency_cycle_stops_the_walk() {
    // A depends on B, B depends on A (both 7001): the walk must end, and both merge by their root.
    let a = run(vec![
        boot(at(0), 1),
        scm(7001, at(10), &["Alpha", "Beta", "%%1068"], Some("Alpha"), 2),
        scm(7001, at(11), &["Beta", "Alpha", "%%1068"], Some("Beta"), 3),
    ]);
    let found = of(&a, DEP);
    assert!(!found.is_empty() && found.len() <= 2, "{:#?}", a.findings);
    assert_eq!(found.iter().map(|f| f.occurrences).sum::<usize>(), 2);
}

#[test]
fn chains_do_not_cross_computers() {
    let a = run(vec![
        scm(7001, at(10), &["Contoso Agent", "Contoso Replication", "%%1068"], Some("CtsAgent"), 2),
        with_computer(
            scm(7001, at(11), &["Contoso Replication", "Contoso Storage Filter", "%%1058"], Some("CtsRepl"), 3),
            "SRV9",
        ),
    ]);
    let dc = a.findings.iter().find(|f| f.rule == DEP && f.computer == DC).and_then(|f| f.service.clone());
    // The name resolves to its key (learned from any input), but the walk stops at the computer boundary.
    assert_eq!(dc.as_deref(), Some("CtsRepl"), "{:#?}", a.findings);
}

#[test]
fn installed_commands_merge_per_boot_whatever_the_service() {
    let mut records = vec![boot(at(0), 1)];
    for i in 0..5u64 {
        let name = format!("svc{i}");
        let t = 100 + 60 * i as i64;
        records.push(event(
            "Service Control Manager",
            7045,
            at(t),
            &[
                ("ServiceName", &name),
                ("ImagePath", "cmd.exe /c echo x > \\\\.\\pipe\\p"),
                ("StartType", "demand start"),
            ],
            "System.xml",
            10 + i * 3,
        ));
        records.push(scm(7009, at(t + 1), &["30000", &name], None, 11 + i * 3));
        records.push(scm(7000, at(t + 1), &[&name, "%%1053"], Some(&name), 12 + i * 3));
    }
    let a = run(records);
    // Commands installed as services: remote execution, a security finding,
    // one per boot session whatever the service, never a timeout to tune.
    let f = only(&a, "remote-execution-service");
    assert_eq!(f.kind, Kind::Security);
    assert_eq!(f.occurrences, 5, "one per service installed");
    assert_eq!(f.service, None, "several services: none named");
    assert_eq!(f.confidence, Confidence::Confirmed, "each failed at once");
    assert!(!f.remediation.iter().any(|s| s.contains("ServicesPipeTimeout")), "{:?}", f.remediation);
    for other in ["kb922918-start-timeout", "service-not-a-service-program", GENERIC] {
        assert!(of(&a, other).is_empty(), "{other}: {:#?}", a.findings);
    }
}

#[test]
fn w32time_stop_after_boot_is_info_only_on_a_workgroup_name() {
    let records = |computer: &str| {
        vec![
            with_computer(boot(at(0), 1), computer),
            with_computer(scm(7036, at(20), &["Windows Time", "running"], Some("W32Time/4"), 2), computer),
            with_computer(scm(7036, at(140), &["Windows Time", "stopped"], Some("W32Time/1"), 3), computer),
        ]
    };
    let a = run(records("KIOSK4"));
    let f = only(&a, "kb2385818-w32time-workgroup");
    assert_eq!(f.kind, Kind::Info);
    assert!(f.cause.contains("2 min"), "{}", f.cause);
    let a = run(records("WKS22.contoso.com"));
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn crash_items_say_what_action_and_how_often() {
    let a = run(vec![
        boot(at(0), 1),
        scm(7031, at(3600), &["Contoso Bridge", "3", "120000", "1", "Restart the service"], Some("CtsBridge"), 2),
        scm(7031, at(7200), &["Contoso Bridge", "4", "120000", "1", "Restart the service"], Some("CtsBridge"), 3),
    ]);
    let f = only(&a, "service-crash-recovery");
    assert_eq!(f.service.as_deref(), Some("CtsBridge"), "the key from Binary");
    assert_eq!(f.occurrences, 2);
    assert!(f.generic);
    assert_eq!(f.items.len(), 1, "{:?}", f.items);
    assert_eq!(f.items[0].service.as_deref(), Some("CtsBridge"));
    assert_eq!(f.items[0].detail, "terminated unexpectedly; recovery action: Restart the service");
    assert_eq!((f.items[0].count, f.items[0].first, f.items[0].last), (2, Some(at(3600)), Some(at(7200))));
}

#[test]
fn the_generic_rule_yields_to_every_specific_rule_over_the_same_events() {
    let set = builtin();
    let generic_anchors = [7000u32, 7009, 7011, 7022, 7023, 7024];
    for r in set.rules() {
        if r.id() == GENERIC || r.spec.kind == Kind::Info {
            continue;
        }
        let ids = r.spec.anchor.event_id.to_vec();
        let scm = r.spec.anchor.provider.to_vec().iter().any(|p| p == "Service Control Manager");
        if scm && ids.iter().any(|i| generic_anchors.contains(i)) {
            assert!(
                r.spec.supersedes.iter().any(|s| s == GENERIC),
                "{} anchors on SCM failures but does not supersede {GENERIC}",
                r.id()
            );
        }
    }
}

#[test]
fn root_and_merge_options_are_validated() {
    let bad = r#"
id = "x"
title = "x"
cause = "x"
[anchor]
provider = "Service Control Manager"
event_id = 7001
[[require]]
[require.record]
provider = "Service Control Manager"
within = "1m"
service = { root = true }
"#;
    let err = evtriage_rules::Rule::parse(bad, RuleOrigin::File("x.toml".into()));
    assert!(err.is_err_and(|e| e.to_string().contains("root")));
    let bad = "id = \"x\"\ntitle = \"x\"\ncause = \"x\"\nmerge_services = \"everything\"\n[anchor]\nprovider = \"X\"\n";
    assert!(evtriage_rules::Rule::parse(bad, RuleOrigin::File("x.toml".into())).is_err());
    let ok = "id = \"x\"\ntitle = \"x\"\ncause = \"x\"\nmerge_services = true\nkind = \"info\"\n[anchor]\nprovider = \"X\"\ncomputer = '^[^.]+$'\n";
    let mut set = RuleSet::new();
    match evtriage_rules::Rule::parse(ok, RuleOrigin::File("x.toml".into())) {
        Ok(r) => set.add(r),
        Err(e) => panic!("{e}"),
    }
    assert_eq!(set.len(), 1);
}

#[test]
fn without_boot_markers_failures_days_apart_are_separate_findings() {
    // No boot marker: findings of one service merge while their anchors
    // follow each other within hours; a gap of days starts another finding.
    let a = run(vec![
        scm(7000, at(0), &["Contoso Bridge", "%%1053"], Some("CtsBridge"), 1),
        scm(7000, at(3600), &["Contoso Bridge", "%%1053"], Some("CtsBridge"), 2),
        scm(7000, at(86_400 * 3), &["Contoso Bridge", "%%1053"], Some("CtsBridge"), 3),
        scm(7023, at(10), &["Contoso Sync", "%%1067"], Some("CtsSync"), 4),
        scm(7023, at(86_400 * 3), &["Contoso Sync", "%%1067"], Some("CtsSync"), 5),
    ]);
    let fs = of(&a, "kb922918-start-timeout");
    let occurrences: Vec<usize> = fs.iter().map(|f| f.occurrences).collect();
    assert_eq!(occurrences, [2, 1], "{:#?}", a.findings);
    // The generic finding still comes once per computer.
    let g = only(&a, GENERIC);
    assert_eq!((g.occurrences, g.items.len(), g.items[0].count), (2, 1, 2));
}
