//! `evtriage explain`: the offline error-code lookup, run as the binary.

use crate::util::evtriage;

fn explain(args: &[&str]) -> (String, i32) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let run = evtriage(&all);
    (run.stdout, run.code)
}

#[test]
fn explains_every_spelling_from_the_issue() {
    let (out, code) = explain(&["58", "0x5b", "2140", "10048", "0xC000005E", "%%2147942414", "ERROR_BAD_NET_RESP"]);
    assert_eq!(code, 0);
    for want in [
        "58 = 58 (0x3A)",
        "ERROR_BAD_NET_RESP",
        "The specified server cannot perform the requested operation.",
        "LDAP_CONNECT_ERROR",
        "NERR_InternalError",
        "An internal error occurred.",
        "WSAEADDRINUSE",
        "Address already in use.",
        "STATUS_NO_LOGON_SERVERS",
        "HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)",
        "Not enough storage is available to complete this operation.",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // 10048 is known to two namespaces.
    assert!(out.contains("  win32          10048  0x2740"), "{out}");
    assert!(out.contains("  winsock        10048  0x2740"), "{out}");
}

#[test]
fn unknown_codes_say_unknown() {
    let (out, code) = explain(&["0x12345678", "NOT_A_CODE"]);
    assert_eq!(code, 1, "nothing known: exit 1");
    assert!(out.contains("0x12345678 = 305419896 (0x12345678)\n  unknown"), "{out}");
    assert!(out.contains("NOT_A_CODE: unknown"), "{out}");
    let (_, code) = explain(&["58", "NOT_A_CODE"]);
    assert_eq!(code, 0, "one known code: exit 0");
}

#[test]
fn negative_decimal_is_accepted() {
    let (out, code) = explain(&["-2147024882"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("-2147024882 = 2147942414 (0x8007000E, -2147024882)\n"), "{out}");
}

#[test]
fn json_output() {
    let (out, code) = explain(&["--format", "json", "58", "bogus"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let items = v.as_array().expect("an array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["input"], "58");
    assert_eq!(items[0]["code"], 58);
    assert_eq!(items[0]["hex"], "0x0000003A");
    assert_eq!(items[0]["known"], true);
    assert_eq!(items[0]["meanings"][0]["namespace"], "win32");
    assert_eq!(items[0]["meanings"][0]["name"], "ERROR_BAD_NET_RESP");
    assert_eq!(items[1]["known"], false);
    assert!(items[1]["code"].is_null());
}

#[test]
fn hresult_ldap_and_bare_hex_ntstatus_have_text_and_source() {
    let (out, code) = explain(&["0x5b", "c0000022", "%%2147549471", "0x80070005"]);
    assert_eq!(code, 0);
    for want in [
        "  ldap              91  0x5B        LDAP_CONNECT_ERROR\n            Cannot establish the connection.  [ldap table]\n",
        "c0000022 = 3221225506 (0xC0000022, -1073741790)\n  ntstatus  3221225506  0xC0000022  STATUS_ACCESS_DENIED\n            \
         {Access Denied} A process has requested access to an object, but has not been granted those access \
         rights.  [ntstatus table]\n",
        "%%2147549471 = 2147549471 (0x8001011F, -2147417825)\n  hresult   2147549471  0x8001011F  RPC_E_TIMEOUT\n            This operation returned because the timeout period expired.  [hresult table]\n",
        "E_ACCESSDENIED = HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)\n            Access is denied.  [win32 table]\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let (out, _) = explain(&["--format", "json", "%%2147549471"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v[0]["meanings"][0]["name"], "RPC_E_TIMEOUT");
    assert_eq!(v[0]["meanings"][0]["message_from"], "hresult");
}

/// The NTSTATUS meaning of 0xC0000022 as `explain` prints it.
const ACCESS_DENIED: &str = "  ntstatus  3221225506  0xC0000022  STATUS_ACCESS_DENIED\n            {Access Denied} A \
     process has requested access to an object, but has not been granted those access rights.  [ntstatus table]\n";

#[test]
fn ntstatus_windows_update_and_winhttp_codes_have_text() {
    let (out, code) = explain(&["0xC0000022", "c0000022", "3221225506", "0x80244022", "0x80072EE2", "%%2147549471"]);
    assert_eq!(code, 0);
    let blocks: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(blocks.len(), 6, "{out}");
    for (block, input) in blocks.iter().zip(["0xC0000022", "c0000022", "3221225506"]) {
        assert_eq!(
            *block,
            format!("{input} = 3221225506 (0xC0000022, -1073741790)\n{ACCESS_DENIED}").trim_end(),
            "{out}"
        );
    }
    assert_eq!(
        blocks[3],
        "0x80244022 = 2149859362 (0x80244022, -2145107934)\n  hresult   2149859362  0x80244022  \
         WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL\n            Same as HTTP status 503 - the service is temporarily \
         overloaded.  [hresult table]"
    );
    assert_eq!(
        blocks[4],
        "0x80072EE2 = 2147954402 (0x80072EE2, -2147012894)\n  hresult   2147954402  0x80072EE2  \
         HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT)\n            The request has timed out.  [win32 table]"
    );
    assert!(
        blocks[5].ends_with(
            "  hresult   2147549471  0x8001011F  RPC_E_TIMEOUT\n            This operation returned because the \
             timeout period expired.  [hresult table]\n"
        ),
        "{out}"
    );
    // The Win32 code itself reads the same.
    let (out, _) = explain(&["12002"]);
    assert!(
        out.contains("  win32          12002  0x2EE2      ERROR_WINHTTP_TIMEOUT\n            The request has timed out.  [win32 table]\n"),
        "{out}"
    );
}

#[test]
fn hresult_from_nt_reads_as_the_ntstatus_text() {
    let (out, code) = explain(&["0xD0000022"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "  hresult   3489660962  0xD0000022  HRESULT_FROM_NT(STATUS_ACCESS_DENIED)\n            {Access Denied} A \
             process has requested access to an object, but has not been granted those access rights.  [ntstatus table]\n"
        ),
        "{out}"
    );
    let (out, _) = explain(&["--format", "json", "0xD0000022"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v[0]["meanings"][0]["message_from"], "ntstatus");
}
