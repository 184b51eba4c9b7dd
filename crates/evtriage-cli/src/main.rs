//! The `evtriage` command: a thin front end over `evtriage-core` and `evtriage-rules`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
#[path = "cmd/explain.rs"]
mod explain;

/// Offline triage of Windows logs: read .evtx, XML exports, ETW traces and
/// netstat captures, and name the known problem with evidence.
#[derive(Parser)]
#[command(name = "evtriage", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the records read from the given files, folders or archives.
    Dump(cmd::dump::DumpArgs),
    /// Name the known problem: run the rules over the given files, folders or archives.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// List, show and test the rules.
    Rules(cmd::rules::RulesArgs),
    /// Explain Windows error codes offline (Win32, NERR, Winsock, LDAP, NTSTATUS, HRESULT), like Err.exe.
    ///
    /// CODE may be decimal (58, -2147024882), hex (0x5b), an insertion (%%2147942414) or a name
    /// (ERROR_BAD_NET_RESP). Exits 0 when at least one code is known, 1 when none is.
    Explain {
        /// The codes to explain.
        #[arg(required = true, value_name = "CODE", allow_hyphen_values = true)]
        codes: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: explain::ExplainFormat,
    },
    /// List each input file with the format detected, records read and skipped, and diagnostics.
    Inputs {
        /// Files, folders or zip archives to read.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output shape.
        #[arg(long, value_enum, default_value = "table")]
        format: cmd::inputs::InputsFormat,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Dump(args) => cmd::dump::run(args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Explain { codes, format } => explain::run(&codes, format),
        Command::Inputs { paths, format } => cmd::inputs::run(&paths, format),
    }
}
