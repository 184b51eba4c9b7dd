//! PowerShell `Format-List` output and the errors PowerShell prints.
//!
//! `Test-OutlookWebServices | fl` prints one block per result:
//!
//! ```text
//! Id      : 1013
//! Type    : Error
//! Message : When contacting https://mail.contoso.com/ews/exchange.asmx received the error The remote
//!           server returned an error: (401) Unauthorized.
//! ```
//!
//! Blocks are separated by blank lines; a property is `Name : value` with the
//! colons aligned; an indented line continues the previous value (joined
//! with a space: Format-List wraps at the console width). Each block becomes a
//! [`CommandOutput`] with its properties in order.
//!
//! An error PowerShell prints instead of objects becomes a [`CommandOutput`]
//! with `is_error` set and properties `Message`, `Position` (`At line:1
//! char:24`), `Script` (the echoed `+ …` line), `CategoryInfo` and
//! `FullyQualifiedErrorId`:
//!
//! ```text
//! Test-OutlookWebServices : Object reference not set to an instance of an object.
//! At line:1 char:24
//! + Test-OutlookWebServices <<<< | fl
//!     + CategoryInfo          : NotSpecified: (:) [Test-OutlookWebServices], NullReferenceException
//!     + FullyQualifiedErrorId : System.NullReferenceException,Microsoft.Exchange.Monitoring.TestOutlookWebServices
//! ```
//!
//! A prompt line (`PS C:\> Test-OutlookWebServices | fl`, Exchange's
//! `[PS] C:\>…`) names the command of the blocks that follow.
//!
//! A block with a `HotFixID` (`Get-HotFix | fl`, `Get-CimInstance
//! Win32_QuickFixEngineering | fl`) is an [`InstalledUpdate`](crate::model::InstalledUpdate),
//! and one with `CsName` and `OsName` (`Get-ComputerInfo`) a
//! [`ComputerInfo`](crate::model::ComputerInfo) (see `sources::updates`).
//! A `Get-Service` block gives the registry values of the service's
//! configuration it shows (`StartType` as `Start`, `ServicesDependedOn` as
//! `DependOnService`, …; see `sources::sc_qc`) besides its command block.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{CommandOutput, Locator, Origin, Record};

use super::Ctx;

static PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::constant_regex(r"^([A-Za-z_][A-Za-z0-9_.\-]*(?: [A-Za-z0-9_.\-]+)*?)\s*:(?:\s(.*))?$")
});
static ERROR_LINE: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"^([A-Z][A-Za-z]*-[A-Za-z0-9]+)\s?: (.+)$"));
static PROMPT: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"^(?:\[PS\]|PS) [^>]*>\s*([A-Za-z]+-[A-Za-z0-9]+)"));
static ERROR_DETAIL: LazyLock<Regex> =
    LazyLock::new(|| crate::text::constant_regex(r"^\s*\+\s+([A-Za-z]+)\s*:\s?(.*)$"));

/// Whether the (non-blank) lines look like Format-List output or a PowerShell error.
pub fn looks_like_powershell(lines: &[&str]) -> bool {
    let (prop, err) = (&*PROPERTY, &*ERROR_LINE);
    let props = lines.iter().filter(|l| prop.is_match(l.trim_end()) && l.contains(" :")).count();
    let has_error = lines.iter().any(|l| err.is_match(l))
        && lines.iter().any(|l| l.starts_with("At line:") || l.contains("CategoryInfo"));
    has_error || (props >= 2 && props * 2 >= lines.len().min(40))
}

struct Block {
    line: u64,
    properties: Vec<(String, String)>,
    is_error: bool,
    command: Option<String>,
}

