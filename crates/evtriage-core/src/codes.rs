//! Windows error codes: Win32, NERR, Winsock, LDAP, NTSTATUS and HRESULT.
//!
//! A support engineer meets the same failure written many ways: `%%58` in an
//! SCM event, `error = 0x5b` in an LDAP client trace, `0xC000005E` in a
//! NETLOGON event's binary data, `-2147024882` in a PowerShell error. This
//! module turns any of those spellings into a number ([`parse_code`]), finds
//! every plausible meaning of the number ([`lookup`]), and gives the English
//! Windows message a `%%N` insertion renders as ([`win32_message`]) — offline,
//! with no message DLLs.
//!
//! # The tables
//!
//! The tables are the tab-separated files in `crates/evtriage-core/data/codes/`
//! (see `PROVENANCE.md` there). The crate's build script turns them into
//! static, code-sorted arrays plus a case-insensitive name index, so a lookup
//! is a binary search and nothing is parsed at run time: start-up cost is
//! zero. (Parsing the ~4,900 rows lazily at first use was measured at
//! 115–150 ms in a debug build — too much for `analyze` on a small file.)
//! Rows that cannot be parsed are skipped with a build warning.
//!
//! | namespace | rows | names | messages |
//! |---|---|---|---|
//! | [`Namespace::Win32`] | 2,789 | `ERROR_*` (and `WSA*` as FormatMessage knows them), `ERROR_WINHTTP_*` | yes |
//! | [`Namespace::Nerr`] | 320 | `NERR_*` | yes |
//! | [`Namespace::Winsock`] | 95 | `WSA*` | yes (short titles) |
//! | [`Namespace::Ldap`] | 62 | `LDAP_*` | 59 (Microsoft's LDAP "Return Values") |
//! | [`Namespace::Ntstatus`] | 1,670 | `STATUS_*` | 1,633 (the Windows SDK's `ntstatus.h` MessageText) |
//! | [`Namespace::Hresult`] | 2,817 | `E_*`, `CO_E_*`, `RPC_E_*`, `SCHED_E_*`, `DISP_E_*`, `SEC_E_*`, `NTE_*`, `CRYPT_E_*`, `CERT_E_*`, `TRUST_E_*`, `WU_E_*`, … | all but 8 (Microsoft's "COM Error Codes" and "Windows Update error codes") |
//!
//! Error code descriptions © Microsoft, from the Windows API documentation,
//! licensed under CC BY 4.0 (Win32, WinHTTP, NERR, Winsock, LDAP texts and the
//! HRESULT table, Windows Update included). NTSTATUS texts are the Windows
//! SDK's `ntstatus.h` MessageText as Microsoft's win32metadata repository
//! carries it. LDAP and NTSTATUS names and numbers come from the public-domain
//! mingw-w64 headers.
//!
//! # HRESULTs
//!
//! An HRESULT is first a bit layout: severity (bit 31), customer (bit 29),
//! NT (bit 28), facility (bits 16–26) and code (bits 0–15).
//! [`decompose_hresult`] splits one; `0x8007xxxx` (`FACILITY_WIN32`) carries a
//! Win32 code, and `0x1xxxxxxx`-flagged values (`HRESULT_FROM_NT`) carry an
//! NTSTATUS. SCM writes such values as decimal insertions, e.g.
//! `%%2147942414` = `0x8007000E` = Win32 14.
//!
//! The HRESULT table (`hresult.tsv`) then names and explains the values of
//! the other facilities that Microsoft's "COM Error Codes" pages list — COM,
//! COM+ and DTC, Task Scheduler, automation, RPC, storage, security packages
//! (SChannel, Kerberos), CryptoAPI, certificates and trust: `%%2147549471` = `0x8001011F` is `RPC_E_TIMEOUT`,
//! "This operation returned because the timeout period expired." A
//! `FACILITY_WIN32` value keeps the Win32 text even when the table also has
//! a row for it (`E_ACCESSDENIED` = `0x80070005` reads as Win32 5, "Access is
//! denied."; `0x80072EE2` as WinHTTP's 12002, "The request has timed out."),
//! and an `HRESULT_FROM_NT` value (`0xD0000022`) reads as its NTSTATUS text.

