//! Walking input folders.
//!
//! The paths given are the case's boundary. A symbolic link inside a case
//! folder whose target lies outside every path given (a link to `/etc`,
//! to a 20 GiB file elsewhere) is not followed unless the user asks
//! ([`crate::ReadOptions::follow_symlinks`]): it is reported (skipped, with
//! its target) and listed among the inputs not read. Links whose target
//! lies inside the case are followed, and a folder or file reached twice
//! (through links, or a loop) is read once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contract::Sink;
use crate::diag::Diagnostic;
use crate::model::Locator;

/// Appends the regular files under `path` (or `path` itself) to `out`, in
/// sorted order, following links only inside `path`. See [`Walk`].
pub fn collect_files(path: &Path, out: &mut Vec<PathBuf>, sink: &mut dyn Sink) {
    let mut walk = Walk::new(&[path], false);
    walk.collect(path, out, sink);
}

/// A walk of the paths given: what they bound, and what was seen.
///
/// Folders are walked recursively; a folder or file reached twice through
/// links is taken once; unreadable entries become diagnostics. The walk
/// keeps its own stack rather than recursing, so a folder tree as deep as
/// paths allow (thousands of levels) cannot overflow the thread's stack.
#[derive(Debug)]
pub struct Walk {
    /// The paths given, resolved: a link's target must lie under one of them.
    roots: Vec<PathBuf>,
    /// Follow links whose target lies outside `roots` too.
    follow: bool,
    /// Folders and files already taken, resolved.
    seen: HashSet<PathBuf>,
}

impl Walk {
    /// A walk bounded by `roots` (the paths given); `follow` follows links
    /// that leave them as well.
    pub fn new<P: AsRef<Path>>(roots: &[P], follow: bool) -> Self {
        let roots = roots
            .iter()
            .map(|r| std::fs::canonicalize(r.as_ref()).unwrap_or_else(|_| r.as_ref().to_path_buf()))
            .collect();
        Walk { roots, follow, seen: HashSet::new() }
    }

    /// Appends the regular files under `path` (one of the roots, or `path`
    /// itself when it is a file) to `out`, in sorted order.
    pub fn collect(&mut self, path: &Path, out: &mut Vec<PathBuf>, sink: &mut dyn Sink) {
        // Paths still to visit, the next one last (children pushed in reverse
        // order, so that the walk is depth-first in sorted order). The path
        // given is followed whatever it is: the user named it.
        let mut pending = vec![(path.to_path_buf(), true)];
        while let Some((next, given)) = pending.pop() {
            self.visit(&next, given, out, sink, &mut pending);
        }
    }

    fn visit(
        &mut self,
        path: &Path,
        given: bool,
        out: &mut Vec<PathBuf>,
        sink: &mut dyn Sink,
        pending: &mut Vec<(PathBuf, bool)>,
    ) {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let resolved = std::fs::canonicalize(path);
        if is_link && !given {
            let target = match &resolved {
                Ok(t) => t.clone(),
                Err(e) => {
                    let to = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
                    sink.diagnostic(Diagnostic::skipped(
                        name_of(path),
                        Locator::File,
                        format!("symbolic link to {to} that cannot be followed ({e}); not read"),
                    ));
                    return;
                }
            };
            if !self.follow && !self.roots.iter().any(|r| target.starts_with(r)) {
                sink.diagnostic(Diagnostic::skipped(
                    name_of(path),
                    Locator::File,
                    format!(
                        "symbolic link to {}, outside the paths given: not followed (--follow-symlinks follows it)",
                        target.display()
                    ),
                ));
                return;
            }
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                sink.diagnostic(Diagnostic::failed(name_of(path), format!("cannot open: {e}")));
                return;
            }
        };
        let canonical = resolved.unwrap_or_else(|_| path.to_path_buf());
        if meta.is_file() {
            // A file reached again through a link is read once.
            if self.seen.insert(canonical) {
                out.push(path.to_path_buf());
            } else if is_link {
                sink.diagnostic(Diagnostic::note(
                    name_of(path),
                    Locator::File,
                    "symbolic link to a file already read; passed over",
                ));
            }
            return;
        }
        if !meta.is_dir() {
            sink.diagnostic(Diagnostic::note(name_of(path), Locator::File, "not a regular file; passed over"));
            return;
        }
        if !self.seen.insert(canonical) {
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
        pending.extend(children.into_iter().rev().map(|c| (c, false)));
    }
}

fn name_of(path: &Path) -> Arc<str> {
    Arc::from(path.to_string_lossy().as_ref())
}
