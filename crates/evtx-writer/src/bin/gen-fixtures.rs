//! `gen-fixtures [ROOT] [--check]`: writes the binary `.evtx` fixtures under ROOT
//! (default: the repository's `fixtures/`): a twin of every XML scenario that opts
//! in, and the multi-chunk and damaged files of `fixtures/evtx/`. With `--check`
//! it writes nothing and fails when a committed file is missing or stale.

use std::path::PathBuf;
use std::process::ExitCode;

use evtriage_evtx_writer::fixtures::{plan, stale};

const USAGE: &str = "usage: gen-fixtures [ROOT] [--check]\n\
  ROOT     the fixtures folder (default: the repository's fixtures/)\n\
  --check  write nothing; fail if a committed .evtx fixture is missing or stale";

fn main() -> ExitCode {
    let mut check = false;
    let mut root: Option<PathBuf> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') => {
                eprintln!("gen-fixtures: unknown option {a}\n{USAGE}");
                return ExitCode::from(2);
            }
            a => root = Some(PathBuf::from(a)),
        }
    }
    let root = root.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"));
    let outputs = match plan(&root) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("gen-fixtures: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stale = stale(&outputs);
    if check {
        for o in &stale {
            eprintln!("stale: {} ({})", o.path.display(), o.what);
        }
        if stale.is_empty() {
            println!("{} fixtures up to date", outputs.len());
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} of {} fixtures are stale; run `cargo run -p evtriage-evtx-writer --bin gen-fixtures`",
            stale.len(),
            outputs.len()
        );
        return ExitCode::FAILURE;
    }
    for o in &stale {
        if let Some(dir) = o.path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("gen-fixtures: cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&o.path, &o.bytes) {
            eprintln!("gen-fixtures: cannot write {}: {e}", o.path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {} ({})", o.path.display(), o.what);
    }
    println!("{} fixtures, {} written", outputs.len(), stale.len());
    ExitCode::SUCCESS
}