use std::cmp::Ordering;

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

impl Namespace {
    /// Every namespace, in the order [`lookup`] reports them.
    pub const ALL: [Namespace; 6] = [
        Namespace::Win32,
        Namespace::Nerr,
        Namespace::Winsock,
        Namespace::Ldap,
        Namespace::Ntstatus,
        Namespace::Hresult,
    ];

    /// The short lowercase label used in output and JSON (`win32`, `nerr`, …).
    pub fn label(self) -> &'static str {
        match self {
            Namespace::Win32 => "win32",
            Namespace::Nerr => "nerr",
            Namespace::Winsock => "winsock",
            Namespace::Ldap => "ldap",
            Namespace::Ntstatus => "ntstatus",
            Namespace::Hresult => "hresult",
        }
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
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
    /// The table the message comes from: the namespace itself, except for a
    /// `FACILITY_WIN32` HRESULT, whose text is the Win32 table's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_from: Option<Namespace>,
}

/// One row of a code table, borrowing from the compiled-in text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    code: u32,
    name: &'static str,
    message: &'static str,
}

impl Entry {
    fn info(&self, namespace: Namespace) -> CodeInfo {
        let message = (!self.message.is_empty()).then(|| self.message.to_string());
        CodeInfo {
            namespace,
            code: self.code,
            name: self.name.to_string(),
            message_from: message.is_some().then_some(namespace),
            message,
        }
    }
}

// The tables, generated by `build.rs` from `data/codes/*.tsv`: `WIN32`,
// `NERR`, `WINSOCK`, `LDAP`, `NTSTATUS`, `HRESULT` (code-sorted `&[Entry]`) and
// `NAME_INDEX` (namespace and row index, sorted by ASCII-uppercased name).
include!(concat!(env!("OUT_DIR"), "/codes_tables.rs"));

fn table(ns: Namespace) -> &'static [Entry] {
    match ns {
        Namespace::Win32 => WIN32,
        Namespace::Nerr => NERR,
        Namespace::Winsock => WINSOCK,
        Namespace::Ldap => LDAP,
        Namespace::Ntstatus => NTSTATUS,
        Namespace::Hresult => HRESULT,
    }
}

fn find(ns: Namespace, code: u32) -> Option<&'static Entry> {
    let t = table(ns);
    t.binary_search_by_key(&code, |e| e.code).ok().and_then(|i| t.get(i))
}

/// The row a [`NAME_INDEX`] slot points at.
fn indexed(slot: &(Namespace, u32)) -> Option<(Namespace, &'static Entry)> {
    let (ns, i) = *slot;
    table(ns).get(i as usize).map(|e| (ns, e))
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

/// How many rows the compiled-in table of `ns` holds.
pub fn table_len(ns: Namespace) -> usize {
    table(ns).len()
}

/// Every row of the table of `ns`, in code order.
pub fn entries(ns: Namespace) -> impl Iterator<Item = CodeInfo> {
    table(ns).iter().map(move |e| e.info(ns))
}

/// The symbolic name of `code` in `ns`, if the table has it.
pub fn name(ns: Namespace, code: u32) -> Option<&'static str> {
    find(ns, code).map(|e| e.name)
}

/// The English message of `code` in `ns`, if the table has one.
pub fn message(ns: Namespace, code: u32) -> Option<&'static str> {
    find(ns, code).map(|e| e.message).filter(|m| !m.is_empty())
}

/// Parses a code as logs and people write it: `58`, `0x3A`, `%%58`,
/// `-2147024882` (as unsigned 32-bit), `%%2147942414`, `c0000022` (eight hex
/// digits without `0x`, see [`parse_code_number`]), or a symbolic name such
/// as `ERROR_BAD_NET_RESP` or `RPC_E_TIMEOUT` (any table, case-insensitive).
/// Returns `None` for text that is none of these or does not fit in 32 bits.
pub fn parse_code(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("%%").unwrap_or(t).trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
        return parse_code_number(t);
    }
    parse_bare_hex(t).or_else(|| by_name(t).map(|info| info.code))
}

