//! Input formats, recognised by content, never by file name alone.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every input format evtriage knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// Binary Windows event log (`ElfFile\0` magic).
    Evtx,
    /// Event Viewer "Save as XML" (`<Events>` wrapper) or `wevtutil qe /f:xml` (bare `<Event>`s).
    EventXml,
    /// `tracerpt -of XML` output of an ETW trace.
    TracerptXml,
    /// `tracerpt -of CSV` output of an ETW trace.
    TracerptCsv,
    /// ETW records rendered as text: `[Provider/Channel] Message=…`.
    EtwText,
    /// Binary ETW trace (`.etl`).
    Etl,
    /// `netstat -an`, `-ano` or `-anob` output.
    Netstat,
    /// Sysinternals `tcpvcon -a -c` CSV.
    Tcpvcon,
    /// `tasklist /svc` output.
    Tasklist,
    /// `regedit` export (`Windows Registry Editor Version 5.00` / `REGEDIT4`).
    Reg,
    /// PowerShell `Format-List` output (e.g. `Test-OutlookWebServices | fl`).
    PowerShellList,
    /// A zip archive of any of the above.
    Zip,
    /// Not recognised.
    Unknown,
}

impl Format {
    /// The short name used in output (`evtx`, `event-xml`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::EventXml => "event-xml",
            Format::TracerptXml => "tracerpt-xml",
            Format::TracerptCsv => "tracerpt-csv",
            Format::EtwText => "etw-text",
            Format::Etl => "etl",
            Format::Netstat => "netstat",
            Format::Tcpvcon => "tcpvcon",
            Format::Tasklist => "tasklist",
            Format::Reg => "reg",
            Format::PowerShellList => "powershell-list",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The evtx file magic.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Recognises the format of an input from its first bytes (a few KiB are enough).
pub fn detect(head: &[u8]) -> Format {
    if head.starts_with(EVTX_MAGIC) {
        return Format::Evtx;
    }
    if crate::etl::looks_like_etl(head) {
        return Format::Etl;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    Format::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_evtx_by_magic_only() {
        assert_eq!(detect(b"ElfFile\0rest"), Format::Evtx);
        assert_eq!(detect(b"ElfFil"), Format::Unknown);
        assert_eq!(detect(b""), Format::Unknown);
    }
}
