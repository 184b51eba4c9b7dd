//! `evtriage timeline`, `completions` and `man`, run as a user would.

use std::path::PathBuf;
use std::process::Output;

use crate::util::{bin, corpus, p, root as repo};

/// The XML twin of the boot scenario: a DC shuts down, boots, IsmServ fails (7023).
fn boot_xml() -> PathBuf {
    repo().join("fixtures/evtx/example-dc-boot.xml")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).env_remove("NO_COLOR").output().expect("run evtriage")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn table_is_ordered_with_a_boot_separator() {
    let xml = boot_xml();
    let o = run(&["timeline", p(&xml)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("TIME"), "{text}");
    // Shutdown (13, 6006), then the separator, then Kernel-General 12.
    assert!(lines[1].contains("  13  ") && lines[2].contains("6006"), "{text}");
    assert_eq!(lines[3], "— boot at 2026-03-02 06:00:02.500Z (DC1.contoso.com) —");
    assert!(lines[4].contains("  12  Microsoft-Windows-Kernel-General"), "{text}");
    // 6009 and 6005 of the same boot do not start another separator.
    assert_eq!(text.matches("— boot at").count(), 1);
    // The 7023 message is rendered offline (%%58 expanded) and coloured nowhere (not a terminal).
    let l7023 = lines.iter().find(|l| l.contains(" 7023 ")).expect("7023 row");
    assert!(l7023.contains("ERROR"));
    assert!(l7023.ends_with(
        "The Intersite Messaging service terminated with the following error: The specified server cannot perform the requested operation."
    ));
    assert!(!text.contains('\x1b'));
    assert_eq!(lines.last().copied(), Some("12 event(s), 1 boot(s)"));
    let times: Vec<&str> = lines.iter().filter(|l| l.starts_with("2026")).map(|l| &l[..24]).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn filters_keep_the_boot_separator_and_shift_display_zone() {
    let xml = boot_xml();
    let o = run(&["timeline", p(&xml), "--id", "7023,4013", "--tz", "+02:00", "--color", "always"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("\x1b[1;34m— boot at 2026-03-02 08:00:02.500+02:00 (DC1.contoso.com) —\x1b[0m"), "{text}");
    assert!(text.contains("2026-03-02 08:00:41.218+02:00  \x1b[31mERROR\x1b[0m   7023"), "{text}");
    assert!(text.contains("\x1b[33mWARN \x1b[0m   4013"), "{text}");
    assert!(text.ends_with("2 event(s), 1 boot(s)\n"), "{text}");
    // NO_COLOR wins over auto, but not over always.
    let o = bin().args(["timeline", p(&xml), "--id", "7023"]).env("NO_COLOR", "1").output().expect("run");
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn local_zone_follows_tz_and_parses_naive_times_in_it() {
    let xml = boot_xml();
    // A POSIX TZ string needs no zoneinfo files: India, +05:30, no DST.
    let o = bin()
        .args(["timeline", p(&xml), "--tz", "local", "--format", "csv", "--since", "2026-03-02 11:30:41"])
        .env("TZ", "IST-5:30")
        .output()
        .expect("run");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    // 11:30:41 local = 06:00:41 UTC: the 7023 (06:00:41.218) and the two events after it.
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("2026-03-02T11:30:41.218750+05:30,Error,7023,"), "{text}");
}

#[test]
fn around_window_and_computer() {
    let xml = boot_xml();
    let o = run(&["timeline", p(&xml), "--around", "2026-03-02T06:00:40.8Z", "--window", "0.5s", "--format", "jsonl"]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    let ids: Vec<u64> = rows.iter().filter_map(|r| r["event_id"].as_u64()).collect();
    assert_eq!(ids, vec![4013, 7023, 7036]);
    assert_eq!(rows[1]["level"], "Error");
    assert_eq!(rows[1]["time"], "2026-03-02T06:00:41.218750Z");
    assert_eq!(rows[1]["computer"], "DC1.contoso.com");
    assert_eq!(rows[1]["locator"]["type"], "line");
    // The boot before the window still counts.
    assert_eq!(rows[1]["boot_session"], 1);
    // The table shows no separator for a boot outside the window.
    let o = run(&["timeline", p(&xml), "--around", "2026-03-02T06:00:40.8Z", "--window", "0.5s"]);
    assert!(!stdout(&o).contains("boot at"));
    assert!(stdout(&o).ends_with("3 event(s), 0 boot(s)\n"));
    // --computer matches the first label; another computer matches nothing.
    let o = run(&["timeline", p(&xml), "--computer", "dc1", "--format", "jsonl"]);
    assert_eq!(stdout(&o).lines().count(), 12);
    let o = run(&["timeline", p(&xml), "--computer", "DC2", "--format", "jsonl"]);
    assert_eq!(stdout(&o).lines().count(), 0);
    // --since/--until bound the rows; boot_session counts boots before each row.
    let o = run(&["timeline", p(&xml), "--until", "2026-03-02 05:59", "--format", "jsonl"]);
    let rows: Vec<serde_json::Value> = stdout(&o).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["boot_session"] == 0));
}

#[test]
fn timesketch_and_csv_shapes() {
    let xml = boot_xml();
    let o = run(&["timeline", p(&xml), "--format", "timesketch", "--tz", "+05:00"]);
    let first: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().expect("a line")).expect("json");
    assert_eq!(first["datetime"], "2026-03-02T05:58:09.812345Z"); // always UTC
    assert_eq!(first["timestamp_desc"], "Event Recorded");
    assert_eq!(first["event_id"], 13);
    assert_eq!(first["provider"], "Microsoft-Windows-Kernel-General");
    assert!(first["source_file"].as_str().is_some_and(|s| s.ends_with("example-dc-boot.xml")));
    assert_eq!(first["locator"], "line 8");
    assert!(first["message"].as_str().is_some_and(|m| m.starts_with("The operating system is shutting down")));
    assert_eq!(first["timestamp"], 1_772_431_089_812_345_i64);

    let o = run(&["timeline", p(&xml), "--format", "csv", "--id", "4013"]);
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,level,event_id,provider,computer,channel,message,source,locator,boot_session");
    assert_eq!(lines.len(), 2);
    // The 4013 message holds commas, so it is quoted.
    assert!(lines[1]
        .starts_with("2026-03-02T06:00:40.453125Z,Warning,4013,Microsoft-Windows-DNS-Server-Service,DC1.contoso.com,"));
    assert!(lines[1].contains(",\"The DNS server is waiting"), "{}", lines[1]);
    assert!(lines[1].ends_with(",1"));
}

#[test]
fn errors_are_one_sentence_with_exit_code_2() {
    let o = run(&["timeline", "/no/such/folder"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.trim_end(),
        "evtriage: error: cannot open /no/such/folder: no such file or folder; check the path, or give the folder or zip that holds the logs."
    );
    let xml = boot_xml();
    let o = run(&["timeline", p(&xml), "--around", "2026-03-02T06:00:40Z", "--window", "5 minutes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--window \"5 minutes\" is not a duration"));
    let o = run(&["timeline", p(&xml), "--tz", "Mars/Olympus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tz \"Mars/Olympus\" is not a time zone"));
}

#[test]
fn quiet_silences_notes() {
    let inputs = repo().join("fixtures/inputs");
    let loud = run(&["timeline", p(&inputs)]);
    let err = String::from_utf8_lossy(&loud.stderr);
    assert!(err.contains("evtriage: note:"));
    // The PowerShell blocks and the tracerpt header rows have no time: counted, not shown.
    assert!(err.contains("event(s) have no time and are not in the timeline."), "{err}");
    assert!(err.contains("wevtutil_system_truncated.xml (line 2): truncated <Event> element"), "{err}");
    let quiet = run(&["-q", "timeline", p(&inputs)]);
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    assert_eq!(quiet.stdout, loud.stdout);
}

#[test]
fn completions_for_every_shell() {
    for (shell, needle) in [
        ("bash", "_evtriage()"),
        ("zsh", "#compdef evtriage"),
        ("fish", "complete -c evtriage"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[evtriage]"),
    ] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let text = stdout(&o);
        assert!(text.contains(needle), "{shell}: {needle} missing");
        assert!(text.contains("timeline"), "{shell}: no timeline subcommand");
    }
}

#[test]
fn man_page_is_produced_and_committed_copy_is_fresh() {
    let o = run(&["man"]);
    assert!(o.status.success());
    let page = stdout(&o);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "roff header");
    assert!(page.contains(".TH evtriage 1"));
    assert!(page.contains("timeline"));
    assert!(page.contains("\\-\\-color"));
    let committed = std::fs::read_to_string(repo().join("docs/evtriage.1")).expect("docs/evtriage.1");
    assert_eq!(committed, page, "docs/evtriage.1 is stale: run `evtriage man > docs/evtriage.1`");
}

#[test]
fn help_has_examples() {
    let o = run(&["--help"]);
    let text = stdout(&o);
    assert!(text.contains("Examples:"));
    assert!(text.contains("--color <WHEN>"));
    let o = run(&["timeline", "--help"]);
    let text = stdout(&o);
    assert!(text.contains("--around '2024-03-05 14:02'") || text.contains("--around 2024-03-05T14:02:00Z"));
    assert!(text.contains("--format timesketch"));
}

#[test]
fn corpus_traces_merge_in_time_order_without_losing_records() {
    let (Some(etl), Some(csv)) = (corpus("etl"), corpus("etw/sahilsingh_tracerpt_pktmon_dumpfile.csv")) else {
        return;
    };
    // What the library reads: every event with a time must be in the timeline.
    let mut all = evtriage_core::Collect::default();
    evtriage_core::Reader::default().read_paths(&[etl.clone(), csv.clone()], &mut all);
    let timed = all.events().filter(|e| e.time.is_some()).count();
    assert!(timed > 17_000, "{timed}");

    let o = run(&["-q", "timeline", p(&etl), p(&csv), "--format", "jsonl"]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(rows.len(), timed);
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        rows.iter().map(|r| r["time"].as_str().and_then(|t| t.parse().ok()).expect("RFC 3339 time")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");
    // Both inputs are in the merge.
    let from = |suffix: &str| rows.iter().filter(|r| r["source"].as_str().is_some_and(|s| s.ends_with(suffix))).count();
    assert_eq!(from("sahilsingh_tracerpt_pktmon_dumpfile.csv"), 849);
    assert!(from("ShutdownPerfDiagLogger.etl") > 17_000);
    // --provider narrows to the PktMon rows of the CSV (its 2 EventTrace header rows go).
    let o = run(&["-q", "timeline", p(&etl), p(&csv), "--provider", "pktmon", "--format", "csv"]);
    assert_eq!(stdout(&o).lines().count(), 1 + 847);
}

#[test]
fn analyze_writes_html_and_markdown_reports() {
    let case = repo().join("fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed");
    let (xml, trace) = (case.join("System.xml"), case.join("boot-ldap.txt"));
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ux-report.html");
    let _ = std::fs::remove_file(&out);
    let o = run(&["analyze", p(&xml), p(&trace), "--format", "html", "-o", p(&out), "--color", "always"]);
    assert_eq!(o.status.code(), Some(1), "exit 1 = findings");
    assert!(o.stdout.is_empty());
    let page = std::fs::read_to_string(&out).expect("report written");
    assert!(page.contains("<a href=\"https://support.microsoft.com/kb/4530043\">KB4530043</a>"));
    assert!(page.contains("Around it: 10 events within ±5 min"), "{page}");
    assert!(!page.contains('\x1b'));
    let o = run(&["analyze", p(&xml), p(&trace), "--format", "markdown", "--context", "0"]);
    let md = stdout(&o);
    assert!(md.starts_with("# evtriage report"));
    assert!(md.contains("[KB4530043](https://support.microsoft.com/kb/4530043)"));
    assert!(!md.contains("Around it"), "--context 0 shows no context");
}

/// One event as `wevtutil qe /f:xml` writes it.
fn event_xml(provider: &str, id: u32, time: &str, computer: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='{provider}'/>\
         <EventID>{id}</EventID><Level>4</Level><TimeCreated SystemTime='{time}'/><EventRecordID>1</EventRecordID>\
         <Channel>System</Channel><Computer>{computer}</Computer></System></Event>\n"
    )
}

#[test]
fn timeline_boots_are_the_boots_the_rules_use() {
    // Core's boot module: markers within 300 s of a boot's first marker are
    // that boot, and `DC1` and `dc1.contoso.com` are one computer. (The
    // timeline used to say: within ten minutes of the previous marker, and
    // computer names compared whole — two boots at 10:00 and 10:02, none at
    // 10:07.)
    let dir = crate::util::scratch("timeline-boots");
    let xml = [
        event_xml("EventLog", 6005, "2026-03-02T10:00:00.000Z", "DC1"),
        event_xml("EventLog", 6009, "2026-03-02T10:02:00.000Z", "dc1.contoso.com"),
        event_xml("Microsoft-Windows-Kernel-General", 12, "2026-03-02T10:07:00.000Z", "DC1"),
    ]
    .concat();
    crate::util::write(&dir.join("System.xml"), &xml);
    let o = run(&["timeline", p(&dir.join("System.xml"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let separators: Vec<&str> = text.lines().filter(|l| l.starts_with("— boot at")).collect();
    assert_eq!(
        separators,
        ["— boot at 2026-03-02 10:00:00.000Z (DC1) —", "— boot at 2026-03-02 10:07:00.000Z (DC1) —"],
        "{text}"
    );
    assert!(text.ends_with("3 event(s), 2 boot(s)\n"), "{text}");
}
