//! Offline message rendering (`evtriage_core::message`) on events built in code.

use std::sync::Arc;

use evtriage_core::message::{self, ServiceKey};
use evtriage_core::{DataItem, Event, Locator, Origin};

/// The line NETLOGON 5719 ends with: its NTSTATUS, named and explained (the
/// SDK's ntstatus.h text for 0xC000005E).
const NO_LOGON_SERVERS_LINE: &str = "\nBinary: 0xC000005E (STATUS_NO_LOGON_SERVERS): We can't sign you in with this \
     credential because your domain isn't available. Make sure your device is connected to your organization's \
     network and try again. If you previously signed in on this device with another credential, you can sign in \
     with that credential.";

fn event(provider: &str, id: u32, data: &[(&str, &str)]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.data =
        data.iter().map(|(n, v)| if n.is_empty() { DataItem::unnamed(*v) } else { DataItem::named(*n, *v) }).collect();
    e
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}

#[test]
fn scm_7023_expands_win32_insertion() {
    let mut e = event("Service Control Manager", 7023, &[("param1", "IP Helper"), ("param2", "%%1058")]);
    e.binary = Some(utf16z("iphlpsvc"));
    assert_eq!(
        message::render(&e),
        "The IP Helper service terminated with the following error: \nThe service cannot be started, either \
         because it is disabled or because it has no enabled devices associated with it."
    );
    assert_eq!(message::scm_service_key(&e), Some(ServiceKey { name: "iphlpsvc".into(), state: None }));
}

#[test]
fn intersite_messaging_58() {
    let e = event("Service Control Manager", 7023, &[("param1", "Intersite Messaging"), ("param2", "%%58")]);
    assert_eq!(
        message::render(&e),
        "The Intersite Messaging service terminated with the following error: \nThe specified server cannot \
         perform the requested operation."
    );
}

#[test]
fn hresult_style_insertion() {
    let e = event("Service Control Manager", 7023, &[("param1", "Print Spooler"), ("param2", "%%2147942414")]);
    assert_eq!(
        message::render(&e),
        "The Print Spooler service terminated with the following error: \nNot enough storage is available to \
         complete this operation."
    );
}

#[test]
fn unknown_insertion_stays_visible() {
    let e = event("Service Control Manager", 7000, &[("param1", "Foo"), ("param2", "%%99999")]);
    assert_eq!(message::render(&e), "The Foo service failed to start due to the following error: \n%%99999");
}

#[test]
fn scm_7036_and_7040_keys() {
    let mut e = event("Service Control Manager", 7036, &[("param1", "Device Install Service"), ("param2", "running")]);
    e.binary = Some(utf16z("ScDeviceEnum/4"));
    assert_eq!(message::render(&e), "The Device Install Service service entered the running state.");
    assert_eq!(message::scm_service_key(&e), Some(ServiceKey { name: "ScDeviceEnum".into(), state: Some(4) }));

    let e = event(
        "Service Control Manager",
        7040,
        &[
            ("param1", "Background Intelligent Transfer Service"),
            ("param2", "auto start"),
            ("param3", "demand start"),
            ("param4", "BITS"),
        ],
    );
    assert_eq!(
        message::render(&e),
        "The start type of the Background Intelligent Transfer Service service was changed from auto start to demand start."
    );
    assert_eq!(message::scm_service_key(&e), Some(ServiceKey { name: "BITS".into(), state: None }));
}

#[test]
fn scm_key_rejects_bad_binary_and_other_providers() {
    let mut e = event("Service Control Manager", 7023, &[("param1", "X")]);
    e.binary = Some(vec![0x41]); // one dangling byte
    assert_eq!(message::scm_service_key(&e), None);
    e.binary = Some(vec![0x00, 0xD8, 0x41, 0x00]); // lone surrogate
    assert_eq!(message::scm_service_key(&e), None);
    e.binary = Some(vec![0x00, 0x00]); // empty name
    assert_eq!(message::scm_service_key(&e), None);
    e.binary = None;
    assert_eq!(message::scm_service_key(&e), None);
    let mut other = event("Microsoft-Windows-Winlogon", 7001, &[("TSId", "1")]);
    other.binary = Some(utf16z("NlaSvc"));
    assert_eq!(message::scm_service_key(&other), None);
}

