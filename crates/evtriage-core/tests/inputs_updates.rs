//! Installed updates, the computer and port ranges: systeminfo (list and
//! CSV), Get-HotFix (table and list), wmic qfe, Win32_QuickFixEngineering,
//! Get-ComputerInfo, and netsh's excluded and dynamic port ranges. The
//! captures follow the layouts of real output (Microsoft's examples, and
//! public captures where Microsoft shows none).

use evtriage_core::{
    Collect, ComputerInfo, Format, InputSummary, InstalledUpdate, Locator, PortRangeKind, Protocol, Reader, Record,
};

fn read(name: &str, text: &str) -> (InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes(name.into(), text.as_bytes(), &mut sink);
    (summary, sink)
}

fn updates(sink: &Collect) -> Vec<&InstalledUpdate> {
    sink.records
        .iter()
        .filter_map(|r| match r {
            Record::Update(u) => Some(u),
            _ => None,
        })
        .collect()
}

fn computers(sink: &Collect) -> Vec<&ComputerInfo> {
    sink.records
        .iter()
        .filter_map(|r| match r {
            Record::Computer(c) => Some(c),
            _ => None,
        })
        .collect()
}

const SYSTEMINFO_2008: &str = "\r\nHost Name:                 CAS01\r\nOS Name:                   Microsoftr Windows Serverr 2008 Standard\r\nOS Version:                6.0.6001 Service Pack 1 Build 6001\r\nOS Manufacturer:           Microsoft Corporation\r\nOS Configuration:          Member Server\r\nOS Build Type:             Multiprocessor Free\r\nOriginal Install Date:     9/18/2008, 4:11:52 PM\r\nSystem Boot Time:          10/14/2008, 7:02:11 AM\r\nProcessor(s):              1 Processor(s) Installed.\r\n                           [01]: Intel64 Family 6 Model 45 Stepping 7 GenuineInt\r\nel ~2600 Mhz\r\nTime Zone:                 (GMT-05:00) Eastern Time (US & Canada)\r\nPage File: Max Size:       12,397 MB\r\nDomain:                    contoso.com\r\nLogon Server:              \\\\DC01\r\nHotfix(s):                 5 Hotfix(s) Installed.\r\n                           [01]: KB2305420\r\n                           [02]: File 1\r\n                           [03]: Q147222\r\n                           [04]: KB948609\r\n                           [05]: KB893803v2 - Update\r\nNetwork Card(s):           1 NIC(s) Installed.\r\n                           [01]: Intel(R) PRO/1000 MT Network Connection\r\n                                 Connection Name: Local Area Connection\r\n";

#[test]
fn systeminfo_list_gives_the_computer_and_its_updates() {
    let (summary, sink) = read("systeminfo.txt", SYSTEMINFO_2008);
    assert_eq!(summary.format, Format::Systeminfo);
    assert_eq!(summary.format.name(), "systeminfo");
    assert_eq!(summary.language.as_deref(), Some("en"));
    let c = computers(&sink);
    assert_eq!(c.len(), 1);
    let c = c[0];
    assert_eq!(c.computer.as_deref(), Some("CAS01"));
    assert_eq!(c.os_name.as_deref(), Some("Microsoftr Windows Serverr 2008 Standard"));
    assert_eq!(c.os_version.as_deref(), Some("6.0.6001 Service Pack 1 Build 6001"));
    assert_eq!(c.os_build, Some(6001));
    assert_eq!(c.role.as_deref(), Some("Member Server"));
    assert_eq!(c.domain.as_deref(), Some("contoso.com"));
    assert_eq!(c.boot_time.as_deref(), Some("10/14/2008, 7:02:11 AM"));
    assert_eq!(c.time_zone.as_deref(), Some("(GMT-05:00) Eastern Time (US & Canada)"));
    assert_eq!(c.utc_offset_minutes, Some(-300));
    assert_eq!(c.hotfix_count, Some(5));
    assert_eq!(c.origin.locator, Locator::Line { line: 2 });
    // `File 1` has no KB number; Q147222 and KB893803v2 keep their numbers.
    let u = updates(&sink);
    let kbs: Vec<(&str, Locator)> = u.iter().map(|u| (u.kb.as_str(), u.origin.locator)).collect();
    assert_eq!(
        kbs,
        vec![
            ("KB2305420", Locator::Line { line: 18 }),
            ("KB147222", Locator::Line { line: 20 }),
            ("KB948609", Locator::Line { line: 21 }),
            ("KB893803", Locator::Line { line: 22 }),
        ]
    );
    assert!(u.iter().all(|u| u.computer.as_deref() == Some("CAS01")));
    assert_eq!(summary.records, 5);
    assert_eq!(summary.skipped, 0, "{:?}", sink.diagnostics);
}

