//! Subcommands that have their own module.

pub mod analyze;
pub mod rules;

use std::path::PathBuf;

use evtriage_rules::RuleSet;

/// The built-in rules plus the user's rule folders; an error message on failure.
pub fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, String> {
    let mut set = RuleSet::builtin().map_err(|e| format!("the built-in rules do not load: {e}"))?;
    for d in dirs {
        set.load_dir(d).map_err(|e| e.to_string())?;
    }
    Ok(set)
}
