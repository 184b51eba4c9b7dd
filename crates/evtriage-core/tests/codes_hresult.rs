//! HRESULT, LDAP and NTSTATUS texts (`evtriage_core::codes`), and HRESULTs
//! written as decimal insertions rendered through `evtriage_core::message`.

use std::sync::Arc;

use evtriage_core::codes::{self, Namespace};
use evtriage_core::message;
use evtriage_core::{DataItem, Event, Locator, Origin};

const RPC_E_TIMEOUT_TEXT: &str = "This operation returned because the timeout period expired.";

fn event(provider: &str, id: u32, data: &[(&str, &str)]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.data =
        data.iter().map(|(n, v)| if n.is_empty() { DataItem::unnamed(*v) } else { DataItem::named(*n, *v) }).collect();
    e
}

#[test]
fn rpc_e_timeout_in_every_spelling() {
    // 0x8001011F as a 7023 writes it (%%2147549471), as .NET prints it
    // (-2147417825), in hex, and by name.
    for spelling in
        ["0x8001011F", "0x8001011f", "%%2147549471", "2147549471", "-2147417825", "RPC_E_TIMEOUT", "8001011f"]
    {
        assert_eq!(codes::parse_code(spelling), Some(0x8001_011F), "{spelling}");
    }
    let hits = codes::lookup(0x8001_011F);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!((h.namespace, h.code, h.name.as_str()), (Namespace::Hresult, 0x8001_011F, "RPC_E_TIMEOUT"));
    assert_eq!(h.message.as_deref(), Some(RPC_E_TIMEOUT_TEXT));
    assert_eq!(h.message_from, Some(Namespace::Hresult));
    assert_eq!(codes::insertion_message(0x8001_011F), Some(RPC_E_TIMEOUT_TEXT));
    let d = codes::decompose_hresult(0x8001_011F).expect("an HRESULT");
    assert_eq!((d.facility, d.facility_name, d.code), (1, Some("FACILITY_RPC"), 0x011F));
    assert_eq!(d.message(), Some(RPC_E_TIMEOUT_TEXT));
}

#[test]
fn facility_win32_keeps_the_win32_text() {
    // 0x8007003A = HRESULT_FROM_WIN32(ERROR_BAD_NET_RESP); the HRESULT table has no row for it.
    let hits = codes::lookup(0x8007_003A);
    let h = hits.iter().find(|h| h.namespace == Namespace::Hresult).expect("an HRESULT meaning");
    assert_eq!(h.name, "HRESULT_FROM_WIN32(ERROR_BAD_NET_RESP)");
    assert_eq!(h.message.as_deref(), Some("The specified server cannot perform the requested operation."));
    assert_eq!(h.message_from, Some(Namespace::Win32));
    assert_eq!(
        codes::insertion_message(0x8007_003A),
        Some("The specified server cannot perform the requested operation.")
    );
    // E_ACCESSDENIED (0x80070005) has a row in the HRESULT table ("General
    // access denied error"), but the value still reads as Win32 5.
    let hits = codes::lookup(0x8007_0005);
    let h = hits.iter().find(|h| h.namespace == Namespace::Hresult).expect("an HRESULT meaning");
    assert_eq!(h.name, "E_ACCESSDENIED = HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)");
    assert_eq!(h.message.as_deref(), Some("Access is denied."));
    assert_eq!(codes::message(Namespace::Hresult, 0x8007_0005), Some("General access denied error"));
    assert_eq!(codes::normalize_code("E_ACCESSDENIED"), Some(5));
}

#[test]
fn common_com_crypto_and_schannel_hresults() {
    let cases = [
        (0x8000_4005, "E_FAIL", "Unspecified error"),
        (0x8004_0154, "REGDB_E_CLASSNOTREG", "Class not registered"),
        (0x8008_0005, "CO_E_SERVER_EXEC_FAILURE", "Server execution failed"),
        (0x8004_1315, "SCHED_E_SERVICE_NOT_RUNNING", "The Task Scheduler Service is not running."),
        (0x8002_0009, "DISP_E_EXCEPTION", "Exception occurred."),
        (0x8001_0108, "RPC_E_DISCONNECTED", "The object invoked has disconnected from its clients."),
        (0x8009_0016, "NTE_BAD_KEYSET", "Keyset does not exist"),
        (0x8009_0325, "SEC_E_UNTRUSTED_ROOT", "The certificate chain was issued by an authority that is not trusted."),
        (0x8009_0326, "SEC_E_ILLEGAL_MESSAGE", "The message received was unexpected or badly formatted."),
        (0x8009_0331, "SEC_E_ALGORITHM_MISMATCH", "The client and server cannot communicate, because they do not possess a common algorithm."),
        (0x8009_2013, "CRYPT_E_REVOCATION_OFFLINE", "The revocation function was unable to check revocation because the revocation server was offline."),
        (0x800B_0109, "CERT_E_UNTRUSTEDROOT", "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider."),
    ];
    for (code, name, text) in cases {
        assert_eq!(codes::name(Namespace::Hresult, code), Some(name), "0x{code:08X}");
        assert_eq!(codes::message(Namespace::Hresult, code), Some(text), "{name}");
        assert_eq!(codes::insertion_message(code), Some(text), "{name}");
        assert_eq!(codes::by_name(name).map(|i| i.code), Some(code), "{name}");
    }
    // Markdown escapes of the page are undone.
    assert_eq!(
        codes::message(Namespace::Hresult, 0x8001_0007),
        Some(
            "The callee (server [not server application]) is not available and disappeared; all connections are \
             invalid. The call may have executed."
        )
    );
}

