//! The `evtriage` command: a thin front end over `evtriage-core` and `evtriage-rules`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd {
    pub mod analyze;
    pub mod rules;
}
#[path = "cmd/explain.rs"]
mod explain;
#[path = "cmd/inputs.rs"]
mod inputs;

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
    Dump {
        /// Files, folders or zip archives to read.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
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
        format: inputs::InputsFormat,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inputs { paths, format } => inputs::run(&paths, format),
        Command::Dump { paths } => {
            let reader = evtriage_core::Reader::default();
            let mut sink = evtriage_core::Collect::default();
            reader.read_paths(&paths, &mut sink);
            for r in &sink.records {
                match serde_json::to_string(r) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("evtriage: cannot write a record as JSON: {e}"),
                }
            }
            for d in &sink.diagnostics {
                eprintln!("evtriage: {d}");
            }
            ExitCode::SUCCESS
        }
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Explain { codes, format } => explain::run(&codes, format),
    }
}
