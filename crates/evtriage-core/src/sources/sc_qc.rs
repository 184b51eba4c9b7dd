//! `sc qc NAME` output: a service's configuration, read as the registry
//! values of `HKLM\SYSTEM\CurrentControlSet\Services\NAME` it reflects, so
//! that what rules ask of a `.reg` export (is IsmServ already Automatic
//! (Delayed Start)? which account does the service log on as? what does it
//! depend on?) is answered by this capture too.
//!
//! ```text
//! [SC] QueryServiceConfig SUCCESS
//!
//! SERVICE_NAME: IsmServ
//!         TYPE               : 10  WIN32_OWN_PROCESS
//!         START_TYPE         : 2   AUTO_START  (DELAYED)
//!         ERROR_CONTROL      : 1   NORMAL
//!         BINARY_PATH_NAME   : C:\Windows\System32\ismserv.exe
//!         LOAD_ORDER_GROUP   :
//!         TAG                : 0
//!         DISPLAY_NAME       : Intersite Messaging
//!         DEPENDENCIES       : LanmanServer
//!                            : RPCSS
//!         SERVICE_START_NAME : LocalSystem
//! ```
//!
//! The fields are those Microsoft's `sc qc` reference lists; the numbers are
//! the values of `QUERY_SERVICE_CONFIG` ([MS-SCMR] 2.2.14), which the
//! registry holds as `Type`, `Start` (0 boot, 1 system, 2 automatic, 3
//! manual, 4 disabled), `ErrorControl` and `Tag`; `(DELAYED)` is
//! `DelayedAutostart = 1`. A dependency written `+Group` is a load-order
//! group (`DependOnGroup`). Several services captured one after another
//! (`for %s in (...) do sc qc %s`) are read in turn; a `[SC] ... FAILED`
//! line (no such service) is a note. The labels are sc.exe's own; only the
//! English output was checked.
//!
//! The same reader takes `sc qdescription NAME` (`DESCRIPTION:` and its
//! wrapped lines become the `Description` value) and `sc queryex NAME` (and
//! `sc query`), whose state is no registry value: its fields (`STATE : 4
//! RUNNING` with the flags line under it, `WIN32_EXIT_CODE`,
//! `SERVICE_EXIT_CODE`, `PID`, …) become one [`CommandOutput`] of command
//! `sc queryex` per service, `SERVICE_NAME` first.

use crate::model::{CommandOutput, Locator, Origin, Record, RegData, RegistryValue};

use super::Ctx;

/// The registry key `sc qc` shows the configuration of.
fn service_key(name: &str) -> String {
    format!("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\{name}")
}

/// Whether the lines are `sc qc`, `sc queryex` or `sc qdescription` output: a
/// `SERVICE_NAME:` line and a `START_TYPE : n`, `STATE : n` or `DESCRIPTION:` line.
pub fn looks_like(lines: &[&str]) -> bool {
    let name = lines.iter().any(|l| l.trim_start().starts_with("SERVICE_NAME:"));
    let field = lines.iter().any(|l| {
        let t = l.trim_start();
        ((t.starts_with("START_TYPE") || t.starts_with("STATE")) && t.contains(':')) || t.starts_with("DESCRIPTION:")
    });
    name && field
}

/// The labels of `sc queryex` (and `sc query`) output.
const STATUS_LABELS: &[&str] =
    &["STATE", "WIN32_EXIT_CODE", "SERVICE_EXIT_CODE", "CHECKPOINT", "WAIT_HINT", "PID", "FLAGS"];

/// Every label sc prints in the outputs read here.
const LABELS: &[&str] = &[
    "TYPE",
    "START_TYPE",
    "ERROR_CONTROL",
    "BINARY_PATH_NAME",
    "LOAD_ORDER_GROUP",
    "TAG",
    "DISPLAY_NAME",
    "DEPENDENCIES",
    "SERVICE_START_NAME",
    "DESCRIPTION",
    "STATE",
    "WIN32_EXIT_CODE",
    "SERVICE_EXIT_CODE",
    "CHECKPOINT",
    "WAIT_HINT",
    "PID",
    "FLAGS",
];

/// The leading number of a field (`2   AUTO_START  (DELAYED)` → 2).
fn number(value: &str) -> Option<u32> {
    value.split_whitespace().next()?.parse().ok()
}

struct Service {
    name: String,
    line: u64,
    dependencies: Vec<String>,
    groups: Vec<String>,
    /// `sc qdescription`'s text, wrapped lines joined, and its line.
    description: Option<(String, u64)>,
    /// `sc queryex`'s fields, in order.
    status: Vec<(String, String)>,
}