#[test]
fn scm_7045_named_fields() {
    let e = event(
        "Service Control Manager",
        7045,
        &[
            ("ServiceName", "Kernel Debug Network Miniport"),
            ("ImagePath", r"\SystemRoot\System32\drivers\kdnic.sys"),
            ("ServiceType", "kernel mode driver"),
            ("StartType", "demand start"),
            ("AccountName", ""),
        ],
    );
    assert_eq!(
        message::render(&e),
        "A service was installed in the system.\n\nService Name:  Kernel Debug Network Miniport\nService File Name:  \
         \\SystemRoot\\System32\\drivers\\kdnic.sys\nService Type:  kernel mode driver\nService Start Type:  demand \
         start\nService Account:  "
    );
}

#[test]
fn scm_7031_uses_param5() {
    let e = event(
        "Service Control Manager",
        7031,
        &[
            ("param1", "Sync Host_42016"),
            ("param2", "1"),
            ("param3", "10000"),
            ("param4", "1"),
            ("param5", "Restart the service"),
        ],
    );
    assert_eq!(
        message::render(&e),
        "The Sync Host_42016 service terminated unexpectedly.  It has done this 1 time(s).  The following corrective \
         action will be taken in 10000 milliseconds: Restart the service."
    );
}

#[test]
fn scm_7024_service_specific_error() {
    // SCM writes the service-specific code as an insertion string; Event Viewer
    // expands it when the system table knows it and shows it as is otherwise.
    let e = event("Service Control Manager", 7024, &[("param1", "Foo"), ("param2", "%%1058")]);
    assert!(message::render(&e).ends_with(
        "service-specific error: \nThe service cannot be started, either because it is disabled or because it has \
         no enabled devices associated with it."
    ));
    let e = event("Service Control Manager", 7024, &[("param1", "SQL Server (MSSQLSERVER)"), ("param2", "%%17051")]);
    assert_eq!(
        message::render(&e),
        "The SQL Server (MSSQLSERVER) service terminated with the following service-specific error: \n%%17051"
    );
}

#[test]
fn error_code_insertion_syntax() {
    // `%%%N` in a template renders data item N as an error code, bare or `%%`-prefixed.
    let e = event("p", 1, &[("", "1058"), ("", "%%58"), ("", "17051")]);
    assert_eq!(
        message::fill("[%%%1] [%%%2] [%%%3]", &e),
        "[The service cannot be started, either because it is disabled or because it has no enabled devices \
         associated with it.] [The specified server cannot perform the requested operation.] [%%17051]"
    );
}

#[test]
fn netlogon_5719_binary_ntstatus() {
    let mut e = event("NETLOGON", 5719, &[("", "APERTURE"), ("", "%%1311")]);
    e.binary = Some(vec![0x5E, 0x00, 0x00, 0xC0]);
    assert_eq!(message::binary_ntstatus(&e), Some(0xC000_005E));
    let m = message::render(&e);
    assert!(
        m.starts_with(
            "This computer was not able to set up a secure session with a domain controller in domain APERTURE due \
             to the following: \nThere are currently no logon servers available to service the logon request. \n"
        ),
        "{m}"
    );
    assert!(m.ends_with(NO_LOGON_SERVERS_LINE), "{m}");
}

#[test]
fn netlogon_5805_access_denied() {
    let mut e = event("NETLOGON", 5805, &[("", "01566S-WIN16-IR"), ("", "%%5")]);
    e.binary = Some(vec![0x22, 0x00, 0x00, 0xC0]);
    assert_eq!(
        message::render(&e),
        "The session setup from the computer 01566S-WIN16-IR failed to authenticate. The following error occurred: \
         \nAccess is denied.\nBinary: 0xC0000022 (STATUS_ACCESS_DENIED): {Access Denied} A process has requested \
         access to an object, but has not been granted those access rights."
    );
}

#[test]
fn binary_ntstatus_rejects_small_and_odd_sizes() {
    let mut e = event("DNS", 4013, &[]);
    e.binary = Some(vec![0xF5, 0x25, 0x00, 0x00]);
    assert_eq!(message::binary_ntstatus(&e), None);
    assert!(message::render(&e)
        .ends_with("\nBinary: 9717 (0x25F5, DNS_ERROR_DS_UNAVAILABLE): The directory service is unavailable."));
    e.binary = Some(vec![0x5E, 0x00, 0x00]);
    assert_eq!(message::binary_ntstatus(&e), None);
}

