//! Error-code tables and lookups (`evtriage_core::codes`).

use evtriage_core::codes::{self, Namespace};

/// NTSTATUS rows with a text (`fill_ntstatus.py`, PROVENANCE.md).
const NTSTATUS_TEXTS: usize = 1633;

#[test]
fn table_counts_match_provenance() {
    // 2,743 System Error Codes + 46 WinHTTP codes (winhttp.tsv).
    assert_eq!(codes::table_len(Namespace::Win32), 2789);
    assert_eq!(codes::table_len(Namespace::Nerr), 320);
    assert_eq!(codes::table_len(Namespace::Winsock), 95);
    assert_eq!(codes::table_len(Namespace::Ldap), 62);
    assert_eq!(codes::table_len(Namespace::Ntstatus), 1670);
    // 2,560 COM Error Codes + 257 Windows Update codes (windows-update.tsv).
    assert_eq!(codes::table_len(Namespace::Hresult), 2817);
    // Every Win32 and NERR row has a message; 59 of the 62 LDAP rows have
    // Microsoft's "Return Values" text; NTSTATUS rows have the SDK's
    // MessageText where ntstatus.h gives one (see PROVENANCE.md).
    assert!(codes::entries(Namespace::Win32).all(|e| e.message.is_some()));
    assert!(codes::entries(Namespace::Nerr).all(|e| e.message.is_some()));
    assert_eq!(codes::entries(Namespace::Ldap).filter(|e| e.message.is_some()).count(), 59);
    assert!(codes::entries(Namespace::Ntstatus).all(|e| e.name.starts_with("STATUS_")));
    assert_eq!(codes::entries(Namespace::Ntstatus).filter(|e| e.message.is_some()).count(), NTSTATUS_TEXTS);
    // All but eight HRESULT rows have a text (the page's description of
    // these only repeats the name).
    let untexted: Vec<String> =
        codes::entries(Namespace::Hresult).filter(|e| e.message.is_none()).map(|e| e.name).collect();
    assert_eq!(
        untexted,
        [
            "XACT_S_DEFECT",
            "XACT_E_CLERKNOTFOUND",
            "XACT_E_CLERKEXISTS",
            "XACT_E_RECOVERYINPROGRESS",
            "XACT_E_TRANSACTIONCLOSED",
            "XACT_E_INVALIDLSN",
            "XACT_E_REPLAYREQUEST",
            "SEC_E_NO_KERB_KEY"
        ]
    );
}

#[test]
fn win32_58_and_its_spellings() {
    assert_eq!(codes::win32_message(58), Some("The specified server cannot perform the requested operation."));
    let hits = codes::lookup(58);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].namespace, Namespace::Win32);
    assert_eq!(hits[0].name, "ERROR_BAD_NET_RESP");
    for spelling in ["58", "0x3A", "0x3a", "%%58", "ERROR_BAD_NET_RESP", "error_bad_net_resp"] {
        assert_eq!(codes::parse_code(spelling), Some(58), "{spelling}");
    }
}

#[test]
fn by_name_in_every_table() {
    let cases = [
        ("ERROR_BAD_NET_RESP", Namespace::Win32, 58),
        ("WSAEADDRINUSE", Namespace::Win32, 10048),
        ("NERR_InternalError", Namespace::Nerr, 2140),
        ("nerr_internalerror", Namespace::Nerr, 2140),
        ("LDAP_CONNECT_ERROR", Namespace::Ldap, 0x5b),
        ("LDAP_SERVER_DOWN", Namespace::Ldap, 0x51),
        ("STATUS_NO_LOGON_SERVERS", Namespace::Ntstatus, 0xC000_005E),
        ("WSA_INVALID_HANDLE", Namespace::Winsock, 6),
    ];
    for (name, ns, code) in cases {
        let info = codes::by_name(name).unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!((info.namespace, info.code), (ns, code), "{name}");
        assert!(info.name.eq_ignore_ascii_case(name));
    }
    assert_eq!(codes::by_name("ERROR_NO_SUCH_THING"), None);
    assert_eq!(codes::by_name(""), None);
}

