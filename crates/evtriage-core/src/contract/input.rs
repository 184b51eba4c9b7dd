//! What is known about one input: its [`Format`], what was read from it
//! ([`InputSummary`]), and whether it gave nothing to work with ([`unread`]).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Severity};

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
    /// `sc qc NAME` output: a service's configuration, read as the registry
    /// values it reflects.
    ScQc,
    /// `regedit` export (`Windows Registry Editor Version 5.00` / `REGEDIT4`).
    Reg,
    /// `systeminfo` output (list or `/fo csv`): the computer, its operating
    /// system, role, time zone and installed updates.
    Systeminfo,
    /// A `Get-HotFix` or `wmic qfe list` table: installed updates.
    HotfixTable,
    /// `netsh int ipv4|ipv6 show excludedportrange` or `show dynamicport`
    /// output: port ranges reserved or handed out as ephemeral ports.
    NetshPorts,
    /// PowerShell `Format-List` output (e.g. `Test-OutlookWebServices | fl`).
    #[serde(rename = "powershell-list", alias = "power-shell-list")]
    PowerShellList,
    /// Event Viewer "Save All Events As… CSV" (`Level,Date and Time,Source,Event
    /// ID,Task Category`, then the message), localized headers included.
    #[serde(rename = "eventviewer-csv")]
    EventViewerCsv,
    /// Event Viewer "Save All Events As… Text (Tab delimited)": the same
    /// columns as [`Format::EventViewerCsv`], separated by tabs.
    #[serde(rename = "eventviewer-text")]
    EventViewerText,
    /// `wevtutil qe LOG /f:text`: `Event[N]:` blocks of `Log Name:`, `Source:`,
    /// `Date:`, … `Description:` and the message.
    #[serde(rename = "wevtutil-text")]
    WevtutilText,
    /// `Get-WinEvent … | Format-List`: blocks of `TimeCreated`,
    /// `ProviderName`, `Id`, `Message` (and more with `*`).
    #[serde(rename = "get-winevent-list")]
    GetWinEventList,
    /// `Get-WinEvent … | Export-Csv` (`"Message","Id","Version",…` columns of an `EventLogRecord`).
    #[serde(rename = "get-winevent-csv")]
    GetWinEventCsv,
    /// A zip archive of any of the above.
    Zip,
    /// A tar archive (`.tar`) of any of the above.
    Tar,
    /// A gzip file: a tar archive (`.tar.gz`, `.tgz`) or one file (`.gz`).
    Gzip,
    /// A Windows cabinet (`.cab`, MSZIP or LZX).
    Cab,
    /// LocaleMetaData (`MTAFile\0` magic): the display information Windows
    /// saves beside an exported `.evtx` (`LocaleMetaData/<log>_<LCID>.MTA`);
    /// it holds no record, it lends its strings to the log's events.
    #[serde(rename = "locale-metadata")]
    LocaleMetaData,
    /// Not recognised.
    Unknown,
}

impl Format {
    /// Whether inputs of this format are renderings of event log records
    /// (exports) that may be the "twin" of a binary log beside them: their
    /// records lend their messages to the log's and are not counted twice
    /// (see `twins`).
    pub fn is_rendered_export(self) -> bool {
        matches!(
            self,
            Format::EventXml
                | Format::EventViewerCsv
                | Format::EventViewerText
                | Format::WevtutilText
                | Format::GetWinEventList
                | Format::GetWinEventCsv
        )
    }

    /// Whether inputs of this format are text exports of events that write
    /// each time in the exporting machine's local time without its zone
    /// (Event Viewer's CSV and text, `wevtutil` text, `Get-WinEvent` list and
    /// CSV; see `zone`).
    pub fn writes_local_times(self) -> bool {
        matches!(
            self,
            Format::EventViewerCsv
                | Format::EventViewerText
                | Format::WevtutilText
                | Format::GetWinEventList
                | Format::GetWinEventCsv
        )
    }

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
            Format::ScQc => "sc-qc",
            Format::Reg => "reg",
            Format::Systeminfo => "systeminfo",
            Format::HotfixTable => "hotfix-table",
            Format::NetshPorts => "netsh-ports",
            Format::PowerShellList => "powershell-list",
            Format::EventViewerCsv => "eventviewer-csv",
            Format::EventViewerText => "eventviewer-text",
            Format::WevtutilText => "wevtutil-text",
            Format::GetWinEventList => "get-winevent-list",
            Format::GetWinEventCsv => "get-winevent-csv",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Cab => "cab",
            Format::LocaleMetaData => "locale-metadata",
            Format::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// The input (same spelling as [`crate::Origin::source`]).
    pub path: Arc<str>,
    /// The format recognised.
    pub format: Format,
    /// Records read: delivered, passed over by a filter (see `filtered`), or
    /// passed over as repeats of what was delivered before (see
    /// `Verdict::Repeat`).
    pub records: u64,
    /// Records or lines that could not be read and were skipped.
    pub skipped: u64,
    /// Events read but not delivered because the [`ReadOptions::event_filter`](crate::ReadOptions::event_filter) did not want them.
    #[serde(default)]
    pub filtered: u64,
    /// Stale records found in `.evtx` slack space (see [`ReadOptions::recovered`](crate::ReadOptions::recovered)):
    /// counted, and delivered (marked) only when asked for.
    #[serde(default)]
    pub stale: u64,
    /// For a rendered export beside a binary log of the same records (its
    /// "twin"): the records that lent their message and names to the log's
    /// records and were not delivered again (not counted in `records`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub paired: u64,
    /// For a text input: the encoding it was read in (`UTF-8`, `UTF-16LE`,
    /// `code page 850 (OEM Multilingual Latin 1)`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// For console output (netstat, tasklist, systeminfo, …): the language of
    /// its titles, headers and labels, as a BCP 47 tag (`en`, `de`, `ja`),
    /// when evtriage knows its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// For an archive: what was read from each member (`archive.zip!member`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<InputSummary>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl InputSummary {
    /// The summary of an input not read yet: every count zero.
    pub fn new(path: Arc<str>, format: Format) -> Self {
        InputSummary {
            path,
            format,
            records: 0,
            skipped: 0,
            filtered: 0,
            stale: 0,
            paired: 0,
            encoding: None,
            language: None,
            members: Vec::new(),
        }
    }
}

