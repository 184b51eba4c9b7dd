//! What a computer is and which updates it has: `systeminfo` (list and CSV
//! output), `Get-HotFix` and `wmic qfe list` tables, and, through the
//! PowerShell list reader, `Get-HotFix | Format-List`,
//! `Get-CimInstance Win32_QuickFixEngineering | Format-List` and
//! `Get-ComputerInfo`.
//!
//! `systeminfo` (labels may be localized, see [`crate::console`]):
//!
//! ```text
//! Host Name:                 DC01
//! OS Name:                   Microsoft Windows Server 2019 Datacenter
//! OS Version:                10.0.17763 N/A Build 17763
//! OS Configuration:          Primary Domain Controller
//! System Boot Time:          12/6/2026, 3:12:45 AM
//! Time Zone:                 (UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna
//! Domain:                    contoso.com
//! Hotfix(s):                 2 Hotfix(s) Installed.
//!                            [01]: KB4534273
//!                            [02]: KB4535680
//! ```
//!
//! becomes one [`ComputerInfo`] and one [`InstalledUpdate`] per listed KB
//! (Windows Server 2003 lists `Q147222` and `KB893803v2 - Update`: the
//! number is kept as `KB147222`, `KB893803`). `systeminfo /fo csv` is the same
//! labels as a header row and one row of values, the hotfixes joined by
//! commas.
//!
//! `Get-HotFix` and `wmic qfe list` print a table: columns from the dash
//! line under the header (`Get-HotFix`) or from where the header's words
//! start (`wmic`, whose column names hold no spaces).

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{utc_offset_of_zone, ComputerInfo, InstalledUpdate, Locator, Origin, Record};

use super::Ctx;

static KB: LazyLock<Regex> = LazyLock::new(|| crate::text::constant_regex(r"(?i)\b(?:KB|Q)(\d{5,8})"));
static VERSION: LazyLock<Regex> = LazyLock::new(|| crate::text::constant_regex(r"\b\d+\.\d+\.(\d{3,6})\b"));

/// The English labels `systeminfo` prints, for recognising its output.
const LABELS: &[&str] = &[
    "Host Name",
    "OS Name",
    "OS Version",
    "OS Manufacturer",
    "OS Configuration",
    "OS Build Type",
    "Registered Owner",
    "Product ID",
    "Original Install Date",
    "System Boot Time",
    "System Up Time",
    "System Manufacturer",
    "System Model",
    "System Type",
    "Time Zone",
    "Domain",
    "Logon Server",
    "Hotfix(s)",
    "Network Card(s)",
];

/// A label as printed, in English (localized labels through [`crate::console`]).
fn english_label(label: &str) -> Option<&'static str> {
    let l = label.trim();
    LABELS.iter().find(|x| x.eq_ignore_ascii_case(l)).copied().or_else(|| crate::console::systeminfo_label(l))
}

/// `Label:   value` at the start of a line: the label and the value.
fn label_line(line: &str) -> Option<(&'static str, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    // The label ends at the first colon followed by blanks (values hold colons: times, `\\DC01`).
    let mut from = 0;
    while let Some(i) = line.get(from..)?.find(':') {
        let at = from + i;
        let label = line.get(..at)?;
        if let Some(en) = english_label(label) {
            return Some((en, line.get(at + 1..).unwrap_or("").trim()));
        }
        from = at + 1;
    }
    None
}

/// Whether the (non-blank) lines are `systeminfo` output (list or CSV).
pub fn looks_like(lines: &[&str]) -> bool {
    if let Some(first) = lines.first() {
        if first.starts_with('"') {
            let cols: Vec<&str> = first.split("\",\"").map(|c| c.trim_matches('"')).collect();
            return cols.iter().filter(|c| english_label(c).is_some()).count() >= 4;
        }
    }
    lines.iter().take(40).filter(|l| label_line(l).is_some()).count() >= 4
}

