//! Rule-language features added with the second wave of rules (issue 20),
//! each on a small rule written here: hexadecimal and bug check placeholders,
//! a found record's own data in a check's text, counting records in a
//! window, numeric field ranges, and fields a record must share with the anchor.

mod common;

use common::*;
use evtriage_core::Record;
use evtriage_rules::{Confidence, Rule, RuleOrigin};

fn kp41(secs: i64, code: &str, line: u64) -> Record {
    event(
        "Microsoft-Windows-Kernel-Power",
        41,
        at(secs),
        &[("BugcheckCode", code), ("BugcheckParameter1", "0x3"), ("PowerButtonTimestamp", "0")],
        "System.xml",
        line,
    )
}

const KP41: &str = r#"
id = "t-kp41"
title = "t"
cause = "Stop {BugcheckCode_bugcheck}, in hex {BugcheckCode_hex}; the 1001 says {found_param1}. P1 {param2}."
[anchor]
provider = "Microsoft-Windows-Kernel-Power"
event_id = 41
[[anchor.where]]
field = "BugcheckCode"
min = 1
[[corroborate]]
name = "bugcheck report"
cause = "WER wrote {found_param2}."
[corroborate.record]
provider = "BugCheck"
event_id = 1001
within = "10m"
"#;

#[test]
fn decimal_codes_show_in_hex_with_the_bug_check_name_and_checks_quote_what_they_found() {
    let wer =
        classic("BugCheck", 1001, at(90), &["0x0000009f (0x3, 0x0, 0x0, 0x0)", "C:\\Windows\\MEMORY.DMP"], None, 2);
    let a = run_rules(&[KP41], vec![kp41(30, "159", 1), wer]);
    let f = only(&a, "t-kp41");
    assert!(
        f.cause.starts_with(
            "Stop 0x0000009F (DRIVER_POWER_STATE_FAILURE), in hex 0x0000009F; the 1001 says {found_param1}. P1 0x3."
        ),
        "{}",
        f.cause
    );
    // The check's own text sees the record it found.
    assert!(f.cause.ends_with("WER wrote C:\\Windows\\MEMORY.DMP."), "{}", f.cause);
    // A code of 0 is outside `min = 1`: no finding (a power loss, not a bugcheck).
    let a = run_rules(&[KP41], vec![kp41(30, "0", 1)]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    // A code the reference does not list shows as hex alone.
    let a = run_rules(&[KP41], vec![kp41(30, "4294967295", 1)]);
    assert!(only(&a, "t-kp41").cause.starts_with("Stop 0xFFFFFFFF, in hex 0xFFFFFFFF"));
}

const RANGE: &str = r#"
id = "t-range"
title = "t"
cause = "c"
[anchor]
provider = "P"
event_id = 1
[[anchor.where]]
field = "Delta"
min = -5
max = 0x10
"#;

#[test]
fn numeric_ranges_read_decimal_and_hex_and_refuse_text() {
    let ev = |v: &str, line| event("P", 1, at(line as i64), &[("Delta", v)], "System.xml", line);
    let a = run_rules(&[RANGE], vec![ev("-5", 1), ev("16", 2), ev("0x10", 3), ev("17", 4), ev("-6", 5), ev("ten", 6)]);
    let mut lines: Vec<String> = a.findings.iter().flat_map(|f| f.evidence.iter().map(|e| e.locator.clone())).collect();
    lines.sort();
    assert_eq!(lines, ["line 1", "line 2", "line 3"]);
    let bad = RANGE.replace("max = 0x10", "max = -9");
    assert!(Rule::parse(&bad, RuleOrigin::Builtin("t.toml")).is_err());
}

const RECURS: &str = r#"
id = "t-recurs"
title = "t"
merge = "computer"
confidence = "possible"
cause = "The counter library {Library} failed."
[anchor]
provider = "Perflib"
event_id = 1008
[[corroborate]]
name = "it recurs for the same library"
confidence = "likely"
cause = "It failed {count} more times within a week."
[corroborate.record]
provider = "Perflib"
event_id = 1008
within = "7d"
min_count = 2
same_fields = ["Library"]
"#;

#[test]
fn counts_need_enough_records_sharing_the_anchors_fields() {
    let p = |secs: i64, lib: &str, line| event("Perflib", 1008, at(secs), &[("Library", lib)], "Application.xml", line);
    let day = 86_400;
    // Three failures of one library within a week: each anchor sees two others.
    let a = run_rules(&[RECURS], vec![p(0, "a.dll", 1), p(day, "A.DLL ", 2), p(2 * day, "a.dll", 3)]);
    let f = only(&a, "t-recurs");
    assert_eq!(f.confidence, Confidence::Likely);
    assert!(f.cause.contains("It failed 2 more times within a week."), "{}", f.cause);
    // Two of them are another library's, or too far: not enough.
    let a = run_rules(&[RECURS], vec![p(0, "a.dll", 1), p(day, "b.dll", 2), p(20 * day, "a.dll", 3)]);
    assert!(a.findings.iter().all(|f| f.confidence == Confidence::Possible), "{:#?}", a.findings);
    let bad = RECURS.replace("min_count = 2", "min_count = 0");
    assert!(Rule::parse(&bad, RuleOrigin::Builtin("t.toml")).is_err());
    let bad = RECURS.replace("event_id = 1008\n[[corroborate]]", "event_id = 1008\nmin_count = 3\n[[corroborate]]");
    assert!(Rule::parse(&bad, RuleOrigin::Builtin("t.toml")).is_err(), "min_count on the anchor");
}

const OS_VERSION: &str = r#"
id = "t-os"
title = "t"
cause = "c"
[anchor]
provider = "NETLOGON"
event_id = 5774
[[require]]
name = "on Windows Server 2008 R2"
cause = "The boot record says {found_param1}{found_param2}."
[require.record]
provider = "EventLog"
event_id = 6009
direction = "before"
within = "30d"
[[require.record.where]]
field = "param1"
regex = '^6\.01\.'
"#;

#[test]
fn record_checks_read_boot_markers() {
    let boot6009 = |version: &str| {
        classic("EventLog", 6009, at(0), &[version, "7601", "Service Pack 1", "Multiprocessor Free", "17514"], None, 1)
    };
    let nl = classic(
        "NETLOGON",
        5774,
        at(120),
        &["_ldap._tcp.contoso.com. 600 IN SRV 0 100 389 dc1.contoso.com.", "9502"],
        None,
        2,
    );
    let a = run_rules(&[OS_VERSION], vec![boot6009("6.01."), nl.clone()]);
    assert!(only(&a, "t-os").cause.ends_with("The boot record says 6.01.7601."), "{:#?}", a.findings);
    let a = run_rules(&[OS_VERSION], vec![boot6009("10.00."), nl]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

const CAPPED: &str = r#"
id = "t-capped"
title = "t"
confidence = "likely"
cause = "c"
[anchor]
provider = "P"
event_id = 1
[[corroborate]]
name = "confirmed by a trace"
confidence = "confirmed"
[corroborate.record]
provider = "T"
event_id = 2
within = "1m"
[[corroborate]]
name = "the workaround is in place"
cap = "possible"
cause = "The workaround is in place."
[corroborate.record]
provider = "W"
event_id = 3
within = "1d"
"#;

#[test]
fn a_check_can_cap_what_a_finding_claims() {
    let ev = |p: &str, id, line| event(p, id, at(line as i64), &[], "System.xml", line);
    let a = run_rules(&[CAPPED], vec![ev("P", 1, 1), ev("T", 2, 2)]);
    assert_eq!(only(&a, "t-capped").confidence, Confidence::Confirmed);
    let a = run_rules(&[CAPPED], vec![ev("P", 1, 1), ev("T", 2, 2), ev("W", 3, 3)]);
    let f = only(&a, "t-capped");
    assert_eq!(f.confidence, Confidence::Possible);
    assert!(f.cause.contains("The workaround is in place."), "{}", f.cause);
    let both = CAPPED.replace("cap = \"possible\"", "cap = \"possible\"\nconfidence = \"likely\"");
    assert!(Rule::parse(&both, RuleOrigin::Builtin("t.toml")).is_err());
}
