//! Analyzes files, folders or zip archives with the built-in rules (plus
//! the `*.toml` rules of any `--rules DIR`) and prints each finding with its
//! evidence — the library side of `evtriage analyze`.
//!
//! ```sh
//! cargo run -p evtriage-rules --example findings -- fixtures/rules/kb4530043-ismserv-boot/positive/ldap-trace-confirmed
//! cargo run -p evtriage-rules --example findings -- --rules my-rules/ case.zip
//! ```

use std::path::PathBuf;

use evtriage_rules::{analyze, RuleSet};

fn main() {
    let mut rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("the built-in rules do not load: {e}");
            std::process::exit(2);
        }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--rules" {
            let Some(dir) = args.next() else {
                eprintln!("--rules needs a folder");
                std::process::exit(2);
            };
            if let Err(e) = rules.load_dir(dir.as_ref()) {
                eprintln!("{e}");
                std::process::exit(2);
            }
        } else {
            paths.push(a.into());
        }
    }
    if paths.is_empty() {
        eprintln!("usage: findings [--rules DIR] PATH...");
        std::process::exit(2);
    }
    let report = analyze(&rules, &paths);
    for f in &report.findings {
        println!("[{}] {} {} ({})", f.confidence, f.kb.join(", "), f.title, f.computer);
        println!("  cause: {}", f.cause);
        for step in &f.remediation {
            println!("  do: {step}");
        }
        for e in &f.evidence {
            let time = e.time.map(|t| t.to_rfc3339()).unwrap_or_else(|| "snapshot".into());
            println!("  {:?} {time} {} ({} {})", e.role, e.summary, e.source, e.locator);
        }
    }
    if report.findings.is_empty() {
        println!("no known problem found in {} input(s)", report.inputs.len());
    }
    for d in &report.diagnostics {
        eprintln!("{} ({}): {}", d.source, d.locator, d.message);
    }
}
