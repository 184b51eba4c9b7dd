//! Code equality: the one place where rules compare error codes.
//!
//! Logs write the same Win32 error as `%%58`, `58`, `0x3A` or `%%2147942458`
//! (`HRESULT_FROM_WIN32`), and rule files may write it `ERROR_BAD_NET_RESP`.
//! Rules compare numbers, never text: both sides go through
//! [`evtriage_core::codes::normalize_code`]. A rule's codes are normalised
//! once when the rule is loaded ([`code_value`]); a log value is normalised
//! when it is tested ([`value_is_code`]).

use evtriage_core::codes::normalize_code;

/// The number a written code stands for: `%%58`, `58`, `0x3A`, `-2147024838`,
/// `0x8007003A` (reduced to 58) or a symbolic name of any code table.
pub(crate) fn code_value(text: &str) -> Option<u32> {
    normalize_code(text)
}

/// Whether a value seen in a log is the (normalised) code `wanted`.
pub(crate) fn value_is_code(value: &str, wanted: u32) -> bool {
    normalize_code(value) == Some(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use evtriage_core::codes::codes_equal;

    #[test]
    fn all_spellings_of_58_are_equal() {
        for a in ["%%58", "58", "0x3A", "0x3a", "ERROR_BAD_NET_RESP", "error_bad_net_resp", "%%2147942458"] {
            for b in ["%%58", "58", "0x3A", "ERROR_BAD_NET_RESP"] {
                assert!(codes_equal(a, b), "{a} vs {b}");
            }
        }
        assert!(!codes_equal("%%1058", "ERROR_BAD_NET_RESP"));
        assert!(!codes_equal("IsmServ", "58"));
    }

    #[test]
    fn rule_codes_normalise_once() {
        assert_eq!(code_value("WSAEADDRINUSE"), Some(10048));
        assert_eq!(code_value("NERR_InternalError"), Some(2140));
        assert_eq!(code_value("ERROR_SERVICE_REQUEST_TIMEOUT"), Some(1053));
        assert_eq!(code_value("NOT_A_CODE_AT_ALL"), None);
        assert!(value_is_code("%%2147942414", 14));
        assert!(!value_is_code("%%2147942414", 15));
        assert!(value_is_code("%%10048", 10048));
    }
}
