//! Code equality: the one place where rules compare error codes.
//!
//! Logs write the same Win32 error as `%%58`, `58`, `0x3A` or (in rendered
//! text and in rule files) `ERROR_BAD_NET_RESP`. Rules compare numbers, never
//! text: both sides go through [`code_value`], which uses
//! `evtriage_core::codes::{parse_code, by_name}`. A few symbolic names the
//! built-in rules use are also known here, so that the built-in rules work
//! whatever state the code tables are in; `by_name` is asked first.

use evtriage_core::codes::{by_name, parse_code};

/// Names the built-in rules use, as a fallback for [`by_name`].
const KNOWN: &[(&str, u32)] = &[
    ("ERROR_FILE_NOT_FOUND", 2),
    ("ERROR_BAD_NET_RESP", 58),
    ("ERROR_SERVICE_REQUEST_TIMEOUT", 1053),
    ("ERROR_SERVICE_DISABLED", 1058),
    ("ERROR_SERVICE_DEPENDENCY_FAIL", 1068),
    ("ERROR_LOGON_FAILURE", 1326),
    ("NERR_InternalError", 2140),
    ("WSAEADDRINUSE", 10048),
];

/// The number a code stands for: `%%58`, `58`, `0x3A`, `-2147024882`, or a symbolic name.
pub fn code_value(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Some(n) = parse_code(t) {
        return Some(n);
    }
    if let Some(info) = by_name(t) {
        return Some(info.code);
    }
    KNOWN.iter().find(|(name, _)| name.eq_ignore_ascii_case(t)).map(|(_, n)| *n)
}

/// Whether a value seen in a log is the code `wanted`. An HRESULT that wraps a
/// Win32 error (`0x8007xxxx`, as SCM writes `%%2147942414`) equals that error.
pub fn value_is_code(value: &str, wanted: u32) -> bool {
    match code_value(value) {
        Some(n) if n == wanted => true,
        Some(n) => (n & 0xFFFF_0000) == 0x8007_0000 && (n & 0xFFFF) == wanted,
        None => false,
    }
}

/// Whether two written codes are the same code.
pub fn codes_equal(a: &str, b: &str) -> bool {
    match code_value(b) {
        Some(n) => value_is_code(a, n),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_spellings_of_58_are_equal() {
        for a in ["%%58", "58", "0x3A", "0x3a", "ERROR_BAD_NET_RESP", "error_bad_net_resp"] {
            for b in ["%%58", "58", "0x3A", "ERROR_BAD_NET_RESP"] {
                assert!(codes_equal(a, b), "{a} vs {b}");
            }
        }
        assert!(!codes_equal("%%1058", "ERROR_BAD_NET_RESP"));
        assert!(!codes_equal("IsmServ", "58"));
    }

    #[test]
    fn hresult_wrapping_win32_matches() {
        assert!(value_is_code("%%2147942414", 14));
        assert!(!value_is_code("%%2147942414", 15));
        assert_eq!(code_value("WSAEADDRINUSE"), Some(10048));
        assert!(value_is_code("%%10048", 10048));
    }
}
