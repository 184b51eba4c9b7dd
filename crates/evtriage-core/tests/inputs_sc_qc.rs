//! `sc qc` captures read as the registry values they reflect.

use evtriage_core::{Collect, Format, Locator, Reader, Record, RegData, Severity};

const CAPTURE: &str = "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: IsmServ\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        START_TYPE         : 2   AUTO_START  (DELAYED)\r\n        ERROR_CONTROL      : 1   NORMAL\r\n        BINARY_PATH_NAME   : C:\\Windows\\System32\\ismserv.exe\r\n        LOAD_ORDER_GROUP   :\r\n        TAG                : 0\r\n        DISPLAY_NAME       : Intersite Messaging\r\n        DEPENDENCIES       : LanmanServer\r\n                           : RPCSS\r\n        SERVICE_START_NAME : LocalSystem\r\n\r\n[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: Netlogon\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n        START_TYPE         : 3   DEMAND_START\r\n        ERROR_CONTROL      : 1   NORMAL\r\n        BINARY_PATH_NAME   : C:\\Windows\\system32\\lsass.exe\r\n        LOAD_ORDER_GROUP   : MS_WindowsRemoteValidation\r\n        TAG                : 0\r\n        DISPLAY_NAME       : Netlogon\r\n        DEPENDENCIES       : LanmanWorkstation\r\n                           : +NetworkProvider\r\n        SERVICE_START_NAME : LocalSystem\r\n";

