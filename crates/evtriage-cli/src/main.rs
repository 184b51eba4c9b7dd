//! The `evtriage` command: a thin front end over `evtriage-core` and `evtriage-rules`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Dump(args) => cmd::dump::run(args),
    }
}
