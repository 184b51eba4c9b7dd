//! Input formats, recognised by content, never by file name alone.

use crate::contract::Format;

/// The evtx file magic.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// Recognises the format of an input from its first bytes (a few KiB are
/// enough; the reader passes up to 64 KiB).
///
/// Binary formats are recognised by their magic. Text is decoded first
/// ([`crate::text::decode_head`]: BOMs, BOM-less UTF-16, UTF-8) and then
/// recognised by its content, never by a file name:
///
/// | format | recognised by |
/// |---|---|
/// | `reg` | first line `Windows Registry Editor Version 5.00` or `REGEDIT4` |
/// | `event-xml` / `tracerpt-xml` | starts with `<`, holds an `<Event` element; tracerpt when `ProcessorID=`/`KernelTime=` attributes appear |
/// | `tracerpt-csv` | header line with `Event Name` and `Clock-Time` or `User Data` columns |
/// | `tcpvcon` | most lines are `TCP,process,pid,…` / `UDPV6,…` CSV rows |
/// | `netstat` | a `Proto  Local Address` header, or rows `TCP  addr:port  addr:port …` |
/// | `tasklist` | a `=====  ====  ====` rule line under a header with `PID`, or a CSV header `"Image Name","PID",…` |
/// | `systeminfo` | four or more `systeminfo` labels (`Host Name:`, `OS Name:`, …, localized ones too) at line starts, or a CSV header of them |
/// | `hotfix-table` | a table header with a `HotFixID` column (`Get-HotFix`, `wmic qfe list`) |
/// | `netsh-ports` | a `Protocol tcp Port Exclusion Ranges` or `Protocol tcp Dynamic Port Range` title |
/// | `etw-text` | a `[Provider/Channel] Message=` record (or a tracefmt `[0]PID.TID::time [Provider]` prefix) |
/// | `locale-metadata` | the `MTAFile\0` magic (a LocaleMetaData `.MTA` file) |
/// | `gzip`, `cab`, `tar` | the gzip magic `1f 8b 08`, `MSCF`, `ustar` at offset 257 |
/// | `eventviewer-csv` / `eventviewer-text` | a five-column header (`Level,Date and Time,Source,Event ID,Task Category`, localized; commas or tabs), or one followed by a row `level,date,source,number,…` |
/// | `wevtutil-text` | an `Event[N]:` line followed by `  Label: value` lines |
/// | `get-winevent-list` | `TimeCreated`, `ProviderName` and `Id` properties in `Name : value` lines |
/// | `get-winevent-csv` | `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord`, or a CSV header with `TimeCreated`, `ProviderName` and `Id` columns |
/// | `powershell-list` | `Name : value` property lines, or a PowerShell error (`Verb-Noun : …` + `At line:`/`CategoryInfo`) |
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
    if head.starts_with(crate::locale::MTA_MAGIC) {
        return Format::LocaleMetaData;
    }
    if head.starts_with(crate::sources::archives::GZIP_MAGIC) {
        return Format::Gzip;
    }
    if head.starts_with(crate::sources::archives::CAB_MAGIC) {
        return Format::Cab;
    }
    if crate::sources::archives::looks_like_tar(head) {
        return Format::Tar;
    }
    match crate::text::decode_head(head) {
        Ok(decoded) => detect_text(&decoded.text),
        Err(_) => Format::Unknown,
    }
}

/// Recognises a text format from decoded text (see [`detect`]).
pub fn detect_text(text: &str) -> Format {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let first_line = trimmed.lines().next().unwrap_or("").trim();
    if first_line.starts_with("Windows Registry Editor Version") || first_line == "REGEDIT4" {
        return Format::Reg;
    }
    if trimmed.starts_with('<') {
        if crate::event_parser::XmlEvents::new(trimmed, std::sync::Arc::from("")).next().is_some()
            || trimmed.contains("<Events")
        {
            if trimmed.contains("ProcessorID=") || trimmed.contains("KernelTime=") {
                return Format::TracerptXml;
            }
            return Format::EventXml;
        }
        return Format::Unknown;
    }
    let lines: Vec<&str> =
        trimmed.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty()).take(200).collect();
    let Some(first) = lines.first() else {
        return Format::Unknown;
    };
    let lower = first.to_ascii_lowercase();
    if lower.contains("event name")
        && (lower.contains("clock-time") || lower.contains("user data"))
        && first.contains(',')
    {
        return Format::TracerptCsv;
    }
    if let Some(f) = detect_export(&lines) {
        return f;
    }
    let csv_rows = lines.iter().filter(|l| is_tcpvcon_row(l)).count();
    if csv_rows > 0 && csv_rows * 2 >= lines.len() {
        return Format::Tcpvcon;
    }
    let netstat_rows = lines.iter().filter(|l| is_netstat_row(l)).count();
    let netstat_header = lines.iter().any(|l| {
        let t = l.trim_start();
        (t.starts_with("Proto ") && t.contains("Local Address")) || crate::console::is_netstat_header(t)
    });
    if netstat_header || netstat_rows >= 2 || (netstat_rows == 1 && lines.len() <= 3) {
        return Format::Netstat;
    }
    if is_tasklist(&lines) {
        return Format::Tasklist;
    }
    if crate::sources::sc_qc::looks_like(&lines) {
        return Format::ScQc;
    }
    if crate::sources::updates::looks_like(&lines) {
        return Format::Systeminfo;
    }
    if crate::sources::updates::looks_like_table(&lines) {
        return Format::HotfixTable;
    }
    if crate::sources::netsh::looks_like(&lines) {
        return Format::NetshPorts;
    }
    if crate::sources::etw_text::looks_like_etw_text(trimmed) {
        return Format::EtwText;
    }
    if crate::sources::powershell::looks_like_powershell(&lines) {
        return Format::PowerShellList;
    }
    Format::Unknown
}