/// Whether the (non-blank) lines are a `Get-HotFix` or `wmic qfe` table.
pub fn looks_like_table(lines: &[&str]) -> bool {
    lines.iter().take(5).any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.iter().any(|w| w.eq_ignore_ascii_case("HotFixID")) && words.len() >= 2 && !l.contains(':')
    })
}

/// `KB893803v2 - Update`, `Q147222`, `[01]: KB4534273` → `KB893803`, …; `None` for `File 1`.
pub fn kb_of(text: &str) -> Option<String> {
    KB.captures(text).and_then(|c| c.get(1)).map(|m| format!("KB{}", m.as_str()))
}

/// The build number in a version as printed (`10.0.17763 N/A Build 17763`).
fn build_of(version: &str) -> Option<u32> {
    VERSION.captures(version).and_then(|c| c.get(1)).and_then(|m| m.as_str().parse().ok())
}

/// systeminfo's values by English label, and its hotfix lines (KB, line).
#[derive(Default)]
struct Info {
    values: Vec<(&'static str, String)>,
    hotfixes: Vec<(String, u64)>,
}

impl Info {
    fn get(&self, label: &str) -> Option<String> {
        self.values.iter().find(|(l, _)| *l == label).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
    }
}

/// Builds the computer record from values by English label.
fn computer_of(parts: &Info, origin: Origin) -> ComputerInfo {
    let os_version = parts.get("OS Version");
    let time_zone = parts.get("Time Zone");
    let hotfix_count =
        parts.get("Hotfix(s)").and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<u32>().ok()));
    ComputerInfo {
        computer: parts.get("Host Name"),
        os_name: parts.get("OS Name"),
        os_build: os_version.as_deref().and_then(build_of),
        os_version,
        role: parts.get("OS Configuration"),
        domain: parts.get("Domain"),
        boot_time: parts.get("System Boot Time"),
        utc_offset_minutes: time_zone.as_deref().and_then(utc_offset_of_zone),
        time_zone,
        hotfix_count,
        origin,
    }
}

/// Reads `systeminfo` output (list or CSV).
pub fn read_systeminfo(text: &str, ctx: &mut Ctx<'_>) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start_matches('\u{feff}').starts_with('"') {
        read_systeminfo_csv(text, ctx);
        return;
    }
    let mut info = Info::default();
    let mut start: Option<u64> = None;
    let mut in_hotfixes = false;
    let mut blocks = 0usize;
    let flush = |info: &mut Info, start: &mut Option<u64>, ctx: &mut Ctx<'_>| {
        if let Some(line) = start.take() {
            emit(std::mem::take(info), Locator::Line { line }, ctx);
        }
    };
    for (line_no, line) in crate::text::numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some((label, value)) = label_line(line) {
            // A second `Host Name:` starts another computer (captures appended).
            if label == "Host Name" && start.is_some() {
                flush(&mut info, &mut start, ctx);
            }
            if start.is_none() {
                start = Some(line_no);
                blocks += 1;
            }
            in_hotfixes = label == "Hotfix(s)";
            info.values.push((label, value.to_string()));
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            // A label evtriage does not know (`Virtual Memory: Max Size:`, other languages).
            in_hotfixes = false;
            continue;
        }
        if in_hotfixes {
            match kb_of(line) {
                Some(kb) => info.hotfixes.push((kb, line_no)),
                // `[01]: File 1` (Windows Server 2003): an update without a KB number.
                None if line.contains("File") => {}
                None => ctx.skip_line(line_no, "hotfix line without a KB number; skipped"),
            }
        }
    }
    flush(&mut info, &mut start, ctx);
    if blocks == 0 {
        ctx.note("no systeminfo label found; nothing read");
    }
}

fn emit(info: Info, at: Locator, ctx: &mut Ctx<'_>) {
    let computer = computer_of(&info, Origin::new(ctx.name.clone(), at));
    let name = computer.computer.clone();
    if computer.time_zone.is_some() && computer.utc_offset_minutes.is_none() {
        ctx.note(format!(
            "time zone `{}` has no (UTC±hh:mm) offset evtriage can read",
            computer.time_zone.as_deref().unwrap_or("")
        ));
    }
    ctx.record(Record::Computer(computer));
    for (kb, line) in info.hotfixes {
        ctx.record(Record::Update(InstalledUpdate {
            computer: name.clone(),
            kb,
            description: None,
            installed_on: None,
            installed_by: None,
            origin: Origin::new(ctx.name.clone(), Locator::Line { line }),
        }));
    }
}