#[test]
fn eventlog_and_kernel_events() {
    let e = event(
        "EventLog",
        6013,
        &[("", ""), ("", ""), ("", ""), ("", ""), ("", "43"), ("", "60"), ("", "0 GMT Standard Time")],
    );
    assert_eq!(message::render(&e), "The system uptime is 43 seconds.");
    let e = event("EventLog", 6008, &[("", "2:41:02 AM"), ("", "5/29/2023")]);
    assert_eq!(message::render(&e), "The previous system shutdown at 2:41:02 AM on 5/29/2023 was unexpected.");
    let e =
        event("EventLog", 6009, &[("", "10.00."), ("", "10586"), ("", ""), ("", "Multiprocessor Free"), ("", "16384")]);
    assert_eq!(message::render(&e), "Microsoft (R) Windows (R) 10.00. 10586  Multiprocessor Free.");
    let e = event(
        "Microsoft-Windows-Kernel-General",
        12,
        &[
            ("MajorVersion", "10"),
            ("MinorVersion", "0"),
            ("BuildVersion", "10586"),
            ("QfeVersion", "16384"),
            ("ServiceVersion", "0"),
            ("BootMode", "0"),
            ("StartTime", "2016-02-13T09:20:29.4957336Z"),
        ],
    );
    assert_eq!(message::render(&e), "The operating system started at system time 2016-02-13T09:20:29.4957336Z.");
    let e = event("Microsoft-Windows-Kernel-Power", 41, &[("BugcheckCode", "0")]);
    assert!(message::render(&e).starts_with("The system has rebooted without cleanly shutting down first."));
}

#[test]
fn provider_match_is_case_insensitive_and_uses_event_source_name() {
    let e = event("service control manager", 7022, &[("param1", "Foo")]);
    assert_eq!(message::render(&e), "The Foo service hung on starting.");
    let mut e = event("x", 4086, &[]);
    e.provider.name = None;
    e.provider.event_source_name = Some("MSExchangeIMC".into());
    assert_eq!(
        message::render(&e),
        "Unable to start the service because the configuration could not be loaded from the Microsoft Exchange \
         directory or Windows NT Registry."
    );
}

#[test]
fn source_message_is_kept() {
    let mut e = event("Service Control Manager", 7023, &[("param1", "IP Helper"), ("param2", "%%1058")]);
    e.message = Some("Already rendered by Windows.".into());
    assert_eq!(message::render(&e), "Already rendered by Windows.");
    e.message = Some("   ".into());
    assert!(message::render(&e).starts_with("The IP Helper service"));
}

#[test]
fn fallback_is_never_empty() {
    // SCM has no template for 7099 but its %%N are Win32 codes.
    let e = event("Service Control Manager", 7099, &[("param1", "Foo"), ("param2", "%%58"), ("", "plain")]);
    assert_eq!(
        message::render(&e),
        "Service Control Manager 7099 | param1=Foo | param2=%%58 (The specified server cannot perform the requested \
         operation.) | plain"
    );
    // Security-Auditing's %%1833 is msobjs.dll's "Impersonation", not Win32 1833.
    let e = event("Microsoft-Windows-Security-Auditing", 4999, &[("ImpersonationLevel", "%%1833")]);
    assert_eq!(
        message::render(&e),
        "Microsoft-Windows-Security-Auditing 4999 | ImpersonationLevel=%%1833 (Impersonation)"
    );
    assert!(!message::uses_win32_parameters("Microsoft-Windows-GroupPolicy"));
    assert!(message::uses_win32_parameters("netlogon"));
    assert!(message::uses_win32_parameters("DNS"));
    let mut bare = event("", 0, &[]);
    bare.provider.name = None;
    assert_eq!(message::render(&bare), "Event 0");
}

#[test]
fn missing_data_leaves_the_reference() {
    let e = event("Service Control Manager", 7001, &[("param1", "A")]);
    assert_eq!(
        message::render(&e),
        "The A service depends on the %2 service which failed to start because of the following error: \n%3"
    );
}

