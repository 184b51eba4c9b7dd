//! Application-channel templates (`data/templates/application.tsv`) on real
//! corpus records, read through the [`Reader`] as users read them: the
//! rendered message of one record per provider, insertions included.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::message;
use evtriage_core::{Collect, DataItem, Event, Locator, Origin, Reader};
use evtriage_testutil::corpus;

/// Every event of one corpus file.
fn events(path: &PathBuf) -> Vec<Event> {
    let mut sink = Collect::default();
    Reader::default().read_paths(std::slice::from_ref(path), &mut sink);
    sink.events().cloned().collect()
}

/// The event with `record_id`, checked to be `provider`'s `event_id`.
fn record<'a>(events: &'a [Event], record_id: u64, provider: &str, event_id: u32) -> &'a Event {
    let e = events.iter().find(|e| e.record_id == Some(record_id)).unwrap_or_else(|| panic!("record {record_id} read"));
    assert_eq!((e.provider.name.as_deref(), e.event_id), (Some(provider), event_id), "record {record_id}");
    assert!(message::template_for(e).is_some(), "record {record_id} has a template row");
    e
}

const DFSR_DB: &str = r"\\.\C:\System Volume Information\DFSR\database_94B8_CF06_B8CE_E5B8\dfsr.db";

#[test]
fn windows_server_2022_domain_controller() {
    let Some(p) = corpus("evtx/anotherc0ne_AD-DC_Application.evtx") else { return };
    let ev = events(&p);

    let e = record(&ev, 8093, "Microsoft-Windows-LoadPerf", 1000);
    assert_eq!(
        message::render(e),
        "Performance counters for the ADWS (Active Directory Web Services) service were loaded successfully. The \
         Record Data in the data section contains the new index values assigned to this service."
    );

    let e = record(&ev, 8076, "Microsoft-Windows-Security-SPP", 16384);
    assert_eq!(
        message::render(e),
        "Successfully scheduled Software Protection service for re-start at 2023-05-31T01:12:17Z. Reason: RulesEngine."
    );
    let e = record(&ev, 8024, "Microsoft-Windows-Security-SPP", 16394);
    assert_eq!(message::render(e), "Offline downlevel migration succeeded.");
    let e = record(&ev, 8035, "Microsoft-Windows-Security-SPP", 1034);
    assert_eq!(
        message::render(e),
        "Duplicate definition of policy found. Policy name=AAD-BlockAADWorkplaceJoin-Default  Priority=100"
    );
    let e = record(&ev, 8048, "Microsoft-Windows-Security-SPP", 900);
    assert_eq!(message::render(e), "The Software Protection service is starting.\nParameters:TriggerStarted:6");
    let e = record(&ev, 8053, "Microsoft-Windows-Security-SPP", 902);
    assert_eq!(message::render(e), "The Software Protection service has started.\n10.0.20348.1726");
    let e = record(&ev, 8037, "Microsoft-Windows-Security-SPP", 1003);
    let status = e.data_at(1).unwrap_or_default();
    assert!(status.starts_with("\n1: 0dc876e0-7ab8-41c1-b8ba-2237d484cd26, 1, 0 "), "{status}");
    assert_eq!(
        message::render(e),
        format!(
            "The Software Protection service has completed licensing status check.\nApplication \
             Id=55c92734-d682-4d71-983e-d6ec3f16059f\nLicensing Status={status}"
        )
    );

    let e = record(&ev, 8089, "ESENT", 102);
    assert_eq!(
        message::render(e),
        format!("DFSRs (2876,P,98) {DFSR_DB}: The database engine (10.00.20348.0000) is starting a new instance (0).")
    );
    let e = record(&ev, 8127, "ESENT", 326);
    let timing = e.data_at(6).unwrap_or_default();
    assert!(timing.starts_with("\n[1] 0.000005 +J(0)"), "{timing}");
    assert_eq!(
        message::render(e),
        format!(
            "DFSRs (2860,D,50) {DFSR_DB}: The database engine attached a database (1, {DFSR_DB}). (Time=0 \
             seconds)\n\n\n\nSaved Cache: 0 0\n\nAdditional Data: lgposAttach = 00000001:0103:0268,\ndbv = 1568.180.400 \
             (9360)\n\n\n\nInternal Timing Sequence: {timing}"
        )
    );
    let e = record(&ev, 8499, "ESENT", 300);
    assert_eq!(
        message::render(e),
        "svchost (7708,R,98) DS_Token_DB: The database engine is initiating recovery steps."
    );

    let e = record(&ev, 8044, "Desktop Window Manager", 9027);
    assert_eq!(message::render(e), "The Desktop Window Manager has registered the session port.");
    let e = record(&ev, 8029, "Microsoft-Windows-User Profiles Service", 1531);
    assert_eq!(message::render(e), "The User Profile Service has started successfully.  \n\n");
    let e = record(&ev, 8030, "Microsoft-Windows-WMI", 5615);
    assert_eq!(message::render(e), "Windows Management Instrumentation Service started sucessfully");
    let e = record(&ev, 8706, "Microsoft-Windows-RestartManager", 10000);
    assert_eq!(message::render(e), "Starting session 0 - 2023-05-31T01:43:10.9769595Z.");
    let e = record(&ev, 8708, "Microsoft-Windows-RestartManager", 10001);
    assert_eq!(message::render(e), "Ending session 0 started 2023-05-31T01:43:10.9769595Z.");
}

