//! Every text input format, read from the fixtures in `fixtures/inputs/`
//! (written by this project), through the public `Reader`.

use std::path::PathBuf;

use evtriage_core::{Collect, Format, InputSummary, Locator, Protocol, Reader, Record, RegData, Severity};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs").join(name)
}

fn read(name: &str) -> (InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::default().read_file(&fixture(name), &mut sink);
    (summary, sink)
}

fn skipped_lines(sink: &Collect) -> Vec<u64> {
    sink.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Skipped)
        .filter_map(|d| match d.locator {
            Locator::Line { line } => Some(line),
            _ => None,
        })
        .collect()
}

#[test]
fn event_viewer_export_keeps_system_data_and_message() {
    let (summary, sink) = read("eventviewer_system_ismserv.xml");
    assert_eq!(summary.format, Format::EventXml);
    assert_eq!((summary.records, summary.skipped), (3, 0));
    let events: Vec<_> = sink.events().collect();
    let e = events[0];
    assert_eq!(e.provider.name.as_deref(), Some("Service Control Manager"));
    assert_eq!(e.event_id, 7023);
    assert_eq!(e.qualifiers, Some(49152));
    assert_eq!(e.level, Some(2));
    assert_eq!(e.record_id, Some(88213));
    assert_eq!(e.computer.as_deref(), Some("DC1.contoso.com"));
    assert_eq!(e.field("param1"), Some("Intersite Messaging"));
    assert_eq!(e.field("param2"), Some("%%58"));
    assert_eq!(e.time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T06:01:14.120339100+00:00"));
    assert_eq!(e.binary.as_ref().map(Vec::len), Some(16));
    assert!(e.message.as_deref().is_some_and(|m| m.starts_with("The Intersite Messaging service terminated")));
    assert_eq!(e.origin.locator, Locator::Line { line: 3 });
    // Classic event with unnamed data, an empty item and an entity.
    let e = events[2];
    assert_eq!((e.event_id, e.user_sid.as_deref()), (4086, Some("S-1-5-18")));
    assert_eq!(e.data.len(), 3);
    assert_eq!(e.field("param2"), Some(""));
    assert_eq!(e.field("%3"), Some("CN=Site-A & B,CN=Sites,CN=Configuration,DC=contoso,DC=com"));
}

#[test]
fn wevtutil_output_survives_truncated_and_malformed_elements() {
    let (summary, sink) = read("wevtutil_system_truncated.xml");
    assert_eq!(summary.format, Format::EventXml);
    assert_eq!((summary.records, summary.skipped), (3, 2));
    assert_eq!(skipped_lines(&sink), [2, 4]);
    let events: Vec<_> = sink.events().collect();
    assert_eq!(events.iter().map(|e| e.event_id).collect::<Vec<_>>(), [104, 5719, 7036]);
    // UserData flattened.
    assert_eq!(events[0].data_named("SubjectUserName"), Some("Administrator"));
    assert_eq!(events[0].data_named("BackupPath"), Some(""));
    // Offset time converted to UTC.
    assert_eq!(events[1].time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T14:01:20+00:00"));
    assert_eq!(events[1].binary.as_deref(), Some(&[0x5e, 0, 0, 0xc0][..]));
    assert_eq!(events[1].data.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(), ["CONTOSO", "%%1311", ""]);
    assert_eq!(events[2].origin.locator, Locator::Line { line: 5 });
}

#[test]
fn tracerpt_xml_times_to_utc_and_ldap_parsed() {
    let (summary, sink) = read("tracerpt_ldap_client.xml");
    assert_eq!(summary.format, Format::TracerptXml);
    let events: Vec<_> = sink.events().collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T06:01:11.412+00:00"));
    assert_eq!(events[0].process_id, Some(2412));
    assert_eq!(events[0].trace.as_ref().and_then(|t| t.processor), Some(1));
    assert_eq!(events[0].channel, None);
    let ldap = events[1].trace.as_ref().and_then(|t| t.ldap.as_ref()).expect("ldap parsed");
    assert_eq!(
        (ldap.operation.as_str(), ldap.connection, ldap.error, ldap.failed),
        ("LdapConnect", Some(0x1a2b3c40), Some(0x5b), true)
    );
    let first = events[0].trace.as_ref().and_then(|t| t.ldap.as_ref()).expect("ldap parsed");
    assert_eq!(first.timeout_ms, Some(45_000));
    assert_eq!(events[1].message.as_deref(), Some("LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b."));
}

#[test]
fn tracerpt_csv_columns_by_name() {
    let (summary, sink) = read("tracerpt_ldap_client.csv");
    assert_eq!(summary.format, Format::TracerptCsv);
    assert_eq!((summary.records, summary.skipped), (3, 1));
    let events: Vec<_> = sink.events().collect();
    assert_eq!(events[0].provider.name.as_deref(), Some("Microsoft-Windows-LDAP-Client"));
    assert_eq!(events[0].time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T06:01:11.412+00:00"));
    assert_eq!(events[0].keywords, Some(0x100));
    assert_eq!((events[0].process_id, events[0].thread_id), (Some(2412), Some(3296)));
    // The float FILETIME keeps millisecond precision.
    assert_eq!(events[1].time.map(|t| t.format("%H:%M:%S%.3f").to_string()).as_deref(), Some("06:01:12.412"));
    let ldap = events[1].trace.as_ref().and_then(|t| t.ldap.as_ref()).expect("ldap parsed");
    assert_eq!(ldap.error, Some(0x5b));
    assert_eq!(events[2].time, None);
    assert!(sink.diagnostics.iter().any(|d| d.severity == Severity::Note && d.locator == Locator::Line { line: 5 }));
}

#[test]
fn etw_text_glued_records_prefixes_and_utf16() {
    for name in ["ldap_client_trace.txt", "ldap_client_trace_utf16.txt"] {
        let (summary, sink) = read(name);
        assert_eq!(summary.format, Format::EtwText, "{name}");
        assert_eq!((summary.records, summary.skipped), (5, 1), "{name}");
        assert_eq!(skipped_lines(&sink), [3]);
        let events: Vec<_> = sink.events().collect();
        assert!(events.iter().all(|e| e.provider.name.as_deref() == Some("Microsoft-Windows-LDAP-Client")));
        assert!(events.iter().all(|e| e.channel.as_deref() == Some("Debug")));
        // Two records on line 2.
        let line2: Vec<_> = events.iter().filter(|e| e.origin.locator == Locator::Line { line: 2 }).collect();
        assert_eq!(line2.len(), 2);
        assert_eq!(
            line2[0].message.as_deref(),
            Some("LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.")
        );
        let ldap: Vec<_> = events.iter().filter_map(|e| e.trace.as_ref()?.ldap.as_ref()).collect();
        assert_eq!(ldap.len(), 5);
        assert_eq!(ldap[2].connection, Some(0xec4b08a8));
        assert_eq!(ldap[2].timeout_ms, Some(45_000));
        // tracefmt prefix: processor, hex pid/tid, time.
        let e = events[3];
        assert_eq!((e.process_id, e.thread_id), (Some(0x96c), Some(0xce0)));
        assert_eq!(e.trace.as_ref().and_then(|t| t.processor), Some(1));
        assert_eq!(e.time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T06:01:13.412+00:00"));
        assert_eq!(e.trace.as_ref().and_then(|t| t.ldap.as_ref()).map(|l| l.error), Some(Some(0x5b)));
        // ISO time prefix with a tool column.
        assert_eq!(events[4].time.map(|t| t.to_rfc3339()).as_deref(), Some("2024-03-02T06:01:14.500+00:00"));
        assert_eq!(events[4].trace.as_ref().and_then(|t| t.ldap.as_ref()).and_then(|l| l.error), Some(81));
    }
}

fn sockets(sink: &Collect) -> Vec<&evtriage_core::SocketEntry> {
    sink.records
        .iter()
        .filter_map(|r| match r {
            Record::Socket(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn netstat_ano_utf16_with_ipv6_and_udp() {
    let (summary, sink) = read("netstat_ano_dc1_utf16.txt");
    assert_eq!(summary.format, Format::Netstat);
    assert_eq!((summary.records, summary.skipped), (11, 1));
    assert_eq!(skipped_lines(&sink), [16]);
    let s = sockets(&sink);
    let port =
        |p: u16, proto: Protocol| s.iter().filter(|e| e.local_port == p && e.protocol == proto).collect::<Vec<_>>();
    assert_eq!(port(3101, Protocol::Tcp)[0].pid, Some(2384));
    let radius = port(1812, Protocol::Udp)[0];
    assert_eq!((radius.pid, radius.state.as_deref(), radius.is_listening()), (Some(2244), None, true));
    assert_eq!(radius.remote_address.as_deref(), Some("*"));
    assert_eq!(radius.remote_port, None);
    let smtp = port(25, Protocol::Tcp);
    assert_eq!(smtp.len(), 2);
    assert!(smtp.iter().all(|e| e.pid == Some(1880)));
    let smb = port(445, Protocol::Tcp)[0];
    assert_eq!((smb.ipv6, smb.local_address.as_str(), smb.pid), (true, "::", Some(4)));
    let ll = port(389, Protocol::Tcp);
    assert!(ll.iter().any(|e| e.local_address == "fe80::4d2:1c3a:9b0e:77f1%6" && e.remote_port == Some(50001)));
    assert_eq!(s[0].origin.locator, Locator::Line { line: 5 });
}

#[test]
fn netstat_anob_services_images_and_names() {
    let (summary, sink) = read("netstat_anob_ex1.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::Netstat, 8, 0));
    let s = sockets(&sink);
    assert_eq!(s[0].image.as_deref(), Some("EdgeTransport.exe"));
    assert_eq!((s[1].services.as_slice(), s[1].image.as_deref()), (&["RpcSs".to_string()][..], Some("svchost.exe")));
    assert_eq!((s[2].pid, s[2].image.as_deref()), (Some(4), None));
    assert_eq!(s[3].services, ["BlackBerryController"]);
    assert_eq!(s[5].services, ["IAS"]);
    assert_eq!((s[7].remote_address.as_deref(), s[7].remote_port), (Some("dc1.contoso.com"), None));
}

#[test]
fn tcpvcon_both_layouts() {
    let (summary, sink) = read("tcpvcon_v4.csv");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::Tcpvcon, 5, 1));
    let s = sockets(&sink);
    assert_eq!((s[0].image.as_deref(), s[0].pid, s[0].local_port), (Some("lsass.exe"), Some(712), 0));
    assert_eq!((s[2].protocol, s[2].state.as_deref()), (Protocol::Udp, None));
    assert_eq!((s[3].ipv6, s[3].local_address.as_str()), (true, "0:0:0:0:0:0:0:0"));
    let (summary, sink) = read("tcpvcon_ports.csv");
    assert_eq!((summary.records, summary.skipped), (3, 0));
    let s = sockets(&sink);
    assert_eq!((s[0].local_port, s[0].pid, s[0].remote_port), (3101, Some(2384), Some(0)));
    assert_eq!((s[1].local_port, s[1].remote_address.as_deref()), (1812, Some("*")));
    assert_eq!((s[2].local_port, s[2].image.as_deref()), (25, Some("EdgeTransport.exe")));
}

#[test]
fn tasklist_svc_wrapped_services() {
    let (summary, sink) = read("tasklist_svc.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::Tasklist, 8, 1));
    let procs: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Process(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!((procs[0].image.as_str(), procs[0].pid, procs[0].services.len()), ("System Idle Process", 0, 0));
    assert_eq!(procs[2].services, ["Kdc", "KeyIso", "Netlogon", "NTDS", "SamSs"]);
    let wrapped = procs.iter().find(|p| p.pid == 1212).expect("1212");
    assert_eq!(wrapped.services.len(), 13);
    assert_eq!(wrapped.services.last().map(String::as_str), Some("Winmgmt"));
    assert_eq!(wrapped.origin.locator, Locator::Line { line: 7 });
    assert!(procs.iter().any(|p| p.pid == 2244 && p.services == ["IAS"]));
}

#[test]
fn reg_export_utf16_typed_values() {
    let (summary, sink) = read("ismserv_imc_utf16.reg");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::Reg, 16, 1));
    let values: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Registry(v) => Some(v),
            _ => None,
        })
        .collect();
    let get =
        |key_end: &str, name: &str| values.iter().find(|v| v.key.ends_with(key_end) && v.name == name).map(|v| &v.data);
    assert_eq!(get("\\IsmServ", "Start"), Some(&RegData::Dword(2)));
    assert_eq!(get("\\IsmServ", "DelayedAutostart"), Some(&RegData::Dword(1)));
    assert_eq!(get("\\IsmServ", "ImagePath"), Some(&RegData::ExpandSz("%SystemRoot%\\System32\\ismserv.exe".into())));
    assert_eq!(get("\\IsmServ", "DependOnService"), Some(&RegData::MultiSz(vec!["RpcSs".into(), "NTDS".into()])));
    assert_eq!(get("\\Control", "ServicesPipeTimeout"), Some(&RegData::Dword(120_000)));
    assert_eq!(get("\\Control", ""), Some(&RegData::Sz("default \"quoted\" C:\\Windows".into())));
    assert_eq!(
        get("\\Tcpip\\Parameters", "ReservedPorts"),
        Some(&RegData::MultiSz(vec!["3101-3101".into(), "1812-1813".into()]))
    );
    assert_eq!(get("\\Tcpip\\Parameters", "MaxUserPort"), Some(&RegData::Qword(65534)));
    assert_eq!(
        get("\\MSExchangeIMC\\Parameters", "SiteDN"),
        Some(&RegData::Sz("/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)".into()))
    );
    assert_eq!(get("\\MSExchangeIMC\\Parameters", "Obsolete"), Some(&RegData::Delete));
    assert_eq!(get("\\Contoso\\OldAgent", ""), Some(&RegData::DeleteKey));
    assert!(
        matches!(get("\\IsmServ", "FailureActions"), Some(RegData::Binary { kind: 3, bytes }) if bytes.len() == 28)
    );
    assert_eq!(skipped_lines(&sink), [21]);
}

#[test]
fn powershell_format_list_and_error() {
    let (summary, sink) = read("test_outlookwebservices.txt");
    assert_eq!((summary.format, summary.records, summary.skipped), (Format::PowerShellList, 4, 0));
    let cmds: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Command(c) => Some(c),
            _ => None,
        })
        .collect();
    assert!(cmds.iter().all(|c| c.command.as_deref() == Some("Test-OutlookWebServices")));
    assert_eq!((cmds[0].property("Id"), cmds[0].property("Type")), (Some("1003"), Some("Information")));
    assert_eq!(
        cmds[1].property("Message"),
        Some("When contacting https://mail.contoso.com/autodiscover/autodiscover.xml received the error The remote server returned an error: (401) Unauthorized.")
    );
    assert!(!cmds[1].is_error);
    let err = cmds[3];
    assert!(err.is_error);
    assert_eq!(err.property("Message"), Some("Object reference not set to an instance of an object."));
    assert_eq!(err.property("Position"), Some("line:1 char:24"));
    assert_eq!(
        err.property("CategoryInfo"),
        Some("NotSpecified: (:) [Test-OutlookWebServices], NullReferenceException")
    );
    assert!(err.property("FullyQualifiedErrorId").is_some_and(|v| v.starts_with("System.NullReferenceException")));
    assert_eq!(err.origin.locator, Locator::Line { line: 18 });
}

#[test]
fn binary_and_unknown_inputs_are_reported_not_parsed() {
    let reader = Reader::default();
    let mut sink = Collect::default();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let s = reader.read_bytes("noise.bin".into(), &garbage, &mut sink);
    assert_eq!((s.format, s.records), (Format::Unknown, 0));
    assert!(sink.diagnostics.iter().any(|d| d.message.contains("binary") || d.message.contains("encoding")));
    let mut sink = Collect::default();
    let s = reader.read_bytes("notes.txt".into(), b"remember to reboot DC1\n", &mut sink);
    assert_eq!((s.format, s.records), (Format::Unknown, 0));
    assert!(sink.diagnostics[0].message.contains("text, but not a format"));
}
