//! Test support shared by the workspace's test suites (not published).
//!
//! The real-log corpus lives outside the repository (it is third-party data
//! and must never be copied in). Tests find it through the environment
//! variable `EVTRIAGE_CORPUS`:
//!
//! - unset (a fresh clone): a corpus test prints why and passes without
//!   checking anything;
//! - set: the corpus must be there, and a missing file fails the test.
//!
//! A relative value is taken from the workspace root, so
//! `EVTRIAGE_CORPUS=../shared/corpus cargo test --workspace` works from the
//! root even though cargo runs each test binary in its own crate's folder.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The environment variable that names the corpus folder.
pub const CORPUS_VAR: &str = "EVTRIAGE_CORPUS";

/// The workspace root (the folder of the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether a corpus is configured (`EVTRIAGE_CORPUS` is set). Tests that must
/// not be skipped under CI check this.
pub fn corpus_configured() -> bool {
    std::env::var_os(CORPUS_VAR).is_some()
}

/// The corpus folder, or `None` (with a note on stderr) when `EVTRIAGE_CORPUS`
/// is unset. Panics when it is set but is not a folder.
pub fn corpus_root() -> Option<PathBuf> {
    let Some(value) = std::env::var_os(CORPUS_VAR) else {
        eprintln!("{CORPUS_VAR} is not set; skipping a test that needs the real-log corpus");
        return None;
    };
    let root = PathBuf::from(value);
    let root = if root.is_absolute() { root } else { workspace_root().join(root) };
    assert!(root.is_dir(), "{CORPUS_VAR} is set but {} is not a folder", root.display());
    Some(root)
}

/// The corpus file (or folder) `rel`, e.g. `evtx/omerbenamram_system.evtx`;
/// `None` when no corpus is configured. Panics when the corpus is configured
/// and `rel` is missing.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let path = corpus_root()?.join(rel);
    assert!(path.exists(), "{CORPUS_VAR} is set but {} is missing", path.display());
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap_or_default();
        assert!(manifest.contains("[workspace]"));
    }
}
