//! `evtriage dump` run as a user would: the built binary on corpus files.

use std::process::Output;

use crate::util::{corpus, fixture, output, text};

fn dump(args: &[&str]) -> Output {
    let mut all = vec!["dump"];
    all.extend_from_slice(args);
    output(&all)
}

#[test]
fn filtered_jsonl_has_the_right_events() {
    let Some(path) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let p = path.to_string_lossy();
    let out = dump(&[&p, "--id", "7023", "--format", "jsonl", "--threads", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), 12);
    for l in &lines {
        assert_eq!(l["kind"], "event");
        assert_eq!(l["event_id"], 7023);
        assert_eq!(l["provider"]["name"], "Service Control Manager");
        assert!(l["rendered"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let first = &lines[0];
    assert_eq!(first["record_id"], 40);
    assert_eq!(first["qualifiers"], 49152);
    assert_eq!(first["time"], "2017-07-12T17:16:28.464140100Z");
    assert_eq!(first["data"][0]["name"], "param1");
    assert_eq!(first["data"][0]["value"], "Spooler");
    assert_eq!(first["data"][1]["value"], "%%2147942414");
    assert_eq!(first["binary"], "530070006F006F006C00650072000000");
    assert_eq!(first["origin"]["locator"]["type"], "evtx");
    assert_eq!(first["origin"]["locator"]["record_id"], 40);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("1881 record(s) read, 12 printed"), "{stderr}");
}

#[test]
fn provider_level_and_time_filters() {
    let Some(path) = corpus("evtx/omerbenamram_system.evtx") else { return };
    let p = path.to_string_lossy();
    let count = |args: &[&str]| {
        let mut all = vec![p.as_ref(), "--format", "jsonl"];
        all.extend_from_slice(args);
        let out = dump(&all);
        assert!(out.status.success());
        text(&out.stdout).lines().count()
    };
    assert_eq!(count(&["--provider", "service CONTROL"]), 100);
    assert_eq!(count(&["--id", "7000-7045", "--level", "error"]), 16);
    assert_eq!(count(&["--id", "7023", "--since", "2017-07-12T17:16:28.5Z", "--until", "2017-07-13"]), 1);
    // The times timeline takes too (one parser): a wall-clock time, UTC for dump.
    assert_eq!(count(&["--id", "7023", "--since", "2017-07-12 17:16:28.5", "--until", "2017-07-13"]), 1);
    assert_eq!(count(&["--id", "7023", "--since", "2017-07-12T17:16:29", "--until", "2017-07-13"]), 0);
    assert_eq!(count(&["--channel", "system", "--id", "7023,7026"]), 15);
}

#[test]
fn table_and_csv_formats() {
    let Some(path) = corpus("evtx/anotherc0ne_EventLog_System.evtx") else { return };
    let p = path.to_string_lossy();
    let out = dump(&[&p, "--id", "5719", "--format", "table"]);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 16);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.contains("Error") && first.contains("NETLOGON") && first.contains("5719"), "{first}");
    assert!(first.contains("ASLWinClient.aperture.sci"), "{first}");
    assert!(first.contains("APERTURE"), "the rendered message, on one line: {first}");

    let out = dump(&[&p, "--id", "5719", "--format", "csv"]);
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("time,level,provider,event_id,record_id,channel,computer,data,message,source,locator")
    );
    // Messages can span lines inside quoted fields, so count records, not lines.
    assert_eq!(lines.filter(|l| l.contains(",NETLOGON,5719,")).count(), 16);
    assert!(stdout.contains(",APERTURE %%1311 binary=5E0000C0,"), "{stdout}");
}