/// Reads an `sc qc` capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    let mut current: Option<Service> = None;
    let mut last_field = String::new();
    for (line_no, line) in crate::text::numbered_lines(text) {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("[SC]") {
            if t.contains("FAILED") {
                ctx.note_line(line_no, format!("sc reported: {t}"));
            }
            continue;
        }
        if let Some(name) = t.strip_prefix("SERVICE_NAME:") {
            finish(current.take(), ctx);
            let name = name.trim();
            if name.is_empty() || name.contains(['\\', '/']) {
                ctx.skip_line(line_no, "SERVICE_NAME without a valid service name; its fields are skipped");
                continue;
            }
            current = Some(Service {
                name: name.to_string(),
                line: line_no,
                dependencies: Vec::new(),
                groups: Vec::new(),
                description: None,
                status: Vec::new(),
            });
            last_field.clear();
            continue;
        }
        // The flags line under `STATE` (`(STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)`).
        if t.starts_with('(') && last_field == "STATE" {
            if let Some((_, v)) = current.as_mut().and_then(|s| s.status.last_mut()) {
                v.push(' ');
                v.push_str(t);
            }
            continue;
        }
        // `sc qdescription` wraps a long description at the console width.
        let is_label = |l: &str| LABELS.contains(&l.trim()) || l.trim().is_empty();
        if last_field == "DESCRIPTION" && !t.split_once(':').is_some_and(|(l, _)| is_label(l)) {
            if let Some((d, _)) = current.as_mut().and_then(|s| s.description.as_mut()) {
                // A word cut by the wrap goes on without a space (sc wraps at a column, mid-word).
                d.push_str(line);
            }
            continue;
        }
        let Some((label, value)) = t.split_once(':') else {
            ctx.skip_line(line_no, "not a `LABEL : value` line of sc qc output; skipped");
            continue;
        };
        let (label, value) = (label.trim(), value.trim());
        let label = if label.is_empty() { last_field.clone() } else { label.to_string() };
        last_field = label.clone();
        let Some(service) = current.as_mut() else {
            ctx.skip_line(line_no, format!("{label} before any SERVICE_NAME; skipped"));
            continue;
        };
        let key = service_key(&service.name);
        let origin = Origin::new(ctx.name.clone(), Locator::Line { line: line_no });
        let mut value_of = |name: &str, data: RegData| {
            ctx.record(Record::Registry(RegistryValue {
                key: key.clone(),
                name: name.into(),
                data,
                origin: origin.clone(),
            }))
        };
        let dword = |v: &str| number(v).map(RegData::Dword);
        match label.as_str() {
            "TYPE" => match dword(value) {
                Some(d) => value_of("Type", d),
                None => ctx.skip_line(line_no, format!("TYPE `{value}` is not a number; skipped")),
            },
            "START_TYPE" => match number(value) {
                Some(n) => {
                    value_of("Start", RegData::Dword(n));
                    if value.contains("(DELAYED)") {
                        value_of("DelayedAutostart", RegData::Dword(1));
                    }
                }
                None => ctx.skip_line(line_no, format!("START_TYPE `{value}` is not a number; skipped")),
            },
            "ERROR_CONTROL" => match dword(value) {
                Some(d) => value_of("ErrorControl", d),
                None => ctx.skip_line(line_no, format!("ERROR_CONTROL `{value}` is not a number; skipped")),
            },
            "TAG" => match number(value) {
                Some(0) => {}
                Some(n) => value_of("Tag", RegData::Dword(n)),
                None => ctx.skip_line(line_no, format!("TAG `{value}` is not a number; skipped")),
            },
            "BINARY_PATH_NAME" if !value.is_empty() => value_of("ImagePath", RegData::ExpandSz(value.into())),
            "LOAD_ORDER_GROUP" if !value.is_empty() => value_of("Group", RegData::Sz(value.into())),
            "DISPLAY_NAME" if !value.is_empty() => value_of("DisplayName", RegData::Sz(value.into())),
            "SERVICE_START_NAME" if !value.is_empty() => value_of("ObjectName", RegData::Sz(value.into())),
            "DEPENDENCIES" if !value.is_empty() => match value.strip_prefix('+') {
                Some(group) => service.groups.push(group.trim().to_string()),
                None => service.dependencies.push(value.to_string()),
            },
            // Kept with its trailing blanks: the console wraps at a column, so a
            // space at the end of the line is part of the text.
            "DESCRIPTION" => {
                let raw = line.split_once(':').map_or("", |(_, v)| v).trim_start();
                service.description = Some((raw.to_string(), line_no));
            }
            l if STATUS_LABELS.contains(&l) => service.status.push((l.to_string(), value.to_string())),
            "BINARY_PATH_NAME" | "LOAD_ORDER_GROUP" | "DISPLAY_NAME" | "SERVICE_START_NAME" | "DEPENDENCIES" => {}
            _ => ctx.note_line(line_no, format!("field {label} of sc qc output is not read")),
        }
    }
    finish(current, ctx);
}