#[test]
fn lookup_gives_every_namespace() {
    // 10048: Win32 (FormatMessage text) and Winsock (short title).
    let hits = codes::lookup(10048);
    let ns: Vec<Namespace> = hits.iter().map(|h| h.namespace).collect();
    assert_eq!(ns, [Namespace::Win32, Namespace::Winsock]);
    assert_eq!(hits[1].message.as_deref(), Some("Address already in use."));

    // 2140: NERR.
    let hits = codes::lookup(2140);
    assert!(hits.iter().any(|h| h.namespace == Namespace::Nerr
        && h.name == "NERR_InternalError"
        && h.message.as_deref() == Some("An internal error occurred.")));

    // 0x5b: only LDAP_CONNECT_ERROR (Win32 has no code 91).
    let hits = codes::lookup(0x5b);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].namespace, hits[0].name.as_str()), (Namespace::Ldap, "LDAP_CONNECT_ERROR"));

    // 6: Win32 ERROR_INVALID_HANDLE, Winsock WSA_INVALID_HANDLE, LDAP, NTSTATUS.
    let hits = codes::lookup(6);
    let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(&names[..2], ["ERROR_INVALID_HANDLE", "WSA_INVALID_HANDLE"]);

    // 0xC000005E: NTSTATUS only (not an HRESULT: bit 30 set).
    let hits = codes::lookup(0xC000_005E);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "STATUS_NO_LOGON_SERVERS");

    // Nothing knows 0x12345678.
    assert!(codes::lookup(0x1234_5678).is_empty());
}

#[test]
fn hresult_insertions_decode_to_win32() {
    let code = codes::parse_code("%%2147942414").expect("parses");
    assert_eq!(code, 0x8007_000E);
    let hits = codes::lookup(code);
    let h = hits.iter().find(|h| h.namespace == Namespace::Hresult).expect("an HRESULT meaning");
    assert_eq!(h.name, "E_OUTOFMEMORY = HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)");
    assert_eq!(h.message_from, Some(Namespace::Win32), "a FACILITY_WIN32 value reads the Win32 text");
    assert_eq!(h.message.as_deref(), Some("Not enough storage is available to complete this operation."));
    assert_eq!(codes::insertion_message(code), codes::win32_message(14));
    let d = codes::decompose_hresult(code).expect("decomposes");
    assert_eq!((d.failure, d.facility, d.code, d.facility_name), (true, 7, 14, Some("FACILITY_WIN32")));
    // The negative decimal spelling is the same value.
    assert_eq!(codes::parse_code("-2147024882"), Some(code));
}

#[test]
fn codes_compare_across_spellings() {
    for a in ["%%58", "58", "0x3A", "ERROR_BAD_NET_RESP", "0x8007003A", "%%2147942458"] {
        for b in ["%%58", "58", "0x3a", "error_bad_net_resp", "0x8007003a"] {
            assert!(codes::codes_equal(a, b), "{a} vs {b}");
        }
    }
    assert_eq!(codes::normalize_code("0x8007003A"), Some(58));
    assert_eq!(codes::normalize_code("0xC000005E"), Some(0xC000_005E));
    assert!(!codes::codes_equal("58", "59"));
    assert!(!codes::codes_equal("garbage", "garbage"));
    assert!(!codes::codes_equal("", "0"));
}

#[test]
fn first_lookup_is_cheap() {
    // Not a timed assertion (the suite must not depend on machine speed): the
    // tables are static arrays generated by build.rs, so the first lookup does
    // no parsing; this prints the cold cost (run alone with --nocapture).
    let start = std::time::Instant::now();
    for ns in Namespace::ALL {
        let _ = codes::lookup(1);
        let _ = codes::table_len(ns);
    }
    assert_eq!(codes::by_name("ERROR_SUCCESS").map(|c| c.code), Some(0));
    let codes_cost = start.elapsed();
    let start = std::time::Instant::now();
    assert!(evtriage_core::message::template("EventLog", 6005).is_some());
    eprintln!(
        "cold first code lookup: {codes_cost:?}; first template lookup (parses the template files): {:?}",
        start.elapsed()
    );
}