/// An input that gave nothing to work with, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// The input (an archive member as `archive.zip!member`).
    pub path: Arc<str>,
    /// Why, in a sentence: not a format evtriage reads, damaged, empty, …
    pub reason: String,
}

/// The inputs from which no record at all was read, with the reason: not a
/// recognised format, unreadable, damaged beyond use, empty (or holding only
/// stale records in slack space), and paths or archive members that could
/// not be opened. Front ends list them before anything else, so that a run
/// that read nothing never passes for a healthy one.
pub fn unread(summaries: &[InputSummary], diagnostics: &[Diagnostic]) -> Vec<Unread> {
    let mut out = Vec::new();
    let mut known: std::collections::HashSet<&str> = std::collections::HashSet::new();
    fn walk<'a>(
        s: &'a InputSummary,
        diagnostics: &[Diagnostic],
        out: &mut Vec<Unread>,
        known: &mut std::collections::HashSet<&'a str>,
    ) {
        known.insert(&s.path);
        for m in &s.members {
            walk(m, diagnostics, out, known);
        }
        // An archive's members are listed one by one; a twin whose records
        // all went to its binary log was read.
        if s.records > 0 || s.paired > 0 || !s.members.is_empty() {
            return;
        }
        let about = |d: &&Diagnostic| *d.source == *s.path;
        let first = |sev: Severity| diagnostics.iter().filter(about).find(|d| d.severity == sev);
        // Display information holds no record by nature: unread only when
        // it could not be used.
        if s.format == Format::LocaleMetaData && first(Severity::Failed).is_none() {
            return;
        }
        let reason = if let Some(d) = first(Severity::Failed) {
            d.message.clone()
        } else if s.format == Format::Unknown {
            first(Severity::Note)
                .map(|d| d.message.trim_end_matches("; passed over").to_string())
                .unwrap_or_else(|| "not a format evtriage reads".to_string())
        } else if s.skipped > 0 {
            let why = first(Severity::Skipped).map(|d| format!(": {}", d.message)).unwrap_or_default();
            format!("damaged: nothing could be read ({} part(s) skipped){why}", s.skipped)
        } else if s.stale > 0 {
            format!("no live record: {} stale record(s) in slack space, not used (`--recovered` shows them)", s.stale)
        } else {
            "empty: it holds no record".to_string()
        };
        out.push(Unread { path: s.path.clone(), reason });
    }
    for s in summaries {
        walk(s, diagnostics, &mut out, &mut known);
    }
    // Paths that could not be opened, members skipped before they were read.
    for d in diagnostics {
        let whole = matches!(d.locator, crate::model::Locator::File)
            && matches!(d.severity, Severity::Failed | Severity::Skipped);
        if whole && !known.contains(&*d.source) && !out.iter().any(|u| u.path == d.source) {
            out.push(Unread { path: d.source.clone(), reason: d.message.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn a_formats_name_is_its_json_spelling() {
        use Format::*;
        let all = [
            Evtx,
            EventXml,
            TracerptXml,
            TracerptCsv,
            EtwText,
            Etl,
            Netstat,
            Tcpvcon,
            Tasklist,
            ScQc,
            Reg,
            Systeminfo,
            HotfixTable,
            NetshPorts,
            PowerShellList,
            EventViewerCsv,
            EventViewerText,
            WevtutilText,
            GetWinEventList,
            GetWinEventCsv,
            Zip,
            Tar,
            Gzip,
            Cab,
            LocaleMetaData,
            Unknown,
        ];
        for f in all {
            assert_eq!(serde_json::to_value(f).ok(), Some(serde_json::Value::from(f.name())), "{f:?}");
        }
    }
}