#[test]
fn windows_7_client() {
    let Some(p) = corpus("evtx/deepbluecli_many-events-application.evtx") else { return };
    let ev = events(&p);

    let e = record(&ev, 7, "Microsoft-Windows-Security-SPP", 1004);
    assert_eq!(
        message::render(e),
        "The Software Protection service has successfully installed the license.\nLicense Title=Windows(TM) - \
         Component PPD License (DirectExperience)\nLicense Id=63f7d6b3-2b29-5864-50cf-9f7231237dbe"
    );
    let e = record(&ev, 168, "Desktop Window Manager", 9009);
    assert_eq!(message::render(e), "The Desktop Window Manager has exited with code (0x40010004)");
    let e = record(&ev, 1170, "Microsoft-Windows-RestartManager", 10002);
    assert_eq!(message::render(e), "Shutting down application or service 'Print Spooler'.");
    let e = record(&ev, 170, "Microsoft-Windows-User Profiles Service", 1530);
    let detail = e.data_at(0).unwrap_or_default();
    assert!(detail.starts_with("1 user registry handles leaked from \\Registry\\User\\S-1-5-21-"), "{detail}");
    assert_eq!(
        message::render(e),
        format!(
            "Windows detected your registry file is still in use by other applications or services. The file will be \
             unloaded now. The applications or services that hold your registry file may not function properly \
             afterwards. No user action is required.  \n\n DETAIL - \n {detail}"
        )
    );
    let e = record(&ev, 266, "Microsoft-Windows-LoadPerf", 1002);
    assert_eq!(
        message::render(e),
        "Performance counters for the .NET CLR Networking 4.0.0.0 (.NET CLR Networking 4.0.0.0) service are already \
         in the registry, no need to reinstall. This only happens when you install the same counter twice. The second \
         time install will generate this event."
    );
    let e = record(&ev, 1749, "MsiInstaller", 1025);
    assert_eq!(
        message::render(e),
        r"Product: Microsoft .NET Framework 4.5. The file C:\Windows\Microsoft.NET\Framework\v4.0.30319\mscoreei.dll is being used by the following process: Name: powershell_ise , Id 2332."
    );
    let e = record(&ev, 267, "MsiInstaller", 1022);
    assert_eq!(
        message::render(e),
        "Product: Microsoft .NET Framework 4 Client Profile - Update 'KB2789642' installed successfully."
    );
}

/// A built event with unnamed data items and the given event version.
fn event(provider: &str, id: u32, version: Option<u8>, data: &[&str]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.version = version;
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e
}