fn values(sink: &Collect) -> Vec<(String, String, RegData, Locator)> {
    sink.records
        .iter()
        .filter_map(|r| match r {
            Record::Registry(v) => Some((
                v.key.rsplit('\\').next().unwrap_or_default().to_string(),
                v.name.clone(),
                v.data.clone(),
                v.origin.locator,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn each_service_gives_the_registry_values_it_reflects() {
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("sc-qc.txt".into(), CAPTURE.as_bytes(), &mut sink);
    assert_eq!(summary.format, Format::ScQc);
    assert_eq!(summary.format.name(), "sc-qc");
    let v = values(&sink);
    let get =
        |svc: &str, name: &str| v.iter().find(|(k, n, _, _)| k == svc && n == name).map(|(_, _, d, l)| (d.clone(), *l));
    assert_eq!(get("IsmServ", "Start"), Some((RegData::Dword(2), Locator::Line { line: 5 })));
    assert_eq!(get("IsmServ", "DelayedAutostart"), Some((RegData::Dword(1), Locator::Line { line: 5 })));
    assert_eq!(get("IsmServ", "Type").map(|x| x.0), Some(RegData::Dword(10)));
    assert_eq!(
        get("IsmServ", "ImagePath").map(|x| x.0),
        Some(RegData::ExpandSz("C:\\Windows\\System32\\ismserv.exe".into()))
    );
    assert_eq!(get("IsmServ", "DisplayName").map(|x| x.0), Some(RegData::Sz("Intersite Messaging".into())));
    assert_eq!(get("IsmServ", "ObjectName").map(|x| x.0), Some(RegData::Sz("LocalSystem".into())));
    assert_eq!(
        get("IsmServ", "DependOnService"),
        Some((RegData::MultiSz(vec!["LanmanServer".into(), "RPCSS".into()]), Locator::Line { line: 3 }))
    );
    // An empty group and a zero tag are not values; a manual service is not delayed.
    assert_eq!(get("IsmServ", "Group"), None);
    assert_eq!(get("IsmServ", "Tag"), None);
    assert_eq!(get("Netlogon", "Start").map(|x| x.0), Some(RegData::Dword(3)));
    assert_eq!(get("Netlogon", "DelayedAutostart"), None);
    assert_eq!(get("Netlogon", "Group").map(|x| x.0), Some(RegData::Sz("MS_WindowsRemoteValidation".into())));
    assert_eq!(
        get("Netlogon", "DependOnService").map(|x| x.0),
        Some(RegData::MultiSz(vec!["LanmanWorkstation".into()]))
    );
    assert_eq!(get("Netlogon", "DependOnGroup").map(|x| x.0), Some(RegData::MultiSz(vec!["NetworkProvider".into()])));
    // IsmServ 8 values, Netlogon 9.
    assert_eq!(summary.records, 17);
    let key = sink.records.iter().find_map(|r| match r {
        Record::Registry(v) => Some(v.key.clone()),
        _ => None,
    });
    assert_eq!(key.as_deref(), Some("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\IsmServ"));
    // The failed query is a note; the message line under it is skipped, with its line.
    assert!(sink.diagnostics.iter().any(|d| d.severity == Severity::Note && d.message.contains("FAILED 1060")));
    let skipped: Vec<_> = sink.diagnostics.iter().filter(|d| d.severity == Severity::Skipped).collect();
    assert_eq!(skipped.len(), 1, "{skipped:#?}");
    assert_eq!(skipped[0].locator, Locator::Line { line: 17 });
}

#[test]
fn sc_queryex_and_qdescription_and_get_service() {
    // `sc qdescription` wraps at the console width, mid-word; `sc queryex` puts the flags under STATE.
    let text = "\r\n[SC] QueryServiceConfig2 SUCCESS\r\n\r\nSERVICE_NAME: wuauserv\r\nDESCRIPTION:  Enables the detection, download, and installation of updates for Windows and other programs. If this service is disabled, users of this computer will not be able to use Windows Update or its automatic updating feature, an\r\nd programs will not be able to use the Windows Update Agent (WUA) API.\r\n\r\nSERVICE_NAME: DNS\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n                                (STOPPABLE, PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n        PID                : 1460\r\n        FLAGS              :\r\n";
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("sc.txt".into(), text.as_bytes(), &mut sink);
    assert_eq!(summary.format, Format::ScQc);
    assert_eq!(summary.skipped, 0, "{:?}", sink.diagnostics);
    let v = values(&sink);
    let description = v.iter().find(|(k, n, _, _)| k == "wuauserv" && n == "Description").map(|x| (x.2.clone(), x.3));
    assert_eq!(
        description,
        Some((
            RegData::Sz("Enables the detection, download, and installation of updates for Windows and other programs. If this service is disabled, users of this computer will not be able to use Windows Update or its automatic updating feature, and programs will not be able to use the Windows Update Agent (WUA) API.".into()),
            Locator::Line { line: 5 }
        ))
    );
    let status: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Command(c) => Some((c.command.clone(), c.properties.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(status.len(), 1);
    let (command, props) = &status[0];
    assert_eq!(command.as_deref(), Some("sc queryex"));
    let get = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("SERVICE_NAME"), Some("DNS"));
    assert_eq!(get("STATE"), Some("4  RUNNING (STOPPABLE, PAUSABLE, ACCEPTS_SHUTDOWN)"));
    assert_eq!(get("PID"), Some("1460"));

    // Windows PowerShell 5.1's Get-Service | Format-List (Microsoft's PowerShell 101 example) and PowerShell 7's.
    let ps = "Name                : w32time\r\nDisplayName         : Windows Time\r\nStatus              : Running\r\nDependentServices   : {}\r\nServicesDependedOn  : {}\r\nCanPauseAndContinue : False\r\nCanShutdown         : True\r\nCanStop             : True\r\nServiceType         : Win32ShareProcess\r\nStartType           : Manual\r\n\r\nUserName            : LocalSystem\r\nDelayedAutoStart    : True\r\nBinaryPathName      : C:\\Windows\\system32\\ismserv.exe\r\nStartupType         : AutomaticDelayedStart\r\nName                : IsmServ\r\nDisplayName         : Intersite Messaging\r\nStatus              : Stopped\r\nServicesDependedOn  : {RPCSS, LanmanServer}\r\nServiceType         : Win32OwnProcess\r\nStartType           : Automatic\r\n";
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes("get-service.txt".into(), ps.as_bytes(), &mut sink);
    assert_eq!(summary.format, Format::PowerShellList);
    let v = values(&sink);
    let get = |svc: &str, name: &str| v.iter().find(|(k, n, _, _)| k == svc && n == name).map(|x| x.2.clone());
    assert_eq!(get("w32time", "Start"), Some(RegData::Dword(3)));
    assert_eq!(get("w32time", "DependOnService"), None);
    assert_eq!(get("w32time", "DisplayName"), Some(RegData::Sz("Windows Time".into())));
    assert_eq!(get("IsmServ", "Start"), Some(RegData::Dword(2)));
    assert_eq!(get("IsmServ", "DelayedAutostart"), Some(RegData::Dword(1)));
    assert_eq!(get("IsmServ", "ObjectName"), Some(RegData::Sz("LocalSystem".into())));
    assert_eq!(get("IsmServ", "DependOnService"), Some(RegData::MultiSz(vec!["RPCSS".into(), "LanmanServer".into()])));
    // The status stays readable as the command block.
    assert_eq!(sink.records.iter().filter(|r| matches!(r, Record::Command(_))).count(), 2);
}