fn read_systeminfo_csv(text: &str, ctx: &mut Ctx<'_>) {
    let mut rows = super::csv_records(text).into_iter();
    let Some((_, header)) = rows.next() else { return };
    let labels: Vec<Option<&'static str>> = header.iter().map(|h| english_label(h)).collect();
    for (line, row) in rows {
        let mut info = Info::default();
        for (label, value) in labels.iter().zip(&row) {
            let Some(label) = label else { continue };
            if *label == "Hotfix(s)" {
                // `3 Hotfix(s) Installed.,[01]: KB4534273,[02]: …`
                let mut parts = value.split(',');
                info.values.push((label, parts.next().unwrap_or("").trim().to_string()));
                info.hotfixes.extend(parts.filter_map(kb_of).map(|kb| (kb, line)));
            } else {
                info.values.push((label, value.trim().to_string()));
            }
        }
        if info.values.is_empty() {
            ctx.skip_line(line, "systeminfo CSV row without values; skipped");
            continue;
        }
        emit(info, Locator::Line { line }, ctx);
    }
}

/// Reads a `Get-HotFix` or `wmic qfe list` table.
pub fn read_table(text: &str, ctx: &mut Ctx<'_>) {
    let lines: Vec<(u64, &str)> = crate::text::numbered_lines(text).filter(|(_, l)| !l.trim().is_empty()).collect();
    let Some(h) = lines.iter().position(|(_, l)| l.split_whitespace().any(|w| w.eq_ignore_ascii_case("HotFixID")))
    else {
        ctx.note("no HotFixID column found; nothing read");
        return;
    };
    let Some(&(_, header)) = lines.get(h) else { return };
    // Get-HotFix underlines its header with dashes; wmic does not.
    let dashed = lines.get(h + 1).is_some_and(|(_, l)| {
        let t = l.trim();
        t.starts_with('-') && t.chars().all(|c| c == '-' || c == ' ')
    });
    let starts: Vec<usize> = word_starts(if dashed { lines.get(h + 1).map_or(header, |(_, l)| *l) } else { header });
    let names: Vec<String> = starts
        .iter()
        .enumerate()
        .map(|(i, &s)| cols(header, s, starts.get(i + 1).copied()).trim().to_string())
        .collect();
    let col = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
    let (Some(kb_col), computer_col) = (col("HotFixID"), col("Source").or_else(|| col("CSName"))) else { return };
    let (desc_col, on_col, by_col) = (col("Description"), col("InstalledOn"), col("InstalledBy"));
    let body = lines.get(h + 1 + usize::from(dashed)..).unwrap_or(&[]);
    for &(line_no, line) in body {
        let field = |c: Option<usize>| -> Option<String> {
            let c = c?;
            let s = starts.get(c).copied()?;
            let v = cols(line, s, starts.get(c + 1).copied()).trim().to_string();
            (!v.is_empty()).then_some(v)
        };
        let Some(kb) = field(Some(kb_col)).as_deref().and_then(kb_of) else {
            // Another capture's header or a prompt; wmic also lists updates
            // without a KB number (`File 1`).
            ctx.skip_line(line_no, "row without a KB number in its HotFixID column; skipped");
            continue;
        };
        ctx.record(Record::Update(InstalledUpdate {
            computer: field(computer_col),
            kb,
            description: field(desc_col),
            installed_on: field(on_col),
            installed_by: field(by_col),
            origin: Origin::new(ctx.name.clone(), Locator::Line { line: line_no }),
        }));
    }
}

/// The character columns where the words of `line` start.
fn word_starts(line: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_space = true;
    for (i, c) in line.chars().enumerate() {
        if !c.is_whitespace() && prev_space {
            out.push(i);
        }
        prev_space = c.is_whitespace();
    }
    out
}