#[test]
fn windows_server_2022_application_events() {
    let Some(p) = corpus("evtx/anotherc0ne_AD-DC_Application.evtx") else { return };
    let ev = events(&p);

    let e = record(&ev, 8550, "Application Error", 1000);
    assert_eq!(e.version, Some(0));
    assert_eq!(
        message::render(e),
        "Faulting application name: mmc.exe, version: 10.0.20348.1726, time stamp: 0x7a11cb77\nFaulting module \
         name: GPOAdminCustom.dll, version: 10.0.20348.803, time stamp: 0xde3b8d94\nException code: \
         0xc0000005\nFault offset: 0x00000000000ac79d\nFaulting process id: 0x1ab0\nFaulting application start \
         time: 0x01d99288e71af0ad\nFaulting application path: C:\\Windows\\system32\\mmc.exe\nFaulting module path: \
         C:\\Windows\\System32\\GPOAdminCustom.dll\nReport Id: 2d3292e6-68e2-4b53-839c-d3138afa28ba\nFaulting \
         package full name: \nFaulting package-relative application ID: "
    );

    let e = record(&ev, 9125, "Application Hang", 1002);
    assert_eq!(
        message::render(e),
        "The program SecHealthUI.exe version 10.0.20348.1070 stopped interacting with Windows and was closed. To \
         see if more information about the problem is available, check the problem history in the Security and \
         Maintenance control panel.\n\nProcess ID: 2408\n\nStart Time: 01d9983514fcbc04\n\nTermination Time: \
         4294967295\n\nApplication Path: \
         C:\\Windows\\SystemApps\\Microsoft.Windows.SecHealthUI_cw5n1h2txyewy\\SecHealthUI.exe\n\nReport Id: \
         8a9080b3-0857-407b-99e2-1b2b3494c5b6\n\nFaulting package full name: \
         Microsoft.Windows.SecHealthUI_10.0.20348.859_neutral__cw5n1h2txyewy\n\nFaulting package-relative \
         application ID: SecHealthUI\n\nHang type: Cross-process"
    );

    let msi = r"C:\Users\Administrator\Downloads\Administrative Templates (.admx) for Windows Server 2022 August 2021 Update.msi";
    let e = record(&ev, 8705, "MsiInstaller", 1040);
    assert_eq!(
        message::render(e),
        format!("Beginning a Windows Installer transaction: {msi}. Client Process Id: 6772.")
    );
    let e = record(&ev, 8707, "MsiInstaller", 1042);
    assert_eq!(message::render(e), format!("Ending a Windows Installer transaction: {msi}. Client Process Id: 6772."));
    let e = record(&ev, 8710, "MsiInstaller", 1033);
    assert_eq!(
        message::render(e),
        "Windows Installer installed the product. Product Name: Administrative Templates (.admx) for Windows Server \
         2022 August 2021 Update. Product Version: 1.0.0. Product Language: 1033. Manufacturer: Microsoft \
         Coporation. Installation success or error status: 0."
    );
    let e = record(&ev, 9110, "MsiInstaller", 1035);
    assert_eq!(
        message::render(e),
        "Windows Installer reconfigured the product. Product Name: UniversalForwarder. Product Version: 9.0.5.0. \
         Product Language: 1033. Manufacturer: Splunk, Inc.. Reconfiguration success or error status: 1603."
    );
    let e = record(&ev, 9116, "MsiInstaller", 1034);
    assert_eq!(
        message::render(e),
        "Windows Installer removed the product. Product Name: UniversalForwarder. Product Version: 9.0.5.0. Product \
         Language: 1033. Manufacturer: Splunk, Inc.. Removal success or error status: 0."
    );
    let e = record(&ev, 9109, "MsiInstaller", 11729);
    assert_eq!(message::render(e), "Product: UniversalForwarder -- Configuration failed.");

    let e = record(&ev, 8153, "Microsoft-Windows-Winlogon", 6000);
    assert_eq!(
        message::render(e),
        "The winlogon notification subscriber <WSearch> was unavailable to handle a notification event."
    );

    let e = record(&ev, 8223, "ESENT", 700);
    assert_eq!(
        message::render(e),
        format!("DFSRs (2984,D,0) {DFSR_DB}: Online defragmentation is beginning a full pass on database '{DFSR_DB}'.")
    );
    let e = record(&ev, 8224, "ESENT", 701);
    assert_eq!(
        message::render(e),
        format!(
            "DFSRs (2984,D,0) {DFSR_DB}: Online defragmentation has completed a full pass on database '{DFSR_DB}', \
             freeing 0 pages. This pass started on 5/29/2023 and ran for a total of 0 seconds, requiring 1 \
             invocations over 1 days. Since the database was created it has been fully defragmented 1 times."
        )
    );

    let e = record(&ev, 8079, "Microsoft-Windows-MSDTC 2", 4202);
    assert_eq!(
        message::render(e),
        "MSDTC started with the following settings:\n\n Security Configuration (OFF = 0 and ON = 1):\n Allow Remote \
         Administrator = 0,\n Network Clients = 0,\n Transaction Manager Communication: \n Allow Inbound \
         Transactions = 0,\n Allow Outbound Transactions = 0,\n Transaction Internet Protocol (TIP) = 0,\n  Enable \
         XA Transactions = 0,\n  Enable SNA LU 6.2 Transactions = 1,\n  MSDTC Communications Security = Mutual \
         Authentication Required,\n Account = NT AUTHORITY\\NetworkService,\n  Firewall Exclusion Detected = 0\n\n \
         Transaction Bridge Installed = 0\n Filtering Duplicate Events = 1"
    );
}

