//! Error codes as `explain` prints them: for each argument, every
//! namespace that knows its number (namespace, decimal, hex, name and
//! message, and the table the message comes from — `[win32 table]` — since a
//! `FACILITY_WIN32` HRESULT reads the Win32 table's text), as aligned text or
//! JSON (`message_from`).

use evtriage_core::codes::{self, CodeInfo};
use serde::Serialize;

/// What one argument turned out to be.
#[derive(Debug, Serialize)]
pub struct Explained {
    /// The argument as given.
    pub input: String,
    /// The number, when the argument is a number or a known name.
    pub code: Option<u32>,
    /// The number in hex (`0x0000003A`).
    pub hex: Option<String>,
    /// The number read as signed 32-bit, when that differs (negative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<i32>,
    /// Whether any namespace knows the number.
    pub known: bool,
    /// Every meaning, in namespace order.
    pub meanings: Vec<CodeInfo>,
}

/// Looks `input` up: decimal (`58`, `-2147024882`), hex (`0x5b`), an
/// insertion string (`%%2147942414`) or a name (`ERROR_BAD_NET_RESP`).
pub fn explain(input: &str) -> Explained {
    let code = codes::parse_code(input);
    let meanings = code.map(codes::lookup).unwrap_or_default();
    Explained {
        input: input.to_string(),
        code,
        hex: code.map(|c| format!("0x{c:08X}")),
        signed: code.map(|c| c as i32).filter(|s| *s < 0),
        known: !meanings.is_empty(),
        meanings,
    }
}

/// `items` as aligned text for people.
pub fn to_text(items: &[Explained]) -> String {
    let mut out = String::new();
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match e.code {
            None => {
                out.push_str(&format!("{}: unknown (not a number or a known code name)\n", e.input));
                continue;
            }
            Some(c) => {
                let signed = e.signed.map(|s| format!(", {s}")).unwrap_or_default();
                out.push_str(&format!("{} = {c} (0x{c:X}{signed})\n", e.input));
            }
        }
        if e.meanings.is_empty() {
            out.push_str("  unknown: no table has this code\n");
        }
        for m in &e.meanings {
            let msg = match (m.message.as_deref(), m.message_from) {
                (Some(text), Some(table)) => format!("{text}  [{table} table]"),
                (Some(text), None) => text.to_string(),
                (None, _) => "(no message in table)".to_string(),
            };
            out.push_str(&format!(
                "  {:<9} {:>10}  {:<10}  {}\n  {:<9} {}\n",
                m.namespace.label(),
                m.code,
                format!("0x{:X}", m.code),
                m.name,
                "",
                msg
            ));
        }
    }
    out
}
