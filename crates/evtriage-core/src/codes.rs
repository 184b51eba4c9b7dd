//! Windows error codes: Win32, NERR, Winsock, LDAP, NTSTATUS and HRESULT.
//!
//! (Skeleton: the tables land with the messages issue. The signatures here are
//! the contract other crates build on.)

use serde::Serialize;

/// The namespace a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    /// Win32 system error codes (`ERROR_*`).
    Win32,
    /// Network management codes (`NERR_*`, 2100–2999).
    Nerr,
    /// Windows Sockets codes (`WSA*`).
    Winsock,
    /// LDAP result codes (`LDAP_*`).
    Ldap,
    /// NTSTATUS codes (`STATUS_*`).
    Ntstatus,
    /// An HRESULT decomposed into facility and code.
    Hresult,
}

/// One meaning of a number in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    /// The namespace.
    pub namespace: Namespace,
    /// The code as an unsigned 32-bit number.
    pub code: u32,
    /// The symbolic name, e.g. `ERROR_BAD_NET_RESP`.
    pub name: String,
    /// The English message, when the table has one.
    pub message: Option<String>,
}

/// Parses a code as logs and people write it: `58`, `0x3A`, `%%58`,
/// `-2147024882` (as unsigned 32-bit), `%%2147942414`, or a symbolic name such
/// as `ERROR_BAD_NET_RESP`.
pub fn parse_code(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("%%").unwrap_or(t);
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    if let Ok(n) = t.parse::<i32>() {
        return Some(n as u32);
    }
    None
}

/// Every plausible meaning of `code`, across all namespaces.
pub fn lookup(_code: u32) -> Vec<CodeInfo> {
    Vec::new()
}

/// The code with symbolic name `name` (case-insensitive), if any table has it.
pub fn by_name(_name: &str) -> Option<CodeInfo> {
    None
}

/// The Win32 message of `code` (what a `%%N` insertion renders as).
pub fn win32_message(_code: u32) -> Option<&'static str> {
    None
}
