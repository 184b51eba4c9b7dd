//! Diagnostics: what could not be read, and where.
//!
//! evtriage never stops at the first damaged record. Whatever a source cannot
//! read becomes a [`Diagnostic`] naming the input, the place and the reason,
//! and reading goes on. Diagnostics are data, not log lines: the library never
//! prints; the front end decides how to show them.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::Locator;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing, nothing lost (e.g. a file whose format was not recognised and was passed over).
    Note,
    /// Some data could not be read and was skipped.
    Skipped,
    /// The whole input could not be read.
    Failed,
}

/// Something a source could not read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The input (same spelling as [`crate::Origin::source`]).
    pub source: Arc<str>,
    /// The place inside the input.
    pub locator: Locator,
    /// How serious it is.
    pub severity: Severity,
    /// What happened, in a sentence.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic for data that was skipped.
    pub fn skipped(source: Arc<str>, locator: Locator, message: impl Into<String>) -> Self {
        Diagnostic { source, locator, severity: Severity::Skipped, message: message.into() }
    }
    /// A diagnostic for an input that could not be read at all.
    pub fn failed(source: Arc<str>, message: impl Into<String>) -> Self {
        Diagnostic { source, locator: Locator::File, severity: Severity::Failed, message: message.into() }
    }
    /// A note that loses nothing.
    pub fn note(source: Arc<str>, locator: Locator, message: impl Into<String>) -> Self {
        Diagnostic { source, locator, severity: Severity::Note, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.locator {
            Locator::File => write!(f, "{}: {}", self.source, self.message),
            loc => write!(f, "{} ({}): {}", self.source, loc, self.message),
        }
    }
}