#[test]
fn fill_handles_escapes_and_junk() {
    let e = event("p", 1, &[("", "one"), ("", "two")]);
    assert_eq!(message::fill("%1%t%2%n100%% done%.%!", &e), "one\ttwo\n100% done.!");
    assert_eq!(message::fill("%1!s! and %2", &e), "one and two");
    assert_eq!(message::fill("stop%0 never", &e), "stop");
    assert_eq!(message::fill("trailing %", &e), "trailing %");
    assert_eq!(message::fill("%{Nope} %{unterminated", &e), "%{Nope} %{unterminated");
    assert_eq!(message::fill("%%%9", &e), "%%%9");
    assert_eq!(message::fill("ü%1ü", &e), "üoneü");
    // Non-ASCII after `%` and odd specs never panic and keep the text.
    for junk in ["%é", "%{é", "%%é", "%%%é", "%1!é", "%1!", "%9999", "%%%", "%{", "%", "%%%-1", "%{}"] {
        let out = message::fill(junk, &e);
        assert!(!out.is_empty(), "{junk:?}");
    }
    assert_eq!(message::fill("%é", &e), "é");
    assert_eq!(message::fill("%1!é", &e), "one!é");
    // Inserted values are not parsed again as templates.
    let tricky = event("Service Control Manager", 1, &[("", "%2 %n %%58x")]);
    assert_eq!(message::fill("<%1>", &tricky), "<%2 %n The specified server cannot perform the requested operation.x>");
    // A provider not known to use Win32 insertions keeps its `%%N` as written.
    let own = event("p", 1, &[("", "%%58")]);
    assert_eq!(message::fill("<%1>", &own), "<%%58>");
    assert_eq!(
        message::expand_insertions("a %%58 b %%x %%-1 %%"),
        "a The specified server cannot perform the requested operation. b %%x %%-1 %%"
    );
}

#[test]
fn template_table_covers_the_issue_list() {
    let want: &[(&str, &[u32])] = &[
        (
            "Service Control Manager",
            &[
                7000, 7001, 7002, 7003, 7009, 7011, 7022, 7023, 7024, 7026, 7030, 7031, 7032, 7034, 7036, 7038, 7040,
                7041, 7043, 7045,
            ],
        ),
        ("EventLog", &[6005, 6006, 6008, 6009, 6013]),
        ("Microsoft-Windows-Kernel-General", &[12, 13]),
        ("Microsoft-Windows-Kernel-Power", &[41]),
        ("NETLOGON", &[5719, 5722, 5805]),
        ("Microsoft-Windows-DNS-Server-Service", &[404, 407, 408, 4013, 4015]),
        ("DNS", &[404, 407, 408, 4013, 4015]),
        ("MSExchangeIMC", &[4086]),
    ];
    let mut n = 0;
    for (provider, ids) in want {
        for id in *ids {
            assert!(message::template(provider, *id).is_some(), "{provider} {id}");
            n += 1;
        }
    }
    assert_eq!(n, 42);
    // 44 rows of core.tsv and more in the other files; a shrinking table is a loss.
    assert!(message::templates().len() >= 320, "{}", message::templates().len());
    // Rows whose wording is not exact: NETLOGON 5722 (unverified) and Schannel
    // 36872 (its line breaks are not known, as its source block says).
    let approx: Vec<(String, u32)> = message::templates()
        .iter()
        .filter(|t| !t.exact)
        .flat_map(|t| t.providers.iter().map(move |p| (p.to_string(), t.event_id)))
        .collect();
    assert_eq!(approx, [("NETLOGON".to_string(), 5722), ("Schannel".to_string(), 36872)]);
}

#[test]
fn render_into_appends_what_render_returns() {
    let scm = event("Service Control Manager", 7023, &[("param1", "IP Helper"), ("param2", "%%1058")]);
    let fallback = event("NETLOGON", 9999, &[("", "x"), ("Code", "%%5"), ("", "%%999999")]);
    let mut given = event("Some Provider", 1, &[]);
    given.message = Some("Already rendered.".into());
    let mut out = String::from("prefix|");
    for e in [&scm, &fallback, &given] {
        let start = out.len();
        message::render_into(e, &mut out);
        assert_eq!(&out[start..], message::render(e));
    }
    assert!(out.starts_with("prefix|The IP Helper service terminated"));
    // The fallback shows Win32 messages of `%%N` values for Win32 providers,
    // and leaves unknown codes (and plain values) alone.
    assert_eq!(message::render(&fallback), "NETLOGON 9999 | x | Code=%%5 (Access is denied.) | %%999999");
    // A provider known only by GUID, or by nothing, in the fallback.
    let mut anon = event("", 42, &[("", "v")]);
    assert_eq!(message::render(&anon), "Event 42 | v");
    anon.provider.name = None;
    assert_eq!(message::render(&anon), "Event 42 | v");
}

