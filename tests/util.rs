//! The harness every end-to-end test uses: where the repository is, how to
//! run the built `evtriage` binary, the real-log corpus, scratch folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use evtriage_testutil::corpus;

/// The repository root (the `evtriage` package).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The built binary, run from the repository root (so that relative fixture
/// paths in a test read as they do in the README).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evtriage"));
    c.current_dir(root());
    c
}

/// Runs the binary with `args` and returns what it printed.
pub fn output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    match bin().args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("the evtriage binary does not run: {e}"),
    }
}

/// What one run printed, as text, and its exit status (-1 if killed).
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs the binary with `args` from the repository root.
pub fn evtriage<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let out = output(args);
    Run { stdout: text(&out.stdout), stderr: text(&out.stderr), code: out.status.code().unwrap_or(-1) }
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `text` parsed as JSON; the test fails with the text when it is not.
pub fn json(text: &str) -> serde_json::Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}):\n{text}"),
    }
}

/// A fresh, empty scratch folder (a temporary case) under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// Writes `text` to `path`, creating its folder.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
}

/// A path as `&str` (the test paths are UTF-8).
pub fn p(path: &Path) -> &str {
    match path.to_str() {
        Some(s) => s,
        None => panic!("not UTF-8: {}", path.display()),
    }
}