#[test]
fn ntstatus_texts_from_the_sdk_header() {
    let nt = |code| codes::message(Namespace::Ntstatus, code);
    assert_eq!(
        nt(0xC000_0022),
        Some("{Access Denied} A process has requested access to an object, but has not been granted those access rights.")
    );
    assert_eq!(
        nt(0xC000_006D),
        Some("The attempted logon is invalid. This is either due to a bad username or authentication information.")
    );
    assert_eq!(
        nt(0xC000_018D),
        Some("The logon request failed because the trust relationship between this workstation and the primary domain failed.")
    );
    // Lines of a MessageText are joined by a space, {Title} kept.
    assert_eq!(
        nt(0xC000_0032),
        Some(
            "{Corrupt Disk} The file system structure on the disk is corrupt and unusable. Please run the Chkdsk \
             utility on the volume %hs."
        )
    );
    assert_eq!(
        nt(0xC000_0234),
        Some(
            "The user account has been automatically locked because too many invalid logon attempts or password \
             change attempts have been requested."
        )
    );
    assert_eq!(
        nt(0xC000_0413),
        Some(
            "Logon Failure: The machine you are logging onto is protected by an authentication firewall. The \
             specified account is not allowed to authenticate to the machine."
        )
    );
    assert_eq!(
        nt(0xC000_A101),
        Some("The hash requests is not present or not up to date with the current file contents.")
    );
    // Facility-specific values: BitLocker, Remote Desktop, the cluster.
    assert_eq!(nt(0xC021_0000), Some("This volume is locked by BitLocker Drive Encryption."));
    assert_eq!(
        nt(0xC00A_0038),
        Some(
            "The Terminal Server security layer detected an error in the protocol stream and has disconnected the \
             client. Client IP: %2."
        )
    );
    assert_eq!(nt(0xC013_000C), Some("The cluster node is down."));
    assert_eq!(nt(0xC036_8000), Some("IPsec DoS Protection matched an explicit block rule."));
    // The mingw-w64 table has STATUS_PKU2U_CERT_FAILURE at 0xC000042E, the SDK
    // at 0xC000042F: a value and name that do not both match get no text.
    assert_eq!(codes::name(Namespace::Ntstatus, 0xC000_042E), Some("STATUS_PKU2U_CERT_FAILURE"));
    assert_eq!(nt(0xC000_042E), None);
    // A MessageText that only repeats the name is not a text.
    assert_eq!(nt(0x0000_0102), None, "STATUS_TIMEOUT");
    assert_eq!(nt(0xC000_009C), None, "STATUS_DEVICE_DATA_ERROR");
    assert_eq!(nt(0x8000_0005), Some("{Buffer Overflow} The data was too large to fit into the specified buffer."));
    assert_eq!(
        nt(0x4000_0000),
        Some("{Object Exists} An attempt was made to create an object and the object name already existed.")
    );
    // HRESULT_FROM_NT reads as the status.
    let h = codes::hresult_info(0xD000_0017).expect("HRESULT_FROM_NT");
    assert_eq!(h.name, "HRESULT_FROM_NT(STATUS_NO_MEMORY)");
    assert_eq!(h.message_from, Some(Namespace::Ntstatus));
    assert_eq!(
        h.message.as_deref(),
        Some("{Not Enough Quota} Not enough virtual memory or paging file quota is available to complete the specified operation.")
    );
}

#[test]
fn windows_update_codes_in_the_hresult_table() {
    let hr = |code| codes::message(Namespace::Hresult, code);
    assert_eq!(codes::name(Namespace::Hresult, 0x8024_4022), Some("WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL"));
    assert_eq!(hr(0x8024_4022), Some("Same as HTTP status 503 - the service is temporarily overloaded."));
    assert_eq!(
        hr(0x8024_402C),
        Some("Same as ERROR_WINHTTP_NAME_NOT_RESOLVED - the proxy server or target server name cannot be resolved.")
    );
    assert_eq!(hr(0x8024_0438), None, "not listed by the page");
    assert_eq!(codes::name(Namespace::Hresult, 0x8024_D00C), Some("WU_E_SETUP_REBOOT_TO_FIX"));
    assert_eq!(
        hr(0x8024_D00C),
        Some("Windows Update Agent could not be updated because a restart of the system is required.")
    );
    // Code spans of the page are dropped.
    assert_eq!(hr(0x8024_A005), Some("No unmanaged service is registered with AU."));
    // A success code of the page.
    assert_eq!(hr(0x0024_0005), Some("The system must be restarted to complete installation of the update."));
    assert_eq!(codes::by_name("wu_e_no_service").map(|i| i.code), Some(0x8024_0001));
    // As an insertion (%%2149859362) too.
    assert_eq!(codes::insertion_message(0x8024_4022), hr(0x8024_4022));
}

#[test]
fn winhttp_codes_in_the_win32_table() {
    assert_eq!(codes::name(Namespace::Win32, 12002), Some("ERROR_WINHTTP_TIMEOUT"));
    assert_eq!(codes::win32_message(12002), Some("The request has timed out."));
    assert_eq!(codes::win32_message(12029), Some("Returned if connection to the server failed."));
    assert_eq!(codes::win32_message(12007), Some("The server name cannot be resolved."));
    assert_eq!(
        codes::win32_message(12175),
        Some(
            "One or more errors were found in the Secure Sockets Layer (SSL) certificate sent by the server. To \
             determine what type of error was encountered, check for a WINHTTP_CALLBACK_STATUS_SECURE_FAILURE \
             notification in a status callback function. For more information, see WINHTTP_STATUS_CALLBACK."
        )
    );
    // FACILITY_WIN32: 0x80072EE2 = HRESULT_FROM_WIN32(12002), also as %%N.
    let h = codes::hresult_info(0x8007_2EE2).expect("an HRESULT");
    assert_eq!(h.name, "HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT)");
    assert_eq!(h.message.as_deref(), Some("The request has timed out."));
    assert_eq!(h.message_from, Some(Namespace::Win32));
    assert_eq!(codes::insertion_message(2_147_954_402), Some("The request has timed out."));
    // Entries the page gives without a number are not in the table.
    assert_eq!(codes::by_name("ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY"), None);
}