#[test]
fn systeminfo_csv() {
    let text = "\"Host Name\",\"OS Name\",\"OS Version\",\"OS Configuration\",\"Time Zone\",\"Domain\",\"Hotfix(s)\",\"Network Card(s)\"\r\n\"DC01\",\"Microsoft Windows Server 2019 Datacenter\",\"10.0.17763 N/A Build 17763\",\"Primary Domain Controller\",\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\",\"contoso.com\",\"2 Hotfix(s) Installed.,[01]: KB4534273,[02]: KB4535680\",\"1 NIC(s) Installed.,[01]: Intel(R) 82574L\"\r\n";
    let (summary, sink) = read("systeminfo.csv", text);
    assert_eq!(summary.format, Format::Systeminfo);
    let c = computers(&sink);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].role.as_deref(), Some("Primary Domain Controller"));
    assert_eq!(c[0].os_build, Some(17763));
    assert_eq!(c[0].utc_offset_minutes, Some(60));
    assert_eq!(c[0].hotfix_count, Some(2));
    let kbs: Vec<&str> = updates(&sink).iter().map(|u| u.kb.as_str()).collect();
    assert_eq!(kbs, vec!["KB4534273", "KB4535680"]);
}

#[test]
fn get_hotfix_table_and_wmic_qfe() {
    // Microsoft's Get-HotFix example, with a name cut by PowerShell.
    let text = "\r\nSource         Description      HotFixID      InstalledBy          InstalledOn\r\n------         -----------      --------      -----------          -----------\r\nServer01       Update           KB4495590     NT AUTHORITY\\SYSTEM  5/16/2019 00:00:00\r\nServer01       Security Update  KB4470788     NT AUTHORITY\\SYSTEM  1/22/2019 00:00:00\r\nEC2AMAZ-5M...  Update           KB4480056                          1/24/2019 00:00:00\r\n";
    let (summary, sink) = read("hotfix.txt", text);
    assert_eq!(summary.format, Format::HotfixTable);
    assert_eq!(summary.format.name(), "hotfix-table");
    let u = updates(&sink);
    assert_eq!(u.len(), 3);
    assert_eq!(u[1].kb, "KB4470788");
    assert_eq!(u[1].description.as_deref(), Some("Security Update"));
    assert_eq!(u[1].installed_by.as_deref(), Some("NT AUTHORITY\\SYSTEM"));
    assert_eq!(u[1].installed_on.as_deref(), Some("1/22/2019 00:00:00"));
    assert_eq!(u[1].computer.as_deref(), Some("Server01"));
    assert_eq!(u[1].origin.locator, Locator::Line { line: 5 });
    assert_eq!((u[2].computer.as_deref(), u[2].installed_by.as_deref()), (Some("EC2AMAZ-5M..."), None));

    let qfe = "Caption                                     CSName        Description      FixComments  HotFixID   InstallDate  InstalledBy          InstalledOn  Name  ServicePackInEffect  Status  \r\r\nhttp://support.microsoft.com/?kbid=3199986  WINLPE-SRV01  Update                        KB3199986               NT AUTHORITY\\SYSTEM  11/21/2016                                           \r\r\nhttps://support.microsoft.com/help/5001078  WINLPE-SRV01  Security Update               KB5001078               NT AUTHORITY\\SYSTEM  3/25/2021                                            \r\r\n\r\r\n";
    let (summary, sink) = read("qfe.txt", qfe);
    assert_eq!(summary.format, Format::HotfixTable);
    let u = updates(&sink);
    let rows: Vec<_> = u
        .iter()
        .map(|u| (u.kb.as_str(), u.computer.as_deref(), u.description.as_deref(), u.installed_on.as_deref()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("KB3199986", Some("WINLPE-SRV01"), Some("Update"), Some("11/21/2016")),
            ("KB5001078", Some("WINLPE-SRV01"), Some("Security Update"), Some("3/25/2021")),
        ]
    );
    // `wmic qfe list brief`: no computer column.
    let brief = "Description      FixComments  HotFixID   InstallDate  InstalledBy          InstalledOn  Name  ServicePackInEffect  Status\r\nUpdate                        KB4513661                                    1/9/2020\r\n";
    let (_, sink) = read("qfe-brief.txt", brief);
    let u = updates(&sink);
    assert_eq!(u.len(), 1);
    assert_eq!(
        (u[0].kb.as_str(), u[0].computer.as_deref(), u[0].installed_on.as_deref()),
        ("KB4513661", None, Some("1/9/2020"))
    );
}