#[test]
fn smart_card_and_device_install_hresults() {
    // com-error-codes-4.md after SPAPI_E_SECTION_NOT_FOUND: SetupAPI and smart card codes.
    let cases = [
        (
            0x8010_000C,
            "SCARD_E_NO_SMARTCARD",
            "The operation requires a Smart Card, but no Smart Card is currently in the device.",
        ),
        (
            0x8010_006C,
            "SCARD_W_CHV_BLOCKED",
            "The card cannot be accessed because the maximum number of PIN entry attempts has been reached.",
        ),
        (
            0x800F_0248,
            "SPAPI_E_DEVICE_INSTALL_BLOCKED",
            "The installation of this device is forbidden by system policy. Contact your system administrator.",
        ),
    ];
    for (code, name, text) in cases {
        assert_eq!(codes::name(Namespace::Hresult, code), Some(name), "0x{code:08X}");
        assert_eq!(codes::message(Namespace::Hresult, code), Some(text), "{name}");
        assert_eq!(codes::insertion_message(code), Some(text), "{name}");
        assert_eq!(codes::by_name(name).map(|i| i.code), Some(code), "{name}");
    }
}

#[test]
fn small_insertions_stay_win32() {
    // 0x00040200 (262656) is EVENT_S_SOME_SUBSCRIBERS_FAILED in the HRESULT
    // table, but a %%N insertion of a small number is a Win32 code: it has
    // no Win32 text, so it stays unexpanded.
    assert_eq!(codes::name(Namespace::Hresult, 0x0004_0200), Some("EVENT_S_SOME_SUBSCRIBERS_FAILED"));
    assert_eq!(codes::insertion_message(0x0004_0200), None);
    assert_eq!(codes::insertion_message(58), Some("The specified server cannot perform the requested operation."));
}

#[test]
fn scm_7023_with_a_decimal_rpc_hresult() {
    let e = event("Service Control Manager", 7023, &[("param1", "Windows Update"), ("param2", "%%2147549471")]);
    assert_eq!(
        message::render(&e),
        format!("The Windows Update service terminated with the following error: \n{RPC_E_TIMEOUT_TEXT}")
    );
    // %%58 renders exactly as before.
    let e = event("Service Control Manager", 7023, &[("param1", "Intersite Messaging"), ("param2", "%%58")]);
    assert_eq!(
        message::render(&e),
        "The Intersite Messaging service terminated with the following error: \nThe specified server cannot \
         perform the requested operation."
    );
    // A failure HRESULT no table lists stays visible as written.
    let e = event("Service Control Manager", 7023, &[("param1", "Foo"), ("param2", "%%2147750401")]);
    assert_eq!(codes::lookup(2_147_750_401).len(), 1, "decomposed only");
    assert_eq!(message::render(&e), "The Foo service terminated with the following error: \n%%2147750401");
}

#[test]
fn ldap_texts_from_return_values() {
    let hits = codes::lookup(0x5b);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].name, "LDAP_CONNECT_ERROR");
    assert_eq!(hits[0].message.as_deref(), Some("Cannot establish the connection."));
    assert_eq!(hits[0].message_from, Some(Namespace::Ldap));
    assert_eq!(codes::message(Namespace::Ldap, 0x51), Some("Cannot contact the LDAP server."));
    assert_eq!(codes::message(Namespace::Ldap, 0x31), Some("The supplied credential is invalid."));
    // Links and bold of the page are reduced to their text.
    assert_eq!(
        codes::message(Namespace::Ldap, 0x52),
        Some("Local error occurred. If this error occurs during a binding operation, for more information, see ldap_bind_s.")
    );
    // The page does not list LDAP_SASL_BIND_IN_PROGRESS (0x0e).
    assert_eq!(codes::name(Namespace::Ldap, 0x0e), Some("LDAP_SASL_BIND_IN_PROGRESS"));
    assert_eq!(codes::message(Namespace::Ldap, 0x0e), None);
}

#[test]
fn ntstatus_without_0x() {
    for spelling in ["c0000022", "C0000022", "0xC0000022", "-1073741790"] {
        assert_eq!(codes::parse_code(spelling), Some(0xC000_0022), "{spelling}");
    }
    let hits = codes::lookup(0xC000_0022);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].namespace, hits[0].name.as_str()), (Namespace::Ntstatus, "STATUS_ACCESS_DENIED"));
    // An all-decimal eight-digit number stays decimal.
    assert_eq!(codes::parse_code("80070005"), Some(80_070_005));
}
