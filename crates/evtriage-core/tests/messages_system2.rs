//! The second round of System-channel template rows (`data/templates/system.tsv`):
//! the System, DNS Server and directory-service events the rules anchor on or
//! check, and the disk list. Real corpus records where the corpus has
//! them (rendered from the table alone, compared with text checked against
//! the row's `# source:`), synthetic events for the others.
//!
//! The corpus lives outside the repository; the corpus test reads it from
//! `$EVTRIAGE_CORPUS` and skips with a note when it is unset.

use std::collections::HashMap;
use std::sync::Arc;

use evtriage_core::message;
use evtriage_core::{Collect, DataItem, Event, Locator, Origin, Reader};
use evtriage_testutil::corpus;

/// (corpus file, record id, provider, event id, message Event Viewer shows).
const CASES: &[(&str, u64, &str, u32, &str)] = &[
    ("evtx/omerbenamram_system.evtx", 543, "Disk", 51, "An error was detected on device \\Device\\Harddisk1\\DR1 during a paging operation."),
    ("evtx/omerbenamram_system_zero-data-size-event.evtx", 436, "disk", 153, "The IO operation at logical block address 0x416e32 for Disk 0 (PDO name: \\Device\\00000024) was retried."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62892, "EventLog", 6011, "The NetBIOS name and DNS host name of this machine have been changed from EC2AMAZ-GQ0HEKD to WIN-5I1NNE9IUV7."),
    ("evtx/aaronthopliss_System.evtx", 28, "EventLog", 6011, "The NetBIOS name and DNS host name of this machine have been changed from MINWINPC to WIN-2TO3V41EH3L."),
    ("evtx/gbzrlk021_System.evtx", 56, "Workstation", 3261, "This computer has been successfully joined to workgroup 'WORKGROUP'."),
    ("evtx/plaso_System_dc.evtx", 502, "Microsoft-Windows-HttpEvent", 15007, "Reservation for namespace identified by URL prefix http://+:80/Temporary_Listen_Addresses/ was successfully added."),
    ("evtx/plaso_System_dc.evtx", 843, "NETLOGON", 5723, "The session setup from computer 'GREENDALEGOLD' failed because the security database does not contain a trust account 'GREENDALEGOLD$' referenced by the specified computer. \n\nUSER ACTION \nIf this is the first occurrence of this event for the specified computer and account, this may be a transient issue that doesn't require any action at this time. If this is a Read-Only Domain Controller and 'GREENDALEGOLD$' is a legitimate machine account for the computer 'GREENDALEGOLD' then 'GREENDALEGOLD' should be marked cacheable for this location if appropriate or otherwise ensure connectivity to a domain controller  capable of servicing the request (for example a writable domain controller). Otherwise, the following steps may be taken to resolve this problem: \n\nIf 'GREENDALEGOLD$' is a legitimate machine account for the computer 'GREENDALEGOLD', then 'GREENDALEGOLD' should be rejoined to the domain. \n\nIf 'GREENDALEGOLD$' is a legitimate interdomain trust account, then the trust should be recreated. \n\nOtherwise, assuming that 'GREENDALEGOLD$' is not a legitimate account, the following action should be taken on 'GREENDALEGOLD': \n\nIf 'GREENDALEGOLD' is a Domain Controller, then the trust associated with 'GREENDALEGOLD$' should be deleted. \n\nIf 'GREENDALEGOLD' is not a Domain Controller, it should be disjoined from the domain.\nBinary: 0xC000018B (STATUS_NO_TRUST_SAM_ACCOUNT): The SAM database on the Windows Server does not have a computer account for this workstation trust relationship."),
    ("evtx/pyevtx_system.evtx", 13508, "NETLOGON", 5783, "The session setup to the Windows Domain Controller \\\\Controller.shieldbase.local for the domain SHIELDBASE is not responsive.  The current RPC call from Netlogon on \\\\WKS-WIN764BITB to \\\\Controller.shieldbase.local has been cancelled."),
];

/// The events of every corpus file `CASES` names; `None` when no corpus is configured.
fn events_by_file() -> Option<HashMap<&'static str, Vec<Event>>> {
    let mut out = HashMap::new();
    for (file, ..) in CASES {
        if out.contains_key(file) {
            continue;
        }
        let path = corpus(file)?;
        let mut sink = Collect::default();
        Reader::default().read_paths(std::slice::from_ref(&path), &mut sink);
        out.insert(*file, sink.events().cloned().collect::<Vec<_>>());
    }
    Some(out)
}

