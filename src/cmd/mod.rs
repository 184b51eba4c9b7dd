//! One module per subcommand; `main.rs` only parses and dispatches.

pub mod analyze;
pub mod completions;
pub mod dump;
pub mod explain;
pub mod inputs;
pub mod rules;
pub mod timeline;

/// `--source-tz`: UTC, an offset or an IANA zone (see `evtriage_core::SourceTz::parse`).
pub fn source_tz_arg(text: &str) -> Result<evtriage_core::SourceTz, String> {
    evtriage_core::SourceTz::parse(text)
}

/// `--locale`: an LCID or a language name (see `evtriage_core::locale::parse_locale`).
pub fn locale_arg(text: &str) -> Result<u32, String> {
    evtriage_core::locale::parse_locale(text)
        .ok_or_else(|| format!("{text:?} is not a language; use an LCID such as 1031 or a name such as de-DE"))
}