/// Reads a Format-List capture.
pub fn read(text: &str, ctx: &mut Ctx<'_>) {
    let (prop, err, prompt, detail) = (&*PROPERTY, &*ERROR_LINE, &*PROMPT, &*ERROR_DETAIL);
    let mut command: Option<String> = None;
    let mut block: Option<Block> = None;
    let flush = |block: &mut Option<Block>, ctx: &mut Ctx<'_>| {
        if let Some(b) = block.take() {
            let origin = Origin::new(ctx.name.clone(), Locator::Line { line: b.line });
            // `Get-HotFix | fl`, `Win32_QuickFixEngineering`: an installed update.
            if !b.is_error {
                if let Some(u) = super::updates::update_from_properties(&b.properties, &origin) {
                    ctx.record(Record::Update(u));
                    return;
                }
                // `Get-Service | fl`: the service's configuration, as the registry
                // values it reflects (its status stays a command block).
                if let Some(values) = super::sc_qc::service_values_from_properties(&b.properties, &origin) {
                    for v in values {
                        ctx.record(Record::Registry(v));
                    }
                }
                // `Get-ComputerInfo`: the computer, and the updates it lists.
                if let Some((info, kbs)) = super::updates::computer_from_properties(&b.properties, &origin) {
                    let computer = info.computer.clone();
                    ctx.record(Record::Computer(info));
                    for kb in kbs {
                        ctx.record(Record::Update(crate::model::InstalledUpdate {
                            computer: computer.clone(),
                            kb,
                            description: None,
                            installed_on: None,
                            installed_by: None,
                            origin: origin.clone(),
                        }));
                    }
                    return;
                }
            }
            ctx.record(Record::Command(CommandOutput {
                command: b.command,
                properties: b.properties,
                is_error: b.is_error,
                origin,
            }));
        }
    };
    for (line_no, raw) in crate::text::numbered_lines(text) {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            flush(&mut block, ctx);
            continue;
        }
        if let Some(c) = prompt.captures(line) {
            flush(&mut block, ctx);
            command = c.get(1).map(|m| m.as_str().to_string());
            continue;
        }
        if let Some(c) = err.captures(line) {
            flush(&mut block, ctx);
            let cmdlet = c.get(1).map(|m| m.as_str().to_string());
            block = Some(Block {
                line: line_no,
                properties: vec![("Message".to_string(), c.get(2).map_or("", |m| m.as_str()).trim().to_string())],
                is_error: true,
                command: cmdlet.or_else(|| command.clone()),
            });
            continue;
        }
        if let Some(b) = block.as_mut().filter(|b| b.is_error) {
            if let Some(pos) = line.strip_prefix("At ") {
                b.properties.push(("Position".to_string(), pos.trim().to_string()));
            } else if let Some(c) = detail.captures(line) {
                let k = c.get(1).map_or("", |m| m.as_str()).to_string();
                b.properties.push((k, c.get(2).map_or("", |m| m.as_str()).trim().to_string()));
            } else if let Some(script) = line.strip_prefix('+') {
                b.properties.push(("Script".to_string(), script.trim().to_string()));
            } else if let Some((_, last)) = b.properties.last_mut() {
                // The error message (or a detail) wrapped onto the next line.
                last.push(' ');
                last.push_str(line.trim());
            }
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if indented {
            match block.as_mut().and_then(|b| b.properties.last_mut()) {
                Some((_, value)) => {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(line.trim());
                }
                None => ctx.skip_line(line_no, "indented line outside a property block; skipped"),
            }
            continue;
        }
        match prop.captures(line) {
            Some(c) => {
                let key = c.get(1).map_or("", |m| m.as_str()).trim().to_string();
                let value = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
                let b = block.get_or_insert_with(|| Block {
                    line: line_no,
                    properties: Vec::new(),
                    is_error: false,
                    command: command.clone(),
                });
                b.properties.push((key, value));
            }
            None => ctx.skip_line(line_no, "not a `Name : value` property line; skipped"),
        }
    }
    flush(&mut block, ctx);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_patterns_compile() {
        for r in [&*super::PROPERTY, &*super::ERROR_LINE, &*super::PROMPT, &*super::ERROR_DETAIL] {
            assert!(!r.as_str().is_empty());
        }
    }
}