/// Eight hex digits without `0x` as NTSTATUS and HRESULT values are often
/// written (`c0000022`, `8007000E`): accepted only when at least one digit is
/// a letter (an all-decimal `80070005` stays decimal) and the value has the
/// high bit set, as error values do (`0000abcd` is not taken for a code).
fn parse_bare_hex(t: &str) -> Option<u32> {
    let b = t.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_hexdigit) || !b.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    u32::from_str_radix(t, 16).ok().filter(|v| v & 0x8000_0000 != 0)
}

/// Like [`parse_code`] but numbers only (no symbolic names): `58`, `0x3A`,
/// `%%58`, `-2147024882`, and eight hex digits without `0x` when one of them
/// is a letter and the high bit is set (`c0000022`, `8007000e`). Cheap, for
/// hot paths such as `%%N` expansion.
pub fn parse_code_number(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("%%").unwrap_or(t).trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        // `from_str_radix` accepts a leading `+`; a hex code never has one.
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    // Negative decimal: the signed view of a 32-bit value (HRESULTs,
    // NTSTATUS as .NET or PowerShell print them).
    t.parse::<i32>().ok().map(|n| n as u32).or_else(|| parse_bare_hex(t))
}

/// Every plausible meaning of `code`, across all namespaces, in the order
/// Win32, NERR, Winsock, LDAP, NTSTATUS, HRESULT. Empty when no table knows
/// the number and it is not an HRESULT.
///
/// An HRESULT entry is produced for values the HRESULT table lists and for
/// values with the severity bit set (or the NT bit); see [`hresult_info`].
pub fn lookup(code: u32) -> Vec<CodeInfo> {
    let mut out = Vec::new();
    for ns in [Namespace::Win32, Namespace::Nerr, Namespace::Winsock, Namespace::Ldap, Namespace::Ntstatus] {
        if let Some(e) = find(ns, code) {
            out.push(e.info(ns));
        }
    }
    out.extend(hresult_info(code));
    out
}

/// The HRESULT meaning of `code`, if it has one:
///
/// - `FACILITY_WIN32` (`0x8007xxxx`): named by its decomposition,
///   `HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)` (preceded by the HRESULT
///   table's name when it has one, `E_ACCESSDENIED = …`), with the Win32
///   code's text;
/// - a value the HRESULT table lists: its name (`RPC_E_TIMEOUT`) and text;
/// - any other failure value: the decomposition spelled out
///   (`HRESULT SEVERITY_ERROR, FACILITY_ITF (4), code 512 (0x0200)` or
///   `HRESULT_FROM_NT(STATUS_X)`), without text except for an
///   `HRESULT_FROM_NT` value, which reads as the NTSTATUS table's text.
pub fn hresult_info(code: u32) -> Option<CodeInfo> {
    let row = find(Namespace::Hresult, code);
    let h = decompose_hresult(code);
    if let Some(w) = h.and_then(|h| h.win32()) {
        let described = h.map(|h| h.describe()).unwrap_or_default();
        let name = match row {
            Some(r) => format!("{} = {described}", r.name),
            None => described,
        };
        let (message, message_from) = match win32_message(w) {
            Some(m) => (Some(m), Some(Namespace::Win32)),
            None => {
                let m = row.map(|r| r.message).filter(|m| !m.is_empty());
                (m, m.map(|_| Namespace::Hresult))
            }
        };
        return Some(CodeInfo {
            namespace: Namespace::Hresult,
            code,
            name,
            message: message.map(str::to_string),
            message_from,
        });
    }
    if let Some(r) = row {
        return Some(r.info(Namespace::Hresult));
    }
    h.map(|h| {
        // HRESULT_FROM_NT(status) reads as the status's text, when known.
        let nt = h.ntstatus.and_then(|nt| message(Namespace::Ntstatus, nt));
        CodeInfo {
            namespace: Namespace::Hresult,
            code,
            name: h.describe(),
            message: nt.map(str::to_string),
            message_from: nt.map(|_| Namespace::Ntstatus),
        }
    })
}

