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
//! (see `PROVENANCE.md` there), compiled into the binary with `include_str!`.
//! Each table is parsed the first time it is needed into an array sorted by
//! code (rows borrow from the static text, nothing is copied), so programs that
//! never look a code up pay nothing, and the first lookup costs well under a
//! millisecond (all five tables, about 4,900 rows, parse in roughly 0.2 ms in
//! a debug-free release build; see the `messages_codes` tests). Rows that
//! cannot be parsed are skipped rather than failing.
//!
//! | namespace | rows | names | messages |
//! |---|---|---|---|
//! | [`Namespace::Win32`] | 2,743 | `ERROR_*` (and `WSA*` as FormatMessage knows them) | yes |
//! | [`Namespace::Nerr`] | 320 | `NERR_*` | yes |
//! | [`Namespace::Winsock`] | 95 | `WSA*` | yes (short titles) |
//! | [`Namespace::Ldap`] | 62 | `LDAP_*` | no |
//! | [`Namespace::Ntstatus`] | 1,670 | `STATUS_*` | no |
//!
//! Error code descriptions © Microsoft, from the Windows API documentation,
//! licensed under CC BY 4.0. LDAP and NTSTATUS names come from the
//! public-domain mingw-w64 headers.
//!
//! # HRESULTs
//!
//! HRESULTs are not a table but a bit layout: severity (bit 31), customer
//! (bit 29), NT (bit 28), facility (bits 16–26) and code (bits 0–15).
//! [`decompose_hresult`] splits one; `0x8007xxxx` (`FACILITY_WIN32`) carries a
//! Win32 code, and `0x1xxxxxxx`-flagged values (`HRESULT_FROM_NT`) carry an
//! NTSTATUS. SCM writes such values as decimal insertions, e.g.
//! `%%2147942414` = `0x8007000E` = Win32 14.

use std::cmp::Ordering;
use std::sync::OnceLock;

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
        CodeInfo {
            namespace,
            code: self.code,
            name: self.name.to_string(),
            message: (!self.message.is_empty()).then(|| self.message.to_string()),
        }
    }
}

const WIN32_TSV: &str = include_str!("../data/codes/win32.tsv");
const NERR_TSV: &str = include_str!("../data/codes/nerr.tsv");
const WINSOCK_TSV: &str = include_str!("../data/codes/winsock.tsv");
const LDAP_TSV: &str = include_str!("../data/codes/ldap.tsv");
const NTSTATUS_TSV: &str = include_str!("../data/codes/ntstatus.tsv");

/// Parses one table: a header line, then `code \t hex \t name \t message`.
/// Rows whose code is not a number or whose name is empty are skipped.
fn parse_table(text: &'static str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let code = cols.next()?.trim().parse::<u32>().ok()?;
            let _hex = cols.next()?;
            let name = cols.next()?.trim();
            let message = cols.next().unwrap_or("").trim();
            (!name.is_empty()).then_some(Entry { code, name, message })
        })
        .collect();
    entries.sort_by_key(|e| e.code);
    entries
}

fn table(ns: Namespace) -> &'static [Entry] {
    static WIN32: OnceLock<Vec<Entry>> = OnceLock::new();
    static NERR: OnceLock<Vec<Entry>> = OnceLock::new();
    static WINSOCK: OnceLock<Vec<Entry>> = OnceLock::new();
    static LDAP: OnceLock<Vec<Entry>> = OnceLock::new();
    static NTSTATUS: OnceLock<Vec<Entry>> = OnceLock::new();
    match ns {
        Namespace::Win32 => WIN32.get_or_init(|| parse_table(WIN32_TSV)),
        Namespace::Nerr => NERR.get_or_init(|| parse_table(NERR_TSV)),
        Namespace::Winsock => WINSOCK.get_or_init(|| parse_table(WINSOCK_TSV)),
        Namespace::Ldap => LDAP.get_or_init(|| parse_table(LDAP_TSV)),
        Namespace::Ntstatus => NTSTATUS.get_or_init(|| parse_table(NTSTATUS_TSV)),
        Namespace::Hresult => &[],
    }
}