/// Delivers what a service's lines gather (its dependencies).
fn finish(service: Option<Service>, ctx: &mut Ctx<'_>) {
    let Some(s) = service else { return };
    let key = service_key(&s.name);
    let origin = Origin::new(ctx.name.clone(), Locator::Line { line: s.line });
    if !s.dependencies.is_empty() {
        ctx.record(Record::Registry(RegistryValue {
            key: key.clone(),
            name: "DependOnService".into(),
            data: RegData::MultiSz(s.dependencies),
            origin: origin.clone(),
        }));
    }
    if !s.groups.is_empty() {
        ctx.record(Record::Registry(RegistryValue {
            key: key.clone(),
            name: "DependOnGroup".into(),
            data: RegData::MultiSz(s.groups),
            origin: origin.clone(),
        }));
    }
    if let Some((text, line)) = s.description.filter(|(d, _)| !d.trim().is_empty()) {
        ctx.record(Record::Registry(RegistryValue {
            key,
            name: "Description".into(),
            data: RegData::Sz(text.trim().to_string()),
            origin: Origin::new(ctx.name.clone(), Locator::Line { line }),
        }));
    }
    if !s.status.is_empty() {
        let mut properties = vec![("SERVICE_NAME".to_string(), s.name)];
        properties.extend(s.status);
        ctx.record(Record::Command(CommandOutput {
            command: Some("sc queryex".into()),
            properties,
            is_error: false,
            origin,
        }));
    }
}

/// A `Get-Service | Format-List` block (Windows PowerShell 5.1: `Name`,
/// `DisplayName`, `Status`, `DependentServices`, `ServicesDependedOn`, …,
/// `StartType`; PowerShell 7 adds `UserName`, `Description`,
/// `DelayedAutoStart`, `BinaryPathName`, `StartupType`) as the registry
/// values of the service's key it reflects: `DisplayName`, `Start`
/// (`Boot` 0, `System` 1, `Automatic` 2, `Manual` 3, `Disabled` 4),
/// `DelayedAutostart`, `DependOnService`, `ObjectName`, `ImagePath`,
/// `Description`. `None` for a block that is not a service (it needs `Name`
/// and `ServicesDependedOn`, `StartType` or `ServiceType`).
pub fn service_values_from_properties(props: &[(String, String)], origin: &Origin) -> Option<Vec<RegistryValue>> {
    let get = |name: &str| {
        props.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    };
    let has = |name: &str| props.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let name = get("Name").or_else(|| get("ServiceName"))?;
    if !(has("ServicesDependedOn") || has("StartType") || has("ServiceType")) || name.contains(['\\', '/']) {
        return None;
    }
    let key = service_key(name);
    let mut out = Vec::new();
    let mut push = |value: &str, data: RegData| {
        out.push(RegistryValue { key: key.clone(), name: value.into(), data, origin: origin.clone() })
    };
    if let Some(d) = get("DisplayName") {
        push("DisplayName", RegData::Sz(d.into()));
    }
    // PowerShell 7's StartupType says AutomaticDelayedStart; StartType only Automatic.
    let start = get("StartupType").or_else(|| get("StartType"));
    let delayed = start.is_some_and(|s| s.eq_ignore_ascii_case("AutomaticDelayedStart"))
        || get("DelayedAutoStart").is_some_and(|d| d.eq_ignore_ascii_case("True"));
    let start = start.and_then(|s| match s.to_ascii_lowercase().as_str() {
        "boot" => Some(0),
        "system" => Some(1),
        "automatic" | "automaticdelayedstart" => Some(2),
        "manual" | "interactiveservice" => Some(3),
        "disabled" => Some(4),
        _ => None,
    });
    if let Some(n) = start {
        push("Start", RegData::Dword(n));
        if n == 2 && delayed {
            push("DelayedAutostart", RegData::Dword(1));
        }
    }
    // `{RpcSs, LanmanServer}`; `{}` when none. A list cut by Format-List ends with `...`.
    if let Some(deps) = get("ServicesDependedOn") {
        let list: Vec<String> = deps
            .trim_start_matches('{')
            .trim_end_matches('}')
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.ends_with("..."))
            .map(str::to_string)
            .collect();
        if !list.is_empty() {
            push("DependOnService", RegData::MultiSz(list));
        }
    }
    if let Some(u) = get("UserName") {
        push("ObjectName", RegData::Sz(u.into()));
    }
    if let Some(p) = get("BinaryPathName") {
        push("ImagePath", RegData::ExpandSz(p.into()));
    }
    if let Some(d) = get("Description") {
        push("Description", RegData::Sz(d.into()));
    }
    Some(out)
}
