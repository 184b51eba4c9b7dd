//! Microsoft-Windows-LDAP-Client events.
//!
//! The provider's manifest (published in fox-it/dissect.etl and
//! airbus-cert/etl-parser) declares, for version 0 of every event:
//! - events 1–29 and 31: one field `Message`, an ANSI NUL-terminated string —
//!   the same text `tracerpt` prints as `Message=…`;
//! - event 30: `ScopeOfSearch` (u32), `SearchFilter`, `DistinguishedName`,
//!   `AttributeList` (UTF-16 NUL-terminated strings) and `ProcessId` (u32).
//!
//! KB4530043's boot trace (`logman … -p Microsoft-Windows-LDAP-Client
//! 0xffffffffffffffff 0xff … -mode Circular -f bincirc`) consists of these.

use crate::bytes::{ansiz_at, u32_at, utf16z_at};
use crate::guid::Guid;

/// `{099614a5-5dd7-4788-8bc9-e29f43db28fc}`, Microsoft-Windows-LDAP-Client.
pub const LDAP_CLIENT_PROVIDER: Guid =
    Guid::from_fields(0x099614a5, 0x5dd7, 0x4788, [0x8b, 0xc9, 0xe2, 0x9f, 0x43, 0xdb, 0x28, 0xfc]);

/// The provider's name.
pub const LDAP_CLIENT_PROVIDER_NAME: &str = "Microsoft-Windows-LDAP-Client";

/// A decoded Microsoft-Windows-LDAP-Client event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdapClientEvent {
    /// Events 1–29 and 31: the client's debug text, e.g.
    /// `LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.`
    /// (trailing line breaks removed).
    Message(String),
    /// Event 30: a search request.
    Search {
        /// `ScopeOfSearch`: 0 base, 1 one level, 2 subtree.
        scope: u32,
        /// `SearchFilter`, e.g. `(objectClass=*)`.
        filter: String,
        /// `DistinguishedName`: the search base.
        dn: String,
        /// `AttributeList` as the client logged it.
        attributes: String,
        /// `ProcessId` of the searching process.
        process_id: u32,
    },
}

impl LdapClientEvent {
    /// The text a `tracerpt` rendering would show as the message: the
    /// `Message` field, or a summary of a search.
    pub fn text(&self) -> String {
        match self {
            LdapClientEvent::Message(m) => m.clone(),
            LdapClientEvent::Search { scope, filter, dn, attributes, process_id } => format!(
                "Search: scope {scope}, filter {filter}, base {dn}, attributes {attributes}, process {process_id}"
            ),
        }
    }
}

/// Decodes the user data of a Microsoft-Windows-LDAP-Client event (`id`, version 0).
/// `None` for ids the manifest does not define or data too short to hold the fields.
pub fn decode(id: u16, payload: &[u8]) -> Option<LdapClientEvent> {
    match id {
        1..=29 | 31 => {
            let (text, _) = ansiz_at(payload, 0)?;
            Some(LdapClientEvent::Message(text.trim_end_matches(['\r', '\n']).to_owned()))
        }
        30 => {
            let scope = u32_at(payload, 0)?;
            let (filter, p) = utf16z_at(payload, 4)?;
            let (dn, p) = utf16z_at(payload, p)?;
            let (attributes, p) = utf16z_at(payload, p)?;
            let process_id = u32_at(payload, p)?;
            Some(LdapClientEvent::Search { scope, filter, dn, attributes, process_id })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn message_events_carry_ansi_text() {
        let e = decode(2, b"LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.\n\0junk");
        assert_eq!(
            e,
            Some(LdapClientEvent::Message("LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.".into()))
        );
        assert_eq!(decode(31, b"x"), Some(LdapClientEvent::Message("x".into())));
        assert_eq!(decode(32, b"x\0"), None);
    }

    #[test]
    fn event_30_is_a_search() {
        let mut p = 2u32.to_le_bytes().to_vec();
        p.extend(utf16z("(objectClass=*)"));
        p.extend(utf16z("DC=contoso,DC=com"));
        p.extend(utf16z("cn;dnsHostName"));
        p.extend(4242u32.to_le_bytes());
        let e = decode(30, &p);
        assert_eq!(
            e,
            Some(LdapClientEvent::Search {
                scope: 2,
                filter: "(objectClass=*)".into(),
                dn: "DC=contoso,DC=com".into(),
                attributes: "cn;dnsHostName".into(),
                process_id: 4242
            })
        );
        // Cut before the process id: not decoded rather than misread.
        assert_eq!(decode(30, &p[..p.len() - 2]), None);
        assert_eq!(LDAP_CLIENT_PROVIDER.to_string(), "{099614a5-5dd7-4788-8bc9-e29f43db28fc}");
    }
}