/// Event Viewer's and PowerShell's exports of events (see `sources::exports`).
fn detect_export(lines: &[&str]) -> Option<Format> {
    use crate::sources::exports::{eventviewer, wevtutil, winevent};
    let first = lines.first()?;
    if winevent::looks_like_csv(first) {
        return Some(Format::GetWinEventCsv);
    }
    if first.contains('\t') && eventviewer::looks_like(lines, '\t') {
        return Some(Format::EventViewerText);
    }
    if eventviewer::looks_like(lines, ',') {
        return Some(Format::EventViewerCsv);
    }
    if wevtutil::looks_like(lines) {
        return Some(Format::WevtutilText);
    }
    if winevent::looks_like_list(lines) {
        return Some(Format::GetWinEventList);
    }
    None
}

fn is_tcpvcon_row(line: &str) -> bool {
    let mut parts = line.trim().split(',');
    let proto = parts.next().unwrap_or("").trim_matches('"').to_ascii_uppercase();
    let _process = parts.next();
    let pid = parts.next().unwrap_or("").trim_matches('"');
    matches!(proto.as_str(), "TCP" | "UDP" | "TCPV6" | "UDPV6")
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && parts.count() >= 3
}

fn is_netstat_row(line: &str) -> bool {
    let mut it = line.split_whitespace();
    let proto = it.next().unwrap_or("");
    let local = it.next().unwrap_or("");
    let remote = it.next().unwrap_or("");
    (proto.eq_ignore_ascii_case("TCP") || proto.eq_ignore_ascii_case("UDP"))
        && local.contains(':')
        && remote.contains(':')
}

fn is_tasklist(lines: &[&str]) -> bool {
    for pair in lines.windows(2) {
        let (Some(header), Some(rule)) = (pair.first(), pair.get(1)) else { continue };
        let rule = rule.trim_end();
        if rule.starts_with('=') && rule.chars().all(|c| c == '=' || c == ' ') && rule.split_whitespace().count() >= 3 {
            return header.contains("PID");
        }
    }
    lines.first().is_some_and(|l| {
        let l = l.trim_start_matches('\u{feff}');
        l.starts_with('"') && l.contains("\",\"PID\"")
    })
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

    #[test]
    fn detects_text_formats_by_content() {
        assert_eq!(detect(b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]"), Format::Reg);
        assert_eq!(detect(b"REGEDIT4\n"), Format::Reg);
        assert_eq!(detect(b"<Events><Event xmlns='x'><System/></Event></Events>"), Format::EventXml);
        assert_eq!(detect(b"<Event><System><Execution ProcessorID='1'/></System></Event>"), Format::TracerptXml);
        assert_eq!(detect(b"<html><body/></html>"), Format::Unknown);
        assert_eq!(
            detect(b"\xEF\xBB\xBFIndex,  Event Name,  Type, TID, Clock-Time, User Data\n1,A,B,1,2,x"),
            Format::TracerptCsv
        );
        assert_eq!(
            detect(b"TCP,lsass.exe,852,LISTENING,0.0.0.0,0.0.0.0\nUDP,dns.exe,1460,*,0.0.0.0,*\n"),
            Format::Tcpvcon
        );
        assert_eq!(
            detect(b"\r\nActive Connections\r\n\r\n  Proto  Local Address   Foreign Address  State  PID\r\n"),
            Format::Netstat
        );
        assert_eq!(
            detect(b"\nImage Name                     PID Services\n========================= ======== =====\nSystem  4 N/A\n"),
            Format::Tasklist
        );
        assert_eq!(
            detect(b"[Microsoft-Windows-LDAP-Client/Debug] Message=LdapConnect failed to open connection 0x1, error = 0x5b."),
            Format::EtwText
        );
        assert_eq!(
            detect(b"\r\nId      : 1003\r\nType    : Information\r\nMessage : About to test\r\n"),
            Format::PowerShellList
        );
        assert_eq!(detect(b"09/14 12:33:00 [MISC] [3448] DbFlag is set to 2080ffff\n"), Format::Unknown);
        assert_eq!(detect(b"just some notes\nnothing here\n"), Format::Unknown);
        assert_eq!(detect(b"\x00\x01\x02\x03binary"), Format::Unknown);
    }
}