/// The text of `line` in character columns `from..to` (`to` = end of line when `None`).
fn cols(line: &str, from: usize, to: Option<usize>) -> String {
    let it = line.chars().skip(from);
    match to {
        Some(to) => it.take(to.saturating_sub(from)).collect(),
        None => it.collect(),
    }
}

/// The value of property `name` of a PowerShell list block (ASCII
/// case-insensitive), trimmed; `None` when absent or empty.
fn property(props: &[(String, String)], name: &str) -> Option<String> {
    props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A PowerShell list block as an installed update (`Get-HotFix | fl`,
/// `Win32_QuickFixEngineering`): it has a `HotFixID` property with a KB number.
pub fn update_from_properties(props: &[(String, String)], origin: &Origin) -> Option<InstalledUpdate> {
    let get = |name: &str| property(props, name);
    let kb = kb_of(&get("HotFixID")?)?;
    Some(InstalledUpdate {
        computer: get("Source").or_else(|| get("CSName")).or_else(|| get("PSComputerName")),
        kb,
        description: get("Description"),
        installed_on: get("InstalledOn"),
        installed_by: get("InstalledBy"),
        origin: origin.clone(),
    })
}

/// A `Get-ComputerInfo` list block as what it says of the computer, with the
/// updates of its `OsHotFixes` (`{KB4534273, KB4535680…}`; the list is cut
/// by Format-List when long, so the count is not claimed).
pub fn computer_from_properties(props: &[(String, String)], origin: &Origin) -> Option<(ComputerInfo, Vec<String>)> {
    let get = |name: &str| property(props, name);
    let computer = get("CsName")?;
    let os_name = get("OsName").or_else(|| get("WindowsProductName"));
    os_name.as_ref()?;
    let os_version = get("OsVersion");
    let time_zone = get("TimeZone");
    let hotfixes: Vec<String> =
        get("OsHotFixes").map(|v| KB.find_iter(&v).filter_map(|m| kb_of(m.as_str())).collect()).unwrap_or_default();
    let info = ComputerInfo {
        computer: Some(computer),
        os_name,
        os_build: get("OsBuildNumber")
            .and_then(|b| b.parse().ok())
            .or_else(|| os_version.as_deref().and_then(build_of)),
        os_version,
        role: get("CsDomainRole").or_else(|| get("OsProductType")),
        domain: get("CsDomain"),
        boot_time: get("OsLastBootUpTime"),
        utc_offset_minutes: time_zone.as_deref().and_then(utc_offset_of_zone),
        time_zone,
        hotfix_count: None,
        origin: origin.clone(),
    };
    Some((info, hotfixes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_numbers_and_builds() {
        assert_eq!(kb_of("[01]: KB4534273").as_deref(), Some("KB4534273"));
        assert_eq!(kb_of("[03]: KB893803v2 - Update").as_deref(), Some("KB893803"));
        assert_eq!(kb_of("[02]: Q147222").as_deref(), Some("KB147222"));
        assert_eq!(kb_of("[01]: File 1"), None);
        assert_eq!(build_of("10.0.17763 N/A Build 17763"), Some(17763));
        assert_eq!(build_of("5.2.3790 Service Pack 2 Build 3790"), Some(3790));
        assert_eq!(utc_offset_of_zone("(UTC+01:00) Amsterdam, Berlin"), Some(60));
        assert_eq!(utc_offset_of_zone("(UTC-05:00) Eastern Time (US & Canada)"), Some(-300));
        assert_eq!(utc_offset_of_zone("(UTC) Coordinated Universal Time"), Some(0));
        assert_eq!(utc_offset_of_zone("(GMT+05:30) Chennai, Kolkata"), Some(330));
        assert_eq!(word_starts("ab  cd e"), vec![0, 4, 7]);
        assert!(KB.is_match("KB1") || !KB.as_str().is_empty());
        assert!(VERSION.is_match("6.1.7601"));
    }
}