/// The code with symbolic name `name` (case-insensitive), if any table has it.
/// When two tables share a name (Win32 and Winsock both list `WSA*`), the
/// Win32 row is returned.
pub fn by_name(name: &str) -> Option<CodeInfo> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let key = |slot: &(Namespace, u32)| indexed(slot).map_or("", |(_, e)| e.name);
    // The lower bound: the first of possibly several equal names.
    let i = NAME_INDEX.partition_point(|slot| cmp_ignore_ascii_case(key(slot), name) == Ordering::Less);
    let (ns, e) = indexed(NAME_INDEX.get(i)?)?;
    (cmp_ignore_ascii_case(e.name, name) == Ordering::Equal).then(|| e.info(ns))
}

/// The Win32 message of `code` (what a `%%N` insertion renders as).
///
/// Only plain Win32 codes are looked up here; for insertions that may carry an
/// HRESULT (`%%2147942414`) use [`insertion_message`].
pub fn win32_message(code: u32) -> Option<&'static str> {
    message(Namespace::Win32, code)
}

/// The text a `%%N` insertion of `code` renders as: the Win32 message of
/// `code`; when `code` is `HRESULT_FROM_WIN32(n)` (`0x8007xxxx`), the Win32
/// message of `n`; and for any other failure HRESULT (high bit set) the
/// HRESULT table's text (`%%2147549471` = `0x8001011F`, `RPC_E_TIMEOUT`:
/// "This operation returned because the timeout period expired.").
///
/// Small numbers are always Win32 codes here: `%%58` is Win32 58, never an
/// HRESULT success code that happens to share the number.
pub fn insertion_message(code: u32) -> Option<&'static str> {
    win32_message(code)
        .or_else(|| win32_in_hresult(code).and_then(win32_message))
        .or_else(|| (code & 0x8000_0000 != 0).then(|| message(Namespace::Hresult, code)).flatten())
}

/// The Win32 code inside `HRESULT_FROM_WIN32` form (`0x8007xxxx`), if `code` has that form.
pub fn win32_in_hresult(code: u32) -> Option<u32> {
    (code & 0xFFFF_0000 == 0x8007_0000).then_some(code & 0xFFFF)
}

/// A code normalized for comparison: parsed with [`parse_code`] (so names,
/// `%%N`, hex, decimal and negative decimal all work), and an
/// `HRESULT_FROM_WIN32` value (`0x8007xxxx`) reduced to its Win32 code.
///
/// The reduction is a deliberate choice: SCM writes the same failure as
/// `%%58` or as `%%2147942458` depending on the service, and a rule about
/// "error 58" should match both. Other HRESULTs, NTSTATUS values and names of
/// any table keep their own value; namespaces are not compared, so
/// `LDAP_CONNECT_ERROR` (91) equals `91`.
pub fn normalize_code(text: &str) -> Option<u32> {
    let code = parse_code(text)?;
    Some(win32_in_hresult(code).unwrap_or(code))
}

