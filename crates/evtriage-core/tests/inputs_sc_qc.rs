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