#[test]
fn second_round_rows_render_real_records_exactly() {
    let Some(files) = events_by_file() else { return };
    let mut failures = Vec::new();
    for (file, record, provider, id, want) in CASES {
        let Some(e) = files.get(file).and_then(|v| v.iter().find(|e| e.record_id == Some(*record))) else {
            failures.push(format!("{file} #{record}: record not read"));
            continue;
        };
        assert_eq!((e.provider.name.as_deref(), e.event_id), (Some(*provider), *id), "{file} #{record}");
        let Some(t) = message::template_for(e) else {
            failures.push(format!("{file} #{record}: {provider} {id} has no template row"));
            continue;
        };
        assert!(t.exact, "{provider} {id}: checked against a source");
        let got = message::render(e);
        if got != *want {
            failures.push(format!("{file} #{record} {provider} {id}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn event(provider: &str, id: u32, data: &[&str]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e
}

/// Events the corpus lacks: the filled text of a synthetic record.
#[test]
fn second_round_rows_fill_their_insertions() {
    let cases: &[(&str, u32, &[&str], &str)] = &[
        ("Disk", 7, &["\\Device\\Harddisk0\\DR0"], "The device, \\Device\\Harddisk0\\DR0, has a bad block."),
        ("Disk", 11, &["\\Device\\Ide\\iaStor0"], "The driver detected a controller error on \\Device\\Ide\\iaStor0."),
        (
            "Microsoft-Windows-DNS-Server-Service",
            4007,
            &["_msdcs.contoso.com", "ForestDnsZones.contoso.com"],
            "The DNS server was unable to open zone _msdcs.contoso.com in the Active Directory from the application \
             directory partition ForestDnsZones.contoso.com. This DNS server is configured to obtain and use \
             information from the directory for this zone and is unable to load the zone without it. Check that the \
             Active Directory is functioning properly and reload the zone. The event data is the error code.",
        ),
        (
            "DNS",
            4016,
            &["DC=contoso.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=contoso,DC=com"],
            "The DNS server timed out attempting an Active Directory service operation on \
             DC=contoso.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=contoso,DC=com.  Check Active Directory to see that \
             it is functioning properly. The event data contains the error.",
        ),
        (
            "Microsoft-Windows-DNS-Server-Service",
            4004,
            &["contoso.com", ""],
            "The DNS server was unable to complete directory service enumeration of zone contoso.com.  This DNS \
             server is configured to use information obtained from Active Directory for this zone and is unable to \
             load the zone without it.  Check that the Active Directory is functioning properly and repeat \
             enumeration of the zone. The extended error debug information (which may be empty) is \"\". The event \
             data contains the error.",
        ),
        (
            "NETLOGON",
            3210,
            &["CONTOSO", "\\\\DC1.contoso.com"],
            "This computer could not authenticate with \\\\DC1.contoso.com, a Windows domain controller for domain \
             CONTOSO, and therefore this computer might deny logon requests. This inability to authenticate might be \
             caused by another computer on the same network using the same name or the password for this computer \
             account is not recognized. If this message appears again, contact your system administrator.",
        ),
        (
            "Microsoft-Windows-HttpEvent",
            15005,
            &["\\Device\\Http\\ReqQueue", "0.0.0.0:443"],
            "Unable to bind to the underlying transport for 0.0.0.0:443. The IP Listen-Only list may contain a \
             reference to an interface which may not exist on this machine.  The data field contains the error \
             number.",
        ),
        (
            "Tcpip",
            4231,
            &[],
            "A request to allocate an ephemeral port number from the global TCP port space has failed due to all \
             such ports being in use.",
        ),
    ];
    for (provider, id, data, want) in cases {
        let e = event(provider, *id, data);
        assert_eq!(message::render(&e), *want, "{provider} {id}");
    }
    // 5807 names `%SystemRoot%\debug\netlogon.log` literally (the row writes the percent signs `%%`).
    let e = event("NETLOGON", 5807, &["24", "7", "20000000", "20000000"]);
    let got = message::render(&e);
    assert!(got.starts_with("During the past 24 hours there have been 7 connections to this Domain"), "{got}");
    assert!(got.contains("'%SystemRoot%\\debug\\netlogon.log'"), "{got}");
    assert!(got.ends_with("the default is 20000000 bytes.  The current maximum size is 20000000 bytes.  To set a different maximum size, create the above registry value and set the desired maximum size in bytes."), "{got}");
}

/// Every (provider, id) the brief names that has a row now: looked up to an exact row.
#[test]
fn rule_events_have_exact_rows() {
    let want: &[(&str, &[u32])] = &[
        ("NETLOGON", &[3210, 5723, 5774, 5781, 5783, 5807]),
        ("Microsoft-Windows-DNS-Server-Service", &[500, 501, 4000, 4004, 4007, 4016]),
        ("DNS", &[500, 501, 4000, 4004, 4007, 4016]),
        ("Microsoft-Windows-HttpEvent", &[15005, 15007]),
        ("HTTP", &[15005, 15007]),
        ("Tcpip", &[4227, 4231]),
        ("Workstation", &[3261]),
        ("Disk", &[7, 11, 51, 153]),
        ("EventLog", &[6011]),
    ];
    for (provider, ids) in want {
        for id in *ids {
            let t = message::template(provider, *id).unwrap_or_else(|| panic!("{provider} {id} has a row"));
            assert!(t.exact, "{provider} {id}");
        }
    }
}
