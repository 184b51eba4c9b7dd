//! Walking input folders.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contract::Sink;
use crate::diag::Diagnostic;
use crate::model::Locator;

/// Appends the regular files under `path` (or `path` itself) to `out`, in
/// sorted order. Folders are walked recursively; a folder reached twice
/// through links is walked once; unreadable entries become diagnostics.
///
/// The walk keeps its own stack rather than recursing, so a folder tree as
/// deep as paths allow (thousands of levels) cannot overflow the thread's
/// stack.
pub fn collect_files(path: &Path, out: &mut Vec<PathBuf>, sink: &mut dyn Sink) {
    let mut seen = HashSet::new();
    // Paths still to visit, the next one last (children pushed in reverse
    // order, so that the walk is depth-first in sorted order).
    let mut pending = vec![path.to_path_buf()];
    while let Some(next) = pending.pop() {
        visit(&next, out, sink, &mut seen, &mut pending);
    }
}

fn name_of(path: &Path) -> Arc<str> {
    Arc::from(path.to_string_lossy().as_ref())
}

fn visit(
    path: &Path,
    out: &mut Vec<PathBuf>,
    sink: &mut dyn Sink,
    seen: &mut HashSet<PathBuf>,
    pending: &mut Vec<PathBuf>,
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            sink.diagnostic(Diagnostic::failed(name_of(path), format!("cannot open: {e}")));
            return;
        }
    };
    if meta.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        sink.diagnostic(Diagnostic::note(name_of(path), Locator::File, "not a regular file; passed over"));
        return;
    }
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !seen.insert(canonical) {
        sink.diagnostic(Diagnostic::note(
            name_of(path),
            Locator::File,
            "folder already walked (a link loop?); passed over",
        ));
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            sink.diagnostic(Diagnostic::failed(name_of(path), format!("cannot list the folder: {e}")));
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    pending.extend(children.into_iter().rev());
}
