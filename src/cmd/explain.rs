//! `evtriage explain CODE...`: an offline error-code lookup, like Microsoft's Err tool.
//!
//! Each argument may be decimal (`58`, `-2147024882`), hex (`0x5b`), an
//! insertion string (`%%2147942414`) or a symbolic name (`ERROR_BAD_NET_RESP`,
//! case-insensitive). Every namespace that knows the number is printed:
//! namespace, decimal, hex, name and message. A code nobody knows prints
//! "unknown". Exit status: 0 when at least one argument was known, 1 when none
//! was.

use evtriage_print::codes::{explain, to_text, Explained};

use crate::error::{Error, Outcome};

/// Output format of `explain` (see [`evtriage_print::codes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Aligned text for people.
    Text,
    /// One JSON array, one object per argument.
    Json,
}

/// Runs `explain` over `inputs`, printing in `format`: [`Outcome::Flagged`]
/// when no argument was known.
pub fn run(inputs: &[String], format: ExplainFormat) -> Result<Outcome, Error> {
    let items: Vec<Explained> = inputs.iter().map(|i| explain(i)).collect();
    let text = match format {
        ExplainFormat::Text => to_text(&items),
        ExplainFormat::Json => {
            serde_json::to_string_pretty(&items).map_err(|e| Error::Unlabelled(format!("cannot write JSON: {e}")))?
                + "\n"
        }
    };
    crate::ui::write_stdout(text.as_bytes()).map_err(Error::stdout)?;
    Ok(Outcome::flagged_if(!items.iter().any(|e| e.known)))
}