#[test]
fn windows_7_application_events() {
    let Some(p) = corpus("evtx/deepbluecli_many-events-application.evtx") else { return };
    let ev = events(&p);

    let e = record(&ev, 1590, "Application Error", 1000);
    assert_eq!(e.version, None);
    assert_eq!(
        message::render(e),
        "Faulting application name: rundll32.exe, version: 6.1.7600.16385, time stamp: 0x4a5bc637\nFaulting module \
         name: KERNELBASE.dll, version: 6.1.7601.23392, time stamp: 0x56eb2fb9\nException code: 0xc0000005\nFault \
         offset: 0x00000003\nFaulting process id: 0xffc\nFaulting application start time: 0x01d1f98cb1cb25dd\n\
         Faulting application path: C:\\Windows\\system32\\rundll32.exe\nFaulting module path: \
         C:\\Windows\\system32\\KERNELBASE.dll\nReport Id: efc65f51-657f-11e6-8eb4-000c290d8d3a"
    );

    let e = record(&ev, 154, "Windows Error Reporting", 1001);
    assert_eq!(
        message::render(e),
        "Fault bucket , type 0\nEvent Name: WindowsUpdateFailure\nResponse: Not available\nCab Id: 0\n\nProblem \
         signature:\nP1: 7.3.7600.16385\nP2: 8024001f\nP3: 00000000-0000-0000-0000-000000000000\nP4: Scan\nP5: \
         101\nP6: Unmanaged\nP7: \nP8: \nP9: \nP10: \n\nAttached files:\n\nThese files may be available here:\n\
         C:\\ProgramData\\Microsoft\\Windows\\WER\\ReportQueue\\NonCritical_7.3.7600.16385_1874fcef6224e42694c8b30caacce43071e7c1_cab_0b81fae2\
         \n\nAnalysis symbol: \nRechecking for solution: 0\nReport Id: a86962e8-3bff-11e3-ad72-00155de6c5e3\nReport \
         Status: 4"
    );

    let e = record(&ev, 268, "MsiInstaller", 1036);
    assert_eq!(
        message::render(e),
        "Windows Installer installed an update. Product Name: Microsoft .NET Framework 4 Client Profile. Product \
         Version: 4.0.30319. Product Language: 0. Manufacturer: Microsoft Corporation. Update Name: KB2789642. \
         Installation success or error status: 0."
    );
    let e = record(&ev, 1179, "MsiInstaller", 1038);
    assert_eq!(
        message::render(e),
        "Windows Installer requires a system restart. Product Name: VMware Tools. Product Version: 9.6.2.1688356. \
         Product Language: 1033. Manufacturer: VMware, Inc.. Type of System Restart: 1. Reason for Restart: 2."
    );
    let e = record(&ev, 1185, "MsiInstaller", 1005);
    assert_eq!(
        message::render(e),
        "The Windows Installer initiated a system restart to complete or continue the configuration of 'VMware Tools'."
    );
    let e = record(&ev, 1782, "MsiInstaller", 1029);
    assert_eq!(
        message::render(e),
        "Product: Microsoft .NET Framework 4.5. Restart required. The installation or update for the product \
         required a restart for all changes to take effect.  The restart was deferred to a later time."
    );
    let e = record(&ev, 1724, "MsiInstaller", 11708);
    assert_eq!(message::render(e), "Product: EMET 5.51 -- Installation failed.");
    let e = record(&ev, 269, "MsiInstaller", 11728);
    assert_eq!(
        message::render(e),
        "Product: Microsoft .NET Framework 4 Client Profile -- Configuration completed successfully."
    );

    let e = record(&ev, 86, "Microsoft-Windows-Winlogon", 4101);
    assert_eq!(message::render(e), "Windows license validated.");
    let e = record(&ev, 811, "Microsoft-Windows-Winlogon", 4105);
    assert_eq!(message::render(e), "Windows is in Notification period.");
    let e = record(&ev, 812, "Microsoft-Windows-Winlogon", 4104);
    assert_eq!(message::render(e), "Accessing Windows in Notification period.");
    let e = record(&ev, 1118, "Microsoft-Windows-Winlogon", 6003);
    assert_eq!(
        message::render(e),
        "The winlogon notification subscriber <TrustedInstaller> was unavailable to handle a critical notification \
         event."
    );
    let e = record(&ev, 181, "Microsoft-Windows-Winlogon", 6004);
    assert_eq!(
        message::render(e),
        "The winlogon notification subscriber <TrustedInstaller> failed a critical notification event."
    );
}

