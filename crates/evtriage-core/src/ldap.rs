//! Microsoft-Windows-LDAP-Client trace messages, parsed into typed fields.
//!
//! The LDAP client's ETW provider logs free text, one sentence per record:
//!
//! ```text
//! LdapParallelConnect called for connection 0x1a2b3c40 with timeout 45 sec 0 usec.  Total count is 1.
//! LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.
//! ```
//!
//! Triage rules (KB4530043: ISMServ cannot reach a DC at boot) need the
//! operation, the connection handle that ties lines together, the LDAP error
//! code and the timeout, whatever tool rendered the trace (text, tracerpt XML
//! or CSV, ETL). [`parse_ldap_message`] extracts them; [`enrich_event`] attaches
//! them to an [`Event`] of that provider as [`TraceInfo::ldap`].

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Event, LdapClientMessage, TraceInfo};

/// The provider name whose messages [`enrich_event`] parses (the ETL
/// reader's, which also knows its GUID: one definition).
pub use evtriage_etl::LDAP_CLIENT_PROVIDER_NAME as LDAP_CLIENT_PROVIDER;

static OPERATION: LazyLock<Regex> = LazyLock::new(|| crate::text::constant_regex(r"^\s*([A-Za-z_][A-Za-z0-9_:]*)"));
static CONNECTION: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"(?i)\bconnection\s+(?:handle\s+)?(0x[0-9a-f]+|\d+)\b"));
static ERROR: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"(?i)\b(?:error|err|status)\s*(?:=|:|is|of)?\s*(0x[0-9a-f]+|\d+)\b"));
static TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::constant_regex(
        r"(?i)\btimeout\s*(?:of|=|:)?\s*(\d+)\s*(sec(?:onds?)?|s|ms|milliseconds?)\b(?:\s*(?:and\s+)?(\d+)\s*usec)?",
    )
});
static FAILURE: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"(?i)\b(?:fail(?:s|ed|ure)?|unable|could not|cannot|timed out)\b"));

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Parses one LDAP client message. `None` when the text does not start with
/// an operation name (a word such as `LdapConnect`).
///
/// - `operation`: the leading word;
/// - `connection`: `connection 0x…` (hex or decimal);
/// - `error`: `error = 0x5b`, `error 81`, `error: 0x51`;
/// - `timeout_ms`: `timeout 45 sec 0 usec` → 45000, also `timeout 500 ms`;
/// - `failed`: the text says it failed (`failed`, `unable`, `timed out`, …)
///   or carries a non-zero error code.
pub fn parse_ldap_message(message: &str) -> Option<LdapClientMessage> {
    let operation = OPERATION.captures(message)?.get(1)?.as_str().to_string();
    let connection = CONNECTION.captures(message).and_then(|c| number(c.get(1)?.as_str()));
    let error = ERROR.captures(message).and_then(|c| number(c.get(1)?.as_str())).and_then(|n| u32::try_from(n).ok());
    let timeout_ms = TIMEOUT.captures(message).and_then(|c| {
        let n = number(c.get(1)?.as_str())?;
        let unit = c.get(2)?.as_str().to_ascii_lowercase();
        if unit.starts_with("ms") || unit.starts_with("milli") {
            Some(n)
        } else {
            let usec = c.get(3).and_then(|u| number(u.as_str())).unwrap_or(0);
            Some(n.saturating_mul(1000).saturating_add(usec / 1000))
        }
    });
    let said_failed = FAILURE.is_match(message);
    let failed = said_failed || error.is_some_and(|e| e != 0);
    Some(LdapClientMessage { operation, connection, error, timeout_ms, failed })
}

/// If `event` comes from [`LDAP_CLIENT_PROVIDER`] and has a message (the
/// rendered message, or a data item named `Message`), parses it into
/// `event.trace.ldap`. Returns whether it did.
pub fn enrich_event(event: &mut Event) -> bool {
    let is_ldap = event.provider.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(LDAP_CLIENT_PROVIDER));
    if !is_ldap {
        return false;
    }
    let text = event.message.as_deref().or_else(|| event.data_named("Message"));
    let Some(parsed) = text.and_then(parse_ldap_message) else {
        return false;
    };
    event.trace.get_or_insert_with(Box::<TraceInfo>::default).ldap = Some(parsed);
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_patterns_compile() {
        for r in [&*super::OPERATION, &*super::CONNECTION, &*super::ERROR, &*super::TIMEOUT, &*super::FAILURE] {
            assert!(!r.as_str().is_empty());
        }
    }

    use super::*;

    #[test]
    fn kb4530043_lines() {
        let m = parse_ldap_message(
            "LdapParallelConnect called for connection 0x1a2b3c40 with timeout 45 sec 0 usec.  Total count is 1.",
        )
        .expect("parsed");
        assert_eq!(m.operation, "LdapParallelConnect");
        assert_eq!(m.connection, Some(0x1a2b_3c40));
        assert_eq!(m.timeout_ms, Some(45_000));
        assert_eq!(m.error, None);
        assert!(!m.failed);

        let m = parse_ldap_message("LdapConnect failed to open connection 0xec4b08a8, error = 0x5b.").expect("parsed");
        assert_eq!(m.operation, "LdapConnect");
        assert_eq!(m.connection, Some(0xec4b_08a8));
        assert_eq!(m.error, Some(0x5b));
        assert!(m.failed);
    }

    #[test]
    fn other_shapes() {
        let m = parse_ldap_message("ldap_bind_s returned error 81 on connection 12").expect("parsed");
        assert_eq!((m.error, m.connection, m.failed), (Some(81), Some(12), true));
        let m = parse_ldap_message("LdapSearch with timeout 2 sec 500000 usec").expect("parsed");
        assert_eq!(m.timeout_ms, Some(2500));
        assert_eq!(parse_ldap_message("  0x12 nothing"), None);
    }
}