/// Whether two code spellings mean the same number after [`normalize_code`]:
/// `%%58`, `58`, `0x3A`, `0x8007003A` and `ERROR_BAD_NET_RESP` are all equal.
/// Text that is not a code is equal to nothing (not even itself).
pub fn codes_equal(a: &str, b: &str) -> bool {
    match (normalize_code(a), normalize_code(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// An HRESULT split into its bit fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hresult {
    /// The whole value.
    pub value: u32,
    /// Severity bit (bit 31): the value reports a failure.
    pub failure: bool,
    /// Customer bit (bit 29): a vendor-defined value, not Microsoft's.
    pub customer: bool,
    /// The facility (bits 16–26), e.g. 7 = `FACILITY_WIN32`.
    pub facility: u16,
    /// The facility's symbolic name, when it is a well-known one.
    pub facility_name: Option<&'static str>,
    /// The facility-specific code (bits 0–15).
    pub code: u16,
    /// For `HRESULT_FROM_NT` values (bit 28 set), the NTSTATUS inside.
    pub ntstatus: Option<u32>,
}

impl Hresult {
    /// The Win32 code inside, for `FACILITY_WIN32` values.
    pub fn win32(&self) -> Option<u32> {
        (self.ntstatus.is_none() && !self.customer && self.facility == 7).then_some(u32::from(self.code))
    }

    /// A short name for the decomposition: `HRESULT_FROM_WIN32(ERROR_X)`,
    /// `HRESULT_FROM_NT(STATUS_X)`, or the fields spelled out.
    pub fn describe(&self) -> String {
        if let Some(nt) = self.ntstatus {
            return match name(Namespace::Ntstatus, nt) {
                Some(n) => format!("HRESULT_FROM_NT({n})"),
                None => format!("HRESULT_FROM_NT(0x{nt:08X})"),
            };
        }
        if let Some(w) = self.win32() {
            return match name(Namespace::Win32, w) {
                Some(n) => format!("HRESULT_FROM_WIN32({n})"),
                None => format!("HRESULT_FROM_WIN32({w})"),
            };
        }
        let sev = if self.failure { "SEVERITY_ERROR" } else { "SEVERITY_SUCCESS" };
        let fac = match self.facility_name {
            Some(f) => format!("{f} ({})", self.facility),
            None => format!("facility {}", self.facility),
        };
        let cust = if self.customer { ", customer-defined" } else { "" };
        format!("HRESULT {sev}, {fac}, code {} (0x{:04X}){cust}", self.code, self.code)
    }

    /// The text of the value: for `FACILITY_WIN32`, the message of the Win32
    /// code inside; otherwise the HRESULT table's text when it lists the
    /// value, and for `HRESULT_FROM_NT` the NTSTATUS table's text.
    pub fn message(&self) -> Option<&'static str> {
        match self.win32() {
            Some(w) => win32_message(w),
            None => message(Namespace::Hresult, self.value)
                .or_else(|| self.ntstatus.and_then(|nt| message(Namespace::Ntstatus, nt))),
        }
    }
}

/// Splits `value` as an HRESULT, if it plausibly is one: the severity bit is
/// set and the reserved bit 30 is clear (values with bits 31 and 30 set are
/// NTSTATUS errors), or the NT bit 28 is set along with bit 31 or 30
/// (`HRESULT_FROM_NT` of a warning or error status).
pub fn decompose_hresult(value: u32) -> Option<Hresult> {
    let failure = value & 0x8000_0000 != 0;
    let reserved = value & 0x4000_0000 != 0;
    // HRESULT_FROM_NT(status) = status | 0x10000000, and a status worth
    // wrapping has a non-success severity, so bits 31 or 30 are set too.
    let nt = value & 0x1000_0000 != 0 && value & 0xC000_0000 != 0;
    if nt {
        return Some(Hresult {
            value,
            failure,
            customer: false,
            facility: 0,
            facility_name: None,
            code: (value & 0xFFFF) as u16,
            ntstatus: Some(value & !0x1000_0000),
        });
    }
    if !failure || reserved {
        return None;
    }
    let facility = ((value >> 16) & 0x7FF) as u16;
    Some(Hresult {
        value,
        failure,
        customer: value & 0x2000_0000 != 0,
        facility,
        facility_name: facility_name(facility),
        code: (value & 0xFFFF) as u16,
        ntstatus: None,
    })
}

/// Well-known HRESULT facilities (WinError.h).
fn facility_name(facility: u16) -> Option<&'static str> {
    Some(match facility {
        0 => "FACILITY_NULL",
        1 => "FACILITY_RPC",
        2 => "FACILITY_DISPATCH",
        3 => "FACILITY_STORAGE",
        4 => "FACILITY_ITF",
        7 => "FACILITY_WIN32",
        8 => "FACILITY_WINDOWS",
        9 => "FACILITY_SECURITY",
        10 => "FACILITY_CONTROL",
        11 => "FACILITY_CERT",
        12 => "FACILITY_INTERNET",
        13 => "FACILITY_MEDIASERVER",
        14 => "FACILITY_MSMQ",
        15 => "FACILITY_SETUPAPI",
        16 => "FACILITY_SCARD",
        17 => "FACILITY_COMPLUS",
        18 => "FACILITY_AAF",
        19 => "FACILITY_URT",
        20 => "FACILITY_ACS",
        21 => "FACILITY_DPLAY",
        22 => "FACILITY_UMI",
        23 => "FACILITY_SXS",
        24 => "FACILITY_WINDOWS_CE",
        25 => "FACILITY_HTTP",
        26 => "FACILITY_USERMODE_COMMONLOG",
        31 => "FACILITY_USERMODE_FILTER_MANAGER",
        32 => "FACILITY_BACKGROUNDCOPY",
        33 => "FACILITY_CONFIGURATION",
        34 => "FACILITY_STATE_MANAGEMENT",
        35 => "FACILITY_METADIRECTORY",
        36 => "FACILITY_WINDOWSUPDATE",
        37 => "FACILITY_DIRECTORYSERVICE",
        38 => "FACILITY_GRAPHICS",
        39 => "FACILITY_SHELL",
        40 => "FACILITY_TPM_SERVICES",
        41 => "FACILITY_TPM_SOFTWARE",
        48 => "FACILITY_PLA",
        49 => "FACILITY_FVE",
        50 => "FACILITY_FWP",
        51 => "FACILITY_WINRM",
        52 => "FACILITY_NDIS",
        53 => "FACILITY_USERMODE_HYPERVISOR",
        54 => "FACILITY_CMI",
        55 => "FACILITY_USERMODE_VIRTUALIZATION",
        56 => "FACILITY_USERMODE_VOLMGR",
        57 => "FACILITY_BCD",
        58 => "FACILITY_USERMODE_VHD",
        60 => "FACILITY_SDIAG",
        61 => "FACILITY_WEBSERVICES",
        80 => "FACILITY_WINDOWS_DEFENDER",
        81 => "FACILITY_OPC",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        assert_eq!(parse_code("58"), Some(58));
        assert_eq!(parse_code(" 0x3a "), Some(58));
        assert_eq!(parse_code("0X3A"), Some(58));
        assert_eq!(parse_code("%%58"), Some(58));
        assert_eq!(parse_code("%%2147942414"), Some(0x8007_000E));
        assert_eq!(parse_code("-2147024882"), Some(0x8007_000E));
        assert_eq!(parse_code("%%-2147024882"), Some(0x8007_000E));
        assert_eq!(parse_code("error_bad_net_resp"), Some(58));
        assert_eq!(parse_code("0x"), None);
        assert_eq!(parse_code("0x+5"), None);
        assert_eq!(parse_code("0x100000000"), None);
        assert_eq!(parse_code("4294967296"), None);
        assert_eq!(parse_code("-2147483649"), None);
        assert_eq!(parse_code(""), None);
        assert_eq!(parse_code("%%"), None);
        assert_eq!(parse_code("NOT_A_CODE"), None);
        // Eight hex digits without 0x: a letter and the high bit make it hex.
        assert_eq!(parse_code("c0000022"), Some(0xC000_0022));
        assert_eq!(parse_code("C000005E"), Some(0xC000_005E));
        assert_eq!(parse_code("8007000e"), Some(0x8007_000E));
        assert_eq!(parse_code("80070005"), Some(80_070_005), "all digits: decimal");
        assert_eq!(parse_code("0000abcd"), None, "no high bit");
        assert_eq!(parse_code("c000002"), None, "seven digits");
        assert_eq!(parse_code("rpc_e_timeout"), Some(0x8001_011F));
    }

    #[test]
    fn hresult_layout() {
        let h = decompose_hresult(0x8007_000E).expect("an HRESULT");
        assert!(h.failure);
        assert_eq!(h.facility, 7);
        assert_eq!(h.win32(), Some(14));
        assert_eq!(h.describe(), "HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)");
        assert_eq!(decompose_hresult(0xC000_005E), None, "NTSTATUS errors are not HRESULTs");
        assert_eq!(decompose_hresult(58), None);
        let nt = decompose_hresult(0xD000_005E).expect("HRESULT_FROM_NT");
        assert_eq!(nt.ntstatus, Some(0xC000_005E));
        assert_eq!(nt.describe(), "HRESULT_FROM_NT(STATUS_NO_LOGON_SERVERS)");
        let e_fail = decompose_hresult(0x8000_4005).expect("E_FAIL");
        assert_eq!(e_fail.facility_name, Some("FACILITY_NULL"));
        assert_eq!(e_fail.message(), Some("Unspecified error"));
        let custom = decompose_hresult(0xA004_0200).expect("a customer HRESULT");
        assert_eq!(custom.message(), None);
    }
}

/// A Windows bug check (stop) code from Microsoft's Bug Check Code
/// Reference (`data/codes/bugcheck.tsv`, see its header and PROVENANCE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BugCheck {
    /// The code (`0x9F`).
    pub code: u32,
    /// Its symbolic name (`DRIVER_POWER_STATE_FAILURE`).
    pub name: &'static str,
    /// The slug of its article: `https://learn.microsoft.com/windows-hardware/drivers/debugger/<slug>`.
    pub slug: &'static str,
}