/// Layouts the corpus has no record of: Windows 7's Application Hang (no
/// version, 7 values) and Windows 10's WER 1001 (version 0, 23 values).
#[test]
fn layouts_by_event_version() {
    let e = event(
        "Application Hang",
        1002,
        None,
        &["notepad.exe", "6.1.7600.16385", "f3c", "01d1f98cb1cb25dd", "0", r"C:\Windows\notepad.exe", "b1c2"],
    );
    assert_eq!(
        message::render(&e),
        "The program notepad.exe version 6.1.7600.16385 stopped interacting with Windows and was closed. To see if \
         more information about the problem is available, check the problem history in the Action Center control \
         panel.\n\nProcess ID: f3c\n\nStart Time: 01d1f98cb1cb25dd\n\nTermination Time: 0\n\nApplication Path: \
         C:\\Windows\\notepad.exe\n\nReport Id: b1c2"
    );

    let mut data: Vec<String> = ["1234", "5", "APPCRASH", "Not available", "0"].iter().map(|s| s.to_string()).collect();
    data.extend((1..=10).map(|i| format!("p{i}")));
    data.extend(["", "", "", "0", "rid", "4", "hash", "cab"].iter().map(|s| s.to_string()));
    let refs: Vec<&str> = data.iter().map(String::as_str).collect();
    let e = event("Windows Error Reporting", 1001, Some(0), &refs);
    let text = message::render(&e);
    assert!(text.starts_with("Fault bucket 1234, type 5\nEvent Name: APPCRASH\nResponse: Not available\n"), "{text}");
    assert!(text.ends_with("\nReport Id: rid\nReport Status: 4\nHashed bucket: hash\nCab Guid: cab"), "{text}");
    // The same values without a version take Windows 7's layout, which ends at Report Status.
    let e = event("Windows Error Reporting", 1001, None, &refs);
    assert!(message::render(&e).ends_with("\nReport Id: rid\nReport Status: 4"));
}
