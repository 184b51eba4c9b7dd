//! `evtriage analyze PATH...`: read everything, run the rules, print the findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use evtriage_rules::{JsonReport, ReportSink, RuleSet, TextReport};

/// Output format of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text, grouped per computer.
    Text,
    /// The versioned JSON contract (see docs/rules.md).
    Json,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `evtriage analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Files, folders or zip archives to read (evtx, XML exports, ETW text, netstat, .reg, ...).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add the rules (*.toml) in DIR to the built-in ones; may be repeated.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Colour for text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// Runs `analyze`. Exit status: 0 no faults (informational "by design"
/// findings do not count), 1 faults found, 2 error.
pub fn run(args: AnalyzeArgs) -> ExitCode {
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("evtriage: {e}");
            return ExitCode::from(2);
        }
    };
    let report = evtriage_rules::analyze(&rules, &args.paths);
    if report.inputs.is_empty() {
        for d in &report.diagnostics {
            eprintln!("evtriage: {}: {}", d.source, d.message);
        }
        eprintln!("evtriage: nothing could be read");
        return ExitCode::from(2);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut buf: Vec<u8> = Vec::new();
    let written = match args.format {
        Format::Json => JsonReport.write_report(&report, &mut buf),
        Format::Text => TextReport { color }.write_report(&report, &mut buf),
    };
    let result = written.and_then(|()| match &args.output {
        Some(path) => std::fs::write(path, &buf),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf).and_then(|()| out.flush())
        }
    });
    if let Err(e) = result {
        let target = args.output.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "standard output".into());
        eprintln!("evtriage: cannot write the report to {target}: {e}");
        return ExitCode::from(2);
    }
    if report.faults() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The built-in rules plus the user's rule folders; an error message on failure.
pub fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, String> {
    let mut set = RuleSet::builtin().map_err(|e| format!("the built-in rules do not load: {e}"))?;
    for d in dirs {
        set.load_dir(d).map_err(|e| e.to_string())?;
    }
    Ok(set)
}