impl BugCheck {
    /// The address of the code's article on Microsoft Learn.
    pub fn url(&self) -> String {
        format!("https://learn.microsoft.com/windows-hardware/drivers/debugger/{}", self.slug)
    }
}

const BUGCHECK_TSV: &str = include_str!("../data/codes/bugcheck.tsv");

/// The bug check table, sorted by code (parsed once; rows that do not parse
/// are a defect of the data file, caught by its test, and left out here).
fn bug_checks() -> &'static [BugCheck] {
    static TABLE: std::sync::OnceLock<Vec<BugCheck>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<BugCheck> = BUGCHECK_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut f = l.split('\t');
                let code = f.next()?.trim().strip_prefix("0x")?;
                let code = u32::from_str_radix(code, 16).ok()?;
                Some(BugCheck { code, name: f.next()?.trim(), slug: f.next()?.trim() })
            })
            .collect();
        rows.sort_by_key(|b| b.code);
        rows
    })
}

/// The bug check of `code` (`159` = 0x9F, `DRIVER_POWER_STATE_FAILURE`), if
/// Microsoft's reference lists it. Kernel-Power 41 writes the code in decimal.
pub fn bug_check(code: u32) -> Option<BugCheck> {
    let table = bug_checks();
    table.binary_search_by_key(&code, |b| b.code).ok().and_then(|i| table.get(i)).copied()
}

#[cfg(test)]
mod bug_check_tests {
    use super::*;

    #[test]
    fn every_row_of_the_table_parses_and_codes_are_unique() {
        let rows = BUGCHECK_TSV.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).count();
        // The column header line does not parse; every other row does.
        assert_eq!(bug_checks().len(), rows - 1);
        assert!(bug_checks().windows(2).all(|w| w[0].code < w[1].code));
        let b = bug_check(159).map(|b| (b.name, b.url()));
        assert_eq!(
            b,
            Some((
                "DRIVER_POWER_STATE_FAILURE",
                "https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x9f--driver-power-state-failure"
                    .to_string()
            ))
        );
        assert_eq!(bug_check(0x124).map(|b| b.name), Some("WHEA_UNCORRECTABLE_ERROR"));
        assert_eq!(bug_check(0xDEAD_DEAD).map(|b| b.name), Some("MANUALLY_INITIATED_CRASH1"));
        assert_eq!(bug_check(0), None);
    }
}
