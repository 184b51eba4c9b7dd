//! How a command ends: an [`Outcome`] (exit status 0 or 1) or an [`Error`]
//! (exit status 2), mapped to the exit status in one place, [`exit`], which
//! `main` calls once.
//!
//! Every error is printed on stderr as one sentence (or one per path),
//! `evtriage: error: <what failed>; <what to do>`, after whatever the
//! command printed before it. A closed pipe (`evtriage … | head`) is not a
//! failure: the reader went away, the command ends quietly with status 0, as
//! ripgrep does.

use std::io;

use evtriage_core::{InputSummary, Unread};

use crate::ui::Ui;

/// How a command that ran to its end came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Success,
    /// Exit status 1, an answer rather than an error: `analyze` found faults
    /// or security findings, `rules test` had failing cases, `explain` knew
    /// none of the codes.
    Flagged,
}

impl Outcome {
    /// [`Outcome::Flagged`] when `flagged`, else [`Outcome::Success`].
    pub fn flagged_if(flagged: bool) -> Outcome {
        if flagged {
            Outcome::Flagged
        } else {
            Outcome::Success
        }
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// A wrong argument or option (`--tz`, `--since`, `--window`…): the
    /// sentence says what to write instead.
    Usage(String),
    /// Paths that cannot be opened: one sentence each.
    Paths(Vec<String>),
    /// The rules do not load (built-in or the user's `--rules DIR`).
    Rules(String),
    /// Not one record could be read from the given paths.
    NothingRead {
        /// The inputs that gave nothing, with why, listed before the error
        /// (empty when the command's own output lists them).
        unread: Vec<Unread>,
        /// Stale records found in slack space (not used by default).
        stale: u64,
        /// Where to look next.
        then: &'static str,
    },
    /// The output could not be written (a full disk, a closed file…).
    Write(String),
    /// The reader of the output went away (`| head`): exit status 0.
    ClosedPipe,
    /// The failures of `rules` and `inputs` that have always been printed
    /// without the `error:` label (`evtriage: <sentence>`); kept so.
    Unlabelled(String),
    /// `completions` and `man` could not print: exit status 1, as they
    /// always had (every other failure is 2).
    Packaging(String),
}

impl Error {
    /// The error of a failed write: [`Error::ClosedPipe`] when the reader
    /// went away, else what `failed` makes of it. The one place a closed
    /// pipe is recognised.
    pub fn writing(e: io::Error, failed: impl FnOnce(&io::Error) -> Error) -> Error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::ClosedPipe
        } else {
            failed(&e)
        }
    }

    /// [`Error::writing`] to standard output by a command without a
    /// sentence of its own for it.
    pub fn stdout(e: io::Error) -> Error {
        Error::writing(e, |e| {
            Error::Write(format!("cannot write to standard output: {e}; check that the output is writable."))
        })
    }

    /// [`Error::NothingRead`] when not one record was read from the inputs
    /// `summaries` describe, listing `unread` first.
    pub fn nothing_read(summaries: &[InputSummary], unread: Vec<Unread>, then: &'static str) -> Result<(), Error> {
        if summaries.iter().any(|s| s.records > 0) {
            return Ok(());
        }
        let stale = summaries.iter().map(|s| s.stale).sum();
        Err(Error::NothingRead { unread, stale, then })
    }

    /// Prints the error on stderr (nothing for a closed pipe).
    fn print(&self, ui: &Ui) {
        match self {
            Error::Usage(s) | Error::Rules(s) | Error::Write(s) | Error::Packaging(s) => ui.error(s),
            Error::Paths(sentences) => sentences.iter().for_each(|s| ui.error(s)),
            Error::NothingRead { unread, stale, then } => {
                ui.report_unread(unread);
                let hint = match stale {
                    0 => String::new(),
                    n => format!(" (only {n} stale record(s) in slack space, which are not used by default)"),
                };
                ui.error(&format!("no record could be read from the given paths{hint}; {then}"));
            }
            Error::Unlabelled(s) => eprintln!("evtriage: {s}"),
            Error::ClosedPipe => {}
        }
    }

    /// The exit status of the error.
    fn status(&self) -> u8 {
        match self {
            Error::ClosedPipe => 0,
            Error::Packaging(_) => 1,
            _ => 2,
        }
    }
}

/// The exit status of a command's result, printing its error if any: 0 or
/// 1 for an [`Outcome`], 2 for an [`Error`] (see [`Error`] for the two
/// exceptions).
pub fn exit(result: Result<Outcome, Error>, ui: &Ui) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Flagged) => 1,
        Err(e) => {
            e.print(ui);
            e.status()
        }
    }
}

impl Error {
    /// Checks that every path exists: [`Error::Paths`] with one sentence per
    /// missing one when any is.
    pub fn check_paths(paths: &[std::path::PathBuf]) -> Result<(), Error> {
        let missing: Vec<String> = paths
            .iter()
            .filter_map(|p| {
                let e = std::fs::metadata(p).err()?;
                Some(format!(
                    "cannot open {}: {}; check the path, or give the folder or zip that holds the logs.",
                    p.display(),
                    crate::ui::io_reason(&e)
                ))
            })
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Paths(missing))
        }
    }
}
