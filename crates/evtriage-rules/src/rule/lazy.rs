//! A rule's regular expressions: bounded in size and nesting, and built the
//! first time they are used.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

/// Largest compiled form of one regular expression in a rule (1 MiB). The
/// `regex` crate matches in time linear in the text whatever the pattern;
/// this bounds what a pattern may cost to compile and hold in memory.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// Compiles a rule's regular expression within [`MAX_REGEX_BYTES`] and a
/// nesting depth of 64.
fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(MAX_REGEX_BYTES).dfa_size_limit(MAX_REGEX_BYTES).nest_limit(64).build()
}

/// A rule's regular expression, built the first time it is used.
///
/// Most of a catalogue's expressions are never used in a run (their rule's
/// events are not in the logs), and building one costs far more than
/// checking its syntax: building them all made loading the rules grow with
/// their number. The syntax is checked when the rule is loaded (a typo is
/// an error then, with the rule's file); a rule file given by the user is
/// also built in full at load, so that an expression over the size limit is
/// reported there too. The built-in rules are built in full by a test.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: std::sync::Arc<str>,
    /// Built once for every copy of the rule set.
    shared: std::sync::Arc<OnceLock<Option<Regex>>>,
    /// This copy's own handle on it: a `Regex` used by several threads hands
    /// out its scratch space under a lock, so each worker's copy of the
    /// matchers has its own (a clone of the shared one, which is cheap).
    local: OnceLock<Option<Regex>>,
}

impl Clone for LazyRegex {
    fn clone(&self) -> Self {
        LazyRegex { pattern: self.pattern.clone(), shared: self.shared.clone(), local: OnceLock::new() }
    }
}

impl LazyRegex {
    /// Checks the syntax of `pattern` (nesting at most 64 deep).
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        regex_syntax::ParserBuilder::new().nest_limit(64).build().parse(pattern).map_err(|e| e.to_string())?;
        Ok(LazyRegex { pattern: pattern.into(), shared: Default::default(), local: OnceLock::new() })
    }

    /// Builds the expression now; `Err` when it exceeds the limits.
    pub(crate) fn build(&self) -> Result<(), regex::Error> {
        if self.shared.get().is_none() {
            let re = compile_regex(&self.pattern)?;
            let _ = self.shared.set(Some(re));
        }
        Ok(())
    }

    /// Whether `text` matches (an expression that cannot be built matches nothing).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.local
            .get_or_init(|| self.shared.get_or_init(|| compile_regex(&self.pattern).ok()).clone())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    }
}