#[test]
fn powershell_lists_of_updates_and_the_computer() {
    let text = "\r\nPS C:\\> Get-HotFix | fl\r\n\r\nDescription         : Security Update\r\nFixComments         :\r\nHotFixID            : KB4515383\r\nInstallDate         :\r\nInstalledBy         : NT AUTHORITY\\SYSTEM\r\nInstalledOn         : 21/09/2019 0:00:00\r\nName                :\r\nServicePackInEffect :\r\nStatus              :\r\n\r\nInstalledOn           :\r\nCaption               :\r\nDescription           :\r\nCSName                : DC01\r\nHotFixID              : KB4533002\r\nCimClass              : root/cimv2:Win32_QuickFixEngineering\r\n\r\n";
    let (summary, sink) = read("hotfix-list.txt", text);
    assert_eq!(summary.format, Format::PowerShellList);
    let u = updates(&sink);
    assert_eq!(u.len(), 2);
    assert_eq!((u[0].kb.as_str(), u[0].installed_on.as_deref()), ("KB4515383", Some("21/09/2019 0:00:00")));
    assert_eq!((u[1].kb.as_str(), u[1].computer.as_deref()), ("KB4533002", Some("DC01")));

    let info = "WindowsProductName                                      : Windows Server 2022 Datacenter\r\nCsDomain                                                : WORKGROUP\r\nCsDomainRole                                            : StandaloneServer\r\nCsName                                                  : aksnpw22000000\r\nOsName                                                  : Microsoft Windows Server 2022 Datacenter\r\nOsVersion                                               : 10.0.20348\r\nOsBuildNumber                                           : 20348\r\nOsHotFixes                                              : {KB5041948, KB5041160, KB5041590}\r\nOsLastBootUpTime                                        : 8/28/2024 8:40:03 AM\r\nTimeZone                                                : (UTC) Coordinated Universal Time\r\n";
    let (_, sink) = read("computerinfo.txt", info);
    let c = computers(&sink);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].computer.as_deref(), Some("aksnpw22000000"));
    assert_eq!(c[0].os_build, Some(20348));
    assert_eq!(c[0].role.as_deref(), Some("StandaloneServer"));
    assert_eq!(c[0].utc_offset_minutes, Some(0));
    let kbs: Vec<&str> = updates(&sink).iter().map(|u| u.kb.as_str()).collect();
    assert_eq!(kbs, vec!["KB5041948", "KB5041160", "KB5041590"]);
}

#[test]
fn netsh_excluded_and_dynamic_ranges() {
    let text = "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n      1369        1468      \r\n      5357        5357\r\n     50000       50059     *\r\n\r\n* - Administered port exclusions.\r\n\r\n\r\nProtocol udp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 1025\r\nNumber of Ports : 58976\r\n";
    let (summary, sink) = read("netsh.txt", text);
    assert_eq!(summary.format, Format::NetshPorts);
    assert_eq!(summary.format.name(), "netsh-ports");
    let ranges: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::PortRange(p) => Some((p.protocol, p.range, p.start, p.end, p.administered, p.origin.locator)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ranges,
        vec![
            (Protocol::Tcp, PortRangeKind::Excluded, 1369, 1468, false, Locator::Line { line: 6 }),
            (Protocol::Tcp, PortRangeKind::Excluded, 5357, 5357, false, Locator::Line { line: 7 }),
            (Protocol::Tcp, PortRangeKind::Excluded, 50000, 50059, true, Locator::Line { line: 8 }),
            (Protocol::Udp, PortRangeKind::Dynamic, 1025, 60000, false, Locator::Line { line: 15 }),
        ]
    );
    assert_eq!(summary.skipped, 0, "{:?}", sink.diagnostics);
    // A damaged row is skipped with its line; the rest is read.
    let bad = "Protocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n     70000       70010\r\n      5357        5357\r\n";
    let (summary, sink) = read("netsh-bad.txt", bad);
    assert_eq!((summary.records, summary.skipped), (1, 1));
    assert!(sink.diagnostics.iter().any(|d| d.locator == Locator::Line { line: 5 }), "{:?}", sink.diagnostics);
}