fn find(ns: Namespace, code: u32) -> Option<&'static Entry> {
    let t = table(ns);
    t.binary_search_by_key(&code, |e| e.code).ok().and_then(|i| t.get(i))
}

/// Case-insensitive index of every name, for [`by_name`]. Built on first use.
fn name_index() -> &'static [(Namespace, &'static Entry)] {
    static INDEX: OnceLock<Vec<(Namespace, &'static Entry)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut v: Vec<(Namespace, &'static Entry)> = Vec::new();
        for ns in Namespace::ALL {
            v.extend(table(ns).iter().map(|e| (ns, e)));
        }
        // Stable sort: for a name in two tables (WSA* is in Win32 and
        // Winsock) the earlier namespace stays first.
        v.sort_by(|a, b| cmp_ignore_ascii_case(a.1.name, b.1.name));
        v
    })
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

/// How many rows the compiled-in table of `ns` holds (0 for
/// [`Namespace::Hresult`], which has no table).
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
/// `-2147024882` (as unsigned 32-bit), `%%2147942414`, or a symbolic name such
/// as `ERROR_BAD_NET_RESP` (any table, case-insensitive). Returns `None` for
/// text that is none of these or does not fit in 32 bits.
pub fn parse_code(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("%%").unwrap_or(t).trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
        return parse_code_number(t);
    }
    by_name(t).map(|info| info.code)
}

/// Like [`parse_code`] but numbers only (no symbolic names): `58`, `0x3A`,
/// `%%58`, `-2147024882`. Cheap, for hot paths such as `%%N` expansion.
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
    t.parse::<i32>().ok().map(|n| n as u32)
}

/// Every plausible meaning of `code`, across all namespaces, in the order
/// Win32, NERR, Winsock, LDAP, NTSTATUS, HRESULT. Empty when no table knows
/// the number and it is not an HRESULT.
///
/// An HRESULT entry is produced for values with the severity bit set (or the
/// NT bit): its name spells the decomposition, e.g.
/// `HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)`, and its message is the message of
/// the Win32 code inside (none for other facilities).
pub fn lookup(code: u32) -> Vec<CodeInfo> {
    let mut out = Vec::new();
    for ns in [Namespace::Win32, Namespace::Nerr, Namespace::Winsock, Namespace::Ldap, Namespace::Ntstatus] {
        if let Some(e) = find(ns, code) {
            out.push(e.info(ns));
        }
    }
    if let Some(h) = decompose_hresult(code) {
        out.push(CodeInfo {
            namespace: Namespace::Hresult,
            code,
            name: h.describe(),
            message: h.message().map(str::to_string),
        });
    }
    out
}

/// The code with symbolic name `name` (case-insensitive), if any table has it.
/// When two tables share a name (Win32 and Winsock both list `WSA*`), the
/// Win32 row is returned.
pub fn by_name(name: &str) -> Option<CodeInfo> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let index = name_index();
    // First of possibly several equal names: partition_point gives the lower bound.
    let i = index.partition_point(|(_, e)| cmp_ignore_ascii_case(e.name, name) == Ordering::Less);
    let (ns, e) = index.get(i)?;
    (cmp_ignore_ascii_case(e.name, name) == Ordering::Equal).then(|| e.info(*ns))
}

/// The Win32 message of `code` (what a `%%N` insertion renders as).
///
/// Only plain Win32 codes are looked up here; for insertions that may carry an
/// HRESULT (`%%2147942414`) use [`insertion_message`].
pub fn win32_message(code: u32) -> Option<&'static str> {
    message(Namespace::Win32, code)
}

/// The text a `%%N` insertion of `code` renders as: the Win32 message of
/// `code`, or, when `code` is `HRESULT_FROM_WIN32(n)` (`0x8007xxxx`), the
/// Win32 message of `n`.
pub fn insertion_message(code: u32) -> Option<&'static str> {
    win32_message(code).or_else(|| win32_in_hresult(code).and_then(win32_message))
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

    /// The message of the code inside, when it is a Win32 code the table knows.
    pub fn message(&self) -> Option<&'static str> {
        self.win32().and_then(win32_message)
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
        assert_eq!(e_fail.message(), None);
    }
}
