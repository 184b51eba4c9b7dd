//! Embeds every `rules/*.toml` as a built-in rule: the list is made from the
//! folder, so that adding a rule file is all it takes (no list to keep in
//! step, and no merge conflict when several rules are added at once).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    // Sorted: the built-in set's order does not depend on the file system's.
    names.sort();
    let mut out = String::from("/// The built-in rules (`rules/*.toml`, by file name), embedded at build time.\n");
    out.push_str("pub const BUILTIN: &[(&str, &str)] = &[\n");
    for n in &names {
        let path = dir.join(n);
        let _ = writeln!(out, "    ({n:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("builtin_rules.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
