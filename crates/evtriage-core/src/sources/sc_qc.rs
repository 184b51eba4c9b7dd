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

use crate::model::{Locator, Origin, Record, RegData, RegistryValue};

use super::Ctx;

/// The registry key `sc qc` shows the configuration of.
fn service_key(name: &str) -> String {
    format!("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\{name}")
}

/// Whether the lines are `sc qc` output: a `SERVICE_NAME:` line and a `START_TYPE : n` line.
pub fn looks_like(lines: &[&str]) -> bool {
    let name = lines.iter().any(|l| l.trim_start().starts_with("SERVICE_NAME:"));
    let start = lines.iter().any(|l| {
        let t = l.trim_start();
        t.starts_with("START_TYPE") && t.contains(':')
    });
    name && start
}

/// The leading number of a field (`2   AUTO_START  (DELAYED)` → 2).
fn number(value: &str) -> Option<u32> {
    value.split_whitespace().next()?.parse().ok()
}

struct Service {
    name: String,
    line: u64,
    dependencies: Vec<String>,
    groups: Vec<String>,
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
            current =
                Some(Service { name: name.to_string(), line: line_no, dependencies: Vec::new(), groups: Vec::new() });
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
            key,
            name: "DependOnGroup".into(),
            data: RegData::MultiSz(s.groups),
            origin,
        }));
    }
}
