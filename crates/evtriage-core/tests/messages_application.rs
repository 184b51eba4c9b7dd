//! Application-channel templates (`data/templates/application.tsv`) on real
//! corpus records, read through the [`Reader`] as users read them: the
//! rendered message of one record per provider, insertions included.

use std::path::PathBuf;

use evtriage_core::message;
use evtriage_core::{Collect, Event, Reader};
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
