//! Error-code tables and lookups (`evtriage_core::codes`).

use evtriage_core::codes::{self, Namespace};

#[test]
fn table_counts_match_provenance() {
    assert_eq!(codes::table_len(Namespace::Win32), 2743);
    assert_eq!(codes::table_len(Namespace::Nerr), 320);
    assert_eq!(codes::table_len(Namespace::Winsock), 95);
    assert_eq!(codes::table_len(Namespace::Ldap), 62);
    assert_eq!(codes::table_len(Namespace::Ntstatus), 1670);
    assert_eq!(codes::table_len(Namespace::Hresult), 2560);
    // Every Win32 and NERR row has a message; 59 of the 62 LDAP rows have
    // Microsoft's "Return Values" text; NTSTATUS rows have none yet.
    assert!(codes::entries(Namespace::Win32).all(|e| e.message.is_some()));
    assert!(codes::entries(Namespace::Nerr).all(|e| e.message.is_some()));
    assert_eq!(codes::entries(Namespace::Ldap).filter(|e| e.message.is_some()).count(), 59);
    assert!(codes::entries(Namespace::Ntstatus).all(|e| e.message.is_none() && e.name.starts_with("STATUS_")));
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