#[test]
fn damaged_file_summary_and_usage_errors() {
    let Some(path) = corpus("evtx/omerbenamram_sysmon_dirty.evtx") else { return };
    let out = dump(&[&path.to_string_lossy(), "--format", "jsonl"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 358);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("358 record(s) read, 358 printed, 0 filtered out, 8 skipped"), "{stderr}");
    assert!(stderr.contains("8 problem(s)") && stderr.contains("chunk header magic"), "{stderr}");

    let out = dump(&[&path.to_string_lossy(), "--id", "70x"]);
    assert_eq!(out.status.code(), Some(2));
    let out = dump(&[&path.to_string_lossy(), "--level", "loud"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_path_is_one_sentence_with_the_path() {
    let out = dump(&["/nonexistent/evtriage-test.evtx"]);
    assert_eq!(out.status.code(), Some(2), "a missing path is an error, as for every command");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot open /nonexistent/evtriage-test.evtx: no such file or folder"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bundled_example_without_corpus() {
    let dir = fixture("evtx");
    let out = dump(&[&dir.join("example-dc-boot.evtx").to_string_lossy(), "--id", "7023", "--format", "jsonl"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["data"][1]["value"], "%%58");
    assert_eq!(lines[0]["computer"], "DC1.contoso.com");
    assert!(lines[0]["rendered"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(text(&out.stderr).contains("12 record(s) read, 1 printed, 11 filtered out, 0 skipped"));
    // The whole folder: the writer's damaged and truncated files are reported, the run goes on.
    let out = dump(&[&dir.to_string_lossy(), "--format", "table"]);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("truncated.evtx") && stderr.contains("is incomplete"), "{stderr}");
    assert!(stderr.contains("damaged-chunk-magic.evtx (chunk 1): chunk skipped"), "{stderr}");
}

#[test]
fn locale_chooses_the_language_of_a_logs_display_information() {
    let (Some(evtx), Some(mta)) = (corpus("mta/setup-export.evtx"), corpus("mta/LocaleMetaData/setup-export_1033.MTA"))
    else {
        return;
    };
    let dir = crate::util::scratch("dump-locale");
    let _ = std::fs::create_dir_all(dir.join("LocaleMetaData"));
    let _ = std::fs::copy(&evtx, dir.join("Setup.evtx"));
    for lcid in [1031, 1033] {
        let _ = std::fs::copy(&mta, dir.join(format!("LocaleMetaData/Setup_{lcid}.MTA")));
    }
    let log = dir.join("Setup.evtx");
    let log = log.to_str().unwrap_or_default();
    let note = |args: &[&str]| {
        let o = dump(args);
        text(&o.stderr).lines().find(|l| l.contains("messages and display names from")).unwrap_or_default().to_string()
    };
    assert!(note(&["--format", "table", log]).ends_with("LocaleMetaData/Setup_1033.MTA (LCID 1033)"));
    assert!(
        note(&["--format", "table", "--locale", "de-DE", log]).ends_with("LocaleMetaData/Setup_1031.MTA (LCID 1031)")
    );
    assert!(note(&["--format", "table", "--locale", "1031", log]).ends_with("(LCID 1031)"));
    // A language the log does not have: en-US.
    assert!(note(&["--format", "table", "--locale", "ja-JP", log]).ends_with("(LCID 1033)"));
    let o = dump(&["--locale", "klingon", log]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("\"klingon\" is not a language; use an LCID such as 1031 or a name such as de-DE"));
}

#[test]
fn an_event_viewer_csv_in_berlin_time_reads_as_events() {
    let path = fixture("exports/eventviewer-de.csv");
    let p = path.to_string_lossy();
    let out = dump(&["--source-tz", "Europe/Berlin", "--format", "jsonl", &p]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), 3);
    // Summer time (+02:00) in October, winter time (+01:00) in March and February.
    let got: Vec<(&str, u64, &str)> = lines
        .iter()
        .map(|l| {
            (l["time"].as_str().unwrap_or(""), l["event_id"].as_u64().unwrap_or(0), l["message"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(got[0].0, "2021-10-27T10:28:26Z");
    assert_eq!(got[0].1, 808);
    assert!(got[0].2.starts_with("Fehler beim Laden eines Plug-In-Moduls"), "{}", got[0].2);
    assert_eq!((got[1].0, got[1].1), ("2021-03-05T07:15:00Z", 300));
    assert_eq!(got[1].2, "Der Drucker Kiwi wurde erstellt. Es ist keine Benutzeraktion erforderlich.");
    assert_eq!((got[2].0, got[2].1), ("2021-02-01T06:00:00Z", 36));
    assert_eq!(lines[0]["display"]["level"], "Fehler");
    assert_eq!(lines[0]["level"], 2);
    let bad = dump(&["--source-tz", "Mars/Olympus", &p]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("not a time zone"), "{}", text(&bad.stderr));
}