#[test]
fn param_n_names_match_case_insensitively_and_exactly() {
    // `%2` takes the item named param2 (any case) over position 2, but not
    // `param02` or `param2x`.
    let t = "[%1] [%2]";
    let e = event("P", 1, &[("PARAM2", "two"), ("x", "first")]);
    assert_eq!(message::fill(t, &e), "[two] [two]");
    let e = event("P", 1, &[("param02", "a"), ("param2x", "b")]);
    assert_eq!(message::fill(t, &e), "[a] [b]");
    let e = event("P", 1, &[("param1", "one"), ("Param12", "twelve")]);
    assert_eq!(message::fill("%12 %1 %3", &e), "twelve one %3");
}

#[test]
fn expand_insertions_with_stray_percent_signs() {
    // 58: "The specified server cannot perform the requested operation."
    let m58 = message::expand_insertions("%%58");
    assert_eq!(m58, "The specified server cannot perform the requested operation.");
    for (value, want) in [
        ("", String::new()),
        ("%", "%".to_string()),
        ("%%", "%%".to_string()),
        ("100% done", "100% done".to_string()),
        ("a%b%%58c", format!("a%b{m58}c")),
        ("%%%58", "%%%58".to_string()),
        ("% %%58%", format!("% {m58}%")),
        ("%%999999 and %%58", format!("%%999999 and {m58}")),
    ] {
        assert_eq!(message::expand_insertions(value), want, "{value:?}");
    }
}

#[test]
fn template_rows_are_unique_across_files() {
    // A (provider, id, version) defined twice would shadow one row silently.
    let mut seen = std::collections::HashSet::new();
    for t in message::templates() {
        for p in &t.providers {
            assert!(
                seen.insert((p.to_ascii_lowercase(), t.event_id, t.version)),
                "{p} {} {:?} has two template rows",
                t.event_id,
                t.version
            );
        }
    }
    assert!(seen.len() >= 44, "{}", seen.len());
}

#[test]
fn processing_error_data_shows_its_payload_strings() {
    // A 104 whose values did not fit its template: Windows wrote
    // ProcessingErrorData (corpus: anotherc0ne_EventLog_System.evtx record 62782).
    let payload = "410064006D0069006E006900730074007200610074006F007200000045004300320041004D0041005A002D00470051003000480045004B0044000000530079007300740065006D0000000000";
    let e = event(
        "Microsoft-Windows-Eventlog",
        104,
        &[("ErrorCode", "15005"), ("DataItemName", "ClientProcessId"), ("EventPayload", payload)],
    );
    assert!(message::processing_error(&e) && message::template_for(&e).is_none());
    assert_eq!(
        message::render(&e),
        "Microsoft-Windows-Eventlog 104 | ErrorCode=15005 | DataItemName=ClientProcessId | EventPayload=Administrator | \
         EC2AMAZ-GQ0HEKD | System"
    );
    assert_eq!(message::source_of(&e), evtriage_core::MessageSource::Raw);
    // Binary payloads stay hex.
    assert_eq!(message::payload_strings("0100FF00"), None);
    assert_eq!(message::payload_strings("zz"), None);
}

#[test]
fn shown_by_template_tells_what_the_details_tab_keeps() {
    // Eventlog 104's message names the log only; who cleared it is in Details.
    let e = event(
        "Microsoft-Windows-Eventlog",
        104,
        &[("SubjectUserName", "jwrig"), ("SubjectDomainName", "DESKTOP"), ("Channel", "System"), ("BackupPath", "")],
    );
    assert_eq!(message::shown_by_template(&e), Some(vec![false, false, true, false]));
    // SCM 7023 shows both of its insertions, by paramN name.
    let e = event("Service Control Manager", 7023, &[("param1", "Intersite Messaging"), ("param2", "%%58")]);
    assert_eq!(message::shown_by_template(&e), Some(vec![true, true]));
    assert_eq!(message::shown_by_template(&event("Nobody", 1, &[("a", "b")])), None);
}
